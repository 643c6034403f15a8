"""Resolution: repeat contacts, first-contact resolution by every definition, right-censoring,
window sensitivity, breakdowns, the handle-time trap and transfers (METRICS.md, "Resolution").

Everything here is a lazy ibis expression over canonical tables; nothing executes except
:func:`end_of_data` and :func:`start_of_data` (scalars) and :func:`aht_fcr_rank_correlation` (a
small aggregate), named as the reporting edge.

How repeats are paired
----------------------
Contact L is a **repeat** of contact E when both are inbound, from the same identified
customer, L is not E, ``E.arrived_at < L.arrived_at`` and
``0 <= L.arrived_at - E.ended_at <= window`` (both ends inclusive; a window of N days is
exactly N x 86,400 s). L may be in any channel and have any outcome; outbound and callback
contacts are never repeats nor earlier contacts; overlapping contacts are never repeats of
each other.

Instead of a self-join (quadratic for heavy customers), every identified inbound contact
emits two events, its end and its arrival, and one window pass per customer finds for each
end the first arrival at or after it (``next_inbound_at``) and for each arrival the latest end
at or before it (``prev_inbound_end_at``). At equal instants events are ordered
``end of a contact with positive duration < arrival < end of a zero-duration contact``: an
arrival exactly at an earlier contact's end is a repeat of it (the inclusive lower bound), but
two contacts arriving at the same instant are never repeats of each other (neither is later).
This order is exactly the pairing rule above, so the window result equals the self-join's, and
it does not depend on the window: a sensitivity table over five windows is one pass.

An ``ended_at`` that is null or earlier than ``arrived_at`` (an export error that readiness
reports) is read as ``arrived_at``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pandas as pd

from cxkit.customers import identified
from cxkit.grouping import split_by_group_size
from cxkit.operations import _as_list, _grouped, _label_segments, _with_rate, queue_flags
from cxkit.stats import wilson_interval

__all__ = [
    "DEFAULT_WINDOWS",
    "DEFAULT_RECONTACT_BINS_H",
    "end_of_data",
    "effective_end",
    "open_since",
    "still_open",
    "without_open_handle_times",
    "start_of_data",
    "repeat_flags",
    "fcr_repeat",
    "fcr_transfer_adjusted",
    "fcr_case",
    "fcr_customer_reported",
    "fcr_headline",
    "repeat_share",
    "fcr_sensitivity",
    "time_to_recontact",
    "recontact_curve",
    "fcr_breakdown",
    "fcr_weekly_trend",
    "recontact_frame",
    "aht_vs_fcr",
    "aht_fcr_rank_correlation",
    "DEFAULT_TRAP_AHT_RATIO",
    "DEFAULT_TRAP_FCR_GAP",
    "DEFAULT_TRAP_MIN_PEERS",
    "aht_vs_fcr_within_team",
    "aht_fcr_rank_correlations",
    "handle_time_trap_cards",
    "repeat_after_transfer",
    "transfer_ping_pong",
    "transfer_chains",
    "RESOLUTION_DIAGNOSTICS",
    "readiness_caveats",
]

#: FCR sensitivity windows, in days (METRICS.md).
DEFAULT_WINDOWS: tuple[float, ...] = (1, 3, 7, 14, 30)

#: Upper edges (hours) of the time-to-recontact histogram; bins are ``(previous, edge]``,
#: the first ``[0, 1]``, so the cumulative share at an edge reads "recontact within X".
DEFAULT_RECONTACT_BINS_H: tuple[float, ...] = (1, 4, 12, 24, 48, 72, 120, 168, 240, 336, 504, 720)

_TS = "timestamp('UTC')"
_ANY, _SAME = "any reason", "same reason"


# --------------------------------------------------------------------------------------------
# end of data
# --------------------------------------------------------------------------------------------


def effective_end(contacts: ir.Table) -> ir.TimestampValue:
    """Each contact's effective end (METRICS.md): ``ended_at``, or the arrival when the end is
    absent or earlier than it, in the arrival's timestamp type (sources differ in precision:
    scale 6, 9, none). The pairing, the judged-contact count of readiness and its check of
    contacts that start as the previous one ends read this one definition."""
    end = contacts.ended_at.fill_null(contacts.arrived_at)
    return ibis.ifelse(end < contacts.arrived_at, contacts.arrived_at, end).cast(contacts.arrived_at.type())


def end_of_data(contacts: ir.Table, period_end: datetime | date | None = None) -> datetime:
    """The end of data per METRICS.md: the latest ``arrived_at`` in ``contacts``, never later
    than the period end.

    A repeat can be seen only up to the last arrival, so a period that runs past the data must
    not judge the unobserved days as resolved. ``contacts`` is the contacts feed (all of it, not
    only the period: the cap does the rest). ``period_end`` may be an aware datetime (the end
    instant, e.g. ``Engagement.period_end_utc``), a naive datetime (read as UTC) or a date (the
    period's last day, inclusive: its end is the next UTC midnight). The latest arrival is
    executed (a scalar: the reporting edge).

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> t = canonical_memtable("contacts", [{"contact_id": "a", "arrived_at": "2026-03-02 09:00"},
    ...                                     {"contact_id": "b", "arrived_at": "2026-03-05 17:30"}])
    >>> end_of_data(t)
    datetime.datetime(2026, 3, 5, 17, 30, tzinfo=datetime.timezone.utc)
    >>> end_of_data(t, date(2026, 3, 31))   # the period runs past the data: the data's end
    datetime.datetime(2026, 3, 5, 17, 30, tzinfo=datetime.timezone.utc)
    >>> end_of_data(t, date(2026, 3, 3))    # the data runs past the period: the period's end
    datetime.datetime(2026, 3, 4, 0, 0, tzinfo=datetime.timezone.utc)
    """
    cap = None if period_end is None else _as_instant(period_end)
    latest = _executed_instant(contacts.arrived_at.max())
    if latest is None:
        if cap is not None:
            return cap
        raise ValueError("end_of_data: contacts has no arrived_at values; pass period_end")
    return latest if cap is None else min(latest, cap)


#: the most contacts without an end a feed may have for those near its end to be read as open:
#: a feed in which most ends are missing has an end time it cannot read, not contacts still running
OPEN_MAX_NULL_SHARE = 0.5


def open_since(contacts: ir.Table, within_hours: float) -> datetime | None:
    """The instant from which a contact without an end is **open** (still running when the
    export was taken), or None when no contact of ``contacts`` can be read as open.

    The export's end is its latest time, an arrival or an end (an export pulled mid-month ends
    then, one running past the period ends later); a contact with an arrival and no end that
    arrived at most ``within_hours`` before it is open. A contact without an end that arrived
    earlier, or any contact without an end in a feed where more than ``OPEN_MAX_NULL_SHARE`` of
    them have none, is an end time missing or unreadable (readiness: ``contacts.ended_at.not_null``).
    One aggregate, executed (the reporting edge).

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> t = canonical_memtable("contacts", [
    ...     {"contact_id": "a", "arrived_at": "2026-03-02 09:00", "ended_at": "2026-03-02 09:10"},
    ...     {"contact_id": "b", "arrived_at": "2026-03-05 17:00", "ended_at": "2026-03-05 17:30"},
    ...     {"contact_id": "c", "arrived_at": "2026-03-05 17:20"}])
    >>> open_since(t, 24)   # 24 hours before the last end, 17:30
    datetime.datetime(2026, 3, 4, 17, 30, tzinfo=datetime.timezone.utc)
    >>> t.filter(still_open(t, open_since(t, 24))).contact_id.execute().tolist()
    ['c']
    """
    has_time = contacts.arrived_at.notnull()
    row = contacts.aggregate(
        n=contacts.count(where=has_time),
        ended=contacts.count(where=has_time & contacts.ended_at.notnull()),
        latest_arrival=contacts.arrived_at.max(),
        latest_end=contacts.ended_at.max(),
    ).execute().iloc[0]
    n, ended = int(row["n"] or 0), int(row["ended"] or 0)
    # every contact ended (the usual feed): none is open, and no query reads a test of it
    if not n or ended == n or (n - ended) > OPEN_MAX_NULL_SHARE * n:
        return None
    latest = [t for t in (row["latest_arrival"], row["latest_end"]) if t is not None and not pd.isna(t)]
    end = max(_as_instant(pd.Timestamp(t).to_pydatetime()) for t in latest)
    return end - timedelta(hours=float(within_hours))


def still_open(contacts: ir.Table, since: datetime | None) -> ir.BooleanValue:
    """Whether each contact is open (:func:`open_since`): it has an arrival at or after
    ``since`` and no end. Never null; all False when ``since`` is None."""
    if since is None:
        return ibis.literal(False)
    return (contacts.ended_at.isnull() & (contacts.arrived_at >= since)).fill_null(False)


#: the durations that make up a contact's handle time (METRICS.md: AHT = talk + hold + ACW)
_HANDLE_TIME = ("talk_s", "hold_s", "acw_s")


def without_open_handle_times(contacts: ir.Table, since: datetime | None) -> ir.Table:
    """``contacts`` with the talk, hold and after-contact times of open contacts (:func:`still_open`)
    read as not measured (null): a contact still running when the data was exported has only part
    of its handle time, so AHT, and the prices and hours derived from it, leave it out (it still
    counts as a contact, and as handled when the export says so). ``contacts`` itself when
    ``since`` is None.

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> t = canonical_memtable("contacts", [
    ...     {"contact_id": "a", "arrived_at": "2026-03-05 17:00", "ended_at": "2026-03-05 17:30", "talk_s": 1500.0},
    ...     {"contact_id": "b", "arrived_at": "2026-03-05 17:20", "talk_s": 400.0}])
    >>> without_open_handle_times(t, open_since(t, 24)).order_by("contact_id").talk_s.execute().tolist()
    [1500.0, nan]
    """
    if since is None:
        return contacts
    running = still_open(contacts, since)
    present = [c for c in _HANDLE_TIME if c in contacts.columns]
    return contacts.mutate(**{c: ibis.ifelse(running, ibis.null("float64"), contacts[c].cast("float64"))
                              for c in present})


def start_of_data(contacts: ir.Table, period_start: datetime) -> datetime:
    """The start of data, the end of data's mirror (cxkit's reading; docs/METRICS.md): the
    earliest ``arrived_at`` of ``contacts`` (the period's), never earlier than ``period_start``
    (an aware instant); ``period_start`` when there is none. A contact is seen repeating an
    earlier one only from here: an export that starts after the period does moves the first
    repeat window with it. The earliest arrival is executed (a scalar).

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> t = canonical_memtable("contacts", [{"contact_id": "a", "arrived_at": "2026-03-10 09:00"}])
    >>> start_of_data(t, datetime(2026, 3, 1, tzinfo=timezone.utc))
    datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.timezone.utc)
    """
    earliest = _executed_instant(contacts.arrived_at.min())
    start = _as_instant(period_start)
    return start if earliest is None else max(start, earliest)


def _executed_instant(value: ir.TimestampScalar) -> datetime | None:
    """A timestamp scalar executed, as an aware UTC datetime (a naive one is UTC); None when the
    table has no value (an empty table's extreme is None, NaN or pandas' NaT)."""
    got = value.execute()
    if got is None or pd.isna(got):
        return None
    ts = got.to_pydatetime() if hasattr(got, "to_pydatetime") else got
    return ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts.astimezone(timezone.utc)


def _as_instant(value: datetime | date) -> datetime:
    """A given end of data as a UTC instant: aware datetimes converted, naive ones read as UTC,
    a date read as its last day (the end is the next UTC midnight)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return datetime.combine(value + timedelta(days=1), time(0), tzinfo=timezone.utc)


