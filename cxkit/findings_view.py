"""Showing findings: the ranked table, the value-and-ease chart, buckets, lanes, the appendix and
the one-page briefs (Markdown and self-contained HTML).

Everything shown here is read from a :class:`cxkit.findings.FindingSet`; every value from data
is HTML-escaped (or Markdown-escaped where it reaches Markdown), and the only links are to the
report's own headings, built from safe slugs.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from cxkit import display
from cxkit.wording import money
from cxkit.findings import (
    BRIEF_FIELDS, BRIEFS_DIR, BUCKETS, LANES, NOT_ASSESSED, SCREENS, TIE_BREAK, Finding, _md, pct, slug,
)

__all__ = ["ranked_table", "weights_note", "value_ease_chart", "by_bucket", "lanes", "appendix", "briefs_note",
           "top_markdown", "write_briefs", "brief_markdown", "brief_html"]

_CELL = "padding:4px 8px;border-bottom:1px solid #E4E7EB;vertical-align:top;"
_HEAD = "padding:4px 8px;border-bottom:2px solid #9AA5B1;text-align:left;vertical-align:bottom;"
_SCREEN_SHORT = {"customer_effect": "Customer", "operational_effect": "Operational",
                 "delivery_complexity": "Complexity", "dependency_risk": "Risk"}


def _e(text: Any) -> str:
    return html.escape(str(text))


def _screen_cell(f: Finding, key: str) -> str:
    s = f.screens[key]
    if s.value is None:
        return f'<span title="{_e(s.basis or NOT_ASSESSED)}" style="color:#B7791F;">n/a*</span>'
    mark = "" if s.source == "data" else "†"
    return f'<span title="{_e(s.basis)}">{s.value:g}{mark}</span>'


def _caveat(f: Finding) -> str:
    """The caveats readiness puts on the figures a finding rests on, as one sentence ('' if none):
    a finding quotes those figures, so their caveats go where it is stated."""
    return "; ".join(dict.fromkeys(f.caveats))


def _evidence_cell(f: Finding) -> str:
    text = f.evidence.text() if f.source == "data" else f.evidence_text
    link = ""
    if f.evidence.anchor:
        link = (f'<br><a href="#{_e(slug(f.evidence.anchor))}">see: {_e(f.evidence.heading)}</a>')
    caveat = f"<br><em>Caveat: {_e(_caveat(f))}</em>" if f.caveats else ""
    return f"{_e(text)}{link}{caveat}"


def _size_short(f: Finding) -> str:
    s = f.size
    parts = []
    if s.repeats is not None:
        parts.append(f"{s.repeats:,.0f} extra contacts" if s.extra_contacts else f"{s.repeats:,.0f} {s.repeats_label}")
    if s.hours is not None:
        parts.append(f"{s.hours:,.0f} agent h")
    if s.cost_year is not None:
        parts.append(f"{money(s.cost_year, s.currency, 0)} a year")
    if not parts and s.affected is not None:
        parts.append(f"{s.affected:,.0f} {s.affected_label}")
    return "; ".join(parts) if parts else "not sized from the data"


def ranked_table(fs: Any) -> display.Html:
    """The ranked findings: score, the four screens, bucket, lane, size and evidence with a link."""
    ranked = fs.ranked
    if not ranked:
        return display.note("No finding is stated for this run: no rule's condition was met with enough evidence, "
                            "and findings.yaml adds none. The appendix below lists every rule and why.")
    head = ["#", "Finding", "Bucket", "Lane", "Score", *[_SCREEN_SHORT[k] for k in SCREENS], "Size", "Evidence"]
    rows = []
    text = []
    for f in ranked:
        concerns = f"{f.concerns_kind}: {f.concerns}" if f.concerns_kind not in ("centre",) else f.concerns
        source = "" if f.source == "data" else " (consultant)"
        cells = [
            f"{f.rank}",
            f"<strong>{_e(f.title)}</strong>{_e(source)}<br><span style='color:#52606D;'>{_e(concerns)}</span>"
            + (f"<br><span style='color:#52606D;font-size:12px;'>also: {_e('; '.join(f.merged))}</span>"
               if f.merged else ""),
            _e(BUCKETS[f.bucket]),
            _e(LANES[f.lane]),
            f"<strong>{f.score:.2f}</strong>",
            *[_screen_cell(f, k) for k in SCREENS],
            _e(_size_short(f)),
            _evidence_cell(f),
        ]
        rows.append("<tr>" + "".join(f'<td style="{_CELL}">{c}</td>' for c in cells) + "</tr>")
        text.append(f"{f.rank}. {f.title} ({f.score:.2f}): {_size_short(f)}")
    markup = (
        '<table class="cxkit-table cxkit-findings" style="border-collapse:collapse;font-size:13px;margin:0.5em 0 1em;">'
        "<thead><tr>" + "".join(f'<th style="{_HEAD}">{_e(h)}</th>' for h in head) + "</tr></thead><tbody>"
        + "".join(rows) + "</tbody></table>"
        '<p style="font-size:12px;color:#52606D;">n/a* = not assessed (counted at the neutral value stated above); '
        "† = set by the consultant in findings.yaml; other screens are computed from the data (hover for the "
        "basis).</p>"
    )
    return display.Html("\n".join(text), markup)


def weights_note(fs: Any) -> display.Html:
    """The priority score and its parameters in force, printed beside the ranked table."""
    s = fs.settings
    w = s.weights
    total = sum(w.values())
    cb = ", ".join(pct(b, 1) for b in s.customer_effect_bands)
    ob = ", ".join(pct(b, 2) for b in s.operational_effect_bands)
    weighted = (f"{w['customer_effect']:g} x customer effect + {w['operational_effect']:g} x operational effect + "
                f"{w['delivery_complexity']:g} x (6 - delivery complexity) + {w['dependency_risk']:g} x "
                "(6 - dependency risk)")
    # weights that add up to 1 need no division (the defaults): "/ 1" is noise to a reader
    formula = weighted if abs(total - 1) < 1e-9 else f"({weighted}) / {total:g}"
    # the default threshold, 0, keeps every finding: "scoring at least 0" would state nothing
    threshold = f" scoring at least {s.min_score:g}" if s.min_score > 0 else ""
    md = (
        f"**Priority score** = {formula}, on 1-5: 5 is large and easy. Every screen runs from 1 (least) to 5 (most). "
        f"Customer effect from the data: the share of the centre's volume the finding touches, reaching 2, 3, 4 and 5 "
        f"at {cb}. Operational effect from the data: its agent hours as a share of the centre's, reaching 2, 3, 4 "
        f"and 5 "
        f"at {ob}. Delivery complexity and dependency risk are the consultant's (findings.yaml); a screen nobody "
        f"assessed counts as {s.not_assessed:g} and is marked. {TIE_BREAK}. Weights and bands are engagement "
        f"parameters (`findings:` in the engagement file); briefs are written for the top {s.top_n} "
        f"findings{threshold}."
    )
    return display.note(md)


def value_ease_chart(fs: Any) -> Any:
    """The 2x2: each ranked finding by ease and value, labelled with its rank."""
    from cxkit import charts

    frame = fs.frame()
    if frame.empty:
        return display.note("No finding to place on the chart.")
    # findings with the same screens sit on the same spot: one point, labelled with every rank
    points = [
        {"ease": ease, "value": value, "label": ", ".join(str(int(r)) for r in g["rank"]),
         "bucket": g["bucket"].iloc[0] if g["bucket"].nunique() == 1 else "several buckets"}
        for (ease, value), g in frame.sort_values("rank").groupby(["ease", "value"], sort=False)
    ]
    import pandas as pd

    return charts.value_ease(
        pd.DataFrame(points), "ease", "value", "label", color="bucket", title="Where to act first: value against ease",
        subtitle="Value = customer and operational effect; ease = 6 - complexity and risk (1-5); numbers are ranks",
        x_title="Ease (higher is easier)", y_title="Value (higher is larger)", color_title="Friction bucket",
    )


def _finding_block(f: Finding) -> str:
    evidence = f.evidence.text() if f.source == "data" else f.evidence_text
    link = (f' <a href="#{_e(slug(f.evidence.anchor))}">see: {_e(f.evidence.heading)}</a>'
            if f.evidence.anchor else "")
    size = f.size.text() if f.source == "data" else "sized by the consultant's screens"
    return (
        f'<li style="margin:0.3em 0;"><strong>{_e(f.rank)}. {_e(f.title)}</strong> '
        f"<span style='color:#52606D;'>(score {f.score:.2f}; {_e(LANES[f.lane])})</span><br>{_e(f.defect)}<br>"
        f"<span style='font-size:12px;color:#3E4C59;'>Evidence: {_e(evidence)}.{link} Size: {_e(size)}."
        + (f"<br><em>Caveat: {_e(_caveat(f))}.</em>" if f.caveats else "")
        + "</span></li>"
    )


def by_bucket(fs: Any) -> display.Html:
    """The ranked findings grouped by friction bucket."""
    parts, text = [], []
    for key, label in BUCKETS.items():
        items = [f for f in fs.ranked if f.bucket == key]
        parts.append('<div style="margin:0.6em 0;"><p style="font-weight:600;margin:0.2em 0;">'
                     f"{_e(label.capitalize())} "
                     f"({len(items)})</p>")
        if items:
            parts.append('<ul style="margin:0;padding-left:1.2em;font-size:14px;">'
                         + "".join(_finding_block(f) for f in items) + "</ul>")
        else:
            parts.append('<p style="font-size:13px;color:#52606D;margin:0;">No finding in this bucket.</p>')
        parts.append("</div>")
        text.append(f"{label}: {len(items)}")
    return display.Html("; ".join(text), "".join(parts))


def lanes(fs: Any) -> display.Html:
    """The four roadmap lanes side by side, each with its findings by rank."""
    cols, text = [], []
    for key, label in LANES.items():
        items = [f for f in fs.ranked if f.lane == key]
        body = "".join(
            f'<li style="margin:0.25em 0;">{_e(f.rank)}. {_e(f.title)} <span style="color:#52606D;">'
            f"({f.score:.2f})</span></li>" for f in items
        ) or '<li style="color:#52606D;list-style:none;">none</li>'
        cols.append(
            '<div style="flex:1 1 200px;border:1px solid #E4E7EB;border-radius:6px;padding:8px 12px;background:#FFF;">'
            f'<div style="font-weight:600;font-size:14px;margin-bottom:4px;">{_e(label.capitalize())}</div>'
            f'<ul style="margin:0;padding-left:1.1em;font-size:13px;">{body}</ul></div>'
        )
        text.append(f"{label}: {', '.join(f.title for f in items) or 'none'}")
    return display.Html("\n".join(text),
                        '<div class="cxkit-lanes" style="display:flex;flex-wrap:wrap;gap:10px;margin:0.75em 0;">'
                        + "".join(cols) + "</div>")


def _table(head: list[str], rows: list[list[str]]) -> str:
    return (
        '<table class="cxkit-table" style="border-collapse:collapse;font-size:13px;margin:0.5em 0 1em;">'
        "<thead><tr>" + "".join(f'<th style="{_HEAD}">{_e(h)}</th>' for h in head) + "</tr></thead><tbody>"
        + "".join("<tr>" + "".join(f'<td style="{_CELL}">{_e(c)}</td>' for c in r) + "</tr>" for r in rows)
        + "</tbody></table>"
    )


def appendix(fs: Any) -> display.Html:
    """Rules that could not be evaluated (and why), rules checked without a finding, findings
    dismissed or merged by the consultant, and overrides that matched nothing."""
    parts, text = [], []
    missing = fs.not_evaluated
    if missing:
        parts.append("<p><strong>Rules that could not be evaluated on this data</strong></p>")
        parts.append(_table(["Rule", "Why not", "What it checks"],
                            [[s.title, s.reason, s.condition] for s in missing]))
        text += [f"not evaluated: {s.title}: {s.reason}" for s in missing]
    else:
        parts.append("<p>Every rule could be evaluated on this data.</p>")
    quiet = [s for s in fs.rules if s.status == "not found"]
    if quiet:
        parts.append("<p><strong>Rules evaluated that found nothing</strong></p>")
        parts.append(_table(["Rule", "What it checks"], [[s.title, s.condition] for s in quiet]))
        text += [f"nothing found: {s.title}" for s in quiet]
    set_aside = [f for f in fs.findings if f.status != "stated"]
    if set_aside:
        parts.append("<p><strong>Findings dismissed or merged by the consultant</strong></p>")
        parts.append(_table(["Finding", "Status", "Reason"], [[f.title, f.status, f.status_reason] for f in set_aside]))
        text += [f"{f.status}: {f.title}: {f.status_reason}" for f in set_aside]
    if fs.notes:
        parts.append("<p><strong>Notes on findings.yaml</strong></p><ul>"
                     + "".join(f"<li>{_e(n)}</li>" for n in fs.notes)
                     + "</ul>")
        text += fs.notes
    return display.Html("\n".join(text), "".join(parts))


def briefs_note(fs: Any) -> display.Html:
    """Which briefs were written to the run folder."""
    top = fs.top
    if not top:
        return display.note("No brief was written: no finding reaches the top list.")
    names = ", ".join(f"`{BRIEFS_DIR}/{_brief_name(i, f)}.md` (and `.html`)" for i, f in enumerate(top, start=1))
    lead = ("The one-page brief for the top finding is" if len(top) == 1
            else f"One-page briefs for the top {len(top)} findings are")
    return display.note(f"{lead} in the run folder: {names}. {'It' if len(top) == 1 else 'Each'} states "
                        "the defect with its evidence, who and how much it affects, the cost of doing nothing, the "
                        "metric that should move and its baseline, and leaves the consultant's fields visibly blank "
                        "until findings.yaml fills them.")


def top_markdown(fs: Any, n: int = 3) -> str:
    """The top ``n`` findings as a Markdown list (values from data escaped)."""
    top = fs.ranked[:n]
    if not top:
        return ""
    lines = []
    for f in top:
        size = _size_short(f) if f.source == "data" else "a consultant's finding"
        caveat = f" *Caveat: {_md(_caveat(f))}.*" if f.caveats else ""
        lines.append(f"{f.rank}. **{_md(f.title)}**: {f.defect_markdown} "
                     f"*Size: {_md(size)}; score {f.score:.2f}.*{caveat}")
    return "\n".join(lines)


# ============================================================================================
# briefs
# ============================================================================================


def _brief_name(i: int, f: Finding) -> str:
    return f"{i:02d}-{slug(f.id)[:60]}"


def _where_text(f: Finding) -> str:
    from cxkit.findings import _notebook_title

    if not f.evidence.heading:
        return "not in this report's sections" if f.source == "data" else "findings.yaml"
    title = _notebook_title(f.evidence.section)
    return f"{title}: {f.evidence.heading}" if title != f.evidence.heading else title


# A brief item: (label, text, whether the text carries values from data, which are escaped
# where they reach Markdown; cxkit's own words and numbers are written as they are).
_Item = tuple[str, str, bool]


def _brief_sections(fs: Any, f: Finding, i: int) -> list[tuple[str, list[_Item]]]:
    """A brief as (heading, items) in plain text; the renderers escape it."""
    currency = f.size.currency
    ev = f.evidence.text() if f.source == "data" else f.evidence_text
    size = f.size
    if f.source == "data":
        volume = [("Concerns", f"{f.concerns_kind}: {f.concerns}" if f.concerns_kind != "centre" else f.concerns, True),
                  ("Volume", size.text(), False)]
        cost: list[_Item] = []
        if size.repeats is not None:
            cost.append((size.repeats_label.capitalize(), f"{size.repeats:,.0f}", False))
        cost.append(("Agent hours", f"{size.hours:,.0f} ({size.hours_basis})" if size.hours is not None
                     else (size.hours_basis or "not computed: the finding has no extra contacts to time"), False))
        if size.cost_period is not None:
            cost.append(("Cost in the period", money(size.cost_period, currency, 0), True))
            cost.append(("Cost a year", f"{money(size.cost_year, currency, 0)} ({size.cost_basis})", True))
        else:
            cost.append(("Cost", size.cost_basis or "not computed: the finding has no extra contacts to price", False))
    else:
        volume = [("Concerns", f"{f.concerns_kind}: {f.concerns}", True),
                  ("Volume", "not measured from the data", False)]
        cost = [("Cost", "not computed from the data (a consultant's finding)", False)]
    screens = [(SCREENS[k], (f"{s.value:g} ({s.source}{': ' + s.basis if s.basis else ''})" if s.value is not None
                             else f"{NOT_ASSESSED} (counted as {fs.settings.not_assessed:g})"), False)
               for k, s in f.screens.items()]
    consultant = [(label, f.brief[key], True) if f.brief.get(key) else
                  (label, "______ (not given: fill in findings.yaml)", False)
                  for key, label in BRIEF_FIELDS.items()]
    head: list[_Item] = [("Finding", f.id, True), ("Friction bucket", BUCKETS[f.bucket], False),
                         ("Suggested lane", LANES[f.lane], False),
                         ("Priority score", f"{f.score:.2f} (rank {f.rank})", False)]
    if f.merged:
        head.append(("Also covers", "; ".join(f.merged), True))
    if f.edited:
        head.append(("Edited by the consultant", ", ".join(f.edited), False))
    defect: list[_Item] = [("Defect", f.defect, True), ("Evidence", ev, True),
                           ("Where in the report", _where_text(f), False)]
    if f.caveats:
        defect.append(("Caveats", "; ".join(f.caveats), True))
    return [
        ("", head),
        ("Current-state defect", defect),
        ("Affected journeys and volume", volume),
        ("The cost of doing nothing", cost),
        ("The metric that should move", [("Metric", f.metric_to_move or "to be set by the consultant", False),
                                         ("Baseline", f.baseline or "to be set by the consultant", True)]),
        ("Screens", screens),
        ("Consultant's fields", consultant),
    ]


def brief_markdown(fs: Any, f: Finding, i: int) -> str:
    """One finding's brief as Markdown (values from data escaped)."""
    out = [f"# Brief {i}: {_md(f.title)}", ""]
    for heading, items in _brief_sections(fs, f, i):
        if heading:
            out += [f"## {heading}", ""]
        for label, text, data in items:
            shown = (f.defect_markdown if label == "Defect" else _md(text)) if data else text
            out.append(f"- **{label}:** {shown}")
        out.append("")
    out.append(f"*{_md(_footer(fs))}*")
    return "\n".join(out) + "\n"


