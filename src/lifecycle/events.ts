/**
 * events — runc's `events [--stats] [--interval D] ID` (runc-events.8); the
 * JSON shapes are runc's types/events.go (Event, Stats), field for field,
 * including Go's omitempty (a zero `usage` is left out, `failcnt` is not).
 * Kernel: cgroup-v1/memory.rst (memory.oom_control oom_kill), cgroup-v2.rst
 * (memory.events oom_kill), cgroup-v1/cpusets.rst
 *
 * --stats prints one `{"type":"stats",...}` line and exits. Without it, a
 * stats line every interval and an `{"type":"oom","id":...}` line for each
 * new OOM kill, until the container stops. OOM kills are read from the
 * kill counter (polled), not from an eventfd: Node has no eventfd, and the
 * counter also catches kills that happened between two polls.
 */
import { StateError, UsageError } from '../errors.js';
import { readState, type StoredState } from './store.js';
import { statusOf } from './state.js';
import { managerOf } from './ps.js';
import { CGROUP2_SUPER_MAGIC, CGROUP_SUPER_MAGIC, readFile, type CgroupDir } from '../cgroups/cgroupfs.js';
import type { CgroupManager, CgroupStats, BlkioEntry, MemoryEntry } from '../cgroups/manager.js';
import type { Globals } from './context.js';

/* ------------------------------------------------------------ durations */

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration (`5s`, `100ms`, `1m30s`, `1.5h`), in milliseconds. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let sign = 1;
  let i = 0;
  if (s[0] === '-' || s[0] === '+') {
    sign = s[0] === '-' ? -1 : 1;
    i = 1;
  }
  re.lastIndex = i;
  let total = 0;
  let parts = 0;
  while (re.lastIndex < s.length) {
    const m = re.exec(s);
    if (!m) break;
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    parts++;
  }
  if (parts === 0 || re.lastIndex !== s.length) throw new UsageError(`invalid duration ${JSON.stringify(text)}`);
  return sign * total;
}

/* ------------------------------------------------ runc's Stats JSON shape */

type Json = Record<string, unknown>;

/** Go's omitempty for numbers, slices and maps: leave the key out when empty. */
function put(o: Json, key: string, v: unknown): void {
  if (v === undefined || v === null || v === 0 || v === '') return;
  if (Array.isArray(v) && v.length === 0) return;
  if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0) return;
  o[key] = v;
}

function memoryEntry(e: MemoryEntry): Json {
  const o: Json = { limit: e.limit };
  put(o, 'usage', e.usage);
  put(o, 'max', e.max);
  o.failcnt = e.failcnt;
  return o;
}

function blkioEntries(list: BlkioEntry[]): Json[] {
  return list.map((e) => {
    const o: Json = {};
    put(o, 'major', e.major);
    put(o, 'minor', e.minor);
    put(o, 'op', e.op);
    put(o, 'value', e.value);
    return o;
  });
}

/** cpuset(7) files of the container's cpuset cgroup, as runc's CPUSet stats. */
export interface CpusetStats {
  cpus?: number[];
  cpu_exclusive: number;
  mems?: number[];
  mem_hardwall: number;
  mem_exclusive: number;
  memory_migrate: number;
  memory_spread_page: number;
  memory_spread_slab: number;
  memory_pressure: number;
  sched_load_balance: number;
  sched_relax_domain_level: number;
}

/** `0-2,4` → [0, 1, 2, 4] (cpuset(7) list format). */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    const end = b === undefined || Number.isNaN(b) ? a : b;
    for (let n = a; n <= end; n++) out.push(n);
  }
  return out;
}

