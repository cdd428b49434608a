/**
 * The runtime CLI contract as containerd, podman and docker use it
 * (shared/docs/clients.md §3, §4, §6, §7, §8): both spellings of global
 * flags, the last "level":"error" line of --log, a silent create, no leaked
 * fds, kill on a created container, an empty environment, and failures that
 * `delete --force` can always clear.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JOEY, cid, isRoot, joey, leftovers, lines, makeBundle, removeBundle, stateRoot } from '../helpers.js';

function errorLines(log: string): { level: string; msg: string; time: string }[] {
  return fs
    .readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { level: string; msg: string; time: string })
    .filter((l) => l.level === 'error');
}

function status(root: string, id: string): string | undefined {
  const r = joey(root, ['state', id]);
  return r.status === 0 ? (JSON.parse(r.stdout) as { status: string }).status : undefined;
}

describe.runIf(isRoot)('client contract (needs root)', () => {
  const root = stateRoot('contract');
  const tmp = fs.mkdtempSync(join(tmpdir(), 'joey-contract-'));
  const bundles: string[] = [];
  afterAll(() => {
    bundles.forEach(removeBundle);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  const bundle = (args: string[], edit?: Parameters<typeof makeBundle>[1]) => {
    const b = makeBundle(args, edit);
    bundles.push(b);
    return b;
  };

  it('global flags in both spellings; the last error line of --log carries the message, stderr too', () => {
    const log1 = join(tmp, 'sep.json');
    const log2 = join(tmp, 'eq.json');
    const a = spawnSync(JOEY, ['--root', root, '--log', log1, '--log-format', 'json', 'state', 'no-such-ctr'], { encoding: 'utf8' });
    const b = spawnSync(JOEY, [`--root=${root}`, `--log=${log2}`, '--log-format=json', 'state', 'no-such-ctr'], { encoding: 'utf8' });
    for (const [r, log] of [[a, log1], [b, log2]] as const) {
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('container does not exist');
      const errs = errorLines(log);
      expect(errs.at(-1)!.msg).toContain('container does not exist');
      expect(Number.isNaN(Date.parse(errs.at(-1)!.time))).toBe(false);
    }
  });

  it('a failed create: the real cause in the last error line, exit 1, nothing left; delete --force exits 0', () => {
    const id = cid('badexe');
    const b = bundle(['/nonexistent-binary']);
    const log = join(b, 'log.json');
    fs.writeFileSync(log, `${JSON.stringify({ level: 'error', msg: 'an older error', time: new Date().toISOString() })}\n`);
    const r = spawnSync(JOEY, ['--root', root, '--log', log, '--log-format', 'json', 'create', '--bundle', b, '--pid-file', join(b, 'init.pid'), id], { encoding: 'utf8', cwd: b });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const last = errorLines(log).at(-1)!;
    expect(last.msg).toContain('no such file or directory');
    expect(last.msg).toContain('/nonexistent-binary');
    expect(r.stderr).toContain(last.msg);
    expect(fs.existsSync(join(b, 'init.pid'))).toBe(false);
    expect(leftovers(root, id)).toEqual([]);
    expect(joey(root, ['delete', '--force', id]).status).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('a successful create prints nothing on the container stdio; the pid file is digits only and the init waits for start', async () => {
    const id = cid('quiet');
    const b = bundle(['/bin/probe', 'echo', 'after start']);
    const out = join(tmp, `${id}.out`);
    const err = join(tmp, `${id}.err`);
    const pidFile = join(b, 'init.pid');
    const o = fs.openSync(out, 'w');
    const e = fs.openSync(err, 'w');
    try {
      const r = spawnSync(JOEY, ['--root', root, '--log', join(b, 'log.json'), '--log-format', 'json', 'create', '--bundle', b, '--pid-file', pidFile, id], { stdio: ['ignore', o, e], cwd: b });
      expect(r.status).toBe(0);
      expect(fs.readFileSync(out, 'utf8')).toBe('');
      expect(fs.readFileSync(err, 'utf8')).toBe('');
      const pid = fs.readFileSync(pidFile, 'utf8');
      expect(pid).toMatch(/^[1-9]\d*$/);
      const st = JSON.parse(joey(root, ['state', id]).stdout) as { pid: number; status: string; bundle: string };
      expect(st.status).toBe('created');
      expect(st.pid).toBe(Number(pid));
      expect(st.bundle).toBe(b);
      expect(joey(root, ['start', id]).status).toBe(0);
      for (let i = 0; i < 100 && status(root, id) !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(fs.readFileSync(out, 'utf8')).toBe('after start\n');
      expect(fs.readFileSync(err, 'utf8')).toBe('');
    } finally {
      fs.closeSync(o);
      fs.closeSync(e);
      joey(root, ['delete', '--force', id]);
    }
    expect(leftovers(root, id)).toEqual([]);
  });

  it('an fd the caller leaks (the shim fd 3) never reaches the container', async () => {
    const id = cid('leak');
    const b = bundle(['/bin/probe', 'fds']);
    const out = join(tmp, `${id}.out`);
    const o = fs.openSync(out, 'w');
    // fd 3 of joey: a file without O_CLOEXEC, as the shim's unix socket is
    const leaked = fs.openSync(join(tmp, 'leaked'), 'w');
    try {
      const child = spawn(JOEY, ['--root', root, 'create', '--bundle', b, id], { stdio: ['ignore', o, o, leaked] });
      const code = await new Promise<number | null>((res) => child.on('exit', res));
      expect(code).toBe(0);
      expect(joey(root, ['start', id]).status).toBe(0);
      for (let i = 0; i < 100 && status(root, id) !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 50));
      const fds = lines(fs.readFileSync(out, 'utf8'), 'fd').map((l) => l.split(' ')[0]);
      expect(fds).toEqual(['0', '1', '2']);
    } finally {
      fs.closeSync(o);
      fs.closeSync(leaked);
      joey(root, ['delete', '--force', id]);
    }
    expect(leftovers(root, id)).toEqual([]);
  });

  it('kill works on a created container; kill of a stopped one fails with `container not running`', async () => {
    const id = cid('killc');
    const b = bundle(['/bin/probe', 'sleep', '30']);
    expect(joey(root, ['create', '--bundle', b, id], { stdio: 'ignore' }).status).toBe(0);
    try {
      expect(status(root, id)).toBe('created');
      const k = joey(root, ['kill', id, '9']);
      expect(k.stderr).toBe('');
      expect(k.status).toBe(0);
      for (let i = 0; i < 100 && status(root, id) !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(status(root, id)).toBe('stopped');
      const again = joey(root, ['kill', id, '15']);
      expect(again.status).toBe(1);
      expect(again.stderr).toContain('container not running');
      const start = joey(root, ['start', id]);
      expect(start.status).toBe(1);
      expect(start.stderr).toContain('cannot start a container that has stopped');
    } finally {
      expect(joey(root, ['delete', '--force', id]).status).toBe(0);
    }
    expect(leftovers(root, id)).toEqual([]);
    expect(joey(root, ['delete', '--force', id]).status).toBe(0);
    const st = joey(root, ['state', id]);
    expect(st.status).toBe(1);
    expect(st.stderr).toContain('container does not exist');
  });

  it('works with only XDG_RUNTIME_DIR= in the environment (podman kill, state, pause, delete)', () => {
    const id = cid('envi');
    const b = bundle(['/bin/probe', 'sleep', '30']);
    expect(joey(root, ['run', '-d', '--bundle', b, id], { stdio: 'ignore' }).status).toBe(0);
    const bare = (args: string[]) => spawnSync(JOEY, ['--root', root, ...args], { encoding: 'utf8', env: { XDG_RUNTIME_DIR: '' }, cwd: '/' });
    try {
      const s = bare(['state', id]);
      expect(s.stderr).toBe('');
      expect(s.status).toBe(0);
      const st = JSON.parse(s.stdout) as { id: string; status: string; pid: number };
      expect(st.id).toBe(id);
      expect(st.status).toBe('running');
      expect(st.pid).toBeGreaterThan(1);
      expect(bare(['kill', id, '9']).status).toBe(0);
    } finally {
      expect(bare(['delete', '--force', id]).status).toBe(0);
    }
    expect(leftovers(root, id)).toEqual([]);
    // and `env -i` itself, as a shell would run it, without --root (the default root)
    const missing = spawnSync('/usr/bin/env', ['-i', 'XDG_RUNTIME_DIR=', JOEY, 'delete', '--force', cid('nothere')], { encoding: 'utf8' });
    expect(missing.status).toBe(0);
    expect(missing.stdout).toBe('');
  });

  it('a failed start leaves a container that delete --force clears', () => {
    const id = cid('badstart');
    const b = bundle(['/bin/probe', 'sleep', '30']);
    expect(joey(root, ['create', '--bundle', b, id], { stdio: 'ignore' }).status).toBe(0);
    expect(joey(root, ['start', id]).status).toBe(0);
    const again = joey(root, ['start', id]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('cannot start an already running container');
    expect(joey(root, ['delete', '--force', id]).status).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('exec: flags after the container id belong to the command, as with runc (`exec c1 ls -l`)', () => {
    const id = cid('execflags');
    const b = bundle(['/bin/probe', 'sleep', '30']);
    expect(joey(root, ['run', '-d', '--bundle', b, id], { stdio: 'ignore' }).status).toBe(0);
    const r = joey(root, ['exec', id, '/bin/probe', 'echo', '-n', '--tty', '-e']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('-n --tty -e\n');
    expect(joey(root, ['delete', '--force', id]).status).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });
});
