/**
 * A container's cgroups once they exist: join, freeze, thaw, kill, list, destroy.
 *
 * Spec: runtime-spec config-linux.md#control-groups, #cgroups-path. Kernel: cgroups(7),
 * Documentation/admin-guide/cgroup-v2.rst (cgroup.procs, cgroup.freeze, cgroup.events,
 * cgroup.kill), cgroup-v1/freezer-subsystem.rst.
 *
 * The manager (manager.ts) adds what only create and update need: making the
 * directories, turning `linux.resources` into writes, device filters, stats.
 * delete and kill open their saved cgroups with this part alone, so their verb
 * bundles carry none of that code (each 100 KB of bundle costs ~4 % of Node's
 * start-up: src/cli/hot.ts).
 *
 * Driver selection is runc's: the v2 driver when /sys/fs/cgroup is cgroup2; otherwise the v1
 * driver, which on a hybrid host also places the process in the unified hierarchy at the same
 * path (runc's "" path) and uses it for what v1 lacks there (hugetlb on this host, freeze).
 * All I/O goes through cgroupfs.ts (openat2 beneath verified mounts).
 */
import { readFileSync } from 'node:fs';
import { CgroupError } from '../errors.js';
import { CGROUP2_SUPER_MAGIC, CGROUP_SUPER_MAGIC, childDirs, dirPath, exists, readFile, rmdirIn, writeFile, type CgroupDir } from './cgroupfs.js';
import { describeLayout, detectLayout, parseProcCgroup, type Layout } from './layout.js';
import { cleanComponents, parseCgroupsPath, placeIn, type CgroupsPath } from './path.js';

export interface CgroupHandle {
  readonly driver: 'v1' | 'v2';
  readonly layout: Layout;
  /** controller → directory (v1), and '' → the unified directory (v2, or hybrid) */
  readonly paths: Record<string, string>;
  /** rootless: what could not be enforced (missing controllers, no permission) */
  readonly warnings: string[];
  join(pid: number): void;
  freeze(): void;
  thaw(): void;
  frozen(): boolean;
  kill(signal: number): void;
  pids(): number[];
  destroy(): void;
  toJSON(): CgroupManagerState;
}

export interface CgroupManagerState {
  driver: 'v1' | 'v2';
  mode: Layout['mode'];
  cgroupsPath: string;
  paths: Record<string, string>;
  /** directories this manager created, in creation order: the only ones destroy() removes */
  created: string[];
  /**
   * The host's layout when the container was created. Later calls (delete,
   * kill --all, exec, ps) reuse it instead of parsing mountinfo again: the
   * saved paths were made under this layout, so teardown must follow it.
   */
  layout?: Layout;
}

export interface OpenOptions {
  id: string;
  cgroupsPath?: string;
  layout?: Layout;
  rootless?: boolean;
  /** from state.json: the directories a previous `create` made */
  created?: string[];
  /** /proc/self/cgroup text, for relative paths (tests) */
  procSelfCgroup?: string;
}

/** One mounted hierarchy and the container's directory in it. */
export interface Hierarchy {
  v2: boolean;
  /** controllers it carries (v1: from the mount options; v2: cgroup.controllers) */
  controllers: string[];
  dir: CgroupDir;
  /** false when rootless could not create or enter it */
  usable: boolean;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
export function sleepMs(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

export function errnoOf(err: unknown): string | undefined {
  return (err as { errno?: string }).errno ?? (err as NodeJS.ErrnoException).code;
}

export function parseKV(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) out[k] = v === 'max' ? Number.MAX_SAFE_INTEGER : Number(v);
  }
  return out;
}

/** `abs` is below `mount`: abs.startsWith(`${mount}/`) without making that string (created × hierarchies calls). */
function under(abs: string, mount: string): boolean {
  return abs.length > mount.length && abs.charCodeAt(mount.length) === 0x2f && abs.startsWith(mount);
}

export class Hierarchies implements CgroupHandle {
  readonly driver: 'v1' | 'v2';
  readonly paths: Record<string, string> = {};
  readonly warnings: string[] = [];
  protected readonly hier: Hierarchy[] = [];
  protected readonly created: string[];

