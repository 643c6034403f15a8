"""The cost section's results (cxkit.results, section "cost") and how they are shown
(cxkit.cost_narrative), on a tiny engagement computed by hand.

The engagement (UTC; prices: voice 6.00 given, chat has no price and no hourly cost to derive
one, so chat is "not priced"; failure demand: LOGIN):

====  ========  =======  =========  ===================  ======  ========================
id    customer  channel  outcome    arrived - ended      reason  note
====  ========  =======  =========  ===================  ======  ========================
c1    k1        voice    handled    03-02 10:00-10:10    BILL
c2    k1        chat     handled    03-04 10:00-10:05    BILL    repeat of c1 (not priced)
c3    k1        voice    handled    03-05 09:00-09:10    BILL    repeat of c2
c4    k2        voice    handled    03-10 09:00-09:10    LOGIN
c5    k2        voice    abandoned  03-11 09:00-09:01    LOGIN   repeat of c4
c6    k3        voice    handled    03-20 09:00-09:10    LOGIN
c7    (none)    voice    handled    03-21 09:00-09:10    LOGIN   not identified
c8    k4        voice    handled    03-30 09:00-09:10    BILL    window open at the end
====  ========  =======  =========  ===================  ======  ========================

Data period 2 to 30 March: 29 days. Repeats c2, c3, c5: 3, of which c3 and c5 are priced:
repeat cost 2 x 6.00 = 12.00 for the period, 12 x 365 / 29 = 151.03 a year; c2 (chat) is
listed and kept out, never priced at 0.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cxkit.config import load_engagement
from cxkit.errors import ConfigError
from cxkit.pipeline import prepare_run
from cxkit.results import RESULTS, ResultSet, compute_results

ROWS = [
    ("c1", "k1", "voice", "handled", "2026-03-02 10:00:00", "2026-03-02 10:10:00", "600", "BILL"),
    ("c2", "k1", "chat", "handled", "2026-03-04 10:00:00", "2026-03-04 10:05:00", "300", "BILL"),
    ("c3", "k1", "voice", "handled", "2026-03-05 09:00:00", "2026-03-05 09:10:00", "600", "BILL"),
    ("c4", "k2", "voice", "handled", "2026-03-10 09:00:00", "2026-03-10 09:10:00", "300", "LOGIN"),
    ("c5", "k2", "voice", "abandoned", "2026-03-11 09:00:00", "2026-03-11 09:01:00", "", "LOGIN"),
    ("c6", "k3", "voice", "handled", "2026-03-20 09:00:00", "2026-03-20 09:10:00", "300", "LOGIN"),
    ("c7", "", "voice", "handled", "2026-03-21 09:00:00", "2026-03-21 09:10:00", "300", "LOGIN"),
    ("c8", "k4", "voice", "handled", "2026-03-30 09:00:00", "2026-03-30 09:10:00", "300", "BILL"),
]
COST_NAMES = [n for n, spec in RESULTS.items() if spec.section == "cost"]


def _engagement(folder: Path, **cost) -> Path:
    lines = ["id,cust,channel,outcome,start,end,talk,reason"] + [",".join(r) for r in ROWS]
    (folder / "contacts.csv").write_text("\n".join(lines) + "\n")
    fmt = "%Y-%m-%d %H:%M:%S"
    spec = {
        "name": "t", "client": "T", "period": {"start": "2026-03-01", "end": "2026-03-31"}, "timezone": "UTC",
        "sources": {"contacts": {"path": "contacts.csv", "columns": {
            "contact_id": "id", "customer_id": "cust", "channel": "channel", "direction": {"constant": "inbound"},
            "outcome": "outcome", "arrived_at": {"column": "start", "format": fmt},
            "ended_at": {"column": "end", "format": fmt}, "talk_s": "talk", "contact_reason": "reason"}}},
        "resolution": {"min_n": 1},
        "cost": {"cost_per_contact": {"voice": 6.0}, "failure_demand_reasons": ["LOGIN"], "monte_carlo_draws": 200,
                 **cost},
    }
    (folder / "engagement.yaml").write_text(yaml.safe_dump(spec))
    return folder / "engagement.yaml"


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> ResultSet:
    folder = tmp_path_factory.mktemp("cost")
    path = _engagement(folder)
    prepare_run(path, folder / "run")
    return ResultSet.load(folder / "run", load_engagement(path))


def test_period_and_prices(results):
    period = results.row("data_period")
    assert (period["first_date"], period["last_date"], period["days"]) == ("2026-03-02", "2026-03-30", 29)
    prices = results.frame("channel_prices").set_index("channel")
    assert (prices.loc["voice", "basis"], prices.loc["voice", "cost_per_contact"]) == ("given", 6.0)
    # chat: no price, no hourly cost -> not priced, and no price at all (not 0)
    assert prices.loc["chat", "basis"] == "not priced"
    assert prices.loc["chat", "cost_per_contact"] != prices.loc["chat", "cost_per_contact"]  # NaN


def test_repeat_cost_by_hand(results):
    total = results.row("repeat_cost_total")
    # repeats c2 (chat), c3, c5 (voice): 2 priced x 6.00 = 12.00; 12 x 365 / 29
    assert (total["repeats"], total["priced_repeats"], total["not_priced_repeats"]) == (3, 2, 1)
    assert total["repeat_cost"] == pytest.approx(12.0)
    assert total["repeat_cost_annualised"] == pytest.approx(12.0 * 365 / 29)
    assert (total["not_priced_channels"], total["price_basis"]) == ("chat", "given")
    channel = results.frame("repeat_cost_by_channel").set_index("channel")
    assert channel.loc["voice", "repeat_cost"] == pytest.approx(12.0)
    assert channel.loc["chat", "repeats"] == 1 and channel.loc["chat", "basis"] == "not priced"
    assert channel.loc["chat", "repeat_cost"] != channel.loc["chat", "repeat_cost"]  # NaN, not 0
    reason = results.frame("repeat_cost_by_reason").set_index("contact_reason")
    # BILL: c2 (chat, not priced) and c3 (6.00); LOGIN: c5 (6.00)
    assert (reason.loc["BILL", "repeats"], reason.loc["BILL", "not_priced_repeats"]) == (2, 1)
    assert reason.loc["BILL", "repeat_cost"] == pytest.approx(6.0)
    assert reason.loc["LOGIN", "repeat_cost"] == pytest.approx(6.0)
    # no queue or team in the export: the tables exist and their figures read not measured
    assert results.judge.not_measured("repeat_cost_by_team").startswith("not measured")


def test_failure_demand_and_the_avoidable_total(results):
    fd = results.frame("failure_demand").set_index("contact_reason")
    # LOGIN: c4, c5, c6, c7 (identified or not) x 6.00 = 24.00; c5 is also a repeat (6.00)
    assert list(fd.index) == ["LOGIN"]
    assert (fd.loc["LOGIN", "inbound"], fd.loc["LOGIN", "failure_demand_cost"]) == (4, 24.0)
    assert (fd.loc["LOGIN", "repeat_overlap"], fd.loc["LOGIN", "repeat_overlap_cost"]) == (1, 6.0)
    total = results.row("avoidable_cost")
    # 12.00 repeat cost + 24.00 failure demand - 6.00 counted in both = 30.00
    assert total["avoidable_cost"] == pytest.approx(30.0)
    assert total["avoidable_cost_annualised"] == pytest.approx(30.0 * 365 / 29)


def test_failure_demand_in_channels_without_a_price_is_not_priced_not_zero(tmp_path_factory):
    # voice is the only priced channel and the reason tagged as failure demand is c2's alone, a
    # chat (a repeat of c1): failure demand wholly in a channel without a price. It read "costing
    # 0.00", "already in the repeat cost (0.00)" and a bridge adding "+ failure demand cost 0.00"
    from cxkit import cost_narrative

    folder = tmp_path_factory.mktemp("fd_unpriced")
    path = _engagement(folder, failure_demand_reasons=["CHATONLY"])
    (folder / "contacts.csv").write_text((folder / "contacts.csv").read_text().replace(
        "c2,k1,chat,handled,2026-03-04 10:00:00,2026-03-04 10:05:00,300,BILL",
        "c2,k1,chat,handled,2026-03-04 10:00:00,2026-03-04 10:05:00,300,CHATONLY"))
    prepare_run(path, folder / "run")
    r = ResultSet.load(folder / "run", load_engagement(path))
    total = r.row("avoidable_cost")
    assert pd.isna(total["failure_demand_cost"]) and pd.isna(total["repeat_overlap_cost"])
    # the repeat cost alone (c3, c5 x 6.00): c2, a repeat in chat, is in neither priced figure
    assert total["avoidable_cost"] == pytest.approx(12.0)
    text = str(cost_narrative.failure_demand_reading(r))
    assert "1 inbound contact had these reasons (measured), none of them in a channel with a price, so their " \
           "cost is not priced (never 0)." in text, text
    assert "0.00" not in text and "counting them once" not in text
    bridge = str(cost_narrative.avoidable_bridge(r))
    assert "failure-demand contacts are all in channels without a price" in bridge and "0.00" not in bridge


def test_cost_per_resolved_issue_by_hand(results):
    issues = results.frame("cost_per_resolved_issue").set_index("first_reason")
    # LOGIN: k2's journey (c4, c5) and k3's (c6): 3 contacts x 6.00 = 18.00 for 2 resolved issues
    assert issues.loc["LOGIN", "cost_per_resolved_issue"] == pytest.approx(9.0)
    assert issues.loc["LOGIN", "cost_per_contact"] == pytest.approx(6.0)
    assert issues.loc["LOGIN", "contacts_per_issue"] == pytest.approx(1.5)
    # BILL: k1's journey has the unpriced chat contact: not priced whole; k4's is still open
    assert (issues.loc["BILL", "judged_journeys"], issues.loc["BILL", "not_priced_journeys"]) == (1, 1)
    assert issues.loc["BILL", "cost_per_resolved_issue"] != issues.loc["BILL", "cost_per_resolved_issue"]
    every = issues.loc["all reasons"]
    assert (every["judged_journeys"], every["priced_journeys"], every["not_priced_journeys"]) == (3, 2, 1)
    assert every["cost_per_resolved_issue"] == pytest.approx(9.0)
    assert list(issues.index)[-1] == "all reasons"


def test_scenarios_record_their_seed_and_draws(results):
    summary = results.frame("scenario_summary")
    assert "FCR 62% to 73% with AHT +40 s (practice case)" in set(summary["scenario"])
    mc = results.frame("scenario_monte_carlo")
    assert set(mc["seed"]) == {20260301} and set(mc["draws"]) == {200}
    manifest = json.loads((results.run_dir / "results" / "manifest.json").read_text())
    assert (manifest["parameters"]["seed"], manifest["parameters"]["monte_carlo_draws"]) == (20260301, 200)
    lines = results.frame("scenario_lines")
    assert set(lines["source"]) <= {"measured", "engagement", "scenario", "computed"}


def test_no_intervals_no_capacity_results(results):
    for name in ("forecast_accuracy", "forecast_dayparts", "staffing_summary", "service_level_by_gap"):
        assert results.why_absent(name) == "the engagement has no intervals source (sources.intervals)"
    from cxkit import cost_narrative

    assert "has no WFM intervals source" in str(cost_narrative.capacity_reading(results))


def test_results_without_legs_name_the_contacts_grain_not_a_legs_source(results):
    # legs are no source of their own: 'sources.legs' is a key the configuration refuses
    for name in ("transfer_ping_pong", "transfer_chains"):
        assert results.why_absent(name) == ("the contacts export has one row per contact, not one per transfer "
                                            "leg (sources.contacts.grain: leg)")


def test_reusing_the_runs_intermediates_changes_no_number(results, tmp_path):
    # the cost results alone (every intermediate computed afresh) equal those of the full run
    # (repeat counts from the shared flags, FCR by reason and repeats after a transfer from the
    # resolution results)
    from cxkit.session import Session

    alone = compute_results(Session(results.engagement), tmp_path, names=COST_NAMES)
    for name in COST_NAMES:
        a, b = alone.frame(name), results.frame(name)
        if a is None:
            assert b is None, name
            continue
        assert a.astype(str).values.tolist() == b.astype(str).values.tolist(), name


def test_a_channel_without_a_price_shows_not_priced_and_stays_out_of_totals(results):
    from cxkit import cost_narrative

    prices = results.table("channel_prices", columns={"channel": "Channel", "cost_per_contact": "Cost per contact",
                                                      "source": "Where the price comes from"})._repr_html_()
    chat = prices.split(">chat<")[1].split("</tr>")[0]
    assert "not priced" in chat and "0.00" not in chat
    by_channel = results.table("repeat_cost_by_channel", columns={"channel": "Channel", "repeats": "Repeats",
                                                                  "basis": "Price", "repeat_cost": "Cost"},
                               formats={"repeat_cost": cost_narrative.money_format(results)})._repr_html_()
    chat = by_channel.split(">chat<")[1].split("</tr>")[0]
    assert "not priced" in chat and "$0.00" not in chat
    cards = cost_narrative.repeat_cost_cards(results)
    assert cards[0]["value"] == "$12.00"  # the total leaves chat's repeat out
    assert "1 in channels without a price (chat)" in cards[2]["detail"]
    reading = str(cost_narrative.repeat_cost_reading(results))
    assert "1 repeat contact in chat has no price" in reading and "not priced at 0" in reading


def test_summary_card_and_finding(results):
    from cxkit.summary import headlines

    page = headlines(results)
    card = next(c for c in page.cards if c["label"] == "Repeat contacts cost (29 days)")
    assert card["value"] == "$12.00" and card["figure"] == "repeat_cost"
    assert "$151 a year (extrapolated)" in card["detail"]
    assert "prices given by the engagement, not measured" in card["detail"]
    finding = next(f for f in page.findings if f.startswith("Repeat contacts cost"))
    assert "29 days" in finding and "extrapolation" in finding and "1 repeat contact" in finding


def test_the_summary_cost_card_says_which_repeats_it_leaves_unpriced(results):
    # the card read "$12.00 ... prices given by the engagement" and only the sentence under it
    # said that c2 (chat, no price) was left out: the caveat belongs on the figure it lowers
    from cxkit import cost_narrative

    card, _ = cost_narrative.headline(results)
    assert "1 of 3 repeats in channels without a price (chat) kept out, not priced at 0" in card["detail"]


def test_a_scenario_saving_says_which_share_of_its_contacts_has_no_price(results):
    # the repeats an FCR gain avoids, weighted by the chains they are in: c2 (chat, no price) 1,
    # c3 2 (after c1 and c2), c5 1 (after c4): 1 of 4 unpriced, kept out of the saving. Only a
    # line of the arithmetic said so, not the sentence quoting the saving
    from cxkit import cost_narrative

    lines = results.frame("scenario_lines").set_index(["scenario", "item"])
    case = "FCR 62% to 73% with AHT +40 s (practice case)"
    assert lines.loc[(case, "Share of those repeats in priced channels"), "value"] == pytest.approx(0.75)
    text = str(cost_narrative.scenarios_reading(results))
    assert "25.0% of the repeats it avoids are in channels without a price: kept out of its saving" in text, text


def test_each_scenario_saving_in_the_table_carries_its_priced_share(results, tmp_path_factory):
    # the summary table's "Net saving a year" carried no note while the FCR scenarios leave out
    # the 1 of 4 repeats in chat (no price) and "Volume -5%" the 1 of 8 inbound contacts (c2): the
    # sentence named it for the practice case alone. Each row now says it beside its saving
    from cxkit import cost_narrative

    notes = results.frame("scenario_summary").set_index("scenario")["priced_share_note"]
    repeats = "priced share 75.0% of the repeats: those in channels without a price are kept out of the saving"
    assert notes["FCR +5 points"] == repeats and notes["FCR 62% to 73% with AHT +40 s (practice case)"] == repeats
    assert notes["Volume -5%"] == ("priced share 87.5% of the inbound contacts: those in channels without a price are "
                                   "kept out of the saving")
    # an AHT change is priced by the hour, not by channel; a scenario not worked through has no saving
    assert notes[["AHT -20 s", "Transfers down by a quarter", "Containment +5 points"]].isna().all()
    table = str(cost_narrative.scenario_table(results))
    assert "'Net saving a year', 'P10', 'P90', 'Contacts without a price'" in table, table
    assert re.search(rf"\('FCR \+5 points', [^)]*'{repeats}'", table), table
    assert "priced share" not in re.search(r"\('AHT -20 s', [^)]*\)", table).group(0)
    details = str(cost_narrative.scenario_details(results))
    assert f"P{repeats[1:]}." in details  # under the scenario's Monte Carlo range of its net saving
    assert "87.5% of the inbound contacts" in details
    # results stored before the summary had the column (the same format: an added column a reader
    # can do without keeps it, results.FORMAT) are read, not computed again; the table and the
    # details take it from the share lines
    from cxkit.results import _has_results

    folder = tmp_path_factory.mktemp("older")
    shutil.copytree(results.run_dir, folder / "run")
    stored = folder / "run" / "results" / "scenario_summary.parquet"
    pd.read_parquet(stored).drop(columns="priced_share_note").to_parquet(stored, index=False)
    assert _has_results(folder / "run", results.engagement)
    older_run = ResultSet.load(folder / "run", results.engagement)
    older = str(cost_narrative.scenario_table(older_run))
    assert re.search(rf"\('FCR \+5 points', [^)]*'{repeats}'", older), older
    assert f"P{repeats[1:]}." in str(cost_narrative.scenario_details(older_run))


def test_scenario_savings_with_every_contact_priced_carry_no_priced_share(tmp_path_factory):
    # chat priced too: nothing is kept out, and no row, box or sentence says so
    from cxkit import cost_narrative

    folder = tmp_path_factory.mktemp("all_priced")
    path = _engagement(folder, cost_per_contact={"voice": 6.0, "chat": 3.0})
    prepare_run(path, folder / "run")
    r = ResultSet.load(folder / "run", load_engagement(path))
    summary = r.frame("scenario_summary")
    assert summary["net_saving_year"].notna().any() and summary["priced_share_note"].isna().all()
    # stored as text all the same (it was Parquet's null type): its type does not say the data
    import pyarrow.parquet as pq

    schema = pq.read_schema(r.run_dir / "results" / "scenario_summary.parquet")
    assert str(schema.field("priced_share_note").type) == "large_string"
    assert "Contacts without a price" not in str(cost_narrative.scenario_table(r))
    shown = str(cost_narrative.scenario_details(r)) + str(cost_narrative.scenarios_reading(r))
    assert "priced share" not in shown and "without a price" not in shown


def test_derived_prices_carry_the_aht_caveat(tmp_path):
    # no price for voice, an hourly cost instead: voice is derived from its AHT; the export
    # has no hold or after-contact work, and the card says so beside the derived price
    from cxkit.session import Session

    path = _engagement(tmp_path, cost_per_contact={}, loaded_hourly_cost=36.0, occupancy=0.8)
    e = load_engagement(path)
    # the caveat comes from the export's coverage (no hold, no ACW): no readiness run needed
    compute_results(Session(e), tmp_path / "run", names=["data_period", "channel_prices", "repeat_cost_total",
                                                         "repeat_cost_by_channel"])
    r = ResultSet.load(tmp_path / "run", e)
    prices = r.frame("channel_prices").set_index("channel")
    # voice AHT over handled calls: (600 + 600 + 300 + 300 + 300 + 300) / 6 = 400 s = 6:40;
    # 400 / 3600 x 36 / 0.8 = 5.00; chat 300 s -> 3.75
    assert prices.loc["voice", "cost_per_contact"] == pytest.approx(5.0)
    assert prices.loc["voice", "source"] == "derived from AHT 6:40 at 36.00/h and 80% occupancy"
    from cxkit import cost_narrative

    card, _ = cost_narrative.headline(r)
    assert card["figure"] == "repeat_cost_derived"
    html = r.cards([card])._repr_html_()
    assert "leaves out hold times, after-contact work times" in html
    assert "the only measured input to the price" in card["detail"]
    # the rows priced with a derived price are marked with the caveat in the tables too
    shown = r.table("repeat_cost_by_channel", columns={"channel": "Channel", "repeat_cost": "Cost"})._repr_html_()
    assert "Cost per contact derived from AHT: leaves out hold times" in shown


def test_an_unknown_reason_stops_the_run_before_anything_is_computed(tmp_path):
    path = _engagement(tmp_path, failure_demand_reasons=["LOGN"],
                       scenarios=[{"name": "billing", "fcr_change": 0.05, "reasons": ["BIL"]}])
    with pytest.raises(ConfigError) as err:
        prepare_run(path, tmp_path / "run")
    assert err.value.problems == [
        "cost.failure_demand_reasons: 'LOGN' is not a contact_reason or reason_family in the data; did you mean "
        "'LOGIN'?",
        "cost.scenarios.0.reasons ('billing'): 'BIL' is not a contact_reason or reason_family in the data; did you "
        "mean 'BILL'?",
    ]
    assert not (tmp_path / "run" / "readiness.json").exists() and not (tmp_path / "run" / "results").exists()


def test_nothing_priced_reads_not_priced_everywhere(tmp_path):
    # no price and no hourly cost at all: the repeats are counted, their cost is not priced
    from cxkit import cost_narrative
    from cxkit.session import Session

    path = _engagement(tmp_path, cost_per_contact={})
    e = load_engagement(path)
    compute_results(Session(e), tmp_path / "run", names=["data_period", "channel_prices", "repeat_cost_total",
                                                         "repeat_cost_by_channel"])
    r = ResultSet.load(tmp_path / "run", e)
    total = r.row("repeat_cost_total")
    assert (total["repeats"], total["priced_repeats"], total["not_priced_channels"]) == (3, 0, "chat, voice")
    assert total["repeat_cost"] != total["repeat_cost"]  # NaN, never 0
    card, finding = cost_narrative.headline(r)
    assert card["value"] == "not priced" and "cost.cost_per_contact" in card["detail"]
    assert finding.startswith("The 3 repeat contacts of the 29 days could not be priced")
    assert "None of them can be priced" in str(cost_narrative.repeat_cost_reading(r))


def test_cost_per_resolved_issue_says_why_it_is_not_available(tmp_path):
    # the page said "No judged journey could be priced whole" when no journey was judged at all
    from cxkit import cost_narrative
    from cxkit.session import Session

    def reading(folder: Path, period: dict | None = None, **cost) -> str:
        folder.mkdir()
        path = _engagement(folder, **cost)
        if period:
            spec = yaml.safe_load(path.read_text())
            path.write_text(yaml.safe_dump({**spec, "period": period}))
        e = load_engagement(path)
        compute_results(Session(e), folder / "run", names=["data_period", "channel_prices", "cost_per_resolved_issue"])
        return str(cost_narrative.cost_per_issue_reading(ResultSet.load(folder / "run", e)))

    # no price: k1's, k2's and k3's journeys are judged (k4's is open at the end), none priced
    assert ("None of the 3 judged journeys could be priced whole (each has a contact in a channel without a price)"
            in reading(tmp_path / "unpriced", cost_per_contact={}))
    # 25-31 March: c8 alone, its window open at the end of data (its own arrival): nothing judged
    text = reading(tmp_path / "short", {"start": "2026-03-25", "end": "2026-03-31"})
    assert ("No journey could be judged: each was still open when the data ended (a journey is judged once the "
            "7-day repeat window after its last contact has closed)") in text
    assert "priced whole" not in text


def test_the_cost_per_issue_table_shows_no_column_without_a_value_and_flags_in_words(tmp_path):
    # no price: no issue is priced, so the cost columns are null in every row; stored with one
    # type whatever the data (float64), they showed as three columns of "–" under the sentence
    # saying why, and the nullable flag "too few to rank" read True where a reader sees yes
    from cxkit import present
    from cxkit.session import Session

    e = load_engagement(_engagement(tmp_path, cost_per_contact={}))
    compute_results(Session(e), tmp_path / "run", names=["data_period", "channel_prices", "cost_per_resolved_issue"])
    r = ResultSet.load(tmp_path / "run", e)
    html = present.table(r, "cost_per_resolved_issue", columns={
        "first_reason": "First reason", "priced_resolved_journeys": "Resolved issues priced",
        "cost_per_contact": "Cost per contact", "cost_per_resolved_issue": "Cost per resolved issue",
        "not_priced_journeys": "Issues not priced", "suppressed": "Too few to rank"})._repr_html_()
    assert "Resolved issues priced" in html and "Issues not priced" in html
    assert "Cost per resolved issue" not in html and "Cost per contact" not in html
    assert ">yes<" in html and ">True<" not in html and ">False<" not in html


def test_the_repeats_of_the_first_window_are_a_floor_said_beside_share_and_cost(results):
    # a contact of the data's first 7 days (the first arrival, c1 on 2 March 10:00, to 9 March
    # 10:00) cannot be seen repeating an earlier one: c1, c2, c3 arrive then (c2 and c3 repeats: 2
    # of 3); after them c4, c5, c6, c8 (c5 a repeat: 1 of 4; c7 has no customer id). The report
    # never said the share was a floor. The contacts start on 2 March, after the period does (1
    # March): the words say where the window starts
    from cxkit import cost_narrative, narrative
    from cxkit.display import escape_markdown
    from cxkit.summary import headlines

    edge = results.frame("repeat_share_edge").set_index("part")
    assert edge.loc["first window", ["numerator", "denominator"]].tolist() == [2, 3]
    assert edge.loc["after the first window", ["numerator", "denominator"]].tolist() == [1, 4]
    floor = ("a floor: a contact in the first 7 days of the data (the contacts start on 2026-03-02) cannot be seen "
             "repeating an earlier one (66.7% of its 3 inbound contacts counted as repeats, against 25.0% of the 4 "
             "after it)")
    assert narrative.repeat_share_floor(results) == floor
    assert f"The count of repeats, and so their cost, is {floor}." in str(cost_narrative.repeat_cost_reading(results))
    assert ("The total counted once is a floor, as the repeat cost is: the data's first 7 days see no earlier "
            "contact.") in str(cost_narrative.failure_demand_reading(results))
    assert "Repeat share counts a repeat only when the earlier contact is in the data" in str(
        narrative.repeat_share_edge(results))
    page = headlines(results)
    card = next(c for c in page.cards if c["figure"] == "repeat_share")
    assert card["detail"] == ("3 of 7 contacts from identified customers; a floor (the data's first 7 days see no "
                              "earlier contact)")
    # the cost card sits beside it and the repeats it prices are the same floor
    cost = next(c for c in page.cards if c["figure"] in ("repeat_cost", "repeat_cost_derived"))
    assert cost["detail"].endswith("; a floor (the data's first 7 days see no earlier contact)")
    assert any(f.endswith(f"The share is {escape_markdown(floor)}.") for f in page.findings)
    # and the balanced scorecard, which placed the share against its range as if it were whole
    row = results.frame("scorecard").set_index("metric").loc["repeat_share"]
    # a floor above the range is not placed below its top; but 3 of 7 (95% CI 15.8%-75.0%) reaches
    # into the range: not distinguishable from it (a floor lowers the figure, not its uncertainty)
    assert (row["value_text"], row["status"]) == ("42.9% (a floor)", "not distinguishable from")
    assert str(narrative.scorecard_floors(results)) == (
        f"The repeat share is {floor}. A floor is placed against its range only when it is already above it. In the "
        f"journey measures, {narrative.journey_edge_clause(results)}.")


def test_journeys_under_way_when_the_period_began_are_said_beside_the_journey_figures(results):
    # journeys: k1's c1-c3 (begins 2 March, in the period's first 7 days), k2's c4-c5, k3's c6
    # and k4's c8 (after them); c7 has no customer id. k1's journey may continue one begun before
    # 1 March, which this data cannot show: the report counted it as a journey of its own unsaid
    from cxkit import cost_narrative, narrative

    edge = results.frame("journey_edge").set_index("part")
    assert edge.loc["first window", ["journeys", "contacts"]].tolist() == [1, 3]
    assert edge.loc["after the first window", ["journeys", "contacts"]].tolist() == [3, 4]
    clause = ("a journey under way when the data began is counted from its first contact in the data (1 of the 4 "
              "journeys began in the first 7 days of the data (the contacts start on 2026-03-02), where that can "
              "happen)")
    assert narrative.journey_edge_clause(results) == clause
    assert str(narrative.journey_edge(results)) == (
        "A journey under way when the data began is counted from its first contact in the data, as a journey of "
        "its own: the contacts before the export starts are not in this data. 1 of the 4 journeys (25.0%) began in "
        "the first 7 days of the data (the contacts start on 2026-03-02), where that can happen. Such a journey is "
        "part of an earlier one: where there are any, there are fewer journeys than counted here, each with more "
        "contacts, channel switches and repeat authentications.")
    assert str(cost_narrative.cost_per_issue_reading(results)).endswith(
        f"An issue is a journey, and {clause}: such an issue is priced on its contacts in the period only.")
    # the scorecard's journey rows (repeat authentication is not mapped; channel switches are)
    assert str(narrative.scorecard_floors(results)).endswith(f"In the journey measures, {clause}.")


def test_a_period_no_longer_than_the_window_is_a_floor_of_unknown_size(tmp_path):
    # 1-5 March (c1, c2, c3) with a 7-day window: no part of the period sees a whole window back;
    # the sentence spoke of "the period's first 7 days" of a 5-day period
    from cxkit import narrative
    from cxkit.summary import headlines

    path = _engagement(tmp_path, failure_demand_reasons=[])  # LOGIN's contacts are after 5 March
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()),
                                    "period": {"start": "2026-03-01", "end": "2026-03-05"}}))
    prepare_run(path, tmp_path / "run")
    r = ResultSet.load(tmp_path / "run", load_engagement(path))
    assert r.frame("repeat_share_edge")["part"].tolist() == ["first window"]
    assert narrative.repeat_share_floor(r) == ("a floor: the period is no longer than the 7-day repeat window, so none "
                                               "of its contacts can be seen repeating one before the period")
    text = str(narrative.repeat_share_edge(r))
    assert "The period is no longer than the 7-day repeat window" in text and "first 7 days" not in text
    card = next(c for c in headlines(r).cards if c["figure"] == "repeat_share")
    assert card["detail"] == ("2 of 3 contacts from identified customers; a floor (the period is no longer than the "
                              "7-day window: no contact of it sees a whole window back)")
    # k1's one journey (c1-c3) is the period's only one: it may continue one begun before it
    assert narrative.journey_edge_clause(r) == (
        "a journey under way when the period began is counted from its first contact in it, and the period is no "
        "longer than the 7-day repeat window: its only journey may be one")


def _run_without(tmp_path_factory, column: str, **cost) -> ResultSet:
    """The engagement run with one contacts column left unmapped."""
    folder = tmp_path_factory.mktemp(f"without_{column}")
    path = _engagement(folder, **cost)
    spec = yaml.safe_load(path.read_text())
    del spec["sources"]["contacts"]["columns"][column]
    path.write_text(yaml.safe_dump(spec))
    prepare_run(path, folder / "run")
    return ResultSet.load(folder / "run", load_engagement(path))


@pytest.fixture(scope="module")
def without_ids(tmp_path_factory) -> ResultSet:
    """The engagement with its customer ids left unmapped: no repeat can be measured."""
    return _run_without(tmp_path_factory, "customer_id")


def test_failure_demand_without_customer_ids_adds_up_nothing_it_cannot_measure(without_ids):
    # no customer ids, so no repeat is measured: the paragraph said "0 of them were also repeats,
    # already in the repeat cost (0.00): counting them once, repeat cost and failure demand together
    # come to" the failure demand alone, above a table whose repeat columns read "not measured".
    # LOGIN: c4, c5, c6, c7 x 6.00 = 24.00, identified or not
    from cxkit import cost_narrative

    text = str(cost_narrative.failure_demand_reading(without_ids))
    assert "4 inbound contacts had these reasons (measured), costing" in text and "24.00" in text, text
    assert ("Which of them were also repeats is not measured: the export has no customer identifiers "
            "(contacts.customer_id). Repeat cost and failure demand are therefore not added up here.") in text, text
    assert "also repeats, already" not in text and "counting them once" not in text


def test_scenarios_that_need_no_customer_are_worked_through_without_customer_ids(without_ids):
    # the scenarios read "What-if scenarios is not measured: the export has no customer
    # identifiers" as a whole; handle time and volume need none. Volume -5% of the 8 inbound
    # contacts: 0.4 avoided in the 29 days; the FCR and transfer scenarios say why in their row
    # (it was "no eligible contact could be judged (every one too recent, or none eligible)")
    from cxkit import cost_narrative

    assert without_ids.judge.not_measured("scenarios") is None
    rows = without_ids.frame("scenario_summary").set_index("scenario")
    assert rows.loc["Volume -5%", "contacts_avoided"] == pytest.approx(0.4)
    assert rows.loc["AHT -20 s", "agent_hours_saved"] > 0
    assert pd.isna(rows.loc["Volume -5%", "not_measured"]) and pd.isna(rows.loc["AHT -20 s", "not_measured"])
    why = "the export has no customer identifiers (contacts.customer_id)"
    assert rows.loc["FCR +5 points", "not_measured"] == f"FCR is not measured: {why}"
    # no transfer counts either: that reason comes first
    assert rows.loc["Transfers down by a quarter", "not_measured"] == (
        "the transfer rate is not measured: the export has no transfer counts (contacts.transfers)")
    assert pd.isna(rows.loc["FCR +5 points", "contacts_avoided"])
    assert f"not worked through on this data: FCR is not measured: {why}" in str(cost_narrative.scenarios_reading(
        without_ids))


def test_a_stored_result_whose_figure_is_not_measured_holds_no_number(without_ids):
    # without customer ids no repeat is measured and the report said so, but
    # repeat_cost_total.parquet held repeats 0 and repeat cost 0.00 under a manifest that said
    # nothing: a pipeline read them as measured. The period's days describe the row: kept; the
    # failure demand (no customer needed: LOGIN's four contacts x 6.00) is measured apart: kept
    why = "the export has no customer identifiers (contacts.customer_id)"
    total = without_ids.frame("repeat_cost_total").iloc[0]
    assert pd.isna(total["repeats"]) and pd.isna(total["repeat_cost"]) and pd.isna(total["repeat_cost_annualised"])
    assert total["period_days"] == 29
    said = without_ids.manifest["results"]["repeat_cost_total"]["not_measured"]
    assert said["*"] == why and said["repeat_cost"] == why
    avoidable = without_ids.frame("avoidable_cost").iloc[0]
    assert avoidable["failure_demand_cost"] == pytest.approx(24.0) and pd.isna(avoidable["repeat_cost"])
    assert "failure_demand_cost" not in without_ids.manifest["results"]["avoidable_cost"]["not_measured"]


@pytest.fixture(scope="module")
def without_reasons(tmp_path_factory) -> ResultSet:
    """The engagement with its contact reasons left unmapped (no reason tagged as failure demand)."""
    return _run_without(tmp_path_factory, "contact_reason", failure_demand_reasons=[])


def test_a_result_not_measured_in_store_is_still_read_by_the_results_computed_from_it(without_reasons):
    # FCR by reason is not measured without reasons: its stored numbers are null. The scenarios
    # take the eligible contacts from it (one row of contacts without a reason) and must still
    # work FCR +5 points through: nulled for them too, FCR read "no eligible contact could be judged"
    rows = without_reasons.frame("fcr_by_reason")
    assert rows["numerator"].isna().all() and rows["denominator"].isna().all()
    assert without_reasons.manifest["results"]["fcr_by_reason"]["not_measured"]["*"] == (
        "the export has no contact reasons (contacts.contact_reason)")
    scenario = without_reasons.frame("scenario_summary").set_index("scenario").loc["FCR +5 points"]
    assert pd.isna(scenario["not_measured"]) and scenario["contacts_avoided"] > 0


@pytest.fixture(scope="module")
def without_talk(tmp_path_factory) -> ResultSet:
    """The engagement with its talk times left unmapped (and an hourly cost given)."""
    return _run_without(tmp_path_factory, "talk_s", loaded_hourly_cost=30.0)


def test_scenario_hours_without_handle_times_are_not_measured(without_talk):
    # an export without talk times: "Agent hours saved 0" and "FTE saved 0.00" for FCR +5 points,
    # containment and volume, and the practice case "needs 0.48 more FTE" from its AHT change alone
    from cxkit import cost_narrative

    why = "the export has no talk (handling) times (contacts.talk_s)"
    rows = without_talk.frame("scenario_summary").set_index("scenario")
    for name in ("FCR +5 points", "Volume -5%"):
        assert pd.isna(rows.loc[name, "agent_hours_saved_year"]) and pd.isna(rows.loc[name, "fte_saved"]), name
        assert rows.loc[name, "hours_not_measured"] == why
    # the FCR saving is priced per contact: measured; the volume's contacts counted
    assert rows.loc["FCR +5 points", "net_saving_year"] > 0
    assert rows.loc["Volume -5%", "contacts_avoided"] == pytest.approx(0.4)
    # an AHT change needs no measured handle time: 7 handled contacts x 20 s / 3600 / 0.8 occupancy
    assert rows.loc["AHT -20 s", "agent_hours_saved"] == pytest.approx(7 * 20 / 3600 / 0.8)
    assert pd.isna(rows.loc["AHT -20 s", "hours_not_measured"])
    text = str(cost_narrative.scenarios_reading(without_talk))
    assert f"its agent hours and FTE are not measured ({why})" in text, text
    assert "FTE and gives" not in text and "more FTE" not in text
    details = str(cost_narrative.scenario_details(without_talk))
    assert "nan" not in details.lower().replace("financ", "")


def test_a_scenario_text_column_null_in_every_row_is_stored_as_text(results, without_talk):
    # with talk times every scenario's hours are measured and hours_not_measured is null in every
    # row: it was stored as float64 (the store's text cleaning took the type pandas inferred from
    # the values) where the run without talk times stores its reasons as text
    import pyarrow.parquet as pq

    def stored(run: ResultSet) -> dict[str, str]:
        schema = pq.read_schema(run.run_dir / "results" / "scenario_summary.parquet")
        return {f.name: str(f.type) for f in schema}

    assert results.frame("scenario_summary")["hours_not_measured"].isna().all()
    assert without_talk.frame("scenario_summary")["hours_not_measured"].notna().any()
    timed, untimed = stored(results), stored(without_talk)
    assert timed["hours_not_measured"] == untimed["hours_not_measured"] == "large_string"
    assert timed == untimed


def test_a_stored_column_has_one_type_whatever_the_export_lacks(results, without_ids, without_reasons, without_talk):
    # four runs of this engagement, three with one field unmapped: 69 stored columns changed type
    # with the data (fcr_overall.numerator int64 here, float64 without customer ids; suppressed bool
    # here, of no type at all without them; below_min_n of no type in every run), so a pipeline
    # reading results/ got a schema that depended on the client's export
    from cxkit.results import STORED_TYPES
    from cxkit.testing import stored_schemas

    runs = {"all fields": results, "no customer ids": without_ids, "no reasons": without_reasons,
            "no talk times": without_talk}
    schemas = {label: stored_schemas(run.run_dir) for label, run in runs.items()}
    for label, schema in schemas.items():
        assert schema.keys() == schemas["all fields"].keys(), label
        for name, columns in schema.items():
            assert columns == schemas["all fields"][name], (label, name)
            assert "null" not in columns.values(), (label, name, columns)
    # as pandas reads them: nullable integers and yes/no, null where not measured
    measured, unmeasured = results.frame("fcr_overall"), without_ids.frame("fcr_overall")
    assert str(measured["numerator"].dtype) == str(unmeasured["numerator"].dtype) == "Int64"
    assert unmeasured["numerator"].isna().all() and measured["numerator"].notna().all()
    for label, run in runs.items():
        for name in schemas[label]:
            kinds = {c: str(t) for c, t in run.frame(name).dtypes.items()}
            assert {c: k for c, k in kinds.items() if k not in STORED_TYPES and not k.startswith("datetime64")} == {}, (
                label, name)
    assert str(without_ids.frame("cost_per_resolved_issue")["suppressed"].dtype) == "boolean"


def test_talk_times_missing_do_not_rate_a_repeat_cost_from_given_prices(without_talk):
    # the repeat cost priced from given prices said "Readiness rates the cost model blocked:
    # talk_s is not mapped": only prices derived from AHT (and the scenarios' hours) need it
    from cxkit import cost_narrative

    entry = without_talk.readiness["matrix"]["cost_model"]
    assert entry["verdict"] == "blocked" and "repeat_cost" in entry["spared"]
    _, finding = cost_narrative.headline(without_talk)
    assert "Repeat contacts cost" in finding and "Readiness rates the cost model" not in finding, finding


def test_failure_demand_without_contact_reasons_is_not_measured_not_a_stopped_run(tmp_path_factory):
    # an export without contact reasons and an engagement that tags LOGIN as failure demand: the
    # run stopped before anything was computed ("'LOGIN' is not a contact_reason ... known
    # reasons: none"); failure demand now reads not measured, with the reason, and the rest stands
    r = _run_without(tmp_path_factory, "contact_reason", failure_demand_reasons=["LOGIN"])
    assert r.judge.absent("failure_demand") == "the export has no contact reasons (contacts.contact_reason)"
    assert r.row("repeat_cost_total")["repeats"] == 3
    # a scenario scoped to reasons cannot be worked through: it still stops, saying what to do
    folder = tmp_path_factory.mktemp("scoped_without_reasons")
    path = _engagement(folder, scenarios=[{"name": "billing", "fcr_change": 0.05, "reasons": ["BILL"]}])
    spec = yaml.safe_load(path.read_text())
    del spec["sources"]["contacts"]["columns"]["contact_reason"]
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(ConfigError) as err:
        prepare_run(path, folder / "run")
    assert err.value.problems == [
        "cost.scenarios.0.reasons ('billing'): 'BILL' is not a contact_reason or reason_family in the data; no contact "
        "carries a reason (sources.contacts.columns.contact_reason is not mapped, or empty): map it, or remove the "
        "reasons"]


def test_a_suppressed_flag_not_stored_reads_as_suppressed(results):
    # a reason's "too few to rank" flag read back as missing (<NA>) raised in the reading of cost
    # per resolved issue ("boolean value of NA is ambiguous"): it reads as suppressed, as the
    # findings read it, never as a reason to rank
    from cxkit import cost_narrative

    class OneFlag:
        """The run's results with LOGIN's flag set to ``flag``."""

        def __init__(self, flag):
            self.flag = flag

        def __getattr__(self, name):
            return getattr(results, name)

        def frame(self, name):
            f = results.frame(name)
            if name == "cost_per_resolved_issue":
                flags = [self.flag if r == "LOGIN" else s for r, s in zip(f["first_reason"], f["suppressed"])]
                f = f.assign(suppressed=pd.array(flags, dtype="boolean"))
            return f

    # (LOGIN is the fixture's only reason priced whole: ranked or not, no reason is named)
    assert str(cost_narrative.cost_per_issue_reading(OneFlag(pd.NA))) == str(
        cost_narrative.cost_per_issue_reading(OneFlag(True)))
