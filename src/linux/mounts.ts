/**
 * Mounts — runtime-spec config.md#mounts, config-linux.md#mounts,
 * config-linux.md#rootfs-mount-propagation
 * Kernel: mount(2), mount_setattr(2), proc(5), sysfs(5), cgroups(7)
 * Security: CVE-2021-30465, CVE-2024-45310 (destinations resolved in the root
 * through fds, by native/init/mounts.c), CVE-2019-19921 (proc and sysfs only
 * onto real directories), CVE-2023-25809 (cgroup mounts read-only)
 * Mirrors: runc libcontainer/rootfs_linux.go mountToRootfs; specconv parseMountOptions
 */
import { isAbsolute, resolve } from 'node:path';
import type { Mount } from '../spec/types.js';
import { MOUNT_OPTIONS, MS, PROPAGATION_OPTIONS, RECURSIVE_OPTIONS } from './flags.js';
import { initOp } from '../plan/op.js';
import type { InitOp } from '../plan/ops.js';
import type { HostInfo } from '../plan/host.js';

const SPEC = 'config.md#mounts';

export interface ParsedOptions {
  flags: number;
  clear: number;
  propagation: number;
  attrSet: number;
  attrClr: number;
  data: string[];
}

/** `["nosuid","ro","mode=755","rprivate"]` → flags, propagation and fs data. */
export function parseMountOptions(options: readonly string[] | undefined): ParsedOptions {
  const out: ParsedOptions = { flags: 0, clear: 0, propagation: 0, attrSet: 0, attrClr: 0, data: [] };
  for (const opt of options ?? []) {
    const known = MOUNT_OPTIONS[opt];
    if (known) {
      if (known.clear) {
        out.flags &= ~known.flag;
        out.clear |= known.flag;
      } else {
        out.flags |= known.flag;
        out.clear &= ~known.flag;
      }
      continue;
    }
    const prop = PROPAGATION_OPTIONS[opt];
    if (prop !== undefined) {
      out.propagation = prop;
      continue;
    }
    const rec = RECURSIVE_OPTIONS[opt];
    if (rec) {
      if (rec.clear) out.attrClr |= rec.attr;
      else out.attrSet |= rec.attr;
      continue;
    }
    // Anything else is filesystem data (mode=755, size=65536k, newinstance…).
    out.data.push(opt);
  }
  return out;
}

