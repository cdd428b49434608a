/**
 * The lifecycle's view of cgroups: open the manager for a container, and
 * describe the host's layout to the plan compiler (for `cgroup` mounts).
 * runtime-spec config-linux.md#control-groups; the drivers are in src/cgroups/.
 */
import { basename } from 'node:path';
import type { Spec } from '../spec/types.js';
import { openCgroupManager, type CgroupManager } from '../cgroups/manager.js';
import type { CgroupManagerState } from '../cgroups/handle.js';
import { savedLayout } from './saved-cgroup.js';
import type { Layout } from '../cgroups/layout.js';
import type { CgroupLayoutInfo } from '../plan/host.js';

/** The full manager, for create (a new container) and for exec, ps, events, pause, update. */
export async function openManager(id: string, spec: Spec | undefined, saved?: CgroupManagerState, rootless = false): Promise<CgroupManager> {
  return openCgroupManager({
    id,
    cgroupsPath: saved?.cgroupsPath ?? spec?.linux?.cgroupsPath,
    rootless,
    created: saved?.created,
    layout: savedLayout(saved),
  });
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
