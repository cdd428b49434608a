/**
 * The fast path against zod on every config the spec tests write by hand:
 * this file runs validate.test.ts, defaults.test.ts and bundle.test.ts again
 * (their own assertions unchanged) with validateSpec and validateProcess
 * wrapped to record each input, then compares the fast path with zod on all
 * of them (test/unit/spec/differential.ts says what "agree" means).
 */
import { describe, expect, test, vi } from 'vitest';

const recorded = vi.hoisted(() => ({ specs: [] as unknown[], processes: [] as unknown[] }));

vi.mock('../../../src/spec/validate.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../src/spec/validate.js')>();
  return {
    ...actual,
    validateSpec: (raw: unknown, opts?: Parameters<typeof actual.validateSpec>[1]) => {
      // the tests mutate their objects after the call; keep what was validated
      if (!opts?.shapeOnly) recorded.specs.push(structuredClone(raw));
      return actual.validateSpec(raw, opts);
    },
    validateProcess: (raw: unknown) => {
      recorded.processes.push(structuredClone(raw));
      return actual.validateProcess(raw);
    },
  };
});

describe('replayed: validate.test.ts', async () => {
  await import('./validate.test.js');
});
describe('replayed: defaults.test.ts', async () => {
  await import('./defaults.test.js');
});
describe('replayed: bundle.test.ts', async () => {
  await import('./bundle.test.js');
});

describe('every config the spec tests validated', () => {
  test('the fast path agrees with zod on each', async () => {
    const { compareProcess, compareSpec } = await import('./differential.js');
    const specs = recorded.specs.slice();
    const processes = recorded.processes.slice();
    expect(specs.length).toBeGreaterThan(150);
    const bad: string[] = [];
    specs.forEach((raw, i) => {
      const problem = compareSpec(raw);
      if (problem) bad.push(`spec #${i}: ${problem}: ${JSON.stringify(raw).slice(0, 300)}`);
      const proc = (raw as { process?: unknown } | null)?.process;
      const p = proc === undefined ? undefined : compareProcess(proc);
      if (p) bad.push(`spec #${i} process: ${p}`);
    });
    processes.forEach((raw, i) => {
      const problem = compareProcess(raw);
      if (problem) bad.push(`process #${i}: ${problem}`);
    });
    expect(bad).toEqual([]);
  });
});
