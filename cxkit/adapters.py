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


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long for the file system, a path through a file
        return False


def adapter_spec(name_or_path: str, base_dir: Path | None = None) -> dict[str, Any]:
    """The parsed adapter: a shipped adapter's name or the path of a YAML file (a relative path
    starts at ``base_dir``, the engagement's folder, else at the working folder)."""
    from cxkit.config import read_yaml
    from cxkit.errors import ConfigError

    path = Path(str(name_or_path)).expanduser()
    if base_dir is not None and not path.is_absolute() and _is_file(Path(base_dir) / path):
        path = Path(base_dir) / path  # like source paths, relative to the engagement (else the working folder)
    if path.suffix in (".yaml", ".yml"):
        if not _is_file(path):
            where = f" in {base_dir} or the working folder" if base_dir is not None and not path.is_absolute() else ""
            raise ValueError(f"adapter file {str(name_or_path)[:200]!r} not found{where}; check the path (relative paths "
                             "start at the engagement folder)")
        try:
            spec = read_yaml(path)
        except ConfigError as exc:
            raise ValueError("; ".join(f"{exc.path}: {p}" for p in exc.problems)) from None
        except OSError as exc:
            raise ValueError(f"adapter file {str(path)!r} cannot be read ({exc.strerror or exc})") from None
    else:
        shipped = str(name_or_path) in available_adapters()
        candidate = resources.files(_PACKAGE) / f"{name_or_path}.yaml"
        if not shipped:
            raise ValueError(
                f"unknown adapter {str(name_or_path)[:80]!r}; shipped adapters: {', '.join(available_adapters())}, "
                "or give the path of an adapter YAML file"
            )
        spec = yaml.safe_load(candidate.read_text(encoding="utf-8"))
    if not isinstance(spec, dict) or not isinstance(spec.get("sources"), dict):
        raise ValueError(f"adapter {name_or_path!r} has no 'sources' mapping (sources: {{contacts: {{...}}}})")
    return spec


def merge_adapter(table: str, source: dict[str, Any], base_dir: Path | None = None) -> dict[str, Any]:
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
    if not isinstance(name, str):
        raise ValueError(f"must be an adapter name or the path of an adapter YAML file; found {type(name).__name__} "
                         f"(shipped adapters: {', '.join(available_adapters())})")
    spec = adapter_spec(name, base_dir)
    base = spec["sources"].get(table)
    if base is None:
        raise ValueError(
            f"adapter {name!r} has no mapping for table {table!r}; it maps: {', '.join(map(str, spec['sources']))}"
        )
    if not isinstance(base, dict) or not isinstance(base.get("columns", {}), dict):
        raise ValueError(f"adapter {name!r}: sources.{table} must be a mapping whose 'columns' is a mapping")
    merged = {**base, **{k: v for k, v in source.items() if k != "columns"}}
    merged["columns"] = {k: v for k, v in {**base.get("columns", {}), **(source.get("columns") or {})}.items()
                         if v is not None}
    if "read_options" in base or "read_options" in source:
        merged["read_options"] = {**base.get("read_options", {}), **(source.get("read_options") or {})}
    return merged
