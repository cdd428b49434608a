/**
 * Helpers shared by the core runtime tests (test/integration/core): run the
 * probe in a fresh bundle, create long-lived containers whose stdio goes to
 * files (so the caller never waits on a pipe the container still holds), and
 * poll with short bounded loops instead of sleeping.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Spec } from '../../../src/spec/types.js';
import { JOEY, cid, joey, makeBundle, removeBundle, leftovers, type JoeyResult } from '../helpers.js';

export interface ProbeRun extends JoeyResult {
  id: string;
  leftovers: string[];
}

/** `joey run` the probe with `args` in a fresh bundle edited by `edit`; the bundle is removed after. */
export function runProbe(root: string, args: string[], edit: (s: Spec) => void = () => {}, extra: string[] = [], prepare: (bundle: string) => void = () => {}): ProbeRun {
  const bundle = makeBundle(args, edit);
  prepare(bundle);
  const id = cid();
  try {
    const r = joey(root, ['run', '--bundle', bundle, ...extra, id]);
    return { ...r, id, leftovers: leftovers(root, id) };
  } finally {
    joey(root, ['delete', '--force', id]);
    removeBundle(bundle);
  }
}

export interface Background {
  status: number | null;
  /** what joey and the container wrote so far */
  out(): string;
  err(): string;
}

/**
 * Run joey (create, run -d) with stdout and stderr going to files, not pipes:
 * the container inherits them and outlives the joey process.
 */
export function joeyToFiles(root: string, args: string[]): Background {
  const dir = fs.mkdtempSync(join(tmpdir(), 'joey-out-'));
  const outPath = join(dir, 'out');
  const errPath = join(dir, 'err');
  const out = fs.openSync(outPath, 'w');
  const err = fs.openSync(errPath, 'w');
  try {
    const r = spawnSync(JOEY, ['--root', root, ...args], { stdio: ['ignore', out, err], timeout: 60_000 });
    return {
      status: r.status,
      out: () => fs.readFileSync(outPath, 'utf8'),
      err: () => fs.readFileSync(errPath, 'utf8'),
    };
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
  }
}

/** Poll `cond` every 10 ms for at most `ms`; returns whether it came true. */
export function waitFor(cond: () => boolean, ms = 5000): boolean {
  const end = Date.now() + ms;
  for (;;) {
    if (cond()) return true;
    if (Date.now() > end) return false;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}

/** `joey state` parsed. */
export function stateOf(root: string, id: string): { status: string; pid: number; id: string; bundle: string } {
  const r = joey(root, ['state', id]);
  if (r.status !== 0) throw new Error(`state ${id}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A long-running created (not started) container; returns its id, bundle and pid. */
export function createSleeper(root: string, args: string[] = ['probe', 'sleep', '60'], edit: (s: Spec) => void = () => {}, prepare: (bundle: string) => void = () => {}): { id: string; bundle: string; pid: number; bg: Background } {
  const bundle = makeBundle(args, edit);
  prepare(bundle);
  const id = cid();
  const bg = joeyToFiles(root, ['create', '--bundle', bundle, id]);
  if (bg.status !== 0) {
    removeBundle(bundle);
    throw new Error(`create ${id}: ${bg.err()}`);
  }
  return { id, bundle, pid: stateOf(root, id).pid, bg };
}

export function cleanup(root: string, id: string, bundle?: string): void {
  joey(root, ['delete', '--force', id]);
  if (bundle) removeBundle(bundle);
}

/** mountinfo lines as records keyed by mount point. */
export interface MountEntry {
  mountPoint: string;
  root: string;
  options: string[];
  optional: string[];
  fstype: string;
  source: string;
  superOptions: string[];
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (f.length < 10 || dash < 6) continue;
    out.push({
      root: f[3]!,
      mountPoint: f[4]!,
      options: f[5]!.split(','),
      optional: f.slice(6, dash),
      fstype: f[dash + 1]!,
      source: f[dash + 2]!,
      superOptions: (f[dash + 3] ?? '').split(','),
    });
  }
  return out;
}

/** The last mount at `point` (the one visible). */
export function mountAt(entries: MountEntry[], point: string): MountEntry | undefined {
  return entries.filter((e) => e.mountPoint === point).pop();
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(join(tmpdir(), prefix));
}

/** Whether `pid` is gone or a zombie (cheaper to poll than `joey state`). */
export function exited(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}
