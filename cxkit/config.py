"""The engagement: one YAML file per client engagement, validated all at once into one object.

Everything a diagnostic needs to know about an engagement (period, timezone, sources and their
mappings, metric parameters, cost assumptions, benchmarks) lives here and is passed down; no
module reads configuration on its own.
"""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cxkit.connection import MEMORY_SIZE
from cxkit.errors import ConfigError
from cxkit.schema import TABLES
from cxkit.wording import plural
from cxkit.zones import is_zone, zone

__all__ = [
    "Engagement",
    "SourceConfig",
    "ColumnMapping",
    "load_engagement",
    "engagement_from_dict",
]

FORMATS = ("csv", "parquet", "json", "jsonl")
#: units a timestamp column may take: epoch seconds or milliseconds (since 1970-01-01 UTC)
EPOCH_UNITS = ("s", "ms")

# Every number an engagement sets is bounded here, at validation: an unbounded one reaches the
# diagnostics as a 1e300-day window or a -20 s service level and fails (or publishes) far away.
#: days of a repeat or sensitivity window: more than a year is not a repeat
WindowDays = Annotated[float, Field(gt=0, le=365, allow_inf_nan=False)]
#: seconds of a service-level threshold: at most 30 days (e-mail targets are counted in days)
ThresholdSeconds = Annotated[float, Field(gt=0, le=30 * 86400, allow_inf_nan=False)]
#: an amount of money per contact or per hour
Money = Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)]
#: a finite number (thresholds, scenario ranges)
Finite = Annotated[float, Field(allow_inf_nan=False)]

#: the first and last day a period may have (timestamps stay inside what every engine and
#: pandas can represent, which ends in 2262)
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2199, 12, 31)
#: the longest period: ten years
MAX_PERIOD_DAYS = 3660

_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = {name: i for i, full in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                                                  "sunday")) for name in (full[:3], full)}
_HOURS = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")


def _as_text(code: Any) -> Any:
    """A raw code YAML read as a number, as the export writes it: ``1`` is '1', ``2.5`` '2.5'.

    >>> _as_text(1), _as_text(2.5), _as_text("A")
    ('1', '2.5', 'A')
    """
    return str(code) if isinstance(code, (int, float)) and not isinstance(code, bool) else code


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ColumnMapping(_Strict):
    """How one canonical column is obtained from the raw export.

    Exactly one of ``column`` (a raw column name), ``columns`` (several raw columns joined into
    one composite key, ``a|b``; null when a part is null), ``sql`` (an expression in DuckDB SQL
    over the raw columns, transpiled to the engagement's backend), ``derive`` (an expression
    over canonical columns already mapped: instants in UTC and durations in seconds, evaluated
    after timezone conversion) or ``constant``.
    """

    column: str | None = None
    columns: list[str] | None = Field(None, description="raw columns joined into a composite key")
    sql: str | None = None
    derive: str | None = Field(None, description="SQL over canonical columns, after timezone conversion")
    constant: Any = None
    format: str | None = Field(None, description="strptime format of a text timestamp; 'iso' for ISO 8601")
    timezone: str | None = Field(None, description="timezone of a naive timestamp (defaults to the source's)")
    unit: Literal["s", "ms", "min", "hms"] | None = Field(
        None, description="unit of a duration; on a timestamp, epoch seconds (s) or milliseconds (ms), UTC"
    )
    values: dict[str, Any] | None = Field(None, description="value map from raw codes to canonical codes")
    null_values: list[str] | None = Field(None, description="raw values that mean 'unknown'")

    @field_validator("values", "null_values", mode="before")
    @classmethod
    def _raw_codes_as_text(cls, v: Any) -> Any:
        """``{1: abandoned, 0: handled}`` and ``[0, -1]`` as YAML writes them: a raw code is
        compared as text, so a number is its text ('1'). A code YAML read as true or false (yes,
        no, on, off) is refused: which of its spellings the export holds is lost."""
        if not isinstance(v, (dict, list)):
            return v
        flags = [k for k in v if isinstance(k, bool)]
        if flags:
            raise ValueError(f"a raw code read as {str(flags[0]).lower()}: YAML reads yes, no, on, off, true and "
                             "false as true or false; write the export's spelling in quotes ('yes')")
        if isinstance(v, dict):
            return {_as_text(k): value for k, value in v.items()}
        return [_as_text(x) for x in v]

    @model_validator(mode="after")
    def _one_origin(self) -> ColumnMapping:
        origins = [k for k in ("column", "columns", "sql", "derive") if getattr(self, k) is not None]
        if self.constant is not None:
            origins.append("constant")
        if len(origins) != 1:
            raise ValueError(
                "give exactly one of 'column' (raw column name), 'columns' (composite key), 'sql' "
                f"(expression), 'derive' (expression over canonical columns) or 'constant'; found {origins or 'none'}"
            )
        if self.columns is not None and len(self.columns) < 2:
            raise ValueError("'columns' joins two or more raw columns into one key; for one column use 'column'")
        return self


class UnnestStep(_Strict):
    """One nested list turned into rows: ``{path: participants, as: p}`` gives one row per element,
    the element in column ``p`` (a struct: ``p.purpose``) beside the columns of its parent."""

    path: str = Field(description="a list column, or a list inside an earlier step's struct (p.sessions)")
    as_: str = Field(alias="as", description="name of the column holding one element")


class ExcludeRule(_Strict):
    """Rows the adapter drops before mapping (counted and reported by readiness)."""

    when: str = Field(description="DuckDB SQL condition over raw columns")
    reason: str


class DedupConfig(_Strict):
    """De-duplication of re-delivered records: exact copies always; updates keep the newest."""

    key: list[str] = Field(description="raw columns identifying one record")
    newest_by: str | None = Field(None, description="raw column ordering versions; the newest is kept")


