"""cxkit.capacity: Erlang C against a published worked example, exact values and a seeded
discrete-event simulation of M/M/c; forecast accuracy and staffing on hand-computed intervals."""

from __future__ import annotations

import heapq
import math

import ibis
import numpy as np
import pandas as pd
import pytest

from cxkit import capacity as K
from cxkit.testing import canonical_memtable


# --------------------------------------------------------------------------------------------
# Erlang C
# --------------------------------------------------------------------------------------------

# Published worked example (Call Centre Helper, "Erlang C Formula - Made Simple With an Easy
# Worked Example"): 100 calls in 30 minutes, AHT 180 s -> A = 100 x 180 / 1800 = 10 Erlangs,
# target 80% in 20 s. The same figures are asserted by pyworkforce's test suite
# (queuing/tests/test_erlang.py): 14 raw positions, SL 0.888, P(wait) 0.174, occupancy 0.714;
# with a 70% occupancy cap 15 positions, SL 0.941, P(wait) 0.102.
PUBLISHED = [
    # agents, P(wait), service level within 20 s (3 decimals as published; None = not published)
    (11, 0.6821, None),
    (14, 0.174, 0.888),
    (15, 0.102, 0.941),
]


@pytest.mark.parametrize("agents,p_wait,sl", PUBLISHED)
def test_erlang_c_matches_the_published_worked_example(agents, p_wait, sl):
    digits = len(str(p_wait).split(".")[1])
    assert round(float(K.erlang_c(10.0, agents)), digits) == p_wait
    if sl is not None:
        assert round(float(K.erlang_service_level(10.0, agents, 180.0, 20.0)), 3) == sl
    # occupancy A / N as published for 14 agents: 10 / 14 = 0.714
    assert round(10.0 / 14, 3) == 0.714


def test_required_agents_for_the_worked_example():
    assert int(K.required_agents(10.0, 180.0, 20.0, 0.8)) == 14
    assert int(K.required_agents(10.0, 180.0, 20.0, 0.8, max_occupancy=0.7)) == 15


def test_erlang_c_exact_values_and_edges():
    # C(3, 2) = (8/6 x 3/1) / (1 + 2 + 2 + 8/6 x 3) = 4 / 9 (Mathematica's ErlangC[3, 2])
    assert float(K.erlang_c(2.0, 3)) == pytest.approx(4 / 9, abs=1e-15)
    # M/M/1: P(wait) = rho; SL(t) = 1 - rho e^{-(1 - rho) t / AHT}
    assert float(K.erlang_c(0.6, 1)) == pytest.approx(0.6, abs=1e-15)
    assert float(K.erlang_service_level(0.6, 1, 100.0, 50.0)) == pytest.approx(1 - 0.6 * math.exp(-0.4 * 0.5))
    # ASA = C x AHT / (N - A): 0.6 x 100 / 0.4 = 150 s
    assert float(K.erlang_asa(0.6, 1, 100.0)) == pytest.approx(150.0)
    # unstable (N <= A): everyone waits, nobody within threshold; no traffic: nobody waits
    assert float(K.erlang_c(5.0, 5)) == 1.0 and float(K.erlang_service_level(5.0, 4, 100.0, 20.0)) == 0.0
    assert float(K.erlang_c(0.0, 2)) == 0.0 and float(K.erlang_service_level(0.0, 0, 100.0, 20.0)) == 1.0
    # large centres: no factorial overflow, and the recursion stays accurate
    assert 0 < float(K.erlang_c(480.0, 500)) < 1
    with pytest.raises(ValueError, match="target must be a share"):
        K.required_agents(10.0, 180.0, 20.0, 80)


