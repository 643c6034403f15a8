"""Findings and priorities: from the run's measurements to a ranked, defensible list of what to fix.

A **finding rule** is declared as data in :data:`RULES`: the results it reads, the figures that
must be measured, the condition in words, the evidence it quotes, its friction bucket and its
default roadmap lane. Rules are evaluated over the run's results (:class:`cxkit.results.ResultSet`);
nothing here recomputes a diagnostic. A rule states a finding only when its evidence clears
``min_n`` and its 95% interval supports it (for a segment: its interval lies entirely on the bad
side of the centre's); a rule that cannot be evaluated (a result the run does not have, a
figure the export cannot measure, a blocked readiness verdict, too little evidence) is listed
with the reason, never dropped.

The consultant's ``findings.yaml`` (beside the engagement file, see :func:`load_findings_file`)
adds qualitative findings in the same shape and overrides data findings by rule or finding id
(reword, dismiss with a reason, merge into another finding, set a lane, an owner, the screens
or the brief's fields).

Every finding is ranked on four screens, each 1 (least) to 5 (most): **customer effect** and
**operational effect**, computed from its size where the data allows (share of the centre's
volume; share of its agent hours) and editable; **delivery complexity** and **dependency risk**,
entered by the consultant (default "not assessed": ranked at a neutral value and marked). The
priority score is the weighted mean of customer effect, operational effect, ``6 - complexity``
and ``6 - risk`` (weights in the engagement's ``findings:`` section), so 5 is "large and easy".

:func:`write_findings` (run once per run by :func:`cxkit.pipeline.prepare_run`) writes
``findings.json`` and a one-page brief per top finding (``briefs/*.md`` and ``*.html``) to the
run folder; :func:`for_run` reads them back for the report.

Examples
--------
>>> RULES["transfer_repeats"].bucket
'operating_model'
>>> priority_score({"customer_effect": 4, "operational_effect": 2, "delivery_complexity": 3,
...                 "dependency_risk": 3}, DEFAULT_WEIGHTS)  # (0.3*4 + 0.3*2 + 0.2*3 + 0.2*3) / 1.0
3.0
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from statistics import NormalDist
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cxkit.errors import ConfigError, CxkitError
from cxkit.stats import Z95, poisson_bounds, wilson_bounds
from cxkit.wording import days as in_days
from cxkit.wording import money, plural

__all__ = [
    "BUCKETS",
    "LANES",
    "SCREENS",
    "BRIEF_FIELDS",
    "DEFAULT_WEIGHTS",
    "THRESHOLDS",
    "RULES",
    "Rule",
    "Finding",
    "FindingSet",
    "FindingsFile",
    "load_findings_file",
    "evaluate",
    "priority_score",
    "write_findings",
    "for_run",
    "FINDINGS_JSON",
    "BRIEFS_DIR",
    "FINDINGS_TEMPLATE",
]

FORMAT = "cxkit.findings/1"
FINDINGS_JSON = "findings.json"
BRIEFS_DIR = "briefs"
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

#: Friction buckets: where a defect is felt or made (the key is what findings.yaml uses).
BUCKETS: dict[str, str] = {
    "customer": "felt by the customer",
    "agent": "absorbed by the agent",
    "operating_model": "created by the operating model",
    "technology": "tied to technology design",
}

#: Roadmap lanes practitioners use, as a suggested lane per finding.
LANES: dict[str, str] = {
    "operational_fix": "immediate operational fixes",
    "service_redesign": "cross-functional service redesign",
    "platform_data": "platform and data changes",
    "policy_governance": "policy and governance changes",
}

#: The lane a consultant finding takes when findings.yaml gives a bucket and no lane.
LANE_OF_BUCKET: dict[str, str] = {
    "customer": "service_redesign",
    "agent": "operational_fix",
    "operating_model": "policy_governance",
    "technology": "platform_data",
}

#: The four screens, 1 (least) to 5 (most).
SCREENS: dict[str, str] = {
    "customer_effect": "Customer effect",
    "operational_effect": "Operational effect",
    "delivery_complexity": "Delivery complexity",
    "dependency_risk": "Dependency risk",
}

#: The consultant's fields of a brief, left visibly blank when not given.
BRIEF_FIELDS: dict[str, str] = {
    "target_workflow": "Target workflow",
    "systems": "Systems",
    "approvals": "Approvals",
    "dependencies": "Dependencies",
    "risks": "Risks",
    "owner": "Owner",
}

#: Default weights of the priority score (engagement ``findings.weights`` overrides them).
DEFAULT_WEIGHTS: dict[str, float] = {
    "customer_effect": 0.3,
    "operational_effect": 0.3,
    "delivery_complexity": 0.2,
    "dependency_risk": 0.2,
}

#: Screen value of a screen nobody assessed: the middle of the scale, so it neither lifts nor
#: sinks a finding; the table marks it.
DEFAULT_NOT_ASSESSED = 3.0

#: Volume share (affected / the centre's volume it is counted in) at which customer effect
#: reaches 2, 3, 4 and 5: 1% of contacts is noticeable, 12% is one contact in eight.
DEFAULT_CUSTOMER_BANDS: tuple[float, ...] = (0.01, 0.03, 0.06, 0.12)

#: Share of the centre's agent hours (handled contacts x mean AHT) at which operational effect
#: reaches 2, 3, 4 and 5: a quarter of a percent of agent time is about an agent-day a month in
#: a 20-agent centre; 2% is a fifth of an agent in ten.
DEFAULT_OPERATIONAL_BANDS: tuple[float, ...] = (0.0025, 0.005, 0.01, 0.02)

NOT_ASSESSED = "not assessed"

#: Thresholds of the rules that compare a figure with a standard rather than with the centre,
#: with why each default was chosen (engagement ``findings.thresholds`` overrides them).
THRESHOLDS: dict[str, tuple[float, str]] = {
    "ping_pong_share_min": (
        0.05, "a transfer that returns the customer to the queue they started in is a routing defect; "
        "more than 1 in 20 transferred contacts doing so is a pattern, not an accident",
    ),
    "callbacks_kept_min": (
        0.90, "a promised callback is a commitment; fewer than 9 in 10 made in time means the promise "
        "is not managed (the interval must lie entirely below)",
    ),
    "abandon_rate_max": (
        0.05, "a common ceiling for a queue: more than one contact in twenty offered to a queue abandoned "
        "after the short-abandon threshold means the queue, not the customer, ends the contact (the "
        "interval must lie entirely above)",
    ),
    "cases_overdue_share_max": (
        0.05, "share of open cases older than the engagement's case_open_age_days tolerated before "
        "overdue cases are a finding (the interval must lie entirely above)",
    ),
    "forecast_bias_max": (
        0.10, "a forecast 10% or more above or below the offered volume of a queue or a weekday "
        "(over every interval of the period: a census, no sampling interval)",
    ),
    "understaffed_share_max": (
        0.25, "share of a queue's intervals staffed below the Erlang C requirement tolerated before "
        "understaffing is a finding",
    ),
}

_NONE = "(not recorded)"
_ALL = "all"


# ============================================================================================
# formatting helpers (numbers are ours; names from data are escaped where they reach Markdown)
# ============================================================================================


def _ok(v: Any) -> bool:
    if v is None:
        return False
    try:
        return not math.isnan(float(v))
    except (TypeError, ValueError):
        return False


def _num(v: Any) -> float | None:
    return float(v) if _ok(v) else None


def pct(x: float | None, decimals: int = 1) -> str:
    return "–" if x is None else f"{100 * x:.{decimals}f}%"


def _ci(lo: float | None, hi: float | None) -> str:
    if lo is None or hi is None:
        return ""
    return f"95% CI {100 * lo:.1f}-{100 * hi:.1f}%"


def _count(n: float | None) -> str:
    return "–" if n is None else f"{round(n):,}"


def slug(text: str) -> str:
    """The anchor a heading gets in the rendered report (lower case, runs of anything but
    letters and digits as one hyphen), as :mod:`cxkit.report` and Quarto both build it.

    >>> slug("The handle-time trap")
    'the-handle-time-trap'
    """
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "section"


def _md(value: Any) -> str:
    from cxkit.display import escape_markdown

    return escape_markdown(str(value))


@dataclass(frozen=True)
class Sentence:
    """A sentence about the data, as plain text and as Markdown (values from data escaped)."""

    text: str
    markdown: str

    @classmethod
    def of(cls, template: str, **values: Any) -> Sentence:
        """``template`` filled with ``values``; string values (names from data) are escaped
        in the Markdown form, numbers are formatted by the caller."""
        plain = template.format(**{k: v for k, v in values.items()})
        md = template.format(**{k: (_md(v) if isinstance(v, str) and not isinstance(v, _Number) else v)
                                for k, v in values.items()})
        return cls(plain, md)


class _Number(str):
    """A number already formatted by cxkit (safe in Markdown as it is)."""


def _n(text: str) -> _Number:
    return _Number(text)


# ============================================================================================
# what a finding is
# ============================================================================================


@dataclass
class Evidence:
    """What a finding quotes: the metric, its value, 95% interval and denominator, what it is
    compared with, and where the report shows it."""

    metric: str
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    denominator: int | None = None
    #: share: a rate (57.7%); points: a difference of two rates (+10.0 points); relative: a
    #: change relative to a base, (a - b) / b (+10.1%); ratio: a plain ratio; count: a number
    unit: Literal["share", "points", "relative", "count", "ratio"] = "share"
    comparison: str = ""
    result: str = ""
    section: str = ""
    heading: str = ""
    anchor: str = ""
    note: str = ""

    def value_text(self) -> str:
        if self.value is None:
            return "–"
        if self.unit == "share":
            return pct(self.value)
        if self.unit == "points":
            return f"{100 * self.value:+.1f} points"
        if self.unit == "relative":
            return f"{100 * self.value:+.1f}%"
        if self.unit == "ratio":
            return f"{self.value:.2f}"
        return _count(self.value)

    def text(self) -> str:
        """``'FCR 55.3% (95% CI 51.7-59.0%, n = 701); centre 67.3% ...'``."""
        inner = [p for p in (_ci(self.ci_low, self.ci_high) if self.unit in ("share", "points") else "",
                             f"n = {self.denominator:,}" if self.denominator is not None else "") if p]
        if self.unit == "points" and self.ci_low is not None and self.ci_high is not None:
            inner[0] = f"95% CI {100 * self.ci_low:+.1f} to {100 * self.ci_high:+.1f} points"
        if self.unit == "relative" and self.ci_low is not None and self.ci_high is not None:
            inner.insert(0, f"95% CI {100 * self.ci_low:+.1f}% to {100 * self.ci_high:+.1f}%")
        if self.value is None:
            return f"{self.metric}: {self.comparison}" if self.comparison else self.metric
        out = f"{self.metric} {self.value_text()}" + (f" ({', '.join(inner)})" if inner else "")
        if self.comparison:
            out += f"; {self.comparison}"
        if self.note:
            out += f"; {self.note}"
        return out


@dataclass
class Size:
    """How big a finding is: the volume it touches, the extra contacts it causes, the agent
    hours they take and, when the run has cost results, what they cost."""

    affected: float | None = None
    affected_label: str = ""
    population: float | None = None
    population_label: str = ""
    repeats: float | None = None
    repeats_label: str = ""
    hours: float | None = None
    hours_basis: str = ""
    cost_period: float | None = None
    cost_year: float | None = None
    currency: str = ""
    cost_basis: str = ""
    extra_contacts: bool = True

    @property
    def volume_share(self) -> float | None:
        if self.affected is None or not self.population:
            return None
        return self.affected / self.population

    def text(self) -> str:
        parts = []
        if self.affected is not None:
            share = f" ({pct(self.volume_share)} of {_count(self.population)} {self.population_label})" \
                if self.volume_share is not None else ""
            parts.append(f"{_count(self.affected)} {self.affected_label}{share}")
        # a rule whose extra contacts are the contacts it touches names them once
        if self.repeats is not None and (self.repeats, self.repeats_label) != (self.affected, self.affected_label):
            parts.append(f"{_count(self.repeats)} {self.repeats_label}")
        if self.hours is not None:
            parts.append(plural(round(self.hours), "agent hour"))
        if self.cost_period is not None:
            parts.append(f"{money(self.cost_period, self.currency, 0)} in the period"
                         + (f", about {money(self.cost_year, self.currency, 0)} a year"
                            if self.cost_year is not None else ""))
        return "; ".join(parts) if parts else "not sized from the data"


@dataclass
class Screen:
    """One screen of a finding: a value 1-5 (None: not assessed), who set it, and why."""

    value: float | None = None
    source: Literal["data", "consultant", "not assessed"] = "not assessed"
    basis: str = ""

    def shown(self) -> str:
        if self.value is None:
            return NOT_ASSESSED
        return f"{self.value:g}"


@dataclass
class Finding:
    """One finding, from the data (``rule`` set) or from the consultant (``source`` consultant)."""

    id: str
    title: str
    source: Literal["data", "consultant"]
    rule: str | None
    concerns_kind: str
    concerns: str
    defect: str
    defect_markdown: str
    evidence: Evidence
    size: Size
    bucket: str
    lane: str
    screens: dict[str, Screen] = field(default_factory=dict)
    score: float | None = None
    value: float | None = None
    ease: float | None = None
    rank: int | None = None
    status: Literal["stated", "dismissed", "merged"] = "stated"
    status_reason: str = ""
    merged: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    metric_to_move: str = ""
    baseline: str = ""
    caveats: list[str] = field(default_factory=list)
    brief: dict[str, str] = field(default_factory=dict)
    evidence_text: str = ""

    @property
    def not_assessed(self) -> list[str]:
        return [k for k, s in self.screens.items() if s.value is None]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["bucket_label"] = BUCKETS.get(self.bucket, self.bucket)
        d["lane_label"] = LANES.get(self.lane, self.lane)
        d["evidence"]["text"] = self.evidence.text() if self.source == "data" else self.evidence_text
        d["size"]["volume_share"] = self.size.volume_share
        d["size"]["text"] = self.size.text()
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Finding:
        d = dict(d)
        for k in ("bucket_label", "lane_label"):
            d.pop(k, None)
        ev = dict(d.pop("evidence"))
        ev.pop("text", None)
        sz = dict(d.pop("size"))
        sz.pop("volume_share", None)
        sz.pop("text", None)
        screens = {k: Screen(**v) for k, v in d.pop("screens").items()}
        return cls(evidence=Evidence(**ev), size=Size(**sz), screens=screens, **d)


# ============================================================================================
# rules as data
# ============================================================================================


class NotEvaluable(Exception):
    """A rule cannot be evaluated on this run; the message says why, for the appendix."""


@dataclass(frozen=True)
class Draft:
    """What a rule's check returns for one finding; the engine adds size, screens, lane."""

    concerns_kind: str
    concerns: str
    defect: Sentence
    evidence: Evidence
    affected: float | None = None
    affected_label: str = ""
    population: float | None = None
    population_label: str = ""
    repeats: float | None = None
    repeats_label: str = "extra contacts"
    hours: float | None = None
    hours_basis: str = ""
    cost_segment: tuple[str, str] | None = None  # (kind, value) for repeat_cost_by_<kind>
    baseline: str = ""
    title: str | None = None
    key: str | None = None  # the finding id's segment part when not ``concerns``
    # whether ``repeats`` are whole extra contacts (timed at the AHT and priced) or events
    # inside contacts (an identity check), which take a fraction of one and are not sized so
    contacts: bool = True
    # figures this finding quotes beyond its rule's (which it may leave out when they are not
    # measured): their caveats sit beside it too
    quoted: tuple[str, ...] = ()


