#!/bin/sh
# build-kernel.sh — the fast guest kernel of `joey --vm` (docs/vm.md §7), run
# by `joey vm kernel build`: Debian's linux-source, `make tinyconfig` plus
# native/vm/kernel.config, built into $JOEY_VM_CACHE/fast/vmlinux (outside
# the repo). ~8.5 min on 2 cores the first time. Needs: linux-source (apt),
# build-essential, bc, bison, flex, libelf-dev, libssl-dev.
# Usage: sh native/vm/build-kernel.sh [jobs]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE="${JOEY_VM_CACHE:-/var/cache/joey/vm}"
JOBS="${1:-$(nproc)}"
SRC_TAR=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$SRC_TAR" ]; then
  echo "vm: no /usr/src/linux-source-*.tar.xz: apt-get install linux-source bc bison flex libelf-dev libssl-dev" >&2
  exit 1
fi
BUILD="$CACHE/fast/build"
mkdir -p "$BUILD"
TREE="$BUILD/$(basename "$SRC_TAR" .tar.xz)"
if [ ! -d "$TREE" ]; then
  echo "vm: unpacking $SRC_TAR"
  tar -xJf "$SRC_TAR" -C "$BUILD"
fi
cd "$TREE"
make -s tinyconfig
# merge the fragment (later lines win), then let Kconfig settle dependencies
scripts/kconfig/merge_config.sh -m .config "$HERE/kernel.config" >/dev/null
make -s olddefconfig
# check that the options that matter survived olddefconfig
for opt in PVH VIRTIO_MMIO VIRTIO_CONSOLE 9P_FS MEMCG CGROUP_PIDS SECCOMP_FILTER X86_IOPL_IOPERM; do
  grep -q "^CONFIG_$opt=y" .config || { echo "vm: CONFIG_$opt did not survive olddefconfig" >&2; exit 1; }
done
make -s -j"$JOBS" vmlinux
cp vmlinux "$CACHE/fast/vmlinux.tmp"
mv "$CACHE/fast/vmlinux.tmp" "$CACHE/fast/vmlinux"
echo "vm: $CACHE/fast/vmlinux ($(wc -c < "$CACHE/fast/vmlinux") bytes)"
