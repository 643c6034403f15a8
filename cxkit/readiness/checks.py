"""Running the readiness rules against canonical tables, where the data is.

Per table, three batches are checked: ``rows`` (the canonical table as loaded, plus the derived
columns the suite names, e.g. ``_contact_missing`` for cross-system links), ``daily`` (one row
per local day of the engagement period, counted on the table's ``TableSpec.time_column``: see
:func:`daily_frame`) and the loader's counts.
Only aggregates leave the engine: one scan for the column-map expectations of a batch, a grouped
query per uniqueness check, and contacts per UTC hour for the calendar and timezone checks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxkit import operations, resolution
from cxkit.config import Engagement
from cxkit.loading import LoadReport
from cxkit.readiness import validator
from cxkit.privacy import IdentifierSet, redact
from cxkit.readiness.suites import Rule, Suite, condition_columns
from cxkit.schema import TABLES, source_key
from cxkit.wording import ROW_NOUNS
from cxkit.zones import zone

__all__ = ["CheckResult", "TableInputs", "apply_populations", "run_checks", "hourly_profile", "daily_frame"]


@dataclass
class CheckResult:
    """The outcome of one rule, GE-shaped (``result``) with cxkit's reading of it."""

    id: str
    table: str
    type: str
    kwargs: dict[str, Any]
    severity: str
    category: str
    title: str
    diagnostics: list[str]
    status: str  # "pass", "fail" or "not evaluated"
    success: bool | None
    result: dict[str, Any] = field(default_factory=dict)
    finding: str | None = None
    consequence: str | None = None
    note: str | None = None
    batch: str = "rows"
    blocking: bool = False
    #: the figures a failure limits, when fewer than its diagnostics' (the period against the
    #: repeat window limits FCR, not the repeat share of the same diagnostic); empty: all of them
    figures: list[str] = field(default_factory=list)

    @property
    def unexpected(self) -> int | None:
        return self.result.get("unexpected_count")

    @property
    def denominator(self) -> int | None:
        r = self.result
        if r.get("denominator") is not None:
            return r["denominator"]
        if r.get("element_count") is None:
            return None
        if self.type == "expect_column_values_to_not_be_null":
            return r["element_count"]
        return r["element_count"] - (r.get("missing_count") or 0)

    @property
    def rate(self) -> float | None:
        d, u = self.denominator, self.unexpected
        return (u / d) if (d and u is not None) else None

    def evidence(self) -> dict[str, Any] | None:
        if self.unexpected is None:
            return None
        return {"check": self.id, "rate": self.rate, "count": self.unexpected, "denominator": self.denominator}

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["evidence"] = self.evidence()
        return out


@dataclass
class TableInputs:
    """What readiness needs of one canonical table: the table as loaded and what was mapped."""

    name: str
    table: ir.Table
    mapped: set[str]
    report: LoadReport | None = None
    #: keys (tuples of columns) whose values, where none is null, are unique by the table's
    #: construction (the contacts grouped from legs by ``contact_id``; a key the source keeps
    #: the newest row of): their uniqueness check needs no grouping
    unique: frozenset[tuple[str, ...]] = frozenset()


# ---------------------------------------------------------------- derived columns (a registry)

_Derive = Callable[[ir.Table, "_Context"], ir.Value]


@dataclass
class _Context:
    engagement: Engagement
    contacts: ir.Table | None
    now: datetime
    #: the engagement's customer ids (hashed): sample values equal to one are never shown
    identifiers: IdentifierSet | None = None
    #: the implausible customer ids of the period's contacts, counted once by the session that
    #: also leaves them out of the diagnostics (:meth:`cxkit.session.Session.implausible_summary`)
    implausible: Callable[[], dict[str, Any]] | None = None
    #: whether no two contacts share a contact id by construction
    #: (:meth:`cxkit.session.Session.contact_ids_unique`): no shared id is then looked for
    contact_ids_unique: bool = False
    #: the contact ids two or more contacts of the period share, found once by the session that
    #: also unlinks the rows naming them (:meth:`cxkit.session.Session.contact_ids_shared`)
    shared_ids: Callable[[], ir.Column] | None = None
    #: from when a contact without an end is still open at the export's end
    #: (:func:`cxkit.resolution.open_since`); None: no contact is
    open_since: datetime | None = None


def _in_period(t: ir.Table, e: Engagement) -> ir.BooleanValue:
    """Whether a row of ``t`` arrives in the engagement's period."""
    return (t.arrived_at >= e.period_start_utc) & (t.arrived_at < e.period_end_utc)


def _seconds(t: ir.Table, col: str) -> ir.NumericValue:
    return t[col].epoch_seconds().cast("float64")


def _handling_excess(t: ir.Table, ctx: _Context) -> ir.Value:
    parts = [t[c].fill_null(0.0) for c in ("ivr_s", "wait_s", "talk_s", "hold_s")]
    return parts[0] + parts[1] + parts[2] + parts[3] - (_seconds(t, "ended_at") - _seconds(t, "arrived_at"))


def _answer_after(t: ir.Table, ctx: _Context) -> ir.Value:
    """Seconds from arrival to answer, less the IVR time when the export gives it: the time the
    export's own clocks say the contact waited to be answered (null without an answer time)."""
    return _seconds(t, "answered_at") - _seconds(t, "arrived_at") - t.ivr_s.fill_null(0.0)


def _before_queue(t: ir.Table, ctx: _Context) -> ir.Value:
    """Seconds from arrival to answer, less the wait in the queue: the time the export's own
    clocks say the contact spent before its queue (its IVR or bot, and the ring at the end)."""
    return _seconds(t, "answered_at") - _seconds(t, "arrived_at") - t.wait_s


def _share(part: ir.NumericValue, whole: ir.NumericValue) -> ir.Value:
    """``part`` as a share of ``whole`` (null when ``whole`` is not positive): a duration against
    the time the export's clocks give it, for the rules that catch minutes read as seconds."""
    return ibis.ifelse(whole > 0, part / whole, ibis.null("float64"))


def _wait_share_of_answer(t: ir.Table, ctx: _Context) -> ir.Value:
    """``wait_s`` as a share of :func:`_answer_after`."""
    return _share(t.wait_s, _answer_after(t, ctx))


def _ivr_share_before_queue(t: ir.Table, ctx: _Context) -> ir.Value:
    """``ivr_s`` as a share of :func:`_before_queue`."""
    return _share(t.ivr_s, _before_queue(t, ctx))


def _days_in_future(t: ir.Table, ctx: _Context) -> ir.Value:
    return (_seconds(t, "arrived_at") - ctx.now.timestamp()) / 86400.0


def _outside_period(t: ir.Table, ctx: _Context) -> ir.Value:
    e = ctx.engagement
    inside = _in_period(t, e)
    return ibis.ifelse(t.arrived_at.isnull(), ibis.null("boolean"), ~inside)


def _handled_without_agent(t: ir.Table, ctx: _Context) -> ir.Value:
    return ibis.ifelse(t.outcome == "handled", t.agent_id.isnull(), ibis.null("boolean"))


def _served_without_service(t: ir.Table, ctx: _Context) -> ir.Value:
    """A handled contact with no answer time and no talk time: counted as handled, never served."""
    unserved = t.answered_at.isnull() & (t.talk_s.fill_null(0.0) <= 0)
    return ibis.ifelse(t.outcome == "handled", unserved, ibis.null("boolean"))


def _open(t: ir.Table, ctx: _Context) -> ir.Value:
    """Whether the contact (the leg) is still open at the export's end: an arrival near it and no
    end yet (:func:`cxkit.resolution.still_open`). The checks of missing ends and outcomes count
    over the others; ``contacts.ended_at.open`` counts these apart."""
    return resolution.still_open(t, ctx.open_since)


def _handled(t: ir.Table, ctx: _Context) -> ir.Value:
    """The contacts AHT reads (METRICS.md: handled, any direction)."""
    return operations.handled_flag(t)


def _contained_queued(t: ir.Table, ctx: _Context) -> ir.Value:
    """For an inbound contact the IVR or a bot contained, 1 when the export marks it queued (it
    never reached an agent queue), else 0; null for every other contact."""
    contained = (t.direction == "inbound") & (t.outcome == "contained")
    return ibis.ifelse(contained.fill_null(False), t.queued.fill_null(False).cast("int8"), ibis.null("int8"))


def _offered(t: ir.Table, ctx: _Context) -> ir.Value:
    """The contacts ASA, service level and abandonment read (METRICS.md: inbound, entered a queue)."""
    return operations.offered_flag(t)


#: derived column -> (canonical columns it needs mapped, expression builder)
DERIVED: dict[str, tuple[tuple[str, ...], _Derive]] = {
    "_open": (("arrived_at", "ended_at"), _open),
    "_handled": (("outcome",), _handled),
    "_offered": (("direction", "queued"), _offered),
    "_contained_queued": (("direction", "outcome", "queued"), _contained_queued),
    "_handling_excess_s": (("arrived_at", "ended_at", "talk_s"), _handling_excess),
    "_answer_after_s": (("arrived_at", "answered_at"), _answer_after),
    "_wait_share_of_answer": (("arrived_at", "answered_at", "wait_s"), _wait_share_of_answer),
    "_before_queue_s": (("arrived_at", "answered_at", "wait_s"), _before_queue),
    "_ivr_share_before_queue": (("arrived_at", "answered_at", "wait_s", "ivr_s"), _ivr_share_before_queue),
    "_days_in_future": (("arrived_at",), _days_in_future),
    "_outside_period": (("arrived_at",), _outside_period),
    "_handled_without_agent": (("outcome", "agent_id"), _handled_without_agent),
    "_served_without_service": (("outcome", "answered_at", "talk_s"), _served_without_service),
    "_contact_missing": (("contact_id",), None),  # joins: see _with_links
    "_contact_shared": (("contact_id",), None),
    "_customer_missing": (("customer_id",), None),
    "_queue_missing": (("queue",), None),
}


