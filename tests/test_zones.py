"""Time zones (cxkit.zones): one zone database for Python and the engine."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta, timezone
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pytest

from cxkit.config import _timezone_problem
from cxkit.zones import is_zone, zone

PINNED = resources.files("tzdata").joinpath("zones").read_text().split()


def _packaged(name: str) -> ZoneInfo:
    with resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).open("rb") as fh:
        return ZoneInfo.from_file(fh, key=name)


def test_zones_come_from_the_pinned_package_not_the_machine():
    # the machine's zone files may be older or newer than the pinned package; every zone
    # cxkit uses is the package's, at every month of 1990-2040
    months = [datetime(y, m, 15, 12) for y in range(1990, 2041) for m in range(1, 13)]
    for name in PINNED:
        ours, packaged = zone(name), _packaged(name)
        assert str(ours) == name
        assert [ours.utcoffset(t) for t in months] == [packaged.utcoffset(t) for t in months], name


def test_the_engine_reads_every_zone_by_the_pinned_database():
    # local times are moved to UTC in the engine and the period's bounds, local days and hours
    # in Python: both by the pinned database, zone by zone, or a period's bounds and its
    # contacts could be an hour apart (DuckDB's ICU copy lags it for a few zones). Checked at
    # noon and at 01:30 and 02:30 (when most changes happen) on the 1st, 15th and last Sunday
    # of every month around the period
    from cxkit.connection import _duckdb_local_to_utc
    from cxkit.testing import wall_clock_instant

    period = (date(2026, 11, 1), date(2026, 11, 30))
    local = []
    for y, m in [(y, m) for y in (2026, 2027) for m in range(1, 13)]:
        days = calendar.monthrange(y, m)[1]
        last = max(d for d in range(days - 6, days + 1) if datetime(y, m, d).weekday() == 6)
        local += [datetime(y, m, d, h, mi) for d in (1, 15, last) for h, mi in ((12, 0), (1, 30), (2, 30))]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    differ, fast = [], 0
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    for name in PINNED:
        sql = _duckdb_local_to_utc("l", name, period)
        fast += "make_timestamptz" in sql
        got = [r[0] for r in con.execute(
            f"SELECT epoch_us({sql}) FROM (SELECT unnest($1::TIMESTAMP[]) AS l, generate_subscripts($1::TIMESTAMP[], 1) AS i) "
            "ORDER BY i", [local]).fetchall()]
        expected = [round((wall_clock_instant(t, name) - epoch).total_seconds() * 1_000_000) for t in local]
        differ += [(name, t) for t, a, b in zip(local, got, expected) if a != b]
    assert not differ, differ[:10]
    assert fast == len(PINNED)  # every zone through the pinned offsets, none left to ICU


@pytest.mark.parametrize("bad", ["Nope/Zone", "../etc/passwd", "Europe", "", "localtime", "Europe/../UTC", "zone1970.tab"])
def test_names_that_are_not_zones_are_refused(bad):
    with pytest.raises(ZoneInfoNotFoundError):
        zone(bad)
    assert not is_zone(bad)
    assert _timezone_problem(bad).startswith(f"unknown timezone {bad!r}")


def test_a_zone_is_loaded_once():
    assert zone("Europe/London") is zone("Europe/London")
    assert zone("Europe/London").utcoffset(datetime(2026, 7, 1)) == timedelta(hours=1)
