/**
 * The lifecycle (runtime.md#lifecycle, #state, #operations): create, start,
 * state, kill, delete, run, list — with real containers and the probe.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { JOEY, cid, isRoot, joey, leftovers, makeBundle, removeBundle, stateRoot } from '../helpers.js';
import { cleanup, exited, joeyToFiles, runProbe, stateOf, tmpDir, waitFor, type Background } from './common.js';

describe.runIf(isRoot)('lifecycle', () => {
  const root = stateRoot('core-lifecycle');
  const bundles: string[] = [];
  const ids: string[] = [];
  afterAll(() => {
    for (const id of ids) joey(root, ['delete', '--force', id]);
    for (const b of bundles) removeBundle(b);
  });

  /** create a container running `args`, stdio to files; returns its id and joey's output. */
  function create(args: string[], edit: Parameters<typeof makeBundle>[1] = () => {}, extra: string[] = []): { id: string; bg: Background; bundle: string } {
    const bundle = makeBundle(args, edit);
    bundles.push(bundle);
    const id = cid();
    ids.push(id);
    const bg = joeyToFiles(root, ['create', '--bundle', bundle, ...extra, id]);
    expect(bg.err()).toBe('');
    expect(bg.status).toBe(0);
    return { id, bg, bundle };
  }

  it('a create that fails after the init was started leaves no init behind (create starts it before the plan is ready)', () => {
    // cpuset.cpus "999" fails in the cgroup apply, after startInit and after
    // the plan is sent (stage 2 may be mounting already: it is killed and
    // reaped too). A subreaper of our own receives whatever joey orphans.
    const bundle = makeBundle(['probe', 'exit', '0'], (s) => {
      s.linux!.resources = { ...s.linux!.resources, cpu: { cpus: '999' } };
    });
    bundles.push(bundle);
    const id = cid();
    const addonPath = join(__dirname, '..', '..', '..', 'native', 'addon', 'build', 'Release', 'joey_addon.node');
    const script = `const m = { exports: {} }; process.dlopen(m, ${JSON.stringify(addonPath)}); m.exports.setChildSubreaper();
const { spawnSync } = require('node:child_process'); const fs = require('node:fs');
const r = spawnSync(${JSON.stringify(JOEY)}, ['--root', ${JSON.stringify(root)}, 'create', '--bundle', ${JSON.stringify(bundle)}, ${JSON.stringify(id)}], { encoding: 'utf8' });
const kids = () => fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).filter((p) => { try { return fs.readFileSync('/proc/' + p + '/stat', 'utf8').replace(/^.*\\) /, '').split(' ')[1] === String(process.pid); } catch { return false; } }).map((p) => fs.readFileSync('/proc/' + p + '/cmdline', 'utf8').replace(/\\0/g, ' ').trim());
const t = Date.now(); let left = kids(); while (left.length && Date.now() - t < 2000) left = kids();
console.log(JSON.stringify({ status: r.status, stderr: r.stderr, left }));`;
    const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    const r = JSON.parse(out.stdout) as { status: number; stderr: string; left: string[] };
    expect(r.stderr).toMatch(/linux\.resources\.cpu\.cpus: .*cpuset\.cpus/);
    expect(r.status).toBe(1);
    expect(r.left).toEqual([]);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('create → created (pid = --pid-file) → nothing ran → start → running → TERM → stopped → delete', () => {
    const mark = tmpDir('joey-core-mark-');
    const pidFile = join(mark, '..', `${cid('pidfile')}.pid`);
    try {
      const { id, bg } = create(['probe', 'write', '/mark/started', 'yes', ';', 'wait-signal'], (s) => {
        s.mounts!.push({ destination: '/mark', type: 'bind', source: mark, options: ['rbind', 'rw'] });
      }, ['--pid-file', pidFile]);
      const st = stateOf(root, id);
      expect(st.status).toBe('created');
      expect(st.id).toBe(id);
      const text = fs.readFileSync(pidFile, 'utf8');
      expect(text).toMatch(/^\d+$/);
      expect(Number(text)).toBe(st.pid);
      // the process has not run: no marker, and the init is blocked
      expect(fs.existsSync(join(mark, 'started'))).toBe(false);
      expect(bg.out()).toBe('');

      const s = joey(root, ['start', id]);
      expect(s.stderr).toBe('');
      expect(s.status).toBe(0);
      expect(waitFor(() => bg.out().includes('waiting\n'))).toBe(true);
      expect(fs.readFileSync(join(mark, 'started'), 'utf8')).toBe('yes');
      expect(stateOf(root, id).status).toBe('running');
      expect(joey(root, ['start', id]).stderr).toMatch(/running/);

      const k = joey(root, ['kill', id]);
      expect(k.stderr).toBe('');
      expect(k.status).toBe(0);
      expect(waitFor(() => exited(st.pid))).toBe(true);
      expect(stateOf(root, id).status).toBe('stopped');
      expect(bg.out()).toContain('signal 15\n');
      expect(stateOf(root, id).pid).toBe(0);

      const d = joey(root, ['delete', id]);
      expect(d.stderr).toBe('');
      expect(d.status).toBe(0);
      expect(leftovers(root, id)).toEqual([]);
    } finally {
      fs.rmSync(mark, { recursive: true, force: true });
      fs.rmSync(pidFile, { force: true });
    }
  });

  it.each(['KILL', 'SIGKILL', '9'])('kill %s stops a running container', (sig) => {
    const { id } = create(['probe', 'wait-signal']);
    const { pid } = stateOf(root, id);
    expect(joey(root, ['start', id]).status).toBe(0);
    const k = joey(root, ['kill', id, sig]);
    expect(k.stderr).toBe('');
    expect(k.status).toBe(0);
    expect(waitFor(() => exited(pid))).toBe(true);
    expect(stateOf(root, id).status).toBe('stopped');
    expect(joey(root, ['delete', id]).status).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('kill USR1 reaches the process as signal 10', () => {
    const { id, bg } = create(['probe', 'wait-signal']);
    expect(joey(root, ['start', id]).status).toBe(0);
    expect(waitFor(() => bg.out().includes('waiting'))).toBe(true);
    expect(joey(root, ['kill', id, 'USR1']).status).toBe(0);
    expect(waitFor(() => bg.out().includes('signal 10\n'))).toBe(true);
    cleanup(root, id);
  });

  it('kill works on a created container; kill on a stopped one fails "container not running"', () => {
    const { id } = create(['probe', 'wait-signal']);
    const { pid } = stateOf(root, id);
    const k = joey(root, ['kill', id, 'KILL']);
    expect(k.stderr).toBe('');
    expect(k.status).toBe(0);
    expect(waitFor(() => exited(pid))).toBe(true);
    expect(stateOf(root, id).status).toBe('stopped');
    const again = joey(root, ['kill', id, 'KILL']);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/container not running/);
    expect(joey(root, ['delete', id]).status).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('delete of a running container fails without --force; --force kills and cleans up', () => {
    const { id } = create(['probe', 'wait-signal']);
    expect(joey(root, ['start', id]).status).toBe(0);
    const d = joey(root, ['delete', id]);
    expect(d.status).not.toBe(0);
    expect(d.stderr).toMatch(/running/);
    expect(stateOf(root, id).status).toBe('running');
    const f = joey(root, ['delete', '--force', id]);
    expect(f.stderr).toBe('');
    expect(f.status).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('delete --force of a created container cleans up too', () => {
    const { id } = create(['probe', 'wait-signal']);
    expect(joey(root, ['delete', '--force', id]).status).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('delete --force of a missing id exits 0; state and delete of a missing id fail', () => {
    const missing = cid('missing');
    const f = joey(root, ['delete', '--force', missing]);
    expect(f.status).toBe(0);
    expect(f.stderr).toBe('');
    const s = joey(root, ['state', missing]);
    expect(s.status).toBe(1);
    expect(s.stderr).toMatch(/container does not exist/);
    expect(s.stdout).toBe('');
    const d = joey(root, ['delete', missing]);
    expect(d.status).not.toBe(0);
    expect(d.stderr).toMatch(/container does not exist/);
  });

  it('state notices an init killed behind joey\'s back', () => {
    const { id } = create(['probe', 'wait-signal']);
    expect(joey(root, ['start', id]).status).toBe(0);
    const { pid } = stateOf(root, id);
    process.kill(pid, 'SIGKILL');
    expect(waitFor(() => exited(pid))).toBe(true);
    expect(stateOf(root, id).status).toBe('stopped');
    expect(joey(root, ['delete', id]).status).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('run exits with the process\'s status', () => {
    const r = runProbe(root, ['probe', 'echo', 'bye', ';', 'exit', '7']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('bye\n');
    expect(r.status).toBe(7);
    expect(r.leftovers).toEqual([]);
  });

  /** `joey run` of a probe waiting for a signal, in the background, once it says "waiting". */
  async function runWaiting(): Promise<{ id: string; child: ReturnType<typeof spawn>; out: () => string; err: () => string; done: Promise<number | null> }> {
    const bundle = makeBundle(['probe', 'wait-signal']);
    bundles.push(bundle);
    const id = cid();
    ids.push(id);
    const child = spawn(JOEY, ['--root', root, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const done = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    const deadline = Date.now() + 10_000;
    while (!out.includes('waiting') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(out).toBe('waiting\n');
    return { id, child, out: () => out, err: () => err, done };
  }

  it('run exits with 128 + the signal that killed the process', async () => {
    const { id, err, done } = await runWaiting();
    expect(joey(root, ['kill', id, 'KILL']).status).toBe(0);
    expect(await done).toBe(128 + 9);
    expect(err()).toBe('');
    expect(leftovers(root, id)).toEqual([]);
  });

  it('run forwards a signal it gets while waiting, then exits with the process\'s status', async () => {
    const { id, child, out, err, done } = await runWaiting();
    // to joey, not to the container: joey passes it on
    child.kill('SIGTERM');
    expect(await done).toBe(0);
    expect(out()).toBe('waiting\nsignal 15\n');
    expect(err()).toBe('');
    expect(leftovers(root, id)).toEqual([]);
  });

  it('run whose container another shell deletes with --force meanwhile exits with the kill, cleanly, and leaves nothing', async () => {
    // run then deletes from the state create returned (delete.ts deleteCreated):
    // it must notice the container is gone rather than fail or remove twice
    const { id, err, done } = await runWaiting();
    expect(joey(root, ['delete', '--force', id]).status).toBe(0);
    expect(await done).toBe(128 + 9);
    expect(err()).toBe('');
    expect(leftovers(root, id)).toEqual([]);
  });

  it('run --debug whose stderr reader has gone (`| head`) still runs, cleans up and exits with the process status', async () => {
    // every debug line then fails with EPIPE: that must neither end joey
    // half-way (an uncaught stream error) nor leave the container behind
    const bundle = makeBundle(['probe', 'exit', '3']);
    bundles.push(bundle);
    const id = cid();
    ids.push(id);
    const child = spawn(JOEY, ['--root', root, '--debug', 'run', '--bundle', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.destroy();
    const status = await new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    expect(status).toBe(3);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('run -d returns while the container runs', () => {
    const bundle = makeBundle(['probe', 'wait-signal']);
    bundles.push(bundle);
    const id = cid();
    ids.push(id);
    const bg = joeyToFiles(root, ['run', '-d', '--bundle', bundle, id]);
    expect(bg.err()).toBe('');
    expect(bg.status).toBe(0);
    expect(stateOf(root, id).status).toBe('running');
    expect(joey(root, ['delete', '--force', id]).status).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('state and list report `created` as an RFC 3339 UTC time taken during create, and a --log json line has one too', () => {
    const before = Date.now();
    const dir = tmpDir('joey-created-');
    const log = join(dir, 'log.json');
    const a = create(['probe', 'wait-signal']);
    const after = Date.now();
    const created = (JSON.parse(joey(root, ['state', a.id]).stdout) as { created: string }).created;
    expect(created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(new Date(created).toISOString()).toBe(created);
    expect(Date.parse(created)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(created)).toBeLessThanOrEqual(after);
    const listed = (JSON.parse(joey(root, ['list', '--format', 'json']).stdout) as { id: string; created: string }[]).find((c) => c.id === a.id);
    expect(listed?.created).toBe(created);
    const t0 = Date.now();
    expect(joey(root, ['--log', log, '--log-format', 'json', 'state', 'no-such-ctr']).status).toBe(1);
    const time = (JSON.parse(fs.readFileSync(log, 'utf8').trim().split('\n').at(-1)!) as { time: string }).time;
    expect(new Date(time).toISOString()).toBe(time);
    expect(Date.parse(time)).toBeGreaterThanOrEqual(t0);
    expect(Date.parse(time)).toBeLessThanOrEqual(Date.now());
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('list prints a table and JSON, with every status', () => {
    const a = create(['probe', 'wait-signal']);
    const b = create(['probe', 'wait-signal']);
    expect(joey(root, ['start', b.id]).status).toBe(0);
    const t = joey(root, ['list']);
    expect(t.status).toBe(0);
    const rows = t.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/);
    const rowA = rows.find((r) => r.startsWith(`${a.id} `))!;
    const rowB = rows.find((r) => r.startsWith(`${b.id} `))!;
    expect(rowA.split(/\s+/).slice(1, 4)).toEqual([String(stateOf(root, a.id).pid), 'created', a.bundle]);
    expect(rowB.split(/\s+/).slice(1, 4)).toEqual([String(stateOf(root, b.id).pid), 'running', b.bundle]);
    const j = joey(root, ['list', '--format', 'json']);
    expect(j.status).toBe(0);
    const list = JSON.parse(j.stdout) as { id: string; status: string; pid: number; bundle: string }[];
    expect(list.find((c) => c.id === a.id)).toMatchObject({ status: 'created', bundle: a.bundle });
    expect(list.find((c) => c.id === b.id)).toMatchObject({ status: 'running', bundle: b.bundle });
    const q = joey(root, ['list', '-q']);
    expect(q.stdout.split('\n')).toEqual(expect.arrayContaining([a.id, b.id]));
    // list reads every container's facts in batches (list.ts): it must never open
    // exec.fifo, which would release a created container's init
    expect(stateOf(root, a.id).status).toBe('created');
    // paused (the freezer is read only for a running one) and stopped
    const c = create(['probe', 'wait-signal']);
    expect(joey(root, ['start', c.id]).status).toBe(0);
    expect(joey(root, ['pause', c.id]).status).toBe(0);
    expect(joey(root, ['kill', b.id, 'KILL']).status).toBe(0);
    expect(waitFor(() => stateOf(root, b.id).status === 'stopped')).toBe(true);
    const after = JSON.parse(joey(root, ['list', '--format', 'json']).stdout) as { id: string; status: string; pid: number }[];
    expect(after.find((x) => x.id === a.id)).toMatchObject({ status: 'created', pid: stateOf(root, a.id).pid });
    expect(after.find((x) => x.id === b.id)).toMatchObject({ status: 'stopped', pid: 0 });
    expect(after.find((x) => x.id === c.id)).toMatchObject({ status: 'paused' });
    expect(joey(root, ['resume', c.id]).status).toBe(0);
    expect((JSON.parse(joey(root, ['list', '--format', 'json']).stdout) as { id: string; status: string }[]).find((x) => x.id === c.id)?.status).toBe('running');
    for (const x of [a, b, c]) {
      cleanup(root, x.id);
      expect(leftovers(root, x.id)).toEqual([]);
    }
  });
});
