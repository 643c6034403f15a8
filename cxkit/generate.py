"""A realistic synthetic contact center: raw vendor-style exports plus the truth behind them.

``generate`` writes the files a client would send (interactions at leg grain in local time, CRM
cases, survey responses, QA evaluations, WFM intervals) and ``truth.json``: every planted
parameter, the counts, the period, the exact values the diagnostics must find (recomputed
from the written rows by a second implementation of METRICS.md) and every planted defect.

The simulation draws customers with issues; each issue has a reason (resolution differs by
reason) and a first channel; attempts are contained by the bot or IVR, abandoned in the IVR or
queue, or handled by agents in teams (with planted short-AHT agents who resolve less);
unresolved issues come back as repeat contacts after hours or days, sometimes in another
channel, with a new identity check each time; transfers are extra legs (some A -> B -> A);
callbacks are promised and kept, late or never made; outbound campaigns run; cases are opened
and reopened; surveys carry response bias and the QA form rewards the wrong thing.

About 0.6 contacts (legs folded, all directions) per customer per 31 days (a whole customer
base, not only the customers who call); use
:func:`customers_for_contacts` to size a run by contacts. The output is byte-identical for the
same arguments (one ``numpy.random.default_rng(seed)`` drives everything, in fixed blocks of
customers).

Examples
--------
>>> import tempfile, json
>>> from cxkit.generate import generate
>>> with tempfile.TemporaryDirectory() as d:
...     truth = json.loads(generate(d, customers=300, days=14).read_text())
>>> truth["period"]["timezone"]
'Europe/London'
>>> truth["counts"]["interactions"] > 0
True
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from cxkit._generator import expected as E
from cxkit._generator import params as P
from cxkit._generator.calendar import Calendar, build_calendar, format_seconds, local_midnight
from cxkit._generator.output import (
    DefectLog,
    IdWidths,
    Sinks,
    cases_table,
    format_ids,
    interactions_table,
    legs_from_contacts,
    plant_interaction_defects,
    qa_table,
    surveys_frame,
    wfm_table,
)
from cxkit._generator.simulate import build_agents, cases_for_block, qa_for_block, simulate_block, surveys_for_block, wfm_counts
from cxkit.errors import CxkitError
from cxkit.zones import is_zone, zone

__all__ = ["generate", "customers_for_contacts", "DEFECTS", "FILE_FORMATS", "CONTACTS_PER_CUSTOMER_31D"]

DEFECTS: dict[str, str] = {
    "duplicates": "about 1% exact re-deliveries of interaction rows and 0.5% later updates (newer exported_at, "
    "changed notes)",
    "null_customer": f"customer_ref missing on {P.NULL_CUSTOMER_DEFECT_SHARE:.0%} of "
    f"{P.MEDIA[P.NULL_CUSTOMER_DEFECT_MEDIA]} contacts",
    "swapped_timestamps": "about 0.3% of interaction rows with start_local and end_local exchanged",
    "shifted_timezone": "one local day of interactions written in UTC instead of local time",
    "orphan_surveys": "about 5% extra survey rows whose interaction_id is not in interactions",
    "pii_in_notes": "a few notes with fake emails, phone numbers and card numbers",
}
FILE_FORMATS = ("parquet", "csv")
CONTACTS_PER_CUSTOMER_31D = P.CONTACTS_PER_CUSTOMER_31D
# Customers per simulation block: fixed (never derived from the arguments) so that the random
# streams, and therefore the files, depend only on the seed and the arguments.
_BLOCK_CUSTOMERS = 100_000
_GENERATOR_VERSION = "1"

Progress = Callable[[str, float], None]


def customers_for_contacts(n_contacts: int, days: int = 31) -> int:
    """Customers needed for about ``n_contacts`` contacts (legs folded) over ``days`` days.

    Parameters
    ----------
    n_contacts
        Wanted number of contacts (interactions), all directions.
    days
        Length of the period.

    Returns
    -------
    int
        Customers to pass to :func:`generate` (at least 1).

    Examples
    --------
    >>> customers_for_contacts(1_000_000)
    1666667
    """
    if n_contacts < 1 or days < 1:
        raise CxkitError(f"customers_for_contacts: n_contacts and days must be >= 1 (got {n_contacts}, {days})")
    return max(1, math.ceil(n_contacts / (CONTACTS_PER_CUSTOMER_31D * days / 31)))


def _validate(seed: Any, customers: Any, start: Any, days: Any, timezone: Any, file_format: Any, defects: Any,
              progress: Any) -> dt.date:
    """Check every parameter and report all problems in one error."""
    problems: list[str] = []
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        problems.append(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(customers, (int, np.integer)) or isinstance(customers, bool) or customers < 1:
        problems.append(f"customers must be an integer >= 1, got {customers!r}")
    if not isinstance(days, (int, np.integer)) or isinstance(days, bool) or days < 1:
        problems.append(f"days must be an integer >= 1, got {days!r}")
    elif days > 366:
        problems.append(f"days must be at most 366, got {days!r}")
    start_date = dt.date(2026, 3, 1)
    try:
        start_date = dt.date.fromisoformat(str(start))
        if len(str(start)) != 10:
            raise ValueError
    except ValueError:
        problems.append(f"start must be a date 'YYYY-MM-DD', got {start!r}")
    if not is_zone(str(timezone)):
        problems.append(f"timezone must be an IANA zone name such as 'Europe/London', got {timezone!r}")
    if file_format not in FILE_FORMATS:
        problems.append(f"file_format must be one of {', '.join(FILE_FORMATS)}, got {file_format!r}")
    if isinstance(defects, str):
        problems.append(f"defects must be a sequence of names, got the string {defects!r}; write ({defects!r},)")
    else:
        unknown = [d for d in defects if d not in DEFECTS]
        if unknown:
            problems.append(f"defects: unknown defect name(s) {unknown}; known: {', '.join(DEFECTS)}")
    if progress is not None and not callable(progress):
        problems.append(f"progress must be a callable(step_name, fraction) or None, got {progress!r}")
    if problems:
        raise CxkitError("generate: invalid parameter(s):\n" + "\n".join(f"  - {p}" for p in problems))
    return start_date


def _shifted_day(cal: Calendar, start: dt.date, days: int) -> tuple[int, str, int]:
    """The last local day of the period with a non-zero UTC offset all day (the defect's day)."""
    tz = zone(cal.timezone)
    for k in range(days - 1, -1, -1):
        day = start + dt.timedelta(days=k)
        t0 = local_midnight(day, tz)
        t1 = local_midnight(day + dt.timedelta(days=1), tz) - 1
        off = cal.offset(np.array([t0, t1]))
        if off[0] != 0 and off[0] == off[1]:
            return (t0 + int(off[0])) // 86400, day.isoformat(), int(off[0])
    raise CxkitError(
        f"defects: 'shifted_timezone' needs a day in the period on which timezone {cal.timezone!r} is not UTC; "
        "choose a timezone with a non-zero offset (e.g. 'Europe/Paris') or a summer period"
    )


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o)}")


