"""The summary page: headline numbers read from the run's results, findings in words, caveats."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cxkit.pipeline import prepare_run
from cxkit.results import ResultSet
from cxkit.summary import headlines

ROWS = [
    # id, customer, start, end (UTC; the engagement's timezone is UTC)
    ("c1", "k1", "2026-03-02 10:00:00", "2026-03-02 10:10:00"),
    ("c2", "k1", "2026-03-04 10:00:00", "2026-03-04 10:05:00"),  # repeat of c1 (2 days later)
    ("c3", "k2", "2026-03-05 09:00:00", "2026-03-05 09:10:00"),
    ("c4", "k3", "2026-03-30 09:00:00", "2026-03-31 09:10:00"),  # end + 7 d is after the last arrival: censored
]


def _engagement(tmp_path: Path, extra_columns: dict | None = None) -> Path:
    lines = ["id,cust,start,end"] + [",".join(r) for r in ROWS]
    (tmp_path / "contacts.csv").write_text("\n".join(lines) + "\n")
    fmt = "%Y-%m-%d %H:%M:%S"
    spec = {
        "name": "t", "client": "T", "period": {"start": "2026-03-01", "end": "2026-03-31"}, "timezone": "UTC",
        "sources": {"contacts": {"path": "contacts.csv", "columns": {
            "contact_id": "id", "customer_id": "cust", "channel": {"constant": "voice"},
            "direction": {"constant": "inbound"}, "outcome": {"constant": "handled"},
            "arrived_at": {"column": "start", "format": fmt}, "ended_at": {"column": "end", "format": fmt},
            "answered_at": {"column": "start", "format": fmt}, "wait_s": {"constant": 10},
            **(extra_columns or {})}}},
    }
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(spec))
    return tmp_path / "engagement.yaml"


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> ResultSet:
    tmp_path = tmp_path_factory.mktemp("summary")
    path = _engagement(tmp_path)
    prepare_run(path, tmp_path / "run")
    from cxkit.config import load_engagement

    return ResultSet.load(tmp_path / "run", load_engagement(path))


def _with_readiness(results: ResultSet, readiness: dict | None) -> ResultSet:
    return ResultSet(results.run_dir, results.manifest, readiness, results.engagement)


def test_headline_numbers_by_hand(results):
    page = headlines(results)
    cards = {c["label"]: c for c in page.cards}
    # judged: c1 (repeated by c2), c2, c3; c4 censored -> FCR 2/3
    assert cards["First-contact resolution (7-day window)"]["value"] == pytest.approx(2 / 3)
    # inbound identified 4, of which c2 is a repeat -> 1/4
    assert cards["Repeat share of inbound contacts"]["value"] == pytest.approx(0.25)
    text = page.findings_markdown()
    # 3 contacts judged, under the minimum sample (30): not placed against the benchmark range
    assert "66.7%" in text and "too few contacts judged to place against a benchmark range (fewer than 30)" in text
    assert "70-79%" not in text and "1 contact too recent" in text
    # 1 repeat in the 29 days the contacts cover (2 to 30 March; the period has 31) -> 365 / 29 =
    # 12.6, about 13 a year, stated as an extrapolation: the days the cost figures count too
    assert "1 contact in 29 days of data, about 13 a year" in text and "x 365 / 29" in text
    assert "Repeat contacts cost (29 days)" in [c["label"] for c in page.cards]


@pytest.mark.parametrize("benchmark", [None, {"low": 0.5, "high": 0.6, "source": "client target 2026"}])
def test_fcr_is_placed_against_the_range_the_scorecard_uses(tmp_path, benchmark):
    # with a minimum sample of 2, the 3 judged contacts are placed: against SQM's 70-79%, or against
    # the range the engagement sets (the summary said SQM's whatever the engagement set). 2 of 3,
    # 66.7% (95% CI 20.8-93.9%), is outside both ranges, its interval in both: not distinguishable
    # from them (it read "below" and "above" on the point estimate)
    path = _engagement(tmp_path)
    spec = yaml.safe_load(path.read_text())
    spec["resolution"] = {"min_n": 2}
    if benchmark:
        spec["benchmarks"] = {"fcr": benchmark}
    path.write_text(yaml.safe_dump(spec))
    prepare_run(path, tmp_path / "run")
    from cxkit.config import load_engagement

    r = ResultSet.load(tmp_path / "run", load_engagement(path))
    text = headlines(r).findings_markdown()
    row = r.row("scorecard", metric="fcr")
    if benchmark is None:
        assert "66.7%" in text and "not distinguishable from the 70-79% range SQM Group reports as good" in text
        assert row["status"] == "not distinguishable from"
    else:
        assert ("not distinguishable from the benchmark range the engagement sets, 50.0%-60.0% (client target "
                "2026)") in text
        assert "SQM" not in text and row["status"] == "not distinguishable from"


def test_transfer_card_is_not_measured_when_the_export_has_no_transfers(results):
    # the export maps no transfer count: the card says so instead of "0.0% (0 of 4)"
    html = results.cards(headlines(results).cards)._repr_html_()
    card = html.split("Handled contacts transferred")[1].split("cxkit-card\"")[0]
    assert "not measured" in card and "transfer counts" in card
    assert "0.0%" not in card


def test_service_level_card_names_the_engagement_threshold_when_no_answer_times(tmp_path):
    # an export without answer or waiting times: no call offered to a queue, service level not
    # measured, and the card's threshold is the engagement's (it read "within nan s")
    path = _engagement(tmp_path)
    spec = yaml.safe_load(path.read_text())
    for column in ("answered_at", "wait_s"):
        del spec["sources"]["contacts"]["columns"][column]
    spec["operations"] = {"sl_seconds": {"default": 20, "voice": 30}}
    path.write_text(yaml.safe_dump(spec))
    prepare_run(path, tmp_path / "run")
    from cxkit.config import load_engagement

    r = ResultSet.load(tmp_path / "run", load_engagement(path))
    cards = headlines(r).cards
    labels = [c["label"] for c in cards]
    assert "Calls answered within 30 s" in labels and not any("nan" in label for label in labels)
    card = r.cards(cards)._repr_html_().split("Calls answered within 30 s")[1].split("cxkit-card\"")[0]
    assert "not measured" in card


def test_caveats_come_from_readiness(results):
    readiness = {"matrix": {"fcr_repeat": {"verdict": "degraded", "reason": "customer_id is 59% null"},
                            "aht": {"verdict": "ready", "reason": "fine"}}}
    assert headlines(_with_readiness(results, readiness)).caveats == [("degraded", "customer_id is 59% null")]
    assert headlines(_with_readiness(results, None)).caveats[-1][0] == "info"


def test_a_finding_about_a_blocked_figure_says_so_first(results):
    # the Genesys fixture: FCR blocked by a failing check, yet "First-contact resolution is 50.0%"
    # stood in the findings with nothing to say so (only its card and the caveat list did)
    reason = {"verdict": "blocked", "reason": "arrived_at is 11.1% null", "check": "contacts.arrived_at.not_null",
              "columns": ["contacts.arrived_at"]}
    readiness = {"matrix": {"fcr_repeat": {"verdict": "blocked", "reason": "arrived_at is 11.1% null",
                                           "reasons": [reason]}}}
    findings = headlines(_with_readiness(results, readiness)).findings
    fcr = next(f for f in findings if "First-contact resolution is" in f)
    assert fcr.startswith("Blocked by the data, not to be quoted until it is fixed (see the caveats below): ")
    assert all(not f.startswith("Blocked") for f in headlines(results).findings)  # ready: said as it is


def test_caveat_is_printed_in_the_card_it_affects(results):
    readiness = {"matrix": {"fcr_repeat": {"verdict": "degraded", "reason": "...", "reasons": [
        {"verdict": "degraded", "check": "contacts.customer_id.identified", "columns": ["contacts.customer_id"],
         "reason": "customer_id is 59% null"}]}}}
    r = _with_readiness(results, readiness)
    html = r.cards(headlines(r).cards)._repr_html_()
    fcr_card = html.split("First-contact resolution")[1].split("Calls answered")[0]
    assert "59% null" in fcr_card
    voice_card = html.split("Calls answered")[1]
    assert "59% null" not in voice_card


def test_a_card_prints_the_caveats_of_the_figures_its_detail_quotes(results):
    # the calls' card gives the abandon rate beside the service level: with queued marking every
    # contact (the generated month, queued: {constant: true}) the abandon rate read 5.5% against
    # 6.3% in the card with no caveat, as the card printed the service level's only
    readiness = {"matrix": {"service_level": {"verdict": "degraded", "reason": "...", "reasons": [
        {"verdict": "degraded", "check": "contacts.queued.not_contained", "columns": [],
         "figures": ["offered", "abandon_rate"], "reason": "queued marks every contact"}]}}}
    r = _with_readiness(results, readiness)
    card = {"label": "Average wait to answer", "figure": "asa", "value": 10, "format": "text",
            "detail": "abandon rate 5.5% of 5,173 calls offered"}  # asa: measured in this run
    assert "queued marks every contact" in r.cards([{**card, "quotes": ("abandon_rate",)}])._repr_html_()
    assert "queued marks every contact" not in r.cards([card])._repr_html_()
    # the summary's card names what its detail quotes
    voice = next(c for c in headlines(results).cards if c["label"].startswith("Calls answered"))
    offered = voice["detail"] is not None
    assert voice["quotes"] == ((("abandon_rate", "offered") if "abandon rate" in voice["detail"] else ("offered",))
                               if offered else ())


def test_caveats_render_as_one_html_block(results):
    # a list of boxes would reach the report as plain text and be dropped: one block it is
    readiness = {"matrix": {"fcr_repeat": {"verdict": "degraded", "reason": "customer_id is 59% null"},
                            "fcr_case": {"verdict": "blocked", "reason": "no cases source"}}}
    html = headlines(_with_readiness(results, readiness)).caveat_boxes()._repr_html_()
    assert html.count("cxkit-caveat") == 2 and "59% null" in html and "no cases source" in html
    assert "rated ready" in headlines(_with_readiness(results, {"matrix": {}})).caveat_boxes()._repr_html_()


def test_data_values_in_findings_cannot_become_links(tmp_path):
    # a contact reason written as Markdown stays text in the summary
    path = _engagement(tmp_path, {"contact_reason": {"constant": "[Verify](https://evil.example/login)"}})
    prepare_run(path, tmp_path / "run")
    page = headlines(ResultSet.load(tmp_path / "run"))
    from cxkit import display

    html = display.note(page.findings_markdown())._repr_html_()
    assert "<a " not in html and "href" not in html


def test_results_manifest_records_every_result(results):
    manifest = json.loads((results.run_dir / "results" / "manifest.json").read_text())
    assert manifest["results"]["fcr_overall"]["available"] is True
    # no legs, cases or surveys: said, not silently missing
    assert manifest["results"]["transfer_chains"] == {**manifest["results"]["transfer_chains"], "available": False}
    assert manifest["results"]["transfer_chains"]["why"] == (
        "the contacts export has one row per contact, not one per transfer leg (sources.contacts.grain: leg)")


def test_tables_keep_a_stated_row_order(results, tmp_path):
    # the same data computed again gives the same rows in the same order, table by table
    import pandas as pd

    import cxkit
    from cxkit.results import compute_results

    session = cxkit.open_engagement(results.run_dir.parent / "engagement.yaml")
    names = ["fcr_sensitivity", "recontact_curve", "repeat_after_transfer", "operations", "fcr_headline",
             "effort_parameters", "scorecard"]
    again = compute_results(session, tmp_path / "again", names=names)
    for name in names:
        pd.testing.assert_frame_equal(results.frame(name), again.frame(name), obj=name)


def test_a_gap_between_two_rates_is_said_in_points(tmp_path):
    # transferred 140 of 400 (35.0%) come back against 800 of 2,600 (30.8%): the gap is 4.2
    # percentage points. "difference 4.2%" would read as a relative change (4.2% of 30.8%)
    import pandas as pd

    from cxkit.config import load_engagement
    from cxkit.stats import wilson_bounds

    def rate(group: str, k: int, n: int) -> dict:
        lo, hi = wilson_bounds(k, n)
        return {"group": group, "numerator": k, "denominator": n, "rate": k / n, "ci_low": lo, "ci_high": hi}

    path = _engagement(tmp_path, {"transfers": {"constant": 0}})
    prepare_run(path, tmp_path / "run")
    results = ResultSet.load(tmp_path / "run", load_engagement(path))
    rows = [rate("transferred", 140, 400), rate("not transferred", 800, 2600),
            {"group": "difference", "numerator": None, "denominator": None, "rate": 140 / 400 - 800 / 2600,
             "ci_low": 0.003, "ci_high": 0.093}]
    frame = results.frame("repeat_after_transfer").iloc[:0]
    frame = pd.concat([frame, pd.DataFrame(rows).assign(window_days=7)]).astype(frame.dtypes.to_dict())
    frame.to_parquet(next((tmp_path / "run").rglob("repeat_after_transfer.parquet")), index=False)
    text = headlines(ResultSet.load(tmp_path / "run", results.engagement)).findings_markdown()
    assert ("Transferred contacts come back more often: 35.0% against 30.8% for contacts that were not "
            "transferred (a difference of 4.2 percentage points, 95% CI 0.3 to 9.3).") in text


def test_a_transfer_rate_without_handled_contacts_says_why_it_is_blank(tmp_path):
    # every call abandoned: no handled contact, so no transfer rate; the card showed a bare "–"
    from cxkit.config import load_engagement

    path = _engagement(tmp_path, {"outcome": {"constant": "abandoned"}, "transfers": {"constant": 0}})
    prepare_run(path, tmp_path / "run")
    page = headlines(ResultSet.load(tmp_path / "run", load_engagement(path)))
    card = next(c for c in page.cards if c["label"] == "Handled contacts transferred")
    assert pd.isna(card["value"]) and card["detail"] == "no contact was handled in the period"


def _by_reason_page(tmp_path: Path, rates: dict[str, tuple[int, int]]) -> str:
    """The summary's words over an FCR-by-reason table of ``{reason: (resolved, judged)}``."""
    import pandas as pd

    from cxkit.config import load_engagement
    from cxkit.stats import wilson_bounds

    path = _engagement(tmp_path, {"contact_reason": {"constant": "billing"}})
    prepare_run(path, tmp_path / "run")
    results = ResultSet.load(tmp_path / "run", load_engagement(path))
    frame = results.frame("fcr_by_reason")
    rows = [{"contact_reason": r, "numerator": k, "denominator": n, "rate": k / n,
             "ci_low": wilson_bounds(k, n)[0], "ci_high": wilson_bounds(k, n)[1], "suppressed": False}
            for r, (k, n) in rates.items()]
    new = pd.DataFrame([{**frame.iloc[0].to_dict(), **row} for row in rows]).astype(frame.dtypes.to_dict())
    new.to_parquet(next((tmp_path / "run").rglob("fcr_by_reason.parquet")), index=False)
    return headlines(ResultSet.load(tmp_path / "run", results.engagement)).findings_markdown()


