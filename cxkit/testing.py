"""Builders of tiny canonical tables for hand-computed test fixtures and doctests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

import ibis
import ibis.expr.types as ir

from cxkit.schema import table_spec

__all__ = ["canonical_memtable", "ts", "wall_clock_instant", "unpartitioned_windows", "comparable", "frame_difference",
           "contact_grain_copy", "contact_grain_source", "stored_schemas"]


def ts(text: str) -> datetime:
    """A UTC instant from ``'YYYY-MM-DD HH:MM[:SS]'`` (fixtures read better with text times).

    Examples
    --------
    >>> ts("2026-03-01 09:00")
    datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.timezone.utc)
    """
    fmt = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)


def wall_clock_instant(local: datetime, tz: str) -> datetime:
    """The UTC instant at which the clocks of ``tz`` show ``local`` (naive), by the pinned zone
    database, the way cxkit reads local times: a time the clocks skip or show twice is the later
    of its two possible instants (the reference for the engine's reading, in plain Python).

    Examples
    --------
    >>> wall_clock_instant(datetime(2026, 3, 29, 1, 30), "Europe/London")  # skipped: read in GMT
    datetime.datetime(2026, 3, 29, 1, 30, tzinfo=datetime.timezone.utc)
    >>> wall_clock_instant(datetime(2026, 10, 25, 1, 30), "Europe/London")  # shown twice: the GMT one
    datetime.datetime(2026, 10, 25, 1, 30, tzinfo=datetime.timezone.utc)
    >>> wall_clock_instant(datetime(2026, 7, 1, 12, 0), "Europe/London")
    datetime.datetime(2026, 7, 1, 11, 0, tzinfo=datetime.timezone.utc)
    """
    from cxkit.zones import zone

    z = zone(tz)
    # PEP 495: fold 0 reads a repeated time as its first occurrence and a skipped one with the
    # offset before the change, fold 1 the other way round; the later instant is the larger
    return max(local.replace(tzinfo=z, fold=f).astimezone(timezone.utc) for f in (0, 1))


def canonical_memtable(name: str, rows: Sequence[Mapping[str, object]]) -> ir.Table:
    """A canonical table ``name`` from a few rows; unspecified columns take their default or null.

    Timestamps may be given as text (``"2026-03-01 09:00"``, read as UTC) or datetimes.

    Examples
    --------
    >>> t = canonical_memtable("contacts", [{"contact_id": "c1", "arrived_at": "2026-03-01 09:00"}])
    >>> t.schema()["arrived_at"]
    Timestamp(timezone='UTC', scale=None, nullable=True)
    >>> t.count().execute()
    1
    """
    spec = table_spec(name)
    unknown = sorted({k for row in rows for k in row} - set(spec.names))
    if unknown:
        raise KeyError(f"{name}: not canonical columns: {unknown}; canonical: {list(spec.names)}")
    data: dict[str, list[object]] = {}
    for col in spec.columns:
        values = []
        for row in rows:
            value = row.get(col.name, col.default)
            if isinstance(value, str) and col.dtype.startswith("timestamp"):
                value = ts(value)
            values.append(value)
        data[col.name] = values
    schema = ibis.schema({c.name: c.dtype for c in spec.columns})
    return ibis.memtable(data, schema=schema)


def unpartitioned_windows(expr: ir.Expr) -> list[str]:
    """The window functions of ``expr`` that have no partition (``group_by``), by name.

    Spark runs such a window on a single task over all its input rows ("No Partition Defined
    for Window"); tests assert the expressions over rows have none.

    Examples
    --------
    >>> t = ibis.table({"x": "float64", "g": "string"}, name="t")
    >>> unpartitioned_windows(t.mutate(r=ibis.row_number().over(order_by=t.x), s=t.x.sum().over(group_by=t.g)))
    ['RowNumber']
    """
    import ibis.expr.operations as ops

    return sorted(type(w.func).__name__ for w in expr.op().find(ops.WindowFunction) if not w.group_by)


# --------------------------------------------------------------------------------------------
# comparing results computed on two engines
# --------------------------------------------------------------------------------------------


def comparable(value: object) -> object:
    """A value as the engines' results are compared: null/NaN -> None, integers -> float (int32
    on one engine, int64 on another is not a difference), instants -> ISO text in UTC (a naive
    instant is read as UTC, the sessions' timezone), numpy scalars -> Python.

    Examples
    --------
    >>> import pandas as pd
    >>> comparable(float("nan")), comparable(3), comparable(pd.Timestamp("2026-03-01 09:00"))
    (None, 3.0, '2026-03-01T09:00:00+00:00')
    """
    import math

    import pandas as pd

    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, datetime) and not isinstance(value, pd.Timestamp):
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp):
        return (value.tz_convert("UTC") if value.tzinfo else value.tz_localize("UTC")).isoformat()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, float):
        return None if math.isnan(value) else value
    return value


def frame_difference(a, b, *, rel_tol: float = 1e-9, ordered_by: Sequence[str] = ()) -> str | None:
    """The first difference between two result frames, or None when they hold the same rows.

    Columns must match in name and order; rows are compared as sorted multisets of
    :func:`comparable` values, floats to ``rel_tol`` (engines sum in different orders, so the
    last bits differ; DuckDB's own parallel sums differ from run to run). ``ordered_by``
    columns must also come in the same sequence (the order a result states), ties aside.
    Datetime columns must agree on having a timezone.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"k": ["x", "y"], "v": [1.0, 2.0]})
    >>> frame_difference(a, a.iloc[::-1]) is None, frame_difference(a, a.iloc[::-1], ordered_by=["k"])
    (True, "column 'k' is in another order: ['x', 'y'] vs ['y', 'x']")
    >>> frame_difference(a, a.assign(v=[1.0, 2.5]))
    "row 1, column 'v': 2.0 vs 2.5"
    """
    import math

    if list(a.columns) != list(b.columns):
        return f"columns differ: {list(a.columns)} vs {list(b.columns)}"
    if len(a) != len(b):
        return f"{len(a)} vs {len(b)} rows"
    for col in a.columns:
        ta, tb = (getattr(getattr(f[col], "dt", None), "tz", None) if f[col].dtype.kind == "M" else "-"
                  for f in (a, b))
        if (ta is None) != (tb is None):
            return f"column {col!r}: timezone {ta} vs {tb}"

    def rows(frame) -> list[tuple]:
        out = [tuple(comparable(v) for v in rec) for rec in frame.itertuples(index=False, name=None)]
        return sorted(out, key=lambda r: tuple((x is None, str(x)) for x in r))

    def close(x: object, y: object) -> bool:
        if isinstance(x, float) and isinstance(y, float):
            return math.isclose(x, y, rel_tol=rel_tol, abs_tol=1e-12)
        return x == y

    for i, (ra, rb) in enumerate(zip(rows(a), rows(b))):
        for col, x, y in zip(a.columns, ra, rb):
            if not close(x, y):
                return f"row {i}, column {col!r}: {x!r} vs {y!r}"
    for col in ordered_by:
        sa, sb = [comparable(v) for v in a[col]], [comparable(v) for v in b[col]]
        if not all(close(x, y) for x, y in zip(sa, sb)):
            return f"column {col!r} is in another order: {sa[:8]} vs {sb[:8]}"
    return None


#: :func:`contact_grain_copy`'s query
_FOLD_SQL = """
COPY (
    WITH legs AS (
        SELECT * FROM read_parquet('{legs}')
        QUALIFY row_number() OVER (PARTITION BY interaction_id, segment ORDER BY exported_at DESC) = 1
    )
    SELECT interaction_id,
           max(NULLIF(customer_ref, '')) AS customer_ref,
           arg_min(media, segment) AS media,
           arg_min(direction, segment) AS direction,
           min(start_local) AS start_local,
           min(answer_local) AS answer_local,
           max(end_local) AS end_local,
           sum(ivr_sec) AS ivr_sec, sum(queue_sec) AS queue_sec, sum(talk_sec) AS talk_sec,
           sum(hold_sec) AS hold_sec, sum(wrap_sec) AS wrap_sec,
           CASE WHEN bool_or(disposition = 'ANSWERED') THEN 'ANSWERED' ELSE arg_max(disposition, segment) END
               AS disposition,
           count(*) - 1 AS transfer_count,
           sum(auth_count) AS auth_count,
           arg_max(reason_code, segment) AS reason_code,
           arg_min(queue_name, segment) AS queue_name,
           arg_max(agent_login, segment) AS agent_login,
           arg_max(team_name, segment) AS team_name,
           arg_min(entry_point, segment) AS entry_point,
           max(callback_requested) AS callback_requested,
           max(case_number) AS case_number,
           arg_max(notes, segment) AS notes,
           max(exported_at) AS exported_at
    FROM legs GROUP BY interaction_id
) TO '{out}' (FORMAT parquet)
"""


def contact_grain_source(path: str) -> dict:
    """The engagement source of a :func:`contact_grain_copy` at ``path``: the generator
    adapter's contacts mapping (``cxkit_generator``) at contact grain, with the legs' count as
    ``transfers`` and de-duplicated by the contact id."""
    from cxkit.adapters import adapter_spec

    legs = adapter_spec("cxkit_generator")["sources"]["contacts"]
    columns = {name: m for name, m in legs["columns"].items() if name != "leg_seq"}
    return {"path": path, "format": legs["format"], "grain": "contact",
            "dedup": {"key": [columns["contact_id"]], "newest_by": legs["dedup"]["newest_by"]},
            "columns": {**columns, "transfers": "transfer_count"}}


def contact_grain_copy(legs: str | Path, out: str | Path) -> None:
    """The generator's interactions export ``legs`` (leg grain, re-delivered rows) as a
    contact-grain export in ``out`` (Parquet): the newest version of each leg, folded by the
    rules of METRICS.md in plain SQL (first leg's channel, direction and queue; last leg's
    agent and reason; durations summed; handled if any leg was; ``transfer_count`` = legs - 1),
    in the generator's own column names and local times. The same contacts as the legs, read
    by another path (:func:`contact_grain_source`): tests and benchmarks compare the two."""
    import duckdb

    partial = Path(out).with_suffix(".partial")
    con = duckdb.connect()
    try:
        con.execute(_FOLD_SQL.format(legs=str(legs).replace("'", "''"), out=str(partial).replace("'", "''")))
    finally:
        con.close()
    partial.replace(out)


def stored_schemas(run_dir: str | Path) -> dict[str, dict[str, str]]:
    """The Parquet type of every stored result's columns in the run folder ``run_dir``, by result
    and column (``'int64'``, ``'double'``, ``'bool'``, ``'large_string'``; ``'null'`` for a column
    of no type): what a pipeline reading ``results/`` meets, compared across runs."""
    import pyarrow.parquet as pq

    from cxkit.results import RESULTS_DIR

    return {p.stem: {f.name: str(f.type) for f in pq.read_schema(p)}
            for p in sorted((Path(run_dir) / RESULTS_DIR).glob("*.parquet"))}
