"""The ``cxkit`` command: one engagement config, one command, one report.

Every subcommand is a thin shell over a library function. Exit codes: 0 done; 1 a blocking
readiness check failed (a verdict on the data a pipeline acts on); 2 the inputs cannot be read,
the configuration is invalid, or cxkit could not finish, printed as a message that names the
key and the fix, never as a traceback. Messages and data are printed as plain text (no Rich
markup or emoji codes) with personal data replaced by its kind.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import click
import typer
from rich.console import Console
from rich.text import Text

from cxkit.errors import CxkitError, disk_full
from cxkit.privacy import redact
from cxkit.wording import plural

__all__ = ["app", "main"]

app = typer.Typer(
    name="cxkit",
    help=(
        "Contact-center CX diagnostics: data readiness, journey effort, resolution (FCR) and the "
        "cost of repeat contacts, from a client's raw exports to a self-contained HTML report.\n\n"
        "Start with `cxkit demo` (generated data to a rendered report), or `cxkit init <folder>` "
        "for a new engagement, then `cxkit validate` and `cxkit run`."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
)
# emoji codes (":x:") and markup ("[red]") in a message or a value are text, not formatting
console = Console(stderr=True, emoji=False, highlight=False)

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO_ROOT / "notebooks"
DEMO = REPO_ROOT / "engagements" / "demo"

EXIT_PROBLEM = 2


#: the engagement's customer ids once a command has read them (hashed), so that messages never
#: print one either
_IDENTIFIERS: list = []


def _say(message: str, style: str = "") -> None:
    """Print a message as plain text, personal data replaced by its kind."""
    ids = _IDENTIFIERS[-1] if _IDENTIFIERS else None
    console.print(Text(redact(message, ids), style=style), soft_wrap=True)  # a path is never broken mid-word


def _cannot_continue(message: str, code: int) -> NoReturn:
    """Say why the command stops and what to fix, and exit with ``code`` (no traceback)."""
    _say("cxkit: cannot continue", "bold red")
    _say(message)
    raise typer.Exit(code) from None


def _friendly(fn):
    """Turn every error into a message and an exit code: a CxkitError into its own (2, or 1 for
    a blocking readiness failure), a full disk and any other file system error into 2 naming
    the path, anything else into 2 saying it is a cxkit bug (the traceback with CXKIT_DEBUG=1)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _IDENTIFIERS.clear()  # one command's ids, never the previous one's (tests run many in a process)
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, click.exceptions.Exit, click.exceptions.Abort, KeyboardInterrupt):
            raise
        except CxkitError as exc:
            _cannot_continue(str(exc), getattr(exc, "exit_code", EXIT_PROBLEM))
        except Exception as exc:
            full = disk_full(exc)
            if full is not None:
                _cannot_continue(str(full), full.exit_code)
            if isinstance(exc, OSError):
                _cannot_continue(f"{exc.filename or 'a file'}: {exc.strerror or exc}. Fix: check that the path exists "
                                 "and that you may read (inputs) or write (reports) it, or choose another folder with "
                                 "--out / --reports.", EXIT_PROBLEM)
            if os.environ.get("CXKIT_DEBUG"):
                raise
            first = str(exc).splitlines()[0] if str(exc) else ""
            _say("cxkit: unexpected error", "bold red")
            _say(f"{type(exc).__name__}: {first}\nThis is a fault in cxkit, not in your data or configuration as far as "
                 "cxkit can tell. Run again with CXKIT_DEBUG=1 to see the traceback, and report it.")
            raise typer.Exit(EXIT_PROBLEM) from None

    return wrapper


def _progress():
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}", markup=False), BarColumn(), TimeElapsedColumn(), console=console, transient=False)


def _progress_callback(progress, task_id):
    def update(step: str, fraction: float) -> None:
        progress.update(task_id, description=step, completed=max(0.0, min(1.0, fraction)) * 100)

    return update


