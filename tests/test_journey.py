"""Journey stitching, effort components, effort index, variants and transitions: tiny fixtures
whose expected values are computed by hand in the comments."""

from __future__ import annotations

import math

import ibis
import pandas as pd
import pytest

from cxkit import journey as J
from cxkit.errors import CxkitError
from cxkit.testing import canonical_memtable, ts

EOD = ts("2026-03-31 00:00")


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


def contacts(*rows: dict):
    base = {"customer_id": "k", "direction": "inbound", "channel": "voice", "outcome": "handled"}
    return canonical_memtable("contacts", [{**base, **r} for r in rows])


def c(cid: str, arrived: str, ended: str, **kw) -> dict:
    return {"contact_id": cid, "arrived_at": arrived, "ended_at": ended, **kw}


def membership(con, t, **kw) -> dict[str, tuple[str, int]]:
    r = con.execute(J.journey_contacts(t, end_of_data=EOD, **kw))
    return {row.contact_id: (row.journey_id, int(row.position)) for row in r.itertuples()}


def one_journey(con, t, **kw) -> dict:
    r = con.execute(J.journeys(t, end_of_data=EOD, **kw))
    assert len(r) == 1, r
    return r.iloc[0].to_dict()


# --------------------------------------------------------------------------------------------
# stitching
# --------------------------------------------------------------------------------------------


def test_latest_end_so_far_keeps_a_journey_open(con):
    # a: 09:00 -> 12:00 (long); b: 10:00 -> 10:30 overlaps a.
    # c arrives 2026-03-09 11:59: 7 days + 1h29 after b's end (would start a new journey by the
    # "previous contact" reading) but 6 d 23 h 59 min after a's end (the latest end so far) -> same.
    t = contacts(
        c("a", "2026-03-02 09:00", "2026-03-02 12:00"),
        c("b", "2026-03-02 10:00", "2026-03-02 10:30"),
        c("c", "2026-03-09 11:59", "2026-03-09 12:10"),
    )
    assert membership(con, t) == {"a": ("a", 1), "b": ("a", 2), "c": ("a", 3)}
    jc = con.execute(J.journey_contacts(t, end_of_data=EOD)).set_index("contact_id")
    assert bool(jc.loc["b", "overlaps_earlier"]) and not bool(jc.loc["c", "overlaps_earlier"])
    # b arrived 2 h before a's end: gap -7200 s; c: 7 days - 1 min after 12:00 = 604740 s
    assert jc.loc["b", "gap_s"] == -7200.0
    assert jc.loc["c", "gap_s"] == 7 * 86400 - 60


def test_window_boundary_is_inclusive(con):
    # b arrives exactly 7 x 86400 s after a ends -> same journey; c arrives 1 s past the window
    # after b's end (2026-03-09 09:10:00 + 7 d = 2026-03-16 09:10:00) -> new journey.
    t = contacts(
        c("a", "2026-03-02 09:00", "2026-03-02 09:10"),
        c("b", "2026-03-09 09:10", "2026-03-09 09:20"),
        c("c", "2026-03-16 09:20:01", "2026-03-16 09:30"),
    )
    assert membership(con, t) == {"a": ("a", 1), "b": ("a", 2), "c": ("c", 1)}


def test_window_days_parameter(con):
    # 1-day window: b arrives 1 day + 10 min after a ends -> separate journeys
    t = contacts(
        c("a", "2026-03-02 09:00", "2026-03-02 09:10"),
        c("b", "2026-03-03 09:20", "2026-03-03 09:30"),
    )
    assert membership(con, t, window_days=1) == {"a": ("a", 1), "b": ("b", 1)}
    assert membership(con, t, window_days=7) == {"a": ("a", 1), "b": ("a", 2)}
    with pytest.raises(CxkitError, match="window_days"):
        J.journey_contacts(t, window_days=0)


def test_outbound_callback_and_unidentified_take_no_part(con):
    # o (outbound) and cb (callback) sit between a and b: they neither split nor extend the
    # journey; b is 6 days after a -> same journey of 2 contacts. u has no customer id.
    t = contacts(
        c("a", "2026-03-02 09:00", "2026-03-02 09:10"),
        c("o", "2026-03-05 09:00", "2026-03-05 09:10", direction="outbound"),
        c("cb", "2026-03-06 09:00", "2026-03-06 09:10", direction="callback"),
        c("b", "2026-03-08 09:00", "2026-03-08 09:10"),
        c("u", "2026-03-08 10:00", "2026-03-08 10:10", customer_id=None),
    )
    assert membership(con, t) == {"a": ("a", 1), "b": ("a", 2)}
    # an outbound contact cannot bridge a gap: x is 8 days after y; the outbound z in between
    t2 = contacts(
        c("y", "2026-03-02 09:00", "2026-03-02 09:10"),
        c("z", "2026-03-06 09:00", "2026-03-06 09:10", direction="outbound"),
        c("x", "2026-03-10 09:10", "2026-03-10 09:20"),
    )
    assert membership(con, t2) == {"y": ("y", 1), "x": ("x", 1)}


