#!/bin/sh
# Build and run the C tests of native/init/mounts.c and safe_open.c (root only).
# Usage: sh native/test/run-mounts-test.sh   — TAP on stdout, exit 1 on failure.
# The test binary unshares a mount namespace per test; `unshare -m` around it
# makes sure that even a crash mid-test leaves no mount behind on the host.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
native=$(dirname "$here")
out="$native/build/test"
mkdir -p "$out"
${CC:-gcc} -O0 -g -Wall -Wextra -Wno-unused-parameter -Wno-format-truncation -std=gnu11 -D_GNU_SOURCE \
  -o "$out/mounts_test" \
  "$here/mounts_test.c" "$native/init/mounts.c" "$native/init/safe_open.c" "$native/init/plan.c"
if [ "$(id -u)" -ne 0 ]; then
  echo "1..0 # SKIP needs root"
  exit 0
fi
exec unshare -m --propagation private "$out/mounts_test"
