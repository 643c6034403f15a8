#!/usr/bin/env bash
# Create .venv (if needed) and install cxkit with its tested dependency set (constraints.txt),
# with the extras named by the first argument (default "test"; `bash scripts/setup.sh test,spark`
# adds PySpark). Quarto is optional: `bash scripts/setup.sh test,quarto` where the machine can
# download Quarto's binary; without it reports render with the built-in nbconvert renderer.
#
# The installer is uv (the version below, put into .venv/uv by the system's pip), because the
# demo's one command includes setup: from a warm cache uv installs the set in about 3 s where pip
# takes about 41 s. pip is installed into .venv too. Where uv cannot be installed, or cannot
# install the set (uv reads PIP_INDEX_URL, not pip.conf), pip installs it as before.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
UV_VERSION=0.13.8
extras="${1:-test}"
if ! command -v "$PY" >/dev/null 2>&1; then
  echo "cxkit needs Python 3.11 or newer; there is no program '$PY' here. Set PYTHON=/path/to/python3.11." >&2
  exit 2
fi
if ! "$PY" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))'; then
  echo "cxkit needs Python 3.11 or newer; $PY is $("$PY" --version 2>&1). Set PYTHON=/path/to/python3.11." >&2
  exit 2
fi
# the extras pyproject.toml declares: a misspelt one would otherwise install nothing, silently
known=$("$PY" -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]))')
for extra in ${extras//,/ }; do
  case " $known " in
    *" $extra "*) ;;
    *) echo "cxkit setup: no extra named '$extra'; give a comma-separated list of: ${known// /, } (e.g. bash scripts/setup.sh test,spark)" >&2
       exit 2 ;;
  esac
done
[ -x .venv/bin/python ] || "$PY" -m venv --without-pip .venv

install_with_uv() {
  local uv=.venv/uv/bin/uv
  if [ ! -x "$uv" ]; then
    "$PY" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target .venv/uv "uv==$UV_VERSION" \
      || { echo "cxkit setup: could not install uv $UV_VERSION; installing with pip instead (slower)" >&2; return 1; }
  fi
  if [ -n "${PIP_INDEX_URL:-}" ] && [ -z "${UV_DEFAULT_INDEX:-}" ]; then
    export UV_DEFAULT_INDEX="$PIP_INDEX_URL"
  fi
  "$uv" pip install --quiet --python .venv/bin/python -c constraints.txt pip -e ".[$extras]" \
    || { echo "cxkit setup: uv could not install the set; installing with pip instead (slower)" >&2; return 1; }
}

if ! install_with_uv; then
  .venv/bin/python -m pip --version >/dev/null 2>&1 || .venv/bin/python -m ensurepip --upgrade >/dev/null
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -c constraints.txt -e ".[$extras]"
fi
