"""The ``cxkit`` command: one engagement config, one command, one report.

Every subcommand is a thin shell over a library function; problems a person can fix
(``CxkitError``) are printed as a message and exit code 2, never as a traceback.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from cxkit.errors import CxkitError

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
console = Console(stderr=True)

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO_ROOT / "notebooks"
DEMO = REPO_ROOT / "engagements" / "demo"

EXIT_PROBLEM = 2


def _friendly(fn):
    """Turn a CxkitError into a clear message and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CxkitError as exc:
            console.print("[bold red]cxkit: cannot continue[/]")
            console.print(str(exc), markup=False, highlight=False)
            raise typer.Exit(EXIT_PROBLEM) from None

    return wrapper


def _progress():
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console, transient=False)


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

    if adapter not in available_adapters() and not Path(adapter).exists():
        raise CxkitError(f"--adapter {adapter!r}: unknown; shipped adapters: {', '.join(available_adapters())}")
    path = write_engagement_template(folder, adapter=adapter, force=force)
    console.print(f"Created [bold]{path}[/] and the engagement's pseudonym key (.cxkit-pseudonym-key: keep it, "
                  "never commit it; customer identifiers are replaced by keyed pseudonyms on load).")
    console.print(f"Put the client's exports in {folder / 'data'}, edit the file, then run:")
    console.print(f"  cxkit validate {folder}\n  cxkit run {folder}")


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

    if contacts is not None:
        customers = customers_for_contacts(contacts, days)
    with _progress() as progress:
        task = progress.add_task("generating", total=100)
        truth = run_generate(
            out, seed=seed, customers=customers, start=start, days=days, timezone=timezone,
            file_format=file_format, defects=tuple(defect or ()), progress=_progress_callback(progress, task),
        )
    console.print(f"Wrote raw exports and [bold]{truth}[/].")


@app.command()
@_friendly
def validate(
    engagement: Annotated[Path, typer.Argument(help="engagement.yaml or its folder.")],
    out: Annotated[Optional[Path], typer.Option(help="Output folder (default: reports/<name>/validation).")] = None,
) -> None:
    """Check the source feeds: Great Expectations suites, cross-system checks, readiness verdicts.

    Exit code 0 when no blocking check fails, 1 when one does, 2 when the inputs cannot be read.
    Writes a JSON result and the Great Expectations Data Docs site.
    """
    from cxkit.readiness import validate as run_validate

    result = run_validate(engagement, out)
    result.print_summary(Console())
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
    from cxkit.report import build_report

    engagement = load_engagement(engagement_path)
    # the consultant's findings.yaml is checked with the engagement, before a run folder exists
    load_findings_file(engagement)
    title = engagement.report.title or f"{engagement.client}: contact-center CX current-state diagnostic"
    subtitle = f"{engagement.period.start:%d %b %Y} to {engagement.period.end:%d %b %Y}"
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
            prepare=lambda run_dir, say: prepare_run(engagement, run_dir, progress=say),
        )
    console.print(f"Report: [bold]{index}[/]")
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
    folder = reports / e.name / run_id
    if not folder.exists():
        raise CxkitError(f"--run {run_id!r}: no run folder {folder}; produce one with `cxkit run {engagement}`")
    index = rerender_run(folder.resolve(), renderer or e.report.renderer)
    console.print(f"Report: [bold]{index}[/]")


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
    """Write the engagement's notebooks, parameters filled in, to <engagement>/work/notebooks.

    The folder is also a Quarto project: `quarto render <folder>` executes and renders every
    section there (Quarto writes outputs into the notebooks it executes: these copies, never
    the originals).
    """
    folder = _engagement_notebooks(engagement)
    # soft_wrap: paths and commands stay on one line, so they can be copied
    console.print(f"Notebooks with parameters in place: {folder}", markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"  JupyterLab:  cxkit lab {engagement}\n  Quarto:      quarto render {folder}",
        markup=False, highlight=False, soft_wrap=True,
    )


@app.command()
@_friendly
def lab(
    engagement: Annotated[Path, typer.Argument(help="engagement.yaml or its folder.")],
    no_browser: Annotated[bool, typer.Option(help="Do not open a browser.")] = False,
    port: Annotated[Optional[int], typer.Option(help="Port on 127.0.0.1 (default: Jupyter picks one).")] = None,
) -> None:
    """Open JupyterLab on the notebooks with this engagement's parameters filled in.

    The notebooks are copies in <engagement>/work/notebooks (see `cxkit notebooks`); the server
    listens on 127.0.0.1 only and stops with Ctrl-C (or SIGTERM to this process).
    """
    import signal

    from cxkit.scaffold import lab_command

    folder = _engagement_notebooks(engagement)
    command = lab_command(folder, port=port, open_browser=not no_browser)
    console.print(f"Notebooks with parameters in place: {folder}", markup=False, highlight=False, soft_wrap=True)
    console.print(f"Starting: {' '.join(command)}", markup=False, highlight=False, soft_wrap=True)
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


def main() -> None:  # pragma: no cover - console entry point
    app()
