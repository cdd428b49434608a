/**
 * Errors — one hierarchy for the whole runtime (docs/style.md §7).
 *
 * Messages are lower-case, carry no trailing period, and quote paths in
 * backticks. They are logged once, at the CLI boundary (src/cli/log.ts), and
 * the last `"level":"error"` line of `--log` is what containerd shows a user,
 * so a message must carry the real cause ("no such file or directory").
 */

export interface ErrorDetails {
  /** stable code, e.g. `ESPEC_INVALID` */
  code?: string;
  /** runtime-spec section, e.g. `config.md#posix-process` */
  specRef?: string;
  /** JSON path into config.json, e.g. `process.rlimits[2].type` */
  jsonPath?: string;
  errno?: string;
  path?: string;
  /** exit status the CLI uses (runc uses 1 for runtime errors) */
  exitCode?: number;
  cause?: unknown;
}

export class RuntimeError extends Error {
  readonly code: string;
  readonly specRef?: string;
  readonly jsonPath?: string;
  readonly errno?: string;
  readonly path?: string;
  readonly exitCode: number;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = details.code ?? 'ERUNTIME';
    this.specRef = details.specRef;
    this.jsonPath = details.jsonPath;
    this.errno = details.errno;
    this.path = details.path;
    this.exitCode = details.exitCode ?? 1;
  }
}

/**
 * True for a RuntimeError from any copy of this module. bin/joey runs each
 * verb from its own bundle and loads rarely used modules (the --vm backend,
 * zod's validation) from another, so one error can cross two copies of this
 * class; the CLI boundary must still see its exit code and message.
 */
export function isRuntimeError(err: unknown): err is RuntimeError {
  if (err instanceof RuntimeError) return true;
  const e = err as { code?: unknown; exitCode?: unknown } | null;
  return err instanceof Error && typeof e?.code === 'string' && typeof e.exitCode === 'number';
}

/**
 * A bad config.json value. Rendered as
 * `process.rlimits[2].type: unknown rlimit "RLIMIT_TEST" (config.md#posix-process)`.
 */
export class SpecError extends RuntimeError {
  constructor(jsonPath: string, message: string, specRef: string, code = 'ESPEC_INVALID') {
    super(`${jsonPath ? `${jsonPath}: ` : ''}${message} (${specRef})`, { code, specRef, jsonPath });
  }
}

/** The host cannot provide what the spec asks for (reported, never ignored). */
export class UnsupportedError extends RuntimeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, { code: 'EUNSUPPORTED', ...details });
  }
}

/** Container state: unknown id, wrong status for the operation, bad id. */
export class StateError extends RuntimeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, { code: 'ESTATE', ...details });
  }
}

/** A system call made by Node itself (through the addon or fs) failed. */
export class SyscallError extends RuntimeError {
  constructor(syscall: string, errno: string, message: string, details: ErrorDetails = {}) {
    super(`${syscall} ${message}: ${errnoText(errno)}`, { code: 'ESYSCALL', errno, ...details });
  }
}

/** The C init reported a failed op (index, errno, message). */
export class InitError extends RuntimeError {
  readonly opIndex: number;
  constructor(message: string, opIndex: number, details: ErrorDetails = {}) {
    super(message, { code: 'EINIT', ...details });
    this.opIndex = opIndex;
  }
}

export class CgroupError extends RuntimeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, { code: 'ECGROUP', ...details });
  }
}

export class HookError extends RuntimeError {
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, { code: 'EHOOK', ...details });
  }
}

/** Bad command-line usage (runc exits 1 with a usage message too). */
export class UsageError extends RuntimeError {
  constructor(message: string) {
    super(message, { code: 'EUSAGE' });
  }
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'file exists',
  EINVAL: 'invalid argument',
  ELOOP: 'too many levels of symbolic links',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EXDEV: 'invalid cross-device link',
  EBUSY: 'device or resource busy',
  ESRCH: 'no such process',
  ENOSYS: 'function not implemented',
  ENOSPC: 'no space left on device',
  EAGAIN: 'resource temporarily unavailable',
  ENOTEMPTY: 'directory not empty',
};

/** `ENOENT` → `no such file or directory (ENOENT)`; unknown codes pass through. */
export function errnoText(errno: string): string {
  const text = ERRNO_TEXT[errno];
  return text ? `${text} (${errno})` : errno;
}

/** Node's fs errors carry `code`; turn one into a SyscallError with a path. */
export function fromNodeError(err: unknown, what: string, path?: string): RuntimeError {
  if (isRuntimeError(err)) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string') {
    const where = path ? ` \`${path}\`` : '';
    return new SyscallError(e.syscall ?? what, e.code, `${what}${where}`.trim(), { path, cause: err });
  }
  return new RuntimeError(`${what}: ${String((e as Error)?.message ?? e)}`, { cause: err });
}
