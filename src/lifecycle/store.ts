/**
 * The state store — runtime-spec runtime.md#state; docs/design.md §6
 * Kernel: flock(2), rename(2), renameat2(2) RENAME_EXCHANGE
 * Security: container ids are validated (security.md row 16: an id like
 * `../x` wrote state outside --root in other runtimes)
 *
 * <root>/<id>/state.json   small: what `state` and `list` need, the cgroup section last
 * <root>/<id>/config.json  the validated spec, for exec and delete
 * <root>/<id>/exec.fifo    the create/start barrier, gone after start
 *
 * Writes are atomic (temp file, then the names exchanged: native/addon/replace.c
 * says why not rename over); readers never see half a file. No
 * fsync: state lives on tmpfs (/run), and a crash that could lose it is a
 * reboot, after which every container in it is gone anyway (runc does the same).
 */
import * as fs from 'node:fs';
import { readSmall } from './small-read.js';
import { join, resolve } from 'node:path';
import { StateError, fromNodeError } from '../errors.js';
import { addon, LOCK_EX } from '../native/addon.js';
import type { Spec } from '../spec/types.js';
import { freezerFile } from './freezer.js';
import { isoTime } from '../time.js';

export interface StoredState {
  ociVersion: string;
  id: string;
  /** host pid of the container process, 0 before the init reported it */
  pid: number;
  /** /proc/<pid>/stat field 22, to tell our process from a reused pid */
  startTime: number;
  bundle: string;
  rootfs: string;
  created: string;
  annotations?: Record<string, string>;
  owner: string;
  /** set by create; a container whose init never got this far is "creating" */
  phase: 'creating' | 'created';
  /**
   * The file that says whether the container is frozen (freezer.ts), '' for
   * none: derived from `cgroup` by writeState so that `list` need not parse
   * that section. Absent from state files written before it.
   */
  freezer?: string;
  /** cgroup manager state (paths, which dirs we made, the host layout); written last */
  cgroup?: unknown;
  /** run in a microVM (the --vm backend) */
  vm?: unknown;
  /** the user namespace was ours: rootless state */
  rootless?: boolean;
  /**
   * the hook kinds config.json has entries for, so start and delete read
   * config.json only to run some; absent in an older state file (read it)
   */
  hooks?: string[];
}

/** Whether the saved config.json has `kind` hooks; without the record (an older state file), it may. */
export function mayHaveHooks(s: StoredState, kind: string): boolean {
  return !s.hooks || s.hooks.includes(kind);
}

const AT_FDCWD = -100;
const O_RDONLY = 0;
const O_CREAT = 0o100;

// SECURITY(security.md row 16): an id is one file name under --root, never a path.
const ID_RE = /^[\w+\-.]+$/;

export function validateId(id: string | undefined): string {
  if (!id) throw new StateError('container id cannot be empty', { code: 'EINVALID_ID' });
  if (!ID_RE.test(id) || id === '.' || id === '..') {
    throw new StateError(`invalid container id \`${id}\`: only letters, digits, "_", "+", "-" and "." are allowed`, { code: 'EINVALID_ID' });
  }
  if (id.length > 1024) throw new StateError('container id is too long', { code: 'EINVALID_ID' });
  return id;
}

export function stateDir(root: string, id: string): string {
  return join(root, validateId(id));
}

export function ensureRoot(root: string): void {
  try {
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fromNodeError(err, 'create state root', root);
  }
}

/**
 * Make <root>/<id>; an existing one means the id is taken. Through the addon
 * (mkdirat), which create loads anyway: Node's fs.mkdirSync runs its JS
 * validation for the first time here, and the root exists on every create
 * but a host's first, which alone makes it (ENOENT).
 */
