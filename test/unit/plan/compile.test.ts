/** compile(spec) → Plan without root: what ops a config becomes, and in which order. */
import { describe, expect, it } from 'vitest';
import { compile, compileExec } from '../../../src/plan/compile.js';
import { fakeHost } from '../../../src/plan/host.js';
import { defaultSpec } from '../../../src/spec/defaults.js';
import { renderPlan } from '../../../src/plan/render.js';
import { encodePlan } from '../../../src/plan/encode.js';
import type { InitOp } from '../../../src/plan/ops.js';
import type { Spec } from '../../../src/spec/types.js';
import { CLONE, MS } from '../../../src/linux/flags.js';
import { directSpawn } from '../../../src/linux/namespaces.js';

const opts = { id: 'demo', bundle: '/b', rootfs: '/b/rootfs', stateDir: '/run/joey/demo', host: fakeHost() };
const kinds = (spec: Spec, o = opts) => compile(spec, o).ops.map((op) => op.kind);
const initOps = (spec: Spec, o = opts) => compile(spec, o).ops.filter((op): op is InitOp => op.stage !== 'runtime');

describe('compile', () => {
  const spec = defaultSpec({ args: ['/bin/sh'] });

  it('is pure: the same spec gives the same plan', () => {
    expect(compile(spec, opts)).toEqual(compile(spec, opts));
    expect(encodePlan(compile(spec, opts)).equals(encodePlan(compile(spec, opts)))).toBe(true);
  });

  it('creates namespaces with one unshare in stage 1, then forks stage 2', () => {
    const ops = initOps(spec);
    const unshare = ops.find((o) => o.kind === 'unshare')!;
    expect(unshare.stage).toBe('init-child');
    expect(Number(unshare.args.flags) & CLONE.CLONE_NEWPID).toBeTruthy();
    expect(Number(unshare.args.flags) & CLONE.CLONE_NEWNS).toBeTruthy();
    const fork = ops.findIndex((o) => o.kind === 'fork-init');
    expect(ops.slice(0, fork).every((o) => o.stage === 'init-child')).toBe(true);
    expect(ops.slice(fork + 1).every((o) => o.stage === 'init')).toBe(true);
  });

  it('direct spawn: no stage 1, no fork-init; the unshare leaves out the pid namespace the clone made', () => {
    const ops = initOps(spec, { ...opts, direct: true });
    expect(ops.every((o) => o.stage === 'init')).toBe(true);
    expect(ops.some((o) => o.kind === 'fork-init')).toBe(false);
    const unshare = ops.find((o) => o.kind === 'unshare')!;
    expect(Number(unshare.args.flags) & CLONE.CLONE_NEWPID).toBe(0);
    expect(Number(unshare.args.flags) & CLONE.CLONE_NEWNS).toBeTruthy();
    // the same ops otherwise, in the same order
    const classic = initOps(spec).filter((o) => o.kind !== 'fork-init').map((o) => o.kind);
    expect(ops.map((o) => o.kind)).toEqual(classic);
    const spawn = compile(spec, { ...opts, direct: true }).ops.find((o) => o.kind === 'spawn-init')!;
    expect(renderPlan({ ...compile(spec, opts), ops: [spawn] })).toContain('clone(CLONE_NEWPID)');
  });

  it('direct spawn only where no stage 1 is needed: user or time namespace, or a pid namespace joined by path', () => {
    expect(directSpawn(spec.linux!.namespaces)).toBe(CLONE.CLONE_NEWPID);
    expect(directSpawn([{ type: 'mount' }])).toBe(0); // the host's pid namespace: no clone flag at all
    expect(directSpawn([{ type: 'mount' }, { type: 'network', path: '/proc/1/ns/net' }, { type: 'pid' }])).toBe(CLONE.CLONE_NEWPID);
    expect(directSpawn([{ type: 'mount' }, { type: 'pid', path: '/proc/1/ns/pid' }])).toBeUndefined();
    expect(directSpawn([{ type: 'mount' }, { type: 'pid' }, { type: 'time' }])).toBeUndefined();
    expect(directSpawn(defaultSpec({ args: ['/bin/sh'], rootless: true }).linux!.namespaces)).toBeUndefined();
    expect(() => compile(defaultSpec({ args: ['/bin/sh'], rootless: true }), { ...opts, direct: true })).toThrow(/needs a stage 1/);
  });

  it('direct spawn joins namespaces given by path itself, before the unshare, the mount namespace last', () => {
    const s = defaultSpec({ args: ['/bin/sh'] });
    s.linux!.namespaces = [{ type: 'mount', path: '/proc/1/ns/mnt' }, { type: 'network', path: '/proc/1/ns/net' }, { type: 'pid' }, { type: 'ipc' }];
    const ops = initOps(s, { ...opts, direct: true }).filter((o) => o.kind === 'join-namespace' || o.kind === 'unshare');
    expect(ops.map((o) => [o.kind, o.args.path ?? o.args.flags])).toEqual([
      ['join-namespace', '/proc/1/ns/net'],
      ['unshare', CLONE.CLONE_NEWIPC],
      ['join-namespace', '/proc/1/ns/mnt'],
    ]);
  });

  it("seccomp 'later': the same op in the same place, marked late, without the filter (create sends it as SECCOMP_FILTER)", () => {
    const s = defaultSpec({ args: ['/bin/sh'] });
    s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['unshare'], action: 'SCMP_ACT_ERRNO' }] };
    const filter = { bpf: Buffer.alloc(16), flags: 4, notify: false, skipped: [], ruleCount: 1 };
    const now = initOps(s, { ...opts, seccomp: filter });
    const later = initOps(s, { ...opts, seccomp: 'later' });
    expect(later.map((o) => o.kind)).toEqual(now.map((o) => o.kind));
    const op = later.find((o) => o.kind === 'seccomp')!;
    expect(op.args).toEqual({ late: 1 });
    expect(now.find((o) => o.kind === 'seccomp')!.args.late).toBeUndefined();
    // SECCOMP_FILTER comes unasked after CGROUP_JOINED: not with hooks, whose exchange could meet it
    s.hooks = { prestart: [{ path: '/bin/true' }] };
    expect(() => compile(s, { ...opts, seccomp: 'later' })).toThrow(/hooks/);
  });

  it('joins the user namespace first and the mount namespace last', () => {
    const s = defaultSpec({ args: ['/bin/sh'] });
    s.linux!.namespaces = [
      { type: 'mount', path: '/proc/1/ns/mnt' },
      { type: 'network', path: '/proc/1/ns/net' },
      { type: 'user', path: '/proc/1/ns/user' },
      { type: 'pid' },
    ];
    const joins = initOps(s).filter((o) => o.kind === 'join-namespace').map((o) => o.args.path);
    expect(joins).toEqual(['/proc/1/ns/user', '/proc/1/ns/net', '/proc/1/ns/mnt']);
  });

  it('asks for uid/gid maps right after a new user namespace', () => {
    const s = defaultSpec({ args: ['/bin/sh'], rootless: true });
    const k = initOps(s).map((o) => o.kind);
    expect(k.indexOf('sync-idmap')).toBe(k.indexOf('unshare') + 1);
    // and binds host device nodes instead of mknod
    expect(initOps(s).filter((o) => o.kind === 'mknod').every((o) => o.args.bind === 1)).toBe(true);
  });

  it('orders the rootfs: propagation, bind, mounts, devices, pivot, readonly, masks', () => {
    const k = kinds(spec);
    const at = (kind: string) => k.indexOf(kind);
    expect(at('set-propagation')).toBeLessThan(at('bind-rootfs'));
    expect(at('bind-rootfs')).toBeLessThan(at('mount'));
    expect(k.lastIndexOf('mount')).toBeLessThan(at('mknod'));
    expect(k.lastIndexOf('mknod')).toBeLessThan(at('pivot-root'));
    expect(at('pivot-root')).toBeLessThan(at('readonly-path'));
    expect(k.lastIndexOf('readonly-path')).toBeLessThan(at('mask-path'));
    expect(k.lastIndexOf('mask-path')).toBeLessThan(at('remount-root-ro'));
  });

  it('ends with ready, the exec.fifo barrier and execve', () => {
    const k = initOps(spec).map((o) => o.kind);
    expect(k.slice(-3)).toEqual(['ready', 'wait-start', 'exec']);
  });

  it('mounts proc and sysfs only onto real directories (CVE-2019-19921)', () => {
    const procs = initOps(spec).filter((o) => o.kind === 'mount' && (o.args.fstype === 'proc' || o.args.fstype === 'sysfs'));
    expect(procs.length).toBe(2);
    for (const p of procs) expect(p.args.must_be_dir).toBe(1);
  });

  it('expands a cgroup mount on a hybrid host into a read-only tmpfs and one mount per hierarchy (CVE-2023-25809)', () => {
    const host = fakeHost({
      cgroup: { mode: 'hybrid', v1Hierarchies: { memory: 'memory', 'cpu,cpuacct': 'cpu,cpuacct' }, v2Root: '/sys/fs/cgroup/unified' },
    });
    const mounts = initOps(spec, { ...opts, host }).filter((o) => o.kind === 'mount' && String(o.args.path).startsWith('/sys/fs/cgroup'));
    expect(mounts.map((m) => [m.args.path, m.args.fstype, m.args.data ?? ''])).toEqual([
      ['/sys/fs/cgroup', 'tmpfs', 'mode=755'],
      ['/sys/fs/cgroup/memory', 'cgroup', 'memory'],
      ['/sys/fs/cgroup/cpu,cpuacct', 'cgroup', 'cpu,cpuacct'],
      ['/sys/fs/cgroup/unified', 'cgroup2', ''],
      ['/sys/fs/cgroup', 'tmpfs', 'mode=755'],
    ]);
    for (const m of mounts.slice(1)) expect(Number(m.args.flags) & MS.MS_RDONLY).toBeTruthy();
  });

  it('refuses a config without a mount namespace', () => {
    const s = defaultSpec({ args: ['/bin/sh'] });
    s.linux!.namespaces = [{ type: 'pid' }];
    expect(() => compile(s, opts)).toThrow(/mount namespace is required/);
  });

  it('renders every op with its spec section', () => {
    const text = renderPlan(compile(spec, opts));
    expect(text).toContain('pivot_root(".", ".")');
    expect(text).toContain('config-linux.md#masked-paths');
    expect(text).toContain('SECURITY CVE-2025-31133');
    expect(text).toMatch(/unshare\(CLONE_NEW/);
  });
});

