/**
 * What the --vm suite needs (root, QEMU, a guest kernel) and the plumbing its
 * files share: a private --root, bundles removed after the file, and
 * `joey --vm` against that root.
 */
import { afterAll } from 'vitest';
import { findKernel, findQemu } from '../../../src/vm/assets.js';
import { isRoot, joey, makeBundle, removeBundle, stateRoot } from '../helpers.js';

/** Per-test timeout: a few boots under TCG on a loaded 2-core machine. */
export const T = 180_000;
export const qemu = !!findQemu();
export const kernel = !!findKernel();
export const QEMU_MISSING = 'needs qemu-system-x86_64 (apt-get install qemu-system-x86)';
/** The condition in the suite's title, as describe.runIf states it. */
export const vmReason = !isRoot ? 'needs root' : !qemu ? QEMU_MISSING : !kernel ? 'needs a guest kernel (npm run build:vm)' : 'root, qemu and a guest kernel present';

export function vmSuite(name: string, baseEnv: NodeJS.ProcessEnv = {}) {
  const root = isRoot ? stateRoot(name) : '/nonexistent';
  const bundles: string[] = [];
  afterAll(() => {
    for (const b of bundles) removeBundle(b);
  });
  return {
    root,
    bundle(args: string[], edit: Parameters<typeof makeBundle>[1] = () => {}): string {
      const b = makeBundle(args, edit);
      bundles.push(b);
      return b;
    },
    vm(args: string[], env: NodeJS.ProcessEnv = {}) {
      return joey(root, ['--vm', ...args], { timeout: 170_000, env: { ...process.env, ...baseEnv, ...env } });
    },
  };
}

/** Polls `what` every 100 ms for up to `ms` (a guest's state changes asynchronously). */
export async function until(what: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (what()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return what();
}
