"""Personal data in what cxkit writes: find it, and keep it out of every output.

Four kinds are looked for. Three by their shape: e-mail addresses, phone numbers (E.164 and
international, North American with or without separators, national numbers with a trunk 0
such as the UK's ``07700 900123``) and card numbers that pass the Luhn check. The fourth by the
engagement's own data: its customer identifiers, held as a set of hashes
(:class:`IdentifierSet`), so that the ids themselves are never kept or written.

* :func:`privacy_scan` reads a rendered page as a reader sees it (text and screen-reader
  labels, per section); :func:`scan_file` and :func:`scan_folder` read every file a command
  writes (HTML, JSON, notebooks, Parquet, plain text) and name the file and the kind, never
  the value.
* :func:`redact` replaces what it finds in a value or a message by its kind (``[e-mail
  address]``), for sample values in findings and for console messages.

Ordinary report text stays clean: dates, times, run ids, counts with separators, percentages
and confidence intervals match none of the patterns (see the examples and the tests).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "IdentifierSet",
    "KINDS",
    "privacy_scan",
    "redact",
    "scan_file",
    "scan_folder",
    "scan_text",
]

#: What the scan reports, in this order.
KINDS: tuple[str, ...] = ("e-mail address", "phone number", "card number", "customer identifier")

# --------------------------------------------------------------------------------------------
# patterns
# --------------------------------------------------------------------------------------------

# letters of any script (josé.garcía@correo.es), the top-level domain letters only
_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}\b")

#: Spaces and dashes other than ASCII's, each read as its ASCII form (one character for one, so
#: a match's place is its place in the text): a number written with no-break or thin spaces
#: ("4111 1111 1111 1111" as a spreadsheet or a CRM writes it) is the same number.
_SEPARATORS = str.maketrans({**{c: " " for c in "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                                              "\u2007\u2008\u2009\u200a\u202f\u205f\u3000"},
                             **{c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d"}})

#: (pattern, fewest digits, most digits). Separators inside national numbers are spaces and
#: hyphens only: dots and slashes are how dates and decimals are written.
_PHONES: tuple[tuple[re.Pattern[str], int, int], ...] = (
    # E.164 and international: +447700900123, +44 20 7946 0958, +1 (415) 555-0123, +33 6 12 34 56 78
    (re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,6}(?![\w])"), 8, 15),
    # North American with separators: (415) 555-0123, 415-555-0123, 415.555.0123, 1-415-555-0123
    (re.compile(r"(?<![\w.,-])(?:1[ .-])?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w%]|[.,]\d)"), 10, 11),
    # North American bare: 3125550199, 13125550199 (area code and exchange start with 2-9)
    (re.compile(r"(?<![\w.,+-])1?[2-9]\d{2}[2-9]\d{6}(?![\w%]|[.,]\d)"), 10, 11),
    # national with a trunk 0: 07700 900123, 07700900123, 020 7946 0958, (020) 7946 0958,
    # 06 12 34 56 78, 030 1234567, 0412 345 678, 0044 7700 900123
    (re.compile(r"(?<![\w.,+-])(?:\(0\d{1,4}\)|0\d{1,4})(?:[ -]?\d{2,8}){1,4}(?![\w%:]|[.,/]\d)"), 10, 14),
    # international with 00 instead of +, up to E.164's 15 digits after it: 0049 151 23456789
    (re.compile(r"(?<![\w.,+-])00[1-9]\d{0,2}(?:[ -]?\d{1,8}){1,5}(?![\w%:]|[.,/]\d)"), 10, 17),
    # French, in pairs with dots: 06.12.34.56.78 (five groups: no date or decimal is written so)
    (re.compile(r"(?<![\w.,+-])0\d(?:\.\d{2}){4}(?![\w]|[.,]\d)"), 10, 10),
)

_CARD = re.compile(r"(?<![\w.,-])\d(?:[ -]?\d){12,18}(?![\w%])")


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _looks_like_card(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    groups = re.split(r"[ -]", candidate)
    if len(groups) > 1:
        # Card numbers are printed in groups (4-4-4-4, 4-6-5, ...), never in ones and twos.
        separators = set(re.findall(r"[ -]", candidate))
        if len(separators) > 1 or len(groups[0]) != 4 or any(not 3 <= len(g) <= 6 for g in groups):
            return False
    return _luhn_valid(digits)


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _pattern_spans(line: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, kind) of every e-mail address, phone number and card number in ``line``."""
    line = line.translate(_SEPARATORS)
    for match in _EMAIL.finditer(line):
        yield match.start(), match.end(), "e-mail address"
    for pattern, low, high in _PHONES:
        for match in pattern.finditer(line):
            if low <= _digits(match.group(0)) <= high:
                yield match.start(), match.end(), "phone number"
    for match in _CARD.finditer(line):
        if _looks_like_card(match.group(0)):
            yield match.start(), match.end(), "card number"