/** runc's types.Stats for one sample, ready for JSON.stringify (key order as Go encodes it). */
export function runcStats(cg: CgroupStats, cpuset: CpusetStats | undefined): Json {
  const usage: Json = {};
  put(usage, 'total', cg.cpu.usage.total);
  put(usage, 'percpu', cg.cpu.usage.percpu);
  usage.kernel = cg.cpu.usage.kernel;
  usage.user = cg.cpu.usage.user;
  const throttling: Json = {};
  put(throttling, 'periods', cg.cpu.throttling.periods);
  put(throttling, 'throttledPeriods', cg.cpu.throttling.throttledPeriods);
  put(throttling, 'throttledTime', cg.cpu.throttling.throttledTime);

  const cs = cpuset ?? emptyCpuset();
  const cpusetJson: Json = {};
  put(cpusetJson, 'cpus', cs.cpus);
  cpusetJson.cpu_exclusive = cs.cpu_exclusive;
  put(cpusetJson, 'mems', cs.mems);
  for (const k of ['mem_hardwall', 'mem_exclusive', 'memory_migrate', 'memory_spread_page', 'memory_spread_slab', 'memory_pressure', 'sched_load_balance', 'sched_relax_domain_level'] as const) {
    cpusetJson[k] = cs[k];
  }

  const memory: Json = {};
  put(memory, 'cache', cg.memory.cache);
  memory.usage = memoryEntry(cg.memory.usage);
  memory.swap = memoryEntry(cg.memory.swap);
  memory.kernel = memoryEntry(cg.memory.kernel);
  memory.kernelTCP = memoryEntry(cg.memory.kernelTCP);
  put(memory, 'raw', cg.memory.raw);

  const pids: Json = {};
  put(pids, 'current', cg.pids.current);
  put(pids, 'limit', cg.pids.limit);

  const blkio: Json = {};
  put(blkio, 'ioServiceBytesRecursive', blkioEntries(cg.blkio.ioServiceBytesRecursive));
  put(blkio, 'ioServicedRecursive', blkioEntries(cg.blkio.ioServicedRecursive));

  const hugetlb: Json = {};
  for (const [size, h] of Object.entries(cg.hugetlb)) {
    const o: Json = {};
    put(o, 'usage', h.usage);
    put(o, 'max', h.max);
    o.failcnt = h.failcnt;
    hugetlb[size] = o;
  }
  return {
    cpu: { usage, throttling },
    cpuset: cpusetJson,
    memory,
    pids,
    blkio,
    hugetlb,
    intel_rdt: {},
    network_interfaces: null,
  };
}

function emptyCpuset(): CpusetStats {
  return {
    cpu_exclusive: 0,
    mem_hardwall: 0,
    mem_exclusive: 0,
    memory_migrate: 0,
    memory_spread_page: 0,
    memory_spread_slab: 0,
    memory_pressure: 0,
    sched_load_balance: 0,
    sched_relax_domain_level: 0,
  };
}

/* ------------------------------------------------------- cgroup reading */

/** The container's directory for one controller, as a verified CgroupDir (never a raw path from state.json). */
function dirOf(m: CgroupManager, ctrl: string): CgroupDir | undefined {
  if (ctrl === '' || m.driver === 'v2') {
    const root = m.layout.v2Root;
    const p = m.paths[''];
    if (!root || !p || (p !== root && !p.startsWith(`${root}/`))) return undefined;
    return { mount: root, magic: CGROUP2_SUPER_MAGIC, rel: p.slice(root.length + 1) };
  }
  const mount = m.layout.v1[ctrl];
  const p = m.paths[ctrl];
  if (!mount || !p || (p !== mount && !p.startsWith(`${mount}/`))) return undefined;
  return { mount, magic: CGROUP_SUPER_MAGIC, rel: p.slice(mount.length + 1) };
}

function tryRead(d: CgroupDir | undefined, file: string): string | undefined {
  if (!d) return undefined;
  try {
    return readFile(d, file);
  } catch {
    return undefined;
  }
}

