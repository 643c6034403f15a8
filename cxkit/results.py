"""Results as data: every figure a report section shows, computed once per run and kept.

A run computes each declared result once, in the engine, from the canonical tables loaded
once (:func:`compute_results`), and writes it to ``<run>/results/<name>.parquet`` beside a
``manifest.json`` that says, for every result, its section, the figures its columns carry,
its rows, and why it is absent when it is. The report sections, the summary, cost and
findings then read these small frames (:class:`ResultSet`); nothing recomputes what another
section already computed, and a pipeline can take the same files without scraping HTML.

Results are declared in :data:`RESULTS` (name, section, the figures of its columns, the
optional sources it needs, how it is computed); the computation is one call into the
diagnostic modules, which stay pure (ibis tables in, ibis tables out).

Examples
--------
>>> spec = RESULTS["fcr_overall"]
>>> spec.section, spec.figures["rate"]
('resolution', 'fcr_repeat')
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxkit.errors import CxkitError
from cxkit.schema import no_source

__all__ = [
    "RESULTS",
    "ResultSpec",
    "ResultSet",
    "Inputs",
    "compute_results",
    "open_run",
    "RESULTS_DIR",
    "MANIFEST",
]

RESULTS_DIR = "results"
MANIFEST = "manifest.json"
#: the layout and meaning of stored results: a run folder of another format is computed again
#: (:func:`open_run`). The format changes when results stored before would be read wrongly: a
#: column removed or renamed, values that mean something else (another definition, a 0 now null),
#: or a column added that a reader cannot do without (2: ``sl_judged``). A column added that a
#: reader can do without keeps the format, and every reader of it takes a run folder without it
#: (the manifest's ``columns`` say which a run has): it fills the column from the other stored
#: results, or reads it as not stored, never as a value (``priced_share_note``, added to the
#: scenario summary in 3, is taken from the scenarios' share lines).
#: 2: the operations result's service level leaves out answered contacts of unknown wait
#: (``sl_judged``) and callbacks kept counts the inbound contacts after a promise. 3: a result
#: whose own figure is not measured holds no number (``not_measured["*"]``); journey times the
#: export lacks (hold, IVR, the wait median) are null. 4: a column's type is the same whatever the
#: data (:data:`STORED_TYPES`): counts nullable ``Int64`` and flags nullable ``boolean`` (in 3 a
#: count was float64 and a flag of no type where the figure was not measured); a reader of a
#: format-3 folder would take another type, so it is computed again
FORMAT = "cxkit.results/4"

Compute = Callable[["Inputs"], Any]


@dataclass(frozen=True)
class ResultSpec:
    """The declaration of one result.

    ``figures`` maps a result column to the figure (:data:`cxkit.figures.FIGURES`) it shows;
    ``row_figures`` maps the values of ``row_key`` to figures when each row is its own figure
    (the FCR definitions, the scorecard); ``figure`` is the figure of the whole result (its
    rows are not measured without it). ``tables`` are the optional sources it needs; ``sort``
    fixes the row order so two runs on the same data give the same table; ``row_label`` is the
    column that names a row to a reader (default ``row_key``); ``types`` the stored type of a
    column computed in pandas that can be null in every row.
    """

    name: str
    section: str
    title: str
    compute: Compute
    figure: str | None = None
    figures: Mapping[str, str] = field(default_factory=dict)
    row_key: str | None = None
    row_figures: Mapping[str, str] = field(default_factory=dict)
    row_label: str | None = None
    tables: tuple[str, ...] = ("contacts",)
    sort: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    #: the stored type (:data:`STORED_TYPES`) of a column computed in pandas whose values can all be
    #: null, so that they cannot tell it (the engine's schema tells it for a result computed in ibis)
    types: Mapping[str, str] = field(default_factory=dict)

    def all_figures(self) -> list[str]:
        keys = [self.figure] if self.figure else []
        keys += list(self.figures.values()) + list(self.row_figures.values())
        return list(dict.fromkeys(k for k in keys if k))


RESULTS: dict[str, ResultSpec] = {}


def _result(name: str, section: str, title: str, **kwargs: Any) -> Callable[[Compute], Compute]:
    def register(fn: Compute) -> Compute:
        RESULTS[name] = ResultSpec(name, section, title, fn, **kwargs)
        return fn

    return register


# ============================================================================================
# inputs: the canonical tables of one session, and intermediates several results share
# ============================================================================================


class Inputs:
    """What result computations read: the session's tables, parameters and shared
    intermediates (paired contacts, journeys), each built once and cached in the engine."""

    def __init__(self, session: Any):
        self.session = session
        self.engagement = session.engagement
        self.res = self.engagement.resolution
        self.contacts = session.table("contacts")
        self.eod = session.end_of_data
        self.window = dict(
            end_of_data=self.eod, window_days=self.res.repeat_window_days, exclude_reasons=self.res.exclude_reasons
        )
        self.done: dict[str, pd.DataFrame | None] = {}
        #: each computed result's column types as stored (:func:`stored_types`), taken when it is
        #: computed: from the engine's schema, not from values that may all be null
        self.types: dict[str, dict[str, str]] = {}
        #: what the run's tables hold (``Session.coverage``), set by :func:`compute_results`:
        #: a result that reads "not measured" at compute time judges it there
        self.coverage: dict[str, Any] | None = None

    @property
    def judge(self):
        from cxkit.figures import Judge

        return None if self.coverage is None else Judge(None, self.coverage)

    @property
    def unique_ids(self) -> bool:
        """Whether contact ids are unique by construction (:meth:`Session.contact_ids_unique`):
        the journeys, the flags' joins and the scenario chains then take the id alone."""
        return self.session.contact_ids_unique()

    def table(self, name: str):
        return self.session.table(name)

    def _cache(self, t, label: str):
        return self.session.materialize(t, label)

    @cached_property
    def paired(self):
        """The contacts with the customer-by-customer pairing every repeat-based metric needs
        (:func:`cxkit.resolution.recontact_frame`), computed once for the run.

        Without the customer id: once paired, no metric reads it (who is identified is the
        pairing's ``identified_inbound``), and its pseudonyms were a quarter of the table's
        bytes (116 of 473 MB at 10 million contacts, as 32 hex digits)."""
        from cxkit import resolution

        return self._cache(resolution.recontact_frame(self.contacts).drop("customer_id"), "paired")

    @cached_property
    def flags(self):
        """The repeat flags of the run's window: expressions over the paired contacts, not a
        table of their own. Its two readers (survey responders, QA against FCR) read them
        where they join them: at 10 million contacts the two took 7.6-8.0 s this way against
        8.6-9.5 s with the flags written first, the same rows (2026-12-05)."""
        from cxkit import resolution

        return resolution.repeat_flags(self.paired, **self.window)

    @cached_property
    def journey_contacts(self):
        from cxkit import journey

        return self._cache(
            journey.journey_contacts(self.contacts, window_days=self.res.repeat_window_days, end_of_data=self.eod,
                                     stage=lambda t: self._cache(t, "several-inbound"),
                                     unique_ids=self.unique_ids),
            "journey_contacts",
        )

    @cached_property
    def journeys(self):
        from cxkit import journey

        effort = self.engagement.effort
        j = journey.journeys(self.journey_contacts, window_days=self.res.repeat_window_days,
                             stage=lambda t: self._cache(t, "several-contacts"),
                             unique_ids=self.unique_ids)
        return self._cache(journey.effort_index(j, effort.weights, effort.scales), "journeys")

    @cached_property
    def trap(self):
        from cxkit import resolution

        return self._cache(resolution.aht_vs_fcr_within_team(self.paired, min_n=self.res.min_n, **self.window), "trap")

    @cached_property
    def survey_effort(self):
        """Each answered survey with the effort index (the engagement's weights) of its journey
        up to the surveyed contact: read by the effort-rating correlation and CSAT by effort."""
        from cxkit import journey, perception

        effort = self.engagement.effort
        scored = journey.survey_effort(self.journey_contacts, self.journeys, perception.responses(self.table("surveys")),
                                       weights=effort.weights, scales=effort.scales)
        return self._cache(scored, "survey_effort")

    @cached_property
    def qa_alignment(self):
        from cxkit import perception

        return self._cache(perception.qa_alignment(self.table("qa"), self.contacts, self.flags, min_n=self.res.min_n,
                                                   unique_ids=self.unique_ids), "qa_alignment")

    # ---- cost, scenarios and capacity: each built once and shared by the cost results

    @cached_property
    def period(self):
        """The data period (:func:`cxkit.cost.data_period`): local days of the contacts."""
        from cxkit import cost

        return cost.data_period(self.contacts, self.engagement.timezone)

    @cached_property
    def prices(self):
        from cxkit import cost

        return self._cache(cost.channel_prices(self.contacts, self.engagement.cost), "prices")

    @cached_property
    def repeat_counts(self):
        """Repeats per fine segment, counted on the run's paired contacts: one aggregate, no
        second pairing. Counting them from the repeat flags joined the flags back to the
        contacts by id: at 10 million contacts 1.7-2.3 s against 0.8-0.9 s, the same counts
        (2026-12-05)."""
        from cxkit import cost

        return self._cache(cost.repeat_counts(self.paired, window_days=self.res.repeat_window_days), "repeat_counts")

    @cached_property
    def scenario_results(self):
        """The scenario tables; the baseline takes FCR by reason, repeats after a transfer, the
        journeys and the repeat counts the run already has."""
        from cxkit import scenarios

        c = self.engagement.cost
        judge = self.judge  # one Judge for the four; None until compute_results sets the coverage
        absent = judge.absent if judge is not None else (lambda figure: None)
        baseline = scenarios.measure_baseline(
            self.contacts, c, self.prices, self.period, end_of_data=self.eod, window_days=self.res.repeat_window_days,
            exclude_reasons=self.res.exclude_reasons, intervals=self.table("intervals"),
            currency=self.engagement.currency, min_n=self.res.min_n, counts=self.repeat_counts,
            journey_rows=self.journey_contacts, fcr_by_reason=self.result("fcr_by_reason"),
            transfer_repeats=self.result("repeat_after_transfer"),
            containment_not_measured=absent("containment"), transfers_not_measured=absent("transfer_rate"),
            repeats_not_measured=absent("fcr_repeat"), handle_times_not_measured=absent("aht"),
            unique_ids=self.unique_ids,
        )
        return scenarios.run_scenarios(baseline, c.scenarios, seed=c.seed, draws=c.monte_carlo_draws)

    @cached_property
    def staffing(self) -> pd.DataFrame:
        """Erlang C requirement per queue and interval against the WFM staffing (a few thousand
        rows of aggregates; only its summaries are kept as results)."""
        from cxkit import capacity

        k, ops = self.engagement.capacity, self.engagement.operations
        try:
            return capacity.interval_staffing(
                self.table("intervals"), self.contacts, service_level_target=k.service_level_target,
                channels=k.channels, sl_seconds=ops.sl_seconds, short_abandon_s=ops.short_abandon_s,
                max_occupancy=k.max_occupancy,
            )
        except ValueError as exc:
            raise CxkitError(f"sources.intervals: {exc}. Fix: export one interval length (e.g. 30 minutes) for "
                             "every queue, or map interval_minutes.") from None

    @cached_property
    def forecast_intervals(self):
        """The WFM rows the forecast figures read: of the queues contacts entered when the contacts
        have queues (:func:`cxkit.capacity.queues_entered`), as the volume and alignment checks
        compare them; every row when they have none (nothing to pair a queue with). Computed once:
        each forecast result read through it would otherwise scan the contacts again for the
        queues they entered."""
        from cxkit import capacity

        iv = self.table("intervals")
        judge = self.judge
        if judge is None or not judge.measured_column("contacts.queue"):
            return iv
        return self._cache(capacity.queues_entered(iv, self.contacts), "forecast-intervals")

    def result(self, name: str) -> pd.DataFrame | None:
        """Another result of this run, as a frame: the one computed earlier, or computed now
        (once) when this run has not computed it yet; None when its sources are absent."""
        if name not in self.done:
            spec = RESULTS[name]
            if any(not self.session.has(t) for t in spec.tables):
                self.done[name] = None
            else:
                # as stored: a figure the export cannot give is null, not the 0 the engine computed
                self.done[name] = _unmeasured_as_null(self.computed(spec), spec, self.judge, whole=False)[0]
        return self.done[name]

    def computed(self, spec: ResultSpec) -> pd.DataFrame:
        """Result ``spec`` computed now, as a sorted frame; its column types are kept in :attr:`types`."""
        value = spec.compute(self)
        frame = _sorted(_frame(value), spec)
        self.types[spec.name] = column_types(frame, value, spec)
        return frame