describe('compileExec', () => {
  it('joins every namespace of the container through /proc/<pid>/ns, mount last, and never waits on exec.fifo', () => {
    const spec = defaultSpec({ args: ['/bin/sh'] });
    const plan = compileExec(spec, spec.process!, { id: 'x', bundle: '/b', rootfs: '/b/rootfs', initPid: 42 });
    const ops = plan.ops.filter((o): o is InitOp => o.stage !== 'runtime');
    const joins = ops.filter((o) => o.kind === 'join-namespace').map((o) => String(o.args.path));
    expect(joins.every((p) => p.startsWith('/proc/42/ns/'))).toBe(true);
    expect(joins.at(-1)).toBe('/proc/42/ns/mnt');
    expect(ops.map((o) => o.kind)).not.toContain('wait-start');
    expect(ops.at(-1)!.kind).toBe('exec');
  });
});

describe('linux.mountLabel (config-linux.md#mount-label)', () => {
  const spec = defaultSpec({ args: ['/bin/sh'] });
  spec.linux!.mountLabel = 'system_u:object_r:container_file_t:s0:c1,c2';
  const dataOf = (host: ReturnType<typeof fakeHost>) =>
    compile(spec, { ...opts, host })
      .ops.filter((o): o is InitOp => o.kind === 'mount')
      .map((o) => [o.args.path, o.args.data ?? '']);

  it('adds a context= option to tmpfs, devpts and mqueue mounts on an SELinux host, never to binds or proc', () => {
    const mounts = Object.fromEntries(dataOf(fakeHost({ lsms: ['selinux'] })));
    expect(mounts['/dev']).toContain('context="system_u:object_r:container_file_t:s0:c1,c2"');
    expect(mounts['/dev/pts']).toContain('context="system_u:object_r:container_file_t:s0:c1,c2"');
    expect(mounts['/dev/mqueue']).toContain('context=');
    expect(mounts['/proc']).not.toContain('context=');
  });

  it('leaves the mounts alone and warns where SELinux is off', () => {
    const plan = compile(spec, { ...opts, host: fakeHost({ lsms: [] }) });
    expect(dataOf(fakeHost({ lsms: [] })).some(([, d]) => String(d).includes('context='))).toBe(false);
    expect(plan.warnings.join('\n')).toMatch(/linux.mountLabel: SELinux is not enabled on this host/);
  });
});