export function cpusetStats(m: CgroupManager): CpusetStats | undefined {
  const v2 = m.driver === 'v2';
  const d = dirOf(m, v2 ? '' : 'cpuset');
  if (!d) return undefined;
  const num = (file: string): number => {
    const t = tryRead(d, v2 ? file : `cpuset.${file}`);
    return t === undefined || t.trim() === '' ? 0 : Number(t.trim());
  };
  const cpus = tryRead(d, v2 ? 'cpuset.cpus.effective' : 'cpuset.cpus');
  const mems = tryRead(d, v2 ? 'cpuset.mems.effective' : 'cpuset.mems');
  if (cpus === undefined && mems === undefined) return undefined;
  const s = emptyCpuset();
  s.cpus = parseCpuList(cpus ?? '');
  s.mems = parseCpuList(mems ?? '');
  if (!v2) {
    s.cpu_exclusive = num('cpu_exclusive');
    s.mem_hardwall = num('mem_hardwall');
    s.mem_exclusive = num('mem_exclusive');
    s.memory_migrate = num('memory_migrate');
    s.memory_spread_page = num('memory_spread_page');
    s.memory_spread_slab = num('memory_spread_slab');
    s.memory_pressure = num('memory_pressure');
    s.sched_load_balance = num('sched_load_balance');
    s.sched_relax_domain_level = num('sched_relax_domain_level');
  }
  return s;
}

/** The cgroup's OOM-kill count: v1 memory.oom_control `oom_kill`, v2 memory.events `oom_kill`; undefined without one. */
export function oomKills(m: CgroupManager): number | undefined {
  const text = m.driver === 'v1' ? tryRead(dirOf(m, 'memory'), 'memory.oom_control') : tryRead(dirOf(m, ''), 'memory.events');
  const line = /^oom_kill (\d+)$/m.exec(text ?? '');
  return line ? Number(line[1]) : undefined;
}

/* ---------------------------------------------------------------- events */

export interface EventsOptions {
  stats: boolean;
  /** milliseconds */
  interval: number;
  /** where each event line goes (stdout) */
  write: (line: string) => void;
  /** how often to look for OOM kills and for the container's end, ms */
  pollMs?: number;
}

const BIG = '__joey_uint64__:';

/**
 * JSON with integers beyond 2^53 printed in full: cgroup "unlimited" is
 * 9223372036854771712 (2^63 - 4096), exact as a double, but JSON.stringify
 * would print its shortest form, 9223372036854772000.
 */
export function toJson(v: unknown): string {
  const text = JSON.stringify(v, (_k, x: unknown) =>
    typeof x === 'number' && Number.isInteger(x) && !Number.isSafeInteger(x) ? `${BIG}${BigInt(x)}` : x,
  );
  return text.replace(new RegExp(`"${BIG}(-?\\d+)"`, 'g'), '$1');
}

function event(type: 'stats' | 'oom', id: string, data?: unknown): string {
  return `${toJson(data === undefined ? { type, id } : { type, id, data })}\n`;
}

export function statsEvent(m: CgroupManager, id: string): string {
  return event('stats', id, runcStats(m.stats(), cpusetStats(m)));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function containerEvents(g: Globals, id: string, o: EventsOptions): Promise<void> {
  if (!(o.interval > 0)) throw new UsageError('duration interval must be greater than 0');
  const s = readState(g.root, id);
  if (statusOf(g.root, s) === 'stopped') throw new StateError(`container with id ${id} is not running`);
  const m = await managerOf(s, 'events');
  if (o.stats) {
    o.write(statsEvent(m, id));
    return;
  }
  await stream(g, s, m, o);
}

async function stream(g: Globals, s: StoredState, m: CgroupManager, o: EventsOptions): Promise<void> {
  const poll = Math.min(o.pollMs ?? 200, o.interval);
  let kills = oomKills(m) ?? 0;
  let nextStats = Date.now() + o.interval;
  for (;;) {
    await sleep(Math.max(0, Math.min(poll, nextStats - Date.now())));
    const now = oomKills(m);
    if (now !== undefined && now > kills) {
      for (let i = kills; i < now; i++) o.write(event('oom', s.id));
      kills = now;
    }
    if (statusOf(g.root, s) === 'stopped') return;
    if (Date.now() >= nextStats) {
      nextStats += o.interval;
      try {
        o.write(statsEvent(m, s.id));
      } catch (err) {
        // runc logs a failed sample and keeps going
        g.warn(`events: stats: ${(err as Error).message}`);
      }
    }
  }
}
