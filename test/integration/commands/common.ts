/**
 * Helpers for the runc-compatible command tests (ps, pause, resume, update,
 * events, features): long-lived containers whose stdio goes to files (a
 * detached container holding a pipe would keep spawnSync waiting), and
 * short bounded polling instead of sleeps.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Spec } from '../../../src/spec/types.js';
import { JOEY, cid, joey, makeBundle, removeBundle } from '../helpers.js';

export interface Running {
  id: string;
  bundle: string;
  /** host pid of the container's init */
  pid: number;
  cleanup(): void;
}

/** joey with stdio on files; returns exit status and stderr. */
export function joeyDetached(root: string, args: string[]): { status: number | null; stderr: string } {
  const dir = fs.mkdtempSync(join(tmpdir(), 'joey-cmd-'));
  const out = fs.openSync(join(dir, 'out'), 'w');
  const err = fs.openSync(join(dir, 'err'), 'w');
  try {
    const r = spawnSync(JOEY, ['--root', root, ...args], { stdio: ['ignore', out, err], timeout: 60_000 });
    return { status: r.status, stderr: fs.readFileSync(join(dir, 'err'), 'utf8') };
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `create` (and `start` unless `start` is false) a container running `args`. */
export function startContainer(root: string, args: string[], edit: (s: Spec) => void = () => {}, start = true): Running {
  const bundle = makeBundle(args, edit);
  const id = cid('cmd');
  const cleanup = (): void => {
    joey(root, ['delete', '--force', id]);
    removeBundle(bundle);
  };
  const c = joeyDetached(root, ['create', '--bundle', bundle, id]);
  if (c.status !== 0) {
    cleanup();
    throw new Error(`create ${id}: ${c.stderr}`);
  }
  if (start) {
    const s = joey(root, ['start', id]);
    if (s.status !== 0) {
      cleanup();
      throw new Error(`start ${id}: ${s.stderr}`);
    }
  }
  return { id, bundle, pid: stateOf(root, id).pid, cleanup };
}

export function stateOf(root: string, id: string): { status: string; pid: number } {
  const r = joey(root, ['state', id]);
  if (r.status !== 0) throw new Error(`state ${id}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { status: string; pid: number };
}

const cell = new Int32Array(new SharedArrayBuffer(4));
export function sleepMs(ms: number): void {
  Atomics.wait(cell, 0, 0, ms);
}

/** Poll `cond` every 20 ms for at most `ms`; returns whether it came true. */
export function waitFor(cond: () => boolean, ms = 5000): boolean {
  const end = Date.now() + ms;
  for (;;) {
    if (cond()) return true;
    if (Date.now() > end) return false;
    sleepMs(20);
  }
}

/** utime + stime of a process, in clock ticks (proc(5) /proc/<pid>/stat fields 14 and 15). */
export function cpuTicks(pid: number): number {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** A spec edit: memory limit and swap (so an allocation cannot hide in swap). */
export function withMemory(limit: number): (s: Spec) => void {
  return (s) => {
    s.linux ??= {};
    s.linux.resources = { ...s.linux.resources, memory: { limit, swap: limit } };
  };
}
