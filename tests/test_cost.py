"""cxkit.cost on a hand-computed fixture: prices, repeat cost, failure demand, cost per issue.

The fixture (all times UTC, engagement timezone UTC):

====  ========  =========  ========  ================  =================  ======  =====
id    customer  channel    dir       arrived - ended   outcome            reason  work
====  ========  =========  ========  ================  =================  ======  =====
a     k1        voice      inbound   03-02 09:00-09:10 handled            BILL    586 s
b     k1        chat       inbound   03-03 09:00-09:10 handled (repeat)   BILL    300 s
c     k1        social     inbound   03-04 09:00-09:01 abandoned (repeat) WISMO   -
d     k2        voice      inbound   03-05 10:00-10:10 handled            WISMO   400 s
e     k2        voice      inbound   03-20 10:00-10:10 handled (15 d on)  WISMO   200 s
f     (none)    voice      inbound   03-06 11:00-11:05 handled            WISMO   100 s
g     k2        voice      outbound  03-07 12:00-12:10 handled            -       600 s
====  ========  =========  ========  ================  =================  ======  =====

Prices: chat given 4.20; voice derived from AHT = (586 + 400 + 200 + 100 + 600) / 5 = 377.2 s
(outbound calls are agent work too) -> 377.2 / 3600 x 36 / 0.8 = 4.715; social has no handled
contact and no price: not priced. Self-service never appears.
"""

from __future__ import annotations

from datetime import date

import ibis
import pytest

from cxkit import cost as C
from cxkit.config import Cost
from cxkit.testing import canonical_memtable, ts

COST = Cost(cost_per_contact={"chat": 4.2}, loaded_hourly_cost=36.0, occupancy=0.8)
EOD = ts("2026-03-31 00:00")


def _contacts():
    def row(cid, cust, ch, arr, end, outcome="handled", reason=None, talk=None, direction="inbound", **kw):
        return {
            "contact_id": cid, "customer_id": cust, "channel": ch, "direction": direction,
            "arrived_at": arr, "ended_at": end, "outcome": outcome, "contact_reason": reason,
            "talk_s": talk, "queue": kw.get("queue"), "team": kw.get("team"),
        }

    return canonical_memtable(
        "contacts",
        [
            {**row("a", "k1", "voice", "2026-03-02 09:00", "2026-03-02 09:10", reason="BILL", talk=500.0,
                   queue="Q1", team="T1"), "hold_s": 30.0, "acw_s": 56.0},
            row("b", "k1", "chat", "2026-03-03 09:00", "2026-03-03 09:10", reason="BILL", talk=300.0, queue="Q2", team="T2"),
            row("c", "k1", "social", "2026-03-04 09:00", "2026-03-04 09:01", outcome="abandoned", reason="WISMO", queue="Q3"),
            row("d", "k2", "voice", "2026-03-05 10:00", "2026-03-05 10:10", reason="WISMO", talk=400.0, queue="Q1", team="T1"),
            row("e", "k2", "voice", "2026-03-20 10:00", "2026-03-20 10:10", reason="WISMO", talk=200.0, queue="Q1", team="T1"),
            row("f", None, "voice", "2026-03-06 11:00", "2026-03-06 11:05", reason="WISMO", talk=100.0, queue="Q1", team="T1"),
            row("g", "k2", "voice", "2026-03-07 12:00", "2026-03-07 12:10", talk=600.0, direction="outbound", team="T1"),
        ],
    )


@pytest.fixture(scope="module")
def t():
    return _contacts()


@pytest.fixture(scope="module")
def prices(t):
    return C.channel_prices(t, COST)


@pytest.fixture(scope="module")
def period(t):
    return C.data_period(t, "UTC")


def _by(frame, key):
    return frame.set_index(key)