# ============================================================================================
# the declarations
# ============================================================================================

_RATE = {"rate": None, "ci_low": None, "ci_high": None}


def _rate_figures(figure: str, *extra: str) -> dict[str, str]:
    return {c: figure for c in ("rate", "ci_low", "ci_high", "numerator", "denominator", *extra)}


# ---------------------------------------------------------------- resolution


@_result("fcr_overall", "resolution", "Repeat-based FCR, all eligible contacts",
         figures=_rate_figures("fcr_repeat", "censored", "eligible"))
def _fcr_overall(i: Inputs):
    from cxkit import resolution

    return resolution.fcr_repeat(i.paired, **i.window)


@_result("repeat_share_overall", "resolution", "Repeat share of inbound contacts", figures=_rate_figures("repeat_share"))
def _repeat_share_overall(i: Inputs):
    from cxkit import resolution

    return resolution.repeat_share(i.paired, window_days=i.res.repeat_window_days)


_DEFINITION_FIGURES = {
    "repeat-based, any reason": "fcr_repeat",
    "repeat-based, same reason": "fcr_same_reason",
    "transfer-adjusted, any reason": "fcr_transfer",
    "case-based": "fcr_case",
    "customer-reported": "fcr_survey",
}


@_result("fcr_headline", "resolution", "FCR by every definition", row_key="definition",
         row_figures=_DEFINITION_FIGURES)
def _fcr_headline(i: Inputs):
    from cxkit import resolution

    return resolution.fcr_headline(i.paired, cases=i.table("cases"), surveys=i.table("surveys"), **i.window)


@_result("repeat_share_by_channel", "resolution", "Repeat share by the channel of the repeat",
         figure="repeat_share", sort=("channel",))
def _repeat_share_by_channel(i: Inputs):
    from cxkit import resolution

    return resolution.repeat_share(i.paired, window_days=i.res.repeat_window_days, by="channel")


#: the two parts of the period ``repeat_share_edge`` compares
FIRST_WINDOW, AFTER_FIRST_WINDOW = "first window", "after the first window"


def _by_first_window(i: Inputs, t: Any, column: str) -> Any:
    """``t`` with ``part``: whether ``column`` falls in the first repeat window of the data (where
    an earlier contact, before the period or before an export that starts late, cannot be seen;
    ``Session.start_of_data``) or after it. The one split the repeat share's and the journeys'
    left edges share."""
    from datetime import timedelta

    import ibis

    edge = i.session.start_of_data + timedelta(days=float(i.res.repeat_window_days))
    return t.mutate(part=ibis.ifelse(t[column] < edge, FIRST_WINDOW, AFTER_FIRST_WINDOW))


def first_window_seen(edge: pd.DataFrame | None) -> bool:
    """Whether inbound contacts arrived in the period's first repeat window (``edge``: the
    ``repeat_share_edge`` result): their repeats, and so the repeat share and the repeat cost,
    are then floors. The one test the scorecard and the narrative share."""
    if edge is None or edge.empty:
        return False
    return bool((edge.loc[edge["part"] == FIRST_WINDOW, "denominator"].fillna(0) > 0).any())


@_result("repeat_share_edge", "resolution",
         "Repeat share in the period's first repeat window (no earlier contact seen) and after it",
         figure="repeat_share", row_key="part", sort=("part",))
