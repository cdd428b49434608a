/**
 * Shared helpers for integration tests (root, real containers).
 *
 * Every test file gets its own state root under /run/joey-test/<name>, and
 * bundles are made in a temp dir with a rootfs holding the static probe
 * (native/probe/probe.c) as /bin/probe and the hello program.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll } from 'vitest';
import { addon } from '../../src/native/addon.js';
import { defaultSpec } from '../../src/spec/defaults.js';
import type { Spec } from '../../src/spec/types.js';

export const TOP = resolve(__dirname, '..', '..');
export const JOEY = join(TOP, 'bin', 'joey');
export const PROBE = join(TOP, 'native', 'build', 'probe');
export const HELLO = join(TOP, 'native', 'build', 'hello');
export const isRoot = process.getuid?.() === 0;

export interface JoeyResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run bin/joey synchronously with a private --root. */
export function joey(root: string, args: string[], opts: SpawnSyncOptions = {}): JoeyResult {
  const r = spawnSync(JOEY, ['--root', root, ...args], { encoding: 'utf8', timeout: 60_000, ...opts });
  return { status: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/** A fresh state root for one test file. */
/**
 * A private --root for one test file (call it at collection time, in a
 * describe). After the file's tests it is removed if nothing but joey's
 * seccomp filter cache is left in it; a root still holding a container stays,
 * so a leak is visible.
 */
export function stateRoot(name: string): string {
  const dir = join('/run/joey-test', `${name}-${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  afterAll(() => {
    try {
      fs.rmSync(join(dir, '.seccomp-cache'), { recursive: true, force: true });
      fs.rmdirSync(dir);
    } catch {
      /* not empty: a leftover the tests report */
    }
  });
  return dir;
}

/** A terminal's output as lines: CRs, and the NULs script(1) and ptys add, removed. */
export function ptyLines(out: string): string[] {
  return out.split(/\r*\n/).map((l) => l.replace(/\^@/g, '').replace(/\0/g, '')).filter(Boolean);
}

/** A minimal rootfs: /bin/probe, /bin/hello, /etc/passwd and group, empty proc/dev/sys/tmp. */
export function makeRootfs(dir: string): string {
  for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc', 'root']) fs.mkdirSync(join(dir, d), { recursive: true });
  fs.copyFileSync(PROBE, join(dir, 'bin', 'probe'));
  fs.copyFileSync(HELLO, join(dir, 'bin', 'hello'));
  fs.chmodSync(join(dir, 'bin', 'probe'), 0o755);
  fs.chmodSync(join(dir, 'bin', 'hello'), 0o755);
  fs.writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  fs.writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  return dir;
}

/**
 * A bundle in a temp dir: `joey spec` defaults, terminal off, the probe as
 * the process, then `edit` to change what the test is about.
 */
export function makeBundle(args: string[], edit: (spec: Spec) => void = () => {}): string {
  const bundle = fs.mkdtempSync(join(tmpdir(), 'joey-bundle-'));
  makeRootfs(join(bundle, 'rootfs'));
  const spec = defaultSpec({ args });
  spec.process!.terminal = false;
  spec.process!.env = ['PATH=/bin', 'HOME=/root'];
  edit(spec);
  fs.writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
  return bundle;
}

export function removeBundle(bundle: string): void {
  fs.rmSync(bundle, { recursive: true, force: true });
}

/** `probe` prints "key value" lines; collect them. */
export function lines(out: string, key: string): string[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith(`${key} `))
    .map((l) => l.slice(key.length + 1));
}

/** Unique container id per test. */
let seq = 0;
export function cid(prefix = 't'): string {
  return `${prefix}-${process.pid}-${++seq}`;
}

/** Everything joey may leave behind for a container id: state dir, cgroup dirs, processes. */
export function leftovers(root: string, id: string): string[] {
  const found: string[] = [];
  if (fs.existsSync(join(root, id))) found.push(`state dir ${join(root, id)}`);
  for (const base of fs.readdirSync('/sys/fs/cgroup')) {
    const p = join('/sys/fs/cgroup', base, 'joey', id);
    if (fs.existsSync(p)) found.push(`cgroup ${p}`);
  }
  for (const pid of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    if (Number(pid) === process.pid) continue;
    let cmd = '';
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmd.includes(id)) found.push(`process ${pid}: ${cmd.replace(/\0/g, ' ').trim()}`);
    // An init (joey:[1:CHILD], joey:[2:INIT]) has no id in its command line,
    // but holds exec.fifo, even once the state dir is gone.
    else if (cmd.startsWith('joey:[')) {
      let fds: string[] = [];
      try {
        fds = fs.readdirSync(`/proc/${pid}/fd`).map((fd) => fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      } catch {
        continue;
      }
      if (fds.some((l) => l.startsWith(`${join(root, id)}/`))) found.push(`init ${pid}: ${cmd.replace(/\0/g, ' ').trim()}`);
    }
  }
  return found;
}

export interface ConsoleReceived {
  data: string;
  fds: number[];
  /** bytes after the message: the socket must be closed (EOF) after the one sendmsg */
  rest: number;
}

/** A console socket like containerd's: accept, recvmsg, expect EOF (clients.md §5.1). */
export async function consoleReceiver(timeoutMs = 5000): Promise<{ path: string; got: Promise<ConsoleReceived>; close(): void }> {
  const dir = fs.mkdtempSync(join(tmpdir(), 'joey-cs-'));
  const path = join(dir, 'pty.sock');
  let done: (r: ConsoleReceived) => void = () => {};
  let fail: (e: Error) => void = () => {};
  const got = new Promise<ConsoleReceived>((res, rej) => {
    done = res;
    fail = rej;
  });
  const server = net.createServer({ pauseOnConnect: true }, (sock) => {
    try {
      const fd = (sock as unknown as { _handle: { fd: number } })._handle.fd;
      const m = addon().recvmsg(fd, 64, timeoutMs);
      const after = addon().recvmsg(fd, 64, timeoutMs);
      done({ data: m.data.toString(), fds: m.fds, rest: after.eof ? 0 : after.data.length + after.fds.length });
    } catch (e) {
      fail(e as Error);
    } finally {
      sock.destroy();
    }
  });
  await new Promise<void>((res) => server.listen(path, res));
  return {
    path,
    got,
    close: () => {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
