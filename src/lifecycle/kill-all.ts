/**
 * `kill --all` — runc's `kill --all ID [SIGNAL]`: the signal goes to every
 * process of the container's cgroup (the init too), not just the init.
 *
 * A cold module (scripts/bundle.mjs: cold-killall.cjs): `kill ID SIGNAL`,
 * what containerd and CRI-O send, signals the init alone and so never loads
 * the cgroup code this needs.
 */
import { statusOf } from './state.js';
import { openSaved } from './saved-cgroup.js';
import type { StoredState } from './store.js';
import type { CgroupManagerState } from '../cgroups/handle.js';
import type { Globals } from './context.js';

/** Signal the container's cgroup. False when it has none and is not stopped: then the caller signals the init alone. */
export function killCgroup(g: Globals, s: StoredState, sig: number): boolean {
  const status = statusOf(g.root, s);
  if (status === 'stopped') {
    // Kubernetes' StopPodSandbox sends `kill --all` to stopped sandboxes and expects 0. In a pod
    // that shares its pid namespace the init's children outlive it inside the cgroup; the shim
    // kills them with this call (runc signals the cgroup here too) and then waits for them to
    // close the container's stdio, so skipping it left StopContainer hanging.
    if (s.cgroup) {
      try {
        openSaved(s.id, s.cgroup as CgroupManagerState).kill(sig);
      } catch {
        /* the cgroup is already gone */
      }
    }
    return true;
  }
  if (!s.cgroup) return false;
  const m = openSaved(s.id, s.cgroup as CgroupManagerState);
  m.kill(sig);
  if (sig === 9 && status === 'paused') m.thaw();
  return true;
}
