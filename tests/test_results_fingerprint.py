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


def test_sections_opened_at_once_compute_the_results_once(tmp_path, monkeypatch):
    # two report sections started side by side on a run folder without results (two kernels,
    # or two notebooks in JupyterLab): one prepares, the other waits and reads the same results.
    # Seen when sections first ran side by side: both prepared into one folder, and the first
    # to finish removed the tables the other was reading.
    import threading

    from cxkit import pipeline
    from cxkit.results import open_run

    generate(tmp_path / "data", seed=3, customers=200)
    shutil.copy(DEMO, tmp_path / "engagement.yaml")
    calls = []
    real = pipeline.prepare_run

    def counted(*args, **kwargs):
        calls.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "prepare_run", counted)
    run_dir = tmp_path / "run"
    opened, errors = [], []

    def section():
        try:
            opened.append(open_run(tmp_path / "engagement.yaml", run_dir))
        except Exception as exc:  # reported below, with the thread's error
            errors.append(exc)

    threads = [threading.Thread(target=section) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(opened) == 2
    assert len(calls) == 1
    assert opened[0].frame("fcr_overall").equals(opened[1].frame("fcr_overall"))
    assert not (run_dir / ".spill").exists()