def test_no_reason_is_named_weakest_when_every_reason_resolves_alike(tmp_path):
    # a month in which nothing repeats: every reason 100%; "weakest for ADDRESS_CHANGE" was
    # the alphabet's pick
    text = _by_reason_page(tmp_path, {"TECH_LOGIN": (80, 80), "ADDRESS_CHANGE": (45, 45), "BILLING": (60, 60)})
    assert "weakest" not in text
    assert "Resolution is the same for every reason with enough contacts to rank: 100.0% for each of the 3." in text


def test_reasons_tied_at_the_bottom_are_all_named(tmp_path):
    # 30/60 and 20/40 are both 50.0%: both are the weakest, not the first in the alphabet
    text = _by_reason_page(tmp_path, {"TECH_LOGIN": (30, 60), "ADDRESS_CHANGE": (20, 40), "BILLING": (54, 60)})
    assert "Resolution is weakest for ADDRESS\\_CHANGE and TECH\\_LOGIN: 50.0% each (95% CI" in text
    assert "n = 40 for ADDRESS\\_CHANGE), against 90.0% for BILLING" in text


def test_reasons_tied_at_the_top_are_all_named(tmp_path):
    # Y_ONE and Z_ONE both resolve 40 of 40: "against 100.0% for Z_ONE" named the alphabet's last
    text = _by_reason_page(tmp_path, {"COMPLAINT": (30, 60), "Y_ONE": (40, 40), "Z_ONE": (40, 40)})
    assert "Resolution is weakest for COMPLAINT: 50.0% (95% CI" in text
    assert "against 100.0% for Y\\_ONE and Z\\_ONE each." in text