def _repeat_share_edge(i: Inputs):
    """A contact arriving in the first window of the period cannot be seen repeating a contact
    before the period: its repeats are a floor. The share there and after it, measured."""
    from cxkit import resolution

    p = _by_first_window(i, i.paired, "arrived_at")
    return resolution.repeat_share(p, window_days=float(i.res.repeat_window_days), by="part")


@_result("fcr_sensitivity", "resolution", "FCR by window and repeat definition", row_key="reason",
         row_figures={"any reason": "fcr_repeat", "same reason": "fcr_same_reason"}, sort=("reason", "window_days"))
def _fcr_sensitivity(i: Inputs):
    from cxkit import resolution

    return resolution.fcr_sensitivity(
        i.paired, end_of_data=i.eod, windows=i.res.sensitivity_windows_days, exclude_reasons=i.res.exclude_reasons
    )


@_result("recontact_curve", "resolution", "Share of contacts followed by a recontact, by time", figure="recontact_curve",
         sort=("lower_h",))
def _recontact_curve(i: Inputs):
    from cxkit import resolution

    return resolution.recontact_curve(i.paired, end_of_data=i.eod, max_days=min(30, max(i.res.sensitivity_windows_days)),
        exclude_reasons=i.res.exclude_reasons,
    )


def _breakdown(by: str) -> Compute:
    def compute(i: Inputs):
        from cxkit import resolution

        return resolution.fcr_breakdown(i.paired, by=by, min_n=i.res.min_n, **i.window)

    return compute


for _by, _fig in (("contact_reason", "fcr_by_reason"), ("queue", "fcr_by_queue"), ("channel", "fcr_repeat"),
                  ("team", "fcr_by_team")):
    _result(f"fcr_by_{_by.replace('contact_', '')}", "resolution", f"FCR by {_by.replace('_', ' ')}", figure=_fig,
            sort=("rank", _by))(_breakdown(_by))


@_result("fcr_weekly", "resolution", "FCR by week of contact", figure="fcr_repeat", sort=("week_start",))
def _fcr_weekly(i: Inputs):
    from cxkit import resolution

    return resolution.fcr_weekly_trend(i.paired, min_n=i.res.min_n, week_starts=i.engagement.week_starts_utc(),
                                       **i.window)


@_result("handle_time_trap", "resolution", "Each agent's handle time and FCR against their team",
         figure="handle_time_trap", drop=("agent_id",), sort=("team", "agent_label"))
def _handle_time_trap(i: Inputs):
    return i.trap


@_result("handle_time_trap_correlations", "resolution", "AHT and FCR rank correlations, within teams and across",
         figure="handle_time_trap", sort=("comparison",))
def _trap_correlations(i: Inputs):
    from cxkit import resolution

    return resolution.aht_fcr_rank_correlations(i.trap, min_n=i.res.min_n)


@_result("aht_fcr_by_team", "resolution", "Handle time and FCR by team", figure="aht_fcr_by_team", sort=("team",))
def _aht_fcr_by_team(i: Inputs):
    from cxkit import resolution

    t = resolution.aht_vs_fcr(i.paired, by="team", min_n=i.res.min_n, **i.window)
    return t.filter(t.handled > 0)  # contacts no agent handled (abandoned, contained) belong to no team


@_result("transfer_rate_by_channel", "resolution", "Transfer rate by channel", figure="transfer_rate",
         sort=("_all_last", "channel"))
def _transfer_rate_by_channel(i: Inputs):
    from cxkit import operations

    t = operations.transfer_rate(i.contacts, by="channel")
    t = t.filter((t.denominator > 0) | (t.channel == "all"))  # a channel no agent handles has no transfer rate
    return t.mutate(_all_last=(t.channel == "all").cast("int8"))


@_result("repeat_after_transfer", "resolution", "Repeats after transferred and other contacts",
         figure="repeat_after_transfer", sort=("_order",))
def _repeat_after_transfer(i: Inputs):
    import ibis

    from cxkit import resolution

    t = resolution.repeat_after_transfer(i.paired, **i.window)
    order = {"transferred": 0, "not transferred": 1, "difference": 2}
    return t.mutate(_order=ibis.cases(*[(t.group == g, k) for g, k in order.items()], else_=3))


@_result("transfer_ping_pong", "resolution", "Transfers that come back to the first queue", figure="transfer_paths",
         tables=("contacts", "legs"))
def _ping_pong(i: Inputs):
    from cxkit import resolution

    return resolution.transfer_ping_pong(i.table("legs"), several=i.session.contacts_of_several_legs())


@_result("transfer_chains", "resolution", "The most common transfer paths", figure="transfer_paths",
         tables=("contacts", "legs"), sort=("contacts", "path"))
def _chains(i: Inputs):
    from cxkit import resolution

    return resolution.transfer_chains(i.table("legs"), top=10, several=i.session.contacts_of_several_legs())


_OPERATIONS_FIGURES = {
    "offered": "offered", "answered": "service_level", "in_sl": "service_level", "sl_judged": "service_level",
    "service_level": "service_level", "sl_threshold_s": "service_level", "asa_s": "asa",
    "abandon_rate": "abandon_rate", "long_abandons": "abandon_rate", "short_abandons": "abandon_rate",
    "ivr_hangups": "ivr_hangups", "handled": "volume", "aht_mean_s": "aht", "aht_median_s": "aht",
    "transferred": "transfer_rate", "transfer_rate": "transfer_rate", "ivr_entries": "ivr_hangups",
    "ivr_hangup_rate": "ivr_hangups", "contained": "containment", "containment": "containment",
}


@_result("operations", "resolution", "Queue and handling figures by channel", figures=_OPERATIONS_FIGURES,
         sort=("_all_last", "channel"))
def _operations(i: Inputs):
    from cxkit import operations

    ops = i.engagement.operations
    t = operations.operations_summary(i.contacts, sl_seconds=ops.sl_seconds, short_abandon_s=ops.short_abandon_s)
    return t.mutate(_all_last=(t.channel == "all").cast("int8"))


# ---------------------------------------------------------------- journeys and effort


@_result("journey_summary", "journey", "Journeys, contacts per journey and effort events", figure="journeys",
         figures={"journeys": "journeys", "contacts_per_journey": "journeys", "multi_contact_rate": "journeys",
                  "channel_switch_rate": "channel_switch", "channel_switch_journeys": "channel_switch",
                  "transfer_rate": "journey_transfers", "transfer_journeys": "journey_transfers",
                  "reauth_rate": "reauth", "reauth_journeys": "reauth",
                  "wait_s_mean": "journey_wait", "wait_s_median": "journey_wait", "ivr_s_mean": "effort_ivr",
                  "hold_s_mean": "effort_hold", "censored_journeys": "journeys"})
def _journey_summary(i: Inputs):
    from cxkit import journey

    return journey.journey_effort_summary(i.journeys)


@_result("journey_edge", "journey",
         "Journeys beginning in the period's first repeat window (an earlier contact unseen) and after it",
         figure="journeys", row_key="part", sort=("part",))
def _journey_edge(i: Inputs):
    """A journey under way when the period began is counted from its first contact in the
    period, as a journey of its own: only journeys beginning within the first repeat window can
    be such a part. How many begin there, and after it."""
    j = _by_first_window(i, i.journeys, "first_arrived_at")
    return j.group_by("part").aggregate(journeys=j.count(), contacts=j.contacts.sum())


@_result("journey_by_reason", "journey", "Journeys by the customer's first reason", figure="effort_by_reason",
         figures={"transfer_rate": "journey_transfers", "transfer_journeys": "journey_transfers",
                  "reauth_rate": "reauth", "reauth_journeys": "reauth", "wait_s_mean": "journey_wait",
                  "wait_s_median": "journey_wait",
                  "ivr_s_mean": "effort_ivr", "hold_s_mean": "effort_hold", "channel_switch_rate": "channel_switch",
                  "channel_switch_journeys": "channel_switch"}, sort=("journeys", "first_reason"))