def _with_links(t: ir.Table, ctx: _Context, wanted: set[str]) -> ir.Table:
    """Add ``_contact_missing`` / ``_customer_missing`` / ``_queue_missing``: the id (the queue
    name) is not in the contacts feed; and ``_contact_shared``: the contact id is one that two or
    more contacts of the period share, so the row cannot say which one it is about (the
    diagnostics link it to neither: ``Session._for_diagnostics``)."""
    if ctx.contacts is None:
        return t
    # a membership test (no distinct ids, no join that a query must keep): a query that
    # does not read the column, such as a uniqueness check, does not pay for it
    c = ctx.contacts
    if "_contact_missing" in wanted:
        ids = c.filter(c.contact_id.notnull()).contact_id
        t = t.mutate(_contact_missing=ibis.ifelse(t.contact_id.isnull(), ibis.null("boolean"), ~t.contact_id.isin(ids)))
    if "_contact_shared" in wanted:
        if ctx.contact_ids_unique:
            shared = ibis.literal(False)  # contacts folded from legs, or keyed by their id
        elif ctx.shared_ids is not None:
            shared = t.contact_id.isin(ctx.shared_ids())  # the session's, found once
        else:
            shared = t.contact_id.isin(resolution.shared_contact_ids(c.filter(_in_period(c, ctx.engagement))))
        t = t.mutate(_contact_shared=ibis.ifelse(t.contact_id.isnull(), ibis.null("boolean"), shared))
    if "_customer_missing" in wanted:
        ids = c.filter(c.customer_id.notnull()).customer_id
        t = t.mutate(_customer_missing=ibis.ifelse(t.customer_id.isnull(), ibis.null("boolean"), ~t.customer_id.isin(ids)))
    if "_queue_missing" in wanted:
        # a WFM queue named otherwise than the contacts' queues ("Q_STOERUNG" for "Störung") pairs
        # with no contact: staffing against Erlang C then reads "no queue has intervals" as an all-clear
        names = c.filter(c.queue.notnull()).queue
        t = t.mutate(_queue_missing=ibis.ifelse(t.queue.isnull(), ibis.null("boolean"), ~t.queue.isin(names)))
    return t


def _tells_population(rule: Rule, exported: set[str]) -> bool:
    """Whether the export's own columns tell which records ``rule``'s population holds.

    ``exported`` are the columns the source maps, not those cxkit derives when they are absent:
    ``queued`` derived from answer times and waits would let a missing wait decide that a
    contact never queued, and so hide the very nulls the rule counts.
    """
    needed = [c for col in condition_columns(rule.meta["population"]["row_condition"])
              for c in (DERIVED[col][0] if col in DERIVED else (col,))]
    return all(c in exported for c in needed)


def apply_populations(suites: Mapping[str, Suite], inputs: Mapping[str, TableInputs]) -> dict[str, Suite]:
    """Suites whose rules with a ``meta.population`` count over that population where the export
    tells who is in it: the population's ``row_condition`` is added to the rule's kwargs (the
    one scan of the rows batch evaluates it, and the Data Docs show it) and its word for the
    records (``meta.records``, e.g. "handled contacts") goes into the finding. Elsewhere the rule
    counts every record, as declared.

    A rule's population is what its figures read (METRICS.md): talk times over handled contacts
    (AHT), waits over contacts offered to a queue (service level, ASA, abandonment).
    """
    out = dict(suites)
    for table, suite in suites.items():
        ti = inputs.get(table)
        if ti is None:
            continue
        exported = set(ti.report.mapped) if ti.report is not None else ti.mapped
        rules = tuple(
            replace(r, kwargs={**r.kwargs, "row_condition": r.meta["population"]["row_condition"]},
                    meta={**r.meta, "records": r.meta["population"]["records"]})
            if r.meta.get("population") and _tells_population(r, exported) else r
            for r in suite.rules
        )
        out[table] = replace(suite, rules=rules)
    return out


def rows_batch(t: ir.Table, rules: list[Rule], ctx: _Context) -> ir.Table:
    """The canonical table plus every derived column the rules read."""
    wanted = {c for r in rules for c in r.columns() if c.startswith("_")}
    t = _with_links(t, ctx, wanted)
    extra = {name: DERIVED[name][1](t, ctx) for name in sorted(wanted) if DERIVED[name][1] is not None}
    return t.mutate(**extra) if extra else t


# ---------------------------------------------------------------- calendar profiles (small frames)


def hourly_profile(t: ir.Table, column: str, tz: str) -> pd.DataFrame:
    """Rows per UTC hour (aggregated in the engine), with local date, weekday and hour added."""
    present = t.filter(t[column].notnull())
    agg = present.group_by(hour=present[column].truncate("h")).aggregate(rows=present.count()).execute()
    if agg.empty:
        return pd.DataFrame({"hour": [], "rows": [], "local": [], "date": [], "weekday": [], "local_hour": []})
    hours = pd.to_datetime(agg["hour"], utc=True)
    local = hours.dt.tz_convert(zone(tz))
    return pd.DataFrame(
        {
            "hour": hours,
            "rows": agg["rows"].astype("int64"),
            "local": local,
            "date": local.dt.date,
            "weekday": local.dt.dayofweek,
            "local_hour": local.dt.hour,
        }
    )


def daily_frame(hourly: pd.DataFrame, engagement: Engagement) -> pd.DataFrame:
    """One row per local day of the period, the ``daily`` batch the coverage rules read.

    Columns: ``day``, ``rows``, ``weekday`` (0 = Monday), ``weekday_median`` (median rows of the
    period's days with the same weekday: what such a day usually has), ``weekday_ratio`` (rows
    over that median; null when the median is 0), ``empty_run`` (on a day without rows, the
    length of the run of consecutive days without rows it belongs to; 0 on days with rows),
    ``empty_run_usual_rows`` (on a day without rows, what the days of its run usually have
    together: the sum of their ``weekday_median``; 0 on days with rows), ``before_first`` (the day
    precedes the first day with rows: sources that follow contacts, such as surveys and QA, start
    with a lag), ``after_last`` (the day follows the last day with rows: for the contacts, the
    data-end check's days, past the end of data) and ``day_of_period`` (1 = the first day). The
    suites decide what is a gap or an anomaly (``row_condition`` on ``weekday_median``,
    ``before_first`` or ``after_last``, a maximum ``empty_run``), so a sparse source gets other
    thresholds, not other code.
    """
    days = pd.date_range(engagement.period.start, engagement.period.end, freq="D").date
    counts = hourly.groupby("date")["rows"].sum() if not hourly.empty else pd.Series(dtype="int64")
    frame = pd.DataFrame({"day": days})
    frame["rows"] = [int(counts.get(d, 0)) for d in days]
    frame["weekday"] = [d.weekday() for d in days]
    # a day the engagement says the center was closed (readiness.closed_days) tells nothing of
    # its weekday's usual volume, and is judged by no rule: its usual volume reads 0
    closed = frame["day"].isin(set(engagement.readiness.closed_days))
    empty = frame["rows"].eq(0)
    # nor do the days before the source's first day with rows or after its last (an export that
    # starts late or is pulled mid-month): its weekdays' usual volume is what the days it covers
    # have, not lowered by the days it does not
    before_first = ~(~empty).cummax()
    after_last = ~(~empty)[::-1].cummax()[::-1]
    usual = frame["rows"].where(~closed & ~before_first & ~after_last)
    median = usual.groupby(frame["weekday"]).transform("median").fillna(0.0)
    median = median.where(~closed, 0.0).astype("float64")
    frame["weekday_median"] = median
    frame["weekday_ratio"] = (frame["rows"] / median.where(median > 0)).astype("float64")
    run_id = empty.ne(empty.shift()).cumsum()
    frame["empty_run"] = empty.groupby(run_id).transform("sum").where(empty, 0).astype("int64")
    frame["empty_run_usual_rows"] = median.groupby(run_id).transform("sum").where(empty, 0.0)
    frame["before_first"] = before_first
    frame["after_last"] = after_last
    frame["day_of_period"] = range(1, len(frame) + 1)
    return frame


#: weekday keys of readiness.business_hours, Monday first (datetime.weekday())
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _open_hours(business_hours: Mapping[str, str]) -> dict[int, list[tuple[float, float]]]:
    """{weekday: [(open hour, close hour)]} from ``{'mon': '08:00-20:00', 'sat': 'closed'}``
    (validated with the engagement: :func:`cxkit.config.opening_hours`)."""
    from cxkit.config import opening_hours

    out: dict[int, list[tuple[float, float]]] = {i: [] for i in range(7)}
    for key, spec in business_hours.items():
        day, ranges = opening_hours(key, spec)
        out[day].extend(ranges)
    return out


def _outside(hourly: pd.DataFrame, hours: dict[int, list[tuple[float, float]]], shift: int) -> pd.Series:
    """Whether each hour of the profile falls outside the opening hours (after ``shift``)."""
    local = hourly["local"] + pd.Timedelta(hours=shift)
    wd, hr = local.dt.dayofweek, local.dt.hour
    inside = [any(a <= h and h + 1 <= b + 1e-9 for a, b in hours[d]) for d, h in zip(wd, hr, strict=True)]
    return pd.Series([not i for i in inside], index=hourly.index, dtype=bool)


def _outside_share(hourly: pd.DataFrame, hours: dict[int, list[tuple[float, float]]], shift: int) -> float:
    total = hourly["rows"].sum()
    return float(hourly["rows"][_outside(hourly, hours, shift)].sum() / total) if total else 0.0


def _days_outside(hourly: pd.DataFrame, hours: dict[int, list[tuple[float, float]]], kw: Mapping[str, Any]) -> list[str]:
    """Days whose own share outside the opening hours is far above the limit for one day.

    A feed that writes one day in UTC moves that day's answers by the UTC offset: the whole
    period's share hardly moves, but that day's answers spill out of its opening hours.
    """
    limit = kw.get("max_outside_share_day")
    if limit is None or hourly.empty:
        return []
    frame = hourly.assign(outside=_outside(hourly, hours, 0))
    per_day = frame.groupby("date").apply(
        lambda g: pd.Series({"rows": g["rows"].sum(), "outside": g.loc[g["outside"], "rows"].sum()}),
        include_groups=False,
    )
    per_day = per_day[per_day["rows"] >= kw.get("min_rows_per_day", 50)]
    share = per_day["outside"] / per_day["rows"]
    return [f"{day}: {v:.0%} outside" for day, v in share[share > limit].items()]


_DAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


def _observed_span(part: pd.DataFrame, min_share: float) -> str:
    """The local hours in which a weekday's answers fall (hours holding at least ``min_share``
    of them), as ``'07:00-15:00'``."""
    by_hour = part.groupby("local_hour")["rows"].sum()
    busy = by_hour[by_hour >= min_share * by_hour.sum()]
    if busy.empty:
        return "no clear hours"
    return f"{int(busy.index.min()):02d}:00-{int(busy.index.max()) + 1:02d}:00"


def _stated(business_hours: Mapping[str, str], weekday: int) -> tuple[str, str]:
    for key, spec in business_hours.items():
        if key.lower()[:3] == _WEEKDAYS[weekday]:
            return str(spec), f"readiness.business_hours.{key}"
    return "closed", f"readiness.business_hours.{_WEEKDAYS[weekday]}"


