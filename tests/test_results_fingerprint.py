"""Which settings make a run's stored results stale (cxkit.results.fingerprint)."""

from __future__ import annotations

import shutil
from pathlib import Path

from cxkit.config import load_engagement
from cxkit.generate import generate
from cxkit.results import fingerprint

DEMO = Path(__file__).resolve().parents[1] / "engagements" / "demo" / "engagement.yaml"


def test_engine_and_rendering_settings_do_not_make_results_stale(tmp_path):
    # seen at 10M contacts: a run prepared with backend.memory_limit 8GB was recomputed by every
    # notebook (its fingerprint differed), with the default memory, and ran out of it
    generate(tmp_path / "data", seed=3, customers=200)  # the paths must match files (a clean clone has none)
    shutil.copy(DEMO, tmp_path / "engagement.yaml")
    engagement = tmp_path / "engagement.yaml"
    base = fingerprint(load_engagement(engagement))
    same = [
        {"backend": {"memory_limit": "8GB", "threads": 1, "database": "work/cx.duckdb"}},
        {"report": {"renderer": "nbconvert"}},
    ]
    for overrides in same:
        assert fingerprint(load_engagement(engagement, overrides)) == base, overrides
    # a metric parameter changes results: stale
    assert fingerprint(load_engagement(engagement, {"resolution": {"repeat_window_days": 3}})) != base
