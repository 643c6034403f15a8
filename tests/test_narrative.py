"""Sentences about the data are computed from it: the same function says different things about
different data, and the notebooks hold no fixed claim about the client's data."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from cxkit import narrative
from cxkit.figures import Judge

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


class FakeResults:
    """The slice of a ResultSet the narrative functions read."""

    def __init__(self, frames: dict[str, pd.DataFrame], params: dict | None = None, coverage: dict | None = None):
        self.frames = frames
        self.manifest = {"parameters": {"repeat_window_days": 7, "min_n": 30, **(params or {})},
                         "period": {"days": 31}}
        self.judge = Judge(None, coverage or {"contacts": {"rows": 10, "columns": {
            "customer_id": {"mapped": True, "non_null": 10}, "contact_reason": {"mapped": True, "non_null": 10},
            "team": {"mapped": True, "non_null": 10}, "agent_id": {"mapped": True, "non_null": 10},
            "talk_s": {"mapped": True, "non_null": 10}}}, "surveys": {"rows": 5, "columns": {
            "contact_id": {"mapped": True, "non_null": 5}, "csat": {"mapped": True, "non_null": 5}}}})

    def frame(self, name):
        f = self.frames.get(name)
        return None if f is None else f.copy()

    def param(self, name):
        return self.manifest["parameters"][name]

    def available(self, name):
        return name in self.frames

    def row(self, name, **where):
        f = self.frames[name]
        for k, v in where.items():
            f = f[f[k] == v]
        return None if f.empty else f.iloc[0].to_dict()

    def cards(self, cards):
        from cxkit import present

        return present.cards(self, cards)

    def why_absent(self, name):
        return None

    def spec(self, name):
        from cxkit.results import RESULTS

        return RESULTS[name]


def _curve(shares: list[float], at_risk: int = 500) -> pd.DataFrame:
    # bins 0-1 d, 1-3 d, 3-7 d, 7-14 d, 14-30 d with the given cumulative shares
    edges = [(0, 1), (1, 3), (3, 7), (7, 14), (14, 30)]
    return pd.DataFrame({"bin": [f"{a}-{b} d" for a, b in edges], "lower_d": [a for a, _ in edges],
                         "upper_d": [b for _, b in edges], "at_risk": [at_risk] * 5, "cumulative_share": shares})


def test_recontact_reading_says_still_rising_only_when_it_is():
    rising = str(narrative.recontact_reading(FakeResults({"recontact_curve": _curve([0.1, 0.2, 0.33, 0.40, 0.515])})))
    # 7 -> 30 days: 33.0% -> 51.5% = 18.5 points over 23/7 weeks = 5.6 points a week
    assert "By 7 days" in rising and "33.0%" in rising and "51.5%" in rising and "5.6 points a week" in rising
    assert "still rising" in rising
    flat = str(narrative.recontact_reading(FakeResults({"recontact_curve": _curve([0.1, 0.2, 0.33, 0.335, 0.34])})))
    # 33.0% -> 34.0%: 1 point over 3.3 weeks = 0.3 a week, under the stated 1 point a week
    assert "nearly flat" in flat and "still rising" not in flat
    # 33.0% -> 36.15%: 3.15 points over 23/7 weeks = 0.96 a week, printed 1.0: "1.0 points a week
    # ... nearly flat (under 1 point a week)" contradicted itself; judged as printed it is rising
    edge = str(narrative.recontact_reading(FakeResults({"recontact_curve": _curve([0.1, 0.2, 0.33, 0.34, 0.3615])})))
    assert "1.0 points a week" in edge and "still rising" in edge and "nearly flat" not in edge


def test_recontact_reading_on_too_few_contacts_says_so():
    # 2 eligible contacts (a four-day export): the curve's 100% is said, and said to be indicative
    small = str(narrative.recontact_reading(FakeResults({"recontact_curve": _curve([0.0, 0.5, 1.0, 1.0, 1.0], at_risk=2)})))
    assert "The curve rests on 2 eligible contacts, fewer than the minimum sample of 30: read it as indicative." in small
    assert "The last spans" not in small  # said once, for the whole curve
    large = str(narrative.recontact_reading(FakeResults({"recontact_curve": _curve([0.1, 0.2, 0.33, 0.40, 0.515])})))
    assert "indicative" not in large


def test_csat_reading_follows_the_sign_and_interval():
    deciles = pd.DataFrame({"level_order": [1, 10], "csat_top2": [0.9, 0.6]})

    def reading(rho, lo, hi):
        corr = pd.DataFrame({"measure": ["csat"], "spearman": [rho], "ci_low": [lo], "ci_high": [hi]})
        return str(narrative.csat_effort_reading(FakeResults({"effort_vs_ratings": corr, "csat_by_effort": deciles})))

    assert "falls as effort rises" in reading(-0.3, -0.4, -0.2)
    assert "no clear relation" in reading(-0.05, -0.2, 0.1)
    assert "rises with effort" in reading(0.3, 0.2, 0.4)

    # the deciles are cut on every response, their CSAT on its answers only: "37.5% in the easiest
    # decile and 40.0% in the hardest" rested on 8 and 5 answers, with no word of it
    corr = pd.DataFrame({"measure": ["csat"], "spearman": [-0.3], "ci_low": [-0.4], "ci_high": [-0.2]})
    few = deciles.assign(csat_n=[8, 5])
    text = str(narrative.csat_effort_reading(FakeResults({"effort_vs_ratings": corr, "csat_by_effort": few})))
    assert "in the hardest (8 and 5 CSAT answers). That is fewer than the minimum of 30" in text
    many = str(narrative.csat_effort_reading(FakeResults({"effort_vs_ratings": corr,
                                                          "csat_by_effort": deciles.assign(csat_n=[80, 50])})))
    assert "(80 and 50 CSAT answers)." in many and "indicative" not in many


def test_trap_reading_counts_teams_and_agents_in_words():
    corr = pd.DataFrame({"comparison": ["across agents", "within team"], "n": [21, 21], "peer_groups": [1, 1],
                         "spearman": [0.0, -0.001], "ci_low": [-0.4, -0.4], "ci_high": [0.4, 0.4]})
    agents = pd.DataFrame({"flagged": [True] + [False] * 20})
    cov = {"contacts": {"rows": 10, "columns": {c: {"mapped": c != "team", "non_null": 10} for c in
                                                ("customer_id", "agent_id", "talk_s", "team")}}}
    text = narrative.handle_time_trap(FakeResults({"handle_time_trap_correlations": corr,
                                                   "handle_time_trap": agents}, coverage=cov))._repr_html_()
    text = html.unescape(text)
    assert "21 agents in one group (the export has no teams)" in text and "1 teams" not in text
    assert "the center's typical agent" in text
    assert "-0.00" not in text and "1 flagged agent" in text


def test_why_none_judged_counts_the_days_of_data_not_of_the_period():
    # contacts on 4 days of a 31-day period: a 7-day window judged nothing because the data covers 4 days
    frame = pd.DataFrame({"window_days": [7.0], "reason": ["any reason"], "denominator": [0], "censored": [2],
                          "unknown_reason": [0]})
    period = pd.DataFrame({"first_date": ["2026-03-02"], "last_date": ["2026-03-05"], "days": [4]})
    why = narrative.why_unjudged(frame, FakeResults({"data_period": period})).why.tolist()
    assert why == ["a 7-day window needs that long after a contact ends; the data covers 4 days"]


def test_trap_reading_without_a_correlation_does_not_ask_to_read_one():
    corr = pd.DataFrame({"comparison": ["across agents", "within team"], "n": [0, 0], "peer_groups": [0, 0],
                         "spearman": [None, None], "ci_low": [None, None], "ci_high": [None, None]})
    agents = pd.DataFrame({"flagged": pd.Series([], dtype=bool)})
    text = html.unescape(narrative.handle_time_trap(FakeResults({"handle_time_trap_correlations": corr,
                                                                 "handle_time_trap": agents}))._repr_html_())
    # no agent compared: no cards of '–' and '0 of 0', and no reading: a pilot's section said
    # "no agent qualifies" three ways (under the chart, in the reading, in the flagged table).
    # It is said once, where the chart would be, with the rule; the flagged agents' table points
    # back to it and does not say that no agent is both faster and less resolving, as if some
    # had been compared
    assert text == ""
    none = FakeResults({"handle_time_trap": pd.DataFrame({"qualifies": pd.Series([], dtype=bool)})})
    assert narrative.trap_not_compared(none) == ("No agent could be compared with their team: a comparison needs "
                                                 "30 judged contacts from an agent, in a team with at least 3 such "
                                                 "agents.")
    assert narrative.no_flagged_agent(none) == "No agent is flagged: none could be compared (above)."
    cov = {"contacts": {"rows": 10, "columns": {"team": {"mapped": False, "non_null": 0}}}}
    no_teams = FakeResults({}, params={"min_n": 50}, coverage=cov)
    assert narrative.trap_not_compared(no_teams) == (
        "No agent could be compared with the center's typical agent: a comparison needs 50 judged contacts from an "
        "agent, and at least 3 such agents (the export has no teams).")
    some = FakeResults({"handle_time_trap": pd.DataFrame({"qualifies": [True, False]})})
    assert narrative.no_flagged_agent(some).startswith("No agent is both markedly faster")
    # two agents compared: too few for a correlation, said, with no interval to read
    two = corr.assign(n=[2, 2], peer_groups=[1, 1])
    text = html.unescape(narrative.handle_time_trap(FakeResults({"handle_time_trap_correlations": two,
                                                                 "handle_time_trap": agents}))._repr_html_())
    assert "Too few agents qualify to compare handle time and resolution." in text
    assert "read the correlation as indicative" not in text  # there is none to read


def test_why_a_sensitivity_row_judged_nothing_is_its_own_cause():
    # a 30-day window in 31 days: every contact too recent; same-reason rows of an export without
    # reasons: no contact has one (they read "a 7-day window needs that long" before)
    frame = pd.DataFrame({
        "window_days": [7.0, 30.0, 7.0, 14.0],
        "reason": ["any reason", "any reason", "same reason", "same reason"],
        "denominator": [1161, 0, 0, 0], "censored": [339, 1500, 0, 4], "unknown_reason": [0, 0, 1500, 6],
    })
    why = narrative.why_unjudged(frame, FakeResults({})).why.tolist()
    assert why == ["", "a 30-day window needs that long after a contact ends; the data covers 31 days",
                   "no contact has a recorded reason (same-reason repeats need one)",
                   "4 too recent for a 14-day window, 6 without a recorded reason (same-reason repeats need one)"]
    # a 30-day window on a month judged 1 contact: "100.0%" beside no word of it (min_n 30)
    few = frame.assign(denominator=[1161, 1, 0, 29])
    why = narrative.why_unjudged(few, FakeResults({})).why.tolist()
    assert why[1] == "only 1 judged, under the minimum of 30: too few to read"
    assert why[3] == "only 29 judged, under the minimum of 30: too few to read" and why[0] == ""


def test_notebooks_hold_no_fixed_claim_about_the_data():
    # sentences that were once fixed text about the client's data; they are computed now
    claims = [r"where the curve flattens", r"that is the case for a \d+-day window", r"satisfaction falls",
              r"mostly their work mix", r"METRICS\.md", r"all queues"]
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            text = "".join(cell["source"])
            for claim in claims:
                assert not re.search(claim, text, re.I), (path.name, claim)


def test_no_interval_paired_with_contacts_is_not_an_all_clear():
    # WFM queues named otherwise than the contacts': nothing paired, and the reading said "No
    # interval with contacts was staffed below the Erlang C requirement" over 141 under-staffed ones
    from cxkit import cost_narrative

    cov = {"contacts": {"rows": 10, "columns": {c: {"mapped": True, "non_null": 10} for c in (
        "talk_s", "answered_at", "wait_s", "queued", "queue")}},
           "intervals": {"rows": 20, "columns": {c: {"mapped": True, "non_null": 20} for c in (
               "offered", "staffed_agents")}}}
    bands = pd.DataFrame({"gap_band": ["<= -3", "0"], "intervals": [0, 0], "offered": [0, 0],
                          "measured_sl": [None, None], "sl_denominator": [0, 0], "erlang_sl": [None, None]})

    def reading(modelled):
        summary = pd.DataFrame({"queue": ["all"], "intervals": [modelled]})
        r = FakeResults({"service_level_by_gap": bands, "staffing_summary": summary}, coverage=cov)
        return str(cost_narrative.service_level_gap_reading(r))

    assert "Staffing against Erlang C is not assessed: no WFM interval could be paired with contacts of the same " \
           "queue" in reading(0)
    assert "Of the 480 intervals modelled, none with contacts was staffed below" in reading(480)


def test_a_row_not_measured_keeps_what_names_it():
    # an export without contact reasons: the five same-reason rows of the sensitivity table are
    # not measured. Blanking every number of those rows blanked their window too, and five rows
    # read "– | same reason (not measured ...)" alike; the window names the row and stays
    from cxkit import present

    frame = pd.DataFrame({"window_days": [1.0, 7.0, 1.0, 7.0], "reason": ["any reason", "any reason", "same reason",
                                                                            "same reason"],
                          "rate": [0.9, 0.7, None, None], "denominator": [100, 80, 0, 0]})
    coverage = {"contacts": {"rows": 10, "columns": {"customer_id": {"mapped": True, "non_null": 10},
                                                     "contact_reason": {"mapped": False, "non_null": 0}}}}

    r = FakeResults({"fcr_sensitivity": frame}, coverage=coverage)
    r.manifest["timezone"] = "UTC"
    html = present.table(r, "fcr_sensitivity", columns={"window_days": "Window (days)", "reason": "Repeats counted",
                                                        "rate": "FCR", "denominator": "Contacts judged"},
                         formats={"window_days": "auto", "rate": "percent", "denominator": "integer"})._repr_html_()
    rows = [re.sub(r"<[^>]+>", "|", tr) for tr in re.findall(r"<tr.*?</tr>", html, re.S)][1:]
    windows = [re.findall(r"\|([^|<>]+?)\|", row)[0].strip() for row in rows]
    assert windows == ["1", "7", "1", "7"], rows
    assert all("not measured" in row for row in rows[2:])


def test_a_text_column_empty_in_every_row_is_left_out_whatever_its_type():
    # text read back from Parquet is pandas' string type: a column with nothing in any row ("why
    # not judged" when every row was) was shown as a column of "–", as only object columns were
    # left out
    from cxkit import present

    for dtype in (object, "string"):
        frame = pd.DataFrame({"window_days": [1.0, 7.0], "rate": [0.9, 0.7],
                              "why": pd.Series([None, ""], dtype=dtype)})
        coverage = {"contacts": {"rows": 10, "columns": {"customer_id": {"mapped": True, "non_null": 10}}}}
        r = FakeResults({"fcr_sensitivity": frame}, coverage=coverage)
        r.manifest["timezone"] = "UTC"
        html = present.table(r, "fcr_sensitivity", columns={"window_days": "Window (days)", "rate": "FCR",
                                                            "why": "Why not judged"},
                             formats={"window_days": "auto", "rate": "percent"})._repr_html_()
        assert "Why not judged" not in html, dtype
        assert "Window (days)" in html and "90.0%" in html


def test_a_table_of_thousands_of_segments_shows_the_largest_and_says_what_is_left_out():
    # 4,000 reasons: the table showed 500 rows in the result's order (and "3,500 more rows not
    # shown"). It shows the 30 with the most repeats, in the table's own order, a total row kept
    from cxkit import present

    reasons = [f"disp_{i:04d}" for i in range(4000)]
    repeats = [10 + (i % 37) if i % 100 else 500 for i in range(4000)]  # every 100th is large
    frame = pd.DataFrame({"first_reason": reasons + ["all reasons"], "priced_resolved_journeys": repeats + [sum(repeats)]})

    mapped = {"mapped": True, "non_null": 10}
    r = FakeResults({"cost_per_resolved_issue": frame}, coverage={"contacts": {"rows": 10, "columns": {
        c: mapped for c in ("customer_id", "contact_reason", "direction", "channel", "arrived_at", "ended_at", "outcome")}}})
    r.manifest["timezone"] = "UTC"
    html = present.table(r, "cost_per_resolved_issue", columns={"first_reason": "First reason",
                                                                "priced_resolved_journeys": "Resolved issues"},
                         largest={"by": "priced_resolved_journeys", "measure": "resolved issues", "of": "first reasons",
                                  "keep": {"first_reason": "all reasons"}})._repr_html_()
    shown = re.findall(r"<td[^>]*>(disp_\d+|all reasons)</td>", html)
    assert shown == reasons[:3000:100] + ["all reasons"]
    others = sum(repeats) - 30 * 500
    said = (f"The 30 first reasons with the most resolved issues are shown, of 4,000; the other 3,970 have "
            f"{others / sum(repeats):.0%} of the resolved issues. Every row is in the run's results "
            "(cost_per_resolved_issue).")
    assert said in html, html[-800:]
    # a column the result does not have is a clear error, not a KeyError
    from cxkit.errors import CxkitError

    with pytest.raises(CxkitError, match=r"largest names column\(s\) \['journeys'\] that are not in the result"):
        present.table(r, "cost_per_resolved_issue", columns={"first_reason": "First reason"},
                      largest={"by": "journeys", "measure": "journeys", "of": "first reasons"})


def test_an_unpriced_cost_says_which_channel_lacks_a_price_and_the_fix_that_fits():
    # a leg export without handle times and an engagement giving cost.loaded_hourly_cost: the
    # repeat cost read "no channel it needs has a price: give cost.cost_per_contact, or
    # cost.loaded_hourly_cost to derive prices from AHT", the hourly cost it had been given
    from cxkit import cost_narrative

    def why(*rows):
        prices = pd.DataFrame(rows, columns=["channel", "basis", "source"])
        return cost_narrative._no_price(FakeResults({"channel_prices": prices}))

    no_aht = "not priced: no price given and no measured AHT (no handled contact with a handle time) to derive one"
    assert why(("voice", "not priced", no_aht)) == (
        "voice has no price: no price given and no measured AHT (no handled contact with a handle time) to derive "
        "one; give cost.cost_per_contact for voice, or map handle times (sources.contacts.columns.talk_s) to derive "
        "it from cost.loaded_hourly_cost")
    no_hourly = "not priced: no price given and no cost.loaded_hourly_cost to derive one from AHT"
    both = why(("voice", "given", "given"), ("chat", "not priced", no_hourly), ("email", "not priced", no_hourly))
    assert both == ("chat and email have no price: no price given and no cost.loaded_hourly_cost to derive one from "
                    "AHT; give cost.cost_per_contact for chat and email, or give cost.loaded_hourly_cost to derive it "
                    "from AHT")
    absent = "not priced: channel absent from the price table"
    mixed = why(("chat", "not priced", no_aht), ("social", "not priced", absent))
    assert mixed.startswith("chat and social have no price (chat: no price given and no measured AHT")
    assert "; social: channel absent from the price table); give cost.cost_per_contact for chat and social, " in mixed


def test_a_long_period_with_contacts_in_its_first_window_only_is_not_called_short():
    # a 31-day period whose inbound contacts all arrived in its first 7 days (the export stops
    # early): the repeat share read "the period is no longer than the 7-day repeat window", which
    # it is not; the period's days decide that, as they do for the journeys
    edge = pd.DataFrame({"part": ["first window"], "numerator": [12], "denominator": [40], "rate": [0.3],
                         "ci_low": [0.18], "ci_high": [0.45]})
    r = FakeResults({"repeat_share_edge": edge})
    r.manifest["results"] = {"repeat_share_edge": {}}
    assert narrative.repeat_share_floor(r) == (
        "a floor: a contact in the period's first 7 days cannot be seen repeating one before the period (30.0% of "
        "its 40 inbound contacts counted as repeats; none arrived after it)")
    assert narrative.repeat_share_edge_words(r) == "the period's first 7 days see no earlier contact"
    assert str(narrative.repeat_share_edge(r)) == (
        "Repeat share counts a repeat only when the earlier contact is in the period. A contact in the period's first "
        "7 days cannot be seen repeating one before the period: 30.0% of the 40 inbound contacts arriving then are "
        "counted as repeats, and none arrived after them. The repeat share of the whole period, and the repeat cost "
        "priced on it, are floors.")
    # a 1-day window: "the period's first 1 day see no earlier contact" (a 10-day Berlin engagement)
    r.manifest["parameters"]["repeat_window_days"] = 1
    assert narrative.repeat_share_edge_words(r) == "the period's first day sees no earlier contact"
    assert "a contact in the period's first day cannot be seen" in narrative.repeat_share_floor(r)
    assert "A contact in the period's first day cannot" in str(narrative.repeat_share_edge(r))


def test_a_caveat_of_the_whole_table_is_printed_unmarked_and_every_mark_printed_is_in_the_table():
    # the effort index against ratings (a figure of journeys and surveys, a row per rating)
    # printed "¹ Degraded: customer_id ..." and "² Degraded: ended_at ..." under a table no cell
    # of which carried ¹ or ²: the table's own caveats took marks while its columns were read,
    # and only a header of a figure of its own shows marks. Elsewhere a caveat of the whole table
    # sat on the one header whose figure shared it, the table's other columns unmarked
    from cxkit import present
    from cxkit.figures import Caveat

    ids = Caveat("degraded", "customer_id is 23.1% null (4,432 of 19,154 contacts)")
    orphans = Caveat("degraded", "190 of 3,989 surveys point to a contact missing from the contacts feed")
    csat_only = Caveat("degraded", "csat holds 12 answers outside 1-5")
    caveats = {"effort_vs_ratings": [ids, orphans], "ces": [orphans], "csat": [orphans, csat_only]}

    class Judging:
        def absent(self, key):
            return None

        def not_measured(self, key):
            return None

        def caveats(self, key):
            return caveats.get(key, [])

    frame = pd.DataFrame({"measure": ["ces", "csat"], "n": [706, 674], "spearman": [-0.28, -0.27]})
    r = FakeResults({"effort_vs_ratings": frame})
    r.judge = Judging()
    r.manifest["timezone"] = "UTC"
    out = present.table(r, "effort_vs_ratings", columns={"measure": "Rating", "n": "Responses",
                                                         "spearman": "Rank correlation"},
                        formats={"spearman": "decimal2"})._repr_html_()
    table, boxes = out.split("</table>", 1)
    marks_in_boxes = re.findall(r"<sup>([^<]+)</sup>", boxes)
    assert marks_in_boxes == ["¹"], boxes
    assert "¹" in table and "²" not in table
    # the row of its own caveat carries the mark; the whole table's two caveats, unmarked, first
    rows = [re.sub(r"<[^>]+>", "|", tr) for tr in re.findall(r"<tr.*?</tr>", table, re.S)][1:]
    assert "¹" in rows[1] and "¹" not in rows[0], rows
    notes = [html.unescape(re.sub(r"<[^>]+>", "", b)) for b in re.findall(r'<div class="cxkit-caveat.*?</div>', boxes)]
    assert [n.split(": ", 1)[1] for n in notes] == [ids.reason, orphans.reason, csat_only.reason], notes
    assert notes[2].startswith("¹"), notes


def test_a_centre_without_the_channels_erlang_c_staffs_is_told_so_not_to_check_its_queue_names():
    # chat, email and messaging only, capacity.channels voice (the default): no queue is
    # modelled, the staffing table read "No rows.", the gap table seven rows of 0 intervals, and
    # the reading "No WFM interval could be paired with contacts of the same queue: check that
    # sources.intervals.columns.queue gives the contacts' queue names", whose queue names matched
    from cxkit import cost_narrative

    cov = {"contacts": {"rows": 10, "columns": {c: {"mapped": True, "non_null": 10} for c in (
        "talk_s", "answered_at", "wait_s", "queued", "queue")}},
           "intervals": {"rows": 20, "columns": {c: {"mapped": True, "non_null": 20} for c in (
               "offered", "staffed_agents", "forecast")}}}
    bands = pd.DataFrame({"gap_band": ["<= -3", "0"], "intervals": [0, 0], "offered": [0, 0],
                          "measured_sl": [None, None], "sl_denominator": [0, 0], "erlang_sl": [None, None]})
    accuracy = pd.DataFrame({"queue": ["all"], "intervals": [3660], "wape": [0.16], "mape": [0.107], "bias": [0.02]})

    def readings(channels):
        ops = pd.DataFrame({"channel": [*channels, "all"], "offered": [100] * len(channels) + [100 * len(channels)]})
        r = FakeResults({"service_level_by_gap": bands, "forecast_accuracy": accuracy, "operations": ops,
                     "staffing_summary": pd.DataFrame({"queue": [], "intervals": []})},
                    params={"channels": ["voice"], "service_level_target": 0.8}, coverage=cov)
        return str(cost_narrative.capacity_reading(r)), str(cost_narrative.service_level_gap_reading(r))

    said = ("Staffing against Erlang C is not assessed: the engagement staffs voice with Erlang C (capacity.channels) "
            "and no contact was offered to a queue in that channel (contacts were offered in chat, email and "
            "messaging): list the channels to staff under capacity.channels.")
    capacity, gap = readings(["chat", "email", "messaging"])
    assert said in capacity and "the forecast missed offered contacts by 16.0%" in capacity, capacity
    assert said in gap and "queue names" not in gap, gap
    # voice offered and still nothing modelled: the queue names are what to check
    capacity, gap = readings(["chat", "voice"])
    assert "no WFM interval could be paired with contacts of the same queue" in capacity and "capacity.channels" not in gap


def test_staffing_when_no_offered_call_was_answered_says_so_not_to_check_the_queue_names():
    # every call offered to the voice queues abandoned, the handled calls outbound (in queues the
    # WFM export does not plan): no voice queue of the WFM export has an AHT for Erlang C, and the
    # reading said "no WFM interval could be paired ...: check ... the contacts' queue names" over
    # queue names that matched
    from cxkit import cost_narrative

    cov = {"contacts": {"rows": 10, "columns": {c: {"mapped": True, "non_null": 10} for c in (
        "talk_s", "answered_at", "wait_s", "queued", "queue")}},
           "intervals": {"rows": 20, "columns": {c: {"mapped": True, "non_null": 20} for c in (
               "offered", "staffed_agents", "forecast")}}}

    def why(answered: list[int]) -> str | None:
        ops = pd.DataFrame({"channel": ["chat", "voice", "all"], "offered": [40, 120, 160], "answered": answered,
                            "handled": [30, 25, 55]})
        r = FakeResults({"operations": ops, "staffing_summary": pd.DataFrame({"queue": [], "intervals": []})},
                        params={"channels": ["voice"], "service_level_target": 0.8}, coverage=cov)
        return cost_narrative.staffing_not_assessed(r)

    said = why([30, 0, 30])
    assert said == ("no contact offered to a queue in voice was answered (0 of 120 offered), so no queue they entered "
                    "has an answered contact to measure the AHT Erlang C's requirement needs; the 25 handled voice "
                    "contacts were not offered to a queue"), said
    assert "queue names" not in said
    # a voice call answered: the AHT was there, so the queue names are what to check
    assert "check that sources.intervals.columns.queue" in why([30, 1, 31])


def test_staffing_without_talk_times_is_not_measured_not_unpaired():
    # an export without talk times: the staffing table is empty (no AHT for Erlang C), which read
    # as "no WFM interval could be paired with contacts of the same queue"; both tables and their
    # notes were hidden, and the section said nothing of staffing. Staffing is not measured, said
    # by the tables' own note
    from cxkit import cost_narrative

    cov = {"contacts": {"rows": 10, "columns": {"talk_s": {"mapped": False, "non_null": 0}, **{
        c: {"mapped": True, "non_null": 10} for c in ("answered_at", "wait_s", "queued", "queue")}}},
           "intervals": {"rows": 20, "columns": {c: {"mapped": True, "non_null": 20} for c in (
               "offered", "staffed_agents", "forecast")}}}
    ops = pd.DataFrame({"channel": ["voice", "all"], "offered": [100, 100]})
    r = FakeResults({"operations": ops, "staffing_summary": pd.DataFrame({"queue": [], "intervals": []})},
                    params={"channels": ["voice"], "service_level_target": 0.8}, coverage=cov)
    assert r.judge.not_measured("staffing") == "not measured: the export has no talk (handling) times (contacts.talk_s)"
    assert cost_narrative.staffing_not_assessed(r) is None


def test_columns_of_one_figure_not_measured_share_one_note():
    # NPS and its count read "¹ NPS is not measured: the export has no NPS answers (surveys.nps)"
    # and "² NPS n is not measured: the export has no NPS answers (surveys.nps)": one reason twice
    from cxkit import present

    cov = {"surveys": {"rows": 5, "columns": {
        "contact_id": {"mapped": True, "non_null": 5}, "csat": {"mapped": True, "non_null": 5},
        "nps": {"mapped": False, "non_null": 0}, "ces": {"mapped": False, "non_null": 0}}}}
    frame = pd.DataFrame({"responses": [5], "csat": [0.6], "csat_n": [5], "nps": [None], "nps_n": [0],
                          "ces_easy": [None], "ces_n": [0]})
    r = FakeResults({"survey_scores": frame}, coverage=cov)
    r.manifest["timezone"] = "UTC"
    out = present.table(r, "survey_scores", columns={"responses": "Responses", "csat": "CSAT (4-5)", "csat_n": "CSAT n",
                                                     "nps": "NPS", "nps_n": "NPS n", "ces_easy": "CES (5-7)",
                                                     "ces_n": "CES n"})._repr_html_()
    table, boxes = out.split("</table>", 1)
    notes = [html.unescape(re.sub(r"<[^>]+>", "", b)) for b in re.findall(r'<div class="cxkit-caveat.*?</div>', boxes)]
    assert len(notes) == 2, notes
    assert "NPS and NPS n are not measured: the export has no NPS answers (surveys.nps)" in notes[0], notes
    assert "CES (5-7) and CES n are not measured: the export has no CES answers (surveys.ces)" in notes[1], notes
    heads = re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)
    assert [h for h in heads if "NPS" in h or "CES" in h] == ["NPS ¹", "NPS n ¹", "CES (5-7) ²", "CES n ²"], heads
    # surveys without links to their contacts: every column for one reason, one note (there were seven)
    cov["surveys"]["columns"]["contact_id"] = {"mapped": False, "non_null": 0}
    r.frames["survey_scores"] = frame.assign(csat_top2=[0.6])
    out = present.table(r, "survey_scores", columns={"responses": "Responses", "csat_top2": "CSAT (4-5)",
                                                     "csat_n": "CSAT n"})
    notes = re.findall(r'<div class="cxkit-caveat.*?</div>', out._repr_html_().split("</table>", 1)[1])
    assert len(notes) == 1 and "Responses, CSAT (4-5) and CSAT n are not measured: the export has no links from " \
        "surveys to the contacts they are about (surveys.contact_id)" in html.unescape(notes[0]), notes


def test_a_figure_not_measured_is_said_once_per_section():
    # forecast accuracy by queue, its daypart heatmap and its daypart table (one figure) said
    # "Forecast accuracy is not measured: ..." three times in a row; QA against resolution and
    # transfer paths twice. A notebook opens one results object per section: said once there
    from cxkit import present

    cov = {"intervals": {"rows": 5, "columns": {"offered": {"mapped": True, "non_null": 5},
                                                 "forecast": {"mapped": False, "non_null": 0}}}}
    frame = pd.DataFrame({"queue": ["all"], "wape": [0.1]})
    section = FakeResults({"forecast_accuracy": frame, "forecast_dayparts": frame}, coverage=cov)
    said = "Forecast accuracy is not measured: the export has no forecast volumes per interval (intervals.forecast)."
    first = present.table(section, "forecast_accuracy", columns={"queue": "Queue"})
    assert said in str(first)
    assert str(present.chart(section, "forecast_dayparts", lambda f: None)) == ""
    assert str(present.table(section, "forecast_dayparts", columns={"queue": "Queue"})) == ""
    # another section (another results object) says it again
    other = FakeResults({"forecast_dayparts": frame}, coverage=cov)
    assert said in str(present.table(other, "forecast_dayparts", columns={"queue": "Queue"}))


def test_an_empty_chart_says_why_in_words():
    # a two-week engagement had no agent with enough QA evaluations and judged contacts: the
    # section printed "Nothing to draw." under the empty table
    from cxkit import present

    r = FakeResults({"recontact_curve": _curve([0.1, 0.2, 0.3, 0.4, 0.5]).iloc[0:0]})
    r.manifest["timezone"] = "UTC"
    said = str(present.chart(r, "recontact_curve", lambda f: None))
    assert said == "No chart: this data has nothing to show for share of contacts followed by a recontact, by time."
    given = "No contact could be followed for a day."
    assert str(present.chart(r, "recontact_curve", lambda f: None, empty=given)) == given


def test_the_forecast_figures_say_which_wfm_queues_they_read():
    # a chat-only contacts export beside the centre's whole WFM export (10 queues named, 2
    # entered): the forecast figures read the 2 queues' rows, and the paragraph said "Across all
    # queues the forecast missed offered contacts by 16.0%" and the heatmap "(all queues)"
    from cxkit import cost_narrative

    accuracy = pd.DataFrame({"queue": ["all"], "intervals": [3660], "wape": [0.16], "mape": [0.107], "bias": [0.02]})

    def said(queues: dict | None, contacts_queue: bool = True) -> tuple[str, str]:
        cov = {"contacts": {"rows": 10, "columns": {"queue": {"mapped": contacts_queue,
                                                              "non_null": 10 if contacts_queue else 0}}},
               "intervals": {"rows": 20, "columns": {c: {"mapped": True, "non_null": 20} for c in (
                   "offered", "forecast")}, **({} if queues is None else {"queues": queues})}}
        r = FakeResults({"forecast_accuracy": accuracy, "staffing_summary": pd.DataFrame({"queue": []})},
                        coverage=cov)
        return cost_narrative.forecast_queues(r), str(cost_narrative.capacity_reading(r))

    scope, text = said({"named": 10, "entered": 2})
    assert scope == ("the 2 queues contacts entered (8 more queues of the WFM export, which no contact entered, "
                     "are left out)"), scope
    assert f"Across {scope}, the forecast missed offered contacts by 16.0% of volume" in text, text
    assert "all queues" not in text and "all 10" not in text, text
    assert said({"named": 2, "entered": 1})[0] == ("the one queue contacts entered (1 more queue of the WFM export, "
                                                    "which no contact entered, is left out)")
    # every queue the WFM export names entered: all of them
    scope, text = said({"named": 3, "entered": 3})
    assert scope == "all 3 queues of the WFM export" and "Across all 3 queues of the WFM export, the forecast" in text
    assert said({"named": 1, "entered": 1})[0] == "the WFM export's one queue"
    # contacts without queues: every row of the WFM export is read, whichever it names
    assert said({"named": 10, "entered": 0}, contacts_queue=False)[0] == "all 10 queues of the WFM export"
    # a run stored before the coverage counted the queues: nothing claimed of how many
    scope, text = said(None)
    assert scope == "the WFM export's queues" and "Across the WFM export's queues, the forecast" in text, text
    # the section's heatmap says it too, in its subtitle (its title read "(all queues)")
    cells = ["".join(c["source"]) for c in json.loads((NOTEBOOKS / "04_cost_and_capacity.ipynb").read_text())["cells"]]
    heatmap = [c for c in cells if "charts.heatmap" in c and "forecast_dayparts" in c]
    assert len(heatmap) == 1 and 'subtitle=[f"Across {cost.forecast_queues(r)}"' in heatmap[0], heatmap
