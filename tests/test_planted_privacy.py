"""Planted personal data and markup in every text column of generated exports: every file every
command writes (validate, run, report), and everything it prints, is checked.

Two engagements on the same generated center:

* *markup*: script tags, an image with an onerror handler, a Markdown link, Rich markup and emoji
  codes in every text column. The report is published, and no page of it (or of the Data Docs)
  carries the markup as markup: it is text.
* *personal*: phone numbers in several national formats, e-mail addresses, card numbers and the
  center's own customer ids in every text column. ``validate`` writes its results with the values
  replaced by their kind; ``run`` refuses to publish (exit 2, naming the kinds and sections) and
  deletes the files that showed them; nothing written or printed holds one.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

import cxkit
from cxkit.cli import app
from cxkit.generate import generate
from cxkit.privacy import scan_folder, scan_text

DEMO = Path(__file__).resolve().parents[1] / "engagements" / "demo" / "engagement.yaml"

PERSONAL = ["07700 900123", "+44 7700 900123", "+447700900123", "3125550199", "(415) 555-0123", "020 7946 0958",
            "06 12 34 56 78", "+49 30 1234567", "jane.doe@example.com", "j.smith@bank.example.co.uk",
            "4111 1111 1111 1111", "5500-0000-0000-0004", "@customer_id@"]
MARKUP = ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "[Verify your account](https://evil.example/login)",
          "**bold** :x: [red]x[/red] [/]", "<a href='https://evil.example'>click</a>"]


def _plant(data: Path, payloads: list[str], every: int = 9) -> None:
    """Replace every ``every``-th value of every text column of every export by a payload (in turn)."""
    con = duckdb.connect()
    ids = [r[0] for r in con.sql(f"SELECT DISTINCT customer_ref FROM read_parquet('{data}/interactions.parquet') "
                                 "WHERE customer_ref IS NOT NULL ORDER BY 1 LIMIT 7").fetchall()]
    readers = {".csv": "read_csv('{}', all_varchar=true)", ".parquet": "read_parquet('{}')",
               ".jsonl": "read_json('{}', format='newline_delimited')"}
    for path in sorted(data.iterdir()):
        if path.suffix not in readers:
            continue
        source = readers[path.suffix].format(path)
        rel = con.sql(f"SELECT * FROM {source}")
        columns = []
        for i, (name, kind) in enumerate(zip(rel.columns, rel.types, strict=True)):
            if str(kind) != "VARCHAR":
                columns.append(f'"{name}"')
                continue
            cases = " ".join(
                f"WHEN (rn + {i}) % {every * len(payloads)} = {k * every} THEN "
                + "'" + (ids[(k + i) % len(ids)] if p == "@customer_id@" else p).replace("'", "''") + "'"
                for k, p in enumerate(payloads)
            )
            columns.append(f'CASE {cases} ELSE "{name}" END AS "{name}"')
        query = f"SELECT {', '.join(columns)} FROM (SELECT *, row_number() OVER () AS rn FROM {source})"
        planted = path.with_name("planted-" + path.name)
        options = {".csv": "(HEADER, DELIMITER ',')", ".parquet": "(FORMAT parquet)", ".jsonl": "(FORMAT json)"}
        con.sql(f"COPY ({query}) TO '{planted}' {options[path.suffix]}")
        planted.replace(path)


@pytest.fixture(scope="module")
def center(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("center") / "data"
    generate(data, seed=11, customers=400)
    return data


def _engagement(root: Path, center: Path, name: str, payloads: list[str], sections: list[str] | None = None) -> Path:
    folder = root / name
    shutil.copytree(center, folder / "data")
    _plant(folder / "data", payloads)
    spec = yaml.safe_load(DEMO.read_text())
    spec["name"] = name
    if sections:
        spec["report"]["sections"] = sections
    (folder / "engagement.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return folder


def _cli(*args) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _written(*folders: Path) -> list[Path]:
    return [p for f in folders if f.exists() for p in f.rglob("*") if p.is_file()]


def test_markup_in_every_text_column_stays_text_in_every_output(tmp_path, center):
    folder = _engagement(tmp_path, center, "markup", MARKUP)
    ids = cxkit.open_engagement(folder).customer_identifiers()
    code, out_validate = _cli("validate", folder, "--out", tmp_path / "validation")
    assert code in (0, 1), out_validate
    code, out_run = _cli("run", folder, "--reports", tmp_path / "reports", "--renderer", "nbconvert")
    assert code == 0, out_run
    code, out_report = _cli("report", folder, "--reports", tmp_path / "reports", "--renderer", "nbconvert")
    assert code == 0, out_report
    outputs = [tmp_path / "validation", tmp_path / "reports"]
    assert scan_folder(tmp_path / "validation", ids) == [] and scan_folder(tmp_path / "reports", ids) == []
    for text in (out_validate, out_run, out_report):
        assert scan_text(text, ids) == {} and "❌" not in text
    pages = [p for p in _written(*outputs) if p.suffix == ".html"]
    assert any(p.name == "index.html" and "reports" in p.parts for p in pages)
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script>alert" not in html and "<img src=x" not in html, page
        assert not re.search(r"<a [^>]*evil\.example", html), page
    index = (tmp_path / "reports" / "markup" / "latest" / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index  # shown, as text


def test_personal_data_in_every_text_column_reaches_no_output(tmp_path, center):
    # two sections are enough to refuse the run: the readiness section and the one naming queues
    # and reasons; every file the three commands write is scanned
    folder = _engagement(tmp_path, center, "personal", PERSONAL, sections=["01_data_readiness", "03_resolution"])
    ids = cxkit.open_engagement(folder).customer_identifiers()
    assert len(ids) > 100
    code, out_validate = _cli("validate", folder, "--out", tmp_path / "validation")
    assert code in (0, 1), out_validate
    assert (tmp_path / "validation" / "readiness.json").exists()
    code, out_run = _cli("run", folder, "--reports", tmp_path / "reports", "--renderer", "nbconvert")
    assert code == 2
    for kind in ("phone number", "e-mail address", "card number", "customer identifier"):
        assert kind in out_run, out_run
    # refused when the results are computed, before any section runs: the labels (queues,
    # reasons) hold it, and the message names the mapping keys to change
    said = " ".join(out_run.split())
    assert "the report was not built because its results would show personal data" in said
    assert "sources.contacts.columns.queue" in said and "sources.contacts.columns.contact_reason" in said
    code, out_report = _cli("report", folder, "--reports", tmp_path / "reports")
    assert code == 2 and "produce one with `cxkit run" in " ".join(out_report.split())
    written = _written(tmp_path / "validation", tmp_path / "reports")
    assert any(p.name == "readiness.json" for p in written) and any(p.name == "FAILED.txt" for p in written)
    assert scan_folder(tmp_path / "validation", ids) == []
    assert scan_folder(tmp_path / "reports", ids) == []
    for text in (out_validate, out_run, out_report):
        assert scan_text(text, ids) == {}, text
