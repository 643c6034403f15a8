"""All report charts: one altair theme, an offline SVG renderer, and builders for small frames.

Notebooks call :func:`use_report_theme` once; after that every chart displays as an inline
``<svg>`` drawn by vl-convert (no JavaScript, no CDN), which is what both renderers (Quarto and
nbconvert) need for a report that opens offline.

Builders take *aggregated* pandas DataFrames (one row per category, period, bin or agent) and
refuse anything that looks like raw rows (more than :data:`MAX_CHART_ROWS` rows): a chart spec
embeds its data, so raw rows would leak into the report and bloat it.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"queue": ["Billing", "Sales"], "contacts": [120, 80]})
>>> chart = bar(frame, "queue", "contacts", title="Contacts by queue")
>>> chart.to_dict()["mark"]["type"]
'bar'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from cxkit.errors import CxkitError
from cxkit.wording import share

__all__ = [
    "MAX_CHART_ROWS",
    "PALETTE",
    "THEME_NAME",
    "ReportChart",
    "bar",
    "heatmap",
    "histogram_from_counts",
    "line_trend",
    "rate_with_interval",
    "report_theme",
    "scatter",
    "stacked_share",
    "tornado",
    "use_report_theme",
    "value_ease",
]

#: Largest frame a chart builder accepts; aggregated results are far smaller.
MAX_CHART_ROWS = 5_000

#: Categories a bar-per-category chart draws at most: the largest, the others counted in its
#: subtitle (a client with 4,000 disposition codes gets a readable chart, not 4,000 bars).
MAX_CATEGORIES = 30

#: Name of the registered altair theme.
THEME_NAME = "cxkit"

#: Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)

_MUTED = "#9E9E9E"
_FONT = "Helvetica Neue, Helvetica, Arial, sans-serif"
_WIDTH = 560

#: What the builders return: a single chart or a layered one (points plus interval rules).
ReportChart = alt.Chart | alt.LayerChart


def report_theme() -> dict[str, Any]:
    """Return the cxkit altair theme configuration.

    Returns
    -------
    dict
        A Vega-Lite ``config`` wrapped as altair expects from a theme function: readable
        font sizes, the :data:`PALETTE` colour range, light grid lines and left-aligned titles.
    """
    return {
        "config": {
            "font": _FONT,
            "background": "white",
            "view": {"continuousWidth": _WIDTH, "continuousHeight": 300, "stroke": None},
            "range": {"category": list(PALETTE)},
            "title": {
                "fontSize": 16,
                "fontWeight": 600,
                "anchor": "start",
                "color": "#1F2933",
                "subtitleFontSize": 13,
                "subtitleColor": "#52606D",
                "offset": 12,
            },
            "axis": {
                "labelFontSize": 12,
                "titleFontSize": 13,
                "titleFontWeight": 500,
                "titleColor": "#3E4C59",
                "labelColor": "#3E4C59",
                "gridColor": "#E4E7EB",
                "domainColor": "#9AA5B1",
                "tickColor": "#9AA5B1",
                "labelLimit": 220,
            },
            "legend": {"labelFontSize": 12, "titleFontSize": 13, "orient": "bottom"},
            "header": {"labelFontSize": 12, "titleFontSize": 13},
            "bar": {"color": PALETTE[0]},
            "line": {"color": PALETTE[0], "strokeWidth": 2.5},
            "point": {"color": PALETTE[0], "filled": True, "size": 70},
            "rect": {"color": PALETTE[0]},
        }
    }


def use_report_theme() -> None:
    """Register and enable the cxkit theme and the offline SVG renderer.

    Call once at the top of a notebook. The ``svg`` renderer draws each chart with vl-convert
    in the kernel and outputs an inline ``<svg>``; no JavaScript or network access is needed to
    view the chart, in Jupyter, Quarto or the nbconvert report.
    """
    if THEME_NAME not in alt.theme.names():
        alt.theme.register(THEME_NAME, enable=False)(report_theme)
    alt.theme.enable(THEME_NAME)
    alt.renderers.enable("svg")


# --------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------


def _checked(df: pd.DataFrame, builder: str, columns: Sequence[str | None], *, sized: bool = True) -> pd.DataFrame:
    """Return a copy of ``df`` limited to ``columns`` after checking size and column names
    (the size not when ``sized`` is off: the caller keeps the largest categories first)."""
    if not isinstance(df, pd.DataFrame):
        raise CxkitError(
            f"charts.{builder}: expected a pandas DataFrame of aggregated results, found "
            f"{type(df).__name__}. Fix: call .to_pandas() on the aggregated ibis table first."
        )
    if sized:
        _sized(df, builder)
    wanted = [c for c in dict.fromkeys(columns) if c is not None]
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        raise CxkitError(
            f"charts.{builder}: column(s) {missing} not found; the frame has "
            f"{list(map(str, df.columns))}. Fix: pass the names of existing columns."
        )
    return df.loc[:, wanted].reset_index(drop=True).copy()


def _sized(df: pd.DataFrame, builder: str) -> pd.DataFrame:
    if len(df) > MAX_CHART_ROWS:
        raise CxkitError(
            f"charts.{builder}: the frame has {len(df):,} rows; charts take aggregated results "
            f"of at most {MAX_CHART_ROWS:,} rows (one row per category, period, bin or agent). "
            "Fix: aggregate (group_by/aggregate) before charting; raw rows must not be embedded "
            "in a report."
        )
    return df


def largest(data: pd.DataFrame, category: str, weight: str, limit: int) -> tuple[pd.DataFrame, int, float | None]:
    """The rows of the ``limit`` categories with the largest total ``weight`` (ties in the
    categories' order), in their order in ``data``; how many categories there were; and the
    share of the weight the others hold (None when the total is 0).

    >>> df = pd.DataFrame({"reason": ["a", "b", "b", "c", "d"], "n": [5, 3, 4, 1, 2]})
    >>> kept, categories, others = largest(df, "reason", "n", 2)
    >>> kept.reason.tolist(), categories, others
    (['a', 'b', 'b'], 4, 0.2)
    """
    totals = data.groupby(category, dropna=False, sort=True)[weight].sum()
    if len(totals) <= limit:
        return data, len(totals), 0.0
    order = totals.sort_values(ascending=False, kind="stable")
    whole = float(order.sum())
    others = float(order.iloc[limit:].sum()) / whole if whole > 0 else None
    return data.loc[data[category].isin(set(order.index[:limit]))].reset_index(drop=True), len(order), others


def _largest(data: pd.DataFrame, category: str, weight: str, limit: int, nouns: str,
             measure: str) -> tuple[pd.DataFrame, str | None]:
    """:func:`largest`, and the sentence a chart's subtitle says of the others (None when
    none is left out).

    >>> df = pd.DataFrame({"reason": ["a", "b", "b", "c", "d"], "n": [5, 3, 4, 1, 2]})
    >>> _largest(df, "reason", "n", 2, "reasons", "contacts")[1]
    'The 2 reasons with the most contacts, of 4; the other 2 have 20% of the contacts.'
    """
    kept, categories, others = largest(data, category, weight, limit)
    if categories <= limit:
        return data, None
    return kept, (f"The {limit:,} {nouns} with the most {measure}, of {categories:,}; the other "
                  f"{categories - limit:,} have {share(others)} of the {measure}.")


def _nouns(column: str, given: str | None) -> str:
    """``'contact reasons'`` for a category titled 'Contact reason': its plural, lower case."""
    return _label(column, given).lower() + "s"


def _titled(title: str, subtitle: str | Sequence[str] | None) -> alt.Title:
    return alt.Title(text=title, subtitle=subtitle) if subtitle else alt.Title(text=title)


def _label(column: str, given: str | None) -> str:
    """Plain-language axis title: the given one, else the column name made readable."""
    return given if given is not None else column.replace("_", " ").capitalize()


# --------------------------------------------------------------------------------------------
# builders
# --------------------------------------------------------------------------------------------


def bar(
    df: pd.DataFrame,
    x: str,
    y: str,
    *,
    title: str,
    subtitle: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    value_format: str = ",.0f",
    color: str | None = None,
    horizontal: bool = False,
    sort_by_value: bool = True,
) -> alt.Chart:
    """Bar chart of one value per category.

    Parameters
    ----------
    df
        Aggregated frame, one row per category (and per ``color`` group when given).
    x
        Category column.
    y
        Value column.
    title, subtitle
        Plain-language chart title and optional subtitle.
    x_title, y_title
        Axis titles; default to the column names made readable.
    value_format
        d3 format of the value axis (``",.0f"`` counts, ``".0%"`` shares).
    color
        Optional grouping column, drawn as colours (stacked).
    horizontal
        Categories on the vertical axis (better for long labels).
    sort_by_value
        Order the categories by descending value instead of in the frame's row order (keep
        the row order for ordered categories such as time spans).

    Returns
    -------
    altair.Chart
    """
    data = _checked(df, "bar", [x, y, color])
    category = alt.X if not horizontal else alt.Y
    value = alt.Y if not horizontal else alt.X
    sort: Any = f"-{'y' if not horizontal else 'x'}" if sort_by_value else None
    # many categories on a horizontal axis: slanted labels, so neighbours never overlap
    angle = -40 if (not horizontal and data[x].nunique() > 6) else 0
    encoding: dict[str, Any] = {
        ("x" if not horizontal else "y"): category(
            f"{x}:N", title=_label(x, x_title), sort=sort,
            axis=alt.Axis(labelAngle=angle, labelAlign="right" if angle else "center"),
        ),
        ("y" if not horizontal else "x"): value(
            f"{y}:Q", title=_label(y, y_title), axis=alt.Axis(format=value_format)
        ),
    }
    if color is not None:
        encoding["color"] = alt.Color(f"{color}:N", title=_label(color, None))
    chart = alt.Chart(data, title=_titled(title, subtitle)).mark_bar().encode(**encoding)
    return chart if horizontal else chart.properties(width=_WIDTH)


def line_trend(
    df: pd.DataFrame,
    x: str,
    y: str,
    *,
    title: str,
    series: str | None = None,
    subtitle: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    value_format: str = ",.0f",
    time_unit: str | None = None,
    periods: bool = False,
) -> alt.Chart:
    """Line chart of a value over time, optionally one line per ``series``.

    Parameters
    ----------
    df
        Aggregated frame, one row per period (and series).
    x
        Period column (dates or timestamps).
    y
        Value column.
    title, subtitle, x_title, y_title
        Plain-language titles.
    series
        Optional column naming the line each row belongs to.
    value_format
        d3 format of the value axis.
    time_unit
        Optional Vega-Lite time unit for the x axis (e.g. ``"yearmonthdate"``).
    periods
        ``x`` holds period labels (``"2 Mar"``), one tick each, in the frame's order, instead
        of dates on a time scale (whose ticks fall between the periods).

    Returns
    -------
    altair.Chart
    """
    data = _checked(df, "line_trend", [x, y, series])
    x_field = alt.X(f"{x}:T", title=_label(x, x_title))
    if periods:
        # a year of weeks: 53 labels side by side overlap into a smear; the overlapping ones are dropped
        x_field = alt.X(f"{x}:O", title=_label(x, x_title), sort=None,
                        axis=alt.Axis(labelAngle=0, labelOverlap="greedy", labelSeparation=6))
    elif time_unit is not None:
        x_field = alt.X(f"{x}:T", title=_label(x, x_title), timeUnit=time_unit)
    encoding: dict[str, Any] = {
        "x": x_field,
        "y": alt.Y(f"{y}:Q", title=_label(y, y_title), axis=alt.Axis(format=value_format)),
    }
    if series is not None:
        encoding["color"] = alt.Color(f"{series}:N", title=_label(series, None))
    return (
        alt.Chart(data, title=_titled(title, subtitle))
        .mark_line(point=True)
        .encode(**encoding)
    )


def rate_with_interval(
    df: pd.DataFrame,
    category: str,
    rate: str,
    lo: str,
    hi: str,
    n: str,
    *,
    title: str,
    subtitle: str | None = None,
    min_n: int = 30,
    suppressed: str | None = None,
    exclude_suppressed: bool = False,
    category_title: str | None = None,
    rate_title: str | None = None,
    max_categories: int = MAX_CATEGORIES,
) -> alt.LayerChart:
    """Horizontal point-and-interval chart of a rate per category, sorted by the rate.

    Segments with fewer than ``min_n`` observations (or flagged in ``suppressed``) are too
    small to compare: they are drawn grey with a note in the subtitle, or left out (with the
    count left out in the subtitle) when ``exclude_suppressed`` is set.

    Parameters
    ----------
    df
        Aggregated frame, one row per category, rates as fractions (0-1).
    category, rate, lo, hi, n
        Columns: category label, rate, interval bounds and number of observations.
    title, subtitle, category_title, rate_title
        Plain-language titles.
    min_n
        Smallest number of observations for a segment to be reported.
    suppressed
        Optional boolean column marking segments to suppress for other reasons.
    exclude_suppressed
        Leave suppressed segments out instead of greying them.
    max_categories
        Segments drawn at most: those with the most observations; the subtitle counts the
        others and their share of the observations.

    Returns
    -------
    altair.LayerChart
        Interval rules under points.
    """
    data = _checked(df, "rate_with_interval", [category, rate, lo, hi, n, suppressed], sized=False)
    small = data[n] < min_n
    if suppressed is not None:
        small = small | data[suppressed].fillna(False).astype(bool)
    reported_label = "Reported"
    small_label = f"Too few to compare (n < {min_n:,})"
    note = None
    if exclude_suppressed and bool(small.any()):
        count = int(small.sum())
        data, small = data.loc[~small].reset_index(drop=True), small.loc[~small].reset_index(drop=True)
        note = f"{count} segment{'' if count == 1 else 's'} with fewer than {min_n:,} observations not shown."
    data["segment_status"] = [small_label if s else reported_label for s in small]
    data, largest = _largest(data, category, n, max_categories, _nouns(category, category_title), "observations")
    _sized(data, "rate_with_interval")
    if note is None and (data["segment_status"] == small_label).any():
        note = f"Grey: fewer than {min_n:,} observations, too few to compare."
    full_subtitle = " ".join(part for part in (subtitle, largest, note) if part) or None
    order = alt.EncodingSortField(field=rate, order="descending")
    y = alt.Y(f"{category}:N", title=_label(category, category_title), sort=order)
    colour = alt.Color(
        "segment_status:N",
        scale=alt.Scale(domain=[reported_label, small_label], range=[PALETTE[0], _MUTED]),
        legend=None,
    )
    base = alt.Chart(data)
    rules = base.mark_rule(strokeWidth=2).encode(
        y=y,
        x=alt.X(f"{lo}:Q", title=_label(rate, rate_title), axis=alt.Axis(format=".0%")),
        x2=f"{hi}:Q",
        color=colour,
    )
    points = base.mark_point(filled=True, size=80).encode(
        y=y,
        x=alt.X(f"{rate}:Q"),
        color=colour,
        tooltip=[
            alt.Tooltip(f"{category}:N"),
            alt.Tooltip(f"{rate}:Q", format=".1%"),
            alt.Tooltip(f"{n}:Q", format=","),
        ],
    )
    return alt.layer(rules, points, title=_titled(title, full_subtitle))


def stacked_share(
    df: pd.DataFrame,
    category: str,
    part: str,
    value: str,
    *,
    title: str,
    subtitle: str | None = None,
    normalize: bool = True,
    category_title: str | None = None,
    part_title: str | None = None,
    value_title: str | None = None,
    max_categories: int = MAX_CATEGORIES,
) -> alt.Chart:
    """Horizontal stacked bars: how each category's total splits into parts.

    Example: customer effort per contact reason split into repeat contacts, transfers, holds.

    Parameters
    ----------
    df
        Aggregated frame, one row per (category, part).
    category
        Column of the bars.
    part
        Column of the stacked pieces (colours).
    value
        Column of the amounts.
    title, subtitle, category_title, part_title, value_title
        Plain-language titles.
    normalize
        Show shares (each bar sums to 100%) instead of amounts.
    max_categories
        Bars drawn at most: the categories with the largest totals; the subtitle counts the
        others and their share of the total.

    Returns
    -------
    altair.Chart
    """
    data = _checked(df, "stacked_share", [category, part, value], sized=False)
    data, note = _largest(data, category, value, max_categories, _nouns(category, category_title),
                          _label(value, value_title).lower())
    _sized(data, "stacked_share")
    subtitle = " ".join(p for p in (subtitle, note) if p) or None
    axis_format = ".0%" if normalize else ",.0f"
    return (
        alt.Chart(data, title=_titled(title, subtitle))
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", title=_label(category, category_title), sort="-x"),
            x=alt.X(
                f"sum({value}):Q",
                stack="normalize" if normalize else "zero",
                title=_label(value, value_title) if not normalize else (value_title or "Share"),
                axis=alt.Axis(format=axis_format),
            ),
            color=alt.Color(f"{part}:N", title=_label(part, part_title)),
            order=alt.Order(f"{part}:N"),
        )
    )


def histogram_from_counts(
    df: pd.DataFrame,
    bin_start: str,
    bin_end: str,
    count: str,
    *,
    title: str,
    subtitle: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    x_format: str = ",.0f",
) -> alt.Chart:
    """Histogram from pre-binned counts (binning happens in the database, not here).

    Parameters
    ----------
    df
        One row per bin: its lower edge, upper edge and count.
    bin_start, bin_end, count
        Column names.
    title, subtitle, x_title, y_title
        Plain-language titles.
    x_format
        d3 format of the bin axis.

    Returns
    -------
    altair.Chart
    """
    data = _checked(df, "histogram_from_counts", [bin_start, bin_end, count])
    return (
        alt.Chart(data, title=_titled(title, subtitle))
        .mark_bar(binSpacing=1)
        .encode(
            x=alt.X(f"{bin_start}:Q", title=_label(bin_start, x_title), axis=alt.Axis(format=x_format)),
            x2=f"{bin_end}:Q",
            y=alt.Y(f"{count}:Q", title=_label(count, y_title), axis=alt.Axis(format=",.0f")),
        )
    )


def scatter(
    df: pd.DataFrame,
    x: str,
    y: str,
    *,
    title: str,
    size: str | None = None,
    color: str | None = None,
    subtitle: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    x_format: str = ",.0f",
    y_format: str = ",.0f",
    size_title: str | None = None,
    color_title: str | None = None,
    max_points: int = 2_000,
) -> alt.Chart:
    """Scatter plot, e.g. average handle time against first-contact resolution per agent.

    Parameters
    ----------
    df
        Aggregated frame, one row per unit (agent, team, queue).
    x, y
        Value columns.
    title, subtitle, x_title, y_title
        Plain-language titles.
    size
        Optional column sizing the points (e.g. number of contacts).
    color
        Optional grouping column.
    x_format, y_format
        d3 formats of the axes (``".0%"`` for rates).
    size_title, color_title
        Legend titles.
    max_points
        Above this many rows the points are binned (a 25 x 25 grid, the count of units per
        cell drawn as a heatmap) and the subtitle says so: a chart never embeds thousands of
        rows, and a dense cloud reads better as density.

    Returns
    -------
    altair.Chart
    """
    if isinstance(df, pd.DataFrame) and len(df.dropna(subset=[x, y])) > max_points:
        return _binned_scatter(df, x, y, title=title, subtitle=subtitle, x_title=x_title, y_title=y_title,
                               x_format=x_format, y_format=y_format)
    data = _checked(df, "scatter", [x, y, size, color])
    encoding: dict[str, Any] = {
        "x": alt.X(f"{x}:Q", title=_label(x, x_title), axis=alt.Axis(format=x_format),
                   scale=alt.Scale(zero=False)),
        "y": alt.Y(f"{y}:Q", title=_label(y, y_title), axis=alt.Axis(format=y_format),
                   scale=alt.Scale(zero=False)),
    }
    if size is not None:
        encoding["size"] = alt.Size(f"{size}:Q", title=_label(size, size_title))
    if color is not None:
        encoding["color"] = alt.Color(f"{color}:N", title=_label(color, color_title))
    return (
        alt.Chart(data, title=_titled(title, subtitle))
        .mark_circle(opacity=0.7)
        .encode(**encoding)
    )


def _binned_scatter(df: pd.DataFrame, x: str, y: str, *, title: str, subtitle: str | None, x_title: str | None,
                    y_title: str | None, x_format: str, y_format: str, bins: int = 25) -> alt.Chart:
    """A scatter of many units as a density grid: counts per cell of a ``bins`` x ``bins`` grid."""
    points = df[[x, y]].dropna()
    x_edges = pd.cut(points[x], bins=bins)
    y_edges = pd.cut(points[y], bins=bins)
    grid = points.groupby([x_edges, y_edges], observed=True).size().reset_index(name="units")
    grid = pd.DataFrame({
        "x0": [i.left for i in grid[x]], "x1": [i.right for i in grid[x]],
        "y0": [i.left for i in grid[y]], "y1": [i.right for i in grid[y]], "units": grid["units"],
    })
    note = f"{len(points):,} points binned into a {bins} x {bins} grid; colour = how many fall in each cell"
    return (
        alt.Chart(grid, title=_titled(title, f"{subtitle}; {note}" if subtitle else note))
        .mark_rect()
        .encode(
            x=alt.X("x0:Q", title=_label(x, x_title), axis=alt.Axis(format=x_format), scale=alt.Scale(zero=False)),
            x2="x1:Q",
            y=alt.Y("y0:Q", title=_label(y, y_title), axis=alt.Axis(format=y_format), scale=alt.Scale(zero=False)),
            y2="y1:Q",
            color=alt.Color("units:Q", title="Units", scale=alt.Scale(scheme="blues")),
        )
    )


def heatmap(
    df: pd.DataFrame,
    x: str,
    y: str,
    value: str,
    *,
    title: str,
    subtitle: str | Sequence[str] | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    value_title: str | None = None,
    value_format: str = ",.0f",
    x_order: Sequence[str] | None = None,
    y_order: Sequence[str] | None = None,
) -> alt.Chart:
    """Heatmap of a value over two categories, e.g. transition counts from one step to the next.

    Parameters
    ----------
    df
        Aggregated frame, one row per (x, y) cell.
    x, y, value
        Column names.
    title, subtitle, x_title, y_title, value_title
        Plain-language titles; the subtitle a line or a list of lines (a chart is as wide as
        its longest title line, and one wider than the page is shrunk to fit, marks and all).
    value_format
        d3 format of the legend.
    x_order, y_order
        The categories in reading order (e.g. Mon..Sun); default: sorted.

    Returns
    -------
    altair.Chart
    """
    data = _checked(df, "heatmap", [x, y, value])
    x_sort = {"sort": list(x_order)} if x_order is not None else {}
    y_sort = {"sort": list(y_order)} if y_order is not None else {}
    return (
        alt.Chart(data, title=_titled(title, subtitle))
        .mark_rect()
        .encode(
            x=alt.X(f"{x}:N", title=_label(x, x_title), axis=alt.Axis(labelAngle=-30), **x_sort),
            y=alt.Y(f"{y}:N", title=_label(y, y_title), **y_sort),
            color=alt.Color(
                f"{value}:Q",
                title=_label(value, value_title),
                scale=alt.Scale(scheme="blues"),
                legend=alt.Legend(format=value_format, orient="right"),
            ),
        )
    )


def tornado(
    df: pd.DataFrame,
    label: str,
    low: str,
    high: str,
    base: float,
    *,
    title: str,
    subtitle: str | None = None,
    value_title: str | None = None,
    value_format: str = ",.0f",
) -> alt.LayerChart:
    """Tornado chart: for each input, the result at its low and at its high value (the others
    at base), as a bar from one to the other across a rule at the base result.

    Parameters
    ----------
    df
        Aggregated frame, one row per input, largest swing first (the row order is kept), e.g.
        :func:`cxkit.scenarios.tornado`.
    label
        Input column (the bars' labels).
    low, high
        Columns with the result at the input's low and high value.
    base
        The base result (where the rule is drawn).
    title, subtitle, value_title
        Plain-language titles.
    value_format
        d3 format of the value axis.

    Returns
    -------
    altair.LayerChart
    """
    data = _checked(df, "tornado", [label, low, high])
    data["_from"] = data[[low, high]].min(axis=1)
    data["_to"] = data[[low, high]].max(axis=1)
    order = list(data[label])
    y = alt.Y(f"{label}:N", title=None, sort=order)
    bars = (
        alt.Chart(data)
        .mark_bar(height=18)
        .encode(
            y=y,
            x=alt.X("_from:Q", title=_label("result", value_title), axis=alt.Axis(format=value_format),
                    scale=alt.Scale(zero=False)),
            x2="_to:Q",
            tooltip=[
                alt.Tooltip(f"{label}:N", title="Input"),
                alt.Tooltip(f"{low}:Q", title="Result at low", format=value_format),
                alt.Tooltip(f"{high}:Q", title="Result at high", format=value_format),
            ],
        )
    )
    rule = alt.Chart(pd.DataFrame({"base": [float(base)]})).mark_rule(color=_MUTED, strokeDash=[4, 3]).encode(x="base:Q")
    return alt.layer(bars, rule, title=_titled(title, subtitle))


def value_ease(
    df: pd.DataFrame,
    ease: str,
    value: str,
    label: str,
    *,
    title: str,
    color: str | None = None,
    subtitle: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    color_title: str | None = None,
    low: float = 1.0,
    high: float = 5.0,
) -> alt.LayerChart:
    """A 2x2 priority chart: each finding placed by ease (x) and value (y) on a ``low``-``high``
    scale, split into four quadrants at the middle, each point labelled (e.g. with its rank).

    Parameters
    ----------
    df
        Aggregated frame, one row per finding (never raw contacts).
    ease, value
        Columns of the two scores (higher = easier, higher = more valuable).
    label
        Column written next to each point (a rank or a short id).
    title, subtitle, x_title, y_title, color_title
        Plain-language titles.
    color
        Optional grouping column (e.g. the friction bucket).
    low, high
        The scale's ends; the quadrant lines are drawn at their middle.

    Returns
    -------
    altair.LayerChart
        Quadrant rules, quadrant names, points and their labels.
    """
    data = _checked(df, "value_ease", [ease, value, label, color])
    mid = (low + high) / 2
    scale = alt.Scale(domain=[low, high], nice=False)
    ticks = alt.Axis(values=list(range(int(low), int(high) + 1)))
    x = alt.X(f"{ease}:Q", title=_label(ease, x_title), scale=scale, axis=ticks)
    y = alt.Y(f"{value}:Q", title=_label(value, y_title), scale=scale, axis=ticks)
    rules = alt.Chart(pd.DataFrame({"at": [mid]}))
    vertical = rules.mark_rule(color=_MUTED, strokeDash=[4, 3]).encode(x=alt.X("at:Q", scale=scale))
    horizontal = rules.mark_rule(color=_MUTED, strokeDash=[4, 3]).encode(y=alt.Y("at:Q", scale=scale))
    pad = (high - low) * 0.02
    quadrants = pd.DataFrame({
        "x": [high - pad, low + pad, high - pad, low + pad],
        "y": [high - pad, high - pad, low + pad, low + pad],
        "name": ["Do first: valuable and easy", "Plan: valuable, harder", "Quick wins: easy, smaller",
                 "Reconsider: harder, smaller"],
        "align": ["right", "left", "right", "left"],
        "baseline": ["top", "top", "bottom", "bottom"],
    })
    names = [
        alt.Chart(quadrants.iloc[[i]]).mark_text(align=row.align, baseline=row.baseline, color=_MUTED, fontSize=11)
        .encode(x=alt.X("x:Q", scale=scale), y=alt.Y("y:Q", scale=scale), text="name:N")
        for i, row in enumerate(quadrants.itertuples())
    ]
    encoding: dict[str, Any] = {"x": x, "y": y}
    if color is not None:
        encoding["color"] = alt.Color(f"{color}:N", title=_label(color, color_title), legend=alt.Legend(labelLimit=320))
    points = alt.Chart(data).mark_circle(size=140, opacity=0.85).encode(**encoding)
    labels = alt.Chart(data).mark_text(align="left", dx=9, dy=-6, fontSize=12, color="#1F2933").encode(
        x=alt.X(f"{ease}:Q", scale=scale), y=alt.Y(f"{value}:Q", scale=scale), text=f"{label}:N")
    return alt.layer(vertical, horizontal, *names, points, labels, title=_titled(title, subtitle)).properties(
        width=_WIDTH, height=_WIDTH * 0.75)
