"""An opened engagement: its validated config, its backend and its canonical tables."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import ibis.expr.types as ir

from cxkit.config import Engagement, load_engagement
from cxkit.connection import connect
from cxkit.customers import without_implausible_customers
from cxkit.errors import CxkitError, SourceError
from cxkit.loading import LoadReport, clip_negative_durations, conform, explain_execution_error, load_source
from cxkit.privacy import IdentifierSet

__all__ = ["Session", "open_engagement"]


class Session:
    """Canonical tables of one engagement, loaded once, lazily, in one backend.

    ``table(name)`` gives the table the diagnostics read: contacts within the engagement period,
    negative durations read as zero (METRICS.md), and the contacts of shared or test customer ids
    read as unidentified (``cxkit.customers``, ``resolution.exclude_implausible_customers``). ``table(name, as_loaded=True)`` gives the
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
        self._identifiers: IdentifierSet | None = None

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
            if name == "contacts":
                t = self._without_implausible_customers(t)
            if self.engagement.backend.materialize:
                # some engines (Spark) report cached timestamps without their timezone: the
                # canonical types are restated (a no-op cast where they survived)
                try:
                    t = conform(name, t.cache())
                except CxkitError:
                    raise
                except Exception as exc:  # the engine met a value the mapping cannot handle
                    raise self.explain_failure(exc, name) from exc
            self._ready[name] = t
        return self._ready[name]

    def _without_implausible_customers(self, contacts: ir.Table) -> ir.Table:
        """Shared, test or default customer ids read as unidentified (``cxkit.customers``)."""
        e = self.engagement
        if not e.resolution.exclude_implausible_customers:
            return contacts
        return without_implausible_customers(contacts, e.resolution.max_contacts_per_customer(e.period.days))

    def explain_failure(self, exc: Exception, name: str | None = None) -> CxkitError:
        """The source, line or mapping key behind an engine error met while computing on the data."""
        if isinstance(exc, CxkitError):
            return exc
        names = [name] if name else list(self.load_reports)
        for table in names:
            report = self.load_reports.get("contacts" if table == "legs" else table)
            if report is not None and (explained := explain_execution_error(self.engagement, report, exc)):
                return explained
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        where = f"sources.{names[0]}" if len(names) == 1 else "sources.<table>"
        return SourceError(f"the data could not be read or mapped: {first}. Fix: check {where}.read_options and the "
                           f"expressions under {where}.columns.")

    def customer_identifiers(self) -> IdentifierSet:
        """The engagement's customer ids, hashed (for the privacy scan of every output); computed
        once, in the engine, from every source that maps ``customer_id``."""
        if self._identifiers is None:
            pairs = [(self._loaded[n], "customer_id") for n, r in self.load_reports.items()
                     if "customer_id" in r.mapped and n in self._loaded]
            self._identifiers = IdentifierSet.from_tables(pairs)
        return self._identifiers

    @property
    def end_of_data(self) -> datetime:
        """End of data per METRICS.md: the engagement's stated period end."""
        return self.engagement.period_end_utc

    def parameters(self) -> dict[str, Any]:
        """The metric parameters in force, for the report's methodology section."""
        e = self.engagement
        return {
            "period": f"{e.period.start} to {e.period.end} ({e.timezone})",
            "end_of_data_utc": self.end_of_data.isoformat(),
            **e.resolution.model_dump(),
            **e.operations.model_dump(),
            **e.followthrough.model_dump(),
        }


def open_engagement(path: str | Path, overrides: dict[str, Any] | None = None, con=None) -> Session:
    """Load, validate and open an engagement (a YAML file or its folder)."""
    return Session(load_engagement(path, overrides), con=con)
