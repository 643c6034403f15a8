"""cxkit.scenarios: the arithmetic on a hand-set baseline, the measured repeat link on a
fixture, the Monte Carlo's reproducibility, the tornado, the consistency flags and the
practice case "FCR 62% to 73% with AHT +40 s"."""

from __future__ import annotations

from dataclasses import replace

import ibis
import numpy as np
import pandas as pd
import pytest

from cxkit import cost as C
from cxkit import scenarios as S
from cxkit.config import Cost, Scenario
from cxkit.testing import canonical_memtable, ts


def _baseline(**over) -> S.Baseline:
    """A 30-day baseline with round numbers (every figure below is computed from these)."""
    b = S.Baseline(
        period_days=30, currency="GBP", occupancy=0.8, productive_hours_per_fte=1600, hourly_cost=30.0,
        eligible=10_000, fcr=0.62, fcr_ci=(0.61, 0.63), fcr_judged=8_000,
        repeats=6_000, repeats_after_eligible=5_000, chain_repeats=5_700, unresolved=3_800,
        repeats_per_unresolved=1.5, repeats_per_unresolved_ci=(1.4, 1.6),
        repeat_price=5.0, repeat_handle_h=0.1, repeat_handled_share=0.8,
        handled=12_000, inbound=15_000, inbound_cost=60_000.0, inbound_not_priced=0, inbound_handle_h=1_000.0,
        transferred=1_200, eligible_judged_transferred=800, aht_transferred_s=900.0, aht_not_transferred_s=540.0,
        fcr_transferred=0.5, fcr_not_transferred=0.65,
        containment_entries=2_000, contained=500, agent_price=6.0, agent_aht_s=480.0, self_service_price=0.5,
        staffed_fte=20.0,
    )
    return replace(b, **over)


CASE = Scenario(
    name=S.PRACTICE_CASE, fcr_from=0.62, fcr_to=0.73, aht_change_s=40, repeat_reduction=0.18,
    low_high={"fcr_change": [0.08, 0.12], "aht_change_s": [30, 50]},
)
YEAR = 365 / 30


def _line(lines: pd.DataFrame, item: str) -> float:
    return float(lines.set_index("item").loc[item, "value"])


def test_practice_case_net_effect_line_by_line():
    b = _baseline()
    lines = S.scenario_lines(CASE, b)
    # 11 points x 10,000 eligible = 1,100 unresolved contacts avoided; x 1.5 = 1,650 repeats
    assert _line(lines, "FCR change") == pytest.approx(0.11)
    assert _line(lines, "Unresolved contacts avoided") == pytest.approx(1_100)
    assert _line(lines, "Repeat contacts avoided (FCR)") == pytest.approx(1_650)
    # 1,650 x 5.00 = 8,250 saved; 1,650 x 0.1 h / 0.8 = 206.25 agent hours
    assert _line(lines, "Saving from avoided repeats") == pytest.approx(8_250)
    assert _line(lines, "Agent hours from avoided repeats") == pytest.approx(206.25)
    # AHT +40 s on the 12,000 - 1,650 x 0.8 = 10,680 handled contacts left:
    # -10,680 x 40 / 3600 / 0.8 = -148.33 h, x 30/h = -4,450
    assert _line(lines, "Handled contacts after the change") == pytest.approx(10_680)
    assert _line(lines, "Agent hours from the AHT change") == pytest.approx(-148.3333333)
    assert _line(lines, "Saving from the AHT change") == pytest.approx(-4_450)
    # net: 1,650 contacts, 206.25 - 148.33 = 57.92 h, 8,250 - 4,450 = 3,800 per 30 days
    assert _line(lines, "Contacts avoided (period)") == pytest.approx(1_650)
    assert _line(lines, "Agent hours saved (period)") == pytest.approx(57.9166667)
    assert _line(lines, "Net saving (period)") == pytest.approx(3_800)
    # x 365 / 30: 20,075 contacts, 704.65 h = 0.4404 FTE at 1,600 h, 46,233.33 a year
    assert _line(lines, "Contacts avoided per year") == pytest.approx(20_075)
    assert _line(lines, "Agent hours saved per year") == pytest.approx(57.9166667 * YEAR)
    assert _line(lines, "FTE saved") == pytest.approx(57.9166667 * YEAR / 1600)
    assert _line(lines, "Net saving per year") == pytest.approx(46_233.3333)
    # 1,650 of 6,000 repeat contacts: 27.5%
    assert _line(lines, "Repeat contacts avoided, share of all repeats") == pytest.approx(0.275)
    assert list(lines["step"]) == list(range(1, len(lines) + 1))
    assert set(lines["source"]) <= {"measured", "engagement", "scenario", "computed"}


def test_practice_case_18_percent_claim_against_the_measured_link():
    # the FCR change (8-12 points) at 1.4-1.6 repeats per unresolved removes
    # 1.4 x 0.08 x 10,000 / 6,000 = 18.7% to 1.6 x 0.12 x 10,000 / 6,000 = 32.0%: 18% is less
    flags = S.consistency_flags(CASE, _baseline()).set_index("flag")
    row = flags.loc["repeat reduction smaller than the FCR change implies"]
    assert row.severity == "inconsistent"
    assert "18.7%-32.0%" in row.reason and "(base 27.5%)" in row.reason
    # measured 1.3-1.6 repeats per unresolved: 1.3 x 0.08 x 10,000 / 6,000 = 17.3%: 18% fits
    wider = _baseline(repeats_per_unresolved_ci=(1.3, 1.6))
    flags = S.consistency_flags(CASE, wider).set_index("flag")
    assert flags.loc["repeat reduction consistent with the FCR change", "severity"] == "consistent"
    # a claim of 40% is more than the change can produce
    big = Scenario(**{**CASE.model_dump(), "repeat_reduction": 0.40})
    assert "repeat reduction the FCR change cannot produce" in set(S.consistency_flags(big, _baseline())["flag"])


