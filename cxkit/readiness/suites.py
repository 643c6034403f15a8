"""The readiness rules as data: GE suites in ``expectations/`` and ``expectations/rules.json``.

Each suite is a Great Expectations 1.x ``ExpectationSuite`` (loadable with
``gx.ExpectationSuite(**json)``); every expectation carries cxkit's metadata in ``meta``
(``id``, ``title``, ``category``, ``diagnostics``, ``threshold``, ``finding``, ``consequence``,
``batch``) and a GE ``severity``. Checks GE has no expectation type for (loader counts, the
business-hours profile) sit in the suite's ``meta.cxkit.checks`` with the same fields, so the
suite file stays the one place a rule is read from.

Engagements tighten or relax thresholds with ``readiness.thresholds`` without editing the
shared suites: ``{"contacts.customer_id.identified": 0.5}`` replaces the check's primary
threshold (``meta.threshold``), ``{"contacts.talk_s.plausible.max_value": 7200}`` any kwarg.

A rule whose figures read some records only says so in ``meta.population``: a GE
``row_condition`` selecting them and the word for them (``records``, e.g. "handled contacts").
:func:`cxkit.readiness.checks.apply_populations` adds the condition when the export tells
which records they are, so the missing talk times of abandoned contacts, which AHT never
reads, are not counted against it.
"""

from __future__ import annotations

import copy
import difflib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from cxkit.errors import ConfigError

__all__ = ["Rule", "Suite", "expectations_dir", "load_rules", "load_suites", "apply_overrides", "threshold_problems",
           "condition_columns"]

_TABLE_ORDER = ("contacts", "legs", "cases", "surveys", "qa", "intervals")


def expectations_dir() -> Path:
    """The folder holding the shared suites (``expectations/`` at the repository root)."""
    return Path(__file__).resolve().parents[2] / "expectations"


def condition_columns(condition: dict[str, Any] | None) -> list[str]:
    """The columns a GE 1.x ``row_condition`` (as JSON: ``comparison``, ``and``, ``or``) reads."""
    if not condition:
        return []
    if condition.get("type") == "comparison":
        return [condition["column"]["name"]]
    return [c for part in condition.get("conditions", []) for c in condition_columns(part)]


@dataclass(frozen=True)
class Rule:
    """One check: a GE expectation configuration (or a cxkit check) plus cxkit's metadata."""

    id: str
    table: str
    type: str
    kwargs: dict[str, Any]
    severity: str
    meta: dict[str, Any]

    @property
    def is_ge(self) -> bool:
        return not self.type.startswith("cxkit_")

    @property
    def batch(self) -> str:
        return self.meta.get("batch", "rows")

    @property
    def diagnostics(self) -> tuple[str, ...]:
        return tuple(self.meta.get("diagnostics", ()))

    def columns(self) -> list[str]:
        """Columns the check reads (canonical or derived), those of its ``row_condition`` included."""
        kw = self.kwargs
        cols = [kw[k] for k in ("column", "column_A", "column_B") if k in kw]
        return cols + list(kw.get("column_list", [])) + condition_columns(kw.get("row_condition"))

    def to_ge(self) -> dict[str, Any]:
        """The expectation as GE configuration JSON (``type``, ``kwargs``, ``meta``, ``severity``)."""
        return {"type": self.type, "kwargs": dict(self.kwargs), "meta": dict(self.meta), "severity": self.severity}


@dataclass(frozen=True)
class Suite:
    """The rules of one canonical table, in file order."""

    name: str
    table: str
    rules: tuple[Rule, ...]
    raw: dict[str, Any] = field(repr=False)

    def ge_json(self) -> dict[str, Any]:
        """The suite as GE JSON with the rules' (possibly overridden) kwargs."""
        out = copy.deepcopy(self.raw)
        out["expectations"] = [r.to_ge() for r in self.rules if r.is_ge]
        return out


@cache
def _read(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def load_rules(folder: Path | None = None) -> dict[str, Any]:
    """``rules.json``: how severities become verdicts, what blocks, the exit codes."""
    return copy.deepcopy(_read(str((folder or expectations_dir()) / "rules.json")))


def load_suites(folder: Path | None = None) -> dict[str, Suite]:
    """Every table suite in ``folder`` (default: the shared ``expectations/``), keyed by table."""
    folder = folder or expectations_dir()
    suites: dict[str, Suite] = {}
    for table in _TABLE_ORDER:
        path = folder / f"{table}.json"
        if not path.exists():
            continue
        raw = copy.deepcopy(_read(str(path)))
        rules = []
        entries = raw.get("expectations", []) + raw.get("meta", {}).get("cxkit", {}).get("checks", [])
        for entry in entries:
            meta = entry.get("meta", {})
            rules.append(
                Rule(meta["id"], table, entry["type"], dict(entry["kwargs"]), entry.get("severity", "critical"), meta)
            )
        suites[table] = Suite(raw["name"], table, tuple(rules), raw)
    return suites


def threshold_problems(thresholds: dict[str, float]) -> list[str]:
    """What is wrong with the engagement's ``readiness.thresholds`` against the shared suites (an
    unknown check, a share outside 0-1), each naming its key: checked when the engagement is
    read, before any export is, and the file named is the one given."""
    return _overrides(load_suites(), thresholds)[1]


def _overrides(suites: dict[str, Suite], thresholds: dict[str, float]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """``readiness.thresholds`` as changes per rule id, and their problems."""
    by_id = {r.id: r for s in suites.values() for r in s.rules}
    changes: dict[str, dict[str, Any]] = {}
    problems = []
    for key, value in thresholds.items():
        if key in by_id:
            rule_id, kwarg = key, by_id[key].meta.get("threshold")
        else:
            rule_id, _, kwarg = key.rpartition(".")
        rule = by_id.get(rule_id)
        if rule is None or not kwarg:
            guess = difflib.get_close_matches(key, list(by_id), n=1)
            hint = f"did you mean '{guess[0]}'?" if guess else "see the meta.id of the checks in expectations/*.json"
            problems.append(f"readiness.thresholds.{key}: no such check; {hint}")
            continue
        if kwarg == "mostly" and not 0 <= float(value) <= 1:
            problems.append(f"readiness.thresholds.{key}: 'mostly' is a share between 0 and 1 (found {value!r})")
            continue
        current = rule.kwargs.get(kwarg)
        if isinstance(current, int) and not isinstance(current, bool) and float(value).is_integer():
            # a count stays a count: YAML's 5000 arrives as 5000.0, and notes print "5,000.0 contacts"
            value = int(value)
        changes.setdefault(rule_id, {})[kwarg] = value
    return changes, problems


def apply_overrides(suites: dict[str, Suite], thresholds: dict[str, float], origin: str = "engagement") -> dict[str, Suite]:
    """Suites with ``readiness.thresholds`` applied; unknown check ids are reported together."""
    changes, problems = _overrides(suites, thresholds)
    if problems:
        raise ConfigError(origin, problems)
    out = {}
    for table, suite in suites.items():
        rules = tuple(
            Rule(r.id, r.table, r.type, {**r.kwargs, **changes[r.id]}, r.severity, {**r.meta, "overridden": sorted(changes[r.id])})
            if r.id in changes
            else r
            for r in suite.rules
        )
        out[table] = Suite(suite.name, table, rules, suite.raw)
    return out
