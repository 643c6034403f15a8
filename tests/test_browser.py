"""The published report in a real browser: headless Chromium with networking off.

A report generated from a small synthetic center is rendered both ways (nbconvert, and Quarto
when it is installed) and opened in Chromium over the DevTools protocol (``websocket-client``):
no console error, no network request, every chart drawn with its axis titles, no element wider
than the page at 1400 px (nor on a printed A4 page), and a full-page screenshot saved in the run
folder. Skipped with the reason when Chromium (Debian: ``apt-get install chromium``) or, for the
Quarto page, ``quarto`` is not installed.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from cxkit.config import load_engagement
from cxkit.report import build_report, rerender_run

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
NO_CHROMIUM = "Chromium is not installed (Debian: apt-get install chromium), so the report is not opened in a browser"
NO_QUARTO = "no 'quarto' executable on PATH, so the Quarto page is not opened in a browser"

#: Wide enough for the page and Quarto's sidebar contents; the width the layout must fit.
SCREEN_WIDTH = 1400
#: CSS pixels across and down the printable part of an A4 page with the report's 12 mm x 14 mm
#: print margins (at 96 px per inch): 186 mm and 269 mm.
A4_PRINT_WIDTH = 703
A4_PRINT_HEIGHT = 1016


class Chromium:
    """Headless Chromium driven over the DevTools protocol, one page, networking off."""

    def __init__(self, binary: str, profile: Path) -> None:
        profile.mkdir(parents=True, exist_ok=True)
        (profile / "DevToolsActivePort").unlink(missing_ok=True)  # Chromium writes it once listening
        flags = [
            "--headless=new", "--remote-debugging-port=0", f"--user-data-dir={profile}",
            "--no-first-run", "--no-default-browser-check", "--disable-gpu", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            flags.append("--no-sandbox")  # Chromium refuses to start as root with its sandbox
        self.process = subprocess.Popen(
            [binary, *flags, "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        port = self._devtools_port(profile / "DevToolsActivePort")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as response:
            page = next(t for t in json.loads(response.read()) if t["type"] == "page")
        import websocket

        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=120, suppress_origin=True)
        self.events: list[dict[str, Any]] = []
        self._next_id = 0

    def _devtools_port(self, active_port: Path, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if active_port.exists() and active_port.read_text().strip():
                return int(active_port.read_text().split()[0])
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"Chromium did not open its DevTools port (exit code {self.process.poll()})")

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a DevTools method and return its result; events received meanwhile are kept."""
        self._next_id += 1
        self.socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == event for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(event)
            self.events.append(json.loads(self.socket.recv()))

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def open(self, page: Path, width: int = SCREEN_WIDTH) -> None:
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Network.emulateNetworkConditions", offline=True, latency=0, downloadThroughput=0, uploadThroughput=0)
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=False)
        self.send("Page.navigate", url=page.resolve().as_uri())
        self.wait_for("Page.loadEventFired")
        # let scripts that run after load (Quarto's) finish and the layout settle
        self.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 500))))")

    def requests(self, page: Path) -> list[str]:
        """Every URL the page asked for, except itself and data: URLs (which carry their content)."""
        own = page.resolve().as_uri()
        urls = [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]
        return [u for u in urls if u != own and not u.startswith("data:")]

    def console_errors(self) -> list[str]:
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                found.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                found.append(params["exceptionDetails"].get("exception", {}).get("description", "exception"))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(params["entry"]["text"])
        return found

    def screenshot(self, out: Path) -> Path:
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip)
        out.write_bytes(base64.b64decode(shot["data"]))
        return out

    def close(self) -> None:
        try:
            self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


#: Each chart as the reader sees it: drawn size, marks and axis titles.
CHARTS_JS = """
[...document.querySelectorAll('svg.marks')].map(svg => {
  const box = svg.getBoundingClientRect();
  return {width: box.width, height: box.height,
          marks: svg.querySelectorAll('path, rect, line, circle').length,
          axis_titles: [...svg.querySelectorAll('g.role-axis-title text')].map(t => t.textContent)};
})
"""

#: Elements reaching past the page's edges, and elements whose content is cut off or hidden
#: behind a horizontal scrollbar (hidden elements have no box; screen-reader-only ones are 1 px).
WIDE_JS = """
(() => {
  const W = document.documentElement.clientWidth;
  const all = [...document.body.querySelectorAll('*')];
  const name = e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} ${Math.round(e.getBoundingClientRect().width)}px`;
  const wide = all.filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && (r.right > W + 1 || r.left < -1);
  });
  const clipped = all.filter(e => e.clientWidth > 2 && e.scrollWidth > e.clientWidth + 1
                                  && getComputedStyle(e).overflowX !== 'visible');
  return {page: W, scroll: document.documentElement.scrollWidth,
          wide: wide.slice(0, 10).map(name), clipped: clipped.slice(0, 10).map(name)};
})()
"""


