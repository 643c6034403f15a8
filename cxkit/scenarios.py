"""What-if scenarios: what a change in FCR, AHT, transfers, containment or volume would buy,
line by line, with its uncertainty (METRICS.md, "Cost of repeat contacts"; docs/METRICS.md).

Two steps, kept apart so that the arithmetic can be checked by hand:

1. :func:`measure_baseline` measures everything a scenario reads from the client's own
   contacts (a handful of small ibis aggregates) into a :class:`Baseline` of plain numbers,
   each with where it comes from. The link from FCR to repeats is measured there:
   **repeats per unresolved eligible contact** (:func:`repeat_link`), with its 95% interval.
2. Pure numpy functions evaluate a scenario on the baseline: :func:`scenario_lines` (the
   arithmetic a finance reader follows), :func:`monte_carlo` (P10 / P50 / P90 from a seeded
   ``numpy.random.Generator``: same seed, same numbers, byte for byte), :func:`tornado` (which
   input moves the result most) and :func:`consistency_flags` (inputs that contradict each
   other or the baseline).

The model is first order and says so: each lever's effect is computed on the baseline and the
effects add (interactions between levers are ignored, except that an AHT change applies to the
handled contacts left after the repeats the other levers avoid).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from cxkit.config import SCENARIO_INPUTS, SCENARIO_LEVERS, Cost, Scenario
from cxkit.cost import DERIVED, GIVEN, GIVEN_AND_DERIVED, NOT_PRICED, DataPeriod, combined_basis
from cxkit.operations import _as_list, _label_segments, containment, queue_flags
from cxkit.resolution import _eligibility, fcr_repeat, repeat_after_transfer, repeat_share
from cxkit.stats import Z95, wilson_bounds
from cxkit.wording import days as in_days
from cxkit.wording import yearly

__all__ = [
    "HOURLY_SAVINGS",
    "HOURLY_SAVINGS_HOURS",
    "PRICED_SHARE_LINES",
    "PRACTICE_CASE",
    "OUTPUTS",
    "Baseline",
    "repeat_link",
    "measure_baseline",
    "default_scenarios",
    "scenario_inputs",
    "evaluate",
    "priced_shares",
    "priced_share_note",
    "scenario_lines",
    "monte_carlo",
    "tornado",
    "consistency_flags",
    "ScenarioResults",
    "run_scenarios",
]

#: The case from practice that the default set reproduces (issue 7).
PRACTICE_CASE = "FCR 62% to 73% with AHT +40 s (practice case)"

#: the saving lines priced by the cost of an agent hour (not by a price per contact): fewer
#: transfers' shorter handling, and a change in AHT
HOURLY_SAVINGS = ("Saving from fewer transfers (handle time)", "Saving from the AHT change")
#: the line of agent hours each of :data:`HOURLY_SAVINGS` prices
HOURLY_SAVINGS_HOURS = dict(zip(HOURLY_SAVINGS,
                                ("Agent hours from fewer transfers", "Agent hours from the AHT change"), strict=True))

#: the line saying which share of a saving's contacts (by what they are) is in priced channels:
#: the others are kept out of the saving
PRICED_SHARE_LINES = {"repeats": "Share of those repeats in priced channels",
                      "agent contacts": "Share of those agent contacts in priced channels",
                      "inbound contacts": "Share of the inbound contacts in priced channels"}

#: The columns of each long table of a scenario run, after its leading ``scenario`` column.
_LINE_COLUMNS = ["step", "item", "formula", "value", "unit", "source"]
_MC_COLUMNS = ["output", "label", "base", "p10", "p50", "p90", "share_negative", "draws", "seed"]
_TORNADO_COLUMNS = ["input", "description", "low", "base", "high", "result_low", "result_high", "base_result", "swing"]
_FLAG_COLUMNS = ["flag", "severity", "reason"]
#: The type of each number column of those tables (the others are text): a table with no rows
#: (no scenario worked through) is stored with the types a filled one has, not as Parquet nulls.
_NUMBER_TYPES = {"step": "int64", "value": "float64", "draws": "int64", "seed": "int64",
                 **dict.fromkeys(["base", "p10", "p50", "p90", "share_negative", "low", "high", "result_low",
                                  "result_high", "base_result", "swing"], "float64")}

#: Results of a scenario per year, in the order tables show them.
OUTPUTS: dict[str, str] = {
    "contacts_avoided_year": "contacts avoided per year",
    "agent_hours_saved_year": "agent hours saved per year",
    "fte_saved": "FTE saved",
    "net_saving_year": "net saving per year",
}


# --------------------------------------------------------------------------------------------
# the measured link from FCR to repeats
# --------------------------------------------------------------------------------------------


def _tails(
    contacts: ir.Table,
    window_days: float,
    end_of_data: datetime | date | None,
    exclude_reasons: Iterable[str],
    journey_rows: ir.Table | None = None,
    keep: Sequence[str] | None = None,
    unique_ids: bool = False,
) -> ir.Table:
    """Every contact of a judged journey of several contacts with: ``_unresolved`` (an
    eligible contact that a later contact of its journey follows), ``_tail`` (the contacts
    after it in its journey) and ``_weight`` (how many unresolved eligible contacts of its
    journey come before it: how many tails it belongs to).

    A journey of one contact is left out: its contact is not a repeat, is followed by none
    (not unresolved) and belongs to no tail, so it counts in no figure read from here.
    ``keep``: the journey contacts' columns to carry (default all of them); the fewer, the
    less the window over each journey sorts (the scenario baseline keeps two: at 10 million
    contacts its tails took 4.6 s instead of 7.6-8.5 s). Each journey contact meets its own
    flags (:func:`cxkit.resolution.contact_row_key`; ``unique_ids`` when contact ids are unique
    by construction).
    """
    from cxkit.journey import journey_contacts
    from cxkit.resolution import contact_row_key, same_contact_row

    eod = end_of_data
    if isinstance(eod, date) and not isinstance(eod, datetime):
        from cxkit.resolution import end_of_data as _eod

        eod = _eod(contacts, eod)
    jc = journey_rows if journey_rows is not None else journey_contacts(contacts, window_days=window_days, end_of_data=eod)
    jc = jc.filter((jc.position > 1) | ~jc.is_last)
    if keep is not None:
        read_here = ["contact_id", "journey_id", "position", "is_last", "ended_at", "end_of_data",
                     *([] if unique_ids else ["arrived_at"])]
        jc = jc.select(*dict.fromkeys([*read_here, *[c for c in keep if c in jc.columns]]))
    whole = ibis.window(group_by="journey_id")
    # judged as cxkit.journey.journeys judges a journey: its latest end + window is within the data
    jc = jc.mutate(_size=jc.contact_id.count().over(whole), _last_end=jc.ended_at.max().over(whole))
    jc = jc.filter(jc._last_end + ibis.interval(seconds=int(round(window_days * 86400))) <= jc.end_of_data)
    flags = queue_flags(_eligibility(contacts, exclude_reasons))
    flags = flags.select(**contact_row_key(flags, unique_ids=unique_ids), _eligible=flags.eligible,
                         _handled=flags.handled, _handle_s=flags.handle_s, reason_family=flags.reason_family)
    t = jc.join(flags, same_contact_row(jc, flags))
    before = ibis.window(group_by="journey_id", order_by="position", rows=(None, -1))
    unresolved = (t._eligible & ~t.is_last).fill_null(False)
    t = t.mutate(_unresolved=unresolved, _tail=ibis.ifelse(unresolved, t._size - t.position, 0))
    return t.mutate(_weight=t._unresolved.cast("int64").sum().over(before).fill_null(0))


def repeat_link(
    contacts: ir.Table,
    *,
    end_of_data: datetime | date | None = None,
    window_days: float = 7,
    exclude_reasons: Iterable[str] = (),
    by: str | Sequence[str] | None = None,
) -> ir.Table:
    """Repeats per unresolved eligible contact, measured on the client's own contacts.

    An **unresolved eligible contact** is an eligible contact (inbound, handled, identified,
    reason not excluded) that a later contact of the same customer follows within the window:
    its journey (:func:`cxkit.journey.journey_contacts`) goes on after it. The **repeats it
    causes** are the contacts after it in its journey: the chain a first-time resolution
    would have spared, retries after abandoned attempts included. Only journeys whose window
    closed before the end of the data are counted (a censored journey's chain is not over).
    ``repeats_per_unresolved`` is the mean chain length, with a 95% normal interval
    (``mean +/- 1.96 sd / sqrt(n)``; contacts of one journey are treated as independent).

    Returns
    -------
    Table
        ``by`` columns (of the unresolved contact; ``contact_reason`` etc.), ``unresolved``
        (n), ``repeats_after_eligible`` (distinct repeat contacts in those chains),
        ``chain_repeats`` (sum of chain lengths), ``repeats_per_unresolved``, ``ci_low``,
        ``ci_high``; overall also ``repeats`` (repeat contacts of the judged journeys).

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable, ts
    >>> c = dict(customer_id="k1", direction="inbound", channel="voice", outcome="handled")
    >>> t = canonical_memtable("contacts", [
    ...     {**c, "contact_id": "a", "arrived_at": "2026-03-02 09:00", "ended_at": "2026-03-02 09:10"},
    ...     {**c, "contact_id": "b", "arrived_at": "2026-03-03 09:00", "ended_at": "2026-03-03 09:01",
    ...      "outcome": "abandoned"},
    ...     {**c, "contact_id": "c", "arrived_at": "2026-03-03 10:00", "ended_at": "2026-03-03 10:10"}])
    >>> r = repeat_link(t, end_of_data=ts("2026-03-31 00:00")).execute()
    >>> # a is unresolved and its chain is b and c; c is resolved (last); b is not eligible
    >>> int(r.repeats[0]), int(r.unresolved[0]), float(r.repeats_per_unresolved[0])
    (2, 1, 2.0)
    """
    return _link_from_tails(_tails(contacts, window_days, end_of_data, exclude_reasons, keep=_as_list(by)), by)


def _link_from_tails(t: ir.Table, by: str | Sequence[str] | None = None) -> ir.Table:
    by_ = _as_list(by)
    u = t.filter(t._unresolved)
    if by_:
        u = _label_segments(u, by_)
    metrics = dict(
        unresolved=u.count(),
        chain_repeats=u._tail.sum(),
        repeats_per_unresolved=u._tail.mean(),
        _sd=u._tail.std(how="sample"),
    )
    agg = u.aggregate(by=by_, **metrics) if by_ else u.aggregate(**metrics)
    if not by_:
        total = t.aggregate(repeats=t.count(where=t.position > 1), repeats_after_eligible=t.count(where=t._weight > 0))
        agg = total.cross_join(agg)
    else:
        agg = agg.mutate(repeats_after_eligible=ibis.null("int64"))
    half = Z95 * agg._sd.fill_null(0.0) / agg.unresolved.cast("float64").sqrt()
    cols = [*by_, "repeats_after_eligible", "chain_repeats", "unresolved", "repeats_per_unresolved", "ci_low", "ci_high"]
    out = agg.mutate(
        chain_repeats=agg.chain_repeats.fill_null(0),
        ci_low=ibis.greatest(agg.repeats_per_unresolved - half, 0.0),
        ci_high=agg.repeats_per_unresolved + half,
    )
    return out.select(*([] if by_ else ["repeats"]), *cols)


# --------------------------------------------------------------------------------------------
# the baseline
# --------------------------------------------------------------------------------------------


@dataclass
class Baseline:
    """Every measured or engagement number a scenario reads, for one data period.

    Counts are for the period (``period_days`` local days); ``sources`` says where each
    non-obvious figure comes from.
    """

    period_days: int
    currency: str
    occupancy: float
    productive_hours_per_fte: float
    hourly_cost: float | None
    # FCR and the FCR -> repeats link
    eligible: float
    fcr: float
    fcr_ci: tuple[float, float]
    fcr_judged: int
    repeats: float
    repeats_after_eligible: float
    chain_repeats: float
    unresolved: int
    repeats_per_unresolved: float
    repeats_per_unresolved_ci: tuple[float, float]
    repeat_price: float | None
    repeat_handle_h: float
    repeat_handled_share: float
    # workload
    handled: float
    inbound: float
    inbound_cost: float
    inbound_not_priced: float
    inbound_handle_h: float
    # transfers
    transferred: float
    eligible_judged_transferred: float
    aht_transferred_s: float | None
    aht_not_transferred_s: float | None
    fcr_transferred: float | None
    fcr_not_transferred: float | None
    # containment
    containment_entries: float
    contained: float
    agent_price: float | None
    agent_aht_s: float | None
    self_service_price: float | None
    # capacity
    staffed_fte: float | None
    min_n: int = 30
    #: share of the repeats after eligible contacts that are in priced channels: only they
    #: are priced in a saving (the others are kept out, as in every cost total)
    repeat_priced_share: float = 1.0
    #: share of the inbound contacts agents handled (the agent contacts a contained entry
    #: avoids) that are in priced channels: only they are priced in a containment saving
    agent_priced_share: float = 1.0
    by_reason: dict[str, dict[str, float]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    #: why containment is not measured in this export (no contained outcome it can give), or None
    containment_not_measured: str | None = None
    #: why the transfer rate is not measured in this export (no transfer counts), or None: then
    #: ``transferred`` is 0 because nothing was counted, not because no contact was transferred
    transfers_not_measured: str | None = None
    #: why FCR and repeats are not measured in this export (no customer ids), or None: then no
    #: contact is eligible because none could be, not because every one was too recent
    repeats_not_measured: str | None = None
    #: why handle times are not measured in this export (no talk times), or None: then the
    #: handle-time figures above are 0 because nothing was timed, and every agent hour that
    #: needs one (of an avoided repeat, transfer, contained entry or volume) is not measured
    handle_times_not_measured: str | None = None

    @property
    def timed(self) -> bool:
        """Whether the export has handle times (:attr:`handle_times_not_measured` is None)."""
        return self.handle_times_not_measured is None

    @property
    def agent_aht_not_measured(self) -> str | None:
        """Why the agent contact a contained entry avoids cannot be timed (no handle times in the
        export, or no inbound contact handled by an agent: :attr:`agent_aht_s` is None), or None."""
        if not self.timed:
            return self.handle_times_not_measured
        return "no inbound contact handled by an agent" if self.agent_aht_s is None else None

    @property
    def agent_aht_measured(self) -> bool:
        """Whether a contained entry's agent contact can be timed (:attr:`agent_aht_not_measured` is None)."""
        return self.agent_aht_not_measured is None

    @property
    def inbound_priced_share(self) -> float:
        """Share of the inbound contacts that are in priced channels: only they are priced in a
        volume saving (1 when there is no inbound contact)."""
        return (self.inbound - self.inbound_not_priced) / self.inbound if self.inbound else 1.0

    @property
    def transfer_rate(self) -> float:
        return self.transferred / self.handled if self.handled else 0.0

    @property
    def containment_rate(self) -> float | None:
        return self.contained / self.containment_entries if self.containment_entries else None

    @property
    def year_factor(self) -> float:
        return 365 / self.period_days

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: The ``source`` of a scenario line that is a price, by the price's basis: a given price is the
#: engagement's input, a derived one rests on the measured AHT.
_PRICE_SOURCE = {GIVEN: "engagement", DERIVED: "derived", GIVEN_AND_DERIVED: "given and derived",
                 NOT_PRICED: "not priced"}


def _f(v: Any) -> float | None:
    if v is None:
        return None
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def measure_baseline(
    contacts: ir.Table,
    cost: Cost,
    prices: ir.Table,
    period: DataPeriod,
    *,
    end_of_data: datetime | date | None = None,
    window_days: float = 7,
    exclude_reasons: Iterable[str] = (),
    intervals: ir.Table | None = None,
    currency: str = "",
    min_n: int = 30,
    counts: ir.Table | None = None,
    journey_rows: ir.Table | None = None,
    fcr_by_reason: pd.DataFrame | None = None,
    transfer_repeats: pd.DataFrame | None = None,
    containment_not_measured: str | None = None,
    transfers_not_measured: str | None = None,
    repeats_not_measured: str | None = None,
    handle_times_not_measured: str | None = None,
    unique_ids: bool = False,
) -> Baseline:
    """Measure the scenario baseline (executes a few small aggregates: the reporting edge).

    Parameters
    ----------
    contacts
        Canonical contacts.
    cost
        The engagement's ``cost`` section (occupancy, hourly cost, productive hours).
    prices
        :func:`cxkit.cost.channel_prices`.
    period
        :func:`cxkit.cost.data_period`.
    end_of_data, window_days, exclude_reasons
        As for :func:`cxkit.resolution.fcr_repeat`.
    intervals
        The WFM intervals, when the engagement has them: staffed FTE comes from their staffed
        agents; without them it is the workload's (handle hours / occupancy).
    counts
        :func:`cxkit.cost.repeat_counts` when the caller has it (saves a pairing pass for the
        total of repeat contacts).
    journey_rows
        :func:`cxkit.journey.journey_contacts` (same window and end of data) when the caller
        has it: stitching journeys is the costliest step at scale.
    fcr_by_reason
        Repeat-based FCR by ``contact_reason`` (:func:`cxkit.resolution.fcr_breakdown` or
        :func:`cxkit.resolution.fcr_repeat`, same window, end of data and exclusions: columns
        ``contact_reason``, ``eligible``, ``numerator``, ``denominator``, optionally
        ``reason_family``) when the caller has it, e.g. the run's ``fcr_by_reason`` result:
        saves a pairing pass. Without ``reason_family`` the families come from ``counts``.
    transfer_repeats
        :func:`cxkit.resolution.repeat_after_transfer` (same window), e.g. the run's
        ``repeat_after_transfer`` result: saves another pairing pass.
    containment_not_measured
        Why the export cannot measure containment (``Judge.absent("containment")``), or None:
        a containment scenario is then listed, not worked through.
    transfers_not_measured
        Why the export cannot measure the transfer rate (``Judge.absent("transfer_rate")``), or
        None: a transfer scenario is then listed, not worked through.
    repeats_not_measured
        Why the export cannot measure FCR and repeats (``Judge.absent("fcr_repeat")``: no
        customer ids), or None: an FCR or transfer scenario is then listed with that reason.
    unique_ids
        Whether contact ids are unique by construction (``Session.contact_ids_unique``): the
        journey chains then meet the contacts' flags by id alone.
    """
    sources: dict[str, str] = {}
    p = prices.execute()
    price = {r.channel: _f(r.cost_per_contact) for r in p.itertuples()}
    basis = {r.channel: r.basis for r in p.itertuples()}

    # FCR by reason (one pass, or the caller's); the overall FCR is their sum
    by_r = _fcr_by_reason(contacts, fcr_by_reason, counts, end_of_data=end_of_data, window_days=window_days,
                          exclude_reasons=exclude_reasons)
    num, den = float(by_r["numerator"].sum()), float(by_r["denominator"].sum())
    fr = {"eligible": float(by_r["eligible"].sum()), "denominator": den, "rate": num / den if den else None,
          "ci_low": wilson_bounds(num, den)[0] if den else None, "ci_high": wilson_bounds(num, den)[1] if den else None}

    # the FCR -> repeats link, overall and by the unresolved contact's reason; the journey
    # chains are computed once and cached for the three aggregates that read them
    tails = _tails(contacts, window_days, end_of_data, exclude_reasons, journey_rows,
                   keep=["channel", "contact_reason"], unique_ids=unique_ids).cache()
    link = _link_from_tails(tails).execute().iloc[0]
    u = _label_segments(tails.filter(tails._unresolved), ["contact_reason"])
    link_r = u.aggregate(by="contact_reason", n=u.count(), k=u._tail.sum(), k2=(u._tail * u._tail).sum()).execute()
    # the chain contacts, each weighted by the number of chains it belongs to: the mix of the
    # repeats an FCR gain avoids (price by channel, handle time)
    w = tails.filter(tails._weight > 0)
    mix = w.aggregate(
        by="channel",
        n=w._weight.sum(),
        handled=w._weight.sum(where=w._handled),
        handle_s=(w._weight.cast("float64") * w._handle_s).sum(where=w._handled),
    ).execute()
    # workload by channel
    f = queue_flags(contacts)
    work = f.aggregate(
        by="channel",
        inbound=f.count(where=f.direction == "inbound"),
        handled=f.count(where=f.handled),
        handled_inbound=f.count(where=f.handled & (f.direction == "inbound")),
        handle_s=f.handle_s.sum(where=f.handled),
        inbound_handle_s=f.handle_s.sum(where=f.handled & (f.direction == "inbound")),
        transferred=f.count(where=f.transferred),
        handle_tr=f.handle_s.mean(where=f.handled & f.transferred),
        handle_nt=f.handle_s.mean(where=f.handled & ~f.transferred),
    ).execute()
    work["price"] = work["channel"].map(price)
    tr = f.aggregate(
        handle_tr=f.handle_s.mean(where=f.handled & f.transferred),
        handle_nt=f.handle_s.mean(where=f.handled & ~f.transferred),
    ).execute().iloc[0]
    rat = (transfer_repeats if transfer_repeats is not None else repeat_after_transfer(
        contacts, end_of_data=end_of_data, window_days=window_days, exclude_reasons=exclude_reasons
    ).execute()).set_index("group")
    cont = containment(contacts, by=None).execute().iloc[0]

    handled = float(work["handled"].sum())
    handle_h = float(work["handle_s"].fillna(0).sum()) / 3600
    priced_w = work[work["price"].notna()]
    inbound_cost = float((priced_w["inbound"] * priced_w["price"]).sum())
    inbound_np = float(work.loc[work["price"].isna(), "inbound"].sum())
    agent = work[(work["handled_inbound"] > 0) & (work["channel"] != "self_service")]
    agent_priced = agent[agent["price"].notna()]
    agent_price = (
        float((agent_priced["handled_inbound"] * agent_priced["price"]).sum() / agent_priced["handled_inbound"].sum())
        if len(agent_priced) else None
    )
    agent_aht = float(agent["inbound_handle_s"].fillna(0).sum() / agent["handled_inbound"].sum()) if len(agent) else None
    # the agent contacts in channels without a price are kept out of a containment saving (as
    # the repeats in such channels are out of an FCR saving), never priced at the priced mean
    agent_n = float(agent["handled_inbound"].sum())
    agent_priced_share = float(agent_priced["handled_inbound"].sum()) / agent_n if agent_n else 1.0
    if len(agent_priced) < len(agent):
        sources["agent_price"] = ("mean price of the inbound contacts agents handled in priced channels; those in "
                                  "channels without a price are kept out of the saving")
    # a contained entry saves an agent contact, less the self-service price when there is one
    saved = [*agent_priced["channel"], *(["self_service"] if price.get("self_service") is not None else [])]
    sources["containment_price_basis"] = combined_basis(basis.get(c) for c in saved)

    # the hourly cost of agent time: given, else implied by the given prices at measured AHT
    if cost.loaded_hourly_cost is not None:
        hourly = float(cost.loaded_hourly_cost)
        sources["hourly_cost"] = "cost.loaded_hourly_cost"
    else:
        pw = work[work["price"].notna() & (work["handle_s"].fillna(0) > 0)]
        hours = float(pw["handle_s"].sum()) / 3600
        hourly = float((pw["handled"] * pw["price"]).sum() * cost.occupancy / hours) if hours else None
        sources["hourly_cost"] = (
            "implied by the given prices: sum(handled x price) x occupancy / handle hours, over priced channels"
            if hourly is not None else "not available: no cost.loaded_hourly_cost and no priced channel with handle time"
        )

    # the price and handle time of the repeats FCR can remove (those after eligible contacts)
    mix["price"] = mix["channel"].map(price)
    mp = mix[mix["price"].notna()]
    rep_price = float((mp["n"] * mp["price"]).sum() / mp["n"].sum()) if mp["n"].sum() else None
    n_mix = float(mix["n"].sum())
    rep_handle_h = float(mix["handle_s"].fillna(0).sum()) / 3600 / n_mix if n_mix else 0.0
    rep_handled = float(mix["handled"].sum()) / n_mix if n_mix else 0.0
    rep_priced_share = float(mp["n"].sum()) / n_mix if n_mix else 1.0
    sources["repeat_price_basis"] = combined_basis(basis.get(c) for c in mp.loc[mp["n"] > 0, "channel"])
    if len(mp) < len(mix):
        sources["repeat_price"] = ("mean price of the priced repeats after eligible contacts; repeats in channels "
                                   "without a price are kept out of the saving")

    # staffed FTE
    staffed_fte = None
    if intervals is not None:
        iv = intervals.aggregate(h=(intervals.staffed_agents * intervals.interval_minutes.fill_null(30) / 60.0).sum()).execute()
        h = _f(iv["h"].iloc[0])
        if h:
            staffed_fte = h * 365 / period.days / cost.productive_hours_per_fte
            sources["staffed_fte"] = "WFM intervals: staffed agent hours x 365 / period days / productive hours per FTE"
    if staffed_fte is None and handle_h:
        staffed_fte = handle_h / cost.occupancy * 365 / period.days / cost.productive_hours_per_fte
        sources["staffed_fte"] = "workload: handle hours / occupancy x 365 / period days / productive hours per FTE (no staffed agents in the data)"

    by_reason: dict[str, dict[str, float]] = {}
    for r in by_r.sort_values("eligible", ascending=False, kind="mergesort").itertuples():
        # a reason seen under two families adds up; the family of most of its contacts names it
        d = by_reason.setdefault(str(r.contact_reason), {
            "family": str(r.reason_family), "eligible": 0.0, "judged": 0.0, "resolved": 0.0, "n": 0.0, "k": 0.0,
            "k2": 0.0,
        })
        d.update(eligible=d["eligible"] + float(r.eligible), judged=d["judged"] + float(r.denominator),
                 resolved=d["resolved"] + float(r.numerator))
    for r in link_r.itertuples():
        d = by_reason.setdefault(str(r.contact_reason), {"family": "", "eligible": 0.0, "judged": 0.0, "resolved": 0.0})
        d.update(n=float(r.n), k=float(r.k), k2=float(r.k2))

    fcr_tr = rat.loc["transferred"] if "transferred" in rat.index else None
    fcr_nt = rat.loc["not transferred"] if "not transferred" in rat.index else None
    ss_price = price.get("self_service")
    return Baseline(
        period_days=period.days,
        currency=currency,
        occupancy=float(cost.occupancy),
        productive_hours_per_fte=float(cost.productive_hours_per_fte),
        hourly_cost=hourly,
        eligible=float(fr["eligible"]),
        fcr=float(fr["rate"]) if _f(fr["rate"]) is not None else 0.0,
        fcr_ci=(float(fr["ci_low"] or 0), float(fr["ci_high"] or 0)),
        fcr_judged=int(fr["denominator"]),
        repeats=float(
            counts.repeats.sum().execute() if counts is not None
            else repeat_share(contacts, window_days=window_days).execute()["numerator"].iloc[0]
        ),
        repeats_after_eligible=float(link["repeats_after_eligible"] or 0),
        chain_repeats=float(link["chain_repeats"] or 0),
        unresolved=int(link["unresolved"] or 0),
        repeats_per_unresolved=_f(link["repeats_per_unresolved"]) or 0.0,
        repeats_per_unresolved_ci=(_f(link["ci_low"]) or 0.0, _f(link["ci_high"]) or 0.0),
        repeat_price=rep_price,
        repeat_priced_share=rep_priced_share,
        repeat_handle_h=rep_handle_h,
        repeat_handled_share=rep_handled,
        handled=handled,
        inbound=float(work["inbound"].sum()),
        inbound_cost=inbound_cost,
        inbound_not_priced=inbound_np,
        inbound_handle_h=float(work["inbound_handle_s"].fillna(0).sum()) / 3600,
        transferred=float(work["transferred"].sum()),
        eligible_judged_transferred=float(fcr_tr["denominator"]) if fcr_tr is not None else 0.0,
        aht_transferred_s=_f(tr["handle_tr"]),
        aht_not_transferred_s=_f(tr["handle_nt"]),
        fcr_transferred=(1 - fcr_tr["rate"]) if fcr_tr is not None and _f(fcr_tr["rate"]) is not None else None,
        fcr_not_transferred=(1 - fcr_nt["rate"]) if fcr_nt is not None and _f(fcr_nt["rate"]) is not None else None,
        containment_entries=float(cont["denominator"]),
        contained=float(cont["numerator"]),
        agent_price=agent_price,
        agent_priced_share=agent_priced_share,
        agent_aht_s=agent_aht,
        self_service_price=ss_price,
        staffed_fte=staffed_fte,
        min_n=min_n,
        by_reason=by_reason,
        sources=sources,
        containment_not_measured=containment_not_measured,
        transfers_not_measured=transfers_not_measured,
        repeats_not_measured=repeats_not_measured,
        handle_times_not_measured=handle_times_not_measured,
    )


# --------------------------------------------------------------------------------------------
# scenarios and their inputs
# --------------------------------------------------------------------------------------------


def _fcr_by_reason(
    contacts: ir.Table,
    given: pd.DataFrame | None,
    counts: ir.Table | None,
    **window: Any,
) -> pd.DataFrame:
    """FCR by ``contact_reason`` and ``reason_family``: the caller's frame (families added from
    ``counts``, or from the contacts) or one pass over the contacts."""
    if given is None:
        return fcr_repeat(contacts, by=["contact_reason", "reason_family"], **window).execute()
    frame = given[["contact_reason", "eligible", "numerator", "denominator"]].copy()
    if "reason_family" in given.columns:
        return frame.assign(reason_family=given["reason_family"].to_numpy())
    source = counts if counts is not None else _label_segments(
        contacts.select("contact_reason", "reason_family"), ["contact_reason", "reason_family"]
    ).mutate(inbound=1)
    fam = source.aggregate(by=["contact_reason", "reason_family"], n=source.inbound.sum()).execute()
    # the family most of a reason's contacts carry (a reason normally has one)
    fam = fam.sort_values(["contact_reason", "n", "reason_family"], ascending=[True, False, True])
    families = fam.drop_duplicates("contact_reason").set_index("contact_reason")["reason_family"]
    return frame.assign(reason_family=frame["contact_reason"].map(families).fillna("").to_numpy())


def default_scenarios(b: Baseline) -> list[Scenario]:
    """The default set, used when the engagement names none: an FCR gain, the practice case,
    an AHT cut, fewer transfers, more containment and less volume, each with a stated range.

    A lever the data cannot carry (transfers or containment not measured, no IVR or bot entry)
    is still listed: :func:`run_scenarios` names why it is not worked through (:func:`unmeasured`).
    Transfers measured as none (an export that counts transfers, 0 transferred) are worked
    through: fewer transfers than none avoid nothing, a measured 0. Containment at 95% or more
    leaves no room for 5 points and is left out.
    """
    out = [
        Scenario(name="FCR +5 points", fcr_change=0.05, low_high={"fcr_change": [0.03, 0.07]}),
        Scenario(
            name=PRACTICE_CASE,
            description="A business case from practice: FCR from 62% to 73% with AHT up 40 s, claimed to cut "
            "repeat contacts by 18%. The 11-point gain is applied to the measured FCR.",
            fcr_from=0.62, fcr_to=0.73, aht_change_s=40, repeat_reduction=0.18,
            low_high={"fcr_change": [0.08, 0.12], "aht_change_s": [30, 50]},
        ),
        Scenario(name="AHT -20 s", aht_change_s=-20, low_high={"aht_change_s": [-30, -10]}),
    ]
    t0 = b.transfer_rate
    out.append(Scenario(
        name="Transfers down by a quarter", transfer_rate_to=round(t0 * 0.75, 4),
        low_high={"transfer_rate_to": [round(t0 * 0.65, 4), round(t0 * 0.85, 4)]},
    ))
    c0 = b.containment_rate if b.containment_rate is not None else 0.0  # None: listed, not worked through
    if c0 < 0.95:
        out.append(Scenario(
            name="Containment +5 points", containment_to=round(c0 + 0.05, 4),
            low_high={"containment_to": [round(c0 + 0.02, 4), round(min(c0 + 0.08, 1.0), 4)]},
        ))
    out.append(Scenario(name="Volume -5%", volume_change=-0.05, low_high={"volume_change": [-0.08, -0.02]}))
    return out


def _fcr_population(s: Scenario, b: Baseline) -> dict[str, float]:
    """Eligible contacts, FCR and the repeat link of the contacts the FCR lever acts on."""
    if not s.reasons:
        return {
            "eligible": b.eligible, "fcr": b.fcr, "r": b.repeats_per_unresolved,
            "r_lo": b.repeats_per_unresolved_ci[0], "r_hi": b.repeats_per_unresolved_ci[1],
            "unresolved": float(b.unresolved), "chain": b.chain_repeats, "repeats_after": b.repeats_after_eligible,
            "judged": float(b.fcr_judged), "label": "all reasons",
        }
    rows = [d for r, d in b.by_reason.items() if r in s.reasons or d.get("family") in s.reasons]
    elig = sum(d["eligible"] for d in rows)
    judged = sum(d["judged"] for d in rows)
    n = sum(d.get("n", 0.0) for d in rows)
    k = sum(d.get("k", 0.0) for d in rows)
    k2 = sum(d.get("k2", 0.0) for d in rows)
    r = k / n if n else 0.0
    sd = math.sqrt(max((k2 - n * r * r) / (n - 1), 0.0)) if n > 1 else 0.0
    half = Z95 * sd / math.sqrt(n) if n else 0.0
    return {
        "eligible": elig, "fcr": (sum(d["resolved"] for d in rows) / judged) if judged else 0.0, "r": r,
        "r_lo": max(r - half, 0.0), "r_hi": r + half, "unresolved": n, "chain": k,
        # distinct repeats reachable from these reasons: at most their chains, at most all of them
        "repeats_after": min(k, b.repeats_after_eligible),
        "judged": judged, "label": ", ".join(s.reasons),
    }


def unmeasured(s: Scenario, b: Baseline) -> str | None:
    """Why the scenario cannot be worked through on this data, or None when it can.

    An FCR lever needs the measured FCR of the contacts it acts on (some eligible contact
    judged) and, as a transfer lever does, the repeats that follow an unresolved contact (some
    unresolved eligible contact followed): without them its figures would be zeros that were
    never measured. A containment lever needs containment measured: an export that cannot say a
    contact was contained reads 0% contained, a baseline nobody measured; and some contact that
    entered the IVR or a bot (none: the rate is 0 / 0). A transfer lever needs the transfer rate
    measured: an export without transfer counts reads 0% transferred.
    """
    if s.containment_to is not None and b.containment_not_measured:
        return f"containment is not measured: {b.containment_not_measured}"
    if s.containment_to is not None and b.containment_rate is None:
        return "containment is not measured: no inbound contact entered the IVR or a bot (IVR/bot seconds above zero)"
    if s.transfer_rate_to is not None and b.transfers_not_measured:
        return f"the transfer rate is not measured: {b.transfers_not_measured}"
    fcr_lever = _fcr_change_base(s, b) is not None
    if not (fcr_lever or s.transfer_rate_to is not None):
        return None
    if b.repeats_not_measured:
        # "no eligible contact could be judged (every one too recent, or none eligible)" was
        # said of an export without customer ids, where none can be eligible
        what = "FCR is" if fcr_lever else "the repeats that follow an unresolved contact are"
        return f"{what} not measured: {b.repeats_not_measured}"
    pop = _fcr_population(s, b)
    scope = f" for {pop['label']}" if s.reasons else ""
    if fcr_lever and not pop["judged"]:
        return (f"FCR is not measured{scope}: no eligible contact could be judged (every one too recent for the "
                "repeat window, or none eligible)")
    if not pop["unresolved"]:
        return (f"the repeats that follow an unresolved contact are not measured{scope}: no unresolved eligible "
                "contact was followed")
    return None


def _fcr_change_base(s: Scenario, b: Baseline) -> float | None:
    if s.fcr_change is not None:
        return s.fcr_change
    if s.fcr_to is not None:
        return s.fcr_to - (s.fcr_from if s.fcr_from is not None else _fcr_population(s, b)["fcr"])
    return None


def scenario_inputs(s: Scenario, b: Baseline) -> dict[str, tuple[float, float, float]]:
    """Every input the scenario reads as ``(low, base, high)``.

    Levers the scenario sets take their base from it and their range from ``low_high`` (no
    range: low = base = high). ``repeats_per_unresolved`` defaults to its measured 95%
    interval; ``cost_per_contact_factor`` (base 1) and ``hourly_cost`` vary only when a range
    is given.
    """
    out: dict[str, tuple[float, float, float]] = {}
    for key in SCENARIO_LEVERS:
        base = _fcr_change_base(s, b) if key == "fcr_change" else getattr(s, key)
        if base is None:
            continue
        lo, hi = s.low_high.get(key, [base, base])
        out[key] = (float(lo), float(base), float(hi))
    if "fcr_change" in out or "transfer_rate_to" in out:
        pop = _fcr_population(s, b)
        lo, hi = s.low_high.get("repeats_per_unresolved", [pop["r_lo"], pop["r_hi"]])
        out["repeats_per_unresolved"] = (float(lo), pop["r"], float(hi))
    lo, hi = s.low_high.get("cost_per_contact_factor", [1.0, 1.0])
    out["cost_per_contact_factor"] = (float(lo), 1.0, float(hi))
    if b.hourly_cost is not None:
        lo, hi = s.low_high.get("hourly_cost", [b.hourly_cost, b.hourly_cost])
        out["hourly_cost"] = (float(lo), b.hourly_cost, float(hi))
    return out


# --------------------------------------------------------------------------------------------
# the model (vectorised: one code path for the base case, the tornado and the Monte Carlo)
# --------------------------------------------------------------------------------------------


def _transfer_fcr_gap(b: Baseline) -> float:
    """How much less often transferred contacts are resolved (FCR not transferred - transferred),
    or 0 when they are not resolved less often: fewer transfers then avoid no repeat. A measured
    gap at or below 0 (often a small sample's noise) is not read as transfers resolving issues,
    which would make fewer transfers add repeats; the scenario's check flag says so."""
    return max((b.fcr_not_transferred or 0.0) - (b.fcr_transferred or 0.0), 0.0)


def evaluate(s: Scenario, b: Baseline, x: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The scenario's arithmetic for input values ``x`` (scalars or arrays of draws).

    Returns every intermediate quantity (per period unless named ``_year``) and the outputs in
    :data:`OUTPUTS`; savings are positive, costs negative.
    """
    z = np.zeros(np.broadcast(*[np.asarray(v) for v in x.values()]).shape) if x else np.zeros(())
    k = np.asarray(x.get("cost_per_contact_factor", 1.0), dtype=float)
    # an unknown price or hourly cost is NaN, never 0: a saving that needs it reads "not priced"
    H = np.asarray(x.get("hourly_cost", b.hourly_cost if b.hourly_cost is not None else np.nan), dtype=float)
    occ = b.occupancy
    r = np.asarray(x.get("repeats_per_unresolved", 0.0), dtype=float)
    p_rep = (b.repeat_price if b.repeat_price is not None else np.nan) * b.repeat_priced_share
    # a handle time the export lacks is NaN, never 0: the agent hours that need it (and the
    # FTE, and a saving priced from them) read "not measured"
    rep_h = b.repeat_handle_h if b.timed else np.nan
    gap_h = ((b.aht_transferred_s or 0.0) - (b.aht_not_transferred_s or 0.0)) / 3600 if b.timed else np.nan
    # no inbound contact handled by an agent: no AHT to time a contained entry's agent contact by
    agent_h = b.agent_aht_s / 3600 if b.agent_aht_measured else np.nan
    inbound_h = b.inbound_handle_h if b.timed else np.nan
    o: dict[str, np.ndarray] = {}

    # FCR
    pop = _fcr_population(s, b)
    df = np.asarray(x.get("fcr_change", 0.0), dtype=float) + z
    o["fcr_before"] = pop["fcr"] + z
    o["fcr_after"] = pop["fcr"] + df
    o["unresolved_avoided"] = df * pop["eligible"]
    o["repeats_avoided_fcr"] = r * o["unresolved_avoided"]
    o["saving_fcr"] = _at(o["repeats_avoided_fcr"], p_rep * k)
    o["hours_fcr"] = _at(o["repeats_avoided_fcr"], rep_h) / occ

    # transfers
    if "transfer_rate_to" in x and b.handled:
        t0 = b.transfer_rate
        dt = t0 - np.asarray(x["transfer_rate_to"], dtype=float)
        o["transfers_avoided"] = dt * b.handled
        o["hours_transfer_handle"] = _at(o["transfers_avoided"], gap_h) / occ
        o["saving_transfer_handle"] = _at(o["hours_transfer_handle"], H)
        moved_eligible = b.eligible_judged_transferred * (dt / t0 if t0 else 0.0)
        o["unresolved_avoided_transfer"] = moved_eligible * _transfer_fcr_gap(b) * (
            b.eligible / b.fcr_judged if b.fcr_judged else 0.0)
        o["repeats_avoided_transfer"] = r * o["unresolved_avoided_transfer"]
        o["saving_transfer_repeats"] = _at(o["repeats_avoided_transfer"], p_rep * k)
        o["hours_transfer_repeats"] = _at(o["repeats_avoided_transfer"], rep_h) / occ
    else:
        for name in ("transfers_avoided", "hours_transfer_handle", "saving_transfer_handle", "unresolved_avoided_transfer",
                     "repeats_avoided_transfer", "saving_transfer_repeats", "hours_transfer_repeats"):
            o[name] = z.copy()

    # containment
    if "containment_to" in x and b.containment_entries:
        dc = np.asarray(x["containment_to"], dtype=float) - (b.containment_rate or 0.0)
        o["agent_contacts_avoided"] = dc * b.containment_entries
        agent = b.agent_price if b.agent_price is not None else np.nan
        # self-service unpriced: flagged "check"; an entry whose agent contact has no price saves
        # an unknown amount, kept out (both sides) rather than priced at the priced channels' mean
        net_price = (agent - (b.self_service_price or 0.0)) * b.agent_priced_share
        o["saving_containment"] = _at(o["agent_contacts_avoided"], net_price * k)
        o["hours_containment"] = _at(o["agent_contacts_avoided"], agent_h) / occ
    else:
        o["agent_contacts_avoided"] = z.copy()
        o["saving_containment"] = z.copy()
        o["hours_containment"] = z.copy()

    # volume
    v = np.asarray(x.get("volume_change", 0.0), dtype=float) + z
    o["volume_change_contacts"] = v * b.inbound
    # the priced inbound contacts' cost (the unpriced are kept out); none priced: not priced
    priced_inbound_cost = b.inbound_cost if b.inbound > b.inbound_not_priced else np.nan
    o["saving_volume"] = _at(-v, priced_inbound_cost * k)
    o["hours_volume"] = _at(-v, inbound_h) / occ

    # AHT, on the handled contacts left after the avoided ones
    avoided_handled = (o["repeats_avoided_fcr"] + o["repeats_avoided_transfer"]) * b.repeat_handled_share
    o["handled_after"] = b.handled - avoided_handled + v * b.handled
    da = np.asarray(x.get("aht_change_s", 0.0), dtype=float) + z
    o["hours_aht"] = -o["handled_after"] * da / 3600 / occ
    o["saving_aht"] = _at(o["hours_aht"], H)

    contacts = o["repeats_avoided_fcr"] + o["repeats_avoided_transfer"] + o["agent_contacts_avoided"] - o["volume_change_contacts"]
    hours = o["hours_fcr"] + o["hours_transfer_handle"] + o["hours_transfer_repeats"] + o["hours_containment"] + o["hours_volume"] + o["hours_aht"]
    saving = (o["saving_fcr"] + o["saving_transfer_handle"] + o["saving_transfer_repeats"] + o["saving_containment"]
              + o["saving_volume"] + o["saving_aht"])
    f = b.year_factor
    o["contacts_avoided"] = contacts
    o["agent_hours_saved"] = hours
    o["net_saving"] = saving
    o["contacts_avoided_year"] = contacts * f
    o["agent_hours_saved_year"] = hours * f
    o["fte_saved"] = hours * f / b.productive_hours_per_fte
    o["net_saving_year"] = saving * f
    o["repeats_avoided"] = o["repeats_avoided_fcr"] + o["repeats_avoided_transfer"]
    o["repeat_drop_share"] = o["repeats_avoided"] / b.repeats if b.repeats else z.copy()
    return o


def _at(quantity: np.ndarray, rate: Any) -> np.ndarray:
    """``quantity x rate`` (a price, a handle time); 0 where the quantity is 0 (an unknown rate
    then adds nothing) and NaN where a non-zero quantity has no rate (a price nobody gave, a
    handle time the export lacks), never 0."""
    q = np.asarray(quantity, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(q == 0, 0.0, q * np.asarray(rate, dtype=float))


def _base(s: Scenario, b: Baseline) -> dict[str, float]:
    x = {k: v[1] for k, v in scenario_inputs(s, b).items()}
    return {k: float(v) for k, v in evaluate(s, b, x).items()}


def _n(v: float, d: int = 0) -> str:
    return f"{v:,.{d}f}"


def _hours_text(v: float) -> str:
    return f"{_n(v, 1)} h" if math.isfinite(v) else "hours not measured"


def _hourly_text(x: Mapping[str, Any]) -> str:
    return f"{x['hourly_cost']:.2f}/h" if "hourly_cost" in x else "no hourly cost (not priced)"


def priced_shares(s: Scenario, b: Baseline) -> dict[str, float]:
    """The share in priced channels of each kind of contact the scenario's saving prices (keyed
    as :data:`PRICED_SHARE_LINES`), where it is below 1: the others have no price and are kept
    out of the saving, never priced at the priced channels' mean. A kind with no price at all
    is not listed (that saving is not priced), nor one the scenario's levers do not move.

    Examples
    --------
    >>> from cxkit.config import Scenario
    >>> b = Baseline(period_days=30, currency="GBP", occupancy=0.8, productive_hours_per_fte=1600,
    ...              hourly_cost=None, eligible=10, fcr=0.5, fcr_ci=(0.4, 0.6), fcr_judged=8, repeats=4,
    ...              repeats_after_eligible=4, chain_repeats=4, unresolved=4, repeats_per_unresolved=1.0,
    ...              repeats_per_unresolved_ci=(1.0, 1.0), repeat_price=5.0, repeat_handle_h=0.1,
    ...              repeat_handled_share=1.0, handled=10, inbound=10, inbound_cost=30.0, inbound_not_priced=4,
    ...              inbound_handle_h=1.0, transferred=0, eligible_judged_transferred=0,
    ...              aht_transferred_s=None, aht_not_transferred_s=None, fcr_transferred=None,
    ...              fcr_not_transferred=None, containment_entries=0, contained=0, agent_price=5.0,
    ...              agent_aht_s=300.0, self_service_price=None, staffed_fte=None, repeat_priced_share=0.75)
    >>> priced_shares(Scenario(name="f", fcr_change=0.05), b)
    {'repeats': 0.75}
    >>> priced_shares(Scenario(name="v", volume_change=-0.05), b)
    {'inbound contacts': 0.6}
    >>> priced_shares(Scenario(name="a", aht_change_s=-20), b)
    {}
    """
    x = scenario_inputs(s, b)
    out: dict[str, float] = {}
    # a transfer lever avoids repeats only when transferred contacts are resolved less often
    repeats = "fcr_change" in x or ("transfer_rate_to" in x and b.transfer_rate > 0 and _transfer_fcr_gap(b) > 0)
    if repeats and b.repeat_price is not None and b.repeat_priced_share < 1:
        out["repeats"] = b.repeat_priced_share
    if "containment_to" in x and b.agent_price is not None and b.agent_priced_share < 1:
        out["agent contacts"] = b.agent_priced_share
    if "volume_change" in x and 0 < b.inbound_not_priced < b.inbound:
        out["inbound contacts"] = b.inbound_priced_share
    return out


def priced_share_note(shares: Mapping[str, float]) -> str | None:
    """The caveat a scenario's net saving carries when some of its contacts have no price
    (``shares`` as :func:`priced_shares` gives them), or None when every one is priced.

    Examples
    --------
    >>> priced_share_note({"repeats": 0.751})
    'priced share 75.1% of the repeats: those in channels without a price are kept out of the saving'
    >>> priced_share_note({}) is None
    True
    """
    if not shares:
        return None
    listed = ", ".join(f"{share:.1%} of the {what}" for what, share in shares.items())
    return f"priced share {listed}: those in channels without a price are kept out of the saving"


def _rep_price_text(b: Baseline) -> str:
    if b.repeat_price is None:
        return "no price (not priced)"
    share = f" x {b.repeat_priced_share:.1%} priced" if b.repeat_priced_share < 1 else ""
    return f"{b.repeat_price:.2f}{share}"


def scenario_lines(s: Scenario, b: Baseline) -> pd.DataFrame:
    """The scenario's arithmetic, one line per step, as a finance reader follows it.

    Returns
    -------
    DataFrame
        ``step``, ``item``, ``formula`` (the numbers that go in), ``value``, ``unit``,
        ``source`` ("measured", "engagement", "scenario" or "computed"; a price: "engagement",
        "derived" (from the measured AHT), "given and derived" or "not priced", by the basis of
        the channel prices it is the mean of, ``Baseline.sources``; "engagement" when the
        baseline does not say).
    """
    o = _base(s, b)
    x = {k: v[1] for k, v in scenario_inputs(s, b).items()}
    shares = priced_shares(s, b)
    cur = b.currency or "currency"
    lines: list[tuple[str, str, float, str, str]] = []

    def add(item: str, formula: str, value: float, unit: str, source: str) -> None:
        lines.append((item, formula, value, unit, source))

    add("Data period", "local calendar days from the first to the last arrival", b.period_days, "days", "measured")
    if "fcr_change" in x:
        pop = _fcr_population(s, b)
        add(f"Eligible contacts ({pop['label']})", "inbound, handled, identified, reason not excluded", pop["eligible"], "contacts", "measured")
        add("FCR before", f"repeat-based FCR, {b.fcr_judged:,} judged contacts", pop["fcr"], "share", "measured")
        add("FCR change", "from the scenario" + (f" ({s.fcr_to:.0%} - {s.fcr_from:.0%})" if s.fcr_from is not None else ""),
            x["fcr_change"], "points (share)", "scenario")
        add("FCR after", f"{pop['fcr']:.1%} + {x['fcr_change'] * 100:.1f} points", o["fcr_after"], "share", "computed")
        add("Unresolved contacts avoided", f"{x['fcr_change'] * 100:.1f} points x {_n(pop['eligible'])} eligible",
            o["unresolved_avoided"], "contacts", "computed")
        add("Repeats per unresolved eligible contact",
            f"{_n(pop['chain'])} contacts in the chains after {_n(pop['unresolved'])} unresolved eligible contacts",
            x["repeats_per_unresolved"], "repeats", "measured")
        add("Repeat contacts avoided (FCR)", f"{_n(o['unresolved_avoided'], 1)} x {x['repeats_per_unresolved']:.3f}",
            o["repeats_avoided_fcr"], "contacts", "computed")
        add("Cost per avoided repeat", "mean price of the repeats after eligible contacts, by their channel",
            b.repeat_price if b.repeat_price is not None else float("nan"), cur,
            _PRICE_SOURCE[b.sources.get("repeat_price_basis", GIVEN) if b.repeat_price is not None else NOT_PRICED])
        if "repeats" in shares:
            add(PRICED_SHARE_LINES["repeats"], "the others have no price: kept out of the saving",
                shares["repeats"], "share", "measured")
        add("Saving from avoided repeats", f"{_n(o['repeats_avoided_fcr'], 1)} x {_rep_price_text(b)}",
            o["saving_fcr"], cur, "computed")
        handle = f"{b.repeat_handle_h * 60:.2f} min handle" if b.timed else "their handle time (not measured)"
        add("Agent hours from avoided repeats",
            f"{_n(o['repeats_avoided_fcr'], 1)} x {handle} / {b.occupancy:.0%} occupancy", o["hours_fcr"], "hours",
            "computed")
    if "transfer_rate_to" in x:
        add("Transfer rate before", f"{_n(b.transferred)} transferred / {_n(b.handled)} handled", b.transfer_rate, "share", "measured")
        add("Transfer rate after", "from the scenario", x["transfer_rate_to"], "share", "scenario")
        add("Transfers avoided", f"({b.transfer_rate:.1%} - {x['transfer_rate_to']:.1%}) x {_n(b.handled)} handled",
            o["transfers_avoided"], "contacts", "computed")
        if b.timed:
            tr, nt = b.aht_transferred_s or 0, b.aht_not_transferred_s or 0
            add("Handle time of a transfer", f"AHT transferred {tr:.0f} s - not transferred {nt:.0f} s", tr - nt,
                "seconds", "measured")
        else:
            add("Handle time of a transfer", f"not measured: {b.handle_times_not_measured}", float("nan"), "seconds",
                "measured")
        add(HOURLY_SAVINGS_HOURS[HOURLY_SAVINGS[0]], "transfers avoided x handle-time gap / 3600 / occupancy",
            o["hours_transfer_handle"], "hours", "computed")
        add(HOURLY_SAVINGS[0], f"{_hours_text(o['hours_transfer_handle'])} x {_hourly_text(x)}",
            o["saving_transfer_handle"], cur, "computed")
        add("FCR gap, not transferred - transferred",
            f"{(b.fcr_not_transferred or 0):.1%} - {(b.fcr_transferred or 0):.1%}",
            (b.fcr_not_transferred or 0) - (b.fcr_transferred or 0), "points (share)", "measured")
        formula = ("eligible contacts no longer transferred x FCR gap x repeats per unresolved"
                   if _transfer_fcr_gap(b) > 0
                   else "none: transferred contacts are not resolved less often (an FCR gap at or below 0 avoids no "
                        "repeat)")
        add("Repeat contacts avoided (transfers)", formula, o["repeats_avoided_transfer"], "contacts", "computed")
        if "repeats" in shares and "fcr_change" not in x:  # with an FCR lever, said above
            add(PRICED_SHARE_LINES["repeats"], "the others have no price: kept out of the saving",
                shares["repeats"], "share", "measured")
        add("Saving from those repeats", f"{_n(o['repeats_avoided_transfer'], 1)} x {_rep_price_text(b)}",
            o["saving_transfer_repeats"], cur, "computed")
    if "containment_to" in x:
        add("Containment before", f"{_n(b.contained)} contained / {_n(b.containment_entries)} self-service entries",
            b.containment_rate or 0.0, "share", "measured")
        add("Containment after", "from the scenario", x["containment_to"], "share", "scenario")
        add("Agent contacts avoided", "extra contained entries x 1 agent contact each (assumption)",
            o["agent_contacts_avoided"], "contacts", "computed")
        ss = b.self_service_price
        if b.agent_price is None:
            # no price for the agent contact a contained entry saves: not priced, never 0
            add("Saving per contained entry", "agent contact not priced: no saving can be priced", float("nan"),
                cur, _PRICE_SOURCE[NOT_PRICED])
        else:
            add("Saving per contained entry",
                f"agent contact {b.agent_price:.2f} - self-service {ss:.2f}" if ss is not None
                else f"agent contact {b.agent_price:.2f} (self-service not priced: not subtracted)",
                b.agent_price - (ss or 0), cur, _PRICE_SOURCE[b.sources.get("containment_price_basis", GIVEN)])
        priced = ""
        if "agent contacts" in shares:
            add(PRICED_SHARE_LINES["agent contacts"],
                "of the inbound contacts agents handled; the others have no price: kept out of the saving",
                shares["agent contacts"], "share", "measured")
            priced = f" x {b.agent_priced_share:.1%} priced"
        add("Saving from containment", f"agent contacts avoided x saving per entry{priced}", o["saving_containment"],
            cur, "computed")
        aht = (f"{b.agent_aht_s:.0f} s AHT" if b.agent_aht_measured
               else f"AHT (not measured: {b.agent_aht_not_measured})")
        add("Agent hours from containment", f"x {aht} / 3600 / occupancy", o["hours_containment"], "hours", "computed")
    if "volume_change" in x:
        add("Inbound contacts", "all inbound contacts in the period", b.inbound, "contacts", "measured")
        add("Volume change", "from the scenario", x["volume_change"], "share", "scenario")
        if "inbound contacts" in shares:
            add(PRICED_SHARE_LINES["inbound contacts"], "the others have no price: kept out of the saving",
                shares["inbound contacts"], "share", "measured")
        add("Saving from volume", f"-({x['volume_change']:+.1%}) x {_n(b.inbound_cost, 2)} cost of priced inbound contacts",
            o["saving_volume"], cur, "computed")
        hours = (f"{_n(b.inbound_handle_h, 1)} inbound handle hours" if b.timed
                 else "inbound handle hours (not measured)")
        add("Agent hours from volume", f"-({x['volume_change']:+.1%}) x {hours} / occupancy", o["hours_volume"],
            "hours", "computed")
    if "aht_change_s" in x:
        add("Handled contacts after the change", "handled - handled repeats avoided (+ volume change)", o["handled_after"], "contacts", "computed")
        add("AHT change", "from the scenario", x["aht_change_s"], "seconds", "scenario")
        add(HOURLY_SAVINGS_HOURS[HOURLY_SAVINGS[1]],
            f"-{_n(o['handled_after'])} x {x['aht_change_s']:+.0f} s / 3600 / {b.occupancy:.0%} occupancy",
            o["hours_aht"], "hours", "computed")
        # given, implied by the prices, or neither ("not available: no cost.loaded_hourly_cost ..."
        # read as given by the engagement, the word "loaded" being in it)
        given = b.sources.get("hourly_cost") == "cost.loaded_hourly_cost"
        add("Hourly cost of agent time", b.sources.get("hourly_cost", ""), x.get("hourly_cost", float("nan")), f"{cur}/hour",
            "engagement" if given else "computed" if b.hourly_cost is not None else _PRICE_SOURCE[NOT_PRICED])
        add(HOURLY_SAVINGS[1], f"{_n(o['hours_aht'], 1)} h x {_hourly_text(x)}", o["saving_aht"], cur,
            "computed")
    add("Contacts avoided (period)", "sum of the contacts lines", o["contacts_avoided"], "contacts", "computed")
    untimed = "" if math.isfinite(o["agent_hours_saved"]) else f" (not measured: {b.handle_times_not_measured})"
    add("Agent hours saved (period)", f"sum of the hours lines{untimed}", o["agent_hours_saved"], "hours", "computed")
    add("Net saving (period)", "sum of the saving lines (negative: a cost)", o["net_saving"], cur, "computed")
    # scaled up from fewer days, the period's own at a year, an average over more
    per_year = f"x 365 / {in_days(b.period_days)} ({yearly(b.period_days)})"
    add("Contacts avoided per year", per_year, o["contacts_avoided_year"], "contacts", "computed")
    add("Agent hours saved per year", per_year, o["agent_hours_saved_year"], "hours", "computed")
    hours_year = f"{_n(o['agent_hours_saved_year'])} h" if not untimed else "agent hours (not measured)"
    add("FTE saved", f"{hours_year} / {_n(b.productive_hours_per_fte)} productive hours per FTE", o["fte_saved"], "FTE",
        "computed")
    add("Net saving per year", per_year, o["net_saving_year"], cur, "computed")
    if "fcr_change" in x or "transfer_rate_to" in x:
        add("Repeat contacts avoided, share of all repeats", f"{_n(o['repeats_avoided'], 1)} / {_n(b.repeats)} repeats",
            o["repeat_drop_share"], "share", "computed")
    frame = pd.DataFrame(lines, columns=_LINE_COLUMNS[1:])
    frame.insert(0, "step", range(1, len(frame) + 1))
    return frame


# --------------------------------------------------------------------------------------------
# uncertainty
# --------------------------------------------------------------------------------------------


def _rng(seed: int, name: str) -> np.random.Generator:
    # one stream per scenario, independent of the order scenarios are listed in
    return np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(name.encode("utf-8"))]))


def _draws(s: Scenario, b: Baseline, seed: int, draws: int) -> dict[str, np.ndarray]:
    """Triangular(low, base, high) draws of every input that has a range; constants otherwise.
    Inputs are drawn in name order, so the same seed gives the same draws."""
    rng = _rng(seed, s.name)
    x: dict[str, np.ndarray] = {}
    for key, (lo, base, hi) in sorted(scenario_inputs(s, b).items()):
        if hi > lo:
            x[key] = rng.triangular(lo, min(max(base, lo), hi), hi, size=draws)
        else:
            x[key] = np.full(draws, base)
    return x


def monte_carlo(s: Scenario, b: Baseline, *, seed: int, draws: int = 10_000) -> pd.DataFrame:
    """P10 / P50 / P90 of each output over ``draws`` seeded draws of the inputs.

    Each input with a range is drawn from a triangular distribution (low, base, high); the
    generator is ``numpy.random.default_rng(SeedSequence([seed, crc32(scenario name)]))``.

    Returns
    -------
    DataFrame
        ``output``, ``label``, ``base``, ``p10``, ``p50``, ``p90``, ``share_negative`` (share
        of draws below zero), ``draws``, ``seed``.
    """
    o = evaluate(s, b, _draws(s, b, seed, draws))
    base = _base(s, b)
    rows = []
    for key, label in OUTPUTS.items():
        v = np.broadcast_to(o[key], (draws,))
        # an output that needs a price nobody gave (not priced) or a handle time the export lacks
        # (not measured) has no value in any draw
        if np.isnan(v).any():
            p10 = p50 = p90 = negative = float("nan")
        else:
            p10, p50, p90 = np.percentile(v, [10, 50, 90])
            negative = float((v < 0).mean())
        rows.append({
            "output": key, "label": label, "base": base[key], "p10": float(p10), "p50": float(p50),
            "p90": float(p90), "share_negative": negative, "draws": draws, "seed": int(seed),
        })
    return pd.DataFrame(rows, columns=_MC_COLUMNS)


def tornado(s: Scenario, b: Baseline, *, output: str = "net_saving_year") -> pd.DataFrame:
    """How far each input with a range moves ``output`` on its own (the others at base).

    Returns
    -------
    DataFrame
        ``input``, ``description``, ``low``, ``base``, ``high``, ``result_low``,
        ``result_high``, ``base_result``, ``swing`` (``|result_high - result_low|``), largest
        swing first; inputs without a range are left out.
    """
    inputs = scenario_inputs(s, b)
    base_x = {k: v[1] for k, v in inputs.items()}
    base_result = float(evaluate(s, b, base_x)[output])
    rows = []
    for key, (lo, base, hi) in inputs.items():
        if hi <= lo:
            continue
        at_lo = float(evaluate(s, b, {**base_x, key: lo})[output])
        at_hi = float(evaluate(s, b, {**base_x, key: hi})[output])
        rows.append({
            "input": key, "description": SCENARIO_INPUTS.get(key, key), "low": lo, "base": base, "high": hi,
            "result_low": at_lo, "result_high": at_hi, "base_result": base_result, "swing": abs(at_hi - at_lo),
        })
    out = pd.DataFrame(rows, columns=_TORNADO_COLUMNS)
    return out.sort_values(["swing", "input"], ascending=[False, True]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# consistency
# --------------------------------------------------------------------------------------------


def consistency_flags(s: Scenario, b: Baseline) -> pd.DataFrame:
    """Inputs that contradict each other or the measured baseline, each with its reason.

    Returns
    -------
    DataFrame
        ``flag``, ``severity`` ("inconsistent": the inputs cannot all hold; "check": the result
        leans on something weak; "consistent": a stated claim the data supports), ``reason``.
    """
    inputs = scenario_inputs(s, b)
    o = _base(s, b)
    rows: list[tuple[str, str, str]] = []
    if "fcr_change" in inputs:
        pop = _fcr_population(s, b)
        lo, base, hi = inputs["fcr_change"]
        if s.fcr_from is not None and not (b.fcr_ci[0] <= s.fcr_from <= b.fcr_ci[1]) and not s.reasons:
            rows.append(("stated baseline FCR differs from the measured FCR", "check",
                         f"the case states FCR {s.fcr_from:.1%}; measured {b.fcr:.1%} (95% CI {b.fcr_ci[0]:.1%}-"
                         f"{b.fcr_ci[1]:.1%}, {b.fcr_judged:,} judged contacts); the {base * 100:+.1f}-point change is "
                         "applied to the measured FCR"))
        if pop["fcr"] + hi > 1 or pop["fcr"] + lo < 0:
            # the change the scenario works through when it is the one past the bound, else the
            # end of its range that is: the flag quoted the range's top (+12.0) beside a worked
            # change of +11.0 that already passed 100%
            c, which = next((c, w) for c, w in ((base, "the change"), (hi, "the range's high"), (lo, "the range's low"))
                            if not 0 <= pop["fcr"] + c <= 1)
            bound, room = (("above 100%", f"only {(1 - pop['fcr']) * 100:.1f} points of FCR are left to gain")
                           if pop["fcr"] + c > 1 else ("below 0%", f"only {pop['fcr'] * 100:.1f} points can be lost"))
            rows.append(("FCR gain needs more unresolved contacts than exist", "inconsistent",
                         f"measured FCR {pop['fcr']:.1%} {c * 100:+.1f} points ({which}) is {bound}: {room}"))
        if o["repeats_avoided_fcr"] > pop["repeats_after"] + 1e-9:
            rows.append(("FCR gain needs more repeats than exist", "inconsistent",
                         f"it would avoid {o['repeats_avoided_fcr']:,.0f} repeats, but only {pop['repeats_after']:,.0f} "
                         "repeat contacts follow unresolved eligible contacts in the period's judged journeys"))
        if pop["unresolved"] < b.min_n:
            rows.append(("repeat link measured on few contacts", "check",
                         f"repeats per unresolved contact rests on {pop['unresolved']:,.0f} unresolved eligible contacts "
                         f"(under {b.min_n})"))
        if s.repeat_reduction is not None and b.repeats:
            r_lo, _, r_hi = inputs["repeats_per_unresolved"]
            # the drop in all repeats this FCR change can produce, over its inputs' ranges
            d_lo = r_lo * lo * pop["eligible"] / b.repeats
            d_hi = r_hi * hi * pop["eligible"] / b.repeats
            claim = s.repeat_reduction
            span = (f"the FCR change ({lo * 100:+.1f} to {hi * 100:+.1f} points) at {r_lo:.2f}-{r_hi:.2f} repeats per "
                    f"unresolved eligible contact removes {d_lo:.1%}-{d_hi:.1%} of the {b.repeats:,.0f} repeat contacts "
                    f"(base {o['repeat_drop_share']:.1%})")
            if claim > d_hi:
                rows.append(("repeat reduction the FCR change cannot produce", "inconsistent",
                             f"the case claims {claim:.0%} fewer repeat contacts; {span}"))
            elif claim < d_lo:
                rows.append(("repeat reduction smaller than the FCR change implies", "inconsistent",
                             f"the case claims {claim:.0%} fewer repeat contacts; {span}"))
            else:
                rows.append(("repeat reduction consistent with the FCR change", "consistent",
                             f"the case claims {claim:.0%} fewer repeat contacts; {span}"))
    if "transfer_rate_to" in inputs and not _transfer_fcr_gap(b):  # the arithmetic then avoids no repeat
        rows.append(("transferred contacts are not resolved less often", "check",
                     f"FCR transferred {(b.fcr_transferred or 0):.1%} vs not {(b.fcr_not_transferred or 0):.1%}: fewer transfers "
                     "avoid no repeats here"))
    if "containment_to" in inputs and b.self_service_price is None:
        rows.append(("self-service not priced", "check",
                     "the saving of a contained entry counts the agent contact avoided and not the self-service cost"))
    timed = math.isfinite(o["agent_hours_saved"])
    if not timed:
        rows.append(("agent hours not measured", "check",
                     f"{b.handle_times_not_measured}: the agent hours its contacts would have taken, the FTE and any "
                     "saving priced from those hours are not measured"))
    if ("aht_change_s" in inputs or "transfer_rate_to" in inputs) and b.hourly_cost is None and timed:
        rows.append(("agent hours not priced", "check",
                     "no cost.loaded_hourly_cost and no priced channel with handle time: the hours are shown, "
                     "their saving is not priced"))
    if "aht_change_s" in inputs and "implied" in b.sources.get("hourly_cost", ""):
        rows.append(("hourly cost implied by the prices", "check",
                     "no cost.loaded_hourly_cost: agent hours are priced at the hourly cost the given prices imply"))
    if b.staffed_fte is not None and o["fte_saved"] > b.staffed_fte:
        rows.append(("FTE saving larger than the staffed FTE", "inconsistent",
                     f"{o['fte_saved']:,.1f} FTE saved but {b.staffed_fte:,.1f} FTE staffed ({b.sources.get('staffed_fte', '')})"))
    return pd.DataFrame(rows, columns=_FLAG_COLUMNS)


# --------------------------------------------------------------------------------------------
# all scenarios at once
# --------------------------------------------------------------------------------------------


@dataclass
class ScenarioResults:
    """Every table of a scenario run, long format (one ``scenario`` column), ready for Parquet."""

    summary: pd.DataFrame
    lines: pd.DataFrame
    monte_carlo: pd.DataFrame
    tornado: pd.DataFrame
    flags: pd.DataFrame
    seed: int
    draws: int

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "scenario_summary": self.summary,
            "scenario_lines": self.lines,
            "scenario_monte_carlo": self.monte_carlo,
            "scenario_tornado": self.tornado,
            "scenario_flags": self.flags,
        }


def run_scenarios(
    b: Baseline, scenarios: Sequence[Scenario] | None = None, *, seed: int, draws: int = 10_000
) -> ScenarioResults:
    """Evaluate the engagement's scenarios (or :func:`default_scenarios` when none are given).

    ``summary`` has one row per scenario: ``scenario``, ``description``, the base outputs
    (:data:`OUTPUTS`, plus ``contacts_avoided``, ``agent_hours_saved``, ``net_saving`` per
    period), ``net_saving_year_p10`` / ``_p50`` / ``_p90``, ``repeat_drop_share``,
    ``inconsistent_flags``, ``top_driver`` (the input with the largest tornado swing),
    ``not_measured`` (why the scenario is not worked through, or null),
    ``hours_not_measured`` (why its agent hours and FTE are not: no handle times, or null) and
    ``priced_share_note`` (the share of its contacts in priced channels, the others kept out of
    its net saving: :func:`priced_share_note`, or null when every one is priced).
    """
    chosen = list(scenarios) if scenarios else default_scenarios(b)
    summaries, lines, mcs, tors, flags = [], [], [], [], []
    for s in chosen:
        why = unmeasured(s, b)
        if why is not None:
            # listed with its reason, every figure missing: never zeros that were not measured
            summaries.append({"scenario": s.name, "description": s.description or "", "not_measured": why})
            flags.append(pd.DataFrame([[s.name, "not worked through", "not measured", why]],
                                      columns=["scenario", *_FLAG_COLUMNS]))
            continue
        base = _base(s, b)
        mc = monte_carlo(s, b, seed=seed, draws=draws)
        tor = tornado(s, b)
        fl = consistency_flags(s, b)
        net = mc.set_index("output").loc["net_saving_year"]
        summaries.append({
            "scenario": s.name,
            "description": s.description or "",
            "contacts_avoided": base["contacts_avoided"],
            "agent_hours_saved": base["agent_hours_saved"],
            "net_saving": base["net_saving"],
            **{k: base[k] for k in OUTPUTS},
            "net_saving_year_p10": net["p10"],
            "net_saving_year_p50": net["p50"],
            "net_saving_year_p90": net["p90"],
            "repeat_drop_share": base["repeat_drop_share"],
            "inconsistent_flags": int((fl["severity"] == "inconsistent").sum()),
            "top_driver": tor["input"].iloc[0] if len(tor) else "",
            "not_measured": None,
            "hours_not_measured": None if math.isfinite(base["agent_hours_saved"]) else b.handle_times_not_measured,
            # beside the net saving it lowers (the lines say it too); a saving not priced has none
            "priced_share_note": priced_share_note(priced_shares(s, b)) if math.isfinite(base["net_saving"]) else None,
        })
        for frame, bucket in ((scenario_lines(s, b), lines), (mc, mcs), (tor, tors), (fl, flags)):
            bucket.append(frame.assign(scenario=s.name)[["scenario", *frame.columns]])
    def stacked(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
        # every scenario not worked through leaves no rows: the table keeps its columns and their types
        if frames:
            return pd.concat(frames, ignore_index=True)
        return pd.DataFrame({c: pd.Series(dtype=_NUMBER_TYPES.get(c, "string")) for c in ["scenario", *columns]})

    summary = pd.DataFrame(summaries).reindex(columns=_SUMMARY_COLUMNS)
    summary["inconsistent_flags"] = summary["inconsistent_flags"].fillna(0).astype("int64")
    # text, stored as text when null in every row: every scenario worked through (not_measured),
    # timed (hours_not_measured) or priced (priced_share_note), or none worked through
    # (top_driver); else Parquet keeps a null or a float64 column, by what this client's data gave
    summary[_SUMMARY_TEXT] = summary[_SUMMARY_TEXT].astype("string")
    return ScenarioResults(
        summary=summary,
        lines=stacked(lines, _LINE_COLUMNS),
        monte_carlo=stacked(mcs, _MC_COLUMNS),
        tornado=stacked(tors, _TORNADO_COLUMNS),
        flags=stacked(flags, _FLAG_COLUMNS),
        seed=int(seed),
        draws=int(draws),
    )


#: the summary's columns, in order (a scenario not worked through has only the first two and
#: ``not_measured``)
_SUMMARY_COLUMNS = ["scenario", "description", "contacts_avoided", "agent_hours_saved", "net_saving", *OUTPUTS,
                    "net_saving_year_p10", "net_saving_year_p50", "net_saving_year_p90", "repeat_drop_share",
                    "inconsistent_flags", "top_driver", "not_measured", "hours_not_measured", "priced_share_note"]
#: the summary's text columns that can be null in every row
_SUMMARY_TEXT = ["top_driver", "not_measured", "hours_not_measured", "priced_share_note"]