def _priced_page(tmp_path: Path, rows: str, period: tuple[str, str], **extra):
    """The summary page of three hand-written calls (``id,cust,start,end`` lines, UTC), voice
    priced at 5.00 a contact."""
    (tmp_path / "contacts.csv").write_text("id,cust,start,end\n" + rows)
    fmt = "%Y-%m-%d %H:%M:%S"
    spec = {
        "name": "t", "client": "T", "period": {"start": period[0], "end": period[1]}, "timezone": "UTC",
        "cost": {"cost_per_contact": {"voice": 5.0}}, **extra,
        "sources": {"contacts": {"path": "contacts.csv", "columns": {
            "contact_id": "id", "customer_id": "cust", "channel": {"constant": "voice"},
            "direction": {"constant": "inbound"}, "outcome": {"constant": "handled"},
            "arrived_at": {"column": "start", "format": fmt}, "ended_at": {"column": "end", "format": fmt}}}},
    }
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(spec))
    from cxkit.config import load_engagement

    prepare_run(tmp_path / "engagement.yaml", tmp_path / "run")
    return headlines(ResultSet.load(tmp_path / "run", load_engagement(tmp_path / "engagement.yaml")))


def test_a_month_without_repeats_costs_nothing_on_no_price_not_an_unpriced_one(tmp_path):
    # three callers, each once: 0 repeats at a given price is 0.00, and the card said "no price:
    # not priced" beside it although voice has a price
    page = _priced_page(tmp_path, "c1,k1,2026-03-02 09:00:00,2026-03-02 09:10:00\n"
                                  "c2,k2,2026-03-03 09:00:00,2026-03-03 09:10:00\n"
                                  "c3,k3,2026-03-04 09:00:00,2026-03-04 09:10:00\n", ("2026-03-01", "2026-03-31"))
    card = next(c for c in page.cards if c["label"].startswith("Repeat contacts cost"))
    assert card["value"] == "$0.00"
    assert "not priced" not in card["detail"] and "no repeat contact measured" in card["detail"]
    assert "not priced" not in page.findings_markdown()


