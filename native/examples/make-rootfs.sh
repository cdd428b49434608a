#!/bin/sh
# make-rootfs.sh BUILD TOP — lay out examples/hello/rootfs, and the rootfs of
# every tutorial chapter (examples/NN-*/rootfs), from static programs built in
# native/build, so the quick start and the tutorial need nothing but `npm ci`.
set -eu
build=$1
top=$2

# base ROOT: /bin/hello, /bin/probe, /etc/passwd and /etc/group, empty mountpoints
base() {
  root=$1
  mkdir -p "$root/bin" "$root/proc" "$root/dev" "$root/sys" "$root/tmp" "$root/etc"
  cp "$build/hello" "$root/bin/hello"
  cp "$build/probe" "$root/bin/probe"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
}

base "$top/examples/hello/rootfs"

# The tutorial chapters: the same base, plus what a chapter needs.
for chapter in "$top"/examples/[0-9][0-9]-*/; do
  [ -f "$chapter/config.json" ] || continue
  root=${chapter%/}/rootfs
  base "$root"
  mkdir -p "$root/root" "$root/home/user"
  case $chapter in
  */04-*/)
    # the chroot escape that pivot_root prevents (native/examples/breakout.c)
    if [ ! -x "$build/breakout" ] || [ "$top/native/examples/breakout.c" -nt "$build/breakout" ]; then
      ${CC:-gcc} -O2 -Wall -static -s -o "$build/breakout" "$top/native/examples/breakout.c"
    fi
    cp "$build/breakout" "$root/bin/breakout"
    ;;
  esac
done
