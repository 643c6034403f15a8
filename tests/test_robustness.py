"""Hostile input, silent wrong numbers, leaks and leftovers (issue 13): one test per case.

Every row of ``docs/robustness.md`` names the test here that backs it. The CLI is driven in
process (``typer.testing.CliRunner``); a crash shows as an exception or a "Traceback" in the
output, which every CLI case rules out.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import cxkit
from cxkit import loading
from cxkit.cli import app
from cxkit.config import engagement_from_dict, load_engagement
from cxkit.errors import ConfigError, CxkitError
from cxkit.privacy import IdentifierSet, scan_folder, scan_text

runner = CliRunner()

# ---------------------------------------------------------------- a small CSV engagement

HEADER = "call_id,customer_id,arrived,ended,outcome,talk,queue,channel\n"


def _rows(n: int = 12, day: int = 2, talk: str = "300", customer: str | None = None) -> str:
    """``n`` inbound handled calls on 2026-03-<day>, one an hour from 08:00, five minutes each."""
    out = []
    for i in range(n):
        cust = customer or f"CU{i:05d}"
        out.append(f"c{day}-{i},{cust},2026-03-{day:02d} {8 + i % 12:02d}:{i // 12:02d}:00,"
                   f"2026-03-{day:02d} {8 + i % 12:02d}:{i // 12 + 5:02d}:00,AGENT,{talk},Q_SALES,PH")
    return "\n".join(out) + "\n"


ENGAGEMENT = {
    "name": "robust",
    "client": "Robust Ltd",
    "period": {"start": "2026-03-01", "end": "2026-03-31"},
    "timezone": "UTC",
    "sources": {"contacts": {"path": "calls.csv", "columns": {
        "contact_id": "call_id",
        "customer_id": "customer_id",
        "channel": {"column": "channel", "values": {"PH": "voice"}},
        "direction": {"constant": "inbound"},
        "arrived_at": {"column": "arrived", "format": "%Y-%m-%d %H:%M:%S"},
        "ended_at": {"column": "ended", "format": "%Y-%m-%d %H:%M:%S"},
        "outcome": {"column": "outcome", "values": {"AGENT": "handled"}},
        "talk_s": "talk",
        "queue": "queue",
    }}},
    # a day of calls judges repeats only within a window shorter than the day: 2.4 hours
    # (contacts.period.judges_repeats blocks FCR when no contact can be judged)
    "resolution": {"repeat_window_days": 0.1},
}


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _engagement(tmp_path: Path, data: str | bytes | None = None, extra: dict | None = None, *,
                text: str | None = None, name: str = "calls.csv") -> Path:
    """An engagement folder: ``calls.csv`` (or ``name``) holding ``data`` and engagement.yaml."""
    folder = tmp_path / "eng"
    folder.mkdir(exist_ok=True)
    if data is not None:
        content = data if isinstance(data, bytes) else data.encode()
        (folder / name).write_bytes(content)
    spec = _merge(ENGAGEMENT, extra or {})
    (folder / "engagement.yaml").write_text(text if text is not None else yaml.safe_dump(spec, sort_keys=False))
    return folder


def _cli(*args: str):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def _validate(folder: Path, tmp_path: Path):
    return _cli("validate", folder, "--out", tmp_path / "out")


def _says(result, *parts: str) -> None:
    flat = " ".join(result.output.split())
    for part in parts:
        assert " ".join(part.split()) in flat, f"{part!r} not in:\n{result.output}"


CLEAN = HEADER + _rows()

# ================================================================ 1. crashes -> exit 2, key and fix


@pytest.mark.parametrize(("case", "extra", "expected"), [
    ("columns_not_a_mapping", {"sources": {"contacts": {"columns": "oops"}}},
     ["sources.contacts.columns: must be a mapping of canonical column to raw column", "found str 'oops'"]),
    ("exclusion_sql_invalid", {"sources": {"contacts": {"exclude": [{"when": "disposition = = 'X'", "reason": "x"}]}}},
     ["sources.contacts.exclude[0].when: not valid SQL", "write one DuckDB condition"]),
    ("exclusion_of_the_wrong_type", {"sources": {"contacts": {"exclude": [{"when": "queue - 1 > 0",
                                                                          "reason": "x"}]}}},
     ["sources.contacts.exclude[0].when ('queue - 1 > 0') does not run on this data",
      "Fix: correct the condition"]),
    ("derived_of_the_wrong_type",
     {"sources": {"contacts": {"columns": {"answered_at": {"derive": "arrived_at + talk_s"}}}}},
     ["sources.contacts.columns.answered_at.derive ('arrived_at + talk_s') does not run on this data",
      "add seconds to an instant with to_seconds(...)"]),
    ("business_hours_in_words", {"readiness": {"business_hours": {"mon": "8am to 8pm"}}},
     ["readiness.business_hours: mon: '8am to 8pm' is not opening hours", "'HH:MM-HH:MM'"]),
    ("period_in_year_9999", {"period": {"start": "9999-12-01", "end": "9999-12-31"}},
     ["period.start (9999-12-01) is outside 1900-01-01 to 2199-12-31"]),
    ("huge_window", {"resolution": {"repeat_window_days": 1e300}},
     ["resolution.repeat_window_days: Input should be less than or equal to 365 (found 1e+300)"]),
    ("huge_min_n", {"resolution": {"min_n": 10**30}},
     ["resolution.min_n: Input should be less than or equal to 1000000"]),
    ("negative_sensitivity_window", {"resolution": {"sensitivity_windows_days": [-3, 0, 7]}},
     ["resolution.sensitivity_windows_days[0]: Input should be greater than 0 (found -3)",
      "resolution.sensitivity_windows_days[1]: Input should be greater than 0 (found 0)"]),
    ("negative_service_level", {"operations": {"sl_seconds": {"voice": -20}}},
     ["operations.sl_seconds.voice: Input should be greater than 0 (found -20)"]),
])
def test_config_crashes_are_messages_with_the_key(tmp_path, case, extra, expected):
    result = _validate(_engagement(tmp_path, CLEAN, extra), tmp_path)
    assert result.exit_code == 2
    _says(result, *expected)


@pytest.mark.parametrize(("case", "extra", "expected"), [
    ("misspelt_channel_key", {"operations": {"sl_seconds": {"voise": 30}}},
     ["operations.sl_seconds: 'voise' (did you mean 'voice'?): not a channel"]),
    ("cost_of_an_unknown_channel", {"cost": {"cost_per_contact": {"phone": 5}}},
     ["cost.cost_per_contact: 'phone' is not a canonical channel"]),
    ("unknown_effort_component", {"effort": {"weights": {"waiting": 2}}},
     ["effort.weights: ['waiting']: not effort components; known: extra_contacts"]),
    ("empty_dedup_key", {"sources": {"contacts": {"dedup": {"key": []}}}},
     ["sources.contacts.dedup.key: empty; list the raw column(s) identifying one record"]),
    ("sources_as_a_list", {"sources": ["contacts"]},
     ["sources: must be a mapping of canonical table to source (contacts: ..., cases: ...); found list"]),
    ("adapter_as_a_mapping", {"sources": {"contacts": {"adapter": {"name": "x"}}}},
     ["sources.contacts.adapter: must be an adapter name or the path of an adapter YAML file; found dict"]),
    ("adapter_name_too_long", {"sources": {"contacts": {"adapter": "a" * 5000}}},
     ["sources.contacts.adapter: unknown adapter 'aaaa"]),
    ("column_mapping_of_the_wrong_type", {"sources": {"contacts": {"columns": {"queue": 5}}}},
     ["sources.contacts.columns.queue: give a raw column name or a mapping with one of column, sql or constant "
      "(found 5)"]),
    ("mapping_sql_with_two_statements", {"sources": {"contacts": {"columns": {"queue": {"sql": "queue; DROP TABLE x"}}}}},
     ["sources.contacts.columns.queue.sql: one expression is expected, found 2 statements"]),
])
def test_more_config_mistakes_are_named(tmp_path, case, extra, expected):
    result = _validate(_engagement(tmp_path, CLEAN, extra), tmp_path)
    assert result.exit_code == 2
    _says(result, *expected)
    assert ".str:" not in result.output  # one message per key, not one per branch of a union


def test_adapter_with_a_yaml_syntax_error_names_its_line(tmp_path):
    folder = _engagement(tmp_path, CLEAN, {"sources": {"contacts": {"adapter": "./bad_adapter.yaml"}}})
    (folder / "bad_adapter.yaml").write_text("sources:\n  contacts: {format: [csv\n")
    result = _validate(folder, tmp_path)
    assert result.exit_code == 2
    _says(result, "sources.contacts.adapter:", "bad_adapter.yaml: not valid YAML at line 3")


def test_mapping_sql_failing_on_the_data_names_the_key(tmp_path):
    extra = {"sources": {"contacts": {"columns": {"queue": {"sql": "CAST(queue AS INTEGER)"}}}}}
    result = _validate(_engagement(tmp_path, CLEAN, extra), tmp_path)
    assert result.exit_code == 2
    _says(result, "sources.contacts.columns.queue: fails on this data", "Q_SALES", "Fix: use TRY_CAST")


def test_an_exclusion_rule_failing_on_a_value_names_the_key(tmp_path):
    # binds (text may be cast to a number), fails on the first value that is not one
    extra = {"sources": {"contacts": {"exclude": [{"when": "CAST(queue AS INTEGER) > 0", "reason": "x"}]}}}
    result = _validate(_engagement(tmp_path, CLEAN, extra), tmp_path)
    assert result.exit_code == 2
    _says(result, "sources.contacts.exclude[0].when ('CAST(queue AS INTEGER) > 0') does not run on this data",
          "Q_SALES", "Fix: correct the condition")


def test_a_failing_column_beside_a_derive_is_not_blamed_on_the_derive(tmp_path):
    extra = {"sources": {"contacts": {"columns": {"queue": {"sql": "queue - 1"},
                                                  "answered_at": {"derive": "arrived_at + to_seconds(talk_s)"}}}}}
    result = _validate(_engagement(tmp_path, CLEAN, extra), tmp_path)
    assert result.exit_code == 2
    _says(result, "the mapping for 'contacts' does not run on this data: Binder Error")
    assert "derive" not in result.output


def test_a_timestamp_expression_that_does_not_bind_names_the_key(tmp_path):
    # found by the mapping fuzz test: the type probe of a timestamp expression raised BinderException
    spec = json.loads(json.dumps(ENGAGEMENT))
    spec["sources"]["contacts"]["columns"]["arrived_at"] = {"sql": "talk * 2"}
    result = _validate(_engagement(tmp_path, CLEAN, text=yaml.safe_dump(spec)), tmp_path)
    assert result.exit_code == 2
    _says(result, "sources.contacts.columns.arrived_at ('talk * 2') does not run on this data: Binder Error")


def test_unwritable_output_folders_are_messages(tmp_path, monkeypatch):
    folder = _engagement(tmp_path, CLEAN)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = _cli("validate", folder, "--out", blocker / "out")
    assert result.exit_code == 2
    _says(result, "cannot write the validation results here", "--out")
    result = _cli("run", folder, "--reports", blocker / "reports")
    assert result.exit_code == 2
    _says(result, "a-file")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "ro"))

    monkeypatch.setattr("cxkit.readiness.run.tempfile.mkdtemp", refuse)
    result = _cli("validate", folder, "--out", tmp_path / "ro")
    assert result.exit_code == 2
    _says(result, "Permission denied", "make the folder writable, or choose another with --out")


def test_an_unexpected_error_is_exit_2_and_says_it_is_a_bug(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("cxkit.readiness.validate", boom)
    result = _validate(_engagement(tmp_path, CLEAN), tmp_path)
    assert result.exit_code == 2
    _says(result, "cxkit: unexpected error", "ZeroDivisionError", "CXKIT_DEBUG=1")


# ================================================================ 2. messages that point to the right fix

CSV_BYTES = CLEAN.encode()


def _quote_broken_at_line(n: int) -> str:
    """An export quoting every text field (as most do), one closing quote missing on line ``n``."""
    quoted = [",".join(f'"{v}"' for v in line.split(",")) for line in (HEADER + _rows(240)).splitlines()]
    quoted[n - 1] = quoted[n - 1].replace('"Q_SALES"', '"Q_SALES', 1)
    return "\n".join(quoted) + "\n"


@pytest.mark.parametrize(("case", "content", "extra", "expected"), [
    ("gzip_named_csv", gzip.compress(CSV_BYTES), {},
     ["calls.csv: is gzip-compressed but its name does not end in .gz", "read_options.compression: gzip"]),
    ("parquet_named_csv", None, {}, ["calls.csv: is a Parquet file, not csv", "sources.contacts.format: parquet"]),
    ("truncated_last_line", CSV_BYTES[:-25], {},
     ["calls.csv: the last line (13) has 4 of the header's 8 fields: the file looks truncated"]),
    ("truncated_inside_quotes", CSV_BYTES + b'c9,CU9,"2026-03-02 10', {},
     ["the last line (14) ends inside a quoted field: the file looks truncated"]),
    ("misspelt_read_option", CSV_BYTES, {"sources": {"contacts": {"read_options": {"delimitr": ","}}}},
     ["sources.contacts.read_options.delimitr: not an option of the csv reader; did you mean 'delim'?"]),
    # two at once: the reader names only the first it meets
    ("two_misspelt_read_options", CSV_BYTES, {"sources": {"contacts": {"read_options": {"delimitr": ",",
                                                                                         "quotechar": '"'}}}},
     ["sources.contacts.read_options.delimitr: not an option of the csv reader; did you mean 'delim'?",
      "sources.contacts.read_options.quotechar: not an option of the csv reader; did you mean 'quote'?"]),
    ("unbalanced_quote_line_201", _quote_broken_at_line(201).encode(), {},
     ["calls.csv: line 201", "unbalanced quote", "sources.contacts.read_options.quote"]),
    ("unclosed_quote_in_the_header", b'"' + CSV_BYTES, {},
     ["calls.csv: the header line: a quoted field is never closed", "sources.contacts.read_options.quote"]),
    ("latin1_not_utf8", (HEADER + _rows(3).replace("Q_SALES", "Q_CAFÉ")).encode("latin-1"), {},
     ["line 2 is not UTF-8 text (byte 0xC9)", "sources.contacts.read_options.encoding"]),
    ("excel_workbook", b"PK\x03\x04" + b"\x00" * 60, {}, ["is a ZIP archive (an Excel .xlsx workbook is one)", "export the sheet as CSV"]),
    # pure ASCII: DuckDB's sniffer fails on a CRLF export with one LF line appended, and its
    # message lists the encoding it tried, which was read as "the file is not UTF-8"
    ("mixed_line_endings", CSV_BYTES.replace(b"\n", b"\r\n") + _rows(1, day=3).encode(), {},
     ["calls.csv: the file mixes line endings: line 14 ends in LF (\\n) while the other 13 lines end in CRLF "
      "(\\r\\n)", "sources.contacts.read_options.strict_mode: false"]),
    # Excel's delimiter hint above the header: "line 2 has 8 fields where the header has 1"
    ("excel_sep_hint", b"sep=,\n" + CSV_BYTES, {},
     ["calls.csv: its first line, 'sep=,', is Excel's delimiter hint, not the header",
      "sources.contacts.read_options: {skip: 1, delim: ','}"]),
    # a JSON-lines export saved "UTF-8 with BOM": the reader's words blamed the first mapped column
    ("json_lines_with_a_bom", b"\xef\xbb\xbf" + b'{"call_id": "c1"}\n',
     {"sources": {"contacts": {"path": "calls.jsonl"}}},
     ["calls.jsonl: starts with a UTF-8 byte order mark (BOM)", "save it as UTF-8 without a BOM"]),
    ("mixed_line_endings_several", b"".join(line + (b"\r\n" if i in (3, 7) else b"\n")
                                            for i, line in enumerate(CSV_BYTES.splitlines(), start=1)), {},
     ["11 lines end in LF (\\n) and 2 in CRLF (\\r\\n), the first of these on line 3"]),
])
def test_unreadable_files_name_the_real_cause(tmp_path, case, content, extra, expected):
    if content is None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"call_id": ["c1"]}), tmp_path / "x.parquet")
        content = (tmp_path / "x.parquet").read_bytes()
    name = "calls.jsonl" if case == "json_lines_with_a_bom" else "calls.csv"
    result = _validate(_engagement(tmp_path, content, extra, name=name), tmp_path)
    assert result.exit_code == 2
    _says(result, *expected)
    assert "not UTF-8" not in result.output or case == "latin1_not_utf8"


def _json_lines(n: int) -> list[str]:
    keys = HEADER.strip().split(",")
    return [json.dumps(dict(zip(keys, row.split(",")))) for row in _rows(n).splitlines()]


@pytest.mark.parametrize(("case", "expected"), [
    # the reader said "line 14" of a 13-line file: its line numbers are one past the line
    ("cut_short", "calls.jsonl: the last line (13) is not a whole JSON object"),
    ("bad_line_5", "calls.jsonl: line 5 is not a JSON object"),
])
def test_a_json_lines_export_names_the_line_that_does_not_parse(tmp_path, case, expected):
    lines = _json_lines(13)
    if case == "cut_short":
        lines[-1] = lines[-1][:25]
    else:
        lines[4] = lines[4].replace('"call_id": ', "call_id: ")
    folder = _engagement(tmp_path, "\n".join(lines) + "\n", {"sources": {"contacts": {"path": "calls.jsonl"}}},
                         name="calls.jsonl")
    result = _validate(folder, tmp_path)
    assert result.exit_code == 2
    _says(result, expected, "export it again in full" if case == "cut_short" else "correct that line in the export")
    assert "line 14" not in result.output and "line 6" not in result.output


def test_mixed_line_endings_are_named_and_the_fix_given_works(tmp_path):
    mixed = CSV_BYTES.replace(b"\n", b"\r\n") + _rows(1, day=3).encode()
    result = _validate(_engagement(tmp_path, mixed, {"sources": {"contacts": {"read_options": {"strict_mode": False}}}}),
                       tmp_path)
    assert result.exit_code != 2, result.output
    # a line break inside a quoted field (a spreadsheet's multi-line cell) is a value, not a line ending
    (tmp_path / "cell.csv").write_bytes(b'a,b\r\n1,"two\nlines"\r\n3,x\r\n')
    assert loading._csv_problem(str(tmp_path / "cell.csv"), {}) is None


def test_json_feeds_without_records_or_with_nested_records(tmp_path):
    # found while probing: "[]" was reported as a header mismatch, records nested under a key too
    records = [{"call_id": "c1", "customer_id": "CU00001", "arrived": "2026-03-02 08:00:00",
                "ended": "2026-03-02 08:05:00", "outcome": "AGENT", "talk": "300", "queue": "Q", "channel": "PH"}]
    folder = _engagement(tmp_path, b"[]", {"sources": {"contacts": {"path": "calls.json"}}}, name="calls.json")
    result = _validate(folder, tmp_path)
    assert result.exit_code == 1
    _says(result, "the contacts feed has 0 rows")
    (folder / "calls.json").write_text(json.dumps({"data": records}))
    result = _validate(folder, tmp_path)
    assert result.exit_code == 2
    _says(result, "calls.json: the records are nested in one field, 'data'", "records: data")
    # the fix the message gives works: the feed loads, one row per element of the list
    folder = _engagement(tmp_path, None, {"sources": {"contacts": {"path": "calls.json", "records": "data"}}},
                         name="calls.json")
    result = _validate(folder, tmp_path)
    assert result.exit_code != 2, result.output
    assert "nested in one field" not in result.output


def test_a_folder_path_says_it_is_a_folder(tmp_path):
    folder = _engagement(tmp_path, None, {"sources": {"contacts": {"path": "exports", "format": "csv"}}})
    (folder / "exports").mkdir()
    (folder / "exports" / "a.csv").write_text(CLEAN)
    (folder / "exports" / "b.csv").write_text("x,y\n1,2\n")
    result = _validate(folder, tmp_path)
    assert result.exit_code == 2
    _says(result, "exports' is a folder (2 files: a.csv, b.csv), not a file", "'exports/*.csv'")


def test_a_header_naming_a_mapped_column_twice_is_refused_with_the_fix(tmp_path):
    # two columns named "arrived" (a vendor's local and UTC times, say): the reader keeps the
    # name for the first and calls the second "arrived_1", so the mapping read one of them
    # without a word. Now: exit 2, naming the key, both columns and the read option that names them
    lines = CLEAN.splitlines()
    header = lines[0].replace("arrived,", "arrived,arrived,")
    rows = [",".join([*r.split(",")[:3], "x", *r.split(",")[3:]]) for r in lines[1:]]
    data = "\n".join([header, *rows]) + "\n"
    folder = _engagement(tmp_path, data)
    result = _validate(folder, tmp_path)
    assert result.exit_code == 2
    _says(result, "sources.contacts.columns.arrived_at: raw column 'arrived' is named 2 times in the header of",
          "'arrived' (column 3), 'arrived_1' (column 4)", "sources.contacts.read_options.names")
    assert "Traceback" not in result.output
    # the fix it names: the columns named once each; the export itself is not touched
    names = ["call_id", "customer_id", "arrived", "arrived_other", "ended", "outcome", "talk", "queue", "channel"]
    folder = _engagement(tmp_path, data, {"sources": {"contacts": {"read_options": {"names": names}}}})
    assert _validate(folder, tmp_path).exit_code == 0
    # a repeated name the mapping does not read is not the mapping's problem
    folder = _engagement(tmp_path, "\n".join([lines[0].replace("queue,", "queue,queue,"),
                                              *[",".join([*r.split(",")[:7], "q", *r.split(",")[7:]])
                                                for r in lines[1:]]]) + "\n",
                         {"sources": {"contacts": {"columns": {"queue": {"constant": "Q"}}}}})
    assert _validate(folder, tmp_path).exit_code == 0


def test_json_keys_differing_only_in_case_get_the_reader_option_that_reads_them(tmp_path):
    # a free-form map of custom attributes ({"tier": ..., "TIER": ...}): DuckDB's JSON reader,
    # inferring a struct, stops ("Duplicate name ... in struct auto-detected"), and cxkit said
    # "check sources.contacts.format", which was right already. Now the cause and two fixes
    import json

    lines = []
    for i, row in enumerate(CLEAN.splitlines()[1:]):
        call_id, customer, arrived, ended, outcome, talk, queue, channel = row.split(",")
        attrs = {"Tier": "gold"} if i % 2 else {"tier": "silver", "TIER": "x"}
        lines.append(json.dumps({"call_id": call_id, "customer_id": customer, "arrived": arrived, "ended": ended,
                                 "outcome": outcome, "talk": talk, "queue": queue, "channel": channel, "attrs": attrs}))
    data = "\n".join(lines) + "\n"
    folder = _engagement(tmp_path, data, {"sources": {"contacts": {"path": "calls.jsonl"}}}, name="calls.jsonl")
    result = _validate(folder, tmp_path)
    assert result.exit_code == 2
    _says(result, "a nested object in this export has keys that differ only in case",
          "Fix: set sources.contacts.read_options.maximum_depth: 1")
    assert "Traceback" not in result.output
    # the fix it names reads the export, attributes included
    folder = _engagement(tmp_path, data, {"sources": {"contacts": {
        "path": "calls.jsonl", "read_options": {"maximum_depth": 1},
        "columns": {"team": {"sql": "attrs->>'tier'"}}}}}, name="calls.jsonl")
    assert _validate(folder, tmp_path).exit_code == 0
    s = cxkit.open_engagement(folder)
    assert set(s.table("contacts").team.execute().dropna()) == {"silver"}


def test_a_glob_over_different_exports_names_the_odd_file(tmp_path):
    folder = _engagement(tmp_path, None, {"sources": {"contacts": {"path": "calls_*.csv"}}})
    (folder / "calls_1.csv").write_text(CLEAN)
    (folder / "calls_2.csv").write_text("x,y\n1,2\n")
    result = _validate(folder, tmp_path)
    assert result.exit_code == 2
    _says(result, "matches files that are different exports: calls_2.csv has columns ['x', 'y']")


@pytest.mark.parametrize(("case", "content", "extra"), [
    ("header_only", HEADER, {}),
    ("zero_bytes", "", {}),
    ("every_contact_outside_the_period", CLEAN, {"period": {"start": "2025-03-01", "end": "2025-03-31"}}),
])
def test_an_empty_period_blocks_validate_and_run(tmp_path, case, content, extra):
    folder = _engagement(tmp_path, content, extra)
    result = _validate(folder, tmp_path)
    assert result.exit_code == 1
    readiness = json.loads((tmp_path / "out" / "readiness.json").read_text())
    assert "contacts.daily.period_not_empty" in readiness["summary"]["blocking_failed"]
    check = next(c for c in readiness["checks"] if c["id"] == "contacts.daily.period_not_empty")
    assert check["finding"] == "0 contacts arrive inside the engagement period"
    result = _cli("run", folder, "--reports", tmp_path / "reports", "--renderer", "nbconvert")
    assert result.exit_code == 1
    _says(result, "no contact arrives inside the period", "The report was not run", "set period in the engagement")
    assert not (tmp_path / "reports" / "robust").exists() or not any((tmp_path / "reports" / "robust").iterdir())


def test_run_says_when_no_arrival_time_can_be_read(tmp_path):
    # found while probing: a date format that never matches left every arrival null, and the
    # refusal printed "arrive from NaT to NaT"
    extra = {"sources": {"contacts": {"columns": {"arrived_at": {"format": "%d/%m/%Y %H:%M"}}}}}
    result = _cli("run", _engagement(tmp_path, CLEAN, extra), "--reports", tmp_path / "reports")
    assert result.exit_code == 1
    _says(result, "none of the export's 12 contacts has an arrival time that can be read",
          "sources.contacts.columns.arrived_at")
    assert "NaT" not in result.output


@pytest.mark.parametrize(("case", "text", "expected"), [
    ("tab_indented_yaml", "name: t\nclient: T\nperiod:\n\tstart: 2026-03-01\n",
     ["not valid YAML at line 4, column 1", "replace the tab(s) at the start of that line with spaces"]),
    ("empty_sources", "name: t\nclient: T\nperiod: {start: 2026-03-01, end: 2026-03-31}\nsources:\n",
     ["sources: empty; name at least the contacts export", "contacts: {adapter:"]),
    ("duplicate_key", "name: t\nclient: T\nperiod: {start: 2026-03-01, end: 2026-03-31}\n"
                      "period: {start: 2025-03-01, end: 2025-03-31}\nsources: {}\n",
     ["key 'period' appears twice in one mapping (first on line 3)"]),
    ("empty_file", "", ["the file is empty; start from the commented template"]),
])
def test_yaml_problems_name_the_line_and_fix(tmp_path, case, text, expected):
    result = _validate(_engagement(tmp_path, CLEAN, text=text), tmp_path)
    assert result.exit_code == 2
    _says(result, *expected)


def test_init_on_an_existing_engagement_or_a_file_names_the_option(tmp_path):
    assert _cli("init", tmp_path / "acme").exit_code == 0
    result = _cli("init", tmp_path / "acme")
    assert result.exit_code == 2
    _says(result, "engagement.yaml already exists", "cxkit validate", "pass --force", "engagement.yaml.bak")
    (tmp_path / "acme" / "engagement.yaml").write_text("# mine\n")
    assert _cli("init", tmp_path / "acme", "--force").exit_code == 0
    assert (tmp_path / "acme" / "engagement.yaml.bak").read_text() == "# mine\n"
    (tmp_path / "plain.txt").write_text("")
    result = _cli("init", tmp_path / "plain.txt")
    assert result.exit_code == 2
    _says(result, "plain.txt: is a file, not a folder")


@pytest.mark.parametrize(("option", "value", "expected"), [
    ("--start", "2026-02-30", "--start 2026-02-30: not a calendar date (day is out of range for month); give YYYY-MM-DD"),
    ("--days", "0", "--days 0: give 1 to 366 days"),
    ("--timezone", "Mars/Base", "--timezone Mars/Base: not an IANA timezone"),
    ("--contacts", "-5", "--contacts -5: give a number of contacts of 1 or more"),
    ("--format", "xlsx", "--format xlsx: give one of parquet, csv"),
])
def test_bad_generate_options_are_named(tmp_path, option, value, expected):
    result = _cli("generate", tmp_path / "g", option, value)
    assert result.exit_code == 2
    _says(result, expected)
    assert not (tmp_path / "g").exists()


# ================================================================ 3. silent wrong numbers


def test_unreadable_durations_stay_null_are_counted_and_degrade_aht(tmp_path):
    rows = _rows(20).splitlines()
    rows[3] = rows[3].replace(",300,", ",12s,")
    rows[7] = rows[7].replace(",300,", ",n/a,")
    s = cxkit.open_engagement(_engagement(tmp_path, HEADER + "\n".join(rows) + "\n"))
    loaded = s.table("contacts", as_loaded=True).order_by("contact_id").execute()
    assert loaded.talk_s.isna().sum() == 2 and (loaded.talk_s.dropna() == 300).all()  # null, never 0
    assert s.load_reports["contacts"].parse_failures() == {
        "talk_s": {"count": 2, "of": 20, "samples": ["12s", "n/a"]}}
    from cxkit.readiness import assess

    r = assess(s)
    check = next(c for c in r.results if c.id == "contacts.values_readable")
    assert check.status == "fail"
    assert check.finding == ("values that could not be read, left empty and never read as 0 (2): "
                             "talk_s 2 of 20 (10.0%, e.g. '12s', 'n/a')")
    assert check.diagnostics == ["aht", "cost_model"]  # from talk_s's needed_by
    assert r.verdict("aht") == "degraded"
    assert any(x["check"] == "contacts.values_readable" for x in r.matrix["aht"]["reasons"])
    assert r.verdict("fcr_repeat") == "ready"  # FCR does not read talk_s
    assert check.consequence == (
        "the figures that need these columns rest on fewer contacts; numbers in talk_s written with a decimal comma "
        "(12,5) need sources.contacts.read_options.decimal_separator: ','; durations in other units or as 00:01:30 "
        "need unit (ms, min, hms) under sources.contacts.columns.<column>; a placeholder such as n/a needs null_values")


def test_an_unreadable_flag_gets_the_fix_of_a_flag_not_of_a_number(tmp_path):
    # a yes/no column mapped without its codes: the caveat told to set a decimal separator
    from cxkit.readiness import assess

    extra = {"sources": {"contacts": {"columns": {"callback_scheduled": "outcome"}}}}
    r = assess(cxkit.open_engagement(_engagement(tmp_path, HEADER + _rows(20), extra)))
    check = next(c for c in r.results if c.id == "contacts.values_readable")
    assert check.status == "fail" and "callback_scheduled 20 of 20 (100.0%, e.g. 'AGENT')" in check.finding
    assert check.consequence == (
        "the figures that need these columns rest on fewer contacts; map the codes of callback_scheduled (values and "
        "null_values under sources.contacts.columns.<column>)")


@pytest.mark.parametrize("unit", [None, "ms", "hms"])
def test_durations_written_nan_or_infinite_are_unreadable_not_numbers(tmp_path, unit):
    # a script's export may write "NaN" or "inf": read as numbers they made AHT's mean NaN (shown
    # as a bare dash) or infinite; as unreadable values they are left empty and counted
    rows = _rows(20, talk={"ms": "300000", "hms": "0:05:00"}.get(unit, "300")).splitlines()
    written = {"ms": "300000", "hms": "0:05:00"}.get(unit, "300")
    rows[3] = rows[3].replace(f",{written},", ",NaN,")
    rows[7] = rows[7].replace(f",{written},", ",inf,")
    extra = {"sources": {"contacts": {"columns": {"talk_s": {"column": "talk", "unit": unit}}}}} if unit else {}
    s = cxkit.open_engagement(_engagement(tmp_path, HEADER + "\n".join(rows) + "\n", extra))
    loaded = s.table("contacts", as_loaded=True).execute()
    assert loaded.talk_s.isna().sum() == 2 and (loaded.talk_s.dropna() == 300).all()
    assert s.load_reports["contacts"].parse_failures() == {
        "talk_s": {"count": 2, "of": 20, "samples": ["NaN", "inf"]}}


def test_unreadable_local_times_are_counted_in_a_timezone_with_a_dst_gap(tmp_path):
    # London local times: a text that is no time is a parse failure; 01:30 on 29 March does not
    # exist on a London clock (the DST gap) but parses, and is loaded, so it is not counted
    rows = _rows(10).splitlines()
    rows[2] = rows[2].replace("2026-03-02 10:00:00", "yesterday")
    rows[5] = rows[5].replace("2026-03-02 13:00:00", "2026-03-29 01:30:00")
    s = cxkit.open_engagement(_engagement(tmp_path, HEADER + "\n".join(rows) + "\n", {"timezone": "Europe/London"}))
    loaded = s.table("contacts", as_loaded=True).execute()
    assert loaded.arrived_at.isna().sum() == 1
    assert s.load_reports["contacts"].parse_failures() == {
        "arrived_at": {"count": 1, "of": 10, "samples": ["yesterday"]}}


def test_unreadable_local_times_are_counted_from_the_mapped_table_as_from_the_export(tmp_path):
    # nothing repeats, so the session mapped every kept row: a time's failures are its values
    # present less its typed values in that table, the same count as parsing the export again
    import ibis

    rows = _rows(10).splitlines()
    rows[2] = rows[2].replace("2026-03-02 10:00:00", "yesterday")
    rows[4] = rows[4].replace(",300,", ",12s,")
    rows[5] = rows[5].replace("2026-03-02 13:00:00", "2026-03-29 01:30:00")
    s = cxkit.open_engagement(_engagement(tmp_path, HEADER + "\n".join(rows) + "\n", {"timezone": "Europe/London"}))
    s.table("contacts", as_loaded=True)
    report = s.load_reports["contacts"]
    expected = {"arrived_at": {"count": 1, "of": 10, "samples": ["yesterday"]},
                "talk_s": {"count": 1, "of": 10, "samples": ["12s"]}}
    assert report.mapped_rows is not None and report.parse_failures() == expected
    mapped, report.mapped_rows = report.mapped_rows, None
    assert report.parse_failures() == expected  # parsed from the export
    # the table is what is read: with every arrival null there, all 10 count as unreadable
    report.mapped_rows = mapped.mutate(arrived_at=ibis.null(mapped.arrived_at.type()))
    assert report.parse_failures()["arrived_at"]["count"] == 10


def _shared_id_engagement(tmp_path: Path, exclude: bool = True) -> Path:
    """40 customers with one call each on 2 March; one shared id with 320 calls, one every 2 hours
    from 1 March 00:00 (5 minutes each): more than 10 a day over the 31-day period (310)."""
    normal = _rows(40)
    shared = []
    for k in range(320):
        start = 60 * 2 * k  # minutes after 1 March 00:00
        day, minute = divmod(start, 24 * 60)
        a = f"2026-03-{1 + day:02d} {minute // 60:02d}:{minute % 60:02d}:00"
        e = f"2026-03-{1 + day:02d} {minute // 60:02d}:{minute % 60 + 5:02d}:00"
        shared.append(f"s{k},SHARED0001,{a},{e},AGENT,300,Q_SALES,PH")
    # a month of the shared id's calls: the 7-day window
    extra = {"resolution": {"repeat_window_days": 7, "exclude_implausible_customers": exclude}}
    return _engagement(tmp_path, HEADER + normal + "\n".join(shared) + "\n", extra)


@pytest.mark.parametrize("exclude", [True, False])
def test_a_shared_customer_id_is_found_counted_and_left_out_of_repeats(tmp_path, exclude, monkeypatch):
    from cxkit import customers, resolution, session
    from cxkit.readiness import assess

    counted = []
    monkeypatch.setattr(session, "implausible_summary",
                        lambda *a, **k: counted.append(1) or customers.implausible_summary(*a, **k))
    s = cxkit.open_engagement(_shared_id_engagement(tmp_path, exclude))
    r = assess(s)
    check = next(c for c in r.results if c.id == "contacts.customer_id.plausible_volume")
    # Without the shared id: 40 judged, none repeated -> 40/40 = 100.0%.
    # With it: the data ends at its last arrival (METRICS.md end of data), call 319 at 27 March
    # 14:00; its calls 0..234 end by 20 March 14:00 (call 234 starts 20 March 12:00) and are
    # judged (ended + 7 days <= end of data), each followed 2 hours later by the next -> 235
    # judged repeats; 40 / (40 + 235) = 14.5%.
    assert check.status == "fail"
    assert check.finding.startswith(
        "1 customer id has more than 310 contacts in the 31-day period (10 a day): a shared, test or default id, "
        "not a person; together they hold 320 of 360 contacts (88.9%)")
    assert "FCR (7-day window) is 100.0% without them and 14.5% with them" in check.finding
    assert "SHARED0001" not in json.dumps(r.to_dict(), default=str)
    assert r.verdict("fcr_repeat") == "degraded"
    # the caveat sits beside the figures that pair customers, not beside those that read no
    # customer id in the same diagnostics (transfer rate, prices, failure demand)
    from cxkit.figures import Judge

    judge = Judge(json.loads(json.dumps(r.to_dict(), default=str)), s.coverage())
    caveat = next(c for c in judge.caveats("fcr_repeat") if "shared, test or default id" in c.reason)
    for figure in ("repeat_share", "journeys", "repeat_cost"):
        assert caveat in judge.caveats(figure), figure
    for figure in ("transfer_rate", "channel_prices", "failure_demand"):
        assert caveat not in judge.caveats(figure), figure
    fcr = resolution.fcr_repeat(s.table("contacts"), end_of_data=s.end_of_data).execute().iloc[0]
    assert (int(fcr.numerator), int(fcr.denominator)) == ((40, 40) if exclude else (40, 275))
    # readiness and the diagnostics read one count of the ids (one grouping of the contacts)
    assert len(counted) == 1


# ================================================================ 4. leaks and injection

PAYLOAD_CHANNELS = ["<script>alert(1)</script>", "jane.doe@example.com", "4111 1111 1111 1111", "07700 900123"]


def test_validate_writes_no_personal_data_and_escapes_codes_in_the_data_docs(tmp_path):
    rows = _rows(40).splitlines()
    for i, code in enumerate(PAYLOAD_CHANNELS):
        rows[i] = rows[i].replace(",PH", f",{code}")
    rows[10] = rows[10].replace(",Q_SALES,", ",CU00003,")  # a queue equal to a customer id
    folder = _engagement(tmp_path, HEADER + "\n".join(rows) + "\n")
    result = _validate(folder, tmp_path)
    assert result.exit_code == 0
    ids = cxkit.open_engagement(folder).customer_identifiers()
    assert scan_folder(tmp_path / "out", ids) == []
    assert scan_text(result.output, ids) == {}
    pages = list((tmp_path / "out" / "data_docs").rglob("*.html"))
    assert pages and not any("<script>alert" in p.read_text() for p in pages)
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in p.read_text() for p in pages)
    finding = next(c for c in json.loads((tmp_path / "out" / "readiness.json").read_text())["checks"]
                   if c["id"] == "contacts.channel.known_codes")["finding"]
    assert "[e-mail address]" in finding and "[card number]" in finding and "[phone number]" in finding


def test_a_run_showing_customer_ids_or_phone_numbers_is_refused_and_its_files_deleted(tmp_path):
    from cxkit.report import _withhold_personal_data

    run = tmp_path / "run"
    (run / "notebooks").mkdir(parents=True)
    (run / "index.html").write_text("<h2>Queues</h2><td>07700 900123</td><h2>Reasons</h2><td>CU0000131</td>")
    (run / "notebooks" / "03_resolution.ipynb").write_text(json.dumps({"cells": [{"cell_type": "code", "source": "",
        "outputs": [{"output_type": "display_data", "data": {"text/html": "<td>CU0000131</td>"}}]}]}))
    (run / "readiness.json").write_text(json.dumps({"finding": "fine"}))
    with pytest.raises(CxkitError) as info:
        _withhold_personal_data(run, IdentifierSet.of_values(["CU0000131"]))
    message = str(info.value)
    assert "phone number in section 'Queues' (1 occurrence)" in message
    assert "customer identifier in section 'Reasons' (1 occurrence)" in message
    assert "customer identifier in notebooks/03_resolution.ipynb (1 occurrence)" in message
    assert "CU0000131" not in message and "900123" not in message
    assert sorted(p.name for p in run.rglob("*") if p.is_file()) == ["readiness.json"]


def test_control_characters_and_huge_labels_reach_no_chart_or_table_as_they_are(tmp_path):
    # a queue written with ESC, BEL and a vertical tab (a terminal's colour codes pasted into a
    # routing name) killed the notebook's kernel: the SVG renderer aborts the process on a
    # character XML does not allow. A queue of 5,000 characters was printed whole in every
    # table and chart that named it
    import pandas as pd

    from cxkit.pipeline import prepare_run
    from cxkit.results import MAX_TEXT, ResultSet

    rows = _rows(12).replace("Q_SALES", "Q_\x1b[31mSALES\x07\x0b", 6)
    rows = rows.replace("Q_SALES", "Q" * 5000, 3)
    folder = _engagement(tmp_path, HEADER + rows)
    prepare_run(folder / "engagement.yaml", tmp_path / "run")
    results = ResultSet.load(tmp_path / "run", load_engagement(folder / "engagement.yaml"))
    bad = {chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]}
    queues = None
    for path in sorted((tmp_path / "run").rglob("results/*.parquet")):
        frame = pd.read_parquet(path)
        for column in frame.columns:
            text = frame[column].dropna()
            text = text[text.map(lambda v: isinstance(v, str))]
            assert not any(set(v) & bad for v in text), (path.name, column)
            assert all(len(v) <= MAX_TEXT + 4 for v in text), (path.name, column)
        if "queue" in frame.columns and frame["queue"].astype(str).str.contains("\ufffd").any():
            queues = frame
    assert queues is not None  # the queue reached a result, marked where its controls were
    # a chart of those labels renders (in a process of its own: a crash must not take the tests)
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "mark": "bar",
            "data": {"values": [{"q": q, "n": 1} for q in queues["queue"]]},
            "encoding": {"x": {"field": "q", "type": "nominal"}, "y": {"field": "n", "type": "quantitative"}}}
    code = "import json, sys, vl_convert; print(vl_convert.vegalite_to_svg(json.loads(sys.stdin.read()))[:4])"
    done = subprocess.run([sys.executable, "-c", code], input=json.dumps(spec), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("<svg"), done.stderr[-500:]
    assert results.frame("sources") is not None


def test_a_markdown_link_from_data_is_text_in_a_note():
    from cxkit import display

    reason = "[Verify your account](https://evil.example/login)"
    page = display.note(f"- Resolution is weakest for {reason}: 41.0%")._repr_html_()
    assert "<a " not in page and "[Verify your account](https://evil.example/login)" in page
    escaped = display.note(f"- Resolution is weakest for {display.escape_markdown(reason + ' **now**')}")._repr_html_()
    assert "<a " not in escaped and "<strong>" not in escaped
    assert display.text(f"Weakest: <b>{reason}</b>")._repr_html_().count("&lt;b&gt;") == 1


def test_an_engagement_name_cannot_climb_out_of_reports(tmp_path):
    folder = _engagement(tmp_path, CLEAN, {"name": "../../../ESCAPED"})
    result = _cli("validate", folder)
    assert result.exit_code == 2
    _says(result, "name: '../../../ESCAPED' names the report folder (reports/<name>/)", "e.g. 'ESCAPED'")
    assert not (tmp_path.parent / "ESCAPED").exists() and not Path("/ESCAPED").exists()
    with pytest.raises(ConfigError, match=r"report.sections: \['../tests/x'\]"):
        engagement_from_dict(_merge(ENGAGEMENT, {"report": {"sections": ["../tests/x"]}}), folder)


def test_report_run_option_is_a_run_id_not_a_path(tmp_path):
    folder = _engagement(tmp_path, CLEAN)
    result = _cli("report", folder, "--run", "../../etc", "--reports", tmp_path / "reports")
    assert result.exit_code == 2
    _says(result, "--run '../../etc': not a run id")


# ================================================================ 5. leftovers


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_run_folders_are_cleaned_and_live_ones_kept(tmp_path):
    from cxkit.report import _host, clean_stale_runs

    eng = tmp_path / "demo"
    killed, running, old, recent = (eng / f".tmp-2026010{i}T000000Z" for i in range(1, 5))
    for folder, owner in ((killed, {"pid": _dead_pid(), "host": _host()}), (running, {"pid": os.getpid(), "host": _host()})):
        folder.mkdir(parents=True)
        (folder / ".owner.json").write_text(json.dumps(owner))
    old.mkdir()      # an older cxkit: no owner; a later run has finished since
    recent.mkdir()   # no owner, no later run: may still be going
    (eng / "20260103T120000Z").mkdir()
    assert clean_stale_runs(eng) == [killed.name, old.name]
    assert running.exists() and recent.exists() and not killed.exists() and not old.exists()


def test_a_killed_validation_leaves_no_staging_folder_behind(tmp_path):
    # found while reviewing the new staging step: kill -9 during validate would leave it forever
    folder = _engagement(tmp_path, CLEAN)
    killed = tmp_path / "out" / f".staging-{_dead_pid()}-abc"
    running = tmp_path / "out" / f".staging-{os.getpid()}-def"
    killed.mkdir(parents=True)
    running.mkdir()
    assert _validate(folder, tmp_path).exit_code == 0
    assert not killed.exists() and running.exists()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [running.name, "data_docs", "readiness.json"]


def test_rich_prints_messages_as_plain_text(tmp_path):
    folder = _engagement(tmp_path, CLEAN, {"client": "Acme :x: [bold red]Corp[/]"})
    result = _validate(folder, tmp_path)
    assert result.exit_code == 0
    assert "Acme :x: [bold red]Corp[/]" in result.output and "❌" not in result.output
    result = _validate(_engagement(tmp_path, CLEAN, {"sources": {"contacts": {"path": ":x: [red]nope[/].csv"}}}), tmp_path)
    assert result.exit_code == 2
    _says(result, ":x: [red]nope[/].csv")
    assert "❌" not in result.output


def test_rich_markup_in_the_data_does_not_crash_the_summary(tmp_path):
    # found while testing: on main a channel code "[/]" made Rich raise MarkupError (exit 1, traceback)
    rows = _rows(20).splitlines()
    rows[0] = rows[0].replace(",PH", ",[/]")
    rows[1] = rows[1].replace(",PH", ",[bold]x")
    result = _validate(_engagement(tmp_path, HEADER + "\n".join(rows) + "\n"), tmp_path)
    assert result.exit_code == 0
    _says(result, "'[/]'", "'[bold]x'")


@pytest.mark.parametrize(("folder", "name", "client"), [
    ('Acme (UK) "Best"', "acme-uk-best", 'Acme (Uk) "Best"'),
    ("Ünïcode Co", "unicode-co", "Ünïcode Co"),
])
def test_init_writes_a_valid_engagement_for_any_folder_name(tmp_path, folder, name, client):
    # found while testing: the template wrote the folder name as the engagement name (now a slug)
    # and the client inside double quotes (a quote in it broke the YAML)
    assert _cli("init", tmp_path / folder).exit_code == 0
    (tmp_path / folder / "data" / "contacts.csv").write_text("x\n")
    e = load_engagement(tmp_path / folder)
    assert (e.name, e.client) == (name, client)


def test_a_failed_run_keeps_no_personal_data(tmp_path):
    # found while reviewing: a cell failing on a value quoted it in the traceback, FAILED.txt and the console
    from cxkit.report import build_report

    nb = tmp_path / "01_fail.ipynb"
    nb.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "id": "a", "metadata": {}, "execution_count": None, "outputs": [],
         "source": "raise ValueError(\"could not convert 'jane.doe@example.com' for CU0000131\")"}]}))
    with pytest.raises(CxkitError):
        build_report([nb], {}, tmp_path / "reports", "acme", "t", renderer="nbconvert",
                     identifiers=IdentifierSet.of_values(["CU0000131"]))
    failed = next((tmp_path / "reports" / "acme").glob("failed-*"))
    assert "[e-mail address]" in (failed / "FAILED.txt").read_text()
    assert scan_folder(failed, IdentifierSet.of_values(["CU0000131"])) == []
    assert not (failed / "notebooks" / "01_fail.ipynb").exists()  # its traceback quoted the values


def test_a_duration_beyond_any_real_one_is_unreadable_not_an_infinite_mean(tmp_path):
    # "1e308" seconds is a finite number: summed with the others it overflowed AHT's mean to
    # infinity, shown as a bare dash. Beyond 10^12 s (31,700 years) a value is a corrupt field:
    # left empty and counted, and the mean is the other calls' 300 s
    rows = _rows(20).splitlines()
    rows[3] = rows[3].replace(",300,", ",1e308,")
    rows[7] = rows[7].replace(",300,", ",-2e12,")
    s = cxkit.open_engagement(_engagement(tmp_path, HEADER + "\n".join(rows) + "\n"))
    loaded = s.table("contacts", as_loaded=True).execute()
    assert loaded.talk_s.isna().sum() == 2 and (loaded.talk_s.dropna() == 300).all()
    assert s.load_reports["contacts"].parse_failures() == {
        "talk_s": {"count": 2, "of": 20, "samples": ["-2e12", "1e308"]}}
    from cxkit.operations import operations_summary

    ops = operations_summary(s.table("contacts")).execute()
    assert ops.loc[ops["channel"] == "all", "aht_mean_s"].iloc[0] == pytest.approx(300.0)