def _expected_charts(run: Path) -> list[list[str]]:
    """Axis titles of every chart in the report notebook, in order (the truth for the page)."""
    titles = []
    for cell in nbformat.read(run / "report.ipynb", as_version=4).cells:
        for output in cell.get("outputs", []):
            svg = output.get("data", {}).get("image/svg+xml")
            if svg:
                svg = "".join(svg) if isinstance(svg, list) else svg
                groups = re.findall(r'<g class="mark-text role-axis-title".*?</g>', svg, re.S)
                titles.append([t for g in groups for t in re.findall(r"<text[^>]*>([^<]*)</text>", g)])
    return titles


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The run folder of one generated report, rendered by nbconvert and (if installed) Quarto."""
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    from cxkit.generate import generate

    folder = tmp_path_factory.mktemp("browser")
    shutil.copy(ROOT / "engagements" / "demo" / "engagement.yaml", folder / "engagement.yaml")
    generate(folder / "data", seed=5, customers=2000)
    engagement = load_engagement(folder / "engagement.yaml")
    index = build_report(
        [ROOT / "notebooks" / f"{name}.ipynb" for name in engagement.report.sections],
        parameters={"engagement": str(folder / "engagement.yaml")},
        reports_root=folder / "reports",
        engagement_name=engagement.name,
        title="Browser test",
        subtitle="generated center",
        renderer="nbconvert",
    )
    found = {"nbconvert": index.parent}
    if shutil.which("quarto"):
        quarto_run = folder / "reports-quarto" / index.parent.name
        shutil.copytree(index.parent, quarto_run)
        rerender_run(quarto_run, "quarto")
        found["quarto"] = quarto_run
    return found


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Chromium]:
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    chromium = Chromium(CHROMIUM, tmp_path / "profile")
    try:
        yield chromium
    finally:
        chromium.close()


def _run(runs: dict[str, Path], renderer: str) -> Path:
    if renderer not in runs:
        pytest.skip(NO_QUARTO)
    return runs[renderer]


@pytest.mark.parametrize("renderer", ["nbconvert", "quarto"])
def test_report_opens_offline_with_every_chart_drawn(runs: dict[str, Path], browser: Chromium, renderer: str) -> None:
    run = _run(runs, renderer)
    page = run / "index.html"
    browser.open(page)
    assert browser.requests(page) == []
    assert browser.console_errors() == []
    charts = browser.evaluate(CHARTS_JS)
    expected = _expected_charts(run)
    assert len(expected) >= 5 and len(charts) == len(expected)
    for chart, titles in zip(charts, expected, strict=True):
        assert chart["width"] > 100 and chart["height"] > 50 and chart["marks"] > 0, chart
        assert chart["axis_titles"] == titles and all(t.strip() for t in titles), chart
    shot = browser.screenshot(run / f"screenshot-{renderer}.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000


@pytest.mark.parametrize("renderer", ["nbconvert", "quarto"])
def test_no_element_is_wider_than_the_page(runs: dict[str, Path], browser: Chromium, renderer: str) -> None:
    page = _run(runs, renderer) / "index.html"
    browser.open(page, width=SCREEN_WIDTH)
    layout = browser.evaluate(WIDE_JS)
    assert layout["page"] == SCREEN_WIDTH and layout["scroll"] <= layout["page"], layout
    assert layout["wide"] == [] and layout["clipped"] == [], layout
    # the same page printed on A4
    browser.send("Emulation.setEmulatedMedia", media="print")
    browser.send("Emulation.setDeviceMetricsOverride", width=A4_PRINT_WIDTH, height=1000, deviceScaleFactor=1, mobile=False)
    browser.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    printed = browser.evaluate(WIDE_JS)
    assert printed["scroll"] <= printed["page"] and printed["wide"] == [] and printed["clipped"] == [], printed
    # the contents (if printed at all) end on the first page, not on a page of their own
    contents_end = browser.evaluate(
        "(() => { const t = document.querySelector('nav#TOC'); const r = t && t.getBoundingClientRect();"
        " return r && r.height ? r.bottom + window.scrollY : 0; })()"
    )
    assert contents_end < A4_PRINT_HEIGHT, contents_end
