"""``cxkit validate``: readiness for data teams and pipelines.

``validate(engagement_path, out_dir)`` opens the engagement, runs every suite where the data is,
and writes to ``out_dir``: ``readiness.json`` (the matrix and every check, GE-shaped) and a Great
Expectations Data Docs site (``data_docs/index.html``) rendered by GE's own site builder from the
ibis validator's results. The CLI prints :meth:`ValidationRun.print_summary` and exits with
:attr:`ValidationRun.exit_code`; an unreadable input raises :class:`cxkit.errors.CxkitError`
(the CLI prints its message and exits 2).
"""

from __future__ import annotations

import gc
import html
import logging
import numbers
import os
import shutil
import sys
import tempfile
import threading
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

from cxkit.errors import CxkitError
from cxkit.privacy import IdentifierSet, redact, scan_folder
from cxkit.processes import process_alive
from cxkit.readiness.core import READINESS_FILE, Readiness, assess

__all__ = ["ValidationRun", "validate", "build_data_docs"]


@dataclass
class ValidationRun:
    """The outcome of ``cxkit validate``: files written, exit code, terminal summary."""

    readiness: Readiness
    out_dir: Path
    readiness_path: Path
    data_docs_index: Path | None
    #: the engagement's customer ids, hashed: the summary never prints one
    identifiers: IdentifierSet | None = None

    @property
    def exit_code(self) -> int:
        """0: no blocking check failed; 1: a blocking (severity critical) check failed."""
        return self.readiness.exit_code

    def print_summary(self, console=None) -> None:
        """A readable summary on the terminal (rich): matrix, failed checks, where the files are.

        Everything from the data or the configuration is printed as plain text (no Rich markup,
        no emoji codes) with personal data replaced by its kind.
        """
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        console = console or Console(emoji=False, highlight=False)
        ids = self.identifiers

        def t(value: Any, style: str = "") -> Text:
            return Text(redact("" if value is None else str(value), ids), style=style)

        r = self.readiness
        e = r.engagement
        console.print(Text.assemble(("Data readiness", "bold"), ": ", t(f"{e.name} ({e.client}), {e.period.start} to "
                                                                          f"{e.period.end}")))
        # a cell too narrow for a word (a check id, a configuration key, a sampled value) folds it
        # onto the next line: cut with "…" (Rich's default), "sources.contacts.columns.arrived_at"
        # read "arrive…" in an 80-column terminal, the one thing the reader had to look up
        def table(title: str, *columns: str) -> Table:
            out = Table(title=title)
            for col in columns:
                out.add_column(col, overflow="fold")
            return out

        inv = table("Sources", "source", "rows read", "rows loaded", "days with data", "columns mapped")
        for s in r.inventory:
            inv.add_row(t(s["source"]), t(_n(s["rows_read"])), t(_n(s["rows_loaded"])), t(s["days_with_data"] or ""),
                        t(s["columns_mapped"]))
        console.print(inv)
        style = {"ready": "green", "degraded": "yellow", "blocked": "red"}
        mt = table("Readiness matrix", "diagnostic", "verdict", "reason")
        for m in r.matrix.values():
            mt.add_row(t(m["label"]), t(m["verdict"], style[m["verdict"]]), t(m["reason"].split(": ", 1)[-1]))
        console.print(mt)
        failed = r.failed
        if failed:
            ft = table(f"Failed checks ({len(failed)} of {len(r.results)})", "source", "check", "severity", "finding")
            for c in failed:
                sev = t(f"{c.severity} (blocking)", "red") if c.blocking else t(c.severity)
                ft.add_row(t(c.table), t(c.id), sev, t(c.finding or c.title))
            console.print(ft)
        skipped = [c for c in r.results if c.status == "not evaluated"]
        if skipped:
            st = table(f"Checks not evaluated ({len(skipped)} of {len(r.results)})", "source", "check", "why")
            for c in skipped:
                st.add_row(t(c.table), t(c.id), t(c.note or ""))
            console.print(st)
        if not failed:
            passed = len(r.results) - len(skipped)
            console.print(t(f"No check failed: {passed} of {len(r.results)} passed"
                            + (f", {len(skipped)} could not be evaluated (see above)." if skipped else "."), "green"))
        console.print(t(f"Results: {self.readiness_path}"))
        if self.data_docs_index:
            console.print(t(f"Data Docs: {self.data_docs_index}"))
        verdict = "blocking checks failed" if self.exit_code else "no blocking check failed"
        console.print(t(f"Exit code {self.exit_code}: {verdict}", "red" if self.exit_code else "green"))


