"""Readiness: the ibis validator against GE itself, planted defects, the real bank quirks,
threshold overrides, unreadable inputs, and the readiness.json contract."""

from __future__ import annotations

import dataclasses
import html
import importlib.util
import json
import logging
import os
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
import yaml

import cxkit
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
from cxkit.readiness.checks import _Context, apply_populations, daily_frame, hourly_profile, rows_batch
from cxkit.readiness import validator
from cxkit.schema import DIAGNOSTICS, TABLES
from cxkit.testing import canonical_memtable

FIXTURES = Path(__file__).parent / "fixtures"
BANK = FIXTURES / "bank" / "engagement.yaml"
# the real records sit in ../shared beside the repository (as in CI); the engagement points there
BANK_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "anonymous_bank" / "february_1999.txt"
NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


def _engagement(**extra):
    # two days of contacts are judged for repeats only within a window shorter than the days:
    # 6 hours (contacts.period.judges_most)
    raw = {
        "name": "t", "client": "t", "period": {"start": "2026-03-02", "end": "2026-03-03"}, "timezone": "UTC",
        "sources": {"contacts": {"table": "contacts", "columns": {c: c for c in TABLES["contacts"].required}}},
        "resolution": {"repeat_window_days": 0.25},
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


def _gave_up(row):
    """``row`` as a contact abandoned in the queue: no answer, no talk, no agent (a month of
    calls in which nobody gives up reads as an export without its abandons)."""
    return dict(row, outcome="abandoned", answered_at=None, talk_s=0.0, hold_s=0.0, acw_s=0.0, agent_id=None)


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


def test_data_stopping_before_the_period_end_is_said():
    # METRICS.md: the end of data is the latest arrival; readiness says when the data stops more
    # than a day before the period end. Contacts on 1-19 March, period to 28 March (ends 29 Mar
    # 00:00 UTC): the last arrival is 19 March 16:00, 9 days 8 hours = 9.3 days before.
    r = assess_tables(_month(), _inputs(_dense_contacts(skip=range(20, 29))), now=NOW)
    check = _by_id(r)["contacts.data_reaches_period_end"]
    assert check.status == "fail" and check.severity == "warning"
    assert check.finding == ("the contacts stop 9.3 days before the period ends (last arrival 2026-03-19 "
                             "16:00 UTC, period end 2026-03-29 00:00 UTC)")
    assert r.matrix["cost_model"]["verdict"] == "degraded"
    # to the last day (27 March 16:00, 1 day 8 hours before the end) it still stops early; a
    # last arrival on 28 March (16:00, 8 hours before the end) reaches the end
    assert _by_id(assess_tables(_month(), _inputs(_dense_contacts(skip=(28,))), now=NOW))[
        "contacts.data_reaches_period_end"].status == "fail"
    assert _by_id(assess_tables(_month(), _inputs(_dense_contacts()), now=NOW))[
        "contacts.data_reaches_period_end"].status == "pass"


def test_a_stray_contact_after_the_period_does_not_hide_the_data_stopping_early():
    # the same feed stopping on 19 March, plus one contact on 2 April: the end of data is then
    # the period end (METRICS.md), and the latest arrival no longer shows the nine days without
    # data. The gap is measured from the last arrival before the period end, the stray row named
    rows = _dense_contacts(skip=range(20, 29))
    rows.append({**rows[-1], "contact_id": "stray", "arrived_at": "2026-04-02 10:00", "answered_at": None,
                 "ended_at": "2026-04-02 10:05"})
    check = _by_id(assess_tables(_month(), _inputs(rows), now=NOW))["contacts.data_reaches_period_end"]
    assert check.status == "fail"
    assert check.finding == ("the contacts stop 9.3 days before the period ends (last arrival before the period end "
                             "2026-03-19 16:00 UTC, period end 2026-03-29 00:00 UTC; 1 contact arrives at or after the "
                             "period end (the latest 2026-04-02 10:00 UTC), so the end of data is the period end and "
                             "repeats in the days without data cannot be seen)")
    # a feed reaching the period end and running past it passes
    full = _dense_contacts() + [{**rows[-1], "contact_id": "next"}]
    assert _by_id(assess_tables(_month(), _inputs(full), now=NOW))["contacts.data_reaches_period_end"].status == "pass"


def _still_running(row):
    """``row`` as a contact still running when the data was exported: no end, no outcome yet."""
    return dict(row, ended_at=None, outcome=None, answered_at=None, talk_s=None, hold_s=None, acw_s=None,
                agent_id=None)


def test_contacts_still_open_at_the_export_end_are_counted_apart_not_a_format_problem():
    # 48 ended contacts, the latest ending 2026-03-03 15:06; 2 arrive at 15:10 and 15:30, the
    # last hour of data, and have no end yet: 4% of ends null, over the 1% the check allows, but
    # they are open (arrived within 24 h of the export's latest time, 15:30), not unreadable
    rows = _clean_contacts(48) + [_still_running(_contact(i, arrived_at=f"2026-03-03 15:{m}"))
                                  for i, m in ((48, "10"), (49, "30"))]
    r = assess_tables(_engagement(), _inputs(rows), now=NOW)
    checks = _by_id(r)
    assert checks["contacts.ended_at.not_null"].status == "pass"
    assert checks["contacts.ended_at.not_null"].denominator == 48
    assert checks["contacts.outcome.not_null"].status == "pass"
    opened = checks["contacts.ended_at.open"]
    assert opened.status == "fail" and opened.severity == "info" and opened.unexpected == 2
    assert opened.finding.startswith("contacts still open at the export's end: 2 of 50 (4.0%) have no end time yet")
    assert "format" not in opened.finding and opened.consequence.startswith("not a format problem")
    assert r.exit_code == 0
    assert {k: m["verdict"] for k, m in r.matrix.items() if k in ("fcr_repeat", "aht", "service_level")} == {
        "fcr_repeat": "ready", "aht": "ready", "service_level": "ready"}


def test_ends_missing_over_the_month_are_still_a_format_problem():
    # 30% of the ends null, spread over 28 days: the 3 of the last day (within 24 h of the
    # export's latest time) are open, the other 81 of 277 (29.2%) are ends missing or unreadable
    rows = [dict(c, ended_at=None) if i % 10 < 3 else c for i, c in enumerate(_dense_contacts(per_day=10))]
    r = assess_tables(_month(), _inputs(rows), now=NOW)
    checks = _by_id(r)
    ended = checks["contacts.ended_at.not_null"]
    assert (ended.status, ended.blocking, ended.unexpected, ended.denominator) == ("fail", True, 81, 277)
    assert ended.consequence == "check sources.contacts.columns.ended_at (format and timezone)"
    assert checks["contacts.ended_at.open"].unexpected == 3
    assert r.matrix["aht"]["verdict"] == "blocked" and "format and timezone" in r.matrix["aht"]["reason"]
    # most ends null: an end time the export does not give or cannot be read, none of them open,
    # though half of this two-day export's contacts arrived within 24 h of its latest time
    rows = [dict(c, ended_at=None) if i % 10 < 6 else c for i, c in enumerate(_clean_contacts(40))]
    checks = _by_id(assess_tables(_engagement(), _inputs(rows), now=NOW))
    ended = checks["contacts.ended_at.not_null"]
    assert (ended.status, ended.unexpected, ended.denominator) == ("fail", 24, 40)
    assert checks["contacts.ended_at.open"].unexpected == 0


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
    # customer-reported FCR leaves them out too: it said "ready" of a month whose every survey
    # was an orphan, beside "not measured"
    assert r.matrix["fcr_survey"]["verdict"] == "degraded"
    assert "5 of 25 surveys" in r.matrix["fcr_survey"]["reason"]


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
    assert "moved by" in tz.finding


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
    # the fix many call-detail reports allow: the answer time derived from the queue time
    assert "can derive it: answered_at: {derive: \"CASE WHEN outcome = 'handled'" in r.matrix["service_level"]["reason"]
    assert r.matrix["aht"]["verdict"] == "degraded"


def test_the_answer_time_derivation_is_not_offered_to_an_export_without_queue_times():
    """The hint derives answer times from the queue time: an export without that either was told
    it "can derive it" from a column it does not have."""
    inputs = _inputs(_clean_contacts())
    inputs["contacts"].mapped -= {"answered_at", "wait_s"}
    reason = assess_tables(_engagement(), inputs, now=NOW).matrix["service_level"]["reason"]
    assert "answered_at" in reason and "is not mapped" in reason, reason
    assert "derive" not in reason, reason


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
    # a count set by the engagement stays a count in the check's words (not "5,000.0 contacts")
    counted = assess_tables(_engagement(readiness={"thresholds": {"contacts.outcome.abandons_in_export": 5000}}),
                            _inputs(rows), now=NOW)
    check = _by_id(counted)["contacts.outcome.abandons_in_export"]
    assert check.kwargs["min_rows"] == 5000 and "has 5,000 contacts offered" in check.note


def test_unknown_threshold_key_is_a_config_error():
    with pytest.raises(ConfigError, match="contacts.customer_id.identified"):
        assess_tables(_engagement(readiness={"thresholds": {"contacts.customer_id.identifed": 0.5}}),
                      _inputs(_clean_contacts()), now=NOW)


# ---------------------------------------------------------------- coverage of every source


def _month(**extra):
    return _engagement(period={"start": "2026-03-01", "end": "2026-03-28"}, **extra)  # 4 of each weekday


def _dense_contacts(per_day=30, skip=()):
    return [_contact(1000 * d + i, day=f"2026-03-{d:02d}", hour=9 + i % 8)
            for d in range(1, 29) if d not in skip for i in range(per_day)]


def _surveys(per_day, skip=()):
    return [{"survey_id": f"s{d}-{i}", "contact_id": f"c{1000 * d + i}", "customer_id": f"k{i % 5}",
             "responded_at": f"2026-03-{d:02d} 12:00", "csat": 4.0}
            for d in range(1, 29) if d not in skip for i in range(per_day)]


def _by_id(readiness):
    return {c.id: c for c in readiness.results}


def test_coverage_is_checked_on_every_source_from_its_time_column():
    inputs = _inputs(_dense_contacts(), _surveys(25))
    cases = [{"case_id": f"k{d}-{i}", "opened_at": f"2026-03-{d:02d} 10:00"} for d in range(1, 29) for i in range(25)]
    inputs["cases"] = TableInputs("cases", canonical_memtable("cases", cases), set(TABLES["cases"].names))
    r = assess_tables(_month(), inputs, now=NOW)
    daily = [c for c in r.results if c.batch == "daily"]
    assert {c.table for c in daily} == {"contacts", "surveys", "cases"}
    assert all(c.status == "pass" for c in daily), [(c.id, c.status, c.note) for c in daily]
    # no leading gap to judge; survey volume is judged from day 8 (responses ramp up after contacts)
    assert all(c.denominator == (21 if c.id == "surveys.daily.volume_stable" else 28)
               for c in daily if not c.id.endswith(("starts_on_time", "period_not_empty")))  # the latter: a sum
    assert set(r.daily) == {"contacts", "surveys", "cases"}
    assert {s["source"]: s["days_with_data"] for s in r.inventory} == dict.fromkeys(("contacts", "surveys", "cases"), "28 of 28")


def test_a_lagging_source_ramping_up_is_not_a_volume_anomaly():
    # responses follow contacts: 2 a day on the first three days, then 25 a day. Judged from
    # day 8, the ramp is not an anomaly; Thursday 19th at 2 is (Thursdays 5, 12, 26 have 25:
    # 2/25 < 1/5).
    ramp = [r for r in _surveys(25) if int(r["responded_at"][8:10]) > 3] + [
        r for r in _surveys(2) if int(r["responded_at"][8:10]) <= 3]
    assert _by_id(assess_tables(_month(), _inputs(_dense_contacts(), ramp), now=NOW))["surveys.daily.volume_stable"].status == "pass"
    dip = [r for r in ramp if r["responded_at"][8:10] != "19" or r["survey_id"] in ("s19-0", "s19-1")]
    check = _by_id(assess_tables(_month(), _inputs(_dense_contacts(), dip), now=NOW))["surveys.daily.volume_stable"]
    assert (check.status, check.unexpected) == ("fail", 1)


def test_a_missing_day_is_a_gap_a_weekly_closing_day_is_not():
    sundays = (1, 8, 15, 22)
    closed = assess_tables(_month(), _inputs(_dense_contacts(skip=sundays)), now=NOW)
    gaps = _by_id(closed)["contacts.daily.no_gaps"]
    assert (gaps.status, gaps.denominator) == ("pass", 24)  # Sundays usually have none: not judged
    missing = assess_tables(_month(), _inputs(_dense_contacts(skip=(*sundays, 11))), now=NOW)
    gaps = _by_id(missing)["contacts.daily.no_gaps"]
    assert (gaps.status, gaps.unexpected, gaps.denominator) == ("fail", 1, 24)
    assert gaps.finding == "1 of 24 days that usually have contacts have none"
    assert _by_id(missing)["contacts.daily.volume_stable"].status == "fail"  # 0 against a median of 30


def test_an_outage_of_a_steady_feed_degrades_the_figures_that_count_over_the_period():
    # 30 contacts a day, closed on Sundays; nothing on Tue 10th to Sat 14th: an export outage
    sundays = (1, 8, 15, 22)
    r = assess_tables(_month(), _inputs(_dense_contacts(skip=(*sundays, 10, 11, 12, 13, 14))), now=NOW)
    outage = _by_id(r)["contacts.daily.no_outage"]
    assert (outage.status, outage.unexpected, outage.denominator) == ("fail", 5, 24)
    assert outage.finding == "5 of 24 days that usually have 10 contacts or more have none"
    # repeats on the missing days are unseen, counts and yearly figures leave them out
    for diagnostic in ("fcr_repeat", "fcr_transfer", "journey_effort", "cost_model"):
        assert r.matrix[diagnostic]["verdict"] == "degraded", diagnostic
        assert "5 of 24 days that usually have 10 contacts or more have none" in r.matrix[diagnostic]["reason"]
    # a rate over the days that have contacts is not biased by the days that have none
    for diagnostic in ("service_level", "aht"):
        assert "no_outage" not in str(r.matrix[diagnostic]["reasons"]), diagnostic
    # days the engagement says the center was closed (public holidays) are judged by no day check
    holidays = _month(readiness={"closed_days": [f"2026-03-{d}" for d in (10, 11, 12, 13, 14)]})
    stated = assess_tables(holidays, _inputs(_dense_contacts(skip=(*sundays, 10, 11, 12, 13, 14))), now=NOW)
    for check in ("no_outage", "no_gaps", "volume_stable"):
        judged = _by_id(stated)[f"contacts.daily.{check}"]
        assert (judged.status, judged.denominator) == ("pass", 19), check
    assert stated.matrix["fcr_repeat"]["verdict"] == "ready"
    # a weekly closing day is no outage
    closed = assess_tables(_month(), _inputs(_dense_contacts(skip=sundays)), now=NOW)
    assert _by_id(closed)["contacts.daily.no_outage"].status == "pass"
    assert closed.matrix["fcr_repeat"]["verdict"] == "ready"


def test_an_export_that_stops_early_is_the_data_end_checks_not_an_outage():
    # 30 contacts a day, closed on Sundays, nothing after Fri 20th (an export pulled mid-month):
    # the end of data and the data period stop at the last arrival, so the days after it leave
    # no count low and no FCR high. The data-end check says so once; the day checks judge the
    # days up to it (the outage's consequence, "counts and yearly figures read low, FCR high",
    # was printed beside FCR for days the figures do not cover)
    sundays = (1, 8, 15, 22)
    r = assess_tables(_month(), _inputs(_dense_contacts(skip=(*sundays, *range(21, 29)))), now=NOW)
    by_id = _by_id(r)
    end = by_id["contacts.data_reaches_period_end"]
    assert end.status == "fail" and end.finding.startswith("the contacts stop ")
    for check in ("no_outage", "no_gaps", "volume_stable"):
        judged = by_id[f"contacts.daily.{check}"]
        assert (judged.status, judged.denominator) == ("pass", 17), check  # 20 days less three Sundays
    assert "no_outage" not in str(r.matrix["fcr_repeat"]["reasons"])
    assert r.matrix["cost_model"]["verdict"] == "degraded"
    assert "the contacts stop" in r.matrix["cost_model"]["reason"]
    # a day missing before the last arrival is still an outage
    r = assess_tables(_month(), _inputs(_dense_contacts(skip=(*sundays, 11, *range(21, 29)))), now=NOW)
    outage = _by_id(r)["contacts.daily.no_outage"]
    assert (outage.status, outage.unexpected, outage.denominator) == ("fail", 1, 17)


def test_an_export_that_starts_late_is_the_data_start_checks_not_an_outage():
    # 30 contacts a day, closed on Sundays, nothing before Tue 10th (a platform that went live
    # mid-month): the data period and the first repeat window run from the first arrival, so the
    # days before it leave no count low and no FCR high. The data-start check says so once,
    # counting the days before the first contact whose weekday usually has contacts (Mon 2nd to
    # Mon 9th but Sunday 8th: 7); the day checks judge the covered days (Tue 10th to Sat 28th,
    # less two Sundays: 17)
    sundays = (1, 8, 15, 22)
    r = assess_tables(_month(), _inputs(_dense_contacts(skip=(*sundays, *range(2, 10)))), now=NOW)
    by_id = _by_id(r)
    start = by_id["contacts.daily.starts_on_time"]
    assert (start.status, start.unexpected, start.denominator) == ("fail", 7, 7)
    assert start.finding == "the contacts start late: 7 of 7 days before the first contact usually have contacts"
    for check in ("no_outage", "no_gaps", "volume_stable"):
        judged = by_id[f"contacts.daily.{check}"]
        assert (judged.status, judged.denominator) == ("pass", 17), check
    assert "no_outage" not in str(r.matrix["fcr_repeat"]["reasons"])
    assert "the contacts start late" in r.matrix["cost_model"]["reason"]
    # a period that opens on a weekly closing day (Sunday 1st) starts on time
    closed = assess_tables(_month(), _inputs(_dense_contacts(skip=sundays)), now=NOW)
    assert _by_id(closed)["contacts.daily.starts_on_time"].status == "pass"


def test_a_quiet_feed_has_no_outage_to_judge():
    # 3 contacts a day: a day without any is chance, still listed as a gap, limiting no figure
    r = assess_tables(_month(), _inputs(_dense_contacts(per_day=3, skip=(11,))), now=NOW)
    outage = _by_id(r)["contacts.daily.no_outage"]
    assert outage.status == "not evaluated" and outage.note.startswith("too few contacts per day to tell an outage")
    assert _by_id(r)["contacts.daily.no_gaps"].status == "fail"
    assert r.matrix["fcr_repeat"]["verdict"] == "ready"


def test_sparse_sources_are_judged_by_runs_of_empty_days_not_single_days():
    # 3 responses a day, none on Sundays and none on Tue 10th: normal for a sparse source
    sparse = _surveys(3, skip=(1, 8, 10, 15, 22))
    r = assess_tables(_month(), _inputs(_dense_contacts(), sparse), now=NOW)
    by_id = _by_id(r)
    assert by_id["surveys.daily.no_gaps"].status == "pass"
    volume = by_id["surveys.daily.volume_stable"]
    assert volume.status == "not evaluated"
    assert volume.note.startswith("too few survey responses per day for a daily-volume test")
    assert "mapped" not in volume.note
    assert r.failed == []
    # Sun-Wed without a response: chance at 3 a day (9 usual), a gap at 5 a day (15 usual)
    r = assess_tables(_month(), _inputs(_dense_contacts(), _surveys(3, skip=(1, 8, 15, 16, 17, 18, 22))), now=NOW)
    assert _by_id(r)["surveys.daily.no_gaps"].status == "pass"
    r = assess_tables(_month(), _inputs(_dense_contacts(), _surveys(5, skip=(1, 8, 15, 16, 17, 18, 22))), now=NOW)
    gap = _by_id(r)["surveys.daily.no_gaps"]
    assert (gap.status, gap.unexpected, gap.denominator) == ("fail", 4, 27)  # judged once responses start
    assert gap.finding.startswith("4 of 27 days fall in a stretch without survey responses where more than 10 are usual")
    assert _by_id(r)["surveys.daily.starts_on_time"].status == "pass"  # one leading empty day: the usual lag
    # responses that only start on the 10th: the export starts late
    r = assess_tables(_month(), _inputs(_dense_contacts(), _surveys(3, skip=range(1, 10))), now=NOW)
    late = _by_id(r)["surveys.daily.starts_on_time"]
    assert (late.status, late.finding) == ("fail", "the first 9 days of the period have no survey responses")
    assert _by_id(r)["surveys.daily.no_gaps"].status == "pass"


def test_coverage_not_evaluated_says_why_in_words():
    inputs = _inputs(_dense_contacts(), _surveys(25))
    inputs["surveys"].mapped -= {"responded_at"}
    r = assess_tables(_month(), inputs, now=NOW)
    for check in ("surveys.daily.no_gaps", "surveys.daily.volume_stable"):
        c = _by_id(r)[check]
        assert c.status == "not evaluated"
        assert c.note == ("survey responses cannot be counted per day: their time column responded_at is not in the "
                          "export (map it in sources.surveys.columns.responded_at)")
    notes = [c.note for c in r.results if c.note]
    assert not any(n.startswith(("rows ", "weekday_ratio ", "empty_run ")) for n in notes), notes


# ---------------------------------------------------------------- what the notebook shows


def test_row_count_is_observed_not_unexpected():
    r = assess_tables(_engagement(), _inputs(_clean_contacts()), now=NOW)
    row = r.checks_table().set_index("id").loc["contacts.not_empty"]
    assert pd.isna(row["unexpected"]) and pd.isna(row["of"]) and row["observed"] == 40
    assert pd.isna(r.checks_table().set_index("id").loc["contacts.talk_s.non_negative", "observed"])


def test_checks_summary_and_problems_only():
    rows = _clean_contacts()
    rows[3] = {**rows[3], "channel": "fax", "talk_s": -5.0}
    r = assess_tables(_engagement(), _inputs(rows), now=NOW)
    summary = r.checks_summary_table().set_index("source")
    assert list(summary.columns) == ["checks", "passed", "failed", "not_evaluated", "worst_failed"]
    contacts = summary.loc["contacts"]
    assert contacts["checks"] == len([c for c in r.results if c.table == "contacts"])
    assert contacts["checks"] == contacts["passed"] + contacts["failed"] + contacts["not_evaluated"]
    assert (contacts["failed"], contacts["worst_failed"]) == (2, "warning")  # both checks are warnings
    problems = r.checks_table(only_problems=True)
    assert set(problems["result"]) <= {"fail", "not evaluated"}
    assert set(problems.loc[problems["result"] == "fail", "id"]) == {"contacts.channel.known_codes", "contacts.talk_s.non_negative"}
    assert problems.loc[problems["result"] == "fail", "consequence"].str.len().gt(0).all()
    assert len(problems) == summary["failed"].sum() + summary["not_evaluated"].sum() < len(r.results) / 4
    html = r.problem_checks()._repr_html_()
    assert "Checks that failed" in html and "fax" in html


def test_every_check_passed_is_one_note():
    r = assess_tables(_engagement(), _inputs(_clean_contacts()), now=NOW)
    # without a load report or business hours some checks are not evaluated: they are listed
    assert set(r.checks_table(only_problems=True)["result"]) == {"not evaluated"}
    r = dataclasses.replace(r, results=[c for c in r.results if c.status == "pass"])
    assert r.checks_table(only_problems=True).empty
    assert str(r.problem_checks()) == f"Every one of the {len(r.results)} checks passed."
    assert r.checks_summary_table()["worst_failed"].eq("").all()


def test_daily_volume_chart_has_one_panel_per_source_on_its_own_scale():
    r = assess_tables(_month(), _inputs(_dense_contacts(), _surveys(3)), now=NOW)
    spec = r.daily_volume_chart().to_dict()
    assert spec["facet"]["row"]["field"] == "source"
    assert spec["resolve"]["scale"]["y"] == "independent"
    data = next(iter(spec["datasets"].values()))
    assert len(data) == 2 * 28 and {d["source"] for d in data} == {"contacts", "surveys"}


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


def test_patterns_of_one_column_searched_together_count_as_each_alone():
    # the personal-data scans of one column look for any of their patterns first
    # (validator._regex_prefilters): each count must be that pattern's own, in a row that
    # matches two patterns, one, none or is null, and beside other expectations
    import ibis

    notes = ["card 4111 1111 1111 1111", "write to ann@example.com", "call +44 20 7946 0958",
             "ann@example.com paid with 4111-1111-1111-1111", None, "no personal data", "4111111111111111"]
    t = ibis.memtable({"notes": notes, "queue": ["a", "b", "a", "c", "a", None, "b"]})
    card, mail, phone = ("[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{1,4}",
                         "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}", "\\+[0-9]{1,3}([ .-]?[0-9]{2,5}){2,4}")
    expectations = [
        {"type": "expect_column_values_to_not_match_regex", "kwargs": {"column": "notes", "regex": card}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "queue", "value_set": ["a", "b"]}},
        {"type": "expect_column_values_to_not_match_regex", "kwargs": {"column": "notes", "regex": mail, "mostly": 0.5}},
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "notes", "regex": "[a-z]"}},
        {"type": "expect_column_values_to_not_match_regex", "kwargs": {"column": "notes", "regex": phone}},
        {"type": "expect_column_values_to_not_match_regex", "kwargs": {"column": "queue", "regex": "c"}},
    ]
    together = validator.evaluate(t, expectations)
    alone = [validator.evaluate(t, [e])[0] for e in expectations]
    assert [r["result"]["unexpected_count"] for r in together] == [3, 1, 2, 1, 1, 1]
    assert together == alone


