"""Where the time of a whole diagnostic goes: every engine call, timed and named by its caller.

Usage: ``python bench/bench_profile.py [--contacts N] [--top K] [--validate] [--writes]``
(default 1,000,000 contacts, the 30 largest callers). Runs ``cxkit.pipeline.prepare_run``
(load, readiness, every result; no notebooks), or with ``--validate`` ``cxkit validate``
(Data Docs included), on the generated engagement of ``bench/out/<n>`` in this process, with each call
of the DuckDB backend that runs a query (``execute``, ``to_pyarrow``, ``to_parquet``,
``create_table``, ``raw_sql``) timed and attributed to the innermost cxkit functions that made
it, and to the progress step it was in (each result's own). A call made inside another is
counted once, in the outer one. The hooks cost little, but the total is a little above
``bench_run.py``'s "all diagnostics": compare stages and callers between runs of this script.

It also prints the process's CPU seconds (user and system): on 2 cores a wall-clock target of
T seconds needs the work to fit in under 2T CPU seconds. With ``--writes``, each table the
session computes once (``Session.materialize``) is profiled by DuckDB (its JSON profile) and its
CPU seconds are printed beside the share spent writing it as Parquet (the ``COPY_TO_FILE``
operator): what computing tables once costs, against what the queries over them cost.

To see inside one query, DuckDB's own profiler: ``SET enable_profiling='query_tree_optimizer';
SET profiling_output='<file>'`` on the session's connection before the call.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
import traceback
from collections import defaultdict
from pathlib import Path

from _shared import ROOT, generated

sys.path.insert(0, str(ROOT))

import ibis.backends.duckdb as duckdb_backend  # noqa: E402

import cxkit  # noqa: E402

#: the frames that name a caller: cxkit's own (the session's connection helpers left out)
_PACKAGE = str(Path(cxkit.__file__).resolve().parent)

_CALLS = ("execute", "to_pyarrow", "to_pyarrow_batches", "to_parquet", "create_table", "raw_sql")


class EngineCalls:
    """Seconds and counts of the backend's query calls, by (progress step, caller)."""

    def __init__(self, depth: int = 3) -> None:
        self.depth = depth
        self.step = "start"
        self.seconds: dict[tuple[str, str], float] = defaultdict(float)
        self.count: dict[tuple[str, str], int] = defaultdict(int)
        self._inside = 0

    def caller(self) -> str:
        frames = [f for f in traceback.extract_stack()
                  if f.filename.startswith(_PACKAGE) and not f.filename.endswith("connection.py")]
        return " < ".join(f"{Path(f.filename).stem}.{f.name}:{f.lineno}" for f in reversed(frames[-self.depth:]))

    def install(self) -> None:
        for name in _CALLS:
            original = getattr(duckdb_backend.Backend, name)
            setattr(duckdb_backend.Backend, name, self._timed(original))

    def _timed(self, original):
        def call(backend, *args, **kwargs):
            if self._inside:
                return original(backend, *args, **kwargs)
            self._inside += 1
            start = time.perf_counter()
            try:
                return original(backend, *args, **kwargs)
            finally:
                self._inside -= 1
                key = (self.step, self.caller())
                self.seconds[key] += time.perf_counter() - start
                self.count[key] += 1
        return call


