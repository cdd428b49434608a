/**
 * The cgroup manager: create and apply on top of handle.ts (join, freeze, kill, destroy), plus stats.
 *
 * Spec: runtime-spec config-linux.md#control-groups, #cgroups-path. Kernel: cgroups(7),
 * Documentation/admin-guide/cgroup-v2.rst (cgroup.subtree_control),
 * cgroup-v1/{cpusets,devices}.rst, bpf(2) (BPF_PROG_ATTACH, BPF_CGROUP_DEVICE).
 * All I/O goes through cgroupfs.ts (openat2 beneath verified mounts).
 */
import { readdirSync } from 'node:fs';
import { CgroupError } from '../errors.js';
import { addon, O_DIRECTORY, O_RDONLY } from '../native/addon.js';
import { dirPath, exists, mkdirIn, openBeneath, readFile, writeEach, writeFile, type CgroupDir } from './cgroupfs.js';
import { compileDeviceProgram, deviceRulesToV1Writes, DEVICE_PROGRAM_LICENSE, normalizeDeviceRules } from './devices.js';
import { describeLayout, detectLayout } from './layout.js';
import { parseCgroupsPath } from './path.js';
import { hugePageSizeName, resourcesToWrites, type CgroupWrite, type LinuxResources, type WriteOptions } from './resources.js';
import { errnoOf, Hierarchies, parseKV, type CgroupHandle, type Hierarchy, type OpenOptions } from './handle.js';

export type { CgroupHandle, CgroupManagerState, OpenOptions } from './handle.js';

export interface ApplyOptions {
  /** `joey update`: zeros mean "leave unchanged" (memory.limit, cpu.shares/quota/period, blockIO.weight) */
  update?: boolean;
}

export interface CgroupManager extends CgroupHandle {
  create(): void;
  apply(resources: LinuxResources | undefined, opts?: ApplyOptions): void;
  stats(): CgroupStats;
}

const toNum = (s: string): number => (s.trim() === 'max' ? 0 : Number(s.trim()));

/** No section but `devices` is set: resourcesToWrites would return no write and writeOptions read nothing. */
function onlyDevices(r: LinuxResources): boolean {
  for (const k in r) if (k !== 'devices' && (r as Record<string, unknown>)[k] !== undefined) return false;
  return true;
}

const CPUSET_FILES = ['cpuset.cpus', 'cpuset.mems'];

class Manager extends Hierarchies implements CgroupManager {
  create(): void {
    for (const h of this.hier) {
      try {
        this.ensure(h);
      } catch (err) {
        if (this.rootless && ['EACCES', 'EPERM', 'EROFS'].includes(errnoOf(err) ?? '')) {
          h.usable = false;
          this.warnings.push(`rootless: cannot use \`${dirPath(h.dir)}\`: ${(err as Error).message}`);
          continue;
        }
        throw err;
      }
    }
  }

  private ensure(h: Hierarchy): void {
    const comps = h.dir.rel.split('/');
    const isCpuset = !h.v2 && h.controllers.includes('cpuset');
    // v1, where the levels above exist (joey/ from an earlier container): the
    // leaf alone, one mkdir in its parent instead of one per level (an
    // EEXIST each). A missing level, or v2 (each level hands its controllers
    // down), takes the walk below.
    if (!h.v2 && comps.length > 1 && this.ensureLeaf(h, comps, isCpuset)) return;
    // cpuset.cpus and cpuset.mems of the level above, once known: each level's
    // values are its parent's, so the walk reads each file once, not twice.
    let above: Record<string, string> = {};
    for (let i = 0; i < comps.length; i++) {
      const parent: CgroupDir = { ...h.dir, rel: comps.slice(0, i).join('/') };
      if (h.v2) this.enableSubtree(parent);
      const made = mkdirIn(parent, comps[i]!);
      if (made) this.created.push(`${h.dir.mount}/${comps.slice(0, i + 1).join('/')}`);
      // a new v1 cpuset starts with no cpus and no mems and refuses tasks: inherit the parent's (runc ensureCpusAndMems).
      // A directory just made needs no look: it is empty, or the parent's copy under cgroup.clone_children,
      // which the same write leaves as it is.
      if (isCpuset) above = this.inheritCpuset({ ...h.dir, rel: comps.slice(0, i + 1).join('/') }, parent, made, above);
    }
  }