def test_a_key_unique_by_construction_is_counted_not_grouped(tmp_path, monkeypatch):
    # contacts grouped from legs hold one row per contact id: their uniqueness check reads the
    # shared aggregate's count of ids (no grouping), with the grouping's result
    import ibis

    from cxkit.loading import fold_legs_twice, folded

    legs = canonical_memtable("legs", [
        {"contact_id": cid, "leg_seq": seq, "arrived_at": f"2026-03-02 09:0{i}", "channel": "voice"}
        for i, (cid, seq) in enumerate([("a", 1), ("a", 2), ("b", 1), (None, 1), (None, 2), ("c", 3)])])
    contacts = folded(fold_legs_twice(legs), clipped=False)
    unique = {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "contact_id", "mostly": 0.9}}
    others = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "contact_id"}}
    counted = validator.evaluate(contacts, [others, unique], unique={"contact_id"})
    assert counted == validator.evaluate(contacts, [others, unique])
    assert counted[1]["result"]["element_count"] == 5 and counted[1]["result"]["missing_count"] == 2
    # where the ids do repeat, the grouping finds them (the declaration is the caller's to make)
    repeated = ibis.memtable({"contact_id": ["a", "a", "b", None]})
    assert validator.evaluate(repeated, [unique])[0]["result"]["unexpected_count"] == 2

    # a session's leg-grain contacts are declared so; the legs' own key is still grouped
    grouped = []
    real = validator._uniqueness
    monkeypatch.setattr(validator, "_uniqueness", lambda t, kind, kw, n: grouped.append(
        kw.get("column") or tuple(kw["column_list"])) or real(t, kind, kw, n))
    (tmp_path / "legs.csv").write_text(
        "cid,seg,cust,start,end\nA,1,k1,2026-03-02 09:00:00,2026-03-02 09:05:00\n"
        "A,2,k1,2026-03-02 09:05:00,2026-03-02 09:09:00\nA,2,k1,2026-03-02 09:05:00,2026-03-02 09:11:00\n"
        "B,1,k2,2026-03-03 10:00:00,2026-03-03 10:04:00\n")
    spec = {"name": "t", "client": "T", "period": {"start": "2026-03-01", "end": "2026-03-31"}, "timezone": "UTC",
            "sources": {"contacts": {"path": "legs.csv", "grain": "leg", "columns": {
                "contact_id": "cid", "leg_seq": "seg", "customer_id": "cust", "channel": {"constant": "voice"},
                "direction": {"constant": "inbound"}, "outcome": {"constant": "handled"},
                "arrived_at": {"column": "start", "format": "%Y-%m-%d %H:%M:%S"},
                "ended_at": {"column": "end", "format": "%Y-%m-%d %H:%M:%S"}}}}}
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(spec))
    run = validate(tmp_path / "engagement.yaml", tmp_path / "out", data_docs=False)
    by_id = {c.id: c for c in run.readiness.results}
    assert by_id["contacts.contact_id.unique"].status == "pass"
    assert ("contact_id", "leg_seq") in grouped and "contact_id" not in grouped
    # two versions of leg A2, both kept (no de-duplication key): the grouping finds them
    assert by_id["legs.contact_leg_unique"].result["unexpected_count"] == 2

    # kept as the newest row of each (call, segment), the legs' key needs no grouping either,
    # with the result the grouping gives; a segment number read from text ("01", "1") is grouped
    spec["sources"]["contacts"]["dedup"] = {"key": ["cid", "seg"], "newest_by": "end"}
    for seg_type, counted in (("BIGINT", True), ("VARCHAR", False)):
        spec["sources"]["contacts"]["read_options"] = {"types": {"seg": seg_type}}
        (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(spec))
        grouped.clear()
        run = validate(tmp_path / "engagement.yaml", tmp_path / f"out-{seg_type}", data_docs=False)
        leg_key = {c.id: c for c in run.readiness.results}["legs.contact_leg_unique"]
        assert (("contact_id", "leg_seq") not in grouped) is counted
        assert leg_key.status == "pass" and leg_key.result["unexpected_count"] == 0
        assert leg_key.result["element_count"] == 3


def test_ibis_validator_matches_great_expectations_pandas():
    import ibis

    rows = _clean_contacts()
    rows[1] = {**rows[1], "contact_id": "c0", "direction": "sideways", "talk_s": -3.0}
    rows[2] = {**rows[2], "ended_at": "2026-03-02 08:00", "notes": "jo@example.com or 4111-1111-1111-1111"}
    rows[3] = {**rows[3], "customer_id": None, "answered_at": None, "channel": None, "wait_s": 999999.0}
    rows[4] = {**rows[4], "outcome": "handled", "agent_id": None, "arrived_at": "2027-01-01 09:00",
               "notes": "ring +44 20 7946 0958"}
    # null talk and wait times inside and outside the populations the null checks count over
    rows[5] = {**rows[5], "outcome": "abandoned", "answered_at": None, "talk_s": None}
    rows[6] = {**rows[6], "talk_s": None, "wait_s": None,
               "notes": "card 4111\u00a01111\u00a01111\u00a01111, jos\u00e9.garc\u00eda@correo.es"}
    rows[7] = {**rows[7], "outcome": "contained", "queued": False, "answered_at": None, "wait_s": None}
    eng = _engagement()
    contacts = canonical_memtable("contacts", rows)
    surveys = canonical_memtable("surveys", [{"survey_id": f"s{i}", "contact_id": f"c{i}" if i < 8 else f"z{i}",
                                              "customer_id": f"k{i}", "csat": float(i % 7)} for i in range(10)])
    ctx = _Context(eng, contacts, NOW)
    suites = apply_populations(load_suites(), {n: TableInputs(n, t, set(TABLES[n].names))
                                               for n, t in (("contacts", contacts), ("surveys", surveys))})
    assert any("row_condition" in r.kwargs for r in suites["contacts"].rules if r.batch == "rows")
    compared = 0
    for name, table in (("contacts", contacts), ("surveys", surveys)):
        exps = [r.to_ge() for r in suites[name].rules if r.is_ge and r.batch == "rows"]
        frame = rows_batch(table, [r for r in suites[name].rules if r.is_ge and r.batch == "rows"], ctx).execute()
        mine = _ibis_results(ibis.memtable(frame), exps, coded={"channel", "direction", "outcome"})
        ge = _ge_results(frame, exps)
        assert [(e["meta"]["id"], m) for e, m in zip(exps, mine)] == [(e["meta"]["id"], g) for e, g in zip(exps, ge)]
        assert any(not s for s, _ in mine)  # the fixture does exercise failures
        compared += len(exps)
    # the daily batch, with the row conditions and run lengths of every suite's coverage rules, on a
    # month with a closed weekday, a gap, a long empty run and a spike
    eng = _engagement(period={"start": "2026-03-01", "end": "2026-03-31"})
    counts = {d: (0 if d % 7 == 1 else 30) for d in range(1, 32)}  # Sundays closed
    counts.update({11: 0, 17: 0, 18: 0, 19: 0, 25: 400})  # Tue-Thu empty: 3 days
    hours = [_contact(i, day=f"2026-03-{d:02d}") for d in counts for i in range(counts[d])]
    daily = daily_frame(hourly_profile(canonical_memtable("contacts", hours), "arrived_at", "UTC"), eng)
    day_exps = [r.to_ge() for s in suites.values() for r in s.rules if r.batch == "daily"]
    assert {e["kwargs"]["column"] for e in day_exps} == {"rows", "weekday_ratio", "empty_run", "empty_run_usual_rows"}
    assert any("row_condition" in e["kwargs"] for e in day_exps)
    mine = _ibis_results(ibis.memtable(daily), day_exps)
    assert mine == _ge_results(daily, day_exps)
    assert any(not ok for ok, _ in mine) and any(ok for ok, _ in mine)
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
    assert fcr["reason"].startswith("FCR (repeat-based) and repeat share is degraded: customer_id is 59.0% null (")
    assert "of 33,066 contacts); FCR, repeats and journeys cover identified customers only" in fcr["reason"]
    assert fcr["evidence"]["denominator"] == 33_066
    assert r.matrix["fcr_case"]["verdict"] == "blocked"  # phone only: no cases
    assert by_id["contacts.timezone_profile"].status == "pass"  # stated hours fit: no UTC mix-up
    assert by_id["contacts.timezone_shifted_days"].status == "pass"
    assert bank_run.exit_code == 0


def test_notebook_frames_show_no_local_paths(bank_run, tmp_path):
    r = bank_run.readiness
    assert r.inventory_table()["file"].tolist() == ["february_1999.txt"]  # outside the engagement folder
    saved = load_readiness(bank_run.out_dir)["sources"][0]["file"]
    assert Path(saved).is_absolute() and Path(saved).resolve() == BANK_DATA.resolve()  # data teams keep the path
    frames = [r.inventory_table(), r.checks_table(), r.checks_summary_table(), r.matrix_table()]
    text = " ".join(f.to_csv() for f in frames) + str(r.problem_checks())
    assert str(BANK_DATA.parent) not in text and "/work/" not in text
    # inside the engagement folder: the path relative to it
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "calls.csv").write_text(_HEADER + _ROW)
    (tmp_path / "engagement.yaml").write_text(_ENGAGEMENT.replace("path: calls.csv", "path: data/calls.csv"))
    inner = validate(tmp_path / "engagement.yaml", tmp_path / "out", data_docs=False).readiness
    assert inner.inventory_table()["file"].tolist() == ["data/calls.csv"]


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


@pytest.mark.parametrize("content", [_HEADER, ""], ids=["header only", "0 bytes"])
def test_header_only_file_is_a_blocking_failure(tmp_path, content):
    (tmp_path / "calls.csv").write_text(content)
    (tmp_path / "engagement.yaml").write_text(_ENGAGEMENT)
    run = validate(tmp_path / "engagement.yaml", tmp_path / "out", data_docs=False)
    assert run.exit_code == 1
    # an empty feed is empty in the period too: both blocking checks say so, each in its words
    assert [c.id for c in run.readiness.blocking_failures] == ["contacts.not_empty", "contacts.daily.period_not_empty"]
    empty = run.readiness.blocking_failures[0]
    assert empty.unexpected is None and empty.finding == "the contacts feed has 0 rows"
    # a feed without rows cannot be counted per day: said in words, not blamed on the mapping
    gaps = next(c for c in run.readiness.results if c.id == "contacts.daily.no_gaps")
    assert gaps.status == "not evaluated" and gaps.note.startswith("no contacts are dated inside the period")
    assert "mapped" not in gaps.note


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


def _generated(tmp_path, defects, seed=7):
    from cxkit.generate import generate

    data = tmp_path / "data"
    # ~200 contacts a day: enough for the per-day hour-profile (timezone) check to judge days
    generate(data, seed=seed, customers=10000, defects=defects)
    shutil.copy(DEMO, tmp_path / "engagement.yaml")
    truth = json.loads((data / "truth.json").read_text())
    return tmp_path / "engagement.yaml", truth


