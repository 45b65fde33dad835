#!/usr/bin/env bash
# Tries the README's two commands (`npm run quickstart`, then `npm test`) on a
# fresh Debian 12 machine, as a new user would: a debootstrap
# `--variant=minbase bookworm` root filesystem (cached between runs, a fresh
# copy each run) with nothing else in it but
#   - node 20, copied from this machine: Debian 12 ships node 18, so a machine
#     of this project's kind has node 20 preinstalled; here it is NodeSource's
#     `nodejs` .deb (or a tarball under a prefix such as /usr/local). Its files
#     are copied as they are, without dpkg's record (that record would declare
#     its python3 dependency met when it is not), with npm as it is here (this
#     machine's npm was upgraded over the package's). Not copied: root's
#     ~/.npmrc (it sets nodedir=/usr here; a new user has none);
#   - a clean `git clone` of this checkout's HEAD in /root/berth (uncommitted
#     changes are not tested);
#   - the host's /etc/resolv.conf and /etc/hosts, and the CA file of the host's
#     NODE_EXTRA_CA_CERTS if it has one (the network's TLS trust, see below).
# No ~/.npmrc, no compiler, no iproute2: whatever the README's commands need
# they must install themselves, from Debian's mirror and the npm registry only.
#
# The machine is entered with its own mount and pid namespaces and pivot_root
# (not chroot: runc, conmon and the exec tests must see this root as `/`, not
# the host's files), with a fresh /proc, the host's /sys and /dev (rbind), and
# tmpfs on /run and /dev/shm; /tmp is the rootfs's own directory, as on a
# Debian 12 install. It shares the host's network namespace (it needs the
# mirror and the registry): its berthd's bridge `berth0`, its iptables rules
# and `-p 8800:80` live on the host's network while it runs, so the script
# refuses to start when berth0 or port 8800 are taken, shares the host's
# /run/xtables.lock, and removes the bridge and rules at the end. Every mount
# lives in the namespace and goes with it; every process is in the pid
# namespace and dies with its pid 1. Run as root:
#
#   scripts/fresh-debian.sh                      # quickstart, then the whole `npm test`
#   scripts/fresh-debian.sh --quickstart-only
#   scripts/fresh-debian.sh dist/test/integration/run.test.js ...   # quickstart, then `npm test -- <files>`
#   FRESH_DEBIAN_CACHE=/var/cache/berth-fresh-debian   # where the pristine rootfs and the runs live
#   FRESH_DEBIAN_KEEP=1                          # keep the run's rootfs (for a look inside afterwards)
#   FRESH_DEBIAN_REV=<commit>                    # try another commit than HEAD (e.g. one before a fix)
set -euo pipefail

PHASE_INSIDE=--inside-namespace
if [[ "${1:-}" == "$PHASE_INSIDE" ]]; then
  # ---- pid 1 of the new pid namespace, in its own mount namespace ----
  root=$2; shift 2
  mount --make-rprivate /
  mount --bind "$root" "$root"              # pivot_root needs the new root to be a mount point
  mount -t proc proc "$root/proc"           # this pid namespace's /proc
  mount --rbind /sys "$root/sys"            # with the host's cgroup hierarchies under it
  mount --rbind /dev "$root/dev"
  mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
  mount -t tmpfs -o mode=755,nosuid,nodev run "$root/run"
  # iptables (legacy and nft) serialises on this lock; the network is the host's, so is the lock
  touch /run/xtables.lock "$root/run/xtables.lock"
  mount --bind /run/xtables.lock "$root/run/xtables.lock"
  cd "$root"
  mkdir -p .oldroot
  pivot_root . .oldroot
  exec /usr/sbin/chroot . /bin/sh -c 'umount -l /.oldroot && rmdir /.oldroot && exec "$@"' sh \
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root USER=root LOGNAME=root \
    SHELL=/bin/bash LANG=C.UTF-8 TERM="${TERM:-dumb}" ${FRESH_DEBIAN_CA:+NODE_EXTRA_CA_CERTS=$FRESH_DEBIAN_CA} \
    /bin/bash /fresh-debian-inside.sh "$@"
