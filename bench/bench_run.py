"""Wall time and peak memory of the whole ``cxkit run`` (every section, rendered), per stage.

Usage::

    python bench/bench_run.py --contacts 1000000 [--contacts 10000000] [--renderer nbconvert]
    python bench/bench_run.py --contacts 1000000 --stage prepare   # load, readiness, results only
    python bench/bench_run.py --contacts 10000000 --database       # tables in a DuckDB file
    python bench/bench_run.py --contacts 10000000 --grain contact  # contacts exported one row each
    python bench/bench_run.py --contacts 10000000 --grain contact-unkeyed  # ... with no key on the id

Each size is generated once into ``bench/out/<n>`` (kept between runs; the same data
``bench_validate.py`` uses). With ``--grain contact`` the contacts export is those legs folded
into one row per contact (``bench/out/<n>-contact``, :func:`_shared.contact_grain`): the paths
a contact-grain export takes (no legs; contact ids unique by the export's key on them, or with
``contact-unkeyed`` ids that may repeat). The run goes through :func:`cxkit.report.build_report` with
:func:`cxkit.pipeline.prepare_run`, exactly as ``cxkit run`` does, in a child process; a
sampler polls the resident memory of the whole process tree (the run and every notebook
kernel) every 0.2 s, so the peak includes the kernels. Stage times come from the run's
``run.json`` (prepare = load + readiness + every result; one line per notebook; combine;
render); the peak of each stage is the highest tree RSS sampled while it ran. The hand-written
FCR query of ``bench_fcr_end_to_end.py`` runs just before as the machine's speed reference (its
seconds and the run's ratio to it are printed): compare runs of different hours by that ratio.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from _shared import DATA, ROOT, child_script, contact_grain, generated, reference_seconds

_CHILD = """
import json, sys, time
from pathlib import Path
from cxkit.config import load_engagement
from cxkit.pipeline import prepare_run
from cxkit.report import build_report
marks = []
def say(step, f):
    marks.append((time.time(), step))
e = load_engagement(sys.argv[1], json.loads(sys.argv[6]))
stage = sys.argv[4]
if stage == "prepare":
    prepare_run(e, Path(sys.argv[2]) / "prepare-only", progress=say)
    print(json.dumps({"marks": marks}))
    sys.exit(0)
sections = [Path(sys.argv[5]) / f"{s}.ipynb" for s in e.report.sections]
index = build_report(sections, {"engagement": sys.argv[1]}, Path(sys.argv[2]), e.name, "bench", None,
                     renderer=sys.argv[3], progress=say, prepare=lambda d, p: prepare_run(e, d, progress=p))
