"""Every report section runs end to end through papermill and the renderer: on a generated
center (the demo path) and on the real bank records (one phone channel, no surveys or cases)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from cxkit.config import load_engagement
from cxkit.pseudonyms import KEY_FILE, create_key, pseudonym
from cxkit.report import build_report, external_references, privacy_scan

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def _sections(engagement: Path) -> list[Path]:
    return [NOTEBOOKS / f"{name}.ipynb" for name in load_engagement(engagement).report.sections]


def _build(engagement: Path, reports: Path) -> Path:
    from cxkit.pipeline import prepare_run

    e = load_engagement(engagement)
    return build_report(
        _sections(engagement),
        parameters={"engagement": str(engagement)},
        reports_root=reports,
        engagement_name=e.name,
        title="Smoke test",
        subtitle=None,
        renderer="nbconvert",
        prepare=lambda run_dir, say: prepare_run(e, run_dir, progress=say),
    )


def _text(index: Path) -> str:
    return index.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def generated_report(tmp_path_factory) -> tuple[Path, dict]:
    from cxkit.generate import generate

    folder = tmp_path_factory.mktemp("generated")
    shutil.copy(ROOT / "engagements" / "demo" / "engagement.yaml", folder / "engagement.yaml")
    truth = json.loads(generate(folder / "data", seed=3, customers=4000).read_text())
    create_key(folder)
    return _build(folder / "engagement.yaml", folder / "reports"), truth


def test_generated_report_has_every_section(generated_report):
    index, _ = generated_report
    html = _text(index)
    assert _raw_values(html) == []
    for heading in ("Summary", "Data readiness", "Journey effort", "Resolution", "Findings and priorities",
                    "Methodology"):
        assert f">{heading}<" in html, heading
    assert html.count("<svg") >= 5  # charts are inline SVG
    assert privacy_scan(html) == [] and external_references(html) == []


def test_generated_report_prices_the_repeats_through_the_results(generated_report):
    """The cost section renders every heading; the stored repeat cost by channel is the
    generator's planted truth exactly; the summary carries the cost card and finding."""
    import pandas as pd
    import yaml

    index, truth = generated_report
    html = _text(index)
    cost = _heading(html, "cost-and-capacity", "methodology")
    for anchor in ("baseline-cost", "repeat-cost", "failure-demand", "cost-per-resolved-issue", "what-if-scenarios",
                   "capacity"):
        assert f'id="{anchor}"' in cost, anchor
    assert "given by the engagement (not measured)" in cost  # every price says where it comes from
    assert "FCR 62% to 73% with AHT +40 s (practice case)" in cost and "How it is computed" in cost
    assert cost.count("<svg") >= 2  # a tornado per scenario and the forecast heatmap, from aggregates
    want = truth["expected"]["repeat_cost_7d"]
    spec = yaml.safe_load((ROOT / "cxkit" / "adapter_specs" / "cxkit_generator.yaml").read_text())
    media = spec["sources"]["contacts"]["columns"]["channel"]["values"]
    got = pd.read_parquet(index.parent / "results" / "repeat_cost_by_channel.parquet").set_index("channel")
    assert {media[m]: (v["repeats"], v["cost"]) for m, v in want["by_media"].items()} == {
        ch: (int(r.repeats), float(r.repeat_cost)) for ch, r in got.iterrows()}
    summary = _heading(html, "summary", "data-readiness")
    card = _section(summary, "Repeat contacts cost (31 days)", "</div></div>")
    assert f"£{want['total']:,.2f}" in card and "(extrapolated)" in card and "prices given by the engagement" in card
    assert f"Repeat contacts cost £{want['total']:,.2f} in the 31 days of data" in summary


def test_generated_report_never_shows_customer_ids(generated_report):
    index, truth = generated_report
    html = _text(index)
    # customer refs look like CU0000123; none may reach the report
    assert "CU0" not in html
    assert (index.parent / "readiness.json").exists()


