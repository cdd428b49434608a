/**
 * `joey --vm` guest kernel tiers (docs/vm.md §6.9, §7): the fast kernel that
 * `joey vm kernel build` makes from native/vm/kernel.config boots, is the one
 * in use, and has what containers need built in (cgroup v2 controllers,
 * namespaces, seccomp); JOEY_VM_TIER picks a tier. Needs root, QEMU and the
 * built kernel (~8.5 min cold on 2 cores, cached in /var/cache/joey/vm/fast).
 */
import { describe, expect, it } from 'vitest';
import { cid, isRoot, joey, leftovers } from '../helpers.js';
import { kernelCandidates } from '../../../src/vm/assets.js';
import { qemu, QEMU_MISSING, T, vmSuite } from './env.js';

const tiers = isRoot ? kernelCandidates() : [];
const fast = !!tiers.find((k) => k.tier === 'fast')?.present;
const debian = !!tiers.find((k) => k.tier === 'debian')?.present;
const reason = !isRoot
  ? 'needs root'
  : !qemu
    ? QEMU_MISSING
    : !fast
      ? 'needs the fast kernel (joey vm kernel build)'
      : 'root, qemu and the fast kernel present';
const { root, bundle, vm } = vmSuite('vm-tier', { JOEY_VM_TIER: '' });

describe.runIf(isRoot && qemu && fast)(`joey --vm kernel tiers (${reason})`, () => {
  it('doctor names the fast tier as the one in use', () => {
    const r = joey(root, ['vm', 'doctor'], { env: { ...process.env, JOEY_VM_TIER: '', JOEY_VM_KERNEL: '' } });
    expect(r.stdout).toMatch(/^ok {3}kernel in use: fast \(built by `joey vm kernel build`/m);
    expect(r.stdout).not.toMatch(/stale/i);
  });

  it('the fast kernel boots by default, with memory, pids and cpu controllers and the container\'s limits', { timeout: T }, () => {
    const id = cid('vmt');
    const b = bundle(['/bin/probe', 'cat', '/proc/version', ';', 'cat', '/sys/fs/cgroup/cgroup.controllers', ';', 'cat', '/sys/fs/cgroup/memory.max', ';', 'cat', '/sys/fs/cgroup/pids.max', ';', 'status'], (s) => {
      s.linux!.resources = { memory: { limit: 96 * 1024 * 1024 }, pids: { limit: 20 }, cpu: { quota: 50_000, period: 100_000 } };
    });
    const r = vm(['run', '--bundle', b, id], { JOEY_VM_KERNEL: '' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // CONFIG_LOCALVERSION in native/vm/kernel.config
    expect(r.stdout).toMatch(/^Linux version \S+-joey-fast /m);
    const controllers = r.stdout.split('\n').find((l) => /\bmemory\b/.test(l))?.split(' ') ?? [];
    expect(controllers).toEqual(expect.arrayContaining(['cpu', 'memory', 'pids']));
    expect(r.stdout).toContain(`${96 * 1024 * 1024}\n`);
    expect(r.stdout).toContain('20\n');
    expect(r.stdout).toMatch(/^Seccomp:\s+2$/m);
    expect(leftovers(root, id)).toEqual([]);
  });

  it.runIf(debian)('JOEY_VM_TIER=debian boots Debian\'s kernel even though the fast one is present', { timeout: T }, () => {
    const id = cid('vmt');
    const b = bundle(['/bin/probe', 'cat', '/proc/version']);
    const r = vm(['run', '--bundle', b, id], { JOEY_VM_TIER: 'debian', JOEY_VM_KERNEL: '' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Linux version /m);
    expect(r.stdout).not.toContain('-joey-fast');
    expect(leftovers(root, id)).toEqual([]);
  });

  it('an unknown JOEY_VM_TIER is refused with the valid names', () => {
    const b = bundle(['/bin/probe', 'exit', '0']);
    const r = vm(['run', '--bundle', b, cid('vmt')], { JOEY_VM_TIER: 'turbo' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('JOEY_VM_TIER: expected fast, debian, custom, got "turbo"');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
