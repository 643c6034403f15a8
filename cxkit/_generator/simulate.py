"""The simulation: customers with issues, attempts, legs, callbacks, outbound, cases, surveys, QA.

Vectorised over all issues of a block of customers; the only Python loops run over attempt
rounds (at most ``MAX_ATTEMPTS``), media or teams, never over contacts. Every random draw of a
round is made for the whole round at once (a matrix of uniforms), so which values a draw takes
never shifts the stream of later draws, and a defect that changes values (``null_customer``)
leaves the rest of the simulation as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxkit._generator import params as P
from cxkit._generator.calendar import Calendar

_STAFFED_MEDIA = np.array([True, True, False, True, False, False])  # arrivals in opening hours
_ASYNC_MEDIA = np.array([False, False, True, False, True, False])  # picked up in opening hours
NO = -1

# Entry points, notes, as one flat code list each (index = code written).
ENTRY_NAMES: tuple[str, ...] = tuple(e for m in range(6) for e in P.ENTRY_POINTS[m]) + (
    P.ENTRY_OUTBOUND,
    P.ENTRY_CALLBACK,
)
_ENTRY_START = np.cumsum([0] + [len(P.ENTRY_POINTS[m]) for m in range(6)])[:-1]
_ENTRY_COUNT = np.array([len(P.ENTRY_POINTS[m]) for m in range(6)])
NOTE_NAMES: tuple[str, ...] = P.NOTES["handled"] + P.NOTES["transfer"]
_N_HANDLED_NOTES = len(P.NOTES["handled"])


@dataclass(frozen=True)
class Agents:
    """The agent population, shared by every block."""

    team: np.ndarray
    aht: np.ndarray
    resolve: np.ndarray
    short_aht: np.ndarray
    team_start: np.ndarray
    team_size: np.ndarray

    @property
    def slow(self) -> np.ndarray:
        return self.aht > 1.15

    def pick(self, u: np.ndarray, queue: np.ndarray) -> np.ndarray:
        """An agent of the team serving each queue (uniform inside the team)."""
        team = P.QUEUE_TEAM[queue]
        return self.team_start[team] + np.minimum((u * self.team_size[team]).astype(np.int64), self.team_size[team] - 1)


def build_agents(rng: np.random.Generator, customers: int) -> Agents:
    """Teams sized by their share of the volume, each with its planted short-AHT agents."""
    shares = np.array([t["share"] for t in P.TEAMS.values()])
    total = max(P.MIN_AGENTS_PER_TEAM * len(shares), round(customers * P.AGENTS_PER_CUSTOMER))
    size = np.maximum(P.MIN_AGENTS_PER_TEAM, np.round(shares * total)).astype(np.int64)
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    team = np.repeat(np.arange(size.size), size)
    n = team.size
    team_aht = np.array([t["aht"] for t in P.TEAMS.values()])
    aht = np.exp(P.AGENT_AHT_SIGMA * rng.standard_normal(n))
    resolve = np.clip(1 + P.AGENT_RESOLVE_SD * rng.standard_normal(n), 0.8, 1.15)
    short = np.zeros(n, dtype=bool)
    for k in range(size.size):  # a loop over teams: at least one planted agent per team
        n_short = max(1, int(round(size[k] * P.SHORT_AHT_SHARE)))
        short[start[k] + rng.choice(size[k], n_short, replace=False)] = True
    aht = np.where(short, P.SHORT_AHT_FACTOR * np.minimum(aht, 1.0), aht) * team_aht[team]
    resolve = np.where(short, P.SHORT_AHT_RESOLVE_FACTOR * np.minimum(resolve, 1.0), resolve)
    return Agents(team, aht, resolve, short, start, size)


def _lognormal(z: np.ndarray, median_sigma: tuple[float, float]) -> np.ndarray:
    median, sigma = median_sigma
    return median * np.exp(sigma * z)


def _other(u: np.ndarray, choices: np.ndarray, current: np.ndarray) -> np.ndarray:
    """A uniformly chosen element of ``choices`` different from ``current``."""
    k = choices.size
    pick = choices[np.minimum((u * (k - 1)).astype(np.int64), k - 2)]
    return np.where(pick == current, choices[-1], pick)


_SWITCH_CDF = np.cumsum(
    np.where(np.eye(6, dtype=bool), 0.0, P.SWITCH_TO[None, :]) / (1 - P.SWITCH_TO)[:, None], axis=1
)


def _switch_channel(u: np.ndarray, current: np.ndarray) -> np.ndarray:
    """A new channel from the switching weights, never the current one."""
    return np.minimum((u[:, None] > _SWITCH_CDF[current]).sum(axis=1), 5)


def _empty_legs(n: int) -> dict[str, np.ndarray]:
    return {
        "leg_queue": np.full((n, 3), NO, dtype=np.int64),
        "leg_agent": np.full((n, 3), NO, dtype=np.int64),
        "leg_wait": np.zeros((n, 3), dtype=np.int64),
        "leg_talk": np.zeros((n, 3), dtype=np.int64),
        "leg_hold": np.zeros((n, 3), dtype=np.int64),
        "leg_wrap": np.zeros((n, 3), dtype=np.int64),
        "leg_auth": np.zeros((n, 3), dtype=np.int64),
    }


def _contact_end(c: dict[str, np.ndarray]) -> np.ndarray:
    """Last leg end: legs run back to back (a transfer starts when the previous leg ends)."""
    handled = c["outcome"] == P.ANSWERED
    first = c["ivr"] + c["leg_wait"][:, 0]
    work = (c["leg_wait"] + c["leg_talk"] + c["leg_hold"]) * (np.arange(3)[None, :] < c["nlegs"][:, None])
    total = np.where(handled, c["ivr"] + work.sum(axis=1), first)
    return c["arrive"] + total


def _inbound_round(
    rng: np.random.Generator,
    cal: Calendar,
    agents: Agents,
    issue: np.ndarray,
    cust: np.ndarray,
    reason: np.ndarray,
    media: np.ndarray,
    t: np.ndarray,
    attempt: int,
    unidentified: np.ndarray,
) -> dict[str, np.ndarray]:
    """One attempt per active issue: outcome, durations, legs, agents, resolution."""
    n = issue.size
    U = rng.random((n, 24))
    Z = rng.standard_normal((n, 12))
    pc = P.R_CONTAIN[reason]
    is_bot, is_voice = media == P.BOT, media == P.VOICE
    p_self = np.where(is_bot, pc, np.where(is_voice, P.IVR_CONTAIN_FACTOR * pc, 0.0))
    p_ivr_ab = np.where(is_bot, (1 - pc) * P.P_BOT_ABANDON_OF_NOT_CONTAINED, np.where(is_voice, P.P_IVR_ABANDON_VOICE, 0.0))
    p_defl = np.where(is_bot, (1 - pc) * (1 - P.P_BOT_ABANDON_OF_NOT_CONTAINED), 0.0)
    p_qab = np.where(is_bot, 0.0, (1 - p_self - p_ivr_ab) * P.P_QUEUE_ABANDON[media])
    c1 = p_self
    c2 = c1 + p_ivr_ab
    c3 = c2 + p_defl
    c4 = c3 + p_qab
    u = U[:, 0]
    ivr_abandon = (u >= c1) & (u < c2)
    queue_abandon = (u >= c3) & (u < c4) & ~is_bot
    handled = (u >= c4) & ~is_bot
    outcome = np.select(
        [u < c1, ivr_abandon, (u >= c2) & (u < c3) & is_bot, queue_abandon],
        [P.SELF_SERVED, P.ABANDONED, P.DEFLECTED, P.ABANDONED],
        P.ANSWERED,
    )
    outcome = np.where(is_bot & (outcome == P.ANSWERED), P.DEFLECTED, outcome)

    ivr = np.zeros(n)
    for m, ms in P.IVR_S.items():
        sel = media == m
        ivr[sel] = _lognormal(Z[sel, 0], ms)
    ivr = np.where(ivr_abandon, 0.6 * ivr, ivr).astype(np.int64)

    queued = handled | queue_abandon
    # one uniform draw serves both parts of the answered-wait mixture, so no stream shifts
    free = P.IMMEDIATE_ANSWER_SHARE[media]
    u = U[:, 1]
    queued_u = np.clip((u - free) / np.maximum(1 - free, 1e-12), 0, 1 - 1e-12)
    answered_wait = np.where(u < free, 10 * u / np.maximum(free, 1e-12), -P.WAIT_MEAN_S[media] * np.log1p(-queued_u))
    wait = np.where(handled, answered_wait, -P.PATIENCE_MEAN_S * np.log1p(-u))
    # email and social wait in a backlog until the next opening hour
    backlog_mean = np.where(media == P.EMAIL, P.EMAIL_BACKLOG_MEAN_S, P.WAIT_MEAN_S[media])
    ready = t + ivr + (-backlog_mean * np.log1p(-U[:, 2])).astype(np.int64)
    picked = cal.snap_open(ready, U[:, 3] * 1800)
    wait = np.where(_ASYNC_MEDIA[media], picked - t - ivr, wait)
    wait = np.where(queued, np.maximum(wait, 1), 0).astype(np.int64)

    c: dict[str, np.ndarray] = {
        "issue": issue,
        "cust": cust,
        "media": media,
        "direction": np.full(n, P.IN),
        "arrive": t.astype(np.int64),
        "outcome": outcome,
        "identified": U[:, 4] >= unidentified[media],
        "reason": reason,
        # an IVR hang-up never said why the customer called
        "reason_known": ~(ivr_abandon & is_voice),
        "ivr": ivr,
        "attempt": np.full(n, attempt),
        "entry": _ENTRY_START[media] + np.minimum((U[:, 5] * _ENTRY_COUNT[media]).astype(np.int64), _ENTRY_COUNT[media] - 1),
        **_empty_legs(n),
    }
    q0 = np.where(queued, P.ENTRY_QUEUE[media, reason], NO)

    # transfers: nested thresholds so a second transfer needs a first; ping-pong returns to q0
    p_t = np.where(handled, P.R_TRANSFER[reason] * P.TRANSFER_MEDIA_FACTOR[media], 0.0)
    n_tr = (U[:, 6] < p_t).astype(np.int64) + (U[:, 6] < p_t * P.P_SECOND_TRANSFER)
    ping = (n_tr == 2) & (U[:, 7] < P.P_PING_PONG)
    q1 = np.full(n, NO, dtype=np.int64)
    q2 = np.full(n, NO, dtype=np.int64)
    for m, targets in P.TRANSFER_TARGETS.items():
        sel = (media == m) & (n_tr >= 1)
        q1[sel] = _other(U[sel, 8], targets, q0[sel])
        sel2 = sel & (n_tr == 2)
        q2[sel2] = np.where(ping[sel2], q0[sel2], _other(U[sel2, 9], targets, q1[sel2]))
    nlegs = np.where(handled, 1 + n_tr, 1)
    c["nlegs"] = nlegs
    legq = np.stack([q0, q1, q2], axis=1)
    c["leg_queue"] = legq
    present = (np.arange(3)[None, :] < nlegs[:, None]) & handled[:, None]
    agent = np.where(present, agents.pick(U[:, 10:13], np.maximum(legq, 0)), NO)
    c["leg_agent"] = agent
    a_aht = np.where(present, agents.aht[np.maximum(agent, 0)], 0.0)
    final = np.minimum(nlegs - 1, 2)
    talk_med = (P.TALK_MEDIAN_S[media] * P.R_AHT[reason])[:, None] * a_aht
    # a leg that ends in a transfer is shorter: the agent passes the customer on
    leg_factor = np.where(np.arange(3)[None, :] < final[:, None], 0.5, 1.0)
    talk = talk_med * leg_factor * np.exp(P.TALK_SIGMA * Z[:, 1:4])
    hold = np.where((media == P.VOICE)[:, None] & (U[:, 13:16] < P.P_HOLD_VOICE), _lognormal(Z[:, 4:7], P.HOLD_S), 0.0) * a_aht
    wrap = _lognormal(Z[:, 7:10], P.WRAP_S) * a_aht
    c["leg_talk"] = np.where(present, np.maximum(talk, 5), 0).astype(np.int64)
    c["leg_hold"] = np.where(present, hold, 0).astype(np.int64)
    c["leg_wrap"] = np.where(present, wrap, 0).astype(np.int64)
    tw = -P.TRANSFER_WAIT_MEAN_S * np.log1p(-U[:, 16:18])
    c["leg_wait"] = np.stack([wait, np.where(present[:, 1], tw[:, 0], 0).astype(np.int64),
                              np.where(present[:, 2], tw[:, 1], 0).astype(np.int64)], axis=1)

    ident = c["identified"]
    auth0 = np.where(
        ident,
        np.select([is_voice & handled, is_voice, media == P.EMAIL], [1 + (U[:, 18] < P.P_AGENT_REAUTH_VOICE), 1, 0], 1),
        np.where(is_voice, U[:, 18] < 0.5, 0),  # an unidentified caller may have failed a check
    )
    reauth = present[:, 1:] & ident[:, None] & (U[:, 19:21] < P.P_TRANSFER_REAUTH)
    c["leg_auth"] = np.concatenate([auth0[:, None], reauth], axis=1).astype(np.int64)

    # resolution by the final agent; a promised callback defers it to the callback
    fa = np.where(handled, agent[np.arange(n), final], 0)
    team_res = np.array([t["resolve"] for t in P.TEAMS.values()])
    p_res = (P.R_RESOLVE[reason] * P.CHANNEL_RESOLVE_FACTOR[media] * team_res[agents.team[fa]] * agents.resolve[fa]
             * np.where(n_tr > 0, P.TRANSFERRED_RESOLVE_FACTOR, 1.0))
    p_res = np.minimum(p_res, 0.98)
    c["callback"] = handled & is_voice & (U[:, 21] < P.R_CALLBACK[reason])
    c["p_res"] = p_res
    resolved = np.where(handled, (U[:, 22] < p_res) & ~c["callback"], False)
    resolved |= (outcome == P.SELF_SERVED) & (U[:, 23] >= P.P_FALSE_CONTAINMENT)
    c["resolved_here"] = resolved
    c["end"] = _contact_end(c)
    return c


def _agent_contacts(
    rng: np.random.Generator,
    agents: Agents,
    *,
    issue: np.ndarray,
    cust: np.ndarray,
    reason: np.ndarray,
    t: np.ndarray,
    queue: np.ndarray,
    direction: int,
    answered: np.ndarray,
    entry: int,
    talk_median: float,
) -> dict[str, np.ndarray]:
    """Outbound or callback contacts: one voice leg by an agent of the queue's team."""
    n = issue.size
    U = rng.random((n, 3))
    Z = rng.standard_normal((n, 3))
    c: dict[str, np.ndarray] = {
        "issue": issue,
        "cust": cust,
        "media": np.full(n, P.VOICE),
        "direction": np.full(n, direction),
        "arrive": t.astype(np.int64),
        "outcome": np.where(answered, P.ANSWERED, P.ABANDONED),
        "identified": np.ones(n, dtype=bool),
        "reason": reason,
        "reason_known": np.ones(n, dtype=bool),
        "ivr": np.zeros(n, dtype=np.int64),
        "attempt": np.zeros(n, dtype=np.int64),
        "entry": np.full(n, entry),
        "nlegs": np.ones(n, dtype=np.int64),
        "callback": np.zeros(n, dtype=bool),
        "resolved_here": np.zeros(n, dtype=bool),
        **_empty_legs(n),
    }
    agent = agents.pick(U[:, 0], queue)
    a_aht = agents.aht[agent]
    c["leg_queue"][:, 0] = queue
    c["leg_agent"][:, 0] = agent
    c["leg_talk"][:, 0] = np.where(answered, np.maximum(talk_median * P.R_AHT[reason] * a_aht * np.exp(P.TALK_SIGMA * Z[:, 0]), 5), 0)
    c["leg_hold"][:, 0] = np.where(answered & (U[:, 1] < P.P_HOLD_VOICE), _lognormal(Z[:, 1], P.HOLD_S) * a_aht, 0)
    c["leg_wrap"][:, 0] = np.where(answered, _lognormal(Z[:, 2], P.WRAP_S) * a_aht, 0)
    c["leg_auth"][:, 0] = answered
    # an unanswered dial rings for about 25 seconds; the ring is neither wait nor talk
    c["end"] = np.where(answered, _contact_end(c), c["arrive"] + 25)
    c["p_res"] = np.minimum(
        P.R_RESOLVE[reason] * np.array([t["resolve"] for t in P.TEAMS.values()])[agents.team[agent]] * agents.resolve[agent],
        0.98,
    )
    return c