print(json.dumps({"index": str(index), "marks": marks}))
"""


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def run_once(n_contacts: int, renderer: str, stage: str, overrides: dict | None = None, grain: str = "leg") -> dict:
    if grain == "leg":
        engagement = generated(n_contacts) / "engagement.yaml"
    else:
        engagement = contact_grain(n_contacts, keyed=grain == "contact")
    folder = engagement.parent
    reports = folder / "reports"
    shutil.rmtree(reports, ignore_errors=True)
    samples: list[tuple[float, int]] = []
    started = time.time()
    child = subprocess.Popen(
        [sys.executable, str(child_script(_CHILD, "bench_run")), str(engagement), str(reports), renderer, stage,
         str(ROOT / "notebooks"), json.dumps(overrides or {})],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    watched = psutil.Process(child.pid)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append((time.time(), _tree_rss(watched)))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    done.set()
    sampler.join()
    wall = time.time() - started
    if child.returncode != 0:
        raise SystemExit(f"the run failed ({child.returncode}):\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    peak = max(rss for _, rss in samples) if samples else 0
    # stages: from one progress step to the next, named by where the run said it was
    marks = [(t, step) for t, step in result["marks"]]
    stages: list[dict] = []
    for (t0, step), (t1, _) in zip(marks, [*marks[1:], (time.time(), "end")]):
        label = _stage(step)
        rss = max((r for t, r in samples if t0 <= t <= t1), default=0)
        if stages and stages[-1]["stage"] == label:
            stages[-1]["seconds"] += t1 - t0
            stages[-1]["peak_mb"] = max(stages[-1]["peak_mb"], rss / 2**20)
        else:
            stages.append({"stage": label, "seconds": t1 - t0, "peak_mb": rss / 2**20})
    per_notebook = {}
    if "index" in result:
        record = json.loads((Path(result["index"]).parent / "run.json").read_text())
        per_notebook = record["timings_seconds"].get("execute", {})
    return {"contacts": n_contacts, "wall_s": wall, "peak_tree_mb": peak / 2**20, "stages": stages,
            "notebooks": per_notebook}


#: the stages that compute (no rendering): the issue's "all diagnostics together"
_PREPARE = ("load", "readiness", "results (every diagnostic)", "Evaluating findings")


def _stage(step: str) -> str:
    if step.startswith("Running "):
        # the sections run side by side (cxkit.report.notebook_workers): one stage; each
        # notebook's own time is printed from run.json
        return "notebooks"
    if step == "Results ready":
        return "results saved, starting the notebooks"
    if step.startswith("Computing"):
        return "results (every diagnostic)"
    if step.startswith("Checking data readiness"):
        return "readiness"
    if step.startswith("Loading"):
        return "load"
    return step


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=lambda s: int(s.replace("_", "")), action="append")
    parser.add_argument("--renderer", default="nbconvert", choices=["nbconvert", "quarto"])
    parser.add_argument("--stage", default="run", choices=["run", "prepare"])
    parser.add_argument("--database", action="store_true",
                        help="keep the tables in a DuckDB file (backend.database) instead of in memory")
    parser.add_argument("--memory-limit", help="backend.memory_limit, e.g. 3GB (default: cxkit's)")
    parser.add_argument("--grain", default="leg", choices=["leg", "contact", "contact-unkeyed"],
                        help="the contacts export's grain: the generator's legs, or one row per contact "
                             "(de-duplicated by the contact id, or with no key: ids that may repeat)")
    args = parser.parse_args(argv)
    backend: dict = {}
    if args.database:
        backend["database"] = "work/bench.duckdb"
    if args.memory_limit:
        backend["memory_limit"] = args.memory_limit
    for n in args.contacts or [1_000_000]:
        if args.database:
            (DATA / str(n) / "work" / "bench.duckdb").unlink(missing_ok=True)
        reference = reference_seconds(generated(n))
        r = run_once(n, args.renderer, args.stage, {"backend": backend} if backend else None, args.grain)
        if backend:
            print(f"backend: {backend}")
        if args.grain != "leg":
            print(f"contacts export at contact grain (one row per contact{', no key' if args.grain != 'contact' else ''})")
        print(f"{r['contacts']:,} contacts: {r['wall_s']:,.0f} s wall, peak tree RSS {r['peak_tree_mb']:,.0f} MB "
              f"({r['wall_s'] / r['contacts'] * 1e6:,.1f} s per million contacts)")
        print(f"  machine reference: the hand-written FCR query took {reference:,.1f} s just before; "
              f"the run took {r['wall_s'] / reference:,.1f} times that")
        for s in r["stages"]:
            print(f"  {s['stage']:<42} {s['seconds']:>8,.1f} s {s['peak_mb']:>8,.0f} MB")
            if s["stage"] == "notebooks":
                for name, seconds in r["notebooks"].items():
                    print(f"    {name:<40} {seconds:>8,.1f} s (its kernel)")
        prepared = [s for s in r["stages"] if s["stage"] in _PREPARE]
        if prepared:
            print(f"  {'all diagnostics (' + ' + '.join(_PREPARE) + ')':<42} "
                  f"{sum(s['seconds'] for s in prepared):>8,.1f} s {max(s['peak_mb'] for s in prepared):>8,.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
