"""Builders of tiny canonical tables for hand-computed test fixtures and doctests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone

import ibis
import ibis.expr.types as ir

from cxkit.schema import table_spec

__all__ = ["canonical_memtable", "ts", "unpartitioned_windows"]


def ts(text: str) -> datetime:
    """A UTC instant from ``'YYYY-MM-DD HH:MM[:SS]'`` (fixtures read better with text times).

    Examples
    --------
    >>> ts("2026-03-01 09:00")
    datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.timezone.utc)
    """
    fmt = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)


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
