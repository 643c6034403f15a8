"""What notebooks show stakeholders: escaped tables, formatted numbers, caveat boxes, cards.

Every helper returns an object with ``_repr_html_`` so a notebook cell ends with one call and
Jupyter, Quarto and nbconvert all render the same HTML. Every value that comes from data is
HTML-escaped; styles are inline so the output looks the same in any renderer.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"queue": ["<b>Sales</b>"], "fcr": [0.712]})
>>> html = table(frame, formats={"fcr": "percent"})._repr_html_()
>>> "&lt;b&gt;Sales&lt;/b&gt;" in html and "71.2%" in html
True
>>> str(rate(0.712, 0.698, 0.725, 4210))
'71.2% (95% CI 69.8-72.5%, n = 4,210)'
"""

from __future__ import annotations

import datetime as dt
import html
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxkit.errors import CxkitError

__all__ = [
    "FORMATS",
    "Html",
    "Table",
    "caveat",
    "escape_markdown",
    "format_value",
    "is_missing",
    "metric_cards",
    "note",
    "rate",
    "table",
    "text",
]

#: Shown for missing values.
MISSING = "–"

_TABLE_MAX_ROWS = 500

_BOX_STYLES: dict[str, tuple[str, str, str]] = {
    # verdict: (label, border colour, background)
    "degraded": ("Degraded", "#B7791F", "#FFFAEB"),
    "blocked": ("Blocked", "#C53030", "#FFF5F5"),
    "info": ("Note", "#2B6CB0", "#EBF8FF"),
    "not measured": ("Not measured", "#616E7C", "#F5F7FA"),
}


class Html(str):
    """A string that displays as HTML in notebooks.

    Its text (``str(obj)``) is the plain-language content, so it can be embedded in
    f-strings; ``_repr_html_`` returns the escaped, styled markup.
    """

    _markup: str

    def __new__(cls, text: str, markup: str | None = None) -> Html:
        obj = super().__new__(cls, text)
        obj._markup = markup if markup is not None else f"<span>{html.escape(text)}</span>"
        return obj

    def _repr_html_(self) -> str:
        return self._markup


# --------------------------------------------------------------------------------------------
# number formatting
# --------------------------------------------------------------------------------------------


def is_missing(value: Any) -> bool:
    """Whether one value is absent: None, pandas' NA or NaT, or a NaN of any number type
    (numpy's, a Decimal's). A text never is, not even "nan": it may be a name from the data.

    >>> [is_missing(v) for v in (None, pd.NA, float("nan"), np.float32("nan"), 0, "nan")]
    [True, True, True, True, False, False]
    """
    return not isinstance(value, (str, bytes)) and pd.api.types.is_scalar(value) and bool(pd.isna(value))


def _percent(value: float, decimals: int = 1) -> str:
    return f"{value * 100:,.{decimals}f}%"


def _seconds(value: float) -> str:
    """``m:ss`` below an hour, ``h:mm:ss`` above."""
    total = int(round(float(value)))
    sign = "-" if total < 0 else ""
    total = abs(total)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{seconds:02d}"
    return f"{sign}{minutes}:{seconds:02d}"


def _default(value: Any) -> str:
    # a stored flag is pandas' nullable boolean, whose cells are numpy's bool, not Python's
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        return f"{float(value):,.0f}" if float(value).is_integer() else f"{float(value):,.2f}"
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


#: Named formats for :func:`table` and :func:`format_value`.
FORMATS: dict[str, Callable[[Any], str]] = {
    "percent": lambda v: _percent(float(v), 1),
    "percent0": lambda v: _percent(float(v), 0),
    "integer": lambda v: f"{round(float(v)):,}",
    "thousands": lambda v: f"{round(float(v)):,}",
    "decimal": lambda v: f"{round(float(v), 1) + 0.0:,.1f}",
    "decimal2": lambda v: f"{round(float(v), 2) + 0.0:,.2f}",
    "seconds": _seconds,
    "points": lambda v: f"{float(v) * 100:+,.1f} pts",
    "currency": lambda v: f"-${abs(float(v)):,.2f}" if float(v) < 0 else f"${float(v):,.2f}",
    "text": str,
    "auto": _default,
}


