"""Small helpers for words about counts, with no dependency: errors and reports share them."""

from __future__ import annotations

__all__ = ["days", "plural"]


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
