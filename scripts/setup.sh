#!/usr/bin/env bash
# Create .venv (if needed) and install cxkit with its tested dependency set (constraints.txt).
# Quarto is optional: `pip install -c constraints.txt -e ".[quarto]"` where the machine can
# download Quarto's binary; without it reports render with the built-in nbconvert renderer.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))'; then
  echo "cxkit needs Python 3.11 or newer; $PY is $("$PY" --version 2>&1). Set PYTHON=/path/to/python3.11." >&2
  exit 2
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -c constraints.txt -e ".[test]"