def test_customers_are_stitched_separately(con):
    t = contacts(
        c("a", "2026-03-02 09:00", "2026-03-02 09:10"),
        c("b", "2026-03-02 09:30", "2026-03-02 09:40", customer_id="other"),
    )
    assert membership(con, t) == {"a": ("a", 1), "b": ("b", 1)}


def test_journey_components(con):
    # Journey of 4 contacts, customer k:
    #   a voice abandoned  ivr 60 wait 120          auth 1
    #   b voice abandoned  ivr 30 wait 240          auth 0
    #   c chat  handled    wait 60 hold 0  transfers 2  auth 2
    #   d voice handled    ivr 90 wait 30 hold 45   auth 1   (abandoned? no)
    # contacts 4, distinct channels 2, switches: voice>voice 0, voice>chat 1, chat>voice 1 = 2
    # transfers 2 (inside c: not steps), auth 4 -> repeat authentications 3
    # ivr 180, wait 450, hold 45; abandoned before the first handled (c, position 3) = 2
    # elapsed: 2026-03-02 09:00 -> 2026-03-05 10:00 = 3 d 1 h = 262800 s
    t = contacts(
        c("a", "2026-03-02 09:00", "2026-03-02 09:03", outcome="abandoned", ivr_s=60.0, wait_s=120.0, auth_attempts=1),
        c("b", "2026-03-02 09:10", "2026-03-02 09:15", outcome="abandoned", ivr_s=30.0, wait_s=240.0, auth_attempts=0),
        c("c", "2026-03-03 09:00", "2026-03-03 09:30", channel="chat", wait_s=60.0, transfers=2, auth_attempts=2),
        c("d", "2026-03-05 09:00", "2026-03-05 10:00", ivr_s=90.0, wait_s=30.0, hold_s=45.0, auth_attempts=1),
    )
    j = one_journey(con, t)
    assert j["journey_id"] == "a"
    assert (j["contacts"], j["extra_contacts"], j["channels"], j["channel_switches"]) == (4, 3, 2, 2)
    assert (j["transfers"], j["auth_attempts"], j["repeat_authentications"]) == (2, 4, 3)
    assert (j["ivr_s"], j["wait_s"], j["hold_s"]) == (180.0, 450.0, 45.0)
    assert j["abandoned_before_served"] == 2
    assert j["elapsed_s"] == 262800.0
    assert (j["first_channel"], j["last_outcome"], j["served"]) == ("voice", "handled", True)
    assert (j["status"], j["resolved"], j["censored"]) == ("resolved", True, False)


def test_a_customers_only_inbound_contact_is_a_journey_of_one_without_the_windows(con):
    # only the customers of several inbound contacts are sorted; the others get what the windows
    # would give them: first of one, no earlier end, no switch; an outbound contact is no part
    t = contacts(
        c("a", "2026-03-02 09:00", "2026-03-02 09:03", outcome="abandoned"),
        c("o", "2026-03-02 10:00", "2026-03-02 10:03", direction="outbound"),
        c("b", "2026-03-05 09:00", "2026-03-05 09:10", customer_id="m", channel="chat"),
        c("c", "2026-03-06 09:00", "2026-03-06 09:30", customer_id="m", outcome="abandoned"),
        c("d", "2026-03-07 09:00", "2026-03-07 09:05", customer_id="n"),
    )
    staged = []
    jc = J.journey_contacts(t, end_of_data=EOD,
                            stage=lambda keys: staged.append(keys) or ibis.memtable(con.execute(keys)))
    assert len(staged) == 1
    got = con.execute(jc).set_index("contact_id").sort_index()
    plain = con.execute(J.journey_contacts(t, end_of_data=EOD)).set_index("contact_id").sort_index()
    pd.testing.assert_frame_equal(got, plain)
    assert got.index.tolist() == ["a", "b", "c", "d"]
    cols = ["journey_id", "position", "is_last", "channel_switch", "overlaps_earlier", "abandoned_before_served"]
    assert got.loc["a", cols].tolist() == ["a", 1, True, False, False, True]
    assert got.loc["d", cols].tolist() == ["d", 1, True, False, False, False]
    assert got.loc["c", cols].tolist() == ["b", 2, True, True, False, False]  # abandoned after a handled one
    assert pd.isna(got.loc["a", "gap_s"]) and got.loc["c", "gap_s"] == 85800.0
    assert str(jc.schema()) == str(J.journey_contacts(t, end_of_data=EOD).schema())


