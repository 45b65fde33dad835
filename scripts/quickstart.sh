#!/usr/bin/env bash
# The README's first command. On a fresh Debian machine, as root: installs what
# is missing, builds berth, puts berth/berthd on PATH, starts berthd (the CLI
# starts it on demand) and imports a busybox base image made from Debian's
# busybox-static. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) -ne 0 ]]; then echo "quickstart: run as root (berth manages mounts and namespaces)" >&2; exit 1; fi
bash scripts/setup.sh

echo "== berth version (starts berthd on demand)"
berth version

if ! berth image inspect busybox:latest >/dev/null 2>&1; then
  echo "== importing busybox:latest from $(command -v busybox)"
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  bash scripts/busybox-rootfs.sh "$rootfs/rootfs" "$rootfs/rootfs.tar"
  berth import "$rootfs/rootfs.tar" busybox:latest --change 'CMD ["sh"]'
fi
echo "== berth images"
berth images
echo
echo "berthd is running (socket /run/berth/berth.sock, log /var/log/berthd.log)."
echo "Try: berth history busybox; berth save -o bb.tar busybox; DOCKER_HOST=unix:///run/berth/berth.sock docker images"
