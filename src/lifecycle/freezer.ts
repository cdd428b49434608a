/**
 * Is the container frozen? Read straight from the saved cgroup paths without
 * loading the cgroup drivers (state and list call this per container).
 * v2: cgroup.events "frozen 1"; v1: freezer.state FROZEN.
 */
import { readSmall } from './small-read.js';
import type { StoredState } from './store.js';

/** The file that says whether a cgroup section's container is frozen; '' without a freezer. */
export function freezerFile(cgroup: unknown): string {
  const paths = (cgroup as { paths?: Record<string, string> } | undefined)?.paths ?? {};
  if (paths['freezer']) return `${paths['freezer']}/freezer.state`;
  if (paths['']) return `${paths['']}/cgroup.events`;
  return '';
}

/** The container's freezer file: saved by writeState, or derived from an older state.json's cgroup section. */
export function freezerOf(s: StoredState): string {
  return typeof s.freezer === 'string' ? s.freezer : freezerFile(s.cgroup);
}

/** Whether the text of a freezerFile() says frozen. */
export function frozenIn(file: string, text: string): boolean {
  return file.endsWith('/freezer.state') ? text.trim() === 'FROZEN' : /^frozen 1$/m.test(text);
}

export function isFrozen(s: StoredState): boolean {
  const file = freezerOf(s);
  try {
    return file !== '' && frozenIn(file, readSmall(file));
  } catch {
    return false;
  }
}
