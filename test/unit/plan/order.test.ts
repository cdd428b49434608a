/**
 * Plan ordering invariants that mitigations depend on (security.md rows 3, 8,
 * 17, 18): pivot_root before masking, close-fds after the last op that can
 * leave an fd open, seccomp placed by no_new_privs as in runc's
 * standard_init_linux.go, and chdir always followed by the getcwd check.
 * Checked over a matrix of specs, for create and exec plans.
 */
import { describe, expect, it } from 'vitest';
import { compile, compileExec } from '../../../src/plan/compile.js';
import { fakeHost } from '../../../src/plan/host.js';
import { defaultSpec } from '../../../src/spec/defaults.js';
import type { CompiledSeccomp } from '../../../src/linux/seccomp.js';
import type { InitOp, Plan } from '../../../src/plan/ops.js';
import type { Spec } from '../../../src/spec/types.js';
import { CLONE } from '../../../src/linux/flags.js';
import { directSpawn } from '../../../src/linux/namespaces.js';

const opts = { id: 'order', bundle: '/b', rootfs: '/b/rootfs', stateDir: '/run/joey/order', host: fakeHost() };
const seccomp = (notify = false): CompiledSeccomp => ({ bpf: Buffer.alloc(16), flags: 0, notify, skipped: [], ruleCount: 1 });

/**
 * Ops that can leave a descriptor open in the init (close-fds must come after
 * all of them). Hooks are not here: they fork and exec, and leave nothing open.
 */
const FD_OPENERS = new Set([
  'open-exec-fifo', 'console-connect', 'console-setup', 'bind-rootfs', 'mount', 'mknod', 'sysctl',
  'write-proc-self', 'set-label', 'mkdir-in-root',
]);

function variants(): [string, Spec][] {
  const out: [string, Spec][] = [];
  for (const nnp of [false, true]) {
    for (const terminal of [false, true]) {
      for (const rootless of [false, true]) {
        const s = defaultSpec({ args: ['/bin/sh'], rootless });
        s.process!.noNewPrivileges = nnp;
        s.process!.terminal = terminal;
        s.process!.apparmorProfile = 'joey-test';
        s.process!.capabilities!.ambient = ['CAP_NET_BIND_SERVICE'];
        s.process!.capabilities!.inheritable = ['CAP_NET_BIND_SERVICE'];
        s.linux!.sysctl = { 'kernel.shmmni': '4000' };
        s.hooks = { createContainer: [{ path: '/bin/true' }], startContainer: [{ path: '/bin/true' }] };
        out.push([`nnp=${nnp} terminal=${terminal} rootless=${rootless}`, s]);
      }
    }
  }
  return out;
}

function plans(spec: Spec, sc: CompiledSeccomp | undefined): [string, Plan][] {
  return [
    ['create', compile(spec, { ...opts, seccomp: sc, consoleSocket: '/tmp/c.sock', preserveFds: 1 })],
    ['create --no-pivot', compile(spec, { ...opts, seccomp: sc, noPivot: true })],
    // the init cloned into its pid namespace by the runtime (namespaces.ts directSpawn)
    ...(directSpawn(spec.linux?.namespaces) !== undefined
      ? ([['create (direct spawn)', compile(spec, { ...opts, seccomp: sc, consoleSocket: '/tmp/c.sock', preserveFds: 1, direct: true })]] as [string, Plan][])
      : []),
    ['exec', compileExec(spec, spec.process!, { id: 'order', bundle: '/b', rootfs: '/b/rootfs', initPid: 7, seccomp: sc, consoleSocket: '/tmp/c.sock' })],
  ];
}

const kindsOf = (p: Plan) => p.ops.filter((o): o is InitOp => o.stage !== 'runtime').map((o) => o.kind as string);

