"""Which figures the export can support, and which caveats sit beside each: decided in one place.

Every number the report shows is a *figure* declared here: the canonical columns it reads and
the readiness diagnostics it belongs to. Two rules follow from the declaration, for every
section alike (METRICS.md, "absent is not zero"):

* A figure whose column the export does not have (not mapped, or null in every row) is **not
  measured**: it shows "not measured (the export has no transfer counts)", never 0.
* Every caveat readiness raised against a figure's diagnostics is printed beside the figure,
  wherever it appears, unless the caveat is about a column the figure does not read (a missing
  customer id says nothing about a transfer rate).

Sections never decide this themselves: they name the figure, :class:`Judge` answers.

Examples
--------
>>> cov = {"contacts": {"rows": 10, "columns": {"transfers": {"mapped": False, "non_null": 10},
...                                             "customer_id": {"mapped": True, "non_null": 4}}}}
>>> judge = Judge(readiness=None, coverage=cov)
>>> judge.not_measured("transfer_rate")
'not measured: the export has no transfer counts (contacts.transfers)'
>>> judge.not_measured("fcr_repeat") is None
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cxkit.schema import DIAGNOSTICS, TABLES, no_source, source_key
from cxkit.wording import ROW_NOUNS

__all__ = ["Figure", "FIGURES", "Caveat", "Judge", "column_words", "reason_columns", "reaches"]

#: Columns every figure over a table reads (a contact is its id, times, channel, direction and
#: outcome): a caveat about one of them applies to every figure over that table.
BASE_COLUMNS: dict[str, tuple[str, ...]] = {
    "contacts": ("contact_id", "arrived_at", "ended_at", "channel", "direction", "outcome"),
    "legs": ("contact_id", "leg_seq", "arrived_at", "ended_at", "channel", "direction", "outcome"),
    "cases": ("case_id", "opened_at"),
    "surveys": ("survey_id",),
    "qa": ("evaluation_id", "evaluated_at", "score"),
    "intervals": ("queue", "interval_start"),
}

#: What a reader calls a canonical column, for "the export has no ..." and "leaves out ... (not in
#: the export)": a plural noun phrase without an article ("has no the queue of each transfer leg")
_COLUMN_WORDS: dict[str, str] = {
    "contacts.customer_id": "customer identifiers",
    "contacts.answered_at": "answer times",
    "contacts.ivr_s": "IVR or bot times",
    "contacts.wait_s": "queue waiting times",
    "contacts.talk_s": "talk (handling) times",
    "contacts.hold_s": "hold times",
    "contacts.acw_s": "after-contact work times",
    "contacts.queued": "queue-entry records",
    "contacts.outcome": "outcomes",
    "contacts.transfers": "transfer counts",
    "contacts.auth_attempts": "identity checks",
    "contacts.contact_reason": "contact reasons",
    "contacts.reason_family": "reason families",
    "contacts.queue": "queues",
    "contacts.agent_id": "agent identifiers",
    "contacts.team": "teams",
    "contacts.entry_point": "entry points",
    "contacts.callback_scheduled": "scheduled callbacks",
    "legs.queue": "queues of the contact legs",
    "cases.contact_id": "links from cases to the contacts that opened them",
    "cases.closed_at": "case closing times",
    "cases.reopened_count": "case reopen counts",
    "surveys.contact_id": "links from surveys to the contacts they are about",
    "surveys.resolved": "resolved yes/no answers",
    "surveys.csat": "CSAT answers",
    "surveys.nps": "NPS answers",
    "surveys.ces": "CES answers",
    "surveys.sent_at": "survey invitation times",
    "qa.agent_id": "agents on the QA evaluations",
    "qa.contact_id": "links from QA evaluations to contacts",
    "intervals.offered": "offered volumes per interval",
    "intervals.forecast": "forecast volumes per interval",
    "intervals.staffed_agents": "staffed agents per interval",
    "intervals.scheduled_agents": "scheduled agents per interval",
}


def column_words(column: str) -> str:
    """What a reader calls ``table.column``: ``'transfer counts'`` for ``contacts.transfers``."""
    return _COLUMN_WORDS.get(column, column.split(".", 1)[-1].replace("_", " "))


@dataclass(frozen=True)
class Figure:
    """One figure the report can show.

    ``reads`` are the canonical columns (``table.column``) without which the figure is not
    measured; ``partial`` are columns it sums when present (when absent the figure is still
    shown, with a caveat saying what it leaves out); ``codes`` are coded values it counts
    (``contacts.outcome=contained``): an export whose value map cannot produce one does not
    measure the figure; ``diagnostics`` are the readiness matrix rows whose caveats apply.
    """

    label: str
    reads: tuple[str, ...]
    diagnostics: tuple[str, ...] = ()
    partial: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    #: coded columns the figure compares between contacts (a switch of channel): an export whose
    #: value map gives one code only cannot show a move to another, so it does not measure it
    several: tuple[str, ...] = ()
    #: coded columns whose changes between contacts the figure adds in when the export can show
    #: one (the effort index's channel switches): with one code only it is still shown, with a
    #: caveat saying it leaves them out, as for ``partial``
    switches: tuple[str, ...] = ()
    #: the figures a reader knows by one name ("repeat cost"): a verdict that spares every one of
    #: them says "the repeat cost figures" instead of listing six labels
    family: str | None = None
    #: reads the WFM export's queues that contacts entered when the contacts have queues
    #: (:func:`cxkit.capacity.queues_entered`): with none of them entered there is nothing to read,
    #: and the export's other queues (another channel's) are not the contacts'
    entered_queues: bool = False

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.split(".", 1)[0] for c in (*self.reads, *self.partial)))

    @property
    def columns(self) -> set[str]:
        """Every column the figure reads in any way: needed, summed when present, counted by
        code or compared between contacts."""
        return {*self.reads, *self.partial, *(c.split("=", 1)[0] for c in self.codes), *self.several, *self.switches}


_ID = ("contacts.customer_id",)
#: the family of the figures that price the repeats (Figure.family)
_REPEAT_COST = "repeat cost"
#: The codes eligible contacts need (METRICS.md: inbound, handled by an agent): an export whose
#: outcomes or directions cannot give them has no contact to judge, and its FCR is not measured
_ELIGIBLE = ("contacts.direction=inbound", "contacts.outcome=handled")
#: Repeats are inbound contacts: an export whose directions cannot say inbound has none to count
_INBOUND = ("contacts.direction=inbound",)
#: Abandonment is an outcome code: an export that cannot say abandoned has no abandon rate, and
#: no service level (abandons after the short-abandon threshold are in its denominator)
_ABANDONED = ("contacts.outcome=abandoned",)
#: What the effort index adds up when the export has it (METRICS.md, effort index).
_EFFORT_PARTS = ("contacts.ivr_s", "contacts.wait_s", "contacts.hold_s", "contacts.transfers", "contacts.auth_attempts")
_EFFORT_SWITCHES = ("contacts.channel",)
#: Handle-time parts AHT sums when the export has them (talk is always read).
_WORK = ("contacts.hold_s", "contacts.acw_s")

#: Every figure the report shows. Keys are what sections, results and findings name.
FIGURES: dict[str, Figure] = {
    # resolution
    "fcr_repeat": Figure("First-contact resolution (repeat-based)", _ID, ("fcr_repeat",), codes=_ELIGIBLE),
    "fcr_same_reason": Figure("FCR, same-reason repeats", (*_ID, "contacts.contact_reason"), ("fcr_repeat",),
                              codes=_ELIGIBLE),
    "fcr_transfer": Figure("FCR (transfer-adjusted)", (*_ID, "contacts.transfers"), ("fcr_repeat", "fcr_transfer"),
                           codes=_ELIGIBLE),
    # over eligible contacts (METRICS.md: inbound, handled, customer identified), as every FCR:
    # without customer ids none is eligible, and the row read "0 judged; without a case: 0"
    "fcr_case": Figure("FCR (case-based)", (*_ID, "cases.contact_id", "cases.closed_at"), ("fcr_case",),
                       codes=_ELIGIBLE),
    "fcr_survey": Figure("FCR (customer-reported)", ("surveys.contact_id", "surveys.resolved"), ("fcr_survey",)),
    "repeat_share": Figure("Repeat share of inbound contacts", _ID, ("fcr_repeat",), codes=_INBOUND),
    "recontact_curve": Figure("Time to the next contact", _ID, ("fcr_repeat",), codes=_ELIGIBLE),
    "fcr_by_reason": Figure("FCR by contact reason", (*_ID, "contacts.contact_reason"), ("fcr_repeat",),
                            codes=_ELIGIBLE),
    "fcr_by_queue": Figure("FCR by queue", (*_ID, "contacts.queue"), ("fcr_repeat",), codes=_ELIGIBLE),
    "fcr_by_team": Figure("FCR by team", (*_ID, "contacts.team"), ("fcr_repeat",), codes=_ELIGIBLE),
    "handle_time_trap": Figure(
        "Handle time against resolution, per agent", (*_ID, "contacts.agent_id", "contacts.talk_s"),
        ("fcr_repeat", "aht"), partial=("contacts.hold_s", "contacts.acw_s", "contacts.team"), codes=_ELIGIBLE
    ),
    "aht_fcr_by_team": Figure(
        "Handle time and resolution by team", (*_ID, "contacts.team", "contacts.talk_s"), ("fcr_repeat", "aht"),
        partial=("contacts.hold_s", "contacts.acw_s"), codes=_ELIGIBLE
    ),
    "transfer_rate": Figure("Transfer rate", ("contacts.transfers",), ("fcr_transfer",)),
    "repeat_after_transfer": Figure(
        "Repeats after a transfer", (*_ID, "contacts.transfers"), ("fcr_repeat", "fcr_transfer"), codes=_ELIGIBLE
    ),
    "transfer_paths": Figure("Transfer paths between queues", ("legs.queue",), ("fcr_transfer",)),
    # operations
    # an abandon is an outcome code: without outcomes, none is counted, and 0 abandons read as 0%
    # (an export of completed calls only, mapped {completed: handled}, read "abandon rate 0.0%" and
    # a service level over answered calls only); the threshold is the channel's: without a channel
    # code, e-mail was judged within 20 s. A contact is answered when the export gives its answer time
    # or its outcome is handled (operations.queue_flags): the outcome alone tells the answered from
    # the abandoned, so answer times are not needed (a month in which every call was abandoned has
    # none, and its service level is 0%, not "not measured")
    "service_level": Figure(
        "Service level",
        ("contacts.wait_s", "contacts.queued", "contacts.outcome", "contacts.channel"),
        ("service_level",), codes=_ABANDONED,
    ),
    # the scorecard's voice row: a centre without calls has no voice service level to set
    # against the 80/20 convention (it showed "–" there, beside rows saying why)
    "service_level_voice": Figure(
        "Voice service level",
        ("contacts.wait_s", "contacts.queued", "contacts.outcome", "contacts.channel"),
        ("service_level",), codes=("contacts.channel=voice", *_ABANDONED),
    ),
    # a count of queue entries: measured where the export records them, abandons or not
    "offered": Figure("Contacts offered to a queue", ("contacts.queued",), ("service_level",)),
    "asa": Figure("Average speed of answer", ("contacts.answered_at", "contacts.wait_s"), ("service_level",)),
    "abandon_rate": Figure("Abandon rate", ("contacts.queued", "contacts.wait_s", "contacts.outcome"),
                           ("service_level",), codes=_ABANDONED),
    "ivr_hangups": Figure("IVR hang-ups", ("contacts.ivr_s", "contacts.queued"), ("service_level",),
                          codes=_ABANDONED),
    "containment": Figure("Containment by the IVR or bot", ("contacts.ivr_s", "contacts.outcome"), (),
                          codes=("contacts.outcome=contained",)),
    "deflection": Figure("Deflected by the IVR or bot", ("contacts.ivr_s", "contacts.outcome"), (),
                         codes=("contacts.outcome=deflected",)),
    "aht": Figure("Average handle time", ("contacts.talk_s",), ("aht",), partial=("contacts.hold_s", "contacts.acw_s")),
    "volume": Figure("Contacts", (), ()),
    # journeys and effort
    "journeys": Figure("Journeys", _ID, ("journey_effort",)),
    # settled by its first contact, of the journeys judged: a journey too recent to judge is
    # left out, as a contact is from FCR, so FCR's readiness applies as well as the journeys'
    "journey_fcr": Figure("FCR of journeys by the way they start", _ID, ("journey_effort", "fcr_repeat")),
    "channel_switch": Figure("Channel switching", _ID, ("journey_effort",), several=("contacts.channel",)),
    "journey_transfers": Figure("Journeys with a transfer", (*_ID, "contacts.transfers"), ("journey_effort",)),
    "reauth": Figure("Repeat authentication", (*_ID, "contacts.auth_attempts"), ("journey_effort",)),
    # waits on the line only (cxkit.journey.LIVE_WAIT_CHANNELS): an email's response time is not a queue wait
    "journey_wait": Figure("Queue wait per journey (voice, chat, self-service)", (*_ID, "contacts.wait_s"),
                           ("journey_effort", "service_level")),
    "effort_index": Figure("Effort index", _ID, ("journey_effort",), partial=_EFFORT_PARTS,
                           switches=_EFFORT_SWITCHES),
    "effort_by_reason": Figure("Effort by first reason", (*_ID, "contacts.contact_reason"), ("journey_effort",),
                               partial=_EFFORT_PARTS, switches=_EFFORT_SWITCHES),
    "effort_switches": Figure("Channel switches in the effort index", _ID, ("journey_effort",),
                              several=("contacts.channel",)),
    "effort_transfers": Figure("Transfers in the effort index", (*_ID, "contacts.transfers"), ("journey_effort",)),
    "effort_reauth": Figure("Identity checks in the effort index", (*_ID, "contacts.auth_attempts"), ("journey_effort",)),
    "effort_ivr": Figure("IVR time in the effort index", (*_ID, "contacts.ivr_s"), ("journey_effort",)),
    "effort_wait": Figure("Waiting in the effort index", (*_ID, "contacts.wait_s"), ("journey_effort",)),
    "effort_hold": Figure("Hold in the effort index", (*_ID, "contacts.hold_s"), ("journey_effort",)),
    "entry_routing": Figure("Where arrivals go from each entry point", ("contacts.entry_point",), ()),
    "ivr_time": Figure("Time in the IVR or bot", ("contacts.ivr_s",), ()),
    # read on the customers' timeline, as repeats are: the customer-id checks' caveats reach it
    "callbacks_kept": Figure("Callbacks kept", (*_ID, "contacts.callback_scheduled"), ("fcr_repeat",)),
    # perception and follow-through
    "csat": Figure("CSAT", ("surveys.contact_id", "surveys.csat"), ("perception",)),
    "nps": Figure("NPS", ("surveys.contact_id", "surveys.nps"), ("perception",)),
    "ces": Figure("CES", ("surveys.contact_id", "surveys.ces"), ("perception",)),
    "survey_responses": Figure("Survey responses", ("surveys.contact_id",), ("perception",)),
    "effort_vs_ratings": Figure("Effort index against ratings", (*_ID, "surveys.contact_id"),
                                ("journey_effort", "perception"), partial=_EFFORT_PARTS, switches=_EFFORT_SWITCHES),
    "csat_by_effort": Figure("CSAT by effort decile", (*_ID, "surveys.contact_id", "surveys.csat"),
                             ("journey_effort", "perception"), partial=_EFFORT_PARTS, switches=_EFFORT_SWITCHES),
    "nonresponse": Figure("Who answers surveys", (*_ID, "surveys.contact_id"), ("perception",)),
    "qa_alignment": Figure("QA scores against resolution", (*_ID, "qa.agent_id", "contacts.agent_id"), ("fcr_repeat",),
                           codes=_ELIGIBLE),
    "case_followthrough": Figure("Case follow-through", ("cases.closed_at",), ("fcr_case",)),
    # capacity and cost: every cost figure carries the cost model's verdict; a figure priced
    # with prices derived from AHT also carries AHT's caveats (its rows or cards name
    # "derived_prices" / "repeat_cost_derived" when a derived price went into them)
    # the forecast of the queues contacts entered: a chat-only contacts export beside the centre's
    # whole WFM export stated "Forecasts off on Mon" from the voice queues no contact named
    "forecast_accuracy": Figure("Forecast accuracy", ("intervals.offered", "intervals.forecast"), (),
                                entered_queues=True),
    "staffing": Figure(
        # Erlang C takes each queue's AHT and channel from its contacts: without their queues
        # no interval pairs with any ("no WFM interval could be paired" sent the reader to the
        # WFM queue names)
        "Staffing against requirement",
        ("intervals.offered", "intervals.staffed_agents", "contacts.talk_s", "contacts.queue"), ("aht",),
        partial=_WORK,
    ),
    "service_level_by_gap": Figure(
        "Service level by staffing gap",
        ("intervals.offered", "intervals.staffed_agents", "contacts.talk_s", "contacts.queue", "contacts.wait_s"),
        ("aht", "service_level"), partial=_WORK, codes=_ABANDONED,
    ),
    "channel_prices": Figure("Cost per contact", (), ("cost_model",)),
    "derived_prices": Figure("Cost per contact derived from AHT", ("contacts.talk_s",), ("aht",), partial=_WORK),
    "repeat_cost": Figure("Cost of repeat contacts", _ID, ("fcr_repeat", "cost_model"), codes=_INBOUND,
                          family=_REPEAT_COST),
    "repeat_cost_derived": Figure(
        "Cost of repeat contacts (prices derived from AHT)", (*_ID, "contacts.talk_s"), ("fcr_repeat", "cost_model", "aht"),
        partial=_WORK, codes=_INBOUND, family=_REPEAT_COST,
    ),
    "repeat_cost_by_reason": Figure("Repeat cost by contact reason", (*_ID, "contacts.contact_reason"),
                                    ("fcr_repeat", "cost_model"), codes=_INBOUND, family=_REPEAT_COST),
    "repeat_cost_by_queue": Figure("Repeat cost by queue", (*_ID, "contacts.queue"), ("fcr_repeat", "cost_model"),
                                   codes=_INBOUND, family=_REPEAT_COST),
    "repeat_cost_by_team": Figure("Repeat cost by team", (*_ID, "contacts.team"), ("fcr_repeat", "cost_model"),
                                  codes=_INBOUND, family=_REPEAT_COST),
    "failure_demand": Figure("Failure demand", ("contacts.contact_reason",), ("cost_model",), codes=_INBOUND),
    "avoidable_cost": Figure("Repeat cost and failure demand, counted once", (*_ID, "contacts.contact_reason"),
                             ("fcr_repeat", "cost_model"), codes=_INBOUND, family=_REPEAT_COST),
    "cost_per_resolved_issue": Figure("Cost per resolved issue", _ID, ("fcr_repeat", "journey_effort", "cost_model")),
    # agent hours come from handle times: without them the hours lines read not measured. The
    # customer id likewise: without it the scenarios that move FCR or transfers (repeats) are not
    # worked through, each saying so in its row, and those that move handle time, volume or
    # containment are (they read "not measured" as a whole, the customer id being required)
    "scenarios": Figure(
        "What-if scenarios", (), ("fcr_repeat", "cost_model", "aht"), partial=(*_ID, "contacts.talk_s", *_WORK),
        codes=_ELIGIBLE,
    ),
    # findings
    "switch_after_contact": Figure("Next contact in another channel", _ID, ("journey_effort",),
                                   several=("contacts.channel",)),
    "abandon_by_queue": Figure(
        "Abandon rate by queue", ("contacts.queued", "contacts.wait_s", "contacts.queue"), ("service_level",),
        codes=_ABANDONED,
    ),
    "case_followthrough_by_reason": Figure("Case follow-through by reason", ("cases.closed_at", "cases.reason"),
                                           ("fcr_case",)),
    "case_reopens": Figure("Case reopens", ("cases.closed_at", "cases.reopened_count"), ("fcr_case",)),
}


@dataclass(frozen=True)
class Caveat:
    """A readiness caveat printed beside a figure: ``verdict`` (degraded / blocked / info)
    and a one-sentence ``reason``."""

    verdict: str
    reason: str


def reason_columns(reason: Mapping[str, Any]) -> list[str]:
    """The ``table.column`` names a readiness reason is about ([] for table-wide reasons)."""
    return list(reason.get("columns") or [])


class Judge:
    """Answers, for any declared figure, whether it is measured and which caveats it carries.

    Parameters
    ----------
    readiness
        The content of ``readiness.json`` (:func:`cxkit.readiness.load_readiness`), or None when
        readiness has not run (then no caveat can be attached, and :attr:`readiness_missing`
        says so).
    coverage
        ``{table: {"rows": n, "columns": {column: {"mapped": bool, "non_null": k}}}}`` for the
        tables present (:meth:`cxkit.session.Session.coverage`); a table missing from it is a
        source the engagement does not have.
    """

    def __init__(self, readiness: Mapping[str, Any] | None, coverage: Mapping[str, Any]):
        self.readiness = readiness
        self.coverage = coverage
        self._matrix: Mapping[str, Any] = (readiness or {}).get("matrix", {})

    @property
    def readiness_missing(self) -> bool:
        return self.readiness is None

    # ------------------------------------------------------------------ measured or not
    def measured_column(self, column: str) -> bool:
        """Whether ``table.column`` is in the export: the table is present, the column mapped
        (or derived), and not null in every row."""
        col = self._column(column)
        return bool(col and col["mapped"] and col["non_null"] > 0 and not self._no_code_read(col))

    def _column(self, column: str) -> Mapping[str, Any]:
        table, name = column.split(".", 1)
        return (self.coverage.get(table) or {}).get("columns", {}).get(name) or {}

    @staticmethod
    def _no_code_read(col: Mapping[str, Any]) -> bool:
        """A coded column mapped without a value map whose rows hold none of cxkit's codes (an
        export's 'Completed' and 'Abandoned' left unmapped): nothing in it is read."""
        return col.get("codes") is None and col.get("observed") == []

    def missing_columns(self, columns: Iterable[str]) -> list[str]:
        return [c for c in columns if not self.measured_column(c)]

    def absent(self, figure: str) -> str | None:
        """Why ``figure`` cannot be measured (``'the export has no X (table.column)'``), or None."""
        f = _figure(figure)
        absent_tables = [t for t in dict.fromkeys(c.split(".", 1)[0] for c in f.reads) if t not in self.coverage]
        if absent_tables:
            return no_source(absent_tables)
        missing = self.missing_columns(f.reads)
        # a coded column none of whose values is one of cxkit's codes: read, or needed for a code
        coded = [code.split("=", 1)[0] for code in f.codes]
        unread = [c for c in dict.fromkeys((*missing, *coded)) if self._no_code_read(self._column(c))]
        if unread:
            c = unread[0]
            table, name = c.split(".", 1)
            return (f"none of the export's {name} values is one of cxkit's codes "
                    f"({', '.join(TABLES[table].column(name).values)}): map them under "
                    f"{source_key(table)}.columns.{name}.values")
        if missing:
            unmapped = [c for c in missing if not self._column(c).get("mapped")]
            if unmapped:
                words = ", ".join(f"{column_words(c)} ({c})" for c in unmapped)
                return f"the export has no {words}"
            return self._blank(missing)
        if f.entered_queues and (none := self._no_queue_entered()):
            return none
        for column in f.several:
            one = self._one_code(column)
            if one is not None:
                table, name = column.split(".", 1)
                return f"{one}: a move to another cannot be seen ({source_key(table)}.columns.{name})"
        for code in f.codes:
            column, value = code.split("=", 1)
            table, name = column.split(".", 1)
            col = self.coverage[table]["columns"].get(name, {})
            possible = col.get("codes")
            if possible is not None and value not in possible:
                return (f"the export has no code for {_a(value)} {name} (its value map gives "
                        f"{', '.join(possible) or 'nothing'}: {source_key(table)}.columns.{name}.values)")
            if possible is None and "observed" in col and value not in col["observed"]:
                # raw codes or an sql expression: no row giving the code is all the data says, and
                # an export that does not record it reads the same as one where it never happened
                return (f"no {table[:-1] if table.endswith('s') else table} in the export has {_a(value)} {name} "
                        f"({source_key(table)}.columns.{name} gives none): the export may not record it")
        return None

    def wfm_queues(self) -> tuple[int, int]:
        """How many queues the WFM export names and how many of them an offered contact entered
        (the run's ``coverage["intervals"]["queues"]``, :func:`cxkit.capacity.wfm_queues`): (0, 0)
        without WFM intervals, or for a run stored before they were counted."""
        queues = (self.coverage.get("intervals") or {}).get("queues") or {}
        return int(queues.get("named") or 0), int(queues.get("entered") or 0)

    def _no_queue_entered(self) -> str | None:
        """Why a figure of the WFM queues contacts entered has none to read: the contacts have
        queues, and none of the WFM export's is one an offered contact entered
        (:meth:`wfm_queues`); else None."""
        named, entered = self.wfm_queues()
        if not self.measured_column("contacts.queue") or not named or entered:
            return None
        return (f"no offered contact entered {'the' if named == 1 else 'any of the'} WFM export's "
                f"{'queue' if named == 1 else f'{named:,} queues'} (intervals.queue against contacts.queue): "
                "check that sources.intervals.columns.queue gives the contacts' queue names")

    def _blank(self, columns: list[str]) -> str:
        """Why mapped ``columns`` give nothing: no row of their table is read (a survey, an
        evaluation or a case about no contact of the period is left out of every figure), or
        the rows read leave them blank. Never "the export has no X": it has the column."""
        table = columns[0].split(".", 1)[0]
        named = ", ".join(c for c in columns if c.startswith(f"{table}."))
        rows = int(self.coverage[table].get("rows") or 0)
        noun = ROW_NOUNS.get(table, f"{table} rows")
        if rows == 0:
            if table in ("surveys", "qa", "cases"):
                return (f"none of the export's {noun} is about a contact of the period ({named} mapped; readiness "
                        f"counts those naming a contact the contacts export does not have)")
            return f"the export has no {noun} in the period ({named} mapped)"
        words = " and ".join(column_words(c) for c in columns if c.startswith(f"{table}."))
        return f"the {words} ({named}) are blank in all {rows:,} {noun} the figures read"

    def not_measured(self, figure: str) -> str | None:
        """``'not measured: the export has no X (table.column)'`` or None when measured."""
        why = self.absent(figure)
        return None if why is None else f"not measured: {why}"

    def measured(self, figure: str) -> bool:
        return self.not_measured(figure) is None

    def left_out(self, figure: str) -> list[str]:
        """Partial columns the figure sums when present and the export does not have."""
        f = _figure(figure)
        return [c for c in f.partial if c.split(".", 1)[0] in self.coverage and not self.measured_column(c)]

    def _one_code(self, column: str) -> str | None:
        """``'the export has one channel (voice)'`` when the value map of the coded column
        ``table.column`` can give one code only (or none), or when it has no value map and its
        rows hold one value only; else None."""
        table, name = column.split(".", 1)
        col = self.coverage.get(table, {}).get("columns", {}).get(name, {})
        possible = col.get("codes")
        if possible is None:
            # raw codes or an sql expression: the rows say whether two values occur
            if col.get("several", True):
                return None
            possible = col.get("observed") or []
        if len(possible) >= 2:
            return None
        only = f" ({possible[0]})" if possible else ""
        return f"the export has one {name}{only}"

    # ------------------------------------------------------------------ caveats
    def caveats(self, figure: str) -> list[Caveat]:
        """Every caveat to print beside ``figure``: readiness reasons against its diagnostics
        that concern a column it reads (or the whole table), and what it leaves out."""
        f = _figure(figure)
        reads = set(f.reads) | set(f.partial)
        for table in f.tables:
            reads |= {f"{table}.{c}" for c in BASE_COLUMNS.get(table, ())}
        out: list[Caveat] = []
        seen: set[str] = set()
        for key in f.diagnostics:
            entry = self._matrix.get(key)
            if not entry or entry.get("verdict") == "ready":
                continue
            for reason in entry.get("reasons") or [{"verdict": entry["verdict"], "reason": entry["reason"]}]:
                if reason.get("verdict") in (None, "ready"):
                    continue
                if reason.get("check", "").endswith(".mapping") or reason.get("check", "").endswith(".present"):
                    continue  # an absent column or source is "not measured" / "left out", said below
                cols = reason_columns(reason)
                if cols and not (set(cols) & reads):
                    continue
                if not reaches(reason, figure):
                    continue  # a check that names the figures it limits
                text = _sentence(reason["reason"])
                if text not in seen:
                    seen.add(text)
                    out.append(Caveat(reason["verdict"], text))
        left = self.left_out(figure)
        if left:
            words = ", ".join(column_words(c) for c in left)
            out.append(Caveat("info", f"{f.label}: leaves out {words} (not in the export)"))
        for column in f.switches:
            one = self._one_code(column)
            if one is not None:
                name = column.split(".", 1)[1]
                out.append(Caveat("info", f"{f.label}: leaves out {name} switches, as {one}"))
        return out

    def caveats_for(self, figures: Iterable[str]) -> list[Caveat]:
        """Caveats of several figures, each once, in order."""
        out: list[Caveat] = []
        for key in figures:
            for c in self.caveats(key):
                if c not in out:
                    out.append(c)
        return out