def _footer(fs: Any) -> str:
    m = fs.results.manifest if fs.results is not None else {}
    period = m.get("period", {})
    return (f"cxkit findings brief: engagement {m.get('engagement', '')}, data {period.get('start', '')} to "
            f"{period.get('end', '')}. Figures are read from the run's results; see the report for definitions.")


_BRIEF_CSS = (
    "body{font-family:Helvetica Neue,Helvetica,Arial,sans-serif;color:#1F2933;max-width:820px;margin:2rem auto;"
    "padding:0 1rem;line-height:1.45;}"
    "h1{font-size:1.5rem;margin-bottom:.5rem;}"
    "h2{font-size:1.1rem;margin:1.2rem 0 .3rem;border-bottom:1px solid #E4E7EB;padding-bottom:.2rem;}"
    "dl{display:grid;grid-template-columns:13rem 1fr;gap:.25rem 1rem;margin:0;}"
    "dt{font-weight:600;color:#3E4C59;}dd{margin:0;}.blank{color:#B7791F;}"
    "footer{margin-top:2rem;font-size:.8rem;color:#52606D;}@media print{body{margin:0;}}"
)


def brief_html(fs: Any, f: Finding, i: int) -> str:
    """One finding's brief as a self-contained HTML page (escaped, inline style, no network)."""
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             f"<title>Brief {i}: {_e(f.title)}</title>", f"<style>{_BRIEF_CSS}</style>", "</head>", "<body>",
             f"<h1>Brief {i}: {_e(f.title)}</h1>"]
    for heading, items in _brief_sections(fs, f, i):
        if heading:
            parts.append(f"<h2>{_e(heading)}</h2>")
        parts.append("<dl>")
        for label, text, _data in items:
            cls = ' class="blank"' if text.startswith("______") else ""
            parts.append(f"<dt>{_e(label)}</dt><dd{cls}>{_e(text)}</dd>")
        parts.append("</dl>")
    parts += [f"<footer>{_e(_footer(fs))}</footer>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def write_briefs(fs: Any, run_dir: str | Path) -> list[str]:
    """Write the top findings' briefs to ``run_dir/briefs`` (replacing earlier briefs there);
    returns their paths relative to the run folder."""
    from cxkit.results import _write_atomic

    folder = Path(run_dir) / BRIEFS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for old in list(folder.glob("*.md")) + list(folder.glob("*.html")):
        old.unlink()
    written = []
    for i, f in enumerate(fs.top, start=1):
        name = _brief_name(i, f)
        md, page = brief_markdown(fs, f, i), brief_html(fs, f, i)
        _write_atomic(folder / f"{name}.md", lambda p, t=md: p.write_text(t, encoding="utf-8"))
        _write_atomic(folder / f"{name}.html", lambda p, t=page: p.write_text(t, encoding="utf-8"))
        written += [f"{BRIEFS_DIR}/{name}.md", f"{BRIEFS_DIR}/{name}.html"]
    return written