Check = Callable[["Context", "Rule"], list[Draft]]


@dataclass(frozen=True)
class Rule:
    """The declaration of one finding rule.

    ``reads`` are the results it needs (all must be in the run and available), ``optional``
    results it uses when present; ``figures`` must be measured (:class:`cxkit.figures.Judge`)
    and not blocked by readiness; ``condition`` and ``evidence`` say in words what is
    checked and quoted (the report prints them); ``section`` and ``heading`` say where the
    report shows the evidence; ``metric_to_move`` is the figure a fix should move.
    """

    id: str
    title: str
    reads: tuple[str, ...]
    figures: tuple[str, ...]
    condition: str
    evidence: str
    bucket: str
    lane: str
    section: str
    heading: str
    metric_to_move: str
    check: Check
    thresholds: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


RULES: dict[str, Rule] = {}


def _rule(**kwargs: Any) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        rule = Rule(check=fn, **kwargs)
        assert rule.bucket in BUCKETS and rule.lane in LANES, rule.id
        RULES[rule.id] = rule
        return fn

    return register


# ============================================================================================
# the evaluation context: the run's results, parameters and the centre's totals
# ============================================================================================


class Context:
    """What a rule's check reads: the run's results (only through here) and its parameters."""

    def __init__(self, results: Any, thresholds: Mapping[str, float]):
        self.r = results
        self.min_n = int(results.param("min_n"))
        self.window = float(results.param("repeat_window_days"))
        self.thresholds = dict(thresholds)

    def has(self, name: str) -> bool:
        return name in self.r.manifest["results"] and bool(self.r.manifest["results"][name].get("available"))

    def frame(self, name: str) -> pd.DataFrame:
        entry = self.r.manifest["results"].get(name)
        if entry is None:
            raise NotEvaluable(f"the run has no result {name!r} (computed by another cxkit version or not yet "
                               "part of this one)")
        if not entry.get("available"):
            raise NotEvaluable(f"{entry.get('title', name)} was not computed: {entry.get('why', 'not available')}")
        return self.r.frame(name)

    def optional(self, name: str) -> pd.DataFrame | None:
        return self.frame(name) if self.has(name) else None

    def param(self, name: str, default: Any = None) -> Any:
        return self.r.manifest["parameters"].get(name, default)

    def threshold(self, key: str) -> float:
        return float(self.thresholds.get(key, THRESHOLDS[key][0]))

    # -- centre totals used for sizes
    def ops_row(self, channel: str = _ALL) -> dict[str, Any] | None:
        if not self.has("operations"):
            return None
        f = self.r.frame("operations")
        f = f[f["channel"] == channel]
        return None if f.empty else f.iloc[0].to_dict()

    def aht_s(self, channel: str = _ALL) -> float | None:
        if self.r.judge.not_measured("aht"):
            return None
        row = self.ops_row(channel) or self.ops_row(_ALL)
        return _num(row.get("aht_mean_s")) if row else None

    def agent_hours(self) -> float | None:
        row = self.ops_row(_ALL)
        aht = self.aht_s(_ALL)
        if row is None or aht is None or not _ok(row.get("handled")):
            return None
        return float(row["handled"]) * aht / 3600.0

    def judged_contacts(self) -> float | None:
        row = self.r.row("fcr_overall") if self.has("fcr_overall") else None
        return _num(row["denominator"]) if row else None

    def inbound_contacts(self) -> float | None:
        row = self.r.row("repeat_share_overall") if self.has("repeat_share_overall") else None
        return _num(row["denominator"]) if row else None

    def offered(self) -> float | None:
        row = self.ops_row(_ALL)
        return _num(row.get("offered")) if row else None

    def arrivals(self) -> float | None:
        """Inbound contacts, identified or not (every arrival at the front door)."""
        if not self.has("ivr_exits"):
            return None
        return float(self.r.frame("ivr_exits")["contacts"].sum())

    def journeys(self) -> float | None:
        row = self.r.row("journey_summary") if self.has("journey_summary") else None
        return _num(row["journeys"]) if row else None


def _where(rule: Rule, results: Any) -> tuple[str, str]:
    """(section title, anchor) of a rule's evidence in this report, '' when the report does not
    include that section."""
    sections = _report_sections(results)
    if sections is not None and rule.section not in sections:
        return "", ""
    heading = rule.heading or _notebook_title(rule.section)
    return heading, slug(heading)


def _report_sections(results: Any) -> list[str] | None:
    e = getattr(results, "engagement", None)
    if e is None:
        return None
    return [s[:-6] if s.endswith(".ipynb") else s for s in e.report.sections]


def _notebook_title(section: str) -> str:
    path = NOTEBOOKS / f"{section}.ipynb"
    if path.exists():
        for line in _markdown_lines(path):
            if line.startswith("# "):
                return line[2:].strip()
    return section.split("_", 1)[-1].replace("_", " ").capitalize()


