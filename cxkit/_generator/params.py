"""Every planted parameter of the synthetic contact center, declared as data.

The simulation reads these tables and ``truth.json`` reports them verbatim, so what was planted
is never restated by hand. Shares and probabilities are per attempt unless said otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Coded values written to the raw export (a vendor's spelling, not the canonical one).
MEDIA = ("VOICE", "CHAT", "EMAIL", "MESSAGING", "SOCIAL", "BOT")
VOICE, CHAT, EMAIL, MESSAGING, SOCIAL, BOT = range(6)
DIRECTIONS = ("IN", "OUT", "CALLBACK")
IN, OUT, CALLBACK = range(3)
DISPOSITIONS = ("ANSWERED", "ABANDONED", "SELF_SERVED", "DEFLECTED")
ANSWERED, ABANDONED, SELF_SERVED, DEFLECTED = range(4)

# Calibrated: a customer makes about 0.6 contacts (all directions, legs folded) in 31 days, as
# in a retail bank's whole customer base. At 2.5 contacts per customer the independent issues
# of one customer inside 7 days alone would push repeat share above 40% and FCR below 55%.
# ``customers_for_contacts`` inverts this ratio.
CONTACTS_PER_CUSTOMER_31D = 0.6
ISSUES_PER_CUSTOMER_PER_DAY = 0.012
# Customers differ in how often they have issues (gamma weights, mean 1); the busier ones are
# the ones who contact, so independent issues of one customer inside 7 days are not rare.
CUSTOMER_ACTIVITY_SHAPE = 4.0

# reason: share of issues, P(resolved | handled), P(transfer | handled voice), P(contained by
# bot), P(case opened), handle-time factor. Resolution differs by reason on purpose: the
# diagnostics must find BILLING_DISPUTE and COMPLAINT as the repeat drivers.
REASONS: dict[str, dict[str, float]] = {
    "BALANCE_ENQUIRY": {"share": 0.17, "p_resolve": 0.97, "p_transfer": 0.03, "p_contain": 0.70, "p_case": 0.02, "aht": 0.60},
    "ADDRESS_CHANGE": {"share": 0.09, "p_resolve": 0.93, "p_transfer": 0.05, "p_contain": 0.40, "p_case": 0.30, "aht": 0.80},
    "CARD_LOST": {"share": 0.10, "p_resolve": 0.9, "p_transfer": 0.10, "p_contain": 0.30, "p_case": 0.50, "aht": 1.00},
    "DIRECT_DEBIT": {"share": 0.06, "p_resolve": 0.88, "p_transfer": 0.08, "p_contain": 0.25, "p_case": 0.20, "aht": 0.85},
    "PAYMENT_ARRANGEMENT": {"share": 0.12, "p_resolve": 0.8, "p_transfer": 0.12, "p_contain": 0.10, "p_case": 0.45, "aht": 1.10},
    "FRAUD_REPORT": {"share": 0.06, "p_resolve": 0.78, "p_transfer": 0.25, "p_contain": 0.00, "p_case": 0.90, "aht": 1.30},
    "TECH_LOGIN": {"share": 0.14, "p_resolve": 0.72, "p_transfer": 0.18, "p_contain": 0.35, "p_case": 0.25, "aht": 1.20},
    "BILLING_DISPUTE": {"share": 0.17, "p_resolve": 0.62, "p_transfer": 0.22, "p_contain": 0.02, "p_case": 0.60, "aht": 1.25},
    "COMPLAINT": {"share": 0.09, "p_resolve": 0.55, "p_transfer": 0.28, "p_contain": 0.00, "p_case": 0.85, "aht": 1.40},
}
REASON_NAMES = tuple(REASONS)
R_SHARE = np.array([r["share"] for r in REASONS.values()])
R_SHARE = R_SHARE / R_SHARE.sum()
R_RESOLVE = np.array([r["p_resolve"] for r in REASONS.values()])
R_TRANSFER = np.array([r["p_transfer"] for r in REASONS.values()])
R_CONTAIN = np.array([r["p_contain"] for r in REASONS.values()])
R_CASE = np.array([r["p_case"] for r in REASONS.values()])
R_AHT = np.array([r["aht"] for r in REASONS.values()])
R_CALLBACK = np.where(np.isin(REASON_NAMES, ("BILLING_DISPUTE", "COMPLAINT", "FRAUD_REPORT")), 0.10, 0.03)

FIRST_CHANNEL = np.array([0.48, 0.17, 0.08, 0.07, 0.04, 0.16])  # by MEDIA order
# A switching customer picks from these weights, never the channel just used.
SWITCH_TO = np.array([0.45, 0.25, 0.10, 0.10, 0.05, 0.05])

# Share of attempts whose record carries no customer id, by media (the null_customer defect
# raises CHAT to NULL_CUSTOMER_DEFECT_SHARE).
UNIDENTIFIED = np.array([0.08, 0.22, 0.03, 0.05, 0.35, 0.45])
NULL_CUSTOMER_DEFECT_MEDIA = CHAT
NULL_CUSTOMER_DEFECT_SHARE = 0.60

# Queue abandonment per attempt that reaches a queue, and IVR / bot behaviour.
P_QUEUE_ABANDON = np.array([0.07, 0.09, 0.0, 0.03, 0.02, 0.0])
P_IVR_ABANDON_VOICE = 0.04
IVR_CONTAIN_FACTOR = 0.35  # the voice IVR contains this fraction of what the bot would
P_BOT_ABANDON_OF_NOT_CONTAINED = 0.30  # the rest of the not-contained bot sessions deflect
P_FALSE_CONTAINMENT = 0.15  # contained sessions whose issue is in fact not solved
CHANNEL_RESOLVE_FACTOR = np.array([1.0, 0.97, 0.88, 0.95, 0.85, 1.0])
TRANSFER_MEDIA_FACTOR = np.array([1.0, 0.6, 0.3, 0.5, 0.3, 0.0])
P_SECOND_TRANSFER = 0.25
P_PING_PONG = 0.5  # of contacts with two transfers, the third leg returns to the first queue
TRANSFERRED_RESOLVE_FACTOR = 0.85

# What a customer does after an attempt that did not solve the issue.
P_RETRY_AFTER_ABANDON = 0.75
P_RETRY_AFTER_DEFLECT = 0.92
P_GIVE_UP_AFTER_UNRESOLVED = 0.12
P_SWITCH_AFTER_ABANDON = 0.25
P_SWITCH_AFTER_UNRESOLVED = 0.28
P_SWITCH_AFTER_FALSE_CONTAINMENT = 0.80
MAX_ATTEMPTS = 10
# Repeat delays (lognormal median seconds, sigma); unresolved handled contacts come back after a
# mixture of "next day" and "several days" delays, so some repeats fall beyond 7 days.
DELAY_ABANDON = (25 * 60, 1.3)
DELAY_DEFLECT = (4 * 60, 0.8)
DELAY_FALSE_CONTAINMENT = (6 * 3600, 1.2)
DELAY_UNRESOLVED_SHORT = (18 * 3600, 0.9)
DELAY_UNRESOLVED_LONG = (3.2 * 86400, 0.7)
P_DELAY_UNRESOLVED_LONG = 0.45

# Scheduled callbacks promised at the end of a handled inbound voice contact.
P_CALLBACK_KEPT = 0.75
P_CALLBACK_LATE = 0.10  # the rest are never made
CALLBACK_KEPT_DELAY_H = (0.5, 5.0)
CALLBACK_LATE_DELAY_D = (2.5, 5.0)

# Outbound campaigns (collections, fraud alerts), per inbound issue.
OUTBOUND_PER_ISSUE = 0.06
P_OUTBOUND_ANSWERED = 0.55

# Durations: lognormal (median seconds, sigma) by media.
IVR_S = {VOICE: (50, 0.5), CHAT: (20, 0.4), BOT: (150, 0.6)}
WAIT_MEAN_S = np.array([75.0, 50.0, 0.0, 240.0, 1800.0, 0.0])  # exponential, answered
# share of answered contacts that find an agent free and wait under 10 s; the rest queue with
# the exponential wait above (a pure exponential gives a voice service level near 20%, far
# below any real center's)
IMMEDIATE_ANSWER_SHARE = np.array([0.55, 0.5, 0.0, 0.3, 0.0, 0.0])
PATIENCE_MEAN_S = 110.0  # exponential wait of queue abandons
EMAIL_BACKLOG_MEAN_S = 3 * 3600.0
TRANSFER_WAIT_MEAN_S = 40.0
TALK_MEDIAN_S = np.array([320.0, 540.0, 300.0, 780.0, 260.0, 0.0])
TALK_SIGMA = 0.55
P_HOLD_VOICE = 0.35
HOLD_S = (55, 0.7)
WRAP_S = (50, 0.5)

# Teams: queues served, handle-time factor, resolution factor, share of agents.
TEAMS: dict[str, dict[str, Any]] = {
    "T_GENERAL": {"queues": ("V_GENERAL", "CALLBACKS"), "aht": 1.00, "resolve": 1.00, "share": 0.22},
    "T_CARDS": {"queues": ("V_CARDS_FRAUD", "OUT_FRAUD_ALERTS"), "aht": 1.05, "resolve": 1.02, "share": 0.12},
    "T_BILLING": {"queues": ("V_BILLING", "OUT_COLLECTIONS"), "aht": 0.95, "resolve": 0.95, "share": 0.18},
    "T_TECH": {"queues": ("V_TECH", "CHAT_TECH"), "aht": 1.15, "resolve": 0.97, "share": 0.13},
    "T_COMPLAINTS": {"queues": ("V_COMPLAINTS",), "aht": 1.30, "resolve": 1.05, "share": 0.08},
    "T_DIGITAL": {"queues": ("CHAT_GENERAL", "MSG_GENERAL", "SOCIAL_CARE"), "aht": 0.90, "resolve": 0.93, "share": 0.20},
    "T_BACKOFFICE": {"queues": ("EMAIL_BACKOFFICE",), "aht": 1.00, "resolve": 1.00, "share": 0.07},
}
TEAM_NAMES = tuple(TEAMS)
QUEUES = tuple(q for t in TEAMS.values() for q in t["queues"])
QUEUE_TEAM = np.array([i for i, t in enumerate(TEAMS.values()) for _ in t["queues"]])
Q = {name: i for i, name in enumerate(QUEUES)}
QUEUE_MEDIA = {
    "V_GENERAL": VOICE, "CALLBACKS": VOICE, "V_CARDS_FRAUD": VOICE, "OUT_FRAUD_ALERTS": VOICE,
    "V_BILLING": VOICE, "OUT_COLLECTIONS": VOICE, "V_TECH": VOICE, "CHAT_TECH": CHAT,
    "V_COMPLAINTS": VOICE, "CHAT_GENERAL": CHAT, "MSG_GENERAL": MESSAGING, "SOCIAL_CARE": SOCIAL,
    "EMAIL_BACKOFFICE": EMAIL,
}
INBOUND_QUEUES = tuple(q for q in QUEUES if q not in ("CALLBACKS", "OUT_FRAUD_ALERTS", "OUT_COLLECTIONS"))
# queue of an inbound attempt by (media, reason); -1 = no agent queue (bot)
_VOICE_Q = {
    "BALANCE_ENQUIRY": "V_GENERAL", "ADDRESS_CHANGE": "V_GENERAL", "DIRECT_DEBIT": "V_GENERAL",
    "CARD_LOST": "V_CARDS_FRAUD", "FRAUD_REPORT": "V_CARDS_FRAUD", "PAYMENT_ARRANGEMENT": "V_BILLING",
    "BILLING_DISPUTE": "V_BILLING", "TECH_LOGIN": "V_TECH", "COMPLAINT": "V_COMPLAINTS",
}
ENTRY_QUEUE = np.full((len(MEDIA), len(REASON_NAMES)), -1, dtype=np.int64)
for _j, _r in enumerate(REASON_NAMES):
    ENTRY_QUEUE[VOICE, _j] = Q[_VOICE_Q[_r]]
    ENTRY_QUEUE[CHAT, _j] = Q["CHAT_TECH" if _r == "TECH_LOGIN" else "CHAT_GENERAL"]
    ENTRY_QUEUE[EMAIL, _j] = Q["EMAIL_BACKOFFICE"]
    ENTRY_QUEUE[MESSAGING, _j] = Q["MSG_GENERAL"]
    ENTRY_QUEUE[SOCIAL, _j] = Q["SOCIAL_CARE"]
# a transfer goes to another queue of the same media (voice queues only for voice)
TRANSFER_TARGETS = {
    VOICE: np.array([Q[q] for q in ("V_GENERAL", "V_CARDS_FRAUD", "V_BILLING", "V_TECH", "V_COMPLAINTS")]),
    CHAT: np.array([Q["CHAT_GENERAL"], Q["CHAT_TECH"], Q["V_GENERAL"]]),
    EMAIL: np.array([Q["EMAIL_BACKOFFICE"], Q["V_COMPLAINTS"]]),
    MESSAGING: np.array([Q["MSG_GENERAL"], Q["CHAT_GENERAL"]]),
    SOCIAL: np.array([Q["SOCIAL_CARE"], Q["V_COMPLAINTS"]]),
}
ENTRY_POINTS = {
    VOICE: ("0800-MAIN", "0345-CARDS"),
    CHAT: ("WEB_CHAT", "APP_CHAT"),
    EMAIL: ("help@mailbox",),
    MESSAGING: ("WHATSAPP", "APP_MSG"),
    SOCIAL: ("TWITTER_DM", "FACEBOOK"),
    BOT: ("WEB_BOT", "APP_BOT"),
}
ENTRY_OUTBOUND = "DIALLER"
ENTRY_CALLBACK = "CALLBACK_SCHEDULER"

# Agents: headcount scales with customers; inside every team a planted share of "short-AHT"
# agents is fast because they do not resolve (lower resolution, more repeats).
AGENTS_PER_CUSTOMER = 0.0021
MIN_AGENTS_PER_TEAM = 4
SHORT_AHT_SHARE = 0.10
SHORT_AHT_FACTOR = 0.60
SHORT_AHT_RESOLVE_FACTOR = 0.72
AGENT_AHT_SIGMA = 0.12
AGENT_RESOLVE_SD = 0.05

# Identity checks per leg.
P_AGENT_REAUTH_VOICE = 0.5  # agent repeats ID&V after the IVR check
P_TRANSFER_REAUTH = 0.65

# Cases.
CASE_CLOSE_MEDIAN_S = {"default": 2 * 3600, "slow": 2 * 86400}
SLOW_CASE_REASONS = ("BILLING_DISPUTE", "COMPLAINT", "FRAUD_REPORT")
P_CASE_AUTOCLOSE_AFTER_GIVE_UP = 0.5
P_REOPEN_PER_LATER_CONTACT = 0.45

# Surveys: invitation share of handled, identified inbound contacts; response bias.
P_SURVEY_INVITE = 0.35
RESPONSE_RATE_BY_CSAT = np.array([0.30, 0.17, 0.10, 0.13, 0.24])  # csat 1..5: U-shaped bias
RESPONSE_FACTOR_RESOLVED = 1.20
RESPONSE_FACTOR_UNRESOLVED = 0.85
P_SAYS_RESOLVED_IF_RESOLVED = 0.90
P_SAYS_RESOLVED_IF_NOT = 0.20
P_CSAT_SKIPPED = 0.04
P_RESOLVED_SKIPPED = 0.08
P_VERBATIM = 0.40

# QA: a form that scores the fast agents well because it never asks whether the issue was
# resolved; items and weights sum to 100.
QA_SHARE = 0.03
QA_ITEMS = ("GREETING", "ID_AND_V", "HOLD_ETIQUETTE", "CALL_CONTROL", "EFFICIENCY_TARGET",
            "COMPLIANCE_SCRIPT", "EMPATHY", "CLOSING")
QA_WEIGHTS = np.array([5, 15, 10, 15, 15, 20, 10, 10])
QA_FAIL_P = np.array([0.05, 0.06, 0.12, 0.15, 0.20, 0.05, 0.12, 0.08])
QA_FAIL_P_SHORT_AHT = np.array([0.05, 0.06, 0.05, 0.04, 0.03, 0.05, 0.12, 0.08])
QA_FAIL_P_SLOW = np.array([0.05, 0.06, 0.12, 0.20, 0.45, 0.05, 0.08, 0.08])  # aht factor > 1.15

# WFM.
INTERVAL_MINUTES = 30
FORECAST_SIGMA = 0.12
FORECAST_MONDAY_BIAS = 0.85  # forecasts under-call Mondays
OCCUPANCY_TARGET = 0.80
SHRINKAGE_MEAN = 0.12

NOTES = {
    "handled": ("Advised customer", "Resolved on call", "Explained next steps", "Customer satisfied",
                "Follow-up needed", "Reviewed account", "Sent confirmation"),
    "transfer": ("Transferred to specialist", "Warm transfer", "Wrong queue, transferred"),
}
CASE_SUBJECTS = {
    "BALANCE_ENQUIRY": "Balance query", "ADDRESS_CHANGE": "Change of address", "CARD_LOST": "Lost card",
    "DIRECT_DEBIT": "Direct debit setup", "PAYMENT_ARRANGEMENT": "Payment plan request",
    "FRAUD_REPORT": "Suspicious transaction", "TECH_LOGIN": "Cannot log in",
    "BILLING_DISPUTE": "Disputed charge", "COMPLAINT": "Customer complaint",
}
VERBATIMS = {
    1: ("Still not sorted", "Had to call again", "Nobody called me back", "Waste of time"),
    2: ("Took too long", "Passed around", "Not resolved"),
    3: ("OK", "Fine I guess", "Average service"),
    4: ("Helpful agent", "Good", "Quick answer"),
    5: ("Excellent service", "Sorted first time", "Very helpful, thanks"),
}


def planted_parameters() -> dict[str, Any]:
    """Every planted parameter as JSON-ready data (the ``parameters`` section of truth)."""
    return {
        "contacts_per_customer_per_31_days": CONTACTS_PER_CUSTOMER_31D,
        "issues_per_customer_per_day": ISSUES_PER_CUSTOMER_PER_DAY,
        "customer_activity_gamma_shape": CUSTOMER_ACTIVITY_SHAPE,
        "reasons": REASONS,
        "callback_request_prob_by_reason": dict(zip(REASON_NAMES, R_CALLBACK.tolist())),
        "first_channel_share": dict(zip(MEDIA, FIRST_CHANNEL.tolist())),
        "channel_switch": {
            "after_abandon": P_SWITCH_AFTER_ABANDON,
            "after_unresolved_handled": P_SWITCH_AFTER_UNRESOLVED,
            "after_false_containment": P_SWITCH_AFTER_FALSE_CONTAINMENT,
            "after_bot_deflection": 1.0,
            "target_weights": dict(zip(MEDIA, SWITCH_TO.tolist())),
        },
        "unidentified_share_by_media": dict(zip(MEDIA, UNIDENTIFIED.tolist())),
        "containment": {
            "bot_contain_prob_by_reason": dict(zip(REASON_NAMES, R_CONTAIN.tolist())),
            "ivr_contain_factor": IVR_CONTAIN_FACTOR,
            "bot_abandon_of_not_contained": P_BOT_ABANDON_OF_NOT_CONTAINED,
            "false_containment": P_FALSE_CONTAINMENT,
        },
        "abandonment": {
            "queue_abandon_by_media": dict(zip(MEDIA, P_QUEUE_ABANDON.tolist())),
            "ivr_abandon_voice": P_IVR_ABANDON_VOICE,
        },
        "resolution": {
            "by_reason": dict(zip(REASON_NAMES, R_RESOLVE.tolist())),
            "channel_factor": dict(zip(MEDIA, CHANNEL_RESOLVE_FACTOR.tolist())),
            "transferred_factor": TRANSFERRED_RESOLVE_FACTOR,
            "note": "P(resolved) = reason x channel x team x agent (x transferred factor), capped at 0.98",
        },
        "transfers": {
            "by_reason_voice": dict(zip(REASON_NAMES, R_TRANSFER.tolist())),
            "media_factor": dict(zip(MEDIA, TRANSFER_MEDIA_FACTOR.tolist())),
            "second_transfer": P_SECOND_TRANSFER,
            "ping_pong_of_two_transfers": P_PING_PONG,
        },
        "repeat_behaviour": {
            "retry_after_abandon": P_RETRY_AFTER_ABANDON,
            "retry_after_deflect": P_RETRY_AFTER_DEFLECT,
            "give_up_after_unresolved": P_GIVE_UP_AFTER_UNRESOLVED,
            "max_attempts_per_issue": MAX_ATTEMPTS,
            "delay_lognormal_median_s_sigma": {
                "after_abandon": DELAY_ABANDON,
                "after_deflect": DELAY_DEFLECT,
                "after_false_containment": DELAY_FALSE_CONTAINMENT,
                "after_unresolved_short": DELAY_UNRESOLVED_SHORT,
                "after_unresolved_long": DELAY_UNRESOLVED_LONG,
                "share_long": P_DELAY_UNRESOLVED_LONG,
            },
        },
        "callbacks": {
            "kept": P_CALLBACK_KEPT,
            "late": P_CALLBACK_LATE,
            "never_made": round(1 - P_CALLBACK_KEPT - P_CALLBACK_LATE, 6),
            "kept_delay_hours_uniform": CALLBACK_KEPT_DELAY_H,
            "late_delay_days_uniform": CALLBACK_LATE_DELAY_D,
        },
        "outbound": {"per_issue": OUTBOUND_PER_ISSUE, "answered": P_OUTBOUND_ANSWERED},
        "teams": {k: {**v, "queues": list(v["queues"])} for k, v in TEAMS.items()},
        "agents": {
            "per_customer": AGENTS_PER_CUSTOMER,
            "short_aht_share": SHORT_AHT_SHARE,
            "short_aht_aht_factor": SHORT_AHT_FACTOR,
            "short_aht_resolve_factor": SHORT_AHT_RESOLVE_FACTOR,
            "aht_lognormal_sigma": AGENT_AHT_SIGMA,
            "resolve_factor_sd": AGENT_RESOLVE_SD,
        },
        "durations": {
            "ivr_lognormal_median_s_sigma": {MEDIA[k]: v for k, v in IVR_S.items()},
            "wait_mean_s_answered": dict(zip(MEDIA, WAIT_MEAN_S.tolist())),
            "immediate_answer_share": dict(zip(MEDIA, IMMEDIATE_ANSWER_SHARE.tolist())),
            "patience_mean_s": PATIENCE_MEAN_S,
            "email_backlog_mean_s": EMAIL_BACKLOG_MEAN_S,
            "talk_median_s": dict(zip(MEDIA, TALK_MEDIAN_S.tolist())),
            "hold_prob_voice": P_HOLD_VOICE,
        },
        "surveys": {
            "invite_share": P_SURVEY_INVITE,
            "response_rate_by_csat": dict(zip(range(1, 6), RESPONSE_RATE_BY_CSAT.tolist())),
            "response_factor_resolved": RESPONSE_FACTOR_RESOLVED,
            "response_factor_unresolved": RESPONSE_FACTOR_UNRESOLVED,
            "says_resolved_if_resolved": P_SAYS_RESOLVED_IF_RESOLVED,
            "says_resolved_if_not": P_SAYS_RESOLVED_IF_NOT,
        },
        "qa": {
            "share_of_handled_inbound": QA_SHARE,
            "items": dict(zip(QA_ITEMS, QA_WEIGHTS.tolist())),
            "fail_prob": dict(zip(QA_ITEMS, QA_FAIL_P.tolist())),
            "fail_prob_short_aht_agents": dict(zip(QA_ITEMS, QA_FAIL_P_SHORT_AHT.tolist())),
            "fail_prob_slow_agents": dict(zip(QA_ITEMS, QA_FAIL_P_SLOW.tolist())),
            "bias": "The form has no resolution item and rewards short calls (CALL_CONTROL, "
            "EFFICIENCY_TARGET, HOLD_ETIQUETTE), so short-AHT agents, who resolve less, score "
            "higher than the others.",
        },
        "wfm": {
            "interval_minutes": INTERVAL_MINUTES,
            "forecast_lognormal_sigma": FORECAST_SIGMA,
            "forecast_monday_bias": FORECAST_MONDAY_BIAS,
            "occupancy_target": OCCUPANCY_TARGET,
            "shrinkage_mean": SHRINKAGE_MEAN,
        },
        "cases": {
            "close_median_s": CASE_CLOSE_MEDIAN_S,
            "slow_reasons": list(SLOW_CASE_REASONS),
            "autoclose_after_give_up": P_CASE_AUTOCLOSE_AFTER_GIVE_UP,
            "reopen_per_later_contact": P_REOPEN_PER_LATER_CONTACT,
        },
        "opening_hours": "Mon-Fri 08:00-20:00, Sat 09:00-17:00 local for agent channels; the bot, "
        "email and social receive 24/7 (email and social are picked up in opening hours)",
    }
