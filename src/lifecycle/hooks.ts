/**
 * Hooks run by the runtime — runtime-spec config.md#posix-platform-hooks,
 * runtime.md#lifecycle
 * Kernel: execve(2); the state JSON goes to the hook's stdin
 *
 * prestart and createRuntime run in the runtime's namespaces when the init
 * asks (sync-hooks, after the container's namespaces exist, before
 * pivot_root); poststart after `start`; poststop after `delete`.
 * A failing prestart/createRuntime aborts create (and create cleans up);
 * poststart and poststop failures are warnings (runtime.md).
 */
import { HookError } from '../errors.js';
import type { Hook } from '../spec/types.js';
import type { StoredState } from './store.js';

export interface OciState {
  ociVersion: string;
  id: string;
  status: string;
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}

export function ociState(s: StoredState, status: string): OciState {
  return { ociVersion: s.ociVersion, id: s.id, status, pid: s.pid || undefined, bundle: s.bundle, annotations: s.annotations };
}

export function runHooks(kind: string, hooks: readonly Hook[] | undefined, state: OciState): void {
  (hooks ?? []).forEach((hook, i) => runHook(kind, i, hook, state));
}

export function runHook(kind: string, index: number, hook: Hook, state: OciState): void {
  const args = hook.args && hook.args.length ? hook.args : [hook.path];
  const env: Record<string, string> = {};
  for (const kv of hook.env ?? []) {
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  // Loaded here, not at the top: most containers have no hooks, and
  // child_process brings net, dgram and streams with it (~10 % of a `create`).
  const { spawnSync } = process.getBuiltinModule('node:child_process');
  const r = spawnSync(hook.path, args.slice(1), {
    argv0: args[0],
    env,
    input: JSON.stringify(state),
    stdio: ['pipe', 'inherit', 'inherit'],
    timeout: hook.timeout ? hook.timeout * 1000 : undefined,
    killSignal: 'SIGKILL',
  });
  const where = `hooks.${kind}[${index}] \`${hook.path}\``;
  // A hook that never reads its stdin (e.g. /bin/true) is fine: runc ignores
  // the EPIPE of writing the state to it, and so do we.
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'EPIPE') {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ETIMEDOUT') throw new HookError(`${where}: timed out after ${hook.timeout}s`, { specRef: 'config.md#posix-platform-hooks' });
    throw new HookError(`${where}: ${r.error.message}`, { specRef: 'config.md#posix-platform-hooks', errno: code });
  }
  if (r.signal) throw new HookError(`${where}: killed by ${r.signal}${hook.timeout ? ` (timeout ${hook.timeout}s)` : ''}`, { specRef: 'config.md#posix-platform-hooks' });
  if (r.status !== 0) throw new HookError(`${where}: exit status ${r.status}`, { specRef: 'config.md#posix-platform-hooks' });
}
