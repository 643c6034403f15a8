"""From raw exports to canonical tables, lazily, in the engine.

A source (a file, a glob or a backend table) is read as it is; the adapter mapping then becomes
one SQL ``SELECT`` over it (exclusion rules, de-duplication of re-delivered records, column
expressions, value maps, timestamp parsing and timezone conversion), and leg-grain sources are
folded into contacts per METRICS.md. Nothing here pulls rows into pandas: the result is an
ibis table the diagnostics compose further.
"""

from __future__ import annotations

import csv
import difflib
import glob as _glob
import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import sqlglot
from sqlglot import exp

from cxkit.config import EARLIEST_DAY, EPOCH_UNITS, LATEST_DAY, ColumnMapping, Engagement, SourceConfig, _format_from_suffix
from cxkit.connection import Dialect, dialect_for
from cxkit.customers import BLANK_CHARACTERS, comparable_sql, identified_sql
from cxkit.errors import CxkitError, SourceError
from cxkit.grouping import fold_groups, split_by_group_size
from cxkit.privacy import redact
from cxkit.pseudonyms import pseudonym_sql
from cxkit.schema import TABLES, Column, table_spec
from cxkit.wording import plural

__all__ = ["LoadReport", "load_source", "read_raw", "fold_legs", "conform", "mapped_columns", "explain_execution_error",
           "deduplicated_by_contact_id", "leg_links", "linked_through_legs", "pseudonym_lookup",
           "fill_pseudonym_lookup", "unique_by_construction"]

_DURATION_COLUMNS = ("ivr_s", "wait_s", "talk_s", "hold_s", "acw_s")
#: the name the row counts give the rows the exclusion rules keep, in their SQL
_KEPT = "cx_kept_rows"


@dataclass
class LoadReport:
    """What happened to one source on its way to the canonical model (readiness reads this)."""

    table: str
    origin: str
    format: str
    grain: str
    raw_columns: list[str]
    mapped: dict[str, str]
    unmapped: list[str]
    source: SourceConfig
    raw: ir.Table = field(repr=False)
    after_exclusions: ir.Table = field(repr=False)
    #: canonical column -> (SQL of the raw value as text, SQL of "a value is there", SQL of the
    #: typed value): a value that is there but null once typed could not be read (see
    #: :meth:`parse_failures`)
    conversions: dict[str, tuple[str, str, str]] = field(default_factory=dict, repr=False)
    #: SQL over ``raw`` of the rows the mapping reads (after exclusion rules and de-duplication)
    kept_sql: str | None = field(default=None, repr=False)
    #: SQL over ``raw`` of the rows left by the exclusion rules (before de-duplication)
    after_exclusions_sql: str | None = field(default=None, repr=False)
    #: matched files of 0 bytes (no header, no rows), left out of the read
    empty_files: list[str] = field(default_factory=list)
    #: canonical column -> the SQL producing it (to find the one that fails on the data)
    column_sql: dict[str, str] = field(default_factory=dict, repr=False)
    #: SQL over the export's rows: a part of the de-duplication key is missing (null, empty or
    #: blanks only). Such a row identifies nothing, so it is no version of another row
    key_missing_sql: str | None = field(default=None, repr=False)
    #: the customer id as the export has it (before pseudonymisation) and the FROM clause it
    #: reads: the privacy scan looks for these ids in every output
    identifier_sql: str | None = field(default=None, repr=False)
    identifier_from_sql: str | None = field(default=None, repr=False)
    #: the session's table of pseudonyms (:func:`pseudonym_lookup`) the mapping looks each
    #: customer id up in, which :func:`fill_pseudonym_lookup` fills before the mapping is read
    pseudonym_lookup: str | None = field(default=None, repr=False)
    #: the canonical table mapped from the rows before de-duplication (exclusion rules applied):
    #: the same rows as the de-duplicated one when :meth:`repeats` finds nothing to drop
    undeduplicated: ir.Table | None = field(default=None, repr=False)
    #: the canonical table as computed from :attr:`undeduplicated` (set by the session that read
    #: it): one row per row the exclusion rules keep, so a column's typed values are there to count
    mapped_rows: ir.Table | None = field(default=None, repr=False)
    # what the counts found, kept: the session asks first (to skip de-duplication), readiness next
    _keys: tuple[int, int] | None = field(default=None, init=False, repr=False)
    _hash_repeats: int | None = field(default=None, init=False, repr=False)

    def repeats(self) -> bool:
        """Whether de-duplication can drop a row: a de-duplication key on several rows (the
        source has a key), or, without a key, two rows with the same row hash (an exact
        duplicate, or a hash collision: then the rows are de-duplicated as before). True where
        neither can be counted (an engine without a row hash). One grouped scan of the rows the
        exclusion rules keep, shared with :meth:`counts`."""
        keys = self._key_counts()
        if keys is not None:
            return keys[1] > 0
        repeats = self._row_hash_repeats()
        return repeats is None or repeats > 0

    def identifier_table(self) -> ir.Table | None:
        """The export's customer ids, one column ``customer_id`` (lazy; in the engine only), or
        None when the source maps none."""
        if self.identifier_sql is None or self.identifier_from_sql is None:
            return None
        return self.raw.sql(f"SELECT {self.identifier_sql} AS customer_id {self.identifier_from_sql}", dialect="duckdb")

    def counts(self) -> dict[str, Any]:
        """Row counts through the pipeline: one scan of the export for the rows read, excluded
        and kept; one grouping by the de-duplication key for the superseded versions and the
        exact duplicates (:meth:`exact_duplicates`); one scan for the parse failures."""
        name = self.raw.get_name()
        rules = list(self.source.exclude)
        parts = ["count(*) AS cx_read"]
        parts += [f"count(*) FILTER (WHERE COALESCE(({r.when}), FALSE)) AS cx_x{i}" for i, r in enumerate(rules)]
        if rules:
            parts.append(
                "count(*) FILTER (WHERE " + " AND ".join(f"NOT COALESCE(({r.when}), FALSE)" for r in rules) + ") AS cx_kept"
            )
        row = self.raw.sql(f"SELECT {', '.join(parts)} FROM {name}", dialect="duckdb").execute().iloc[0]
        raw_rows = int(row["cx_read"])
        kept_rows = int(row["cx_kept"]) if rules else raw_rows
        excluded = {r.reason: int(row[f"cx_x{i}"]) for i, r in enumerate(rules)}
        if not excluded.get(REPEATED_HEADER, 1):
            del excluded[REPEATED_HEADER]  # cxkit's own rule, said only where it met a row
        keys = self._key_counts()
        duplicates = self.exact_duplicates(keys)
        out: dict[str, Any] = {
            "rows_read": raw_rows,
            "rows_excluded": excluded,
            "exact_duplicates": duplicates,
            "superseded_versions": 0,
        }
        if keys is not None and self.source.dedup.newest_by:
            out["superseded_versions"] = kept_rows - duplicates - keys[0]
        out["parse_failures"] = self.parse_failures()
        out["empty_files"] = list(self.empty_files)
        return out

    def _key_counts(self) -> tuple[int, int] | None:
        """(distinct keys, keys on more than one row) among the rows the exclusion rules keep,
        by the source's de-duplication key, in one grouped scan; None without a key. A row
        whose key is missing counts as a key of its own."""
        if self.source.dedup is None or not self.source.dedup.key:
            return None
        if self._keys is None:
            keys = ", ".join(_quote(k) for k in self.source.dedup.key)
            # a row whose key is missing is a key of its own (never a version of another row)
            missing = self.key_missing_sql or "FALSE"
            sql = (f"SELECT coalesce(sum(CASE WHEN m THEN k ELSE 1 END), 0) AS n, "
                   f"count(*) FILTER (WHERE k > 1 AND NOT m) AS r FROM "
                   f"(SELECT count(*) AS k, {missing} AS m FROM {_KEPT} GROUP BY {keys}) AS g")
            row = self.after_exclusions.alias(_KEPT).sql(sql, dialect="duckdb").execute().iloc[0]
            self._keys = int(row["n"]), int(row["r"])
        return self._keys

    def _row_hash_sql(self) -> str | None:
        """The engine's 64-bit hash of a whole kept row, or None where it has none."""
        hash_sql = dialect_for(ibis.get_backend(self.after_exclusions)).row_hash
        return None if hash_sql is None else hash_sql([_quote(c) for c in self.after_exclusions.columns])

    def _row_hash_repeats(self) -> int | None:
        """Row hashes on more than one kept row (None without a row hash)."""
        h = self._row_hash_sql()
        if h is None:
            return None
        if self._hash_repeats is None:
            repeated = f"SELECT {h} AS cx_h FROM {_KEPT} GROUP BY 1 HAVING count(*) > 1"
            self._hash_repeats = int(self.after_exclusions.alias(_KEPT).sql(
                f"SELECT count(*) AS n FROM ({repeated}) AS r", dialect="duckdb").execute().iloc[0]["n"])
        return self._hash_repeats

    def exact_duplicates(self, keys: tuple[int, int] | None = None) -> int:
        """Rows (kept by the exclusion rules) equal in every column to an earlier row.

        Exact, with memory that does not grow with the width of the rows. Two equal rows have
        the same de-duplication key, so where the source has one, only the rows whose key is on
        several rows are compared in full (none in the usual export: then no comparison at
        all; ``keys`` is :meth:`_key_counts` when the caller has it). Without a key, where the
        engine has a 64-bit row hash (:attr:`cxkit.connection.Dialect.row_hash`), rows are
        grouped by their hash and only rows whose hash occurs more than once are compared
        column by column (a hash shared by different rows is then not counted as a
        duplicate). Elsewhere, a ``DISTINCT`` over every column.
        """
        if keys is None:
            keys = self._key_counts()
        if keys is not None:
            if not keys[1]:
                return 0
            cols = [_quote(k) for k in self.source.dedup.key]
            listed = ", ".join(cols)
            on = " AND ".join(f"r.{c} IS NOT DISTINCT FROM k.{c}" for c in cols)
            missing = self.key_missing_sql or "FALSE"
            return self._duplicates_among(
                f"SELECT {listed} FROM {_KEPT} WHERE NOT ({missing}) GROUP BY {listed} HAVING count(*) > 1",
                f"SELECT * FROM {_KEPT} AS r WHERE EXISTS (SELECT 1 FROM cx_repeated AS k WHERE {on})",
            )
        kept = self.after_exclusions
        h = self._row_hash_sql()
        if h is None:
            return int(kept.count().execute()) - int(kept.distinct().count().execute())
        repeated = f"SELECT {h} AS cx_h FROM {_KEPT} GROUP BY 1 HAVING count(*) > 1"
        # no hash repeats (the usual export): no row equals another, and the second scan that
        # compares candidates (6 s of 9.5 on 11 million legs) is not needed
        if not self._row_hash_repeats():
            return 0
        # only the rows whose hash repeats are compared in full: almost always few
        return self._duplicates_among(repeated, f"SELECT * FROM {_KEPT} WHERE {h} IN (SELECT cx_h FROM cx_repeated)")

    def _duplicates_among(self, repeated_sql: str, candidates_sql: str) -> int:
        """Rows equal in every column to another among the candidates: ``candidates_sql``
        selects them from the kept rows (``cx_kept_rows``) and may read ``cx_repeated``
        (``repeated_sql``: the keys or hashes on several rows)."""
        sql = (
            f"WITH cx_repeated AS ({repeated_sql}), cx_candidates AS ({candidates_sql}) "
            "SELECT (SELECT count(*) FROM cx_candidates) - (SELECT count(*) FROM (SELECT DISTINCT * FROM cx_candidates) "
            "AS cx_distinct) AS d"
        )
        return int(self.after_exclusions.alias(_KEPT).sql(sql, dialect="duckdb").execute().iloc[0]["d"])

    def parse_failures(self, samples: int = 3) -> dict[str, dict[str, Any]]:
        """Values that are in the export but could not be read as their canonical type, per column.

        A duration written ``"12s"`` or ``"n/a"``, a date in another format, a flag outside its
        value map: the loaded value is null (never 0), and it is counted here as
        ``{column: {"count": n, "of": values present, "samples": [a few distinct raw values]}}``
        (columns without a failure are left out). Counted over the rows the exclusion rules keep,
        before de-duplication (a re-delivered row counts each time: the de-duplication window would
        double the cost of this scan on large exports). One aggregate query, plus one small query
        per failing column for its samples.

        Where the session mapped every kept row as it is (:attr:`mapped_rows`: nothing repeated),
        a timestamp's failures are its values present less its typed values in that table: a
        value absent in the export is null once typed, so the difference is the values present
        that did not parse. The export's times are then not parsed a second time (three parses
        of 11 million local times were 5 of the 7 CPU-seconds of this count).
        """
        rows_sql = self.after_exclusions_sql or self.kept_sql
        if not self.conversions or rows_sql is None:
            return {}
        raw, kept = self.raw, f"({rows_sql}) AS kept"
        mapped = self.mapped_rows
        counted = set() if mapped is None else {  # timestamps (no value map) the mapped table holds typed
            col for col in self.conversions
            if col in mapped.columns and mapped[col].type().is_timestamp()
            and not ((m := self.source.mapping(col)) and m.values)
        }
        parts = []
        for i, (col, (_, present, typed)) in enumerate(self.conversions.items()):
            if col not in counted:
                parts.append(f"count(*) FILTER (WHERE {present} AND ({typed}) IS NULL) AS f{i}")
            parts.append(f"count(*) FILTER (WHERE {present}) AS n{i}")
        row = raw.sql(f"SELECT {', '.join(parts)} FROM {kept}", dialect="duckdb").execute().iloc[0].to_dict()
        if counted:
            names = {col: i for i, col in enumerate(self.conversions)}
            typed_rows = mapped.aggregate(**{f"t{names[c]}": mapped[c].count() for c in counted}).execute().iloc[0]
            row.update({f"f{names[c]}": int(row[f"n{names[c]}"]) - int(typed_rows[f"t{names[c]}"]) for c in counted})
        out: dict[str, dict[str, Any]] = {}
        for i, (col, (text, present, typed)) in enumerate(self.conversions.items()):
            failed = int(row[f"f{i}"])
            if not failed:
                continue
            shown = raw.sql(
                f"SELECT DISTINCT CAST(({text}) AS VARCHAR) AS v FROM {kept} WHERE {present} AND ({typed}) "
                f"IS NULL ORDER BY v LIMIT {int(samples)}",
                dialect="duckdb",
            ).execute()["v"].tolist()
            # samples are for the data team; personal data in them is replaced by its kind
            out[col] = {"count": failed, "of": int(row[f"n{i}"]), "samples": [redact(str(v))[:40] for v in shown]}
        return out


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def source_files(engagement: Engagement, src: SourceConfig) -> list[str]:
    """The files a source's path or glob matches, sorted; none for a backend table."""
    return sorted(_glob.glob(str(engagement.resolve(src.path)))) if src.path is not None else []


