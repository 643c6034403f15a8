"""Tests for cxkit.report: execution, combining, offline HTML, privacy scan, atomic publishing.

Notebook runs are the slow part (a kernel start each), so one good report is built per module
and shared; the failure and privacy paths run one small notebook each.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from cxkit import report
from cxkit.errors import CxkitError

NOTEBOOKS = Path(__file__).parent / "fixtures" / "notebooks"
GOOD = [NOTEBOOKS / "01_overview.ipynb", NOTEBOOKS / "02_resolution.ipynb"]
TITLE = "Acme: contact-center CX diagnostic"
SUBTITLE = "1 Oct 2026 to 31 Oct 2026"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A good report built with nbconvert; returns its index.html."""
    root = tmp_path_factory.mktemp("reports")
    steps: list[tuple[str, float]] = []
    index = report.build_report(
        GOOD,
        {"engagement": "acme-engagement"},
        root,
        "acme",
        TITLE,
        SUBTITLE,
        renderer="nbconvert",
        progress=lambda step, fraction: steps.append((step, fraction)),
    )
    assert steps[0][1] == 0.0 and steps[-1] == ("Report published", 1.0)
    return index


@pytest.fixture(scope="module")
def page(published: Path) -> str:
    return published.read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# publishing layout
# --------------------------------------------------------------------------------------------


def test_published_run_folder_layout(published: Path) -> None:
    run = published.parent
    engagement_dir = run.parent
    assert re.fullmatch(r"\d{8}T\d{6}Z(-\d+)?", run.name)
    assert sorted(p.name for p in (run / "notebooks").iterdir()) == [p.name for p in GOOD]
    assert (engagement_dir / "latest").resolve() == run.resolve()
    assert (engagement_dir / "latest.txt").read_text().strip() == run.name
    assert not list(engagement_dir.glob(".tmp-*"))
    record = json.loads((run / "run.json").read_text())
    assert record["renderer"] == "nbconvert"
    assert record["parameters"] == {"engagement": "acme-engagement", "run_dir": "."}
    assert record["versions"]["papermill"] and record["versions"]["nbconvert"]
    assert set(record["timings_seconds"]) == {"execute", "notebooks_wall", "combine", "render", "total"}
    assert set(record["timings_seconds"]["execute"]) == {p.name for p in GOOD}
    assert record["html_bytes"] == published.stat().st_size