  /** A v1 cpuset's cpus and mems: its own, or where empty the level above's (`above` when known, else read), written in. */
  private inheritCpuset(here: CgroupDir, parent: CgroupDir, made: boolean, above: Record<string, string>): Record<string, string> {
    const known: Record<string, string> = {};
    for (const f of CPUSET_FILES) {
      let v = made ? '' : readFile(here, f).trim();
      if (v === '') {
        v = above[f] ?? readFile(parent, f).trim();
        writeFile(here, f, v || '\n');
      }
      known[f] = v;
    }
    return known;
  }

  /** ensure()'s short way: false when a level above the leaf is missing, or (cpuset) has no cpus or mems; the walk then goes on from there. */
  private ensureLeaf(h: Hierarchy, comps: string[], isCpuset: boolean): boolean {
    const parent: CgroupDir = { ...h.dir, rel: comps.slice(0, -1).join('/') };
    let made: boolean;
    try {
      made = mkdirIn(parent, comps[comps.length - 1]!);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return false;
      throw err;
    }
    if (made) this.created.push(`${h.dir.mount}/${h.dir.rel}`);
    // a new v1 cpuset starts with no cpus and no mems and refuses tasks: the parent's (runc ensureCpusAndMems)
    if (isCpuset) {
      const above = Object.fromEntries(CPUSET_FILES.map((f) => [f, readFile(parent, f).trim()]));
      if (Object.values(above).includes('')) return false; // the parent has none either: the walk fills each level from the one above
      this.inheritCpuset(h.dir, parent, made, above);
    }
    return true;
  }

  /** Hand every controller the parent has down to its children; one at a time, failures ignored (runc CreateCgroupPath). */
  private enableSubtree(d: CgroupDir): void {
    let avail: string[];
    try {
      avail = readFile(d, 'cgroup.controllers').trim().split(/\s+/).filter(Boolean);
    } catch {
      return;
    }
    const on = new Set(readFile(d, 'cgroup.subtree_control').trim().split(/\s+/));
    for (const c of avail) {
      if (on.has(c)) continue;
      try {
        writeFile(d, 'cgroup.subtree_control', `+${c}`);
      } catch {
        /* a controller the parent cannot delegate (e.g. processes in it) — its limits will fail loudly later */
      }
    }
  }

  /** Where a write goes; undefined when this host has no such controller in that hierarchy. */
  private dirFor(w: CgroupWrite): CgroupDir | undefined {
    if (w.driver === 'v2') {
      const h = this.v2;
      if (!h) return undefined;
      return w.controller === '' || h.controllers.includes(w.controller) ? h.dir : undefined;
    }
    return this.v1For(w.controller)?.dir;
  }