def _source_paths(engagement: Engagement, src: SourceConfig, table: str) -> list[str]:
    assert src.path is not None
    pattern = str(engagement.resolve(src.path))
    paths = source_files(engagement, src)
    if not paths:
        raise SourceError(
            f"sources.{table}.path: no file matches {pattern!r}. Check the path; relative paths start at "
            f"the engagement folder {engagement.base_dir}."
        )
    folders = [p for p in paths if Path(p).is_dir()]
    if folders:
        inside = sorted(q.name for q in Path(folders[0]).iterdir() if q.is_file() and not q.name.startswith("."))
        shown = ", ".join(inside[:5]) + (" ..." if len(inside) > 5 else "")
        raise SourceError(
            f"sources.{table}.path: {folders[0]} is a folder ({plural(len(inside), 'file')}: {shown or 'none'}), not a file. "
            f"Fix: give one file, or a glob of files that share their columns, e.g. "
            f"'{str(src.path).rstrip('/')}/*.csv'."
        )
    return paths


_READERS = {"csv": "read_csv", "parquet": "read_parquet", "json": "read_json", "jsonl": "read_json"}


def read_raw(con, engagement: Engagement, table: str, src: SourceConfig) -> tuple[ir.Table, str, str]:
    """Read the source of canonical ``table`` as it is. Returns (raw table, origin, format)."""
    name = f"cx_raw_{table}"
    if src.table is not None:
        try:
            return con.table(src.table), f"table {src.table}", "table"
        except Exception as exc:
            raise SourceError(f"sources.{table}.table: cannot open table {src.table!r} in the backend: {exc}") from exc
    paths = _source_paths(engagement, src, table)
    fmt = src.format or _format_from_suffix(src.path or "")
    origin = paths[0] if len(paths) == 1 else f"{src.path} ({len(paths)} files)"
    if fmt not in _READERS:
        raise SourceError(f"sources.{table}.format: {fmt!r} is not supported; use csv, parquet, json or jsonl")
    d = dialect_for(con)
    # the dialect's defaults (CSV as text: ids keep their leading zeros; types come from the mapping)
    options = {**d.read_options.get(fmt, {}), **src.read_options}
    for p in paths:
        if (problem := _content_problem(p, fmt, table, options)) is not None:
            raise SourceError(f"{p}: {problem}.")
    readable = [p for p in paths if Path(p).stat().st_size > 0]
    if not readable:
        # an export of 0 bytes has no rows: readiness says the feed is empty (a blocking check),
        # which is a verdict on the data, not a failure to read it
        return _empty_raw(con, src, name), origin, fmt
    reader = getattr(con, _READERS[fmt])
    try:
        if d.reads_file_lists or len(readable) == 1:
            raw = reader(readable if d.reads_file_lists else readable[0], table_name=name, **options)
        else:
            parts = [reader(p, table_name=f"{name}_{i}", **options) for i, p in enumerate(readable)]
            raw = ibis.union(*parts)
        columns = raw.columns
        if len(readable) > 1 and fmt != "parquet":
            _check_same_columns(con, reader, readable, table, options, name)
    except SourceError:
        raise
    except Exception as exc:
        raise SourceError(_explain_read_error(con, readable, origin, table, fmt, exc, options)) from exc
    if len(columns) == 0:
        raise SourceError(f"{origin}: no columns were found; the file looks empty. Re-export it with a header row.")
    if fmt in ("json", "jsonl") and len(columns) == 1 and src.records is None:
        (only, dtype), = raw.schema().items()
        if str(dtype) == "json" and int(raw.count().execute()) == 0:
            return _empty_raw(con, src, name), origin, fmt  # "[]": a feed without records
        if dtype.is_array() and dtype.value_type.is_struct():
            fields = ", ".join(list(dtype.value_type.names)[:8])
            raise SourceError(
                f"{origin}: the records are nested in one field, {only!r} (a list of records with {fields}), not at "
                f"the top level. Fix: add 'records: {only}' to sources.{table} (one row per element of that list), or "
                f"export the records as a top-level array (json) or one per line (jsonl)."
            )
    return raw, origin, fmt


#: Why a CSV row that repeats the header is left out, as readiness counts the exclusions.
REPEATED_HEADER = "the header line repeated inside the file (exports joined into one file)"


def _without_repeated_headers(src: SourceConfig, raw: ir.Table) -> SourceConfig:
    """``src`` with one more exclusion: a CSV row whose every value is its column's name. Two
    exports joined into one file repeat the header line, which was read as a contact (4,097
    contacts for 4,096, and FCR and journeys "degraded" by an unknown direction 'direction').
    Counted with the export's other exclusions (:meth:`LoadReport.counts`), after them: the
    engagement's own rules keep their numbers in messages."""
    columns = [c for c, t in raw.schema().items() if t.is_string()]
    if not columns or len(columns) != len(raw.columns):
        return src
    from cxkit.config import ExcludeRule

    when = " AND ".join(f"{_quote(c)} = {_lit(c)}" for c in columns)
    return src.model_copy(update={"exclude": [*src.exclude, ExcludeRule(when=when, reason=REPEATED_HEADER)]})


def _empty_raw(con, src: SourceConfig, name: str) -> ir.Table:
    """A raw table without rows holding every raw column the mapping reads, as text."""
    needed: dict[str, None] = {}
    for key in src.columns:
        mapping = src.mapping(key)
        if mapping is not None and mapping.column is not None:
            needed[mapping.column] = None
        elif mapping is not None and mapping.sql is not None:
            needed.update(dict.fromkeys(sorted(_referenced_columns(mapping.sql))))
    for rule in src.exclude:
        needed.update(dict.fromkeys(sorted(_referenced_columns(rule.when))))
    if src.dedup is not None:
        needed.update(dict.fromkeys([*src.dedup.key, *([src.dedup.newest_by] if src.dedup.newest_by else [])]))
    cols = ", ".join(f"CAST(NULL AS VARCHAR) AS {_quote(c)}" for c in needed) or "CAST(NULL AS VARCHAR) AS _empty"
    return con.sql(f"SELECT {cols} WHERE FALSE", dialect="duckdb")


def _check_same_columns(con, reader, paths: list[str], table: str, options: dict[str, Any], name: str) -> None:
    """Files matched by one glob must be one kind of export: same columns, in any order."""
    first = None
    for i, p in enumerate(paths):
        columns = list(reader(p, table_name=f"{name}_probe_{i}", **options).columns)
        if first is None:
            first = (p, columns)
            continue
        if set(columns) != set(first[1]):
            only_here = [c for c in columns if c not in first[1]][:8]
            only_first = [c for c in first[1] if c not in columns][:8]
            raise SourceError(
                f"sources.{table}.path matches files that are different exports: {Path(p).name} has columns "
                f"{only_here} that {Path(first[0]).name} lacks, and lacks {only_first}. Fix: narrow the glob to one "
                "kind of export (e.g. 'data/contacts_*.csv'), or give each export its own source."
            )


#: the first bytes of files that are not what a reader of CSV, JSON or Parquet expects
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"PAR1", "parquet"),
    (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0", "xls"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
    (b"BZh", "bzip2"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"SQLite format 3\x00", "sqlite"),
)


