#!/usr/bin/env bash
# One command: set up and run the tests (unit, fixtures, planted-truth recovery, notebooks).
set -euo pipefail
cd "$(dirname "$0")/.."
# bytecode cached as each process imports it, even where the environment says otherwise
# (scripts/demo.sh says why): the tests start kernels and workers that import the same modules
unset PYTHONDONTWRITEBYTECODE
bash scripts/setup.sh
.venv/bin/python -m pytest "$@"
