/**
 * update — runc's `update [--resources FILE|-] [flags] ID` (runc-update.8);
 * runtime-spec config-linux.md#control-groups for the resource shapes.
 * Kernel: cgroups(7), cgroup-v1/memory.rst, cgroup-v2.rst
 *
 * What can change is what runc lets change: memory limit, reservation, swap
 * and checkBeforeUpdate; cpu shares, quota, burst, period, realtime runtime
 * and period, cpus, mems, idle; blockIO weight; pids limit; unified. Other
 * keys of a --resources document (devices, hugepageLimits, ...) are ignored,
 * as runc ignores them. Zeros and empty strings mean "leave unchanged":
 * docker and containerd send the whole shape with zeros for what they do not
 * change. The new values are written to the cgroup (only the ones given) and
 * merged into the saved config.json, so a later update or events sees them.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { RuntimeError, StateError, UnsupportedError, UsageError } from '../errors.js';
import { lockDir, readSavedSpec, readState, stateDir, writeAtomic } from './store.js';
import { statusOf } from './state.js';
import { managerOf } from './ps.js';
import type { LinuxResources } from '../cgroups/resources.js';
import type { Globals } from './context.js';

/** runc update's single-value flags, as commander hands them over (strings, unparsed). */
export interface UpdateFlags {
  resources?: string;
  blkioWeight?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpuBurst?: string;
  cpuShare?: string;
  cpuRtPeriod?: string;
  cpuRtRuntime?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  cpuIdle?: string;
  kernelMemory?: string;
  kernelMemoryTcp?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  pidsLimit?: string;
  l3CacheSchema?: string;
  memBwSchema?: string;
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * A human size in bytes with binary multipliers, docker's RAMInBytes:
 * `64m`, `1g`, `512k`, `1.5GiB`, `100` (bytes). "-1" is handled by the caller.
 */
export function ramInBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text);
  if (!m) throw new UsageError(`invalid size: '${text}'`);
  const n = Math.trunc(Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]!);
  if (!Number.isSafeInteger(n)) throw new UsageError(`invalid size: '${text}' (too large)`);
  return n;
}

function uintFlag(name: string, v: string): number {
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError(`invalid value for ${name}: ${JSON.stringify(v)} is not an unsigned integer`);
  return Number(v);
}
function intFlag(name: string, v: string): number {
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError(`invalid value for ${name}: ${JSON.stringify(v)} is not an integer`);
  return Number(v);
}
function memFlag(name: string, v: string): number {
  if (v === '-1') return -1;
  try {
    return ramInBytes(v);
  } catch (err) {
    throw new UsageError(`invalid value for ${name}: ${(err as Error).message}`);
  }
}

/** The flags (without --resources) as a resources delta; unset flags are absent. */
export function resourcesFromFlags(o: UpdateFlags, warn: (msg: string) => void = () => {}): LinuxResources {
  const r: LinuxResources = {};
  const cpu = (): NonNullable<LinuxResources['cpu']> => (r.cpu ??= {});
  const mem = (): NonNullable<LinuxResources['memory']> => (r.memory ??= {});
  if (o.blkioWeight !== undefined) {
    const w = intFlag('blkio-weight', o.blkioWeight);
    if (w !== 0) r.blockIO = { weight: w & 0xffff };
  }
  if (o.cpusetCpus) cpu().cpus = o.cpusetCpus;
  if (o.cpusetMems) cpu().mems = o.cpusetMems;
  if (o.cpuIdle) cpu().idle = intFlag('cpu-idle', o.cpuIdle);
  if (o.cpuBurst) cpu().burst = uintFlag('cpu-burst', o.cpuBurst);
  if (o.cpuPeriod) cpu().period = uintFlag('cpu-period', o.cpuPeriod);
  if (o.cpuRtPeriod) cpu().realtimePeriod = uintFlag('cpu-rt-period', o.cpuRtPeriod);
  if (o.cpuShare) cpu().shares = uintFlag('cpu-share', o.cpuShare);
  if (o.cpuQuota) cpu().quota = intFlag('cpu-quota', o.cpuQuota);
  if (o.cpuRtRuntime) cpu().realtimeRuntime = intFlag('cpu-rt-runtime', o.cpuRtRuntime);
  if (o.memory) mem().limit = memFlag('memory', o.memory);
  if (o.memorySwap) mem().swap = memFlag('memory-swap', o.memorySwap);
  if (o.memoryReservation) mem().reservation = memFlag('memory-reservation', o.memoryReservation);
  // Kernel memory limits are gone from the kernel (5.16 deprecated, 6.x ignores them); runc warns and ignores too.
  if (o.kernelMemory) warn('setting --kernel-memory is ignored and will be removed');
  if (o.kernelMemoryTcp) warn('setting --kernel-memory-tcp is ignored and will be removed');
  if (o.pidsLimit !== undefined) r.pids = { limit: intFlag('pids-limit', o.pidsLimit) };
  return r;
}

/** Go's json.Decoder leaves a field alone on `null`: drop nulls so the schema sees "absent". */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNulls(x);
    return out;
  }
  return v;
}