def _markdown_lines(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    out: list[str] = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            src = cell.get("source", "")
            out.extend(("".join(src) if isinstance(src, list) else src).splitlines())
    return out


def notebook_headings(section: str) -> list[str]:
    """Headings (any level) of a report section's notebook, as written."""
    path = NOTEBOOKS / f"{section}.ipynb"
    if not path.exists():
        return []
    return [line.lstrip("#").strip() for line in _markdown_lines(path) if line.startswith("#")]


# ============================================================================================
# the rules
# ============================================================================================


def _segments(frame: pd.DataFrame, key: str, ctx: Context, n_col: str = "denominator") -> pd.DataFrame:
    """Segments that can be compared: recorded, not suppressed, at least min_n observations."""
    f = frame[frame[key].astype(str) != _NONE]
    if "suppressed" in f.columns:
        f = f[~f["suppressed"].fillna(True).astype(bool)]
    return f[f[n_col].fillna(0) >= ctx.min_n]


def _bounds(row: Mapping[str, Any]) -> tuple[float, float]:
    return float(row["ci_low"]), float(row["ci_high"])


class _Screen:
    """Segments compared with a reference at once (every team against the centre), with the
    false discovery rate held at 5%: Benjamini-Hochberg over the two-sided p-values the
    segments' Wilson intervals give (the smallest level at which the interval clears the
    reference). One segment alone is stated exactly when its 95% interval clears it. Among 400
    teams with one true FCR, 95% intervals one by one put several below the centre by chance;
    screened together, a team is named by chance in at most one run in twenty.

    ``tests`` holds ``(successes, n, reference)`` per segment; ``above``: a segment differs when
    its rate lies above the reference (else below). A stated segment's interval is the one of
    the level the screen used (1 - 5% x stated / compared: Benjamini and Yekutieli's
    false-coverage adjusted interval), which clears the reference.

    >>> s = _Screen([(30, 100, 0.45), (44, 100, 0.45), (20, 100, 0.45)], above=False)
    >>> [s.states(i) for i in range(3)], [round(x, 3) for x in s.interval(0)]
    ([True, False, True], [0.213, 0.404])
    """

    def __init__(self, tests: Sequence[tuple[Any, Any, Any]], *, above: bool):
        self.tests = [(float(k), float(n), float(ref)) for k, n, ref in tests]
        self.above = above
        p = [self._p(k, n, ref) for k, n, ref in self.tests]
        m = len(p)
        order = sorted(range(m), key=lambda i: p[i])
        stated = max((rank for rank, i in enumerate(order, 1) if p[i] <= rank * 0.05 / m), default=0)
        self._stated = set(order[:stated])
        self.compared = m
        self._z = NormalDist().inv_cdf(1 - stated * 0.025 / m) if stated else None

    def _p(self, k: float, n: float, ref: float) -> float:
        """The two-sided level at which the Wilson interval of ``k / n`` just reaches ``ref``."""
        if n <= 0 or not math.isfinite(ref):
            return 1.0
        bound = (lambda z: wilson_bounds(k, n, z)[0]) if self.above else (lambda z: wilson_bounds(k, n, z)[1])
        beyond = (lambda b: b > ref) if self.above else (lambda b: b < ref)
        if not beyond(bound(0.0)):
            return 1.0
        lo, hi = 0.0, 40.0
        if beyond(bound(hi)):
            return 0.0
        for _ in range(60):  # the bound moves away from the rate as z grows: bisect where it meets ref
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if beyond(bound(mid)) else (lo, mid)
        return 2 * (1 - NormalDist().cdf(lo))

    def stated(self, rows: pd.DataFrame) -> Iterable[tuple[int, pd.Series]]:
        """``(i, row)`` of the stated segments, ``rows`` being the segments in the order of ``tests``."""
        return ((i, row) for i, (_, row) in enumerate(rows.iterrows()) if self.states(i))

    def states(self, i: int) -> bool:
        return i in self._stated

    def interval(self, i: int) -> tuple[float, float]:
        k, n, _ = self.tests[i]
        return wilson_bounds(k, n, self._z if self._z is not None else Z95)

    def said(self, i: int, kind: str, kinds: str | None = None) -> str:
        """What a stated segment's comparison adds when several were screened at once."""
        if self.compared <= 1:
            return ""
        lo, hi = self.interval(i)
        return (f"; screened with the {self.compared:,} {kinds or kind + 's'} together (false discovery rate 5%), "
                f"the {kind}'s interval is {100 * lo:.1f}-{100 * hi:.1f}%")


#: how the per-segment rules' conditions say the screening of many segments at once
_TOGETHER = "the {kinds} screened together at a 5% false discovery rate (Benjamini-Hochberg on their Wilson intervals)"


def _too_few(what: str, n: Any, ctx: Context) -> NotEvaluable:
    return NotEvaluable(f"too little evidence: {_count(_num(n) or 0)} {what}, under min_n = {ctx.min_n}")


def _centre_rate(row: Mapping[str, Any] | None, what: str, ctx: Context, n_col: str = "denominator",
                 rate: str = "rate", lo: str = "ci_low", hi: str = "ci_high") -> tuple[float, float, float, float]:
    if row is None or not _ok(row.get(rate)):
        raise NotEvaluable(f"the centre's {what} could not be measured (nothing could be judged)")
    n = _num(row.get(n_col)) or 0
    if n < ctx.min_n:
        raise _too_few(what, n, ctx)
    return float(row[rate]), float(row[lo]), float(row[hi]), n


_FCR_WHERE = ("03_resolution", "Where resolution is weakest")


def _weak_resolution(kind: str, column: str, result: str) -> Check:
    def check(ctx: Context, rule: Rule) -> list[Draft]:
        centre, c_lo, c_hi, c_n = _centre_rate(ctx.r.row("fcr_overall"), "repeat-based FCR", ctx)
        frame = ctx.frame(result)
        segments = _segments(frame, column, ctx)
        if segments.empty:
            raise NotEvaluable(f"no {kind} has {ctx.min_n} or more judged contacts (min_n)")
        out = []
        screen = _Screen([(s["numerator"], s["denominator"], c_lo) for _, s in segments.iterrows()], above=False)
        for i, s in screen.stated(segments):
            name = str(s[column])
            rate, n = float(s["rate"]), int(s["denominator"])
            excess = n * (centre - rate)
            who = {"reason": "Customers contacting about {segment}",
                   "queue": "Contacts that start in queue {segment}",
                   "team": "Contacts handled by team {segment}"}[kind]
            out.append(Draft(
                concerns_kind=kind, concerns=name,
                defect=Sentence.of(who + " are resolved first time less often than the centre: {rate} against "
                                   "{centre}.",
                                   segment=name, rate=_n(pct(rate)), centre=_n(pct(centre))),
                evidence=Evidence(
                    metric=f"Repeat-based FCR ({ctx.window:g}-day window)", value=rate, ci_low=float(s["ci_low"]),
                    ci_high=float(s["ci_high"]), denominator=n,
                    comparison=f"centre {pct(centre)} ({_ci(c_lo, c_hi)}, n = {int(c_n):,})"
                               f"{screen.said(i, kind)}", result=result),
                affected=n, affected_label="contacts judged", population=c_n, population_label="contacts judged",
                repeats=excess, repeats_label="contacts followed by a repeat above the centre's rate",
                cost_segment=(kind, name),
                baseline=f"{pct(rate)} FCR for {name} (centre {pct(centre)})",
                title=f"Weak first-contact resolution: {kind} {name}",
            ))
        return out

    return check


for _kind, _col, _res in (("reason", "contact_reason", "fcr_by_reason"), ("queue", "queue", "fcr_by_queue"),
                          ("team", "team", "fcr_by_team")):
    _rule(
        id=f"weak_resolution_by_{_kind}",
        title=f"Weak resolution for a {_kind}",
        reads=("fcr_overall", _res),
        figures=(f"fcr_by_{_kind}",),
        condition=(f"a {_kind} with at least min_n judged contacts whose FCR lies below the centre's 95% interval, "
                   f"{_TOGETHER.format(kinds=_kind + 's')}"),
        evidence=f"repeat-based FCR of the {_kind} with its interval and judged contacts, against the centre's",
        bucket={"reason": "customer", "queue": "operating_model", "team": "agent"}[_kind],
        lane={"reason": "service_redesign", "queue": "operational_fix", "team": "operational_fix"}[_kind],
        section=_FCR_WHERE[0], heading=_FCR_WHERE[1],
        metric_to_move=f"repeat-based FCR of the {_kind}",
        optional=(f"repeat_cost_by_{_kind}", "repeat_cost_total"),
    )(_weak_resolution(_kind, _col, _res))


@_rule(
    id="transfer_repeats", title="Transfers that come back",
    reads=("repeat_after_transfer",), figures=("repeat_after_transfer",),
    condition="transferred contacts come back within the window more often than others: the 95% interval of the "
              "difference in repeat rate (Newcombe; the groups are disjoint) lies entirely above zero, both groups at "
              "least min_n",
    evidence="repeat rate of transferred and of other judged contacts, and their difference with its interval",
    bucket="operating_model", lane="service_redesign", section="03_resolution", heading="Transfers",
    metric_to_move="repeat rate after a transfer", optional=("repeat_cost_total",),
)
def _transfer_repeats(ctx: Context, rule: Rule) -> list[Draft]:
    t = ctx.frame("repeat_after_transfer").set_index("group")
    n1, n0 = _num(t.loc["transferred", "denominator"]) or 0, _num(t.loc["not transferred", "denominator"]) or 0
    if min(n1, n0) < ctx.min_n:
        raise _too_few("judged contacts in the smaller group (transferred or not)", min(n1, n0), ctx)
    d = t.loc["difference"]
    # two disjoint groups: the interval of their difference decides, as the resolution section
    # and the summary read the same row
    if not (_ok(d["ci_low"]) and d["ci_low"] > 0):
        return []
    r1, r0 = float(t.loc["transferred", "rate"]), float(t.loc["not transferred", "rate"])
    return [Draft(
        concerns_kind="centre", concerns="transferred contacts",
        defect=Sentence.of("Transferred contacts come back more often: {r1} of them are followed by a repeat within "
                           "{w}, against {r0} of contacts that were not transferred.",
                           r1=_n(pct(r1)), r0=_n(pct(r0)), w=_n(in_days(ctx.window))),
        evidence=Evidence(metric="Repeat rate after a transfer", value=r1, ci_low=float(t.loc["transferred", "ci_low"]),
                          ci_high=float(t.loc["transferred", "ci_high"]), denominator=int(n1),
                          comparison=f"not transferred {pct(r0)} ({_ci(*_bounds(t.loc['not transferred']))}, "
                                     f"n = {int(n0):,}); difference {100 * float(d['rate']):+.1f} points (95% CI "
                                     f"{100 * float(d['ci_low']):+.1f} to {100 * float(d['ci_high']):+.1f})",
                          result="repeat_after_transfer"),
        affected=n1, affected_label="transferred contacts judged", population=ctx.judged_contacts(),
        population_label="contacts judged", repeats=n1 * (r1 - r0),
        repeats_label="repeats above the rate of contacts not transferred",
        baseline=f"{pct(r1)} of transferred contacts come back (others {pct(r0)})",
    )]


@_rule(
    id="transfer_ping_pong", title="Ping-pong transfers",
    reads=("transfer_ping_pong",), figures=("transfer_paths",),
    condition="the 95% interval of the share of transferred contacts sent back to their first queue (A -> B -> A) "
              "lies entirely above ping_pong_share_min, at least min_n transferred contacts",
    evidence="ping-pong contacts over transferred contacts, with its interval",
    bucket="operating_model", lane="operational_fix", section="03_resolution", heading="Transfers",
    metric_to_move="share of transferred contacts that return to their first queue",
    thresholds=("ping_pong_share_min",),
)
def _ping_pong(ctx: Context, rule: Rule) -> list[Draft]:
    row = ctx.frame("transfer_ping_pong").iloc[0]
    n = _num(row["denominator"]) or 0
    if n < ctx.min_n:
        raise _too_few("transferred contacts", n, ctx)
    limit = ctx.threshold("ping_pong_share_min")
    if not (_ok(row["ci_low"]) and row["ci_low"] > limit):
        return []
    return [Draft(
        concerns_kind="centre", concerns="transferred contacts",
        defect=Sentence.of("{rate} of transferred contacts are sent back to the queue they started in (A to B to A).",
                           rate=_n(pct(float(row["rate"])))),
        evidence=Evidence(metric="Ping-pong share of transferred contacts", value=float(row["rate"]),
                          ci_low=float(row["ci_low"]), ci_high=float(row["ci_high"]), denominator=int(n),
                          comparison=f"standard: at most {pct(limit, 0)} (ping_pong_share_min)",
                          result="transfer_ping_pong"),
        affected=float(row["numerator"]), affected_label="ping-pong contacts", population=_num(row["contacts"]),
        population_label="contacts with legs",
        baseline=f"{pct(float(row['rate']))} of transferred contacts ping-pong",
    )]


@_rule(
    id="handle_time_trap", title="The handle-time trap",
    reads=("handle_time_trap",), figures=("handle_time_trap",),
    condition="agents flagged by the within-team comparison (AHT at most 75% of their team's typical agent and FCR "
              "at least 5 points below it) whose FCR interval lies entirely below their team's typical FCR",
    evidence="the flagged agents' judged contacts, FCR against their teams' typical FCR, and the repeats the gap "
             "causes",
    bucket="operating_model", lane="policy_governance", section="03_resolution", heading="The handle-time trap",
    metric_to_move="FCR of the flagged agents against their team's typical agent",
    optional=("repeat_cost_total",),
)
def _handle_time_trap(ctx: Context, rule: Rule) -> list[Draft]:
    a = ctx.frame("handle_time_trap")
    q = a[a["qualifies"].fillna(False).astype(bool)]
    if q.empty:
        raise NotEvaluable(f"no agent qualifies: each needs {ctx.min_n} judged contacts (min_n) in a team with three "
                           "such agents")
    hit = q[q["flagged"].fillna(False).astype(bool) & (q["fcr_ci_high"] < q["peer_fcr_median"])]
    if hit.empty:
        return []
    n = float(hit["fcr_n"].sum())
    excess = float((hit["fcr_n"] * (hit["peer_fcr_median"] - hit["fcr"])).sum())
    fcr = float((hit["fcr"] * hit["fcr_n"]).sum() / n)
    peer = float((hit["peer_fcr_median"] * hit["fcr_n"]).sum() / n)
    ratio = float((hit["aht_ratio"] * hit["fcr_n"]).sum() / n)
    teams = sorted(hit["team"].astype(str).unique()) if "team" in hit.columns else []
    k = len(hit)
    flagged = int(q["flagged"].fillna(False).astype(bool).sum())
    lo, hi = wilson_bounds(float((hit["fcr"] * hit["fcr_n"]).sum()), n)
    agents = plural(k, "agent") + (f" in {plural(len(teams), 'team')}" if teams and teams != [_NONE] else "")
    one = k == 1
    # the section flags every agent under both thresholds; a finding states only those whose
    # interval lies below their team: a reader who counts the section's flagged agents is told
    # why the finding names fewer
    which = ("" if k == flagged else
             " Of the {flagged} agents the section flags, "
             + ("this is the one whose" if one else "these {k_alone} are those whose")
             + " FCR interval lies entirely below their team's typical agent.")
    return [Draft(
        concerns_kind="agents", concerns=agents,
        defect=Sentence.of("{k} " + ("closes" if one else "close") + " contacts in {ratio} of their team's "
                           "typical handle time and " + ("resolves" if one else "resolve") + " first time {fcr} "
                           "against {peer}: short handling that buys repeat contacts." + which,
                           k=_n(agents), ratio=_n(pct(ratio, 0)),
                           fcr=_n(pct(fcr)), peer=_n(pct(peer)), flagged=_n(f"{flagged:,}"), k_alone=_n(f"{k:,}")),
        evidence=Evidence(metric="Pooled FCR of the flagged agents", value=fcr, ci_low=lo, ci_high=hi,
                          denominator=int(n),
                          comparison=f"their teams' typical agents {pct(peer)}; each flagged agent's interval lies "
                                     "below their team's typical FCR",
                          result="handle_time_trap"),
        affected=n, affected_label="contacts judged (flagged agents)", population=ctx.judged_contacts(),
        population_label="contacts judged", repeats=excess,
        repeats_label="contacts followed by a repeat above the teams' typical rate",
        baseline=f"FCR {pct(fcr)} for the flagged agents (their teams' typical agent {pct(peer)})",
    )]


@_rule(
    id="reauth_by_journey", title="Repeat authentication concentrated in a journey",
    reads=("journey_summary", "journey_by_reason"), figures=("reauth", "effort_by_reason"),
    condition="journeys of a first reason (at least min_n) whose share asked to prove their identity more than once "
              f"lies above the 95% interval of all journeys, {_TOGETHER.format(kinds='first reasons')}",
    evidence="share of the reason's journeys with a repeat authentication, against all journeys",
    bucket="technology", lane="platform_data", section="02_journey_effort", heading="Journeys and contacts per issue",
    metric_to_move="share of journeys with a repeat authentication",
)
def _reauth(ctx: Context, rule: Rule) -> list[Draft]:
    centre = ctx.frame("journey_summary").iloc[0]
    c, c_lo, c_hi, c_n = _centre_rate(centre.to_dict(), "repeat authentication", ctx, n_col="journeys",
                                   rate="reauth_rate", lo="reauth_ci_low", hi="reauth_ci_high")
    segments = _segments(ctx.frame("journey_by_reason"), "first_reason", ctx, n_col="journeys")
    if segments.empty:
        raise NotEvaluable(f"no first reason has {ctx.min_n} or more journeys (min_n)")
    out = []
    screen = _Screen([(s["reauth_journeys"], s["journeys"], c_hi) for _, s in segments.iterrows()], above=True)
    for i, s in screen.stated(segments):
        name, rate, n = str(s["first_reason"]), float(s["reauth_rate"]), int(s["journeys"])
        out.append(Draft(
            concerns_kind="journey", concerns=name,
            defect=Sentence.of("Customers whose journey starts with {segment} are asked to prove who they are more "
                               "than once more often: {rate} of those journeys against {centre} of all journeys.",
                               segment=name, rate=_n(pct(rate)), centre=_n(pct(c))),
            evidence=Evidence(metric="Journeys with a repeat authentication", value=rate,
                              ci_low=float(s["reauth_ci_low"]), ci_high=float(s["reauth_ci_high"]), denominator=n,
                              comparison=f"all journeys {pct(c)} ({_ci(c_lo, c_hi)}, n = {int(c_n):,})"
                                         f"{screen.said(i, 'first reason')}",
                              result="journey_by_reason"),
            affected=float(s["reauth_journeys"]), affected_label="journeys with a repeat authentication",
            population=c_n, population_label="journeys", repeats=n * (rate - c),
            repeats_label="journeys with a repeat authentication above the centre's rate", contacts=False,
            baseline=f"{pct(rate)} of {name} journeys re-authenticate (all journeys {pct(c)})",
            title=f"Repeat authentication concentrated in {name} journeys",
        ))
    return out


_SELF_SERVICE = ("self_service",)


def _pooled_adjusted(rows: pd.DataFrame) -> tuple[float, float, float, float]:
    """Identification-weighted switching of several channels pooled: (rate, low, high, n_eff)."""
    w = rows["weighted"].astype(float)
    w2 = (w * w / rows["effective_n"].astype(float)).sum()
    total = float(w.sum())
    rate = float((rows["rate_adjusted"].astype(float) * w).sum() / total)
    n_eff = total * total / w2
    lo, hi = wilson_bounds(rate * n_eff, n_eff)
    return rate, lo, hi, n_eff


@_rule(
    id="switch_after_self_service", title="Channel switching after a failed digital attempt",
    reads=("switch_after_contact",), figures=("switch_after_contact",),
    condition="after a self-service attempt that did not settle the issue (the customer came back about the same "
              "reason within the window), the 95% interval of the share whose next contact is in another channel "
              "lies entirely above the interval of every other channel pooled; both at least min_n. Returns are "
              "weighted by 1 / the identified share of the channel returned to, so channels that identify few "
              "customers do not make switching look more common",
    evidence="share of next contacts in another channel after a self-service attempt, against other channels",
    bucket="technology", lane="service_redesign", section="05_findings_and_priorities",
    heading="Switching channel after an attempt", metric_to_move="self-service attempts that settle the issue",
    optional=("repeat_cost_total",),
)
def _switch(ctx: Context, rule: Rule) -> list[Draft]:
    f = ctx.frame("switch_after_contact")
    digital = f[f["channel"].isin(_SELF_SERVICE)]
    rest = f[~f["channel"].isin(_SELF_SERVICE)]
    if digital.empty:
        # the self-service channel: a bot answering inside chat or messaging keeps that channel (its
        # contacts count there), so "no self-service contact" would be false on such a desk
        raise NotEvaluable("no contact in the self-service channel (sources.contacts.columns.channel: self_service) was "
                           "followed by another contact; bots answering inside chat or messaging count under that "
                           "channel")
    n_d, n_r = float(digital["followed"].sum()), float(rest["followed"].sum())
    if n_d < ctx.min_n:
        raise _too_few("self-service attempts followed by another contact", n_d, ctx)
    if n_r < ctx.min_n:
        raise _too_few("attempts in other channels followed by another contact", n_r, ctx)
    adjusted = "rate_adjusted" in f.columns and f["rate_adjusted"].notna().all()
    if adjusted:
        rate, lo, hi, n_eff = _pooled_adjusted(digital)
        ref, r_lo, r_hi, r_eff = _pooled_adjusted(rest)
        raw = float(digital["switched"].sum()) / n_d
        note = (f"weighted by the identified share of the channel returned to (unweighted {pct(raw)}; "
                f"effective n {n_eff:,.0f} and {r_eff:,.0f})")
    else:
        rate, ref = float(digital["switched"].sum()) / n_d, float(rest["switched"].sum()) / n_r
        lo, hi = wilson_bounds(rate * n_d, n_d)
        r_lo, r_hi = wilson_bounds(ref * n_r, n_r)
        note = ""
    if not lo > r_hi:
        return []
    switched = float(digital["switched"].sum())
    # "about the same thing" rests on the contact reasons: without them every return within the
    # window counts, and the sentence says so rather than claim the same issue
    same = ("about the same thing" if ctx.r.judge.measured_column("contacts.contact_reason")
            else "within the repeat window (the export records no contact reasons, so a return about another issue "
                 "counts too)")
    return [Draft(
        concerns_kind="channel", concerns="self-service",
        defect=Sentence.of("When self-service does not settle the issue, customers move to another channel: {rate} "
                           "of the contacts that follow a self-service attempt " + same + " are in another "
                           "channel, against {ref} after other channels.", rate=_n(pct(rate)), ref=_n(pct(ref))),
        evidence=Evidence(metric="Next contact in another channel after self-service", value=rate, ci_low=lo,
                          ci_high=hi, denominator=int(n_d),
                          comparison=f"after other channels {pct(ref)} ({_ci(r_lo, r_hi)}, n = {int(n_r):,})",
                          note=note, result="switch_after_contact"),
        affected=switched, affected_label="contacts in another channel after a self-service attempt",
        population=ctx.inbound_contacts(), population_label="inbound contacts from identified customers",
        # the switches beyond what other channels see (n x (rate - other channels' rate)), as the
        # transfer rule sizes the returns beyond untransferred contacts': every switch counted as
        # extra sized 695 contacts where the comparison the rule rests on accounts for about 406
        repeats=n_d * (rate - ref), repeats_label="contacts in another channel beyond the other channels' rate",
        baseline=f"{pct(rate)} of returns after a self-service attempt switch channel (other channels {pct(ref)})",
    )]


@_rule(
    id="callbacks_not_kept", title="Callbacks not kept",
    reads=("callbacks_kept",), figures=("callbacks_kept",),
    condition="the 95% interval of the share of promised callbacks made in time lies entirely below "
              "callbacks_kept_min, at least min_n callbacks judged",
    evidence="callbacks kept over callbacks judged, with its interval; the voice abandon rate beside it",
    bucket="customer", lane="operational_fix", section="02_journey_effort", heading="Follow-through",
    metric_to_move="share of promised callbacks made in time", thresholds=("callbacks_kept_min",),
)
def _callbacks(ctx: Context, rule: Rule) -> list[Draft]:
    row = ctx.frame("callbacks_kept").iloc[0]
    n = _num(row["judged"]) or 0
    if n < ctx.min_n:
        raise _too_few("promised callbacks judged", n, ctx)
    limit = ctx.threshold("callbacks_kept_min")
    if not (_ok(row["ci_high"]) and row["ci_high"] < limit):
        return []
    kept = float(row["rate"])
    days = ctx.param("callback_promise_business_days", 1)
    missed = n - float(row["kept"])
    voice = ctx.ops_row("voice")
    quoted = voice and _ok(voice.get("abandon_rate")) and not ctx.r.judge.not_measured("abandon_rate")
    # why the abandon rate sits beside it: a callback is what spares a caller the queue
    abandon = (f"; a callback spares the caller the queue, where {pct(_num(voice.get('abandon_rate')))} of calls "
               "offered were abandoned" if quoted else "")
    return [Draft(
        concerns_kind="centre", concerns="promised callbacks",
        defect=Sentence.of("{miss} of promised callbacks were not made within {days}{abandon}.",
                           miss=_n(pct(1 - kept)),
                           days=_n(f"{float(days):g} business day{'' if float(days) == 1 else 's'}"),
                           abandon=_n(abandon)),
        evidence=Evidence(metric="Callbacks kept", value=kept, ci_low=float(row["ci_low"]),
                          ci_high=float(row["ci_high"]),
                          denominator=int(n), comparison=f"standard: at least {pct(limit, 0)} (callbacks_kept_min)",
                          result="callbacks_kept"),
        affected=missed, affected_label="callbacks not made in time", population=ctx.arrivals(),
        population_label="inbound contacts",
        baseline=f"{pct(kept)} of promised callbacks made in time", quoted=("abandon_rate",) if quoted else (),
    )]


def _threshold_text(seconds: float) -> str:
    """A service-level threshold in words: ``20 s``, ``1 h``, ``24 h``."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


@_rule(
    id="service_level_below_target", title="Service level below target",
    reads=("operations",), figures=("service_level",),
    condition="a channel (at least min_n contacts answered or abandoned after the short-abandon threshold) whose 95% "
              "service-level interval lies entirely below the engagement's service-level target "
              "(capacity.service_level_target), each channel within its own threshold (operations.sl_seconds); a "
              "channel that is none of cxkit's codes and has no threshold of its own is left out",
    evidence="contacts answered within the channel's threshold over contacts answered or abandoned after the "
             "short-abandon threshold, against the target",
    bucket="customer", lane="operational_fix", section="03_resolution", heading="Operations context",
    metric_to_move="service level of the channel",
)
def _service_level(ctx: Context, rule: Rule) -> list[Draft]:
    target = _num(ctx.param("service_level_target"))
    if target is None:
        raise NotEvaluable("the run has no service-level target (capacity.service_level_target)")
    f = ctx.frame("operations")
    if not {"channel", "in_sl", "sl_judged", "sl_threshold_s"} <= set(f.columns):
        raise NotEvaluable("the operations result has no service-level counts by channel")
    from cxkit.schema import CHANNELS

    f = f[(f["channel"].astype(str) != _ALL) & f["sl_threshold_s"].notna()]
    # a channel that is none of cxkit's codes and has no threshold of its own was judged within
    # the default one (20 s, a voice target): an export's unmapped 'E-Mail' beside a mapped
    # voice read "Service level below target: E-Mail". It is left out, and said when it is all
    listed = set(ctx.param("sl_seconds") or {}) - {"default"}
    unknown = sorted({c for c in f["channel"].astype(str) if c not in CHANNELS and c not in listed})
    f = f[~f["channel"].astype(str).isin(unknown)]
    # the service level's denominator: answered with a known wait, and abandoned after the
    # short-abandon threshold (cxkit.operations.queue_flags)
    judged = pd.to_numeric(f["sl_judged"], errors="coerce").fillna(0)
    f = f.assign(_n=judged)[judged >= ctx.min_n]
    if f.empty and unknown:
        raise NotEvaluable(f"no channel is one of cxkit's codes ({', '.join(CHANNELS)}) or has a threshold of its own "
                           f"(operations.sl_seconds): {', '.join(repr(c) for c in unknown)} would be judged within "
                           "the default; map them under sources.contacts.columns.channel.values")
    if f.empty:
        raise NotEvaluable(f"no channel has {ctx.min_n} or more contacts answered or abandoned in queue (min_n)")
    out = []
    for _, c in f.iterrows():
        k, n = float(c["in_sl"]), float(c["_n"])
        lo, hi = wilson_bounds(k, n)
        if not hi < target:
            continue
        channel, rate, within = str(c["channel"]), k / n, _threshold_text(float(c["sl_threshold_s"]))
        units = "calls" if channel == "voice" else "contacts"
        short = target * n - k
        out.append(Draft(
            concerns_kind="channel", concerns=channel, key=channel,
            defect=Sentence.of("{rate} of {channel} {units} are answered within {within}, against a target of "
                               "{target}: {short} more would have had to be answered in time.",
                               rate=_n(pct(rate)), channel=channel, units=_n(units), within=_n(within),
                               target=_n(pct(target, 0)), short=_n(_count(short))),
            evidence=Evidence(metric=f"Service level ({channel}, within {within})", value=rate, ci_low=lo, ci_high=hi,
                              denominator=int(n),
                              comparison=f"target: {pct(target, 0)} (capacity.service_level_target)",
                              result="operations"),
            affected=short, affected_label=f"{channel} {units} short of the target",
            population=ctx.offered(), population_label="contacts offered to a queue",
            baseline=f"{pct(rate)} of {channel} {units} answered within {within} (target {pct(target, 0)})",
            title=f"Service level below target: {channel}",
        ))
    return out


@_rule(
    id="abandonment_above_standard", title="Abandonment above the standard",
    reads=("operations",), figures=("abandon_rate",),
    condition="a channel (at least min_n contacts offered to a queue) whose 95% abandon-rate interval lies entirely "
              "above abandon_rate_max",
    evidence="contacts abandoned from a queue after the short-abandon threshold over contacts offered to a queue, "
             "against the standard",
    bucket="customer", lane="operational_fix", section="03_resolution", heading="Operations context",
    metric_to_move="abandon rate of the channel", thresholds=("abandon_rate_max",),
)
def _abandonment_standard(ctx: Context, rule: Rule) -> list[Draft]:
    f = ctx.frame("operations")
    if not {"channel", "offered", "long_abandons"} <= set(f.columns):
        raise NotEvaluable("the operations result has no abandonment counts by channel")
    f = f[f["channel"].astype(str) != _ALL]
    offered = pd.to_numeric(f["offered"], errors="coerce")
    f = f.assign(_n=offered, _k=pd.to_numeric(f["long_abandons"], errors="coerce"))
    f = f[(f["_n"] >= ctx.min_n) & f["_k"].notna()]
    if f.empty:
        raise NotEvaluable(f"no channel has {ctx.min_n} or more contacts offered to a queue (min_n)")
    limit = ctx.threshold("abandon_rate_max")
    short = _num(ctx.param("short_abandon_s"))
    after = f" after {_threshold_text(short)} in queue" if short is not None else ""
    out = []
    for _, c in f.iterrows():
        k, n = float(c["_k"]), float(c["_n"])
        lo, hi = wilson_bounds(k, n)
        if not lo > limit:
            continue
        channel, rate = str(c["channel"]), k / n
        units = "calls" if channel == "voice" else "contacts"
        extra = k - limit * n
        out.append(Draft(
            concerns_kind="channel", concerns=channel, key=channel,
            defect=Sentence.of("{rate} of {channel} {units} offered to a queue were abandoned{after}, against a "
                               "standard of {limit} at most: {extra} more than the standard allows.",
                               rate=_n(pct(rate)), channel=channel, units=_n(units), after=_n(after),
                               limit=_n(pct(limit, 0)), extra=_n(_count(extra))),
            evidence=Evidence(metric=f"Abandon rate ({channel})", value=rate, ci_low=lo, ci_high=hi, denominator=int(n),
                              comparison=f"standard: at most {pct(limit, 0)} (abandon_rate_max)", result="operations"),
            affected=extra, affected_label=f"{channel} {units} abandoned above the standard",
            population=ctx.offered(), population_label="contacts offered to a queue",
            baseline=f"{pct(rate)} of {channel} {units} offered to a queue abandoned (standard {pct(limit, 0)})",
            title=f"Abandonment above the standard: {channel}",
        ))
    return out


@_rule(
    id="queue_abandonment", title="Abandonment concentrated in a queue",
    reads=("abandonment_by_queue",), figures=("abandon_by_queue",),
    condition="a queue (at least min_n offered) whose abandon rate lies above the 95% interval of its channel's "
              f"queues pooled (like with like: voice against voice), {_TOGETHER.format(kinds='queues')}",
    evidence="contacts abandoned after the short-abandon threshold over contacts offered, against the channel",
    bucket="customer", lane="operational_fix", section="05_findings_and_priorities", heading="Abandonment by queue",
    metric_to_move="abandon rate of the queue",
)
def _abandonment(ctx: Context, rule: Rule) -> list[Draft]:
    f = ctx.frame("abandonment_by_queue")
    channels = f[f["queue"] == _ALL].set_index("channel")
    queues = _segments(f[f["queue"] != _ALL], "queue", ctx)
    if queues.empty:
        raise NotEvaluable(f"no queue has {ctx.min_n} or more contacts offered (min_n)")
    out = []
    # a channel with one queue has nothing to compare it with; the others' queues are screened together
    per_channel = queues["channel"].value_counts()
    queues = queues[queues["channel"].map(per_channel).ge(2) & queues["channel"].isin(channels.index)]
    screen = _Screen([(q["numerator"], q["denominator"], channels.loc[q["channel"], "ci_high"])
                      for _, q in queues.iterrows()], above=True)
    for i, q in screen.stated(queues):
        ch = channels.loc[q["channel"]]
        name, rate = str(q["queue"]), float(q["rate"])
        out.append(Draft(
            concerns_kind="queue", concerns=name,
            defect=Sentence.of("Customers waiting in queue {segment} give up more often than in the other {channel} "
                               "queues: {rate} of contacts offered are abandoned, against {ref}.",
                               segment=name, channel=str(q["channel"]), rate=_n(pct(rate)),
                               ref=_n(pct(float(ch["rate"])))),
            evidence=Evidence(metric="Abandon rate", value=rate, ci_low=float(q["ci_low"]), ci_high=float(q["ci_high"]),
                              denominator=int(q["denominator"]),
                              comparison=f"{q['channel']} queues pooled {pct(float(ch['rate']))} "
                                         f"({_ci(*_bounds(ch))}, n = {int(ch['denominator']):,})"
                                         f"{screen.said(i, 'queue')}",
                              result="abandonment_by_queue"),
            affected=float(q["numerator"]), affected_label="contacts abandoned", population=ctx.offered(),
            population_label="contacts offered to a queue",
            baseline=f"{pct(rate)} abandoned in {name} ({q['channel']} {pct(float(ch['rate']))})",
            title=f"Abandonment concentrated in queue {name}",
        ))
    return out


@_rule(
    id="case_reopens_by_reason", title="Cases reopened more for a reason",
    reads=("case_followthrough", "case_followthrough_by_reason"),
    figures=("case_reopens", "case_followthrough_by_reason"),
    condition="cases of a reason (at least min_n ever closed) whose reopen rate lies above the 95% interval of all "
              f"cases, {_TOGETHER.format(kinds='case reasons')}",
    evidence="cases reopened over cases ever closed, by case reason, against all cases",
    bucket="operating_model", lane="service_redesign", section="05_findings_and_priorities",
    heading="Case reopens by reason", metric_to_move="case reopen rate of the reason",
)
def _case_reopens(ctx: Context, rule: Rule) -> list[Draft]:
    centre = ctx.frame("case_followthrough").iloc[0].to_dict()
    c, c_lo, c_hi, c_n = _centre_rate(centre, "case reopen rate", ctx, n_col="ever_closed", rate="reopen_rate",
                                   lo="reopen_rate_ci_low", hi="reopen_rate_ci_high")
    segments = _segments(ctx.frame("case_followthrough_by_reason"), "reason", ctx, n_col="ever_closed")
    if segments.empty:
        raise NotEvaluable(f"no case reason has {ctx.min_n} or more closed cases (min_n)")
    out = []
    screen = _Screen([(s["reopened"], s["ever_closed"], c_hi) for _, s in segments.iterrows()], above=True)
    for i, s in screen.stated(segments):
        name, rate = str(s["reason"]), float(s["reopen_rate"])
        out.append(Draft(
            concerns_kind="reason", concerns=name,
            defect=Sentence.of("Cases about {segment} are closed before the issue is settled: {rate} are reopened, "
                               "against {centre} of all cases.", segment=name, rate=_n(pct(rate)), centre=_n(pct(c))),
            evidence=Evidence(metric="Case reopen rate", value=rate, ci_low=float(s["reopen_rate_ci_low"]),
                              ci_high=float(s["reopen_rate_ci_high"]), denominator=int(s["ever_closed"]),
                              comparison=f"all cases {pct(c)} ({_ci(c_lo, c_hi)}, n = {int(c_n):,})"
                                         f"{screen.said(i, 'case reason')}",
                              result="case_followthrough_by_reason"),
            affected=float(s["reopened"]), affected_label="cases reopened", population=_num(centre.get("cases")),
            population_label="cases", baseline=f"{pct(rate)} of {name} cases reopened (all cases {pct(c)})",
            title=f"Cases about {name} reopened",
        ))
    return out


@_rule(
    id="cases_overdue", title="Cases open past their age",
    reads=("case_followthrough",), figures=("case_followthrough",),
    condition="the 95% interval of the share of open cases older than case_open_age_days lies entirely above "
              "cases_overdue_share_max, at least min_n cases open",
    evidence="open cases older than the engagement's case age over cases open at the end of the data",
    bucket="operating_model", lane="operational_fix", section="02_journey_effort", heading="Follow-through",
    metric_to_move="share of open cases past their age", thresholds=("cases_overdue_share_max",),
)
def _cases_overdue(ctx: Context, rule: Rule) -> list[Draft]:
    row = ctx.frame("case_followthrough").iloc[0]
    n = _num(row["open_at_end"]) or 0
    if n < ctx.min_n:
        raise _too_few("cases open at the end of the data", n, ctx)
    limit = ctx.threshold("cases_overdue_share_max")
    if not (_ok(row["open_past_age_share_ci_low"]) and row["open_past_age_share_ci_low"] > limit):
        return []
    share, age = float(row["open_past_age_share"]), float(row["open_age_days"])
    return [Draft(
        concerns_kind="centre", concerns="open cases",
        defect=Sentence.of("{share} of the cases still open at the end of the data are older than {age}.",
                           share=_n(pct(share)), age=_n(in_days(age))),
        evidence=Evidence(metric=f"Open cases older than {age:g} days", value=share,
                          ci_low=float(row["open_past_age_share_ci_low"]),
                          ci_high=float(row["open_past_age_share_ci_high"]),
                          denominator=int(n), comparison=f"standard: at most {pct(limit, 0)} (cases_overdue_share_max)",
                          result="case_followthrough"),
        affected=float(row["open_past_age"]), affected_label="cases open past their age", population=_num(row["cases"]),
        population_label="cases", baseline=f"{pct(share)} of open cases past {age:g} days",
    )]


@_rule(
    id="ivr_hangups_by_entry", title="IVR hang-ups concentrated at an entry point",
    reads=("ivr_exits",), figures=("entry_routing", "ivr_hangups"),
    condition="an entry point (at least min_n arrivals) whose share leaving in the IVR or bot lies above the 95% "
              f"interval of its channel's entry points pooled, {_TOGETHER.format(kinds='entry points')}",
    evidence="arrivals that left in the IVR or bot over arrivals, against the channel's entry points",
    bucket="technology", lane="platform_data", section="02_journey_effort", heading="Entry and routing",
    metric_to_move="share of arrivals that hang up in the IVR at the entry point",
)
def _ivr(ctx: Context, rule: Rule) -> list[Draft]:
    f = ctx.frame("ivr_exits")
    f = f[f["entry_point"].astype(str) != _NONE]
    eligible = f[f["contacts"] >= ctx.min_n]
    if eligible.empty:
        raise NotEvaluable(f"no entry point has {ctx.min_n} or more arrivals (min_n)")
    out = []
    n_all = float(f["contacts"].sum())
    # each channel's entry points pooled (left in the IVR, arrivals), where it has two or more
    sums = {channel: (float(g["left_in_ivr"].sum()), float(g["contacts"].sum()))
            for channel, g in f.groupby("channel") if len(g) >= 2}
    pooled = {channel: wilson_bounds(k, n) for channel, (k, n) in sums.items()}
    compared = eligible[eligible["channel"].isin(list(sums))]
    screen = _Screen([(s["left_in_ivr"], s["contacts"], pooled[s["channel"]][1]) for _, s in compared.iterrows()],
                     above=True)
    for i, s in screen.stated(compared):
        channel = s["channel"]
        (k, n), (lo, hi) = sums[channel], pooled[channel]
        name, rate = str(s["entry_point"]), float(s["left_in_ivr_share"])
        out.append(Draft(
            concerns_kind="entry point", concerns=name,
            defect=Sentence.of("Customers arriving through {segment} hang up in the IVR or bot more often: {rate} "
                               "of arrivals, against {ref} across {channel} entry points.",
                               segment=name, channel=str(channel), rate=_n(pct(rate)), ref=_n(pct(k / n))),
            evidence=Evidence(metric="Left in the IVR or bot", value=rate, ci_low=float(s["left_in_ivr_ci_low"]),
                              ci_high=float(s["left_in_ivr_ci_high"]), denominator=int(s["contacts"]),
                              comparison=f"{channel} entry points pooled {pct(k / n)} ({_ci(lo, hi)}, "
                                         f"n = {int(n):,}){screen.said(i, 'entry point')}",
                              result="ivr_exits"),
            affected=float(s["left_in_ivr"]), affected_label="arrivals that hung up in the IVR",
            population=n_all, population_label="inbound arrivals",
            baseline=f"{pct(rate)} IVR hang-ups at {name}", title=f"IVR hang-ups at entry point {name}",
        ))
    return out


def newcombe_difference(k1: float, n1: float, k0: float, n0: float) -> tuple[float, float, float]:
    """``p1 - p0`` and its 95% Newcombe (hybrid Wilson score) interval, as plain floats.

    Wilson 30/100 is 0.2189-0.3958 and 20/100 is 0.1333-0.2888, so the low end is
    0.1 - sqrt(0.0811^2 + 0.0888^2) = -0.0202 and the high end 0.1 + sqrt(0.0958^2 + 0.0667^2) = 0.2167:

    >>> d, lo, hi = newcombe_difference(30, 100, 20, 100)
    >>> round(d, 2), round(lo, 4), round(hi, 4)
    (0.1, -0.0202, 0.2167)
    """
    p1, p0 = k1 / n1, k0 / n0
    l1, u1 = wilson_bounds(k1, n1)
    l0, u0 = wilson_bounds(k0, n0)
    d = p1 - p0
    return d, d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)


@_rule(
    id="perception_gap", title="Customer-reported and repeat-based FCR disagree",
    reads=("fcr_headline",), figures=("fcr_survey", "fcr_repeat"),
    condition="the 95% intervals of customer-reported FCR (survey answers) and repeat-based FCR do not overlap, "
              "both at least min_n (the surveyed contacts are among those judged, so the two are not independent "
              "samples and their intervals are compared rather than a difference)",
    evidence="customer-reported FCR (survey answers) against repeat-based FCR, and their difference",
    bucket="customer", lane="policy_governance", section="03_resolution",
    heading="First-contact resolution, by every definition",
    metric_to_move="the FCR definition the centre steers by (one, stated, with both shown)",
)
def _perception_gap(ctx: Context, rule: Rule) -> list[Draft]:
    f = ctx.frame("fcr_headline").set_index("definition")
    if "customer-reported" not in f.index or "repeat-based, any reason" not in f.index:
        raise NotEvaluable("the FCR table has no customer-reported or no repeat-based row")
    s, b = f.loc["customer-reported"], f.loc["repeat-based, any reason"]
    n_s, n_b = _num(s["denominator"]) or 0, _num(b["denominator"]) or 0
    if min(n_s, n_b) < ctx.min_n:
        raise _too_few("survey answers on resolution", min(n_s, n_b), ctx)
    d, lo, hi = newcombe_difference(float(s["numerator"]), n_s, float(b["numerator"]), n_b)
    if not (s["ci_low"] > b["ci_high"] or s["ci_high"] < b["ci_low"]):
        return []
    more = "more" if d > 0 else "less"
    return [Draft(
        concerns_kind="centre", concerns="surveyed contacts",
        defect=Sentence.of("Customers say their issue was resolved {more} often than their behaviour shows: {s} "
                           "customer-reported FCR against {b} repeat-based.",
                           more=_n(more), s=_n(pct(float(s["rate"]))), b=_n(pct(float(b["rate"])))),
        evidence=Evidence(metric="Customer-reported minus repeat-based FCR", value=d, ci_low=lo, ci_high=hi,
                          denominator=int(n_s), unit="points",
                          comparison=f"customer-reported {pct(float(s['rate']))} (n = {int(n_s):,}), repeat-based "
                                     f"{pct(float(b['rate']))} (n = {int(n_b):,})", result="fcr_headline"),
        # the answers are a sample, about any contact of the period (abandoned, contained,
        # anonymous ones too): a share of the judged contacts would set two populations against
        # each other, and a share of any population would measure how many were asked, not how
        # many customers the disagreement touches. The count is stated without a share.
        affected=n_s, affected_label="survey answers on resolution",
        baseline=f"customer-reported {pct(float(s['rate']))} against repeat-based {pct(float(b['rate']))}",
    )]


@_rule(
    id="nonresponse_bias", title="Survey responders are not typical",
    reads=("nonresponse",), figures=("nonresponse", "fcr_repeat"),
    condition="the repeat-based FCR of survey responders and of non-responders differ: the 95% interval of the "
              "difference (Newcombe; the groups are disjoint) excludes zero, both groups at least min_n judged "
              "contacts",
    evidence="repeat-based FCR of responders and of non-responders, and their difference",
    bucket="operating_model", lane="policy_governance", section="02_journey_effort", heading="What customers say",
    metric_to_move="the difference in FCR between responders and non-responders (survey sampling)",
)
def _nonresponse(ctx: Context, rule: Rule) -> list[Draft]:
    f = ctx.frame("nonresponse").set_index("group")
    if "fcr" not in f.columns or "responders" not in f.index or "non_responders" not in f.index:
        raise NotEvaluable("the survey comparison has no FCR of responders and non-responders")
    r, o = f.loc["responders"], f.loc["non_responders"]
    n1, n0 = _num(r["fcr_n"]) or 0, _num(o["fcr_n"]) or 0
    if min(n1, n0) < ctx.min_n:
        raise _too_few("judged contacts of survey responders", min(n1, n0), ctx)
    # the result keeps the rate and its denominator; the count is their product, exactly
    k1, k0 = round(float(r["fcr"]) * n1), round(float(o["fcr"]) * n0)
    d, lo, hi = newcombe_difference(k1, n1, k0, n0)
    if lo <= 0 <= hi:
        return []
    word = "higher" if d > 0 else "lower"
    return [Draft(
        concerns_kind="centre", concerns="survey responders",
        defect=Sentence.of("Customers who answer surveys were resolved first time {word} than those who did not "
                           "({r} against {o}), so survey scores describe a {kind} sample.",
                           word=_n(f"{'more' if d > 0 else 'less'} often"), r=_n(pct(float(r["fcr"]))),
                           o=_n(pct(float(o["fcr"]))), kind=_n("better-served" if d > 0 else "worse-served")),
        evidence=Evidence(metric="FCR of responders minus non-responders", value=d, ci_low=lo, ci_high=hi,
                          denominator=int(n1), unit="points",
                          comparison=f"responders {pct(float(r['fcr']))} (n = {int(n1):,}), non-responders "
                                     f"{pct(float(o['fcr']))} (n = {int(n0):,}); FCR is {word} for responders",
                          result="nonresponse"),
        affected=n1, affected_label="judged contacts of responders", population=ctx.judged_contacts(),
        population_label="contacts judged",
        baseline=f"responders {pct(float(r['fcr']))} against non-responders {pct(float(o['fcr']))}",
    )]


#: what a forecast rule's interval allows for
_ARRIVALS_NOTE = ("the interval allows for the chance in arrivals (Poisson), which even a perfect forecast meets: "
                  "a finding is stated only when all of it lies beyond the standard")


def _beyond(lo: float, hi: float, limit: float) -> bool:
    """Whether a relative error's whole 95% interval lies beyond the standard (+-limit)."""
    return lo >= limit or hi <= -limit


def _forecast_interval(forecast: float, offered: float) -> tuple[float, float]:
    """95% interval of forecast / expected volume - 1 from the offered count's chance variation
    (:func:`cxkit.stats.poisson_bounds`): an over-forecast against few arrivals may be chance."""
    lo, hi = poisson_bounds(offered)
    return (forecast / hi - 1 if hi > 0 else math.inf), (forecast / lo - 1 if lo > 0 else math.inf)


def _weekday_interval(day: tuple[float, float], rest: tuple[float, float]) -> tuple[float, float]:
    """95% interval of (forecast / offered of the day) / (forecast / offered of the others) - 1,
    conditional on the offered total: the day's share of it is binomial (Wilson), the standard
    comparison of two Poisson counts."""
    (f_day, o_day), (f_rest, o_rest) = day, rest
    p_lo, p_hi = wilson_bounds(o_day, o_day + o_rest)
    scale = f_day / f_rest

    def rel(p: float) -> float:
        return scale * (1 - p) / p - 1 if p > 0 else math.inf

    return rel(p_hi), rel(p_lo)


@_rule(
    id="forecast_bias", title="Forecasts off for a queue",
    reads=("forecast_accuracy",), figures=("forecast_accuracy",),
    condition="a queue (at least min_n contacts offered) whose forecast total is at least forecast_bias_max above "
              "or below the offered total, over every interval of the period, the whole 95% interval of the "
              "difference (the chance in arrivals, exact Poisson) beyond it",
    evidence="(forecast - offered) / offered per queue, with MAPE and WAPE beside it",
    bucket="operating_model", lane="operational_fix", section="04_cost_and_capacity", heading="",
    metric_to_move="forecast bias of the queue", thresholds=("forecast_bias_max",),
)
def _forecast_bias(ctx: Context, rule: Rule) -> list[Draft]:
    f = ctx.frame("forecast_accuracy")
    if not {"queue", "bias", "offered", "forecast"} <= set(f.columns):
        raise NotEvaluable("the forecast accuracy result has no bias, offered and forecast volumes per queue")
    queues = f[f["queue"].astype(str) != _ALL]
    # the share is of every forecast queue's contacts, not only of the queues large enough to judge
    # (41 of a small centre's 194 read "57.7% of 71")
    offered = queues["offered"].fillna(0)
    population = float(offered.sum())
    f = queues[offered >= ctx.min_n]
    if f.empty:
        raise NotEvaluable(f"no queue has {ctx.min_n} or more contacts offered over its intervals (min_n)")
    limit = ctx.threshold("forecast_bias_max")
    out = []
    for _, q in f.iterrows():
        if not (_ok(q["bias"]) and abs(q["bias"]) >= limit):
            continue
        name, bias = str(q["queue"]), float(q["bias"])
        lo, hi = _forecast_interval(float(q["forecast"]), float(q["offered"]))
        if not _beyond(lo, hi, limit):
            continue
        out.append(Draft(
            concerns_kind="queue", concerns=name,
            defect=Sentence.of("The forecast for queue {segment} is {bias} {dir} the volume offered, so it is staffed "
                               "for the wrong demand.", segment=name, bias=_n(pct(abs(bias))),
                               dir=_n("above" if bias > 0 else "below")),
            evidence=Evidence(metric="Forecast bias", value=bias, ci_low=lo, ci_high=hi, denominator=int(q["offered"]),
                              unit="relative", comparison=f"standard: within +-{pct(limit, 0)} (forecast_bias_max)",
                              result="forecast_accuracy", note=_ARRIVALS_NOTE),
            affected=_num(q["offered"]), affected_label="contacts offered to the queue",
            population=population, population_label="contacts offered (forecast queues)",
            baseline=f"forecast bias {100 * bias:+.1f}% for {name}", title=f"Forecast off for queue {name}",
        ))
    return out


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@_rule(
    id="forecast_weekday_bias", title="Forecasts off on a weekday",
    reads=("forecast_dayparts",), figures=("forecast_accuracy",),
    condition="a weekday (at least min_n contacts offered) whose forecast, relative to the volume offered, is at "
              "least forecast_bias_max above or below the rest of the week's: (forecast / offered of the weekday) / "
              "(forecast / offered of the other days) - 1, the WFM queues contacts entered pooled (every queue when "
              "the contacts have none), the whole 95% interval (the chance in arrivals: the day's share of the "
              "offered contacts, Wilson) beyond it",
    evidence="forecast over offered on the weekday against the other days of the week",
    bucket="operating_model", lane="operational_fix", section="04_cost_and_capacity", heading="",
    metric_to_move="forecast against offered volume on the weekday", thresholds=("forecast_bias_max",),
)
def _weekday_bias(ctx: Context, rule: Rule) -> list[Draft]:
    f = ctx.frame("forecast_dayparts")
    if not {"weekday", "offered", "forecast"} <= set(f.columns):
        raise NotEvaluable("the day-part result has no weekday, offered and forecast columns")
    g = f.groupby("weekday", as_index=False)[["offered", "forecast"]].sum()
    g = g[g["offered"] > 0]
    if len(g) < 2 or g["offered"].max() < ctx.min_n:
        raise NotEvaluable(f"fewer than two weekdays with volume, or none with {ctx.min_n} contacts offered (min_n)")
    limit = ctx.threshold("forecast_bias_max")
    order = {d: i for i, d in enumerate(_WEEKDAYS)}
    out = []
    for _, d in sorted(g.iterrows(), key=lambda kv: order.get(str(kv[1]["weekday"]), 9)):
        if d["offered"] < ctx.min_n:
            continue
        others = g[g["weekday"] != d["weekday"]]
        day_ratio = float(d["forecast"]) / float(d["offered"])
        rest_ratio = float(others["forecast"].sum()) / float(others["offered"].sum())
        if rest_ratio <= 0:  # no forecast on the other days: nothing to compare the day with
            continue
        rel = day_ratio / rest_ratio - 1
        if abs(rel) < limit:
            continue
        lo, hi = _weekday_interval((float(d["forecast"]), float(d["offered"])),
                                   (float(others["forecast"].sum()), float(others["offered"].sum())))
        if not _beyond(lo, hi, limit):
            continue
        day = str(d["weekday"])
        out.append(Draft(
            concerns_kind="weekday", concerns=day,
            defect=Sentence.of("Forecasts for {day} are {rel} {dir} the rest of the week's, relative to the volume "
                               "offered: the forecast is {a} of the volume on {day} against {b} on other days.",
                               day=day, rel=_n(pct(abs(rel))), dir=_n("above" if rel > 0 else "below"),
                               a=_n(pct(day_ratio, 0)), b=_n(pct(rest_ratio, 0))),
            evidence=Evidence(metric="Forecast over offered, against the other days", value=rel, ci_low=lo, ci_high=hi,
                              denominator=int(d["offered"]), unit="relative",
                              comparison=f"forecast / offered {pct(day_ratio, 0)} on {day}, {pct(rest_ratio, 0)} on "
                                         f"other days; standard: within +-{pct(limit, 0)} (forecast_bias_max)",
                              result="forecast_dayparts", note=_ARRIVALS_NOTE),
            affected=float(d["offered"]), affected_label=f"contacts offered on {day}",
            population=float(g["offered"].sum()), population_label="contacts offered (forecast intervals)",
            baseline=f"forecast / offered {pct(day_ratio, 0)} on {day} against {pct(rest_ratio, 0)} on other days",
            title=f"Forecasts off on {day}",
        ))
    return out


def _census_note(queues: pd.DataFrame) -> str:
    """The staffing evidence's note: a census of the intervals the WFM export has, and the
    intervals it lacks although contacts entered those queues in them (not in the share)."""
    missing = float(pd.to_numeric(queues.get("missing_intervals", pd.Series(dtype=float))).fillna(0).sum())
    if not missing:
        return "a census of every interval, so no sampling interval"
    contacts = float(pd.to_numeric(queues.get("contacts_in_missing_intervals", pd.Series(dtype=float))).fillna(0).sum())
    return (f"a census of the intervals the WFM export has, so no sampling interval; {int(missing):,} intervals in "
            f"which {int(contacts):,} offered contacts entered these queues are missing from the export and not in "
            "the share")


@_rule(
    id="understaffed_intervals", title="Understaffed intervals",
    reads=("staffing_summary",), figures=("staffing",),
    condition="a queue whose share of intervals staffed below the Erlang C requirement is more than "
              "understaffed_share_max (every interval of the period: a census)",
    evidence="intervals under-staffed over intervals with staffing data, and the agent hours short",
    bucket="operating_model", lane="operational_fix", section="04_cost_and_capacity", heading="",
    metric_to_move="share of intervals staffed to requirement", thresholds=("understaffed_share_max",),
)
def _understaffed(ctx: Context, rule: Rule) -> list[Draft]:
    f = ctx.frame("staffing_summary")
    if not {"queue", "under_staffed_share", "intervals"} <= set(f.columns):
        raise NotEvaluable("the staffing summary has no under-staffed share per queue")
    f = f[(f["queue"].astype(str) != _ALL) & (f["intervals"].fillna(0) > 0)]
    if f.empty:
        from cxkit.cost_narrative import staffing_not_assessed

        # why the capacity section staffed no queue (no contact in a channel the engagement
        # staffs; WFM queues that name none of the contacts'), in the section's own words: a
        # WFM export with staffing data is not "without" it
        raise NotEvaluable(staffing_not_assessed(ctx.r) or "no queue has intervals with staffing data")
    limit = ctx.threshold("understaffed_share_max")
    # more than the share tolerated (the standard is "at most" it): a queue at it meets the standard
    short_of = f[f["under_staffed_share"].fillna(-1) > limit]
    if len(short_of) > 1:
        # the same defect in several queues is one finding about how the center is staffed,
        # not one finding per queue crowding out everything else in the ranking
        under = float(short_of["under_staffed"].fillna(0).sum()) if "under_staffed" in short_of else None
        intervals = float(short_of["intervals"].sum())
        share = under / intervals if under is not None and intervals else None
        hours = (float(short_of["agent_hours_short"].fillna(0).sum()) if "agent_hours_short" in short_of else None)
        ranked = short_of.sort_values("under_staffed_share", ascending=False)
        listed = ", ".join(f"{q['queue']} {pct(float(q['under_staffed_share']))}" for _, q in ranked.iterrows())
        n = len(short_of)
        note = _census_note(short_of)
        return [Draft(
            concerns_kind="centre", concerns=f"{n} queues", key="queues",
            defect=Sentence.of("{n} of {total} queues are staffed below their requirement in more than {limit} of "
                               "their intervals ({listed}).", n=_n(str(n)), total=_n(str(len(f))),
                               limit=_n(pct(limit, 0)), listed=listed),
            evidence=Evidence(metric="Intervals under-staffed in those queues", value=share, denominator=int(intervals),
                              comparison=f"standard: at most {pct(limit, 0)} (understaffed_share_max)",
                              result="staffing_summary", note=note),
            affected=under, affected_label="intervals under-staffed",
            population=intervals, population_label="intervals",
            hours=hours, hours_basis="agent hours short of the Erlang C requirement (staffing summary)",
            baseline=f"{pct(share) if share is not None else 'an unknown share'} of intervals under-staffed in "
                     f"{n} queues",
            title=f"Understaffed across {n} queues",
        )]
    out = []
    for _, q in short_of.iterrows():
        share = _num(q["under_staffed_share"])
        if share is None:
            continue
        name = str(q["queue"])
        short = _num(q.get("agent_hours_short"))
        out.append(Draft(
            concerns_kind="queue", concerns=name,
            defect=Sentence.of("Queue {segment} is staffed below its requirement in {share} of its intervals.",
                               segment=name, share=_n(pct(share))),
            evidence=Evidence(metric="Intervals under-staffed", value=share, denominator=int(q["intervals"]),
                              comparison=f"standard: at most {pct(limit, 0)} (understaffed_share_max)",
                              result="staffing_summary", note=_census_note(q.to_frame().T)),
            affected=_num(q.get("under_staffed")), affected_label="intervals under-staffed",
            population=float(q["intervals"]), population_label="intervals",
            hours=short, hours_basis="agent hours short of the Erlang C requirement (staffing summary)",
            baseline=f"{pct(share)} of intervals under-staffed in {name}", title=f"Queue {name} understaffed",
        ))
    return out


_DIAGNOSTIC_WORDS = {
    "fcr_repeat": "Repeat-based FCR and repeat share",
    "fcr_transfer": "Transfer-adjusted FCR",
    "fcr_case": "Case-based FCR and case follow-through",
    "fcr_survey": "Customer-reported FCR",
    "journey_effort": "Journey effort",
    "service_level": "Service level, ASA and abandonment",
    "aht": "Average handle time",
    "cost_model": "Cost of repeat contacts",
    "perception": "Perception (CSAT, NPS, CES)",
}


@_rule(
    id="data_gap", title="Data gaps that block a diagnostic",
    reads=(), figures=(),
    condition="readiness rated a diagnostic blocked: the export cannot support it",
    evidence="the readiness verdict and its reason",
    bucket="technology", lane="platform_data", section="01_data_readiness", heading="Readiness of each diagnostic",
    metric_to_move="readiness verdict of the diagnostic",
)
def _data_gap(ctx: Context, rule: Rule) -> list[Draft]:
    from cxkit.readiness.matrix import apart_from

    readiness = ctx.r.readiness
    if not readiness:
        raise NotEvaluable("data readiness did not run for this run (no readiness.json)")
    blocked = []
    for key, entry in readiness.get("matrix", {}).items():
        if entry.get("verdict") != "blocked":
            continue
        what = _DIAGNOSTIC_WORDS.get(key, key.replace("_", " ")) + apart_from(entry.get("spared", ()), key)
        reasons = entry.get("reasons") or []
        # the matrix reason restates the diagnostic: its first reason is what follows "is blocked"
        reason = str(reasons[0]["reason"] if reasons else entry.get("reason", ""))
        why = reason.split("is blocked:", 1)[-1].strip() if not reasons and "is blocked:" in reason else reason
        why = why.rstrip(".")
        blocked.append((what, why))
    if not blocked:
        return []
    k = len(blocked)
    names = "; ".join(w for w, _ in blocked)
    return [Draft(
        concerns_kind="centre", concerns="the data the centre can export",
        defect=Sentence.of("The export cannot support {k}: {names}.", k=_n(f"{k} diagnostic{'s' if k != 1 else ''}"),
                           names=names),
        evidence=Evidence(metric="Readiness verdicts blocked", unit="count",
                          comparison="; ".join(f"{w}: {y}" for w, y in blocked), result="readiness"),
        affected=float(k), affected_label=f"diagnostic{'s' if k != 1 else ''} blocked",
        baseline=f"{k} diagnostic{'s' if k != 1 else ''} blocked by data readiness",
        title=f"Data gaps block {k} diagnostic{'s' if k != 1 else ''}",
    )]


# ============================================================================================
# the consultant's findings.yaml
# ============================================================================================


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


ScreenValue = int | Literal["not assessed"]


class ScreensIn(_Strict):
    customer_effect: ScreenValue | None = Field(None, description="1-5; default: computed from the data")
    operational_effect: ScreenValue | None = Field(None, description="1-5; default: computed from the data")
    delivery_complexity: ScreenValue | None = Field(None, description="1-5 (5 = hardest); default not assessed")
    dependency_risk: ScreenValue | None = Field(None, description="1-5 (5 = riskiest); default not assessed")

    @field_validator("*")
    @classmethod
    def _one_to_five(cls, v: Any) -> Any:
        if isinstance(v, int) and not isinstance(v, bool) and not 1 <= v <= 5:
            raise ValueError(f"a screen is 1 (least) to 5 (most) or 'not assessed'; found {v}")
        return v


class BriefIn(_Strict):
    target_workflow: str | None = None
    systems: str | None = None
    approvals: str | None = None
    dependencies: str | None = None
    risks: str | None = None


_BUCKET_KEYS = tuple(BUCKETS)
_LANE_KEYS = tuple(LANES)


class ConsultantFindingIn(_Strict):
    """A qualitative finding (interviews, floor observation)."""

    id: str | None = Field(None, description="stable id for overrides and merges; default from the title")
    title: str = Field(min_length=3)
    defect: str | None = Field(None, description="the defect in one plain sentence (default: the title)")
    reason: str | None = None
    journey: str | None = None
    queue: str | None = None
    team: str | None = None
    channel: str | None = None
    bucket: str
    lane: str | None = None
    evidence: str = Field(min_length=3)
    owner: str | None = None
    screens: ScreensIn = Field(default_factory=ScreensIn)
    brief: BriefIn = Field(default_factory=BriefIn)


class OverrideIn(_Strict):
    """Changes to a data finding (by finding id) or to every finding of a rule (by rule id)."""

    title: str | None = None
    defect: str | None = None
    bucket: str | None = None
    lane: str | None = None
    owner: str | None = None
    dismiss: str | None = Field(None, description="dismiss with this reason")
    merge_into: str | None = Field(None, description="id of the finding this one is part of")
    screens: ScreensIn = Field(default_factory=ScreensIn)
    brief: BriefIn = Field(default_factory=BriefIn)


class FindingsFile(_Strict):
    """The validated ``findings.yaml``."""

    findings: list[ConsultantFindingIn] = Field(default_factory=list)
    overrides: dict[str, OverrideIn] = Field(default_factory=dict)
    path: str = ""
    digest: str = ""


def _key_hint(value: str, known: Sequence[str], what: str) -> str:
    guess = difflib.get_close_matches(str(value), list(known), n=1)
    return f"did you mean '{guess[0]}'?" if guess else f"{what}: {', '.join(known)}"


def _consultant_id(f: ConsultantFindingIn) -> str:
    return f.id or "consultant:" + slug(f.title)


def findings_file_path(engagement: Any) -> Path:
    """Where the engagement's ``findings.yaml`` is (``findings.file``, relative to the engagement)."""
    return engagement.resolve(engagement.findings.file)


def load_findings_file(engagement: Any) -> FindingsFile:
    """Read and validate the consultant's findings file; an absent file is an empty one.

    Every problem is collected and raised at once as a :class:`cxkit.errors.ConfigError` that
    names the file, the key, what was found and the fix (exit code 2 from the CLI).
    """
    path = findings_file_path(engagement)
    if not path.exists():
        return FindingsFile(path=str(path))
    raw_bytes = path.read_bytes()
    try:
        raw = yaml.safe_load(raw_bytes.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), [f"not UTF-8 text ({exc}); save the file as UTF-8"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        raise ConfigError(str(path), [f"not valid YAML at {where}: {getattr(exc, 'problem', exc)}"]) from None
    return findings_file_from_dict(raw, path, hashlib.sha256(raw_bytes).hexdigest()[:16])


def findings_file_from_dict(raw: Any, path: Path | str, digest: str = "") -> FindingsFile:
    """Validate a findings file given as parsed YAML (see :func:`load_findings_file`)."""
    from cxkit.config import _describe

    origin = str(path)
    if raw is None:
        return FindingsFile(path=origin, digest=digest)
    if not isinstance(raw, dict):
        raise ConfigError(origin, ["the file must be a YAML mapping with 'findings:' (a list) and/or 'overrides:' "
                                   f"(a mapping); found {type(raw).__name__}"])
    problems: list[str] = []
    known_top = ("findings", "overrides")
    for key in raw:
        if key not in known_top:
            problems.append(f"{key}: unknown key; {_key_hint(key, known_top, 'known keys')}")
    items = raw.get("findings") or []
    if not isinstance(items, list):
        problems.append("findings: must be a list of findings (each starting with '- title: ...'); found "
                        f"{type(items).__name__}")
        items = []
    consultant: list[ConsultantFindingIn] = []
    for i, item in enumerate(items):
        where = f"findings[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a mapping (title, bucket, evidence, ...); found {item!r}")
            continue
        try:
            f = ConsultantFindingIn.model_validate(item)
        except ValidationError as exc:
            problems.extend(f"{where}.{_describe(e, ConsultantFindingIn)}" for e in exc.errors())
            continue
        problems.extend(_choice_problems(where, f.bucket, f.lane))
        consultant.append(f)
    ids = [_consultant_id(f) for f in consultant]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"findings: two findings have the id {dup!r}; give each an 'id' (or a distinct title)")
    overrides_raw = raw.get("overrides") or {}
    overrides: dict[str, OverrideIn] = {}
    if not isinstance(overrides_raw, dict):
        problems.append("overrides: must be a mapping of finding or rule ids to changes; found "
                        f"{type(overrides_raw).__name__}")
        overrides_raw = {}
    for key, item in overrides_raw.items():
        where = f"overrides.{key}"
        rule_id = str(key).split(":", 1)[0]
        if rule_id not in RULES and str(key) not in ids:
            problems.append(f"{where}: no rule or finding with this id; "
                            f"{_key_hint(rule_id, [*RULES, *ids], 'rule ids')}")
            continue
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a mapping (title, defect, dismiss, merge_into, lane, ...); "
                            f"found {item!r}")
            continue
        try:
            o = OverrideIn.model_validate(item)
        except ValidationError as exc:
            problems.extend(f"{where}.{_describe(e, OverrideIn)}" for e in exc.errors())
            continue
        if o.dismiss is not None and not o.dismiss.strip():
            problems.append(f"{where}.dismiss: give the reason the finding is dismissed (it is shown in the report)")
        if o.dismiss is not None and o.merge_into is not None:
            problems.append(f"{where}: dismiss and merge_into together; a finding is either dismissed or merged")
        if o.merge_into is not None:
            target = o.merge_into.split(":", 1)[0]
            if target not in RULES and o.merge_into not in ids:
                problems.append(f"{where}.merge_into: no finding {o.merge_into!r}; "
                                f"{_key_hint(target, [*RULES, *ids], 'rule ids')}")
            if o.merge_into == key:
                problems.append(f"{where}.merge_into: a finding cannot be merged into itself")
        if not o.model_fields_set:
            problems.append(f"{where}: no change given; set title, defect, bucket, lane, owner, screens, brief, "
                            "dismiss or merge_into")
        problems.extend(_choice_problems(where, o.bucket, o.lane))
        overrides[str(key)] = o
    if problems:
        raise ConfigError(origin, problems)
    return FindingsFile(findings=consultant, overrides=overrides, path=origin, digest=digest)


