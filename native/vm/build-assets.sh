#!/bin/sh
# build-assets.sh — the guest assets of `joey --vm` (docs/vm.md §6.9):
#   native/build/vm/init.cpio             newc initramfs: the static joey init as /init (agent mode)
#   native/build/vm/initramfs-debian.cpio the same plus the modules a stock Debian kernel needs
#   $JOEY_VM_CACHE/debian/vmlinux         Debian's generic kernel as an uncompressed ELF (PVH boot)
# The kernel is fetched with apt-get download and unpacked outside the repo
# (default /var/cache/joey/vm). Needs: gcc, libc6-dev, cpio, xz-utils, dpkg, apt.
# Usage: sh native/vm/build-assets.sh [--no-kernel]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
NATIVE=$(dirname "$HERE")
OUT="$NATIVE/build/vm"
CACHE="${JOEY_VM_CACHE:-/var/cache/joey/vm}"
# 9p on microvm, dependencies first (vm.md §2.2); resolved again below from each .ko's depends=
MODULES="virtio_mmio virtio_console 9pnet_virtio 9p"

make -s -C "$NATIVE" build/joey-init
mkdir -p "$OUT"

pack() { # pack <staging dir> <out.cpio>
  (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$2.tmp"
  mv "$2.tmp" "$2"
}

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
cp "$NATIVE/build/joey-init" "$STAGE/init"
chmod 0755 "$STAGE/init"
pack "$STAGE" "$OUT/init.cpio"
echo "vm: $OUT/init.cpio ($(wc -c < "$OUT/init.cpio") bytes)"

[ "${1:-}" = "--no-kernel" ] && exit 0

# ---- tier (a): Debian's generic kernel (the cloud kernel has no 9p) ----
DEB="$CACHE/debian"
if [ ! -s "$DEB/vmlinux" ]; then
  PKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  [ -n "$PKG" ] || { echo "vm: cannot find the versioned package of linux-image-amd64 (apt-get update?)" >&2; exit 1; }
  mkdir -p "$DEB/deb"
  rm -rf "$DEB/pkg"
  (cd "$DEB/deb" && apt-get download "$PKG" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
  dpkg-deb -x "$DEB/deb/${PKG}"_*.deb "$DEB/pkg"
  VMLINUZ=$(ls "$DEB"/pkg/boot/vmlinuz-* | head -n 1)
  # extract-vmlinux: the xz payload after the setup code; decompressing xz
  # under TCG costs 5-6 s per boot, the ELF boots through PVH at once
  OFF=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$VMLINUZ" | head -n 1 | cut -d: -f1)
  [ -n "$OFF" ] || { echo "vm: no xz payload in $VMLINUZ" >&2; exit 1; }
  tail -c +"$((OFF + 1))" "$VMLINUZ" | xz -dc --single-stream > "$DEB/vmlinux.tmp" 2>/dev/null || true
  head -c 4 "$DEB/vmlinux.tmp" | grep -q 'ELF' || { echo "vm: extracting the ELF from $VMLINUZ failed" >&2; exit 1; }
  basename "$VMLINUZ" | sed 's/^vmlinuz-//' > "$DEB/kver"
  mv "$DEB/vmlinux.tmp" "$DEB/vmlinux"
  echo "vm: kernel $DEB/vmlinux ($PKG)"
fi
KVER=$(cat "$DEB/kver")
MODDIR="$DEB/pkg/lib/modules/$KVER"
[ -d "$MODDIR" ] || { echo "vm: $MODDIR missing; remove $DEB and rerun" >&2; exit 1; }

# Dependency order without depmod: each module's depends= from its .modinfo.
ORDER=""
visit() {
  case " $ORDER " in *" $1 "*) return 0 ;; esac
  f=$(find "$MODDIR/kernel" -name "$1.ko" | head -n 1)
  [ -n "$f" ] || { echo "vm: module $1 not found under $MODDIR" >&2; exit 1; }
  for d in $(LC_ALL=C grep -aoE 'depends=[a-z0-9_,-]*' "$f" | head -n 1 | sed 's/^depends=//; s/,/ /g'); do visit "$d"; done
  case " $ORDER " in *" $1 "*) ;; *) ORDER="$ORDER $1" ;; esac
}
for m in $MODULES; do visit "$m"; done
mkdir -p "$STAGE/modules"
i=10
for m in $ORDER; do
  cp "$(find "$MODDIR/kernel" -name "$m.ko" | head -n 1)" "$STAGE/modules/$i-$m.ko"
  i=$((i + 1))
done
# kept for src/vm/initramfs.ts, which repacks the archive when the init changes
rm -rf "$OUT/modules-debian"
cp -r "$STAGE/modules" "$OUT/modules-debian"
pack "$STAGE" "$OUT/initramfs-debian.cpio"
echo "$KVER" > "$OUT/initramfs-debian.kver"
echo "vm: $OUT/initramfs-debian.cpio ($(wc -c < "$OUT/initramfs-debian.cpio") bytes; modules:$ORDER)"
[ -s "$CACHE/fast/vmlinux" ] || echo "vm: for the fast tier (~1.5 s instead of ~2.6 s per container under TCG), build the minimal kernel once: joey vm kernel build"