/** A --resources document (runtime-spec LinuxResources), checked against the config schema. */
export async function parseResourcesDocument(text: string, source: string): Promise<LinuxResources> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--resources ${source}: not JSON: ${(err as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`--resources ${source}: expected a JSON object (linux.resources)`);
  const { LinuxResourcesSchema } = await import('../spec/types.js');
  const res = LinuxResourcesSchema.safeParse(dropNulls(raw));
  if (!res.success) {
    const issue = res.error.issues[0]!;
    const path = ['linux.resources', ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))].join('').replace(/\.\[/g, '[');
    throw new UsageError(`--resources ${source}: ${path}: ${issue.message}`);
  }
  return res.data as LinuxResources;
}

const nz = (v: number | undefined | null): v is number => typeof v === 'number' && v !== 0;

/**
 * What an update changes, runc's way: zeros and empty strings dropped,
 * keys runc does not update dropped, and a limit of -1 with no swap given
 * means "memory and swap unlimited".
 */
export function updateDelta(r: LinuxResources): LinuxResources {
  const d: LinuxResources = {};
  const m = r.memory;
  if (m) {
    const dm: NonNullable<LinuxResources['memory']> = {};
    if (nz(m.limit)) dm.limit = m.limit;
    if (nz(m.reservation)) dm.reservation = m.reservation;
    if (nz(m.swap)) dm.swap = m.swap;
    if (dm.limit === -1 && dm.swap === undefined) dm.swap = -1;
    if (typeof m.checkBeforeUpdate === 'boolean') dm.checkBeforeUpdate = m.checkBeforeUpdate;
    if (Object.keys(dm).some((k) => k !== 'checkBeforeUpdate')) d.memory = dm;
  }
  const c = r.cpu;
  if (c) {
    const dc: NonNullable<LinuxResources['cpu']> = {};
    for (const k of ['shares', 'quota', 'period', 'realtimeRuntime', 'realtimePeriod'] as const) if (nz(c[k])) dc[k] = c[k];
    // burst and idle are pointers in runc: present means set, even to 0
    if (typeof c.burst === 'number') dc.burst = c.burst;
    if (typeof c.idle === 'number') dc.idle = c.idle;
    if (c.cpus) dc.cpus = c.cpus;
    if (c.mems) dc.mems = c.mems;
    if (Object.keys(dc).length) d.cpu = dc;
  }
  if (nz(r.blockIO?.weight)) d.blockIO = { weight: r.blockIO!.weight };
  if (nz(r.pids?.limit)) d.pids = { limit: r.pids!.limit };
  if (r.unified && Object.keys(r.unified).length) d.unified = { ...r.unified };
  return d;
}

/** The saved linux.resources with the delta's values laid over them. */
export function mergeResources(saved: LinuxResources | undefined, d: LinuxResources): LinuxResources {
  const out: LinuxResources = structuredClone(saved ?? {});
  if (d.memory) out.memory = { ...out.memory, ...d.memory };
  if (d.cpu) out.cpu = { ...out.cpu, ...d.cpu };
  if (d.blockIO) out.blockIO = { ...out.blockIO, ...d.blockIO };
  if (d.pids) out.pids = { ...out.pids, ...d.pids };
  if (d.unified) out.unified = { ...out.unified, ...d.unified };
  return out;
}

/** Read the --resources document, or build the delta from the flags (runc: the file wins, flags are ignored). */
export async function requestedResources(o: UpdateFlags, warn: (msg: string) => void, readStdin = () => fs.readFileSync(0, 'utf8')): Promise<LinuxResources> {
  if (o.l3CacheSchema) throw new UnsupportedError('intel rdt/cat: l3 cache schema is not enabled');
  if (o.memBwSchema) throw new UnsupportedError('intel rdt/mba: memory bandwidth schema is not enabled');
  if (o.resources) {
    let text: string;
    try {
      text = o.resources === '-' ? readStdin() : fs.readFileSync(o.resources, 'utf8');
    } catch (err) {
      throw new RuntimeError(`--resources: cannot read \`${o.resources === '-' ? 'stdin' : o.resources}\`: ${(err as Error).message}`, { cause: err });
    }
    return parseResourcesDocument(text, o.resources === '-' ? 'stdin' : `\`${o.resources}\``);
  }
  return resourcesFromFlags(o, warn);
}

export async function updateContainer(g: Globals, id: string, requested: LinuxResources): Promise<LinuxResources> {
  readState(g.root, id);
  const dir = stateDir(g.root, id);
  const lock = lockDir(dir);
  try {
    const s = readState(g.root, id);
    if (statusOf(g.root, s) === 'stopped') throw new StateError('container not running');
    const delta = updateDelta(requested);
    const spec = readSavedSpec(dir);
    const m = await managerOf(s, 'update');
    m.apply(delta, { update: true });
    for (const w of m.warnings) g.warn(w);
    const merged = mergeResources(spec.linux?.resources as LinuxResources | undefined, delta);
    spec.linux = { ...spec.linux, resources: merged as NonNullable<typeof spec.linux>['resources'] };
    writeAtomic(join(dir, 'config.json'), JSON.stringify(spec));
    return merged;
  } finally {
    fs.closeSync(lock);
  }
}