def test_practice_case_stated_baseline_checked_against_measured():
    flags = S.consistency_flags(CASE, _baseline(fcr=0.70, fcr_ci=(0.69, 0.71))).set_index("flag")
    reason = flags.loc["stated baseline FCR differs from the measured FCR", "reason"]
    assert "states FCR 62.0%; measured 70.0%" in reason
    # measured 62% (CI 61-63%): no such flag
    assert "stated baseline FCR differs from the measured FCR" not in set(S.consistency_flags(CASE, _baseline())["flag"])


def test_flags_gain_beyond_repeats_beyond_fcr_and_fte():
    # FCR 95% + 11 points > 100%: the flag quotes the change worked through (+11.0), not the top
    # of its range (+12.0), which read as a second, different change
    flags = S.consistency_flags(CASE, _baseline(fcr=0.95, fcr_ci=(0.94, 0.96))).set_index("flag")
    assert flags.loc["FCR gain needs more unresolved contacts than exist", "reason"] == (
        "measured FCR 95.0% +11.0 points (the change) is above 100%: only 5.0 points of FCR are left to gain")
    # 90%: +11 is within reach, the range's +12 is not
    flags = S.consistency_flags(CASE, _baseline(fcr=0.885, fcr_ci=(0.88, 0.89))).set_index("flag")
    assert flags.loc["FCR gain needs more unresolved contacts than exist", "reason"].startswith(
        "measured FCR 88.5% +12.0 points (the range's high) is above 100%")
    # 1,650 repeats avoided but only 1,000 follow unresolved eligible contacts
    flags = set(S.consistency_flags(CASE, _baseline(repeats_after_eligible=1_000))["flag"])
    assert "FCR gain needs more repeats than exist" in flags
    # 0.44 FTE saved against 0.3 staffed
    flags = S.consistency_flags(CASE, _baseline(staffed_fte=0.3)).set_index("flag")
    assert flags.loc["FTE saving larger than the staffed FTE", "severity"] == "inconsistent"
    assert set(S.consistency_flags(CASE, _baseline(staffed_fte=20.0))["severity"]) <= {"check", "inconsistent"}


def test_other_levers_hand_computed():
    b = _baseline()
    # transfers 10% -> 8%: 0.02 x 12,000 = 240 avoided; (900 - 540) s = 0.1 h each / 0.8 = 30 h; x 30 = 900
    # eligible no longer transferred 800 x 0.02 / 0.10 = 160 judged, x 10,000 / 8,000 = 200 eligible;
    # x FCR gap 0.15 = 30 unresolved avoided; x 1.5 = 45 repeats; x 5 = 225
    o = S.evaluate(Scenario(name="t", transfer_rate_to=0.08), b, {"transfer_rate_to": 0.08, "repeats_per_unresolved": 1.5})
    assert float(o["transfers_avoided"]) == pytest.approx(240)
    assert float(o["hours_transfer_handle"]) == pytest.approx(30)
    assert float(o["saving_transfer_handle"]) == pytest.approx(900)
    assert float(o["repeats_avoided_transfer"]) == pytest.approx(45)
    assert float(o["net_saving"]) == pytest.approx(900 + 225)  # no AHT lever: nothing else moves
    # transferred contacts resolved more often (a two-week engagement: 68.8% of 16 against 56.7%):
    # fewer transfers avoid no repeat, as the check flag says; the negative gap made them add 1.2
    # repeats, "-31 contacts avoided a year" beside "fewer transfers avoid no repeats here"
    better = _baseline(fcr_transferred=0.70, fcr_not_transferred=0.65)
    o = S.evaluate(Scenario(name="t", transfer_rate_to=0.08), better,
                   {"transfer_rate_to": 0.08, "repeats_per_unresolved": 1.5})
    assert float(o["repeats_avoided_transfer"]) == 0 and float(o["saving_transfer_repeats"]) == 0
    assert float(o["net_saving"]) == pytest.approx(900)  # the handle time a transfer adds, alone
    lines = S.scenario_lines(Scenario(name="t", transfer_rate_to=0.08), better).set_index("item")
    assert lines.loc["Repeat contacts avoided (transfers)", "formula"].startswith(
        "none: transferred contacts are not resolved less often")
    assert lines.loc["FCR gap, not transferred - transferred", "value"] == pytest.approx(-0.05)  # as measured
    # containment 25% -> 30%: 0.05 x 2,000 = 100 agent contacts; x (6.00 - 0.50) = 550; 100 x 480 s / 0.8 = 16.67 h
    o = S.evaluate(Scenario(name="c", containment_to=0.3), b, {"containment_to": 0.3})
    assert float(o["saving_containment"]) == pytest.approx(550)
    assert float(o["hours_containment"]) == pytest.approx(100 * 480 / 3600 / 0.8)
    # volume -5%: 750 contacts fewer; 0.05 x 60,000 = 3,000; 0.05 x 1,000 h / 0.8 = 62.5 h
    o = S.evaluate(Scenario(name="v", volume_change=-0.05), b, {"volume_change": -0.05})
    assert float(o["contacts_avoided"]) == pytest.approx(750)
    assert float(o["net_saving"]) == pytest.approx(3_000)
    assert float(o["agent_hours_saved"]) == pytest.approx(62.5)


