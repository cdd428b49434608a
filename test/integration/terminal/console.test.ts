/**
 * process.terminal — config.md#process (terminal, consoleSize); clients.md §5.1
 *
 * The pty comes from the container's own devpts and its master reaches the
 * --console-socket as one sendmsg: data "/dev/ptmx", exactly one SCM_RIGHTS
 * fd, then EOF. Without a socket, `run` and `exec` in the foreground relay
 * the master to their own terminal (checked under script(1)).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as tty from 'node:tty';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JOEY, cid, consoleReceiver, isRoot, joey, leftovers, makeBundle, ptyLines, removeBundle, stateRoot } from '../helpers.js';

/** Everything the master yields until the slave's last holder is gone (EIO). */
function readMaster(master: number, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve) => {
    const s = new tty.ReadStream(master);
    let out = '';
    const timer = setTimeout(() => finish(), timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(out);
    };
    s.on('data', (d: Buffer) => (out += d.toString()));
    s.on('error', finish);
    s.on('end', finish);
  });
}

describe.runIf(isRoot)('process.terminal (needs root)', () => {
  const root = stateRoot('terminal');
  const bundles: string[] = [];
  afterAll(() => bundles.forEach(removeBundle));
  const bundle = (args: string[], edit?: Parameters<typeof makeBundle>[1]) => {
    const b = makeBundle(args, edit);
    bundles.push(b);
    return b;
  };

  it('create --console-socket: one fd from the container devpts, "/dev/ptmx", then EOF; consoleSize applied', async () => {
    const id = cid('tty');
    const b = bundle(['/bin/probe', 'isatty', ';', 'winsize', ';', 'fds'], (s) => {
      s.process!.terminal = true;
      s.process!.consoleSize = { height: 40, width: 120 };
    });
    const r = await consoleReceiver();
    try {
      const c = spawnSync(JOEY, ['--root', root, 'create', '--bundle', b, '--console-socket', r.path, id], { encoding: 'utf8', timeout: 30_000 });
      expect(c.stderr).toBe('');
      expect(c.stdout).toBe('');
      expect(c.status).toBe(0);
      const got = await r.got;
      expect(got.data).toBe('/dev/ptmx');
      expect(got.fds).toHaveLength(1);
      expect(got.rest).toBe(0);
      const master = got.fds[0]!;
      // The master of the container's devpts instance: /dev/pts/ptmx, 5:2.
      const st = fs.fstatSync(master);
      expect(st.isCharacterDevice()).toBe(true);
      expect([Math.floor(st.rdev / 256), st.rdev % 256]).toEqual([5, 2]);
      const output = readMaster(master);
      expect(joey(root, ['start', id]).status).toBe(0);
      const lines = ptyLines(await output);
      expect(lines).toContain('isatty 1 /dev/pts/0');
      expect(lines).toContain('winsize 40 120');
      // stdio is the slave; nothing else reached the process
      expect(lines.filter((l) => l.startsWith('fd ')).map((l) => l.split(' ')[1])).toEqual(['0', '1', '2']);
    } finally {
      r.close();
      joey(root, ['delete', '--force', id]);
    }
    expect(leftovers(root, id)).toEqual([]);
  });

  it('exec --tty --console-socket --detach: the master of the container devpts, the process reparented and running', async () => {
    const id = cid('ttyx');
    const b = bundle(['/bin/probe', 'sleep', '30']);
    expect(joey(root, ['run', '-d', '--bundle', b, id], { stdio: 'ignore' }).status).toBe(0);
    const r = await consoleReceiver();
    const pidFile = join(tmpdir(), `${id}.pid`);
    try {
      const e = joey(root, ['exec', '--tty', '--console-socket', r.path, '--detach', '--pid-file', pidFile, id, '/bin/probe', 'isatty', ';', 'winsize', ';', 'exit', '4'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(e.stderr).toBe('');
      expect(e.status).toBe(0);
      expect(fs.readFileSync(pidFile, 'utf8')).toMatch(/^\d+$/);
      const got = await r.got;
      expect(got.data).toBe('/dev/ptmx');
      expect(got.fds).toHaveLength(1);
      const lines = ptyLines(await readMaster(got.fds[0]!));
      expect(lines).toContain('isatty 1 /dev/pts/0');
      expect(lines.some((l) => l.startsWith('winsize '))).toBe(true);
    } finally {
      r.close();
      fs.rmSync(pidFile, { force: true });
      joey(root, ['delete', '--force', id]);
    }
    expect(leftovers(root, id)).toEqual([]);
  });

  it('run with a terminal and no socket relays the pty to its own terminal and exits with the status (script -qec)', () => {
    const id = cid('ttyrun');
    const b = bundle(['/bin/probe', 'isatty', ';', 'winsize', ';', 'exit', '3'], (s) => {
      s.process!.terminal = true;
      s.process!.consoleSize = { height: 40, width: 120 };
    });
    const r = spawnSync('script', ['-qec', `${JOEY} --root ${root} run --bundle ${b} ${id}`, '/dev/null'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    const lines = ptyLines(r.stdout);
    expect(lines).toContain('isatty 1 /dev/pts/0');
    expect(lines).toContain('winsize 40 120');
    expect(r.status).toBe(3);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('run without consoleSize takes the size of the user terminal', () => {
    const id = cid('ttysz');
    const b = bundle(['/bin/probe', 'winsize'], (s) => {
      s.process!.terminal = true;
      delete s.process!.consoleSize;
    });
    const r = spawnSync('script', ['-qec', `stty rows 22 cols 77; ${JOEY} --root ${root} run --bundle ${b} ${id}`, '/dev/null'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    expect(ptyLines(r.stdout)).toContain('winsize 22 77');
    expect(r.status).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('exec -t in the foreground relays the pty and exits with the status', () => {
    const id = cid('ttyfx');
    const b = bundle(['/bin/probe', 'sleep', '30']);
    const d = joey(root, ['--log', join(b, 'log'), 'run', '-d', '--bundle', b, id], { stdio: 'ignore' });
    expect(d.status, fs.existsSync(join(b, 'log')) ? fs.readFileSync(join(b, 'log'), 'utf8') : '').toBe(0);
    try {
      const r = spawnSync('script', ['-qec', `${JOEY} --root ${root} exec -t ${id} /bin/probe isatty ';' exit 5`, '/dev/null'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
      expect(ptyLines(r.stdout)).toContain('isatty 1 /dev/pts/0');
      expect(r.status).toBe(5);
    } finally {
      joey(root, ['delete', '--force', id]);
    }
    expect(leftovers(root, id)).toEqual([]);
    expect(fs.readdirSync(tmpdir()).filter((n) => n.startsWith('joey-console-'))).toEqual([]);
  });

  it('a terminal nobody receives is refused: create without a socket, exec -t --detach without a socket', () => {
    const id = cid('ttyno');
    const b = bundle(['/bin/probe', 'isatty'], (s) => (s.process!.terminal = true));
    const c = joey(root, ['create', '--bundle', b, id]);
    expect(c.status).toBe(1);
    expect(c.stderr).toContain('--console-socket');
    expect(leftovers(root, id)).toEqual([]);
    const d = joey(root, ['run', '-d', '--bundle', b, id]);
    expect(d.status).toBe(1);
    expect(leftovers(root, id)).toEqual([]);

    const id2 = cid('ttyno');
    const b2 = bundle(['/bin/probe', 'sleep', '30']);
    expect(joey(root, ['run', '-d', '--bundle', b2, id2], { stdio: 'ignore' }).status).toBe(0);
    try {
      const e = joey(root, ['exec', '-t', '-d', id2, '/bin/probe', 'isatty']);
      expect(e.status).toBe(255);
      expect(e.stderr).toContain('--console-socket');
    } finally {
      joey(root, ['delete', '--force', id2]);
    }
    expect(leftovers(root, id2)).toEqual([]);
  });
});
