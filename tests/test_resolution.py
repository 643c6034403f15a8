"""Hand-computed fixtures for every resolution definition in METRICS.md (run on DuckDB).

Each test states its arithmetic in a comment. Times are UTC unless a comment says otherwise.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import ibis
import pandas as pd
import pytest

from cxkit import resolution as R
from cxkit.stats import wilson_bounds
from cxkit.testing import canonical_memtable, ts

EOD = ts("2026-04-30 00:00")  # far enough that nothing in a fixture is censored unless meant


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


def c(cid: str, arrived: str, ended: str | None = None, **kw) -> dict:
    """An inbound, handled, identified voice contact (override anything with keywords)."""
    row = dict(
        contact_id=cid,
        customer_id="k1",
        channel="voice",
        direction="inbound",
        outcome="handled",
        arrived_at=arrived,
        ended_at=ended if ended is not None else arrived,
        contact_reason="billing",
    )
    row.update(kw)
    return row


def flags(con, rows, **kw) -> dict[str, dict]:
    t = canonical_memtable("contacts", rows)
    kw.setdefault("end_of_data", EOD)
    df = con.execute(R.repeat_flags(t, **kw))
    return {r["contact_id"]: r for r in df.to_dict("records")}


def one(con, expr) -> dict:
    df = con.execute(expr)
    assert len(df) == 1, df
    return df.iloc[0].to_dict()


# ------------------------------------------------------------------------------------------
# the pairing rule
# ------------------------------------------------------------------------------------------


def test_window_boundary_is_inclusive_and_one_second_beyond_is_not(con):
    # E ends 03-02 09:10:00; window 7 d = 604,800 s.
    # L1 (customer k1) arrives 03-09 09:10:00: gap = 604,800 s exactly -> repeat (inclusive).
    # L2 (customer k2) arrives 03-09 09:10:01: gap = 604,801 s -> not a repeat.
    rows = [
        c("e1", "2026-03-02 09:00", "2026-03-02 09:10:00"),
        c("l1", "2026-03-09 09:10:00", "2026-03-09 09:15"),
        c("e2", "2026-03-02 09:00", "2026-03-02 09:10:00", customer_id="k2"),
        c("l2", "2026-03-09 09:10:01", "2026-03-09 09:15", customer_id="k2"),
    ]
    f = flags(con, rows)
    assert f["e1"]["has_repeat"] and f["l1"]["is_repeat"]
    assert not f["e2"]["has_repeat"] and not f["l2"]["is_repeat"]
    assert f["e1"]["recontact_gap_s"] == 604_800
    assert f["e2"]["recontact_gap_s"] == 604_801  # the gap is known beyond the window


def test_microsecond_timestamps_from_real_sources(con):
    # Loaded sources carry timestamp('UTC', 6); the pairing must accept them (and keep
    # sub-second precision: gap 604,800.000001 s is beyond the window).
    rows = [
        c("e", "2026-03-02 09:00", "2026-03-02 09:10:00"),
        c("l", "2026-03-09 09:10:00", "2026-03-09 09:15"),
        c("e2", "2026-03-02 09:00", "2026-03-02 09:10:00", customer_id="k2"),
        c("l2", "2026-03-09 09:10:00", "2026-03-09 09:15", customer_id="k2"),
    ]
    t = canonical_memtable("contacts", rows)
    t = t.mutate(
        arrived_at=ibis.ifelse(t.contact_id == "l2", t.arrived_at + ibis.interval(microseconds=1), t.arrived_at)
        .cast("timestamp('UTC', 6)"),
        ended_at=t.ended_at.cast("timestamp('UTC', 6)"),
    )
    f = con.execute(R.repeat_flags(t, end_of_data=EOD)).set_index("contact_id")
    assert f.loc["e", "has_repeat"] and not f.loc["e2", "has_repeat"]


def test_window_days_parameter_is_exact_seconds(con):
    # window 1 d = 86,400 s: gap of 86,400 s repeat; with window 0.5 d (43,200 s) not.
    rows = [c("e", "2026-03-02 08:00", "2026-03-02 09:00"), c("l", "2026-03-03 09:00", "2026-03-03 09:05")]
    assert flags(con, rows, window_days=1)["e"]["has_repeat"]
    assert not flags(con, rows, window_days=0.5)["e"]["has_repeat"]


def test_arrival_exactly_at_earlier_end_is_a_repeat(con):
    # gap = 0 s: 0 <= 0 <= window -> repeat (the lower bound is inclusive): a dropped call
    # and an immediate call back.
    f = flags(con, [c("e", "2026-03-02 09:00", "2026-03-02 09:10"), c("l", "2026-03-02 09:10", "2026-03-02 09:20")])
    assert f["e"]["has_repeat"] and f["l"]["is_repeat"]
    assert f["e"]["recontact_gap_s"] == 0


def test_same_timestamp_contacts_are_never_repeats_of_each_other(con):
    # Two zero-duration emails at the same instant: gap 0 either way, but neither is later
    # than the other (and they overlap at that instant) -> no repeat in either direction.
    # A third arriving one second later is a repeat of both (gap 1 s).
    rows = [
        c("m1", "2026-03-02 09:00:00", channel="email"),
        c("m2", "2026-03-02 09:00:00", channel="email"),
        c("m3", "2026-03-02 09:00:01", channel="email", customer_id="k2"),
        c("m4", "2026-03-02 09:00:00", channel="email", customer_id="k2"),
    ]
    f = flags(con, rows)
    assert not f["m1"]["has_repeat"] and not f["m2"]["has_repeat"]
    assert not f["m1"]["is_repeat"] and not f["m2"]["is_repeat"]
    assert f["m4"]["has_repeat"] and f["m3"]["is_repeat"]
    # Same arrival, different durations: call 09:00-09:30 and chat 09:00-09:05 overlap.
    g = flags(con, [c("v", "2026-03-02 09:00", "2026-03-02 09:30"), c("ch", "2026-03-02 09:00", "2026-03-02 09:05", channel="chat")])
    assert not any(r["has_repeat"] or r["is_repeat"] for r in g.values())


def test_overlapping_contacts_are_not_repeats(con):
    # E call 09:00-09:30; chat L 09:10-09:20 overlaps E: L.arrived - E.ended = -20 min < 0 and
    # E.arrived - L.ended < 0 -> no repeat either way.
    # M arrives 09:25: after L ended (09:20, gap 5 min) -> repeat of L; before E ended -> not of E.
    rows = [
        c("e", "2026-03-02 09:00", "2026-03-02 09:30"),
        c("l", "2026-03-02 09:10", "2026-03-02 09:20", channel="chat"),
        c("m", "2026-03-02 09:25", "2026-03-02 09:28", channel="chat"),
    ]
    f = flags(con, rows)
    assert not f["e"]["has_repeat"]  # nothing arrives at or after 09:30
    assert f["l"]["has_repeat"] and f["m"]["is_repeat"]
    assert not f["l"]["is_repeat"]  # E had not ended when L arrived


def test_folded_transfer_legs_are_one_contact_not_repeats(con):
    # One call folded from 3 legs (transfers = 2): a single row, so nothing to pair with.
    # Repeat-based FCR 1/1; transfer-adjusted 0/1; transfer rate 1/1 (one contact, not two).
    rows = [c("t", "2026-03-02 09:00", "2026-03-02 09:40", transfers=2)]
    t = canonical_memtable("contacts", rows)
    assert not flags(con, rows)["t"]["has_repeat"]
    r = one(con, R.fcr_repeat(t, end_of_data=EOD))
    assert (r["numerator"], r["denominator"]) == (1, 1)
    a = one(con, R.fcr_transfer_adjusted(t, end_of_data=EOD))
    assert (a["numerator"], a["denominator"]) == (0, 1)
    from cxkit.operations import transfer_rate

    tr = one(con, transfer_rate(t))
    assert (tr["numerator"], tr["denominator"]) == (1, 1)


def test_cross_channel_repeat(con):
    # voice ends 09:10; chat arrives next day 10:00 (gap 24 h 50 min < 7 d) -> repeat.
    f = flags(con, [c("v", "2026-03-02 09:00", "2026-03-02 09:10"), c("ch", "2026-03-03 10:00", "2026-03-03 10:20", channel="chat")])
    assert f["v"]["has_repeat"] and f["ch"]["is_repeat"]


def test_unidentified_customers_are_excluded(con):
    # Two contacts without a customer id (null and blank) 1 h apart: never paired, not eligible,
    # outside the repeat-share denominator. k1's pair: e -> l is a repeat.
    # FCR: eligible = e, l (2), judged both; e repeated -> 1/2. Repeat share: l / (e, l) = 1/2.
    rows = [
        c("u1", "2026-03-02 09:00", "2026-03-02 09:10", customer_id=None),
        c("u2", "2026-03-02 10:00", "2026-03-02 10:10", customer_id=None),
        c("u3", "2026-03-02 10:30", "2026-03-02 10:40", customer_id="  "),
        c("e", "2026-03-02 09:00", "2026-03-02 09:10"),
        c("l", "2026-03-02 11:00", "2026-03-02 11:10"),
    ]
    f = flags(con, rows)
    for u in ("u1", "u2", "u3"):
        assert not f[u]["eligible"] and not f[u]["identified_inbound"]
        assert not f[u]["has_repeat"] and not f[u]["is_repeat"]
    t = canonical_memtable("contacts", rows)
    r = one(con, R.fcr_repeat(t, end_of_data=EOD))
    assert (r["numerator"], r["denominator"], r["eligible"]) == (1, 2, 2)
    s = one(con, R.repeat_share(t))
    assert (s["numerator"], s["denominator"]) == (1, 2)


def test_right_censoring_at_the_end_of_data(con):
    # End of data 04-01 00:00, window 7 d -> judged iff ended_at <= 03-25 00:00:00.
    # a ends exactly 03-25 00:00:00 -> judged (ended + 7 d == end of data), no repeat -> resolved.
    # b (k2) ends 03-25 00:00:01 -> censored, even with no repeat: never counted resolved.
    # d (k3) ends 03-28, has a repeat 03-29: still censored (leaves the denominator).
    # FCR = 1/1, censored = 2.
    eod = ts("2026-04-01 00:00")
    rows = [
        c("a", "2026-03-24 23:50", "2026-03-25 00:00:00"),
        c("b", "2026-03-24 23:50", "2026-03-25 00:00:01", customer_id="k2"),
        c("d", "2026-03-28 09:00", "2026-03-28 09:10", customer_id="k3"),
        c("d2", "2026-03-29 09:00", "2026-03-29 09:10", customer_id="k3", outcome="abandoned"),
    ]
    f = flags(con, rows, end_of_data=eod)
    assert f["a"]["judged"] and not f["a"]["censored"]
    assert not f["b"]["judged"] and f["b"]["censored"]
    assert f["d"]["censored"] and f["d"]["has_repeat"]
    r = one(con, R.fcr_repeat(canonical_memtable("contacts", rows), end_of_data=eod))
    assert (r["numerator"], r["denominator"], r["censored"]) == (1, 1, 2)
    assert r["rate"] == 1.0


def test_end_of_data_defaults_to_latest_arrival(con):
    # No end_of_data: latest arrival = 03-10 12:00. a ends 03-03 12:00 -> +7 d = 03-10 12:00
    # <= end -> judged; b ends 03-03 12:00:01 -> censored (k2). l arrives 03-10 12:00 but for
    # k3, no effect. FCR 1/1, censored = 1 (l itself and b are censored: l ended 03-10 12:05).
    rows = [
        c("a", "2026-03-03 11:00", "2026-03-03 12:00"),
        c("b", "2026-03-03 11:00", "2026-03-03 12:00:01", customer_id="k2"),
        c("l", "2026-03-10 12:00", "2026-03-10 12:05", customer_id="k3"),
    ]
    t = canonical_memtable("contacts", rows)
    assert R.end_of_data(t) == ts("2026-03-10 12:00")
    r = one(con, R.fcr_repeat(t))
    assert (r["numerator"], r["denominator"], r["censored"]) == (1, 1, 2)


def test_end_of_data_helper():
    # METRICS.md: the latest arrival, never later than the period end
    t = canonical_memtable("contacts", [c("a", "2026-03-03 11:00"), c("b", "2026-03-31 22:30")])
    # the period runs past the data (to 30 April): the data's end, not the period's
    assert R.end_of_data(t, date(2026, 4, 30)) == ts("2026-03-31 22:30")
    # a date is the last day, inclusive: its end is the next UTC midnight (after the last arrival here)
    assert R.end_of_data(t, date(2026, 3, 31)) == ts("2026-03-31 22:30")
    # the data runs past the period: capped at the period end
    assert R.end_of_data(t, datetime(2026, 3, 31, 22, 0)) == ts("2026-03-31 22:00")
    cet = timezone(timedelta(hours=1))
    assert R.end_of_data(t, datetime(2026, 3, 31, 23, 0, tzinfo=cet)) == ts("2026-03-31 22:00")
    # a date given to a diagnostic is the end of data as stated (no query)
    assert R._as_instant(date(2026, 3, 31)) == ts("2026-04-01 00:00")


def test_outbound_and_callbacks_are_never_repeats_nor_earlier_contacts(con):
    # e inbound ends 09:10; an outbound call (09:30) and a callback (10:00) follow: not repeats
    # -> e resolved. The outbound call is followed by inbound l2 next week... l2 arrives
    # 03-06, 4 d after e ended -> l2 IS a repeat of e (inbound), but not "of" the outbound.
    # k2: outbound o at 09:00, inbound i at 10:00: o is not an earlier contact -> i not a repeat,
    # and o is not eligible.
    rows = [
        c("e", "2026-03-02 09:00", "2026-03-02 09:10"),
        c("ob", "2026-03-02 09:30", "2026-03-02 09:40", direction="outbound"),
        c("cb", "2026-03-02 10:00", "2026-03-02 10:10", direction="callback"),
        c("o", "2026-03-02 09:00", "2026-03-02 09:05", direction="outbound", customer_id="k2"),
        c("i", "2026-03-02 10:00", "2026-03-02 10:05", customer_id="k2"),
    ]
    f = flags(con, rows)
    assert not f["e"]["has_repeat"]
    assert not f["ob"]["is_repeat"] and not f["cb"]["is_repeat"]
    assert not f["o"]["eligible"] and not f["o"]["has_repeat"]
    assert not f["i"]["is_repeat"]
    # Repeat share denominator = inbound identified = e, i -> 0/2
    s = one(con, R.repeat_share(canonical_memtable("contacts", rows)))
    assert (s["numerator"], s["denominator"]) == (0, 2)


def test_abandoned_and_self_service_later_contacts_are_repeats(con):
    # e handled ends 09:10; k1 comes back via self-service 03-03 (contained) -> repeat.
    # k2: e2 ends 09:10; abandoned call 03-04 -> repeat. Earlier abandoned contacts are not
    # eligible (not handled), but are earlier contacts for repeat share: k3's abandoned a3
    # then handled h3 1 h later -> h3 is a repeat (share), a3 not eligible.
    rows = [
        c("e", "2026-03-02 09:00", "2026-03-02 09:10"),
        c("ss", "2026-03-03 09:00", "2026-03-03 09:02", channel="self_service", outcome="contained"),
        c("e2", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k2"),
        c("ab", "2026-03-04 09:00", "2026-03-04 09:01", customer_id="k2", outcome="abandoned"),
        c("a3", "2026-03-02 09:00", "2026-03-02 09:02", customer_id="k3", outcome="abandoned"),
        c("h3", "2026-03-02 10:00", "2026-03-02 10:10", customer_id="k3"),
    ]
    f = flags(con, rows)
    assert f["e"]["has_repeat"] and f["ss"]["is_repeat"]
    assert f["e2"]["has_repeat"] and f["ab"]["is_repeat"]
    assert not f["a3"]["eligible"] and f["h3"]["is_repeat"]
    # FCR: eligible e, e2, h3; e and e2 repeated -> 1/3.
    r = one(con, R.fcr_repeat(canonical_memtable("contacts", rows), end_of_data=EOD))
    assert (r["numerator"], r["denominator"]) == (1, 3)
    # Repeat share: repeats ss, ab, h3 / 6 inbound identified contacts.
    s = one(con, R.repeat_share(canonical_memtable("contacts", rows)))
    assert (s["numerator"], s["denominator"]) == (3, 6)


def test_dst_window_is_exactly_seven_times_86400_seconds(con):
    # UK clocks go forward 2026-03-29 01:00 UTC. E ends 03-25 12:00 UTC (12:00 GMT).
    # L1 arrives 04-01 12:00 UTC (13:00 BST): exactly 604,800 s -> repeat, although it is
    # "7 days and 1 hour" on the local wall clock.
    # L2 (k2) arrives 04-01 12:00:01 UTC (same local day, 1 s more) -> not a repeat, although
    # it is inside 7 local calendar days + 1 h: the window is instants, not dates.
    # L3 (k3) arrives 04-01 11:30 UTC (12:30 BST, wall clock 7 d 0 h 30 min later) -> repeat.
    rows = [
        c("e1", "2026-03-25 11:50", "2026-03-25 12:00"),
        c("l1", "2026-04-01 12:00", "2026-04-01 12:05"),
        c("e2", "2026-03-25 11:50", "2026-03-25 12:00", customer_id="k2"),
        c("l2", "2026-04-01 12:00:01", "2026-04-01 12:05", customer_id="k2"),
        c("e3", "2026-03-25 11:50", "2026-03-25 12:00", customer_id="k3"),
        c("l3", "2026-04-01 11:30", "2026-04-01 11:35", customer_id="k3"),
    ]
    f = flags(con, rows)
    assert f["e1"]["has_repeat"] and not f["e2"]["has_repeat"] and f["e3"]["has_repeat"]


def test_dst_window_from_london_local_times(con):
    # The same rule from London wall-clock times converted to UTC (as the loader does):
    # E ends 2026-03-28 10:00 GMT = 10:00 UTC; L arrives 2026-04-04 11:00 BST = 10:00 UTC.
    # 7 * 86,400 s exactly -> repeat; at 11:00:01 BST -> not.
    from zoneinfo import ZoneInfo

    ldn = ZoneInfo("Europe/London")

    def utc(y, mo, d, h, mi, s=0):
        return datetime(y, mo, d, h, mi, s, tzinfo=ldn).astimezone(timezone.utc)

    rows = [
        c("e", utc(2026, 3, 28, 9, 50), utc(2026, 3, 28, 10, 0)),
        c("l", utc(2026, 4, 4, 11, 0), utc(2026, 4, 4, 11, 5)),
        c("e2", utc(2026, 3, 28, 9, 50), utc(2026, 3, 28, 10, 0), customer_id="k2"),
        c("l2", utc(2026, 4, 4, 11, 0, 1), utc(2026, 4, 4, 11, 5), customer_id="k2"),
    ]
    f = flags(con, rows)
    assert f["e"]["recontact_gap_s"] == 7 * 86400
    assert f["e"]["has_repeat"] and not f["e2"]["has_repeat"]


def test_exclusion_list(con):
    # exclude "sales" (a contact_reason) and "marketing" (a reason_family).
    # e (billing) repeated by x (sales) -> the excluded x still is the customer coming back.
    # x itself is not eligible; m (family marketing) not eligible.
    # Eligible: e, y (k2, billing, no repeat) -> FCR 1/2; without the list: e, x, m, y ->
    # x repeated by nothing... x (03-03) and m (k1, 03-20): m arrives 16 d after x -> no.
    # so without exclusions: resolved x, m, y; e repeated -> 3/4.
    rows = [
        c("e", "2026-03-02 09:00", "2026-03-02 09:10"),
        c("x", "2026-03-03 09:00", "2026-03-03 09:10", contact_reason="sales"),
        c("m", "2026-03-20 09:00", "2026-03-20 09:10", contact_reason="promo", reason_family="marketing"),
        c("y", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k2"),
    ]
    t = canonical_memtable("contacts", rows)
    f = flags(con, rows, exclude_reasons=("sales", "marketing"))
    assert f["e"]["has_repeat"] and not f["x"]["eligible"] and not f["m"]["eligible"]
    r = one(con, R.fcr_repeat(t, end_of_data=EOD, exclude_reasons=["sales", "marketing"]))
    assert (r["numerator"], r["denominator"]) == (1, 2)
    r0 = one(con, R.fcr_repeat(t, end_of_data=EOD))
    assert (r0["numerator"], r0["denominator"]) == (3, 4)


def test_same_reason_uses_reason_family_when_mapped(con):
    # e: reason "bill_dispute", family "billing". Next k1 contacts: d (delivery, 1 d later),
    # then b (reason "bill_copy", family "billing", 2 d later).
    # any reason: e's next inbound is d -> repeat. same reason: b shares family -> repeat.
    # k2: e2 family "billing"; l2 reason "billing" with no family -> key "billing" = same.
    # k3: e3 family "billing"; l3 reason "bill_copy" no family -> key "bill_copy" != -> no.
    # k4: e4 has no reason at all -> cannot be judged on reason (unknown_reason).
    rows = [
        c("e", "2026-03-02 09:00", "2026-03-02 09:10", contact_reason="bill_dispute", reason_family="billing"),
        c("d", "2026-03-03 09:00", "2026-03-03 09:10", contact_reason="delivery", reason_family="orders"),
        c("b", "2026-03-04 09:00", "2026-03-04 09:10", contact_reason="bill_copy", reason_family="billing"),
        c("e2", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k2", contact_reason="x", reason_family="billing"),
        c("l2", "2026-03-03 09:00", "2026-03-03 09:10", customer_id="k2", contact_reason="billing"),
        c("e3", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k3", contact_reason="x", reason_family="billing"),
        c("l3", "2026-03-03 09:00", "2026-03-03 09:10", customer_id="k3", contact_reason="bill_copy"),
        c("e4", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k4", contact_reason=None),
    ]
    f = flags(con, rows)
    assert f["e"]["has_repeat"] and f["e"]["has_repeat_same_reason"]
    assert f["d"]["has_repeat"] and not f["d"]["has_repeat_same_reason"]  # d(orders) -> b(billing)
    assert f["b"]["is_repeat_same_reason"] and not f["d"]["is_repeat_same_reason"]
    assert f["e2"]["has_repeat_same_reason"]
    assert f["e3"]["has_repeat"] and not f["e3"]["has_repeat_same_reason"]
    assert not f["e4"]["has_repeat_same_reason"]
    t = canonical_memtable("contacts", rows)
    # same reason: eligible with a reason = 7 (all but e4); repeated e, e2 -> 5/7; unknown 1.
    r = one(con, R.fcr_repeat(t, end_of_data=EOD, same_reason=True))
    assert (r["numerator"], r["denominator"], r["unknown_reason"]) == (5, 7, 1)
    # any reason: 8 eligible; repeated e, d, e2, e3 -> 4/8.
    r = one(con, R.fcr_repeat(t, end_of_data=EOD))
    assert (r["numerator"], r["denominator"], r["unknown_reason"]) == (4, 8, 0)


def test_null_or_inverted_end_reads_as_arrival(con):
    # e's ended_at is before its arrival (export error): read as arrived_at 09:00, so l at
    # 09:00 is a same-instant contact (not a repeat) and m at 09:01 is a repeat (gap 60 s).
    rows = [
        c("e", "2026-03-02 09:00", "2026-03-02 08:00"),
        c("m", "2026-03-02 09:01", "2026-03-02 09:05"),
        c("e2", "2026-03-02 09:00", None, customer_id="k2"),
        c("m2", "2026-03-02 09:01", "2026-03-02 09:05", customer_id="k2"),
    ]
    rows[2]["ended_at"] = None
    f = flags(con, rows)
    assert f["e"]["recontact_gap_s"] == 60 and f["e"]["has_repeat"]
    assert f["e2"]["recontact_gap_s"] == 60


# ------------------------------------------------------------------------------------------
# reference implementation: the window-function pairing equals the literal definition
# ------------------------------------------------------------------------------------------


def _reference_flags(rows, window_s, eod):
    """The METRICS.md definition, pair by pair (O(n^2)), in plain Python."""
    out = {}

    def end(r):
        e = r["ended_at"] or r["arrived_at"]
        return max(e, r["arrived_at"])

    pool = [r for r in rows if r["direction"] == "inbound" and r["customer_id"]]
    for E in rows:
        res = dict(has_repeat=False, has_repeat_same_reason=False, is_repeat=False, is_repeat_same_reason=False)
        if E in pool:
            ke = E["reason_family"] or E["contact_reason"]
            for L in pool:
                if L is E or L["customer_id"] != E["customer_id"]:
                    continue
                kl = L["reason_family"] or L["contact_reason"]
                # L is a repeat of E
                gap = (L["arrived_at"] - end(E)).total_seconds()
                if L["arrived_at"] > E["arrived_at"] and 0 <= gap <= window_s:
                    res["has_repeat"] = True
                    res["has_repeat_same_reason"] |= ke is not None and ke == kl
                # E is a repeat of L
                gap2 = (E["arrived_at"] - end(L)).total_seconds()
                if E["arrived_at"] > L["arrived_at"] and 0 <= gap2 <= window_s:
                    res["is_repeat"] = True
                    res["is_repeat_same_reason"] |= ke is not None and ke == kl
        res["judged"] = (end(E) + timedelta(seconds=window_s)) <= eod
        out[E["contact_id"]] = res
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_window_pairing_equals_pairwise_definition(con, seed):
    # 300 random contacts of 12 customers on minute/second grids so that ties, zero durations,
    # overlaps, exact-boundary gaps and inverted ends all occur; every flag must equal the
    # literal pair-by-pair definition.
    rng = random.Random(seed)
    base = datetime(2026, 3, 1, tzinfo=timezone.utc)
    rows = []
    for i in range(300):
        arr = base + timedelta(minutes=rng.choice([0, 10, 20]) + 10 * rng.randrange(0, 4000))
        dur = rng.choice([0, 0, 5, 10, 600, 86400 * 7 - 600, -60])
        rows.append(
            dict(
                contact_id=f"c{i}",
                customer_id=rng.choice([f"k{j}" for j in range(12)] + [None]),
                channel=rng.choice(["voice", "chat", "email", "self_service"]),
                direction=rng.choice(["inbound"] * 6 + ["outbound", "callback"]),
                outcome=rng.choice(["handled", "handled", "abandoned", "contained"]),
                arrived_at=arr,
                ended_at=arr + timedelta(seconds=dur),
                contact_reason=rng.choice(["a", "b", "c", None]),
                reason_family=rng.choice([None, None, "fam"]),
            )
        )
    eod = base + timedelta(days=25)
    window_s = 7 * 86400
    got = flags(con, rows, end_of_data=eod, window_days=7)
    full = [{k: r.get(k) for k in ("contact_id", "customer_id", "channel", "direction", "outcome", "arrived_at", "ended_at", "contact_reason", "reason_family")} for r in rows]
    want = _reference_flags(full, window_s, eod)
    keys = ["has_repeat", "has_repeat_same_reason", "is_repeat", "is_repeat_same_reason", "judged"]
    mismatches = [(cid, k) for cid in want for k in keys if bool(got[cid][k]) != want[cid][k]]
    assert not mismatches, mismatches[:10]
    assert sum(w["has_repeat"] for w in want.values()) > 20  # the fixture exercises repeats


# ------------------------------------------------------------------------------------------
# FCR definitions
# ------------------------------------------------------------------------------------------


def test_fcr_repeat_interval_and_columns(con):
    # 4 eligible judged contacts of 4 customers; one repeated -> 3/4 = 0.75, Wilson bounds
    # computed independently with stats.wilson_bounds(3, 4).
    rows = [c(f"e{i}", "2026-03-02 09:00", "2026-03-02 09:10", customer_id=f"k{i}") for i in range(4)]
    rows.append(c("l", "2026-03-05 09:00", "2026-03-05 09:10", customer_id="k0", outcome="abandoned"))
    r = one(con, R.fcr_repeat(canonical_memtable("contacts", rows), end_of_data=EOD))
    lo, hi = wilson_bounds(3, 4)
    assert (r["numerator"], r["denominator"], r["rate"]) == (3, 4, 0.75)
    assert r["ci_low"] == pytest.approx(lo) and r["ci_high"] == pytest.approx(hi)
    assert r["definition"] == "repeat-based, any reason" and r["window_days"] == 7


def test_fcr_transfer_adjusted(con):
    # a: no repeat, 0 transfers -> resolved both ways. b: no repeat, 1 transfer -> resolved
    # repeat-based only. d: repeated, 0 transfers -> neither. transfers null -> read as 0 (e).
    # repeat-based 3/4 (a, b, e); transfer-adjusted 2/4 (a, e).
    rows = [
        c("a", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k1", transfers=0),
        c("b", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k2", transfers=1),
        c("d", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k3", transfers=0),
        c("d2", "2026-03-03 09:00", "2026-03-03 09:10", customer_id="k3", outcome="abandoned"),
        c("e", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k4", transfers=None),
    ]
    t = canonical_memtable("contacts", rows)
    assert one(con, R.fcr_repeat(t, end_of_data=EOD))["numerator"] == 3
    a = one(con, R.fcr_transfer_adjusted(t, end_of_data=EOD))
    assert (a["numerator"], a["denominator"], a["definition"]) == (2, 4, "transfer-adjusted, any reason")


def _case_fixture():
    contacts = [
        c("c1", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k1", case_id="A"),
        c("c2", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k2", case_id="B"),
        c("c3", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k3", case_id="C"),
        c("c3b", "2026-03-06 09:00", "2026-03-06 09:10", customer_id="k3", case_id="C", direction="outbound"),
        c("c4", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k4", case_id="D"),
        c("c5", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k5", case_id="ZZ"),
        c("c6", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k6"),
        c("c7", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k7"),
    ]
    cases = [
        {"case_id": "A", "contact_id": "c1", "opened_at": "2026-03-02 09:05", "closed_at": "2026-03-03 10:00", "reopened_count": 0},
        {"case_id": "B", "contact_id": "c2", "opened_at": "2026-03-02 09:05", "closed_at": "2026-03-09 10:00", "reopened_count": 1},
        {"case_id": "C", "contact_id": "c3", "opened_at": "2026-03-02 09:05", "closed_at": "2026-03-06 10:00", "reopened_count": 0},
        {"case_id": "D", "contact_id": "c4", "opened_at": "2026-03-02 09:05", "closed_at": None, "reopened_count": 0},
        # E is linked only through its origin contact_id (contacts.case_id empty)
        {"case_id": "E", "contact_id": "c7", "opened_at": "2026-03-02 09:05", "closed_at": "2026-03-02 12:00", "reopened_count": None},
    ]
    return canonical_memtable("contacts", contacts), canonical_memtable("cases", cases)


def test_fcr_case(con):
    # A closed, never reopened, only c1 -> resolved.      B reopened once -> not.
    # C closed, not reopened, but a second contact (outbound c3b) linked -> not.
    # D still open -> not.   E linked via its origin contact c7, reopened null (=0) -> resolved.
    # c5 points to case ZZ absent from cases -> unknown_case; c6 no case -> without_case.
    # c3b is outbound: not eligible. FCR = (c1, c7) / (c1, c2, c3, c4, c7) = 2/5.
    contacts, cases = _case_fixture()
    r = one(con, R.fcr_case(contacts, cases))
    assert (r["numerator"], r["denominator"]) == (2, 5)
    assert (r["eligible"], r["without_case"], r["unknown_case"]) == (7, 1, 1)
    assert r["rate"] == pytest.approx(0.4)


def test_fcr_case_counts_links_per_contact_row_not_per_contact_id(con):
    # A contact-grain export without a key can give two contacts one id, and a contact can come
    # without an id: each row keeps its own case.
    # x1 and x2 share id X: x1 names P (closed, never reopened, no other contact) -> resolved;
    #   x2 names Q (reopened) -> not. Grouped by id, both would hold {P, Q} and neither resolve.
    # y1 and y2 share id Y and both name R: two contacts linked to R -> neither resolved.
    #   Grouped by id, R would have one linked contact and both would resolve.
    # n1 has no id and names S (closed, alone) -> resolved; by id it would have no case at all.
    # v1 names K2 (resolved alone) and is the origin of K3 (still open): both links count,
    #   so v1 is not resolved.
    # FCR = (x1, n1) / (x1, x2, y1, y2, n1, v1) = 2/6; no eligible contact without a case.
    contacts = canonical_memtable("contacts", [
        c("X", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k1", case_id="P"),
        c("X", "2026-03-03 09:00", "2026-03-03 09:10", customer_id="k2", case_id="Q"),
        c("Y", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k3", case_id="R"),
        c("Y", "2026-03-03 09:00", "2026-03-03 09:10", customer_id="k4", case_id="R"),
        c(None, "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k5", case_id="S"),
        c("V", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k6", case_id="K2"),
    ])
    closed = {"opened_at": "2026-03-02 09:05", "closed_at": "2026-03-03 10:00", "reopened_count": 0}
    cases = canonical_memtable("cases", [
        {"case_id": "P", "contact_id": None, **closed},
        {"case_id": "Q", "contact_id": None, **closed, "reopened_count": 1},
        {"case_id": "R", "contact_id": None, **closed},
        {"case_id": "S", "contact_id": None, **closed},
        {"case_id": "K2", "contact_id": "V", **closed},
        {"case_id": "K3", "contact_id": "V", **closed, "closed_at": None},
    ])
    r = one(con, R.fcr_case(contacts, cases))
    assert (r["numerator"], r["denominator"]) == (2, 6)
    assert (r["eligible"], r["without_case"], r["unknown_case"]) == (6, 0, 0)
    per_customer = con.execute(R.fcr_case(contacts, cases, by="customer_id")).set_index("customer_id")
    assert per_customer["numerator"].to_dict() == {"k1": 1, "k2": 0, "k3": 0, "k4": 0, "k5": 1, "k6": 0}
    assert set(per_customer["denominator"]) == {1}


def _survey_rows(with_invitations: bool):
    rows = [
        {"survey_id": "s1", "contact_id": "c1", "responded_at": "2026-03-02 10:00", "resolved": True, "csat": 5.0},
        {"survey_id": "s2", "contact_id": "c2", "responded_at": "2026-03-02 10:00", "resolved": False, "csat": 2.0},
        {"survey_id": "s3", "contact_id": "c3", "responded_at": "2026-03-02 10:00", "resolved": True},
        {"survey_id": "s4", "contact_id": "c4", "responded_at": "2026-03-02 10:00", "csat": 4.0},  # skipped Q
    ]
    if with_invitations:
        for r in rows:
            r["sent_at"] = "2026-03-02 09:30"
        rows += [{"survey_id": f"n{i}", "contact_id": f"x{i}", "sent_at": "2026-03-02 09:30"} for i in range(6)]
    return canonical_memtable("surveys", rows)


def test_fcr_customer_reported_with_invitations(con):
    # resolved yes: s1, s3 = 2; answered the question: s1, s2, s3 = 3 -> 2/3.
    # invitations: 4 answered + 6 unanswered = 10; responses 4 -> response rate 4/10.
    contacts, _ = _case_fixture()
    r = one(con, R.fcr_customer_reported(_survey_rows(True), contacts))
    assert (r["numerator"], r["denominator"]) == (2, 3)
    assert (r["responses"], r["response_rate_denominator"], r["response_rate"]) == (4, 10, 0.4)
    assert r["response_rate_basis"] == "invitations"


def test_fcr_customer_reported_without_invitations(con):
    # No sent_at: response rate = responses / eligible contacts = 4 / 7 (the case fixture has
    # 7 eligible contacts: every contact but the outbound c3b).
    contacts, _ = _case_fixture()
    r = one(con, R.fcr_customer_reported(_survey_rows(False), contacts))
    assert (r["numerator"], r["denominator"]) == (2, 3)
    assert (r["response_rate_denominator"], r["response_rate_basis"]) == (7, "eligible contacts")
    assert r["response_rate"] == pytest.approx(4 / 7)


def test_fcr_customer_reported_response_rate_counts_eligible_contacts_only(con):
    # Seen: "response rate 28.7% of eligible contacts" = 737 responses about any contact (abandoned,
    # bot-resolved, anonymous) / 2,572 eligible contacts; only 608 eligible contacts responded.
    # Responses: r1, r2 (both about c1), r3 (about the outbound c3b: not eligible), r4 (c5);
    # r5 (c6) was never answered. FCR over every answer on resolution: yes r1, r4 / r1, r3, r4 = 2/3.
    # Response rate: eligible contacts with a response c1, c5 = 2 / 7 eligible (not 4 / 7).
    contacts, _ = _case_fixture()
    rows = [
        {"survey_id": "r1", "contact_id": "c1", "responded_at": "2026-03-02 10:00", "resolved": True},
        {"survey_id": "r2", "contact_id": "c1", "responded_at": "2026-03-03 10:00", "csat": 4.0},
        {"survey_id": "r3", "contact_id": "c3b", "responded_at": "2026-03-06 10:00", "resolved": False},
        {"survey_id": "r4", "contact_id": "c5", "responded_at": "2026-03-02 10:00", "resolved": True},
        {"survey_id": "r5", "contact_id": "c6"},
    ]
    r = one(con, R.fcr_customer_reported(canonical_memtable("surveys", rows), contacts))
    assert (r["numerator"], r["denominator"], r["responses"]) == (2, 3, 4)
    assert r["response_rate"] == pytest.approx(2 / 7)
    assert (r["response_rate_numerator"], r["response_rate_denominator"]) == (2, 7)
    assert r["response_rate_basis"] == "eligible contacts"


def test_fcr_headline_every_definition(con):
    # With cases and surveys: 5 rows; without them the two rows say why they are missing.
    contacts, cases = _case_fixture()
    df = con.execute(R.fcr_headline(contacts, cases=cases, surveys=_survey_rows(True), end_of_data=EOD))
    assert list(df.definition) == [
        "repeat-based, any reason", "repeat-based, same reason", "transfer-adjusted, any reason",
        "case-based", "customer-reported",
    ]
    row = df.set_index("definition").loc["case-based"]
    assert (row.numerator, row.denominator) == (2, 5)
    # repeat-based: 7 eligible; c3 (k3) is followed by outbound c3b only -> no repeat: 7/7.
    row = df.set_index("definition").loc["repeat-based, any reason"]
    assert (row.numerator, row.denominator) == (7, 7)
    assert "response rate 40.0% of invitations" in df.set_index("definition").loc["customer-reported"].note
    df2 = con.execute(R.fcr_headline(contacts, end_of_data=EOD)).set_index("definition")
    assert "no cases source" in df2.loc["case-based"].note and pd.isna(df2.loc["case-based"].rate)
    assert "no surveys source" in df2.loc["customer-reported"].note


def test_fcr_headline_notes_write_counts_as_the_report_does(con):
    # 1,234 contacts of distinct customers ending a day before the end of data: none can be
    # judged at 7 days; the note read "right-censored contacts excluded: 1234"
    rows = [c(f"x{i}", "2026-04-29 09:00", customer_id=f"k{i}", contact_reason=None) for i in range(1234)]
    df = con.execute(R.fcr_headline(canonical_memtable("contacts", rows), end_of_data=EOD)).set_index("definition")
    assert df.loc["repeat-based, any reason"].note == "7-day window; right-censored contacts excluded: 1,234"
    assert df.loc["repeat-based, same reason"].note.endswith("; without a reason: 1,234")


# ------------------------------------------------------------------------------------------
# repeat share, sensitivity, time to recontact
# ------------------------------------------------------------------------------------------


def test_repeat_share_is_not_one_minus_fcr(con):
    # k1: a (03-02), b (03-03), d (03-04): b and d are repeats. k2: x alone. Unidentified u.
    # Repeat share = 2 / 4 (a, b, d, x) = 0.5. FCR (all eligible, judged): a and b repeated,
    # d and x resolved -> 2/4 = 0.5 too here; add k3 with three contacts in a row where the
    # middle one is abandoned: p (handled), q (abandoned), r (handled) 1 h apart:
    # repeats q, r -> share 4/7; eligible p, r; p repeated -> FCR (a, b, d, x, p, r): resolved
    # d, x, r -> 3/6 = 0.5 while repeat share = 4/7.
    rows = [
        c("a", "2026-03-02 09:00", "2026-03-02 09:10"),
        c("b", "2026-03-03 09:00", "2026-03-03 09:10"),
        c("d", "2026-03-04 09:00", "2026-03-04 09:10"),
        c("x", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k2"),
        c("u", "2026-03-02 09:00", "2026-03-02 09:10", customer_id=None),
        c("p", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k3"),
        c("q", "2026-03-02 10:00", "2026-03-02 10:01", customer_id="k3", outcome="abandoned"),
        c("r", "2026-03-02 11:00", "2026-03-02 11:10", customer_id="k3"),
    ]
    t = canonical_memtable("contacts", rows)
    s = one(con, R.repeat_share(t))
    assert (s["numerator"], s["denominator"]) == (4, 7)
    r = one(con, R.fcr_repeat(t, end_of_data=EOD))
    assert (r["numerator"], r["denominator"]) == (3, 6)
    # by channel: all voice -> one segment with the same counts
    by = con.execute(R.repeat_share(t, by="channel"))
    assert by.set_index("channel").loc["voice", "numerator"] == 4


def test_fcr_sensitivity_table(con):
    # End of data 04-01 00:00. k1: e ends 03-02 09:10, next arrival 03-04 09:10 (gap 2 d).
    # k2: f ends 03-20 09:10, no recontact; k3: g ends 03-29 09:10, no recontact.
    # window 1: judged e (03-03 <= 04-01), f, g (03-30 09:10 <= 04-01) and e's follower h
    #   (ends 03-04 09:20 -> judged) -> 4 judged; e gap 2 d > 1 d -> none repeated: 4/4.
    # window 3: g censored (03-29 + 3 d = 04-01 09:10 > end); judged e, h, f: e repeated -> 2/3.
    # window 14: f censored (03-20 + 14 = 04-03) and g; judged e, h -> 1/2, censored 2.
    rows = [
        c("e", "2026-03-02 09:00", "2026-03-02 09:10", contact_reason="a"),
        c("h", "2026-03-04 09:10", "2026-03-04 09:20", contact_reason="b"),
        c("f", "2026-03-20 09:00", "2026-03-20 09:10", customer_id="k2"),
        c("g", "2026-03-29 09:00", "2026-03-29 09:10", customer_id="k3"),
    ]
    eod = ts("2026-04-01 00:00")
    df = con.execute(R.fcr_sensitivity(canonical_memtable("contacts", rows), end_of_data=eod, windows=(1, 3, 14)))
    any_ = df[df.reason == "any reason"].set_index("window_days")
    assert list(any_.numerator) == [4, 2, 1] and list(any_.denominator) == [4, 3, 2]
    assert list(any_.censored) == [0, 1, 2]
    same = df[df.reason == "same reason"].set_index("window_days")
    # same reason: e (a) -> h (b) differ: no same-reason repeat -> window 3: 3/3.
    assert list(same.numerator) == [4, 3, 2]
    assert len(df) == 6


def test_time_to_recontact_histogram(con):
    # Eligible contacts (one customer each, end 03-02 09:00) and their next inbound arrival:
    # k0 +30 min, k1 +1 h exactly (first bin is [0, 1 h] inclusive), k2 +2 h, k3 +7 d exactly,
    # k4 +8 d, k5 none. Bins (hours) 1, 4, 168, 240 (max 10 d).
    # counts: [0,1] e0, e1 = 2; (1,4] e2; (4,168] e3 (168 h is inclusive); (168,240] e4.
    # End of data 03-13 00:00: judged at 10 d iff end <= 03-03 00:00 -> e0..e5 and the
    # followers l0 (ends 09:35), l1 (10:05), l2 (11:05), which have no recontact: judged 9;
    # l3 (03-09) and l4 (03-10) are censored: 2. cumulative 2/9, 3/9, 4/9, 5/9.
    end = ts("2026-03-02 09:00")
    offsets = [timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2), timedelta(days=7), timedelta(days=8)]
    rows = []
    for i, off in enumerate(offsets + [None]):
        rows.append(c(f"e{i}", end - timedelta(minutes=10), end, customer_id=f"k{i}"))
        if off is not None:
            rows.append(c(f"l{i}", end + off, end + off + timedelta(minutes=5), customer_id=f"k{i}"))
    eod = ts("2026-03-13 00:00")
    df = con.execute(R.time_to_recontact(canonical_memtable("contacts", rows), end_of_data=eod, max_days=10, bins_h=(1, 4, 168)))
    assert list(df.upper_h) == [1, 4, 168, 240]
    assert list(df.contacts) == [2, 1, 1, 1]
    assert set(df.judged) == {9} and set(df.censored) == {2}
    assert list(df.cumulative_share) == pytest.approx([2 / 9, 3 / 9, 4 / 9, 5 / 9])
    assert list(df.bin) == ["0-1 h", "1-4 h", "4 h-7 d", "7-10 d"]


# ------------------------------------------------------------------------------------------
# breakdowns, trend, handle-time trap
# ------------------------------------------------------------------------------------------


def _segment_rows(reason: str, n: int, repeated: int, start_customer: int, **kw):
    """n eligible contacts of distinct customers, the first `repeated` of them followed by an
    inbound contact 1 day later (recontacts are tagged reason 'recontact')."""
    rows = []
    for i in range(n):
        k = f"k{start_customer + i}"
        rows.append(c(f"{reason}{i}", "2026-03-02 09:00", "2026-03-02 09:10", customer_id=k, contact_reason=reason, **kw))
        if i < repeated:
            rows.append(c(f"{reason}{i}r", "2026-03-03 09:00", "2026-03-03 09:01", customer_id=k,
                          contact_reason="recontact", outcome="abandoned"))
    return rows


def test_fcr_breakdown_suppression_and_rank(con):
    # billing: 40 contacts, 20 repeated -> 20/40 = 0.50 (rank 1, lowest).
    # orders: 30 contacts, 6 repeated -> 24/30 = 0.80 (rank 2). 30 = min_n: not suppressed.
    # promo: 29 contacts, 29 repeated -> 0/29 = 0.0, the lowest rate but n 29 < 30:
    #   suppressed, rank null (never ranked). recontact: abandoned, not eligible -> no row.
    rows = (
        _segment_rows("billing", 40, 20, 0)
        + _segment_rows("orders", 30, 6, 100)
        + _segment_rows("promo", 29, 29, 200)
    )
    df = con.execute(R.fcr_breakdown(canonical_memtable("contacts", rows), by="contact_reason", end_of_data=EOD, min_n=30))
    df = df.set_index("contact_reason")
    assert list(df.index) == ["billing", "orders", "promo"]
    assert df.loc["billing", "rate"] == 0.5 and df.loc["billing", "rank"] == 1
    assert df.loc["orders", "rate"] == pytest.approx(0.8) and df.loc["orders", "rank"] == 2
    assert bool(df.loc["promo", "suppressed"]) and pd.isna(df.loc["promo", "rank"])
    assert "recontact" not in df.index
    # A null segment reads "(not recorded)" instead of disappearing.
    rows2 = _segment_rows("billing", 2, 0, 0, team=None)
    df2 = con.execute(R.fcr_breakdown(canonical_memtable("contacts", rows2), by="team", end_of_data=EOD))
    assert list(df2.team) == ["(not recorded)"]


def test_fcr_weekly_trend(con):
    # Week of 2026-03-02 (Mon): a, b (b repeated by r) -> 1/2. Week of 03-09: d -> 1/1.
    # Week of 03-23 (d2 ends 03-25): end of data 03-31 -> 03-25 + 7 d = 04-01 > end: censored.
    rows = [
        c("a", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k1"),
        c("b", "2026-03-08 23:00", "2026-03-08 23:10", customer_id="k2"),
        c("r", "2026-03-10 09:00", "2026-03-10 09:05", customer_id="k2", outcome="abandoned"),
        c("d", "2026-03-11 09:00", "2026-03-11 09:10", customer_id="k3"),
        c("d2", "2026-03-25 09:00", "2026-03-25 09:10", customer_id="k4"),
    ]
    df = con.execute(R.fcr_weekly_trend(canonical_memtable("contacts", rows), end_of_data=ts("2026-03-31 00:00"), min_n=1))
    weeks = [pd.Timestamp(w).strftime("%Y-%m-%d") for w in df.week_start]
    assert weeks == ["2026-03-02", "2026-03-09", "2026-03-23"]
    assert list(df.numerator) == [1, 1, 0] and list(df.denominator) == [2, 1, 0]
    assert list(df.censored) == [0, 0, 1]
    assert pd.isna(df.rate.iloc[2])


def test_aht_vs_fcr_and_rank_correlation(con):
    # Agent A: 30 contacts, AHT 200 s (talk 150 + hold 20 + acw 30), 15 repeated -> FCR 0.5.
    # Agent B: 30 contacts, AHT 400 s, 3 repeated -> FCR 0.9.
    # Agent C: 5 contacts -> suppressed (n 5 < 30). Repeat contacts are abandoned (no agent).
    # The 20 repeats of A and B are repeat share of ... (abandoned: no agent row for them).
    rows = (
        _segment_rows("a", 30, 15, 0, agent_id="A", talk_s=150.0, hold_s=20.0, acw_s=30.0)
        + _segment_rows("b", 30, 3, 100, agent_id="B", talk_s=300.0, hold_s=40.0, acw_s=60.0)
        + _segment_rows("c", 5, 0, 200, agent_id="C", talk_s=100.0, hold_s=0.0, acw_s=0.0)
    )
    df = con.execute(R.aht_vs_fcr(canonical_memtable("contacts", rows), by="agent_id", end_of_data=EOD)).set_index("agent_id")
    assert df.loc["A", "aht_mean_s"] == 200 and df.loc["B", "aht_median_s"] == 400
    assert (df.loc["A", "fcr_resolved"], df.loc["A", "fcr_n"], df.loc["A", "fcr"]) == (15, 30, 0.5)
    assert df.loc["B", "fcr"] == pytest.approx(0.9)
    assert bool(df.loc["C", "suppressed"]) and not bool(df.loc["A", "suppressed"])
    assert df.loc["A", "repeat_share"] == 0  # A's own contacts were first contacts
    assert "(not recorded)" in df.index  # the abandoned repeats have no agent
    # The correlation needs >= 3 qualifying segments: A and B only -> None.
    assert R.aht_fcr_rank_correlation(con.execute(R.aht_vs_fcr(canonical_memtable("contacts", rows), end_of_data=EOD)))["spearman"] is None
    # On a hand-made aggregate: AHT 100, 200, 300 with FCR 0.5, 0.6, 0.9 -> rho = 1; the
    # suppressed row (AHT 50, FCR 1.0) is ignored.
    agg = pd.DataFrame({"aht_mean_s": [100, 200, 300, 50], "fcr": [0.5, 0.6, 0.9, 1.0], "suppressed": [False, False, False, True]})
    res = R.aht_fcr_rank_correlation(agg)
    assert res["spearman"] == pytest.approx(1.0) and res["segments"] == 3


def _agents(team: str, spec: list[tuple[str, float, int, int]], start: int) -> list[dict]:
    """Contacts of agents (agent_id, AHT in s, judged contacts, of which resolved) of a team;
    repeats are abandoned (no agent), so each agent's FCR is resolved / judged exactly."""
    rows = []
    for k, (agent, aht, n, resolved) in enumerate(spec):
        rows += _segment_rows(f"{agent}_", n, n - resolved, start + 1000 * k, agent_id=agent, team=team, talk_s=aht)
    return rows