class SourceConfig(_Strict):
    """One source feeding one canonical table (adapter defaults merged with engagement overrides)."""

    adapter: str | None = None
    path: str | None = None
    format: Literal["csv", "parquet", "json", "jsonl"] | None = None
    table: str | None = Field(None, description="a table of the engagement's backend instead of a file")
    read_options: dict[str, Any] = Field(default_factory=dict)
    timezone: str | None = None
    grain: Literal["contact", "leg"] = "contact"
    columns: dict[str, str | ColumnMapping] = Field(default_factory=dict)
    exclude: list[ExcludeRule] = Field(default_factory=list)
    dedup: DedupConfig | None = None
    records: str | None = Field(
        None, description="a list column holding the records (an API response page: {conversations: [...]})"
    )
    unnest: list[UnnestStep] = Field(default_factory=list)
    group_by: list[str] = Field(
        default_factory=list, description="SQL keys grouping unnested rows into one canonical row; columns are aggregates"
    )
    description: str | None = None

    def mapping(self, name: str) -> ColumnMapping | None:
        value = self.columns.get(name)
        if value is None:
            return None
        return ColumnMapping(column=value) if isinstance(value, str) else value


class Period(_Strict):
    start: date
    end: date = Field(description="last day of the period, inclusive")

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"period.end ({self.end}) is before period.start ({self.start}); swap them")
        for key, day in (("start", self.start), ("end", self.end)):
            if not EARLIEST_DAY <= day <= LATEST_DAY:
                raise ValueError(
                    f"period.{key} ({day}) is outside {EARLIEST_DAY} to {LATEST_DAY}; give the dates of the data "
                    "(YYYY-MM-DD)"
                )
        if (self.end - self.start).days + 1 > MAX_PERIOD_DAYS:
            raise ValueError(
                f"the period is {(self.end - self.start).days + 1:,} days long; at most {MAX_PERIOD_DAYS:,} "
                "(ten years) are diagnosed at once: shorten it"
            )
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class Backend(_Strict):
    """Where the data is processed. Default: an in-memory embedded DuckDB."""

    url: str | None = Field(None, description="an ibis connection URL, e.g. duckdb:///work/cx.duckdb")
    database: str | None = Field(None, description="a DuckDB file for this engagement (relative to it)")
    materialize: bool = Field(True, description="cache canonical tables in the engine once per session")
    memory_limit: str | None = Field(
        None,
        description="most memory the embedded engine may use before it spills to the run folder, e.g. '3GB' "
        "(default: 40% of the machine's memory, at most 3 GB)",
    )
    threads: int | None = Field(None, ge=1, le=256, description="engine threads (default: every core)")

    @field_validator("memory_limit")
    @classmethod
    def _memory_size(cls, value: str | None) -> str | None:
        if value is not None and MEMORY_SIZE.fullmatch(value) is None:
            raise ValueError(f"{value!r} is not a memory size; give a number and a unit (MB, GB, TB, MiB, GiB or "
                             "TiB), e.g. '3GB' or '512MiB'")
        return value


class Resolution(_Strict):
    repeat_window_days: WindowDays = 7
    sensitivity_windows_days: list[WindowDays] = Field(default_factory=lambda: [1, 3, 7, 14, 30], min_length=1,
                                                       max_length=20)
    exclude_reasons: list[str] = Field(default_factory=list)
    min_n: int = Field(30, ge=1, le=1_000_000)
    max_contacts_per_customer_per_day: float = Field(
        10, gt=0, le=1000, allow_inf_nan=False,
        description="a customer id with more contacts than this a day on average over the period is a shared or "
                    "test id, not a person (readiness counts them; see exclude_implausible_customers)",
    )
    exclude_implausible_customers: bool = Field(
        True, description="read the contacts of such ids as unidentified, so repeat metrics leave them out"
    )

    def max_contacts_per_customer(self, days: int) -> int:
        """The most contacts one customer id may have in a period of ``days`` days."""
        return max(1, int(self.max_contacts_per_customer_per_day * days))


class Operations(_Strict):
    sl_seconds: dict[str, ThresholdSeconds] = Field(
        default_factory=lambda: {"default": 20, "voice": 20, "chat": 60, "messaging": 3600, "email": 86400, "social": 3600}
    )
    short_abandon_s: float = Field(5, ge=0, le=3600, allow_inf_nan=False)

    @field_validator("sl_seconds")
    @classmethod
    def _known_channels(cls, value: dict[str, float]) -> dict[str, float]:
        return _known_channel_keys(value, "a service-level threshold")


def _known_channel_keys(value: dict[str, Any], what: str) -> dict[str, Any]:
    from cxkit.schema import CHANNELS

    unknown = [k for k in value if k not in (*CHANNELS, "default")]
    if unknown:
        guesses = {k: difflib.get_close_matches(k, [*CHANNELS, "default"], n=1) for k in unknown}
        named = ", ".join(f"{k!r}" + (f" (did you mean {g[0]!r}?)" if g else "") for k, g in guesses.items())
        raise ValueError(f"{named}: not a channel; {what} is set per channel: {', '.join(CHANNELS)} or default")
    return value


class Effort(_Strict):
    weights: dict[str, Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)]] = Field(
        default_factory=dict, description="overrides of the default effort weights")
    scales: dict[str, Annotated[float, Field(gt=0, le=1e9, allow_inf_nan=False)]] = Field(
        default_factory=dict, description="overrides of the default effort scales")

    @field_validator("weights", "scales")
    @classmethod
    def _known_components(cls, value: dict[str, float]) -> dict[str, float]:
        from cxkit.journey import EFFORT_COMPONENTS

        unknown = [k for k in value if k not in EFFORT_COMPONENTS]
        if unknown:
            raise ValueError(f"{unknown}: not effort components; known: {', '.join(EFFORT_COMPONENTS)}")
        return value


class FollowThrough(_Strict):
    callback_promise_business_days: float = Field(1, gt=0, le=60, allow_inf_nan=False)
    case_open_age_days: float = Field(14, gt=0, le=3650, allow_inf_nan=False)


