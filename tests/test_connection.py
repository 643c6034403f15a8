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


def test_a_projection_used_twice_is_read_again_and_a_grouping_is_kept(tmp_path):
    # DuckDB materialises a subquery a query uses twice; cxkit's connection marks the ones
    # that only project and filter NOT MATERIALIZED (reading the stored table again is
    # cheaper than holding a copy), and leaves groupings to DuckDB; results are the same
    import re

    import pandas as pd

    pd.DataFrame({"k": ["a", "a", "b", None], "x": [1, 2, 5, 7]}).to_parquet(tmp_path / "t.parquet")

    def query(con):
        t = con.read_parquet(tmp_path / "t.parquet")
        projected = t.filter(t.x > 0).mutate(x=t.x.cast("float64"))
        several = projected.group_by("k").aggregate(n=projected.count()).filter(lambda g: g.n > 1)
        return projected, projected.semi_join(several, "k").union(projected.anti_join(several, "k"))

    con = connect(spill_dir=tmp_path / "spill")
    projected, q = query(con)
    sql = con.compile(q)
    ctes = re.findall(r'"(t\d+)" AS (NOT MATERIALIZED )?\(', sql)
    assert ctes and all(marked for _, marked in ctes), sql  # the projection, the one common subquery
    grouped = projected.group_by("k").aggregate(n=projected.count())
    twice = grouped.join(grouped.rename(m="n"), "k")
    assert "NOT MATERIALIZED" not in con.compile(twice)  # a grouping used twice stays DuckDB's choice
    plain = ibis.duckdb.connect()
    expected = plain.execute(query(plain)[1].order_by("x"))
    got = con.execute(q.order_by("x"))
    pd.testing.assert_frame_equal(got, expected)
    assert got.x.tolist() == [1.0, 2.0, 5.0, 7.0]


def test_instant_arithmetic_on_microseconds_equals_duckdbs_calendar(tmp_path):
    # cxkit's DuckDB compiler writes epoch seconds, shifts by a fixed interval and truncation
    # to a day or finer on epoch_us (ICU's calendar costs 1-1.5 s per 11M values); every value
    # must equal ibis's own spelling, before 1970 and at microsecond precision included
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    micros = rng.integers(-8_520_336_000_000_000, 16_725_225_600_000_000, 20_000)  # 1700-2500
    micros[:4] = [0, -1, 86_400_000_000 - 1, 1_771_509_797_324_712]
    ts = pd.Series(pd.to_datetime(micros, unit="us", utc=True))
    ts[5] = pd.NaT
    pd.DataFrame({"t": ts, "naive": ts.dt.tz_localize(None)}).to_parquet(tmp_path / "t.parquet")

    def query(con):
        t = con.read_parquet(tmp_path / "t.parquet")
        return t.select(
            epoch=t.t.epoch_seconds().cast("float64"),
            naive_epoch=t.naive.epoch_seconds().cast("float64"),
            plus_week=t.t + ibis.interval(days=7),
            plus_s=t.t + ibis.interval(seconds=86_399),
            minus_h=t.t - ibis.interval(hours=30),
            plus_ms=t.t + ibis.interval(milliseconds=1),
            plus_month=t.t + ibis.interval(months=1),  # no fixed length: DuckDB's calendar
            within=(t.t + ibis.interval(seconds=604_800)) >= t.t,
            hour=t.t.truncate("h"),
            day=t.t.truncate("D"),
            minute=t.t.truncate("m"),
            second=t.t.truncate("s"),
            week=t.t.truncate("W"),  # Monday: DuckDB's calendar
            naive_hour=t.naive.truncate("h"),
        )

    con = connect()
    sql = con.compile(query(con))
    assert "EPOCH_US" in sql and "DATE_TRUNC('hour'" not in sql and "INTERVAL '7' DAY" not in sql, sql
    plain = ibis.duckdb.connect()
    plain.raw_sql("SET TimeZone = 'UTC'")
    expected = plain.execute(query(plain))
    got = con.execute(query(con))
    pd.testing.assert_frame_equal(got, expected)
    assert str(got.hour[3])[:19] == "2026-02-19 14:00:00" and got.epoch[1] == -0.000001 and got.within.sum() == 19_999


