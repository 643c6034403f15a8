"""The readiness matrix: a verdict per diagnostic (ready / degraded / blocked), with the reason.

Rules come from data: ``Column.needed_by`` in ``cxkit.schema`` (a needed column that is not
mapped blocks the diagnostic, or degrades it when the column has a default), the absence of an
optional table, and the failing checks (a check's GE ``severity`` says what it does to the
diagnostics in its ``meta.diagnostics``, via ``rules.json``'s ``severity_effect``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cxkit.readiness.checks import DERIVED, CheckResult
from cxkit.schema import DIAGNOSTICS, TABLES
from cxkit.wording import in_sentence

__all__ = ["verdicts", "sentence", "apart_from", "spared_figures", "check_columns"]


def _needed(diagnostic: str) -> dict[str, list[str]]:
    """Canonical columns the diagnostic needs, per table (legs repeat contacts: left out)."""
    out: dict[str, list[str]] = {}
    for name, spec in TABLES.items():
        if name == "legs":
            continue
        cols = [c.name for c in spec.columns if diagnostic in c.needed_by]
        if cols:
            out[name] = cols
    return out


def check_columns(result: CheckResult) -> list[str]:
    """The canonical columns (``table.column``) a check reads; [] for table-wide checks (row
    counts, daily volumes, loader counts), which concern every figure over the table."""
    kw = result.kwargs or {}
    named = [kw.get("column"), kw.get("column_A"), kw.get("column_B"), *(kw.get("column_list") or [])]
    spec = TABLES.get(result.table)
    out: list[str] = []
    for name in named:
        if not isinstance(name, str):
            continue
        sources = DERIVED[name][0] if name in DERIVED else (name,)
        out += [f"{result.table}.{c}" for c in sources if spec is not None and c in spec.names]
    return list(dict.fromkeys(out))


def sentence(diagnostic: str, verdict: str, reason: str, spared: Iterable[str] = ()) -> str:
    """'FCR (repeat-based) and repeat share is degraded: customer_id is 59% null (...)'.

    ``spared`` are the figures of the diagnostic the verdict does not reach (its checks name the
    figures they limit, and these are not among them): the sentence says so, as in 'FCR
    (repeat-based) and repeat share is blocked, apart from repeat share of inbound contacts,
    cost of repeat contacts, ... and failure demand, which it does not limit: ...' (every one by
    name up to eight).
    """
    return f"{DIAGNOSTICS[diagnostic]} is {verdict}{apart_from(spared, diagnostic)}: {reason}"


def apart_from(spared: Iterable[str], diagnostic: str | None = None) -> str:
    """', apart from repeat share of inbound contacts and the repeat cost figures, which it does not
    limit' ('' for none).

    With the ``diagnostic``, when it spares more than three figures and limits fewer, those it
    limits are named instead: ' only for cost of repeat contacts (prices derived from AHT) and
    what-if scenarios' (the cost model without talk times spared eight figures, every one
    listed before the two it limits could be guessed).
    """
    from cxkit.figures import FIGURES

    spared = list(spared)
    labels = [FIGURES[k].label for k in spared]
    if not labels:
        return ""
    if diagnostic is not None:
        limited = [k for k, f in FIGURES.items() if diagnostic in f.diagnostics and k not in spared]
        if limited and len(labels) > _NAMED_IN_SHORT and len(limited) < len(labels):
            return " only for " + _listed([words for words, _ in _grouped(_named(limited, diagnostic))])
    if len(labels) == 1:
        return f", apart from {_lowered(labels)[0]}, which it does not limit"
    # every spared figure by name while the list stays readable ("and 5 more figures" left the
    # reader to guess which numbers still stand), a family of figures by its name when every
    # one of it is spared ("the repeat cost figures"), the breakdowns of one figure together
    # ("FCR by contact reason, queue and team"); semicolons where an item holds a comma
    # ("repeat cost and failure demand, counted once"), so the list still reads as a list
    items = _grouped(_named(spared, diagnostic))
    if len(labels) > _NAMED_SPARED:
        shown, count = [], 0
        for words, n in items:
            if count + n > _NAMED_SPARED - 1:
                break
            shown.append(words)
            count += n
        return f", apart from {_listed([*shown, f'{len(labels) - count} more figures'])} it does not limit"
    return f", apart from {_listed([words for words, _ in items])}, which it does not limit"


def _named(keys: list[str], diagnostic: str | None) -> list[tuple[str, int]]:
    """Each figure's words, with how many figures they name: a family (``Figure.family``) whose
    every figure (of ``diagnostic``, when given) is among ``keys`` is named once, "the repeat
    cost figures"; any other figure by its label."""
    from cxkit.figures import FIGURES

    out: list[tuple[str, int]] = []
    said: set[str] = set()
    for key in keys:
        family = FIGURES[key].family
        members = [k for k, f in FIGURES.items()
                   if family and f.family == family and (diagnostic is None or diagnostic in f.diagnostics)]
        if family and len(members) > 1 and set(members) <= set(keys):
            if family not in said:
                said.add(family)
                out.append((f"the {family} figures", len(members)))
            continue
        out.append((_lowered([FIGURES[key].label])[0], 1))
    return out