def _concat(chunks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    keys = chunks[0].keys()
    return {k: np.concatenate([ch[k] for ch in chunks]) for k in keys}


@dataclass
class BlockResult:
    """What one block of customers produced, contacts sorted by arrival and numbered."""

    contacts: dict[str, np.ndarray]
    issues: dict[str, np.ndarray]
    realised: dict[str, int]


def simulate_block(
    rng: np.random.Generator,
    cal: Calendar,
    agents: Agents,
    cust_lo: int,
    cust_hi: int,
    unidentified: np.ndarray,
) -> BlockResult:
    """Simulate every issue of customers ``cust_lo <= c < cust_hi`` and their contacts."""
    n_c = cust_hi - cust_lo
    weight = rng.gamma(P.CUSTOMER_ACTIVITY_SHAPE, 1 / P.CUSTOMER_ACTIVITY_SHAPE, n_c)  # some customers have many more issues than others
    k = rng.poisson(P.ISSUES_PER_CUSTOMER_PER_DAY * cal.days * weight)
    i_cust = np.repeat(np.arange(cust_lo, cust_hi, dtype=np.int64), k)
    m = i_cust.size
    i_reason = rng.choice(P.R_SHARE.size, m, p=P.R_SHARE)
    chan = rng.choice(6, m, p=P.FIRST_CHANNEL)
    t = cal.sample_arrivals(rng, _STAFFED_MEDIA[chan])
    i_resolved = np.zeros(m, dtype=bool)
    i_gave_up = np.zeros(m, dtype=bool)
    i_resolve_t = np.zeros(m, dtype=np.int64)
    i_last_end = np.zeros(m, dtype=np.int64)
    realised = {"callbacks_scheduled": 0, "callbacks_kept": 0, "callbacks_late": 0, "callbacks_never_made": 0}

    chunks: list[dict[str, np.ndarray]] = []
    active = np.arange(m)
    cb_team_queue = P.Q["CALLBACKS"]
    for attempt in range(1, P.MAX_ATTEMPTS + 1):
        n = active.size
        if n == 0:
            break
        # retries of agent channels wait for the next opening
        t = np.where(_STAFFED_MEDIA[chan], cal.snap_open(t, np.minimum(rng.exponential(1200, n), 5400)), t)
        seen = t < cal.end
        active, chan, t = active[seen], chan[seen], t[seen]
        n = active.size
        if n == 0:
            break
        c = _inbound_round(rng, cal, agents, active, i_cust[active], i_reason[active], chan, t, attempt, unidentified)
        chunks.append(c)
        last_end = c["end"].copy()
        resolved = c["resolved_here"].copy()

        # scheduled callbacks: kept (same business day or next), late, or never made
        U = rng.random((n, 4))
        cb = c["callback"]
        kind = np.where(U[:, 0] < P.P_CALLBACK_KEPT, 0, np.where(U[:, 0] < P.P_CALLBACK_KEPT + P.P_CALLBACK_LATE, 1, 2))
        lo_h, hi_h = P.CALLBACK_KEPT_DELAY_H
        lo_d, hi_d = P.CALLBACK_LATE_DELAY_D
        delay = np.where(kind == 0, 3600 * (lo_h + (hi_h - lo_h) * U[:, 1]), 86400 * (lo_d + (hi_d - lo_d) * U[:, 1]))
        cb_t = cal.snap_open(c["end"] + delay.astype(np.int64), U[:, 2] * 900)
        made = cb & (kind < 2)
        realised["callbacks_scheduled"] += int(cb.sum())
        realised["callbacks_kept"] += int((cb & (kind == 0)).sum())
        realised["callbacks_late"] += int((cb & (kind == 1)).sum())
        realised["callbacks_never_made"] += int((cb & (kind == 2)).sum())
        if made.any():
            sel = np.flatnonzero(made)
            r = i_reason[active[sel]]
            cbc = _agent_contacts(
                rng, agents, issue=active[sel], cust=i_cust[active[sel]], reason=r, t=cb_t[sel],
                queue=np.full(sel.size, cb_team_queue), direction=P.CALLBACK, answered=np.ones(sel.size, bool),
                entry=len(ENTRY_NAMES) - 1, talk_median=300.0,
            )
            cbc["resolved_here"] = U[sel, 3] < cbc["p_res"]
            resolved[sel] = cbc["resolved_here"]
            last_end[sel] = cbc["end"]
            cbc["attempt"] = np.full(sel.size, attempt)
            chunks.append({k: cbc[k] for k in c})

        i_resolved[active] = resolved
        i_resolve_t[active] = np.where(resolved, last_end, 0)
        i_last_end[active] = last_end

        # what the customer does next
        V = rng.random((n, 4))
        Zd = rng.standard_normal(n)
        out = c["outcome"]
        unresolved_handled = (out == P.ANSWERED) & ~resolved
        false_contained = (out == P.SELF_SERVED) & ~resolved
        go_on = np.select(
            [resolved, out == P.DEFLECTED, (out == P.ABANDONED), unresolved_handled],
            [False, V[:, 0] < P.P_RETRY_AFTER_DEFLECT, V[:, 0] < P.P_RETRY_AFTER_ABANDON,
             V[:, 0] >= P.P_GIVE_UP_AFTER_UNRESOLVED],
            false_contained,
        )
        long = V[:, 1] < P.P_DELAY_UNRESOLVED_LONG
        delay = np.select(
            [out == P.DEFLECTED, out == P.ABANDONED, false_contained],
            [_lognormal(Zd, P.DELAY_DEFLECT), _lognormal(Zd, P.DELAY_ABANDON), _lognormal(Zd, P.DELAY_FALSE_CONTAINMENT)],
            np.where(long, _lognormal(Zd, P.DELAY_UNRESOLVED_LONG), _lognormal(Zd, P.DELAY_UNRESOLVED_SHORT)),
        )
        p_switch = np.select(
            [out == P.DEFLECTED, out == P.ABANDONED, false_contained],
            [1.0, P.P_SWITCH_AFTER_ABANDON, P.P_SWITCH_AFTER_FALSE_CONTAINMENT],
            P.P_SWITCH_AFTER_UNRESOLVED,
        )
        # a bot deflection sends the customer to a live channel
        new_chan = np.where(out == P.DEFLECTED, np.where(V[:, 3] < 0.55, P.VOICE, P.CHAT), _switch_channel(V[:, 3], chan))
        new_chan = np.where(V[:, 2] < p_switch, new_chan, chan)
        i_gave_up[active] = ~resolved & ~go_on
        active, chan, t = active[go_on], new_chan[go_on], last_end[go_on] + delay[go_on].astype(np.int64)

    # outbound campaigns to customers of the block
    n_out = int(rng.poisson(P.OUTBOUND_PER_ISSUE * m)) if m else 0
    if n_out:
        U = rng.random((n_out, 3))
        r_out = np.where(U[:, 0] < 0.6, P.REASON_NAMES.index("PAYMENT_ARRANGEMENT"), P.REASON_NAMES.index("FRAUD_REPORT"))
        q_out = np.where(U[:, 0] < 0.6, P.Q["OUT_COLLECTIONS"], P.Q["OUT_FRAUD_ALERTS"])
        oc = _agent_contacts(
            rng, agents, issue=np.full(n_out, NO), cust=cust_lo + np.minimum((U[:, 1] * n_c).astype(np.int64), n_c - 1),
            reason=r_out, t=cal.sample_arrivals(rng, np.ones(n_out, bool)), queue=q_out, direction=P.OUT,
            answered=U[:, 2] < P.P_OUTBOUND_ANSWERED, entry=len(ENTRY_NAMES) - 2, talk_median=240.0,
        )
        chunks.append({k: oc[k] for k in chunks[0]} if chunks else oc)

    if not chunks:
        contacts: dict[str, np.ndarray] = {}
    else:
        contacts = _concat(chunks)
        contacts.pop("p_res", None)
        # a callback made after the period end is not in the export
        seen = contacts["arrive"] < cal.end
        contacts = {k: v[seen] for k, v in contacts.items()}
        order = np.lexsort((np.arange(contacts["arrive"].size), contacts["arrive"]))
        contacts = {k: v[order] for k, v in contacts.items()}
    issues = {
        "cust": i_cust, "reason": i_reason, "resolved": i_resolved, "gave_up": i_gave_up,
        "resolve_t": i_resolve_t, "last_end": i_last_end,
    }
    return BlockResult(contacts, issues, realised)


def fold_notes(rng: np.random.Generator, handled_leg: np.ndarray, transfer_leg: np.ndarray) -> np.ndarray:
    """Note code per leg: a canned phrase for handled legs, null (-1) otherwise."""
    u = rng.random(handled_leg.size)
    n_t = len(NOTE_NAMES) - _N_HANDLED_NOTES
    code = np.where(
        transfer_leg,
        _N_HANDLED_NOTES + np.minimum((u * n_t).astype(np.int64), n_t - 1),
        np.minimum((u * _N_HANDLED_NOTES).astype(np.int64), _N_HANDLED_NOTES - 1),
    )
    return np.where(handled_leg, code, NO)


def cases_for_block(
    rng: np.random.Generator, cal: Calendar, contacts: dict[str, np.ndarray], issues: dict[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """CRM cases of the block's issues, and the case index (-1 none) of every contact.

    A case is opened at an issue's first handled inbound contact with an identified customer;
    later handled contacts of the issue (callbacks too) are linked to it.
    """
    m = issues["cust"].size
    U = rng.random((m, 4))
    Z = rng.standard_normal(m)
    n = contacts["arrive"].size
    idx = np.arange(n)
    origin_ok = (contacts["outcome"] == P.ANSWERED) & (contacts["direction"] == P.IN) & contacts["identified"]
    cand = idx[origin_ok & (contacts["issue"] >= 0)]
    iss = contacts["issue"][cand]
    # contacts are sorted by arrival, so the first occurrence per issue is the earliest
    first_issue, first_pos = np.unique(iss, return_index=True)
    origin = np.full(m, NO, dtype=np.int64)
    origin[first_issue] = cand[first_pos]
    has_case = (origin >= 0) & (U[:, 0] < P.R_CASE[issues["reason"]])
    case_issues = np.flatnonzero(has_case)
    case_issues = case_issues[np.argsort(origin[case_issues], kind="stable")]  # number by origin order
    case_of_issue = np.full(m, NO, dtype=np.int64)
    case_of_issue[case_issues] = np.arange(case_issues.size)
    c_issue = contacts["issue"]
    c_case = np.where(c_issue >= 0, case_of_issue[np.maximum(c_issue, 0)], NO)
    linked = (c_case >= 0) & (contacts["outcome"] == P.ANSWERED) & (idx >= origin[np.maximum(c_issue, 0)])
    c_case = np.where(linked, c_case, NO)
    later = np.bincount(c_case[linked], minlength=case_issues.size) - 1

    ci = case_issues
    slow = np.isin(np.array(P.REASON_NAMES)[issues["reason"][ci]], P.SLOW_CASE_REASONS)
    close_med = np.where(slow, P.CASE_CLOSE_MEDIAN_S["slow"], P.CASE_CLOSE_MEDIAN_S["default"])
    resolved_close = issues["resolve_t"][ci] + (close_med * np.exp(Z[ci])).astype(np.int64)
    autoclose = issues["last_end"][ci] + (86400 * (3.5 + 7 * U[ci, 1])).astype(np.int64)
    closed_at = np.where(
        issues["resolved"][ci], resolved_close,
        np.where(issues["gave_up"][ci] & (U[ci, 2] < P.P_CASE_AUTOCLOSE_AFTER_GIVE_UP), autoclose, NO),
    )
    # the CRM export is taken at the period end: a later closure is not visible yet
    closed_at = np.where(closed_at >= cal.end, NO, closed_at)
    reopen = rng.binomial(np.maximum(later, 0), P.P_REOPEN_PER_LATER_CONTACT)
    origin_c = origin[ci]
    cases = {
        "origin": origin_c,
        "cust": issues["cust"][ci],
        "created": contacts["end"][origin_c],
        "closed": closed_at,
        "reopen": reopen,
        "reason": issues["reason"][ci],
        "status": np.where(closed_at >= 0, 0, np.where(reopen > 0, 2, 1)),  # Closed, Open, Reopened
    }
    return cases, c_case


CASE_STATUS = ("Closed", "Open", "Reopened")


def surveys_for_block(rng: np.random.Generator, contacts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Survey invitations after handled inbound contacts, with response bias.

    Satisfaction follows customer-perceived resolution, transfers, attempts and wait; unhappy and
    very happy customers answer more often, and resolved ones more than unresolved.
    """
    n = contacts["arrive"].size
    U = rng.random((n, 10))
    Z = rng.standard_normal((n, 4))
    ok = (
        (contacts["outcome"] == P.ANSWERED) & (contacts["direction"] == P.IN) & contacts["identified"]
        & (contacts["media"] != P.BOT) & (U[:, 0] < P.P_SURVEY_INVITE)
    )
    sel = np.flatnonzero(ok)
    U, Z = U[sel], Z[sel]
    res = contacts["resolved_here"][sel]
    transfers = contacts["nlegs"][sel] - 1
    says = U[:, 1] < np.where(res, P.P_SAYS_RESOLVED_IF_RESOLVED, P.P_SAYS_RESOLVED_IF_NOT)
    # waiting on the line hurts; an inbox's response time of hours is expected and is not
    # read as ten minutes on hold would be
    live = np.isin(contacts["media"][sel], (P.VOICE, P.CHAT))
    line_wait = np.where(live, np.minimum(contacts["leg_wait"][sel, 0], 1800), 0)
    z = (1.6 * says - 0.35 * transfers - 0.45 * np.minimum(contacts["attempt"][sel] - 1, 4)
         - line_wait / 600 + Z[:, 0] - 0.6)
    csat = 1 + np.digitize(z, [-1.3, -0.5, 0.3, 1.1])
    p_resp = P.RESPONSE_RATE_BY_CSAT[csat - 1] * np.where(res, P.RESPONSE_FACTOR_RESOLVED, P.RESPONSE_FACTOR_UNRESOLVED)
    responded = U[:, 2] < p_resp
    nps = np.clip(np.round(2.2 * csat - 1.5 + 1.2 * Z[:, 1]), 0, 10).astype(np.int64)
    ces = np.clip(np.round(1.2 * csat + 1 - 0.5 * transfers + 0.9 * Z[:, 2]), 1, 7).astype(np.int64)
    sent = contacts["end"][sel] + (600 + 10200 * U[:, 3]).astype(np.int64)
    resp_t = sent + (4 * 3600 * np.exp(1.2 * Z[:, 3])).astype(np.int64)
    n_v = np.array([len(P.VERBATIMS[k]) for k in range(1, 6)])
    return {
        "contact": sel,
        "sent": sent,
        "responded": np.where(responded, resp_t, NO),
        "csat": np.where(responded & (U[:, 4] >= P.P_CSAT_SKIPPED), csat, NO),
        "nps": np.where(responded, nps, NO),
        "ces": np.where(responded, ces, NO),
        "resolved": np.where(responded & (U[:, 5] >= P.P_RESOLVED_SKIPPED), says.astype(np.int64), NO),
        "verbatim_band": np.where(responded & (U[:, 6] < P.P_VERBATIM), csat, NO),
        "verbatim_pick": np.minimum((U[:, 7] * n_v[csat - 1]).astype(np.int64), n_v[csat - 1] - 1),
        "true_csat": csat,
    }


def qa_for_block(rng: np.random.Generator, agents: Agents, contacts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """QA evaluations of a sample of handled inbound contacts (the final leg's agent).

    The form has no resolution item and rewards short contacts, so it favours short-AHT agents.
    """
    n = contacts["arrive"].size
    U = rng.random((n, 2 + len(P.QA_ITEMS)))
    final = np.minimum(contacts["nlegs"] - 1, 2)
    agent = contacts["leg_agent"][np.arange(n), final]
    ok = (contacts["outcome"] == P.ANSWERED) & (contacts["direction"] == P.IN) & (agent >= 0) & (U[:, 0] < P.QA_SHARE)
    sel = np.flatnonzero(ok)
    a = agent[sel]
    p_fail = np.where(
        agents.short_aht[a][:, None], P.QA_FAIL_P_SHORT_AHT[None, :],
        np.where(agents.slow[a][:, None], P.QA_FAIL_P_SLOW[None, :], P.QA_FAIL_P[None, :]),
    )
    failed = U[sel, 2:] < p_fail
    mask = (failed * (1 << np.arange(len(P.QA_ITEMS)))[None, :]).sum(axis=1)
    score = 100 - (failed * P.QA_WEIGHTS[None, :]).sum(axis=1)
    eval_t = contacts["end"][sel] + 86400 * (1 + np.minimum((U[sel, 1] * 5).astype(np.int64), 4))
    return {"contact": sel, "agent": a, "eval_t": eval_t, "score": score, "failed_mask": mask}


QA_FAILED_TEXT: tuple[str, ...] = tuple(
    ";".join(item for k, item in enumerate(P.QA_ITEMS) if mask >> k & 1) for mask in range(1 << len(P.QA_ITEMS))
)


def wfm_counts(cal: Calendar, contacts: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Offered and handled per (queue, 30-minute interval), and handle seconds per queue.

    A contact is offered to its first queue in the interval in which it entered the queue.
    """
    n_int = (cal.end - cal.start) // (P.INTERVAL_MINUTES * 60)
    nq = len(P.QUEUES)
    q = contacts["leg_queue"][:, 0]
    inbound = (contacts["direction"] == P.IN) & (q >= 0)
    b = (contacts["arrive"] + contacts["ivr"] - cal.start) // (P.INTERVAL_MINUTES * 60)
    ok = inbound & (b >= 0) & (b < n_int)
    key = q[ok] * n_int + b[ok]
    offered = np.bincount(key, minlength=nq * n_int).reshape(nq, n_int)
    handled = np.bincount(key, weights=(contacts["outcome"][ok] == P.ANSWERED), minlength=nq * n_int).reshape(nq, n_int)
    lq = contacts["leg_queue"]
    has = (lq >= 0) & (contacts["leg_agent"] >= 0)
    work = contacts["leg_talk"] + contacts["leg_hold"] + contacts["leg_wrap"]
    secs = np.bincount(lq[has], weights=work[has], minlength=nq)
    cnt = np.bincount(lq[has], minlength=nq)
    return offered, handled.astype(np.int64), secs, cnt
