"""Raw vendor-style exports: legs from contacts, text formatting, defects, chunked writers.

Files are written block by block (each block's rows sorted by start time) so memory stays
bounded whatever the number of contacts; the interactions file is a chunked Parquet (or CSV)
writer, the other sources are appended per block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from cxkit._generator import params as P
from cxkit._generator.calendar import Calendar, format_dates, format_seconds
from cxkit._generator.simulate import CASE_STATUS, ENTRY_NAMES, NOTE_NAMES, QA_FAILED_TEXT, Agents, fold_notes

INTERACTION_COLUMNS = (
    "interaction_id", "segment", "customer_ref", "media", "direction", "start_local", "answer_local", "end_local",
    "ivr_sec", "queue_sec", "talk_sec", "hold_sec", "wrap_sec", "disposition", "queue_name", "agent_login",
    "team_name", "reason_code", "auth_count", "callback_requested", "case_number", "entry_point", "notes",
    "exported_at",
)
INTERACTIONS_SCHEMA = pa.schema(
    [(name, pa.int64() if name in ("segment", "ivr_sec", "queue_sec", "talk_sec", "hold_sec", "wrap_sec", "auth_count")
      else pa.string()) for name in INTERACTION_COLUMNS]
)
CASE_COLUMNS = ("CaseNumber", "AccountRef", "OriginInteraction", "CreatedDate", "ClosedDate", "ReopenCount",
                "Category", "Status", "Subject")
QA_COLUMNS = ("eval_id", "interaction_id", "agent_login", "eval_date", "total_score", "failed_items")
WFM_COLUMNS = ("queue_name", "interval_start_local", "minutes", "offered", "handled", "forecast", "scheduled", "staffed")
SURVEY_KEYS = ("response_id", "interaction_id", "customer_ref", "sent", "responded", "q_csat", "q_nps", "q_ces",
               "q_resolved", "verbatim")


@dataclass(frozen=True)
class IdWidths:
    """Zero-padded widths of the identifiers (fixed from the arguments, so files are stable)."""

    interaction: int
    customer: int
    case: int = 8
    agent: int = 5
    response: int = 9
    evaluation: int = 8


def format_ids(prefix: str, numbers: np.ndarray, width: int, mask: np.ndarray | None = None) -> pa.Array:
    """``prefix`` + zero-padded ``numbers`` as a string array (nulls where ``mask``)."""
    numbers = np.asarray(numbers, dtype=np.int64)
    n = numbers.size
    pre = prefix.encode()
    w = len(pre) + width
    out = np.empty((n, w), dtype=np.uint8)
    out[:, : len(pre)] = np.frombuffer(pre, dtype=np.uint8)
    v = np.maximum(numbers, 0)
    for k in range(width):
        out[:, len(pre) + width - 1 - k] = 48 + (v // 10**k) % 10
    validity = pa.py_buffer(np.packbits(~mask, bitorder="little")) if mask is not None and mask.any() else None
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(w), n, [validity, pa.py_buffer(out)]).cast(pa.string())


def coded(codes: np.ndarray, names: tuple[str, ...] | list[str]) -> pa.Array:
    """Names of integer codes (a negative code is null)."""
    codes = np.asarray(codes, dtype=np.int64)
    return pa.array(list(names), type=pa.string()).take(pa.array(codes, mask=codes < 0))


def legs_from_contacts(
    rng: np.random.Generator, contacts: dict[str, np.ndarray], contact_no: np.ndarray, case_of_contact: np.ndarray
) -> dict[str, np.ndarray]:
    """One row per leg (integer codes and UTC seconds), in contact then segment order."""
    n = contact_no.size
    nl = contacts["nlegs"]
    rep = np.repeat(np.arange(n), nl)
    seg = np.arange(rep.size) - np.repeat(np.cumsum(nl) - nl, nl)
    handled = contacts["outcome"] == P.ANSWERED
    w, tk, hd = contacts["leg_wait"], contacts["leg_talk"], contacts["leg_hold"]
    s = np.zeros((n, 3), dtype=np.int64)
    a = np.zeros((n, 3), dtype=np.int64)
    e = np.zeros((n, 3), dtype=np.int64)
    s[:, 0] = contacts["arrive"]
    a[:, 0] = s[:, 0] + contacts["ivr"] + w[:, 0]
    e[:, 0] = np.where(nl == 1, contacts["end"], a[:, 0] + tk[:, 0] + hd[:, 0])
    for j in (1, 2):  # transfer legs run back to back
        s[:, j] = e[:, j - 1]
        a[:, j] = s[:, j] + w[:, j]
        e[:, j] = a[:, j] + tk[:, j] + hd[:, j]
    U = rng.random(rep.size)
    hleg = handled[rep]
    legs = {
        "contact": contact_no[rep],
        "segment": seg + 1,
        "customer": np.where(contacts["identified"][rep], contacts["cust"][rep], -1),
        "media": contacts["media"][rep],
        "direction": contacts["direction"][rep],
        "start": s[rep, seg],
        "answer": np.where(hleg, a[rep, seg], -1),
        "end": e[rep, seg],
        "ivr": np.where(seg == 0, contacts["ivr"][rep], 0),
        "wait": w[rep, seg],
        "talk": tk[rep, seg],
        "hold": hd[rep, seg],
        "wrap": contacts["leg_wrap"][rep, seg],
        "disposition": contacts["outcome"][rep],
        "queue": contacts["leg_queue"][rep, seg],
        "agent": contacts["leg_agent"][rep, seg],
        "reason": np.where(contacts["reason_known"][rep], contacts["reason"][rep], -1),
        "auth": contacts["leg_auth"][rep, seg],
        "callback": contacts["callback"][rep] & (seg == nl[rep] - 1),
        "case": case_of_contact[rep],
        "entry": contacts["entry"][rep],
        "notes": fold_notes(rng, hleg, seg < nl[rep] - 1),
    }
    legs["exported"] = legs["end"] + legs["wrap"] + (60 + 840 * U).astype(np.int64)
    return legs


def interactions_table(legs: dict[str, np.ndarray], cal: Calendar, agents: Agents, widths: IdWidths,
                       agent_names: pa.Array) -> pa.Table:
    """The vendor layout of the interactions export (local wall-clock text for times)."""
    agent = legs["agent"]
    team = np.where(agent >= 0, agents.team[np.maximum(agent, 0)], -1)
    cols = {
        "interaction_id": format_ids("I", legs["contact"], widths.interaction),
        "segment": pa.array(legs["segment"], pa.int64()),
        "customer_ref": format_ids("CU", legs["customer"], widths.customer, legs["customer"] < 0),
        "media": coded(legs["media"], P.MEDIA),
        "direction": coded(legs["direction"], P.DIRECTIONS),
        "start_local": format_seconds(cal.local(legs["start"])),
        "answer_local": format_seconds(cal.local(legs["answer"]), mask=legs["answer"] < 0),
        "end_local": format_seconds(cal.local(legs["end"])),
        "ivr_sec": pa.array(legs["ivr"], pa.int64()),
        "queue_sec": pa.array(legs["wait"], pa.int64()),
        "talk_sec": pa.array(legs["talk"], pa.int64()),
        "hold_sec": pa.array(legs["hold"], pa.int64()),
        "wrap_sec": pa.array(legs["wrap"], pa.int64()),
        "disposition": coded(legs["disposition"], P.DISPOSITIONS),
        "queue_name": coded(legs["queue"], P.QUEUES),
        "agent_login": agent_names.take(pa.array(agent, mask=agent < 0)),
        "team_name": coded(team, P.TEAM_NAMES),
        "reason_code": coded(legs["reason"], P.REASON_NAMES),
        "auth_count": pa.array(legs["auth"], pa.int64()),
        "callback_requested": coded(legs["callback"].astype(np.int64), ("N", "Y")),
        "case_number": format_ids("CS", legs["case"], widths.case, legs["case"] < 0),
        "entry_point": coded(legs["entry"], ENTRY_NAMES),
        "notes": coded(legs["notes"], NOTE_NAMES),
        "exported_at": format_seconds(legs["exported"], iso_utc=True),
    }
    return pa.table(cols, schema=INTERACTIONS_SCHEMA)


def _interleave(rng: np.random.Generator, n: int, src: np.ndarray) -> np.ndarray:
    """Row order putting a copy of each ``src`` row a little later than its original."""
    pos = np.concatenate([np.arange(n) * 2.0, src * 2.0 + 1 + 2 * rng.integers(0, 200, src.size)])
    return np.argsort(pos, kind="stable")


@dataclass
class DefectLog:
    """What was planted, accumulated over blocks (the ``defects`` section of truth)."""

    active: tuple[str, ...]
    duplicates_exact: list[list[Any]] = field(default_factory=list)
    duplicates_updated: list[list[Any]] = field(default_factory=list)
    swapped: list[list[Any]] = field(default_factory=list)
    shifted_rows: int = 0
    shifted_day: str | None = None
    shifted_offset_s: int = 0
    orphan_surveys: list[list[str]] = field(default_factory=list)
    pii: list[dict[str, Any]] = field(default_factory=list)
    null_customer: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "duplicates" in self.active:
            out["duplicates"] = {
                "file": "interactions",
                "exact_copies": len(self.duplicates_exact),
                "exact_keys": self.duplicates_exact,
                "updated_copies": len(self.duplicates_updated),
                "updated_keys": self.duplicates_updated,
                "updated_field": "notes",
                "note": "keys are [interaction_id, segment]; an updated copy has a later exported_at and "
                "notes ending in ' [updated]'; exact copies are identical rows",
            }
        if "null_customer" in self.active:
            out["null_customer"] = self.null_customer
        if "swapped_timestamps" in self.active:
            out["swapped_timestamps"] = {
                "file": "interactions",
                "rows": len(self.swapped),
                "keys": self.swapped,
                "note": "start_local and end_local exchanged, so end_local < start_local",
            }
        if "shifted_timezone" in self.active:
            out["shifted_timezone"] = {
                "file": "interactions",
                "local_day": self.shifted_day,
                "rows": self.shifted_rows,
                "utc_offset_s_that_day": self.shifted_offset_s,
                "columns": ["start_local", "answer_local", "end_local"],
                "note": "rows whose true local start date is local_day have the three times written in UTC",
            }
        if "orphan_surveys" in self.active:
            out["orphan_surveys"] = {
                "file": "survey_responses",
                "rows": len(self.orphan_surveys),
                "keys": self.orphan_surveys,
                "note": "[response_id, interaction_id]; extra rows whose interaction_id is not in interactions",
            }
        if "pii_in_notes" in self.active:
            out["pii_in_notes"] = {"file": "interactions", "rows": len(self.pii), "planted": self.pii}
        return out


_PII_KINDS = ("email", "phone", "card")


def _pii_text(kind: str, k: int) -> str:
    if kind == "email":
        return f"Customer asked to reply to jane.doe{k}@example.com"
    if kind == "phone":
        return f"Call back on +44 7700 900{k % 1000:03d}"
    return "Card number given 4111 1111 1111 1111"


def plant_interaction_defects(
    rng: np.random.Generator, table: pa.Table, legs: dict[str, np.ndarray], cal: Calendar, log: DefectLog,
    shifted_day: int | None,
) -> pa.Table:
    """Apply the row-level interaction defects to one block's table and record them."""
    n = table.num_rows
    if n == 0:
        return table
    touched = np.zeros(n, dtype=bool)
    key_ids = table.column("interaction_id")
    seg = legs["segment"]

    def keys(rows: np.ndarray) -> list[list[Any]]:
        ids = key_ids.take(pa.array(rows)).to_pylist()
        return [[i, int(s)] for i, s in zip(ids, seg[rows])]

    U = rng.random((n, 3))
    if "shifted_timezone" in log.active and shifted_day is not None:
        mask = cal.local(legs["start"]) // 86400 == shifted_day
        if mask.any():
            m = pa.array(mask)
            for col, src in (("start_local", "start"), ("answer_local", "answer"), ("end_local", "end")):
                utc = format_seconds(legs[src], mask=legs[src] < 0)
                idx = table.schema.get_field_index(col)
                table = table.set_column(idx, col, pc.if_else(m, utc, table.column(col)))
            log.shifted_rows += int(mask.sum())
            touched |= mask
    if "swapped_timestamps" in log.active:
        mask = (U[:, 0] < 0.003) & ~touched & (legs["end"] > legs["start"])
        if mask.any():
            m = pa.array(mask)
            s, e = table.column("start_local"), table.column("end_local")
            table = table.set_column(table.schema.get_field_index("start_local"), "start_local", pc.if_else(m, e, s))
            table = table.set_column(table.schema.get_field_index("end_local"), "end_local", pc.if_else(m, s, e))
            log.swapped += keys(np.flatnonzero(mask))
            touched |= mask
    if "pii_in_notes" in log.active:
        k = max(3, int(round(n * 0.0002)))
        cand = np.flatnonzero(~touched)
        rows = np.sort(rng.choice(cand, min(k, cand.size), replace=False))
        notes = table.column("notes").to_pylist()
        for j, r in enumerate(rows):  # a handful of rows: a Python loop is fine here
            kind = _PII_KINDS[(len(log.pii) + j) % 3]
            notes[r] = _pii_text(kind, int(legs["contact"][r]))
        kinds = [_PII_KINDS[(len(log.pii) + j) % 3] for j in range(rows.size)]
        for (iid, sg), kind, r in zip(keys(rows), kinds, rows):
            log.pii.append({"interaction_id": iid, "segment": sg, "kind": kind, "text": notes[r]})
        table = table.set_column(table.schema.get_field_index("notes"), "notes", pa.array(notes, pa.string()))
        touched[rows] = True
    if "duplicates" in log.active:
        exact = np.flatnonzero((U[:, 1] < 0.01) & ~touched)
        upd = np.flatnonzero((U[:, 1] >= 0.01) & (U[:, 1] < 0.015) & ~touched)
        copies = table.take(pa.array(exact))
        updated = table.take(pa.array(upd))
        new_notes = pc.binary_join_element_wise(pc.fill_null(updated.column("notes"), "Note"), pa.scalar(" [updated]"), "")
        updated = updated.set_column(updated.schema.get_field_index("notes"), "notes", new_notes)
        later = legs["exported"][upd] + 86400 + rng.integers(0, 2 * 86400, upd.size)
        updated = updated.set_column(updated.schema.get_field_index("exported_at"), "exported_at",
                                     format_seconds(later, iso_utc=True))
        log.duplicates_exact += keys(exact)
        log.duplicates_updated += keys(upd)
        order = _interleave(rng, n, np.concatenate([exact, upd]))
        table = pa.concat_tables([table, copies, updated]).take(pa.array(order))
    return table


