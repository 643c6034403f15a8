"""Scaffolding for consultants: a new engagement folder, and notebooks with parameters in place."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

from cxkit.errors import CxkitError

__all__ = ["write_engagement_template", "parameterized_notebooks", "ENGAGEMENT_TEMPLATE"]

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

readiness:
  thresholds: {{}}                # tighten or relax shared readiness thresholds, e.g. customer_id_null_max: 0.2
  business_hours:                 # local opening hours, used to catch UTC/local mix-ups
    mon: "08:00-20:00"
    tue: "08:00-20:00"
    wed: "08:00-20:00"
    thu: "08:00-20:00"
    fri: "08:00-20:00"

report:
  title: {title}
  sections: [00_summary, 01_data_readiness, 02_journey_effort, 03_resolution, 99_methodology]
  renderer: auto                  # auto uses Quarto when installed, else the built-in renderer
"""


def write_engagement_template(folder: Path, *, adapter: str = "cxkit_generator", force: bool = False) -> Path:
    """Create ``folder/engagement.yaml`` (commented template) and ``folder/data/``."""
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
    return path


def _ascii(text: str) -> str:
    """``text`` without accents ("Ünïcode" -> "Unicode"), for folder names."""
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def parameterized_notebooks(notebooks: list[Path], out_dir: Path, *, engagement: Path) -> Path:
    """Copies of ``notebooks`` with the engagement's parameters injected (not executed)."""
    import nbformat
    from papermill.parameterize import parameterize_notebook

    out_dir.mkdir(parents=True, exist_ok=True)
    run_dir = out_dir.parent / "lab_run"
    run_dir.mkdir(parents=True, exist_ok=True)
    for nb_path in notebooks:
        nb = nbformat.read(nb_path, as_version=4)
        nb = parameterize_notebook(nb, {"engagement": str(engagement), "run_dir": str(run_dir)})
        nbformat.write(nb, out_dir / nb_path.name)
    return out_dir
