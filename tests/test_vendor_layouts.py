"""A vendor's adapter against the generator's own layout: the generator's contacts rewritten as the
vendor's records (:func:`connect_ctr`, :func:`genesys_pages`) give the same results wherever the
vendor's records can say what the generator's say. The adapter is a mapping: folding legs,
de-duplicating, directions, outcomes, queues, agents and the caller's number as the customer key
are all read from records shaped as the vendor writes them, with re-deliveries, missing callers
and swapped timestamps, in UTC for a centre in New York across the change to daylight saving time.

Only what a vendor's records can carry is carried. Amazon Connect (contact trace records, one
per leg, ``cxkit/adapter_specs/amazon_connect_ctr.yaml``) has channels VOICE, CHAT, TASK and
EMAIL: messaging, social and bot conversations are chats there; it has no count of identity
checks and no callback flag, and says "deflected" no way the adapter reads. The contact reason
and the case number travel as contact attributes, as a flow stores them. Genesys Cloud
(conversation details, one per contact, ``cxkit/adapter_specs/genesys_cloud_conversations.yaml``)
names a reason only by an agent's wrap-up code, has no team, no case link and no callback
direction, and its agent is the last who answered: results reading those differ by design.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cxkit.config import load_engagement
from cxkit.generate import generate
from cxkit.results import ResultSet, compute_results
from cxkit.session import Session

#: the generator's media as Connect channels
CONNECT_CHANNEL = {"VOICE": "VOICE", "CHAT": "CHAT", "EMAIL": "EMAIL", "MESSAGING": "CHAT", "SOCIAL": "CHAT",
                   "BOT": "CHAT"}
#: how a Connect flow that stores them would have the reason and the case in its attributes
CONNECT_COLUMNS = {"contact_reason": {"sql": "Attributes->>'intent'"}, "case_id": {"sql": "Attributes->>'case'"}}


#: the centre's timezone: the generator writes local times, both vendors UTC, and the period
#: crosses the change to daylight saving time (8 March)
TZ = "America/New_York"


def _utc(local: pd.Series) -> pd.Series:
    """The generator's local times in UTC; a time the clocks skip or show twice is the later of
    its two possible instants, as cxkit reads it (:func:`cxkit.testing.wall_clock_instant`)."""
    t = pd.to_datetime(local).dt.tz_localize(TZ, nonexistent=pd.Timedelta(hours=1), ambiguous=False)
    return t.dt.tz_convert("UTC").dt.tz_localize(None)


def _utc_iso(t: pd.Series) -> list[str | None]:
    """UTC times as Connect writes them (ISO 8601, Z)."""
    return [None if pd.isna(v) else v.strftime("%Y-%m-%dT%H:%M:%SZ") for v in t]


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value) -> float | None:
    return None if pd.isna(value) else float(value)


def connect_ctr(interactions: Path, out: Path) -> Path:
    """Write ``interactions`` (the generator's CSV, local times in :data:`TZ`) as Connect CTRs (JSON lines).

    A contact's first leg keeps the interaction id as its ContactId (surveys, QA and cases name
    it); each later leg is ``<id>-<segment>`` with InitialContactId the first. The caller's
    number is a phone number made from the customer reference, one per customer.
    """
    legs = pd.read_csv(interactions, dtype={"customer_ref": str, "case_number": str})
    last = legs.groupby("interaction_id")["segment"].transform("max")
    t0 = _utc(legs.start_local)
    start, answer, end = _utc_iso(t0), _utc_iso(_utc(legs.answer_local)), _utc_iso(_utc(legs.end_local))
    enqueued = _utc_iso(t0 + pd.to_timedelta(legs.ivr_sec.fillna(0), unit="s"))
    dequeued = _utc_iso(t0 + pd.to_timedelta(legs.ivr_sec.fillna(0) + legs.queue_sec.fillna(0), unit="s"))
    with out.open("w", encoding="utf-8") as f:
        for i, r in enumerate(legs.itertuples(index=False)):
            iid, seg = r.interaction_id, int(r.segment)
            channel = CONNECT_CHANNEL[r.media]
            if r.direction in ("OUT", "CALLBACK"):
                method = "OUTBOUND" if r.direction == "OUT" else "CALLBACK"
            else:
                method = "TRANSFER" if seg > 1 else ("INBOUND" if channel == "VOICE" else "API")
            entry = _text(r.entry_point) or ""
            customer = _text(r.customer_ref)
            record = {
                "ContactId": iid if seg == 1 else f"{iid}-{seg}",
                "InitialContactId": None if seg == 1 else iid,
                "PreviousContactId": None if seg == 1 else (iid if seg == 2 else f"{iid}-{seg - 1}"),
                "NextContactId": f"{iid}-{seg + 1}" if seg < last.iat[i] else None,
                "Channel": channel,
                "InitiationMethod": method,
                "InitiationTimestamp": start[i],
                "ConnectedToSystemTimestamp": start[i],
                "DisconnectTimestamp": end[i],
                "DisconnectReason": {"ANSWERED": "AGENT_DISCONNECT", "ABANDONED": "CUSTOMER_DISCONNECT"}.get(
                    r.disposition, "CONTACT_FLOW_DISCONNECT"),
                "LastUpdateTimestamp": r.exported_at,
                "CustomerEndpoint": None if customer is None else {
                    "Address": "+447700" + "".join(ch for ch in customer if ch.isdigit()).zfill(8),
                    "Type": "TELEPHONE_NUMBER"},
                "SystemEndpoint": {"Address": f"+44{len(entry):02d}{sum(map(ord, entry)):06d}",
                                   "Type": "TELEPHONE_NUMBER"} if channel == "VOICE" else None,
                "Queue": None if _text(r.queue_name) is None else {
                    "ARN": f"arn:queue/{r.queue_name}", "Name": r.queue_name, "EnqueueTimestamp": enqueued[i],
                    "DequeueTimestamp": dequeued[i], "Duration": _number(r.queue_sec)},
                "Agent": None if _text(r.agent_login) is None else {
                    "ARN": f"arn:agent/{r.agent_login}", "Username": r.agent_login,
                    "RoutingProfile": {"ARN": "arn:routing-profile", "Name": _text(r.team_name)},
                    "ConnectedToAgentTimestamp": answer[i], "AgentInteractionDuration": _number(r.talk_sec),
                    "CustomerHoldDuration": _number(r.hold_sec), "AfterContactWorkDuration": _number(r.wrap_sec)},
                "Attributes": {"intent": _text(r.reason_code), "case": _text(r.case_number)},
                "TransferCompletedTimestamp": None,
                "TransferredToEndpoint": None,
            }
            f.write(json.dumps(record) + "\n")
    return out


#: the generator's media as Genesys media types
GENESYS_MEDIA = {"VOICE": "voice", "CHAT": "chat", "EMAIL": "email", "MESSAGING": "message", "SOCIAL": "message",
                 "BOT": "chat"}


def _genesys_time(t: pd.Timestamp) -> str | None:
    return None if pd.isna(t) else pd.Timestamp(t).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _session(name: str, media: str, segments: list[dict], metrics: list[dict], **more) -> dict:
    return {"sessionId": f"s-{name}", "mediaType": media, "direction": "inbound", "segments": segments,
            "metrics": metrics, **more}


def _conversation(legs: pd.DataFrame) -> dict:
    """One contact's legs as one Genesys conversation: the customer, the IVR or flow (the entry
    point, the legs' IVR time), then per leg its queue (acd) and its agent. Segments are stamped
    in the legs' order from the conversation's start (a leg's own times may be swapped, which a
    conversation's participants cannot be); answers keep their time."""
    legs = legs.sort_values("segment")
    first, final = legs.iloc[0], legs.iloc[-1]
    start, end = legs.start_utc.min(), legs.end_utc.max()
    media = GENESYS_MEDIA[first.media]
    outbound = first.direction in ("OUT", "CALLBACK")
    customer = _text(first.customer_ref)
    number = None if customer is None else "tel:+447700" + "".join(ch for ch in customer if ch.isdigit()).zfill(8)
    hung_up = final.disposition == "ABANDONED" and not legs.queue_name.map(_text).notna().any()
    customer_segment = {"segmentStart": _genesys_time(start), "segmentEnd": _genesys_time(end),
                        "segmentType": "interact", "disconnectType": "endpoint" if hung_up else "peer"}
    participants = [{"participantId": "customer", "participantName": "Customer", "purpose": "customer",
                     "sessions": [_session("customer", media, [customer_segment], [],
                                           direction="outbound" if outbound else "inbound",
                                           ani=None if outbound else number, dnis=number if outbound else None)]}]
    if _text(first.entry_point):
        ivr_ms = float(legs.ivr_sec.fillna(0).sum()) * 1000
        participants.append({"participantId": "ivr", "participantName": first.entry_point, "purpose": "ivr",
                             "sessions": [_session("ivr", media, [{"segmentStart": _genesys_time(start),
                                                                   "segmentType": "ivr"}],
                                                   [{"name": "tIvr", "value": ivr_ms,
                                                     "emitDate": _genesys_time(start)}])]})
    for k, leg in enumerate(legs.itertuples(index=False)):
        queued, agent = _text(leg.queue_name), _text(leg.agent_login)
        at = _genesys_time(start + pd.Timedelta(microseconds=2 * k))
        if queued:
            segment = {"segmentStart": at, "segmentType": "interact", "queueId": queued}
            metrics = [{"name": "nOffered", "value": 1, "emitDate": at},
                       {"name": "tAcd", "value": 1000 * (_number(leg.queue_sec) or 0), "emitDate": at}]
            participants.append({"participantId": f"acd-{k}", "participantName": queued, "purpose": "acd",
                                 "sessions": [_session(f"acd-{k}", media, [segment], metrics)]})
        if agent:
            answered = leg.disposition == "ANSWERED"
            answer = _genesys_time(leg.answer_utc)
            metrics = [{"name": "tAnswered", "value": 1000, "emitDate": answer},
                       *({"name": name, "value": 1000 * (_number(value) or 0), "emitDate": at}
                         for name, value in (("tTalk", leg.talk_sec), ("tHeld", leg.hold_sec), ("tAcw", leg.wrap_sec)))
                       ] if answered else []
            segments = [{"segmentStart": _genesys_time(start + pd.Timedelta(microseconds=2 * k + 1)),
                         "segmentType": "interact", "queueId": queued,
                         "disconnectType": "transfer" if k < len(legs) - 1 else "client"},
                        {"segmentStart": _genesys_time(leg.end_utc), "segmentType": "wrapup",
                         "wrapUpCode": _text(leg.reason_code)}]
            participants.append({"participantId": f"agent-{k}", "purpose": "agent", "userId": agent,
                                 "sessions": [_session(f"agent-{k}", media, segments, metrics)]})
    return {"conversationId": first.interaction_id, "conversationStart": _genesys_time(start),
            "conversationEnd": _genesys_time(end), "originatingDirection": "outbound" if outbound else "inbound",
            "participants": participants, "surveys": []}


def genesys_pages(interactions: Path, out: Path, per_page: int = 2000) -> Path:
    """Write ``interactions`` (the generator's CSV, local times in :data:`TZ`) as Genesys conversation
    detail pages, ``out/conversations-<n>.json``; a conversation API returns each conversation
    once, in its newest version. The first 25 are in the last page as well, as two overlapping
    exports hold them."""
    legs = pd.read_csv(interactions, dtype={"customer_ref": str, "case_number": str})
    legs = legs.sort_values("exported_at").drop_duplicates(["interaction_id", "segment"], keep="last")
    legs = legs.assign(start_utc=_utc(legs.start_local), end_utc=_utc(legs.end_local),
                       answer_utc=_utc(legs.answer_local))
    conversations = [_conversation(g) for _, g in legs.groupby("interaction_id", sort=True)]
    out.mkdir(parents=True, exist_ok=True)
    pages = [conversations[i:i + per_page] for i in range(0, len(conversations), per_page)]
    pages[-1] = pages[-1] + conversations[:25]
    for n, page in enumerate(pages, 1):
        (out / f"conversations-{n}.json").write_text(json.dumps({"conversations": page, "totalHits": len(page)}),
                                                      encoding="utf-8")
    return out


DEMO = Path(__file__).resolve().parents[1] / "engagements" / "demo" / "engagement.yaml"

#: every result that reads only what a Connect record carries as the generator's export does
#: (not: channels, which Connect merges; identity checks and callbacks, which it lacks; the
#: effort index, cost and scenarios, which read those)
CONNECT_CARRIED = [
    "fcr_overall", "repeat_share_overall", "fcr_headline", "repeat_share_edge", "fcr_sensitivity",
    "recontact_curve", "fcr_by_reason", "fcr_by_queue", "fcr_by_team", "fcr_weekly", "handle_time_trap",
    "handle_time_trap_correlations", "aht_fcr_by_team", "repeat_after_transfer", "transfer_ping_pong",
    "transfer_chains", "journey_edge", "survey_scores", "qa_correlation", "qa_agents", "case_followthrough",
    "case_followthrough_by_reason", "data_period", "staffing_summary", "service_level_by_gap",
]
#: and what a Genesys conversation carries (not, besides: same-reason repeats, as a contact no
#: agent answered has no wrap-up code; teams; the case link; transfer paths, read from legs)
GENESYS_CARRIED = [
    "fcr_overall", "repeat_share_overall", "repeat_share_edge", "recontact_curve", "fcr_by_reason", "fcr_by_queue",
    "fcr_weekly", "repeat_after_transfer", "journey_edge", "survey_scores", "qa_correlation", "qa_agents",
    "case_followthrough", "case_followthrough_by_reason", "data_period", "staffing_summary", "service_level_by_gap",
]


def _engagement(folder: Path, name: str, contacts: dict) -> Path:
    spec = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    spec.update(name=name, timezone=TZ)
    spec["sources"]["contacts"] = contacts
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def _results(folder: Path, name: str, contacts: dict) -> ResultSet:
    session = Session(load_engagement(_engagement(folder, name, contacts)))
    return compute_results(session, folder / name, names=sorted(set(CONNECT_CARRIED) | set(GENESYS_CARRIED)))


@pytest.fixture(scope="module")
def own(tmp_path_factory) -> tuple[Path, ResultSet]:
    """A generated engagement in New York with re-deliveries, callers without a number and swapped
    timestamps, and its results read in the generator's own layout."""
    folder = tmp_path_factory.mktemp("vendor")
    generate(folder / "data", seed=8, customers=8000, timezone=TZ, file_format="csv",
             defects=("duplicates", "null_customer", "swapped_timestamps"))
    results = _results(folder, "own", {"adapter": "cxkit_generator", "path": "data/interactions.csv", "format": "csv"})
    assert results.row("fcr_overall")["denominator"] > 1000  # not an empty match
    assert results.row("repeat_share_overall")["numerator"] > 500
    assert results.frame("transfer_chains")["contacts"].sum() > 100
    return folder, results


def _same(own: ResultSet, vendor: ResultSet, names: list[str]) -> None:
    for name in names:
        a, b = own.frame(name).reset_index(drop=True), vendor.frame(name).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9, obj=name)


def test_connect_records_of_the_generators_contacts_give_the_generators_results(own):
    folder, results = own
    connect_ctr(folder / "data" / "interactions.csv", folder / "data" / "ctr.jsonl")
    vendor = _results(folder, "connect", {"adapter": "amazon_connect_ctr", "path": "data/ctr.jsonl",
                                          "columns": CONNECT_COLUMNS})
    _same(results, vendor, CONNECT_CARRIED)


def test_genesys_conversations_of_the_generators_contacts_give_the_generators_results(own):
    folder, results = own
    genesys_pages(folder / "data" / "interactions.csv", folder / "data" / "genesys")
    session = Session(load_engagement(_engagement(folder, "genesys", {
        "adapter": "genesys_cloud_conversations", "path": "data/genesys/conversations-*.json"})))
    # the 25 conversations two pages hold are read once, and counted
    assert session.load_reports["contacts"].counts()["exact_duplicates"] == 25
    vendor = compute_results(session, folder / "genesys", names=GENESYS_CARRIED)
    _same(results, vendor, GENESYS_CARRIED)
