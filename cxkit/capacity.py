"""Capacity: intraday forecast accuracy and interval staffing against Erlang C, where the
engagement has a WFM ``intervals`` source (METRICS.md, "Operations"; docs/METRICS.md, "Capacity").

Erlang C (an M/M/c queue: Poisson arrivals, exponential handle times, no abandonment, one
contact per agent at a time) gives the agents an interval needs to reach the engagement's
service-level target from its offered volume and the queue's measured AHT. The formulas:

* traffic ``A = offered x AHT / interval seconds`` (Erlangs);
* ``P(wait) = C(N, A) = N B / (N - A (1 - B))`` with Erlang B from the stable recursion
  ``B_0 = 1``, ``B_n = A B_{n-1} / (n + A B_{n-1})`` (no factorials, no overflow);
* ``SL(t) = 1 - C(N, A) exp(-(N - A) t / AHT)`` and ``ASA = C(N, A) AHT / (N - A)``; with
  ``N <= A`` the queue grows without bound: SL 0, P(wait) 1;
* required agents = the smallest ``N`` whose SL reaches the target (and whose occupancy
  ``A / N`` stays under ``max_occupancy`` when one is set).

No maintained Erlang C package on the index fits (checked: pyworkforce 0.5.1 pulls OR-Tools for a
scalar formula; ErlangCCmath posts every computation to a web service; erlanglib sets a global
1000-digit Decimal context on import and ships no tests), so the formula is implemented here and
tested against a published worked example and a seeded discrete-event simulation of M/M/c.

Interval tables are WFM aggregates (one row per queue and interval), so the staffing table is
computed in the engine and finished in numpy; no contact row leaves the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxkit.operations import DEFAULT_SL_SECONDS, _as_list, aht, offered_flag, queue_flags
from cxkit.zones import zone

__all__ = [
    "erlang_c",
    "erlang_service_level",
    "erlang_asa",
    "required_agents",
    "forecast_accuracy",
    "forecast_error_by_daypart",
    "worst_dayparts",
    "interval_staffing",
    "staffing_summary",
    "service_level_by_gap",
    "wfm_coverage",
    "queues_entered",
    "wfm_queues",
    "interval_spacing",
    "GAP_BANDS",
]

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

#: Bands of ``staffed - required`` agents that :func:`service_level_by_gap` reports.
GAP_BANDS: tuple[tuple[str, float, float], ...] = (
    ("<= -3", -np.inf, -3),
    ("-2", -2, -2),
    ("-1", -1, -1),
    ("0", 0, 0),
    ("+1", 1, 1),
    ("+2", 2, 2),
    (">= +3", 3, np.inf),
)


# --------------------------------------------------------------------------------------------
# Erlang C
# --------------------------------------------------------------------------------------------


def _erlang_b(traffic: np.ndarray, agents: np.ndarray) -> np.ndarray:
    """Erlang B for each (traffic, agents) pair by the recursion, vectorised over pairs."""
    a = np.asarray(traffic, dtype=float)
    n = np.asarray(agents, dtype=np.int64)
    a, n = np.broadcast_arrays(a, n)
    b = np.ones(a.shape)
    top = int(n.max()) if n.size else 0
    for k in range(1, top + 1):
        step = k <= n
        b = np.where(step, a * b / (k + a * b), b)
    return b


def erlang_c(traffic: Any, agents: Any) -> np.ndarray:
    """Probability that a contact waits, ``C(N, A)``; 1 where ``N <= A`` (unstable queue).

    Examples
    --------
    >>> round(float(erlang_c(2.0, 3)), 12)  # 4/9
    0.444444444444
    >>> round(float(erlang_c(10.0, 11)), 4)  # 100 calls in 30 min at 180 s, 11 agents
    0.6821
    """
    a = np.asarray(traffic, dtype=float)
    n = np.asarray(agents, dtype=float)
    a, n = np.broadcast_arrays(a, n)
    b = _erlang_b(a, n.astype(np.int64))
    with np.errstate(divide="ignore", invalid="ignore"):
        c = n * b / (n - a * (1 - b))
    c = np.where(n > a, c, 1.0)
    return np.where(a <= 0, 0.0, c)


def erlang_service_level(traffic: Any, agents: Any, aht_s: Any, threshold_s: Any) -> np.ndarray:
    """Share answered within ``threshold_s``: ``1 - C(N, A) exp(-(N - A) t / AHT)``.

    Examples
    --------
    >>> round(float(erlang_service_level(10.0, 14, 180.0, 20.0)), 3)
    0.888
    """
    a = np.asarray(traffic, dtype=float)
    n = np.asarray(agents, dtype=float)
    c = erlang_c(a, n)
    with np.errstate(over="ignore", invalid="ignore"):
        sl = 1.0 - c * np.exp(-(n - a) * np.asarray(threshold_s, dtype=float) / np.asarray(aht_s, dtype=float))
    sl = np.where(n > a, sl, 0.0)
    return np.where(a <= 0, 1.0, sl)


def erlang_asa(traffic: Any, agents: Any, aht_s: Any) -> np.ndarray:
    """Average speed of answer ``C(N, A) AHT / (N - A)``; infinite where ``N <= A``."""
    a = np.asarray(traffic, dtype=float)
    n = np.asarray(agents, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        asa = erlang_c(a, n) * np.asarray(aht_s, dtype=float) / (n - a)
    asa = np.where(n > a, asa, np.inf)
    return np.where(a <= 0, 0.0, asa)


def required_agents(
    traffic: Any,
    aht_s: Any,
    threshold_s: Any,
    target: float,
    *,
    max_occupancy: float | None = None,
) -> np.ndarray:
    """Smallest number of agents whose Erlang C service level reaches ``target``.

    Vectorised over intervals; an interval without traffic needs 0 agents. With
    ``max_occupancy`` the number is raised until ``traffic / N <= max_occupancy``.

    Examples
    --------
    >>> required_agents([10.0, 0.0], 180.0, 20.0, 0.8).tolist()  # the worked example: 14
    [14, 0]
    >>> required_agents(10.0, 180.0, 20.0, 0.8, max_occupancy=0.7).tolist()
    15
    """
    a = np.atleast_1d(np.asarray(traffic, dtype=float))
    aht_ = np.broadcast_to(np.asarray(aht_s, dtype=float), a.shape)
    thr = np.broadcast_to(np.asarray(threshold_s, dtype=float), a.shape)
    if not 0 < target < 1:
        raise ValueError(f"required_agents: target must be a share between 0 and 1 (exclusive); got {target!r}")
    out = np.where(a > 0, -1, 0).astype(np.int64)
    # the answer lies between A and A + a few standard deviations (square-root staffing)
    top = int(np.ceil(a.max() + 10 * np.sqrt(a.max()) + 20)) if a.size else 0
    b = np.ones(a.shape)
    for n in range(1, top + 1):
        b = a * b / (n + a * b)
        todo = out < 0
        if not todo.any():
            break
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            c = n * b / (n - a * (1 - b))
            sl = 1.0 - c * np.exp(-(n - a) * thr / aht_)
        ok = todo & (n > a) & (sl >= target)
        if max_occupancy is not None:
            ok &= a / n <= max_occupancy
        out[ok] = n
    if (out < 0).any():
        raise ValueError("required_agents: no staffing reaches the target within the search range; check the inputs")
    return out if np.ndim(traffic) else out.reshape(())


# --------------------------------------------------------------------------------------------
# forecast accuracy
# --------------------------------------------------------------------------------------------


def _with_errors(intervals: ir.Table) -> ir.Table:
    t = intervals.filter(intervals.offered.notnull() & intervals.forecast.notnull())
    err = t.forecast.cast("float64") - t.offered.cast("float64")
    return t.mutate(
        _err=err,
        _abs=err.abs(),
        _ape=ibis.ifelse(t.offered > 0, err.abs() / t.offered.cast("float64"), ibis.null("float64")),
    )


def _accuracy_metrics(t: ir.Table) -> dict[str, ir.Value]:
    return dict(
        intervals=t.count(),
        intervals_with_volume=t.count(where=t.offered > 0),
        offered=t.offered.sum(),
        forecast=t.forecast.sum(),
        abs_error=t._abs.sum(),
        _ape_sum=t._ape.sum(),
    )


def forecast_accuracy(intervals: ir.Table, *, by: str | Sequence[str] | None = "queue") -> ir.Table:
    """Forecast against offered contacts per interval: MAPE, WAPE and bias.

    ``mape`` = mean over intervals with offered > 0 of ``|forecast - offered| / offered``
    (intervals without volume have no percentage error and are counted apart);
    ``wape`` = ``sum |forecast - offered| / sum offered`` (volume-weighted, robust to quiet
    intervals); ``bias`` = ``(sum forecast - sum offered) / sum offered`` (positive: forecast
    too high). Intervals without a forecast or an offered count are left out.

    Returns
    -------
    Table
        ``by`` columns (and an overall row when ``by`` is None), ``intervals``,
        ``intervals_with_volume``, ``offered``, ``forecast``, ``abs_error``, ``mape``,
        ``wape``, ``bias``.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"queue": ["q", "q", "q"], "offered": [10, 20, 0], "forecast": [12.0, 15.0, 1.0]})
    >>> r = forecast_accuracy(t).execute()  # APE 0.2 and 0.25; |err| 2 + 5 + 1 = 8 over 30
    >>> round(float(r.mape[0]), 3), round(float(r.wape[0]), 4), round(float(r.bias[0]), 4)
    (0.225, 0.2667, -0.0667)
    """
    t = _with_errors(intervals)
    by_ = _as_list(by)
    agg = t.aggregate(by=by_, **_accuracy_metrics(t)) if by_ else t.aggregate(**_accuracy_metrics(t))
    off = agg.offered.cast("float64")
    return agg.mutate(
        mape=ibis.ifelse(agg.intervals_with_volume > 0, agg._ape_sum / agg.intervals_with_volume, ibis.null("float64")),
        wape=ibis.ifelse(off > 0, agg.abs_error / off, ibis.null("float64")),
        bias=ibis.ifelse(off > 0, (agg.forecast - off) / off, ibis.null("float64")),
    ).drop("_ape_sum")


def forecast_error_by_daypart(intervals: ir.Table, timezone_name: str = "UTC") -> pd.DataFrame:
    """Forecast error per local weekday x time of day (the heatmap's cells), the queues of
    ``intervals`` pooled: the report reads those contacts entered, every queue when the contacts
    have none (:attr:`cxkit.results.Inputs.forecast_intervals`).

    The engine aggregates per interval start; only those aggregates (one row per interval
    start) are converted to local time here.

    Returns
    -------
    DataFrame
        ``weekday`` ("Mon".."Sun"), ``weekday_num`` (0 = Monday), ``time`` ("HH:MM", local),
        ``intervals``, ``offered``, ``forecast``, ``mape``, ``wape``, ``bias``, ordered by
        weekday and time.
    """
    t = _with_errors(intervals)
    per = t.aggregate(
        by="interval_start",
        intervals=t.count(),
        n_ape=t._ape.count(),
        ape_sum=t._ape.sum(),
        offered=t.offered.sum(),
        forecast=t.forecast.sum(),
        abs_error=t._abs.sum(),
    ).execute()
    cols = ["weekday", "weekday_num", "time", "intervals", "offered", "forecast", "mape", "wape", "bias"]
    if per.empty:
        return pd.DataFrame(columns=cols)
    local = pd.to_datetime(per["interval_start"], utc=True).dt.tz_convert(zone(timezone_name))
    per["weekday_num"] = local.dt.dayofweek
    per["time"] = local.dt.strftime("%H:%M")
    g = per.groupby(["weekday_num", "time"], as_index=False)[
        ["intervals", "n_ape", "ape_sum", "offered", "forecast", "abs_error"]
    ].sum()
    g["weekday"] = g["weekday_num"].map(dict(enumerate(WEEKDAYS)))
    off = g["offered"].astype(float)
    g["mape"] = np.where(g["n_ape"] > 0, g["ape_sum"] / g["n_ape"].where(g["n_ape"] > 0, 1), np.nan)
    g["wape"] = np.where(off > 0, g["abs_error"] / off.where(off > 0, 1), np.nan)
    g["bias"] = np.where(off > 0, (g["forecast"] - off) / off.where(off > 0, 1), np.nan)
    return g.sort_values(["weekday_num", "time"]).reset_index(drop=True)[cols]


def worst_dayparts(dayparts: pd.DataFrame, n: int = 5, *, min_offered: float = 30) -> pd.DataFrame:
    """The ``n`` weekday x time-of-day cells with the largest volume-weighted error (WAPE),
    among cells with at least ``min_offered`` contacts (quiet cells have noisy percentages)."""
    eligible = dayparts[dayparts["offered"] >= min_offered]
    return eligible.sort_values(["wape", "offered"], ascending=[False, False]).head(n).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# interval staffing
# --------------------------------------------------------------------------------------------


def _queue_profile(contacts: ir.Table) -> pd.DataFrame:
    """Per queue: its main channel (most handled contacts) and measured AHT (small frame)."""
    a = aht(contacts, by=["queue", "channel"], overall=False).execute()
    a = a[a["queue"] != "(not recorded)"]
    rows = []
    for queue, g in a.groupby("queue"):
        g = g.sort_values(["handled", "channel"], ascending=[False, True])
        main = g.iloc[0]
        w = g["with_handle_time"].astype(float)
        mean = float((g["aht_mean_s"].fillna(0) * w).sum() / w.sum()) if w.sum() > 0 else np.nan
        rows.append({"queue": queue, "channel": main["channel"], "aht_s": mean, "handled": int(g["handled"].sum())})
    return pd.DataFrame(rows, columns=["queue", "channel", "aht_s", "handled"])


#: the status of an interval whose length differs from the export's most common length
OTHER_LENGTH = "other interval length (not modelled)"
#: more traffic than any one queue carries in an interval (10,000 agents busy at once), and
#: more agents than one queue has
MAX_TRAFFIC_ERLANGS = 10_000
#: the status of an interval whose offered volume means more than MAX_TRAFFIC_ERLANGS, or
#: whose staffed or scheduled agents are more than that
IMPLAUSIBLE_VOLUME = "implausible volume (not modelled)"
#: the status of an interval the WFM export does not have (for the queue, on its grid) in which
#: contacts entered the queue: demand the staffing comparison cannot see
NO_INTERVAL = "no WFM interval (not modelled)"
#: the statuses of intervals compared with the Erlang C requirement
MODELLED = ("under-staffed", "at requirement", "over-staffed")


def _grid(intervals: ir.Table) -> tuple[ir.Table, ir.Table, int, int] | None:
    """The WFM export's grid: its rows of the most common positive interval length (so a few rows
    of another length, or an unreadable one, do not stop the rest), the other rows, that length in
    seconds and the grid's alignment (seconds past a multiple of the length); None without a
    length. Both tables gain ``_step`` and ``_start_s`` (the start in epoch seconds)."""
    minutes = intervals.interval_minutes.fill_null(30)
    iv = intervals.mutate(_step=(minutes * 60).cast("int64"),
                          _start_s=intervals.interval_start.epoch_seconds().cast("int64"))
    steps = iv.group_by("_step").aggregate(_rows=iv.count()).execute()
    steps = steps.dropna(subset=["_step"]).sort_values(["_rows", "_step"], ascending=[False, True])
    # a length of zero or less is no grid (it divided by zero): such rows are of another length
    steps = steps[steps["_step"] > 0]
    if steps.empty:
        return None
    step = int(steps["_step"].iloc[0])
    other = iv.filter(iv._step.isnull() | (iv._step != step))
    iv = iv.filter(iv._step == step)
    grid = iv.aggregate(_off=(iv._start_s % iv._step).min()).execute()
    offset = int(grid["_off"].iloc[0]) if not grid.empty and pd.notna(grid["_off"].iloc[0]) else 0
    return iv, other, step, offset


def _entry_bucket(contacts: ir.Table, step: int, offset: int) -> ir.IntegerValue:
    """The start (epoch seconds) of the grid interval in which each contact entered its queue
    (arrival plus IVR time), aligned like the WFM starts."""
    c = contacts
    entry = c.arrived_at.epoch_seconds() + ibis.ifelse(c.ivr_s > 0, c.ivr_s, 0.0).fill_null(0.0)
    return (((entry - offset) / step).floor() * step + offset).cast("int64")


def _offered_to(contacts: ir.Table, intervals: ir.Table) -> ir.Table:
    """The offered contacts (inbound, entered a queue: :func:`cxkit.operations.offered_flag`) of
    the queues the WFM export ``intervals`` names: the contacts its volumes are set against."""
    return contacts.filter(offered_flag(contacts) & contacts.queue.isin(intervals.queue))


def queues_entered(intervals: ir.Table, contacts: ir.Table) -> ir.Table:
    """The WFM export's rows of the queues offered contacts entered (:func:`_offered_to`), the
    queues its volumes and alignment are compared in (:func:`_alignment`): a WFM export that also
    plans queues the contacts export never names (another channel's) is not the contacts'
    forecast there. The forecast figures read these rows when the contacts have queues."""
    return intervals.filter(intervals.queue.isin(_offered_to(contacts, intervals).queue))


def wfm_queues(intervals: ir.Table, contacts: ir.Table) -> dict[str, int]:
    """How many queues the WFM export names (``named``) and how many of them offered contacts
    entered (``entered``, :func:`queues_entered`): with none entered, the export forecasts no
    queue of the contacts'."""
    iv = intervals.filter(intervals.queue.notnull())
    entered = iv.queue.isin(_offered_to(contacts, iv).queue)
    row = iv.aggregate(named=iv.queue.nunique(), entered=iv.queue.nunique(where=entered)).execute().iloc[0]
    return {"named": int(row["named"] or 0), "entered": int(row["entered"] or 0)}


def wfm_coverage(intervals: ir.Table, contacts: ir.Table, *, max_shift_hours: float = 14) -> dict[str, Any]:
    """How much of the contacts' demand the WFM export covers: the offered contacts (inbound,
    entered a queue) of the queues the export names, and those that entered a queue in an
    interval of its grid it does not have (a WFM export cut short, hours or days missing; one
    inside a row of another length is not missing), with the number of such intervals, as
    :func:`interval_staffing` counts them. Read by readiness (``intervals.cover_contacts``); the staffing
    comparison counts the same per modelled queue (:func:`staffing_summary`).

    ``alignment`` says how well the export's offered volumes line up with those contacts in time
    (:func:`_alignment`, from the same one grouping of the contacts): a WFM export written in
    another timezone than the engagement reads it in, or labelling each interval by its end,
    lines up only when moved (``intervals.aligned_with_contacts``)."""
    none = {"contacts_offered": 0, "contacts_in_missing_intervals": 0, "missing_intervals": 0,
            "alignment": _alignment(pd.DataFrame(), pd.DataFrame(), 0, max_shift_hours)}
    named = intervals.filter(intervals.queue.notnull() & intervals.interval_start.notnull())
    grid = _grid(named)
    if grid is None:
        return none
    iv, other, step, offset = grid
    c = _offered_to(contacts, named)
    c = c.mutate(_bucket=_entry_bucket(c, step, offset))
    demand = c.group_by(["queue", "_bucket"]).aggregate(contacts_offered=c.count()).execute()
    demand = demand.rename(columns={"queue": "_q", "_bucket": "_b"})
    present = iv.select("queue", "_start_s", "offered").execute()
    others = other.select("queue", "interval_start", "interval_minutes").execute()
    missing, covered = _grid_gaps(demand, present, others)
    absent = missing[covered < 0]
    return {"contacts_offered": int(demand["contacts_offered"].sum()),
            "contacts_in_missing_intervals": int(absent["contacts_offered"].sum()), "missing_intervals": len(absent),
            "alignment": _alignment(demand, present, step, max_shift_hours)}


def interval_spacing(intervals: ir.Table) -> dict[str, Any]:
    """How the WFM export's intervals follow each other in each queue, against the length
    ``interval_minutes`` gives them: ``length_s`` (the grid's length, :func:`_grid`),
    ``followed`` (its intervals with a later one in their queue), ``spacing_s`` (the most common
    time from one's start to the next's: at equal counts the shortest) and ``at_spacing`` (how
    many are followed after that time). In an export read with its own length the spacing is the
    length; 15-minute rows read as 30 (``interval_minutes`` absent and defaulting to 30) are
    spaced 900 s with a length of 1,800 s. A start repeated in a queue is the key check's."""
    none: dict[str, Any] = {"length_s": None, "followed": 0, "spacing_s": None, "at_spacing": 0}
    grid = _grid(intervals.filter(intervals.queue.notnull() & intervals.interval_start.notnull()))
    if grid is None:
        return none
    iv, _, step, _ = grid
    after = iv._start_s.lead().over(ibis.window(group_by=iv.queue, order_by=iv._start_s)) - iv._start_s
    gaps = iv.select(_gap=after).filter(ibis._._gap > 0)
    counts = gaps.group_by("_gap").aggregate(_n=gaps.count()).execute()
    if counts.empty:
        return {**none, "length_s": step}
    top = counts.sort_values(["_n", "_gap"], ascending=[False, True]).iloc[0]
    return {"length_s": step, "followed": int(counts["_n"].sum()), "spacing_s": int(top["_gap"]),
            "at_spacing": int(top["_n"])}


def _alignment(demand: pd.DataFrame, offered: pd.DataFrame, step: int, max_hours: float) -> dict[str, Any]:
    """The correlation of the contacts' queue entries (``demand``: ``_q``, ``_b``,
    ``contacts_offered``) with the WFM export's offered volumes (``offered``: ``queue``,
    ``_start_s``, ``offered``) per queue and grid interval of ``step`` seconds: as exported
    (``as_exported``) and with the WFM times moved by whole intervals up to ``max_hours`` either
    way, the best fit (``best``, ``best_shift_s``: negative when the WFM times must move earlier;
    at equal fits the smallest move). Every queue of the export and every interval between the
    first and the last of either count, a missing one as 0. Correlations are None when either
    count never varies. ``wfm_offered`` and ``contacts_offered``: the two volumes over the
    intervals the export has, lined up at the best move, or as exported when none can be fitted
    (the contacts of intervals it lacks are the coverage check's); only the export's queues that
    contacts entered are compared (:func:`queues_entered`: ``demand`` holds :func:`_offered_to`'s
    contacts)."""
    out: dict[str, Any] = {"as_exported": None, "best": None, "best_shift_s": 0, "step_s": step,
                           "wfm_offered": None, "contacts_offered": None}
    if demand.empty or offered.empty or step <= 0:
        return out
    # the export's queues that contacts entered: a WFM export that also plans queues the contacts
    # export never names (its other channels) offered twice the contacts' volume in the voice queues
    # it was compared with, where the queues both name matched one for one
    offered = offered.dropna(subset=["offered", "_start_s"])
    offered = offered[offered["queue"].isin(set(demand["_q"]))]
    queues = {q: i for i, q in enumerate(sorted(set(offered["queue"])))}
    demand = demand[demand["_q"].isin(queues)]
    if offered.empty or demand.empty:
        return out
    t0 = int(min(demand["_b"].min(), offered["_start_s"].min()))
    t1 = int(max(demand["_b"].max(), offered["_start_s"].max()))
    k = int(max_hours * 3600 // step)
    slots = (t1 - t0) // step + 1
    d = np.zeros((len(queues), slots))
    w = np.zeros((len(queues), slots + 2 * k))
    np.add.at(d, (demand["_q"].map(queues).to_numpy(), ((demand["_b"] - t0) // step).to_numpy(dtype=np.int64)),
              demand["contacts_offered"].to_numpy(dtype=float))
    cells = (offered["queue"].map(queues).to_numpy(), ((offered["_start_s"] - t0) // step + k).to_numpy(dtype=np.int64))
    np.add.at(w, cells, offered["offered"].to_numpy(dtype=float))
    has = np.zeros(w.shape, dtype=bool)
    has[cells] = True

    def volumes(s: int) -> dict[str, float]:
        rows = has[:, k - s:k - s + slots]
        return {"wfm_offered": float(w[:, k - s:k - s + slots][rows].sum()), "contacts_offered": float(d[rows].sum())}

    out.update(volumes(0))  # as exported, when no move can be fitted (a count that never varies)
    x = d.ravel()
    if x.std() == 0:
        return out
    fits: dict[int, float] = {}
    for s in range(-k, k + 1):
        # the WFM times moved s intervals later: the interval labelled t - s counts the contacts of t
        y = w[:, k - s:k - s + slots].ravel()
        if y.std() > 0:
            fits[s] = float(np.corrcoef(x, y)[0, 1])
    if not fits:
        return out
    best = max(fits, key=lambda s: (round(fits[s], 9), -abs(s)))
    # the volumes compared over the intervals the export has, lined up at the best move
    out.update(as_exported=fits.get(0), best=fits[best], best_shift_s=best * step, **volumes(best))
    return out


def _grid_gaps(demand: pd.DataFrame, present: pd.DataFrame, other: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The intervals of the grid in which contacts entered a queue and that the export does not
    have (a WFM export cut short, or missing hours): ``demand`` per queue (``_q``) and grid
    interval start (``_b``, epoch seconds) with its ``contacts_offered``, against the export's
    grid rows ``present`` (``queue``, ``_start_s``). Returns those rows of ``demand`` and, for
    each, the position in ``other`` (rows of another length) of the one covering it, or -1: only
    the others are missing from the export."""
    keys = set(zip(present["queue"], present["_start_s"]))
    lacking = np.array([key not in keys for key in zip(demand["_q"], demand["_b"])], dtype=bool)
    missing = demand[lacking & (demand["contacts_offered"] > 0).to_numpy()].reset_index(drop=True)
    return missing, _covered_by(missing, other)


def interval_staffing(
    intervals: ir.Table,
    contacts: ir.Table,
    *,
    service_level_target: float = 0.8,
    channels: Sequence[str] = ("voice",),
    sl_seconds: Mapping[str, float] = DEFAULT_SL_SECONDS,
    short_abandon_s: float = 5,
    max_occupancy: float | None = None,
) -> pd.DataFrame:
    """Required agents per queue and interval (Erlang C) against scheduled and staffed agents,
    with the service level each interval measured.

    A queue is modelled when its main channel (the channel of most of its handled contacts) is
    in ``channels``; its AHT is the measured mean handle time of its handled contacts (all
    legs of a contact count toward its first queue), its threshold ``sl_seconds`` of that
    channel. The measured service level of an interval is
    :func:`cxkit.operations.service_level` over the contacts that entered the queue in it
    (arrival + IVR time), so it reads exactly as the report's service level.

    Returns
    -------
    DataFrame
        One row per interval of a modelled queue: ``queue``, ``channel``, ``interval_start``,
        ``interval_minutes``, ``offered``, ``forecast``, ``scheduled_agents``,
        ``staffed_agents``, ``aht_s``, ``sl_threshold_s``, ``traffic_erlangs``,
        ``required_agents``, ``gap_staffed`` / ``gap_scheduled`` (agents minus required),
        ``status`` ("under-staffed", "at requirement", "over-staffed", "no staffing data", or
        :data:`OTHER_LENGTH` for an interval whose length is not the export's most common one,
        :data:`IMPLAUSIBLE_VOLUME` for one whose offered volume means more than
        :data:`MAX_TRAFFIC_ERLANGS` Erlangs or whose agents are more than that: both kept,
        counted, not modelled; :data:`NO_INTERVAL` for an interval of the grid the export does
        not have although contacts entered the queue in it, with only the contacts' figures),
        ``contacts_offered`` (offered contacts of the contacts export that entered the queue in
        the interval; on a row of another length, those of the grid's intervals it covers that
        the export lacks),
        ``occupancy_pressure`` (traffic / staffed agents), ``erlang_sl_staffed`` (the SL
        Erlang C predicts with the staffed agents), ``measured_sl``, ``measured_sl_numerator``,
        ``measured_sl_denominator``.
    """
    profile = _queue_profile(contacts)
    modelled = profile[profile["channel"].isin(list(channels)) & profile["aht_s"].notna()]
    empty_cols = [
        "queue", "channel", "interval_start", "interval_minutes", "offered", "forecast", "scheduled_agents",
        "staffed_agents", "aht_s", "sl_threshold_s", "traffic_erlangs", "required_agents", "gap_staffed",
        "gap_scheduled", "status", "occupancy_pressure", "erlang_sl_staffed", "measured_sl",
        "measured_sl_numerator", "measured_sl_denominator", "contacts_offered",
    ]
    if modelled.empty:
        return pd.DataFrame(columns=empty_cols)
    queues = modelled["queue"].tolist()
    iv = intervals.filter(intervals.queue.isin(queues))
    grid = _grid(iv)
    if grid is None:
        return pd.DataFrame(columns=empty_cols)
    iv, other, step, offset = grid
    minutes = iv.interval_minutes.fill_null(30)
    c = contacts.filter(contacts.queue.isin(queues))
    c = c.mutate(_bucket=_entry_bucket(c, step, offset))
    # per interval of the grid, in one grouping: the contacts' measured service level (as
    # cxkit.operations.service_level counts it) and their demand, the offered contacts (inbound,
    # entered a queue); a few thousand rows, paired with the WFM rows here
    f = queue_flags(c, sl_seconds=sl_seconds, short_abandon_s=short_abandon_s)
    demand = f.group_by(["queue", "_bucket"]).aggregate(
        contacts_offered=f.count(where=f.offered), measured_sl_numerator=f.count(where=f.answered_in_sl),
        measured_sl_denominator=f.count(where=f.sl_judged),
    ).execute()
    demand = demand.rename(columns={"queue": "_q", "_bucket": "_b"})
    df = iv.select("queue", "interval_start", "offered", "forecast", "scheduled_agents", "staffed_agents", "_start_s",
                   interval_minutes=minutes).execute()
    df = df.merge(demand, how="left", left_on=["queue", "_start_s"], right_on=["_q", "_b"])
    left_out = other.select("queue", "interval_start", "offered", "forecast", "scheduled_agents", "staffed_agents",
                            interval_minutes=other.interval_minutes).execute()
    # the demand the comparison cannot see is said, not read as none; a missing interval of the
    # grid inside an interval of another length is that row's demand
    missing, covered = _grid_gaps(demand, df, left_out)
    df = df.drop(columns=["_start_s", "_q", "_b"])
    for col in ("contacts_offered", "measured_sl_numerator", "measured_sl_denominator"):
        df[col] = df[col].fillna(0).astype(np.int64)
    df = df.merge(modelled[["queue", "channel", "aht_s"]], on="queue", how="left")
    default = float(sl_seconds.get("default", 20))
    df["sl_threshold_s"] = df["channel"].map(lambda ch: float(sl_seconds.get(ch, default)))
    offered = df["offered"].fillna(0).astype(float)
    df["traffic_erlangs"] = offered * df["aht_s"] / (df["interval_minutes"].astype(float) * 60)
    traffic = df["traffic_erlangs"].to_numpy(dtype=float)
    # an offered volume or an agent count no queue has (an unreadable or planted value) is not
    # modelled: the Erlang recursions would run to its size
    agents = df[["staffed_agents", "scheduled_agents"]].astype(float).to_numpy()
    implausible = (~np.isfinite(traffic) | (traffic > MAX_TRAFFIC_ERLANGS)
                   | (np.nan_to_num(agents, nan=0.0) > MAX_TRAFFIC_ERLANGS).any(axis=1))
    required = np.full(len(df), np.nan)
    if (~implausible).any():
        required[~implausible] = required_agents(
            traffic[~implausible], df["aht_s"].to_numpy()[~implausible], df["sl_threshold_s"].to_numpy()[~implausible],
            service_level_target, max_occupancy=max_occupancy,
        )
    df["required_agents"] = required
    staffed = df["staffed_agents"].astype(float)
    df["gap_staffed"] = staffed - df["required_agents"]
    df["gap_scheduled"] = df["scheduled_agents"].astype(float) - df["required_agents"]
    df["status"] = np.select(
        [implausible, staffed.isna(), df["gap_staffed"] < 0, df["gap_staffed"] == 0],
        [IMPLAUSIBLE_VOLUME, "no staffing data", "under-staffed", "at requirement"],
        "over-staffed",
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        df["occupancy_pressure"] = np.where(staffed > 0, df["traffic_erlangs"] / staffed, np.nan)
    predicted = np.full(len(df), np.nan)
    judged = staffed.notna().to_numpy() & ~implausible
    if judged.any():
        predicted[judged] = erlang_service_level(
            traffic[judged], staffed.to_numpy()[judged], df["aht_s"].to_numpy()[judged],
            df["sl_threshold_s"].to_numpy()[judged],
        )
    df["erlang_sl_staffed"] = predicted
    num = df["measured_sl_numerator"].fillna(0).astype(float)
    den = df["measured_sl_denominator"].fillna(0).astype(float)
    df["measured_sl_numerator"], df["measured_sl_denominator"] = num.astype(np.int64), den.astype(np.int64)
    df["measured_sl"] = np.where(den > 0, num / den.where(den > 0, 1), np.nan)
    if not left_out.empty:
        left_out = left_out.merge(modelled[["queue", "channel", "aht_s"]], on="queue", how="left")
        left_out["status"] = OTHER_LENGTH
        left_out["contacts_offered"] = missing.loc[covered >= 0].groupby(covered[covered >= 0])[
            "contacts_offered"].sum().reindex(range(len(left_out)), fill_value=0).to_numpy(dtype=np.int64)
        df = pd.concat([df, left_out.reindex(columns=empty_cols)], ignore_index=True)
    absent = missing.loc[covered < 0]
    if not absent.empty:
        rows = pd.DataFrame({
            "queue": absent["_q"].to_numpy(),
            "interval_start": pd.to_datetime(absent["_b"].astype(np.int64).to_numpy(), unit="s", utc=True),
            "interval_minutes": step // 60,
            "contacts_offered": absent["contacts_offered"].astype(np.int64).to_numpy(),
            "measured_sl_numerator": absent["measured_sl_numerator"].fillna(0).astype(np.int64).to_numpy(),
            "measured_sl_denominator": absent["measured_sl_denominator"].fillna(0).astype(np.int64).to_numpy(),
        })
        rows = rows.merge(modelled[["queue", "channel", "aht_s"]], on="queue", how="left")
        rows["status"] = NO_INTERVAL
        den = rows["measured_sl_denominator"].astype(float)
        rows["measured_sl"] = np.where(den > 0, rows["measured_sl_numerator"] / den.where(den > 0, 1), np.nan)
        df = pd.concat([df, rows.reindex(columns=empty_cols)], ignore_index=True)
    return df.sort_values(["queue", "interval_start"]).reset_index(drop=True)[empty_cols]


def _covered_by(missing: pd.DataFrame, other: pd.DataFrame) -> np.ndarray:
    """For each row of ``missing`` (``_q`` queue, ``_b`` interval start in epoch seconds), the
    position in ``other`` of the interval of another length of the same queue that covers it
    (the latest starting at or before it), or -1."""
    found = np.full(len(missing), -1, dtype=np.int64)
    if missing.empty or other.empty:
        return found
    # an unreadable start (NaT) covers nothing
    starts = (pd.to_datetime(other["interval_start"], utc=True) - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    starts = starts.to_numpy(dtype=float)
    ends = starts + other["interval_minutes"].astype(float).fillna(0).to_numpy() * 60
    queues = other["queue"].to_numpy()
    buckets = missing["_b"].to_numpy(dtype=float)
    for queue in pd.unique(missing["_q"]):
        rows = np.flatnonzero(queues == queue)
        if not len(rows):
            continue
        rows = rows[np.argsort(starts[rows], kind="stable")]
        where = np.flatnonzero(missing["_q"].to_numpy() == queue)
        at = np.searchsorted(starts[rows], buckets[where], side="right") - 1
        inside = (at >= 0) & (buckets[where] < ends[rows[np.clip(at, 0, None)]])
        found[where[inside]] = rows[at[inside]]
    return found


#: the columns of :func:`staffing_summary` and their types (:data:`cxkit.results.STORED_TYPES`):
#: without a modelled interval (no talk times, no queue) the table has no row, and its columns,
#: typed by nothing, were stored of no type where a run with intervals stores counts and hours
STAFFING_SUMMARY_TYPES = {
    "queue": "str", "intervals": "Int64", "under_staffed": "Int64", "at_requirement": "Int64",
    "over_staffed": "Int64", "under_staffed_share": "float64", "agent_hours_short": "float64",
    "agent_hours_spare": "float64", "agent_hours_spare_no_contacts": "float64", "required_agent_hours": "float64",
    "staffed_agent_hours": "float64", "other_length_intervals": "Int64", "implausible_intervals": "Int64",
    "missing_intervals": "Int64", "contacts_in_missing_intervals": "Int64", "contacts_offered": "Int64",
}


def staffing_summary(staffing: pd.DataFrame) -> pd.DataFrame:
    """Per queue (and ``all``): intervals under- / over-staffed and the agent hours short or
    spare (``sum max(0, required - staffed) x interval hours`` and the reverse; the spare hours
    of intervals no contact was offered in, where Erlang C requires no agent, also apart:
    ``agent_hours_spare_no_contacts``), how many intervals were left out for another interval
    length (``other_length_intervals``) or an implausible volume (``implausible_intervals``),
    and the intervals the WFM export does not have although contacts entered the queue in them
    (``missing_intervals``), with those contacts (``contacts_in_missing_intervals``) out of the
    queue's offered contacts (``contacts_offered``)."""
    cols = list(STAFFING_SUMMARY_TYPES)
    s = staffing[staffing["status"].isin(MODELLED)]
    if staffing.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in STAFFING_SUMMARY_TYPES.items()})
    other = staffing[staffing["status"] == OTHER_LENGTH].groupby("queue").size()
    implausible = staffing[staffing["status"] == IMPLAUSIBLE_VOLUME].groupby("queue").size()
    absent = staffing[staffing["status"] == NO_INTERVAL]
    missing = absent.groupby("queue").size()
    missed = absent.groupby("queue")["contacts_offered"].sum()
    offered = staffing["contacts_offered"].fillna(0).groupby(staffing["queue"]).sum()
    hours = s["interval_minutes"].astype(float) / 60
    work = pd.DataFrame(
        {
            "queue": s["queue"],
            "under": (s["status"] == "under-staffed").astype(int),
            "at": (s["status"] == "at requirement").astype(int),
            "over": (s["status"] == "over-staffed").astype(int),
            "short": (-s["gap_staffed"]).clip(lower=0) * hours,
            "spare": s["gap_staffed"].clip(lower=0) * hours,
            "spare_empty": s["gap_staffed"].clip(lower=0).where(s["offered"].fillna(0) == 0, 0.0) * hours,
            "req": s["required_agents"] * hours,
            "staffed": s["staffed_agents"].astype(float) * hours,
        }
    )

    def roll(g: pd.DataFrame) -> dict[str, Any]:
        n = len(g)
        return {
            "intervals": n,
            "under_staffed": int(g["under"].sum()),
            "at_requirement": int(g["at"].sum()),
            "over_staffed": int(g["over"].sum()),
            "under_staffed_share": float(g["under"].sum() / n) if n else np.nan,
            # a queue with no interval compared has no hours short or spare: not measured, not 0
            "agent_hours_short": float(g["short"].sum()) if n else np.nan,
            "agent_hours_spare": float(g["spare"].sum()) if n else np.nan,
            "agent_hours_spare_no_contacts": float(g["spare_empty"].sum()) if n else np.nan,
            "required_agent_hours": float(g["req"].sum()) if n else np.nan,
            "staffed_agent_hours": float(g["staffed"].sum()) if n else np.nan,
        }

    def left_out(q: Any = None) -> dict[str, int]:
        pick = (lambda x: int(x.sum())) if q is None else (lambda x: int(x.get(q, 0)))
        return {"other_length_intervals": pick(other), "implausible_intervals": pick(implausible),
                "missing_intervals": pick(missing), "contacts_in_missing_intervals": pick(missed),
                "contacts_offered": pick(offered)}

    rows = [{"queue": q, **roll(g), **left_out(q)} for q, g in work.groupby("queue")]
    # a queue none of whose intervals could be modelled (all of another length, implausible, or
    # missing from the export) is still a row, so the table names it: "620 intervals left out"
    # did not say it was a queue
    for q in sorted(set(other.index) | set(implausible.index) | set(missing.index), key=str):
        if q not in set(work["queue"]):
            rows.append({"queue": q, **roll(work.iloc[0:0]), **left_out(q)})
    rows.append({"queue": "all", **roll(work), **left_out()})
    return pd.DataFrame(rows, columns=cols)


def service_level_by_gap(staffing: pd.DataFrame) -> pd.DataFrame:
    """How the measured service level moves with the staffing gap, from the data.

    Intervals are banded by ``staffed - required`` agents (:data:`GAP_BANDS`); per band the
    measured service level is pooled (answered in threshold / SL denominator over the band's
    intervals), beside the Erlang C prediction (offered-weighted) and the mean occupancy
    pressure (traffic / staffed agents).
    """
    cols = ["gap_band", "intervals", "offered", "measured_sl", "sl_denominator", "erlang_sl", "occupancy_pressure"]
    s = staffing[staffing["status"].isin(MODELLED)]
    rows = []
    for label, lo, hi in GAP_BANDS:
        g = s[(s["gap_staffed"] >= lo) & (s["gap_staffed"] <= hi)]
        den = float(g["measured_sl_denominator"].sum())
        off = g["offered"].fillna(0).astype(float)
        rows.append(
            {
                "gap_band": label,
                "intervals": len(g),
                "offered": float(off.sum()),
                "measured_sl": float(g["measured_sl_numerator"].sum() / den) if den else np.nan,
                "sl_denominator": int(den),
                "erlang_sl": float((g["erlang_sl_staffed"] * off).sum() / off.sum()) if off.sum() else np.nan,
                "occupancy_pressure": float(g["occupancy_pressure"].replace([np.inf], np.nan).mean()) if len(g) else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=cols)
