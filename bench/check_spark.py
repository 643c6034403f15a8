"""Does cxkit give the same answers on local-mode PySpark as on DuckDB?

Usage (needs the optional ``spark`` extra and Java 17)::

    bash scripts/setup.sh test,spark
    .venv/bin/python bench/check_spark.py [--customers 3000] [--folder bench/out/spark_check]

CI runs the same comparison through the results layer, every result and readiness check
(``tests/test_spark.py``, ``pytest -m spark``); this script prints each diagnostic's values
and seconds on both engines.

A small center is generated with ``cxkit.generate`` and the demo engagement is copied beside
it. The engagement is opened twice, on the default in-memory DuckDB and with
``backend.url: pyspark://`` (local[2]), and each diagnostic is computed on both. The script
prints one row per diagnostic (DuckDB result, Spark result, equal?, seconds on each) and
exits 1 when any result differs or fails on one engine.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

import cxkit  # noqa: E402
from cxkit import journey as J  # noqa: E402
from cxkit import operations as O  # noqa: E402
from cxkit import resolution as R  # noqa: E402
from cxkit.generate import generate  # noqa: E402

SPARK_URL = "pyspark://"
REL_TOL = 1e-9


# ---------------------------------------------------------------- results as comparable values
def _norm_scalar(v: Any) -> Any:
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(v, pd.Timestamp):
        # values: a naive result is read as UTC (the session timezone); the types are compared
        # separately ("canonical schemas"), so a lost timezone still shows as a mismatch
        return (v.tz_convert("UTC") if v.tzinfo else v.tz_localize("UTC")).isoformat()
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return float(v)  # int64 on one engine, int32 on the other is not a difference
    if isinstance(v, float):
        return None if math.isnan(v) else v
    return v


def _rows(df: pd.DataFrame) -> list[tuple]:
    rows = [tuple(_norm_scalar(v) for v in rec) for rec in df.itertuples(index=False, name=None)]
    return sorted(rows, key=lambda r: tuple((x is None, str(x)) for x in r))


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-12)
    return a == b


def compare(a: Any, b: Any) -> tuple[bool, str]:
    """(equal, note): frames by columns and sorted rows (floats to 1e-9), else plain equality."""
    if isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame):
        if list(a.columns) != list(b.columns):
            return False, f"columns differ: {list(a.columns)} vs {list(b.columns)}"
        if len(a) != len(b):
            return False, f"{len(a)} vs {len(b)} rows"
        ra, rb = _rows(a), _rows(b)
        for i, (x, y) in enumerate(zip(ra, rb)):
            for col, u, v in zip(a.columns, x, y):
                if not _close(u, v):
                    return False, f"row {i} {col}: {u!r} vs {v!r}"
        return True, ""
    if isinstance(a, dict) and isinstance(b, dict):
        diff = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
        if diff and all(isinstance(a.get(k), str) and "ibis.Schema" in a.get(k, "") for k in diff):
            return False, "; ".join(f"{k}: {_schema_diff(a[k], b.get(k, ''))}" for k in diff)
        return (not diff), ("; ".join(f"{k}: {a.get(k)!r} vs {b.get(k)!r}" for k in diff[:5]))
    return a == b, ""


def _schema_diff(a: str, b: str) -> str:
    la, lb = a.splitlines()[1:], b.splitlines()[1:]
    pairs = [(x.strip(), y.strip()) for x, y in zip(la, lb) if x != y]
    return ", ".join(f"{x} vs {y.split()[-1] if y else '?'}" for x, y in pairs[:4]) + (" ..." if len(pairs) > 4 else "")


def summary(v: Any) -> str:
    if isinstance(v, pd.DataFrame):
        if len(v) == 1 and {"numerator", "denominator", "rate"} <= set(v.columns):
            r = v.iloc[0]
            return f"{int(r.numerator)}/{int(r.denominator)} = {r.rate:.4f}"
        if "journeys" in v.columns and len(v) == 1:
            r = v.iloc[0]
            return f"{int(r.journeys)} journeys, {r.contacts_per_journey:.4f} contacts/j"
        return f"{len(v)} rows x {v.shape[1]} cols"
    if isinstance(v, dict):
        if all(isinstance(x, str) and x.startswith("ibis.Schema") for x in v.values()):
            return f"{len(v)} schemas"
        if all(isinstance(x, int) for x in v.values()):
            return ", ".join(f"{k}={x}" for k, x in v.items())
        counts: dict[str, int] = {}
        for x in v.values():
            counts[str(x)] = counts.get(str(x), 0) + 1
        return ", ".join(f"{k}:{n}" for k, n in sorted(counts.items()))
    return str(v)


# ---------------------------------------------------------------- the diagnostics
def diagnostics(s) -> list[tuple[str, Callable[[], Any]]]:
    e = s.engagement
    res, ops = e.resolution, e.operations
    eod = s.end_of_data

    def contacts():
        return s.table("contacts")

    def counts():
        return {name: int(s.table(name).count().execute()) for name in s.tables}

    def loaded_counts():
        return {name: int(s.table(name, as_loaded=True).count().execute()) for name in s.tables}

    def contents(name: str):
        def f():
            return s.table(name).to_pandas()
        return f

    def journey_summary():
        j = J.journeys(contacts(), window_days=res.repeat_window_days, end_of_data=eod)
        return J.journey_effort_summary(j).to_pandas()

    def readiness():
        from cxkit.readiness import assess

        r = assess(s)
        checks = {c.id: (c.status, _norm_scalar(c.result.get("observed_value"))) for c in r.results}
        return {k: v["verdict"] for k, v in r.matrix.items()}, checks

    memo: dict[str, Any] = {}

    def readiness_result(i: int):
        if "r" not in memo:
            memo["r"] = readiness()
        return memo["r"][i]

    w = dict(end_of_data=eod, exclude_reasons=res.exclude_reasons)
    return [
        ("canonical rows (period)", counts),
        ("canonical rows (as loaded)", loaded_counts),
        ("canonical schemas", lambda: {n: str(s.table(n).schema()) for n in s.tables}),
        *((f"canonical {n} (all values)", contents(n)) for n in s.tables),
        ("fcr_repeat (7 d)", lambda: R.fcr_repeat(contacts(), window_days=res.repeat_window_days, **w).to_pandas()),
        ("fcr_sensitivity", lambda: R.fcr_sensitivity(contacts(), windows=res.sensitivity_windows_days, **w).to_pandas()),
        ("repeat_share (7 d)", lambda: R.repeat_share(contacts(), window_days=res.repeat_window_days).to_pandas()),
        ("operations_summary", lambda: O.operations_summary(
            contacts(), sl_seconds=ops.sl_seconds, short_abandon_s=ops.short_abandon_s).to_pandas()),
        ("journey_effort_summary", journey_summary),
        ("readiness.assess verdicts", lambda: readiness_result(0)),
        ("readiness checks (status, observed)", lambda: readiness_result(1)),
    ]


def run(label: str, open_session: Callable[[], Any]) -> tuple[Any, dict[str, tuple[Any, float, str | None]]]:
    out: dict[str, tuple[Any, float, str | None]] = {}
    t0 = time.perf_counter()
    try:
        s = open_session()
    except Exception as exc:
        msg = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        print(f"[{label}] open_engagement FAILED: {msg}", file=sys.stderr)
        traceback.print_exc()
        return None, {"open_engagement": (None, time.perf_counter() - t0, msg)}
    out["open_engagement"] = (repr(s), time.perf_counter() - t0, None)
    print(f"[{label}] opened {s!r} in {out['open_engagement'][1]:.1f} s", file=sys.stderr)
    for name, fn in diagnostics(s):
        t0 = time.perf_counter()
        try:
            value, err = fn(), None
        except Exception as exc:
            value, err = None, f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0][:300]}"
            print(f"[{label}] {name} FAILED: {err}", file=sys.stderr)
            traceback.print_exc(limit=-6)
        dt = time.perf_counter() - t0
        print(f"[{label}] {name}: {dt:.1f} s", file=sys.stderr)
        out[name] = (value, dt, err)
    return s, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", type=Path, default=ROOT / "bench" / "out" / "spark_check")
    ap.add_argument("--customers", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--file-format", default="parquet", choices=("parquet", "csv"))
    ap.add_argument("--defects", default="", help="comma-separated cxkit.generate.DEFECTS names")
    args = ap.parse_args(argv)

    folder: Path = args.folder
    if not (folder / "data" / "interactions.parquet").exists():
        defects = tuple(d for d in args.defects.split(",") if d)
        generate(folder / "data", seed=args.seed, customers=args.customers, file_format=args.file_format,
                 defects=defects)
    text = (ROOT / "engagements" / "demo" / "engagement.yaml").read_text(encoding="utf-8")
    if args.file_format == "csv":
        text = text.replace("data/interactions.parquet", "data/interactions.csv")
        text = text.replace("contacts: {adapter: cxkit_generator,", "contacts: {adapter: cxkit_generator, format: csv,")
    (folder / "engagement.yaml").write_text(text, encoding="utf-8")
    path = folder / "engagement.yaml"

    # local[2], small shuffles: the URL form builds the SparkSession with SparkSession.builder,
    # which takes the master and the config from these settings
    os.environ.setdefault("PYSPARK_SUBMIT_ARGS", f"--master {args.master} --driver-memory 4g --conf spark.sql.shuffle.partitions=4 pyspark-shell")

    _, duck = run("duckdb", lambda: cxkit.open_engagement(path))
    spark_session, spark = run("spark", lambda: cxkit.open_engagement(path, overrides={"backend": {"url": SPARK_URL}}))

    if spark_session is not None:
        sc = spark_session.con._session.sparkContext
        print(f"[spark] master={sc.master} shuffle.partitions="
              f"{spark_session.con._session.conf.get('spark.sql.shuffle.partitions')} "
              f"session.timeZone={spark_session.con._session.conf.get('spark.sql.session.timeZone')}", file=sys.stderr)
    rows, ok = [], True
    for name in duck:
        (a, ta, ea), (b, tb, eb) = duck[name], spark.get(name, (None, float("nan"), "not run"))
        if ea or eb:
            equal, note = False, f"FAILED on {'duckdb' if ea else 'spark'}: {ea or eb}"
        elif name == "open_engagement":
            equal, note = True, ""
        else:
            equal, note = compare(a, b)
        ok &= equal
        rows.append((name, "error" if ea else summary(a), "error" if eb else summary(b),
                     "yes" if equal else "NO", f"{ta:.1f}", f"{tb:.1f}", note))

    headers = ("diagnostic", "DuckDB", "Spark", "equal?", "DuckDB s", "Spark s", "note")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers[:-1])]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " | note"
    print(line)
    print("-" * len(line))
    for r in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths)) + " | " + r[-1][:400])

    if spark_session is not None:
        spark_session.con.disconnect()  # stops the SparkSession (and its JVM)
    print("\nALL EQUAL" if ok else "\nMISMATCH OR FAILURE (see table)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
