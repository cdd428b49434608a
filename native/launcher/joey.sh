#!/bin/sh
# joey's launcher where launcher.c cannot be built (it is x86-64 only: raw
# system calls, no libc); native/Makefile installs it as
# native/build/joey-launcher, which bin/joey links to. Same rules: no logic,
# no PATH needed (podman runs `kill`, `delete` and `state` with only
# XDG_RUNTIME_DIR=), node looked up at absolute paths first.
self=$0
case $self in */*) ;; *) self=./$self ;; esac
# Follow a symlink (e.g. /usr/local/bin/joey -> checkout/bin/joey) without PATH.
while [ -L "$self" ]; do
  link=$(/usr/bin/readlink "$self" 2>/dev/null || /bin/readlink "$self")
  case $link in /*) self=$link ;; *) self=${self%/*}/$link ;; esac
done
dir=${self%/*}
# NODE_EXTRA_CA_CERTS makes Node read and parse a CA bundle before running a
# line (+40 ms per call where an environment sets it for all tools). joey
# makes no TLS connection, and hooks and containers get their environment
# from config.json, not from ours.
unset NODE_EXTRA_CA_CERTS
# --no-rehash-snapshot: keep the snapshot's hash seed instead of drawing one
# and rehashing the snapshot at every start (~3.5 ms); --no-sparkplug: no
# baseline compilation a short call never pays back; --regexp-tier-up-ticks:
# no regexp compiled to machine code after two runs (launcher.c says more).
# The bundled CLI (npm run build) loads faster; tsc's output is the fallback.
entry=$dir/../../dist/cli-bundle/joey.cjs
[ -f "$entry" ] || entry=$dir/../../dist/cli/index.js
for node in "$JOEY_NODE" /usr/bin/node /usr/local/bin/node; do
  if [ -n "$node" ] && [ -x "$node" ]; then
    exec "$node" --no-rehash-snapshot --no-sparkplug --regexp-tier-up-ticks=100 "$entry" "$@"
  fi
done
exec node --no-rehash-snapshot --no-sparkplug --regexp-tier-up-ticks=100 "$entry" "$@"
