"""Tests for cxkit.charts: golden specs, size guard, offline SVG rendering.

Regenerate the golden files after an intended change with
``CXKIT_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_charts.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import altair as alt
import pandas as pd
import pytest
import vl_convert

from cxkit import charts
from cxkit.errors import CxkitError

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(autouse=True)
def report_theme() -> Iterator[None]:
    charts.use_report_theme()
    yield
    alt.theme.enable("default")
    alt.renderers.enable("default")


def _queues() -> pd.DataFrame:
    return pd.DataFrame({"queue": ["Billing", "Sales", "Tech"], "contacts": [4210, 1875, 312]})


BUILDERS: dict[str, Callable[[], alt.TopLevelMixin]] = {
    "bar": lambda: charts.bar(_queues(), "queue", "contacts", title="Contacts by queue"),
    "line_trend": lambda: charts.line_trend(
        pd.DataFrame(
            {
                "week": pd.to_datetime(["2026-10-05", "2026-10-12", "2026-10-05", "2026-10-12"]),
                "channel": ["voice", "voice", "chat", "chat"],
                "contacts": [900, 950, 300, 320],
            }
        ),
        "week",
        "contacts",
        series="channel",
        title="Contacts per week",
    ),
    "rate_with_interval": lambda: charts.rate_with_interval(
        pd.DataFrame(
            {
                "queue": ["Billing", "Sales", "Tech"],
                "fcr": [0.71, 0.66, 0.5],
                "lo": [0.70, 0.64, 0.30],
                "hi": [0.72, 0.68, 0.70],
                "n": [4210, 1875, 12],
            }
        ),
        "queue",
        "fcr",
        "lo",
        "hi",
        "n",
        title="First-contact resolution by queue",
    ),
    "stacked_share": lambda: charts.stacked_share(
        pd.DataFrame(
            {
                "reason": ["Billing", "Billing", "Outage", "Outage"],
                "component": ["repeat contacts", "transfers", "repeat contacts", "transfers"],
                "effort": [120.0, 40.0, 300.0, 20.0],
            }
        ),
        "reason",
        "component",
        "effort",
        title="Where the effort comes from",
    ),
    "histogram_from_counts": lambda: charts.histogram_from_counts(
        pd.DataFrame({"start": [0, 60, 120], "end": [60, 120, 180], "contacts": [10, 25, 5]}),
        "start",
        "end",
        "contacts",
        title="Handle time",
        x_title="Seconds",
    ),
    "scatter": lambda: charts.scatter(
        pd.DataFrame({"aht": [400.0, 650.0, 520.0], "fcr": [0.6, 0.75, 0.7], "n": [120, 300, 80]}),
        "aht",
        "fcr",
        size="n",
        y_format=".0%",
        title="Longer calls, more resolved",
    ),
    "tornado": lambda: charts.tornado(
        pd.DataFrame(
            {
                "input": ["FCR change", "AHT change", "Repeats per unresolved"],
                "at_low": [17033.0, 54058.0, 42654.0],
                "at_high": [55966.0, 36192.0, 47596.0],
            }
        ),
        "input",
        "at_low",
        "at_high",
        46233.0,
        title="What moves the yearly saving most",
    ),
    "value_ease": lambda: charts.value_ease(
        pd.DataFrame(
            {
                "ease": [3.0, 4.2, 2.0],
                "value": [4.5, 3.6, 2.4],
                "label": ["1", "2", "3"],
                "bucket": ["felt by the customer", "tied to technology design", "felt by the customer"],
            }
        ),
        "ease",
        "value",
        "label",
        color="bucket",
        title="Where to act first",
    ),
    "heatmap": lambda: charts.heatmap(
        pd.DataFrame(
            {"from_step": ["IVR", "IVR", "Agent"], "to_step": ["Agent", "Hang-up", "Agent"], "journeys": [500, 120, 80]}
        ),
        "from_step",
        "to_step",
        "journeys",
        title="What happens next",
    ),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_chart_spec_matches_golden_file(name: str) -> None:
    spec = BUILDERS[name]().to_dict()
    path = GOLDEN / f"chart_{name}.json"
    if os.environ.get("CXKIT_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(spec, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    assert path.is_file(), f"{path} missing: run with CXKIT_UPDATE_GOLDEN=1 once"
    assert spec == json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["bar", "rate_with_interval", "heatmap", "tornado", "value_ease"])
def test_chart_renders_to_inline_svg_offline(name: str) -> None:
    chart = BUILDERS[name]()
    svg = vl_convert.vegalite_to_svg(chart.to_dict())
    assert svg.startswith("<svg")
    assert chart.to_dict()["title"]["text"] in svg
    # Only XML namespace URIs; nothing to fetch.
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "").replace("http://www.w3.org/1999/xlink", "")


def test_use_report_theme_enables_svg_renderer_and_theme() -> None:
    assert alt.renderers.active == "svg"
    assert alt.theme.active == charts.THEME_NAME
    bundle = BUILDERS["bar"]()._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "image/svg+xml" in data
    assert BUILDERS["bar"]().to_dict()["config"]["range"]["category"] == list(charts.PALETTE)


def test_rate_with_interval_greys_or_excludes_small_segments() -> None:
    spec = BUILDERS["rate_with_interval"]().to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert [r["segment_status"] for r in rows] == ["Reported", "Reported", "Too few to compare (n < 30)"]
    assert "Grey: fewer than 30" in spec["title"]["subtitle"]
    frame = pd.DataFrame({"q": ["A", "B"], "r": [0.5, 0.6], "lo": [0.4, 0.5], "hi": [0.6, 0.7], "n": [100, 5]})
    excluded = charts.rate_with_interval(frame, "q", "r", "lo", "hi", "n", title="t", exclude_suppressed=True)
    spec = excluded.to_dict()
    assert [r["q"] for r in next(iter(spec["datasets"].values()))] == ["A"]
    assert "1 segment with fewer than 30 observations not shown" in spec["title"]["subtitle"]


def test_thousands_of_categories_draw_the_largest_and_count_the_others() -> None:
    # a client with 4,000 disposition codes: 4,000 x 8 effort components stopped the run (over
    # the 5,000-row guard), and 4,000 rates drew 4,000 rows of points. Each chart draws the 30
    # largest categories and says how many it left out and what share they hold
    reasons = [f"disp_{i:04d}" for i in range(4000)]
    n = [3000 - i if i < 30 else 1 for i in range(4000)]  # the first 30 hold 85,065 of 89,035
    rates = pd.DataFrame({"reason": reasons, "rate": 0.5, "lo": 0.4, "hi": 0.6, "n": n})
    spec = charts.rate_with_interval(rates, "reason", "rate", "lo", "hi", "n", title="t",
                                     category_title="Contact reason").to_dict()
    drawn = next(iter(spec["datasets"].values()))
    assert sorted(r["reason"] for r in drawn) == reasons[:30]
    assert ("The 30 contact reasons with the most observations, of 4,000; the other 3,970 have 4% of the "
            "observations.") in spec["title"]["subtitle"]
    assert "Grey" not in spec["title"]["subtitle"]  # none of the 30 drawn is small
    parts = pd.DataFrame([(r, c, float(k)) for r, k in zip(reasons, n) for c in ("transfers", "holds")],
                         columns=["first_reason", "component", "points"])
    spec = charts.stacked_share(parts, "first_reason", "component", "points", title="t",
                                subtitle="Share of effort.").to_dict()
    drawn = spec["datasets"][spec["data"]["name"]]
    assert len(drawn) == 60 and {r["first_reason"] for r in drawn} == set(reasons[:30])
    assert spec["title"]["subtitle"] == ("Share of effort. The 30 first reasons with the most points, of 4,000; "
                                         "the other 3,970 have 4% of the points.")


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (pd.DataFrame({"queue": ["a"] * 5001, "contacts": [1] * 5001}), "5,001 rows"),
        (pd.DataFrame({"queue": ["a"], "calls": [1]}), "column(s) ['contacts'] not found"),
        ([("a", 1)], "expected a pandas DataFrame"),
    ],
)
def test_builders_refuse_raw_rows_and_unknown_columns(frame: object, expected: str) -> None:
    with pytest.raises(CxkitError) as info:
        charts.bar(frame, "queue", "contacts", title="t")  # type: ignore[arg-type]
    assert expected in str(info.value)
    assert "charts.bar" in str(info.value)


def test_bar_keeps_row_order_for_ordered_categories():
    # time spans must not be sorted by name ("1-4 h" before "0-1 h" would mislead)
    import pandas as pd

    from cxkit import charts

    frame = pd.DataFrame({"span": ["0-1 h", "1-4 h", "4-24 h", "24 h-7 d"], "share": [0.1, 0.2, 0.3, 0.4]})
    spec = charts.bar(frame, "span", "share", title="t", sort_by_value=False).to_dict()
    assert "sort" not in spec["encoding"]["x"] or spec["encoding"]["x"]["sort"] is None


def test_tornado_keeps_the_swing_order_and_spans_low_to_high():
    spec = BUILDERS["tornado"]().to_dict()
    bars = spec["layer"][0]
    assert bars["encoding"]["y"]["sort"] == ["FCR change", "AHT change", "Repeats per unresolved"]
    rows = spec["datasets"][bars["data"]["name"]]
    # AHT: the result falls as the input rises, so its bar runs from the high result to the low one
    aht = next(r for r in rows if r["input"] == "AHT change")
    assert (aht["_from"], aht["_to"]) == (36192.0, 54058.0)
    rule = spec["layer"][1]
    assert spec["datasets"][rule["data"]["name"]] == [{"base": 46233.0}]


def test_a_scatter_of_many_units_is_binned_not_embedded():
    # 20,000 agents (the 10M-contact center had about 21,800 in its QA scatter): the chart draws
    # a 25 x 25 density grid from aggregates and says so, instead of embedding every row
    import numpy as np

    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"qa_mean": rng.normal(85, 5, 20_000), "fcr": rng.uniform(0.4, 0.9, 20_000)})
    chart = charts.scatter(frame, "qa_mean", "fcr", title="QA score against FCR", y_format=".0%")
    spec = chart.to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert len(rows) <= 25 * 25 and sum(r["units"] for r in rows) == 20_000
    assert "20,000 points binned into a 25 x 25 grid" in spec["title"]["subtitle"]
    assert vl_convert.vegalite_to_svg(spec).startswith("<svg")
    # a few hundred agents stay points
    small = charts.scatter(frame.head(300), "qa_mean", "fcr", title="t").to_dict()
    assert small["mark"]["type"] == "circle" and len(next(iter(small["datasets"].values()))) == 300


def test_value_ease_draws_quadrants_at_the_middle_of_the_scale():
    spec = BUILDERS["value_ease"]().to_dict()
    vertical, horizontal = spec["layer"][0], spec["layer"][1]
    assert spec["datasets"][vertical["data"]["name"]] == [{"at": 3.0}]
    assert vertical["encoding"]["x"]["field"] == "at" and horizontal["encoding"]["y"]["field"] == "at"
    names = [spec["datasets"][layer["data"]["name"]][0]["name"] for layer in spec["layer"][2:6]]
    assert names[0].startswith("Do first") and names[3].startswith("Reconsider")
    points = spec["layer"][6]
    assert points["encoding"]["x"]["scale"]["domain"] == [1.0, 5.0]
    assert len(spec["datasets"][points["data"]["name"]]) == 3


def test_a_year_of_weeks_does_not_smear_its_labels() -> None:
    # 53 weekly labels side by side ("6 Jan", "13 Jan", ...) overlapped into an unreadable smear
    # under the weekly FCR chart of a year of data; the labels that would overlap are not drawn
    import re

    weeks = pd.date_range("2025-01-06", periods=53, freq="7D")
    frame = pd.DataFrame({"week": [f"{d.day} {d:%b}" for d in weeks], "rate": 0.9})
    svg = vl_convert.vegalite_to_svg(charts.line_trend(frame, "week", "rate", title="t", periods=True).to_dict())
    shown = [float(x) for x in re.findall(
        r'<text[^>]*translate\(([0-9.]+),[0-9.]+\)[^>]*opacity="1"[^>]*>[0-9]{1,2} [A-Z][a-z]{2}</text>', svg)]
    assert 10 <= len(shown) < 53
    assert min(b - a for a, b in zip(shown, shown[1:])) >= 30  # "13 Jan" in 12 px type is about 30 px wide