export function makeStateDir(root: string, id: string): string {
  const dir = stateDir(root, id);
  let made: boolean;
  try {
    made = mkdirOnce(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fromNodeError(err, 'create state directory', dir);
    ensureRoot(root);
    try {
      made = mkdirOnce(dir);
    } catch (again) {
      throw fromNodeError(again, 'create state directory', dir);
    }
  }
  if (!made) throw new StateError(`container with id exists: ${id}`, { code: 'EEXISTS' });
  return dir;
}

/** mkdir(2) of a state directory: false if it existed */
function mkdirOnce(dir: string): boolean {
  return addon().mkdirat(AT_FDCWD, dir, 0o711);
}

export function writeAtomic(path: string, data: string | Buffer, mode = 0o600): void {
  addon().writeReplacing(`${path}.${process.pid}.tmp`, path, data, mode);
}

// The cgroup section (~1.2 KB of a ~1.4 KB state.json: paths, created dirs,
// the host layout) goes last, and `freezer`, the one fact list needs from it,
// before it: list reads each state.json only up to that section (STATE_HEAD).

export function writeState(dir: string, state: StoredState): void {
  const { cgroup, ...head } = state;
  // `freezer` even without a cgroup (''): its presence marks this layout
  writeAtomic(join(dir, 'state.json'), JSON.stringify({ ...head, freezer: freezerFile(cgroup), cgroup }));
}

/** readFiles() options for the part of a state.json before its cgroup section, closed as an object. */
export const STATE_HEAD = { stopAt: ',"cgroup":', append: '}' } as const;

/**
 * A state.json text read with STATE_HEAD, parsed: the state without its
 * cgroup section, or null if the cut did not give one; read and parse that
 * file whole then. An older file (no `freezer`, members after the section) or
 * a key "cgroup" inside annotations (the cut leaves an object open) gives null.
 */
export function parseStateHead(head: string): StoredState | null {
  // WHY this is sound: `,"` cannot occur inside a JSON string (its `"` would be
  // `\"`), so the cut falls between members at some depth, and the head plus
  // `}` parses only if that depth is the top level, where the member is the
  // cgroup section itself. With `freezer` present, writeState wrote the file,
  // so nothing follows that section.
  try {
    const s = JSON.parse(head) as StoredState;
    return typeof s.freezer === 'string' ? s : null;
  } catch {
    return null;
  }
}

export function readState(root: string, id: string): StoredState {
  const dir = stateDir(root, id);
  let text: string;
  try {
    text = readSmall(join(dir, 'state.json'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new StateError('container does not exist', { code: 'ENOTEXIST' });
    }
    throw fromNodeError(err, 'read state', join(dir, 'state.json'));
  }
  return JSON.parse(text) as StoredState;
}

export function exists(root: string, id: string): boolean {
  return fs.existsSync(join(stateDir(root, id), 'state.json'));
}

export function listIds(root: string): string[] {
  try {
    return fs.readdirSync(root).filter((n) => ID_RE.test(n) && n !== '.' && n !== '..');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fromNodeError(err, 'list', root);
  }
}

/**
 * The state dir holds only files (state.json, config.json, exec.fifo, .lock,
 * sockets): unlink them and rmdir. Node 20's rmSync loads and runs its JS
 * rimraf even for that, about 2 ms of every delete; it stays the fallback for
 * anything else found inside.
 */
export function removeStateDir(dir: string): void {
  try {
    for (const name of fs.readdirSync(dir)) fs.unlinkSync(join(dir, name));
    fs.rmdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !fs.existsSync(dir)) return;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** An exclusive flock on <dir>/.lock, held until the fd is closed (or we exit). */
export function lockDir(dir: string): number {
  // the addon's openat2 (O_CLOEXEC added), not fs.openSync: one native call
  // on every create, start, delete and run path, without fs's validation
  const a = addon();
  const fd = a.openat2(AT_FDCWD, join(dir, '.lock'), O_RDONLY | O_CREAT, 0o600, 0);
  try {
    a.flock(fd, LOCK_EX);
  } catch (err) {
    a.close(fd);
    throw err;
  }
  return fd;
}

/** The validated spec create saved (plain JSON: no schema library on this path). */
export function readSavedSpec(dir: string): Spec {
  return JSON.parse(fs.readFileSync(join(dir, 'config.json'), 'utf8')) as Spec;
}

/** Digits only, no newline, written atomically: containerd's Atoi refuses "5036\n". */
export function writePidFile(path: string, pid: number): void {
  const abs = resolve(path);
  try {
    writeAtomic(abs, String(pid), 0o644);
  } catch (err) {
    throw fromNodeError(err, 'write pid file', abs);
  }
}

/** The state of a container being created: no pid yet, phase "creating". */
export function newState(spec: Spec, id: string, bundle: string, rootfs: string): StoredState {
  return {
    ociVersion: spec.ociVersion,
    id,
    pid: 0,
    startTime: 0,
    bundle,
    rootfs,
    created: isoTime(),
    annotations: spec.annotations,
    owner: '',
    phase: 'creating',
    hooks: Object.entries(spec.hooks ?? {})
      .filter(([, list]) => Array.isArray(list) && list.length > 0)
      .map(([kind]) => kind),
  };
}
