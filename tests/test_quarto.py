"""Tests for cxkit.quarto: outputs Quarto renders offline, its page in one piece, the ipynb filter.

These need no Quarto; the real renderer is exercised in test_report.py, test_scaffold.py and
test_browser.py (skipped with the reason when ``quarto`` is not on PATH).
"""

from __future__ import annotations

import base64
import subprocess
import sys
import urllib.parse

import nbformat
import pytest
import yaml

from cxkit import display, quarto
from cxkit.report import _is_front_matter, _parse_front_matter

SVG = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<svg xmlns="http://www.w3.org/2000/svg" class="marks" width="200" height="100" viewBox="0 0 200 100">'
    '<defs><clipPath id="clip1"><rect width="10" height="10"/></clipPath></defs>'
    '<g clip-path="url(#clip1)"><text>Contacts</text></g></svg>'
)


def _output(data: dict) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data=data)


def _notebook(*outputs: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("x", outputs=list(outputs))
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"), cell])


# --------------------------------------------------------------------------------------------
# html_to_markdown: caveats as callouts, the rest as raw HTML
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verdict", "callout", "title"),
    [("degraded", "callout-warning", "Degraded"), ("blocked", "callout-important", "Blocked"), ("info", "callout-note", "Note")],
)
def test_each_caveat_verdict_becomes_its_quarto_callout(verdict: str, callout: str, title: str) -> None:
    box = display.caveat(verdict, "Only 41% of calls <carry> a customer id")._repr_html_()
    markdown = quarto.html_to_markdown(box)
    assert markdown.startswith(f"::: {{.{callout} .cxkit-caveat .cxkit-{verdict}}}\n## {title}\n")
    # the reason stays escaped: it is passed through as HTML, never read as Markdown or tags
    assert "<p>Only 41% of calls &lt;carry&gt; a customer id</p>" in markdown
    assert markdown.rstrip().endswith(":::")


def test_caveat_with_a_footnote_mark_and_a_not_measured_box_become_callouts() -> None:
    # the markup cxkit.display.caveat writes with a marker, and for a figure the export lacks
    box = (
        '<div class="cxkit-caveat cxkit-degraded" role="note" style="x"><sup>1</sup> '
        "<strong>Degraded:</strong> 59% of callers not identified</div>"
        '<div class="cxkit-caveat cxkit-not measured" role="note" style="x">'
        "<strong>Not measured:</strong> the export has no transfers</div>"
    )
    markdown = quarto.html_to_markdown(box)
    assert "::: {.callout-warning .cxkit-caveat .cxkit-degraded}\n## <sup>1</sup> Degraded\n" in markdown
    assert "::: {.callout-note .cxkit-caveat .cxkit-not-measured}\n## Not measured\n" in markdown
    assert "<p>the export has no transfers</p>" in markdown and "<div" not in markdown


def test_html_around_caveats_is_kept_in_order_as_raw_html() -> None:
    boxes = display.caveat("degraded", "first")._repr_html_() + "<p>between</p>" + display.caveat("blocked", "second")._repr_html_()
    markdown = quarto.html_to_markdown("<h4>before</h4>" + boxes + "<p>after</p>")
    order = [markdown.index(text) for text in ("<h4>before</h4>", "first", "<p>between</p>", "second", "<p>after</p>")]
    assert order == sorted(order)
    assert markdown.count("```{=html}") == 5 and markdown.count(":::") == 4


def test_raw_html_fence_is_longer_than_backticks_inside() -> None:
    markdown = quarto.html_to_markdown("<pre>```\ncode\n```</pre>")
    assert markdown.startswith("````{=html}\n") and markdown.rstrip().endswith("````")


# --------------------------------------------------------------------------------------------
# quarto_notebook
# --------------------------------------------------------------------------------------------


