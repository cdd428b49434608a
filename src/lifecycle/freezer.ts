/**
 * Is the container frozen? Read straight from the saved cgroup paths without
 * loading the cgroup drivers (state and list call this per container).
 * v2: cgroup.events "frozen 1"; v1: freezer.state FROZEN.
 */
import { readSmall } from './small-read.js';
import type { StoredState } from './store.js';

export interface FreezerProbe {
  path: string;
  frozen: (text: string) => boolean;
}

/** The file that says whether the container is frozen, and how to read it; none without a freezer. */
export function freezerProbe(s: StoredState): FreezerProbe | undefined {
  const cg = s.cgroup as { paths?: Record<string, string>; driver?: string } | undefined;
  const paths = cg?.paths ?? {};
  if (paths['freezer']) return { path: `${paths['freezer']}/freezer.state`, frozen: (t) => t.trim() === 'FROZEN' };
  if (paths['']) return { path: `${paths['']}/cgroup.events`, frozen: (t) => /^frozen 1$/m.test(t) };
  return undefined;
}

export function isFrozen(s: StoredState): boolean {
  const probe = freezerProbe(s);
  try {
    return probe !== undefined && probe.frozen(readSmall(probe.path));
  } catch {
    return false;
  }
}
