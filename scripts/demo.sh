#!/usr/bin/env bash
# One command: set up, generate the demo contact center, run it end to end to a rendered report.
set -euo pipefail
cd "$(dirname "$0")/.."
# Python's default, even where the environment sets PYTHONDONTWRITEBYTECODE: each module's
# bytecode is cached (in .venv and the git-ignored __pycache__ folders) the first time a process
# imports it, and read by every later one. The demo starts eight Python processes (the run, its
# kernels, the renderer); without the cache each compiled its imports again (46 s instead of
# 28 s). Compiling every installed package ahead instead cost setup 15 s for 8,200 files, of
# which the demo imports about 1,600.
unset PYTHONDONTWRITEBYTECODE
bash scripts/setup.sh
.venv/bin/cxkit demo "$@"
