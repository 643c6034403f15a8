"""Time and peak memory of ``cxkit validate`` on generated contact centers.

Usage: ``python bench/bench_validate.py [--contacts N ...]`` (default: 1,000,000 and 10,000,000),
as the other benches take it.
Each size is generated once into ``bench/out/<n>`` (kept between runs), then validated in a
fresh process so the peak resident memory (``ru_maxrss``) is the validation's own. The
hand-written FCR query of ``bench_fcr_end_to_end.py`` runs just before as the machine's speed
reference (its seconds and the ratio are printed).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from _shared import child_script, generated, reference_seconds


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


def bench(n_contacts: int) -> dict:
    folder = generated(n_contacts)
    reference = reference_seconds(folder)
    out = folder / "out"
    proc = subprocess.run([sys.executable, str(child_script(_CHILD, "bench_validate")), str(folder / "engagement.yaml"), str(out)],
                          capture_output=True, text=True, check=True)
    return {"contacts": n_contacts, "reference_s": reference, **json.loads(proc.stdout.strip().splitlines()[-1])}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=lambda s: int(s.replace("_", "")), action="append",
                        help="contacts to generate and validate (repeatable; default 1,000,000 and 10,000,000)")
    for n in parser.parse_args(argv).contacts or [1_000_000, 10_000_000]:
        r = bench(n)
        print(f"{r['contacts']:>12,} contacts ({r['contacts_rows_read']:,} rows read): "
              f"{r['seconds']:,.1f} s, peak RSS {r['peak_rss_mb']:,.0f} MB, exit {r['exit_code']}, "
              f"failed {r['failed']}", flush=True)
        print(f"  machine reference: the hand-written FCR query took {r['reference_s']:,.1f} s just before; "
              f"validate took {r['seconds'] / r['reference_s']:,.1f} times that", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
