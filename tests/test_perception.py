"""Survey scores, response bias, perception drivers, QA alignment and follow-through: tiny
fixtures with the arithmetic in the comments."""

from __future__ import annotations

import ibis
import pytest

from cxkit import journey as J
from cxkit import perception as P
from cxkit.errors import CxkitError
from cxkit.resolution import repeat_flags
from cxkit.stats import wilson_bounds
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


def surveys(*rows: dict):
    return canonical_memtable("surveys", [{"survey_id": str(i), **r} for i, r in enumerate(rows)])


# --------------------------------------------------------------------------------------------
# scores
# --------------------------------------------------------------------------------------------


def test_csat_nps_ces_arithmetic(con):
    s = surveys(
        {"csat": 5.0, "nps": 10.0, "ces": 7.0},
        {"csat": 4.0, "nps": 9.0, "ces": 5.0},
        {"csat": 3.0, "nps": 7.0, "ces": 4.0},
        {"csat": 1.0, "nps": 6.0, "ces": 1.0},
        {"csat": 6.0, "nps": 0.0},  # csat 6 is outside 1-5: left out of CSAT only
        {"responded_at": "2026-03-02 10:00"},  # responded, answered nothing scored
        {"sent_at": "2026-03-02 10:00"},  # invitation without response: not a response
    )
    r = con.execute(P.survey_scores(s)).iloc[0]
    assert r.responses == 6
    # CSAT: 5,4,3,1 -> n 4, top-2 = 2/4, mean 13/4
    assert (r.csat_n, r.csat_good, r.csat_top2, r.csat_mean) == (4, 2, 0.5, 3.25)
    assert (r.csat_top2_ci_low, r.csat_top2_ci_high) == pytest.approx(wilson_bounds(2, 4))
    # NPS: 10,9 promoters; 7 passive; 6,0 detractors -> (2 - 2) / 5 = 0 points
    assert (r.nps_n, r.promoters, r.detractors, r.nps) == (5, 2, 2, 0.0)
    # CES: 7,5 easy (5-7); 4,1 not -> 2/4; mean 17/4
    assert (r.ces_n, r.ces_easy, r.ces_mean) == (4, 0.5, 4.25)


def test_nps_sign_and_boundaries(con):
    # 9 promoter, 8 passive, 6 detractor, 10 promoter -> (2 - 1) / 4 = +25 points
    s = surveys({"nps": 9.0}, {"nps": 8.0}, {"nps": 6.0}, {"nps": 10.0})
    assert con.execute(P.survey_scores(s)).nps[0] == 25.0


def test_scores_by_segment(con):
    s = surveys({"csat": 5.0, "comment": None}, {"csat": 1.0})
    s = s.mutate(segment=ibis.literal("x"))
    r = con.execute(P.survey_scores(s, by="segment"))
    assert r.segment.tolist() == ["x"] and r.csat_top2[0] == 0.5


def test_response_rates_and_coverage(con):
    # 4 invitations, 2 responded (csat; ces) -> 50%; a 5th row is a response without invitation
    s = surveys(
        {"contact_id": "a", "sent_at": "2026-03-02 10:00", "csat": 5.0},
        {"contact_id": "b", "sent_at": "2026-03-02 10:00"},
        {"contact_id": "c", "sent_at": "2026-03-02 10:00"},
        {"contact_id": "d", "sent_at": "2026-03-02 10:00", "ces": 6.0},
        {"contact_id": "e", "nps": 9.0},
    )
    t = contacts(*[c(x, "2026-03-02 09:00", "2026-03-02 09:10") for x in "abcdefgh"],
                 c("o", "2026-03-02 09:00", "2026-03-02 09:10", direction="outbound"))
    r = con.execute(P.survey_response_rates(s, t)).iloc[0]
    assert (r.invitations, r.responses, r.invited_responses, r.response_rate) == (4, 3, 2, 0.5)
    # responded contacts a, d, e over 8 handled inbound contacts
    assert (r.handled_inbound, r.coverage) == (8, 3 / 8)
    assert (r.csat_answered, r.nps_answered, r.ces_answered) == (1, 1, 1)


# --------------------------------------------------------------------------------------------
# response bias and drivers
# --------------------------------------------------------------------------------------------


