/** `joey events` — runc-events.8 with runc's types/events.go JSON shapes. */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { JOEY, isRoot, joey, stateRoot } from '../helpers.js';
import { parseDuration, runcStats, toJson } from '../../../src/lifecycle/events.js';
import { startContainer, stateOf, waitFor, withMemory } from './common.js';
import type { CgroupStats } from '../../../src/cgroups/manager.js';

describe('events encoding', () => {
  it('parses Go durations', () => {
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('100ms')).toBe(100);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('0')).toBe(0);
    expect(() => parseDuration('5')).toThrow('invalid duration "5"');
    expect(() => parseDuration('1x')).toThrow('invalid duration');
  });
  it('keeps integers beyond 2^53 exact (cgroup v1 "unlimited")', () => {
    expect(toJson({ limit: 9223372036854771712, n: 1 })).toBe('{"limit":9223372036854771712,"n":1}');
  });
  it("follows Go's omitempty: zero usage left out, limit and failcnt kept", () => {
    const z = { limit: 0, usage: 0, max: 0, failcnt: 0 };
    const cg: CgroupStats = {
      cpu: { usage: { total: 0, kernel: 0, user: 0 }, throttling: { periods: 0, throttledPeriods: 0, throttledTime: 0 } },
      memory: { cache: 0, usage: { ...z, usage: 5 }, swap: z, kernel: z, kernelTCP: z, raw: {} },
      pids: { current: 1, limit: 0 },
      blkio: { ioServiceBytesRecursive: [], ioServicedRecursive: [] },
      hugetlb: { '2MB': { usage: 0, max: 0, failcnt: 0 } },
    };
    const s = runcStats(cg, undefined) as Record<string, Record<string, unknown>>;
    expect(s.cpu).toEqual({ usage: { kernel: 0, user: 0 }, throttling: {} });
    expect(s.memory).toEqual({ usage: { limit: 0, usage: 5, failcnt: 0 }, swap: { limit: 0, failcnt: 0 }, kernel: { limit: 0, failcnt: 0 }, kernelTCP: { limit: 0, failcnt: 0 } });
    expect(s.pids).toEqual({ current: 1 });
    expect(s.blkio).toEqual({});
    expect(s.hugetlb).toEqual({ '2MB': { failcnt: 0 } });
    expect(Object.keys(s)).toEqual(['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'intel_rdt', 'network_interfaces']);
  });
});

describe.runIf(isRoot)('joey events (needs root: real containers)', () => {
  const root = stateRoot('cmd-events');
  const cleanups: (() => void)[] = [];
  afterAll(() => cleanups.forEach((c) => c()));

  it('--stats prints one stats event with memory, pids and cpu', () => {
    const c = startContainer(root, ['/bin/probe', 'sleep', '60'], withMemory(64 << 20));
    cleanups.push(c.cleanup);
    const r = joey(root, ['events', '--stats', c.id]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    const ev = JSON.parse(lines[0]!) as { type: string; id: string; data: Record<string, any> };
    expect(ev.type).toBe('stats');
    expect(ev.id).toBe(c.id);
    expect(ev.data.memory.usage.usage).toBeGreaterThan(0);
    expect(ev.data.memory.usage.limit).toBe(64 << 20);
    expect(ev.data.pids.current).toBe(1);
    expect(ev.data.cpu.usage.total).toBeGreaterThan(0);
    expect(typeof ev.data.cpu.usage.user).toBe('number');
    expect(ev.data.hugetlb).toBeTypeOf('object');
  }, 60_000);

  it('streams stats every interval and an oom event when the kernel kills in the container, then ends', async () => {
    // created, not started: the stream is listening before the allocation
    const c = startContainer(root, ['/bin/probe', 'sleep', '1', ';', 'alloc', '256'], withMemory(32 << 20), false);
    cleanups.push(c.cleanup);
    const ev = spawn(JOEY, ['--root', root, 'events', '--interval', '200ms', c.id], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    ev.stdout.on('data', (b: Buffer) => (out += b.toString()));
    ev.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((r) => ev.on('exit', (code) => r(code)));
    // wait for the first stats line, so the OOM counter has been read before the kill
    for (let i = 0; i < 1000 && !out.includes('"type":"stats"'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(out).toContain('"type":"stats"');
    expect(joey(root, ['start', c.id]).status).toBe(0);
    const timer = setTimeout(() => ev.kill('SIGKILL'), 60_000);
    const code = await exited;
    clearTimeout(timer);
    expect(err).toBe('');
    expect(code).toBe(0);
    const events = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; id: string; data?: unknown });
    expect(events.filter((e) => e.type === 'oom')).toEqual([{ type: 'oom', id: c.id }]);
    expect(events.filter((e) => e.type === 'stats').length).toBeGreaterThanOrEqual(1);
    expect(events.every((e) => e.id === c.id)).toBe(true);
  }, 120_000);

  it('a stopped container and a bad interval are errors', () => {
    const c = startContainer(root, ['/bin/probe', 'exit', '0']);
    cleanups.push(c.cleanup);
    const bad = joey(root, ['events', '--interval', '0s', c.id]);
    expect(bad.stderr).toBe('joey: duration interval must be greater than 0\n');
    expect(waitFor(() => stateOf(root, c.id).status === 'stopped', 10_000)).toBe(true);
    const r = joey(root, ['events', '--stats', c.id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`joey: container with id ${c.id} is not running\n`);
  }, 120_000);
});