def test_an_empty_optional_export_blocks_what_it_feeds(tmp_path):
    # a CRM cases export of a header only (or 0 bytes): readiness rated case-based FCR "ready"
    # and the report said so beside "not measured"; an empty WFM export informs
    engagement, _ = _generated(tmp_path, [])
    data = tmp_path / "data"
    header = (data / "crm_cases.csv").read_text().splitlines()[0]
    (data / "crm_cases.csv").write_text(header + "\n")
    (data / "wfm_intervals.csv").write_text("")
    run = validate(engagement, tmp_path / "out", data_docs=False)
    checks = {c.id: c for c in run.readiness.results}
    assert checks["cases.not_empty"].status == "fail" and checks["cases.not_empty"].severity == "critical"
    assert run.readiness.matrix["fcr_case"]["verdict"] == "blocked"
    assert "the cases feed has 0 rows" in run.readiness.matrix["fcr_case"]["reason"]
    assert checks["intervals.not_empty"].status == "fail" and checks["intervals.not_empty"].severity == "warning"
    assert checks["surveys.not_empty"].status == "pass" and checks["qa.not_empty"].status == "pass"
    assert run.exit_code == 1


@pytest.mark.parametrize("seed", [1, 7, 11])
def test_clean_generated_data_flags_nothing(tmp_path, seed):
    # not only nothing blocking: no check at all may fail on clean data, whatever the seed
    engagement, _ = _generated(tmp_path, [], seed=seed)
    run = validate(engagement, tmp_path / "out", data_docs=False)
    assert [c.id for c in run.readiness.failed] == []
    assert run.exit_code == 0


def test_every_planted_defect_found_and_nothing_else(tmp_path):
    clean_path, _ = _generated(tmp_path / "clean", [])
    clean = validate(clean_path, tmp_path / "clean_out", data_docs=False).readiness
    baseline = {c.id for c in clean.failed}
    assert baseline == set(), "clean generated data must flag nothing"
    # coverage is checked on every source; what cannot be judged says why, never a mapping key
    gaps = {c.table: c.status for c in clean.results if c.id.endswith(".daily.no_gaps")}
    assert gaps == dict.fromkeys(("contacts", "cases", "surveys", "qa", "intervals"), "pass")
    unjudged = [c for c in clean.results if c.status == "not evaluated"]
    assert all(c.id.endswith(".daily.volume_stable") and c.note.startswith("too few") for c in unjudged), unjudged
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
    shown = json.dumps([c.get("outputs", []) for c in json.loads((tmp_path / "out.ipynb").read_text())["cells"]])
    assert str(BANK_DATA.parent) not in shown and str(root) not in shown  # no local paths for stakeholders
    assert "Checks per source" in shown and "Checks that failed or could not be evaluated" in shown
    assert shown.count("<tr>") < 40  # summary and problems, not one row per check


# ---------------------------------------------------------------- causes told apart (issue 9)


def _week_of_answers(hours_by_weekday, days=21, per_day=60, seed=5):
    """Contacts over ``days`` days from Mon 2 March 2026, answered in the local hours
    ``hours_by_weekday[weekday] = (first hour, last hour)`` (uniform)."""
    import random

    rnd = random.Random(seed)
    rows, i = [], 0
    for d in range(days):
        day = datetime(2026, 3, 2 + d).date()
        first, last = hours_by_weekday[day.weekday()]
        for _ in range(per_day):
            rows.append(_contact(i, day=day.isoformat(), hour=rnd.randint(first, last)))
            i += 1
    return rows


_STATED = {"mon": "08:00-18:00", "tue": "08:00-18:00", "wed": "08:00-18:00", "thu": "08:00-18:00",
           "fri": "08:00-14:00", "sat": "09:00-13:00", "sun": "09:00-13:00"}


def _hours_result(rows):
    eng = _engagement(period={"start": "2026-03-02", "end": "2026-03-22"}, readiness={"business_hours": _STATED})
    r = assess_tables(eng, _inputs(rows), now=NOW)
    return next(c for c in r.results if c.id == "contacts.timezone_profile")


def test_business_hours_names_the_weekday_whose_hours_differ():
    # the center answers until 15:00 on Fridays while the engagement says 14:00: one weekday's
    # hours, not a clock shift (every other day fits)
    hours = {w: (8, 17) for w in range(5)} | {4: (8, 14), 5: (9, 12), 6: (9, 12)}
    check = _hours_result(_week_of_answers(hours))
    assert check.status == "fail"
    assert check.result["details"]["cause"] == "weekday_hours"
    assert "fall on Fridays, when answers run 08:00-15:00 while the engagement says 08:00-14:00" in check.finding
    assert "(readiness.business_hours.fri)" in check.finding
    assert "not a clock shift" in check.consequence and "timezone" not in check.consequence


def test_business_hours_names_a_clock_shift():
    # every day read 3 hours late: each weekday fits when moved by -3 h
    hours = {w: (11, 20) for w in range(5)} | {4: (11, 16), 5: (12, 15), 6: (12, 15)}
    check = _hours_result(_week_of_answers(hours))
    assert check.result["details"]["cause"] == "clock_shift"
    assert check.result["details"]["shift_hours"] == -3
    assert "moved by -3 h" in check.finding and "sources.contacts.timezone" in check.consequence


def test_business_hours_names_scattered_work():
    # evening answers on Mondays, Wednesdays and Saturdays: no weekday dominates, no shift fits,
    # and every shift puts more outside: no "best" shift is named (the finding said "the best,
    # +1 h, leaves 7.0% outside" beside a 0.9% share, a shift worse than none)
    hours = {w: (8, 17) for w in range(7)} | {4: (8, 13), 5: (9, 12), 6: (9, 12)}
    rows = _week_of_answers(hours)
    late = [_contact(10_000 + i, day=f"2026-03-{d:02d}", hour=21) for i, d in enumerate([2, 4, 7, 9, 11, 14, 16, 18, 21] * 6)]
    check = _hours_result(rows + late)
    assert check.result["details"]["cause"] == "scattered"
    assert "moving the clock does not bring them inside the hours (every shift leaves more outside)" in check.finding
    assert "the best" not in check.finding and "readiness.business_hours" in check.consequence


def test_an_export_of_dates_without_times_blocks_the_repeat_figures():
    # a date-only export read as local midnight (seen on the generated month: the repeat share
    # read 28.5% against 36.2% with times, every same-day return unseen, and the report rated it
    # ready while the business-hours check called it a clock moved by +9 h)
    days = [f"2026-03-{d:02d}" for d in range(1, 29)]
    dates = [_contact(100 * n + i, day=day, hour=0) for n, day in enumerate(days) for i in range(10)]
    r = assess_tables(_month(), _inputs(dates), now=NOW)
    check = _by_id(r)["contacts.arrived_at.time_of_day"]
    assert check.status == "fail" and check.finding == (
        "100.0% of the contacts arrive in one hour of the day (280 of 280 in 00:00-01:00 local time)")
    assert r.matrix["fcr_repeat"]["verdict"] == "blocked"
    assert "the export gives dates, not times of day" in r.matrix["fcr_repeat"]["reason"]
    # the transfer rate and the prices do not read the time of day: spared
    assert r.matrix["fcr_transfer"]["reason"].startswith("FCR (transfer-adjusted) is blocked, apart from transfer rate")
    # times through the day (the same 280 contacts from 09:00 to 16:00): the busiest hour holds 12.5%
    times = [_contact(100 * n + i, day=day, hour=9 + i % 8) for n, day in enumerate(days) for i in range(10)]
    assert _by_id(assess_tables(_month(), _inputs(times), now=NOW))["contacts.arrived_at.time_of_day"].status == "pass"
    # the business-hours check names one hour, not a clock shift
    hours = _hours_result([_contact(i, day=f"2026-03-{2 + i % 21:02d}", hour=0) for i in range(300)])
    assert hours.result["details"]["cause"] == "one_hour"
    assert "fall in one hour of the day (00:00-01:00)" in hours.finding and "moved by" not in hours.finding
    assert "no clock shift explains" in hours.consequence


def test_customer_ids_that_name_contacts_block_the_repeat_figures():
    # a call id mapped as the customer (seen on the generated month with customer_id mapped from
    # interaction_id): no contact repeated another, and the report rated FCR ready at 100.0%
    # (95% CI 99.9%-100.0%), "above" SQM's good range, the repeat share 0.0% and the repeat cost £0
    days = [f"2026-03-{d:02d}" for d in range(1, 29)]
    rows = [_contact(100 * n + i, day=day, hour=9 + i % 8) for n, day in enumerate(days) for i in range(40)]
    per_contact = [dict(r, customer_id=f"id-{r['contact_id']}") for r in rows]
    r = assess_tables(_month(), _inputs(per_contact), now=NOW)
    check = _by_id(r)["contacts.customer_id.recurs"]
    assert check.status == "fail" and check.severity == "critical"
    assert check.finding == ("0 of 1,120 identified inbound contacts (0.0%) share their customer id with another "
                             "contact of the period")
    assert "the id names the contact, not the customer" in check.consequence and "customer_id" in check.consequence
    for diagnostic in ("fcr_repeat", "journey_effort"):
        assert r.matrix[diagnostic]["verdict"] == "blocked", diagnostic
    # the transfer rate and the price of a contact do not read the customer id: spared
    assert r.matrix["fcr_transfer"]["reason"].startswith("FCR (transfer-adjusted) is blocked, apart from transfer rate")
    assert "apart from cost per contact" in r.matrix["cost_model"]["reason"]
    assert r.matrix["aht"]["verdict"] == "ready"
    # customers who come back (the same contacts from 500 customers, 2.24 contacts each): passes
    customers_ = [dict(r, customer_id=f"k{i % 500}") for i, r in enumerate(rows)]
    recurs = _by_id(assess_tables(_month(), _inputs(customers_), now=NOW))["contacts.customer_id.recurs"]
    assert recurs.status == "pass" and recurs.result["observed_value"] == 1.0
    # 2% of them recurring is the least that passes (22.4 of 1,120): 12 customers of two contacts
    # each (24, 2.14%) pass, 11 (22, 1.96%) fail
    for shared, status in ((24, "pass"), (22, "fail")):
        mixed = [dict(r, customer_id=f"pair{i // 2}" if i < shared else f"id-{r['contact_id']}")
                 for i, r in enumerate(rows)]
        assert _by_id(assess_tables(_month(), _inputs(mixed), now=NOW))["contacts.customer_id.recurs"].status == status
    # fewer than 1,000 identified inbound contacts are not judged
    few = _by_id(assess_tables(_month(), _inputs(per_contact[:999]), now=NOW))["contacts.customer_id.recurs"]
    assert few.status == "not evaluated" and few.note.startswith("999 identified inbound contacts in the period")
    # ids that recur in no channel are this check's, not the per-channel one's
    assert _by_id(r)["contacts.customer_id.recurs_by_channel"].status == "not evaluated"


def test_a_channel_whose_ids_name_contacts_degrades_the_repeat_figures():
    # a chat session id mapped beside the callers' ids (seen on the generated month with chat's
    # customer_id mapped from the interaction id): chat read FCR 100.0% (992 judged) and a repeat
    # share of 0.0% of 1,432 with no caveat, and lifted the centre's FCR
    days = [f"2026-03-{d:02d}" for d in range(1, 29)]
    calls = [_contact(100 * n + i, day=day, hour=9 + i % 8) for n, day in enumerate(days) for i in range(40)]
    calls = [dict(r if i % 25 else _gave_up(r), customer_id=f"k{i % 500}") for i, r in enumerate(calls)]
    chats = [_contact(100 * n + 50 + i, day=day, hour=9 + i % 8, channel="chat") for n, day in enumerate(days)
             for i in range(10)]
    chats = [dict(r, customer_id=f"session-{r['contact_id']}") for r in chats]
    r = assess_tables(_month(), _inputs(calls + chats), now=NOW)
    checks = _by_id(r)
    assert checks["contacts.customer_id.recurs"].status == "pass"  # 1,120 of 1,400 recur
    check = checks["contacts.customer_id.recurs_by_channel"]
    assert check.status == "fail" and check.severity == "warning"
    assert check.finding == ("chat: 0 of 280 identified inbound contacts (0.0%) share their customer id with another "
                             "contact of the period, against 100.0% of the 1,120 in the other channels")
    assert "a chat or bot session id" in check.consequence
    assert r.matrix["fcr_repeat"]["verdict"] == "degraded" and "chat: 0 of 280" in r.matrix["fcr_repeat"]["reason"]
    assert r.matrix["aht"]["verdict"] == "ready"
    # the same chats from customers who also call: every channel passes
    chats_ = [dict(r, customer_id=f"k{i}") for i, r in enumerate(chats)]
    assert _by_id(assess_tables(_month(), _inputs(calls + chats_), now=NOW))[
        "contacts.customer_id.recurs_by_channel"].status == "pass"
    # a channel of fewer than 200 identified inbound contacts is not judged on its own
    assert _by_id(assess_tables(_month(), _inputs(calls + chats[:199]), now=NOW))[
        "contacts.customer_id.recurs_by_channel"].status == "pass"


def test_a_contact_id_per_transfer_leg_blocks_the_repeat_figures():
    # a transfer leg recorded under a contact id of its own (seen on the generated month with
    # contact_id mapped from the interaction id and the leg number): every transfer read as a
    # repeat: FCR 59.1% against 68.4% and the repeat share 41.8% against 34.7%, all rated ready
    days = [f"2026-03-{d:02d}" for d in range(1, 29)]
    calls = [_contact(100 * n + i, day=day, hour=9 + i % 8, customer_id=f"k{n}-{i % 10}")
             for n, day in enumerate(days) for i in range(40)]
    # 12 of the 1,120 calls (1.07%) are second legs: each starts as its customer's call ends
    # (09:06), 10 s before it ends or 10 s after it; the limit is 1% of identified inbound contacts
    def leg(row, start):
        return dict(row, contact_id=f"{row['contact_id']}-2", arrived_at=f"{row['arrived_at'][:10]} {start}",
                    answered_at=None, ended_at=f"{row['arrived_at'][:10]} 09:20:00")
    nines = [row for row in calls if row["arrived_at"].endswith("09:00")]
    starts = ["09:06:00", "09:05:50", "09:06:10"]
    legs = [leg(row, starts[i % 3]) for i, row in enumerate(nines[:12])]
    calls = calls[:-12]  # the last day's last calls make room: 1,120 contacts in all
    r = assess_tables(_month(), _inputs(calls + legs), now=NOW)
    check = _by_id(r)["contacts.contact_id.spans_transfers"]
    assert check.status == "fail" and check.severity == "critical"
    assert check.finding == ("12 of 1,120 identified inbound contacts (1.1%) start within 10 s of the end of their "
                             "customer's previous contact")
    assert "InitialContactId" in check.consequence and "sources.contacts.columns.contact_id" in check.consequence
    for diagnostic in ("fcr_repeat", "journey_effort", "aht"):
        assert r.matrix[diagnostic]["verdict"] == "blocked", diagnostic
    assert "12 of 1,120 identified inbound contacts" in r.matrix["fcr_transfer"]["reason"]
    # 11 s after the end is a customer coming back, not a leg: 11 of 1,120 (0.98%) pass
    late = [dict(legs[0], arrived_at=legs[0]["arrived_at"][:11] + "09:06:11"), *legs[1:]]
    passed = _by_id(assess_tables(_month(), _inputs(calls + late), now=NOW))["contacts.contact_id.spans_transfers"]
    assert passed.status == "pass" and passed.result["unexpected_count"] == 11
    # a second leg that is outbound (a callback placed as the call ends) is not judged
    out = [dict(x, direction="outbound") for x in legs]
    assert _by_id(assess_tables(_month(), _inputs(calls + out), now=NOW))[
        "contacts.contact_id.spans_transfers"].result["unexpected_count"] == 0
    # with fewer than 200 identified inbound contacts it is not judged; without end times it cannot be seen
    few = _by_id(assess_tables(_month(), _inputs(calls[:150] + legs), now=NOW))["contacts.contact_id.spans_transfers"]
    assert few.status == "not evaluated" and few.note.startswith("162 identified inbound contacts in the period")
    inputs = _inputs(calls + legs)
    inputs["contacts"] = dataclasses.replace(inputs["contacts"], mapped=set(TABLES["contacts"].names) - {"ended_at"})
    unseen = _by_id(assess_tables(_month(), inputs, now=NOW))["contacts.contact_id.spans_transfers"]
    assert unseen.status == "not evaluated" and unseen.note.startswith("ended_at is not in the export")


def test_a_generated_month_mapped_per_leg_fails_on_its_transfer_legs(tmp_path):
    # the generated month's leg export mapped with a contact id per leg: each leg after a
    # contact's first is a contact that starts as its customer's previous one ends. Counted from
    # the export with pandas (newest version of each leg; legs after the first of identified
    # contacts, starting in the period's local dates), the check finds exactly those
    engagement, _ = _generated(tmp_path, [])
    spec = yaml.safe_load(engagement.read_text())
    per_leg = {"contact_id": {"sql": "interaction_id || '-' || CAST(segment AS VARCHAR)"}}
    spec["sources"]["contacts"] = {**spec["sources"]["contacts"], "columns": per_leg}
    engagement.write_text(yaml.safe_dump(spec))
    legs = pd.read_parquet(tmp_path / "data" / "interactions.parquet")
    legs = legs.sort_values("exported_at").drop_duplicates(["interaction_id", "segment"], keep="last")
    later = legs[(legs["segment"] > legs.groupby("interaction_id")["segment"].transform("min"))
                 & legs["customer_ref"].fillna("").str.strip().ne("") & legs["direction"].eq("IN")
                 & legs["start_local"].between("2026-03-01", "2026-03-31 23:59:59")]
    run = validate(engagement, tmp_path / "out", data_docs=False)
    check = {c.id: c for c in run.readiness.results}["contacts.contact_id.spans_transfers"]
    assert check.status == "fail" and run.exit_code == 1
    assert check.result["unexpected_count"] == len(later) > 0
    assert run.readiness.matrix["fcr_repeat"]["verdict"] == "blocked"


