"""Scaffolding for consultants: a new engagement folder, and notebooks with parameters in place."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

from cxkit.errors import CxkitError

__all__ = [
    "ENGAGEMENT_TEMPLATE",
    "LAB_SETTINGS",
    "lab_command",
    "notary_dir",
    "parameterized_notebooks",
    "write_engagement_template",
    "write_pseudonym_key",
]

ENGAGEMENT_TEMPLATE = """\
# cxkit engagement: one file per client engagement. Validate with `cxkit validate {folder}`,
# produce the report with `cxkit run {folder}`. Every key is checked at once on load, and
# messages name the key to fix. The canonical model is in docs/data-model.md.
name: {name}                      # short name: reports go to reports/<name>/
client: {client}                  # shown on the report
period: {{start: {start}, end: {end}}}   # inclusive local dates of the data to diagnose
timezone: Europe/London           # the center's local time (IANA name)
currency: GBP

backend:                          # where the data is processed (default: embedded DuckDB in memory)
  # database: work/cxkit.duckdb   # keep canonical tables in a DuckDB file between runs
  # url: pyspark://               # or any ibis backend URL, for large clients
  materialize: true

sources:
  # One entry per canonical table: contacts (required), cases, surveys, qa, intervals.
  # `adapter` names a ready-made mapping (`cxkit adapters` lists them) or a YAML file of your own;
  # anything under the entry overrides the adapter, column by column.
  contacts:
    adapter: {adapter}
    path: data/contacts.*         # a file or a glob, relative to this folder
    # format: csv                 # csv, parquet, json, jsonl (default: from the file suffix)
    # read_options: {{delim: ";", encoding: latin-1}}
    # timezone: UTC               # timezone of naive timestamps in this export (default: the engagement's)
    # columns:                    # remap a column: a raw column name, or {{sql: ...}}, {{constant: ...}}
    #   contact_reason: {{column: wrap_code, values: {{BILL: billing}}}}
    #   customer_id: {{column: account_no, null_values: ["0", "UNKNOWN"]}}
    #   team: null                # a column this export does not record: unmapped, its figures "not measured"
  # surveys: {{adapter: {adapter}, path: data/surveys.jsonl}}
  # cases: {{adapter: {adapter}, path: data/cases.csv}}

resolution:
  repeat_window_days: 7           # a repeat is a later inbound contact within this many days
  sensitivity_windows_days: [1, 3, 7, 14, 30]
  exclude_reasons: []             # reasons that are not service (e.g. outbound sales follow-ups)
  min_n: 30                       # segments smaller than this are flagged and never ranked
  max_contacts_per_customer_per_day: 10   # more than this a day over the period: a shared or test id
  exclude_implausible_customers: true     # read such ids as unidentified in repeat metrics

operations:
  sl_seconds: {{default: 20, voice: 20, chat: 60}}   # service-level threshold per channel
  short_abandon_s: 5              # abandons at or under this are short and not counted

followthrough:
  callback_promise_business_days: 1
  case_open_age_days: 14

cost:
  cost_per_contact: {{voice: 6.50, chat: 4.20}}      # per channel, in the currency above
  # loaded_hourly_cost: 32.0      # or derive cost per contact from AHT: hours x cost / occupancy
  occupancy: 0.8
  productive_hours_per_fte: 1600
  # overhead_per_contact: 0.0     # added to a derived cost per contact
  # inputs_note: "client finance, FY2025 budget"   # where these cost inputs come from (shown in the report)
  # failure_demand_reasons: []    # reasons tagged as avoidable demand, e.g. [WHERE_IS_MY_ORDER]
  # seed: 20260301                # scenario Monte Carlo seed (same seed, same numbers)
  # scenarios:                    # none: the default set (incl. FCR 62% to 73% with AHT +40 s)
  #   - name: "FCR +8 points on billing"
  #     fcr_change: 0.08          # points added to the measured FCR (or fcr_to, with fcr_from)
  #     reasons: [BILLING_DISPUTE]
  #     aht_change_s: 30
  #     low_high: {{fcr_change: [0.05, 0.10], aht_change_s: [20, 45]}}

# capacity:                       # Erlang C staffing against the WFM intervals source
#   service_level_target: 0.8     # share answered within operations.sl_seconds: the staffing target, and
#                                 # the bar of the finding "service level below target" (with or without WFM)
#   channels: [voice]             # queues whose agents take one contact at a time

# findings:                       # how findings are screened and ranked (the consultant's own are in findings.yaml)
#   file: findings.yaml           # qualitative findings and overrides of data findings, relative to this file
#   weights: {{customer_effect: 0.3, operational_effect: 0.3, delivery_complexity: 0.2, dependency_risk: 0.2}}
#   top_n: 5                      # findings that get a one-page brief in the run folder
#   min_score: 0                  # findings scoring below this get no brief
#   not_assessed: 3               # screen value of a screen nobody assessed (shown as not assessed)
#   customer_effect_bands: [0.01, 0.03, 0.06, 0.12]        # volume share for 2, 3, 4, 5
#   operational_effect_bands: [0.0025, 0.005, 0.01, 0.02]  # share of agent hours for 2, 3, 4, 5
#   thresholds: {{callbacks_kept_min: 0.9}}                 # rule thresholds (cxkit.findings.THRESHOLDS)

