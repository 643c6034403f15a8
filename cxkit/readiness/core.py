"""Readiness of one engagement: checks, source inventory and the readiness matrix, as one object."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from cxkit.config import Engagement
from cxkit.loading import mapped_columns, unique_by_construction
from cxkit.privacy import IdentifierSet, redact
from cxkit.readiness.checks import CheckResult, TableInputs, apply_populations, run_checks
from cxkit.readiness.matrix import verdicts
from cxkit.readiness.suites import Suite, apply_overrides, load_rules, load_suites
from cxkit.schema import DIAGNOSTICS, TABLES

__all__ = ["Readiness", "assess", "assess_tables", "load_readiness", "caveat", "READINESS_FILE"]

READINESS_FILE = "readiness.json"


@dataclass
class Readiness:
    """Everything readiness found: per-check results, the matrix, inventory and daily volumes."""

    engagement: Engagement
    results: list[CheckResult]
    matrix: dict[str, dict[str, Any]]
    inventory: list[dict[str, Any]]
    daily: dict[str, pd.DataFrame]
    suites: dict[str, Suite] = field(repr=False)
    rules: dict[str, Any] = field(repr=False)
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    #: the customer ids the findings were redacted with (hashed; never written)
    identifiers: IdentifierSet | None = field(default=None, repr=False)

    # ---- what pipelines read
    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.status == "fail"]

    @property
    def blocking_failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.blocking]

    @property
    def exit_code(self) -> int:
        """0 when no blocking check failed, 1 otherwise (rules.json ``exit_codes``)."""
        codes = self.rules["exit_codes"]
        return codes["blocking_check_failed"] if self.blocking_failures else codes["ok"]

    def verdict(self, diagnostic: str) -> str:
        return self.matrix[diagnostic]["verdict"]

    def to_dict(self) -> dict[str, Any]:
        import cxkit

        return {
            "format": "cxkit.readiness/1",
            "engagement": self.engagement.name,
            "client": self.engagement.client,
            "period": {"start": str(self.engagement.period.start), "end": str(self.engagement.period.end),
                       "timezone": self.engagement.timezone},
            "created_at": self.created_at.isoformat(),
            "cxkit_version": cxkit.__version__,
            "exit_code": self.exit_code,
            "summary": {
                "checks": len(self.results),
                "passed": sum(r.status == "pass" for r in self.results),
                "failed": len(self.failed),
                "not_evaluated": sum(r.status == "not evaluated" for r in self.results),
                "blocking_failed": [r.id for r in self.blocking_failures],
            },
            "matrix": self.matrix,
            "sources": self.inventory,
            "checks": [r.to_dict() for r in self.results],
        }

    def save(self, run_dir: str | Path) -> Path:
        """Write ``run_dir/readiness.json`` atomically; later notebooks read it."""
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        path = run_dir / READINESS_FILE
        fd, tmp = tempfile.mkstemp(dir=run_dir, prefix=".readiness.", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, indent=2, default=str)
        os.replace(tmp, path)
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any], engagement: Engagement, daily: pd.DataFrame | None = None) -> Readiness:
        """Readiness as saved by :meth:`save` (``readiness.json``), for showing it again without
        re-running any check; ``daily`` is :meth:`daily_volume`'s frame when it was kept."""
        fields = set(CheckResult.__dataclass_fields__)
        results = [CheckResult(**{k: v for k, v in c.items() if k in fields}) for c in data["checks"]]
        frames: dict[str, pd.DataFrame] = {}
        if daily is not None and len(daily):
            for source, part in daily.groupby("source", sort=False):
                frames[str(source)] = part[["day", "rows"]].reset_index(drop=True)
        created = datetime.fromisoformat(data["created_at"]) if data.get("created_at") else datetime.now(timezone.utc)
        return cls(engagement, results, data["matrix"], data["sources"], frames, {}, load_rules(), created)

    # ---- what the notebook shows (small frames; no local paths: the report goes to stakeholders)
    def inventory_table(self) -> pd.DataFrame:
        """One row per source: file (relative to the engagement folder), rows read and loaded,
        period covered, columns mapped. ``readiness.json`` keeps the full path."""
        shown = [{**s, "file": _shown_path(s["file"], self.engagement.base_dir)} for s in self.inventory]
        return pd.DataFrame(shown)[
            ["source", "file", "rows_read", "rows_loaded", "first_day", "last_day", "days_with_data",
             "columns_mapped", "not_mapped"]
        ]

    def checks_table(self, table: str | None = None, *, only_problems: bool = False) -> pd.DataFrame:
        """Checks grouped by source: result, unexpected records and denominator, what it means.

        ``only_problems`` keeps the checks that failed or could not be evaluated (what a reader
        acts on); the full list is in ``readiness.json`` and the Data Docs. ``unexpected`` counts
        records (or days) that broke a rule; table-level checks (the feed's row count) have none
        and show their ``observed`` value instead.
        """
        rows = [
            {
                "source": r.table,
                "category": r.category,
                "check": r.title,
                "result": r.status,
                "severity": r.severity,
                "unexpected": r.unexpected,
                "of": r.denominator,
                "observed": r.result.get("observed_value") if r.unexpected is None else None,
                "finding": r.finding or r.note or "",
                "consequence": (r.consequence or "") if r.status == "fail" else "",
                "id": r.id,
            }
            for r in self.results
            if (table is None or r.table == table) and (not only_problems or r.status != "pass")
        ]
        columns = ["source", "category", "check", "result", "severity", "unexpected", "of", "observed",
                   "finding", "consequence", "id"]
        frame = pd.DataFrame(rows, columns=columns)
        for col in ("unexpected", "of"):
            frame[col] = frame[col].astype("Int64")
        return frame

    def checks_summary_table(self) -> pd.DataFrame:
        """One row per source: checks run, passed, failed, not evaluated, worst severity failed."""
        order = list(self.rules["severity_effect"])  # most severe first
        rows = []
        for source in dict.fromkeys(r.table for r in self.results):
            mine = [r for r in self.results if r.table == source]
            failed = [r.severity for r in mine if r.status == "fail"]
            rows.append({
                "source": source,
                "checks": len(mine),
                "passed": sum(r.status == "pass" for r in mine),
                "failed": len(failed),
                "not_evaluated": sum(r.status == "not evaluated" for r in mine),
                "worst_failed": min(failed, key=order.index) if failed else "",
            })
        return pd.DataFrame(rows, columns=["source", "checks", "passed", "failed", "not_evaluated", "worst_failed"])

    def problem_checks(self):
        """The checks that failed or were not evaluated, as a notebook table, or a one-line note
        when every check passed (``cxkit.display``)."""
        from cxkit import display

        frame = self.checks_table(only_problems=True)
        if frame.empty:
            return display.note(f"Every one of the {len(self.results):,} checks passed.")
        labels = {"source": "Source", "check": "Check", "result": "Result", "severity": "Severity",
                  "unexpected": "Unexpected", "of": "Of", "observed": "Observed", "finding": "Finding",
                  "consequence": "What it means"}
        # a column with nothing in it (e.g. no table-level check failed) is only noise
        shown = {c: label for c, label in labels.items() if frame[c].replace("", pd.NA).notna().any()}
        return display.table(frame, caption="Checks that failed or could not be evaluated", columns=shown)

    def matrix_table(self) -> pd.DataFrame:
        """The readiness matrix: diagnostic, verdict, reason, evidence."""
        rows = []
        for key, m in self.matrix.items():
            rows.append({
                "diagnostic": m["label"],
                "verdict": m["verdict"],
                "reason": m["reason"],
                "evidence": self._evidence(key, m),
                "key": key,
            })
        return pd.DataFrame(rows)

    def _evidence(self, diagnostic: str, entry: dict[str, Any]) -> str:
        """What the verdict rests on, in numbers: the deciding check's count, the columns the
        export lacks, or how many checks passed."""
        ev = entry.get("evidence")
        if ev and ev.get("rate") is not None:
            return f"{ev['rate']:.1%} ({ev['count']:,} of {ev['denominator']:,})"
        reasons = entry.get("reasons") or []
        if reasons:
            first = reasons[0]
            if first.get("check", "").endswith((".mapping", ".present")):
                cols = ", ".join(first.get("columns") or [])
                return f"not in the export: {cols}" if cols else "not in the export"
            if first.get("evidence"):
                e = first["evidence"]
                return f"{e['count']:,} of {e['denominator']:,}" if e.get("denominator") else f"{e['count']:,}"
        mine = [r for r in self.results if diagnostic in r.diagnostics]
        passed = sum(r.status == "pass" for r in mine)
        return f"{passed} of {len(mine)} checks passed" if mine else "no check applies"

    def daily_volume(self) -> pd.DataFrame:
        """Rows per local day and source (long format, for a chart)."""
        frames = [f.assign(source=name)[["source", "day", "rows"]] for name, f in self.daily.items()]
        if not frames:
            return pd.DataFrame({"source": [], "day": [], "rows": []})
        out = pd.concat(frames, ignore_index=True)
        out["day"] = pd.to_datetime(out["day"])
        return out

    def daily_volume_chart(self):
        """Rows per day, one panel per source, each on its own scale (sources differ by orders
        of magnitude): a cxkit line chart (report theme, aggregated frame) faceted by source."""
        import altair as alt

        from cxkit import charts

        frame = self.daily_volume()
        order = list(dict.fromkeys(frame["source"]))
        panel = charts.line_trend(frame, "day", "rows", series="source", title="", x_title="Day",
                                  y_title="Records").properties(width=560, height=70)
        panel.title = alt.Undefined  # the title goes on the faceted chart
        return (
            panel.encode(color=alt.Color("source:N", legend=None, sort=order))
            .facet(row=alt.Row("source:N", sort=order, title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
                   title=alt.Title("Records per day, by source", subtitle="each panel on its own scale"))
            .resolve_scale(y="independent")
        )

    def _repr_html_(self) -> str:
        return self.matrix_table().drop(columns="key").to_html(index=False, escape=True)


def _shown_path(origin: str | None, base_dir: Path) -> str | None:
    """A source's origin as a reader may see it: relative to the engagement folder, else the
    file name alone (never the consultant's local folders)."""
    if not origin or not Path(origin).is_absolute():
        return origin
    path = Path(origin)
    try:
        return path.resolve().relative_to(Path(base_dir).resolve()).as_posix()
    except ValueError:
        return path.name


def _inventory(inputs: dict[str, TableInputs], counts: dict[str, dict], daily: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    out = []
    for name, ti in inputs.items():
        spec = TABLES[name]
        frame = daily.get(name)
        with_data = frame[frame["rows"] > 0] if frame is not None else None
        rep = ti.report
        out.append({
            "source": name,
            "file": rep.origin if rep is not None else None,
            "format": rep.format if rep is not None else None,
            "rows_read": counts[name]["rows_read"] if name in counts else None,
            "rows_loaded": int(ti.table.count().execute()),
            "first_day": str(with_data["day"].min()) if with_data is not None and len(with_data) else None,
            "last_day": str(with_data["day"].max()) if with_data is not None and len(with_data) else None,
            "days_with_data": f"{len(with_data)} of {len(frame)}" if frame is not None else None,
            "columns_mapped": f"{len([c for c in spec.names if c in ti.mapped])} of {len(spec.names)}",
            "not_mapped": ", ".join(c for c in spec.names if c not in ti.mapped),
            "loader": counts.get(name),
        })
    return out


class _CountsOnce:
    """A LoadReport whose counts() runs once (the loader checks and the inventory both read it)."""

    def __init__(self, report):
        self._report, self._counts = report, None

    def __getattr__(self, name):
        return getattr(self._report, name)

    def counts(self):
        if self._counts is None:
            self._counts = self._report.counts()
        return self._counts


def assess_tables(
    engagement: Engagement,
    inputs: dict[str, TableInputs],
    *,
    suites: dict[str, Suite] | None = None,
    now: datetime | None = None,
    leg_grain: bool = False,
    identifiers: IdentifierSet | None = None,
    implausible: Callable[[], dict[str, Any]] | None = None,
    contact_ids_unique: bool = False,
    shared_ids: Callable[[], Any] | None = None,
    open_since: Callable[[], datetime | None] | None = None,
) -> Readiness:
    """Readiness of canonical tables given directly (tests, other backends): the pure core.

    ``identifiers`` are the engagement's customer ids (hashed, :class:`cxkit.privacy.IdentifierSet`):
    a sample value equal to one is never written into a finding. ``implausible`` gives the
    implausible customer ids' counts when the caller has them (a session), and
    ``contact_ids_unique`` whether no two contacts share an id by construction
    (:meth:`cxkit.session.Session.contact_ids_unique`); if not, ``shared_ids`` the ids that
    two or more share, when the caller has found them
    (:meth:`cxkit.session.Session.contact_ids_shared`). ``open_since`` gives the instant from
    which a contact without an end is open, when the caller has it
    (:meth:`cxkit.session.Session.open_since`); without it the contacts' own is computed.
    """
    rules = load_rules()
    suites = apply_overrides(suites or load_suites(), engagement.readiness.thresholds,
                             origin=str(engagement.base_dir / "engagement.yaml"))
    # a rule whose figures read some records only counts over them when the export tells which
    suites = apply_populations(suites, inputs)
    for ti in inputs.values():
        if ti.report is not None and not isinstance(ti.report, _CountsOnce):
            ti.report = _CountsOnce(ti.report)
    results, daily = run_checks(inputs, suites, engagement, rules, now=now, identifiers=identifiers,
                                implausible=implausible, contact_ids_unique=contact_ids_unique,
                                shared_ids=shared_ids, open_since=open_since)
    counts = {n: _redacted_counts(ti.report.counts(), identifiers) for n, ti in inputs.items() if ti.report is not None}
    tables = {n: ti.mapped for n, ti in inputs.items()}
    matrix = verdicts(results, tables, rules, leg_grain=leg_grain)
    return Readiness(engagement, results, matrix, _inventory(inputs, counts, daily), daily, suites, rules,
                     identifiers=identifiers)


def _redacted_counts(counts: dict[str, Any], identifiers: IdentifierSet | None) -> dict[str, Any]:
    """The loader's counts with customer ids in unreadable-value samples replaced by their kind."""
    failures = {c: {**f, "samples": [redact(v, identifiers) for v in f.get("samples", [])]}
                for c, f in (counts.get("parse_failures") or {}).items()}
    return {**counts, "parse_failures": failures} if failures else counts




def assess(session, *, now: datetime | None = None) -> Readiness:
    """Readiness of an opened engagement (``cxkit.open_engagement``): checks the tables as loaded
    (before period filtering and clipping), so the raw defects are visible.

    An engine error met on the data (a CSV line the reader cannot parse, an SQL mapping that fails
    on a value) is raised as a :class:`cxkit.errors.SourceError` naming the line or mapping key.
    """
    from cxkit.errors import CxkitError

    try:
        return _assess(session, now=now)
    except CxkitError:
        raise
    except Exception as exc:  # from the engine, met while computing on the data
        raise session.explain_failure(exc) from exc


def _keys_unique(name: str, report) -> frozenset[tuple[str, ...]]:
    """Table ``name``'s key, when the source behind it (``report``) makes it unique
    (:func:`cxkit.loading.unique_by_construction`): its readiness check then counts, not groups."""
    key = TABLES[name].key
    return frozenset({key}) if report is not None and unique_by_construction(report, key) else frozenset()


def _assess(session, *, now: datetime | None = None) -> Readiness:
    inputs: dict[str, TableInputs] = {}
    leg_grain = False
    # the tables as loaded: the session maps each export once, and the checks, the period's
    # tables and every diagnostic read that copy
    for name in session.tables:
        if name == "legs":
            report = session.load_reports["contacts"]
            inputs[name] = TableInputs(name, session.table(name, as_loaded=True),
                                       mapped_columns(report, "legs") | {"leg_seq"}, unique=_keys_unique(name, report))
            leg_grain = True
            continue
        report = session.load_reports.get(name)
        # contacts grouped from legs by their id, or kept as the newest row of each id: one
        # contact per id, whatever the export holds (the legs' own key is checked on the legs);
        # so is any table's key that its source de-duplicates by (loading.unique_by_construction)
        if name == "contacts":
            unique = frozenset({("contact_id",)}) if session.contact_ids_unique() else frozenset()
        else:
            unique = _keys_unique(name, report)
        inputs[name] = TableInputs(name, session.table(name, as_loaded=True), mapped_columns(report, name), report,
                                   unique)
    # the ids as the exports hold them (the tables hold keyed pseudonyms), hashed in the engine
    # the implausible ids are counted once, by the session that also leaves them out of the
    # diagnostics
    return assess_tables(session.engagement, inputs, now=now, leg_grain=leg_grain,
                         identifiers=session.customer_identifiers(), implausible=session.implausible_summary,
                         contact_ids_unique=session.contact_ids_unique(), shared_ids=session.contact_ids_shared,
                         open_since=session.open_since)


def load_readiness(run_dir: str | Path) -> dict[str, Any] | None:
    """The readiness written to ``run_dir`` by the readiness section, or None when absent."""
    path = Path(run_dir) / READINESS_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def caveat(readiness: dict[str, Any] | str | Path | None, diagnostic: str) -> str | None:
    """The one-sentence caveat to print beside ``diagnostic``'s figures, or None when it is ready.

    ``readiness`` is the dict from :func:`load_readiness` or a run folder. Without a readiness
    file there is nothing to say (None).
    """
    if diagnostic not in DIAGNOSTICS:
        raise KeyError(f"unknown diagnostic {diagnostic!r}; known: {', '.join(DIAGNOSTICS)}")
    if isinstance(readiness, (str, Path)):
        readiness = load_readiness(readiness)
    if not readiness:
        return None
    entry = readiness["matrix"].get(diagnostic)
    if entry is None or entry["verdict"] == "ready":
        return None
    return entry["reason"]
