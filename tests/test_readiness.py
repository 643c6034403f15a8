"""Readiness: the ibis validator against GE itself, planted defects, the real bank quirks,
threshold overrides, unreadable inputs, and the readiness.json contract."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from cxkit.config import engagement_from_dict, load_engagement
from cxkit.errors import ConfigError, CxkitError
from cxkit.readiness import (
    TableInputs,
    assess_tables,
    caveat,
    load_readiness,
    load_suites,
    validate,
)
from cxkit.readiness.checks import _Context, daily_frame, hourly_profile, rows_batch
from cxkit.readiness import validator
from cxkit.schema import DIAGNOSTICS, TABLES
from cxkit.testing import canonical_memtable

FIXTURES = Path(__file__).parent / "fixtures"
BANK = FIXTURES / "bank" / "engagement.yaml"
# the real records sit in ../shared beside the repository (as in CI); the engagement points there
BANK_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "anonymous_bank" / "february_1999.txt"
NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


def _engagement(**extra):
    raw = {
        "name": "t", "client": "t", "period": {"start": "2026-03-02", "end": "2026-03-03"}, "timezone": "UTC",
        "sources": {"contacts": {"table": "contacts", "columns": {c: c for c in TABLES["contacts"].required}}},
        **extra,
    }
    return engagement_from_dict(raw, base_dir=Path("."))


def _contact(i, day="2026-03-02", hour=9, **kw):
    row = {"contact_id": f"c{i}", "customer_id": f"k{i % 5}", "channel": "voice", "direction": "inbound",
           "arrived_at": f"{day} {hour:02d}:00", "answered_at": f"{day} {hour:02d}:01", "ended_at": f"{day} {hour:02d}:06",
           "ivr_s": 20.0, "wait_s": 40.0, "talk_s": 240.0, "hold_s": 0.0, "acw_s": 30.0, "outcome": "handled",
           "contact_reason": "billing", "agent_id": "a1", "notes": "asked about a bill"}
    row.update(kw)
    return row


def _clean_contacts(n=40):
    return [_contact(i, day="2026-03-02" if i % 2 else "2026-03-03", hour=9 + i % 8) for i in range(n)]


def _inputs(contacts_rows, surveys_rows=None):
    inputs = {"contacts": TableInputs("contacts", canonical_memtable("contacts", contacts_rows), set(TABLES["contacts"].names))}
    if surveys_rows is not None:
        inputs["surveys"] = TableInputs("surveys", canonical_memtable("surveys", surveys_rows), set(TABLES["surveys"].names))
    return inputs


def _flagged(readiness):
    return {r.id for r in readiness.failed}


# ---------------------------------------------------------------- tiny canonical fixtures


def test_clean_fixture_flags_nothing():
    r = assess_tables(_engagement(), _inputs(_clean_contacts()), now=NOW)
    assert _flagged(r) == set()
    assert r.exit_code == 0
    assert r.matrix["service_level"]["verdict"] == "ready"


@pytest.mark.parametrize(
    ("defect", "expected"),
    [
        ({"ended_at": "2026-03-02 08:00"}, {"contacts.ended_after_arrived", "contacts.ended_after_answered",
                                             "contacts.components_fit_timestamps"}),
        ({"channel": "fax"}, {"contacts.channel.known_codes"}),
        ({"talk_s": -5.0}, {"contacts.talk_s.non_negative"}),
        ({"notes": "mail me at jo.bloggs@example.com"}, {"contacts.notes.no_email"}),
        ({"notes": "card 4111 1111 1111 1111 declined"}, {"contacts.notes.no_card"}),
        ({"notes": "call back on +44 20 7946 0958"}, {"contacts.notes.no_phone"}),
        ({"arrived_at": "2027-01-01 09:00", "answered_at": None, "ended_at": "2027-01-01 09:05"},
         {"contacts.not_in_future", "contacts.within_period"}),
    ],
)
def test_one_defect_flags_its_check_only(defect, expected):
    rows = _clean_contacts()
    rows[3] = {**rows[3], **defect}
    r = assess_tables(_engagement(), _inputs(rows), now=NOW)
    assert _flagged(r) == expected


def test_duplicate_contact_ids_and_unknown_codes_are_listed():
    rows = _clean_contacts()
    rows[1] = {**rows[1], "contact_id": "c0", "direction": "sideways"}
    r = assess_tables(_engagement(), _inputs(rows), now=NOW)
    by_id = {c.id: c for c in r.results}
    assert by_id["contacts.contact_id.unique"].unexpected == 2
    assert by_id["contacts.direction.known_codes"].result["partial_unexpected_list"] == ["sideways"]
    assert "'sideways'" in by_id["contacts.direction.known_codes"].finding


def test_pii_values_are_never_listed():
    rows = _clean_contacts()
    rows[2] = {**rows[2], "notes": "jo@example.com"}
    r = assess_tables(_engagement(), _inputs(rows), now=NOW)
    text = json.dumps(r.to_dict(), default=str)
    assert "jo@example.com" not in text
    assert "contacts.notes.no_email" in _flagged(r)


def test_orphan_surveys_found():
    surveys = [{"survey_id": f"s{i}", "contact_id": f"c{i}", "customer_id": f"k{i % 5}",
                "responded_at": "2026-03-02 12:00", "csat": 4.0, "resolved": True} for i in range(20)]
    surveys += [{"survey_id": f"x{i}", "contact_id": f"gone{i}", "customer_id": "k1",
                 "responded_at": "2026-03-02 12:00", "csat": 4.0} for i in range(5)]
    r = assess_tables(_engagement(), _inputs(_clean_contacts(), surveys), now=NOW)
    orphan = next(c for c in r.results if c.id == "surveys.contact_in_contacts")
    assert (orphan.status, orphan.unexpected, orphan.denominator) == ("fail", 5, 25)
    assert r.matrix["perception"]["verdict"] == "degraded"
    assert "5 of 25 surveys" in r.matrix["perception"]["reason"]


def test_timezone_check_finds_a_shift():
    hours = {d: "08:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    eng = _engagement(readiness={"business_hours": hours})
    clean = assess_tables(eng, _inputs(_clean_contacts()), now=NOW)
    assert "contacts.timezone_profile" not in _flagged(clean)
    # arrivals read 6 hours late: 15:00-22:00 instead of 09:00-16:00
    shifted = [_contact(i, day="2026-03-02" if i % 2 else "2026-03-03", hour=15 + i % 8) for i in range(40)]
    r = assess_tables(eng, _inputs(shifted), now=NOW)
    tz = next(c for c in r.results if c.id == "contacts.timezone_profile")
    assert tz.status == "fail"
    assert tz.result["details"]["best_shift_hours"] < 0
    assert "shifted by" in tz.finding


def test_one_day_written_in_utc_is_found():
    import random

    rnd = random.Random(3)
    rows, i = [], 0
    for day in range(1, 22):
        for _ in range(60):
            hour = min(19, max(8, int(rnd.gauss(12, 2.5))))
            rows.append(_contact(i, day=f"2026-03-{day:02d}", hour=hour - (1 if day == 10 else 0)))
            i += 1
    eng = _engagement(period={"start": "2026-03-01", "end": "2026-03-21"},
                      readiness={"thresholds": {"contacts.timezone_shifted_days.min_rows_per_day": 30}})
    r = assess_tables(eng, _inputs(rows), now=NOW)
    shift = next(c for c in r.results if c.id == "contacts.timezone_shifted_days")
    assert shift.status == "fail"
    assert shift.result["details"]["days"] == ["2026-03-10: -1 h"]


def test_missing_optional_table_and_unmapped_column_verdicts():
    inputs = _inputs(_clean_contacts())
    inputs["contacts"].mapped -= {"hold_s", "answered_at"}
    r = assess_tables(_engagement(), inputs, now=NOW)
    assert r.matrix["fcr_case"]["verdict"] == "blocked"
    assert "no cases source" in r.matrix["fcr_case"]["reason"]
    assert r.matrix["service_level"]["verdict"] == "blocked"
    assert "answered_at is not mapped" in r.matrix["service_level"]["reason"]
    assert r.matrix["aht"]["verdict"] == "degraded"


def test_threshold_override_changes_the_verdict():
    rows = [{**c, "customer_id": None} if i < 12 else c for i, c in enumerate(_clean_contacts())]  # 30% null
    default = assess_tables(_engagement(), _inputs(rows), now=NOW)
    assert default.matrix["fcr_repeat"]["verdict"] == "degraded"
    relaxed = assess_tables(_engagement(readiness={"thresholds": {"contacts.customer_id.identified": 0.6}}),
                            _inputs(rows), now=NOW)
    assert relaxed.matrix["fcr_repeat"]["verdict"] == "ready"
    tightened = assess_tables(_engagement(readiness={"thresholds": {"contacts.customer_id.usable.mostly": 0.9}}),
                              _inputs(rows), now=NOW)
    assert tightened.matrix["fcr_repeat"]["verdict"] == "blocked"
    assert tightened.exit_code == 1
    # the shared suite is untouched
    assert next(r for r in load_suites()["contacts"].rules if r.id == "contacts.customer_id.identified").kwargs["mostly"] == 0.8


def test_unknown_threshold_key_is_a_config_error():
    with pytest.raises(ConfigError, match="contacts.customer_id.identified"):
        assess_tables(_engagement(readiness={"thresholds": {"contacts.customer_id.identifed": 0.5}}),
                      _inputs(_clean_contacts()), now=NOW)


# ---------------------------------------------------------------- honesty: GE itself agrees


def _ge_results(frame: pd.DataFrame, expectations: list[dict]) -> list[tuple[bool, int | None]]:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx

    ctx = gx.get_context(mode="ephemeral")
    suite = ctx.suites.add(gx.ExpectationSuite(name="honesty", expectations=[
        {k: v for k, v in e.items() if k != "meta"} for e in expectations]))
    batch = (ctx.data_sources.add_pandas("p").add_dataframe_asset("a").add_batch_definition_whole_dataframe("b")
             .get_batch(batch_parameters={"dataframe": frame}))
    res = batch.validate(suite, result_format="SUMMARY")
    by_id = {r.expectation_config.id: r for r in res.results}
    out = []
    for e in suite.expectations:
        r = by_id[e.id]
        assert not r.exception_info.get("raised_exception"), (e.type, r.exception_info)
        out.append((bool(r.success), r.result.get("unexpected_count", r.result.get("observed_value"))))
    return out


def _ibis_results(table, expectations, coded=()):
    return [(r["success"], r["result"].get("unexpected_count", r["result"].get("observed_value")))
            for r in validator.evaluate(table, expectations, coded=coded)]


def test_ibis_validator_matches_great_expectations_pandas():
    import ibis

    rows = _clean_contacts()
    rows[1] = {**rows[1], "contact_id": "c0", "direction": "sideways", "talk_s": -3.0}
    rows[2] = {**rows[2], "ended_at": "2026-03-02 08:00", "notes": "jo@example.com or 4111-1111-1111-1111"}
    rows[3] = {**rows[3], "customer_id": None, "answered_at": None, "channel": None, "wait_s": 999999.0}
    rows[4] = {**rows[4], "outcome": "handled", "agent_id": None, "arrived_at": "2027-01-01 09:00",
               "notes": "ring +44 20 7946 0958"}
    eng = _engagement()
    contacts = canonical_memtable("contacts", rows)
    surveys = canonical_memtable("surveys", [{"survey_id": f"s{i}", "contact_id": f"c{i}" if i < 8 else f"z{i}",
                                              "customer_id": f"k{i}", "csat": float(i % 7)} for i in range(10)])
    ctx = _Context(eng, contacts, NOW)
    suites = load_suites()
    compared = 0
    for name, table in (("contacts", contacts), ("surveys", surveys)):
        exps = [r.to_ge() for r in suites[name].rules if r.is_ge and r.batch == "rows"]
        frame = rows_batch(table, [r for r in suites[name].rules if r.is_ge and r.batch == "rows"], ctx).execute()
        mine = _ibis_results(ibis.memtable(frame), exps, coded={"channel", "direction", "outcome"})
        ge = _ge_results(frame, exps)
        assert [(e["meta"]["id"], m) for e, m in zip(exps, mine)] == [(e["meta"]["id"], g) for e, g in zip(exps, ge)]
        assert any(not s for s, _ in mine)  # the fixture does exercise failures
        compared += len(exps)
    daily = daily_frame(hourly_profile(contacts, "arrived_at", "UTC"), eng)[["day", "rows", "weekday_ratio"]]
    day_exps = [r.to_ge() for r in suites["contacts"].rules if r.batch == "daily"]
    assert _ibis_results(ibis.memtable(daily), day_exps) == _ge_results(daily, day_exps)
    assert compared > 40


# ---------------------------------------------------------------- the real bank records


@pytest.fixture(scope="module")
def bank_run(tmp_path_factory):
    assert BANK_DATA.exists(), f"the real bank records are expected at {BANK_DATA}"
    out = tmp_path_factory.mktemp("bank_run")
    return validate(BANK, out)


def test_bank_reports_its_real_quirks(bank_run):
    r = bank_run.readiness
    by_id = {c.id: c for c in r.results}
    ident = by_id["contacts.customer_id.identified"]
    assert ident.status == "fail" and 0.55 < ident.rate < 0.62 and ident.denominator == 33_066
    phantom = by_id["contacts.excluded_rows"]
    assert phantom.unexpected == 278 and "PHANTOM" in phantom.finding
    no_server = by_id["contacts.handled_have_agent"]
    assert no_server.status == "fail" and no_server.unexpected > 0
    fcr = r.matrix["fcr_repeat"]
    assert fcr["verdict"] == "degraded"
    assert fcr["reason"].startswith("FCR (repeat-based) and repeat share is degraded: customer_id is 59% null (")
    assert "of 33,066 contacts); repeat figures cover identified callers only" in fcr["reason"]
    assert fcr["evidence"]["denominator"] == 33_066
    assert r.matrix["fcr_case"]["verdict"] == "blocked"  # phone only: no cases
    assert by_id["contacts.timezone_profile"].status == "pass"  # stated hours fit: no UTC mix-up
    assert by_id["contacts.timezone_shifted_days"].status == "pass"
    assert bank_run.exit_code == 0


def test_bank_writes_readiness_json_and_data_docs(bank_run):
    saved = load_readiness(bank_run.out_dir)
    assert saved["format"] == "cxkit.readiness/1"
    assert set(saved["matrix"]) == set(DIAGNOSTICS)
    assert saved["exit_code"] == 0
    assert caveat(saved, "fcr_repeat").startswith("FCR (repeat-based)")
    assert caveat(bank_run.out_dir, "service_level") is None
    assert load_readiness(bank_run.out_dir / "nowhere") is None
    index = bank_run.data_docs_index
    assert index.name == "index.html" and index.exists()
    pages = list((bank_run.out_dir / "data_docs" / "validations").rglob("*.html"))
    assert pages and "customer_id" in pages[0].read_text()


def test_bank_threshold_override_changes_verdict(tmp_path):
    assert BANK_DATA.exists(), f"the real bank records are expected at {BANK_DATA}"
    eng = load_engagement(BANK, overrides={"readiness": {"thresholds": {"contacts.customer_id.identified": 0.35}}})
    from cxkit.readiness import assess
    from cxkit.session import Session

    r = assess(Session(eng))
    assert r.matrix["fcr_repeat"]["verdict"] == "ready"
    assert r.matrix["cost_model"]["verdict"] == "ready"


# ---------------------------------------------------------------- unreadable inputs

_HEADER = "call_id\tcustomer_id\tarrived\tended\toutcome\n"
_ROW = "c1\tk1\t2026-03-02 09:00:00\t2026-03-02 09:05:00\tAGENT\n"
_ENGAGEMENT = """
name: t
client: t
period: {start: 2026-03-01, end: 2026-03-31}
sources:
  contacts:
    path: calls.csv
    read_options: {delim: "\\t"}
    columns:
      contact_id: call_id
      customer_id: customer_id
      channel: {constant: voice}
      direction: {constant: inbound}
      arrived_at: {column: arrived, format: "%Y-%m-%d %H:%M:%S"}
      ended_at: {column: ended, format: "%Y-%m-%d %H:%M:%S"}
      outcome: {column: outcome, values: {AGENT: handled}}