def test_aht_vs_fcr_within_team_undoes_the_mix(con):
    # Team X is fast (AHT 100-160 s) and resolves 70-76%; team Y is slow (300-480 s) and
    # resolves 60-64%, one agent 90%. Inside each team, longer AHT goes with higher FCR.
    # Pooled over the 8 agents, AHT ranks are 1-4 (X), 5-8 (Y) and FCR ranks 4-7 (X), 1, 2,
    # 3, 8 (Y): d = -3, -3, -3, -3, 4, 4, 4, 0, sum d^2 = 84, rho = 1 - 6 x 84 / (8 x 63) = 0.
    # Relative to the team's typical agent (medians: X 130 s and 0.73, Y 390 s and 0.63) the
    # AHT ratios are 10/13, 12/13, 14/13, 16/13 in both teams and the FCR gaps -3, -1, +1, +3
    # points (Y's last +27): ranks agree but for ties -> rho ~ 0.99.
    x = [("x1", 100.0, 50, 35), ("x2", 120.0, 50, 36), ("x3", 140.0, 50, 37), ("x4", 160.0, 50, 38)]
    y = [("y1", 300.0, 50, 30), ("y2", 360.0, 50, 31), ("y3", 420.0, 50, 32), ("y4", 480.0, 50, 45)]
    t = canonical_memtable("contacts", _agents("X", x, 0) + _agents("Y", y, 10_000))
    w = R.aht_vs_fcr_within_team(t, end_of_data=EOD, min_n=30)
    df = con.execute(w).set_index("agent_id")
    assert sorted(df.index) == ["x1", "x2", "x3", "x4", "y1", "y2", "y3", "y4"]  # no "(not recorded)"
    assert df.loc["x1", "peer_aht_median_s"] == 130 and df.loc["y1", "peer_aht_median_s"] == 390
    assert df.loc["x1", "peer_fcr_median"] == pytest.approx(0.73) and df.loc["y4", "peer_fcr_median"] == pytest.approx(0.63)
    assert df.loc["y2", "aht_ratio"] == pytest.approx(12 / 13) and df.loc["y4", "fcr_gap"] == pytest.approx(0.27)
    assert df.peer_agents.eq(4).all() and df.qualifies.all() and not df.flagged.any()
    assert df.loc["x1", "agent_label"] == "Agent 1 (X)" and df.loc["y4", "agent_label"] == "Agent 8 (Y)"
    corr = con.execute(R.aht_fcr_rank_correlations(w, min_n=30)).set_index("comparison")
    assert corr.loc["across agents", "spearman"] == pytest.approx(0.0, abs=1e-12)
    assert corr.loc["within team", "spearman"] > 0.95
    assert (corr.n == 8).all() and (corr.peer_groups == 2).all() and corr.below_min_n.all()
    # The pandas-side helper on the raw per-agent table agrees on the confounded zero.
    assert R.aht_fcr_rank_correlation(con.execute(R.aht_vs_fcr(t, end_of_data=EOD)))["spearman"] == pytest.approx(0.0, abs=1e-12)


