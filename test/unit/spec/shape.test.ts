/**
 * The zod-free fast path (issue #7): shape.generated.ts must be what
 * shape-gen.ts derives from the zod schemas, and the walker must agree with
 * zod on a large corpus: fixtures, every examples/ config, `joey spec`
 * output with the default seccomp profile, a config with every field set,
 * and mutations of each field (delete, retype, bounds, vocabulary).
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { defaultSeccompProfile } from '../../../src/linux/seccomp-default.js';
import { defaultSpec } from '../../../src/spec/defaults.js';
import { openBundle, parseProcess, parseSpec } from '../../../src/spec/open.js';
import * as generated from '../../../src/spec/shape.generated.js';
import { renderShapeModule, shapeOf } from '../../../src/spec/shape-gen.js';
import { parseShape, REJECT, type Shape } from '../../../src/spec/shape.js';
import * as types from '../../../src/spec/types.js';
import { validateProcess, validateSpec } from '../../../src/spec/validate.js';
import { compareProcess, compareSpec } from './differential.js';
import { richSpec, runcSpec, type Json } from './fixtures.js';

const ROOT = join(__dirname, '..', '..', '..');

describe('shape.generated.ts', () => {
  test('is exactly what src/spec/shape-gen.ts generates (npx tsc -p . && node dist/spec/shape-gen.js > src/spec/shape.generated.ts)', () => {
    expect(readFileSync(join(ROOT, 'src', 'spec', 'shape.generated.ts'), 'utf8')).toBe(renderShapeModule());
  });

  test('builds, for every exported schema, the tree shape-gen reads from zod', () => {
    let n = 0;
    for (const [name, schema] of Object.entries(types)) {
      if (!name.endsWith('Schema')) continue;
      const shape = (generated as Record<string, Shape>)[name.replace(/Schema$/, 'Shape')];
      expect(shape, name).toEqual(shapeOf(schema as Parameters<typeof shapeOf>[0]));
      n++;
    }
    expect(n).toBeGreaterThan(40);
  });

  test('shape-gen refuses zod constructs the walker does not mirror', async () => {
    const z = await import('zod');
    const gen = (s: unknown) => () => shapeOf(s as Parameters<typeof shapeOf>[0]);
    expect(gen(z.object({ a: z.string() }))).toThrow(/not z.looseObject/);
    expect(gen(z.string().transform((s) => s.length))).toThrow(/z.pipe/);
    expect(gen(z.number().refine((n) => n > 1))).toThrow(/number check custom/);
    expect(gen(z.number().gt(1))).toThrow(/number check greater_than/);
    expect(gen(z.string().min(1))).toThrow(/string check/);
    expect(gen(z.array(z.string()).max(3))).toThrow(/array check max_length/);
    expect(gen(z.union([z.string(), z.number()]))).toThrow(/z.union/);
    expect(gen(z.nullable(z.string()))).toThrow(/z.nullable/);
    expect(gen(z.looseObject({ constructor: z.string() }))).toThrow(/Object.prototype/);
  });
});

// ---------------------------------------------------------------------------
// the corpus

/** A value of every field, optional ones included, from the shape tree. */
function sample(shape: Shape): unknown {
  switch (shape.kind) {
    case 'string':
      return STRINGS.find((s) => !shape.pattern || shape.pattern.test(s));
    case 'boolean':
      return true;
    case 'number':
      return shape.integer ? Math.min(Math.max(1, shape.min!), shape.max!) : 1.5;
    case 'enum':
      return shape.values[shape.values.length - 1];
    case 'array':
      return [sample(shape.element)];
    case 'record':
      return { first: sample(shape.value), 'second.key': sample(shape.value) };
    case 'object': {
      const out: Record<string, unknown> = { 'x-unknown-before': { kept: [1, 'a'] } };
      for (const [k, v] of Object.entries(shape.fields)) out[k] = sample(v);
      out['x-unknown-after'] = null;
      return out;
    }
    case 'optional':
    case 'default':
      return sample(shape.inner);
  }
}

const STRINGS = ['/x', '', '0-3,7', '2MB', 'MB:0=70', 'MB:\n', '1KB', '0MB', '7', 'a b', '0-3,a'];

/** The next double above (dir 1) or below (dir -1) `x`. */
function nextDouble(x: number, dir: 1 | -1): number {
  if (x === 0) return dir * Number.MIN_VALUE;
  const f = new Float64Array([x]);
  const b = new BigInt64Array(f.buffer);
  b[0]! += (x > 0) === (dir > 0) ? 1n : -1n;
  return f[0]!;
}

