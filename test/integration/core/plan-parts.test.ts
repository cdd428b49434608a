/**
 * A create plan in two parts (PLAN_FLAGS.PARTIAL): stage 1 runs from its own
 * part while Node compiles the rest, and stage 2 reads the whole plan after
 * fork-init. The init refuses a whole plan that does not begin with the ops
 * it has already run, and joey leaves no init behind; a stage 1 that fails
 * before the whole plan is sent is reported by its own error, not EPIPE.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { compile, compileStage1 } from '../../../src/plan/compile.js';
import { fakeHost } from '../../../src/plan/host.js';
import { defaultSpec } from '../../../src/spec/defaults.js';
import { spawnInit, startInit } from '../../../src/process/spawn-init.js';
import { InitError } from '../../../src/errors.js';
import { isRoot } from '../helpers.js';
import { addon } from '../../../src/native/addon.js';

/** Children of this process that are inits (an unreaped one shows up as a zombie). */
function initChildren(): string[] {
  const me = String(process.pid);
  const out: string[] = [];
  for (const p of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[1] === me && /\(joey:\[/.test(stat)) out.push(`${p} ${rest[0]}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

describe.runIf(isRoot)('a plan in two parts', () => {
  function stateDirs(): [string, string] {
    const dirs = [0, 1].map(() => fs.mkdtempSync(join(tmpdir(), 'joey-parts-'))) as [string, string];
    for (const d of dirs) spawnSync('mkfifo', ['-m', '622', join(d, 'exec.fifo')]);
    return dirs;
  }
  const spec = defaultSpec({ args: ['/bin/true'] });
  const opts = (stateDir: string) => ({ id: 'parts', bundle: '/nonexistent', rootfs: '/nonexistent/rootfs', stateDir, host: fakeHost() });

  it('the first part is the whole plan\'s first ops, and none with a new user namespace', () => {
    const [a] = stateDirs();
    const first = compileStage1(spec, opts(a))!;
    const whole = compile(spec, opts(a)).ops.filter((o) => o.stage !== 'runtime');
    expect(first.ops.map((o) => o.kind)).toEqual(whole.slice(0, first.ops.length).map((o) => o.kind));
    expect(first.ops).toEqual(whole.slice(0, first.ops.length));
    expect(first.ops.at(-1)!.kind).toBe('fork-init');
    expect(compileStage1(defaultSpec({ args: ['/bin/true'], rootless: true }), opts(a))).toBeUndefined();
  });

  it('stage 2 refuses a whole plan that does not begin with the part stage 1 ran, and nothing is left', async () => {
    const [a, b] = stateDirs();
    // the same spec, but stage 1's exec.fifo path differs between the two
    const started = startInit(0, compileStage1(spec, opts(a)));
    let err: unknown;
    try {
      await spawnInit(compile(spec, opts(b)), { timeoutMs: 5000 }, {}, started);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InitError);
    expect((err as Error).message).toMatch(/read plan: the whole plan does not begin with the \d+ ops of its first part \(op \d+ clone\(CLONE_PARENT\)/);
    expect(initChildren()).toEqual([]);
  });

  it('an init that exits without reading what it was sent resets the socket: its ERROR is still the error', async () => {
    const [a] = stateDirs();
    const real = startInit(0);
    const sock = addon().socketpair();
    // the init's end of the protocol, played here: it reports an error and
    // exits with the whole plan unread (ECONNRESET comes before its ERROR)
    const error = Buffer.concat([Buffer.from([11, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('stage 2 failed early\0')]);
    const afterPlan = () => {
      addon().sendmsg(sock[1], error, []);
      addon().close(sock[1]);
    };
    try {
      await expect(spawnInit(compile(spec, opts(a)), { timeoutMs: 5000, afterPlan }, {}, { ...real, fd: sock[0] })).rejects.toThrow(/^stage 2 failed early \(op 2 /);
    } finally {
      addon().close(real.fd);
    }
    expect(initChildren()).toEqual([]);
  });

  it('a direct init that fails before sync-cgroup: CGROUP_JOINED and the late filter meet ECONNRESET, its ERROR is still the error', async () => {
    const [a] = stateDirs();
    const real = startInit(0, undefined, false, 0);
    const sock = addon().socketpair();
    // the init's end, played here: it fails and exits with what we sent unread,
    // so our next sends get ECONNRESET (not EPIPE), and its ERROR waits in the socket
    const error = Buffer.concat([Buffer.from([11, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('mount failed early\0')]);
    const afterPlan = () => {
      addon().sendmsg(sock[1], error, []);
      addon().close(sock[1]);
    };
    const s = defaultSpec({ args: ['/bin/true'] });
    s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' };
    const plan = compile(s, { ...opts(a), direct: true, seccomp: 'later' });
    const lateSeccomp = async () => ({ bpf: Buffer.alloc(8), flags: 0, notify: false, skipped: [], ruleCount: 0 });
    try {
      await expect(spawnInit(plan, { timeoutMs: 5000, afterPlan, joinInit: () => {}, lateSeccomp }, {}, { ...real, fd: sock[0] })).rejects.toThrow(/^mount failed early \(op 3 /);
    } finally {
      real.abandon();
    }
    expect(initChildren()).toEqual([]);
  });

  it('a late seccomp filter with a plan that has no sync-cgroup is refused, and the init it was given dies', async () => {
    const [a] = stateDirs();
    const started = startInit(0, undefined, false, 0);
    const plan = compile(spec, { ...opts(a), direct: true });
    const noBarrier = { ...plan, ops: plan.ops.filter((o) => o.kind !== 'sync-cgroup') };
    const lateSeccomp = async () => ({ bpf: Buffer.alloc(8), flags: 0, notify: false, skipped: [], ruleCount: 0 });
    await expect(spawnInit(noBarrier, { timeoutMs: 5000, lateSeccomp }, {}, started)).rejects.toThrow(/needs a plan with sync-cgroup/);
    expect(initChildren()).toEqual([]);
  });

  it('a stage 1 that fails before the whole plan is sent: its own error', async () => {
    const [a] = stateDirs();
    const bad = defaultSpec({ args: ['/bin/true'] });
    bad.linux!.namespaces = bad.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: '/proc/999999999/ns/net' } : n));
    const started = startInit(0, compileStage1(bad, opts(a)));
    // let stage 1 fail and exit first: the send of the whole plan then meets EPIPE
    for (let i = 0; i < 200 && !fs.readFileSync(`/proc/${started.pid}/stat`, 'utf8').includes(') Z'); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    await expect(spawnInit(compile(bad, opts(a)), { timeoutMs: 5000 }, {}, started)).rejects.toThrow(/open namespace `\/proc\/999999999\/ns\/net`/);
    expect(initChildren()).toEqual([]);
  });
});
