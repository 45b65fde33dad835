#!/usr/bin/env bash
# The README's first command. On a fresh Debian machine, as root: installs what
# is missing, builds berth, puts berth/berthd on PATH, starts berthd (the CLI
# starts it on demand), imports a busybox base image made from Debian's
# busybox-static, builds examples/httpd and runs it as `web` with -p 8800:80,
# then shows the page. Safe to run again.
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
echo "== berth build -t httpd examples/httpd"
berth build -t httpd examples/httpd
if [[ "$(berth inspect -f '{{.State.Running}}' web 2>/dev/null)" != true ]]; then
  berth rm -f web >/dev/null 2>&1 || true
  echo "== berth run -d --name web -p 8800:80 httpd"
  berth run -d --name web -p 8800:80 httpd
fi
echo "== berth ps"
berth ps
echo "== the page on http://127.0.0.1:8800/"
node -e '
  const get = (n) => fetch("http://127.0.0.1:8800/").then((r) => r.text()).then((t) => process.stdout.write(t),
    (e) => (n > 0 ? setTimeout(() => get(n - 1), 200) : (console.error("no answer on 127.0.0.1:8800: " + e.message), process.exit(1))));
  get(25);'
echo
echo "berthd is running (socket /run/berth/berth.sock, log /var/log/berthd.log)."
echo "Try: berth logs web; berth exec web ls /www; berth images; DOCKER_HOST=unix:///run/berth/berth.sock docker ps"