def test_phone_numbers_written_two_ways_degrade_the_repeat_figures(tmp_path):
    # callers' numbers written with the country code on calls and with a leading 0 in the other
    # channels (seen on the generated month so mapped): each writing is a customer of its own,
    # and the report rated FCR ready at 76.3% against 68.4% with one writing, the repeat share
    # 24.6% against 34.7%. Counted from the export with pandas: the distinct writings, and those
    # of a caller written both ways
    engagement, _ = _generated(tmp_path, [])
    spec = yaml.safe_load(engagement.read_text())
    two_ways = ("CASE WHEN customer_ref IS NULL OR customer_ref = '' THEN NULL WHEN media = 'VOICE' "
                "THEN '+44 7700 ' || right(customer_ref, 6) ELSE '07700' || right(customer_ref, 6) END")
    spec["sources"]["contacts"] = {**spec["sources"]["contacts"], "columns": {"customer_id": {"sql": two_ways}}}
    engagement.write_text(yaml.safe_dump(spec))
    legs = pd.read_parquet(tmp_path / "data" / "interactions.parquet", columns=["customer_ref", "media"])
    legs = legs[legs["customer_ref"].fillna("").ne("")]
    writings = legs.assign(voice=legs["media"].eq("VOICE")).groupby("customer_ref")["voice"].nunique()
    run = validate(engagement, tmp_path / "out", data_docs=False)
    check = {c.id: c for c in run.readiness.results}["contacts.customer_id.numbers_written_one_way"]
    assert check.status == "fail" and check.severity == "warning"
    assert check.result["element_count"] == int(writings.sum())  # distinct writings
    assert check.result["unexpected_count"] == 2 * int((writings == 2).sum()) > 0
    assert "a leading 0" in check.consequence and "sources.contacts.columns.customer_id" in check.consequence
    assert run.readiness.matrix["fcr_repeat"]["verdict"] == "degraded"
    assert "are also written another way" in run.readiness.matrix["fcr_repeat"]["reason"]
    # one writing everywhere passes; so do ids that are not numbers (the generator's own)
    spec["sources"]["contacts"]["columns"]["customer_id"]["sql"] = two_ways.replace(
        "'07700' || right(customer_ref, 6)", "'+44 7700 ' || right(customer_ref, 6)")
    engagement.write_text(yaml.safe_dump(spec))
    one = validate(engagement, tmp_path / "out1", data_docs=False).readiness
    assert {c.id: c for c in one.results}["contacts.customer_id.numbers_written_one_way"].status == "pass"
    assert one.matrix["fcr_repeat"]["verdict"] == "ready"


def test_north_american_numbers_with_and_without_the_country_code_1_are_one_number(tmp_path):
    # a US center's callers written 1 617 555 0101 on calls (11 digits, the country code without
    # its +) and 617-555-0101 elsewhere: on a CXone export so written the report gave FCR 80.5%
    # against 69.3% with one writing, and the check passed ("plain numbers of different lengths
    # are two numbers"); the leading 1 of an 11-digit number is the country code
    engagement, _ = _generated(tmp_path, [])
    spec = yaml.safe_load(engagement.read_text())
    two_ways = ("CASE WHEN customer_ref IS NULL OR customer_ref = '' THEN NULL WHEN media = 'VOICE' "
                "THEN '1617' || right(customer_ref, 7) ELSE '617-' || left(right(customer_ref, 7), 3) || '-' "
                "|| right(customer_ref, 4) END")
    spec["sources"]["contacts"] = {**spec["sources"]["contacts"], "columns": {"customer_id": {"sql": two_ways}}}
    engagement.write_text(yaml.safe_dump(spec))
    legs = pd.read_parquet(tmp_path / "data" / "interactions.parquet", columns=["customer_ref", "media"])
    legs = legs[legs["customer_ref"].fillna("").ne("")]
    assert legs["customer_ref"].str.len().ge(7).all()
    writings = legs.assign(voice=legs["media"].eq("VOICE")).groupby("customer_ref")["voice"].nunique()
    check = {c.id: c for c in validate(engagement, tmp_path / "out", data_docs=False).readiness.results}[
        "contacts.customer_id.numbers_written_one_way"]
    assert check.status == "fail"
    assert check.result["unexpected_count"] == 2 * int((writings == 2).sum()) > 0


def test_durations_in_milliseconds_block_the_figures_that_read_them():
    # durations exported in milliseconds and mapped without a unit (seen on the generated month):
    # teams' mean handle time read 111-206 hours, "Calls answered within 20 s" 0.0%, a scenario
    # freed 1,136.70 FTE, and AHT and service level read ready: the plausibility checks are
    # information only, and they judge outliers, not a unit
    ms = [dict(r, talk_s=1000 * r["talk_s"], wait_s=1000 * r["wait_s"], ivr_s=1000 * r["ivr_s"],
               acw_s=1000 * r["acw_s"]) for r in _clean_contacts()]
    r = assess_tables(_engagement(), _inputs(ms), now=NOW)
    checks = _by_id(r)
    talk = checks["contacts.talk_s.in_seconds"]
    assert talk.status == "fail" and talk.severity == "critical"
    assert talk.finding == "talk_s is above 14,400 s (4 h) on 100.0% of the contacts with a positive talk_s (40 of 40)"
    assert "sources.contacts.columns.talk_s.unit" in talk.consequence
    assert checks["contacts.wait_s.in_seconds"].finding == (
        "wait_s is above 3,600 s (1 h) on 100.0% of the calls and chats that waited (40 of 40)")
    assert r.matrix["aht"]["verdict"] == "blocked" and "talk_s is above" in r.matrix["aht"]["reason"]
    level = r.matrix["service_level"]
    assert level["verdict"] == "blocked" and "wait_s is above" in level["reason"]
    # FCR does not read a duration; the cost model's prices given by the engagement do not either
    assert r.matrix["fcr_repeat"]["verdict"] == "ready"
    assert r.matrix["cost_model"]["reason"].startswith(
        "Cost of repeat contacts is blocked only for cost of repeat contacts (prices derived from AHT) and what-if")
    # in seconds, with one talk time of 5 h among 40 (an outlier, not a unit): passes, and the
    # plausibility check (information) counts the outlier
    secs = _clean_contacts()
    secs[0] = dict(secs[0], talk_s=18000.0)
    checks = _by_id(assess_tables(_engagement(), _inputs(secs), now=NOW))
    assert all(checks[f"contacts.{c}.in_seconds"].status == "pass" for c in ("talk_s", "wait_s", "ivr_s", "acw_s"))
    outlier = checks["contacts.talk_s.plausible"]
    assert outlier.status == "fail" and outlier.severity == "info"
    # a hold of 0 s is no hold: the unit is judged on the contacts that held (none here: an empty
    # population passes, as in Great Expectations)
    assert checks["contacts.hold_s.in_seconds"].status == "pass"
    # emails wait hours and days: the wait's unit is judged on calls and chats only
    emails = [dict(r, channel="email", wait_s=7200.0) for r in _clean_contacts()]
    assert _by_id(assess_tables(_engagement(), _inputs(emails), now=NOW))["contacts.wait_s.in_seconds"].status == "pass"
    # talk times in minutes read as seconds (4 for a 4-minute call): most calls "talk" under 10 s
    minutes = [dict(r, talk_s=r["talk_s"] / 60) for r in _clean_contacts()]
    r = assess_tables(_engagement(), _inputs(minutes), now=NOW)
    check = _by_id(r)["contacts.talk_s.not_minutes"]
    assert check.status == "fail" and check.finding == (
        "talk_s is below 10 s on 100.0% of the answered calls with a talk time (40 of 40)")
    assert "unit (min or hms)" in check.consequence and r.matrix["aht"]["verdict"] == "blocked"
    # chats are not judged by it: a chat's handling may be recorded as a few seconds
    chats = [dict(r, channel="chat") for r in minutes]
    assert _by_id(assess_tables(_engagement(), _inputs(chats), now=NOW))["contacts.talk_s.not_minutes"].status == "pass"
    assert checks["contacts.talk_s.not_minutes"].status == "pass"  # the 40 calls in seconds (4 min each)


def _waited(i, wait_s=160.0, **kw):
    # answered 3 minutes after arriving, 20 s of it in the IVR: 160 s in the queue
    day, hour = ("2026-03-02" if i % 2 else "2026-03-03"), 9 + i % 8
    return _contact(i, day=day, hour=hour, answered_at=f"{day} {hour:02d}:03", ended_at=f"{day} {hour:02d}:08",
                    wait_s=wait_s, **kw)


def test_waits_in_minutes_block_the_service_level():
    # queue and hold times exported in minutes and mapped without a unit (seen on the generated
    # month): calls answered within 20 s read 100% (4,247 of 4,247) against 58.2%, the speed of
    # answer 0.7 s against 44 s, and service level read ready: the 1-hour check catches
    # milliseconds, nothing compared the wait with the export's own answer times
    minutes = [_waited(i, wait_s=160.0 / 60) for i in range(40)]
    r = assess_tables(_engagement(), _inputs(minutes), now=NOW)
    check = _by_id(r)["contacts.wait_s.not_minutes"]
    assert check.status == "fail" and check.severity == "critical"
    assert check.finding == (
        "wait_s is under 5% of the time from arrival to answer on 100.0% of the answered calls and chats answered "
        "60 s or more after they arrived (less their IVR time), their wait not negative (40 of 40)")
    assert "sources.contacts.columns.wait_s.unit (min or hms)" in check.consequence
    level = r.matrix["service_level"]
    assert level["verdict"] == "blocked" and "wait_s is under 5%" in level["reason"]
    assert r.matrix["fcr_repeat"]["verdict"] == "ready"  # repeats read no duration
    # in seconds it passes; so it does when the IVR time is not in the export and the 20 s of
    # IVR count as waiting (140 of 160 s is 87.5%), and at 20 of 21 contacts under 5% of the
    # time to answer (more than half fails; half passes)
    assert _by_id(assess_tables(_engagement(), _inputs([_waited(i) for i in range(40)]), now=NOW))[
        "contacts.wait_s.not_minutes"].status == "pass"
    # negative waits are an export error of their own, not minutes: the unit's fix was given
    # for them (a third of the legs with negated durations)
    negative = [_waited(i, wait_s=-160.0 if i % 3 else 160.0) for i in range(40)]
    checks = _by_id(assess_tables(_engagement(), _inputs(negative), now=NOW))
    assert checks["contacts.wait_s.not_minutes"].status == "pass"
    assert checks["contacts.wait_s.non_negative"].status == "fail"
    no_ivr = [_waited(i, wait_s=140.0, ivr_s=None) for i in range(40)]
    checks = _by_id(assess_tables(_engagement(), _inputs(no_ivr), now=NOW))
    assert checks["contacts.wait_s.not_minutes"].status == "pass"
    half = [_waited(i, wait_s=160.0 / 60 if i < 20 else 160.0) for i in range(40)]
    check = _by_id(assess_tables(_engagement(), _inputs(half), now=NOW))["contacts.wait_s.not_minutes"]
    assert check.status == "pass" and check.result["unexpected_count"] == 20
    half[20] = _waited(20, wait_s=160.0 / 60)
    assert _by_id(assess_tables(_engagement(), _inputs(half), now=NOW))["contacts.wait_s.not_minutes"].status == "fail"
    # who is judged: answered calls and chats the clocks say waited 60 s or more (less the IVR);
    # not emails, not abandoned contacts, not those answered sooner
    judged = [_waited(i, wait_s=160.0 / 60, channel="email") for i in range(10)]
    judged += [_waited(i, wait_s=160.0 / 60, outcome="abandoned") for i in range(10, 20)]
    judged += [_contact(i, answered_at="2026-03-02 09:01", wait_s=40.0 / 60) for i in range(20, 30)]  # 40 s
    judged += [_waited(i, wait_s=160.0 / 60, channel="chat") for i in range(30, 33)]
    check = _by_id(assess_tables(_engagement(), _inputs(judged), now=NOW))["contacts.wait_s.not_minutes"]
    assert (check.result["element_count"], check.result["unexpected_count"]) == (3, 3)
    # without answer times the export's clocks say nothing about the wait: not evaluated
    r = assess_tables(_engagement(), {"contacts": TableInputs(
        "contacts", canonical_memtable("contacts", minutes), set(TABLES["contacts"].names) - {"answered_at"})}, now=NOW)
    assert _by_id(r)["contacts.wait_s.not_minutes"].status == "not evaluated"


def test_ivr_times_in_minutes_block_the_effort_index():
    # IVR times exported in minutes and mapped without a unit: 100 s of menus read as 1.7 s, so
    # the journeys' IVR time and the effort index read a 60th of it, and nothing compared the
    # IVR time with the export's own clocks (the 1-hour check catches milliseconds). _waited:
    # answered 3 minutes after arriving, 80 s of it in the queue: 100 s before the queue
    minutes = [_waited(i, wait_s=80.0, ivr_s=100.0 / 60) for i in range(40)]
    r = assess_tables(_engagement(), _inputs(minutes), now=NOW)
    check = _by_id(r)["contacts.ivr_s.not_minutes"]
    assert check.status == "fail" and check.severity == "critical"
    assert check.finding == (
        "ivr_s is under 5% of the time from arrival to the queue on 100.0% of the answered calls and chats with IVR or "
        "bot time, answered 60 s or more after they arrived (less their wait), their wait not negative (40 of 40)")
    assert "sources.contacts.columns.ivr_s.unit (min or hms)" in check.consequence
    effort = r.matrix["journey_effort"]
    assert effort["verdict"] == "blocked" and "ivr_s is under 5%" in effort["reason"]
    assert r.matrix["fcr_repeat"]["verdict"] == "ready"  # repeats read no duration
    # the wait is in seconds and agrees with the clocks less the IVR (80 of 178.3 s): it passes
    assert _by_id(r)["contacts.wait_s.not_minutes"].status == "pass"
    # in seconds it passes, and so it does with a ring of 10 s before the answer (100 of 110 s)
    seconds = [_waited(i, wait_s=80.0, ivr_s=100.0) for i in range(40)]
    check = _by_id(assess_tables(_engagement(), _inputs(seconds), now=NOW))["contacts.ivr_s.not_minutes"]
    assert check.status == "pass"
    ring = [_waited(i, wait_s=70.0, ivr_s=100.0) for i in range(40)]
    assert _by_id(assess_tables(_engagement(), _inputs(ring), now=NOW))["contacts.ivr_s.not_minutes"].status == "pass"
    # a center without an IVR reads 0 there in any unit, whatever the clocks say before the
    # queue: not judged (an empty population passes, as in Great Expectations)
    no_ivr = [_waited(i, wait_s=80.0, ivr_s=0.0) for i in range(40)]
    check = _by_id(assess_tables(_engagement(), _inputs(no_ivr), now=NOW))["contacts.ivr_s.not_minutes"]
    assert check.status == "pass" and check.result["element_count"] == 0
    # at 20 of 40 in minutes it passes (more than half fails); at 21 it fails
    half = [_waited(i, wait_s=80.0, ivr_s=100.0 / 60 if i < 20 else 100.0) for i in range(40)]
    check = _by_id(assess_tables(_engagement(), _inputs(half), now=NOW))["contacts.ivr_s.not_minutes"]
    assert check.status == "pass" and check.result["unexpected_count"] == 20
    half[20] = _waited(20, wait_s=80.0, ivr_s=100.0 / 60)
    assert _by_id(assess_tables(_engagement(), _inputs(half), now=NOW))["contacts.ivr_s.not_minutes"].status == "fail"
    # who is judged: answered calls and chats with IVR time the clocks say spent 60 s or more
    # before the queue; not emails, not abandoned contacts, not those queued sooner, not a
    # negative wait (an export error of its own)
    judged = [_waited(i, wait_s=80.0, ivr_s=100.0 / 60, channel="email") for i in range(10)]
    judged += [_waited(i, wait_s=80.0, ivr_s=100.0 / 60, outcome="abandoned") for i in range(10, 20)]
    judged += [_waited(i, wait_s=140.0, ivr_s=40.0 / 60) for i in range(20, 30)]  # 40 s before the queue
    judged += [_waited(i, wait_s=-80.0, ivr_s=100.0 / 60) for i in range(30, 35)]
    judged += [_waited(i, wait_s=80.0, ivr_s=100.0 / 60, channel="chat") for i in range(35, 38)]
    check = _by_id(assess_tables(_engagement(), _inputs(judged), now=NOW))["contacts.ivr_s.not_minutes"]
    assert (check.result["element_count"], check.result["unexpected_count"]) == (3, 3)
    # without waits the clocks cannot tell the IVR from the queue: not evaluated
    r = assess_tables(_engagement(), {"contacts": TableInputs(
        "contacts", canonical_memtable("contacts", minutes), set(TABLES["contacts"].names) - {"wait_s"})}, now=NOW)
    assert _by_id(r)["contacts.ivr_s.not_minutes"].status == "not evaluated"


@pytest.mark.parametrize(("column", "raw", "diagnostic"), [("wait_s", "queue_sec", "service_level"),
                                                          ("ivr_s", "ivr_sec", "journey_effort")])
def test_a_generated_month_with_waits_or_ivr_times_in_minutes_fails_on_them(tmp_path, column, raw, diagnostic):
    engagement, _ = _generated(tmp_path, [])
    spec = yaml.safe_load(engagement.read_text())
    spec["sources"]["contacts"] = {**spec["sources"]["contacts"], "columns": {column: {"sql": f"{raw} / 60.0"}}}
    engagement.write_text(yaml.safe_dump(spec))
    run = validate(engagement, tmp_path / "out", data_docs=False)
    check = {c.id: c for c in run.readiness.results}[f"contacts.{column}.not_minutes"]
    assert run.exit_code == 1 and check.status == "fail"
    assert check.result["unexpected_count"] > 0.9 * check.result["element_count"] > 0
    assert run.readiness.matrix[diagnostic]["verdict"] == "blocked"
    spec["sources"]["contacts"]["columns"][column] = {"sql": f"{raw} / 60.0", "unit": "min"}
    engagement.write_text(yaml.safe_dump(spec))
    fixed = validate(engagement, tmp_path / "out1", data_docs=False).readiness
    check = {c.id: c for c in fixed.results}[f"contacts.{column}.not_minutes"]
    assert check.status == "pass" and check.result["unexpected_count"] < 0.01 * check.result["element_count"]