class Sinks:
    """Open writers of every raw file, appended block by block."""

    def __init__(self, out_dir: Path, file_format: str) -> None:
        self.out_dir = out_dir
        self.file_format = file_format
        name = "interactions.parquet" if file_format == "parquet" else "interactions.csv"
        self.interactions_path = out_dir / name
        if file_format == "parquet":
            self._inter: Any = pq.ParquetWriter(self.interactions_path, INTERACTIONS_SCHEMA, compression="zstd")
        else:
            self._inter = pacsv.CSVWriter(self.interactions_path, INTERACTIONS_SCHEMA)
        self._cases = pacsv.CSVWriter(out_dir / "crm_cases.csv", pa.schema(
            [(c, pa.int64() if c == "ReopenCount" else pa.string()) for c in CASE_COLUMNS]))
        self._qa = pacsv.CSVWriter(out_dir / "qa_evaluations.csv", pa.schema(
            [(c, pa.int64() if c == "total_score" else pa.string()) for c in QA_COLUMNS]))
        self._surveys = open(out_dir / "survey_responses.jsonl", "w", encoding="utf-8", newline="\n")

    def interactions(self, table: pa.Table) -> None:
        self._inter.write_table(table)

    def cases(self, table: pa.Table) -> None:
        self._cases.write_table(table)

    def qa(self, table: pa.Table) -> None:
        self._qa.write_table(table)

    def surveys(self, frame: pd.DataFrame) -> None:
        if len(frame):
            self._surveys.write(frame.to_json(orient="records", lines=True, force_ascii=False).rstrip("\n") + "\n")

    def close(self) -> None:
        self._inter.close()
        self._cases.close()
        self._qa.close()
        self._surveys.close()