"""

ERROR_TABLE = [
    ("missing file", None, ["calls.csv", "sources.contacts.path"]),
    ("wrong delimiter", (_HEADER + _ROW).replace("\t", ";").encode(),
     ["calls.csv", "delimiter is probably wrong", "sources.contacts.read_options.delim"]),
    ("bad encoding (UTF-16)", (_HEADER + _ROW.replace("k1", "Jos\u00e9")).encode("utf-16"),
     ["calls.csv", "not UTF-8", "sources.contacts.read_options.encoding"]),
    ("bad encoding (latin-1)", (_HEADER + _ROW.replace("k1", "Jos\u00e9")).encode("latin-1"),
     ["calls.csv", "not UTF-8", "sources.contacts.read_options.encoding"]),
    ("header does not match", (_HEADER.replace("arrived", "start_time") + _ROW).encode(),
     ["calls.csv", "sources.contacts.columns.arrived_at", "'arrived' not found", "start_time"]),
    ("empty file", b"", ["calls.csv", "empty"]),
]


@pytest.mark.parametrize(("case", "content", "expected"), ERROR_TABLE, ids=[c[0] for c in ERROR_TABLE])
def test_unreadable_inputs_stop_with_a_clear_message(tmp_path, case, content, expected):
    if content is not None:
        (tmp_path / "calls.csv").write_bytes(content)
    (tmp_path / "engagement.yaml").write_text(_ENGAGEMENT)
    with pytest.raises(CxkitError) as info:
        validate(tmp_path / "engagement.yaml", tmp_path / "out", data_docs=False)
    for text in expected:
        assert text in str(info.value)


def test_header_only_file_is_a_blocking_failure(tmp_path):
    (tmp_path / "calls.csv").write_text(_HEADER)
    (tmp_path / "engagement.yaml").write_text(_ENGAGEMENT)
    run = validate(tmp_path / "engagement.yaml", tmp_path / "out", data_docs=False)
    assert run.exit_code == 1
    assert [c.id for c in run.readiness.blocking_failures] == ["contacts.not_empty"]


# ---------------------------------------------------------------- generated data with planted truth

_HAS_GENERATOR = importlib.util.find_spec("cxkit.generate") is not None
DEMO = Path(__file__).parents[1] / "engagements" / "demo" / "engagement.yaml"

#: planted defect (truth.json) -> the checks that must find it
DEFECT_CHECKS = {
    "duplicates": {"contacts.exact_redeliveries", "contacts.superseded_versions"},
    "null_customer": {"contacts.customer_id.identified"},
    "swapped_timestamps": {"contacts.ended_after_arrived", "legs.ended_after_arrived"},
    "shifted_timezone": {"contacts.timezone_shifted_days", "contacts.timezone_profile"},
    "orphan_surveys": {"surveys.contact_in_contacts"},
    "pii_in_notes": {"contacts.notes.no_email", "contacts.notes.no_phone", "contacts.notes.no_card"},
}
#: checks a planted defect may trip as well (consequences of the same defect, not other findings)
DEFECT_SIDE_EFFECTS = {
    "swapped_timestamps": {"contacts.ended_after_answered", "contacts.answered_after_arrived",
                           "contacts.components_fit_timestamps", "legs.ended_after_arrived",
                           "legs.ended_after_answered", "legs.answered_after_arrived", "legs.components_fit_timestamps"},
    "null_customer": {"cases.customer_in_contacts", "surveys.customer_in_contacts"},
    "pii_in_notes": {"legs.notes.no_email", "legs.notes.no_phone", "legs.notes.no_card"},
}


def _generated(tmp_path, defects):
    from cxkit.generate import generate

    data = tmp_path / "data"
    generate(data, seed=7, customers=3000, defects=defects)
    shutil.copy(DEMO, tmp_path / "engagement.yaml")
    truth = json.loads((data / "truth.json").read_text())
    return tmp_path / "engagement.yaml", truth


def test_clean_generated_data_flags_nothing_blocking(tmp_path):
    engagement, _ = _generated(tmp_path, [])
    run = validate(engagement, tmp_path / "out", data_docs=False)
    assert run.readiness.blocking_failures == []
    assert run.exit_code == 0


def test_every_planted_defect_found_and_nothing_else(tmp_path):
    clean_path, _ = _generated(tmp_path / "clean", [])
    baseline = {c.id for c in validate(clean_path, tmp_path / "clean_out", data_docs=False).readiness.failed}
    assert baseline == set(), "clean generated data must flag nothing"
    engagement, truth = _generated(tmp_path / "dirty", list(DEFECT_CHECKS))
    planted = set(truth["defects"])
    assert planted == set(DEFECT_CHECKS)
    flagged = {c.id for c in validate(engagement, tmp_path / "out", data_docs=False).readiness.failed}
    for defect in planted:
        assert DEFECT_CHECKS[defect] & flagged, f"planted defect {defect!r} was not found"
    allowed = set().union(*(DEFECT_CHECKS[d] | DEFECT_SIDE_EFFECTS.get(d, set()) for d in planted))
    assert flagged - allowed == set(), "flagged without a planted cause"


def test_notebook_runs_on_the_bank(tmp_path):
    assert BANK_DATA.exists(), f"the real bank records are expected at {BANK_DATA}"
    import papermill

    root = Path(__file__).parents[1]
    papermill.execute_notebook(
        str(root / "notebooks" / "01_data_readiness.ipynb"), str(tmp_path / "out.ipynb"),
        parameters={"engagement": str(BANK), "run_dir": str(tmp_path / "run")}, cwd=str(root), progress_bar=False,
    )
    assert load_readiness(tmp_path / "run")["matrix"]["fcr_repeat"]["verdict"] == "degraded"
