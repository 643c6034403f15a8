"""Sentences about the client's data, computed from the run's results.

A report section may state a fact about the data only through a function here: every number
and every direction ("still rising", "falls", "no clear relation") is read from the results,
with the rule that decides it stated in the function. Nothing is fixed text about the data.

Each function takes the run's :class:`cxkit.results.ResultSet` and returns a
:class:`cxkit.display.Html` (a paragraph or cards) or plain text.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from cxkit import display
from cxkit.wording import days as in_days
from cxkit.wording import first_days
from cxkit.wording import plural  # noqa: F401 (the sections' helper, re-exported)

__all__ = [
    "FLAT_POINTS_PER_WEEK",
    "recontact_reading",
    "repeat_share_edge",
    "repeat_share_floor",
    "scorecard_floors",
    "journey_edge",
    "journey_edge_clause",
    "repeat_share_edge_words",
    "why_unjudged",
    "data_days",
    "handle_time_trap",
    "no_flagged_agent",
    "trap_not_compared",
    "team_handle_time_reading",
    "csat_effort_reading",
    "plural",
    "pct",
]

#: The recontact curve counts as "nearly flat" after the window when it rises by less than this
#: many percentage points per further week (a stated convention, shown in the sentence).
FLAT_POINTS_PER_WEEK = 1.0


def pct(x: float, decimals: int = 1) -> str:
    return f"{100 * x:.{decimals}f}%"


def r2(x: float) -> str:
    """A correlation with two decimals, never ``-0.00``."""
    return f"{round(float(x), 2) + 0.0:.2f}"


def _num(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _paragraph(text: str) -> display.Html:
    import html

    return display.Html(text, f"<p>{html.escape(text)}</p>")


# ---------------------------------------------------------------- the period's left edge


def _within_one_window(results: Any) -> bool:
    """Whether the period is no longer than the repeat window: then none of it sees a whole
    window back, and every contact and journey of it is in the first window."""
    return float(results.manifest["period"]["days"]) <= float(results.param("repeat_window_days"))


def _late_start(results: Any) -> str | None:
    """The local day the contacts start on when it is after the period's first day (an export
    that starts late: its first repeat window runs from there, ``Session.start_of_data``), else
    None."""
    start = str(results.manifest.get("parameters", {}).get("start_of_data") or "")[:10]
    first = str(results.manifest.get("period", {}).get("start") or "")[:10]
    return start if start and first and start > first else None


def _edge_terms(results: Any, window: float) -> dict[str, str]:
    """How the report names the data's left edge: the period's start, or the day a late export
    starts on. ``first``: the first window ("the period's first 7 days"); ``earlier``: what a
    contact there cannot be seen repeating; ``began``: when a journey counted from its first
    contact in the data was under way; ``data``: where the earlier contact must be."""
    late = _late_start(results)
    if late is None:
        return {"first": f"the period's {first_days(window)}", "earlier": "one before the period",
                "began": "when the period began", "data": "in the period",
                "short": f"the period's {first_days(window)}"}
    return {"first": f"the {first_days(window)} of the data (the contacts start on {late})",
            "earlier": "an earlier one", "began": "when the data began", "data": "in the data",
            "short": f"the data's {first_days(window)}"}


def _edge_parts(results: Any, required: bool = False) -> tuple[dict[str, Any], dict[str, Any] | None, float] | None:
    """The ``repeat_share_edge`` rows (first window, after it) and the window; None when the
    run has no such result or no inbound contact arrived in the first window. A run that
    computed some results only (``compute_results(names=...)``) may not have it: then None,
    unless ``required`` (the section that shows it: a run folder of an older cxkit says so)."""
    from cxkit.results import AFTER_FIRST_WINDOW, FIRST_WINDOW, first_window_seen

    if not required and "repeat_share_edge" not in results.manifest["results"]:
        return None
    frame = results.frame("repeat_share_edge")
    if not first_window_seen(frame) or results.judge.not_measured("repeat_share"):
        return None
    rows = {str(r["part"]): r.to_dict() for _, r in frame.iterrows()}
    first, after = rows[FIRST_WINDOW], rows.get(AFTER_FIRST_WINDOW)
    if after is not None and not _num(after.get("denominator")):
        after = None
    return first, after, float(results.param("repeat_window_days"))


def repeat_share_floor(results: Any) -> str | None:
    """A clause for a figure built on the repeats (the repeat share, the repeat cost): it is a
    floor, with the two measured shares; None when no contact arrived in the first window.

    A contact arriving within the repeat window of the period's start cannot be seen repeating
    a contact before the period (the contacts are the period's), so its repeats can only be
    undercounted: a floor, whatever the two shares say.
    """
    parts = _edge_parts(results)
    if parts is None:
        return None
    first, after, window = parts
    if _within_one_window(results):
        return (f"a floor: the period is no longer than the {window:g}-day repeat window, so none of its contacts "
                "can be seen repeating one before the period")
    against = ("; none arrived after it" if after is None
               else f", against {pct(after['rate'])} of the {int(after['denominator']):,} after it")
    edge = _edge_terms(results, window)
    return (f"a floor: a contact in {edge['first']} cannot be seen repeating {edge['earlier']} "
            f"({pct(first['rate'])} of its {int(first['denominator']):,} inbound contacts counted as repeats"
            f"{against})")


def repeat_share_edge_words(results: Any) -> str | None:
    """Why the repeats are a floor, in a few words for a card or a closing clause ('the period's
    first 7 days see no earlier contact'); None when :func:`repeat_share_floor` is."""
    parts = _edge_parts(results)
    if parts is None:
        return None
    _, _, window = parts
    if _within_one_window(results):
        return f"the period is no longer than the {window:g}-day window: no contact of it sees a whole window back"
    return f"{_edge_terms(results, window)['short']} {'sees' if float(window) == 1 else 'see'} no earlier contact"


def _journey_edge_parts(results: Any) -> tuple[int, int, float, bool] | None:
    """(journeys beginning in the period's first repeat window, all journeys, the window, whether
    the period is no longer than the window) from ``journey_edge``; None when the run has no
    such result, journeys are not measured, or no journey began in the first window."""
    from cxkit.results import AFTER_FIRST_WINDOW, FIRST_WINDOW

    if "journey_edge" not in results.manifest["results"] or results.judge.not_measured("journeys"):
        return None
    frame = results.frame("journey_edge")
    counts = {} if frame is None else {str(r["part"]): int(_num(r["journeys"]) or 0) for _, r in frame.iterrows()}
    first = counts.get(FIRST_WINDOW, 0)
    if not first:
        return None
    return (first, first + counts.get(AFTER_FIRST_WINDOW, 0), float(results.param("repeat_window_days")),
            _within_one_window(results))


def _any_of(journeys: int) -> str:
    return "its only journey" if journeys == 1 else f"any of its {journeys:,} journeys"


def journey_edge_clause(results: Any) -> str | None:
    """A clause for a figure built on journeys (their count, contacts per journey, the shares of
    journeys, cost per resolved issue): a journey under way when the period began is counted
    from its first contact in it, with how many journeys began where that can happen; None when
    none did (or journeys are not measured)."""
    parts = _journey_edge_parts(results)
    if parts is None:
        return None
    first, total, window, whole = parts
    if whole:
        return (f"a journey under way when the period began is counted from its first contact in it, and the period is "
                f"no longer than the {window:g}-day repeat window: {_any_of(total)} may be one")
    edge = _edge_terms(results, window)
    return (f"a journey under way {edge['began']} is counted from its first contact {edge['data']} ({first:,} of the "
            f"{total:,} journeys began in {edge['first']}, where that can happen)")


def journey_edge(results: Any) -> display.Html:
    """Under the journey figures: journeys are counted from the period's start, and what that
    can do to them; empty when no journey began in the period's first repeat window."""
    parts = _journey_edge_parts(results)
    if parts is None:
        return display.Html("", "")
    first, total, window, whole = parts
    edge = _edge_terms(results, window)
    if whole:
        where = f"The period is no longer than the {window:g}-day repeat window, so {_any_of(total)} may be one"
    else:
        where = (f"{first:,} of the {total:,} journeys ({pct(first / total)}) began in {edge['first']}, where that "
                 "can happen")
    before = ("the contacts before the period are not in this data" if _late_start(results) is None
              else "the contacts before the export starts are not in this data")
    return _paragraph(
        f"A journey under way {edge['began']} is counted from its first contact {edge['data']}, as a journey of "
        f"its own: {before}. {where}. Such a journey is part of an earlier "
        "one: where there are any, there are fewer journeys than counted here, each with more contacts, channel "
        "switches and repeat authentications.")


def scorecard_floors(results: Any) -> display.Html:
    """Under the balanced scorecard: why its repeat share reads "(a floor)" and is placed against
    its range only when already above it, and how its journey measures count a journey under
    way when the period began; empty when neither applies."""
    if results.frame("scorecard") is None:
        return display.Html("", "")
    said = []
    if (floor := repeat_share_floor(results)) is not None:
        said.append(f"The repeat share is {floor}. A floor is placed against its range only when it is already above "
                    "it.")
    if (edge := journey_edge_clause(results)) is not None and _scorecard_reads_journeys(results):
        said.append(f"In the journey measures, {edge}.")
    return _paragraph(" ".join(said)) if said else display.Html("", "")


def _scorecard_reads_journeys(results: Any) -> bool:
    """Whether a measured row of the balanced scorecard is built on journeys."""
    from cxkit.scorecard import JOURNEY_METRICS

    frame = results.frame("scorecard")
    return bool(frame.loc[frame["metric"].isin(JOURNEY_METRICS), "value"].notna().any())


def repeat_share_edge(results: Any) -> display.Html:
    """The repeat share in the period's first window and after it, and what that means for
    the share and the repeat cost (``repeat_share_edge``); empty when nothing arrived in the
    first window or repeat share is not measured."""
    parts = _edge_parts(results, required=True)
    if parts is None:
        return display.Html("", "")
    first, after, window = parts
    if _within_one_window(results):
        return _paragraph(
            f"Repeat share counts a repeat only when the earlier contact is in the period. The period is no longer than "
            f"the {window:g}-day repeat window, so none of its contacts can be seen repeating one before the "
            "period: the repeat share and the repeat cost are floors, by an amount this data cannot show.")
    against = (", and none arrived after them" if after is None
               else f", against {pct(after['rate'])} of the {int(after['denominator']):,} arriving after them (95% CI "
                    f"{pct(after['ci_low'])}-{pct(after['ci_high'])})")
    edge = _edge_terms(results, window)
    return _paragraph(
        f"Repeat share counts a repeat only when the earlier contact is {edge['data']}. A contact in {edge['first']} "
        f"cannot be seen repeating {edge['earlier']}: {pct(first['rate'])} of the "
        f"{int(first['denominator']):,} inbound contacts arriving then are counted as repeats{against}. The repeat "
        "share of the whole period, and the repeat cost priced on it, are floors.")


# ---------------------------------------------------------------- recontact curve


def recontact_reading(results: Any) -> display.Html:
    """Where the recontact curve stands at the repeat window and after it, from the data.

    The curve is read at the window (the bin ending at ``repeat_window_days``) and at its last
    bin; the rise after the window, in points per week, decides between "nearly flat" (under
    :data:`FLAT_POINTS_PER_WEEK`) and "still rising".
    """
    frame = results.frame("recontact_curve")
    if frame is None or results.judge.not_measured("recontact_curve"):
        return display.Html("", "")
    window = float(results.param("repeat_window_days"))
    frame = frame[frame["at_risk"] > 0]
    if frame.empty:
        return _paragraph("No eligible contact was followed long enough to draw the curve.")
    at_w = frame[frame["upper_d"] <= window + 1e-9]
    last = frame.iloc[-1]
    if at_w.empty:
        return _paragraph(
            f"The data follows contacts for at most {in_days(last['upper_d'])}, less than the "
            f"{window:g}-day window: by then {pct(last['cumulative_share'])} had been followed by a recontact."
        )
    w = at_w.iloc[-1]
    observed, min_n = int(frame["at_risk"].max()), int(results.param("min_n"))
    text = (
        f"By {in_days(w['upper_d'])} after a contact ended, an estimated {pct(w['cumulative_share'])} of eligible "
        f"contacts had been followed by the customer's next contact."
    )
    if last["upper_d"] > w["upper_d"] + 1e-9:
        rise = float(last["cumulative_share"] - w["cumulative_share"])
        weeks = (float(last["upper_d"]) - float(w["upper_d"])) / 7.0
        # judged as printed: 0.96 is shown as 1.0, and "1.0 points a week ... under 1 point a
        # week" contradicted itself
        per_week = round(100 * rise / weeks, 1)
        text += (
            f" By {in_days(last['upper_d'])} it is {pct(last['cumulative_share'])}: {100 * rise:.1f} more points, "
            f"{per_week:.1f} points a week after the {window:g}-day window."
        )
        if per_week < FLAT_POINTS_PER_WEEK:
            text += (f" The curve is nearly flat after the window (under {FLAT_POINTS_PER_WEEK:g} point a week): "
                     "a longer window would add few repeats.")
        else:
            text += (f" The curve is still rising after the window (at least {FLAT_POINTS_PER_WEEK:g} point a "
                     "week): a longer window would count more returns as repeats and give a lower FCR, as the "
                     "table above shows.")
        thin = frame[(frame["lower_d"] >= w["upper_d"] - 1e-9)]
        if len(thin) and int(thin["at_risk"].min()) < min_n <= observed:
            text += (f" The last spans rest on few contacts still observed ({int(thin['at_risk'].min()):,} at the "
                     "end): read them as indicative.")
    if observed < min_n:
        text += (f" The curve rests on {plural(observed, 'eligible contact')}, fewer than the minimum sample of "
                 f"{min_n}: read it as indicative.")
    return _paragraph(text)


def why_unjudged(frame: pd.DataFrame, results: Any) -> pd.DataFrame:
    """The sensitivity table with a ``why`` column where a row judged no contact, from its own
    counts: contacts too recent for the window (``censored``), contacts without a recorded
    reason where same-reason repeats need one (``unknown_reason``), or no eligible contact; and
    where it judged fewer than ``min_n``, that it rests on too few."""
    min_n = int(results.param("min_n"))

    def why(row: Any) -> str:
        n = _num(row["denominator"])
        if n is not None and 0 < n < min_n:
            # a rate on a handful of contacts (a 30-day window on a month: "100.0%" on 1) is shown,
            # said to be too few, as segments under min_n are
            return f"only {int(n):,} judged, under the minimum of {min_n:,}: too few to read"
        # over the days the contacts cover (first to last arrival), not the period asked for
        return why_none_judged(row, results)

    return frame.assign(why=[why(row) for _, row in frame.iterrows()])


def data_days(results: Any) -> int | None:
    """Local days from the first to the last arrival (the ``data_period`` result, which cost
    figures annualise over), or None when the run has no such result."""
    period = results.frame("data_period")
    if period is None or period.empty or _num(period.iloc[0]["days"]) is None:
        return None
    return int(period.iloc[0]["days"])


def why_none_judged(row: Any, results: Any) -> str:
    """Why an FCR row (``fcr_overall``, a sensitivity row) judged no contact, over the days the
    contacts cover ("" when it judged some)."""
    return _why_none(row, data_days(results) or results.manifest["period"]["days"])


#: :func:`_why_none`'s words when no contact was eligible (a table cell; the summary's card
#: spells out what eligible means in their place)
NO_ELIGIBLE = "no eligible contact"


def _why_none(row: Any, days: int) -> str:
    """Why one row of the sensitivity table judged no contact ("" when it judged some).

    Examples
    --------
    >>> _why_none({"window_days": 30, "denominator": 0, "censored": 27, "unknown_reason": 0}, 28)
    'a 30-day window needs that long after a contact ends; the data covers 28 days'
    >>> _why_none({"window_days": 7, "denominator": 0, "censored": 0, "unknown_reason": 1500}, 31)
    'no contact has a recorded reason (same-reason repeats need one)'
    >>> _why_none({"window_days": 14, "denominator": 0, "censored": 5, "unknown_reason": 9}, 31)
    '5 too recent for a 14-day window, 9 without a recorded reason (same-reason repeats need one)'
    >>> _why_none({"window_days": 7, "denominator": 12, "censored": 3, "unknown_reason": 0}, 31)
    ''
    """
    def count(key: str) -> int:
        value = row.get(key)
        return 0 if value is None or pd.isna(value) else int(value)

    censored, unknown, window = count("censored"), count("unknown_reason"), float(row["window_days"])
    if count("denominator"):
        return ""
    if censored and unknown:
        return (f"{censored:,} too recent for a {window:g}-day window, {unknown:,} without a recorded reason "
                "(same-reason repeats need one)")
    if censored:
        return f"a {window:g}-day window needs that long after a contact ends; the data covers {in_days(days)}"
    if unknown:
        return "no contact has a recorded reason (same-reason repeats need one)"
    return NO_ELIGIBLE


# ---------------------------------------------------------------- handle-time trap


def handle_time_trap(results: Any) -> display.Html:
    """Cards and a reading of the within-team handle-time trap, from the stored results."""
    import html

    judge = results.judge
    if judge.not_measured("handle_time_trap"):
        # the chart above says it (present.chart): a second note here said it again
        return display.Html("", "")
    corr = results.frame("handle_time_trap_correlations").set_index("comparison")
    agents = results.frame("handle_time_trap")
    min_n = int(results.param("min_n"))
    inside, across = corr.loc["within team"], corr.loc["across agents"]
    n, groups = int(inside["n"]), int(inside["peer_groups"])
    flagged = int(agents["flagged"].fillna(False).astype(bool).sum())
    teams_known = judge.measured_column("contacts.team")
    peers = "their team's" if teams_known else "the center's"
    rho, lo, hi = _num(inside["spearman"]), _num(inside["ci_low"]), _num(inside["ci_high"])
    interval = f"95% CI {r2(lo)} to {r2(hi)}; " if lo is not None and hi is not None else ""
    groups_text = plural(groups, "team") if teams_known else "one group (the export has no teams)"
    cards = [
        {"label": "AHT and FCR within teams (rank correlation)" if teams_known else "AHT and FCR (rank correlation)",
         "value": rho, "format": "decimal2",
         "detail": f"{interval}{plural(n, 'agent')} in {groups_text}, each against {peers} typical agent"},
        {"label": "Agents flagged", "value": f"{flagged} of {n}",
         "detail": f"AHT at most 75% of {peers} typical agent and FCR at least 5 points below it"},
    ]
    if teams_known:
        cards.insert(1, {"label": "Across all agents, teams mixed", "value": _num(across["spearman"]),
                         "format": "decimal2", "detail": "the comparison a center-wide chart makes"})
    if rho is None:
        reading = "Too few agents qualify to compare handle time and resolution."
    elif lo is not None and lo > 0:
        reading = (f"Agents who take longer than {peers} typical agent resolve more (rank correlation {r2(rho)}, "
                   "an interval above zero): a handle-time target would likely buy repeats.")
    elif hi is not None and hi < 0:
        reading = (f"Faster agents resolve as much or more (rank correlation {r2(rho)}, an interval below zero): "
                   "there is no sign that short contacts buy repeats in general.")
    else:
        reading = (f"Speed and resolution do not move together across the agents compared (rank correlation "
                   f"{r2(rho)}, an interval that includes zero)")
        reading += (f"; the trap, where it exists, is concentrated in the {plural(flagged, 'flagged agent')} below."
                    if flagged else ".")
    if n < min_n and rho is not None:
        reading += f" Fewer than {min_n} agents qualify: read the correlation as indicative."
    if n == 0:
        # no card of '–', '0 agents in 0 teams' and '0 of 0', and no second sentence: the chart
        # above says why no agent is compared (trap_not_compared)
        return display.Html("", "")
    box = results.cards([{**c, "figure": "handle_time_trap"} if i == 0 else c for i, c in enumerate(cards)])
    return display.Html(f"{box} {reading}", f"{box._repr_html_()}<p>{html.escape(reading)}</p>")


def trap_not_compared(results: Any) -> str:
    """Why the handle-time trap compares no agent, said once, where its chart would be: the
    reading and the flagged agents' table then add nothing, or point back to it (a pilot's
    section said "no agent qualifies" three ways)."""
    from cxkit.resolution import DEFAULT_TRAP_MIN_PEERS

    min_n = int(results.param("min_n"))
    if results.judge.measured_column("contacts.team"):
        return (f"No agent could be compared with their team: a comparison needs {min_n} judged contacts from an "
                f"agent, in a team with at least {DEFAULT_TRAP_MIN_PEERS} such agents.")
    return (f"No agent could be compared with the center's typical agent: a comparison needs {min_n} judged contacts "
            f"from an agent, and at least {DEFAULT_TRAP_MIN_PEERS} such agents (the export has no teams).")


def no_flagged_agent(results: Any) -> str:
    """What the flagged agents' table says when it has no row: none flagged among the agents
    compared, or none compared at all (:func:`trap_not_compared` says why, above it)."""
    agents = results.frame("handle_time_trap")
    compared = (agents is not None and "qualifies" in agents.columns
                and bool(agents["qualifies"].fillna(False).astype(bool).any()))
    if compared:
        return "No agent is both markedly faster than their team and markedly less resolving."
    return "No agent is flagged: none could be compared (above)."


def team_handle_time_reading(results: Any) -> display.Html:
    """How far apart the teams' handle times are, from the data (no claim about why)."""
    if results.judge.not_measured("aht_fcr_by_team"):
        return display.Html("", "")
    frame = results.frame("aht_fcr_by_team")
    frame = frame[frame["team"] != "(not recorded)"].dropna(subset=["aht_mean_s"])
    if len(frame) < 2:
        return display.Html("", "")
    lo, hi = frame.loc[frame["aht_mean_s"].idxmin()], frame.loc[frame["aht_mean_s"].idxmax()]
    return _paragraph(
        f"Mean handle time ranges from {display.format_value(lo['aht_mean_s'], 'seconds')} ({lo['team']}) to "
        f"{display.format_value(hi['aht_mean_s'], 'seconds')} ({hi['team']}) across "
        f"{plural(len(frame), 'team')}: differences this size come with what each team handles, which is why agents "
        "are compared within their team above."
    )


# ---------------------------------------------------------------- perception


def csat_effort_reading(results: Any) -> display.Html:
    """How CSAT moves with effort, from the rank correlation and the deciles (no fixed claim)."""
    corr = results.frame("effort_vs_ratings")
    deciles = results.frame("csat_by_effort")
    if corr is None or deciles is None or results.judge.not_measured("csat"):
        return display.Html("", "")
    row = corr[corr["measure"].astype(str).str.lower().str.startswith("csat")]
    deciles = deciles.dropna(subset=["csat_top2"])
    if row.empty or deciles.empty:
        return display.Html("", "")
    r = row.iloc[0]
    rho, lo, hi = _num(r["spearman"]), _num(r["ci_low"]), _num(r["ci_high"])
    first, last = deciles.iloc[0], deciles.iloc[-1]
    text = (f"CSAT (share 4-5) is {pct(first['csat_top2'])} in the easiest effort decile and "
            f"{pct(last['csat_top2'])} in the hardest.")
    answers = [_num(d.get("csat_n")) for d in (first, last)]
    min_n = int(results.param("min_n"))
    if all(a is not None for a in answers):
        # the deciles are cut on every response; a decile's CSAT rests on its CSAT answers only
        text = text[:-1] + f" ({int(answers[0]):,} and {int(answers[1]):,} CSAT answers)."
        if min(answers) < min_n:
            text += f" That is fewer than the minimum of {min_n:,}: read the two as indicative."
    if rho is not None and lo is not None and hi is not None:
        if hi < 0:
            text += f" Satisfaction falls as effort rises (rank correlation {r2(rho)}, 95% CI {r2(lo)} to {r2(hi)})."
        elif lo > 0:
            text += (f" Satisfaction rises with effort (rank correlation {r2(rho)}, 95% CI {r2(lo)} to {r2(hi)}): the "
                     "index does not capture what customers find hard.")
        else:
            text += (f" The data shows no clear relation between effort and satisfaction (rank correlation "
                     f"{r2(rho)}, 95% CI {r2(lo)} to {r2(hi)}, which includes zero).")
    return _paragraph(text)