def test_one_day_of_data_is_one_day(tmp_path):
    # a pilot's one-day export with a one-day repeat window: the summary said "within 1 days",
    # "in 1 days of data", "(1 repeats priced at ...)" and "Repeat contacts cost (1 days)"
    page = _priced_page(tmp_path, "c1,k1,2026-03-10 09:00:00,2026-03-10 09:10:00\n"
                                  "c2,k1,2026-03-10 11:00:00,2026-03-10 11:05:00\n"  # back two hours later
                                  "c3,k2,2026-03-10 12:00:00,2026-03-10 12:10:00\n",
                        ("2026-03-10", "2026-03-10"), resolution={"repeat_window_days": 1})
    text = page.findings_markdown()
    assert "within 1 day: 1 contact in 1 day of data, about 365 a year" in text
    assert "in the 1 day of data (1 repeat priced at" in text
    assert "Repeat contacts cost (1 day)" in [c["label"] for c in page.cards]
    assert "1 days" not in text + json.dumps(page.cards) and "1 repeats" not in text


def test_a_year_of_data_is_not_extrapolated(tmp_path):
    # twelve months of data: the summary said "about 1 a year if this period is typical
    # (annualised as x 365 / 365, an extrapolation)", the cost card "a year if the period is
    # typical (an extrapolation)" beside the same figure
    page = _priced_page(tmp_path, "c1,k1,2025-01-01 09:00:00,2025-01-01 09:10:00\n"
                                  "c2,k1,2025-01-02 11:00:00,2025-01-02 11:05:00\n"  # back the next day
                                  "c3,k2,2025-12-31 12:00:00,2025-12-31 12:10:00\n",
                        ("2025-01-01", "2025-12-31"))
    text = page.findings_markdown()
    assert "within 7 days: 1 contact in 365 days of data." in text
    assert "in the 365 days of data (1 repeat priced at their channel's cost per contact); prices" in text
    card = next(c for c in page.cards if c["label"] == "Repeat contacts cost (365 days)")
    assert "a year" not in card["detail"] and "extrapolation" not in text + card["detail"]
    # nor does the cost section: its opening sentence, its yearly columns, the scenarios'
    # reading and lines, and the data period's note said "extrapolation" at x 365 / 365
    from cxkit import cost_narrative
    from cxkit.config import load_engagement

    results = ResultSet.load(tmp_path / "run", load_engagement(tmp_path / "engagement.yaml"))
    opening = str(cost_narrative.period_and_prices(results))
    assert "the period is a year: a yearly figure is the period's own, not scaled" in opening
    assert cost_narrative.year_column(results) == "A year (the period's own)"
    scenarios = str(cost_narrative.scenarios_reading(results)) + results.frame("scenario_lines").to_string()
    assert "x 365 / 365 days (the period's own)" in scenarios
    yearly = " ".join([opening, scenarios, str(results.frame("data_period").iloc[0]["note"])])
    assert "extrapolat" not in yearly
    # voice has a price; what the practice case's AHT change lacks is the cost of an agent hour
    assert "not priced (no cost of an agent hour, as no priced channel has a measured handle time" in scenarios
    assert "no channel it needs has a price" not in scenarios