def _eod_expr(contacts: ir.Table, eod: datetime | date | None) -> ir.TimestampValue:
    """End of data as an ibis value: the given instant, or (lazily) the latest arrival."""
    if eod is None:
        return contacts.arrived_at.max().as_scalar()
    return ibis.literal(_as_instant(eod), type=_TS)


def _window(days: float) -> ir.IntervalValue:
    """A window of ``days`` as an exact number of seconds (DST-proof: instants, not dates)."""
    return ibis.interval(seconds=int(round(float(days) * 86400)))


# --------------------------------------------------------------------------------------------
# the recontact frame (window-independent) and per-window flags
# --------------------------------------------------------------------------------------------


#: The columns repeat pairing reads; metrics project onto these (plus their segments) before
#: pairing so that the window pass sorts narrow rows.
_PAIRING_COLUMNS = (
    "contact_id", "customer_id", "direction", "outcome", "arrived_at", "ended_at",
    "contact_reason", "reason_family", "transfers",
)


#: What :func:`recontact_frame` adds: the window-independent pairing of a customer's contacts.
_PAIRED_COLUMNS = (
    "_end", "reason_key", "next_inbound_at", "next_same_reason_at", "prev_inbound_end_at", "prev_same_reason_end_at",
)


def _narrow(contacts: ir.Table, extra: Iterable[str] = ()) -> ir.Table:
    cols = list(dict.fromkeys([*_PAIRING_COLUMNS, *extra, *_PAIRED_COLUMNS, "identified_inbound"]))
    return contacts.select(*[c for c in cols if c in contacts.columns])


def _is_paired(contacts: ir.Table) -> bool:
    return all(c in contacts.columns for c in _PAIRED_COLUMNS)


def recontact_frame(contacts: ir.Table) -> ir.Table:
    """``contacts`` with the pairing every repeat-based metric needs, computed once.

    Pairing a customer's contacts (the next inbound arrival after each end, the latest end
    before each arrival, for any reason and for the same reason) is the expensive step of
    every repeat-based metric, and it does not depend on the window, the end of data or the
    exclusions. Every function of this module accepts the result in place of the contacts and
    then reuses the pairing instead of redoing it; a run computes it once and caches it
    (:class:`cxkit.results.Inputs`). Results are identical either way (tested).
    """
    f = _recontact_frame(contacts)
    # identified_inbound depends on neither the window nor the exclusions: kept, so that no
    # later metric tests every customer id again; eligible depends on the exclusions
    return f.drop("eligible")


def contact_row_key(t: ir.Table, *, unique_ids: bool) -> dict[str, ir.Value]:
    """The columns that find a contact row of ``t`` in another table of contacts, to select
    under these names on one side of a join (``_cid``, and ``_arr`` unless ``unique_ids``).

    A contact id an export repeats names two contacts: joined by the id alone, each row of the
    one side meets both rows of the other and is counted twice. By id and arrival (in epoch
    seconds: :func:`cxkit.journey.journey_contacts` says why) each keeps its own row. Where
    contact ids are unique by construction (contacts folded from legs, or a contact-grain export
    keyed by its contact id: ``Session.contact_ids_unique``) the id alone is the same join, and
    cheaper.
    """
    key = {"_cid": t.contact_id}
    if not unique_ids:
        key["_arr"] = t.arrived_at.epoch_seconds()
    return key


def shared_contact_ids(t: ir.Table) -> ir.Column:
    """The contact ids that two or more rows of the contacts ``t`` share, for an ``isin``: one
    grouping, and usually no row. (A window counting each id's rows holds every row: at 10
    million contacts of a contact-grain export the journey contacts took 12.7 s and a process of
    3.6 GB that way, 10.7 s and 2.4 GB this way, 2026-12-05.)"""
    named = t.filter(t.contact_id.notnull())
    counts = named.group_by("contact_id").aggregate(_n=named.count())
    return counts.filter(counts._n > 1).contact_id


def same_contact_row(left: ir.Table, right: ir.Table) -> list[ir.BooleanValue]:
    """The join of ``left``'s contacts to ``right``'s rows selected with :func:`contact_row_key`."""
    preds = [left.contact_id == right._cid]
    if "_arr" in right.columns:
        preds.append(left.arrived_at.epoch_seconds() == right._arr)
    return preds


def _eligibility(contacts: ir.Table, exclude_reasons: Iterable[str] = ()) -> ir.Table:
    """``contacts`` plus ``identified_inbound`` (the repeat population) and ``eligible``
    (inbound, handled by an agent, customer identified, reason not excluded)."""
    t = contacts
    excluded = list(exclude_reasons)
    if "identified_inbound" in t.columns:  # paired contacts (recontact_frame) carry it
        pool = t.identified_inbound
    else:
        pool = ((t.direction == "inbound") & identified(t.customer_id)).fill_null(False)
    if excluded:
        # a list entry may name a contact_reason or a whole reason_family
        is_excluded = t.contact_reason.isin(excluded).fill_null(False) | t.reason_family.isin(excluded).fill_null(False)
    else:
        is_excluded = ibis.literal(False)
    eligible = pool & (t.outcome == "handled").fill_null(False) & ~is_excluded
    return t.mutate(identified_inbound=pool, eligible=eligible)


def _recontact_frame(
    contacts: ir.Table,
    exclude_reasons: Iterable[str] = (),
    *,
    forward: bool = True,
    backward: bool = True,
    same_reason: bool = True,
) -> ir.Table:
    """``contacts`` (every row) plus the window-independent pairing columns.

    Added: ``_end`` (effective end), ``reason_key``, ``identified_inbound``, ``eligible``;
    with ``forward``: ``next_inbound_at`` / ``next_same_reason_at`` (first qualifying later
    arrival at or after the end); with ``backward``: ``prev_inbound_end_at`` /
    ``prev_same_reason_end_at`` (latest qualifying earlier end at or before the arrival).
    Columns not asked for are typed nulls; asking only for what a metric needs saves a window
    pass (``same_reason``) or a join (one direction only). Contacts already paired
    (:func:`recontact_frame`) keep their pairing; only the eligibility is recomputed.
    """
    if _is_paired(contacts):
        return _eligibility(contacts, exclude_reasons)
    base = _eligibility(contacts, exclude_reasons)
    # one timestamp type for every event (effective_end: the arrival's)
    ts_type = base.arrived_at.type()
    base = base.mutate(_end=effective_end(base), reason_key=base.reason_family.fill_null(base.contact_reason))
    null_ts = ibis.null(ts_type)
    # the windows sort only the columns the pairing reads, and only the identified inbound
    # contacts: no other contact is paired or pairs (an outbound contact is never a repeat nor
    # an earlier contact; its pairing columns are null either way); the pairs join back to
    # every contact by id and arrival
    keys = base.select("contact_id", "customer_id", "reason_key", "arrived_at", "_end", "identified_inbound")
    keys = keys.filter(keys.identified_inbound)
    # a customer with one such contact has nothing to pair it with (all four columns null):
    # only the contacts of customers with several are sorted (at 10 million contacts, a third
    # of those with a customer id: the narrow pairing took 13 s instead of 20)
    keys, _ = split_by_group_size(keys, ["customer_id"])
    out = base
    if forward and backward:
        p = _paired_both(keys, same_reason)
        p = p.rename(_cid="contact_id", _arr="arrived_at")
        return out.left_join(p, (out.contact_id == p._cid) & (out.arrived_at == p._arr)).drop("_cid", "_arr")
    for direction, wanted, names in (
        ("forward", forward, ("next_inbound_at", "next_same_reason_at")),
        ("backward", backward, ("prev_inbound_end_at", "prev_same_reason_end_at")),
    ):
        if not wanted:
            out = out.mutate(**{n: null_ts for n in names})
            continue
        p = _paired(keys, direction, same_reason)
        p = p.select(_cid=p.contact_id, _arr=p.arrived_at, **{n: p[n] for n in names})
        out = out.left_join(p, (out.contact_id == p._cid) & (out.arrived_at == p._arr)).drop("_cid", "_arr")
    return out


def _paired_both(keys: ir.Table, same_reason: bool) -> ir.Table:
    """Both directions of :func:`_paired` from one sort per partitioning (the customer; the
    customer and reason): one row per ``(contact_id, arrived_at)`` of ``keys`` with the four
    pairing columns.

    Every contact gives two rows in one order: its arrival (order 1) and its end (order 0
    when the contact lasted, 2 when it did not), the ordering of :func:`_paired`. An end row
    takes the first identified inbound arrival at or after it (forward); an arrival row takes
    the latest identified inbound end at or before it (backward). A contact's own arrival
    always sorts before its own end, so it is never paired with itself; an arrival and an end
    never tie (orders 1 against 0 or 2), so the row frames are exact.
    """
    ts_type = keys.arrived_at.type()
    null_ts = ibis.null(ts_type)
    # the two rows of a contact from one read of ``keys`` (an unnest, not a union of two
    # selections): a union reads its input twice, and DuckDB then groups the contacts by
    # customer (which contacts have a customer of several) and joins them once per side. At
    # 10 million contacts the paired table took 16.5-16.6 s instead of 17.3-17.4 s (2026-12-04)
    ev = keys.mutate(_is_end=ibis.array([False, True])).unnest("_is_end")
    inbound = ev.identified_inbound
    ev = ev.select(
        "contact_id", "customer_id", "reason_key", "arrived_at", "identified_inbound", "_is_end",
        _time=ibis.ifelse(ev._is_end, ev._end, ev.arrived_at),
        _order=ibis.ifelse(ev._is_end, ibis.ifelse(ev._end > ev.arrived_at, 0, 2), 1).cast("int8"),
        _arrival=ibis.ifelse(~ev._is_end & inbound, ev.arrived_at, null_ts),
        _ending=ibis.ifelse(ev._is_end & inbound, ev._end, null_ts),
    )
    order = [ev._time, ev._order]

    def pair(group: list) -> tuple[ir.Value, ir.Value]:
        following = ibis.window(group_by=group, order_by=order, preceding=0, following=None)
        preceding = ibis.window(group_by=group, order_by=order, preceding=None, following=0)
        return ev._arrival.min().over(following), ev._ending.max().over(preceding)

    nxt, prev = pair([ev.customer_id])
    values = {
        "next_inbound_at": ibis.ifelse(ev._is_end & ev.identified_inbound, nxt, null_ts),
        "prev_inbound_end_at": ibis.ifelse(~ev._is_end & ev.identified_inbound, prev, null_ts),
    }
    if same_reason:
        nxt_same, prev_same = pair([ev.customer_id, ev.reason_key])
        known = ev.identified_inbound & ev.reason_key.notnull()
        values["next_same_reason_at"] = ibis.ifelse(ev._is_end & known, nxt_same, null_ts)
        values["prev_same_reason_end_at"] = ibis.ifelse(~ev._is_end & known, prev_same, null_ts)
    else:
        values["next_same_reason_at"] = values["prev_same_reason_end_at"] = null_ts
    ev = ev.select("contact_id", "arrived_at", **values)
    # each contact's two rows carry one direction each: one row per contact
    return ev.group_by(["contact_id", "arrived_at"]).aggregate(**{n: ev[n].max() for n in values})


