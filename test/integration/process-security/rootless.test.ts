/**
 * Rootless (issue 3 §6): `joey` run by an unprivileged user with a user
 * namespace (`joey spec --rootless`), state under $XDG_RUNTIME_DIR/joey,
 * cgroups it cannot write skipped with a warning (as runc).
 * config-linux.md#user-namespace-mappings, user_namespaces(7).
 *
 * Needs root only to make the user (useradd) and to run as it (runuser).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Spec } from '../../../src/spec/types.js';
import { JOEY, PROBE, isRoot, lines } from '../helpers.js';
import { statusFields } from './util.js';

const USER = 'joeytest';
const hasRunuser = fs.existsSync('/usr/sbin/runuser') || fs.existsSync('/sbin/runuser');

describe.runIf(isRoot && hasRunuser)('rootless: joey as an unprivileged user (root to set up the user)', () => {
  let uid = 0;
  let gid = 0;
  const base = fs.mkdtempSync('/tmp/joey-rootless-');
  const xdg = join(base, 'xdg');
  const bundle = join(base, 'bundle');
  let seq = 0;

  function asUser(args: string[], stdio: 'pipe' | number = 'pipe') {
    const r = spawnSync('runuser', ['-u', USER, '--', 'env', `XDG_RUNTIME_DIR=${xdg}`, JOEY, ...args], {
      cwd: bundle,
      encoding: 'utf8',
      timeout: 30_000,
      stdio: stdio === 'pipe' ? 'pipe' : ['ignore', stdio, stdio],
    });
    return { status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  }

  function edit(f: (s: Spec) => void) {
    const p = join(bundle, 'config.json');
    const s = JSON.parse(fs.readFileSync(p, 'utf8')) as Spec;
    f(s);
    fs.writeFileSync(p, JSON.stringify(s, null, 2));
  }

  beforeAll(() => {
    if (spawnSync('id', ['-u', USER]).status !== 0) {
      const add = spawnSync('useradd', ['-m', USER], { encoding: 'utf8' });
      if (add.status !== 0) throw new Error(`useradd ${USER}: ${add.stderr}`);
    }
    uid = Number(spawnSync('id', ['-u', USER], { encoding: 'utf8' }).stdout.trim());
    gid = Number(spawnSync('id', ['-g', USER], { encoding: 'utf8' }).stdout.trim());
    fs.chmodSync(base, 0o755);
    fs.mkdirSync(xdg, { mode: 0o700 });
    fs.chownSync(xdg, uid, gid);
    for (const d of ['rootfs/bin', 'rootfs/proc', 'rootfs/dev', 'rootfs/sys', 'rootfs/tmp', 'rootfs/etc']) fs.mkdirSync(join(bundle, d), { recursive: true });
    fs.copyFileSync(PROBE, join(bundle, 'rootfs/bin/probe'));
    fs.chmodSync(join(bundle, 'rootfs/bin/probe'), 0o755);
    spawnSync('chown', ['-R', `${uid}:${gid}`, bundle]);
  });
  afterAll(() => {
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('`joey spec --rootless` as the user maps the user to root in a user namespace', () => {
    const r = asUser(['spec', '--rootless']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const spec = JSON.parse(fs.readFileSync(join(bundle, 'config.json'), 'utf8')) as Spec;
    expect(spec.linux?.uidMappings).toEqual([{ containerID: 0, hostID: uid, size: 1 }]);
    expect(spec.linux?.gidMappings).toEqual([{ containerID: 0, hostID: gid, size: 1 }]);
    expect(spec.linux?.namespaces?.map((n) => n.type)).toContain('user');
    expect(spec.linux?.seccomp?.defaultAction).toBe('SCMP_ACT_ERRNO');
  });

  it('run: uid 0 inside, the default caps and seccomp, cgroups skipped with one warning, state gone after', () => {
    edit((s) => {
      s.process!.terminal = false;
      s.process!.args = ['probe', 'ids', ';', 'status', ';', 'pid'];
    });
    const id = `rootless-${process.pid}-${++seq}`;
    const r = asUser(['run', id]);
    expect(r.status).toBe(0);
    expect(lines(r.stdout, 'uid')).toEqual(['0']);
    expect(lines(r.stdout, 'euid')).toEqual(['0']);
    expect(lines(r.stdout, 'pid')).toEqual(['1']);
    const f = statusFields(r.stdout);
    expect(f.NoNewPrivs).toBe('1');
    expect(f.Seccomp).toBe('2');
    expect(f.CapEff).toBe('0000000020000420');
    // root-owned v1 hierarchies here: not writable by the user
    const warnings = r.stderr.trim().split('\n').filter(Boolean);
    for (const w of warnings) expect(w).toMatch(/^joey: warning: rootless: cgroups skipped, the container runs in the caller's cgroup \(EACCES\): /);
    expect(warnings.length).toBeLessThanOrEqual(1);
    expect(fs.existsSync(join(xdg, 'joey', id))).toBe(false);
  });

  it('run --detach: the process is the user on the host, state under $XDG_RUNTIME_DIR/joey; delete as the user', () => {
    edit((s) => {
      s.process!.args = ['probe', 'sleep', '30'];
    });
    const id = `rootless-${process.pid}-${++seq}`;
    const log = join(base, `${id}.log`);
    const fd = fs.openSync(log, 'w+');
    let pid = 0;
    try {
      const r = asUser(['run', '--detach', id], fd);
      expect(r.status, fs.readFileSync(log, 'utf8')).toBe(0);
      const stateDir = join(xdg, 'joey', id);
      expect(fs.existsSync(join(stateDir, 'state.json'))).toBe(true);
      expect(fs.statSync(stateDir).uid).toBe(uid);
      const st = asUser(['state', id]);
      expect(st.status).toBe(0);
      const state = JSON.parse(st.stdout) as { pid: number; status: string };
      expect(state.status).toBe('running');
      pid = state.pid;
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      expect(/^Uid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/)).toEqual([uid, uid, uid, uid].map(String));
      expect(/^Gid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/)).toEqual([gid, gid, gid, gid].map(String));
      // a different user namespace from the host's
      expect(fs.readlinkSync(`/proc/${pid}/ns/user`)).not.toBe(fs.readlinkSync('/proc/self/ns/user'));
    } finally {
      fs.closeSync(fd);
      const d = asUser(['delete', '--force', id]);
      expect(d.stderr).toBe('');
      expect(d.status).toBe(0);
    }
    expect(fs.existsSync(join(xdg, 'joey', id))).toBe(false);
    // dead: gone, or a zombie waiting for this host's pid 1 (not joey's child) to reap it
    let state = 'gone';
    try {
      state = /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 'gone';
    } catch {
      /* reaped */
    }
    expect(['gone', 'Z']).toContain(state);
  });
});