def test_aht_vs_fcr_within_team_flags_and_suppression(con):
    # Team Z: qualifying AHTs 150, 200, 400, 400, 420 -> median 400; FCRs 0.8, 0.4, 0.8, 0.8,
    # 0.82 -> median 0.8. z1 (AHT 200, ratio 0.5; FCR 0.4, gap -0.4) is flagged; z5 is fast
    # (ratio 0.375) but resolves as well as the team (gap 0): not flagged. z6 has 10 judged
    # contacts (< min_n 30): suppressed, not flagged and not in the medians although it would
    # be the fastest and the worst. Team W has 2 qualifying agents (< min_peers 3): no typical
    # agent, no ratio, never flagged, although w1 looks like a trap.
    z = [("z1", 200.0, 50, 20), ("z2", 400.0, 50, 40), ("z3", 400.0, 50, 40), ("z4", 420.0, 50, 41),
         ("z5", 150.0, 50, 40), ("z6", 100.0, 10, 0)]
    wt = [("w1", 100.0, 40, 10), ("w2", 400.0, 40, 36)]
    t = canonical_memtable("contacts", _agents("Z", z, 0) + _agents("W", wt, 10_000))
    df = con.execute(R.aht_vs_fcr_within_team(t, end_of_data=EOD, min_n=30))
    assert list(df.agent_id[:1]) == ["z1"]  # flagged first
    df = df.set_index("agent_id")
    assert df.loc["z1", "peer_agents"] == 5 and df.loc["z1", "peer_aht_median_s"] == 400
    assert df.loc["z1", "peer_fcr_median"] == pytest.approx(0.8)
    assert (df.loc["z1", "aht_ratio"], df.loc["z1", "fcr_gap"]) == (pytest.approx(0.5), pytest.approx(-0.4))
    assert list(df.index[df.flagged]) == ["z1"]
    assert df.loc["z5", "aht_ratio"] == pytest.approx(0.375) and df.loc["z5", "fcr_gap"] == pytest.approx(0.0)
    assert bool(df.loc["z6", "suppressed"]) and not df.loc["z6", "qualifies"] and pd.isna(df.loc["z6", "aht_ratio"])
    assert df.loc["w1", "few_peers"] and df.loc["w1", "peer_agents"] == 2 and pd.isna(df.loc["w1", "fcr_gap"])
    # Thresholds are parameters: flag any fast agent not above the team's FCR -> z5 too.
    loose = con.execute(R.aht_vs_fcr_within_team(t, end_of_data=EOD, aht_ratio_max=0.9, fcr_gap_max=0.0))
    assert sorted(loose.agent_id[loose.flagged]) == ["z1", "z5"]
    with pytest.raises(ValueError, match="peers"):
        R.aht_vs_fcr_within_team(t, peers="agent_id")