def generate(
    out_dir: str | Path,
    *,
    seed: int = 7,
    customers: int = 20_000,
    start: str = "2026-03-01",
    days: int = 31,
    timezone: str = "Europe/London",
    file_format: str = "parquet",
    defects: Sequence[str] = (),
    progress: Progress | None = None,
) -> Path:
    """Write a synthetic contact center's raw exports and ``truth.json`` into ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write into (created if missing; existing files of the same names are replaced).
    seed
        Seed of the one random generator; the same arguments give byte-identical files.
    customers
        Number of customers (about 0.6 contacts each per 31 days).
    start
        First local date of the period, ``YYYY-MM-DD``.
    days
        Length of the period in days (1 to 366).
    timezone
        IANA zone of the local times written in the interactions and WFM exports.
    file_format
        ``"parquet"`` or ``"csv"`` for the interactions export.
    defects
        Names from :data:`DEFECTS` to plant (default none).
    progress
        Optional ``callable(step_name, fraction)`` for a progress bar.

    Returns
    -------
    Path
        The path of ``truth.json``.

    Raises
    ------
    CxkitError
        For invalid parameters (the message names each bad parameter and what is expected).
    """
    start_date = _validate(seed, customers, start, days, timezone, file_format, defects, progress)
    active = tuple(dict.fromkeys(defects))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda step, fraction: None)

    cal = build_calendar(start_date, int(days), str(timezone))
    shifted = _shifted_day(cal, start_date, int(days)) if "shifted_timezone" in active else None
    rng = np.random.default_rng(int(seed))
    agents_rng, wfm_rng = rng.spawn(2)
    agents = build_agents(agents_rng, int(customers))
    est_contacts = customers * days / 31 * CONTACTS_PER_CUSTOMER_31D
    widths = IdWidths(
        interaction=max(8, len(str(int(est_contacts * 4) + 10))),
        customer=max(7, len(str(customers))),
        agent=max(5, len(str(agents.team.size))),
    )
    agent_names = format_ids("AG", np.arange(agents.team.size), widths.agent)
    unidentified = P.UNIDENTIFIED.copy()
    if "null_customer" in active:
        unidentified[P.NULL_CUSTOMER_DEFECT_MEDIA] = P.NULL_CUSTOMER_DEFECT_SHARE
    log = DefectLog(active)
    if shifted is not None:
        log.shifted_day, log.shifted_offset_s = shifted[1], shifted[2]

    n_blocks = max(1, math.ceil(customers / _BLOCK_CUSTOMERS))
    block_rngs = rng.spawn(n_blocks)
    sinks = Sinks(out, file_format)
    partials: list[dict[str, Any]] = []
    survey_parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    qa_parts: list[tuple[np.ndarray, np.ndarray]] = []
    n_int = (cal.end - cal.start) // (P.INTERVAL_MINUTES * 60)
    offered = np.zeros((len(P.QUEUES), n_int), dtype=np.int64)
    handled = np.zeros_like(offered)
    handle_secs = np.zeros(len(P.QUEUES))
    handle_n = np.zeros(len(P.QUEUES), dtype=np.int64)
    counts = {"contacts": 0, "legs": 0, "interaction_rows_written": 0, "cases": 0, "survey_invitations": 0,
              "survey_responses": 0, "survey_rows_written": 0, "qa": 0, "issues": 0}
    realised: dict[str, int] = {}
    try:
        for b in range(n_blocks):
            sim_rng, aux_rng, defect_rng = block_rngs[b].spawn(3)
            lo, hi = b * _BLOCK_CUSTOMERS, min(customers, (b + 1) * _BLOCK_CUSTOMERS)
            res = simulate_block(sim_rng, cal, agents, lo, hi, unidentified)
            for k, v in res.realised.items():
                realised[k] = realised.get(k, 0) + v
            counts["issues"] += int(res.issues["cust"].size)
            c = res.contacts
            if not c:
                report("simulate", (b + 1) / n_blocks)
                continue
            contact_no = counts["contacts"] + 1 + np.arange(c["arrive"].size)
            cases, case_of_contact = cases_for_block(aux_rng, cal, c, res.issues)
            case_of_contact = np.where(case_of_contact >= 0, case_of_contact + counts["cases"] + 1, -1)
            legs = legs_from_contacts(aux_rng, c, contact_no, case_of_contact)
            partials.append(E.partial_expected(legs, period_end=cal.end, agent_short=agents.short_aht,
                                               agent_team=agents.team))
            table = interactions_table(legs, cal, agents, widths, agent_names)
            table = plant_interaction_defects(defect_rng, table, legs, cal, log, shifted[0] if shifted else None)
            sinks.interactions(table)
            sinks.cases(cases_table(cases, counts["cases"] + 1, contact_no, widths))

            s = surveys_for_block(aux_rng, c)
            frame = surveys_frame(s, counts["survey_rows_written"] + 1, c, contact_no, widths)
            survey_parts.append((s["responded"], s["resolved"], s["csat"]))
            n_s = len(frame)
            if "orphan_surveys" in active and n_s:
                k = max(1, int(round(0.05 * n_s)))
                src = np.sort(defect_rng.choice(n_s, min(k, n_s), replace=False))
                fake = 10**widths.interaction - 1 - len(log.orphan_surveys) - np.arange(src.size)
                sub = {key: v[src] for key, v in s.items()}
                orphans = surveys_frame(sub, counts["survey_rows_written"] + 1 + n_s, c, contact_no, widths, fake)
                log.orphan_surveys += orphans[["response_id", "interaction_id"]].values.tolist()
                order = np.argsort(np.concatenate([np.arange(n_s) * 2.0, src * 2.0 + 1]), kind="stable")
                frame = pd.concat([frame, orphans], ignore_index=True).iloc[order]
            sinks.surveys(frame)
            q = qa_for_block(aux_rng, agents, c)
            sinks.qa(qa_table(q, counts["qa"] + 1, contact_no, cal, widths, agent_names))
            qa_parts.append((q["agent"], q["score"]))

            o, h, secs, cnt = wfm_counts(cal, c)
            offered += o
            handled += h
            handle_secs += secs
            handle_n += cnt
            counts["contacts"] += int(contact_no.size)
            counts["legs"] += int(legs["contact"].size)
            counts["interaction_rows_written"] += table.num_rows
            counts["cases"] += int(cases["origin"].size)
            counts["survey_invitations"] += n_s
            counts["survey_responses"] += int((s["responded"] >= 0).sum())
            counts["survey_rows_written"] += len(frame)
            counts["qa"] += int(q["contact"].size)
            report("simulate", (b + 1) / n_blocks)
    finally:
        sinks.close()

    report("wfm", 0.0)
    wfm = wfm_table(cal, offered, handled, handle_secs, handle_n, wfm_rng)
    pacsv.write_csv(wfm, out / "wfm_intervals.csv")
    report("wfm", 1.0)

    report("truth", 0.0)
    totals = E.combine(partials) if partials else None
    expected = E.expected_from_totals(totals) if totals else {}
    if survey_parts:
        expected.update(E.survey_expected(*(np.concatenate(x) for x in zip(*survey_parts))))
    if qa_parts:
        expected.update(E.qa_expected(*(np.concatenate(x) for x in zip(*qa_parts)), agents.short_aht))
    if "null_customer" in active:
        log.null_customer = {
            "file": "interactions",
            "media": P.MEDIA[P.NULL_CUSTOMER_DEFECT_MEDIA],
            "planted_share": P.NULL_CUSTOMER_DEFECT_SHARE,
            "baseline_share": float(P.UNIDENTIFIED[P.NULL_CUSTOMER_DEFECT_MEDIA]),
            "realised_inbound_share": expected.get("unidentified_share_inbound_by_media", {})
            .get(P.MEDIA[P.NULL_CUSTOMER_DEFECT_MEDIA]),
            "note": "applied in the simulation: the expected values are computed on the data as written",
        }
    truth = _truth(seed, customers, start_date, days, cal, file_format, active, agents, agent_names, counts,
                   wfm.num_rows, expected, realised, log, totals["end_of_data"] if totals else cal.end)
    path = out / "truth.json"
    path.write_text(json.dumps(truth, indent=2, default=_json_default) + "\n", encoding="utf-8")
    report("truth", 1.0)
    return path