class TableWrites:
    """DuckDB's JSON profile of each table a session computes once (``Session.materialize``):
    the query's CPU seconds and those of its Parquet writer, by table label."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.tables: list[tuple[str, float, float, float]] = []  # label, latency, cpu, writing

    def install(self) -> None:
        from cxkit.session import Session

        original = Session.materialize
        writes = self

        def materialize(session, t, label="table"):
            if session._tables_dir is None or not session.engagement.backend.materialize:
                return original(session, t, label)  # kept in the engine, not written
            out = writes.folder / f"{len(writes.tables):03d}.json"
            duck = session.con.con  # the DuckDB connection itself: these settings are not queries
            duck.execute("SET enable_profiling='json'")
            duck.execute(f"SET profiling_output='{out}'")
            try:
                return original(session, t, label)
            finally:
                duck.execute("PRAGMA disable_profiling")
                if out.exists():  # not when the query failed
                    writes.tables.append((label, *_profiled(out)))

        Session.materialize = materialize

    def report(self, top: int) -> None:
        latency = sum(t[1] for t in self.tables)
        cpu = sum(t[2] for t in self.tables)
        writing = sum(t[3] for t in self.tables)
        print(f"{len(self.tables)} tables computed once: {latency:,.1f} s, {cpu:,.1f} CPU s, of which "
              f"writing Parquet {writing:,.1f} CPU s ({writing / cpu:.0%})" if cpu else "no table written")
        for label, lat, c, w in sorted(self.tables, key=lambda t: -t[2])[:top]:
            print(f"  {label:<20} {lat:>7,.2f} s {c:>7,.2f} CPU s, writing {w:>6,.2f} CPU s")


def _profiled(path: Path) -> tuple[float, float, float]:
    """(latency, CPU seconds, seconds of the COPY_TO_FILE operator) of a DuckDB JSON profile."""
    profile = json.loads(path.read_text())
    writing = sum(op.get("operator_timing", 0.0) for op in profile.get("children", [])
                  if (op.get("operator_name") or op.get("operator_type")) == "COPY_TO_FILE")
    return profile.get("latency", 0.0), profile.get("cpu_time", 0.0), writing


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _stage(step: str) -> str:
    for prefix, stage in (("Loading", "load"), ("Checking data readiness", "readiness"), ("Computing", "results")):
        if step.startswith(prefix):
            return stage
    return step


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--validate", action="store_true", help="profile cxkit validate instead of the run")
    parser.add_argument("--writes", action="store_true", help="DuckDB's profile of each table computed once")
    args = parser.parse_args(argv)
    folder = generated(args.contacts)

    from cxkit.config import load_engagement
    from cxkit.pipeline import prepare_run
    from cxkit.readiness import validate

    calls = EngineCalls()
    calls.install()
    stages: dict[str, float] = defaultdict(float)
    marks: list[tuple[float, str]] = []

    def progress(step: str, fraction: float) -> None:
        calls.step = step
        marks.append((time.perf_counter(), _stage(step)))

    with tempfile.TemporaryDirectory(prefix="cxkit-profile-") as tmp:
        writes = TableWrites(Path(tmp))
        if args.writes:
            writes.install()
        cpu, start = _cpu_seconds(), time.perf_counter()
        if args.validate:
            calls.step = "validate"
            validate(folder / "engagement.yaml", Path(tmp) / "validation")
        else:
            prepare_run(load_engagement(folder / "engagement.yaml"), Path(tmp) / "run", progress=progress)
        total, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    for (t0, stage), (t1, _) in zip(marks, [*marks[1:], (start + total, "end")]):
        stages[stage] += t1 - t0
    timed = sum(calls.seconds.values())
    command = "validate" if args.validate else "prepare_run"
    print(f"{args.contacts:,} contacts: {command} {total:,.1f} s, of which engine calls {timed:,.1f} s; "
          f"{cpu:,.1f} CPU s ({cpu / total:.2f} cores busy on average)")
    for stage, seconds in stages.items():
        print(f"  {stage:<28} {seconds:>8,.1f} s")
    if args.writes:
        writes.report(args.top)
    print(f"the {args.top} largest callers (progress step | innermost cxkit frames, inner first):")
    for key, seconds in sorted(calls.seconds.items(), key=lambda kv: -kv[1])[: args.top]:
        step, caller = key
        print(f"  {seconds:>7,.2f} s {calls.count[key]:>4}x  {step[:40]:<40} | {caller}")


if __name__ == "__main__":
    main(sys.argv[1:])
