#!/usr/bin/env bash
# Creates (or reuses) the repository's .venv with pyarrow and pytest, for the Python examples and
# the pyarrow interoperability tests. Idempotent: does nothing when the pinned packages are there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
req="$root/client-examples/python/requirements.txt"
venv="$root/.venv"
stamp="$venv/.hangar-requirements"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$req" "$stamp" \
    && "$venv/bin/python" -c 'import pyarrow.flight, pytest' 2>/dev/null; then
  exit 0
fi
echo "Setting up $venv (pyarrow, pytest) ..."
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
cp "$req" "$stamp"
