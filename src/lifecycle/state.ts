/**
 * state — runtime-spec runtime.md#state and #query-state; runc's `state`.
 * Cheap on purpose: no schema library, no addon unless the container may be
 * paused (the freezer is read only for a live, started container).
 */
import { readState, stateDir, type StoredState } from './store.js';
import { deriveStatus, type Status } from './status.js';
import { isFrozen } from './freezer.js';
import type { Globals } from './context.js';

export interface StateOutput {
  ociVersion: string;
  id: string;
  pid: number;
  status: Status;
  bundle: string;
  rootfs: string;
  created: string;
  annotations?: Record<string, string>;
  owner: string;
}

export function statusOf(root: string, s: StoredState): Status {
  const dir = stateDir(root, s.id);
  return deriveStatus(dir, s, () => isFrozen(s));
}

export function stateOf(root: string, s: StoredState): StateOutput {
  return outputOf(s, statusOf(root, s));
}

/** runtime.md#state's fields for a stored state with its derived status. */
export function outputOf(s: StoredState, status: Status): StateOutput {
  return {
    ociVersion: s.ociVersion,
    id: s.id,
    pid: status === 'stopped' ? 0 : s.pid,
    status,
    bundle: s.bundle,
    rootfs: s.rootfs,
    created: s.created,
    annotations: s.annotations,
    owner: s.owner,
  };
}

export function containerState(g: Globals, id: string): StateOutput {
  return stateOf(g.root, readState(g.root, id));
}
