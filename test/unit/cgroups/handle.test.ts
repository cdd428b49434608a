/** handle.ts: which `created` entries of state.json a handle accepts (no cgroup is touched: the layout is given). */
import { describe, expect, it } from 'vitest';
import { openCgroupHandle } from '../../../src/cgroups/handle.js';
import type { Layout } from '../../../src/cgroups/layout.js';

const hybrid: Layout = {
  mode: 'hybrid',
  v2Root: '/sys/fs/cgroup/unified',
  v1: { cpu: '/sys/fs/cgroup/cpu', cpuacct: '/sys/fs/cgroup/cpu', memory: '/sys/fs/cgroup/memory' },
  v2Controllers: ['hugetlb'],
};
const open = (created: string[]) => openCgroupHandle({ id: 'c1', cgroupsPath: '/joey/c1', layout: hybrid, created });

describe('created entries', () => {
  it('accepts the container dir and its ancestors in every hierarchy, cleaned', () => {
    const created = ['/sys/fs/cgroup/cpu/joey', '/sys/fs/cgroup/cpu/joey/c1', '/sys/fs/cgroup/memory/joey/c1', '/sys/fs/cgroup/unified/joey/c1'];
    expect(open(created).toJSON().created).toEqual(created);
    expect(open(['/sys/fs/cgroup/memory/joey/./c1', '/sys/fs/cgroup/memory//joey']).toJSON().created).toEqual(['/sys/fs/cgroup/memory/joey/c1', '/sys/fs/cgroup/memory/joey']);
    expect(open([]).paths).toEqual({ cpu: '/sys/fs/cgroup/cpu/joey/c1', cpuacct: '/sys/fs/cgroup/cpu/joey/c1', memory: '/sys/fs/cgroup/memory/joey/c1', '': '/sys/fs/cgroup/unified/joey/c1' });
  });
  it('refuses anything else: a sibling, a child, `..`, another mount, a look-alike mount prefix', () => {
    for (const bad of [
      '/sys/fs/cgroup/memory/joey/c2',
      '/sys/fs/cgroup/memory/joey/c1/sub',
      '/sys/fs/cgroup/memory/joey/c1/..',
      '/sys/fs/cgroup/memory/joey/../joey/c1',
      '/sys/fs/cgroup/pids/joey/c1',
      '/sys/fs/cgroup/memoryx/joey/c1',
      '/sys/fs/cgroup/memory',
      'sys/fs/cgroup/memory/joey/c1',
    ]) {
      expect(() => open([bad]), bad).toThrow();
    }
  });
});
