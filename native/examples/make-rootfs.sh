#!/bin/sh
# make-rootfs.sh BUILD TOP — lay out examples/hello/rootfs from static programs
# built in native/build, so the quick start needs nothing but `npm ci`.
set -eu
build=$1
top=$2
root=$top/examples/hello/rootfs
mkdir -p "$root/bin" "$root/proc" "$root/dev" "$root/sys" "$root/tmp" "$root/etc"
cp "$build/hello" "$root/bin/hello"
cp "$build/probe" "$root/bin/probe"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
