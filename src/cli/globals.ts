/**
 * Global flags (runc's global options) and the error boundary, shared by the
 * commander CLI (main.ts) and the fast path (fast.ts).
 */
import { Logger, type LogFormat } from './log.js';
import { isRuntimeError } from '../errors.js';
import type { Globals } from '../lifecycle/context.js';

export interface GlobalFlags {
  root?: string;
  log?: string;
  logFormat: LogFormat;
  debug?: boolean;
  systemdCgroup?: boolean;
  rootless?: string;
  vm?: boolean;
  vmAccel?: string;
  version?: boolean;
}

/** runc's default is /run/runc; ours /run/joey, or $XDG_RUNTIME_DIR/joey when not root. */
export function defaultRoot(): string {
  const euid = process.geteuid?.() ?? 0;
  if (euid !== 0) {
    const xdg = process.env.XDG_RUNTIME_DIR;
    if (xdg) return `${xdg}/joey`;
    return `/tmp/joey-${euid}`;
  }
  return '/run/joey';
}

export function makeGlobals(f: GlobalFlags, logger: Logger): Globals {
  return {
    root: f.root ?? defaultRoot(),
    debug: !!f.debug,
    systemdCgroup: !!f.systemdCgroup,
    trace: f.debug ? (line) => logger.debug(line) : undefined,
    warn: (msg) => logger.warn(msg),
    vm: !!f.vm,
    vmAccel: f.vmAccel,
  };
}

/** Log an error once and set the exit status (runc: 1, or the error's own). */
export function reportError(err: unknown, logger: Logger): void {
  if (isRuntimeError(err)) {
    logger.error(err.message);
    process.exitCode = err.exitCode;
    return;
  }
  logger.error(err instanceof Error ? err.message : String(err));
  if (process.env.JOEY_DEBUG_STACK) process.stderr.write(`${(err as Error).stack}\n`);
  process.exitCode = 1;
}