def test_a_period_shorter_than_the_window_says_why_fcr_is_not_given(tmp_path):
    # five days of calls and a 7-day window: no contact ends 7 days before the last arrival (4
    # days after the first), so none is judged. The card said "no eligible contact could be
    # judged" and the summary said nothing of FCR
    page = _priced_page(tmp_path, "c1,k1,2026-03-01 09:00:00,2026-03-01 09:10:00\n"
                                  "c2,k1,2026-03-03 11:00:00,2026-03-03 11:05:00\n"
                                  "c3,k2,2026-03-05 12:00:00,2026-03-05 12:10:00\n",
                        ("2026-03-01", "2026-03-05"))
    card = next(c for c in page.cards if c["figure"] == "fcr_repeat")
    why = "a 7-day window needs that long after a contact ends; the data covers 5 days"
    assert card["detail"] == f"no eligible contact could be judged: {why}"
    # readiness blocks FCR (contacts.period.judges_repeats); the sentence quotes no figure
    assert f"First-contact resolution cannot be given: {why} (3 eligible contacts, none judged)." in page.findings


def test_no_eligible_contact_is_said_once_and_why(tmp_path):
    # every call abandoned: none is eligible (handled by an agent), so none is judged. The card
    # would have read "no eligible contact could be judged: no eligible contact"
    path = _engagement(tmp_path, {"outcome": {"constant": "abandoned"}})
    prepare_run(path, tmp_path / "run")
    from cxkit.config import load_engagement

    page = headlines(ResultSet.load(tmp_path / "run", load_engagement(path)))
    card = next(c for c in page.cards if c["figure"] == "fcr_repeat")
    why = "no contact is eligible (inbound, handled by an agent, from an identified customer, its reason not excluded)"
    assert card["detail"] == f"no eligible contact could be judged: {why}"
    assert "no eligible contact could be judged: no eligible contact" not in json.dumps(page.cards)


