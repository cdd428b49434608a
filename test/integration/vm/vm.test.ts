/**
 * `joey --vm`: the same bundle in a QEMU microVM (docs/vm.md §6, design.md §7).
 * Needs root, qemu-system-x86_64 and a guest kernel (`npm run build:vm`);
 * each test boots one VM (~1.5-4 s under TCG on an idle 2-core host).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cid, isRoot, joey, JOEY, leftovers, lines, type makeBundle } from '../helpers.js';
import { kernel, qemu, T, vmReason as reason, vmSuite, until } from './env.js';

const { root, bundle, vm } = vmSuite('vm');

/**
 * A detached create/run: QEMU inherits the caller's stdout and stderr (as
 * runc's container does), so give it files, not pipes a sync spawn would wait on.
 */
function detached(b: string, args: string[]): { status: number | null; stderr: string; out: string } {
  const out = join(b, 'out.log');
  const err = join(b, 'err.log');
  const o = fs.openSync(out, 'w');
  const e = fs.openSync(err, 'w');
  const r = spawnSync(JOEY, ['--root', root, '--vm', ...args], { stdio: ['ignore', o, e], timeout: 170_000 });
  fs.closeSync(o);
  fs.closeSync(e);
  return { status: r.status, stderr: fs.readFileSync(err, 'utf8'), out };
}

function qemuPid(id: string): number {
  return (JSON.parse(fs.readFileSync(join(root, id, 'state.json'), 'utf8')) as { pid: number }).pid;
}

function status(id: string): string {
  const r = joey(root, ['state', id]);
  return r.status === 0 ? (JSON.parse(r.stdout) as { status: string }).status : `error: ${r.stderr}`;
}