def _hours_diagnosis(hourly: pd.DataFrame, hours: dict[int, list[tuple[float, float]]], shares: dict[int, float],
                     share: float, ctx: _Context, kw: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """What the out-of-hours answers point to, as the evidence supports it.

    * a **clock shift** moves every day alike: one shift of the clock puts most of them inside the
      hours on every weekday that has them;
    * **one weekday's hours** differ from the engagement's: most out-of-hours answers fall on one
      weekday (``one_weekday_share``, default 0.8), next to its stated hours; the weekday's
      observed hours are named;
    * otherwise they are **scattered** (agents answering out of hours on several days).

    Returns the text appended to the finding, the consequence, and details for the JSON.
    """
    outside = _outside(hourly, hours, 0)
    out_rows = hourly["rows"].where(outside, 0)
    total_out = float(out_rows.sum())
    if total_out == 0:
        return "", "", {"cause": None}
    # every answer in one hour of the day is no clock shift (which would read "moved by +9 h"):
    # the export gives dates or rounded times (contacts.arrived_at.time_of_day)
    hour, top, total = _busiest_hour(hourly)
    if total and top >= kw.get("one_hour_share", 0.9) * total:
        text = f"; {top / total:.1%} of all {total:,} fall in one hour of the day ({_hour_span(hour)})"
        consequence = ("the export gives dates or rounded times, not times of day, which no clock shift explains: map "
                       "the column that holds the time of day")
        return text, consequence, {"cause": "one_hour", "hour": hour}
    by_weekday = out_rows.groupby(hourly["weekday"]).sum()
    weekdays_hit = [int(w) for w, n in by_weekday.items() if n > 0]
    best = min(shares, key=shares.get)
    top = int(by_weekday.idxmax())
    top_share = float(by_weekday.max() / total_out)
    if top_share >= kw.get("one_weekday_share", 0.8):
        part = hourly[hourly["weekday"] == top]
        observed = _observed_span(part, kw.get("span_min_share", 0.005))
        stated, key = _stated(ctx.engagement.readiness.business_hours, top)
        text = (f"; {top_share:.1%} of them fall on {_DAY_NAMES[top]}, when answers run {observed} while the "
                f"engagement says {stated} ({key})")
        consequence = (f"one weekday's hours differ from the engagement's, not a clock shift (that would move every "
                       f"day): if the center works those hours, correct {key}")
        return text, consequence, {"cause": "weekday_hours", "weekday": _WEEKDAYS[top], "observed_hours": observed,
                                   "stated_hours": stated}
    if shares[best] < share / 2 and len(weekdays_hit) >= 2:
        fits = []
        for w in weekdays_hit:
            part = hourly[hourly["weekday"] == w]
            fits.append(_outside_share(part, hours, best) <= _outside_share(part, hours, 0))
        if all(fits):
            text = (f"; every weekday fits the stated hours when the clock is moved by {best:+d} h "
                    f"({shares[best]:.1%} outside)")
            consequence = ("the timestamps are probably in another timezone (for example UTC read as local time): "
                           "check sources.contacts.timezone and the timezone of each time column")
            return text, consequence, {"cause": "clock_shift", "shift_hours": best}
    if shares[best] >= share:
        # every shift leaves more outside than the clock as it is: no "best" shift to name
        text = (f"; they are spread over {len(weekdays_hit)} weekdays and moving the clock does not bring them "
                f"inside the hours (every shift leaves more outside)")
    else:
        text = (f"; they are spread over {len(weekdays_hit)} weekdays and no single clock shift fits them "
                f"(the best, {best:+d} h, leaves {shares[best]:.1%} outside)")
    consequence = ("agents answer outside the stated hours on several days, or the hours differ by day: check "
                   "readiness.business_hours against the center's real opening hours")
    return text, consequence, {"cause": "scattered"}


def _business_hours_check(rule: Rule, hourly: pd.DataFrame, ctx: _Context) -> dict[str, Any]:
    hours = _open_hours(ctx.engagement.readiness.business_hours)
    share = _outside_share(hourly, hours, 0)
    shares = {s: _outside_share(hourly, hours, s) for s in range(-12, 13) if s}
    best = min(shares, key=shares.get)
    total = int(hourly["rows"].sum())
    days = _days_outside(hourly, hours, rule.kwargs)
    success = share <= rule.kwargs["max_outside_share"] and not days
    details: dict[str, Any] = {"outside_share": share, "best_shift_hours": 0, "outside_share_at_best_shift": share,
                               "days_outside": days}
    if shares[best] < share / 2:
        details.update(best_shift_hours=best, outside_share_at_best_shift=shares[best])
    values, consequence = "", None
    if not success:
        values, consequence, cause = _hours_diagnosis(hourly, hours, shares, share, ctx, rule.kwargs)
        details.update(cause)
        if days and cause.get("cause") != "weekday_hours":
            values += f"; days far outside the opening hours: {'; '.join(days[:10])}"
    return {
        "success": bool(success),
        "result": {
            "observed_value": share,
            "unexpected_count": int(round(share * total)),
            "unexpected_percent": 100 * share,
            "denominator": total,
            "details": details,
            "values": values,
            **({"consequence": consequence} if consequence else {}),
        },
    }


def _busiest_hour(hourly: pd.DataFrame) -> tuple[int, int, int]:
    """(the local hour of the day holding the most rows, its rows, all rows) of an hourly
    profile (:func:`hourly_profile`); (0, 0, 0) for an empty one."""
    if hourly.empty:
        return 0, 0, 0
    by_hour = hourly.groupby("local_hour")["rows"].sum()
    return int(by_hour.idxmax()), int(by_hour.max()), int(by_hour.sum())


def _hour_span(hour: int) -> str:
    """``'00:00-01:00'``: one hour of the day."""
    return f"{hour:02d}:00-{(hour + 1) % 24:02d}:00"


def _one_hour_check(rule: Rule, hourly: pd.DataFrame, ctx: _Context) -> dict[str, Any]:
    """Do the times carry the time of day? A centre's busiest hour holds a small share of its
    arrivals; an export of dates (read as local midnight) puts all of them in one hour of the
    day. ``max_share``: the most one local hour may hold; ``min_rows``: fewer rows are not
    judged (a handful of contacts may share an hour by chance)."""
    kw = rule.kwargs
    hour, top, total = _busiest_hour(hourly)
    if total < kw.get("min_rows", 200):
        return {"success": None, "result": None,
                "note": f"{total:,} {ROW_NOUNS[rule.table]} arrive, fewer than {kw.get('min_rows', 200):,}: too few to "
                        "tell a day's dates from its times by the hour they fall in"}
    share = top / total
    values = f"{top:,} of {total:,} in {_hour_span(hour)} local time"
    return {"success": share <= kw["max_share"],
            "result": {"observed_value": round(share, 4), "unexpected_count": top, "unexpected_percent": 100 * share,
                       "element_count": total, "values": values}}


def _hour_shift_check(rule: Rule, hourly: pd.DataFrame, ctx: _Context) -> dict[str, Any]:
    """Days whose hour-of-day profile fits their weekday's typical profile best when shifted.

    A feed that writes one day (or one system's rows) in UTC instead of local time moves that
    day's profile by the UTC offset; the business-hours check misses it when the rest is right.
    """
    kw = rule.kwargs
    days = pd.date_range(ctx.engagement.period.start, ctx.engagement.period.end, freq="D").date
    if hourly.empty:
        grid = pd.DataFrame(0, index=pd.Index(days, name="date"), columns=range(24))
    else:
        grid = hourly.pivot_table(index="date", columns="local_hour", values="rows", aggfunc="sum", fill_value=0)
        grid = grid.reindex(index=days, columns=range(24), fill_value=0)
    weekday = pd.Series([d.weekday() for d in grid.index], index=grid.index)
    shifted: list[str] = []
    judged = 0
    for day, counts in grid.iterrows():
        if counts.sum() < kw["min_rows_per_day"]:
            continue
        peers = grid[(weekday == weekday[day]) & (grid.index != day)]
        peers = peers[peers.sum(axis=1) >= kw["min_rows_per_day"]]
        if peers.empty:
            continue
        judged += 1
        ref = peers.div(peers.sum(axis=1), axis=0).median().to_numpy()
        vec = (counts / counts.sum()).to_numpy()
        limit = int(kw["max_shift_hours"])

        def fit(s: int) -> float:
            moved = pd.Series(vec).shift(s, fill_value=0.0).to_numpy()
            return float(-abs(moved - ref).sum())

        scores = {s: fit(s) for s in range(-limit, limit + 1)}
        best = max(scores, key=scores.get)
        gain = scores[best] - scores[0]
        # noise moves a profile a little either way; a real shift explains most of the distance
        if best != 0 and gain >= kw["min_gain"] and gain >= kw.get("min_relative_gain", 0) * -scores[0]:
            shifted.append(f"{day}: {-best:+d} h")
    n = len(shifted)
    return {
        "success": n <= kw["max_value"],
        "result": {"observed_value": n, "unexpected_count": n, "unexpected_percent": 100 * n / judged if judged else None,
                   "denominator": judged, "values": "; ".join(shifted[:10]), "details": {"days": shifted}},
    }


def _data_end_check(rule: Rule, t: ir.Table, ctx: _Context) -> dict[str, Any]:
    """Does the feed reach the period end? METRICS.md: the end of data is the latest arrival
    (capped at the period end), and readiness says when the data stops more than
    ``max_gap_days`` before the period ends.

    The gap is measured from the latest arrival *before* the period end: a few rows after it (a
    stray record, the first hours of the next month) set the end of data to the period end
    while the period's own data may stop days earlier, and the days between would be judged as
    observed. Those rows are then named beside the gap."""
    col = t[rule.kwargs.get("column", "arrived_at")]
    end = ctx.engagement.period_end_utc
    row = t.aggregate(latest=col.max(), inside=col.max(where=col < end), after=col.count(where=col >= end)).execute()
    latest, inside, after = row["latest"].iloc[0], row["inside"].iloc[0], int(row["after"].iloc[0] or 0)
    if latest is None or pd.isna(latest):
        return {"success": None, "result": None}

    def utc(value: Any) -> pd.Timestamp:
        value = pd.Timestamp(value)
        return value.tz_localize("UTC") if value.tzinfo is None else value.tz_convert("UTC")

    last = utc(inside) if inside is not None and not pd.isna(inside) else utc(latest)
    gap_days = max((pd.Timestamp(end) - last).total_seconds(), 0.0) / 86400.0
    success = gap_days <= rule.kwargs["max_gap_days"]
    if after and not success:
        values = (f"last arrival before the period end {last:%Y-%m-%d %H:%M} UTC, period end {end:%Y-%m-%d %H:%M} UTC; "
                  f"{after:,} {ROW_NOUNS[rule.table] if after > 1 else ROW_NOUNS[rule.table].rstrip('s')} "
                  f"{'arrive' if after > 1 else 'arrives'} at or after "
                  f"the period end (the latest {utc(latest):%Y-%m-%d %H:%M} UTC), so the end of data is the period end "
                  "and repeats in the days without data cannot be seen")
    else:
        values = f"last arrival {last:%Y-%m-%d %H:%M} UTC, period end {end:%Y-%m-%d %H:%M} UTC"
    return {"success": success, "result": {"observed_value": round(gap_days, 3), "values": values}}


def _judged_counts(t: ir.Table, ctx: _Context) -> dict[str, Any]:
    """The period's contacts, and those too recent to be judged for repeats. METRICS.md: a
    contact is judged when ``ended_at + repeat window <= end of data`` (the latest arrival,
    capped at the period end); the others are censored (an ended_at missing counts from the
    arrival). Two scans of the arrivals, shared by the checks that read them."""
    from cxkit import resolution

    e = ctx.engagement
    window = float(e.resolution.repeat_window_days)
    end = resolution.end_of_data(t, e.period_end_utc)
    cutoff = end - timedelta(days=window)
    inside = t.filter(_in_period(t, e))
    finish = resolution.effective_end(inside)
    row = inside.aggregate(n=inside.count(), late=(finish > cutoff).sum()).execute()
    values = (f"{window:g}-day window, end of data {end:%Y-%m-%d %H:%M} UTC: a contact ending after "
              f"{cutoff:%Y-%m-%d %H:%M} UTC is too recent")
    return {"n": int(row["n"].iloc[0] or 0), "late": int(row["late"].iloc[0] or 0), "values": values}


def _judged_check(rule: Rule, counts: dict[str, Any]) -> dict[str, Any]:
    """Can the period's contacts be judged for repeats? A period not much longer than the
    window judges few of them, one shorter than it none: FCR then describes only the first
    days of the period, or nothing. ``min_judged``: contacts that must be judged;
    ``max_share``: the share that may be too recent (:func:`_judged_counts`)."""
    n, late = counts["n"], counts["late"]
    if not n:
        return {"success": None, "result": None, "note": "no contact arrives in the period"}
    kw = rule.kwargs
    if "max_share" in kw and late == n:
        # none judged: the check of some judged says it; this one has no share to weigh
        return {"success": None, "result": None, "note": "no contact of the period can be judged for repeats"}
    share = late / n
    ok = n - late >= int(kw["min_judged"]) if "min_judged" in kw else share <= float(kw["max_share"])
    return {"success": ok, "result": {"observed_value": late, "unexpected_count": late, "unexpected_percent": 100 * share,
                                      "denominator": n, "values": counts["values"]}}


def _parse_failure_check(rule: Rule, counts: dict[str, Any], identifiers: IdentifierSet | None) -> dict[str, Any]:
    """Values present in the export that could not be read as their canonical type, per column."""
    failures = counts.get("parse_failures") or {}
    limit = float(rule.kwargs.get("max_share", 0))
    failing = {c: f for c, f in failures.items() if f["count"] > limit * f["of"]}
    parts = []
    for column, f in failing.items():
        shown = ", ".join(repr(redact(v, identifiers)) for v in f["samples"])
        parts.append(f"{column} {f['count']:,} of {f['of']:,} ({f['count'] / f['of']:.1%}{', e.g. ' + shown if shown else ''})")
    n = sum(f["count"] for f in failing.values())
    present = sum(f["of"] for f in failing.values())
    hints = _parse_hints(rule, list(failing))
    return {
        "success": not failing,
        "result": {
            **({"consequence": hints} if hints else {}),
            "observed_value": n,
            "unexpected_count": n,
            "unexpected_percent": 100 * n / present if present else None,
            "denominator": present,
            "values": "; ".join(parts),
            "details": {"columns": {c: {"count": f["count"], "of": f["of"]} for c, f in failing.items()}},
        },
    }


def _parse_hints(rule: Rule, columns: list[str]) -> str | None:
    """The consequence of unreadable values, with the fixes that fit the failing columns' types
    (a decimal comma for a number, a format for a time, a value map for a code or a flag): the
    generic text named a decimal comma beside a yes/no flag. None: the rule's own text."""
    base = str(rule.meta.get("consequence") or "").split(";", 1)[0]
    spec = TABLES.get("contacts" if rule.table == "legs" else rule.table)
    if not base or spec is None or not columns:
        return None
    key = source_key(rule.table)
    kinds = {c: spec.column(c) for c in columns if c in spec.names}
    if len(kinds) != len(columns):
        return None  # a column the model does not know: the rule's own text

    def named(cols: list[str]) -> str:
        return ", ".join(cols)

    coded = [c for c, col in kinds.items() if col.dtype == "boolean" or col.values]
    numbers = [c for c, col in kinds.items() if col.dtype in ("float64", "int64") and c not in coded]
    times = [c for c, col in kinds.items() if col.dtype == "timestamp"]
    hints = []
    if coded:
        hints.append(f"map the codes of {named(coded)} (values and null_values under {key}.columns.<column>)")
    if numbers:
        hints.append(f"numbers in {named(numbers)} written with a decimal comma (12,5) need "
                     f"{key}.read_options.decimal_separator: ','; durations in other units or as 00:01:30 need "
                     f"unit (ms, min, hms) under {key}.columns.<column>; a placeholder such as n/a needs null_values")
    if times:
        hints.append(f"times in {named(times)} written another way need format (e.g. '%d/%m/%Y %H:%M:%S') under "
                     f"{key}.columns.<column>")
    return "; ".join([base, *hints]) if hints else None


def _diagnostics_of(table: str, columns: list[str]) -> list[str]:
    """The diagnostics that need any of ``columns`` of canonical ``table`` (legs: contacts')."""
    spec = TABLES["contacts" if table == "legs" else table]
    found: dict[str, None] = {}
    for column in columns:
        if column in spec.names:
            found.update(dict.fromkeys(spec.column(column).needed_by))
    return list(found)


def _customer_summary(e: Engagement, contacts: ir.Table) -> dict[str, Any]:
    """The period's contacts grouped by customer id (:func:`cxkit.customers.implausible_summary`),
    for the checks of the ids when no session counted them."""
    from cxkit import customers

    inside = contacts.filter(_in_period(contacts, e))
    return customers.implausible_summary(inside, e.resolution.max_contacts_per_customer(e.period.days))


def _implausible_customer_check(rule: Rule, contacts: ir.Table, ctx: _Context) -> dict[str, Any]:
    """Customer ids with more contacts in the period than a person makes, and what they do to FCR."""
    from cxkit import customers, resolution

    e = ctx.engagement
    cfg = e.resolution
    limit = cfg.max_contacts_per_customer(e.period.days)
    inside = contacts.filter(_in_period(contacts, e))
    summary = ctx.implausible()
    n = summary["ids"]
    values = ""
    details: dict[str, Any] = {**summary, "excluded": cfg.exclude_implausible_customers}
    if n:
        held, total = summary["contacts"], summary["all_contacts"]
        # the end of data of METRICS.md: the latest arrival, capped at the period end
        window = dict(end_of_data=resolution.end_of_data(contacts, e.period_end_utc),
                      window_days=cfg.repeat_window_days, exclude_reasons=cfg.exclude_reasons)
        rates = {}
        for label, table in (("with", inside), ("without", customers.without_implausible_customers(inside, limit))):
            row = resolution.fcr_repeat(table, **window).execute()
            rates[label] = None if row.empty or row["rate"].isna().iloc[0] else float(row["rate"].iloc[0])
        details["fcr_with"], details["fcr_without"] = rates["with"], rates["without"]
        ids = "1 customer id has" if n == 1 else f"{n:,} customer ids have"
        values = (f"{ids} more than {limit:,} contacts in the {e.period.days}-day period "
                  f"({cfg.max_contacts_per_customer_per_day:g} a day): a shared, test or default id, not a person; "
                  f"together they hold {held:,} of {total:,} contacts ({held / total:.1%})")
        fcr = " and ".join(f"{rates[k]:.1%} {k} them" for k in ("without", "with") if rates[k] is not None)
        if cfg.exclude_implausible_customers:
            values += (". Repeat metrics read their contacts as unidentified (resolution.exclude_implausible_customers)"
                       + (f": FCR ({cfg.repeat_window_days:g}-day window) is {fcr}" if fcr else ""))
        else:
            values += (". They are counted as customers (resolution.exclude_implausible_customers is false)"
                       + (f": FCR ({cfg.repeat_window_days:g}-day window) is {fcr}" if fcr else ""))
    return {
        "success": n <= rule.kwargs.get("max_value", 0),
        "result": {"observed_value": n, "unexpected_count": n, "unexpected_percent": None,
                   "denominator": None, "values": values, "details": details},
    }


def _too_few_identified(n: int, min_rows: int, what: str) -> dict[str, Any]:
    """A check of the customer ids not judged: ``n`` identified inbound contacts are too few to tell ``what``."""
    return {"success": None, "result": None,
            "note": f"{n:,} identified inbound contacts in the period, fewer than {min_rows:,}: too few to tell {what}"}


def _share_result(success: bool, n: int, unexpected: int, observed: float, values: str) -> dict[str, Any]:
    """A judged check of the customer ids: ``unexpected`` of ``n`` contacts or ids, the share
    ``observed`` against the rule's bound, and the finding's words."""
    return {"success": success,
            "result": {"observed_value": round(observed, 4), "unexpected_count": unexpected,
                       "unexpected_percent": 100 * unexpected / n, "element_count": n, "values": values}}


def _customers_recur_check(rule: Rule, contacts: ir.Table, ctx: _Context) -> dict[str, Any]:
    """Does the customer id identify customers? In a centre of any size some customers come
    back within the period (most of the inbound contacts of a month share their customer's id
    with another); an id that names the contact, not the customer (a call or session id
    mapped as the customer), never recurs, and every repeat-based figure then reads "no
    repeat": FCR near 100%. ``min_share``: the least share of identified inbound contacts
    whose id is on another contact of the period; ``min_rows``: fewer are not judged. With
    ``by: channel``, each channel of ``min_rows`` such contacts or more is judged on its own (a
    chat or bot session id mapped beside the callers' numbers), once the ids recur overall.
    Read from the grouping that counts implausible ids (ids it sets aside are left out here too)."""
    kw = rule.kwargs
    summary = ctx.implausible()
    n, recurring = summary["inbound"], summary["recurring"]
    min_rows, min_share = kw.get("min_rows", 1000), kw["min_share"]
    if kw.get("by") == "channel":
        if n and recurring / n < min_share:
            return {"success": None, "result": None,
                    "note": "the ids recur in no channel: whether they name contacts is judged over every channel at "
                            "once (contacts.customer_id.recurs)"}
        judged = {ch: c for ch, c in summary["channels"].items() if c["inbound"] >= min_rows}
        if not judged:
            return {"success": None, "result": None,
                    "note": f"no channel has {min_rows:,} identified inbound contacts in the period or more: too few "
                            "to tell customers who did not come back from ids that name contacts"}
        failing = {ch: c for ch, c in judged.items() if c["recurring"] / c["inbound"] < min_share}
        values = ""
        if failing:
            rest_n = n - sum(c["inbound"] for c in failing.values())
            rest_k = recurring - sum(c["recurring"] for c in failing.values())
            # a channel outside the canonical codes (or none) is counted as "other"
            names = {ch: "no known channel" if ch == "other" else ch.replace("_", "-") for ch in failing}
            values = "; ".join(f"{names[ch]}: {c['recurring']:,} of {c['inbound']:,} identified inbound "
                               f"contacts ({c['recurring'] / c['inbound']:.1%})" for ch, c in failing.items())
            values += " share their customer id with another contact of the period"
            if rest_n:
                values += f", against {rest_k / rest_n:.1%} of the {rest_n:,} in the other channels"
        unexpected = sum(c["inbound"] - c["recurring"] for c in failing.values())
        return {"success": not failing,
                "result": {"observed_value": round(min(c["recurring"] / c["inbound"] for c in judged.values()), 4),
                           "unexpected_count": unexpected,
                           "unexpected_percent": 100 * unexpected / n if n else None, "element_count": n,
                           "values": values,
                           "details": {"channels": {ch: dict(c) for ch, c in judged.items()},
                                       "failing": sorted(failing)}}}
    if n < min_rows:
        return _too_few_identified(n, min_rows, "customers who did not come back from ids that name contacts")
    share = recurring / n
    values = (f"{recurring:,} of {n:,} identified inbound contacts ({share:.1%}) share their customer id with another "
              "contact of the period")
    return _share_result(share >= min_share, n, n - recurring, share, values)


def _abandons_check(rule: Rule, contacts: ir.Table, ctx: _Context) -> dict[str, Any]:
    """Does the export hold the abandoned contacts? Callers and chatters give up in every queue
    of any size (1 call offered to the queue in 8 in the bank month), and an export of answered
    contacts only (a handled-contacts report, a CRM's call log) leaves them out: abandonment
    then reads 0%, service level counts answered contacts only and an abandoned attempt is never
    the customer coming back. Each channel of ``channels`` with ``min_rows`` contacts offered to
    a queue or more is judged: none of them abandoned fails."""
    kw = rule.kwargs
    channels, min_rows = list(kw["channels"]), kw.get("min_rows", 1000)
    # the abandons the abandon rate counts (offered, never answered, outcome abandoned)
    flags = operations.queue_flags(contacts)
    offered = flags.filter(flags.offered & flags.channel.isin(channels))
    counts = offered.group_by("channel").aggregate(
        offered=offered.count(), abandoned=offered.count(where=offered.abandoned)).execute()
    judged = {r.channel: (int(r.offered), int(r.abandoned)) for r in counts.itertuples() if r.offered >= min_rows}
    if not judged:
        return {"success": None, "result": None,
                "note": f"no channel among {', '.join(channels)} has {min_rows:,} contacts offered to a queue or more: "
                        "too few to tell an export without abandons from a queue where nobody gave up"}
    failing = {ch: n for ch, (n, a) in judged.items() if a == 0}
    n = sum(o for o, _ in judged.values())
    values = "; ".join(f"{ch}: none of {o:,} contacts offered to a queue abandoned" for ch, o in failing.items())
    return {"success": not failing,
            "result": {"observed_value": min(a for _, a in judged.values()), "unexpected_count": sum(failing.values()),
                       "unexpected_percent": 100 * sum(failing.values()) / n, "element_count": n, "values": values,
                       "details": {"channels": {ch: {"offered": o, "abandoned": a} for ch, (o, a) in judged.items()}}}}


def _back_to_back_check(rule: Rule, contacts: ir.Table, ctx: _Context) -> dict[str, Any]:
    """Does the contact id span transfers? A transfer leg recorded under a contact id of its own
    (a leg export mapped at contact grain by its leg id; Amazon Connect records mapped by
    ``ContactId`` instead of the contact's first id) starts as the customer's previous leg
    ends, and every repeat-based figure then reads each transfer as a repeat contact. A person
    who hangs up does not come back within seconds: in the bank month 18 of 13,564 identified
    inbound contacts (0.13%) start within 10 s of their customer's previous contact's end.
    ``max_share``: the most such contacts may be; ``seconds``: how close; ``min_rows``:
    fewer identified inbound contacts are not judged. Implausible ids are left out, as in
    :func:`_customers_recur_check`."""
    from cxkit import customers

    e, kw = ctx.engagement, rule.kwargs
    inside = contacts.filter(_in_period(contacts, e))
    seconds, min_rows, max_share = kw.get("seconds", 10), kw.get("min_rows", 200), kw["max_share"]
    counts = customers.back_to_back_summary(inside, e.resolution.max_contacts_per_customer(e.period.days), seconds)
    n, k = counts["inbound"], counts["back_to_back"]
    if n < min_rows:
        return _too_few_identified(n, min_rows, "transfers recorded as contacts from customers who came straight back")
    share = k / n
    values = (f"{k:,} of {n:,} identified inbound contacts ({share:.1%}) start within {seconds:g} s of the end of "
              "their customer's previous contact")
    return _share_result(share <= max_share, n, k, share, values)


def _number_writings_check(rule: Rule, ids: ir.Table) -> dict[str, Any]:
    """Is each number written one way? Customer ids that are numbers (a caller's phone number, an
    account number) written with the country code in one system and with a leading 0, spaces
    or dashes in another are different customers once pseudonymised, and a caller is not seen
    coming back across the two writings. ``ids``: the export's ids before their pseudonyms
    (:meth:`LoadReport.identifier_table`), read in the engine; ids that are not numbers pass
    (nothing to compare). ``max_share``: the most numbers that may also be written another way."""
    from cxkit import customers

    counts = customers.number_writings(ids)
    n, k = counts["numbers"], counts["several"]
    if not n:
        values = (f"the customer ids are not numbers of 7 to 15 digits ({counts['number_share']:.0%} of the first "
                  f"{counts['sampled']:,} are)")
        return {"success": True, "result": {"observed_value": 0.0, "unexpected_count": 0, "values": values}}
    share = k / n
    values = (f"{k:,} of {n:,} customer ids that are numbers ({share:.1%}) are also written another way (with or "
              "without the country code, a leading 0, spaces or dashes)")
    if counts["kept"] < 1:
        pairs = round(100 * counts["kept"])
        last = "00" if pairs == 1 else f"00 to {pairs - 1:02d}"
        values += f", counted on the numbers ending {last} ({pairs} numbers in 100: a sample of a large export)"
    return _share_result(share <= rule.kwargs["max_share"], n, k, share, values)


def _scale_top_check(rule: Rule, t: ir.Table) -> dict[str, Any]:
    """Whether the answers inside a scale ever reach its top: a survey asking on 1-5 passes every
    range check of a 1-7 CES, and its answers of 5 would read as the middle of "made it easy".
    ``low``/``high``: the scale; ``top_from``: the smallest answer a survey on that scale gives
    (6 on 1-7: none among ``min_answers`` answers or more means a smaller scale, or customers
    who never found it easy); below ``min_answers`` answers inside the scale it is not judged.
    One aggregate over the column."""
    kw = rule.kwargs
    x = t[kw["column"]].cast("float64")
    inside = x.between(float(kw["low"]), float(kw["high"])).fill_null(False)
    row = t.aggregate(n=t.count(where=inside), top=x.max(where=inside)).execute().iloc[0]
    n, top = int(row["n"] or 0), row["top"]
    if n < int(kw["min_answers"]):
        have = "no answer" if not n else ("1 answer" if n == 1 else f"{n:,} answers")
        scale, least = f"{kw['low']:g}-{kw['high']:g}", int(kw["min_answers"])
        return {"success": None, "result": None,
                "note": f"{have} inside {scale}: fewer than {least} (readiness.thresholds.{rule.id}) are too few "
                        "to tell the scale"}
    top = float(top)
    reached = top >= float(kw["top_from"])
    shown = f"{top:g}" if top == round(top, 2) else f"{top:.2f}"
    return {"success": reached,
            "result": {"observed_value": top, "unexpected_count": 0 if reached else n, "unexpected_percent": None,
                       "denominator": n, "values": f"the highest is {shown}"}}


#: What an answer other than a rating is called in a scale-direction finding (a rating by its name)
_ANSWER_WORDS = {"resolved": "the resolved answer (no 0, yes 1)"}


def _callbacks_direction_check(rule: Rule, contacts: ir.Table, ctx: _Context) -> dict[str, Any]:
    """Are the callbacks in the export as callbacks? A callback the export gives as inbound (a
    vendor's callback queue, mapped with the calls) is the customer coming back: a repeat of the
    contact that promised it, and callbacks kept reads none kept. Fails when, of ``min_judged``
    or more scheduled callbacks judged (:func:`cxkit.perception.callbacks_kept` over the period,
    the engagement's promise), ``max_kept`` or fewer are followed by an outbound or callback
    contact to the customer by the due time and ``min_inbound`` or more by an inbound one (a
    centre that keeps none of its callbacks, its customers calling again, reads the same: a
    warning)."""
    from cxkit import perception

    kw, e = rule.kwargs, ctx.engagement
    c = contacts.filter(_in_period(contacts, e))
    eod = c.arrived_at.max().execute()
    if eod is None or pd.isna(eod):
        return {"success": None, "result": None, "note": "no contact in the period"}
    end = pd.Timestamp(eod).to_pydatetime()
    kept = perception.callbacks_kept(
        c, promise_business_days=e.followthrough.callback_promise_business_days, end_of_data=end,
        utc_offset_hours=perception.utc_offset_hours(e.tz, end), inbound_after=True,
    ).execute().iloc[0]
    judged, least = int(kept["judged"]), int(kw.get("min_judged", 30))
    if judged < least:
        return {"success": None, "result": None,
                "note": f"{judged:,} scheduled callbacks judged in the period, fewer than {least:,}: too few to tell "
                        "callbacks given as inbound from customers calling again"}
    n_kept, again = int(kept["kept"]), int(kept["inbound_within"])
    off = n_kept / judged <= float(kw["max_kept"]) and again / judged >= float(kw["min_inbound"])
    values = (f"{n_kept:,} of the {judged:,} scheduled callbacks judged ({n_kept / judged:.1%}) are followed by an "
              f"outbound or callback contact to the customer by the time promised, and {again:,} "
              f"({again / judged:.1%}) by an inbound contact of the customer")
    return {"success": not off,
            "result": {"observed_value": round(again / judged, 4), "unexpected_count": again if off else 0,
                       "unexpected_percent": 100 * again / judged if off else 0.0, "denominator": judged,
                       "values": values}}


def _scale_direction_check(rule: Rule, surveys: ir.Table, mapped: set[str]) -> dict[str, Any]:
    """Does a rating rise with the same customer's other answers? A scale written the other way
    round (a CES asking "how much effort", where 1 is easy; a CSAT where 1 is "very satisfied")
    passes every range check, and every figure over it reads backwards: the share of CES 5-7
    counts the customers who found it hard. On a survey whose scales point the same way the
    answers of one response rise together (in the generated seed-33 month CES and CSAT at
    0.92, CSAT and the resolved answer at 0.69). Pearson's correlation of ``column`` with each other
    rating and with the resolved answer (yes 1, no 0) mapped, over the responses answering
    both (answers inside their scale): the rating fails when every one of them with
    ``min_pairs`` responses or more is at ``max_corr`` or below. ``column`` may be ``resolved``
    itself (a question such as "did you need to contact us again?" mapped yes to resolved),
    judged against the ratings. One aggregate of sums."""
    from cxkit.perception import SCALES, _valid

    kw = rule.kwargs
    col, min_pairs, max_corr = kw["column"], int(kw.get("min_pairs", 100)), float(kw.get("max_corr", -0.2))

    def answers(name: str) -> ir.FloatingValue:
        return surveys.resolved.cast("float64") if name == "resolved" else _valid(surveys[name], name)

    def words(name: str) -> str:
        return _ANSWER_WORDS.get(name, name)

    others = [a for a in (*SCALES, "resolved") if a != col and a in mapped]
    if not others:
        return {"success": None, "result": None,
                "note": f"no other rating and no resolved answer are in the export to compare {col} with"}
    x = answers(col)
    sums: dict[str, ir.Value] = {}
    for a in others:
        y = answers(a)
        both = x.notnull() & y.notnull()
        sums |= {f"{a}_n": surveys.count(where=both), f"{a}_x": x.sum(where=both), f"{a}_y": y.sum(where=both),
                 f"{a}_xx": (x * x).sum(where=both), f"{a}_yy": (y * y).sum(where=both),
                 f"{a}_xy": (x * y).sum(where=both)}
    row = surveys.aggregate(**sums).execute().iloc[0]
    judged: dict[str, tuple[float, int]] = {}
    for a in others:
        n = int(row[f"{a}_n"] or 0)
        if n < min_pairs:
            continue
        sx, sy, sxx, syy, sxy = (float(row[f"{a}_{k}"]) for k in ("x", "y", "xx", "yy", "xy"))
        spread = (n * sxx - sx * sx) * (n * syy - sy * sy)
        if spread > 0:  # an answer that never varies says nothing about the direction
            judged[a] = ((n * sxy - sx * sy) / spread ** 0.5, n)
    if not judged:
        return {"success": None, "result": None,
                "note": f"fewer than {min_pairs} responses (readiness.thresholds.{rule.id}) answer {col} and another "
                        f"of {', '.join(others)} with answers that vary: too few to tell the direction of the scale"}
    against = all(r <= max_corr for r, _ in judged.values())
    parts = [f"{words(a)} (correlation {r:+.2f} over {n:,} responses answering both)"
             for a, (r, n) in judged.items()]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    if against:
        values = f"{words(col)} falls as {listed} rise{'s' if len(parts) == 1 else ''}"
    else:
        values = f"{words(col)} against {listed}"
    n = max(n for _, n in judged.values())
    out: dict[str, Any] = {
        "observed_value": round(max(r for r, _ in judged.values()), 4), "unexpected_count": n if against else 0,
        "unexpected_percent": None, "denominator": n, "values": values,
        "details": {a: {"r": round(r, 4), "responses": n} for a, (r, n) in judged.items()}}
    if against and len(judged) == 1:
        (other,) = judged
        out["consequence"] = (f"{rule.meta.get('consequence', '')}. With {words(other)} the only answer to "
                              f"compare with, either scale may be the one written the other way round: check both")
    return {"success": not against, "result": out}


def _wfm_coverage(intervals: ir.Table, ctx: _Context) -> dict[str, Any]:
    """The period's offered contacts against the WFM export (:func:`cxkit.capacity.wfm_coverage`):
    one grouping of the contacts, read by the coverage and the alignment checks."""
    from cxkit import capacity

    c = ctx.contacts
    return capacity.wfm_coverage(intervals, c.filter(_in_period(c, ctx.engagement)))


def _interval_spacing(intervals: ir.Table) -> dict[str, Any]:
    """How the WFM intervals follow each other in each queue (:func:`cxkit.capacity.interval_spacing`)."""
    from cxkit import capacity

    return capacity.interval_spacing(intervals)


def _intervals_cover_check(rule: Rule, cover: dict[str, Any]) -> dict[str, Any]:
    """Offered contacts of the period, in the queues the WFM export names, that entered a queue in
    an interval the export does not have (:func:`cxkit.capacity.wfm_coverage`): demand the
    staffing comparison cannot see."""
    n, of = cover["contacts_in_missing_intervals"], cover["contacts_offered"]
    share = n / of if of else 0.0
    values = (f"{n:,} of the {of:,} offered contacts ({share:.1%}) of the queues the WFM export names entered "
              f"them in {cover['missing_intervals']:,} interval{'s' if cover['missing_intervals'] != 1 else ''} the "
              "export does not have" if n else "")
    return {
        "success": share <= float(rule.kwargs.get("max_share", 0)),
        "result": {"observed_value": share, "unexpected_count": n, "unexpected_percent": 100 * share,
                   "denominator": of, "values": values,
                   "details": {k: v for k, v in cover.items() if k != "alignment"}},
    }


def _move(seconds: float) -> str:
    """A move of the WFM times in words: ``-5400`` -> ``'1 h 30 min earlier'``, ``1800`` ->
    ``'30 min later'``."""
    return f"{_span(seconds)} {'earlier' if seconds < 0 else 'later'}"


def _span(seconds: float) -> str:
    """A length of time in hours and minutes: ``5400`` -> ``'1 h 30 min'``, ``900`` -> ``'15 min'``."""
    h, m = divmod(round(abs(seconds) / 60), 60)
    return " ".join(p for p in (f"{h} h" if h else "", f"{m} min" if m else "") if p) or "0 min"


def _too_few_offered(offered: int, least: int) -> str:
    """Why a WFM check is not evaluated: too few offered contacts in the export's queues."""
    few = f"{offered:,} offered contacts" if offered else "no offered contact"
    return f"{few} in the queues the WFM export names, fewer than {least:,}: too few to compare with it"


#: the interval length of a WFM row without ``interval_minutes`` (its default in the schema), in seconds
_DEFAULT_INTERVAL_S = 60 * next(c.default for c in TABLES["intervals"].columns if c.name == "interval_minutes")


def _intervals_spacing_check(rule: Rule, spacing: dict[str, Any]) -> dict[str, Any]:
    """Do the WFM intervals follow each other at the length ``interval_minutes`` gives them?
    Erlang C spreads each interval's offered contacts over that length and the staffed hours
    count its agents over it: 15-minute rows read as 30 (the column absent, its default 30) halve
    the traffic and double the hours. Fails when ``min_share`` or more of the intervals followed
    by another of their queue start one same time after the previous one
    (:func:`cxkit.capacity.interval_spacing`) and that time is not the length; ``min_followed``
    such intervals are needed to judge."""
    kw = rule.kwargs
    n, least = spacing["followed"], int(kw.get("min_followed", 100))
    if n < least:
        few = f"{n:,} WFM intervals are" if n != 1 else "1 WFM interval is"
        return {"success": None, "result": None,
                "note": f"{few} followed by another of their queue, fewer than {least:,}: too few to read their "
                        "spacing"}
    step, gap, at = spacing["length_s"], spacing["spacing_s"], spacing["at_spacing"]
    share = at / n
    off = gap != step and share >= float(kw["min_share"])
    values = (f"{at:,} of the {n:,} WFM intervals followed by another of their queue ({share:.1%}) are followed "
              f"{_span(gap)} after they start, and interval_minutes gives them {_span(step)}")
    out: dict[str, Any] = {"observed_value": round(share, 4), "unexpected_count": at if off else 0,
                           "unexpected_percent": 100 * share if off else 0.0, "denominator": n, "values": values,
                           "details": spacing}
    if off:
        default = (f", or be absent from the export and read as its default, {_span(step)}"
                   if step == _DEFAULT_INTERVAL_S else "")
        out["values"] += f": interval_minutes may be mapped to another length than the export's{default}"
    if off and gap % 60 == 0:
        factor = "half" if step == 2 * gap else ("twice" if gap == 2 * step else f"{gap / step:.2f} times")
        out["consequence"] = (f"{rule.meta.get('consequence', '')} (e.g. {{sql: \"{gap // 60}\"}}, when every row is "
                              f"{gap // 60} minutes long): read at {step // 60} minutes, the traffic of each "
                              f"interval, and with it the agents required, is {factor} what its rows say")
    return {"success": not off, "result": out}


def _intervals_aligned_check(rule: Rule, cover: dict[str, Any]) -> dict[str, Any]:
    """Do the WFM export's offered volumes line up with the contacts' queue entries in time? A WFM
    export written in UTC for a centre whose contacts are read in local time (or the other way
    round), or one labelling each interval by its end, pairs every interval with the contacts of
    another: the measured service level of each interval, and the intervals the export seems to
    lack, are read at the wrong hours (Erlang C's requirement against the staffed agents comes
    from the WFM export alone). Fails when the offered volumes fit the contacts
    best with the WFM times moved (:func:`cxkit.capacity._alignment`, up to 14 h either way) and
    that fit, ``min_corr`` or more, beats the fit as exported by ``min_gain`` or more;
    ``min_contacts`` offered contacts in the WFM's queues are needed to judge."""
    kw = rule.kwargs
    a, of, least = cover["alignment"], cover["contacts_offered"], int(kw.get("min_contacts", 1000))
    if of < least:
        return {"success": None, "result": None, "note": _too_few_offered(of, least)}
    if a["best"] is None:
        return {"success": None, "result": None,
                "note": "the WFM export's offered volumes never vary from interval to interval: nothing to line up"}
    fit, best, shift = a["as_exported"], a["best"], a["best_shift_s"]
    moved = shift != 0 and best >= float(kw.get("min_corr", 0.5)) and best - (fit or 0.0) >= float(kw["min_gain"])
    shown = "none" if fit is None else f"{fit:.2f}"
    if moved:
        values = (f"the WFM export's offered volumes line up with the contacts' queue entries when its times move "
                  f"{_move(shift)} (correlation {best:.2f} per queue and interval, against {shown} as "
                  f"exported, {of:,} offered contacts)")
    else:
        values = f"correlation {shown} per queue and interval as exported ({best:.2f} at best, {of:,} offered contacts)"
    return {"success": not moved,
            "result": {"observed_value": round(best - (fit or 0.0), 4), "unexpected_count": of if moved else 0,
                       "unexpected_percent": None, "denominator": of, "values": values,
                       "details": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in a.items()}}}


