"""Repeat-based FCR and repeat share from the raw export, end to end, three ways.

Usage::

    .venv/bin/python bench/bench_fcr_end_to_end.py --contacts 1000000 [--contacts 10000000]

The generator's raw interactions export (leg grain, local times, re-delivered rows) is read by:

1. **one hand-written DuckDB query**: keep the newest version of each leg, fold legs into
   contacts, read local times in the center's timezone, keep the period, then FCR (7 days)
   and repeat share by self-joins on the customer;
2. **a pandas script** an analyst would write: the same steps with ``read_parquet``,
   ``drop_duplicates``, ``groupby`` and ``merge_asof``;
3. **cxkit**: open the engagement with its contacts source only (mapping, folding, keyed
   pseudonyms, loading once) and compute the two results the report stores (``fcr_overall``,
   ``repeat_share_overall``) through the results layer, twice: as ``cxkit.open_engagement``
   in a notebook does (tables it computes once are kept in the engine's memory, spilled by
   DuckDB past the memory limit into a private temporary folder), and as ``cxkit run`` does
   (they are Parquet files in the run folder).

Each prints its time, the three must give the same numerators and denominators (the script
exits 1 otherwise), and the ratios are printed. Data is generated once into
``bench/out/<n>`` (shared with ``bench_run.py`` and ``bench_validate.py``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pandas as pd

from _shared import generated
WINDOW_S = 7 * 86400
TZ = "Europe/London"

HAND_SQL = """
WITH legs AS (
    SELECT * FROM read_parquet('{path}')
    QUALIFY row_number() OVER (PARTITION BY interaction_id, segment ORDER BY exported_at DESC) = 1
),
c0 AS (
    SELECT interaction_id,
           arg_min(NULLIF(customer_ref, ''), segment) AS customer,
           arg_min(direction, segment) AS direction,
           bool_or(disposition = 'ANSWERED') AS handled,
           timezone('{tz}', min(strptime(start_local, '%Y-%m-%d %H:%M:%S'))) AS arrived,
           timezone('{tz}', max(strptime(end_local, '%Y-%m-%d %H:%M:%S'))) AS ended
    FROM legs GROUP BY interaction_id
),
c AS (
    SELECT *, greatest(coalesce(ended, arrived), arrived) AS e FROM c0
    WHERE arrived >= TIMESTAMPTZ '{start}' AND arrived < TIMESTAMPTZ '{end}'
),
eod AS (SELECT least(max(arrived), TIMESTAMPTZ '{end}') AS t FROM c0),
pool AS (SELECT * FROM c WHERE direction = 'IN' AND customer IS NOT NULL),
el AS (SELECT * FROM pool WHERE handled),
rep AS (
    SELECT DISTINCT el.interaction_id FROM el JOIN pool AS l
      ON l.customer = el.customer AND l.interaction_id <> el.interaction_id
     AND l.arrived >= el.e AND l.arrived <= el.e + INTERVAL {window} SECOND AND l.arrived > el.arrived
),
is_rep AS (
    SELECT DISTINCT l.interaction_id FROM pool AS l JOIN pool AS p
      ON p.customer = l.customer AND p.interaction_id <> l.interaction_id
     AND l.arrived >= p.e AND l.arrived <= p.e + INTERVAL {window} SECOND AND l.arrived > p.arrived
)
SELECT
  (SELECT count(*) FILTER (WHERE el.e + INTERVAL {window} SECOND <= eod.t AND rep.interaction_id IS NULL)
     FROM el LEFT JOIN rep USING (interaction_id), eod) AS fcr_numerator,
  (SELECT count(*) FILTER (WHERE el.e + INTERVAL {window} SECOND <= eod.t) FROM el, eod) AS fcr_denominator,
  (SELECT count(*) FROM is_rep) AS repeat_numerator,
  (SELECT count(*) FROM pool) AS repeat_denominator
