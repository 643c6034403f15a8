"""The report's methodology section: definitions in plain language and the parameters in force."""

from __future__ import annotations

import pandas as pd

from cxkit.session import Session

__all__ = ["DEFINITIONS", "definitions_table", "parameters_table", "sources_table"]

#: Plain-language definitions (the exact ones are in docs/METRICS.md).
DEFINITIONS: dict[str, str] = {
    "Contact": "One attempt by a customer to get service in one channel, from arrival to end, "
    "including every transfer inside it.",
    "Repeat contact": "A later inbound contact (any channel, any outcome) from the same identified "
    "customer that arrives within the repeat window after the earlier contact ended.",
    "FCR (repeat-based)": "Share of eligible contacts (inbound, handled by an agent, customer identified, "
    "reason not excluded) that were not followed by a repeat within the window.",
    "FCR (transfer-adjusted)": "As above, and the contact was not transferred.",
    "FCR (case-based)": "The CRM case opened by the contact was closed, never reopened, and no other "
    "contact was linked to it.",
    "FCR (customer-reported)": "Share of survey answers saying the issue was resolved; shown with the "
    "response rate.",
    "Repeat share": "Share of inbound contacts from identified customers that are themselves repeats. "
    "This is the volume a cost model prices; it is a different number from FCR.",
    "Right-censoring": "A contact whose window runs past the end of the data cannot be judged: it is "
    "left out of FCR (never counted as resolved) and the number left out is reported.",
    "End of data": "The latest arrival in the contacts feed, never later than the period end: a period "
    "that runs past the data does not judge the unobserved days as resolved.",
    "Journey": "A customer's chain of contacts in which each arrives within the window after the latest "
    "end of the earlier ones; it ends when no repeat follows (resolved) or the data ends (censored).",
    "Service level": "Answered within the channel's threshold / (answered + abandoned after the short-"
    "abandon threshold).",
    "Abandon rate": "Abandoned from the queue after the short-abandon threshold / offered to a queue. "
    "Hang-ups in the IVR are reported separately.",
    "IVR hang-up rate": "Inbound contacts abandoned before reaching a queue / inbound contacts that entered "
    "the IVR or a bot (IVR seconds above zero).",
    "Containment": "Inbound contacts contained by the IVR or a bot, in any channel / inbound contacts that "
    "entered the IVR or a bot.",
    "Orphans": "Survey answers, QA evaluations and cases whose contact is not in the contacts feed: counted "
    "by the readiness checks and left out of every figure.",
    "AHT": "(talk + hold + after-contact work) / handled contacts of both directions; the median is "
    "shown beside the mean.",
    "Confidence interval": "Every rate carries a 95% Wilson interval and its denominator; segments under "
    "the minimum size are shown but never ranked.",
}

_MEANINGS = {
    "period": "Period diagnosed (local dates, inclusive)",
    "end_of_data_utc": "End of data used for right-censoring (latest arrival, capped at the period end)",
    "customer_pseudonyms": "Customer identifiers replaced by keyed pseudonyms on load",
    "repeat_window_days": "Repeat window (days; a day is exactly 86,400 s)",
    "sensitivity_windows_days": "Windows shown in the FCR sensitivity table",
    "exclude_reasons": "Contact reasons excluded from FCR",
    "min_n": "Minimum segment size to rank",
    "sl_seconds": "Service-level threshold per channel (s)",
    "short_abandon_s": "Short-abandon threshold (s)",
    "callback_promise_business_days": "Callback promise (business days)",
    "case_open_age_days": "Case age counted as overdue (days)",
}


def definitions_table() -> pd.DataFrame:
    """The definitions as a two-column table."""
    return pd.DataFrame({"Term": list(DEFINITIONS), "Definition": list(DEFINITIONS.values())})


def parameters_table(session: Session) -> pd.DataFrame:
    """Every parameter in force for this run, with what it means."""
    rows = []
    for key, value in session.parameters().items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v:g}" if isinstance(v, (int, float)) else f"{k}: {v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value) or "none"
        rows.append({"Parameter": _MEANINGS.get(key, key), "Value": str(value)})
    return pd.DataFrame(rows)


def sources_table(session: Session) -> pd.DataFrame:
    """The sources read: table, origin file name (not its full path), format and columns mapped."""
    from pathlib import Path

    rows = []
    for name, report in session.load_reports.items():
        origin = report.origin
        origin = Path(origin).name if "/" in origin and "(" not in origin else origin
        rows.append(
            {
                "Table": name,
                "Source": origin,
                "Format": report.format,
                "Grain": report.grain,
                "Columns mapped": len(report.mapped),
                "Not provided": ", ".join(c for c in report.unmapped if c != "leg_seq") or "none",
            }
        )
    return pd.DataFrame(rows)
