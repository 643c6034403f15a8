"""The cxkit command: help a consultant can follow, clear errors with exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxkit.cli import app

runner = CliRunner()
#: the bank month's engagement (real records, quirks that degrade but do not block)
BANK = Path(__file__).resolve().parent / "fixtures" / "bank" / "engagement.yaml"


def test_help_lists_every_subcommand():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for cmd in ("init", "generate", "validate", "run", "report", "demo", "notebooks", "lab", "adapters", "data-model"):
        assert cmd in result.output


def test_help_keeps_every_placeholder_it_names():
    # the help is rendered as Markdown, where a bare <name> is an HTML tag and vanishes:
    # "--out: default reports//validation", "notebooks ... to /work/notebooks" (a path that looks
    # absolute). Every <placeholder> in a command's text or its options' help reaches the reader
    import re

    import typer.main

    group = typer.main.get_command(app)
    checked = 0
    for name, command in group.commands.items():
        texts = [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
        placeholders = set(re.findall(r"<[a-z_]+>", " ".join(texts)))
        if not placeholders:
            continue
        shown = runner.invoke(app, [name, "--help"], terminal_width=200).output
        for placeholder in placeholders:
            assert placeholder in shown, (name, placeholder)
            checked += 1
    assert checked >= 3  # validate's --out, notebooks and lab name <name> and <engagement>


@pytest.mark.parametrize("module", ["cxkit", "cxkit.cli"])
def test_python_dash_m_runs_the_command_and_passes_its_exit_code(tmp_path: Path, module: str):
    """``python -m cxkit`` (and ``-m cxkit.cli``) is the command where the scripts folder is not
    on PATH: it must run it, not import it and exit 0."""
    import subprocess
    import sys

    listed = subprocess.run([sys.executable, "-m", module, "adapters"], capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert "anonymous_bank" in listed.stdout
    missing = subprocess.run([sys.executable, "-m", module, "run", str(tmp_path / "nowhere")],
                             capture_output=True, text=True)
    assert missing.returncode == 2, (missing.stdout, missing.stderr)
    assert "Traceback" not in missing.stdout + missing.stderr


def test_init_then_invalid_engagement_exits_2_with_the_key(tmp_path: Path):
    folder = tmp_path / "acme"
    result = runner.invoke(app, ["init", str(folder), "--adapter", "anonymous_bank"])
    assert result.exit_code == 0, result.output
    assert (folder / "engagement.yaml").exists() and (folder / "data").is_dir()
    result = runner.invoke(app, ["run", str(folder)])
    assert result.exit_code == 2
    assert "sources.contacts.path: no file matches" in result.output
    assert "1 problem in the engagement configuration" in result.output  # not "1 problem(s)"
    assert "Traceback" not in result.output


def test_notebooks_writes_parameterized_copies_inside_the_engagement(tmp_path: Path):
    folder = tmp_path / "acme"
    assert runner.invoke(app, ["init", str(folder), "--adapter", "anonymous_bank"]).exit_code == 0
    (folder / "data" / "contacts.txt").write_text("x\n")
    result = runner.invoke(app, ["notebooks", str(folder)])
    assert result.exit_code == 0, result.output
    work = folder / "work" / "notebooks"
    assert sorted(p.name for p in work.glob("*.ipynb")) == [
        "00_summary.ipynb", "01_data_readiness.ipynb", "02_journey_effort.ipynb", "03_resolution.ipynb",
        "04_cost_and_capacity.ipynb", "05_findings_and_priorities.ipynb", "99_methodology.ipynb",
    ]
    assert (work / "_quarto.yml").exists() and f"quarto render {work}\n" in result.output


def test_init_refuses_unknown_adapter(tmp_path: Path):
    result = runner.invoke(app, ["init", str(tmp_path / "x"), "--adapter", "nope"])
    assert result.exit_code == 2 and "shipped adapters" in result.output


def test_adapters_lists_shipped_mappings():
    result = runner.invoke(app, ["adapters"])
    assert result.exit_code == 0
    assert "amazon_connect_ctr:" in result.output and "anonymous_bank:" in result.output


def test_validate_on_the_bank_records_writes_json_and_data_docs(tmp_path: Path):
    engagement = BANK
    result = runner.invoke(app, ["validate", str(engagement), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output  # the bank's quirks degrade, they do not block
    assert "Exit code 0" in result.output
    assert (tmp_path / "readiness.json").exists()
    assert (tmp_path / "data_docs" / "index.html").exists()


def test_validate_from_python_dash_c_runs_to_the_end(tmp_path: Path):
    """Where ``__main__`` is not a file (``python -c``, a pytest-xdist worker), PySpark, which the
    ``spark`` extra installs and Great Expectations imports, took the process for its doctest
    runner and exited 0 in the middle of validate, with no readiness and no Data Docs."""
    import subprocess
    import sys

    engagement = BANK
    done = subprocess.run([sys.executable, "-c", "from cxkit.cli import main; main()",
                           "validate", str(engagement), "--out", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Exit code 0" in done.stdout, done.stdout + done.stderr
    assert (tmp_path / "readiness.json").exists() and (tmp_path / "data_docs" / "index.html").exists()


@pytest.mark.parametrize("where", ["engine", "python"])
def test_a_full_disk_exits_2_naming_the_file_not_a_fault_in_cxkit(tmp_path: Path, monkeypatch, where: str):
    """The engine writing a table it computes once, or Python writing the Data Docs, on a full disk."""
    import errno

    import duckdb

    engagement = BANK
    if where == "engine":
        written = str(tmp_path / ".tables" / "1a2b3c4d-001-contacts.parquet")

        def full(self, t, label="table"):
            raise duckdb.IOException(f'IO Error: Could not write file "{written}": No space left on device')

        monkeypatch.setattr("cxkit.session.Session.materialize", full)
    else:
        written = str(tmp_path / "data_docs" / "index.html")

        def full(readiness, site_dir):
            raise OSError(errno.ENOSPC, "No space left on device", written)

        monkeypatch.setattr("cxkit.readiness.run.build_data_docs", full)
    result = runner.invoke(app, ["validate", str(engagement), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert f"the disk is full: {written} could not be written (No space left on device)" in flat, result.output
    assert "Fix: free space on that disk" in flat
    assert "fault in cxkit" not in flat and "read_options" not in flat and "Traceback" not in flat


def test_validate_exits_1_when_a_blocking_check_fails(tmp_path: Path):
    # a header-only export loads as an empty table: the blocking "not empty" check fails
    (tmp_path / "export.csv").write_text("id,start\n")
    (tmp_path / "engagement.yaml").write_text(
        "name: t\nclient: T\nperiod: {start: 2026-03-01, end: 2026-03-31}\n"
        "sources:\n  contacts:\n    path: export.csv\n    columns:\n      contact_id: id\n"
        "      channel: {constant: voice}\n      direction: {constant: inbound}\n"
        "      arrived_at: {column: start, format: '%Y-%m-%d %H:%M:%S'}\n"
        "      ended_at: {column: start, format: '%Y-%m-%d %H:%M:%S'}\n      outcome: {constant: handled}\n"
    )
    result = runner.invoke(app, ["validate", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output


def test_report_renders_the_latest_run_again_without_executing(tmp_path: Path):
    import json

    from cxkit.report import build_report

    nb = Path(__file__).resolve().parents[1] / "notebooks" / "99_methodology.ipynb"
    engagement = BANK
    index = build_report([nb], {"engagement": str(engagement)}, tmp_path, "anonymous_bank", "T", None, "nbconvert")
    (index.parent / "notebooks").rename(index.parent / "moved")  # nothing may be executed again
    before = index.read_text()
    index.write_text("stale")
    result = runner.invoke(app, ["report", str(engagement), "--reports", str(tmp_path), "--renderer", "nbconvert"])
    assert result.exit_code == 0, result.output
    after = index.read_text()
    assert after != "stale" and ">Methodology<" in after and len(after) == pytest.approx(len(before), rel=0.01)
    assert "rerendered_at" in json.loads((index.parent / "run.json").read_text())


def test_report_without_a_run_says_how_to_make_one(tmp_path: Path):
    engagement = BANK
    result = runner.invoke(app, ["report", str(engagement), "--reports", str(tmp_path)])
    assert result.exit_code == 2 and "cxkit run" in result.output


def test_great_expectations_is_imported_beside_the_engine_and_a_failed_import_is_not_swallowed(tmp_path: Path, monkeypatch):
    # the Data Docs' import runs in a thread while the engine checks the exports; an import
    # that fails there is met again, and raised, where the Data Docs need it
    import threading

    from cxkit.readiness import run

    where: list[str] = []

    def broken():
        where.append(threading.current_thread().name)
        raise ImportError("great_expectations: a broken install")

    monkeypatch.setattr(run, "_import_great_expectations", broken)
    with pytest.raises(ImportError, match="a broken install"):
        run.validate(BANK, tmp_path / "out")
    assert where == ["cxkit-import-gx", threading.main_thread().name]
    assert not list((tmp_path / "out").glob(".staging-*"))  # nothing half-written is left


def test_validate_in_an_80_column_terminal_folds_long_names_rather_than_cut_them(tmp_path: Path):
    """A check id or configuration key wider than its column was cut with "…" ("contacts.arrived_at…"):
    the one name the reader had to look up. Folded, its pieces stand one under the other."""
    rows = "".join(f"{i},2026-03-{i % 28 + 1:02d}T10:00:00\n" for i in range(1, 41))
    (tmp_path / "export.csv").write_text("id,start\n" + rows)
    (tmp_path / "engagement.yaml").write_text(
        "name: t\nclient: T\nperiod: {start: 2026-03-01, end: 2026-03-31}\n"
        "sources:\n  contacts:\n    path: export.csv\n    columns:\n      contact_id: id\n"
        "      channel: {constant: voice}\n      direction: {constant: inbound}\n"
        "      arrived_at: {column: start, format: '%d/%m/%Y %H:%M'}\n"
        "      ended_at: {column: start, format: '%Y-%m-%dT%H:%M:%S'}\n      outcome: {constant: handled}\n"
    )
    result = runner.invoke(app, ["validate", str(tmp_path), "--out", str(tmp_path / "out")], terminal_width=80)
    assert result.exit_code == 1, result.output
    assert "…" not in result.output
    failed = result.output.split("Failed checks", 1)[1].split("Checks not evaluated", 1)[0]
    # the check column's pieces, top to bottom, joined: each check id whole
    pieces = "".join(line.split("│")[2].strip() for line in failed.splitlines() if line.count("│") == 5)
    assert "contacts.arrived_at.not_null" in pieces, failed
