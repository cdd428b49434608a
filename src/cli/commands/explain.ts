/**
 * `joey explain OP` — the op catalogue (src/plan/explain.ts): what an op kind
 * does, its kernel call, spec section, man pages and the advisory it guards
 * against. With a number, `joey explain 17 --bundle B` explains op 17 of
 * `joey plan --bundle B` (the same numbering). Nothing is run.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { resolve, join } from 'node:path';
import * as fs from 'node:fs';
import { globals } from '../main.js';
import { RuntimeError } from '../../errors.js';
import type { Plan } from '../../plan/ops.js';
import type { HostInfo } from '../../plan/host.js';
import type { Globals } from '../../lifecycle/context.js';
import { directSpawn } from '../../linux/namespaces.js';

/** The plan `joey plan --bundle B --id ID` prints, on this host's cgroup layout. */
export async function planFor(g: Globals, bundleDir: string, id: string, noPivot = false): Promise<Plan> {
  const { loadBundle } = await import('../../spec/bundle.js');
  const { compile } = await import('../../plan/compile.js');
  const { layoutInfo } = await import('../../lifecycle/cgroup.js');
  const { detectLayout } = await import('../../cgroups/layout.js');
  const { bundle, config: spec, rootfs } = loadBundle(resolve(bundleDir));
  let seccomp;
  if (spec.linux?.seccomp) {
    const { compileSeccomp } = await import('../../linux/seccomp.js');
    seccomp = compileSeccomp(spec.linux.seccomp);
  }
  const host: HostInfo = {
    cgroup: layoutInfo(detectLayout()),
    cgroupPaths: {},
    sourceKind: (p) => {
      try {
        return fs.statSync(p).isDirectory() ? 'dir' : 'file';
      } catch {
        return 'missing';
      }
    },
    lsms: [],
  };
  return compile(spec, { id, bundle, rootfs, stateDir: join(g.root, id), host, seccomp, noPivot, direct: directSpawn(spec.linux?.namespaces) !== undefined });
}

export async function explainCommand(g: Globals, what: string, o: { bundle?: string; id: string; noPivot?: boolean; format: 'text' | 'json' }): Promise<string> {
  const { explainKind, explainKinds, explainOp, explanationFor } = await import('../../plan/explain.js');
  if (what === 'list' || what === 'all') {
    if (o.format === 'json') return `${JSON.stringify(explainKinds())}\n`;
    return `${explainKinds().join('\n')}\n`;
  }
  if (/^\d+$/.test(what)) {
    const plan = await planFor(g, o.bundle ?? '.', o.id, o.noPivot);
    const n = Number(what);
    const op = plan.ops[n - 1];
    if (!op) throw new RuntimeError(`op ${n}: the plan of \`${plan.bundle}\` has ops 1 to ${plan.ops.length}`);
    if (o.format === 'json') {
      const { planToJSON } = await import('../../plan/render.js');
      const ops = (planToJSON(plan) as { ops: unknown[] }).ops;
      return `${JSON.stringify({ op: ops[n - 1], explanation: explanationFor(op.kind, op.stage) ?? null }, null, 2)}\n`;
    }
    return explainOp(op, n);
  }
  const text = explainKind(what);
  if (!text) throw new RuntimeError(`unknown op kind "${what}": \`joey explain list\` prints the known kinds`);
  if (o.format === 'json') return `${JSON.stringify({ kind: what, explanation: explanationFor(what) }, null, 2)}\n`;
  return text;
}

export function register(program: Command): void {
  program
    .command('explain')
    .description('explain an op kind (mount, pivot-root, ...) or op N of `joey plan --bundle B`; `list` prints every kind')
    .argument('<op>', 'an op kind, `list`, or an op number from `joey plan`')
    .option('-b, --bundle <dir>', 'the bundle whose plan op N comes from (default: the current directory)')
    .option('--id <id>', 'container id to plan for', 'demo')
    .option('--no-pivot', 'plan as `run --no-pivot` would')
    .addOption(new Option('--format <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action(async (what: string, o) => {
      process.stdout.write(await explainCommand(globals(program), what, { bundle: o.bundle, id: o.id, noPivot: o.pivot === false, format: o.format }));
    });
}
