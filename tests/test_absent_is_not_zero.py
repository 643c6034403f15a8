"""Absent is not zero, for every stored result: each contacts column the generated month gives is
left unmapped in turn, and no stored number may fall to 0 where the full run's is not (a figure the
export cannot give is null, never the engine's 0 over a filled-in default)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

import cxkit
from cxkit.results import compute_results
from cxkit.testing import stored_schemas

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "engagements" / "demo" / "engagement.yaml"

#: numbers whose 0 is measured where the column's other rows are not: counts of what was judged
#: (0 when nothing could be: they say why nothing was), a scenario's repeat drop when it moves no
#: repeat (AHT, containment, volume), and the share of Monte Carlo draws below zero of the savings
#: still measured (the practice case's, the one below zero, is not measured without talk times)
ZERO_BY_MEANING = {"fcr_sensitivity.censored", "scenario_summary.inconsistent_flags",
                   "scenario_summary.repeat_drop_share", "scenario_monte_carlo.share_negative"}

#: the contacts columns swept: those the loader fills with a default when absent (IVR, wait and
#: hold times, callbacks), and those whose absence leaves whole results not measured
SWEPT = ("hold_s", "ivr_s", "wait_s", "callback_scheduled", "talk_s", "queue", "contact_reason", "customer_id")


@pytest.fixture(scope="module")
def month(tmp_path_factory) -> Path:
    from cxkit.generate import generate

    folder = tmp_path_factory.mktemp("absent")
    shutil.copy(DEMO, folder / "engagement.yaml")
    generate(folder / "data", seed=19, customers=600)
    return folder


#: the runs computed so far, by (month, column unmapped, source left out): each once per module
_RUNS: dict[tuple[Path, str | None, str | None], Path] = {}


def _run(folder: Path, column: str | None = None, source: str | None = None) -> Path:
    """The run folder of the month with contacts ``column`` unmapped or ``source`` left out (or
    neither: the full run), its results computed once for the module's tests."""
    if (folder, column, source) in _RUNS:
        return _RUNS[folder, column, source]
    spec = yaml.safe_load((folder / "engagement.yaml").read_text())
    if column:
        spec["sources"]["contacts"].setdefault("columns", {})[column] = None
    if source:
        del spec["sources"][source]
    label = column or (source and f"no_{source}") or "full"
    path = folder / f"engagement_{label}.yaml"
    path.write_text(yaml.safe_dump(spec))
    run = folder / f"run_{label}"
    compute_results(cxkit.open_engagement(path), run)
    _RUNS[folder, column, source] = run
    return run


def _numbers(folder: Path, drop: str | None) -> dict[str, pd.DataFrame]:
    run = _run(folder, column=drop)
    return {f.stem: pd.read_parquet(f) for f in (run / "results").glob("*.parquet")}


def _all_zero(s: pd.Series) -> bool:
    values = s.dropna()
    return len(values) > 0 and bool((values.astype("float64") == 0).all())


@pytest.fixture(scope="module")
def full(month) -> dict[str, pd.DataFrame]:
    return _numbers(month, None)


@pytest.mark.parametrize("column", SWEPT)
def test_no_stored_number_falls_to_zero_when_a_column_is_absent(month, full, column):
    fallen = []
    for name, frame in _numbers(month, column).items():
        whole = full.get(name)
        for c in frame.columns:
            if whole is None or c not in whole.columns or f"{name}.{c}" in ZERO_BY_MEANING:
                continue
            # a flag (suppressed, below the minimum n) is not a number: False is what it says
            numeric = pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
            if numeric and _all_zero(frame[c]) and not _all_zero(whole[c]) and whole[c].notna().any():
                fallen.append(f"{name}.{c}")
    assert not fallen, f"without contacts.{column}, stored as 0 where the full export measures them: {fallen}"


#: the optional sources left out in turn (the contacts export is the one every run needs)
SOURCES = ("cases", "surveys", "qa", "intervals")


@pytest.mark.parametrize("left_out", [*(("column", c) for c in SWEPT), *(("source", s) for s in SOURCES)],
                         ids=lambda kind_name: f"{kind_name[0]}:{kind_name[1]}")
def test_a_stored_result_has_the_full_runs_column_types_whatever_the_export_lacks(month, left_out):
    # the chat-only export beside a WFM export stored staffing_summary with no row and every one of
    # its 16 columns of no type (Parquet null) where the full run stores int64 and double: a
    # pipeline reading results/ got a schema that depended on the client's exports
    full_schemas = stored_schemas(_run(month))
    kind, left = left_out
    changed = {}
    for name, columns in stored_schemas(_run(month, **{kind: left})).items():
        for column, stored in columns.items():
            expected = full_schemas.get(name, {}).get(column)
            if stored == "null" or (expected is not None and stored != expected):
                changed[f"{name}.{column}"] = (expected, stored)
    assert not changed, f"without {kind} {left}, stored types (full run, this run): {changed}"
