/**
 * `joey --vm` with the rootfs over virtio-fs (src/vm/virtiofs.ts; docs/vm.md
 * §4 item 2, §6.4): used when a virtiofsd exists and the guest kernel has
 * virtio-fs, 9p for root.readonly and with JOEY_VM_FS=9p; virtiofsd exits
 * with QEMU and delete, kill and failed boots leave no daemon, socket or
 * state. Needs root, QEMU, a virtiofsd and a kernel other than the Debian
 * tier (its initramfs has only the 9p modules).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cid, isRoot, JOEY, joey, leftovers } from '../helpers.js';
import { findKernel } from '../../../src/vm/assets.js';
import { findVirtiofsd } from '../../../src/vm/virtiofs.js';
import { kernel, qemu, T, vmReason, vmSuite, until } from './env.js';

const daemon = isRoot ? findVirtiofsd() : undefined;
const tier = isRoot ? findKernel()?.tier : undefined;
const ready = isRoot && qemu && kernel && !!daemon && tier !== 'debian';
const reason = !isRoot || !qemu || !kernel
  ? vmReason
  : !daemon
    ? 'needs a virtiofsd (/usr/libexec/virtiofsd or /usr/lib/qemu/virtiofsd)'
    : tier === 'debian'
      ? 'needs a guest kernel with virtio-fs (the fast tier): the Debian tier is 9p only'
      : `root, qemu, ${daemon} and the ${tier} kernel present`;

const suite = vmSuite('vm-virtiofs', { JOEY_VM_FS: '' });
const { root, vm } = suite;

/** makeBundle's spec has root.readonly (as `joey spec`), which keeps 9p: these are writable unless told. */
function bundle(args: string[], edit: Parameters<typeof suite.bundle>[1] = () => {}): string {
  return suite.bundle(args, (s) => {
    s.root!.readonly = false;
    edit(s);
  });
}

/** The filesystem type of the container's / in `probe mountinfo` output. */
function rootFsType(out: string): string | undefined {
  return /^\d+ \d+ \S+ \/ \/ \S+ .*- (\S+) /m.exec(out)?.[1];
}

/** Live (not zombie) virtiofsd processes serving `rootfs`. */
function daemonsFor(rootfs: string): number[] {
  const found: number[] = [];
  for (const pid of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!cmd[0]?.endsWith('virtiofsd') || !cmd.some((a) => a.includes(rootfs))) continue;
      if (/^State:\s*[ZX]/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))) continue;
      found.push(Number(pid));
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

function vmState(id: string): { pid: number; vm: { fs?: string; virtiofsd?: { pid: number } } } {
  return JSON.parse(fs.readFileSync(join(root, id, 'state.json'), 'utf8'));
}

/** A detached create/run: QEMU keeps the caller's stdout/stderr, so hand it files. */
function detached(b: string, args: string[]): { status: number | null; stderr: string } {
  const o = fs.openSync(join(b, 'out.log'), 'w');
  const e = fs.openSync(join(b, 'err.log'), 'w');
  const r = spawnSync(JOEY, ['--root', root, '--vm', ...args], { stdio: ['ignore', o, e], timeout: 170_000, env: { ...process.env, JOEY_VM_FS: '' } });
  fs.closeSync(o);
  fs.closeSync(e);
  return { status: r.status, stderr: fs.readFileSync(join(b, 'err.log'), 'utf8') };
}