export function isBind(m: Mount): boolean {
  return m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

export interface MountContext {
  bundle: string;
  host: HostInfo;
  /** the container has its own cgroup namespace */
  cgroupns: boolean;
  /** linux.mountLabel, only when the host has SELinux */
  mountLabel?: string;
  /**
   * sync-cgroup: placed before the first cgroup mount, which must show the
   * container's own cgroups (compile places it after the mounts if none does)
   */
  cgroupBarrier?: InitOp;
}

/** Filesystems that take an SELinux `context=` mount option (runc's label.FormatMountLabel). */
const LABELLED = new Set(['tmpfs', 'devpts', 'mqueue', 'shm', 'ramfs']);

export function mountOps(mounts: readonly Mount[] | undefined, ctx: MountContext): InitOp[] {
  const ops: InitOp[] = [];
  let barrier = ctx.cgroupBarrier;
  (mounts ?? []).forEach((m, i) => {
    const from = `mounts[${i}]`;
    if (m.type === 'cgroup' || m.type === 'cgroup2') {
      if (barrier) ops.push(barrier);
      barrier = undefined;
      ops.push(...cgroupMountOps(m, from, ctx));
      return;
    }
    const o = parseMountOptions(m.options);
    const bind = isBind(m);
    let source = m.source ?? m.type ?? 'none';
    if (bind && !isAbsolute(source)) source = resolve(ctx.bundle, source);
    const args = {
      source,
      path: m.destination,
      fstype: bind ? '' : (m.type ?? ''),
      flags: o.flags | (bind ? MS.MS_BIND : 0),
      clear: o.clear || undefined,
      propagation: o.propagation || undefined,
      data: withLabel(o.data, !bind && LABELLED.has(m.type ?? '') ? ctx.mountLabel : undefined),
      must_be_dir: m.type === 'proc' || m.type === 'sysfs' ? 1 : undefined,
      as_file: bind && ctx.host.sourceKind(source) === 'file' ? 1 : undefined,
      attr_set: o.attrSet || undefined,
      attr_clr: o.attrClr || undefined,
    };
    ops.push(
      initOp('init', 'mount', args, from, SPEC, {
        security: m.type === 'proc' || m.type === 'sysfs' ? 'CVE-2019-19921' : 'CVE-2021-30465',
      }),
    );
  });
  return ops;
}

/** Mount data, plus `context="<label>"` for linux.mountLabel (config-linux.md#mount-label). */
function withLabel(data: string[], label: string | undefined): string | undefined {
  const all = label ? [...data, `context="${label}"`] : data;
  return all.length ? all.join(',') : undefined;
}

/**
 * A `cgroup` mount becomes, on a cgroup v2 host, one cgroup2 mount (or a bind
 * of the container's own cgroup without a cgroup namespace); on a hybrid or
 * v1 host, a tmpfs with one mount per v1 hierarchy plus the unified one, the
 * way runc's mountCgroupV1 lays it out.
 */
function cgroupMountOps(m: Mount, from: string, ctx: MountContext): InitOp[] {
  const o = parseMountOptions(m.options);
  const spec = 'config-linux.md#cgroups';
  // SECURITY(CVE-2023-25809): read-only unless asked for rw with a private cgroupns.
  const wantRw = (m.options ?? []).includes('rw') && ctx.cgroupns;
  const flags = (o.flags | MS.MS_NOSUID | MS.MS_NODEV | MS.MS_NOEXEC) & ~(wantRw ? MS.MS_RDONLY : 0);
  const roFlags = wantRw ? flags : flags | MS.MS_RDONLY;
  const layout = ctx.host.cgroup;
  const dest = m.destination;
  const sub = (fstype: string, data: string | undefined, dir: string, hostDir: string | undefined): InitOp =>
    ctx.cgroupns || !hostDir
      ? initOp('init', 'mount', { source: fstype, fstype, path: `${dest}/${dir}`.replace(/\/+$/, '').replace('//', '/'), flags: roFlags, data }, from, spec, { security: 'CVE-2023-25809' })
      : initOp('init', 'mount', { source: hostDir, fstype: '', path: `${dest}/${dir}`.replace(/\/+$/, ''), flags: MS.MS_BIND | MS.MS_REC | roFlags }, from, spec, {
          security: 'CVE-2023-25809',
          why: 'no cgroup namespace: bind the container\'s own cgroup, never the whole hierarchy',
        });

  if (layout.mode === 'v2') {
    const op = sub('cgroup2', undefined, '', ctx.host.cgroupPaths['']);
    op.args.path = dest;
    return [op];
  }
  const ops: InitOp[] = [
    initOp('init', 'mount', { source: 'tmpfs', fstype: 'tmpfs', path: dest, flags: MS.MS_NOSUID | MS.MS_NODEV | MS.MS_NOEXEC, data: 'mode=755' }, from, spec),
  ];
  for (const [dir, subsystems] of Object.entries(layout.v1Hierarchies)) {
    ops.push(sub('cgroup', subsystems, dir, ctx.host.cgroupPaths[dir]));
  }
  if (layout.v2Root) ops.push(sub('cgroup2', undefined, 'unified', ctx.host.cgroupPaths['unified']));
  if (!wantRw) {
    ops.push(
      initOp('init', 'mount', { source: 'tmpfs', fstype: 'tmpfs', path: dest, flags: MS.MS_REMOUNT | MS.MS_RDONLY | MS.MS_NOSUID | MS.MS_NODEV | MS.MS_NOEXEC, data: 'mode=755' }, from, spec, {
        security: 'CVE-2023-25809',
        why: 'the tmpfs holding the hierarchies is read-only too',
      }),
    );
  }
  return ops;
}

/** rootfsPropagation → the flags for mount(NULL, "/", NULL, flags); runc's default is rslave. */
export function rootPropagation(p: string | undefined): number {
  if (!p) return MS.MS_SLAVE | MS.MS_REC;
  return PROPAGATION_OPTIONS[p] ?? MS.MS_SLAVE | MS.MS_REC;
}