def _paired(base: ir.Table, direction: str, same_reason: bool) -> ir.Table:
    """Every row of ``base`` with the first later arrival (forward) or the latest earlier end
    (backward) among the customer's identified inbound contacts, by one window pass.

    The rows of ``base`` are the carriers of the result: timed at their end (forward) or their
    arrival (backward). The other events (arrivals, resp. ends of identified inbound contacts)
    carry nothing else. Carrying every column through the window avoids joining the result back
    to the contacts.
    """
    ts_type = base.arrived_at.type()
    null_ts = ibis.null(ts_type)
    pool = base.filter(base.identified_inbound)
    # At equal instants: end of a positive-duration contact (0) < arrival (1) < end of a
    # zero-duration contact (2): an arrival exactly at an earlier end is a repeat, two
    # contacts arriving at the same instant are never repeats of each other.
    end_order = lambda t: ibis.ifelse(t._end > t.arrived_at, 0, 2)  # noqa: E731
    forward = direction == "forward"
    carriers = base.mutate(
        _time=base._end if forward else base.arrived_at,
        _order=end_order(base) if forward else ibis.literal(1),
        _carrier=ibis.literal(True),
        _event=null_ts,
    )
    # the other events: arrivals (forward) or ends (backward) of identified inbound contacts,
    # every other column a typed null (a union needs one schema)
    fill = {
        name: ibis.null(dtype)
        for name, dtype in carriers.schema().items()
        if name not in ("customer_id", "reason_key", "_time", "_order", "_carrier", "_event")
    }
    events = pool.select(
        customer_id=pool.customer_id,
        reason_key=pool.reason_key,
        **fill,
        _time=pool.arrived_at if forward else pool._end,
        _order=ibis.literal(1) if forward else end_order(pool),
        _carrier=ibis.literal(False),
        _event=pool.arrived_at if forward else pool._end,
    )
    ev = carriers.union(events.select(*carriers.columns))
    order = [ev._time, ev._order]
    if forward:
        frame = dict(preceding=0, following=None)
        agg = ev._event.min()
        names = ("next_inbound_at", "next_same_reason_at")
    else:
        frame = dict(preceding=None, following=0)
        agg = ev._event.max()
        names = ("prev_inbound_end_at", "prev_same_reason_end_at")
    any_ = agg.over(ibis.window(group_by=ev.customer_id, order_by=order, **frame))
    values = {names[0]: ibis.ifelse(ev.identified_inbound, any_, null_ts)}
    if same_reason:
        same = agg.over(ibis.window(group_by=[ev.customer_id, ev.reason_key], order_by=order, **frame))
        values[names[1]] = ibis.ifelse(ev.identified_inbound & ev.reason_key.notnull(), same, null_ts)
    else:
        values[names[1]] = null_ts
    ev = ev.mutate(**values)
    return ev.filter(ev._carrier).drop("_time", "_order", "_carrier", "_event")


def _within(later: ir.TimestampValue, earlier: ir.TimestampValue, days: float) -> ir.BooleanValue:
    """``later - earlier <= days`` (later >= earlier is guaranteed by the pairing); False on null."""
    return (later.notnull() & (later <= earlier + _window(days))).fill_null(False)


def _judged(end: ir.TimestampValue, eod: ir.TimestampValue, days: float) -> ir.BooleanValue:
    """``end + window <= end of data``; False on null. With a given end of data the bound
    (end of data - window) is one constant: the engine compares instants instead of adding an
    interval to every row (the same test, in exact microseconds)."""
    op = eod.op()
    if isinstance(op, ops.Literal) and isinstance(op.value, datetime):
        bound = op.value - timedelta(seconds=int(round(float(days) * 86400)))
        return (end <= ibis.literal(bound, type=eod.type())).fill_null(False)
    return (end + _window(days) <= eod).fill_null(False)


def _window_flags(
    f: ir.Table, days: float, eod: ir.TimestampValue | None = None
) -> dict[str, ir.BooleanValue]:
    flags = {}
    if eod is not None:
        flags["judged"] = _judged(f._end, eod, days)
    return flags | {
        "has_repeat": _within(f.next_inbound_at, f._end, days),
        "has_repeat_same_reason": _within(f.next_same_reason_at, f._end, days),
        "is_repeat": _within(f.arrived_at, f.prev_inbound_end_at, days) & f.identified_inbound,
        "is_repeat_same_reason": _within(f.arrived_at, f.prev_same_reason_end_at, days)
        & f.identified_inbound,
    }


def repeat_flags(
    contacts: ir.Table,
    *,
    end_of_data: datetime | date | None = None,
    window_days: float = 7,
    exclude_reasons: Iterable[str] = (),
) -> ir.Table:
    """Per-contact repeat flags for one window: the rows every repeat-based metric counts.

    Parameters
    ----------
    contacts
        Canonical contacts (folded: one row per contact).
    end_of_data
        End of the data (see :func:`end_of_data`); None = the latest ``arrived_at``.
    window_days
        Repeat window in days (exactly ``window_days * 86400`` seconds).
    exclude_reasons
        Reasons (``contact_reason`` or ``reason_family`` values) not eligible for FCR.

    Returns
    -------
    Table
        ``contact_id``, ``arrived_at``; ``identified_inbound`` (in the repeat-share population);
        ``eligible`` (inbound, handled, identified, not excluded); ``judged``
        (``ended_at + window <= end of data``); ``censored`` (eligible and not judged);
        ``has_repeat`` / ``has_repeat_same_reason`` (a later inbound contact of the customer
        arrived within the window after this one ended); ``is_repeat`` /
        ``is_repeat_same_reason`` (this contact arrived within the window after an earlier
        one ended); ``next_inbound_at`` and ``recontact_gap_s`` (seconds from this
        contact's end to the customer's next inbound arrival, whatever the window).

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> c = dict(customer_id="k1", direction="inbound", channel="voice", outcome="handled")
    >>> t = canonical_memtable("contacts", [
    ...     {**c, "contact_id": "a", "arrived_at": "2026-03-02 09:00", "ended_at": "2026-03-02 09:10"},
    ...     {**c, "contact_id": "b", "arrived_at": "2026-03-09 09:10", "ended_at": "2026-03-09 09:20"},
    ...     {**c, "contact_id": "c", "arrived_at": "2026-03-28 09:00", "ended_at": "2026-03-28 09:05"}])
    >>> f = repeat_flags(t, end_of_data=datetime(2026, 3, 31, tzinfo=timezone.utc))
    >>> f.order_by("contact_id").execute()[["has_repeat", "is_repeat", "judged"]].values.tolist()
    [[True, False, True], [False, True, True], [False, False, False]]
    """
    f = _recontact_frame(_narrow(contacts), exclude_reasons)
    flags = _window_flags(f, window_days, _eod_expr(contacts, end_of_data))
    gap = f.next_inbound_at.epoch_seconds() - f._end.epoch_seconds()
    return f.select(
        "contact_id",
        "arrived_at",
        "identified_inbound",
        "eligible",
        judged=flags["judged"],
        censored=f.eligible & ~flags["judged"],
        has_repeat=flags["has_repeat"],
        has_repeat_same_reason=flags["has_repeat_same_reason"],
        is_repeat=flags["is_repeat"],
        is_repeat_same_reason=flags["is_repeat_same_reason"],
        next_inbound_at=f.next_inbound_at,
        recontact_gap_s=gap.cast("float64"),
    )


# --------------------------------------------------------------------------------------------
# repeat-based FCR (one code path for fcr_repeat, transfer-adjusted, sensitivity, breakdowns)
# --------------------------------------------------------------------------------------------


def _fcr_long(
    f: ir.Table,
    eod: ir.TimestampValue,
    specs: Sequence[tuple[float, bool, bool]],
    by: Sequence[str] = (),
) -> ir.Table:
    """Repeat-based FCR for each ``(window_days, same_reason, transfer_adjusted)`` spec, in one
    aggregate pass, returned long: one row per spec (and ``by`` segment)."""
    metrics: dict[str, ir.Scalar] = {"eligible": f.count(where=f.eligible)}
    for i, (days, same, adjusted) in enumerate(specs):
        flags = _window_flags(f, days, eod)
        pop = f.eligible & f.reason_key.notnull() if same else f.eligible
        repeat = flags["has_repeat_same_reason"] if same else flags["has_repeat"]
        resolved = pop & flags["judged"] & ~repeat
        if adjusted:
            resolved = resolved & (f.transfers.fill_null(0) == 0)
        metrics[f"num_{i}"] = f.count(where=resolved)
        metrics[f"den_{i}"] = f.count(where=pop & flags["judged"])
        metrics[f"cen_{i}"] = f.count(where=pop & ~flags["judged"])
        metrics[f"unk_{i}"] = f.count(where=f.eligible & f.reason_key.isnull()) if same else ibis.literal(0)
    by = list(by)
    if by:
        # segments without a single eligible contact (e.g. a reason only ever abandoned) are
        # not FCR segments
        agg = f.aggregate(by=by, **metrics)
        agg = agg.filter(agg.eligible > 0)
    else:
        agg = f.aggregate(**metrics)
    parts = []
    for i, (days, same, adjusted) in enumerate(specs):
        label = ("transfer-adjusted" if adjusted else "repeat-based") + ", " + (_SAME if same else _ANY)
        parts.append(
            agg.select(
                *by,
                definition=ibis.literal(label),
                window_days=ibis.literal(float(days)),
                same_reason=ibis.literal(bool(same)),
                numerator=agg[f"num_{i}"],
                denominator=agg[f"den_{i}"],
                censored=agg[f"cen_{i}"],
                unknown_reason=agg[f"unk_{i}"].cast("int64"),
                eligible=agg["eligible"],
            )
        )
    out = parts[0]
    for part in parts[1:]:
        out = out.union(part)
    return _with_rate(out)


def _fcr(
    contacts: ir.Table,
    specs: Sequence[tuple[float, bool, bool]],
    end_of_data: datetime | date | None,
    exclude_reasons: Iterable[str],
    by: str | Sequence[str] | None,
) -> ir.Table:
    needs_same = any(same for _, same, _ in specs)
    by_ = _as_list(by)
    f = _recontact_frame(_narrow(contacts, by_), exclude_reasons, backward=False, same_reason=needs_same)
    if by_:
        f = _label_segments(f, by_)
    return _fcr_long(f, _eod_expr(contacts, end_of_data), specs, by_)


_FCR_COLUMNS = (
    "definition window_days same_reason numerator denominator rate ci_low ci_high censored "
    "unknown_reason eligible"
).split()


