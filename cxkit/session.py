"""An opened engagement: its validated config, its backend and its canonical tables."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import weakref
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from cxkit.config import Engagement, load_engagement
from cxkit.connection import connect, dialect_for, memory_limit_bytes
from cxkit.customers import implausible_summary, without_implausible_customers
from cxkit.errors import CxkitError, SourceError, disk_full
from cxkit.loading import (
    LoadReport,
    clip_negative_durations,
    conform,
    deduplicated_by_contact_id,
    explain_execution_error,
    file_kind,
    fill_pseudonym_lookup,
    fold_legs_twice,
    folded,
    leg_links,
    linked_through_legs,
    load_source,
    mapped_columns,
    pseudonym_lookup,
    source_files,
)
from cxkit.privacy import IdentifierSet
from cxkit.pseudonyms import register_key, session_key
from cxkit.resolution import end_of_data, open_since, start_of_data, without_open_handle_times

__all__ = ["Session", "open_engagement", "ORPHAN_TABLES"]

#: Tables whose rows point to a contact; rows pointing to a contact missing from the feed are orphans.
ORPHAN_TABLES = ("surveys", "qa", "cases")

#: Parquet codec of the tables a session computes once. Each is written once and read by many
#: queries (the pairing by about fifteen) and goes with the run: LZ4 decompresses faster than
#: zstd. At 10 million contacts, the whole diagnostic (load, readiness, every result) alternating
#: with zstd, four runs each: 187-223 s against 205-236 s, the tables 3.45 GB at their largest
#: against 2.03 GB (2026-12-01).
_TABLE_CODEC = "lz4_raw"


class Session:
    """Canonical tables of one engagement, loaded once, lazily, in one backend.

    ``table(name)`` gives the table the diagnostics read, with the boundary rules of METRICS.md:
    contacts within the engagement period (folded from legs whose negative durations are read
    as zero, per leg, before summing; the contacts of shared or test customer ids read as
    unidentified: ``cxkit.customers``, ``resolution.exclude_implausible_customers``), the legs of
    those contacts (all of them, even those that start after the period end), and surveys, QA
    evaluations and cases about the period's contacts: without orphans (rows whose contact is not
    in the contacts feed) and without rows about a contact outside the period; a row naming an
    id that two of the period's contacts share is kept without a contact (it names neither).
    Where the legs carry ids of their own (``leg_id``), a survey, evaluation or case naming a
    leg is about that leg's contact, from the table as loaded on: only a row naming neither a
    contact nor a leg is an orphan.
    ``table(name, as_loaded=True)`` gives the mapped table before those steps, for readiness
    checks that must see the raw defects.
    """

    def __init__(self, engagement: Engagement, con=None, *, spill_dir: str | Path | None = None):
        self.engagement = engagement
        b = engagement.backend
        scratch = None
        if con is None and spill_dir is None and not b.url and not b.database:
            # an in-memory engine opened without a run folder (a notebook, a test, a script)
            # spills into a private folder in the system's temporary directory ($TMPDIR), gone
            # with the engine, instead of DuckDB's default: a '.tmp' folder in whatever folder
            # Python was started from (a notebooks folder, an engagement's). A database file
            # keeps DuckDB's default, a folder beside the file the engagement chose
            scratch = Path(tempfile.mkdtemp(prefix="cxkit-session-"))
        try:
            self.con = con if con is not None else connect(
                b.url,
                engagement.resolve(b.database) if b.database else None,
                memory_limit=b.memory_limit,
                threads=b.threads,
                spill_dir=spill_dir if scratch is None else scratch,
            )
        except BaseException:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
            raise
        if scratch is not None:
            # every table the session gives holds the engine, so the folder outlives them
            weakref.finalize(self.con, shutil.rmtree, scratch, ignore_errors=True)
        # the run's own folder for the tables it computes once (DuckDB only): Parquet files read
        # back column by column, so the engine's memory holds what a query needs, not every table.
        # Without a run folder the engine's cache is faster while the tables fit in its memory;
        # exports large against that memory get Parquet tables in the private folder too
        if spill_dir is not None and self.con.name == "duckdb":
            self._tables_dir = Path(spill_dir) / "tables"
        elif scratch is not None and _cache_estimate(engagement) > memory_limit_bytes(b.memory_limit) / 2:
            self._tables_dir = scratch / "tables"
        else:
            self._tables_dir = None
        self._stored = 0
        self._token = secrets.token_hex(4)  # two sessions sharing a folder never share a file
        self.load_reports: dict[str, LoadReport] = {}
        self._loaded: dict[str, ir.Table] = {}
        # one key for every source: one customer, one pseudonym across contacts, cases, surveys
        key, self.pseudonym_key_source = session_key(engagement.base_dir)
        key_table = register_key(self.con, key)
        # and each customer hashed once, whatever the sources naming them (loading.pseudonym_lookup):
        # filled below, before any table is read; the lazy engine (nothing computed ahead) and
        # engines without temporary tables (Spark) hash each source's own ids within its mapping
        shared = b.materialize and dialect_for(self.con).temp_tables
        lookup = pseudonym_lookup(self.con) if shared else None
        problems: list[str] = []
        for name in engagement.sources:
            try:
                table, report, legs = load_source(self.con, engagement, name, pseudonym_key_table=key_table,
                                                  pseudonym_lookup=lookup,
                                                  stage=self.materialize if self._tables_dir is not None else None)
            except SourceError as exc:
                problems.append(str(exc))
                continue
            self._loaded[name] = table
            self.load_reports[name] = report
            if legs is not None:
                self._loaded["legs"] = legs
        if problems:
            raise SourceError("\n".join(problems))
        self._pseudonyms = lookup
        #: the tables whose mapping reads the table of pseudonyms: once all are computed, it goes
        self._keyed = {"legs" if r.grain == "leg" else n for n, r in self.load_reports.items() if r.pseudonym_lookup}
        if lookup is not None:
            # in the engagement's order: the contacts (most of the ids) first, the others add few
            for name, report in self.load_reports.items():
                if report.pseudonym_lookup is None:
                    continue
                try:
                    fill_pseudonym_lookup(self.con, lookup, key_table, report)
                except Exception as exc:  # the engine met an id the mapping cannot read
                    raise self.explain_failure(exc, name) from exc
        self._as_loaded: dict[str, ir.Table] = {}
        self._ready: dict[str, ir.Table] = {}
        self._end_of_data: datetime | None = None
        self._start_of_data: datetime | None = None
        self._feed: ir.Table | None = None
        self._open_since: tuple[datetime | None] | None = None
        self._fold: ir.Table | None = None
        self._several_legs: ir.Table | None = None
        self._leg_links: ir.Table | None = None
        self._identifiers: IdentifierSet | None = None
        self._implausible: dict[str, Any] | None = None
        self._shared_ids: ir.Table | None = None

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
            return self._mapped_once(name)
        if name not in self._ready:
            if name == "contacts":
                # the feed is materialized once (it also gives the end of data); the period is a
                # filter over it
                t = self._without_implausible_customers()
            else:
                t, filtered = self._for_diagnostics(name)
                # rows filtered by a join are computed once; the mapped copy itself is not copied
                t = self._materialized(name, t) if filtered else t
            self._ready[name] = t
        return self._ready[name]

    def mapped_columns(self, name: str) -> set[str]:
        """Canonical columns of table ``name`` the export provides: mapped, or derived from
        mapped ones (``queued`` from answer times; ``transfers`` from leg-grain sources)."""
        if name == "legs":
            report = self.load_reports["contacts"]
            return mapped_columns(report, "legs") | {"leg_seq"}
        return mapped_columns(self.load_reports[name], name)

    def coverage(self, tables: Iterable[str] | None = None) -> dict[str, Any]:
        """What each present table holds, for "absent is not zero" (:mod:`cxkit.figures`).

        ``{table: {"rows": n, "columns": {column: {"mapped": bool, "non_null": k}}}}`` over the
        rows the diagnostics read (the period's); one aggregate query per table. ``tables``
        limits it to those (default: every present table). A coded column also has ``codes``:
        the canonical codes its value map can give, or None when it has none (raw codes or an
        sql expression); then ``observed`` (the canonical codes its rows hold) and ``several``
        (whether they hold two values or more).
        """
        from cxkit.schema import TABLES

        out: dict[str, Any] = {}
        asked = None if tables is None else set(tables)
        wanted = self.tables if asked is None else [t for t in self.tables if t in asked]
        for name in wanted:
            t = self.table(name)
            possible = self._possible_codes(name)
            # a coded column without a value map (raw codes, or an sql expression) can give any
            # code: which canonical codes the rows hold, and whether they hold two values or
            # more, is what the data says instead (no raw value is kept)
            seen = {}
            for c, codes in possible.items():
                if codes is None and c in t.columns:
                    for code in TABLES[name].column(c).values:
                        seen[f"cx_has_{c}__{code}"] = (t[c] == code).any().fill_null(False)
                    seen[f"cx_two_{c}"] = (t[c].min() != t[c].max()).fill_null(False)
            counts = t.aggregate(
                cx_rows=t.count(), **{f"cx_nn_{c}": t[c].count() for c in t.columns}, **seen
            ).to_pandas().iloc[0]
            mapped = self.mapped_columns(name)
            out[name] = {
                "rows": int(counts["cx_rows"]),
                "columns": {
                    c: {"mapped": c in mapped, "non_null": int(counts[f"cx_nn_{c}"])} for c in t.columns
                },
            }
            for c, codes in possible.items():
                column = out[name]["columns"][c]
                column["codes"] = codes
                if codes is None and c in t.columns:
                    column["observed"] = [code for code in TABLES[name].column(c).values
                                          if bool(counts[f"cx_has_{c}__{code}"])]
                    column["several"] = bool(counts[f"cx_two_{c}"])
        return out

    def _possible_codes(self, name: str) -> dict[str, list[str] | None]:
        """For each coded column (channel, direction, outcome), the canonical codes the export's
        value map can produce: a contained outcome the map cannot produce is not measured,
        not 0. None where the mapping has no value map (raw codes pass as they are)."""
        from cxkit.schema import TABLES

        report = self._report(name)
        out: dict[str, list[str] | None] = {}
        for col in TABLES[name].columns:
            if not col.values or col.name not in report.mapped:
                continue
            mapping = report.source.mapping(col.name)
            if mapping is None:
                continue
            if mapping.constant is not None:
                out[col.name] = [str(mapping.constant)]
            elif mapping.values:
                out[col.name] = sorted({str(v) for v in mapping.values.values() if v is not None})
            else:
                out[col.name] = None
        return out

    def _mapped_once(self, name: str) -> ir.Table:
        """Table ``name`` as loaded, its export read and mapped (de-duplicated, typed,
        pseudonymised) once in the engine: readiness, the period's tables, the feed and every
        diagnostic read this copy, never the export again. Leg-grain contacts are the legs
        folded, over the mapped legs."""
        if name not in self._as_loaded:
            if name == "contacts" and "legs" in self._loaded:
                self._as_loaded[name] = folded(self._legs_folded(), clipped=False)
            else:
                self._as_loaded[name] = self._mapped_and_deduplicated(name)
            self._release_pseudonyms()
        return self._as_loaded[name]

    def _release_pseudonyms(self) -> None:
        """Drop the table of pseudonyms once every table that reads it is computed (with the
        privacy scan's ids taken from it first): it holds raw ids, and at 10 million contacts
        about 150 MB of the engine's memory that the diagnostics' queries then have back."""
        if self._pseudonyms is None or not self._keyed <= self._as_loaded.keys():
            return
        self.customer_identifiers()
        self.con.raw_sql(f"DROP TABLE IF EXISTS {self._pseudonyms}")
        self._pseudonyms = None

    def _report(self, name: str) -> LoadReport:
        """The load report of the source behind table ``name`` (legs: the contacts source)."""
        return self.load_reports["contacts" if name == "legs" else name]

    def _mapped_and_deduplicated(self, name: str) -> ir.Table:
        """Table ``name`` mapped from its export once, de-duplicated only when a key or a row
        repeats (:meth:`cxkit.loading.LoadReport.repeats`, one grouped scan that readiness
        reuses): in the usual export nothing repeats, and the window that keeps each key's
        newest version (or the DISTINCT over every column) would return its input (at 11
        million legs the mapping took 23-25 s without it, 29-32 s with it). A table so mapped
        from every kept row is handed to the report: the parse-failure count reads its typed
        values instead of parsing the export again."""
        report = self._report(name)
        if report.undeduplicated is None or report.repeats():
            return self._materialized(name, self._linked_through_legs(name, self._loaded[name]))
        table = self._materialized(name, self._linked_through_legs(name, report.undeduplicated))
        if self.engagement.backend.materialize:
            report.mapped_rows = table
        return table

    def _linked_through_legs(self, name: str, t: ir.Table) -> ir.Table:
        """``t`` as mapped, and for surveys, QA and cases a ``contact_id`` naming a leg read as its
        contact's (:func:`cxkit.loading.linked_through_legs`), where the legs carry ids of their own
        (``leg_id``: Amazon Connect's ContactId, the contact being the InitialContactId): a CRM
        stores the leg current when the case was opened, often the one after a transfer, and
        read as written such a case was an orphan. Readiness then counts as orphans only the rows
        naming neither a contact nor a leg, the rows the diagnostics leave out."""
        if name not in ORPHAN_TABLES or "legs" not in self._loaded or "leg_id" not in self._report("legs").mapped:
            return t
        if self._leg_links is None:
            # one lookup of the legs named by an id of their own, for the three tables
            self._leg_links = self._computed("legs", leg_links(self._mapped_once("legs")))
        return linked_through_legs(t, self._leg_links)

    def materialize(self, t: ir.Table, label: str = "table") -> ir.Table:
        """``t`` computed once: every later query reads the result instead of recomputing it.

        With a run folder (``spill_dir``, DuckDB), the result is a Parquet file there, read
        back as a table: a 10-million-row table then costs the engine's memory only for the
        columns a query reads. So it is too, in a private temporary folder, for a session
        without a run folder whose exports are large against the engine's memory
        (:func:`_cache_estimate`). Otherwise it is the engine's cache (a temporary table,
        spilled past the memory limit; on Spark a checkpoint). Nothing is computed ahead when
        ``backend.materialize`` is off.
        """
        if not self.engagement.backend.materialize:
            return t
        if self._tables_dir is None:
            return t.cache()
        self._tables_dir.mkdir(parents=True, exist_ok=True)
        self._stored += 1
        path = self._tables_dir / f"{self._token}-{self._stored:03d}-{label}.parquet"
        self.con.to_parquet(t, path, compression=_TABLE_CODEC)
        return self.con.read_parquet(path)

    def _materialized(self, name: str, t: ir.Table) -> ir.Table:
        if not self.engagement.backend.materialize:
            return t
        # some engines (Spark) report cached timestamps without their timezone: the canonical
        # types are restated (a no-op cast where they survived)
        return conform(name, self._computed(name, t))

    def _computed(self, name: str, t: ir.Table) -> ir.Table:
        """``t`` materialised, an engine error met on the data explained by its source."""
        if not self.engagement.backend.materialize:
            return t
        try:
            return self.materialize(t, name)
        except CxkitError:
            raise
        except Exception as exc:  # the engine met a value the mapping cannot handle
            raise self.explain_failure(exc, name) from exc

    def _legs_folded(self) -> ir.Table:
        """The legs grouped into contacts once, for both the contacts as loaded and the feed
        (:func:`cxkit.loading.fold_legs_twice`)."""
        if self._fold is None:
            legs = self._mapped_once("legs")

            def stage(keys: ir.Table) -> ir.Table:
                # the keys of the contacts of several legs computed once, not once per join, and
                # kept: the transfer paths read them (contacts_of_several_legs)
                self._several_legs = self.materialize(keys, "several-legs")
                return self._several_legs

            self._fold = self._computed("contacts", fold_legs_twice(legs, stage=stage))
        return self._fold

    def contacts_of_several_legs(self) -> ir.Table | None:
        """The ids (``contact_id``) of the contacts of two or more legs, as folding the legs
        found them (None without a legs table): the transferred contacts, whose legs the
        transfer paths put in order (:func:`cxkit.resolution.transfer_chains`), found once.
        Every leg of a contact is in the legs the diagnostics read or none is (:meth:`table`),
        so these are the same contacts there."""
        if "legs" not in self._loaded:
            return None
        self._legs_folded()
        keys = self._several_legs
        return None if keys is None else keys.select(contact_id=keys._cx_key0)

    def contact_ids_unique(self) -> bool:
        """Whether no two contacts share a contact id by construction: the contacts folded from
        legs are grouped by their id (a leg without one is a contact without one, which no
        journey names), and a contact-grain export keeps the newest row of each contact id
        when its de-duplication key is the column the id is read from
        (:func:`cxkit.loading.deduplicated_by_contact_id`). Any other contact-grain export
        may repeat an id (readiness counts it: ``contacts.contact_id.unique``): False, though
        its ids may well be unique."""
        if "legs" in self._loaded:
            return True
        return deduplicated_by_contact_id(self.load_reports["contacts"].source)

    def _contacts_feed(self) -> ir.Table:
        """Every contact of the feed (not only the period's), a negative duration read as zero
        per leg before the legs are summed (METRICS.md), and the handle times of the contacts
        still open at the export's end read as not measured
        (:func:`cxkit.resolution.without_open_handle_times`)."""
        if self._feed is None:
            self._feed = without_open_handle_times(self._clipped_feed(), self.open_since())
        return self._feed

    def _clipped_feed(self) -> ir.Table:
        """Every contact of the feed, a negative duration read as zero per leg before the legs
        are summed (METRICS.md)."""
        if "legs" in self._loaded:
            # the legs' one grouping, a negative leg duration read as zero before the sum
            return folded(self._legs_folded(), clipped=True)
        # a projection of the mapped copy: no second copy in the engine
        return clip_negative_durations(self._mapped_once("contacts"))

    def open_since(self) -> datetime | None:
        """The instant from which a contact of the feed without an end is open
        (:func:`cxkit.resolution.open_since`), or None: one aggregate per session, read by the
        diagnostics (open contacts' handle times are not measured) and by readiness (an open
        contact is no end time missing)."""
        if self._open_since is None:
            self._open_since = (open_since(self._clipped_feed(), self.engagement.readiness.open_within_hours),)
        return self._open_since[0]

    def _for_diagnostics(self, name: str) -> tuple[ir.Table, bool]:
        """The boundary rules of METRICS.md applied to the loaded table ``name`` (not contacts),
        and whether they filter its rows (by a join with the contacts)."""
        t = self._mapped_once(name)
        if name == "legs":
            # a contact kept in the period keeps all its legs, even legs starting after its end
            kept = self.table("contacts")
            legs = clip_negative_durations(t)
            if int(kept.count().execute()) == int(self._contacts_feed().count().execute()):
                return legs, False  # the period holds every contact of the feed: every leg stays
            # a leg without a contact id is a contact of its own (cxkit.loading.fold_legs): kept
            # when it arrives in the period, as that contact is
            alone = t.contact_id.isnull() & self._in_period(t)
            return legs.filter(t.contact_id.isin(kept.contact_id) | alone.fill_null(False)), True
        if name in ORPHAN_TABLES:
            # an orphan (its contact is not in the contacts feed) is counted by readiness and left
            # out of every metric; a row about a contact of the feed that arrived outside the
            # period belongs to that contact's period, not this one's (a survey answered on 1 March
            # about a 28 February contact is February's), and is left out the same way for
            # surveys, QA and cases. A case that a contact of the period names (contacts.case_id)
            # is about that contact too and stays. A row without a contact_id links to nothing
            # and is kept.
            period = self._period_contacts()
            keep = t.contact_id.isnull() | t.contact_id.isin(period.contact_id)
            if name == "cases":
                keep = keep | t.case_id.isin(period.filter(period.case_id.notnull()).case_id)
            t = t.filter(keep)
            if not self.contact_ids_unique():
                # an id the export gives two contacts of the period cannot say which one a row is
                # about: the row is kept as a row without a contact (a survey still counts in
                # CSAT), linked to neither (not both: each would count it)
                shared = self.contact_ids_shared()
                t = t.mutate(contact_id=ibis.ifelse(t.contact_id.isin(shared).fill_null(False),
                                                    ibis.null("string"), t.contact_id))
            return t, True
        return t, False

    def contact_ids_shared(self) -> ir.Column:
        """The contact ids two or more contacts of the period share, for an ``isin``: found once
        for the surveys, QA evaluations and cases, by readiness (which counts the rows naming
        one) and by the diagnostics (which link those rows to no contact): one grouping of the
        period's contacts by id, and usually no row."""
        if self._shared_ids is None:
            from cxkit.resolution import shared_contact_ids

            shared = shared_contact_ids(self._period_contacts())
            self._shared_ids = self.materialize(shared.name("contact_id").as_table(), "shared-ids")
        return self._shared_ids.contact_id

    def _period_contacts(self) -> ir.Table:
        """The contacts arriving in the period, every customer id as loaded."""
        feed = self._contacts_feed()
        return feed.filter(self._in_period(feed))

    def _in_period(self, t: ir.Table) -> ir.BooleanValue:
        """Whether a row of ``t`` (contacts or legs) arrives in the engagement's period."""
        start, end = self.engagement.period_start_utc, self.engagement.period_end_utc
        return (t.arrived_at >= start) & (t.arrived_at < end)

    def implausible_summary(self) -> dict[str, Any]:
        """How many customer ids hold more of the period's contacts than a person makes, and how
        many contacts they hold (:func:`cxkit.customers.implausible_summary`): one grouping per
        session, read by readiness (which reports it) and by the diagnostics (which leave the
        ids out of repeat metrics)."""
        if self._implausible is None:
            e = self.engagement
            limit = e.resolution.max_contacts_per_customer(e.period.days)
            self._implausible = implausible_summary(self._period_contacts(), limit)
        return dict(self._implausible)

    def _without_implausible_customers(self) -> ir.Table:
        """The period's contacts, shared, test or default customer ids read as unidentified
        (``cxkit.customers``), the ids counted by :meth:`implausible_summary`."""
        contacts = self._period_contacts()
        if not self.engagement.resolution.exclude_implausible_customers:
            return contacts
        # almost always no id qualifies: then the contacts are read as they are, with no join
        summary = self.implausible_summary()
        if summary["ids"] == 0:
            return contacts
        return self._materialized("contacts", without_implausible_customers(contacts, summary["max_contacts"]))

    def explain_failure(self, exc: Exception, name: str | None = None) -> CxkitError:
        """The source, line or mapping key behind an engine error met while computing on the data."""
        if isinstance(exc, CxkitError):
            return exc
        if (full := disk_full(exc)) is not None:
            return full
        names = [name] if name else list(self.load_reports)
        for table in names:
            report = self.load_reports.get("contacts" if table == "legs" else table)
            if report is not None and (explained := explain_execution_error(self.engagement, report, exc)):
                return explained
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "Out of Memory" in first or type(exc).__name__ == "OutOfMemoryException":
            b = self.engagement.backend
            limit = b.memory_limit or "the default: 40% of the machine, at most 3 GB"
            file = "" if b.database else (" or keep the tables in a file (backend.database: work/cx.duckdb), which "
                                          "lets DuckDB move them to disk")
            return CxkitError(
                f"the engine ran out of memory: {first}. Fix: give DuckDB more memory (backend.memory_limit, now "
                f"{limit}){file}; for tens of millions of contacts, a Spark cluster (backend.url, README: Large clients)."
            )
        where = f"sources.{names[0]}" if len(names) == 1 else "sources.<table>"
        return SourceError(f"the data could not be read or mapped: {first}. Fix: check {where}.read_options and the "
                           f"expressions under {where}.columns.")

    def customer_identifiers(self) -> IdentifierSet:
        """The engagement's raw customer ids, hashed (for the privacy scan of every output);
        computed once, in the engine, from every source that maps ``customer_id``. The canonical
        tables hold keyed pseudonyms, so the ids are read from the exports as mapped, before
        pseudonymisation (``LoadReport.identifier_table``), or from the session's table of
        pseudonyms for the sources whose ids it holds (each id once: at 10 million contacts the
        ids took 2.3-2.4 s to gather from the exports, 1.6 s from that table, 2026-12-06)."""
        if self._identifiers is None:
            shared = self._pseudonyms is not None
            pairs = [(r.identifier_table(), "customer_id") for r in self.load_reports.values()
                     if r.identifier_table() is not None and not (shared and r.pseudonym_lookup)]
            if shared:
                pairs.append((self.con.table(self._pseudonyms), "cx_id"))
            self._identifiers = IdentifierSet.from_tables(pairs)
        return self._identifiers

    @property
    def end_of_data(self) -> datetime:
        """End of data per METRICS.md: the latest ``arrived_at`` in the contacts feed, never
        later than the period end (computed once per session)."""
        if self._end_of_data is None:
            self._end_of_data = end_of_data(self._contacts_feed(), self.engagement.period_end_utc)
        return self._end_of_data

    @property
    def start_of_data(self) -> datetime:
        """Start of data, the end of data's mirror (:func:`cxkit.resolution.start_of_data`) over
        the period's contacts, computed once per session."""
        if self._start_of_data is None:
            self._start_of_data = start_of_data(self._period_contacts(), self.engagement.period_start_utc)
        return self._start_of_data

    def parameters(self) -> dict[str, Any]:
        """The metric parameters in force, for the report's methodology section (and the run's
        results manifest): cost, scenario (Monte Carlo seed and draws) and capacity ones included."""
        from cxkit.methodology import cost_parameters

        e = self.engagement
        local_start, local_end = self.start_of_data.astimezone(e.tz), self.end_of_data.astimezone(e.tz)
        return {
            "period": f"{e.period.start} to {e.period.end} ({e.timezone})",
            "start_of_data": f"{local_start:%Y-%m-%d %H:%M} ({e.timezone})",
            "end_of_data": f"{local_end:%Y-%m-%d %H:%M} ({e.timezone})",
            "customer_pseudonyms": f"HMAC-SHA256 with {self.pseudonym_key_source}",
            **e.resolution.model_dump(),
            **e.operations.model_dump(),
            **e.followthrough.model_dump(),
            **cost_parameters(e),
        }


#: bytes of engine cache per byte of export (the mapped table with its keyed pseudonyms, and for
#: a leg-grain export the contacts folded from its legs), measured: 20 for the generated Parquet
#: contacts export of 1M contacts, 4.6 for the bank's CSV of calls, 0.7-1.4 for CSV cases and
#: JSON-lines surveys. The larger figure of each kind is taken
_CACHE_PER_BYTE = {"compressed": 20, "text": 5}
#: the compressed kinds an export may be (:func:`cxkit.loading.file_kind`, read as the loader reads them)
_COMPRESSED = ("parquet", "gzip", "zstd")


def _cache_estimate(engagement: Engagement) -> float:
    """What the engine's cache would hold for the engagement's exports, in bytes, from the sizes
    of the files its sources name (a backend table counts 0): a deliberately rough estimate,
    which decides only where a session without a run folder keeps its tables."""
    total = 0.0
    for src in engagement.sources.values():
        for p in source_files(engagement, src):
            try:
                size = os.path.getsize(p)
            except OSError:
                continue
            kind = "compressed" if file_kind(p) in _COMPRESSED else "text"
            total += size * _CACHE_PER_BYTE[kind]
    return total


def open_engagement(path: str | Path, overrides: dict[str, Any] | None = None, con=None) -> Session:
    """Load, validate and open an engagement (a YAML file or its folder)."""
    return Session(load_engagement(path, overrides), con=con)