def _intervals_volume_check(rule: Rule, cover: dict[str, Any]) -> dict[str, Any]:
    """Does the WFM export's offered volume match the contacts that entered its queues? Erlang C's
    requirement is computed from the export's offered volumes, so an export that counts other
    contacts (every channel, transfers into the queue) or counts them twice staffs for demand
    the contacts do not show. The two volumes over the intervals the export has, lined up at the
    best move (:func:`cxkit.capacity._alignment`); fails when one is more than ``max_factor``
    times the other. ``min_contacts`` offered contacts in the WFM's queues are needed to judge."""
    kw = rule.kwargs
    a, of, least = cover["alignment"], cover["contacts_offered"], int(kw.get("min_contacts", 1000))
    wfm, seen = a.get("wfm_offered"), a.get("contacts_offered")
    if of < least:
        return {"success": None, "result": None, "note": _too_few_offered(of, least)}
    if not seen or wfm is None:
        return {"success": None, "result": None,
                "note": "no offered contact entered the WFM export's queues in the intervals it has: nothing to "
                        "compare"}
    ratio, factor = wfm / seen, float(kw["max_factor"])
    values = (f"the WFM export offers {wfm:,.0f} contacts in its intervals of the queues contacts entered, where "
              f"{seen:,.0f} offered contacts entered them ({ratio:.2f} times)")
    if a["best_shift_s"]:
        values += f", its times moved {_move(a['best_shift_s'])} to line them up"
    fits = 1 / factor <= ratio <= factor
    return {"success": fits,
            "result": {"observed_value": round(ratio, 4), "unexpected_count": 0 if fits else int(seen),
                       "unexpected_percent": None, "denominator": int(seen), "values": values}}