def test_fcr_change_by_reason_uses_the_reasons_own_numbers():
    b = _baseline(by_reason={
        "BILL": {"family": "money", "eligible": 2_000, "judged": 1_600, "resolved": 800, "n": 4, "k": 8, "k2": 18},
        "CARD": {"family": "cards", "eligible": 3_000, "judged": 2_400, "resolved": 2_000, "n": 2, "k": 2, "k2": 2},
    })
    s = Scenario(name="bill", fcr_change=0.10, reasons=["money"])
    inputs = S.scenario_inputs(s, b)
    # BILL: chains 8 over 4 unresolved = 2.0; sd = sqrt((18 - 4 x 4) / 3) = 0.8165; half 1.96 x 0.8165 / 2
    assert inputs["repeats_per_unresolved"][1] == pytest.approx(2.0)
    assert inputs["repeats_per_unresolved"][0] == pytest.approx(2.0 - 1.959964 * (2 / 3) ** 0.5 / 2, rel=1e-5)
    o = S.evaluate(s, b, {k: v[1] for k, v in inputs.items()})
    # FCR 800 / 1,600 = 50%; 0.10 x 2,000 eligible = 200 unresolved avoided x 2.0 = 400 repeats
    assert float(o["fcr_before"]) == pytest.approx(0.5)
    assert float(o["repeats_avoided_fcr"]) == pytest.approx(400)
    flags = set(S.consistency_flags(s, b)["flag"])
    assert "repeat link measured on few contacts" in flags


def test_monte_carlo_same_seed_same_bytes_and_order_free():
    b = _baseline()
    one = S.monte_carlo(CASE, b, seed=7, draws=2_000)
    two = S.monte_carlo(CASE, b, seed=7, draws=2_000)
    assert one.to_json() == two.to_json()
    assert one.to_json() != S.monte_carlo(CASE, b, seed=8, draws=2_000).to_json()
    row = one.set_index("output").loc["net_saving_year"]
    assert row.p10 < row.p50 < row.p90
    # the base (46,233) lies inside P10-P90 here: the ranges are nearly symmetric around it
    assert row.p10 < 46_233.33 < row.p90 and row.base == pytest.approx(46_233.3333)
    # a scenario's draws do not depend on which other scenarios run, nor in which order
    other = Scenario(name="AHT -20 s", aht_change_s=-20, low_high={"aht_change_s": [-30, -10]})
    a = S.run_scenarios(b, [CASE, other], seed=7, draws=2_000).monte_carlo
    z = S.run_scenarios(b, [other, CASE], seed=7, draws=2_000).monte_carlo
    key = ["scenario", "output"]
    pd.testing.assert_frame_equal(a.sort_values(key).reset_index(drop=True), z.sort_values(key).reset_index(drop=True))


def test_monte_carlo_without_ranges_is_the_base_case():
    b = _baseline(repeats_per_unresolved_ci=(1.5, 1.5))
    s = Scenario(name="fixed", fcr_change=0.05)
    mc = S.monte_carlo(s, b, seed=1, draws=500).set_index("output")
    # 0.05 x 10,000 x 1.5 x 5.00 = 3,750 per 30 days; x 365 / 30
    assert mc.loc["net_saving_year", "p10"] == pytest.approx(3_750 * YEAR)
    assert mc.loc["net_saving_year", "p90"] == pytest.approx(3_750 * YEAR)


def test_tornado_ranks_inputs_by_swing():
    tor = S.tornado(CASE, _baseline())
    assert tor["input"].tolist()[0] == "fcr_change"
    first = tor.iloc[0]
    # fcr 0.08: 1,200 repeats -> 6,000 - (12,000 - 960) x 40 / 3600 / 0.8 x 30 = 1,400 a month -> 17,033.33 a year
    # fcr 0.12: 1,800 repeats -> 9,000 - (12,000 - 1,440) x ... = 4,600 -> 55,966.67; swing 38,933.33
    assert first.result_low == pytest.approx(17_033.3333)
    assert first.result_high == pytest.approx(55_966.6667)
    assert first.swing == pytest.approx(38_933.3333)
    assert set(tor["input"]) == {"fcr_change", "aht_change_s", "repeats_per_unresolved"}
    assert (tor["swing"].diff().dropna() <= 0).all()


def test_default_scenarios_include_the_practice_case():
    names = [s.name for s in S.default_scenarios(_baseline())]
    assert S.PRACTICE_CASE in names
    assert {"FCR +5 points", "AHT -20 s", "Transfers down by a quarter", "Containment +5 points", "Volume -5%"} <= set(names)
    res = S.run_scenarios(_baseline(), seed=3, draws=500)
    assert res.summary["scenario"].tolist() == [s.name for s in S.default_scenarios(_baseline())]
    case = res.summary.set_index("scenario").loc[S.PRACTICE_CASE]
    assert case.net_saving_year == pytest.approx(46_233.3333) and case.inconsistent_flags == 1
    assert set(res.tables()) == {"scenario_summary", "scenario_lines", "scenario_monte_carlo", "scenario_tornado", "scenario_flags"}


def test_default_levers_the_data_cannot_carry_are_listed_with_the_reason():
    # Seen: an export without transfer counts and without IVR or bot entries: "Transfers down by a
    # quarter" and "Containment +5 points" were dropped from the default set without a word.
    why = "the export has no transfer counts (contacts.transfers)"
    b = _baseline(transferred=0, eligible_judged_transferred=0, transfers_not_measured=why,
                  containment_entries=0, contained=0)
    names = [s.name for s in S.default_scenarios(b)]
    assert {"Transfers down by a quarter", "Containment +5 points"} <= set(names)
    res = S.run_scenarios(b, seed=3, draws=200)
    summary = res.summary.set_index("scenario")
    assert list(summary.index) == names
    assert summary.loc["Transfers down by a quarter", "not_measured"] == f"the transfer rate is not measured: {why}"
    assert summary.loc["Containment +5 points", "not_measured"] == (
        "containment is not measured: no inbound contact entered the IVR or a bot (IVR/bot seconds above zero)")
    for name in ("Transfers down by a quarter", "Containment +5 points"):
        assert summary.loc[name, list(S.OUTPUTS)].isna().all(), name  # every figure empty, not 0
        assert name not in set(res.lines["scenario"])
    # an export that counts transfers and has none: a measured 0, worked through. A quarter fewer
    # than 0 of 12,000 handled contacts avoids 0 transfers and saves 0 (measured, not missing)
    zero = S.run_scenarios(_baseline(transferred=0, eligible_judged_transferred=0), seed=3, draws=200)
    row = zero.summary.set_index("scenario").loc["Transfers down by a quarter"]
    assert pd.isna(row["not_measured"])
    assert (row["contacts_avoided"], row["net_saving"]) == (0, 0)
    lines = zero.lines[zero.lines["scenario"] == "Transfers down by a quarter"]
    assert _line(lines, "Transfer rate before") == 0 and _line(lines, "Transfers avoided") == 0