# ------------------------------------------------------------------------------------------
# transfers
# ------------------------------------------------------------------------------------------


def test_repeat_after_transfer_with_difference(con):
    # transferred: 10 contacts, 4 repeated -> 0.4; not transferred: 20 contacts, 2 repeated
    # -> 0.1; difference 0.3 with Newcombe's interval from the two Wilson intervals.
    rows = _segment_rows("t", 10, 4, 0, transfers=1) + _segment_rows("n", 20, 2, 100, transfers=0)
    df = con.execute(R.repeat_after_transfer(canonical_memtable("contacts", rows), end_of_data=EOD)).set_index("group")
    assert (df.loc["transferred", "numerator"], df.loc["transferred", "denominator"]) == (4, 10)
    assert (df.loc["not transferred", "numerator"], df.loc["not transferred", "denominator"]) == (2, 20)
    assert df.loc["difference", "rate"] == pytest.approx(0.3)
    l1, u1 = wilson_bounds(4, 10)
    l0, u0 = wilson_bounds(2, 20)
    assert df.loc["difference", "ci_low"] == pytest.approx(0.3 - ((0.4 - l1) ** 2 + (u0 - 0.1) ** 2) ** 0.5)
    assert df.loc["difference", "ci_high"] == pytest.approx(0.3 + ((u1 - 0.4) ** 2 + (0.1 - l0) ** 2) ** 0.5)


