"""Operational metrics of the contact center: AHT, ASA, service level, abandonment, IVR
hang-ups, containment and transfer rate, as lazy ibis tables (METRICS.md, "Operations").

Populations, as METRICS.md fixes them:

* **handled** contacts of every direction (callbacks and outbound calls are agent work) carry
  AHT and transfer rate;
* **offered to queue** = inbound contacts that entered an agent queue carry ASA, service level
  and abandonment. ``queued`` is read from the data; when it is null it is derived as
  "answered, or waited more than zero seconds";
* an inbound contact that was abandoned without ever being queued is an **IVR hang-up**: it is
  counted on its own and never enters the abandon rate;
* **IVR/bot entries** (inbound contacts with ``ivr_s > 0``, any channel) carry the IVR hang-up
  rate and containment (a contact contained by the IVR or a bot usually keeps its media
  channel, so containment is not read from the ``self_service`` channel). Where the export
  has no IVR/bot seconds, both rates are not measured (null), never 0.

A negative duration is an export error: readiness reports it, these metrics read it as zero.
Every rate carries its numerator, denominator and a 95% Wilson interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from cxkit.stats import wilson_interval

__all__ = [
    "DEFAULT_SL_SECONDS",
    "ALL",
    "queue_flags",
    "handled_flag",
    "offered_flag",
    "aht",
    "asa",
    "service_level",
    "abandonment",
    "ivr_hangups",
    "containment",
    "transfer_rate",
    "operations_summary",
    "queue_profile",
]

#: Service-level thresholds per channel (seconds); "default" covers unlisted channels.
#: Same defaults as the engagement configuration (``operations.sl_seconds``).
DEFAULT_SL_SECONDS: Mapping[str, float] = {
    "default": 20,
    "voice": 20,
    "chat": 60,
    "messaging": 3600,
    "email": 86400,
    "social": 3600,
}

#: Label of the all-segments row that ``by=...`` tables carry when ``overall=True``.
ALL = "all"

_NOT_RECORDED = "(not recorded)"


# --------------------------------------------------------------------------------------------
# shared helpers (also used by cxkit.resolution)
# --------------------------------------------------------------------------------------------


def _as_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _with_rate(
    t: ir.Table, num: str = "numerator", den: str = "denominator", prefix: str = ""
) -> ir.Table:
    """Add ``rate``, ``ci_low``, ``ci_high`` (95% Wilson) for ``num / den``; null when den == 0."""
    lo, hi = wilson_interval(t[num], t[den])
    rate = ibis.ifelse(
        t[den] > 0, t[num].cast("float64") / t[den].cast("float64"), ibis.null("float64")
    )
    return t.mutate(**{f"{prefix}rate": rate, f"{prefix}ci_low": lo, f"{prefix}ci_high": hi})


def _label_segments(t: ir.Table, by: Sequence[str]) -> ir.Table:
    """Null segment labels become '(not recorded)' so that they group, join and display."""
    fixes = {c: t[c].fill_null(_NOT_RECORDED) for c in by if t.schema()[c].is_string()}
    return t.mutate(**fixes) if fixes else t


def _grouped(
    t: ir.Table,
    by: Sequence[str],
    overall: bool,
    medians: Mapping[str, str] | None = None,
    **metrics: Any,
) -> ir.Table:
    """Aggregate ``metrics`` per ``by`` segment, plus an ``all`` row when ``overall``.

    ``metrics`` are deferred expressions (``ibis._``) so that they can be evaluated both on
    the grouped and on the whole table. ``medians`` maps output names to columns whose exact
    median is wanted (see :func:`_median`).
    """
    if by:
        t = _label_segments(t, by)
    if not by or not overall:
        return _aggregate_with_medians(t, list(by), medians or {}, metrics)
    if not all(t.schema()[c].is_string() for c in by):
        raise TypeError(f"overall=True needs string segment columns; got {by}")
    # the segments and the whole from one read: each row counted twice, once in its segment
    # and once in the whole, whose key is null (a label never is: _label_segments). The
    # metrics still read the segment columns as they are (the distinct channels of the whole).
    # A union of the two aggregates read and computed every row twice: at 10 million
    # contacts the queue and handling figures by channel took 2.0-2.2 s this way against 2.9-3.0 s
    # (2026-12-05), the same rows
    keys = {c: f"_cx_segment_{c}" for c in by}
    rows = t.mutate(_cx_whole=ibis.array([False, True])).unnest("_cx_whole")
    rows = rows.mutate(**{k: ibis.ifelse(rows._cx_whole, ibis.null("string"), rows[c]) for c, k in keys.items()})
    out = _aggregate_with_medians(rows, list(keys.values()), medians or {}, metrics)
    return out.rename({c: k for c, k in keys.items()}).mutate(**{c: ibis._[c].fill_null(ALL) for c in by})


def _aggregate_with_medians(
    t: ir.Table, by: list[str], medians: Mapping[str, str], metrics: Mapping[str, Any]
) -> ir.Table:
    from cxkit.connection import has_exact_median

    if has_exact_median(t):
        # the engine's median is one more aggregate of the same grouping (it leaves nulls out,
        # as :func:`_median` does): no second read of ``t`` and no join. At 10 million contacts
        # each agent's handle time and FCR (a median per agent) took 1.2-1.4 s against 2.2-2.8 s
        # with the medians read and joined apart (2026-12-05)
        metrics = {**metrics, **{name: t[column].median() for name, column in medians.items()}}
        return t.aggregate(by=by, **metrics) if by else t.aggregate(**metrics)
    out = t.aggregate(by=by, **metrics) if by else t.aggregate(**metrics)
    for name, column in medians.items():
        med = _median(t, column, by, name)
        if by:
            out = out.left_join(med, [out[c] == med[f"_m_{c}"] for c in by]).drop(
                *[f"_m_{c}" for c in by]
            )
        else:
            out = out.cross_join(med)
    return out


def _median(t: ir.Table, column: str, by: Sequence[str], name: str, *, aggregate: bool | None = None) -> ir.Table:
    """Exact median of ``column`` per ``by``: one row per segment with a non-null value; the
    mean of the two middle values when the count is even.

    Where the engine's median aggregate is exact (:func:`cxkit.connection.has_exact_median`:
    DuckDB, Spark) it is used: each partition aggregates its own rows. Elsewhere (unbound
    expressions, BigQuery, whose ibis compiler has no exact median) the portable form ranks
    the values with window functions; without ``by`` that window has no partition, which Spark
    runs on one task ("No Partition Defined for Window"). ``aggregate`` forces a form (tests).
    """
    from cxkit.connection import has_exact_median

    v = t.filter(t[column].notnull())
    keys = {f"_m_{c}": v[c] for c in by}
    if aggregate if aggregate is not None else has_exact_median(t):
        median = {name: v[column].median()}
        return v.group_by(keys).aggregate(**median) if keys else v.aggregate(**median)
    part = list(by) or None
    v = v.mutate(
        _rn=ibis.row_number().over(ibis.window(group_by=part, order_by=v[column])),
        _cnt=v[column].count().over(ibis.window(group_by=part)),
    )
    mid = v.filter((v._rn == (v._cnt - 1) // 2) | (v._rn == v._cnt // 2))
    keys = {f"_m_{c}": mid[c] for c in by}
    if keys:
        return mid.group_by(keys).aggregate(**{name: mid[column].mean()})
    return mid.aggregate(**{name: mid[column].mean()})


def _nonneg(x: ir.NumericValue) -> ir.NumericValue:
    """A duration with negative values read as zero (nulls stay null)."""
    return ibis.ifelse(x < 0, 0.0, x.cast("float64"))


def _sl_threshold(channel: ir.StringValue, sl_seconds: Mapping[str, float]) -> ir.FloatingValue:
    if "default" not in sl_seconds:
        raise ValueError(
            f"sl_seconds needs a 'default' key for channels it does not list; got {dict(sl_seconds)}"
        )
    default = ibis.literal(float(sl_seconds["default"]))
    branches = [(channel == ch, float(s)) for ch, s in sl_seconds.items() if ch != "default"]
    if not branches:
        return default
    return ibis.cases(*branches, else_=default)


# --------------------------------------------------------------------------------------------
# per-contact flags
# --------------------------------------------------------------------------------------------


def handled_flag(contacts: ir.Table) -> ir.BooleanValue:
    """Whether each contact is handled (outcome handled, any direction): the contacts AHT and
    the transfer rate cover."""
    return (contacts.outcome == "handled").fill_null(False)


def _queued(contacts: ir.Table) -> ir.BooleanValue:
    """``queued`` as the export gives it; where it is null, answered or waited more than zero seconds."""
    t = contacts
    return t.queued.fill_null(t.answered_at.notnull() | (_nonneg(t.wait_s).fill_null(0.0) > 0))


def offered_flag(contacts: ir.Table) -> ir.BooleanValue:
    """Whether each contact was offered to a queue (inbound and queued): the contacts ASA,
    service level and abandonment cover."""
    return ((contacts.direction == "inbound") & _queued(contacts)).fill_null(False)


def queue_flags(
    contacts: ir.Table,
    *,
    sl_seconds: Mapping[str, float] = DEFAULT_SL_SECONDS,
    short_abandon_s: float = 5,
) -> ir.Table:
    """The contacts with the operational flags every metric here counts.

    Added columns: ``handled`` (outcome handled, any direction), ``handle_s`` (talk + hold +
    ACW, negatives read as zero, null when talk is unknown), ``transferred``, ``offered``
    (inbound and queued), ``answered`` (offered and answered: ``answered_at`` set or outcome
    handled), ``queue_wait_s`` (wait, negatives as zero; null where the export has none),
    ``sl_threshold_s``, ``answered_in_sl`` (answered, ``wait_s <= threshold``), ``abandoned``
    (offered, not answered, outcome abandoned), ``short_abandon`` (abandoned at or before
    ``short_abandon_s``), ``long_abandon``, ``sl_judged`` (what service level is over: answered
    with a known wait, or a long abandon), ``ivr_hangup`` (inbound, abandoned, never queued),
    ``ivr_entry`` (inbound, ``ivr_s > 0``) and ``contained`` (an IVR/bot entry with outcome
    contained).

    A null wait is not measured, not 0 s (METRICS.md, "absent is not zero"): an answered contact
    of unknown wait is in neither term of the service level nor in the speed of answer, and an
    abandon of unknown wait is not shown to be short, so it counts as abandoned after
    ``short_abandon_s`` (in the abandon rate and the service level's denominator).

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> t = canonical_memtable("contacts", [
    ...     {"contact_id": "a", "direction": "inbound", "channel": "voice", "outcome": "handled",
    ...      "queued": True, "wait_s": 20.0, "answered_at": "2026-03-02 09:00:20"},
    ...     {"contact_id": "b", "direction": "inbound", "channel": "voice", "outcome": "abandoned",
    ...      "queued": True, "wait_s": 5.0},
    ...     {"contact_id": "c", "direction": "inbound", "channel": "voice", "outcome": "abandoned",
    ...      "queued": False}])
    >>> f = queue_flags(t).order_by("contact_id").execute()
    >>> f[["answered_in_sl", "short_abandon", "ivr_hangup"]].values.tolist()
    [[True, False, False], [False, True, False], [False, False, True]]
    >>> t = canonical_memtable("contacts", [   # waits the export does not give
    ...     {"contact_id": "d", "direction": "inbound", "channel": "voice", "outcome": "handled",
    ...      "queued": True, "wait_s": None, "answered_at": "2026-03-02 09:00:20"},
    ...     {"contact_id": "e", "direction": "inbound", "channel": "voice", "outcome": "abandoned",
    ...      "queued": True, "wait_s": None}])
    >>> f = queue_flags(t).order_by("contact_id").execute()
    >>> f[["answered", "answered_in_sl", "long_abandon", "sl_judged"]].values.tolist()
    [[True, False, False, False], [False, False, True, True]]
    """
    t = contacts
    inbound = t.direction == "inbound"
    wait = _nonneg(t.wait_s)  # null: not measured
    queued = _queued(t)
    handled = handled_flag(t)
    offered = offered_flag(t)
    answered = offered & (t.answered_at.notnull() | handled)
    abandoned = offered & ~answered & (t.outcome == "abandoned").fill_null(False)
    short = abandoned & (wait <= short_abandon_s).fill_null(False)
    threshold = _sl_threshold(t.channel, sl_seconds)
    handle = (
        _nonneg(t.talk_s)
        + _nonneg(t.hold_s).fill_null(0.0)
        + _nonneg(t.acw_s).fill_null(0.0)
    )
    # METRICS.md: the IVR hang-up rate and containment are over contacts that entered the IVR
    # or a bot; a null ivr_s (not measured) is not an entry
    ivr_entry = (inbound & (t.ivr_s > 0)).fill_null(False)
    return t.mutate(
        handled=handled,
        handle_s=ibis.ifelse(handled, handle, ibis.null("float64")),
        transferred=handled & (t.transfers.fill_null(0) >= 1),
        offered=offered,
        answered=answered,
        queue_wait_s=wait,
        sl_threshold_s=threshold,
        answered_in_sl=answered & (wait <= threshold).fill_null(False),
        abandoned=abandoned,
        short_abandon=short,
        long_abandon=abandoned & ~short,
        sl_judged=(answered & wait.notnull()) | (abandoned & ~short),
        ivr_hangup=(inbound & ~queued & (t.outcome == "abandoned")).fill_null(False),
        ivr_entry=ivr_entry,
        contained=ivr_entry & (t.outcome == "contained").fill_null(False),
    )


# --------------------------------------------------------------------------------------------
# metrics
# --------------------------------------------------------------------------------------------


def aht(
    contacts: ir.Table, *, by: str | Sequence[str] | None = "channel", overall: bool = True
) -> ir.Table:
    """Average handle time: (talk + hold + ACW) over handled contacts of every direction.

    Returns ``handled``, ``with_handle_time`` (handled contacts whose talk time is known: the
    AHT denominator), ``aht_mean_s``, ``aht_median_s`` and ``handle_hours``, per ``by``
    segment, with an ``all`` row when ``overall``.

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> t = canonical_memtable("contacts", [
    ...     {"contact_id": "a", "channel": "voice", "direction": "inbound", "outcome": "handled",
    ...      "talk_s": 200.0, "hold_s": 30.0, "acw_s": 70.0},
    ...     {"contact_id": "b", "channel": "voice", "direction": "callback", "outcome": "handled",
    ...      "talk_s": 100.0, "hold_s": -5.0, "acw_s": 0.0},
    ...     {"contact_id": "c", "channel": "voice", "direction": "inbound", "outcome": "abandoned"}])
    >>> r = aht(t, by=None).execute()  # (200+30+70 + 100+0+0) / 2
    >>> int(r.handled[0]), float(r.aht_mean_s[0]), float(r.aht_median_s[0])
    (2, 200.0, 200.0)
    """
    f = queue_flags(contacts)
    return _grouped(
        f,
        _as_list(by),
        overall,
        medians={"aht_median_s": "handle_s"},
        handled=ibis._.count(where=ibis._.handled),
        with_handle_time=ibis._.handle_s.count(),
        aht_mean_s=ibis._.handle_s.mean(),
        handle_hours=ibis._.handle_s.sum().fill_null(0.0) / 3600.0,
    )


def asa(
    contacts: ir.Table, *, by: str | Sequence[str] | None = "channel", overall: bool = True
) -> ir.Table:
    """Average speed of answer: mean queue wait of answered inbound queued contacts (those whose
    wait the export gives: an unknown wait is not 0 s).

    Returns ``answered``, ``asa_s`` and ``wait_median_s`` per segment.

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> t = canonical_memtable("contacts", [
    ...     {"contact_id": "a", "direction": "inbound", "channel": "voice", "outcome": "handled",
    ...      "wait_s": 10.0, "answered_at": "2026-03-02 09:00"},
    ...     {"contact_id": "b", "direction": "inbound", "channel": "voice", "outcome": "handled",
    ...      "wait_s": 30.0, "answered_at": "2026-03-02 10:00"}])
    >>> asa(t, by=None).execute()["asa_s"].tolist()
    [20.0]
    """
    f = queue_flags(contacts)
    f = f.mutate(_wait_answered=ibis.ifelse(f.answered, f.queue_wait_s, ibis.null("float64")))
    return _grouped(
        f,
        _as_list(by),
        overall,
        medians={"wait_median_s": "_wait_answered"},
        answered=ibis._.count(where=ibis._.answered),
        asa_s=ibis._._wait_answered.mean(),
    )


def service_level(
    contacts: ir.Table,
    *,
    sl_seconds: Mapping[str, float] = DEFAULT_SL_SECONDS,
    short_abandon_s: float = 5,
    by: str | Sequence[str] | None = "channel",
    overall: bool = True,
) -> ir.Table:
    """Service level: answered within the channel's threshold / (answered + abandoned after
    ``short_abandon_s``).

    A wait exactly at the threshold is within it; an abandon exactly at ``short_abandon_s`` is
    short and leaves the denominator; an answered contact of unknown wait is in neither term
    (:func:`queue_flags`). The overall row mixes each contact's own channel threshold. Returns
    ``numerator`` (answered in SL), ``answered``, ``long_abandons``, ``denominator`` (answered
    with a known wait + long abandons), ``rate``, ``ci_low``, ``ci_high`` and ``sl_threshold_s`` (null on the
    overall row when channels differ).

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> t = canonical_memtable("contacts", [
    ...     {"contact_id": "a", "direction": "inbound", "channel": "voice", "outcome": "handled",
    ...      "wait_s": 20.0, "answered_at": "2026-03-02 09:00"},
    ...     {"contact_id": "b", "direction": "inbound", "channel": "voice", "outcome": "handled",
    ...      "wait_s": 21.0, "answered_at": "2026-03-02 10:00"},
    ...     {"contact_id": "c", "direction": "inbound", "channel": "voice", "outcome": "abandoned",
    ...      "queued": True, "wait_s": 5.0}])
    >>> r = service_level(t, by=None).execute()  # a within 20 s, b not, c a short abandon
    >>> int(r.numerator[0]), int(r.denominator[0]), float(r.rate[0])
    (1, 2, 0.5)
    """
    f = queue_flags(contacts, sl_seconds=sl_seconds, short_abandon_s=short_abandon_s)
    thr = ibis.ifelse(ibis._.offered, ibis._.sl_threshold_s, ibis.null("float64"))
    out = _grouped(
        f,
        _as_list(by),
        overall,
        numerator=ibis._.count(where=ibis._.answered_in_sl),
        answered=ibis._.count(where=ibis._.answered),
        long_abandons=ibis._.count(where=ibis._.long_abandon),
        short_abandons=ibis._.count(where=ibis._.short_abandon),
        denominator=ibis._.count(where=ibis._.sl_judged),
        _thr_min=thr.min(),
        _thr_max=thr.max(),
    )
    out = out.mutate(
        sl_threshold_s=ibis.ifelse(out._thr_min == out._thr_max, out._thr_min, ibis.null("float64")),
    ).drop("_thr_min", "_thr_max")
    return _with_rate(out)


def abandonment(
    contacts: ir.Table,
    *,
    short_abandon_s: float = 5,
    by: str | Sequence[str] | None = "channel",
    overall: bool = True,
) -> ir.Table:
    """Abandon rate: abandoned from queue after ``short_abandon_s`` / offered to queue.

    ``offered`` (the denominator) counts every inbound contact that entered a queue, short
    abandons included: METRICS.md removes short abandons from the numerator only. IVR
    hang-ups (abandoned, never queued) are in their own column and in neither term.

    Returns ``numerator`` (long abandons), ``denominator`` (offered), ``rate``, ``ci_low``,
    ``ci_high``, ``short_abandons``, ``ivr_hangups``.

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> t = canonical_memtable("contacts", [
    ...     {"contact_id": "a", "direction": "inbound", "channel": "voice", "outcome": "abandoned",
    ...      "queued": True, "wait_s": 30.0},
    ...     {"contact_id": "b", "direction": "inbound", "channel": "voice", "outcome": "abandoned",
    ...      "queued": True, "wait_s": 3.0},
    ...     {"contact_id": "c", "direction": "inbound", "channel": "voice", "outcome": "handled",
    ...      "wait_s": 9.0, "answered_at": "2026-03-02 09:00"},
    ...     {"contact_id": "d", "direction": "inbound", "channel": "voice", "outcome": "abandoned",
    ...      "queued": False}])
    >>> r = abandonment(t, by=None).execute()
    >>> r[["numerator", "denominator", "short_abandons", "ivr_hangups"]].values.tolist()
    [[1, 3, 1, 1]]
    """
    f = queue_flags(contacts, short_abandon_s=short_abandon_s)
    out = _grouped(
        f,
        _as_list(by),
        overall,
        numerator=ibis._.count(where=ibis._.long_abandon),
        denominator=ibis._.count(where=ibis._.offered),
        short_abandons=ibis._.count(where=ibis._.short_abandon),
        ivr_hangups=ibis._.count(where=ibis._.ivr_hangup),
    )
    return _with_rate(out)


def abandonment_by_queue(contacts: ir.Table, *, short_abandon_s: float = 5) -> ir.Table:
    """:func:`abandonment` per channel and queue, with each channel's own row (every queue
    pooled, ``queue`` = ``all``) that its queues are compared with.

    The channel's counts are its queues' counts summed (every contact is in one queue of its
    channel, an unrecorded queue under ``(not recorded)``): one read of the contacts, where
    grouping them again by channel read them twice (at 10 million contacts 0.56-0.58 s against
    0.95-1.00 s, 2026-12-05).
    """
    per_queue = abandonment(contacts, by=["channel", "queue"], overall=False, short_abandon_s=short_abandon_s)
    counts = ("numerator", "denominator", "short_abandons", "ivr_hangups")
    pooled = per_queue.group_by("channel").aggregate(**{c: per_queue[c].sum().cast("int64") for c in counts})
    per_channel = _with_rate(pooled).mutate(queue=ibis.literal(ALL))
    return per_queue.union(per_channel.select(*per_queue.columns))


def ivr_hangups(
    contacts: ir.Table, *, by: str | Sequence[str] | None = "channel", overall: bool = True
) -> ir.Table:
    """IVR hang-up rate: inbound contacts abandoned before reaching a queue / inbound contacts
    that entered the IVR or a bot (``ivr_s > 0``), with ``rate`` and Wilson interval.

    Reported apart from the abandon rate. The numerator counts hang-ups among the entries (a
    rate's numerator is part of its denominator); ``hangups_all`` counts every inbound contact
    abandoned before a queue, as :func:`abandonment` does. Without IVR/bot seconds in the
    export the denominator is 0 and the rate is null: not measured.

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> t = canonical_memtable("contacts", [
    ...     {"contact_id": "a", "direction": "inbound", "ivr_s": 30.0, "outcome": "abandoned", "queued": False},
    ...     {"contact_id": "b", "direction": "inbound", "ivr_s": 40.0, "outcome": "handled", "queued": True},
    ...     {"contact_id": "c", "direction": "inbound", "ivr_s": 0.0, "outcome": "handled", "queued": True}])
    >>> r = ivr_hangups(t, by=None).execute()   # a hangs up in the IVR; c never entered it
    >>> int(r.numerator[0]), int(r.denominator[0]), float(r.rate[0])
    (1, 2, 0.5)
    """
    f = queue_flags(contacts)
    out = _grouped(
        f,
        _as_list(by),
        overall,
        numerator=ibis._.count(where=ibis._.ivr_hangup & ibis._.ivr_entry),
        denominator=ibis._.count(where=ibis._.ivr_entry),
        hangups_all=ibis._.count(where=ibis._.ivr_hangup),
    )
    return _with_rate(out)


def containment(
    contacts: ir.Table, *, by: str | Sequence[str] | None = None, overall: bool = True
) -> ir.Table:
    """Containment: inbound contacts with outcome ``contained`` / inbound contacts that entered
    the IVR or a bot (``ivr_s > 0``), in any channel.

    IVR and bot containment usually keep their media channel (a call contained by the IVR is a
    voice contact), so the ``self_service`` channel alone would miss them. A ``deflected`` or
    abandoned entry is not contained. A contained contact whose export holds no IVR/bot seconds
    cannot be told from one that never entered: it is in neither term. Without IVR/bot seconds
    in the export the rate is null: not measured.

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> t = canonical_memtable("contacts", [
    ...     {"contact_id": "v", "channel": "voice", "direction": "inbound", "ivr_s": 50.0, "outcome": "contained"},
    ...     {"contact_id": "b", "channel": "self_service", "direction": "inbound", "ivr_s": 90.0, "outcome": "contained"},
    ...     {"contact_id": "d", "channel": "self_service", "direction": "inbound", "ivr_s": 60.0, "outcome": "deflected"},
    ...     {"contact_id": "h", "channel": "voice", "direction": "inbound", "ivr_s": 20.0, "outcome": "handled"}])
    >>> r = containment(t).execute()
    >>> int(r.numerator[0]), int(r.denominator[0]), float(r.rate[0])
    (2, 4, 0.5)
    """
    f = queue_flags(contacts)
    out = _grouped(
        f,
        _as_list(by),
        overall,
        numerator=ibis._.count(where=ibis._.contained),
        denominator=ibis._.count(where=ibis._.ivr_entry),
    )
    return _with_rate(out)


def transfer_rate(
    contacts: ir.Table, *, by: str | Sequence[str] | None = None, overall: bool = True
) -> ir.Table:
    """Transfer rate: handled contacts (any direction) with at least one transfer / handled.

    A folded contact with ``transfers == 2`` is one transferred contact, not two.

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> t = canonical_memtable("contacts", [
    ...     {"contact_id": "a", "direction": "inbound", "outcome": "handled", "transfers": 2},
    ...     {"contact_id": "b", "direction": "outbound", "outcome": "handled", "transfers": 0},
    ...     {"contact_id": "c", "direction": "inbound", "outcome": "abandoned", "transfers": 1}])
    >>> r = transfer_rate(t).execute()
    >>> int(r.numerator[0]), int(r.denominator[0]), float(r.rate[0])
    (1, 2, 0.5)
    """
    f = queue_flags(contacts)
    out = _grouped(
        f,
        _as_list(by),
        overall,
        numerator=ibis._.count(where=ibis._.transferred),
        denominator=ibis._.count(where=ibis._.handled),
    )
    return _with_rate(out)


def operations_summary(
    contacts: ir.Table,
    *,
    sl_seconds: Mapping[str, float] = DEFAULT_SL_SECONDS,
    short_abandon_s: float = 5,
    by: str = "channel",
    overall: bool = True,
) -> ir.Table:
    """One row per ``by`` segment (plus ``all``): volumes and every operational rate.

    Columns: ``contacts``, ``inbound``, ``offered``, ``answered``, ``asa_s``, ``in_sl``,
    ``sl_judged`` (the service level's denominator: answered with a known wait + long abandons),
    ``service_level`` (+ ``sl_threshold_s``), ``abandon_rate``, ``short_abandons``,
    ``ivr_hangups`` (all inbound contacts abandoned before a queue), ``handled``,
    ``aht_mean_s``, ``aht_median_s``, ``transfer_rate``, ``ivr_entries`` (inbound contacts
    with ``ivr_s > 0``), ``ivr_hangup_rate`` (hang-ups among them) and ``containment``
    (contained among them). Rates are null where their denominator is 0.
    ``asa_s`` is null for a segment that mixes channels (such as ``all``): a mean of phone
    waits and inbox response times describes neither.
    """
    _ = ibis._
    f = queue_flags(contacts, sl_seconds=sl_seconds, short_abandon_s=short_abandon_s)
    thr = ibis.ifelse(_.offered, _.sl_threshold_s, ibis.null("float64"))
    out = _grouped(
        f,
        _as_list(by),
        overall,
        medians={"aht_median_s": "handle_s"},
        contacts=_.count(),
        inbound=_.count(where=(_.direction == "inbound").fill_null(False)),
        offered=_.count(where=_.offered),
        answered=_.count(where=_.answered),
        in_sl=_.count(where=_.answered_in_sl),
        long_abandons=_.count(where=_.long_abandon),
        short_abandons=_.count(where=_.short_abandon),
        sl_judged=_.count(where=_.sl_judged),
        ivr_hangups=_.count(where=_.ivr_hangup),
        asa_s=ibis.ifelse(_.answered, _.queue_wait_s, ibis.null("float64")).mean(),
        handled=_.count(where=_.handled),
        aht_mean_s=_.handle_s.mean(),
        transferred=_.count(where=_.transferred),
        ivr_entries=_.count(where=_.ivr_entry),
        ivr_entry_hangups=_.count(where=_.ivr_hangup & _.ivr_entry),
        contained=_.count(where=_.contained),
        _thr_min=thr.min(),
        _thr_max=thr.max(),
        _channels=ibis.ifelse(_.answered, _.channel, ibis.null("string")).nunique(),
    )

    def ratio(num: ir.IntegerValue, den: ir.IntegerValue) -> ir.FloatingValue:
        return ibis.ifelse(den > 0, num.cast("float64") / den.cast("float64"), ibis.null("float64"))

    return out.mutate(
        service_level=ratio(out.in_sl, out.sl_judged),
        sl_threshold_s=ibis.ifelse(out._thr_min == out._thr_max, out._thr_min, ibis.null("float64")),
        abandon_rate=ratio(out.long_abandons, out.offered),
        transfer_rate=ratio(out.transferred, out.handled),
        ivr_hangup_rate=ratio(out.ivr_entry_hangups, out.ivr_entries),
        containment=ratio(out.contained, out.ivr_entries),
        asa_s=ibis.ifelse(out._channels <= 1, out.asa_s, ibis.null("float64")),
    ).drop("_thr_min", "_thr_max", "_channels", "ivr_entry_hangups")


def queue_profile(
    contacts: ir.Table,
    *,
    freq: Literal["D", "h", "W"] = "D",
    sl_seconds: Mapping[str, float] = DEFAULT_SL_SECONDS,
    short_abandon_s: float = 5,
    by: str | Sequence[str] | None = None,
) -> ir.Table:
    """Queue metrics per period of arrival (UTC day ``"D"``, hour ``"h"`` or week ``"W"``).

    Columns: ``period_start``, ``offered``, ``answered``, ``long_abandons``,
    ``service_level``, ``abandon_rate``, ``asa_s``, ordered by period.
    """
    _ = ibis._
    f = queue_flags(contacts, sl_seconds=sl_seconds, short_abandon_s=short_abandon_s)
    f = f.filter(f.offered).mutate(period_start=f.arrived_at.truncate(freq))
    keys = ["period_start", *_as_list(by)]
    out = _grouped(
        f,
        keys,
        False,
        offered=_.count(),
        answered=_.count(where=_.answered),
        in_sl=_.count(where=_.answered_in_sl),
        long_abandons=_.count(where=_.long_abandon),
        _sl_judged=_.count(where=_.sl_judged),
        asa_s=ibis.ifelse(_.answered, _.queue_wait_s, ibis.null("float64")).mean(),
    )
    den = out._sl_judged
    return out.mutate(
        service_level=ibis.ifelse(den > 0, out.in_sl.cast("float64") / den, ibis.null("float64")),
        abandon_rate=out.long_abandons.cast("float64") / out.offered,
    ).drop("_sl_judged").order_by(keys)