fi

# The rest is one function, read whole before it runs: editing this file during a run cannot derail it.
main() {
cd "$(dirname "$0")/.."
REPO=$PWD
die() { echo "fresh-debian: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || die "run as root (debootstrap, namespaces, mounts)"
QUICKSTART_ONLY=0
TESTS=()
for a in "$@"; do
  case $a in
    --quickstart-only) QUICKSTART_ONLY=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $a" ;;
    *) TESTS+=("$a") ;;
  esac
done
for c in unshare pivot_root git ip iptables-save; do command -v "$c" >/dev/null || die "$c is missing on this host"; done
if ! command -v debootstrap >/dev/null; then
  echo "fresh-debian: installing debootstrap"
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
fi

CACHE=${FRESH_DEBIAN_CACHE:-/var/cache/berth-fresh-debian}
PRISTINE=$CACHE/bookworm-minbase
t0=$(date +%s)
elapsed() { echo $(($(date +%s) - $1)); }

# The Debian mirror this host's apt uses (the only one reachable), from deb822 or one-line sources.
mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
  /^[[:space:]]*$/ { if (deb && suite ~ /(^| )bookworm( |$)/) { print uri; exit } deb = 0; suite = ""; uri = "" }
  /^Types:.*deb/ { deb = 1 } /^Suites:/ { $1 = ""; suite = $0 " " } /^URIs:/ { uri = $2 }
  END { if (deb && suite ~ /(^| )bookworm( |$)/) print uri }' | head -1)
[[ -n $mirror ]] || mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
  awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }')
[[ -n $mirror ]] || die "no Debian bookworm mirror in /etc/apt/sources.list{,.d}"

# ---- phase 1: the pristine rootfs (debootstrap once, then cached) ----
mkdir -p "$CACHE"
if [[ ! -f $PRISTINE/.complete ]]; then
  echo "== debootstrap --variant=minbase bookworm from $mirror (cached in $PRISTINE)"
  rm -rf "$PRISTINE.tmp"
  debootstrap --variant=minbase bookworm "$PRISTINE.tmp" "$mirror" >"$CACHE/debootstrap.log" 2>&1 ||
    { tail -20 "$CACHE/debootstrap.log" >&2; rm -rf "$PRISTINE.tmp"; die "debootstrap failed (log: $CACHE/debootstrap.log)"; }
  # the same suites a Debian 12 install has: bookworm, its updates and security, from this host's mirror config
  rm -f "$PRISTINE.tmp/etc/apt/sources.list"
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    cp /etc/apt/sources.list.d/debian.sources "$PRISTINE.tmp/etc/apt/sources.list.d/"
  else
    echo "deb $mirror bookworm main" >"$PRISTINE.tmp/etc/apt/sources.list"
  fi
  DEBIAN_FRONTEND=noninteractive chroot "$PRISTINE.tmp" apt-get clean
  touch "$PRISTINE.tmp/.complete"
  rm -rf "$PRISTINE"
  mv "$PRISTINE.tmp" "$PRISTINE"
  echo "   debootstrap: $(elapsed "$t0") s"
else
  echo "== using the cached minbase rootfs $PRISTINE ($(date -r "$PRISTINE/.complete" '+%F %T'))"
fi

# ---- the host's network is shared: nothing of ours may already be on it ----
if ip link show berth0 >/dev/null 2>&1; then die "a bridge berth0 exists on this host (a berthd outside uses it); the fresh machine's berthd would take it over"; fi
if iptables-save 2>/dev/null | grep -q 'berth network on berth0'; then die "iptables rules for berth0 exist on this host; remove them first"; fi
if ss -ltnH 'sport = :8800' | grep -q .; then die "port 8800 is in use on this host; the quickstart publishes -p 8800:80"; fi