def _legs(seqs: dict[str, list[str | None]]):
    rows = []
    for cid, queues in seqs.items():
        for i, q in enumerate(queues, start=1):
            rows.append({"contact_id": cid, "leg_seq": i, "queue": q, "arrived_at": "2026-03-02 09:00"})
    return canonical_memtable("legs", rows)


def test_transfer_ping_pong(con):
    # p1 A>B>A ping-pong; p2 A>A>B no (same-queue legs merge: A>B); p3 A>B>C no;
    # p4 A>B>B>A -> merged A>B>A ping-pong; p5 single leg; p6 B>A>C>A ping-pong (A>C>A).
    # contacts 6, transferred 5 (two or more legs), ping-pong 3 -> 3/5; of contacts 3/6.
    legs = _legs({
        "p1": ["A", "B", "A"], "p2": ["A", "A", "B"], "p3": ["A", "B", "C"],
        "p4": ["A", "B", "B", "A"], "p5": ["A"], "p6": ["B", "A", "C", "A"],
    })
    r = one(con, R.transfer_ping_pong(legs))
    assert (r["contacts"], r["transferred"], r["numerator"], r["denominator"]) == (6, 5, 3, 5)
    assert r["rate"] == pytest.approx(0.6) and r["share_of_contacts"] == pytest.approx(0.5)
    assert bool(r["available"])


