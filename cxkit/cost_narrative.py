"""Sentences and views of the cost and capacity section, computed from the run's results.

Like :mod:`cxkit.narrative`, every number and every direction here is read from the stored
results (:mod:`cxkit.results`, section ``cost``) with the rule that decides it stated in the
function; nothing is fixed text about the data. Every cost figure says where it comes from:
a price is *given by the engagement* or *derived from the measured AHT*; counts are
*measured*; yearly figures are *extrapolations* (x 365 / period days).

Each function takes the run's :class:`cxkit.results.ResultSet` and returns a
:class:`cxkit.display.Html`, a list of cards, or a display block.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from cxkit import display, wording
from cxkit.capacity import MAX_TRAFFIC_ERLANGS, WEEKDAYS
from cxkit.figures import reaches
from cxkit.narrative import (
    _num,
    data_days,
    journey_edge_clause,
    pct,
    plural,
    repeat_share_edge_words,
    repeat_share_floor,
)
from cxkit.narrative import _paragraph as _p
from cxkit.wording import CURRENCY_SYMBOLS, a_year, yearly, yearly_note
from cxkit.wording import days as in_days

__all__ = [
    "CURRENCY_SYMBOLS",
    "money",
    "money_format",
    "period_and_prices",
    "repeat_cost_cards",
    "repeat_cost_reading",
    "failure_demand_reading",
    "cost_per_issue_reading",
    "scenarios_reading",
    "scenario_table",
    "scenario_details",
    "capacity_reading",
    "staffing_not_assessed",
    "forecast_queues",
    "heatmap_cells",
    "service_level_gap_reading",
    "avoidable_bridge",
    "year_column",
    "headline",
    "HEATMAP_MIN_OFFERED",
    "NO_PRICE",
    "WEEKDAYS",
]


#: Weekday x time cells with fewer contacts offered are left blank in the forecast heatmap:
#: percentage errors of quiet cells are noise (the same floor as the worst day-parts list).
HEATMAP_MIN_OFFERED = 30

#: Why a cost has no value (said wherever one would be shown).
NO_PRICE = ("no channel it needs has a price: give cost.cost_per_contact, or cost.loaded_hourly_cost to derive prices "
            "from AHT")

#: Short names of scenario inputs (a tornado bar's label: name and range, under 30 characters).
_INPUT_NAMES = {
    "fcr_change": "FCR change",
    "aht_change_s": "AHT change",
    "transfer_rate_to": "Transfer rate",
    "containment_to": "Containment",
    "volume_change": "Volume change",
    "repeats_per_unresolved": "Repeats/unresolved",
    "cost_per_contact_factor": "Price factor",
    "hourly_cost": "Hourly cost",
}


def _empty() -> display.Html:
    return display.Html("", "")


def money(results: Any, value: Any, decimals: int = 2) -> str:
    """An amount in the engagement's currency: ``£17,649.80``, ``ILS 2.02``, ``-£3,034``."""
    v = _num(value)
    if v is None:
        return display.MISSING
    return wording.money(v, str(results.manifest.get("currency") or ""), decimals)


def money_format(results: Any, decimals: int = 2) -> Callable[[Any], str]:
    """A table format (for ``formats=``) writing amounts in the engagement's currency."""
    return lambda v: money(results, v, decimals)


def _words(channel: str) -> str:
    from cxkit.present import WORDS

    return WORDS.get(channel, channel)


