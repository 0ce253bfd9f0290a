#!/usr/bin/env bash
# Makes sure etcd is on this machine, for the cluster tests (ClusterIT): installs Debian's etcd-server
# with apt when it is missing. Prints the etcd binary's path.
set -euo pipefail
if command -v etcd > /dev/null; then command -v etcd; exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "setup-etcd: no etcd; install it: sudo apt-get install etcd-server" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends etcd-server > /dev/null 2>&1 \
  || { apt-get update > /dev/null 2>&1 && apt-get install -y --no-install-recommends etcd-server > /dev/null; }
command -v etcd