def file_kind(path: str) -> str | None:
    """What a file's first bytes say it is (``parquet``, ``gzip``, ``zstd``, ``zip``, ...), or
    None for plain text and unreadable files: the loader believes these, not the file's name."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)


def _content_problem(path: str, fmt: str, table: str, options: dict[str, Any]) -> str | None:
    """What the file really is when its first bytes say it is not ``fmt`` (None when they agree)."""
    kind = file_kind(path)
    key = f"sources.{table}"
    compression = str(options.get("compression", "auto")).lower()
    if kind is None:
        if fmt == "parquet" and Path(path).stat().st_size > 0:
            return (f"is not a Parquet file (Parquet files start with the bytes PAR1); if it is text, set {key}.format "
                    "to csv, json or jsonl")
        with open(path, "rb") as f:
            head = f.read(64)
        if fmt in ("json", "jsonl") and head.startswith(b"\xef\xbb\xbf"):
            return ("starts with a UTF-8 byte order mark (BOM), which the JSON reader does not accept. Fix: save it "
                    "as UTF-8 without a BOM (a text editor's \"UTF-8\", not \"UTF-8 with BOM\")")
        hint = re.match(rb"(?:\xef\xbb\xbf)?sep=(.)\r?\n", head)
        if fmt == "csv" and hint and not options.get("skip"):
            sep = hint.group(1).decode("latin-1")
            return (f"its first line, 'sep={sep}', is Excel's delimiter hint, not the header. Fix: set "
                    f"{key}.read_options: {{skip: 1, delim: '{sep}'}}, or delete that line")
        return None
    if kind == "parquet":
        return None if fmt == "parquet" else f"is a Parquet file, not {fmt}. Fix: set {key}.format: parquet"
    if kind == "gzip":
        if fmt == "parquet":
            return f"is gzip-compressed, not Parquet. Fix: decompress it, or set {key}.format to the format inside"
        if path.lower().endswith(".gz") or compression == "gzip":
            return None
        return (f"is gzip-compressed but its name does not end in .gz. Fix: rename it to end in .gz "
                f"(e.g. {Path(path).name}.gz), or set {key}.read_options.compression: gzip")
    if kind == "zstd":
        if compression == "zstd" or path.lower().endswith(".zst"):
            return None
        return f"is zstd-compressed. Fix: set {key}.read_options.compression: zstd, or decompress it"
    if kind == "utf-16":
        if str(options.get("encoding", "")).lower().replace("_", "-") in ("utf-16", "utf16"):
            return None
        return f"is UTF-16 text, not UTF-8. Fix: re-export it as UTF-8, or set {key}.read_options.encoding: utf-16"
    what = {"zip": "a ZIP archive (an Excel .xlsx workbook is one)", "xls": "an Excel .xls workbook",
            "bzip2": "bzip2-compressed", "xz": "xz-compressed", "sqlite": "an SQLite database"}[kind]
    fix = "export the sheet as CSV" if kind in ("zip", "xls") else "decompress or export it as CSV, JSON or Parquet"
    return f"is {what}, not {fmt}. Fix: {fix}"


def _unknown_option(con, fmt: str | None, message: str) -> tuple[str, list[str]] | None:
    """(the option the reader rejected, its known options) from a backend's error, or None."""
    match = re.search(r'invalid named parameter "([^"]+)" for function (\w+)', message, re.I)
    if not match:
        return None
    known: list[str] = []
    try:
        rows = con.raw_sql(
            f"SELECT DISTINCT unnest(parameters) FROM duckdb_functions() WHERE function_name = '{match.group(2)}'"
        ).fetchall()
        known = sorted({r[0] for r in rows} - {"col0"})
    except Exception:  # another engine: no catalogue of reader options to suggest from
        pass
    return match.group(1), known


def _not_text(number: int, line: bytes, exc: UnicodeDecodeError, encoding: str) -> str:
    """Line ``number`` does not decode as ``encoding``, in words with the fix."""
    named = "UTF-8" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    return (f"line {number:,} is not {named} text (byte 0x{line[exc.start]:02X}). Fix: set "
            "read_options.encoding (e.g. 'latin-1' or 'cp1252'), or re-export the file as UTF-8")


#: how a line ends, as :func:`_line_endings` records it per line
_NO_END, _CRLF, _LF = 0, 1, 2
_ENDING_NAMES = {_CRLF: "CRLF (\\r\\n)", _LF: "LF (\\n)"}


def _line_endings(path: str, encoding: str) -> bytearray | str:
    """How each line of ``path`` ends (one byte per line), read once; or, at the first line that
    is not text in ``encoding``, that line in words with the fix. Raises OSError (the file cannot
    be read) and LookupError (no such encoding)."""
    endings = bytearray()
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError as exc:
                return _not_text(number, line, exc, encoding)
            endings.append(_CRLF if line.endswith(b"\r\n") else _LF if line.endswith(b"\n") else _NO_END)
    return endings


def _decoding_problem(path: str, options: dict[str, Any]) -> str | None:
    """The first line of ``path`` that is not text in the reader's encoding (``read_options.encoding``,
    UTF-8 when unset), in words; None when every line decodes or the file cannot be read."""
    try:
        scanned = _line_endings(path, str(options.get("encoding", "utf-8")))
    except (OSError, LookupError):
        return None
    return scanned if isinstance(scanned, str) else None


def _mixed_endings(endings: bytearray, record_ends: list[int]) -> str | None:
    """Records ending in two ways (some lines CRLF, others LF), in words with the fix: DuckDB's
    csv sniffer cannot read such a file ("Error when sniffing file"), its ``new_line`` option does
    not help, and the bytes decode, so the cause is not the encoding. None when one way is used.

    ``endings`` holds each physical line's ending; ``record_ends`` the lines on which the csv
    reader ended a record (a line break inside a quoted field is a value, not an ending).
    """
    seen: dict[int, list[int]] = {}
    for number in record_ends:
        kind = endings[number - 1] if number <= len(endings) else _NO_END
        if kind != _NO_END:
            seen.setdefault(kind, []).append(number)
    if len(seen) < 2:
        return None
    odd, usual = sorted(seen, key=lambda k: (len(seen[k]), -seen[k][0]))
    n_odd, n_usual, first = len(seen[odd]), len(seen[usual]), seen[odd][0]
    if n_odd == 1:
        found = (f"line {first:,} ends in {_ENDING_NAMES[odd]} while the other {n_usual:,} lines end in "
                 f"{_ENDING_NAMES[usual]}")
    else:
        found = (f"{n_usual:,} lines end in {_ENDING_NAMES[usual]} and {n_odd:,} in {_ENDING_NAMES[odd]}, the first "
                 f"of these on line {first:,}")
    return (f"the file mixes line endings: {found}, and the csv reader cannot sniff such a file. Fix: give every "
            "line the same ending (export it again, or run dos2unix on the file to end every line in LF), or set "
            "read_options.strict_mode: false (the reader then also accepts rows that do not follow the CSV standard)")


def _csv_problem(path: str, options: dict[str, Any]) -> str | None:
    """The first line a CSV reader cannot get past, in words (None when the file reads cleanly).

    Reads the file once with Python's strict CSV reader: the encoding, an unbalanced quote, a
    line with too few or too many fields, a last line cut short; then whether the records end
    in two ways (CRLF and LF), which DuckDB's sniffer cannot read.
    """
    encoding = str(options.get("encoding", "utf-8"))
    csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))  # a long notes field is not an error
    try:
        endings = _line_endings(path, encoding)
        if isinstance(endings, str):
            return endings  # a line that is not text in the encoding
        with open(path, newline="", encoding=encoding) as fh:
            delim, quote = _csv_format(fh.readline(), options)
            fh.seek(0)
            total = sum(1 for _ in fh)
            fh.seek(0)
            reader = csv.reader(fh, delimiter=delim, quotechar=quote, strict=True)
            try:
                header = next(reader, None)
            except csv.Error as exc:
                return (f"the header line: a quoted field is never closed ({exc}): an unbalanced quote in line 1. "
                        "Fix: correct the header in the export, or set read_options.quote")
            if header is None:
                return None
            last = reader.line_num
            record_ends = [last]
            try:
                for row in reader:
                    start = last + 1
                    if len(row) != len(header):
                        if start >= total:
                            return (f"the last line ({start:,}) has {len(row)} of the header's {len(header)} fields: "
                                    "the file looks truncated. Fix: export it again in full")
                        return (f"line {start:,} has {len(row)} fields where the header has {len(header)}. Fix: "
                                "correct that line in the export, or check read_options.delim and quote")
                    last = reader.line_num
                    record_ends.append(last)
            except csv.Error as exc:
                start = last + 1
                if "unexpected end of data" in str(exc) and start >= total:
                    return (f"the last line ({start:,}) ends inside a quoted field: the file looks truncated. Fix: "
                            "export it again in full")
                if "unexpected end of data" in str(exc):
                    return (f"a quote opened on line {start:,} is never closed (an unbalanced quote). Fix: correct "
                            "that line in the export, or set read_options.quote")
                return (f"line {start:,}: a quoted field is not closed where the field ends (an unbalanced quote: "
                        f"{exc}). Fix: correct that line in the export, or set read_options.quote")
        return _mixed_endings(endings, record_ends)
    except (OSError, LookupError, UnicodeDecodeError, csv.Error):
        return None  # nothing clearer to say than the reader's own message


_MALFORMED_JSON = re.compile(r'malformed json in file "([^"]+)", at byte \d+ in line (\d+): ([^.]*)', re.IGNORECASE)


def _jsonl_problem(message: str) -> str | None:
    """The line of a JSON-lines file that does not parse, counted from 1, and whether it is the
    file's last (a file cut short), from the reader's message; None when the file does not
    show it. The reader's own line number is one past the line (DuckDB 1.5 says "line 102"
    of the 101st), so the lines around it are parsed here; only those two are decoded."""
    found = _MALFORMED_JSON.search(message)
    if found is None or file_kind(found.group(1)) is not None:
        return None
    path, said, why = found.group(1), int(found.group(2)), found.group(3).strip()
    bad = last = None
    try:
        with open(path, "rb") as fh:
            for number, line in enumerate(fh, start=1):
                if line.strip():
                    last = number
                if bad is None and said - 1 <= number <= said and line.strip():
                    try:
                        json.loads(line)
                    except ValueError:
                        bad = number
                elif bad is not None and number > bad and line.strip():
                    break
    except OSError:
        return None
    if bad is None:
        return None
    if bad == last:
        return (f"{path}: the last line ({bad:,}) is not a whole JSON object ({why}): the file looks truncated. "
                "Fix: export it again in full")
    return (f"{path}: line {bad:,} is not a JSON object ({why}). Fix: correct that line in the export, or check "
            "the format (jsonl = one object per line)")


def _explain_read_error(con, paths: list[str], origin: str, table: str, fmt: str | None, exc: Exception,
                        options: dict[str, Any]) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    low = str(exc).lower()
    unknown = _unknown_option(con, fmt, str(exc))
    if unknown is not None:
        # the reader stops at the first option it does not know: the others are named at once
        # from its catalogue, so a second misspelling is not met only after the first is fixed
        name, known = unknown
        seen = {k.lower() for k in known} | {name.lower()}
        others = [o for o in options if o.lower() not in seen] if known else []  # no catalogue: the reader's one
        lines = []
        for option in [name, *others]:
            guess = difflib.get_close_matches(option, known, n=1)
            hint = f"did you mean {guess[0]!r}?" if guess else (f"known options: {', '.join(known)}" if known else
                                                               "see the reader's documentation")
            lines.append(f"sources.{table}.read_options.{option}: not an option of the {fmt} reader; {hint}")
        return "\n".join(lines)
    if fmt == "csv":
        for p in paths:
            if (problem := _csv_problem(p, options)) is not None:
                return f"{p}: {problem.replace('read_options.', f'sources.{table}.read_options.')}."
    if fmt != "csv" and ("unicode" in low or "utf-8" in low or "encoding" in low):
        # the engine names the encoding in messages about other things too (its sniffer lists the
        # encoding it tried): the encoding is blamed only for text whose bytes do not decode (a
        # csv file's lines were decoded above; compressed files are not text)
        for p in paths:
            if file_kind(p) is None and (problem := _decoding_problem(p, options)) is not None:
                return f"{p}: {problem.replace('read_options.', f'sources.{table}.read_options.')}."
    duplicate = re.search(r'duplicate name "([^"]*)" in struct auto-detected in json', low)
    if fmt in ("json", "jsonl") and duplicate is not None:
        # a free-form map (a record's custom attributes) whose keys differ only in case: the
        # reader, inferring a struct for every nested object, cannot hold both names
        key = str(exc)[duplicate.start(1):duplicate.end(1)]
        return (f"{origin}: a nested object in this export has keys that differ only in case ({key!r} and another "
                "spelling of it), which the JSON reader cannot read as a struct (often a free-form map of custom "
                f"attributes). Fix: set sources.{table}.read_options.maximum_depth: 1, so that nested objects are "
                "read as JSON text (a field of one is then {sql: \"<column>->>'<key>'\"}), or give every field's "
                f"type in sources.{table}.read_options.columns (as the amazon_connect_ctr adapter does).")
    if fmt == "jsonl" and (problem := _jsonl_problem(str(exc))) is not None:
        return f"{problem}."
    if "no files found" in low:
        fix = f"check sources.{table}.path"
    elif fmt in ("json", "jsonl") and ("json" in low or "malformed" in low):
        fix = f"check sources.{table}.format (json = one array or object per file, jsonl = one object per line)"
    elif "parquet" in low or "magic" in low:
        fix = f"the file is not Parquet; check sources.{table}.format"
    else:
        fix = f"check sources.{table}.format and sources.{table}.read_options (delimiter, quote, header)"
    return f"{origin}: cannot be read as {fmt}: {text}. Fix: {fix}."