"""


def _period(folder: Path) -> tuple[datetime, datetime]:
    from cxkit.config import load_engagement

    e = load_engagement(folder / "engagement.yaml")
    return e.period_start_utc, e.period_end_utc


def hand_sql(folder: Path) -> dict[str, int]:
    import duckdb

    start, end = _period(folder)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    sql = HAND_SQL.format(path=folder / "data" / "interactions.parquet", tz=TZ, start=start.isoformat(),
                          end=end.isoformat(), window=WINDOW_S)
    row = con.execute(sql).fetchone()
    return dict(zip(("fcr_numerator", "fcr_denominator", "repeat_numerator", "repeat_denominator"), row))


def pandas_script(folder: Path) -> dict[str, int]:
    start, end = _period(folder)
    legs = pd.read_parquet(folder / "data" / "interactions.parquet",
                           columns=["interaction_id", "segment", "customer_ref", "direction", "disposition",
                                    "start_local", "end_local", "exported_at"])
    legs = legs.sort_values("exported_at").drop_duplicates(["interaction_id", "segment"], keep="last")
    legs["customer_ref"] = legs["customer_ref"].replace("", pd.NA)
    legs["start"] = pd.to_datetime(legs["start_local"]).dt.tz_localize(TZ, nonexistent="shift_forward", ambiguous=True)
    legs["end"] = pd.to_datetime(legs["end_local"]).dt.tz_localize(TZ, nonexistent="shift_forward", ambiguous=True)
    legs["answered"] = legs["disposition"].eq("ANSWERED")
    legs = legs.sort_values(["interaction_id", "segment"])
    g = legs.groupby("interaction_id", sort=False)
    # first() is the first non-null value in leg order: the customer of the first leg naming one
    c = pd.DataFrame({"customer": g["customer_ref"].first(), "direction": g["direction"].first(),
                      "handled": g["answered"].any(), "arrived": g["start"].min(), "ended": g["end"].max()})
    eod = min(c["arrived"].max(), pd.Timestamp(end))
    c = c[(c["arrived"] >= pd.Timestamp(start)) & (c["arrived"] < pd.Timestamp(end))].reset_index()
    c["e"] = c["ended"].fillna(c["arrived"]).where(lambda s: s >= c["arrived"], c["arrived"])
    pool = c[(c["direction"] == "IN") & c["customer"].notna()]
    w = pd.Timedelta(seconds=WINDOW_S)
    # next arrival of the same customer at or after each end, later than the contact's own arrival:
    # every later arrival of the customer, the first one that qualifies
    arrivals = pool[["customer", "arrived", "interaction_id"]].sort_values(["customer", "arrived"])
    pairs = pool[["interaction_id", "customer", "arrived", "e", "handled"]].merge(
        arrivals, on="customer", suffixes=("", "_l"))
    later = pairs[(pairs["interaction_id_l"] != pairs["interaction_id"]) & (pairs["arrived_l"] >= pairs["e"])
                  & (pairs["arrived_l"] <= pairs["e"] + w) & (pairs["arrived_l"] > pairs["arrived"])]
    repeated = set(later["interaction_id"])
    is_repeat = set(later["interaction_id_l"])
    el = pool[pool["handled"]]
    judged = el[el["e"] + w <= eod]
    return {
        "fcr_numerator": int((~judged["interaction_id"].isin(repeated)).sum()),
        "fcr_denominator": len(judged),
        "repeat_numerator": len(is_repeat),
        "repeat_denominator": len(pool),
    }


def _cxkit(folder: Path, run_folder: bool) -> dict[str, int]:
    import yaml

    import cxkit
    from cxkit.config import load_engagement
    from cxkit.results import compute_results
    from cxkit.session import Session

    # FCR needs the contacts export only: the engagement without its other sources
    spec = yaml.safe_load((folder / "engagement.yaml").read_text())
    spec["sources"] = {"contacts": spec["sources"]["contacts"]}
    (folder / "engagement_contacts_only.yaml").write_text(yaml.safe_dump(spec))
    with tempfile.TemporaryDirectory() as tmp:
        if run_folder:
            session = Session(load_engagement(folder / "engagement_contacts_only.yaml"), spill_dir=Path(tmp) / "spill")
        else:
            session = cxkit.open_engagement(folder / "engagement_contacts_only.yaml")
        r = compute_results(session, tmp, names=["fcr_overall", "repeat_share_overall"])
        fcr, share = r.row("fcr_overall"), r.row("repeat_share_overall")
    return {"fcr_numerator": int(fcr["numerator"]), "fcr_denominator": int(fcr["denominator"]),
            "repeat_numerator": int(share["numerator"]), "repeat_denominator": int(share["denominator"])}


def cxkit_run(folder: Path) -> dict[str, int]:
    """cxkit as a notebook opens it: shared tables cached in the engine, or as Parquet in the
    session's private folder when the exports are large against the engine's memory (10M)."""
    return _cxkit(folder, run_folder=False)


def cxkit_run_folder(folder: Path) -> dict[str, int]:
    """cxkit as ``cxkit run`` opens it: shared tables as Parquet files in the run folder."""
    return _cxkit(folder, run_folder=True)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--contacts", type=lambda s: int(s.replace("_", "")), action="append")
    ap.add_argument("--skip-pandas", action="store_true", help="leave the pandas anchor out (memory at 10M)")
    args = ap.parse_args(argv)
    ok = True
    for n in args.contacts or [1_000_000]:
        folder = generated(n)
        times, results = {}, {}
        ways = [("hand-written DuckDB query", hand_sql), ("cxkit", cxkit_run), ("cxkit, run folder", cxkit_run_folder)]
        if not args.skip_pandas:
            ways.insert(1, ("pandas script", pandas_script))
        for name, fn in ways:
            t0 = time.perf_counter()
            results[name] = fn(folder)
            times[name] = time.perf_counter() - t0
            print(f"{n:>12,}  {name:<28} {times[name]:8.2f} s  {results[name]}", flush=True)
        same = len({tuple(sorted(r.items())) for r in results.values()}) == 1
        ok &= same
        base = times["hand-written DuckDB query"]
        ratios = ", ".join(f"{k} {v / base:.2f}x" for k, v in times.items() if k != "hand-written DuckDB query")
        print(f"{'':>12}  same numerators and denominators: {'yes' if same else 'NO'}; against the query: {ratios}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
