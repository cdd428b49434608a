/**
 * Shared bits for the process-security integration tests (issue 3): the
 * capability masks /proc/<pid>/status prints, its fields, an async `joey`
 * (for tests whose own event loop must keep running, like a seccomp
 * listener), and a busybox rootfs.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { capMask } from '../../../src/linux/flags.js';
import { JOEY, type JoeyResult } from '../helpers.js';

/** The 16-hex-digit mask /proc/<pid>/status prints for a list of capability names. */
export function capHex(names: readonly string[] = []): string {
  return capMask(names).toString(16).padStart(16, '0');
}

/** `Key:\tvalue` lines of /proc/<pid>/status (the probe's `status` verb prints a few). */
export function statusFields(out: string): Record<string, string> {
  const r: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^(\w+):\s+(.*)$/.exec(line);
    if (m) r[m[1]!] = m[2]!.trim();
  }
  return r;
}

/** bin/joey without blocking this process's event loop. */
export function joeyAsync(
  root: string,
  args: string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; stdio?: 'pipe' | 'ignore' } = {},
): Promise<JoeyResult> {
  return new Promise((resolve) => {
    // 'ignore' for commands that leave a container holding joey's stdio (create)
    const io = opts.stdio ?? 'pipe';
    const child = spawn(JOEY, ['--root', root, ...args], { stdio: ['ignore', io, io], env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += String(d)));
    child.stderr?.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

export const BUSYBOX = '/bin/busybox';

/** Put a static busybox in the rootfs as /bin/busybox with sh, ls, … symlinks. */
export function addBusybox(rootfs: string): void {
  fs.copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
  fs.chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
  for (const app of ['sh', 'ls', 'cat', 'echo', 'mkdir', 'id', 'ps', 'wc', 'grep', 'sleep', 'touch', 'rm', 'uname', 'true']) {
    const link = join(rootfs, 'bin', app);
    if (!fs.existsSync(link)) fs.symlinkSync('busybox', link);
  }
}

/**
 * `joey run --detach`, `joey create`: the container keeps joey's stdio, so it
 * goes to a file (a pipe would keep spawnSync waiting for the container to exit).
 */
export function joeyLeavingContainer(root: string, args: string[], logDir: string, opts: { argv0?: string[]; env?: NodeJS.ProcessEnv } = {}): { status: number | null; output: string } {
  const log = join(logDir, `joey-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.log`);
  const fd = fs.openSync(log, 'w+', 0o666);
  try {
    const argv = [...(opts.argv0 ?? []), JOEY, '--root', root, ...args];
    const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', fd, fd], timeout: 30_000, env: opts.env ?? process.env });
    return { status: r.status, output: fs.readFileSync(log, 'utf8') };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(log, { force: true });
  }
}

export function runDetached(root: string, bundle: string, id: string): { status: number | null; output: string } {
  return joeyLeavingContainer(root, ['run', '--detach', '--bundle', bundle, id], bundle);
}
