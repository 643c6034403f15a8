"""The engine: the only module that knows which backends exist.

Everything else receives an ibis backend (or tables from it). DuckDB, embedded and in memory,
is the default; a DuckDB file per engagement keeps canonical tables between sessions; any
other ibis URL (``pyspark://``, ``postgres://``, ...) selects that backend unchanged.

The loader writes its generated SQL in DuckDB's dialect and lets ibis/sqlglot transpile it. A
few operations have no portable SQL spelling (parsing text timestamps without failing on a bad
value, reading a naive local time in a named timezone); the dialect registry below gives each
backend's spelling, so adding a backend is one entry, not an ``if`` in the loader.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

from cxkit.errors import CxkitError

__all__ = ["connect", "default_memory_limit", "memory_limit_bytes", "MEMORY_SIZE", "Dialect", "dialect_for",
           "DIALECTS", "has_exact_median"]


@dataclass(frozen=True)
class Dialect:
    """SQL spellings (DuckDB-dialect text, as Table.sql reads it) of non-portable operations."""

    #: text -> naive timestamp with a strptime format; null (not an error) when it does not parse
    parse_timestamp: Callable[[str, str], str]
    #: naive local timestamp read in timezone ``tz`` -> UTC instant; ``(expr, tz, period)``,
    #: where ``period`` (first and last local day, or None) says around which days the values
    #: mostly lie: a backend may prepare the zone's offsets there (DuckDB and Spark do)
    localize: Callable[..., str]
    #: text in ISO 8601, with or without an offset -> UTC instant (naive text read in ``tz``);
    #: ``(expr, tz, period)`` as for ``localize``
    parse_iso: Callable[..., str]
    #: reader options per file format (``csv``, ``json``, ``jsonl``, ``parquet``) passed to the
    #: backend's ``read_csv`` / ``read_json`` / ``read_parquet``; a source's ``read_options`` win.
    #: CSV columns must come in as text (ids keep their leading zeros; the mapping types them).
    read_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: whether the backend's readers take a list of files; if not, files are read one by one
    #: and unioned
    reads_file_lists: bool = True
    #: whether ibis ``median()`` is exact there and equals the mean of the two middle values
    #: (DuckDB ``quantile_cont``, Spark ``percentile``); otherwise medians use window functions
    exact_median: bool = False
    #: whether ``create_table(..., temp=True)`` works; if not, small session-scoped tables
    #: (the pseudonym key) are temporary views
    temp_tables: bool = True
    #: microseconds since 1970-01-01 00:00 UTC (BIGINT) -> that instant (epoch times: ``unit: s|ms``)
    from_epoch_us: Callable[[str], str] = lambda expr: f"make_timestamptz({expr})"
    #: binary value -> lowercase hex SHA-256 (the keyed pseudonyms of cxkit.pseudonyms)
    sha256_hex: Callable[[str], str] = lambda expr: f"sha256({expr})"
    #: quoted column names -> a 64-bit hash of the row's values (exact-duplicate counting
    #: compares only rows whose hashes collide); None: the engine has none, DISTINCT is used
    row_hash: Callable[[list[str]], str] | None = None


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


#: ISO 8601 text that states its instant: a time of day, then (after an optional space) Z, UTC,
#: GMT or an offset of hours (``+00``, ``-05``) or hours and minutes (``-0500``, ``+05:30``), as
#: databases and vendors write it (PostgreSQL ``+00``, BigQuery `` UTC``). A date alone
#: ("2026-03-05" ends in "-05") is no offset.
_ZONED_ISO = r"[0-9]:[0-9][0-9](:[0-9][0-9]([.,][0-9]+)?)? ?([Zz]|UTC|GMT|[+-][0-9][0-9](:?[0-9][0-9])?)$"


def _iso(expr: str, zoned: Callable[[str], str], local: Callable[[str], str]) -> str:
    """ISO 8601 text to an instant: text stating its zone is that instant (a space before an
    offset dropped); a wall-clock time (ending in a digit) is read in the source's timezone;
    anything else (a zone abbreviation such as "EST", which names several zones) is unreadable
    and counted, never a wall-clock time read in the wrong zone.

    >>> import duckdb
    >>> sql = _DUCKDB.parse_iso("v", "America/New_York")
    >>> values = ["2026-03-05 15:04:22+00", "2026-03-05 10:04:22-05", "2026-03-05 15:04:22 UTC",
    ...           "2026-03-05 10:04:22 -0500", "2026-03-05T10:04:22.5-05:00", "2026-03-05 10:04:22",
    ...           "2026-03-05", "2026-03-05 10:04:22 EST"]
    >>> rel = duckdb.sql(f"SELECT strftime({sql} AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') AS utc "
    ...                  f"FROM (SELECT unnest({values!r}) AS v)")
    >>> for r in rel.fetchall():
    ...     print(r[0])
    2026-03-05 15:04:22
    2026-03-05 15:04:22
    2026-03-05 15:04:22
    2026-03-05 15:04:22
    2026-03-05 15:04:22
    2026-03-05 15:04:22
    2026-03-05 05:00:00
    None
    """
    text = f"CAST({expr} AS VARCHAR)"
    stated = f"replace(replace({text}, ' +', '+'), ' -', '-')"  # no backreference: Spark spells it $1
    return (f"CASE WHEN regexp_matches({text}, '{_ZONED_ISO}') THEN {zoned(stated)} "
            f"WHEN regexp_matches({text}, '[0-9]$') THEN {local(text)} END")


_DUCKDB = Dialect(
    parse_timestamp=lambda expr, fmt: f"TRY_STRPTIME(CAST({expr} AS VARCHAR), {_q(fmt)})",
    localize=lambda expr, tz, period=None: _duckdb_local_to_utc(f"CAST({expr} AS TIMESTAMP)", tz, period),
    parse_iso=lambda expr, tz, period=None: _iso(
        expr, lambda text: f"TRY_CAST({text} AS TIMESTAMPTZ)",
        lambda text: _duckdb_local_to_utc(f"TRY_CAST({text} AS TIMESTAMP)", tz, period)),
    # JSON has no timestamp type: DuckDB's reader would turn ISO text into naive timestamps
    # (an offset is applied, then dropped), and the mapping could no longer tell UTC text
    # from local text. A format that never matches keeps such values as text.
    read_options={
        "csv": {"all_varchar": True, "header": True},
        "json": {"timestampformat": "%%", "dateformat": "%%"},
        "jsonl": {"format": "newline_delimited", "timestampformat": "%%", "dateformat": "%%"},
    },
    exact_median=True,
    row_hash=lambda cols: f"hash({', '.join(cols)})",
)

# Spark SQL spellings (Spark >= 3.5: try_to_timestamp), still read as DuckDB-dialect text, so
# sqlglot carries them through; the rest of the generated SQL transpiles. They rely on the
# session timezone being UTC (``connect`` sets it): a naive time's microseconds are its wall
# clock, and text with an offset parses straight to its instant.
_SPARK = Dialect(
    parse_timestamp=lambda expr, fmt: f"try_to_timestamp(CAST({expr} AS VARCHAR), {_q(_strptime_to_java(fmt))})",
    localize=lambda expr, tz, period=None: _spark_local_to_utc(expr, tz, period),
    parse_iso=lambda expr, tz, period=None: _iso(
        expr, lambda text: f"try_to_timestamp({text})",
        lambda text: _spark_local_to_utc(f"try_to_timestamp({text})", tz, period)),
    # inferSchema off = every CSV column is a string; json = one document (array) per file
    read_options={"csv": {"inferSchema": False, "header": True}, "json": {"multiLine": True}},
    reads_file_lists=False,
    exact_median=True,
    temp_tables=False,
    from_epoch_us=lambda expr: f"timestamp_micros({expr})",
    sha256_hex=lambda expr: f"sha2({expr}, 256)",
    row_hash=lambda cols: f"xxhash64({', '.join(cols)})",
)

DIALECTS: dict[str, Dialect] = {"duckdb": _DUCKDB, "pyspark": _SPARK}


# ---- local wall-clock times to instants, on DuckDB and Spark

#: days either side of the engagement's period over which the zone's offsets are written out;
#: a local time further out is read by the engine's own zone rules (ICU; Java's on Spark)
_OFFSETS_MARGIN_DAYS = 400


def _duckdb_local_to_utc(local: str, tz: str, period: tuple[date, date] | None) -> str:
    """DuckDB SQL for the instant at which the clocks of ``tz`` show ``local`` (a TIMESTAMP).

    Local times within :data:`_OFFSETS_MARGIN_DAYS` of the period are read by the pinned zone
    database (:func:`cxkit.zones.zone`), the one the rest of cxkit uses for the period's bounds,
    local days and hours: the wall clock's microseconds less the offset in force, found by a
    few integer comparisons. A time the clocks skip, or show twice, is read as the later of its
    two possible instants (as ICU reads it). DuckDB's ``timezone(tz, local)`` would ask ICU's
    calendar for every value instead: about 1 s per 10 million values on 2 threads (three
    times over for a leg export), and by ICU's own copy of the zone rules, which can lag the
    pinned database (DuckDB 1.5.6 against tzdata 2026f: Winnipeg and Havana from November
    2026). Times further from the period, and every time of a zone the database does not
    hold, are left to ICU.
    """
    return _local_to_utc(local, tz, period, f"timezone({_q(tz)}, {local})", "epoch_us", "make_timestamptz")


def _spark_local_to_utc(local: str, tz: str, period: tuple[date, date] | None) -> str:
    """Spark SQL (as DuckDB-dialect text) for the instant at which the clocks of ``tz`` show
    ``local``: as on DuckDB (:func:`_duckdb_local_to_utc`), so both engines read a local time
    alike. Spark's own ``to_utc_timestamp`` reads by Java's copy of the zone rules, and takes a
    time the clocks show twice as its first occurrence where ICU takes the second; it is left
    to the times far from the period."""
    return _local_to_utc(local, tz, period, f"to_utc_timestamp({local}, {_q(tz)})", "unix_micros", "timestamp_micros")


def _local_to_utc(local: str, tz: str, period: tuple[date, date] | None, engine: str, micros: str, instant: str) -> str:
    """``local`` less the offset of the segment (:func:`_wall_clock_offsets` around ``period``)
    its wall-clock microseconds fall in, else the engine's own reading ``engine``. ``micros``:
    the engine's function from a naive time to its wall-clock microseconds; ``instant``: from
    microseconds since the epoch to an instant."""
    from cxkit.config import EARLIEST_DAY, LATEST_DAY  # config reads this module

    us = f"{micros}({local})"
    # a time outside the days a period may have (1900-2199) is a sentinel (.NET's 0001-01-01,
    # an open end's 9999-12-31), unreadable: null and counted, never a date pandas cannot hold
    lo, hi = ((day - date(1970, 1, 1)).days * 86_400_000_000 for day in (EARLIEST_DAY, LATEST_DAY + timedelta(days=1)))
    engine = f"CASE WHEN {us} >= {lo} AND {us} < {hi} THEN {engine} END"
    prepared = _wall_clock_offsets(tz, *period) if period is not None else None
    if prepared is None:
        return engine
    starts, offsets, end = prepared  # segment i covers starts[i] up to the next start, the last up to end

    def offset(lo: int, hi: int) -> str:  # segments lo..hi-1, by halving: log2(n) comparisons
        if hi - lo == 1:
            return str(offsets[lo])
        mid = (lo + hi) // 2
        return f"CASE WHEN {us} < {starts[mid]} THEN {offset(lo, mid)} ELSE {offset(mid, hi)} END"

    return (f"CASE WHEN {us} >= {starts[0]} AND {us} < {end} "
            f"THEN {instant}({us} - ({offset(0, len(offsets))})) ELSE {engine} END")


@lru_cache(maxsize=64)
def _wall_clock_offsets(tz: str, first: date, last: date) -> tuple[tuple[int, ...], tuple[int, ...], int] | None:
    """The offsets of ``tz`` by wall-clock time from ``first`` to ``last`` (local days) plus
    the margin: ``(starts, offsets, end)`` in microseconds, or None for a zone the pinned
    database does not hold.

    The zone's changes are found by a scan every three hours and a bisection to the second (no
    zone changes twice within three hours). A change from offset ``a`` to ``b`` at instant ``T``
    skips the wall-clock times from ``T + a`` to ``T + b`` (clocks forward) or shows those from
    ``T + b`` to ``T + a`` twice (clocks back); either way the times from ``T + b`` on take
    ``b``, which reads a skipped time with the offset before the change and a repeated one as
    its second occurrence: the later instant, as ICU does.
    """
    from zoneinfo import ZoneInfoNotFoundError

    from cxkit.zones import zone

    try:
        tzinfo = zone(tz)
    except ZoneInfoNotFoundError:  # the engagement's error, reported where it is read
        return None
    lo_day, hi_day = first - timedelta(days=_OFFSETS_MARGIN_DAYS), last + timedelta(days=_OFFSETS_MARGIN_DAYS + 1)
    epoch = datetime(1970, 1, 1)
    lo = int((datetime.combine(lo_day, datetime.min.time()) - epoch).total_seconds())
    hi = int((datetime.combine(hi_day, datetime.min.time()) - epoch).total_seconds())

    def utc_offset(t: int) -> int:
        return int(datetime.fromtimestamp(t, tzinfo).utcoffset().total_seconds())

    # scanned from two days before the first local midnight (no zone is a day from UTC) to
    # two days after the last
    step, us = 3 * 3600, 1_000_000
    t, before = lo - 2 * 86400, utc_offset(lo - 2 * 86400)
    starts, offsets = [lo * us], [before * us]
    while t < hi + 2 * 86400:
        after = utc_offset(t + step)
        if after != before:
            a, b = t, t + step
            while b - a > 1:
                m = (a + b) // 2
                a, b = (m, b) if utc_offset(m) == before else (a, m)
            starts.append((b + after) * us)  # the first wall-clock time read with the new offset
            offsets.append(after * us)
        t, before = t + step, after
    # segments that start before the span's first time or after its last are dropped
    while len(starts) > 1 and starts[1] <= lo * us:
        starts.pop(0)
        offsets.pop(0)
    starts[0] = lo * us
    while starts[-1] >= hi * us:
        starts.pop()
        offsets.pop()
    if any(b <= a for a, b in pairwise(starts)):  # changes closer than their own size
        return None
    return tuple(starts), tuple(offsets), hi * us


def _strptime_to_java(fmt: str) -> str:
    table = {"%Y": "yyyy", "%y": "yy", "%m": "MM", "%d": "dd", "%H": "HH", "%I": "hh", "%M": "mm", "%S": "ss",
             "%f": "SSSSSS", "%p": "a", "%b": "MMM", "%B": "MMMM", "%z": "[XXX][XX][X]"}
    for key, value in table.items():
        fmt = fmt.replace(key, value)
    return fmt


def dialect_for(backend) -> Dialect:
    """The dialect entry of ``backend`` (an ibis backend)."""
    try:
        return DIALECTS[backend.name]
    except KeyError:
        raise CxkitError(
            f"backend {backend.name!r} has no cxkit dialect entry (timestamp parsing and timezones); "
            f"supported: {', '.join(DIALECTS)}. Add one to cxkit.connection.DIALECTS."
        ) from None


def has_exact_median(expr) -> bool:
    """Whether medians over ``expr`` can use its engine's median aggregate (exact there).

    The engine is the backend ``expr``'s tables are bound to (ibis's default backend for
    in-memory tables) and its :class:`Dialect` entry says whether that aggregate is exact. An
    expression over unbound tables may be compiled for any engine: False.

    Examples
    --------
    >>> import ibis
    >>> has_exact_median(ibis.memtable({"x": [1.0]})), has_exact_median(ibis.table({"x": "float64"}))
    (True, False)
    """
    import ibis

    backends, unbound = expr._find_backends()
    if unbound or len(backends) > 1:
        return False
    backend = backends[0] if backends else ibis.get_backend()
    entry = DIALECTS.get(backend.name)
    return bool(entry is not None and entry.exact_median)


def _connect_spark(url: str):
    """An ibis backend on a SparkSession built from ``url``'s query string.

    ``pyspark://?spark.master=spark://host:7077&spark.executor.memory=8g`` gives every key to
    ``SparkSession.builder`` before the session starts, so settings Spark fixes at start-up
    (master, memory, UI, Java options) take effect; ibis's own ``pyspark://`` URL sets them on
    the running session, where Spark refuses them. The URL's path, if any, is the warehouse
    directory (as in ibis). A session already running in this process is reused as it is.
    """
    from urllib.parse import parse_qsl, urlparse

    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise CxkitError(
            f"backend.url {url!r} needs PySpark, which is not installed. Fix: "
            "pip install -c constraints.txt -e '.[spark]' (and Java 17 on the machine)."
        ) from None
    parsed = urlparse(url)
    builder = SparkSession.builder
    for key, value in parse_qsl(parsed.query):
        builder = builder.config(key, value)
    if warehouse := parsed.path[1:]:
        builder = builder.config("spark.sql.warehouse.dir", str(Path(warehouse).absolute()))
    return _checkpointing_spark_backend().connect(builder.getOrCreate())


def _checkpointing_spark_backend():
    """ibis's PySpark backend, except that a cached table (``Table.cache()``: the canonical
    tables, shared intermediates) is checkpointed: computed once and cut from its lineage.

    Spark's own cache keeps the lineage, so every later query re-analyses and re-optimises the
    whole loading plan under each cached table before swapping the cached data in; on the
    engine-comparison test engagement that planning was most of the driver's time (3-4x less
    CPU per result with checkpoints). The checkpoint is reliable (``checkpoint``) when the
    session has a checkpoint directory (``spark.checkpoint.dir``, on a cluster: shared storage),
    else local to the executors (``localCheckpoint``).
    """
    import ibis
    from ibis.backends.pyspark import Backend

    ibis.pyspark  # noqa: B018 (loading the backend through ibis registers ibis.options.pyspark)

    class CheckpointingBackend(Backend):
        def _create_cached_table(self, name, expr):
            self._register_in_memory_tables(expr)  # tables given as data (prices, value maps)
            df = self._session.sql(self.compile(expr))
            try:
                reliable = self._session.sparkContext.getCheckpointDir() is not None
            except Exception:  # Spark Connect sessions have no SparkContext
                reliable = False
            df = df.checkpoint(eager=True) if reliable else df.localCheckpoint(eager=True)
            df.createTempView(name)
            self._cached_dataframes[name] = df
            return self.table(name)

    return CheckpointingBackend()


#: microseconds in one interval unit of fixed length in UTC (ibis ``IntervalUnit.short``);
#: years, quarters and months have no fixed length and keep DuckDB's calendar arithmetic
_FIXED_MICROS = {"W": 7 * 86_400_000_000, "D": 86_400_000_000, "h": 3_600_000_000, "m": 60_000_000,
                 "s": 1_000_000, "ms": 1_000, "us": 1}


def _duckdb_compiler():
    """ibis's DuckDB compiler with two changes that keep every value and cost less time.

    **Common subqueries that only project and filter are inlined.** ibis writes a subquery that
    a query uses twice as a common table expression, and DuckDB (since 1.3) materialises such an
    expression: the whole result held in memory, spilled when it does not fit. For a projection
    of a stored table (the canonical types restated over the mapped legs, the pairing's keys)
    that copy costs more than reading the columns again: folding 11 million legs took 27 s with
    the copy and 14 s without. They are marked ``NOT MATERIALIZED``. A subquery that groups,
    sorts into windows, joins or de-duplicates is left to DuckDB: recomputing it could cost more
    than keeping it, and a random draw must be the same for every use.

    **Instants are computed on their microseconds, not through a calendar.** ibis writes seconds
    since the epoch as ``EPOCH(CAST(t AS TIMESTAMP))``, and ``t + INTERVAL``, ``t - INTERVAL``
    and ``date_trunc`` on a timestamp with a time zone as they stand; DuckDB runs all four
    through its ICU time-zone calendar, about 1-1.5 s per 11 million values each. The session
    computes in UTC (:func:`connect`), where a week, a day, an hour or a second always has the
    same number of microseconds, so these are written on ``epoch_us`` instead, in integers:
    ``epoch_us(t) / 1000000`` (the same double as ``EPOCH(CAST(t AS TIMESTAMP))``) and
    ``make_timestamptz`` of the shifted or truncated microseconds. Intervals of months,
    quarters or years, truncation to a week, month or year, and naive timestamps keep ibis's
    spelling. Equality with ibis's spelling is tested (``tests/test_connection.py``).
    """
    import sqlglot.expressions as sge
    from ibis.backends.sql.compilers.duckdb import DuckDBCompiler
    from ibis.expr import operations as ops

    # recomputed per use: what costs (groupings, windows, joins, set operations) and what
    # would differ between uses (a random draw)
    kept = (sge.AggFunc, sge.Window, sge.Join, sge.Union, sge.Intersect, sge.Except, sge.Group, sge.Distinct,
            sge.Rand)

    def cheap(select: sge.Expression) -> bool:
        if not isinstance(select, sge.Select):
            return False
        inner = [node for node in select.find_all(sge.Select, sge.Subquery) if node is not select]
        return not inner and not select.find(*kept)

    def instant(node) -> bool:
        """A timestamp with a time zone: an instant, which DuckDB shifts through ICU."""
        return node.dtype.is_timestamp() and node.dtype.timezone is not None

    def fixed_micros(node) -> int | None:
        """Microseconds of an interval literal of fixed length (None otherwise)."""
        if not isinstance(node, ops.Literal) or not isinstance(node.value, int) or isinstance(node.value, bool):
            return None
        per = _FIXED_MICROS.get(node.dtype.unit.short)
        return None if per is None else node.value * per

    class CxkitDuckDBCompiler(DuckDBCompiler):
        def to_sqlglot(self, expr, *, limit=None, params=None):
            query = super().to_sqlglot(expr, limit=limit, params=params)
            for cte in query.find_all(sge.CTE):
                if cte.args.get("materialized") is None and cheap(cte.this):
                    cte.set("materialized", False)
            return query

        def _from_micros(self, micros):
            return self.f.make_timestamptz(micros)

        def visit_ExtractEpochSeconds(self, op, *, arg):
            if op.arg.dtype.is_timestamp():
                return sge.Div(this=self.f.epoch_us(arg), expression=sge.convert(1_000_000))
            return super().visit_ExtractEpochSeconds(op, arg=arg)

        def visit_TimestampAdd(self, op, *, left, right):
            micros = fixed_micros(op.right) if instant(op.left) else None
            if micros is None:
                return super().visit_TimestampAdd(op, left=left, right=right)
            return self._from_micros(sge.Add(this=self.f.epoch_us(left), expression=sge.convert(micros)))

        def visit_TimestampSub(self, op, *, left, right):
            micros = fixed_micros(op.right) if instant(op.left) else None
            if micros is None:
                return super().visit_TimestampSub(op, left=left, right=right)
            return self._from_micros(sge.Sub(this=self.f.epoch_us(left), expression=sge.convert(micros)))

        def visit_TimestampTruncate(self, op, *, arg, unit):
            step = _FIXED_MICROS.get(unit.short) if unit.short != "W" else None
            if not instant(op.arg) or step is None:
                return super().visit_TimestampTruncate(op, arg=arg, unit=unit)
            us = self.f.epoch_us(arg)
            # floor to a multiple of the step, for instants before 1970 too (% keeps the sign)
            below = sge.Mod(this=sge.paren(sge.Add(this=sge.Mod(this=us, expression=sge.convert(step)),
                                                   expression=sge.convert(step))), expression=sge.convert(step))
            return self._from_micros(sge.Sub(this=us, expression=below))

    return CxkitDuckDBCompiler()


def default_memory_limit() -> str:
    """40% of the machine's memory, at most 3 GB: room for the kernels and the renderer beside
    the engine on a laptop; DuckDB spills what does not fit to the run's spill folder."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "3GB"
    return f"{max(256, min(3072, int(total * 0.4 / 2**20)))}MB"


_SIZE_UNITS = {"MB": 10**6, "GB": 10**9, "TB": 10**12, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}
#: a memory size as ``backend.memory_limit`` takes it: a number and one of DuckDB's units
MEMORY_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(MB|GB|TB|MiB|GiB|TiB)\s*")


def memory_limit_bytes(limit: str | None = None) -> float:
    """The embedded engine's memory limit in bytes: ``limit`` as ``backend.memory_limit`` gives
    it (``'3GB'``, ``'512 MiB'``; DuckDB's units), or :func:`default_memory_limit`.

    >>> memory_limit_bytes("3GB"), memory_limit_bytes(" 1.5 MiB ")
    (3000000000.0, 1572864.0)
    """
    size = limit or default_memory_limit()
    m = MEMORY_SIZE.fullmatch(size)
    if m is None:
        raise ValueError(f"not a memory size: {size!r}")
    return float(m.group(1)) * _SIZE_UNITS[m.group(2)]


def connect(
    url: str | None = None,
    database: str | Path | None = None,
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    spill_dir: str | Path | None = None,
):
    """Open the engagement's backend: in-memory DuckDB by default, a DuckDB file, or an ibis URL.

    Sessions always compute in UTC so that instants never depend on the machine's timezone. The
    embedded DuckDB gets a memory limit (default :func:`default_memory_limit`) and, when given, a
    spill folder: canonical tables and large sorts then spill to disk instead of growing the
    process; insertion order is not preserved (no result depends on it: tables are sorted by
    stated keys).
    """
    import ibis

    try:
        if url and url.startswith("pyspark:"):
            con = _connect_spark(url)
        elif url:
            con = ibis.connect(url)
        else:
            if database is not None:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            con = ibis.duckdb.connect(str(database) if database is not None else ":memory:")
    except CxkitError:
        raise
    except Exception as exc:  # the backend's own error is the useful part; keep it
        target = url or database or "in-memory DuckDB"
        hint = ""
        if url and url.startswith("pyspark:") and "JAVA" in str(exc).upper():
            hint = " Spark needs Java 17 (e.g. `apt-get install openjdk-17-jre-headless`) with `java` on PATH or JAVA_HOME set."
        raise CxkitError(
            f"cannot connect to {target}: {exc}.{hint} Check backend.url / backend.database in the engagement."
        ) from exc
    if con.name == "duckdb":
        con.compiler = _duckdb_compiler()
        con.raw_sql("SET TimeZone = 'UTC'")
        con.raw_sql(f"SET memory_limit = {_q(memory_limit or default_memory_limit())}")
        con.raw_sql("SET preserve_insertion_order = false")
        if threads:
            con.raw_sql(f"SET threads = {int(threads)}")
        if spill_dir is not None:
            Path(spill_dir).mkdir(parents=True, exist_ok=True)
            con.raw_sql(f"SET temp_directory = {_q(str(spill_dir))}")
    elif con.name == "pyspark":
        con._session.conf.set("spark.sql.session.timeZone", "UTC")
    return con
