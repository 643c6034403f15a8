"""Tests of the synthetic contact-center generator (cxkit.generate).

Small customer counts keep them fast. The expected values in truth are cross-checked against a
third, brute-force pandas implementation of the METRICS.md definitions that reads the files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from cxkit.errors import CxkitError
from cxkit.generate import DEFECTS, customers_for_contacts, generate
from cxkit._generator.calendar import build_calendar, format_seconds

FILES = ("interactions.parquet", "crm_cases.csv", "survey_responses.jsonl", "qa_evaluations.csv", "wfm_intervals.csv",
         "truth.json")
INTERACTION_COLUMNS = [
    "interaction_id", "segment", "customer_ref", "media", "direction", "start_local", "answer_local", "end_local",
    "ivr_sec", "queue_sec", "talk_sec", "hold_sec", "wrap_sec", "disposition", "queue_name", "agent_login",
    "team_name", "reason_code", "auth_count", "callback_requested", "case_number", "entry_point", "notes",
    "exported_at",
]
ALL_DEFECTS_BUT_NULL = [d for d in DEFECTS if d != "null_customer"]
CUSTOMERS = 20_000
WEEK = 7 * 86400


def _digest(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in FILES}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("clean")
    truth = json.loads(generate(out, seed=11, customers=CUSTOMERS).read_text())
    return out, truth


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("dirty")
    truth = json.loads(generate(out, seed=11, customers=CUSTOMERS, defects=ALL_DEFECTS_BUT_NULL).read_text())
    return out, truth


@pytest.fixture(scope="module")
def legs(clean: tuple[Path, dict]) -> pd.DataFrame:
    return pq.read_table(clean[0] / "interactions.parquet").to_pandas()


def _to_utc(local: pd.Series, tz: str) -> pd.Series:
    return pd.to_datetime(local).dt.tz_localize(tz, nonexistent="raise", ambiguous="raise").dt.tz_convert("UTC")


def _contacts(legs: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Fold legs into contacts (the METRICS.md boundary rules), times as UTC."""
    df = legs.assign(start=_to_utc(legs["start_local"], tz), end=_to_utc(legs["end_local"], tz))
    df = df.sort_values(["interaction_id", "segment"])
    work = df["talk_sec"] + df["hold_sec"] + df["wrap_sec"]
    g = df.assign(work=work).groupby("interaction_id", sort=True)
    return pd.DataFrame({
        "customer": g["customer_ref"].first(),
        "media": g["media"].first(),
        "direction": g["direction"].first(),
        "arrived": g["start"].first(),
        "ended": g["end"].last(),
        "outcome": g["disposition"].last(),
        "reason": g["reason_code"].last(),
        "agent": g["agent_login"].last(),
        "legs": g["segment"].size(),
        "work": g["work"].sum(),
    })


# --- determinism -----------------------------------------------------------------------------

def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    generate(a, seed=3, customers=3000, defects=list(DEFECTS))
    generate(b, seed=3, customers=3000, defects=list(DEFECTS))
    assert _digest(a) == _digest(b)


def test_different_seed_gives_different_files(tmp_path: Path) -> None:
    generate(tmp_path / "a", seed=3, customers=3000)
    generate(tmp_path / "b", seed=4, customers=3000)
    da, db = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert all(da[name] != db[name] for name in FILES)


# --- layout and counts -----------------------------------------------------------------------