  constructor(
    readonly layout: Layout,
    protected readonly cgPath: CgroupsPath,
    protected readonly rootless: boolean,
    created: string[],
    procSelfCgroup: string | undefined,
  ) {
    this.driver = layout.mode === 'v2' ? 'v2' : 'v1';
    const own = cgPath.absolute ? undefined : parseProcCgroup(procSelfCgroup ?? readFileSync('/proc/self/cgroup', 'utf8'));
    if (this.driver === 'v1') {
      // one hierarchy per mount point (co-mounted controllers share one), in the layout's order
      const byMount: Record<string, string[]> = {};
      for (const ctrl in layout.v1) (byMount[layout.v1[ctrl]!] ??= []).push(ctrl);
      for (const mount in byMount) {
        const ctrls = byMount[mount]!;
        let ownPath: string | undefined;
        for (let i = 0; own && ownPath === undefined && i < ctrls.length; i++) ownPath = own.v1[ctrls[i]!];
        const dir = { mount, magic: CGROUP_SUPER_MAGIC, rel: placeIn(cgPath, 'v1', ownPath) };
        this.hier.push({ v2: false, controllers: ctrls, dir, usable: true });
        const path = dirPath(dir);
        for (let i = 0; i < ctrls.length; i++) this.paths[ctrls[i]!] = path;
      }
    }
    if (layout.v2Root) {
      const dir = { mount: layout.v2Root, magic: CGROUP2_SUPER_MAGIC, rel: placeIn(cgPath, 'v2', own?.v2) };
      this.hier.push({ v2: true, controllers: layout.v2Controllers, dir, usable: true });
      this.paths[''] = dirPath(dir);
    }
    this.created = created.map((p) => this.checkCreated(p));
  }

  /** A `created` entry from state.json must be this container's directory or one of its ancestors on its path. */
  private checkCreated(abs: string): string {
    for (const h of this.hier) {
      if (!under(abs, h.dir.mount)) continue;
      // the container's own directory, what most entries are: h.dir.rel is clean already
      if (abs.length === h.dir.mount.length + 1 + h.dir.rel.length && abs.endsWith(h.dir.rel)) return abs;
      const rel = cleanComponents(abs.slice(h.dir.mount.length + 1), 'state.cgroup.created').join('/');
      if (rel && (h.dir.rel === rel || h.dir.rel.startsWith(`${rel}/`))) return `${h.dir.mount}/${rel}`;
    }
    throw new CgroupError(`state: \`${abs}\` is not on this container's cgroup path`);
  }

  protected get v2(): Hierarchy | undefined {
    return this.hier.find((h) => h.v2 && h.usable);
  }
  protected v1For(ctrl: string): Hierarchy | undefined {
    return this.hier.find((h) => !h.v2 && h.usable && h.controllers.includes(ctrl));
  }

  join(pid: number): void {
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new CgroupError(`join: invalid pid ${pid}`);
    for (const h of this.hier) {
      if (!h.usable) continue;
      try {
        writeFile(h.dir, 'cgroup.procs', String(pid));
      } catch (err) {
        if (this.rootless) {
          this.warnings.push((err as Error).message);
          continue;
        }
        throw err;
      }
    }
  }

  private freezer(): Hierarchy | undefined {
    return this.v1For('freezer');
  }

  freeze(): void {
    const fz = this.freezer();
    const v2 = this.v2;
    if (!fz && !v2) throw new CgroupError(`freeze: no freezer on this host (${describeLayout(this.layout)})`);
    try {
      // v2 first: a task the v1 freezer already stopped never reaches the point where v2's freezer
      // takes it, so cgroup.events would never say frozen (measured on this hybrid host)
      if (v2) this.freezeV2(v2.dir);
      if (fz) this.freezeV1(fz.dir);
    } catch (err) {
      try {
        this.thaw();
      } catch {
        /* the freeze error is the one to report */
      }
      throw err;
    }
  }

  /** FREEZING can stall on a task in an uninterruptible sleep: retry, thawing now and then (runc's loop). */
  private freezeV1(d: CgroupDir): void {
    for (let i = 0; i < 1000; i++) {
      if (i % 50 === 49) {
        writeFile(d, 'freezer.state', 'THAWED');
        sleepMs(10);
      }
      writeFile(d, 'freezer.state', 'FROZEN');
      if (i % 25 === 24) sleepMs(1);
      const state = readFile(d, 'freezer.state').trim();
      if (state === 'FROZEN') return;
      if (state !== 'FREEZING') throw new CgroupError(`freeze: unexpected freezer.state ${JSON.stringify(state)} in \`${dirPath(d)}\``);
    }
    throw new CgroupError(`freeze: \`${dirPath(d)}\` did not freeze`);
  }

  private freezeV2(d: CgroupDir): void {
    writeFile(d, 'cgroup.freeze', '1');
    for (let i = 0; i < 2000; i++) {
      if (parseKV(readFile(d, 'cgroup.events')).frozen === 1) return;
      sleepMs(1);
    }
    throw new CgroupError(`freeze: \`${dirPath(d)}\` did not report frozen within 2s`);
  }

