"""The report pipeline: execute notebooks, combine them, render one offline HTML, publish atomically.

Steps, each usable on its own:

1. :func:`execute_notebooks` runs each section notebook with papermill, parameters injected,
   in a kernel started from the *current* interpreter (no kernelspec lookup, so a fresh
   virtualenv works and a stale user-level ``python3`` kernelspec cannot hijack the run).
2. :func:`combine` joins the executed notebooks into one report notebook: a Quarto front-matter
   raw cell, code input hidden, parameters cells and stderr/warning output removed.
3. :func:`render_html` renders it with Quarto when installed (:func:`cxkit.quarto.render`:
   ``quarto render --to html``, no re-execution, outputs handed over as raw HTML and inline SVG)
   or with nbconvert into one self-contained page that makes no network request: no
   require.js, MathJax, jquery or web fonts; charts are inline ``<svg>``; images embedded.
4. :func:`privacy_scan` looks for e-mail addresses, phone numbers and card numbers in the text
   a reader sees; :func:`build_report` refuses to publish a report in which it finds any.

:func:`build_report` does all of it in ``<reports_root>/<engagement>/.tmp-<run_id>/`` and, only
when every step succeeded, renames that folder to ``<run_id>/`` with ``os.replace`` and points
``latest`` (a relative symlink, plus ``latest.txt`` holding the run id for systems without
symlinks) at it. A failed run is renamed ``failed-<run_id>/`` and keeps the executed notebooks
(with the traceback) and a ``FAILED.txt`` saying what went wrong; earlier reports and ``latest``
are untouched. ``failed-*`` folders are for debugging and can be deleted at any time.

Nothing happens at import time; heavy libraries (papermill, nbconvert) are imported on use.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import html
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path
from typing import Any

from cxkit.errors import BlockedError, CxkitError
from cxkit.privacy import IdentifierSet, privacy_scan, redact, scan_file
from cxkit.processes import process_alive
from cxkit.wording import plural

__all__ = [
    "RENDERERS",
    "Progress",
    "build_report",
    "choose_renderer",
    "clean_stale_runs",
    "combine",
    "execute_notebooks",
    "notebook_workers",
    "external_references",
    "privacy_scan",
    "render_html",
    "rerender_run",
]

#: Called with a human-readable step and the fraction of the work done (0-1), e.g. to drive
#: a CLI progress bar.
Progress = Callable[[str, float], None]

#: Renderer names accepted by :func:`render_html` besides ``"auto"``.
RENDERERS: tuple[str, ...] = ("quarto", "nbconvert")

_KERNEL_NAME = "python3"
_PARAMETER_TAGS = frozenset({"parameters", "injected-parameters"})
_VERSIONED_PACKAGES = (
    "cxkit",
    "papermill",
    "nbconvert",
    "nbformat",
    "ipykernel",
    "altair",
    "vl-convert-python",
    "pandas",
    "ibis-framework",
    "duckdb",
)


def _say(progress: Progress | None, message: str, fraction: float) -> None:
    if progress is not None:
        progress(message, max(0.0, min(1.0, fraction)))


# ============================================================================================
# 1. execution
# ============================================================================================


def _kernel_manager_class() -> type:
    """A kernel manager whose ``python3`` kernel is ``sys.executable -m ipykernel_launcher``.

    Its channels are encrypted with CurveZMQ keys the manager provisions (so the kernel does
    not warn that it "is running over TCP without encryption"), and shutting it down does not
    interrupt it first (so an idle kernel does not log "KeyboardInterrupt caught in kernel").
    Built on use so importing this module does not import jupyter_client.
    """
    import zmq
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class CurrentInterpreterKernelSpecManager(KernelSpecManager):
        """Resolves every kernel name to the interpreter running cxkit."""

        def get_kernel_spec(self, kernel_name: str, *args: Any, **kwargs: Any) -> KernelSpec:
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name=f"Python {sys.version_info.major}.{sys.version_info.minor} (cxkit)",
                language="python",
                # ipykernel accepts manager-provisioned Curve keys from the connection file.
                metadata={"debugger": False, "supported_encryption": ["curve"]},
            )

    class CurrentInterpreterKernelManager(AsyncKernelManager):
        """Starts the kernel from ``sys.executable``, whatever kernelspecs are installed."""

        @default("kernel_spec_manager")
        def _current_interpreter_spec_manager(self) -> KernelSpecManager:
            return CurrentInterpreterKernelSpecManager(data_dir=self.data_dir)

        @default("transport_encryption")
        def _encrypt_when_possible(self) -> str:
            # "auto" is refused by jupyter_client when libzmq lacks Curve; then plain TCP it is.
            return "auto" if zmq.has("curve") else "disabled"

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client interrupts before every shutdown in case the kernel is busy; papermill
            # only shuts down idle kernels, and the shutdown request on the control channel
            # (then a kill after a grace period) stops a busy one anyway.
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

    return CurrentInterpreterKernelManager


def _check_notebook_paths(notebooks: Sequence[Path]) -> list[Path]:
    paths = [Path(nb) for nb in notebooks]
    if not paths:
        raise CxkitError(
            "report: no notebooks were given. Expected a list of .ipynb paths, e.g. "
            "sorted(Path('notebooks').glob('[0-9][0-9]_*.ipynb'))."
        )
    problems = [f"{p}: file not found" for p in paths if not p.is_file()]
    problems += [f"{p}: not an .ipynb file" for p in paths if p.suffix != ".ipynb"]
    names = Counter(p.name for p in paths)
    problems += [f"{name}: given {count} times" for name, count in names.items() if count > 1]
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise CxkitError(
            f"report: {plural(len(problems), 'problem')} with the notebook list:\n{listed}\n"
            "Fix: pass existing notebooks, each once, with distinct file names."
        )
    return paths


def _cell_number(notebook: Path, source: str) -> int | None:
    """1-based position of the cell with this source in the *original* notebook."""
    import nbformat

    try:
        cells = nbformat.read(notebook, as_version=4).cells
    except Exception:  # the error message must not fail because of this lookup
        return None
    for number, cell in enumerate(cells, start=1):
        if cell.cell_type == "code" and cell.source.strip() == str(source).strip():
            return number
    return None


def _execute_one(notebook: Path, parameters: Mapping[str, Any], out: Path) -> Path:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(notebook),
            str(out),
            parameters=dict(parameters),
            kernel_name=_KERNEL_NAME,
            language="python",
            progress_bar=False,
            cwd=None,  # the caller's working directory, so relative parameter paths resolve as given
            kernel_manager_class=_kernel_manager_class(),
        )
    except PapermillExecutionError as error:
        number = _cell_number(notebook, error.source)
        where = f"cell {number}" if number is not None else "a cell"
        first_line = next((ln for ln in str(error.source).splitlines() if ln.strip()), "")
        raise CxkitError(
            f"{notebook}: {where} (In [{error.exec_count}], starting {first_line.strip()!r}) "
            f"raised {error.ename}: {error.evalue}\n"
            f"The executed notebook with the full traceback is kept at {out}. "
            "Fix: open it, correct the cause in cxkit or the engagement configuration, and "
            "run the report again."
        ) from error
    except CxkitError:
        raise
    except Exception as error:  # kernel died, unreadable notebook, ...
        raise CxkitError(
            f"{notebook}: papermill could not execute the notebook: "
            f"{type(error).__name__}: {error}\nWhatever was executed is kept at {out}."
        ) from error
    return out


def execute_notebooks(
    notebooks: Sequence[Path],
    parameters: Mapping[str, Any],
    work_dir: Path,
    progress: Progress | None = None,
    *,
    workers: int | None = None,
) -> list[Path]:
    """Execute notebooks with papermill, injecting ``parameters`` into each, ``workers``
    kernels at a time (default :func:`notebook_workers`).

    Parameters
    ----------
    notebooks
        Section notebooks, in report order; each should have a ``parameters``-tagged cell.
    parameters
        Values injected after each notebook's ``parameters`` cell (JSON-like values).
    work_dir
        Folder receiving the executed notebooks (same file names); created if needed.
    progress
        Optional callback ``progress(step, fraction_done)``, called before each notebook.

    Returns
    -------
    list of Path
        The executed notebooks, in order.

    Raises
    ------
    CxkitError
        A notebook is missing, or a cell failed: the message names the notebook, the cell
        and the exception; the executed notebook with the traceback stays in ``work_dir``.

    Notes
    -----
    Notebooks run in the caller's working directory (so relative paths in ``parameters`` mean
    what the caller meant; prefer absolute ones), in a kernel started from ``sys.executable``;
    no installed kernelspec is needed or consulted.
    """
    paths = _check_notebook_paths(notebooks)
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    executed = _execute_all(paths, parameters, work_dir, progress, 0.0, 1.0, {}, workers=workers)
    _say(progress, "Notebooks executed", 1.0)
    return executed


def notebook_workers() -> int:
    """Kernels run at once: one per core, at most 2 (each kernel holds its own interpreter and
    libraries, a few hundred MB); ``CXKIT_NOTEBOOK_WORKERS`` overrides it (1: one at a time)."""
    configured = os.environ.get("CXKIT_NOTEBOOK_WORKERS", "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            raise CxkitError(
                f"CXKIT_NOTEBOOK_WORKERS={configured!r}: expected a whole number of kernels (e.g. 2), or unset it."
            ) from None
    return max(1, min(2, os.cpu_count() or 1))


def _execute_all(
    paths: Sequence[Path],
    parameters: Mapping[str, Any],
    out_dir: Path,
    progress: Progress | None,
    start: float,
    stop: float,
    seconds: dict[str, float],
    *,
    workers: int | None = None,
) -> list[Path]:
    """Execute ``paths`` into ``out_dir``, ``workers`` kernels at a time, in report order of
    submission (a summary section, 00_*, last: it sums up the others). Every notebook runs to
    its end or its error; the first error in report order is raised. ``seconds`` receives each
    notebook's time."""
    run_order = sorted(paths, key=lambda p: p.stem.startswith("00_"))
    workers = max(1, min(workers or notebook_workers(), len(run_order)))
    lock = threading.Lock()
    started = iter(range(1, len(run_order) + 1))

    def run(notebook: Path) -> Path:
        with lock:
            index = next(started)
            _say(progress, f"Running {notebook.name} ({index}/{len(run_order)})",
                 start + (stop - start) * (index - 1) / len(run_order))
        t0 = time.perf_counter()
        out = _execute_one(notebook, parameters, out_dir / notebook.name)
        with lock:
            seconds[notebook.name] = round(time.perf_counter() - t0, 3)
        return out

    if workers == 1:
        for notebook in run_order:
            run(notebook)
    else:
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cxkit-kernel") as pool:
            futures = {nb: pool.submit(run, nb) for nb in run_order}
            concurrent.futures.wait(futures.values())
        for notebook in paths:  # the first failure in report order
            if (error := futures[notebook].exception()) is not None:
                raise error
    return [out_dir / p.name for p in paths]