#: What a scenario can change (its levers) and the measured or assumed inputs it reads; each
#: can be given a [low, high] range under ``low_high`` (METRICS.md, "Cost of repeat contacts").
SCENARIO_LEVERS: dict[str, str] = {
    "fcr_change": "change in repeat-based FCR, in points as a fraction (0.11 = +11 points)",
    "aht_change_s": "change in average handle time of handled contacts, seconds",
    "transfer_rate_to": "transfer rate after the change (share of handled contacts)",
    "containment_to": "self-service containment after the change",
    "volume_change": "change in inbound contact volume, as a fraction (-0.05 = 5% fewer)",
}
SCENARIO_INPUTS: dict[str, str] = {
    **SCENARIO_LEVERS,
    "repeats_per_unresolved": "repeat contacts per unresolved eligible contact (measured; default range: its 95% interval)",
    "cost_per_contact_factor": "multiplier on every channel's cost per contact (base 1)",
    "hourly_cost": "cost of one agent hour (base: cost.loaded_hourly_cost, else implied by the prices)",
}


class Scenario(_Strict):
    """One what-if scenario: which levers move, by how much, and the range of each input.

    An FCR lever is either ``fcr_change`` (points added to the measured FCR) or ``fcr_to``
    (the FCR after the change). ``fcr_from`` is the baseline a business case states: with
    ``fcr_to`` it fixes the change (``fcr_to - fcr_from``, applied to the measured FCR) and it
    is checked against the measured FCR. ``repeat_reduction`` is a drop in repeat contacts the
    case claims, checked against what the FCR change can produce.
    """

    name: str = Field(min_length=1)
    description: str | None = None
    fcr_from: float | None = Field(None, ge=0, le=1)
    fcr_to: float | None = Field(None, ge=0, le=1)
    fcr_change: float | None = Field(None, ge=-1, le=1)
    reasons: list[str] = Field(default_factory=list, description="limit the FCR change to these reasons (contact_reason or reason_family)")
    aht_change_s: float | None = Field(None, ge=-86400, le=86400, allow_inf_nan=False)
    transfer_rate_to: float | None = Field(None, ge=0, le=1)
    containment_to: float | None = Field(None, ge=0, le=1)
    volume_change: float | None = Field(None, gt=-1, le=100, allow_inf_nan=False)
    repeat_reduction: float | None = Field(None, ge=0, le=1)
    low_high: dict[str, list[Finite]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _coherent(self) -> Scenario:
        problems: list[str] = []
        if self.fcr_change is not None and self.fcr_to is not None:
            problems.append("give fcr_change (points added to the measured FCR) or fcr_to, not both")
        if self.fcr_from is not None and self.fcr_to is None:
            problems.append("fcr_from (the baseline a case states) needs fcr_to (the FCR after the change)")
        if self.reasons and self.fcr_change is None and self.fcr_to is None:
            problems.append("reasons limits an FCR change; add fcr_change or fcr_to")
        if all(getattr(self, k) is None for k in (*SCENARIO_LEVERS, "fcr_to")):
            problems.append(
                "no lever: set at least one of fcr_change, fcr_to, aht_change_s, transfer_rate_to, "
                "containment_to, volume_change"
            )
        for key, pair in self.low_high.items():
            where = f"low_high.{key}"
            if key not in SCENARIO_INPUTS:
                guess = difflib.get_close_matches(key, list(SCENARIO_INPUTS), n=1)
                hint = f"did you mean '{guess[0]}'?" if guess else f"known inputs: {', '.join(SCENARIO_INPUTS)}"
                problems.append(f"{where}: unknown input; {hint}")
                continue
            if len(pair) != 2:
                problems.append(f"{where}: give [low, high] (two numbers); found {pair!r}")
                continue
            low, high = pair
            if low > high:
                problems.append(f"{where}: low {low:g} > high {high:g}; swap them")
                continue
            base = self.lever_base(key)
            if key in SCENARIO_LEVERS and base is None:
                problems.append(f"{where}: a range for a lever the scenario does not set; set {key} (the base) too")
            elif base is not None and not (low <= base <= high):
                problems.append(f"{where}: the base {base:g} is outside [{low:g}, {high:g}]; widen the range")
        if problems:
            raise ValueError(f"scenario {self.name!r}: " + "; ".join(problems))
        return self

    def lever_base(self, key: str) -> float | None:
        """The base value of input ``key`` as the scenario states it (None: not set or measured)."""
        if key == "fcr_change" and self.fcr_to is not None and self.fcr_from is not None:
            return self.fcr_to - self.fcr_from
        if key == "cost_per_contact_factor":
            return 1.0
        return getattr(self, key, None) if key in SCENARIO_LEVERS else None


class Cost(_Strict):
    cost_per_contact: dict[str, Money] = Field(default_factory=dict, description="per channel, in the engagement currency")
    loaded_hourly_cost: float | None = Field(None, gt=0, le=1_000_000, allow_inf_nan=False)
    occupancy: float = Field(0.8, gt=0, le=1)
    overhead_per_contact: Money = 0.0
    productive_hours_per_fte: float = Field(1600, gt=0, le=8784, allow_inf_nan=False)
    inputs_note: str | None = Field(
        None,
        description="where the cost inputs come from, printed beside the prices in the report "
        "(e.g. 'client finance, FY2025 budget' or 'assumptions for illustration, not the client's figures')",
    )
    failure_demand_reasons: list[str] = Field(
        default_factory=list, description="contact reasons (or reason families) the engagement tags as avoidable demand"
    )
    seed: int = Field(20260301, ge=0, description="seed of the scenario Monte Carlo (same seed, same numbers)")
    monte_carlo_draws: int = Field(10_000, ge=100, le=1_000_000)
    scenarios: list[Scenario] = Field(default_factory=list)

    @field_validator("cost_per_contact")
    @classmethod
    def _known_channels_and_prices(cls, value: dict[str, float]) -> dict[str, float]:
        from cxkit.schema import CHANNELS

        problems = []
        for channel, price in value.items():
            if channel not in CHANNELS:
                guess = difflib.get_close_matches(str(channel), CHANNELS, n=1)
                hint = f"did you mean '{guess[0]}'?" if guess else f"channels: {', '.join(CHANNELS)}"
                problems.append(f"{channel!r} is not a canonical channel; {hint}")
            elif price is None or price < 0:
                problems.append(f"{channel}: price {price!r} is negative; give a price >= 0 in the engagement currency")
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @model_validator(mode="after")
    def _unique_scenarios(self) -> Cost:
        names = [s.name for s in self.scenarios]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"scenario names must be unique; {', '.join(map(repr, twice))} appear more than once: rename one")
        return self