def format_value(value: Any, kind: str | Callable[[Any], str] = "auto") -> str:
    """Format one value for a reader (not yet HTML-escaped).

    Parameters
    ----------
    value
        The value; ``None``/NaN/NaT show as an en dash.
    kind
        A name from :data:`FORMATS` (``percent`` for fractions 0-1, ``thousands``,
        ``seconds`` as ``m:ss``, ``currency``, ...), ``"currency:€"`` for another currency
        symbol, or a callable.

    Returns
    -------
    str

    Examples
    --------
    >>> format_value(0.7123, "percent"), format_value(754, "seconds"), format_value(1234567, "thousands")
    ('71.2%', '12:34', '1,234,567')
    >>> format_value(1234.5, "currency:€")
    '€1,234.50'
    """
    if is_missing(value):
        return MISSING
    if callable(kind):
        return kind(value)
    if kind.startswith("currency:"):
        symbol = kind.split(":", 1)[1]
        number = float(value)
        return f"-{symbol}{abs(number):,.2f}" if number < 0 else f"{symbol}{number:,.2f}"
    try:
        formatter = FORMATS[kind]
    except KeyError:
        raise CxkitError(
            f"display: unknown number format {kind!r}; expected one of {sorted(FORMATS)} or "
            "'currency:<symbol>'. Fix: use one of these names or pass a function."
        ) from None
    try:
        return formatter(value)
    except (TypeError, ValueError):
        raise CxkitError(
            f"display: cannot format value of type {type(value).__name__} as {kind!r}. "
            "Fix: format this column as 'text' or convert it to a number first."
        ) from None


# --------------------------------------------------------------------------------------------
# table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A formatted, escaped HTML table of an aggregated result (see :func:`table`)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    caption: str | None = None
    omitted_rows: int = 0

    def to_html(self) -> str:
        """Return the table as an HTML string; every cell is already escaped text."""
        esc = html.escape
        cell = "padding:4px 10px;border-bottom:1px solid #E4E7EB;"
        parts = [
            '<table class="cxkit-table" style="border-collapse:collapse;font-size:14px;'
            'margin:0.5em 0 1em 0;">'
        ]
        if self.caption:
            parts.append(
                '<caption style="caption-side:top;text-align:left;font-weight:600;'
                f'padding:4px 0;">{esc(self.caption)}</caption>'
            )
        parts.append("<thead><tr>")
        for name, is_num in zip(self.header, self.numeric, strict=True):
            align = "right" if is_num else "left"
            parts.append(
                f'<th style="{cell}text-align:{align};border-bottom:2px solid #9AA5B1;">'
                f"{esc(name)}</th>"
            )
        parts.append("</tr></thead><tbody>")
        for row in self.rows:
            parts.append("<tr>")
            for value, is_num in zip(row, self.numeric, strict=True):
                align = "right;font-variant-numeric:tabular-nums" if is_num else "left"
                parts.append(f'<td style="{cell}text-align:{align};">{esc(value)}</td>')
            parts.append("</tr>")
        parts.append("</tbody></table>")
        if self.omitted_rows:
            parts.append(
                f'<p style="font-size:13px;color:#52606D;">{self.omitted_rows:,} more rows not '
                "shown.</p>"
            )
        return "".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()


