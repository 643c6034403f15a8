"""Small helpers for words about counts, with no dependency: errors and reports share them."""

from __future__ import annotations

__all__ = ["plural"]


def plural(n: int, word: str, words: str | None = None) -> str:
    """``'1 team'``, ``'21 agents'``, ``'2 analyses'`` with ``words``.

    >>> plural(1, "problem"), plural(2, "problem"), plural(1_200, "file")
    ('1 problem', '2 problems', '1,200 files')
    """
    return f"{n:,} {word if n == 1 else (words or word + 's')}"