def test_no_output_holds_a_raw_customer_id_or_an_unkeyed_hash_of_one(generated_report):
    # every file of the run (report, JSON, executed notebooks): no raw customer reference, no
    # md5/sha1/sha256 of one (an unkeyed hash is reversible by hashing every id), no key
    index, _ = generated_report
    data = index.parents[3] / "data"
    refs = set(pq.read_table(data / "interactions.parquet", columns=["customer_ref"]).column(0).drop_null().to_pylist())
    refs |= set(pd.read_csv(data / "crm_cases.csv", dtype=str)["AccountRef"].dropna())
    refs |= set(pd.read_json(data / "survey_responses.jsonl", lines=True, dtype=False)["customer_ref"].dropna())
    assert len(refs) > 1000
    unkeyed, b64 = set(), set()
    for ref in refs:
        for algo in ("md5", "sha1", "sha256"):
            digest = hashlib.new(algo, ref.encode()).digest()
            unkeyed |= {digest.hex(), digest.hex()[:32], digest.hex()[:16]}
            b64 |= {base64.b64encode(digest[:9]).decode()}
    key = (index.parents[3] / KEY_FILE).read_text().strip()
    # nor the keyed pseudonyms themselves: they identify a customer across the engagement
    keyed = {pseudonym(ref, bytes.fromhex(key)) for ref in refs}
    files = [p for p in index.parent.rglob("*") if p.is_file() and p.suffix in (".html", ".json", ".ipynb", ".md", ".txt", ".csv")]
    assert {p.suffix for p in files} >= {".html", ".json", ".ipynb"}
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not set(re.findall(r"CU\d{7}", text)), path.name
        hexes = {h.lower() for h in re.findall(r"[0-9a-fA-F]{16,64}", text)}
        assert not {h for h in hexes if {h, h[:32], h[:16]} & unkeyed}, path.name
        runs = re.findall(r"[A-Za-z0-9+/]{12,}", text)
        windows = {run[i:i + 12] for run in runs for i in range(len(run) - 11)}
        assert not windows & (b64 | keyed), path.name
        assert key not in text, path.name


def test_generated_report_ranks_findings_with_evidence_links(generated_report):
    import re

    index, _ = generated_report
    html = _text(index)
    part = html.split('id="findings-and-priorities"', 1)[1].split('id="methodology"', 1)[0]
    assert 'class="cxkit-table cxkit-findings"' in part and "Priority score" in part
    links = set(re.findall(r'<a href="#([a-z0-9-]+)">see:', part))
    assert links and all(f'id="{anchor}"' in html for anchor in links)
    findings = json.loads((index.parent / "findings.json").read_text())
    assert findings["findings"] and (index.parent / "briefs").is_dir()
    # the summary leads with the top findings
    lead = html.split('id="where-to-act-first"', 1)[1].split('id="headline-numbers"', 1)[0]
    top = [f for f in findings["findings"] if f["rank"] == 1][0]
    assert top["title"].split(":")[0] in lead


def test_bank_report_runs_on_phone_only_data(tmp_path):
    index = _build(ROOT / "tests" / "fixtures" / "bank" / "engagement.yaml", tmp_path)
    html = _text(index)
    assert _raw_values(html) == []
    assert ">Resolution<" in html
    # the bank has no surveys or cases: the report says so instead of failing
    assert "no surveys source" in html
    # nor transfers or identity checks: never shown as 0
    card = html.split("Handled contacts transferred")[1].split("</div></div>")[0]
    assert "not measured" in card and "0.0%" not in card
    # every call is voice (a constant): a switch of channel cannot be seen, so it is not measured
    # (the journey card and the scorecard read 0.0%)
    card = html.split("Journeys switching channel")[1].split("</div></div>")[0]
    assert "not measured" in card and "the export has one channel (voice)" in card and "0.0%" not in card
    # the effort index is shown (it adds up waits), saying it leaves switches out
    assert "Effort index: leaves out channel switches, as the export has one channel (voice)" in html
    # FCR, repeats and journeys cover identified customers only, and the report carries that caveat
    assert "identified" in html
    # the summary carries the degraded FCR verdict as a caveat box
    summary = html.split(">Summary<")[-1].split('id="data-readiness"')[0]
    assert "cxkit-caveat cxkit-degraded" in summary and "59.0% null" in summary
    # the cost card: prices are assumptions, AHT the only measured input, and the AHT leaves
    # out hold and after-call work, which the derived price inherits; the cost model's caveat
    card = _section(summary, "Repeat contacts cost (28 days)", "</div></div>")
    assert "ILS " in card and "the only measured input to the price" in card
    assert "assumptions chosen for this example, not the bank" in card
    assert "leaves out hold times, after-contact work times" in card and "59.0% null" in card
    cost = _heading(html, "cost-and-capacity", "methodology")
    assert "derived from AHT" in cost and "The engagement has no WFM intervals source" in cost
    assert "not measured: the export has no teams" in cost  # repeat cost by team
    methodology = _heading(html, "methodology")
    assert "Seed of the scenario Monte Carlo" in methodology and ">20260301<" in methodology
    assert privacy_scan(html) == []
    # findings: only rules the phone export supports state anything; the others say why not
    findings = json.loads((index.parent / "findings.json").read_text())
    stated = {f["rule"] for f in findings["findings"]}
    assert stated <= {"weak_resolution_by_reason", "weak_resolution_by_queue", "queue_abandonment",
                      "ivr_hangups_by_entry", "handle_time_trap", "data_gap", "service_level_below_target",
                      "abandonment_above_standard"}, stated
    # 52.5% of calls answered within 20 s, against the 80% target; 11.9% abandoned, against 5% at most
    assert {"service_level_below_target", "abandonment_above_standard"} <= stated
    why = {r["rule"]: r["reason"] for r in findings["rules"] if r["status"] == "not evaluated"}
    assert "the export has no transfer counts" in why["transfer_repeats"]
    assert "the export has no identity checks" in why["reauth_by_journey"]
    assert "the export has no teams" in why["weak_resolution_by_team"]
    assert "no surveys source" in why["perception_gap"] and "no cases source" in why["case_reopens_by_reason"]
    appendix = html.split('id="rules-that-could-not-be-evaluated"', 1)[1].split('id="methodology"', 1)[0]
    assert "the export has no transfer counts" in appendix