def test_parameters_are_injected_and_run_dir_is_the_run_folder(published: Path, page: str) -> None:
    run = published.parent
    executed = nbformat.read(run / "notebooks" / "01_overview.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "acme-engagement" in injected[0].source
    assert "Engagement: <strong>acme-engagement</strong>" in page
    # The notebook wrote into run_dir while it was the temp folder; it moved with the run.
    assert json.loads((run / "overview.json").read_text()) == {"engagement": "acme-engagement"}


def test_kernel_comes_from_current_interpreter_not_kernelspecs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bogus = tmp_path / "kernels" / "python3"
    bogus.mkdir(parents=True)
    spec = {"argv": ["/nonexistent/python", "-m", "x"], "display_name": "x", "language": "python"}
    (bogus / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    manager = report._kernel_manager_class()(kernel_name="python3")
    assert manager.kernel_spec.argv[:3] == [sys.executable, "-m", "ipykernel_launcher"]


def test_import_does_nothing_heavy() -> None:
    code = "import sys, cxkit.report; print(sorted({'papermill', 'nbconvert', 'altair'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_run_ids_are_unique(tmp_path: Path) -> None:
    first, _ = report._claim_run_folder(tmp_path)
    second, _ = report._claim_run_folder(tmp_path)
    assert first != second


# --------------------------------------------------------------------------------------------
# failure paths
# --------------------------------------------------------------------------------------------


def test_failing_notebook_names_cell_and_leaves_previous_report(published: Path) -> None:
    engagement_dir = published.parent.parent
    before = published.read_bytes()
    with pytest.raises(CxkitError) as info:
        report.build_report(
            [NOTEBOOKS / "03_failing.ipynb"],
            {"engagement": "x"},
            engagement_dir.parent,
            "acme",
            TITLE,
            renderer="nbconvert",
        )
    message = str(info.value)
    assert "03_failing.ipynb" in message
    assert "cell 4" in message and "raise ValueError" in message
    assert "ValueError: planted failure for the test" in message
    # The previous good report and the pointer are untouched; nothing half-written in place.
    assert published.read_bytes() == before
    assert (engagement_dir / "latest").resolve() == published.parent.resolve()
    assert not list(engagement_dir.glob(".tmp-*"))
    failed = [p for p in engagement_dir.glob("failed-*")]
    assert len(failed) == 1 and str(failed[0]) in message
    assert not (failed[0] / "index.html").exists()
    assert "planted failure" in (failed[0] / "FAILED.txt").read_text()
    kept = nbformat.read(failed[0] / "notebooks" / "03_failing.ipynb", as_version=4)
    assert any(o.get("output_type") == "error" for c in kept.cells for o in c.get("outputs", []))


def test_side_by_side_sections_all_run_and_the_first_failure_in_report_order_is_raised(tmp_path: Path) -> None:
    # two failing sections and a good one, two kernels at once: every section runs to its end
    # or its error, and the error raised is the first failing section of the report's order
    failing_copy = tmp_path / "src" / "05_failing_too.ipynb"
    failing_copy.parent.mkdir()
    shutil.copy(NOTEBOOKS / "03_failing.ipynb", failing_copy)
    out = tmp_path / "out"
    with pytest.raises(CxkitError) as info:
        report.execute_notebooks([GOOD[0], NOTEBOOKS / "03_failing.ipynb", failing_copy],
                                 {"engagement": "x", "run_dir": str(tmp_path)}, out,
                                 workers=2)
    assert "03_failing.ipynb" in str(info.value) and "05_failing_too" not in str(info.value)
    assert {p.name for p in out.iterdir()} == {"01_overview.ipynb", "03_failing.ipynb", "05_failing_too.ipynb"}
    good = nbformat.read(out / "01_overview.ipynb", as_version=4)
    assert not any(o.get("output_type") == "error" for c in good.cells for o in c.get("outputs", []))


def test_notebook_workers_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXKIT_NOTEBOOK_WORKERS", "1")
    assert report.notebook_workers() == 1
    monkeypatch.setenv("CXKIT_NOTEBOOK_WORKERS", "two")
    with pytest.raises(CxkitError, match="CXKIT_NOTEBOOK_WORKERS='two'.*whole number"):
        report.notebook_workers()


def test_report_showing_personal_data_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CxkitError) as info:
        report.build_report(
            [NOTEBOOKS / "04_personal_data.ipynb"], {}, tmp_path, "acme", TITLE, renderer="nbconvert"
        )
    message = str(info.value)
    assert "e-mail address in section 'Customer list'" in message
    assert "jane.doe" not in message and "example.com" not in message
    assert not (tmp_path / "acme" / "latest").exists()
    failed = next((tmp_path / "acme").glob("failed-*"))
    # the files showing personal data are deleted, so no output keeps the values; the message
    # and FAILED.txt name the kind and section
    assert (failed / "FAILED.txt").exists() and "Customer list" in (failed / "FAILED.txt").read_text()
    assert not (failed / "index.html").exists() and not (failed / "index.NOT-PUBLISHED.html").exists()
    assert not (failed / "notebooks" / "04_personal_data.ipynb").exists()
    assert report.privacy_scan((failed / "FAILED.txt").read_text()) == []


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"notebooks": []}, "no notebooks were given"),
        ({"notebooks": [NOTEBOOKS / "missing.ipynb"]}, "missing.ipynb: file not found"),
        ({"notebooks": [GOOD[0], GOOD[0]]}, "01_overview.ipynb: given 2 times"),
        ({"engagement_name": "../escape"}, "is not a plain folder name"),
        ({"renderer": "pdf"}, "unknown renderer 'pdf'"),
    ],
)
def test_build_report_input_errors(tmp_path: Path, kwargs: dict, expected: str) -> None:
    arguments = {
        "notebooks": GOOD, "parameters": {}, "reports_root": tmp_path, "engagement_name": "acme", "title": "t"
    }
    with pytest.raises(CxkitError) as info:
        report.build_report(**{**arguments, **kwargs})
    assert expected in str(info.value)
    assert not (tmp_path / "acme").exists() or not list((tmp_path / "acme").iterdir())