# ============================================================================================
# 2. combining
# ============================================================================================


def _front_matter(title: str, subtitle: str | None) -> str:
    # JSON strings are valid YAML double-quoted scalars, so any title is quoted safely.
    lines = ["---", f"title: {json.dumps(title)}"]
    if subtitle:
        lines.append(f"subtitle: {json.dumps(subtitle)}")
    lines += [
        "format:",
        "  html:",
        "    embed-resources: true",
        "    toc: true",
        "    html-math-method: plain",
        "execute:",
        "  echo: false",
        "---",
    ]
    return "\n".join(lines)


def _is_front_matter(cell: Any) -> bool:
    return cell.cell_type == "raw" and cell.source.lstrip().startswith("---")


def _parse_front_matter(source: str) -> dict[str, Any]:
    import yaml

    body = source.strip()
    if body.startswith("---"):
        body = body[3:]
    body = body.split("\n---", 1)[0]
    try:
        parsed = yaml.safe_load(body)
    except yaml.YAMLError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _vegalite_to_svg(data: Mapping[str, Any]) -> str | None:
    """SVG for a Vega-Lite output that a notebook displayed without the SVG renderer."""
    for mime, spec in data.items():
        if re.fullmatch(r"application/vnd\.vegalite\.v\d+(\.\d+)?\+json", mime):
            import vl_convert

            return vl_convert.vegalite_to_svg(spec)
    return None


_TABLE_CELL = re.compile(r"(<t[dh]\b[^>]*>)(.*?)(</t[dh]>)", re.S | re.I)
_MARKUP = re.compile(r"(<[^>]*>)")


def _breakable_cells(markup: str) -> str:
    """HTML whose table cells may wrap after ``/`` and ``_`` inside words (a ``<wbr>`` there).

    File paths and codes (``data/crm_cases.csv``, ``reason_family``) are the long words that
    make a table wider than the page; with these break points a table fits without breaking
    words anywhere else. The text a reader sees or copies is unchanged.

    Examples
    --------
    >>> _breakable_cells('<td style="a">data/crm_cases.csv</td><p>a_b</p>')
    '<td style="a">data/<wbr>crm_<wbr>cases.csv</td><p>a_b</p>'
    """

    def cell(match: re.Match[str]) -> str:
        parts = _MARKUP.split(match.group(2))
        parts = [p if p.startswith("<") else re.sub(r"(?<=\w)([/_])(?=\w)", r"\1<wbr>", p) for p in parts]
        return match.group(1) + "".join(parts) + match.group(3)

    return _TABLE_CELL.sub(cell, markup)