def _listing(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ---------------------------------------------------------------- baseline cost


def period_and_prices(results: Any) -> display.Html:
    """The data period, and where each channel's price comes from (given, derived, not priced).

    A channel is named under the basis ``channel_prices`` gives it; a derived price quotes its
    measured AHT and the engagement's hourly cost and occupancy; a channel without a price is
    named as kept out of every total. The engagement's ``cost.inputs_note`` (where its cost
    inputs come from) is quoted when set.
    """
    period = results.frame("data_period")
    prices = results.frame("channel_prices")
    if period is None or prices is None or period.empty:
        return _empty()
    row = period.iloc[0]
    days = int(row["days"])
    text = (
        f"The contacts cover {plural(days, 'local day')}, {row['first_date']} to "
        f"{row['last_date']} (empty days included). "
        f"Cost figures are for these {in_days(days)}; {yearly_note(days)}."
    )
    given = [_words(c) for c in prices.loc[prices["basis"] == "given", "channel"]]
    derived = prices[prices["basis"] == "derived"]
    unpriced = [_words(c) for c in prices.loc[prices["basis"] == "not priced", "channel"]]
    parts = []
    if given:
        parts.append(f"{_listing(given)}: given by the engagement (an input, not measured)")
    for r in derived.itertuples():
        parts.append(f"{_words(r.channel)}: {r.source} (the AHT is measured; the hourly cost and occupancy are "
                     "given by the engagement)")
    if unpriced:
        parts.append(f"{_listing(unpriced)}: not priced (no price given and none can be derived), so kept out of "
                     "every total and never counted as 0")
    if parts:
        text += " Prices per contact: " + "; ".join(parts) + "."
    note = results.manifest["parameters"].get("inputs_note")
    if note:
        text += f" Cost inputs, as the engagement describes them: {note}."
    return _p(text)


# ---------------------------------------------------------------- repeat cost


def _total(results: Any) -> dict[str, Any] | None:
    return results.row("repeat_cost_total")


def _cost_figure(row: dict[str, Any] | None) -> str:
    """The figure a repeat-cost headline names: with AHT's caveats when a derived price went in."""
    basis = (row or {}).get("price_basis")
    return "repeat_cost_derived" if basis in ("derived", "given and derived") else "repeat_cost"


def _basis_words(results: Any, basis: str | None, *, short: bool = False) -> str:
    """Where the prices of a cost come from, in a reader's words (for cards and findings).

    ``short`` (a card) leaves out the engagement's note on given prices, and keeps it on
    derived ones: an assumed hourly cost must be read as one wherever the price appears.
    """
    params = results.manifest["parameters"]
    note = params.get("inputs_note")
    prices = results.frame("channel_prices")
    derived = prices[prices["basis"] == "derived"] if prices is not None else pd.DataFrame()
    if basis == "given":
        return "prices given by the engagement, not measured" + (
            f" (cost inputs: {note})" if note and not short else "")
    if basis in ("derived", "given and derived"):
        at = (f"at {money(results, params.get('loaded_hourly_cost'))} per agent hour and "
              f"{float(params.get('occupancy')):.0%} occupancy given by the engagement")
        channels = _listing([_words(c) for c in derived["channel"]])
        if basis == "derived":
            text = f"{channels} priced from the measured AHT (the only measured input to the price) {at}"
        else:
            text = f"{channels} priced from the measured AHT {at}, the other channels at prices given by the engagement"
        return text + (f" (cost inputs: {note})" if note else "")
    if not isinstance(basis, str):
        # no repeat to price (the basis of a cost without volume is null): its 0 rests on no
        # price, and "not priced" beside it would say a price is missing
        return "no repeat contact measured, so no price went into it"
    return "no price: not priced"


def repeat_cost_cards(results: Any) -> list[dict[str, Any]]:
    """Cards: repeat cost for the period and annualised, and the repeats behind it (for
    :meth:`cxkit.results.ResultSet.cards`; each names its figure, so caveats print inside)."""
    row = _total(results)
    if row is None:
        return []
    days = int(row["period_days"])
    if results.judge.not_measured("repeat_cost"):
        # one card says so (its stored numbers are null)
        return [{"label": f"Repeat contacts cost ({in_days(days)})", "value": None, "format": "text",
                 "figure": "repeat_cost", "detail": ""}]
    figure = _cost_figure(row)
    unpriced = int(row["not_priced_repeats"])
    if _num(row["repeat_cost"]) is None:
        return [{"label": f"Repeat contacts cost ({in_days(days)})", "value": "not priced", "format": "text",
                 "figure": "repeat_cost",
                 "detail": f"{plural(int(row['repeats']), 'repeat contact')}; {_no_price(results)}"}]
    return [
        {"label": f"Repeat contacts cost ({in_days(days)})", "value": money(results, row["repeat_cost"]), "format": "text",
         "figure": figure, "detail": _basis_words(results, row["price_basis"], short=True)},
        *([{"label": f"A year at this rate ({yearly(days)})",
            "value": money(results, row["repeat_cost_annualised"], 0),
            "format": "text", "figure": figure, "detail": f"period figure x 365 / {in_days(days)}"}] if a_year(days) else []),
        {"label": "Repeat contacts priced", "value": f"{int(row['priced_repeats']):,} of {int(row['repeats']):,}",
         "format": "text", "figure": "repeat_cost",
         "detail": (f"{unpriced:,} in channels without a price ({row['not_priced_channels']}): kept out of the cost"
                    if unpriced else "every repeat contact is in a priced channel")},
    ]


def repeat_cost_reading(results: Any) -> display.Html:
    """Which channel and which reason carry most of the repeat cost, from the stored tables."""
    row = _total(results)
    channels = results.frame("repeat_cost_by_channel")
    if row is None or channels is None or results.judge.not_measured("repeat_cost"):
        return _empty()
    days = int(row["period_days"])
    priced = channels.dropna(subset=["repeat_cost"])
    n = int(row["repeats"])
    text = (f"{plural(n, 'inbound contact')} in the {in_days(days)} {'was a repeat' if n == 1 else 'were repeats'}: the "
            "same identified customer coming back within the repeat window (measured).")
    if _num(row["repeat_cost"]) is None:
        return _p(f"{text} {'It cannot' if n == 1 else 'None of them can'} be priced: {_no_price(results)}.")
    text += (" Priced at the cost per contact of each repeat's own channel, they cost "
             f"{money(results, row['repeat_cost'])}.")
    if len(priced[priced["repeat_cost"] > 0]) > 1:  # one priced channel carries it all: nothing to say
        top = priced.iloc[0]
        text += (f" {_words(top['channel']).capitalize()} carries {pct(top['share_of_repeat_cost'])} of it: "
                 f"{int(top['repeats']):,} repeats at {money(results, top['cost_per_contact'])}.")
    reasons = results.frame("repeat_cost_by_reason")
    if reasons is not None and results.judge.measured("repeat_cost_by_reason"):
        named = reasons[(reasons["contact_reason"] != "(not recorded)")].dropna(subset=["repeat_cost"])
        if not named.empty and float(row["repeat_cost"] or 0) > 0:
            top = named.iloc[0]
            text += (f" By reason, {top['contact_reason']} carries the most: {money(results, top['repeat_cost'])} "
                     f"({pct(top['share_of_repeat_cost'])}, {int(top['repeats']):,} repeats).")
    if floor := repeat_share_floor(results):
        text += f" The count of repeats, and so their cost, is {floor}."
    unpriced = int(row["not_priced_repeats"])
    if unpriced:
        text += (f" {plural(unpriced, 'repeat contact')} in {row['not_priced_channels']} "
                 f"{'has' if unpriced == 1 else 'have'} no price: counted in the tables and kept out of every cost, "
                 "not priced at 0.")
    return _p(text)


# ---------------------------------------------------------------- failure demand


def failure_demand_reading(results: Any) -> display.Html:
    """Failure demand's volume and cost, and how it overlaps repeat cost (counted once in the
    avoidable total); or that the engagement tags no reason as failure demand."""
    reasons = results.manifest["parameters"].get("failure_demand_reasons") or []
    if not reasons:
        return _p("The engagement tags no contact reason as failure demand (cost.failure_demand_reasons), so it is "
                  "not estimated here. Failure demand is demand caused by a failure to do something, or to do it "
                  "right, for the customer; which reasons count is the client's call.")
    fd = results.frame("failure_demand")
    total = results.row("avoidable_cost")
    if fd is None or total is None or results.judge.not_measured("failure_demand"):
        return _empty()
    inbound = int(fd["inbound"].sum())
    priced = _num(total["failure_demand_cost"]) is not None
    text = (f"The engagement tags {_listing(list(reasons))} as failure demand. In the "
            f"{in_days(int(total['period_days']))}, {plural(inbound, 'inbound contact')} had these reasons (measured), "
            + (f"costing {money(results, total['failure_demand_cost'])} at each contact's channel price."
               if priced else "none of them in a channel with a price, so their cost is not priced (never 0)."))
    unpriced = int(fd["not_priced_inbound"].sum())
    kept_out = (f" {plural(unpriced, 'contact')} in channels without a price are kept out of these costs."
                if unpriced else "")
    if why := results.judge.absent("avoidable_cost"):
        # repeats not measured (no customer ids): "0 of them were also repeats" and a total
        # "counted once" that was failure demand alone sat above a table reading "not measured"
        return _p(f"{text} Which of them were also repeats is not measured: {why}. Repeat cost and failure demand "
                  f"are therefore not added up here.{kept_out}")
    if not priced:
        # "already in the repeat cost (£0.00)" and a total "counted once" that added £0.00 of failure demand
        return _p(f"{text} {int(total['repeat_overlap']):,} of them were also repeats, in channels without a price "
                  f"and so not in the repeat cost either; repeat cost and failure demand are not added up here.")
    overlap_cost = _num(total["repeat_overlap_cost"]) or 0.0  # none in a priced channel: none in the repeat cost
    text += (f" {int(total['repeat_overlap']):,} of them were also repeats, already in the repeat cost "
            f"({money(results, overlap_cost)}): counting them once, repeat cost and failure demand "
            f"together come to {money(results, total['avoidable_cost'])} for the period"
            + (f", about {money(results, total['avoidable_cost_annualised'], 0)} a year "
               f"({yearly(int(total['period_days']))})." if a_year(int(total["period_days"])) else ".")) + kept_out
    if why := repeat_share_edge_words(results):
        # the repeats missed in the first window add more to the repeat cost than to the overlap
        text += f" The total counted once is a floor, as the repeat cost is: {why}."
    return _p(text)


# ---------------------------------------------------------------- cost per resolved issue


def cost_per_issue_reading(results: Any) -> display.Html:
    """Cost per resolved issue against cost per contact: the reason whose issues cost most to
    resolve, and the reason whose contacts are cheapest yet whose issues are not.

    Only reasons with enough priced journeys (not ``suppressed``; a flag not stored reads as
    suppressed, as :mod:`cxkit.findings` reads it) and a recorded reason are compared; the
    "cheap contact, expensive issue" sentence is said only when the reason with the cheapest
    contacts is not also the cheapest per issue.
    """
    frame = results.frame("cost_per_resolved_issue")
    if frame is None or results.judge.not_measured("cost_per_resolved_issue"):
        return _empty()
    overall = frame[frame["first_reason"] == "all reasons"]
    ranked = ~frame["suppressed"].fillna(True).astype(bool)
    rows = frame[(frame["first_reason"] != "all reasons") & (frame["first_reason"] != "(not recorded)")
                 & ranked].dropna(subset=["cost_per_resolved_issue", "cost_per_contact"])
    if overall.empty:
        return _p("No journey of an identified customer was found, so cost per resolved issue is not available.")
    if _num(overall["cost_per_resolved_issue"].iloc[0]) is None:
        judged = int(overall["judged_journeys"].iloc[0])
        if not judged:
            # every journey still open at the end of data (a period shorter than the window)
            return _p(f"No journey could be judged: each was still open when the data ended (a journey is judged "
                      f"once the {float(results.param('repeat_window_days')):g}-day repeat window after its last contact has "
                      "closed), so cost per resolved issue is not available.")
        return _p(f"None of the {plural(judged, 'judged journey')} could be priced whole (each has a contact in a "
                  "channel without a price), so cost per resolved issue is not available.")
    o = overall.iloc[0]
    text = (f"Across all reasons, resolving one issue took {o['contacts_per_issue']:.2f} contacts and cost "
            f"{money(results, o['cost_per_resolved_issue'])}, against {money(results, o['cost_per_contact'])} per "
            f"contact ({int(o['priced_resolved_journeys']):,} resolved journeys, counts measured, prices as above).")
    if len(rows) >= 2:
        dear = rows.sort_values(["cost_per_resolved_issue", "first_reason"], ascending=[False, True]).iloc[0]
        text += (f" Issues that start with {dear['first_reason']} cost the most to resolve: "
                 f"{money(results, dear['cost_per_resolved_issue'])} ({dear['contacts_per_issue']:.2f} contacts each).")
        cheap = rows.sort_values(["cost_per_contact", "first_reason"]).iloc[0]
        cheapest_issue = rows.sort_values(["cost_per_resolved_issue", "first_reason"]).iloc[0]
        # said only when the cheapest contacts (to the cent) still make a dearer issue
        if (round(cheap["cost_per_contact"], 2) < round(cheapest_issue["cost_per_contact"], 2)
                and round(cheap["cost_per_resolved_issue"], 2) > round(cheapest_issue["cost_per_resolved_issue"], 2)):
            least = money(results, cheapest_issue["cost_per_resolved_issue"])
            text += (f" {cheap['first_reason']} has the cheapest contacts ({money(results, cheap['cost_per_contact'])} "
                     f"each) but costs {money(results, cheap['cost_per_resolved_issue'])} per resolved issue, more "
                     f"than {cheapest_issue['first_reason']} ({least}): a cheap contact can be an expensive issue.")
    unpriced = int(o["not_priced_journeys"])
    if unpriced:
        text += (f" {plural(unpriced, 'judged journey')} with a contact in a channel without a price could not be "
                 "priced whole and are left out of both sides.")
    if (edge := journey_edge_clause(results)) is not None:
        text += f" An issue is a journey, and {edge}: such an issue is priced on its contacts in the period only."
    return _p(text)


# ---------------------------------------------------------------- scenarios


def _value(results: Any, value: Any, unit: str) -> str:
    v = _num(value)
    if v is None:
        if unit == results.manifest.get("currency"):
            return "not priced"
        # a handle time the export lacks, and the hours and FTE that need it
        return "not measured" if unit in ("hours", "FTE", "seconds") else display.MISSING
    currency = str(results.manifest.get("currency") or "")
    if unit == currency:
        return money(results, v)
    if unit == f"{currency}/hour":
        return money(results, v) + " per hour"
    if unit == "share":
        return pct(v)
    if unit == "points (share)":
        return f"{100 * v:+.1f} points"
    if unit == "seconds":
        return f"{v:+,.0f} s"
    if unit == "hours":
        return f"{v:,.1f} h"
    if unit == "FTE":
        return f"{v:,.2f} FTE"
    if unit == "repeats":
        return f"{v:,.3f}"
    if unit == "days":
        return in_days(round(v))
    return f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:,.1f}"


