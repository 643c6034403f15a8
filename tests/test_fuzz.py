"""Property-based tests: random bad input to the configuration, the readers and the mapping.

Whatever the input, the only outcomes allowed are a result or a :class:`cxkit.errors.CxkitError`
(exit code 2 through the CLI, with a message and no traceback). Example counts are small so the
whole suite stays within a few minutes on two cores; each test prints nothing and writes only
under its own temporary folder.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cxkit.session import Session
from cxkit.cli import app
from cxkit.config import engagement_from_dict, load_engagement
from cxkit.errors import CxkitError

#: CXKIT_FUZZ_SCALE=20 runs twenty times as many examples (a deeper search before a release)
_SCALE = max(1, int(os.environ.get("CXKIT_FUZZ_SCALE", "1")))
FUZZ = settings(max_examples=40 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW_FUZZ = settings(max_examples=15 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HEADER = "call_id,customer_id,arrived,ended,outcome,talk,queue,channel\n"
ROWS = "".join(
    f"c{i},CU{i % 7:05d},2026-03-02 {8 + i:02d}:00:00,2026-03-02 {8 + i:02d}:05:00,AGENT,{60 * i},Q{i % 3},PH\n"
    for i in range(10)
)
MAPPING: dict[str, Any] = {
    "contact_id": "call_id",
    "customer_id": "customer_id",
    "channel": {"column": "channel", "values": {"PH": "voice"}},
    "direction": {"constant": "inbound"},
    "arrived_at": {"column": "arrived", "format": "%Y-%m-%d %H:%M:%S"},
    "ended_at": {"column": "ended", "format": "%Y-%m-%d %H:%M:%S"},
    "outcome": {"column": "outcome", "values": {"AGENT": "handled"}},
    "talk_s": "talk",
    "queue": "queue",
}
BASE: dict[str, Any] = {
    "name": "fuzz",
    "client": "Fuzz",
    "period": {"start": "2026-03-01", "end": "2026-03-31"},
    "timezone": "UTC",
    "sources": {"contacts": {"path": "calls.csv", "columns": MAPPING}},
}

# ---------------------------------------------------------------- strategies

#: values a YAML file can hold, from the plausible to the absurd
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", "..", "../../x", "9999-12-31", "2026-02-30", "csv", "UTC", "Mars/Base", "08:00-20:00",
                     "8am to 8pm", "disposition = = 'X'", "CAST(x AS INTEGER)", ":x: [bold]", "<script>", "%Y-%m-%d",
                     "hms", "ms", "leg", "table"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                      max_leaves=12)

#: every key path of the engagement a mutation may hit (and a few that do not exist)
PATHS = [
    ("name",), ("client",), ("period",), ("period", "start"), ("period", "end"), ("timezone",), ("currency",),
    ("sources",), ("sources", "contacts"), ("sources", "contacts", "path"), ("sources", "contacts", "format"),
    ("sources", "contacts", "columns"), ("sources", "contacts", "read_options"), ("sources", "contacts", "exclude"),
    ("sources", "contacts", "dedup"), ("sources", "contacts", "grain"), ("sources", "contacts", "adapter"),
    ("sources", "contacts", "timezone"), ("sources", "surveys"), ("sources", "nonsense"),
    ("resolution",), ("resolution", "repeat_window_days"), ("resolution", "sensitivity_windows_days"),
    ("resolution", "min_n"), ("resolution", "max_contacts_per_customer_per_day"), ("operations", "sl_seconds"),
    ("operations", "sl_seconds", "voice"), ("operations", "short_abandon_s"), ("effort", "weights"),
    ("followthrough", "case_open_age_days"), ("cost", "cost_per_contact"), ("cost", "scenarios"),
    ("cost", "occupancy"), ("readiness", "business_hours"), ("readiness", "business_hours", "mon"),
    ("readiness", "thresholds"), ("report", "sections"), ("report", "renderer"), ("backend",), ("benchmarks",),
    ("unknown_key",),
]


def _set(tree: dict, path: tuple[str, ...], value: Any) -> dict:
    tree = json.loads(json.dumps(tree))
    node = tree
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[path[-1]] = value
    return tree


mutations = st.lists(st.tuples(st.sampled_from(PATHS), values), min_size=1, max_size=4)


#: every example's folder is made in one folder per test process, removed when the module's tests
#: end (a Hypothesis example cannot take pytest's tmp_path: it is one folder for all examples)
_EXAMPLES = Path(tempfile.mkdtemp(prefix="cxkit-fuzz-"))


@pytest.fixture(scope="module", autouse=True)
def _remove_the_examples_folders():
    yield
    shutil.rmtree(_EXAMPLES, ignore_errors=True)


def _folder(data: bytes | str = HEADER + ROWS, name: str = "calls.csv") -> Path:
    folder = Path(tempfile.mkdtemp(dir=_EXAMPLES))
    content = data if isinstance(data, bytes) else data.encode()
    (folder / name).write_bytes(content)
    return folder


def _outcome(fn) -> Any:
    """Call ``fn``; a CxkitError is an allowed outcome, any other exception fails the test."""
    try:
        return fn()
    except CxkitError as exc:
        assert str(exc).strip(), "a CxkitError must say what to fix"
        return exc


# ---------------------------------------------------------------- the configuration


@FUZZ
@given(mutations)
def test_any_engagement_dict_is_valid_or_a_config_error(changes):
    raw = BASE
    for path, value in changes:
        raw = _set(raw, path, value)
    folder = _folder()
    outcome = _outcome(lambda: engagement_from_dict(raw, base_dir=folder))
    if not isinstance(outcome, CxkitError):
        e = outcome
        # a valid engagement's numbers are usable: finite, in range, the period representable
        assert 0 < e.resolution.repeat_window_days <= 365
        assert all(0 < w <= 365 for w in e.resolution.sensitivity_windows_days)
        assert all(0 < v <= 30 * 86400 for v in e.operations.sl_seconds.values())
        assert e.period_end_utc > e.period_start_utc
        assert not any(math.isnan(v) or math.isinf(v) for v in e.readiness.thresholds.values())


@FUZZ
@given(st.text(max_size=300))
def test_any_yaml_text_loads_or_is_a_config_error(text):
    folder = _folder()
    (folder / "engagement.yaml").write_text(text, encoding="utf-8")
    _outcome(lambda: load_engagement(folder))


@SLOW_FUZZ
@given(mutations)
def test_the_cli_answers_any_configuration_with_exit_0_1_or_2_and_no_traceback(changes):
    raw = BASE
    for path, value in changes:
        raw = _set(raw, path, value)
    folder = _folder()
    (folder / "engagement.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True))
    result = CliRunner().invoke(app, ["validate", str(folder), "--out", str(folder / "out")])
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- the readers

#: CSV-ish text: the header, rows, and the damage exports suffer
damage = st.sampled_from(["", '"', '""', ",", "\n", "\r\n", "\t", ";", "\x00", "\ufeff", "é", "\xff", "NULL", "n/a",
                          "2026-13-45 25:61:00", "1e309", "-0", "9" * 30])


@st.composite
def damaged_csv(draw) -> bytes:
    text = HEADER + ROWS
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        cut = draw(st.integers(min_value=0, max_value=8))
        text = text[:at] + draw(damage) + text[at + cut:]
    if draw(st.booleans()):
        text = text[: draw(st.integers(min_value=0, max_value=len(text)))]  # cut short
    encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


readable_bytes = st.one_of(damaged_csv(), st.binary(max_size=200))


@SLOW_FUZZ
@given(readable_bytes, st.sampled_from(["calls.csv", "calls.json", "calls.jsonl", "calls.parquet", "calls.csv.gz"]))
def test_any_file_reads_to_tables_and_readiness_or_a_source_error(content, name):
    from cxkit.readiness import assess

    folder = _folder(content, name)
    raw = _set(BASE, ("sources", "contacts", "path"), name)

    def run():
        s = Session(engagement_from_dict(raw, base_dir=folder))
        s.table("contacts").count().execute()
        return assess(s)

    _outcome(run)


# ---------------------------------------------------------------- the mapping

raw_columns = st.sampled_from(["call_id", "customer_id", "arrived", "ended", "outcome", "talk", "queue", "channel",
                               "missing", "CALL_ID", ""])
sql = st.sampled_from(["talk * 2", "CAST(talk AS INTEGER)", "TRY_CAST(talk AS INTEGER)", "upper(queue",
                       "queue || channel", "strptime(arrived, '%d')", "1/0", "no_such_function(talk)",
                       "CASE WHEN talk > '100' THEN 1 END", "talk; DROP TABLE x", "SELECT 1", "NULL", "arrived::DATE",
                       "json_extract(queue, '$.a')", "list_value(talk)[5]"])
mapping = st.one_of(
    raw_columns,
    st.fixed_dictionaries({"column": raw_columns}, optional={
        "format": st.sampled_from(["iso", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y", "%Q", "", "%"]),
        "unit": st.sampled_from(["s", "ms", "min", "hms", "hours"]),
        "timezone": st.sampled_from(["UTC", "Europe/London", "Mars/Base"]),
        "values": st.dictionaries(st.text(max_size=5), scalars, max_size=3),
        "null_values": st.lists(st.text(max_size=5), max_size=3),
    }),
    st.fixed_dictionaries({"sql": sql}),
    st.fixed_dictionaries({"constant": scalars}),
    values,
)
canonical = st.sampled_from(["contact_id", "customer_id", "channel", "direction", "arrived_at", "answered_at",
                             "ended_at", "talk_s", "wait_s", "hold_s", "outcome", "queued", "transfers",
                             "callback_scheduled", "queue", "auth_attempts", "not_a_column"])


@SLOW_FUZZ
@given(st.dictionaries(canonical, mapping, min_size=1, max_size=4))
def test_any_mapping_maps_the_data_or_is_an_error_naming_the_key(overrides):
    folder = _folder()
    raw = _set(BASE, ("sources", "contacts", "columns"), {**MAPPING, **overrides})

    def run():
        s = Session(engagement_from_dict(raw, base_dir=folder))
        frame = s.table("contacts").execute()
        s.load_reports["contacts"].counts()
        return frame

    outcome = _outcome(run)
    if isinstance(outcome, CxkitError):
        assert "sources.contacts" in str(outcome) or "engagement" in str(outcome), str(outcome)
