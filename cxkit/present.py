"""Showing results to readers: tables, cards and charts with "not measured" and caveats applied.

Sections show results through these functions and never decide for themselves whether a figure
is measured or which caveat it carries: the result's declaration names its figures
(:mod:`cxkit.results`), :class:`cxkit.figures.Judge` decides, and this module prints the
answer the same way everywhere:

* a figure the export cannot support reads **not measured** with the reason, in every cell,
  card and chart where it would appear (never 0);
* each readiness caveat of a figure is printed right below the table, card or chart that shows
  it, marked on the columns or rows it applies to;
* times are shown in the engagement's timezone, named; tables keep a stated row order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import pandas as pd

from cxkit import display
from cxkit.figures import FIGURES, Caveat
from cxkit.wording import in_sentence
from cxkit.zones import zone

__all__ = ["NOT_MEASURED", "WORDS", "Largest", "table", "cards", "chart", "caveat_notes",
           "local_times", "period_labels", "words"]

NOT_MEASURED = "not measured"

_MARKS = "¹²³⁴⁵⁶⁷⁸⁹"

#: cxkit's own codes, as a reader should read them (values in result columns; client values
#: such as queue names are shown as they are).
WORDS: dict[str, str] = {
    "self_service": "self-service",
    "non_responders": "non-responders",
    "responders": "responders",
    "extra_contacts": "extra contacts",
    "channel_switches": "channel switches",
    "repeat_authentications": "repeat authentications",
    "abandoned_before_served": "abandoned before served",
    "ivr_s": "time in IVR or bot",
    "wait_s": "time waiting in queue",
    "hold_s": "time on hold",
    "elapsed_s": "elapsed time",
    "csat": "CSAT",
    "ces": "CES",
    "nps": "NPS",
    "fcr": "FCR",
    "repeat_share": "repeat share",
    "outcome": "outcome",
    "not transferred": "not transferred",
}

_CODE_COLUMNS = ("channel", "group", "component", "measure", "outcome", "from_step", "to_step", "variant", "first_reason")


class Largest(NamedTuple):
    """A table of segments shows its largest rows only: the ``rows`` with the most ``by`` (a
    column of the result), in the table's own order, and a sentence on the others in words:
    ``measure`` (what ``by`` counts) and ``of`` (what a row is, plural). A row whose column
    holds the value ``keep`` gives (``{"first_reason": "all reasons"}``: a total) is always
    shown and is no segment."""

    by: str
    measure: str
    of: str
    rows: int = 30
    keep: Mapping[str, Any] | None = None


def _largest_rows(frame: pd.DataFrame, largest: Largest, name: str) -> tuple[pd.DataFrame, str | None]:
    """``frame`` cut to its largest rows (:class:`Largest`), and the sentence on the others.

    >>> f = pd.DataFrame({"queue": ["a", "b", "c", "d"], "n": [5, 40, 1, 54]})
    >>> kept, said = _largest_rows(f, Largest("n", "contacts", "queues", rows=2), "by_queue")
    >>> kept.queue.tolist()
    ['b', 'd']
    >>> print(said)
    The 2 queues with the most contacts are shown, of 4; the other 2 have 6% of the contacts. Every row is in the run's results (by_queue).

    A total row is shown and counts as no queue:

    >>> f = pd.concat([f, pd.DataFrame({"queue": ["all queues"], "n": [100]})])
    >>> kept, said = _largest_rows(f, Largest("n", "contacts", "queues", rows=2, keep={"queue": "all queues"}), "by_queue")
    >>> kept.queue.tolist(), said.split(";")[0]
    (['b', 'd', 'all queues'], 'The 2 queues with the most contacts are shown, of 4')
    """
    from cxkit.charts import largest as keep_largest
    from cxkit.errors import CxkitError
    from cxkit.wording import share

    unknown = [c for c in (largest.by, *(largest.keep or {})) if c not in frame.columns]
    if unknown:
        raise CxkitError(f"present.table({name!r}): largest names column(s) {unknown} that are not in the result "
                         f"{list(map(str, frame.columns))}. Fix: use the result's column names.")
    kept_anyway = pd.Series(False, index=frame.index)
    for column, value in (largest.keep or {}).items():
        kept_anyway |= frame[column].eq(value).fillna(False)
    if int((~kept_anyway).sum()) <= largest.rows:
        return frame, None
    keyed = frame.assign(_cx_row=range(len(frame)), _cx_by=pd.to_numeric(frame[largest.by], errors="coerce").fillna(0))
    kept, rows, others = keep_largest(keyed.loc[~kept_anyway.to_numpy()], "_cx_row", "_cx_by", largest.rows)
    kept = keyed.loc[keyed["_cx_row"].isin(set(kept["_cx_row"])) | kept_anyway.to_numpy()]
    said = (f"The {largest.rows:,} {largest.of} with the most {largest.measure} are shown, of {rows:,}; the other "
            f"{rows - largest.rows:,} have {share(others)} of the {largest.measure}. Every row is in the run's "
            f"results ({name}).")
    return kept.drop(columns=["_cx_row", "_cx_by"]).reset_index(drop=True), said


def _mark(index: int) -> str:
    return _MARKS[index] if index < len(_MARKS) else f"[{index + 1}]"


def caveat_notes(caveats: Sequence[tuple[Caveat, str | None]]) -> list[display.Html]:
    """Caveat boxes, each with the marker of the figures it applies to."""
    return [display.caveat(c.verdict if c.verdict in ("degraded", "blocked") else "info", c.reason, marker=m)
            for c, m in caveats]


def _join(parts: Sequence[Any]) -> display.Html:
    parts = [p for p in parts if p is not None and (str(p) or getattr(p, "_markup", ""))]
    text = "\n".join(str(p) for p in parts)
    markup = "".join(p._repr_html_() if hasattr(p, "_repr_html_") else display.Html(str(p))._repr_html_() for p in parts)
    return display.Html(text, markup)


def words(frame: pd.DataFrame) -> pd.DataFrame:
    """cxkit's codes in the columns that carry them (:data:`WORDS`), in a reader's words."""
    out = frame.copy()
    for col in _CODE_COLUMNS:
        if col in out.columns and (out[col].dtype == object or pd.api.types.is_string_dtype(out[col])):
            out[col] = out[col].astype(object).map(_in_words)
    return out


def _in_words(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if value in WORDS:
        return WORDS[value]
    # a path of steps ("self_service > voice"): each step in words
    return " > ".join(WORDS.get(step, step) for step in value.split(" > ")) if " > " in value else value


def period_labels(frame: pd.DataFrame, column: str, label: str, fmt: str = "%-d %b") -> pd.DataFrame:
    """``frame`` with ``label``: the local date of ``column`` as a reader's period label
    (``"2 Mar"``), in the frame's order."""
    values = pd.to_datetime(frame[column])
    return frame.assign(**{label: [v.strftime(fmt) if pd.notna(v) else "" for v in values]})