def test_no_output_left_for_which_quarto_adds_cdn_scripts() -> None:
    table = display.table(__import__("pandas").DataFrame({"queue": ["Billing"], "fcr": [0.712]}), formats={"fcr": "percent"})
    node = _notebook(
        _output({"text/html": table._repr_html_(), "text/plain": "Table(...)"}),
        _output({"application/javascript": "alert(1)", "text/plain": "js"}),
        _output({"application/vnd.jupyter.widget-view+json": {"model_id": "x"}, "text/plain": "w"}),
        _output({"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}),
        nbformat.v4.new_output("stream", name="stdout", text="printed\n"),
    )
    outputs = quarto.quarto_notebook(node).cells[1].outputs
    for output in outputs:
        assert not {"text/html", "application/javascript"} & set(output.get("data", {}))
    assert outputs[0].data == {"text/markdown": quarto.html_to_markdown(table._repr_html_())}
    assert "71.2%" in outputs[0].data["text/markdown"]
    assert outputs[1].data == {"text/plain": "js"} and outputs[2].data == {"text/plain": "w"}
    assert outputs[3].data["image/png"] == "iVBORw0KGgo="  # a PNG stays an image
    assert outputs[4].text == "printed\n"


def test_svg_charts_become_inline_svg_with_ids_unique_per_chart() -> None:
    node = _notebook(_output({"image/svg+xml": SVG}), _output({"image/svg+xml": [SVG]}))
    first, second = (o.data["text/markdown"] for o in quarto.quarto_notebook(node).cells[1].outputs)
    assert first.startswith("```{=html}\n<svg ") and "<?xml" not in first
    assert 'id="chart1-clip1"' in first and "url(#chart1-clip1)" in first
    assert 'id="chart2-clip1"' in second and "<text>Contacts</text>" in second


def test_vega_lite_output_is_drawn_as_inline_svg() -> None:
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": [{"q": "Billing", "n": 3}, {"q": "Sales", "n": 5}]},
        "mark": "bar",
        "encoding": {"x": {"field": "q", "type": "nominal", "title": "Queue"}, "y": {"field": "n", "type": "quantitative"}},
    }
    node = _notebook(_output({"application/vnd.vegalite.v5+json": spec, "text/plain": "chart"}))
    (output,) = quarto.quarto_notebook(node).cells[1].outputs
    assert set(output.data) == {"text/markdown"}
    assert "<svg" in output.data["text/markdown"] and ">Queue</text>" in output.data["text/markdown"]


# --------------------------------------------------------------------------------------------
# inline_embedded
# --------------------------------------------------------------------------------------------


def test_data_scripts_and_style_sheets_are_inlined() -> None:
    code = 'var s = "</script>"; // <!-- not a comment in HTML\n'
    css = "p { color: red; } /* 50% */"
    page = (
        '<head><script src="data:application/javascript;base64,'
        f'{base64.b64encode(code.encode()).decode()}" type="module"></script>'
        f'<link href="data:text/css,{urllib.parse.quote(css)}" rel="stylesheet">'
        '<link href="data:text/css;base64,' + base64.b64encode(b"h1{margin:0}").decode() + '" rel="stylesheet" />'
        '<link rel="icon" href="data:image/png;base64,AAAA">'
        "</head><body><p>text</p></body>"
    )
    inlined = quarto.inline_embedded(page)
    assert "src=" not in inlined and 'rel="stylesheet"' not in inlined
    assert '<script type="module">var s = "<\\/script>"; // <\\!-- not a comment in HTML\n</script>' in inlined
    assert f"<style>{css}</style>" in inlined and "<style>h1{margin:0}</style>" in inlined
    assert '<link rel="icon" href="data:image/png;base64,AAAA">' in inlined  # not a style sheet: kept
    assert inlined.endswith("<body><p>text</p></body>")


# --------------------------------------------------------------------------------------------
# front matter and the ipynb filter
# --------------------------------------------------------------------------------------------


def test_quarto_settings_are_merged_into_the_front_matter() -> None:
    front = '---\ntitle: "Acme"\nformat:\n  html:\n    toc: true\n---'
    node = nbformat.v4.new_notebook(cells=[nbformat.v4.new_raw_cell(front), nbformat.v4.new_markdown_cell("# A")])
    merged = quarto._with_front_matter(node, quarto._QUARTO_FRONT_MATTER)
    assert len(merged.cells) == 2 and _is_front_matter(merged.cells[0])
    meta = _parse_front_matter(merged.cells[0].source)
    assert meta["title"] == "Acme" and meta["date"] == "today"
    assert meta["format"]["html"] == {"toc": True, "toc-title": "Contents", "css": "quarto-report.css"}
    assert yaml.safe_load(merged.cells[0].source.strip().strip("-"))["format"]["html"]["toc"] is True


def test_ipynb_filter_hides_stderr_and_converts_outputs() -> None:
    node = _notebook(
        nbformat.v4.new_output("stream", name="stderr", text="DeprecationWarning: noise\n"),
        _output({"text/html": "<p>shown</p>", "text/plain": "shown"}),
    )
    done = subprocess.run(
        [sys.executable, "-m", "cxkit.quarto"], input=nbformat.writes(node), capture_output=True, text=True, check=True
    )
    outputs = nbformat.reads(done.stdout, as_version=4).cells[1].outputs
    assert [o.data for o in outputs] == [{"text/markdown": "```{=html}\n<p>shown</p>\n```\n"}]