def table(
    df: pd.DataFrame,
    *,
    columns: Sequence[str] | Mapping[str, str] | None = None,
    formats: Mapping[str, str | Callable[[Any], str]] | None = None,
    caption: str | None = None,
    max_rows: int = _TABLE_MAX_ROWS,
    numeric: Sequence[str] = (),
) -> Table:
    """Show an aggregated result as a readable table.

    Parameters
    ----------
    df
        Aggregated pandas frame (a few dozen rows, not raw contacts).
    columns
        Columns to show, in order; a mapping renames them (``{"fcr": "First-contact
        resolution"}``). Default: all columns, names as they are.
    formats
        Format per source column, a name from :data:`FORMATS` or a callable; unformatted
        numbers get thousands separators.
    caption
        Optional caption above the table.
    max_rows
        Rows beyond this are left out with a note.
    numeric
        Columns of numbers already written as text (rows of different units, say): aligned as
        numbers are. A column of numeric type is aligned so without being named.

    Returns
    -------
    Table
        Displays as HTML; every value is escaped.

    Examples
    --------
    >>> import pandas as pd
    >>> t = table(pd.DataFrame({"aht": [754.0]}), columns={"aht": "Handle time"}, formats={"aht": "seconds"})
    >>> t.header, t.rows
    (('Handle time',), (('12:34',),))
    """
    if not isinstance(df, pd.DataFrame):
        raise CxkitError(
            f"display.table: expected a pandas DataFrame, found {type(df).__name__}. "
            "Fix: call .to_pandas() on the aggregated ibis table."
        )
    labels = _column_labels(df, columns)
    formats = dict(formats or {})
    unknown = [c for c in formats if c not in df.columns]
    if unknown:
        raise CxkitError(
            f"display.table: formats name column(s) {unknown} that are not in the frame "
            f"{list(map(str, df.columns))}. Fix: use the source column names."
        )
    shown = df.head(max_rows)
    rows = tuple(
        tuple(format_value(value, formats.get(col, "auto")) for col, value in zip(labels, record, strict=True))
        for record in shown.loc[:, list(labels)].itertuples(index=False, name=None)
    )
    aligned = tuple(
        col in numeric or bool(pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col]))
        for col in labels
    )
    return Table(
        header=tuple(labels.values()),
        rows=rows,
        numeric=aligned,
        caption=caption,
        omitted_rows=max(len(df) - max_rows, 0),
    )


def _column_labels(
    df: pd.DataFrame, columns: Sequence[str] | Mapping[str, str] | None
) -> dict[str, str]:
    if columns is None:
        return {c: str(c) for c in df.columns}
    labels = dict(columns) if isinstance(columns, Mapping) else {c: str(c) for c in columns}
    missing = [c for c in labels if c not in df.columns]
    if missing:
        raise CxkitError(
            f"display.table: column(s) {missing} not found; the frame has "
            f"{list(map(str, df.columns))}. Fix: pass existing column names in `columns`."
        )
    return labels


# --------------------------------------------------------------------------------------------
# text helpers
# --------------------------------------------------------------------------------------------


def rate(
    value: float | None,
    lo: float | None,
    hi: float | None,
    n: int | None,
    *,
    decimals: int = 1,
    level: int = 95,
) -> Html:
    """A rate with its confidence interval and sample size, in words.

    Parameters
    ----------
    value, lo, hi
        The rate and its interval bounds, as fractions (0-1).
    n
        Number of observations behind the rate.
    decimals
        Decimals of the percentages.
    level
        Confidence level shown in the text.

    Returns
    -------
    Html
        ``"71.2% (95% CI 69.8-72.5%, n = 4,210)"``; ``"not available (n = 0)"`` without a value.

    Examples
    --------
    >>> str(rate(0.712, 0.698, 0.725, 4210))
    '71.2% (95% CI 69.8-72.5%, n = 4,210)'
    """
    count = MISSING if is_missing(n) else f"{int(n):,}"
    if is_missing(value):
        text = f"not available (n = {count})"
    else:
        main = f"{float(value) * 100:.{decimals}f}%"
        if is_missing(lo) or is_missing(hi):
            text = f"{main} (n = {count})"
        else:
            text = (
                f"{main} ({level}% CI {float(lo) * 100:.{decimals}f}-"
                f"{float(hi) * 100:.{decimals}f}%, n = {count})"
            )
    return Html(text, f'<span class="cxkit-rate">{html.escape(text)}</span>')