def test_without_customer_ids_the_summary_says_which_statements_it_cannot_make(tmp_path):
    # no customer ids: FCR, repeat share and their cost are not measured, and "What the data
    # says" read "No finding could be stated from this data" under findings to act on first
    path = _engagement(tmp_path)
    spec = yaml.safe_load(path.read_text())
    del spec["sources"]["contacts"]["columns"]["customer_id"]
    path.write_text(yaml.safe_dump(spec))
    prepare_run(path, tmp_path / "run")
    from cxkit.config import load_engagement

    page = headlines(ResultSet.load(tmp_path / "run", load_engagement(path)))
    assert page.findings == []
    said = page.findings_markdown()
    assert said.startswith("None of the statements this summary makes (first-contact resolution, repeat share")
    assert "No finding" not in said


def test_a_centre_without_calls_has_its_busiest_channels_service_level_in_the_headline(tmp_path):
    # chats only: the headline had no service level at all (its one card is the calls'). The four
    # chats wait 10 s; three are answered, within the chat threshold (60 s by default), and one is
    # abandoned after the 5 s of a short abandon: 3 of 4 in time, 1 of 4 offered abandoned
    path = _engagement(tmp_path)
    spec = yaml.safe_load(path.read_text())
    lines = (tmp_path / "contacts.csv").read_text().splitlines()
    outcomes = ["handled", "handled", "handled", "abandoned"]
    lines = [lines[0] + ",outcome"] + [f"{line},{o}" for line, o in zip(lines[1:], outcomes, strict=True)]
    (tmp_path / "contacts.csv").write_text("\n".join(lines) + "\n")
    columns = spec["sources"]["contacts"]["columns"]
    columns.update(channel={"constant": "chat"}, outcome="outcome", answered_at={"sql": "CASE WHEN outcome = 'handled' "
                   "THEN strptime(start, '%Y-%m-%d %H:%M:%S') + INTERVAL 10 SECOND END"})
    path.write_text(yaml.safe_dump(spec))
    prepare_run(path, tmp_path / "run")
    from cxkit.config import load_engagement

    cards = headlines(ResultSet.load(tmp_path / "run", load_engagement(path))).cards
    card = next(c for c in cards if c["figure"] == "service_level")
    assert card["label"] == "Chats answered within 60 s" and card["value"] == 0.75, card
    assert card["detail"] == "abandon rate 25.0% of 4 chats offered", card
    assert not any(c["label"].startswith("Calls answered") for c in cards)