describe.runIf(ready)(`joey --vm rootfs over virtio-fs (${reason})`, () => {
  it('doctor names the share and why', () => {
    const env = { ...process.env, JOEY_VM_FS: '' };
    expect(joey(root, ['vm', 'doctor'], { env }).stdout).toMatch(new RegExp(`^ok {3}rootfs: virtiofs \\(${daemon}`, 'm'));
    expect(joey(root, ['vm', 'doctor'], { env: { ...env, JOEY_VM_FS: '9p' } }).stdout).toMatch(/^ok {3}rootfs: 9p \(JOEY_VM_FS=9p\)/m);
  });

  it('the rootfs is virtio-fs; a file written in the container appears on the host; nothing is left', { timeout: T }, () => {
    const id = cid('vfs');
    const b = bundle(['/bin/probe', 'mountinfo', ';', 'write', '/from-guest', 'written in the guest', ';', 'cat', '/from-host']);
    fs.writeFileSync(join(b, 'rootfs', 'from-host'), 'written on the host\n');
    const r = vm(['run', '--bundle', b, id]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(rootFsType(r.stdout)).toBe('virtiofs');
    expect(r.stdout).toContain('written on the host\n');
    expect(fs.readFileSync(join(b, 'rootfs', 'from-guest'), 'utf8')).toBe('written in the guest');
    expect(daemonsFor(join(b, 'rootfs'))).toEqual([]);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('root.readonly stays on 9p, read-only on the host side', { timeout: T }, () => {
    const id = cid('vfs');
    const b = bundle(['/bin/probe', 'mountinfo', ';', 'write', '/tmp/x', 'data'], (s) => {
      s.root!.readonly = true;
    });
    const r = vm(['run', '--bundle', b, id]);
    expect(r.status).toBe(0);
    expect(rootFsType(r.stdout)).toBe('9p');
    expect(r.stdout).toMatch(/^\d+ \d+ \S+ \/ \/ ro[, ]/m);
    expect(r.stdout).toContain('write /tmp/x error Read-only file system');
    expect(fs.existsSync(join(b, 'rootfs', 'tmp', 'x'))).toBe(false);
    expect(leftovers(root, id)).toEqual([]);
  });

  it('JOEY_VM_FS=9p shares a writable rootfs over 9p', { timeout: T }, () => {
    const id = cid('vfs');
    const b = bundle(['/bin/probe', 'mountinfo', ';', 'write', '/over-9p', 'nine']);
    const r = vm(['run', '--bundle', b, id], { JOEY_VM_FS: '9p' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(rootFsType(r.stdout)).toBe('9p');
    expect(fs.readFileSync(join(b, 'rootfs', 'over-9p'), 'utf8')).toBe('nine');
    expect(leftovers(root, id)).toEqual([]);
  });

  it('create records virtiofsd, leaves no socket; delete --force of a running container leaves no daemon', { timeout: T }, () => {
    const id = cid('vfs');
    const b = bundle(['/bin/probe', 'sleep', '600']);
    const c = detached(b, ['run', '--detach', '--bundle', b, id]);
    try {
      expect(c.stderr).toBe('');
      expect(c.status).toBe(0);
      const s = vmState(id);
      expect(s.vm.fs).toBe('virtiofs');
      const d = s.vm.virtiofsd?.pid ?? 0;
      expect(daemonsFor(join(b, 'rootfs'))).toContain(d);
      expect(fs.existsSync(join(root, id, 'vfs.sock'))).toBe(false);
      expect(joey(root, ['delete', '--force', id]).status).toBe(0);
      expect(daemonsFor(join(b, 'rootfs'))).toEqual([]);
      expect(leftovers(root, id)).toEqual([]);
    } finally {
      joey(root, ['delete', '--force', id]); // a failed assertion must not leave a VM running
    }
  });

  it('virtiofsd exits by itself when QEMU is killed; delete then leaves nothing', { timeout: T }, async () => {
    const id = cid('vfs');
    const b = bundle(['/bin/probe', 'sleep', '600']);
    const c = detached(b, ['run', '--detach', '--bundle', b, id]);
    try {
      expect(c.status).toBe(0);
      expect(vmState(id).vm.virtiofsd).toBeDefined();
      expect(daemonsFor(join(b, 'rootfs')).length).toBeGreaterThan(0);
      process.kill(vmState(id).pid, 'SIGKILL');
      // no joey process watches it: it goes when QEMU closes the vhost-user socket
      expect(await until(() => daemonsFor(join(b, 'rootfs')).length === 0, 10_000)).toBe(true);
      expect(joey(root, ['delete', id]).status).toBe(0);
      expect(leftovers(root, id)).toEqual([]);
    } finally {
      joey(root, ['delete', '--force', id]);
    }
  });

  it('a failed boot, an invalid config and a missing daemon leave no virtiofsd and no state', { timeout: T }, () => {
    const id = cid('vfs');
    const b = bundle(['/bin/probe', 'exit', '0']);
    const slow = vm(['run', '--bundle', b, id], { JOEY_VM_BOOT_TIMEOUT_MS: '300' });
    expect(slow.status).not.toBe(0);
    expect(slow.stderr).toMatch(/did not boot within 0.3s/);
    expect(daemonsFor(join(b, 'rootfs'))).toEqual([]);
    expect(leftovers(root, id)).toEqual([]);
    // launchEarly starts QEMU and virtiofsd from the raw config.json; validation then fails and abandons both
    const bad = bundle(['/bin/probe', 'exit', '0'], (s) => {
      s.process!.rlimits = [{ type: 'RLIMIT_TEST', hard: 1, soft: 1 }];
    });
    const invalid = vm(['run', '--bundle', bad, id]);
    expect(invalid.status).not.toBe(0);
    expect(invalid.stderr).toContain('RLIMIT_TEST');
    expect(daemonsFor(join(bad, 'rootfs'))).toEqual([]);
    expect(leftovers(root, id)).toEqual([]);
    const missing = vm(['run', '--bundle', b, id], { JOEY_VM_FS: 'virtiofs', JOEY_VIRTIOFSD: '/nonexistent/virtiofsd' });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('JOEY_VM_FS=virtiofs: JOEY_VIRTIOFSD=/nonexistent/virtiofsd does not exist');
    expect(leftovers(root, id)).toEqual([]);
  });
});
