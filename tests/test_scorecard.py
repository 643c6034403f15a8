"""Balanced scorecard: statuses against benchmark ranges, overrides, and value collection."""

from __future__ import annotations

import ibis
import pytest

from cxkit import journey as J
from cxkit import operations as O
from cxkit import perception as P
from cxkit import resolution as R
from cxkit import scorecard as S
from cxkit.errors import CxkitError
from cxkit.testing import canonical_memtable, ts


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


@pytest.mark.parametrize(
    ("metric", "value", "expected"),
    [
        ("fcr", 0.69, ("below", "worse")),
        ("fcr", 0.70, ("within", "in range")),  # bounds inclusive
        ("fcr", 0.79, ("within", "in range")),
        ("fcr", 0.82, ("above", "better")),  # world-class territory
        ("repeat_share", 0.21, ("below", "better")),  # lower is better
        ("repeat_share", 0.22, ("within", "in range")),
        ("repeat_share", 0.26, ("above", "worse")),
        ("transfer_rate", 0.15, ("no benchmark", "")),
        ("nps", None, ("not measured", "")),
        ("nps", float("nan"), ("not measured", "")),
    ],
)
def test_benchmark_status(metric, value, expected):
    assert S.benchmark_status(value, S.DEFAULT_BENCHMARKS[metric]) == expected


@pytest.mark.parametrize(
    ("metric", "value", "ci", "expected"),
    [
        # a small centre's FCR: 69.6% of 125 judged (95% CI 61.1-77.0%) was "below" the 70-79% range
        # on its point estimate, though its interval reaches well into the range
        ("fcr", 0.696, (0.611, 0.770), ("not distinguishable from", "")),
        ("fcr", 0.66, (0.63, 0.69), ("below", "worse")),  # the whole interval below
        ("fcr", 0.82, (0.78, 0.86), ("not distinguishable from", "")),
        ("fcr", 0.82, (0.80, 0.84), ("above", "better")),
        ("fcr", 0.75, (0.60, 0.90), ("within", "in range")),  # in the range, whatever its interval
        ("repeat_share", 0.26, (0.251, 0.27), ("above", "worse")),
        ("fcr", 0.696, (None, None), ("below", "worse")),  # no interval: the point is placed
    ],
)
def test_benchmark_status_places_a_value_beyond_the_range_only_when_its_interval_is(metric, value, ci, expected):
    assert S.benchmark_status(value, S.DEFAULT_BENCHMARKS[metric], *ci) == expected


def test_scorecard_places_a_value_against_its_range_by_its_interval(con):
    sc = con.execute(S.balanced_scorecard(
        {"fcr": {"value": 0.696, "n": 125, "ci_low": 0.611, "ci_high": 0.770},
         "repeat_share": {"value": 0.27, "n": 500, "ci_low": 0.232, "ci_high": 0.311}},
        min_n=30, floors=["repeat_share"])).set_index("metric")
    assert tuple(sc.loc["fcr", ["status", "assessment"]]) == ("not distinguishable from", "")
    # a floor above the range's top whose interval reaches into it: not "a floor below the range's top"
    assert tuple(sc.loc["repeat_share", ["status", "assessment"]]) == ("not distinguishable from", "")


def test_every_default_has_a_source_or_says_none():
    for b in S.DEFAULT_BENCHMARKS.values():
        assert b.source
        assert b.has_range or b.source == S.NO_PUBLIC_BENCHMARK
    assert "SQM" in S.DEFAULT_BENCHMARKS["fcr"].source
    assert {b.pillar for b in S.DEFAULT_BENCHMARKS.values()} == set(S.PILLARS)


def test_balanced_scorecard_rows(con):
    sc = con.execute(
        S.balanced_scorecard(
            {"fcr": {"value": 0.66, "n": 1200, "ci_low": 0.63, "ci_high": 0.69}, "repeat_share": 0.31, "csat_top2": 0.8}
        )
    )
    assert sc.pillar.tolist()[:2] == ["outcome", "outcome"] and sc.pillar.tolist()[-1] == "perception"
    rows = sc.set_index("metric")
    assert tuple(rows.loc["fcr", ["status", "assessment", "n"]]) == ("below", "worse", 1200.0)
    assert tuple(rows.loc["repeat_share", ["status", "assessment"]]) == ("above", "worse")
    assert rows.loc["csat_top2", "status"] == "no benchmark"
    assert rows.loc["nps", "status"] == "not measured"
    assert tuple(rows.loc["fcr", ["value_text", "range_text"]]) == ("66.0%", "70.0% to 79.0%")
    assert rows.loc["csat_top2", "range_text"] == "no public benchmark"
    assert len(sc) == len(S.DEFAULT_BENCHMARKS)


