"""The report's methodology section: definitions in plain language and the parameters in force."""

from __future__ import annotations

import pandas as pd

from cxkit.session import Session

__all__ = ["DEFINITIONS", "definitions_table", "parameters_table", "cost_parameters", "sources_table"]

#: Plain-language definitions (the exact ones are in docs/METRICS.md).
DEFINITIONS: dict[str, str] = {
    "Contact": "One attempt by a customer to get service in one channel, from arrival to end, "
    "including every transfer inside it.",
    "Repeat contact": "A later inbound contact (any channel, any outcome) from the same identified "
    "customer that arrives within the repeat window after the earlier contact ended.",
    "FCR (repeat-based)": "Share of eligible contacts (inbound, handled by an agent, customer identified, "
    "reason not excluded) that were not followed by a repeat within the window.",
    "FCR (transfer-adjusted)": "As above, and the contact was not transferred.",
    "FCR (case-based)": "The CRM case opened by the contact was closed, never reopened, and no other "
    "contact was linked to it.",
    "FCR (customer-reported)": "Share of survey answers saying the issue was resolved; shown with the "
    "response rate.",
    "Repeat share": "Share of inbound contacts from identified customers that are themselves repeats. "
    "This is the volume a cost model prices; it is a different number from FCR.",
    "Right-censoring": "A contact whose window runs past the end of the data cannot be judged: it is "
    "left out of FCR (never counted as resolved) and the number left out is reported.",
    "End of data": "The latest arrival in the contacts feed, never later than the period end: a period "
    "that runs past the data does not judge the unobserved days as resolved.",
    "Journey": "A customer's chain of contacts in which each arrives within the window after the latest "
    "end of the earlier ones; it ends when no repeat follows (resolved) or the data ends (censored). A "
    "journey under way when the period began is counted from its first contact in the period.",
    "Service level": "Answered within the channel's threshold / (answered + abandoned after the short-"
    "abandon threshold). A contact whose wait the export does not give is not read as 0 s: answered, it "
    "is left out of the service level and the speed of answer; abandoned, it counts as abandoned after "
    "the short-abandon threshold.",
    "Abandon rate": "Abandoned from the queue after the short-abandon threshold / offered to a queue. "
    "Hang-ups in the IVR are reported separately.",
    "IVR hang-up rate": "Inbound contacts abandoned before reaching a queue / inbound contacts that entered "
    "the IVR or a bot (IVR seconds above zero).",
    "Containment": "Inbound contacts contained by the IVR or a bot, in any channel / inbound contacts that "
    "entered the IVR or a bot.",
    "Orphans": "Survey answers, QA evaluations and cases whose contact is not in the contacts feed: counted "
    "by the readiness checks and left out of every figure. Those about a contact of the feed outside the "
    "period belong to that contact's period and are left out of this one's figures too.",
    "AHT": "(talk + hold + after-contact work) / handled contacts of both directions; the median is "
    "shown beside the mean.",
    "Confidence interval": "Every rate carries a 95% Wilson interval and its denominator; segments under "
    "the minimum size are shown but never ranked.",
    "Cost per contact": "Per channel: the price the engagement gives, else derived as AHT hours x loaded hourly "
    "cost / occupancy (+ overhead per contact). A channel with neither is 'not priced': listed and left out of "
    "totals, never priced at 0.",
    "Repeat cost": "Repeat contacts (the repeat-share numerator) x the cost per contact of each repeat's own "
    "channel, for the data period (local days from the first to the last arrival); the yearly figure is the "
    "period figure x 365 / period days (an extrapolation when the period is shorter than a year).",
    "Failure demand": "Inbound contacts whose reason the engagement tags as avoidable, priced by channel. Repeats "
    "among them are also in repeat cost; the avoidable total counts them once.",
    "Cost per resolved issue": "Cost of all contacts in judged journeys / resolved journeys, by the journey's "
    "first reason, beside the cost per contact of the same journeys.",
    "Repeats per unresolved contact": "Measured on the client's journeys: the contacts that follow an eligible "
    "contact a later contact followed, until the customer's chain ends (mean, with a 95% interval). It links an "
    "FCR change to the repeats it avoids.",
    "Scenario": "A what-if change (FCR, AHT, transfers, containment, volume) worked through line by line to "
    "contacts avoided, agent hours, FTE (hours / productive hours per FTE) and net saving; every input has a "
    "low / base / high value, a seeded Monte Carlo gives P10 / P50 / P90, and a tornado ranks the inputs.",
    "Data period and annualisation": "Cost figures cover the data period: local calendar days from the first to "
    "the last arrival, empty days included. A yearly figure is the period figure x 365 / period days. Over fewer "
    "days it is an extrapolation that assumes the period is typical of the year; over a year it is the period's "
    "own; over more, the average year. Each is labelled as such wherever it is shown.",
    "Avoidable cost": "Repeat cost + failure-demand cost - the cost of repeats whose reason is failure demand (in "
    "both figures, counted once).",
    "Scenario arithmetic": "FCR lever: unresolved contacts avoided = FCR change x eligible contacts; repeats avoided "
    "= that x repeats per unresolved contact; saving = repeats avoided x the mean price of those in priced channels "
    "x their share in priced channels (the others have no price and are kept out); agent hours = repeats avoided x "
    "their mean handle time / occupancy. AHT lever: hours = -(handled contacts left after the avoided ones) x "
    "change / 3600 / occupancy, priced at the loaded hourly cost (else at the hourly cost the given "
    "prices imply: sum of handled x price x occupancy / handle hours). Transfer lever: transfers avoided = (measured "
    "rate - target) x handled; hours = transfers avoided x (AHT transferred - AHT not transferred) / 3600 / "
    "occupancy, priced at the hourly cost; plus repeats avoided = eligible contacts no longer transferred x (FCR "
    "not transferred - FCR transferred) x repeats per unresolved contact. Containment lever: agent contacts avoided "
    "= (target - measured containment) x self-service entries (one agent contact per extra contained entry, an "
    "assumption); saving = that x (mean price of a priced agent contact - self-service price) x the share of agent "
    "contacts in priced channels (those without a price are kept out); hours = that x agent AHT / 3600 / occupancy. "
    "Volume lever: contacts = -change x inbound contacts; saving = -change x cost of the priced "
    "inbound contacts; hours = -change x inbound handle hours / occupancy. A net saving some of whose contacts "
    "have no price says the share priced beside it. Levers add (first order). Per year = "
    "period x 365 / period days. FTE = agent hours per year / productive hours per FTE. Agent hours become cash only "
    "when staffing changes with them. Without handle times in the export, every hours line that needs one (and so "
    "the scenario's agent hours, FTE and any saving priced from those hours) is not measured, never 0; an AHT change's "
    "own hours need none.",
    "Monte Carlo": "Each scenario input with a low / high range is drawn from a triangular distribution (low, base, "
    "high) by numpy's seeded generator (the engagement's seed, and the scenario's name): the same seed gives the "
    "same P10 / P50 / P90, byte for byte. The seed and the number of draws are in the parameters below.",
    "Tornado": "The yearly net saving with one input at its low and then at its high value, the others at base; "
    "inputs ranked by how far they move it.",
    "Consistency flags": "A scenario is flagged when its inputs contradict each other or the measured baseline: an "
    "FCR above 100%, more repeats avoided than exist, a claimed drop in repeats outside what the FCR change "
    "produces at the measured repeats per unresolved contact, or more FTE saved than are staffed.",
    "Erlang C": "Agents an interval needs to reach the service-level target, from offered contacts and the "
    "queue's measured AHT, assuming random arrivals, exponential handle times and no abandonment: traffic A = "
    "offered x AHT / interval seconds; service level = 1 - P(wait) x exp(-(agents - A) x threshold / AHT); the "
    "requirement is the fewest agents reaching the target.",
    "Forecast accuracy": "MAPE = mean of |forecast - offered| / offered over intervals with contacts; WAPE = "
    "sum of |forecast - offered| / sum offered; bias = (forecast - offered) / offered, summed.",
}

