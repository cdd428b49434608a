/** The fast path parses exactly runc's forms of the per-container verbs and hands everything else to commander. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFast } from '../../../src/cli/fast.js';
import { subcommandName } from '../../../src/cli/main.js';

describe('parseFast', () => {
  it('reads containerd’s global flags in both spellings', () => {
    const p = parseFast(['--root', '/run/containerd/runc/default', '--log', '/b/log.json', '--log-format', 'json', 'delete', 'c1'])!;
    expect(p).toMatchObject({ verb: 'delete', id: 'c1', opts: {}, flags: { root: '/run/containerd/runc/default', log: '/b/log.json', logFormat: 'json' } });
    expect(parseFast(['--log-format=json', '--root=/r', 'state', 'x'])!.flags).toMatchObject({ logFormat: 'json', root: '/r' });
  });
  it('reads kill forms: numeric, named, --all, default', () => {
    expect(parseFast(['kill', 'c1', '9'])).toMatchObject({ verb: 'kill', id: 'c1', signal: '9', opts: {} });
    expect(parseFast(['kill', '--all', 'c1', 'KILL'])).toMatchObject({ opts: { all: true }, signal: 'KILL' });
    expect(parseFast(['kill', 'c1'])).toMatchObject({ signal: undefined });
    expect(parseFast(['delete', '-f', 'c1'])).toMatchObject({ opts: { force: true } });
  });
  it('reads create/run as containerd and podman call them', () => {
    const p = parseFast(['--root', '/r', '--log', '/l', '--log-format', 'json', '--systemd-cgroup', 'create', '--bundle', '/b', '--pid-file', '/b/pid', '--console-socket=/s', '--preserve-fds', '2', '--no-pivot', 'c1'])!;
    expect(p).toMatchObject({ verb: 'create', id: 'c1', opts: { bundle: '/b', pidFile: '/b/pid', consoleSocket: '/s', preserveFds: 2, noPivot: true } });
    expect(p.flags).toMatchObject({ root: '/r', log: '/l', logFormat: 'json', systemdCgroup: true });
    expect(parseFast(['--vm', '--vm-accel', 'tcg', 'run', '-d', '-b', 'x', '--keep', 'r1'])).toMatchObject({ verb: 'run', id: 'r1', opts: { detach: true, bundle: 'x', keep: true }, flags: { vm: true, vmAccel: 'tcg' } });
  });
  it('reads exec: options before the id, the command after it', () => {
    expect(parseFast(['exec', '--process', '/p.json', '--detach', '--pid-file', '/pid', 'c1'])).toMatchObject({ verb: 'exec', id: 'c1', args: [], opts: { process: '/p.json', detach: true, pidFile: '/pid' } });
    expect(parseFast(['exec', '-e', 'A=1', '--env', 'B=2', '-u', '1:2', '-t', 'c1', 'sh', 'x'])).toMatchObject({ id: 'c1', args: ['sh', 'x'], opts: { env: ['A=1', 'B=2'], user: '1:2', tty: true } });
    expect(parseFast(['exec', 'c1', '--', 'ls', '-l'])).toMatchObject({ id: 'c1', args: ['ls', '-l'] });
    expect(parseFast(['exec', 'c1', 'sh', '-c', 'x'])).toMatchObject({ id: 'c1', args: ['sh', '-c', 'x'] });
  });
  it('reads list with its format and quiet flags', () => {
    expect(parseFast(['--root', '/r', 'list', '--format', 'json'])).toMatchObject({ verb: 'list', opts: { format: 'json' } });
    expect(parseFast(['list', '-q'])).toMatchObject({ verb: 'list', opts: { quiet: true } });
    expect(parseFast(['list', '-f', 'xml'])).toBeUndefined();
    expect(parseFast(['list', 'extra'])).toBeUndefined();
  });
  it('leaves help, other verbs, unknown flags and missing ids to commander', () => {
    const cases = [['state'], ['state', '--help'], ['ps', 'x'], ['--bogus', 'state', 'x'], ['kill', 'a', 'b', 'c'], ['--log-format', 'xml', 'state', 'x'], [], ['create', '-bx', 'c'], ['create', '--preserve-fds', 'two', 'c'], ['run', '-dt', 'c'], ['exec', 'c1'], ['create', '--bundle']];
    for (const args of cases) {
      expect(parseFast(args)).toBeUndefined();
    }
  });
});

describe('subcommandName', () => {
  it('skips global options and their values', () => {
    expect(subcommandName(['--root', '/r', '--debug', 'ps', 'x'])).toBe('ps');
    expect(subcommandName(['--log-format=json', 'update', 'x'])).toBe('update');
    expect(subcommandName(['--help'])).toBeUndefined();
  });
});

describe('exitIfIdle (the fast path ends the process without Node teardown)', () => {
  const FAST = join(__dirname, '..', '..', '..', 'dist', 'cli', 'fast.js');
  // The await lets the ESM loader's own pending close finish first: joey.cjs
  // calls exitIfIdle once the verb's promise settles, with nothing of the loader left.
  const ADDON = join(__dirname, '..', '..', '..', 'native', 'addon', 'build', 'Release', 'joey_addon.node');
  const run = (body: string, nodeFlags: string[] = []) =>
    spawnSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', `import { exitIfIdle } from ${JSON.stringify(FAST)};\nprocess.on('exit', (c) => console.log('exit event', c));\nawait new Promise((r) => setTimeout(r, 20));\n${body}`], { encoding: 'utf8' });

  it.runIf(existsSync(FAST))('exits at once with process.exitCode, after the exit event, when nothing is pending', () => {
    const r = run("process.exitCode = 3; exitIfIdle(); console.log('after');");
    expect(r.stdout).toBe('exit event 3\n');
    expect(r.status).toBe(3);
  });

  it.runIf(existsSync(FAST))('ends with the addon\'s _exit as the last exit listener, except under a profiler', () => {
    // A stand-in addon whose exitNow reports its code, then really exits.
    const spy =
      "const real = globalThis.__joeyAddon; globalThis.__joeyAddon = { exitNow: (c) => { console.log('exitNow', c); real.exitNow(c); } };";
    const load = `{ const m = { exports: {} }; process.dlopen(m, ${JSON.stringify(ADDON)}); globalThis.__joeyAddon = m.exports; }`;
    const r = run(`${load} ${spy} process.exitCode = 5; exitIfIdle();`);
    expect(r.stdout).toBe('exit event 5\nexitNow 5\n');
    expect(r.status).toBe(5);
    const dir = mkdtempSync(join(tmpdir(), 'joey-prof-'));
    try {
      const p = run(`${load} ${spy} exitIfIdle();`, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
      expect(p.stdout).toBe('exit event 0\n'); // Node's own exit, which writes the profile
      expect(readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(existsSync(FAST))('leaves the process alone while a timer, a child or a queued write is pending', () => {
    const timer = run("setTimeout(() => console.log('timer ran'), 30); exitIfIdle(); console.log('after');");
    expect(timer.stdout).toBe('after\ntimer ran\nexit event 0\n');
    const child = run("import('node:child_process').then(({ spawn }) => { spawn('true').on('exit', () => console.log('child done')); exitIfIdle(); });");
    expect(child.stdout).toBe('child done\nexit event 0\n');
  });
});