def cases_table(cases: dict[str, np.ndarray], case_offset: int, contact_no: np.ndarray, widths: IdWidths) -> pa.Table:
    n = cases["origin"].size
    closed = cases["closed"]
    subjects = [P.CASE_SUBJECTS[r] for r in P.REASON_NAMES]
    return pa.table({
        "CaseNumber": format_ids("CS", case_offset + np.arange(n), widths.case),
        "AccountRef": format_ids("CU", cases["cust"], widths.customer),
        "OriginInteraction": format_ids("I", contact_no[cases["origin"]], widths.interaction),
        "CreatedDate": format_seconds(cases["created"], iso_utc=True),
        "ClosedDate": format_seconds(closed, iso_utc=True, mask=closed < 0),
        "ReopenCount": pa.array(cases["reopen"], pa.int64()),
        "Category": coded(cases["reason"], P.REASON_NAMES),
        "Status": coded(cases["status"], CASE_STATUS),
        "Subject": coded(cases["reason"], subjects),
    })


def qa_table(qa: dict[str, np.ndarray], qa_offset: int, contact_no: np.ndarray, cal: Calendar, widths: IdWidths,
             agent_names: pa.Array) -> pa.Table:
    n = qa["contact"].size
    failed = coded(qa["failed_mask"], QA_FAILED_TEXT)
    return pa.table({
        "eval_id": format_ids("QA", qa_offset + np.arange(n), widths.evaluation),
        "interaction_id": format_ids("I", contact_no[qa["contact"]], widths.interaction),
        "agent_login": agent_names.take(pa.array(qa["agent"])),
        "eval_date": format_dates(cal.local(qa["eval_t"])),
        "total_score": pa.array(qa["score"], pa.int64()),
        "failed_items": pc.if_else(pc.equal(failed, ""), pa.scalar(None, pa.string()), failed),
    })


