#!/bin/bash
# test/e2e/run.sh — `npm run test:e2e`: the client recipes of ../shared/e2e
# (containerd + ctr, podman + conmon, dockerd) drive bin/joey exactly as they
# drive runc (docs: shared/docs/clients.md, shared/e2e/README.md).
#
# Usage: bash test/e2e/run.sh [10|20|30 ...]   (default: all three)
# Env:   W   work directory (default /var/lib/joey-e2e; keep it short, the
#            daemons' unix sockets live under it)
# Needs root; the recipes apt-get install their clients when missing.
# Exit status: 0 when every recipe passed, else the number of failed recipes.
set -uo pipefail
TOP=$(git -C "$(dirname "$0")" rev-parse --show-toplevel 2>/dev/null) || TOP=$(cd "$(dirname "$0")/../.." && pwd)
E2E=$TOP/../shared/e2e
if [ ! -d "$E2E" ] || [ ! -f "$E2E/10-containerd.sh" ]; then
  echo "test/e2e/run.sh: the client recipes are missing: expected $E2E/{10-containerd,20-podman,30-docker}.sh next to the checkout" >&2
  exit 2
fi
[ "$(id -u)" = 0 ] || { echo "test/e2e/run.sh: run as root" >&2; exit 2; }
RT=$TOP/bin/joey
[ -x "$RT" ] || { echo "test/e2e/run.sh: $RT is missing or not executable" >&2; exit 2; }
[ -f "$TOP/dist/cli/index.js" ] && [ -x "$TOP/native/build/joey-init" ] || {
  echo "test/e2e/run.sh: joey is not built (run npm run build)" >&2; exit 2; }
export RT W=${W:-/var/lib/joey-e2e}
mkdir -p "$W"

wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(10 20 30)
failed=0
summary=()
for n in "${wanted[@]}"; do
  script=$(ls "$E2E/$n"-*.sh 2>/dev/null | head -1)
  [ -n "$script" ] || { echo "test/e2e/run.sh: no recipe $n-*.sh in $E2E" >&2; failed=$((failed + 1)); continue; }
  name=$(basename "$script" .sh)
  echo "=== $name (RT=$RT W=$W)"
  start=$(date +%s)
  bash "$script"
  rc=$?
  secs=$(( $(date +%s) - start ))
  if [ "$rc" = 0 ]; then summary+=("PASS $name (${secs}s)"); else summary+=("FAIL $name (exit $rc, ${secs}s)"); failed=$((failed + 1)); fi
done
echo "=== summary"
printf '%s\n' "${summary[@]}"
exit "$failed"
