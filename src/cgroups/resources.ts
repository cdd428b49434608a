/**
 * `linux.resources` → a list of cgroupfs writes, for the v1 and the v2 driver.
 *
 * Spec: runtime-spec config-linux.md#control-groups (memory, cpu, pids, blockIO,
 * hugepageLimits, network, rdma, unified). Kernel: Documentation/admin-guide/cgroup-v2.rst,
 * Documentation/admin-guide/cgroup-v1/{memory,cpuacct,blkio-controller,hugetlb,net_cls,net_prio,rdma}.rst.
 *
 * PURE: no I/O. Whatever the mapping needs from the host (the huge page sizes, the
 * current memory limit for the v1 ordering, whether BFQ names the weight files) comes in
 * `opts`, so `joey plan` can show the writes and the unit tests pin them down.
 * The conversions and the write order follow runc's opencontainers/cgroups (fs/*.go,
 * fs2/*.go, utils.go); where the issue asked for something else it says so at the spot.
 */
import { SpecError } from '../errors.js';

export type Driver = 'v1' | 'v2';

// The OCI types, structurally: the zod schema elsewhere produces compatible objects.
export interface LinuxMemory {
  limit?: number;
  reservation?: number;
  swap?: number;
  kernel?: number;
  kernelTCP?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}
export interface LinuxCPU {
  shares?: number;
  quota?: number;
  burst?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
  idle?: number;
}
export interface LinuxWeightDevice { major: number; minor: number; weight?: number; leafWeight?: number }
export interface LinuxThrottleDevice { major: number; minor: number; rate: number }
export interface LinuxBlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: LinuxWeightDevice[];
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}
export interface LinuxDeviceCgroup { allow: boolean; type?: string; major?: number | null; minor?: number | null; access?: string }
export interface LinuxResources {
  devices?: LinuxDeviceCgroup[];
  memory?: LinuxMemory;
  cpu?: LinuxCPU;
  pids?: { limit?: number };
  blockIO?: LinuxBlockIO;
  hugepageLimits?: { pageSize: string; limit: number }[];
  network?: { classID?: number; priorities?: { name: string; priority: number }[] };
  rdma?: Record<string, { hcaHandles?: number; hcaObjects?: number }>;
  unified?: Record<string, string>;
}

export interface CgroupWrite {
  /** controller whose hierarchy holds the file (`memory`, `cpu`, `hugetlb`, ...) */
  controller: string;
  file: string;
  value: string;
  /** JSON path into config.json the value came from */
  from: string;
  /** which hierarchy's naming the file uses (a v1 driver on a hybrid host writes some controllers in the unified one) */
  driver: Driver;
  /** ENOENT is fine: the kernel may lack this file (hugetlb `.rsvd`, like runc) */
  optional?: boolean;
  /** EINVAL may come from the current value of a sibling file: retry once after the controller's other writes (runc's cfs_period/rt_period dance) */
  retryOnEinval?: boolean;
}

export interface WriteOptions {
  /** `update`: zeros mean "leave unchanged" where docker sends zeros */
  update?: boolean;
  /** huge page sizes the host supports, in the spec's spelling (`2MB`, `1GB`) */
  hugePageSizes?: string[];
  /** v1 driver on a hybrid host: controllers only the unified hierarchy has, written with v2 names */
  hybridV2?: string[];
  /** controllers of the v2 hierarchy (`cgroup.controllers`), to check `unified` keys */
  v2Controllers?: string[];
  /** v1: blkio.weight is absent and BFQ's blkio.bfq.weight{,_device} is there */
  v1BlkioBfq?: boolean;
  /** v2: io.bfq.weight exists (runc prefers it for the raw 10..1000 weight) */
  v2IoBfq?: boolean;
  /** what the manager read from the cgroup when the mapping depends on it */
  current?: {
    /** v1 memory.limit_in_bytes (runc orders limit/swap by it) */
    memoryLimit?: number;
    /** memory.current / memory.usage_in_bytes, for checkBeforeUpdate */
    memoryUsage?: number;
    /** v2 cpu.max, for an update that changes only the period */
    cpuMax?: string;
  };
}