def test_transfer_figures_read_the_contacts_of_several_legs_when_given(con):
    # the ping-pong fixture plus a leg without a contact id (a contact of its own, never
    # transferred); the contacts of two or more legs given as a session's fold finds them, one
    # of them ("gone") a contact whose legs are not read (outside the period): the same figures
    legs = _legs({
        "p1": ["A", "B", "A"], "p2": ["A", "A", "B"], "p3": ["A", "B", "C"],
        "p4": ["A", "B", "B", "A"], "p5": ["A"], "p6": ["B", "A", "C", "A"], None: ["C"],
    })
    several = ibis.memtable({"contact_id": ["p1", "p2", "p3", "p4", "p6", "gone"]})
    r = one(con, R.transfer_ping_pong(legs, several=several))
    assert (r["contacts"], r["transferred"], r["numerator"], r["denominator"]) == (7, 5, 3, 5)
    assert one(con, R.transfer_ping_pong(legs)) == r
    given = con.execute(R.transfer_chains(legs, several=several))
    pd.testing.assert_frame_equal(given, con.execute(R.transfer_chains(legs)))
    # one contact each (same-queue legs stay steps in a path), by path
    assert list(given.path) == ["A > A > B", "A > B > A", "A > B > B > A", "A > B > C", "B > A > C > A"]


