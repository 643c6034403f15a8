"""Quarto as a report renderer: notebooks it renders offline, and its page in one piece.

Quarto reads cell outputs in ways that break an offline, scannable report:

- any ``text/html`` or ``application/javascript`` output makes it add require.js and jQuery
  ``<script src>`` tags from a CDN (its Jupyter-widget support, quarto-cli
  ``src/core/jupyter/widgets.ts``), which ``embed-resources`` cannot inline offline;
- an ``image/svg+xml`` output becomes a file that ``embed-resources`` turns into a base64
  ``<img>``, hiding the chart's text from the privacy scan;
- ``embed-resources`` embeds scripts and style sheets as ``data:`` URIs.

So :func:`quarto_notebook` hands Quarto every HTML output as Markdown holding a raw HTML block
(which Quarto passes through, parsing tables into its own table style), every SVG chart as
raw inline ``<svg>``, and every cxkit caveat box as a Quarto callout; the content is the one
the nbconvert renderer shows. :func:`inline_embedded` turns the ``data:`` scripts and style
sheets of Quarto's page back into inline ``<script>`` and ``<style>`` elements. :func:`render`
does both around ``quarto render`` for :func:`cxkit.report.render_html`, and :func:`main` is
the same conversion as a Quarto ``ipynb-filters`` entry, for ``quarto render`` of the section
notebooks (the project :func:`cxkit.scaffold.parameterized_notebooks` writes).

Nothing happens at import time.
"""

from __future__ import annotations

import base64
import html
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cxkit.errors import CxkitError

__all__ = ["CALLOUTS", "STYLESHEET", "html_to_markdown", "inline_embedded", "main", "quarto_notebook", "render"]

#: Quarto callout class for each verdict of :func:`cxkit.display.caveat` (others: a note).
CALLOUTS: dict[str, str] = {
    "degraded": "callout-warning",
    "blocked": "callout-important",
    "info": "callout-note",
    "not measured": "callout-note",
}

#: Style sheet added to Quarto's theme (tables that fit, print layout), also in the notebooks' project.
STYLESHEET = Path(__file__).parent / "templates" / "quarto-report.css"

_TIMEOUT_S = 600

# The markup of cxkit.display.caveat: a div holding an optional footnote mark (<sup>), then
# "<strong>Label:</strong> reason", the reason HTML-escaped (so the first </div> closes the box).
_CAVEAT = re.compile(
    r'<div class="cxkit-caveat cxkit-(?P<verdict>[a-z][a-z ]*)"[^>]*>\s*'
    r"(?P<mark><sup>[^<]*</sup>)?\s*<strong>(?P<label>[^<]*)</strong>\s*(?P<reason>.*?)</div>",
    re.S,
)
_SVG = re.compile(r"<svg\b.*?</svg>", re.S | re.I)
_VEGA_LITE = re.compile(r"application/vnd\.vegalite\.v\d+(\.\d+)?\+json")
_DROPPED = ("application/javascript", "application/vnd.jupyter.widget-view+json")

# Added to the report's front matter for Quarto only. Not in a _quarto.yml: Quarto ignores a
# project in a hidden folder, and the run folder is one (.tmp-<run_id>) while it is built; that
# also keeps any _quarto.yml of an enclosing folder out of the render.
_QUARTO_FRONT_MATTER: dict[str, Any] = {
    "date": "today",
    "date-format": "D MMMM YYYY",
    "format": {"html": {"toc-title": "Contents", "css": STYLESHEET.name}},
}


# --------------------------------------------------------------------------------------------
# outputs Quarto renders offline
# --------------------------------------------------------------------------------------------


