/**
 * Filesystem bundle — runtime-spec bundle.md, config.md#root
 * Kernel: stat(2), realpath(3)
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
import type { Spec } from './types.js';
import { validateSpec } from './validate.js';

export interface Bundle {
  /** absolute path of the bundle directory, as given (not symlink-resolved) */
  bundle: string;
  /** the validated config.json */
  config: Spec;
  /** absolute, symlink-resolved path of the root filesystem directory */
  rootfs: string;
}

/** Read, parse and validate `<bundleDir>/config.json` and locate its rootfs. */
export function loadBundle(bundleDir: string): Bundle {
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

  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const detail = (err as Error).message;
    throw new SpecError('config.json', `invalid JSON: ${lowerFirst(detail)}`, 'bundle.md', 'ESPEC_JSON');
  }

  const config = validateSpec(raw);
  // validateSpec guarantees root (config.md#root is REQUIRED on Linux).
  const rootPath = config.root?.path ?? '';
  return { bundle, config, rootfs: locateRootfs(bundle, rootPath) };
}

/** config.md#root: "A directory MUST exist at the path declared by the field." */
function locateRootfs(bundle: string, rootPath: string): string {
  const abs = resolve(bundle, rootPath);
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
  return realpathSync(abs);
}

function lowerFirst(s: string): string {
  return s.length > 0 ? s[0]!.toLowerCase() + s.slice(1) : s;
}