const JUNK: unknown[] = [null, true, false, 0, -1, 1, 1.5, -0, '', 'x', '1', [], ['x'], [1], {}, { a: 1 }];

/** Replacement values aimed at one node of `shape`. */
function replacements(shape: Shape): unknown[] {
  switch (shape.kind) {
    case 'string':
      return [...STRINGS, 5, null, ['x']];
    case 'boolean':
      return [false, 'true', 1, null];
    case 'number': {
      if (!shape.integer) return [0, -1, 2 ** 80, 0.25, '5', null];
      const { min, max } = shape as { min: number; max: number };
      const near = [min, max, nextDouble(min, -1), nextDouble(max, 1), min - 1, max + 1, min + 0.5, max - 0.5];
      return [...near, 0, -1, 1, 0.5, 2 ** 53 + 2, 2 ** 63, 2 ** 64, -(2 ** 63), 2 ** 65, '1', null];
    }
    case 'enum':
      return [...shape.values, shape.values[0]!.toLowerCase(), `${shape.values[0]} `, '', 0];
    case 'array':
      return [[], [sample(shape.element)], ...JUNK.slice(0, 4).map((j) => [j]), [sample(shape.element), null], {}];
    case 'record':
      return [{}, { '': sample(shape.value) }, { a: null }, { a: [] }, [], 'x'];
    case 'object':
      return [{}, [], null, 'x'];
    case 'optional':
    case 'default':
      return replacements(shape.inner);
  }
}

type Path = (string | number)[];

/** Every (path, shape) of `value` that the schema describes, parents first. */
function* nodes(shape: Shape, value: unknown, path: Path = []): Generator<[Path, Shape]> {
  yield [path, shape];
  yield* children(shape, value, path);
}

function* children(shape: Shape, value: unknown, path: Path): Generator<[Path, Shape]> {
  if (shape.kind === 'optional' || shape.kind === 'default') {
    if (value !== undefined) yield* children(shape.inner, value, path);
  } else if (shape.kind === 'array' && Array.isArray(value)) {
    // big lists (the seccomp profile): the ends are enough
    const idx = value.length > 4 ? [0, 1, value.length - 1] : value.map((_, i) => i);
    for (const i of idx) yield* nodes(shape.element, value[i], [...path, i]);
  } else if (shape.kind === 'record' && value && typeof value === 'object') {
    for (const k of Object.keys(value).slice(0, 3)) yield* nodes(shape.value, (value as Json)[k], [...path, k]);
  } else if (shape.kind === 'object' && value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, f] of Object.entries(shape.fields)) {
      if (Object.hasOwn(value, k)) yield* nodes(f, (value as Json)[k], [...path, k]);
    }
  }
}

function edit(base: unknown, path: Path, change: (parent: Json, key: string | number) => void): unknown {
  const copy = structuredClone(base) as Json;
  if (path.length === 0) return copy;
  let parent: Json = copy;
  for (const seg of path.slice(0, -1)) parent = parent[seg];
  change(parent, path[path.length - 1]!);
  return copy;
}

function unwrap(shape: Shape): Shape {
  return shape.kind === 'optional' || shape.kind === 'default' ? unwrap(shape.inner) : shape;
}

/** Mutations of `base`: each node deleted, replaced by junk and by values aimed at its kind. */
function* mutations(shape: Shape, base: unknown, thorough: boolean): Generator<[string, unknown]> {
  yield ['base', base];
  for (const [path, node] of nodes(shape, base)) {
    const at = path.join('.') || '(root)';
    if (path.length > 0) {
      yield [`${at} deleted`, edit(base, path, (p, k) => (Array.isArray(p) ? p.splice(k as number, 1) : delete p[k]))];
    }
    // leaves already get retyped by replacements(); the junk list is for containers
    const leaf = !['object', 'array', 'record'].includes(unwrap(node).kind);
    const values = thorough ? [...replacements(node), ...(leaf ? [true, {}, []] : JUNK)] : replacements(node).slice(0, 3);
    for (const v of values) {
      yield [`${at} = ${JSON.stringify(v)}`, path.length === 0 ? structuredClone(v) : edit(base, path, (p, k) => (p[k] = structuredClone(v)))];
    }
  }
}

/** Seeded xorshift32, so a failure names a reproducible case. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function examples(): [string, unknown][] {
  const dir = join(ROOT, 'examples');
  return readdirSync(dir)
    .filter((d) => existsSync(join(dir, d, 'config.json')))
    .map((d) => [`examples/${d}`, JSON.parse(readFileSync(join(dir, d, 'config.json'), 'utf8'))]);
}

/** A valid-by-shape config with every field of the schema set (checks may still refuse it). */
const FULL = sample(generated.SpecShape) as Json;
FULL.ociVersion = '1.2.0';

