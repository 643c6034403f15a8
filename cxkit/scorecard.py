"""The balanced scorecard: outcome, effort and perception measures against benchmark ranges.

The scorecard does no heavy computation: it takes metric values already computed by
``cxkit.resolution``, ``cxkit.operations``, ``cxkit.journey`` and ``cxkit.perception`` and
places each against a benchmark range. Benchmarks are declared as data
(:data:`DEFAULT_BENCHMARKS`), each with its public source; where no public benchmark exists
the row says so instead of inventing one. An engagement can override or add ranges
(``benchmarks:`` in the engagement YAML), e.g. with the client's own targets.

A benchmark is context, not a verdict on the client: a range says where published figures
for typical centres lie, and the report states it as such.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from cxkit.display import is_missing
from cxkit.errors import CxkitError

__all__ = [
    "Benchmark",
    "DEFAULT_BENCHMARKS",
    "NO_PUBLIC_BENCHMARK",
    "PILLARS",
    "benchmarks_with_overrides",
    "benchmark_status",
    "benchmark_table",
    "balanced_scorecard",
    "scorecard_values",
]

PILLARS = ("outcome", "effort", "perception")

NO_PUBLIC_BENCHMARK = "no public benchmark"


@dataclass(frozen=True)
class Benchmark:
    """One scorecard row's declaration: what is measured and the range it is compared with.

    ``low``/``high`` are inclusive bounds in the metric's unit (both None when there is no
    benchmark); ``source`` names where the range comes from.
    """

    label: str
    pillar: Literal["outcome", "effort", "perception"]
    unit: Literal["share", "seconds", "points"]
    higher_is_better: bool
    low: float | None = None
    high: float | None = None
    source: str = NO_PUBLIC_BENCHMARK

    @property
    def has_range(self) -> bool:
        return self.low is not None or self.high is not None


#: Default benchmark ranges. Sources:
#:
#: * FCR 70-79% is "good" and 80%+ "world-class": SQM Group's call-center FCR research
#:   (as quoted in METRICS.md). A value above 79% reads "above range", i.e. world-class.
#: * 22-25% of contacts are repeats in a typical center: the reference range METRICS.md gives
#:   (industry FCR research, e.g. SQM Group); stated as a source, never as a fact about the
#:   client.
#: * Service level 80% within 20 s is the long-standing voice convention (the "80/20"
#:   objective popularised by ICMI); it is a common target, not a measured norm.
#: * Transfer rate, re-authentication, channel switching, wait per journey, CSAT, NPS and CES:
#:   no public benchmark we can cite for a contact center in general (NPS and CSAT vary by
#:   industry and survey design; published CES norms are proprietary), so none is invented.
DEFAULT_BENCHMARKS: dict[str, Benchmark] = {
    "fcr": Benchmark(
        "First-contact resolution (repeat-based)", "outcome", "share", True, 0.70, 0.79,
        "SQM Group: FCR 70-79% good, 80%+ world-class",
    ),
    "repeat_share": Benchmark(
        "Repeat share of inbound contacts", "outcome", "share", False, 0.22, 0.25,
        "Industry reference (METRICS.md): 22-25% of contacts are repeats in a typical center",
    ),
    "transfer_rate": Benchmark("Transfer rate", "effort", "share", False),
    "reauth_rate": Benchmark("Journeys with a repeat authentication", "effort", "share", False),
    "channel_switch_rate": Benchmark("Journeys with a channel switch", "effort", "share", False),
    "journey_wait_s": Benchmark("Queue wait per journey (mean; voice, chat, self-service)", "effort", "seconds", False),
    "service_level_voice": Benchmark(
        "Voice service level (answered within 20 s)", "effort", "share", True, 0.80, 1.0,
        "Industry convention: 80% of calls answered within 20 s (80/20, ICMI); a target, not a norm",
    ),
    "csat_top2": Benchmark("CSAT, share 4-5", "perception", "share", True),
    "nps": Benchmark("Net Promoter Score", "perception", "points", True),
    "ces_easy": Benchmark("CES, share 5-7 (made it easy)", "perception", "share", True),
}

_VALUE_KEYS = ("value", "n", "ci_low", "ci_high")


def benchmarks_with_overrides(
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    defaults: Mapping[str, Benchmark] = DEFAULT_BENCHMARKS,
) -> dict[str, Benchmark]:
    """The default benchmarks with the engagement's ``benchmarks:`` overrides applied.

    An override for a known metric replaces the fields it gives (e.g. ``{"fcr": {"low": 0.75,
    "high": 0.85, "source": "Client target 2026"}}``); a new metric must give ``label``,
    ``pillar``, ``unit`` and ``higher_is_better``. Every problem is reported at once.

    Examples
    --------
    >>> b = benchmarks_with_overrides({"fcr": {"low": 0.75, "source": "client target"}})
    >>> b["fcr"].low, b["fcr"].high, b["fcr"].source
    (0.75, 0.79, 'client target')
    """
    out = dict(defaults)
    problems: list[str] = []
    fields = set(Benchmark.__dataclass_fields__)
    for metric, given in (overrides or {}).items():
        if isinstance(given, Benchmark):
            out[metric] = given
            continue
        if not isinstance(given, Mapping):
            problems.append(f"benchmarks.{metric}: expected a mapping of {sorted(fields)}; found {given!r}")
            continue
        unknown = sorted(set(given) - fields)
        if unknown:
            problems.append(f"benchmarks.{metric}: unknown key(s) {unknown}; known: {sorted(fields)}")
            continue
        try:
            if metric in out:
                b = replace(out[metric], **dict(given))
            else:
                b = Benchmark(**dict(given))
        except TypeError:
            problems.append(
                f"benchmarks.{metric}: a new metric needs label, pillar, unit and higher_is_better "
                f"(known metrics: {', '.join(defaults)})"
            )
            continue
        if b.pillar not in PILLARS:
            problems.append(f"benchmarks.{metric}.pillar: {b.pillar!r} is not one of {PILLARS}")
        if b.low is not None and b.high is not None and b.low > b.high:
            problems.append(f"benchmarks.{metric}: low ({b.low}) is above high ({b.high}); swap them")
        out[metric] = b
    if problems:
        raise CxkitError(
            "benchmark overrides are invalid:\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "\nFix: correct these keys under 'benchmarks:' in the engagement."
        )
    return out


#: the status of a value outside the range whose 95% interval reaches into it: the sample
#: cannot tell it from a value in the range (read "69.6% ... not distinguishable from the range")
NOT_DISTINGUISHABLE = "not distinguishable from"
#: every status that places a value against its range
PLACED = ("below", "within", "above", NOT_DISTINGUISHABLE)


def benchmark_status(value: float | None, benchmark: Benchmark, ci_low: float | None = None,
                     ci_high: float | None = None) -> tuple[str, str]:
    """Where ``value`` lies against the benchmark: (status, assessment).

    ``status`` is ``below`` / ``within`` / ``above`` (bounds inclusive), ``no benchmark`` or
    ``not measured``; ``assessment`` says whether that is ``better``, ``in range`` or
    ``worse`` given the direction of the metric (empty without a comparison). A value with a
    95% interval (``ci_low``, ``ci_high``) is below or above the range only when its whole
    interval is; outside the range with an interval reaching into it, it is
    :data:`NOT_DISTINGUISHABLE` from it (no reading). A value without an interval is placed by
    itself.

    Examples
    --------
    >>> benchmark_status(0.62, DEFAULT_BENCHMARKS["fcr"])
    ('below', 'worse')
    >>> benchmark_status(0.30, DEFAULT_BENCHMARKS["repeat_share"])
    ('above', 'worse')
    >>> benchmark_status(0.25, DEFAULT_BENCHMARKS["repeat_share"])
    ('within', 'in range')
    >>> benchmark_status(0.696, DEFAULT_BENCHMARKS["fcr"], 0.611, 0.770)  # 125 contacts judged
    ('not distinguishable from', '')
    >>> benchmark_status(0.62, DEFAULT_BENCHMARKS["fcr"], 0.60, 0.64)
    ('below', 'worse')
    """
    if is_missing(value):
        return ("not measured", "")
    if not benchmark.has_range:
        return ("no benchmark", "")
    if benchmark.low is not None and value < benchmark.low:
        status = "below"
        edge = ci_high
        beyond = is_missing(edge) or edge < benchmark.low
    elif benchmark.high is not None and value > benchmark.high:
        status = "above"
        edge = ci_low
        beyond = is_missing(edge) or edge > benchmark.high
    else:
        return ("within", "in range")
    if not beyond:
        return (NOT_DISTINGUISHABLE, "")
    better = (status == "above") == benchmark.higher_is_better
    return (status, "better" if better else "worse")


def _shown(value: float | None, unit: str) -> str:
    """A value in its unit for the scorecard table: 71.2%, 5:56, +12.0."""
    if is_missing(value):
        return "–"
    if unit == "share":
        return f"{value * 100:.1f}%"
    if unit == "seconds":
        minutes, seconds = divmod(int(round(value)), 60)
        return f"{minutes}:{seconds:02d}"
    return f"{value:+.1f}"


def _as_value(metric: str, given: Any) -> dict[str, float | None]:
    if isinstance(given, Mapping):
        unknown = sorted(set(given) - set(_VALUE_KEYS))
        if unknown or "value" not in given:
            raise CxkitError(
                f"scorecard value {metric!r}: expected a number or a mapping with 'value' "
                f"(optional 'n', 'ci_low', 'ci_high'); found keys {sorted(given)}."
            )
        return {k: (None if is_missing(given.get(k)) else float(given[k])) for k in _VALUE_KEYS}
    if given is None or (isinstance(given, numbers.Real) and not isinstance(given, bool)):
        return {"value": None if is_missing(given) else float(given), "n": None, "ci_low": None, "ci_high": None}
    raise CxkitError(
        f"scorecard value {metric!r}: expected a number or a mapping; found {type(given).__name__}. "
        "Fix: pass already-computed values (see scorecard_values)."
    )


#: the status of a measured value whose sample is under the engagement's minimum (``min_n``)
TOO_FEW = "too few to compare"
#: the status of a floor (a value that may be higher) that is not already above its range
FLOOR_BELOW_TOP = "a floor below the range's top"
#: the rows built on journeys (from ``journey_summary``): a journey under way when the period
#: began is counted from its first contact in it (:func:`cxkit.narrative.journey_edge`)
JOURNEY_METRICS = ("reauth_rate", "channel_switch_rate", "journey_wait_s")


def balanced_scorecard(
    values: Mapping[str, Any],
    benchmarks: Mapping[str, Benchmark] | Mapping[str, Mapping[str, Any]] | None = None,
    *,
    min_n: float | None = None,
    floors: Iterable[str] = (),
) -> ir.Table:
    """The balanced scorecard: every benchmarked metric, its value and where it stands.

    Parameters
    ----------
    values
        Already-computed values per metric key of :data:`DEFAULT_BENCHMARKS` (or an added
        benchmark): a number, or a mapping with ``value`` and optional ``n``, ``ci_low``,
        ``ci_high``. Missing metrics show as ``not measured``.
    benchmarks
        Overrides of the default ranges (the engagement's ``benchmarks:``), see
        :func:`benchmarks_with_overrides`.
    min_n
        The engagement's minimum sample (``resolution.min_n``): a value measured on fewer (its
        ``n``) is shown but not placed against its range (status ``too few to compare``), as a
        segment under the minimum is shown but never ranked.
    floors
        Metrics whose value is a floor (the repeat share, where the period's first window cannot
        see an earlier contact): shown as "35.4% (a floor)"; placed against the range only when
        the floor is already above it, as a value that may be higher is otherwise not placed
        (status ``a floor below the range's top``, no reading).

    Returns
    -------
    ir.Table
        A small in-memory table in pillar order: ``pillar``, ``metric``, ``label``, ``unit``,
        ``value``, ``n``, ``ci_low``, ``ci_high``, ``value_text`` and ``range_text`` (formatted
        in the metric's unit), ``bench_low``, ``bench_high``,
        ``higher_is_better``, ``status``, ``assessment``, ``source``.

    Examples
    --------
    >>> sc = balanced_scorecard({"fcr": {"value": 0.66, "n": 1200}, "repeat_share": 0.24}).execute()
    >>> sc.set_index("metric").loc[["fcr", "repeat_share", "nps"], ["status", "assessment"]].values.tolist()
    [['below', 'worse'], ['within', 'in range'], ['not measured', '']]
    >>> small = balanced_scorecard({"fcr": {"value": 0.2, "n": 4}, "transfer_rate": {"value": 0.25, "n": 4}},
    ...                            min_n=30).execute().set_index("metric")
    >>> small.loc[["fcr", "transfer_rate"], ["value_text", "status"]].values.tolist()
    [['20.0%', 'too few to compare'], ['25.0%', 'no benchmark']]

    A value over nothing (every contact too recent to judge: ``n`` 0) is measured, not absent:

    >>> none = balanced_scorecard({"fcr": {"value": None, "n": 0}}).execute().set_index("metric")
    >>> none.loc["fcr", ["value_text", "status"]].tolist()
    ['–', 'too few to compare']

    A floor above the range stays above it; one inside it may be above it too:

    >>> high = balanced_scorecard({"repeat_share": 0.354}, floors=["repeat_share"]).execute().set_index("metric")
    >>> high.loc["repeat_share", ["value_text", "status", "assessment"]].tolist()
    ['35.4% (a floor)', 'above', 'worse']
    >>> low = balanced_scorecard({"repeat_share": 0.23}, floors=["repeat_share"]).execute().set_index("metric")
    >>> low.loc["repeat_share", ["value_text", "status", "assessment"]].tolist()
    ['23.0% (a floor)', "a floor below the range's top", '']
    """
    marks = benchmarks_with_overrides(benchmarks)
    floors = set(floors)
    unknown = sorted(set(values) - set(marks))
    if unknown:
        raise CxkitError(
            f"scorecard: no benchmark declaration for {unknown}; known metrics: {', '.join(marks)}. "
            "Fix: rename the value or declare the metric under 'benchmarks:'."
        )
    rows = []
    for pillar in PILLARS:
        for metric, b in marks.items():
            if b.pillar != pillar:
                continue
            v = _as_value(metric, values.get(metric))
            status, assessment = benchmark_status(v["value"], b, v["ci_low"], v["ci_high"])
            if min_n is not None and v["n"] is not None and v["n"] < min_n and status in PLACED:
                status, assessment = TOO_FEW, ""
            elif status == "not measured" and v["n"] == 0:
                # measured, over nothing: an FCR whose every contact is too recent to judge has
                # no value, but the export does record what it needs
                status, assessment = TOO_FEW, ""
            floor = metric in floors and v["value"] is not None
            if floor and status in ("below", "within", NOT_DISTINGUISHABLE) and not (
                    b.high is not None and v["value"] > b.high):
                # the value may be higher: inside the range or above it for all the data says
                status, assessment = FLOOR_BELOW_TOP, ""
            rng = (
                f"{_shown(b.low, b.unit)} to {_shown(b.high, b.unit)}" if b.has_range else NO_PUBLIC_BENCHMARK
            )
            rows.append(
                {
                    "pillar": pillar,
                    "metric": metric,
                    "label": b.label,
                    "unit": b.unit,
                    **v,
                    "value_text": _shown(v["value"], b.unit) + (" (a floor)" if floor else ""),
                    "range_text": rng,
                    "bench_low": b.low,
                    "bench_high": b.high,
                    "higher_is_better": b.higher_is_better,
                    "status": status,
                    "assessment": assessment,
                    "source": b.source,
                }
            )
    schema = {
        "pillar": "string", "metric": "string", "label": "string", "unit": "string",
        "value": "float64", "n": "float64", "ci_low": "float64", "ci_high": "float64",
        "value_text": "string", "range_text": "string",
        "bench_low": "float64", "bench_high": "float64", "higher_is_better": "boolean",
        "status": "string", "assessment": "string", "source": "string",
    }
    return ibis.memtable({k: [r[k] for r in rows] for k in schema}, schema=ibis.schema(schema))


def _one_row(table: ir.Table | None, what: str, where: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """Execute a small aggregate and return its single row (the reporting edge); None when
    ``where`` picks a row the data does not have (no voice contact: no voice service level)."""
    if table is None:
        return None
    picked = False
    if where:
        for col, val in where.items():
            if col in table.columns:
                table = table.filter(table[col] == val)
                picked = True
    df = table.limit(2).execute()
    if picked and df.empty:
        return None
    if len(df) != 1:
        raise CxkitError(
            f"scorecard_values: {what} must be one row (an overall aggregate); found {len(df)}. "
            "Fix: compute it with by=None (or overall=True, which adds an 'all' row)."
        )
    return df.iloc[0].to_dict()


def scorecard_values(
    *,
    fcr: ir.Table | None = None,
    repeat_share: ir.Table | None = None,
    transfer_rate: ir.Table | None = None,
    service_level: ir.Table | None = None,
    journey_summary: ir.Table | None = None,
    survey_scores: ir.Table | None = None,
) -> dict[str, dict[str, float | None]]:
    """Collect scorecard values from the one-row tables the diagnostic modules return.

    This is a reporting edge: it executes each small aggregate once. Inputs (all optional):
    ``fcr`` (:func:`cxkit.resolution.fcr_repeat`, ``by=None``), ``repeat_share``
    (:func:`cxkit.resolution.repeat_share`), ``transfer_rate``
    (:func:`cxkit.operations.transfer_rate`; the ``all`` row is used), ``service_level``
    (:func:`cxkit.operations.service_level` with ``by="channel"``; the ``voice`` row),
    ``journey_summary`` (:func:`cxkit.journey.journey_effort_summary`), ``survey_scores``
    (:func:`cxkit.perception.survey_scores`).
    """
    out: dict[str, dict[str, float | None]] = {}

    def put(metric: str, row: Mapping[str, Any] | None, value: str, n: str, prefix: str | None = None) -> None:
        if row is None:
            return
        lo = f"{prefix}_ci_low" if prefix else "ci_low"
        hi = f"{prefix}_ci_high" if prefix else "ci_high"
        out[metric] = {
            "value": row.get(value),
            "n": row.get(n),
            "ci_low": row.get(lo),
            "ci_high": row.get(hi),
        }

    put("fcr", _one_row(fcr, "fcr"), "rate", "denominator")
    put("repeat_share", _one_row(repeat_share, "repeat_share"), "rate", "denominator")
    put("transfer_rate", _one_row(transfer_rate, "transfer_rate", {"channel": "all"}), "rate", "denominator")
    put("service_level_voice", _one_row(service_level, "service_level", {"channel": "voice"}), "rate", "denominator")
    if service_level is not None and "service_level_voice" not in out:
        # no call was offered to a queue (a digital-only desk): measured over nothing, "too few
        # to compare" beside n = 0; "not measured" would say the export cannot record it
        out["service_level_voice"] = {"value": None, "n": 0, "ci_low": None, "ci_high": None}
    j = _one_row(journey_summary, "journey_summary")
    put("reauth_rate", j, "reauth_rate", "journeys", "reauth")
    put("channel_switch_rate", j, "channel_switch_rate", "journeys", "channel_switch")
    put("journey_wait_s", j, "wait_s_mean", "journeys", "_none")
    s = _one_row(survey_scores, "survey_scores")
    put("csat_top2", s, "csat_top2", "csat_n", "csat_top2")
    put("nps", s, "nps", "nps_n", "_none")
    put("ces_easy", s, "ces_easy", "ces_n", "ces_easy")
    return {
        k: {kk: (None if is_missing(vv) else float(vv)) for kk, vv in v.items()} for k, v in out.items()
    }


def benchmark_table(benchmarks: Mapping[str, Benchmark] | None = None) -> ir.Table:
    """The benchmark declarations as a table, for the methodology section."""
    marks = benchmarks_with_overrides(benchmarks)
    rows = [{"metric": k, **asdict(b)} for k, b in marks.items()]
    return ibis.memtable(rows)