def _choice_problems(where: str, bucket: str | None, lane: str | None) -> list[str]:
    out = []
    if bucket is not None and bucket not in BUCKETS:
        out.append(f"{where}.bucket: {bucket!r} is not a friction bucket; {_key_hint(bucket, _BUCKET_KEYS, 'buckets')} "
                   f"({'; '.join(f'{k} = {v}' for k, v in BUCKETS.items())})")
    if lane is not None and lane not in LANES:
        out.append(f"{where}.lane: {lane!r} is not a roadmap lane; {_key_hint(lane, _LANE_KEYS, 'lanes')} "
                   f"({'; '.join(f'{k} = {v}' for k, v in LANES.items())})")
    return out


FINDINGS_TEMPLATE = """\
# cxkit findings: what interviews and floor observation found, and changes to the findings
# the data produced. Read by `cxkit run` (every key is checked at once; messages name the key
# to fix). Friction buckets: customer (felt by the customer), agent (absorbed by the agent),
# operating_model (created by the operating model), technology (tied to technology design).
# Lanes: operational_fix, service_redesign, platform_data, policy_governance.
# Screens are 1 (least) to 5 (most) or "not assessed"; customer_effect and operational_effect
# are computed from the data when not given.

findings: []
#  - title: Agents cannot find the current refund policy
#    reason: BILLING_DISPUTE          # or journey:, queue:, team:, channel:
#    bucket: agent
#    lane: operational_fix            # default: from the bucket
#    evidence: "9 of 12 agents interviewed keep their own notes; the knowledge base page is from 2023"
#    owner: Head of Operations
#    screens: {customer_effect: 3, operational_effect: 3, delivery_complexity: 2, dependency_risk: 1}
#    brief: {target_workflow: "...", systems: "...", approvals: "...", dependencies: "...", risks: "..."}

overrides: {}
#  weak_resolution_by_reason:COMPLAINT:      # a finding id (rule:segment) from findings.json, or a rule id
#    title: Complaints are not owned end to end
#    defect: "Complaints are handed between three teams and customers chase them."
#    lane: service_redesign
#    owner: Head of Complaints
#    screens: {delivery_complexity: 4, dependency_risk: 3}
#  weak_resolution_by_queue:V_COMPLAINTS:
#    merge_into: weak_resolution_by_reason:COMPLAINT
#  transfer_ping_pong:
#    dismiss: "Routing change already live since April (see change ticket)"
"""


