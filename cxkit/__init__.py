"""cxkit: current-state diagnostics for contact-center customer experience.

The public API is small: open an engagement, then hand its canonical tables to the
diagnostic modules (``cxkit.readiness``, ``cxkit.resolution``, ``cxkit.operations``,
``cxkit.journey``, ``cxkit.perception``) and present them with ``cxkit.display`` and
``cxkit.charts``. Nothing heavy is imported until it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["open_engagement", "open_run", "load_engagement", "CxkitError", "__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from cxkit.config import load_engagement
    from cxkit.errors import CxkitError
    from cxkit.results import open_run
    from cxkit.session import open_engagement


def __getattr__(name: str) -> Any:
    if name == "open_engagement":
        from cxkit.session import open_engagement

        return open_engagement
    if name == "open_run":
        from cxkit.results import open_run

        return open_run
    if name == "load_engagement":
        from cxkit.config import load_engagement

        return load_engagement
    if name == "CxkitError":
        from cxkit.errors import CxkitError

        return CxkitError
    raise AttributeError(f"module 'cxkit' has no attribute {name!r}")