def _n(v: Any) -> str:
    return f"{v:,}" if isinstance(v, int) else ("" if v is None else str(v))


def _import_great_expectations():
    """``import great_expectations``, safe where ``__main__`` is not a file.

    GX imports ``pyspark.sql.connect`` when PySpark is installed (cxkit's ``spark`` extra), and
    expects an ImportError when Spark Connect's ``grpc`` is missing. But PySpark takes a
    ``__main__`` with neither ``__spec__`` nor ``__file__`` (``python -c``, an xdist worker,
    an embedding host) for its own doctest runner and calls ``sys.exit(0)`` instead: the whole
    process would stop, silently and with success, in the middle of ``cxkit validate``. While GX
    is imported, ``__main__`` is given a ``__file__`` so PySpark raises the ImportError GX expects.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    main = sys.modules.get("__main__")
    borrowed = main is not None and getattr(main, "__spec__", None) is None and not hasattr(main, "__file__")
    if borrowed:
        main.__file__ = "<cxkit>"
    try:
        with warnings.catch_warnings():  # PySpark's own about pandas versions, not about this run
            warnings.simplefilter("ignore", FutureWarning)
            import great_expectations
    finally:
        if borrowed:
            del main.__file__
    return great_expectations


def _import_in_background() -> threading.Thread:
    """Great Expectations imported in a thread while the engine loads and checks the exports.

    The import takes 4-6 s of Python (GX, altair, scipy), most of it while DuckDB, which
    releases the interpreter, computes; the Data Docs wait for the thread. An import that fails
    here fails again where the Data Docs need it, with its own error."""

    def load() -> None:
        try:
            _import_great_expectations()
        except Exception:  # raised again, in the main thread, by build_data_docs
            pass

    thread = threading.Thread(target=load, name="cxkit-import-gx", daemon=True)
    thread.start()
    return thread


def build_data_docs(readiness: Readiness, site_dir: str | Path) -> Path:
    """Render the Great Expectations Data Docs site for ``readiness`` into ``site_dir``.

    GE's own site builder renders it: an ephemeral GE context with a filesystem site, the
    suites added as ExpectationSuites and one ``ExpectationSuiteValidationResult`` per table put
    in its validation results store (the results come from the ibis validator). A check that is
    cxkit's own (``cxkit_*``: no GE expectation computes it) is shown as ``expect_cxkit_check``
    (:func:`_cxkit_check_type`) with its title and finding, so the site passes or fails as
    ``readiness.json`` does: without them a period too short to judge a repeat, or values that
    could not be read, left every suite green.
    """
    gx = _import_great_expectations()
    _cxkit_check_type()
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
            # GE substitutes $NAME in its config from the environment: a report folder named
            # "Client $HOME" sent the site (unscanned) to "Client /root/..."; escaped, it is a "$"
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(site_dir).replace("$", "\\$")},
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
        spec = _without_ids(suite.ge_json())
        spec["expectations"] = [*spec["expectations"], *(_cxkit_check_config(r) for r in suite.rules if not r.is_ge)]
        gx_suite = ctx.suites.add(gx.ExpectationSuite(**spec))
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
            meta = ({"cxkit_finding": r.finding} if r.finding
                    else {"cxkit_observed": _observed_words(r.result)} if not r.type.startswith("expect_") else {})
            evrs.append(ExpectationValidationResult(success=r.success, expectation_config=configs[r.id], result=result,
                                                    meta=meta))
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


def _observed_words(result: dict[str, Any]) -> str:
    """A passing cxkit check's observed value as its Data Docs row shows it: the number (a share
    or a day count to three significant digits, not "0.019230769230769232"; a count as a share of
    what it counts, as a limit may be a share) and what cxkit says it is ("the highest is 7"; the
    window and end of data a judged contact is held to)."""
    value = result.get("observed_value")
    counted, of = result.get("unexpected_count"), result.get("denominator")
    if isinstance(counted, numbers.Integral) and isinstance(of, numbers.Integral) and of > 0:
        number = f"{counted:,} of {of:,} ({100 * counted / of:.1f}%)"  # against a share limit too
    elif isinstance(value, bool) or value is None:
        number = ""
    elif isinstance(value, int) or float(value).is_integer():
        number = f"{int(value):,}"
    else:
        number = f"{float(value):.3g}"
    words = result.get("values")
    words = words if isinstance(words, str) and words else ""
    return "; ".join(p for p in (number, words) if p) or "--"


@cache
def _cxkit_check_type() -> type:
    """The GE expectation type ``expect_cxkit_check``: a check cxkit computes itself, which GE
    only renders (its Data Docs row reads 'the title (cxkit check id)', and the observed value is
    cxkit's finding). Defined once, after GE is imported (GE registers it by its class name)."""
    from typing import ClassVar

    from great_expectations.expectations.expectation import BatchExpectation
    from great_expectations.render.components import (
        LegacyDiagnosticRendererType,
        LegacyRendererType,
        RenderedStringTemplateContent,
    )
    from great_expectations.render.renderer.renderer import renderer

    class ExpectCxkitCheck(BatchExpectation):
        """A check cxkit computes (``readiness.json`` holds its result): rendered, never run."""

        check: str
        title: str
        limit: str | None = None

        metric_dependencies: ClassVar[tuple[str, ...]] = ()
        success_keys: ClassVar[tuple[str, ...]] = ("check",)
        domain_keys: ClassVar[tuple[str, ...]] = ("batch_id",)

        def _validate(self, metrics, runtime_configuration=None, execution_engine=None):
            raise NotImplementedError("cxkit computes this check (cxkit.readiness); Great Expectations renders it")

        @classmethod
        @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
        def _prescriptive_renderer(cls, configuration=None, result=None, runtime_configuration=None, **kwargs):
            kw = configuration.kwargs if configuration is not None else {}
            limit = kw.get("limit")
            return [RenderedStringTemplateContent(content_block_type="string_template", string_template={
                "template": "$title (cxkit check $check" + ("; $limit)" if limit else ")"),
                "params": {"title": kw.get("title", ""), "check": kw.get("check", ""), "limit": limit or ""},
                "styling": (runtime_configuration or {}).get("styling"),
            })]

        @classmethod
        @renderer(renderer_type=LegacyDiagnosticRendererType.OBSERVED_VALUE)
        def _diagnostic_observed_value_renderer(cls, configuration=None, result=None, runtime_configuration=None):
            # cxkit's finding (counts and redacted sample codes), escaped: GE writes this string
            # into the page as it is
            if result is None:
                return "--"
            meta = result.meta or {}
            shown = meta.get("cxkit_finding") or meta.get("cxkit_observed")
            return html.escape(shown) if shown else cls._get_observed_value_from_evr(result=result)

        @classmethod
        @renderer(renderer_type=LegacyDiagnosticRendererType.UNEXPECTED_STATEMENT)
        def _diagnostic_unexpected_statement_renderer(cls, configuration=None, result=None,
                                                      runtime_configuration=None, **kwargs):
            return []  # the finding (the observed value) says what was unexpected, and of how many

    return ExpectCxkitCheck


def _cxkit_check_config(rule) -> dict[str, Any]:
    """The Data Docs configuration of cxkit's own check ``rule`` (:func:`_cxkit_check_type`)."""
    kwargs = {"check": rule.id, "title": rule.meta.get("title", rule.id)}
    threshold = rule.meta.get("threshold")
    if threshold in rule.kwargs:  # the engagement's value where it overrides the suite's
        kwargs["limit"] = f"{threshold}: {rule.kwargs[threshold]}"
    return {**rule.to_ge(), "type": "expect_cxkit_check", "kwargs": kwargs}


def _without_ids(suite_json: dict[str, Any]) -> dict[str, Any]:
    out = dict(suite_json)
    out.pop("id", None)
    return out


def validate(engagement_path: str | Path, out_dir: str | Path | None = None, *, data_docs: bool = True) -> ValidationRun:
    """Run readiness on the engagement and write ``readiness.json`` and the Data Docs site.

    ``out_dir`` defaults to ``reports/<engagement name>/validation`` (relative to the working folder).
    The files are written to a staging folder beside it, scanned for personal data (e-mail
    addresses, phone and card numbers, the engagement's own customer ids) and only then moved into
    place; a finding stops the command and nothing is left behind.

    Raises :class:`cxkit.errors.CxkitError` (ConfigError, SourceError) when an input cannot be
    read; the message names the file and the mapping key to fix.
    """
    from cxkit.config import load_engagement
    from cxkit.session import Session

    engagement = load_engagement(engagement_path)
    if out_dir is None:
        out_dir = Path("reports") / engagement.name / "validation"
    out_dir = Path(out_dir)
    staging = _staging_folder(out_dir)
    # the tables the checks read are computed once into the staging folder, and removed
    # before the results are scanned and published
    tables = staging / ".tables"
    importing = None
    try:
        session = Session(engagement, spill_dir=tables)
        # once the exports are opened (their readers imported), the engine's work leaves the
        # interpreter free for the Data Docs' import
        importing = _import_in_background() if data_docs else None
        readiness = assess(session, now=datetime.now(timezone.utc))
        identifiers = readiness.identifiers  # hashed once by assess, on the cached tables
        if identifiers is None:
            identifiers = session.customer_identifiers()
        readiness.save(staging)
        if data_docs:
            importing.join()
            build_data_docs(readiness, staging / "data_docs")
        del session
        gc.collect()
        shutil.rmtree(tables, ignore_errors=True)
        findings = scan_folder(staging, identifiers)
        if findings:
            listed = "\n".join(f"  - {f}" for f in findings)
            raise CxkitError(
                f"{out_dir}: the validation results were not written because they would show personal data:\n"
                f"{listed}\nFix: map the column holding it as free text (notes, subject, comment), which is counted "
                "and never shown, or drop it from the mapping; then validate again."
            )
        path, index = _publish(staging, out_dir, data_docs)
    finally:
        if importing is not None:
            # a failed validation waits for it too: an import cut off by the interpreter's exit
            # can print errors of its own after cxkit's message
            importing.join()
        shutil.rmtree(staging, ignore_errors=True)
    return ValidationRun(readiness, out_dir, path, index, identifiers)


def _staging_folder(out_dir: Path) -> Path:
    """A fresh folder in ``out_dir`` (same file system, so the results move in atomically); the
    staging folders of validations that were killed (their process is gone) are removed first."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for old in out_dir.glob(".staging-*-*"):
            pid = old.name.split("-")[1]
            if pid.isdigit() and process_alive(int(pid)) is False:
                shutil.rmtree(old, ignore_errors=True)
        return Path(tempfile.mkdtemp(prefix=f".staging-{os.getpid()}-", dir=out_dir))
    except OSError as exc:
        raise CxkitError(
            f"{out_dir}: cannot write the validation results here ({exc.strerror or exc}). Fix: make the folder "
            "writable, or choose another with --out <folder>."
        ) from None


def _publish(staging: Path, out_dir: Path, data_docs: bool) -> tuple[Path, Path | None]:
    """Move the scanned results from ``staging`` into ``out_dir`` (replacing earlier ones): the
    Data Docs first, so that a site that is not there leaves the earlier results as they were
    (the new ``readiness.json`` is moved only beside its own site)."""
    path = out_dir / READINESS_FILE
    index = None
    if data_docs:
        built = staging / "data_docs"
        if not (built / "index.html").is_file():
            raise CxkitError(f"{out_dir}: the Data Docs were not built ({built} has no index.html); the earlier "
                             "validation results are kept. Fix: validate again; if it recurs, report it with the "
                             "folder's path.")
        site = out_dir / "data_docs"
        old = staging / ".previous_data_docs"
        if site.exists():
            os.replace(site, old)
        os.replace(built, site)
        index = site / "index.html"
    os.replace(staging / READINESS_FILE, path)
    return path, index