def _loader_check(rule: Rule, counts: dict[str, Any], identifiers: IdentifierSet | None = None) -> dict[str, Any]:
    kind = rule.type
    values = ""
    if kind == "cxkit_loader_parse_failures":
        return _parse_failure_check(rule, counts, identifiers)
    if kind == "cxkit_loader_exact_duplicates":
        n = counts["exact_duplicates"]
    elif kind == "cxkit_loader_superseded_versions":
        n = counts["superseded_versions"]
    else:
        excluded = counts["rows_excluded"]
        n = sum(excluded.values())
        values = "; ".join(f"{reason}: {k:,}" for reason, k in excluded.items() if k)
    rows = counts["rows_read"]
    return {
        "success": n <= rule.kwargs["max_value"],
        "result": {
            "observed_value": n,
            "unexpected_count": n,
            "unexpected_percent": 100 * n / rows if rows else None,
            "denominator": rows,
            "values": values,
        },
    }


def _key_parts_check(rule: Rule, report: LoadReport) -> dict[str, Any] | None:
    """Whether the export's own id columns are unique where the adapter builds the key from
    several of them (the bank's ``call_id`` repeats across IVR lines; line + id is unique).

    Returns None when the key is mapped from one column (the canonical uniqueness check covers
    it). Counts rows and distinct values of each raw column the key expression reads.
    """
    from cxkit.loading import _referenced_columns

    key = TABLES[rule.table].key[0]
    mapping = report.source.mapping(key)
    if mapping is None or mapping.sql is None:
        return None
    parts = sorted(_referenced_columns(mapping.sql))
    if len(parts) < 2:
        return None
    raw = report.after_exclusions
    rows = int(raw.count().execute())
    counts = raw.aggregate(**{f"cx_d{i}": raw[p].nunique() for i, p in enumerate(parts)}).execute().iloc[0]
    distinct = {p: int(counts[f"cx_d{i}"]) for i, p in enumerate(parts)}
    # the id-like part is the one closest to unique (the others are lines, sites, systems)
    id_part = max(distinct, key=distinct.get)
    n = distinct[id_part]
    how = f"the adapter keys {rule.table} by {mapping.sql.strip()} (sources.{rule.table}.columns.{key})"
    return {
        "success": n == rows,
        "result": {
            "observed_value": n,
            "unexpected_count": rows - n,
            "unexpected_percent": 100 * (rows - n) / rows if rows else None,
            "denominator": rows,
            "values": (f"{id_part} has {n:,} distinct values in {rows:,} rows (about {rows / n:.1f} rows per "
                       f"value); {how}") if n < rows else how,
            "details": {"parts": parts, "distinct": distinct, "rows": rows, "id_column": id_part},
        },
    }


