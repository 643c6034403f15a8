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
from pathlib import Path

from cxkit.config import Engagement, load_engagement

__all__ = ["prepare_run", "check_reasons"]


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
) -> Path:
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
    Path
        ``run_dir``.
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
    finally:
        # free the engine's memory before the report sections start their kernels (cached
        # tables drop themselves when collected, so the connection is left to close with them)
        del session
        gc.collect()
        shutil.rmtree(spill, ignore_errors=True)
    say("Evaluating findings", 0.96)
    findings.write_findings(ResultSet.load(run_dir, e), e, run_dir)
    say("Results ready", 1.0)
    return run_dir
