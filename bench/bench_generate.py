"""Benchmark of the synthetic generator: wall time and peak memory for a number of contacts.

Usage: ``python bench/bench_generate.py --contacts 1000000 [--out bench/out/gen] [--format parquet]``
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from pathlib import Path

from cxkit.generate import customers_for_contacts, generate


def main(argv: list[str] | None = None) -> int:
    """Run one generation and print contacts, rows, seconds and peak RSS."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=31)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--format", default="parquet", choices=("parquet", "csv"))
    ap.add_argument("--out", default="bench/out/generate")
    ap.add_argument("--keep", action="store_true", help="keep the files written")
    args = ap.parse_args(argv)
    out = Path(args.out)
    customers = customers_for_contacts(args.contacts, args.days)
    t0 = time.perf_counter()
    truth_path = generate(out, seed=args.seed, customers=customers, days=args.days, file_format=args.format)
    seconds = time.perf_counter() - t0
    # ru_maxrss is in KiB on Linux
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    counts = json.loads(truth_path.read_text())["counts"]
    size_mib = sum(p.stat().st_size for p in out.iterdir()) / 2**20
    print(
        f"contacts requested={args.contacts:,} customers={customers:,} interactions={counts['interactions']:,} "
        f"legs={counts['legs']:,} seconds={seconds:.1f} peak_rss_mib={peak_mib:.0f} files_mib={size_mib:.0f}"
    )
    if not args.keep:
        shutil.rmtree(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