def _journeys_of_one_and_several() -> list[dict]:
    """Two journeys of one contact (an abandoned one with nulls; one without a channel,
    outcome or hold) and a journey of two contacts of another customer."""
    return [
        c("a", "2026-03-02 09:00", "2026-03-02 09:03", outcome="abandoned", ivr_s=60.0, auth_attempts=None),
        c("b", "2026-03-20 09:00", "2026-03-20 09:10", channel=None, outcome=None, hold_s=None, queue="Q"),
        c("c", "2026-03-21 09:00", "2026-03-21 09:30", channel="chat", transfers=2, customer_id="m"),
        c("d", "2026-03-21 10:00", "2026-03-21 10:05", customer_id="m", outcome="abandoned"),
    ]


def test_journeys_of_one_contact_pass_through_as_their_grouping(con):
    # journeys() groups only the journeys of several contacts; a journey of one contact is
    # its row: every column equals the plain grouping, nulls, an abandoned contact, a
    # channel not recorded and a contact id the export repeats (two journeys, one id) included
    t = contacts(
        *_journeys_of_one_and_several(),
        c("e", "2026-03-03 09:00", "2026-03-03 09:01", customer_id="n"),
        c("e", "2026-03-25 09:00", "2026-03-25 09:01", customer_id="n", channel="email"),
    )
    jc = J.journey_contacts(t, end_of_data=EOD)
    plain = J._with_derived_components(
        jc.group_by(["journey_id", "customer_id"]).aggregate(**J._journey_aggregates(jc))
    )
    got = con.execute(J.journeys(jc).order_by("journey_id", "customer_id")).reset_index(drop=True)
    expected = con.execute(plain.order_by("journey_id", "customer_id")).reset_index(drop=True)
    common = [column for column in got.columns if column in expected.columns]
    assert len(common) == len(got.columns) - 4  # all but served, censored, resolved, status
    pd.testing.assert_frame_equal(got[common], expected[common])
    # a, b, c+d, and e's two journeys (18 days apart): named with their arrivals, not read as one
    assert got.contacts.tolist() == [1, 1, 2, 1, 1]
    assert got.journey_id.tolist()[3:] == [f"e@{int(ts(d).timestamp())}" for d in ("2026-03-03 09:00", "2026-03-25 09:00")]
    b = got.set_index("journey_id").loc["b"]
    assert b.channels == 0 and b.handled_contacts == 0 and b.first_queue == "Q" and pd.isna(b.last_outcome)
    # the keys of the journeys of several contacts staged once (as a run does): the same rows
    staged = []
    once = J.journeys(jc, stage=lambda keys: staged.append(keys) or ibis.memtable(con.execute(keys)))
    assert len(staged) == 1
    pd.testing.assert_frame_equal(con.execute(once.order_by("journey_id", "customer_id")).reset_index(drop=True), got)


def test_journeys_of_one_contact_known_by_position_when_ids_are_unique(con):
    # contact ids unique (as a leg-grain export's contacts are): a journey of one contact is
    # its first and last row, no grouping by size needed; the same journeys, column by column,
    # nulls, an abandoned contact and a channel not recorded included
    t = contacts(
        *_journeys_of_one_and_several(),
        c("e", "2026-03-22 09:00", "2026-03-22 09:05", customer_id="m"),
        c("f", "2026-03-03 09:00", "2026-03-03 09:01", customer_id="n"),
    )
    jc = J.journey_contacts(t, end_of_data=EOD)
    got = con.execute(J.journeys(jc, unique_ids=True).order_by("journey_id")).reset_index(drop=True)
    expected = con.execute(J.journeys(jc).order_by("journey_id")).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected)
    assert got.contacts.tolist() == [1, 1, 3, 1]  # a, b, c+d+e, f
    # the paths of the journeys the same way: a, b (no channel recorded) and f of one step
    j = J.journeys(jc)
    paths = con.execute(J.journey_variants(jc, j, unique_ids=True, min_n=1).order_by("variant"))
    pd.testing.assert_frame_equal(paths, con.execute(J.journey_variants(jc, j, min_n=1).order_by("variant")))
    assert sorted(zip(paths.variant, paths.journeys)) == [("(not recorded)", 1), ("chat > voice > voice", 1), ("voice", 2)]


