/**
 * Does `create` or `run` go to the --vm backend? — design.md §7
 * --vm, or the bundle's config.json carries `run.oci.handler: vm` /
 * `io.github.joey.vm: "true"`. The other verbs tell from state.json.
 */
import { resolve } from 'node:path';
import { readBundleConfig, type BundleConfig } from '../spec/open.js';

/**
 * Whether a bundle goes to the --vm backend: the global flag, or the
 * annotations of its config.json. For a namespace container, also the
 * config as read, so that openBundle does not read and parse it again
 * (`read` is undefined when it could not be read: openBundle reports that).
 */
export function bundleMode(g: { vm: boolean }, bundle: string | undefined): { vm: boolean; read?: BundleConfig } {
  if (g.vm) return { vm: true };
  let read: BundleConfig;
  try {
    read = readBundleConfig(resolve(bundle ?? '.'));
  } catch {
    return { vm: false }; // the normal path reports the bad bundle
  }
  const a = (read.raw as { annotations?: Record<string, unknown> } | null)?.annotations;
  const vm = typeof a === 'object' && a !== null && (a['run.oci.handler'] === 'vm' || a['io.github.joey.vm'] === 'true');
  return vm ? { vm } : { vm, read };
}
