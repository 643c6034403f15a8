"""Recovery: on a generated contact center, the diagnostics find what the generator planted.

``truth.json["expected"]`` values are recomputed by the generator from the rows it wrote (a
second, independent implementation of METRICS.md): they must be recovered EXACTLY (same
numerator and denominator). Planted probabilities are only realised up to sampling error:
those checks say how tight they are.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

import cxkit
from cxkit import operations as O
from cxkit import resolution as R

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def center(tmp_path_factory):
    """A small generated center (3,000 customers, ~8,000 contacts, 31 days across the UK DST
    change) opened through the demo engagement, and its truth."""
    from cxkit.generate import generate

    folder = tmp_path_factory.mktemp("center")
    shutil.copy(ROOT / "engagements" / "demo" / "engagement.yaml", folder / "engagement.yaml")
    truth = json.loads(generate(folder / "data", seed=11, customers=3000).read_text())
    session = cxkit.open_engagement(folder / "engagement.yaml")
    return session, truth


def _pair(row) -> tuple[int, int]:
    return int(row["numerator"]), int(row["denominator"])


def test_end_of_data_is_the_latest_arrival_capped_at_the_period_end(center):
    s, truth = center
    assert s.end_of_data.isoformat().replace("+00:00", "Z") == truth["period"]["end_of_data"]
    assert truth["period"]["end_of_data"] <= truth["period"]["end"]


def test_a_period_running_past_the_data_judges_nothing_more(center):
    # issue 11: a period to 30 April over data to 31 March judged the last week as resolved
    # (censoring fell to 0); the end of data is the last arrival, so FCR and censoring hold
    s, truth = center
    longer = cxkit.open_engagement(s.engagement.base_dir / "engagement.yaml",
                                   {"period": {"start": "2026-03-01", "end": "2026-04-30"}})
    assert longer.end_of_data == s.end_of_data
    want = truth["expected"]["fcr_repeat_7d"]
    got = R.fcr_repeat(longer.table("contacts"), end_of_data=longer.end_of_data).to_pandas().iloc[0]
    assert _pair(got) == (want["numerator"], want["denominator"])
    assert int(got["censored"]) == want["censored"] > 0


def test_fcr_repeat_7d_exact(center):
    s, truth = center
    want = truth["expected"]["fcr_repeat_7d"]
    got = R.fcr_repeat(s.table("contacts"), end_of_data=s.end_of_data).to_pandas().iloc[0]
    assert _pair(got) == (want["numerator"], want["denominator"])
    assert int(got["censored"]) == want["censored"]


def test_fcr_repeat_by_reason_and_team_exact(center):
    s, truth = center
    want = truth["expected"]["fcr_repeat_7d"]
    c = s.table("contacts")
    by_reason = R.fcr_repeat(c, end_of_data=s.end_of_data, by="contact_reason").to_pandas()
    by_reason = by_reason.set_index("contact_reason")
    for reason, w in want["by_reason"].items():
        key = "(not recorded)" if reason == "UNKNOWN" else reason
        assert _pair(by_reason.loc[key]) == (w["numerator"], w["denominator"]), reason
        assert int(by_reason.loc[key, "censored"]) == w["censored"], reason
    by_team = R.fcr_repeat(c, end_of_data=s.end_of_data, by="team").to_pandas().set_index("team")
    for team, w in want["by_team"].items():
        key = "(not recorded)" if team == "NO_AGENT" else team
        assert _pair(by_team.loc[key]) == (w["numerator"], w["denominator"]), team


def test_fcr_transfer_adjusted_and_repeat_share_exact(center):
    s, truth = center
    e = truth["expected"]
    c = s.table("contacts")
    got = R.fcr_transfer_adjusted(c, end_of_data=s.end_of_data).to_pandas().iloc[0]
    assert _pair(got) == (e["fcr_transfer_adjusted_7d"]["numerator"], e["fcr_transfer_adjusted_7d"]["denominator"])
    got = R.repeat_share(c).to_pandas().iloc[0]
    assert _pair(got) == (e["repeat_share_7d"]["numerator"], e["repeat_share_7d"]["denominator"])
    # The two are different numbers (and the report never uses one for the other).
    assert got["rate"] != pytest.approx(1 - e["fcr_repeat_7d"]["value"], abs=0.01)


def test_operations_exact(center):
    s, truth = center
    e = truth["expected"]
    c = s.table("contacts")
    tr = O.transfer_rate(c).to_pandas().iloc[0]
    assert _pair(tr) == (e["transfer_rate"]["numerator"], e["transfer_rate"]["denominator"])
    aht = O.aht(c, by=None).to_pandas().iloc[0]
    assert int(aht["handled"]) == e["handled_contacts"]
    assert aht["aht_mean_s"] == pytest.approx(e["aht_mean_s"], rel=1e-12)
    assert aht["aht_median_s"] == pytest.approx(e["aht_median_s"], rel=1e-12)
    ab = O.abandonment(c, by=None).to_pandas().iloc[0]
    assert _pair(ab) == (e["abandon_rate"]["numerator"], e["abandon_rate"]["denominator"])
    asa = O.asa(c, by=None).to_pandas().iloc[0]
    assert asa["asa_s"] == pytest.approx(e["asa_s"], rel=1e-12)


def test_customer_reported_fcr_exact(center):
    s, truth = center
    e = truth["expected"]
    got = R.fcr_customer_reported(s.table("surveys"), s.table("contacts")).to_pandas().iloc[0]
    assert _pair(got) == (e["fcr_customer_reported"]["numerator"], e["fcr_customer_reported"]["denominator"])
    assert got["response_rate_basis"] == "invitations"
    assert (int(got["responses"]), int(got["response_rate_denominator"])) == (
        e["survey_response_rate"]["numerator"],
        e["survey_response_rate"]["denominator"],
    )


def test_sensitivity_contains_the_headline_and_moves_with_the_window(center):
    s, truth = center
    df = R.fcr_sensitivity(s.table("contacts"), end_of_data=s.end_of_data).to_pandas()
    any_ = df[df.reason == "any reason"].set_index("window_days")
    want = truth["expected"]["fcr_repeat_7d"]
    assert _pair(any_.loc[7.0]) == (want["numerator"], want["denominator"])
    # longer windows censor more and (on this center) resolve less; a 30-day window on a
    # 31-day period judges (almost) nothing: its rate is null rather than a made-up number
    assert list(any_.censored) == sorted(any_.censored)
    assert any_.rate.loc[[1.0, 3.0, 7.0, 14.0]].is_monotonic_decreasing
    assert any_.denominator.loc[30.0] < any_.denominator.loc[14.0]
    same = df[df.reason == "same reason"].set_index("window_days")
    judged = [1.0, 3.0, 7.0, 14.0]
    assert (same.rate.loc[judged] >= any_.rate.loc[judged] - 1e-12).all()  # same-reason repeats are repeats


def test_time_to_recontact_agrees_with_fcr(center):
    # On contacts judged at 10 days, the cumulative share of recontacts by 168 h equals the
    # share with a 7-day repeat computed directly on the same population (exact).
    s, _ = center
    c = s.table("contacts")
    ttr = R.time_to_recontact(c, end_of_data=s.end_of_data, max_days=10).to_pandas().set_index("upper_h")
    f = R.repeat_flags(c, end_of_data=s.end_of_data, window_days=10).to_pandas()
    pop = f[f.eligible & f.judged]
    direct = (pop.recontact_gap_s.notna() & (pop.recontact_gap_s <= 7 * 86400)).sum() / len(pop)
    assert int(ttr["judged"].iloc[0]) == len(pop)
    assert ttr.loc[168.0, "cumulative_share"] == pytest.approx(direct, rel=1e-12)


def test_censoring_aware_recontact_curve_matches_fcr(center):
    # The life-table curve uses every eligible contact, censored ones for as long as they were
    # observed. Its share recontacted by 168 h estimates 1 - FCR(7 d) measured on the judged
    # contacts only. Both are estimates of the same probability from overlapping samples of
    # ~2,000+ contacts: SE of the difference < 0.015, so they agree within 0.03 (2 SE); a curve
    # that counted censored contacts as resolved would fall short by several points.
    s, _ = center
    c = s.table("contacts")
    curve = R.recontact_curve(c, end_of_data=s.end_of_data, max_days=14).to_pandas().set_index("upper_h")
    fcr = R.fcr_repeat(c, end_of_data=s.end_of_data).to_pandas().iloc[0]
    assert curve.loc[168.0, "cumulative_share"] == pytest.approx(1 - fcr["rate"], abs=0.03)
    assert int(curve["at_risk"].iloc[0]) == int(fcr["denominator"] + fcr["censored"])
    naive = curve.events.loc[:168.0].sum() / curve["at_risk"].iloc[0]
    assert naive < curve.loc[168.0, "cumulative_share"]


def test_short_aht_agents_buy_repeats(center):
    # Planted: short-AHT agents work at 0.6 x the AHT and resolve at 0.72 x (truth
    # parameters). Exact: the realised FCR per profile (truth expected) is recovered from the
    # per-agent table. Sampling: the realised AHT ratio is within +-0.1 of the planted 0.6
    # (agent-level lognormal sigma 0.12 on ~7 agents: SE ~ 0.03, so +-0.1 is > 3 SE).
    s, truth = center
    short = set(truth["parameters"]["short_aht_agents"])
    df = R.aht_vs_fcr(s.table("contacts"), end_of_data=s.end_of_data, min_n=1).to_pandas()
    df = df[df.agent_id != "(not recorded)"]
    df["profile"] = df.agent_id.map(lambda a: "short_aht" if a in short else "standard")
    sums = df.groupby("profile")[["fcr_resolved", "fcr_n"]].sum()
    for profile, w in truth["expected"]["fcr_repeat_7d"]["by_agent_profile"].items():
        assert (int(sums.loc[profile, "fcr_resolved"]), int(sums.loc[profile, "fcr_n"])) == (
            w["numerator"],
            w["denominator"],
        )
    ratio = truth["expected"]["aht_mean_s_by_agent_profile"]
    weighted = {p: (g.aht_mean_s * g.handled).sum() / g.handled.sum() for p, g in df.groupby("profile")}
    assert weighted["short_aht"] == pytest.approx(ratio["short_aht"], rel=1e-9)
    assert weighted["short_aht"] / weighted["standard"] == pytest.approx(0.6, abs=0.1)
    fcr = sums.fcr_resolved / sums.fcr_n
    assert fcr["short_aht"] < fcr["standard"]


def test_ping_pong_realised_at_least_as_planted(center):
    # Planted: half of the contacts with two transfers ping-pong (A -> B -> A); the other half
    # go to a random third queue, which can also be A, so the realised share among 3-leg
    # contacts is >= 0.5. Check it is above 0.5 - 4 SE (SE = sqrt(.25 / n)).
    s, truth = center
    legs = s.table("legs")
    n_legs = legs.group_by("contact_id").aggregate(n=legs.count())
    three = legs.semi_join(n_legs.filter(n_legs.n == 3), "contact_id")
    r = R.transfer_ping_pong(three).to_pandas().iloc[0]
    n = int(r["transferred"])
    planted = truth["parameters"]["transfers"]["ping_pong_of_two_transfers"]
    assert n >= 20
    assert r["rate"] >= planted - 4 * math.sqrt(0.25 / n)
    # two-leg contacts cannot ping-pong
    two = legs.semi_join(n_legs.filter(n_legs.n == 2), "contact_id")
    assert int(R.transfer_ping_pong(two).to_pandas().iloc[0]["numerator"]) == 0



@pytest.fixture(scope="module")
def demo_sized_center(tmp_path_factory):
    """A center of the demo's size (20,000 customers, ~43 agents, ~100-250 judged contacts
    each): the small center leaves most agents under min_n, as it should."""
    from cxkit.generate import generate

    folder = tmp_path_factory.mktemp("demo_sized")
    shutil.copy(ROOT / "engagements" / "demo" / "engagement.yaml", folder / "engagement.yaml")
    truth = json.loads(generate(folder / "data", seed=11, customers=20_000).read_text())
    return cxkit.open_engagement(folder / "engagement.yaml"), truth


def test_within_team_trap_flags_the_planted_short_aht_agents(center, demo_sized_center):
    # Planted: in every team ~10% of agents (at least one) work at 0.6 x AHT (times min(1,
    # their own lognormal factor, sigma 0.12)) and resolve at 0.72 x. Across agents the work
    # mix hides it (team AHT factors 0.9 to 1.3, chat against voice), so each agent is
    # compared with the typical (median) agent of their team.
    # Why these bounds: a planted agent's AHT ratio is <= 0.6 / (median of ~4-9 lognormal
    # factors, >= ~0.85) ~ 0.7 < 0.75: the AHT criterion is met. Their realised FCR is ~12
    # points below standard agents' (truth: 0.56 against 0.69), against a sampling SD of ~4-5
    # points at 100-250 judged contacts: each is missed (gap above -5 points) with
    # probability ~10%, so >= 5 of the 7 (P(3+ misses) ~ 3%). A standard agent needs an AHT
    # ratio <= 0.75 (2.4 lognormal SD, < 1%) AND an FCR 5 points below the typical agent:
    # expected false flags well under 1, so at most 1.
    s, truth = demo_sized_center
    short = set(truth["parameters"]["short_aht_agents"])
    w = R.aht_vs_fcr_within_team(s.table("contacts"), end_of_data=s.end_of_data, min_n=30)
    df = w.to_pandas()
    flagged = set(df[df.flagged].agent_id)
    assert set(df[df.qualifies].agent_id) >= short  # every planted agent is judged
    assert len(flagged & short) >= len(short) - 2
    assert len(flagged - short) <= 1
    # The within-team correlation is higher than the across-agent one, which the mix blurs.
    corr = R.aht_fcr_rank_correlations(w).to_pandas().set_index("comparison")
    assert corr.loc["within team", "spearman"] > corr.loc["across agents", "spearman"]
    assert corr.loc["within team", "n"] == corr.loc["across agents", "n"] == len(df[df.qualifies])
    # On the small center most agents are under min_n: suppressed, never flagged, and a team
    # left with fewer than 3 qualifying agents has no typical agent to compare with.
    small = R.aht_vs_fcr_within_team(center[0].table("contacts"), end_of_data=center[0].end_of_data, min_n=30).to_pandas()
    assert not small[small.suppressed | small.few_peers].flagged.any()
    assert small[small.few_peers].aht_ratio.isna().all()


def test_orphan_surveys_are_left_out_of_every_survey_figure(tmp_path):
    # ~5% extra survey rows point to interactions that do not exist: the truth is computed on
    # the linked surveys only, and the diagnostics must find it exactly (METRICS.md: orphans
    # are counted by readiness and left out of every metric)
    from cxkit.generate import generate

    shutil.copy(ROOT / "engagements" / "demo" / "engagement.yaml", tmp_path / "engagement.yaml")
    truth = json.loads(generate(tmp_path / "data", seed=5, customers=3000, defects=["orphan_surveys"]).read_text())
    orphans = truth["defects"]["orphan_surveys"]["rows"]
    assert orphans > 0
    s = cxkit.open_engagement(tmp_path / "engagement.yaml")
    e = truth["expected"]
    assert s.table("surveys").count().execute() == truth["counts"]["survey_rows_written"] - orphans
    got = R.fcr_customer_reported(s.table("surveys"), s.table("contacts")).to_pandas().iloc[0]
    assert _pair(got) == (e["fcr_customer_reported"]["numerator"], e["fcr_customer_reported"]["denominator"])
    assert (int(got["responses"]), int(got["response_rate_denominator"])) == (
        e["survey_response_rate"]["numerator"],
        e["survey_response_rate"]["denominator"],
    )
    from cxkit.perception import survey_scores

    assert survey_scores(s.table("surveys")).to_pandas().iloc[0]["csat_mean"] == pytest.approx(e["csat_mean"], rel=1e-12)
