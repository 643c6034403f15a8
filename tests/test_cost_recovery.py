"""Recovery of the planted repeat cost: on a generated center priced with the demo's given
prices, cxkit's repeat cost by channel equals the generator's truth exactly.

``truth.json["expected"]["repeat_cost_7d"]`` is computed by the generator's second,
independent implementation (``cxkit/_generator/expected.py``) from the rows it wrote.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

import cxkit
from cxkit import cost as C
from cxkit._generator.expected import DEMO_COST_PER_CONTACT

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "engagements" / "demo" / "engagement.yaml"


def _media_to_channel() -> dict[str, str]:
    spec = yaml.safe_load((ROOT / "cxkit" / "adapter_specs" / "cxkit_generator.yaml").read_text())
    return spec["sources"]["contacts"]["columns"]["channel"]["values"]


@pytest.fixture(scope="module")
def center(tmp_path_factory):
    from cxkit.generate import generate

    folder = tmp_path_factory.mktemp("cost_center")
    shutil.copy(DEMO, folder / "engagement.yaml")
    truth = json.loads(generate(folder / "data", seed=11, customers=3000).read_text())
    return cxkit.open_engagement(folder / "engagement.yaml"), truth


def test_truth_prices_are_the_demo_engagements():
    # the truth is only the demo's truth while the two price lists agree
    given = yaml.safe_load(DEMO.read_text())["cost"]["cost_per_contact"]
    media = _media_to_channel()
    assert {media[m]: p for m, p in DEMO_COST_PER_CONTACT.items()} == given


def test_repeat_cost_by_channel_equals_truth_exactly(center):
    s, truth = center
    want = truth["expected"]["repeat_cost_7d"]
    c = s.table("contacts")
    prices = C.channel_prices(c, s.engagement.cost)
    period = C.data_period(c, s.engagement.timezone)
    got = C.repeat_cost(C.repeat_counts(c), prices, period).execute().set_index("channel")
    media = _media_to_channel()
    expected = {media[m]: v for m, v in want["by_media"].items()}
    assert set(got.index[got.repeats > 0]) == set(expected)
    for channel, w in expected.items():
        assert int(got.loc[channel, "repeats"]) == w["repeats"], channel
        assert got.loc[channel, "basis"] == "given"
        assert float(got.loc[channel, "repeat_cost"]) == w["cost"], channel  # exactly: count x price
    total = C.repeat_cost(C.repeat_counts(c), prices, period, by=None).execute().iloc[0]
    assert int(total.repeats) == truth["expected"]["repeat_share_7d"]["numerator"]
    assert total.repeat_cost == pytest.approx(want["total"], rel=1e-12)
    # the period of the generated center is its 31 local days
    assert period.days == truth["period"]["days"]