readiness:
  thresholds: {{}}                # tighten or relax shared readiness thresholds, e.g. customer_id_null_max: 0.2
  business_hours:                 # local opening hours, used to catch UTC/local mix-ups
    mon: "08:00-20:00"
    tue: "08:00-20:00"
    wed: "08:00-20:00"
    thu: "08:00-20:00"
    fri: "08:00-20:00"
  closed_days: []                 # local dates the center was closed (public holidays), e.g. [2026-04-03]:
                                  # no day check reads them as an export outage
  # open_within_hours: 24         # a contact with no end that arrived this close to the export's latest time is
                                  # still open (counted apart, left out of handle times), not an end missing

report:
  title: {title}
  sections: [00_summary, 01_data_readiness, 02_journey_effort, 03_resolution, 04_cost_and_capacity, 05_findings_and_priorities, 99_methodology]
  renderer: auto                  # auto uses Quarto when installed, else the built-in renderer
"""


def write_engagement_template(folder: Path, *, adapter: str = "cxkit_generator", force: bool = False) -> Path:
    """Create ``folder/engagement.yaml`` and ``folder/findings.yaml`` (commented templates),
    ``folder/data/`` and the engagement's pseudonym key (``folder/.cxkit-pseudonym-key``,
    git-ignored, never printed); an existing findings.yaml is always kept."""
    folder = Path(folder)
    path = folder / "engagement.yaml"
    if path.exists() and not force:
        raise CxkitError(f"{path} already exists; edit it, or pass --force to overwrite it")
    (folder / "data").mkdir(parents=True, exist_ok=True)
    today = date.today()
    end = today.replace(day=1) - timedelta(days=1)
    # the name is a folder under reports/ (a slug); the client is free text, quoted for YAML
    client = folder.resolve().name.replace("_", " ").title()
    text = ENGAGEMENT_TEMPLATE.format(
        folder=folder,
        name=re.sub(r"[^a-z0-9._-]+", "-", _ascii(folder.resolve().name).lower()).strip("-._") or "engagement",
        client=json.dumps(client),
        title=json.dumps(f"{client}: contact-center current-state diagnostic"),
        start=end.replace(day=1).isoformat(),
        end=end.isoformat(),
        adapter=adapter,
    )
    path.write_text(text, encoding="utf-8")
    write_pseudonym_key(folder)
    findings_path = folder / "findings.yaml"
    if not findings_path.exists():  # a consultant's findings are never overwritten, not even with --force
        from cxkit.findings import FINDINGS_TEMPLATE

        findings_path.write_text(FINDINGS_TEMPLATE, encoding="utf-8")
    return path


def write_pseudonym_key(folder: Path) -> Path:
    """The engagement's pseudonym key (kept if present) and a ``.gitignore`` beside it that keeps
    the key out of version control (see :mod:`cxkit.pseudonyms`)."""
    from cxkit.pseudonyms import KEY_FILE, create_key

    key = create_key(folder)
    ignore = Path(folder) / ".gitignore"
    lines = ignore.read_text(encoding="utf-8").splitlines() if ignore.exists() else []
    if KEY_FILE not in lines:
        ignore.write_text("\n".join([*lines, KEY_FILE]) + "\n", encoding="utf-8")
    return key


#: Quarto project written beside the parameterized notebooks, so ``quarto render <folder>``
#: executes them (Quarto writes the outputs into the notebooks it executes: these copies, never
#: the originals in notebooks/) and renders each with cxkit's offline conversion.
QUARTO_PROJECT = """\
# Written by cxkit: a Quarto project of this engagement's notebooks (copies, parameters filled in).
#   quarto render {folder}                                     every section, as one page each
#   quarto render {folder}/03_resolution.ipynb -P engagement:/path/to/engagement.yaml -P run_dir:/path/to/folder
# Quarto executes a notebook in place, so it renders these copies, never the ones in notebooks/.
project:
  type: default
  render: [{render}]
execute:
  enabled: true
  echo: false
  warning: false
ipynb-filters: [{filter}]
format:
  html:
    embed-resources: true
    toc: true
    toc-title: Contents
    html-math-method: plain
    css: {css}
"""

#: The ipynb filter Quarto runs (with its own Python); it hands the notebook to cxkit's interpreter.
QUARTO_FILTER = """\
# Written by cxkit: Quarto ipynb filter (see _quarto.yml). Quarto runs it with the Python it
# finds; the conversion runs in the interpreter that has cxkit.
import subprocess
import sys