def test_transfer_ping_pong_without_legs_says_so(con):
    r = one(con, R.transfer_ping_pong(None))
    assert not r["available"] and "no legs table" in r["note"]
    assert "no legs table" in one(con, R.transfer_chains(None))["path"]


def test_transfer_chains(con):
    # Transferred paths: A > B twice, A > B > A once, and a 7-leg chain shown as 5 + "(+2)".
    # The single-leg contact is not a chain. Shares over 4 transferred contacts.
    legs = _legs({
        "x1": ["A", "B"], "x2": ["A", "B"], "x3": ["A", "B", "A"], "x4": ["A"],
        "x5": ["A", "B", "C", "D", "E", "F", "G"],
    })
    df = con.execute(R.transfer_chains(legs))
    assert list(df.path) == ["A > B", "A > B > A", "A > B > C > D > E > ... (+2)"]
    assert list(df.contacts) == [2, 1, 1] and list(df.share) == pytest.approx([0.5, 0.25, 0.25])


# ------------------------------------------------------------------------------------------
# engine-agnostic: every public function compiles for other ibis backends
# ------------------------------------------------------------------------------------------


@pytest.fixture
def pyspark_options():
    # The pyspark compiler reads ibis.options.pyspark, registered only when the pyspark
    # backend is imported (not installed here): provide its default for compile-only tests.
    from ibis.config import Config

    class _PySparkOptions(Config):
        treat_nan_as_null: bool = False

    saved = getattr(ibis.options, "pyspark", None)
    if saved is None:
        ibis.options.pyspark = _PySparkOptions()
    yield
    ibis.options.pyspark = saved


