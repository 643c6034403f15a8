"""Which figures an export supports and which caveats sit beside each (cxkit.figures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxkit.figures import FIGURES, Caveat, Judge, _check_declarations


def _coverage(**columns: tuple[bool, int]) -> dict:
    """contacts coverage: column -> (mapped, non-null count) over 100 rows."""
    return {"contacts": {"rows": 100, "columns": {c: {"mapped": m, "non_null": n} for c, (m, n) in columns.items()}}}


FULL = dict(customer_id=(True, 60), transfers=(True, 100), auth_attempts=(True, 100), talk_s=(True, 90),
            hold_s=(True, 90), acw_s=(True, 90), answered_at=(True, 70), wait_s=(True, 100), queued=(True, 100),
            contact_reason=(True, 100))


def test_declarations_name_real_columns_and_diagnostics():
    _check_declarations()
    assert all(f.label for f in FIGURES.values())


def test_unmapped_column_is_not_measured_never_zero():
    # transfers unmapped: the loader fills 0 for the engine's sake, but the figure is not measured
    judge = Judge(None, _coverage(**{**FULL, "transfers": (False, 100)}))
    assert judge.not_measured("transfer_rate") == "not measured: the export has no transfer counts (contacts.transfers)"
    assert judge.not_measured("fcr_transfer").startswith("not measured")
    assert judge.measured("fcr_repeat")


def test_column_null_in_every_row_is_not_measured():
    judge = Judge(None, _coverage(**{**FULL, "auth_attempts": (True, 0)}))
    assert judge.not_measured("reauth") is not None


def test_a_mapped_column_left_blank_is_not_said_to_be_missing_from_the_export():
    # the export has the column: "the export has no answer times" was untrue of a month in
    # which no contact was answered, and of surveys every one of which names a contact the
    # contacts export lacks (they are left out, so no row is read)
    full = {**FULL, "outcome": (True, 100), "channel": (True, 100), "queue": (True, 100)}
    judge = Judge(None, _coverage(**{**full, "answered_at": (True, 0)}))
    assert judge.not_measured("asa") == (
        "not measured: the answer times (contacts.answered_at) are blank in all 100 contacts the figures read")
    surveys = {"rows": 0, "columns": {c: {"mapped": True, "non_null": 0} for c in ("contact_id", "csat", "resolved")}}
    judge = Judge(None, {**_coverage(**full), "surveys": surveys})
    why = judge.not_measured("csat")
    assert why.startswith("not measured: none of the export's survey responses is about a contact of the period "
                          "(surveys.")
    assert "the export has no" not in why
    assert judge.measured("journeys")
    # a leg is any contact's leg, not only a transfer's, named as readiness names it ("contact legs")
    legs = {"rows": 40, "columns": {"queue": {"mapped": True, "non_null": 0}}}
    judge = Judge(None, {**_coverage(**full), "legs": legs})
    assert judge.not_measured("transfer_paths") == (
        "not measured: the queues of the contact legs (legs.queue) are blank in all 40 contact legs the figures read")


def test_absent_source_names_the_source():
    judge = Judge(None, _coverage(**FULL))
    assert judge.not_measured("csat") == "not measured: the engagement has no surveys source (sources.surveys)"
    # legs are no source of their own: a contacts export at contact grain has none, and the fix
    # is the contacts source's grain, not a 'sources.legs' key the configuration would refuse
    assert judge.not_measured("transfer_paths") == (
        "not measured: the contacts export has one row per contact, not one per transfer leg "
        "(sources.contacts.grain: leg)")


def test_partial_columns_leave_a_caveat_not_a_blank():
    # hold and after-contact work missing: AHT is talk only, shown with what it leaves out
    judge = Judge(None, _coverage(**{**FULL, "hold_s": (False, 100), "acw_s": (True, 0)}))
    assert judge.measured("aht")
    assert judge.caveats("aht") == [
        Caveat("info", "Average handle time: leaves out hold times, after-contact work times (not in the export)")
    ]


READINESS = {
    "matrix": {
        "fcr_repeat": {"verdict": "degraded", "reason": "...", "reasons": [
            {"verdict": "degraded", "check": "contacts.customer_id.identified", "columns": ["contacts.customer_id"],
             "reason": "customer_id is 59% null"}]},
        "fcr_transfer": {"verdict": "degraded", "reason": "...", "reasons": [
            {"verdict": "degraded", "check": "contacts.customer_id.identified", "columns": ["contacts.customer_id"],
             "reason": "customer_id is 59% null"}]},
        "service_level": {"verdict": "degraded", "reason": "...", "reasons": [
            {"verdict": "degraded", "check": "contacts.timezone_profile", "columns": ["contacts.answered_at"],
             "reason": "answers on Fridays run to 15:00, not 14:00"},
            {"verdict": "degraded", "check": "contacts.daily.no_gaps", "columns": [],
             "reason": "2 days without records"}]},
        "aht": {"verdict": "ready", "reason": "ready", "reasons": []},
    }
}


def test_caveats_follow_the_figure_wherever_it_appears():
    judge = Judge(READINESS, _coverage(**FULL))
    # a service-level caveat sits beside service level, ASA and the journey's queue wait
    for figure in ("service_level", "asa", "journey_wait"):
        assert Caveat("degraded", "2 days without records") in judge.caveats(figure), figure
    assert Caveat("degraded", "Answers on Fridays run to 15:00, not 14:00") in judge.caveats("asa")
    # the caveat about answer times does not touch abandonment or the service level, which do not
    # read them (an answered contact is told from an abandoned one by its outcome)
    for figure in ("abandon_rate", "service_level"):
        assert Caveat("degraded", "Answers on Fridays run to 15:00, not 14:00") not in judge.caveats(figure)
    assert judge.caveats("aht") == []


def test_a_caveat_about_a_column_a_figure_does_not_read_stays_away():
    judge = Judge(READINESS, _coverage(**FULL))
    # the transfer rate belongs to the transfer diagnostic but reads no customer id
    assert judge.caveats("transfer_rate") == []
    assert judge.caveats("fcr_transfer") == [Caveat("degraded", "customer_id is 59% null")]


def test_caveats_for_many_figures_are_listed_once():
    judge = Judge(READINESS, _coverage(**FULL))
    both = judge.caveats_for(["fcr_repeat", "repeat_share"])
    assert both == [Caveat("degraded", "customer_id is 59% null")]


def test_unknown_figure_is_a_clear_error():
    with pytest.raises(KeyError, match="declare it in cxkit.figures.FIGURES"):
        Judge(None, {}).not_measured("fcr_repat")


def _coded(column: str, base: dict = FULL, **entry) -> Judge:
    """A judge over ``base`` with the coded column ``contacts.<column>`` filled in every row and
    described by ``entry`` (``codes`` of its value map, or ``observed`` and ``several``)."""
    cov = _coverage(**base)
    cov["contacts"]["columns"][column] = {"mapped": True, "non_null": 100, **entry}
    return Judge(None, cov)


def test_a_switch_of_channel_needs_an_export_with_several_channels():
    # the bank's export maps every call to voice (a constant): its "journeys switching channel"
    # read 0.0%, a switch the export cannot show; a value map with two channels, or raw codes
    # (no map: the data decides), still measure it
    one = _coded("channel", codes=["voice"])
    assert one.not_measured("channel_switch") == ("not measured: the export has one channel (voice): a move to "
                                                  "another cannot be seen (sources.contacts.columns.channel)")
    assert one.not_measured("switch_after_contact") is not None and one.measured("journeys")
    assert _coded("channel", codes=["chat", "voice"]).measured("channel_switch")
    assert _coded("channel", codes=None).measured("channel_switch")


def test_the_effort_index_says_it_leaves_out_switches_an_export_cannot_show():
    # the bank's effort index is shown (it adds up waits and holds), but its channel-switch
    # weight adds nothing there: the index, the figures built on it and the charts say so, as
    # they say which times the export lacks
    one = _coded("channel", codes=["voice"])
    said = Caveat("info", "Effort index: leaves out channel switches, as the export has one channel (voice)")
    assert one.measured("effort_index") and said in one.caveats("effort_index")
    for key in ("effort_by_reason", "effort_vs_ratings", "csat_by_effort"):
        assert any("leaves out channel switches" in c.reason for c in one.caveats(key)), key
    for several in (["chat", "voice"], None):
        assert not any("switches" in c.reason for c in _coded("channel", codes=several).caveats("effort_index"))


def test_an_outcome_no_row_gives_is_not_measured_when_the_mapping_has_no_value_map():
    # a call log mapping its outcome with sql ("handled when talk time > 0, else abandoned"):
    # containment and deflection read 0.0%, an outcome the export never records
    def judge(outcome):
        return _coded("outcome", {**FULL, "ivr_s": (True, 100)}, **outcome)

    sql = judge({"codes": None, "observed": ["handled", "abandoned"], "several": True})
    assert sql.not_measured("containment") == (
        "not measured: no contact in the export has a contained outcome (sources.contacts.columns.outcome gives "
        "none): the export may not record it")
    assert sql.not_measured("deflection").startswith("not measured: no contact in the export has a deflected")
    assert sql.measured("ivr_hangups")
    assert judge({"codes": None, "observed": ["handled", "contained"], "several": True}).measured("containment")
    # a value map: what it can give decides, whatever the rows hold
    mapped = judge({"codes": ["abandoned", "handled"]})
    assert mapped.not_measured("deflection") == (
        "not measured: the export has no code for a deflected outcome (its value map gives abandoned, handled: "
        "sources.contacts.columns.outcome.values)")
    assert judge({"codes": ["handled"]}).not_measured("ivr_hangups").startswith(
        "not measured: the export has no code for an abandoned outcome")


def test_a_channel_without_a_value_map_holding_one_value_shows_no_switch():
    one = _coded("channel", codes=None, observed=["voice"], several=False)
    assert one.not_measured("channel_switch").startswith("not measured: the export has one channel (voice)")
    assert _coded("channel", codes=None, observed=["voice"], several=True).measured("channel_switch")


def test_abandonment_without_an_outcome_cxkit_reads_is_not_measured():
    # an export whose outcomes read 'Completed' and 'Abandoned', mapped without a value map: no
    # contact was counted abandoned, and the summary printed "abandon rate 0.0% of 3,000 calls
    # offered" and a service level over answered calls only (39.8%), with a finding on it
    full = {**FULL, "outcome": (True, 100), "channel": (True, 100)}
    unread = _coded("outcome", full, codes=None, observed=[], several=True)
    why = ("not measured: none of the export's outcome values is one of cxkit's codes (handled, abandoned, contained, "
           "deflected): map them under sources.contacts.columns.outcome.values")
    assert unread.not_measured("abandon_rate") == why and unread.not_measured("service_level") == why
    # an export without outcomes at all: no abandon is 0 abandons read as 0%
    assert Judge(None, _coverage(**FULL)).not_measured("abandon_rate") == (
        "not measured: the export has no outcomes (contacts.outcome)")
    # the codes read, as before
    read = _coded("outcome", full, codes=None, observed=["handled", "abandoned"], several=True)
    assert read.measured("abandon_rate") and read.measured("service_level")
    # channels 'Phone', 'WebChat' and 'E-Mail' unmapped: each was judged within the default 20 s
    cov = _coverage(**full)
    cov["contacts"]["columns"]["channel"] = {"mapped": True, "non_null": 100, "codes": None, "observed": [],
                                             "several": True}
    assert Judge(None, cov).not_measured("service_level").startswith(
        "not measured: none of the export's channel values is one of cxkit's codes (voice, chat")


def test_resolution_without_the_codes_of_an_eligible_contact_is_not_measured():
    # eligible contacts are inbound and handled (METRICS.md): with outcomes 'Completed' and
    # 'Abandoned' left unmapped no contact was handled, and FCR read "–" beside "no eligible
    # contact could be judged", where service level said "not measured" and how to map them
    full = {**FULL, "outcome": (True, 100), "direction": (True, 100)}
    unread = _coded("outcome", full, codes=None, observed=[], several=True)
    why = ("not measured: none of the export's outcome values is one of cxkit's codes (handled, abandoned, contained, "
           "deflected): map them under sources.contacts.columns.outcome.values")
    for figure in ("fcr_repeat", "fcr_by_reason", "recontact_curve", "handle_time_trap", "scenarios"):
        assert unread.not_measured(figure) == why, figure
    # a repeat is any inbound contact, whatever its outcome: repeat share and its cost stand
    assert unread.measured("repeat_share") and unread.measured("repeat_cost")
    # a value map without 'handled' (an IVR-only export), and directions that give no inbound
    assert _coded("outcome", full, codes=["abandoned", "contained"]).not_measured("fcr_repeat") == (
        "not measured: the export has no code for a handled outcome (its value map gives abandoned, contained: "
        "sources.contacts.columns.outcome.values)")
    outbound = _coded("direction", full, codes=["outbound"])
    assert outbound.not_measured("repeat_share").startswith("not measured: the export has no code for an inbound")
    assert outbound.not_measured("repeat_cost_by_reason") == outbound.not_measured("repeat_share")
    # the codes read: measured, as before
    assert _coded("outcome", full, codes=None, observed=["handled"], several=False).measured("fcr_repeat")
    assert _coded("outcome", full, codes=["abandoned", "handled"]).measured("fcr_by_reason")


def test_an_export_that_cannot_say_abandoned_has_no_abandon_rate_or_service_level():
    # an export of completed calls only, mapped {completed: handled}: the summary read "abandon
    # rate 0.0% of 7,470 calls offered" and a service level over answered calls only
    full = {**FULL, "outcome": (True, 100), "channel": (True, 100), "queue": (True, 100)}
    completed = _coded("outcome", full, codes=["handled"])
    why = ("not measured: the export has no code for an abandoned outcome (its value map gives handled: "
           "sources.contacts.columns.outcome.values)")
    for figure in ("abandon_rate", "service_level", "abandon_by_queue"):
        assert completed.not_measured(figure) == why, figure
    # none of these needs an abandon: the contacts offered to a queue are still counted
    assert completed.measured("asa") and completed.measured("fcr_repeat") and completed.measured("offered")
    assert _coded("outcome", full, codes=["abandoned", "handled"]).measured("service_level")


def test_a_centre_without_calls_has_no_voice_service_level():
    # a digital-only centre (chat, email, messaging): the scorecard's voice row showed "–" with
    # no reason, beside rows saying "not measured" and why
    full = {**FULL, "outcome": (True, 100), "channel": (True, 100)}
    digital = _coded("channel", full, codes=["chat", "email", "messaging"])
    assert digital.not_measured("service_level_voice") == (
        "not measured: the export has no code for a voice channel (its value map gives chat, email, messaging: "
        "sources.contacts.columns.channel.values)")
    assert digital.measured("service_level")
    raw = _coded("channel", full, codes=None, observed=["chat"], several=True)
    assert raw.not_measured("service_level_voice").startswith("not measured: no contact in the export has a voice")
    assert _coded("channel", full, codes=["voice", "chat"]).measured("service_level_voice")


def test_what_an_export_lacks_reads_as_a_sentence():
    # "the export has no answer times (contacts.answered_at), whether a contact entered a queue
    # (contacts.queued)": every column's words are a noun phrase after "the export has no"
    from cxkit.figures import _COLUMN_WORDS

    assert not [w for w in _COLUMN_WORDS.values() if w.split()[0] in ("whether", "if", "how", "when", "which")]
    judge = Judge(None, _coverage(**{**FULL, "answered_at": (False, 0), "queued": (False, 0), "channel": (True, 100)}))
    assert judge.not_measured("service_level") == (
        "not measured: the export has no queue-entry records (contacts.queued), outcomes (contacts.outcome)")
    assert judge.not_measured("asa") == "not measured: the export has no answer times (contacts.answered_at)"


def test_every_shown_column_of_fcr_or_repeats_carries_fcr_readiness():
    # the survey responders' table showed FCR and repeat contacts, failure demand "of which
    # repeats" and their cost, and the journeys table the FCR of journeys starting each way,
    # under figures of surveys, cost or journeys only: FCR's caveats (ids missing, most contacts
    # too recent to judge) were printed beside the headline FCR and not beside these
    import json
    import re

    from cxkit.results import RESULTS

    notebooks = Path(__file__).resolve().parents[1] / "notebooks"
    shown = []
    for nb in sorted(notebooks.glob("*.ipynb")):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"])
            for name, columns in re.findall(r'r\.table\("(\w+)", columns=(\{[^}]*\})', source):
                shown += [(name, col) for col in re.findall(r'"(\w+)":', columns)]
    assert len(shown) > 100, "the notebooks' tables were not found"
    uncovered = []
    for name, col in shown:
        if not re.search(r"fcr|repeat", col) or col.endswith(("_n", "_judged")):
            continue
        spec = RESULTS[name]
        key = spec.figures.get(col) or spec.figure
        if key is None or "fcr_repeat" not in FIGURES[key].diagnostics:
            uncovered.append(f"{name}.{col} ({key})")
    assert not uncovered, uncovered
    # the checks that too few contacts can be judged name the figures they limit: the FCR of
    # journeys is judged the same way
    rules = json.loads((notebooks.parent / "expectations" / "contacts.json").read_text(encoding="utf-8"))["expectations"]
    judged = [r["meta"]["figures"] for r in rules if r["meta"]["id"].startswith("contacts.period.judges")]
    assert len(judged) == 2 and all("journey_fcr" in figures for figures in judged), judged


def test_case_based_fcr_needs_the_eligible_contacts_every_fcr_is_over():
    # an export without customer ids has no eligible contact (METRICS.md: inbound, handled,
    # customer identified): the case-based row read "0 judged; without a case: 0", as measured
    cases = {"rows": 50, "columns": {"contact_id": {"mapped": True, "non_null": 50},
                                     "closed_at": {"mapped": True, "non_null": 40}}}
    judge = Judge(None, {**_coverage(**{**FULL, "customer_id": (False, 0)}), "cases": cases})
    assert judge.not_measured("fcr_case") == "not measured: the export has no customer identifiers (contacts.customer_id)"
    assert Judge(None, {**_coverage(**FULL), "cases": cases}).measured("fcr_case")


def test_column_words_read_after_has_no():
    # "the export has no the queue of each transfer leg (legs.queue)"
    from cxkit.figures import _COLUMN_WORDS

    assert [w for w in _COLUMN_WORDS.values() if w.split(" ", 1)[0].lower() in ("the", "a", "an")] == []


def test_staffing_without_the_contacts_queues_is_not_measured():
    # Erlang C takes each queue's AHT from its contacts: without their queues nothing pairs, and
    # the report said "no WFM interval could be paired ... check sources.intervals.columns.queue"
    cols = lambda t, names: {c: {"mapped": True, "non_null": 10} for c in names}  # noqa: E731
    coverage = {"contacts": {"rows": 10, "columns": {**cols("contacts", ("talk_s", "answered_at", "wait_s")),
                                                     "queue": {"mapped": False, "non_null": 0}}},
                "intervals": {"rows": 10, "columns": cols("intervals", ("offered", "staffed_agents"))}}
    judge = Judge(None, coverage)
    assert judge.not_measured("staffing") == "not measured: the export has no queues (contacts.queue)"
    assert judge.not_measured("service_level_by_gap") == "not measured: the export has no queues (contacts.queue)"
