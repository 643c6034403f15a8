#!/usr/bin/env bash
# Refresh constraints.txt from the current .venv after a tested dependency change.
set -euo pipefail
cd "$(dirname "$0")/.."
{ echo "# Tested together on Python 3.11 (pip freeze of the CI environment). Regenerate with scripts/lock.sh."
  .venv/bin/pip freeze --exclude-editable | grep -v '^cxkit' ; } > constraints.txt
