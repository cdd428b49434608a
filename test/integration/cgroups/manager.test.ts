/**
 * The cgroup manager for real, as root, on this hybrid host (v1 controllers + cgroup2 at
 * /sys/fs/cgroup/unified with hugetlb). Processes are plain `sh -c` children that wait on
 * stdin until they have been put in the cgroup.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCgroupManager, type CgroupManager } from '../../../src/cgroups/manager.js';
import { detectLayout, type Layout } from '../../../src/cgroups/layout.js';
import { CGROUP2_SUPER_MAGIC, CGROUP_SUPER_MAGIC, childDirs, exists, mkdirIn, readFile, rmdirIn, writeFile, type CgroupDir } from '../../../src/cgroups/cgroupfs.js';

const TOP = `joey-test-${process.pid}`;
const children: ChildProcess[] = [];
let layout: Layout;
let tmp: string;

interface Gated {
  child: ChildProcess;
  go(): void;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}
function gated(script: string): Gated {
  const child = spawn('sh', ['-c', `read _go; ${script}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((res) =>
    child.on('close', (code, signal) => res({ code, signal, stdout, stderr })),
  );
  return { child, go: () => child.stdin!.end('go\n'), done };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const v1 = (ctrl: string, rel: string): CgroupDir => ({ mount: layout.v1[ctrl]!, magic: CGROUP_SUPER_MAGIC, rel });
const v2 = (rel: string): CgroupDir => ({ mount: layout.v2Root!, magic: CGROUP2_SUPER_MAGIC, rel });

function removeTree(d: CgroupDir): void {
  if (!exists(d)) return;
  for (const c of childDirs(d)) removeTree({ ...d, rel: `${d.rel}/${c}` });
  const cut = d.rel.lastIndexOf('/');
  rmdirIn({ ...d, rel: cut < 0 ? '' : d.rel.slice(0, cut) }, d.rel.slice(cut + 1));
}

beforeAll(() => {
  expect(process.getuid!()).toBe(0);
  layout = detectLayout();
  expect(layout.mode).toBe('hybrid');
  tmp = mkdtempSync(join(tmpdir(), 'joey-cg-'));
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await sleep(100);
  const mounts = new Set(Object.values(layout.v1));
  for (const m of mounts) removeTree({ mount: m, magic: CGROUP_SUPER_MAGIC, rel: TOP });
  removeTree(v2(TOP));
  rmSync(tmp, { recursive: true, force: true });
});

function manager(name: string, over?: Partial<Layout>): CgroupManager {
  const m = openCgroupManager({ id: name, cgroupsPath: `/${TOP}/${name}`, layout: { ...layout, ...over } });
  m.create();
  return m;
}

describe('cgroup v1 driver on a hybrid host', () => {
  it('memory limit reads back, and a process past it is OOM-killed', async () => {
    const m = manager('mem');
    expect(m.driver).toBe('v1');
    expect(m.paths.memory).toBe(`/sys/fs/cgroup/memory/${TOP}/mem`);
    expect(m.paths['']).toBe(`/sys/fs/cgroup/unified/${TOP}/mem`);
    const sleeper = gated('sleep 30');
    m.join(sleeper.child.pid!);
    expect(m.pids()).toContain(sleeper.child.pid);
    m.apply({ memory: { limit: 32 * 1024 * 1024, swap: 32 * 1024 * 1024 } });
    expect(readFile(v1('memory', `${TOP}/mem`), 'memory.limit_in_bytes').trim()).toBe('33554432');
    expect(readFile(v1('memory', `${TOP}/mem`), 'memory.memsw.limit_in_bytes').trim()).toBe('33554432');
    sleeper.child.kill('SIGKILL');
    await sleeper.done;

    const hog = gated(`x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived`);
    m.join(hog.child.pid!);
    hog.go();
    const r = await hog.done;
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).not.toContain('survived');
    const oom = Object.fromEntries(readFile(v1('memory', `${TOP}/mem`), 'memory.oom_control').trim().split('\n').map((l) => l.split(' ')));
    expect(Number(oom.oom_kill)).toBeGreaterThan(0);
    const st = m.stats();
    expect(st.memory.usage.limit).toBe(33554432);
    expect(st.memory.usage.max).toBe(33554432); // the peak hit the limit
    m.destroy();
    expect(exists(v1('memory', `${TOP}/mem`))).toBe(false);
  });

  it('new v1 cpusets, nested, take their parent\'s cpus and mems, and a process can join the deepest', async () => {
    const root = v1('cpuset', '');
    const m = openCgroupManager({ id: 'cs', cgroupsPath: `/${TOP}/cs-a/cs-b/cs`, layout });
    m.create();
    for (const rel of [`${TOP}/cs-a`, `${TOP}/cs-a/cs-b`, `${TOP}/cs-a/cs-b/cs`]) {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) expect(readFile(v1('cpuset', rel), f).trim(), `${rel}/${f}`).toBe(readFile(root, f).trim());
    }
    const sleeper = gated('sleep 30');
    m.join(sleeper.child.pid!); // an empty cpuset would refuse it (ENOSPC)
    expect(m.pids()).toContain(sleeper.child.pid);
    sleeper.child.kill('SIGKILL');
    await sleeper.done;
    m.destroy();
  });

  it('a v1 cgroup under parents that exist is made alone (one mkdir), takes the cpus and mems, and delete leaves the parents', () => {
    const root = v1('cpuset', '');
    const first = openCgroupManager({ id: 'lf1', cgroupsPath: `/${TOP}/lf-a/lf1`, layout });
    first.create(); // the walk: lf-a is new
    const m = openCgroupManager({ id: 'lf2', cgroupsPath: `/${TOP}/lf-a/lf2`, layout });
    m.create(); // lf-a exists: the leaf alone
    for (const f of ['cpuset.cpus', 'cpuset.mems']) expect(readFile(v1('cpuset', `${TOP}/lf-a/lf2`), f).trim(), f).toBe(readFile(root, f).trim());
    expect((m.toJSON() as { created: string[] }).created.every((d) => d.endsWith('/lf-a/lf2'))).toBe(true);
    m.destroy();
    expect(exists(v1('cpuset', `${TOP}/lf-a/lf2`))).toBe(false);
    expect(exists(v1('cpuset', `${TOP}/lf-a/lf1`))).toBe(true);
    first.destroy();
    expect(exists(v1('cpuset', `${TOP}/lf-a`))).toBe(false);
  });

  it('a v1 cpuset parent that has no cpus is filled from above before its new child takes them', () => {
    const root = v1('cpuset', '');
    const parent = openCgroupManager({ id: 'ep', cgroupsPath: `/${TOP}/ep`, layout });
    parent.create();
    writeFile(v1('cpuset', `${TOP}/ep`), 'cpuset.cpus', '\n'); // emptied (it has no tasks and no children)
    expect(readFile(v1('cpuset', `${TOP}/ep`), 'cpuset.cpus').trim()).toBe('');
    const m = openCgroupManager({ id: 'ec', cgroupsPath: `/${TOP}/ep/ec`, layout });
    m.create();
    for (const rel of [`${TOP}/ep`, `${TOP}/ep/ec`]) expect(readFile(v1('cpuset', rel), 'cpuset.cpus').trim(), rel).toBe(readFile(root, 'cpuset.cpus').trim());
    m.destroy();
    parent.destroy();
  });

  it('pids limit 5 makes forks fail', async () => {
    const m = manager('pids');
    m.apply({ pids: { limit: 5 } });
    expect(readFile(v1('pids', `${TOP}/pids`), 'pids.max').trim()).toBe('5');
    const p = gated('for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; wait');
    m.join(p.child.pid!);
    p.go();
    await sleep(500);
    // dash gives up on "Cannot fork" and exits; the sleeps it did start stay, at most 5 tasks in all
    const running = m.pids();
    expect(running.length).toBeGreaterThan(0);
    expect(running.length).toBeLessThanOrEqual(5);
    expect(m.stats().pids).toEqual({ current: running.length, limit: 5 });
    const r = await p.done;
    expect(r.stderr).toMatch(/fork|resource temporarily unavailable/i);
    m.kill(9); // cgroup.kill in the unified hierarchy
    for (let i = 0; i < 50 && m.pids().length > 0; i++) await sleep(20);
    expect(m.pids()).toEqual([]);
    m.destroy();
  });

  it('cpu quota 10000/100000 throttles a busy loop', async () => {
    const m = manager('cpu');
    m.apply({ cpu: { quota: 10000, period: 100000, shares: 512 } });
    const d = v1('cpu', `${TOP}/cpu`);
    expect(readFile(d, 'cpu.cfs_quota_us').trim()).toBe('10000');
    expect(readFile(d, 'cpu.shares').trim()).toBe('512');
    const p = gated('while :; do :; done');
    m.join(p.child.pid!);
    p.go();
    await sleep(1200);
    const st = m.stats();
    m.kill(9);
    await p.done;
    expect(st.cpu.throttling.throttledPeriods).toBeGreaterThan(0);
    expect(st.cpu.throttling.periods).toBeGreaterThanOrEqual(st.cpu.throttling.throttledPeriods);
    // 1.2 s at 10 % of one cpu is about 120 ms; allow slack, but far below the 1.2 s it would use unthrottled
    expect(st.cpu.usage.total).toBeLessThan(400e6);
    m.destroy();
  });

  it('v1 device rules: deny all, allow c 1:5 — /dev/null cannot be opened, /dev/zero can', async () => {
    const m = manager('dev');
    m.apply({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }] });
    expect(readFile(v1('devices', `${TOP}/dev`), 'devices.list').trim()).toBe('c 1:5 rwm');
    const p = gated('exec 4</dev/zero && echo zero-ok; exec 3</dev/null && echo null-ok');
    m.join(p.child.pid!);
    p.go();
    const r = await p.done;
    expect(r.stdout).toContain('zero-ok');
    expect(r.stdout).not.toContain('null-ok');
    expect(r.stderr).toMatch(/not permitted|permission denied/i);
    expect(r.code).not.toBe(0);
    m.destroy();
  });

  it('freeze stops a counting process; thaw resumes it; the unified hierarchy holds it too', async () => {
    const m = manager('frz');
    const file = join(tmp, 'count');
    const p = gated(`i=0; while :; do i=$((i+1)); echo $i >> ${file}; done`);
    m.join(p.child.pid!);
    expect(readFile(v2(`${TOP}/frz`), 'cgroup.procs').trim().split('\n')).toContain(String(p.child.pid));
    p.go();
    await sleep(200);
    m.freeze();
    expect(m.frozen()).toBe(true);
    expect(readFile(v1('freezer', `${TOP}/frz`), 'freezer.state').trim()).toBe('FROZEN');
    expect(readFile(v2(`${TOP}/frz`), 'cgroup.freeze').trim()).toBe('1');
    const a = statSync(file).size;
    await sleep(300);
    expect(statSync(file).size).toBe(a);
    m.thaw();
    expect(m.frozen()).toBe(false);
    await sleep(200);
    expect(statSync(file).size).not.toBe(a);
    m.kill(9);
    await p.done;
    m.destroy();
  });

  it('without a v1 freezer, the unified hierarchy alone freezes', async () => {
    const { freezer: _f, ...noFreezer } = layout.v1;
    const m = manager('frz2', { v1: noFreezer });
    const file = join(tmp, 'count2');
    const p = gated(`i=0; while :; do i=$((i+1)); echo $i >> ${file}; done`);
    m.join(p.child.pid!);
    p.go();
    await sleep(200);
    m.freeze();
    expect(m.frozen()).toBe(true);
    expect(readFile(v2(`${TOP}/frz2`), 'cgroup.events')).toContain('frozen 1');
    const a = statSync(file).size;
    await sleep(300);
    expect(statSync(file).size).toBe(a);
    m.thaw();
    await sleep(200);
    expect(statSync(file).size).not.toBe(a);
    m.kill(15); // no cgroup.kill path for SIGTERM: each pid is signalled
    expect((await p.done).signal).toBe('SIGTERM');
    m.destroy();
  });

  it('eBPF device filter on the unified hierarchy (the v2 mechanism) denies /dev/null', async () => {
    const { devices: _d, ...noDevices } = layout.v1;
    const m = manager('bpf', { v1: noDevices });
    m.apply({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }] });
    const p = gated('exec 4</dev/zero && echo zero-ok; exec 3</dev/null && echo null-ok');
    m.join(p.child.pid!);
    p.go();
    const r = await p.done;
    expect(r.stdout).toContain('zero-ok');
    expect(r.stdout).not.toContain('null-ok');
    expect(r.stderr).toMatch(/not permitted|permission denied/i);
    m.destroy();
  });

  it('hugetlb, only in the unified hierarchy here, is written there', () => {
    const m = manager('huge');
    m.apply({ hugepageLimits: [{ pageSize: '2MB', limit: 4 * 2097152 }] });
    expect(readFile(v2(`${TOP}/huge`), 'hugetlb.2MB.max').trim()).toBe(String(4 * 2097152));
    expect(m.stats().hugetlb['2MB']).toBeDefined();
    m.destroy();
  });

  it('a controller missing in both hierarchies is an error naming it and the layout (warning when rootless)', () => {
    const m = manager('miss');
    expect(() => m.apply({ network: { classID: 1 } })).toThrow(/^linux\.resources\.network: the net_cls controller is not available on this host \(hybrid: v1 .*; v2 hugetlb\)$/);
    expect(() => m.apply({ rdma: { mlx5_0: { hcaHandles: 1 } } })).toThrow('linux.resources.rdma: the rdma controller is not available on this host (hybrid: v1');
    const r = openCgroupManager({ id: 'miss', cgroupsPath: `/${TOP}/miss`, layout, rootless: true });
    r.apply({ network: { classID: 1 } });
    expect(r.warnings[0]).toContain('the net_cls controller is not available');
    m.destroy();
  });

  it('blkio: BFQ weight names; write errors name the JSON path', () => {
    const m = manager('blk');
    // no CFQ here: a child cgroup has BFQ's blkio.bfq.weight (runc's fallback), and no blkio.weight
    m.apply({ blockIO: { weight: 500 } });
    expect(readFile(v1('blkio', `${TOP}/blk`), 'blkio.bfq.weight').trim()).toBe('500');
    expect(() => m.apply({ blockIO: { leafWeight: 500 } })).toThrow(/^linux\.resources\.blockIO\.leafWeight: open `\/sys\/fs\/cgroup\/blkio\/.*\/blk\/blkio\.leaf_weight`: no such file or directory \(ENOENT\)$/);
    // a throttle on a real block device (the first one /sys/block lists); a char device is ENODEV
    const dev = readFileSync(`/sys/block/${readdirSync('/sys/block')[0]}/dev`, 'utf8').trim();
    const [major, minor] = dev.split(':').map(Number) as [number, number];
    m.apply({ blockIO: { throttleReadBpsDevice: [{ major, minor, rate: 1048576 }] } });
    expect(readFile(v1('blkio', `${TOP}/blk`), 'blkio.throttle.read_bps_device').trim()).toBe(`${dev} 1048576`);
    expect(() => m.apply({ blockIO: { throttleReadBpsDevice: [{ major: 1, minor: 3, rate: 1 }] } })).toThrow('linux.resources.blockIO.throttleReadBpsDevice[0]: write');
    m.destroy();
  });

  it('destroy removes exactly the created dirs, never a pre-existing parent; state round-trips', () => {
    // a parent that exists before the manager, in the memory hierarchy only
    mkdirIn(v1('memory', ''), TOP); // may already exist from earlier tests: that is fine too
    mkdirIn(v1('memory', TOP), 'keep');
    const m = openCgroupManager({ id: 'dst', cgroupsPath: `/${TOP}/keep/dst`, layout });
    m.create();
    const state = m.toJSON();
    expect(state.created).not.toContain(`/sys/fs/cgroup/memory/${TOP}/keep`);
    expect(state.created).toContain(`/sys/fs/cgroup/memory/${TOP}/keep/dst`);
    expect(state.created).toContain(`/sys/fs/cgroup/pids/${TOP}/keep`);
    // a later `delete` reopens from state.json
    const again = openCgroupManager({ id: 'dst', cgroupsPath: `/${TOP}/keep/dst`, layout, created: JSON.parse(JSON.stringify(state)).created });
    again.destroy();
    expect(exists(v1('memory', `${TOP}/keep`))).toBe(true);
    expect(exists(v1('memory', `${TOP}/keep/dst`))).toBe(false);
    expect(exists(v1('pids', `${TOP}/keep`))).toBe(false);
    expect(again.toJSON().created).toEqual([]);
    // state.json cannot make destroy remove something off the container's path
    expect(() => openCgroupManager({ id: 'dst', cgroupsPath: `/${TOP}/keep/dst`, layout, created: ['/sys/fs/cgroup/memory/other'] })).toThrow('not on this container');
    expect(() => openCgroupManager({ id: 'dst', cgroupsPath: `/${TOP}/keep/dst`, layout, created: [`/sys/fs/cgroup/memory/${TOP}/keep/../..`] })).toThrow();
  });

  it('state.json keeps the layout; a later call reopens with it instead of parsing mountinfo', async () => {
    const { openManager } = await import('../../../src/lifecycle/cgroup.js');
    const m = openCgroupManager({ id: 'lay', cgroupsPath: `/${TOP}/lay`, layout });
    const saved = JSON.parse(JSON.stringify(m.toJSON()));
    expect(saved.layout).toEqual(layout);
    // a marker no real host has: only the saved copy can carry it
    const marked = { ...saved, layout: { ...saved.layout, v2Controllers: [...saved.layout.v2Controllers, 'from-state'] } };
    expect((await openManager('lay', undefined, marked)).layout.v2Controllers).toContain('from-state');
    // an older state.json, or a malformed layout: detected afresh
    const { layout: _dropped, ...old } = marked;
    expect((await openManager('lay', undefined, old)).layout).toEqual(detectLayout());
    expect((await openManager('lay', undefined, { ...marked, layout: { mode: 'v3' } })).layout).toEqual(detectLayout());
  });

  it('refuses cgroupsPath traversal before touching the filesystem', () => {
    expect(() => openCgroupManager({ id: 'x', cgroupsPath: '../../etc', layout })).toThrow('linux.cgroupsPath: must not contain ".."');
  });
});

// The v2 driver, run against this host's cgroup2 mount as if it were a pure v2 host. Only
// hugetlb is enabled there, so memory/pids/cpu/io limits of the v2 driver are covered by the
// unit tests and the --vm guest, not here.
describe('cgroup v2 driver on the unified mount', () => {
  const v2Layout = (): Layout => ({ mode: 'v2', v2Root: layout.v2Root, v1: {}, v2Controllers: layout.v2Controllers });

  it('creates with subtree_control, joins, limits hugetlb, filters devices, freezes, kills, destroys', async () => {
    const m = openCgroupManager({ id: 'v2', cgroupsPath: `/${TOP}/v2drv/c`, layout: v2Layout() });
    expect(m.driver).toBe('v2');
    m.create();
    expect(m.paths).toEqual({ '': `/sys/fs/cgroup/unified/${TOP}/v2drv/c` });
    expect(readFile(v2(`${TOP}/v2drv`), 'cgroup.subtree_control').trim()).toBe('hugetlb');
    m.apply({
      hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }],
      devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }],
    });
    expect(readFile(v2(`${TOP}/v2drv/c`), 'hugetlb.2MB.max').trim()).toBe('2097152');
    expect(() => m.apply({ pids: { limit: 5 } })).toThrow('linux.resources.pids: the pids controller is not available on this host (v2: v2 hugetlb)');
    const file = join(tmp, 'count3');
    const p = gated(`(exec 3</dev/null) 2>/dev/null || echo null-denied; i=0; while :; do i=$((i+1)); echo $i >> ${file}; done`);
    m.join(p.child.pid!);
    p.go();
    await sleep(200);
    m.freeze();
    expect(m.frozen()).toBe(true);
    const a = statSync(file).size;
    await sleep(300);
    expect(statSync(file).size).toBe(a);
    m.thaw();
    expect(m.frozen()).toBe(false);
    await sleep(200);
    expect(statSync(file).size).toBeGreaterThan(a);
    expect(m.pids()).toEqual([p.child.pid]);
    expect(m.stats().cpu.usage.total).toBeGreaterThan(0);
    m.kill(9);
    const r = await p.done;
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toContain('null-denied');
    m.destroy();
    expect(exists(v2(`${TOP}/v2drv`))).toBe(false);
  });
});