def _raw_html(markup: str) -> str:
    """A Markdown raw HTML block; the fence is longer than any backtick run inside."""
    longest = max((len(run) for run in re.findall(r"`+", markup)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{{=html}}\n{markup.strip()}\n{fence}\n"


def _callout(verdict: str, label: str, reason: str, mark: str | None = None) -> str:
    kind = CALLOUTS.get(verdict, "callout-note")
    title = html.unescape(label).strip().rstrip(":").strip() or verdict.capitalize()
    title = re.sub(r"([\\`*_{}\[\]()#+!|<>~^$])", r"\\\1", title)  # literal text in Markdown
    # The classes of the cxkit box stay on the callout, so both renderers can be read alike.
    return (
        f"::: {{.{kind} .cxkit-caveat .cxkit-{verdict.replace(' ', '-')}}}\n"
        f"## {mark + ' ' if mark else ''}{title}\n\n"
        f"{_raw_html(f'<p>{reason.strip()}</p>')}"
        ":::\n"
    )


def html_to_markdown(markup: str) -> str:
    """Markdown for an HTML output: caveat boxes as Quarto callouts, the rest as raw HTML blocks.

    Parameters
    ----------
    markup
        The ``text/html`` of a cell output.

    Returns
    -------
    str

    Examples
    --------
    >>> print(html_to_markdown('<p>FCR</p><div class="cxkit-caveat cxkit-degraded" role="note">'
    ...                        '<strong>Degraded:</strong> 8% of calls lack a customer id</div>'))
    ```{=html}
    <p>FCR</p>
    ```
    <BLANKLINE>
    ::: {.callout-warning .cxkit-caveat .cxkit-degraded}
    ## Degraded
    <BLANKLINE>
    ```{=html}
    <p>8% of calls lack a customer id</p>
    ```
    :::
    <BLANKLINE>
    """
    parts: list[str] = []
    position = 0
    for match in _CAVEAT.finditer(markup):
        before = markup[position : match.start()]
        if before.strip():
            parts.append(_raw_html(before))
        parts.append(_callout(match["verdict"], match["label"], match["reason"], match["mark"]))
        position = match.end()
    if markup[position:].strip():
        parts.append(_raw_html(markup[position:]))
    return "\n".join(parts)


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _output_markdown(data: Mapping[str, Any], chart_number: int) -> str | None:
    """Markdown for one display output, or None when Quarto may have it as it is."""
    from cxkit.report import _namespace_svg_ids

    if "image/svg+xml" in data:
        svg = _text(data["image/svg+xml"])
        match = _SVG.search(svg)  # drops any <?xml ...?> prolog
        if match is None:  # base64-encoded SVG: Quarto embeds it as an image, like a PNG
            return None
        return _raw_html(_namespace_svg_ids(match.group(0), f"chart{chart_number}-"))
    if "text/html" in data:
        return html_to_markdown(_text(data["text/html"]))
    return None


def quarto_notebook(notebook: Any) -> Any:
    """Change a notebook's outputs, in place, into the forms Quarto renders offline.

    Parameters
    ----------
    notebook
        An ``nbformat`` notebook with outputs (executed).

    Returns
    -------
    notebook
        The same object. Every ``image/svg+xml`` output (also one converted from Vega-Lite) is
        now a ``text/markdown`` raw HTML block holding the ``<svg>``, its ids prefixed per
        chart; every ``text/html`` output is ``text/markdown`` from :func:`html_to_markdown`;
        JavaScript and widget outputs are dropped. No output keeps a ``text/html`` or
        ``application/javascript`` part, so Quarto adds no CDN script; PNG images, text and
        Markdown outputs are unchanged.
    """
    from cxkit.report import _vegalite_to_svg

    charts = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") not in ("display_data", "execute_result"):
                continue
            data = {k: v for k, v in output.get("data", {}).items() if k not in _DROPPED}
            if "image/svg+xml" not in data and (svg := _vegalite_to_svg(data)) is not None:
                data = {"image/svg+xml": svg}
            data = {k: v for k, v in data.items() if not _VEGA_LITE.fullmatch(k)}
            if "image/svg+xml" in data:
                charts += 1
            markdown = _output_markdown(data, charts)
            output["data"] = {"text/markdown": markdown} if markdown is not None else data
    return notebook


# --------------------------------------------------------------------------------------------
# the page in one piece
# --------------------------------------------------------------------------------------------

_DATA_SCRIPT = re.compile(
    r"<script\b(?P<before>[^>]*?)\ssrc=\"data:(?P<mime>[^;,\"]*)(?P<b64>;base64)?,(?P<data>[^\"]*)\""
    r"(?P<after>[^>]*)>\s*</script>",
    re.I,
)
_DATA_STYLESHEET = re.compile(
    r"<link\b(?=[^>]*\brel=\"stylesheet\")[^>]*\shref=\"data:text/css(?P<b64>;base64)?,(?P<data>[^\"]*)\"[^>]*>",
    re.I,
)


def _decoded(data: str, is_base64: bool) -> str:
    if is_base64:
        return base64.b64decode(html.unescape(data)).decode("utf-8")
    return urllib.parse.unquote(html.unescape(data))


def _inline_script(match: re.Match[str]) -> str:
    code = _decoded(match["data"], bool(match["b64"]))
    # Inside <script>, "</script" would end the element and "<!--" changes how it is parsed;
    # "<\/" and "<\!--" mean the same in JavaScript strings, regular expressions and comments.
    code = re.sub(r"</(script)", r"<\\/\1", code, flags=re.I).replace("<!--", "<\\!--")
    attributes = (match["before"] + match["after"]).rstrip()
    return f"<script{attributes}>{code}</script>"


def _inline_stylesheet(match: re.Match[str]) -> str:
    css = re.sub(r"</(style)", r"<\\/\1", _decoded(match["data"], bool(match["b64"])), flags=re.I)
    return f"<style>{css}</style>"


def inline_embedded(page: str) -> str:
    """Turn ``data:`` scripts and style sheets into inline ``<script>`` and ``<style>`` elements.

    Parameters
    ----------
    page
        HTML written by ``quarto render`` with ``embed-resources``.

    Returns
    -------
    str
        The same page with no ``<script src>`` and no style sheet ``<link>``; smaller too,
        since base64 and URL encoding are gone.

    Examples
    --------
    >>> inline_embedded('<script src="data:application/javascript;base64,dmFyIGEgPSAxOw=="></script>')
    '<script>var a = 1;</script>'
    >>> inline_embedded('<link href="data:text/css,p%7Bcolor%3Ared%7D" rel="stylesheet">')
    '<style>p{color:red}</style>'
    """
    page = _DATA_SCRIPT.sub(_inline_script, page)
    return _DATA_STYLESHEET.sub(_inline_stylesheet, page)


# --------------------------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------------------------


def _merged(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merged(out[key], value) if isinstance(value, Mapping) and isinstance(out.get(key), dict) else value
    return out


def _with_front_matter(notebook: Any, extra: Mapping[str, Any]) -> Any:
    """The notebook with ``extra`` merged into its front-matter raw cell (one added if absent)."""
    import nbformat
    import yaml

    from cxkit.report import _is_front_matter, _parse_front_matter

    cells = notebook.cells
    if cells and _is_front_matter(cells[0]):
        front = _merged(_parse_front_matter(cells[0].source), extra)
        cells = cells[1:]
    else:
        front = _merged({}, extra)
    text = "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---"
    notebook.cells = [nbformat.v4.new_raw_cell(text), *cells]
    return notebook


def render(notebook: Path, out_html: Path) -> Path:
    """Render a combined report notebook with Quarto into one self-contained page.

    Parameters
    ----------
    notebook
        A notebook from :func:`cxkit.report.combine` (front-matter raw cell first); not changed.
    out_html
        Where to write the page.

    Returns
    -------
    Path
        ``out_html``.

    Raises
    ------
    CxkitError
        ``quarto`` is not on PATH, failed or wrote no page; the message ends with Quarto's own.

    Notes
    -----
    Works in a hidden staging folder ``.quarto-<pid>`` next to ``out_html`` (Quarto applies no
    ``_quarto.yml`` to a file in a hidden folder, so no enclosing project changes the page),
    removed afterwards: the notebook after
    :func:`quarto_notebook`, with the date, "Contents" and :data:`STYLESHEET` added to its front
    matter. Quarto does not execute the notebook (no ``--execute``).
    """
    import nbformat

    quarto = shutil.which("quarto")
    if quarto is None:
        raise CxkitError(
            "report: renderer 'quarto' was requested but no 'quarto' executable is on PATH. "
            "Fix: install Quarto (https://quarto.org) or use renderer='nbconvert'."
        )
    notebook, out_html = Path(notebook), Path(out_html)
    staging = out_html.parent / f".quarto-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        node = _with_front_matter(quarto_notebook(nbformat.read(notebook, as_version=4)), _QUARTO_FRONT_MATTER)
        nbformat.write(node, staging / notebook.name)
        shutil.copyfile(STYLESHEET, staging / STYLESHEET.name)
        command = [quarto, "render", notebook.name, "--to", "html"]
        try:
            done = subprocess.run(
                command, cwd=staging, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise CxkitError(f"{notebook}: `quarto render` could not run: {error}") from error
        produced = staging / f"{notebook.stem}.html"
        if done.returncode != 0 or not produced.is_file():
            tail = "\n".join((done.stderr or done.stdout or "").strip().splitlines()[-15:])
            raise CxkitError(
                f"{notebook}: `quarto render {notebook.name} --to html` exited with "
                f"{done.returncode} and {'wrote' if produced.is_file() else 'wrote no'} page. "
                f"Quarto said:\n{tail}\n"
                "Fix: read Quarto's message above, or render with renderer='nbconvert'."
            )
        page = inline_embedded(produced.read_text(encoding="utf-8"))
        out_html.parent.mkdir(parents=True, exist_ok=True)
        out_html.write_text(page, encoding="utf-8")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_html


# --------------------------------------------------------------------------------------------
# Quarto ipynb filter
# --------------------------------------------------------------------------------------------


def main() -> None:
    """Quarto ``ipynb-filters`` entry: read an executed notebook on stdin, write it for Quarto.

    Removes what readers should not see (stderr, warnings, the repr of a cell's last
    expression), as :func:`cxkit.report.combine` does, then applies :func:`quarto_notebook`.
    """
    import nbformat

    from cxkit.report import _reader_outputs

    node = nbformat.reads(sys.stdin.read(), as_version=4)
    for cell in node.cells:
        if cell.cell_type == "code":
            cell.outputs = _reader_outputs(cell.get("outputs", []))
    sys.stdout.write(nbformat.writes(quarto_notebook(node)))


if __name__ == "__main__":  # pragma: no cover - run by Quarto as an ipynb filter
    main()
