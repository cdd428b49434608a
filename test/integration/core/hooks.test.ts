/**
 * Hooks (config.md#posix-platform-hooks, runtime.md#lifecycle): order, the
 * state on stdin, the namespaces each kind runs in, timeouts, and which
 * failures abort (prestart) and which only warn (poststart, poststop).
 *
 * Runtime hooks are sh scripts on the host; createContainer and
 * startContainer hooks run busybox sh (static, copied into the rootfs at the
 * same path as on the host). Every hook appends "<name> <mnt ns> <stdin>" to
 * a log in a directory bind-mounted at the same path inside the container.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { cid, isRoot, joey, leftovers, makeBundle, removeBundle, stateRoot } from '../helpers.js';
import type { Hook, Spec } from '../../../src/spec/types.js';
import { exited, joeyToFiles, stateOf, tmpDir, waitFor } from './common.js';

const BUSYBOX = '/bin/busybox';
const ENV = ['PATH=/bin:/usr/bin'];

describe.runIf(isRoot && fs.existsSync(BUSYBOX))('hooks', () => {
  const root = stateRoot('core-hooks');
  const dir = tmpDir('joey-core-hooks-');
  const log = join(dir, 'log');
  const script = join(dir, 'hook.sh');
  fs.writeFileSync(script, `#!/bin/sh\nprintf '%s %s ' "$1" "$(readlink /proc/self/ns/mnt)" >> ${log}\ncat >> ${log}\necho >> ${log}\nexit "\${2:-0}"\n`, { mode: 0o755 });
  const bundles: string[] = [];
  afterAll(() => {
    for (const b of bundles) removeBundle(b);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const host = (name: string, extra: Partial<Hook> = {}, exit = 0): Hook => ({ path: script, args: ['hook.sh', name, String(exit)], env: ENV, ...extra });
  const inside = (name: string, extra: Partial<Hook> = {}): Hook => ({
    path: BUSYBOX,
    args: ['sh', '-c', `printf '%s %s ' ${name} "$(readlink /proc/self/ns/mnt)" >> ${log}; cat >> ${log}; echo >> ${log}`],
    env: ENV,
    ...extra,
  });

  /** One hook of each kind, logging its name: runtime hooks on the host, container hooks inside. */
  const everyHook = (): Spec['hooks'] => ({
    prestart: [host('prestart')],
    createRuntime: [host('createRuntime')],
    createContainer: [inside('createContainer')],
    startContainer: [inside('startContainer')],
    poststart: [host('poststart')],
    poststop: [host('poststop')],
  });
  function bundleWith(hooks: Spec['hooks'], args = ['probe', 'echo', 'main']): string {
    const b = makeBundle(args, (s) => {
      s.hooks = hooks;
      s.mounts!.push({ destination: dir, type: 'bind', source: dir, options: ['rbind', 'rw'] });
    });
    fs.mkdirSync(join(b, 'rootfs', 'bin'), { recursive: true });
    fs.copyFileSync(BUSYBOX, join(b, 'rootfs', BUSYBOX));
    fs.chmodSync(join(b, 'rootfs', BUSYBOX), 0o755);
    bundles.push(b);
    return b;
  }

  function entries(): { name: string; ns: string; state: Record<string, unknown> }[] {
    if (!fs.existsSync(log)) return [];
    return fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [name, ns, ...rest] = l.split(' ');
        try {
          return { name: name!, ns: ns!, state: JSON.parse(rest.join(' ')) as Record<string, unknown> };
        } catch {
          throw new Error(`hook log line is not "<name> <ns> <json>": ${l}`);
        }
      });
  }

  it('run in order prestart, createRuntime, createContainer, startContainer, poststart, poststop with the state on stdin', () => {
    fs.rmSync(log, { force: true });
    const bundle = bundleWith(
      everyHook(),
      ['probe', 'wait-signal'],
    );
    const id = cid();
    const c = joeyToFiles(root, ['create', '--bundle', bundle, id]);
    expect(c.err()).toBe('');
    expect(c.status).toBe(0);
    const pid = stateOf(root, id).pid;
    expect(entries().map((e) => e.name)).toEqual(['prestart', 'createRuntime', 'createContainer']);
    const s = joey(root, ['start', id]);
    expect(s.stderr).toBe('');
    expect(s.status).toBe(0);
    expect(waitFor(() => c.out().includes('waiting'))).toBe(true);
    expect(entries().map((e) => e.name)).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart']);
    expect(joey(root, ['kill', id, 'KILL']).status).toBe(0);
    expect(waitFor(() => exited(pid))).toBe(true);
    const d = joey(root, ['delete', id]);
    expect(d.stderr).toBe('');
    expect(d.status).toBe(0);
    expect(leftovers(root, id)).toEqual([]);

    const all = entries();
    expect(all.map((e) => e.name)).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
    for (const e of all) {
      expect(e.state, e.name).toMatchObject({ id, bundle });
      expect(e.state.ociVersion, e.name).toBeTypeOf('string');
    }
    for (const e of all.filter((x) => x.name !== 'poststop')) expect(e.state.pid, e.name).toBe(pid);
    expect(all.find((e) => e.name === 'poststop')!.state.status).toBe('stopped');
    expect(all.find((e) => e.name === 'poststart')!.state.status).toBe('running');
    // runtime hooks run in the runtime's mount namespace, container hooks in the container's
    const hostMnt = fs.readlinkSync('/proc/self/ns/mnt');
    for (const e of all) {
      if (e.name === 'createContainer' || e.name === 'startContainer') expect(e.ns, e.name).not.toBe(hostMnt);
      else expect(e.ns, e.name).toBe(hostMnt);
    }
  });

  it('run (create, start, wait and delete in one call) runs the same hooks in the same order', () => {
    fs.rmSync(log, { force: true });
    const bundle = bundleWith(
      everyHook(),
      ['probe', 'exit', '0'],
    );
    const id = cid();
    const r = joey(root, ['run', '--bundle', bundle, id]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
    const all = entries();
    expect(all.map((e) => e.name)).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
    const pid = all[0]!.state.pid;
    expect(pid).toBeGreaterThan(0);
    for (const e of all.filter((x) => x.name !== 'poststop')) expect(e.state, e.name).toMatchObject({ id, bundle, pid });
    expect(all.find((e) => e.name === 'poststart')!.state.status).toBe('running');
    expect(all.find((e) => e.name === 'poststop')!.state.status).toBe('stopped');
  });

  it('start and delete read config.json only for their hooks; an older state.json without the hooks record still runs them', () => {
    const plain = bundleWith({}, ['probe', 'exit', '0']);
    const a = cid();
    expect(joeyToFiles(root, ['create', '--bundle', plain, a]).status).toBe(0);
    // state.json says there are no hooks: start never opens the saved config.json
    fs.rmSync(join(root, a, 'config.json'));
    const sa = joey(root, ['start', a]);
    expect(sa.stderr).toBe('');
    expect(sa.status).toBe(0);
    expect(joey(root, ['delete', '--force', a]).status).toBe(0);

    fs.rmSync(log, { force: true });
    const hooked = bundleWith({ poststart: [host('poststart')], poststop: [host('poststop')] }, ['probe', 'exit', '0']);
    const b = cid();
    expect(joeyToFiles(root, ['create', '--bundle', hooked, b]).status).toBe(0);
    const file = join(root, b, 'state.json');
    const st = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(st.hooks).toEqual(['poststart', 'poststop']);
    delete st.hooks;
    fs.writeFileSync(file, JSON.stringify(st));
    const sb = joey(root, ['start', b]);
    expect(sb.stderr).toBe('');
    expect(sb.status).toBe(0);
    expect(entries().map((e) => e.name)).toEqual(['poststart']);
    expect(joey(root, ['delete', '--force', b]).status).toBe(0);
    expect(entries().map((e) => e.name)).toEqual(['poststart', 'poststop']);
  });

  it('a hook that outlives its timeout is killed and create fails, leaving nothing', () => {
    const bundle = bundleWith({ prestart: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] });
    const id = cid();
    const t0 = Date.now();
    const r = joey(root, ['create', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/hooks\.prestart\[0\].*(timed out|timeout)/);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('a createContainer hook timeout is honoured too', () => {
    const bundle = bundleWith({ createContainer: [{ path: BUSYBOX, args: ['sleep', '30'], timeout: 1 }] });
    const id = cid();
    const t0 = Date.now();
    const r = joey(root, ['create', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/timed out/);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('a failing prestart aborts create and leaves nothing; later hooks do not run', () => {
    fs.rmSync(log, { force: true });
    const bundle = bundleWith({ prestart: [host('prestart', {}, 3)], createRuntime: [host('createRuntime')], poststop: [host('poststop')] });
    const id = cid();
    const r = joey(root, ['create', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/hooks\.prestart\[0\].*exit status 3/);
    expect(leftovers(root, id)).toEqual([]);
    expect(entries().map((e) => e.name)).toEqual(['prestart']);
  });

  it('failing poststart and poststop hooks only warn', () => {
    fs.rmSync(log, { force: true });
    const bundle = bundleWith({ poststart: [host('poststart', {}, 4)], poststop: [host('poststop', {}, 5)] }, ['probe', 'wait-signal']);
    const id = cid();
    const c = joeyToFiles(root, ['create', '--bundle', bundle, id]);
    expect(c.status).toBe(0);
    const s = joey(root, ['start', id]);
    expect(s.status).toBe(0);
    expect(s.stderr).toMatch(/hooks\.poststart\[0\].*exit status 4/);
    expect(stateOf(root, id).status).toBe('running');
    const d = joey(root, ['delete', '--force', id]);
    expect(d.status).toBe(0);
    expect(d.stderr).toMatch(/hooks\.poststop\[0\].*exit status 5/);
    expect(leftovers(root, id)).toEqual([]);
    expect(entries().map((e) => e.name)).toEqual(['poststart', 'poststop']);
  });
});
