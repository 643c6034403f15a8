"""Interval estimates shared by every diagnostic, as ibis expressions so they run in the engine."""

from __future__ import annotations

import math

import ibis
import ibis.expr.types as ir

__all__ = ["Z95", "wilson_interval", "wilson_bounds"]

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
