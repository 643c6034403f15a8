"""Adapters and the loader: each shipped mapping on small fixtures and on the real bank records,
and the clear errors for unreadable inputs."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

import cxkit
from cxkit.adapters import adapter_spec, available_adapters
from cxkit.errors import CxkitError, SourceError

FIXTURES = Path(__file__).resolve().parent / "fixtures"
UTC = timezone.utc


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def bank():
    return cxkit.open_engagement(FIXTURES / "bank" / "engagement.yaml")


def test_shipped_adapters_are_listed():
    assert {"anonymous_bank", "amazon_connect_ctr", "cxkit_generator"} <= set(available_adapters())
    for name in available_adapters():
        assert adapter_spec(name)["description"]


# ---- the real bank records (33,344 rows, 278 PHANTOM) -------------------------------------------

def test_bank_rows_and_phantom_exclusion(bank):
    counts = bank.load_reports["contacts"].counts()
    assert counts["rows_read"] == 33_344
    assert counts["rows_excluded"] == {"PHANTOM rows are virtual calls, not customer contacts": 278}
    assert counts["exact_duplicates"] == 0
    assert bank.table("contacts").count().execute() == 33_344 - 278


def test_bank_local_time_becomes_utc_and_midnight_is_crossed(bank):
    c = bank.table("contacts")
    # call 31056 on IVR line AA0102 entered the IVR at 23:59:54 on 15 Feb 1999 (Israel, UTC+2 in winter), was
    # answered at 0:00:26 and ended at 0:01:33 the next day
    row = c.filter(c.contact_id == "AA0102-31056").execute().iloc[0]
    assert row.arrived_at == utc("1999-02-15 21:59:54")
    assert row.answered_at == utc("1999-02-15 22:00:26")
    assert row.ended_at == utc("1999-02-15 22:01:33")
    assert row.talk_s == 67 and row.outcome == "handled"


def test_bank_contact_key_is_unique(bank):
    # call_id alone repeats across IVR lines; line + call_id is unique
    c = bank.table("contacts")
    assert c.contact_id.nunique().execute() == c.count().execute() == 33_066


def test_bank_outcomes_queue_and_unidentified(bank):
    c = bank.table("contacts")
    df = c.group_by(["outcome", "queued"]).aggregate(n=c.count()).execute()
    counts = {(r.outcome, bool(r.queued)): int(r.n) for r in df.itertuples()}
    # 27,162 AGENT rows are handled; of 5,904 HANG rows, 1,941 never queued (IVR hang-ups)
    assert counts == {("handled", True): 27_162, ("abandoned", True): 3_963, ("abandoned", False): 1_941}
    identified = c.customer_id.notnull().sum().execute()
    assert 0.35 < identified / (33_344 - 278) < 0.45  # customer_id 0 = not identified
    # NO_SERVER is not an agent
    assert c.filter(c.agent_id == "NO_SERVER").count().execute() == 0


# ---- Amazon Connect CTRs: legs linked by InitialContactId ----------------------------------------

@pytest.fixture(scope="module")
def connect():
    return cxkit.open_engagement(FIXTURES / "amazon_connect" / "engagement.yaml")


def test_connect_transfer_legs_fold_into_one_contact(connect):
    df = connect.table("contacts").execute().set_index("contact_id")
    assert sorted(df.index) == ["a-1", "b-1", "c-1", "d-1"]
    a = df.loc["a-1"]
    # two legs: Billing/alice 09:00-09:06 then Cards/bob 09:06-09:12
    assert a.transfers == 1 and a.queue == "Billing" and a.agent_id == "bob" and a.team == "Team B"
    assert a.arrived_at == utc("2026-03-02 09:00:00") and a.ended_at == utc("2026-03-02 09:12:00")
    assert a.talk_s == 240 + 300 and a.hold_s == 20 and a.wait_s == 30 + 60
    # the re-delivered second leg carried ACW 60 s instead of 45 s: the newest version is kept
    assert a.acw_s == 30 + 60


def test_connect_outcomes_directions_and_hashed_phone(connect):
    df = connect.table("contacts").execute().set_index("contact_id")
    assert df.loc["b-1", "outcome"] == "abandoned" and bool(df.loc["b-1", "queued"])
    assert df.loc["c-1", "outcome"] == "abandoned" and not bool(df.loc["c-1", "queued"])  # IVR hang-up
    assert df.loc["d-1", "direction"] == "callback"
    # the caller's number is never stored: the customer key is its hash, same caller same key
    assert df.loc["a-1", "customer_id"] == df.loc["b-1", "customer_id"] != df.loc["c-1", "customer_id"]
    assert all("+44" not in str(v) for v in df.customer_id)
    assert connect.load_reports["contacts"].counts()["superseded_versions"] == 1


def test_connect_legs_table_keeps_queue_sequence(connect):
    legs = connect.table("legs")
    df = legs.filter(legs.contact_id == "a-1").order_by("leg_seq").execute()
    assert list(df.queue) == ["Billing", "Cards"] and list(df.leg_seq) == [1, 2]


# ---- a CSV export in local time across the DST change ---------------------------------------------

def _engagement(tmp_path: Path, csv_text: str, columns: dict, **source) -> Path:
    data = tmp_path / "export.csv"
    data.write_bytes(csv_text.encode(source.pop("encoding", "utf-8")))
    spec = {
        "name": "t", "client": "T", "period": {"start": "2026-03-01", "end": "2026-03-31"},
        "timezone": "Europe/London",
        "sources": {"contacts": {"path": "export.csv", "columns": columns, **source}},
    }
    path = tmp_path / "engagement.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


MINIMAL = {
    "contact_id": "id",
    "customer_id": {"column": "cust", "null_values": ["0"]},
    "channel": {"column": "ch", "values": {"PH": "voice", "WEB": "chat"}},
    "direction": {"constant": "inbound"},
    "arrived_at": {"column": "start", "format": "%d/%m/%Y %H:%M"},
    "ended_at": {"column": "end", "format": "%d/%m/%Y %H:%M"},
    "talk_s": {"column": "talk", "unit": "hms"},
    "outcome": {"constant": "handled"},
}


def test_local_times_across_dst_and_value_maps(tmp_path):
    csv = "id,cust,ch,start,end,talk\n1,007,PH,28/03/2026 12:00,28/03/2026 12:10,0:05:30\n2,0,WEB,29/03/2026 12:00,29/03/2026 12:10,1:00:00\n3,8,FAX,29/03/2026 13:00,29/03/2026 13:01,\n"
    s = cxkit.open_engagement(_engagement(tmp_path, csv, MINIMAL))
    df = s.table("contacts").order_by("contact_id").execute()
    # 28 March is GMT (UTC+0); 29 March is BST (UTC+1) after the 01:00 change
    assert list(df.arrived_at) == [utc("2026-03-28 12:00"), utc("2026-03-29 11:00"), utc("2026-03-29 12:00")]
    assert list(df.customer_id.fillna("-")) == ["007", "-", "8"]  # leading zeros kept; 0 is unknown
    assert list(df.channel) == ["voice", "chat", "FAX"]  # unknown codes stay visible for readiness
    assert list(df.talk_s.fillna(-1)) == [330.0, 3600.0, 0.0]  # empty duration reads as 0 after clipping


# ---- unreadable inputs: a table of (bad input, expected text) -----------------------------------

BAD_INPUTS = [
    ("wrong delimiter", "id;cust;ch;start;end;talk\n1;2;PH;01/03/2026 10:00;01/03/2026 10:05;0:01:00\n", {"read_options": {"delim": ","}},
     ["export.csv", "read as ONE column", "delimiter is probably wrong", "sources.contacts.read_options.delim"]),
    ("header renamed", "ident,cust,ch,start,end,talk\n1,2,PH,01/03/2026 10:00,01/03/2026 10:05,0:01:00\n", {},
     ["sources.contacts.columns.contact_id: raw column 'id' not found", "did you mean 'ident'"]),
    ("bad encoding", "id,cust,ch,start,end,talk\n1,Jos\xe9,PH,01/03/2026 10:00,01/03/2026 10:05,0:01:00\n", {"encoding": "latin-1"},
     ["export.csv", "UTF-8", "read_options.encoding"]),
]


@pytest.mark.parametrize("label,text,extra,expected", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_unreadable_inputs_name_file_and_key(tmp_path, label, text, extra, expected):
    path = _engagement(tmp_path, text, MINIMAL, **extra)
    with pytest.raises(CxkitError) as info:
        s = cxkit.open_engagement(path)
        s.table("contacts").count().execute()
    message = str(info.value)
    for part in expected:
        assert part in message, f"{label}: {part!r} not in:\n{message}"


def test_bad_sql_expression_names_the_key(tmp_path):
    columns = {**MINIMAL, "queue": {"sql": "upper(ch"}}
    path = _engagement(tmp_path, "id,cust,ch,start,end,talk\n1,2,PH,01/03/2026 10:00,01/03/2026 10:05,0:01:00\n", columns)
    # caught with the rest of the configuration, before any data is read
    with pytest.raises(CxkitError, match=r"sources.contacts.columns.queue.sql: not valid SQL"):
        cxkit.open_engagement(path)


def test_raw_inputs_are_never_modified(tmp_path):
    text = "id,cust,ch,start,end,talk\n1,2,PH,01/03/2026 10:00,01/03/2026 10:05,0:01:00\n"
    path = _engagement(tmp_path, text, MINIMAL)
    before = (tmp_path / "export.csv").read_bytes()
    s = cxkit.open_engagement(path)
    s.table("contacts").execute()
    assert (tmp_path / "export.csv").read_bytes() == before


def test_json_iso_times_keep_their_offset_across_dst(tmp_path):
    # JSON lines with UTC ("Z") and offset times after the UK clock change (29 March): the
    # engagement's timezone (London, UTC+1 then) must not be applied to them a second time
    # (one format per file, as exports are: a reader that sniffs formats would detect it)
    lines = ['{"id": "s1", "at": "2026-03-30T09:49:12Z"}', '{"id": "s2", "at": "2026-03-30T09:49:12Z"}']
    (tmp_path / "surveys.jsonl").write_text("\n".join(lines) + "\n")
    contacts = "id,cust,ch,start,end,talk\n1,2,PH,01/03/2026 10:00,01/03/2026 10:05,0:01:00\n"
    path = _engagement(tmp_path, contacts, MINIMAL)
    spec = yaml.safe_load(path.read_text())
    spec["sources"]["surveys"] = {"path": "surveys.jsonl", "columns": {"survey_id": "id", "responded_at": {"column": "at", "format": "iso"}}}
    path.write_text(yaml.safe_dump(spec))
    df = cxkit.open_engagement(path).table("surveys").order_by("survey_id").execute()
    assert list(df.responded_at) == [utc("2026-03-30 09:49:12")] * 2
