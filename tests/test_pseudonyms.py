"""Keyed pseudonyms: HMAC-SHA256 in the engine equals the Python reference, one customer one
pseudonym across the sources of an engagement, the key made by `cxkit init`, kept out of git and
never printed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import stat

import ibis
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import cxkit
from cxkit.connection import DIALECTS
from cxkit.errors import ConfigError
from cxkit.pseudonyms import KEY_FILE, create_key, load_key, pseudonym, pseudonym_sql, register_key
from cxkit.scaffold import write_engagement_template


@pytest.mark.parametrize("value", ["+447700900001", "CU0000001", "007", "Zoë Ørsted", "", "a" * 200])
def test_engine_hmac_equals_the_python_reference(value):
    key = bytes(range(40))  # a key longer than 32 bytes works too
    con = ibis.duckdb.connect()
    table = register_key(con, key)
    sql = pseudonym_sql("'" + value.replace("'", "''") + "'", table, DIALECTS["duckdb"])
    assert key.hex() not in sql and _pads_hex(key)[0] not in sql  # the SQL names the table, not the key
    got = con.sql(f"SELECT {sql} AS p").execute()["p"][0]
    # RFC 2104 by the standard library, its first 9 bytes in base64: 12 characters
    want = base64.b64encode(hmac.new(key, value.encode(), hashlib.sha256).digest()[:9]).decode()
    assert got == want == pseudonym(value, key) and len(got) == 12
    # and it is not an unkeyed hash of the value
    unkeyed = [hashlib.new(a, value.encode()).digest() for a in ("md5", "sha1", "sha256")]
    assert got not in {base64.b64encode(d[:9]).decode() for d in unkeyed}


def test_null_stays_null():
    con = ibis.duckdb.connect()
    sql = pseudonym_sql("CAST(NULL AS VARCHAR)", register_key(con, bytes(32)), DIALECTS["duckdb"])
    assert pd.isna(con.sql(f"SELECT {sql} AS p").execute()["p"][0])


def _pads_hex(key):
    from cxkit.pseudonyms import _pads

    return _pads(key)


def test_key_is_created_once_owner_only_and_ignored_by_git(tmp_path):
    path = create_key(tmp_path)
    assert path.name == KEY_FILE and stat.S_IMODE(path.stat().st_mode) == 0o600
    key = load_key(tmp_path)
    assert len(key) == 32
    create_key(tmp_path)  # never replaced: the pseudonyms of an engagement stay the same
    assert load_key(tmp_path) == key


def test_init_writes_the_key_and_never_prints_it(tmp_path):
    from cxkit.cli import app

    folder = tmp_path / "acme"
    result = CliRunner().invoke(app, ["init", str(folder), "--adapter", "amazon_connect_ctr"])
    assert result.exit_code == 0, result.output
    key_hex = (folder / KEY_FILE).read_text().strip()
    assert len(key_hex) == 64 and key_hex not in result.output
    assert KEY_FILE in (folder / ".gitignore").read_text().splitlines()
    # the key sits beside engagement.yaml, never in a report folder
    assert (folder / "engagement.yaml").exists() and not list(folder.rglob("reports"))
    # re-running init (--force) keeps the key
    write_engagement_template(folder, adapter="amazon_connect_ctr", force=True)
    assert (folder / KEY_FILE).read_text().strip() == key_hex
    assert (folder / ".gitignore").read_text().splitlines().count(KEY_FILE) == 1


def test_a_bad_key_file_names_the_file_not_its_content(tmp_path):
    (tmp_path / KEY_FILE).write_text("not-a-key-secret-words\n")
    with pytest.raises(ConfigError) as info:
        load_key(tmp_path)
    assert KEY_FILE in str(info.value) and "secret-words" not in str(info.value)


def _engagement(tmp_path, *, key: bool = True):
    (tmp_path / "contacts.csv").write_text(
        "id,cust,start\n1,+447700900001,2026-03-02 09:00:00\n2,+447700900002,2026-03-02 10:00:00\n3,,2026-03-02 11:00:00\n")
    (tmp_path / "surveys.csv").write_text("sid,cid,cust,csat\ns1,1,+447700900001,5\n")
    (tmp_path / "cases.csv").write_text("kid,cid,cust,opened\nk1,2,+447700900002,2026-03-02\n")
    ts = {"column": "start", "format": "%Y-%m-%d %H:%M:%S"}
    spec = {
        "name": "t", "client": "T", "period": {"start": "2026-03-01", "end": "2026-03-31"},
        "sources": {
            "contacts": {"path": "contacts.csv", "columns": {
                "contact_id": "id", "customer_id": "cust", "channel": {"constant": "voice"},
                "direction": {"constant": "inbound"}, "arrived_at": ts, "ended_at": ts, "outcome": {"constant": "handled"}}},
            "surveys": {"path": "surveys.csv", "columns": {"survey_id": "sid", "contact_id": "cid", "customer_id": "cust", "csat": "csat"}},
            "cases": {"path": "cases.csv", "columns": {"case_id": "kid", "contact_id": "cid", "customer_id": "cust",
                                                       "opened_at": {"column": "opened", "format": "%Y-%m-%d"}}},
        },
    }
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(spec))
    if key:
        create_key(tmp_path)
    return tmp_path / "engagement.yaml"


def test_one_customer_one_pseudonym_across_sources(tmp_path):
    s = cxkit.open_engagement(_engagement(tmp_path))
    key = load_key(tmp_path)
    contacts = dict(s.table("contacts").select("contact_id", "customer_id").execute().values.tolist())
    assert contacts["1"] == pseudonym("+447700900001", key)
    assert contacts["2"] == pseudonym("+447700900002", key)
    assert pd.isna(contacts["3"])  # not identified stays unknown
    survey = s.table("surveys").execute().iloc[0]
    case = s.table("cases").execute().iloc[0]
    assert survey.customer_id == contacts["1"] and case.customer_id == contacts["2"]
    # no phone number anywhere in the canonical tables
    for name in ("contacts", "surveys", "cases"):
        assert "+44" not in s.table(name).execute().to_csv()
    assert s.parameters()["customer_pseudonyms"] == "HMAC-SHA256 with the engagement's key"
    # no expression of the session shows the key, nor the padded keys HMAC derives from it
    inner, outer = _pads_hex(key)
    for name in ("contacts", "surveys", "cases"):
        shown = repr(s.table(name, as_loaded=True)) + str(ibis.to_sql(s.table(name, as_loaded=True)))
        assert key.hex() not in shown and inner not in shown and outer not in shown


def test_without_a_key_file_a_run_key_is_used(tmp_path):
    path = _engagement(tmp_path, key=False)
    a = cxkit.open_engagement(path)
    b = cxkit.open_engagement(path)
    pa = a.table("contacts").filter(lambda t: t.contact_id == "1").execute().customer_id[0]
    pb = b.table("contacts").filter(lambda t: t.contact_id == "1").execute().customer_id[0]
    assert pa != pb and len(pa) == 12  # keyed, but by a key of each run
    assert a.table("surveys").execute().customer_id[0] == pa  # consistent within the run
    assert "for this run only" in a.parameters()["customer_pseudonyms"]
    assert not (tmp_path / KEY_FILE).exists()  # nothing written outside the report folder


def test_each_row_gets_the_pseudonym_of_its_own_kept_id(tmp_path):
    # every kept row carries the HMAC of its own id, after de-duplication (a newer version's id
    # wins, an exact re-delivery is one row), an id on many rows, an empty id null, and an id
    # that differs only by case or blanks a different pseudonym (ids are compared as given)
    (tmp_path / "legs.csv").write_text(
        "cid,seg,cust,at,start\n"
        "A,1,+447700900001,1,2026-03-02 09:00:00\n"
        "A,1,+447700900009,2,2026-03-02 09:00:00\n"  # the newer version of leg A1: its id is kept
        "A,2,+447700900001,1,2026-03-02 09:05:00\n"
        "B,1,,1,2026-03-02 10:00:00\n"
        "C,1,+447700900001,1,2026-03-03 10:00:00\n"
        "C,1,+447700900001,1,2026-03-03 10:00:00\n"  # an exact re-delivery
        "D,1,cu-7 ,1,2026-03-04 10:00:00\n"
        "E,1,CU-7,1,2026-03-04 11:00:00\n"
    )
    ts = {"column": "start", "format": "%Y-%m-%d %H:%M:%S"}
    spec = {
        "name": "t", "client": "T", "period": {"start": "2026-03-01", "end": "2026-03-31"},
        "sources": {"contacts": {
            "path": "legs.csv", "grain": "leg", "dedup": {"key": ["cid", "seg"], "newest_by": "at"},
            "columns": {"contact_id": "cid", "leg_seq": "seg", "customer_id": "cust", "channel": {"constant": "voice"},
                        "direction": {"constant": "inbound"}, "arrived_at": ts, "ended_at": ts,
                        "outcome": {"constant": "handled"}}}},
    }
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(spec))
    create_key(tmp_path)
    key = load_key(tmp_path)
    s = cxkit.open_engagement(tmp_path / "engagement.yaml")
    legs = s.table("legs", as_loaded=True).execute()
    got = {(r.contact_id, int(r.leg_seq)): (None if pd.isna(r.customer_id) else r.customer_id)
           for r in legs.itertuples()}
    assert len(legs) == len(got) == 6
    assert got == {
        ("A", 1): pseudonym("+447700900009", key),
        ("A", 2): pseudonym("+447700900001", key),
        ("B", 1): None,
        ("C", 1): pseudonym("+447700900001", key),
        ("D", 1): pseudonym("cu-7 ", key),
        ("E", 1): pseudonym("CU-7", key),
    }
    assert len({got["D", 1], got["E", 1], got["A", 1], got["A", 2]}) == 4


def test_the_sources_share_one_table_of_pseudonyms_and_hash_each_id_once(tmp_path):
    # a customer only the surveys name, one whose e-mail address the cases type in capitals,
    # and one on every source: each source's rows get the pseudonym of their own id, the
    # session's table holds each id once, and the lazy engine (each source hashing its own
    # ids) gives the same tables and the same ids for the privacy scan
    path = _engagement(tmp_path)
    (tmp_path / "surveys.csv").write_text("sid,cid,cust,csat\ns1,1,+447700900001,5\ns2,9,+447700900077,4\n")
    (tmp_path / "cases.csv").write_text("kid,cid,cust,opened\nk1,2,+447700900002,2026-03-02\n"
                                        "k2,1,Anna.Smith@Example.com,2026-03-02\n")
    with open(tmp_path / "contacts.csv", "a") as fh:
        fh.write("4,anna.smith@example.com,2026-03-02 12:00:00\n")
    key = load_key(tmp_path)
    shared = cxkit.open_engagement(path)
    lookup_name = shared._pseudonyms
    assert lookup_name is not None
    lookup = shared.con.table(lookup_name).execute()
    assert sorted(lookup.cx_id) == sorted(["+447700900001", "+447700900002", "+447700900077",
                                           "anna.smith@example.com", "Anna.Smith@Example.com"])
    surveys, cases, contacts = (
        dict(shared.table(name, as_loaded=True).select(key, "customer_id").execute().values.tolist())
        for name, key in (("surveys", "survey_id"), ("cases", "case_id"), ("contacts", "contact_id")))
    assert surveys == {"s1": pseudonym("+447700900001", key), "s2": pseudonym("+447700900077", key)}
    assert cases["k2"] == contacts["4"] == pseudonym("anna.smith@example.com", key)
    # the three computed, the table of raw ids is gone from the engine (its ids kept, hashed)
    assert shared._pseudonyms is None and lookup_name not in shared.con.list_tables()

    spec = yaml.safe_load(path.read_text())
    spec["backend"] = {"materialize": False}
    path.write_text(yaml.safe_dump(spec))
    lazy = cxkit.open_engagement(path)
    assert lazy._pseudonyms is None
    for name in ("contacts", "surveys", "cases"):
        key_column = {"contacts": "contact_id", "surveys": "survey_id", "cases": "case_id"}[name]
        a, b = (s.table(name, as_loaded=True).execute().sort_values(key_column).reset_index(drop=True)
                for s in (shared, lazy))
        pd.testing.assert_frame_equal(a, b)
    # the privacy scan looks for the ids holding a digit (an e-mail address is found by its shape)
    phones = {"+447700900001", "+447700900002", "+447700900077"}
    for session in (shared, lazy):
        found = session.customer_identifiers()
        assert len(found) == len(phones) and all(p in found for p in phones)
