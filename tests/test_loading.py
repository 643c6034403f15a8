"""Adapters and the loader: each shipped mapping on small fixtures and on the real bank records,
and the clear errors for unreadable inputs."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
import yaml

import cxkit
from cxkit import loading
from cxkit.adapters import adapter_spec, available_adapters
from cxkit.errors import CxkitError, SourceError
from cxkit.pseudonyms import create_key, load_key, pseudonym

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


def test_a_blank_customer_id_is_no_customer_before_and_after_its_pseudonym(tmp_path):
    # three contacts an hour apart whose id is only blanks (spaces, a tab, a padded field): read
    # as one customer, each would be a repeat of the one before
    csv = ('id,cust,ch,start,end,talk\n1,"   ",PH,02/03/2026 09:00,02/03/2026 09:10,0:05:00\n'
           '2,"\t",PH,02/03/2026 10:00,02/03/2026 10:10,0:05:00\n3,"  ",PH,02/03/2026 11:00,02/03/2026 11:10,0:05:00\n'
           '4," K2 ",PH,02/03/2026 12:00,02/03/2026 12:10,0:05:00\n5,K2,PH,02/03/2026 13:00,02/03/2026 13:10,0:05:00\n')
    s = cxkit.open_engagement(_engagement(tmp_path, csv, MINIMAL))
    df = s.table("contacts").order_by("contact_id").execute()
    key = load_key(tmp_path)
    # an id with surrounding blanks is kept as the export has it (its own pseudonym)
    assert list(df.customer_id.fillna("-")) == ["-", "-", "-", pseudonym(" K2 ", key), pseudonym("K2", key)]
    from cxkit.resolution import repeat_flags

    flags = repeat_flags(s.table("contacts"), window_days=7).order_by("contact_id").execute()
    assert not flags.is_repeat.any()


def test_numbers_with_a_decimal_comma_are_read_when_the_export_says_so(tmp_path):
    # a German export (';', latin-1, "12,5"): read_options.decimal_separator was passed to the
    # reader, which reads every field as text, so every duration was unreadable and the report said
    # "the export has no talk (handling) times"
    columns = {**MINIMAL, "talk_s": "talk", "hold_s": "hold", "auth_attempts": "auth"}
    csv = ("id;cust;ch;start;end;talk;hold;auth\n1;K1;PH;02/03/2026 09:00;02/03/2026 09:10;12,5;0,0;2\n"
           "2;K2;PH;02/03/2026 10:00;02/03/2026 10:10;300;1,25;1\n")
    s = cxkit.open_engagement(_engagement(tmp_path, csv, columns, read_options={"delim": ";", "decimal_separator": ","}))
    df = s.table("contacts").order_by("contact_id").execute()
    assert df.talk_s.tolist() == [12.5, 300.0] and df.hold_s.tolist() == [0.0, 1.25]
    assert df.auth_attempts.tolist() == [2, 1]
    # without it, a decimal comma is unreadable (null, counted), never read as 125 or 12
    plain = cxkit.open_engagement(_engagement(tmp_path, csv, columns, read_options={"delim": ";"}))
    assert plain.table("contacts").order_by("contact_id").execute().talk_s.isna().tolist() == [True, False]


def test_an_email_address_is_one_customer_whatever_its_case(tmp_path):
    # 60 customers whose e-mail was typed in two cases were 120: FCR 57.2% (427/746) against
    # 54.2% (404/745) read case-insensitively, 30 repeats and their cost left out. Other ids keep
    # their case (an account code AB12 is not ab12)
    rows = [("1", "Anna.Smith5@EXAMPLE.co.uk"), ("2", "anna.smith5@example.co.uk"), ("3", "AB12"), ("4", "ab12")]
    csv = "id,cust,ch,start,end,talk\n" + "".join(
        f"{i},{c},PH,02/03/2026 {8 + int(i)}:00,02/03/2026 {8 + int(i)}:10,0:05:00\n" for i, c in rows)
    s = cxkit.open_engagement(_engagement(tmp_path, csv, MINIMAL))
    df = s.table("contacts").order_by("contact_id").execute()
    key = load_key(tmp_path)
    assert list(df.customer_id) == [pseudonym("anna.smith5@example.co.uk", key)] * 2 + [
        pseudonym("AB12", key), pseudonym("ab12", key)]


def test_a_caller_shown_as_anonymous_is_no_customer(tmp_path):
    # a US call log gives "Anonymous" (or "Restricted", "Private") for a withheld number: read as
    # one customer, 199 of 200 such calls were counted as repeats of each other (FCR 84.9%, truth
    # 89.8%), and the implausible-customer check (10 a day) did not see 6.5 a day
    # A platform writing callers as URIs (Genesys Cloud's ani) writes them as tel: or SIP URIs,
    # the anonymous one as RFC 3323 gives it; an e-mail address is never read as one
    rows = [("1", "Anonymous"), ("2", "ANONYMOUS "), ("3", "Restricted"), ("4", "Private Number"), ("5", "n/a"),
            ("6", "---"), ("7", "tel:anonymous"), ("8", "sip:anonymous@anonymous.invalid"), ("9", "Anne"),
            ("10", "+13125550123"), ("11", "tel:+13125550123"), ("12", "unknown@example.com")]
    csv = "id,cust,ch,start,end,talk\n" + "".join(
        f"{i},{c},PH,02/03/2026 {8 + int(i)}:00,02/03/2026 {8 + int(i)}:10,0:05:00\n" for i, c in rows)
    s = cxkit.open_engagement(_engagement(tmp_path, csv, MINIMAL))
    df = s.table("contacts").order_by("contact_id").execute()
    key = load_key(tmp_path)
    got = dict(zip(df.contact_id, df.customer_id.fillna("-"), strict=True))
    assert [got[str(i)] for i in range(1, 13)] == ["-"] * 8 + [pseudonym(v, key) for v in (
        "Anne", "+13125550123", "tel:+13125550123", "unknown@example.com")]


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


# ---- Amazon Connect CTRs: legs linked by InitialContactId -----------------------------------------
# tests/fixtures/amazon_connect/ctr.jsonl, written from the documented contact record data model:
#   a-1 (alice, Billing) -> a-2 (bob, Cards), a-2 delivered twice (ACW 45 s, then 60 s); a-1 holds
#   attributes GreetingPlayed and greetingPlayed; b-1 abandoned in queue; c-1 an IVR hang-up
#   delivered twice identically; d-1 a callback; e-1 transferred by carol to an external number;
#   m-1 a supervisor monitoring a-1.

@pytest.fixture(scope="module")
def connect():
    return cxkit.open_engagement(FIXTURES / "amazon_connect" / "engagement.yaml")


def test_connect_contacts_no_queue_took_are_contained_only_when_the_flow_ended_them(tmp_path):
    # c-1 reached no queue and the caller hung up (CUSTOMER_DISCONNECT): an IVR hang-up. Copies
    # of it ended by the flow are contained; a call the network dropped (TELECOM_PROBLEM) or one
    # ended for OTHER reasons was read as contained too, raising containment; a bot chat left
    # to expire is the customer leaving
    shutil.copy(FIXTURES / "amazon_connect" / "engagement.yaml", tmp_path / "engagement.yaml")
    lines = (FIXTURES / "amazon_connect" / "ctr.jsonl").read_text().splitlines()
    c1 = json.loads(next(line for line in lines if '"ContactId": "c-1"' in line))
    extra = [{**c1, "ContactId": f"c-{reason}", "DisconnectReason": reason, **({"Channel": "CHAT"} if chat else {})}
             for reason, chat in (("CONTACT_FLOW_DISCONNECT", False), ("TELECOM_PROBLEM", False), ("OTHER", False),
                                  ("EXPIRED", True), ("API", False))]
    (tmp_path / "ctr.jsonl").write_text("\n".join([*lines, *map(json.dumps, extra)]) + "\n")
    df = cxkit.open_engagement(tmp_path / "engagement.yaml").table("contacts").execute().set_index("contact_id")
    outcome = {k: None if pd.isna(v) else v for k, v in df["outcome"].items()}
    assert {k: outcome[k] for k in ("c-1", "c-CONTACT_FLOW_DISCONNECT", "c-TELECOM_PROBLEM", "c-OTHER", "c-EXPIRED",
                                    "c-API")} == {
        "c-1": "abandoned", "c-CONTACT_FLOW_DISCONNECT": "contained", "c-TELECOM_PROBLEM": None, "c-OTHER": None,
        "c-EXPIRED": "abandoned", "c-API": "contained"}


def test_connect_transfer_legs_fold_into_one_contact(connect):
    df = connect.table("contacts").execute().set_index("contact_id")
    assert sorted(df.index) == ["a-1", "b-1", "c-1", "d-1", "e-1"]  # m-1 is not a contact
    a = df.loc["a-1"]
    # two legs: Billing/alice 09:00-09:06 then Cards/bob 09:06-09:12
    assert a.transfers == 1 and a.queue == "Billing" and a.agent_id == "bob" and a.team == "Team B"
    assert a.arrived_at == utc("2026-03-02 09:00:00") and a.ended_at == utc("2026-03-02 09:12:00")
    assert a.talk_s == 240 + 300 and a.hold_s == 20 and a.wait_s == 30 + 60
    # the re-delivered second leg carried ACW 60 s instead of 45 s: the newest version is kept
    assert a.acw_s == 30 + 60


def test_connect_entry_point_names_the_line_without_its_number(connect):
    # SystemEndpoint.Address is the number the customer dialled (+441234000000): shown whole, the
    # report's privacy scan refused to publish any Connect run ("phone number in section 'Entry
    # and routing'"); the line is now named by its last four digits
    from cxkit.privacy import scan_text

    points = set(connect.table("contacts").entry_point.execute().dropna())
    assert points == {"number ending 0000"}
    assert not scan_text(" ".join(points))


def test_connect_transfer_to_an_external_number_is_a_transfer(connect):
    # e-1 has one leg (nothing follows in Connect) and TransferredToEndpoint set: one transfer
    df = connect.table("contacts").execute().set_index("contact_id")
    assert df.loc["e-1", "transfers"] == 1 and df.loc["e-1", "outcome"] == "handled"
    # a-1's transfer created leg a-2 (NextContactId): counted once, by the legs
    assert df.loc["a-1", "transfers"] == 1
    from cxkit import operations as O

    tr = O.transfer_rate(connect.table("contacts")).execute().iloc[0]
    assert (tr.numerator, tr.denominator) == (2, 3)  # a-1 and e-1 of the handled a-1, d-1, e-1


def test_connect_outcomes_directions_and_keyed_customer(connect):
    df = connect.table("contacts").execute().set_index("contact_id")
    assert df.loc["b-1", "outcome"] == "abandoned" and bool(df.loc["b-1", "queued"])
    assert df.loc["c-1", "outcome"] == "abandoned" and not bool(df.loc["c-1", "queued"])  # IVR hang-up
    assert df.loc["d-1", "direction"] == "callback"
    # the caller's number is never stored: the customer key is its keyed pseudonym, same caller same key
    assert df.loc["a-1", "customer_id"] == df.loc["b-1", "customer_id"] != df.loc["c-1", "customer_id"]
    assert all("+44" not in str(v) for v in df.customer_id)
    assert df.loc["a-1", "customer_id"] != hashlib.md5(b"+447700900001").hexdigest()


def test_connect_redeliveries_are_counted(connect):
    counts = connect.load_reports["contacts"].counts()
    # 9 records: m-1 excluded; c-1 twice identically; a-2 in two versions
    assert counts["rows_read"] == 9
    assert counts["rows_excluded"] == {"supervisor monitoring records are not customer contact legs": 1}
    assert counts["exact_duplicates"] == 1 and counts["superseded_versions"] == 1


def test_connect_legs_table_keeps_queue_sequence(connect):
    legs = connect.table("legs")
    df = legs.filter(legs.contact_id == "a-1").order_by("leg_seq").execute()
    assert list(df.queue) == ["Billing", "Cards"] and list(df.leg_seq) == [1, 2]


def test_connect_legs_keep_their_own_contact_id_for_linking(connect):
    # a CRM or survey tool stores the ContactId of the leg current when it met the contact: a-2,
    # the leg after a-1's transfer, is looked up as a-1; a first leg's ContactId is its contact's
    links = loading.leg_links(connect.table("legs", as_loaded=True)).execute()
    assert links.values.tolist() == [["a-2", "a-1"]]


def test_leg_links_leave_an_id_naming_a_contact_or_two_contacts_as_written():
    from cxkit.testing import canonical_memtable

    def leg(contact, leg_id, seq):
        return {"contact_id": contact, "leg_id": leg_id, "leg_seq": seq, "arrived_at": "2026-03-01 09:00"}

    # B's second leg is named "A", the id of contact A: the id names A. "x" is a leg of C and of
    # D: it names neither. A leg without an id of its own is looked up by nothing
    legs = canonical_memtable("legs", [leg("A", "A", 1), leg("B", "B", 1), leg("B", "A", 2), leg("C", "x", 2),
                                       leg("D", "x", 2), leg("E", None, 2), leg("F", "f2", 2)])
    assert loading.leg_links(legs).execute().values.tolist() == [["f2", "F"]]
    import ibis

    rows = ibis.memtable({"id": ["r1", "r2", "r3", "r4", "r5"], "contact_id": ["A", "x", "f2", "zz", None]})
    linked = loading.linked_through_legs(rows, loading.leg_links(legs)).order_by("id").execute()
    assert linked.contact_id.fillna("-").tolist() == ["A", "x", "F", "zz", "-"]
    assert linked.columns.tolist() == ["id", "contact_id"]


def test_connect_reads_a_json_array_with_attributes_differing_by_case(tmp_path):
    # the same records as one JSON array in a .json file: no format to set, and the free-form
    # attributes (GreetingPlayed and greetingPlayed in one record) break nothing
    records = [json.loads(line) for line in (FIXTURES / "amazon_connect" / "ctr.jsonl").read_text().splitlines()]
    (tmp_path / "ctr-2026-03.json").write_text(json.dumps(records, indent=1))
    spec = yaml.safe_load((FIXTURES / "amazon_connect" / "engagement.yaml").read_text())
    spec["sources"]["contacts"]["path"] = "ctr-*.json"
    # a CRM id stored by the flow in an attribute, read from the JSON text of Attributes
    spec["sources"]["contacts"]["columns"] = {"contact_reason": {"sql": "Attributes->>'intent'"}}
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(spec))
    s = cxkit.open_engagement(tmp_path / "engagement.yaml")
    assert s.load_reports["contacts"].format == "json"
    df = s.table("contacts").execute().set_index("contact_id")
    assert sorted(df.index) == ["a-1", "b-1", "c-1", "d-1", "e-1"]
    assert df.loc["a-1", "transfers"] == 1 and df.loc["a-1", "acw_s"] == 90
    assert pd.isna(df.loc["a-1", "contact_reason"])  # the final leg (a-2) has no intent attribute
    legs = s.table("legs").execute().set_index("contact_id")
    assert legs.loc["a-1"].sort_values("leg_seq").contact_reason.tolist()[0] == "billing"


def _connect_session(tmp_path: Path, records: list[dict]):
    """An engagement of the fixture's settings over ``records``, each a change to the fixture's
    first record (a-1: an inbound call queued in Billing 09:00:30, answered by alice 09:01)."""
    template = json.loads((FIXTURES / "amazon_connect" / "ctr.jsonl").read_text().splitlines()[0])
    lines = [json.dumps({**template, "NextContactId": None, **r}) for r in records]
    (tmp_path / "ctr.jsonl").write_text("\n".join(lines) + "\n")
    shutil.copy(FIXTURES / "amazon_connect" / "engagement.yaml", tmp_path / "engagement.yaml")
    return cxkit.open_engagement(tmp_path / "engagement.yaml")


def _connect_agent(connected_at: str, talk_s: int) -> dict:
    """The Agent of a Connect record: alice of Team A, connected at ``connected_at``, talking
    ``talk_s`` seconds, no hold, 30 s of wrap."""
    return {"ARN": "arn:agent:alice", "Username": "alice", "RoutingProfile": {"ARN": "arn:rp", "Name": "Team A"},
            "ConnectedToAgentTimestamp": connected_at, "AgentInteractionDuration": talk_s, "CustomerHoldDuration": 0,
            "AfterContactWorkDuration": 30}


def _flow_record(contact_id, channel, method, start, end, reason, queue=None, agent=None) -> dict:
    """A Connect record whose flow starts at its initiation ``start``: a task has no customer
    endpoint, an email an address, a call or chat a number."""
    if channel == "TASK":
        endpoint = None
    elif channel == "EMAIL":
        endpoint = {"Address": "someone@example.com", "Type": "EMAIL_ADDRESS"}
    else:
        endpoint = {"Address": f"+4477009{contact_id[-1]}0000", "Type": "TELEPHONE_NUMBER"}
    return {"ContactId": contact_id, "Channel": channel, "InitiationMethod": method, "InitiationTimestamp": start,
            "ConnectedToSystemTimestamp": start, "DisconnectTimestamp": end, "DisconnectReason": reason,
            "Queue": queue, "Agent": agent, "CustomerEndpoint": endpoint}


def _queued_call_the_flow_ended() -> dict:
    # q-1 queued in Billing 09:00:30; at 09:02 the customer chose a callback and the customer
    # queue flow ended the call (the documented queued-callback example: DisconnectReason
    # CONTACT_FLOW_DISCONNECT, no agent, NextContactId the callback)
    return {"ContactId": "q-1", "NextContactId": "k-1", "DisconnectTimestamp": "2026-03-02T09:02:00Z",
            "DisconnectReason": "CONTACT_FLOW_DISCONNECT", "Agent": None,
            "Queue": {"ARN": "arn:q:Billing", "Name": "Billing", "EnqueueTimestamp": "2026-03-02T09:00:30Z",
                      "DequeueTimestamp": "2026-03-02T09:02:00Z", "Duration": 90}}


def _callback() -> dict:
    # k-1, the callback the flow created at 09:02: queued at once (initial delay included),
    # dequeued 09:17 when carol took it, the customer answered (ConnectedToSystem) 09:17:10
    # and was connected to her 09:17:20
    return {"ContactId": "k-1", "InitialContactId": "q-1", "PreviousContactId": "q-1", "InitiationMethod": "CALLBACK",
            "InitiationTimestamp": "2026-03-02T09:02:00Z", "ConnectedToSystemTimestamp": "2026-03-02T09:17:10Z",
            "DisconnectTimestamp": "2026-03-02T09:25:00Z", "SystemEndpoint": None,
            "Queue": {"ARN": "arn:q:Billing", "Name": "Billing", "EnqueueTimestamp": "2026-03-02T09:02:00Z",
                      "DequeueTimestamp": "2026-03-02T09:17:00Z", "Duration": 900},
            "Agent": {"ARN": "arn:agent:carol", "Username": "carol",
                      "RoutingProfile": {"ARN": "arn:rp", "Name": "Team A"},
                      "ConnectedToAgentTimestamp": "2026-03-02T09:17:20Z", "AgentInteractionDuration": 460,
                      "CustomerHoldDuration": 0, "AfterContactWorkDuration": 20}}


def test_connect_a_queued_callback_is_a_contact_of_its_own_not_a_transfer_leg(tmp_path):
    # the callback carries the call's id as its InitialContactId: folded into q-1 it read as a
    # transfer of q-1 (transfer rate up), its 900 s in the callback queue as q-1's wait (ASA up)
    # and its ivr_s as 09:02 - 09:17:10 = -910 s (queued before the customer answered)
    from cxkit import operations as O

    s = _connect_session(tmp_path, [_queued_call_the_flow_ended(), _callback()])
    df = s.table("contacts", as_loaded=True).execute().set_index("contact_id")
    assert sorted(df.index) == ["k-1", "q-1"]
    k, q = df.loc["k-1"], df.loc["q-1"]
    assert (k.direction, k.outcome, k.transfers, k.wait_s, k.ivr_s) == ("callback", "handled", 0, 900, 0)
    assert (q.direction, q.transfers, q.wait_s, q.ivr_s) == ("inbound", 0, 90, 30)  # 09:00:00 to queue 09:00:30
    tr = O.transfer_rate(s.table("contacts")).execute().iloc[0]
    assert (tr.numerator, tr.denominator) == (0, 1)  # k-1 handled, not transferred
    assert O.asa(s.table("contacts"), by=None).execute().iloc[0].answered == 0  # a callback is not answered inbound


def test_connect_a_call_the_flow_ended_in_queue_is_deflected_not_abandoned(tmp_path):
    # AWS: an abandoned contact is one the customer disconnected while in queue. q-1 was ended
    # by the flow (the customer took a callback): deflected, still offered to the queue. b-1,
    # the same call left by the customer (CUSTOMER_DISCONNECT), is the abandon
    from cxkit import operations as O

    left = {**_queued_call_the_flow_ended(), "ContactId": "b-1", "NextContactId": None,
            "DisconnectReason": "CUSTOMER_DISCONNECT"}
    s = _connect_session(tmp_path, [_queued_call_the_flow_ended(), left])
    df = s.table("contacts").execute().set_index("contact_id")
    assert (df.loc["q-1", "outcome"], bool(df.loc["q-1", "queued"])) == ("deflected", True)
    assert df.loc["b-1", "outcome"] == "abandoned"
    ab = O.abandonment(s.table("contacts"), by=None).execute().iloc[0]
    assert (ab.numerator, ab.denominator, ab.ivr_hangups) == (1, 2, 0)  # b-1 of q-1 and b-1 offered


@pytest.mark.parametrize("next_id", [True, False])
def test_connect_a_transfer_inside_connect_counts_once_with_or_without_next_contact_id(tmp_path, next_id):
    # t-1 handed the customer to another queue (TransferCompletedTimestamp set, no endpoint
    # outside Connect), which created leg t-2. Records without NextContactId (older records, a
    # pipeline projecting it away) read t-1's timestamp as a transfer out of Connect as well:
    # 2 transfers for 1. x-1 transferred to an external number (TransferredToEndpoint): 1
    t1 = {"ContactId": "t-1", "NextContactId": "t-2" if next_id else None,
          "TransferCompletedTimestamp": "2026-03-02T09:06:00Z"}
    t2 = {"ContactId": "t-2", "InitialContactId": "t-1", "PreviousContactId": "t-1", "InitiationMethod": "TRANSFER",
          "InitiationTimestamp": "2026-03-02T09:06:00Z", "DisconnectTimestamp": "2026-03-02T09:12:00Z"}
    x1 = {"ContactId": "x-1", "TransferCompletedTimestamp": "2026-03-02T09:06:00Z",
          "TransferredToEndpoint": {"Address": "+441632960123", "Type": "TELEPHONE_NUMBER"}}
    df = _connect_session(tmp_path, [t1, t2, x1]).table("contacts").execute().set_index("contact_id")
    assert df.transfers.to_dict() == {"t-1": 1, "x-1": 1}


def test_connect_a_task_is_not_an_email(tmp_path):
    # a task is a work item, not a medium: read as email it joined the volume, handle time and
    # service level of Connect's real emails. It is messaging, a channel Connect does not have
    s = _connect_session(tmp_path, [{"ContactId": "w-1", "Channel": "TASK", "InitiationMethod": "API"},
                                    {"ContactId": "m-1", "Channel": "EMAIL", "InitiationMethod": "API"}])
    df = s.table("contacts").execute().set_index("contact_id")
    assert df.channel.to_dict() == {"w-1": "messaging", "m-1": "email"}


def test_connect_a_tasks_flow_time_is_not_ivr_time(tmp_path):
    # a task has no customer on a line or in a chat: its flow's time before the queue is routing,
    # not an IVR or a bot (METRICS.md: ivr_s is "IVR/bot before queue"), so no task is an IVR entry.
    # w-1, an API task, queued 40 s after it was created, then handled; w-2, a task the disconnect
    # flow re-queued (inbound), closed by its flow after 30 s; w-3, a task transferred in
    # (inbound), expired unqueued after 50 s. A chat's bot is one: c-1 was contained by it after
    # 45 s, the customer of c-2 left it after 60 s. Read as IVR, w-2 was contained and w-3 an IVR
    # hang-up: containment and the IVR hang-up rate both read 2 of 4 instead of 1 of 2, and 2
    # inbound contacts were abandoned before a queue where 1 customer was
    from cxkit.operations import containment, ivr_hangups

    queue = {"ARN": "arn:q:Back", "Name": "Back office", "EnqueueTimestamp": "2026-03-02T09:00:40Z",
             "DequeueTimestamp": "2026-03-02T09:01:00Z", "Duration": 20}
    agent = _connect_agent("2026-03-02T09:01:00Z", 240)
    s = _connect_session(tmp_path, [
        _flow_record("w-1", "TASK", "API", "2026-03-02T09:00:00Z", "2026-03-02T09:05:00Z",
                     "AGENT_DISCONNECT", queue, agent),
        _flow_record("w-2", "TASK", "DISCONNECT", "2026-03-02T10:00:00Z", "2026-03-02T10:00:30Z",
                     "CONTACT_FLOW_DISCONNECT"),
        _flow_record("w-3", "TASK", "TRANSFER", "2026-03-02T11:00:00Z", "2026-03-02T11:00:50Z", "EXPIRED"),
        _flow_record("c-1", "CHAT", "API", "2026-03-02T12:00:00Z", "2026-03-02T12:00:45Z", "CONTACT_FLOW_DISCONNECT"),
        _flow_record("c-2", "CHAT", "API", "2026-03-02T13:00:00Z", "2026-03-02T13:01:00Z", "CUSTOMER_DISCONNECT")])
    contacts = s.table("contacts")
    df = contacts.execute().set_index("contact_id")
    assert df.ivr_s.to_dict() == {"w-1": 0, "w-2": 0, "w-3": 0, "c-1": 45, "c-2": 60}
    # w-3 expired with no customer to leave it: no outcome, and no hang-up even among all of them
    assert {k: None if pd.isna(v) else v for k, v in df.outcome.items()} == {
        "w-1": "handled", "w-2": "contained", "w-3": None, "c-1": "contained", "c-2": "abandoned"}
    kept = containment(contacts).execute()
    assert (int(kept.numerator[0]), int(kept.denominator[0])) == (1, 2)
    hangups = ivr_hangups(contacts, by=None).execute()
    assert (int(hangups.numerator[0]), int(hangups.denominator[0]), int(hangups.hangups_all[0])) == (1, 2, 1)


def test_connect_an_emails_flow_time_is_not_ivr_time(tmp_path):
    # an inbound email's flow runs on the message while the customer is away (routing, an
    # auto-acknowledgement): no menu or bot anyone answered. e-1 waited 5 s in its flow, queued,
    # then handled; e-2 the flow closed after 3 s (spam, an auto-reply), no queue. A chat's bot is
    # an entry: c-1 contained by it after 45 s. Read as IVR, e-2 was a bot containment (2 of 3
    # where 1 of 1 is right) and the emails' 8 s of flow were customer effort
    from cxkit.operations import containment

    queue = {"ARN": "arn:q:Mail", "Name": "Mail", "EnqueueTimestamp": "2026-03-02T09:00:05Z",
             "DequeueTimestamp": "2026-03-02T10:00:00Z", "Duration": 3595}
    agent = _connect_agent("2026-03-02T10:00:00Z", 300)
    s = _connect_session(tmp_path, [
        _flow_record("e-1", "EMAIL", "INBOUND", "2026-03-02T09:00:00Z", "2026-03-02T10:05:30Z",
                     "AGENT_DISCONNECT", queue, agent),
        _flow_record("e-2", "EMAIL", "INBOUND", "2026-03-02T11:00:00Z", "2026-03-02T11:00:03Z",
                     "CONTACT_FLOW_DISCONNECT"),
        _flow_record("c-1", "CHAT", "API", "2026-03-02T12:00:00Z", "2026-03-02T12:00:45Z", "CONTACT_FLOW_DISCONNECT")])
    contacts = s.table("contacts")
    df = contacts.execute().set_index("contact_id")
    assert df.ivr_s.to_dict() == {"e-1": 0, "e-2": 0, "c-1": 45}
    assert df.channel.to_dict() == {"e-1": "email", "e-2": "email", "c-1": "chat"}
    assert df.outcome.to_dict() == {"e-1": "handled", "e-2": "contained", "c-1": "contained"}
    kept = containment(contacts).execute()
    assert (int(kept.numerator[0]), int(kept.denominator[0])) == (1, 1)


def test_connect_ivr_time_starts_when_the_customer_answers_an_outbound_or_api_call(tmp_path):
    # AWS: for OUTBOUND, CALLBACK and API, ConnectedToSystemTimestamp is when the customer
    # answers. o-1, dialled by alice 10:00:00, answered 10:00:15, ended 10:05:15, reached no
    # queue: read to the end, its whole answered call (300 s) was IVR time, and IVR + talk
    # overran the call, so readiness took it for a talk time holding hold and wrap. An API call
    # runs its flow from the answer: p-1 answered 10:00:20, queued 10:00:50 (30 s); r-1
    # answered 10:00:20, an agent 10:00:40 without a queue (20 s, not to the end). n-1, never
    # answered, dialled for 60 s: no answer time, not measured
    from cxkit.readiness.core import assess

    no_queue = {"ARN": "arn:q:Out", "Name": "Outbound", "EnqueueTimestamp": None, "DequeueTimestamp": None,
                "Duration": None}
    start = {"InitiationTimestamp": "2026-03-02T10:00:00Z", "DisconnectReason": "CUSTOMER_DISCONNECT"}
    o1 = {**start, "ContactId": "o-1", "InitiationMethod": "OUTBOUND",
          "ConnectedToSystemTimestamp": "2026-03-02T10:00:15Z", "DisconnectTimestamp": "2026-03-02T10:05:15Z",
          "Queue": no_queue, "Agent": _connect_agent("2026-03-02T10:00:01Z", 300)}
    p1 = {**start, "ContactId": "p-1", "InitiationMethod": "API", "ConnectedToSystemTimestamp": "2026-03-02T10:00:20Z",
          "DisconnectTimestamp": "2026-03-02T10:06:10Z", "Agent": _connect_agent("2026-03-02T10:01:10Z", 300),
          "Queue": {"ARN": "arn:q:Out", "Name": "Outbound", "EnqueueTimestamp": "2026-03-02T10:00:50Z",
                    "DequeueTimestamp": "2026-03-02T10:01:10Z", "Duration": 20}}
    r1 = {**p1, "ContactId": "r-1", "Queue": no_queue, "Agent": _connect_agent("2026-03-02T10:00:40Z", 300)}
    n1 = {**start, "ContactId": "n-1", "InitiationMethod": "API", "ConnectedToSystemTimestamp": None,
          "DisconnectTimestamp": "2026-03-02T10:01:00Z", "DisconnectReason": "TELECOM_PROBLEM", "Queue": None,
          "Agent": None}
    s = _connect_session(tmp_path, [o1, p1, r1, n1])
    df = s.table("contacts", as_loaded=True).execute().set_index("contact_id")
    ivr = {k: None if pd.isna(v) else v for k, v in df.ivr_s.items()}
    assert ivr == {"o-1": 0, "p-1": 30, "r-1": 20, "n-1": None}
    assert (df.loc["o-1", "talk_s"], df.loc["p-1", "wait_s"]) == (300, 20)
    check = {c.id: c for c in assess(s).results}["contacts.talk_s.excludes_hold_and_wrap"]
    assert (check.status, check.denominator) == ("pass", 3)


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
    create_key(tmp_path)
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
    # leading zeros kept ("007" is not "7"); 0 is unknown; identifiers are keyed pseudonyms
    key = load_key(tmp_path)
    assert list(df.customer_id.fillna("-")) == [pseudonym("007", key), "-", pseudonym("8", key)]
    assert pseudonym("007", key) != pseudonym("7", key)
    assert list(df.channel) == ["voice", "chat", "FAX"]  # unknown codes stay visible for readiness
    assert list(df.talk_s.fillna(-1)) == [330.0, 3600.0, -1]  # an empty duration stays null (not measured)


def test_local_times_in_the_hours_a_change_skips_or_repeats(tmp_path):
    # the loader reads local times by the pinned zone database's offsets around the period (not
    # ICU per value; for London the two agree): a time the spring change skips is read with the
    # offset before it (GMT), a time the autumn change repeats as its second occurrence (GMT),
    # and a time years from the period (through ICU itself) with its own summer time
    csv = ("id,cust,ch,start,end,talk\n1,1,PH,01/03/2026 10:00,01/03/2026 10:05,\n2,1,PH,29/03/2026 01:30,29/03/2026 02:30,\n"
           "3,1,PH,25/10/2026 01:30,25/10/2026 01:45,\n4,1,PH,15/06/2031 12:00,15/06/2031 12:05,\n")
    path = _engagement(tmp_path, csv, MINIMAL)
    s = cxkit.open_engagement(path)
    assert "make_timestamptz" in s.load_reports["contacts"].column_sql["arrived_at"]  # the offsets, not ICU alone
    df = s.table("contacts", as_loaded=True).order_by("contact_id").execute()
    assert list(df.arrived_at) == [utc("2026-03-01 10:00"), utc("2026-03-29 01:30"), utc("2026-10-25 01:30"),
                                   utc("2031-06-15 11:00")]
    # 02:30 exists (BST): 01:30 UTC, the same instant as the skipped 01:30 read in GMT
    assert list(df.ended_at) == [utc("2026-03-01 10:05"), utc("2026-03-29 01:30"), utc("2026-10-25 01:45"),
                                 utc("2031-06-15 11:05")]


def test_times_that_state_their_offset_are_those_instants_whatever_the_spelling(tmp_path):
    # 15:04:22 UTC written as databases and vendors write it: PostgreSQL's "+00", an hours-only
    # offset, BigQuery's " UTC", a space before the offset, and a strptime format with %z.
    # Read as London wall-clock times they would be right only by luck (London is UTC+0 in
    # early March; New York, below, is not); a zone abbreviation names several zones: unreadable
    csv = ("id,start,end\n"
           "a,2026-03-05 15:04:22+00,2026-03-05 10:05:00 -0500\n"
           "b,2026-03-05 10:04:22-05,2026-03-05 10:05:00 -05:00\n"
           "c,2026-03-05 15:04:22 UTC,2026-03-05 15:05:00 +0000\n"
           "d,2026-03-05 10:04:22 -0500,2026-03-05 11:05:00 +01\n"
           "e,2026-03-05 10:04:22 EST,\n"
           "f,2026-03-05 10:04:22,\n")
    columns = {"contact_id": "id", "channel": {"constant": "voice"}, "direction": {"constant": "inbound"},
               "outcome": {"constant": "handled"}, "arrived_at": {"column": "start", "format": "iso"},
               "ended_at": {"column": "end", "format": "%Y-%m-%d %H:%M:%S %z"}}
    path = _engagement(tmp_path, csv, columns)
    spec = yaml.safe_load(path.read_text())
    spec["timezone"] = "America/New_York"
    path.write_text(yaml.safe_dump(spec))
    df = cxkit.open_engagement(path).table("contacts", as_loaded=True).order_by("contact_id").execute()
    at = [None if pd.isna(v) else v for v in df.arrived_at]
    assert at == [utc("2026-03-05 15:04:22")] * 4 + [None, utc("2026-03-05 15:04:22")]  # f: New York wall clock
    end = [None if pd.isna(v) else v for v in df.ended_at]
    assert end == [utc("2026-03-05 15:05:00")] * 3 + [utc("2026-03-05 10:05:00"), None, None]


def test_sentinel_dates_outside_any_period_are_unreadable_and_counted(tmp_path):
    # .NET's DateTime.MinValue for a call never answered, and 9999-12-31 for an open end: the
    # first stopped validate and run ("date value out of range"), the second left a contact
    # out of FCR as censored with no check saying why. Both are unreadable (null) and counted,
    # as an epoch time outside 1900-2199 is; the same days in ISO text and with an offset too
    csv = ("id,cust,ch,start,end,talk\n"
           "1,1,PH,01/03/2026 10:00,31/12/9999 23:59,0:01:00\n"
           "2,2,PH,01/01/0001 00:00,01/03/2026 10:05,0:01:00\n"
           "3,3,PH,02/03/2026 10:00,02/03/2026 10:05,0:01:00\n")
    s = cxkit.open_engagement(_engagement(tmp_path, csv, MINIMAL))
    df = s.table("contacts", as_loaded=True).order_by("contact_id").execute()
    assert [pd.isna(v) for v in df.arrived_at] == [False, True, False]
    assert [pd.isna(v) for v in df.ended_at] == [True, False, False]
    failures = s.load_reports["contacts"].counts()["parse_failures"]
    assert failures["arrived_at"]["count"] == 1 and failures["ended_at"]["count"] == 1
    iso = {**MINIMAL, "arrived_at": {"column": "start", "format": "iso"},
           "ended_at": {"column": "end", "format": "iso"}}
    csv = ("id,cust,ch,start,end,talk\n1,1,PH,2026-03-01T10:00:00Z,9999-12-31T23:59:59+00:00,\n"
           "2,2,PH,0001-01-01 00:00:00,2026-03-01 10:05:00,\n")
    (tmp_path / "iso").mkdir()
    df = cxkit.open_engagement(_engagement(tmp_path / "iso", csv, iso)).table("contacts", as_loaded=True)
    df = df.order_by("contact_id").execute()
    assert [pd.isna(v) for v in df.arrived_at] == [False, True] and [pd.isna(v) for v in df.ended_at] == [True, False]


def test_a_header_line_repeated_inside_a_csv_is_left_out_and_counted(tmp_path):
    # two exports joined into one file: the second's header was read as a contact ("id" of
    # channel "ch"), 4,097 contacts for 4,096 and an unknown direction degrading FCR
    head = "id,cust,ch,start,end,talk\n"
    csv = (head + "1,7,PH,01/03/2026 10:00,01/03/2026 10:05,0:01:00\n" + head
           + "2,8,PH,02/03/2026 10:00,02/03/2026 10:05,0:01:00\n")
    s = cxkit.open_engagement(_engagement(tmp_path, csv, MINIMAL))
    assert sorted(s.table("contacts", as_loaded=True).execute().contact_id) == ["1", "2"]
    counts = s.load_reports["contacts"].counts()
    assert counts["rows_read"] == 3 and counts["rows_excluded"] == {loading.REPEATED_HEADER: 1}
    # an export without one says nothing of it
    clean = cxkit.open_engagement(_engagement(tmp_path, head + "1,7,PH,01/03/2026 10:00,01/03/2026 10:05,\n",
                                              MINIMAL))
    assert clean.load_reports["contacts"].counts()["rows_excluded"] == {}


def test_signed_and_day_prefixed_durations_and_thousands_under_a_decimal_comma(tmp_path):
    # hms: the sign is the whole duration's (-00:00:30 is -30 s, not +30), a .NET day prefix
    # counts its days (1.02:03:04 = 93,784 s). Under a decimal comma a dot groups thousands:
    # 1.234 is 1,234 s (not 1.234 s), 1.800,5 is 1,800.5 s; 12.5 was not written that way and
    # is unreadable (null), never 12.5 or 125
    csv = ("id;hold;talk\n"
           "a;-00:00:30;1.234\n"
           "b;1.02:03:04;1.800,5\n"
           "c;-01:30:00;12,5\n"
           "d;0:05:30;12.5\n")
    columns = {"contact_id": "id", "channel": {"constant": "voice"}, "direction": {"constant": "inbound"},
               "outcome": {"constant": "handled"}, "arrived_at": {"constant": "2026-03-05 10:00:00"},
               "ended_at": {"constant": "2026-03-05 10:10:00"},
               "hold_s": {"column": "hold", "unit": "hms"}, "talk_s": "talk"}
    path = _engagement(tmp_path, csv, columns, read_options={"delim": ";", "decimal_separator": ","})
    df = cxkit.open_engagement(path).table("contacts", as_loaded=True).order_by("contact_id").execute()
    assert df.hold_s.tolist() == [-30.0, 93784.0, -5400.0, 330.0]
    assert [None if pd.isna(v) else v for v in df.talk_s] == [1234.0, 1800.5, 12.5, None]


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


def test_an_optional_column_the_export_lacks_can_be_unmapped_a_required_one_cannot(tmp_path):
    # team and queue are optional: an export that does not record them is unmapped with null; the
    # contact id is required: null is no way out, so the message does not offer it
    text = "ident,cust,ch,start,end,talk\n1,2,PH,01/03/2026 10:00,01/03/2026 10:05,0:01:00\n"
    columns = {**MINIMAL, "team": "agent_group", "queue": {"sql": "upper(queue_name)"}}
    with pytest.raises(CxkitError) as info:
        cxkit.open_engagement(_engagement(tmp_path, text, columns)).table("contacts").count().execute()
    lines = {line.split(":")[0].strip(" -"): line for line in str(info.value).splitlines()}
    assert lines["sources.contacts.columns.team"].endswith(
        "raw column 'agent_group' not found; set it to one of the file's columns, or set it to null in the "
        "engagement (sources.contacts.columns.team: null) if the export does not record it: figures that need it "
        "then read \"not measured\"")
    assert "(sources.contacts.columns.queue: null)" in lines["sources.contacts.columns.queue.sql"]
    assert lines["sources.contacts.columns.contact_id"].endswith("raw column 'id' not found; did you mean 'ident'?")
    # the fix the message gives loads the export, the two columns unmapped
    columns.update(contact_id="ident", team=None, queue=None)
    df = cxkit.open_engagement(_engagement(tmp_path, text, columns)).table("contacts", as_loaded=True).execute()
    assert len(df) == 1 and df.team.isna().all() and df.queue.isna().all()


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


# ---- the mapping language: composite keys, derived times, JSON quirks ------------------------------

def test_a_source_without_an_id_takes_a_composite_key(tmp_path):
    # surveys keyed by conversation and question: no survey id in the export, none invented
    (tmp_path / "surveys.csv").write_text("conversation,question,score\n1,csat,5\n1,nps,9\n2,csat,\n")
    contacts = ("id,cust,ch,start,end,talk\n1,2,PH,01/03/2026 10:00,01/03/2026 10:05,0:01:00\n"
                "2,3,PH,01/03/2026 11:00,01/03/2026 11:05,0:01:00\n")
    path = _engagement(tmp_path, contacts, MINIMAL)
    spec = yaml.safe_load(path.read_text())
    spec["sources"]["surveys"] = {"path": "surveys.csv", "columns": {
        "survey_id": {"columns": ["conversation", "question"]}, "contact_id": "conversation", "csat": "score"}}
    path.write_text(yaml.safe_dump(spec))
    s = cxkit.open_engagement(path)
    df = s.table("surveys").order_by("survey_id").execute()
    assert list(df.survey_id) == ["1|csat", "1|nps", "2|csat"]
    assert s.load_reports["surveys"].mapped["survey_id"] == "conversation | question"
    # a composite of one column is a mistake the message explains
    spec["sources"]["surveys"]["columns"]["survey_id"] = {"columns": ["conversation"]}
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(CxkitError, match="two or more raw columns"):
        cxkit.open_engagement(path)


def test_derived_times_are_computed_on_instants_after_timezone_conversion(tmp_path):
    # London clocks go from 01:00 GMT to 02:00 BST on 29 March 2026. A call starts at 00:59:00
    # local (00:59 UTC) and waits 60 s in the IVR and 60 s in queue: it is answered at 01:01 UTC
    # (02:01 local). Adding the seconds to the local wall clock would give 01:01 local, an hour
    # that does not exist that night.
    csv = "id,start,end,ivr,queue\n1,29/03/2026 00:59:00,29/03/2026 02:10:00,60,60\n"
    columns = {**MINIMAL, "customer_id": {"constant": "k"}, "channel": {"constant": "voice"},
               "arrived_at": {"column": "start", "format": "%d/%m/%Y %H:%M:%S"},
               "ended_at": {"column": "end", "format": "%d/%m/%Y %H:%M:%S"},
               "talk_s": {"constant": 60}, "ivr_s": "ivr", "wait_s": "queue",
               "answered_at": {"derive": "arrived_at + to_seconds(ivr_s + wait_s)"}}
    s = cxkit.open_engagement(_engagement(tmp_path, csv, columns))
    row = s.table("contacts").execute().iloc[0]
    assert row.arrived_at == utc("2026-03-29 00:59:00")
    assert row.answered_at == utc("2026-03-29 01:01:00")
    assert row.ended_at == utc("2026-03-29 01:10:00")
    assert s.load_reports["contacts"].mapped["answered_at"].startswith("derived: ")


def test_epoch_seconds_and_milliseconds_are_utc_instants(tmp_path):
    # digital platforms export epoch times; 30 March is BST in London (UTC+1), which must not
    # move an instant. `unit: ms` on a timestamp was accepted and left every arrival null.
    start, end = utc("2026-03-30 09:49:12.345"), utc("2026-03-30 09:55:00")
    ms, s = int(start.timestamp() * 1000), int(end.timestamp())
    csv = (f"id,cust,ch,created_ms,closed_s,talk\n1,2,PH,{ms},{s},0:01:00\n2,2,PH,n/a,{s},0:01:00\n"
           f"3,2,PH,{ms * 1000},{s},0:01:00\n")
    columns = {**MINIMAL, "arrived_at": {"column": "created_ms", "unit": "ms"},
               "ended_at": {"column": "closed_s", "unit": "s"}}
    s = cxkit.open_engagement(_engagement(tmp_path, csv, columns))
    df = s.table("contacts", as_loaded=True).order_by("contact_id").execute()
    assert df.arrived_at[0] == start and df.ended_at[0] == end
    # text that is not a number, and microseconds read as milliseconds (year 58,000), are unreadable
    assert df.arrived_at[1:].isna().all()
    assert s.load_reports["contacts"].counts()["parse_failures"]["arrived_at"]["count"] == 2


@pytest.mark.parametrize(("mapping", "expected"), [
    ({"column": "created_ms", "unit": "hms"}, "sources.contacts.columns.arrived_at.unit: 'hms' is a unit of durations; "
     "a timestamp takes unit 's' (epoch seconds) or 'ms' (epoch milliseconds since 1970-01-01 UTC)"),
    ({"column": "created_ms", "unit": "ms", "format": "%Y-%m-%d"},
     "sources.contacts.columns.arrived_at.format: unit 'ms' reads epoch numbers, format '%Y-%m-%d' reads text"),
    ({"column": "created_ms", "unit": "ms", "timezone": "Europe/Paris"},
     "sources.contacts.columns.arrived_at.timezone: epoch times are instants (UTC)"),
    ({"derive": "ended_at", "unit": "s"}, "sources.contacts.columns.arrived_at.unit: derive gives the timestamp itself"),
])
def test_a_unit_on_a_timestamp_that_cannot_apply_is_refused(tmp_path, mapping, expected):
    path = _engagement(tmp_path, "id,cust,ch,created_ms,end,talk\n", {**MINIMAL, "arrived_at": mapping})
    with pytest.raises(CxkitError) as info:
        cxkit.open_engagement(path)
    assert expected in str(info.value)


def test_derive_reads_only_canonical_columns(tmp_path):
    csv = "id,cust,ch,start,end,talk\n1,2,PH,01/03/2026 10:00,01/03/2026 10:05,0:01:00\n"
    columns = {**MINIMAL, "answered_at": {"derive": "start + INTERVAL 1 MINUTE"}}
    with pytest.raises(SourceError, match=r"sources.contacts.columns.answered_at.derive: 'start' is not a canonical column"):
        cxkit.open_engagement(_engagement(tmp_path, csv, columns))


def test_a_customer_id_cannot_be_derived_past_its_pseudonym(tmp_path):
    # derive expressions are added after the keyed pseudonym: a derived customer_id reached the
    # canonical tables unkeyed (here the contact id, but any canonical text would do)
    csv = "id,cust,ch,start,end,talk\n1,2,PH,01/03/2026 10:00,01/03/2026 10:05,0:01:00\n"
    columns = {**MINIMAL, "customer_id": {"derive": "contact_id"}}
    with pytest.raises(SourceError, match=r"sources.contacts.columns.customer_id.derive: a customer identifier is not derived"):
        cxkit.open_engagement(_engagement(tmp_path, csv, columns))


def test_json_fields_null_everywhere_are_read_as_text(tmp_path):
    # DuckDB's reader types a field that is null in every record as JSON: COALESCE over it
    # failed (or kept the quotes, "c1"), so contact ids are read as text
    lines = [
        {"ContactId": "c1", "InitialContactId": None, "start": "2026-03-02T09:00:00Z", "n": 5},
        {"ContactId": "c2", "InitialContactId": None, "start": "2026-03-02T10:00:00Z", "n": "x"},
    ]
    (tmp_path / "ctr.json").write_text(json.dumps(lines))  # a JSON array, extension .json
    columns = {"contact_id": {"sql": "COALESCE(InitialContactId, ContactId)"}, "channel": {"constant": "voice"},
               "direction": {"constant": "inbound"}, "arrived_at": {"column": "start", "format": "iso"},
               "ended_at": {"column": "start", "format": "iso"}, "outcome": {"constant": "handled"},
               "entry_point": "n"}
    spec = {"name": "t", "client": "T", "period": {"start": "2026-03-01", "end": "2026-03-31"},
            "sources": {"contacts": {"path": "ctr.json", "columns": columns}}}
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(spec))
    df = cxkit.open_engagement(tmp_path / "engagement.yaml").table("contacts").order_by("contact_id").execute()
    assert list(df.contact_id) == ["c1", "c2"]
    assert list(df.entry_point) == ["5", "x"]


# ---- Genesys Cloud conversation details: nested participants, sessions, segments, metrics ---------
# tests/fixtures/genesys_cloud/conversations-{1,2}.json, two query response pages written from the
# documented conversation detail format (conversations > participants > sessions > segments and
# metrics, times in ms):
#   g-1 IVR 30 s, Billing 20 s, alice: talk 125 + 150 s, hold 30 s, ACW 45 s (survey sv-1, NPS 9)
#   g-2 IVR 10 s, Billing 15 s, alice talks 60 s and transfers, Cards 25 s, bob talks 425 s;
#       ACW 10 + 20 s (survey sv-2, NPS 3)
#   g-3 abandoned in Billing after 48 s; g-4 hangs up in the IVR after 25 s; g-5 (g-1's caller)
#   contained by the IVR after 90 s; g-6 a chat (customer known by externalContactId), 30 s in
#   queue, carol 600 s + ACW 60 s; g-7 conversationStart "2026-03-9T15:00:00.000Z" (no zero
#   padding), IVR 8 s, queue 10 s, alice 180 s + ACW 20 s; g-8 still in queue when exported (no
#   conversationEnd); g-9 starts "2026-03-32..." (not a date); page 2 repeats g-1.

@pytest.fixture(scope="module")
def genesys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("genesys")
    for p in (FIXTURES / "genesys_cloud").iterdir():
        (folder / p.name).write_bytes(p.read_bytes())
    create_key(folder)
    return cxkit.open_engagement(folder / "engagement.yaml")


def test_genesys_conversations_fold_into_contacts(genesys):
    df = genesys.table("contacts").execute().set_index("contact_id")
    assert sorted(df.index) == ["g-1", "g-2", "g-3", "g-4", "g-5", "g-6", "g-7", "g-8"]  # g-9 has no start
    g1 = df.loc["g-1"]
    assert (g1.outcome, g1.queue, g1.agent_id, g1.contact_reason, g1.entry_point) == (
        "handled", "Billing", "u-alice", "wc-billing", "Main IVR")
    assert (g1.ivr_s, g1.wait_s, g1.talk_s, g1.hold_s, g1.acw_s, g1.transfers) == (30, 20, 275, 30, 45, 0)
    assert g1.arrived_at == utc("2026-03-02 09:00:00") and g1.answered_at == utc("2026-03-02 09:00:55")
    g2 = df.loc["g-2"]
    # first queue Billing, last answering agent bob, alice's transfer counted, waits summed
    assert (g2.queue, g2.agent_id, g2.transfers, g2.wait_s, g2.talk_s, g2.acw_s) == ("Billing", "u-bob", 1, 40, 485, 30)
    assert g2.answered_at == utc("2026-03-03 10:00:28") and g2.contact_reason == "wc-cards"
    assert (df.loc["g-3", "outcome"], bool(df.loc["g-3", "queued"]), df.loc["g-3", "wait_s"]) == ("abandoned", True, 48)
    assert (df.loc["g-4", "outcome"], bool(df.loc["g-4", "queued"])) == ("abandoned", False)  # IVR hang-up
    assert df.loc["g-5", "outcome"] == "contained" and df.loc["g-5", "ivr_s"] == 90
    assert (df.loc["g-6", "channel"], df.loc["g-6", "queue"], df.loc["g-6", "ivr_s"]) == ("chat", "Chat support", 0)


def test_genesys_customers_are_keyed_and_consistent(genesys):
    df = genesys.table("contacts").execute().set_index("contact_id")
    key = load_key(genesys.engagement.base_dir)
    assert df.loc["g-1", "customer_id"] == df.loc["g-5", "customer_id"] == pseudonym("tel:+447700900101", key)
    assert df.loc["g-6", "customer_id"] == pseudonym("ext-0077", key)  # the external contact, not a number
    assert df.customer_id.nunique() == 7


def test_genesys_malformed_times_and_open_conversations_are_counted_not_fatal(genesys):
    df = genesys.table("contacts").execute().set_index("contact_id")
    assert df.loc["g-7", "arrived_at"] == utc("2026-03-09 15:00:00")  # read despite the missing zero
    assert pd.isna(df.loc["g-8", "ended_at"]) and pd.isna(df.loc["g-8", "outcome"])  # still running
    from cxkit.readiness import assess

    checks = {c.id: c for c in assess(genesys).results}
    # 9 conversations loaded: g-9's start is not a date, g-8 has no end and no outcome yet
    for check in ("contacts.arrived_at.not_null", "contacts.ended_at.not_null", "contacts.outcome.not_null"):
        assert checks[check].result["unexpected_count"] == 1 and checks[check].denominator == 9, check
    counts = genesys.load_reports["contacts"].counts()
    # 10 conversations in the two pages: g-1 twice, identical
    assert (counts["rows_read"], counts["exact_duplicates"]) == (10, 1)


def test_genesys_figures(genesys):
    from cxkit import operations as O

    c = genesys.table("contacts")
    # AHT over handled g-1, g-2, g-6, g-7: (350 + 515 + 660 + 200) / 4
    assert O.aht(c, by=None).execute().iloc[0]["aht_mean_s"] == 431.25
    tr = O.transfer_rate(c).execute().iloc[0]
    assert (tr.numerator, tr.denominator) == (1, 4)
    # IVR entries: g-1, 2, 3, 4, 5, 7, 8; hang-up g-4, contained g-5
    ivr = O.ivr_hangups(c, by=None).execute().iloc[0]
    cont = O.containment(c).execute().iloc[0]
    assert (ivr.numerator, ivr.denominator, cont.numerator, cont.denominator) == (1, 7, 1, 7)
    # offered to a queue: g-1, 2, 3, 6, 7, 8; abandoned after 5 s: g-3
    ab = O.abandonment(c, by=None).execute().iloc[0]
    assert (ab.numerator, ab.denominator) == (1, 6)


def test_genesys_surveys_hang_off_their_conversation(genesys):
    df = genesys.table("surveys").execute().set_index("survey_id")
    assert sorted(df.index) == ["sv-1", "sv-2"]  # sv-1 once, although g-1 came twice
    assert (df.loc["sv-1", "contact_id"], df.loc["sv-1", "nps"], df.loc["sv-2", "nps"]) == ("g-1", 9, 3)
    assert df.loc["sv-2", "responded_at"] == utc("2026-03-03 11:00:00")


def test_a_composite_key_may_join_struct_fields(tmp_path):
    # a survey keyed by its conversation and form (as if the export had no surveyId)
    for p in (FIXTURES / "genesys_cloud").iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    spec = yaml.safe_load((tmp_path / "engagement.yaml").read_text())
    spec["sources"]["surveys"]["columns"] = {"survey_id": {"columns": ["conversationId", "sv.surveyFormId"]}}
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(spec))
    df = cxkit.open_engagement(tmp_path / "engagement.yaml").table("surveys").execute()
    assert sorted(df.survey_id) == ["g-1|form-nps", "g-2|form-nps"]


def test_nested_mapping_mistakes_name_the_key(tmp_path):
    for p in (FIXTURES / "genesys_cloud").iterdir():
        (tmp_path / p.name).write_bytes(p.read_bytes())
    spec = yaml.safe_load((tmp_path / "engagement.yaml").read_text())
    spec["sources"]["contacts"]["unnest"] = [{"path": "participantz", "as": "p"}, {"path": "p.sessions", "as": "s"}]
    spec["sources"].pop("surveys")
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(SourceError, match=r"sources.contacts.unnest\[0\].path: raw column 'participantz' not found; "
                                          r"did you mean 'participants'\?"):
        cxkit.open_engagement(tmp_path / "engagement.yaml")
    spec["sources"]["contacts"]["unnest"][0]["path"] = "participants"
    spec["sources"]["contacts"]["records"] = "conversation"
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(SourceError, match=r"sources.contacts.records: no list column 'conversation' in the file; "
                                          r"did you mean 'conversations'\?"):
        cxkit.open_engagement(tmp_path / "engagement.yaml")


@pytest.mark.parametrize("row_hash", ["by key", "engine", "every row collides", "none"])
def test_exact_duplicates_stay_exact_whatever_the_row_hash(connect, monkeypatch, row_hash):
    # with a de-duplication key, only rows sharing a key are compared in full; without one, the
    # hash only picks the rows compared in full: a hash shared by different rows (here, by
    # every row) must not turn them into duplicates, and an engine without a hash uses DISTINCT
    import dataclasses

    from cxkit import connection, loading

    real = connection.dialect_for(connect.con)
    report = connect.load_reports["contacts"]
    if row_hash != "by key":
        if row_hash != "engine":
            fake = dataclasses.replace(real, row_hash=None if row_hash == "none" else (lambda cols: "42"))
            monkeypatch.setattr(loading, "dialect_for", lambda con: fake)
        report = dataclasses.replace(report, source=report.source.model_copy(update={"dedup": None}))
    # 8 records kept by the exclusion rule; c-1 delivered twice identically; a-2 in two versions
    assert report.exact_duplicates() == 1


def test_exact_duplicates_by_key_compare_rows_sharing_a_key_null_keys_included():
    # two equal rows share their key, so only rows of a repeated key are compared; a null key
    # is one key (two equal rows without an id are duplicates), and rows differing in any
    # column are versions, not duplicates
    from cxkit.config import DedupConfig, SourceConfig
    from cxkit.connection import connect as engine
    from cxkit.loading import LoadReport

    rows = engine().create_table("export", pd.DataFrame({"id": ["a", "a", "b", None, None, None, "c", "c"],
                                                        "v": [1, 1, 2, 3, 3, 4, 5, 6], "at": [1, 1, 1, 1, 1, 1, 1, 2]}))
    report = LoadReport("cases", "test", "parquet", "row", ["id", "v", "at"], {}, [],
                        SourceConfig(dedup=DedupConfig(key=["id"], newest_by="at")), rows, rows)
    assert report._key_counts() == (4, 3)  # a, b, c and null; a, c and null repeat
    assert report.exact_duplicates() == 2  # the second a, and the second null with v 3
    assert report.exact_duplicates((4, 0)) == 0  # no repeated key: nothing is compared


def test_one_grouping_of_the_legs_gives_both_folds():
    # the session groups the legs once: as loaded (readiness sees the raw sums) and with a
    # negative leg read as zero before the sum (the feed); both equal the two separate folds
    from cxkit.loading import clip_negative_durations, fold_legs, fold_legs_twice, folded
    from cxkit.testing import canonical_memtable

    leg = dict(customer_id="k", channel="voice", direction="inbound", outcome="handled")
    legs = canonical_memtable("legs", [
        {**leg, "contact_id": "a", "leg_seq": 1, "arrived_at": "2026-03-02 09:00", "ended_at": "2026-03-02 09:05",
         "talk_s": 100.0, "hold_s": -30.0, "acw_s": None, "wait_s": -5.0},
        {**leg, "contact_id": "a", "leg_seq": 2, "arrived_at": "2026-03-02 09:05", "ended_at": "2026-03-02 09:09",
         "talk_s": 50.0, "hold_s": 60.0, "acw_s": 10.0, "wait_s": None},
        {**leg, "contact_id": "b", "leg_seq": 1, "arrived_at": "2026-03-03 10:00", "ended_at": "2026-03-03 10:02",
         "talk_s": -20.0, "hold_s": None, "acw_s": None, "wait_s": 3.0},
    ])
    both = fold_legs_twice(legs)

    def rows(t):
        return t.order_by("contact_id").execute()

    pd.testing.assert_frame_equal(rows(folded(both, clipped=False)), rows(fold_legs(legs)))
    pd.testing.assert_frame_equal(rows(folded(both, clipped=True)), rows(fold_legs(clip_negative_durations(legs))))
    clipped = rows(folded(both, clipped=True)).set_index("contact_id")
    assert clipped.loc["a", "hold_s"] == 60.0 and clipped.loc["a", "wait_s"] == 0.0
    assert clipped.loc["b", "talk_s"] == 0.0 and pd.isna(clipped.loc["b", "hold_s"])


def test_a_contact_is_the_customer_of_its_first_leg_that_names_one():
    # two callers whose agents consulted the same partner line: the consult leg names the partner
    # (+18885559999), whose number is the larger; the callers are two customers, not the partner
    # twice (each then a repeat of the other). A first leg without an id takes the next leg's
    from cxkit.loading import fold_legs
    from cxkit.testing import canonical_memtable

    leg = dict(channel="voice", direction="inbound", outcome="handled")
    legs = canonical_memtable("legs", [
        {**leg, "contact_id": "a", "leg_seq": 1, "customer_id": "+16465557001", "arrived_at": "2026-03-02 09:00"},
        {**leg, "contact_id": "a", "leg_seq": 2, "customer_id": "+18885559999", "arrived_at": "2026-03-02 09:04"},
        {**leg, "contact_id": "b", "leg_seq": 2, "customer_id": "+18885559999", "arrived_at": "2026-03-02 10:04"},
        {**leg, "contact_id": "b", "leg_seq": 1, "customer_id": "+16465557002", "arrived_at": "2026-03-02 10:00"},
        {**leg, "contact_id": "c", "leg_seq": 1, "customer_id": None, "arrived_at": "2026-03-02 11:00"},
        {**leg, "contact_id": "c", "leg_seq": 2, "customer_id": "K3", "arrived_at": "2026-03-02 11:05"},
    ])
    folded = fold_legs(legs).order_by("contact_id").execute()
    assert folded["customer_id"].tolist() == ["+16465557001", "+16465557002", "K3"]


def test_a_contact_whose_last_leg_has_no_end_has_no_end():
    # the end of a contact is its last leg's end (METRICS.md). "open": transferred at 09:05 to an
    # agent still talking, its second leg has no end; the latest end of its legs (09:05) made it
    # look ended at the transfer. "tie": of its two legs starting last, at 09:05, one has no end.
    # "hole": a first leg without an end, then a leg that ended: it ended with that leg.
    # "overlap": a consult leg inside the first leg, every leg ended: the latest end, 09:30
    from cxkit.loading import fold_legs, fold_legs_twice, folded
    from cxkit.testing import canonical_memtable

    leg = dict(customer_id="k", channel="voice", direction="inbound", outcome="handled")
    legs = canonical_memtable("legs", [
        {**leg, "contact_id": "open", "leg_seq": 1, "arrived_at": "2026-03-02 09:00", "ended_at": "2026-03-02 09:05"},
        {**leg, "contact_id": "open", "leg_seq": 2, "arrived_at": "2026-03-02 09:05", "ended_at": None},
        {**leg, "contact_id": "tie", "leg_seq": 1, "arrived_at": "2026-03-02 09:00", "ended_at": "2026-03-02 09:05"},
        {**leg, "contact_id": "tie", "leg_seq": 2, "arrived_at": "2026-03-02 09:05", "ended_at": "2026-03-02 09:20"},
        {**leg, "contact_id": "tie", "leg_seq": 3, "arrived_at": "2026-03-02 09:05", "ended_at": None},
        {**leg, "contact_id": "hole", "leg_seq": 1, "arrived_at": "2026-03-02 09:00", "ended_at": None},
        {**leg, "contact_id": "hole", "leg_seq": 2, "arrived_at": "2026-03-02 09:05", "ended_at": "2026-03-02 09:12"},
        {**leg, "contact_id": "overlap", "leg_seq": 1, "arrived_at": "2026-03-02 09:00",
         "ended_at": "2026-03-02 09:30"},
        {**leg, "contact_id": "overlap", "leg_seq": 2, "arrived_at": "2026-03-02 09:10",
         "ended_at": "2026-03-02 09:20"},
        {**leg, "contact_id": "one", "leg_seq": 1, "arrived_at": "2026-03-02 10:00", "ended_at": None},
    ])
    expected = {"hole": utc("2026-03-02 09:12"), "one": None, "open": None, "overlap": utc("2026-03-02 09:30"),
                "tie": None}
    for contacts in (fold_legs(legs), folded(fold_legs_twice(legs), clipped=True)):
        df = contacts.order_by("contact_id").execute()
        got = dict(zip(df.contact_id, df.ended_at.astype(object).where(df.ended_at.notna(), None), strict=True))
        assert got == expected


def test_contacts_of_one_leg_are_not_grouped_and_fold_to_the_same_rows():
    # fold_legs_twice groups only the contacts with several legs and passes a one-leg contact
    # (and each leg without a contact id: a contact of its own) through: every column must
    # equal what the grouping gives for it, nulls, a negative duration and a transfer out
    # included
    import ibis

    from cxkit.loading import _fold_aggregates, fold_legs_twice
    from cxkit.testing import canonical_memtable

    leg = dict(customer_id="k", channel="voice", direction="inbound", queue="Q")
    legs = canonical_memtable("legs", [
        {**leg, "contact_id": "one", "leg_seq": 1, "arrived_at": "2026-03-02 09:00", "ended_at": "2026-03-02 09:05",
         "talk_s": -20.0, "hold_s": None, "outcome": "abandoned", "queued": None, "auth_attempts": None,
         "transfers_out": 1, "agent_id": None},
        {**leg, "contact_id": "bare", "leg_seq": None, "arrived_at": "2026-03-02 10:00", "ended_at": None,
         "outcome": None, "customer_id": None, "channel": None, "transfers_out": None, "auth_attempts": 2},
        {**leg, "contact_id": "two", "leg_seq": 1, "arrived_at": "2026-03-03 10:00", "ended_at": "2026-03-03 10:02",
         "talk_s": 30.0, "outcome": "handled", "agent_id": "a1"},
        {**leg, "contact_id": "two", "leg_seq": 2, "arrived_at": "2026-03-03 10:02", "ended_at": "2026-03-03 10:09",
         "talk_s": -5.0, "outcome": "abandoned", "agent_id": "a2", "queue": "R"},
        {**leg, "contact_id": None, "leg_seq": 1, "arrived_at": "2026-03-04 10:00", "talk_s": 7.0},
        {**leg, "contact_id": None, "leg_seq": 2, "arrived_at": "2026-03-04 11:00", "talk_s": 8.0},
    ])
    # the grouping by contact id, each id-less leg its own group (the two have leg_seq 1 and 2)
    with_id, without = legs.filter(legs.contact_id.notnull()), legs.filter(legs.contact_id.isnull())
    grouping = with_id.group_by("contact_id").aggregate(**_fold_aggregates(with_id, clipped_too=True)).union(
        without.group_by(["contact_id", "leg_seq"]).aggregate(**_fold_aggregates(without, clipped_too=True))
        .drop("leg_seq"))

    def rows(t):
        return t.order_by([t.contact_id.fill_null(""), t.arrived_at]).execute().reset_index(drop=True)

    got, expected = rows(fold_legs_twice(legs)), rows(grouping)
    pd.testing.assert_frame_equal(got, expected[got.columns])
    assert len(got) == 5  # one, bare, two, and each id-less leg: a contact of its own
    loose = got[got.contact_id.isna()]
    assert loose.talk_s.tolist() == [7.0, 8.0] and loose.transfers.tolist() == [0, 0]
    one = got.set_index(got.contact_id.fillna("(none)")).loc["one"]
    assert one.transfers == 1 and one.talk_s == -20.0 and one.cx_clipped_talk_s == 0.0 and pd.isna(one.hold_s)

    # staged (as a session does), the keys of the contacts of several legs are computed once:
    # the same rows, and the fold's query groups the legs once instead of twice
    con = ibis.duckdb.connect()
    staged = []

    def stage(keys):
        staged.append(keys.columns)
        return con.create_table("several", con.execute(keys))

    legs_in = con.create_table("legs", legs.execute(), schema=legs.schema())
    plain, once = fold_legs_twice(legs_in), fold_legs_twice(legs_in, stage=stage)
    assert staged == [("_cx_key0",)]
    pd.testing.assert_frame_equal(rows(once), rows(plain))
    assert str(ibis.to_sql(plain)).count("GROUP BY") == 3 and str(ibis.to_sql(once)).count("GROUP BY") == 1


def test_numbers_the_export_types_read_as_the_same_values_as_their_text(tmp_path):
    # a Parquet export types its numbers: they are cast directly (no text round trip) and give
    # the values the same numbers written as text give; a null stays null, never 0
    rows = {"id": ["1", "2", "3"], "start": ["02/03/2026 10:00"] * 3, "end": ["02/03/2026 10:05"] * 3,
            "talk": [120, None, 7], "hold_ms": [1500.0, 250.0, None], "auth": [2.6, None, 1.0]}
    columns = {"contact_id": "id", "direction": {"constant": "inbound"}, "channel": {"constant": "voice"},
               "outcome": {"constant": "handled"},
               "arrived_at": {"column": "start", "format": "%d/%m/%Y %H:%M"},
               "ended_at": {"column": "end", "format": "%d/%m/%Y %H:%M"},
               "talk_s": "talk", "hold_s": {"column": "hold_ms", "unit": "ms"}, "auth_attempts": "auth"}
    got = {}
    for kind in ("parquet", "csv"):
        folder = tmp_path / kind
        folder.mkdir()
        frame = pd.DataFrame(rows).astype({"talk": "Int64"})
        path = folder / f"export.{kind}"
        frame.to_parquet(path) if kind == "parquet" else frame.to_csv(path, index=False)
        spec = {"name": "t", "client": "T", "period": {"start": "2026-03-01", "end": "2026-03-31"},
                "timezone": "Europe/London", "sources": {"contacts": {"path": path.name, "columns": columns}}}
        (folder / "engagement.yaml").write_text(yaml.safe_dump(spec))
        s = cxkit.open_engagement(folder / "engagement.yaml")
        got[kind] = s.table("contacts", as_loaded=True).order_by("contact_id").execute()
        assert not s.load_reports["contacts"].counts()["parse_failures"]
    p, c = got["parquet"], got["csv"]
    assert p.talk_s.tolist()[0] == 120.0 and pd.isna(p.talk_s[1]) and p.hold_s.tolist()[:2] == [1.5, 0.25]
    assert p.auth_attempts.tolist()[0] == 3 and pd.isna(p.auth_attempts[1])  # 2.6 rounds as its text did
    pd.testing.assert_frame_equal(p[["talk_s", "hold_s", "auth_attempts"]], c[["talk_s", "hold_s", "auth_attempts"]])


@pytest.mark.parametrize("null_values", [[], ["n/a", "NULL"]])
def test_a_value_is_there_exactly_when_its_text_is(null_values):
    # parse failures count "a value is there" with LTRIM (cheaper than the TRIM of the text the
    # samples show): both must agree on blanks, spaces, tabs and the mapping's null values
    import duckdb

    from cxkit.config import ColumnMapping
    from cxkit.loading import _source_present_sql, _source_text_sql

    mapping = ColumnMapping(column="x", null_values=null_values)
    values = [None, "", " ", "  ", " a", "a ", "\t", "a", "n/a", " n/a", "NULL"]
    con = duckdb.connect()
    con.execute("CREATE TABLE w (i INTEGER, x VARCHAR)")
    con.executemany("INSERT INTO w VALUES (?, ?)", list(enumerate(values)))
    rows = con.sql(f"SELECT ({_source_text_sql(mapping)}) IS NOT NULL, {_source_present_sql(mapping)} FROM w ORDER BY i").fetchall()
    assert [a for a, _ in rows] == [b for _, b in rows]
    present = [v for v, (_, b) in zip(values, rows, strict=True) if b]
    assert present == ([" a", "a ", "\t", "a", "n/a", " n/a", "NULL"] if not null_values else [" a", "a ", "\t", "a", " n/a"])


def test_legs_without_a_call_id_are_kept_and_counted_not_read_as_versions(tmp_path):
    # 40 legs of a generated export whose call id was one space (or empty) were read as versions
    # of one leg: 38 dropped as "older versions superseded" (an info line), the other 2 folded
    # into one contact, and no check said that a leg had no id. A value of blanks only is now
    # absent, and a row whose de-duplication key is missing is no version of another row
    columns = {**MINIMAL, "leg_seq": "seg", "agent_id": "ag"}
    csv = ("id,seg,exported,cust,ch,ag,start,end,talk\n"
           "a,1,1,K1,PH,Q1,02/03/2026 09:00,02/03/2026 09:05,0:01:00\n"
           "a,1,2,K1,PH,Q1,02/03/2026 09:00,02/03/2026 09:06,0:02:00\n"   # a newer version of a/1
           "a,2,1,K1,PH,Q2,02/03/2026 09:06,02/03/2026 09:10,0:03:00\n"
           '" ",1,1,K2,PH,Q1,02/03/2026 10:00,02/03/2026 10:05,0:01:00\n'
           ',1,1,K3,PH,Q1,02/03/2026 11:00,02/03/2026 11:05,0:01:00\n'
           '"\t",1,2,K4,PH,"  ",02/03/2026 12:00,02/03/2026 12:05,0:01:00\n'
           "b,1,1,K5,PH,Q1,02/03/2026 13:00,02/03/2026 13:05,0:01:00\n")
    s = cxkit.open_engagement(_engagement(tmp_path, csv, columns, grain="leg",
                                          dedup={"key": ["id", "seg"], "newest_by": "exported"}))
    counts = s.load_reports["contacts"].counts()
    assert counts["rows_read"] == 7 and counts["superseded_versions"] == 1 and counts["exact_duplicates"] == 0
    legs = s.table("legs").execute()
    assert len(legs) == 6 and legs.contact_id.isna().sum() == 3
    assert legs.loc[legs.contact_id == "a"].talk_s.sum() == 120 + 180  # a/1's newer version
    assert legs.agent_id.isna().sum() == 1  # an agent id of blanks only is no agent
    from cxkit.readiness import assess

    results = {r.id: r for r in assess(s).results}
    missing = results["legs.contact_id.not_null"]
    assert not missing.success and missing.unexpected == 3
    assert results["legs.contact_leg_unique"].success  # a leg without an id shares no key
    # a leg without an id is a contact of its own: grouped by their missing id, the three were
    # one contact of three legs (two transfers, an A > B > A path read as a ping-pong)
    contacts = s.table("contacts").execute()
    assert len(contacts) == 5 and contacts.contact_id.isna().sum() == 3
    assert sorted(contacts.loc[contacts.contact_id.isna()].transfers.tolist()) == [0, 0, 0]
    assert results["contacts.contact_id.not_null"].unexpected == 3
    from cxkit import resolution

    pp = resolution.transfer_ping_pong(s.table("legs")).execute().iloc[0]
    assert (pp.contacts, pp.transferred, pp.numerator) == (5, 1, 0)
    # with a contact after the period (so the period's legs are filtered by contact), the legs
    # without an id that arrive in the period stay, as their contacts do
    later = csv + "c,1,1,K6,PH,Q1,02/04/2026 09:00,02/04/2026 09:05,0:01:00\n"
    (tmp_path / "later").mkdir()
    s2 = cxkit.open_engagement(_engagement(tmp_path / "later", later, columns, grain="leg",
                                           dedup={"key": ["id", "seg"], "newest_by": "exported"}))
    assert s2.table("contacts").count().execute() == 5
    pp = resolution.transfer_ping_pong(s2.table("legs")).execute().iloc[0]
    assert (pp.contacts, pp.transferred) == (5, 1)
    chains = resolution.transfer_chains(s.table("legs")).execute()
    assert chains[["path", "contacts"]].values.tolist() == [["(not recorded) > (not recorded)", 1]]  # a only


def test_a_key_with_a_missing_part_is_its_own_key_in_the_counts(tmp_path):
    # every call id present and repeated once: the usual de-duplication, unchanged
    columns = {**MINIMAL, "leg_seq": "seg"}
    csv = ("id,seg,exported,cust,ch,start,end,talk\n"
           "a,1,1,K1,PH,02/03/2026 09:00,02/03/2026 09:05,0:01:00\n"
           "a,1,1,K1,PH,02/03/2026 09:00,02/03/2026 09:05,0:01:00\n"       # an exact re-delivery
           ",1,1,K2,PH,02/03/2026 10:00,02/03/2026 10:05,0:01:00\n"
           ",1,1,K2,PH,02/03/2026 10:00,02/03/2026 10:05,0:01:00\n")      # no id: kept, both
    s = cxkit.open_engagement(_engagement(tmp_path, csv, columns, grain="leg",
                                          dedup={"key": ["id", "seg"], "newest_by": "exported"}))
    counts = s.load_reports["contacts"].counts()
    assert (counts["exact_duplicates"], counts["superseded_versions"]) == (1, 0)
    assert s.table("legs").count().execute() == 3


def test_connect_direction_reads_who_started_the_contact_channel_by_channel(tmp_path):
    # every chat of Connect's chat widget starts by API (StartChatContact): read as outbound, the
    # customers' chats left FCR, repeats and journeys; a call or task started by API is the
    # center's. One record per (channel, initiation method), each its own contact
    template = json.loads((FIXTURES / "amazon_connect" / "ctr.jsonl").read_text().splitlines()[0])
    cases = {("CHAT", "API"): "inbound", ("EMAIL", "API"): "inbound", ("VOICE", "API"): "outbound",
             ("TASK", "API"): "outbound", ("VOICE", "WEBRTC_API"): "inbound", ("CHAT", "DISCONNECT"): "inbound",
             ("EMAIL", "AGENT_REPLY"): "outbound", ("EMAIL", "FLOW"): "outbound", ("VOICE", "INBOUND"): "inbound",
             ("VOICE", "OUTBOUND"): "outbound", ("VOICE", "CALLBACK"): "callback", ("VOICE", "NEW_METHOD"): "NEW_METHOD"}
    lines = []
    for i, (channel, method) in enumerate(cases):
        lines.append(json.dumps({**template, "ContactId": f"x-{i}", "NextContactId": None, "Channel": channel,
                                 "InitiationMethod": method}))
    (tmp_path / "ctr.jsonl").write_text("\n".join(lines) + "\n")
    shutil.copy(FIXTURES / "amazon_connect" / "engagement.yaml", tmp_path / "engagement.yaml")
    df = cxkit.open_engagement(tmp_path / "engagement.yaml").table("contacts", as_loaded=True).execute()
    got = dict(zip(df.contact_id, df.direction, strict=True))
    assert {key: got[f"x-{i}"] for i, key in enumerate(cases)} == cases  # an unknown code is kept, for readiness


def test_a_contact_still_open_at_the_export_end_has_no_handle_time(tmp_path):
    # a conversation still running when the export was taken (no end, arrived 20 minutes before
    # the export's latest time, 09:30) has only part of its talk time: read into AHT it made
    # (300 + 180 + 180 + 60) / 4 = 180 s of 220 s. A missing end two weeks earlier is no open
    # contact: its talk time stays (readiness reports the end as missing)
    csv = ("id,cust,ch,start,end,talk\n1,K1,PH,02/03/2026 09:00,02/03/2026 09:10,0:05:00\n"
           "2,K2,PH,02/03/2026 10:00,,0:03:00\n3,K3,PH,16/03/2026 09:00,16/03/2026 09:30,0:03:00\n"
           "4,K4,PH,16/03/2026 09:10,,0:01:00\n")
    s = cxkit.open_engagement(_engagement(tmp_path, csv, MINIMAL))
    df = s.table("contacts").order_by("contact_id").execute()
    assert df.talk_s.tolist()[:3] == [300.0, 180.0, 180.0] and pd.isna(df.talk_s.iloc[3])
    from cxkit.operations import aht

    row = aht(s.table("contacts"), by=None).execute().iloc[0]
    assert (int(row.handled), int(row.with_handle_time), float(row.aht_mean_s)) == (4, 3, 220.0)


def test_a_contact_whose_last_leg_is_still_running_is_open(tmp_path):
    # legs: 2 was transferred at 09:05 to an agent still talking at the export's latest time
    # (09:30): its second leg has no end. Folded, it took its first leg's end (09:05) and read as
    # ended: no open contact, and its talk so far (4 + 2 min) in AHT, (300 + 360 + 240 + 720) / 4
    # = 405 s. It is open now: no end, no handle time, AHT (300 + 240 + 720) / 3 = 420 s. 3's first
    # leg has no end and its second ended (a hole in the data): it ended with its last leg, 08:30
    columns = {**MINIMAL, "leg_seq": "seg"}
    csv = ("id,seg,cust,ch,start,end,talk\n"
           "1,1,K1,PH,02/03/2026 09:00,02/03/2026 09:10,0:05:00\n"
           "2,1,K2,PH,16/03/2026 09:00,16/03/2026 09:05,0:04:00\n"
           "2,2,K2,PH,16/03/2026 09:05,,0:02:00\n"
           "3,1,K3,PH,16/03/2026 08:00,,0:01:00\n"
           "3,2,K3,PH,16/03/2026 08:20,16/03/2026 08:30,0:03:00\n"
           "4,1,K4,PH,16/03/2026 09:10,16/03/2026 09:30,0:12:00\n")
    s = cxkit.open_engagement(_engagement(tmp_path, csv, columns, grain="leg"))
    df = s.table("contacts").order_by("contact_id").execute().set_index("contact_id")
    assert pd.isna(df.loc["2", "ended_at"]) and pd.isna(df.loc["2", "talk_s"])
    assert df.loc["3", "ended_at"] == utc("2026-03-16 08:30") and df.loc["3", "talk_s"] == 240.0
    from cxkit.operations import aht

    row = aht(s.table("contacts"), by=None).execute().iloc[0]
    assert (int(row.handled), int(row.with_handle_time), float(row.aht_mean_s)) == (4, 3, 420.0)
    from cxkit.readiness import assess

    checks = {c.id: c for c in assess(s).results}
    assert checks["contacts.ended_at.open"].unexpected == 1
    assert checks["contacts.ended_at.not_null"].unexpected == 0


def test_readiness_and_the_diagnostics_read_one_open_since(tmp_path, monkeypatch):
    # the instant from which a contact without an end is open is one aggregate over the whole
    # feed: the session computes it once, and readiness reads the session's (the same contacts)
    import cxkit.readiness.checks as checks_module
    import cxkit.resolution as resolution
    import cxkit.session as session_module
    from cxkit.readiness import assess

    calls = []
    original = resolution.open_since

    def counted(contacts, within_hours):
        calls.append(within_hours)
        return original(contacts, within_hours)

    monkeypatch.setattr(session_module, "open_since", counted)
    monkeypatch.setattr(checks_module.resolution, "open_since", counted)
    csv = ("id,cust,ch,start,end,talk\n1,K1,PH,02/03/2026 09:00,02/03/2026 09:10,0:05:00\n"
           "2,K2,PH,16/03/2026 09:00,,0:03:00\n3,K3,PH,16/03/2026 09:10,16/03/2026 09:30,0:03:00\n")
    s = cxkit.open_engagement(_engagement(tmp_path, csv, MINIMAL))
    checks = {c.id: c for c in assess(s).results}
    df = s.table("contacts").order_by("contact_id").execute()
    assert checks["contacts.ended_at.open"].unexpected == 1 and pd.isna(df.talk_s.iloc[1])
    assert len(calls) == 1