# --------------------------------------------------------------------------------------------
# measured on contacts
# --------------------------------------------------------------------------------------------


def _chain_contacts():
    """k1: a handled (unresolved) -> b abandoned -> c handled (resolved): one chain of 2 after a.
    k2: d handled -> e handled -> f handled: d's chain 2 (e, f), e's chain 1 (f).
    k3: g handled, alone (resolved). All voice, 30 March end of data. k1's contacts are about
    BILL (family MONEY), the others about LOGIN (family ACCESS)."""
    c = dict(direction="inbound", channel="voice", outcome="handled", talk_s=300.0, contact_reason="LOGIN",
             reason_family="ACCESS")
    bill = dict(customer_id="k1", contact_reason="BILL", reason_family="MONEY")
    rows = [
        {**c, **bill, "contact_id": "a", "arrived_at": "2026-03-02 09:00", "ended_at": "2026-03-02 09:10"},
        {**c, **bill, "contact_id": "b", "arrived_at": "2026-03-03 09:00", "ended_at": "2026-03-03 09:01",
         "outcome": "abandoned", "talk_s": None},
        {**c, **bill, "contact_id": "c", "arrived_at": "2026-03-03 10:00", "ended_at": "2026-03-03 10:10"},
        {**c, "customer_id": "k2", "contact_id": "d", "arrived_at": "2026-03-05 09:00", "ended_at": "2026-03-05 09:10"},
        {**c, "customer_id": "k2", "contact_id": "e", "arrived_at": "2026-03-06 09:00", "ended_at": "2026-03-06 09:10"},
        {**c, "customer_id": "k2", "contact_id": "f", "arrived_at": "2026-03-07 09:00", "ended_at": "2026-03-07 09:10"},
        {**c, "customer_id": "k3", "contact_id": "g", "arrived_at": "2026-03-08 09:00", "ended_at": "2026-03-08 09:10"},
    ]
    return canonical_memtable("contacts", rows)


def test_repeat_link_counts_chains_after_unresolved_eligible_contacts():
    t = _chain_contacts()
    r = S.repeat_link(t, end_of_data=ts("2026-03-31 00:00")).execute().iloc[0]
    # unresolved eligible: a (chain 2), d (chain 2), e (chain 1): mean 5 / 3 = 1.667
    # sd = sqrt(((2-5/3)^2 x 2 + (1-5/3)^2) / 2) = 0.5774; half = 1.96 x 0.5774 / sqrt(3) = 0.6533
    assert (int(r.unresolved), int(r.chain_repeats)) == (3, 5)
    assert r.repeats_per_unresolved == pytest.approx(5 / 3)
    assert r.ci_low == pytest.approx(5 / 3 - 1.959964 * (1 / 3) ** 0.5 / 3 ** 0.5, rel=1e-5)
    # repeat contacts: b, c, e, f = 4, all in some chain
    assert (int(r.repeats), int(r.repeats_after_eligible)) == (4, 4)


def test_repeat_link_counts_a_contact_whose_id_the_export_repeats_once():
    # a contact-grain export giving id "a" to two contacts (k1's, and k3's alone): the chain
    # contacts met their flags by the id alone, so k1's a met both flag rows: 4 unresolved, 7
    # chain repeats where the fixture has 3 and 5. By id and arrival each keeps its own row
    rows = _chain_contacts().execute()
    rows.loc[rows.contact_id == "g", "contact_id"] = "a"
    t = canonical_memtable("contacts", rows.to_dict("records"))
    r = S.repeat_link(t, end_of_data=ts("2026-03-31 00:00")).execute().iloc[0]
    assert (int(r.unresolved), int(r.chain_repeats), int(r.repeats)) == (3, 5, 4)
    # ids unique by construction: the id alone is the same join
    unique = S._tails(_chain_contacts(), 7, ts("2026-03-31 00:00"), (), unique_ids=True).execute()
    either = S._tails(_chain_contacts(), 7, ts("2026-03-31 00:00"), ()).execute()
    by = ["contact_id", "_tail", "_weight", "_unresolved"]
    assert unique[by].sort_values(by).values.tolist() == either[by].sort_values(by).values.tolist()


def test_measured_baseline_on_the_fixture():
    t = _chain_contacts()
    cost = Cost(cost_per_contact={"voice": 5.0}, occupancy=0.8)
    prices = C.channel_prices(t, cost)
    b = S.measure_baseline(t, cost, prices, C.data_period(t), end_of_data=ts("2026-03-31 00:00"), currency="GBP")
    # eligible: a, c, d, e, f, g = 6, judged all; resolved (no repeat within 7 d): c, f, g -> 50%
    assert (b.eligible, b.fcr_judged, b.fcr) == (6, 6, 0.5)
    assert b.repeats == 4 and b.repeats_per_unresolved == pytest.approx(5 / 3)
    # chain contacts weighted by the chains they are in: b 1, c 1, e 1, f 2 -> price 5.00; handled 4 of 5 weights
    assert b.repeat_price == 5.0 and b.repeat_handled_share == pytest.approx(4 / 5)
    assert b.repeat_handle_h == pytest.approx(4 * 300 / 3600 / 5)
    # no hourly cost given: implied by the price: 6 handled x 5.00 x 0.8 / (6 x 300 s = 0.5 h) = 48/h
    assert b.hourly_cost == pytest.approx(48.0) and "implied" in b.sources["hourly_cost"]
    # no intervals: staffed FTE from the workload, 0.5 h / 0.8 x 365 / 7 days / 1,600 h
    assert b.staffed_fte == pytest.approx(0.5 / 0.8 * 365 / 7 / 1600)
    assert b.to_dict()["period_days"] == 7