# zones with a DST change each way (London, New York), a half-hour change (Lord Howe), the
# southern hemisphere (Sydney), none (Kolkata, Kathmandu: +05:45, UTC), Ramadan (Casablanca),
# and one whose rules in the pinned database are newer than DuckDB's ICU copy (Winnipeg keeps
# -05 from November 2026 in tzdata 2026f; ICU in DuckDB 1.5.6 goes back to -06)
@pytest.mark.parametrize("tz", ["Europe/London", "America/New_York", "Australia/Lord_Howe", "Australia/Sydney",
                                "Asia/Kolkata", "Asia/Kathmandu", "UTC", "Africa/Casablanca", "America/Winnipeg"])
def test_local_times_become_the_instants_of_the_pinned_zone_database(tz):
    # the DuckDB dialect reads local times within 400 days of the period by the pinned zone
    # database (the one the period's bounds and local days use), on microseconds, and leaves
    # others to ICU. Checked: every 15 s of the two hours either side of each change (the
    # skipped and the repeated hour), a microsecond either side of each change, random times
    # inside and outside the covered days, and null
    import random
    from datetime import date, datetime, timedelta

    import duckdb

    from cxkit.connection import _duckdb_local_to_utc, _wall_clock_offsets
    from cxkit.testing import wall_clock_instant

    period = (date(2026, 3, 1), date(2026, 3, 31))
    starts, _, end = _wall_clock_offsets(tz, *period)
    sql = _duckdb_local_to_utc("l", tz, period)
    assert "make_timestamptz" in sql
    if tz in ("Europe/London", "America/New_York", "Australia/Lord_Howe", "Australia/Sydney", "America/Winnipeg"):
        assert len(starts) >= 4  # changes over the period and 400 days either side
    epoch = datetime(1970, 1, 1)
    changes = [epoch + timedelta(microseconds=s) for s in starts[1:]]
    rng = random.Random(7)
    local = ([c + timedelta(seconds=k) for c in changes for k in range(-7200, 7201, 15)]
             + [c + timedelta(microseconds=k) for c in changes for k in (-1, 0, 1)]
             + [datetime(2023, 1, 1) + timedelta(seconds=rng.randrange(6 * 365 * 86400)) for _ in range(20000)])
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rows = con.execute(
        f"SELECT epoch_us(l), epoch_us({sql}), epoch_us(timezone('{tz}', l)) "
        "FROM (SELECT unnest($1::TIMESTAMP[]) AS l UNION ALL SELECT NULL)",
        [local],
    ).fetchall()
    assert len(rows) == len(local) + 1 and rows.count((None, None, None)) == 1
    inside = outside = 0
    for wall, got, icu in rows:
        if wall is None:
            continue
        if starts[0] <= wall < end:  # the pinned database's instant
            inside += 1
            expected = wall_clock_instant(epoch + timedelta(microseconds=wall), tz)
            assert got == round((expected - datetime(1970, 1, 1, tzinfo=expected.tzinfo)).total_seconds() * 1e6), wall
        else:  # ICU's
            outside += 1
            assert got == icu, wall
    assert inside > 5_000 and outside > 5_000
    if tz == "America/Winnipeg":  # the two databases disagree: inside the span the pinned one wins
        noon = datetime(2026, 11, 15, 12) - epoch
        assert con.execute(
            f"SELECT epoch_us({sql}) - epoch_us(timezone('{tz}', l)) FROM (SELECT make_timestamp({noon // timedelta(microseconds=1)}) AS l)"
        ).fetchone()[0] == -3_600_000_000