function withSeccompDefault(): Json {
  const s = JSON.parse(JSON.stringify(defaultSpec())) as Json;
  s.linux.seccomp = defaultSeccompProfile();
  return JSON.parse(JSON.stringify(s));
}

/** Configs that validateSpec accepts, the realistic ones. */
function validBases(): [string, unknown][] {
  return [
    ['runcSpec', runcSpec()],
    ['richSpec', richSpec()],
    ['defaultSpec', JSON.parse(JSON.stringify(defaultSpec()))],
    ['defaultSpec rootless', JSON.parse(JSON.stringify(defaultSpec({ rootless: true })))],
    ['defaultSpec + seccomp', withSeccompDefault()],
    ...examples(),
  ];
}

function disagreements(cases: Iterable<[string, unknown]>, compare: (raw: unknown) => string | undefined): { n: number; bad: string[] } {
  let n = 0;
  const bad: string[] = [];
  for (const [name, raw] of cases) {
    n++;
    const problem = compare(raw);
    if (problem && bad.length < 20) bad.push(`${name}: ${problem}`);
  }
  return { n, bad };
}

describe('fast shape check ⇔ zod (differential)', () => {
  test('the realistic configs are valid and agree', () => {
    const bases = validBases();
    expect(bases.length).toBeGreaterThan(10);
    for (const [name, raw] of bases) {
      expect(() => validateSpec(raw), name).not.toThrow();
      expect(compareSpec(raw), name).toBeUndefined();
    }
  });

  test('the every-field config passes both shape checks the same way', () => {
    expect(parseShape(generated.SpecShape, FULL)).not.toBe(REJECT);
    expect(types.SpecSchema.safeParse(FULL).success).toBe(true);
    expect(compareSpec(FULL)).toBeUndefined();
  });

  test('every field of the every-field config deleted, retyped, out of range, out of vocabulary', () => {
    const { n, bad } = disagreements(mutations(generated.SpecShape, FULL, true), compareSpec);
    expect(bad).toEqual([]);
    expect(n).toBeGreaterThan(5000);
  });

  test('every field of the realistic configs mutated', () => {
    // the examples are alike: their whole files are compared above and in the random test
    const bases = validBases().filter(([name]) => !name.startsWith('examples/'));
    const cases = bases.flatMap(([name, base]) =>
      [...mutations(generated.SpecShape, base, false)].map(([m, v]): [string, unknown] => [`${name}: ${m}`, v]),
    );
    const { n, bad } = disagreements(cases, compareSpec);
    expect(bad).toEqual([]);
    expect(n).toBeGreaterThan(2000);
  });

  test('random combinations of three mutations (seeded)', () => {
    const rand = rng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const bases = [['FULL', FULL] as [string, unknown], ...validBases()];
    const cases: [string, unknown][] = [];
    for (let i = 0; i < 600; i++) {
      const [name, base] = pick(bases);
      let v = base;
      const steps: string[] = [];
      for (let j = 0; j < 3; j++) {
        const all = [...nodes(generated.SpecShape, v)].filter(([p]) => p.length > 0);
        if (all.length === 0) break;
        const [path, node] = pick(all);
        const r = rand();
        if (r < 0.2) {
          v = edit(v, path, (p, k) => (Array.isArray(p) ? p.splice(k as number, 1) : delete p[k]));
          steps.push(`del ${path.join('.')}`);
        } else {
          const value = pick(r < 0.8 ? replacements(node) : JUNK);
          v = edit(v, path, (p, k) => (p[k] = structuredClone(value)));
          steps.push(`${path.join('.')}=${JSON.stringify(value)}`);
        }
      }
      cases.push([`#${i} ${name}: ${steps.join(', ')}`, v]);
    }
    const { bad } = disagreements(cases, compareSpec);
    expect(bad).toEqual([]);
  });

  test('JSON edge cases and inputs left to zod', () => {
    const cases: [string, unknown][] = [
      ['null', null],
      ['array', []],
      ['string', 'x'],
      ['no version', {}],
      ['future major', { ociVersion: '2.0.0', root: 5 }],
      ['bad semver', { ociVersion: 'x', root: { path: 'r' } }],
      ['__proto__ key', JSON.parse('{"ociVersion":"1.2.0","root":{"path":"r"},"__proto__":{"x":1}}')],
      ['__proto__ in a record', JSON.parse('{"ociVersion":"1.2.0","root":{"path":"r"},"annotations":{"__proto__":"x"}}')],
      ['constructor key', JSON.parse('{"ociVersion":"1.2.0","root":{"path":"r"},"annotations":{"constructor":"x"},"constructor":{}}')],
      ['big uint64 text', JSON.parse('{"ociVersion":"1.2.0","root":{"path":"r"},"process":{"cwd":"/","args":["a"],"rlimits":[{"type":"RLIMIT_CORE","soft":18446744073709551615,"hard":18446744073709551616}]}}')],
      ['1e400', JSON.parse('{"ociVersion":"1.2.0","root":{"path":"r"},"hooks":{"prestart":[{"path":"/x","timeout":1e400}]}}')],
      ['NaN', { ociVersion: '1.2.0', root: { path: 'r' }, hooks: { prestart: [{ path: '/x', timeout: NaN }] } }],
      ['undefined optional', { ociVersion: '1.2.0', root: { path: 'r', readonly: undefined } }],
      ['undefined user', { ociVersion: '1.2.0', root: { path: 'r' }, process: { cwd: '/', args: ['a'], user: undefined } }],
      ['sparse array', { ociVersion: '1.2.0', root: { path: 'r' }, process: { cwd: '/', args: ['a', , 'b'] } }], // eslint-disable-line no-sparse-arrays
      ['null prototype', Object.assign(Object.create(null), { ociVersion: '1.2.0', root: { path: 'r' } })],
      ['1.0 relative mount', { ociVersion: '1.0.2', root: { path: 'r' }, mounts: [{ destination: 'proc' }] }],
      ['no user', { ociVersion: '1.2.0', root: { path: 'r' }, process: { cwd: '/', args: ['a'] } }],
      ['partial user', { ociVersion: '1.2.0', root: { path: 'r' }, process: { cwd: '/', args: ['a'], user: { gid: 3 } } }],
    ];
    const { bad } = disagreements(cases, compareSpec);
    expect(bad).toEqual([]);
  });

  test('the default `user` is a fresh object each time', () => {
    const raw = { ociVersion: '1.2.0', root: { path: 'r' }, process: { cwd: '/', args: ['a'] } };
    const a = parseShape(generated.SpecShape, raw) as Json;
    const b = parseShape(generated.SpecShape, raw) as Json;
    expect(a.process.user).toEqual({ uid: 0, gid: 0 });
    expect(a.process.user).not.toBe(b.process.user);
  });
});

