#!/usr/bin/env bash
# busybox-rootfs.sh DIR TAR: a minimal root filesystem from Debian's
# busybox-static (the binary, one symlink per applet, passwd/group) and a tar of it.
set -euo pipefail
dir=$1 out=$2
bb=$(command -v busybox)
mkdir -p "$dir"/{bin,etc,root,tmp,var/www}
cp "$bb" "$dir/bin/busybox"
for a in $("$dir/bin/busybox" --list); do
  [[ $a == busybox ]] || ln -sf busybox "$dir/bin/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$dir/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$dir/etc/group"
chmod 1777 "$dir/tmp"
tar --numeric-owner --owner=0 --group=0 -C "$dir" -cf "$out" .