_MEANINGS = {
    "period": "Period diagnosed (local dates, inclusive)",
    "start_of_data": "Start of data: earliest arrival in the period (the first repeat window runs from it; local time)",
    "end_of_data": "End of data used for right-censoring (latest arrival, capped at the period end; local time)",
    "customer_pseudonyms": "Customer identifiers replaced by keyed pseudonyms on load",
    "repeat_window_days": "Repeat window (days; a day is exactly 86,400 s)",
    "sensitivity_windows_days": "Windows shown in the FCR sensitivity table",
    "exclude_reasons": "Contact reasons excluded from FCR",
    "min_n": "Minimum segment size to rank",
    "max_contacts_per_customer_per_day": "Contacts a day above which a customer id is shared, test or default (x period days)",
    "exclude_implausible_customers": "Such ids read as unidentified in repeat metrics",
    "sl_seconds": "Service-level threshold per channel (s)",
    "short_abandon_s": "Short-abandon threshold (s)",
    "callback_promise_business_days": "Callback promise (business days)",
    "case_open_age_days": "Case age counted as overdue (days)",
    "cost_per_contact": "Cost per contact given per channel",
    "loaded_hourly_cost": "Loaded cost of an agent hour (derives prices from AHT)",
    "occupancy": "Occupancy (share of paid agent time spent handling)",
    "overhead_per_contact": "Overhead added to a derived cost per contact",
    "productive_hours_per_fte": "Productive hours per FTE per year",
    "failure_demand_reasons": "Reasons tagged as failure demand",
    "seed": "Seed of the scenario Monte Carlo",
    "monte_carlo_draws": "Monte Carlo draws per scenario",
    "service_level_target": "Service-level target (Erlang C staffing, and the finding on service level below target)",
    "channels": "Channels staffed with Erlang C",
    "max_occupancy": "Occupancy cap when sizing agents",
    "worst_dayparts": "Worst forecast day-parts listed",
    "inputs_note": "Where the cost inputs come from",
    "scenarios": "Scenarios evaluated",
    "currency": "Currency of every cost figure",
}


