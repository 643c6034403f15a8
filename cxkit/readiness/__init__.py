"""Data readiness: can this engagement's data support each diagnostic, and if not, why.

The checks are Great Expectations 1.x suites in ``expectations/`` (one per canonical table) and
the verdict rules are in ``expectations/rules.json``; :mod:`cxkit.readiness.validator` evaluates
them as aggregate ibis queries where the data is. The result is a readiness matrix (ready /
degraded / blocked per diagnostic in :data:`cxkit.schema.DIAGNOSTICS`, with the reason and the
evidence), written to ``run_dir/readiness.json`` for later sections.

Examples
--------
>>> from cxkit.readiness import caveat
>>> caveat({"matrix": {"fcr_repeat": {"verdict": "degraded", "reason": "FCR is degraded: ..."}}}, "fcr_repeat")
'FCR is degraded: ...'
>>> caveat(None, "aht") is None
True
"""

from __future__ import annotations

from cxkit.readiness.checks import CheckResult, TableInputs
from cxkit.readiness.core import READINESS_FILE, Readiness, assess, assess_tables, caveat, load_readiness
from cxkit.readiness.run import ValidationRun, build_data_docs, validate
from cxkit.readiness.suites import load_rules, load_suites

__all__ = [
    "READINESS_FILE",
    "CheckResult",
    "Readiness",
    "TableInputs",
    "ValidationRun",
    "assess",
    "assess_tables",
    "build_data_docs",
    "caveat",
    "load_readiness",
    "load_rules",
    "load_suites",
    "validate",
]