def fcr_repeat(
    contacts: ir.Table,
    *,
    end_of_data: datetime | date | None = None,
    window_days: float = 7,
    same_reason: bool = False,
    exclude_reasons: Iterable[str] = (),
    by: str | Sequence[str] | None = None,
) -> ir.Table:
    """Repeat-based FCR = eligible judged contacts with no repeat / eligible judged contacts.

    A contact is judged when ``ended_at + window <= end_of_data``; the others are right-censored:
    they leave the denominator and are counted in ``censored``. With ``same_reason`` only a
    repeat with the same ``reason_key`` (``reason_family`` when set, else ``contact_reason``)
    counts, and eligible contacts without any reason cannot be judged on reason: they leave
    that denominator and are counted in ``unknown_reason``.

    Returns
    -------
    Table
        One row (per ``by`` segment): ``definition``, ``window_days``, ``same_reason``,
        ``numerator`` (resolved), ``denominator`` (judged), ``rate``, ``ci_low``, ``ci_high``
        (95% Wilson), ``censored``, ``unknown_reason``, ``eligible``.

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> c = dict(customer_id="k1", direction="inbound", channel="voice", outcome="handled")
    >>> t = canonical_memtable("contacts", [
    ...     {**c, "contact_id": "a", "arrived_at": "2026-03-02 09:00", "ended_at": "2026-03-02 09:10"},
    ...     {**c, "contact_id": "b", "arrived_at": "2026-03-03 09:00", "ended_at": "2026-03-03 09:10"},
    ...     {**c, "contact_id": "c", "arrived_at": "2026-03-29 09:00", "ended_at": "2026-03-29 09:05"}])
    >>> r = fcr_repeat(t, end_of_data=datetime(2026, 3, 31, tzinfo=timezone.utc)).execute()
    >>> r[["numerator", "denominator", "censored"]].values.tolist()  # a repeated by b; c censored
    [[1, 2, 1]]
    """
    out = _fcr(contacts, [(window_days, same_reason, False)], end_of_data, exclude_reasons, by)
    return out.select(*_as_list(by), *_FCR_COLUMNS)


def fcr_transfer_adjusted(
    contacts: ir.Table,
    *,
    end_of_data: datetime | date | None = None,
    window_days: float = 7,
    same_reason: bool = False,
    exclude_reasons: Iterable[str] = (),
    by: str | Sequence[str] | None = None,
) -> ir.Table:
    """Transfer-adjusted FCR: as :func:`fcr_repeat`, and the contact had ``transfers == 0``.

    Same denominator and columns as :func:`fcr_repeat` (a null ``transfers`` reads as 0).
    """
    out = _fcr(contacts, [(window_days, same_reason, True)], end_of_data, exclude_reasons, by)
    return out.select(*_as_list(by), *_FCR_COLUMNS)


def fcr_sensitivity(
    contacts: ir.Table,
    *,
    end_of_data: datetime | date | None = None,
    windows: Sequence[float] = DEFAULT_WINDOWS,
    exclude_reasons: Iterable[str] = (),
) -> ir.Table:
    """FCR for each window and for any-reason vs same-reason, as one table (one data pass).

    Longer windows find more repeats (lower FCR) and censor more contacts (``censored`` grows,
    ``denominator`` shrinks): both move, which is why the table shows ``n`` beside each rate.

    Returns
    -------
    Table
        ``window_days``, ``reason`` ("any reason" / "same reason"), ``rate``, ``ci_low``,
        ``ci_high``, ``numerator``, ``denominator`` (= n judged), ``censored``,
        ``unknown_reason``, ordered by reason then window.
    """
    specs = [(w, same, False) for same in (False, True) for w in windows]
    out = _fcr(contacts, specs, end_of_data, exclude_reasons, None)
    out = out.mutate(reason=ibis.ifelse(out.same_reason, _SAME, _ANY))
    return out.select(
        "window_days", "reason", "rate", "ci_low", "ci_high", "numerator", "denominator",
        "censored", "unknown_reason",
    ).order_by(["reason", "window_days"])


def fcr_breakdown(
    contacts: ir.Table,
    *,
    by: str | Sequence[str] = "contact_reason",
    end_of_data: datetime | date | None = None,
    window_days: float = 7,
    same_reason: bool = False,
    exclude_reasons: Iterable[str] = (),
    min_n: int = 30,
) -> ir.Table:
    """Repeat-based FCR per segment (``contact_reason``, ``queue``, ``channel``, ``team``,
    ``agent_id`` or any columns), with suppression and a rank.

    A segment whose denominator (judged eligible contacts) is under ``min_n`` is kept but
    ``suppressed`` and never ranked (``rank`` null). ``rank`` 1 is the lowest FCR among the
    segments that are not suppressed (ties share a rank). Null segment values read
    "(not recorded)". Ordered by rank, suppressed segments last.
    """
    by_ = _as_list(by)
    out = fcr_repeat(
        contacts,
        end_of_data=end_of_data,
        window_days=window_days,
        same_reason=same_reason,
        exclude_reasons=exclude_reasons,
        by=by_,
    )
    return _suppress_and_rank(out, "denominator", "rate", min_n, by_)


def _suppress_and_rank(
    t: ir.Table, n_col: str, rate_col: str, min_n: int, by: Sequence[str], ascending: bool = True
) -> ir.Table:
    suppressed = (t[n_col] < min_n) | t[rate_col].isnull()
    t = t.mutate(suppressed=suppressed)
    key = t[rate_col] if ascending else t[rate_col].desc()
    rank = ibis.rank().over(group_by=t.suppressed, order_by=key) + 1
    t = t.mutate(rank=ibis.ifelse(t.suppressed, ibis.null("int64"), rank.cast("int64")))
    return t.order_by([t.suppressed, t["rank"], *by])


def fcr_weekly_trend(
    contacts: ir.Table,
    *,
    end_of_data: datetime | date | None = None,
    window_days: float = 7,
    same_reason: bool = False,
    exclude_reasons: Iterable[str] = (),
    min_n: int = 30,
    week_starts: Sequence[datetime] | None = None,
) -> ir.Table:
    """Repeat-based FCR per week of the contact's arrival.

    Weeks start at ``week_starts`` (instants, ascending: the engagement's local Mondays at
    midnight and its period start, :meth:`cxkit.config.Engagement.week_starts_utc`), so a
    reader's week is the center's; without them, Monday 00:00 UTC. A contact before the first
    start belongs to no week and is left out. The last weeks of the data are mostly
    right-censored: their ``denominator`` shrinks and ``censored`` grows, and a week under
    ``min_n`` is flagged ``suppressed``.
    """
    if week_starts:
        starts = sorted(week_starts)
        week = ibis.cases(
            *[(contacts.arrived_at >= ibis.literal(w, type="timestamp('UTC')"), ibis.literal(w, type="timestamp('UTC')"))
              for w in reversed(starts)],
            else_=ibis.null("timestamp('UTC')"),
        )
    else:
        week = contacts.arrived_at.truncate("W")
    t = contacts.mutate(week_start=week)
    if week_starts:
        t = t.filter(t.week_start.notnull())
    out = fcr_repeat(
        t,
        end_of_data=end_of_data,
        window_days=window_days,
        same_reason=same_reason,
        exclude_reasons=exclude_reasons,
        by="week_start",
    )
    out = out.mutate(suppressed=out.denominator < min_n)
    return out.order_by("week_start")


# --------------------------------------------------------------------------------------------
# repeat share
# --------------------------------------------------------------------------------------------


def repeat_share(
    contacts: ir.Table,
    *,
    window_days: float = 7,
    same_reason: bool = False,
    by: str | Sequence[str] | None = None,
) -> ir.Table:
    """Repeat share = inbound contacts that ARE repeats / all inbound contacts with a customer id.

    A contact is a repeat when an earlier inbound contact of the same customer (any channel,
    any outcome) ended within the window before it arrived. This is the repeat volume that cost
    models price; it is not 1 - FCR and is never reported as FCR. The first ``window_days`` of
    the data cannot see earlier contacts outside it, so the share there is a floor.

    Returns ``numerator`` (repeats), ``denominator``, ``rate``, ``ci_low``, ``ci_high``,
    ``window_days``, ``same_reason`` per ``by`` segment (of the repeat contact).

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> c = dict(customer_id="k1", direction="inbound", channel="voice", outcome="handled")
    >>> t = canonical_memtable("contacts", [
    ...     {**c, "contact_id": "a", "arrived_at": "2026-03-02 09:00", "ended_at": "2026-03-02 09:10"},
    ...     {**c, "contact_id": "b", "arrived_at": "2026-03-03 09:00", "ended_at": "2026-03-03 09:10",
    ...      "outcome": "abandoned"},
    ...     {**c, "contact_id": "c", "arrived_at": "2026-03-03 10:00", "customer_id": None}])
    >>> repeat_share(t).execute()[["numerator", "denominator"]].values.tolist()
    [[1, 2]]
    """
    by_ = _as_list(by)
    f = _recontact_frame(_narrow(contacts, by_), forward=False, same_reason=same_reason)
    flags = _window_flags(f, window_days)
    f = f.mutate(_rep=flags["is_repeat_same_reason"] if same_reason else flags["is_repeat"])
    out = _grouped(
        f,
        by_,
        False,
        numerator=ibis._.count(where=ibis._._rep),
        denominator=ibis._.count(where=ibis._.identified_inbound),
    )
    out = out.mutate(window_days=ibis.literal(float(window_days)), same_reason=ibis.literal(bool(same_reason)))
    return _with_rate(out)


# --------------------------------------------------------------------------------------------
# case-based and customer-reported FCR
# --------------------------------------------------------------------------------------------


def fcr_case(
    contacts: ir.Table,
    cases: ir.Table,
    *,
    exclude_reasons: Iterable[str] = (),
    by: str | Sequence[str] | None = None,
) -> ir.Table:
    """Case-based FCR: eligible contacts whose linked case was closed, never reopened, and has
    no other contact linked to it / eligible contacts linked to a known case.

    A contact is linked to a case through its own ``contacts.case_id`` or as the case's origin
    ``cases.contact_id`` (links are counted per contact row: two contacts sharing an id keep
    their own cases, and a contact without an id keeps the case it names). "Closed" =
    ``closed_at`` set; "never reopened" = ``reopened_count`` 0 (null read as 0); a case listed
    twice is closed only if every row says so; "no other contact" counts every other contact linked
    to the case, whatever its direction. A contact linked to several known cases is resolved
    only if all of them are. Cases still open at the end of the data are not resolved.

    Returns ``numerator``, ``denominator``, ``rate``, ``ci_low``, ``ci_high``, ``eligible``,
    ``without_case`` (eligible, no link) and ``unknown_case`` (linked to a case id absent
    from the cases table).
    """
    # Links are counted per contact row, never grouped by contact id: an id that two contacts
    # of an export share (contact grain, no key) would merge their cases, and a contact without
    # an id that names its case would lose it. A contact's own link is its row's case_id. A
    # case's origin (cases.contact_id) links the contacts of that id, unless a contact of that
    # id names the case: then it is that contact's own link, counted once. (The session leaves
    # an id two contacts share unlinked: Session.table.)
    c = contacts
    origin = cases.filter(cases.contact_id.notnull()).select(_oid=cases.contact_id, _case=cases.case_id).distinct()
    own = c.filter(c.case_id.notnull()).select(_oid=c.contact_id, _case=c.case_id)
    extra = origin.anti_join(own, [origin._oid == own._oid, origin._case == own._case])
    own_n = own.group_by("_case").aggregate(_own=own.count())
    extra_n = extra.group_by("_case").aggregate(_extra=extra.count())
    per_case = cases.group_by(_case_k=cases.case_id).aggregate(
        _closed_ok=(cases.closed_at.notnull() & (cases.reopened_count.fill_null(0) == 0)).all()
    )
    per_case = per_case.left_join(own_n, per_case._case_k == own_n._case).drop("_case")
    per_case = per_case.left_join(extra_n, per_case._case_k == extra_n._case).drop("_case")
    per_case = per_case.select(
        "_case_k", _case_ok=per_case._closed_ok & (per_case._own.fill_null(0) + per_case._extra.fill_null(0) <= 1)
    )
    # each contact id's other origin links: how many, to known cases, to cases resolved
    ol = extra.left_join(per_case, extra._case == per_case._case_k)
    by_id = ol.group_by("_oid").aggregate(
        _o_links=ol.count(), _o_known=ol.count(where=ol._case_k.notnull()),
        _o_ok=ol.count(where=ol._case_ok.fill_null(False)),
    )
    f = _eligibility(contacts, exclude_reasons)
    f = f.left_join(per_case, f.case_id == per_case._case_k)
    f = f.left_join(by_id, f.contact_id == by_id._oid)
    f = f.mutate(
        _links=f.case_id.notnull().cast("int64") + f._o_links.fill_null(0),
        _known=f._case_k.notnull().cast("int64") + f._o_known.fill_null(0),
        _ok=f._case_ok.fill_null(False).cast("int64") + f._o_ok.fill_null(0),
    )
    by_ = _as_list(by)
    _ = ibis._
    known = _._known.fill_null(0) > 0
    out = _grouped(
        f,
        by_,
        False,
        numerator=_.count(where=_.eligible & known & (_._ok == _._known)),
        denominator=_.count(where=_.eligible & known),
        eligible=_.count(where=_.eligible),
        without_case=_.count(where=_.eligible & (_._links.fill_null(0) == 0)),
        unknown_case=_.count(where=_.eligible & (_._links.fill_null(0) > 0) & ~known),
    )
    return _with_rate(out)


