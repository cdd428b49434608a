/**
 * The pure parts of issue 3 (no root): ambient ⊆ permitted ∩ inheritable,
 * capabilities newer than the kernel, the credential op order, and LSM label
 * ops dropped with a warning when the host lacks the LSM.
 */
import { describe, expect, it } from 'vitest';
import { checkAmbient, credentialOps, raisableAmbient, unavailableCapabilities } from '../../../src/linux/capabilities.js';
import { compile, compileExec } from '../../../src/plan/compile.js';
import { fakeHost } from '../../../src/plan/host.js';
import type { InitOp } from '../../../src/plan/ops.js';
import { defaultSpec } from '../../../src/spec/defaults.js';
import type { Process, Spec } from '../../../src/spec/types.js';
import { capMask } from '../../../src/linux/flags.js';

const base = { id: 'demo', bundle: '/b', rootfs: '/b/rootfs', stateDir: '/run/joey/demo' };

function proc(caps: Process['capabilities'], user = { uid: 0, gid: 0 }): Process {
  return { user, cwd: '/', args: ['sh'], capabilities: caps };
}

function spec(edit: (s: Spec) => void = () => {}): Spec {
  const s = defaultSpec();
  delete s.linux!.seccomp;
  edit(s);
  return s;
}

describe('ambient capabilities', () => {
  it('are raised only where permitted and inheritable, as the kernel allows and runc does', () => {
    expect(raisableAmbient({ permitted: ['CAP_KILL', 'CAP_CHOWN'], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL', 'CAP_CHOWN'] })).toEqual({
      raise: ['CAP_KILL'],
      skipped: ['CAP_CHOWN'],
    });
    expect(raisableAmbient({ ambient: ['CAP_NET_RAW'] })).toEqual({ raise: [], skipped: ['CAP_NET_RAW'] });
  });
  it('a `runc spec` config (ambient, no inheritable) compiles; the plan says which were not raised', () => {
    const s = spec((x) => {
      x.process!.capabilities = { bounding: ['CAP_KILL'], permitted: ['CAP_KILL'], effective: ['CAP_KILL'], ambient: ['CAP_KILL'] };
    });
    for (const plan of [compile(s, { ...base, host: fakeHost() }), compileExec(s, s.process!, { ...base, initPid: 42 })]) {
      const op = plan.ops.find((o) => o.kind === 'set-ambient') as InitOp;
      expect(op.args.value).toBe(0n);
      expect(op.why).toBe('not raised (ambient needs permitted and inheritable): CAP_KILL');
    }
  });
  it('unknown names are still errors, for exec --cap too', () => {
    expect(() => checkAmbient(proc({ ambient: ['CAP_BOGUS'] }))).toThrow('process.capabilities.ambient[0]: unknown capability "CAP_BOGUS" (config.md#linux-process)');
  });
});

describe('capabilities the kernel does not know', () => {
  it('are listed once, sorted, across the five sets', () => {
    const p = proc({ bounding: ['CAP_BPF', 'CAP_KILL', 'CAP_PERFMON'], effective: ['CAP_BPF'], ambient: [] });
    expect(unavailableCapabilities(p, 37)).toEqual(['CAP_BPF', 'CAP_PERFMON']);
    expect(unavailableCapabilities(p, 40)).toEqual([]);
  });
  it('are left out of every mask, with one warning in the plan', () => {
    const s = spec((x) => {
      x.process!.capabilities = { bounding: ['CAP_KILL', 'CAP_BPF'], effective: ['CAP_BPF'], permitted: ['CAP_KILL', 'CAP_BPF'] };
    });
    const plan = compile(s, { ...base, host: fakeHost(), capLast: 38 });
    const op = (kind: string) => plan.ops.find((o) => o.kind === kind) as InitOp;
    expect(op('drop-bounding').args.value).toBe(capMask(['CAP_KILL']));
    expect(op('set-caps').args).toMatchObject({ effective: 0n, permitted: capMask(['CAP_KILL']), inheritable: 0n });
    expect(plan.warnings).toEqual(['process.capabilities: ignoring capabilities this kernel does not know: CAP_BPF (config.md#linux-process)']);
  });
});

describe('credential op order (keep caps across the uid change, then drop)', () => {
  it('bounding, keepcaps on, groups, user, capset, keepcaps off, ambient', () => {
    const ops = credentialOps(proc({ permitted: ['CAP_KILL'], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] }, { uid: 1000, gid: 1000 }), undefined);
    expect(ops.map((o) => `${o.kind}${o.kind === 'set-keepcaps' ? `=${o.args.value}` : ''}`)).toEqual([
      'drop-bounding',
      'set-keepcaps=1',
      'set-groups',
      'set-user',
      'set-caps',
      'set-keepcaps=0',
      'set-ambient',
    ]);
  });
});

describe('LSM labels', () => {
  const labelled = spec((x) => {
    x.process!.apparmorProfile = 'p';
    x.process!.selinuxLabel = 'u:r:t:s0';
  });
  const labels = (ops: { kind: string }[]) => ops.filter((o) => o.kind === 'set-label').map((o) => (o as InitOp).args.path);

  it('are set when the host has the LSM', () => {
    const plan = compile(labelled, { ...base, host: fakeHost({ lsms: ['apparmor', 'selinux'] }) });
    expect(labels(plan.ops)).toEqual(['apparmor/exec', 'exec']);
    expect(plan.warnings).toEqual([]);
  });
  it('are dropped with a warning each when it has not (runc ignores them)', () => {
    const plan = compile(labelled, { ...base, host: fakeHost({ lsms: [] }) });
    expect(labels(plan.ops)).toEqual([]);
    expect(plan.warnings).toHaveLength(2);
    expect(plan.warnings[0]).toMatch(/^process\.apparmorProfile: AppArmor is not enabled on this host/);
    expect(plan.warnings[1]).toMatch(/^process\.selinuxLabel: SELinux is not enabled on this host/);
  });
  it('exec: dropped when told the host LSMs, kept when not told', () => {
    expect(labels(compileExec(labelled, labelled.process!, { ...base, initPid: 42, lsms: [] }).ops)).toEqual([]);
    expect(labels(compileExec(labelled, labelled.process!, { ...base, initPid: 42 }).ops)).toEqual(['apparmor/exec', 'exec']);
  });
});

describe('unknown capability names that skipped the validator (exec --cap)', () => {
  it('are an error naming the set and index', () => {
    expect(() => checkAmbient(proc({ effective: ['CAP_KILL', 'CAP_BOGUS' as 'CAP_KILL'] }))).toThrow(
      'process.capabilities.effective[1]: unknown capability "CAP_BOGUS" (config.md#linux-process)',
    );
  });
});