def test_transfers_that_count_legs_degrade_the_transfer_figures():
    # a contact-grain export whose transfers column counts the legs (1 for a call never
    # transferred): the generated month so mapped read "Handled contacts transferred 100.0%
    # (9,128 of 9,128)", transfer-adjusted FCR 0.0% and mean journey effort 4.0 against 2.9,
    # with FCR (transfer-adjusted) and journey effort rated ready
    calls = [_contact(i, transfers=1 + (i % 7 == 0)) for i in range(200)]
    calls += [_gave_up(_contact(200 + i, transfers=0)) for i in range(20)]  # abandons are not handled
    check = _by_id(assess_tables(_engagement(), _inputs(calls), now=NOW))["contacts.transfers.counts_transfers"]
    assert (check.status, check.severity, check.denominator) == ("fail", "warning", 200)
    assert check.finding == ("100.0% of the handled contacts have 1 transfer or more (200 of 200): transfers may count "
                             "the legs or the agents of a contact (1 for a contact never transferred)")
    assert set(check.diagnostics) == {"fcr_transfer", "journey_effort"} and "transfer_rate" in check.figures
    assert "legs - 1" in check.consequence
    # 2 handled contacts in 200 without a transfer pass (1%); 1 in 200 does not
    two = [dict(row, transfers=0) if i < 2 else row for i, row in enumerate(calls)]
    assert _by_id(assess_tables(_engagement(), _inputs(two), now=NOW))[
        "contacts.transfers.counts_transfers"].status == "pass"
    one = [dict(row, transfers=0) if i < 1 else row for i, row in enumerate(calls)]
    assert _by_id(assess_tables(_engagement(), _inputs(one), now=NOW))[
        "contacts.transfers.counts_transfers"].result["unexpected_count"] == 199
    assert _by_id(assess_tables(_engagement(), _inputs(one), now=NOW))[
        "contacts.transfers.counts_transfers"].status == "fail"


def test_a_generated_month_whose_transfers_count_legs_fails_on_them(tmp_path):
    import duckdb

    engagement, _ = _generated(tmp_path, [])
    legs = tmp_path / "data" / "interactions.parquet"
    calls = tmp_path / "data" / "calls.parquet"
    # the legs folded into one row per contact, with the count of its legs, as a contact-grain export gives
    duckdb.sql(f"""COPY (SELECT f.* EXCLUDE (end_local, talk_sec, hold_sec, wrap_sec, segment), l.*
        FROM (SELECT * FROM '{legs}' WHERE segment = 1) f
        JOIN (SELECT interaction_id AS _id, max(end_local) AS end_local, sum(talk_sec) AS talk_sec,
              sum(hold_sec) AS hold_sec, sum(wrap_sec) AS wrap_sec, count(*) AS legs
        FROM '{legs}' GROUP BY 1) l ON f.interaction_id = l._id) TO '{calls}'""")
    spec = yaml.safe_load(engagement.read_text())
    adapter = yaml.safe_load((Path(cxkit.__file__).parent / "adapter_specs" / "cxkit_generator.yaml").read_text())
    columns = {k: v for k, v in adapter["sources"]["contacts"]["columns"].items() if k != "leg_seq"}

    def check(transfers):
        spec["sources"]["contacts"] = {"path": "data/calls.parquet", "format": "parquet",
                                       "columns": {**columns, "transfers": transfers}}
        engagement.write_text(yaml.safe_dump(spec))
        out = tmp_path / f"out{len(list(tmp_path.glob('out*')))}"
        run = validate(engagement, out, data_docs=False)
        return run, {c.id: c for c in run.readiness.results}["contacts.transfers.counts_transfers"]

    run, legs_counted = check("legs")
    assert legs_counted.status == "fail" and legs_counted.result["unexpected_count"] == legs_counted.denominator > 0
    assert run.readiness.matrix["fcr_transfer"]["verdict"] == "degraded" and run.exit_code == 0
    run, counted = check({"sql": "legs - 1"})
    assert counted.status == "pass" and 0 < counted.result["unexpected_count"] < 0.2 * counted.denominator


def test_a_talk_time_that_holds_the_hold_and_wrap_degrades_aht():
    # a handle time mapped as talk_s beside hold_s and acw_s (the generated month with talk_s as
    # talk + hold + wrap): AHT read 670 s against 596 s, counting hold and wrap twice, with AHT
    # rated ready; only an info check said that the durations exceeded the timestamps
    def check(rows):
        return _by_id(assess_tables(_engagement(), _inputs(rows), now=NOW))["contacts.talk_s.excludes_hold_and_wrap"]

    clean = _clean_contacts()  # 20 s IVR + 40 s wait + 240 s talk in 360 s from arrival to end
    handle = [dict(row, talk_s=240.0 + 100.0 + 30.0, hold_s=100.0) for row in clean]  # talk + hold + wrap
    wrong = check(handle[:20] + clean[20:])
    assert (wrong.status, wrong.severity, wrong.diagnostics) == ("fail", "warning", ["aht"])
    assert wrong.finding == (
        "IVR + wait + talk + hold exceed the time from arrival to end by over a minute on 50.0% of the handled "
        "contacts (20 of 40): talk_s may already hold the hold or after-contact time (a handle time mapped as "
        "talk), or ended_at may not be the contact's end")
    assert "counts them twice" in wrong.consequence and "aht" in wrong.figures
    assert check(handle[:2] + clean[2:]).status == "pass"  # 1 in 20 (5%) is within the threshold
    assert check(handle[:3] + clean[3:]).status == "fail"
    # an abandoned contact is not judged (its times are its wait); 60 s over is the tolerance
    assert check([_gave_up(row) if i < 20 else row for i, row in enumerate(handle[:20] + clean[20:])]).status == "pass"
    assert check([dict(row, talk_s=360.0) for row in clean]).status == "pass"  # exactly 60 s over


def test_a_generated_month_whose_talk_holds_the_hold_and_wrap_fails_on_it(tmp_path):
    engagement, _ = _generated(tmp_path, [])
    spec = yaml.safe_load(engagement.read_text())
    spec["sources"]["contacts"] = {**spec["sources"]["contacts"],
                                   "columns": {"talk_s": {"sql": "talk_sec + hold_sec + wrap_sec"}}}
    engagement.write_text(yaml.safe_dump(spec))
    run = validate(engagement, tmp_path / "out", data_docs=False)
    check = {c.id: c for c in run.readiness.results}["contacts.talk_s.excludes_hold_and_wrap"]
    assert check.status == "fail" and check.result["unexpected_count"] > 0.2 * check.denominator
    assert run.readiness.matrix["aht"]["verdict"] == "degraded" and run.exit_code == 0


def _rated(n, *, ces=True, nps=False, resolved=True, reversed_ces=False, noise=0):
    """``n`` survey responses whose answers rise together (a customer's CSAT, CES and NPS
    follow one satisfaction on 1-5; resolved when it is 4 or more); every ``noise``-th response
    answers at random instead (a plain cycle, no randomness)."""
    rows = []
    for i in range(n):
        sat = 1 + i % 5
        if noise and i % noise == 0:
            sat = 1 + (i * 7) % 5  # an answer unrelated to the others
        row = {"survey_id": f"s{i}", "contact_id": f"c{i}", "customer_id": f"k{i % 5}",
               "responded_at": "2026-03-02 12:00", "csat": float(1 + i % 5)}
        if ces:
            row["ces"] = float(8 - (sat + 1) if reversed_ces else sat + 1)  # 2-6 on 1-7
        if nps:
            row["nps"] = float(2 * sat)
        if resolved:
            row["resolved"] = (1 + i % 5) >= 4
        rows.append(row)
    return rows


def test_a_rating_written_the_other_way_round_is_flagged():
    # a CES asking how much effort it took (1 easy) passes every range check of 1-7: on the
    # generated month with `ces: {sql: "8 - q_ces"}` the report showed "CES, share 5-7 (made it
    # easy) 33.6%" and the effort index agreeing with CES at +0.31 (against CSAT at -0.31),
    # with perception rated ready
    def checks(rows):
        return _by_id(assess_tables(_engagement(), _inputs(_clean_contacts(), rows), now=NOW))

    right = checks(_rated(100))
    assert right["surveys.ces.same_direction"].status == right["surveys.csat.same_direction"].status == "pass"
    assert right["surveys.ces.same_direction"].result["details"]["csat"] == {"r": 1.0, "responses": 100}
    flipped = checks(_rated(100, reversed_ces=True))
    ces = flipped["surveys.ces.same_direction"]
    assert (ces.status, ces.severity, ces.figures, ces.diagnostics) == ("fail", "warning", ["ces"], ["perception"])
    assert ces.finding == ("ces falls as csat (correlation -1.00 over 100 responses answering both) and the resolved "
                           "answer (no 0, yes 1) (correlation -0.87 over 100 responses answering both) rise: the scale "
                           "may be written the other way round")
    assert 'map sources.surveys.columns.ces reversed (e.g. {sql: "8 - ces_raw"})' in ces.consequence
    assert "either scale" not in ces.consequence
    # CSAT runs against CES but with the resolved answer: not the one reversed
    assert flipped["surveys.csat.same_direction"].status == "pass"
    # with no third answer to tell which of two is reversed, both are flagged, and each says so
    pair = checks(_rated(100, reversed_ces=True, resolved=False))
    for name in ("ces", "csat"):
        check = pair[f"surveys.{name}.same_direction"]
        assert check.status == "fail" and "either scale may be the one written the other way round" in check.consequence
    # three ratings: the reversed one alone is flagged
    three = checks(_rated(100, reversed_ces=True, nps=True, resolved=False))
    assert [k for k in ("csat", "nps", "ces") if three[f"surveys.{k}.same_direction"].status == "fail"] == ["ces"]
    # a resolved answer coded the other way round ("did you need to contact us again?" mapped yes
    # to resolved) read customer-reported FCR 32.8% against 67.2% on the generated month, and a
    # finding said customers report less resolution than their behaviour shows
    coded = [dict(r, resolved=not r["resolved"]) for r in _rated(100, nps=True)]
    res = checks(coded)
    assert [k for k in ("csat", "nps", "ces", "resolved") if res[f"surveys.{k}.same_direction"].status == "fail"] == [
        "resolved"]
    check = res["surveys.resolved.same_direction"]
    assert (check.diagnostics, check.figures) == (["fcr_survey"], ["fcr_survey"])
    assert check.finding.startswith("the resolved answer (no 0, yes 1) falls as csat (correlation -0.87 over 100 "
                                    "responses answering both), ces (correlation -0.87")
    assert check.finding.endswith("rise: yes and no may be mapped the other way round")
    assert "values: {yes: false, no: true}" in check.consequence
    # a weaker agreement passes; reversed, it fails only when every answer compared runs against
    # it at the threshold or below (here -0.75 against CSAT and -0.43 against resolution)
    assert checks(_rated(100, noise=2))["surveys.ces.same_direction"].status == "pass"
    weak = _rated(100, noise=2, reversed_ces=True)
    assert checks(weak)["surveys.ces.same_direction"].result["details"] == {
        "csat": {"r": -0.75, "responses": 100}, "resolved": {"r": -0.433, "responses": 100}}
    assert checks(weak)["surveys.ces.same_direction"].status == "fail"
    strict = _engagement(readiness={"thresholds": {"surveys.ces.same_direction": -0.5}})
    assert _by_id(assess_tables(strict, _inputs(_clean_contacts(), weak), now=NOW))[
        "surveys.ces.same_direction"].status == "pass"
    # 99 responses answering both are too few; an answer that never varies tells nothing
    few = checks(_rated(99, reversed_ces=True))["surveys.ces.same_direction"]
    assert few.status == "not evaluated"
    assert few.note == ("fewer than 100 responses (readiness.thresholds.surveys.ces.same_direction) answer ces and "
                        "another of csat, nps, resolved with answers that vary: too few to tell the direction of the "
                        "scale")
    flat = [dict(r, resolved=True) for r in _rated(100, reversed_ces=True)]
    assert checks(flat)["surveys.ces.same_direction"].result["details"] == {"csat": {"r": -1.0, "responses": 100}}
    # a survey of one rating has nothing to compare with
    inputs = _inputs(_clean_contacts())
    mapped = set(TABLES["surveys"].names) - {"csat", "nps", "resolved"}
    inputs["surveys"] = TableInputs("surveys", canonical_memtable("surveys", _rated(100, resolved=False)), mapped)
    alone = _by_id(assess_tables(_engagement(), inputs, now=NOW))["surveys.ces.same_direction"]
    assert alone.status == "not evaluated"
    assert alone.note == "no other rating and no resolved answer are in the export to compare ces with"


def test_a_generated_month_with_its_ces_reversed_fails_on_it(tmp_path):
    engagement, _ = _generated(tmp_path, [])
    spec = yaml.safe_load(engagement.read_text())
    spec["sources"]["surveys"] = {**spec["sources"]["surveys"], "columns": {"ces": {"sql": "8 - q_ces"}}}
    engagement.write_text(yaml.safe_dump(spec))
    run = validate(engagement, tmp_path / "out", data_docs=False)
    checks = {c.id: c for c in run.readiness.results}
    assert checks["surveys.ces.same_direction"].status == "fail"
    assert checks["surveys.csat.same_direction"].status == checks["surveys.nps.same_direction"].status == "pass"
    assert run.exit_code == 0 and run.readiness.matrix["perception"]["verdict"] == "degraded"


def test_an_export_without_abandoned_contacts_degrades_service_level_and_repeats():
    # the generated month with its abandoned contacts left out (an export of answered contacts
    # only) read abandonment 0.0%, calls answered within 20 s 58.2% of answered calls only, the
    # repeat share 30.4% against 34.7%, and service level ready
    calls = [_contact(i, queued=True) if i % 10 else _gave_up(_contact(i, queued=True)) for i in range(1000)]
    chats = [_contact(1000 + i, channel="chat", queued=True) for i in range(999)]  # one short of 1,000
    r = assess_tables(_engagement(), _inputs(calls + chats), now=NOW)
    assert _by_id(r)["contacts.outcome.abandons_in_export"].status == "pass"
    # an "abandoned" contact with an answer time is answered, for the abandon rate and the check alike
    answered_abandons = [dict(row, answered_at="2026-03-02 09:01") for row in calls]
    r = assess_tables(_engagement(), _inputs(answered_abandons + chats), now=NOW)
    assert _by_id(r)["contacts.outcome.abandons_in_export"].status == "fail"
    answered = [dict(row, outcome="handled") for row in calls]
    r = assess_tables(_engagement(), _inputs(answered + chats), now=NOW)
    check = _by_id(r)["contacts.outcome.abandons_in_export"]
    assert check.status == "fail" and check.severity == "warning"
    assert check.finding == "voice: none of 1,000 contacts offered to a queue abandoned"  # chat is not judged
    assert check.result["details"]["channels"] == {"voice": {"offered": 1000, "abandoned": 0}}
    assert "abandoned ones included" in check.consequence
    assert r.matrix["service_level"]["verdict"] == "degraded" and "none of 1,000" in r.matrix["service_level"]["reason"]
    assert set(check.diagnostics) == {"service_level", "fcr_repeat", "journey_effort"}
    # one abandon among them passes; outbound calls and contacts that never queued are not offered
    assert _by_id(assess_tables(_engagement(), _inputs(answered[1:] + calls[:1]), now=NOW))[
        "contacts.outcome.abandons_in_export"].status == "pass"
    unqueued = [dict(row, queued=False) for row in answered[:500]]
    unqueued += [dict(row, direction="outbound") for row in answered[500:]]
    check = _by_id(assess_tables(_engagement(), _inputs(unqueued), now=NOW))["contacts.outcome.abandons_in_export"]
    assert check.status == "not evaluated" and "1,000 contacts offered to a queue" in check.note
    # an export without outcomes cannot tell an abandon
    r = assess_tables(_engagement(), {"contacts": TableInputs(
        "contacts", canonical_memtable("contacts", answered), set(TABLES["contacts"].names) - {"outcome"})}, now=NOW)
    check = _by_id(r)["contacts.outcome.abandons_in_export"]
    assert check.status == "not evaluated" and check.note.startswith("outcome is not in the export")


def test_a_generated_month_without_its_abandons_fails_on_them(tmp_path):
    engagement, _ = _generated(tmp_path, [])
    legs = pd.read_parquet(tmp_path / "data" / "interactions.parquet")
    legs[legs["disposition"] != "ABANDONED"].to_parquet(tmp_path / "data" / "interactions.parquet", index=False)
    run = validate(engagement, tmp_path / "out", data_docs=False)
    check = {c.id: c for c in run.readiness.results}["contacts.outcome.abandons_in_export"]
    assert run.exit_code == 0 and check.status == "fail"  # a warning: the queue may truly have lost nobody
    offered = check.result["details"]["channels"]
    assert set(offered) == {"voice", "chat"}
    assert all(c["abandoned"] == 0 and c["offered"] >= 1000 for c in offered.values())
    for diagnostic in ("service_level", "fcr_repeat"):
        assert run.readiness.matrix[diagnostic]["verdict"] == "degraded"
        assert "contacts offered to a queue abandoned" in run.readiness.matrix[diagnostic]["reason"]


def test_waits_derived_from_answer_and_end_times_give_the_export_s_own_figures(tmp_path):
    # docs/adapters.md: an export without queue times gives the wait from its answer time, or its
    # end time for a contact that was never answered; derived from the answer time alone, every
    # abandon has no wait: read as 0 s, all 296 voice abandons of the generated month read short
    # (abandonment 0.0%); not measured, none can be shown short, so all count (6.5% against the
    # export's own 6.3%: its 10 short abandons among them), and the service level caveat says so
    import cxkit
    from cxkit.operations import operations_summary
    from cxkit.readiness import assess

    engagement, _ = _generated(tmp_path, [])
    spec = yaml.safe_load(engagement.read_text())

    def opened(wait):
        spec["sources"]["contacts"] = {**spec["sources"]["contacts"], "columns": {"wait_s": wait} if wait else {}}
        engagement.write_text(yaml.safe_dump(spec))
        session = cxkit.open_engagement(engagement)
        ops = operations_summary(session.table("contacts")).execute().set_index("channel").sort_index()
        return session, ops

    _, own = opened(None)
    derive = "coalesce(epoch(answered_at), epoch(ended_at)) - epoch(arrived_at) - coalesce(ivr_s, 0)"
    _, derived = opened({"derive": derive})
    pd.testing.assert_frame_equal(own, derived)
    session, answer_only = opened({"derive": "epoch(answered_at) - epoch(arrived_at) - coalesce(ivr_s, 0)"})
    assert own.loc["voice", "abandon_rate"] > 0.05 and answer_only.loc["voice", "short_abandons"] == 0
    voice = own.loc["voice"]
    assert answer_only.loc["voice", "long_abandons"] == voice.long_abandons + voice.short_abandons > 0
    level = assess(session).matrix["service_level"]
    assert level["verdict"] == "degraded" and "cannot be shown to be a short abandon" in level["reason"]


