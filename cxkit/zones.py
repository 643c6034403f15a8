"""Time zones, all read from one zone database: the pinned ``tzdata`` package.

Python's ``zoneinfo`` prefers the operating system's zone files to the ``tzdata`` package, so
the same engagement would place its period, its local days and its local hours by different
rules on two machines: Debian 12 ships tzdata 2025b, ``constraints.txt`` pins 2026f, and they
differ for Vancouver, Edmonton, Casablanca and a few more zones from late 2026. cxkit therefore
takes every zone from the package, and from the operating system only when the package is not
installed. The engines carry copies of their own (DuckDB's ICU, Java's on Spark), which can lag
it too; they read local times near the period by this database's offsets
(:func:`cxkit.connection._local_to_utc`; ``tests/test_zones.py`` checks every zone).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["zone", "is_zone"]

#: what a zone name may look like (``Europe/London``, ``Etc/GMT+5``, ``UTC``): the package's
#: files are opened by it, so nothing else may reach the file system
_NAME = re.compile(r"[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*")


@cache
def zone(name: str) -> ZoneInfo:
    """The zone called ``name`` (an IANA name), by the pinned zone database.

    Raises ``ZoneInfoNotFoundError`` for a name the database does not hold (``localtime``, which
    names whatever the machine is set to, is not a zone of the database).

    Examples
    --------
    >>> from datetime import datetime
    >>> zone("Europe/London").utcoffset(datetime(2026, 7, 1))
    datetime.timedelta(seconds=3600)
    >>> str(zone("Europe/London"))
    'Europe/London'
    """
    try:
        package = resources.files("tzdata.zoneinfo")
    except ModuleNotFoundError:  # no package: the operating system's database
        try:
            return ZoneInfo(name)
        except (ValueError, OSError):  # a path, a folder of zones
            raise ZoneInfoNotFoundError(f"No time zone found with key {name}") from None
    if _NAME.fullmatch(name):
        try:
            with package.joinpath(*name.split("/")).open("rb") as fh:
                return ZoneInfo.from_file(fh, key=name)
        except (OSError, ValueError):  # no such file, a folder of zones (Europe), not a zone file
            pass
    raise ZoneInfoNotFoundError(f"No time zone found with key {name}")


def is_zone(name: str) -> bool:
    """Whether the pinned zone database holds a zone called ``name`` (for option checks).

    Examples
    --------
    >>> is_zone("America/Winnipeg"), is_zone("localtime"), is_zone("Europe")
    (True, False, False)
    """
    try:
        zone(name)
    except ZoneInfoNotFoundError:
        return False
    return True