def test_a_price_line_says_whether_its_prices_were_given_or_derived():
    # Seen: "Cost per avoided repeat | mean price of the repeats after eligible contacts, by their
    # channel | INR 117.06 | given by the engagement" where the chat and messaging prices, most of
    # the repeats, were derived from the measured AHT.
    t = _chain_contacts()
    eod = ts("2026-03-31 00:00")

    def lines(contacts, cost: Cost) -> pd.DataFrame:
        prices = C.channel_prices(contacts, cost)
        b = S.measure_baseline(contacts, cost, prices, C.data_period(contacts), end_of_data=eod)
        both = Scenario(name="fcr and containment", fcr_change=0.05, containment_to=0.3)
        return S.scenario_lines(both, b).set_index("item")

    given = lines(t, Cost(cost_per_contact={"voice": 5.0}, occupancy=0.8))
    assert given.loc["Cost per avoided repeat", "source"] == "engagement"
    assert given.loc["Saving per contained entry", "source"] == "engagement"
    # no price given: voice derived from its AHT, 300 s / 3,600 x 36.00/h / 0.8 = 3.75
    derived = lines(t, Cost(loaded_hourly_cost=36.0, occupancy=0.8))
    assert derived.loc["Cost per avoided repeat", "value"] == pytest.approx(3.75)
    assert derived.loc["Cost per avoided repeat", "source"] == "derived"
    assert derived.loc["Saving per contained entry", "source"] == "derived"
    # f in chat, the only channel without a given price: the repeats' weights b 1, c 1, e 1 (voice,
    # given 5.00) and f 2 (chat, derived 3.75): (3 x 5.00 + 2 x 3.75) / 5 = 4.50, given and derived
    mixed = t.mutate(channel=ibis.ifelse(t.contact_id == "f", "chat", t.channel))
    both = lines(mixed, Cost(cost_per_contact={"voice": 5.0}, loaded_hourly_cost=36.0, occupancy=0.8))
    assert both.loc["Cost per avoided repeat", "value"] == pytest.approx(4.5)
    assert both.loc["Cost per avoided repeat", "source"] == "given and derived"
    from cxkit.cost_narrative import _SOURCE_WORDS

    assert _SOURCE_WORDS["given and derived"] == "given by the engagement and derived from the measured AHT"


def test_precomputed_journey_rows_give_the_same_numbers():
    from cxkit.journey import journey_contacts

    t = _chain_contacts()
    eod = ts("2026-03-31 00:00")
    cost = Cost(cost_per_contact={"voice": 5.0}, occupancy=0.8)
    prices = C.channel_prices(t, cost)
    period = C.data_period(t)
    jc = journey_contacts(t, end_of_data=eod)
    a = S.measure_baseline(t, cost, prices, period, end_of_data=eod)
    b = S.measure_baseline(t, cost, prices, period, end_of_data=eod, journey_rows=jc, counts=C.repeat_counts(t))
    assert a.to_dict() == b.to_dict()
    # the resolution results a run already has (FCR by reason, repeats after a transfer) in
    # place of the baseline's own passes: the same baseline, reason families included
    from cxkit.resolution import fcr_breakdown, recontact_frame, repeat_after_transfer

    given = dict(
        fcr_by_reason=fcr_breakdown(t, end_of_data=eod, min_n=1).execute(),
        transfer_repeats=repeat_after_transfer(t, end_of_data=eod).execute(),
    )
    counts = C.repeat_counts(recontact_frame(t).drop("customer_id"))
    c = S.measure_baseline(t, cost, prices, period, end_of_data=eod, journey_rows=jc, counts=counts, **given)
    assert c.to_dict() == a.to_dict()
    d = S.measure_baseline(t, cost, prices, period, end_of_data=eod, **given)  # families from the contacts
    assert d.to_dict() == a.to_dict()
    # a: unresolved BILL contact, c resolved; k2's LOGIN contacts d, e unresolved, f and g resolved
    assert a.by_reason["BILL"] == {"family": "MONEY", "eligible": 2, "judged": 2, "resolved": 1, "n": 1, "k": 2, "k2": 4}
    assert a.by_reason["LOGIN"]["family"] == "ACCESS" and a.by_reason["LOGIN"]["resolved"] == 2
    x = C.cost_per_resolved_issue(t, prices, end_of_data=eod, min_n=1).execute()
    y = C.cost_per_resolved_issue(t, prices, end_of_data=eod, min_n=1, journey_rows=jc).execute()
    pd.testing.assert_frame_equal(x, y)


def test_repeats_in_unpriced_channels_are_kept_out_of_the_saving():
    # half of the repeats an FCR gain avoids are in a channel without a price: only the priced
    # half is saved (1,650 x 50% x 5.00 = 4,125), never the whole at the priced mean
    b = _baseline(repeat_priced_share=0.5)
    lines = S.scenario_lines(CASE, b)
    assert _line(lines, "Saving from avoided repeats") == pytest.approx(1_650 * 0.5 * 5.0)
    assert _line(lines, "Share of those repeats in priced channels") == pytest.approx(0.5)
    # the hours are measured handle time, priced or not: unchanged (206.25 h)
    assert _line(lines, "Agent hours from avoided repeats") == pytest.approx(206.25)