def test_hint_percentages_round_as_the_matrix_does():
    hours = {w: (8, 17) for w in range(5)} | {4: (8, 14), 5: (9, 12), 6: (9, 12)}
    check = _hours_result(_week_of_answers(hours))
    shown = f"{check.rate:.1%}"
    assert check.finding.startswith(shown), (check.finding, shown)


def test_handled_without_answer_or_talk_is_counted():
    rows = _clean_contacts()
    rows[0] = {**rows[0], "answered_at": None, "talk_s": 0.0}  # served per the export, never answered
    rows[1] = {**rows[1], "answered_at": None, "talk_s": 0.0, "outcome": "abandoned"}  # an abandon: fine
    r = assess_tables(_engagement(), _inputs(rows), now=NOW)
    check = next(c for c in r.results if c.id == "contacts.handled_were_served")
    assert (check.status, check.unexpected, check.denominator) == ("fail", 1, 39)


def test_missing_talk_and_wait_are_counted_over_the_contacts_their_figures_read():
    # a digital desk: abandoned conversations have no handle time (AHT reads handled contacts)
    # and bot-resolved ones never queued, so have no wait (service level reads contacts offered
    # to a queue, METRICS.md); neither is missing from a figure
    rows = _clean_contacts()
    for i in range(4):
        rows[i] = {**rows[i], "outcome": "abandoned", "answered_at": None, "talk_s": None, "acw_s": None,
                   "agent_id": None}
    for i in range(4, 8):
        rows[i] = {**rows[i], "outcome": "contained", "queued": False, "answered_at": None, "wait_s": None,
                   "talk_s": None, "acw_s": None, "agent_id": None}
    checks = _by_id(assess_tables(_engagement(), _inputs(rows), now=NOW))
    talk, wait = checks["contacts.talk_s.not_null"], checks["contacts.wait_s.not_null"]
    assert (talk.status, talk.unexpected, talk.denominator) == ("pass", 0, 32)
    assert (wait.status, wait.unexpected, wait.denominator) == ("pass", 0, 36)
    # a handled contact without a talk time is missing from AHT, and the finding names the population
    rows[8], rows[9] = {**rows[8], "talk_s": None}, {**rows[9], "talk_s": None}
    talk = _by_id(assess_tables(_engagement(), _inputs(rows), now=NOW))["contacts.talk_s.not_null"]
    assert talk.status == "fail"
    assert talk.finding == "talk_s is 6.2% null (2 of 32 handled contacts)"
    # without queued in the export, which contacts queued cannot be told: every contact counts
    inputs = _inputs(rows)
    inputs["contacts"].mapped.discard("queued")
    wait = _by_id(assess_tables(_engagement(), inputs, now=NOW))["contacts.wait_s.not_null"]
    assert wait.status == "fail" and wait.finding == "wait_s is 10.0% null (4 of 40 contacts)"
    assert "row_condition" not in wait.kwargs


def test_unknown_waits_are_said_beside_the_journeys_waiting_too():
    # queue times null on a random 20% of the generated month's legs: the journeys' mean wait
    # read 36.6 s against 45.1 s (an unknown wait adds nothing to a journey), with the caveat
    # beside the service level only; it now sits beside every figure that sums waits
    from cxkit.figures import Judge

    rows = _clean_contacts()
    for i in range(8):
        rows[i] = {**rows[i], "wait_s": None}
    r = assess_tables(_engagement(), _inputs(rows), now=NOW)
    wait = _by_id(r)["contacts.wait_s.not_null"]
    assert wait.status == "fail" and wait.diagnostics == ["service_level", "journey_effort"]
    assert "the journeys' waiting and the effort index count only the waits the export gives" in wait.consequence
    judge = Judge({"matrix": r.matrix}, {"contacts": {"rows": 40, "columns": {
        c: {"mapped": True, "non_null": 40} for c in TABLES["contacts"].names}}})
    said = wait.finding.split(" (")[0]
    for figure in ("service_level", "asa", "journey_wait", "effort_wait", "effort_index", "effort_by_reason"):
        assert any(said in c.reason for c in judge.caveats(figure)), figure
    for figure in ("journeys", "channel_switch", "aht"):
        assert not any(said in c.reason for c in judge.caveats(figure)), figure


def test_bank_key_parts_and_unserved_rows_are_reported(bank_run):
    by_id = {c.id: c for c in bank_run.readiness.results}
    keys = by_id["contacts.key_parts_unique"]
    # call_id repeats across IVR lines: 15,451 ids in the 33,066 kept rows (README claims unique)
    assert keys.status == "fail" and keys.result["details"]["id_column"] == "call_id"
    assert "call_id has 15,451 distinct values in 33,066 rows" in keys.finding
    assert "the adapter keys contacts by" in keys.finding
    assert by_id["contacts.contact_id.unique"].status == "pass"  # the combined key is unique
    served = by_id["contacts.handled_were_served"]
    assert served.status == "fail" and served.unexpected == 50



def test_csat_answers_on_another_scale_block_csat():
    # answers on 0-10 mapped as CSAT: "CSAT, share 4-5 33.3% (n = 60)" counted only the 3s, 4s and
    # 5s of a 0-10 scale (60 of 283 answers) and was quoted with a warning; most answers off the
    # 1-5 scale now block the figure, a few stay a warning
    def run(scores):
        surveys = [{"survey_id": f"s{i}", "contact_id": f"c{i}", "customer_id": f"k{i % 5}",
                    "responded_at": "2026-03-02 12:00", "csat": float(v)} for i, v in enumerate(scores)]
        return _by_id(assess_tables(_engagement(), _inputs(_clean_contacts(), surveys), now=NOW))

    ten = run([0, 2, 3, 5, 6, 7, 7, 8, 8, 9, 9, 10] * 2)
    assert ten["surveys.csat.on_scale"].status == "fail" and ten["surveys.csat.on_scale"].blocking
    assert "csat is outside 1-5 on 18 of 24 answers (75.0%): the answers are on another scale" in ten[
        "surveys.csat.on_scale"].finding
    few = run([1, 2, 3, 4, 5] * 4 + [0])  # one answer of 21 off the scale: a warning, CSAT still quoted
    assert few["surveys.csat.on_scale"].status == "pass" and few["surveys.csat.in_range"].status == "fail"


def test_wfm_queues_named_otherwise_than_the_contacts_are_flagged():
    # a WFM export naming queues "Q_STOERUNG" where the contacts say "Störung": staffing pairs by
    # queue name, found nothing, and the report read "No interval with contacts was staffed below
    # the Erlang C requirement" over 141 under-staffed intervals
    contacts = [_contact(i, queue="Störung" if i % 2 else "Rechnung") for i in range(40)]
    def intervals(names):
        return [{"queue": q, "interval_start": f"2026-03-02 {h:02d}:00", "interval_minutes": 30, "offered": 5,
                 "forecast": 5.0, "staffed_agents": 2.0} for q in names for h in range(8, 18)]

    def check(names):
        inputs = _inputs(contacts)
        inputs["intervals"] = TableInputs("intervals", canonical_memtable("intervals", intervals(names)),
                                          set(TABLES["intervals"].names))
        return _by_id(assess_tables(_engagement(), inputs, now=NOW))["intervals.queue_in_contacts"]

    wrong = check(["Q_STOERUNG", "Rechnung"])
    assert (wrong.status, wrong.unexpected, wrong.denominator) == ("fail", 10, 20)
    assert "10 of 20 WFM intervals name a queue that no contact has" in wrong.finding
    assert check(["Störung", "Rechnung"]).status == "pass"


def test_contacts_in_intervals_the_wfm_export_lacks_are_flagged():
    # 40 contacts of queue V over 2 and 3 March (20 a day, at 09:00, 11:00, 13:00 and 15:00 on the
    # 3rd); the WFM export has V's half hours of 2 March only. Staffing compared the intervals it
    # has and read the 3rd's demand as none; readiness now says what the export leaves out
    contacts = [_contact(i, day="2026-03-02" if i % 2 else "2026-03-03", hour=9 + i % 8, queue="V") for i in range(40)]

    def check(days):
        inputs = _inputs(contacts)
        rows = [{"queue": "V", "interval_start": f"{d} {h:02d}:{m:02d}", "interval_minutes": 30, "offered": 5,
                 "forecast": 5.0, "staffed_agents": 2.0} for d in days for h in range(8, 18) for m in (0, 30)]
        inputs["intervals"] = TableInputs("intervals", canonical_memtable("intervals", rows), set(TABLES["intervals"].names))
        return _by_id(assess_tables(_engagement(), inputs, now=NOW))["intervals.cover_contacts"]

    cut = check(["2026-03-02"])
    assert (cut.status, cut.severity, cut.unexpected, cut.denominator) == ("fail", "warning", 20, 40)
    assert cut.finding == ("20 of the 40 offered contacts (50.0%) of the queues the WFM export names entered them in "
                           "4 intervals the export does not have")
    assert check(["2026-03-02", "2026-03-03"]).status == "pass"


#: contacts of queue V over 2 and 3 March, a volume per opening hour that varies (20 to 100)
_WFM_VOLUME = {(d, h): 20 + ((h * 7 + d) % 11) * 8 for d in (2, 3) for h in range(8, 18)}
_WFM_CONTACTS = [_contact(i, day=f"2026-03-0{d}", hour=h, queue="V")
                 for i, (d, h) in enumerate((d, h) for (d, h), n in _WFM_VOLUME.items() for _ in range(n))]


def _assessed(inputs, thresholds):
    """Readiness of ``inputs`` by check id, with ``thresholds`` (check id -> threshold) set."""
    return _by_id(assess_tables(_engagement(readiness={"thresholds": thresholds}), inputs, now=NOW))


def _wfm_checks(late_minutes=0, scale=1.0, rows_of=None, other_queues=(), **thresholds):
    """Readiness of ``_WFM_CONTACTS`` against a WFM export of V's opening-hour half hours whose
    offered volumes are those contacts' x ``scale``, its times ``late_minutes`` late; each of
    ``other_queues`` (queues no contact names) planned with V's volumes too."""
    inputs = _inputs(rows_of or _WFM_CONTACTS)
    rows = []
    for queue in ("V", *other_queues):
        for d in (2, 3):
            for h in range(8, 18):  # the opening hours' intervals, as a WFM export gives them
                for m in (0, 30):
                    start = datetime(2026, 3, d, h, m) + pd.Timedelta(minutes=late_minutes)
                    rows.append({"queue": queue, "interval_start": f"{start:%Y-%m-%d %H:%M}", "interval_minutes": 30,
                                 "offered": round(_WFM_VOLUME[(d, h)] * scale) if m == 0 else 0,
                                 "staffed_agents": 2.0})
    table = canonical_memtable("intervals", rows)
    inputs["intervals"] = TableInputs("intervals", table, set(TABLES["intervals"].names))
    return _assessed(inputs, thresholds)


def test_wfm_intervals_in_another_timezone_than_the_contacts_are_flagged():
    # a WFM export written in UTC (or labelling each interval by its end) for contacts read in
    # local time: the generated month with its WFM times an hour late paired every interval with
    # the contacts of the hour before; readiness said only that 23.2% of the offered contacts
    # entered intervals the export does not have, and its fix was to "export every interval"
    assert sum(_WFM_VOLUME.values()) == len(_WFM_CONTACTS) >= 1000
    fine = _wfm_checks()["intervals.aligned_with_contacts"]
    assert fine.status == "pass" and fine.result["details"]["best_shift_s"] == 0
    late = _wfm_checks(60)
    moved = late["intervals.aligned_with_contacts"]
    assert (moved.status, moved.severity, moved.diagnostics, moved.figures) == (
        "fail", "warning", ["aht"], ["staffing", "service_level_by_gap"])
    a = moved.result["details"]
    assert a["best_shift_s"] == -3600 and a["best"] == 1.0 and a["as_exported"] <= 0.8
    assert moved.finding == (
        "the WFM export's offered volumes line up with the contacts' queue entries when its times move 1 h earlier "
        f"(correlation 1.00 per queue and interval, against {a['as_exported']:.2f} as exported, {len(_WFM_CONTACTS):,} "
        "offered contacts): the WFM times may be in another timezone than the contacts', or label each interval by "
        "its end")
    assert "sources.intervals.timezone" in moved.consequence
    # the coverage check's fix is then the alignment's, not "export every interval"
    cover = late["intervals.cover_contacts"]
    assert cover.status == "fail"
    assert cover.consequence.startswith("these intervals may be in the export at another time")
    early = _wfm_checks(-90)["intervals.aligned_with_contacts"]
    assert early.status == "fail" and "move 1 h 30 min later" in early.finding
    # a move that does not fit better by the threshold passes; too few contacts are not judged
    strict = _wfm_checks(60, **{"intervals.aligned_with_contacts": 0.99})
    assert strict["intervals.aligned_with_contacts"].status == "pass"
    few = _wfm_checks(60, rows_of=_WFM_CONTACTS[:999])["intervals.aligned_with_contacts"]
    assert few.status == "not evaluated"
    assert few.note == ("999 offered contacts in the queues the WFM export names, fewer than 1,000: too few to "
                        "compare with it")
    # offered 0 everywhere: nothing to line up
    flat = _wfm_checks(scale=0)["intervals.aligned_with_contacts"]
    assert flat.status == "not evaluated" and flat.note.startswith("the WFM export's offered volumes never vary")


def test_wfm_offered_volumes_that_are_not_the_contacts_are_flagged():
    # a WFM export counting every contact twice (the generated month with its WFM volumes
    # doubled): Erlang C staffed for twice the demand, 69.4% of intervals read under-staffed
    # against 64.6%, and nothing said the volumes disagreed with the contacts
    doubled = _wfm_checks(scale=2)["intervals.offered_matches_contacts"]
    assert (doubled.status, doubled.severity, doubled.diagnostics) == ("fail", "warning", ["aht"])
    n = len(_WFM_CONTACTS)
    assert doubled.finding == (
        f"the WFM export offers {2 * n:,} contacts in its intervals of the queues contacts entered, where {n:,} "
        "offered contacts entered them (2.00 times): the WFM export may count other contacts (every channel, "
        "transfers into the queue) or count them twice")
    # a WFM export that also plans queues no contact names (the centre's chat desks, beside a
    # voice-only contacts export): its volume in V is the contacts', 1.00 times (it read 2.00,
    # with "may count them twice" beside the staffing figures)
    other = _wfm_checks(other_queues=("CHAT",))["intervals.offered_matches_contacts"]
    assert other.status == "pass" and f"offers {n:,} contacts" in other.result["values"]
    assert "map sources.intervals.columns.offered" in doubled.consequence
    assert _wfm_checks(scale=0.5)["intervals.offered_matches_contacts"].status == "fail"
    # transfers into a queue move it by a fraction; an export late by an hour is compared lined up
    assert _wfm_checks(scale=1.4)["intervals.offered_matches_contacts"].status == "pass"
    late = _wfm_checks(late_minutes=60)["intervals.offered_matches_contacts"]
    assert late.status == "pass"
    assert late.result["values"].endswith("(1.00 times), its times moved 1 h earlier to line them up")
    assert _wfm_checks(scale=2, **{"intervals.offered_matches_contacts": 2.5})[
        "intervals.offered_matches_contacts"].status == "pass"
    few = _wfm_checks(scale=2, rows_of=_WFM_CONTACTS[:999])["intervals.offered_matches_contacts"]
    assert few.status == "not evaluated" and few.note.startswith("999 offered contacts in the queues")
    # an offered column of zeros (mapped from an empty column) staffs for no demand: compared as exported
    zero = _wfm_checks(scale=0)["intervals.offered_matches_contacts"]
    assert zero.status == "fail" and zero.finding.startswith(
        f"the WFM export offers 0 contacts in its intervals of the queues contacts entered, where {n:,} offered "
        "contacts entered them (0.00 times)")


def test_a_queued_column_that_marks_every_contact_is_flagged():
    # the generated month mapped with queued: {constant: true} (an export without the column, or
    # a queue column the IVR fills): its 803 contained IVR and bot contacts read as offered to a
    # queue, the IVR hang-up rate 0.0% against 5.7%, the voice abandon rate 5.5% against 6.3%
    check = "contacts.queued.not_contained"

    def checked(queued_of_contained):
        rows = _clean_contacts()
        rows += [_contact(100 + i, outcome="contained", queued=i < queued_of_contained, answered_at=None,
                          talk_s=None, acw_s=None, agent_id=None, wait_s=0.0) for i in range(10)]
        return _by_id(assess_tables(_engagement(), _inputs(rows), now=NOW))[check]

    every = checked(10)
    assert (every.status, every.severity, every.diagnostics) == ("fail", "warning", ["service_level"])
    assert every.figures == ["offered", "abandon_rate", "ivr_hangups", "abandon_by_queue"]
    assert every.finding == (
        "100.0% of the inbound contacts contained by the IVR or a bot are marked as queued (10 of 10): queued may "
        "be true for every contact (a constant, or a queue column the IVR or the bot fills)")
    assert "the IVR hang-up rate reads 0%" in every.consequence
    # half of them queued is allowed (a bot inside a queue); more is not
    assert checked(5).status == "pass" and checked(6).status == "fail" and checked(0).status == "pass"
    # without queued in the export it is derived (answered, or waited): not judged
    rows = _clean_contacts() + [_contact(100, outcome="contained", answered_at=None, wait_s=0.0)]
    inputs = _inputs(rows)
    inputs["contacts"].mapped.discard("queued")
    assert _by_id(assess_tables(_engagement(), inputs, now=NOW))[check].status == "not evaluated"


