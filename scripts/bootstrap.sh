#!/usr/bin/env bash
# Installs what Yunying needs on a fresh machine: uv (from PyPI) and the locked environment.
# Uses the machine's own Python 3.11+; never downloads an interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."

export UV_PYTHON_DOWNLOADS=never
if ! command -v uv >/dev/null 2>&1; then
  echo "==> installing uv from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
# The interpreter's real path, not a launcher's (a pyenv shim): uv compares it with the one the
# environment was made from, and a launcher path made it replace .venv on every run.
uv sync --locked --all-packages --quiet --python "$(python3 -c 'import sys; print(sys.executable)')"