def test_files_and_columns(clean: tuple[Path, dict], legs: pd.DataFrame) -> None:
    out, truth = clean
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert list(legs.columns) == INTERACTION_COLUMNS
    assert set(legs["media"]) == {"VOICE", "CHAT", "EMAIL", "MESSAGING", "SOCIAL", "BOT"}
    assert set(legs["direction"]) == {"IN", "OUT", "CALLBACK"}
    assert set(legs["disposition"]) == {"ANSWERED", "ABANDONED", "SELF_SERVED", "DEFLECTED"}
    assert set(legs["callback_requested"]) == {"Y", "N"}
    assert legs["interaction_id"].str.fullmatch(r"I\d{8}").all()
    assert legs["customer_ref"].dropna().str.fullmatch(r"CU\d{7}").all()
    assert legs["start_local"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    assert legs["exported_at"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    # never answered -> no answer time
    assert legs.loc[legs["disposition"] != "ANSWERED", "answer_local"].isna().all()
    assert legs.loc[legs["disposition"] == "ANSWERED", "answer_local"].notna().all()
    cases = pd.read_csv(out / "crm_cases.csv", dtype=str)
    assert list(cases.columns) == ["CaseNumber", "AccountRef", "OriginInteraction", "CreatedDate", "ClosedDate",
                                   "ReopenCount", "Category", "Status", "Subject"]
    assert cases["CreatedDate"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    assert cases["ClosedDate"].isna().any() and cases["ClosedDate"].notna().any()
    first = json.loads((out / "survey_responses.jsonl").read_text().splitlines()[0])
    assert list(first) == ["response_id", "interaction_id", "customer_ref", "sent", "responded", "q_csat", "q_nps",
                           "q_ces", "q_resolved", "verbatim"]
    qa = pd.read_csv(out / "qa_evaluations.csv")
    assert list(qa.columns) == ["eval_id", "interaction_id", "agent_login", "eval_date", "total_score", "failed_items"]
    assert qa["total_score"].between(0, 100).all()
    wfm = pd.read_csv(out / "wfm_intervals.csv")
    assert list(wfm.columns) == ["queue_name", "interval_start_local", "minutes", "offered", "handled", "forecast",
                                "scheduled", "staffed"]
    assert (wfm["minutes"] == 30).all() and (wfm["handled"] <= wfm["offered"]).all()


def test_counts_match_truth(clean: tuple[Path, dict], legs: pd.DataFrame) -> None:
    out, truth = clean
    counts = truth["counts"]
    assert len(legs) == counts["legs"] == counts["interaction_rows_written"]
    assert legs["interaction_id"].nunique() == counts["interactions"]
    assert len(pd.read_csv(out / "crm_cases.csv")) == counts["cases"]
    surveys = pd.read_json(out / "survey_responses.jsonl", lines=True)
    assert len(surveys) == counts["survey_invitations"] == counts["survey_rows_written"]
    assert surveys["responded"].notna().sum() == counts["survey_responses"]
    assert len(pd.read_csv(out / "qa_evaluations.csv")) == counts["qa"]
    assert len(pd.read_csv(out / "wfm_intervals.csv")) == counts["intervals"]
    assert counts["customers"] == CUSTOMERS
    # every case-linked and surveyed interaction exists
    ids = set(legs["interaction_id"])
    assert set(pd.read_csv(out / "crm_cases.csv")["OriginInteraction"]) <= ids
    assert set(surveys["interaction_id"]) <= ids


def test_csv_format_writes_same_rows(tmp_path: Path) -> None:
    generate(tmp_path / "p", seed=5, customers=2000)
    generate(tmp_path / "c", seed=5, customers=2000, file_format="csv")
    p = pq.read_table(tmp_path / "p" / "interactions.parquet").to_pandas()
    c = pd.read_csv(tmp_path / "c" / "interactions.csv", dtype={"customer_ref": str, "case_number": str})
    assert list(c.columns) == INTERACTION_COLUMNS
    assert len(c) == len(p)
    assert (c["interaction_id"].to_numpy() == p["interaction_id"].to_numpy()).all()
    assert (c["end_local"].to_numpy() == p["end_local"].to_numpy()).all()


# --- expected values: a third implementation of METRICS.md ------------------------------------

def _brute_force(contacts: pd.DataFrame, end: pd.Timestamp) -> dict[str, float]:
    c = contacts.reset_index()
    inbound = c[(c["direction"] == "IN") & c["customer"].notna()]
    pairs = inbound.merge(inbound, on="customer", suffixes=("_e", "_l"))
    pairs = pairs[pairs["interaction_id_e"] != pairs["interaction_id_l"]]
    gap = (pairs["arrived_l"] - pairs["ended_e"]).dt.total_seconds()
    within = pairs[(gap >= 0) & (gap <= WEEK)]
    eligible = inbound[(inbound["outcome"] == "ANSWERED")]
    judged = eligible[(eligible["ended"] + pd.Timedelta(seconds=WEEK)) <= end]
    repeated = set(within["interaction_id_e"])
    is_repeat = set(within["interaction_id_l"])
    return {
        "fcr_num": int((~judged["interaction_id"].isin(repeated)).sum()),
        "fcr_den": len(judged),
        "censored": len(eligible) - len(judged),
        "rs_num": int(inbound["interaction_id"].isin(is_repeat).sum()),
        "rs_den": len(inbound),
    }


def test_expected_matches_brute_force_recomputation(clean: tuple[Path, dict], legs: pd.DataFrame) -> None:
    truth = clean[1]
    contacts = _contacts(legs, truth["period"]["timezone"])
    # METRICS.md: end of data = the latest arrival, never later than the period end
    end = min(contacts["arrived"].max(), pd.Timestamp(truth["period"]["end"]))
    assert pd.Timestamp(truth["period"]["end_of_data"]) == end
    got = _brute_force(contacts, end)
    fcr = truth["expected"]["fcr_repeat_7d"]
    share = truth["expected"]["repeat_share_7d"]
    assert (fcr["numerator"], fcr["denominator"], fcr["censored"]) == (got["fcr_num"], got["fcr_den"], got["censored"])
    assert (share["numerator"], share["denominator"]) == (got["rs_num"], got["rs_den"])
    handled = contacts[contacts["outcome"] == "ANSWERED"]
    tr = truth["expected"]["transfer_rate"]
    assert (tr["numerator"], tr["denominator"]) == (int((handled["legs"] > 1).sum()), len(handled))
    assert truth["expected"]["aht_mean_s"] == pytest.approx(handled["work"].mean())
    by_reason = truth["expected"]["fcr_repeat_7d"]["by_reason"]
    assert sum(v["denominator"] for v in by_reason.values()) == fcr["denominator"]


def test_expected_values_are_plausible(clean: tuple[Path, dict]) -> None:
    e = clean[1]["expected"]
    assert 0.55 < e["fcr_repeat_7d"]["value"] < 0.8
    assert 0.15 < e["repeat_share_7d"]["value"] < 0.45
    assert 0.05 < e["transfer_rate"]["value"] < 0.25
    assert 0.1 < e["channel_switch_rate"]["value"] < 0.7
    assert 0.10 <= e["survey_response_rate"]["value"] <= 0.25
    # reasons differ as planted: complaints resolve worse than balance enquiries
    by_reason = e["fcr_repeat_7d"]["by_reason"]
    assert by_reason["COMPLAINT"]["value"] < by_reason["BALANCE_ENQUIRY"]["value"] - 0.1


def test_contact_ratio_and_customers_for_contacts(clean: tuple[Path, dict]) -> None:
    counts = clean[1]["counts"]
    assert counts["interactions"] / counts["customers"] == pytest.approx(0.6, rel=0.1)
    assert customers_for_contacts(600, 31) == 1000
    assert customers_for_contacts(600, 62) == 500


# --- planted behaviours ----------------------------------------------------------------------

def test_short_aht_agents_resolve_less_and_score_better(clean: tuple[Path, dict], legs: pd.DataFrame) -> None:
    out, truth = clean
    e = truth["expected"]
    fcr = e["fcr_repeat_7d"]["by_agent_profile"]
    assert fcr["short_aht"]["value"] < fcr["standard"]["value"] - 0.05
    aht = e["aht_mean_s_by_agent_profile"]
    assert aht["short_aht"] < 0.8 * aht["standard"]
    qa = pd.read_csv(out / "qa_evaluations.csv")
    short = set(truth["parameters"]["short_aht_agents"])
    scores = qa.groupby(qa["agent_login"].isin(short))["total_score"].mean()
    assert scores[True] > scores[False] + 2  # the QA form rewards the wrong thing
    assert not qa["failed_items"].fillna("").str.contains("RESOLUTION").any()


def test_transfers_ping_pong_and_reauthentication(legs: pd.DataFrame) -> None:
    multi = legs[legs["segment"] > 1]
    assert len(multi) > 0
    wide = legs.pivot_table(index="interaction_id", columns="segment", values="queue_name", aggfunc="first")
    three = wide.dropna(subset=[3])
    assert ((three[1] == three[3]) & (three[1] != three[2])).sum() > 0  # A -> B -> A
    # a transfer leg starts when the previous leg ends
    prev = legs.groupby("interaction_id")["end_local"].shift()
    assert (legs.loc[legs["segment"] > 1, "start_local"] == prev[legs["segment"] > 1]).all()
    # every identified inbound call passes an identity check, repeats included; transfers re-check
    inbound_voice = legs[legs["customer_ref"].notna() & (legs["media"] == "VOICE") & (legs["direction"] == "IN")]
    assert inbound_voice.loc[inbound_voice["segment"] == 1, "auth_count"].min() >= 1
    assert inbound_voice.loc[inbound_voice["segment"] > 1, "auth_count"].sum() > 0


def test_repeats_channel_switches_callbacks_outbound(clean: tuple[Path, dict], legs: pd.DataFrame) -> None:
    truth = clean[1]
    contacts = _contacts(legs, truth["period"]["timezone"]).reset_index()
    inbound = contacts[(contacts["direction"] == "IN") & contacts["customer"].notna()].sort_values(["customer", "arrived"])
    gap = inbound.groupby("customer")["arrived"].diff().dt.total_seconds()
    assert (gap > WEEK).sum() > 0 and (gap < 3600).sum() > 0
    switched = inbound.groupby("customer")["media"].shift() != inbound["media"]
    assert (switched & gap.notna()).sum() > 0
    assert truth["expected"]["channel_switch_rate"]["numerator"] > 0
    assert (legs["direction"] == "CALLBACK").any() and (legs["direction"] == "OUT").any()
    assert (legs["callback_requested"] == "Y").any()
    realised = truth["realised"]
    assert realised["callbacks_kept"] > 0 and realised["callbacks_never_made"] > 0
    # unidentified voice near the planted 8%, self service and abandons present
    unid = truth["expected"]["unidentified_share_inbound_by_media"]["VOICE"]["value"]
    assert 0.05 < unid < 0.11
    assert {"SELF_SERVED", "DEFLECTED", "ABANDONED"} <= set(legs["disposition"])
    ivr_hangups = legs[(legs["disposition"] == "ABANDONED") & (legs["media"] == "VOICE") & (legs["direction"] == "IN")
                       & (legs["queue_sec"] == 0)]
    assert len(ivr_hangups) > 0 and ivr_hangups["ivr_sec"].gt(0).all()


def test_cases_link_later_contacts_and_reopen(clean: tuple[Path, dict], legs: pd.DataFrame) -> None:
    cases = pd.read_csv(clean[0] / "crm_cases.csv")
    linked = legs.dropna(subset=["case_number"]).groupby("case_number")["interaction_id"].nunique()
    assert (linked > 1).sum() > 0
    assert set(linked.index) == set(cases["CaseNumber"])
    assert (cases["ReopenCount"] > 0).any()
    assert set(cases["Status"]) <= {"Closed", "Open", "Reopened"}


def test_survey_response_bias(clean: tuple[Path, dict]) -> None:
    s = pd.read_json(clean[0] / "survey_responses.jsonl", lines=True)
    answered = s[s["responded"].notna()]
    assert answered["q_nps"].between(0, 10).all() and answered["q_ces"].between(1, 7).all()
    assert s.loc[s["responded"].isna(), ["q_csat", "q_nps", "q_ces"]].isna().all().all()
    # response bias: extremes over-represented relative to the middle
    share = answered["q_csat"].value_counts(normalize=True)
    assert share.get(1, 0) + share.get(5, 0) > share.get(3, 0)


# --- time zones and opening hours ------------------------------------------------------------

def test_local_time_conversion_crosses_dst() -> None:
    cal = build_calendar(dt.date(2026, 3, 1), 31, "Europe/London")
    t = np.array([pd.Timestamp(x).timestamp() for x in ("2026-03-29 00:30Z", "2026-03-29 01:30Z")], dtype=np.int64)
    assert format_seconds(cal.local(t)).to_pylist() == ["2026-03-29 00:30:00", "2026-03-29 02:30:00"]
    assert pd.Timestamp(cal.end, unit="s") == pd.Timestamp("2026-03-31 23:00")


def test_opening_hours_follow_local_clock(clean: tuple[Path, dict], legs: pd.DataFrame) -> None:
    truth = clean[1]
    assert truth["period"]["start"] == "2026-03-01T00:00:00Z"
    assert truth["period"]["end"] == "2026-03-31T23:00:00Z"
    first = legs[(legs["segment"] == 1) & (legs["direction"] == "IN") & (legs["media"] == "VOICE")]
    start = pd.to_datetime(first["start_local"])
    weekday = start.dt.dayofweek < 5
    for label, part in (("GMT", start < "2026-03-29"), ("BST", start >= "2026-03-30")):
        hours = start[weekday & part].dt.hour
        assert hours.min() == 8 and hours.max() == 19, label
    # nobody can start in the hour that does not exist locally
    assert not legs["start_local"].str.startswith("2026-03-29 01:").any()
    bot_hours = pd.to_datetime(legs.loc[legs["media"] == "BOT", "start_local"]).dt.hour
    assert (bot_hours < 7).any()  # the bot is open at night


# --- defects ---------------------------------------------------------------------------------

def test_defects_are_planted_exactly_as_recorded(clean: tuple[Path, dict], dirty: tuple[Path, dict],
                                                 legs: pd.DataFrame) -> None:
    out, truth = dirty
    d = truth["defects"]
    assert set(d) == set(ALL_DEFECTS_BUT_NULL)
    rows = pq.read_table(out / "interactions.parquet").to_pandas()
    assert len(rows) == truth["counts"]["interaction_rows_written"]
    assert truth["expected"] == clean[1]["expected"]  # expected is computed on the clean rows

    key = ["interaction_id", "segment"]
    dup_mask = rows.duplicated(keep="first")
    assert dup_mask.sum() == d["duplicates"]["exact_copies"] > 0
    assert sorted(map(list, rows.loc[dup_mask, key].itertuples(index=False))) == sorted(d["duplicates"]["exact_keys"])
    dedup = rows[~dup_mask]
    later = dedup.duplicated(subset=key, keep=False)
    updated = dedup[later].sort_values(key + ["exported_at"]).groupby(key).last().reset_index()
    assert len(updated) == d["duplicates"]["updated_copies"] > 0
    assert updated["notes"].str.endswith(" [updated]").all()
    assert sorted(map(list, updated[key].itertuples(index=False))) == sorted(d["duplicates"]["updated_keys"])

    base = dedup.sort_values(key + ["exported_at"]).drop_duplicates(subset=key, keep="first").set_index(key).sort_index()
    ref = legs.set_index(key).sort_index()
    assert base.index.equals(ref.index)

    swapped = base["end_local"] < base["start_local"]
    assert sorted(map(list, base.index[swapped])) == sorted(d["swapped_timestamps"]["keys"])

    day = d["shifted_timezone"]["local_day"]
    assert day == "2026-03-31" and d["shifted_timezone"]["utc_offset_s_that_day"] == 3600
    on_day = ref["start_local"].str.startswith(day)
    assert on_day.sum() == d["shifted_timezone"]["rows"] > 0
    shifted = pd.to_datetime(base.loc[on_day, "start_local"]) + pd.Timedelta(hours=1)
    assert (shifted.dt.strftime("%Y-%m-%d %H:%M:%S") == ref.loc[on_day, "start_local"]).all()

    pii_keys = sorted([p["interaction_id"], p["segment"]] for p in d["pii_in_notes"]["planted"])
    has_pii = base["notes"].fillna("").str.contains(r"@|\+44|4111 1111", regex=True)
    assert sorted(map(list, base.index[has_pii])) == pii_keys
    assert {p["kind"] for p in d["pii_in_notes"]["planted"]} == {"email", "phone", "card"}

    # nothing else differs from the clean export
    explained = swapped | on_day | has_pii
    cols = [c for c in ref.columns if c != "exported_at"]
    diff = (base[cols].fillna("~") != ref[cols].fillna("~")).any(axis=1)
    assert not (diff & ~explained).any()

    surveys = pd.read_json(out / "survey_responses.jsonl", lines=True, dtype={"interaction_id": str})
    orphan = surveys[~surveys["interaction_id"].isin(set(rows["interaction_id"]))]
    assert sorted(orphan[["response_id", "interaction_id"]].values.tolist()) == sorted(d["orphan_surveys"]["keys"])
    assert len(orphan) == pytest.approx(0.05 * truth["counts"]["survey_invitations"], rel=0.1)


def test_null_customer_defect(tmp_path: Path) -> None:
    truth = json.loads(generate(tmp_path, seed=2, customers=8000, defects=["null_customer"]).read_text())
    d = truth["defects"]["null_customer"]
    assert d["media"] == "CHAT" and d["planted_share"] == 0.6
    assert d["realised_inbound_share"]["value"] == pytest.approx(0.6, abs=0.05)
    rows = pq.read_table(tmp_path / "interactions.parquet").to_pandas()
    chat = rows[(rows["media"] == "CHAT") & (rows["segment"] == 1) & (rows["direction"] == "IN")]
    assert chat["customer_ref"].isna().mean() == pytest.approx(0.6, abs=0.05)
    voice = rows[(rows["media"] == "VOICE") & (rows["segment"] == 1) & (rows["direction"] == "IN")]
    assert voice["customer_ref"].isna().mean() < 0.12


def test_shifted_timezone_needs_an_offset(tmp_path: Path) -> None:
    with pytest.raises(CxkitError, match="shifted_timezone"):
        generate(tmp_path, customers=100, timezone="UTC", defects=["shifted_timezone"])


# --- bad parameters --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"days": 0}, "days must be an integer >= 1"),
        ({"days": 400}, "days must be at most 366"),
        ({"customers": 0}, "customers must be an integer >= 1"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"start": "01/03/2026"}, "start must be a date 'YYYY-MM-DD'"),
        ({"timezone": "Mars/Olympus"}, "timezone must be an IANA zone"),
        ({"file_format": "xlsx"}, "file_format must be one of parquet, csv"),
        ({"defects": ["typo"]}, "unknown defect name(s) ['typo']"),
        ({"defects": "duplicates"}, "defects must be a sequence of names"),
        ({"progress": 5}, "progress must be a callable"),
    ],
)
def test_bad_parameters_raise(tmp_path: Path, kwargs: dict, text: str) -> None:
    with pytest.raises(CxkitError) as info:
        generate(tmp_path, **{"customers": 100, **kwargs})
    assert text in str(info.value)


def test_all_problems_reported_together(tmp_path: Path) -> None:
    with pytest.raises(CxkitError) as info:
        generate(tmp_path, days=0, file_format="xlsx")
    assert "days" in str(info.value) and "file_format" in str(info.value)


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    generate(tmp_path, customers=500, progress=lambda step, fraction: seen.append((step, fraction)))
    assert ("simulate", 1.0) in seen and seen[-1] == ("truth", 1.0)