def _simulate_mmc(arrival_rate: float, aht_s: float, agents: int, customers: int, seed: int) -> np.ndarray:
    """Waiting times of a FIFO M/M/c queue, by discrete events (numpy Generator, seeded)."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / arrival_rate, customers))
    service = rng.exponential(aht_s, customers)
    free = [0.0] * agents  # when each agent is next free
    waits = np.empty(customers)
    for i in range(customers):
        t = arrivals[i]
        earliest = heapq.heappop(free)
        start = max(t, earliest)
        waits[i] = start - t
        heapq.heappush(free, start + service[i])
    return waits[customers // 20:]  # drop the warm-up from an empty centre


@pytest.mark.parametrize(
    "traffic,agents,aht_s,threshold_s",
    [(10.0, 12, 180.0, 20.0), (2.0, 3, 300.0, 30.0), (48.0, 55, 240.0, 15.0)],
)
def test_erlang_c_agrees_with_a_simulated_mmc_queue(traffic, agents, aht_s, threshold_s):
    # 200,000 simulated contacts: the standard error of a share is about 0.003 with the queue's
    # autocorrelation; the stated tolerance is 0.015 absolute on P(wait) and on SL
    waits = _simulate_mmc(traffic / aht_s, aht_s, agents, 200_000, seed=20260301)
    assert (waits > 0).mean() == pytest.approx(float(K.erlang_c(traffic, agents)), abs=0.015)
    assert (waits <= threshold_s).mean() == pytest.approx(
        float(K.erlang_service_level(traffic, agents, aht_s, threshold_s)), abs=0.015
    )
    # ASA within 10% (waits are heavy-tailed near saturation)
    assert waits.mean() == pytest.approx(float(K.erlang_asa(traffic, agents, aht_s)), rel=0.10)


# --------------------------------------------------------------------------------------------
# forecast accuracy
# --------------------------------------------------------------------------------------------


def _intervals():
    # Monday 2 March 2026 (UTC = London local time before the DST change)
    rows = [
        # queue, start, offered, forecast, scheduled, staffed
        ("V", "2026-03-02 09:00", 10, 12.0, 5, 4),
        ("V", "2026-03-02 09:30", 20, 15.0, 6, 6),
        ("V", "2026-03-02 10:00", 0, 1.0, 1, 1),
        ("C", "2026-03-02 09:00", 40, 40.0, 3, 3),
    ]
    return canonical_memtable(
        "intervals",
        [
            {"queue": q, "interval_start": s, "interval_minutes": 30, "offered": o, "forecast": f,
             "scheduled_agents": float(sc), "staffed_agents": float(st)}
            for q, s, o, f, sc, st in rows
        ],
    )


def test_forecast_accuracy_by_queue_and_overall():
    r = K.forecast_accuracy(_intervals()).execute().set_index("queue")
    # V: APE 2/10 = 0.2 and 5/20 = 0.25 (the empty interval has none): MAPE 0.225;
    # |error| 2 + 5 + 1 = 8 over 30 offered: WAPE 0.2667; bias (28 - 30) / 30 = -0.0667
    assert r.loc["V", "mape"] == pytest.approx(0.225)
    assert r.loc["V", "wape"] == pytest.approx(8 / 30)
    assert r.loc["V", "bias"] == pytest.approx(-2 / 30)
    assert (int(r.loc["V", "intervals"]), int(r.loc["V", "intervals_with_volume"])) == (3, 2)
    assert r.loc["C", "mape"] == 0.0
    overall = K.forecast_accuracy(_intervals(), by=None).execute().iloc[0]
    # APEs 0.2, 0.25, 0 -> 0.15; |error| 8 over 70
    assert overall.mape == pytest.approx(0.15) and overall.wape == pytest.approx(8 / 70)


def test_forecast_error_by_daypart_in_local_time():
    d = K.forecast_error_by_daypart(_intervals(), "Europe/London")
    assert d[["weekday", "time"]].values.tolist() == [["Mon", "09:00"], ["Mon", "09:30"], ["Mon", "10:00"]]
    nine = d.iloc[0]
    # 09:00 pools V (10 vs 12) and C (40 vs 40): APE (0.2 + 0) / 2, |error| 2 over 50
    assert nine.mape == pytest.approx(0.1) and nine.wape == pytest.approx(2 / 50) and nine.offered == 50
    # in New York the same instants are 04:00-05:00 local
    assert K.forecast_error_by_daypart(_intervals(), "America/New_York")["time"].tolist() == ["04:00", "04:30", "05:00"]
    worst = K.worst_dayparts(d, 1, min_offered=15)
    assert worst["time"].tolist() == ["09:30"]  # 5 / 20 = 0.25 beats 2 / 50


# --------------------------------------------------------------------------------------------
# staffing
# --------------------------------------------------------------------------------------------


def _contacts_for_staffing():
    # queue V (voice): 10 handled contacts of 180 s entering at 09:00-09:29 with waits 0..45 s;
    # AHT 180 s. Queue C is chat (not modelled with the default channels).
    rows = []
    for i in range(10):
        rows.append({"contact_id": f"v{i}", "channel": "voice", "direction": "inbound", "outcome": "handled",
                     "queue": "V", "queued": True, "wait_s": float(5 * i), "talk_s": 180.0,
                     "arrived_at": f"2026-03-02 09:{i:02d}", "ended_at": f"2026-03-02 09:{i + 5:02d}",
                     "answered_at": f"2026-03-02 09:{i:02d}"})
    rows.append({"contact_id": "c0", "channel": "chat", "direction": "inbound", "outcome": "handled",
                 "queue": "C", "queued": True, "talk_s": 600.0, "arrived_at": "2026-03-02 09:00",
                 "ended_at": "2026-03-02 09:10", "answered_at": "2026-03-02 09:00"})
    return canonical_memtable("contacts", rows)


def test_interval_staffing_against_erlang_c():
    st = K.interval_staffing(_intervals(), _contacts_for_staffing(), service_level_target=0.8)
    assert set(st["queue"]) == {"V"}  # chat is not an Erlang C channel by default
    first = st.iloc[0]
    # 10 offered x 180 s / 1800 s = 1 Erlang; SL(20 s) with 2 agents = 1 - C(2,1) e^{-1 x 20/180}
    # = 1 - (1/3)(0.8948) = 0.702 < 0.8; 3 agents: 1 - 0.0909 x e^{-2 x 20/180} = 0.927: required 3
    assert first.traffic_erlangs == pytest.approx(1.0)
    assert int(first.required_agents) == 3
    assert (first.gap_staffed, first.gap_scheduled, first.status) == (1.0, 2.0, "over-staffed")
    assert first.occupancy_pressure == pytest.approx(0.25)
    # measured: waits 0, 5, ..., 45 s; within 20 s: 0, 5, 10, 15, 20 -> 5 of 10
    assert (int(first.measured_sl_numerator), int(first.measured_sl_denominator)) == (5, 10)
    # a wait the export does not give is not 0 s: v0 (0 s) and v9 (45 s) unknown leave the
    # measured service level, 4 of 8 (read as 0 s: 6 of 10)
    unknown = _contacts_for_staffing().mutate(
        wait_s=ibis.ifelse(ibis._.contact_id.isin(["v0", "v9"]), ibis.null("float64"), ibis._.wait_s))
    gaps = K.interval_staffing(_intervals(), unknown, service_level_target=0.8).iloc[0]
    assert (int(gaps.measured_sl_numerator), int(gaps.measured_sl_denominator)) == (4, 8)
    # 09:30: 20 offered = 2 Erlangs; 6 agents staffed; 10:00: no traffic, no agents needed
    assert int(st.iloc[1].required_agents) == 4 and int(st.iloc[2].required_agents) == 0
    summary = K.staffing_summary(st).set_index("queue")
    assert int(summary.loc["V", "over_staffed"]) == 3
    # spare: (4-3) + (6-4) + (1-0) agents x 0.5 h = 2 agent hours, of which 10:00's 0.5 h in an
    # interval no contact was offered in (Erlang C requires no agent there)
    assert summary.loc["V", "agent_hours_spare"] == pytest.approx(2.0)
    assert summary.loc["V", "agent_hours_spare_no_contacts"] == pytest.approx(0.5)
    bands = K.service_level_by_gap(st).set_index("gap_band")
    assert int(bands.loc["+1", "intervals"]) == 2 and int(bands.loc["+2", "intervals"]) == 1
    assert bands.loc["+1", "measured_sl"] == pytest.approx(0.5)


def test_interval_staffing_with_chat_and_no_modelled_queue():
    st = K.interval_staffing(_intervals(), _contacts_for_staffing(), channels=("voice", "chat"))
    assert set(st["queue"]) == {"V", "C"}
    empty = K.interval_staffing(_intervals(), _contacts_for_staffing(), channels=("email",))
    assert empty.empty and "required_agents" in empty.columns


def test_an_interval_of_another_length_is_kept_counted_and_not_modelled():
    # found by planting text in every column: one interval length of 3,125,550,199 minutes (a
    # phone number read as a number) stopped the whole report; now the export's most common
    # length (30 min: 3 rows of V) is modelled and the stray row is kept apart and counted
    rows = [{"queue": "V", "interval_start": s, "interval_minutes": m, "offered": 10, "forecast": 10.0,
             "scheduled_agents": 4.0, "staffed_agents": 4.0}
            for s, m in (("2026-03-02 09:00", 30), ("2026-03-02 09:30", 30), ("2026-03-02 10:00", 30),
                         ("2026-03-02 10:30", 3125550199))]
    st = K.interval_staffing(canonical_memtable("intervals", rows), _contacts_for_staffing())
    assert st["status"].tolist().count(K.OTHER_LENGTH) == 1
    stray = st[st["status"] == K.OTHER_LENGTH].iloc[0]
    assert pd.isna(stray.required_agents) and int(stray.interval_minutes) == 3125550199
    modelled = st[st["status"] != K.OTHER_LENGTH]
    assert len(modelled) == 3 and (modelled["interval_minutes"] == 30).all()
    # 09:00: the 10 voice contacts of the fixture bucket into the 30-minute grid as before
    assert (int(modelled.iloc[0].measured_sl_numerator), int(modelled.iloc[0].measured_sl_denominator)) == (5, 10)
    summary = K.staffing_summary(st).set_index("queue")
    assert int(summary.loc["V", "intervals"]) == 3 and int(summary.loc["V", "other_length_intervals"]) == 1
    assert int(summary.loc["all", "other_length_intervals"]) == 1
    assert int(K.service_level_by_gap(st)["intervals"].sum()) == 3

    # a whole queue in 60-minute intervals beside V's 30: it is a row of its own, named, with no
    # interval modelled (a German WFM export's queue Rechnung was only "620 intervals left out")
    hourly = rows[:3] + [{**rows[0], "queue": "R", "interval_start": f"2026-03-02 {h}:00", "interval_minutes": 60}
                         for h in ("09", "10")]
    contacts = _contacts_for_staffing().union(canonical_memtable("contacts", [
        {"contact_id": f"r{i}", "channel": "voice", "direction": "inbound", "outcome": "handled", "queue": "R",
         "queued": True, "wait_s": 10.0, "talk_s": 240.0, "arrived_at": f"2026-03-02 09:{i:02d}",
         "ended_at": f"2026-03-02 09:{i + 5:02d}", "answered_at": f"2026-03-02 09:{i:02d}"} for i in range(4)]))
    summary = K.staffing_summary(K.interval_staffing(canonical_memtable("intervals", hourly),
                                                     contacts)).set_index("queue")
    assert int(summary.loc["R", "intervals"]) == 0 and int(summary.loc["R", "other_length_intervals"]) == 2
    # R's 4 contacts entered in its 09:00 hour: that row holds them, no interval is missing
    assert (int(summary.loc["R", "missing_intervals"]), int(summary.loc["R", "contacts_offered"])) == (0, 4)
    # readiness counts as the comparison does: R's contacts are offered and inside its hours
    cover = K.wfm_coverage(canonical_memtable("intervals", hourly), contacts)
    assert {k: v for k, v in cover.items() if k != "alignment"} == {
        "contacts_offered": 14, "contacts_in_missing_intervals": 0, "missing_intervals": 0}
    assert int(summary.loc["all", "intervals"]) == 3


def test_contacts_in_intervals_the_wfm_export_lacks_are_counted_not_read_as_no_demand():
    # the WFM export has V at 09:00, 09:30 and 10:00 only: 2 offered contacts enter V at 10:40
    # and 3 at 11:10, in intervals it does not have. Before, they were dropped by the join and
    # the summary read as if the export covered every contact; an outbound contact and one that
    # never queued are not demand and are not counted
    late = [{"contact_id": f"m{i}", "channel": "voice", "direction": "inbound", "outcome": "handled", "queue": "V",
             "queued": True, "wait_s": 10.0, "talk_s": 180.0, "arrived_at": at, "ended_at": at,
             "answered_at": at} for i, at in enumerate(["2026-03-02 10:40", "2026-03-02 10:45", "2026-03-02 11:10",
                                                        "2026-03-02 11:15", "2026-03-02 11:20"])]
    late += [{**late[0], "contact_id": "out", "direction": "outbound", "arrived_at": "2026-03-02 12:10"},
             {**late[0], "contact_id": "ivr", "queued": False, "arrived_at": "2026-03-02 12:20"}]
    contacts = _contacts_for_staffing().union(canonical_memtable("contacts", late))
    st = K.interval_staffing(_intervals(), contacts)
    absent = st[st["status"] == K.NO_INTERVAL]
    assert [t.strftime("%H:%M") for t in absent["interval_start"]] == ["10:30", "11:00"]
    assert absent["contacts_offered"].tolist() == [2, 3] and (absent["interval_minutes"] == 30).all()
    assert absent["required_agents"].isna().all() and absent["offered"].isna().all()
    # the contacts' own figures stay: all 5 answered within 20 s
    assert absent["measured_sl_denominator"].tolist() == [2, 3] and (absent["measured_sl"] == 1.0).all()
    # the intervals the export has keep their figures and gain their contacts
    kept = st[st["status"] != K.NO_INTERVAL]
    assert kept["contacts_offered"].tolist() == [10, 0, 0] and (kept["status"] == "over-staffed").all()
    summary = K.staffing_summary(st).set_index("queue")
    for q in ("V", "all"):
        assert int(summary.loc[q, "intervals"]) == 3 and int(summary.loc[q, "missing_intervals"]) == 2
        assert int(summary.loc[q, "contacts_in_missing_intervals"]) == 5 and int(summary.loc[q, "contacts_offered"]) == 15
    assert int(K.service_level_by_gap(st)["intervals"].sum()) == 3  # missing intervals are not modelled

    # a queue the WFM export does not name at all is a row of its own, every contact missing
    other_queue = canonical_memtable("contacts", [{**late[0], "contact_id": "w", "queue": "W"}])
    summary = K.staffing_summary(K.interval_staffing(_intervals(), contacts.union(other_queue))).set_index("queue")
    assert (int(summary.loc["W", "intervals"]), int(summary.loc["W", "missing_intervals"])) == (0, 1)
    # no interval of W was compared: its hours short and spare are not measured, not 0
    assert summary.loc["W", ["agent_hours_short", "agent_hours_spare"]].isna().all()
    assert int(summary.loc["all", "contacts_in_missing_intervals"]) == 6


def test_an_implausible_offered_volume_is_not_modelled_and_does_not_hang():
    # found by planting a phone number (3125550199) as an offered volume: the search for the
    # requirement ran toward 3 billion agents. The interval is kept, counted, not modelled.
    rows = [{"queue": "V", "interval_start": s, "interval_minutes": 30, "offered": o, "forecast": 10.0,
             "scheduled_agents": 4.0, "staffed_agents": 4.0}
            for s, o in (("2026-03-02 09:00", 10), ("2026-03-02 09:30", 3125550199), ("2026-03-02 10:00", 10))]
    rows[2]["staffed_agents"] = 4155550123.0  # and as a staffed head count: the Erlang B recursion ran to it
    st = K.interval_staffing(canonical_memtable("intervals", rows), _contacts_for_staffing())
    assert st["status"].tolist() == ["over-staffed", K.IMPLAUSIBLE_VOLUME, K.IMPLAUSIBLE_VOLUME]
    assert int(st.iloc[0].required_agents) == 3 and pd.isna(st.iloc[1].required_agents)
    summary = K.staffing_summary(st).set_index("queue")
    assert int(summary.loc["V", "intervals"]) == 1 and int(summary.loc["all", "implausible_intervals"]) == 2


def test_an_interval_of_another_length_covers_the_grid_intervals_inside_it_only():
    # R has a 60-minute row at 09:00, a row whose start could not be read and a row without a
    # length: a missing 09:30 interval lies inside the first, 10:30 inside none; another queue's
    # interval is never covered by R's rows
    other = pd.DataFrame({"queue": ["R", "R", "R"], "interval_minutes": [60, 60, None],
                          "interval_start": pd.to_datetime(["2026-03-02 09:00", None, "2026-03-02 11:00"], utc=True)})
    at = [pd.Timestamp(f"2026-03-02 {t}", tz="UTC").timestamp() for t in ("09:30", "10:30", "11:00", "09:30")]
    missing = pd.DataFrame({"_q": ["R", "R", "R", "S"], "_b": at})
    assert K._covered_by(missing, other).tolist() == [0, -1, -1, -1]


@pytest.mark.parametrize("minutes", [0, -30])
def test_an_interval_length_of_zero_or_less_is_not_a_grid(minutes):
    # found while adding the WFM coverage check: one row of 0 minutes divided by zero ("Type
    # DOUBLE with value inf can't be cast") and a negative length ran Erlang C on a negative
    # traffic; both stopped the run, and would have stopped validate. Such a row is of another
    # length: kept, counted, not modelled
    rows = [{"queue": "V", "interval_start": s, "interval_minutes": m, "offered": 10, "forecast": 10.0,
             "scheduled_agents": 4.0, "staffed_agents": 4.0}
            for s, m in (("2026-03-02 09:00", 30), ("2026-03-02 09:30", 30), ("2026-03-02 10:00", minutes))]
    st = K.interval_staffing(canonical_memtable("intervals", rows), _contacts_for_staffing())
    assert st["status"].tolist().count(K.OTHER_LENGTH) == 1 and (st["status"] == "over-staffed").sum() == 2
    assert K.wfm_coverage(canonical_memtable("intervals", rows), _contacts_for_staffing())["contacts_offered"] == 10
    alone = canonical_memtable("intervals", rows[2:])
    assert K.interval_staffing(alone, _contacts_for_staffing()).empty
    assert K.wfm_coverage(alone, _contacts_for_staffing()) == {
        "contacts_offered": 0, "contacts_in_missing_intervals": 0, "missing_intervals": 0,
        "alignment": {"as_exported": None, "best": None, "best_shift_s": 0, "step_s": 0, "wfm_offered": None,
                      "contacts_offered": None}}


def _forecast_run(tmp_path, contact_queue: str):
    """A tiny engagement: three calls offered to ``contact_queue`` on Monday 2 March 09:00-09:29
    (UTC), beside a WFM export of two queues, V (offered 3, forecast 3) and C, a queue of another
    channel the contacts never name (offered 10, forecast 30); its forecast results, computed."""
    import yaml

    import cxkit
    from cxkit.results import ResultSet, compute_results

    contacts = ["id,start,end,queue"] + [f"c{i},2026-03-02 09:0{i}:00,2026-03-02 09:1{i}:00,{contact_queue}"
                                          for i in range(3)]
    (tmp_path / "contacts.csv").write_text("\n".join(contacts) + "\n")
    (tmp_path / "wfm.csv").write_text("queue,start,offered,forecast\nV,2026-03-02 09:00:00,3,3\n"
                                      "C,2026-03-02 09:00:00,10,30\n")
    fmt = "%Y-%m-%d %H:%M:%S"
    spec = {
        "name": "t", "client": "T", "period": {"start": "2026-03-01", "end": "2026-03-31"}, "timezone": "UTC",
        "sources": {
            "contacts": {"path": "contacts.csv", "columns": {
                "contact_id": "id", "channel": {"constant": "voice"}, "direction": {"constant": "inbound"},
                "outcome": {"constant": "handled"}, "queued": {"constant": True}, "queue": "queue",
                "arrived_at": {"column": "start", "format": fmt}, "ended_at": {"column": "end", "format": fmt}}},
            "intervals": {"path": "wfm.csv", "columns": {
                "queue": "queue", "interval_start": {"column": "start", "format": fmt},
                "interval_minutes": {"constant": 30}, "offered": "offered", "forecast": "forecast"}},
        },
    }
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(spec))
    session = cxkit.open_engagement(tmp_path / "engagement.yaml")
    compute_results(session, tmp_path / "run", names=["forecast_accuracy", "forecast_dayparts"])
    return ResultSet.load(tmp_path / "run")


def test_forecast_accuracy_reads_the_wfm_queues_contacts_entered(tmp_path):
    # a chat-only contacts export beside the centre's whole WFM export stated "Forecasts off on Mon"
    # from voice queues no contact named. Here the calls entered V only: C's 10 offered and 30
    # forecast (+200%) are not theirs. V alone: 3 forecast for 3 offered, bias 0
    r = _forecast_run(tmp_path, "V")
    acc = r.frame("forecast_accuracy").set_index("queue")
    assert acc.index.tolist() == ["V", "all"]
    assert (float(acc.loc["all", "offered"]), float(acc.loc["all", "bias"])) == (3.0, 0.0)
    assert r.frame("forecast_dayparts")[["offered", "forecast"]].sum().tolist() == [3.0, 3.0]
    assert r.coverage["intervals"]["queues"] == {"named": 2, "entered": 1}
    assert r.judge.measured("forecast_accuracy")
    # and they say so: "all queues" was said over V alone (the paragraph, the heatmap, the titles)
    from cxkit import cost_narrative
    from cxkit.findings import RULES
    from cxkit.results import RESULTS

    assert cost_narrative.forecast_queues(r) == ("the one queue contacts entered (1 more queue of the WFM export, "
                                                 "which no contact entered, is left out)")
    for text in (RESULTS["forecast_dayparts"].title, RULES["forecast_weekday_bias"].condition,
                 K.forecast_error_by_daypart.__doc__):
        assert "all queues" not in text, text


def test_forecast_accuracy_of_no_queue_the_contacts_entered_is_not_measured(tmp_path):
    # the calls entered X, a queue the WFM export does not plan: no forecast is of the contacts'
    # queues, and the figures say why instead of reading the export's other queues
    r = _forecast_run(tmp_path, "X")
    why = r.judge.not_measured("forecast_accuracy")
    assert why == ("not measured: no offered contact entered any of the WFM export's 2 queues (intervals.queue "
                   "against contacts.queue): check that sources.intervals.columns.queue gives the contacts' queue "
                   "names")
    assert r.frame("forecast_accuracy")["queue"].tolist() == ["all"]
    assert r.frame("forecast_dayparts").empty
