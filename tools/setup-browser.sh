#!/usr/bin/env bash
# Makes sure a headless Chromium is on this machine, for the status page's browser test (StatusPageIT).
# Installs Debian's chromium-headless-shell (about 100 MB) with apt when neither it nor chromium is present.
# Prints the browser's path.
set -euo pipefail
for b in chromium-headless-shell chromium; do
  if command -v "$b" > /dev/null; then command -v "$b"; exit 0; fi
done
if [ "$(id -u)" != 0 ]; then
  echo "setup-browser: no headless Chromium; install it: sudo apt-get install chromium-headless-shell" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends chromium-headless-shell > /dev/null 2>&1 \
  || { apt-get update > /dev/null 2>&1 && apt-get install -y --no-install-recommends chromium-headless-shell > /dev/null; }
command -v chromium-headless-shell
