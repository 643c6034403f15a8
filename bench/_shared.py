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


def contact_grain(n_contacts: int, *, keyed: bool = True) -> Path:
    """The engagement of :func:`generated` with its contacts export at contact grain (one row
    per contact, as a contact-record export or a CSV from a reporting tool delivers it), in
    ``bench/out/<n>-contact``: the legs folded once by DuckDB
    (:func:`cxkit.testing.contact_grain_copy`), every other export the same files. A
    contact-grain export takes other paths than legs: no fold, and its contact ids are unique
    by its de-duplication key (:func:`cxkit.loading.deduplicated_by_contact_id`); without that
    key (``keyed=False``: the engagement file ``engagement_unkeyed.yaml`` beside it, with no
    ``dedup``) journeys and joins take the arrival too. Returns the engagement file."""
    import yaml

    from cxkit.testing import contact_grain_copy, contact_grain_source

    legs_folder = generated(n_contacts)
    folder = DATA / f"{n_contacts}-contact"
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    for f in (legs_folder / "data").iterdir():
        if f.name != "interactions.parquet" and not (data / f.name).exists():
            (data / f.name).symlink_to(f)
    target = data / "interactions_by_contact.parquet"
    if not target.exists():
        start = time.perf_counter()
        contact_grain_copy(legs_folder / "data" / "interactions.parquet", target)
        print(f"  folded {n_contacts:,} contacts to contact grain in {time.perf_counter() - start:,.0f} s", flush=True)
    spec = yaml.safe_load((legs_folder / "engagement.yaml").read_text())
    contacts = contact_grain_source("data/interactions_by_contact.parquet")
    if not keyed:
        contacts.pop("dedup")
    spec["sources"]["contacts"] = contacts
    spec["name"] = f"{spec['name']}_contact_grain"
    path = folder / ("engagement.yaml" if keyed else "engagement_unkeyed.yaml")
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


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