def caveat(verdict: str, reason: str, *, marker: str | None = None) -> Html:
    """A coloured box warning that a metric is degraded or blocked, and why.

    Parameters
    ----------
    verdict
        ``"degraded"`` (shown with a warning), ``"blocked"`` (not computed) or ``"info"``.
    reason
        Plain-language reason, e.g. which data is missing.
    marker
        The footnote mark of the figures it applies to (e.g. ``"1"`` for a table column
        headed "FCR ¹"), shown before the label.

    Returns
    -------
    Html
        Text ``"Degraded: <reason>"``; the markup is an escaped, styled box.
    """
    key = str(verdict).strip().lower()
    if key not in _BOX_STYLES:
        raise CxkitError(
            f"display.caveat: unknown verdict {verdict!r}; expected one of {sorted(_BOX_STYLES)}. "
            "Fix: pass the verdict from the readiness matrix."
        )
    label, border, background = _BOX_STYLES[key]
    text = f"{label}: {reason}"
    mark = f"<sup>{html.escape(marker)}</sup> " if marker else ""
    markup = (
        f'<div class="cxkit-caveat cxkit-{key}" role="note" style="border-left:4px solid {border};'
        f"background:{background};padding:8px 12px;margin:0.75em 0;border-radius:3px;"
        f'font-size:14px;">{mark}<strong>{html.escape(label)}:</strong> {html.escape(str(reason))}</div>'
    )
    return Html(f"{marker} {text}" if marker else text, markup)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def escape_markdown(text: Any) -> str:
    r"""Text from data made inert in Markdown: every character Markdown gives a meaning to is
    backslash-escaped, so no link, emphasis, heading or list can come of it, and line breaks
    become spaces (a value is one phrase).

    Examples
    --------
    >>> print(escape_markdown("[Verify](https://evil.example) *now*"))
    \[Verify\]\(https://evil\.example\) \*now\*
    >>> "<a " in note(f"Weakest for {escape_markdown('[x](https://e.x)')}")._repr_html_()
    False
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _text_renderer():
    """A mistune renderer that writes links, images and raw HTML as the text they were written
    in: a note may quote values from the data, and a value is never a link to follow."""
    import mistune

    class _TextOnly(mistune.HTMLRenderer):
        def link(self, text: str, url: str, title: str | None = None) -> str:
            if text == html.escape(url) or text == url:  # an autolink, <https://...>
                return html.escape(url)
            return f"[{text}]({html.escape(url)})"

        def image(self, text: str, url: str, title: str | None = None) -> str:
            return f"![{html.escape(text)}]({html.escape(url)})"

    return _TextOnly(escape=True)


def note(md: str) -> Html:
    """A short note in Markdown (emphasis, lists); raw HTML, links and images in it stay text.

    A note may carry values from the data (a contact reason, a queue name): ``<b>`` is shown as
    written, and ``[Verify your account](https://evil.example)`` is shown as written, not as a
    link. Insert a value into a note's Markdown with :func:`escape_markdown` so that its ``*`` or
    ``_`` do not turn into emphasis either, or show a sentence of data with :func:`text`.

    Parameters
    ----------
    md
        Markdown text.

    Returns
    -------
    Html

    Examples
    --------
    >>> note("Weakest: [Verify your account](https://evil.example/login)")._repr_html_().count("<a ")
    0
    >>> "<strong>most</strong>" in note("the **most** repeated reason")._repr_html_()
    True
    """
    import mistune  # nbconvert's markdown parser; imported on use, not at import time

    rendered = str(mistune.create_markdown(escape=True, renderer=_text_renderer())(str(md)))
    markup = (
        '<div class="cxkit-note" style="border-left:4px solid #2B6CB0;background:#F5F9FD;'
        f'padding:6px 12px;margin:0.75em 0;font-size:14px;">{rendered}</div>'
    )
    return Html(str(md), markup)


#: characters Markdown gives a meaning to (CommonMark's ASCII punctuation that can be escaped)
def text(sentence: str) -> Html:
    """A sentence shown exactly as written: no Markdown, HTML escaped. For sentences built
    from data (findings naming a reason or a queue).

    Examples
    --------
    >>> text("Weakest for **<b>billing</b>**")._repr_html_()
    '<p class="cxkit-text">Weakest for **&lt;b&gt;billing&lt;/b&gt;**</p>'
    """
    return Html(str(sentence), f'<p class="cxkit-text">{html.escape(str(sentence))}</p>')


def metric_cards(cards: Sequence[Mapping[str, Any] | Sequence[Any]]) -> Html:
    """Headline numbers as a row of cards.

    Parameters
    ----------
    cards
        Each card is a mapping with ``label``, ``value`` and optional ``format`` (see
        :data:`FORMATS`), ``detail`` (a line under the number, e.g. a :func:`rate`) and
        ``caveats`` (``(verdict, reason)`` pairs printed in the card), or a tuple
        ``(label, value[, detail])``.

    Returns
    -------
    Html

    Examples
    --------
    >>> str(metric_cards([{"label": "Contacts", "value": 4210}, ("FCR", "71.2%")]))
    'Contacts: 4,210; FCR: 71.2%'
    """
    texts: list[str] = []
    boxes: list[str] = []
    for index, card in enumerate(cards):
        if isinstance(card, Mapping):
            if "label" not in card or "value" not in card:
                raise CxkitError(
                    f"display.metric_cards: card {index} has keys {sorted(card)}; expected "
                    "'label' and 'value' (optional 'format', 'detail')."
                )
            label, value = card["label"], card["value"]
            shown = format_value(value, card.get("format", "auto"))
            detail = card.get("detail")
        else:
            items = list(card)
            if len(items) not in (2, 3):
                raise CxkitError(
                    f"display.metric_cards: card {index} has {len(items)} items; expected "
                    "(label, value) or (label, value, detail)."
                )
            label, value = items[0], items[1]
            shown = format_value(value)
            detail = items[2] if len(items) == 3 else None
        texts.append(f"{label}: {shown}")
        detail_html = (
            f'<div style="font-size:12px;color:#52606D;margin-top:2px;">{html.escape(str(detail))}</div>'
            if detail is not None
            else ""
        )
        for verdict, reason in (card.get("caveats", ()) if isinstance(card, Mapping) else ()):
            label_text, border, _ = _BOX_STYLES.get(verdict, _BOX_STYLES["info"])
            texts.append(f"{label_text}: {reason}")
            detail_html += (
                f'<div class="cxkit-card-caveat cxkit-{html.escape(verdict)}" style="font-size:12px;margin-top:6px;'
                f'border-left:3px solid {border};padding-left:6px;color:#3E4C59;"><strong>{html.escape(label_text)}:'
                f"</strong> {html.escape(str(reason))}</div>"
            )
        boxes.append(
            '<div class="cxkit-card" style="flex:1 1 150px;border:1px solid #E4E7EB;'
            'border-radius:6px;padding:10px 14px;background:#FFFFFF;">'
            f'<div style="font-size:13px;color:#52606D;">{html.escape(str(label))}</div>'
            f'<div style="font-size:26px;font-weight:600;color:#1F2933;">{html.escape(shown)}</div>'
            f"{detail_html}</div>"
        )
    markup = (
        '<div class="cxkit-cards" style="display:flex;flex-wrap:wrap;gap:12px;margin:0.75em 0;">'
        + "".join(boxes)
        + "</div>"
    )
    return Html("; ".join(texts), markup)