def test_a_generated_month_whose_queued_is_a_constant_fails_on_it(tmp_path):
    engagement, _ = _generated(tmp_path, [])
    spec = yaml.safe_load(engagement.read_text())
    spec["sources"]["contacts"] = {**spec["sources"]["contacts"], "columns": {"queued": {"constant": True}}}
    engagement.write_text(yaml.safe_dump(spec))
    run = validate(engagement, tmp_path / "out", data_docs=False)
    check = next(c for c in run.readiness.results if c.id == "contacts.queued.not_contained")
    assert check.status == "fail" and check.finding.startswith("100.0% of the inbound contacts contained")


def _callback_checks(kept, again, n=40, **thresholds):
    """Readiness of ``n`` callbacks promised on Monday 2 March at 09:06, ``kept`` of them followed
    that afternoon by a callback contact to the customer and the next ``again`` by an inbound
    contact of the customer (a callback the export gives as inbound, or the customer calling)."""
    rows = []
    for i in range(n):
        rows.append(_contact(i, customer_id=f"k{i}", callback_scheduled=True))
        if i < kept + again:
            rows.append(_contact(1000 + i, hour=14, customer_id=f"k{i}",
                                 direction="callback" if i < kept else "inbound"))
    rows.append(_contact(9999, day="2026-03-03", hour=17, customer_id="x"))  # the data runs past each promise
    return _assessed(_inputs(rows), thresholds)


def test_callbacks_given_as_inbound_are_flagged():
    # the generated month with its callbacks mapped as inbound (CALLBACK: inbound): callbacks kept
    # read 0.0% (0 of 216) against 74.3%, and each callback read as a repeat of the contact that
    # promised it (FCR 66.6% against 68.4%, repeat share 36.0% against 34.7%), every check passed
    check = "contacts.direction.callbacks_not_inbound"
    inbound = _callback_checks(kept=0, again=32)[check]
    assert (inbound.status, inbound.severity) == ("fail", "warning")
    assert inbound.diagnostics == ["fcr_repeat", "fcr_transfer", "journey_effort", "cost_model"]
    assert "callbacks_kept" in inbound.figures and "fcr_repeat" in inbound.figures
    assert inbound.finding == (
        "0 of the 40 scheduled callbacks judged (0.0%) are followed by an outbound or callback contact to the "
        "customer by the time promised, and 32 (80.0%) by an inbound contact of the customer: the callbacks may be "
        "in the export as inbound contacts (direction), or in another export")
    assert "map the callbacks' direction to callback" in inbound.consequence
    assert _callback_checks(kept=30, again=0)[check].status == "pass"
    # at the limits: 5% kept and 50% followed by an inbound contact fail; 7.5% kept, or 47.5%, pass
    assert _callback_checks(kept=2, again=20)[check].status == "fail"
    assert _callback_checks(kept=3, again=20)[check].status == "pass"
    assert _callback_checks(kept=0, again=19)[check].status == "pass"
    assert _callback_checks(kept=0, again=32, **{check: 0.9})[check].status == "pass"
    few = _callback_checks(kept=0, again=29, n=29)[check]
    assert few.status == "not evaluated" and few.note.startswith("29 scheduled callbacks judged in the period, fewer "
                                                                 "than 30")


def test_a_generated_month_whose_callbacks_are_mapped_inbound_fails_on_them(tmp_path):
    engagement, _ = _generated(tmp_path, [])
    spec = yaml.safe_load(engagement.read_text())
    direction = {"column": "direction", "values": {"IN": "inbound", "OUT": "outbound", "CALLBACK": "inbound"}}
    spec["sources"]["contacts"] = {**spec["sources"]["contacts"], "columns": {"direction": direction}}
    engagement.write_text(yaml.safe_dump(spec))
    run = validate(engagement, tmp_path / "out", data_docs=False)
    check = next(c for c in run.readiness.results if c.id == "contacts.direction.callbacks_not_inbound")
    assert check.status == "fail" and "by an inbound contact of the customer: the callbacks may be" in check.finding
    assert run.readiness.matrix["fcr_repeat"]["verdict"] == "degraded"


def _spacing_checks(every_minutes, read_minutes, days=3, **thresholds):
    """Readiness of a WFM export of V's opening hours (8:00-18:00) on ``days`` days in rows
    ``every_minutes`` apart, each read as ``read_minutes`` long (None: interval_minutes absent,
    read as its default)."""
    inputs = _inputs(_WFM_CONTACTS)
    rows = [{"queue": "V", "interval_start": f"2026-03-0{d} {h:02d}:{m:02d}", "offered": 3, "staffed_agents": 2.0,
             **({} if read_minutes is None else {"interval_minutes": read_minutes})}
            for d in range(2, 2 + days) for h in range(8, 18) for m in range(0, 60, every_minutes)]
    inputs["intervals"] = TableInputs("intervals", canonical_memtable("intervals", rows),
                                      set(TABLES["intervals"].names) - ({"interval_minutes"} if read_minutes is None
                                                                         else set()))
    return _assessed(inputs, thresholds)


def test_wfm_intervals_read_at_another_length_than_theirs_are_flagged():
    # a WFM export in 15-minute rows without an interval length column, read at the default 30
    # minutes (the generated month split in quarters): Erlang C read each quarter's offered
    # contacts as arriving over half an hour and the staffed hours doubled (2,927 against
    # 1,463.5 agent hours), 40.3% of the intervals read under-staffed against 53.9%, and every
    # check passed
    check = "intervals.interval_minutes.matches_spacing"
    quarters = _spacing_checks(15, None)[check]
    assert (quarters.status, quarters.severity, quarters.diagnostics) == ("fail", "warning", ["aht"])
    assert quarters.figures == ["staffing", "service_level_by_gap"]
    # 3 days of 40 quarters: 119 followed by another, 2 of them across the night
    assert quarters.finding == (
        "117 of the 119 WFM intervals followed by another of their queue (98.3%) are followed 15 min after they "
        "start, and interval_minutes gives them 30 min: interval_minutes may be mapped to another length than the "
        "export's, or be absent from the export and read as its default, 30 min")
    assert quarters.consequence.endswith(
        'Fix: map sources.intervals.columns.interval_minutes to the export\'s interval length (e.g. {sql: "15"}, '
        "when every row is 15 minutes long): read at 30 minutes, the traffic of each interval, and with it the "
        "agents required, is half what its rows say")
    assert _spacing_checks(15, 15)[check].status == "pass"
    assert _spacing_checks(30, None, days=6)[check].status == "pass"  # 119 followed, as above
    # half-hour rows mapped as 15 minutes: twice the traffic, and not the default's words
    halves = _spacing_checks(30, 15, days=6)[check]
    assert halves.status == "fail" and halves.finding.endswith("may be mapped to another length than the export's")
    assert "is twice what its rows say" in halves.consequence
    assert _spacing_checks(15, None, **{check: 0.99})[check].status == "pass"  # 98.3% under the share asked
    few = _spacing_checks(15, None, days=1)[check]
    assert few.status == "not evaluated" and few.note == (
        "39 WFM intervals are followed by another of their queue, fewer than 100: too few to read their spacing")


def test_a_generated_month_whose_wfm_length_is_mapped_wrong_fails_on_it(tmp_path):
    # the month's half-hour WFM rows mapped as 15 minutes long: half of each queue's contacts
    # entered quarters the export seemed to lack, and its volumes read 1.96 times the contacts';
    # both checks now give the length as the cause, with its fix
    engagement, _ = _generated(tmp_path, [])
    spec = yaml.safe_load(engagement.read_text())
    spec["sources"]["intervals"] = {**spec["sources"]["intervals"], "columns": {"interval_minutes": {"sql": "15"}}}
    engagement.write_text(yaml.safe_dump(spec))
    checks = {c.id: c for c in validate(engagement, tmp_path / "out", data_docs=False).readiness.results}
    spacing = checks["intervals.interval_minutes.matches_spacing"]
    assert spacing.status == "fail" and "followed 30 min after they start, and interval_minutes gives them 15 min" in (
        spacing.finding)
    cover = checks["intervals.cover_contacts"]
    assert cover.status == "fail" and cover.consequence.startswith(
        f"the WFM intervals may be read at another length than theirs ({spacing.finding}): {spacing.consequence}")
    del spec["sources"]["intervals"]["columns"]
    engagement.write_text(yaml.safe_dump(spec))
    checks = {c.id: c for c in validate(engagement, tmp_path / "out1", data_docs=False).readiness.results}
    assert checks["intervals.interval_minutes.matches_spacing"].status == "pass"
    assert checks["intervals.cover_contacts"].status == "pass"


def test_a_generated_month_whose_wfm_times_are_read_in_another_timezone_fails_on_them(tmp_path):
    # the WFM export's local London times read as New York's: 4 h late from 8 March (the US
    # clocks change three weeks before the UK's), 5 h before and from 29 March
    engagement, _ = _generated(tmp_path, [])
    spec = yaml.safe_load(engagement.read_text())
    spec["sources"]["intervals"] = {**spec["sources"]["intervals"], "timezone": "America/New_York"}
    engagement.write_text(yaml.safe_dump(spec))
    checks = {c.id: c for c in validate(engagement, tmp_path / "out", data_docs=False).readiness.results}
    moved = checks["intervals.aligned_with_contacts"]
    assert moved.status == "fail" and moved.result["details"]["best_shift_s"] == -4 * 3600
    assert "move 4 h earlier" in moved.finding
    del spec["sources"]["intervals"]["timezone"]
    engagement.write_text(yaml.safe_dump(spec))
    checks = {c.id: c for c in validate(engagement, tmp_path / "out1", data_docs=False).readiness.results}
    assert checks["intervals.aligned_with_contacts"].status == "pass"
    assert checks["intervals.aligned_with_contacts"].result["details"]["best_shift_s"] == 0


def test_capacity_alignment_finds_the_move_that_fits():
    from cxkit.capacity import _alignment

    demand = pd.DataFrame({"_q": ["A", "A", "A", "B"], "_b": [0, 1800, 3600, 1800], "contacts_offered": [5, 1, 9, 4]})
    wfm = demand.rename(columns={"_q": "queue", "_b": "_start_s", "contacts_offered": "offered"})
    assert _alignment(demand, wfm, 1800, 14)["best_shift_s"] == 0
    late = wfm.assign(_start_s=wfm["_start_s"] + 3600)
    a = _alignment(demand, late, 1800, 14)
    assert (a["best_shift_s"], round(a["best"], 6)) == (-3600, 1.0) and a["as_exported"] < 0.5
    # the volumes over the export's intervals, lined up: 19 contacts each way, 38 offered when doubled
    assert (a["wfm_offered"], a["contacts_offered"]) == (19.0, 19.0)
    doubled = _alignment(demand, late.assign(offered=late["offered"] * 2), 1800, 14)
    assert (doubled["wfm_offered"], doubled["contacts_offered"]) == (38.0, 19.0)
    # beyond the largest move it is not found; a queue the WFM export lacks is not counted
    assert _alignment(demand, late, 1800, 0.5)["best_shift_s"] != -3600
    assert _alignment(demand.assign(_q="C"), wfm, 1800, 14)["best"] is None
    assert _alignment(demand, wfm.assign(offered=0), 1800, 14)["best"] is None  # offered never varies


@pytest.mark.parametrize(("column", "scale", "off", "few"), [
    # NPS asked on 0-100: answers above 10 were dropped as out of range, and NPS was computed on
    # the few that happened to fall inside 0-10
    ("nps", "0-10", [0, 20, 40, 50, 60, 70, 80, 80, 90, 90, 100, 10] * 2, [0, 5, 9, 10] * 5 + [11]),
    # CES asked on 0-10: the 0s, 8s, 9s and 10s were dropped the same way
    ("ces", "1-7", [0, 2, 3, 5, 6, 7, 7, 8, 8, 9, 9, 10] * 2, [1, 3, 5, 7] * 5 + [8]),
])
def test_nps_and_ces_answers_on_another_scale_block_perception(column, scale, off, few):
    # as CSAT's: most answers off the scale block the figure (validate exits 1), a few stay a warning
    def run(scores):
        surveys = [{"survey_id": f"s{i}", "contact_id": f"c{i}", "customer_id": f"k{i % 5}",
                    "responded_at": "2026-03-02 12:00", column: float(v)} for i, v in enumerate(scores)]
        return _by_id(assess_tables(_engagement(), _inputs(_clean_contacts(), surveys), now=NOW))

    check = f"surveys.{column}.on_scale"
    blocked = run(off)[check]
    outside = sum(not (float(scale.split("-")[0]) <= v <= float(scale.split("-")[1])) for v in off)
    assert blocked.status == "fail" and blocked.blocking
    assert (f"{column} is outside {scale} on {outside} of {len(off)} answers ({100 * outside / len(off):.1f}%): "
            "the answers are on another scale") in blocked.finding
    warned = run(few)
    assert warned[check].status == "pass" and warned[f"surveys.{column}.in_range"].status == "fail"


def test_ces_and_qa_scores_on_a_smaller_scale_are_flagged():
    # a CES asked on 1-5 (the first CES) passes every range check of 1-7: its best answer, 5,
    # read as the lowest of "made it easy", and 6 and 7 never appeared; QA scores on 0-10 or as
    # shares passed the 0-100 range the same way
    def surveys(scores):
        rows = [{"survey_id": f"s{i}", "contact_id": f"c{i}", "customer_id": f"k{i % 5}",
                 "responded_at": "2026-03-02 12:00", "ces": None if v is None else float(v)}
                for i, v in enumerate(scores)]
        checks = _by_id(assess_tables(_engagement(), _inputs(_clean_contacts(), rows), now=NOW))
        return checks["surveys.ces.reaches_top"]

    five = surveys([1, 2, 3, 4, 5, 5] * 5 + [None, 9])  # 30 answers inside 1-7; a null and a 9 are not answers on it
    assert (five.status, five.severity, five.denominator) == ("fail", "warning", 30)
    assert five.finding == "no ces answer is above 5 in 30 answers on 1-7 (the highest is 5): the survey may ask on 1-5"
    assert "map sources.surveys.columns.ces to 1-7" in five.consequence and five.figures == ["ces"]
    assert surveys([1, 2, 3, 4, 5, 5] * 5 + [6]).status == "pass"  # one 6 is the top of a 1-7 survey
    few = surveys([1, 2, 3, 4, 5] * 5)  # 25 answers: too few to tell a scale
    assert few.status == "not evaluated"
    assert few.note == ("25 answers inside 1-7: fewer than 30 (readiness.thresholds.surveys.ces.reaches_top) are too "
                        "few to tell the scale")

    def qa(scores):
        inputs = _inputs(_clean_contacts())
        rows = [{"evaluation_id": f"e{i}", "contact_id": f"c{i}", "agent_id": "a1", "evaluated_at": "2026-03-02 12:00",
                 "score": float(v)} for i, v in enumerate(scores)]
        inputs["qa"] = TableInputs("qa", canonical_memtable("qa", rows), set(TABLES["qa"].names))
        return _by_id(assess_tables(_engagement(), inputs, now=NOW))["qa.score.reaches_top"]

    shares = qa([0.5, 0.75, 0.8, 0.925, 1.0] * 8)
    assert shares.status == "fail"
    assert shares.finding == ("no score is above 10 in 40 evaluations on 0-100 (the highest is 1): the scores may be "
                              "on 0-10, 1-5 or 0-1")
    assert qa([0.5, 0.75, 8.125] * 10).result["values"] == "the highest is 8.12"
    assert qa([55, 70, 85, 100] * 10).status == "pass"


def test_a_ready_verdict_says_passed_only_when_every_check_passed():
    # the Connect fixture has no contact reason: the check that reasons are present could not be
    # evaluated, which limits no FCR figure; the reason said "every check it depends on passed"
    # beside "21 of 22 checks passed"; a feed of a few contacts a day cannot show an outage either
    import cxkit
    from cxkit.readiness import assess

    # its four days of contacts judge none for repeats within 7 days: blocked, and why
    blocked = assess(cxkit.open_engagement(FIXTURES / "amazon_connect" / "engagement.yaml")).matrix["fcr_repeat"]
    assert blocked["verdict"] == "blocked" and ("all 5 contacts of the period end too close to the end of data to "
                                                "be judged for repeats") in blocked["reason"]
    # within a window of 2.4 hours, four of the five are judged
    r = assess(cxkit.open_engagement(FIXTURES / "amazon_connect" / "engagement.yaml",
                                     overrides={"resolution": {"repeat_window_days": 0.1}}))
    fcr = r.matrix["fcr_repeat"]
    assert fcr["verdict"] == "ready"
    assert fcr["reason"] == ("FCR (repeat-based) and repeat share is ready: no check it depends on found a problem "
                             "that limits it (8 could not be evaluated)")
    # which eight, and why: reasons and callbacks not exported, a feed too quiet for an outage, too few
    # contacts to tell a day's dates from its times, too few to tell ids that name contacts
    # (overall and in a channel), too few to tell transfer legs from customers coming back,
    # and too few calls offered to tell an export without abandons
    assert {c.id: c.note for c in r.results if "fcr_repeat" in c.diagnostics and c.status == "not evaluated"} == {
        "contacts.contact_reason.not_null": "contact_reason is not in the export (not mapped in sources.contacts.columns)",
        "contacts.direction.callbacks_not_inbound": ("callback_scheduled is not in the export (not mapped in "
                                                     "sources.contacts.columns)"),
        "contacts.daily.no_outage": ("too few contacts per day to tell an outage from a quiet day: no day of the week "
                                     "has a median of 10 or more (the days are still checked for gaps)"),
        "contacts.arrived_at.time_of_day": ("5 contacts arrive, fewer than 200: too few to tell a day's dates from its "
                                            "times by the hour they fall in"),
        "contacts.customer_id.recurs": ("4 identified inbound contacts in the period, fewer than 1,000: too few to "
                                        "tell customers who did not come back from ids that name contacts"),
        "contacts.customer_id.recurs_by_channel": ("no channel has 200 identified inbound contacts in the period or "
                                                   "more: too few to tell customers who did not come back from ids "
                                                   "that name contacts"),
        "contacts.contact_id.spans_transfers": ("4 identified inbound contacts in the period, fewer than 200: too few "
                                                "to tell transfers recorded as contacts from customers who came "
                                                "straight back"),
        "contacts.outcome.abandons_in_export": ("no channel among voice, chat has 1,000 contacts offered to a queue "
                                                "or more: too few to tell an export without abandons from a queue "
                                                "where nobody gave up")}
    aht = r.matrix["aht"]
    assert aht["verdict"] == "ready" and aht["reason"].startswith(
        "Average handle time is ready: no check it depends on found a problem that limits it (1 could not be "
        "evaluated: a contact id spans its transfers")
    # a month of 1,120 calls from 280 customers, 1 in 25 abandoned in the queue: every check of
    # both rows passed, and they say so
    days = [f"2026-03-{d:02d}" for d in range(1, 29)]
    calls = [_contact(100 * n + i, day=day, hour=9 + i % 8, customer_id=f"k{n}-{i % 10}")
             for n, day in enumerate(days) for i in range(40)]
    calls = [r if i % 25 else _gave_up(r) for i, r in enumerate(calls)]
    # 40 callbacks promised and made an hour later (with none, the callbacks check has nothing to follow)
    for k, r in enumerate([r for i, r in enumerate(calls) if i % 25][:40]):
        r["callback_scheduled"] = True
        calls.append(_contact(90000 + k, day=r["arrived_at"][:10], hour=int(r["arrived_at"][11:13]) + 1,
                              customer_id=r["customer_id"], direction="callback"))
    month = assess_tables(_month(), _inputs(calls), now=NOW)
    assert all(c.status == "pass" for c in month.results if {"aht", "fcr_repeat"} & set(c.diagnostics))
    assert month.matrix["aht"]["reason"] == "Average handle time is ready: every check it depends on passed"
    assert month.matrix["fcr_repeat"]["reason"] == ("FCR (repeat-based) and repeat share is ready: every check it "
                                                    "depends on passed")