const R = 'linux.resources';
const ref = (section: string): string => `config-linux.md#${section}`;

function specErr(path: string, msg: string, section: string, code?: string): SpecError {
  return new SpecError(path, msg, ref(section), code);
}
const unsupported = (path: string, what: string, section: string): SpecError =>
  specErr(path, `not supported on cgroup ${what}`, section, 'EUNSUPPORTED');

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}
function checkInt(path: string, v: unknown, section: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!isInt(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw specErr(path, `must be an integer ${range}, got ${JSON.stringify(v)}`, section);
  }
  return v;
}

/** runc's older linear mapping of cpu.shares [2..262144] onto cpu.weight [1..10000], as the issue asks */
export function cpuSharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** blkio.weight [10..1000] → io.weight [1..10000], linearly (runc ConvertBlkIOToIOWeightValue) */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * The spec's memory.swap is memory+swap (v1's memsw); v2's memory.swap.max is swap alone.
 * Returns -1 for "max", 0 for "leave unset", else the v2 value (runc ConvertMemorySwapToCgroupV2Value).
 */
export function memorySwapToV2(swap: number, limit: number, path = `${R}.memory.swap`): number {
  if (limit === -1 && swap === 0) return -1; // unlimited memory and no swap word: unlimited both, like v1
  if (swap === -1 || swap === 0) return swap;
  if (limit === -1) return swap;
  if (limit === 0) throw specErr(path, 'a swap limit needs a memory limit on cgroup v2', 'memory');
  if (limit < 0) throw specErr(`${R}.memory.limit`, `invalid memory limit ${limit}`, 'memory');
  if (swap < limit) throw specErr(path, 'must be >= memory.limit (it is memory+swap)', 'memory');
  return swap - limit;
}

