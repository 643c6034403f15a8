"""One generated month, three exports of the same contacts: the generator's legs, the legs folded
into one row per contact by plain SQL (:func:`cxkit.testing.contact_grain_copy`) and keyed by
contact id, and that contact-grain export without a key. Each takes its own path through cxkit
(legs folded; contact ids unique by the de-duplication key; contact ids that may repeat, joined
with their arrival), and every diagnostic result must be the same three times."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

import cxkit
from cxkit.results import compute_results
from cxkit.testing import contact_grain_copy, contact_grain_source, frame_difference

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "engagements" / "demo" / "engagement.yaml"

#: results that describe the sources rather than the contacts (a legs export has a legs table;
#: readiness counts its rows per day), and the two read from legs alone
_OF_THE_SOURCES = {"sources", "readiness_daily", "transfer_chains", "transfer_ping_pong"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[object, dict[str, pd.DataFrame]]]:
    from cxkit.generate import generate

    folder = tmp_path_factory.mktemp("grain")
    generate(folder / "data", seed=29, customers=700)
    contact_grain_copy(folder / "data" / "interactions.parquet", folder / "data" / "by_contact.parquet")
    demo = yaml.safe_load(DEMO.read_text())
    keyed = contact_grain_source("data/by_contact.parquet")
    unkeyed = {k: v for k, v in keyed.items() if k != "dedup"}
    out = {}
    for name, contacts in (("legs", demo["sources"]["contacts"]), ("keyed", keyed), ("unkeyed", unkeyed)):
        spec = {**demo, "sources": {**demo["sources"], "contacts": contacts}}
        path = folder / f"{name}.yaml"
        path.write_text(yaml.safe_dump(spec))
        session = cxkit.open_engagement(path)
        run = folder / f"run_{name}"
        compute_results(session, run)
        out[name] = (session, {f.stem: pd.read_parquet(f) for f in (run / "results").glob("*.parquet")})
    return out


def test_contact_ids_are_unique_by_construction_from_legs_or_a_key_on_the_id(runs):
    assert runs["legs"][0].contact_ids_unique()
    assert runs["keyed"][0].contact_ids_unique()
    assert not runs["unkeyed"][0].contact_ids_unique()


@pytest.mark.parametrize("export", ["keyed", "unkeyed"])
def test_every_result_is_the_same_from_legs_and_from_contacts(runs, export):
    legs, other = runs["legs"][1], runs[export][1]
    compared = sorted(set(legs) - _OF_THE_SOURCES)
    assert len(compared) > 50 and set(compared) <= set(other)
    # the month is not trivial: repeats, journeys of several contacts, transferred contacts
    fcr = legs["fcr_overall"].iloc[0]
    assert 0 < fcr.numerator < fcr.denominator
    assert legs["journey_summary"].multi_contact_rate.iloc[0] > 0
    assert legs["repeat_after_transfer"].set_index("group").loc["transferred", "denominator"] > 0
    different = {}
    for name in compared:
        problem = frame_difference(legs[name], other[name], rel_tol=1e-9)
        if problem:
            different[name] = problem
    assert not different, different


@pytest.mark.parametrize("export", ["legs", "keyed", "unkeyed"])
def test_readiness_finds_no_contact_id_shared_in_any_of_the_three(runs, export):
    from cxkit.readiness import assess

    checks = {c.id: c for c in assess(runs[export][0]).results}
    for table in ("surveys", "qa", "cases"):
        check = checks[f"{table}.contact_unambiguous"]
        assert check.success and check.result["unexpected_count"] == 0 and check.denominator > 0, (table, check)
    assert checks["contacts.contact_id.unique"].success