def _journey_by_reason(i: Inputs):
    from cxkit import journey

    return journey.journey_effort_summary(i.journeys, by="first_reason")


@_result("ivr_exits", "journey", "Where arrivals go from each entry point", figure="entry_routing",
         figures={"left_in_ivr_share": "ivr_hangups", "left_in_ivr_median_ivr_s": "ivr_hangups",
                  "contained_share": "containment", "deflected_share": "deflection", "ivr_s_mean": "ivr_time"},
         sort=("channel", "entry_point"))
def _ivr_exits(i: Inputs):
    from cxkit import journey

    return journey.ivr_exits(i.contacts, by=("channel", "entry_point"), min_n=i.res.min_n)


@_result("effort_parameters", "journey", "Effort index weights and scales", row_key="component",
         row_figures={"channel_switches": "effort_switches", "transfers": "effort_transfers",
                      "repeat_authentications": "effort_reauth",
                      "ivr_s": "effort_ivr", "wait_s": "effort_wait", "hold_s": "effort_hold"})
def _effort_parameters(i: Inputs):
    from cxkit import journey

    return journey.effort_parameters(i.engagement.effort.weights, i.engagement.effort.scales)


@_result("effort_by_reason", "journey", "Effort points by component and first reason", figure="effort_by_reason",
         sort=("first_reason", "component"))
def _effort_by_reason(i: Inputs):
    from cxkit import journey

    effort = i.engagement.effort
    return journey.effort_decomposition(i.journeys, "first_reason", weights=effort.weights, scales=effort.scales,
                                        min_n=i.res.min_n)


@_result("effort_vs_ratings", "journey", "Effort index against customers' ratings", figure="effort_vs_ratings",
         row_key="measure", row_figures={"ces": "ces", "csat": "csat"}, tables=("contacts", "surveys"),
         sort=("measure",))
def _effort_vs_ratings(i: Inputs):
    from cxkit import journey

    # the responses' effort with the engagement's weights, computed once (Inputs.survey_effort)
    return journey.effort_rank_correlation(i.journey_contacts, i.journeys, i.table("surveys"), scored=i.survey_effort,
                                           min_n=i.res.min_n)


@_result("journey_variants", "journey", "The most common journeys", figure="journeys",
         figures={"mean_effort": "effort_index", "start_fcr": "journey_fcr"}, sort=("journeys", "variant"))
def _journey_variants(i: Inputs):
    from cxkit import journey

    effort = i.engagement.effort
    return journey.journey_variants(i.journey_contacts, i.journeys, step="channel", weights=effort.weights,
                                    scales=effort.scales, min_n=i.res.min_n, unique_ids=i.unique_ids)


@_result("transitions", "journey", "Moves between channels within journeys", figure="journeys",
         sort=("from_step", "to_step"))
def _transitions(i: Inputs):
    from cxkit import journey

    return journey.transitions(i.journey_contacts, i.journeys, step="channel")


@_result("survey_scores", "journey", "CSAT, NPS and CES", tables=("contacts", "surveys"),
         figures={"responses": "survey_responses", "csat_top2": "csat", "csat_n": "csat", "nps": "nps",
                  "nps_n": "nps", "ces_easy": "ces", "ces_n": "ces"})
def _survey_scores(i: Inputs):
    from cxkit import perception

    return perception.survey_scores(i.table("surveys"))


@_result("nonresponse", "journey", "Survey responders against everyone else", figure="nonresponse",
         figures={"transfer_rate": "transfer_rate", "mean_effort": "effort_index", "fcr": "fcr_repeat",
                  "repeat_rate": "repeat_share"}, tables=("contacts", "surveys"),
         sort=("group",))
def _nonresponse(i: Inputs):
    from cxkit import perception

    return perception.nonresponse_check(i.journey_contacts, i.journeys, i.table("surveys"), contact_flags=i.flags,
                                        unique_ids=i.unique_ids)


@_result("csat_by_effort", "journey", "CSAT by effort decile", figure="csat_by_effort", tables=("contacts", "surveys"),
         sort=("level_order",))
def _csat_by_effort(i: Inputs):
    from cxkit import perception

    # the responses' effort with the engagement's weights, computed once (Inputs.survey_effort)
    return perception.perception_by_driver(i.journey_contacts, i.journeys, i.table("surveys"), driver="effort_decile",
                                           scored=i.survey_effort, min_n=i.res.min_n)


@_result("qa_correlation", "journey", "QA scores against agents' outcomes", figure="qa_alignment",
         tables=("contacts", "qa"), sort=("outcome",))
def _qa_correlation(i: Inputs):
    from cxkit import perception

    return perception.qa_rank_correlation(i.qa_alignment)


@_result("qa_agents", "journey", "Each qualifying agent's QA score and FCR (no agent identifiers)",
         figure="qa_alignment", tables=("contacts", "qa"), sort=("qa_mean", "fcr"))
def _qa_agents(i: Inputs):
    a = i.qa_alignment
    return a.filter(a.qualifies).select("qa_mean", "fcr", "qa_high_fcr_low")


@_result("callbacks_kept", "journey", "Callbacks promised and kept", figure="callbacks_kept")
def _callbacks_kept(i: Inputs):
    from cxkit import perception

    ft = i.engagement.followthrough
    return perception.callbacks_kept(
        i.contacts, promise_business_days=ft.callback_promise_business_days, end_of_data=i.eod,
        utc_offset_hours=perception.utc_offset_hours(i.engagement.tz, i.eod),
    )


@_result("case_followthrough", "journey", "Case closing times, reopens and overdue cases", figure="case_followthrough",
         tables=("contacts", "cases"))
def _case_followthrough(i: Inputs):
    from cxkit import perception

    ft = i.engagement.followthrough
    return perception.case_follow_through(i.table("cases"), end_of_data=i.eod, open_age_days=ft.case_open_age_days)


_SCORECARD_FIGURES = {
    "fcr": "fcr_repeat", "repeat_share": "repeat_share", "transfer_rate": "transfer_rate", "reauth_rate": "reauth",
    "channel_switch_rate": "channel_switch", "journey_wait_s": "journey_wait",
    "service_level_voice": "service_level_voice",
    "csat_top2": "csat", "nps": "nps", "ces_easy": "ces",
}


@_result("scorecard", "journey", "Balanced scorecard against benchmark ranges", row_key="metric",
         row_figures=_SCORECARD_FIGURES, row_label="label")
def _scorecard(i: Inputs):
    import ibis

    from cxkit import operations, scorecard

    def one(name: str):
        frame = i.result(name)
        return None if frame is None else ibis.memtable(frame)

    ops = i.engagement.operations
    values = scorecard.scorecard_values(
        fcr=one("fcr_overall"),
        repeat_share=one("repeat_share_overall"),
        transfer_rate=operations.transfer_rate(i.contacts),
        # the voice row only: without the whole's row the engine reads the voice contacts alone
        service_level=operations.service_level(i.contacts, sl_seconds=ops.sl_seconds, short_abandon_s=ops.short_abandon_s,
                                               by="channel", overall=False),
        journey_summary=one("journey_summary"),
        survey_scores=one("survey_scores"),
    )
    # the repeat share is a floor when contacts arrived in the period's first window (they cannot
    # be seen repeating an earlier one): it is placed against its range only when already above it
    floors = ["repeat_share"] if first_window_seen(i.result("repeat_share_edge")) else []
    return scorecard.balanced_scorecard(values, i.engagement.benchmarks, min_n=i.res.min_n, floors=floors)


# ---------------------------------------------------------------- cost, scenarios and capacity
# Every cost figure names where it comes from: prices are given by the engagement or derived
# from the measured AHT (``basis`` / ``price_basis``); rows priced with a derived price carry
# AHT's caveats ("derived_prices"); a channel without a price is "not priced", listed and
# kept out of every total.

_DERIVED_ROWS = {"derived": "derived_prices", "given and derived": "derived_prices"}


@_result("data_period", "cost", "The data period: local days from the first to the last arrival")
def _data_period(i: Inputs):
    return pd.DataFrame([i.period.to_dict()])