@pytest.mark.parametrize("dialect", ["pyspark", "postgres", "bigquery", "snowflake"])
def test_compiles_for_other_backends(dialect, pyspark_options):
    from cxkit.schema import ibis_schema

    contacts = ibis.table(ibis_schema("contacts"), name="contacts")
    cases = ibis.table(ibis_schema("cases"), name="cases")
    surveys = ibis.table(ibis_schema("surveys"), name="surveys")
    legs = ibis.table(ibis_schema("legs"), name="legs")
    exprs = [
        R.repeat_flags(contacts, end_of_data=EOD),
        R.repeat_flags(contacts),  # lazy end of data
        R.fcr_repeat(contacts, end_of_data=EOD, exclude_reasons=["x"]),
        R.fcr_sensitivity(contacts, end_of_data=EOD),
        R.fcr_breakdown(contacts, by="queue", end_of_data=EOD),
        R.fcr_weekly_trend(contacts, end_of_data=EOD),
        R.repeat_share(contacts, by="channel"),
        R.fcr_case(contacts, cases),
        R.fcr_customer_reported(surveys, contacts),
        R.time_to_recontact(contacts, end_of_data=EOD),
        R.aht_vs_fcr(contacts, end_of_data=EOD),
        R.aht_vs_fcr_within_team(contacts, end_of_data=EOD),
        R.aht_fcr_rank_correlations(R.aht_vs_fcr_within_team(contacts, peers=["team", "channel"]), peers=["team", "channel"]),
        R.repeat_after_transfer(contacts, end_of_data=EOD),
        R.transfer_ping_pong(legs),
        R.transfer_chains(legs),
    ]
    for e in exprs:
        assert ibis.to_sql(e, dialect=dialect)


# ------------------------------------------------------------------------------------------
# pairing once: every metric gives the same result on contacts paired in advance
# ------------------------------------------------------------------------------------------


def _random_contacts(seed: int, n: int = 400):
    rng = random.Random(seed)
    base = datetime(2026, 3, 1, tzinfo=timezone.utc)
    rows = []
    for i in range(n):
        arr = base + timedelta(minutes=10 * rng.randrange(0, 4000))
        dur = rng.choice([0, 5, 600, 1200, 86400 * 7 - 600, -60])
        rows.append(c(f"c{i}", arr.strftime("%Y-%m-%d %H:%M"), (arr + timedelta(seconds=dur)).strftime("%Y-%m-%d %H:%M"),
                      customer_id=rng.choice([f"k{j}" for j in range(15)] + [None]),
                      channel=rng.choice(["voice", "chat", "email"]),
                      direction=rng.choice(["inbound"] * 6 + ["outbound"]),
                      outcome=rng.choice(["handled", "handled", "abandoned"]),
                      contact_reason=rng.choice(["a", "b", None]), team=rng.choice(["t1", "t2"]),
                      agent_id=rng.choice(["x1", "x2", "x3", "x4", "x5", "x6"]), transfers=rng.choice([0, 0, 1]),
                      talk_s=float(rng.randrange(60, 900))))
    return canonical_memtable("contacts", rows)


def test_metrics_on_contacts_paired_once_equal_the_plain_ones(con):
    plain = _random_contacts(4)
    paired = R.recontact_frame(plain)
    w = dict(end_of_data=ts("2026-03-25 00:00"), window_days=7, exclude_reasons=["b"])
    metrics = {
        "fcr_repeat": lambda t: R.fcr_repeat(t, **w),
        "fcr_same": lambda t: R.fcr_repeat(t, same_reason=True, **w),
        "headline": lambda t: R.fcr_headline(t, **w),
        "sensitivity": lambda t: R.fcr_sensitivity(t, end_of_data=w["end_of_data"], windows=[1, 7, 14]),
        "breakdown": lambda t: R.fcr_breakdown(t, by="contact_reason", min_n=1, **w),
        "weekly": lambda t: R.fcr_weekly_trend(t, min_n=1, **w),
        "share": lambda t: R.repeat_share(t, by="channel"),
        "flags": lambda t: R.repeat_flags(t, **w).drop("next_inbound_at"),
        "curve": lambda t: R.recontact_curve(t, end_of_data=w["end_of_data"], max_days=10),
        "aht_vs_fcr": lambda t: R.aht_vs_fcr(t, by="team", min_n=1, **w),
        "within_team": lambda t: R.aht_vs_fcr_within_team(t, min_n=1, **w).drop("agent_label"),
        "after_transfer": lambda t: R.repeat_after_transfer(t, **w),
    }
    for name, metric in metrics.items():
        a = con.execute(metric(plain))
        b = con.execute(metric(paired))
        keys = list(a.columns)
        a = a.sort_values(keys, kind="mergesort").reset_index(drop=True)
        b = b[keys].sort_values(keys, kind="mergesort").reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, obj=name)
        assert len(a) > 0, name
