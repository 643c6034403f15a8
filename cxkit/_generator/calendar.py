"""Clocks of the synthetic contact center: the period, UTC offsets, opening hours, arrivals.

Everything is simulated as UTC instants (int64 seconds since the epoch) and converted to local
wall-clock text only when written, with the zone's offset at that instant, so a daylight-saving
change inside the period lands exactly where the zone database puts it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cxkit.zones import zone

# Offsets are tabulated every 15 minutes: every zone changes offset on such a boundary.
_OFFSET_STEP = 900
# Minutes tabulated after the period end so that retries and callbacks can find the next
# opening (a long weekend is at most a few days).
_MARGIN_DAYS = 8

_STAFFED_HOURS = np.zeros((7, 24))
_STAFFED_HOURS[0:5, 8:20] = [0.7, 1.1, 1.25, 1.2, 1.05, 1.0, 1.05, 1.0, 0.9, 0.75, 0.6, 0.45]
_STAFFED_HOURS[5, 9:17] = [0.6, 0.9, 1.0, 1.0, 0.9, 0.8, 0.7, 0.5]
_STAFFED_DAY = np.array([1.25, 1.1, 1.0, 1.0, 0.95, 0.6, 0.0])
_ALWAYS_HOURS = np.array([0.15, 0.1, 0.08, 0.06, 0.06, 0.1, 0.25, 0.5, 0.8, 1, 1.1, 1.1, 1.05, 1, 1,
                          0.95, 0.95, 1, 1.05, 1.05, 0.95, 0.75, 0.5, 0.3])
_ALWAYS_DAY = np.array([1.1, 1.05, 1.0, 1.0, 0.95, 0.8, 0.7])

_TIME_LUT = np.frombuffer(
    "".join(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)).encode(), dtype=np.uint8
).reshape(86400, 8)


@dataclass(frozen=True)
class Calendar:
    """The period and the clock tables the simulation and the writers share."""

    start: int  # first instant (UTC epoch seconds) = local midnight of the start date
    end: int  # exclusive end instant = local midnight after the last day
    timezone: str
    offsets: np.ndarray  # UTC offset (s) every _OFFSET_STEP from ``start - 1 day``
    open_minute: np.ndarray  # bool per minute from ``start``: agent channels open
    next_open: np.ndarray  # per minute from ``start``: index of the next open minute
    staffed_cdf: np.ndarray  # arrival weights per minute of the period, agent channels
    always_cdf: np.ndarray  # arrival weights per minute of the period, 24/7 channels

    @property
    def days(self) -> int:
        return int(round((self.end - self.start) / 86400))

    def offset(self, t: np.ndarray) -> np.ndarray:
        """UTC offset in seconds of the zone at each instant ``t``."""
        base = self.start - 86400
        i = np.clip((np.asarray(t) - base) // _OFFSET_STEP, 0, self.offsets.size - 1)
        return self.offsets[i]

    def local(self, t: np.ndarray) -> np.ndarray:
        """Local wall-clock seconds (as if UTC) of instants ``t``."""
        t = np.asarray(t, dtype=np.int64)
        return t + self.offset(t)

    def snap_open(self, t: np.ndarray, jitter: np.ndarray) -> np.ndarray:
        """Move instants outside opening hours to the next opening plus ``jitter`` seconds.

        Instants already open are returned unchanged; instants with no opening left in the
        table are returned unchanged too (they are after the period end and get dropped).
        """
        t = np.asarray(t, dtype=np.int64)
        m = (t - self.start) // 60
        inside = (m >= 0) & (m < self.open_minute.size)
        mi = np.clip(m, 0, self.open_minute.size - 1)
        closed = inside & ~self.open_minute[mi]
        nxt = self.next_open[mi]
        found = closed & (nxt < self.open_minute.size)
        snapped = self.start + nxt.astype(np.int64) * 60 + jitter.astype(np.int64)
        return np.where(found, snapped, t)

    def sample_arrivals(self, rng: np.random.Generator, staffed: np.ndarray) -> np.ndarray:
        """Arrival instants following the hour-of-week profile (agent channels or 24/7)."""
        n = staffed.size
        u = rng.random(n)
        sec = rng.integers(0, 60, n)
        m_staffed = np.searchsorted(self.staffed_cdf, u * self.staffed_cdf[-1], side="right")
        m_always = np.searchsorted(self.always_cdf, u * self.always_cdf[-1], side="right")
        minute = np.where(staffed, m_staffed, m_always)
        return self.start + minute.astype(np.int64) * 60 + sec


def local_midnight(date: dt.date, tz: ZoneInfo) -> int:
    """UTC epoch seconds of local midnight of ``date`` (the first instant of that date)."""
    return int(dt.datetime(date.year, date.month, date.day, tzinfo=tz).timestamp())


def build_calendar(start: dt.date, days: int, timezone: str) -> Calendar:
    """Tabulate offsets, opening hours and arrival profiles for the period."""
    tz = zone(timezone)
    t0 = local_midnight(start, tz)
    t1 = local_midnight(start + dt.timedelta(days=days), tz)
    base = t0 - 86400
    n_steps = (t1 - base) // _OFFSET_STEP + (_MARGIN_DAYS + 60) * 96
    offsets = np.array(
        [int(dt.datetime.fromtimestamp(base + k * _OFFSET_STEP, tz).utcoffset().total_seconds()) for k in range(n_steps)],
        dtype=np.int64,
    )
    cal = Calendar(t0, t1, timezone, offsets, np.zeros(0, bool), np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
    minutes = t0 + np.arange((t1 - t0) // 60 + _MARGIN_DAYS * 1440, dtype=np.int64) * 60
    loc = cal.local(minutes)
    dow = ((loc // 86400) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    hour = (loc % 86400) // 3600
    staffed_w = _STAFFED_HOURS[dow, hour] * _STAFFED_DAY[dow]
    open_minute = staffed_w > 0
    idx = np.where(open_minute, np.arange(minutes.size), minutes.size)
    next_open = np.minimum.accumulate(idx[::-1])[::-1]
    in_period = minutes < t1
    staffed_cdf = np.cumsum(staffed_w[in_period])
    if staffed_cdf[-1] <= 0:  # a period of Sundays only: agent channels still need arrivals
        staffed_cdf = np.cumsum(np.ones(in_period.sum()))
    always_cdf = np.cumsum(_ALWAYS_HOURS[hour[in_period]] * _ALWAYS_DAY[dow[in_period]])
    return Calendar(t0, t1, timezone, offsets, open_minute, next_open, staffed_cdf, always_cdf)


def format_seconds(secs: np.ndarray, *, iso_utc: bool = False, mask: np.ndarray | None = None) -> pa.Array:
    """Text of wall-clock seconds: ``YYYY-MM-DD HH:MM:SS``, or ``YYYY-MM-DDTHH:MM:SSZ``.

    Built from lookup tables of dates and times of day: ``strftime`` per value is several
    times slower and the writer formats four timestamps per row. ``mask`` marks nulls.
    """
    secs = np.asarray(secs, dtype=np.int64)
    n = secs.size
    width = 20 if iso_utc else 19
    if n == 0:
        return pa.array([], type=pa.string())
    days = secs // 86400
    sod = secs - days * 86400
    d0, d1 = int(days.min()), int(days.max())
    epoch = dt.date(1970, 1, 1)
    dates = "".join((epoch + dt.timedelta(days=k)).isoformat() for k in range(d0, d1 + 1))
    date_lut = np.frombuffer(dates.encode(), dtype=np.uint8).reshape(-1, 10)
    out = np.empty((n, width), dtype=np.uint8)
    out[:, 0:10] = date_lut[days - d0]
    out[:, 10] = ord("T") if iso_utc else ord(" ")
    out[:, 11:19] = _TIME_LUT[sod]
    if iso_utc:
        out[:, 19] = ord("Z")
    validity = None
    if mask is not None and mask.any():
        validity = pa.py_buffer(np.packbits(~mask, bitorder="little"))
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), n, [validity, pa.py_buffer(out)])
    return fixed.cast(pa.string())


def format_dates(secs: np.ndarray) -> pa.Array:
    """``YYYY-MM-DD`` of wall-clock seconds."""
    return pc.utf8_slice_codeunits(format_seconds(secs), 0, 10)