def _reader_outputs(outputs: Sequence[Any]) -> list[Any]:
    """Outputs a reader should see: no stderr/warnings, no empty text, charts as SVG."""
    import nbformat

    kept = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            if output.get("name") == "stderr" or not str(output.get("text", "")).strip():
                continue
        elif kind in ("display_data", "execute_result"):
            data = dict(output.get("data", {}))
            data.pop("application/vnd.jupyter.widget-view+json", None)
            data.pop("application/javascript", None)
            if "image/svg+xml" not in data and (svg := _vegalite_to_svg(data)) is not None:
                data = {"image/svg+xml": svg, "text/plain": data.get("text/plain", "chart")}
            data = {k: v for k, v in data.items() if not k.startswith("application/vnd.vega")}
            if "text/html" in data:
                html_text = data["text/html"]
                data["text/html"] = _breakable_cells("".join(html_text) if isinstance(html_text, list) else str(html_text))
            if not any(str(v).strip() for v in data.values()):
                continue
            if kind == "execute_result" and set(data) == {"text/plain"}:
                # The repr of a cell's last expression (e.g. the 22 from write_text) is not
                # meant for readers; cxkit.display objects and frames have HTML.
                continue
            output = nbformat.v4.new_output(
                "display_data", data=data, metadata=output.get("metadata", {})
            )
        kept.append(output)
    return kept


def _hide_input(cell: Any) -> Any:
    if not cell.source.lstrip().startswith("#| echo:"):
        cell.source = "#| echo: false\n" + cell.source
    cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
    tags = list(cell.metadata.get("tags", []))
    if "remove-input" not in tags:
        tags.append("remove-input")
    cell.metadata["tags"] = tags
    return cell


def _section_title(notebook: Path, cells: Sequence[Any]) -> str:
    for cell in cells:
        if _is_front_matter(cell):
            title = _parse_front_matter(cell.source).get("title")
            if title:
                return str(title)
    stem = re.sub(r"^\d+[_-]", "", notebook.stem)
    return stem.replace("_", " ").replace("-", " ").strip().capitalize() or notebook.stem


def _top_heading_level(cells: Sequence[Any]) -> int | None:
    """Level of the highest markdown heading (1 for ``#``), or None without headings."""
    levels = [
        len(match.group(1))
        for cell in cells
        if cell.cell_type == "markdown"
        for match in re.finditer(r"^ {0,3}(#{1,6})\s", cell.source, re.M)
    ]
    return min(levels, default=None)


def _has_heading(cells: Sequence[Any]) -> bool:
    return _top_heading_level(cells) is not None


def combine(executed: Sequence[Path], title: str, subtitle: str | None, out: Path) -> Path:
    """Join executed notebooks into one report notebook for Quarto or nbconvert.

    Parameters
    ----------
    executed
        Executed section notebooks, in report order.
    title, subtitle
        Report title and subtitle, written to the front matter.
    out
        Path of the combined notebook.

    Returns
    -------
    Path
        ``out``.

    Notes
    -----
    The first cell is a raw front-matter cell (``embed-resources``, ``toc``,
    ``html-math-method: plain``, ``echo: false``). From each section: its own front matter,
    ``parameters`` and ``injected-parameters`` cells are dropped; code cells keep only outputs
    a reader should see (stderr and warnings removed, a bare ``text/plain`` result of a cell's
    last expression removed, Vega-Lite outputs converted to SVG, cells without output dropped)
    and get ``#| echo: false`` plus hidden-source metadata. A section without a markdown
    heading gets one (from its front-matter title or file name) at the level the other
    sections start with, so the table of contents lists every section.
    """
    import nbformat

    paths = [Path(p) for p in executed]
    report = nbformat.v4.new_notebook()
    report.cells.append(
        nbformat.v4.new_raw_cell(_front_matter(title, subtitle), metadata={"raw_mimetype": ""})
    )
    sections = []
    for path in paths:
        try:
            sections.append(nbformat.read(path, as_version=4))
        except Exception as error:
            raise CxkitError(
                f"{path}: cannot read the executed notebook ({type(error).__name__}: {error}). "
                "Fix: run execute_notebooks again."
            ) from error
    # A section without a heading gets one at the level the other sections start with.
    section_level = min((lvl for nb in sections if (lvl := _top_heading_level(nb.cells))), default=1)
    for section_number, (path, section) in enumerate(zip(paths, sections, strict=True), start=1):
        if not report.metadata.get("kernelspec") and section.metadata.get("kernelspec"):
            report.metadata["kernelspec"] = section.metadata["kernelspec"]
            report.metadata["language_info"] = section.metadata.get("language_info", {})
        cells = list(section.cells)
        if not _has_heading(cells):
            marks = "#" * section_level
            report.cells.append(nbformat.v4.new_markdown_cell(f"{marks} {_section_title(path, cells)}"))
        for cell in cells:
            tags = set(cell.metadata.get("tags", []))
            if _is_front_matter(cell) or tags & _PARAMETER_TAGS:
                continue
            if cell.cell_type == "code":
                cell.outputs = _reader_outputs(cell.get("outputs", []))
                if not cell.outputs:
                    continue
                cell = _hide_input(cell)
            cell.metadata.pop("papermill", None)
            cell.metadata.pop("execution", None)
            # Sections are separate notebooks, so their cell ids may repeat; renumber.
            cell["id"] = f"s{section_number:02d}-c{len(report.cells):04d}"
            report.cells.append(cell)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(report, out)
    return out


# ============================================================================================
# 3. rendering
# ============================================================================================


def choose_renderer(renderer: str = "auto") -> str:
    """Resolve ``"auto"`` to ``"quarto"`` when a ``quarto`` executable is on PATH, else ``"nbconvert"``.

    Parameters
    ----------
    renderer
        ``"auto"``, ``"quarto"`` or ``"nbconvert"``.

    Returns
    -------
    str
        The renderer that will be used.
    """
    if renderer == "auto":
        return "quarto" if shutil.which("quarto") else "nbconvert"
    if renderer not in RENDERERS:
        raise CxkitError(
            f"report: unknown renderer {renderer!r}; expected 'auto', 'quarto' or 'nbconvert'."
        )
    if renderer == "quarto" and not shutil.which("quarto"):
        raise CxkitError(
            "report: renderer 'quarto' was requested but no 'quarto' executable is on PATH. "
            "Fix: install Quarto (https://quarto.org) or use renderer='nbconvert'."
        )
    return renderer


def _render_quarto(notebook: Path, out_html: Path) -> None:
    from cxkit.quarto import render

    render(notebook, out_html)