def test_distinct_channels_of_a_journey_count_raw_codes_and_no_null(con):
    # a journey's distinct channels: canonical ones, a raw code a mapping passed through (once,
    # however often), and no channel (not a channel); a journey whose contacts have no channel
    # has none, not an unknown count
    t = contacts(
        c("a", "2026-03-02 09:00", "2026-03-02 09:10"),
        c("b", "2026-03-02 10:00", "2026-03-02 10:10", channel="chat"),
        c("c", "2026-03-02 11:00", "2026-03-02 11:10", channel="IVR_X"),
        c("d", "2026-03-02 12:00", "2026-03-02 12:10", channel="IVR_X"),
        c("e", "2026-03-02 13:00", "2026-03-02 13:10", channel=None),
        c("f", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="m", channel=None),
        c("g", "2026-03-02 10:00", "2026-03-02 10:10", customer_id="m", channel=None),
    )
    jc = J.journey_contacts(t, end_of_data=EOD)
    got = con.execute(J.journeys(jc)).set_index("journey_id").channels.to_dict()
    assert got == {"a": 3, "f": 0}
    plain = con.execute(jc.group_by("journey_id").aggregate(n=jc.channel.nunique())).set_index("journey_id").n.to_dict()
    assert got == plain


def test_email_response_time_is_not_waiting_effort(con):
    # a voice contact waits 120 s on the line; the email that follows is answered 4 h later.
    # Waiting effort counts the 120 s only; the 14,400 s email response time is kept apart.
    t = contacts(
        c("a", "2026-03-02 09:00", "2026-03-02 09:10", wait_s=120.0),
        c("b", "2026-03-02 12:00", "2026-03-02 16:05", channel="email", wait_s=14400.0),
    )
    j = one_journey(con, t)
    assert (j["wait_s"], j["response_s"]) == (120.0, 14400.0)
    idx = con.execute(J.effort_index(J.journeys(t, end_of_data=EOD))).iloc[0]
    # extra contact 1 + channel switch 1 + wait 120/300 = 0.4 -> 2.4 (response time adds nothing)
    assert idx["effort_index"] == pytest.approx(2.4)


def test_transfers_are_not_journey_steps(con):
    # one contact transferred twice is one step, one contact, no switch
    t = contacts(c("a", "2026-03-02 09:00", "2026-03-02 09:30", transfers=2))
    j = one_journey(con, t)
    assert (j["contacts"], j["channel_switches"], j["transfers"]) == (1, 0, 2)


def test_repeat_authentications_never_below_zero(con):
    # auth_attempts 0 in the only contact -> 0 - 1 would be -1 -> reported 0; null reads as 0
    t = contacts(c("a", "2026-03-02 09:00", "2026-03-02 09:30", auth_attempts=None))
    assert one_journey(con, t)["repeat_authentications"] == 0


def test_abandoned_after_being_served_is_not_counted(con):
    # a handled, then b abandoned: abandoned attempts *before* being served = 0
    # never served: c abandoned, d abandoned -> 2 (every abandoned attempt precedes service)
    t = contacts(
        c("a", "2026-03-02 09:00", "2026-03-02 09:10"),
        c("b", "2026-03-02 11:00", "2026-03-02 11:02", outcome="abandoned"),
    )
    assert one_journey(con, t)["abandoned_before_served"] == 0
    t2 = contacts(
        c("c", "2026-03-02 09:00", "2026-03-02 09:03", outcome="abandoned"),
        c("d", "2026-03-02 11:00", "2026-03-02 11:02", outcome="abandoned"),
    )
    j = one_journey(con, t2)
    assert (j["abandoned_before_served"], j["served"]) == (2, False)


def test_censored_journey_at_end_of_data(con):
    # end of data 2026-03-31 00:00, window 7 d -> a journey is judged when its latest end is at
    # or before 2026-03-24 00:00. Journey a ends 2026-03-24 00:00 exactly -> resolved.
    # Journey b's latest end 2026-03-24 00:00:01 -> censored.
    t = contacts(
        c("a", "2026-03-23 23:00", "2026-03-24 00:00"),
        c("b", "2026-03-24 00:00:00", "2026-03-24 00:00:01", customer_id="other"),
    )
    r = con.execute(J.journeys(t, end_of_data=EOD)).set_index("journey_id")
    assert r.loc["a", "status"] == "resolved" and r.loc["b", "status"] == "censored"


def test_end_of_data_defaults_to_latest_arrival(con):
    # latest arrival in the feed (any direction) = 2026-03-20 09:00 (the outbound contact);
    # a ended 2026-03-15 09:10: + 7 d = 2026-03-22 09:10 > 2026-03-20 -> censored
    t = contacts(
        c("a", "2026-03-15 09:00", "2026-03-15 09:10"),
        c("o", "2026-03-20 09:00", "2026-03-20 09:05", direction="outbound"),
    )
    j = con.execute(J.journeys(t)).iloc[0]
    assert j.censored