def test_data_period_counts_local_days_with_empty_days(t, period):
    # first arrival 2 March, last 20 March: 19 days, the days without contacts included
    assert (period.first_date, period.last_date, period.days) == (date(2026, 3, 2), date(2026, 3, 20), 19)
    assert period.annualisation_factor == pytest.approx(365 / 19)
    assert "extrapolation" in period.note
    # the same instants in Tokyo (UTC+9): 2 March 18:00 to 20 March 19:00, still 19 days
    assert C.data_period(t, "Asia/Tokyo").days == 19


def test_prices_given_derived_and_not_priced(prices):
    p = _by(prices.execute(), "channel")
    assert set(p.index) == {"voice", "chat", "social"}
    assert (p.loc["chat", "basis"], p.loc["chat", "source"], p.loc["chat", "cost_per_contact"]) == ("given", "given by the engagement (not measured)", 4.2)
    # AHT 377.2 s = 6:17; 377.2 / 3600 x 36 / 0.8 = 4.715
    assert p.loc["voice", "aht_s"] == pytest.approx(377.2)
    assert p.loc["voice", "cost_per_contact"] == pytest.approx(4.715)
    assert p.loc["voice", "source"] == "derived from AHT 6:17 at 36.00/h and 80% occupancy"
    # social: no price, no handled contact -> not priced, and never a price of 0
    assert p.loc["social", "basis"] == "not priced"
    assert p.loc["social", "cost_per_contact"] != p.loc["social", "cost_per_contact"]  # NaN
    assert "no price given" in p.loc["social", "source"]


def test_prices_with_overhead_and_without_hourly_cost(t):
    p = _by(C.channel_prices(t, Cost(loaded_hourly_cost=36.0, occupancy=0.8, overhead_per_contact=0.5)).execute(), "channel")
    # 4.715 + 0.50 overhead
    assert p.loc["voice", "cost_per_contact"] == pytest.approx(5.215)
    assert p.loc["voice", "source"].endswith("plus 0.50 overhead per contact")
    p = _by(C.channel_prices(t, Cost(cost_per_contact={"voice": 6.5})).execute(), "channel")
    assert p.loc["voice", "basis"] == "given" and p.loc["chat", "basis"] == "not priced"
    assert "no cost.loaded_hourly_cost" in p.loc["chat", "source"]


def test_repeat_counts_keep_every_segment(t):
    r = C.repeat_counts(t).execute()
    # inbound 6 (g is outbound), identified inbound 5 (f has no customer), repeats b and c
    assert (int(r.inbound.sum()), int(r.identified_inbound.sum()), int(r.repeats.sum())) == (6, 5, 2)
    reps = r[r.repeats > 0].sort_values("channel")
    assert reps[["channel", "contact_reason", "queue", "team"]].values.tolist() == [
        ["chat", "BILL", "Q2", "T2"],
        ["social", "WISMO", "Q3", "(not recorded)"],
    ]


def test_repeat_counts_from_the_runs_paired_contacts_are_the_same(t):
    # a run has the paired contacts cached already (without the customer id): counting from
    # them must give the same table
    from cxkit.resolution import recontact_frame

    keys = ["channel", "contact_reason", "reason_family", "queue", "team"]
    plain = C.repeat_counts(t).execute().sort_values(keys).reset_index(drop=True)
    paired = C.repeat_counts(recontact_frame(t).drop("customer_id")).execute()
    paired = paired.sort_values(keys).reset_index(drop=True)[list(plain.columns)]
    assert paired.astype(str).values.tolist() == plain.astype(str).values.tolist()
    assert int(paired.repeats.sum()) == 2  # b and c


