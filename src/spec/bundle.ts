/**
 * Filesystem bundle, synchronously and with zod — runtime-spec bundle.md,
 * config.md#root.
 *
 * For tools and tests that want a plain function (`joey plan`, `explain`).
 * The lifecycle (create, run, --vm) uses openBundle in open.ts, which gives
 * the same result but loads zod only to report an invalid config.
 * Mirrors: runc utils_linux.go loadSpec + specconv rootfs handling.
 */

import { locateRootfs, readBundleConfig, type Bundle } from './open.js';
import { validateSpec } from './validate.js';

export type { Bundle } from './open.js';

/** Read, parse and validate `<bundleDir>/config.json` and locate its rootfs. */
export function loadBundle(bundleDir: string): Bundle {
  const { bundle, raw } = readBundleConfig(bundleDir);
  const config = validateSpec(raw);
  return { bundle, config, rootfs: locateRootfs(bundle, config) };
}
