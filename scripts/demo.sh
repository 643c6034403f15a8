#!/usr/bin/env bash
# One command: set up, generate the demo contact center, run it end to end to a rendered report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/cxkit demo "$@"
