"""cxkit.privacy: what the scan finds (and what it leaves alone), the customer-id hash set, redaction
and the scan of every kind of file a command writes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxkit.privacy import IdentifierSet, privacy_scan, redact, scan_file, scan_folder, scan_text

# ---------------------------------------------------------------- the patterns, as a table

PHONES = [
    "07700 900123",          # UK mobile, national format (missed before)
    "07700900123",           # the same without a space
    "+447700900123",         # E.164
    "+44 7700 900123",
    "+44 (0)20 7946 0958",   # UK landline written internationally
    "020 7946 0958",         # UK landline, national
    "(020) 7946 0958",
    "3125550199",            # bare 10-digit North American number (missed before)
    "13125550199",
    "1-312-555-0199",
    "(415) 555-0123",
    "415.555.0123",
    "+1 415 555 0123",
    "06 12 34 56 78",        # France
    "030 1234567",           # Germany
    "0412 345 678",          # Australia
    "0044 7700 900123",      # international prefix 00
    "0049 151 23456789",     # 00 and 15 digits (E.164's most after the country code)
    "06.12.34.56.78",        # France, in pairs with dots
    "07700\u00a0900123",     # a no-break space, as spreadsheets and CRMs write numbers
    "+44\u202f7700\u202f900124",  # narrow no-break spaces
    "415\u2011555\u20110123",  # non-breaking hyphens
]

ORDINARY = [
    "71.2% (95% CI 69.8-72.5%, n = 4,210)",
    "1,234,567 contacts; 4210 judged; 12:34; 1:02:05",
    "from 2026-10-01 to 2026-10-31, run 20261125T164500Z, 2026-11-25 16:45:00",
    "01/03/2026 09:15 and 02.03.2026 10:00 and 01-03-2026 09:15",
    "1234567890123",          # a 13-digit count, not Luhn-valid, not a phone shape
    "4111 1111 1111 1112",    # fails the Luhn check
    "$1,234,567.89 0.7123 -12.5% Q4 2026",
    "window 7 days, min_n 30, 86400 s, 604800 s, 1,000,000",
    "0.0123456789",           # a small decimal
    "1999-02-01 to 1999-02-28 (Asia/Jerusalem)",
    "AHT 9:46 (586 s), SL 80/20, 0-1 h, 1-4 h",
    "on 06.12.2026 at 10.30, version 1.2.3.4.5, 12.34.56",
    "4,375\u00a0contacts, 71.2\u00a0% (95\u00a0% CI 69.8\u201372.5)",
]


@pytest.mark.parametrize("phone", PHONES)
def test_phone_numbers_in_national_and_international_formats_are_found(phone):
    assert scan_text(f"queue {phone} had 40 contacts") == {"phone number": 1}
    assert phone not in redact(f"queue {phone} had 40 contacts")


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_report_text_is_left_alone(text):
    assert scan_text(text) == {}
    assert redact(text) == text


@pytest.mark.parametrize(("text", "kind"), [
    ("write to jane.doe+cx@example.co.uk", "e-mail address"),
    ("card 4111 1111 1111 1111", "card number"),
    ("card 4111-1111-1111-1111", "card number"),
    ("card 378282246310005", "card number"),
    ("card 4111\u00a01111\u00a01111\u00a01111", "card number"),
    ("new address jos\u00e9.garc\u00eda@correo.es", "e-mail address"),
])
def test_emails_and_cards_are_found_and_redacted(text, kind):
    assert scan_text(text) == {kind: 1}
    assert redact(text).endswith(f"[{kind}]")


def test_page_scan_names_the_kind_and_section_never_the_value():
    page = "<h2>Queues</h2><td>07700 900123</td><td>3125550199</td><h2>Reasons</h2><p>a@example.com</p>"
    findings = privacy_scan(page)
    assert findings == ["e-mail address in section 'Reasons' (1 occurrence)",
                        "phone number in section 'Queues' (2 occurrences)"]
    assert not re.search(r"\d{6}|@", " ".join(findings))


# ---------------------------------------------------------------- the engagement's own customer ids


def test_identifier_set_keeps_hashes_and_finds_ids_in_text():
    ids = IdentifierSet.of_values(["CU0000131", "7191646", "07700 900123", "x1", "unknown"])
    assert len(ids) == 3  # "x1" (too short) and "unknown" (no digit) would match ordinary words
    assert "CU0000131" in ids and " CU0000131 " in ids and "CU0000132" not in ids
    assert scan_text("Weakest reason: CU0000131 (n = 40)", ids) == {"customer identifier": 1}
    assert scan_text("queue 7191646.", ids) == {"customer identifier": 1}
    assert scan_text("7,191,646 contacts and 71916460", ids) == {}  # a count, a longer number
    # an id written with spaces is found as a whole, and counted once (it is also a phone number)
    assert scan_text("queue 07700 900123", ids) == {"phone number": 1}
    assert redact("reason CU0000131, queue 7191646", ids) == "reason [customer identifier], queue [customer identifier]"
    assert not any("CU0000131" in str(v) for v in vars(ids).values())  # only hashes are kept


def test_identifier_set_from_tables_hashes_in_the_engine():
    import ibis

    t = ibis.memtable({"customer_id": ["CU0000131", " CU0000131 ", None, "K1", "UNKNOWN", "CU0000999"]})
    ids = IdentifierSet.from_tables([(t, "customer_id")])
    assert len(ids) == 2 and "CU0000999" in ids and "K1" not in ids and "UNKNOWN" not in ids
    assert IdentifierSet.digest("CU0000131") == int(__import__("hashlib").md5(b"CU0000131").hexdigest()[:16], 16)


# ---------------------------------------------------------------- files of every kind


def test_scan_file_reads_each_kind_of_output(tmp_path: Path):
    ids = IdentifierSet.of_values(["CU0000131"])
    (tmp_path / "readiness.json").write_text(json.dumps(
        {"rows_read": 3125550199, "finding": "unknown channel ('jane@example.com')", "n": 7191646}))
    nb = {"cells": [
        {"cell_type": "code", "source": ["engagement = '/data/07700 900123/engagement.yaml'"], "outputs": [
            {"output_type": "display_data", "data": {"text/html": "<td>CU0000131</td>", "text/plain": "x"}}]},
        {"cell_type": "markdown", "source": ["call +44 20 7946 0958"]}]}
    (tmp_path / "section.ipynb").write_text(json.dumps(nb))
    pq.write_table(pa.table({"queue": ["V_SALES", "4111 1111 1111 1111"], "n": [1, 2]}), tmp_path / "result.parquet")
    (tmp_path / "page.html").write_text("<style>.x{width:415-555-0123px}</style><p>ok</p>")
    (tmp_path / "bundle.js").write_text("var support = 'help@example.com';")  # a library asset, not data
    assert scan_file(tmp_path / "readiness.json", ids) == ["e-mail address in readiness.json (1 occurrence)"]
    # code is cxkit's (and the engagement's path); what the notebook shows is scanned
    assert scan_file(tmp_path / "section.ipynb", ids) == [
        "phone number in section.ipynb (1 occurrence)", "customer identifier in section.ipynb (1 occurrence)"]
    assert scan_file(tmp_path / "result.parquet", ids) == ["card number in result.parquet (1 occurrence)"]
    assert scan_file(tmp_path / "page.html", ids) == []
    assert len(scan_folder(tmp_path, ids)) == 4  # bundle.js is skipped
