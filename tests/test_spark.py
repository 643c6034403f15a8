"""The same answers on Spark as on DuckDB.

A generated engagement (3,000 customers, every defect the generator can plant) is opened once
on in-memory DuckDB and once on local PySpark (``backend.url``), and each engine computes what
a run computes: readiness (:func:`cxkit.readiness.assess`) and every declared result
(:func:`cxkit.results.compute_results`). Every result frame, every readiness check, the run
manifest and every canonical table are then compared value by value (floats to 1e-9: the
engines sum in different orders).

Marked ``spark`` and left out of the default run (``addopts``); ``.ci/run`` runs them when
Java is present. By hand::

    bash scripts/setup.sh test,spark      # and Java 17
    .venv/bin/python -m pytest -m spark -p no:cacheprovider tests/test_spark.py

They skip, saying why, without PySpark or Java 17. ``CXKIT_TEST_SPARK_URL`` points them at
another Spark (a ``pyspark://`` URL, e.g. ``pyspark://?spark.master=spark://host:7077``).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlencode

import pytest

import cxkit
from cxkit.generate import DEFECTS, generate
from cxkit.pseudonyms import create_key, load_key, pseudonym
from cxkit.readiness import assess
from cxkit.results import RESULTS, ResultSet, compute_results
from cxkit.testing import frame_difference

ROOT = Path(__file__).resolve().parents[1]

#: Local Spark, small: on a few thousand rows the driver's query planning is the cost, not
#: the data, so code generation and adaptive re-planning (both about planning) are off and the
#: JVM compiles with its quick tier only; together about a third less CPU than Spark's defaults.
#: The quick tier alone shrinks the JVM's code cache to 48 MB (a fifth of its 240 MB); a run
#: filled it once ("Out of space in CodeCache for adapters", 2026-12-03) and failed every Spark
#: test, so the cache is given 256 MB, as one heap as at 48 MB.
LOCAL_SPARK = {
    "spark.master": "local[2]",
    "spark.driver.memory": "1g",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:ReservedCodeCacheSize=256m "
                                     "-XX:-SegmentedCodeCache",
}
SPARK_URL = os.environ.get("CXKIT_TEST_SPARK_URL") or "pyspark://?" + urlencode(LOCAL_SPARK)

#: A fixed "now" for readiness (data freshness is measured against it) on both engines.
NOW = datetime(2026, 4, 2, 12, 0, tzinfo=timezone.utc)
TABLES = ("cases", "contacts", "intervals", "legs", "qa", "surveys")


def _java_major() -> int | None:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home and (Path(home) / "bin" / "java").exists() else shutil.which("java")
    if java is None:
        return None
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    found = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major  # "1.8.0" is Java 8


def _why_not() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "PySpark is not installed: bash scripts/setup.sh test,spark"
    major = _java_major()
    if major is None:
        return "Java is not installed; Spark needs Java 17 (apt-get install openjdk-17-jre-headless)"
    if major < 17:
        return f"Java {major} found; Spark 4 needs Java 17 or newer"
    return None


WHY_NOT = _why_not()
pytestmark = [pytest.mark.spark, pytest.mark.skipif(WHY_NOT is not None, reason=WHY_NOT or "")]


class Run(NamedTuple):
    session: Any
    readiness: Any
    results: ResultSet


def _run(engagement: Path, run_dir: Path, overrides: dict[str, Any] | None = None) -> Run:
    # what cxkit.pipeline.prepare_run does, keeping the session to compare its tables
    session = cxkit.open_engagement(engagement, overrides=overrides)
    ready = assess(session, now=NOW)
    ready.save(run_dir)
    daily = ("readiness", "Records per local day, by source", ready.daily_volume())
    return Run(session, ready, compute_results(session, run_dir, extra={"readiness_daily": daily}))


@pytest.fixture(scope="module")
def engagement(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("spark_engagement")
    generate(folder / "data", seed=11, customers=3000, defects=tuple(DEFECTS))
    shutil.copy(ROOT / "engagements" / "demo" / "engagement.yaml", folder / "engagement.yaml")
    # one key for both engines: their pseudonyms (HMAC in each engine's SQL) must be equal too
    create_key(folder)
    return folder / "engagement.yaml"


@pytest.fixture(scope="module")
def duck(engagement, tmp_path_factory) -> Run:
    return _run(engagement, tmp_path_factory.mktemp("duckdb_run"))


@pytest.fixture(scope="module")
def spark(engagement, tmp_path_factory):
    run = _run(engagement, tmp_path_factory.mktemp("spark_run"), {"backend": {"url": SPARK_URL}})
    yield run
    run.session.con.disconnect()  # stops the SparkSession


def test_the_spark_run_ran_on_spark_with_the_url_settings(spark):
    assert spark.session.con.name == "pyspark"
    conf = spark.session.con._session.conf
    assert conf.get("spark.sql.session.timeZone") == "UTC"
    if not os.environ.get("CXKIT_TEST_SPARK_URL"):
        # settings Spark fixes at start-up reach it from backend.url (cxkit builds the session)
        assert spark.session.con._session.sparkContext.master == "local[2]"
        assert conf.get("spark.ui.enabled") == "false"


def test_the_engagement_has_every_table_and_planted_defects(duck, spark):
    # guards the comparison itself: every optional source is there, and readiness finds the
    # planted defects (so failing checks are compared, not only passing ones)
    assert duck.session.tables == spark.session.tables == sorted(TABLES)
    assert len(duck.readiness.failed) >= 3


def test_canonical_schemas_are_equal(duck, spark):
    for name in TABLES:
        assert spark.session.table(name).schema() == duck.session.table(name).schema(), name


@pytest.mark.parametrize("as_loaded", [False, True], ids=["period", "as-loaded"])
@pytest.mark.parametrize("name", TABLES)
def test_canonical_table_is_equal(duck, spark, name, as_loaded):
    a = duck.session.table(name, as_loaded=as_loaded).to_pandas()
    b = spark.session.table(name, as_loaded=as_loaded).to_pandas()
    assert len(a) > 0
    assert frame_difference(a, b) is None, frame_difference(a, b)


def test_readiness_is_equal(duck, spark):
    a, b = duck.readiness.to_dict(), spark.readiness.to_dict()
    for d in (a, b):
        d.pop("created_at")
    checks_a, checks_b = {c["id"]: c for c in a.pop("checks")}, {c["id"]: c for c in b.pop("checks")}
    assert sorted(checks_a) == sorted(checks_b)
    differ = {k: (checks_a[k], checks_b[k]) for k in checks_a if checks_a[k] != checks_b[k]}
    assert not differ, next(iter(differ.items()))
    assert a == b


def test_manifest_is_equal(duck, spark):
    a, b = duck.results.manifest, spark.results.manifest
    assert a["coverage"] == b["coverage"]
    assert a["parameters"] == b["parameters"]
    assert _without_timings(a["results"]) == _without_timings(b["results"])


def _without_timings(entries: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: {k: v for k, v in entry.items() if k != "seconds"} for name, entry in entries.items()}


@pytest.mark.parametrize("name", [*RESULTS, "readiness_daily"])
def test_result_is_equal(duck, spark, name):
    # the engagement has every source, so every result is computed on both engines
    assert duck.results.available(name), duck.results.why_absent(name)
    assert spark.results.available(name), spark.results.why_absent(name)
    a, b = duck.results.frame(name), spark.results.frame(name)
    order = RESULTS[name].sort if name in RESULTS else ()
    difference = frame_difference(a, b, ordered_by=[c for c in order if c in a.columns])
    assert difference is None, f"{name}: {difference}"



def test_spark_pseudonyms_are_the_python_reference(spark, engagement):
    # the HMAC spelled in Spark SQL equals hmac.new(key, id, sha256) of a raw id of the export:
    # every pseudonym Spark wrote is the Python pseudonym of some raw customer reference
    import pandas as pd

    key = load_key(engagement.parent)
    raw = pd.read_parquet(engagement.parent / "data" / "interactions.parquet", columns=["customer_ref"])
    reference = {pseudonym(str(v), key) for v in raw["customer_ref"].dropna().unique()}
    written = set(spark.session.table("contacts").customer_id.execute().dropna())
    assert len(written) > 500  # 844 customers with a contact in the period (3,000 generated)
    assert written <= reference


def test_spark_reads_local_times_as_duckdb_does(spark):
    # local times are read by the pinned zone database on both engines (cxkit.connection):
    # Spark's own to_utc_timestamp takes a time the clocks show twice as its first occurrence
    # (ICU, the second) and reads by Java's copy of the zone rules. Each equals the plain-Python
    # reading: the skipped and the repeated hour in London, Winnipeg after its November 2026 rule
    from datetime import date

    import pandas as pd

    from cxkit.connection import DIALECTS
    from cxkit.testing import wall_clock_instant

    d = DIALECTS["pyspark"]
    period = (date(2026, 3, 1), date(2026, 3, 31))
    cases = [("Europe/London", "2026-03-29 01:30:00"), ("Europe/London", "2026-10-25 01:30:00"),
             ("Europe/London", "2026-07-01 12:00:00"), ("America/Winnipeg", "2026-11-15 12:00:00"),
             ("America/Winnipeg", "2026-03-08 02:30:00")]
    con = spark.session.con
    for tz, text in cases:
        sql = d.localize(d.parse_timestamp(f"'{text}'", "%Y-%m-%d %H:%M:%S"), tz, period)
        got = pd.Timestamp(con.sql(f"SELECT {sql} AS t", dialect="duckdb").execute().t.iloc[0])
        got = got.tz_localize("UTC") if got.tzinfo is None else got.tz_convert("UTC")
        assert got == wall_clock_instant(datetime.strptime(text, "%Y-%m-%d %H:%M:%S"), tz), (tz, text, got)


def test_spark_reads_a_blank_customer_id_as_no_customer_as_duckdb_does(spark):
    # the loader's blank test (cxkit.customers.identified_sql), written for DuckDB, transpiled
    import duckdb

    from cxkit.customers import comparable_sql, identified_sql

    values = ["K1", "   ", "\t", " K2 ", "\n \r", None, "Anonymous", " private number", "A.B@X.com"]
    rows = ", ".join("(NULL)" if v is None else "('" + v + "')" for v in values)
    sql = f"SELECT {comparable_sql(identified_sql('x'))} AS k FROM (VALUES {rows}) AS v(x)"
    want = [r[0] for r in duckdb.sql(sql).fetchall()]
    assert want == ["K1", None, None, " K2 ", None, None, None, None, "a.b@x.com"]
    got = spark.session.con.sql(sql, dialect="duckdb").execute().k.tolist()
    assert [None if v is None or v != v else v for v in got] == want


def test_spark_counts_contacts_back_to_back_as_duckdb_does(spark):
    # contacts.contact_id.spans_transfers reads a window's previous row and compares instants
    # with an interval; the generated engagement has no such contact (both engines count 0),
    # so the doctest's rows are counted on both: a leg at the previous end, one 10 s before it
    from cxkit.customers import back_to_back_summary
    from cxkit.testing import canonical_memtable

    def c(i, k, arrived, ended, direction="inbound"):
        return {"contact_id": i, "customer_id": k, "direction": direction,
                "arrived_at": f"2026-03-02 {arrived}", "ended_at": f"2026-03-02 {ended}"}

    rows = [c("a", "K1", "09:00:00", "09:05:00"), c("b", "K1", "09:05:00", "09:09:00"),
            c("x", "K1", "09:09:11", "09:12:00"), c("d", "K2", "10:00:00", "10:03:00"),
            c("e", "K2", "10:02:50", "10:06:00"), c("f", "K2", "10:06:05", "10:07:00", "outbound")]
    t = canonical_memtable("contacts", rows)
    want = back_to_back_summary(t, max_contacts=10, seconds=10)
    assert want == {"inbound": 5, "back_to_back": 2}
    on_spark = spark.session.con.create_view("cx_test_back_to_back", t, overwrite=True)  # a temporary view
    assert back_to_back_summary(on_spark, max_contacts=10, seconds=10) == want


def test_spark_counts_numbers_written_two_ways_as_duckdb_does(spark):
    # contacts.customer_id.numbers_written_one_way reads the ids as exported with regular
    # expressions; the generated engagement's ids are not numbers, so the doctest's are read
    import ibis

    from cxkit.customers import number_writings

    ids = ibis.memtable({"customer_id": ["+44 7700 900001", "07700900001", "07700 900001", "+447700900002",
                                         "tel:+447700900002", "07700900003", "07700900003", "123456789", "5123456789",
                                         "ACC-1", None]})
    want = number_writings(ids)
    assert want == {"numbers": 8, "several": 5, "number_share": 0.9, "sampled": 10, "kept": 1.0}
    on_spark = spark.session.con.create_view("cx_test_number_writings", ids, overwrite=True)  # a temporary view
    assert number_writings(on_spark) == want
    # a large export's sample (the numbers ending 00 to 44 of these 11 ids) is the same on both
    assert number_writings(on_spark, max_rows=5) == number_writings(ids, max_rows=5) != want
