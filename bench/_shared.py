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
