import { describe, expect, it } from 'vitest';
import { SpecError } from '../../../src/errors.js';
import { blkioWeightToIoWeight, cpuSharesToWeight, hugePageSizeName, memorySwapToV2, resourcesToWrites, type CgroupWrite } from '../../../src/cgroups/resources.js';

const fv = (ws: CgroupWrite[]): string[] => ws.map((w) => `${w.driver}:${w.controller}:${w.file}=${w.value}`);

describe('conversions (runc utils.go)', () => {
  it('cpu shares → weight', () => {
    expect(cpuSharesToWeight(1024)).toBe(39);
    expect(cpuSharesToWeight(2)).toBe(1);
    expect(cpuSharesToWeight(1)).toBe(1);
    expect(cpuSharesToWeight(262144)).toBe(10000);
    expect(cpuSharesToWeight(500000)).toBe(10000);
    expect(cpuSharesToWeight(0)).toBe(0);
    expect(cpuSharesToWeight(512)).toBe(1 + Math.floor((510 * 9999) / 262142));
  });
  it('blkio weight → io weight', () => {
    expect(blkioWeightToIoWeight(10)).toBe(1);
    expect(blkioWeightToIoWeight(1000)).toBe(10000);
    expect(blkioWeightToIoWeight(500)).toBe(1 + Math.floor((490 * 9999) / 990));
  });
  it('memory swap → memory.swap.max', () => {
    expect(memorySwapToV2(0, -1)).toBe(-1);
    expect(memorySwapToV2(-1, 1000)).toBe(-1);
    expect(memorySwapToV2(0, 1000)).toBe(0);
    expect(memorySwapToV2(3000, -1)).toBe(3000);
    expect(memorySwapToV2(3000, 1000)).toBe(2000);
    expect(memorySwapToV2(1000, 1000)).toBe(0);
    expect(() => memorySwapToV2(500, 1000)).toThrow(SpecError);
    expect(() => memorySwapToV2(500, 0)).toThrow('a swap limit needs a memory limit');
  });
  it('huge page size names', () => {
    expect(hugePageSizeName(2048)).toBe('2MB');
    expect(hugePageSizeName(1048576)).toBe('1GB');
    expect(hugePageSizeName(64)).toBe('64KB');
  });
});

describe('device rules alone', () => {
  // Manager.apply skips resourcesToWrites for such a section: it must map to no write
  it('map to no file write under either driver, unset sections included', () => {
    const devices = [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }];
    for (const driver of ['v1', 'v2'] as const) {
      expect(resourcesToWrites({ devices }, driver)).toEqual([]);
      expect(resourcesToWrites({ devices, memory: undefined, cpu: undefined }, driver, { hybridV2: ['hugetlb'] })).toEqual([]);
    }
  });
});

