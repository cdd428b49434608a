/**
 * Helpers shared by the security regression tests (docs security.md): small
 * C programs compiled on the fly (attack programs, a console-socket
 * receiver), host scratch directories, and create/delete wrappers.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { JOEY, joey, leftovers } from '../helpers.js';

const CC_DIR = fs.mkdtempSync(join(tmpdir(), 'joey-sec-cc-'));
process.on('exit', () => fs.rmSync(CC_DIR, { recursive: true, force: true }));

/** Compile one C file (static unless flags say otherwise); returns the binary path. */
export function compileC(name: string, source: string, flags: string[] = ['-static']): string {
  const src = join(CC_DIR, `${name}.c`);
  const out = join(CC_DIR, name);
  fs.writeFileSync(src, source);
  const r = spawnSync('gcc', ['-O1', '-g', '-D_GNU_SOURCE', '-o', out, src, ...flags], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc ${name}: ${r.stderr}`);
  return out;
}

/** A host directory a test watches: nothing may appear in it. */
export function hostDir(prefix: string): string {
  return fs.mkdtempSync(join(tmpdir(), `joey-sec-${prefix}-`));
}

export function sha256(path: string): string {
  return createHash('sha256').update(fs.readFileSync(path)).digest('hex');
}

/** Is `path` (or anything under it) a mount point in our namespace? */
export function mountedUnder(path: string): string[] {
  const real = fs.realpathSync(path);
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((mp) => mp === real || mp.startsWith(`${real}/`));
}

/** delete --force, then check nothing is left for `id`. */
export function cleanup(root: string, id: string): void {
  joey(root, ['delete', '--force', id]);
  expect(leftovers(root, id)).toEqual([]);
}

/** `joey state` → parsed JSON */
export function state(root: string, id: string): { status: string; pid: number } {
  const r = joey(root, ['state', id]);
  if (r.status !== 0) throw new Error(`state ${id}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { status: string; pid: number };
}

/**
 * `create` or `run -d`: the container inherits our stdio, so a pipe would
 * stay open as long as it runs; send its stdio (and joey's) to a file.
 */
export function joeyDetached(root: string, args: string[]): { status: number | null; output: string } {
  const log = join(CC_DIR, `detached-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.log`);
  const fd = fs.openSync(log, 'w+');
  try {
    const r = spawnSync(JOEY, ['--root', root, ...args], { stdio: ['ignore', fd, fd], timeout: 60_000 });
    return { status: r.status, output: fs.readFileSync(log, 'utf8') };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(log, { force: true });
  }
}