/** 2048 kB → `2MB`, 1048576 kB → `1GB`: the names hugetlb uses (from /sys/kernel/mm/hugepages/hugepages-<n>kB) */
export function hugePageSizeName(kb: number): string {
  const units = ['KB', 'MB', 'GB', 'TB', 'PB'];
  let v = kb;
  let i = 0;
  while (v >= 1024 && v % 1024 === 0 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v}${units[i]}`;
}

function v2Num(v: number): string {
  return v === -1 ? 'max' : String(v);
}

type Emit = (w: Omit<CgroupWrite, 'driver' | 'controller'> & { controller?: string }) => void;

function memoryWrites(m: LinuxMemory, d: Driver, o: WriteOptions, emit: Emit): void {
  const p = `${R}.memory`;
  const upd = o.update === true;
  const bytes = (name: keyof LinuxMemory): number => {
    const v = m[name];
    if (v === undefined || v === null) return 0;
    if (!isInt(v) || v < -1) throw specErr(`${p}.${name}`, 'must be -1 or positive', 'memory');
    if (v === 0 && !upd && name === 'limit') throw specErr(`${p}.${name}`, 'must be -1 or positive', 'memory');
    return v;
  };
  const limit = bytes('limit');
  let swap = bytes('swap');
  const reservation = bytes('reservation');
  const kernel = bytes('kernel');
  const kernelTCP = bytes('kernelTCP');
  if (limit > 0 && swap > 0 && swap < limit) throw specErr(`${p}.swap`, 'must be >= memory.limit (it is memory+swap)', 'memory');
  if (m.checkBeforeUpdate && limit > 0 && o.current?.memoryUsage !== undefined && limit < o.current.memoryUsage) {
    throw specErr(`${p}.limit`, `${limit} is below the current usage ${o.current.memoryUsage} (checkBeforeUpdate)`, 'memory');
  }
  const swappiness = m.swappiness;
  if (swappiness !== undefined && swappiness !== null && swappiness !== -1) checkInt(`${p}.swappiness`, swappiness, 'memory', 0, 100);
  const hasSwappiness = swappiness !== undefined && swappiness !== null && swappiness !== -1;

  if (d === 'v1') {
    // runc: kernel memory before the limit — a kmem limit cannot be set once tasks charge it.
    if (kernel !== 0) emit({ file: 'memory.kmem.limit_in_bytes', value: String(kernel), from: `${p}.kernel` });
    if (kernelTCP !== 0) emit({ file: 'memory.kmem.tcp.limit_in_bytes', value: String(kernelTCP), from: `${p}.kernelTCP` });
    // memsw must stay >= limit at every step, so which goes first depends on the current limit (runc setMemoryAndSwap).
    if (limit === -1 && swap === 0) swap = -1;
    const lim = { file: 'memory.limit_in_bytes', value: String(limit), from: `${p}.limit` };
    const sw = { file: 'memory.memsw.limit_in_bytes', value: String(swap), from: `${p}.swap` };
    const cur = o.current?.memoryLimit ?? Number.MAX_SAFE_INTEGER; // a fresh cgroup is unlimited
    if (limit !== 0 && swap !== 0 && (swap === -1 || cur < swap)) {
      emit(sw);
      emit(lim);
    } else {
      if (limit !== 0) emit(lim);
      if (swap !== 0) emit(sw);
    }
    if (reservation !== 0) emit({ file: 'memory.soft_limit_in_bytes', value: String(reservation), from: `${p}.reservation` });
    if (m.disableOOMKiller) emit({ file: 'memory.oom_control', value: '1', from: `${p}.disableOOMKiller` });
    if (hasSwappiness) emit({ file: 'memory.swappiness', value: String(swappiness), from: `${p}.swappiness` });
    if (m.useHierarchy !== undefined && m.useHierarchy !== null) {
      emit({ file: 'memory.use_hierarchy', value: m.useHierarchy ? '1' : '0', from: `${p}.useHierarchy` });
    }
    return;
  }
  // v2 has no equivalent for these: refuse rather than drop them.
  if (kernel !== 0) throw unsupported(`${p}.kernel`, 'v2 (no kernel memory limit)', 'memory');
  if (kernelTCP !== 0) throw unsupported(`${p}.kernelTCP`, 'v2 (no kernel TCP memory limit)', 'memory');
  if (hasSwappiness) throw unsupported(`${p}.swappiness`, 'v2 (no per-cgroup swappiness)', 'memory');
  if (m.disableOOMKiller) throw unsupported(`${p}.disableOOMKiller`, 'v2 (no oom_control)', 'memory');
  if (m.useHierarchy === false) throw unsupported(`${p}.useHierarchy`, 'v2 (always hierarchical)', 'memory');
  if (limit !== 0 || swap !== 0) {
    const v2swap = memorySwapToV2(swap, limit);
    if (v2swap !== 0 || swap > 0) {
      // "max" and "0" are what a kernel without swap accounting already has (runc tolerates ENOENT for them)
      const s = v2Num(v2swap);
      emit({ file: 'memory.swap.max', value: s, from: `${p}.swap`, optional: s === 'max' || s === '0' });
    }
  }
  if (limit !== 0) emit({ file: 'memory.max', value: v2Num(limit), from: `${p}.limit` });
  if (reservation !== 0) emit({ file: 'memory.low', value: v2Num(reservation), from: `${p}.reservation` });
}

function cpuWrites(c: LinuxCPU, d: Driver, o: WriteOptions, emit: Emit, emitFor: (ctrl: string) => Emit): void {
  const p = `${R}.cpu`;
  const shares = c.shares === undefined || c.shares === null ? 0 : checkInt(`${p}.shares`, c.shares, 'cpu', 0);
  const quota = c.quota === undefined || c.quota === null ? 0 : checkInt(`${p}.quota`, c.quota, 'cpu', -1);
  const period = c.period === undefined || c.period === null ? 0 : checkInt(`${p}.period`, c.period, 'cpu', 0);
  const burst = c.burst === undefined || c.burst === null ? undefined : checkInt(`${p}.burst`, c.burst, 'cpu', 0);
  const rtRuntime = c.realtimeRuntime === undefined || c.realtimeRuntime === null ? 0 : checkInt(`${p}.realtimeRuntime`, c.realtimeRuntime, 'cpu', -1);
  const rtPeriod = c.realtimePeriod === undefined || c.realtimePeriod === null ? 0 : checkInt(`${p}.realtimePeriod`, c.realtimePeriod, 'cpu', 0);
  const idle = c.idle === undefined || c.idle === null ? undefined : checkInt(`${p}.idle`, c.idle, 'cpu', 0, 1);

  if (d === 'v1') {
    if (shares !== 0) emit({ file: 'cpu.shares', value: String(shares), from: `${p}.shares` });
    // A new period may be refused while the old quota is in force: runc writes it, and again after the quota.
    if (period !== 0) emit({ file: 'cpu.cfs_period_us', value: String(period), from: `${p}.period`, retryOnEinval: quota !== 0 });
    if (quota !== 0) emit({ file: 'cpu.cfs_quota_us', value: String(quota), from: `${p}.quota` });
    if (burst !== undefined) emit({ file: 'cpu.cfs_burst_us', value: String(burst), from: `${p}.burst`, retryOnEinval: quota !== 0 });
    if (idle !== undefined) emit({ file: 'cpu.idle', value: String(idle), from: `${p}.idle` });
    if (rtPeriod !== 0) emit({ file: 'cpu.rt_period_us', value: String(rtPeriod), from: `${p}.realtimePeriod`, retryOnEinval: rtRuntime !== 0 });
    if (rtRuntime !== 0) emit({ file: 'cpu.rt_runtime_us', value: String(rtRuntime), from: `${p}.realtimeRuntime` });
  } else {
    if (rtRuntime !== 0 || rtPeriod !== 0) {
      throw unsupported(rtRuntime !== 0 ? `${p}.realtimeRuntime` : `${p}.realtimePeriod`, 'v2 (no realtime group scheduling)', 'cpu');
    }
    if (idle !== undefined) emit({ file: 'cpu.idle', value: String(idle), from: `${p}.idle` });
    if (shares !== 0) emit({ file: 'cpu.weight', value: String(cpuSharesToWeight(shares)), from: `${p}.shares` });
    if (quota !== 0 || period !== 0) {
      let value: string;
      const q = quota > 0 ? String(quota) : 'max';
      if (period !== 0) {
        const curQuota = o.current?.cpuMax?.trim().split(/\s+/)[0];
        value = `${quota !== 0 ? q : o.update && curQuota ? curQuota : 'max'} ${period}`;
      } else {
        // an update that changes only the quota keeps the period: cpu.max takes "$MAX" alone
        value = o.update ? q : `${q} 100000`;
      }
      emit({ file: 'cpu.max', value, from: quota !== 0 ? `${p}.quota` : `${p}.period` });
    }
    if (burst !== undefined) emit({ file: 'cpu.max.burst', value: String(burst), from: `${p}.burst` });
  }
  const cs = emitFor('cpuset');
  if (c.cpus !== undefined && c.cpus !== null && c.cpus !== '') {
    if (!/^[0-9,\- ]+$/.test(c.cpus)) throw specErr(`${p}.cpus`, `not a cpu list: ${JSON.stringify(c.cpus)}`, 'cpu');
    cs({ controller: 'cpuset', file: 'cpuset.cpus', value: c.cpus, from: `${p}.cpus` });
  }
  if (c.mems !== undefined && c.mems !== null && c.mems !== '') {
    if (!/^[0-9,\- ]+$/.test(c.mems)) throw specErr(`${p}.mems`, `not a node list: ${JSON.stringify(c.mems)}`, 'cpu');
    cs({ controller: 'cpuset', file: 'cpuset.mems', value: c.mems, from: `${p}.mems` });
  }
}

function devNum(path: string, dev: { major: unknown; minor: unknown }): string {
  const maj = checkInt(`${path}.major`, dev.major, 'block-io', 0);
  const min = checkInt(`${path}.minor`, dev.minor, 'block-io', 0);
  return `${maj}:${min}`;
}

function blockIOWrites(b: LinuxBlockIO, d: Driver, o: WriteOptions, emit: Emit): void {
  const p = `${R}.blockIO`;
  const weight = b.weight === undefined || b.weight === null ? 0 : checkInt(`${p}.weight`, b.weight, 'block-io', 0, 1000);
  if (weight !== 0 && weight < 10) throw specErr(`${p}.weight`, 'must be in 10..1000', 'block-io');
  const leaf = b.leafWeight === undefined || b.leafWeight === null ? 0 : checkInt(`${p}.leafWeight`, b.leafWeight, 'block-io', 0, 1000);
  const throttles = [
    ['throttleReadBpsDevice', 'read_bps_device', 'rbps'],
    ['throttleWriteBpsDevice', 'write_bps_device', 'wbps'],
    ['throttleReadIOPSDevice', 'read_iops_device', 'riops'],
    ['throttleWriteIOPSDevice', 'write_iops_device', 'wiops'],
  ] as const;
  if (d === 'v1') {
    const wFile = o.v1BlkioBfq ? 'blkio.bfq.weight' : 'blkio.weight';
    const wdFile = o.v1BlkioBfq ? 'blkio.bfq.weight_device' : 'blkio.weight_device';
    if (weight !== 0) emit({ file: wFile, value: String(weight), from: `${p}.weight` });
    if (leaf !== 0) emit({ file: 'blkio.leaf_weight', value: String(leaf), from: `${p}.leafWeight` });
    (b.weightDevice ?? []).forEach((wd, i) => {
      const at = `${p}.weightDevice[${i}]`;
      const dev = devNum(at, wd);
      if (wd.weight) emit({ file: wdFile, value: `${dev} ${checkInt(`${at}.weight`, wd.weight, 'block-io', 10, 1000)}`, from: `${at}.weight` });
      if (wd.leafWeight) emit({ file: 'blkio.leaf_weight_device', value: `${dev} ${checkInt(`${at}.leafWeight`, wd.leafWeight, 'block-io', 10, 1000)}`, from: `${at}.leafWeight` });
    });
    for (const [key, file] of throttles) {
      (b[key] ?? []).forEach((td, i) => {
        const at = `${p}.${key}[${i}]`;
        emit({ file: `blkio.throttle.${file}`, value: `${devNum(at, td)} ${checkInt(`${at}.rate`, td.rate, 'block-io', 0)}`, from: at });
      });
    }
    return;
  }
  if (leaf !== 0) throw unsupported(`${p}.leafWeight`, 'v2 (no leaf weights)', 'block-io');
  if (weight !== 0) {
    if (o.v2IoBfq) emit({ file: 'io.bfq.weight', value: String(weight), from: `${p}.weight` });
    else emit({ file: 'io.weight', value: String(blkioWeightToIoWeight(weight)), from: `${p}.weight` });
  }
  (b.weightDevice ?? []).forEach((wd, i) => {
    const at = `${p}.weightDevice[${i}]`;
    const dev = devNum(at, wd);
    if (wd.leafWeight) throw unsupported(`${at}.leafWeight`, 'v2 (no leaf weights)', 'block-io');
    if (wd.weight) {
      const w = checkInt(`${at}.weight`, wd.weight, 'block-io', 10, 1000);
      if (o.v2IoBfq) emit({ file: 'io.bfq.weight', value: `${dev} ${w}`, from: `${at}.weight` });
      else emit({ file: 'io.weight', value: `${dev} ${blkioWeightToIoWeight(w)}`, from: `${at}.weight` });
    }
  });
  // one io.max line per device carrying all its limits, in the order the devices first appear
  const lines = new Map<string, { parts: string[]; from: string }>();
  for (const [key, , v2key] of throttles) {
    (b[key] ?? []).forEach((td, i) => {
      const at = `${p}.${key}[${i}]`;
      const dev = devNum(at, td);
      const rate = checkInt(`${at}.rate`, td.rate, 'block-io', 0);
      const line = lines.get(dev) ?? { parts: [], from: at };
      line.parts.push(`${v2key}=${rate === 0 ? 'max' : rate}`);
      lines.set(dev, line);
    });
  }
  for (const [dev, line] of lines) emit({ file: 'io.max', value: `${dev} ${line.parts.join(' ')}`, from: line.from });
}

function hugetlbWrites(list: { pageSize: string; limit: number }[], d: Driver, o: WriteOptions, emit: Emit): void {
  const sizes = o.hugePageSizes ?? [];
  list.forEach((h, i) => {
    const at = `${R}.hugepageLimits[${i}]`;
    if (typeof h.pageSize !== 'string' || !sizes.includes(h.pageSize)) {
      throw specErr(`${at}.pageSize`, `unsupported huge page size ${JSON.stringify(h.pageSize)} (this host has: ${sizes.join(', ') || 'none'})`, 'huge-page-limits');
    }
    const limit = checkInt(`${at}.limit`, h.limit, 'huge-page-limits', 0);
    const suffix = d === 'v1' ? 'limit_in_bytes' : 'max';
    emit({ file: `hugetlb.${h.pageSize}.${suffix}`, value: String(limit), from: `${at}.limit` });
    // the reservation counter too, so a mmap cannot reserve past the limit (runc does the same)
    emit({ file: `hugetlb.${h.pageSize}.rsvd.${suffix}`, value: String(limit), from: `${at}.limit`, optional: true });
  });
}

const UNIFIED_KEY = /^[a-z0-9_]+\.[a-z0-9_.]+$/;

/**
 * The ordered writes for `resources` under `driver`. Devices are not here: they are
 * rules, not files (see devices.ts). Throws SpecError naming the JSON path.
 */
export function resourcesToWrites(resources: LinuxResources | undefined, driver: Driver, opts: WriteOptions = {}): CgroupWrite[] {
  const out: CgroupWrite[] = [];
  if (!resources) return out;
  const driverFor = (ctrl: string): Driver => (driver === 'v1' && opts.hybridV2?.includes(ctrl) ? 'v2' : driver);
  const emitFor = (ctrl: string): Emit => (w) => {
    out.push({ controller: w.controller ?? ctrl, driver: driverFor(w.controller ?? ctrl), ...stripCtrl(w) });
  };
  const r = resources;

  // Order: runc's v1 subsystem order (cpuset, memory, cpu, pids, blkio, hugetlb, net_cls, net_prio, rdma);
  // v2 orders pids, memory, io, cpu, cpuset, hugetlb, rdma, unified. Only the memory/swap order matters to the kernel.
  const v1Order = driver === 'v1';
  if (!v1Order && r.pids) pidsWrites(r.pids, emitFor('pids'));
  if (r.memory) memoryWrites(r.memory, driverFor('memory'), opts, emitFor('memory'));
  if (!v1Order && r.blockIO) blockIOWrites(r.blockIO, driverFor('io'), opts, emitFor('io'));
  if (r.cpu) cpuWrites(r.cpu, driverFor('cpu'), opts, emitFor('cpu'), emitFor);
  if (v1Order && r.pids) pidsWrites(r.pids, emitFor('pids'));
  if (v1Order && r.blockIO) blockIOWrites(r.blockIO, driverFor('blkio'), opts, emitFor('blkio'));
  if (r.hugepageLimits && r.hugepageLimits.length > 0) hugetlbWrites(r.hugepageLimits, driverFor('hugetlb'), opts, emitFor('hugetlb'));
  if (r.network && (r.network.classID !== undefined || (r.network.priorities ?? []).length > 0)) {
    if (driver === 'v2') throw unsupported(`${R}.network`, 'v2 (net_cls and net_prio are v1 controllers)', 'network');
    const n = r.network;
    if (n.classID !== undefined && n.classID !== null) {
      const id = checkInt(`${R}.network.classID`, n.classID, 'network', 0, 0xffffffff);
      emitFor('net_cls')({ file: 'net_cls.classid', value: String(id), from: `${R}.network.classID` });
    }
    (n.priorities ?? []).forEach((pr, i) => {
      const at = `${R}.network.priorities[${i}]`;
      if (typeof pr.name !== 'string' || !/^[^\s/]{1,15}$/.test(pr.name)) throw specErr(`${at}.name`, `not an interface name: ${JSON.stringify(pr.name)}`, 'network');
      const prio = checkInt(`${at}.priority`, pr.priority, 'network', 0, 0xffffffff);
      emitFor('net_prio')({ file: 'net_prio.ifpriomap', value: `${pr.name} ${prio}`, from: at });
    });
  }
  if (r.rdma) {
    for (const [dev, lim] of Object.entries(r.rdma)) {
      const at = `${R}.rdma.${dev}`;
      if (!/^[A-Za-z0-9_.:-]+$/.test(dev)) throw specErr(at, `not an rdma device name: ${JSON.stringify(dev)}`, 'rdma');
      let v = dev;
      if (lim.hcaHandles !== undefined && lim.hcaHandles !== null) v += ` hca_handle=${checkInt(`${at}.hcaHandles`, lim.hcaHandles, 'rdma', 0, 0xffffffff)}`;
      if (lim.hcaObjects !== undefined && lim.hcaObjects !== null) v += ` hca_object=${checkInt(`${at}.hcaObjects`, lim.hcaObjects, 'rdma', 0, 0xffffffff)}`;
      if (v !== dev) emitFor('rdma')({ file: 'rdma.max', value: v, from: at });
    }
  }
  if (r.unified && Object.keys(r.unified).length > 0) {
    if (driver === 'v1') throw unsupported(`${R}.unified`, 'v1', 'unified');
    const known = new Set(opts.v2Controllers ?? []);
    for (const [key, value] of Object.entries(r.unified)) {
      const at = `${R}.unified[${JSON.stringify(key)}]`;
      // SECURITY(runc issue 4103): a key is a file name in this cgroup, never a path.
      if (key.includes('/') || key.includes('..') || !UNIFIED_KEY.test(key)) throw specErr(at, 'not a cgroup file name', 'unified');
      const ctrl = key.slice(0, key.indexOf('.'));
      if (ctrl !== 'cgroup' && !known.has(ctrl)) {
        throw specErr(at, `unknown controller ${JSON.stringify(ctrl)} (this host's cgroup v2 has: ${[...known].join(', ') || 'none'})`, 'unified');
      }
      if (typeof value !== 'string') throw specErr(at, 'must be a string', 'unified');
      out.push({ controller: ctrl === 'cgroup' ? '' : ctrl, driver: 'v2', file: key, value, from: at });
    }
  }
  return out;
}

function pidsWrites(pids: { limit?: number }, emit: Emit): void {
  if (pids.limit === undefined || pids.limit === null) return;
  const limit = checkInt(`${R}.pids.limit`, pids.limit, 'pids', -1);
  // -1 and 0 both mean "no limit" here, as the issue asks (runc ≥1.4 maps 0 to 1 for systemd's sake)
  emit({ file: 'pids.max', value: limit > 0 ? String(limit) : 'max', from: `${R}.pids.limit` });
}

function stripCtrl<T extends { controller?: string }>(w: T): Omit<T, 'controller'> {
  const { controller: _c, ...rest } = w;
  return rest;
}
