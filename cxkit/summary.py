"""The report's opening page: headline numbers and the findings they support, in plain words.

It reuses the diagnostics (nothing is computed here that a section does not compute in full)
and the readiness verdicts, so every headline carries the caveat its data needs. Only small
aggregates are executed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cxkit import operations, resolution
from cxkit.scorecard import DEFAULT_BENCHMARKS, benchmark_status
from cxkit.session import Session

__all__ = ["Headlines", "headlines"]


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _one(table) -> dict[str, Any] | None:
    df = table.to_pandas()
    return None if df.empty else df.iloc[0].to_dict()


def _ok(value: Any) -> bool:
    return value is not None and not pd.isna(value)


@dataclass
class Headlines:
    """Headline cards (for ``display.metric_cards``), findings and data caveats."""

    cards: list[dict[str, Any]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    caveats: list[tuple[str, str]] = field(default_factory=list)

    def caveat_boxes(self):
        """One display block: a box per caveat, or a note that every diagnostic is ready."""
        from cxkit import display

        if not self.caveats:
            return display.note("Every diagnostic in this report is rated ready: the checks it depends on passed.")
        boxes = [display.caveat(verdict, reason) for verdict, reason in self.caveats]
        return display.Html("\n".join(str(b) for b in boxes), "".join(b._repr_html_() for b in boxes))

    def findings_markdown(self) -> str:
        if not self.findings:
            return "No finding could be stated from this data; the sections below say why."
        return "\n".join(f"- {text}" for text in self.findings)


def headlines(session: Session, readiness: dict[str, Any] | None = None) -> Headlines:
    """Headline numbers and findings for ``session``, with the readiness caveats that apply.

    ``readiness`` is the content of ``readiness.json`` (``cxkit.readiness.load_readiness``);
    without it no caveat can be attached and the page says so.
    """
    e = session.engagement
    cfg = e.resolution
    contacts = session.table("contacts")
    eod = session.end_of_data
    window = dict(end_of_data=eod, window_days=cfg.repeat_window_days, exclude_reasons=cfg.exclude_reasons)
    out = Headlines()
    matrix = (readiness or {}).get("matrix", {})
    for key, entry in matrix.items():
        if entry.get("verdict") in ("degraded", "blocked"):
            out.caveats.append((entry["verdict"], entry["reason"]))
    blocked = {k for k, v in matrix.items() if v.get("verdict") == "blocked"}
    days = e.period.days
    w = f"{cfg.repeat_window_days:g}-day"

    fcr = None if "fcr_repeat" in blocked else _one(resolution.fcr_repeat(contacts, **window))
    if fcr and _ok(fcr["rate"]):
        out.cards.append({
            "label": f"First-contact resolution ({w} window)",
            "value": fcr["rate"],
            "format": "percent",
            "detail": f"95% CI {_pct(fcr['ci_low'])}-{_pct(fcr['ci_high'])}; {int(fcr['denominator']):,} contacts judged",
        })
        status, _ = benchmark_status(fcr["rate"], DEFAULT_BENCHMARKS["fcr"])
        where = {"below": "below", "within": "within", "above": "above"}.get(status)
        if where:
            out.findings.append(
                f"First-contact resolution is {_pct(fcr['rate'])} (95% CI {_pct(fcr['ci_low'])}-{_pct(fcr['ci_high'])}), "
                f"{where} the 70-79% range SQM Group reports as good; {int(fcr['censored']):,} contacts too recent "
                f"to judge are left out, not counted as resolved."
            )

    share = None if "fcr_repeat" in blocked else _one(resolution.repeat_share(contacts, window_days=cfg.repeat_window_days))
    if share and _ok(share["rate"]):
        repeats = int(share["numerator"])
        out.cards.append({
            "label": "Repeat share of inbound contacts",
            "value": share["rate"],
            "format": "percent",
            "detail": f"{repeats:,} of {int(share['denominator']):,} contacts from identified customers",
        })
        yearly = repeats * 365 / days
        out.findings.append(
            f"{_pct(share['rate'])} of inbound contacts from identified customers were the customer coming back "
            f"within {cfg.repeat_window_days:g} days: {repeats:,} contacts in {days} days, about {yearly:,.0f} a year "
            f"if this period is typical (annualised as x 365 / {days}, an extrapolation). This is the volume a cost "
            f"model prices."
        )

    ops = operations.operations_summary(
        contacts, sl_seconds=e.operations.sl_seconds, short_abandon_s=e.operations.short_abandon_s
    ).to_pandas().set_index("channel")
    if "voice" in ops.index and _ok(ops.loc["voice", "service_level"]) and "service_level" not in blocked:
        v = ops.loc["voice"]
        out.cards.append({
            "label": f"Calls answered within {v['sl_threshold_s']:g} s",
            "value": v["service_level"],
            "format": "percent",
            "detail": f"abandon rate {_pct(v['abandon_rate'])} of {int(v['offered']):,} calls offered",
        })
    if "all" in ops.index and _ok(ops.loc["all", "transfer_rate"]):
        a = ops.loc["all"]
        out.cards.append({
            "label": "Handled contacts transferred",
            "value": a["transfer_rate"],
            "format": "percent",
            "detail": f"{int(a['transferred']):,} of {int(a['handled']):,}",
        })

    if fcr and "fcr_repeat" not in blocked:
        by_reason = resolution.fcr_breakdown(contacts, by="contact_reason", min_n=cfg.min_n, **window).to_pandas()
        ranked = by_reason[~by_reason["suppressed"].astype(bool) & by_reason["rate"].notna()]
        ranked = ranked[ranked["contact_reason"] != "(not recorded)"]
        if len(ranked) >= 2:
            low = ranked.sort_values("rate").iloc[0]
            high = ranked.sort_values("rate").iloc[-1]
            out.findings.append(
                f"Resolution is weakest for {low['contact_reason']}: {_pct(low['rate'])} (95% CI "
                f"{_pct(low['ci_low'])}-{_pct(low['ci_high'])}, n = {int(low['denominator']):,}), against "
                f"{_pct(high['rate'])} for {high['contact_reason']}."
            )
        transfer = resolution.repeat_after_transfer(contacts, **window).to_pandas().set_index("group")
        if "difference" in transfer.index and _ok(transfer.loc["difference", "ci_low"]):
            d = transfer.loc["difference"]
            if d["ci_low"] > 0:
                out.findings.append(
                    f"Transferred contacts come back more often: {_pct(transfer.loc['transferred', 'rate'])} against "
                    f"{_pct(transfer.loc['not transferred', 'rate'])} for contacts that were not transferred "
                    f"(difference {_pct(d['rate'])}, 95% CI {_pct(d['ci_low'])}-{_pct(d['ci_high'])})."
                )
    if readiness is None:
        out.caveats.append(("info", "the data-readiness verdicts were not available when this page was written"))
    return out
