"""Where the time of a whole diagnostic goes: every engine call, timed and named by its caller.

Usage: ``python bench/bench_profile.py [--contacts N] [--top K]`` (default 1,000,000 contacts,
the 30 largest callers). Runs ``cxkit.pipeline.prepare_run`` (load, readiness, every result;
no notebooks) on the generated engagement of ``bench/out/<n>`` in this process, with each call
of the DuckDB backend that runs a query (``execute``, ``to_pyarrow``, ``to_parquet``,
``create_table``, ``raw_sql``) timed and attributed to the innermost cxkit functions that made
it, and to the progress step it was in (each result's own). A call made inside another is
counted once, in the outer one. The hooks cost little, but the total is a little above
``bench_run.py``'s "all diagnostics": compare stages and callers between runs of this script.

To see inside one query, DuckDB's own profiler: ``SET enable_profiling='query_tree_optimizer';
SET profiling_output='<file>'`` on the session's connection before the call.
"""

from __future__ import annotations

import argparse
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


def _stage(step: str) -> str:
    for prefix, stage in (("Loading", "load"), ("Checking data readiness", "readiness"), ("Computing", "results")):
        if step.startswith(prefix):
            return stage
    return step


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    folder = generated(args.contacts)

    from cxkit.config import load_engagement
    from cxkit.pipeline import prepare_run

    calls = EngineCalls()
    calls.install()
    stages: dict[str, float] = defaultdict(float)
    marks: list[tuple[float, str]] = []

    def progress(step: str, fraction: float) -> None:
        calls.step = step
        marks.append((time.perf_counter(), _stage(step)))

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cxkit-profile-") as run_dir:
        prepare_run(load_engagement(folder / "engagement.yaml"), Path(run_dir), progress=progress)
    total = time.perf_counter() - start
    for (t0, stage), (t1, _) in zip(marks, [*marks[1:], (start + total, "end")]):
        stages[stage] += t1 - t0
    timed = sum(calls.seconds.values())
    print(f"{args.contacts:,} contacts: prepare_run {total:,.1f} s, of which engine calls {timed:,.1f} s")
    for stage, seconds in stages.items():
        print(f"  {stage:<28} {seconds:>8,.1f} s")
    print(f"the {args.top} largest callers (progress step | innermost cxkit frames, inner first):")
    for key, seconds in sorted(calls.seconds.items(), key=lambda kv: -kv[1])[: args.top]:
        step, caller = key
        print(f"  {seconds:>7,.2f} s {calls.count[key]:>4}x  {step[:40]:<40} | {caller}")


if __name__ == "__main__":
    main(sys.argv[1:])