_SOURCE_WORDS = {
    "measured": "measured",
    "engagement": "given by the engagement",
    "derived": "derived from the measured AHT",
    "given and derived": "given by the engagement and derived from the measured AHT",
    "not priced": "not priced",
    "scenario": "the scenario's input",
    "computed": "computed",
}


def _output_value(results: Any, output: str, value: Any) -> str:
    if output == "net_saving_year":
        return money(results, value, 0)
    if _num(value) is None:  # agent hours and FTE without handle times: not measured
        return "not measured"
    if output == "fte_saved":
        return f"{float(value):,.2f}"
    return f"{float(value):,.0f}"


def scenarios_reading(results: Any) -> display.Html:
    """What the practice case (or the first scenario) gives on this center's data, with its
    Monte Carlo range, and how many scenarios carry an inconsistency flag."""
    summary = results.frame("scenario_summary")
    mc = results.frame("scenario_monte_carlo")
    if summary is None or summary.empty or mc is None or results.judge.not_measured("scenarios"):
        return _empty()
    from cxkit.scenarios import PRACTICE_CASE

    pick = summary[summary["scenario"] == PRACTICE_CASE]
    s = (pick if not pick.empty else summary).iloc[0]
    why = s.get("not_measured")
    if isinstance(why, str) and why:
        return _p(f"{s['scenario']}: not worked through on this data: {why}.")
    net = mc[(mc["scenario"] == s["scenario"]) & (mc["output"] == "net_saving_year")].iloc[0]
    saving, fte, avoided = _num(s["net_saving_year"]), _num(s["fte_saved"]), float(s["contacts_avoided_year"])
    text = (f"{s['scenario']}: on this center's data it {'avoids' if avoided >= 0 else 'adds'} {abs(avoided):,.0f} "
            f"contacts a year")
    if fte is None:
        # no handle time in the export: the hours, and the FTE, were never measured (not 0)
        text += f"; its agent hours and FTE are not measured ({s.get('hours_not_measured')})"
        fte_text = None
    else:
        fte_text = f"{'frees' if fte >= 0 else 'needs'} {abs(fte):,.2f} {'' if fte >= 0 else 'more '}FTE"
    if saving is None:
        why = _why_not_priced(results, s["scenario"])
        text += (f" and {fte_text}; its" if fte_text else ", and its")
        text += f" net saving is not priced ({why}). {_yearly_figures(results)}."
    else:
        word = "a net saving" if saving >= 0 else "a net cost"
        p10, p90 = float(net["p10"]), float(net["p90"])
        if saving < 0 and p90 <= 0:  # a cost in every decile: the range said as costs
            span = f"P10-P90 of the cost {money(results, -p90, 0)} to {money(results, -p10, 0)}"
        else:
            span = f"P10-P90 of the net saving {money(results, p10, 0)} to {money(results, p90, 0)}"
        text += (f", {fte_text} and gives" if fte_text else ", and it gives")
        text += (f" {word} of {money(results, abs(saving), 0)} a year ({span} over "
                 f"{int(net['draws']):,} draws, seed {int(net['seed'])}; {_yearly_figures(results).lower()}).")
        text += _unpriced_share(results, s["scenario"])
    flags = results.frame("scenario_flags")
    if flags is not None:
        mine = flags[(flags["scenario"] == s["scenario"]) & (flags["severity"] == "inconsistent")]
        for r in mine.itertuples():
            text += f" Flagged: {r.flag}: {r.reason}."
        others = summary[(summary["scenario"] != s["scenario"]) & (summary["inconsistent_flags"] > 0)]
        if len(others):
            text += (f" {plural(len(others), 'other scenario')} carr{'ies' if len(others) == 1 else 'y'} an "
                     "inconsistency flag (below).")
    return _p(text)


