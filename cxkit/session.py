"""An opened engagement: its validated config, its backend and its canonical tables."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import ibis.expr.types as ir

from cxkit.config import Engagement, load_engagement
from cxkit.connection import connect
from cxkit.errors import SourceError
from cxkit.loading import LoadReport, clip_negative_durations, conform, load_source, mapped_columns

__all__ = ["Session", "open_engagement"]


class Session:
    """Canonical tables of one engagement, loaded once, lazily, in one backend.

    ``table(name)`` gives the table the diagnostics read: contacts within the engagement period,
    negative durations read as zero (METRICS.md). ``table(name, as_loaded=True)`` gives the
    mapped table before those two steps, for readiness checks that must see the raw defects.
    """

    def __init__(self, engagement: Engagement, con=None):
        self.engagement = engagement
        self.con = con if con is not None else connect(
            engagement.backend.url,
            engagement.resolve(engagement.backend.database) if engagement.backend.database else None,
        )
        self.load_reports: dict[str, LoadReport] = {}
        self._loaded: dict[str, ir.Table] = {}
        problems: list[str] = []
        for name in engagement.sources:
            try:
                table, report, legs = load_source(self.con, engagement, name)
            except SourceError as exc:
                problems.append(str(exc))
                continue
            self._loaded[name] = table
            self.load_reports[name] = report
            if legs is not None:
                self._loaded["legs"] = legs
        if problems:
            raise SourceError("\n".join(problems))
        self._ready: dict[str, ir.Table] = {}

    def __repr__(self) -> str:
        return f"Session({self.engagement.name!r}, tables={sorted(self._loaded)}, backend={self.con.name})"

    @property
    def tables(self) -> list[str]:
        return sorted(self._loaded)

    def has(self, name: str) -> bool:
        return name in self._loaded

    def table(self, name: str, *, as_loaded: bool = False) -> ir.Table | None:
        """Canonical table ``name``, or None when the engagement has no such source."""
        if name not in self._loaded:
            return None
        if as_loaded:
            return self._loaded[name]
        if name not in self._ready:
            t = self._loaded[name]
            if name in ("contacts", "legs"):
                t = clip_negative_durations(t)
                start, end = self.engagement.period_start_utc, self.engagement.period_end_utc
                t = t.filter((t.arrived_at >= start) & (t.arrived_at < end))
            if self.engagement.backend.materialize:
                # some engines (Spark) report cached timestamps without their timezone: the
                # canonical types are restated (a no-op cast where they survived)
                t = conform(name, t.cache())
            self._ready[name] = t
        return self._ready[name]

    def mapped_columns(self, name: str) -> set[str]:
        """Canonical columns of table ``name`` the export provides: mapped, or derived from
        mapped ones (``queued`` from answer times; ``transfers`` from leg-grain sources)."""
        if name == "legs":
            report = self.load_reports["contacts"]
            return mapped_columns(report, "legs") | {"leg_seq"}
        return mapped_columns(self.load_reports[name], name)

    def coverage(self) -> dict[str, Any]:
        """What each present table holds, for "absent is not zero" (:mod:`cxkit.figures`).

        ``{table: {"rows": n, "columns": {column: {"mapped": bool, "non_null": k}}}}`` over the
        rows the diagnostics read (the period's); one aggregate query per table.
        """
        out: dict[str, Any] = {}
        for name in self.tables:
            t = self.table(name)
            counts = t.aggregate(
                cx_rows=t.count(), **{f"cx_nn_{c}": t[c].count() for c in t.columns}
            ).to_pandas().iloc[0]
            mapped = self.mapped_columns(name)
            out[name] = {
                "rows": int(counts["cx_rows"]),
                "columns": {
                    c: {"mapped": c in mapped, "non_null": int(counts[f"cx_nn_{c}"])} for c in t.columns
                },
            }
        return out

    @property
    def end_of_data(self) -> datetime:
        """End of data per METRICS.md: the engagement's stated period end."""
        return self.engagement.period_end_utc

    def parameters(self) -> dict[str, Any]:
        """The metric parameters in force, for the report's methodology section (and the run's
        results manifest): cost, scenario (Monte Carlo seed and draws) and capacity ones included."""
        from cxkit.methodology import cost_parameters

        e = self.engagement
        local_end = self.end_of_data.astimezone(e.tz)
        return {
            "period": f"{e.period.start} to {e.period.end} ({e.timezone})",
            "end_of_data": f"{local_end:%Y-%m-%d %H:%M} ({e.timezone})",
            **e.resolution.model_dump(),
            **e.operations.model_dump(),
            **e.followthrough.model_dump(),
            **cost_parameters(e),
        }


def open_engagement(path: str | Path, overrides: dict[str, Any] | None = None, con=None) -> Session:
    """Load, validate and open an engagement (a YAML file or its folder)."""
    return Session(load_engagement(path, overrides), con=con)