# ---------------------------------------------------------------- running


#: the longest sample value shown in a finding
_SAMPLE_CHARS = 40


def _redact_samples(result: dict[str, Any], identifiers: IdentifierSet | None) -> None:
    """Sample values as a reader may see them: personal data replaced by its kind, cut short."""
    samples = result.get("partial_unexpected_list")
    if samples:
        shown = []
        for value in samples:
            if not isinstance(value, str) and redact(str(value), identifiers) == str(value):
                shown.append(value)  # a number or a flag with nothing personal in it stays a number
                continue
            text = redact(str(value), identifiers)
            shown.append(text if len(text) <= _SAMPLE_CHARS else text[: _SAMPLE_CHARS - 1] + "…")
        result["partial_unexpected_list"] = shown


def _format(template: str | None, res: dict[str, Any], denominator: int | None, records: str = "") -> str | None:
    if not template:
        return None
    values = res.get("values")
    if values is None:
        values = ", ".join(repr(v) for v in res.get("partial_unexpected_list", []))
    percent = res.get("unexpected_percent")
    if percent is not None and res.get("element_count") is not None and denominator:
        percent = 100 * res.get("unexpected_count", 0) / denominator
    return template.format(
        percent=percent or 0.0,
        observed=res.get("observed_value") or 0,
        unexpected=res.get("unexpected_count") or 0,
        denominator=denominator or 0,
        values=values,
        records=records,
    )