describe('memory', () => {
  it('v1: limit then memsw on a fresh cgroup; reservation, oom, swappiness, kmem', () => {
    const w = resourcesToWrites({ memory: { limit: 100, swap: 200, reservation: 50, kernel: 300, kernelTCP: 400, disableOOMKiller: true, swappiness: 10, useHierarchy: true } }, 'v1');
    expect(fv(w)).toEqual([
      'v1:memory:memory.kmem.limit_in_bytes=300',
      'v1:memory:memory.kmem.tcp.limit_in_bytes=400',
      'v1:memory:memory.limit_in_bytes=100',
      'v1:memory:memory.memsw.limit_in_bytes=200',
      'v1:memory:memory.soft_limit_in_bytes=50',
      'v1:memory:memory.oom_control=1',
      'v1:memory:memory.swappiness=10',
      'v1:memory:memory.use_hierarchy=1',
    ]);
    expect(w[2]!.from).toBe('linux.resources.memory.limit');
  });
  it('v1: swap first when it grows past the current limit, or is -1', () => {
    expect(fv(resourcesToWrites({ memory: { limit: 100, swap: 200 } }, 'v1', { current: { memoryLimit: 50 } }))).toEqual([
      'v1:memory:memory.memsw.limit_in_bytes=200',
      'v1:memory:memory.limit_in_bytes=100',
    ]);
    expect(fv(resourcesToWrites({ memory: { limit: 100, swap: -1 } }, 'v1'))).toEqual([
      'v1:memory:memory.memsw.limit_in_bytes=-1',
      'v1:memory:memory.limit_in_bytes=100',
    ]);
    // limit -1 without swap means both unlimited (runc)
    expect(fv(resourcesToWrites({ memory: { limit: -1 } }, 'v1'))).toEqual([
      'v1:memory:memory.memsw.limit_in_bytes=-1',
      'v1:memory:memory.limit_in_bytes=-1',
    ]);
  });
  it('v2: swap.max = swap - limit, before memory.max; low', () => {
    expect(fv(resourcesToWrites({ memory: { limit: 1000, swap: 3000, reservation: 500 } }, 'v2'))).toEqual([
      'v2:memory:memory.swap.max=2000',
      'v2:memory:memory.max=1000',
      'v2:memory:memory.low=500',
    ]);
    expect(fv(resourcesToWrites({ memory: { limit: -1 } }, 'v2'))).toEqual(['v2:memory:memory.swap.max=max', 'v2:memory:memory.max=max']);
    expect(fv(resourcesToWrites({ memory: { limit: 1000, swap: 1000 } }, 'v2'))).toEqual(['v2:memory:memory.swap.max=0', 'v2:memory:memory.max=1000']);
    expect(fv(resourcesToWrites({ memory: { limit: 1000 } }, 'v2'))).toEqual(['v2:memory:memory.max=1000']);
  });
  it('errors', () => {
    expect(() => resourcesToWrites({ memory: { limit: 0 } }, 'v1')).toThrow('linux.resources.memory.limit: must be -1 or positive (config-linux.md#memory)');
    expect(() => resourcesToWrites({ memory: { limit: -2 } }, 'v2')).toThrow('linux.resources.memory.limit: must be -1 or positive (config-linux.md#memory)');
    expect(() => resourcesToWrites({ memory: { limit: 100, swap: 50 } }, 'v1')).toThrow('linux.resources.memory.swap');
    expect(() => resourcesToWrites({ memory: { swappiness: 101 } }, 'v1')).toThrow('linux.resources.memory.swappiness');
    expect(() => resourcesToWrites({ memory: { kernel: 100 } }, 'v2')).toThrow('linux.resources.memory.kernel: not supported on cgroup v2');
    expect(() => resourcesToWrites({ memory: { disableOOMKiller: true } }, 'v2')).toThrow('not supported on cgroup v2');
    expect(() => resourcesToWrites({ memory: { limit: 100, checkBeforeUpdate: true } }, 'v2', { current: { memoryUsage: 200 } })).toThrow('checkBeforeUpdate');
  });
  it('update: a zero limit leaves it unchanged', () => {
    expect(resourcesToWrites({ memory: { limit: 0 } }, 'v1', { update: true })).toEqual([]);
    expect(resourcesToWrites({ memory: { limit: 0, reservation: 0 } }, 'v2', { update: true })).toEqual([]);
  });
});