def test_price_basis_says_which_prices_a_cost_rests_on(t, prices, period):
    by_reason = _by(C.repeat_cost(C.repeat_counts(t), prices, period, by="contact_reason").execute(), "contact_reason")
    # BILL's repeat b is chat (given); WISMO's repeat c is social (not priced)
    assert by_reason.loc["BILL", "price_basis"] == "given"
    assert by_reason.loc["WISMO", "price_basis"] == "not priced"
    # failure demand of WISMO: c (social, not priced), d, e, f (voice, derived)
    fd = C.failure_demand(C.repeat_counts(t), prices, period, ["WISMO"], by=None).execute().iloc[0]
    assert fd.price_basis == "derived"
    # every inbound BILL contact: a (voice, derived) and b (chat, given)
    fd = C.failure_demand(C.repeat_counts(t), prices, period, ["BILL"], by=None).execute().iloc[0]
    assert fd.price_basis == "given and derived"


def test_repeat_cost_by_channel_and_total(t, prices, period):
    counts = C.repeat_counts(t)
    ch = _by(C.repeat_cost(counts, prices, period).execute(), "channel")
    # chat: 1 repeat x 4.20; social: 1 repeat, not priced (null cost, not 0); voice: no repeat, 0
    assert (int(ch.loc["chat", "repeats"]), ch.loc["chat", "repeat_cost"]) == (1, 4.2)
    assert ch.loc["chat", "repeat_cost_annualised"] == pytest.approx(4.2 * 365 / 19)  # 80.684...
    assert int(ch.loc["social", "not_priced_repeats"]) == 1
    assert ch.loc["social", "repeat_cost"] != ch.loc["social", "repeat_cost"]  # NaN
    assert ch.loc["voice", "repeat_cost"] == 0.0 and ch.loc["voice", "basis"] == "derived"
    assert ch.loc["chat", "share_of_repeat_cost"] == 1.0
    total = C.repeat_cost(counts, prices, period, by=None).execute().iloc[0]
    assert (int(total.repeats), int(total.priced_repeats), int(total.not_priced_repeats)) == (2, 1, 1)
    assert total.repeat_cost == 4.2 and total.not_priced_channels == "social"
    assert total.period_days == 19 and "x 365 / 19 days" in total.annualised_note


def test_repeat_cost_by_reason_queue_team(t, prices, period):
    counts = C.repeat_counts(t)
    reason = _by(C.repeat_cost(counts, prices, period, by="contact_reason").execute(), "contact_reason")
    assert reason.loc["BILL", "repeat_cost"] == 4.2
    # WISMO's only repeat is unpriced social: cost unknown, counted as not priced
    assert int(reason.loc["WISMO", "not_priced_repeats"]) == 1 and reason.loc["WISMO", "repeat_cost"] != reason.loc["WISMO", "repeat_cost"]
    team = _by(C.repeat_cost(counts, prices, period, by="team").execute(), "team")
    assert team.loc["T2", "repeat_cost"] == 4.2 and int(team.loc["T1", "repeats"]) == 0
    queue = _by(C.repeat_cost(counts, prices, period, by="queue").execute(), "queue")
    assert int(queue.loc["Q3", "repeats"]) == 1


def test_failure_demand_and_its_overlap_with_repeat_cost(t, prices, period):
    counts = C.repeat_counts(t)
    fd = C.failure_demand(counts, prices, period, ["WISMO"], by=None).execute().iloc[0]
    # WISMO inbound: c (social, unpriced), d, e, f (voice 4.715 each, f unidentified but demand all the same)
    assert (int(fd.inbound), int(fd.priced_inbound), int(fd.not_priced_inbound)) == (4, 3, 1)
    assert fd.failure_demand_cost == pytest.approx(3 * 4.715)  # 14.145
    # the one WISMO repeat (c) is unpriced: overlap 1 contact, no priced overlap
    assert int(fd.repeat_overlap) == 1
    assert fd.cost_not_in_repeat_cost == pytest.approx(14.145)
    both = C.failure_demand(counts, prices, period, ["WISMO", "BILL"], by=None).execute().iloc[0]
    # BILL adds a (voice 4.715) and b (chat 4.20, a repeat): overlap cost 4.20
    assert both.failure_demand_cost == pytest.approx(14.145 + 4.715 + 4.2)
    assert both.repeat_overlap_cost == pytest.approx(4.2)
    assert C.failure_demand(counts, prices, period, [], by=None).execute().inbound.iloc[0] == 0