# --------------------------------------------------------------------------------------------
# combine
# --------------------------------------------------------------------------------------------


def test_combine_front_matter_hidden_inputs_and_reader_outputs(published: Path, tmp_path: Path) -> None:
    executed = sorted((published.parent / "notebooks").glob("*.ipynb"))
    combined = nbformat.read(report.combine(executed, TITLE, SUBTITLE, tmp_path / "r.ipynb"), as_version=4)
    nbformat.validate(combined)
    front = combined.cells[0]
    assert front.cell_type == "raw"
    meta = yaml.safe_load(front.source.strip().strip("-"))
    assert meta["title"] == TITLE and meta["subtitle"] == SUBTITLE
    assert meta["format"]["html"] == {"embed-resources": True, "toc": True, "html-math-method": "plain"}
    assert meta["execute"] == {"echo": False}
    rest = combined.cells[1:]
    assert not any(c.cell_type == "raw" for c in rest)
    assert not any({"parameters", "injected-parameters"} & set(c.metadata.get("tags", [])) for c in rest)
    code = [c for c in rest if c.cell_type == "code"]
    assert code and all(c.source.startswith("#| echo: false") and c.metadata.jupyter.source_hidden for c in code)
    assert all(c.outputs for c in code)
    outputs = [o for c in code for o in c.outputs]
    assert not any(o.get("name") == "stderr" for o in outputs)
    assert "noisy library warning" not in json.dumps(outputs)
    headings = [c.source for c in rest if c.cell_type == "markdown" and c.source.startswith("#")]
    assert headings[0].startswith("# Overview") and "# Resolution" in headings  # added from front matter
    assert len({c.id for c in combined.cells}) == len(combined.cells)


# --------------------------------------------------------------------------------------------
# nbconvert HTML
# --------------------------------------------------------------------------------------------


def test_nbconvert_html_is_complete(page: str) -> None:
    assert f"<title>{TITLE}</title>" in page and SUBTITLE in page
    assert '<nav id="TOC"' in page
    sections = (("overview", "Overview"), ("contacts-by-queue", "Contacts by queue"), ("resolution", "Resolution"))
    for anchor, text in sections:
        assert f'id="{anchor}"' in page and f'<a href="#{anchor}">{text}</a>' in page
    assert page.count("<svg") == 2 and "viewBox=" in page  # inline, case kept
    assert "data:image/svg+xml" not in page
    assert 'class="cxkit-table"' in page and "71.2%" in page and "12:34" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "71.2% (95% CI 69.8-72.5%, n = 4,210)" in page
    assert "<strong>Degraded:</strong>" in page


def test_nbconvert_html_makes_no_external_request_and_hides_code(page: str) -> None:
    assert report.external_references(page) == []
    assert not re.search(r"<(script|link)\b", page, re.I)
    for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", page, re.I):
        assert "http" not in tag
    for cdn in ("mathjax", "require.js", "requirejs", "jquery", "cdnjs", "unpkg", "fonts.googleapis"):
        assert cdn not in page.lower()
    for code in ("use_report_theme", "import pandas", "display.table(", "In&nbsp;[", "engagement = "):
        assert code not in page
    assert "noisy library warning" not in page
    assert report.privacy_scan(page) == []


# --------------------------------------------------------------------------------------------
# Quarto selection
# --------------------------------------------------------------------------------------------


FAKE_QUARTO = """#!/bin/sh
echo "$@" >> "{log}"
if [ "$1" = "--version" ]; then echo 1.11.0; exit 0; fi
out="${{2%.ipynb}}.html"
printf '<html><head><title>fake</title></head><body><h1>Fake Quarto</h1></body></html>' > "$out"
"""


