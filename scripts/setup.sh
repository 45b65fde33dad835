#!/usr/bin/env bash
# Sets up a fresh Debian machine (as root) for berth: the Debian packages berth
# drives (crun, runc, conmon, CNI plugins, iptables, busybox-static, zstd; bzip2
# and xz-utils, whose programs unpack ADD's .tar.bz2/.tar.xz), the
# npm dependencies, the build, and `berth`/`berthd` on PATH.
#   --deps-only   install packages and npm modules, skip linking
set -euo pipefail
cd "$(dirname "$0")/.."
DEPS_ONLY=0
[[ "${1:-}" == "--deps-only" ]] && DEPS_ONLY=1

PKGS=(crun runc conmon containernetworking-plugins iptables busybox-static zstd bzip2 xz-utils ca-certificates)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages: ${missing[*]} (run as root to install them)" >&2
  else
    echo "setup: installing ${missing[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# npm ci only when the lockfile changed since the last install
stamp=node_modules/.berth-lock-stamp
if [[ ! -f $stamp ]] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi
# koffi and better-sqlite3 ship prebuilt binaries; rebuild if either fails to load
node -e "require('better-sqlite3')(':memory:').close(); require('koffi')" 2>/dev/null || npm rebuild better-sqlite3 koffi

if ((DEPS_ONLY == 0)); then
  npm run --silent build
  getent group berth >/dev/null || groupadd -r berth 2>/dev/null || true
  for b in berth berthd; do ln -sf "$PWD/bin/$b" "/usr/local/bin/$b"; done
  echo "setup: berth and berthd are on PATH ($(command -v berth))"
fi