def _unpriced_share(results: Any, scenario: str) -> str:
    """The share of a scenario's contacts its saving leaves out for want of a price, said beside
    the saving (from its lines :data:`cxkit.scenarios.PRICED_SHARE_LINES`), or ""."""
    shares = _priced_shares(results, scenario)
    if not shares:
        return ""
    lines = results.frame("scenario_lines")
    change = lines[(lines["scenario"] == scenario) & (lines["item"] == "Volume change")]["value"]
    # a volume increase adds the inbound contacts it prices (a cost), it does not avoid them
    adds = {"inbound contacts"} if len(change) and float(change.iloc[0]) > 0 else set()
    return "".join(f" {pct(1 - share)} of the {what} it {'adds' if what in adds else 'avoids'} are in channels without "
                   "a price: kept out of its saving, not priced at the priced channels' mean."
                   for what, share in shares.items())


def _priced_shares(results: Any, scenario: str) -> dict[str, float]:
    """A scenario's shares of contacts in priced channels below 1, by what they are, as its lines
    say them (:data:`cxkit.scenarios.PRICED_SHARE_LINES`): {} when every one is priced."""
    from cxkit.scenarios import PRICED_SHARE_LINES

    lines = results.frame("scenario_lines")
    if lines is None:
        return {}
    shares = lines[lines["scenario"] == scenario].set_index("item")["value"]
    return {what: float(shares[item]) for what, item in PRICED_SHARE_LINES.items() if item in shares.index}


def scenario_table(results: Any) -> display.Html:
    """Every scenario's yearly figures, a row each, with the caveat its net saving carries beside
    it: the share of its contacts in priced channels, the others kept out (none when every one is
    priced, and the column is then left out)."""
    whole = money_format(results, 0)
    return results.table(
        "scenario_summary",
        columns={"scenario": "Scenario", "contacts_avoided_year": "Contacts avoided a year",
                 "agent_hours_saved_year": "Agent hours saved a year", "fte_saved": "FTE saved",
                 "net_saving_year": "Net saving a year", "net_saving_year_p10": "P10", "net_saving_year_p90": "P90",
                 "priced_share_note": "Contacts without a price", "inconsistent_flags": "Inconsistency flags",
                 "not_measured": "Not worked through"},
        formats={"contacts_avoided_year": "integer", "agent_hours_saved_year": "integer", "fte_saved": "decimal2",
                 "net_saving_year": whole, "net_saving_year_p10": whole, "net_saving_year_p90": whole},
        prepare=lambda frame: _with_priced_share_notes(results, frame),
    )


def _with_priced_share_notes(results: Any, summary: pd.DataFrame) -> pd.DataFrame:
    """The scenario summary with its ``priced_share_note`` (None where there is none, so that a
    table leaves the column out when no row has one); results stored before the summary had one
    take it from the scenarios' share lines, so their savings carry it too."""
    from cxkit.scenarios import priced_share_note

    if "priced_share_note" in summary.columns:
        notes = [v if isinstance(v, str) and v else None for v in summary["priced_share_note"]]
    else:
        notes = [priced_share_note(_priced_shares(results, r["scenario"])) if _num(r.get("net_saving_year")) is not None
                 else None for _, r in summary.iterrows()]
    return summary.assign(priced_share_note=pd.Series(notes, index=summary.index, dtype=object))


class _Blocks:
    """Several display objects (tables, charts, notes) shown one after another from one call."""

    def __init__(self, parts: Sequence[Any]):
        self.parts = [p for p in parts if p is not None]

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.parts if not hasattr(p, "to_dict"))

    def _ipython_display_(self) -> None:
        from IPython.display import display as show

        for part in self.parts:
            show(part)


