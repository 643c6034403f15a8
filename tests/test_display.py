"""Tests for cxkit.display: escaping, number formats, caveats, cards and notes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxkit import display
from cxkit.errors import CxkitError

EVIL = "<script>alert('x')</script>"


def test_table_escapes_every_value_caption_and_header() -> None:
    frame = pd.DataFrame({EVIL: [EVIL, "A & B"], "n": [1, 2]})
    html = display.table(frame, caption=EVIL)._repr_html_()
    assert "<script>" not in html
    assert html.count("&lt;script&gt;") == 3  # header, value, caption
    assert "A &amp; B" in html


def test_table_renames_orders_and_formats_columns() -> None:
    frame = pd.DataFrame(
        {"queue": ["Billing"], "contacts": [1234567], "fcr": [0.7123], "aht": [754.0], "cost": [1234.5]}
    )
    t = display.table(
        frame,
        columns={"queue": "Queue", "fcr": "FCR", "aht": "Handle time", "contacts": "Contacts", "cost": "Cost"},
        formats={"fcr": "percent", "aht": "seconds", "contacts": "thousands", "cost": "currency"},
    )
    assert t.header == ("Queue", "FCR", "Handle time", "Contacts", "Cost")
    assert t.rows == (("Billing", "71.2%", "12:34", "1,234,567", "$1,234.50"),)
    assert t.numeric == (False, True, True, True, True)


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (0.7123, "percent", "71.2%"),
        (0.5, "percent0", "50%"),
        (754.4, "seconds", "12:34"),
        (3725, "seconds", "1:02:05"),
        (59.6, "seconds", "1:00"),
        (1234567, "thousands", "1,234,567"),
        (-12.5, "currency", "-$12.50"),
        (1234.5, "currency:€", "€1,234.50"),
        (None, "percent", "–"),
        (float("nan"), "seconds", "–"),
        (pd.NA, "auto", "–"),
        # a NaN of another number type than Python's float: a float32 column read back read "nan%"
        (np.float32("nan"), "percent", "–"),
        (pd.NaT, "auto", "–"),
        ("nan", "auto", "nan"),  # a name from the data, never a missing value
        (1234, "auto", "1,234"),
        (2.5, "auto", "2.50"),
        (pd.Timestamp("2026-11-25"), "auto", "2026-11-25"),
    ],
)
def test_format_value(value: object, kind: str, expected: str) -> None:
    assert display.format_value(value, kind) == expected


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: display.format_value(1, "percentage"), "unknown number format 'percentage'"),
        (lambda: display.format_value("abc", "percent"), "cannot format value of type str as 'percent'"),
        (lambda: display.table(pd.DataFrame({"a": [1]}), columns=["b"]), "column(s) ['b'] not found"),
        (lambda: display.table(pd.DataFrame({"a": [1]}), formats={"b": "percent"}), "formats name column(s) ['b']"),
        (lambda: display.table([1, 2]), "expected a pandas DataFrame, found list"),
        (lambda: display.caveat("fine", "x"), "unknown verdict 'fine'"),
        (lambda: display.metric_cards([{"label": "x"}]), "card 0 has keys ['label']"),
    ],
)
def test_errors_name_the_problem(call, expected: str) -> None:
    with pytest.raises(CxkitError) as info:
        call()
    assert expected in str(info.value)


def test_table_reads_stored_nullable_types_in_words() -> None:
    # stored results hold flags as pandas' nullable boolean and counts as nullable Int64 (one type
    # whatever the data): a flag reads yes or no, as a Python bool does, never True or False, and
    # a count not measured reads as missing, never <NA>
    frame = pd.DataFrame({"suppressed": pd.array([True, False, None], dtype="boolean"),
                          "n": pd.array([1200, None, 3], dtype="Int64")})
    assert display.table(frame).rows == (("yes", "1,200"), ("no", "–"), ("–", "3"))


def test_table_limits_rows_with_a_note() -> None:
    t = display.table(pd.DataFrame({"n": range(10)}), max_rows=3)
    assert len(t.rows) == 3
    assert "7 more rows not shown" in t.to_html()


def test_rate_text() -> None:
    assert str(display.rate(0.712, 0.698, 0.725, 4210)) == "71.2% (95% CI 69.8-72.5%, n = 4,210)"
    assert str(display.rate(None, None, None, 0)) == "not available (n = 0)"
    assert str(display.rate(0.5, None, None, 10)) == "50.0% (n = 10)"
    assert "cxkit-rate" in display.rate(0.5, 0.4, 0.6, 10)._repr_html_()


def test_caveat_box_is_labelled_and_escaped() -> None:
    box = display.caveat("Degraded", f"surveys cover 8% {EVIL}")
    assert str(box).startswith("Degraded: surveys cover 8%")
    html = box._repr_html_()
    assert "<strong>Degraded:</strong>" in html and "<script>" not in html
    assert "Blocked:" in display.caveat("blocked", "no legs table")._repr_html_()


def test_metric_cards_and_note_escape_values() -> None:
    cards = display.metric_cards(
        [{"label": EVIL, "value": 0.712, "format": "percent", "detail": EVIL}, ("Contacts", 4210)]
    )
    assert str(cards) == f"{EVIL}: 71.2%; Contacts: 4,210"
    assert "<script>" not in cards._repr_html_()
    note = display.note(f"**Read this** {EVIL}")
    assert "<strong>Read this</strong>" in note._repr_html_()
    assert "<script>" not in note._repr_html_()
