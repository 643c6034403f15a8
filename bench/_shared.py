"""What the benchmarks share: the generated engagements they measure, and their child processes."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "out"  # git-ignored


def generated(n_contacts: int) -> Path:
    """The folder of a generated engagement of about ``n_contacts`` contacts (seed 7), generated
    on first use and kept in ``bench/out/<n>``; its engagement file is the demo's."""
    from cxkit.generate import customers_for_contacts, generate

    folder = DATA / str(n_contacts)
    if not (folder / "data" / "truth.json").exists():
        shutil.rmtree(folder, ignore_errors=True)
        start = time.perf_counter()
        generate(folder / "data", seed=7, customers=customers_for_contacts(n_contacts))
        print(f"  generated {n_contacts:,} contacts in {time.perf_counter() - start:,.0f} s", flush=True)
    shutil.copy(ROOT / "engagements" / "demo" / "engagement.yaml", folder / "engagement.yaml")
    return folder


def child_script(code: str, name: str) -> Path:
    """``code`` as a file to run in a child process. Not ``python -c``: there, PySpark (which
    Great Expectations imports when it is installed) takes the process for a doctest run and
    exits it with 0."""
    path = DATA / f"_child_{name}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(code, encoding="utf-8")
    return path


def reference_seconds(folder: Path) -> float:
    """Seconds the hand-written FCR query of ``bench_fcr_end_to_end.py`` takes on ``folder``'s
    export, run just before a measurement: this machine's speed varies (the same query took
    13 s and 27 s on different hours), so figures measured at different times compare by
    their ratio to this reference, not by their seconds. The query runs twice and the faster
    time counts (one first read of the export took 17.2 s against 13.0-13.8 s). It runs in a
    process of its own: a child forked from a process that held its memory would report that
    memory as its own peak (``ru_maxrss`` survives fork and exec)."""
    import subprocess
    import sys

    code = (f"import sys, time\nsys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
            "from pathlib import Path\nfrom bench_fcr_end_to_end import hand_sql\n"
            "t = time.perf_counter()\nhand_sql(Path(sys.argv[1]))\nprint(time.perf_counter() - t)\n")
    script = str(child_script(code, "reference"))
    times = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, script, str(folder)], capture_output=True, text=True, check=True)
        times.append(float(proc.stdout.strip().splitlines()[-1]))
    return min(times)
