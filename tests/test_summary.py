"""The summary page: headline numbers from the diagnostics, findings in words, readiness caveats."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import cxkit
from cxkit.summary import headlines

ROWS = [
    # id, customer, start, end (UTC; the engagement's timezone is UTC)
    ("c1", "k1", "2026-03-02 10:00:00", "2026-03-02 10:10:00"),
    ("c2", "k1", "2026-03-04 10:00:00", "2026-03-04 10:05:00"),  # repeat of c1 (2 days later)
    ("c3", "k2", "2026-03-05 09:00:00", "2026-03-05 09:10:00"),
    ("c4", "k3", "2026-03-30 09:00:00", "2026-03-30 09:10:00"),  # end + 7 d is after 1 April: censored
]


@pytest.fixture()
def session(tmp_path: Path):
    lines = ["id,cust,start,end"] + [",".join(r) for r in ROWS]
    (tmp_path / "contacts.csv").write_text("\n".join(lines) + "\n")
    fmt = "%Y-%m-%d %H:%M:%S"
    spec = {
        "name": "t", "client": "T", "period": {"start": "2026-03-01", "end": "2026-03-31"}, "timezone": "UTC",
        "sources": {"contacts": {"path": "contacts.csv", "columns": {
            "contact_id": "id", "customer_id": "cust", "channel": {"constant": "voice"},
            "direction": {"constant": "inbound"}, "outcome": {"constant": "handled"},
            "arrived_at": {"column": "start", "format": fmt}, "ended_at": {"column": "end", "format": fmt},
            "answered_at": {"column": "start", "format": fmt}, "wait_s": {"constant": 10}}}},
    }
    (tmp_path / "engagement.yaml").write_text(yaml.safe_dump(spec))
    return cxkit.open_engagement(tmp_path / "engagement.yaml")


def test_headline_numbers_by_hand(session):
    page = headlines(session, {"matrix": {}})
    cards = {c["label"]: c for c in page.cards}
    # judged: c1 (repeated by c2), c2, c3; c4 censored -> FCR 2/3
    assert cards["First-contact resolution (7-day window)"]["value"] == pytest.approx(2 / 3)
    # inbound identified 4, of which c2 is a repeat -> 1/4
    assert cards["Repeat share of inbound contacts"]["value"] == pytest.approx(0.25)
    text = page.findings_markdown()
    assert "66.7%" in text and "below the 70-79% range" in text and "1 contacts too recent" in text
    # 1 repeat in 31 days -> 365 / 31 = 11.8, about 12 a year, stated as an extrapolation
    assert "about 12 a year" in text and "extrapolation" in text


def test_caveats_come_from_readiness(session):
    readiness = {"matrix": {"fcr_repeat": {"verdict": "degraded", "reason": "customer_id is 59% null"},
                            "aht": {"verdict": "ready", "reason": "fine"}}}
    assert headlines(session, readiness).caveats == [("degraded", "customer_id is 59% null")]
    assert headlines(session, None).caveats[-1][0] == "info"


def test_blocked_fcr_is_not_shown(session):
    readiness = {"matrix": {"fcr_repeat": {"verdict": "blocked", "reason": "no customer ids"}}}
    page = headlines(session, readiness)
    assert not any("resolution" in c["label"].lower() for c in page.cards)
    assert not any("Repeat share" in c["label"] for c in page.cards)


def test_caveats_render_as_one_html_block(session):
    # a list of boxes would reach the report as plain text and be dropped: one block it is
    readiness = {"matrix": {"fcr_repeat": {"verdict": "degraded", "reason": "customer_id is 59% null"},
                            "fcr_case": {"verdict": "blocked", "reason": "no cases source"}}}
    html = headlines(session, readiness).caveat_boxes()._repr_html_()
    assert html.count("cxkit-caveat") == 2 and "59% null" in html and "no cases source" in html
    assert "rated ready" in headlines(session, {"matrix": {}}).caveat_boxes()._repr_html_()
