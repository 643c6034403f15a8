"""Every report section runs end to end through papermill and the renderer: on a generated
center (the demo path) and on the real bank records (one phone channel, no surveys or cases)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from cxkit.config import load_engagement
from cxkit.pseudonyms import KEY_FILE, create_key
from cxkit.report import build_report, external_references, privacy_scan

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def _sections(engagement: Path) -> list[Path]:
    return [NOTEBOOKS / f"{name}.ipynb" for name in load_engagement(engagement).report.sections]


def _build(engagement: Path, reports: Path) -> Path:
    return build_report(
        _sections(engagement),
        parameters={"engagement": str(engagement)},
        reports_root=reports,
        engagement_name=load_engagement(engagement).name,
        title="Smoke test",
        subtitle=None,
        renderer="nbconvert",
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
    for heading in ("Summary", "Data readiness", "Journey effort", "Resolution", "Methodology"):
        assert f">{heading}<" in html, heading
    assert html.count("<svg") >= 5  # charts are inline SVG
    assert privacy_scan(html) == [] and external_references(html) == []


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
    unkeyed = set()
    for ref in refs:
        for algo in ("md5", "sha1", "sha256"):
            digest = hashlib.new(algo, ref.encode()).hexdigest()
            unkeyed |= {digest, digest[:32], digest[:16]}
    key = (index.parents[3] / KEY_FILE).read_text().strip()
    files = [p for p in index.parent.rglob("*") if p.is_file() and p.suffix in (".html", ".json", ".ipynb", ".md", ".txt", ".csv")]
    assert {p.suffix for p in files} >= {".html", ".json", ".ipynb"}
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not set(re.findall(r"CU\d{7}", text)), path.name
        hexes = {h.lower() for h in re.findall(r"[0-9a-fA-F]{16,64}", text)}
        assert not {h for h in hexes if {h, h[:32], h[:16]} & unkeyed}, path.name
        assert key not in text, path.name


def test_bank_report_runs_on_phone_only_data(tmp_path):
    index = _build(ROOT / "tests" / "fixtures" / "bank" / "engagement.yaml", tmp_path)
    html = _text(index)
    assert ">Resolution<" in html
    # the bank has no surveys or cases: the report says so instead of failing
    assert "no surveys source" in html or "No survey" in html or "no survey" in html
    # repeat figures cover identified callers only, and the report carries that caveat
    assert "identified" in html
    # the summary carries the degraded FCR verdict as a caveat box
    summary = html.split(">Summary<")[-1].split('id="data-readiness"')[0]
    assert "cxkit-caveat cxkit-degraded" in summary and "59% null" in summary
    assert privacy_scan(html) == []