def test_quarto_renderer_is_used_when_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "quarto.log"
    fake = bin_dir / "quarto"
    fake.write_text(FAKE_QUARTO.format(log=log))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert report.choose_renderer("auto") == "quarto"
    notebook = tmp_path / "work" / "report.ipynb"
    notebook.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# x")]), notebook)
    out = report.render_html(notebook, tmp_path / "out" / "index.html")
    assert "Fake Quarto" in out.read_text()
    assert log.read_text().split() == ["render", "report.ipynb", "--to", "html"]
    assert not notebook.with_suffix(".html").exists()


def test_quarto_requested_but_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report.shutil, "which", lambda name: None)
    assert report.choose_renderer("auto") == "nbconvert"
    with pytest.raises(CxkitError, match="no 'quarto' executable is on PATH"):
        report.choose_renderer("quarto")


# --------------------------------------------------------------------------------------------
# kernel noise
# --------------------------------------------------------------------------------------------


def test_a_run_prints_no_kernel_noise(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    # the kernel is a child process writing to the same stderr, which capfd captures
    report.build_report([GOOD[0]], {"engagement": "quiet"}, tmp_path, "acme", TITLE, renderer="nbconvert")
    err = capfd.readouterr().err
    assert "running over TCP without encryption" not in err
    assert "KeyboardInterrupt" not in err


def test_kernel_channels_are_encrypted_and_shutdown_does_not_interrupt() -> None:
    import asyncio

    manager = report._kernel_manager_class()(kernel_name="python3")
    assert manager.transport_encryption == "auto"
    assert manager.kernel_spec.metadata["supported_encryption"] == ["curve"]
    manager.shutting_down = True
    asyncio.run(manager._async_interrupt_kernel())  # returns at once: no SIGINT while stopping
    manager.shutting_down = False
    with pytest.raises(RuntimeError, match="No kernel is running"):  # otherwise interrupts as before
        asyncio.run(manager._async_interrupt_kernel())


# --------------------------------------------------------------------------------------------
# refusals name the cause and the file kept
# --------------------------------------------------------------------------------------------


CDN_QUARTO = """#!/bin/sh
if [ "$1" = "--version" ]; then echo 1.11.0; exit 0; fi
out="${2%.ipynb}.html"
printf '<html><head><script src="https://cdn.jsdelivr.net/npm/requirejs@2.3.6/require.min.js"></script>' > "$out"
printf '<script src="https://cdn.jsdelivr.net/npm/jquery@3.5.1/dist/jquery.min.js"></script></head>' >> "$out"
printf '<body><h1>Overview</h1><p>71.2%%</p></body></html>' >> "$out"
"""


@pytest.fixture
def cdn_quarto(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fake ``quarto`` on PATH that writes a page loading require.js and jQuery from a CDN."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "quarto"
    fake.write_text(CDN_QUARTO)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def _named_paths(message: str, root: Path) -> list[Path]:
    return [Path(p.rstrip(".,:;)")) for p in re.findall(rf"{re.escape(str(root))}[^\s'\"]*", message)]


def test_cdn_scripts_refusal_names_the_cause_and_the_page_kept(tmp_path: Path, cdn_quarto: None) -> None:
    with pytest.raises(CxkitError) as info:
        report.build_report([GOOD[0]], {"engagement": "x"}, tmp_path / "reports", "acme", TITLE, renderer="quarto")
    message = str(info.value)
    failed = next((tmp_path / "reports" / "acme").glob("failed-*"))
    kept = failed / "index.NOT-PUBLISHED.html"
    assert "would load 2 resources from the network" in message
    assert "Quarto added require.js and jQuery from a CDN" in message
    assert "text/html or application/javascript" in message and "--renderer nbconvert" in message
    assert "use_report_theme" not in message
    assert f"kept, unpublished, at {kept}" in message and kept.exists()
    assert not (failed / "index.html").exists()
    named = _named_paths(message, tmp_path)
    assert kept in named and all(path.exists() for path in named)  # never a deleted staging file
    assert not list(failed.glob(".quarto-*")) and not (tmp_path / "reports" / "acme" / "latest").exists()


def test_rerender_refusal_keeps_the_page_beside_the_published_one(
    published: Path, tmp_path: Path, cdn_quarto: None
) -> None:
    run = tmp_path / published.parent.name
    shutil.copytree(published.parent, run)
    before = (run / "index.html").read_bytes()
    with pytest.raises(CxkitError) as info:
        report.rerender_run(run, "quarto")
    message = str(info.value)
    kept = run / "index.NOT-PUBLISHED.html"
    assert "Quarto added require.js and jQuery from a CDN" in message and "use_report_theme" not in message
    assert f"kept, unpublished, at {kept}" in message and kept.exists()
    assert f"the published {run / 'index.html'} is unchanged" in message
    assert (run / "index.html").read_bytes() == before
    assert all(path.exists() for path in _named_paths(message, tmp_path))
    assert not list(run.glob(".rerender-*")) and json.loads((run / "run.json").read_text())["renderer"] == "nbconvert"


# --------------------------------------------------------------------------------------------
# real Quarto (skipped without it)
# --------------------------------------------------------------------------------------------

NO_QUARTO = "no 'quarto' executable on PATH, so the real Quarto renderer is not tested (install Quarto)"


@pytest.fixture(scope="module")
def quarto_published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The good report published by `cxkit run` with Quarto on PATH (renderer auto)."""
    if shutil.which("quarto") is None:
        pytest.skip(NO_QUARTO)
    root = tmp_path_factory.mktemp("quarto-reports")
    return report.build_report(GOOD, {"engagement": "acme-engagement"}, root, "acme", TITLE, SUBTITLE, renderer="auto")


@pytest.fixture(scope="module")
def quarto_page(quarto_published: Path) -> str:
    return quarto_published.read_text(encoding="utf-8")


def _reader_content(page: str) -> dict[str, object]:
    """What a reader gets from a page, whatever renders it: headings, tables, charts, numbers."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    main = soup.find("main")
    # Quarto puts its title block in <main>, and a callout's title in a header of its own
    for tag in main.select("header#title-block-header, .callout-header, script, style"):
        tag.decompose()
    charts = [[t.get_text() for t in svg.find_all("text")] for svg in main.select("svg.marks")]
    for svg in main.find_all("svg"):
        svg.decompose()
    return {
        "contents": [a.get_text(" ", strip=True) for a in soup.select("nav#TOC a")],
        "headings": [h.get_text(" ", strip=True) for h in main.find_all(["h1", "h2", "h3", "h4"])],
        "tables": [
            [[c.get_text(" ", strip=True) for c in row.find_all(["th", "td"])] for row in table.find_all("tr")]
            for table in main.find_all("table")
        ],
        "captions": [c.get_text(" ", strip=True) for c in main.find_all("caption")],
        "charts": charts,
        "numbers": re.findall(r"\d[\d,.:]*%?", main.get_text(" ")),
    }


def test_quarto_run_publishes_one_offline_page(quarto_published: Path, quarto_page: str) -> None:
    run = quarto_published.parent
    record = json.loads((run / "run.json").read_text())
    assert record["renderer"] == "quarto"
    assert record["versions"]["quarto"] and "\x1b" not in record["versions"]["quarto"]
    assert 'name="generator" content="quarto' in quarto_page
    assert report.external_references(quarto_page) == [] and report.privacy_scan(quarto_page) == []
    assert not re.search(r"<script\b[^>]*\ssrc=", quarto_page, re.I)
    assert not re.search(r"<link\b[^>]*stylesheet", quarto_page, re.I)
    assert "<img" not in quarto_page and "cdn.jsdelivr" not in quarto_page and "define is not defined" not in quarto_page
    assert quarto_page.count('class="marks"') == 2  # both charts as inline SVG, their text readable
    assert ">Contacts by queue</text>" in quarto_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in quarto_page
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".")) == []  # no staging left


