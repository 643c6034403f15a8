"""Scaffolding for consultants: a new engagement folder, and notebooks with parameters in place."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from cxkit.errors import CxkitError

__all__ = ["write_engagement_template", "parameterized_notebooks", "ENGAGEMENT_TEMPLATE"]

ENGAGEMENT_TEMPLATE = """\
# cxkit engagement: one file per client engagement. Validate with `cxkit validate {folder}`,
# produce the report with `cxkit run {folder}`. Every key is checked at once on load, and
# messages name the key to fix. The canonical model is in docs/data-model.md.
name: {name}                      # short name: reports go to reports/<name>/
client: "{client}"                # shown on the report
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
  # failure_demand_reasons: []    # reasons tagged as avoidable demand, e.g. [WHERE_IS_MY_ORDER]
  # seed: 20260301                # scenario Monte Carlo seed (same seed, same numbers)
  # scenarios:                    # none: the default set (incl. FCR 62% to 73% with AHT +40 s)
  #   - name: "FCR +8 points on billing"
  #     fcr_change: 0.08          # points added to the measured FCR (or fcr_to, with fcr_from)
  #     reasons: [BILLING_DISPUTE]
  #     aht_change_s: 30
  #     low_high: {{fcr_change: [0.05, 0.10], aht_change_s: [20, 45]}}

# capacity:                       # Erlang C staffing against the WFM intervals source
#   service_level_target: 0.8     # share answered within operations.sl_seconds
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

report:
  title: "{client}: contact-center current-state diagnostic"
  sections: [00_summary, 01_data_readiness, 02_journey_effort, 03_resolution, 05_findings_and_priorities, 99_methodology]
  renderer: auto                  # auto uses Quarto when installed, else the built-in renderer
"""


def write_engagement_template(folder: Path, *, adapter: str = "cxkit_generator", force: bool = False) -> Path:
    """Create ``folder/engagement.yaml`` and ``folder/findings.yaml`` (commented templates) and
    ``folder/data/``; an existing findings.yaml is always kept."""
    folder = Path(folder)
    path = folder / "engagement.yaml"
    if path.exists() and not force:
        raise CxkitError(f"{path} already exists; edit it, or pass --force to overwrite it")
    (folder / "data").mkdir(parents=True, exist_ok=True)
    today = date.today()
    end = today.replace(day=1) - timedelta(days=1)
    text = ENGAGEMENT_TEMPLATE.format(
        folder=folder,
        name=folder.resolve().name.replace(" ", "_").lower() or "engagement",
        client=folder.resolve().name.replace("_", " ").title(),
        start=end.replace(day=1).isoformat(),
        end=end.isoformat(),
        adapter=adapter,
    )
    path.write_text(text, encoding="utf-8")
    findings_path = folder / "findings.yaml"
    if not findings_path.exists():  # a consultant's findings are never overwritten, not even with --force
        from cxkit.findings import FINDINGS_TEMPLATE

        findings_path.write_text(FINDINGS_TEMPLATE, encoding="utf-8")
    return path


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