_BODY_TEMPLATE = r"""{%- extends 'classic/base.html.j2' -%}
{#- Inline SVG (not base64 <img>), so charts are real text and vector, and scannable. -#}
{% block data_svg scoped -%}
<div class="output_svg output_subarea {{ extra_class }}">{{ output.data['image/svg+xml'] }}</div>
{%- endblock data_svg %}
{% block stream_stderr -%}{%- endblock stream_stderr %}
"""

_REPORT_CSS = """
:root { --ink:#1F2933; --muted:#52606D; --rule:#E4E7EB; --accent:#0072B2; }
* { box-sizing: border-box; }
html { font-size: 17px; }
body { margin: 0; color: var(--ink); background: #FFFFFF;
  font-family: -apple-system, "Segoe UI", "Helvetica Neue", Helvetica, Arial, sans-serif;
  line-height: 1.6; -webkit-font-smoothing: antialiased; }
.page { max-width: 52rem; margin: 0 auto; padding: 2.5rem 1.5rem 4rem; }
header.report-header { border-bottom: 3px solid var(--accent); padding-bottom: 1rem; margin-bottom: 1.5rem; }
header.report-header .report-title { font-size: 2.1rem; line-height: 1.2; margin: 0 0 .35rem; }
header.report-header .report-subtitle { font-size: 1.2rem; color: var(--muted); margin: 0; }
header.report-header .report-date { font-size: .85rem; color: var(--muted); margin: .5rem 0 0; }
nav#TOC { background: #F7F9FB; border: 1px solid var(--rule); border-radius: 6px;
  padding: .9rem 1.25rem; margin: 0 0 2rem; font-size: .95rem; }
nav#TOC h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted);
  margin: 0 0 .4rem; }
nav#TOC ul { list-style: none; margin: 0; padding-left: 0; }
nav#TOC ul ul { padding-left: 1.1rem; }
nav#TOC a { color: var(--ink); text-decoration: none; }
nav#TOC a:hover { color: var(--accent); text-decoration: underline; }
main h1, main h2, main h3, main h4 { line-height: 1.25; margin: 2rem 0 .6rem; scroll-margin-top: 1rem; }
main h1 { font-size: 1.75rem; border-bottom: 1px solid var(--rule); padding-bottom: .3rem; }
main h2 { font-size: 1.45rem; }
main h3 { font-size: 1.2rem; }
main h4 { font-size: 1.05rem; }
main p, main li { max-width: 46rem; }
a { color: var(--accent); }
code { font-family: "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9em; background: #F1F3F5;
  padding: .05em .3em; border-radius: 3px; }
pre { font-family: "SFMono-Regular", Menlo, Consolas, monospace; font-size: .85rem; background: #F7F9FB;
  border: 1px solid var(--rule); border-radius: 4px; padding: .75rem 1rem; overflow-x: auto; white-space: pre-wrap; }
blockquote { border-left: 4px solid var(--rule); margin: 1rem 0; padding: .1rem 1rem; color: var(--muted); }
table { border-collapse: collapse; margin: .75rem 0 1.25rem; font-size: .9rem; max-width: 100%; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: .25rem 0; }
/* Tables fit the column: words stay whole (paths and codes wrap after / and _, see
   combine()); only a word longer than its column breaks. Tables of many columns are set
   smaller and tighter (!important: cxkit.display tables carry inline sizes). */
th, td { padding: .35rem .7rem; border-bottom: 1px solid var(--rule); vertical-align: top;
  overflow-wrap: break-word; }
table:has(tr > :nth-child(8)) { font-size: .8rem !important; }
table:has(tr > :nth-child(8)) :is(th, td) { padding: .3rem .4rem !important; }
table:has(tr > :nth-child(11)) { font-size: .72rem !important; }
table:has(tr > :nth-child(11)) :is(th, td) { padding: .25rem .3rem !important; }
th { text-align: left; border-bottom: 2px solid #9AA5B1; font-weight: 600; }
tbody tr:nth-child(even) { background: #FAFBFC; }
td { font-variant-numeric: tabular-nums; }
.output_area, .output_subarea { overflow-x: auto; margin: .5rem 0 1rem; }
.output_svg svg, .output_subarea svg { max-width: 100%; height: auto; }
img { max-width: 100%; height: auto; }
.output_error pre, .output_stderr { display: none; }
footer.report-footer { margin-top: 3rem; padding-top: 1rem; border-top: 1px solid var(--rule);
  font-size: .8rem; color: var(--muted); }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  html { font-size: 10.5pt; }
  .page { max-width: none; padding: 0; }
  /* The contents in two compact columns on the first page, not a box spilling onto a page of
     its own. */
  nav#TOC { columns: 2; column-gap: 2rem; font-size: .8rem; padding: .5rem .9rem; margin-bottom: 1rem; }
  nav#TOC h2 { column-span: all; }
  nav#TOC li { break-inside: avoid; }
  main h1, main h2, main h3, main h4 { break-after: avoid; break-inside: avoid; }
  main p, main li { orphans: 3; widows: 3; }
  table { font-size: 8pt !important; }
  table:has(tr > :nth-child(11)) { font-size: 7pt !important; }
  th, td { padding: .2rem .35rem !important; }
  thead { display: table-header-group; }
  tr, svg, .cxkit-card, .cxkit-caveat, .cxkit-note { break-inside: avoid; }
  .output_area, .output_subarea { overflow: visible; }
  a { color: inherit; text-decoration: none; }
}
"""


def _nbconvert_body(notebook_node: Any) -> str:
    import jinja2
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="basic",
        extra_loaders=[jinja2.DictLoader({"cxkit_body.html.j2": _BODY_TEMPLATE})],
        template_file="cxkit_body.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        exclude_anchor_links=True,
        # Never used by the body template; emptied so no CDN URL can leak into the page.
        mathjax_url="",
        require_js_url="",
        jquery_url="",
        jupyter_widgets_base_url="",
    )
    body, _resources = exporter.from_notebook_node(notebook_node)
    return body


_SVG_BLOCK = re.compile(r"<svg\b.*?</svg>", re.S | re.I)
_SVG_ID = re.compile(r'\bid="([^"]+)"')
_SVG_TOKEN = "@@cxkit-svg-{}@@"


def _namespace_svg_ids(svg: str, prefix: str) -> str:
    """Prefix ids in one inline SVG so several charts in a page cannot collide."""
    ids = set(_SVG_ID.findall(svg))
    if not ids:
        return svg
    pattern = re.compile(r'(\bid="|url\(#|href="#)(' + "|".join(map(re.escape, ids)) + r')(?=["\)])')
    return pattern.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", svg)