def test_quarto_page_has_quarto_look(quarto_page: str) -> None:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(quarto_page, "html.parser")
    toc = soup.select_one("#quarto-margin-sidebar nav#TOC")
    assert toc is not None and toc.select_one("#toc-title").get_text() == "Contents"
    callout = soup.select_one("div.callout.callout-warning.cxkit-caveat.cxkit-degraded")
    assert callout is not None and "Degraded" in callout.select_one(".callout-title-container").get_text()
    assert "Survey responses cover 8% of contacts" in callout.select_one(".callout-body").get_text()
    table = soup.select_one("table.cxkit-table")
    assert "table" in table["class"] and table.caption.get_text(strip=True) == "Contacts by queue"
    assert soup.select_one("p.subtitle").get_text() == SUBTITLE
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}", soup.select_one("p.date").get_text(strip=True))


def test_quarto_and_nbconvert_show_the_same_report(page: str, quarto_page: str) -> None:
    nbconvert, quarto = _reader_content(page), _reader_content(quarto_page)
    assert nbconvert["headings"] == ["Overview", "Contacts by queue", "Resolution"]
    for key in ("contents", "headings", "tables", "captions", "charts", "numbers"):
        assert quarto[key] == nbconvert[key], key


def test_cxkit_report_renders_a_run_again_with_quarto(published: Path, tmp_path: Path) -> None:
    if shutil.which("quarto") is None:
        pytest.skip(NO_QUARTO)
    run = tmp_path / published.parent.name
    shutil.copytree(published.parent, run)
    (run / "index.NOT-PUBLISHED.html").write_text("an earlier refused page")
    index = report.rerender_run(run, "quarto")
    page = index.read_text(encoding="utf-8")
    assert 'content="quarto' in page and report.external_references(page) == []
    assert _reader_content(page) == _reader_content(published.read_text(encoding="utf-8"))
    assert json.loads((run / "run.json").read_text())["renderer"] == "quarto"
    assert not (run / "index.NOT-PUBLISHED.html").exists()


