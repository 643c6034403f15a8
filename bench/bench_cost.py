"""Time and peak memory of the cost, capacity and scenario computations on a generated center.

Usage::

    .venv/bin/cxkit generate /tmp/gen1m --contacts 1000000
    .venv/bin/python bench/bench_cost.py --data /tmp/gen1m
    .venv/bin/python bench/bench_cost.py --data /tmp/gen1m --results alone   # the cost results only
    .venv/bin/python bench/bench_cost.py --data /tmp/gen1m --results run     # a whole run (prepare_run)

Without ``--results`` the cost functions are called one by one (each intermediate computed
for the cost section alone). ``--results alone`` times ``compute_results`` for the cost
section's results only (it then builds the repeat flags and the journeys itself and recomputes
FCR by reason and repeats after a transfer); ``--results run`` times a whole run and reads each
result's seconds from the manifest: there the cost results reuse what the resolution and
journey results already built.

The data folder is opened through the demo engagement (copied beside it, in a temporary folder).
The canonical tables are materialised once (``Session.table``) before timing, as a run does;
``repeat_counts`` is cached once and every cost table rolls it up, as the results layer would.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cxkit  # noqa: E402
from cxkit import capacity as K  # noqa: E402
from cxkit import cost as C  # noqa: E402
from cxkit import scenarios as S  # noqa: E402


def timed(label: str, fn: Callable[[], Any]) -> Any:
    proc = psutil.Process()
    peak = [proc.memory_info().rss]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.01)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    stop.set()
    th.join()
    print(f"{label:<48} {dt:7.2f} s   peak {peak[0] / 2**30:5.2f} GiB", flush=True)
    return out


def through_results(folder: Path, mode: str) -> None:
    """The cost section through the results layer, alone or within a whole run."""
    import json

    from cxkit.pipeline import prepare_run
    from cxkit.results import RESULTS, compute_results

    names = [n for n, spec in RESULTS.items() if spec.section == "cost"]
    run = folder / "run"
    print(f"machine load (1, 5, 15 min): {os.getloadavg()}")
    if mode == "alone":
        s = timed("open engagement", lambda: cxkit.open_engagement(folder / "engagement.yaml"))
        timed("materialise contacts", lambda: s.table("contacts"))
        timed("materialise intervals", lambda: s.table("intervals"))
        timed(f"compute_results: the {len(names)} cost results alone", lambda: compute_results(s, run, names=names))
    else:
        timed("prepare_run: readiness and every result", lambda: prepare_run(folder / "engagement.yaml", run))
    manifest = json.loads((run / "results" / "manifest.json").read_text())
    cost = {n: manifest["results"][n].get("seconds") or 0.0 for n in names}
    for n, sec in cost.items():
        print(f"  {n:<32} {sec:7.2f} s")
    print(f"cost section: {sum(cost.values()):.2f} s of {manifest['seconds']:.2f} s of results "
          f"(load now {os.getloadavg()[0]:.1f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="folder written by cxkit generate")
    ap.add_argument("--results", choices=["alone", "run"], help="time through the results layer")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copy(ROOT / "engagements" / "demo" / "engagement.yaml", folder / "engagement.yaml")
        (folder / "data").symlink_to(Path(args.data).resolve())
        if args.results:
            through_results(folder, args.results)
            return
        s = timed("open engagement", lambda: cxkit.open_engagement(folder / "engagement.yaml"))
        e = s.engagement
        c = timed("materialise contacts", lambda: s.table("contacts"))
        iv = timed("materialise intervals", lambda: s.table("intervals"))
        print(f"contacts: {c.count().execute():,}")
        total = time.perf_counter()
        period = timed("data_period", lambda: C.data_period(c, e.timezone))
        prices = timed("channel_prices", lambda: C.channel_prices(c, e.cost).cache())
        counts = timed("repeat_counts (the pairing pass, cached)", lambda: C.repeat_counts(c).cache())
        for by in ("channel", "contact_reason", "queue", "team", None):
            timed(f"repeat_cost by {by}", lambda by=by: C.repeat_cost(counts, prices, period, by=by).execute())
        reasons = ["BALANCE_ENQUIRY", "ADDRESS_CHANGE"]
        timed("failure_demand", lambda: C.failure_demand(counts, prices, period, reasons).execute())
        timed("avoidable_cost", lambda: C.avoidable_cost(counts, prices, period, reasons).execute())
        from cxkit.journey import journey_contacts

        jc = timed("journey_contacts (shared with 02_journey, cached)", lambda: journey_contacts(c, end_of_data=s.end_of_data).cache())
        timed("cost_per_resolved_issue", lambda: C.cost_per_resolved_issue(c, prices, end_of_data=s.end_of_data, journey_rows=jc).execute())
        cost_s = time.perf_counter() - total
        b = timed("measure_baseline (scenarios)", lambda: S.measure_baseline(
            c, e.cost, prices, period, end_of_data=s.end_of_data, intervals=iv, currency=e.currency, counts=counts, journey_rows=jc))
        res = timed("run_scenarios (6 defaults, 10,000 draws)", lambda: S.run_scenarios(
            b, seed=e.cost.seed, draws=e.cost.monte_carlo_draws))
        timed("forecast_accuracy + dayparts", lambda: (K.forecast_accuracy(iv).execute(), K.forecast_error_by_daypart(iv, e.timezone)))
        st = timed("interval_staffing (Erlang C)", lambda: K.interval_staffing(
            iv, c, service_level_target=e.capacity.service_level_target, channels=e.capacity.channels,
            sl_seconds=e.operations.sl_seconds))
        print(f"cost tables total {cost_s:.2f} s; whole section {time.perf_counter() - total:.2f} s; {len(st):,} staffing rows")
        rc = C.repeat_cost(counts, prices, period, by=None).execute().iloc[0]
        print(f"repeat cost: period {rc.repeat_cost:,.2f}, annualised {rc.repeat_cost_annualised:,.2f} ({period.days} days)")
        print(res.summary.set_index("scenario")[["net_saving_year", "net_saving_year_p10", "net_saving_year_p90"]].to_string())


if __name__ == "__main__":
    main()