describe('cpu', () => {
  it('v1 files in runc order', () => {
    expect(fv(resourcesToWrites({ cpu: { shares: 1024, period: 100000, quota: 10000, burst: 5000, idle: 0, realtimePeriod: 1000000, realtimeRuntime: 950000, cpus: '0-1', mems: '0' } }, 'v1'))).toEqual([
      'v1:cpu:cpu.shares=1024',
      'v1:cpu:cpu.cfs_period_us=100000',
      'v1:cpu:cpu.cfs_quota_us=10000',
      'v1:cpu:cpu.cfs_burst_us=5000',
      'v1:cpu:cpu.idle=0',
      'v1:cpu:cpu.rt_period_us=1000000',
      'v1:cpu:cpu.rt_runtime_us=950000',
      'v1:cpuset:cpuset.cpus=0-1',
      'v1:cpuset:cpuset.mems=0',
    ]);
  });
  it('v2: weight and cpu.max', () => {
    expect(fv(resourcesToWrites({ cpu: { shares: 1024, quota: 10000, period: 100000 } }, 'v2'))).toEqual(['v2:cpu:cpu.weight=39', 'v2:cpu:cpu.max=10000 100000']);
    expect(fv(resourcesToWrites({ cpu: { quota: -1, period: 50000 } }, 'v2'))).toEqual(['v2:cpu:cpu.max=max 50000']);
    expect(fv(resourcesToWrites({ cpu: { quota: 20000 } }, 'v2'))).toEqual(['v2:cpu:cpu.max=20000 100000']);
    expect(fv(resourcesToWrites({ cpu: { shares: 2, burst: 1000 } }, 'v2'))).toEqual(['v2:cpu:cpu.weight=1', 'v2:cpu:cpu.max.burst=1000']);
    expect(fv(resourcesToWrites({ cpu: { shares: 262144 } }, 'v2'))).toEqual(['v2:cpu:cpu.weight=10000']);
  });
  it('v2 update: quota alone keeps the period; period alone keeps the quota', () => {
    expect(fv(resourcesToWrites({ cpu: { quota: 20000, period: 0, shares: 0 } }, 'v2', { update: true }))).toEqual(['v2:cpu:cpu.max=20000']);
    expect(fv(resourcesToWrites({ cpu: { period: 50000 } }, 'v2', { update: true, current: { cpuMax: '30000 100000\n' } }))).toEqual(['v2:cpu:cpu.max=30000 50000']);
  });
  it('realtime is v1 only', () => {
    expect(() => resourcesToWrites({ cpu: { realtimeRuntime: 100 } }, 'v2')).toThrow('linux.resources.cpu.realtimeRuntime: not supported on cgroup v2');
  });
});

describe('pids', () => {
  it('limit, max', () => {
    expect(fv(resourcesToWrites({ pids: { limit: 5 } }, 'v1'))).toEqual(['v1:pids:pids.max=5']);
    expect(fv(resourcesToWrites({ pids: { limit: -1 } }, 'v2'))).toEqual(['v2:pids:pids.max=max']);
    expect(fv(resourcesToWrites({ pids: { limit: 0 } }, 'v2'))).toEqual(['v2:pids:pids.max=max']);
    expect(() => resourcesToWrites({ pids: { limit: -5 } }, 'v2')).toThrow('linux.resources.pids.limit');
  });
});

describe('blockIO', () => {
  const b = {
    weight: 500,
    leafWeight: 300,
    weightDevice: [{ major: 8, minor: 0, weight: 600, leafWeight: 200 }],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
    throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
    throttleReadIOPSDevice: [{ major: 8, minor: 16, rate: 100 }],
    throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 200 }],
  };
  it('v1', () => {
    expect(fv(resourcesToWrites({ blockIO: b }, 'v1'))).toEqual([
      'v1:blkio:blkio.weight=500',
      'v1:blkio:blkio.leaf_weight=300',
      'v1:blkio:blkio.weight_device=8:0 600',
      'v1:blkio:blkio.leaf_weight_device=8:0 200',
      'v1:blkio:blkio.throttle.read_bps_device=8:0 1048576',
      'v1:blkio:blkio.throttle.write_bps_device=8:0 2097152',
      'v1:blkio:blkio.throttle.read_iops_device=8:16 100',
      'v1:blkio:blkio.throttle.write_iops_device=8:0 200',
    ]);
    expect(fv(resourcesToWrites({ blockIO: { weight: 500 } }, 'v1', { v1BlkioBfq: true }))).toEqual(['v1:blkio:blkio.bfq.weight=500']);
  });
  it('v2: io.weight converted, one io.max line per device', () => {
    const { leafWeight: _l, weightDevice: _w, ...rest } = b;
    expect(fv(resourcesToWrites({ blockIO: { ...rest, weightDevice: [{ major: 8, minor: 0, weight: 1000 }] } }, 'v2'))).toEqual([
      `v2:io:io.weight=${1 + Math.floor((490 * 9999) / 990)}`,
      'v2:io:io.weight=8:0 10000',
      'v2:io:io.max=8:0 rbps=1048576 wbps=2097152 wiops=200',
      'v2:io:io.max=8:16 riops=100',
    ]);
    expect(fv(resourcesToWrites({ blockIO: { weight: 500 } }, 'v2', { v2IoBfq: true }))).toEqual(['v2:io:io.bfq.weight=500']);
    expect(() => resourcesToWrites({ blockIO: b }, 'v2')).toThrow('linux.resources.blockIO.leafWeight: not supported on cgroup v2');
  });
  it('update: weight 0 is unchanged', () => {
    expect(resourcesToWrites({ blockIO: { weight: 0 } }, 'v1', { update: true })).toEqual([]);
  });
});