def test_naive_end_of_data_is_refused():
    from datetime import datetime

    with pytest.raises(CxkitError, match="timezone"):
        J.journey_contacts(contacts(c("a", "2026-03-02 09:00", "2026-03-02 09:10")), end_of_data=datetime(2026, 3, 31))


def test_journeys_accepts_journey_contacts(con):
    t = contacts(c("a", "2026-03-02 09:00", "2026-03-02 09:10"), c("b", "2026-03-03 09:00", "2026-03-03 09:10"))
    jc = J.journey_contacts(t, end_of_data=EOD)
    assert con.execute(J.journeys(jc)).contacts.tolist() == [2]


def test_journey_effort_summary(con):
    # journeys: A (a,b: voice>chat switch, auth 1+1 -> reauth 1), B (single contact)
    t = contacts(
        c("a", "2026-03-02 09:00", "2026-03-02 09:10", auth_attempts=1, wait_s=100.0),
        c("b", "2026-03-03 09:00", "2026-03-03 09:10", channel="chat", auth_attempts=1, wait_s=200.0),
        c("x", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="other", wait_s=0.0),
    )
    r = con.execute(J.journey_effort_summary(J.journeys(t, end_of_data=EOD))).iloc[0]
    # 2 journeys, 3 contacts -> 1.5 per journey; switch 1/2; reauth 1/2; wait mean (300 + 0)/2
    assert (r.journeys, r.contacts_per_journey, r.channel_switch_rate, r.reauth_rate) == (2, 1.5, 0.5, 0.5)
    assert r.wait_s_mean == 150.0


# --------------------------------------------------------------------------------------------
# entry and routing
# --------------------------------------------------------------------------------------------


def test_ivr_exits_by_entry_point(con):
    # main: 4 inbound = left in IVR 2 (ivr 20 s and 40 s -> median 30), contained 1, queued 1
    # web: 1 deflected; the outbound contact is not a front-door arrival
    t = contacts(
        c("a", "2026-03-02 09:00", "2026-03-02 09:01", entry_point="main", outcome="abandoned", queued=False, ivr_s=20.0),
        c("b", "2026-03-02 09:00", "2026-03-02 09:01", entry_point="main", outcome="abandoned", queued=False, ivr_s=40.0),
        c("c", "2026-03-02 09:00", "2026-03-02 09:01", entry_point="main", outcome="contained", queued=False),
        c("d", "2026-03-02 09:00", "2026-03-02 09:01", entry_point="main", queued=True),
        c("e", "2026-03-02 09:00", "2026-03-02 09:01", entry_point="web", outcome="deflected", queued=False),
        c("f", "2026-03-02 09:00", "2026-03-02 09:01", entry_point="main", direction="outbound"),
    )
    r = con.execute(J.ivr_exits(t, by="entry_point")).set_index("entry_point")
    main = r.loc["main"]
    assert (main.contacts, main.left_in_ivr, main.contained, main.to_queue, main.other) == (4, 2, 1, 1, 0)
    assert (main.left_in_ivr_share, main.left_in_ivr_median_ivr_s) == (0.5, 30.0)
    assert r.loc["web", "deflected"] == 1 and bool(main.below_min_n)


# --------------------------------------------------------------------------------------------
# effort index
# --------------------------------------------------------------------------------------------


def _journey_row(**kw):
    row = {k: 0 for k in J.EFFORT_COMPONENTS} | {"journey_id": "j", "first_reason": "billing"}
    return {k: [v] for k, v in (row | kw).items()}


def test_effort_index_with_default_weights(con):
    # 2 extra contacts (2) + 1 switch (1) + 3 transfers (1.5) + 1 reauth (0.5) + 1 abandoned (1)
    # + ivr 150 s (0.5) + wait 600 s (2) + hold 150 s (0.5) + elapsed 2 days (weight 0)  = 9.0
    j = ibis.memtable(_journey_row(extra_contacts=2, channel_switches=1, transfers=3,
                                   repeat_authentications=1, abandoned_before_served=1,
                                   ivr_s=150.0, wait_s=600.0, hold_s=150.0, elapsed_s=172800.0))
    r = con.execute(J.effort_index(j)).iloc[0]
    assert r.effort_index == pytest.approx(9.0)
    assert (r.effort_transfers, r.effort_wait_s, r.effort_elapsed_s) == (1.5, 2.0, 0.0)


def test_effort_index_with_given_weights_and_scales(con):
    # weights: transfers 2, elapsed 1; scales: wait 60 s, elapsed 86400 s
    # 3 transfers * 2 = 6; wait 600/60 * 1 = 10; elapsed 2 d * 1 = 2  -> 18
    j = ibis.memtable(_journey_row(transfers=3, wait_s=600.0, elapsed_s=172800.0))
    r = con.execute(J.effort_index(j, weights={"transfers": 2, "elapsed_s": 1}, scales={"wait_s": 60})).iloc[0]
    assert r.effort_index == pytest.approx(18.0)