def test_amazon_connect_fixture_publishes_a_truthful_report(tmp_path):
    # a real vendor layout end to end, on nine records over four days: the report published
    # (it was refused for the dialled number shown as an entry point) and says what so little
    # data cannot carry instead of computing from zeros
    folder = tmp_path / "connect"
    shutil.copytree(ROOT / "tests" / "fixtures" / "amazon_connect", folder)
    index = _build(folder / "engagement.yaml", tmp_path / "reports")
    html = _text(index)
    assert _raw_values(html) == []
    assert privacy_scan(html) == [] and "number ending 0000" in html
    summary = _heading(html, "summary", "data-readiness")
    # one day count: the 4 days the contacts cover, in the repeat sentence and the cost card
    assert "1 contact in 4 days of data" in summary and "Repeat contacts cost (4 days)" in summary
    scorecard = _heading(html, "balanced-scorecard", "what-customers-say")
    assert "too few to compare" in scorecard and "in range" not in scorecard
    scenarios = _heading(html, "what-if-scenarios", "capacity")
    assert "not worked through" in scenarios and "FCR is not measured: no eligible contact could be judged" in scenarios
    assert "FCR before" not in scenarios  # the FCR scenarios' arithmetic is not shown on zeros
    assert "The one-page brief for the top finding is in the run folder" in html  # one finding: one brief
    # one repeat: counted in the singular (it read "1 repeat contacts", "1 inbound contacts ... were")
    cost = _heading(html, "cost-and-capacity", "findings-and-priorities")
    assert "1 repeat contact;" in cost and "1 inbound contact in the 4 days was a repeat" in cost
    # the readiness section says what the report does with a blocked diagnostic (it said "left out")
    readiness = _heading(html, "data-readiness", "journey-effort")
    assert "shown only with the blocking reason beside it" in readiness and "leave blocked ones out" not in readiness


def _section(html: str, start: str, end: str | None = None) -> str:
    part = html.split(start, 1)[1]
    return part.split(end, 1)[0] if end else part


