/**
 * Which cgroup hierarchies this host mounts, read from /proc/self/mountinfo (no exec, one read).
 *
 * Kernel: proc(5) /proc/pid/mountinfo, cgroups(7) ("cgroups version 1 and version 2",
 * /proc/pid/cgroup), Documentation/admin-guide/cgroup-v2.rst (cgroup.controllers).
 * Modes as runc names them: `v2` (unified: /sys/fs/cgroup is cgroup2), `hybrid` (v1
 * controllers plus a cgroup2 mount, usually /sys/fs/cgroup/unified), `v1` (legacy).
 */
import { readFileSync } from 'node:fs';
import { CgroupError } from '../errors.js';
import { CGROUP2_SUPER_MAGIC } from '../native/addon.js';
import { readMountFile } from './cgroupfs.js';

export interface Layout {
  mode: 'v2' | 'hybrid' | 'v1';
  /** the cgroup2 mount point ('/sys/fs/cgroup' or '/sys/fs/cgroup/unified'), or null */
  v2Root: string | null;
  /** v1 controller → its mount point; co-mounted controllers share one (`cpu`, `cpuacct`); named hierarchies as `name=systemd` */
  v1: Record<string, string>;
  /** controllers enabled in the v2 hierarchy (its root's cgroup.controllers) */
  v2Controllers: string[];
}

export interface Mount {
  mountPoint: string;
  fsType: string;
  root: string;
  superOptions: string[];
}

/** Undo mountinfo's octal escapes (`\040` for a space). */
function unescape(s: string): string {
  // most fields have no escape: skip the regex and its callback
  if (!s.includes('\\')) return s;
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfoLines(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0 || f.length < sep + 4) continue;
    out.push({ root: unescape(f[3]!), mountPoint: unescape(f[4]!), fsType: f[sep + 1]!, superOptions: f[sep + 3]!.split(',') });
  }
  return out;
}

const NOT_CONTROLLERS = new Set(['rw', 'ro', 'noprefix', 'xattr', 'clone_children', 'cpuset_v2_mode', 'favordynmods']);

/**
 * The layout without v2Controllers (that needs a read of cgroup.controllers): pure.
 * A later mount on the same point hides an earlier one, so the last one wins.
 */
export function parseMountinfo(text: string): Omit<Layout, 'v2Controllers'> {
  const mounts = parseMountinfoLines(text);
  const v1: Record<string, string> = {};
  let v2Root: string | null = null;
  let v2AtRoot = false;
  for (const m of mounts) {
    if (m.fsType === 'cgroup2') {
      // several cgroup2 mounts (e.g. a container's view): prefer the canonical ones
      if (m.mountPoint === '/sys/fs/cgroup') {
        v2Root = m.mountPoint;
        v2AtRoot = true;
      } else if (!v2AtRoot && (v2Root === null || m.mountPoint === '/sys/fs/cgroup/unified')) {
        v2Root = m.mountPoint;
      }
    } else if (m.fsType === 'cgroup') {
      for (const opt of m.superOptions) {
        if (NOT_CONTROLLERS.has(opt) || opt.startsWith('release_agent=')) continue;
        if (opt.startsWith('name=') || /^[a-z_]+$/.test(opt)) v1[opt] = m.mountPoint;
      }
    } else if (m.mountPoint === '/sys/fs/cgroup' && v2AtRoot) {
      // a tmpfs mounted over a cgroup2 /sys/fs/cgroup: the v1 layout below it is what counts
      v2AtRoot = false;
      v2Root = null;
    }
  }
  const hasV1 = Object.keys(v1).length > 0;
  const mode = v2AtRoot ? 'v2' : hasV1 ? (v2Root ? 'hybrid' : 'v1') : v2Root ? 'v2' : 'v1';
  return { mode, v2Root, v1: mode === 'v2' ? {} : v1 };
}

/** /proc/<pid>/cgroup: `hierarchy-id:controllers:path`; v2's line is `0::/path`. */
export function parseProcCgroup(text: string): { v1: Record<string, string>; v2: string | null } {
  const v1: Record<string, string> = {};
  let v2: string | null = null;
  for (const line of text.split('\n')) {
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    const ctrls = line.slice(a + 1, b);
    const path = line.slice(b + 1);
    if (line.slice(0, a) === '0' && ctrls === '') v2 = path;
    else for (const c of ctrls.split(',')) if (c) v1[c] = path;
  }
  return { v1, v2 };
}

let cached: Layout | undefined;

/**
 * The host's layout. `readControllers` reads `<v2Root>/cgroup.controllers`; the manager
 * default reads it through openat2 on the verified mount (cgroupfs.ts); tests can pass their own.
 */
export function detectLayout(readControllers?: (v2Root: string) => string, mountinfo?: string): Layout {
  if (cached && !readControllers && mountinfo === undefined) return cached;
  let text = mountinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/mountinfo', 'utf8');
    } catch (err) {
      throw new CgroupError(`cannot read \`/proc/self/mountinfo\`: ${(err as Error).message}`, { cause: err });
    }
  }
  const base = parseMountinfo(text);
  let v2Controllers: string[] = [];
  if (base.v2Root) {
    const read = readControllers ?? defaultReadControllers;
    v2Controllers = read(base.v2Root).trim().split(/\s+/).filter(Boolean);
  }
  const layout: Layout = { ...base, v2Controllers };
  if (!readControllers && mountinfo === undefined) cached = layout;
  return layout;
}

function defaultReadControllers(v2Root: string): string {
  return readMountFile(v2Root, CGROUP2_SUPER_MAGIC, 'cgroup.controllers');
}

/** A short description for error messages: `hybrid: v1 cpu, memory, ...; v2 hugetlb`. */
export function describeLayout(l: Layout): string {
  const v1 = Object.keys(l.v1).filter((c) => !c.startsWith('name=')).sort();
  const parts: string[] = [];
  if (l.mode !== 'v2') parts.push(`v1 ${v1.join(', ') || 'none'}`);
  if (l.v2Root) parts.push(`v2 ${l.v2Controllers.join(', ') || 'none'}`);
  return `${l.mode}: ${parts.join('; ')}`;
}