def _bias_fixture():
    # k1: a (transfers 1, wait 600) then b -> journey effort 2 (wait) + 0.5 (transfer) + 1 (extra) = 3.5
    # k2: c alone, effort 0.   k3: d alone, effort 0.   Surveys: c and d respond; a was invited only.
    t = contacts(
        c("a", "2026-03-02 09:00", "2026-03-02 09:10", transfers=1, wait_s=600.0),
        c("b", "2026-03-03 09:00", "2026-03-03 09:10"),
        c("c", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k2"),
        c("d", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k3"),
    )
    s = surveys(
        {"contact_id": "a", "sent_at": "2026-03-02 10:00"},
        {"contact_id": "c", "csat": 5.0, "ces": 7.0},
        {"contact_id": "d", "csat": 4.0, "ces": 6.0},
    )
    jc = J.journey_contacts(t, end_of_data=EOD)
    return t, jc, J.journeys(jc), s


def test_nonresponse_check(con):
    t, jc, j, s = _bias_fixture()
    r = con.execute(P.nonresponse_check(jc, j, s, contact_flags=repeat_flags(t, end_of_data=EOD)))
    r = r.set_index("group")
    # all 4 handled contacts: effort 3.5, 3.5, 0, 0 -> mean 1.75; transfers 1/4; later 1/4
    assert (r.loc["all", "contacts"], r.loc["all", "mean_effort"]) == (4, 1.75)
    assert (r.loc["all", "transfer_rate"], r.loc["all", "later_in_journey_rate"]) == (0.25, 0.25)
    # FCR (all judged): a repeated by b; b, c, d not -> 3/4; repeats: b -> 1/4
    assert (r.loc["all", "fcr_n"], r.loc["all", "fcr"], r.loc["all", "repeat_rate"]) == (4, 0.75, 0.25)
    # responders c, d: effort 0, FCR 2/2; non-responders a, b: effort 3.5, FCR 1/2
    assert (r.loc["responders", "contacts"], r.loc["responders", "mean_effort"], r.loc["responders", "fcr"]) == (2, 0.0, 1.0)
    assert (r.loc["non_responders", "mean_effort"], r.loc["non_responders", "fcr"]) == (3.5, 0.5)


def test_perception_by_driver(con):
    t, jc, j, s = _bias_fixture()
    s2 = surveys(
        {"contact_id": "a", "csat": 2.0},  # transfers 1, first contact, effort to survey 2.5
        {"contact_id": "b", "csat": 3.0},  # transfers 0, later contact, effort to survey 3.5
        {"contact_id": "c", "csat": 5.0},  # transfers 0, first, effort 0
        {"contact_id": "d", "csat": 4.0},  # transfers 0, first, effort 0
    )
    tr = con.execute(P.perception_by_driver(jc, j, s2, driver="transfers")).set_index("level")
    # 0 transfers: b, c, d -> csat mean 4, top-2 2/3; 1 transfer: a -> 2
    assert tr.loc["0", "responses"] == 3 and tr.loc["0", "csat_mean"] == 4.0
    assert tr.loc["1", "csat_mean"] == 2.0 and "2+" not in tr.index
    rp = con.execute(P.perception_by_driver(jc, j, s2, driver="repeat")).set_index("level")
    assert rp.loc["later contact", "csat_mean"] == 3.0 and rp.loc["first contact", "responses"] == 3
    dec = con.execute(P.perception_by_driver(jc, j, s2, driver="effort_decile"))
    # efforts 0, 0, 2.5, 3.5 -> percent ranks 0, 0, 2/3, 1 -> deciles 1, 1, 7, 10
    assert dict(zip(dec.level, dec.responses)) == {"1": 2, "7": 1, "10": 1}
    assert dec.set_index("level").loc["10", "csat_mean"] == 3.0
    # the engagement's weights (transfers 10, extra contacts 0): a 2 + 5 = 7, b the same (tied),
    # c and d 0 -> percent ranks 0, 0, 2/3, 2/3 -> deciles 1, 1, 7, 7
    w = {**J.DEFAULT_EFFORT_WEIGHTS, "transfers": 10.0, "extra_contacts": 0.0}
    dec_w = con.execute(P.perception_by_driver(jc, j, s2, driver="effort_decile", weights=w))
    assert dict(zip(dec_w.level, dec_w.responses)) == {"1": 2, "7": 2}
    # the responses' effort computed once by the caller gives the same table, surveys unread
    scored = J.survey_effort(jc, j, P.responses(s2), weights=w)
    again = con.execute(P.perception_by_driver(jc, j, None, driver="effort_decile", scored=scored))
    assert again.equals(dec_w)
    # the percent ranks need no window over all responses (one Spark task)
    from cxkit.testing import unpartitioned_windows

    assert unpartitioned_windows(P.perception_by_driver(jc, j, s2, driver="effort_decile")) == []
    with pytest.raises(CxkitError, match="driver"):
        P.perception_by_driver(jc, j, s2, driver="agent")


# --------------------------------------------------------------------------------------------
# QA alignment
# --------------------------------------------------------------------------------------------


def _qa_fixture():
    # 4 agents; each handles 2 customers' first contacts; some come back (repeat, handled by x9).
    #   A1: both resolved -> FCR 2/2      A2: 1 of 2 repeated -> FCR 1/2
    #   A3: both repeated -> FCR 0/2      A4: both resolved -> FCR 2/2
    # QA means: A1 70, A2 80, A3 95, A4 60
    rows, qa = [], []
    outcome = {"A1": (False, False), "A2": (True, False), "A3": (True, True), "A4": (False, False)}
    for agent, comes_back in outcome.items():
        for i, back in enumerate(comes_back):
            k = f"{agent}-{i}"
            rows.append(c(f"{k}-1", "2026-03-02 09:00", "2026-03-02 09:10", customer_id=k, agent_id=agent))
            if back:
                rows.append(c(f"{k}-2", "2026-03-03 09:00", "2026-03-03 09:10", customer_id=k, agent_id="X9"))
    scores = {"A1": 70.0, "A2": 80.0, "A3": 95.0, "A4": 60.0}
    for agent, score in scores.items():
        qa.append({"evaluation_id": f"e-{agent}", "agent_id": agent, "evaluated_at": "2026-03-05 10:00", "score": score})
    # an evaluation without agent_id takes the evaluated contact's agent (A4): mean (60+60)/2
    qa.append({"evaluation_id": "e-x", "contact_id": "A4-0-1", "evaluated_at": "2026-03-05 10:00", "score": 60.0})
    return contacts(*rows), canonical_memtable("qa", qa)


def test_qa_alignment_per_agent(con):
    t, qa = _qa_fixture()
    flags = repeat_flags(t, end_of_data=EOD)
    a = con.execute(P.qa_alignment(qa, t, flags, min_n=2, min_evaluations=1)).set_index("agent_id")
    assert a.loc["A4", "evaluations"] == 2 and a.loc["A4", "qa_mean"] == 60.0
    assert a.fcr.to_dict() == {"A1": 1.0, "A2": 0.5, "A3": 0.0, "A4": 1.0}
    # X9 handled the 3 repeat contacts: no QA -> not in the table (inner join on QA)
    assert "X9" not in a.index
    # repeat share: A1..A4 handled only first contacts -> 0
    assert a.repeat_share.tolist() == [0.0, 0.0, 0.0, 0.0]
    # percent ranks among 4 qualifying agents: QA A3 = 1 (top), FCR A3 = 0 (bottom) -> flagged
    assert a.qa_high_fcr_low.to_dict() == {"A1": False, "A2": False, "A3": True, "A4": False}
    # too few evaluations: nobody qualifies, nobody is flagged
    b = con.execute(P.qa_alignment(qa, t, flags, min_n=2, min_evaluations=3))
    assert not b.qualifies.any() and not b.qa_high_fcr_low.any()


def test_a_repeated_contact_id_meets_its_own_flags(con):
    # a contact-grain export giving id "dup" to two contacts A1 handled (k1's, resolved; k2's,
    # repeated by x): joined to their flags by the id alone each met both flag rows, and A1's
    # FCR read 2 of 4 judged, its repeat share over 4 contacts; the survey responders 10
    # contacts where there are 3 (the two journeys named "dup" read as one, too). By id and
    # arrival: 1 of 2, 2, and 3
    t = contacts(
        c("dup", "2026-03-02 09:00", "2026-03-02 09:10", customer_id="k1", agent_id="A1"),
        c("dup", "2026-03-04 09:00", "2026-03-04 09:10", customer_id="k2", agent_id="A1"),
        c("x", "2026-03-05 09:00", "2026-03-05 09:10", customer_id="k2", agent_id="A2"),
    )
    qa = canonical_memtable("qa", [
        {"evaluation_id": "e1", "agent_id": "A1", "evaluated_at": "2026-03-06 10:00", "score": 80.0},
        {"evaluation_id": "e2", "agent_id": "A2", "evaluated_at": "2026-03-06 10:00", "score": 70.0}])
    flags = repeat_flags(t, end_of_data=EOD)
    a = con.execute(P.qa_alignment(qa, t, flags, min_n=1, min_evaluations=1)).set_index("agent_id")
    assert (a.loc["A1", "fcr_n"], a.loc["A1", "fcr"], a.loc["A1", "repeat_n"]) == (2, 0.5, 2)
    # x is k2's repeat: A2 1 of 1 repeat, FCR 1 of 1
    assert (a.loc["A2", "fcr_n"], a.loc["A2", "repeat_share"]) == (1, 1.0)
    jc = J.journey_contacts(t, end_of_data=EOD)
    r = con.execute(P.nonresponse_check(jc, J.journeys(jc), surveys({"contact_id": "x", "csat": 5.0}),
                                        contact_flags=flags)).set_index("group")
    assert (r.loc["all", "contacts"], r.loc["all", "fcr_n"], r.loc["all", "fcr"]) == (3, 3, pytest.approx(2 / 3))


def test_contact_ids_unique_by_construction_join_by_id_alone_to_the_same_figures(con):
    t, qa = _qa_fixture()
    flags = repeat_flags(t, end_of_data=EOD)
    by_row = con.execute(P.qa_alignment(qa, t, flags, min_n=2, min_evaluations=1))
    by_id = con.execute(P.qa_alignment(qa, t, flags, min_n=2, min_evaluations=1, unique_ids=True))
    assert by_id.sort_values("agent_id").equals(by_row.sort_values("agent_id"))
    t, jc, j, s = _bias_fixture()
    flags = repeat_flags(t, end_of_data=EOD)
    by_row = con.execute(P.nonresponse_check(jc, j, s, contact_flags=flags)).sort_values("group")
    by_id = con.execute(P.nonresponse_check(jc, j, s, contact_flags=flags, unique_ids=True)).sort_values("group")
    assert by_id.reset_index(drop=True).equals(by_row.reset_index(drop=True))


def test_qa_rank_correlation(con):
    from scipy.stats import spearmanr

    t, qa = _qa_fixture()
    flags = repeat_flags(t, end_of_data=EOD)
    a = P.qa_alignment(qa, t, flags, min_n=2, min_evaluations=1)
    r = con.execute(P.qa_rank_correlation(a)).set_index("outcome")
    # QA (A1..A4) 70, 80, 95, 60 vs FCR 1, 0.5, 0, 1
    assert r.loc["fcr", "n"] == 4
    assert r.loc["fcr", "spearman"] == pytest.approx(spearmanr([70, 80, 95, 60], [1, 0.5, 0, 1]).statistic)
    assert r.loc["fcr", "spearman"] < 0 and bool(r.loc["fcr", "below_min_n"])


# --------------------------------------------------------------------------------------------
# follow-through: callbacks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ended", "expected_due"),
    [
        ("2026-03-06 17:00", "2026-03-09 17:00"),  # Friday -> Monday same time
        ("2026-03-05 10:00", "2026-03-06 10:00"),  # Thursday -> Friday
        ("2026-03-07 10:00", "2026-03-10 00:00"),  # Saturday -> Monday 00:00 -> Tuesday 00:00
        ("2026-03-08 23:00", "2026-03-10 00:00"),  # Sunday, same
    ],
)
def test_business_day_due_times(con, ended, expected_due):
    t = ibis.memtable({"at": [ts(ended)]})
    r = con.execute(t.select(d=P.business_days_after(t.at, 1)))
    assert r.d[0] == ts(expected_due)


def test_business_days_multiple_fractional_and_offset(con):
    t = ibis.memtable({"at": [ts("2026-03-05 10:00")]})  # Thursday
    due = lambda days, **kw: con.execute(t.select(d=P.business_days_after(t.at, days, **kw))).d[0]  # noqa: E731
    assert due(2) == ts("2026-03-09 10:00")  # Thu + 2 = Mon
    assert due(6) == ts("2026-03-13 10:00")  # Thu + 6 = Fri next week (Fri, Mon-Thu, Fri)
    assert due(1.5) == ts("2026-03-06 22:00")  # Thu + 1 = Fri 10:00, + 12 h = Fri 22:00
    # Fri 20:00 + 0.5 day = Sat 08:00 -> moves on to Mon 08:00
    t2 = ibis.memtable({"at": [ts("2026-03-06 20:00")]})
    assert con.execute(t2.select(d=P.business_days_after(t2.at, 0.5))).d[0] == ts("2026-03-09 08:00")
    # UTC+10: Friday 2026-03-06 20:00 UTC is Saturday 06:00 local -> Tuesday 00:00 local
    #  = Monday 14:00 UTC
    assert con.execute(t2.select(d=P.business_days_after(t2.at, 1, utc_offset_hours=10))).d[0] == ts("2026-03-09 14:00")
    with pytest.raises(CxkitError, match="business days"):
        P.business_days_after(t.at, 0)


def test_callbacks_kept_across_a_weekend(con):
    sched = {"callback_scheduled": True}
    t = contacts(
        # Friday 17:00 promise, kept Monday 16:00 (within 1 business day)
        c("a", "2026-03-06 16:50", "2026-03-06 17:00", customer_id="k1", **sched),
        c("a-cb", "2026-03-09 16:00", "2026-03-09 16:05", customer_id="k1", direction="callback"),
        # Friday 17:00 promise, outbound Monday 17:00:00 exactly: at the due time -> kept
        c("b", "2026-03-06 16:50", "2026-03-06 17:00", customer_id="k2", **sched),
        c("b-cb", "2026-03-09 17:00", "2026-03-09 17:05", customer_id="k2", direction="outbound"),
        # Friday 17:00 promise, called back Monday 17:01 -> late, not kept
        c("d", "2026-03-06 16:50", "2026-03-06 17:00", customer_id="k3", **sched),
        c("d-cb", "2026-03-09 17:01", "2026-03-09 17:05", customer_id="k3", direction="outbound"),
        # an inbound contact from the customer is not a callback -> not kept
        c("e", "2026-03-10 09:00", "2026-03-10 09:10", customer_id="k4", **sched),
        c("e-in", "2026-03-10 12:00", "2026-03-10 12:10", customer_id="k4"),
        # promise due Tue 31 Mar 09:10 > end of data 30 Mar 12:00, not yet called -> censored
        c("f", "2026-03-30 09:00", "2026-03-30 09:10", customer_id="k5", **sched),
        # unidentified: cannot be matched
        c("g", "2026-03-10 09:00", "2026-03-10 09:10", customer_id=None, **sched),
    )
    r = con.execute(P.callbacks_kept(t, end_of_data=ts("2026-03-30 12:00"))).iloc[0]
    # scheduled 6; unidentified 1; censored 1 -> judged 4 (a, b, d, e); kept 2 (a, b)
    assert (r.scheduled, r.unidentified, r.censored, r.judged, r.kept) == (6, 1, 1, 4, 2)
    assert r.rate == 0.5 and (r.ci_low, r.ci_high) == pytest.approx(wilson_bounds(2, 4))
    # hours to callback: a 71 h, b 72 h -> median 71.5
    assert r.median_hours_to_callback == 71.5
    # of the judged, e alone is followed by an inbound contact of its customer by its due time
    # (Wed 09:10): the customer calling again, or a callback the export gives as inbound
    assert "inbound_within" not in r.index  # counted when asked (readiness asks)
    again = con.execute(P.callbacks_kept(t, end_of_data=ts("2026-03-30 12:00"), inbound_after=True)).iloc[0]
    assert again.inbound_within == 1 and (again.judged, again.kept) == (4, 2)


# --------------------------------------------------------------------------------------------
# follow-through: cases
# --------------------------------------------------------------------------------------------


def test_case_follow_through(con):
    # 10 cases opened 1 March 00:00, closed after 1..10 days: median 5.5 d, P90 (linear) 9.1 d.
    rows = [{"case_id": f"c{i}", "opened_at": "2026-03-01 00:00", "closed_at": f"2026-03-{1 + i:02d} 00:00"}
            for i in range(1, 11)]
    rows[0]["reopened_count"] = 2  # closed and reopened before its final close
    # open at the end of data (31 Mar 00:00): o1 opened 16 Mar 23:59 (age 14 d 1 min > 14 d -> past),
    # o2 opened exactly 14 d before (17 Mar 00:00: not past), o3 reopened and open again.
    rows += [
        {"case_id": "o1", "opened_at": "2026-03-16 23:59"},
        {"case_id": "o2", "opened_at": "2026-03-17 00:00"},
        {"case_id": "o3", "opened_at": "2026-03-20 00:00", "reopened_count": 1},
        {"case_id": "late", "opened_at": "2026-04-02 00:00"},  # after the end of data: left out
        {"case_id": "x", "opened_at": "2026-03-25 00:00", "closed_at": "2026-04-03 00:00"},  # closed after the end
    ]
    r = con.execute(P.case_follow_through(canonical_memtable("cases", rows), end_of_data=EOD)).iloc[0]
    assert (r.cases, r.closed) == (14, 10)
    assert (r.ttc_median_h / 24, r.ttc_p90_h / 24) == pytest.approx((5.5, 9.1))
    # ever closed by the end of data: 10 closed + o3 (reopened, so closed before) = 11
    # (x closed only after the end of data); reopened c1, o3 -> 2/11
    assert (r.ever_closed, r.reopened, r.reopen_rate) == (11, 2, pytest.approx(2 / 11))
    # open at end: o1, o2, o3, x = 4; past 14 days: o1 only
    assert (r.open_at_end, r.open_past_age, r.open_past_age_share) == (4, 1, 0.25)
