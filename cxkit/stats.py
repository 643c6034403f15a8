"""Interval estimates shared by every diagnostic, as ibis expressions so they run in the engine."""

from __future__ import annotations

import math

import ibis
import ibis.expr.types as ir

__all__ = ["Z95", "wilson_interval", "wilson_bounds", "poisson_bounds", "value_ranks", "rows_below"]

Z95 = 1.959963984540054


def wilson_bounds(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """95% Wilson score interval of ``successes / n`` as plain floats (NaN when n == 0).

    Examples
    --------
    >>> lo, hi = wilson_bounds(7, 10)
    >>> round(lo, 4), round(hi, 4)
    (0.3968, 0.8922)
    """
    if n <= 0:
        return (math.nan, math.nan)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def poisson_bounds(count: float, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval of the expected count behind an observed ``count`` of Poisson
    arrivals: the volume a perfect forecast would have predicted lies in it at ``level``.

    Examples
    --------
    >>> lo, hi = poisson_bounds(100)
    >>> round(lo, 1), round(hi, 1)
    (81.4, 121.6)
    >>> poisson_bounds(0)[0]
    0.0
    """
    from scipy.stats import chi2

    a = (1 - level) / 2
    lo = 0.0 if count <= 0 else float(chi2.ppf(a, 2 * count)) / 2
    return lo, float(chi2.ppf(1 - a, 2 * count + 2)) / 2


def wilson_interval(successes: ir.NumericValue, n: ir.NumericValue, z: float = Z95) -> tuple[ir.FloatingValue, ir.FloatingValue]:
    """Wilson score interval as a pair of ibis expressions (lower, upper); null when n == 0.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"k": [7], "n": [10]})
    >>> lo, hi = wilson_interval(t.k, t.n)
    >>> r = ibis.duckdb.connect().execute(t.select(lo=lo, hi=hi))
    >>> round(float(r.lo[0]), 4), round(float(r.hi[0]), 4)
    (0.3968, 0.8922)

    With no observations there is no interval:

    >>> e = ibis.memtable({"k": [0], "n": [0]})
    >>> lo, hi = wilson_interval(e.k, e.n)
    >>> ibis.duckdb.connect().execute(e.select(lo=lo, hi=hi)).isna().all(axis=None)
    np.True_
    """
    n_ = ibis.ifelse(n > 0, n.cast("float64"), ibis.null("float64"))
    p = successes.cast("float64") / n_
    z2 = z * z
    denom = 1 + z2 / n_
    centre = (p + z2 / (2 * n_)) / denom
    half = z * ((p * (1 - p) / n_ + z2 / (4 * n_ * n_)).sqrt()) / denom
    # GREATEST/LEAST skip nulls on some engines, so n == 0 is kept null explicitly
    empty = n_.isnull()
    lower = ibis.ifelse(empty, ibis.null("float64"), ibis.greatest(centre - half, 0.0))
    upper = ibis.ifelse(empty, ibis.null("float64"), ibis.least(centre + half, 1.0))
    return (lower, upper)


def value_ranks(table: ir.Table, column: str, *, buckets: int = 64) -> ir.Table:
    """The ranks of ``column`` over the whole table, one row per distinct non-null value:
    ``_rv`` (the value), ``_below`` (rows with a smaller value, float64: a sum of counts that
    engines type differently) and ``_ties`` (rows with this value, int64).

    The 0-based minimum rank of a value is ``_below``; the mid-rank of its ties
    ``_below + (_ties + 1) / 2``. Computed without a window over all rows (such a window has no
    partition, and Spark runs it on one task: "No Partition Defined for Window"): the distinct
    values are counted (an aggregate), cut into ``buckets`` equal-width value ranges, summed
    within a range by a window partitioned by the range, and offset by the sizes of the lower
    ranges (a join of at most ``buckets`` squared rows). Exact for any value distribution; the
    widest window holds the distinct values of one range. :func:`rows_below` joins it back.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"v": [3.0, 1.0, 3.0, None, 2.0]})
    >>> r = value_ranks(t, "v").order_by("_rv").execute()
    >>> r._rv.tolist(), r._below.tolist(), r._ties.tolist()
    ([1.0, 2.0, 3.0], [0.0, 1.0, 2.0], [1, 1, 2])
    """
    value = table[column]
    counts = table.filter(value.notnull()).group_by(_rv=value).aggregate(_ties=ibis._.count())
    span = counts.aggregate(_lo=counts._rv.min(), _hi=counts._rv.max())
    counts = counts.cross_join(span)
    width = (counts._hi - counts._lo).cast("float64")
    bucket = ibis.ifelse(
        width > 0,
        ibis.least(((counts._rv - counts._lo).cast("float64") / width * buckets).floor(), buckets - 1),
        0,
    ).cast("int64")
    counts = counts.mutate(_rb=bucket).drop("_lo", "_hi")
    within = counts._ties.sum().over(ibis.window(group_by=counts._rb, order_by=counts._rv, rows=(None, -1)))
    counts = counts.mutate(_within=within.fill_null(0))
    sizes = counts.group_by("_rb").aggregate(_size=counts._ties.sum())
    lower = sizes.select(_lb=sizes._rb, _lsize=sizes._size)
    offsets = (
        sizes.join(lower, sizes._rb > lower._lb).group_by("_rb").aggregate(_offset=ibis._._lsize.sum())
    )
    counts = counts.left_join(offsets, "_rb").drop("_rb_right")
    below = counts._within.cast("float64") + counts._offset.cast("float64").fill_null(0.0)
    return counts.select("_rv", "_ties", _below=below)


def rows_below(table: ir.Table, column: str, *, buckets: int = 64) -> ir.Table:
    """``table`` with the :func:`value_ranks` of ``column`` on each row: ``_below`` and
    ``_ties``, both null where ``column`` is null.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"v": [3.0, 1.0, 3.0, None, 2.0]})
    >>> r = rows_below(t, "v").order_by("v").execute()
    >>> r.v.tolist()[:4], r._below.tolist()[:4], r._ties.tolist()[:4]
    ([1.0, 2.0, 3.0, 3.0], [0.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0])
    """
    ranks = value_ranks(table, column, buckets=buckets)
    return table.left_join(ranks, table[column] == ranks._rv).drop("_rv")