@app.command()
@_friendly
def init(
    folder: Annotated[Path, typer.Argument(help="Folder of the new engagement (created).")],
    adapter: Annotated[str, typer.Option(help="Ready-made mapping of the client's contact export.")] = "cxkit_generator",
    force: Annotated[bool, typer.Option(help="Overwrite an existing engagement.yaml.")] = False,
) -> None:
    """Scaffold a new engagement: a commented engagement.yaml, a data/ folder and the pseudonym key."""
    from cxkit.adapters import available_adapters
    from cxkit.scaffold import write_engagement_template

    if adapter not in available_adapters() and not Path(adapter).is_file():
        raise CxkitError(f"--adapter {adapter!r}: unknown; shipped adapters: {', '.join(available_adapters())}, "
                         "or give the path of an adapter YAML file")
    if folder.exists() and not folder.is_dir():
        raise CxkitError(f"{folder}: is a file, not a folder. Fix: give a new or existing folder for the engagement, "
                         f"e.g. cxkit init {folder.with_suffix('')}-engagement")
    if (folder / "engagement.yaml").exists() and not force:
        raise CxkitError(
            f"{folder / 'engagement.yaml'} already exists. Fix: edit it and check it with `cxkit validate {folder}`, "
            "or pass --force to write a fresh template (the current file is kept as engagement.yaml.bak)."
        )
    if force and (folder / "engagement.yaml").exists():
        shutil.copy2(folder / "engagement.yaml", folder / "engagement.yaml.bak")
    path = write_engagement_template(folder, adapter=adapter, force=force)
    _say(f"Created {path} and the engagement's pseudonym key (.cxkit-pseudonym-key: keep it, never commit it; "
         "customer identifiers are replaced by keyed pseudonyms on load).")
    _say(f"Put the client's exports in {folder / 'data'}, edit the file, then run:")
    _say(f"  cxkit validate {folder}\n  cxkit run {folder}")


