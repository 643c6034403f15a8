"""Tests for cxkit.scaffold's notebooks with parameters in place: JupyterLab (`cxkit lab`) and
``quarto render`` of them (the latter skipped with the reason without Quarto)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbformat.sign import NotebookNotary

from cxkit import scaffold
from cxkit.report import external_references

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "notebooks"
SECTIONS = [ROOT / "notebooks" / name for name in ("00_summary.ipynb", "03_resolution.ipynb")]

ENGAGEMENT = """\
name: tiny
client: Tiny
period: {start: 2026-03-01, end: 2026-03-31}
sources:
  contacts:
    path: export.csv
    columns:
      contact_id: id
      channel: {constant: voice}
      direction: {constant: inbound}
      arrived_at: {column: start, format: '%Y-%m-%d %H:%M:%S'}
      ended_at: {column: start, format: '%Y-%m-%d %H:%M:%S'}
      outcome: {constant: handled}
"""


@pytest.fixture
def engagement(tmp_path: Path) -> Path:
    """A valid engagement folder with a one-row export (nothing here is executed)."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "export.csv").write_text("id,start\nc1,2026-03-02 09:00:00\n")
    (folder / "engagement.yaml").write_text(ENGAGEMENT)
    return folder


def _injected(notebook: nbformat.NotebookNode) -> str:
    cells = [c for c in notebook.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    return cells[0].source


def test_parameterized_notebooks_are_filled_in_trusted_and_a_quarto_project(engagement: Path) -> None:
    before = [p.read_bytes() for p in SECTIONS]
    folder = scaffold.parameterized_notebooks(SECTIONS, engagement / "work" / "notebooks", engagement=engagement)
    assert folder == engagement / "work" / "notebooks"
    assert [p.read_bytes() for p in SECTIONS] == before  # the originals are never touched
    notary = NotebookNotary(data_dir=str(scaffold.notary_dir(folder)))
    for section in SECTIONS:
        copy = nbformat.read(folder / section.name, as_version=4)
        source = _injected(copy)
        assert f'engagement = "{engagement.resolve()}"' in source
        assert f'run_dir = "{(engagement / "work" / "lab_run").resolve()}"' in source
        assert notary.check_signature(copy)  # JupyterLab opens it as trusted
    project = (folder / "_quarto.yml").read_text()
    assert "render: [03_resolution.ipynb, 00_summary.ipynb]" in project  # the summary reads the others
    assert "ipynb-filters: [_cxkit_quarto_filter.py]" in project and "embed-resources: true" in project
    assert (folder / "_environment").read_text() == f"QUARTO_PYTHON={sys.executable}\n"
    assert repr(sys.executable) in (folder / "_cxkit_quarto_filter.py").read_text()
    assert (folder / "quarto-report.css").is_file()
    assert all(p.resolve().is_relative_to(engagement.resolve()) for p in (engagement / "work").rglob("*"))


def test_lab_command_listens_on_loopback_and_allows_root_only_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "work" / "notebooks"
    monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)
    command = scaffold.lab_command(folder, port=9999, open_browser=False)
    assert command[:5] == [sys.executable, "-m", "jupyter", "lab", str(folder)]
    assert "--ServerApp.ip=127.0.0.1" in command and "--ServerApp.port=9999" in command
    assert "--no-browser" in command and "--allow-root" in command
    assert f"--NotebookNotary.data_dir={tmp_path / 'work' / 'jupyter'}" in command
    settings = json.loads((tmp_path / "work" / "jupyter" / "cxkit_lab.json").read_text())
    assert settings["ServerApp"]["tornado_settings"] == {"ws_ping_timeout": 30000}
    monkeypatch.setattr(os, "geteuid", lambda: 1000, raising=False)
    assert "--allow-root" not in scaffold.lab_command(folder)


# --------------------------------------------------------------------------------------------
# a real JupyterLab server, started the way a consultant does
# --------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lab_url(log: Path, process: subprocess.Popen, timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(r"http://127\.0\.0\.1:\d+/lab\?token=\w+", log.read_text(errors="replace"))
        if match:
            return match.group(0)
        if process.poll() is not None:
            break
        time.sleep(0.5)
    raise AssertionError(f"JupyterLab did not start:\n{log.read_text(errors='replace')[-3000:]}")


