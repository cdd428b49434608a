/**
 * `joey plan` and `joey explain N` output for every tutorial chapter, on a
 * made-up host (fakeHost: cgroup v2, no LSMs) with stable ids and paths, so the
 * snapshots say what the plan is, not what this machine is. A change to the
 * compiler shows up here as a reviewable diff of the tutorial's plans.
 */
import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../../src/plan/compile.js';
import { fakeHost } from '../../../src/plan/host.js';
import { renderPlan, planToJSON } from '../../../src/plan/render.js';
import { explainOp } from '../../../src/plan/explain.js';
import { validateSpec } from '../../../src/spec/validate.js';
import type { CompiledSeccomp } from '../../../src/linux/seccomp.js';

const TOP = resolve(__dirname, '..', '..', '..');
const chapters = fs
  .readdirSync(join(TOP, 'examples'))
  .filter((d) => /^\d\d-/.test(d) && fs.existsSync(join(TOP, 'examples', d, 'config.json')))
  .sort();

/** A stand-in for the compiled filter: its size is the only thing a plan shows. */
const FAKE_FILTER: CompiledSeccomp = { bpf: Buffer.alloc(8 * 10), flags: 4, notify: false, skipped: [], ruleCount: 1 };

function planOf(chapter: string, noPivot = false) {
  const raw = JSON.parse(fs.readFileSync(join(TOP, 'examples', chapter, 'config.json'), 'utf8'));
  const spec = validateSpec(raw);
  const bundle = `/bundles/${chapter}`;
  return compile(spec, {
    id: 'demo',
    bundle,
    rootfs: `${bundle}/rootfs`,
    stateDir: '/run/joey/demo',
    host: fakeHost(),
    noPivot,
    seccomp: spec.linux?.seccomp ? FAKE_FILTER : undefined,
  });
}

describe('plans of the tutorial chapters (fake host)', () => {
  it('finds the chapters', () => {
    expect(chapters.length).toBe(12);
  });
  for (const chapter of chapters) {
    it(`${chapter}: joey plan`, () => {
      expect(renderPlan(planOf(chapter))).toMatchSnapshot();
    });
    it(`${chapter}: every op has a catalogue entry and explains`, () => {
      const plan = planOf(chapter);
      plan.ops.forEach((op, i) => expect(explainOp(op, i + 1), `${chapter} op ${i + 1}`).not.toContain('no catalogue entry'));
      const json = planToJSON(plan) as { ops: { index: number }[] };
      expect(json.ops.map((o) => o.index)).toEqual(plan.ops.map((_, i) => i + 1));
    });
  }
  it('04-mounts: explain of the root op, with and without --no-pivot', () => {
    const find = (noPivot: boolean) => {
      const plan = planOf('04-mounts', noPivot);
      const i = plan.ops.findIndex((o) => o.kind === (noPivot ? 'move-root' : 'pivot-root'));
      return explainOp(plan.ops[i]!, i + 1);
    };
    expect(find(false)).toMatchSnapshot();
    expect(find(true)).toMatchSnapshot();
  });
  it('06-security: explain of the seccomp op', () => {
    const plan = planOf('06-security');
    const i = plan.ops.findIndex((o) => o.kind === 'seccomp');
    expect(explainOp(plan.ops[i]!, i + 1)).toMatchSnapshot();
  });
});