def test_reasons_the_engagement_leaves_out_of_fcr_are_said_beside_it(tmp_path):
    # resolution.exclude_reasons: FCR 77.6% over every reason but FRAUD_REPORT was shown with no
    # word of the exclusion beside it; only the methodology's parameter table named it. Here c3
    # (FRAUD) is left out: of c1 (repeated by c2) and c2 (judged, not repeated), 1 of 2 resolved
    path = _engagement(tmp_path, {"contact_reason": {"sql": "CASE WHEN id = 'c3' THEN 'FRAUD' ELSE 'BILL' END"}})
    spec = yaml.safe_load(path.read_text())
    spec["resolution"] = {"exclude_reasons": ["FRAUD"]}
    path.write_text(yaml.safe_dump(spec))
    prepare_run(path, tmp_path / "run")
    from cxkit.config import load_engagement

    r = ResultSet.load(tmp_path / "run", load_engagement(path))
    assert (r.row("fcr_overall")["numerator"], r.row("fcr_overall")["denominator"]) == (1, 2)
    page = headlines(r)
    card = next(c for c in page.cards if c["figure"] == "fcr_repeat")
    assert card["detail"] == "95% CI 9.5%-90.5%; 2 contacts judged; FRAUD left out by the engagement", card
    assert "(95% CI 9.5%-90.5%, 2 contacts judged; FRAUD left out by the engagement)" in page.findings[0]
    notes = r.frame("fcr_headline").set_index("definition")["note"]
    assert notes["repeat-based, any reason"].endswith("; reasons left out: FRAUD")


def test_a_month_in_which_every_call_was_abandoned_has_a_service_level_of_zero(tmp_path):
    # every call abandoned after waiting: none answered, so no answer time anywhere. Service
    # level (answered within 20 s / answered + long abandons) is 0 of them, 0%: it read "not
    # measured: the answer times (contacts.answered_at) are blank in all 5 contacts"
    from cxkit.config import load_engagement

    path = _engagement(tmp_path, {"outcome": {"constant": "abandoned"}, "queued": {"constant": True},
                                  "answered_at": {"sql": "CAST(NULL AS VARCHAR)"}, "wait_s": {"constant": 40}})
    prepare_run(path, tmp_path / "run")
    results = ResultSet.load(tmp_path / "run", load_engagement(path))
    overall = results.frame("operations").query("channel == 'all'").iloc[0]
    assert (overall.in_sl, overall.sl_judged, overall.service_level) == (0, len(ROWS), 0.0)
    assert results.judge.measured("service_level")
    # the answer times are still what the speed of answer needs, and there is none to average
    assert results.judge.not_measured("asa") == (
        f"not measured: the answer times (contacts.answered_at) are blank in all {len(ROWS)} contacts the figures read")
