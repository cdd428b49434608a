/**
 * Does a lifecycle verb go to the --vm backend? — design.md §7
 * Light on purpose (no schema, no addon): state/kill/start call it on every
 * invocation.
 */
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import type { StoredState } from '../lifecycle/store.js';

/** --vm, or the bundle's config.json carries `run.oci.handler: vm` / `io.github.joey.vm: "true"` */
export function bundleWantsVm(g: { vm: boolean }, bundle: string | undefined): boolean {
  if (g.vm) return true;
  try {
    const a = (JSON.parse(fs.readFileSync(join(resolve(bundle ?? '.'), 'config.json'), 'utf8')) as { annotations?: Record<string, string> }).annotations;
    return a?.['run.oci.handler'] === 'vm' || a?.['io.github.joey.vm'] === 'true';
  } catch {
    return false; // the normal path reports the bad bundle
  }
}

/** The stored state of a container created by the --vm backend, or undefined. */
export function vmStateOf(root: string, id: string): StoredState | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(join(root, id, 'state.json'), 'utf8')) as StoredState;
    return s.vm ? s : undefined;
  } catch {
    return undefined;
  }
}
