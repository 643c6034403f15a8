"""The cxkit command: help a consultant can follow, clear errors with exit code 2."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cxkit.cli import app

runner = CliRunner()


def test_help_lists_every_subcommand():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for cmd in ("init", "generate", "validate", "run", "report", "demo", "lab", "adapters", "data-model"):
        assert cmd in result.output


def test_init_then_invalid_engagement_exits_2_with_the_key(tmp_path: Path):
    folder = tmp_path / "acme"
    result = runner.invoke(app, ["init", str(folder), "--adapter", "anonymous_bank"])
    assert result.exit_code == 0, result.output
    assert (folder / "engagement.yaml").exists() and (folder / "data").is_dir()
    result = runner.invoke(app, ["run", str(folder)])
    assert result.exit_code == 2
    assert "sources.contacts.path: no file matches" in result.output
    assert "Traceback" not in result.output


def test_init_refuses_unknown_adapter(tmp_path: Path):
    result = runner.invoke(app, ["init", str(tmp_path / "x"), "--adapter", "nope"])
    assert result.exit_code == 2 and "shipped adapters" in result.output


def test_adapters_lists_shipped_mappings():
    result = runner.invoke(app, ["adapters"])
    assert result.exit_code == 0
    assert "amazon_connect_ctr:" in result.output and "anonymous_bank:" in result.output