def test_avoidable_cost_counts_the_overlap_once(t, prices, period):
    counts = C.repeat_counts(t)
    r = C.avoidable_cost(counts, prices, period, ["BILL"]).execute().iloc[0]
    # repeats 4.20 + failure demand (a 4.715 + b 4.20) - overlap (b 4.20) = 8.915
    assert r.avoidable_cost == pytest.approx(8.915)
    assert r.avoidable_cost_annualised == pytest.approx(8.915 * 365 / 19)


def test_cost_per_resolved_issue(t, prices):
    r = _by(C.cost_per_resolved_issue(t, prices, end_of_data=EOD, min_n=1).execute(), "first_reason")
    # k2: d and e are two WISMO journeys (15 days apart), both judged: 2 x 4.715 / 2
    assert int(r.loc["WISMO", "resolved_journeys"]) == 2
    assert r.loc["WISMO", "cost_per_resolved_issue"] == pytest.approx(4.715)
    assert r.loc["WISMO", "contacts_per_issue"] == 1.0
    # k1: a -> b -> c is one BILL journey with an unpriced social contact: not priced whole
    assert (int(r.loc["BILL", "judged_journeys"]), int(r.loc["BILL", "not_priced_journeys"])) == (1, 1)
    assert r.loc["BILL", "cost_per_resolved_issue"] != r.loc["BILL", "cost_per_resolved_issue"]
    # with social priced at 1.00 the journey costs 4.715 + 4.20 + 1.00 for one issue of three contacts
    priced = C.channel_prices(t, Cost(cost_per_contact={"chat": 4.2, "social": 1.0}, loaded_hourly_cost=36.0, occupancy=0.8))
    r = _by(C.cost_per_resolved_issue(t, priced, end_of_data=EOD, min_n=1).execute(), "first_reason")
    assert r.loc["BILL", "cost_per_resolved_issue"] == pytest.approx(9.915)
    assert r.loc["BILL", "cost_per_contact"] == pytest.approx(9.915 / 3)
    assert bool(r.loc["BILL", "suppressed"]) is False


def test_censored_journeys_leave_cost_per_issue(t, prices):
    # end of data 22 March: e's window (20 March 10:10 + 7 d) is still open, so it is not judged
    r = _by(C.cost_per_resolved_issue(t, prices, end_of_data=ts("2026-03-22 00:00"), min_n=5).execute(), "first_reason")
    assert int(r.loc["WISMO", "judged_journeys"]) == 1
    assert bool(r.loc["WISMO", "suppressed"]) is True


def test_reason_problems_name_the_key_and_a_guess(t):
    known = C.known_reasons(t)
    assert known == {"BILL", "WISMO"}
    cost = Cost.model_validate(
        {"failure_demand_reasons": ["WISMO", "BILLL"], "scenarios": [{"name": "s", "fcr_change": 0.05, "reasons": ["WIZMO"]}]}
    )
    problems = C.reason_problems(cost, known)
    assert problems == [
        "cost.failure_demand_reasons: 'BILLL' is not a contact_reason or reason_family in the data; did you mean 'BILL'?",
        "cost.scenarios.0.reasons ('s'): 'WIZMO' is not a contact_reason or reason_family in the data; did you mean 'WISMO'?",
    ]


def test_nothing_executes_until_asked(t, prices, period):
    # the cost tables are lazy ibis expressions (the results layer decides when to run them)
    counts = C.repeat_counts(t)
    for table in (
        counts,
        C.repeat_cost(counts, prices, period),
        C.failure_demand(counts, prices, period, ["WISMO"]),
        C.cost_per_resolved_issue(t, prices, end_of_data=EOD),
    ):
        assert isinstance(table, ibis.expr.types.Table)