# --------------------------------------------------------------------------------------------
# privacy scan and external references
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("snippet", "kind"),
    [
        ("<p>write to jane.doe+cx@example.co.uk today</p>", "e-mail address"),
        ("<td>Jane@Example.com</td>", "e-mail address"),
        ("<p>call +44 20 7946 0958</p>", "phone number"),
        ("<p>call (415) 555-0123</p>", "phone number"),
        ("<p>call 415-555-0123</p>", "phone number"),
        ("<p>call 020 7946 0958</p>", "phone number"),
        ("<td>4111 1111 1111 1111</td>", "card number"),
        ("<td>4111-1111-1111-1111</td>", "card number"),
        ("<td>4111111111111111</td>", "card number"),
        ("<td>3782 822463 10005</td>", "card number"),
        ('<svg><g aria-label="customer: a.b@example.org; contacts: 3"></g></svg>', "e-mail address"),
    ],
)
def test_privacy_scan_finds_planted_personal_data(snippet: str, kind: str) -> None:
    findings = report.privacy_scan(f"<h2>Repeat callers</h2>{snippet}")
    assert findings and findings[0].startswith(f"{kind} in section 'Repeat callers'")
    value = re.sub(r"<[^>]+>", "", snippet)
    sensitive = [part for part in value.split() if any(ch.isdigit() or ch == "@" for ch in part)]
    assert not any(part in " ".join(findings) for part in sensitive)


@pytest.mark.parametrize(
    "snippet",
    [
        "<p>71.2% (95% CI 69.8-72.5%, n = 4,210)</p>",
        "<td>1,234,567</td><td>4210</td><td>12:34</td><td>1:02:05</td>",
        "<p>from 2026-10-01 to 2026-10-31, run 20261125T164500Z, 2026-11-25 16:45:00</p>",
        "<td>4111 1111 1111 1112</td>",  # fails the Luhn check
        "<td>1234567890123</td>",  # a 13-digit identifier-like count, not Luhn-valid
        "<td>$1,234,567.89</td><td>0.7123</td><td>-12.5%</td><td>Q4 2026</td>",
        '<svg><path d="M0,0L415,555L123,4567M4111 1111 1111 1111"/><text x="415.5" y="555.0123">Billing</text></svg>',
        "<style>a@media{color:red} .x{width:415-555-0123px}</style><p>ok</p>",
        '<script>var phone = "415-555-0123";</script>',
        '<svg viewBox="0 0 628 149"><g transform="translate(415,555)"></g><text>Sales 0.66 1,875</text></svg>',
    ],
)
def test_privacy_scan_ignores_ordinary_numbers_and_markup(snippet: str) -> None:
    assert report.privacy_scan(f"<h2>Numbers</h2>{snippet}") == []