def _heading(text: str) -> display.Html:
    return display.Html(text, f"<h4>{html.escape(text)}</h4>")


def scenario_details(results: Any) -> Any:
    """Each scenario worked through: its arithmetic line by line (with where each number comes
    from), its Monte Carlo range, its consistency flags, and a tornado of its inputs."""
    from cxkit import charts

    lines = results.frame("scenario_lines")
    summary = results.frame("scenario_summary")
    if lines is None or summary is None or results.judge.not_measured("scenarios"):
        return _empty()
    mc = results.frame("scenario_monte_carlo")
    tornado = results.frame("scenario_tornado")
    flags = results.frame("scenario_flags")
    parts: list[Any] = []
    for s in summary.itertuples():
        name = s.scenario
        parts.append(_heading(name))
        if s.description:
            parts.append(_p(str(s.description)))
        why = getattr(s, "not_measured", None)
        if isinstance(why, str) and why:
            parts.append(display.caveat("not measured", f"{name} is not worked through: {why}."))
            continue
        mine = lines[lines["scenario"] == name].copy()
        mine["shown"] = [_value(results, v, u) for v, u in zip(mine["value"], mine["unit"], strict=True)]
        mine["where"] = mine["source"].map(lambda x: _SOURCE_WORDS.get(x, x))
        parts.append(display.table(mine, columns={"step": "Step", "item": "Item", "formula": "How it is computed",
                                                  "shown": "Value", "where": "Where it comes from"}))
        m = mc[mc["scenario"] == name].copy()
        for col in ("base", "p10", "p50", "p90"):
            m[col] = [_output_value(results, o, v) for o, v in zip(m["output"], m[col], strict=True)]
        parts.append(display.table(m, columns={"label": f"Per year ({yearly(data_days(results))})", "base": "Base",
                                               "p10": "P10", "p50": "P50", "p90": "P90",
                                               "share_negative": "Draws below 0"},
                                   formats={"share_negative": "percent0"}))
        # the net saving's caveat under its range, as in the summary table's row
        note = _with_priced_share_notes(results, summary[summary["scenario"] == name])["priced_share_note"]
        if len(note) and isinstance(note.iloc[0], str) and note.iloc[0]:
            parts.append(display.caveat("info", f"{note.iloc[0][0].upper()}{note.iloc[0][1:]}."))
        f = flags[flags["scenario"] == name]
        if not f.empty:
            parts.append(display.table(f, columns={"severity": "Flag", "flag": "What", "reason": "Why"}))
        t = tornado[tornado["scenario"] == name].dropna(subset=["result_low", "result_high", "base_result"]).copy()
        if len(t):
            t["label"] = [_input_label(results, r) for r in t.itertuples()]
            parts.append(charts.tornado(
                t, "label", "result_low", "result_high", float(t["base_result"].iloc[0]),
                title=f"{name}: what moves the yearly net saving",
                subtitle="each input at its low and its high value, the others at base; the dashed line is the base",
                value_title=f"Net saving per year ({results.manifest.get('currency')})",
            ))
    return _Blocks(parts)


def _input_label(results: Any, r: Any) -> str:
    """``"FCR change +8.0 to +12.0 points"``: the input and its range, for the tornado's bars."""
    if r.input == "fcr_change":
        span = f"{100 * r.low:+.1f} to {100 * r.high:+.1f} pts"
    elif r.input in ("transfer_rate_to", "containment_to"):
        span = f"{pct(r.low)} to {pct(r.high)}"
    elif r.input == "volume_change":
        span = f"{100 * r.low:+.0f}% to {100 * r.high:+.0f}%"
    elif r.input == "aht_change_s":
        span = f"{r.low:+.0f} to {r.high:+.0f} s"
    elif r.input == "hourly_cost":
        span = f"{money(results, r.low)} to {money(results, r.high)}"
    elif r.input == "repeats_per_unresolved":
        span = f"{r.low:.2f} to {r.high:.2f}"
    else:
        span = f"{r.low:.2f} to {r.high:.2f}"
    return f"{_INPUT_NAMES.get(r.input, r.input)} {span}"


# ---------------------------------------------------------------- capacity


def _spare_in_empty_intervals(staff: Mapping[str, Any]) -> str:
    """How many of the spare agent hours are in intervals no contact was offered in (Erlang C
    requires no agent there, so an opening-hours minimum reads as spare), as a parenthesis; ""
    when none are, or a run folder of an older cxkit does not say.

    Examples
    --------
    >>> _spare_in_empty_intervals({"agent_hours_spare": 380.5, "agent_hours_spare_no_contacts": 380.5})
    ' (all of them in intervals with no contact offered, which Erlang C staffs with no agent)'
    >>> _spare_in_empty_intervals({"agent_hours_spare": 20.0, "agent_hours_spare_no_contacts": 2.5})
    ' (2.5 of them in intervals with no contact offered, which Erlang C staffs with no agent)'
    >>> _spare_in_empty_intervals({"agent_hours_spare": 20.0, "agent_hours_spare_no_contacts": 0.0})
    ''
    """
    empty, spare = _num(staff.get("agent_hours_spare_no_contacts")), _num(staff.get("agent_hours_spare"))
    if not empty or not spare:
        return ""
    share = "all of them" if round(empty, 1) == round(spare, 1) else f"{empty:,.1f} of them"
    return f" ({share} in intervals with no contact offered, which Erlang C staffs with no agent)"


def staffing_not_assessed(results: Any) -> str | None:
    """Why no queue was staffed against Erlang C at all (the staffing table has no row), or None
    when one was (or the engagement has no WFM source, or staffing is not measured).

    A queue is modelled when its contacts are in a channel the engagement staffs
    (``capacity.channels``, voice by default): a centre with chat, email and messaging only has
    none, whatever its WFM export holds, and read "No WFM interval could be paired with contacts
    of the same queue: check that sources.intervals.columns.queue gives the contacts' queue
    names" over queue names that matched. Otherwise the WFM export names no queue of the
    contacts' (``Q_STOERUNG`` for ``Störung``)."""
    frame = results.frame("staffing_summary") if results.available("staffing_summary") else None
    if frame is None or not frame.empty or results.judge.not_measured("staffing"):
        # no handle time in the export: the table's own note says staffing is not measured (the
        # queues were said not to pair, and the tables and their note were hidden)
        return None
    staffed = [str(c) for c in results.manifest["parameters"].get("channels") or []]
    ops = results.frame("operations") if results.available("operations") else None
    offered = [] if ops is None else [
        str(c) for c in ops.loc[(ops["channel"] != "all") & (ops["offered"] > 0), "channel"]]
    if ops is not None and not set(staffed) & set(offered):
        named = _listing([_words(c) for c in staffed])
        have = f" (contacts were offered in {_listing([_words(c) for c in offered])})" if offered else ""
        return (f"the engagement staffs {named} with Erlang C (capacity.channels) and no contact was offered to a "
                f"queue in {'that channel' if len(staffed) == 1 else 'those channels'}{have}: list the channels to "
                "staff under capacity.channels")
    if ops is not None and (unanswered := _none_answered(ops, [c for c in staffed if c in offered])):
        return unanswered
    return _QUEUES_NOT_PAIRED


