/**
 * Masked and read-only paths — runtime-spec config-linux.md#masked-paths,
 * config-linux.md#readonly-paths
 * Kernel: mount(2) MS_BIND|MS_REMOUNT|MS_RDONLY, tmpfs(5), open(2) O_PATH
 * Security: CVE-2025-31133 — a masked file gets the host's /dev/null, opened
 * and verified (char 1:3) before pivot_root and mounted through its fd; the
 * container's own /dev/null could be a symlink to a procfs file
 * Mirrors: runc libcontainer/rootfs_linux.go maskPath, readonlyPath
 *
 * Both run after pivot_root (the paths are the container's), read-only first,
 * then masks, as runc does.
 */
import { initOp } from '../plan/op.js';
import type { InitOp } from '../plan/ops.js';

export function readonlyPathOps(paths: readonly string[] | undefined): InitOp[] {
  return (paths ?? []).map((path, i) =>
    initOp('init', 'readonly-path', { path }, `linux.readonlyPaths[${i}]`, 'config-linux.md#readonly-paths'),
  );
}

export function maskedPathOps(paths: readonly string[] | undefined): InitOp[] {
  return (paths ?? []).map((path, i) =>
    initOp('init', 'mask-path', { path }, `linux.maskedPaths[${i}]`, 'config-linux.md#masked-paths', {
      security: 'CVE-2025-31133',
    }),
  );
}
