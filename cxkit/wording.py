"""Small helpers for words about counts, with no dependency: errors and reports share them."""

from __future__ import annotations

__all__ = ["CURRENCY_SYMBOLS", "ROW_NOUNS", "WHOLE_UNITS", "a_year", "days", "first_days", "in_sentence", "money",
           "plural", "share", "yearly", "yearly_note"]


#: Symbols of common currencies; any other code is written before the amount ("ILS 1,234.00").
CURRENCY_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "JPY": "¥"}

#: Currencies without minor units (ISO 4217 exponent 0): ¥850, never ¥850.00.
WHOLE_UNITS = frozenset({"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV",
                         "XAF", "XOF", "XPF"})

#: What one row of each canonical table is, in a reader's words: readiness findings and the
#: "not measured" reasons of the figures name the rows alike. A leg is any contact's leg (a
#: contact of one leg has one), not only a transfer's.
ROW_NOUNS = {"contacts": "contacts", "legs": "contact legs", "cases": "cases", "surveys": "survey responses",
             "qa": "QA evaluations", "intervals": "WFM intervals"}


def money(amount: float, currency: str, decimals: int = 2) -> str:
    """An amount in a currency (its ISO code): the symbol of a common one, else the code; a
    currency without minor units is written in whole units.

    >>> money(17649.8, "GBP"), money(2.02, "ILS"), money(-3034.4, "EUR", 0), money(5, "")
    ('£17,649.80', 'ILS 2.02', '-€3,034', '5.00')
    >>> money(5107.5, "JPY"), money(850, "KRW")
    ('¥5,108', 'KRW 850')
    """
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} " if currency else "")
    if currency in WHOLE_UNITS:
        decimals = 0
    return f"{'-' if amount < 0 else ''}{symbol}{abs(amount):,.{decimals}f}"


def in_sentence(label: str) -> str:
    """A label (a figure's, a result's title) inside a sentence: its first letter lowered unless
    it starts an acronym.

    >>> in_sentence("Case reopens"), in_sentence("FCR by team"), in_sentence("")
    ('case reopens', 'FCR by team', '')
    """
    return label[0].lower() + label[1:] if label[1:2].islower() else label


def plural(n: int, word: str, words: str | None = None) -> str:
    """``'1 team'``, ``'21 agents'``, ``'2 analyses'`` with ``words``.

    >>> plural(1, "problem"), plural(2, "problem"), plural(1_200, "file")
    ('1 problem', '2 problems', '1,200 files')
    """
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def days(n: float) -> str:
    """``'1 day'``, ``'7 days'``, ``'0.5 days'``, ``'1,200 days'``: a number of days in words.

    >>> days(1), days(7.0), days(0.5), days(1200)
    ('1 day', '7 days', '0.5 days', '1,200 days')
    """
    text = f"{n:,.0f}" if float(n).is_integer() else f"{n:g}"
    return f"{text} {'day' if float(n) == 1 else 'days'}"


def first_days(n: float) -> str:
    """The start of a period ``n`` days long, as a reader says it: ``'first day'`` (a 1-day repeat
    window read "the period's first 1 day see"), ``'first 7 days'``, ``'first 0.5 days'``.

    >>> first_days(1), first_days(7.0), first_days(0.5)
    ('first day', 'first 7 days', 'first 0.5 days')
    """
    return "first day" if float(n) == 1 else f"first {days(n)}"


def _scale(n: float) -> int:
    """How a year comes from ``n`` days of data, the one rule every yearly wording follows:
    0 scaled up from fewer days, 1 the period itself (365 days), 2 an average over more."""
    return 1 if float(n) == 365 else (2 if float(n) > 365 else 0)


def a_year(n: float) -> str | None:
    """How a figure over ``n`` days of data is read as a year's, in the words that follow
    "about X a year": an extrapolation over fewer days, an average over more, and None when the
    days are a year (the figure is the year's; there is nothing to scale).

    >>> a_year(30)
    'if the period is typical (x 365 / 30 days, an extrapolation)'
    >>> a_year(365) is None, a_year(730)
    (True, 'on average (x 365 / 730 days)')
    """
    return (f"if the period is typical (x 365 / {days(n)}, an extrapolation)", None,
            f"on average (x 365 / {days(n)})")[_scale(n)]


def yearly(n: float) -> str:
    """How a yearly figure comes from ``n`` days of data, in a word for a label ("A year
    (...)"): scaled up from fewer days, the period's own at a year, an average over more.

    >>> yearly(30), yearly(365), yearly(730)
    ('extrapolated', "the period's own", 'on average')
    """
    return ("extrapolated", "the period's own", "on average")[_scale(n)]


def yearly_note(n: float) -> str:
    """How the yearly figures of ``n`` days of data are read, as a clause.

    >>> yearly_note(30)  # doctest: +NORMALIZE_WHITESPACE
    'a yearly figure is the period figure x 365 / 30 days, an extrapolation that assumes the period
     is typical of the year'
    >>> yearly_note(365)
    "the period is a year: a yearly figure is the period's own, not scaled"
    >>> yearly_note(730)
    'a yearly figure is the period figure x 365 / 730 days, the average year of the period'
    """
    return (f"a yearly figure is the period figure x 365 / {days(n)}, an extrapolation that assumes the period "
            "is typical of the year",
            "the period is a year: a yearly figure is the period's own, not scaled",
            f"a yearly figure is the period figure x 365 / {days(n)}, the average year of the period")[_scale(n)]


def share(fraction: float | None) -> str:
    """A share of a total in words: ``'20%'``, ``'under 1%'``, ``'none'`` (also when unknown).

    >>> share(0.2), share(0.001), share(0), share(None)
    ('20%', 'under 1%', 'none', 'none')
    """
    if fraction is None or fraction == 0:
        return "none"
    return "under 1%" if fraction < 0.005 else f"{fraction:.0%}"
