#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root) for berth, with nothing downloaded
# from outside Debian's mirror and the npm registry (scripts/fresh-debian.sh
# tries it on a minimal debootstrap). The Debian packages are those whose
# programs berth spawns: runc and crun (the runtimes), conmon, the CNI plugins,
# iproute2 (`ip`: the bridge), iptables, tini (`--init`'s /usr/bin/tini-static),
# bzip2 and xz-utils (ADD's .tar.bz2/.tar.xz), ca-certificates (pulls over
# TLS); busybox-static (the quickstart's base image), and for the tests zstd
# (zstd layers), openssl (TLS certificates) and curl (raw API calls); and python3, make and g++, which compile better-sqlite3 when its
# prebuilt binary cannot be downloaded (it comes from GitHub, not the registry).
# Then the npm dependencies, the build, and `berth`/`berthd` on PATH.
#   --deps-only   install packages and npm modules, skip linking
set -euo pipefail
cd "$(dirname "$0")/.."
DEPS_ONLY=0
[[ "${1:-}" == "--deps-only" ]] && DEPS_ONLY=1

PKGS=(crun runc conmon containernetworking-plugins iproute2 iptables tini bzip2 xz-utils ca-certificates
  busybox-static zstd openssl curl python3 make g++)
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

# node-gyp (better-sqlite3's fallback build) would download Node's headers from
# nodejs.org; point it at the ones installed beside this node instead (NodeSource's
# package and nodejs.org's tarballs ship them in <prefix>/include/node).
if [[ -z ${npm_config_nodedir:-} ]]; then
  prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  if node -e 'const [M, m, p] = process.versions.node.split(".");
      const h = require("fs").readFileSync(process.argv[1], "utf8");
      const v = (k) => (h.match(new RegExp("#define NODE_" + k + "_VERSION (\\d+)")) || [])[1];
      process.exit(v("MAJOR") === M && v("MINOR") === m && v("PATCH") === p ? 0 : 1)' "$prefix/include/node/node_version.h" 2>/dev/null; then
    export npm_config_nodedir=$prefix
  else
    echo "setup: no headers for node $(node -v) in $prefix/include/node; a native build would download them" >&2
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
