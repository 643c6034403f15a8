"""Hand-computed fixtures for the operational metrics in METRICS.md (run on DuckDB).

Each test states its arithmetic in a comment.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from cxkit import operations as O
from cxkit.stats import wilson_bounds
from cxkit.testing import canonical_memtable


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


def q(cid: str, *, wait: float | None, outcome: str = "handled", channel: str = "voice", **kw) -> dict:
    """An inbound contact that entered the queue; answered when handled."""
    row = dict(
        contact_id=cid,
        customer_id="k1",
        channel=channel,
        direction="inbound",
        outcome=outcome,
        arrived_at="2026-03-02 09:00",
        ended_at="2026-03-02 09:10",
        wait_s=wait,
        queued=True,
    )
    if outcome == "handled":
        row["answered_at"] = "2026-03-02 09:01"
    row.update(kw)
    return row


def one(con, expr) -> dict:
    df = con.execute(expr)
    assert len(df) == 1, df
    return df.iloc[0].to_dict()


def test_aht_mean_median_both_directions_negative_as_zero(con):
    # handled: a inbound 100+20+30 = 150; b callback 200+0+100 = 300; d outbound with
    # hold -50 (read as 0): 60+0+0 = 60; e inbound talk unknown -> handled, no handle time.
    # abandoned f is not handled. mean (150+300+60)/3 = 170; median 150.
    rows = [
        dict(contact_id="a", direction="inbound", outcome="handled", talk_s=100.0, hold_s=20.0, acw_s=30.0),
        dict(contact_id="b", direction="callback", outcome="handled", talk_s=200.0, hold_s=None, acw_s=100.0),
        dict(contact_id="d", direction="outbound", outcome="handled", talk_s=60.0, hold_s=-50.0, acw_s=0.0),
        dict(contact_id="e", direction="inbound", outcome="handled", talk_s=None),
        dict(contact_id="f", direction="inbound", outcome="abandoned", talk_s=500.0),
    ]
    for r in rows:
        r["channel"] = "voice"
    r = one(con, O.aht(canonical_memtable("contacts", rows), by=None))
    assert (r["handled"], r["with_handle_time"]) == (4, 3)
    assert r["aht_mean_s"] == pytest.approx(170) and r["aht_median_s"] == 150
    assert r["handle_hours"] == pytest.approx(510 / 3600)


def test_aht_even_count_median_and_by_channel(con):
    # voice 100, 300 -> median 200 (mean of the two middle values); chat 50.
    # all: 50, 100, 300 -> median 100, mean 150.
    rows = [
        dict(contact_id="a", channel="voice", direction="inbound", outcome="handled", talk_s=100.0),
        dict(contact_id="b", channel="voice", direction="inbound", outcome="handled", talk_s=300.0),
        dict(contact_id="c", channel="chat", direction="inbound", outcome="handled", talk_s=50.0),
    ]
    df = con.execute(O.aht(canonical_memtable("contacts", rows))).set_index("channel")
    assert df.loc["voice", "aht_median_s"] == 200 and df.loc["chat", "aht_median_s"] == 50
    assert df.loc["all", "aht_median_s"] == 100 and df.loc["all", "aht_mean_s"] == 150



@pytest.mark.parametrize("aggregate", [True, False], ids=["engine-median", "window-form"])
def test_median_forms_hand_computed(con, aggregate):
    # segment a: 1, 7, 3, 5 -> 3 and 5 in the middle -> 4; segment b: 2, null, 10 -> 6;
    # segment c: only null -> no row. Overall: 1, 2, 3, 5, 7, 10 -> (3 + 5) / 2 = 4;
    # overall without the 10: 1, 2, 3, 5, 7 -> 3.
    t = ibis.memtable({"g": ["a", "a", "a", "a", "b", "b", "b", "c"],
                       "v": [1.0, 7.0, 3.0, 5.0, 2.0, None, 10.0, None]})
    by = con.execute(O._median(t, "v", ["g"], "m", aggregate=aggregate)).set_index("_m_g").m.to_dict()
    assert by == {"a": 4.0, "b": 6.0}
    assert con.execute(O._median(t, "v", [], "m", aggregate=aggregate)).m.tolist() == [4.0]
    odd = t.filter(t.v != 10.0)
    assert con.execute(O._median(odd, "v", [], "m", aggregate=aggregate)).m.tolist() == [3.0]


def test_median_forms_agree_exactly_on_random_values(con):
    # the engine's median (DuckDB quantile_cont) and the window form both give the mean of the
    # two middle values to the last bit (as numpy's median does), so switching between them
    # moves no reported number
    rng = np.random.default_rng(5)
    n = 3001
    frame = pd.DataFrame({
        "g": rng.choice(["x", "y", "z"], n),
        "v": np.where(rng.random(n) < 0.1, np.nan, rng.random(n) * 10.0 ** rng.integers(-2, 5, n)),
    })
    t = con.create_table("median_values", frame, overwrite=True)
    for by in ([], ["g"]):
        engine = con.execute(O._median(t, "v", by, "m", aggregate=True))
        window = con.execute(O._median(t, "v", by, "m", aggregate=False))
        key = [f"_m_{c}" for c in by]
        if key:
            engine, window = engine.sort_values(key).reset_index(drop=True), window.sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(engine, window, check_exact=True)
        expected = frame.dropna().groupby("g").v.median().tolist() if by else [frame.v.dropna().median()]
        assert engine.m.tolist() == expected


def test_medians_need_no_window_over_all_rows(con):
    # a window without partition runs on one Spark task: on engines with an exact median
    # aggregate the medians use it; unbound expressions (any engine) keep the window form
    from cxkit.testing import unpartitioned_windows

    rows = [q("a", wait=10.0, talk_s=100.0), q("c", wait=30.0, channel="chat", talk_s=50.0)]
    bound = con.create_table("median_contacts", canonical_memtable("contacts", rows).to_pyarrow(), overwrite=True)
    assert unpartitioned_windows(O.operations_summary(bound)) == []
    assert unpartitioned_windows(O.aht(bound, by=None)) == []
    unbound = ibis.table(bound.schema(), name="contacts")
    assert unpartitioned_windows(O.aht(unbound, by=None)) == ["Count", "RowNumber"]

def test_asa_answered_inbound_queued_only(con):
    # answered a (10 s), b (30 s), negative wait c (-4 -> 0): ASA (10+30+0)/3 = 13.33,
    # median 10. Abandoned d and outbound e are not answered inbound contacts.
    rows = [
        q("a", wait=10.0), q("b", wait=30.0), q("c", wait=-4.0),
        q("d", wait=50.0, outcome="abandoned"),
        q("e", wait=99.0, direction="outbound"),
    ]
    r = one(con, O.asa(canonical_memtable("contacts", rows), by=None))
    assert r["answered"] == 3
    assert r["asa_s"] == pytest.approx(40 / 3) and r["wait_median_s"] == 10


def test_service_level_boundaries(con):
    # voice threshold 20 s: a wait 20 (exactly: within), b 20.5 (not), c -3 (read 0: within).
    # abandons: d at exactly 5 s (short: leaves the denominator), e at 5.5 s (long: counts),
    # f at 0 s (short).
    # SL = (a, c) / (3 answered + 1 long abandon) = 2/4.
    rows = [
        q("a", wait=20.0), q("b", wait=20.5), q("c", wait=-3.0),
        q("d", wait=5.0, outcome="abandoned"), q("e", wait=5.5, outcome="abandoned"),
        q("f", wait=0.0, outcome="abandoned"),
    ]
    r = one(con, O.service_level(canonical_memtable("contacts", rows), by=None))
    assert (r["numerator"], r["answered"], r["long_abandons"], r["short_abandons"]) == (2, 3, 1, 2)
    assert (r["denominator"], r["rate"]) == (4, 0.5)
    lo, hi = wilson_bounds(2, 4)
    assert (r["ci_low"], r["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))
    assert r["sl_threshold_s"] == 20


def test_service_level_per_channel_thresholds(con):
    # sl_seconds voice 20, chat 60, default 30 (email).
    # voice: 15 in, 25 out -> 1/2. chat: 45 in, 61 out -> 1/2. email: 30 in -> 1/1.
    # all: 3/5, threshold mixed -> null.
    rows = [
        q("v1", wait=15.0), q("v2", wait=25.0),
        q("c1", wait=45.0, channel="chat"), q("c2", wait=61.0, channel="chat"),
        q("m1", wait=30.0, channel="email"),
    ]
    sl = {"voice": 20, "chat": 60, "default": 30}
    df = con.execute(O.service_level(canonical_memtable("contacts", rows), sl_seconds=sl)).set_index("channel")
    assert df.loc["voice", "rate"] == 0.5 and df.loc["chat", "rate"] == 0.5 and df.loc["email", "rate"] == 1.0
    assert df.loc["chat", "sl_threshold_s"] == 60 and df.loc["email", "sl_threshold_s"] == 30
    assert (df.loc["all", "numerator"], df.loc["all", "denominator"]) == (3, 5)
    assert pd.isna(df.loc["all", "sl_threshold_s"])


def test_service_level_needs_a_default_threshold():
    t = canonical_memtable("contacts", [q("a", wait=1.0)])
    with pytest.raises(ValueError, match="'default'"):
        O.service_level(t, sl_seconds={"voice": 20})


def test_abandonment_short_abandons_and_ivr_hangups(con):
    # offered (inbound, queued): a answered, b abandoned at 30 s, d abandoned at 5 s (short),
    # e abandoned at 2 s (short) -> 4 offered; abandon rate = 1 long / 4 offered = 0.25.
    # ivr: abandoned, never queued (queued False) -> IVR hang-up, in neither term.
    # g: queued null, no answer, no wait, abandoned -> derived not queued -> IVR hang-up too.
    # h: queued null, wait 12 s, abandoned -> derived queued -> offered, long abandon.
    # with h: offered 5, long 2 -> 0.4; hang-ups 2.
    rows = [
        q("a", wait=10.0), q("b", wait=30.0, outcome="abandoned"),
        q("d", wait=5.0, outcome="abandoned"), q("e", wait=2.0, outcome="abandoned"),
        q("ivr", wait=0.0, outcome="abandoned", queued=False),
        q("g", wait=None, outcome="abandoned", queued=None),
        q("h", wait=12.0, outcome="abandoned", queued=None),
    ]
    r = one(con, O.abandonment(canonical_memtable("contacts", rows), by=None))
    assert (r["numerator"], r["denominator"], r["short_abandons"], r["ivr_hangups"]) == (2, 5, 2, 2)
    assert r["rate"] == pytest.approx(0.4)
    # none of these rows records IVR seconds: the IVR hang-up rate is not measured (null), not 0
    h = one(con, O.ivr_hangups(canonical_memtable("contacts", rows), by=None))
    assert (h["numerator"], h["denominator"], h["hangups_all"]) == (0, 0, 2) and pd.isna(h["rate"])


def test_abandonment_by_queue_pools_each_channels_queues(con):
    # voice: queue A (a answered, b long abandon), queue B (d long, e short), no queue (n long,
    # ivr hang-up x); chat: queue C (c answered). Voice pooled: 3 long of 5 offered, 1 short, 1
    # hang-up, as grouping by channel gives it; chat 0 of 1
    rows = [
        q("a", wait=10.0, queue="A"), q("b", wait=30.0, outcome="abandoned", queue="A"),
        q("d", wait=40.0, outcome="abandoned", queue="B"), q("e", wait=2.0, outcome="abandoned", queue="B"),
        q("n", wait=50.0, outcome="abandoned"), q("x", wait=0.0, outcome="abandoned", queued=False),
        q("c", wait=5.0, channel="chat", queue="C"),
    ]
    t = canonical_memtable("contacts", rows)
    got = con.execute(O.abandonment_by_queue(t)).sort_values(["channel", "queue"]).reset_index(drop=True)
    pooled = got[got.queue == O.ALL].drop(columns="queue").reset_index(drop=True)
    by_channel = con.execute(O.abandonment(t, by="channel", overall=False)).sort_values("channel").reset_index(drop=True)
    pd.testing.assert_frame_equal(pooled, by_channel[pooled.columns])
    voice = pooled.set_index("channel").loc["voice"]
    assert (voice.numerator, voice.denominator, voice.short_abandons, voice.ivr_hangups) == (3, 5, 1, 1)
    per_queue = got[got.queue != O.ALL].reset_index(drop=True)
    expected = con.execute(O.abandonment(t, by=["channel", "queue"], overall=False))
    expected = expected.sort_values(["channel", "queue"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(per_queue, expected[per_queue.columns])
    assert list(per_queue.queue) == ["C", "(not recorded)", "A", "B"]


def test_ivr_hangup_rate_is_over_contacts_that_entered_the_ivr(con):
    # METRICS.md: hang-ups before a queue / inbound contacts with ivr_s > 0.
    # i1 hangs up after 30 s of IVR; i2 (40 s IVR) and i3 (10 s IVR) reach a queue;
    # n hangs up with ivr_s 0 (never entered: a chat closed before queueing) -> not an entry;
    # u hangs up, IVR not recorded (null) -> not an entry; o is outbound with IVR seconds.
    # rate = 1 / 3 (i1, i2, i3), where "over all inbound" gave 3 / 5.
    rows = [
        q("i1", wait=0.0, outcome="abandoned", queued=False, ivr_s=30.0),
        q("i2", wait=10.0, ivr_s=40.0), q("i3", wait=10.0, ivr_s=10.0),
        q("n", wait=0.0, outcome="abandoned", queued=False, ivr_s=0.0, channel="chat"),
        q("u", wait=0.0, outcome="abandoned", queued=False, ivr_s=None),
        q("o", wait=0.0, direction="outbound", ivr_s=15.0),
    ]
    h = one(con, O.ivr_hangups(canonical_memtable("contacts", rows), by=None))
    assert (h["numerator"], h["denominator"], h["hangups_all"]) == (1, 3, 3)
    assert h["rate"] == pytest.approx(1 / 3)


def test_an_unknown_wait_is_not_read_as_zero(con):
    # METRICS.md: absent is not zero. Voice, threshold 20 s, short abandons at 5 s.
    # answered: a 10 s (in SL), b 30 s (not), u wait unknown (null).
    # abandoned: d 30 s (long), e 3 s (short), x wait unknown (null).
    # u is in neither term of the service level and not in ASA; x cannot be shown short, so it
    # counts as abandoned after 5 s: SL = a / (a, b answered with a wait + d, x long) = 1/4
    # (read as 0 s, u was in SL and x short: 2/4); ASA = (10 + 30) / 2 = 20 (was 40/3);
    # abandon rate = (d, x) / 6 offered = 2/6 (was 1/6).
    rows = [
        q("a", wait=10.0), q("b", wait=30.0), q("u", wait=None),
        q("d", wait=30.0, outcome="abandoned"), q("e", wait=3.0, outcome="abandoned"),
        q("x", wait=None, outcome="abandoned"),
    ]
    t = canonical_memtable("contacts", rows)
    sl = one(con, O.service_level(t, by=None))
    assert (sl["numerator"], sl["answered"], sl["long_abandons"], sl["short_abandons"]) == (1, 3, 2, 1)
    assert (sl["denominator"], sl["rate"]) == (4, 0.25)
    asa = one(con, O.asa(t, by=None))
    assert (asa["answered"], asa["asa_s"], asa["wait_median_s"]) == (3, 20.0, 20.0)
    ab = one(con, O.abandonment(t, by=None))
    assert (ab["numerator"], ab["denominator"], ab["short_abandons"]) == (2, 6, 1)
    ops = one(con, O.operations_summary(t, by=None))
    assert (ops["service_level"], ops["asa_s"], ops["abandon_rate"]) == (0.25, 20.0, pytest.approx(2 / 6))
    day = one(con, O.queue_profile(t))
    assert (day["service_level"], day["asa_s"], day["abandon_rate"]) == (0.25, 20.0, pytest.approx(2 / 6))
    flags = con.execute(O.queue_flags(t).order_by("contact_id")).set_index("contact_id")
    assert flags["sl_judged"].to_dict() == {"a": True, "b": True, "d": True, "e": False, "u": False, "x": True}
    assert pd.isna(flags.loc["u", "queue_wait_s"]) and flags.loc["e", "queue_wait_s"] == 3.0


def test_queued_derived_from_answer_when_null(con):
    # queued null but answered_at set (wait 0) -> offered and answered within SL.
    rows = [q("a", wait=0.0, queued=None)]
    f = con.execute(O.queue_flags(canonical_memtable("contacts", rows)))
    assert bool(f.offered[0]) and bool(f.answered[0]) and bool(f.answered_in_sl[0])


def test_containment(con):
    # METRICS.md: contained in any channel / inbound contacts that entered the IVR or a bot.
    # Entries (ivr_s > 0): s1 bot contained, s2 bot deflected, s3 bot abandoned, v a call
    # contained by the IVR (it keeps the voice channel), h a call the IVR passed to an agent
    # -> 2 / 5. Not entries: x contained with ivr_s null (not measured), o outbound.
    # (The self_service channel alone gave 1 / 3: the IVR's containment was missed.)
    rows = [
        dict(contact_id="s1", channel="self_service", direction="inbound", outcome="contained", ivr_s=60.0),
        dict(contact_id="s2", channel="self_service", direction="inbound", outcome="deflected", ivr_s=60.0),
        dict(contact_id="s3", channel="self_service", direction="inbound", outcome="abandoned", ivr_s=20.0),
        dict(contact_id="v", channel="voice", direction="inbound", outcome="contained", ivr_s=45.0),
        dict(contact_id="h", channel="voice", direction="inbound", outcome="handled", ivr_s=30.0),
        dict(contact_id="x", channel="voice", direction="inbound", outcome="contained", ivr_s=None),
        dict(contact_id="o", channel="voice", direction="outbound", outcome="contained", ivr_s=10.0),
    ]
    r = one(con, O.containment(canonical_memtable("contacts", rows)))
    assert (r["numerator"], r["denominator"]) == (2, 5)
    by = con.execute(O.containment(canonical_memtable("contacts", rows), by="channel")).set_index("channel")
    assert (by.loc["voice", "numerator"], by.loc["voice", "denominator"]) == (1, 2)


def test_containment_without_ivr_seconds_is_not_measured(con):
    rows = [dict(contact_id="s1", channel="self_service", direction="inbound", outcome="contained")]
    r = one(con, O.containment(canonical_memtable("contacts", rows)))
    assert (r["numerator"], r["denominator"]) == (0, 0) and pd.isna(r["rate"])


def test_transfer_rate_counts_contacts_not_transfers(con):
    # handled: a (2 transfers), b callback (1), d (0), e (null -> 0) -> 2/4. The abandoned f
    # with a transfer is not handled.
    rows = [
        dict(contact_id="a", direction="inbound", outcome="handled", transfers=2, channel="voice"),
        dict(contact_id="b", direction="callback", outcome="handled", transfers=1, channel="voice"),
        dict(contact_id="d", direction="inbound", outcome="handled", transfers=0, channel="chat"),
        dict(contact_id="e", direction="inbound", outcome="handled", transfers=None, channel="chat"),
        dict(contact_id="f", direction="inbound", outcome="abandoned", transfers=1, channel="voice"),
    ]
    t = canonical_memtable("contacts", rows)
    r = one(con, O.transfer_rate(t))
    assert (r["numerator"], r["denominator"], r["rate"]) == (2, 4, 0.5)
    df = con.execute(O.transfer_rate(t, by="channel")).set_index("channel")
    assert (df.loc["voice", "numerator"], df.loc["voice", "denominator"]) == (2, 2)
    assert (df.loc["chat", "numerator"], df.loc["all", "denominator"]) == (0, 4)


def test_operations_summary(con):
    # voice: a answered 10 s (AHT 100), b answered 40 s (AHT 300), d abandoned 30 s.
    #   offered 3, SL(20 s) = 1/(2+1) = 1/3, abandon 1/3, ASA 25, AHT mean 200 / median 200.
    # chat: c answered 30 s within 60 s (AHT 50) -> SL 1/1.
    rows = [
        q("a", wait=10.0, talk_s=100.0), q("b", wait=40.0, talk_s=300.0),
        q("d", wait=30.0, outcome="abandoned"),
        q("c", wait=30.0, channel="chat", talk_s=50.0),
    ]
    df = con.execute(O.operations_summary(canonical_memtable("contacts", rows))).set_index("channel")
    v = df.loc["voice"]
    assert (v.offered, v.answered, v.long_abandons) == (3, 2, 1)
    assert v.service_level == pytest.approx(1 / 3) and v.abandon_rate == pytest.approx(1 / 3)
    assert v.asa_s == 25 and v.aht_mean_s == 200 and v.aht_median_s == 200
    assert df.loc["chat", "service_level"] == 1.0
    a = df.loc["all"]
    assert (a.offered, a.handled) == (4, 3) and a.aht_median_s == 100
    assert a.service_level == pytest.approx(2 / 4)  # a (voice 10 s), c (chat 30 s) / 3 + 1
    # voice waits (25 s) and chat waits (30 s) are not one queue: no ASA across channels
    assert pd.isna(a.asa_s) and df.loc["chat", "asa_s"] == 30
    # no IVR seconds in these rows: IVR rates not measured
    assert a.ivr_entries == 0 and pd.isna(a.ivr_hangup_rate) and pd.isna(a.containment)


def test_queue_profile_daily(con):
    # 03-02: a in SL, b abandoned long -> SL 1/2, abandon 1/2. 03-03: d in SL -> 1/1.
    rows = [
        q("a", wait=10.0), q("b", wait=30.0, outcome="abandoned"),
        q("d", wait=5.0, arrived_at="2026-03-03 09:00", ended_at="2026-03-03 09:10"),
    ]
    df = con.execute(O.queue_profile(canonical_memtable("contacts", rows)))
    assert list(df.offered) == [2, 1]
    assert list(df.service_level) == [0.5, 1.0] and list(df.abandon_rate) == [0.5, 0.0]
    assert [pd.Timestamp(p).strftime("%Y-%m-%d") for p in df.period_start] == ["2026-03-02", "2026-03-03"]


@pytest.mark.parametrize("dialect", ["postgres", "bigquery", "snowflake"])
def test_operations_compile_for_other_backends(dialect):
    from cxkit.schema import ibis_schema

    t = ibis.table(ibis_schema("contacts"), name="contacts")
    for e in [O.aht(t), O.asa(t), O.service_level(t), O.abandonment(t), O.ivr_hangups(t),
              O.containment(t), O.transfer_rate(t), O.operations_summary(t), O.queue_profile(t)]:
        assert ibis.to_sql(e, dialect=dialect)