def _referenced_columns(sql: str) -> set[str]:
    """Raw column names an SQL expression uses (struct access ``a.b`` uses column ``a``); the
    variables of lambdas (``m -> m.value``) and list comprehensions (``[m.value FOR m IN x]``)
    are not columns."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    bound = {i.name for lam in tree.find_all(exp.Lambda) for i in lam.expressions}
    bound |= {c.expression.name for c in tree.find_all(exp.Comprehension) if c.expression is not None}
    names = set()
    for col in tree.find_all(exp.Column):
        parts = [p.name for p in col.parts]
        if parts[0] not in bound:
            names.add(parts[0])
    return names


def _check_header(origin: str, table: str, src: SourceConfig, raw_columns: list[str],
                  paths: list[str] | None = None, options: dict[str, Any] | None = None, *,
                  required: Iterable[str]) -> None:
    """Every raw column the mapping needs must exist; one message lists every miss with a guess.
    A canonical column not in ``required`` (the target table's) may also be unmapped: its
    message says so."""
    if len(raw_columns) == 1 and any(d in raw_columns[0] for d in ("\t", ";", "|", ",")):
        # a reader that cannot sniff a dialect falls back to one column: an unbalanced quote, a
        # cut-off last line or a wrong encoding look like a wrong delimiter until the file is read
        for p in paths or []:
            if (problem := _csv_problem(p, options or {})) is not None:
                raise SourceError(f"{p}: {problem.replace('read_options.', f'sources.{table}.read_options.')}.")
        raise SourceError(
            f"{origin}: the header was read as ONE column ({raw_columns[0][:80]!r}): the delimiter is "
            f"probably wrong. Fix: set sources.{table}.read_options.delim (e.g. '\\t', ';' or '|'); the "
            f"mapping keys sources.{table}.columns.* cannot match until it is."
        )
    present = {c.lower(): c for c in raw_columns}
    problems: list[str] = []
    repeated = _repeated_names(raw_columns, paths or [], options or {})
    required = set(required)

    def need(col: str, key: str, name: str | None = None) -> None:
        """``name``: the canonical column ``col`` is mapped to, if any."""
        if col.lower() in repeated:
            path, positions = repeated[col.lower()]
            read_as = ", ".join(f"{raw_columns[i]!r} (column {i + 1})" for i in positions)
            problems.append(
                f"{key}: raw column {col!r} is named {len(positions)} times in the header of {path}, so which one is "
                f"meant is ambiguous (the reader calls them {read_as}). Fix: give every column its own name with "
                f"sources.{table}.read_options.names (the header's names in order, each once), then map the one "
                "you mean"
            )
            return
        if col.lower() not in present:
            guess = _closest(col, list(present.values()))
            hint = f"did you mean {guess[0]!r}?" if guess else "set it to one of the file's columns"
            if name is not None and name not in required:
                # an optional field the export does not record at all is unmapped, not renamed
                unmap = (f"set it to null in the engagement (sources.{table}.columns.{name}: null) if the export does "
                         "not record it: figures that need it then read \"not measured\"")
                hint = f"{hint} Or {unmap}" if guess else f"{hint}, or {unmap}"
            problems.append(f"{key}: raw column {col!r} not found; {hint}")

    def need_sql(sql: str, key: str, name: str | None = None) -> None:
        try:
            refs = _referenced_columns(sql)
        except sqlglot.errors.ParseError as exc:
            problems.append(f"{key}: not valid SQL ({str(exc).splitlines()[0]})")
            return
        for col in refs:
            need(col, key, name)

    for i, step in enumerate(src.unnest):
        # a step reads a raw column or an earlier step's element; it adds its own element
        need_sql(step.path, f"sources.{table}.unnest[{i}].path")
        present[step.as_.lower()] = step.as_
    for i, expr in enumerate(src.group_by):
        need_sql(expr, f"sources.{table}.group_by[{i}]")
    for name in src.columns:
        mapping = src.mapping(name)
        assert mapping is not None
        key = f"sources.{table}.columns.{name}"
        if mapping.column is not None:
            need(mapping.column, key, name)
        elif mapping.columns is not None:
            for col in mapping.columns:
                need(col.split(".")[0], key + ".columns", name)
        elif mapping.sql is not None:
            need_sql(mapping.sql, key + ".sql", name)
        elif mapping.derive is not None:
            if name == "customer_id":
                # the loader keys the export's own identifier (HMAC pseudonym, cxkit.pseudonyms);
                # a derived one would reach the tables as it is, never keyed
                problems.append(f"{key}.derive: a customer identifier is not derived from canonical columns; map "
                                "the export's identifier with column, columns or sql (it is then replaced by its "
                                "keyed pseudonym)")
                continue
            try:
                refs = _referenced_columns(mapping.derive)
            except sqlglot.errors.ParseError as exc:
                problems.append(f"{key}.derive: not valid SQL ({str(exc).splitlines()[0]})")
                continue
            for col in sorted(refs):
                other = src.mapping(col)
                if other is None or other.derive is not None:
                    problems.append(
                        f"{key}.derive: {col!r} is not a canonical column mapped from the export; derive "
                        "reads canonical columns (instants in UTC, durations in seconds) mapped with "
                        "column, columns, sql or constant"
                    )
    for i, rule in enumerate(src.exclude):
        try:
            refs = _referenced_columns(rule.when)
        except sqlglot.errors.ParseError as exc:
            problems.append(f"sources.{table}.exclude[{i}].when: not valid SQL ({str(exc).splitlines()[0]})")
            continue
        for col in refs:
            need(col, f"sources.{table}.exclude[{i}].when")
    if src.dedup is not None:
        for col in [*src.dedup.key, *([src.dedup.newest_by] if src.dedup.newest_by else [])]:
            need(col, f"sources.{table}.dedup")
    if problems and any(c[:1] in "\"'" or c[-1:] in "\"'" for c in raw_columns):
        # a reader that meets a broken line while sniffing may fall back to no quoting at all
        # ('"call_id"' for call_id): the broken line is the cause, not the mapping (a header
        # that was merely renamed does not pay for this pass over the file)
        for p in paths or []:
            if (problem := _csv_problem(p, options or {})) is not None:
                raise SourceError(f"{p}: {problem.replace('read_options.', f'sources.{table}.read_options.')}.")
    if problems:
        shown = ", ".join(repr(c) for c in raw_columns[:25]) + (" ..." if len(raw_columns) > 25 else "")
        raise SourceError(
            f"{origin}: the header does not match the mapping for '{table}':\n  - "
            + "\n  - ".join(problems)
            + f"\n  Columns in the file: {shown}"
        )


def _repeated_names(raw_columns: list[str], paths: list[str], options: dict[str, Any]) -> dict[str, tuple[str, list[int]]]:
    """Names a CSV header gives to more than one column: ``{name (lower case): (file, column
    positions)}``. The reader keeps such a name for the first and suffixes the others
    (``start``, ``start_1``), so a mapping that names it reads one of them without a word. The
    file's header is read only when the reader's columns hold such a suffix."""
    lower = {c.lower() for c in raw_columns}
    if "names" in options or not any(
            (m := re.fullmatch(r"(.+)_\d+", c.lower())) is not None and m.group(1) in lower for c in raw_columns):
        return {}
    for path in paths:
        header = _csv_header(path, options)
        if header is None or len(header) != len(raw_columns):
            continue
        positions: dict[str, list[int]] = {}
        for i, name in enumerate(header):
            positions.setdefault(name.strip().lower(), []).append(i)
        return {name: (path, at) for name, at in positions.items() if len(at) > 1}
    return {}


def _csv_header(path: str, options: dict[str, Any]) -> list[str] | None:
    """The first record of a CSV file as Python's reader reads it (None when it cannot)."""
    try:
        with open(path, newline="", encoding=str(options.get("encoding", "utf-8")), errors="replace") as fh:
            delim, quote = _csv_format(fh.readline(), options)
            fh.seek(0)
            return next(csv.reader(fh, delimiter=delim, quotechar=quote), None)
    except (OSError, csv.Error, LookupError):
        return None


def _csv_format(head: str, options: dict[str, Any]) -> tuple[str, str]:
    """The delimiter and quote character Python's CSV reader uses for a file whose first line
    is ``head``: the source's read options, else the most frequent of , ; tab | in that line."""
    delim = options.get("delim") or options.get("sep") or max((",", ";", "\t", "|"), key=head.count)
    return str(delim)[:1], str(options.get("quote") or '"')[:1]


def _closest(name: str, options: list[str]) -> list[str]:
    """The option most like ``name``: a close spelling, or one containing the other."""
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if close:
        return close
    low = name.lower()
    return [o for o in options if low in o.lower() or o.lower() in low][:1]


def _base_sql(mapping: ColumnMapping) -> str:
    """The mapped value before typing: a raw column, a composite key, an expression or a constant."""
    if mapping.constant is not None:
        return _lit(mapping.constant)
    if mapping.column is not None:
        return _quote(mapping.column)
    if mapping.columns is not None:
        # a composite key: null when a part is null (a key with a missing part identifies nothing)
        parts = (".".join(_quote(p) for p in c.split(".")) for c in mapping.columns)  # struct fields: s.id
        return "(" + " || '|' || ".join(f"CAST({p} AS VARCHAR)" for p in parts) + ")"
    return f"({mapping.sql})"


def _source_text_sql(mapping: ColumnMapping) -> str:
    """The raw value as text, null when absent, empty or one of the mapping's null values."""
    base = _base_sql(mapping)
    text = f"NULLIF(TRIM(CAST({base} AS VARCHAR)), '')"
    if mapping.null_values:
        nulls = ", ".join(_lit(v) for v in mapping.null_values)
        text = f"(CASE WHEN CAST({base} AS VARCHAR) IN ({nulls}) THEN NULL ELSE {text} END)"
    return text


def _source_present_sql(mapping: ColumnMapping) -> str:
    """Whether the raw value is there: ``_source_text_sql(mapping) IS NOT NULL``, spelled with
    ``LTRIM`` (a value of spaces only is absent either way; both trims remove spaces only).
    Counting the values present of five columns over 11M legs took 3.9 s of CPU with ``TRIM``
    and about a third of that with ``LTRIM``."""
    base = f"CAST({_base_sql(mapping)} AS VARCHAR)"
    present = f"(LTRIM({base}) <> '')"
    if mapping.null_values:
        nulls = ", ".join(_lit(v) for v in mapping.null_values)
        present = f"({present} AND NOT COALESCE({base} IN ({nulls}), FALSE))"  # as the CASE of the text
    return f"COALESCE({present}, FALSE)"


def blank_as_null_sql(text: str) -> str:
    """``text`` (SQL of a text value), null when it is empty or only blanks (spaces, tabs, line
    breaks): such a value says nothing, as an empty one does. A call id of one space on the
    legs of different calls folded them into one contact and passed the check that every
    contact has an id. Values that start with a character above the blanks (almost all) are
    not searched."""
    return (f"(CASE WHEN {text} < '!' AND NOT regexp_matches({text}, '[^{BLANK_CHARACTERS}]') "
            f"THEN NULL ELSE {text} END)")


def deduplicated_by_contact_id(src: SourceConfig) -> bool:
    """Whether a contact-grain source's de-duplication leaves at most one row per contact id:
    its key is the one raw column ``contact_id`` is read from, as it is (no expression, value
    map or composite), and the newest row of each key is kept (``newest_by``). A row without a
    key is kept, and its contact id is null (blank, or one of the mapping's ``null_values``):
    it shares no id. Without ``newest_by`` only exact copies are dropped, and a key may repeat.

    Examples
    --------
    >>> from cxkit.config import SourceConfig
    >>> src = SourceConfig(path="c.csv", columns={"contact_id": "ContactId"},
    ...                    dedup={"key": ["ContactId"], "newest_by": "LastUpdate"})
    >>> deduplicated_by_contact_id(src)
    True
    >>> deduplicated_by_contact_id(src.model_copy(update={"dedup": None}))
    False
    >>> composite = SourceConfig(path="c.csv", columns={"contact_id": "ContactId"},
    ...                          dedup={"key": ["ContactId", "Leg"], "newest_by": "LastUpdate"})
    >>> computed = SourceConfig(path="c.csv", columns={"contact_id": {"sql": "upper(ContactId)"}},
    ...                         dedup={"key": ["ContactId"], "newest_by": "LastUpdate"})
    >>> deduplicated_by_contact_id(composite), deduplicated_by_contact_id(computed)
    (False, False)
    """
    return src.grain == "contact" and _key_columns_unique(src, ("contact_id",), {}, {"contact_id": "string"})


def unique_by_construction(report: LoadReport, columns: tuple[str, ...]) -> bool:
    """Whether no two rows of ``report``'s table with a value in each of ``columns`` share their
    values of ``columns``, whatever the export holds: the source keeps the newest row of each
    de-duplication key (``newest_by``) and that key is the raw columns the ``columns`` are read
    from as they are (no expression, value map or format; a number from a column the export
    types as an integer: text read as a number makes ``01`` and ``1`` one value). The legs'
    own ``(contact_id, leg_seq)`` is unique too when ``leg_seq`` is numbered by the loader. A
    readiness check of such a key then counts the rows instead of grouping them (at 10
    million contacts the legs' key took 1.4 s to group), with the same result.

    Examples
    --------
    >>> from cxkit.config import SourceConfig
    >>> src = SourceConfig(path="c.csv", columns={"case_id": "Id"}, dedup={"key": ["Id"], "newest_by": "At"})
    >>> _key_columns_unique(src, ("case_id",), {}, {"case_id": "string"})
    True
    >>> _key_columns_unique(src.model_copy(update={"dedup": None}), ("case_id",), {}, {"case_id": "string"})
    False
    """
    leg = report.grain == "leg"
    types = {c.name: c.dtype for c in table_spec("legs" if leg else report.table).columns}
    return _key_columns_unique(report.source, columns, dict(report.raw.schema().items()), types, leg=leg)


def _key_columns_unique(src: SourceConfig, columns: tuple[str, ...], raw_types: Mapping[str, Any],
                        types: Mapping[str, str], *, leg: bool = False) -> bool:
    if leg and set(columns) == {"contact_id", "leg_seq"} and src.mapping("leg_seq") is None:
        return True  # numbered within each contact id (_with_leg_seq)
    if src.dedup is None or not src.dedup.newest_by:
        return False
    if src.unnest or src.group_by or src.records:
        return False  # rows are made after the de-duplication: one record may give several
    raw = []
    for name in columns:
        mapping = src.mapping(name)
        if mapping is None or mapping.column is None or mapping.values or mapping.format or mapping.unit:
            return False
        if types.get(name) != "string":
            dtype = raw_types.get(mapping.column)
            if dtype is None or not dtype.is_integer():
                return False
        raw.append(mapping.column)
    return sorted(src.dedup.key) == sorted(raw)


def _key_missing_sql(key: list[str] | tuple[str, ...], types: Mapping[str, Any]) -> str:
    """SQL over the export's rows: a part of the de-duplication ``key`` is null, or a text one is
    empty or only blanks (:func:`blank_as_null_sql`)."""
    parts = []
    for k in key:
        q = _quote(k)
        dtype = types.get(k)
        if dtype is not None and not dtype.is_string():
            parts.append(f"{q} IS NULL")
        else:
            parts.append(f"{blank_as_null_sql(f'CAST({q} AS VARCHAR)')} IS NULL")
    return " OR ".join(parts)


def _native_number(col: Column, mapping: ColumnMapping, raw_types: Mapping[str, Any]) -> bool:
    """Whether numeric column ``col`` is mapped from one raw column the export already types as
    a number, with no null values or value map: it then needs no parsing and cannot fail to parse."""
    if col.dtype not in ("float64", "int64"):
        return False
    if mapping.column is None or mapping.null_values or mapping.values or mapping.unit == "hms":
        return False
    dtype = raw_types.get(mapping.column)
    return dtype is not None and dtype.is_numeric()


#: microseconds in one unit of an epoch time (``unit`` on a timestamp column)
_MICROSECONDS = {"s": 1_000_000, "ms": 1_000}
#: the epoch times read, in microseconds: the days a period may have (``cxkit.config``)
_EPOCH_RANGE_US = tuple((day - date(1970, 1, 1)).days * 86_400_000_000
                        for day in (EARLIEST_DAY, LATEST_DAY + timedelta(days=1)))


def _column_sql(col: Column, mapping: ColumnMapping, src: SourceConfig, default_tz: str, d: Dialect,
                native_number: bool = False, *, localized: bool = True, period: tuple[date, date] | None = None) -> str:
    """DuckDB-dialect SQL producing canonical column ``col`` from its mapping. A number the
    export already types (``native_number``) is cast directly, not through its text. With
    ``localized`` False a local time with a format is only parsed, not moved to UTC: null
    exactly where the canonical value is (the parse-failure count reads that). ``period``: the
    engagement's first and last day, around which local times are moved to UTC
    (:class:`cxkit.connection.Dialect`)."""
    base = _base_sql(mapping)
    if native_number and col.dtype == "float64":
        factor = {"ms": " / 1000.0", "min": " * 60.0"}.get(mapping.unit or "s", "")
        return _finite(f"(CAST({base} AS DOUBLE){factor})")
    if native_number and col.dtype == "int64":
        return f"TRY_CAST({base} AS BIGINT)"
    if col.dtype == "string" and col.name.endswith("_id") and col.name != "customer_id":
        # an identifier of blanks only identifies nothing (the customer id's own test is
        # cxkit.customers.identified_sql; other text keeps its blanks: a test on every text
        # column cost 3 s at 11M legs, on the identifiers about 1 s); before the null values
        # and the value map, on the export's own value
        base = blank_as_null_sql(f"CAST({base} AS VARCHAR)")
    if mapping.null_values:
        nulls = ", ".join(_lit(v) for v in mapping.null_values)
        base = f"(CASE WHEN CAST({base} AS VARCHAR) IN ({nulls}) THEN NULL ELSE {base} END)"
    tz = mapping.timezone or src.timezone or default_tz
    dtype = col.dtype
    if mapping.values:
        cases = " ".join(f"WHEN {_lit(str(k))} THEN {_lit(v)}" for k, v in mapping.values.items())
        other = "NULL" if dtype == "boolean" else f"CAST({base} AS VARCHAR)"
        base = f"(CASE CAST({base} AS VARCHAR) {cases} ELSE {other} END)"
    if dtype.startswith("timestamp"):
        if mapping.unit in EPOCH_UNITS:
            # seconds or milliseconds since 1970-01-01 UTC: an instant, moved by no timezone; a
            # number outside the days a period may have is unreadable (null, counted), not an
            # engine error or a year pandas cannot hold (seconds read as milliseconds: 1970)
            number = f"TRY_CAST(NULLIF(CAST({base} AS VARCHAR), '') AS DOUBLE)"
            micros = f"({number} * {_MICROSECONDS[mapping.unit]})"
            lo, hi = _EPOCH_RANGE_US
            instant = d.from_epoch_us(f"CAST(round({micros}) AS BIGINT)")
            return f"(CASE WHEN {micros} >= {lo} AND {micros} < {hi} THEN {instant} END)"
        if mapping.format == "iso":
            return _within_days(d.parse_iso(f"NULLIF(CAST({base} AS VARCHAR), '')", tz, period))
        if mapping.format:
            parsed = d.parse_timestamp(f"NULLIF(CAST({base} AS VARCHAR), '')", mapping.format)
            if "%z" in mapping.format or "%Z" in mapping.format:
                # the text states its offset or zone: the parsed value is the instant, not a
                # wall-clock time to read in the source's timezone
                return _within_days(f"CAST({parsed} AS TIMESTAMPTZ)")
            # a local time outside 1900-2199 is null once moved to UTC (Dialect.localize)
            return d.localize(parsed, tz, period) if localized else _within_days(parsed, naive=True)
        return f"__ts__({base})"  # resolved against the expression's type below
    if dtype == "string":
        return f"NULLIF(CAST({base} AS VARCHAR), '')"
    # numbers written with a decimal comma ("12,5"): the export's text is read as text
    # (all_varchar), so the reader's own decimal_separator never applies; cxkit applies it.
    # There a dot groups thousands ("1.234" is 1234, "1.800,5" 1800.5): a dot anywhere else
    # ("12.5") says the value was not written that way and it is unreadable (counted), never a
    # number 1,000 times too small
    number = f"NULLIF(CAST({base} AS VARCHAR), '')"
    decimal = number
    if str(src.read_options.get("decimal_separator", ".")) == ",":
        text = f"trim({number})"
        decimal = (f"(CASE WHEN regexp_matches({text}, '^[+-]?[0-9]{{1,3}}([.][0-9]{{3}})+(,[0-9]*)?$') "
                   f"THEN replace(replace({text}, '.', ''), ',', '.') "
                   f"WHEN {text} LIKE '%.%' THEN NULL ELSE replace({text}, ',', '.') END)")
        number = f"replace({number}, ',', '.')"
    if dtype == "float64":
        if mapping.unit == "hms":
            return _finite(_hms_seconds(number))
        factor = {"ms": " / 1000.0", "min": " * 60.0"}.get(mapping.unit or "s", "")
        return _finite(f"(TRY_CAST({decimal} AS DOUBLE){factor})")
    if dtype == "int64":
        return f"TRY_CAST(TRY_CAST({decimal} AS DOUBLE) AS BIGINT)"
    if dtype == "boolean":
        if mapping.values:
            return base
        return f"TRY_CAST(NULLIF(CAST({base} AS VARCHAR), '') AS BOOLEAN)"
    raise AssertionError(f"unhandled canonical type {dtype}")


def _hms_seconds(text: str) -> str:
    """SQL for the seconds of a duration written ``[-][d.]h:mm:ss[.f]``: the sign applies to
    the whole duration (``-00:00:30`` is -30 s, which readiness reports as negative), and a day
    prefix (``1.02:03:04``, as .NET and Dynamics write a TimeSpan; or ``1 02:03:04``) counts
    its days. Anything else without three parts (``05:30``) is unreadable (null, counted).

    >>> import duckdb
    >>> values = ["0:05:30", "-00:00:30", "-01:30:00", "1.02:03:04", "1 02:03:04", "45:33:52", "00:00:01.5", "05:30"]
    >>> duckdb.sql(f"SELECT {_hms_seconds('v')} FROM (SELECT unnest({values!r}) AS v)").fetchall()
    [(330.0,), (-30.0,), (-5400.0,), (93784.0,), (93784.0,), (164032.0,), (1.5,), (None,)]
    """
    t = f"trim({text})"
    body = f"(CASE WHEN {t} LIKE '-%' OR {t} LIKE '+%' THEN substr({t}, 2) ELSE {t} END)"
    sign = f"(CASE WHEN {t} LIKE '-%' THEN -1 ELSE 1 END)"
    first = f"split_part({body}, ':', 1)"
    day_hour = "'^[0-9]+[. ]([01][0-9]|2[0-3])$'"
    days = f"TRY_CAST(regexp_extract({first}, '^([0-9]+)', 1) AS DOUBLE)"
    hours = (f"(CASE WHEN regexp_matches({first}, {day_hour}) "
             f"THEN {days} * 24 + TRY_CAST(right({first}, 2) AS DOUBLE) ELSE TRY_CAST({first} AS DOUBLE) END)")
    return (f"({sign} * ({hours} * 3600 + TRY_CAST(split_part({body}, ':', 2) AS DOUBLE) * 60 "
            f"+ TRY_CAST(split_part({body}, ':', 3) AS DOUBLE)))")


def _within_days(instant: str, *, naive: bool = False) -> str:
    """SQL for ``instant`` where it falls on the days a period may have (1900 to 2199, as epoch
    times are read), else null: unreadable and counted. Systems write sentinels outside them
    (.NET's ``0001-01-01`` for "never", ``9999-12-31`` for "open"): the first stopped validate
    and run on a date pandas cannot hold, and an end in 9999 left a contact out of FCR as
    censored, with no check to say so. ``naive``: a wall-clock time not yet moved to UTC."""
    kind = "TIMESTAMP" if naive else "TIMESTAMPTZ"
    lo, hi = (f"{kind} '{day.isoformat()} 00:00:00{'' if naive else '+00'}'"
              for day in (EARLIEST_DAY, LATEST_DAY + timedelta(days=1)))
    return f"(CASE WHEN {instant} >= {lo} AND {instant} < {hi} THEN {instant} END)"


#: no duration, score or count of a contact center reaches this (10^12 s is 31,700 years): a
#: value beyond it is a corrupt field, and summed with others it overflows a mean to infinity
_MAX_NUMBER = 1e12


def _finite(number: str) -> str:
    """``number`` where it is a finite number within +-10^12, else null: a duration written
    "NaN", "inf" or "1e308" (as a script's export may) is unreadable, left empty and counted as
    such, never a value that turns a mean into NaN or infinity. ``x - x = 0`` holds for finite
    numbers only, on every engine.

    >>> import duckdb
    >>> values = "(1.5), ('NaN'::DOUBLE), ('inf'::DOUBLE), (1e308), (-2e12)"
    >>> duckdb.sql(f"SELECT {_finite('x')} AS v FROM (VALUES {values}) t(x)").fetchall()
    [(1.5,), (None,), (None,), (None,), (None,)]
    """
    return f"(CASE WHEN {number} - {number} = 0 AND abs({number}) < {int(_MAX_NUMBER)} THEN {number} END)"


def load_source(
    con,
    engagement: Engagement,
    table: str,
    *,
    pseudonym_key_table: str | None = None,
    pseudonym_lookup: str | None = None,
    stage: Callable[[ir.Table, str], ir.Table] | None = None,
) -> tuple[ir.Table, LoadReport, ir.Table | None]:
    """Canonical table ``table`` of ``engagement`` (lazy), its LoadReport, and its legs if leg-grain.

    ``pseudonym_key_table``: the engine table holding the engagement's key
    (:func:`cxkit.pseudonyms.register_key`); ``customer_id`` is then its keyed hash
    (HMAC-SHA256), computed in the engine, so no raw customer identifier reaches a canonical
    table. ``Session`` always passes one; None leaves the identifiers as mapped (tests of a
    mapping only). ``pseudonym_lookup``: a table of pseudonyms shared by the sources
    (:func:`pseudonym_lookup`), which the caller fills (:func:`fill_pseudonym_lookup`) before
    the table is read; without it each source hashes its own distinct ids.
    """
    src = engagement.sources[table]
    raw, origin, fmt = read_raw(con, engagement, table, src)
    if src.records is not None:
        raw = _records(raw, origin, table, src.records)
    if fmt in ("json", "jsonl"):
        raw = _json_as_text(raw, table)
    if stage is not None and fmt in ("csv", "json", "jsonl"):
        # text exports are parsed once: the counts, the checks and the mapping then read a
        # columnar copy (``stage``: Session.materialize); an export the engine cannot parse
        # whole is read as it is, so its error is explained where it is met
        try:
            raw = stage(raw, f"export-{table}")
        except Exception:
            pass
    d = dialect_for(con)
    paths = source_files(engagement, src)
    options = {**d.read_options.get(fmt, {}), **src.read_options}
    target = "legs" if (table == "contacts" and src.grain == "leg") else table
    spec = table_spec(target)
    _check_header(origin, table, src, list(raw.columns), paths if fmt == "csv" else [], options,
                  required=spec.required)
    if fmt == "csv":
        src = _without_repeated_headers(src, raw)
    raw_name = f"cx_src_{table}"
    aliased = raw.alias(raw_name)
    tz = src.timezone or engagement.timezone
    period = (engagement.period.start, engagement.period.end)

    for i, rule in enumerate(src.exclude):
        # each rule bound on its own first (no row is read): a condition the export's types do
        # not allow is named by its key, not by the first mapped column whose query it is in
        try:
            aliased.sql(f"SELECT * FROM {raw_name} WHERE NOT COALESCE(({rule.when}), FALSE)", dialect="duckdb")
        except Exception as exc:
            raise SourceError(f"{origin}: {_exclusion_problem(table, i, rule.when, exc)}") from exc
    where = " AND ".join(f"NOT COALESCE(({r.when}), FALSE)" for r in src.exclude) or "TRUE"
    kept_all_sql = f"SELECT * FROM {raw_name} WHERE {where}"
    # a row whose key is missing identifies nothing: it is kept, never read as an older version
    # of another such row (40 legs without a call id were 38 "superseded" rows)
    key_missing_sql = (_key_missing_sql(src.dedup.key, dict(raw.schema().items()))
                       if src.dedup is not None and src.dedup.key else None)
    if src.dedup is not None and src.dedup.newest_by:
        # one row per key, the newest: exact re-deliveries share the key, so this drops them too
        # (a DISTINCT over every column first would be redundant, and it does not spill: at 11M
        # legs it ran DuckDB out of a 4 GB memory cap that this window alone stays under)
        keys = ", ".join(_quote(k) for k in src.dedup.key)
        kept_sql = (
            f"SELECT * FROM ({kept_all_sql}) QUALIFY ({key_missing_sql}) OR row_number() OVER "
            f"(PARTITION BY {keys} ORDER BY {_quote(src.dedup.newest_by)} DESC) = 1"
        )
    else:
        kept_sql = f"SELECT DISTINCT * FROM {raw_name} WHERE {where}"
    # nested lists become rows after de-duplication (a re-delivered record is dropped whole)
    rows_sql = _unnested(kept_sql, src)
    group = f" GROUP BY {', '.join(src.group_by)}" if src.group_by else ""
    from_sql = f"FROM ({rows_sql}) AS kept{group}"
    # the export's own column types (a Parquet file's, or a CSV's as sniffed): a number typed
    # as one is read directly. Not where rows are unnested or grouped (the names differ there)
    raw_types = {} if (src.unnest or src.group_by) else dict(raw.schema().items())
    try:
        columns = [(c, src.mapping(c.name)) for c in spec.columns if src.mapping(c.name) is not None]
        direct = [(c, m) for c, m in columns if m.derive is None]
        selects, mapped, conversions, column_sql = [], {}, {}, {}
        identifier_sql = None
        # a value that is there but unreadable is counted per column (LoadReport.parse_failures)
        # and its column probed on a failure (explain_execution_error), row by row: not where
        # the mapping aggregates rows (group_by)
        per_row = not src.group_by
        for col, mapping in direct:
            mapped[col.name] = _mapped_from(mapping)
            native = _native_number(col, mapping, raw_types)
            sql = _column_sql(col, mapping, src, engagement.timezone, d, native, period=period)
            if sql.startswith("__ts__("):
                try:
                    sql = _timestamp_from_native(aliased, sql[len("__ts__(") : -1], tz, d, from_sql, period)
                except Exception as exc:  # the engine cannot bind the expression (e.g. text * 2)
                    raise SourceError(
                        f"{origin}: sources.{table}.columns.{col.name} ({mapped[col.name]!r}) does not run on this "
                        f"data: {str(exc).splitlines()[0].rstrip('.')}. Fix: correct the expression, or give the "
                        "column's format."
                    ) from exc
            if col.name == "customer_id":
                identifier_sql = sql
                # a blank id is no customer (null), decided before its pseudonym hides it; an
                # e-mail address is one customer whatever its case
                sql = comparable_sql(identified_sql(sql))
                if pseudonym_key_table is not None:
                    sql = pseudonym_sql(sql, pseudonym_key_table, d)
                    if per_row:
                        # the mapping looks each id's pseudonym up (keyed_by_lookup): the id as mapped here
                        selects.append(f"{identifier_sql} AS {_quote(col.name)}")
                        column_sql[col.name] = sql
                        continue
            selects.append(f"{sql} AS {_quote(col.name)}")
            if per_row:
                column_sql[col.name] = sql
                if col.dtype != "string" and mapping.constant is None and not native:
                    # a local time's parse decides whether it is null: the move to UTC is skipped
                    parsed = _column_sql(col, mapping, src, engagement.timezone, d, localized=False, period=period)
                    conversions[col.name] = (_source_text_sql(mapping), _source_present_sql(mapping),
                                             sql if parsed.startswith("__ts__(") else parsed)
        derived = [(c, m) for c, m in columns if m.derive is not None]
        extra = ", ".join(f"CAST(({m.derive}) AS {_SQL_TYPES[c.dtype.split('(')[0]]}) AS {_quote(c.name)}" for c, m in derived)
        mapped.update({c.name: _mapped_from(m) for c, m in derived})

        plain_rows_sql = _unnested(kept_all_sql, src)
        keyed = identifier_sql is not None and pseudonym_key_table is not None and per_row

        def columns_over(rows: str) -> str:
            query = f"SELECT {', '.join(selects)} FROM ({rows}) AS kept{group}"
            if keyed:
                query = _keyed_by_lookup(query, [c.name for c, _ in direct], identifier_sql, plain_rows_sql,
                                         pseudonym_key_table, d, pseudonym_lookup)
            return query

        def mapping_over(rows: str) -> ir.Table:
            query = columns_over(rows)
            if derived:
                # derived columns read the canonical ones: instants after timezone conversion
                query = f"SELECT *, {extra} FROM ({query}) AS mapped"
            return aliased.sql(query, dialect="duckdb")

        try:
            mapped_table = mapping_over(rows_sql)
        except Exception:
            # a derive expression the canonical types do not allow is named by its key
            _check_derived(aliased, columns_over(rows_sql), derived, origin, table)
            raise
        # the same mapping over the rows before de-duplication, read instead when no key (or
        # no row) repeats (LoadReport.repeats): the usual export, where de-duplication's window
        # or DISTINCT over every column would return its input
        undeduplicated = mapping_over(plain_rows_sql)
        after_exclusions = aliased.sql(kept_all_sql, dialect="duckdb")
    except SourceError:
        raise
    except Exception as exc:
        raise SourceError(
            f"{origin}: the mapping for '{table}' does not run on this data: "
            f"{str(exc).splitlines()[0].rstrip('.')}. Check the sql expressions under sources.{table}.columns"
            + (f" and sources.{table}.unnest / group_by" if (src.unnest or src.group_by) else "")
            + "."
        ) from exc
    # the privacy scan's ids: a set, so the rows before de-duplication give the same one (a
    # superseded version's id, if it differs, is one more id looked for), without the window
    # or the DISTINCT over every column that de-duplication costs
    identifier_from_sql = from_sql if src.group_by else f"FROM ({_unnested(kept_all_sql, src)}) AS kept"
    unmapped = [c.name for c in spec.columns if c.name not in mapped]
    empty = [p for p in paths if Path(p).is_file() and Path(p).stat().st_size == 0]
    report = LoadReport(table, origin, fmt, src.grain, list(raw.columns), mapped, unmapped, src, aliased, after_exclusions,
                        conversions=conversions, kept_sql=rows_sql,
                        after_exclusions_sql=_unnested(kept_all_sql, src),
                        empty_files=empty, column_sql=column_sql, identifier_sql=identifier_sql,
                        identifier_from_sql=identifier_from_sql,
                        pseudonym_lookup=pseudonym_lookup if keyed else None)
    report.key_missing_sql = key_missing_sql
    if target == "legs":
        legs = conform("legs", _with_leg_seq(mapped_table))
        report.undeduplicated = conform("legs", _with_leg_seq(undeduplicated))
        return fold_legs(legs), report, legs
    report.undeduplicated = conform(table, undeduplicated)
    return conform(table, mapped_table), report, None


def _keyed_by_lookup(query: str, columns: list[str], identifier_sql: str, rows_sql: str, key_table: str,
                     d: Dialect, shared: str | None = None) -> str:
    """``query`` (the mapped columns, ``customer_id`` the id as mapped) with each customer id
    replaced by its keyed pseudonym, looked up in a table of the export's distinct ids, or in
    the ``shared`` table of every source's (:func:`pseudonym_lookup`).

    The pseudonym (two SHA-256 digests) and the blank and placeholder tests (two regular
    expressions) then run once per customer instead of once per row: at a million legs the
    id was 1.0 of the mapping's 1.7 s, for 485,000 distinct ids among 1.1 million rows. The
    ids are read from ``rows_sql``, the rows before de-duplication (a superseded version's id
    is one more id in the lookup, and the window that de-duplication costs is not run twice).
    A null id finds no row and stays null; the pseudonym is the same function of the same id.
    """
    if shared is not None:
        lookup, on = shared, "CAST(cx_mapped.customer_id AS VARCHAR) = cx_lookup.cx_id"
    else:
        key = pseudonym_sql(comparable_sql(identified_sql("cx_id")), key_table, d)
        lookup = (f"(SELECT cx_id, {key} AS cx_pseudonym "
                  f"FROM (SELECT DISTINCT {identifier_sql} AS cx_id FROM ({rows_sql}) AS kept) AS cx_ids)")
        on = "cx_mapped.customer_id = cx_lookup.cx_id"
    names = ", ".join("cx_lookup.cx_pseudonym AS customer_id" if c == "customer_id" else f"cx_mapped.{_quote(c)}"
                      for c in columns)
    return f"SELECT {names} FROM ({query}) AS cx_mapped LEFT JOIN {lookup} AS cx_lookup ON {on}"


def pseudonym_lookup(con) -> str:
    """An empty temporary table of the engine, ``(cx_id, cx_pseudonym)``, for the pseudonyms of
    every source of a session (DuckDB): the sources' mappings look their ids up in it
    (``load_source(pseudonym_lookup=...)``) once :func:`fill_pseudonym_lookup` has filled it.

    One customer is on the legs, the cases and the surveys: hashed once per source, the
    generator's 10-million-contact engagement computed 8.7 million pseudonyms (4.85 million
    ids on the legs, 1.98 on the cases, 1.86 on the surveys) where the three have 4.85
    million; the legs, cases and surveys then took 12.2, 3.1 and 2.1 s to map against 17.0, 5.0
    and 3.2 s, and filling this table 6.1 s (2026-12-06). The table holds raw ids, so it lives
    in the engine only (a temporary table, never written as a file of the run folder), as the ids
    of a source's own lookup did inside its query.
    """
    name = f"cx_pseudonyms_{secrets.token_hex(6)}"
    con.raw_sql(f"CREATE TEMPORARY TABLE {name} (cx_id VARCHAR, cx_pseudonym VARCHAR)")
    return name


def fill_pseudonym_lookup(con, lookup: str, key_table: str, report: LoadReport) -> None:
    """Add to ``lookup`` (:func:`pseudonym_lookup`) the pseudonyms of the customer ids of
    ``report``'s export (the rows before de-duplication) that it does not hold yet: each id is
    hashed once however many sources name it. Called once per source, before its table is read."""
    ids = report.identifier_table()
    if ids is None:
        return
    key = pseudonym_sql(comparable_sql(identified_sql("cx_id")), key_table, dialect_for(con))
    new = (f"SELECT DISTINCT CAST(customer_id AS VARCHAR) AS cx_id FROM cx_ids "
           f"WHERE customer_id IS NOT NULL AND CAST(customer_id AS VARCHAR) NOT IN (SELECT cx_id FROM {lookup})")
    rows = ids.alias("cx_ids").sql(f"SELECT cx_id, {key} AS cx_pseudonym FROM ({new}) AS cx_new", dialect="duckdb")
    con.insert(lookup, rows)


_SQL_TYPES = {"timestamp": "TIMESTAMPTZ", "float64": "DOUBLE", "int64": "BIGINT", "string": "VARCHAR", "boolean": "BOOLEAN"}


def _mapped_from(mapping: ColumnMapping) -> str:
    """What a canonical column was mapped from, in words for the load report."""
    if mapping.column is not None:
        return mapping.column
    if mapping.columns is not None:
        return " | ".join(mapping.columns)
    if mapping.sql is not None:
        return mapping.sql
    if mapping.derive is not None:
        return f"derived: {mapping.derive}"
    return f"constant {mapping.constant!r}"


def _records(raw: ir.Table, origin: str, table: str, column: str) -> ir.Table:
    """One row per element of the list column ``column`` (an API response page holding its
    records in a list), the element's fields as columns."""
    if column not in raw.columns:
        guess = _closest(column, list(raw.columns))
        hint = f"did you mean {guess[0]!r}?" if guess else f"the file's columns are {', '.join(raw.columns)}"
        raise SourceError(f"{origin}: sources.{table}.records: no list column {column!r} in the file; {hint}")
    name = f"cx_pages_{table}"
    pages = raw.alias(name)
    try:
        return pages.sql(f"SELECT cx_record.* FROM (SELECT unnest({_quote(column)}) AS cx_record FROM {name})", dialect="duckdb")
    except Exception as exc:
        raise SourceError(
            f"{origin}: sources.{table}.records: {column!r} is not a list of records ({str(exc).splitlines()[0]})"
        ) from exc


def _unnested(kept_sql: str, src: SourceConfig) -> str:
    """The kept rows with each ``unnest`` step applied: one row per element, beside its parent."""
    sql = kept_sql
    for i, step in enumerate(src.unnest):
        sql = f"SELECT *, unnest({step.path}) AS {_quote(step.as_)} FROM ({sql}) AS cx_unnest_{i}"
    return sql


def _json_as_text(raw: ir.Table, table: str) -> ir.Table:
    """JSON-typed columns read as text. DuckDB's JSON reader types a field that is null in every
    sampled record (or of mixed types) as JSON; a cast keeps the quotes (``"6fe40d2a-..."``) and
    ``COALESCE`` of it with a text column fails. A scalar becomes its text, an object or list its
    JSON text (JSON functions such as ``Attributes->>'key'`` still read it)."""
    typed = [name for name, dtype in raw.schema().items() if dtype.is_json()]
    if not typed:
        return raw
    name = f"cx_json_{table}"
    view = raw.alias(name)
    replace = ", ".join(f"json_extract_string({_quote(c)}, '$') AS {_quote(c)}" for c in typed)
    return view.sql(f"SELECT * REPLACE ({replace}) FROM {name}", dialect="duckdb")


def explain_execution_error(engagement: Engagement, report: LoadReport, exc: Exception) -> CxkitError | None:
    """What failed when a source's rows were read and mapped in the engine, named by its key, or
    None when this source reads and maps cleanly (the error came from elsewhere).

    A reader meets a bad CSV line only when it reaches it, and an SQL expression fails on a value
    only when it is computed: both surface later than loading, inside some query. This probes
    the source (its file, each exclusion rule, each mapped column on its own) to name the line
    or the mapping key, with the engine's own message.
    """
    if isinstance(exc, CxkitError):
        return exc
    src = report.source
    table = report.table
    key = f"sources.{table}"
    files = source_files(engagement, src)
    if src.path is not None and not files:
        # a file moved or deleted after the engagement was opened: every later read fails, and
        # the probes below would blame the first mapped column for it
        return SourceError(
            f"{report.origin}: the export is no longer there ({key}.path {src.path!r} matches no file now; it was read "
            "when the engagement was opened). Fix: put the file back, or open the engagement again where it is now."
        )
    if report.format == "csv" and src.path is not None:
        options = dict(src.read_options)  # the dialect's defaults say nothing of delimiter, quote or encoding
        for p in files:
            if (problem := _csv_problem(p, options)) is not None:
                return SourceError(f"{p}: {problem.replace('read_options.', f'{key}.read_options.')}.")
    raw, kept = report.raw, f"({report.kept_sql}) AS kept" if report.kept_sql else report.raw.get_name()
    for i, rule in enumerate(src.exclude):
        try:
            raw.sql(f"SELECT count(*) AS n FROM {raw.get_name()} WHERE COALESCE(({rule.when}), FALSE)",
                    dialect="duckdb").execute()
        except Exception as probe:  # the engine's error names the value it could not handle
            return SourceError(_exclusion_problem(table, i, rule.when, probe))
    for name, sql in report.column_sql.items():
        try:
            raw.sql(f"SELECT count({sql}) AS n FROM {kept}", dialect="duckdb").execute()
        except Exception as probe:
            mapping = src.mapping(name)
            what = "sql" if mapping is not None and mapping.sql is not None else "column"
            return SourceError(
                f"{key}.columns.{name}: fails on this data ({what} {report.mapped.get(name)!r}): "
                f"{str(probe).splitlines()[0].rstrip('.')}. Fix: use TRY_CAST (null where a value does not convert) or map the "
                f"values (values, null_values, format or unit under {key}.columns.{name})."
            )
    try:
        raw.sql(f"SELECT count(*) AS n FROM {kept}", dialect="duckdb").execute()
    except Exception as probe:
        return SourceError(f"{report.origin}: the data could not be read: {str(probe).splitlines()[0].rstrip('.')}. "
                           f"Fix: check {key}.read_options and {key}.exclude.")
    return None


def _exclusion_problem(table: str, i: int, when: str, exc: Exception) -> str:
    """An exclusion rule the engine refused, when bound or on a value, named by its key."""
    return (f"sources.{table}.exclude[{i}].when ({when!r}) does not run on this data: "
            f"{str(exc).splitlines()[0].rstrip('.')}. Fix: correct the condition (TRY_CAST returns null where a "
            "value does not convert).")


def _check_derived(aliased: ir.Table, mapped_sql: str, derived: list, origin: str, table: str) -> None:
    """Each ``derive`` expression bound on its own over the mapped columns (no row is read), once
    the mapping failed: one that does not fit the canonical types is named by its key, not as
    'the mapping'."""
    try:
        aliased.sql(mapped_sql, dialect="duckdb")
    except Exception:
        return  # the columns the derive expressions read fail themselves: no derive is the cause
    for col, mapping in derived:
        try:
            aliased.sql(f"SELECT CAST(({mapping.derive}) AS {_SQL_TYPES[col.dtype.split('(')[0]]}) AS x "
                        f"FROM ({mapped_sql}) AS mapped", dialect="duckdb")
        except Exception as exc:
            raise SourceError(
                f"{origin}: sources.{table}.columns.{col.name}.derive ({mapping.derive!r}) does not run on this "
                f"data: {str(exc).splitlines()[0].rstrip('.')}. Fix: derive reads canonical columns, instants (UTC) "
                "and durations in seconds: add seconds to an instant with to_seconds(...), e.g. "
                "'arrived_at + to_seconds(ivr_s + wait_s)'."
            ) from exc


def _timestamp_from_native(raw: ir.Table, expr: str, tz: str, d: Dialect, from_sql: str,
                           period: tuple[date, date] | None = None) -> str:
    """A timestamp mapping without a format: native timestamps pass, text is read as ISO 8601."""
    probe = raw.sql(f"SELECT {expr} AS v {from_sql}", dialect="duckdb")
    vtype = probe.schema()["v"]
    if vtype.is_timestamp():
        return _within_days(f"CAST({expr} AS TIMESTAMPTZ)") if vtype.timezone else d.localize(expr, tz, period)
    if vtype.is_date():
        return d.localize(f"CAST({expr} AS TIMESTAMP)", tz, period)
    return _within_days(d.parse_iso(f"NULLIF(CAST({expr} AS VARCHAR), '')", tz, period))


def _with_leg_seq(t: ir.Table) -> ir.Table:
    if "leg_seq" in t.columns:
        return t
    order = [t.arrived_at, t.ended_at] if "ended_at" in t.columns else [t.arrived_at]
    return t.mutate(leg_seq=ibis.row_number().over(group_by=t.contact_id, order_by=order) + 1)


def conform(name: str, t: ir.Table) -> ir.Table:
    """Select the canonical columns of ``name`` in order, typed; unmapped ones take default or null."""
    spec = TABLES[name]
    cols = {}
    for col in spec.columns:
        if col.name in t.columns:
            cols[col.name] = t[col.name].cast(col.dtype)
        elif col.name == "queued" and "answered_at" in t.columns:
            # METRICS: a contact entered a queue when it was answered or waited
            wait = t["wait_s"].cast("float64") if "wait_s" in t.columns else ibis.literal(0.0)
            cols[col.name] = t["answered_at"].notnull() | (wait.fill_null(0) > 0)
        elif col.default is not None:
            cols[col.name] = ibis.literal(col.default, type=col.dtype)
        else:
            cols[col.name] = ibis.null(col.dtype)
    return t.select(**cols)


def fold_legs(legs: ir.Table) -> ir.Table:
    """Fold leg-grain rows into contacts (METRICS.md boundary rules).

    ``arrived_at`` = first leg start, ``ended_at`` = last leg end (null when a leg starting last
    has no end: the contact is still open, :func:`_last_leg_end`), ``transfers`` = legs - 1
    (plus the legs' ``transfers_out``: transfers to outside the export, which leave no leg),
    durations and ``auth_attempts`` summed, ``queue``/``channel``/``direction``/``entry_point``
    = first leg's, ``agent_id``/``team``/reason = final leg's. ``outcome`` is ``handled`` when
    any leg was handled by an agent (the agent's work happened), else the final leg's.

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> legs = canonical_memtable("legs", [
    ...   {"contact_id": "c1", "leg_seq": 1, "arrived_at": "2026-03-01 09:00", "ended_at": "2026-03-01 09:05",
    ...    "queue": "A", "agent_id": "a1", "talk_s": 200.0, "outcome": "handled"},
    ...   {"contact_id": "c1", "leg_seq": 2, "arrived_at": "2026-03-01 09:05", "ended_at": "2026-03-01 09:12",
    ...    "queue": "B", "agent_id": "b7", "talk_s": 300.0, "outcome": "handled"}])
    >>> r = fold_legs(legs).execute()
    >>> r.transfers[0], r.queue[0], r.agent_id[0], r.talk_s[0]
    (np.int64(1), 'A', 'b7', np.float64(500.0))

    A leg without a contact id belongs to no other leg: it is a contact of its own (readiness
    counts such legs), as a row of a contact-grain export without an id is. Grouped together,
    the id-less legs of an export were one contact with a transfer per leg.
    """
    with_id = legs.contact_id.notnull()
    return conform("contacts", fold_groups(legs.filter(with_id), legs.filter(~with_id), ["contact_id"],
                                           _fold_aggregates, _one_leg))


def leg_links(legs: ir.Table) -> ir.Table:
    """The contact of each leg named by an id of its own (``leg_id``): one row per such id,
    ``_leg`` (the leg's id) and ``_contact`` (its contact's), for :func:`linked_through_legs`.

    An export of legs that gives each leg an id (Amazon Connect: a transfer leg's ContactId, its
    contact's InitialContactId) is named by a leg's id wherever another system met the contact:
    a CRM case opened during the leg after a transfer stores that leg's id. Only ids that are
    not a contact's are looked up: a leg whose id is its contact's (a first leg) needs none, an
    id that is also a contact's names that contact, and an id that legs of two contacts share
    names neither (it stays as written).

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> legs = canonical_memtable("legs", [
    ...   {"contact_id": "c1", "leg_id": "c1", "leg_seq": 1, "arrived_at": "2026-03-01 09:00"},
    ...   {"contact_id": "c1", "leg_id": "l2", "leg_seq": 2, "arrived_at": "2026-03-01 09:05"}])
    >>> leg_links(legs).execute().values.tolist()
    [['l2', 'c1']]
    """
    t = legs.filter(legs.leg_id.notnull() & legs.contact_id.notnull() & (legs.leg_id != legs.contact_id))
    per_leg = t.group_by(_leg=t.leg_id).aggregate(_contact=t.contact_id.min(), _contacts=t.contact_id.nunique())
    contact_ids = legs.filter(legs.contact_id.notnull()).contact_id
    return per_leg.filter((per_leg._contacts == 1) & ~per_leg._leg.isin(contact_ids)).select("_leg", "_contact")


def linked_through_legs(t: ir.Table, links: ir.Table) -> ir.Table:
    """``t`` (surveys, QA evaluations or cases) with a ``contact_id`` naming a leg read as that
    leg's contact (:func:`leg_links`); any other id stays as written, so a row naming neither a
    contact nor a leg is still an orphan (METRICS.md).

    Examples
    --------
    >>> import ibis
    >>> links = ibis.memtable({"_leg": ["l2"], "_contact": ["c1"]})
    >>> cases = ibis.memtable({"case_id": ["k1", "k2", "k3"], "contact_id": ["l2", "c1", "x9"]})
    >>> linked_through_legs(cases, links).order_by("case_id").execute().contact_id.tolist()
    ['c1', 'c1', 'x9']
    """
    j = t.left_join(links, t.contact_id == links._leg)
    return j.select(*[ibis.coalesce(j._contact, j.contact_id).name(c) if c == "contact_id" else j[c]
                      for c in t.columns])


#: prefix of the clipped duration sums :func:`fold_legs_twice` carries beside the raw ones
CLIPPED = "cx_clipped_"


def fold_legs_twice(legs: ir.Table, *, stage: Callable[[ir.Table], ir.Table] | None = None) -> ir.Table:
    """One grouping of the legs for both folds a session needs: :func:`fold_legs`'s columns
    (the contacts as loaded, for readiness) and, as ``cx_clipped_<duration>``, each duration
    summed with a negative leg read as zero (the feed, METRICS.md). :func:`folded` picks one.

    On a large export the grouping is the cost: ten first-or-last-leg picks and a dozen sums
    per contact. Most contacts have one leg, and a contact of one leg is its leg: only the
    contacts with several legs are grouped; the others, and each leg without a contact id (a
    contact of its own, :func:`fold_legs`), are each leg's values, the same values the grouping
    gives for one row (:func:`cxkit.grouping.fold_groups`). At 10 million contacts (9% with
    several legs) this took 13 s instead of 33 s, with identical rows (tested against the grouping).
    ``stage`` computes the keys of the contacts of several legs once
    (:func:`cxkit.grouping.split_by_group_size`).
    """
    several, alone = split_by_group_size(legs, ["contact_id"], null_keys_alone=True, stage=stage)
    return fold_groups(
        several,
        alone,
        ["contact_id"],
        lambda t: _fold_aggregates(t, clipped_too=True),
        lambda t: _one_leg(t, clipped_too=True),
    )


def _one_leg(leg: ir.Table, *, clipped_too: bool = False) -> dict[str, Any]:
    """What :func:`_fold_aggregates` gives for a contact of one leg, column by column: the
    leg's own values (``transfers`` = its transfers out; ``outcome`` = its outcome)."""
    out: dict[str, Any] = {name: leg[name] for name in _fold_aggregates(leg) if name != "transfers"}
    out["transfers"] = leg.transfers_out.fill_null(0)
    for name in _DURATION_COLUMNS if clipped_too else ():
        out[CLIPPED + name] = _clipped(leg[name])
    return out


def folded(both: ir.Table, *, clipped: bool) -> ir.Table:
    """The contacts of :func:`fold_legs_twice`: as loaded, or with negative leg durations read
    as zero before summing (``clip_negative_durations`` then ``fold_legs``)."""
    if clipped:
        both = both.mutate(**{name: both[CLIPPED + name] for name in _DURATION_COLUMNS})
    return conform("contacts", both)


def _fold_aggregates(legs: ir.Table, *, clipped_too: bool = False) -> dict[str, Any]:
    """The aggregates of :func:`fold_legs`; with ``clipped_too``, also each duration summed
    with a negative leg read as zero (``cx_clipped_<duration>``)."""
    first = legs.leg_seq
    aggs: dict[str, Any] = {
        # the customer of the first leg that names one: a later leg may name another party (an
        # agent's consult call to a partner line, in Amazon Connect an EXTERNAL_OUTBOUND record of
        # the contact), and the largest id took that party's number, making the callers who
        # reached it one customer and each other's repeats
        "customer_id": legs.customer_id.argmin(first, where=legs.customer_id.notnull()),
        "channel": legs.channel.argmin(first),
        "direction": legs.direction.argmin(first),
        "arrived_at": legs.arrived_at.min(),
        "answered_at": legs.answered_at.min(),
        "ended_at": _last_leg_end(legs),
        "outcome": ibis.ifelse((legs.outcome == "handled").any(), "handled", legs.outcome.argmax(first)),
        "queued": legs.queued.any(),
        # a transfer out of the platform leaves no leg of its own: the leg that made it says so
        "transfers": legs.count() - 1 + legs.transfers_out.fill_null(0).sum(),
        "auth_attempts": legs.auth_attempts.sum(),
        "contact_reason": legs.contact_reason.argmax(first),
        "reason_family": legs.reason_family.argmax(first),
        "queue": legs.queue.argmin(first),
        "agent_id": legs.agent_id.argmax(first),
        "team": legs.team.argmax(first),
        "entry_point": legs.entry_point.argmin(first),
        "callback_scheduled": legs.callback_scheduled.any(),
        "case_id": legs.case_id.max(),
        "notes": legs.notes.argmax(first),
    }
    for name in _DURATION_COLUMNS:
        aggs[name] = legs[name].sum()
    for name in _DURATION_COLUMNS if clipped_too else ():
        aggs[CLIPPED + name] = _clipped(legs[name]).sum()
    return aggs


def _last_leg_end(legs: ir.Table) -> ir.Value:
    """A contact's end (METRICS.md: the last leg's end): the latest end of its legs, or null
    (not measured) when a leg starting last (at the latest ``arrived_at`` of its legs; of two
    starting then, either) has no end. That leg is still running when the data was exported (a
    call transferred to a second agent who is still talking), or its end is missing: the latest
    end of the earlier legs dated the contact as ended at the transfer. Without an end it is read
    as open (:func:`cxkit.resolution.open_since`) or as an end missing, as any contact without
    one. An earlier leg without an end followed by a leg that ended (a hole in the data), or a
    leg without a start, leaves the end the latest end; so does a consult leg that ends inside
    a longer leg. Two maxima in the grouping's one pass: no window, no second pass over the legs.
    """
    open_start = legs.arrived_at.max(where=legs.ended_at.isnull())
    return ibis.ifelse(open_start >= legs.arrived_at.max(), ibis.null(legs.ended_at.type()), legs.ended_at.max())


def clip_negative_durations(t: ir.Table) -> ir.Table:
    """Negative durations are export errors: readiness reports them, diagnostics read them as 0.

    A null (not measured, or a value that did not parse) stays null: ``greatest(x, 0)`` would
    turn it into 0 on DuckDB.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"hold_s": [-30.0, 60.0, None]})
    >>> clip_negative_durations(t).execute()["hold_s"].tolist()
    [0.0, 60.0, nan]
    """
    present = [c for c in _DURATION_COLUMNS if c in t.columns]
    return t.mutate(**{c: _clipped(t[c]) for c in present})


def _clipped(x: ir.NumericValue) -> ir.NumericValue:
    """A duration with a negative value read as zero; null stays null."""
    return ibis.ifelse(x < 0, 0.0, x.cast("float64"))


def mapped_columns(report: LoadReport, table: str) -> set[str]:
    """Canonical columns of ``table`` the source provides: mapped by the adapter, or derived
    from mapped ones (``transfers`` folded from leg-grain rows; ``queued`` from answer times)."""
    mapped = set(report.mapped)
    if table == "contacts" and report.grain == "leg":
        mapped.add("transfers")
    if "queued" not in mapped and "answered_at" in mapped:
        mapped.add("queued")  # conform derives it (METRICS: answered or waited)
    return mapped