def fcr_customer_reported(
    surveys: ir.Table,
    contacts: ir.Table,
    *,
    exclude_reasons: Iterable[str] = (),
) -> ir.Table:
    """Customer-reported FCR = surveys with ``resolved`` yes / surveys answering the question,
    with the response rate beside it.

    A response is a survey row with ``responded_at`` set or any answer (csat, nps, ces,
    resolved). The response rate is invited responses / invitations when the surveys carry
    invitations (rows with ``sent_at``), else eligible contacts with a response / eligible
    contacts: both terms count one population (a response about an abandoned, bot-resolved or
    anonymous contact is not one of the eligible contacts'); ``response_rate_basis`` says which.
    ``responses`` counts every response.

    Returns ``numerator``, ``denominator``, ``rate``, ``ci_low``, ``ci_high``, ``responses``,
    ``response_rate``, ``response_rate_numerator``, ``response_rate_denominator``,
    ``response_rate_basis``.
    """
    s = surveys
    responded = (
        s.responded_at.notnull() | s.csat.notnull() | s.nps.notnull() | s.ces.notnull() | s.resolved.notnull()
    )
    agg = s.aggregate(
        numerator=s.count(where=s.resolved.fill_null(False)),
        denominator=s.count(where=s.resolved.notnull()),
        responses=s.count(where=responded),
        invitations=s.count(where=s.sent_at.notnull()),
        invited_responses=s.count(where=s.sent_at.notnull() & responded),
    )
    f = _eligibility(contacts, exclude_reasons)
    answered = s.filter(responded & s.contact_id.notnull()).contact_id
    eligible = f.aggregate(
        _eligible=f.count(where=f.eligible),
        _eligible_responded=f.count(where=f.eligible & f.contact_id.isin(answered)),
    )
    agg = agg.cross_join(eligible)
    has_inv = agg.invitations > 0
    rr_num = ibis.ifelse(has_inv, agg.invited_responses, agg._eligible_responded)
    rr_den = ibis.ifelse(has_inv, agg.invitations, agg._eligible)
    agg = agg.mutate(
        response_rate_numerator=rr_num,
        response_rate_denominator=rr_den,
        response_rate=ibis.ifelse(rr_den > 0, rr_num.cast("float64") / rr_den, ibis.null("float64")),
        response_rate_basis=ibis.ifelse(has_inv, "invitations", "eligible contacts"),
    )
    agg = _with_rate(agg)
    return agg.select(
        "numerator", "denominator", "rate", "ci_low", "ci_high", "responses", "response_rate",
        "response_rate_numerator", "response_rate_denominator", "response_rate_basis",
    )


def fcr_headline(
    contacts: ir.Table,
    *,
    cases: ir.Table | None = None,
    surveys: ir.Table | None = None,
    end_of_data: datetime | date | None = None,
    window_days: float = 7,
    exclude_reasons: Iterable[str] = (),
) -> ir.Table:
    """FCR by every definition, one row each, with numerator, denominator, Wilson interval and
    a ``note`` (censoring, coverage, response rate, or why a definition is unavailable).

    Rows: repeat-based any reason, repeat-based same reason, transfer-adjusted, case-based,
    customer-reported. Repeat share is a different number and is not in this table.
    """
    rep = _fcr(
        contacts,
        [(window_days, False, False), (window_days, True, False), (window_days, False, True)],
        end_of_data,
        exclude_reasons,
        None,
    )
    # the reasons the engagement leaves out of every FCR, said beside the figures they change
    excluded = list(exclude_reasons)
    left_out = f"; reasons left out: {', '.join(excluded)}" if excluded else ""
    rep = rep.mutate(
        note=ibis.literal(f"{window_days:g}-day window; right-censored contacts excluded: ")
        + _thousands(rep.censored)
        + ibis.ifelse(
            rep.same_reason,
            ibis.literal("; without a reason: ") + _thousands(rep.unknown_reason),
            ibis.literal(""),
        )
        + ibis.literal(left_out)
    )
    cols = ["definition", "numerator", "denominator", "rate", "ci_low", "ci_high", "note"]
    out = rep.select(*cols)
    order = {
        "repeat-based, any reason": 0,
        "repeat-based, same reason": 1,
        "transfer-adjusted, any reason": 2,
        "case-based": 3,
        "customer-reported": 4,
    }
    if cases is not None:
        cb = fcr_case(contacts, cases, exclude_reasons=exclude_reasons)
        note = ibis.literal("eligible contacts linked to a known case; without a case: ") + _thousands(cb.without_case)
        out = out.union(_definition_row(cb, "case-based", note))
    else:
        out = out.union(_unavailable("case-based", "no cases source in this engagement"))
    if surveys is not None:
        cr = fcr_customer_reported(surveys, contacts, exclude_reasons=exclude_reasons)
        note = (
            ibis.literal("response rate ") + (cr.response_rate * 100).round(1).cast("string") + "% of "
            + cr.response_rate_basis
        )
        out = out.union(_definition_row(cr, "customer-reported", note))
    else:
        out = out.union(_unavailable("customer-reported", "no surveys source in this engagement"))
    # a union has no order: sort by the definitions' fixed order
    key = ibis.cases(*[(out.definition == d, k) for d, k in order.items()], else_=99)
    return out.mutate(_k=key).order_by("_k").drop("_k")


