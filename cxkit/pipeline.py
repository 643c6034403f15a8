"""One run's computation: load the exports once, check them, compute every result once.

:func:`prepare_run` is what ``cxkit run`` does before any report section executes (and what a
section opened on its own does through :func:`cxkit.results.open_run`): it opens the
engagement (each source read and mapped once, the canonical tables materialised once in the
engine), assesses readiness (``readiness.json``), computes every declared result into
``results/``, then evaluates the findings over those results (``findings.json`` and the briefs
of the top findings). The sections then only read and show them.
"""

from __future__ import annotations

import gc
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxkit.config import Engagement, load_engagement

__all__ = ["PreparedRun", "prepare_run", "check_reasons", "check_period_not_empty"]


@dataclass(frozen=True)
class PreparedRun:
    """What :func:`prepare_run` leaves for the rest of the run: its folder, and the
    engagement's customer ids, hashed, kept in memory only, for the privacy scan of every file
    the run writes (:class:`cxkit.privacy.IdentifierSet`)."""

    run_dir: Path
    identifiers: Any = None


def check_period_not_empty(session) -> None:
    """Refuse a run whose period holds no contact: the blocking readiness check
    ``contacts.daily.period_not_empty``, raised before anything is computed (exit code 1), with
    where the export's contacts actually lie."""
    from cxkit.errors import BlockedError

    e = session.engagement
    contacts = session.table("contacts")
    if int(contacts.count().execute()) > 0:
        return
    loaded = session.table("contacts", as_loaded=True)
    rows = int(loaded.count().execute())
    span = loaded.aggregate(first=loaded.arrived_at.min(), last=loaded.arrived_at.max()).execute().iloc[0]
    if rows and span["first"] is not None and span["first"] == span["first"]:
        found = f"the export's {rows:,} contacts arrive from {span['first']} to {span['last']} (UTC)"
    elif rows:
        found = (f"none of the export's {rows:,} contacts has an arrival time that can be read (check the format "
                 "of sources.contacts.columns.arrived_at)")
    else:
        found = "the export has no contact at all"
    raise BlockedError(
        f"contacts: no contact arrives inside the period {e.period.start} to {e.period.end} ({e.timezone}); "
        f"{found}. The report was not run (blocking check contacts.daily.period_not_empty). Fix: set period "
        "in the engagement to the dates of the data, or check sources.contacts.columns.arrived_at (its format "
        "and timezone); `cxkit validate` shows every check."
    )


def check_reasons(session) -> None:
    """Reasons the engagement names under ``cost`` (failure demand, scenario reasons) that no
    contact carries: a configuration problem only the data reveals, reported with the key and
    the fix before anything is computed (every such problem at once).

    Raises
    ------
    ConfigError
        One problem per unknown reason (:func:`cxkit.cost.reason_problems`).
    """
    from cxkit.cost import known_reasons, reason_problems
    from cxkit.errors import ConfigError

    cost = session.engagement.cost
    if not cost.failure_demand_reasons and not any(s.reasons for s in cost.scenarios):
        return  # nothing named: no query
    problems = reason_problems(cost, known_reasons(session.table("contacts")))
    if problems:
        e = session.engagement
        raise ConfigError(f"engagement {e.name!r} ({e.base_dir})", problems)


def prepare_run(
    engagement: Engagement | str | Path,
    run_dir: str | Path,
    *,
    progress: Callable[[str, float], None] | None = None,
) -> PreparedRun:
    """Readiness and every result of ``engagement``, written to ``run_dir``.

    Parameters
    ----------
    engagement
        A validated engagement, or the path of its YAML file (or folder).
    run_dir
        The run folder (created when needed); receives ``readiness.json`` and ``results/``.
    progress
        Optional callback ``progress(step, fraction_done)``.

    Returns
    -------
    PreparedRun
        ``run_dir`` and the engagement's customer ids, hashed (in memory only), for the privacy
        scan of the report.

    Raises
    ------
    BlockedError
        The period holds no contact (exit code 1).
    ConfigError, SourceError
        A reason named in the engagement that no contact carries; an export that cannot be read.
    """
    from cxkit import findings, readiness
    from cxkit.results import ResultSet, compute_results
    from cxkit.session import Session

    e = engagement if isinstance(engagement, Engagement) else load_engagement(engagement)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    # the consultant's findings file is checked before the exports are read: a typo there
    # should not cost a full load
    findings.load_findings_file(e)

    def say(step: str, fraction: float) -> None:
        if progress is not None:
            progress(step, fraction)

    say("Loading the exports", 0.0)
    # what does not fit the engine's memory limit spills here, inside the run folder, and goes
    # when the run's results are written
    spill = run_dir / ".spill"
    session = Session(e, spill_dir=spill)
    try:
        check_period_not_empty(session)
        check_reasons(session)
        say("Checking data readiness", 0.1)
        ready = readiness.assess(session)
        ready.save(run_dir)
        daily = ready.daily_volume()
        compute_results(
            session,
            run_dir,
            extra={"readiness_daily": ("readiness", "Records per local day, by source", daily)},
            progress=lambda step, f: say(step, 0.3 + 0.65 * f),
        )
        identifiers = session.customer_identifiers()
    finally:
        # free the engine's memory before the report sections start their kernels (cached
        # tables drop themselves when collected, so the connection is left to close with them)
        del session
        gc.collect()
        shutil.rmtree(spill, ignore_errors=True)
    say("Evaluating findings", 0.96)
    findings.write_findings(ResultSet.load(run_dir, e), e, run_dir)
    say("Results ready", 1.0)
    return PreparedRun(run_dir, identifiers)