def _none_answered(ops: pd.DataFrame, channels: list[str]) -> str | None:
    """Why nothing was staffed when no contact offered to a queue in the staffed ``channels`` was
    answered (the queues' AHT, which Erlang C needs, has no answered contact to come from), or
    None when one was or the count is not measured. An export whose every inbound call was
    abandoned read "check that sources.intervals.columns.queue gives the contacts' queue names"
    over queue names that matched."""
    rows = ops[ops["channel"].isin(channels)]
    if "answered" not in rows.columns or rows.empty or rows["answered"].isna().any() or rows["answered"].sum() > 0:
        return None
    named = _listing([_words(c) for c in rows["channel"]])
    offered = int(rows["offered"].sum())
    text = (f"no contact offered to a queue in {named} was answered (0 of {offered:,} offered), so no queue they "
            "entered has an answered contact to measure the AHT Erlang C's requirement needs")
    handled = int(rows["handled"].fillna(0).sum()) if "handled" in rows.columns else 0
    if handled:
        # handled without being answered in a queue: outbound, or never queued
        text += (f"; the {plural(handled, f'handled {named} contact')} {'was' if handled == 1 else 'were'} not "
                 "offered to a queue")
    return text


#: why nothing was staffed when the WFM export names no queue of the contacts'
_QUEUES_NOT_PAIRED = ("no WFM interval could be paired with contacts of the same queue: check that "
                      "sources.intervals.columns.queue gives the contacts' queue names (readiness check "
                      "intervals.queue_in_contacts)")


def forecast_queues(results: Any) -> str:
    """Which queues of the WFM export the forecast figures read, in words, as the capacity
    paragraph and the heatmap's title say it: where the contacts have queues, only those an
    offered contact entered (:attr:`cxkit.results.Inputs.forecast_intervals`); a chat-only
    contacts export beside the centre's whole WFM export read "all queues" over 2 of 10.

    ``'all 10 queues of the WFM export'`` when contacts entered every queue it names, or the
    contacts have no queue (every row is read); ``'the 2 queues contacts entered (8 more queues
    of the WFM export, which no contact entered, are left out)'`` otherwise, from the run's
    ``coverage["intervals"]["queues"]`` (:func:`cxkit.capacity.wfm_queues`). A run stored before
    it counted them reads ``"the WFM export's queues"``: nothing claimed of how many."""
    judge = results.judge
    named, entered = judge.wfm_queues()
    if not named:
        return "the WFM export's queues"
    if entered >= named or not judge.measured_column("contacts.queue"):
        return "the WFM export's one queue" if named == 1 else f"all {named:,} queues of the WFM export"
    if not entered:
        # forecast accuracy is not measured then (figures.Judge says why); said plainly all the same
        return f"none of the WFM export's {plural(named, 'queue')} (no contact entered one)"
    left = named - entered
    read = "the one queue" if entered == 1 else f"the {plural(entered, 'queue')}"
    return (f"{read} contacts entered ({plural(left, 'more queue')} of the WFM export, which no contact entered, "
            f"{'is' if left == 1 else 'are'} left out)")


def capacity_reading(results: Any) -> display.Html:
    """Forecast accuracy and staffing against Erlang C in words, or the one line that the
    engagement has no WFM intervals."""
    if not results.available("forecast_accuracy"):
        return _p("The engagement has no WFM intervals source (sources.intervals), so forecast accuracy and "
                  "staffing against Erlang C are not assessed.")
    acc = results.row("forecast_accuracy", queue="all")
    text = ""
    if acc is not None and results.judge.measured("forecast_accuracy") and _num(acc["wape"]) is not None:
        bias = float(acc["bias"])
        text += (f"Across {forecast_queues(results)}, the forecast missed offered contacts by {pct(acc['wape'])} "
                 f"of volume (WAPE, {int(acc['intervals']):,} intervals) and was {pct(abs(bias))} too "
                 f"{'high' if bias > 0 else 'low'} overall (bias); the mean error per interval with contacts (MAPE) "
                 f"was {pct(acc['mape'])}.")
    staff = results.row("staffing_summary", queue="all")
    measured = results.judge.measured("staffing")
    if measured and (unassessed := staffing_not_assessed(results)):
        text += f" Staffing against Erlang C is not assessed: {unassessed}."
    if staff is not None and measured:
        target = results.manifest["parameters"].get("service_level_target")
        if int(staff["intervals"] or 0):
            text += (f" Against the agents Erlang C needs for {float(target):.0%} answered within each channel's "
                     f"threshold, {pct(staff['under_staffed_share'])} of the {int(staff['intervals']):,} modelled "
                     f"intervals were under-staffed: {float(staff['agent_hours_short']):,.1f} agent hours short and "
                     f"{float(staff['agent_hours_spare']):,.1f} spare{_spare_in_empty_intervals(staff)}, from offered "
                     "contacts, the queues' measured AHT and the staffed agents the WFM export reports.")
        else:
            # nothing compared (every interval of another length, implausible or missing): no
            # share and no hours, which would read "nan" or 0; why follows
            text += " No interval of the WFM export could be compared with the Erlang C requirement."
        other = int(staff.get("other_length_intervals", 0) or 0)
        implausible = int(staff.get("implausible_intervals", 0) or 0)
        why = [f"{plural(other, 'interval')} of another length than the export's most common one"] if other else []
        frame = results.frame("staffing_summary")
        # queues none of whose intervals was compared, with why: named, not only counted
        idle = [] if frame is None else [r for _, r in frame.iterrows() if r["queue"] != "all" and int(r["intervals"]) == 0]
        unmodelled = [str(r["queue"]) for r in idle if int(r.get("other_length_intervals", 0) or 0) > 0]
        if other and unmodelled:
            why[0] += f" (all of queue{'s' if len(unmodelled) > 1 else ''} {', '.join(unmodelled)})"
        if implausible:
            why.append(f"{plural(implausible, 'interval')} whose offered volume or agent count means more than "
                       f"{MAX_TRAFFIC_ERLANGS:,} agents at once (not what one queue has)")
        missing = int(staff.get("missing_intervals", 0) or 0)
        if missing:
            # demand the WFM export does not cover (cut short, hours missing, a queue it does not
            # name) is not "no demand": it is counted and said, with the queues wholly missing
            n, offered = int(staff.get("contacts_in_missing_intervals", 0) or 0), int(staff.get("contacts_offered", 0) or 0)
            share = f" ({pct(n / offered)} of the offered contacts of the queues modelled)" if offered else ""
            absent = [str(r["queue"]) for r in idle if not int(r.get("other_length_intervals", 0) or 0)
                      and int(r.get("missing_intervals", 0) or 0) > 0]
            named = f" (every interval of queue{'s' if len(absent) > 1 else ''} {', '.join(absent)})" if absent else ""
            why.append(f"{plural(missing, 'interval')} the WFM export does not have{named}, in which "
                       f"{plural(n, 'offered contact')}{share} entered a queue")
        if why:
            text += f" Left out of the staffing comparison: {' and '.join(why)}."
    return _p(text.strip()) if text else _empty()


