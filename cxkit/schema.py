"""The canonical data model: the tables every diagnostic reads, declared as data.

Each client export is mapped (by an adapter) onto these tables. The declaration says, for every
column, its type, whether the table is unusable without it, and which diagnostics need it, so
that readiness can say "FCR is blocked: customer_id is 62% null" instead of failing later.

Timestamps are instants, stored in UTC; durations are seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "Column",
    "TableSpec",
    "TABLES",
    "DIAGNOSTICS",
    "CHANNELS",
    "DIRECTIONS",
    "OUTCOMES",
    "table_spec",
    "source_key",
    "no_source",
    "ibis_schema",
    "data_model_markdown",
]

CHANNELS = ("voice", "chat", "email", "messaging", "social", "self_service")
DIRECTIONS = ("inbound", "outbound", "callback")
OUTCOMES = ("handled", "abandoned", "contained", "deflected")

# Diagnostics that readiness gives a verdict on. Keys are stable identifiers used by the
# readiness matrix and by the notebooks that print caveats beside degraded numbers.
DIAGNOSTICS: dict[str, str] = {
    "fcr_repeat": "FCR (repeat-based) and repeat share",
    "fcr_transfer": "FCR (transfer-adjusted)",
    "fcr_case": "FCR (case-based)",
    "fcr_survey": "FCR (customer-reported)",
    "journey_effort": "Journey effort",
    "service_level": "Service level, ASA and abandonment",
    "aht": "Average handle time",
    "cost_model": "Cost of repeat contacts",
    "perception": "Perception linkage (CSAT, NPS, CES)",
}


@dataclass(frozen=True)
class Column:
    """One canonical column.

    ``required`` columns must be mapped or the table cannot be loaded at all; ``needed_by``
    lists the diagnostics that are blocked when the column is missing and degraded when it is
    partly null. ``values`` lists the allowed codes of a coded column.
    """

    name: str
    dtype: str
    description: str
    required: bool = False
    needed_by: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    default: object | None = None


@dataclass(frozen=True)
class TableSpec:
    """One canonical table: its key, its columns and what it is for."""

    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    optional: bool = True
    time_column: str | None = None
    free_text: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no canonical column {name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


_TS = "timestamp('UTC')"

_CONTACT_COLUMNS = (
    Column("contact_id", "string", "Contact identifier (all legs of a contact share it).", True),
    Column(
        "customer_id",
        "string",
        "Customer identifier; null when the customer was not identified.",
        # case-based FCR judges eligible contacts, identified ones (METRICS.md); the case
        # follow-through figures of that diagnostic do not read it and are spared
        needed_by=("fcr_repeat", "fcr_transfer", "fcr_case", "journey_effort", "cost_model"),
    ),
    Column("channel", "string", "Channel of the contact.", True, values=CHANNELS),
    Column("direction", "string", "inbound, outbound or callback.", True, values=DIRECTIONS),
    Column("arrived_at", _TS, "When the contact arrived (first leg start).", True),
    Column(
        "answered_at",
        _TS,
        "When an agent answered; null if never answered.",
        needed_by=("service_level",),
    ),
    Column("ended_at", _TS, "When the contact ended (last leg end).", True),
    Column("ivr_s", "float64", "Seconds in IVR or bot before the queue.", needed_by=("journey_effort",), default=0.0),
    Column("wait_s", "float64", "Seconds waiting in queue.", needed_by=("service_level", "journey_effort"), default=0.0),
    Column("talk_s", "float64", "Seconds talking (or handling) with an agent.", needed_by=("aht", "cost_model")),
    Column("hold_s", "float64", "Seconds on hold.", needed_by=("aht",), default=0.0),
    Column("acw_s", "float64", "Seconds of after-contact work.", needed_by=("aht",), default=0.0),
    Column("outcome", "string", "handled, abandoned, contained or deflected.", True, values=OUTCOMES),
    Column(
        "queued",
        "boolean",
        "Whether the contact entered an agent queue (defaults to answered or waited).",
        needed_by=("service_level",),
    ),
    Column(
        "transfers",
        "int64",
        "Number of transfers (when folded from legs: legs - 1, plus the legs' transfers out of the platform).",
        needed_by=("fcr_transfer",),
        default=0,
    ),
    Column(
        "auth_attempts",
        "int64",
        "Identity checks performed in this contact.",
        needed_by=("journey_effort",),
        default=0,
    ),
    Column("contact_reason", "string", "Reason for contact (final leg's).", needed_by=()),
    Column("reason_family", "string", "Grouping of reasons for same-reason repeats."),
    Column("queue", "string", "First queue the contact entered."),
    Column("agent_id", "string", "Agent who handled the final leg."),
    Column("team", "string", "Team of that agent."),
    Column("entry_point", "string", "Where the contact came in (IVR menu, line name, web page); map a dialled "
           "number to a name such as 'number ending 0142': a phone number is refused as personal data."),
    Column("callback_scheduled", "boolean", "The contact ended with a scheduled callback.", default=False),
    Column("case_id", "string", "CRM case this contact is linked to."),
    Column("notes", "string", "Free text captured on the contact (scanned for PII, never shown)."),
)

_LEG_COLUMNS = (
    Column("contact_id", "string", "Contact the leg belongs to.", True),
    Column("leg_seq", "int64", "Order of the leg in the contact, from 1; when the export has none, leave it "
                   "unmapped: the legs are numbered by arrived_at, then ended_at.", True),
    Column("leg_id", "string", "The leg's own identifier, where the export gives each leg one besides its "
           "contact's (Amazon Connect's ContactId beside InitialContactId): a case, survey or evaluation naming "
           "a leg (the CRM stores the leg current when the case was opened) is about that leg's contact."),
) + tuple(c for c in _CONTACT_COLUMNS if c.name not in ("contact_id", "transfers")) + (
    Column(
        "transfers_out",
        "int64",
        "Transfers from this leg to a destination outside the export (an external number): no leg "
        "follows them in the export. A contact's transfers = legs - 1 + these.",
        needed_by=("fcr_transfer",),
        default=0,
    ),
)

TABLES: dict[str, TableSpec] = {
    "contacts": TableSpec(
        name="contacts",
        description="One customer-initiated (or outbound) attempt to get service in one channel, "
        "from arrival to end, including every transfer leg inside it.",
        key=("contact_id",),
        columns=_CONTACT_COLUMNS,
        optional=False,
        time_column="arrived_at",
        free_text=("notes",),
    ),
    "legs": TableSpec(
        name="legs",
        description="One segment of a contact handled by one queue or agent; transfers are legs. "
        "Produced when the contacts source is delivered at leg grain.",
        key=("contact_id", "leg_seq"),
        columns=_LEG_COLUMNS,
        time_column="arrived_at",
        free_text=("notes",),
    ),
    "cases": TableSpec(
        name="cases",
        description="CRM cases.",
        key=("case_id",),
        columns=(
            Column("case_id", "string", "Case identifier (composite or derived when the export has none).", True),
            Column("customer_id", "string", "Customer of the case."),
            Column("contact_id", "string", "Contact that opened the case.", needed_by=("fcr_case",)),
            Column("opened_at", _TS, "When the case was opened.", True),
            Column("closed_at", _TS, "When it was (last) closed; null if open."),
            Column("reopened_count", "int64", "Times the case was reopened.", needed_by=("fcr_case",), default=0),
            Column("reason", "string", "Case reason."),
            Column("status", "string", "Case status (open, closed, ...)."),
            Column("subject", "string", "Free-text subject (scanned for PII, never shown)."),
        ),
        time_column="opened_at",
        free_text=("subject",),
    ),
    "surveys": TableSpec(
        name="surveys",
        description="Post-contact survey responses (and optionally invitations without response).",
        key=("survey_id",),
        columns=(
            Column("survey_id", "string", "Survey identifier (composite or derived when the export has none).", True),
            Column("contact_id", "string", "Contact surveyed.", needed_by=("perception",)),
            Column("customer_id", "string", "Customer surveyed."),
            Column("sent_at", _TS, "When the invitation was sent."),
            Column("responded_at", _TS, "When the customer responded; null if not."),
            Column("csat", "float64", "CSAT, 1-5."),
            Column("nps", "float64", "Likelihood to recommend, 0-10."),
            Column("ces", "float64", "Customer effort, 1-7 ('made it easy').", needed_by=()),
            Column("resolved", "boolean", "Customer-reported resolution.", needed_by=("fcr_survey",)),
            Column("comment", "string", "Free-text comment (scanned for PII, never shown)."),
        ),
        time_column="responded_at",
        free_text=("comment",),
    ),
    "qa": TableSpec(
        name="qa",
        description="Quality evaluations of contacts.",
        key=("evaluation_id",),
        columns=(
            Column("evaluation_id", "string", "Evaluation identifier (composite or derived when the export has none).", True),
            Column("contact_id", "string", "Contact evaluated."),
            Column("agent_id", "string", "Agent evaluated."),
            Column("evaluated_at", _TS, "When it was evaluated.", True),
            Column("score", "float64", "Score, 0-100.", True),
            Column("failed_items", "string", "Failed form items, separated by ';'."),
        ),
        time_column="evaluated_at",
    ),
    "intervals": TableSpec(
        name="intervals",
        description="WFM intervals per queue (15 or 30 minutes).",
        key=("queue", "interval_start"),
        columns=(
            Column("queue", "string", "Queue.", True),
            Column("interval_start", _TS, "Interval start.", True),
            Column("interval_minutes", "int64", "Interval length in minutes.", default=30),
            Column("offered", "int64", "Contacts offered."),
            Column("handled", "int64", "Contacts handled."),
            Column("forecast", "float64", "Forecast contacts."),
            Column("scheduled_agents", "float64", "Agents scheduled."),
            Column("staffed_agents", "float64", "Agents staffed."),
        ),
        time_column="interval_start",
    ),
}


def table_spec(name: str) -> TableSpec:
    """Return the declaration of canonical table ``name``."""
    try:
        return TABLES[name]
    except KeyError:
        known = ", ".join(TABLES)
        raise KeyError(f"unknown canonical table {name!r}; known tables: {known}") from None


def source_key(table: str) -> str:
    """The engagement key that gives canonical ``table``: legs come from the contacts source
    delivered at leg grain, so their columns are mapped under ``sources.contacts``.

    >>> source_key("legs"), source_key("cases")
    ('sources.contacts', 'sources.cases')
    """
    return "sources.contacts" if table == "legs" else f"sources.{table}"


def no_source(tables: list[str]) -> str:
    """Why what needs ``tables``, which the engagement does not give, cannot be measured.

    >>> no_source(["surveys"])
    'the engagement has no surveys source (sources.surveys)'
    >>> no_source(["legs"])
    'the contacts export has one row per contact, not one per transfer leg (sources.contacts.grain: leg)'
    """
    sources = [t for t in tables if t != "legs"]
    parts = [f"the engagement has no {' or '.join(sources)} source ({source_key(sources[0])})"] if sources else []
    if "legs" in tables:
        parts.append("the contacts export has one row per contact, not one per transfer leg "
                     "(sources.contacts.grain: leg)")
    return "; ".join(parts)


def ibis_schema(name: str):
    """The ibis schema of canonical table ``name`` (all columns)."""
    import ibis

    spec = table_spec(name)
    return ibis.schema({c.name: c.dtype for c in spec.columns})


def data_model_markdown() -> str:
    """The canonical model as a Markdown page for a client's data team."""
    lines = ["# The cxkit canonical data model", ""]
    lines.append(
        "Every source is mapped onto these tables by an adapter (a YAML mapping). "
        "Timestamps are instants (converted from the source timezone to UTC); durations are "
        "seconds. **Required** columns must be mapped; the others may be left out, and "
        "readiness then says which diagnostics are blocked or degraded."
    )
    lines.append("")
    lines.append(
        "Keys: a source whose export has no natural identifier is mapped without inventing one: a "
        "composite key joins raw columns (`survey_id: {columns: [conversation_id, question]}` gives "
        "`c-81|csat`), a derived key is an expression (`survey_id: {sql: \"conversation_id || '-' || "
        "sent\"}`). Customer identifiers (`customer_id` of every table) are replaced on load by keyed "
        "pseudonyms (HMAC-SHA256 with the engagement's key): the same customer has the same pseudonym in "
        "every source, and no raw identifier reaches a table or a report."
    )
    lines.append("")
    lines.append("Diagnostics: " + "; ".join(f"`{k}` = {v}" for k, v in DIAGNOSTICS.items()) + ".")
    for spec in TABLES.values():
        lines += ["", f"## `{spec.name}`{' (optional)' if spec.optional else ''}", "", spec.description, ""]
        lines.append(f"Key: {', '.join(f'`{k}`' for k in spec.key)}")
        lines += ["", "| column | type | required | needed by | meaning |", "|---|---|---|---|---|"]
        for c in spec.columns:
            meaning = c.description + (f" Codes: {', '.join(c.values)}." if c.values else "")
            lines.append(
                f"| `{c.name}` | {c.dtype} | {'yes' if c.required else ''} | "
                f"{', '.join(c.needed_by)} | {meaning} |"
            )
    return "\n".join(lines) + "\n"