def test_every_scenario_saving_in_the_summary_says_the_share_of_its_contacts_priced():
    # the summary's net saving carried no note while half of the repeats (the FCR and transfer
    # levers), a quarter of the agent contacts (containment) and 1,500 of the 15,000 inbound
    # contacts (volume) were in channels without a price and kept out of it
    b = _baseline(repeat_priced_share=0.5, agent_priced_share=0.75, inbound_not_priced=1_500)
    notes = S.run_scenarios(b, seed=3, draws=200).summary.set_index("scenario")["priced_share_note"]
    kept_out = ": those in channels without a price are kept out of the saving"
    assert notes["FCR +5 points"] == notes[S.PRACTICE_CASE] == f"priced share 50.0% of the repeats{kept_out}"
    assert notes["Transfers down by a quarter"] == f"priced share 50.0% of the repeats{kept_out}"
    assert notes["Containment +5 points"] == f"priced share 75.0% of the agent contacts{kept_out}"
    assert notes["Volume -5%"] == f"priced share 90.0% of the inbound contacts{kept_out}"
    assert pd.isna(notes["AHT -20 s"])  # priced by the agent hour, not by channel
    both = Scenario(name="both", fcr_change=0.05, volume_change=-0.05)
    assert S.priced_share_note(S.priced_shares(both, b)) == (
        f"priced share 50.0% of the repeats, 90.0% of the inbound contacts{kept_out}")
    # the transfer and volume levers' lines say it too, as the FCR and containment levers' did
    fewer = S.scenario_lines(Scenario(name="t", transfer_rate_to=0.08), b)
    assert _line(fewer, "Share of those repeats in priced channels") == pytest.approx(0.5)
    less = S.scenario_lines(Scenario(name="v", volume_change=-0.05), b)
    assert _line(less, "Share of the inbound contacts in priced channels") == pytest.approx(0.9)
    # every contact priced: no note, no share line
    whole = S.run_scenarios(_baseline(), seed=3, draws=200)
    assert whole.summary["priced_share_note"].isna().all()
    assert not whole.lines["item"].isin(list(S.PRICED_SHARE_LINES.values())).any()


def test_a_volume_scenario_says_the_share_of_the_contacts_it_prices_and_whether_it_adds_them():
    # 1,500 of 15,000 inbound contacts in channels without a price: a volume change prices the
    # others only. Only the FCR and containment levers' savings said which share they left out;
    # a volume increase adds those contacts (a cost), it does not avoid them
    from cxkit import cost_narrative
    from cxkit.figures import Judge

    class Results:  # the slice of a ResultSet the scenarios' sentence reads
        def __init__(self, frames: dict[str, pd.DataFrame]):
            self.frames, self.manifest = frames, {"currency": "GBP", "parameters": {}}
            columns = {c: {"mapped": True, "non_null": 10} for c in ("customer_id", "talk_s")}
            self.judge = Judge(None, {"contacts": {"rows": 10, "columns": columns}})

        def frame(self, name: str) -> pd.DataFrame | None:
            return self.frames[name].copy() if name in self.frames else None

    b = _baseline(inbound_not_priced=1_500)
    for change, verb in ((0.05, "adds"), (-0.05, "avoids")):
        res = S.run_scenarios(b, [Scenario(name="v", volume_change=change)], seed=3, draws=100)
        assert res.summary["priced_share_note"].iloc[0] == (
            "priced share 90.0% of the inbound contacts: those in channels without a price are kept out of the saving")
        period = pd.DataFrame({"days": [30]})
        text = str(cost_narrative.scenarios_reading(Results({**res.tables(), "data_period": period})))
        assert f"10.0% of the inbound contacts it {verb} are in channels without a price: kept out of its saving" \
            in text, text


def test_a_saving_without_a_price_is_not_priced_never_zero():
    # no hourly cost at all: the AHT change's hours cannot be priced -> NaN, and so the net
    b = _baseline(hourly_cost=None)
    lines = S.scenario_lines(CASE, b)
    assert np.isnan(_line(lines, "Saving from the AHT change"))
    assert np.isnan(_line(lines, "Net saving per year"))
    assert _line(lines, "Agent hours from the AHT change") == pytest.approx(-148.3333333)
    mc = S.monte_carlo(CASE, b, seed=1, draws=200).set_index("output")
    assert np.isnan(mc.loc["net_saving_year", "p50"]) and np.isnan(mc.loc["net_saving_year", "share_negative"])
    assert "agent hours not priced" in set(S.consistency_flags(CASE, b)["flag"])
    # the hourly cost's line said "given by the engagement" ("no cost.loaded_hourly_cost" names the key)
    unpriced = _baseline(hourly_cost=None, sources={"hourly_cost": "not available: no cost.loaded_hourly_cost and no "
                                                    "priced channel with handle time"})
    assert S.scenario_lines(CASE, unpriced).set_index("item").loc["Hourly cost of agent time", "source"] == "not priced"
    given = _baseline(sources={"hourly_cost": "cost.loaded_hourly_cost"})
    assert S.scenario_lines(CASE, given).set_index("item").loc["Hourly cost of agent time", "source"] == "engagement"
    # a scenario that moves no priced-by-the-hour lever is still priced: FCR +5 points
    fcr_only = Scenario(name="fcr", fcr_change=0.05)
    # 0.05 x 10,000 x 1.5 = 750 repeats x 5.00 = 3,750 per 30 days
    assert _line(S.scenario_lines(fcr_only, b), "Net saving (period)") == pytest.approx(3_750)
    # no inbound contact priced: a volume change saves a cost nobody priced -> not priced, not 0
    volume = Scenario(name="volume", volume_change=-0.05)
    unpriced = _baseline(inbound_cost=0.0, inbound_not_priced=15_000)
    assert np.isnan(_line(S.scenario_lines(volume, unpriced), "Saving from volume"))
    # 5% of the 60,000 cost of priced inbound contacts = 3,000 when they are priced
    assert _line(S.scenario_lines(volume, _baseline()), "Saving from volume") == pytest.approx(3_000)
    # no price for the repeats either: the FCR saving is not priced
    nothing = _baseline(repeat_price=None, hourly_cost=None)
    assert np.isnan(_line(S.scenario_lines(fcr_only, nothing), "Saving from avoided repeats"))