@app.command()
@_friendly
def generate(
    out: Annotated[Path, typer.Argument(help="Folder for the raw exports and truth.json.")],
    contacts: Annotated[Optional[int], typer.Option(help="Approximate number of contacts (overrides --customers).")] = None,
    customers: Annotated[int, typer.Option(help="Number of customers.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 7,
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")] = "2026-03-01",
    days: Annotated[int, typer.Option(help="Length of the period in days.")] = 31,
    timezone: Annotated[str, typer.Option(help="Local timezone of the center.")] = "Europe/London",
    file_format: Annotated[str, typer.Option("--format", help="parquet or csv for the interactions export.")] = "parquet",
    defect: Annotated[Optional[list[str]], typer.Option(help="Plant a data defect (repeatable), for readiness tests.")] = None,
) -> None:
    """Write a realistic synthetic contact center (raw exports + planted truth)."""
    from cxkit.generate import customers_for_contacts
    from cxkit.generate import generate as run_generate

    _check_generate_options(contacts, customers, seed, start, days, timezone, file_format, defect or [])
    if contacts is not None:
        customers = customers_for_contacts(contacts, days)
    with _progress() as progress:
        task = progress.add_task("generating", total=100)
        truth = run_generate(
            out, seed=seed, customers=customers, start=start, days=days, timezone=timezone,
            file_format=file_format, defects=tuple(defect or ()), progress=_progress_callback(progress, task),
        )
    _say(f"Wrote raw exports and {truth}.")


def _check_generate_options(contacts, customers, seed, start, days, timezone, file_format, defects) -> None:
    """Every bad ``cxkit generate`` option at once, by its option name, with the fix."""
    from cxkit.generate import DEFECTS, FILE_FORMATS
    from cxkit.zones import is_zone

    problems = []
    if contacts is not None and contacts < 1:
        problems.append(f"--contacts {contacts}: give a number of contacts of 1 or more, e.g. --contacts 10000")
    if customers < 1:
        problems.append(f"--customers {customers}: give 1 customer or more, e.g. --customers 20000")
    if seed < 0:
        problems.append(f"--seed {seed}: give a seed of 0 or more, e.g. --seed 7")
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", start):
            raise ValueError("not in the form YYYY-MM-DD")
        dt.date.fromisoformat(start)
    except ValueError as exc:
        problems.append(f"--start {start}: not a calendar date ({exc}); give YYYY-MM-DD, e.g. --start 2026-03-01")
    if not 1 <= days <= 366:
        problems.append(f"--days {days}: give 1 to 366 days, e.g. --days 31")
    if not is_zone(timezone):
        problems.append(f"--timezone {timezone}: not an IANA timezone; e.g. --timezone Europe/London or --timezone UTC")
    if file_format not in FILE_FORMATS:
        problems.append(f"--format {file_format}: give one of {', '.join(FILE_FORMATS)}")
    for name in defects:
        if name not in DEFECTS:
            problems.append(f"--defect {name}: unknown; give one of {', '.join(DEFECTS)}")
    if problems:
        raise CxkitError("cxkit generate: " + plural(len(problems), "bad option") + ":\n" +
                         "\n".join(f"  - {p}" for p in problems))


@app.command()
@_friendly
def validate(
    engagement: Annotated[Path, typer.Argument(help="engagement.yaml or its folder.")],
    out: Annotated[Optional[Path], typer.Option(help="Output folder (default: `reports/<name>/validation`, where `<name>` is the engagement's name).")] = None,
) -> None:
    """Check the source feeds: Great Expectations suites, cross-system checks, readiness verdicts.

    Exit code 0 when no blocking check fails, 1 when one does, 2 when the inputs cannot be read.
    Writes a JSON result and the Great Expectations Data Docs site.
    """
    from cxkit.readiness import validate as run_validate

    result = run_validate(engagement, out)
    result.print_summary(Console(emoji=False, highlight=False))
    raise typer.Exit(result.exit_code)


def _sections(engagement) -> list[Path]:
    paths = []
    for name in engagement.report.sections:
        path = NOTEBOOKS / (name if name.endswith(".ipynb") else f"{name}.ipynb")
        if not path.exists():
            known = ", ".join(p.stem for p in sorted(NOTEBOOKS.glob("*.ipynb")))
            raise CxkitError(f"report.sections: no notebook {path.name} in {NOTEBOOKS}; available: {known}")
        paths.append(path)
    return paths


def _run(engagement_path: Path, reports: Path, renderer: str | None) -> Path:
    from cxkit.config import load_engagement
    from cxkit.findings import load_findings_file
    from cxkit.pipeline import prepare_run
    from cxkit.report import build_report, clean_stale_runs

    engagement = load_engagement(engagement_path)
    # the consultant's findings.yaml is checked with the engagement, before a run folder exists
    load_findings_file(engagement)
    title = engagement.report.title or f"{engagement.client}: contact-center CX current-state diagnostic"
    subtitle = f"{engagement.period.start:%d %b %Y} to {engagement.period.end:%d %b %Y}"

    def prepare(run_dir: Path, say):
        # the exports are loaded once, in the run: the customer ids found there redact every
        # message printed from now on
        prepared = prepare_run(engagement, run_dir, progress=say)
        _IDENTIFIERS.append(prepared.identifiers)
        return prepared

    try:
        with _progress() as progress:
            task = progress.add_task("report", total=100)
            index = build_report(
                _sections(engagement),
                parameters={"engagement": str(Path(engagement_path).resolve())},
                reports_root=reports,
                engagement_name=engagement.name,
                title=title,
                subtitle=subtitle,
                renderer=renderer or engagement.report.renderer,
                progress=_progress_callback(progress, task),
                prepare=prepare,
            )
    finally:
        for folder in clean_stale_runs(reports / engagement.name):
            _say(f"Removed {reports / engagement.name / folder}: a run interrupted before it finished (killed or "
                 "stopped) left it behind.")
    _say(f"Report: {index}")
    return index


@app.command()
@_friendly
def run(
    engagement: Annotated[Path, typer.Argument(help="engagement.yaml or its folder.")],
    reports: Annotated[Path, typer.Option(help="Where reports are written.")] = Path("reports"),
    renderer: Annotated[Optional[str], typer.Option(help="auto (Quarto when installed), quarto or nbconvert.")] = None,
) -> None:
    """Run the engagement end to end: execute the notebooks and render the HTML report."""
    _run(engagement, reports, renderer)


@app.command()
@_friendly
def report(
    engagement: Annotated[Path, typer.Argument(help="engagement.yaml or its folder.")],
    run_id: Annotated[str, typer.Option("--run", help="Run to render again (a run id, or latest).")] = "latest",
    reports: Annotated[Path, typer.Option(help="Where reports are written.")] = Path("reports"),
    renderer: Annotated[Optional[str], typer.Option(help="auto (Quarto when installed), quarto or nbconvert.")] = None,
) -> None:
    """Render an executed run's report again, without executing the notebooks.

    Use it after installing Quarto, or to compare renderers; `cxkit run` executes and renders.
    """
    from cxkit.config import load_engagement
    from cxkit.report import rerender_run

    e = load_engagement(engagement)
    if run_id != "latest" and not re.fullmatch(r"(failed-)?\d{8}T\d{6}Z(-\d+)?", run_id):
        raise CxkitError(f"--run {run_id!r}: not a run id; give 'latest' or a folder name under {reports / e.name}, "
                         "e.g. --run 20261125T164500Z")
    folder = reports / e.name / run_id
    if not folder.exists():
        raise CxkitError(f"--run {run_id!r}: no run folder {folder}; produce one with `cxkit run {engagement}`")
    identifiers = _identifiers_if_readable(engagement)
    if identifiers is not None:
        _IDENTIFIERS.append(identifiers)
    index = rerender_run(folder.resolve(), renderer or e.report.renderer, identifiers)
    _say(f"Report: {index}")


def _identifiers_if_readable(engagement: Path):
    """The engagement's customer ids for the privacy scan, or None (said) when its data is gone."""
    from cxkit.session import open_engagement

    try:
        # the ids as the exports hold them, read once; nothing computed ahead (no pseudonyms)
        return open_engagement(engagement, {"backend": {"materialize": False}}).customer_identifiers()
    except CxkitError as exc:
        _say(f"Note: the engagement's data cannot be read ({str(exc).splitlines()[0]}), so the page is scanned for "
             "e-mail addresses, phone and card numbers but not for its customer ids.", "yellow")
        return None


@app.command()
@_friendly
def demo(
    reports: Annotated[Path, typer.Option(help="Where the report is written.")] = Path("reports"),
    customers: Annotated[int, typer.Option(help="Size of the generated center.")] = 20_000,
    regenerate: Annotated[bool, typer.Option(help="Generate the data again even if present.")] = False,
    renderer: Annotated[Optional[str], typer.Option(help="auto, quarto or nbconvert.")] = None,
) -> None:
    """Generate a demo contact center and run the demo engagement to a rendered report."""
    from cxkit.generate import generate as run_generate
    from cxkit.pseudonyms import create_key

    data = DEMO / "data"
    if regenerate or not (data / "truth.json").exists():
        if data.exists():
            shutil.rmtree(data)
        with _progress() as progress:
            task = progress.add_task("generating demo data", total=100)
            run_generate(data, seed=7, customers=customers, progress=_progress_callback(progress, task))
    create_key(DEMO)  # the repository's .gitignore keeps it out of version control
    _run(DEMO / "engagement.yaml", reports, renderer)


def _engagement_notebooks(engagement: Path) -> Path:
    from cxkit.config import load_engagement
    from cxkit.scaffold import parameterized_notebooks

    e = load_engagement(engagement)
    return parameterized_notebooks(_sections(e), e.base_dir / "work" / "notebooks", engagement=Path(engagement).resolve())


@app.command()
@_friendly
def notebooks(
    engagement: Annotated[Path, typer.Argument(help="engagement.yaml or its folder.")],
) -> None:
    """Write the engagement's notebooks, parameters filled in, to `<engagement>/work/notebooks`.

    The folder is also a Quarto project: `quarto render <folder>` executes and renders every
    section there (Quarto writes outputs into the notebooks it executes: these copies, never
    the originals).
    """
    folder = _engagement_notebooks(engagement)
    # plain text, soft-wrapped: paths and commands stay on one line, so they can be copied
    _say(f"Notebooks with parameters in place: {folder}")
    _say(f"  JupyterLab:  cxkit lab {engagement}\n  Quarto:      quarto render {folder}")


@app.command()
@_friendly
def lab(
    engagement: Annotated[Path, typer.Argument(help="engagement.yaml or its folder.")],
    no_browser: Annotated[bool, typer.Option(help="Do not open a browser.")] = False,
    port: Annotated[Optional[int], typer.Option(help="Port on 127.0.0.1 (default: Jupyter picks one).")] = None,
) -> None:
    """Open JupyterLab on the notebooks with this engagement's parameters filled in.

    The notebooks are copies in `<engagement>/work/notebooks` (see `cxkit notebooks`); the server
    listens on 127.0.0.1 only and stops with Ctrl-C (or SIGTERM to this process).
    """
    import signal

    from cxkit.scaffold import lab_command

    folder = _engagement_notebooks(engagement)
    command = lab_command(folder, port=port, open_browser=not no_browser)
    _say(f"Notebooks with parameters in place: {folder}")
    _say(f"Starting: {' '.join(command)}")
    server = subprocess.Popen(command)
    # Ctrl-C reaches the whole terminal process group, Jupyter included, which asks to confirm;
    # a SIGTERM sent to this process alone is passed on, so the server shuts its kernels down.
    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.SIGTERM: signal.signal(signal.SIGTERM, lambda signum, frame: server.send_signal(signum)),
    }
    try:
        code = server.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    raise typer.Exit(code)


@app.command()
def adapters() -> None:
    """List the ready-made adapters (mappings of vendor exports)."""
    from cxkit.adapters import adapter_spec, available_adapters

    for name in available_adapters():
        typer.echo(f"{name}: {adapter_spec(name).get('description', '')}")


@app.command("data-model")
def data_model() -> None:
    """Print the canonical data model (Markdown) for a client's data team."""
    from cxkit.schema import data_model_markdown

    typer.echo(data_model_markdown())


def main() -> None:
    """The ``cxkit`` command: also ``python -m cxkit`` and ``python -m cxkit.cli``."""
    app(prog_name="cxkit")


if __name__ == "__main__":
    main()