def _a(word: str) -> str:
    """``'an abandoned'``, ``'a contained'``."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def _sentence(text: str) -> str:
    """A reason as a sentence: capitalised, unless it starts with a column name (``customer_id``,
    ``csat``: "Csat is outside 1-5" named no column).

    >>> _sentence("csat is outside 1-5"), _sentence("the contacts stop"), _sentence("surveys.csat is empty")
    ('csat is outside 1-5', 'The contacts stop', 'surveys.csat is empty')
    """
    text = str(text).strip()
    first = text.split(" ", 1)[0]
    named = "_" in first or "." in first or first in _COLUMN_NAMES
    return text if (not text or named) else text[:1].upper() + text[1:]


#: every canonical column's name: a reason starting with one keeps it as written
_COLUMN_NAMES = frozenset(c.name for t in TABLES.values() for c in t.columns)


def _figure(key: str) -> Figure:
    try:
        return FIGURES[key]
    except KeyError:
        raise KeyError(f"unknown figure {key!r}; declare it in cxkit.figures.FIGURES") from None


def reaches(reason: Mapping[str, Any], figure: str) -> bool:
    """Whether a readiness reason limits ``figure``: every figure of its diagnostic, unless it
    names the figures it limits (a check's ``meta.figures``, an unmapped column's readers)."""
    return not reason.get("figures") or figure in reason["figures"]


def _check_declarations() -> None:
    """Declarations name real tables, columns and diagnostics (run by the tests)."""
    for key, f in FIGURES.items():
        for code in f.codes:
            column, value = code.split("=", 1)
            table, name = column.split(".", 1)
            if value not in TABLES[table].column(name).values:
                raise AssertionError(f"figure {key}: {code} is not a canonical code")
        for c in (*f.reads, *f.partial, *f.several, *f.switches):
            table, name = c.split(".", 1)
            if table not in TABLES or name not in TABLES[table].names:
                raise AssertionError(f"figure {key}: {c} is not a canonical column")
        for c in (*f.several, *f.switches):
            table, name = c.split(".", 1)
            if not TABLES[table].column(name).values:
                raise AssertionError(f"figure {key}: {c} is not a coded column")
        for d in f.diagnostics:
            if d not in DIAGNOSTICS:
                raise AssertionError(f"figure {key}: {d} is not a readiness diagnostic")
