"""The report's opening page: headline numbers and what the data says, in plain words.

Everything here is read from the run's results (:class:`cxkit.results.ResultSet`): nothing is
recomputed, every sentence is built from the numbers it quotes, a figure the export cannot
support reads "not measured", and each headline carries the caveats of its figure
(:mod:`cxkit.figures` decides which).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cxkit import cost_narrative
from cxkit.display import escape_markdown
from cxkit.errors import CxkitError
from cxkit.narrative import (
    NO_ELIGIBLE,
    data_days,
    pct,
    plural,
    repeat_share_edge_words,
    repeat_share_floor,
    why_none_judged,
)
from cxkit.scorecard import DEFAULT_BENCHMARKS, PLACED, TOO_FEW, benchmark_status
from cxkit.wording import a_year
from cxkit.wording import days as in_days

__all__ = ["Headlines", "headlines", "top_findings"]


def _ok(value: Any) -> bool:
    return value is not None and not pd.isna(value)


@dataclass
class Headlines:
    """Headline cards (for :meth:`cxkit.results.ResultSet.cards`), findings (Markdown sentences
    whose values from data are escaped, so a reason written as a link stays text) and caveats."""

    cards: list[dict[str, Any]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    caveats: list[tuple[str, str]] = field(default_factory=list)

    def said(self, figure: str, judge: Any, text: str) -> None:
        """Add a finding about ``figure``; one whose diagnostic readiness blocked says so first, as
        its card does (the sentence is read without the card)."""
        if any(c.verdict == "blocked" for c in judge.caveats(figure)):
            text = f"Blocked by the data, not to be quoted until it is fixed (see the caveats below): {text}"
        self.findings.append(text)

    def caveat_boxes(self):
        """One display block: a box per caveat, or a note that every diagnostic is ready."""
        from cxkit import display

        if not self.caveats:
            return display.note("Every diagnostic in this report is rated ready: the checks it depends on passed.")
        boxes = [display.caveat(verdict, reason) for verdict, reason in self.caveats]
        return display.Html("\n".join(str(b) for b in boxes), "".join(b._repr_html_() for b in boxes))

    def findings_markdown(self) -> str:
        """The findings as a Markdown list (values from data in them are already escaped)."""
        if not self.findings:
            # "No finding could be stated" sat under three findings to act on, in an export
            # without customer ids: these are the summary's statements, not the findings
            return ("None of the statements this summary makes (first-contact resolution, repeat share and what "
                    "repeats cost, resolution by reason, repeats after a transfer) could be made from this data: "
                    "the cards above say why, and the sections below give what was measured.")
        return "\n".join(f"- {text}" for text in self.findings)


#: what a channel's contacts are called on the service-level card of a centre without calls
_ANSWERED_NOUN = {"chat": "Chats", "email": "Emails", "messaging": "Messages", "social": "Social messages"}


def _within(seconds: float) -> str:
    """A service-level threshold as a reader says it.

    >>> _within(60), _within(3600), _within(86400), _within(90), _within(600)
    ('60 s', '1 h', '24 h', '90 s', '10 min')
    """
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 120 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _busiest_channel(results: Any) -> dict[str, Any] | None:
    """For a centre no call was offered to (chat, e-mail, messaging only), the operations row of
    the channel with the most contacts offered to a queue; None where no such contact was."""
    ops = results.frame("operations")
    if ops is None:
        return None
    rows = ops[ops["channel"].isin(list(_ANSWERED_NOUN)) & (ops["offered"] > 0)]
    if rows.empty:
        return None
    return rows.sort_values(["offered", "channel"], ascending=[False, True]).iloc[0].to_dict()


def _reasons_left_out(results: Any) -> str:
    """The contact reasons the engagement leaves out of FCR (``resolution.exclude_reasons``), as
    said beside the figure ("FRAUD_REPORT left out by the engagement"), or "" when none is. Plain
    text, for a card; a sentence escapes it as it escapes values from data."""
    try:
        reasons = results.param("exclude_reasons") or []
    except CxkitError:  # a run folder written before the parameter was kept
        reasons = []
    if not reasons:
        return ""
    return f"{', '.join(str(r) for r in reasons)} left out by the engagement"


def _service_level_label(results: Any, measured: Any, channel: str = "voice") -> str:
    """The service-level card's label: the threshold the result used, or, where the service
    level is not measured, the one the engagement sets for the channel (voice: calls)."""
    threshold = measured if _ok(measured) else None
    if threshold is None:
        try:
            seconds = results.param("sl_seconds")
        except CxkitError:  # a run folder written before the parameter was kept
            seconds = {}
        threshold = seconds.get(channel, seconds.get("default")) if isinstance(seconds, dict) else None
    if channel != "voice":
        noun = _ANSWERED_NOUN[channel]
        return f"{noun} answered within {_within(float(threshold))}" if _ok(threshold) else f"{noun}: service level"
    return f"Calls answered within {float(threshold):g} s" if _ok(threshold) else "Voice service level"


def _reasons_named(names: list[str]) -> str:
    """Reasons as a sentence names them: every one up to three, then a count of the rest.

    >>> _reasons_named(["A"]), _reasons_named(["A", "B", "C"]), _reasons_named(["A", "B", "C", "D", "E"])
    ('A', 'A, B and C', 'A, B, C and 2 other reasons')
    """
    if len(names) == 1:
        return names[0]
    if len(names) <= 3:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return f"{', '.join(names[:3])} and {len(names) - 3:,} other reason{'s' if len(names) > 4 else ''}"


def _against_benchmark(results: Any, fcr: dict[str, Any]) -> str | None:
    """Where FCR stands against its benchmark range, in words, as the run's scorecard placed it
    (the engagement's range when it sets one; nothing placed under the minimum sample)."""
    row = results.row("scorecard", metric="fcr")
    if row is None:  # a run without the scorecard: the default range, as the scorecard would place it
        status, _ = benchmark_status(fcr["rate"], DEFAULT_BENCHMARKS["fcr"], fcr.get("ci_low"), fcr.get("ci_high"))
        low, high, source = DEFAULT_BENCHMARKS["fcr"].low, DEFAULT_BENCHMARKS["fcr"].high, None
    else:
        status, low, high, source = row["status"], row.get("bench_low"), row.get("bench_high"), row.get("source")
    if status == TOO_FEW:
        return f"too few contacts judged to place against a benchmark range (fewer than {int(results.param('min_n'))})"
    if status not in PLACED:
        return None
    default = DEFAULT_BENCHMARKS["fcr"]
    if source is None or (low == default.low and high == default.high and source == default.source):
        return f"{status} the {low * 100:.0f}-{high * 100:.0f}% range SQM Group reports as good"
    return f"{status} the benchmark range the engagement sets, {pct(low)}-{pct(high)} ({escape_markdown(str(source))})"


def headlines(results: Any) -> Headlines:
    """Headline numbers and findings of a run, with the caveats that apply.

    ``results`` is the run's :class:`cxkit.results.ResultSet`; its readiness (when the run has
    one) supplies the caveats, and without it the page says that readiness did not run.
    """
    judge = results.judge
    out = Headlines()
    matrix = (results.readiness or {}).get("matrix", {})
    for entry in matrix.values():
        if entry.get("verdict") in ("degraded", "blocked"):
            out.caveats.append((entry["verdict"], entry["reason"]))
    window = float(results.param("repeat_window_days"))
    days = int(results.manifest["period"]["days"])
    w = f"{window:g}-day"

    fcr = results.row("fcr_overall")
    left_out = _reasons_left_out(results)
    # a period shorter than the window judges nobody: the card and a sentence say why
    unjudged = why_none_judged(fcr, results) if fcr and not _ok(fcr["rate"]) else ""
    if unjudged == NO_ELIGIBLE:
        unjudged = "no contact is eligible (inbound, handled by an agent, from an identified customer, its reason not excluded)"
    out.cards.append({
        "label": f"First-contact resolution ({w} window)",
        "figure": "fcr_repeat",
        "value": fcr["rate"] if fcr else None,
        "format": "percent",
        "detail": (f"95% CI {pct(fcr['ci_low'])}-{pct(fcr['ci_high'])}; {int(fcr['denominator']):,} contacts judged"
                   + (f"; {left_out}" if left_out else "")
                   if fcr and _ok(fcr["rate"]) else
                   "no eligible contact could be judged" + (f": {unjudged}" if unjudged else "")),
    })
    if unjudged and judge.measured("fcr_repeat"):
        eligible = int(fcr["eligible"]) if _ok(fcr.get("eligible")) else 0
        # it quotes no figure: nothing to warn against quoting
        out.findings.append(f"First-contact resolution cannot be given: {unjudged}"
                            + (f" ({plural(eligible, 'eligible contact')}, none judged)" if eligible else "") + ".")
    if fcr and _ok(fcr["rate"]) and judge.measured("fcr_repeat"):
        against = _against_benchmark(results, fcr)
        if against:
            out.said("fcr_repeat", judge,
                f"First-contact resolution is {pct(fcr['rate'])} (95% CI {pct(fcr['ci_low'])}-{pct(fcr['ci_high'])}, "
                f"{int(fcr['denominator']):,} contacts judged{f'; {escape_markdown(left_out)}' if left_out else ''}), "
                f"{against}; "
                f"{plural(int(fcr['censored']), 'contact')} too recent to judge are left out, not counted as resolved."
            )

    share = results.row("repeat_share_overall")
    floor = repeat_share_floor(results)
    out.cards.append({
        "label": "Repeat share of inbound contacts",
        "figure": "repeat_share",
        "value": share["rate"] if share else None,
        "format": "percent",
        "detail": f"{int(share['numerator']):,} of {int(share['denominator']):,} contacts from identified customers"
        + (f"; a floor ({repeat_share_edge_words(results)})" if floor else "")
        if share and _ok(share["rate"]) else None,
    })
    if share and _ok(share["rate"]) and judge.measured("repeat_share"):
        repeats = int(share["numerator"])
        # the days the contacts cover, as the cost figures count them: a period the data stops
        # short of would scale the repeats to a year from days without data
        covered = data_days(results) or days
        yearly = repeats * 365 / covered
        out.said("repeat_share", judge,
            f"{pct(share['rate'])} of inbound contacts from identified customers were the customer coming back "
            f"within {in_days(window)}: {plural(repeats, 'contact')} in {in_days(covered)} of data"
            + (f", about {yearly:,.0f} a year {scaled}." if (scaled := a_year(covered)) else ".")
            + (f" The share is {escape_markdown(floor)}." if floor else "")
        )

    cost_card, cost_finding = cost_narrative.headline(results)  # what the repeats cost, where prices come from
    if cost_card is not None:
        out.cards.append(cost_card)
    if cost_finding is not None:
        out.said(cost_card["figure"] if cost_card else "repeat_cost", judge, cost_finding)

    # the calls' service level; a centre without calls: its busiest channel's, at its own
    # threshold (the headline had no service level at all)
    voice = results.row("operations", channel="voice")
    shown = voice if voice is not None else _busiest_channel(results)
    if shown is not None:
        channel = str(shown["channel"])
        abandons = channel != "email" and _ok(shown["abandon_rate"]) and judge.measured("abandon_rate")
        noun = "calls" if channel == "voice" else _ANSWERED_NOUN[channel].lower()
        # the calls' card says nothing more without an abandon rate (their offered count may not
        # be measured either); another channel's gives its volume
        offered = None if channel == "voice" and not abandons else f"{int(shown['offered']):,} {noun} offered"
        out.cards.append({
            "label": _service_level_label(results, shown["sl_threshold_s"], channel),
            "figure": "service_level",
            "value": shown["service_level"],
            "format": "percent",
            "detail": f"abandon rate {pct(shown['abandon_rate'])} of {offered}" if abandons else offered,
            "quotes": (("abandon_rate", "offered") if abandons else ("offered",)) if offered else (),
        })
    every = results.row("operations", channel="all")
    if every is not None:
        none_handled = _ok(every["handled"]) and int(every["handled"]) == 0
        out.cards.append({
            "label": "Handled contacts transferred",
            "figure": "transfer_rate",
            "value": every["transfer_rate"],
            "format": "percent",
            "detail": (f"{int(every['transferred']):,} of {int(every['handled']):,}" if _ok(every["transfer_rate"])
                       # no rate without a handled contact: the "–" says why
                       else "no contact was handled in the period" if none_handled else None),
        })

    by_reason = results.frame("fcr_by_reason")
    if by_reason is not None and judge.measured("fcr_by_reason"):
        ranked = by_reason[~by_reason["suppressed"].astype(bool) & by_reason["rate"].notna()]
        ranked = ranked[ranked["contact_reason"] != "(not recorded)"].sort_values(["rate", "contact_reason"])
        if len(ranked) >= 2:
            low, high = ranked.iloc[0], ranked.iloc[-1]
            if low["rate"] == high["rate"]:
                # no reason is weakest: naming one would be the alphabet's pick
                out.said("fcr_by_reason", judge,
                    f"Resolution is the same for every reason with enough contacts to rank: {pct(low['rate'])} for "
                    f"each of the {len(ranked):,}."
                )
            else:
                # every reason tied at either end is named: one of them would be the alphabet's pick
                tied = ranked[ranked["rate"] == low["rate"]]["contact_reason"].map(escape_markdown).tolist()
                top = ranked[ranked["rate"] == high["rate"]]
                shared = "" if len(tied) == 1 else " each"
                overlap = low["ci_high"] >= top["ci_low"].min()
                out.said("fcr_by_reason", judge,
                    f"Resolution is weakest for {_reasons_named(tied)}: {pct(low['rate'])}{shared} (95% CI "
                    f"{pct(low['ci_low'])}-{pct(low['ci_high'])}, n = {int(low['denominator']):,}"
                    f"{' for ' + tied[0] if len(tied) > 1 else ''}), against "
                    f"{pct(high['rate'])} for {_reasons_named(top['contact_reason'].map(escape_markdown).tolist())}"
                    + (" each" if len(top) > 1 else "")
                    + ("; the intervals overlap, so the gap may be chance." if overlap else ".")
                )
    transfer = results.frame("repeat_after_transfer")
    if transfer is not None and judge.measured("repeat_after_transfer"):
        t = transfer.set_index("group")
        if "difference" in t.index and _ok(t.loc["difference", "ci_low"]) and t.loc["difference", "ci_low"] > 0:
            d = t.loc["difference"]
            out.said("repeat_after_transfer", judge,
                f"Transferred contacts come back more often: {pct(t.loc['transferred', 'rate'])} against "
                f"{pct(t.loc['not transferred', 'rate'])} for contacts that were not transferred "
                f"(a difference of {100 * d['rate']:.1f} percentage points, 95% CI {100 * d['ci_low']:.1f} to "
                f"{100 * d['ci_high']:.1f})."
            )
    if results.readiness is None:
        out.caveats.append(("info", "data readiness did not run for this report, so no caveat could be attached "
                                    "to its figures"))
    return out


def top_findings(results: Any, n: int = 3):
    """The top ``n`` ranked findings of the run and their size, as a note that leads the page.

    Read from the run's findings (:func:`cxkit.findings.for_run`: ``findings.json``, evaluated
    once per run); the section "Findings and priorities" gives the evidence and the scoring.
    """
    from cxkit import display, findings

    fs = findings.for_run(results)
    listed = fs.top_markdown(n)
    if not listed:
        return display.note("No finding could be stated from this data with enough evidence; the findings section "
                            "lists every rule and why it found nothing or could not be evaluated.")
    more = len(fs.ranked) - min(n, len(fs.ranked))
    tail = f"\n\n{more} more finding{'s' if more != 1 else ''} in the findings section." if more > 0 else ""
    return display.note(listed + tail)