  private missing(w: { from: string; controller: string }): void {
    const section = w.from.split(/[.[]/).slice(0, 3).join('.');
    const msg = `${section}: the ${w.controller} controller is not available on this host (${describeLayout(this.layout)})`;
    if (this.rootless) {
      if (!this.warnings.includes(msg)) this.warnings.push(msg);
      return;
    }
    throw new CgroupError(msg, { jsonPath: section, specRef: 'config-linux.md#control-groups' });
  }

  private writeOptions(r: LinuxResources, opts: ApplyOptions): WriteOptions {
    const o: WriteOptions = { update: opts.update === true, v2Controllers: this.layout.v2Controllers };
    if (this.driver === 'v1' && this.layout.v2Root) {
      o.hybridV2 = this.layout.v2Controllers.filter((c) => !(c in this.layout.v1));
    }
    if (r.hugepageLimits?.length) o.hugePageSizes = hostHugePageSizes();
    const blk = this.v1For('blkio');
    if (this.driver === 'v1' && blk && r.blockIO && !exists(blk.dir, 'blkio.weight') && exists(blk.dir, 'blkio.bfq.weight')) o.v1BlkioBfq = true;
    const v2 = this.v2;
    if (this.driver === 'v2' && v2 && r.blockIO && exists(v2.dir, 'io.bfq.weight')) o.v2IoBfq = true;
    const m = r.memory;
    const mem = this.driver === 'v1' ? this.v1For('memory') : v2;
    if (m && mem) {
      const usage = this.driver === 'v1' ? 'memory.usage_in_bytes' : 'memory.current';
      if (this.driver === 'v1' && m.limit && m.swap) o.current = { ...o.current, memoryLimit: toNum(readFile(mem.dir, 'memory.limit_in_bytes')) };
      if (m.checkBeforeUpdate && exists(mem.dir, usage)) o.current = { ...o.current, memoryUsage: toNum(readFile(mem.dir, usage)) };
    }
    if (this.driver === 'v2' && v2 && o.update && r.cpu?.period && !r.cpu.quota && exists(v2.dir, 'cpu.max')) {
      o.current = { ...o.current, cpuMax: readFile(v2.dir, 'cpu.max') };
    }
    return o;
  }

  apply(resources: LinuxResources | undefined, opts: ApplyOptions = {}): void {
    if (!resources) return;
    // Only device rules (what most configs carry, and every create adds): there is no file
    // write to map, and resourcesToWrites and writeOptions, the biggest functions here, are
    // never compiled (V8 compiles each function at its first call; a create runs once).
    const writes = onlyDevices(resources) ? [] : resourcesToWrites(resources, this.driver, this.writeOptions(resources, opts));
    if (resources.devices && resources.devices.length > 0) this.applyDevices(resources);
    const plan: { w: CgroupWrite; dir: CgroupDir }[] = [];
    for (const w of writes) {
      const dir = this.dirFor(w);
      if (!dir) {
        this.missing(w);
        continue;
      }
      plan.push({ w, dir });
    }
    const deferred: { w: CgroupWrite; dir: CgroupDir }[] = [];
    const run = (p: { w: CgroupWrite; dir: CgroupDir }, last: boolean): void => {
      try {
        writeFile(p.dir, p.w.file, p.w.value);
      } catch (err) {
        const e = errnoOf(err);
        if (p.w.optional && e === 'ENOENT') return;
        if (!last && p.w.retryOnEinval && e === 'EINVAL') {
          deferred.push(p);
          return;
        }
        throw new CgroupError(`${p.w.from}: ${(err as Error).message}`, { jsonPath: p.w.from, errno: e, cause: err, specRef: 'config-linux.md#control-groups' });
      }
    };
    for (const p of plan) run(p, false);
    for (const p of deferred) run(p, true);
  }

  private applyDevices(r: LinuxResources): void {
    const rules = normalizeDeviceRules(r.devices);
    const dev = this.v1For('devices');
    if (dev) {
      const writes = deviceRulesToV1Writes(rules);
      // A run of writes to one file goes through one open (devices.allow
      // takes a rule per write); after a failed one, the rest one by one.
      for (let i = 0; i < writes.length; ) {
        let end = i + 1;
        while (end < writes.length && writes[end]!.file === writes[i]!.file) end++;
        const run = writes.slice(i, end);
        try {
          writeEach(dev.dir, run[0]!.file, run.map((w) => w.value));
          i = end;
          continue;
        } catch (err) {
          const at = i + ((err as { index?: number }).index ?? 0);
          const w = writes[at]!;
          if (!this.rootless) throw new CgroupError(`${w.from}: ${(err as Error).message}`, { jsonPath: w.from, errno: errnoOf(err), cause: err });
          this.warnings.push(`${w.from}: ${(err as Error).message}`);
          i = at + 1;
        }
      }
      return;
    }
    const v2 = this.v2;
    if (!v2 || (this.driver === 'v1' && !this.layout.v2Root)) {
      this.missing({ from: 'linux.resources.devices', controller: 'devices' });
      return;
    }
    // v2 (or a hybrid host without a v1 devices controller): the device hook of the unified directory
    const prog = compileDeviceProgram(rules);
    let progFd = -1;
    const dirFd = openBeneath(v2.dir, undefined, O_RDONLY | O_DIRECTORY);
    try {
      progFd = addon().bpfLoadDeviceProgram(prog, DEVICE_PROGRAM_LICENSE);
      // flags 0: the one program of this cgroup, replaced by the next attach (joey update)
      addon().bpfAttachDevice(progFd, dirFd, 0);
    } catch (err) {
      const msg = `linux.resources.devices: cannot install the device filter on \`${dirPath(v2.dir)}\`: ${(err as Error).message}`;
      if (this.rootless) this.warnings.push(msg);
      else throw new CgroupError(msg, { errno: errnoOf(err), cause: err });
    } finally {
      if (progFd >= 0) addon().close(progFd);
      addon().close(dirFd);
    }
  }

  stats(): CgroupStats {
    return collectStats({
      v2: this.v2?.dir,
      v1: (c) => this.v1For(c)?.dir,
      driver: this.driver,
      hugePageSizes: safeHugePageSizes(),
    });
  }
}

function hostHugePageSizes(): string[] {
  return readdirSync('/sys/kernel/mm/hugepages')
    .map((n) => /^hugepages-(\d+)kB$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => hugePageSizeName(Number(m[1])));
}
function safeHugePageSizes(): string[] {
  try {
    return hostHugePageSizes();
  } catch {
    return [];
  }
}

/** The manager of a container's cgroups: open, then create() and apply() for a new one. */
export function openCgroupManager(opts: OpenOptions): CgroupManager {
  const path = parseCgroupsPath(opts.cgroupsPath, opts.id);
  const layout = opts.layout ?? detectLayout();
  return new Manager(layout, path, opts.rootless === true, opts.created ?? [], opts.procSelfCgroup);
}

// ---- stats: the shape of `runc events --stats` (runc types/events.go) ----

export interface MemoryEntry { limit: number; usage: number; max: number; failcnt: number }
export interface BlkioEntry { major: number; minor: number; op: string; value: number }
export interface CgroupStats {
  cpu: {
    usage: { total: number; percpu?: number[]; kernel: number; user: number };
    throttling: { periods: number; throttledPeriods: number; throttledTime: number };
  };
  memory: { cache: number; usage: MemoryEntry; swap: MemoryEntry; kernel: MemoryEntry; kernelTCP: MemoryEntry; raw: Record<string, number> };
  pids: { current: number; limit: number };
  blkio: { ioServiceBytesRecursive: BlkioEntry[]; ioServicedRecursive: BlkioEntry[] };
  hugetlb: Record<string, { usage: number; max: number; failcnt: number }>;
}

interface StatSources {
  driver: 'v1' | 'v2';
  v2: CgroupDir | undefined;
  v1: (ctrl: string) => CgroupDir | undefined;
  hugePageSizes: string[];
}

function tryRead(d: CgroupDir | undefined, file: string): string | undefined {
  if (!d) return undefined;
  try {
    return readFile(d, file);
  } catch (err) {
    if (['ENOENT', 'ENODEV', 'EOPNOTSUPP', 'ENOTSUP'].includes(errnoOf(err) ?? '')) return undefined;
    throw err;
  }
}
const num = (s: string | undefined): number => (s === undefined ? 0 : toNum(s));
const USER_HZ_NS = 1e9 / 100; // cpuacct.stat counts USER_HZ ticks

function collectStats(s: StatSources): CgroupStats {
  const empty = (): MemoryEntry => ({ limit: 0, usage: 0, max: 0, failcnt: 0 });
  const st: CgroupStats = {
    cpu: { usage: { total: 0, kernel: 0, user: 0 }, throttling: { periods: 0, throttledPeriods: 0, throttledTime: 0 } },
    memory: { cache: 0, usage: empty(), swap: empty(), kernel: empty(), kernelTCP: empty(), raw: {} },
    pids: { current: 0, limit: 0 },
    blkio: { ioServiceBytesRecursive: [], ioServicedRecursive: [] },
    hugetlb: {},
  };
  const v2 = s.v2;
  const inV2 = (ctrl: string): CgroupDir | undefined => (s.driver === 'v2' ? v2 : undefined);

  // cpu
  const cpuV1 = s.v1('cpu');
  const acct = s.v1('cpuacct');
  if (s.driver === 'v1') {
    const t = parseKV(tryRead(cpuV1, 'cpu.stat') ?? '');
    st.cpu.throttling = { periods: t.nr_periods ?? 0, throttledPeriods: t.nr_throttled ?? 0, throttledTime: t.throttled_time ?? 0 };
    st.cpu.usage.total = num(tryRead(acct, 'cpuacct.usage'));
    const per = tryRead(acct, 'cpuacct.usage_percpu');
    if (per) st.cpu.usage.percpu = per.trim().split(/\s+/).map(Number);
    const a = parseKV(tryRead(acct, 'cpuacct.stat') ?? '');
    st.cpu.usage.user = (a.user ?? 0) * USER_HZ_NS;
    st.cpu.usage.kernel = (a.system ?? 0) * USER_HZ_NS;
  } else {
    const t = parseKV(tryRead(v2, 'cpu.stat') ?? '');
    st.cpu.usage = { total: (t.usage_usec ?? 0) * 1000, user: (t.user_usec ?? 0) * 1000, kernel: (t.system_usec ?? 0) * 1000 };
    st.cpu.throttling = { periods: t.nr_periods ?? 0, throttledPeriods: t.nr_throttled ?? 0, throttledTime: (t.throttled_usec ?? 0) * 1000 };
  }

  // memory
  const memV1 = s.v1('memory');
  if (s.driver === 'v1' && memV1) {
    st.memory.raw = parseKV(tryRead(memV1, 'memory.stat') ?? '');
    st.memory.cache = st.memory.raw.cache ?? 0;
    const entry = (prefix: string): MemoryEntry => ({
      usage: num(tryRead(memV1, `${prefix}.usage_in_bytes`)),
      max: num(tryRead(memV1, `${prefix}.max_usage_in_bytes`)),
      failcnt: num(tryRead(memV1, `${prefix}.failcnt`)),
      limit: num(tryRead(memV1, `${prefix}.limit_in_bytes`)),
    });
    st.memory.usage = entry('memory');
    st.memory.swap = entry('memory.memsw');
    st.memory.kernel = entry('memory.kmem');
    st.memory.kernelTCP = entry('memory.kmem.tcp');
  } else if (inV2('memory')) {
    st.memory.raw = parseKV(tryRead(v2, 'memory.stat') ?? '');
    st.memory.cache = st.memory.raw.file ?? 0;
    const ev = parseKV(tryRead(v2, 'memory.events') ?? '');
    st.memory.usage = { usage: num(tryRead(v2, 'memory.current')), limit: num(tryRead(v2, 'memory.max')), max: num(tryRead(v2, 'memory.peak')), failcnt: ev.max ?? 0 };
    const swapUsage = num(tryRead(v2, 'memory.swap.current'));
    st.memory.swap = { usage: swapUsage + st.memory.usage.usage, limit: num(tryRead(v2, 'memory.swap.max')), max: 0, failcnt: 0 };
  }

  // pids
  const pidsDir = s.driver === 'v1' ? s.v1('pids') : v2;
  if (pidsDir) st.pids = { current: num(tryRead(pidsDir, 'pids.current')), limit: num(tryRead(pidsDir, 'pids.max')) };

  // blkio
  const blk = s.v1('blkio');
  if (s.driver === 'v1' && blk) {
    const entries = (file: string): BlkioEntry[] =>
      (tryRead(blk, file) ?? '')
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f.length === 3 && f[0]!.includes(':'))
        .map(([dev, op, v]) => {
          const [maj, min] = dev!.split(':').map(Number);
          return { major: maj!, minor: min!, op: op!, value: Number(v) };
        });
    st.blkio.ioServiceBytesRecursive = entries('blkio.throttle.io_service_bytes_recursive');
    st.blkio.ioServicedRecursive = entries('blkio.throttle.io_serviced_recursive');
  } else if (inV2('io')) {
    for (const line of (tryRead(v2, 'io.stat') ?? '').split('\n')) {
      const [dev, ...kv] = line.trim().split(/\s+/);
      if (!dev || !dev.includes(':')) continue;
      const [maj, min] = dev.split(':').map(Number);
      for (const p of kv) {
        const [k, v] = p.split('=');
        const map: Record<string, [keyof CgroupStats['blkio'], string]> = {
          rbytes: ['ioServiceBytesRecursive', 'Read'],
          wbytes: ['ioServiceBytesRecursive', 'Write'],
          rios: ['ioServicedRecursive', 'Read'],
          wios: ['ioServicedRecursive', 'Write'],
        };
        const m = map[k ?? ''];
        if (m) st.blkio[m[0]].push({ major: maj!, minor: min!, op: m[1], value: Number(v) });
      }
    }
  }

  // hugetlb: v1 when mounted there, else the unified hierarchy (hybrid hosts like this one)
  const hv1 = s.v1('hugetlb');
  for (const size of s.hugePageSizes) {
    if (hv1) {
      st.hugetlb[size] = {
        usage: num(tryRead(hv1, `hugetlb.${size}.usage_in_bytes`)),
        max: num(tryRead(hv1, `hugetlb.${size}.max_usage_in_bytes`)),
        failcnt: num(tryRead(hv1, `hugetlb.${size}.failcnt`)),
      };
    } else if (v2) {
      const cur = tryRead(v2, `hugetlb.${size}.current`);
      if (cur === undefined) continue;
      st.hugetlb[size] = { usage: num(cur), max: 0, failcnt: parseKV(tryRead(v2, `hugetlb.${size}.events`) ?? '').max ?? 0 };
    }
  }
  return st;
}
