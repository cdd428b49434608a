/**
 * `joey update` — runc-update.8: new limits reach the cgroup (read from
 * inside the container, through its cgroup namespace and cgroup mount),
 * docker's zeros leave values alone, and the saved config follows.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { isRoot, joey, stateRoot } from '../helpers.js';
import { mergeResources, ramInBytes, resourcesFromFlags, updateDelta } from '../../../src/lifecycle/update.js';
import { startContainer, stateOf, waitFor } from './common.js';

describe('update parsing (runc update.go semantics)', () => {
  it('sizes take binary suffixes like docker RAMInBytes', () => {
    expect(ramInBytes('64m')).toBe(67108864);
    expect(ramInBytes('1g')).toBe(1073741824);
    expect(ramInBytes('512K')).toBe(524288);
    expect(ramInBytes('1.5GiB')).toBe(1610612736);
    expect(ramInBytes('100')).toBe(100);
    expect(() => ramInBytes('12x')).toThrow("invalid size: '12x'");
  });
  it('flags become a delta; -1 means unlimited', () => {
    expect(resourcesFromFlags({ memory: '64m', memorySwap: '-1', pidsLimit: '20', cpuShare: '512', cpuQuota: '-1', cpusetCpus: '0' })).toEqual({
      memory: { limit: 67108864, swap: -1 },
      pids: { limit: 20 },
      cpu: { shares: 512, quota: -1, cpus: '0' },
    });
    expect(() => resourcesFromFlags({ cpuShare: 'x' })).toThrow('invalid value for cpu-share');
  });
  it('zeros and empty strings mean unchanged; memory -1 alone unlimits swap too', () => {
    expect(updateDelta({ memory: { limit: 0, reservation: 0, swap: 0 }, cpu: { shares: 0, quota: 0, period: 0, cpus: '', mems: '' }, blockIO: { weight: 0 }, pids: { limit: 0 } })).toEqual({});
    expect(updateDelta({ memory: { limit: -1 } })).toEqual({ memory: { limit: -1, swap: -1 } });
    expect(mergeResources({ memory: { limit: 1, swap: 2 }, pids: { limit: 5 } }, { memory: { limit: 3 } })).toEqual({ memory: { limit: 3, swap: 2 }, pids: { limit: 5 } });
  });
});

describe.runIf(isRoot)('joey update (needs root: real containers)', () => {
  const root = stateRoot('cmd-update');
  const cleanups: (() => void)[] = [];
  afterAll(() => cleanups.forEach((c) => c()));
  const inside = (id: string, file: string): string => {
    const r = joey(root, ['exec', id, '/bin/probe', 'cat', file]);
    expect(r.stderr).toBe('');
    return r.stdout.trim();
  };
  const savedResources = (id: string): Record<string, unknown> =>
    (JSON.parse(fs.readFileSync(`${root}/${id}/config.json`, 'utf8')) as { linux: { resources: Record<string, unknown> } }).linux.resources;

  it('--memory 64m shows inside the container; docker-style stdin JSON with zeros changes only what is non-zero', () => {
    const c = startContainer(root, ['/bin/probe', 'sleep', '120'], (s) => {
      s.linux!.resources = { ...s.linux!.resources, pids: { limit: 100 } };
    });
    cleanups.push(c.cleanup);
    const MEM = '/sys/fs/cgroup/memory/memory.limit_in_bytes';
    expect(Number(inside(c.id, MEM))).toBeGreaterThan(1 << 40); // unlimited

    const u = joey(root, ['update', '--memory', '64m', c.id]);
    expect(u.stderr).toBe('');
    expect(u.status).toBe(0);
    expect(inside(c.id, MEM)).toBe('67108864');

    // what docker/containerd send: the whole shape, zeros for "unchanged"
    const docker = { memory: { limit: 0, reservation: 0, swap: 0, kernel: 0, kernelTCP: 0 }, cpu: { shares: 512, quota: 0, period: 0, realtimeRuntime: 0, realtimePeriod: 0, cpus: '', mems: '' }, blockIO: { weight: 0 }, pids: { limit: 0 } };
    const s = joey(root, ['update', '--resources', '-', c.id], { input: JSON.stringify(docker) });
    expect(s.stderr).toBe('');
    expect(s.status).toBe(0);
    expect(inside(c.id, MEM)).toBe('67108864');
    expect(inside(c.id, '/sys/fs/cgroup/pids/pids.max')).toBe('100');
    expect(inside(c.id, '/sys/fs/cgroup/cpu/cpu.shares')).toBe('512');
    expect(savedResources(c.id)).toMatchObject({ memory: { limit: 67108864 }, cpu: { shares: 512 }, pids: { limit: 100 } });

    // a file works the same way (-r is --resources)
    const file = `${c.bundle}/resources.json`;
    fs.writeFileSync(file, JSON.stringify({ memory: { limit: 134217728 } }));
    expect(joey(root, ['update', '-r', file, c.id]).status).toBe(0);
    expect(inside(c.id, MEM)).toBe('134217728');
    expect(savedResources(c.id)).toMatchObject({ memory: { limit: 134217728 } });
  }, 120_000);

  it('--pids-limit changes pids.max; 0 leaves it alone; -1 removes the limit', () => {
    const c = startContainer(root, ['/bin/probe', 'sleep', '120']);
    cleanups.push(c.cleanup);
    const PIDS = '/sys/fs/cgroup/pids/pids.max';
    expect(joey(root, ['update', '--pids-limit', '20', c.id]).status).toBe(0);
    expect(inside(c.id, PIDS)).toBe('20');
    expect(joey(root, ['update', '--pids-limit', '0', c.id]).status).toBe(0);
    expect(inside(c.id, PIDS)).toBe('20');
    expect(savedResources(c.id)).toMatchObject({ pids: { limit: 20 } });
    expect(joey(root, ['update', '--pids-limit', '-1', c.id]).status).toBe(0);
    expect(inside(c.id, PIDS)).toBe('max');
  }, 120_000);

  it('bad input and a stopped container are errors', () => {
    const c = startContainer(root, ['/bin/probe', 'exit', '0']);
    cleanups.push(c.cleanup);
    const bad = joey(root, ['update', '--memory', '12x', c.id]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe("joey: invalid value for memory: invalid size: '12x'\n");
    const json = joey(root, ['update', '-r', '-', c.id], { input: '{"memory":{"limit":"big"}}' });
    expect(json.status).toBe(1);
    expect(json.stderr).toMatch(/^joey: --resources stdin: linux\.resources\.memory\.limit: /);
    expect(waitFor(() => stateOf(root, c.id).status === 'stopped', 10_000)).toBe(true);
    const stopped = joey(root, ['update', '--memory', '64m', c.id]);
    expect(stopped.status).toBe(1);
    expect(stopped.stderr).toBe('joey: container not running\n');
  }, 120_000);
});
