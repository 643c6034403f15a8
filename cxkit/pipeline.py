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
import re
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxkit.config import Engagement, load_engagement
from cxkit.wording import plural

__all__ = ["PreparedRun", "prepare_run", "check_reasons", "check_period_not_empty", "check_shown_values"]


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
    if not ({"contact_reason", "reason_family"} & session.mapped_columns("contacts")):
        # an export without contact reasons: failure demand reads "not measured" with that reason
        # (absent is not zero), not a stopped run; a scenario scoped to reasons still stops, as
        # it cannot be worked through
        cost = cost.model_copy(update={"failure_demand_reasons": []})
    if not cost.failure_demand_reasons and not any(s.reasons for s in cost.scenarios):
        return  # nothing named: no query
    problems = reason_problems(cost, known_reasons(session.table("contacts")))
    if problems:
        e = session.engagement
        raise ConfigError(f"engagement {e.name!r} ({e.base_dir})", problems)


#: result columns that show a canonical column's values under another name
_SHOWN_AS = {"first_entry_point": "entry_point", "first_queue": "queue", "first_reason": "contact_reason",
             "first_channel": "channel"}


def check_shown_values(run_dir: Path, identifiers: Any, mapped: dict[str, str]) -> None:
    """Refuse, before any section runs, a run whose results would show personal data as labels.

    A report shows the values of label columns (entry points, queues, reasons) as they are; a
    dialled number mapped as the entry point is a phone number to the privacy scan, which then
    refused the whole report after rendering, naming a section and advising to "aggregate or
    drop" it, where the fix is in the mapping. Here each text column of each result is scanned;
    the message names the mapping key and how to map it. The result files holding the values are
    deleted (nothing is kept that shows them). ``mapped``: canonical contacts column -> what it is
    mapped from (``LoadReport.mapped``).
    """
    import pandas as pd

    from cxkit.errors import CxkitError
    from cxkit.privacy import scan_text
    from cxkit.results import RESULTS_DIR
    from cxkit.schema import TABLES

    problems: dict[str, dict[str, Any]] = {}
    offending: list[Path] = []
    for path in sorted((run_dir / RESULTS_DIR).glob("*.parquet")):
        frame = pd.read_parquet(path)
        hit = False
        for column in frame.columns:
            if not (frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column])):
                continue
            scanned = {str(v): scan_text(str(v), identifiers) for v in frame[column].dropna().unique()}
            found = sum(scanned.values(), start=Counter())
            if not found:
                continue
            hit = True
            canonical = _SHOWN_AS.get(str(column), str(column))
            key = (f"sources.contacts.columns.{canonical}" if canonical in TABLES["contacts"].names
                   else f"the result column {column}")
            entry = problems.setdefault(key, {"kinds": Counter(), "results": [], "canonical": canonical, "in_text": False})
            entry["kinds"] += found
            entry["results"].append(path.stem)
            # a label that is a number (a dialled number as the entry point) or that holds one in its words
            entry["in_text"] |= any(re.search(r"[^0-9 ()+.-]", v) for v, kinds in scanned.items() if kinds)
        if hit:
            offending.append(path)
    if not problems:
        return
    for path in offending:
        path.unlink(missing_ok=True)
    lines = []
    for key, entry in problems.items():
        kinds = ", ".join(plural(n, kind, kind + "es" if kind.endswith("s") else None)
                          for kind, n in entry["kinds"].items())
        source = mapped.get(entry["canonical"])
        column = source if source and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", source) else "<the raw column>"
        numbers = {"phone number", "card number"} & set(entry["kinds"])
        if numbers and entry["in_text"]:  # the words stay, the number goes
            example = f"{{sql: \"regexp_replace({column}, '[0-9][0-9 ()+.-]{{5,}}[0-9]', '(number)', 'g')\"}}"
        elif numbers:
            example = f"{{sql: \"'number ending ' || right({column}, 4)\"}}"
        else:
            example = "a value map naming each one"
        lines.append(f"  - {key}{f' (mapped from {source})' if source else ''}: its values hold {kinds}, which the "
                     f"report would show as labels (in {', '.join(dict.fromkeys(entry['results']))}). Fix: map it to a "
                     f"name that identifies no one, e.g. {example}")
    raise CxkitError(
        f"{run_dir}: the report was not built because its results would show personal data:\n" + "\n".join(lines)
        + "\nThe result files holding them were deleted; run the report again after changing the mapping."
    )


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
        mapped = dict(session.load_reports["contacts"].mapped) if "contacts" in session.load_reports else {}
    finally:
        # free the engine's memory before the report sections start their kernels (cached
        # tables drop themselves when collected, so the connection is left to close with them)
        del session
        gc.collect()
        shutil.rmtree(spill, ignore_errors=True)
    check_shown_values(run_dir, identifiers, mapped)
    say("Evaluating findings", 0.96)
    findings.write_findings(ResultSet.load(run_dir, e), e, run_dir)
    say("Results ready", 1.0)
    return PreparedRun(run_dir, identifiers)
