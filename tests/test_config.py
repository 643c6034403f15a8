"""Engagement validation: every problem at once, each naming the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cxkit.config import load_engagement
from cxkit.errors import ConfigError
from cxkit.scaffold import write_engagement_template

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "engagements" / "demo" / "engagement.yaml"


def _write(tmp_path: Path, data: dict) -> Path:
    (tmp_path / "contacts.csv").write_text("id,start\n1,2026-03-01 09:00:00\n")
    path = tmp_path / "engagement.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _valid() -> dict:
    return {
        "name": "t",
        "client": "T",
        "period": {"start": "2026-03-01", "end": "2026-03-31"},
        "timezone": "Europe/London",
        "sources": {
            "contacts": {
                "path": "contacts.csv",
                "columns": {
                    "contact_id": "id",
                    "channel": {"constant": "voice"},
                    "direction": {"constant": "inbound"},
                    "arrived_at": {"column": "start", "format": "%Y-%m-%d %H:%M:%S"},
                    "ended_at": {"column": "start", "format": "%Y-%m-%d %H:%M:%S"},
                    "outcome": {"constant": "handled"},
                },
            }
        },
    }


def test_valid_engagement_loads(tmp_path):
    e = load_engagement(_write(tmp_path, _valid()))
    assert e.resolution.repeat_window_days == 7
    assert e.period.days == 31
    # 1 March 2026 00:00 in London is GMT; 1 April 00:00 is BST (UTC+1)
    assert e.period_start_utc.isoformat() == "2026-03-01T00:00:00+00:00"
    assert e.period_end_utc.isoformat() == "2026-03-31T23:00:00+00:00"


def _broken(mutate) -> dict:
    data = _valid()
    mutate(data)
    return data


BAD = [
    ("typo in a section key", lambda d: d.setdefault("resolution", {}).update(repeat_windw_days=7),
     ["resolution.repeat_windw_days: unknown key", "did you mean 'repeat_window_days'"]),
    ("unknown timezone", lambda d: d.update(timezone="Europe/Londn"), ["timezone", "unknown timezone 'Europe/Londn'"]),
    ("period reversed", lambda d: d.update(period={"start": "2026-03-31", "end": "2026-03-01"}), ["before period.start", "swap"]),
    ("missing client", lambda d: d.pop("client"), ["client: required key is missing"]),
    ("unknown table", lambda d: d["sources"].update(contcts={"path": "x.csv"}), ["sources.contcts", "did you mean 'contacts'"]),
    ("file not found", lambda d: d["sources"]["contacts"].update(path="nope/*.csv"), ["sources.contacts.path: no file matches"]),
    ("unknown adapter", lambda d: d["sources"]["contacts"].update(adapter="genesys_xx"), ["sources.contacts.adapter", "unknown adapter 'genesys_xx'"]),
    ("adapter file missing", lambda d: d["sources"]["contacts"].update(adapter="./vendors/nope.yaml"),
     ["sources.contacts.adapter", "adapter file './vendors/nope.yaml' not found", "relative paths start at the engagement folder"]),
    ("required column unmapped", lambda d: d["sources"]["contacts"]["columns"].pop("ended_at"),
     ["sources.contacts.columns.ended_at: required canonical column is not mapped"]),
    ("non-canonical column", lambda d: d["sources"]["contacts"]["columns"].update(custmer_id="cust"),
     ["sources.contacts.columns.custmer_id", "did you mean 'customer_id'"]),
    ("two origins for one column", lambda d: d["sources"]["contacts"]["columns"].update(queue={"column": "q", "sql": "q"}),
     ["sources.contacts.columns.queue", "exactly one of"]),
    ("negative window", lambda d: d.setdefault("resolution", {}).update(repeat_window_days=-1), ["resolution.repeat_window_days", "greater than 0"]),
    ("bad format", lambda d: d["sources"]["contacts"].update(format="xlsx"), ["sources.contacts.format"]),
    ("unknown source timezone", lambda d: d["sources"]["contacts"].update(timezone="localtime"),
     ["sources.contacts.timezone", "unknown timezone 'localtime'", "IANA name"]),
    ("unknown column timezone", lambda d: d["sources"]["contacts"]["columns"]["arrived_at"].update(timezone="Europe"),
     ["sources.contacts.columns.arrived_at.timezone", "unknown timezone 'Europe'"]),
    ("leg order from a window", lambda d: d["sources"]["contacts"]["columns"].update(
        leg_seq={"sql": "row_number() OVER (PARTITION BY master_id ORDER BY start)"}),
     ["sources.contacts.columns.leg_seq.sql: a window function (OVER ...) cannot be used in a column mapping",
      "leave leg_seq unmapped: cxkit numbers each contact's legs by arrived_at, then ended_at"]),
    ("derived from a window", lambda d: d["sources"]["contacts"]["columns"].update(
        answered_at={"derive": "lag(ended_at) OVER (ORDER BY arrived_at)"}),
     ["sources.contacts.columns.answered_at.derive: a window function", "write it over the row's own columns"]),
    ("exclusion by a window", lambda d: d["sources"]["contacts"].update(
        exclude=[{"when": "row_number() OVER (PARTITION BY id) > 1", "reason": "repeated ids"}]),
     ["sources.contacts.exclude[0].when: a window function (OVER ...) cannot be used in an exclusion rule",
      "use sources.contacts.dedup: {key: [<id columns>], newest_by: <export time column>}"]),
    ("a raw code YAML reads as a flag", lambda d: d["sources"]["contacts"]["columns"].update(
        outcome={"column": "outcome", "values": {True: "handled"}}),
     ["sources.contacts.columns.outcome.values: a raw code read as true", "write the export's spelling in quotes"]),
    ("memory limit without a unit DuckDB knows", lambda d: d.update(backend={"memory_limit": "3 gigs"}),
     ["backend.memory_limit: '3 gigs' is not a memory size", "e.g. '3GB' or '512MiB'"]),
    # found only by readiness, after every export was read, and under the folder's engagement.yaml
    ("a threshold of a check that does not exist",
     lambda d: d.update(readiness={"thresholds": {"surveys.ces.reaches_topp": 10}}),
     ["readiness.thresholds.surveys.ces.reaches_topp: no such check; did you mean 'surveys.ces.reaches_top'?"]),
    ("a share outside 0-1", lambda d: d.update(readiness={"thresholds": {"contacts.customer_id.identified": 50}}),
     ["readiness.thresholds.contacts.customer_id.identified: 'mostly' is a share between 0 and 1 (found 50"]),
]


@pytest.mark.parametrize("label,mutate,expected", BAD, ids=[b[0] for b in BAD])
def test_bad_config_names_the_key_and_fix(tmp_path, label, mutate, expected):
    with pytest.raises(ConfigError) as info:
        load_engagement(_write(tmp_path, _broken(mutate)))
    message = str(info.value)
    for text in expected:
        assert text in message, f"{label}: {text!r} not in:\n{message}"


@pytest.mark.parametrize("written", ["2026-02-30", "2026-3-1", "01/03/2026"])
def test_a_date_not_written_as_one_names_its_key(tmp_path, written):
    # 2026-02-30 has a date's shape: PyYAML raised 'day is out of range for month' (naming no key,
    # and cxkit called it a fault of its own); the others were "Input should be a valid date"
    path = _write(tmp_path, _valid())
    path.write_text(path.read_text().replace("start: '2026-03-01'", f"start: {written}"))
    assert f"start: {written}" in path.read_text()
    with pytest.raises(ConfigError) as info:
        load_engagement(path)
    assert f"period.start: '{written}' is not a calendar date written YYYY-MM-DD (e.g. 2026-03-01)" in str(info.value)


def test_raw_codes_yaml_reads_as_numbers_are_their_text(tmp_path):
    # {1: abandoned, 0: handled} and null_values [0, -1] as YAML writes them: compared as text
    data = _valid()
    data["sources"]["contacts"]["columns"]["outcome"] = {"column": "outcome", "values": {1: "abandoned", 0: "handled"}}
    data["sources"]["contacts"]["columns"]["customer_id"] = {"column": "cust", "null_values": [0, -1, "n/a"]}
    e = load_engagement(_write(tmp_path, data))
    assert e.sources["contacts"].mapping("outcome").values == {"1": "abandoned", "0": "handled"}
    assert e.sources["contacts"].mapping("customer_id").null_values == ["0", "-1", "n/a"]


def test_all_problems_reported_at_once(tmp_path):
    def many(d):
        d.update(timezone="Mars/Olympus")
        d.setdefault("resolution", {}).update(min_n=0)
        d["sources"]["contacts"]["columns"].pop("outcome")

    with pytest.raises(ConfigError) as info:
        load_engagement(_write(tmp_path, _broken(many)))
    assert len(info.value.problems) == 3, info.value.problems


def test_invalid_yaml_names_line(tmp_path):
    path = tmp_path / "engagement.yaml"
    path.write_text("name: x\nclient: [unclosed\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line \d+"):
        load_engagement(path)


def test_missing_file_suggests_init(tmp_path):
    with pytest.raises(ConfigError, match="cxkit init"):
        load_engagement(tmp_path / "nowhere")


def test_relative_engagement_path_missing_here_is_read_from_the_repository(tmp_path, monkeypatch):
    # the notebooks' default `engagement` is relative to the repository; papermill may run elsewhere
    monkeypatch.chdir(tmp_path)
    e = load_engagement("tests/fixtures/bank/engagement.yaml")
    assert e.name == "anonymous_bank" and e.base_dir == REPO / "tests" / "fixtures" / "bank"


def test_relative_engagement_path_that_exists_here_wins(tmp_path, monkeypatch):
    local = tmp_path / "tests" / "fixtures" / "bank"
    local.mkdir(parents=True)
    _write(local, _valid())
    monkeypatch.chdir(tmp_path)
    assert load_engagement("tests/fixtures/bank/engagement.yaml").base_dir == local


def test_missing_engagement_says_which_parameter_to_pass(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_engagement("engagements/nowhere/engagement.yaml")
    message = str(info.value)
    assert f"looked in {tmp_path} and in the repository {REPO}" in message
    assert "papermill: -p engagement /path/to/engagement.yaml" in message
    assert "quarto render: -P engagement:/path/to/engagement.yaml" in message


def test_demo_engagement_is_valid_structurally():
    # the demo's data is generated; validate the structure with a fake data folder
    text = yaml.safe_load(DEMO.read_text())
    assert set(text["sources"]) == {"contacts", "cases", "surveys", "qa", "intervals"}


def test_init_template_validates_once_data_exists(tmp_path):
    folder = tmp_path / "acme_bank"
    path = write_engagement_template(folder, adapter="anonymous_bank")
    # before data arrives, the only problem is the missing export, named with its key
    with pytest.raises(ConfigError) as info:
        load_engagement(path)
    assert [p.split(":")[0] for p in info.value.problems] == ["sources.contacts.path"]
    (folder / "data" / "contacts.txt").write_text("x\n")
    e = load_engagement(path)
    assert e.name == "acme_bank" and e.sources["contacts"].grain == "contact"
    with pytest.raises(Exception, match="already exists"):
        write_engagement_template(folder)


def test_relative_adapter_path_starts_at_the_engagement_folder(tmp_path, monkeypatch):
    # `adapter: ./vendor.yaml` beside the engagement must load whatever folder the command runs in
    folder = tmp_path / "acme"
    folder.mkdir()
    data = _valid()
    columns = data["sources"]["contacts"].pop("columns")
    (folder / "vendor.yaml").write_text(yaml.safe_dump({"description": "a vendor", "sources": {"contacts": {"columns": columns}}}))
    data["sources"]["contacts"]["adapter"] = "./vendor.yaml"
    path = _write(folder, data)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    e = load_engagement(Path("..") / "acme")
    assert e.sources["contacts"].mapping("contact_id").column == "id"
    assert e.sources["contacts"].adapter == "./vendor.yaml"  # kept as written: no local path in reports
    assert path.parent == e.base_dir


def test_a_threshold_mistake_names_the_file_given_before_any_export_is_read(tmp_path):
    # it was found by readiness, after the exports were read (a minute at 10 million contacts),
    # and named the folder's engagement.yaml though the consultant ran `cxkit validate pilot.yaml`
    path = _write(tmp_path, {**_valid(), "readiness": {"thresholds": {"surveys.ces.reaches_topp": 10}}})
    pilot = path.rename(tmp_path / "pilot.yaml")
    (tmp_path / "contacts.csv").write_bytes(b"\x00\xff not a csv")  # never read
    with pytest.raises(ConfigError) as info:
        load_engagement(pilot)
    assert str(info.value).startswith(f"{pilot}: 1 problem in the engagement configuration")
    assert "readiness.thresholds.surveys.ces.reaches_topp: no such check" in str(info.value)