class Capacity(_Strict):
    """Interval staffing (Erlang C) against the WFM ``intervals`` source."""

    service_level_target: float = Field(
        0.8, gt=0, lt=1,
        description="share answered within the channel's sl_seconds: the Erlang C staffing target, and the bar of "
                    "the finding 'service level below target'",
    )
    channels: list[str] = Field(
        default_factory=lambda: ["voice"],
        description="channels whose queues are staffed one contact per agent at a time (Erlang C applies)",
    )
    max_occupancy: float | None = Field(None, gt=0, le=1, description="cap on occupancy when sizing agents")
    worst_dayparts: int = Field(5, ge=1, description="how many weekday x time-of-day cells to list as worst")

    @field_validator("channels")
    @classmethod
    def _known_channels(cls, value: list[str]) -> list[str]:
        from cxkit.schema import CHANNELS

        bad = [c for c in value if c not in CHANNELS]
        if bad:
            raise ValueError(
                "; ".join(f"{c!r} is not a canonical channel (channels: {', '.join(CHANNELS)})" for c in bad)
            )
        return value


class FindingsSettings(_Strict):
    """How findings are screened and ranked (see :mod:`cxkit.findings`)."""

    file: str = Field("findings.yaml",
                      description="the consultant's findings and overrides, relative to the engagement")
    weights: dict[str, float] = Field(
        default_factory=lambda: {"customer_effect": 0.3, "operational_effect": 0.3, "delivery_complexity": 0.2,
                                 "dependency_risk": 0.2},
        description="weights of the four screens in the priority score (given keys replace the defaults)",
    )
    top_n: int = Field(5, ge=1, le=50, description="findings that get a one-page brief")
    min_score: float = Field(0.0, ge=0, le=5, description="findings below this score get no brief")
    not_assessed: float = Field(3.0, ge=1, le=5, description="screen value of a screen nobody assessed")
    customer_effect_bands: list[float] = Field(
        default_factory=lambda: [0.01, 0.03, 0.06, 0.12],
        description="volume shares at which customer effect reaches 2, 3, 4, 5",
    )
    operational_effect_bands: list[float] = Field(
        default_factory=lambda: [0.0025, 0.005, 0.01, 0.02],
        description="shares of agent hours at which operational effect reaches 2, 3, 4, 5",
    )
    thresholds: dict[str, float] = Field(default_factory=dict,
                                         description="rule thresholds (cxkit.findings.THRESHOLDS)")

    @field_validator("weights", mode="before")
    @classmethod
    def _weights(cls, value: Any) -> Any:
        keys = ("customer_effect", "operational_effect", "delivery_complexity", "dependency_risk")
        if not isinstance(value, dict):
            return value
        problems = []
        for key, w in value.items():
            if key not in keys:
                guess = difflib.get_close_matches(str(key), keys, n=1)
                hint = f"did you mean '{guess[0]}'?" if guess else f"screens: {', '.join(keys)}"
                problems.append(f"{key!r} is not a screen; {hint}")
            elif not isinstance(w, (int, float)) or isinstance(w, bool) or w < 0:
                problems.append(f"{key}: weight {w!r} must be a number >= 0")
        if problems:
            raise ValueError("; ".join(problems))
        merged = {"customer_effect": 0.3, "operational_effect": 0.3, "delivery_complexity": 0.2, "dependency_risk": 0.2,
                  **value}
        if sum(merged.values()) <= 0:
            raise ValueError("the weights add up to 0; give at least one screen a positive weight")
        return merged

    @field_validator("customer_effect_bands", "operational_effect_bands")
    @classmethod
    def _bands(cls, value: list[float]) -> list[float]:
        increasing = sorted(value) == list(value) and len(set(value)) == len(value)
        if len(value) != 4 or any(not (0 < b <= 1) for b in value) or not increasing:
            raise ValueError(f"give four increasing shares between 0 and 1 (where the screen reaches 2, 3, 4 and 5); "
                             f"found {value!r}")
        return value

    @field_validator("thresholds")
    @classmethod
    def _thresholds(cls, value: dict[str, float]) -> dict[str, float]:
        from cxkit.findings import THRESHOLDS

        problems = []
        for key, v in value.items():
            if key not in THRESHOLDS:
                guess = difflib.get_close_matches(str(key), list(THRESHOLDS), n=1)
                hint = f"did you mean '{guess[0]}'?" if guess else f"known: {', '.join(THRESHOLDS)}"
                problems.append(f"{key!r} is not a finding threshold; {hint}")
            elif not 0 <= v <= 1:
                problems.append(f"{key}: {v!r} must be a share between 0 and 1")
        if problems:
            raise ValueError("; ".join(problems))
        return value


class Report(_Strict):
    title: str | None = None
    sections: list[str] = Field(
        default_factory=lambda: [
            "00_summary", "01_data_readiness", "02_journey_effort", "03_resolution", "04_cost_and_capacity",
            "05_findings_and_priorities", "99_methodology",
        ]
    )
    renderer: Literal["auto", "quarto", "nbconvert"] = "auto"

    @field_validator("sections")
    @classmethod
    def _plain_names(cls, value: list[str]) -> list[str]:
        # a section names a notebook in cxkit's notebooks/ folder, never a path elsewhere
        bad = [v for v in value if not _SLUG.fullmatch(v.removesuffix(".ipynb"))]
        if bad:
            raise ValueError(f"{bad}: a section is a notebook name such as '03_resolution' (no folders)")
        return value