def _result(rule: Rule, blocking_severities: set[str], success: bool | None, res: dict[str, Any] | None, note: str | None = None) -> CheckResult:
    cr = CheckResult(
        id=rule.id,
        table=rule.table,
        type=rule.type,
        kwargs=dict(rule.kwargs),
        severity=rule.severity,
        category=rule.meta.get("category", ""),
        title=rule.meta.get("title", rule.id),
        diagnostics=list(rule.diagnostics),
        status="not evaluated" if success is None else ("pass" if success else "fail"),
        success=success,
        result={k: v for k, v in (res or {}).items() if k != "consequence"},
        # a check that tells causes apart states the consequence of the cause it found
        consequence=(res or {}).get("consequence") or rule.meta.get("consequence"),
        note=note,
        batch=rule.batch,
        figures=list(rule.meta.get("figures") or []),
    )
    if success is False:
        records = rule.meta.get("records") or ROW_NOUNS[rule.table]
        cr.finding = _format(rule.meta.get("finding"), cr.result, cr.denominator, records)
        cr.blocking = rule.severity in blocking_severities
    return cr


#: the contacts' column each link to the contacts feed compares with
_LINKED = {"_contact_missing": "contact_id", "_contact_shared": "contact_id", "_customer_missing": "customer_id",
           "_queue_missing": "queue"}


def _unavailable(rule: Rule, mapped: set[str], contacts_mapped: set[str] | None) -> str | None:
    """Why a rule cannot be evaluated on this engagement's data (None when it can).

    ``contacts_mapped`` are the contacts feed's mapped columns (None: no contacts feed). A link
    to the contacts compares with their column: without it nothing can match ("6,243 of 6,243
    WFM intervals name a queue that no contact has" over contacts without queues, "4,293 of
    4,293 cases have a customer_id never seen" over contacts without customer ids).
    """
    if rule.batch == "daily":
        # the daily batch is counted on the table's time column, not read from a mapped column
        time_col = TABLES[rule.table].time_column
        if time_col in mapped:
            return None
        return (f"{ROW_NOUNS[rule.table]} cannot be counted per day: their time column {time_col} is not in the "
                f"export (map it in sources.{rule.table}.columns.{time_col})")
    needed: list[str] = []
    for col in rule.columns():
        if col.startswith("_"):
            needed += DERIVED[col][0]
            if col in _LINKED and contacts_mapped is None:
                return "no contacts feed to compare with"
            if col in _LINKED and _LINKED[col] not in contacts_mapped:
                return (f"the contacts feed has no {_LINKED[col]} to compare with (not mapped in "
                        f"{source_key('contacts')}.columns)")
        else:
            needed.append(col)
    missing = [c for c in dict.fromkeys(needed) if c not in mapped]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        return f"{', '.join(missing)} {verb} not in the export (not mapped in {source_key(rule.table)}.columns)"
    return None


def _daily_result(rule: Rule, blocking: set[str], res: dict[str, Any], frame: pd.DataFrame) -> CheckResult:
    """A daily rule's result. A rule whose ``row_condition`` selects no day is not evaluated when
    the source has no row in the period or the rule says why (``meta.not_evaluated``); otherwise
    it holds vacuously, as in GE (e.g. no leading empty days to judge)."""
    unit, col = ROW_NOUNS[rule.table], TABLES[rule.table].time_column
    if (res["result"].get("element_count") or "observed_value" in res["result"]
            or not (rule.meta.get("not_evaluated") or not frame["rows"].any())):
        return _result(rule, blocking, res["success"], res["result"])
    if not frame["rows"].any():
        why = f"no {unit} are dated inside the period ({col}), so there is no day to judge"
    else:
        why = rule.meta["not_evaluated"]
    return _result(rule, blocking, None, None, why.format(unit=unit, column=col))


