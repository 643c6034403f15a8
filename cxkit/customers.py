"""Customer ids that are not one customer: shared, test or default ids with implausibly many contacts.

A switchboard number, a test account or a default id written when the caller was not identified
can hold thousands of contacts. Read as one customer, each of its contacts is a repeat of the one
before: one such id took FCR from 67% to 5% with no other sign. Such ids are found by their
volume (more contacts in the period than a person makes: ``resolution.max_contacts_per_customer_per_day``
times the period's days), counted by readiness (how many ids, how many contacts they hold, never
the ids) and, by default (``resolution.exclude_implausible_customers``), read as unidentified by
the session, so repeat metrics leave their contacts out while volumes and handle times keep them.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

__all__ = [
    "BLANK_CHARACTERS",
    "PLACEHOLDER_IDS",
    "identified",
    "identified_sql",
    "comparable_sql",
    "implausible_customers",
    "implausible_summary",
    "back_to_back_summary",
    "number_writings",
    "without_implausible_customers",
]

#: the characters ibis's ``strip()`` removes: an id made only of them is blank, as is any value
#: of them only (:func:`cxkit.loading.blank_as_null_sql`)
BLANK_CHARACTERS = " \t\n\r\x0b\x0c"
#: what a phone system or a form writes where it has no customer id: a caller who withheld the
#: number ("Anonymous", "Restricted", "Private", "Unavailable", "Withheld", "Blocked" are the
#: carriers' placeholders), or a field left at its default ("unknown", "none", "null", "n/a",
#: dashes). Read as no id, in any case and with blanks around: as one customer they turn every
#: such contact into a repeat of the one before
PLACEHOLDER_IDS = (
    "anonymous", "restricted", "private", "private number", "unavailable", "unknown", "withheld", "blocked",
    "no caller id", "not available", "none", "null", "n/a", "-",
)
_NAMES = "(" + "|".join(v.replace("/", "/?").replace("-", "-+") for v in PLACEHOLDER_IDS) + ")"
#: a platform that writes the caller as a URI writes a withheld number so too: ``tel:anonymous``,
#: or the SIP form RFC 3323 gives an anonymous caller, ``sip:anonymous@anonymous.invalid``
_PLACEHOLDER = (f"(?i)^[{BLANK_CHARACTERS}]*((tel:)?{_NAMES}|sips?:{_NAMES}(@[^{BLANK_CHARACTERS}]*)?)"
                f"[{BLANK_CHARACTERS}]*$")


def identified(customer_id: ir.StringValue) -> ir.BooleanValue:
    """Whether a customer id is given: not null, not blank and not a placeholder
    (:data:`PLACEHOLDER_IDS`, such as "Anonymous"); null for a null id.

    The blank test is ``customer_id.strip() != ""``, written as a search for one non-blank
    character: DuckDB's TRIM with a character set took 2.8 s over 10 million ids, this 0.65 s.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"k": ["K1", "", " \t", " K2 ", None, "Anonymous", " RESTRICTED", "N/A", "Anne"]})
    >>> ibis.duckdb.connect().execute(t.select(i=identified(t.k).fill_null(False))).i.tolist()
    [True, False, False, True, False, False, False, False, True]
    """
    present = customer_id.re_search(f"[^{BLANK_CHARACTERS}]")
    return customer_id.notnull() & present & ~customer_id.re_search(_PLACEHOLDER)


def identified_sql(expr: str) -> str:
    """SQL (DuckDB dialect text) for the customer id text ``expr`` with a blank or placeholder
    id (:data:`PLACEHOLDER_IDS`) read as null.

    The loader applies it before the keyed pseudonym: a pseudonym hides what it hashes, so an
    id made only of blanks (a padded field, a space typed into a mandatory box) or a caller
    shown as "Anonymous" would become one customer holding every such contact, each a repeat of
    the one before. Null stays null.

    Examples
    --------
    >>> import duckdb
    >>> v = "('K1'), ('  '), (' K2 '), (NULL), ('anonymous'), ('Private Number'), ('tel:Anonymous')"
    >>> duckdb.sql(f"SELECT {identified_sql('x')} AS k FROM (VALUES {v}) v(x)").fetchall()
    [('K1',), (None,), (' K2 ',), (None,), (None,), (None,), (None,)]
    """
    return (f"CASE WHEN regexp_matches({expr}, '[^{BLANK_CHARACTERS}]') "
            f"AND NOT regexp_matches({expr}, '{_PLACEHOLDER}') "
            f"THEN {expr} END")


def comparable_sql(expr: str) -> str:
    """SQL (DuckDB dialect text) for the customer id text ``expr`` as the loader compares it: an
    e-mail address (holding ``@``) in lower case, any other id as written.

    A mailbox does not change with the case it is typed in: ``Anna.Smith@Example.com`` and
    ``anna.smith@example.com`` are one customer, and read as two every return between them was
    not a repeat. Other ids keep their case (an account code ``AB12`` is not ``ab12``).

    Examples
    --------
    >>> import duckdb
    >>> v = "('Anna.Smith@EXAMPLE.com'), ('AB12'), (NULL)"
    >>> duckdb.sql(f"SELECT {comparable_sql('x')} AS k FROM (VALUES {v}) v(x)").fetchall()
    [('anna.smith@example.com',), ('AB12',), (None,)]
    """
    return f"CASE WHEN ({expr}) LIKE '%@%' THEN lower({expr}) ELSE {expr} END"


def implausible_customers(contacts: ir.Table, max_contacts: int) -> ir.Table:
    """The customer ids holding more than ``max_contacts`` contacts, with their count.

    Parameters
    ----------
    contacts
        Canonical contacts (of the period).
    max_contacts
        The most contacts one customer can plausibly have in that period.

    Returns
    -------
    Table
        ``customer_id``, ``contacts``: one row per implausible id (lazy; never shown: ids stay
        in the engine).

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> rows = [{"contact_id": f"s{i}", "customer_id": "SHARED1"} for i in range(5)]
    >>> rows += [{"contact_id": "a", "customer_id": "K1"}, {"contact_id": "b", "customer_id": None}]
    >>> implausible_customers(canonical_memtable("contacts", rows), max_contacts=3).execute().values.tolist()
    [['SHARED1', 5]]
    """
    t = contacts.filter(identified(contacts.customer_id))
    counts = t.group_by("customer_id").aggregate(contacts=t.count())
    return counts.filter(counts.contacts > int(max_contacts))


def without_implausible_customers(contacts: ir.Table, max_contacts: int) -> ir.Table:
    """``contacts`` with the customer id of implausible ids read as unknown (null).

    The contacts stay (volumes, service level and handle time count them); repeat-based
    metrics, journeys and follow-through treat them as unidentified callers.

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> rows = [{"contact_id": f"s{i}", "customer_id": "SHARED1"} for i in range(5)]
    >>> rows += [{"contact_id": "a", "customer_id": "K1"}]
    >>> t = without_implausible_customers(canonical_memtable("contacts", rows), max_contacts=3)
    >>> t.order_by("contact_id").execute().customer_id.fillna("-").tolist()
    ['K1', '-', '-', '-', '-', '-']
    """
    heavy = implausible_customers(contacts, max_contacts).select(cx_heavy_id="customer_id")
    joined = contacts.left_join(heavy, contacts.customer_id == heavy.cx_heavy_id)
    cleaned = joined.mutate(
        customer_id=ibis.ifelse(joined.cx_heavy_id.isnull(), joined.customer_id, ibis.null("string"))
    )
    return cleaned.select(*contacts.columns)


def _whole(value: Any) -> int:
    """A count from an aggregate row: a sum over no row (null or NaN) is 0."""
    return 0 if value is None or value != value else int(value)


def implausible_summary(contacts: ir.Table, max_contacts: int) -> dict[str, Any]:
    """How many implausible ids there are and how many contacts they hold (executed: a few
    numbers, never the ids), from one grouping by customer id.

    Also, among the other ids (the ones repeat metrics read): ``inbound`` identified inbound
    contacts and ``recurring`` those whose id is on another contact of ``contacts``, for the
    readiness checks that an id identifies a customer, not a contact
    (``contacts.customer_id.recurs``), and ``channels``: the same two counts per channel (a
    channel outside the canonical codes, or none, under ``other``), counted in the same grouping.

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> rows = [{"contact_id": f"s{i}", "customer_id": "SHARED1", "direction": "inbound"} for i in range(5)]
    >>> rows += [{"contact_id": "a", "customer_id": "K1", "direction": "inbound"},
    ...          {"contact_id": "b", "customer_id": "K1", "direction": "outbound"},
    ...          {"contact_id": "c", "customer_id": "K2", "direction": "inbound"}]
    >>> s = implausible_summary(canonical_memtable("contacts", rows), max_contacts=3)
    >>> {k: v for k, v in s.items() if k != "channels"}
    {'ids': 1, 'contacts': 5, 'all_contacts': 8, 'max_contacts': 3, 'inbound': 2, 'recurring': 1}
    >>> s["channels"]["other"]  # the rows give no channel
    {'inbound': 2, 'recurring': 1}
    """
    from cxkit.schema import TABLES

    t = contacts.filter(identified(contacts.customer_id))
    inbound = t.direction == "inbound"
    codes = TABLES["contacts"].column("channel").values
    by_channel = {code: t.channel == code for code in codes} | {"other": ~t.channel.isin(codes).fill_null(False)}
    counts = t.group_by("customer_id").aggregate(
        n=t.count(),
        inbound=t.count(where=inbound),
        **{f"cx_in_{name}": t.count(where=inbound & is_channel) for name, is_channel in by_channel.items()},
    )
    heavy = counts.n > int(max_contacts)
    recurs = ~heavy & (counts.n >= 2)
    row = counts.aggregate(
        ids=counts.count(where=heavy),
        held=counts.n.sum(where=heavy),
        inbound=counts.inbound.sum(where=~heavy),
        recurring=counts.inbound.sum(where=recurs),
        **{f"cx_in_{name}": counts[f"cx_in_{name}"].sum(where=~heavy) for name in by_channel},
        **{f"cx_re_{name}": counts[f"cx_in_{name}"].sum(where=recurs) for name in by_channel},
    ).execute().iloc[0]
    return {
        "ids": _whole(row["ids"]),
        "contacts": _whole(row["held"]),
        "all_contacts": int(contacts.count().execute()),
        "max_contacts": int(max_contacts),
        "inbound": _whole(row["inbound"]),
        "recurring": _whole(row["recurring"]),
        "channels": {name: {"inbound": _whole(row[f"cx_in_{name}"]), "recurring": _whole(row[f"cx_re_{name}"])}
                     for name in by_channel},
    }


def back_to_back_summary(contacts: ir.Table, max_contacts: int, seconds: float) -> dict[str, int]:
    """How many identified inbound contacts start as the customer's previous contact ends: a
    transfer recorded as a new contact (executed: two counts, never an id).

    ``inbound``: identified inbound contacts of the ids repeat metrics read (ids holding more
    than ``max_contacts`` contacts left out, as :func:`implausible_summary` leaves them out);
    ``back_to_back``: those arriving no more than ``seconds`` before or after the effective end
    (``ended_at``, the arrival when it is absent or earlier) of the same customer's contact that
    arrived just before, of any direction. A person who hangs up does not call, chat or write
    again within seconds; a transfer leg recorded under its own contact id does, at the instant
    the previous leg ends (a cold transfer) or a few seconds around it.

    Examples
    --------
    >>> from cxkit.testing import canonical_memtable
    >>> def c(i, k, arrived, ended, direction="inbound"):
    ...     return {"contact_id": i, "customer_id": k, "direction": direction,
    ...             "arrived_at": f"2026-03-02 {arrived}", "ended_at": f"2026-03-02 {ended}"}
    >>> rows = [c("a", "K1", "09:00:00", "09:05:00"), c("b", "K1", "09:05:00", "09:09:00"),  # leg b at a's end
    ...         c("x", "K1", "09:09:11", "09:12:00"),                                        # 11 s after b's end
    ...         c("d", "K2", "10:00:00", "10:03:00"), c("e", "K2", "10:02:50", "10:06:00"),  # 10 s before d's end
    ...         c("f", "K2", "10:06:05", "10:07:00", "outbound")]                             # outbound: not judged
    >>> back_to_back_summary(canonical_memtable("contacts", rows), max_contacts=10, seconds=10)
    {'inbound': 5, 'back_to_back': 2}
    """
    from cxkit.resolution import effective_end  # resolution imports this module

    t = contacts.filter(identified(contacts.customer_id))
    t = t.select("customer_id", "contact_id", "arrived_at", "direction", _end=effective_end(t))
    # the contact that arrived just before, by one sort of each customer's contacts (ties in
    # arrival ordered by contact id, so every engine reads the same one)
    before = ibis.window(group_by=t.customer_id, order_by=[t.arrived_at, t.contact_id])
    t = t.mutate(_previous_end=t._end.lag().over(before), _n=t.count().over(ibis.window(group_by=t.customer_id)))
    judged = (t.direction == "inbound") & (t._n <= int(max_contacts))
    near = ibis.interval(seconds=int(seconds))
    close = judged & (t.arrived_at >= t._previous_end - near) & (t.arrived_at <= t._previous_end + near)
    row = t.aggregate(inbound=t.count(where=judged.fill_null(False)),
                      back_to_back=t.count(where=close.fill_null(False))).execute().iloc[0]
    return {"inbound": int(row["inbound"]), "back_to_back": int(row["back_to_back"])}


#: what may be written between a number's digits ("+44 (0)7700 900-001")
_NUMBER_MARKS = " ().-/+"
_DIGITS = "0123456789"


def _number_digits(x: ir.StringValue) -> ir.StringValue:
    """An id's digits: a tel: URI's scheme (Genesys writes callers so) and the characters written
    between the digits deleted (no regular expression: three of them took 10 s over 5 million ids)."""
    return x.lower().replace("tel:", "").translate(_NUMBER_MARKS, "")


def _is_number(digits: ir.StringValue) -> ir.BooleanValue:
    """Whether an id's :func:`_number_digits` are a number: only digits, 7 to 15 of them."""
    return ((digits.translate(_DIGITS, "") == "") & digits.length().between(7, 15)).fill_null(False)