def service_level_gap_reading(results: Any) -> display.Html:
    """The measured service level of under-staffed intervals beside Erlang C's prediction, as
    ranges over the gap bands below zero that have answered or abandoned contacts."""
    frame = results.frame("service_level_by_gap")
    if frame is None or results.judge.not_measured("service_level_by_gap"):
        return _empty()
    under = frame[frame["gap_band"].astype(str).str.startswith(("<=", "-")) & (frame["sl_denominator"] > 0)]
    under = under.dropna(subset=["measured_sl", "erlang_sl"])
    if under.empty:
        staff = results.row("staffing_summary", queue="all")
        modelled = int(staff["intervals"]) if staff is not None and _num(staff["intervals"]) is not None else None
        if not modelled:
            # nothing paired, not an all-clear: a WFM export naming its queues otherwise than the
            # contacts (Q_STOERUNG for Störung) read "No interval ... was staffed below" before
            why = staffing_not_assessed(results) or _QUEUES_NOT_PAIRED
            return _p(f"Staffing against Erlang C is not assessed: {why}.")
        return _p(f"Of the {modelled:,} intervals modelled, none with contacts was staffed below the Erlang C "
                  "requirement.")
    lo, hi = under["measured_sl"].min(), under["measured_sl"].max()
    elo, ehi = under["erlang_sl"].min(), under["erlang_sl"].max()
    n = int(under["intervals"].sum())
    return _p(
        f"In the {n:,} intervals staffed below the requirement, customers got a measured service level of "
        f"{pct(lo)} to {pct(hi)} across the gap bands, where Erlang C predicts {pct(elo)} to {pct(ehi)} for the "
        "agents staffed. Erlang C assumes nobody abandons and each agent takes one contact at a time; where the "
        "two differ, read the requirement as the model's answer for the target, not as a forecast of what "
        "customers will get."
    )


def _no_price(results: Any) -> str:
    """Why a cost has no value, from the price table: each channel without a price, why, and
    the fix that fits it (a price; handle times to derive one; the cost of an agent hour).
    "Give cost.loaded_hourly_cost" was said to an engagement that gave it, whose export had
    no handle times. :data:`NO_PRICE` when the table names no unpriced channel."""
    prices = results.frame("channel_prices")
    unpriced = prices[prices["basis"] == "not priced"] if prices is not None else None
    if unpriced is None or unpriced.empty:
        return NO_PRICE
    channels = [_words(c) for c in unpriced["channel"]]
    reasons = [str(r).removeprefix("not priced: ") for r in unpriced["source"]]
    fixes = [f"give cost.cost_per_contact for {_listing(channels)}"]
    if any("no measured AHT" in r for r in reasons):
        fixes.append("map handle times (sources.contacts.columns.talk_s) to derive it from cost.loaded_hourly_cost")
    if any("no cost.loaded_hourly_cost" in r for r in reasons):
        fixes.append("give cost.loaded_hourly_cost to derive it from AHT")
    if len(set(reasons)) == 1:  # one reason for every channel: said once
        why = f"{_listing(channels)} {'has' if len(channels) == 1 else 'have'} no price: {reasons[0]}"
    else:
        why = (f"{_listing(channels)} have no price ("
               + "; ".join(f"{c}: {r}" for c, r in zip(channels, reasons, strict=True)) + ")")
    return f"{why}; {', or '.join(fixes)}"


def _why_not_priced(results: Any, scenario: str) -> str:
    """Why a scenario's net saving has no value: the price its unpriced saving lines lack (a
    price per contact, or the cost of an agent hour for a change in handle time)."""
    from cxkit.scenarios import HOURLY_SAVINGS, HOURLY_SAVINGS_HOURS

    lines = results.frame("scenario_lines")
    lines = lines[lines["scenario"] == scenario]
    mine = lines[lines["item"].str.startswith("Saving") & lines["value"].isna()]
    unpriced = set(mine["item"])
    hours = lines.set_index("item")["value"]
    why = []
    if unpriced - set(HOURLY_SAVINGS):
        why.append(_no_price(results))
    # a saving priced from agent hours lacks the hours (no handle times) or the hour's cost
    hourly = unpriced & set(HOURLY_SAVINGS)
    if any(pd.isna(hours.get(HOURLY_SAVINGS_HOURS[i])) for i in hourly):
        summary = results.frame("scenario_summary")
        mine_row = summary.loc[summary["scenario"] == scenario]
        untimed = mine_row.get("hours_not_measured", pd.Series(dtype=object)).dropna()
        why.append("the agent hours it would save are not measured" + (f" ({untimed.iloc[0]})" if len(untimed) else ""))
    if any(not pd.isna(hours.get(HOURLY_SAVINGS_HOURS[i])) for i in hourly):
        why.append("no cost of an agent hour, as no priced channel has a measured handle time to imply one: "
                   "give cost.loaded_hourly_cost")
    return "; ".join(why) or _no_price(results)


def year_column(results: Any) -> str:
    """The heading of a yearly column: "A year (extrapolated)" over fewer days than a year,
    "A year (the period's own)" over a year, "A year (on average)" over more."""
    return f"A year ({yearly(data_days(results))})"