def _thousands(n: ir.IntegerValue) -> ir.StringValue:
    """A count as text with thousands separators (``4,375``), in any engine: the headline's
    notes are written in the engine, and a cast gave "4375". Null stays null.

    >>> import ibis
    >>> t = ibis.memtable({"n": [0, 999, 4375, 1234567, 12345678901, None]}, schema={"n": "int64"})
    >>> ibis.duckdb.connect().execute(t.select(s=_thousands(t.n).fill_null("null"))).s.tolist()
    ['0', '999', '4,375', '1,234,567', '12,345,678,901', 'null']
    """
    def group(k: int) -> ir.StringValue:  # the k-th group of three digits from the right, padded
        return ((n // 1000**k) % 1000).cast("string").lpad(3, "0")

    def above(k: int) -> ir.StringValue:  # every digit from the k-th group up, with separators
        head = (n // 1000**k).cast("string")
        if k == 4:
            return head
        return ibis.ifelse(n < 1000 ** (k + 1), head, above(k + 1) + "," + group(k))

    return above(0)


def _definition_row(t: ir.Table, definition: str, note: ir.StringValue) -> ir.Table:
    """One row of the headline table from a one-row rate table."""
    return t.select(
        definition=ibis.literal(definition),
        numerator=t.numerator,
        denominator=t.denominator,
        rate=t.rate,
        ci_low=t.ci_low,
        ci_high=t.ci_high,
        note=note,
    )


def _unavailable(definition: str, note: str) -> ir.Table:
    return ibis.memtable(
        {
            "definition": [definition],
            "numerator": [None],
            "denominator": [None],
            "rate": [None],
            "ci_low": [None],
            "ci_high": [None],
            "note": [note],
        },
        schema={
            "definition": "string",
            "numerator": "int64",
            "denominator": "int64",
            "rate": "float64",
            "ci_low": "float64",
            "ci_high": "float64",
            "note": "string",
        },
    )


# --------------------------------------------------------------------------------------------
# time to recontact
# --------------------------------------------------------------------------------------------


def time_to_recontact(
    contacts: ir.Table,
    *,
    end_of_data: datetime | date | None = None,
    max_days: float = 30,
    bins_h: Sequence[float] = DEFAULT_RECONTACT_BINS_H,
    exclude_reasons: Iterable[str] = (),
) -> ir.Table:
    """Distribution of the gap from an eligible contact's end to the customer's next inbound
    arrival, up to ``max_days``.

    Only contacts judged at ``max_days`` (``ended_at + max_days <= end_of_data``) are counted,
    so every contact could have shown a recontact anywhere in the range; ``share`` and
    ``cumulative_share`` are over all of them, so the cumulative share at 168 h equals
    1 - (7-day any-reason FCR) on this population. Bins are ``(lower_h, upper_h]`` (the first
    ``[0, upper_h]``).

    Returns one row per bin: ``bin``, ``lower_h``, ``upper_h`` (and ``lower_d``, ``upper_d``
    in days), ``contacts``, ``share``,
    ``cumulative_share``, ``judged`` (the population), ``censored``.
    """
    max_h = float(max_days) * 24
    edges, bins = _recontact_bins(max_h, bins_h)
    f = _recontact_frame(_narrow(contacts), exclude_reasons, backward=False, same_reason=False)
    eod = _eod_expr(contacts, end_of_data)
    judged = (f.eligible & _judged(f._end, eod, max_days)).fill_null(False)
    censored = f.eligible & ~judged
    nxt = f.next_inbound_at
    bin_idx = ibis.cases(
        *[(nxt <= f._end + ibis.interval(seconds=int(round(e * 3600))), i) for i, e in enumerate(edges)],
        else_=ibis.null("int64"),
    )
    f = f.mutate(_bin=ibis.ifelse(judged & nxt.notnull(), bin_idx, ibis.null("int64")), _judged=judged, _cens=censored)
    counts = f.filter(f._bin.notnull()).group_by("_bin").aggregate(contacts=ibis._.count())
    totals = f.aggregate(judged=f.count(where=f._judged), censored=f.count(where=f._cens))
    out = bins.left_join(counts, bins._b == counts._bin).cross_join(totals)
    out = out.mutate(contacts=out.contacts.fill_null(0))
    cum = out.contacts.sum().over(ibis.window(order_by=out._b, preceding=None, following=0))
    den = ibis.ifelse(out.judged > 0, out.judged.cast("float64"), ibis.null("float64"))
    out = out.mutate(
        share=out.contacts / den,
        cumulative_share=cum / den,
        lower_d=out.lower_h / 24.0,
        upper_d=out.upper_h / 24.0,
    )
    return out.order_by("_b").select(
        "bin", "lower_h", "upper_h", "lower_d", "upper_d", "contacts", "share", "cumulative_share",
        "judged", "censored",
    )


def recontact_curve(
    contacts: ir.Table,
    *,
    end_of_data: datetime | date | None = None,
    max_days: float = 30,
    bins_h: Sequence[float] = DEFAULT_RECONTACT_BINS_H,
    exclude_reasons: Iterable[str] = (),
) -> ir.Table:
    """Share of eligible contacts followed by the customer's next inbound contact within each
    time, with right-censoring handled by a life-table (actuarial) estimate.

    :func:`time_to_recontact` keeps only contacts followed for the whole range, so on a short
    extract it keeps few or none. Here every eligible contact counts for as long as it was
    observed: a contact that ended ``f`` hours before the end of data and had no recontact is
    *censored* at ``f`` (it leaves the population at risk in that bin, counted as half exposed,
    the actuarial convention) instead of being dropped or counted as resolved. The
    ``cumulative_share`` at a bin's upper edge estimates the probability of a recontact by then;
    at 168 h it estimates 1 - (7-day any-reason FCR) without losing the censored contacts.

    Returns one row per bin in which contacts are observed: ``bin``, ``lower_h``, ``upper_h``,
    ``lower_d``, ``upper_d``, ``at_risk`` (contacts still observed, without recontact, at the
    bin's start, at least 1), ``events``
    (recontacts in the bin), ``censored`` (observation ending in the bin), ``cumulative_share``.

    Examples
    --------
    >>> import ibis
    >>> from cxkit.testing import canonical_memtable, ts
    >>> rows = [dict(contact_id=c, customer_id=k, channel="voice", direction="inbound", outcome="handled",
    ...              arrived_at=a, ended_at=a) for c, k, a in [
    ...   ("e1", "k1", "2026-03-01 10:00"), ("l1", "k1", "2026-03-01 12:00"),  # recontact after 2 h
    ...   ("e2", "k2", "2026-03-01 10:00"),                                    # no recontact, followed 2 d
    ...   ("e3", "k3", "2026-03-02 22:00")]]                                    # censored after 2 h
    >>> t = canonical_memtable("contacts", rows)
    >>> r = ibis.duckdb.connect().execute(recontact_curve(t, end_of_data=ts("2026-03-03 00:00"), max_days=1, bins_h=(1, 4)))
    >>> r[["bin", "at_risk", "events", "censored"]].values.tolist()
    [['0-1 h', 4, 0, 0], ['1-4 h', 4, 1, 1], ['4-24 h', 2, 0, 0]]

    l1 and e2 are followed past 24 h with no recontact. In 1-4 h: 1 event among 4 at risk, one
    of them censored (half exposed): 1 / 3.5 = 0.2857; nothing happens after.

    >>> [round(x, 4) for x in r.cumulative_share]
    [0.0, 0.2857, 0.2857]

    A bin in which no contact is observed any more has no row; without an eligible contact
    (no handled one), there is no curve:

    >>> unhandled = canonical_memtable("contacts", [{**r, "outcome": "Completed"} for r in rows])
    >>> ibis.duckdb.connect().execute(recontact_curve(unhandled, end_of_data=ts("2026-03-03 00:00"), max_days=1)).empty
    True
    """
    max_h = float(max_days) * 24
    edges, bins = _recontact_bins(max_h, bins_h)
    f = _recontact_frame(_narrow(contacts), exclude_reasons, backward=False, same_reason=False)
    f = f.filter(f.eligible.fill_null(False))
    eod = _eod_expr(contacts, end_of_data)
    end_s = f._end.epoch_seconds()
    follow_h = (eod.epoch_seconds() - end_s).cast("float64") / 3600.0
    gap_h = (f.next_inbound_at.epoch_seconds() - end_s).cast("float64") / 3600.0
    event = (f.next_inbound_at.notnull() & (gap_h <= max_h)).fill_null(False)
    time_h = ibis.ifelse(event, gap_h, ibis.least(ibis.greatest(follow_h, 0.0), max_h))
    censored = ~event & (follow_h < max_h)
    bin_idx = ibis.cases(*[(time_h <= e, i) for i, e in enumerate(edges)], else_=ibis.null("int64"))
    f = f.mutate(_bin=bin_idx, _event=event, _cens=censored)
    counts = f.group_by("_bin").aggregate(
        events=f.count(where=f._event), censored=f.count(where=f._cens)
    )
    total = f.aggregate(_n=f.count())
    out = bins.left_join(counts, bins._b == counts._bin).cross_join(total)
    out = out.mutate(events=out.events.fill_null(0), censored=out.censored.fill_null(0))
    upto = ibis.window(order_by=out._b, preceding=None, following=0)
    gone = out.events + out.censored
    out = out.mutate(at_risk=out._n - (gone.sum().over(upto) - gone))
    exposed = out.at_risk.cast("float64") - out.censored.cast("float64") / 2.0
    hazard = ibis.ifelse(exposed > 0, out.events.cast("float64") / exposed, 0.0)
    # survival is a running product; as a sum of logs it stays one window expression
    log_keep = ibis.ifelse(hazard < 1.0, (1.0 - hazard).ln(), ibis.literal(-1e9))
    out = out.mutate(cumulative_share=1.0 - log_keep.sum().over(upto).exp())
    # a bin nobody is observed in says nothing: no eligible contact at all, or the data ends
    # before it (0 at risk and a share carried from the bin before read as a measurement)
    out = out.filter(out.at_risk > 0)
    return out.order_by("_b").select(
        "bin",
        "lower_h",
        "upper_h",
        lower_d=out.lower_h / 24.0,
        upper_d=out.upper_h / 24.0,
        at_risk=out.at_risk,
        events=out.events,
        censored=out.censored,
        cumulative_share=out.cumulative_share,
    )


def _recontact_bins(max_h: float, bins_h: Sequence[float]) -> tuple[list[float], ir.Table]:
    """Upper edges (hours, ending at ``max_h``) and the bin table ``_b, bin, lower_h, upper_h``."""
    edges = sorted({float(e) for e in bins_h if 0 < float(e) < max_h} | {max_h})
    lowers = [0.0, *edges[:-1]]
    bins = ibis.memtable(
        {
            "_b": list(range(len(edges))),
            "bin": [_bin_label(lo, hi, i == 0) for i, (lo, hi) in enumerate(zip(lowers, edges))],
            "lower_h": lowers,
            "upper_h": edges,
        },
        schema={"_b": "int64", "bin": "string", "lower_h": "float64", "upper_h": "float64"},
    )
    return edges, bins


def _bin_label(lo: float, hi: float, first: bool) -> str:
    """``"0-1 h"``, ``"1-4 h"``, ``"4 h-7 d"``, ``"7-10 d"``: days from 48 h when whole."""

    def split(h: float) -> tuple[float, str]:
        return (h / 24, "d") if h >= 48 and h % 24 == 0 else (h, "h")

    (a, ua), (b, ub) = split(lo), split(hi)
    if first or ua == ub:
        return f"{0 if first else a:g}-{b:g} {ub}"
    return f"{a:g} {ua}-{b:g} {ub}"


# --------------------------------------------------------------------------------------------
# handle-time trap
# --------------------------------------------------------------------------------------------


def aht_vs_fcr(
    contacts: ir.Table,
    *,
    by: str | Sequence[str] = "agent_id",
    end_of_data: datetime | date | None = None,
    window_days: float = 7,
    exclude_reasons: Iterable[str] = (),
    min_n: int = 30,
) -> ir.Table:
    """The handle-time trap, per agent or team: does short AHT buy repeats?

    Per ``by`` segment: ``handled`` (any direction), ``aht_mean_s``, ``aht_median_s``;
    repeat-based FCR (any reason) ``fcr``, ``fcr_ci_low``, ``fcr_ci_high``, ``fcr_n`` (judged
    eligible contacts); ``repeat_share`` (of the segment's inbound identified contacts, the
    share that were themselves repeats: the repeat callers the segment absorbs), with its
    interval and ``repeat_share_n``; ``suppressed`` when ``fcr_n < min_n``. Ordered by AHT.

    ``by`` may be several columns (e.g. ``["team", "agent_id"]``). Across agents of different
    teams or channels this comparison is confounded by the work mix (chat and complaints take
    longer than general voice calls whatever the agent does): compare like with like with
    :func:`aht_vs_fcr_within_team`.
    """
    by_ = _as_list(by)
    work = _narrow(queue_flags(contacts), [*by_, "handled", "handle_s"])
    f = _recontact_frame(work, exclude_reasons, same_reason=False)
    flags = _window_flags(f, window_days, _eod_expr(contacts, end_of_data))
    f = f.mutate(
        _judged_el=f.eligible & flags["judged"],
        _resolved=f.eligible & flags["judged"] & ~flags["has_repeat"],
        _is_rep=flags["is_repeat"] & f.handled,
        _rs_pop=f.identified_inbound & f.handled,
    )
    _ = ibis._
    out = _grouped(
        f,
        by_,
        False,
        medians={"aht_median_s": "handle_s"},
        handled=_.count(where=_.handled),
        aht_mean_s=_.handle_s.mean(),
        fcr_resolved=_.count(where=_._resolved),
        fcr_n=_.count(where=_._judged_el),
        repeats=_.count(where=_._is_rep),
        repeat_share_n=_.count(where=_._rs_pop),
    )
    out = _with_rate(out, "fcr_resolved", "fcr_n", prefix="fcr_")
    out = out.rename(fcr="fcr_rate")
    out = _with_rate(out, "repeats", "repeat_share_n", prefix="repeat_share_")
    out = out.rename(repeat_share="repeat_share_rate")
    out = out.mutate(suppressed=out.fcr_n < min_n)
    return out.order_by([out.suppressed, out.aht_mean_s, *by_])


def aht_fcr_rank_correlation(table: ir.Table | Any) -> dict[str, float | int | None]:
    """Spearman rank correlation of AHT and FCR across non-suppressed segments of
    :func:`aht_vs_fcr` (executes that small aggregate: the reporting edge).

    A positive value means longer handle times go with higher FCR: cutting AHT would likely
    buy repeats. Returns ``{"spearman": rho, "p_value": p, "segments": n}`` (rho None when
    fewer than 3 segments qualify).
    """
    from scipy.stats import spearmanr

    df = table.execute() if isinstance(table, ir.Table) else table
    df = df[~df["suppressed"].astype(bool)].dropna(subset=["aht_mean_s", "fcr"])
    n = int(len(df))
    if n < 3 or df["aht_mean_s"].nunique() < 2 or df["fcr"].nunique() < 2:
        return {"spearman": None, "p_value": None, "segments": n}
    res = spearmanr(df["aht_mean_s"], df["fcr"])
    return {"spearman": float(res.statistic), "p_value": float(res.pvalue), "segments": n}


#: Defaults of the within-team handle-time trap (see :func:`aht_vs_fcr_within_team`).
#: An agent is flagged when their AHT is at most 75% of their team's typical agent (a quarter
#: faster: beyond the spread of ordinary handling speed inside a team, where agents' AHT
#: typically varies by 10-20%) AND their FCR is at least 5 points below the typical agent's
#: (a gap large enough to cost contacts, small enough not to miss an agent with ~100 judged
#: contacts, whose FCR alone carries about +-9 points of sampling error).
DEFAULT_TRAP_AHT_RATIO: float = 0.75
DEFAULT_TRAP_FCR_GAP: float = -0.05
#: A team needs this many qualifying agents for a "typical agent" to mean anything.
DEFAULT_TRAP_MIN_PEERS: int = 3

_NO_AGENT = "(not recorded)"


def aht_vs_fcr_within_team(
    contacts: ir.Table,
    *,
    peers: str | Sequence[str] = "team",
    end_of_data: datetime | date | None = None,
    window_days: float = 7,
    exclude_reasons: Iterable[str] = (),
    min_n: int = 30,
    min_peers: int = DEFAULT_TRAP_MIN_PEERS,
    aht_ratio_max: float = DEFAULT_TRAP_AHT_RATIO,
    fcr_gap_max: float = DEFAULT_TRAP_FCR_GAP,
) -> ir.Table:
    """The handle-time trap comparing like with like: each agent against their own team.

    AHT differs far more between teams and channels (chat against voice, complaints against
    general enquiries) than between agents doing the same work, so an across-agent comparison
    mostly measures the work mix. Here every agent is compared with the **typical agent of
    their peer group** (``peers``, default the team; e.g. ``["team", "channel"]`` also
    separates an agent's voice and chat work):

    * ``aht_ratio`` = the agent's mean AHT / the median of the mean AHTs of the group's
      qualifying agents (0.6 = 40% faster than the typical colleague);
    * ``fcr_gap`` = the agent's repeat-based FCR (any reason, as :func:`aht_vs_fcr`) minus the
      median FCR of the group's qualifying agents (-0.10 = 10 points below).

    The unit is an agent's work in one group (contacts grouped by ``peers`` and ``agent_id``):
    an agent who moved team appears once per team. Contacts without an agent are left out.
    An agent **qualifies** when they have at least ``min_n`` judged eligible contacts (else
    ``suppressed``, as METRICS.md: never ranked, never flagged, never part of a group median)
    and the group has at least ``min_peers`` qualifying agents (else ``few_peers``). The
    median includes the agent themself (a median is barely moved by one extreme agent).
    **Flagged** = qualifies, ``aht_ratio <= aht_ratio_max`` and ``fcr_gap <= fcr_gap_max``.

    Returns
    -------
    ir.Table
        The ``peers`` columns, ``agent_id``, ``agent_label`` ("Agent 7 (T_BILLING)": a number
        by sorted ``agent_id`` and the group, for reports that do not name staff), the
        columns of :func:`aht_vs_fcr` (``handled``, ``aht_mean_s``, ``aht_median_s``,
        ``fcr``, ``fcr_ci_low``, ``fcr_ci_high``, ``fcr_resolved``, ``fcr_n``,
        ``repeat_share``, ...), ``suppressed``, ``peer_agents`` (qualifying agents in the
        group), ``peer_aht_median_s``, ``peer_fcr_median``, ``few_peers``, ``qualifies``,
        ``aht_ratio``, ``fcr_gap`` (null unless ``qualifies``) and ``flagged``. Flagged agents
        first, then by group and ``aht_ratio``.

    Examples
    --------
    >>> import pandas as pd
    >>> from cxkit.testing import canonical_memtable
    >>> rows = [dict(contact_id=f"{a}{i}", customer_id=f"{a}{i}", agent_id=a, team="T",
    ...              direction="inbound", channel="voice", outcome="handled", talk_s=aht,
    ...              arrived_at="2026-03-02 09:00", ended_at="2026-03-02 09:10")
    ...         for a, aht in (("x", 300.0), ("y", 400.0), ("z", 500.0)) for i in range(30)]
    >>> eod = date(2026, 3, 31)
    >>> t = aht_vs_fcr_within_team(canonical_memtable("contacts", rows), end_of_data=eod).execute()
    >>> t[["agent_label", "aht_ratio", "fcr_gap", "flagged"]].values.tolist()
    [['Agent 1 (T)', 0.75, 0.0, False], ['Agent 2 (T)', 1.0, 0.0, False], ['Agent 3 (T)', 1.25, 0.0, False]]
    """
    from cxkit.operations import _median

    peers_ = _as_list(peers)
    if not peers_ or "agent_id" in peers_:
        raise ValueError(
            f"aht_vs_fcr_within_team: peers must name the grouping columns agents are compared "
            f"within (e.g. 'team' or ['team', 'channel']), not agent_id; found {peers!r}"
        )
    per = aht_vs_fcr(
        contacts,
        by=[*peers_, "agent_id"],
        end_of_data=end_of_data,
        window_days=window_days,
        exclude_reasons=exclude_reasons,
        min_n=min_n,
    )
    per = per.filter(per.agent_id != _NO_AGENT)
    eligible = per.filter(~per.suppressed & per.aht_mean_s.notnull() & per.fcr.notnull())
    stats = eligible.aggregate(by=peers_, peer_agents=eligible.count())
    for name, column in (("peer_aht_median_s", "aht_mean_s"), ("peer_fcr_median", "fcr")):
        med = _median(eligible, column, peers_, name)
        stats = stats.join(med, [stats[c] == med[f"_m_{c}"] for c in peers_]).drop(
            *[f"_m_{c}" for c in peers_]
        )
    stats = stats.rename(**{f"_p_{c}": c for c in peers_})
    out = per.left_join(stats, [per[c] == stats[f"_p_{c}"] for c in peers_]).drop(
        *[f"_p_{c}" for c in peers_]
    )
    out = out.mutate(peer_agents=out.peer_agents.fill_null(0))
    few = out.peer_agents < min_peers
    qualifies = ~out.suppressed & ~few & out.aht_mean_s.notnull() & out.fcr.notnull()
    out = out.mutate(few_peers=few, qualifies=qualifies)
    out = out.mutate(
        aht_ratio=ibis.ifelse(
            out.qualifies & (out.peer_aht_median_s > 0),
            out.aht_mean_s / out.peer_aht_median_s,
            ibis.null("float64"),
        ),
        fcr_gap=ibis.ifelse(out.qualifies, out.fcr - out.peer_fcr_median, ibis.null("float64")),
    )
    out = out.mutate(
        flagged=(
            out.qualifies & (out.aht_ratio <= aht_ratio_max) & (out.fcr_gap <= fcr_gap_max)
        ).fill_null(False)
    )
    number = ibis.dense_rank().over(ibis.window(order_by=out.agent_id)) + 1
    group = out[peers_[0]]
    for c in peers_[1:]:
        group = group + ", " + out[c]
    out = out.mutate(agent_label="Agent " + number.cast("string") + " (" + group + ")")
    first = [*peers_, "agent_id", "agent_label"]
    out = out.select(*first, *[c for c in out.columns if c not in first])
    return out.order_by([ibis.desc("flagged"), *peers_, "aht_ratio", "agent_id"])


def aht_fcr_rank_correlations(
    within: ir.Table, *, peers: str | Sequence[str] = "team", min_n: int = 30
) -> ir.Table:
    """Spearman rank correlations of AHT and FCR over the qualifying agents of
    :func:`aht_vs_fcr_within_team`, two ways, computed in the engine (lazy).

    * ``"across agents"``: raw mean AHT against raw FCR, all teams mixed (the confounded
      view: differences in work mix between teams dominate);
    * ``"within team"``: ``aht_ratio`` against ``fcr_gap``, pooled over the agents of every
      group (each agent relative to their own team's typical agent).

    A positive value means that agents who take longer than comparable colleagues also resolve
    more: a handle-time target would buy repeats. Both rows use the same agents. Columns:
    ``comparison``, ``n`` (agents), ``peer_groups``, ``spearman``, ``ci_low``, ``ci_high``
    (95%, Fisher z), ``below_min_n`` (fewer than ``min_n`` agents).
    """
    from cxkit.journey import spearman_correlation

    peers_ = _as_list(peers)
    q = within.filter(within.qualifies)
    groups = q.select(*peers_).distinct()
    groups = groups.aggregate(peer_groups=groups.count())
    parts = []
    for label, x, y in (("across agents", "aht_mean_s", "fcr"), ("within team", "aht_ratio", "fcr_gap")):
        r = spearman_correlation(q, x, y, min_n=min_n).cross_join(groups)
        parts.append(
            r.select(
                comparison=ibis.literal(label),
                n=r.n,
                peer_groups=r.peer_groups,
                spearman=r.spearman,
                ci_low=r.ci_low,
                ci_high=r.ci_high,
                below_min_n=r.below_min_n,
            )
        )
    return ibis.union(*parts, distinct=False)


def handle_time_trap_cards(
    within: ir.Table,
    *,
    peers: str | Sequence[str] = "team",
    min_n: int = 30,
    aht_ratio_max: float = DEFAULT_TRAP_AHT_RATIO,
    fcr_gap_max: float = DEFAULT_TRAP_FCR_GAP,
) -> Any:
    """Metric cards and a plain-language reading of the within-team handle-time trap: the
    reporting edge (executes :func:`aht_fcr_rank_correlations` and the flagged count, a few
    numbers). Pass the thresholds used for ``within`` so the cards state them."""
    import html as _html

    from cxkit import display

    corr = aht_fcr_rank_correlations(within, peers=peers, min_n=min_n).to_pandas()
    corr = corr.set_index("comparison")
    counts = within.aggregate(
        agents=within.count(where=within.qualifies), flagged=within.count(where=within.flagged)
    ).to_pandas().iloc[0]
    inside, across = corr.loc["within team"], corr.loc["across agents"]
    n, groups, flagged = int(inside.n), int(inside.peer_groups), int(counts.flagged)

    def num(v: Any) -> float | None:
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)

    rho, lo, hi = num(inside.spearman), num(inside.ci_low), num(inside.ci_high)
    interval = f"95% CI {lo:.2f} to {hi:.2f}; " if lo is not None and hi is not None else ""
    cards = [
        {"label": "AHT and FCR within teams (rank correlation)", "value": rho, "format": "decimal2",
         "detail": f"{interval}{n} agents in {groups} teams, each against their team's typical agent"},
        {"label": "Across all agents, teams mixed", "value": num(across.spearman), "format": "decimal2",
         "detail": "the comparison a center-wide chart makes; the work mix dominates it"},
        {"label": "Agents flagged", "value": f"{flagged} of {n}",
         "detail": f"AHT at most {aht_ratio_max:.0%} of their team's typical agent and FCR "
                   f"at least {abs(fcr_gap_max) * 100:.0f} points below it"},
    ]
    if rho is None:
        reading = "Too few agents qualify to compare handle time and resolution within teams."
    elif lo is not None and lo > 0:
        reading = (f"Within teams, agents who take longer than their colleagues resolve more "
                   f"(rank correlation {rho:.2f}): a handle-time target would likely buy repeats.")
    elif hi is not None and hi < 0:
        reading = (f"Within teams, faster agents resolve as much or more (rank correlation "
                   f"{rho:.2f}): there is no sign that short calls buy repeats in general.")
    else:
        reading = (f"Within teams, speed and resolution do not move together across all agents "
                   f"(rank correlation {rho:.2f}, an interval that includes zero)")
        reading += (f"; the trap, where it exists, is concentrated in the {flagged} flagged "
                    f"agent{'s' if flagged != 1 else ''} below." if flagged else ".")
    if n < min_n:
        reading += f" Fewer than {min_n} agents qualify: read the correlation as indicative."
    box = display.metric_cards(cards)
    return display.Html(f"{box} {reading}", f"{box._repr_html_()}<p>{_html.escape(reading)}</p>")


# --------------------------------------------------------------------------------------------
# transfers
# --------------------------------------------------------------------------------------------


def repeat_after_transfer(
    contacts: ir.Table,
    *,
    end_of_data: datetime | date | None = None,
    window_days: float = 7,
    same_reason: bool = False,
    exclude_reasons: Iterable[str] = (),
) -> ir.Table:
    """Repeat rate after transferred vs non-transferred contacts, and the difference.

    Population: eligible judged contacts (as FCR); repeat rate = share with a repeat within the
    window (= 1 - FCR of the group). Rows ``transferred``, ``not transferred`` (``numerator``
    repeats, ``denominator``, ``rate``, 95% Wilson interval) and ``difference`` (transferred
    minus not transferred, with Newcombe's hybrid score interval; numerator and denominator
    null).
    """
    f = _recontact_frame(_narrow(contacts), exclude_reasons, backward=False, same_reason=same_reason)
    flags = _window_flags(f, window_days, _eod_expr(contacts, end_of_data))
    pop = f.eligible & flags["judged"]
    if same_reason:
        pop = pop & f.reason_key.notnull()
    rep = flags["has_repeat_same_reason"] if same_reason else flags["has_repeat"]
    tr = f.transfers.fill_null(0) >= 1
    agg = f.aggregate(
        r1=f.count(where=pop & tr & rep),
        n1=f.count(where=pop & tr),
        r0=f.count(where=pop & ~tr & rep),
        n0=f.count(where=pop & ~tr),
    )
    l1, u1 = wilson_interval(agg.r1, agg.n1)
    l0, u0 = wilson_interval(agg.r0, agg.n0)

    def p(r: ir.IntegerValue, n: ir.IntegerValue) -> ir.FloatingValue:
        return ibis.ifelse(n > 0, r.cast("float64") / n.cast("float64"), ibis.null("float64"))

    p1, p0 = p(agg.r1, agg.n1), p(agg.r0, agg.n0)
    d = p1 - p0
    lo = d - ((p1 - l1) ** 2 + (u0 - p0) ** 2).sqrt()
    hi = d + ((u1 - p1) ** 2 + (p0 - l0) ** 2).sqrt()
    rows = [
        agg.select(group=ibis.literal("transferred"), numerator=agg.r1, denominator=agg.n1, rate=p1, ci_low=l1, ci_high=u1),
        agg.select(group=ibis.literal("not transferred"), numerator=agg.r0, denominator=agg.n0, rate=p0, ci_low=l0, ci_high=u0),
        agg.select(
            group=ibis.literal("difference"),
            numerator=ibis.null("int64"),
            denominator=ibis.null("int64"),
            rate=d,
            ci_low=lo,
            ci_high=hi,
        ),
    ]
    out = rows[0].union(rows[1]).union(rows[2])
    return out.mutate(window_days=ibis.literal(float(window_days)))


_NO_LEGS = "no legs table: transfer chains and ping-pong need leg-grain contact data"


def _legs_steps(legs: ir.Table) -> ir.Table:
    """Legs in order, with consecutive legs in the same queue merged into one step."""
    l = legs.select("contact_id", "leg_seq", "queue")
    w = ibis.window(group_by=l.contact_id, order_by=l.leg_seq)
    l = l.mutate(_prev=l.queue.lag().over(w), _k=ibis.row_number().over(w))
    return l.filter((l._k == 0) | ~l.queue.identical_to(l._prev)).drop("_prev", "_k")


def _legs_of_transferred(legs: ir.Table, several: ir.Table | None) -> ir.Table:
    """The legs of the contacts of two or more legs: those ``several`` names (``contact_id``)
    when the caller has them, else found by grouping the legs (a leg without a contact id is
    a contact of its own, never among them)."""
    if several is None:
        return split_by_group_size(legs, ["contact_id"], null_keys_alone=True)[0]
    keys = several.select(_cid=several.contact_id)
    return legs.semi_join(keys, legs.contact_id == keys._cid)


def transfer_ping_pong(legs: ir.Table | None, *, several: ir.Table | None = None) -> ir.Table:
    """Ping-pong transfers: contacts whose queue sequence goes A -> B -> A.

    Consecutive legs in the same queue are one step (an agent-to-agent transfer within a
    queue is not a ping-pong). Returns one row: ``available``, ``contacts`` (in the legs
    table), ``transferred`` (two or more legs), ``numerator`` (ping-pong contacts),
    ``denominator`` (= transferred), ``rate`` (share of transferred contacts) with its Wilson
    interval, ``share_of_contacts`` and ``note``. Without a legs table: ``available`` False and
    the note says why.

    ``several``: the ids (``contact_id``) of the contacts of two or more legs when the caller
    has them (the session's fold of the legs found them: :meth:`cxkit.session.Session.contacts_of_several_legs`);
    without it the legs are grouped by contact to find them.
    """
    schema = {
        "available": "boolean",
        "contacts": "int64",
        "transferred": "int64",
        "numerator": "int64",
        "denominator": "int64",
        "rate": "float64",
        "ci_low": "float64",
        "ci_high": "float64",
        "share_of_contacts": "float64",
        "note": "string",
    }
    if legs is None:
        row = {k: [None] for k in schema}
        row["available"], row["note"] = [False], [_NO_LEGS]
        return ibis.memtable(row, schema=schema)
    # a leg without a contact id is a contact of its own (cxkit.loading.fold_legs): one leg,
    # not transferred; grouped by their missing id, such legs made one transferred contact
    loose = legs.filter(legs.contact_id.isnull()).count().as_scalar()
    legs = legs.filter(legs.contact_id.notnull())
    # only the legs of transferred contacts (two or more legs) are grouped; every other contact
    # is one leg: the contacts are the legs less the transferred contacts' legs, plus those
    # contacts. At 10 million contacts (11 million legs, 844,000 contacts of several) this
    # share took 0.80-0.93 s from the fold's ids against 1.35-1.39 s grouping every leg, and the
    # transfer paths 0.64-0.69 s against 1.40 s (2026-12-05)
    multi = _legs_of_transferred(legs, several)
    n_legs = multi.group_by("contact_id").aggregate(_legs=multi.count())
    # A -> B -> A takes three legs: only the legs of such contacts are put in order
    three = n_legs.filter(n_legs._legs >= 3).select(_cid="contact_id")
    steps = _legs_steps(multi.semi_join(three, multi.contact_id == three._cid))
    w = ibis.window(group_by=steps.contact_id, order_by=steps.leg_seq)
    q1, q2 = steps.queue.lag(1).over(w), steps.queue.lag(2).over(w)
    steps = steps.mutate(_pp=((steps.queue == q2) & (steps.queue != q1)).fill_null(False))
    pp = steps.group_by("contact_id").aggregate(_pp=steps.count(where=steps._pp))
    per = n_legs.left_join(pp, n_legs.contact_id == pp.contact_id)
    agg = per.aggregate(
        transferred=per.count(),
        transferred_legs=per._legs.sum(),
        numerator=per.count(where=per._pp.fill_null(0) > 0),
    )
    single = legs.count().as_scalar() - agg.transferred_legs.fill_null(0)
    agg = agg.mutate(contacts=single + agg.transferred + loose, denominator=agg.transferred)
    agg = _with_rate(agg)
    return agg.mutate(
        available=ibis.literal(True),
        share_of_contacts=ibis.ifelse(agg.contacts > 0, agg.numerator.cast("float64") / agg.contacts, ibis.null("float64")),
        note=ibis.literal("A -> B -> A queue sequence; consecutive legs in one queue merged"),
    ).select(*schema)


def transfer_chains(legs: ir.Table | None, *, top: int = 10, max_steps: int = 5,
                    several: ir.Table | None = None) -> ir.Table:
    """The most frequent queue paths of transferred contacts (two or more legs).

    A path is the ordered queues of the contact's legs (``"billing > tech > billing"``), the
    first ``max_steps`` legs shown and the rest summarised as ``"> ... (+N)"``. Returns ``path``,
    ``legs``, ``contacts``, ``share`` (of transferred contacts), top ``top`` by volume. Without a
    legs table: one row whose ``path`` says so. ``several``: the ids of the contacts of two or
    more legs when the caller has them, as :func:`transfer_ping_pong` takes them.
    """
    if legs is None:
        return ibis.memtable(
            {"path": [_NO_LEGS], "legs": [None], "contacts": [None], "share": [None]},
            schema={"path": "string", "legs": "int64", "contacts": "int64", "share": "float64"},
        )
    # only transferred contacts have a path: only their legs are put in order (a leg without a
    # contact id is a contact of its own: no path)
    legs = _legs_of_transferred(legs, several)
    w = ibis.window(group_by=legs.contact_id, order_by=legs.leg_seq)
    l = legs.mutate(_k=ibis.row_number().over(w), _q=legs.queue.fill_null("(not recorded)"))
    per = l.group_by("contact_id").aggregate(
        _n=l.count(),
        **{f"_s{k}": l._q.max(where=l._k == k) for k in range(max_steps)},
    )
    per = per.filter(per._n >= 2)
    path = per._s0
    for k in range(1, max_steps):
        path = ibis.ifelse(per._n > k, path + " > " + per[f"_s{k}"], path)
    path = ibis.ifelse(
        per._n > max_steps, path + " > ... (+" + (per._n - max_steps).cast("string") + ")", path
    )
    per = per.mutate(path=path)
    counts = per.group_by(["path"]).aggregate(legs=per._n.max(), contacts=per.count())
    total = counts.contacts.sum().over(ibis.window())
    counts = counts.mutate(share=counts.contacts.cast("float64") / total)
    return counts.order_by([counts.contacts.desc(), counts.path]).limit(top)


# --------------------------------------------------------------------------------------------
# reporting edge
# --------------------------------------------------------------------------------------------

#: Readiness diagnostics whose caveats the resolution section shows.
RESOLUTION_DIAGNOSTICS: tuple[str, ...] = ("fcr_repeat", "fcr_transfer", "fcr_case", "fcr_survey", "aht")


def readiness_caveats(
    readiness: Mapping[str, Any] | None, diagnostics: Sequence[str] = RESOLUTION_DIAGNOSTICS
) -> Any:
    """Caveat boxes (``cxkit.display``) for the diagnostics readiness did not find ready.

    ``readiness`` is the dict of ``cxkit.readiness.load_readiness(run_dir)`` (None when the
    readiness section has not run: nothing is shown). Returns one ``display.Html`` holding every
    box, empty when all are ready.
    """
    from cxkit import display

    if not readiness:
        return display.Html("", "")
    boxes = []
    for key in diagnostics:
        entry = readiness.get("matrix", {}).get(key)
        verdict = (entry or {}).get("verdict")
        if verdict not in (None, "ready"):
            # the matrix reason is already a sentence naming the diagnostic
            kind = verdict if verdict in ("degraded", "blocked") else "info"
            boxes.append(display.caveat(kind, entry.get("reason", "")))
    return display.Html("\n".join(str(b) for b in boxes), "".join(b._repr_html_() for b in boxes))