def number_writings(ids: ir.Table, *, sample: int = 10_000, core_digits: int = 9,
                    max_rows: int = 1_000_000) -> dict[str, Any]:
    """How many of the customer ids that are numbers (phone numbers, account numbers) are also
    written another way (executed in the engine: counts, never an id).

    ``ids``: one column ``customer_id``, the ids as the export writes them (before their
    pseudonyms: :meth:`cxkit.loading.LoadReport.identifier_table`). An id is a number when it
    holds only digits and the characters written between them (spaces, dashes, dots, brackets,
    a slash, a +; a tel: URI's scheme before them) and 7 to 15 digits. Two writings are one
    number when their last ``core_digits`` digits agree and they differ only in what a number's
    writing adds: the
    characters between the digits, a leading + or 00 with a country code, a leading 0 ("+44
    7700 900001", "0044 7700 900001", "07700 900001" and "07700900001" are one number, each a
    customer of its own once pseudonymised), or the leading 1 of an 11-digit number (North
    America's country code without its +: "16175550101" and "617-555-0101"). Other plain numbers
    of different lengths ("123456789" and "5123456789") are two numbers.

    Returns ``numbers``: distinct writings that are numbers; ``several``: those whose number is
    also written another way; ``number_share``: of the first ``sampled`` ids (at most
    ``sample``), the share that are numbers (under half: the ids are not numbers and are not
    looked at further, ``numbers`` and ``several`` are 0); ``kept``: the share of numbers
    counted. Over more than ``max_rows`` ids only the numbers whose writing ends in the first
    ``kept`` x 100 pairs of digits ("00" to "08" of 11 million ids) are counted: every writing of
    a number ends in the same two digits, so a number's writings are counted together or not at
    all, and the share is that of all numbers up to sampling error (11 million ids written as
    numbers: 2.6 s instead of 9, 41.25% written another way against 41.26%).

    Examples
    --------
    >>> import ibis
    >>> ids = ibis.memtable({"customer_id": ["+44 7700 900001", "07700900001", "07700 900001", "+447700900002",
    ...                                      "tel:+447700900002", "07700900003", "07700900003", "123456789",
    ...                                      "5123456789", "16175550101", "617-555-0101", "ACC-1", None]})
    >>> number_writings(ids)
    {'numbers': 10, 'several': 7, 'number_share': 0.9167, 'sampled': 12, 'kept': 1.0}
    >>> number_writings(ids, max_rows=5)  # 13 ids: the numbers ending 00 to 37 (38 in 100)
    {'numbers': 8, 'several': 7, 'number_share': 0.9167, 'sampled': 12, 'kept': 0.38}
    """
    raw = ids.customer_id.cast("string").strip()
    t = ids.select(raw=raw)
    t = t.filter(t.raw.notnull() & (t.raw != ""))
    head = t.limit(sample)
    row = head.aggregate(n=head.count(), numbers=head.count(where=_is_number(_number_digits(head.raw)))).execute()
    row = row.iloc[0]
    sampled = int(row["n"])
    share = round(int(row["numbers"]) / sampled, 4) if sampled else 0.0
    if share < 0.5:
        return {"numbers": 0, "several": 0, "number_share": share, "sampled": sampled, "kept": 1.0}
    rows = int(ids.count().execute())
    pairs = 100 if rows <= max_rows else max(1, 100 * max_rows // rows)
    if pairs < 100:
        t = t.filter(t.raw.right(2).isin([f"{i:02d}" for i in range(pairs)]))
    # each writing once (a caller's id is on many contacts), computed once in the engine's cache:
    # over 11 million ids, unsampled, DuckDB took 15 s for it as one query, 9 s in these steps
    with t.distinct().cache() as writings:
        counts = _writings_of_numbers(writings, core_digits)
    return counts | {"number_share": share, "sampled": sampled, "kept": pairs / 100}


def _writings_of_numbers(w: ir.Table, core_digits: int) -> dict[str, int]:
    """:func:`number_writings`' counts over each writing of an id once (column ``raw``)."""
    w = w.select("raw", _digits=_number_digits(w.raw))
    w = w.filter(_is_number(w._digits))
    # a prefix a number's writing adds: + or 00 (a country code follows), a leading 0 (trunk),
    # or North America's country code 1 written without its + (11 digits: "1 617 555 0101")
    nanp = (w._digits.length() == 11) & w._digits.startswith("1")
    w = w.mutate(_core=w._digits.right(core_digits),
                 _prefixed=w.raw.startswith("+") | w._digits.startswith("0") | nanp)
    # by digits, then by number: two groupings, no distinct count within a group
    by_digits = w.group_by(["_core", "_digits"]).aggregate(writings=w.count(), prefixed=w._prefixed.any())
    per_core = by_digits.group_by("_core").aggregate(
        writings=by_digits.writings.sum(), digit_strings=by_digits.count(), prefixed=by_digits.prefixed.any())
    # one number written several ways: the same digits written apart, or different digits of
    # which one writing carries a prefix; plain numbers of different lengths are different numbers
    one_number = (per_core.writings >= 2) & ((per_core.digit_strings < per_core.writings) | per_core.prefixed)
    out = per_core.aggregate(numbers=per_core.writings.sum(),
                             several=per_core.writings.sum(where=one_number)).execute().iloc[0]
    return {"numbers": _whole(out["numbers"]), "several": _whole(out["several"])}