# --------------------------------------------------------------------------------------------
# the engagement's own customer identifiers
# --------------------------------------------------------------------------------------------

#: Characters that end a token when looking for identifiers in text.
_TOKEN = re.compile(r"[^\s,;:|=/\\()\[\]{}<>\"'`]+")
_TRIM = ".!?*_~"
_NGRAM = 3  # ids written with spaces inside ("07700 900123") are found up to three parts


class IdentifierSet:
    """The engagement's customer identifiers as a set of hashes: is this text one of them?

    Only the first 64 bits of each id's MD5 are kept, in memory; the ids are never stored or
    written. An id is looked for when it is at least :attr:`MIN_LENGTH` characters long and
    holds a digit: shorter or wordlike ids ("12", "unknown") would match ordinary report text.

    Examples
    --------
    >>> ids = IdentifierSet.of_values(["CU0000131", "7191646", "x1"])
    >>> len(ids), "CU0000131" in ids, "CU0000132" in ids, "x1" in ids
    (2, True, False, False)
    >>> ids.count_in("Weakest reason: CU0000131 (n = 40)")
    1
    >>> redact("Weakest reason: CU0000131.", ids)
    'Weakest reason: [customer identifier].'
    """

    MIN_LENGTH = 5

    def __init__(self, hashes: Iterable[int] | np.ndarray = ()):
        # sorted, each once; not np.unique, which took 4.9 s for the 4.85M hashes of a
        # 10M-contact engagement (numpy 2.4) where a sort takes 0.3 s
        values = np.sort(np.asarray(list(hashes) if not isinstance(hashes, np.ndarray) else hashes, dtype=np.uint64))
        self._hashes = values[np.concatenate(([True], values[1:] != values[:-1]))] if values.size else values

    def __len__(self) -> int:
        return int(self._hashes.size)

    def __repr__(self) -> str:
        return f"IdentifierSet({len(self)} hashed ids)"

    @classmethod
    def eligible(cls, value: str) -> bool:
        """Whether an id is long and specific enough to be looked for."""
        value = value.strip()
        return len(value) >= cls.MIN_LENGTH and any(ch.isdigit() for ch in value)

    @staticmethod
    def digest(value: str) -> int:
        """The hash kept for an id (the engine computes the same: MD5 hex, first 16 digits)."""
        return int(hashlib.md5(value.strip().encode("utf-8")).hexdigest()[:16], 16)

    @classmethod
    def of_values(cls, values: Iterable[Any]) -> IdentifierSet:
        """The set of the given ids (tests, small frames)."""
        return cls(cls.digest(str(v)) for v in values if v is not None and cls.eligible(str(v)))

    @classmethod
    def from_tables(cls, tables: Iterable[tuple[Any, str]]) -> IdentifierSet:
        """The set of every distinct id in the given ``(ibis table, column)`` pairs, hashed in
        the engine: only 16-hex-digit hashes leave it (8 bytes per distinct id once parsed)."""
        import ibis

        parts = [table.select(v=table[column].cast("string")) for table, column in tables]
        if not parts:
            return cls()
        # distinct values first: a customer's id is on many rows, hashed once; two values that
        # differ only by surrounding blanks give one hash, kept once. The test of an id (long
        # enough, holding a digit) is no filter: DuckDB moves a filter on the distinct values
        # below the DISTINCT, into the scans, and then trims and tests every row of every
        # export (the 11M legs of a 10M-contact engagement) where a hash for the ids that pass
        # and a null for the others needs it once per distinct id (at 10M: 3.5-4.1 against
        # 5.8-6.3 s for the whole set, measured alternately; trimming before the distinct, or only
        # where an edge is blank, was no faster)
        raw = (parts[0] if len(parts) == 1 else ibis.union(*parts)).distinct()
        ids = raw.select(v=raw.v.strip())
        keep = ids.v.notnull() & (ids.v.length() >= cls.MIN_LENGTH) & ids.v.re_search("[0-9]")
        digest = ibis.ifelse(keep, ids.v.hexdigest("md5").substr(0, 16), ibis.null("string"))
        hexes = ids.select(h=digest).to_pyarrow().column("h").to_pylist()
        # 16 hex digits each: read as big-endian 64-bit integers in one pass
        joined = "".join(h for h in hexes if h)
        return cls(np.frombuffer(bytes.fromhex(joined), dtype=">u8").astype(np.uint64))

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, str) or not self._hashes.size or not self.eligible(value):
            return False
        h = np.uint64(self.digest(value))
        i = int(np.searchsorted(self._hashes, h))
        return i < self._hashes.size and self._hashes[i] == h

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every id in ``text``: tokens and runs of up to three tokens."""
        if not self._hashes.size or not any(ch.isdigit() for ch in text):
            return []
        tokens = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(text)]
        found: list[tuple[int, int]] = []
        for i in range(len(tokens)):
            for n in range(1, _NGRAM + 1):
                if i + n > len(tokens):
                    break
                start, end = tokens[i][0], tokens[i + n - 1][1]
                if n > 1 and not text[tokens[i][1]:tokens[i + 1][0]].isspace():
                    break
                candidate = text[start:end]
                stripped = candidate.strip(_TRIM)
                if candidate in self or (stripped != candidate and stripped in self):
                    offset = candidate.find(stripped) if candidate not in self else 0
                    length = len(candidate) if candidate in self else len(stripped)
                    found.append((start + offset, start + offset + length))
        return found

    def count_in(self, text: str) -> int:
        """How many ids ``text`` holds (overlapping runs counted once)."""
        return len(_merge(self.spans(text)))


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


# --------------------------------------------------------------------------------------------
# text
# --------------------------------------------------------------------------------------------


def scan_text(text: str, identifiers: IdentifierSet | None = None) -> Counter[str]:
    """Occurrences of each kind of personal data in plain ``text`` (a Counter keyed by kind).

    Examples
    --------
    >>> dict(scan_text("call 07700 900123 or 3125550199, write to a@example.com"))
    {'e-mail address': 1, 'phone number': 2}
    >>> dict(scan_text("71.2% (95% CI 69.8-72.5%, n = 4,210) from 2026-03-01 to 2026-03-31, 12:34"))
    {}
    """
    found: Counter[str] = Counter()
    for line in str(text).splitlines():
        spans = list(_pattern_spans(line))
        for kind in KINDS[:3]:
            found[kind] += len(_merge((s, e) for s, e, k in spans if k == kind))
        if identifiers is not None:
            taken = _merge((s, e) for s, e, _ in spans)
            ids = [span for span in _merge(identifiers.spans(line)) if not _inside(span, taken)]
            found["customer identifier"] += len(ids)
    return +found


def _inside(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(s <= span[0] and span[1] <= e for s, e in spans)


def redact(text: Any, identifiers: IdentifierSet | None = None) -> str:
    """``text`` with every e-mail address, phone number, card number and customer id replaced
    by its kind in brackets.

    Examples
    --------
    >>> redact("Call 07700 900123 or write to jane@example.com; card 4111 1111 1111 1111")
    'Call [phone number] or write to [e-mail address]; card [card number]'
    >>> redact("71.2% (95% CI 69.8-72.5%, n = 4,210)")
    '71.2% (95% CI 69.8-72.5%, n = 4,210)'
    """
    text = str(text)
    out_lines = []
    for line in text.split("\n"):
        spans = [(s, e, k) for s, e, k in _pattern_spans(line)]
        if identifiers is not None:
            spans += [(s, e, "customer identifier") for s, e in identifiers.spans(line)]
        if not spans:
            out_lines.append(line)
            continue
        # longest first at each start, then drop spans inside one already replaced
        spans.sort(key=lambda x: (x[0], -(x[1] - x[0])))
        pieces, cursor = [], 0
        for start, end, kind in spans:
            if start < cursor:
                continue
            pieces.append(line[cursor:start])
            pieces.append(f"[{kind}]")
            cursor = end
        pieces.append(line[cursor:])
        out_lines.append("".join(pieces))
    return "\n".join(out_lines)


# --------------------------------------------------------------------------------------------
# rendered pages
# --------------------------------------------------------------------------------------------

_SKIPPED_ELEMENTS = frozenset({"style", "script", "head", "defs", "template", "noscript"})
_SCANNED_ATTRIBUTES = frozenset({"aria-label", "title", "alt", "aria-description", "value", "placeholder"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


class _TextBySection(HTMLParser):
    """Collects what a reader sees (text, plus labels read out by screen readers) per heading."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.section = "(before the first heading)"
        self.chunks: list[tuple[str, str]] = []
        self._skip_depth = 0
        self._heading: list[str] | None = None

    def _attributes(self, attrs: list[tuple[str, str | None]]) -> None:
        if not self._skip_depth:
            for name, value in attrs:
                if name in _SCANNED_ATTRIBUTES and value:
                    self.chunks.append((self.section, value))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self._skip_depth += 1
        else:
            self._attributes(attrs)
        if tag in _HEADINGS and not self._skip_depth:
            self._heading = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attributes(attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_ELEMENTS and self._skip_depth:
            self._skip_depth -= 1
        if tag in _HEADINGS and self._heading is not None:
            text = " ".join("".join(self._heading).split()).rstrip("¶").strip()
            if text:
                self.section = text
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._skip_depth or not data.strip():
            return
        if self._heading is not None:
            self._heading.append(data)
        self.chunks.append((self.section, data))


def _html_chunks(html_text: str) -> list[tuple[str, str]]:
    parser = _TextBySection()
    parser.feed(html_text)
    parser.close()
    return parser.chunks


def _plural(kind: str, where: str, count: int) -> str:
    return f"{kind} in {where} ({count} occurrence{'s' if count > 1 else ''})"


def privacy_scan(html_text: str, identifiers: IdentifierSet | None = None) -> list[str]:
    """Find personal data in what a reader of a rendered report sees.

    Scans text content and the labels screen readers announce (``aria-label``, ``title``,
    ``alt``); ignores style sheets, scripts and SVG geometry (path data, coordinates).

    Parameters
    ----------
    html_text
        A rendered report.
    identifiers
        The engagement's customer ids (:class:`IdentifierSet`); without it only the shapes
        (e-mail, phone, card) are looked for.

    Returns
    -------
    list of str
        One line per kind and section, e.g. ``"e-mail address in section 'Resolution' (2
        occurrences)"``; never the value itself. Empty when nothing was found.

    Examples
    --------
    >>> privacy_scan("<h2>Queues</h2><p>Call 415-555-0123 or write to a@example.com</p>")
    ["e-mail address in section 'Queues' (1 occurrence)", "phone number in section 'Queues' (1 occurrence)"]
    >>> privacy_scan("<h2>Queues</h2><td>07700 900123</td><td>3125550199</td>")
    ["phone number in section 'Queues' (2 occurrences)"]
    >>> privacy_scan("<h2>FCR</h2><p>71.2% (95% CI 69.8-72.5%, n = 4,210) on 2026-11-25</p>")
    []
    """
    found: Counter[tuple[str, str]] = Counter()
    for section, text in _html_chunks(html_text):
        for kind, count in scan_text(text, identifiers).items():
            found[(kind, section)] += count
    order = {kind: i for i, kind in enumerate(KINDS)}
    return [
        _plural(kind, f"section {section!r}", count)
        for (kind, section), count in sorted(found.items(), key=lambda kv: order[kv[0][0]])
    ]


# --------------------------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------------------------

#: Static assets written by libraries (Great Expectations' site), never from data.
_ASSET_SUFFIXES = frozenset({".js", ".css", ".map", ".woff", ".woff2", ".ttf", ".eot", ".png", ".jpg", ".jpeg",
                             ".gif", ".ico"})


def _json_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _json_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _json_strings(v)


def _notebook_texts(nb: dict[str, Any]) -> Iterator[str]:
    """What a notebook shows: markdown, outputs (HTML read as a reader sees it). Code is cxkit's."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") in ("markdown", "raw"):
            yield "".join(cell.get("source", []))
            continue
        for output in cell.get("outputs", []):
            if "text" in output:
                yield "".join(output["text"]) if isinstance(output["text"], list) else str(output["text"])
            for key in ("ename", "evalue"):
                if key in output:
                    yield str(output[key])
            for line in output.get("traceback", []):
                yield re.sub(r"\x1b\[[0-9;]*m", "", str(line))
            for mime, data in output.get("data", {}).items():
                text = "".join(data) if isinstance(data, list) else data
                if mime in ("text/html", "image/svg+xml"):
                    yield from (chunk for _, chunk in _html_chunks(str(text)))
                elif isinstance(text, str):
                    yield text
                else:
                    yield from _json_strings(text)


def _file_texts(path: Path) -> Iterator[str]:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        for name, column in zip(table.column_names, table.columns, strict=True):
            yield name
            if column.type in ("string", "large_string") or str(column.type) in ("string", "large_string"):
                yield from (v for v in column.to_pylist() if v is not None)
        return
    raw = path.read_bytes()
    if b"\x00" in raw[:8192]:
        return  # binary (an image, a database file): nothing cxkit wrote from data as text
    text = raw.decode("utf-8", errors="replace")
    if suffix in (".html", ".htm", ".svg", ".xml"):
        yield from (chunk for _, chunk in _html_chunks(text))
    elif suffix in (".json", ".ipynb"):
        try:
            parsed = json.loads(text)
        except ValueError:
            yield text
            return
        if suffix == ".ipynb" and isinstance(parsed, dict):
            yield from _notebook_texts(parsed)
        else:
            yield from _json_strings(parsed)
    else:
        yield text


def scan_file(path: str | Path, identifiers: IdentifierSet | None = None, *, name: str | None = None) -> list[str]:
    """Personal data in one written file, one line per kind: ``"card number in readiness.json
    (1 occurrence)"``. HTML is read as a reader sees it, JSON by its string values, a notebook
    by its markdown and outputs, Parquet by its text columns, anything else as text."""
    path = Path(path)
    found: Counter[str] = Counter()
    for text in _file_texts(path):
        found.update(scan_text(text, identifiers))
    where = name or path.name
    return [_plural(kind, where, found[kind]) for kind in KINDS if found[kind]]


def scan_folder(folder: str | Path, identifiers: IdentifierSet | None = None) -> list[str]:
    """Personal data in every file under ``folder`` (library assets such as .js and .css
    excepted), each named relative to ``folder``."""
    folder = Path(folder)
    findings: list[str] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        if path.suffix.lower() in _ASSET_SUFFIXES:
            continue
        findings += scan_file(path, identifiers, name=path.relative_to(folder).as_posix())
    return findings