  thaw(): void {
    const fz = this.freezer();
    const v2 = this.v2;
    if (!fz && !v2) throw new CgroupError(`thaw: no freezer on this host (${describeLayout(this.layout)})`);
    if (fz) writeFile(fz.dir, 'freezer.state', 'THAWED');
    if (v2) writeFile(v2.dir, 'cgroup.freeze', '0');
  }

  frozen(): boolean {
    const fz = this.freezer();
    if (fz) {
      for (;;) {
        const s = readFile(fz.dir, 'freezer.state').trim();
        if (s === 'THAWED') return false;
        if (s === 'FROZEN') return !exists(fz.dir, 'freezer.self_freezing') || readFile(fz.dir, 'freezer.self_freezing').trim() === '1';
        sleepMs(1);
      }
    }
    const v2 = this.v2;
    if (v2 && exists(v2.dir, 'cgroup.freeze')) return readFile(v2.dir, 'cgroup.freeze').trim() === '1';
    return false;
  }

  kill(signal: number): void {
    const v2 = this.v2;
    if (signal === 9 && v2 && exists(v2.dir, 'cgroup.kill')) {
      writeFile(v2.dir, 'cgroup.kill', '1');
      return;
    }
    // without cgroup.kill, freeze first so nothing forks between the listing and the signals (runc signalAllProcesses)
    const canFreeze = signal === 9 && (this.freezer() !== undefined || (v2 !== undefined && exists(v2.dir, 'cgroup.freeze')));
    if (canFreeze) this.freeze();
    try {
      for (const pid of this.pids()) {
        try {
          process.kill(pid, signal);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        }
      }
    } finally {
      if (canFreeze) this.thaw();
    }
  }

  /** The hierarchy that lists the container's processes: v2, else pids/freezer/devices/memory. */
  private primary(): Hierarchy {
    if (this.driver === 'v2' && this.v2) return this.v2;
    for (const c of ['pids', 'freezer', 'devices', 'memory', 'cpu']) {
      const h = this.v1For(c);
      if (h) return h;
    }
    const any = this.hier.find((h) => h.usable);
    if (!any) throw new CgroupError('no usable cgroup hierarchy');
    return any;
  }

  pids(): number[] {
    const out: number[] = [];
    const walk = (d: CgroupDir): void => {
      let text: string;
      try {
        text = readFile(d, 'cgroup.procs');
      } catch (err) {
        if (errnoOf(err) === 'ENOENT') return;
        throw err;
      }
      for (const l of text.split('\n')) if (l.trim()) out.push(Number(l));
      for (const c of childDirs(d)) walk({ ...d, rel: d.rel ? `${d.rel}/${c}` : c });
    };
    walk(this.primary().dir);
    return out;
  }

  destroy(): void {
    const errors: string[] = [];
    for (let i = this.created.length - 1; i >= 0; i--) {
      const abs = this.created[i]!;
      const h = this.hier.find((x) => under(abs, x.dir.mount))!;
      const rel = abs.slice(h.dir.mount.length + 1);
      const cut = rel.lastIndexOf('/');
      const parent: CgroupDir = { ...h.dir, rel: cut < 0 ? '' : rel.slice(0, cut) };
      const name = rel.slice(cut + 1);
      let done = false;
      // a cgroup whose last task just died stays busy for a moment
      for (let attempt = 0; attempt < 25 && !done; attempt++) {
        try {
          rmdirIn(parent, name);
          done = true;
        } catch (err) {
          const e = errnoOf(err);
          if (e === 'ENOENT') done = true;
          else if (e === 'EBUSY' && attempt < 24) sleepMs(Math.min(10 * (attempt + 1), 100));
          else if (e === 'EBUSY' || e === 'ENOTEMPTY') {
            // a pre-existing sibling's child or a process still inside: leave it, say so
            errors.push((err as Error).message);
            break;
          } else {
            errors.push((err as Error).message);
            break;
          }
        }
      }
      if (done) this.created.splice(i, 1);
    }
    if (errors.length) throw new CgroupError(`destroy: ${errors.join('; ')}`);
  }

  toJSON(): CgroupManagerState {
    return {
      driver: this.driver,
      mode: this.layout.mode,
      cgroupsPath: `${this.cgPath.absolute ? '/' : ''}${this.cgPath.inner}`,
      paths: { ...this.paths },
      created: [...this.created],
      layout: this.layout,
    };
  }
}

/** The container's cgroups as a previous `create` left them (or, for tests, as they would be). */
export function openCgroupHandle(opts: OpenOptions): CgroupHandle {
  const path = parseCgroupsPath(opts.cgroupsPath, opts.id);
  const layout = opts.layout ?? detectLayout();
  return new Hierarchies(layout, path, opts.rootless === true, opts.created ?? [], opts.procSelfCgroup);
}
