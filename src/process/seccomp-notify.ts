/**
 * Seccomp user notification — runtime-spec config-linux.md#seccomp
 * (listenerPath, listenerMetadata) and the "containerProcessState" message of
 * runtime.md; seccomp_unotify(2), unix(7) SCM_RIGHTS
 *
 * The init loads a filter with SECCOMP_FILTER_FLAG_NEW_LISTENER and hands the
 * notify fd back over the sync socket; the runtime passes it on to the agent
 * listening on listenerPath, with the container process state, as runc does
 * (one SOCK_STREAM connection, one message, the fd as SCM_RIGHTS). The init
 * waits for our ACK before it goes on, so the agent has the fd before the
 * container's first notified syscall. For `exec` the same happens with the
 * exec'd process's pid and the container "running".
 */
import { addon } from '../native/addon.js';
import { RuntimeError } from '../errors.js';
import type { Spec } from '../spec/types.js';
import type { StoredState } from '../lifecycle/store.js';

export interface ListenerMessageOptions {
  /** the process that loaded the filter (default: the container's init) */
  pid?: number;
  /** the container's status in the message (default "creating") */
  status?: string;
}

/** runtime-spec containerProcessState: what the listener receives with the fd. */
export function listenerMessage(spec: Spec, state: StoredState, o: ListenerMessageOptions = {}): Record<string, unknown> {
  return {
    ociVersion: state.ociVersion,
    fds: ['seccompFd'],
    pid: o.pid ?? state.pid,
    metadata: spec.linux?.seccomp?.listenerMetadata ?? '',
    state: {
      ociVersion: state.ociVersion,
      id: state.id,
      status: o.status ?? 'creating',
      pid: state.pid,
      bundle: state.bundle,
      annotations: state.annotations ?? {},
    },
  };
}

/** Send the notify fd to the listener; the fd is closed here in every case. */
export function sendSeccompListener(spec: Spec, state: StoredState, fd: number, o: ListenerMessageOptions = {}): void {
  const a = addon();
  const path = spec.linux?.seccomp?.listenerPath;
  try {
    if (!path) throw new RuntimeError('linux.seccomp.listenerPath: required with SCMP_ACT_NOTIFY (config-linux.md#seccomp)');
    let sock = -1;
    try {
      sock = a.connectUnix(path);
    } catch (err) {
      throw new RuntimeError(`connect to seccomp listener \`${path}\`: ${(err as Error).message}`, { cause: err });
    }
    try {
      a.sendmsg(sock, Buffer.from(JSON.stringify(listenerMessage(spec, state, o))), [fd]);
    } catch (err) {
      throw new RuntimeError(`send the seccomp notify fd to \`${path}\`: ${(err as Error).message}`, { cause: err });
    } finally {
      a.close(sock);
    }
  } finally {
    a.close(fd);
  }
}