def definitions_table() -> pd.DataFrame:
    """The definitions as a two-column table."""
    return pd.DataFrame({"Term": list(DEFINITIONS), "Definition": list(DEFINITIONS.values())})


def parameters_table(session: Session) -> pd.DataFrame:
    """Every parameter in force for this run, with what it means."""
    rows = []
    for key, value in session.parameters().items():
        if key == "seed":
            value = str(value)  # an identifier, not a quantity: no thousands separators
        elif isinstance(value, dict):
            value = ", ".join(f"{k}: {_number(v)}" for k, v in value.items()) or "none"
        elif isinstance(value, list):
            value = ", ".join(_number(v) for v in value) or "none"
        else:
            value = _number(value)
        rows.append({"Parameter": _MEANINGS.get(key, key.replace("_", " ")), "Value": value})
    return pd.DataFrame(rows)


def _number(value: object) -> str:
    """``7.0`` as ``7``, ``0.82`` as ``0.82``; anything else as text."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        # whole numbers in full (10,000 draws, not 1e+04); fractions as they are (0.82)
        return f"{int(value):,}" if float(value).is_integer() else f"{value:,g}"
    return str(value)


def cost_parameters(engagement) -> dict:
    """The cost, scenario and capacity parameters in force (for the methodology page and the
    run's results manifest, through :meth:`cxkit.session.Session.parameters`); scenarios are
    listed by name. ``parameters_table`` renders the same keys."""
    c, k = engagement.cost, engagement.capacity
    out = c.model_dump(exclude={"scenarios"})
    out["scenarios"] = [s.name for s in c.scenarios] or "default set"
    out.update(k.model_dump())
    out["currency"] = engagement.currency
    return out


#: what one row of a canonical table is, in words (contacts: as the export delivers them)
_ROWS = {"legs": "leg (a segment of a contact)", "cases": "case", "surveys": "survey answer", "qa": "QA evaluation",
         "intervals": "queue and interval"}


def _row_is(table: str, grain: str) -> str:
    """What one row of ``table`` is: a source's ``grain`` (contact or leg) says it for the
    contacts only; every other table has one grain of its own.

    >>> _row_is("contacts", "leg"), _row_is("contacts", "contact"), _row_is("cases", "contact")
    ('leg in the export, folded into contacts', 'contact', 'case')
    """
    if table == "contacts":
        return "leg in the export, folded into contacts" if grain == "leg" else "contact"
    return _ROWS.get(table, table)


def sources_table(session: Session) -> pd.DataFrame:
    """The sources read: table, origin file name (not its full path), format and columns mapped."""
    from pathlib import Path

    from cxkit.schema import TABLES

    rows = []
    for name in session.tables:
        report = session.load_reports["contacts" if name == "legs" else name]
        origin = report.origin
        origin = Path(origin).name if "/" in origin and "(" not in origin else origin
        provided = session.mapped_columns(name)
        spec = TABLES[name]
        rows.append(
            {
                "Table": name,
                "Source": origin + (" (the legs of each contact)" if name == "legs" else ""),
                "Format": report.format,
                "One row per": _row_is(name, report.grain),
                "Columns mapped": f"{len([c for c in spec.names if c in provided])} of {len(spec.names)}",
                "Not provided": ", ".join(c for c in spec.names if c not in provided) or "none",
            }
        )
    return pd.DataFrame(rows)
