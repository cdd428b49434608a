#!/bin/sh
# build-kernel.sh — the fast guest kernel of `joey --vm` (docs/vm.md §7), run
# by `joey vm kernel build`: Debian's linux-source, `make tinyconfig` plus
# native/vm/kernel.config, built into $JOEY_VM_CACHE/fast/vmlinux (outside
# the repo), with the resolved .config beside it as `config` and the
# fragment's hash as `fragment.sha256` (joey calls the kernel stale when it
# differs). ~8.5 min on 2 cores the first time, seconds when nothing changed.
# Needs (apt): linux-source-6.1 build-essential bc bison flex libelf-dev libssl-dev
# Usage: sh native/vm/build-kernel.sh [jobs]   (JOEY_VM_KERNEL_FORCE=1 rebuilds
# even when the cached kernel matches this script, the fragment and the source)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE="${JOEY_VM_CACHE:-/var/cache/joey/vm}"
JOBS="${1:-$(nproc)}"
FRAG="$HERE/kernel.config"
SRC_TAR=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$SRC_TAR" ]; then
  echo "vm: no /usr/src/linux-source-*.tar.xz: apt-get install linux-source-6.1 build-essential bc bison flex libelf-dev libssl-dev" >&2
  exit 1
fi
OUT="$CACHE/fast"
BUILD="$OUT/build"
mkdir -p "$BUILD"
# nothing to do when the cached kernel was built by this script from this
# fragment and this source (a cached CI run then costs nothing)
WANT=$( (cat "$0" "$FRAG"; ls -l --time-style=+%s "$SRC_TAR") | sha256sum | cut -d' ' -f1)
if [ -z "${JOEY_VM_KERNEL_FORCE:-}" ] && [ -s "$OUT/vmlinux" ] && [ "$(cat "$OUT/build.stamp" 2>/dev/null)" = "$WANT" ]; then
  echo "vm: $OUT/vmlinux is up to date"
  exit 0
fi
TREE="$BUILD/$(basename "$SRC_TAR" .tar.xz)"
# a tree unpacked from an older linux-source is rebuilt from scratch
STAMP="$BUILD/source.stamp"
SRC_ID="$SRC_TAR $(stat -c %Y "$SRC_TAR")"
if [ ! -f "$TREE/Makefile" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$SRC_ID" ]; then
  echo "vm: unpacking $SRC_TAR"
  rm -rf "$TREE"
  tar -xJf "$SRC_TAR" -C "$BUILD"
  echo "$SRC_ID" > "$STAMP"
fi
cd "$TREE"
# the old .config (and its timestamp) stays when the new one is identical
[ -f .config ] && cp -p .config .config.prev
make -s tinyconfig > "$BUILD/config.log" 2>&1
scripts/kconfig/merge_config.sh -m .config "$FRAG" >> "$BUILD/config.log" 2>&1
make -s olddefconfig >> "$BUILD/config.log" 2>&1
if [ -f .config.prev ] && cmp -s .config .config.prev; then mv .config.prev .config; else rm -f .config.prev; fi
# every option the fragment sets must survive olddefconfig (a dependency
# the fragment forgot drops it silently)
missing=0
while IFS= read -r line; do
  case "$line" in
    CONFIG_*=*) grep -qxF "$line" .config || { echo "vm: $line did not survive olddefconfig" >&2; missing=1; } ;;
    "# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}; ! grep -q "^$opt=" .config || { echo "vm: $opt should be off" >&2; missing=1; } ;;
  esac
done < "$FRAG"
[ "$missing" = 0 ] || exit 1
make -s -j"$JOBS" vmlinux
cp vmlinux "$OUT/vmlinux.tmp"
cp .config "$OUT/config"
sha256sum < "$FRAG" | cut -d' ' -f1 > "$OUT/fragment.sha256"
mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"
echo "$WANT" > "$OUT/build.stamp"
echo "vm: $OUT/vmlinux ($(wc -c < "$OUT/vmlinux") bytes, $(make -s kernelrelease))"
