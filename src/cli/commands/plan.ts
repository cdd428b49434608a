/**
 * `joey plan` — the teaching view: which kernel operations a config.json
 * becomes, with the JSON path and the spec section of each (docs/design.md §3).
 * Reads the host's cgroup layout (no root needed) and compiles; nothing is run.
 */
import * as fs from 'node:fs';
import { resolve, join } from 'node:path';
import { loadBundle } from '../../spec/bundle.js';
import { compile } from '../../plan/compile.js';
import { planToJSON, renderPlan } from '../../plan/render.js';
import type { HostInfo } from '../../plan/host.js';
import { layoutInfo } from '../../lifecycle/cgroup.js';
import { detectLayout } from '../../cgroups/layout.js';
import type { Globals } from '../../lifecycle/context.js';
import { hostLsms, kernelCapLast } from '../../linux/capabilities.js';
import { directSpawn } from '../../linux/namespaces.js';

export interface PlanOptions {
  /** after the plan, the seccomp filter as libseccomp's pseudo filter code (text format only) */
  showSeccomp?: boolean;
}

export async function planCommand(g: Globals, bundleDir: string, id: string, format: 'text' | 'json', o: PlanOptions = {}): Promise<string> {
  const { bundle, config: spec, rootfs } = loadBundle(resolve(bundleDir));
  let seccomp;
  let seccompText = '';
  if (spec.linux?.seccomp) {
    const { compileSeccomp, renderSeccomp } = await import('../../linux/seccomp.js');
    seccomp = compileSeccomp(spec.linux.seccomp);
    if (o.showSeccomp) seccompText = renderSeccomp(spec.linux.seccomp);
  } else if (o.showSeccomp) {
    seccompText = '# seccomp: no linux.seccomp in this config\n';
  }
  const layout = detectLayout();
  const host: HostInfo = {
    cgroup: layoutInfo(layout),
    cgroupPaths: {},
    sourceKind: (p) => {
      try {
        return fs.statSync(p).isDirectory() ? 'dir' : 'file';
      } catch {
        return 'missing';
      }
    },
    lsms: hostLsms(),
  };
  const plan = compile(spec, { id, bundle, rootfs, stateDir: join(g.root, id), host, seccomp, capLast: kernelCapLast(), direct: directSpawn(spec.linux?.namespaces) !== undefined });
  if (format === 'json') return `${JSON.stringify(planToJSON(plan), null, 2)}\n`;
  return seccompText ? `${renderPlan(plan)}\n${seccompText}` : renderPlan(plan);
}