#: what the scenarios' yearly figures are, by how a year comes from the period (``wording.yearly``)
_YEARLY_FIGURES = {"extrapolated": "extrapolations", "the period's own": "the period's own",
                   "on average": "averages over the period"}


def _yearly_figures(results: Any) -> str:
    """How the scenarios' yearly figures come from the period, as a sentence's start."""
    return f"Yearly figures are {_YEARLY_FIGURES[yearly(data_days(results))]}"


def avoidable_bridge(results: Any) -> display.Html:
    """Repeat cost plus failure demand, less the repeats in both, as a bridge a finance reader
    adds up (period and year), with the figure's caveats below it."""
    if not (results.manifest["parameters"].get("failure_demand_reasons") or []):
        return _empty()
    reason = results.judge.not_measured("avoidable_cost")
    if reason:
        return display.caveat("not measured", f"Repeat cost and failure demand counted once: {reason}.")
    row = results.row("avoidable_cost")
    if row is None:
        return _empty()
    if _num(row["failure_demand_cost"]) is None:
        # no failure-demand contact in a priced channel: the bridge would add "£0.00" of it
        return display.caveat("not measured", "Repeat cost and failure demand counted once: the failure-demand "
                                              "contacts are all in channels without a price, so their cost is not "
                                              "priced (cost.cost_per_contact).")
    days = int(row["period_days"])
    lines = [
        ("Repeat cost", row["repeat_cost"], row["repeat_cost_annualised"]),
        ("+ failure demand cost", row["failure_demand_cost"], row["failure_demand_cost_annualised"]),
        (f"- repeats that are also failure demand ({int(row['repeat_overlap']):,}, in both figures)",
         # repeats in channels without a price are in neither cost: nothing to take away for them
         -(_num(row["repeat_overlap_cost"]) or 0.0), -(_num(row["repeat_overlap_cost_annualised"]) or 0.0)),
        ("= repeat cost and failure demand, counted once", row["avoidable_cost"], row["avoidable_cost_annualised"]),
    ]
    frame = pd.DataFrame(lines, columns=["item", "period", "year"])
    shown = display.table(frame, columns={"item": "", "period": f"Period ({in_days(days)})",
                                          "year": f"A year ({yearly(days)})"},
                          formats={"period": money_format(results), "year": money_format(results, 0)})
    notes = results.caveats("avoidable_cost")
    text = "; ".join(f"{item} {money(results, period)} ({money(results, year, 0)} a year)"
                     for item, period, year in lines)
    return display.Html(f"{text}\n{notes}".strip(), shown.to_html() + notes._repr_html_())


def heatmap_cells(frame: pd.DataFrame, min_offered: float = HEATMAP_MIN_OFFERED) -> pd.DataFrame:
    """Forecast error cells with too few contacts offered blanked (their percentages are noise)."""
    out = frame.copy()
    out.loc[out["offered"] < min_offered, "wape"] = float("nan")
    return out


# ---------------------------------------------------------------- the summary page


def headline(results: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The summary's cost card and finding: repeat cost for the period and annualised, with
    where the prices come from; the card names its figure, so the cost model's caveats (and
    AHT's when a price is derived) print inside it. ``(None, None)`` when the run has no cost
    results (or the repeat cost is not measured: the card then says so)."""
    from cxkit.display import escape_markdown

    if "repeat_cost_total" not in results.manifest["results"] or not results.available("repeat_cost_total"):
        return None, None
    row = _total(results)
    figure = _cost_figure(row)
    if row is None:
        return None, None
    days = int(row["period_days"])
    basis = _basis_words(results, row["price_basis"])
    # a year of data is the year's figure: nothing to scale
    per_year = f"{money(results, row['repeat_cost_annualised'], 0)} a year ({yearly(days)}); " if a_year(days) else ""
    unpriced = int(_num(row["not_priced_repeats"]) or 0)  # null when the repeat cost is not measured
    card = {
        "label": f"Repeat contacts cost ({in_days(days)})",
        "figure": figure,
        "value": money(results, row["repeat_cost"]),
        "format": "text",
        "detail": per_year + _basis_words(results, row["price_basis"], short=True)
        # the repeats left out are said on the figure they lower, not only in the sentence below
        + (f"; {unpriced:,} of {int(row['repeats']):,} repeats in channels without a price "
           f"({row['not_priced_channels']}) kept out, not priced at 0" if unpriced else "")
        + (f"; a floor ({why})" if (why := repeat_share_edge_words(results)) else ""),
    }
    if results.judge.not_measured(figure):
        return card, None
    if _num(row["repeat_cost"]) is None:
        card.update(value="not priced", detail=_no_price(results))
        return card, (f"The {plural(int(row['repeats']), 'repeat contact')} of the {in_days(days)} could not be priced: "
                      f"{escape_markdown(_no_price(results))}.")
    finding = (
        f"Repeat contacts cost {escape_markdown(money(results, row['repeat_cost']))} in the {in_days(days)} of data "
        f"({plural(int(row['priced_repeats']), 'repeat')} priced at their channel's cost per contact)"
        + (f", about {escape_markdown(money(results, row['repeat_cost_annualised'], 0))} a year {scaled}"
           if (scaled := a_year(days)) else "")
        + f"; {escape_markdown(basis)}."
    )
    if floor := repeat_share_floor(results):
        finding += f" The count of repeats, and so their cost, is {escape_markdown(floor)}."
    if unpriced:
        finding += (f" {plural(unpriced, 'repeat contact')} in channels without a price "
                    f"({escape_markdown(row['not_priced_channels'])}) {'is' if unpriced == 1 else 'are'} left out, "
                    "not priced at 0.")
    verdict = ((results.readiness or {}).get("matrix", {}).get("cost_model") or {})
    if (reason := _reason(verdict, figure)) is not None:
        finding += f" Readiness rates the cost model {reason[0]}: {escape_markdown(reason[1])}."
    return card, finding


def _reason(entry: dict[str, Any], figure: str) -> tuple[str, str] | None:
    """The worst degraded or blocked reason of a matrix entry that reaches ``figure`` (a reason
    naming the figures it limits reaches only those: talk times, which only derived prices
    need, said the cost model was blocked beside a repeat cost priced from given prices)."""
    if entry.get("verdict") not in ("degraded", "blocked") or figure in entry.get("spared", ()):
        return None
    reasons = entry.get("reasons") or [{"verdict": entry["verdict"], "reason": entry.get("reason", "")}]
    for r in reasons:
        if r.get("verdict") in ("degraded", "blocked") and reaches(r, figure):
            return str(r["verdict"]), str(r["reason"])
    return None