def test_agent_hours_without_handle_times_are_not_measured_never_zero():
    # an export without talk times read 0 min handle per avoided repeat: "Agent hours saved 0",
    # "FTE saved 0.00" for FCR +5 points, and 0 s for the handle time a transfer adds
    why = "the export has no talk (handling) times (contacts.talk_s)"
    b = _baseline(handle_times_not_measured=why)
    lines = S.scenario_lines(CASE, b)
    assert np.isnan(_line(lines, "Agent hours from avoided repeats"))
    assert "not measured" in lines.set_index("item").loc["Agent hours from avoided repeats", "formula"]
    # the AHT change's own hours need no measured handle time: -11,290 x 40 s / 3600 / 0.8
    assert np.isfinite(_line(lines, "Agent hours from the AHT change"))
    for item in ("Agent hours saved (period)", "Agent hours saved per year", "FTE saved"):
        assert np.isnan(_line(lines, item)), item
    # the FCR saving is priced per contact: measured; the AHT saving priced from measured hours
    assert _line(lines, "Saving from avoided repeats") == pytest.approx(_line(S.scenario_lines(CASE, _baseline()),
                                                                            "Saving from avoided repeats"))
    assert np.isfinite(_line(lines, "Net saving per year"))
    assert "agent hours not measured" in set(S.consistency_flags(CASE, b)["flag"])
    mc = S.monte_carlo(CASE, b, seed=1, draws=200).set_index("output")
    assert np.isnan(mc.loc["fte_saved", "p50"]) and np.isfinite(mc.loc["net_saving_year", "p50"])
    # fewer transfers: the handle time a transfer adds is not measured, nor the hours and their saving
    t = S.evaluate(Scenario(name="t", transfer_rate_to=0.08), b,
                   {"transfer_rate_to": 0.08, "repeats_per_unresolved": 1.5})
    assert np.isnan(float(t["hours_transfer_handle"])) and np.isnan(float(t["saving_transfer_handle"]))
    assert np.isnan(float(t["net_saving"]))
    # containment and volume: their contacts and savings are priced, their hours not measured
    c = S.evaluate(Scenario(name="c", containment_to=0.3), b, {"containment_to": 0.3})
    assert float(c["saving_containment"]) == pytest.approx(550) and np.isnan(float(c["hours_containment"]))
    v = S.evaluate(Scenario(name="v", volume_change=-0.05), b, {"volume_change": -0.05})
    assert float(v["net_saving"]) == pytest.approx(3_000) and np.isnan(float(v["agent_hours_saved"]))
    # an AHT change alone is measured through: 12,000 x 20 s / 3600 / 0.8 = 83.3 h
    a = S.evaluate(Scenario(name="a", aht_change_s=-20), b, {"aht_change_s": -20})
    assert float(a["agent_hours_saved"]) == pytest.approx(12_000 * 20 / 3600 / 0.8)
    # a lever that avoids nothing adds no hours, measured or not: 0, not unknown
    z = S.evaluate(Scenario(name="z", fcr_change=0.0), b, {"fcr_change": 0.0, "repeats_per_unresolved": 1.5})
    assert float(z["hours_fcr"]) == 0.0
    summary = S.run_scenarios(b, [CASE, Scenario(name="a", aht_change_s=-20)], seed=1, draws=100).summary
    rows = summary.set_index("scenario")
    assert rows.loc[S.PRACTICE_CASE, "hours_not_measured"] == why and pd.isna(rows.loc["a", "hours_not_measured"])


def test_containment_hours_without_an_agent_handled_inbound_contact_are_not_measured():
    # every inbound call abandoned (outbound calls still handled, so handle times exist): no AHT
    # of an agent's inbound contact. "x 0 s AHT / 3600 / occupancy = 0.0 h" read as measured
    b = _baseline(agent_aht_s=None)
    c = S.evaluate(Scenario(name="c", containment_to=0.3), b, {"containment_to": 0.3})
    assert float(c["saving_containment"]) == pytest.approx(550) and np.isnan(float(c["hours_containment"]))
    lines = S.scenario_lines(Scenario(name="c", containment_to=0.3), b).set_index("item")
    assert np.isnan(lines.loc["Agent hours from containment", "value"])
    formula = lines.loc["Agent hours from containment", "formula"]
    assert "not measured: no inbound contact handled by an agent" in formula
    # one question, one answer: evaluate and the line read the same property; without handle
    # times the line names that reason too (it read a bare "AHT (not measured)")
    assert not b.agent_aht_measured and _baseline().agent_aht_measured
    why = "the export has no talk (handling) times (contacts.talk_s)"
    untimed = _baseline(handle_times_not_measured=why)
    assert not untimed.agent_aht_measured and untimed.agent_aht_not_measured == why
    untimed_lines = S.scenario_lines(Scenario(name="c", containment_to=0.3), untimed).set_index("item")
    assert f"AHT (not measured: {why})" in untimed_lines.loc["Agent hours from containment", "formula"]


