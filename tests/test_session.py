"""The opened engagement: the boundary rules of METRICS.md that sit between the loaded tables and
the diagnostics (end of data, legs outside the period, per-leg clipping, orphans), on a small
leg-grain export written by hand."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
import yaml

import cxkit
from cxkit import operations as O
from cxkit.config import load_engagement

UTC = timezone.utc

# Leg-grain export in London local time (BST, UTC+1, from 29 March 2026).
#  A: two legs; hold -30 s on leg 1 (an export error) and +60 s on leg 2
#  B: arrives 31 March 23:50 local (22:50 UTC), inside the period; its second leg starts
#     1 April 00:10 local, after the period end
#  C: one leg, hold not recorded (empty)
#  D: arrives 1 April 09:00 local, after the period
LEGS = """\
cid,seg,cust,start,end,talk,hold,acw
A,1,k1,2026-03-10 09:00:00,2026-03-10 09:05:00,150,-30,20
A,2,k1,2026-03-10 09:05:00,2026-03-10 09:12:00,170,60,30
B,1,k2,2026-03-31 23:50:00,2026-04-01 00:05:00,300,0,10
B,2,k2,2026-04-01 00:10:00,2026-04-01 00:20:00,400,0,20
C,1,k3,2026-03-20 10:00:00,2026-03-20 10:04:00,200,,40
D,1,k4,2026-04-01 09:00:00,2026-04-01 09:05:00,250,0,5
"""

FMT = "%Y-%m-%d %H:%M:%S"
COLUMNS = {
    "contact_id": "cid",
    "leg_seq": "seg",
    "customer_id": "cust",
    "channel": {"constant": "voice"},
    "direction": {"constant": "inbound"},
    "arrived_at": {"column": "start", "format": FMT},
    "ended_at": {"column": "end", "format": FMT},
    "talk_s": "talk",
    "hold_s": "hold",
    "acw_s": "acw",
    "outcome": {"constant": "handled"},
}


def _write(tmp_path: Path, period_end: str = "2026-03-31", **sources) -> Path:
    (tmp_path / "legs.csv").write_text(LEGS)
    spec = {
        "name": "t", "client": "T", "period": {"start": "2026-03-01", "end": period_end},
        "timezone": "Europe/London",
        "sources": {"contacts": {"path": "legs.csv", "grain": "leg", "columns": COLUMNS}, **sources},
    }
    path = tmp_path / "engagement.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


@pytest.fixture()
def system_temp(tmp_path, monkeypatch):
    """The system's temporary directory ($TMPDIR), a folder of the test's own."""
    import tempfile

    folder = tmp_path / "system-temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture()
def session(tmp_path):
    return cxkit.open_engagement(_write(tmp_path))


def test_negative_durations_are_clipped_per_leg_before_summing(session):
    c = session.table("contacts").execute().set_index("contact_id")
    # A: leg 1 holds max(-30, 0) = 0, leg 2 holds 60 -> 60; handle = 150+0+20 + 170+60+30 = 430
    # (clipping after the sum gave hold max(-30 + 60, 0) = 30 and handle 400)
    assert c.loc["A", "hold_s"] == 60.0
    aht = O.aht(session.table("contacts").filter(lambda t: t.contact_id == "A"), by=None).execute().iloc[0]
    assert aht["aht_mean_s"] == 430.0
    # the table as loaded keeps the raw sum, for readiness
    raw = session.table("contacts", as_loaded=True).execute().set_index("contact_id")
    assert raw.loc["A", "hold_s"] == 30.0


def test_a_duration_not_recorded_stays_null_after_clipping(session):
    c = session.table("contacts").execute().set_index("contact_id")
    legs = session.table("legs").execute().set_index("contact_id")
    assert legs.loc["C", "hold_s"] != legs.loc["C", "hold_s"]  # NaN: not measured, not 0
    assert c.loc["C", "hold_s"] != c.loc["C", "hold_s"]


def test_a_contact_kept_in_the_period_keeps_all_its_legs(session):
    c = session.table("contacts").execute().set_index("contact_id")
    assert sorted(c.index) == ["A", "B", "C"]  # D arrives after the period
    assert c.loc["B", "transfers"] == 1
    legs = session.table("legs").execute()
    # B's second leg starts 1 April 00:10 local, after the period end: it stays with B
    assert sorted(legs.loc[legs.contact_id == "B", "leg_seq"]) == [1, 2]
    assert "D" not in set(legs.contact_id)
    assert len(legs) == 5


def test_the_contacts_of_several_legs_are_the_folds_and_the_transfer_figures_read_them(tmp_path):
    # E: two legs in different queues, after the period (its legs are not read). The fold of
    # the legs finds A, B and E; the transfer figures over the period's legs are the same from
    # those ids as from grouping the legs again
    from cxkit import resolution as R

    path = _write(tmp_path)
    export = LEGS + "E,1,k5,2026-04-02 09:00:00,2026-04-02 09:05:00,100,0,5\nE,2,k5,2026-04-02 09:05:00,2026-04-02 09:09:00,90,0,5\n"
    (tmp_path / "legs.csv").write_text(export)
    spec = yaml.safe_load(path.read_text())
    spec["sources"]["contacts"]["columns"]["queue"] = "seg"  # a queue per leg: every transfer is a path
    path.write_text(yaml.safe_dump(spec))
    session = cxkit.open_engagement(path)
    several = session.contacts_of_several_legs()
    assert sorted(several.execute().contact_id) == ["A", "B", "E"]
    assert session.contact_ids_unique()  # contacts grouped from legs by their id
    legs = session.table("legs")
    assert sorted(set(legs.execute().contact_id)) == ["A", "B", "C"]
    for figure in (R.transfer_ping_pong, R.transfer_chains):
        pd.testing.assert_frame_equal(figure(legs, several=several).execute(), figure(legs).execute())
    assert R.transfer_ping_pong(legs, several=several).execute().iloc[0][["contacts", "transferred"]].tolist() == [3, 2]


def test_a_contact_grain_export_has_no_contact_ids_unique_by_construction(tmp_path):
    # the same rows read as contacts: an id may repeat (A and B twice here), and no fold of
    # legs found contacts of several legs
    path = _write(tmp_path)
    spec = yaml.safe_load(path.read_text())
    spec["sources"]["contacts"]["grain"] = "contact"
    spec["sources"]["contacts"]["columns"].pop("leg_seq")
    path.write_text(yaml.safe_dump(spec))
    session = cxkit.open_engagement(path)
    assert not session.contact_ids_unique() and session.contacts_of_several_legs() is None
    assert session.table("contacts").contact_id.value_counts().execute().set_index("contact_id").loc["A"].iloc[0] == 2


def test_end_of_data_is_the_latest_arrival_capped_at_the_period_end(tmp_path):
    # the feed's latest arrival is D at 1 April 08:00 UTC, after the period end (1 April 00:00
    # local = 31 March 23:00 UTC): the period end
    s = cxkit.open_engagement(_write(tmp_path))
    assert s.end_of_data == datetime(2026, 3, 31, 23, 0, tzinfo=UTC)
    # a period to 30 April runs past the data: the latest arrival (D's, 08:00 UTC)
    s = cxkit.open_engagement(_write(tmp_path, period_end="2026-04-30"))
    assert s.end_of_data == datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    # readers see it in the center's time (London is UTC+1 from 29 March); the manifest keeps the instant
    assert s.parameters()["end_of_data"] == "2026-04-01 09:00 (Europe/London)"


def test_start_of_data_is_the_earliest_arrival_of_the_period(tmp_path):
    # the period starts 1 March; the earliest contact of it is A, 10 March 09:00 local (GMT):
    # the first repeat window runs from there, as the end of data's mirror (an export that
    # starts after the period does)
    s = cxkit.open_engagement(_write(tmp_path))
    assert s.start_of_data == datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    assert s.parameters()["start_of_data"] == "2026-03-10 09:00 (Europe/London)"
    # a period holding no contact of the feed starts at its own start
    s = cxkit.open_engagement(_write(tmp_path, period_end="2026-03-05"))
    assert s.start_of_data == s.engagement.period_start_utc


def test_orphan_surveys_qa_and_cases_are_left_out(tmp_path):
    # surveys: s1 rates A, s2 rates Z (not in the feed: an orphan), s3 has no contact id
    (tmp_path / "surveys.csv").write_text("id,cid,csat\ns1,A,5\ns2,Z,1\ns3,,4\n")
    (tmp_path / "qa.csv").write_text("id,cid,at,score\nq1,B,2026-03-31,80\nq2,Z,2026-03-31,20\n")
    (tmp_path / "cases.csv").write_text("id,cid,at\nk1,C,2026-03-20\nk2,Z,2026-03-21\nk3,D,2026-04-01\n")
    path = _write(
        tmp_path,
        surveys={"path": "surveys.csv", "columns": {"survey_id": "id", "contact_id": "cid", "csat": "csat"}},
        qa={"path": "qa.csv", "columns": {"evaluation_id": "id", "contact_id": "cid",
                                          "evaluated_at": {"column": "at", "format": "%Y-%m-%d"}, "score": "score"}},
        cases={"path": "cases.csv", "columns": {"case_id": "id", "contact_id": "cid",
                                                "opened_at": {"column": "at", "format": "%Y-%m-%d"}}},
    )
    s = cxkit.open_engagement(path)
    assert sorted(s.table("surveys").execute().survey_id) == ["s1", "s3"]
    # CSAT over the kept answers: (5 + 4) / 2; the orphan's 1 would have made it 10/3
    from cxkit.perception import survey_scores

    assert survey_scores(s.table("surveys")).execute().iloc[0]["csat_mean"] == 4.5
    assert sorted(s.table("qa").execute().evaluation_id) == ["q1"]
    # k3's contact D is in the feed (after the period): left out of the period's cases, not an orphan
    assert sorted(s.table("cases").execute().case_id) == ["k1"]
    # as loaded, every row is there, for readiness to count the orphans
    assert s.table("surveys", as_loaded=True).count().execute() == 3
    from cxkit.readiness import assess

    checks = {c.id: c for c in assess(s).results}
    assert checks["surveys.contact_in_contacts"].result["unexpected_count"] == 1
    assert checks["qa.contact_in_contacts"].result["unexpected_count"] == 1
    assert checks["cases.contact_in_contacts"].result["unexpected_count"] == 1


def test_a_case_survey_or_evaluation_naming_a_transfer_leg_is_linked_to_its_contact(tmp_path):
    # legs with ids of their own, as Amazon Connect's (ContactId; the contact is the first leg's):
    # A was transferred to leg A2, during which the CRM opened case k1 and stored A2. Read as
    # written, k1, s1 and q1 were orphans and case-based FCR left A out (C alone: 0 of 1). k3,
    # s2 and q2 name an id that is neither a contact nor a leg: still orphans
    (tmp_path / "legs.csv").write_text(
        "cid,leg,seg,cust,start,end\n"
        "A,A,1,k1,2026-03-10 09:00:00,2026-03-10 09:05:00\n"
        "A,A2,2,k1,2026-03-10 09:05:00,2026-03-10 09:12:00\n"
        "C,C,1,k3,2026-03-20 10:00:00,2026-03-20 10:04:00\n")
    (tmp_path / "cases.csv").write_text(
        "id,cid,opened,closed\nk1,A2,2026-03-10,2026-03-11\nk2,C,2026-03-20,\nk3,Z9,2026-03-21,2026-03-22\n")
    (tmp_path / "surveys.csv").write_text("id,cid,csat\ns1,A2,5\ns2,Z9,1\n")
    (tmp_path / "qa.csv").write_text("id,cid,at,score\nq1,A2,2026-03-12,80\nq2,Z9,2026-03-12,20\n")
    day = {"format": "%Y-%m-%d"}
    columns = {"contact_id": "cid", "leg_id": "leg", "leg_seq": "seg", "customer_id": "cust",
               "channel": {"constant": "voice"}, "direction": {"constant": "inbound"},
               "outcome": {"constant": "handled"}, "arrived_at": {"column": "start", "format": FMT},
               "ended_at": {"column": "end", "format": FMT}}
    spec = {"name": "t", "client": "T", "period": {"start": "2026-03-01", "end": "2026-03-31"},
            "timezone": "Europe/London", "sources": {
                "contacts": {"path": "legs.csv", "grain": "leg", "columns": columns},
                "cases": {"path": "cases.csv", "columns": {
                    "case_id": "id", "contact_id": "cid", "opened_at": {"column": "opened", **day},
                    "closed_at": {"column": "closed", **day}}},
                "surveys": {"path": "surveys.csv", "columns": {"survey_id": "id", "contact_id": "cid", "csat": "csat"}},
                "qa": {"path": "qa.csv", "columns": {"evaluation_id": "id", "contact_id": "cid", "score": "score",
                                                     "evaluated_at": {"column": "at", **day}}}}}
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(spec))
    s = cxkit.open_engagement(tmp_path / "engagement.yaml")
    from cxkit.resolution import fcr_case

    r = fcr_case(s.table("contacts"), s.table("cases")).execute().iloc[0]
    # A's case k1 closed, never reopened, no other contact: resolved; C's k2 open
    assert (r["numerator"], r["denominator"], r["without_case"], r["unknown_case"]) == (1, 2, 0, 0)
    for table, key, leg, orphan in (("cases", "case_id", "k1", "k3"), ("surveys", "survey_id", "s1", "s2"),
                                    ("qa", "evaluation_id", "q1", "q2")):
        kept = s.table(table).execute().set_index(key)
        assert kept.loc[leg, "contact_id"] == "A" and orphan not in kept.index, table
        # as loaded too: readiness counts as orphans the rows the diagnostics leave out
        loaded = s.table(table, as_loaded=True).execute().set_index(key)
        assert (loaded.loc[leg, "contact_id"], loaded.loc[orphan, "contact_id"]) == ("A", "Z9"), table
    from cxkit.readiness import assess

    checks = {c.id: c for c in assess(s).results}
    for table, rows in (("cases", 3), ("surveys", 2), ("qa", 2)):
        check = checks[f"{table}.contact_in_contacts"]
        assert (check.result["unexpected_count"], check.denominator) == (1, rows), table


def test_surveys_qa_and_cases_belong_to_the_period_of_their_contact(tmp_path):
    # Seen: a survey about a conversation created 28 February 23:31 local, answered on 1 March, was
    # in CSAT ("Responses 737") and customer-reported FCR (488/705) of a March report, while a case
    # whose contact came after the period was left out. London time (GMT in February).
    #  E: 28 Feb 23:30 (in the feed, before the period); A: 10 March; C: 20 March, names case K5
    #  (opened by E in February); D: 1 April 09:00 (after the period)
    (tmp_path / "contacts.csv").write_text(
        "cid,cust,start,end,talk,case\n"
        "E,k3,2026-02-28 23:30:00,2026-02-28 23:40:00,100,K5\n"
        "A,k1,2026-03-10 09:00:00,2026-03-10 09:05:00,150,\n"
        "C,k3,2026-03-20 10:00:00,2026-03-20 10:04:00,200,K5\n"
        "D,k4,2026-04-01 09:00:00,2026-04-01 09:05:00,250,\n"
    )
    # surveys: s1 about A, s2 about E (answered 1 March), s3 about D, s4 about Z (an orphan), s5 no contact
    (tmp_path / "surveys.csv").write_text(
        "id,cid,csat,res\ns1,A,5,yes\ns2,E,1,no\ns3,D,2,no\ns4,Z,1,no\ns5,,4,\n"
    )
    (tmp_path / "qa.csv").write_text("id,cid,at,score\nq1,A,2026-03-11,80\nq2,E,2026-03-01,20\nq3,D,2026-04-01,30\n"
                                     "q4,Z,2026-03-02,10\n")
    (tmp_path / "cases.csv").write_text("id,cid,at\nK1,A,2026-03-10\nK2,E,2026-02-28\nK3,D,2026-04-01\n"
                                        "K4,Z,2026-03-21\nK5,E,2026-02-28\n")
    columns = {
        "contact_id": "cid", "customer_id": "cust", "channel": {"constant": "chat"},
        "direction": {"constant": "inbound"}, "arrived_at": {"column": "start", "format": FMT},
        "ended_at": {"column": "end", "format": FMT}, "talk_s": "talk", "outcome": {"constant": "handled"},
        "case_id": "case",
    }
    resolved = {"column": "res", "values": {"yes": True, "no": False}}
    day = {"column": "at", "format": "%Y-%m-%d"}
    spec = {
        "name": "t", "client": "T", "period": {"start": "2026-03-01", "end": "2026-03-31"}, "timezone": "Europe/London",
        "sources": {
            "contacts": {"path": "contacts.csv", "columns": columns},
            "surveys": {"path": "surveys.csv", "columns": {"survey_id": "id", "contact_id": "cid", "csat": "csat",
                                                           "resolved": resolved}},
            "qa": {"path": "qa.csv", "columns": {"evaluation_id": "id", "contact_id": "cid", "evaluated_at": day,
                                                 "score": "score"}},
            "cases": {"path": "cases.csv", "columns": {"case_id": "id", "contact_id": "cid", "opened_at": day}},
        },
    }
    path = tmp_path / "engagement.yaml"
    path.write_text(yaml.safe_dump(spec))
    s = cxkit.open_engagement(path)
    assert sorted(s.table("contacts").execute().contact_id) == ["A", "C"]
    # the period's survey answers: s1 and s5; CSAT (5 + 4) / 2 (with E's and D's: 12 / 4 = 3.0)
    assert sorted(s.table("surveys").execute().survey_id) == ["s1", "s5"]
    from cxkit.perception import survey_scores
    from cxkit.resolution import fcr_customer_reported

    assert survey_scores(s.table("surveys")).execute().iloc[0]["csat_mean"] == 4.5
    # customer-reported FCR: s1 yes / s1 = 1/1 (E's and D's "no" would make it 1/3)
    r = fcr_customer_reported(s.table("surveys"), s.table("contacts")).execute().iloc[0]
    assert (r.numerator, r.denominator) == (1, 1)
    assert sorted(s.table("qa").execute().evaluation_id) == ["q1"]
    # cases: K1 (A's) and K5, opened by E in February but named by C, a contact of the period
    assert sorted(s.table("cases").execute().case_id) == ["K1", "K5"]
    # readiness counts only the orphans (Z), as loaded: E's and D's rows are not orphans
    from cxkit.readiness import assess

    checks = {c.id: c for c in assess(s).results}
    for table in ("surveys", "qa", "cases"):
        assert checks[f"{table}.contact_in_contacts"].result["unexpected_count"] == 1, table


def test_running_out_of_memory_names_the_memory_settings_not_the_mapping(tmp_path):
    # seen at 10M contacts: DuckDB's OutOfMemoryException was explained as a mapping problem
    # ("check sources.contacts.read_options and the expressions under ...columns")
    import duckdb

    session = cxkit.open_engagement(_write(tmp_path))
    con = duckdb.connect()
    con.execute("SET memory_limit = '32MB'")
    with pytest.raises(duckdb.OutOfMemoryException) as info:
        con.execute("SELECT list(range) FROM range(100000000)").fetchall()
    message = str(session.explain_failure(info.value, "contacts"))
    assert message.startswith("the engine ran out of memory: Out of Memory Error")
    assert "backend.memory_limit" in message and "backend.database" in message
    assert "read_options" not in message


def test_a_full_disk_names_the_disk_not_the_mapping(tmp_path):
    # seen at 10M contacts with a nearly full disk: DuckDB's error writing a run table, as it
    # said it; explained as a mapping problem it sent the consultant to read_options
    import duckdb

    session = cxkit.open_engagement(_write(tmp_path))
    table = "/r/acme/.spill/tables/2491e0fc-016-journey_contacts.parquet"
    exc = duckdb.IOException(f'IO Error: Could not write file "{table}": No space left on device')
    message = str(session.explain_failure(exc, "contacts"))
    assert message.startswith(f"the disk is full: {table} could not be written (No space left on device)")
    assert "--reports" in message and "--out" in message
    assert "read_options" not in message


def test_a_run_folder_holds_the_tables_computed_once_and_the_figures_do_not_change(tmp_path):
    # with a run folder (as `cxkit run` and `cxkit validate` open it) the tables computed once
    # are Parquet files there, not engine memory; every figure is the same
    from cxkit.pseudonyms import create_key
    from cxkit.session import Session

    path = _write(tmp_path)
    create_key(tmp_path)  # one key for both sessions: the same pseudonyms
    in_memory = cxkit.open_engagement(path)
    assert in_memory._tables_dir is None
    # a folder named with an apostrophe (a client's name) is written to like any other
    on_disk = Session(load_engagement(path), spill_dir=tmp_path / "O'Brien run" / ".spill")
    for name in ("contacts", "legs"):
        cols = in_memory.table(name).columns
        assert on_disk.table(name).columns == cols
        assert on_disk.table(name).schema() == in_memory.table(name).schema()
        key = ["contact_id", "leg_seq"] if name == "legs" else ["contact_id"]
        pd_a = in_memory.table(name).execute().sort_values(key).reset_index(drop=True)
        pd_b = on_disk.table(name).execute().sort_values(key).reset_index(drop=True)
        assert pd_a.equals(pd_b), name
    assert on_disk.end_of_data == in_memory.end_of_data
    stored = sorted(p.name for p in (tmp_path / "O'Brien run" / ".spill" / "tables").glob("*.parquet"))
    assert stored and all(p.endswith(".parquet") for p in stored)
    assert any("legs" in p for p in stored) and any("contacts" in p for p in stored)


def test_a_session_without_a_run_folder_spills_only_into_a_private_temporary_folder(
        tmp_path, monkeypatch, system_temp):
    # a notebook opens the engagement with no run folder: the engine's spill goes to a folder of
    # its own under the system's temporary directory (not DuckDB's '.tmp' in the folder Python
    # was started from), removed once nothing reads from the engine any more
    import gc

    path = _write(tmp_path)
    started_in = tmp_path / "notebooks"
    started_in.mkdir()
    monkeypatch.chdir(started_in)
    s = cxkit.open_engagement(path)
    contacts = s.table("contacts")
    (private,) = system_temp.iterdir()
    assert private.name.startswith("cxkit-session-")
    assert s.con.raw_sql("SELECT current_setting('temp_directory')").fetchone()[0] == str(private)
    # forced to spill: a temporary table larger than a 16 MB memory limit is written there
    s.con.raw_sql("SET memory_limit = '16MB'")
    s.con.raw_sql("CREATE TEMP TABLE cx_big AS SELECT range AS i, repeat('x', 100) AS pad FROM range(500000)")
    assert [p for p in private.iterdir() if p.name.startswith("duckdb_temp")]
    s.con.raw_sql("DROP TABLE cx_big")
    s.con.raw_sql("RESET memory_limit")
    del s
    gc.collect()
    assert private.is_dir()  # a table of the session still holds its engine
    assert contacts.count().execute() == 3
    del contacts
    gc.collect()
    assert not private.exists()
    assert list(started_in.iterdir()) == []


def test_exports_large_against_the_engines_memory_get_parquet_tables_in_the_private_folder(
        tmp_path, monkeypatch, system_temp):
    # without a run folder the engine's cache holds the tables while they fit in its memory;
    # past half of it (estimated from the exports' bytes) they are Parquet in the private folder
    import gc

    import cxkit.session as S
    from cxkit.pseudonyms import create_key

    path = _write(tmp_path)
    create_key(tmp_path)  # one key for both sessions: the same pseudonyms
    csv_bytes = (tmp_path / "legs.csv").stat().st_size
    assert S._cache_estimate(load_engagement(path)) == csv_bytes * S._CACHE_PER_BYTE["text"]
    small = cxkit.open_engagement(path)
    assert small._tables_dir is None
    cached = {n: small.table(n).execute() for n in ("contacts", "legs")}
    # the same export, estimated at more than half of a 3 GB limit: 100 MB of engine per byte
    monkeypatch.setitem(S._CACHE_PER_BYTE, "text", 10**8)
    large = S.Session(load_engagement(path, {"backend": {"memory_limit": "3GB"}}))
    private = large._tables_dir.parent
    assert private.name.startswith("cxkit-session-") and private.parent == system_temp
    for name, key in (("contacts", ["contact_id"]), ("legs", ["contact_id", "leg_seq"])):
        a = cached[name].sort_values(key).reset_index(drop=True)
        b = large.table(name).execute().sort_values(key).reset_index(drop=True)
        assert a.equals(b), name
    stored = [p.name for p in large._tables_dir.glob("*.parquet")]
    assert any("legs" in p for p in stored) and any("contacts" in p for p in stored)
    del large, small
    gc.collect()
    assert list(system_temp.iterdir()) == []


def test_the_cache_estimate_reads_what_an_export_is_from_its_bytes_not_its_name(tmp_path):
    # a gzip-compressed CSV named without .gz (read with read_options.compression) counts as
    # compressed, as the loader reads it
    import gzip

    import cxkit.session as S

    path = _write(tmp_path)
    (tmp_path / "legs.export").write_bytes(gzip.compress((tmp_path / "legs.csv").read_bytes()))
    spec = yaml.safe_load(path.read_text())
    spec["sources"]["contacts"].update(path="legs.export", format="csv", read_options={"compression": "gzip"})
    path.write_text(yaml.safe_dump(spec))
    size = (tmp_path / "legs.export").stat().st_size
    assert S._cache_estimate(load_engagement(path)) == size * S._CACHE_PER_BYTE["compressed"]


def test_an_engine_that_cannot_open_leaves_no_temporary_folder(tmp_path, monkeypatch, system_temp):
    from cxkit.errors import CxkitError

    path = _write(tmp_path)

    def cannot_connect(*args, **kwargs):
        assert kwargs["spill_dir"].parent == system_temp  # it was asked to spill into the folder
        raise CxkitError("cannot connect to in-memory DuckDB: no memory left")

    monkeypatch.setattr("cxkit.session.connect", cannot_connect)
    with pytest.raises(CxkitError, match="cannot connect"):
        cxkit.open_engagement(path)
    assert list(system_temp.iterdir()) == []


def test_a_session_on_a_database_file_spills_beside_it(tmp_path):
    # DuckDB's own choice for a database file: a folder beside the file the engagement chose
    path = _write(tmp_path)
    spec = yaml.safe_load(path.read_text())
    spec["backend"] = {"database": "work/cx.duckdb"}
    path.write_text(yaml.safe_dump(spec))
    s = cxkit.open_engagement(path)
    spill = s.con.raw_sql("SELECT current_setting('temp_directory')").fetchone()[0]
    assert Path(spill) == tmp_path / "work" / "cx.duckdb.tmp"


def test_when_the_period_holds_every_contact_every_leg_is_read_clipped(tmp_path):
    # the period to 30 April keeps D: the legs are the mapped legs, clipped, with no join
    s = cxkit.open_engagement(_write(tmp_path, period_end="2026-04-30"))
    legs = s.table("legs").execute()
    assert len(legs) == 6 and sorted(set(legs.contact_id)) == ["A", "B", "C", "D"]
    a = legs[legs.contact_id == "A"].set_index("leg_seq")
    assert a.loc[1, "hold_s"] == 0.0 and a.loc[2, "hold_s"] == 60.0
    assert legs.loc[legs.contact_id == "C", "hold_s"].isna().all()


def test_results_asked_by_name_read_only_their_tables(tmp_path):
    # FCR alone reads the contacts: its run states what the contacts hold and never computes
    # the period's legs; the figures equal those of a run of every result
    from cxkit.pseudonyms import create_key
    from cxkit.results import compute_results
    from cxkit.session import Session

    path = _write(tmp_path)
    create_key(tmp_path)
    alone = Session(load_engagement(path), spill_dir=tmp_path / "alone")
    fcr = compute_results(alone, tmp_path / "alone", names=["fcr_overall", "repeat_share_overall"])
    assert set(fcr.coverage) == {"contacts"}
    assert "legs" not in alone._ready  # the period's legs were never built
    every = compute_results(Session(load_engagement(path), spill_dir=tmp_path / "every"), tmp_path / "every")
    assert set(every.coverage) == {"contacts", "legs"}
    assert every.coverage["contacts"] == fcr.coverage["contacts"]
    for name in ("fcr_overall", "repeat_share_overall"):
        assert fcr.frame(name).equals(every.frame(name)), name


@pytest.mark.parametrize("case", ["no repeats", "a newer version", "an exact copy, no key"])
def test_de_duplication_runs_only_when_a_key_or_a_row_repeats(tmp_path, monkeypatch, case):
    # the usual export repeats nothing: the legs are then mapped from the rows as they are, with
    # no window keeping each key's newest version; a re-delivered leg still goes through it, and
    # an exact copy without a key through the DISTINCT
    import ibis

    from cxkit.session import Session

    path = _write(tmp_path)
    spec = yaml.safe_load(path.read_text())
    if case != "an exact copy, no key":
        spec["sources"]["contacts"]["dedup"] = {"key": ["cid", "seg"], "newest_by": "end"}
    path.write_text(yaml.safe_dump(spec))
    extra = {"no repeats": "", "a newer version": "A,2,k1,2026-03-10 09:05:00,2026-03-10 09:20:00,170,60,30\n",
             "an exact copy, no key": LEGS.splitlines()[2] + "\n"}[case]
    (tmp_path / "legs.csv").write_text(LEGS + extra)
    mapped: list[str] = []
    store = Session.materialize

    def spy(self, t, label="table"):
        if label == "legs":
            mapped.append(ibis.to_sql(t, dialect="duckdb").upper())
        return store(self, t, label)

    monkeypatch.setattr(Session, "materialize", spy)
    s = cxkit.open_engagement(path)
    legs = s.table("legs", as_loaded=True).execute().sort_values(["contact_id", "leg_seq"])
    assert len(mapped) == 1
    assert ("ROW_NUMBER()" in mapped[0]) is (case == "a newer version")
    # the DISTINCT over every column (the customer ids' pseudonym lookup has a DISTINCT of its own)
    assert bool(re.search(r"DISTINCT\s+\*", mapped[0])) is (case == "an exact copy, no key")
    assert s.load_reports["contacts"].repeats() is (case != "no repeats")
    # six legs either way; A's second leg in its newer version
    assert len(legs) == 6
    a2 = legs[(legs.contact_id == "A") & (legs.leg_seq == 2)].iloc[0]
    expected_end = "2026-03-10 09:20:00" if case == "a newer version" else "2026-03-10 09:12:00"  # London is on GMT
    assert a2.ended_at == pd.Timestamp(expected_end, tz="UTC")


def test_coverage_says_which_codes_the_rows_give_when_the_mapping_has_no_value_map(tmp_path):
    # an outcome by sql (handled when talked, else abandoned) and a channel as written: the
    # coverage keeps which canonical codes occur and whether two values do, never a raw value
    columns = {**COLUMNS, "outcome": {"sql": "CASE WHEN CAST(talk AS INTEGER) > 250 THEN 'handled' ELSE 'abandoned' END"},
               "channel": {"sql": "'PHONE'"}}
    (tmp_path / "legs.csv").write_text(LEGS)
    spec = {"name": "t", "client": "T", "period": {"start": "2026-03-01", "end": "2026-03-31"},
            "timezone": "Europe/London",
            "sources": {"contacts": {"path": "legs.csv", "grain": "leg", "columns": columns}}}
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(spec))
    cov = cxkit.open_engagement(tmp_path / "engagement.yaml").coverage(["contacts"])["contacts"]["columns"]
    assert cov["outcome"]["codes"] is None
    assert cov["outcome"]["observed"] == ["handled", "abandoned"] and cov["outcome"]["several"] is True
    assert cov["channel"] == {**cov["channel"], "codes": None, "observed": [], "several": False}
    assert "PHONE" not in repr(cov)
    # a constant or a value map: what it can give, no scan of the rows
    assert "observed" not in cov["direction"] and cov["direction"]["codes"] == ["inbound"]


def _three_talk_only_contacts(folder, **more):
    """An engagement of three handled inbound voice calls (k1 twice, k2 once) giving talk times and
    no other duration or count, with ``more`` raw columns (name: the three values) mapped under
    their canonical names (``reason``: contact_reason, ``ep``: entry_point); opened."""
    canonical = {"reason": "contact_reason", "ep": "entry_point"}
    rows = [["1", "k1", "2026-03-02 09:00:00", "2026-03-02 09:05:00", "200"],
            ["2", "k1", "2026-03-03 09:00:00", "2026-03-03 09:05:00", "200"],
            ["3", "k2", "2026-03-04 09:00:00", "2026-03-04 09:05:00", "200"]]
    header = ["cid", "cust", "start", "end", "talk", *more]
    body = [",".join([*row, *(values[i] for values in more.values())]) for i, row in enumerate(rows)]
    (folder / "c.csv").write_text("\n".join([",".join(header), *body]) + "\n")
    columns = {"contact_id": "cid", "customer_id": "cust", "channel": {"constant": "voice"},
               "direction": {"constant": "inbound"}, "outcome": {"constant": "handled"},
               "arrived_at": {"column": "start", "format": FMT}, "ended_at": {"column": "end", "format": FMT},
               "talk_s": "talk", **{canonical[name]: name for name in more}}
    spec = {"name": "t", "client": "T", "period": {"start": "2026-03-01", "end": "2026-03-31"},
            "timezone": "Europe/London", "sources": {"contacts": {"path": "c.csv", "columns": columns}}}
    (folder / "engagement.yaml").write_text(yaml.safe_dump(spec))
    return cxkit.open_engagement(folder / "engagement.yaml")


def test_stored_results_hold_null_where_the_export_cannot_give_a_figure(tmp_path):
    # contacts without transfer counts or identity checks: the engine computes a transfer rate of
    # 0 (the loader fills 0 for its sake); the report said "not measured" but operations.parquet,
    # journey_summary.parquet and fcr_headline's transfer-adjusted row held 0 for pipelines
    from cxkit.results import ResultSet, compute_results

    session = _three_talk_only_contacts(tmp_path)
    compute_results(session, tmp_path / "run", names=["operations", "journey_summary", "fcr_headline"])
    r = ResultSet.load(tmp_path / "run")
    ops = r.frame("operations")
    assert ops["transfer_rate"].isna().all() and ops["handled"].iloc[-1] == 3  # measured figures stay
    journeys = r.frame("journey_summary")
    assert journeys["transfer_rate"].isna().all() and journeys["reauth_rate"].isna().all()
    assert journeys["transfer_ci_low"].isna().all() and journeys["transfer_ci_high"].isna().all()
    assert journeys["journeys"].iloc[0] == 2 and journeys["multi_contact_rate"].iloc[0] == 0.5
    headline = r.frame("fcr_headline").set_index("definition")
    adjusted = [d for d in headline.index if d.startswith("transfer-adjusted")]
    assert adjusted and headline.loc[adjusted, ["numerator", "denominator"]].isna().all().all()
    # measured, every contact too recent to judge: 0 judged is a count, kept
    assert headline.loc["repeat-based, any reason", "denominator"] == 0
    said = r.manifest["results"]["operations"]["not_measured"]
    assert said["transfer_rate"] == "the export has no transfer counts (contacts.transfers)"


def test_stored_effort_times_the_export_lacks_are_null_not_zero(tmp_path):
    # an export without hold, IVR or queue-wait times: journey_summary.parquet held hold_s_mean
    # 0.0 and ivr_s_mean 0.0 (the journey contacts read a missing time as 0), journey_by_reason
    # its wait median 0.0 and ivr_exits its mean IVR time 0.0, where the report said "not measured"
    from cxkit.results import ResultSet, compute_results

    session = _three_talk_only_contacts(tmp_path, reason=("BILL", "BILL", "CARD"), ep=("main",) * 3)
    compute_results(session, tmp_path / "run", names=["journey_summary", "journey_by_reason", "ivr_exits"])
    r = ResultSet.load(tmp_path / "run")
    for name in ("journey_summary", "journey_by_reason"):
        frame = r.frame(name)
        for column in ("hold_s_mean", "ivr_s_mean", "wait_s_mean", "wait_s_median"):
            assert frame[column].isna().all(), (name, column)
        # measured: the journeys, and the time from first arrival to last end (k1: 1 day 5 min)
        assert frame["journeys"].sum() == 2 and frame["elapsed_s_mean"].notna().all(), name
        said = r.manifest["results"][name]["not_measured"]
        assert said["hold_s_mean"] == "the export has no hold times (contacts.hold_s)", name
    exits = r.frame("ivr_exits")
    assert exits["ivr_s_mean"].isna().all() and exits["contacts"].tolist() == [3]
    assert r.manifest["results"]["ivr_exits"]["not_measured"]["ivr_s_mean"].startswith("the export has no IVR")


def test_a_survey_or_evaluation_naming_a_repeated_contact_id_is_linked_to_neither(tmp_path):
    # a contact-grain export giving id "dup" to two contacts (k1's and k2's): a survey and an
    # evaluation naming "dup" cannot say which contact they are about. Linked to both, each
    # contact would count them (two responders, the evaluation's agent twice); they are kept as
    # rows without a contact: the survey still counts in CSAT, and in nothing read per contact
    (tmp_path / "c.csv").write_text(
        "cid,cust,start,end,agent\n"
        "dup,k1,2026-03-02 09:00:00,2026-03-02 09:05:00,A1\n"
        "dup,k2,2026-03-04 09:00:00,2026-03-04 09:05:00,A1\n"
        "x,k2,2026-03-05 09:00:00,2026-03-05 09:05:00,A2\n")
    (tmp_path / "surveys.csv").write_text("id,cid,csat\ns1,dup,5\ns2,x,3\n")
    (tmp_path / "qa.csv").write_text("id,cid,at,score,agent\nq1,dup,2026-03-06,90,\nq2,x,2026-03-06,70,A2\n")
    columns = {"contact_id": "cid", "customer_id": "cust", "channel": {"constant": "voice"},
               "direction": {"constant": "inbound"}, "outcome": {"constant": "handled"},
               "arrived_at": {"column": "start", "format": FMT}, "ended_at": {"column": "end", "format": FMT},
               "agent_id": "agent"}
    spec = {"name": "t", "client": "T", "period": {"start": "2026-03-01", "end": "2026-03-31"},
            "timezone": "Europe/London", "sources": {
                "contacts": {"path": "c.csv", "columns": columns},
                "surveys": {"path": "surveys.csv", "columns": {"survey_id": "id", "contact_id": "cid", "csat": "csat"}},
                "qa": {"path": "qa.csv", "columns": {"evaluation_id": "id", "contact_id": "cid", "score": "score",
                                                     "agent_id": "agent",
                                                     "evaluated_at": {"column": "at", "format": "%Y-%m-%d"}}}}}
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(spec))
    s = cxkit.open_engagement(tmp_path / "engagement.yaml")
    surveys = s.table("surveys").execute().set_index("survey_id")
    assert pd.isna(surveys.loc["s1", "contact_id"]) and surveys.loc["s2", "contact_id"] == "x"
    from cxkit.perception import survey_scores

    assert survey_scores(s.table("surveys")).execute().iloc[0]["csat_mean"] == 4.0  # (5 + 3) / 2: both count
    qa = s.table("qa").execute().set_index("evaluation_id")
    assert pd.isna(qa.loc["q1", "contact_id"]) and qa.loc["q2", "contact_id"] == "x"
    from cxkit.results import compute_results

    r = compute_results(s, tmp_path / "run", names=["nonresponse"])
    groups = r.frame("nonresponse").set_index("group")
    assert (groups.loc["all", "contacts"], groups.loc["responders", "contacts"]) == (3, 1)  # x alone
    # q1 has no agent of its own and no contact to take one from: A1 has no evaluation
    from cxkit.perception import qa_alignment
    from cxkit.resolution import repeat_flags

    c = s.table("contacts")
    agents = qa_alignment(s.table("qa"), c, repeat_flags(c, end_of_data=s.end_of_data), min_n=1, min_evaluations=1)
    assert agents.execute()["agent_id"].tolist() == ["A2"]
    # contacts folded from legs have unique ids by construction: nothing is looked for
    assert not s.contact_ids_unique()
    # readiness counts the rows so unlinked, beside the orphans (x's survey and evaluation are fine)
    from cxkit.readiness import assess

    checks = {c.id: c for c in assess(s).results}
    for table, unit in (("surveys", "surveys"), ("qa", "evaluations")):
        check = checks[f"{table}.contact_unambiguous"]
        assert (check.result["unexpected_count"], check.denominator) == (1, 2), table
        assert check.finding.startswith(f"1 of 2 {unit} name a contact id that two or more contacts"), check.finding
    assert checks["surveys.contact_unambiguous"].success is False  # 50% against mostly 99%
    assert checks["contacts.contact_id.unique"].success is False


def test_an_export_deleted_after_the_engagement_was_opened_is_named_as_gone(tmp_path):
    # a file moved or deleted while a notebook holds the session: the engine's "No files found"
    # was explained as the first mapped column failing on a value ("use TRY_CAST")
    from cxkit.errors import SourceError
    from cxkit.readiness import assess

    s = cxkit.open_engagement(_write(tmp_path))
    (tmp_path / "legs.csv").unlink()
    with pytest.raises(SourceError) as caught:
        assess(s)
    text = str(caught.value)
    assert "the export is no longer there" in text and "sources.contacts.path 'legs.csv' matches no file now" in text
    assert "TRY_CAST" not in text and "Traceback" not in text