@_result("channel_prices", "cost", "Cost per contact by channel, and where each price comes from",
         figure="channel_prices", figures={"aht_s": "aht", "handled": "volume"}, row_key="basis", row_label="channel",
         row_figures={"derived": "derived_prices"}, sort=("channel",))
def _channel_prices(i: Inputs):
    return i.prices


@_result("repeat_cost_total", "cost", "Cost of repeat contacts, for the period and annualised",
         figure="repeat_cost", row_key="price_basis", row_figures=_DERIVED_ROWS)
def _repeat_cost_total(i: Inputs):
    from cxkit import cost

    return cost.repeat_cost(i.repeat_counts, i.prices, i.period, by=None)


def _repeat_cost_by(by: str) -> Compute:
    def compute(i: Inputs):
        from cxkit import cost

        t = cost.repeat_cost(i.repeat_counts, i.prices, i.period, by=by)
        t = t.filter(t.repeats > 0)  # a segment without repeats has no repeat cost to show
        return t.order_by([t.repeat_cost.desc(), t.repeats.desc(), by])

    return compute


for _by, _fig in (("channel", "repeat_cost"), ("contact_reason", "repeat_cost_by_reason"),
                  ("queue", "repeat_cost_by_queue"), ("team", "repeat_cost_by_team")):
    _result(f"repeat_cost_by_{_by.replace('contact_', '')}", "cost",
            f"Cost of repeat contacts by {_by.replace('_', ' ')}", figure=_fig, row_key="price_basis", row_label=_by,
            row_figures=_DERIVED_ROWS)(_repeat_cost_by(_by))


@_result("failure_demand", "cost", "Failure demand: contacts for reasons the engagement tags as avoidable",
         figure="failure_demand", row_key="price_basis", row_label="contact_reason", row_figures=_DERIVED_ROWS,
         figures={"repeat_overlap": "repeat_share", "repeat_overlap_cost": "repeat_cost",
                  "cost_not_in_repeat_cost": "repeat_cost"})
def _failure_demand(i: Inputs):
    from cxkit import cost

    reasons = i.engagement.cost.failure_demand_reasons
    t = cost.failure_demand(i.repeat_counts, i.prices, i.period, reasons)
    return t if reasons else t.limit(0)  # nothing tagged: no row (the section says so)


@_result("avoidable_cost", "cost", "Repeat cost and failure demand added, the overlap counted once",
         figure="avoidable_cost", figures={"failure_demand_cost": "failure_demand",
                                           "failure_demand_cost_annualised": "failure_demand"})
def _avoidable_cost(i: Inputs):
    from cxkit import cost

    reasons = i.engagement.cost.failure_demand_reasons
    t = cost.avoidable_cost(i.repeat_counts, i.prices, i.period, reasons)
    return t if reasons else t.limit(0)


@_result("cost_per_resolved_issue", "cost", "Cost per resolved issue beside cost per contact, by first reason",
         figure="cost_per_resolved_issue", row_key="price_basis", row_label="first_reason",
         row_figures=_DERIVED_ROWS, sort=("_all_last",),
         types=dict.fromkeys(("cost", "cost_per_resolved_issue", "cost_per_contact", "contacts_per_issue"), "float64"))
def _cost_per_resolved_issue(i: Inputs):
    from cxkit import cost

    frame = cost.cost_per_resolved_issue(
        i.contacts, i.prices, window_days=i.res.repeat_window_days, end_of_data=i.eod, min_n=i.res.min_n,
        journey_rows=i.journey_contacts, journey_table=i.journeys,
    ).to_pandas()
    return pd.concat([frame.assign(_all_last=0), _all_issues(frame, i.res.min_n).assign(_all_last=1)],
                     ignore_index=True)