def _grouped(named: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Figure words with the breakdowns of one figure said once, in the order first met:
    [('FCR by queue', 1), ('FCR by team', 1)] -> [('FCR by queue and team', 2)]."""
    groups: dict[str, list[tuple[str, int]]] = {}
    for words, n in named:
        head, by, part = words.partition(" by ")
        groups.setdefault(head + by if by else words, []).append((part, n) if by else (words, n))
    out = []
    for key, parts in groups.items():
        if len(parts) == 1 or not key.endswith(" by "):
            out += [(key + p if key.endswith(" by ") else p, n) for p, n in parts]
        else:
            out.append((key + _listed([p for p, _ in parts], sep=", ", last=" and "), sum(n for _, n in parts)))
    return out


def _listed(words: list[str], *, sep: str | None = None, last: str | None = None) -> str:
    """'a, b and c'; 'a; b; and c' when an item holds a comma or an 'and' of its own (or ``sep``
    and ``last`` given): 'repeat cost by queue and team; and CSAT', never '... and team and CSAT'."""
    if len(words) == 1:
        return words[0]
    if sep is None:
        comma = any("," in w or " and " in w for w in words)
        sep, last = ("; ", "; and ") if comma else (", ", " and ")
    return f"{sep.join(words[:-1])}{last}{words[-1]}"


def _lowered(labels: list[str]) -> list[str]:
    """Figure labels inside a sentence: 'Case reopens' -> 'case reopens', 'FCR by team' kept."""
    return [in_sentence(label) for label in labels]


#: the most spared figures named as spared when fewer are limited (past it, the limited are named)
_NAMED_IN_SHORT = 3
#: the most spared figures a verdict's sentence names one by one (readiness.json lists them all)
_NAMED_SPARED = 8


def spared_figures(diagnostic: str, verdict: str, reasons: list[dict[str, Any]]) -> list[str]:
    """The diagnostic's figures that none of its reasons at ``verdict`` reaches: [] unless every
    such reason names the figures it limits (a check's ``meta.figures``)."""
    from cxkit.figures import FIGURES

    worst = [r for r in reasons if r["verdict"] == verdict]
    if not worst or not all(r.get("figures") for r in worst):
        return []
    limited = {f for r in worst for f in r["figures"]}
    return [k for k, f in FIGURES.items() if diagnostic in f.diagnostics and k not in limited]


def _figures_reading(diagnostic: str, columns: Iterable[str]) -> list[str]:
    """The figures of ``diagnostic`` that read one of ``columns`` (``table.column``): needed,
    summed when present, counted by code or compared between contacts. A column the export
    lacks limits only them: the cost model's other figures stand without the talk times that
    only derived prices need, and case follow-through without the customer ids that only
    case-based FCR needs."""
    from cxkit.figures import FIGURES

    wanted = set(columns)
    return [key for key, f in FIGURES.items() if diagnostic in f.diagnostics and f.columns & wanted]


def _what_figures_do(figures: Iterable[str], columns: list[str]) -> str:
    """What ``figures`` (:func:`_figures_reading` of ``columns``) do without ``columns``: those
    that need one read "not measured", those that add them up when present leave them out. AHT
    without hold and wrap times read "the figures that need them read 'not measured'" beside an
    AHT that is measured and says what it leaves out."""
    from cxkit.figures import FIGURES

    them = "it" if len(columns) == 1 else "them"
    wanted = set(columns)
    needs = [bool(wanted & set(FIGURES[k].reads)) for k in figures]
    need, add = any(needs), not all(needs)
    if add and not need:
        return f"the figures that add {them} up leave {them} out, and say so beside each"
    if add:
        return (f"the figures that need {them} read \"not measured\", those that add {them} up leave {them} out "
                "and say so")
    return f"the figures that need {them} read \"not measured\""


def _mapped_or_derived(table: str, column: str, mapped: set[str], rules: Mapping[str, Any], leg_grain: bool) -> bool:
    if column in mapped:
        return True
    sources = rules.get("derived_when_unmapped", {}).get(f"{table}.{column}")
    if not sources:
        return False
    return all((leg_grain if s == "@leg_grain" else s in mapped) for s in sources)


def _ready(label: str, diagnostic: str, results: list[CheckResult]) -> str:
    """Why a diagnostic is ready, in words true of its checks: every one passed, or none that
    failed limits it (a failure of information severity: a re-delivery the loader drops) and
    some could not be evaluated (the data they need was not delivered); the report prints the
    count of checks passed beside it."""
    mine = [r for r in results if diagnostic in r.diagnostics]
    failed = [r.title for r in mine if r.status == "fail"]
    open_ = [r.title for r in mine if r.status == "not evaluated"]
    if not failed and not open_:
        return f"{label} is ready: every check it depends on passed"

    def named(titles: list[str], what: str) -> str:
        if not titles:
            return ""
        return f"{len(titles)} {what}: {'; '.join(titles)}" if len(titles) <= 2 else f"{len(titles)} {what}"

    parts = [p for p in (named(failed, "failed for information only"), named(open_, "could not be evaluated")) if p]
    return f"{label} is ready: no check it depends on found a problem that limits it ({'; '.join(parts)})"


def verdicts(
    results: Iterable[CheckResult],
    tables: Mapping[str, set[str]],
    rules: Mapping[str, Any],
    *,
    leg_grain: bool = False,
) -> dict[str, dict[str, Any]]:
    """The matrix: ``{diagnostic: {label, verdict, reason, evidence, reasons: [...]}}``.

    ``tables`` maps each present canonical table to its mapped columns.
    """
    order = rules["verdict_order"]
    effect = rules["severity_effect"]
    results = list(results)
    matrix: dict[str, dict[str, Any]] = {}
    for diagnostic, label in DIAGNOSTICS.items():
        reasons: list[dict[str, Any]] = []
        for table, columns in _needed(diagnostic).items():
            if table not in tables:
                reasons.append({"verdict": rules["absent_table"], "check": f"{table}.present", "evidence": None,
                                "columns": [f"{table}.{c}" for c in columns],
                                "reason": f"the engagement has no {table} source (sources.{table}), which it needs for "
                                          f"{', '.join(columns)}"})
                continue
            spec = TABLES[table]
            missing = [c for c in columns if not _mapped_or_derived(table, c, tables[table], rules, leg_grain)]
            hard = [c for c in missing if spec.column(c).default is None]
            soft = [c for c in missing if spec.column(c).default is not None]
            if hard:
                reasons.append({"verdict": rules["unmapped_column"]["without_default"], "check": f"{table}.mapping",
                                "evidence": None, "columns": [f"{table}.{c}" for c in hard],
                                "figures": _figures_reading(diagnostic, [f"{table}.{c}" for c in hard]),
                                "reason": f"{', '.join(hard)} {'is' if len(hard) == 1 else 'are'} not mapped "
                                          f"(sources.{table}.columns)"
                                          + _derivable(table, hard, lambda c: _mapped_or_derived(
                                              table, c, tables[table], rules, leg_grain))})
            if soft:
                essential = set(rules.get("essential_columns", {}).get(diagnostic, ()))
                core = [c for c in soft if f"{table}.{c}" in essential]
                rest = [c for c in soft if c not in core]
                if core:
                    reasons.append({"verdict": rules["unmapped_column"]["without_default"],
                                    "check": f"{table}.mapping", "evidence": None,
                                    "columns": [f"{table}.{c}" for c in core],
                                    "figures": _figures_reading(diagnostic, [f"{table}.{c}" for c in core]),
                                    "reason": f"{', '.join(core)} {'is' if len(core) == 1 else 'are'} not in the export, "
                                              "so it cannot be measured"})
                if rest:
                    cols = [f"{table}.{c}" for c in rest]
                    figures = _figures_reading(diagnostic, cols)
                    reasons.append({"verdict": rules["unmapped_column"]["with_default"], "check": f"{table}.mapping",
                                    "evidence": None, "columns": cols, "figures": figures,
                                    "reason": f"{', '.join(rest)} {'is' if len(rest) == 1 else 'are'} not in the "
                                              f"export; {_what_figures_do(figures, cols)}"})
        for r in results:
            if r.status != "fail" or diagnostic not in r.diagnostics:
                continue
            v = effect.get(r.severity, "ready")
            if v == "ready":
                continue
            text = r.finding or r.title
            if r.consequence:
                text += f"; {r.consequence}"
            reasons.append({"verdict": v, "check": r.id, "reason": text, "evidence": r.evidence(),
                            "columns": check_columns(r), **({"figures": list(r.figures)} if r.figures else {})})
        reasons.sort(key=lambda x: order.index(x["verdict"]))
        verdict = reasons[0]["verdict"] if reasons else "ready"
        first = reasons[0] if reasons else None
        spared = spared_figures(diagnostic, verdict, reasons)
        matrix[diagnostic] = {
            "label": label,
            "verdict": verdict,
            "reason": (sentence(diagnostic, verdict, first["reason"], spared) if first
                       else _ready(label, diagnostic, results)),
            "evidence": first["evidence"] if first else None,
            "reasons": reasons,
            # figures of the diagnostic its verdict does not reach (the checks name what they limit)
            **({"spared": spared} if spared else {}),
        }
    return matrix


def _derivable(table: str, columns: list[str], mapped: Callable[[str], bool]) -> str:
    """How an export without answer times may still give them, said where their absence blocks
    a figure: many call-detail reports (Five9, CXone) give the queue time but no answer time.
    Not said to an export without the queue time either (``mapped("wait_s")``): it has nothing
    to derive them from."""
    if table != "contacts" or "answered_at" not in columns or not mapped("wait_s"):
        return ""
    return ("; an export with the queue time (and IVR time) of answered contacts can derive it: answered_at: "
            "{derive: \"CASE WHEN outcome = 'handled' THEN arrived_at + to_seconds(coalesce(ivr_s, 0) + wait_s) END\"} "
            "(docs/adapters.md, Derived times)")
