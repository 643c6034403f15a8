"""A vendor's adapter against the generator's own layout: the generator's contacts rewritten as the
vendor's records (:func:`connect_ctr`) give the same results wherever the vendor's records can
say what the generator's say. The adapter is a mapping: folding legs, de-duplicating, directions,
outcomes, queues, agents and the caller's number as the customer key are all read from records
shaped as the vendor writes them, with re-deliveries, missing callers and swapped timestamps.

Only what a vendor's records can carry is carried. Amazon Connect (contact trace records, one
per leg, ``cxkit/adapter_specs/amazon_connect_ctr.yaml``) has channels VOICE, CHAT, TASK and
EMAIL: messaging, social and bot conversations are chats there; it has no count of identity
checks and no callback flag, and says "deflected" no way the adapter reads. The contact reason
and the case number travel as contact attributes, as a flow stores them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
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


def _utc_iso(local: pd.Series) -> list[str | None]:
    """Local times of a UTC engagement as Connect writes them (ISO 8601, Z)."""
    t = pd.to_datetime(local)
    return [None if pd.isna(v) else v.strftime("%Y-%m-%dT%H:%M:%SZ") for v in t]


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value) -> float | None:
    return None if pd.isna(value) else float(value)


def connect_ctr(interactions: Path, out: Path) -> Path:
    """Write ``interactions`` (the generator's CSV, local times in UTC) as Connect CTRs (JSON lines).

    A contact's first leg keeps the interaction id as its ContactId (surveys, QA and cases name
    it); each later leg is ``<id>-<segment>`` with InitialContactId the first. The caller's
    number is a phone number made from the customer reference, one per customer.
    """
    legs = pd.read_csv(interactions, dtype={"customer_ref": str, "case_number": str})
    last = legs.groupby("interaction_id")["segment"].transform("max")
    start, answer, end = _utc_iso(legs.start_local), _utc_iso(legs.answer_local), _utc_iso(legs.end_local)
    t0 = pd.to_datetime(legs.start_local)
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


DEMO = Path(__file__).resolve().parents[1] / "engagements" / "demo" / "engagement.yaml"

#: every result that reads only what a Connect record carries as the generator's export does
#: (not: channels, which Connect merges; identity checks and callbacks, which it lacks; the
#: effort index, cost and scenarios, which read those)
CARRIED = [
    "fcr_overall", "repeat_share_overall", "fcr_headline", "repeat_share_edge", "fcr_sensitivity",
    "recontact_curve", "fcr_by_reason", "fcr_by_queue", "fcr_by_team", "fcr_weekly", "handle_time_trap",
    "handle_time_trap_correlations", "aht_fcr_by_team", "repeat_after_transfer", "transfer_ping_pong",
    "transfer_chains", "journey_edge", "survey_scores", "qa_correlation", "qa_agents", "case_followthrough",
    "case_followthrough_by_reason", "data_period", "staffing_summary", "service_level_by_gap",
]


def _engagement(folder: Path, name: str, contacts: dict) -> Path:
    spec = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    spec.update(name=name, timezone="UTC")
    spec["sources"]["contacts"] = contacts
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def _results(path: Path, run: Path) -> ResultSet:
    session = Session(load_engagement(path))
    return compute_results(session, run, names=CARRIED)


def test_connect_records_of_the_generators_contacts_give_the_generators_results(tmp_path):
    generate(tmp_path / "data", seed=8, customers=8000, timezone="UTC", file_format="csv",
             defects=("duplicates", "null_customer", "swapped_timestamps"))
    connect_ctr(tmp_path / "data" / "interactions.csv", tmp_path / "data" / "ctr.jsonl")
    own = _results(_engagement(tmp_path, "own", {"adapter": "cxkit_generator", "path": "data/interactions.csv",
                                                 "format": "csv"}), tmp_path / "own")
    connect = _results(_engagement(tmp_path, "connect", {"adapter": "amazon_connect_ctr", "path": "data/ctr.jsonl",
                                                         "columns": CONNECT_COLUMNS}), tmp_path / "connect")
    fcr = own.row("fcr_overall")
    assert fcr["denominator"] > 1000 and own.row("repeat_share_overall")["numerator"] > 500  # not an empty match
    assert own.frame("transfer_chains")["contacts"].sum() > 100
    for name in CARRIED:
        a, b = own.frame(name).reset_index(drop=True), connect.frame(name).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9, obj=name)