# ============================================================================================
# evaluating, sizing, screening, scoring
# ============================================================================================


def _band(share: float, bands: Sequence[float]) -> int:
    return 1 + sum(1 for b in bands if share >= b)


def priority_score(screens: Mapping[str, float | None], weights: Mapping[str, float],
                   not_assessed: float = DEFAULT_NOT_ASSESSED) -> float:
    """The weighted mean of the screens, complexity and risk reversed (``6 - value``), on 1-5.

    A screen that is None (not assessed) counts as ``not_assessed``.

    >>> priority_score({"customer_effect": 5, "operational_effect": 4, "delivery_complexity": 2,
    ...                 "dependency_risk": None}, {"customer_effect": 1, "operational_effect": 1,
    ...                 "delivery_complexity": 1, "dependency_risk": 1})  # (5 + 4 + (6-2) + (6-3)) / 4
    4.0
    """
    value, ease = _value_ease(screens, weights, not_assessed)
    wv = weights["customer_effect"] + weights["operational_effect"]
    we = weights["delivery_complexity"] + weights["dependency_risk"]
    return (value * wv + ease * we) / (wv + we)


def _value_ease(screens: Mapping[str, float | None], weights: Mapping[str, float],
                not_assessed: float) -> tuple[float, float]:
    def v(key: str) -> float:
        x = screens.get(key)
        return not_assessed if x is None else float(x)

    wc, wo = weights["customer_effect"], weights["operational_effect"]
    wd, wr = weights["delivery_complexity"], weights["dependency_risk"]
    value = (wc * v("customer_effect") + wo * v("operational_effect")) / (wc + wo) if wc + wo else not_assessed
    ease = ((wd * (6 - v("delivery_complexity")) + wr * (6 - v("dependency_risk"))) / (wd + wr)
            if wd + wr else not_assessed)
    return value, ease


