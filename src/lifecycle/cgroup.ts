/**
 * The lifecycle's view of cgroups: open the manager for a container, and
 * describe the host's layout to the plan compiler (for `cgroup` mounts).
 * runtime-spec config-linux.md#control-groups; the drivers are in src/cgroups/.
 */
import { basename } from 'node:path';
import type { Spec } from '../spec/types.js';
import type { CgroupManager } from '../cgroups/manager.js';
import { openCgroupHandle, type CgroupHandle, type CgroupManagerState } from '../cgroups/handle.js';
import type { Layout } from '../cgroups/layout.js';
import type { CgroupLayoutInfo } from '../plan/host.js';

export async function openManager(id: string, spec: Spec | undefined, saved?: CgroupManagerState, rootless = false): Promise<CgroupManager> {
  const { openCgroupManager } = await import('../cgroups/manager.js');
  return openCgroupManager({
    id,
    cgroupsPath: saved?.cgroupsPath ?? spec?.linux?.cgroupsPath,
    rootless,
    created: saved?.created,
    layout: savedLayout(saved),
  });
}

/**
 * A container's existing cgroups, as state.json saved them: what delete and
 * kill need (pids, freeze, kill, destroy) without the create/apply/stats code.
 * A static import, so their verb bundles hold handle.ts and not manager.ts.
 */
export function openSaved(id: string, saved: CgroupManagerState): CgroupHandle {
  return openCgroupHandle({ id, cgroupsPath: saved.cgroupsPath, rootless: false, created: saved.created, layout: savedLayout(saved) });
}

/** The layout create saved, if state.json has a well-formed one (older state files have none). */
function savedLayout(saved: CgroupManagerState | undefined): Layout | undefined {
  const l = saved?.layout;
  const ok = l && (l.mode === 'v2' || l.mode === 'hybrid' || l.mode === 'v1') && typeof l.v1 === 'object' && l.v1 !== null && Array.isArray(l.v2Controllers) && (l.v2Root === null || typeof l.v2Root === 'string');
  return ok ? l : undefined;
}

/** v1 hierarchies by directory (`memory` → data `memory`, `cpu,cpuacct` → `cpu,cpuacct`). */
export function layoutInfo(layout: Layout): CgroupLayoutInfo {
  const byMount = new Map<string, string[]>();
  for (const [ctrl, mount] of Object.entries(layout.v1)) {
    const list = byMount.get(mount) ?? [];
    list.push(ctrl);
    byMount.set(mount, list);
  }
  const v1Hierarchies: Record<string, string> = {};
  for (const [mount, ctrls] of byMount) v1Hierarchies[basename(mount)] = ctrls.sort().join(',');
  return { mode: layout.mode, v1Hierarchies, v2Root: layout.v2Root };
}

/** The container's directory in each hierarchy, keyed like layoutInfo(). */
export function cgroupDirs(layout: Layout, paths: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [ctrl, mount] of Object.entries(layout.v1)) {
    const p = paths[ctrl];
    if (p) out[basename(mount)] = p;
  }
  if (paths['']) out[layout.mode === 'v2' ? '' : 'unified'] = paths['']!;
  return out;
}
