/**
 * Opening a bundle without zod — runtime-spec bundle.md, config.md#root,
 * config.md "Valid values"; stat(2), realpath(3).
 *
 * WHY: zod costs about one more Node start-up (~110 ms, +16 MB RSS; docs
 * performance.md §8.3, §13 item 2) and `joey create`/`run`/`exec` read one
 * config and exit. A valid config is checked by shape.ts (a mirror of the
 * zod schemas, generated from them) and the rules in checks.ts; only when
 * that says no is validate.ts (zod) loaded, to decide and word the one-line
 * SpecError. Either way the result and the messages are those of
 * validateSpec: the differential test (test/unit/spec/shape.test.ts) holds
 * the fast path to "accepts only what zod accepts, and parses it the same".
 *
 * A bundle is a directory holding config.json and (usually) the rootfs.
 * `root.path` may be absolute or relative, and a relative one is relative to
 * the bundle, never to joey's cwd: containerd runs `runc create --bundle X`
 * from an unrelated directory.
 * Mirrors: runc utils_linux.go loadSpec + specconv rootfs handling.
 */

import { readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fromNodeError, SpecError, SyscallError } from '../errors.js';
import { CHECKS, normalizeSpec, ociVersionSupported } from './checks.js';
import { parseShape, REJECT } from './shape.js';
import { ProcessShape, SpecShape } from './shape.generated.js';
import type { Process, Spec } from './types.js';

export interface Bundle {
  /** absolute path of the bundle directory, as given (not symlink-resolved) */
  bundle: string;
  /** the validated config.json */
  config: Spec;
  /** absolute, symlink-resolved path of the root filesystem directory */
  rootfs: string;
}

// ---------------------------------------------------------------------------
// config.json and process.json values

/**
 * validateSpec's result when the value is valid and the fast shape check can
 * tell; undefined when the shape check says no (ask validate.ts). Throws the
 * same SpecError as validateSpec for a bad version and for the rules between
 * fields, which run on the same parsed value.
 */
export function parseSpecFast(raw: unknown): Spec | undefined {
  // As validateSpec: a future major version is reported before its shape.
  const version = (raw as { ociVersion?: unknown } | null)?.ociVersion;
  if (typeof version === 'string') ociVersionSupported({ ociVersion: version } as Spec);
  const parsed = parseShape(SpecShape, raw);
  if (parsed === REJECT) return undefined;
  const spec = parsed as Spec;
  for (const check of CHECKS) check(spec);
  return normalizeSpec(spec);
}

/** validateSpec(raw), loading zod only when the config is not valid. */
export async function parseSpec(raw: unknown): Promise<Spec> {
  return parseSpecFast(raw) ?? (await import('./validate.js')).validateSpec(raw);
}

/** validateProcess(raw) (`exec --process FILE`), loading zod only when the file is not valid. */
export async function parseProcess(raw: unknown): Promise<Process> {
  const parsed = parseShape(ProcessShape, raw);
  if (parsed !== REJECT) return parsed as Process;
  return (await import('./validate.js')).validateProcess(raw);
}

// ---------------------------------------------------------------------------
// the bundle directory

/** Read and parse `<bundleDir>/config.json` (not yet validated). */
/** config.json as read and parsed, not yet validated */
export interface BundleConfig {
  /** absolute path of the bundle directory */
  bundle: string;
  raw: unknown;
}

export function readBundleConfig(bundleDir: string): BundleConfig {
  const bundle = resolve(bundleDir);
  const configPath = join(bundle, 'config.json');

  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string') throw new SyscallError('open', code, `\`${configPath}\``, { path: configPath, cause: err });
    throw fromNodeError(err, 'open', configPath);
  }

  try {
    return { bundle, raw: JSON.parse(text) };
  } catch (err) {
    const detail = (err as Error).message;
    throw new SpecError('config.json', `invalid JSON: ${lowerFirst(detail)}`, 'bundle.md', 'ESPEC_JSON');
  }
}

/**
 * Read, parse and validate `<bundleDir>/config.json` and locate its rootfs;
 * zod only for a bad config. `read`: the config already read from there.
 */
export async function openBundle(bundleDir: string, read?: BundleConfig): Promise<Bundle> {
  const { bundle, raw } = read ?? readBundleConfig(bundleDir);
  const config = await parseSpec(raw);
  return { bundle, config, rootfs: locateRootfs(bundle, config) };
}

/** config.md#root: "A directory MUST exist at the path declared by the field." */
export function locateRootfs(bundle: string, config: Spec): string {
  // validateSpec guarantees root (config.md#root is REQUIRED on Linux).
  const abs = resolve(bundle, config.root?.path ?? '');
  let isDir: boolean;
  try {
    isDir = statSync(abs).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SpecError('root.path', `\`${abs}\` does not exist`, 'config.md#root', 'ESPEC_ROOTFS');
    if (code === 'ENOTDIR') {
      throw new SpecError('root.path', `\`${abs}\` does not exist (a parent is not a directory)`, 'config.md#root', 'ESPEC_ROOTFS');
    }
    throw fromNodeError(err, 'stat', abs);
  }
  if (!isDir) throw new SpecError('root.path', `\`${abs}\` is not a directory`, 'config.md#root', 'ESPEC_ROOTFS');
  // Resolved once, here: the plan then names the real directory, and a
  // symlink in the bundle cannot be swapped between create and start.
  // realpath(3) in one call: Node's JS realpathSync lstat()s each component
  // itself (~0.3 ms here, cold, against 0.04 ms).
  return realpathSync.native(abs);
}

function lowerFirst(s: string): string {
  return s.length > 0 ? s[0]!.toLowerCase() + s.slice(1) : s;
}