@dataclass
class RuleStatus:
    """What happened to one rule in this run."""

    rule: str
    title: str
    status: Literal["stated", "not found", "not evaluated"]
    reason: str
    findings: int
    condition: str
    bucket: str
    lane: str


def _blocked(results: Any, figures: Iterable[str]) -> str | None:
    """The readiness reason when a diagnostic behind these figures is blocked."""
    from cxkit.figures import FIGURES

    matrix = (results.readiness or {}).get("matrix", {})
    for key in figures:
        for diag in FIGURES[key].diagnostics:
            entry = matrix.get(diag)
            # a verdict whose checks name the figures they limit spares the others (a period too
            # short to judge a repeat blocks FCR, not the repeat share or the transfer paths)
            if not entry or entry.get("verdict") != "blocked" or key in entry.get("spared", ()):
                continue
            if entry.get("spared"):  # the figure is named by the check that blocks it
                why = next((r["reason"] for r in entry.get("reasons", ())
                            if r.get("verdict") == "blocked" and key in r.get("figures", ())), None)
                if why:
                    return f"{FIGURES[key].label} is blocked: {why}"
            return str(entry.get("reason", f"{diag} is blocked"))
    return None


def _cost(ctx: Context, draft: Draft, extra: float | None, currency: str) -> tuple[float | None, float | None, str]:
    """Cost per period and per year of ``extra`` contacts, from the run's cost results."""
    if extra is None or extra <= 0:
        return None, None, ""
    if not (ctx.has("channel_prices") and ctx.has("repeat_cost_total")):
        return None, None, ("cost not computed: the run has no cost results (channel_prices, repeat_cost_total); "
                            "sized in contacts and hours")
    per: float | None = None
    basis = ""
    if draft.cost_segment is not None:
        kind, value = draft.cost_segment
        name = f"repeat_cost_by_{kind}"
        col = {"reason": "contact_reason"}.get(kind, kind)
        f = ctx.optional(name)
        if f is not None and col in f.columns:
            row = f[f[col].astype(str) == value]
            priced = _num(row.iloc[0].get("priced_repeats")) if not row.empty else None
            if priced and _ok(row.iloc[0].get("repeat_cost")):
                per = float(row.iloc[0]["repeat_cost"]) / float(row.iloc[0]["priced_repeats"])
                basis = f"x {money(per, currency)}, the mean cost of a priced repeat of this {kind} ({name})"
    total = ctx.frame("repeat_cost_total").iloc[0]
    if per is None:
        if not _ok(total.get("repeat_cost")) or not (_num(total.get("priced_repeats")) or 0) > 0:
            return None, None, "cost not computed: no repeat contact could be priced (see channel_prices)"
        per = float(total["repeat_cost"]) / float(total["priced_repeats"])
        basis = f"x {money(per, currency)}, the mean cost of a priced repeat contact (repeat_cost_total)"
    days = _num(total.get("period_days")) or float(ctx.r.manifest["period"]["days"])
    period = extra * per
    return period, period * 365.0 / days, f"{_count(extra)} contacts {basis}; a year = the period x 365 / {in_days(days)}"