def test_effort_settings_errors_name_the_key():
    j = ibis.memtable(_journey_row())
    with pytest.raises(CxkitError) as e:
        J.effort_index(j, weights={"transfer": 1, "wait_s": -1}, scales={"hold_s": 0})
    msg = str(e.value)
    assert "effort.weights.transfer" in msg and "effort.weights.wait_s" in msg and "effort.scales.hold_s" in msg


def test_effort_parameters_table(con):
    p = con.execute(J.effort_parameters({"transfers": 1.0})).set_index("component")
    assert p.loc["transfers", "weight"] == 1.0 and p.loc["transfers", "default_weight"] == 0.5
    assert p.loc["wait_s", "scale"] == 300.0


def test_effort_decomposition_shares(con):
    # billing: j1 extra 1 (1 pt) + wait 300 (1 pt); j2 transfers 2 (1 pt) -> total 3
    #   extra_contacts 1/3, wait_s 1/3, transfers 1/3; mean effort 1.5
    # fees: j3 reauth 2 (1 pt) -> repeat_authentications share 1
    rows = [
        _journey_row(journey_id="j1", extra_contacts=1, wait_s=300.0),
        _journey_row(journey_id="j2", transfers=2),
        _journey_row(journey_id="j3", first_reason="fees", repeat_authentications=2),
    ]
    data = {k: sum((r[k] for r in rows), []) for k in rows[0]}
    d = con.execute(J.effort_decomposition(ibis.memtable(data))).set_index(["first_reason", "component"])
    assert d.loc[("billing", "extra_contacts"), "share_of_effort"] == pytest.approx(1 / 3)
    assert d.loc[("billing", "transfers"), "share_of_effort"] == pytest.approx(1 / 3)
    assert d.loc[("billing", "wait_s"), "mean_effort"] == pytest.approx(1.5)
    assert d.loc[("fees", "repeat_authentications"), "share_of_effort"] == 1.0
    assert ("billing", "elapsed_s") not in d.index  # weight 0 components are left out


# --------------------------------------------------------------------------------------------
# rank correlation
# --------------------------------------------------------------------------------------------


def test_spearman_matches_scipy_with_ties(con):
    from scipy.stats import spearmanr

    x = [1.0, 2.0, 2.0, 3.0, 5.0, 4.0, 4.0, 7.0]
    y = [2.0, 1.0, 3.0, 3.0, 6.0, 5.0, 7.0, 7.0]
    t = ibis.memtable({"x": x + [None], "y": y + [1.0]})
    r = con.execute(J.spearman_correlation(t, "x", "y", min_n=5)).iloc[0]
    assert r.n == 8 and not r.below_min_n
    assert r.spearman == pytest.approx(spearmanr(x, y).statistic)
    # Fisher z with variance 1.06 / (n - 3)
    z = math.atanh(r.spearman)
    se = math.sqrt(1.06 / 5)
    assert r.ci_low == pytest.approx(math.tanh(z - 1.959964 * se), abs=1e-5)



def test_spearman_ranks_without_a_window_over_all_rows():
    # a window with no partition runs on one Spark task; the ranks come from cxkit.stats.rows_below
    from cxkit.testing import unpartitioned_windows

    t = ibis.table({"x": "float64", "y": "float64"}, name="t")
    assert unpartitioned_windows(J.spearman_correlation(t, "x", "y")) == []

