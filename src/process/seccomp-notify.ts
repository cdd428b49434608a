/**
 * Seccomp user notification — runtime-spec config-linux.md#seccomp
 * (listenerPath, listenerMetadata); seccomp_unotify(2), unix(7) SCM_RIGHTS
 *
 * The init loads a filter with SECCOMP_FILTER_FLAG_NEW_LISTENER and hands the
 * notify fd back; we send it to the listener with the container process
 * state, the message runc sends (runtime-spec "containerProcessState").
 */
import { addon } from '../native/addon.js';
import { RuntimeError } from '../errors.js';
import type { Spec } from '../spec/types.js';
import type { StoredState } from '../lifecycle/store.js';

export function sendSeccompListener(spec: Spec, state: StoredState, fd: number): void {
  const a = addon();
  const path = spec.linux?.seccomp?.listenerPath;
  try {
    if (!path) throw new RuntimeError('linux.seccomp.listenerPath: required with SCMP_ACT_NOTIFY (config-linux.md#seccomp)');
    const msg = {
      ociVersion: state.ociVersion,
      fds: ['seccompFd'],
      pid: state.pid,
      metadata: spec.linux?.seccomp?.listenerMetadata ?? '',
      state: { ociVersion: state.ociVersion, id: state.id, status: 'creating', pid: state.pid, bundle: state.bundle, annotations: state.annotations ?? {} },
    };
    let sock = -1;
    try {
      sock = a.connectUnix(path);
    } catch (err) {
      throw new RuntimeError(`connect to seccomp listener \`${path}\`: ${(err as Error).message}`, { cause: err });
    }
    try {
      a.sendmsg(sock, Buffer.from(JSON.stringify(msg)), [fd]);
    } finally {
      a.close(sock);
    }
  } finally {
    a.close(fd);
  }
}