def _all_issues(frame: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """The "all reasons" row of the cost per resolved issue: the reasons' sums, then the ratios."""
    from cxkit import cost

    sums = {c: int(frame[c].sum()) for c in ("judged_journeys", "resolved_journeys", "priced_journeys",
                                             "not_priced_journeys", "contacts", "priced_resolved_journeys")}
    cost_ = float(frame["cost"].sum()) if frame["cost"].notna().any() else None
    resolved, contacts = sums["priced_resolved_journeys"], sums["contacts"]
    basis = cost.combined_basis(frame.loc[frame["priced_journeys"] > 0, "price_basis"])
    return pd.DataFrame([{
        "first_reason": "all reasons", **sums, "cost": cost_,
        "cost_per_resolved_issue": cost_ / resolved if cost_ is not None and resolved else None,
        "cost_per_contact": cost_ / contacts if cost_ is not None and contacts else None,
        "contacts_per_issue": contacts / resolved if resolved else None,
        "suppressed": sums["priced_journeys"] < min_n, "price_basis": basis,
    }])


def _scenario_table(name: str) -> Compute:
    def compute(i: Inputs):
        return i.scenario_results.tables()[name]

    return compute


for _name, _title in (
    ("scenario_summary", "What-if scenarios: contacts, agent hours, FTE and net saving"),
    ("scenario_lines", "Each scenario's arithmetic, line by line"),
    ("scenario_monte_carlo", "Each scenario's outputs at P10 / P50 / P90 over the seeded Monte Carlo draws"),
    ("scenario_tornado", "Which input moves each scenario's yearly net saving most"),
    ("scenario_flags", "Scenario inputs that contradict each other or the measured baseline"),
):
    _result(_name, "cost", _title, figure="scenarios")(_scenario_table(_name))


@_result("forecast_accuracy", "cost", "Forecast against offered contacts per queue: MAPE, WAPE and bias",
         figure="forecast_accuracy", tables=("contacts", "intervals"), sort=("_all_last", "queue"))
def _forecast_accuracy(i: Inputs):
    import ibis

    from cxkit import capacity

    iv = i.forecast_intervals
    per_queue = capacity.forecast_accuracy(iv, by="queue").mutate(_all_last=ibis.literal(0))
    overall = capacity.forecast_accuracy(iv, by=None).mutate(queue=ibis.literal("all"), _all_last=ibis.literal(1))
    return per_queue.union(overall.select(*per_queue.columns))


@_result("forecast_dayparts", "cost", "Forecast error by local weekday and time of day (queues pooled)",
         figure="forecast_accuracy", tables=("contacts", "intervals"), types={"worst_rank": "Int64"})
def _forecast_dayparts(i: Inputs):
    from cxkit import capacity

    cells = capacity.forecast_error_by_daypart(i.forecast_intervals, i.engagement.timezone)
    worst = capacity.worst_dayparts(cells, i.engagement.capacity.worst_dayparts)
    rank = {(w, t): n for n, (w, t) in enumerate(zip(worst["weekday"], worst["time"], strict=True), start=1)}
    return cells.assign(worst_rank=[rank.get(k) for k in zip(cells["weekday"], cells["time"], strict=True)])


@_result("staffing_summary", "cost", "Intervals under- and over-staffed against Erlang C, per queue",
         figure="staffing", tables=("contacts", "intervals"))
def _staffing_summary(i: Inputs):
    from cxkit import capacity

    return capacity.staffing_summary(i.staffing)


@_result("service_level_by_gap", "cost", "Measured service level by staffing gap, beside Erlang C",
         figure="service_level_by_gap", tables=("contacts", "intervals"))
def _service_level_by_gap(i: Inputs):
    from cxkit import capacity

    return capacity.service_level_by_gap(i.staffing)


# ---------------------------------------------------------------- methodology


@_result("parameters", "methodology", "Parameters in force for this run")
def _parameters(i: Inputs):
    from cxkit import methodology

    return methodology.parameters_table(i.session)


@_result("sources", "methodology", "Sources read and the columns they provide")
def _sources(i: Inputs):
    from cxkit import methodology

    return methodology.sources_table(i.session)


# ---------------------------------------------------------------- findings
# Figures the finding rules (cxkit.findings) read that no section result carries; each is
# computed here once, by the diagnostic modules, and shown in the findings section's evidence.


@_result("switch_after_contact", "findings", "Next contact in another channel, by the channel that did not settle it",
         figure="switch_after_contact", sort=("channel",))
def _switch_after_contact(i: Inputs):
    from cxkit import journey

    return journey.switch_after_contact(i.journey_contacts, i.contacts)


@_result("abandonment_by_queue", "findings", "Queue abandonment by channel and queue", figure="abandon_by_queue",
         sort=("channel", "_all_last", "queue"))
def _abandonment_by_queue(i: Inputs):
    from cxkit import operations

    out = operations.abandonment_by_queue(i.contacts, short_abandon_s=i.engagement.operations.short_abandon_s)
    out = out.filter(out.denominator > 0)
    return out.mutate(_all_last=(out.queue == operations.ALL).cast("int8"))


@_result("case_followthrough_by_reason", "findings", "Case reopens and overdue cases by case reason",
         figure="case_followthrough_by_reason", tables=("contacts", "cases"), sort=("reason",))
def _case_followthrough_by_reason(i: Inputs):
    from cxkit import perception

    ft = i.engagement.followthrough
    return perception.case_follow_through(i.table("cases"), end_of_data=i.eod, open_age_days=ft.case_open_age_days,
                                          by="reason")


# ============================================================================================
# computing and storing
# ============================================================================================


#: columns that say what a row is about rather than measure it (the period's days, a repeat window,
#: a bin's bounds, the Monte Carlo's draws): kept where the result's own figure is not measured
_CONTEXT = ("period_days", "window_days", "same_reason", "open_age_days", "upper_h", "lower_d", "upper_d",
            "effort_min", "effort_max", "weekday_num", "steps", "draws", "seed")

#: the columns that hold a row's figure, where each row is one (the FCR definitions, the scorecard)
_ROW_VALUES = ("rate", "numerator", "denominator", "ci_low", "ci_high", "value", "n", "fcr", "fcr_ci_low", "fcr_ci_high")


def _unmeasured_as_null(frame: pd.DataFrame, spec: ResultSpec, judge: Any,
                        whole: bool = True) -> tuple[pd.DataFrame, dict[str, str]]:
    """``frame`` with the columns and rows of figures the export cannot give set to null, and
    why, by column (or ``row_key=value``).

    The engine computes a transfer rate of 0 where the export has no transfer counts (the
    loader fills 0 for its sake); the report says "not measured" there, and so must the stored
    result that pipelines and ``cxkit.open_run`` read: absent is not zero. Where the result's
    own figure (``spec.figure``) is not measured, every number in the stored result is null
    (why: ``"*"``) but a column of another figure that is measured and the columns that say what
    a row is about (:data:`_CONTEXT`); with ``whole`` False that
    is left to the reader, as the results computed from this one read it (the scenarios take
    the eligible contacts from FCR by reason, which is not measured without reasons, as one
    row of contacts without a reason).
    """
    if judge is None or frame.empty:
        return frame, {}
    out, why = frame, {}
    own = judge.absent(spec.figure) if whole and spec.figure else None

    def blank(rows: Any, columns: list[str]) -> None:
        nonlocal out
        if out is frame:
            out = frame.copy()
        for c in columns:
            if pd.api.types.is_bool_dtype(out[c]) or pd.api.types.is_integer_dtype(out[c]):
                out[c] = out[c].astype("float64" if pd.api.types.is_integer_dtype(out[c]) else "object")
            out.loc[rows, c] = None if out[c].dtype == object else float("nan")

    if own:
        # the result's own figure is not measured: every number in it reads the absent field
        # (a ping-pong rate of 0 where the legs have no queues), save a column of a figure
        # measured apart; the rows' labels and keys stay, to say what was not measured
        kept = {c for c, key in spec.figures.items() if key != spec.figure and not judge.absent(key)}
        numbers = [c for c in frame.columns if c not in kept and c != spec.row_key and c not in spec.sort
                   and c not in _CONTEXT
                   and (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))]
        blank(slice(None), numbers)
        why["*"] = own
        why.update({c: own for c in numbers})
    for column, key in spec.figures.items():
        reason = judge.absent(key) if column in frame.columns and key != spec.figure else None
        if reason:
            # a rate's interval goes with it (transfer_rate: transfer_ci_low, transfer_ci_high)
            stem = column[: -len("_rate")] if column.endswith("_rate") else column
            bounds = [c for c in (f"{stem}_ci_low", f"{stem}_ci_high") if c in frame.columns]
            blank(slice(None), [column, *bounds])
            why.update({c: reason for c in (column, *bounds)})
    if spec.row_key in frame.columns:
        # a row's figure is its rate and what it is a rate of; the other counts of the row (the
        # contacts without a reason, the censored) are measured and say why nothing was judged
        values = [c for c in _ROW_VALUES if c in frame.columns]
        for value, key in spec.row_figures.items():
            reason = judge.absent(key)
            rows = frame[spec.row_key] == value
            if reason and rows.any():
                blank(rows, values)
                why[f"{spec.row_key}={value}"] = reason
    return out, why


#: The longest text value a stored result keeps: a label (a queue, a reason, an agent's name)
#: longer than this is an export's corrupt field, not a name a reader needs whole (a reason of
#: 200,000 characters was printed 21 times, and the page grew from 0.9 to 5.3 MB). cxkit's own
#: notes and a journey variant's steps stay far under it (the longest in the demo, the bank month
#: and the 1M bench: 195 characters).
MAX_TEXT = 1000

#: Characters XML does not allow (C0 controls but tab, line feed and carriage return; DEL): a
#: chart's SVG renderer aborts the notebook's whole kernel on one ("Kernel died").
_CONTROL = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F], "\ufffd")