def run_checks(
    inputs: Mapping[str, TableInputs],
    suites: Mapping[str, Suite],
    engagement: Engagement,
    rules_config: Mapping[str, Any],
    *,
    now: datetime | None = None,
    identifiers: IdentifierSet | None = None,
    implausible: Callable[[], dict[str, Any]] | None = None,
    contact_ids_unique: bool = False,
    shared_ids: Callable[[], ir.Column] | None = None,
    open_since: Callable[[], datetime | None] | None = None,
) -> tuple[list[CheckResult], dict[str, pd.DataFrame]]:
    """Evaluate every suite whose table is present. Returns (results, daily frames per table).

    ``identifiers`` (the engagement's customer ids, hashed) keeps sample values that are
    customer ids out of the findings; e-mail addresses, phone and card numbers are always
    replaced by their kind. ``implausible`` gives the implausible-id counts of the period's
    contacts when the caller has them (a session counts them once for readiness and the
    diagnostics); without it they are counted here. ``contact_ids_unique`` says that no two
    contacts share an id by construction: the rows naming a shared id are then not looked for;
    else ``shared_ids`` gives the shared ids when the caller has them (a session finds them
    once, for itself too), and without it each suite's links group the period's contacts.
    ``open_since`` gives the instant from which a contact without an end is open when the caller
    has it (a session reads it once for the diagnostics too); without it it is computed here.
    """
    blocking = set(rules_config.get("blocking_severities", ["critical"]))
    contacts = inputs["contacts"].table if "contacts" in inputs else None
    if implausible is None and contacts is not None:
        # one grouping by customer id for every check of the ids (a session passes its own)
        implausible = functools.cache(lambda: _customer_summary(engagement, contacts))
    since = None
    if contacts is not None and {"arrived_at", "ended_at"} <= inputs["contacts"].mapped:
        since = (open_since() if open_since is not None
                 else resolution.open_since(contacts, engagement.readiness.open_within_hours))
    ctx = _Context(engagement, contacts, now or datetime.now(timezone.utc), identifiers, implausible,
                   contact_ids_unique, shared_ids, since)
    results: list[CheckResult] = []
    daily: dict[str, pd.DataFrame] = {}
    for name, suite in suites.items():
        if name not in inputs:
            continue
        ti = inputs[name]
        rules = list(suite.rules)
        skipped = {r.id: _unavailable(r, ti.mapped, inputs["contacts"].mapped if contacts is not None else None)
                   for r in rules}
        out: dict[str, CheckResult] = {}
        for r in rules:
            if skipped[r.id] and not r.type.startswith("cxkit_loader"):
                out[r.id] = _result(r, blocking, None, None, skipped[r.id])
        # rows batch: all GE expectations in one scan (plus one query per uniqueness check)
        row_rules = [r for r in rules if r.is_ge and r.batch == "rows" and r.id not in out]
        if row_rules:
            batch = rows_batch(ti.table, row_rules, ctx)
            coded = {c.name for c in TABLES[name].columns if c.values} | {"interval_minutes"}
            for r, res in zip(row_rules, validator.evaluate(batch, [r.to_ge() for r in row_rules], coded=coded, base=ti.table,
                                                          unique=ti.unique), strict=True):
                _redact_samples(res["result"], identifiers)
                out[r.id] = _result(r, blocking, res["success"], res["result"])
        # calendar: rows per UTC hour, once; the daily frame of every table (coverage, the chart)
        time_col = TABLES[name].time_column
        if time_col in ti.mapped:
            hourly = hourly_profile(ti.table, time_col, engagement.timezone)
            profiles: dict[str, pd.DataFrame] = {time_col: hourly}
            frame = daily_frame(hourly, engagement)
            daily[name] = frame
            day_rules = [r for r in rules if r.id not in out and r.batch == "daily"]
            if day_rules:
                mem = ibis.memtable(frame)
                for r, res in zip(day_rules, validator.evaluate(mem, [r.to_ge() for r in day_rules]), strict=True):
                    out[r.id] = _daily_result(r, blocking, res, frame)
            for r in rules:
                if r.id in out:
                    continue
                if r.type not in ("cxkit_hour_profile_shift", "cxkit_business_hours_profile", "cxkit_one_hour"):
                    continue
                if r.type == "cxkit_business_hours_profile" and not engagement.readiness.business_hours:
                    out[r.id] = _result(r, blocking, None, None, "set readiness.business_hours in the engagement to run it")
                    continue
                # the profile of the rule's own column (answered_at: agents keep opening hours,
                # bots and inboxes take contacts around the clock), computed once per column
                column = r.kwargs.get("column", time_col)
                if column not in ti.mapped:
                    out[r.id] = _result(r, blocking, None, None, f"{column} is not in the export")
                    continue
                if column not in profiles:
                    profiles[column] = hourly if column == time_col else hourly_profile(ti.table, column, engagement.timezone)
                check = {"cxkit_hour_profile_shift": _hour_shift_check, "cxkit_one_hour": _one_hour_check}.get(
                    r.type, _business_hours_check)
                res = check(r, profiles[column], ctx)
                out[r.id] = _result(r, blocking, res["success"], res["result"], res.get("note"))
        for r in rules:
            if r.type != "cxkit_key_parts" or r.id in out:
                continue
            if ti.report is None:
                out[r.id] = _result(r, blocking, None, None, "no load report (table not loaded from a source)")
                continue
            res = _key_parts_check(r, ti.report)
            # a key mapped from one column is the export's own id: the uniqueness check covers it
            out[r.id] = (_result(r, blocking, True, {"values": "the key is one column of the export"}) if res is None
                         else _result(r, blocking, res["success"], res["result"]))
        judged: dict[str, Any] | None = None
        for r in rules:
            if r.id not in out and r.type == "cxkit_judged":
                judged = judged or _judged_counts(ti.table, ctx)
                res = _judged_check(r, judged)
                out[r.id] = _result(r, blocking, res["success"], res["result"], res.get("note"))
        for r in rules:
            if r.id not in out and r.type == "cxkit_data_end":
                res = _data_end_check(r, ti.table, ctx)
                column = r.kwargs.get("column", "arrived_at")
                note = None if res["success"] is not None else f"no {ROW_NOUNS[r.table]} have {column}"
                out[r.id] = _result(r, blocking, res["success"], res["result"], note)
        loader_rules = [r for r in rules if r.type.startswith("cxkit_loader")]
        if loader_rules:
            counts = ti.report.counts() if ti.report is not None else None
            for r in loader_rules:
                if counts is None:
                    out[r.id] = _result(r, blocking, None, None, "no load report (table not loaded from a source)")
                else:
                    res = _loader_check(r, counts, identifiers)
                    out[r.id] = _result(r, blocking, res["success"], res["result"])
                    if r.meta.get("diagnostics_from") == "columns":
                        failing = list(res["result"].get("details", {}).get("columns", {}))
                        out[r.id].diagnostics = _diagnostics_of(name, failing)
        # the checks of the customer ids: one grouping of the period's contacts by id, and one sort
        # of them; the writings of numbers are read from the ids as exported
        by_customer = {"cxkit_implausible_customers": _implausible_customer_check,
                       "cxkit_customers_recur": _customers_recur_check,
                       "cxkit_back_to_back": _back_to_back_check}
        for r in rules:
            if r.id in out or (r.type not in by_customer and r.type != "cxkit_number_writings"):
                continue
            if "customer_id" not in ti.mapped or "arrived_at" not in ti.mapped:
                out[r.id] = _result(r, blocking, None, None, "customer_id is not in the export")
            elif r.type == "cxkit_number_writings":
                # the ids as exported, before their pseudonyms; a table handed to readiness
                # without an export behind it is read as it holds them
                ids = ti.table.select("customer_id") if ti.report is None else ti.report.identifier_table()
                if ids is None:
                    out[r.id] = _result(r, blocking, None, None, "the ids as exported are not available (customer_id "
                                        "is derived from other canonical columns)")
                else:
                    res = _number_writings_check(r, ids)
                    out[r.id] = _result(r, blocking, res["success"], res["result"])
            elif r.type == "cxkit_back_to_back" and "ended_at" not in ti.mapped:
                out[r.id] = _result(r, blocking, None, None, "ended_at is not in the export: a contact that starts "
                                    "as the customer's previous one ends cannot be seen")
            else:
                res = by_customer[r.type](r, ti.table, ctx)
                out[r.id] = _result(r, blocking, res["success"], res["result"], res.get("note"))
        for r in rules:
            if r.type == "cxkit_abandons" and r.id not in out:
                missing = [c for c in ("outcome", "channel", "direction") if c not in ti.mapped]
                if missing:
                    verb = "is" if len(missing) == 1 else "are"
                    out[r.id] = _result(r, blocking, None, None, f"{', '.join(missing)} {verb} not in the export")
                else:
                    res = _abandons_check(r, ti.table, ctx)
                    out[r.id] = _result(r, blocking, res["success"], res["result"], res.get("note"))
        for r in rules:
            if r.type == "cxkit_scale_top" and r.id not in out:
                res = _scale_top_check(r, ti.table)
                out[r.id] = _result(r, blocking, res["success"], res["result"], res.get("note"))
        for r in rules:
            if r.type == "cxkit_callbacks_direction" and r.id not in out:
                res = _callbacks_direction_check(r, ti.table, ctx)
                out[r.id] = _result(r, blocking, res["success"], res["result"], res.get("note"))
        for r in rules:
            if r.type == "cxkit_scale_direction" and r.id not in out:
                res = _scale_direction_check(r, ti.table, ti.mapped)
                out[r.id] = _result(r, blocking, res["success"], res["result"], res.get("note"))
        for r in rules:
            if r.type == "cxkit_intervals_spacing" and r.id not in out:
                res = _intervals_spacing_check(r, _interval_spacing(ti.table))
                out[r.id] = _result(r, blocking, res["success"], res["result"], res.get("note"))
        wfm_checks = {"cxkit_intervals_cover_contacts": _intervals_cover_check,
                      "cxkit_intervals_aligned": _intervals_aligned_check,
                      "cxkit_intervals_volume": _intervals_volume_check}
        cover: dict[str, Any] | None = None
        for r in rules:
            if r.type in wfm_checks and r.id not in out:
                needed = ("queue", "arrived_at", "direction")
                if contacts is None or not all(c in inputs["contacts"].mapped for c in needed):
                    out[r.id] = _result(r, blocking, None, None, "the contacts have no queue, arrival or direction")
                    continue
                cover = cover or _wfm_coverage(ti.table, ctx)
                res = wfm_checks[r.type](r, cover)
                out[r.id] = _result(r, blocking, res["success"], res["result"], res.get("note"))
        failed = {r.type: out[r.id] for r in rules if r.id in out and out[r.id].status == "fail"}
        spaced, moved = failed.get("cxkit_intervals_spacing"), failed.get("cxkit_intervals_aligned")
        for r in rules:
            if r.type not in ("cxkit_intervals_cover_contacts", "cxkit_intervals_volume") or failed.get(r.type) is None:
                continue
            if spaced is not None:
                # rows read at another length than theirs: seen as missing intervals and as other volumes
                out[r.id].consequence = (f"the WFM intervals may be read at another length than theirs "
                                         f"({spaced.finding}): {spaced.consequence}")
            elif moved is not None and r.type == "cxkit_intervals_cover_contacts":
                # the intervals are in the export, at another time: the fix is the alignment's
                out[r.id].consequence = (f"these intervals may be in the export at another time ({moved.finding}): "
                                         f"{moved.consequence}")
        for r in rules:
            results.append(out.get(r.id) or _result(r, blocking, None, None, f"cxkit has no evaluator for {r.type}"))
    return results, daily
