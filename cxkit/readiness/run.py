"""``cxkit validate``: readiness for data teams and pipelines.

``validate(engagement_path, out_dir)`` opens the engagement, runs every suite where the data is,
and writes to ``out_dir``: ``readiness.json`` (the matrix and every check, GE-shaped) and a Great
Expectations Data Docs site (``data_docs/index.html``) rendered by GE's own site builder from the
ibis validator's results. The CLI prints :meth:`ValidationRun.print_summary` and exits with
:attr:`ValidationRun.exit_code`; an unreadable input raises :class:`cxkit.errors.CxkitError`
(the CLI prints its message and exits 2).
"""

from __future__ import annotations

import html
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cxkit.readiness.core import Readiness, assess

__all__ = ["ValidationRun", "validate", "build_data_docs"]


@dataclass
class ValidationRun:
    """The outcome of ``cxkit validate``: files written, exit code, terminal summary."""

    readiness: Readiness
    out_dir: Path
    readiness_path: Path
    data_docs_index: Path | None

    @property
    def exit_code(self) -> int:
        """0: no blocking check failed; 1: a blocking (severity critical) check failed."""
        return self.readiness.exit_code

    def print_summary(self, console=None) -> None:
        """A readable summary on the terminal (rich): matrix, failed checks, where the files are."""
        from rich.console import Console
        from rich.table import Table

        console = console or Console()
        r = self.readiness
        e = r.engagement
        console.print(f"[bold]Data readiness[/bold]: {e.name} ({e.client}), {e.period.start} to {e.period.end}")
        inv = Table(title="Sources", show_lines=False)
        for col in ("source", "rows read", "rows loaded", "days with data", "columns mapped"):
            inv.add_column(col)
        for s in r.inventory:
            inv.add_row(s["source"], _n(s["rows_read"]), _n(s["rows_loaded"]), str(s["days_with_data"] or ""), s["columns_mapped"])
        console.print(inv)
        style = {"ready": "green", "degraded": "yellow", "blocked": "red"}
        mt = Table(title="Readiness matrix")
        mt.add_column("diagnostic")
        mt.add_column("verdict")
        mt.add_column("reason")
        for m in r.matrix.values():
            mt.add_row(m["label"], f"[{style[m['verdict']]}]{m['verdict']}[/]", m["reason"].split(": ", 1)[-1])
        console.print(mt)
        failed = r.failed
        if failed:
            ft = Table(title=f"Failed checks ({len(failed)} of {len(r.results)})")
            for col in ("source", "check", "severity", "finding"):
                ft.add_column(col)
            for c in failed:
                sev = f"[red]{c.severity} (blocking)[/]" if c.blocking else c.severity
                ft.add_row(c.table, c.id, sev, c.finding or c.title)
            console.print(ft)
        skipped = [c for c in r.results if c.status == "not evaluated"]
        if skipped:
            st = Table(title=f"Checks not evaluated ({len(skipped)} of {len(r.results)})")
            for col in ("source", "check", "why"):
                st.add_column(col)
            for c in skipped:
                st.add_row(c.table, c.id, c.note or "")
            console.print(st)
        if not failed:
            passed = len(r.results) - len(skipped)
            console.print(f"[green]No check failed: {passed} of {len(r.results)} passed"
                          + (f", {len(skipped)} could not be evaluated (see above).[/]" if skipped else ".[/]"))
        console.print(f"Results: {self.readiness_path}")
        if self.data_docs_index:
            console.print(f"Data Docs: {self.data_docs_index}")
        verdict = "[red]blocking checks failed[/]" if self.exit_code else "[green]no blocking check failed[/]"
        console.print(f"Exit code {self.exit_code}: {verdict}")


def _n(v: Any) -> str:
    return f"{v:,}" if isinstance(v, int) else ("" if v is None else str(v))


