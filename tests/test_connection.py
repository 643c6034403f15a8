"""The engine registry (cxkit.connection): which backend, and what each engine can do."""

from __future__ import annotations

import sys

import ibis
import pytest

from cxkit.connection import DIALECTS, connect, has_exact_median
from cxkit.errors import CxkitError


def test_exact_median_follows_the_engine_the_expression_runs_on():
    con = ibis.duckdb.connect()
    bound = con.create_table("t", {"x": [1.0, 2.0]})
    assert has_exact_median(bound)  # DuckDB quantile_cont
    assert has_exact_median(ibis.memtable({"x": [1.0]}))  # runs on ibis's default backend, DuckDB
    assert not has_exact_median(ibis.table({"x": "float64"}, name="t"))  # may be compiled for any engine
    assert DIALECTS["pyspark"].exact_median  # Spark percentile


def test_spark_url_without_pyspark_says_how_to_install_it(monkeypatch):
    # a None entry in sys.modules makes the import fail as if the package were absent
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(CxkitError, match=r"needs PySpark.*\.\[spark\]"):
        connect("pyspark://?spark.master=local[1]")