def readable_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text values as a report can show them: a control character is the
    replacement character, and a value longer than :data:`MAX_TEXT` is cut with "…" (values so
    cut that would then read alike keep apart with a number: two rows are never made one
    label). Other values, and every other column, are unchanged.

    >>> import pandas as pd
    >>> f = readable_text(pd.DataFrame({"reason": ["ok", "A\\x00B", "x" * 1030, "x" * 1025, None], "n": range(5)}))
    >>> [None if pd.isna(v) else (v[:3], len(v)) for v in f["reason"]]
    [('ok', 2), ('A\ufffdB', 3), ('xxx', 1002), ('xxx', 1002), None]
    >>> f["reason"][2][-5:], f["reason"][3][-5:]
    ('xx… 1', 'xx… 2')
    >>> empty = pd.DataFrame({"note": pd.Series([None, None], dtype="str")})
    >>> readable_text(empty)["note"].dtype == empty["note"].dtype
    True
    """
    out = None
    for column in frame.columns:
        values = frame[column]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
            continue
        # in its own type: pandas infers one from the values, float64 or null when every one is null
        text = values.map(lambda v: v.translate(_CONTROL) if isinstance(v, str) else v).astype(values.dtype)
        long = text.map(lambda v: isinstance(v, str) and len(v) > MAX_TEXT)
        if long.any():
            cut = text[long].map(lambda v: v[: MAX_TEXT - 1] + "…")
            if cut.duplicated(keep=False).any() or cut.isin(text[~long]).any():
                cut = pd.Series([f"{v} {k}" for k, v in enumerate(cut, start=1)], index=cut.index)
            text = text.where(~long, cut)
        if not text.equals(values):
            out = frame.copy() if out is None else out
            out[column] = text
    return frame if out is None else out


#: The stored type of a result column, by the kind of its values, whatever the data: whole numbers
#: are pandas' nullable ``Int64``, yes/no values its nullable ``boolean``, other numbers ``float64``
#: and text pandas' string type ``str`` (in the Parquet file: int64, bool, double, large_string),
#: null where a figure is not measured. A column's type never depends on the export: a count was
#: int64 in one run and float64 in a run whose export lacked the field (the figure null), and a
#: flag bool in one, of no type (all null) in another.
STORED_TYPES = ("Int64", "boolean", "float64", "str")


def _ibis_type(dtype: Any) -> str | None:
    if dtype.is_boolean():
        return "boolean"
    if dtype.is_integer():
        return "Int64"
    if dtype.is_floating() or dtype.is_decimal():
        return "float64"
    if dtype.is_string():
        return "str"
    return None


def _values_type(values: pd.Series) -> str | None:
    """The stored type of a column from its pandas type, or from its values when pandas holds them
    as objects; None when they cannot tell (every value null, or values of another kind)."""
    import numbers

    if pd.api.types.is_bool_dtype(values):
        return "boolean"
    if pd.api.types.is_integer_dtype(values):
        return "Int64"
    if pd.api.types.is_float_dtype(values):
        return "float64"
    if pd.api.types.is_string_dtype(values) and values.dtype != object:
        return "str"
    if values.dtype != object:
        return None
    present = values[values.notna()].tolist()
    if not present:
        return None
    if all(isinstance(v, bool | np.bool_) for v in present):
        return "boolean"
    if all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in present):
        return "Int64"
    if all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in present):
        return "float64"
    if all(isinstance(v, str) for v in present):
        return "str"
    return None


def column_types(frame: pd.DataFrame, value: Any = None, spec: ResultSpec | None = None) -> dict[str, str]:
    """The stored type (:data:`STORED_TYPES`) of each column of a computed result ``frame``: from
    the schema of ``value`` when the engine computed it (an ibis table: its types hold when every
    value is null), else from the frame's types and values, and ``spec.types`` over both.

    >>> import pandas as pd
    >>> column_types(pd.DataFrame({"n": [1, 2], "flag": [True, None], "x": [None, 0.5], "s": ["a", None]}))
    {'n': 'Int64', 'flag': 'boolean', 'x': 'float64', 's': 'str'}
    """
    out = {str(c): t for c in frame.columns if (t := _values_type(frame[c])) is not None}
    if value is not None and hasattr(value, "schema") and not isinstance(value, pd.DataFrame):
        out.update({str(c): t for c, d in value.schema().items() if c in frame.columns and (t := _ibis_type(d))})
    out.update(spec.types if spec is not None else {})
    return out


def stored_types(frame: pd.DataFrame, types: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` with each column in ``types`` in that stored type (:data:`STORED_TYPES`); a value
    that is not measured (null, NaN) is null. Other columns (times, dates) are unchanged.

    >>> import pandas as pd
    >>> f = stored_types(pd.DataFrame({"n": [float("nan"), 2.0], "flag": [None, None]}), {"n": "Int64", "flag": "boolean"})
    >>> [str(t) for t in f.dtypes], f["n"].tolist()
    (['Int64', 'boolean'], [<NA>, 2])
    """
    out = frame.copy()
    for column, kind in types.items():
        if column not in out.columns or str(out[column].dtype) == kind:
            continue
        values = out[column]
        # every null of any kind (NaN, NaT, pd.NA) as None, which each stored type reads as null
        cells = values.astype("object").where(values.notna(), None)
        if kind == "str":
            out[column] = cells.map(lambda v: v if v is None else str(v)).astype("str")
        elif kind in ("Int64", "boolean"):
            out[column] = cells.astype(kind)
        else:
            out[column] = pd.to_numeric(cells, errors="raise").astype(kind)
    return out


def _frame(value: Any) -> pd.DataFrame:
    if isinstance(value, pd.DataFrame):
        return value
    return value.to_pandas()


def _sorted(frame: pd.DataFrame, spec: ResultSpec) -> pd.DataFrame:
    frame = frame.drop(columns=[c for c in spec.drop if c in frame.columns])
    keys = [c for c in spec.sort if c in frame.columns]
    if keys:
        # numeric keys that rank volume (journeys, contacts) read best largest first
        descending = {"journeys", "contacts"}
        frame = frame.sort_values(keys, ascending=[k not in descending for k in keys], kind="mergesort",
                                  na_position="last")
    return frame.drop(columns=[c for c in frame.columns if c.startswith("_")]).reset_index(drop=True)


