/**
 * A container's existing cgroups, as state.json saved them: what delete and
 * kill --all need (pids, freeze, kill, destroy) without the create, apply and
 * stats code. Its own module, apart from cgroup.ts (which imports the whole
 * manager), so their verb bundles hold handle.ts and not manager.ts. Every
 * import here is static: a dynamic import() makes esbuild wrap the module and
 * all it imports in lazy initialisers, which nothing tree-shakes afterwards.
 */
import { openCgroupHandle, type CgroupHandle, type CgroupManagerState } from '../cgroups/handle.js';
import type { Layout } from '../cgroups/layout.js';

export function openSaved(id: string, saved: CgroupManagerState): CgroupHandle {
  return openCgroupHandle({ id, cgroupsPath: saved.cgroupsPath, rootless: false, created: saved.created, layout: savedLayout(saved) });
}

/** The layout create saved, if state.json has a well-formed one (older state files have none). */
export function savedLayout(saved: CgroupManagerState | undefined): Layout | undefined {
  const l = saved?.layout;
  const ok = l && (l.mode === 'v2' || l.mode === 'hybrid' || l.mode === 'v1') && typeof l.v1 === 'object' && l.v1 !== null && Array.isArray(l.v2Controllers) && (l.v2Root === null || typeof l.v2Root === 'string');
  return ok ? l : undefined;
}