def test_a_leg_column_not_mapped_names_the_contacts_source():
    # legs come from the contacts export: its mapping is the key to fix, not a 'sources.legs'
    import cxkit
    from cxkit.readiness import assess

    r = assess(cxkit.open_engagement(FIXTURES / "amazon_connect" / "engagement.yaml"))
    notes = {c.note for c in r.results if c.table == "legs" and c.id.startswith("legs.notes.")}
    assert notes == {"notes is not in the export (not mapped in sources.contacts.columns)"}


def test_every_check_text_fills_its_placeholders():
    # a check's finding is formatted with its counts; its consequence is shown as written. Five
    # duration checks per table read "check the unit under sources.contacts.columns.{col}.unit"
    # in the report, the placeholder never filled
    import re
    import string

    from cxkit.readiness.suites import load_suites

    counts = {"percent", "observed", "unexpected", "denominator", "values", "records"}
    checked = 0
    for suite in load_suites().values():
        for rule in suite.rules:
            finding = rule.meta.get("finding") or ""
            fields = {name for _, name, _, _ in string.Formatter().parse(finding) if name}
            assert fields <= counts, (rule.id, fields - counts)
            consequence = rule.meta.get("consequence") or ""
            assert not re.search(r"\{[A-Za-z_]+\}", consequence), (rule.id, consequence)
            # a key it names is one the engagement has: legs are read from sources.contacts
            assert "sources.legs" not in consequence + finding, (rule.id, consequence)
            checked += 1
    assert checked > 100


def test_data_docs_show_cxkit_checks_beside_the_great_expectations_ones(tmp_path):
    # the Data Docs held GE's expectations only: a period too short to judge any repeat (a
    # critical cxkit check that blocks FCR) left the contacts suite green there
    from cxkit.readiness import build_data_docs

    r = assess_tables(_month(resolution={"repeat_window_days": 28}), _inputs(_dense_contacts()), now=NOW)
    judged = _by_id(r)["contacts.period.judges_repeats"]
    assert judged.status == "fail"
    judged.finding += " <script>alert(1)</script>"  # a value from data is text on the page
    build_data_docs(r, tmp_path / "docs")
    page = next((tmp_path / "docs" / "validations" / "contacts").rglob("*.html")).read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    text = " ".join(re.sub(r"<[^>]+>", " ", html.unescape(page)).split()).replace(" )", ")").replace(" ;", ";")
    assert ("some contacts of the period can be judged for repeats (cxkit check contacts.period.judges_repeats; "
            "min_judged: 1)") in text
    assert "all 840 contacts of the period end too close to the end of data to be judged for repeats" in text
    assert "Status: Failed" in text
    # every check evaluated is on the page: GE's and cxkit's
    evaluated = [c for c in r.results if c.table == "contacts" and c.success is not None]
    assert any(not c.type.startswith("expect_") for c in evaluated)
    assert f"Evaluated Expectations {len(evaluated)} " in text
    # a passing cxkit check reads against its limit: a count with its share (the limit is a share),
    # a gap in days to three digits, not "0.3333333333333333"
    r = assess_tables(_month(resolution={"repeat_window_days": 7}), _inputs(_dense_contacts()), now=NOW)
    assert _by_id(r)["contacts.period.judges_most"].status == "pass"
    build_data_docs(r, tmp_path / "docs7")
    page = next((tmp_path / "docs7" / "validations" / "contacts").rglob("*.html")).read_text(encoding="utf-8")
    text = " ".join(re.sub(r"<[^>]+>", " ", html.unescape(page)).split()).replace(" )", ")").replace(" ;", ";")
    assert "(cxkit check contacts.period.judges_most; max_share: 0.5) 213 of 840 (25.4%); 7-day window" in text
    assert "(cxkit check contacts.data_reaches_period_end; max_gap_days: 1) 0.333; last arrival 2026-03-28" in text


def test_data_docs_go_where_they_are_asked_whatever_the_folder_is_called(tmp_path, monkeypatch):
    # Great Expectations reads $NAME in a path as an environment variable: a report folder under
    # "Client $HOME" had the site written (unscanned) under "Client /root/..."; "$NOSUCH" failed
    from cxkit.readiness import build_data_docs

    monkeypatch.setenv("CXKIT_TEST_HOME", str(tmp_path / "elsewhere"))
    r = assess_tables(_month(), _inputs(_dense_contacts()), now=NOW)
    for name in ("Client $CXKIT_TEST_HOME", "Client ${CXKIT_TEST_HOME}", "A $NOSUCH_VARIABLE_X"):
        build_data_docs(r, tmp_path / name / "docs")
        assert (tmp_path / name / "docs" / "index.html").exists(), name
    assert not (tmp_path / "elsewhere").exists() and not list(tmp_path.glob(f"Client {tmp_path}*"))


def test_a_period_not_much_longer_than_the_repeat_window_is_said():
    # 30 contacts a day, 1-28 March, the last arriving 28 March 16:00 UTC (the end of data); each
    # ends 6 minutes after it arrives. A contact is judged when it ends a window before that
    def judged(window):
        r = assess_tables(_month(resolution={"repeat_window_days": window}), _inputs(_dense_contacts()), now=NOW)
        return _by_id(r), r.matrix

    # 7 days: the contacts ending after 21 March 16:00 are too recent: that day's three 16:00
    # contacts and 7 x 30 after it, 213 of 840 (25.4%): both checks pass
    checks, matrix = judged(7)
    assert checks["contacts.period.judges_repeats"].status == "pass"
    assert checks["contacts.period.judges_most"].status == "pass" and matrix["fcr_repeat"]["verdict"] == "ready"
    # 20 days: after 8 March 16:00, 3 + 20 x 30 = 603 of 840 (71.8%), over half: degraded
    checks, matrix = judged(20)
    assert checks["contacts.period.judges_repeats"].status == "pass"
    most = checks["contacts.period.judges_most"]
    assert most.status == "fail" and most.finding == (
        "603 of 840 contacts of the period (71.8%) end too close to the end of data to be judged for repeats "
        "(20-day window, end of data 2026-03-28 16:00 UTC: a contact ending after 2026-03-08 16:00 UTC is too recent)")
    assert matrix["fcr_repeat"]["verdict"] == "degraded" and matrix["fcr_transfer"]["verdict"] == "degraded"
    # 28 days: every contact ends after 28 February 16:00: none can be judged, FCR is blocked
    checks, matrix = judged(28)
    assert checks["contacts.period.judges_repeats"].finding.startswith(
        "all 840 contacts of the period end too close to the end of data to be judged for repeats")
    most = checks["contacts.period.judges_most"]
    assert most.status == "not evaluated" and most.note == "no contact of the period can be judged for repeats"
    assert matrix["fcr_repeat"]["verdict"] == "blocked" and matrix["fcr_transfer"]["verdict"] == "blocked"
    assert matrix["service_level"]["verdict"] == "ready"  # nothing else depends on the window
    # the caveat sits beside the figures judged against the end of data, not beside the repeat
    # share or the transfer rate of the same diagnostics, which need no judging
    from cxkit.figures import FIGURES, Judge

    judge = Judge({"matrix": matrix}, {"contacts": {"rows": 840, "columns": {
        c: {"mapped": True, "non_null": 840} for c in TABLES["contacts"].names}}})
    for figure in ("fcr_repeat", "fcr_transfer", "fcr_by_reason", "scenarios", "cost_per_resolved_issue"):
        assert [c.verdict for c in judge.caveats(figure)] == ["blocked"], figure
    for figure in ("repeat_share", "transfer_rate", "repeat_cost"):
        assert judge.caveats(figure) == [], figure
    named = {f for c in checks.values() for f in c.figures}
    assert named and named <= set(FIGURES)
    # the matrix row says which of the diagnostic's figures the verdict spares: the row read
    # "FCR (repeat-based) and repeat share is blocked" beside a measured repeat share
    assert "repeat_share" in matrix["fcr_repeat"]["spared"] and "fcr_repeat" not in matrix["fcr_repeat"]["spared"]
    # by name, each of them ("and 5 more figures" left the reader to guess which)
    assert matrix["fcr_repeat"]["spared"] == ["repeat_share", "callbacks_kept", "repeat_cost", "repeat_cost_derived",
                                              "repeat_cost_by_reason", "repeat_cost_by_queue", "repeat_cost_by_team",
                                              "avoidable_cost"]
    assert matrix["fcr_repeat"]["reason"].startswith(
        "FCR (repeat-based) and repeat share is blocked, apart from repeat share of inbound contacts, callbacks kept "
        "and the repeat cost figures, which it does not limit: all 840 contacts")
    assert matrix["fcr_transfer"]["spared"] == ["transfer_rate", "transfer_paths"]
    assert matrix["fcr_transfer"]["reason"].startswith(
        "FCR (transfer-adjusted) is blocked, apart from transfer rate and transfer paths between queues, which it "
        "does not limit: all 840")
    # a verdict of checks that limit every figure spares none
    checks, matrix = judged(7)
    assert "spared" not in matrix["fcr_repeat"]


def test_a_verdict_names_the_figures_it_spares():
    from cxkit.figures import FIGURES
    from cxkit.readiness.matrix import apart_from

    assert apart_from([]) == ""
    assert apart_from(["csat"]) == ", apart from CSAT, which it does not limit"
    assert apart_from(["csat", "nps", "ces"]) == ", apart from CSAT, NPS and CES, which it does not limit"
    many = [k for k, f in FIGURES.items() if "fcr_repeat" in f.diagnostics and "," not in f.label][:10]
    assert len(many) == 10
    words = apart_from(many)
    # past eight, seven by name (the breakdowns of one figure said once) and the count of the others
    assert words.endswith("; FCR by contact reason, queue and team; and 3 more figures it does not limit")
    assert words.count("; ") == 5
    # a short period spares the repeat share and every repeat cost figure from the judged-contacts
    # check: the family is named once (it listed seven labels, the last two run together: "...;
    # repeat cost by team and repeat cost and failure demand, counted once")
    spared = ["repeat_share", "repeat_cost", "repeat_cost_derived", "repeat_cost_by_reason", "repeat_cost_by_queue",
              "repeat_cost_by_team", "avoidable_cost"]
    assert apart_from(spared) == ", apart from repeat share of inbound contacts and the repeat cost figures, which it " \
                                 "does not limit"
    # a family not spared whole is listed, the breakdowns of one figure together, the last item
    # after "; and" where an item has an "and" of its own
    assert apart_from(["repeat_share", "repeat_cost", "repeat_cost_by_queue", "repeat_cost_by_team", "csat"]) == (
        ", apart from repeat share of inbound contacts; cost of repeat contacts; repeat cost by queue and team; and "
        "CSAT, which it does not limit")


def test_a_partly_missing_customer_id_limits_case_based_fcr_not_case_follow_through(tmp_path):
    # case-based FCR is over eligible contacts, whose customer is identified, as the repeat-based
    # FCRs are: with 60% of chats unidentified it read "FCR (case-based) is ready" while they
    # carried the caveat. Case follow-through reads no customer and carries none
    from cxkit.figures import Judge

    engagement, _ = _generated(tmp_path, ["null_customer"])
    matrix = validate(engagement, tmp_path / "out", data_docs=False).readiness.matrix
    case = matrix["fcr_case"]
    assert case["verdict"] == "degraded", case
    assert "FCR, repeats and journeys cover identified customers only" in case["reason"]
    coverage = {t: {"rows": 10, "columns": {c: {"mapped": True, "non_null": 10} for c in cols}}
                for t, cols in (("contacts", ("customer_id",)), ("cases", ("contact_id", "closed_at")))}
    judge = Judge({"matrix": matrix}, coverage)
    assert [c.reason for c in judge.caveats("fcr_case")] == [matrix["fcr_repeat"]["reasons"][0]["reason"]]
    assert judge.caveats("case_followthrough") == []


def test_an_unmapped_column_limits_only_the_figures_that_read_it():
    # without customer ids, FCR (case-based) read "ready: every check it depends on passed" while
    # its row read "not measured" (case-based FCR judges identified eligible contacts); blocking
    # the whole diagnostic would block case follow-through, which reads no customer. Without talk
    # times the cost model read "blocked" and the repeat cost, priced from given prices, carried
    # "Readiness rates the cost model blocked: talk_s is not mapped"
    from cxkit.figures import Judge

    inputs = _inputs(_clean_contacts())
    inputs["contacts"].mapped -= {"customer_id", "talk_s"}
    cases = [{"case_id": f"k{i}", "contact_id": f"c{i}", "opened_at": "2026-03-02 10:00",
              "closed_at": "2026-03-02 11:00"} for i in range(10)]
    inputs["cases"] = TableInputs("cases", canonical_memtable("cases", cases), set(TABLES["cases"].names))
    r = assess_tables(_engagement(), inputs, now=NOW)
    case = r.matrix["fcr_case"]
    assert case["verdict"] == "blocked"
    assert set(case["spared"]) == {"case_followthrough", "case_followthrough_by_reason", "case_reopens"}
    assert case["reason"] == ("FCR (case-based) is blocked, apart from case follow-through, case follow-through by "
                              "reason and case reopens, which it does not limit: customer_id is not mapped "
                              "(sources.contacts.columns)")
    # customer_id (with talk_s) limits all the cost figures but cost per contact and failure demand
    assert set(r.matrix["cost_model"]["spared"]) == {"channel_prices", "failure_demand"}
    only_talk = dict(inputs)
    everything_but_talk = set(TABLES["contacts"].names) - {"talk_s"}
    only_talk["contacts"] = TableInputs("contacts", inputs["contacts"].table, everything_but_talk)
    cost = assess_tables(_engagement(), only_talk, now=NOW).matrix["cost_model"]
    assert cost["reason"] == ("Cost of repeat contacts is blocked only for cost of repeat contacts (prices derived "
                              "from AHT) and what-if scenarios: talk_s is not mapped (sources.contacts.columns)")
    # the figure layer reads "not measured" for what the export lacks, never the verdict again
    coverage = {"contacts": {"rows": 10, "columns": {c: {"mapped": c != "talk_s", "non_null": 10 * (c != "talk_s")}
                                                     for c in TABLES["contacts"].names}}}
    assert Judge({"matrix": {"cost_model": cost}}, coverage).caveats("repeat_cost") == []


def test_a_link_to_a_column_the_contacts_lack_is_not_evaluated():
    # contacts without queues: "6,243 of 6,243 WFM intervals name a queue that no contact has";
    # without customer ids: "4,293 of 4,293 cases have a customer_id never seen in the contacts
    # feed". Nothing could match: the checks are not evaluated, with the reason
    inputs = _inputs(_clean_contacts())
    inputs["contacts"].mapped -= {"customer_id", "queue"}
    cases = [{"case_id": f"k{i}", "contact_id": f"c{i}", "customer_id": f"k{i % 5}", "opened_at": "2026-03-02 10:00"}
             for i in range(10)]
    inputs["cases"] = TableInputs("cases", canonical_memtable("cases", cases), set(TABLES["cases"].names))
    intervals = [{"queue": "Q1", "interval_start": f"2026-03-02 {h:02d}:00", "interval_minutes": 30, "offered": 5,
                  "staffed_agents": 2} for h in range(8, 18)]
    inputs["intervals"] = TableInputs("intervals", canonical_memtable("intervals", intervals),
                                      set(TABLES["intervals"].names))
    checks = _by_id(assess_tables(_engagement(), inputs, now=NOW))
    queue, customer = checks["intervals.queue_in_contacts"], checks["cases.customer_in_contacts"]
    assert queue.status == customer.status == "not evaluated", (queue, customer)
    assert queue.note == ("the contacts feed has no queue to compare with (not mapped in "
                             "sources.contacts.columns)"), queue.note
    assert "no customer_id to compare with" in customer.note
    # with the contacts' queues mapped, the WFM queue named otherwise fails, as before
    inputs["contacts"].mapped |= {"queue"}
    assert _by_id(assess_tables(_engagement(), inputs, now=NOW))["intervals.queue_in_contacts"].status == "fail"


def test_a_summed_column_missing_is_said_left_out_not_unmeasured():
    # without hold and wrap times: "Average handle time is degraded: hold_s, acw_s are not in the
    # export; the figures that need them read 'not measured'", beside an AHT that is measured and
    # says what it leaves out
    inputs = _inputs(_clean_contacts())
    inputs["contacts"].mapped -= {"hold_s", "acw_s"}
    aht = assess_tables(_engagement(), inputs, now=NOW).matrix["aht"]
    assert aht["verdict"] == "degraded"
    assert aht["reason"] == ("Average handle time is degraded: hold_s, acw_s are not in the export; the figures "
                             "that add them up leave them out, and say so beside each"), aht["reason"]