def _truth(seed: int, customers: int, start: dt.date, days: int, cal: Calendar, file_format: str,
           active: tuple[str, ...], agents: Any, agent_names: pa.Array, counts: dict[str, int], intervals: int,
           expected: dict[str, Any], realised: dict[str, int], log: DefectLog, end_of_data: int) -> dict[str, Any]:
    names = agent_names.to_pylist()
    utc = lambda t: format_seconds(np.array([t]), iso_utc=True)[0].as_py()  # noqa: E731
    return {
        "generator": {"version": _GENERATOR_VERSION, "seed": int(seed), "file_format": file_format,
                      "arguments": {"customers": int(customers), "start": start.isoformat(), "days": int(days),
                                    "timezone": cal.timezone, "defects": list(active)}},
        "files": {
            "interactions": "interactions.parquet" if file_format == "parquet" else "interactions.csv",
            "cases": "crm_cases.csv",
            "surveys": "survey_responses.jsonl",
            "qa": "qa_evaluations.csv",
            "intervals": "wfm_intervals.csv",
        },
        "parameters": {
            **P.planted_parameters(),
            "agent_profiles": [
                {"agent_login": names[i], "team": P.TEAM_NAMES[agents.team[i]], "aht_factor": round(float(agents.aht[i]), 4),
                 "resolve_factor": round(float(agents.resolve[i]), 4), "short_aht": bool(agents.short_aht[i])}
                for i in range(agents.team.size)
            ],
            "short_aht_agents": [names[i] for i in np.flatnonzero(agents.short_aht)],
        },
        "counts": {
            "customers": int(customers),
            "issues": counts["issues"],
            "interactions": counts["contacts"],
            "legs": counts["legs"],
            "interaction_rows_written": counts["interaction_rows_written"],
            "cases": counts["cases"],
            "survey_invitations": counts["survey_invitations"],
            "survey_responses": counts["survey_responses"],
            "survey_rows_written": counts["survey_rows_written"],
            "qa": counts["qa"],
            "intervals": int(intervals),
            "agents": int(agents.team.size),
        },
        "period": {"start": utc(cal.start), "end": utc(cal.end), "end_is": "exclusive instant (UTC)",
                   "end_of_data": utc(end_of_data),
                   "timezone": cal.timezone, "first_local_date": start.isoformat(), "days": int(days)},
        "expected": expected,
        "realised": {
            **realised,
            "note": "simulation-side counts (callbacks by kind); 'expected' is recomputed from the rows",
        },
        "defects": log.to_dict(),
    }
