"""The canonical model declaration and its published page."""

from __future__ import annotations

from pathlib import Path

from cxkit.schema import DIAGNOSTICS, TABLES, data_model_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "data-model.md"


def test_published_data_model_page_is_current():
    # regenerate with: cxkit data-model > docs/data-model.md
    assert DOC.read_text() == data_model_markdown() + "\n"


def test_every_needed_by_names_a_diagnostic():
    for spec in TABLES.values():
        for col in spec.columns:
            assert set(col.needed_by) <= set(DIAGNOSTICS), (spec.name, col.name)


def test_keys_and_time_columns_are_columns():
    for spec in TABLES.values():
        assert set(spec.key) <= set(spec.names)
        assert spec.time_column in spec.names
        assert set(spec.free_text) <= set(spec.names)
        assert all(spec.column(k).required for k in spec.key)