class ReadinessOverrides(_Strict):
    thresholds: dict[str, Finite] = Field(default_factory=dict)
    business_hours: dict[str, str] = Field(
        default_factory=dict, description="local opening hours per weekday, e.g. mon: '08:00-20:00'"
    )
    closed_days: list[date] = Field(
        default_factory=list,
        description="local dates the center was closed (public holidays): no day check judges them, e.g. [2026-04-03]",
    )
    open_within_hours: float = Field(
        24, gt=0, le=24 * 366, allow_inf_nan=False,
        description="a contact with no end that arrived at most this many hours before the export's latest time is "
                    "still open (counted apart, left out of handle times), not an end time missing",
    )

    @field_validator("business_hours", mode="before")
    @classmethod
    def _hours(cls, value: Any) -> Any:
        if isinstance(value, dict):
            problems = []
            for day, spec in value.items():
                try:
                    opening_hours(str(day), spec)
                except ValueError as exc:
                    problems.append(f"{day}: {exc}")
            if problems:
                raise ValueError("; ".join(problems))
        return value


def opening_hours(day: str, spec: Any) -> tuple[int, list[tuple[float, float]]]:
    """(weekday 0-6, [(open hour, close hour)]) of one ``readiness.business_hours`` entry.

    Examples
    --------
    >>> opening_hours("mon", "08:00-12:30, 13:30-20:00")
    (0, [(8.0, 12.5), (13.5, 20.0)])
    >>> opening_hours("Sunday", "closed")
    (6, [])
    """
    key = str(day).strip().lower()
    if key not in _DAY_NAMES:
        raise ValueError(f"not a weekday; use {', '.join(_WEEKDAYS)}")
    ranges: list[tuple[float, float]] = []
    for part in str(spec).split(","):
        part = part.strip().replace(" ", "")
        if not part or part.lower() == "closed":
            continue
        match = _HOURS.fullmatch(part)
        if not match:
            raise ValueError(f"{spec!r} is not opening hours; write 'HH:MM-HH:MM' (e.g. '08:00-20:00'), several "
                             "separated by commas, or 'closed'")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 + m1 / 60, h2 + m2 / 60
        if m1 > 59 or m2 > 59 or not 0 <= start < end <= 24:
            raise ValueError(f"{part!r}: hours must run forward within one day (00:00 to 24:00); write overnight "
                             "opening as two entries, e.g. fri: '20:00-24:00' and sat: '00:00-06:00'")
        ranges.append((start, end))
    return _DAY_NAMES[key], ranges


class Engagement(_Strict):
    """A validated engagement. Paths are resolved against the folder of the YAML file."""

    name: str
    client: str
    period: Period
    timezone: str = "UTC"
    currency: str = "USD"
    backend: Backend = Field(default_factory=Backend)
    sources: dict[str, SourceConfig]
    resolution: Resolution = Field(default_factory=Resolution)
    operations: Operations = Field(default_factory=Operations)
    effort: Effort = Field(default_factory=Effort)
    followthrough: FollowThrough = Field(default_factory=FollowThrough)
    cost: Cost = Field(default_factory=Cost)
    capacity: Capacity = Field(default_factory=Capacity)
    findings: FindingsSettings = Field(default_factory=FindingsSettings)
    benchmarks: dict[str, Any] = Field(default_factory=dict)
    readiness: ReadinessOverrides = Field(default_factory=ReadinessOverrides)
    report: Report = Field(default_factory=Report)
    base_dir: Path = Field(default=Path("."), exclude=True)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if (problem := _timezone_problem(value)) is not None:
            raise ValueError(problem)
        return value

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        # the name is a folder under reports/: it must not climb out of it or hide
        if not _SLUG.fullmatch(value):
            suggestion = re.sub(r"[^A-Za-z0-9._-]+", "-", value).strip("-._")[:100] or "engagement"
            raise ValueError(
                f"{value!r} names the report folder (reports/<name>/); use letters, digits, '-', '_' and '.', "
                f"starting with a letter or digit, e.g. {suggestion!r}"
            )
        return value

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    @property
    def period_start_utc(self) -> datetime:
        """First instant of the period (local midnight of period.start, as UTC)."""
        return datetime.combine(self.period.start, time(0), self.tz).astimezone(timezone.utc)

    @property
    def period_end_utc(self) -> datetime:
        """End of data: the instant the period ends (local midnight after period.end, as UTC)."""
        return datetime.combine(self.period.end + timedelta(days=1), time(0), self.tz).astimezone(timezone.utc)

    def week_starts_utc(self) -> list[datetime]:
        """Where the period's weeks start, as instants: the period start, then each local
        Monday 00:00 inside the period (the first week is partial unless the period starts
        on a Monday)."""
        starts = [self.period_start_utc]
        day = self.period.start + timedelta(days=1)
        while day <= self.period.end:
            if day.weekday() == 0:
                starts.append(datetime.combine(day, time(0), self.tz).astimezone(timezone.utc))
            day += timedelta(days=1)
        return starts

    def resolve(self, path: str) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)


def _timezone_problem(value: str) -> str | None:
    """What is wrong with a timezone name, with the fix; None for a zone of the pinned database."""
    if is_zone(value):
        return None
    return f"unknown timezone {value!r}; use an IANA name such as 'Europe/London' or 'UTC'"