@pytest.fixture(scope="module")
def sparse_report(tmp_path_factory) -> Path:
    """A contact export without transfers, identity checks, reasons, teams or surveys: the
    canonical contacts of a generated center written flat with only the columns a basic
    telephony export has."""
    import yaml

    import cxkit
    from cxkit.generate import generate

    folder = tmp_path_factory.mktemp("sparse")
    gen = folder / "gen"
    shutil.copy(ROOT / "engagements" / "demo" / "engagement.yaml", gen.parent / "demo.yaml")
    generate(gen / "data", seed=11, customers=3000)
    shutil.copy(ROOT / "engagements" / "demo" / "engagement.yaml", gen / "engagement.yaml")
    s = cxkit.open_engagement(gen / "engagement.yaml")
    keep = ["contact_id", "customer_id", "channel", "direction", "arrived_at", "answered_at", "ended_at",
            "ivr_s", "wait_s", "talk_s", "outcome", "queue", "agent_id"]
    frame = s.table("contacts").select(*keep).to_pandas()
    for col in ("arrived_at", "answered_at", "ended_at"):
        frame[col] = frame[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame.to_csv(folder / "calls.csv", index=False)
    iso = {"format": "iso"}
    spec = {
        "name": "sparse", "client": "Sparse export", "period": {"start": "2026-03-01", "end": "2026-03-31"},
        "timezone": "Europe/London",
        "sources": {"contacts": {"path": "calls.csv", "columns": {
            **{c: c for c in keep if c not in ("arrived_at", "answered_at", "ended_at")},
            "arrived_at": {"column": "arrived_at", **iso}, "answered_at": {"column": "answered_at", **iso},
            "ended_at": {"column": "ended_at", **iso}}}},
    }
    (folder / "engagement.yaml").write_text(yaml.safe_dump(spec))
    return _build(folder / "engagement.yaml", folder / "reports")


def _heading(html: str, anchor: str, next_anchor: str | None = None) -> str:
    """The report between the heading with id ``anchor`` and the one with ``next_anchor``."""
    return _section(html, f'id="{anchor}"', f'id="{next_anchor}"' if next_anchor else None)


def test_absent_fields_read_not_measured_everywhere(sparse_report):
    html = _text(sparse_report)
    # a flag read as True/False, a count as <NA> or a rate as nan, through any of the report's
    # reads of stored results, in any cell or sentence
    assert _raw_values(html) == []
    summary = _heading(html, "summary", "data-readiness")
    transfer_card = _section(summary, "Handled contacts transferred", "</div></div>")
    assert "not measured" in transfer_card and "%" not in transfer_card
    scorecard = _heading(html, "balanced-scorecard", "what-customers-say")
    for measure in ("Transfer rate", "Journeys with a repeat authentication", "CSAT, share 4-5", "Net Promoter Score"):
        row = _section(scorecard, measure, "</tr>")
        assert "not measured" in row and "0.0%" not in row, measure
    resolution = _heading(html, "resolution", "methodology")
    assert "FCR by contact reason is not measured: the export has no contact reasons" in resolution
    assert "FCR by team is not measured" in resolution
    transfers = _heading(html, "transfers", "operations-context")
    assert "Transfer rate is not measured" in transfers and "0.0%" not in transfers
    journey = _heading(html, "journey-effort", "resolution")
    reason_table = _heading(journey, "journeys-and-contacts-per-issue", "entry-and-routing")
    assert "Effort by first reason is not measured" in reason_table
    effort = _heading(journey, "the-effort-index", "does-the-index-match-what-customers-say")
    assert "repeat authentications (not measured: the export has no identity checks" in effort
    assert "no surveys source" in _heading(journey, "what-customers-say", "quality-assurance-and-outcomes")
    # each of the five same-reason rows of the window table says why it judged nothing: no contact
    # has a reason (they read "a 7-day window needs that long after a contact ends")
    windows = _heading(html, "how-the-answer-depends-on-the-window", "where-resolution-is-weakest")
    assert windows.count("no contact has a recorded reason (same-reason repeats need one)") == 5
    # the capacity question about the staffing gap is answered, by a not-measured note here
    capacity = _heading(html, "capacity", "findings-and-priorities")
    assert "Measured service level by staffing gap, beside Erlang C is not measured" in capacity
    operations = _heading(html, "operations-context", "methodology")
    # hold and after-contact work are not in the export: AHT is shown and says what it leaves out
    assert "Average handle time: leaves out hold times, after-contact work times" in operations
    assert privacy_scan(html) == [] and external_references(html) == []


#: what pandas or Python print for a value that is missing, a flag or an overflow: text a reader
#: should never meet where a figure, a "not measured" or a yes/no belongs
_RAW_VALUES = {"nan", "NaN", "<NA>", "NaT", "None", "True", "False", "inf", "-inf", "null"}


def _raw_values(html: str) -> list[str]:
    """The report's visible text pieces (scripts and styles left out) that are a raw value, or
    hold pandas' missing markers anywhere in a sentence ("… nan …", "<NA> contacts")."""
    import html as html_lib

    body = re.sub(r"<script.*?</script>|<style.*?</style>", "", html, flags=re.S)
    pieces = [html_lib.unescape(p).strip() for p in re.split(r"<[^>]+>", body)]
    return [p for p in pieces if p in _RAW_VALUES or re.search(r"(?<![\w-])(nan|NaN|NaT|<NA>)(?![\w-])", p)]


def test_raw_values_never_reach_the_reader():
    assert _raw_values("<td>12.5%</td><td>not measured</td><p>None of the 3 journeys</p>") == []
    assert _raw_values("<td>nan</td><td>True</td><p>FCR &lt;NA&gt; of 3</p><td>-</td>") == [
        "nan", "True", "FCR <NA> of 3"]

