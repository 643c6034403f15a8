"""Time and peak memory of each resolution / operations diagnostic on a generated center.

Usage::

    .venv/bin/python bench/bench_diagnostics.py --contacts 1000000          # generate + bench
    .venv/bin/python bench/bench_diagnostics.py --folder bench/out/c1000000  # bench existing data

The data is written by ``cxkit.generate`` into ``bench/out/c<N>/data`` and opened through the
demo engagement (copied beside it). The canonical contacts are first written to one Parquet
file so that the cxkit FCR and a hand-written single DuckDB SQL query read exactly the same
input; the two results must be equal and the ratio of their times is printed.

Memory: the process's peak resident set size during each call, sampled every 10 ms (DuckDB
runs in-process, so it is included), shown as the growth over the size before the call and as
the absolute peak. DuckDB keeps its buffer pool between calls, so growth understates what a
call would need on its own; the absolute peak bounds it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ibis
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cxkit  # noqa: E402
from cxkit import journey as J  # noqa: E402
from cxkit import operations as O  # noqa: E402
from cxkit import perception as P  # noqa: E402
from cxkit import resolution as R  # noqa: E402

HAND_SQL = """
WITH c AS (
    SELECT contact_id, customer_id, arrived_at, outcome,
           greatest(coalesce(ended_at, arrived_at), arrived_at) AS e
    FROM read_parquet('{path}')
    WHERE direction = 'inbound' AND customer_id IS NOT NULL AND trim(customer_id) <> ''
),
el AS (SELECT * FROM c WHERE outcome = 'handled'),
rep AS (
    SELECT DISTINCT el.contact_id
    FROM el JOIN c AS l
      ON l.customer_id = el.customer_id
     AND l.contact_id <> el.contact_id
     AND l.arrived_at >= el.e
     AND l.arrived_at <= el.e + INTERVAL 604800 SECOND
     AND l.arrived_at > el.arrived_at
)
SELECT count(*) FILTER (WHERE el.e + INTERVAL 604800 SECOND <= TIMESTAMPTZ '{eod}' AND rep.contact_id IS NULL) AS numerator,
       count(*) FILTER (WHERE el.e + INTERVAL 604800 SECOND <= TIMESTAMPTZ '{eod}') AS denominator
FROM el LEFT JOIN rep ON rep.contact_id = el.contact_id
"""


class PeakRSS:
    """Peak resident set size of this process while the block runs (sampled)."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval, self.proc = interval, psutil.Process()

    def __enter__(self) -> PeakRSS:
        self.base = self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(self.interval)

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)

    @property
    def delta_mb(self) -> float:
        return (self.peak - self.base) / 2**20


def measure(name: str, fn: Callable[[], Any]) -> tuple[float, Any]:
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t0
    rows = len(result) if hasattr(result, "__len__") else 1
    print(f"{name:<36} {dt:8.2f} s {mem.delta_mb:9.0f} MB {mem.peak / 2**20:9.0f} MB  ({rows} rows)", flush=True)
    return dt, result