def test_external_references_lists_requests_not_links() -> None:
    page = (
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css">'
        '<script src="//cdnjs.cloudflare.com/require.js"></script>'
        '<img src="http://example.com/x.png">'
        '<style>@import url("https://x/y.css");</style>'
        '<a href="https://quarto.org">Quarto</a>'
        '<svg xmlns="http://www.w3.org/2000/svg"></svg>'
        '<img src="data:image/png;base64,AAAA">'
    )
    found = report.external_references(page)
    assert len(found) == 4
    assert not any("quarto.org" in f or "w3.org" in f for f in found)


def test_a_label_holding_phone_numbers_is_refused_before_any_section_runs(tmp_path):
    # a call log's dialled number (DNIS) mapped as the entry point: the privacy scan refused the
    # rendered report 65 s later, advising to "aggregate or drop the identifying column in the
    # section"; the fix is in the mapping, and the run can say so before rendering
    import pandas as pd

    from cxkit.errors import CxkitError
    from cxkit.pipeline import check_shown_values

    results = tmp_path / "results"
    results.mkdir()
    pd.DataFrame({"channel": ["voice", "voice"], "entry_point": ["+1 312 555 0100", "+1 312 555 0142"],
                  "contacts": [10, 12]}).to_parquet(results / "ivr_exits.parquet")
    pd.DataFrame({"channel": ["voice"], "contacts": [22]}).to_parquet(results / "operations.parquet")
    with pytest.raises(CxkitError) as e:
        check_shown_values(tmp_path, None, {"entry_point": "DNIS"})
    msg = str(e.value)
    assert "sources.contacts.columns.entry_point (mapped from DNIS): its values hold 2 phone numbers" in msg
    assert "{sql: \"'number ending ' || right(DNIS, 4)\"}" in msg and "555" not in msg
    assert not (results / "ivr_exits.parquet").exists() and (results / "operations.parquet").exists()
    # names that identify no one pass
    pd.DataFrame({"entry_point": ["number ending 0100", "Main line"]}).to_parquet(results / "ivr_exits.parquet")
    check_shown_values(tmp_path, None, {"entry_point": "DNIS"})


def test_a_reason_holding_a_number_in_its_words_is_told_to_mask_the_number(tmp_path):
    # a contact reason "call back on 07700 900123": the fix offered replaced the whole reason by
    # 'number ending 0123', losing what the reason said; and three queues named by e-mail
    # addresses were "3 e-mail addresss"
    import pandas as pd

    from cxkit.errors import CxkitError
    from cxkit.pipeline import check_shown_values

    results = tmp_path / "results"
    results.mkdir()
    pd.DataFrame({"contact_reason": ["call back on 07700 900123", "refund", "card 4111 1111 1111 1111"],
                  "rate": [0.5, 0.6, 0.7]}).to_parquet(results / "fcr_by_reason.parquet")
    pd.DataFrame({"queue": [f"desk {n}@bank-example.co.uk" for n in ("a", "b", "c")],
                  "rate": [0.5, 0.6, 0.7]}).to_parquet(results / "fcr_by_queue.parquet")
    with pytest.raises(CxkitError) as e:
        check_shown_values(tmp_path, None, {"contact_reason": "reason", "queue": "queue"})
    msg = str(e.value)
    assert "its values hold 1 phone number, 1 card number" in msg and "3 e-mail addresses" in msg
    assert "{sql: \"regexp_replace(reason, '[0-9][0-9 ()+.-]{5,}[0-9]', '(number)', 'g')\"}" in msg
    assert "900123" not in msg and "4111" not in msg and "bank-example" not in msg
    # the fix it names masks the number and keeps the words
    import duckdb

    masked = duckdb.sql("SELECT regexp_replace(reason, '[0-9][0-9 ()+.-]{5,}[0-9]', '(number)', 'g') AS r FROM "
                        "(VALUES ('call back on 07700 900123'), ('card 4111 1111 1111 1111')) t(reason)").fetchall()
    assert [r for (r,) in masked] == ["call back on (number)", "card (number)"]
