"""Perception and follow-through: what customers say, who says it, and whether promises are kept.

* **Survey scores** (METRICS.md entities): CSAT 1-5 (share of 4-5 and mean), NPS 0-10
  (promoters 9-10 minus detractors 0-6, in points from -100 to +100), CES 1-7, "made it easy"
  (share of 5-7 and mean). A score outside its scale is an export error: readiness reports it
  and it is left out here. Every share carries its denominator and a 95% Wilson interval.
* **Response bias**: responders compared with all surveyed-eligible contacts on journey effort,
  transfers, repeats and FCR, because a CSAT that only the easy journeys answer flatters.
* **Perception drivers**: how the scores move with transfers, repeats and effort decile.
* **QA alignment**: an agent's QA score against their measured FCR and repeat share. A QA form
  that scores well on contacts that come back is measuring the wrong thing.
* **Follow-through**: callbacks kept within the promised business days; case time to close,
  reopen rate and cases open past an age.

Everything returns lazy ibis tables; FCR and repeat flags come from
:func:`cxkit.resolution.repeat_flags` (never recomputed here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Literal

import ibis
import ibis.expr.types as ir

from cxkit.errors import CxkitError
from cxkit.journey import _as_list, _labelled, _ratio, _with_effort, spearman_correlation, survey_effort
from cxkit.stats import rows_below, wilson_interval
from cxkit.zones import zone

__all__ = [
    "SCALES",
    "survey_scores",
    "survey_response_rates",
    "nonresponse_check",
    "perception_by_driver",
    "responses",
    "qa_alignment",
    "qa_rank_correlation",
    "utc_offset_hours",
    "business_days_after",
    "callbacks_kept",
    "case_follow_through",
]

#: Valid range of each survey score and the threshold of its "good" box.
SCALES: dict[str, dict[str, float]] = {
    "csat": {"low": 1, "high": 5, "good_from": 4},  # share 4-5
    "ces": {"low": 1, "high": 7, "good_from": 5},  # share 5-7 ("made it easy")
    "nps": {"low": 0, "high": 10, "promoter_from": 9, "detractor_to": 6},
}

_TS = "timestamp('UTC')"


def _valid(x: ir.Value, name: str) -> ir.FloatingValue:
    """The score when inside its scale, else null (out-of-range values are export errors)."""
    sc = SCALES[name]
    x = x.cast("float64")
    return ibis.ifelse(x.between(sc["low"], sc["high"]), x, ibis.null("float64"))


def _responded(s: ir.Table) -> ir.BooleanValue:
    answered = s.csat.notnull() | s.nps.notnull() | s.ces.notnull() | s.resolved.notnull()
    return (s.responded_at.notnull() | answered).fill_null(False)


def responses(surveys: ir.Table) -> ir.Table:
    """The surveys the customer answered (a response time or any score), the rows every
    perception figure reads."""
    return surveys.filter(_responded(surveys))


def _share(out: ir.Table, k: str, n: str, prefix: str) -> dict[str, ir.Value]:
    lo, hi = wilson_interval(out[k], out[n])
    return {prefix: _ratio(out[k], out[n]), f"{prefix}_ci_low": lo, f"{prefix}_ci_high": hi}


# --------------------------------------------------------------------------------------------
# scores
# --------------------------------------------------------------------------------------------


def _score_aggregates(s: ir.Table) -> dict[str, ir.Value]:
    csat, nps, ces = _valid(s.csat, "csat"), _valid(s.nps, "nps"), _valid(s.ces, "ces")
    return {
        "responses": s.count(),
        "csat_n": csat.count(),
        "csat_good": s.count(where=csat >= SCALES["csat"]["good_from"]),
        "csat_mean": csat.mean(),
        "nps_n": nps.count(),
        "promoters": s.count(where=nps >= SCALES["nps"]["promoter_from"]),
        "detractors": s.count(where=nps <= SCALES["nps"]["detractor_to"]),
        "ces_n": ces.count(),
        "ces_good": s.count(where=ces >= SCALES["ces"]["good_from"]),
        "ces_mean": ces.mean(),
    }


def _score_rates(out: ir.Table) -> ir.Table:
    return out.mutate(
        **_share(out, "csat_good", "csat_n", "csat_top2"),
        **_share(out, "ces_good", "ces_n", "ces_easy"),
        **_share(out, "promoters", "nps_n", "promoter_share"),
        **_share(out, "detractors", "nps_n", "detractor_share"),
        nps=ibis.ifelse(
            out.nps_n > 0,
            100.0 * (out.promoters - out.detractors).cast("float64") / out.nps_n.cast("float64"),
            ibis.null("float64"),
        ),
    )


def survey_scores(surveys: ir.Table, *, by: str | Sequence[str] | None = None) -> ir.Table:
    """CSAT, NPS and CES of the survey responses, overall or per segment of ``surveys``.

    Each score counts the responses that answered it inside its scale. Columns (per
    segment): ``responses``; ``csat_n``, ``csat_good`` (4-5), ``csat_top2`` (share 4-5) with
    ``csat_top2_ci_low``/``_ci_high``, ``csat_mean``; ``nps_n``, ``promoters`` (9-10),
    ``detractors`` (0-6), ``promoter_share``, ``detractor_share`` (with intervals) and
    ``nps`` (points, -100 to +100); ``ces_n``, ``ces_good`` (5-7), ``ces_easy`` (share 5-7,
    with interval), ``ces_mean``.

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> s = canonical_memtable("surveys", [
    ...     {"survey_id": "1", "csat": 5.0, "nps": 10.0, "ces": 7.0},
    ...     {"survey_id": "2", "csat": 4.0, "nps": 8.0, "ces": 4.0},
    ...     {"survey_id": "3", "csat": 2.0, "nps": 3.0, "ces": 2.0},
    ...     {"survey_id": "4", "csat": 9.0}])
    >>> r = survey_scores(s).execute().iloc[0]
    >>> float(r.csat_top2), float(r.nps), float(r.ces_mean)  # 2/3; (1-1)/3; (7+4+2)/3
    (0.6666666666666666, 0.0, 4.333333333333333)
    """
    keys = _as_list(by)
    s = _labelled(responses(surveys), keys)
    aggs = _score_aggregates(s)
    out = s.aggregate(by=keys, **aggs) if keys else s.aggregate(**aggs)
    return _score_rates(out)


def survey_response_rates(
    surveys: ir.Table, contacts: ir.Table | None = None, *, by: str | Sequence[str] | None = None
) -> ir.Table:
    """How many surveys were answered, and how much of the handled work they cover.

    ``invitations`` = survey rows with ``sent_at`` (null when the source holds responses
    only); ``responses`` = rows with ``responded_at`` or any answer;
    ``response_rate`` = invited rows that responded / invitations (null without invitations),
    with a Wilson interval; ``csat_answered``, ``nps_answered``, ``ces_answered`` per
    question. With ``contacts``: ``handled_inbound`` contacts and ``coverage`` = distinct
    responded contacts / handled inbound contacts (no ``by`` then).

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> s = canonical_memtable("surveys", [
    ...     {"survey_id": "1", "sent_at": "2026-03-02 10:00", "responded_at": "2026-03-02 11:00",
    ...      "csat": 5.0},
    ...     {"survey_id": "2", "sent_at": "2026-03-02 10:00"},
    ...     {"survey_id": "3", "sent_at": "2026-03-02 10:00"},
    ...     {"survey_id": "4", "sent_at": "2026-03-02 10:00", "ces": 6.0}])
    >>> r = survey_response_rates(s).execute().iloc[0]
    >>> int(r.invitations), int(r.responses), float(r.response_rate)
    (4, 2, 0.5)
    """
    keys = _as_list(by)
    s = _labelled(surveys.mutate(_resp=_responded(surveys)), keys)
    aggs = {
        "rows": s.count(),
        "invitations": s.count(where=s.sent_at.notnull()),
        "responses": s.count(where=s._resp),
        "invited_responses": s.count(where=s._resp & s.sent_at.notnull()),
        "csat_answered": _valid(s.csat, "csat").count(),
        "nps_answered": _valid(s.nps, "nps").count(),
        "ces_answered": _valid(s.ces, "ces").count(),
        "responded_contacts": s.contact_id.nunique(where=s._resp),
    }
    out = s.aggregate(by=keys, **aggs) if keys else s.aggregate(**aggs)
    out = out.mutate(**_share(out, "invited_responses", "invitations", "response_rate"))
    if contacts is not None and not keys:
        c = contacts
        handled = c.aggregate(
            handled_inbound=c.count(where=((c.direction == "inbound") & (c.outcome == "handled")).fill_null(False))
        )
        out = out.cross_join(handled)
        out = out.mutate(coverage=_ratio(out.responded_contacts, out.handled_inbound))
    return out


# --------------------------------------------------------------------------------------------
# response bias and drivers
# --------------------------------------------------------------------------------------------


def nonresponse_check(
    journey_contacts: ir.Table,
    journeys: ir.Table,
    surveys: ir.Table,
    *,
    contact_flags: ir.Table | None = None,
    unique_ids: bool = False,
) -> ir.Table:
    """Are survey responders typical? Responders against all and non-responding contacts.

    Population: identified, inbound, handled contacts (the contacts surveys are sent after),
    each with the effort index of its whole journey (``journeys`` with an ``effort_index``
    column, or computed with the default weights). A contact is a responder when any survey
    row for it responded. One row per ``group`` (``all``, ``responders``,
    ``non_responders``): ``contacts``, ``mean_effort``, ``transfer_rate`` (at least one
    transfer), ``later_in_journey_rate`` (not the journey's first contact) and, with
    ``contact_flags`` (:func:`cxkit.resolution.repeat_flags`), ``fcr_n`` and ``fcr`` (eligible,
    judged contacts without a repeat) and ``repeat_rate`` (contacts that are repeats), each
    contact meeting its own flags (:func:`cxkit.resolution.contact_row_key`; ``unique_ids``
    when contact ids are unique by construction).
    """
    from cxkit.resolution import contact_row_key, same_contact_row

    j = _with_effort(journeys, None, None)
    base = journey_contacts.filter(journey_contacts.outcome == "handled")
    base = base.join(j.select("journey_id", _effort=j.effort_index), "journey_id")
    resp = (
        surveys.filter(_responded(surveys) & surveys.contact_id.notnull())
        .select("contact_id")
        .distinct()
        .mutate(_resp=ibis.literal(True))
    )
    base = base.left_join(resp, "contact_id").drop("contact_id_right")
    base = base.mutate(_resp=base._resp.fill_null(False))
    if contact_flags is not None:
        cf = contact_flags
        key = contact_row_key(cf, unique_ids=unique_ids)
        cf = cf.select(
            **key,
            _fcr_elig=(cf.eligible & cf.judged).fill_null(False),
            _fcr_res=(cf.eligible & cf.judged & ~cf.has_repeat).fill_null(False),
            _is_rep=cf.is_repeat.fill_null(False),
        )
        base = base.left_join(cf, same_contact_row(base, cf)).drop(*key)

    # one pass over the joined contacts: each group's counts are filtered counts of one
    # aggregate (a union of three aggregates joined the contacts three times)
    groups = {"all": ibis.literal(True), "responders": base._resp, "non_responders": ~base._resp}
    aggs: dict[str, ir.Value] = {}
    for i, cond in enumerate(groups.values()):
        aggs |= {
            f"contacts_{i}": base.count(where=cond),
            f"mean_effort_{i}": base._effort.mean(where=cond),
            f"transferred_{i}": base.count(where=cond & (base.transfers > 0)),
            f"later_{i}": base.count(where=cond & (base.position > 1)),
        }
        if contact_flags is not None:
            aggs |= {
                f"fcr_n_{i}": base.count(where=cond & base._fcr_elig),
                f"fcr_k_{i}": base.count(where=cond & base._fcr_res),
                f"rep_{i}": base.count(where=cond & base._is_rep),
            }
    one = base.aggregate(**aggs)
    parts = []
    for i, group in enumerate(groups):
        n = one[f"contacts_{i}"]
        cols: dict[str, ir.Value] = {"group": ibis.literal(group), "contacts": n, "mean_effort": one[f"mean_effort_{i}"]}
        if contact_flags is not None:
            cols["fcr_n"] = one[f"fcr_n_{i}"]
        cols |= {
            "transfer_rate": _ratio(one[f"transferred_{i}"], n),
            "later_in_journey_rate": _ratio(one[f"later_{i}"], n),
        }
        if contact_flags is not None:
            cols |= {"fcr": _ratio(one[f"fcr_k_{i}"], one[f"fcr_n_{i}"]), "repeat_rate": _ratio(one[f"rep_{i}"], n)}
        parts.append(one.select(**cols, _order=ibis.literal(i)))
    return ibis.union(*parts, distinct=False).order_by("_order").drop("_order")


def perception_by_driver(
    journey_contacts: ir.Table,
    journeys: ir.Table,
    surveys: ir.Table,
    *,
    driver: Literal["transfers", "repeat", "effort_decile"] = "transfers",
    scope: Literal["to_survey", "journey"] = "to_survey",
    weights: Mapping[str, float] | None = None,
    scales: Mapping[str, float] | None = None,
    scored: ir.Table | None = None,
    min_n: int = 30,
) -> ir.Table:
    """Survey scores per level of one driver of the surveyed contact's experience.

    Drivers: ``transfers`` (levels ``0``, ``1``, ``2+`` transfers in the surveyed contact);
    ``repeat`` (``first contact`` of its journey vs ``later contact``: the customer had
    already tried within the window); ``effort_decile`` (decile ``1``-``10`` of the effort
    index, as :func:`cxkit.journey.survey_effort` with ``scope``, among the responses;
    tied efforts share a decile, so deciles can be uneven or absent). Columns: ``driver``,
    ``level``, ``level_order``, the :func:`survey_scores` columns, ``effort_min`` /
    ``effort_max`` (effort range of the level) and ``below_min_n`` (on ``responses``).

    The effort index is weighted and scaled by ``weights`` / ``scales`` (default: the
    standard ones; a run passes the engagement's, as for every other effort figure).
    ``scored`` is :func:`cxkit.journey.survey_effort` of the responses (:func:`responses`)
    with the same scope, weights and scales, when the caller has it already (a run computes it
    once for this figure and the effort-rating correlation); ``surveys`` is then not read.
    """
    if driver not in ("transfers", "repeat", "effort_decile"):
        raise CxkitError(
            f"perception_by_driver: driver must be 'transfers', 'repeat' or 'effort_decile'; "
            f"found {driver!r}."
        )
    if scored is None:
        scored = survey_effort(journey_contacts, journeys, responses(surveys), scope=scope, weights=weights,
                               scales=scales)
    jc = journey_contacts.select("contact_id", "transfers")
    t = scored.join(jc, "contact_id")
    if driver == "transfers":
        order = ibis.least(t.transfers, 2)
        level = ibis.cases((order == 0, "0"), (order == 1, "1"), else_="2+")
    elif driver == "repeat":
        order = ibis.ifelse(t.position > 1, 1, 0)
        level = ibis.ifelse(t.position > 1, "later contact", "first contact")
    else:
        # percent rank (rank - 1) / (n - 1), from rows_below: no window over all responses
        # (Spark would run it on one task); the effort index is never null
        t = rows_below(t, "effort")
        t = t.cross_join(t.aggregate(_n=t.count()))
        pr = ibis.ifelse(t._n > 1, t._below / (t._n - 1).cast("float64"), 0.0)
        order = ibis.least((pr * 10).floor().cast("int64"), 9) + 1
        level = order.cast("string")
    t = t.mutate(level_order=order.cast("int64"), level=level)
    t = t.mutate(level=t.level)  # materialise window-based levels before grouping
    aggs = _score_aggregates(t) | {"effort_min": t.effort.min(), "effort_max": t.effort.max()}
    out = _score_rates(t.aggregate(by=["level_order", "level"], **aggs))
    out = out.mutate(driver=ibis.literal(driver), below_min_n=out.responses < min_n)
    return out.select("driver", "level", "level_order", *[
        c for c in out.columns if c not in ("driver", "level", "level_order")
    ]).order_by("level_order")


# --------------------------------------------------------------------------------------------
# QA alignment
# --------------------------------------------------------------------------------------------


def qa_alignment(
    qa: ir.Table,
    contacts: ir.Table,
    contact_flags: ir.Table,
    *,
    min_n: int = 30,
    min_evaluations: int = 5,
    quantile: float = 0.25,
    unique_ids: bool = False,
) -> ir.Table:
    """Each agent's QA score beside their measured FCR and repeat share.

    * QA: evaluations and mean ``score`` per agent (the evaluation's ``agent_id``, else the
      evaluated contact's agent).
    * FCR: eligible, judged contacts the agent handled (final leg) without a repeat /
      eligible, judged contacts (:func:`cxkit.resolution.repeat_flags`).
    * Repeat share: identified inbound contacts the agent handled that ARE repeats /
      identified inbound contacts the agent handled. Each contact meets its own flags
      (:func:`cxkit.resolution.contact_row_key`; ``unique_ids`` when contact ids are unique
      by construction).
    * ``qualifies``: at least ``min_evaluations`` evaluations and ``min_n`` FCR contacts.
      Among qualifying agents, ``qa_pct`` and ``fcr_pct`` are percent ranks (0-1) and
      ``qa_high_fcr_low`` flags QA in the top ``quantile`` and FCR in the bottom ``quantile``:
      "a QA form that scores well on contacts that come back is measuring the wrong thing".

    Columns: ``agent_id``, ``evaluations``, ``qa_mean``, ``fcr_n``, ``fcr``, ``fcr_ci_low``,
    ``fcr_ci_high``, ``repeat_n``, ``repeat_share``, ``qualifies``, ``qa_pct``, ``fcr_pct``,
    ``qa_high_fcr_low``. Agent ids are for the consultant, not for stakeholder slides.
    """
    from cxkit.resolution import contact_row_key, same_contact_row

    if not 0 < quantile <= 0.5:
        raise CxkitError(f"qa_alignment: quantile must be in (0, 0.5]; found {quantile!r}.")
    c = contacts.select("contact_id", c_agent="agent_id")
    q = qa.left_join(c, "contact_id").drop("contact_id_right")
    q = q.mutate(_agent=q.agent_id.fill_null(q.c_agent)).filter(ibis._._agent.notnull())
    qa_per_agent = q.aggregate(
        by=q._agent.name("agent_id"), evaluations=q.count(), qa_mean=q.score.mean()
    )
    cf = contact_flags
    cf = cf.select(
        **contact_row_key(cf, unique_ids=unique_ids),
        _elig=(cf.eligible & cf.judged).fill_null(False),
        _res=(cf.eligible & cf.judged & ~cf.has_repeat).fill_null(False),
        _pop=cf.identified_inbound.fill_null(False),
        _rep=(cf.identified_inbound & cf.is_repeat).fill_null(False),
    )
    # each handled contact meets its own flags (a repeated contact id, two contacts: each once)
    handled = contacts.filter(contacts.agent_id.notnull() & (contacts.outcome == "handled").fill_null(False))
    handled = handled.select("contact_id", "arrived_at", c_agent="agent_id")
    work = handled.join(cf, same_contact_row(handled, cf))
    outcome = work.aggregate(
        by=work.c_agent.name("agent_id"),
        fcr_n=work.count(where=work._elig),
        _fcr_k=work.count(where=work._res),
        repeat_n=work.count(where=work._pop),
        _rep_k=work.count(where=work._rep),
    )
    a = qa_per_agent.join(outcome, "agent_id")
    lo, hi = wilson_interval(a._fcr_k, a.fcr_n)
    a = a.mutate(
        fcr=_ratio(a._fcr_k, a.fcr_n),
        fcr_ci_low=lo,
        fcr_ci_high=hi,
        repeat_share=_ratio(a._rep_k, a.repeat_n),
        qualifies=(a.evaluations >= min_evaluations) & (a.fcr_n >= min_n),
    ).drop("_fcr_k", "_rep_k")
    # percent ranks among the qualifying agents: a window over them, not a join of the agents
    # with a ranked copy of themselves (the engine then computed every agent's outcome twice,
    # two joins of the contacts with their flags: at 10M 2.7-3.5 s against 4.6-5.9 s)
    def among_qualifying(column: str) -> ir.FloatingValue:
        rank = a[column].percent_rank().over(ibis.window(group_by=a.qualifies, order_by=a[column]))
        return ibis.ifelse(a.qualifies, rank, ibis.null("float64"))

    ranked = a.mutate(qa_pct=among_qualifying("qa_mean"), fcr_pct=among_qualifying("fcr"))
    flag = (ranked.qa_pct >= 1 - quantile) & (ranked.fcr_pct <= quantile)
    return ranked.mutate(qa_high_fcr_low=flag.fill_null(False)).order_by("agent_id")


def qa_rank_correlation(alignment: ir.Table, *, min_n: int = 10) -> ir.Table:
    """Spearman's rho across qualifying agents of mean QA score with FCR and with repeat share.

    ``alignment`` is :func:`qa_alignment`'s table. A QA form aligned with outcomes correlates
    positively with FCR and negatively with repeat share. One row per ``outcome`` (``fcr``,
    ``repeat_share``): ``n`` (agents), ``spearman``, ``ci_low``, ``ci_high``,
    ``below_min_n`` (default 10 agents).
    """
    ok = alignment.filter(alignment.qualifies)
    parts = [
        spearman_correlation(ok, "qa_mean", y, min_n=min_n).mutate(outcome=ibis.literal(y))
        for y in ("fcr", "repeat_share")
    ]
    out = ibis.union(*parts, distinct=False)
    return out.select("outcome", *[c for c in out.columns if c != "outcome"])


# --------------------------------------------------------------------------------------------
# follow-through
# --------------------------------------------------------------------------------------------


def utc_offset_hours(timezone: str | tzinfo, at: datetime) -> float:
    """The UTC offset of ``timezone`` at instant ``at``, in hours (for business-day clocks).

    Examples
    --------
    >>> from cxkit.testing import ts
    >>> utc_offset_hours("Europe/London", ts("2026-07-01 12:00")), utc_offset_hours("UTC", ts("2026-07-01 12:00"))
    (1.0, 0.0)
    """
    tz = zone(timezone) if isinstance(timezone, str) else timezone
    offset = at.astimezone(tz).utcoffset()
    return offset.total_seconds() / 3600.0 if offset is not None else 0.0


def business_days_after(
    at: ir.TimestampValue, days: float, *, utc_offset_hours: float = 0.0
) -> ir.TimestampValue:
    """The instant ``days`` business days (Monday to Friday) after ``at``.

    Reading: business days are Monday-Friday on the center's clock (UTC shifted by
    ``utc_offset_hours``; no public holidays). A moment on Saturday or Sunday first moves to
    the following Monday 00:00. Each whole business day then moves to the same clock time on
    the next weekday (Friday 17:00 + 1 = Monday 17:00; Thursday 10:00 + 2 = Monday 10:00); a
    fractional part is added as that share of 24 hours and, if it lands on a weekend, moves
    on to Monday.

    Examples
    --------
    >>> import ibis
    >>> from cxkit.testing import ts
    >>> t = ibis.memtable({"at": [ts("2026-03-06 17:00"), ts("2026-03-07 10:00")]})
    >>> r = t.select(d=business_days_after(t.at, 1)).execute()
    >>> [str(x) for x in r.d]  # Friday 17:00 -> Monday 17:00; Saturday -> Tuesday 00:00
    ['2026-03-09 17:00:00+00:00', '2026-03-10 00:00:00+00:00']
    """
    if days <= 0:
        raise CxkitError(
            f"business days must be positive; found {days!r}. "
            "Fix: set followthrough.callback_promise_business_days (default 1)."
        )
    offset = ibis.interval(seconds=int(round(utc_offset_hours * 3600)))
    local = at + offset
    dow = local.day_of_week.index()  # Monday = 0
    midnight = local.truncate("D")
    start = ibis.cases(
        (dow == 5, midnight + ibis.interval(days=2)),
        (dow == 6, midnight + ibis.interval(days=1)),
        else_=local,
    )
    start_dow = ibis.ifelse(dow >= 5, 0, dow)
    whole = int(days)
    calendar_days = whole + 2 * ((start_dow + whole) // 5)
    due = start + calendar_days.cast("int64").as_interval("D")
    frac_s = int(round((days - whole) * 86400))
    if frac_s:
        due = due + ibis.interval(seconds=frac_s)
        due_dow = due.day_of_week.index()
        due = ibis.cases(
            (due_dow == 5, due + ibis.interval(days=2)),
            (due_dow == 6, due + ibis.interval(days=1)),
            else_=due,
        )
    return due - offset


def callbacks_kept(
    contacts: ir.Table,
    *,
    promise_business_days: float = 1,
    end_of_data: datetime | None = None,
    utc_offset_hours: float = 0.0,
    by: str | Sequence[str] | None = None,
    inbound_after: bool = False,
) -> ir.Table:
    """Callbacks kept = scheduled callbacks followed in time by an outbound contact / scheduled.

    Reading: a contact with ``callback_scheduled`` promises a callback by
    ``ended_at`` + ``promise_business_days`` business days (:func:`business_days_after`).
    It is **kept** when a contact of direction ``outbound`` or ``callback`` to the same
    customer arrives at or after its ``ended_at`` and at or before that due time (an attempt
    counts, answered or not: the promise is to call). Scheduled contacts without a customer id
    cannot be matched: they are counted as ``unidentified`` and left out. A callback not (yet)
    kept whose due time is after the end of data cannot be judged (``censored``); a kept one
    is judged whenever it happened. Weekdays are read on one fixed clock (UTC +
    ``utc_offset_hours``, e.g. :func:`utc_offset_hours` of the engagement timezone at the end
    of data), so a daylight-saving change moves the weekday boundary by an hour at most.

    Columns: ``scheduled``, ``unidentified``, ``censored``, ``judged``, ``kept``, ``rate``,
    ``ci_low``, ``ci_high``, ``median_hours_to_callback`` (kept ones), per ``by`` segment; with
    ``inbound_after``, ``inbound_within``: the judged ones followed by an inbound contact of the
    customer after the end and by the due time (the customer calling again, or a callback the
    export gives as inbound: readiness's ``contacts.direction.callbacks_not_inbound``).
    """
    keys = _as_list(by)
    eod = (
        contacts.arrived_at.max()
        if end_of_data is None
        else ibis.literal(end_of_data, type=_TS)
    )
    c = contacts.mutate(_eod=eod)
    sched = c.filter(c.callback_scheduled.fill_null(False))
    sched = _labelled(sched, keys)
    sched = sched.mutate(
        _due=business_days_after(
            sched.ended_at, promise_business_days, utc_offset_hours=utc_offset_hours
        )
    )
    follow = c.filter(c.direction.isin(["outbound", "callback"]) & c.customer_id.notnull()).select(
        f_customer="customer_id", f_at="arrived_at"
    )
    s_id = sched.filter(sched.customer_id.notnull()).select("contact_id", "customer_id", "ended_at", "_due")
    pairs = s_id.join(
        follow,
        [
            s_id.customer_id == follow.f_customer,
            follow.f_at >= s_id.ended_at,
            follow.f_at <= s_id._due,
        ],
    )
    first = pairs.aggregate(by="contact_id", _first_at=pairs.f_at.min())
    s = sched.left_join(first, "contact_id").drop("contact_id_right")
    if inbound_after:
        # the inbound contacts of the customers promised a callback only (not every inbound
        # contact: at 10 million contacts 1.7 s and 1.8 GB at peak, against 2.4 s and 2.2 GB)
        inbound = c.filter((c.direction == "inbound") & c.customer_id.isin(s_id.customer_id)).select(
            i_customer="customer_id", i_at="arrived_at"
        )
        again = s_id.join(
            inbound, [s_id.customer_id == inbound.i_customer, inbound.i_at > s_id.ended_at, inbound.i_at <= s_id._due]
        )
        again = again.aggregate(by="contact_id", _again=again.i_at.count())
        s = s.left_join(again, "contact_id").drop("contact_id_right")
    identified = s.customer_id.notnull()
    kept = identified & s._first_at.notnull()
    censored = identified & ~kept & (s._due > s._eod)
    s = s.mutate(
        _ident=identified,
        _kept=kept,
        _cens=censored,
        _hours=(s._first_at.epoch_seconds() - s.ended_at.epoch_seconds()).cast("float64") / 3600.0,
    )
    aggs = {
        "scheduled": s.count(),
        "unidentified": s.count(where=~s._ident),
        "censored": s.count(where=s._cens),
        "kept": s.count(where=s._kept),
        # not median(where=...): Spark refuses the filtered 0.5 ibis writes for it (nulls are skipped)
        "median_hours_to_callback": ibis.ifelse(s._kept, s._hours, ibis.null("float64")).median(),
    }
    if inbound_after:
        aggs["inbound_within"] = s.count(where=s._ident & ~s._cens & s._again.notnull())
    out = s.aggregate(by=keys, **aggs) if keys else s.aggregate(**aggs)
    out = out.mutate(judged=out.scheduled - out.unidentified - out.censored)
    lo, hi = wilson_interval(out.kept, out.judged)
    return out.mutate(rate=_ratio(out.kept, out.judged), ci_low=lo, ci_high=hi)


def case_follow_through(
    cases: ir.Table,
    *,
    end_of_data: datetime | None = None,
    open_age_days: float = 14,
    by: str | Sequence[str] | None = None,
) -> ir.Table:
    """Case follow-through: time to close (median, P90), reopen rate, cases open past an age.

    Readings: cases opened after the end of data are left out. A case is **closed** when
    ``closed_at`` is at or before the end of data; its time to close is ``closed_at -
    opened_at`` (in hours; quantiles interpolate linearly between order statistics, as numpy's
    default). **Reopen rate** = cases with ``reopened_count > 0`` / cases ever closed by the
    end of data (closed then, or reopened at least once, which implies an earlier close). **Open past age** = cases still open at the end of
    data whose age then is strictly more than ``open_age_days`` days (exactly N x 86,400 s).

    Columns: ``cases``, ``closed``, ``ttc_median_h``, ``ttc_p90_h``, ``ever_closed``,
    ``reopened``, ``reopen_rate`` (+ interval), ``open_at_end``, ``open_past_age``,
    ``open_past_age_share`` (of open cases, + interval), ``open_age_days``.

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable, ts
    >>> rows = [{"case_id": str(i), "opened_at": "2026-03-01 00:00",
    ...          "closed_at": f"2026-03-{1 + i:02d} 00:00"} for i in range(1, 11)]
    >>> r = case_follow_through(canonical_memtable("cases", rows),
    ...                         end_of_data=ts("2026-04-01 00:00")).execute().iloc[0]
    >>> float(r.ttc_median_h) / 24, float(r.ttc_p90_h) / 24  # days 1..10: 5.5 and 9.1
    (5.5, 9.1)
    """
    keys = _as_list(by)
    eod = cases.opened_at.max() if end_of_data is None else ibis.literal(end_of_data, type=_TS)
    k = cases.mutate(_eod=eod)
    k = _labelled(k.filter(k.opened_at <= k._eod), keys)
    closed = k.closed_at.notnull() & (k.closed_at <= k._eod)
    reopened = k.reopened_count.fill_null(0) > 0
    age_limit = ibis.interval(seconds=int(round(open_age_days * 86400)))
    k = k.mutate(
        _closed=closed,
        _reopened=reopened,
        _ever=closed | reopened,
        _open=~closed,
        _ttc_h=ibis.ifelse(
            closed,
            (k.closed_at.epoch_seconds() - k.opened_at.epoch_seconds()).cast("float64") / 3600.0,
            ibis.null("float64"),
        ),
    )
    k = k.mutate(_past=k._open & (k.opened_at + age_limit < k._eod))
    aggs = {
        "cases": k.count(),
        "closed": k.count(where=k._closed),
        "ttc_median_h": k._ttc_h.median(),
        "ttc_p90_h": k._ttc_h.quantile(0.9),
        "ever_closed": k.count(where=k._ever),
        "reopened": k.count(where=k._reopened & k._ever),
        "open_at_end": k.count(where=k._open),
        "open_past_age": k.count(where=k._past),
    }
    out = k.aggregate(by=keys, **aggs) if keys else k.aggregate(**aggs)
    return out.mutate(
        **_share(out, "reopened", "ever_closed", "reopen_rate"),
        **_share(out, "open_past_age", "open_at_end", "open_past_age_share"),
        open_age_days=ibis.literal(float(open_age_days)),
    )