def _is_remote(url: str) -> bool:
    return bool(re.match(r"^\s*(https?:)?//", url, re.I))


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    slug, k = base, 2
    while slug in taken:
        slug, k = f"{base}-{k}", k + 1
    taken.add(slug)
    return slug


def _stash_svgs(node: Any) -> list[str]:
    """Replace SVG outputs by placeholders; return the SVGs, ids namespaced per chart.

    nbconvert (and our clean-up) parse the page with html.parser, which lower-cases
    ``viewBox``, ``clipPath``...; the SVG text is put back untouched afterwards.
    """
    svgs: list[str] = []
    for cell in node.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/svg+xml" in data:
                raw = data["image/svg+xml"]
                svg = "".join(raw) if isinstance(raw, list) else str(raw)
                match = _SVG_BLOCK.search(svg)  # drops any <?xml ...?> prolog
                prefix = f"chart{len(svgs) + 1}-"
                svgs.append(_namespace_svg_ids(match.group(0) if match else svg, prefix))
                data["image/svg+xml"] = _SVG_TOKEN.format(len(svgs) - 1)
    return svgs


def _finish_body(body: str, svgs: Sequence[str] = ()) -> tuple[str, list[tuple[int, str, str]]]:
    """Make the nbconvert body offline-safe; return it and its headings (level, id, text)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "html.parser")
    for tag in soup.find_all(["script", "iframe", "object", "embed", "base"]):
        tag.decompose()  # a static report runs no code and loads nothing
    for tag in soup.find_all("link"):
        tag.decompose()
    for tag in soup.find_all(["img", "source", "video", "audio"]):
        if _is_remote(str(tag.get("src", ""))):
            alt = soup.new_tag("span")
            alt.string = f"[image not embedded: {tag.get('alt') or 'remote image'}]"
            tag.replace_with(alt)
    for tag in soup.find_all(style=True):
        if re.search(r"url\(\s*['\"]?\s*(https?:)?//", str(tag["style"]), re.I):
            del tag["style"]
    for style in soup.find_all("style"):
        text = style.string or ""
        if re.search(r"@import|url\(\s*['\"]?\s*(https?:)?//", text, re.I):
            style.decompose()
    taken: set[str] = set()
    headings = []
    for heading in soup.find_all(["h1", "h2", "h3"]):
        text = heading.get_text(" ", strip=True).rstrip("¶").strip()
        if not text:
            continue
        heading_id = heading.get("id") or ""
        heading_id = _slug(heading_id or text, taken) if heading_id in taken or not heading_id else heading_id
        taken.add(heading_id)
        heading["id"] = heading_id
        headings.append((int(heading.name[1]), heading_id, text))
    html_out = re.sub(r"@@cxkit-svg-(\d+)@@", lambda m: svgs[int(m.group(1))], str(soup))
    return html_out, headings


def _toc(headings: Sequence[tuple[int, str, str]]) -> str:
    """Nested list of links (at most three levels) from (level, id, text) headings."""
    if not headings:
        return ""
    top = min(level for level, _, _ in headings)
    parts = ['<nav id="TOC" aria-label="Contents"><h2>Contents</h2>']
    depth = -1  # nesting depth of the currently open <li>
    for level, anchor, text in headings:
        rel = min(level - top, depth + 1, 2)
        if rel > depth:
            parts.append("<ul>" * (rel - depth))
        else:
            parts.append("</li>")
            parts.append("</ul></li>" * (depth - rel))
        depth = rel
        parts.append(f'<li><a href="#{html.escape(anchor)}">{html.escape(text)}</a>')
    parts.append("</li>" + "</ul></li>" * depth + "</ul></nav>")
    return "".join(parts)


def _render_nbconvert(notebook: Path, out_html: Path) -> None:
    import nbformat

    node = nbformat.read(notebook, as_version=4)
    front: dict[str, Any] = {}
    if node.cells and _is_front_matter(node.cells[0]):
        front = _parse_front_matter(node.cells[0].source)
    node.cells = [cell for cell in node.cells if not _is_front_matter(cell)]
    svgs = _stash_svgs(node)
    body, headings = _finish_body(_nbconvert_body(node), svgs)
    title = str(front.get("title") or notebook.stem)
    subtitle = front.get("subtitle")
    today = dt.datetime.now(dt.UTC).strftime("%d %B %Y")
    page = "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="cxkit (nbconvert)">',
            f"<title>{html.escape(title)}</title>",
            f"<style>{_REPORT_CSS}</style>",
            "</head>",
            "<body>",
            '<div class="page">',
            '<header class="report-header">',
            f'<h1 class="report-title">{html.escape(title)}</h1>',
            f'<p class="report-subtitle">{html.escape(str(subtitle))}</p>' if subtitle else "",
            f'<p class="report-date">{html.escape(today)}</p>',
            "</header>",
            _toc(headings),
            f"<main>{body}</main>",
            '<footer class="report-footer">Prepared with cxkit.</footer>',
            "</div>",
            "</body>",
            "</html>",
        ]
    )
    out_html.write_text(page, encoding="utf-8")


_RENDER: dict[str, Callable[[Path, Path], None]] = {
    "quarto": _render_quarto,
    "nbconvert": _render_nbconvert,
}


def render_html(notebook: Path, out_html: Path, renderer: str = "auto") -> Path:
    """Render a combined report notebook to one self-contained HTML file, without executing it.

    Parameters
    ----------
    notebook
        A notebook from :func:`combine` (front-matter raw cell first).
    out_html
        Where to write the HTML.
    renderer
        ``"auto"`` (Quarto when ``quarto`` is on PATH, else nbconvert), ``"quarto"`` or
        ``"nbconvert"``.

    Returns
    -------
    Path
        ``out_html``.

    Notes
    -----
    Quarto renders a copy made for it by :func:`cxkit.quarto.render` (no ``--execute``): the
    same content, tables as raw HTML, charts as inline SVG, caveats as callouts. nbconvert renders the cell outputs only (no code, no prompts) into a page
    with the front-matter title and subtitle, a table of contents from the markdown headings
    and a built-in stylesheet; it has no ``<script>``, no ``<link>`` and no remote image, so
    opening it makes no network request.
    """
    notebook, out_html = Path(notebook), Path(out_html)
    if not notebook.is_file():
        raise CxkitError(f"{notebook}: notebook not found. Fix: run combine() first.")
    name = choose_renderer(renderer)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    _RENDER[name](notebook, out_html)
    return out_html


# ============================================================================================
# 4. checks on the rendered page
# ============================================================================================

# The privacy scan (patterns, customer ids, every written file) lives in cxkit.privacy.


class _ExternalReferences(HTMLParser):
    _URL_ATTRIBUTES = frozenset({"src", "href", "data", "poster", "srcset", "xlink:href"})
    _LOADING_TAGS = frozenset(
        {"script", "link", "img", "iframe", "source", "video", "audio", "embed", "object",
         "image", "use", "track", "input"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if not value:
                continue
            if tag in self._LOADING_TAGS and name in self._URL_ATTRIBUTES and _is_remote(value):
                self.found.append(f"<{tag} {name}={value[:80]!r}>")
            if name == "style" and re.search(r"url\(\s*['\"]?\s*(https?:)?//", value, re.I):
                self.found.append(f"<{tag} style=...url(remote)>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            for match in re.finditer(r"(@import[^;]*|url\(\s*['\"]?\s*(?:https?:)?//[^)]*\))", data, re.I):
                self.found.append(f"<style> {match.group(0)[:80]}")


def external_references(html_text: str) -> list[str]:
    """List everything in a page that would make the browser fetch from the network.

    Parameters
    ----------
    html_text
        A rendered report.

    Returns
    -------
    list of str
        One entry per remote ``src``/``href`` of a loading element (script, link, img,
        iframe, ...) or remote ``url(...)``/``@import`` in CSS. Plain ``<a href>`` links and
        XML namespace URIs are not requests and are not listed.

    Examples
    --------
    >>> external_references('<script src="https://cdn.example/require.js"></script><a href="https://x">x</a>')
    ["<script src='https://cdn.example/require.js'>"]
    """
    parser = _ExternalReferences()
    parser.feed(html_text)
    parser.close()
    return parser.found


# ============================================================================================
# 5. publishing
# ============================================================================================


def _versions(renderer: str) -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": sys.version.split()[0]}
    for package in _VERSIONED_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    if renderer == "quarto" and (quarto := shutil.which("quarto")):
        try:
            done = subprocess.run(
                [quarto, "--version"], capture_output=True, text=True, timeout=60, check=False
            )
            # Some Quarto builds colour their version line; keep the text only.
            versions["quarto"] = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout).strip() or None
        except (OSError, subprocess.TimeoutExpired):
            versions["quarto"] = None
    return versions


def _claim_run_folder(engagement_dir: Path) -> tuple[str, Path]:
    """A fresh run id (UTC timestamp, suffixed when taken) and its temporary folder."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for attempt in range(1, 1000):
        run_id = stamp if attempt == 1 else f"{stamp}-{attempt}"
        taken = any(
            (engagement_dir / name).exists()
            for name in (run_id, f"failed-{run_id}")
        )
        if taken:
            continue
        temp = engagement_dir / f".tmp-{run_id}"
        try:
            temp.mkdir(parents=True)  # atomic claim against a concurrent run
        except FileExistsError:
            continue
        except OSError as error:
            raise CxkitError(
                f"{engagement_dir}: cannot create the run folder ({error.strerror or error}). Fix: make the reports "
                "folder writable, or write elsewhere with --reports <folder>."
            ) from None
        # who is writing here: a later run removes the folder only once this process is gone
        (temp / _OWNER).write_text(json.dumps({"pid": os.getpid(), "host": _host()}), encoding="utf-8")
        return run_id, temp
    raise CxkitError(f"{engagement_dir}: cannot find a free run id for {stamp}.")


_OWNER = ".owner.json"
_RUN_ID = re.compile(r"\d{8}T\d{6}Z(?:-\d+)?")


def _host() -> str:
    import socket

    return socket.gethostname()


def _owner_alive(folder: Path) -> bool | None:
    """Whether the process that claimed ``folder`` still runs (None: cannot tell)."""
    try:
        owner = json.loads((folder / _OWNER).read_text(encoding="utf-8"))
        pid, host = int(owner["pid"]), str(owner["host"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if host != _host():  # another machine's process cannot be seen from here
        return None
    return process_alive(pid)


def clean_stale_runs(engagement_dir: Path) -> list[str]:
    """Remove the temporary folders of runs that were killed before they finished.

    A run works in ``.tmp-<run_id>/`` (and a re-render in ``<run>/.rerender-<pid>/``); kill -9 or
    a power cut leaves it behind. Such a folder is stale when the process that claimed it is gone
    (its ``.owner.json`` names the process and machine), or, when that cannot be told (an older
    cxkit, another machine), when a run that started later has finished since. Folders of runs
    still going are never touched.

    Returns
    -------
    list of str
        The folders removed, relative to ``engagement_dir`` (empty when there were none).
    """
    engagement_dir = Path(engagement_dir)
    if not engagement_dir.is_dir():
        return []
    finished = sorted(p.name.removeprefix("failed-") for p in engagement_dir.iterdir()
                      if p.is_dir() and _RUN_ID.fullmatch(p.name.removeprefix("failed-")))
    removed = []
    candidates = [p for p in engagement_dir.glob(".tmp-*") if p.is_dir()]
    candidates += [p for run in engagement_dir.iterdir() if run.is_dir() and not run.name.startswith(".")
                   for p in run.glob(".rerender-*") if p.is_dir()]
    for folder in sorted(candidates):
        alive = _owner_alive(folder) if folder.name.startswith(".tmp-") else _pid_alive(folder.name)
        if alive is None:
            started = folder.name.removeprefix(".tmp-")
            alive = not any(run > started for run in finished)
        if alive:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder.relative_to(engagement_dir).as_posix())
    return removed


def _pid_alive(name: str) -> bool | None:
    """Whether the process of a ``.rerender-<pid>`` folder still runs (None: cannot tell)."""
    try:
        pid = int(name.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return None
    return process_alive(pid)


def _point_latest(engagement_dir: Path, run_id: str) -> None:
    """Point ``latest`` at the run: symlink swapped with os.replace, plus ``latest.txt``."""
    text_tmp = engagement_dir / f".latest.txt.{run_id}"
    text_tmp.write_text(run_id + "\n", encoding="utf-8")
    os.replace(text_tmp, engagement_dir / "latest.txt")
    link_tmp = engagement_dir / f".latest.{run_id}"
    try:
        if link_tmp.is_symlink():
            link_tmp.unlink()
        os.symlink(run_id, link_tmp, target_is_directory=True)
        os.replace(link_tmp, engagement_dir / "latest")
    except (OSError, NotImplementedError):
        # No symlinks here (e.g. Windows without privilege): latest.txt is the pointer.
        if link_tmp.is_symlink():
            link_tmp.unlink()


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _check_engagement_name(name: str) -> None:
    if not name or name in {".", ".."} or re.search(r"[/\\\x00]", name) or name.startswith("."):
        raise CxkitError(
            f"report: engagement_name {name!r} is not a plain folder name. Fix: use the "
            "engagement's name, e.g. 'acme-2026q4' (no slashes, not starting with a dot)."
        )


def build_report(
    notebooks: Sequence[Path],
    parameters: Mapping[str, Any],
    reports_root: Path,
    engagement_name: str,
    title: str,
    subtitle: str | None = None,
    renderer: str = "auto",
    progress: Progress | None = None,
    prepare: Callable[[Path, Progress | None], Any] | None = None,
    identifiers: IdentifierSet | None = None,
) -> Path:
    """Execute, combine, render, scan and publish one report run.

    Parameters
    ----------
    notebooks
        Section notebooks in report order. A summary section, named ``00_*``, is executed
        after the others (it reads what they wrote to ``run_dir``) and still shown first.
    parameters
        Injected into every notebook. ``run_dir`` is added (the run's folder, where notebooks
        write files for later sections) unless given.
    reports_root
        Folder holding one folder per engagement.
    engagement_name
        The engagement's folder name under ``reports_root``.
    title, subtitle
        Report title and subtitle.
    renderer
        ``"auto"``, ``"quarto"`` or ``"nbconvert"`` (see :func:`render_html`).
    progress
        Optional callback ``progress(step, fraction_done)``.
    prepare
        Optional ``prepare(run_dir, progress)`` run in the run folder before any notebook (e.g.
        :func:`cxkit.pipeline.prepare_run`: load once, readiness, every result computed once),
        inside the same all-or-nothing publishing.
    identifiers
        The engagement's customer ids, hashed (``Session.customer_identifiers()``): the privacy
        scan refuses a run whose files show one. Without it the scan looks for e-mail
        addresses, phone and card numbers only.

    Returns
    -------
    Path
        ``reports_root/engagement_name/<run_id>/index.html``.

    Raises
    ------
    CxkitError
        A notebook failed, rendering failed, the page would make a network request, or the
        privacy scan found personal data (the message names the kind and section, never the
        value; for network requests, the likely cause and its fix). The run folder is then
        renamed ``failed-<run_id>`` with a ``FAILED.txt``, and a page that failed a check is
        kept there as ``index.NOT-PUBLISHED.html``; published runs and ``latest`` are untouched.

    Notes
    -----
    A published run folder holds ``index.html``, ``report.ipynb`` (the combined notebook),
    ``notebooks/`` (the executed notebooks, code and all, for the analysts; not scanned), any
    file the notebooks wrote to ``run_dir``, and ``run.json`` (parameters, renderer, package
    versions, timings in seconds).
    """
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC)
    paths = _check_notebook_paths(notebooks)
    _check_engagement_name(engagement_name)
    name = choose_renderer(renderer)
    engagement_dir = Path(reports_root) / engagement_name
    run_id, temp = _claim_run_folder(engagement_dir)
    injected = dict(parameters)
    injected.setdefault("run_dir", str(temp.resolve()))
    timings: dict[str, Any] = {"execute": {}}
    start_execute = 0.0
    try:
        if prepare is not None:
            t0 = time.perf_counter()
            prepared = prepare(temp, (lambda step, f: _say(progress, step, 0.5 * f)) if progress else None)
            if identifiers is None:  # the customer ids the preparation found in the exports
                identifiers = getattr(prepared, "identifiers", None)
            timings["prepare"] = round(time.perf_counter() - t0, 3)
            start_execute = 0.5
        # the sections only read the run's results, so they run side by side
        t0 = time.perf_counter()
        executed = _execute_all(paths, injected, _mkdir(temp / "notebooks"), progress, start_execute, 0.85,
                                timings["execute"])
        timings["notebooks_wall"] = round(time.perf_counter() - t0, 3)

        _say(progress, "Combining sections", 0.85)
        t0 = time.perf_counter()
        combined = combine(executed, title, subtitle, temp / "report.ipynb")
        timings["combine"] = round(time.perf_counter() - t0, 3)

        _say(progress, f"Rendering with {name}", 0.88)
        t0 = time.perf_counter()
        index_html = render_html(combined, temp / "index.html", name)
        timings["render"] = round(time.perf_counter() - t0, 3)

        _say(progress, "Checking the page for personal data and network requests", 0.97)
        page = index_html.read_text(encoding="utf-8")
        _withhold_personal_data(temp, identifiers)
        if (problem := _page_problem(page, name, identifiers)) is not None:
            raise _Unpublishable(problem)

        timings["total"] = round(time.perf_counter() - started, 3)
        record = {
            "run_id": run_id,
            "engagement": engagement_name,
            "title": title,
            "subtitle": subtitle,
            "notebooks": [str(p) for p in paths],
            # run_dir was the temp folder, which is now the run folder itself: recorded as ".".
            "parameters": _json_safe(injected if "run_dir" in parameters else {**injected, "run_dir": "."}),
            "renderer": name,
            "versions": _versions(name),
            "started_at": started_at.isoformat(timespec="seconds"),
            "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "timings_seconds": timings,
            "html_bytes": len(page.encode("utf-8")),
        }
        (temp / "run.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        final = engagement_dir / run_id
        (temp / _OWNER).unlink(missing_ok=True)
        os.replace(temp, final)
    except BlockedError:
        # refused before anything was computed (no contact in the period, a blocking readiness
        # failure): there is nothing to debug in the folder, and the message says why
        shutil.rmtree(temp, ignore_errors=True)
        raise
    except BaseException as error:
        failed = _mark_failed(engagement_dir, run_id, temp, error)
        _scrub_personal_data(failed, identifiers)  # a failed cell's traceback may quote a value
        kept = failed / "index.NOT-PUBLISHED.html"
        if isinstance(error, _Unpublishable):
            raise CxkitError(
                f"The report was not published because {error}\n"
                f"The page is kept, unpublished, at {kept} (for investigation only); earlier "
                f"reports and 'latest' are unchanged.\nRun folder kept for debugging: {failed}"
            ) from error
        if isinstance(error, CxkitError):
            # Paths named while the run was being built: the page and the folder were renamed.
            message = str(error).replace(str(temp / "index.html"), str(kept)).replace(str(temp), str(failed))
            raise CxkitError(f"{message}\nRun folder kept for debugging: {failed}") from error
        raise
    _point_latest(engagement_dir, run_id)
    _say(progress, "Report published", 1.0)
    return final / "index.html"


def rerender_run(run_folder: Path, renderer: str = "auto", identifiers: IdentifierSet | None = None) -> Path:
    """Render a published run's combined notebook again, without executing anything.

    For example after installing Quarto, or to compare renderers. The new page passes the same
    privacy and network checks before it replaces ``index.html`` (atomically); on any failure
    the published page is left as it was, and a page that failed a check is kept as
    ``index.NOT-PUBLISHED.html`` beside it (removed by the next successful render).
    """
    run_folder = Path(run_folder)
    notebook = run_folder / "report.ipynb"
    if not notebook.exists():
        raise CxkitError(
            f"{run_folder}: no report.ipynb here, so there is nothing to render again. "
            "Fix: give a published run folder (reports/<engagement>/<run_id> or .../latest), or run the report."
        )
    name = choose_renderer(renderer)
    staging = run_folder / f".rerender-{os.getpid()}"
    staging.mkdir(exist_ok=True)
    try:
        page_path = render_html(notebook, staging / "index.html", name)
        if (problem := _page_problem(page_path.read_text(encoding="utf-8"), name, identifiers)) is not None:
            kept = run_folder / "index.NOT-PUBLISHED.html"
            os.replace(page_path, kept)
            raise CxkitError(
                f"The page rendered again with {name} was not published because {problem}\n"
                f"It is kept, unpublished, at {kept} (for investigation only); the published "
                f"{run_folder / 'index.html'} is unchanged."
            )
        os.replace(page_path, run_folder / "index.html")
        (run_folder / "index.NOT-PUBLISHED.html").unlink(missing_ok=True)
        record_path = run_folder / "run.json"
        if record_path.exists():
            record = json.loads(record_path.read_text(encoding="utf-8"))
            record["renderer"] = name
            record["rerendered_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            tmp = run_folder / ".run.json.tmp"
            tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
            os.replace(tmp, record_path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return run_folder / "index.html"


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _withhold_personal_data(folder: Path, identifiers: IdentifierSet | None) -> None:
    """Refuse a run any of whose files shows personal data, and delete those files.

    The page is read by section, as a reader sees it; every other file of the run (readiness.json,
    the combined and the executed notebooks, anything a section wrote) as :func:`cxkit.privacy.scan_file`
    reads it. The files with findings are removed before the run folder is kept as ``failed-*``,
    so that no output holds the values; the message names the kind and the section or file.
    """
    page = folder / "index.html"
    findings = privacy_scan(page.read_text(encoding="utf-8"), identifiers) if page.exists() else []
    offending = [page] if findings else []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p != page and p.name != _OWNER):
        found = scan_file(path, identifiers, name=path.relative_to(folder).as_posix())
        if found:
            findings += found
            offending.append(path)
    if not findings:
        return
    for path in offending:
        path.unlink(missing_ok=True)
    listed = "\n".join(f"  - {f}" for f in findings)
    removed = ", ".join(p.relative_to(folder).as_posix() for p in offending)
    raise CxkitError(
        f"{folder}: the report was not published because it shows personal data:\n{listed}\n"
        f"The files showing it were deleted ({removed}). Fix: aggregate or drop the identifying column in the "
        "section named above, or map the column holding it as free text (counted, never shown); then run the "
        "report again."
    )


def _scrub_personal_data(folder: Path, identifiers: IdentifierSet | None) -> list[str]:
    """Delete the files of a failed run that show personal data (a traceback may quote a value);
    FAILED.txt stays, redacted. Returns the files deleted; never raises."""
    removed = []
    try:
        note = Path(folder) / "FAILED.txt"
        if note.exists():
            note.write_text(redact(note.read_text(encoding="utf-8"), identifiers), encoding="utf-8")
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.name != "FAILED.txt"):
            if scan_file(path, identifiers):
                path.unlink(missing_ok=True)
                removed.append(path.relative_to(folder).as_posix())
    except OSError:
        pass
    return removed


#: What puts a remote resource into a rendered page, as (pattern in the reference, why it is
#: there, how to fix it); the first match names the cause. Rules as data, checked in order.
_REMOTE_CAUSES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (
        re.compile(r"require(\.min)?\.js|requirejs|jquery|jupyter-widgets", re.I),
        "Quarto added require.js and jQuery from a CDN, which it does whenever a cell output is "
        "text/html or application/javascript (its support for Jupyter widgets); offline, "
        "embed-resources cannot inline them. cxkit hands Quarto its tables, cards, caveats and "
        "charts as Markdown with raw HTML, so an output cxkit does not convert (an interactive "
        "widget, or a Quarto version that adds them for another reason) reached the page",
        "show report content only with cxkit.display and cxkit.charts, or publish with the "
        "nbconvert renderer (--renderer nbconvert, or report.renderer: nbconvert in engagement.yaml)",
    ),
    (
        re.compile(r"mathjax|katex", re.I),
        "pandoc linked a math renderer from a CDN because a Markdown cell holds TeX math ($...$)",
        "write the formula in words (the report front matter sets html-math-method: plain)",
    ),
    (
        re.compile(r"<(img|image|source|video|audio)\b", re.I),
        "an image or media output points to a remote URL instead of carrying its data",
        "embed the image in the notebook (e.g. IPython.display.Image(data=...)) or drop it",
    ),
)


def _remote_cause(references: Sequence[str]) -> tuple[str, str]:
    for pattern, cause, fix in _REMOTE_CAUSES:
        if any(pattern.search(reference) for reference in references):
            return cause, fix
    return (
        "a cell output or Markdown cell links a remote script, style sheet or frame",
        "embed what it needs in the notebook or drop it, or publish with --renderer nbconvert",
    )


def _page_problem(page: str, renderer: str, identifiers: IdentifierSet | None = None) -> str | None:
    """Why a rendered page must not be published, in words, or None when it may be."""
    findings = privacy_scan(page, identifiers)
    if findings:
        listed = "\n".join(f"  - {f}" for f in findings)
        return (
            f"it shows personal data:\n{listed}\n"
            "Fix: aggregate or drop the identifying column in the notebook section named above "
            "(reports show aggregated results only), then run the report again."
        )
    remote = external_references(page)
    if remote:
        listed = "\n".join(f"  - {r}" for r in remote[:10])
        cause, fix = _remote_cause(remote)
        return (
            f"opening the page rendered by {renderer} would load {plural(len(remote), 'resource')} from "
            f"the network:\n{listed}\nWhy: {cause}.\nFix: {fix}."
        )
    return None


class _Unpublishable(CxkitError):
    """A rendered page failed the privacy or network check; the message says why."""


def _mark_failed(engagement_dir: Path, run_id: str, temp: Path, error: BaseException) -> Path:
    """Rename the temp folder to ``failed-<run_id>`` with a FAILED.txt; never raises."""
    failed = engagement_dir / f"failed-{run_id}"
    try:
        if temp.exists():
            os.replace(temp, failed)
        else:
            failed.mkdir(parents=True, exist_ok=True)
        blocked = failed / "index.html"
        if blocked.exists():
            # Not a report anyone should open or link: it failed a check or is incomplete.
            os.replace(blocked, failed / "index.NOT-PUBLISHED.html")
        (failed / "FAILED.txt").write_text(
            f"Run {run_id} failed and was not published.\n{type(error).__name__}: {redact(str(error))}\n",
            encoding="utf-8",
        )
    except OSError:
        return temp
    return failed
