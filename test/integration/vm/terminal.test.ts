/**
 * `joey --vm` with a terminal, and OCI hooks in VM mode — docs/vm.md §6.10,
 * config.md#process (terminal, consoleSize), config.md#posix-platform-hooks,
 * runtime.md#lifecycle; src/vm/backend.ts's header has the design.
 * Two boots: `run -t` under script(1), and `create --console-socket` with
 * every kind of hook (combined to keep the number of boots small under TCG).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as tty from 'node:tty';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addon } from '../../../src/native/addon.js';
import { cid, consoleReceiver, isRoot, joey, JOEY, leftovers, ptyLines } from '../helpers.js';
import { kernel, qemu, T, vmReason as reason, vmSuite, until } from './env.js';

const { root, bundle } = vmSuite('vm-tty');

function status(id: string): string {
  const r = joey(root, ['state', id]);
  return r.status === 0 ? (JSON.parse(r.stdout) as { status: string }).status : `error: ${r.stderr}`;
}

function alive(pid: number): boolean {
  try {
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

describe.runIf(isRoot && qemu && kernel)(`joey --vm with a terminal, and hooks (${reason})`, () => {
  it('run -t relays the guest pty raw: isatty, the user terminal size, a resize (SIGWINCH → W), the exit status', { timeout: T }, () => {
    const id = cid('vmtty');
    const b = bundle(['/bin/probe', 'isatty', ';', 'winsize', ';', 'wait-signal', ';', 'winsize', ';', 'exit', '3'], (s) => {
      s.process!.terminal = true;
      delete s.process!.consoleSize;
    });
    const log = join(b, 'typescript');
    // script(1) gives joey a terminal; the inner shell resizes it once the
    // container waits for a signal (stty → SIGWINCH to joey → `W` → guest pty).
    // One ioctl per resize: `stty rows R cols C` is two TIOCSWINSZ, two
    // SIGWINCHes, and the container may print the size between them.
    const inner = [
      'stty rows 22 cols 100',
      `${JOEY} --root ${root} --vm run --bundle ${b} ${id} < /dev/tty & p=$!`,
      `i=0; while ! grep -q '^waiting' ${log} && [ $i -lt 1500 ]; do sleep 0.1; i=$((i+1)); done`,
      'stty rows 30',
      'wait $p',
    ].join('; ');
    const r = spawnSync('script', ['-qfec', inner, log], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 170_000 });
    const lines = ptyLines(r.stdout);
    expect(lines).toContain('isatty 1 /dev/pts/0');
    expect(lines).toContain('winsize 22 100');
    expect(lines).toContain('signal 28'); // SIGWINCH
    expect(lines.indexOf('winsize 30 100')).toBeGreaterThan(lines.indexOf('signal 28'));
    expect(r.status).toBe(3);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('create --console-socket: a host pty master, relayed to the guest pty with input and resizes; hooks run at their points', { timeout: T }, async () => {
    const id = cid('vmcs');
    const hooksDir = fs.mkdtempSync(join(tmpdir(), 'joey-vm-hooks-'));
    const record = (name: string) => ({ path: '/bin/sh', args: ['sh', '-c', `cat > ${hooksDir}/${name}.json`] });
    const b = bundle(['/bin/probe', 'isatty', ';', 'winsize', ';', 'wait-signal', ';', 'winsize', ';', 'cat', '/dev/stdin', ';', 'exit', '6'], (s) => {
      s.process!.terminal = true;
      s.process!.consoleSize = { height: 40, width: 120 };
      s.root!.readonly = false;
      s.hooks = {
        prestart: [record('prestart')],
        createRuntime: [record('createRuntime')],
        createContainer: [record('createContainer')],
        // in the guest, in the container: the path is the container's /bin/probe
        startContainer: [{ path: '/bin/probe', args: ['probe', 'write', '/start-hook', 'ran'] }],
        poststart: [record('poststart')],
        poststop: [record('poststop')],
      };
    });
    const hook = (name: string) => {
      try {
        return JSON.parse(fs.readFileSync(join(hooksDir, `${name}.json`), 'utf8')) as { id: string; status: string; pid?: number; bundle: string };
      } catch {
        return undefined;
      }
    };
    const r = await consoleReceiver(10_000);
    let master = -1;
    try {
      // QEMU inherits create's stdout and stderr: files, not pipes a sync spawn would wait on
      const out = fs.openSync(join(b, 'out.log'), 'w');
      const err = fs.openSync(join(b, 'err.log'), 'w');
      const c = spawnSync(JOEY, ['--root', root, '--vm', 'create', '--console-socket', r.path, '--bundle', b, id], { stdio: ['ignore', out, err], timeout: 170_000 });
      fs.closeSync(out);
      fs.closeSync(err);
      expect(fs.readFileSync(join(b, 'err.log'), 'utf8')).toBe('');
      expect(c.status).toBe(0);
      const got = await r.got;
      expect(got.data).toBe('/dev/ptmx');
      expect(got.fds).toHaveLength(1);
      expect(got.rest).toBe(0);
      master = got.fds[0]!;
      expect(fs.fstatSync(master).isCharacterDevice()).toBe(true);

      // the host relay stays resident beside QEMU (vm.console in state.json)
      const st = JSON.parse(fs.readFileSync(join(root, id, 'state.json'), 'utf8')) as { pid: number; vm: { console?: { pid: number } } };
      const relay = st.vm.console!.pid;
      expect(fs.readFileSync(`/proc/${relay}/cmdline`, 'utf8')).toContain('vm-relay');

      // prestart, createRuntime, createContainer: on the host, during create, with QEMU's pid
      for (const name of ['prestart', 'createRuntime', 'createContainer']) {
        expect(hook(name)).toMatchObject({ id, status: 'creating', pid: st.pid, bundle: b });
      }
      expect(hook('poststart')).toBeUndefined();
      expect(status(id)).toBe('created');

      let text = '';
      const s = new tty.ReadStream(master);
      s.on('data', (d: Buffer) => (text += d.toString()));
      s.on('error', () => {});
      expect(joey(root, ['start', id]).status).toBe(0);
      expect(hook('poststart')).toMatchObject({ id, status: 'running' });
      expect(await until(() => text.includes('waiting'), 60_000)).toBe(true);
      addon().setWinsize(master, 30, 100);
      expect(await until(() => text.includes('winsize 30 100'), 20_000)).toBe(true);
      fs.writeSync(master, 'hello tty\n');
      expect(await until(() => (text.match(/hello tty/g) ?? []).length >= 2, 20_000)).toBe(true); // the guest pty's echo, then cat
      fs.writeSync(master, '\x04');
      expect(await until(() => status(id) === 'stopped', 30_000)).toBe(true);
      const lines = ptyLines(text);
      expect(lines).toContain('isatty 1 /dev/pts/0');
      expect(lines).toContain('winsize 40 120'); // process.consoleSize
      expect(lines).toContain('signal 28');
      // the relay follows QEMU out
      expect(await until(() => !alive(relay), 10_000)).toBe(true);
      s.destroy();
      master = -1;

      // startContainer ran in the guest, in the container's rootfs
      expect(fs.readFileSync(join(b, 'rootfs', 'start-hook'), 'utf8')).toBe('ran');
      expect(hook('poststop')).toBeUndefined();
      expect(joey(root, ['delete', id]).status).toBe(0);
      expect(hook('poststop')).toMatchObject({ id, status: 'stopped' });
    } finally {
      if (master >= 0) fs.closeSync(master);
      r.close();
      joey(root, ['delete', '--force', id]);
      fs.rmSync(hooksDir, { recursive: true, force: true });
    }
    expect(leftovers(root, id)).toEqual([]);
  });

  it('a failing createRuntime hook fails create with its one-line error and leaves no VM behind', { timeout: T }, () => {
    const id = cid('vmhk');
    const b = bundle(['/bin/probe', 'echo', 'never'], (s) => {
      s.hooks = { createRuntime: [{ path: '/bin/false' }] };
    });
    const r = joey(root, ['--vm', 'run', '--bundle', b, id], { timeout: 170_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('joey: hooks.createRuntime[0] `/bin/false`: exit status 1\n');
    expect(r.stdout).not.toContain('never');
    expect(leftovers(root, id)).toEqual([]);
  });
});
