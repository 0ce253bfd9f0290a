#!/usr/bin/env bash
# Creates (or reuses) the repository's .venv with pyarrow, pytest and the ADBC Flight SQL driver, for the Python examples and
# the pyarrow interoperability tests. Idempotent: does nothing when the pinned packages are there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
req="$root/client-examples/python/requirements.txt"
venv="$root/.venv"
stamp="$venv/.hangar-requirements"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$req" "$stamp" \
    && "$venv/bin/python" -c 'import pyarrow.flight, pytest, hypothesis, duckdb, adbc_driver_flightsql.dbapi' 2>/dev/null; then
  exit 0
fi
echo "Setting up $venv (pyarrow, pytest, ADBC Flight SQL driver) ..."
if ! python3 -m venv --clear "$venv" 2>/dev/null; then
  # Debian and Ubuntu ship the venv module separately.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "python3 -m venv failed; installing python3-venv with apt-get ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv --clear "$venv"
  else
    echo "Cannot create $venv: python3 has no working venv module." >&2
    echo "Install it (Debian/Ubuntu: sudo apt-get install python3-venv) and run again." >&2
    exit 1
  fi
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
cp "$req" "$stamp"
