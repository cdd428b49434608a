/**
 * Is the container frozen? Read straight from the saved cgroup paths without
 * loading the cgroup drivers (state and list call this per container).
 * v2: cgroup.events "frozen 1"; v1: freezer.state FROZEN.
 */
import { readSmall } from './small-read.js';
import type { StoredState } from './store.js';

export function isFrozen(s: StoredState): boolean {
  const cg = s.cgroup as { paths?: Record<string, string>; driver?: string } | undefined;
  const paths = cg?.paths ?? {};
  try {
    if (paths['freezer']) return readSmall(`${paths['freezer']}/freezer.state`).trim() === 'FROZEN';
    if (paths['']) return /^frozen 1$/m.test(readSmall(`${paths['']}/cgroup.events`));
  } catch {
    return false;
  }
  return false;
}