describe.runIf(isRoot && qemu && kernel)(`joey --vm (${reason})`, () => {
  it('run relays stdin and stdout in order, complete, and exits with the container status', { timeout: T }, () => {
    const id = cid('vm');
    const b = bundle(['/bin/probe', 'cat', '/dev/stdin', ';', 'cat', '/big', ';', 'echo', 'last line', ';', 'exit', '7']);
    // more than one 64 KiB frame, so ordering across frames is checked too
    const big = Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    fs.writeFileSync(join(b, 'rootfs', 'big'), big);
    const r = joey(root, ['--vm', 'run', '--bundle', b, id], { timeout: 170_000, input: 'from stdin\n' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(7);
    expect(r.stdout.startsWith(`from stdin\n${big}`)).toBe(true);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('last line');
    expect(leftovers(root, id)).toEqual([]);
  });

  it('hostname, capabilities, no_new_privs and seccomp are applied inside the guest', { timeout: T }, () => {
    const id = cid('vm');
    const b = bundle(['/bin/probe', 'hostname', ';', 'status'], (s) => {
      s.hostname = 'in-a-vm';
    });
    const r = vm(['run', '--bundle', b, id]);
    expect(r.status).toBe(0);
    expect(lines(r.stdout, 'hostname')).toEqual(['in-a-vm']);
    // joey spec's default set: AUDIT_WRITE, KILL, NET_BIND_SERVICE
    expect(r.stdout).toMatch(/^CapEff:\s+0000000020000420$/m);
    expect(r.stdout).toMatch(/^CapBnd:\s+0000000020000420$/m);
    expect(r.stdout).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(r.stdout).toMatch(/^Seccomp:\s+2$/m);
  });

  it('a read-only rootfs cannot be written', { timeout: T }, () => {
    const id = cid('vm');
    const b = bundle(['/bin/probe', 'write', '/tmp/x', 'data'], (s) => {
      s.root!.readonly = true;
    });
    const r = vm(['run', '--bundle', b, id]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('write /tmp/x error Read-only file system');
    expect(fs.existsSync(join(b, 'rootfs', 'tmp', 'x'))).toBe(false);
  });

  it('memory, pids and device limits are enforced by the guest cgroup v2', { timeout: T }, () => {
    const id = cid('vm');
    const opens = ['/loop0', '/loop1', '/dev/null'].flatMap((p) => ['open', p, ';']);
    const b = bundle(['/bin/probe', 'cat', '/sys/fs/cgroup/memory.max', ';', 'cat', '/sys/fs/cgroup/pids.max', ';', ...opens, 'fork', '30', ';', 'alloc', '200'], (s) => {
      s.linux!.resources = {
        memory: { limit: 64 * 1024 * 1024 },
        pids: { limit: 10 },
        devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'b', major: 7, minor: 1, access: 'r' }],
      };
    });
    // block nodes in the rootfs (the 9p share passes them through): the eBPF
    // filter refuses b 7:0 before the driver is asked; b 7:1 is allowed, and
    // the guest, which has no loop driver, answers ENXIO
    for (const [name, minor] of [['loop0', '0'], ['loop1', '1']] as const) {
      expect(spawnSync('mknod', [join(b, 'rootfs', name), 'b', '7', minor]).status).toBe(0);
    }
    const r = vm(['run', '--bundle', b, id]);
    expect(r.stdout).toContain('open /loop0 Operation not permitted\n');
    expect(r.stdout).toContain('open /loop1 No such device or address\n');
    expect(r.stdout).toContain('open /dev/null ok\n'); // runc's default devices stay allowed
    expect(r.stdout).toContain('67108864\n');
    expect(r.stdout).toContain('10\n');
    expect(r.stdout).toMatch(/fork \d+ failed Resource temporarily unavailable/);
    expect(r.stdout).not.toContain('alloc 200 MiB ok');
    expect(r.status).toBe(137); // the guest's OOM killer
  });

  it('create, start, state, kill, delete: QEMU is state.pid and nothing is left', { timeout: T }, async () => {
    const id = cid('vm');
    const b = bundle(['/bin/probe', 'wait-signal']);
    const c = detached(b, ['create', '--bundle', b, id]);
    const out = c.out;
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    expect(status(id)).toBe('created');
    const pid = qemuPid(id);
    expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('qemu-system-x86_64');
    expect(joey(root, ['start', id]).status).toBe(0);
    expect(status(id)).toBe('running');
    expect(await until(() => fs.readFileSync(out, 'utf8').includes('waiting'), 10_000)).toBe(true);
    expect(joey(root, ['kill', id, 'TERM']).status).toBe(0);
    expect(await until(() => status(id) === 'stopped', 20_000)).toBe(true);
    expect(fs.readFileSync(out, 'utf8')).toBe('waiting\nsignal 15\n');
    expect(joey(root, ['delete', id]).status).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('exec runs a second process in the container\'s namespaces: stdin, stdout, exit status; --tty; --detach', { timeout: T }, async () => {
    const id = cid('vm');
    const b = bundle(['/bin/probe', 'wait-signal'], (s) => {
      s.hostname = 'exec-host';
    });
    const c = detached(b, ['run', '--detach', '--bundle', b, id]);
    expect(c.status).toBe(0);
    const r = joey(root, ['exec', id, '/bin/probe', 'hostname', ';', 'pid', ';', 'cat', '/dev/stdin', ';', 'exit', '5'], { input: 'via exec\n', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(5);
    expect(lines(r.stdout, 'hostname')).toEqual(['exec-host']);
    expect(lines(r.stdout, 'pid')).toEqual(['2']); // the container's pid namespace, its init is 1
    expect(r.stdout).toContain('via exec\n');
    expect(status(id)).toBe('running');
    // exec --tty: a pty from the guest's devpts, relayed to our terminal (script(1) gives us one)
    const t = spawnSync('script', ['-qec', `${JOEY} --root ${root} exec -t ${id} /bin/probe isatty ';' exit 4`, '/dev/null'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    expect(t.stdout.split(/\r*\n/).map((l) => l.replace(/\^@/g, ''))).toContain('isatty 1 /dev/pts/0');
    expect(t.status).toBe(4);
    // exec --detach: returns at once with the guest pid; the output goes where the container's does
    const pidFile = join(b, 'exec.pid');
    const d = joey(root, ['exec', '--detach', '--pid-file', pidFile, id, '/bin/probe', 'sleep', '1', ';', 'echo', 'detached exec'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    expect(d.stderr).toBe('');
    expect(d.status).toBe(0);
    expect(fs.readFileSync(pidFile, 'utf8')).toMatch(/^\d+$/);
    expect(await until(() => fs.readFileSync(c.out, 'utf8').includes('detached exec\n'), 30_000)).toBe(true);
    // a console socket for an exec would need a relay port per process
    const cs = joey(root, ['exec', '--tty', '--console-socket', join(b, 'none.sock'), id, '/bin/probe', 'isatty']);
    expect(cs.status).not.toBe(0);
    expect(cs.stderr.trim().split('\n')).toHaveLength(1);
    expect(cs.stderr).toContain('exec --console-socket');
    expect(status(id)).toBe('running');
    expect(joey(root, ['delete', '--force', id]).status).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('a crashed QEMU reads as stopped, and delete cleans up', { timeout: T }, async () => {
    const id = cid('vm');
    const b = bundle(['/bin/probe', 'sleep', '600']);
    const c = detached(b, ['run', '--detach', '--bundle', b, id]);
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    expect(status(id)).toBe('running');
    process.kill(qemuPid(id), 'SIGKILL');
    expect(await until(() => status(id) === 'stopped', 10_000)).toBe(true);
    expect(joey(root, ['delete', id]).status).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('a QEMU killed during a foreground run fails the run and leaves nothing', { timeout: T }, async () => {
    const id = cid('vm');
    const b = bundle(['/bin/probe', 'echo', 'up', ';', 'sleep', '600']);
    const child = spawn(JOEY, ['--root', root, '--vm', 'run', '--bundle', b, id], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const done = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    expect(await until(() => out.includes('up'), 150_000)).toBe(true);
    process.kill(qemuPid(id), 'SIGKILL');
    expect(await done).not.toBe(0);
    expect(err).toMatch(/microVM went away/);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('errors name the fix: no QEMU, no kernel, boot timeout; what --vm refuses is one line naming the field', { timeout: T }, () => {
    const b = bundle(['/bin/probe', 'exit', '0']);
    const noQemu = vm(['run', '--bundle', b, cid('vm')], { JOEY_QEMU: '/nonexistent/qemu' });
    expect(noQemu.status).not.toBe(0);
    expect(noQemu.stderr.trim().split('\n')).toHaveLength(1);
    expect(noQemu.stderr).toContain('apt-get install qemu-system-x86');
    const noKernel = vm(['run', '--bundle', b, cid('vm')], { JOEY_VM_CACHE: '/nonexistent', JOEY_VM_KERNEL: '' });
    expect(noKernel.status).not.toBe(0);
    expect(noKernel.stderr).toMatch(/npm run build:vm.*joey vm kernel build/);
    // what --vm still refuses: one line naming the field, before any boot
    const refused: [string[], (s: Parameters<NonNullable<Parameters<typeof makeBundle>[1]>>[0]) => void, RegExp][] = [
      [[], (s) => {
        s.linux!.namespaces!.push({ type: 'user' });
        s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      }, /^joey: linux\.namespaces: a user namespace is not supported with --vm/],
      [['--preserve-fds', '1'], () => {}, /^joey: --preserve-fds: not supported with --vm/],
    ];
    for (const [flags, edit, message] of refused) {
      const rb = bundle(['/bin/probe', 'exit', '0'], edit);
      const r = vm(['run', ...flags, '--bundle', rb, cid('vm')]);
      expect(r.status).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    // QEMU starts from the raw config.json before it is validated
    // (src/vm/launch.ts): an invalid one still fails with its one-line spec
    // error and leaves no QEMU and no state, for run and for create
    const bad = bundle(['/bin/probe', 'exit', '0'], (s) => {
      s.process!.rlimits = [{ type: 'RLIMIT_TEST', hard: 1, soft: 1 }];
    });
    for (const verb of ['run', 'create']) {
      const badId = cid('vm');
      const r = verb === 'run' ? vm(['run', '--bundle', bad, badId]) : detached(bad, ['create', '--bundle', bad, badId]);
      expect(r.status, verb).not.toBe(0);
      expect(r.stderr.trim().split('\n'), verb).toHaveLength(1);
      expect(r.stderr, verb).toMatch(/^joey: process\.rlimits\[0\]\.type: unknown rlimit "RLIMIT_TEST"/);
      expect(leftovers(root, badId), verb).toEqual([]);
    }
    const id = cid('vm');
    const slow = vm(['run', '--bundle', b, id], { JOEY_VM_BOOT_TIMEOUT_MS: '300' });
    expect(slow.status).not.toBe(0);
    expect(slow.stderr).toMatch(/did not boot within 0.3s under TCG.*--vm-accel=kvm/);
    expect(leftovers(root, id)).toEqual([]);
  });
});