def surveys_frame(s: dict[str, np.ndarray], response_offset: int, contacts: dict[str, np.ndarray],
                  contact_no: np.ndarray, widths: IdWidths, interaction_numbers: np.ndarray | None = None) -> pd.DataFrame:
    """Survey rows as a frame in the JSONL key order (``interaction_numbers`` overrides the
    interaction of each row, for orphans)."""
    n = s["contact"].size
    inum = contact_no[s["contact"]] if interaction_numbers is None else interaction_numbers

    def nullable(v: np.ndarray) -> pd.arrays.IntegerArray:
        return pd.arrays.IntegerArray(v.astype(np.int64), v < 0)

    verb = np.array([None] + [t for k in range(1, 6) for t in P.VERBATIMS[k]], dtype=object)
    starts = np.cumsum([1] + [len(P.VERBATIMS[k]) for k in range(1, 5)])
    vcode = np.where(s["verbatim_band"] > 0, starts[np.maximum(s["verbatim_band"], 1) - 1] + s["verbatim_pick"], 0)
    resolved_text = np.array([None, "no", "yes"], dtype=object)[s["resolved"] + 1]
    return pd.DataFrame({
        "response_id": format_ids("R", response_offset + np.arange(n), widths.response).to_numpy(zero_copy_only=False),
        "interaction_id": format_ids("I", inum, widths.interaction).to_numpy(zero_copy_only=False),
        "customer_ref": format_ids("CU", contacts["cust"][s["contact"]], widths.customer).to_numpy(zero_copy_only=False),
        "sent": format_seconds(s["sent"], iso_utc=True).to_numpy(zero_copy_only=False),
        "responded": format_seconds(s["responded"], iso_utc=True, mask=s["responded"] < 0).to_numpy(zero_copy_only=False),
        "q_csat": nullable(s["csat"]),
        "q_nps": nullable(s["nps"]),
        "q_ces": nullable(s["ces"]),
        "q_resolved": resolved_text,
        "verbatim": verb[vcode],
    }, columns=list(SURVEY_KEYS))