def test_overrides_and_new_metrics(con):
    sc = con.execute(
        S.balanced_scorecard(
            {"fcr": 0.74, "aht_s": 400.0},
            benchmarks={
                "fcr": {"low": 0.75, "high": 0.85, "source": "client target 2026"},
                "aht_s": {"label": "AHT", "pillar": "effort", "unit": "seconds", "higher_is_better": False},
            },
        )
    ).set_index("metric")
    assert tuple(sc.loc["fcr", ["status", "source"]]) == ("below", "client target 2026")
    assert sc.loc["aht_s", "status"] == "no benchmark"


def test_configuration_errors_are_collected():
    with pytest.raises(CxkitError) as e:
        S.benchmarks_with_overrides(
            {"fcr": {"lo": 0.7}, "new": {"low": 1}, "repeat_share": {"low": 0.3, "high": 0.2}}
        )
    msg = str(e.value)
    assert "benchmarks.fcr: unknown key(s) ['lo']" in msg
    assert "benchmarks.new: a new metric needs" in msg
    assert "benchmarks.repeat_share: low (0.3) is above high (0.2)" in msg
    with pytest.raises(CxkitError, match="no benchmark declaration"):
        S.balanced_scorecard({"fcrr": 0.7})
    with pytest.raises(CxkitError, match="'value'"):
        S.balanced_scorecard({"fcr": {"rate": 0.7}})


def test_scorecard_values_from_module_tables(con):
    # a repeated by b (1 day later), both handled; c an independent customer -> FCR 2/3 judged
    base = {"direction": "inbound", "channel": "voice", "outcome": "handled", "queued": True}
    t = canonical_memtable("contacts", [
        {**base, "contact_id": "a", "customer_id": "k1", "arrived_at": "2026-03-02 09:00",
         "ended_at": "2026-03-02 09:10", "answered_at": "2026-03-02 09:00:10", "wait_s": 10.0, "transfers": 1},
        {**base, "contact_id": "b", "customer_id": "k1", "arrived_at": "2026-03-03 09:00", "channel": "chat",
         "ended_at": "2026-03-03 09:10", "answered_at": "2026-03-03 09:00:30", "wait_s": 30.0},
        {**base, "contact_id": "c", "customer_id": "k2", "arrived_at": "2026-03-02 09:00",
         "ended_at": "2026-03-02 09:10", "answered_at": "2026-03-02 09:00:50", "wait_s": 50.0},
    ])
    eod = ts("2026-03-31 00:00")
    s = canonical_memtable("surveys", [{"survey_id": "1", "contact_id": "c", "csat": 5.0, "nps": 10.0, "ces": 7.0}])
    values = S.scorecard_values(
        fcr=R.fcr_repeat(t, end_of_data=eod),
        repeat_share=R.repeat_share(t),
        transfer_rate=O.transfer_rate(t),
        service_level=O.service_level(t, by="channel"),
        journey_summary=J.journey_effort_summary(J.journeys(t, end_of_data=eod)),
        survey_scores=P.survey_scores(s),
    )
    assert values["fcr"]["value"] == pytest.approx(2 / 3) and values["fcr"]["n"] == 3  # a repeated; b, c not
    assert values["repeat_share"]["value"] == pytest.approx(1 / 3)
    assert values["transfer_rate"]["value"] == pytest.approx(1 / 3)
    assert values["service_level_voice"]["value"] == pytest.approx(0.5)  # a 10 s yes, c 50 s no
    assert values["channel_switch_rate"]["value"] == 0.5  # k1 voice > chat; k2 single
    assert values["journey_wait_s"]["value"] == 45.0  # (10 + 30 + 50) / 2 journeys
    assert values["nps"]["value"] == 100.0 and values["nps"]["ci_low"] is None
    sc = con.execute(S.balanced_scorecard(values)).set_index("metric")
    # 2 of 3 (95% CI 20.8-93.9%): its interval reaches into the 70-79% range
    assert sc.loc["fcr", "status"] == "not distinguishable from"
    with pytest.raises(CxkitError, match="one row"):
        S.scorecard_values(fcr=R.fcr_repeat(t, end_of_data=eod, by="channel"))
    # a digital-only desk has no voice row (the run once stopped with "service_level must be one
    # row; found 0"): no call was offered, so the voice service level is measured over nothing,
    # n = 0 and too few to compare, not "not measured" (which says the export cannot record it)
    chat_only = t.mutate(channel=ibis.literal("chat"))
    digital = S.scorecard_values(service_level=O.service_level(chat_only, by="channel"))
    assert digital["service_level_voice"] == {"value": None, "n": 0.0, "ci_low": None, "ci_high": None}
    row = con.execute(S.balanced_scorecard(digital)).set_index("metric").loc["service_level_voice"]
    assert (row["status"], row["n"], row["value_text"]) == (S.TOO_FEW, 0, "–")
    # without a service level table at all, the row is not measured
    assert con.execute(S.balanced_scorecard({})).set_index("metric").loc["service_level_voice", "status"] == (
        "not measured")