describe('plan order invariants', () => {
  for (const [name, spec] of variants()) {
    for (const sc of [undefined, seccomp(), seccomp(true)]) {
      const label = `${name} seccomp=${sc ? (sc.notify ? 'notify' : 'yes') : 'no'}`;
      it(label, () => {
        for (const [what, plan] of plans(spec, sc)) {
          const k = kindsOf(plan);
          const at = (x: string) => k.indexOf(x);
          const msg = `${what}: ${k.join(' ')}`;

          // pivot-root (or move-root) before any mask: masks made before it
          // would mask the host's paths, and the host /dev/null is taken in bind-rootfs.
          const root = Math.max(at('pivot-root'), at('move-root'));
          if (what !== 'exec') {
            expect(root, msg).toBeGreaterThan(-1);
            expect(at('mask-path'), msg).toBeGreaterThan(root);
            expect(at('readonly-path'), msg).toBeGreaterThan(root);
            expect(at('bind-rootfs'), msg).toBeLessThan(root);
          }

          // close-fds after the last op that opens a descriptor (CVE-2024-21626)
          const close = at('close-fds');
          expect(close, msg).toBeGreaterThan(-1);
          expect(k.lastIndexOf('close-fds'), msg).toBe(close);
          const lastOpener = Math.max(...k.map((x, i) => (FD_OPENERS.has(x) ? i : -1)));
          expect(close, msg).toBeGreaterThan(lastOpener);
          expect(close, msg).toBeLessThan(at('exec'));

          // seccomp: without NNP before the capability drop (it needs
          // CAP_SYS_ADMIN); with NNP after no-new-privs, as late as possible
          const nnp = spec.process!.noNewPrivileges === true;
          if (sc) {
            expect(k.filter((x) => x === 'seccomp').length, msg).toBe(1);
            if (nnp) {
              expect(at('no-new-privs'), msg).toBeGreaterThan(-1);
              expect(at('seccomp'), msg).toBeGreaterThan(at('no-new-privs'));
              expect(at('seccomp'), msg).toBeGreaterThan(k.lastIndexOf('set-caps'));
              expect(at('seccomp'), msg).toBeGreaterThan(k.lastIndexOf('set-user'));
              expect(at('seccomp'), msg).toBeGreaterThan(close);
            } else {
              expect(at('no-new-privs'), msg).toBe(-1);
              expect(at('seccomp'), msg).toBeLessThan(at('drop-bounding'));
            }
            expect(at('seccomp'), msg).toBeLessThan(at('exec'));
          } else {
            expect(at('seccomp'), msg).toBe(-1);
          }
          if (nnp) expect(at('no-new-privs'), msg).toBeGreaterThan(k.lastIndexOf('set-caps'));

          // chdir is immediately followed by the getcwd check (CVE-2024-21626)
          k.forEach((x, i) => {
            if (x === 'chdir') expect(k[i + 1], msg).toBe('verify-cwd');
          });
          expect(at('chdir'), msg).toBeGreaterThan(-1);
          // credentials are final before the cwd check runs as the user
          expect(at('chdir'), msg).toBeGreaterThan(k.lastIndexOf('set-user'));
        }
      });
    }
  }

  // create: the runtime joins stage 2 to the cgroups while stage 2 mounts.
  // Nothing that must see the container's cgroups may run before stage 2
  // has waited for that (sync-cgroup): no cgroup mount, device node, hook,
  // pivot or credential; and the cgroup namespace is made there, not in
  // stage 1, since it is rooted where its creator is.
  const BEFORE_JOIN = new Set(['setsid', 'set-propagation', 'bind-rootfs', 'mount']);
  for (const [name, spec] of variants()) {
    for (const cgroupns of [true, false]) {
      it(`sync-cgroup: ${name} cgroupns=${cgroupns}`, () => {
        const s = structuredClone(spec);
        if (!cgroupns) s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'cgroup');
        for (const [what, plan] of plans(s, undefined)) {
          const ops = plan.ops.filter((o): o is InitOp => o.stage !== 'runtime');
          const k = ops.map((o) => o.kind as string);
          const msg = `${what}: ${k.join(' ')}`;
          for (const o of ops) if (o.kind === 'unshare') expect(Number(o.args.flags) & CLONE.CLONE_NEWCGROUP, msg).toBe(0);
          if (what === 'exec') {
            expect(k.includes('sync-cgroup'), msg).toBe(false);
            expect(ops.find((o) => o.kind === 'fork-init')!.args.announce, msg).toBeUndefined();
            continue;
          }
          const at = k.indexOf('sync-cgroup');
          expect(k.lastIndexOf('sync-cgroup'), msg).toBe(at);
          expect(ops[at]!.stage, msg).toBe('init');
          expect(ops[at]!.args.flags, msg).toBe(cgroupns ? CLONE.CLONE_NEWCGROUP : undefined);
          // stage 1 announces stage 2's pid, or the runtime could not join it;
          // a directly spawned init has no stage 1 (the runtime has its pid from the clone)
          const direct = what === 'create (direct spawn)';
          if (direct) expect(k.includes('fork-init'), msg).toBe(false);
          else expect(ops.find((o) => o.kind === 'fork-init')!.args.announce, msg).toBe(1);
          ops.slice(direct ? k.indexOf('setsid') : k.indexOf('fork-init') + 1, at).forEach((o) => {
            expect(BEFORE_JOIN.has(o.kind), `${o.kind} before sync-cgroup: ${msg}`).toBe(true);
            expect(['cgroup', 'cgroup2'].includes(String(o.args.fstype)), msg).toBe(false);
            expect(o.spec, msg).not.toBe('config-linux.md#cgroups');
          });
          // as late as that allows: right before the cgroup mount's ops, or after the last mount
          expect(['mount', 'bind-rootfs'].includes(ops[at - 1]!.kind), msg).toBe(true);
          const next = ops[at + 1]!;
          expect(next.kind !== 'mount' || next.spec === 'config-linux.md#cgroups', msg).toBe(true);
        }
      });
    }
  }

  it('a config without a cgroup mount still waits for the join, after its mounts', () => {
    const s = defaultSpec({ args: ['/bin/sh'] });
    s.mounts = s.mounts!.filter((m) => m.type !== 'cgroup' && m.type !== 'cgroup2');
    const k = kindsOf(compile(s, opts));
    expect(k.indexOf('sync-cgroup')).toBe(k.lastIndexOf('mount') + 1);
  });

  it('a plan with mask paths but no pivot is impossible to build', () => {
    const s = defaultSpec({ args: ['/bin/sh'] });
    for (const noPivot of [false, true]) {
      const k = kindsOf(compile(s, { ...opts, noPivot }));
      expect(k.filter((x) => x === 'pivot-root' || x === 'move-root')).toEqual([noPivot ? 'move-root' : 'pivot-root']);
    }
  });
});