# ---- phase 2: this run's machine: a copy of the pristine rootfs, node 20, the repo ----
t1=$(date +%s)
WORK=$(mktemp -d "$CACHE/run.XXXXXX")
ROOT=$WORK/root
NS_PID=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e   # every step of the cleanup runs, whatever the one before it did
  if [[ -n $NS_PID ]] && kill -0 "$NS_PID" 2>/dev/null; then
    # interrupted: the namespace's pid 1 stops what runs and removes what is on the host's network
    # (bounded); then unshare goes, and --kill-child ends pid 1 and with it every process inside
    local init
    init=$(pgrep -P "$NS_PID" | head -1)
    [[ -n $init ]] && kill -TERM "$init" 2>/dev/null
    for _ in $(seq 300); do kill -0 "$NS_PID" 2>/dev/null || break; sleep 0.2; done
    kill -TERM "$NS_PID" 2>/dev/null
    wait "$NS_PID" 2>/dev/null
  fi
  # mounts are the namespace's: none may be left on the host; never delete through one
  if findmnt -rn -o TARGET | grep -qF "$WORK/"; then
    echo "fresh-debian: mounts under $WORK remain on the host; $WORK is left for inspection" >&2
    findmnt -rn -o TARGET | grep -F "$WORK/" >&2
    rc=1
  else
    # What the fresh machine's daemons put on the shared network: the quickstart's berth0 (none was
    # there before), and the bridges of test daemons an interrupted run killed, known by the alias
    # berthd gives a bridge (berth:<its data root>/network) naming a path inside this machine only.
    local bridges=() b alias
    ip link show berth0 >/dev/null 2>&1 && bridges+=(berth0)
    while read -r b alias; do
      [[ $b != berth0 && $alias == berth:/* && -e $ROOT${alias#berth:} && ! -e ${alias#berth:} ]] && bridges+=("$b")
    done < <(ip -j link show type bridge | node -e 'for (const l of JSON.parse(require("fs").readFileSync(0, "utf8"))) if (l.ifalias) console.log(l.ifname, l.ifalias)')
    for b in "${bridges[@]}"; do
      echo "fresh-debian: removing the bridge $b and its rules from the host's network"
      ip link del "$b" || rc=1
      for table in filter nat; do
        iptables-save -t "$table" | grep -F -- "--comment \"berth network on $b\"" | sed 's/^-A /-D /' |
          while read -r line; do eval "iptables -w -t $table $line"; done
      done
      if iptables-save | grep -qF "berth network on $b\""; then echo "fresh-debian: could not remove every rule of $b" >&2; rc=1; fi
    done
    if [[ ${FRESH_DEBIAN_KEEP:-0} == 1 ]]; then echo "fresh-debian: kept $ROOT"; else rm -rf "$WORK"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rev=$(git rev-parse --verify "${FRESH_DEBIAN_REV:-HEAD}^{commit}") || die "no commit ${FRESH_DEBIAN_REV:-HEAD}"
echo "== copying the rootfs, node $(node -v), and a clone of ${rev:0:7} into $ROOT"
cp -a --reflink=auto "$PRISTINE" "$ROOT"
rm -f "$ROOT/.complete"
node_bin=$(readlink -f "$(command -v node)")
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
if node_pkg=$(dpkg -S "$node_bin" 2>/dev/null | cut -d: -f1) && [[ -n $node_pkg ]]; then
  echo "   node comes from the Debian package $node_pkg ($(dpkg-query -W -f='${Version}' "$node_pkg")): copying its files"
  dpkg -L "$node_pkg" | while read -r f; do [[ (-f $f || -L $f) && $f != "$npm_dir"/* ]] && echo "${f#/}"; done |
    tar -C / --no-recursion -cf - -T - | tar -C "$ROOT" -xf -
  # npm as it is on this machine (it may have been upgraded over the package's own: npm -v is $(npm -v))
  echo "   npm $(npm -v) from $npm_dir (as on this machine, not the package's file list)"
  tar -C / -cf - "${npm_dir#/}" "$(command -v npm | cut -c2-)" "$(command -v npx | cut -c2-)" | tar -C "$ROOT" -xf -
else
  prefix=$(dirname "$(dirname "$node_bin")")
  echo "   node is a tarball install under $prefix: copying bin/{node,npm,npx}, lib/node_modules/npm, include/node"
  (cd / && tar -cf - "${prefix#/}/bin/node" "${prefix#/}/bin/npm" "${prefix#/}/bin/npx" \
    "${prefix#/}/lib/node_modules/npm" "${prefix#/}/include/node") | tar -C "$ROOT" -xf -
fi
cp /etc/resolv.conf /etc/hosts "$ROOT/etc/"
# The network's TLS trust, not the machine's: where this host reaches the registry through a
# TLS-intercepting proxy, node trusts its CA through NODE_EXTRA_CA_CERTS; so does the machine.
if [[ -n ${NODE_EXTRA_CA_CERTS:-} && -f $NODE_EXTRA_CA_CERTS ]]; then
  export FRESH_DEBIAN_CA=/etc/fresh-debian-network-ca.pem
  cp "$NODE_EXTRA_CA_CERTS" "$ROOT$FRESH_DEBIAN_CA"
  echo "   NODE_EXTRA_CA_CERTS=$FRESH_DEBIAN_CA inside (this host's $NODE_EXTRA_CA_CERTS: the network's TLS trust)"
fi
[[ -n ${FRESH_DEBIAN_REV:-} || -z $(git status --porcelain --untracked-files=no) ]] || echo "   note: uncommitted changes in $REPO are not part of the test"
git clone -q --no-hardlinks --no-checkout "$REPO" "$ROOT/root/berth"
git -C "$ROOT/root/berth" checkout -q --detach "$rev"
cat >"$ROOT/fresh-debian-inside.sh" <<'EOF'
# Runs in the fresh machine as its pid 1: the README's two commands, timed. On SIGTERM (the
# script outside was interrupted) the running command gets it, and what the quickstart started
# on the host's network is removed before the namespace goes.
set -uo pipefail
cd /root/berth
quickstart_only=$1; shift
child= stopped=0
trap 'stopped=1; [[ -n $child ]] && kill -TERM "$child" 2>/dev/null' TERM INT
# in the background and waited for: bash runs a trap only between commands, and `wait` is one
run() { "$@" & child=$!; local rc; wait "$child"; rc=$?; while kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done; child=; return $rc; }
phase() { echo; echo "== [fresh machine] $*"; }
t=$(date +%s)
phase "npm run quickstart"
run npm run quickstart
rc=$?
echo "== [fresh machine] npm run quickstart: exit $rc, $(($(date +%s) - t)) s"
if ((rc == 0 && quickstart_only == 0 && stopped == 0)); then
  t=$(date +%s)
  if (($#)); then phase "npm test -- $*"; run npm test -- "$@"; else phase "npm test"; run npm test; fi
  rc=$?
  echo "== [fresh machine] npm test: exit $rc, $(($(date +%s) - t)) s"
fi
# the quickstart's containers (their CNI rules are on the host's network) and its berthd
if command -v berth >/dev/null && [[ -S /run/berth/berth.sock ]]; then
  ids=$(berth ps -aq 2>/dev/null)
  [[ -z $ids ]] || berth rm -f $ids >/dev/null
  pid=$(cat /run/berth/berthd.pid 2>/dev/null)
  if [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null; then
    # a graceful stop (a SIGKILL from pid 1's exit would be a crash); bounded so a hung berthd cannot hang the run
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
fi
((stopped)) && exit 143
exit $rc
EOF
echo "   machine ready: $(elapsed "$t1") s"

# ---- phase 3: enter it and run the README's commands ----
t2=$(date +%s)
unshare --mount --pid --fork --kill-child --propagation private -- "$0" "$PHASE_INSIDE" "$ROOT" "$QUICKSTART_ONLY" "${TESTS[@]}" &
NS_PID=$!
set +e
wait "$NS_PID"
rc=$?
set -e
NS_PID=
echo "== fresh Debian 12: exit $rc; $(elapsed "$t0") s in all, inside the machine $(elapsed "$t2") s"
exit "$rc"
}
main "$@"