def build_data_docs(readiness: Readiness, site_dir: str | Path) -> Path:
    """Render the Great Expectations Data Docs site for ``readiness`` into ``site_dir``.

    GE's own site builder renders it: an ephemeral GE context with a filesystem site, the
    suites added as ExpectationSuites and one ``ExpectationSuiteValidationResult`` per table put
    in its validation results store (the results come from the ibis validator; cxkit-only checks,
    which have no GE expectation type, are in ``readiness.json`` and the notebook, not here).
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    site_dir = Path(site_dir).resolve()
    ctx = gx.get_context(mode="ephemeral")
    ctx.add_data_docs_site(
        site_name="cxkit",
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    run_time = readiness.created_at.astimezone(timezone.utc)
    run_id = RunIdentifier(run_name=f"cxkit-{readiness.engagement.name}", run_time=run_time)
    by_table: dict[str, list] = {}
    for r in readiness.results:
        by_table.setdefault(r.table, []).append(r)
    for table, suite in readiness.suites.items():
        if table not in by_table:
            continue
        gx_suite = ctx.suites.add(gx.ExpectationSuite(**_without_ids(suite.ge_json())))
        configs = {e.meta["id"]: e.configuration for e in gx_suite.expectations}
        evrs = []
        for r in by_table[table]:
            if r.id not in configs or r.success is None:
                continue
            result = {k: v for k, v in r.result.items() if k not in ("denominator", "values", "details")}
            # GE's page builder writes sampled values into the HTML as they are: they were
            # redacted for personal data already, and are escaped here so a code such as
            # <script> shows as text
            if result.get("partial_unexpected_list"):
                result["partial_unexpected_list"] = [html.escape(v) if isinstance(v, str) else v
                                                     for v in result["partial_unexpected_list"]]
            evrs.append(ExpectationValidationResult(success=r.success, expectation_config=configs[r.id], result=result,
                                                    meta={"cxkit_finding": r.finding} if r.finding else {}))
        n_ok = sum(e.success for e in evrs)
        batch_id = f"cxkit-{table}"
        svr = ExpectationSuiteValidationResult(
            success=n_ok == len(evrs),
            results=evrs,
            suite_name=suite.name,
            statistics={
                "evaluated_expectations": len(evrs),
                "successful_expectations": n_ok,
                "unsuccessful_expectations": len(evrs) - n_ok,
                "success_percent": 100.0 * n_ok / len(evrs) if evrs else None,
            },
            meta={
                "active_batch_definition": {"datasource_name": "cxkit", "data_connector_name": "ibis",
                                            "data_asset_name": table, "batch_identifiers": {}},
                "run_id": run_id,
                "batch_spec": {"engine": "cxkit ibis validator"},
                "batch_markers": {},
                "validation_time": run_time,
            },
            batch_id=batch_id,
        )
        key = ValidationResultIdentifier(ExpectationSuiteIdentifier(name=suite.name), run_id, batch_id)
        ctx.validation_results_store.set(key, svr)
    urls = ctx.build_data_docs(site_names=["cxkit"])
    return Path(urls["cxkit"].removeprefix("file://"))


def _without_ids(suite_json: dict[str, Any]) -> dict[str, Any]:
    out = dict(suite_json)
    out.pop("id", None)
    return out


def validate(engagement_path: str | Path, out_dir: str | Path | None = None, *, data_docs: bool = True) -> ValidationRun:
    """Run readiness on the engagement and write ``readiness.json`` and the Data Docs site.

    ``out_dir`` defaults to ``reports/<engagement name>/validation`` (relative to the working folder).

    Raises :class:`cxkit.errors.CxkitError` (ConfigError, SourceError) when an input cannot be
    read; the message names the file and the mapping key to fix.
    """
    from cxkit.session import open_engagement

    session = open_engagement(engagement_path)
    out_dir = Path(out_dir) if out_dir is not None else Path("reports") / session.engagement.name / "validation"
    readiness = assess(session, now=datetime.now(timezone.utc))
    path = readiness.save(out_dir)
    index = build_data_docs(readiness, out_dir / "data_docs") if data_docs else None
    return ValidationRun(readiness, out_dir, path, index)
