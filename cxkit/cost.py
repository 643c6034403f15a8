"""What repeat contacts cost: prices per channel, repeat cost, failure demand and the cost of a
resolved issue (METRICS.md, "Cost of repeat contacts").

Every figure traces back to an engagement input or a measured value and says which:

* a channel's **cost per contact** is *given* (``cost.cost_per_contact``) or *derived* from its
  measured AHT (``AHT hours x loaded_hourly_cost / occupancy + overhead_per_contact``); a channel
  with neither is *not priced*: it is listed, kept out of every total and never priced at 0;
* **repeat cost** prices the repeat-share numerator (:func:`cxkit.resolution.repeat_share`, reused:
  repeat detection lives there only) by each repeat's own channel, whatever its outcome, for the
  data period; the annualised figure is an extrapolation (``x 365 / period days``);
* **failure demand** is the inbound volume of the reasons the engagement tags as avoidable; the
  repeats among it are counted in both figures, so the overlap is reported and
  :func:`avoidable_cost` adds the two without double counting;
* **cost per resolved issue** prices every contact of the judged journeys
  (:mod:`cxkit.journey`) and divides by the resolved journeys.

The functions return lazy ibis tables except :func:`data_period` (two scalars: the reporting
edge). They compose: :func:`repeat_counts` is computed once (the only pass over the contacts that
pairs repeats) and every cost table rolls it up, so a caller that caches it pays for pairing once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir

from cxkit.config import Cost
from cxkit.operations import _as_list, _label_segments, aht
from cxkit.resolution import repeat_share
from cxkit.wording import yearly_note
from cxkit.zones import zone

__all__ = [
    "GIVEN",
    "GIVEN_SOURCE",
    "DERIVED",
    "NOT_PRICED",
    "GIVEN_AND_DERIVED",
    "combined_basis",
    "SEGMENTS",
    "DataPeriod",
    "data_period",
    "channel_prices",
    "repeat_counts",
    "repeat_cost",
    "failure_demand",
    "avoidable_cost",
    "cost_per_resolved_issue",
    "known_reasons",
    "reason_problems",
]

#: Price bases of :func:`channel_prices`; a segment priced with both kinds reads
#: :data:`GIVEN_AND_DERIVED` (``price_basis`` of the cost tables).
GIVEN, DERIVED, NOT_PRICED = "given", "derived", "not priced"
GIVEN_AND_DERIVED = "given and derived"


def combined_basis(bases: Iterable[str | None]) -> str:
    """The price basis of a figure priced with several prices of these ``bases`` (channels, or
    rows already combined): given and derived when both kinds go into it, else the one kind,
    else not priced.

    Examples
    --------
    >>> combined_basis(["given", "derived", "not priced"]), combined_basis(["derived"]), combined_basis([])
    ('given and derived', 'derived', 'not priced')
    """
    kinds = set(bases)
    given = bool(kinds & {GIVEN, GIVEN_AND_DERIVED})
    derived = bool(kinds & {DERIVED, GIVEN_AND_DERIVED})
    if given and derived:
        return GIVEN_AND_DERIVED
    return GIVEN if given else DERIVED if derived else NOT_PRICED


#: What the ``source`` column says of a given price: an engagement input, never a measurement.
GIVEN_SOURCE = "given by the engagement (not measured)"

#: Segments repeat counts are kept by (the repeat contact's own values); ``channel`` prices them.
SEGMENTS: tuple[str, ...] = ("channel", "contact_reason", "reason_family", "queue", "team")

_DAYS_PER_YEAR = 365


# --------------------------------------------------------------------------------------------
# the data period
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataPeriod:
    """The local calendar days the contacts cover, empty days included.

    ``days`` = last arrival date - first arrival date + 1 (local dates in the engagement's
    timezone); annualised figures are ``x 365 / days``: an extrapolation of the period, not a
    measurement of a year.
    """

    first_date: date
    last_date: date

    @property
    def days(self) -> int:
        return (self.last_date - self.first_date).days + 1

    @property
    def annualisation_factor(self) -> float:
        return _DAYS_PER_YEAR / self.days

    @property
    def note(self) -> str:
        return f"data from {self.first_date} to {self.last_date}: {yearly_note(self.days)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "first_date": self.first_date.isoformat(),
            "last_date": self.last_date.isoformat(),
            "days": self.days,
            "annualisation_factor": self.annualisation_factor,
            "note": self.note,
        }


def data_period(contacts: ir.Table, timezone_name: str = "UTC") -> DataPeriod:
    """The data period: local calendar days from the first to the last ``arrived_at``.

    Executes one two-scalar aggregate (the reporting edge); dates are taken in
    ``timezone_name`` (the engagement's timezone).

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> t = canonical_memtable("contacts", [{"contact_id": "a", "arrived_at": "2026-03-01 00:30"},
    ...                                     {"contact_id": "b", "arrived_at": "2026-03-30 23:30"}])
    >>> p = data_period(t, "Europe/London")  # 30 March 23:30 UTC is 31 March 00:30 BST
    >>> p.first_date, p.last_date, p.days
    (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31), 31)
    """
    row = contacts.aggregate(first=contacts.arrived_at.min(), last=contacts.arrived_at.max()).execute()
    first, last = row["first"].iloc[0], row["last"].iloc[0]
    if first is None or last is None or first != first or last != last:  # NaT
        raise ValueError("data_period: the contacts have no arrived_at values; there is no period to price")
    tz = zone(timezone_name)
    return DataPeriod(_local_date(first, tz), _local_date(last, tz))


def _local_date(value: Any, tz: ZoneInfo) -> date:
    ts = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    if isinstance(ts, datetime):
        ts = ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts
        return ts.astimezone(tz).date()
    return ts


# --------------------------------------------------------------------------------------------
# cost per contact
# --------------------------------------------------------------------------------------------


def _mmss(seconds: ir.NumericValue) -> ir.StringValue:
    s = seconds.round(0).cast("int64")
    return (s // 60).cast("string") + ":" + (s % 60).cast("string").lpad(2, "0")


def channel_prices(contacts: ir.Table, cost: Cost) -> ir.Table:
    """Cost per contact for every channel in the contacts, and where each price comes from.

    A price in ``cost.cost_per_contact`` is used as given. Otherwise, with
    ``cost.loaded_hourly_cost`` and a measured AHT (:func:`cxkit.operations.aht`: talk + hold +
    ACW over handled contacts), it is derived as
    ``AHT / 3600 x loaded_hourly_cost / occupancy + overhead_per_contact``. Otherwise the
    channel is not priced (``cost_per_contact`` null, never 0).

    Parameters
    ----------
    contacts
        Canonical contacts.
    cost
        The engagement's ``cost`` section.

    Returns
    -------
    Table
        One row per channel: ``channel``, ``handled``, ``aht_s`` (measured mean, null when no
        handled contact has a handle time), ``cost_per_contact``, ``basis`` ("given",
        "derived" or "not priced") and ``source`` (e.g. "given", "derived from AHT 9:46 at
        38.00/h and 82% occupancy", "not priced: no price given and no measured AHT").

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> t = canonical_memtable("contacts", [
    ...     {"contact_id": "a", "channel": "voice", "direction": "inbound", "outcome": "handled",
    ...      "talk_s": 500.0, "hold_s": 30.0, "acw_s": 56.0},
    ...     {"contact_id": "b", "channel": "chat", "direction": "inbound", "outcome": "handled",
    ...      "talk_s": 300.0}])
    >>> c = Cost(cost_per_contact={"chat": 4.2}, loaded_hourly_cost=38.0, occupancy=0.82)
    >>> p = channel_prices(t, c).order_by("channel").execute()
    >>> p[["channel", "basis", "source"]].values.tolist()
    [['chat', 'given', 'given by the engagement (not measured)'], ['voice', 'derived', 'derived from AHT 9:46 at 38.00/h and 82% occupancy']]
    >>> round(float(p.cost_per_contact[1]), 4)  # 586 / 3600 x 38 / 0.82
    7.5434
    """
    a = aht(contacts, by="channel", overall=False)
    a = a.select("channel", "handled", aht_s=a.aht_mean_s)
    given = dict(cost.cost_per_contact)
    prices = ibis.memtable(
        {"_ch": list(given), "_given": [float(v) for v in given.values()]},
        schema=ibis.schema({"_ch": "string", "_given": "float64"}),
    )
    t = a.left_join(prices, a.channel == prices._ch).drop("_ch")
    hourly, occ, over = cost.loaded_hourly_cost, float(cost.occupancy), float(cost.overhead_per_contact)
    if hourly is not None:
        derived = t.aht_s / 3600.0 * float(hourly) / occ + over
        text = f" at {hourly:.2f}/h and {occ:.0%} occupancy" + (f" plus {over:.2f} overhead per contact" if over else "")
        derived_source = ibis.literal("derived from AHT ") + _mmss(t.aht_s) + ibis.literal(text)
        missing = "not priced: no price given and no measured AHT (no handled contact with a handle time) to derive one"
    else:
        derived = ibis.null("float64")
        derived_source = ibis.null("string")
        missing = "not priced: no price given and no cost.loaded_hourly_cost to derive one from AHT"
    can_derive = t.aht_s.notnull() if hourly is not None else ibis.literal(False)
    has_given = t._given.notnull()
    return t.select(
        "channel",
        "handled",
        "aht_s",
        cost_per_contact=ibis.ifelse(has_given, t._given, ibis.ifelse(can_derive, derived, ibis.null("float64"))),
        basis=ibis.ifelse(has_given, GIVEN, ibis.ifelse(can_derive, DERIVED, NOT_PRICED)),
        source=ibis.ifelse(
            has_given, ibis.literal(GIVEN_SOURCE), ibis.ifelse(can_derive, derived_source, ibis.literal(missing))
        ),
    )


# --------------------------------------------------------------------------------------------
# repeat counts (the one pairing pass) and repeat cost
# --------------------------------------------------------------------------------------------


def repeat_counts(
    contacts: ir.Table,
    *,
    window_days: float = 7,
    same_reason: bool = False,
    by: Sequence[str] = SEGMENTS,
) -> ir.Table:
    """Inbound contacts and repeat contacts per fine segment: what every cost table rolls up.

    Repeats are the numerator of :func:`cxkit.resolution.repeat_share` (reused, not
    re-implemented): inbound contacts from an identified customer that arrived within the
    window after an earlier inbound contact of the same customer ended. Segment values are the
    repeat contact's own; a null segment reads "(not recorded)".

    Parameters
    ----------
    contacts
        Canonical contacts, or the paired contacts a run caches
        (:func:`cxkit.resolution.recontact_frame`): their pairing is then read, not redone, and
        the counts are the same.
    window_days, same_reason
        Repeat window and variant, as in :func:`cxkit.resolution.repeat_share`.
    by
        Segment columns; ``channel`` is always kept (it prices the repeats).

    Returns
    -------
    Table
        ``by`` columns, ``inbound`` (inbound contacts, identified or not), ``identified_inbound``
        (the repeat-share denominator) and ``repeats`` (the repeat-share numerator).

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> c = dict(customer_id="k1", direction="inbound", channel="voice", outcome="handled")
    >>> t = canonical_memtable("contacts", [
    ...     {**c, "contact_id": "a", "arrived_at": "2026-03-02 09:00", "ended_at": "2026-03-02 09:10"},
    ...     {**c, "contact_id": "b", "arrived_at": "2026-03-03 09:00", "ended_at": "2026-03-03 09:10"},
    ...     {**c, "contact_id": "c", "arrived_at": "2026-03-03 10:00", "customer_id": None}])
    >>> r = repeat_counts(t, by=["channel"]).execute()
    >>> r[["channel", "inbound", "identified_inbound", "repeats"]].values.tolist()
    [['voice', 3, 2, 1]]
    """
    by_ = list(dict.fromkeys(["channel", *by]))
    rs = repeat_share(contacts, window_days=window_days, same_reason=same_reason, by=by_)
    rs = rs.select(*by_, identified_inbound=rs.denominator, repeats=rs.numerator)
    lab = _label_segments(contacts.select(*by_, "direction"), by_)
    inbound = lab.aggregate(by=by_, inbound=lab.count(where=(lab.direction == "inbound").fill_null(False)))
    inbound = inbound.rename({f"_i_{c}": c for c in by_})
    out = rs.left_join(inbound, [rs[c] == inbound[f"_i_{c}"] for c in by_])
    return out.select(
        *by_,
        inbound=out.inbound.fill_null(0),
        identified_inbound=out.identified_inbound,
        repeats=out.repeats,
    )


def _priced(counts: ir.Table, prices: ir.Table, by: Sequence[str], volume: str) -> ir.Table:
    """``volume`` summed per ``by`` x channel, with the channel's price (count x price, so a
    channel's cost is exactly its count times its price)."""
    keys = list(dict.fromkeys([*by, "channel"]))
    per = counts.aggregate(by=keys, _n=counts[volume].sum())
    p = prices.select(_pch="channel", _price="cost_per_contact", _basis="basis")
    per = per.left_join(p, per.channel == p._pch).drop("_pch")
    return per.mutate(_cost=per._n.cast("float64") * per._price, _has_price=per._price.notnull())


def _rolled(per: ir.Table, by: Sequence[str], period: DataPeriod, prefix: str) -> ir.Table:
    counted = per._has_price & (per._n > 0)
    metrics = {
        prefix: per._n.sum(),
        f"priced_{prefix}": per._n.sum(where=per._has_price),
        f"not_priced_{prefix}": per._n.sum(where=~per._has_price),
        "_cost": per._cost.sum(where=per._has_price),
        "_given": per.count(where=counted & (per._basis == GIVEN)),
        "_derived": per.count(where=counted & (per._basis == DERIVED)),
    }
    agg = per.aggregate(by=list(by), **metrics) if by else per.aggregate(**metrics)
    agg = agg.mutate(**{k: agg[k].fill_null(0) for k in (prefix, f"priced_{prefix}", f"not_priced_{prefix}")})
    # a segment whose volume is all in unpriced channels has no cost (null), not a cost of 0
    cost = ibis.ifelse(
        agg[f"priced_{prefix}"] == 0,
        ibis.ifelse(agg[f"not_priced_{prefix}"] > 0, ibis.null("float64"), 0.0),
        agg._cost,
    )
    # which kind of price the segment's cost rests on: the caveats of derived prices (AHT)
    # apply to a segment only when a derived price went into it
    # (a segment without volume rests on no price: null)
    basis = ibis.ifelse(
        agg._derived > 0,
        ibis.ifelse(agg._given > 0, GIVEN_AND_DERIVED, DERIVED),
        ibis.ifelse(
            agg._given > 0, GIVEN, ibis.ifelse(agg[f"not_priced_{prefix}"] > 0, NOT_PRICED, ibis.null("string"))
        ),
    )
    return agg.mutate(_cost=cost, price_basis=basis, period_days=ibis.literal(period.days)).drop("_given", "_derived")


def repeat_cost(
    counts: ir.Table,
    prices: ir.Table,
    period: DataPeriod,
    *,
    by: str | Sequence[str] | None = "channel",
) -> ir.Table:
    """Repeat cost = repeats x their channel's cost per contact, for the period and annualised.

    Parameters
    ----------
    counts
        :func:`repeat_counts`.
    prices
        :func:`channel_prices`.
    period
        :func:`data_period`; ``annualised = period cost x 365 / period.days`` (an extrapolation).
    by
        ``"channel"`` (with each channel's price and its basis), any other column(s) of
        ``counts`` (``contact_reason``, ``queue``, ``team``), or None for the one-row total.

    Returns
    -------
    Table
        ``by`` columns; ``repeats``; ``priced_repeats``; ``not_priced_repeats`` (in channels
        without a price: kept out of the cost); ``repeat_cost`` (period; null when every repeat
        of the segment is unpriced); ``repeat_cost_annualised``; ``price_basis`` (the kind of
        prices its cost rests on: "given", "derived", "given and derived" or "not priced");
        ``period_days``; by channel
        also ``cost_per_contact``, ``basis`` and ``source``; per segment ``share_of_repeat_cost``;
        the total (``by=None``) also ``not_priced_channels`` (channels with repeats but no
        price, comma-separated) and ``annualised_note``.

    Examples
    --------
    >>> import ibis
    >>> from datetime import date
    >>> counts = ibis.memtable({"channel": ["voice", "chat", "social"], "contact_reason": ["A", "A", "B"],
    ...                         "repeats": [10, 4, 3]})
    >>> prices = ibis.memtable({"channel": ["voice", "chat", "social"], "cost_per_contact": [6.5, 4.2, None],
    ...                         "basis": ["given", "given", "not priced"], "source": ["given", "given", "not priced"]})
    >>> period = DataPeriod(date(2026, 3, 1), date(2026, 3, 31))
    >>> r = repeat_cost(counts, prices, period, by=None).execute()
    >>> float(r.repeat_cost[0]), int(r.not_priced_repeats[0]), r.not_priced_channels[0]  # 10 x 6.5 + 4 x 4.2
    (81.8, 3, 'social')
    >>> round(float(r.repeat_cost_annualised[0]), 2)  # 81.8 x 365 / 31
    963.13
    """
    by_ = _as_list(by)
    per = _priced(counts, prices, by_, "repeats")
    out = _rolled(per, by_, period, "repeats").rename(repeat_cost="_cost")
    out = out.mutate(repeat_cost_annualised=out.repeat_cost * _DAYS_PER_YEAR / period.days)
    if by_ == ["channel"]:
        p = prices.select(_pch="channel", cost_per_contact="cost_per_contact", basis="basis", source="source")
        out = out.left_join(p, out.channel == p._pch).drop("_pch")
        # a channel with repeats and no price row at all (not in the price table) is not priced
        out = out.mutate(
            basis=out.basis.fill_null(NOT_PRICED),
            source=out.source.fill_null("not priced: channel absent from the price table"),
        )
    if by_:
        total = out.repeat_cost.sum().over(ibis.window())
        out = out.mutate(
            share_of_repeat_cost=ibis.ifelse(total > 0, out.repeat_cost / total, ibis.null("float64"))
        )
        return out.order_by([out.repeat_cost.desc(), *by_])
    np_ch = per.aggregate(
        not_priced_channels=per.channel.collect(where=~per._has_price & (per._n > 0)).sort().join(", ")
    )
    out = out.cross_join(np_ch)
    return out.mutate(
        not_priced_channels=ibis.ifelse(out.not_priced_repeats > 0, out.not_priced_channels, ""),
        annualised_note=ibis.literal(period.note),
    )


# --------------------------------------------------------------------------------------------
# failure demand and the avoidable total
# --------------------------------------------------------------------------------------------


def _is_failure(t: ir.Table, reasons: Iterable[str]) -> ir.BooleanValue:
    listed = list(reasons)
    if not listed:
        return ibis.literal(False)
    hit = t.contact_reason.isin(listed)
    if "reason_family" in t.columns:
        hit = hit | t.reason_family.isin(listed)
    return hit.fill_null(False)


def failure_demand(
    counts: ir.Table,
    prices: ir.Table,
    period: DataPeriod,
    reasons: Iterable[str],
    *,
    by: str | Sequence[str] | None = "contact_reason",
) -> ir.Table:
    """Failure demand: inbound contacts whose reason (or reason family) is tagged as avoidable.

    Every such contact is priced by its channel, whatever its outcome, identified or not. The
    repeats among them are also in :func:`repeat_cost`: ``repeat_overlap`` counts them and
    ``repeat_overlap_cost`` is their cost, so ``cost_not_in_repeat_cost`` is what failure
    demand adds on top of repeat cost.

    Parameters
    ----------
    counts
        :func:`repeat_counts` (with ``contact_reason``, and ``reason_family`` when a listed
        entry names a family).
    prices
        :func:`channel_prices`.
    period
        :func:`data_period`.
    reasons
        ``cost.failure_demand_reasons``.
    by
        Segment column(s), or None for one total row.

    Returns
    -------
    Table
        ``by`` columns, ``inbound`` (failure-demand contacts), ``priced_inbound``,
        ``not_priced_inbound``, ``failure_demand_cost`` and ``_annualised``,
        ``repeat_overlap``, ``repeat_overlap_cost``, ``cost_not_in_repeat_cost``,
        ``price_basis`` (as in :func:`repeat_cost`), ``period_days``.

    Examples
    --------
    >>> import ibis
    >>> from datetime import date
    >>> counts = ibis.memtable({"channel": ["voice", "voice", "chat"], "contact_reason": ["WISMO", "OTHER", "WISMO"],
    ...                         "inbound": [100, 50, 40], "repeats": [30, 5, 10]})
    >>> prices = ibis.memtable({"channel": ["voice", "chat"], "cost_per_contact": [6.5, 4.2],
    ...                         "basis": ["given", "given"], "source": ["given", "given"]})
    >>> period = DataPeriod(date(2026, 3, 1), date(2026, 3, 31))
    >>> r = failure_demand(counts, prices, period, ["WISMO"], by=None).execute()
    >>> # 100 x 6.5 + 40 x 4.2 = 818; repeats among them 30 x 6.5 + 10 x 4.2 = 237
    >>> int(r.inbound[0]), float(r.failure_demand_cost[0]), float(r.repeat_overlap_cost[0])
    (140, 818.0, 237.0)
    """
    by_ = _as_list(by)
    fd = counts.filter(_is_failure(counts, reasons))
    vol = _rolled(_priced(fd, prices, by_, "inbound"), by_, period, "inbound").rename(failure_demand_cost="_cost")
    rep = _rolled(_priced(fd, prices, by_, "repeats"), by_, period, "repeats")
    rep = rep.select(*[rep[c].name(f"_r_{c}") for c in by_], repeat_overlap=rep.repeats, repeat_overlap_cost=rep._cost)
    if by_:
        out = vol.left_join(rep, [vol[c] == rep[f"_r_{c}"] for c in by_]).drop(*[f"_r_{c}" for c in by_])
    else:
        out = vol.cross_join(rep)
    out = out.mutate(
        failure_demand_cost_annualised=out.failure_demand_cost * _DAYS_PER_YEAR / period.days,
        cost_not_in_repeat_cost=out.failure_demand_cost - out.repeat_overlap_cost.fill_null(0.0),
    )
    cols = [
        *by_, "inbound", "priced_inbound", "not_priced_inbound", "failure_demand_cost",
        "failure_demand_cost_annualised", "repeat_overlap", "repeat_overlap_cost",
        "cost_not_in_repeat_cost", "price_basis", "period_days",
    ]
    out = out.select(*cols)
    return out.order_by([out.failure_demand_cost.desc(), *by_]) if by_ else out


def avoidable_cost(counts: ir.Table, prices: ir.Table, period: DataPeriod, reasons: Iterable[str]) -> ir.Table:
    """Repeat cost and failure-demand cost added without double counting.

    ``avoidable_cost = repeat_cost + failure_demand_cost - repeat_overlap_cost``: a repeat
    whose reason is failure demand is counted once.

    Returns
    -------
    Table
        One row: ``repeat_cost``, ``failure_demand_cost``, ``repeat_overlap`` (repeats that are
        failure demand), ``repeat_overlap_cost``, ``avoidable_cost``, each period figure with
        its ``_annualised`` twin, ``period_days`` and ``overlap_note``.

    Examples
    --------
    >>> import ibis
    >>> from datetime import date
    >>> counts = ibis.memtable({"channel": ["voice", "voice"], "contact_reason": ["WISMO", "OTHER"],
    ...                         "inbound": [100, 50], "repeats": [30, 5]})
    >>> prices = ibis.memtable({"channel": ["voice"], "cost_per_contact": [2.0], "basis": ["given"],
    ...                         "source": ["given"]})
    >>> r = avoidable_cost(counts, prices, DataPeriod(date(2026, 3, 1), date(2026, 3, 31)), ["WISMO"]).execute()
    >>> float(r.avoidable_cost[0])  # repeats 35 x 2 = 70 + failure demand 100 x 2 = 200 - overlap 30 x 2 = 60
    210.0
    """
    rc = repeat_cost(counts, prices, period, by=None).select("repeat_cost")
    fd = failure_demand(counts, prices, period, reasons, by=None).select(
        "failure_demand_cost", "repeat_overlap", "repeat_overlap_cost"
    )
    out = rc.cross_join(fd)
    # failure demand wholly in channels without a price has no cost (null), not a cost of 0: the
    # total counts the priced parts only, as every cost total does (the unpriced repeats are out
    # of the repeat cost too, so nothing is subtracted for them)
    out = out.mutate(
        repeat_overlap=out.repeat_overlap.fill_null(0),
        avoidable_cost=(out.repeat_cost + out.failure_demand_cost.fill_null(0.0)
                        - out.repeat_overlap_cost.fill_null(0.0)),
    )
    f = _DAYS_PER_YEAR / period.days
    return out.mutate(
        repeat_cost_annualised=out.repeat_cost * f,
        failure_demand_cost_annualised=out.failure_demand_cost * f,
        repeat_overlap_cost_annualised=out.repeat_overlap_cost * f,
        avoidable_cost_annualised=out.avoidable_cost * f,
        period_days=ibis.literal(period.days),
        overlap_note=ibis.literal(
            "repeats whose reason is failure demand are in both figures; the avoidable total counts them once"
        ),
    )


# --------------------------------------------------------------------------------------------
# cost per resolved issue
# --------------------------------------------------------------------------------------------


def cost_per_resolved_issue(
    contacts: ir.Table,
    prices: ir.Table,
    *,
    window_days: float = 7,
    end_of_data: datetime | None = None,
    by: str = "first_reason",
    min_n: int = 30,
    journey_rows: ir.Table | None = None,
    journey_table: ir.Table | None = None,
) -> ir.Table:
    """Cost per resolved issue = cost of all contacts in judged journeys / resolved journeys.

    Journeys are :func:`cxkit.journey.journeys` (identified inbound contacts chained by the
    repeat window); a journey is judged when its window closed before the end of the data and
    then resolved (no further contact followed), so censored journeys are left out of both
    sides. Each contact is priced by its channel; a judged journey with any unpriced contact
    cannot be priced whole: it is counted in ``not_priced_journeys`` and left out of the cost
    and of the denominator.

    ``journey_rows`` is :func:`cxkit.journey.journey_contacts` (same window and end of data)
    when the caller has it: stitching journeys is the costliest step at scale.
    ``journey_table`` is :func:`cxkit.journey.journeys` of those rows when the caller has it
    (a grouping of every journey contact saved).

    Returns
    -------
    Table
        Per ``by`` value (the journey's first reason by default): ``judged_journeys``,
        ``resolved_journeys``, ``priced_journeys``, ``not_priced_journeys``, ``contacts``
        (in priced journeys), ``cost`` (of those contacts), ``priced_resolved_journeys``,
        ``cost_per_resolved_issue`` (cost / priced resolved journeys), ``cost_per_contact``
        (cost / contacts, the same journeys), ``contacts_per_issue``, ``suppressed`` (fewer
        than ``min_n`` priced journeys: shown, never ranked), ``price_basis`` (as in
        :func:`repeat_cost`).

    Examples
    --------
    >>> import ibis
    >>> from cxkit.testing import canonical_memtable, ts
    >>> c = dict(customer_id="k", direction="inbound", contact_reason="BILL")
    >>> t = canonical_memtable("contacts", [
    ...     {**c, "contact_id": "a", "channel": "voice", "arrived_at": "2026-03-02 09:00", "ended_at": "2026-03-02 09:10"},
    ...     {**c, "contact_id": "b", "channel": "chat", "arrived_at": "2026-03-03 09:00", "ended_at": "2026-03-03 09:10"}])
    >>> prices = ibis.memtable({"channel": ["voice", "chat"], "cost_per_contact": [6.5, 4.2]})
    >>> r = cost_per_resolved_issue(t, prices, end_of_data=ts("2026-03-31 00:00"), min_n=1).execute()
    >>> float(r.cost_per_resolved_issue[0]), float(r.cost_per_contact[0])  # (6.5 + 4.2) / 1 ; / 2
    (10.7, 5.35)
    """
    from cxkit.journey import journey_contacts, journeys

    jc = journey_rows if journey_rows is not None else journey_contacts(
        contacts, window_days=window_days, end_of_data=end_of_data
    )
    j = journey_table if journey_table is not None else journeys(jc, window_days=window_days, end_of_data=end_of_data)
    j = j.select(_jid="journey_id", _judged=~j.censored, _resolved=j.resolved, _seg=j[by])
    # a bare price table (channel, cost_per_contact) is accepted: its basis is then unknown
    basis = prices.basis if "basis" in prices.columns else ibis.null("string")
    p = prices.select(_pch=prices.channel, _price=prices.cost_per_contact, _basis=basis)
    rows = jc.select("journey_id", "channel")
    rows = rows.left_join(p, rows.channel == p._pch)
    per = rows.aggregate(
        by="journey_id",
        _contacts=rows.count(),
        _unpriced=rows.count(where=rows._price.isnull()),
        _cost=rows._price.sum(),
        _derived=rows.count(where=rows._basis == DERIVED),
        _given=rows.count(where=rows._basis == GIVEN),
    )
    per = per.join(j, per.journey_id == j._jid)
    per = _label_segments(per.mutate(_seg=per._seg), ["_seg"])
    priced = per._judged & (per._unpriced == 0)
    out = per.aggregate(
        by="_seg",
        judged_journeys=per.count(where=per._judged),
        resolved_journeys=per.count(where=per._resolved),
        priced_journeys=per.count(where=priced),
        not_priced_journeys=per.count(where=per._judged & (per._unpriced > 0)),
        contacts=per._contacts.sum(where=priced).fill_null(0),
        cost=per._cost.sum(where=priced),
        priced_resolved_journeys=per.count(where=priced & per._resolved),
        _derived=per._derived.sum(where=priced),
        _given=per._given.sum(where=priced),
    )
    out = out.rename({by: "_seg"})
    resolved = out.priced_resolved_journeys
    basis = ibis.ifelse(
        out._derived.fill_null(0) > 0,
        ibis.ifelse(out._given.fill_null(0) > 0, GIVEN_AND_DERIVED, DERIVED),
        ibis.ifelse(out._given.fill_null(0) > 0, GIVEN, NOT_PRICED),
    )
    return out.mutate(
        cost_per_resolved_issue=ibis.ifelse(resolved > 0, out.cost / resolved, ibis.null("float64")),
        cost_per_contact=ibis.ifelse(out.contacts > 0, out.cost / out.contacts, ibis.null("float64")),
        contacts_per_issue=ibis.ifelse(resolved > 0, out.contacts.cast("float64") / resolved, ibis.null("float64")),
        suppressed=out.priced_journeys < min_n,
        price_basis=basis,
    ).drop("_derived", "_given").order_by([ibis.desc("cost_per_resolved_issue"), by])


# --------------------------------------------------------------------------------------------
# reasons named in the configuration, checked against the data
# --------------------------------------------------------------------------------------------


def known_reasons(contacts: ir.Table) -> set[str]:
    """Every ``contact_reason`` and ``reason_family`` value in the contacts (a small aggregate)."""
    r = contacts.select(v=contacts.contact_reason).union(contacts.select(v=contacts.reason_family)).distinct()
    return {v for v in r.execute()["v"].tolist() if isinstance(v, str)}


def reason_problems(cost: Cost, reasons: Iterable[str]) -> list[str]:
    """Configuration problems only the data can reveal: reasons the engagement names under
    ``cost`` that no contact carries. One message per problem, naming the key and the fix.

    Examples
    --------
    >>> c = Cost(failure_demand_reasons=["WISMO", "WHERE_IS_ORDER"])
    >>> for p in reason_problems(c, {"WHERE_IS_MY_ORDER", "BILLING"}):
    ...     print(p)
    cost.failure_demand_reasons: 'WISMO' is not a contact_reason or reason_family in the data; known reasons: BILLING, WHERE_IS_MY_ORDER
    cost.failure_demand_reasons: 'WHERE_IS_ORDER' is not a contact_reason or reason_family in the data; did you mean 'WHERE_IS_MY_ORDER'?
    """
    import difflib

    known = sorted(set(reasons))

    def hint(value: str) -> str:
        guess = difflib.get_close_matches(value, known, n=1)
        if guess:
            return f"did you mean '{guess[0]}'?"
        shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
        if not shown:
            return ("no contact carries a reason (sources.contacts.columns.contact_reason is not mapped, or "
                    "empty): map it, or remove the reasons")
        return f"known reasons: {shown}"

    problems = []
    for value in cost.failure_demand_reasons:
        if value not in known:
            problems.append(
                f"cost.failure_demand_reasons: {value!r} is not a contact_reason or reason_family in the data; {hint(value)}"
            )
    for i, s in enumerate(cost.scenarios):
        for value in s.reasons:
            if value not in known:
                problems.append(
                    f"cost.scenarios.{i}.reasons ({s.name!r}): {value!r} is not a contact_reason or reason_family "
                    f"in the data; {hint(value)}"
                )
    return problems
