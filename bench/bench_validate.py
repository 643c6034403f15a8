"""Time and peak memory of ``cxkit validate`` on generated contact centers.

Usage: ``python bench/bench_validate.py [contacts ...]`` (default: 1,000,000 and 10,000,000).
Each size is generated once into ``bench/out/<n>`` (kept between runs), then validated in a
fresh process so the peak resident memory (``ru_maxrss``) is the validation's own.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "out"  # git-ignored


def _generated(n_contacts: int) -> Path:
    from cxkit.generate import customers_for_contacts, generate

    folder = DATA / str(n_contacts)
    if not (folder / "data" / "truth.json").exists():
        shutil.rmtree(folder, ignore_errors=True)
        start = time.perf_counter()
        generate(folder / "data", seed=7, customers=customers_for_contacts(n_contacts))
        print(f"  generated {n_contacts:,} contacts in {time.perf_counter() - start:,.0f} s", flush=True)
    shutil.copy(ROOT / "engagements" / "demo" / "engagement.yaml", folder / "engagement.yaml")
    return folder


_CHILD = """
import json, resource, sys, time
from cxkit.readiness import validate
start = time.perf_counter()
run = validate(sys.argv[1], sys.argv[2])
seconds = time.perf_counter() - start
rows = next(s["rows_read"] for s in run.readiness.inventory if s["source"] == "contacts")
print(json.dumps({"seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "contacts_rows_read": rows, "exit_code": run.exit_code,
                  "failed": [c.id for c in run.readiness.failed]}))
"""


def _child_script() -> Path:
    """The child's code as a file: run with ``python -c``, PySpark (imported by Great
    Expectations when installed) takes the process for a doctest run and exits it with 0."""
    path = DATA / f"_child_{Path(__file__).stem}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_CHILD, encoding="utf-8")
    return path


def bench(n_contacts: int) -> dict:
    folder = _generated(n_contacts)
    out = folder / "out"
    proc = subprocess.run([sys.executable, str(_child_script()), str(folder / "engagement.yaml"), str(out)],
                          capture_output=True, text=True, check=True)
    return {"contacts": n_contacts, **json.loads(proc.stdout.strip().splitlines()[-1])}


def main(argv: list[str]) -> None:
    sizes = [int(a.replace("_", "")) for a in argv] or [1_000_000, 10_000_000]
    for n in sizes:
        r = bench(n)
        print(f"{r['contacts']:>12,} contacts ({r['contacts_rows_read']:,} rows read): "
              f"{r['seconds']:,.1f} s, peak RSS {r['peak_rss_mb']:,.0f} MB, exit {r['exit_code']}, "
              f"failed {r['failed']}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