def _wait_listening(port: int, process: subprocess.Popen, timeout: float = 120) -> None:
    """Wait until the server accepts connections on ``port``.

    Jupyter Server prints its URL before it listens: it binds the port in a callback of the
    event loop that starts after the URL is logged, so on a loaded machine a request sent as
    soon as the URL appears is refused.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                return
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.25)
    raise AssertionError(f"nothing listened on 127.0.0.1:{port} within {timeout:.0f} s")


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=60) as response:  # loopback only
        return response.status, response.read()


def test_cxkit_lab_serves_the_parameterized_notebooks_and_stops_cleanly(engagement: Path, tmp_path: Path) -> None:
    import websocket

    port = _free_port()
    log = tmp_path / "lab.log"
    cxkit = Path(sys.executable).with_name("cxkit")
    with log.open("w") as out:
        lab = subprocess.Popen(
            [str(cxkit), "lab", str(engagement), "--no-browser", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path,
        )
    try:
        url = _lab_url(log, lab)
        base, token = url.split("/lab?token=")
        assert base == f"http://127.0.0.1:{port}"
        _wait_listening(port, lab)
        status, body = _get(url)
        assert status == 200 and b"JupyterLab" in body
        status, body = _get(f"{base}/api/contents/03_resolution.ipynb?token={token}")
        model = json.loads(body)
        assert status == 200 and model["type"] == "notebook"
        assert f'engagement = \\"{engagement.resolve()}\\"' in json.dumps(model["content"])
        # a kernel and its websocket, as the browser opens them
        request = urllib.request.Request(
            f"{base}/api/kernels?token={token}", data=b'{"name": "python3"}', method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            kernel = json.loads(response.read())
        channel = websocket.create_connection(
            f"ws://127.0.0.1:{port}/api/kernels/{kernel['id']}/channels?token={token}&session_id=test",
            suppress_origin=True, timeout=60,
        )
        channel.close()
    finally:
        lab.send_signal(signal.SIGTERM)  # to cxkit's own process, which passes it on
        code = lab.wait(timeout=120)
    text = log.read_text(errors="replace")
    assert code == 0, text[-3000:]
    assert "received signal 15, stopping" in text and "Shutting down" in text
    for noise in ("Traceback", "websocket_ping_timeout", "not trusted", "running over TCP without encryption"):
        assert noise not in text, noise
    assert not (engagement.parent / "work").exists()  # everything went inside the engagement


# --------------------------------------------------------------------------------------------
# quarto render of the parameterized notebooks (what a Quarto user types)
# --------------------------------------------------------------------------------------------


def test_quarto_render_of_the_notebooks_works_offline_and_takes_parameters(tmp_path: Path) -> None:
    quarto = shutil.which("quarto")
    if quarto is None:
        pytest.skip("no 'quarto' executable on PATH, so `quarto render` of the notebooks is not tested")
    sources = [FIXTURES / "01_overview.ipynb", FIXTURES / "02_resolution.ipynb"]
    before = [p.read_bytes() for p in sources]
    folder = scaffold.parameterized_notebooks(sources, tmp_path / "acme" / "work" / "notebooks", engagement=tmp_path / "acme")
    # parameters passed on the command line win over the ones cxkit filled in
    other = tmp_path / "other.yaml"
    done = subprocess.run(
        [quarto, "render", str(folder), "-P", f"engagement:{other}", "-P", f"run_dir:{tmp_path}"],
        capture_output=True, text=True, timeout=900, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    overview = (folder / "01_overview.html").read_text(encoding="utf-8")
    resolution = (folder / "02_resolution.html").read_text(encoding="utf-8")
    for page in (overview, resolution):
        assert external_references(page) == [] and "<img" not in page and "cdn.jsdelivr" not in page
        assert page.count('class="marks"') == 1  # the chart as inline SVG
    assert f"Engagement: <strong>{other}</strong>" in overview
    assert json.loads((tmp_path / "overview.json").read_text()) == {"engagement": str(other)}
    assert "noisy library warning" not in overview  # stderr and warnings are not for readers
    assert "callout-warning" in resolution and "cxkit-caveat cxkit-degraded" in resolution
    assert [p.read_bytes() for p in sources] == before  # Quarto executed the copies, not these