def prepare(contacts: int | None, folder: Path | None, seed: int) -> Path:
    if folder is None:
        from cxkit.generate import customers_for_contacts, generate

        folder = ROOT / "bench" / "out" / f"c{contacts}"
        if not (folder / "data" / "truth.json").exists():
            t0 = time.perf_counter()
            generate(folder / "data", seed=seed, customers=customers_for_contacts(contacts))
            print(f"generated {contacts:,} contacts in {time.perf_counter() - t0:.1f} s")
    if not (folder / "engagement.yaml").exists():
        shutil.copy(ROOT / "engagements" / "demo" / "engagement.yaml", folder / "engagement.yaml")
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--folder", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of the FCR and the hand SQL (best is used)")
    args = ap.parse_args()

    folder = prepare(args.contacts, args.folder, args.seed)
    s = cxkit.open_engagement(folder / "engagement.yaml")
    if args.threads:
        s.con.raw_sql(f"SET threads = {args.threads}")
    eod = s.end_of_data
    canon = folder / "contacts_canonical.parquet"
    t0 = time.perf_counter()
    s.table("contacts").to_parquet(canon)
    print(f"canonical contacts loaded and written in {time.perf_counter() - t0:.1f} s -> {canon.name}")

    con = s.con
    contacts = con.read_parquet(canon, table_name="bench_contacts")
    n = contacts.count().execute()
    threads = con.raw_sql("SELECT current_setting('threads')").fetchone()[0]
    print(f"\n{n:,} contacts; end of data {eod.isoformat()}; DuckDB threads {threads}\n")
    print(f"{'diagnostic':<36} {'time':>10} {'peak - base':>12} {'peak RSS':>9}")

    w = dict(end_of_data=eod)
    # the FCR and the hand-written query run --repeat times each; the ratio uses the best of each
    fcr_times = []
    for k in range(args.repeat):
        t, fcr = measure(f"fcr_repeat (7 d) run {k + 1}", lambda: R.fcr_repeat(contacts, **w).to_pandas())
        fcr_times.append(t)
    t_fcr = min(fcr_times)
    benches: dict[str, Callable[[], Any]] = {
        "repeat_flags (7 d, all rows)": lambda: R.repeat_flags(contacts, **w).aggregate(
            n=ibis._.count(), r=ibis._.has_repeat.sum()
        ).to_pandas(),
        "fcr_transfer_adjusted": lambda: R.fcr_transfer_adjusted(contacts, **w).to_pandas(),
        "repeat_share": lambda: R.repeat_share(contacts).to_pandas(),
        "fcr_sensitivity (5 windows x 2)": lambda: R.fcr_sensitivity(contacts, **w).to_pandas(),
        "time_to_recontact": lambda: R.time_to_recontact(contacts, **w).to_pandas(),
        "fcr_breakdown (reason)": lambda: R.fcr_breakdown(contacts, by="contact_reason", **w).to_pandas(),
        "fcr_breakdown (agent_id)": lambda: R.fcr_breakdown(contacts, by="agent_id", **w).to_pandas(),
        "fcr_weekly_trend": lambda: R.fcr_weekly_trend(contacts, **w).to_pandas(),
        "aht_vs_fcr (agent)": lambda: R.aht_vs_fcr(contacts, **w).to_pandas(),
        "repeat_after_transfer": lambda: R.repeat_after_transfer(contacts, **w).to_pandas(),
        "recontact_curve (life table)": lambda: R.recontact_curve(contacts, **w).to_pandas(),
        "aht_vs_fcr_within_team": lambda: R.aht_vs_fcr_within_team(contacts, **w).to_pandas(),
        "journeys -> journey_effort_summary": lambda: J.journey_effort_summary(J.journeys(contacts, **w)).to_pandas(),
        "effort_decomposition (reason)": lambda: J.effort_decomposition(J.journeys(contacts, **w)).to_pandas(),
        "journey_variants (channel, top 10)": lambda: J.journey_variants(
            J.journey_contacts(contacts, **w), J.journeys(contacts, **w)
        ).to_pandas(),
        "transitions (channel)": lambda: J.transitions(J.journey_contacts(contacts, **w), J.journeys(contacts, **w)).to_pandas(),
        "callbacks_kept": lambda: P.callbacks_kept(contacts, end_of_data=eod).to_pandas(),
        "operations_summary (channel)": lambda: O.operations_summary(contacts).to_pandas(),
        "queue_profile (day)": lambda: O.queue_profile(contacts).to_pandas(),
    }
    if s.table("cases") is not None:
        benches["fcr_case"] = lambda: R.fcr_case(contacts, s.table("cases")).to_pandas()
    if s.table("legs") is not None:
        benches["transfer_ping_pong (legs)"] = lambda: R.transfer_ping_pong(s.table("legs")).to_pandas()
    for name, fn in benches.items():
        measure(name, fn)

    sql = HAND_SQL.format(path=str(canon).replace("'", "''"), eod=eod.isoformat())
    sql_times = []
    for k in range(args.repeat):
        t, hand = measure(f"hand-written DuckDB SQL FCR run {k + 1}", lambda: con.raw_sql(sql).fetchdf())
        sql_times.append(t)
    t_sql = min(sql_times)
    ours = (int(fcr.numerator[0]), int(fcr.denominator[0]))
    theirs = (int(hand.numerator[0]), int(hand.denominator[0]))
    print(f"\nFCR cxkit {ours} vs hand SQL {theirs}: {'equal' if ours == theirs else 'DIFFERENT'}")
    print(f"time ratio cxkit / hand SQL (best of {args.repeat}) = {t_fcr:.2f} s / {t_sql:.2f} s = {t_fcr / t_sql:.2f}")


if __name__ == "__main__":
    main()