def local_times(frame: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Timestamps converted from UTC to the engagement's local time (naive, for display)."""
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_convert(zone(timezone)).dt.tz_localize(None)
    return out


def difference_in_points(key: str, row: str, columns: Sequence[str], label: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """A ``prepare`` step for :func:`table`: the rates in ``columns`` as percentages, except on
    the row whose ``key`` is ``row``, a difference of two rates, written in percentage points
    (``+10.0 pts``) and named ``label``. A gap between 41.5% and 31.5% is 10 points, not 10%
    (which would read as a tenth of 31.5%). The columns are then text: pass them to
    :func:`table` as ``numeric`` too, to keep them aligned as numbers.

    Examples
    --------
    >>> f = pd.DataFrame({"group": ["a", "difference"], "rate": [0.415, 0.1]})
    >>> difference_in_points("group", "difference", ["rate"], "difference (points)")(f).values.tolist()
    [['a', '41.5%'], ['difference (points)', '+10.0 pts']]
    >>> display.table(difference_in_points("group", "difference", ["rate"], "d")(f), numeric=["rate"]).numeric
    (False, True)
    """

    def prepare(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        is_difference = frame[key] == row
        for col in columns:
            frame[col] = [display.format_value(v, "points" if d else "percent")
                          for v, d in zip(frame[col], is_difference, strict=True)]
        frame[key] = frame[key].where(~is_difference, label)
        return frame

    return prepare


def _absent(results: Any, name: str) -> display.Html | None:
    """A note instead of the result when it was not computed or its figure is not measured.

    A note already given by this results object (a notebook opens one per section) is given
    once: a figure shown as a chart and then a table (forecast accuracy by queue, its daypart
    heatmap and table; QA against resolution; transfer paths) said the same sentence two or
    three times in a row. The later places show nothing.
    """
    why = results.why_absent(name)
    text = None
    if why is not None:
        text = f"{results.spec(name).title} is not measured: {why}."
    else:
        spec = results.spec(name)
        reason = results.judge.absent(spec.figure) if spec.figure else None
        if reason:
            text = f"{FIGURES[spec.figure].label} is not measured: {reason}."
    if text is None:
        return None
    said = results.__dict__.setdefault("_not_measured_said", set())
    if text in said:
        return display.Html("", "")
    said.add(text)
    return display.caveat("not measured", text)


def table(
    results: Any,
    name: str,
    *,
    columns: Mapping[str, str],
    formats: Mapping[str, Any] | None = None,
    caption: str | None = None,
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    empty: str | None = None,
    numeric: Sequence[str] = (),
    largest: Largest | Mapping[str, Any] | None = None,
) -> display.Html:
    """Show result ``name`` as a table, with "not measured" and caveats applied.

    Parameters
    ----------
    results
        The run's :class:`cxkit.results.ResultSet`.
    name
        The result to show.
    columns
        Columns to show, in order, with the label a reader sees.
    formats
        Format per column (see :data:`cxkit.display.FORMATS`).
    caption
        Optional caption.
    prepare
        Optional step on the frame before it is shown: a filter (e.g. only the flagged
        agents) or a column computed from the results (e.g. why a row is empty).
    empty
        What to say when no row is left (default: "No rows.").
    numeric
        Columns ``prepare`` writes as text that are numbers, aligned as numbers
        (:func:`difference_in_points`).
    largest
        For a table of segments (a row per reason, queue, team): show only the largest rows
        (:class:`Largest`, or its fields as a mapping: ``{"by": "repeats", "measure": "repeat
        contacts", "of": "queues"}``), saying how many are left out and what share they hold. A
        client with 4,000 disposition codes gets a table a reader can read.
    """
    absent = _absent(results, name)
    if absent is not None:
        return absent
    spec = results.spec(name)
    judge = results.judge
    frame = local_times(results.frame(name), results.manifest["timezone"])
    if prepare is not None:
        frame = prepare(frame)
    if frame.empty:
        return display.note(empty or "No rows.")
    left_out = None
    if largest is not None:
        frame, left_out = _largest_rows(frame, largest if isinstance(largest, Largest) else Largest(**largest), name)
    formats = dict(formats or {})
    labels = dict(columns)
    # a column with no value in any row, of any type (a cost per issue when no issue could be
    # priced): a column of "–" tells the reader nothing the text does not say
    empty = {c for c in labels if c in frame.columns and frame[c].isna().all()}
    notes: list[tuple[Caveat, str | None]] = []

    def note_for(caveat: Caveat) -> str:
        for existing, mark in notes:
            if existing == caveat:
                return mark or ""
        mark = _mark(sum(1 for _, m in notes if m))
        notes.append((caveat, mark))
        return mark

    # the caveats of the table's own figure apply to every column and row: printed first and
    # unmarked. Marked, a caveat met first on a column of another figure sat on that header
    # only, and the table's columns without a figure of their own read as unaffected (or a
    # note carried a mark no cell did)
    if spec.figure:
        for c in judge.caveats(spec.figure):
            if all(existing != c for existing, _ in notes):
                notes.append((c, None))
    # figures of columns: not measured -> every cell says so; caveats -> a mark on the header.
    # Columns not measured for one reason share one note ("NPS and NPS n are not measured:
    # ..."): a note per column said the same reason twice, under two marks (seven times over
    # surveys without links to their contacts)
    # each column's own figure asked once: why it is not measured, or None
    missing = {col: judge.absent(key) for col in labels
               if (key := spec.figures.get(col)) is not None and key != spec.figure}
    unmeasured: dict[str, list[str]] = {}
    for col, reason in missing.items():
        if reason:
            unmeasured.setdefault(reason, []).append(col)
    for col in list(labels):
        key = spec.figures.get(col) or spec.figure
        if key is None:
            continue
        if reason := missing.get(col):
            frame[col] = NOT_MEASURED
            formats[col] = "text"
            cols = [columns[c] for c in unmeasured[reason]]
            named = cols[0] if len(cols) == 1 else f"{', '.join(cols[:-1])} and {cols[-1]}"
            note = Caveat("not measured", f"{named} {'is' if len(cols) == 1 else 'are'} not measured: {reason}")
            labels[col] = f"{labels[col]} {note_for(note)}"
            continue
        if col in spec.figures:
            marks = "".join(note_for(c) for c in judge.caveats(key))
            if marks:
                labels[col] = f"{labels[col]} {marks}"
    # figures of rows (one definition or metric per row)
    label_col = spec.row_label or spec.row_key
    if spec.row_key and spec.row_key in frame.columns:
        # a row's figures are blanked, not what names the row: the window of a sensitivity row
        # (a sort key) stays, or five rows of one definition read alike
        value_cols = [c for c in labels if c != label_col and c not in spec.sort
                      and pd.api.types.is_numeric_dtype(frame[c])]
        row_labels = frame[label_col].astype(object).map(_in_words)
        for idx, key in frame[spec.row_key].items():
            fig = spec.row_figures.get(key)
            if fig is None:
                continue
            reason = judge.not_measured(fig)
            if reason:
                row_labels.at[idx] = f"{row_labels.at[idx]} ({reason})"
                for c in value_cols:
                    frame[c] = frame[c].astype(object)
                    frame.at[idx, c] = None
                if "note" in frame.columns:
                    frame.at[idx, "note"] = reason
                if "value_text" in frame.columns:
                    frame.at[idx, "value_text"] = NOT_MEASURED
                for c in ("status", "assessment"):
                    if c in frame.columns:
                        frame.at[idx, c] = reason if c == "assessment" else NOT_MEASURED
                continue
            marks = "".join(note_for(c) for c in judge.caveats(fig))
            if marks:
                row_labels.at[idx] = f"{row_labels.at[idx]} {marks}"
        if label_col in labels:
            frame[label_col] = row_labels
    frame = words(frame)
    # a text column with nothing in any row (e.g. "why none judged" when every row was judged);
    # text read back from Parquet is pandas' string type, not object: a column of "–" otherwise
    labels = {c: lab for c, lab in labels.items()
              if not ((frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c]))
                      and frame[c].fillna("").astype(str).str.strip().eq("").all())
              and not (c in empty and not missing.get(c))}
    shown = display.table(frame, columns=labels, formats={k: v for k, v in formats.items() if k in frame.columns},
                          caption=caption, numeric=numeric)
    boxes = [display.caveat("not measured" if c.verdict == "not measured" else
                            (c.verdict if c.verdict in ("degraded", "blocked") else "info"), c.reason, marker=m)
             for c, m in notes]
    return _join([shown, display.note(left_out) if left_out else None, *boxes])


def cards(results: Any, specs: Sequence[Mapping[str, Any]]) -> display.Html:
    """Headline cards; each may name its ``figure``: not measured -> the card says so and why;
    its caveats are printed inside the card, with those of the figures its detail ``quotes``
    (the service level's card gives the abandon rate)."""
    out = []
    for card in specs:
        card = dict(card)
        key = card.pop("figure", None)
        quoted = card.pop("quotes", ())
        if key is not None:
            if results.judge.not_measured(key):
                card.update(value=NOT_MEASURED, format="text", detail=results.judge.absent(key))
            else:
                card["caveats"] = [(c.verdict, c.reason) for c in results.judge.caveats_for((key, *quoted))]
        out.append(card)
    return display.metric_cards(out)


def chart(
    results: Any,
    name: str,
    build: Callable[[pd.DataFrame], Any],
    *,
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    empty: str | None = None,
) -> Any:
    """Draw result ``name`` with ``build(frame)`` and print its caveats below the chart.

    Returns the chart followed by its caveat boxes (one display object), or a note when the
    figure is not measured or nothing is left to draw.
    """
    absent = _absent(results, name)
    if absent is not None:
        return absent
    spec = results.spec(name)
    frame = local_times(results.frame(name), results.manifest["timezone"])
    if prepare is not None:
        frame = prepare(frame)
    if frame.empty:
        # a stakeholder reads why the chart is missing, not "Nothing to draw."
        return display.note(empty or f"No chart: this data has nothing to show for {in_sentence(spec.title)}.")
    drawn = build(words(frame))
    caveats = results.judge.caveats_for(spec.all_figures())
    return _Shown(drawn, caveat_notes([(c, None) for c in caveats]))


class _Shown:
    """A chart and the caveats printed under it, displayed as one cell output each."""

    def __init__(self, chart_obj: Any, notes: Sequence[display.Html]):
        self.chart = chart_obj
        self.notes = list(notes)

    def _ipython_display_(self) -> None:
        from IPython.display import display as show

        show(self.chart)
        if self.notes:
            show(_join(self.notes))