def _size(ctx: Context, draft: Draft, currency: str) -> Size:
    hours, basis = draft.hours, draft.hours_basis
    if not draft.contacts:
        return Size(affected=draft.affected, affected_label=draft.affected_label, population=draft.population,
                    population_label=draft.population_label, repeats=draft.repeats, repeats_label=draft.repeats_label,
                    hours_basis="not computed: these are events inside contacts, whose time the export does not give",
                    currency=currency, cost_basis="cost not computed: the events are not whole contacts",
                    extra_contacts=False)
    if hours is None and draft.repeats is not None and draft.repeats > 0:
        aht = ctx.aht_s(_ALL)
        if aht is None:
            basis = "agent hours not computed: handle time is not measured"
        else:
            hours = draft.repeats * aht / 3600.0
            basis = (f"{_count(draft.repeats)} contacts x mean handle time {aht / 60:.1f} min of handled contacts "
                     "(operations, all channels); contacts no agent handles take less, so this is an upper bound")
    cost_p, cost_y, cost_basis = _cost(ctx, draft, draft.repeats, currency)
    return Size(affected=draft.affected, affected_label=draft.affected_label, population=draft.population,
                population_label=draft.population_label, repeats=draft.repeats, repeats_label=draft.repeats_label,
                hours=hours, hours_basis=basis, cost_period=cost_p, cost_year=cost_y, currency=currency,
                cost_basis=cost_basis)


def _quoted(draft: Draft, size: Size) -> list[str]:
    """The figures a finding quotes beyond its rule's: those its check names, the handle time
    its agent hours are timed at, the repeat cost its yearly cost is priced from."""
    from cxkit.figures import FIGURES

    out = list(draft.quoted)
    if draft.hours is None and size.hours is not None:
        out.append("aht")
    if size.cost_period is not None:
        by = f"repeat_cost_by_{draft.cost_segment[0]}" if draft.cost_segment else ""
        out.append(by if by in FIGURES else "repeat_cost")
    return out


def _data_screens(ctx: Context, size: Size, settings: Any) -> dict[str, Screen]:
    screens = {k: Screen() for k in SCREENS}
    share = size.volume_share
    if share is not None:
        screens["customer_effect"] = Screen(
            float(_band(share, settings.customer_effect_bands)), "data",
            f"{pct(share)} of {size.population_label} affected; bands "
            f"{', '.join(pct(b, 1) for b in settings.customer_effect_bands)}")
    total = ctx.agent_hours()
    if size.hours is not None and total:
        h = size.hours / total
        screens["operational_effect"] = Screen(
            float(_band(h, settings.operational_effect_bands)), "data",
            f"{size.hours:,.0f} of {total:,.0f} agent hours ({pct(h, 2)}); bands "
            f"{', '.join(pct(b, 2) for b in settings.operational_effect_bands)}")
    return screens


def _apply_screens(screens: dict[str, Screen], given: ScreensIn) -> list[str]:
    edited = []
    for key in SCREENS:
        v = getattr(given, key)
        if v is None:
            continue
        edited.append(key)
        screens[key] = Screen(None, "not assessed", "set to not assessed by the consultant") if v == NOT_ASSESSED \
            else Screen(float(v), "consultant", "set by the consultant")
    return edited