def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def fingerprint(engagement: Any) -> str:
    """A hash of the engagement's settings and its source files (names, sizes, modification
    times): results computed for another fingerprint are stale. Where and how the engine runs
    (``backend``: memory, threads, a DuckDB file) and how the report is rendered (``report``)
    do not change a result, so they are not part of it: a run prepared with more memory is
    read by its notebooks as it is, not recomputed."""
    import glob

    parts: list[str] = [engagement.model_dump_json(exclude={"backend", "report"})]
    for name, src in sorted(engagement.sources.items()):
        if src.path:
            for p in sorted(glob.glob(str(engagement.resolve(src.path)))):
                st = Path(p).stat()
                parts.append(f"{name}:{p}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _covered_tables(names: Iterable[str]) -> set[str]:
    """The tables whose coverage the results ``names`` need: those they read and those their
    figures are judged on. A run of every result, or one with frames computed elsewhere (whose
    tables are unknown), states every table; FCR alone never builds the period's legs."""
    from cxkit.figures import FIGURES

    out: set[str] = set()
    for name in names:
        spec = RESULTS[name]
        out.update(spec.tables)
        for key in spec.all_figures():
            if key in FIGURES:
                out.update(FIGURES[key].tables)
    return out


def compute_results(
    session: Any,
    run_dir: str | Path,
    *,
    names: Iterable[str] | None = None,
    extra: Mapping[str, tuple[str, str, pd.DataFrame]] | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> ResultSet:
    """Compute every declared result once for ``session`` and write them to ``run_dir/results``.

    Parameters
    ----------
    session
        An opened engagement (:func:`cxkit.open_engagement`).
    run_dir
        The run folder; ``results/`` is created in it. ``readiness.json`` is read from it when
        present (caveats), never written here.
    names
        Only these results (default: all, in declaration order).
    extra
        Frames computed elsewhere in the run, stored alike: ``{name: (section, title, frame)}``
        (e.g. readiness's records per day).
    progress
        Optional callback ``progress(step, fraction_done)``.

    Returns
    -------
    ResultSet
    """
    run_dir = Path(run_dir)
    folder = run_dir / RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    wanted = list(names) if names is not None else list(RESULTS)
    unknown = [n for n in wanted if n not in RESULTS]
    if unknown:
        raise CxkitError(f"results: unknown result(s) {unknown}; declared: {', '.join(RESULTS)}")
    inputs = Inputs(session)
    started = time.perf_counter()
    coverage = session.coverage(_covered_tables(wanted) if names is not None and not extra else None)
    if "intervals" in coverage and "contacts" in coverage:
        from cxkit import capacity

        # which WFM queues contacts entered: a figure of those queues with none is not measured
        coverage["intervals"]["queues"] = capacity.wfm_queues(session.table("intervals"), inputs.contacts)
    inputs.coverage = coverage
    entries: dict[str, dict[str, Any]] = {}
    for index, name in enumerate(wanted):
        spec = RESULTS[name]
        if progress is not None:
            progress(f"Computing {spec.title.lower()}", index / max(len(wanted), 1))
        absent = [t for t in spec.tables if not session.has(t)]
        entry: dict[str, Any] = {"section": spec.section, "title": spec.title, "figures": spec.all_figures()}
        if absent:
            entry.update(available=False, why=no_source(absent))
            inputs.done[name] = None
            entries[name] = entry
            continue
        t0 = time.perf_counter()
        frame = inputs.done.get(name)
        if frame is None:
            frame = inputs.computed(spec)
        stored, unmeasured = _unmeasured_as_null(frame, spec, inputs.judge)
        stored = stored_types(readable_text(stored), inputs.types[name])
        _write_atomic(folder / f"{name}.parquet", lambda p, f=stored: f.to_parquet(p, index=False))
        inputs.done[name] = _unmeasured_as_null(frame, spec, inputs.judge, whole=False)[0]
        entry.update(available=True, rows=len(frame), columns=list(map(str, frame.columns)),
                     seconds=round(time.perf_counter() - t0, 3))
        if unmeasured:
            entry["not_measured"] = unmeasured
        entries[name] = entry
    for name, (section, title, frame) in (extra or {}).items():
        frame = stored_types(frame, column_types(frame))
        _write_atomic(folder / f"{name}.parquet", lambda p, f=frame: f.to_parquet(p, index=False))
        entries[name] = {"section": section, "title": title, "figures": [], "available": True, "rows": len(frame),
                         "columns": list(map(str, frame.columns))}
    e = session.engagement
    manifest = {
        "format": FORMAT,
        "engagement": e.name,
        "fingerprint": fingerprint(e),
        "timezone": e.timezone,
        "currency": e.currency,
        "period": {"start": str(e.period.start), "end": str(e.period.end), "days": e.period.days},
        "end_of_data_utc": session.end_of_data.isoformat(),
        "parameters": json.loads(json.dumps(session.parameters(), default=_json_default)),
        "coverage": coverage,
        "results": entries,
        "seconds": round(time.perf_counter() - started, 3),
    }
    _write_atomic(folder / MANIFEST, lambda p: p.write_text(json.dumps(manifest, indent=2, default=_json_default) + "\n",
                                                              encoding="utf-8"))
    return ResultSet.load(run_dir)


# ============================================================================================
# reading
# ============================================================================================


class ResultSet:
    """The results of one run, as the sections, the summary, cost and findings read them."""

    def __init__(self, run_dir: Path, manifest: dict[str, Any], readiness: dict[str, Any] | None,
                 engagement: Any = None):
        self.run_dir = Path(run_dir)
        self.manifest = manifest
        self.readiness = readiness
        self.engagement = engagement
        self._frames: dict[str, pd.DataFrame | None] = {}

    def __repr__(self) -> str:
        available = sum(1 for e in self.manifest["results"].values() if e.get("available"))
        return f"ResultSet({self.manifest['engagement']!r}, {available} results, {self.run_dir})"

    @classmethod
    def load(cls, run_dir: str | Path, engagement: Any = None) -> ResultSet:
        """The results written to ``run_dir`` (and its ``readiness.json`` when present)."""
        from cxkit.readiness import load_readiness

        run_dir = Path(run_dir)
        path = run_dir / RESULTS_DIR / MANIFEST
        if not path.exists():
            raise CxkitError(
                f"{run_dir}: no {RESULTS_DIR}/{MANIFEST} here, so this run has no computed results. "
                "Fix: run the engagement (`cxkit run <engagement>`), or open it with "
                "cxkit.results.open_run(engagement, run_dir), which computes them."
            )
        manifest = json.loads(path.read_text(encoding="utf-8"))
        return cls(run_dir, manifest, load_readiness(run_dir), engagement)

    # ---- data
    def param(self, name: str) -> Any:
        """A metric parameter in force for this run (``repeat_window_days``, ``min_n``, ...)."""
        try:
            return self.manifest["parameters"][name]
        except KeyError:
            raise CxkitError(f"results: no parameter {name!r} in this run; it has "
                             f"{', '.join(self.manifest['parameters'])}") from None

    @property
    def coverage(self) -> dict[str, Any]:
        return self.manifest["coverage"]

    @cached_property
    def judge(self):
        from cxkit.figures import Judge

        return Judge(self.readiness, self.coverage)

    def available(self, name: str) -> bool:
        return bool(self._entry(name).get("available"))

    def why_absent(self, name: str) -> str | None:
        """Why a result was not computed (a source the engagement lacks), or None."""
        entry = self._entry(name)
        return None if entry.get("available") else entry.get("why", "not computed")

    def frame(self, name: str) -> pd.DataFrame | None:
        """The result as a pandas frame, or None when it was not computed (see :meth:`why_absent`)."""
        if name not in self._frames:
            entry = self._entry(name)
            self._frames[name] = (
                pd.read_parquet(self.run_dir / RESULTS_DIR / f"{name}.parquet") if entry.get("available") else None
            )
        frame = self._frames[name]
        return None if frame is None else frame.copy()

    def row(self, name: str, **where: Any) -> dict[str, Any] | None:
        """One row of a result as a dict (the first matching ``where``), or None."""
        frame = self.frame(name)
        if frame is None:
            return None
        for col, value in where.items():
            frame = frame[frame[col] == value]
        return None if frame.empty else frame.iloc[0].to_dict()

    def spec(self, name: str) -> ResultSpec:
        if name in RESULTS:
            return RESULTS[name]
        entry = self._entry(name)
        return ResultSpec(name, entry["section"], entry["title"], lambda i: None)

    def readiness_report(self):
        """The run's readiness (:class:`cxkit.readiness.Readiness`) as saved, for showing it."""
        from cxkit.readiness import Readiness

        if self.readiness is None:
            raise CxkitError(f"{self.run_dir}: data readiness did not run for this run (no readiness.json). Fix: "
                             "open the run with cxkit.open_run(engagement, run_dir), which runs it.")
        if self.engagement is None:
            raise CxkitError("results: the readiness view needs the engagement; open the run with "
                             "cxkit.open_run(engagement, run_dir).")
        return Readiness.from_dict(self.readiness, self.engagement, self.frame("readiness_daily")
                                   if self.available("readiness_daily") else None)

    # ---- showing (cxkit.present applies "not measured" and caveats)
    def table(self, name: str, **kwargs: Any):
        """Result ``name`` as a reader's table (see :func:`cxkit.present.table`)."""
        from cxkit import present

        return present.table(self, name, **kwargs)

    def chart(self, name: str, build: Callable[[pd.DataFrame], Any], **kwargs: Any):
        """Result ``name`` drawn by ``build(frame)``, caveats below (:func:`cxkit.present.chart`)."""
        from cxkit import present

        return present.chart(self, name, build, **kwargs)

    def cards(self, cards: Iterable[Mapping[str, Any]]):
        """Headline cards naming their figures (:func:`cxkit.present.cards`)."""
        from cxkit import present

        return present.cards(self, list(cards))

    def caveats(self, *figures: str):
        """The caveat boxes of these figures, each once (for a paragraph that quotes them)."""
        from cxkit import present

        return present._join(present.caveat_notes([(c, None) for c in self.judge.caveats_for(figures)]))

    def _entry(self, name: str) -> dict[str, Any]:
        try:
            return self.manifest["results"][name]
        except KeyError:
            raise CxkitError(
                f"results: {name!r} is not in this run's manifest ({self.run_dir}); it has "
                f"{', '.join(self.manifest['results'])}. Fix: run the engagement again with this cxkit version."
            ) from None


def open_run(engagement: str | Path, run_dir: str | Path, *, progress: Callable[[str, float], None] | None = None) -> ResultSet:
    """The results of ``run_dir``, computed first when the folder has none for this engagement.

    ``cxkit run`` computes readiness and results before any notebook runs, so a report section
    only reads them. A notebook opened on its own (JupyterLab, plain papermill, ``quarto
    render``) computes them here, once, into ``run_dir``: the next section reads them.
    """
    from cxkit.config import load_engagement
    from cxkit.pipeline import prepare_run

    run_dir = Path(run_dir)
    e = load_engagement(engagement)
    run_dir.mkdir(parents=True, exist_ok=True)
    # sections opened at once (two kernels of a run, two notebooks in JupyterLab) compute the
    # results once: the others wait for the whole preparation (findings included), then read
    with _exclusive(run_dir):
        if not _has_results(run_dir, e):
            prepare_run(e, run_dir, progress=progress)
    return ResultSet.load(run_dir, e)


def _has_results(run_dir: Path, e: Any) -> bool:
    manifest = run_dir / RESULTS_DIR / MANIFEST
    if not manifest.exists():
        return False
    stored = json.loads(manifest.read_text(encoding="utf-8"))
    return stored.get("fingerprint") == fingerprint(e) and stored.get("format") == FORMAT


@contextlib.contextmanager
def _exclusive(folder: Path):
    """Hold an exclusive lock on ``folder`` (POSIX ``flock`` on the folder itself, so no lock
    file is left in a published run); where there is none (Windows) the caller runs unlocked."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock

