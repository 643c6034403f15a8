"""Keyed pseudonyms for customer identifiers.

A customer identifier (a CRM id, a phone number, an email address) never reaches a canonical
table: the loader replaces it with its HMAC-SHA256 under a key that belongs to the engagement,
computed in the engine. An unkeyed hash of a phone number is not a pseudonym (the number space
is small enough to hash every number and look the result up); a keyed one cannot be reversed
without the key. The same key for every source of an engagement maps one customer to one
pseudonym across contacts, cases and surveys.

The key is 32 random bytes, written as hex by ``cxkit init`` to ``.cxkit-pseudonym-key`` in
the engagement's folder (never in the report folder; keep it out of version control: the
repository's ``.gitignore`` and the one ``cxkit init`` writes list it). It is never printed,
logged or written into a report. An engagement without a key file gets a random key for the
session: pseudonyms are then consistent within the run but differ between runs.

A pseudonym is the first 9 bytes (72 bits) of HMAC-SHA256(key, identifier as UTF-8 text),
written as 12 base64 characters: :func:`pseudonym` computes it in Python, :func:`pseudonym_sql`
in the engine (reading the key from a temporary table, so no SQL text holds it), and the two
agree (tested). 72 bits give two customers the same pseudonym with a chance of about 3 in 10
million in a base of 50 million customers; 12 characters are what the engine keeps inline,
with no pointer to follow, when it sorts, groups and joins by customer (the pairing and the
journeys), where the 32 hex digits cxkit wrote before took 32 bytes and a pointer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cxkit.errors import ConfigError

__all__ = [
    "KEY_FILE",
    "PSEUDONYM_BYTES",
    "key_path",
    "create_key",
    "load_key",
    "session_key",
    "register_key",
    "pseudonym",
    "pseudonym_sql",
]

#: Name of the key file in the engagement's folder.
KEY_FILE = ".cxkit-pseudonym-key"
#: Bytes kept of the HMAC, written in base64 (9 bytes: 12 characters, no padding). At 10
#: million contacts, alternating with the 32 hex digits before: the pairing, the journey
#: contacts and the journeys together 48.4-56.1 s against 60.0-61.9 s (2026-12-02).
PSEUDONYM_BYTES = 9
_BLOCK = 64  # SHA-256 block size in bytes (RFC 2104)


def key_path(folder: str | Path) -> Path:
    """Where the key of the engagement in ``folder`` lives."""
    return Path(folder) / KEY_FILE


def create_key(folder: str | Path) -> Path:
    """Write a new random key into ``folder`` (readable by the owner only); an existing key is
    kept, so re-running ``cxkit init`` never changes the pseudonyms of an engagement."""
    path = key_path(folder)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return path


def load_key(folder: str | Path) -> bytes | None:
    """The key of the engagement in ``folder``, or None when it has no key file."""
    path = key_path(folder)
    if not path.exists():
        return None
    text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        # the message names the file, never its content
        raise ConfigError(str(path), ["not a pseudonym key (expected 32 or more hex digits); delete it and run "
                                      f"'cxkit init {Path(folder)}' to write a new one (pseudonyms will change)"])
    return key


def session_key(folder: str | Path) -> tuple[bytes, str]:
    """The key a session uses, and where it came from in words (for the methodology): the
    engagement's key file, or a random key for this run when the engagement has none."""
    key = load_key(folder)
    if key is not None:
        return key, "the engagement's key"
    return secrets.token_bytes(32), "a key for this run only (the engagement has no key file)"


def pseudonym(value: str, key: bytes) -> str:
    """The pseudonym of one identifier (Python reference of :func:`pseudonym_sql`).

    Examples
    --------
    >>> pseudonym("+447700900001", bytes(32))
    'bqqYDwvobspn'
    """
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest[:PSEUDONYM_BYTES]).decode("ascii")


def _pads(key: bytes) -> tuple[str, str]:
    """HMAC's inner and outer padded keys (RFC 2104), as hex."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key).hex(), bytes(b ^ 0x5C for b in key).hex()


def register_key(con, key: bytes) -> str:
    """Put the padded key into a temporary one-row table of the engine and return its name.

    The generated SQL names this table, never the key: an ibis expression prints its SQL, so a
    key written into the SQL would be printed with it.
    """
    import ibis

    from cxkit.connection import dialect_for

    inner, outer = _pads(key)
    name = f"cx_pseudonym_key_{secrets.token_hex(6)}"
    pads = ibis.memtable({"ipad": [bytes.fromhex(inner)], "opad": [bytes.fromhex(outer)]})
    if dialect_for(con).temp_tables:
        con.create_table(name, pads, temp=True)
    else:  # Spark: a temporary view lives as long as the session, like a temporary table
        con.create_view(name, pads)
    return name


def pseudonym_sql(expr: str, key_table: str, dialect) -> str:
    """SQL (DuckDB dialect text) for the pseudonym of the text value ``expr``; null stays null.

    HMAC-SHA256 = SHA256(outer key || SHA256(inner key || message)), spelled with the
    backend's SHA-256 of binary values (``dialect.sha256_hex``); the padded keys are read from
    ``key_table`` (:func:`register_key`). Its first bytes are written in base64 (``to_base64``,
    which sqlglot spells ``base64`` for Spark).
    """
    first = dialect.sha256_hex(f"(SELECT ipad FROM {key_table}) || encode(CAST({expr} AS VARCHAR))")
    second = dialect.sha256_hex(f"(SELECT opad FROM {key_table}) || unhex({first})")
    return (f"CASE WHEN ({expr}) IS NULL THEN NULL "
            f"ELSE to_base64(unhex(substr({second}, 1, {2 * PSEUDONYM_BYTES}))) END")