def evaluate(results: Any, engagement: Any = None, file: FindingsFile | None = None) -> FindingSet:
    """Every rule over ``results``, the consultant's file applied, findings screened and ranked.

    Parameters
    ----------
    results
        The run's :class:`cxkit.results.ResultSet`.
    engagement
        The engagement (default ``results.engagement``): its ``findings:`` settings and the
        folder of ``findings.yaml``. Without one, defaults apply and no file is read.
    file
        A validated findings file (default: read from the engagement).
    """
    from cxkit.config import FindingsSettings

    engagement = engagement if engagement is not None else getattr(results, "engagement", None)
    settings = engagement.findings if engagement is not None else FindingsSettings()
    if file is None:
        file = load_findings_file(engagement) if engagement is not None else FindingsFile()
    ctx = Context(results, settings.thresholds)
    currency = str(results.manifest.get("currency", ""))
    found: list[Finding] = []
    statuses: list[RuleStatus] = []
    for rule in RULES.values():
        why = _not_evaluable(ctx, rule)
        drafts: list[Draft] = []
        if why is None:
            try:
                drafts = rule.check(ctx, rule)
            except NotEvaluable as exc:
                why = str(exc)
        status = "not evaluated" if why else ("stated" if drafts else "not found")
        statuses.append(RuleStatus(rule.id, rule.title, status, why or ("" if drafts else "condition not met"),
                                   len(drafts), rule.condition, rule.bucket, rule.lane))
        heading, anchor = _where(rule, results)
        caveats = [c.reason for c in results.judge.caveats_for(rule.figures)] if rule.figures else []
        for d in drafts:
            # a rule that states one finding at most names none; a rule stating one per channel
            # (service level) keys each by its channel
            single = d.concerns_kind in ("centre", "agents", "channel") and d.key is None
            fid = rule.id if single else f"{rule.id}:{d.key or d.concerns}"
            size = _size(ctx, d, currency)
            ev = replace(d.evidence, section=rule.section, heading=heading, anchor=anchor)
            found.append(Finding(
                id=fid, title=d.title or rule.title, source="data", rule=rule.id, concerns_kind=d.concerns_kind,
                concerns=d.concerns, defect=d.defect.text, defect_markdown=d.defect.markdown, evidence=ev, size=size,
                bucket=rule.bucket, lane=rule.lane, screens=_data_screens(ctx, size, settings),
                metric_to_move=rule.metric_to_move, baseline=d.baseline,
                caveats=caveats + [c.reason for c in results.judge.caveats_for(_quoted(d, size))
                                   if c.reason not in caveats],
            ))
    found, folded = _fold_identical(found)
    for st in statuses:
        if st.rule in folded:
            kept = st.findings - len(folded[st.rule])
            st.reason = (f"{len(folded[st.rule])} of {st.findings} folded into "
                         f"{', '.join(folded[st.rule])}: the same contacts and figures")
            st.findings = kept
    found += [_consultant_finding(f, ctx, settings) for f in file.findings]
    notes = _apply_overrides(found, file)
    weights = settings.weights
    for f in found:
        vals = {k: s.value for k, s in f.screens.items()}
        f.value, f.ease = _value_ease(vals, weights, settings.not_assessed)
        f.score = round(priority_score(vals, weights, settings.not_assessed), 4)
    ranked = sorted((f for f in found if f.status == "stated"), key=_rank_key)
    for i, f in enumerate(ranked, start=1):
        f.rank = i
    others = [f for f in found if f.status != "stated"]
    return FindingSet(ranked + others, statuses, settings, notes, file, results)


#: how findings of the same priority score are ordered, as the note beside the ranked table says
#: (:func:`cxkit.findings_view.weights_note`): two findings tied at 3.6 were ordered by id, unsaid
TIE_BREAK = ("Findings with the same score are ordered by their agent hours, then their extra contacts, then the "
             "share of volume they touch (larger first; a size the data does not give counts as none), and by "
             "their id when all of these are equal")


def _rank_key(f: Finding) -> tuple[Any, ...]:
    """The ranking: priority score, then :data:`TIE_BREAK`."""
    return (-(f.score or 0), -(f.size.hours or 0), -(f.size.repeats or 0), -(f.size.volume_share or 0), f.id)


def _not_evaluable(ctx: Context, rule: Rule) -> str | None:
    from cxkit.figures import FIGURES

    # what the export cannot support comes first: it is the reason a client can act on
    for fig in rule.figures:
        reason = ctx.r.judge.absent(fig)
        if reason:
            return f"{FIGURES[fig].label} is not measured: {reason}"
    for name in rule.reads:
        entry = ctx.r.manifest["results"].get(name)
        if entry is None:
            return f"the run has no result {name!r} (not part of this cxkit version, or computed by an older one)"
        if not entry.get("available"):
            return f"{entry.get('title', name)}: {entry.get('why', 'not computed')}"
    blocked = _blocked(ctx.r, rule.figures)
    if blocked:
        return f"blocked by data readiness: {blocked}"
    return None


def _fold_identical(found: list[Finding]) -> tuple[list[Finding], dict[str, list[str]]]:
    """A queue or team finding whose evidence is exactly a reason finding's (the same contacts,
    e.g. when the export maps one column to both) is folded into the first, not repeated.
    Returns the findings kept and, per rule, the ids its folded findings went into."""
    out: list[Finding] = []
    seen: dict[tuple[Any, ...], Finding] = {}
    folded: dict[str, list[str]] = {}
    for f in found:
        weak = bool(f.rule and f.rule.startswith("weak_resolution_by_"))
        key = (f.evidence.metric, f.evidence.value, f.evidence.ci_low, f.evidence.denominator)
        if weak and key in seen:
            first = seen[key]
            first.merged.append(f"{f.concerns_kind} {f.concerns} (the same contacts and figures)")
            folded.setdefault(f.rule or "", []).append(first.id)
            continue
        if weak:
            seen[key] = f
        out.append(f)
    return out, folded


def _consultant_finding(f: ConsultantFindingIn, ctx: Context, settings: Any) -> Finding:
    kind, value = next(((k, getattr(f, k)) for k in ("reason", "journey", "queue", "team", "channel")
                        if getattr(f, k)), ("centre", "the centre"))
    screens = {k: Screen() for k in SCREENS}
    defect = f.defect or f.title
    finding = Finding(
        id=_consultant_id(f), title=f.title, source="consultant", rule=None, concerns_kind=kind, concerns=str(value),
        defect=defect, defect_markdown=_md(defect),
        evidence=Evidence(metric="Consultant's evidence", unit="count", result="findings.yaml"),
        size=Size(), bucket=f.bucket, lane=f.lane or LANE_OF_BUCKET[f.bucket], screens=screens,
        evidence_text=f.evidence, metric_to_move="", baseline="",
    )
    _apply_screens(finding.screens, f.screens)
    finding.brief = {k: v for k, v in f.brief.model_dump().items() if v}
    if f.owner:
        finding.brief["owner"] = f.owner
    return finding


def _apply_overrides(found: list[Finding], file: FindingsFile) -> list[str]:
    """Apply findings.yaml overrides; returns notes for overrides that matched nothing."""
    notes: list[str] = []
    by_id = {f.id: f for f in found}
    # rule-wide overrides first, then the finding's own, so the more specific one wins
    ordered = sorted(file.overrides.items(), key=lambda kv: (":" in kv[0] or kv[0] in by_id, kv[0]))
    for key, o in ordered:
        targets = [by_id[key]] if key in by_id else [f for f in found if f.rule == key]
        if not targets:
            notes.append(f"override {key!r}: no such finding in this run (the data did not produce it)")
            continue
        for f in targets:
            if o.title:
                f.title = o.title
                f.edited.append("title")
            if o.defect:
                f.defect = o.defect
                f.defect_markdown = _md(o.defect)
                f.edited.append("defect")
            if o.bucket:
                f.bucket = o.bucket
                f.edited.append("bucket")
            if o.lane:
                f.lane = o.lane
                f.edited.append("lane")
            f.edited += _apply_screens(f.screens, o.screens)
            for k, v in o.brief.model_dump().items():
                if v:
                    f.brief[k] = v
            if o.owner:
                f.brief["owner"] = o.owner
            if o.dismiss is not None:
                f.status, f.status_reason = "dismissed", o.dismiss
            elif o.merge_into is not None:
                target = by_id.get(o.merge_into) or next(
                    (g for g in found if g.rule == o.merge_into and g is not f), None)
                if target is None or target is f:
                    notes.append(f"override {key!r}: merge_into {o.merge_into!r} matches no other finding in this run; "
                                 "kept as it is")
                    continue
                f.status, f.status_reason = "merged", f"merged into {target.id}"
                target.merged.append(f.title)
    return notes


# ============================================================================================
# the set of findings: what the report, the summary and pipelines read
# ============================================================================================


@dataclass
class FindingSet:
    """The findings of one run, ranked, with every rule's status and the scoring settings."""

    findings: list[Finding]
    rules: list[RuleStatus]
    settings: Any
    notes: list[str] = field(default_factory=list)
    file: FindingsFile | None = None
    results: Any = None

    @property
    def ranked(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "stated"]

    @property
    def top(self) -> list[Finding]:
        """The top ``top_n`` findings with a score of at least ``min_score``."""
        keep = [f for f in self.ranked if (f.score or 0) >= self.settings.min_score]
        return keep[: self.settings.top_n]

    @property
    def not_evaluated(self) -> list[RuleStatus]:
        return [s for s in self.rules if s.status == "not evaluated"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "parameters": {
                "weights": dict(self.settings.weights),
                "top_n": self.settings.top_n,
                "min_score": self.settings.min_score,
                "not_assessed": self.settings.not_assessed,
                "customer_effect_bands": list(self.settings.customer_effect_bands),
                "operational_effect_bands": list(self.settings.operational_effect_bands),
                "thresholds": {k: float(self.settings.thresholds.get(k, v[0])) for k, v in THRESHOLDS.items()},
                "score": "weighted mean of customer effect, operational effect, 6 - delivery complexity and "
                         "6 - dependency risk (1-5; a screen not assessed counts as not_assessed)",
            },
            "findings": [f.to_dict() for f in self.findings],
            "rules": [asdict(s) for s in self.rules],
            "notes": list(self.notes),
            "top": [f.id for f in self.top],
        }

    # ---- showing (cxkit.display escapes every value; links are built from safe slugs)
    def frame(self) -> pd.DataFrame:
        """The ranked findings as a small frame (for the chart and pipelines)."""
        rows = [{
            "rank": f.rank, "id": f.id, "title": f.title, "bucket": BUCKETS[f.bucket], "lane": LANES[f.lane],
            "score": f.score, "value": f.value, "ease": f.ease, "source": f.source,
            "hours": f.size.hours, "repeats": f.size.repeats,
            "not_assessed": ", ".join(SCREENS[k].lower() for k in f.not_assessed),
        } for f in self.ranked]
        return pd.DataFrame(rows, columns=["rank", "id", "title", "bucket", "lane", "score", "value", "ease", "source",
                                           "hours", "repeats", "not_assessed"])

    def ranked_table(self):
        from cxkit.findings_view import ranked_table

        return ranked_table(self)

    def weights_note(self):
        from cxkit.findings_view import weights_note

        return weights_note(self)

    def chart(self):
        from cxkit.findings_view import value_ease_chart

        return value_ease_chart(self)

    def by_bucket(self):
        from cxkit.findings_view import by_bucket

        return by_bucket(self)

    def lanes(self):
        from cxkit.findings_view import lanes

        return lanes(self)

    def briefs_note(self):
        from cxkit.findings_view import briefs_note

        return briefs_note(self)

    def appendix(self):
        from cxkit.findings_view import appendix

        return appendix(self)

    def top_markdown(self, n: int = 3) -> str:
        from cxkit.findings_view import top_markdown

        return top_markdown(self, n)


def _fingerprint(results: Any, engagement: Any, file: FindingsFile) -> str:
    parts = [FORMAT, str(results.manifest.get("fingerprint", "")), str(results.manifest.get("seconds", "")),
             json.dumps(engagement.findings.model_dump(), sort_keys=True, default=str) if engagement else "",
             file.digest, str((results.readiness or {}).get("created_at", ""))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def write_findings(results: Any, engagement: Any = None, run_dir: str | Path | None = None) -> FindingSet:
    """Evaluate the findings of a run and write ``findings.json`` and the briefs of the top N.

    Parameters
    ----------
    results
        The run's :class:`cxkit.results.ResultSet`.
    engagement
        The engagement (default ``results.engagement``).
    run_dir
        The run folder (default ``results.run_dir``); receives ``findings.json`` and ``briefs/``.
    """
    from cxkit.findings_view import write_briefs
    from cxkit.results import _write_atomic

    engagement = engagement if engagement is not None else getattr(results, "engagement", None)
    if engagement is None:
        raise CxkitError("findings: the engagement is needed (its findings settings and findings.yaml); open the run "
                         "with cxkit.open_run(engagement, run_dir)")
    file = load_findings_file(engagement)
    fs = evaluate(results, engagement, file)
    run_dir = Path(run_dir if run_dir is not None else results.run_dir)
    data = fs.to_dict()
    data["fingerprint"] = _fingerprint(results, engagement, file)
    data["engagement"] = results.manifest.get("engagement")
    data["currency"] = results.manifest.get("currency")
    data["period"] = results.manifest.get("period")
    data["findings_file"] = Path(file.path).name if file.path and Path(file.path).exists() else None
    data["briefs"] = write_briefs(fs, run_dir)
    _write_atomic(run_dir / FINDINGS_JSON,
                  lambda p: p.write_text(json.dumps(data, indent=2, default=_json_default) + "\n", encoding="utf-8"))
    return fs


def _json_default(v: Any) -> Any:
    if hasattr(v, "item"):
        return v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return str(v)


def for_run(results: Any) -> FindingSet:
    """The run's findings: read from ``findings.json`` when it is current, else evaluated and
    written now (a section opened on its own, or after ``findings.yaml`` changed)."""
    from cxkit.config import FindingsSettings

    engagement = getattr(results, "engagement", None)
    if engagement is None:
        raise CxkitError("findings: open the run with cxkit.open_run(engagement, run_dir) so that the engagement's "
                         "findings settings and findings.yaml are known")
    file = load_findings_file(engagement)
    path = Path(results.run_dir) / FINDINGS_JSON
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") == FORMAT and data.get("fingerprint") == _fingerprint(results, engagement, file):
            settings = engagement.findings if engagement is not None else FindingsSettings()
            findings = [Finding.from_dict(d) for d in data["findings"]]
            rules = [RuleStatus(**s) for s in data["rules"]]
            return FindingSet(findings, rules, settings, list(data.get("notes", [])), file, results)
    return write_findings(results, engagement)