def test_a_lever_the_data_cannot_measure_is_not_worked_through_never_zero():
    # a four-day export: no eligible contact judged (FCR not measured) and no unresolved contact
    # followed; the FCR and transfer scenarios read "FCR before 0.0%", "0.000 repeats per
    # unresolved contact" and a net saving of 0 before
    b = _baseline(fcr=0.0, fcr_ci=(0.0, 0.0), fcr_judged=0, unresolved=0, chain_repeats=0,
                  repeats_per_unresolved=0.0, repeats_per_unresolved_ci=(0.0, 0.0))
    fewer_transfers = Scenario(name="transfers", transfer_rate_to=0.05)
    aht = Scenario(name="aht", aht_change_s=-20)
    r = S.run_scenarios(b, [CASE, fewer_transfers, aht], seed=1, draws=100)
    summary = r.summary.set_index("scenario")
    assert "FCR is not measured: no eligible contact could be judged" in summary.loc[S.PRACTICE_CASE, "not_measured"]
    assert "repeats that follow an unresolved contact are not measured" in summary.loc["transfers", "not_measured"]
    for name in (S.PRACTICE_CASE, "transfers"):
        assert summary.loc[name, list(S.OUTPUTS)].isna().all(), name  # no figure, not 0
        assert name not in set(r.lines["scenario"]) and name not in set(r.monte_carlo["scenario"])
    flags = r.flags[r.flags["severity"] == "not measured"]
    assert set(flags["scenario"]) == {S.PRACTICE_CASE, "transfers"}
    # a lever the data carries is still worked through
    assert pd.isna(summary.loc["aht", "not_measured"]) and summary.loc["aht", "agent_hours_saved_year"] > 0
    # FCR measured but no unresolved contact followed: the FCR lever cannot be linked to repeats either
    linked = _baseline(unresolved=0, chain_repeats=0, repeats_per_unresolved=0.0)
    assert S.unmeasured(CASE, linked).startswith("the repeats that follow an unresolved contact")
    assert S.unmeasured(CASE, _baseline()) is None


def test_a_column_null_in_every_row_is_stored_with_the_type_it_has_when_filled():
    # no scenario worked through: hours_not_measured and top_driver were stored as float64, and
    # the lines, Monte Carlo and tornado tables (no rows) as Parquet nulls; every scenario worked
    # through: not_measured and hours_not_measured as nulls. A pipeline reading two clients' runs
    # got a column whose type said whether this client's data happened to fill it
    import io

    import pyarrow.parquet as pq

    def stored(frame: pd.DataFrame) -> dict[str, str]:
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return {f.name: str(f.type) for f in pq.read_schema(buffer)}

    untimed = _baseline(repeat_handle_h=None, handle_times_not_measured="no talk times")
    not_linked = _baseline(unresolved=0, chain_repeats=0, repeats_per_unresolved=0.0)
    filled = S.run_scenarios(untimed, [Scenario(name="fcr", fcr_change=0.05), CASE], seed=1, draws=50).tables()
    assert filled["scenario_summary"]["hours_not_measured"].notna().all()
    worked = S.run_scenarios(_baseline(), [CASE], seed=1, draws=50).tables()
    none = S.run_scenarios(not_linked, [CASE], seed=1, draws=50).tables()
    assert none["scenario_lines"].empty and none["scenario_summary"]["hours_not_measured"].isna().all()
    assert worked["scenario_summary"][["not_measured", "hours_not_measured"]].isna().all().all()
    for name, frame in filled.items():
        assert stored(worked[name]) == stored(frame), name
        assert stored(none[name]) == stored(frame), name
    assert stored(none["scenario_summary"])["hours_not_measured"] == "large_string"
    assert stored(none["scenario_lines"])["value"] == "double"


def test_containment_the_export_cannot_give_is_not_worked_through():
    # a call log whose outcome map gives handled and abandoned only: containment read 0 of 3,650
    # "self-service entries", and "Containment +5 points" was priced on that 0%
    why = "the export has no code for a contained outcome (its value map gives abandoned, handled: ...)"
    b = _baseline(contained=0, containment_not_measured=why)
    more = Scenario(name="Containment +5 points", containment_to=0.05)
    assert S.unmeasured(more, b) == f"containment is not measured: {why}"
    assert S.unmeasured(Scenario(name="aht", aht_change_s=-20), b) is None
    r = S.run_scenarios(b, [more], seed=1, draws=50)
    assert r.summary.set_index("scenario").loc["Containment +5 points", list(S.OUTPUTS)].isna().all()
    assert S.unmeasured(more, _baseline()) is None


def test_agent_contacts_in_unpriced_channels_are_kept_out_of_the_containment_saving():
    # Seen: a quarter of the inbound contacts agents handled were in channels without a price, and
    # a contained entry was priced at the priced channels' mean: 132,594 a year where the priced
    # agent contacts alone give 99,518. Here g is a chat (no price): 5 of the 6 handled inbound
    # contacts (a, c, d, e, f) are priced voice, at 5.00
    rows = _chain_contacts().execute()
    rows.loc[rows.contact_id == "g", "channel"] = "chat"
    t = canonical_memtable("contacts", rows.to_dict("records"))
    cost = Cost(cost_per_contact={"voice": 5.0}, occupancy=0.8)
    b = S.measure_baseline(t, cost, C.channel_prices(t, cost), C.data_period(t), end_of_data=ts("2026-03-31 00:00"))
    assert b.agent_price == 5.0 and b.agent_priced_share == pytest.approx(5 / 6)
    assert "kept out of the saving" in b.sources["agent_price"]
    # (30% - 25%) x 2,000 entries = 100 agent contacts avoided, x (6.00 - 0.50) x 75% priced = 412.50,
    # not 550 (the unpriced quarter at the priced mean)
    more = Scenario(name="c", containment_to=0.3)
    lines = S.scenario_lines(more, _baseline(agent_priced_share=0.75)).set_index("item")
    assert lines.loc["Saving from containment", "value"] == pytest.approx(100 * 5.5 * 0.75)
    assert lines.loc["Share of those agent contacts in priced channels", "value"] == pytest.approx(0.75)
    assert "kept out of the saving" in lines.loc["Share of those agent contacts in priced channels", "formula"]
    assert "x 75.0% priced" in lines.loc["Saving from containment", "formula"]
    # every agent contact priced: no share line, the whole saving
    whole = S.scenario_lines(more, _baseline()).set_index("item")
    assert "Share of those agent contacts in priced channels" not in whole.index
    assert whole.loc["Saving from containment", "value"] == pytest.approx(550)


def test_containment_without_an_agent_price_is_not_priced_per_entry():
    lines = S.scenario_lines(Scenario(name="c", containment_to=0.3), _baseline(agent_price=None))
    assert np.isnan(_line(lines, "Saving per contained entry"))
    assert np.isnan(_line(lines, "Saving from containment"))