sys.exit(subprocess.run([{python!r}, "-m", "cxkit.quarto"], check=False).returncode)
"""

_FILTER_NAME = "_cxkit_quarto_filter.py"
def _ascii(text: str) -> str:
    """``text`` without accents ("Ünïcode" -> "Unicode"), for folder names."""
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def parameterized_notebooks(notebooks: list[Path], out_dir: Path, *, engagement: Path) -> Path:
    """Copies of ``notebooks`` with the engagement's parameters injected (not executed).

    Parameters
    ----------
    notebooks
        Section notebooks, in report order.
    out_dir
        Folder for the copies (inside the engagement folder, e.g. ``<engagement>/work/notebooks``);
        created if needed. ``run_dir`` of the copies is its sibling ``lab_run``.
    engagement
        The engagement file or folder, injected as the ``engagement`` parameter (made absolute).

    Returns
    -------
    Path
        ``out_dir``, which also holds a Quarto project (``_quarto.yml``, ``_environment`` naming
        this interpreter, an ipynb filter and the report style sheet) so ``quarto render out_dir``
        works, and whose notebooks are signed as
        trusted in ``out_dir.parent / "jupyter"`` (the notary store ``cxkit lab`` points
        JupyterLab at), so JupyterLab shows their outputs without a "not trusted" warning.
    """
    import shutil
    import sys

    import nbformat
    from nbformat.sign import NotebookNotary
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    from cxkit.quarto import STYLESHEET

    out_dir.mkdir(parents=True, exist_ok=True)
    run_dir = out_dir.parent / "lab_run"
    run_dir.mkdir(parents=True, exist_ok=True)
    notary_dir(out_dir).mkdir(parents=True, exist_ok=True)
    notary = NotebookNotary(data_dir=str(notary_dir(out_dir)))
    parameters = {"engagement": str(Path(engagement).resolve()), "run_dir": str(run_dir.resolve())}
    for nb_path in notebooks:
        # papermill's loader gives every cell the metadata papermill's parameterizer reads
        nb = parameterize_notebook(load_notebook_node(str(nb_path)), parameters)
        notary.sign(nb)
        nbformat.write(nb, out_dir / nb_path.name)
    # a summary section (00_*) reads what the others wrote, so Quarto renders it after them
    order = sorted((p.name for p in notebooks), key=lambda name: name.startswith("00_"))
    shutil.copyfile(STYLESHEET, out_dir / STYLESHEET.name)
    (out_dir / _FILTER_NAME).write_text(QUARTO_FILTER.format(python=sys.executable), encoding="utf-8")
    # Quarto reads a project's _environment: its kernels and filters then use this interpreter,
    # with or without the virtual environment activated.
    (out_dir / "_environment").write_text(f"QUARTO_PYTHON={sys.executable}\n", encoding="utf-8")
    (out_dir / "_quarto.yml").write_text(
        QUARTO_PROJECT.format(folder=out_dir, render=", ".join(order), filter=_FILTER_NAME, css=STYLESHEET.name),
        encoding="utf-8",
    )
    return out_dir


def notary_dir(out_dir: Path) -> Path:
    """Where the signatures of the notebooks in ``out_dir`` are kept (inside the engagement)."""
    return Path(out_dir).parent / "jupyter"


#: Jupyter settings for ``cxkit lab`` (written to ``<work>/jupyter/cxkit_lab.json``):
#: - jupyter_server pings websockets every 30 s and, by default, waits 90 s for the answer, which
#:   tornado >= 6.5 refuses with a "websocket_ping_timeout" warning on every connection; the
#:   timeout is set to the interval, which is what tornado then uses anyway.
#: - kernels talk to the server over IPC sockets (not TCP), so none warns that it "is running
#:   over TCP without encryption" (POSIX only; Windows has no IPC transport).
LAB_SETTINGS: dict = {"ServerApp": {"tornado_settings": {"ws_ping_timeout": 30000}}}
_LAB_POSIX_SETTINGS: dict = {"KernelManager": {"transport": "ipc"}}


def lab_command(folder: Path, *, port: int | None = None, open_browser: bool = True) -> list[str]:
    """The command that serves JupyterLab on ``folder`` from :func:`parameterized_notebooks`.

    Parameters
    ----------
    folder
        The folder of parameterized notebooks.
    port
        Port on the loopback interface; None lets Jupyter pick (8888, or the next free one).
    open_browser
        Open the user's browser on the server's URL.

    Returns
    -------
    list of str
        ``python -m jupyter lab <folder>`` listening on 127.0.0.1 only, with :data:`LAB_SETTINGS`,
        the notary store the notebooks were signed in (so they open as trusted) and, when the
        user is root (common in containers, where Jupyter refuses to start otherwise),
        ``--allow-root``.
    """
    import json
    import os
    import sys

    folder = Path(folder)
    store = notary_dir(folder)
    store.mkdir(parents=True, exist_ok=True)
    settings = {**LAB_SETTINGS, **(_LAB_POSIX_SETTINGS if os.name == "posix" else {})}
    config = store / "cxkit_lab.json"
    config.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    command = [
        sys.executable, "-m", "jupyter", "lab", str(folder),
        "--ServerApp.ip=127.0.0.1",
        f"--NotebookNotary.data_dir={store}",
        f"--config={config}",
    ]
    if port is not None:
        command += [f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    if not open_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command