describe('process.json (exec --process) ⇔ zod', () => {
  test('every field of processes mutated', () => {
    const procs: [string, unknown][] = [
      ['FULL.process', FULL.process],
      ['richSpec.process', richSpec().process],
      ['runcSpec.process', runcSpec().process],
    ];
    const cases = procs.flatMap(([name, base]) =>
      [...mutations(generated.ProcessShape, base, name === 'FULL.process')].map(([m, v]): [string, unknown] => [`${name}: ${m}`, v]),
    );
    const { n, bad } = disagreements(cases, compareProcess);
    expect(bad).toEqual([]);
    expect(n).toBeGreaterThan(1000);
  });

  test('parseProcess returns validateProcess’s result, and its error for a bad file', async () => {
    const good = richSpec().process;
    expect(await parseProcess(good)).toEqual(validateProcess(good));
    const bad = { ...good, rlimits: [{ type: 'RLIMIT_TEST', soft: 1, hard: 1 }] };
    await expect(parseProcess(bad)).rejects.toThrow('process.rlimits[0].type: unknown rlimit "RLIMIT_TEST" (config.md#posix-process)');
  });
});

describe('parseSpec and openBundle', () => {
  test('parseSpec gives validateSpec’s result, and zod’s message for a bad shape', async () => {
    expect(await parseSpec(richSpec())).toEqual(validateSpec(richSpec()));
    const s = runcSpec();
    s.process.rlimits[0].type = 'RLIMIT_TEST';
    await expect(parseSpec(s)).rejects.toThrow('process.rlimits[0].type: unknown rlimit "RLIMIT_TEST" (config.md#posix-process)');
    const t = runcSpec();
    t.process.cwd = 'relative';
    await expect(parseSpec(t)).rejects.toThrow('process.cwd: `relative` is not an absolute path (config.md#process)');
  });

  // examples/hello/rootfs is built by `make -C native`
  const hello = join(ROOT, 'examples', 'hello');
  test.runIf(existsSync(join(hello, 'rootfs')))('openBundle of examples/hello is loadBundle’s result', async () => {
    const dir = hello;
    const { loadBundle } = await import('../../../src/spec/bundle.js');
    expect(await openBundle(dir)).toEqual(loadBundle(dir));
  });
});