def _location(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if str(part).startswith(("function-after", "function-before")):
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(error: dict[str, Any], model: type[BaseModel]) -> str:
    loc = _location(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        known = _known_keys(model, error["loc"][:-1])
        guess = difflib.get_close_matches(str(error["loc"][-1]), known, n=1)
        hint = f"did you mean '{guess[0]}'?" if guess else f"known keys here: {', '.join(sorted(known))}"
        return f"{loc}: unknown key; {hint}"
    if kind == "missing":
        return f"{loc}: required key is missing; add it"
    found = error.get("input")
    found_text = "" if isinstance(found, (dict, list)) or kind == "value_error" else f" (found {found!r:.80})"
    if kind == "model_type" and "ColumnMapping" in error["msg"]:
        return f"{loc}: give a raw column name or a mapping with one of column, sql or constant{found_text}"
    if kind.startswith(("date_", "datetime_")):
        # '2026-3-1', '01/03/2026': the month and day need two digits, year first
        return f"{loc}: {found!r:.80} is not a calendar date written YYYY-MM-DD (e.g. 2026-03-01)"
    return f"{loc}: {error['msg'].removeprefix('Value error, ')}{found_text}"


def _without_union_noise(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A column mapping is a raw column name or a mapping: when the mapping branch has errors,
    the "should be a valid string" of the other branch only adds noise."""

    def branch(e: dict[str, Any]) -> int | None:
        return next((i for i, p in enumerate(e["loc"]) if "ColumnMapping" in str(p)), None)

    mapped = {tuple(e["loc"][: branch(e)]) for e in errors if branch(e) is not None}
    return [e for e in errors if not (e["loc"] and e["loc"][-1] == "str" and tuple(e["loc"][:-1]) in mapped)]


def _known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names at ``loc`` inside ``model`` (best effort, for 'did you mean')."""
    current: Any = model
    for part in loc:
        fields = getattr(current, "model_fields", None)
        if fields is None or part not in fields:
            # dict[str, SourceConfig]: skip the key level
            if isinstance(current, type) and issubclass(current, BaseModel):
                return list(current.model_fields)
            continue
        annotation = fields[part].annotation
        args = getattr(annotation, "__args__", ())
        nested = [a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)]
        current = nested[0] if nested else annotation
    return list(getattr(current, "model_fields", {}))


def engagement_from_dict(raw: dict[str, Any], base_dir: Path, origin: str = "<engagement>") -> Engagement:
    """Validate an engagement given as a dict; every problem is collected into one ConfigError."""
    from cxkit.adapters import merge_adapter

    if raw is None:
        raise ConfigError(origin, ["the file is empty; start from the commented template `cxkit init <folder>` writes"])
    if not isinstance(raw, dict):
        raise ConfigError(origin, ["the file must be a YAML mapping (key: value lines); found " + type(raw).__name__])
    problems: list[str] = []
    raw = dict(raw)
    sources = raw.get("sources")
    if "sources" in raw and not sources:
        problems.append(
            "sources: empty; name at least the contacts export, e.g. "
            "'contacts: {adapter: cxkit_generator, path: data/contacts.csv}' (see `cxkit adapters`)"
        )
        raw["sources"] = sources = {}
    elif sources is not None and not isinstance(sources, dict):
        problems.append(
            f"sources: must be a mapping of canonical table to source (contacts: ..., cases: ...); found "
            f"{type(sources).__name__}"
        )
        raw["sources"] = sources = {}
    if isinstance(sources, dict) and sources:
        # Sources are validated one by one, so a problem in one never hides the others'.
        valid: dict[str, SourceConfig] = {}
        for table, src in sources.items():
            key = f"sources.{table}"
            if table not in TABLES:
                guess = difflib.get_close_matches(str(table), list(TABLES), n=1)
                hint = f"did you mean '{guess[0]}'?" if guess else f"known tables: {', '.join(TABLES)}"
                problems.append(f"{key}: not a canonical table; {hint}")
                continue
            if not isinstance(src, dict):
                problems.append(f"{key}: must be a mapping with at least 'adapter' or 'columns'")
                continue
            shape = _source_shape_problems(key, src)
            if shape:
                problems.extend(shape)
                continue
            try:
                merged = merge_adapter(table, src, base_dir=base_dir)
            except ValueError as exc:
                problems.append(f"{key}.adapter: {exc}")
                continue
            if "adapter" in src:
                merged["adapter"] = src["adapter"]  # as written (no local path in reports)
            try:
                config = SourceConfig.model_validate(merged)
            except ValidationError as exc:
                problems.extend(f"{key}.{_describe(e, SourceConfig)}" for e in _without_union_noise(exc.errors()))
                continue
            problems.extend(_source_problems(table, config, base_dir))
            valid[table] = config
        if "contacts" not in sources:
            problems.append("sources.contacts: missing; every engagement needs a contacts source")
        raw["sources"] = valid
    engagement: Engagement | None = None
    try:
        engagement = Engagement.model_validate({**raw, "base_dir": base_dir})
    except ValidationError as exc:
        problems.extend(_describe(e, Engagement) for e in exc.errors())
    if engagement is not None and engagement.readiness.thresholds:
        # a mistyped check id was found only once readiness ran, after every export was read,
        # and named the folder's engagement.yaml whatever file was given
        from cxkit.readiness.suites import threshold_problems

        problems.extend(threshold_problems(engagement.readiness.thresholds))
    if problems:
        raise ConfigError(origin, problems)
    assert engagement is not None
    return engagement


_SHAPES = {"columns": (dict, "a mapping of canonical column to raw column, e.g. {contact_id: call_id}"),
           "read_options": (dict, "a mapping of reader options, e.g. {delim: ';'}"),
           "exclude": (list, "a list of rules, e.g. [{when: \"status = 'TEST'\", reason: test calls}]"),
           "dedup": (dict, "a mapping, e.g. {key: [call_id], newest_by: exported_at}")}


def _source_shape_problems(key: str, src: dict[str, Any]) -> list[str]:
    """Keys whose value has the wrong shape, caught before the adapter is merged under them."""
    problems = []
    for name, (kind, expected) in _SHAPES.items():
        value = src.get(name)
        if value is not None and not isinstance(value, kind):
            problems.append(f"{key}.{name}: must be {expected}; found {type(value).__name__} {value!r:.60}")
    return problems


def _source_problems(table: str, src: SourceConfig, base_dir: Path) -> list[str]:
    """Checks of one source that need more than its fields: files exist, columns are canonical."""
    problems: list[str] = []
    key = f"sources.{table}"
    leg_grain = table == "contacts" and src.grain == "leg"
    spec = TABLES["legs"] if leg_grain else TABLES[table]
    if src.path is None and src.table is None:
        problems.append(f"{key}: give 'path' (a file or glob, relative to the engagement) or 'table'")
    if src.path is not None:
        fmt = src.format or _format_from_suffix(src.path)
        if fmt is None:
            problems.append(f"{key}.format: cannot tell the format of {src.path!r}; set format to one of {', '.join(FORMATS)}")
        pattern = Path(src.path).expanduser()
        pattern = pattern if pattern.is_absolute() else base_dir / pattern
        try:
            is_folder = pattern.is_dir()
        except OSError:
            is_folder = False
        if is_folder:
            inside = sorted(p.name for p in pattern.iterdir() if p.is_file() and not p.name.startswith("."))
            shown = ", ".join(inside[:5]) + (" ..." if len(inside) > 5 else "")
            problems.append(
                f"{key}.path: {str(pattern)!r} is a folder ({plural(len(inside), 'file')}: {shown or 'none'}), not a file; give "
                f"one file or a glob of files that share their columns, e.g. '{src.path.rstrip('/')}/*.csv'"
            )
        else:
            try:
                matched = pattern.parent.exists() and any(pattern.parent.glob(pattern.name))
            except (ValueError, OSError):
                matched = False
            if not matched:
                problems.append(
                    f"{key}.path: no file matches {str(pattern)!r}; check the path (relative paths start at the "
                    "engagement folder)"
                )
    for i, rule in enumerate(src.exclude):
        if (problem := sql_expression_problem(rule.when)) is not None:
            problems.append(f"{key}.exclude[{i}].when: {problem}; write one DuckDB condition, e.g. \"status = 'TEST'\"")
        fix = (f"to drop records delivered more than once, use {key}.dedup: {{key: [<id columns>], newest_by: "
               "<export time column>}, which keeps each record's newest version and counts the others")
        if (problem := _window_problem(rule.when, "an exclusion rule", fix)) is not None:
            problems.append(f"{key}.exclude[{i}].when: {problem}")
    for name, value in src.columns.items():
        if not isinstance(value, ColumnMapping):
            continue
        if value.sql is not None and (problem := sql_expression_problem(value.sql)) is not None:
            problems.append(f"{key}.columns.{name}.sql: {problem}; write one DuckDB expression over the raw "
                            "columns, e.g. \"TRY_CAST(queue_id AS INTEGER)\"")
        fix = ("leave leg_seq unmapped: cxkit numbers each contact's legs by arrived_at, then ended_at"
               if name == "leg_seq" else "write it over the row's own columns")
        for origin in ("sql", "derive"):
            if (problem := _window_problem(getattr(value, origin), "a column mapping", fix)) is not None:
                problems.append(f"{key}.columns.{name}.{origin}: {problem}")
        if value.timezone is not None and (problem := _timezone_problem(value.timezone)) is not None:
            problems.append(f"{key}.columns.{name}.timezone: {problem}")
        if value.unit is not None and name in spec.names and spec.column(name).dtype.startswith("timestamp"):
            problems.extend(f"{key}.columns.{name}.{p}" for p in _epoch_problems(value))
    if src.dedup is not None and not src.dedup.key:
        problems.append(f"{key}.dedup.key: empty; list the raw column(s) identifying one record, e.g. [call_id]")
    if src.timezone is not None and (problem := _timezone_problem(src.timezone)) is not None:
        problems.append(f"{key}.timezone: {problem}")
    for name in src.columns:
        if name not in spec.names:
            guess = difflib.get_close_matches(name, list(spec.names), n=1)
            hint = f"did you mean '{guess[0]}'?" if guess else "see docs/data-model.md"
            problems.append(f"{key}.columns.{name}: not a column of canonical table '{spec.name}'; {hint}")
    # leg order defaults to arrival order; transfers are counted from the legs
    required = set(spec.required) - {"leg_seq"}
    for name in sorted(required - set(src.columns)):
        problems.append(f"{key}.columns.{name}: required canonical column is not mapped; map it to a raw column or expression")
    return problems


def _epoch_problems(mapping: ColumnMapping) -> list[str]:
    """What is wrong with ``unit`` on a timestamp column: it reads epoch numbers (seconds or
    milliseconds since 1970-01-01 UTC), which are instants, so it takes no format or timezone."""
    example = "e.g. {column: created_ms, unit: ms}"
    if mapping.unit not in EPOCH_UNITS:
        return [f"unit: {mapping.unit!r} is a unit of durations; a timestamp takes unit 's' (epoch seconds) or 'ms' "
                f"(epoch milliseconds since 1970-01-01 UTC), {example}, or a format for text"]
    problems = []
    if mapping.derive is not None or mapping.constant is not None:
        origin = "derive" if mapping.derive is not None else "constant"
        problems.append(f"unit: {origin} gives the timestamp itself, so unit {mapping.unit!r} would be ignored; remove "
                        f"unit, or read the raw epoch number with column or sql, {example}")
    if mapping.format is not None:
        problems.append(f"format: unit {mapping.unit!r} reads epoch numbers, format {mapping.format!r} reads text; "
                        "give one of them")
    if mapping.timezone is not None:
        problems.append(f"timezone: epoch times are instants (UTC), so timezone {mapping.timezone!r} would be "
                        "ignored; remove it")
    return problems


def sql_expression_problem(sql: str) -> str | None:
    """Why ``sql`` is not one SQL expression (a parse error, several statements, a query), or None.

    Examples
    --------
    >>> sql_expression_problem("disposition = 'X'") is None
    True
    >>> sql_expression_problem("disposition = = 'X'")
    "not valid SQL (Required keyword: 'expression' missing for <class 'sqlglot.expressions.EQ'>. Line 1, Col: 15.)"
    >>> sql_expression_problem("x; DROP TABLE t")
    'one expression is expected, found 2 statements'
    """
    import sqlglot

    try:
        parsed = [e for e in sqlglot.parse(str(sql), read="duckdb") if e is not None]
    except sqlglot.errors.SqlglotError as exc:
        return f"not valid SQL ({str(exc).splitlines()[0]})"
    if len(parsed) != 1:
        return f"one expression is expected, found {len(parsed)} statements" if parsed else "empty"
    if isinstance(parsed[0], (sqlglot.exp.Query, sqlglot.exp.Command, sqlglot.exp.DDL, sqlglot.exp.DML)):
        return f"one expression is expected, found a {type(parsed[0]).__name__.upper()} statement"
    return None


def _window_problem(sql: str | None, where: str, fix: str) -> str | None:
    """Why ``sql``, ``where`` (a column mapping, an exclusion rule) of a source, cannot hold a
    window function (``OVER``), with ``fix``; None when it holds none.

    Each row is mapped and excluded on its own: readiness counts a column's unreadable values
    with an aggregate over its expression and the excluded rows with a filter, which the engine
    refuses around a window, and a window would number the rows before the exclusion rules and
    de-duplication drop some of them.

    >>> _window_problem("row_number() OVER (PARTITION BY master_id ORDER BY start)", "a column mapping", "x")
    'a window function (OVER ...) cannot be used in a column mapping: each row is read on its own. Fix: x'
    >>> _window_problem("status = 'TEST'", "an exclusion rule", "x") is None
    True
    """
    import sqlglot

    try:
        tree = sqlglot.parse_one(sql, read="duckdb") if sql else None
    except sqlglot.errors.SqlglotError:
        return None  # said by sql_expression_problem
    if tree is None or tree.find(sqlglot.exp.Window) is None:
        return None
    return f"a window function (OVER ...) cannot be used in {where}: each row is read on its own. Fix: {fix}"


def _format_from_suffix(path: str) -> str | None:
    lower = path.lower()
    for suffix, fmt in ((".csv", "csv"), (".tsv", "csv"), (".txt", "csv"), (".parquet", "parquet"),
                        (".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "json")):
        if lower.endswith(suffix) or lower.endswith(suffix + ".gz"):
            return fmt
    return None


def load_engagement(path: str | Path, overrides: dict[str, Any] | None = None) -> Engagement:
    """Read and validate ``engagement.yaml`` (or a folder holding one).

    ``overrides`` are merged on top (top-level keys, one level deep), for example to point a
    demo at freshly generated data. A relative ``path`` that does not exist from the current
    folder is read from the cxkit repository when it exists there (the notebooks' default
    ``engagement = "engagements/demo/engagement.yaml"``); a missing file is reported with the
    parameter to pass.
    """
    p = _existing_engagement_path(Path(path))
    if p.is_dir():
        p = p / "engagement.yaml"
    if not p.exists():
        raise ConfigError(str(p), [_not_found(Path(path))])
    try:
        raw = read_yaml(p)
    except OSError as exc:
        raise ConfigError(str(p), [f"cannot be read ({exc.strerror or exc}); check the file's permissions"]) from None
    if overrides:
        raw = _deep_merge(raw or {}, overrides)
    return engagement_from_dict(raw, base_dir=p.parent.resolve(), origin=str(p))


def _repository_root() -> Path | None:
    """The cxkit checkout (the folder holding ``notebooks/``), or None for an installed package."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "notebooks").is_dir() else None


def _existing_engagement_path(path: Path) -> Path:
    """``path``, or the same relative path in the repository when only that one exists.

    The notebooks' default ``engagement`` parameter is relative to the repository, so a notebook
    run from another folder (plain papermill, JupyterLab, Quarto) still finds the demo.
    """
    root = _repository_root()
    if path.is_absolute() or path.exists() or root is None or not (root / path).exists():
        return path
    return root / path


def _not_found(path: Path) -> str:
    root = _repository_root()
    where = ""
    if not path.is_absolute():
        where = f" (looked in {Path.cwd()}" + (f" and in the repository {root})" if root else ")")
    return (
        f"file not found{where}. Fix: give the path of an existing engagement.yaml or its folder: "
        "to a notebook as its `engagement` parameter (papermill: -p engagement "
        "/path/to/engagement.yaml; quarto render: -P engagement:/path/to/engagement.yaml), or to "
        "cxkit as its argument. A new engagement is made with 'cxkit init <folder>'"
    )


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (PyYAML keeps the last one
    silently, so a second ``period:`` would quietly win)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None,
                        f"key {key!r} appears twice in one mapping (first on line {seen[key]}); keep one of them",
                        key_node.start_mark,
                    )
                seen[key] = key_node.start_mark.line + 1
            except TypeError:
                pass  # an unhashable key: the constructor reports it
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node):
        """A date YAML recognises by its shape but the calendar lacks (2026-02-30) stays text, for
        the key that reads it to say so: PyYAML's ``ValueError`` names neither key nor line."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _UniqueKeyLoader.construct_yaml_timestamp)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file (an engagement or an adapter); a ``ConfigError`` names the line and the fix."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), [f"not UTF-8 text ({exc}); save the file as UTF-8"]) from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = str(getattr(exc, "problem", None) or exc)
        line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        if "\t" in problem or "\t" in line[: len(line) - len(line.lstrip())]:
            fix = "YAML is indented with spaces only: replace the tab(s) at the start of that line with spaces"
        elif "appears twice" in problem:
            fix = problem
            problem = "duplicate key"
        else:
            fix = "check the indentation, colons and quotes on that line and the one before it"
        raise ConfigError(str(path), [f"not valid YAML at {where} ({problem}); {fix}"]) from None


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
