"""Ready-made mappings ("adapters") from vendor exports to the canonical model.

An adapter is a YAML file, not code: per canonical table it gives the raw format, read options,
source timezone, column mappings, value maps, exclusion rules and de-duplication keys. The
engagement names an adapter per source and may override any of it. Adding an adapter for a new
vendor is writing one such file (see ``docs/adapters.md``); pass its path instead of a name.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = ["available_adapters", "adapter_spec", "merge_adapter"]

_PACKAGE = "cxkit.adapter_specs"


def available_adapters() -> list[str]:
    """Names of the adapters shipped with cxkit."""
    return sorted(
        p.name[: -len(".yaml")] for p in resources.files(_PACKAGE).iterdir() if p.name.endswith(".yaml")
    )


def adapter_spec(name_or_path: str) -> dict[str, Any]:
    """The parsed adapter: a shipped adapter's name or the path of a YAML file."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.exists():
        text = path.read_text(encoding="utf-8")
    elif path.suffix in (".yaml", ".yml") or "/" in name_or_path:
        raise ValueError(
            f"no adapter file at {name_or_path}; a relative adapter path starts at the engagement's "
            f"folder. Shipped adapters: {', '.join(available_adapters())}"
        )
    else:
        candidate = resources.files(_PACKAGE) / f"{name_or_path}.yaml"
        if not candidate.is_file():
            raise ValueError(
                f"unknown adapter {name_or_path!r}; shipped adapters: {', '.join(available_adapters())}, "
                "or give the path of an adapter YAML file"
            )
        text = candidate.read_text(encoding="utf-8")
    spec = yaml.safe_load(text)
    if not isinstance(spec, dict) or not isinstance(spec.get("sources"), dict):
        raise ValueError(f"adapter {name_or_path!r} has no 'sources' mapping")
    return spec


def merge_adapter(table: str, source: dict[str, Any]) -> dict[str, Any]:
    """The source config of ``table``: the adapter's defaults with the engagement's keys on top.

    ``columns`` and ``read_options`` merge key by key, so an engagement can remap one column
    (or add one reader option) and keep the rest; a column set to null (``team: null``) is one
    this client's export does not have: it is unmapped, and every figure that needs it reads
    "not measured".
    """
    name = source.get("adapter")
    if not name:
        out = dict(source)
        if isinstance(out.get("columns"), dict):
            out["columns"] = {k: v for k, v in out["columns"].items() if v is not None}
        return out
    spec = adapter_spec(str(name))
    base = spec["sources"].get(table)
    if base is None:
        raise ValueError(
            f"adapter {name!r} has no mapping for table {table!r}; it maps: {', '.join(spec['sources'])}"
        )
    merged = {**base, **{k: v for k, v in source.items() if k != "columns"}}
    merged["columns"] = {k: v for k, v in {**base.get("columns", {}), **(source.get("columns") or {})}.items()
                         if v is not None}
    if "read_options" in base or "read_options" in source:
        merged["read_options"] = {**base.get("read_options", {}), **source.get("read_options", {})}
    return merged