def _survey_fixture():
    # k1: journey a (voice, wait 600 -> 2 pts) then b (chat: extra 1 + switch 1 = 2 more pts)
    # k2: journey c alone, wait 0 -> 0 pts;  k3: journey d wait 300 -> 1 pt
    t = contacts(
        c("a", "2026-03-02 09:00", "2026-03-02 09:10", wait_s=600.0),
        c("b", "2026-03-03 09:00", "2026-03-03 09:10", channel="chat"),
        c("c", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k2"),
        c("d", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k3", wait_s=300.0),
    )
    s = canonical_memtable("surveys", [
        {"survey_id": "s1", "contact_id": "a", "ces": 2.0, "csat": 2.0},
        {"survey_id": "s2", "contact_id": "c", "ces": 7.0, "csat": 5.0},
        {"survey_id": "s3", "contact_id": "d", "ces": 5.0, "csat": 4.0},
        {"survey_id": "s4", "contact_id": "zz", "ces": 1.0, "csat": 1.0},  # no journey: left out
    ])
    jc = J.journey_contacts(t, end_of_data=EOD)
    return jc, J.journeys(jc), s


def test_survey_effort_scope(con):
    jc, j, s = _survey_fixture()
    to_survey = con.execute(J.survey_effort(jc, j, s)).set_index("survey_id").effort
    whole = con.execute(J.survey_effort(jc, j, s, scope="journey")).set_index("survey_id").effort
    # s1 surveys contact a (position 1): to_survey counts only a -> 2; whole journey -> 4
    assert to_survey.to_dict() == {"s1": 2.0, "s2": 0.0, "s3": 1.0}
    assert whole.to_dict() == {"s1": 4.0, "s2": 0.0, "s3": 1.0}


def test_effort_rank_correlation(con):
    jc, j, s = _survey_fixture()
    r = con.execute(J.effort_rank_correlation(jc, j, s)).set_index("measure")
    # effort 2, 0, 1 vs CES 2, 7, 5: ranks (3,1,2) vs (1,3,2) -> rho = -1
    assert r.loc["ces", "n"] == 3 and r.loc["ces", "spearman"] == pytest.approx(-1.0)
    assert r.loc["csat", "spearman"] == pytest.approx(-1.0)
    assert bool(r.loc["ces", "below_min_n"])
    # the surveys' effort computed once by the caller gives the same rows, surveys unread
    again = con.execute(J.effort_rank_correlation(jc, j, None, scored=J.survey_effort(jc, j, s)))
    assert again.set_index("measure").equals(r)


# --------------------------------------------------------------------------------------------
# variants and transitions
# --------------------------------------------------------------------------------------------


def _variant_fixture():
    # k1: voice > chat > voice (resolved)       k2: voice > chat > voice (resolved)
    # k3: voice (resolved)                       k4: 7 voice contacts, the last near the data end
    rows = []
    for k in ("k1", "k2"):
        rows += [
            c(f"{k}a", "2026-03-02 09:00", "2026-03-02 09:10", customer_id=k),
            c(f"{k}b", "2026-03-03 09:00", "2026-03-03 09:10", customer_id=k, channel="chat"),
            c(f"{k}c", "2026-03-04 09:00", "2026-03-04 09:10", customer_id=k),
        ]
    rows.append(c("k3a", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k3"))
    rows += [c(f"k4{i}", f"2026-03-{20 + i:02d} 09:00", f"2026-03-{20 + i:02d} 09:10", customer_id="k4")
             for i in range(7)]
    return contacts(*rows)


def test_variant_strings_and_cap(con):
    jc = J.journey_contacts(_variant_fixture(), end_of_data=EOD)
    v = con.execute(J.journey_variants(jc, J.journeys(jc), max_steps=6))
    got = dict(zip(v.variant, v.journeys))
    assert got == {
        "voice > chat > voice": 2,
        "voice": 1,
        "voice > voice > voice > voice > voice > voice > ...": 1,  # 7 steps capped at 6
    }
    first = v.iloc[0]
    assert first.variant == "voice > chat > voice" and first.share == 0.5  # 2 of 4 journeys
    capped = v.set_index("variant").loc["voice > voice > voice > voice > voice > voice > ..."]
    assert (capped.steps, capped.censored_journeys, capped.judged_journeys) == (6, 1, 0)
    # mean effort of voice > chat > voice: 2 extra contacts + 2 switches = 4
    assert v.set_index("variant").loc["voice > chat > voice", "mean_effort"] == 4.0
    assert len(con.execute(J.journey_variants(jc, J.journeys(jc), top=1))) == 1


def test_variant_start_fcr_is_not_tautological(con):
    # Journeys starting in voice: k1, k2 (3 contacts, judged), k3 (1 contact, judged), k4
    # (7 contacts, the last ends 26 March + 7 d > 31 March: censored, left out).
    # FCR of journeys starting this way = one-contact judged journeys / judged = 1 / 3, the
    # same for every variant starting in voice; a per-variant FCR would be 100% for "voice".
    t = _variant_fixture()
    jc = J.journey_contacts(t, end_of_data=EOD)
    v = con.execute(J.journey_variants(jc, J.journeys(jc))).set_index("variant")
    assert "fcr" not in v.columns
    assert (v.first_step == "voice").all()
    assert (v.start_judged == 3).all() and (v.start_one_contact == 1).all()
    assert v.start_fcr.tolist() == [pytest.approx(1 / 3)] * 3
    assert v.start_below_min_n.all()
    capped = v.loc["voice > voice > voice > voice > voice > voice > ..."]
    assert capped.open_share == 1.0 and capped.mean_contacts == 7
    # elapsed: 20 March 09:00 to 26 March 09:10 = 6 d 10 min
    assert capped.mean_elapsed_h == pytest.approx(6 * 24 + 10 / 60)
    vcv = v.loc["voice > chat > voice"]
    assert vcv.open_share == 0.0 and vcv.mean_elapsed_h == pytest.approx(48 + 10 / 60)
    # the first step follows `step`: the fixture records no reason, which reads "(not recorded)"
    r = con.execute(J.journey_variants(jc, J.journeys(jc), step="contact_reason"))
    assert set(r.first_step) == {"(not recorded)"} and r.start_fcr.tolist() == [pytest.approx(1 / 3)] * 3


def test_variants_by_queue_label_missing_values(con):
    t = contacts(c("a", "2026-03-02 09:00", "2026-03-02 09:10", queue="billing"),
                 c("b", "2026-03-03 09:00", "2026-03-03 09:10", queue=None))
    jc = J.journey_contacts(t, end_of_data=EOD)
    v = con.execute(J.journey_variants(jc, J.journeys(jc), step="queue"))
    assert v.variant.tolist() == ["billing > (not recorded)"]
    with pytest.raises(CxkitError, match="step"):
        J.journey_variants(jc, J.journeys(jc), step="agent")


def test_transitions_with_start_end_and_censored_markers(con):
    jc = J.journey_contacts(_variant_fixture(), end_of_data=EOD)
    tr = con.execute(J.transitions(jc, J.journeys(jc)))
    got = {(r.from_step, r.to_step): r.transitions for r in tr.itertuples()}
    # starts: 4 journeys all start in voice; k1,k2: voice>chat, chat>voice, voice>[end];
    # k3: voice>[end]; k4: 6 x voice>voice then voice>[censored]
    assert got == {
        ("[start]", "voice"): 4,
        ("voice", "chat"): 2,
        ("chat", "voice"): 2,
        ("voice", "[end]"): 3,
        ("voice", "voice"): 6,
        ("voice", "[censored]"): 1,
    }
    share = {(r.from_step, r.to_step): r.share_of_from for r in tr.itertuples()}
    # transitions out of voice: 2 + 3 + 6 + 1 = 12
    assert share[("voice", "voice")] == pytest.approx(6 / 12)


def test_compiles_for_other_backends():
    # engine-agnostic: the SQL compiles for other ibis dialects (no DuckDB-only functions)
    t = _variant_fixture()
    jc = J.journey_contacts(t, end_of_data=EOD)
    j = J.journeys(jc)
    for expr in (j, J.journey_variants(jc, j), J.transitions(jc, j), J.effort_decomposition(j)):
        for dialect in ("postgres", "snowflake", "bigquery", "trino"):
            assert ibis.to_sql(expr, dialect=dialect)


def test_a_rating_the_export_lacks_is_not_measured_in_the_effort_ratings_table(tmp_path):
    # surveys with CSAT only: the CES row read "0 responses, small sample", as if CES were asked
    import yaml

    from cxkit.config import load_engagement
    from cxkit.pipeline import prepare_run
    from cxkit.results import ResultSet

    (tmp_path / "contacts.csv").write_text("id,cust,start,end\n" + "".join(
        f"c{i},k{i % 7},2026-03-{2 + i % 20:02d} 10:00:00,2026-03-{2 + i % 20:02d} 10:05:00\n" for i in range(40)))
    (tmp_path / "surveys.csv").write_text("sid,contact,at,csat\n" + "".join(
        f"s{i},c{i},2026-03-{2 + i % 20:02d} 12:00:00,{1 + i % 5}\n" for i in range(40)))
    fmt = "%Y-%m-%d %H:%M:%S"
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump({
        "name": "t", "client": "T", "period": {"start": "2026-03-01", "end": "2026-03-31"}, "timezone": "UTC",
        "sources": {
            "contacts": {"path": "contacts.csv", "columns": {
                "contact_id": "id", "customer_id": "cust", "channel": {"constant": "voice"},
                "direction": {"constant": "inbound"}, "outcome": {"constant": "handled"},
                "arrived_at": {"column": "start", "format": fmt}, "ended_at": {"column": "end", "format": fmt}}},
            "surveys": {"path": "surveys.csv", "columns": {
                "survey_id": "sid", "contact_id": "contact", "responded_at": {"column": "at", "format": fmt},
                "csat": "csat"}}},
        "resolution": {"min_n": 1}}))
    prepare_run(tmp_path / "engagement.yaml", tmp_path / "run")
    results = ResultSet.load(tmp_path / "run", load_engagement(tmp_path / "engagement.yaml"))
    html = results.table("effort_vs_ratings", columns={"measure": "Rating", "n": "Responses"})._repr_html_()
    ces, csat = (html.split(f">{m}")[1].split("</tr>")[0] for m in ("CES", "CSAT"))
    assert "not measured: the export has no CES answers (surveys.ces)" in ces and ">0<" not in ces
    assert "not measured" not in csat and ">40<" in csat
