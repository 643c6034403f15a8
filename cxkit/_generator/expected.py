"""The values the diagnostics must find, recomputed from the written interaction rows only.

This is a second, independent implementation of the METRICS.md definitions: it never looks at
the simulation's issues, resolutions or repeat decisions, only at the arrays of the leg rows
exactly as they are written (clean, before defects). Legs are folded to contacts, then repeats
are found with sorted keys and binary search. Customers never span two generation blocks, so
block partial counts add up to the exact totals.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cxkit._generator import params as P

WINDOW_S = 7 * 86400

#: The demo engagement's given prices (``engagements/demo/engagement.yaml``,
#: ``cost.cost_per_contact``) by media; the repeat-cost truth prices repeats with them.
DEMO_COST_PER_CONTACT = {"VOICE": 6.50, "CHAT": 4.20, "EMAIL": 5.10, "MESSAGING": 3.90, "SOCIAL": 4.00, "BOT": 0.35}


def repeat_cost_expected(repeats_by_media: np.ndarray, prices: dict[str, float] = DEMO_COST_PER_CONTACT) -> dict[str, Any]:
    """Repeat cost by media: repeats (repeat-share numerator, by the repeat's own media) x the
    media's price, one multiplication per media; the total adds the media in MEDIA order."""
    by_media = {
        m: {"repeats": int(n), "cost_per_contact": prices[m], "cost": int(n) * prices[m]}
        for m, n in zip(P.MEDIA, repeats_by_media)
        if n
    }
    return {
        "prices": "DEMO_COST_PER_CONTACT (the demo engagement's cost.cost_per_contact)",
        "by_media": by_media,
        "total": sum(v["cost"] for v in by_media.values()),
    }


def fold_legs(legs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Contacts from legs: first leg start, last leg end, summed work, final leg's reason/agent."""
    order = np.lexsort((legs["segment"], legs["contact"]))
    leg = {k: v[order] for k, v in legs.items()}
    cid = leg["contact"]
    if cid.size == 0:
        return {k: v[:0] for k, v in leg.items()} | {"transfers": cid[:0], "handle": cid[:0], "wait": cid[:0]}
    first = np.flatnonzero(np.r_[True, cid[1:] != cid[:-1]])
    last = np.r_[first[1:] - 1, cid.size - 1]
    work = leg["talk"] + leg["hold"] + leg["wrap"]
    return {
        "contact": cid[first],
        "customer": leg["customer"][first],
        "media": leg["media"][first],
        "direction": leg["direction"][first],
        "arrived": leg["start"][first],
        "ended": leg["end"][last],
        "outcome": leg["disposition"][last],
        "reason": leg["reason"][last],
        "agent": leg["agent"][last],
        "transfers": last - first,
        "handle": np.add.reduceat(work, first),
        "wait": np.add.reduceat(leg["wait"], first),
    }


def _first_repeat(c: dict[str, np.ndarray], window: int) -> np.ndarray:
    """For every contact, the index of a repeat of it (-1 none): a later inbound contact of the
    same customer with ``0 <= L.arrived - E.ended <= window``, itself excluded."""
    n = c["contact"].size
    found = np.full(n, -1, dtype=np.int64)
    inbound = np.flatnonzero((c["direction"] == P.IN) & (c["customer"] >= 0))
    if inbound.size == 0:
        return found
    t0 = int(c["arrived"].min())
    cust = c["customer"].astype(np.int64)
    key_arr = (cust << 32) | (c["arrived"] - t0)
    srt = inbound[np.lexsort((c["contact"][inbound], key_arr[inbound]))]
    keys = key_arr[srt]
    q_idx = np.flatnonzero(c["customer"] >= 0)
    q = (cust[q_idx] << 32) | (c["ended"][q_idx] - t0)
    pos = np.searchsorted(keys, q, side="left")
    for step in (0, 1):  # step 1 only matters when the hit is the contact itself (zero length)
        p = np.minimum(pos + step, srt.size - 1)
        cand = srt[p]
        ok = (
            (pos + step < srt.size)
            & (cust[cand] == cust[q_idx])
            & (c["arrived"][cand] - c["ended"][q_idx] <= window)
            & (c["arrived"][cand] >= c["ended"][q_idx])
            & (cand != q_idx)
            & (found[q_idx] < 0)
        )
        found[q_idx[ok]] = cand[ok]
    return found


def _repeated_contact(c: dict[str, np.ndarray], window: int) -> np.ndarray:
    """For every inbound identified contact L, the contact it repeats (-1 none): the inbound
    contact of the customer with the latest ``ended <= L.arrived`` (ties: highest id), L excluded,
    when ``L.arrived - ended <= window``."""
    n = c["contact"].size
    found = np.full(n, -1, dtype=np.int64)
    inbound = np.flatnonzero((c["direction"] == P.IN) & (c["customer"] >= 0))
    if inbound.size == 0:
        return found
    t0 = int(c["arrived"].min())
    cust = c["customer"].astype(np.int64)
    key_end = (cust << 32) | (c["ended"] - t0)
    srt = inbound[np.lexsort((c["contact"][inbound], key_end[inbound]))]
    keys = key_end[srt]
    q = (cust[inbound] << 32) | (c["arrived"][inbound] - t0)
    pos = np.searchsorted(keys, q, side="right") - 1
    pos = np.where((pos >= 0) & (srt[np.maximum(pos, 0)] == inbound), pos - 1, pos)
    cand = srt[np.maximum(pos, 0)]
    ok = (
        (pos >= 0)
        & (cust[cand] == cust[inbound])
        & (c["arrived"][inbound] - c["ended"][cand] <= window)
        & (c["arrived"][inbound] >= c["ended"][cand])
    )
    found[inbound[ok]] = cand[ok]
    return found


def partial_expected(
    legs: dict[str, np.ndarray], *, period_end: int, agent_short: np.ndarray, agent_team: np.ndarray,
    window: int = WINDOW_S,
) -> dict[str, Any]:
    """Counts of one block (add partials of all blocks with :func:`combine`)."""
    c = fold_legs(legs)
    nr = len(P.REASON_NAMES) + 1  # last slot: reason unknown
    nt = len(P.TEAM_NAMES) + 1  # last slot: no agent
    reason = np.where(c["reason"] >= 0, c["reason"], nr - 1)
    handled = c["outcome"] == P.ANSWERED
    agent = c["agent"]
    team = np.where(agent >= 0, agent_team[np.maximum(agent, 0)], nt - 1)
    profile = np.where(agent >= 0, agent_short[np.maximum(agent, 0)].astype(np.int64), 2)
    inbound = c["direction"] == P.IN
    identified = c["customer"] >= 0
    eligible = inbound & handled & identified
    # End of data (METRICS.md) = the latest arrival of ALL blocks, capped at the period end; a
    # block knows only its own latest arrival, a lower bound. Contacts judged at that bound are
    # judged for sure; the others are kept as "pending" rows and settled in expected_from_totals.
    latest = int(c["arrived"].max()) if c["arrived"].size else -(2**62)
    judged = c["ended"] + window <= min(latest, period_end)
    rep = _first_repeat(c, window) >= 0
    den = eligible & judged
    resolved = den & ~rep
    pending = eligible & ~judged
    repeated = _repeated_contact(c, window)
    is_repeat = inbound & identified & (repeated >= 0)
    switched = is_repeat & (c["media"] != c["media"][np.maximum(repeated, 0)])
    queued = inbound & ((c["wait"] > 0) | handled)

    def by(key: np.ndarray, mask: np.ndarray, size: int) -> np.ndarray:
        return np.bincount(key[mask], minlength=size)

    nm = len(P.MEDIA)
    return {
        "fcr_num_reason": by(reason, resolved, nr),
        "fcr_den_reason": by(reason, den, nr),
        "latest_arrival": np.array([latest]),
        "period_end": np.array([period_end]),
        "pending_ended": c["ended"][pending].astype(np.int64),
        "pending_reason": reason[pending],
        "pending_team": team[pending],
        "pending_profile": profile[pending],
        "pending_resolved": ~rep[pending],
        "pending_untransferred": c["transfers"][pending] == 0,
        "fcr_num_team": by(team, resolved, nt),
        "fcr_den_team": by(team, den, nt),
        "fcr_num_profile": by(profile, resolved, 3),
        "fcr_den_profile": by(profile, den, 3),
        "fcr_transfer_num": np.array([int((resolved & (c["transfers"] == 0)).sum())]),
        "repeat_num": np.array([int(is_repeat.sum())]),
        "repeat_den": np.array([int((inbound & identified).sum())]),
        "switch_num": np.array([int(switched.sum())]),
        "switch_by_media": by(c["media"], switched, nm),
        "repeats_by_media": by(c["media"], is_repeat, nm),
        "handled": np.array([int(handled.sum())]),
        "handled_transferred": np.array([int((handled & (c["transfers"] > 0)).sum())]),
        "handle_sum_profile": np.bincount(profile[handled], weights=c["handle"][handled], minlength=3),
        "handled_profile": by(profile, handled, 3),
        "handle_values": c["handle"][handled].astype(np.int64),
        "contacts_by_direction": by(c["direction"], np.ones_like(handled), 3),
        "inbound_by_media": by(c["media"], inbound, nm),
        "inbound_unidentified_by_media": by(c["media"], inbound & ~identified, nm),
        "outcome_inbound": by(c["outcome"], inbound, 4),
        "queued": np.array([int(queued.sum())]),
        "abandoned_long": np.array([int((queued & (c["outcome"] == P.ABANDONED) & (c["wait"] > 5)).sum())]),
        "answered_wait_sum": np.array([float(c["wait"][queued & handled].sum())]),
        "answered_queued": np.array([int((queued & handled).sum())]),
        "contacts": np.array([c["contact"].size]),
        "legs": np.array([legs["contact"].size]),
    }


def combine(partials: list[dict[str, Any]]) -> dict[str, Any]:
    """Add block partials key by key (handle values and pending contacts are concatenated, the
    latest arrival is the maximum), then settle the pending contacts against the end of data."""
    out: dict[str, Any] = {}
    for key in partials[0]:
        if key == "handle_values" or key.startswith("pending_"):
            out[key] = np.concatenate([p[key] for p in partials])
        elif key in ("latest_arrival", "period_end"):
            out[key] = np.max([p[key] for p in partials], axis=0)
        else:
            out[key] = np.sum([p[key] for p in partials], axis=0)
    return _settle_pending(out)


def _settle_pending(tot: dict[str, Any], window: int = WINDOW_S) -> dict[str, Any]:
    """Judge the pending contacts at the end of data: min(latest arrival, period end)."""
    eod = min(int(tot["latest_arrival"][0]), int(tot["period_end"][0]))
    judged = tot["pending_ended"] + window <= eod
    resolved = judged & tot["pending_resolved"]
    nr, nt = tot["fcr_num_reason"].size, tot["fcr_num_team"].size

    def by(key: np.ndarray, mask: np.ndarray, size: int) -> np.ndarray:
        return np.bincount(key[mask], minlength=size)

    tot["end_of_data"] = eod
    tot["fcr_num_reason"] = tot["fcr_num_reason"] + by(tot["pending_reason"], resolved, nr)
    tot["fcr_den_reason"] = tot["fcr_den_reason"] + by(tot["pending_reason"], judged, nr)
    tot["censored_reason"] = by(tot["pending_reason"], ~judged, nr)
    tot["fcr_num_team"] = tot["fcr_num_team"] + by(tot["pending_team"], resolved, nt)
    tot["fcr_den_team"] = tot["fcr_den_team"] + by(tot["pending_team"], judged, nt)
    tot["fcr_num_profile"] = tot["fcr_num_profile"] + by(tot["pending_profile"], resolved, 3)
    tot["fcr_den_profile"] = tot["fcr_den_profile"] + by(tot["pending_profile"], judged, 3)
    tot["fcr_transfer_num"] = tot["fcr_transfer_num"] + np.array([int((resolved & tot["pending_untransferred"]).sum())])
    return tot


def _rate(num: float, den: float) -> dict[str, Any]:
    return {"value": (float(num) / float(den)) if den else None, "numerator": int(num), "denominator": int(den)}


def expected_from_totals(tot: dict[str, Any]) -> dict[str, Any]:
    """The ``expected`` section of truth from combined partials."""
    reasons = list(P.REASON_NAMES) + ["UNKNOWN"]
    teams = list(P.TEAM_NAMES) + ["NO_AGENT"]
    fcr = _rate(tot["fcr_num_reason"].sum(), tot["fcr_den_reason"].sum())
    fcr["censored"] = int(tot["censored_reason"].sum())
    fcr["by_reason"] = {
        r: {**_rate(n, d), "censored": int(cz)}
        for r, n, d, cz in zip(reasons, tot["fcr_num_reason"], tot["fcr_den_reason"], tot["censored_reason"])
        if d or cz
    }
    fcr["by_team"] = {t: _rate(n, d) for t, n, d in zip(teams, tot["fcr_num_team"], tot["fcr_den_team"]) if d}
    fcr["by_agent_profile"] = {
        name: _rate(tot["fcr_num_profile"][k], tot["fcr_den_profile"][k]) for k, name in enumerate(("standard", "short_aht"))
    }
    hv = tot["handle_values"]
    aht_profile = {
        name: (float(tot["handle_sum_profile"][k] / tot["handled_profile"][k]) if tot["handled_profile"][k] else None)
        for k, name in enumerate(("standard", "short_aht"))
    }
    inbound = tot["inbound_by_media"]
    return {
        "definitions": {
            "repeat_window_s": WINDOW_S,
            "end_of_data": "the latest arrival (first leg start) of any contact, never later than period.end",
            "eligible": "direction IN, final leg disposition ANSWERED, customer_ref present",
            "contact": "interaction_id with legs folded (first leg start, last leg end, transfers = legs - 1, "
            "work summed, final leg's reason and agent)",
            "channel_switch_rate": "among inbound identified contacts that are repeats (repeat_share_7d numerator), "
            "the share whose media differs from the media of the contact they repeat: the customer's inbound "
            "contact with the latest end at or before their arrival (ties: highest interaction_id, itself excluded)",
            "abandon_rate": "inbound contacts that entered a queue (folded wait > 0 or answered) and ended "
            "ABANDONED with wait > 5 s / inbound contacts that entered a queue",
            "asa_s": "mean folded wait (all legs) of inbound queued contacts that were answered",
        },
        "fcr_repeat_7d": fcr,
        "fcr_transfer_adjusted_7d": _rate(tot["fcr_transfer_num"][0], tot["fcr_den_reason"].sum()),
        "repeat_share_7d": _rate(tot["repeat_num"][0], tot["repeat_den"][0]),
        "repeat_cost_7d": repeat_cost_expected(tot["repeats_by_media"]),
        "channel_switch_rate": {
            **_rate(tot["switch_num"][0], tot["repeat_num"][0]),
            "by_repeat_media": {
                m: _rate(s, r) for m, s, r in zip(P.MEDIA, tot["switch_by_media"], tot["repeats_by_media"]) if r
            },
        },
        "transfer_rate": _rate(tot["handled_transferred"][0], tot["handled"][0]),
        "aht_mean_s": float(hv.mean()) if hv.size else None,
        "aht_median_s": float(np.median(hv)) if hv.size else None,
        "aht_mean_s_by_agent_profile": aht_profile,
        "handled_contacts": int(tot["handled"][0]),
        "contacts_by_direction": dict(zip(P.DIRECTIONS, tot["contacts_by_direction"].astype(int).tolist())),
        "inbound_by_media": dict(zip(P.MEDIA, inbound.astype(int).tolist())),
        "inbound_outcomes": dict(zip(P.DISPOSITIONS, tot["outcome_inbound"].astype(int).tolist())),
        "unidentified_share_inbound_by_media": {
            m: _rate(u, n) for m, u, n in zip(P.MEDIA, tot["inbound_unidentified_by_media"], inbound) if n
        },
        "abandon_rate": _rate(tot["abandoned_long"][0], tot["queued"][0]),
        "asa_s": float(tot["answered_wait_sum"][0] / tot["answered_queued"][0]) if tot["answered_queued"][0] else None,
    }


def survey_expected(responded: np.ndarray, resolved: np.ndarray, csat: np.ndarray) -> dict[str, Any]:
    """Customer-reported FCR and response rate from the written survey rows (clean, no orphans)."""
    answered = resolved >= 0
    return {
        "fcr_customer_reported": _rate((resolved == 1).sum(), answered.sum()),
        "survey_response_rate": _rate((responded >= 0).sum(), responded.size),
        "csat_mean": float(csat[csat >= 0].mean()) if (csat >= 0).any() else None,
    }


def qa_expected(agent: np.ndarray, score: np.ndarray, agent_short: np.ndarray) -> dict[str, Any]:
    """Mean QA score of short-AHT agents and of the others (the planted QA bias, realised)."""
    short = agent_short[agent] if agent.size else np.zeros(0, bool)
    return {
        "qa_mean_score_by_agent_profile": {
            "standard": float(score[~short].mean()) if (~short).any() else None,
            "short_aht": float(score[short].mean()) if short.any() else None,
        }
    }