def wfm_table(cal: Calendar, offered: np.ndarray, handled: np.ndarray, handle_secs: np.ndarray,
              handle_n: np.ndarray, rng: np.random.Generator) -> pa.Table:
    """WFM intervals of the inbound queues: open intervals and any interval with volume."""
    step = P.INTERVAL_MINUTES * 60
    n_int = offered.shape[1]
    starts = cal.start + np.arange(n_int, dtype=np.int64) * step
    open_iv = cal.open_minute[(starts - cal.start) // 60]
    loc = cal.local(starts)
    monday = ((loc // 86400) + 3) % 7 == 0
    rows_q, rows_b = [], []
    for qname in P.INBOUND_QUEUES:  # a loop over a dozen queues
        q = P.Q[qname]
        keep = open_iv | (offered[q] > 0)
        b = np.flatnonzero(keep)
        rows_q.append(np.full(b.size, q))
        rows_b.append(b)
    q = np.concatenate(rows_q)
    b = np.concatenate(rows_b)
    off = offered[q, b]
    Z = rng.standard_normal(q.size)
    forecast = np.round(np.maximum(off, 0.5) * np.exp(P.FORECAST_SIGMA * Z) * np.where(monday[b], P.FORECAST_MONDAY_BIAS, 1.0), 1)
    aht_q = np.where(handle_n > 0, handle_secs / np.maximum(handle_n, 1), 300.0)
    scheduled = np.ceil(forecast * aht_q[q] / (step * P.OCCUPANCY_TARGET)).astype(np.int64)
    staffed = scheduled - rng.binomial(scheduled, P.SHRINKAGE_MEAN)
    return pa.table({
        "queue_name": coded(q, P.QUEUES),
        "interval_start_local": format_seconds(loc[b]),
        "minutes": pa.array(np.full(q.size, P.INTERVAL_MINUTES), pa.int64()),
        "offered": pa.array(off, pa.int64()),
        "handled": pa.array(handled[q, b], pa.int64()),
        "forecast": pa.array(forecast, pa.float64()),
        "scheduled": pa.array(scheduled, pa.int64()),
        "staffed": pa.array(staffed, pa.int64()),
    })