describe('hugepageLimits', () => {
  it('v1 and v2 names, with the rsvd counter as optional', () => {
    const r = { hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }] };
    const w1 = resourcesToWrites(r, 'v1', { hugePageSizes: ['2MB'] });
    expect(fv(w1)).toEqual(['v1:hugetlb:hugetlb.2MB.limit_in_bytes=4194304', 'v1:hugetlb:hugetlb.2MB.rsvd.limit_in_bytes=4194304']);
    expect(w1[1]!.optional).toBe(true);
    expect(fv(resourcesToWrites(r, 'v2', { hugePageSizes: ['2MB'] }))).toEqual(['v2:hugetlb:hugetlb.2MB.max=4194304', 'v2:hugetlb:hugetlb.2MB.rsvd.max=4194304']);
  });
  it('hybrid: a controller only the unified hierarchy has uses v2 names', () => {
    expect(fv(resourcesToWrites({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }], pids: { limit: 3 } }, 'v1', { hugePageSizes: ['2MB'], hybridV2: ['hugetlb'] }))).toEqual([
      'v1:pids:pids.max=3',
      'v2:hugetlb:hugetlb.2MB.max=1',
      'v2:hugetlb:hugetlb.2MB.rsvd.max=1',
    ]);
  });
  it('unsupported size', () => {
    expect(() => resourcesToWrites({ hugepageLimits: [{ pageSize: '1GB', limit: 1 }] }, 'v1', { hugePageSizes: ['2MB'] })).toThrow(
      'linux.resources.hugepageLimits[0].pageSize: unsupported huge page size "1GB" (this host has: 2MB) (config-linux.md#huge-page-limits)',
    );
  });
});

describe('network, rdma, unified', () => {
  it('network is v1 only', () => {
    expect(fv(resourcesToWrites({ network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 5 }, { name: 'lo', priority: 2 }] } }, 'v1'))).toEqual([
      'v1:net_cls:net_cls.classid=1048577',
      'v1:net_prio:net_prio.ifpriomap=eth0 5',
      'v1:net_prio:net_prio.ifpriomap=lo 2',
    ]);
    expect(() => resourcesToWrites({ network: { classID: 1 } }, 'v2')).toThrow('linux.resources.network: not supported on cgroup v2');
  });
  it('rdma', () => {
    expect(fv(resourcesToWrites({ rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, mlx4_0: { hcaObjects: 5 } } }, 'v2'))).toEqual([
      'v2:rdma:rdma.max=mlx5_1 hca_handle=3 hca_object=10000',
      'v2:rdma:rdma.max=mlx4_0 hca_object=5',
    ]);
  });
  it('unified', () => {
    const o = { v2Controllers: ['memory', 'pids'] };
    expect(fv(resourcesToWrites({ unified: { 'memory.high': '1000', 'cgroup.max.depth': '3' } }, 'v2', o))).toEqual([
      'v2:memory:memory.high=1000',
      'v2::cgroup.max.depth=3',
    ]);
    expect(() => resourcesToWrites({ unified: { 'memory.high': '1' } }, 'v1')).toThrow('linux.resources.unified: not supported on cgroup v1 (config-linux.md#unified)');
    expect(() => resourcesToWrites({ unified: { '../../etc/passwd': 'x' } }, 'v2', o)).toThrow('not a cgroup file name');
    expect(() => resourcesToWrites({ unified: { 'memory/../x.y': 'x' } }, 'v2', o)).toThrow('not a cgroup file name');
    expect(() => resourcesToWrites({ unified: { 'io.max': '8:0 rbps=1' } }, 'v2', o)).toThrow('unknown controller "io"');
  });
});
