#!/usr/bin/env bash
# One command: set up and run the tests (unit, fixtures, planted-truth recovery, notebooks).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m pytest "$@"
