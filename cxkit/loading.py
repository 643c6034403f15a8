"""From raw exports to canonical tables, lazily, in the engine.

A source (a file, a glob or a backend table) is read as it is; the adapter mapping then becomes
one SQL ``SELECT`` over it (exclusion rules, de-duplication of re-delivered records, column
expressions, value maps, timestamp parsing and timezone conversion), and leg-grain sources are
folded into contacts per METRICS.md. Nothing here pulls rows into pandas: the result is an
ibis table the diagnostics compose further.
"""

from __future__ import annotations

import difflib
import glob as _glob
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import sqlglot
from sqlglot import exp

from cxkit.config import ColumnMapping, Engagement, SourceConfig, _format_from_suffix
from cxkit.connection import Dialect, dialect_for
from cxkit.errors import SourceError
from cxkit.pseudonyms import pseudonym_sql
from cxkit.schema import TABLES, Column, table_spec

__all__ = ["LoadReport", "load_source", "read_raw", "fold_legs", "conform", "mapped_columns"]

_DURATION_COLUMNS = ("ivr_s", "wait_s", "talk_s", "hold_s", "acw_s")


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

    def counts(self) -> dict[str, Any]:
        """Row counts through the pipeline (a few aggregate queries in the engine)."""
        name = self.raw.get_name()
        raw_rows = int(self.raw.count().execute())
        excluded = {
            rule.reason: int(
                self.raw.sql(f"SELECT * FROM {name} WHERE COALESCE(({rule.when}), FALSE)", dialect="duckdb")
                .count()
                .execute()
            )
            for rule in self.source.exclude
        }
        kept = self.after_exclusions
        kept_rows = int(kept.count().execute())
        distinct_rows = int(kept.distinct().count().execute())
        out: dict[str, Any] = {
            "rows_read": raw_rows,
            "rows_excluded": excluded,
            "exact_duplicates": kept_rows - distinct_rows,
            "superseded_versions": 0,
        }
        if self.source.dedup is not None and self.source.dedup.newest_by:
            keys = [kept[k] for k in self.source.dedup.key]
            out["superseded_versions"] = distinct_rows - int(kept.select(*keys).distinct().count().execute())
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


def _source_paths(engagement: Engagement, src: SourceConfig, table: str) -> list[str]:
    assert src.path is not None
    pattern = str(engagement.resolve(src.path))
    paths = sorted(_glob.glob(pattern))
    if not paths:
        raise SourceError(
            f"sources.{table}.path: no file matches {pattern!r}. Check the path; relative paths start at "
            f"the engagement folder {engagement.base_dir}."
        )
    for p in paths:
        if Path(p).stat().st_size == 0:
            raise SourceError(f"{p}: the file is empty (0 bytes); re-export it or remove it from sources.{table}.path.")
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
    reader = getattr(con, _READERS[fmt])
    try:
        if d.reads_file_lists or len(paths) == 1:
            raw = reader(paths if d.reads_file_lists else paths[0], table_name=name, **options)
        else:
            parts = [reader(p, table_name=f"{name}_{i}", **options) for i, p in enumerate(paths)]
            raw = ibis.union(*parts)
        columns = raw.columns
    except SourceError:
        raise
    except Exception as exc:
        raise SourceError(_explain_read_error(origin, table, fmt, exc)) from exc
    if len(columns) == 0:
        raise SourceError(f"{origin}: no columns were found; the file looks empty. Re-export it with a header row.")
    return raw, origin, fmt


