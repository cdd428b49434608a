/**
 * seccomp from inside real containers (issue 3 §3): config-linux.md#seccomp,
 * seccomp(2), seccomp_unotify(2). A denied syscall returns the configured
 * errno, an allowed one works, the `joey spec` profile runs a busybox shell,
 * argument matching, SCMP_ACT_NOTIFY with a listener, `joey plan
 * --show-seccomp`, and bad profiles fail cleanly.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addon } from '../../../src/native/addon.js';
import type { LinuxSeccomp, Spec } from '../../../src/spec/types.js';
import { cid, isRoot, joey, leftovers, lines, makeBundle, removeBundle, stateRoot } from '../helpers.js';
import { addBusybox, joeyAsync, statusFields } from './util.js';

const ENOSYS = 38;
const EXDEV = 18;

/** A profile that allows everything but what the test is about. */
function allowAllBut(syscalls: LinuxSeccomp['syscalls'], extra: Partial<LinuxSeccomp> = {}): LinuxSeccomp {
  return { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls, ...extra };
}

describe.runIf(isRoot)('seccomp in real containers (root)', () => {
  const root = stateRoot('process-seccomp');
  const bundles: string[] = [];
  const work = fs.mkdtempSync(join(tmpdir(), 'joey-seccomp-'));
  afterAll(() => {
    bundles.forEach(removeBundle);
    fs.rmSync(work, { recursive: true, force: true });
  });

  function bundleOf(args: string[], edit: (s: Spec) => void): string {
    const b = makeBundle(args, (s) => {
      s.root!.readonly = false;
      edit(s);
    });
    bundles.push(b);
    return b;
  }

  function run(args: string[], edit: (s: Spec) => void) {
    const bundle = bundleOf(args, edit);
    const id = cid('sc');
    const r = joey(root, ['run', '--bundle', bundle, id]);
    return { ...r, id, bundle };
  }

  it('a syscall denied by the profile returns the configured errno; an allowed one works', () => {
    const r = run(['probe', 'mkdir', '/tmp/x', ';', 'write', '/tmp/y', 'hi', ';', 'status'], (s) => {
      s.linux!.seccomp = allowAllBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS }]);
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(lines(r.stdout, 'mkdir')).toEqual(['/tmp/x Function not implemented']);
    expect(lines(r.stdout, 'write')).toEqual(['/tmp/y ok']);
    expect(statusFields(r.stdout).Seccomp).toBe('2');
    expect(fs.existsSync(join(r.bundle, 'rootfs', 'tmp', 'x'))).toBe(false);
    expect(leftovers(root, r.id)).toEqual([]);
  });

  it('the `joey spec` default profile runs a busybox shell normally', () => {
    const bundle = bundleOf(['sh', '-c', 'echo hello from sh; mkdir /tmp/d && echo made; ls /tmp; id -u; cat /proc/self/status | grep ^Seccomp: ; echo a b c | wc -w'], () => {});
    addBusybox(join(bundle, 'rootfs'));
    const config = JSON.parse(fs.readFileSync(join(bundle, 'config.json'), 'utf8')) as Spec;
    expect(config.linux?.seccomp?.defaultAction).toBe('SCMP_ACT_ERRNO');
    const id = cid('sc');
    const r = joey(root, ['run', '--bundle', bundle, id]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toEqual(['hello from sh', 'made', 'd', '0', 'Seccomp:\t2', '3', '']);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('the default profile denies what it leaves out (unshare: EPERM) while the shell goes on', () => {
    const bundle = bundleOf(['sh', '-c', 'unshare -U true; echo after $?'], (s) => {
      // with CAP_SYS_ADMIN, so the capability check is not what refuses it
      for (const set of ['bounding', 'effective', 'permitted'] as const) s.process!.capabilities![set]!.push('CAP_SYS_ADMIN');
    });
    addBusybox(join(bundle, 'rootfs'));
    fs.symlinkSync('busybox', join(bundle, 'rootfs', 'bin', 'unshare'));
    const id = cid('sc');
    const r = joey(root, ['run', '--bundle', bundle, id]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('Operation not permitted');
    expect(r.stdout).toBe('after 1\n');
    expect(leftovers(root, id)).toEqual([]);
  });

  it('argument matching: personality allowed only for the query value 0xffffffff', () => {
    const allowQuery = run(['probe', 'personality'], (s) => {
      s.linux!.seccomp = allowAllBut([
        { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value: 0xffffffff, op: 'SCMP_CMP_NE' }] },
      ]);
    });
    expect(allowQuery.stderr).toBe('');
    expect(allowQuery.stdout).toBe('personality 0x0\n');
    // the same rule with another allowed value: the query is refused, personality() returns -1
    const denyQuery = run(['probe', 'personality'], (s) => {
      s.linux!.seccomp = allowAllBut([
        { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value: 8, op: 'SCMP_CMP_NE' }] },
      ]);
    });
    expect(denyQuery.stderr).toBe('');
    expect(denyQuery.stdout).toBe('personality 0xffffffff\n');
    // and the default profile allows the query (Docker's personality values)
    const dflt = run(['probe', 'personality'], () => {});
    expect(dflt.stdout).toBe('personality 0x0\n');
  });

  describe('SCMP_ACT_NOTIFY with listenerPath and listenerMetadata', () => {
    const helper = join(work, 'notify-helper');
    let built: { status: number | null; stderr: string } = { status: null, stderr: 'not built' };
    beforeAll(() => {
      built = spawnSync('gcc', ['-O2', '-Wall', '-o', helper, join(__dirname, 'notify-helper.c')], { encoding: 'utf8' });
    });

    /**
     * Listen on a unix socket; on the connection, take the message and the
     * notify fd (SCM_RIGHTS, which only the addon can receive) and hand the fd
     * to the C helper as its fd 3.
     */
    interface Connection {
      message: Record<string, unknown>;
      fdCount: number;
      helper: Promise<{ code: number | null; out: string }>;
    }

    async function withListener(answer: number, body: (path: string, conns: Connection[]) => Promise<void>): Promise<Connection[]> {
      const path = join(work, `listener-${answer}-${Date.now()}.sock`);
      const conns: Connection[] = [];
      const server = net.createServer({ pauseOnConnect: true }, (socket) => {
        const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
        const msg = addon().recvmsg(fd, 65536, 5000);
        const notifyFd = msg.fds[0]!;
        const child = spawn(helper, [String(answer)], { stdio: ['ignore', 'pipe', 'inherit', notifyFd] });
        for (const f of msg.fds) addon().close(f);
        socket.destroy();
        conns.push({
          message: JSON.parse(msg.data.toString('utf8')) as Record<string, unknown>,
          fdCount: msg.fds.length,
          helper: new Promise((resolve) => {
            let out = '';
            child.stdout!.on('data', (d) => (out += String(d)));
            child.on('close', (code) => resolve({ code, out }));
          }),
        });
      });
      await new Promise<void>((resolve) => server.listen(path, resolve));
      try {
        await body(path, conns);
      } finally {
        server.close();
      }
      return conns;
    }

    function notifyProfile(path: string): LinuxSeccomp {
      return allowAllBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }], { listenerPath: path, listenerMetadata: 'joey-test-metadata' });
    }

    it('create sends the notify fd and the container process state; the listener answers with an errno', async () => {
      expect(built.status, built.stderr).toBe(0);
      const id = cid('notify');
      let r: Awaited<ReturnType<typeof joeyAsync>> | undefined;
      let bundle = '';
      const [got] = await withListener(EXDEV, async (path) => {
        bundle = bundleOf(['probe', 'mkdir', '/tmp/x', ';', 'write', '/tmp/y', 'hi'], (s) => {
          s.linux!.seccomp = notifyProfile(path);
        });
        r = await joeyAsync(root, ['run', '--bundle', bundle, id]);
      });
      expect(r!.stderr).toBe('');
      expect(r!.status).toBe(0);
      expect(lines(r!.stdout, 'mkdir')).toEqual(['/tmp/x Invalid cross-device link']);
      expect(lines(r!.stdout, 'write')).toEqual(['/tmp/y ok']);
      expect(got!.fdCount).toBe(1);
      expect(got!.message).toMatchObject({
        fds: ['seccompFd'],
        metadata: 'joey-test-metadata',
        state: { id, status: 'creating', bundle },
      });
      expect(got!.message.pid).toBeGreaterThan(1);
      expect((got!.message.state as { pid: number }).pid).toBe(got!.message.pid);
      const h = await got!.helper;
      expect(h.code).toBe(0);
      expect(h.out.trim().split('\n')).toHaveLength(1);
      expect(h.out).toMatch(/^notif \d+\n$/);
      expect(fs.existsSync(join(bundle, 'rootfs', 'tmp', 'x'))).toBe(false);
      expect(leftovers(root, id)).toEqual([]);
    });

    it('the listener can answer success without the syscall running: mkdir says ok, nothing is made', async () => {
      expect(built.status, built.stderr).toBe(0);
      const id = cid('notify');
      let r: Awaited<ReturnType<typeof joeyAsync>> | undefined;
      let bundle = '';
      const [got] = await withListener(0, async (path) => {
        bundle = bundleOf(['probe', 'mkdir', '/tmp/x', ';', 'stat', '/tmp/x'], (s) => {
          s.linux!.seccomp = notifyProfile(path);
        });
        r = await joeyAsync(root, ['run', '--bundle', bundle, id]);
      });
      expect(r!.stderr).toBe('');
      expect(r!.status).toBe(0);
      expect(lines(r!.stdout, 'mkdir')).toEqual(['/tmp/x ok']);
      expect(lines(r!.stdout, 'stat')).toEqual(['/tmp/x error No such file or directory']);
      expect((await got!.helper).code).toBe(0);
      expect(leftovers(root, id)).toEqual([]);
    });

    it('exec: the exec process gets its own notify fd, sent with its pid and the container "running"', async () => {
      expect(built.status, built.stderr).toBe(0);
      const id = cid('notify');
      let e: Awaited<ReturnType<typeof joeyAsync>> | undefined;
      let containerPid = 0;
      const conns = await withListener(EXDEV, async (path, seen) => {
        const bundle = bundleOf(['probe', 'sleep', '30'], (s) => {
          s.linux!.seccomp = notifyProfile(path);
        });
        const c = await joeyAsync(root, ['create', '--bundle', bundle, id], { stdio: 'ignore' });
        expect(c.status).toBe(0);
        expect(seen).toHaveLength(1);
        containerPid = JSON.parse(joey(root, ['state', id]).stdout).pid as number;
        expect((await joeyAsync(root, ['start', id])).status).toBe(0);
        e = await joeyAsync(root, ['exec', id, 'probe', 'mkdir', '/tmp/z']);
        joey(root, ['delete', '--force', id]);
      });
      expect(e!.stderr).toBe('');
      expect(e!.stdout).toBe('mkdir /tmp/z Invalid cross-device link\n');
      expect(conns).toHaveLength(2);
      expect(conns[0]!.message).toMatchObject({ pid: containerPid, state: { id, status: 'creating', pid: containerPid } });
      expect(conns[1]!.message).toMatchObject({ fds: ['seccompFd'], metadata: 'joey-test-metadata', state: { id, status: 'running', pid: containerPid } });
      expect(conns[1]!.message.pid).not.toBe(containerPid);
      expect(conns[1]!.message.pid).toBeGreaterThan(0);
      expect((await conns[1]!.helper).out).toMatch(/^notif \d+\n$/);
      expect((await conns[0]!.helper).code).toBe(0);
      expect(leftovers(root, id)).toEqual([]);
    });

    it('a listener that is not there: a clear error, nothing left behind', () => {
      const path = join(work, 'nobody.sock');
      const r = run(['probe', 'mkdir', '/tmp/x'], (s) => {
        s.linux!.seccomp = notifyProfile(path);
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`connect to seccomp listener \`${path}\``);
      expect(leftovers(root, r.id)).toEqual([]);
    });
  });

  it('`joey plan` shows the seccomp op with its rule count, and --show-seccomp the filter', () => {
    const bundle = bundleOf(['probe', 'status'], (s) => {
      s.linux!.seccomp = allowAllBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS }]);
    });
    const plain = joey(root, ['plan', '--bundle', bundle]);
    expect(plain.status).toBe(0);
    expect(plain.stdout).toMatch(/seccomp\s+seccomp\(SECCOMP_SET_MODE_FILTER, 0x\w+, \d+ instructions\)/);
    expect(plain.stdout).toMatch(/why: 2 rules, \d+ BPF instructions/);
    expect(plain.stdout).not.toContain('filter for syscall');
    const shown = joey(root, ['plan', '--show-seccomp', '--bundle', bundle]);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain('# seccomp: 2 rules, default SCMP_ACT_ALLOW');
    expect(shown.stdout).toMatch(/filter for syscall "mkdir"/);
    expect(shown.stdout).toMatch(/action ERRNO\(38\)/);
  });

  describe('bad profiles: a clear error naming the JSON path, nothing left behind', () => {
    const cases: [string, (s: LinuxSeccomp) => void, RegExp][] = [
      ['unknown action', (sc) => ((sc.syscalls![0] as { action: string }).action = 'SCMP_ACT_BOGUS'), /linux\.seccomp\.syscalls\[0\]\.action.*SCMP_ACT_BOGUS/],
      ['unknown default action', (sc) => ((sc as { defaultAction: string }).defaultAction = 'SCMP_ACT_NOPE'), /linux\.seccomp\.defaultAction.*SCMP_ACT_NOPE/],
      ['unknown architecture', (sc) => ((sc.architectures as string[]) = ['SCMP_ARCH_BOGUS']), /linux\.seccomp\.architectures\[0\].*SCMP_ARCH_BOGUS/],
      ['argument index out of range', (sc) => (sc.syscalls![0]!.args = [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }]), /linux\.seccomp\.syscalls\[0\]\.args\[0\]\.index/],
      ['unknown argument operator', (sc) => (sc.syscalls![0]!.args = [{ index: 0, value: 1, op: 'SCMP_CMP_BOGUS' as 'SCMP_CMP_EQ' }]), /linux\.seccomp\.syscalls\[0\]\.args\[0\]\.op.*SCMP_CMP_BOGUS/],
      ['argument without a value', (sc) => (sc.syscalls![0]!.args = [{ index: 0, op: 'SCMP_CMP_EQ' } as never]), /linux\.seccomp\.syscalls\[0\]\.args\[0\]\.value/],
      ['negative argument value', (sc) => (sc.syscalls![0]!.args = [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }]), /linux\.seccomp\.syscalls\[0\]\.args\[0\]\.value/],
    ];
    for (const [name, edit, message] of cases) {
      it(name, () => {
        const r = run(['probe', 'status'], (s) => {
          s.linux!.seccomp = allowAllBut([{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }]);
          edit(s.linux!.seccomp);
        });
        expect(r.status).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(message);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(leftovers(root, r.id)).toEqual([]);
      });
    }
  });
});