def _explain_read_error(origin: str, table: str, fmt: str | None, exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    low = str(exc).lower()
    if "unicode" in low or "utf-8" in low or "encoding" in low:
        fix = f"the file is not UTF-8; set sources.{table}.read_options.encoding (e.g. 'latin-1') or re-export as UTF-8"
    elif "no files found" in low:
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


def _check_header(origin: str, table: str, src: SourceConfig, raw_columns: list[str]) -> None:
    """Every raw column the mapping needs must exist; one message lists every miss with a guess."""
    if len(raw_columns) == 1 and any(d in raw_columns[0] for d in ("\t", ";", "|", ",")):
        raise SourceError(
            f"{origin}: the header was read as ONE column ({raw_columns[0][:80]!r}): the delimiter is "
            f"probably wrong. Fix: set sources.{table}.read_options.delim (e.g. '\\t', ';' or '|'); the "
            f"mapping keys sources.{table}.columns.* cannot match until it is."
        )
    present = {c.lower(): c for c in raw_columns}
    problems: list[str] = []

    def need(col: str, key: str) -> None:
        if col.lower() not in present:
            guess = _closest(col, list(present.values()))
            hint = f"did you mean {guess[0]!r}?" if guess else "set it to one of the file's columns"
            problems.append(f"{key}: raw column {col!r} not found; {hint}")

    def need_sql(sql: str, key: str) -> None:
        try:
            refs = _referenced_columns(sql)
        except sqlglot.errors.ParseError as exc:
            problems.append(f"{key}: not valid SQL ({str(exc).splitlines()[0]})")
            return
        for col in refs:
            need(col, key)

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
            need(mapping.column, key)
        elif mapping.columns is not None:
            for col in mapping.columns:
                need(col.split(".")[0], key + ".columns")
        elif mapping.sql is not None:
            need_sql(mapping.sql, key + ".sql")
        elif mapping.derive is not None:
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
        for col in _referenced_columns(rule.when):
            need(col, f"sources.{table}.exclude[{i}].when")
    if src.dedup is not None:
        for col in [*src.dedup.key, *([src.dedup.newest_by] if src.dedup.newest_by else [])]:
            need(col, f"sources.{table}.dedup")
    if problems:
        shown = ", ".join(repr(c) for c in raw_columns[:25]) + (" ..." if len(raw_columns) > 25 else "")
        raise SourceError(
            f"{origin}: the header does not match the mapping for '{table}':\n  - "
            + "\n  - ".join(problems)
            + f"\n  Columns in the file: {shown}"
        )


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


def _column_sql(col: Column, mapping: ColumnMapping, src: SourceConfig, default_tz: str, d: Dialect) -> str:
    """DuckDB-dialect SQL producing canonical column ``col`` from its mapping."""
    base = _base_sql(mapping)
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
        if mapping.format == "iso":
            return d.parse_iso(f"NULLIF(CAST({base} AS VARCHAR), '')", tz)
        if mapping.format:
            return d.localize(d.parse_timestamp(f"NULLIF(CAST({base} AS VARCHAR), '')", mapping.format), tz)
        return f"__ts__({base})"  # resolved against the expression's type below
    if dtype == "string":
        return f"NULLIF(CAST({base} AS VARCHAR), '')"
    if dtype == "float64":
        if mapping.unit == "hms":
            text = f"NULLIF(CAST({base} AS VARCHAR), '')"
            return (
                f"(TRY_CAST(split_part({text}, ':', 1) AS DOUBLE) * 3600 + "
                f"TRY_CAST(split_part({text}, ':', 2) AS DOUBLE) * 60 + TRY_CAST(split_part({text}, ':', 3) AS DOUBLE))"
            )
        factor = {"ms": " / 1000.0", "min": " * 60.0"}.get(mapping.unit or "s", "")
        return f"(TRY_CAST(NULLIF(CAST({base} AS VARCHAR), '') AS DOUBLE){factor})"
    if dtype == "int64":
        return f"TRY_CAST(TRY_CAST(NULLIF(CAST({base} AS VARCHAR), '') AS DOUBLE) AS BIGINT)"
    if dtype == "boolean":
        if mapping.values:
            return base
        return f"TRY_CAST(NULLIF(CAST({base} AS VARCHAR), '') AS BOOLEAN)"
    raise AssertionError(f"unhandled canonical type {dtype}")


def load_source(
    con, engagement: Engagement, table: str, *, pseudonym_key_table: str | None = None
) -> tuple[ir.Table, LoadReport, ir.Table | None]:
    """Canonical table ``table`` of ``engagement`` (lazy), its LoadReport, and its legs if leg-grain.

    ``pseudonym_key_table``: the engine table holding the engagement's key
    (:func:`cxkit.pseudonyms.register_key`); ``customer_id`` is then its keyed hash
    (HMAC-SHA256), computed in the engine, so no raw customer identifier reaches a canonical
    table. ``Session`` always passes one; None leaves the identifiers as mapped (tests of a
    mapping only).
    """
    src = engagement.sources[table]
    raw, origin, fmt = read_raw(con, engagement, table, src)
    if src.records is not None:
        raw = _records(raw, origin, table, src.records)
    if fmt in ("json", "jsonl"):
        raw = _json_as_text(raw, table)
    _check_header(origin, table, src, list(raw.columns))
    d = dialect_for(con)
    target = "legs" if (table == "contacts" and src.grain == "leg") else table
    spec = table_spec(target)
    raw_name = f"cx_src_{table}"
    aliased = raw.alias(raw_name)
    tz = src.timezone or engagement.timezone

    where = " AND ".join(f"NOT COALESCE(({r.when}), FALSE)" for r in src.exclude) or "TRUE"
    kept_all_sql = f"SELECT * FROM {raw_name} WHERE {where}"
    if src.dedup is not None and src.dedup.newest_by:
        # one row per key, the newest: exact re-deliveries share the key, so this drops them too
        # (a DISTINCT over every column first would be redundant, and it does not spill: at 11M
        # legs it ran DuckDB out of a 4 GB memory cap that this window alone stays under)
        keys = ", ".join(_quote(k) for k in src.dedup.key)
        kept_sql = (
            f"SELECT * FROM ({kept_all_sql}) QUALIFY row_number() OVER "
            f"(PARTITION BY {keys} ORDER BY {_quote(src.dedup.newest_by)} DESC) = 1"
        )
    else:
        kept_sql = f"SELECT DISTINCT * FROM {raw_name} WHERE {where}"
    # nested lists become rows after de-duplication (a re-delivered record is dropped whole)
    rows_sql = _unnested(kept_sql, src)
    group = f" GROUP BY {', '.join(src.group_by)}" if src.group_by else ""
    from_sql = f"FROM ({rows_sql}) AS kept{group}"
    try:
        columns = [(c, src.mapping(c.name)) for c in spec.columns if src.mapping(c.name) is not None]
        direct = [(c, m) for c, m in columns if m.derive is None]
        selects, mapped = [], {}
        for col, mapping in direct:
            mapped[col.name] = _mapped_from(mapping)
            sql = _column_sql(col, mapping, src, engagement.timezone, d)
            if sql.startswith("__ts__("):
                sql = _timestamp_from_native(aliased, sql[len("__ts__(") : -1], tz, d, from_sql)
            if col.name == "customer_id" and pseudonym_key_table is not None:
                sql = pseudonym_sql(sql, pseudonym_key_table, d)
            selects.append(f"{sql} AS {_quote(col.name)}")
        query = f"SELECT {', '.join(selects)} {from_sql}"
        derived = [(c, m) for c, m in columns if m.derive is not None]
        if derived:
            # derived columns read the canonical ones: instants after timezone conversion
            extra = ", ".join(f"CAST(({m.derive}) AS {_SQL_TYPES[c.dtype.split('(')[0]]}) AS {_quote(c.name)}" for c, m in derived)
            query = f"SELECT *, {extra} FROM ({query}) AS mapped"
            mapped.update({c.name: _mapped_from(m) for c, m in derived})
        mapped_table = aliased.sql(query, dialect="duckdb")
        after_exclusions = aliased.sql(kept_all_sql, dialect="duckdb")
    except SourceError:
        raise
    except Exception as exc:
        raise SourceError(
            f"{origin}: the mapping for '{table}' does not run on this data: {str(exc).splitlines()[0]}. "
            f"Check the sql expressions under sources.{table}.columns"
            + (f" and sources.{table}.unnest / group_by" if (src.unnest or src.group_by) else "")
            + "."
        ) from exc
    unmapped = [c.name for c in spec.columns if c.name not in mapped]
    report = LoadReport(table, origin, fmt, src.grain, list(raw.columns), mapped, unmapped, src, aliased, after_exclusions)
    if target == "legs":
        legs = conform("legs", _with_leg_seq(mapped_table))
        return fold_legs(legs), report, legs
    return conform(table, mapped_table), report, None


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


def _timestamp_from_native(raw: ir.Table, expr: str, tz: str, d: Dialect, from_sql: str) -> str:
    """A timestamp mapping without a format: native timestamps pass, text is read as ISO 8601."""
    probe = raw.sql(f"SELECT {expr} AS v {from_sql}", dialect="duckdb")
    vtype = probe.schema()["v"]
    if vtype.is_timestamp():
        return f"CAST({expr} AS TIMESTAMPTZ)" if vtype.timezone else d.localize(expr, tz)
    if vtype.is_date():
        return d.localize(f"CAST({expr} AS TIMESTAMP)", tz)
    return d.parse_iso(f"NULLIF(CAST({expr} AS VARCHAR), '')", tz)


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

    ``arrived_at`` = first leg start, ``ended_at`` = last leg end, ``transfers`` = legs - 1
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
    """
    first = legs.leg_seq
    aggs: dict[str, Any] = {
        "customer_id": legs.customer_id.max(),
        "channel": legs.channel.argmin(first),
        "direction": legs.direction.argmin(first),
        "arrived_at": legs.arrived_at.min(),
        "answered_at": legs.answered_at.min(),
        "ended_at": legs.ended_at.max(),
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
    return conform("contacts", legs.group_by("contact_id").aggregate(**aggs))


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
    return t.mutate(**{c: ibis.ifelse(t[c] < 0, 0.0, t[c].cast("float64")) for c in present})


def mapped_columns(report: LoadReport, table: str) -> set[str]:
    """Canonical columns of ``table`` the source provides: mapped by the adapter, or derived
    from mapped ones (``transfers`` folded from leg-grain rows; ``queued`` from answer times)."""
    mapped = set(report.mapped)
    if table == "contacts" and report.grain == "leg":
        mapped.add("transfers")
    if "queued" not in mapped and "answered_at" in mapped:
        mapped.add("queued")  # conform derives it (METRICS: answered or waited)
    return mapped
