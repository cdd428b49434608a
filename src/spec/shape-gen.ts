/**
 * Generates src/spec/shape.generated.ts from the zod schemas in types.ts —
 * the zod-free description that shape.ts walks on the fast path (issue #7).
 * Run `npx tsc -p . && node dist/spec/shape-gen.js > src/spec/shape.generated.ts`;
 * test/unit/spec/shape.test.ts fails when the committed file drifts.
 *
 * It reads zod's own schema definitions (`_zod.def`) and refuses anything it
 * cannot mirror exactly (a transform, a refinement other than
 * Number.isInteger, an exclusive bound, a strict object …): add the construct
 * to shape.ts and here first. z.toJSONSchema is not used: it drops the
 * integer refinement and cannot express zod's `.default()` short-circuit.
 */

import { fileURLToPath } from 'node:url';
import * as names from './names.js';
import * as types from './types.js';
import type { Shape } from './shape.js';

/** The parts of zod 4's internal definitions read here. */
interface Def {
  type: string;
  coerce?: boolean;
  checks?: { _zod: { def: Record<string, unknown> } }[];
  innerType?: Schema;
  defaultValue?: unknown;
  shape?: Record<string, Schema>;
  catchall?: Schema;
  element?: Schema;
  keyType?: Schema;
  valueType?: Schema;
  entries?: Record<string, string | number>;
}
interface Schema {
  _zod: { def: Def };
}

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && '_zod' in v;

/** `XSchema` exports of types.ts, by identity, so shared sub-schemas keep their names. */
function namedSchemas(): Map<Schema, string> {
  const out = new Map<Schema, string>();
  // sorted: a module namespace lists its exports alphabetically under Node, in source order under vitest
  for (const [name, v] of Object.entries(types).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (isSchema(v) && name.endsWith('Schema')) out.set(v, name.replace(/Schema$/, 'Shape'));
  }
  return out;
}

/** names.ts exports by content, so `oneOf(CAPABILITIES)` reads as it does in types.ts. */
function namedLists(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, v] of Object.entries(names)) {
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out.set(JSON.stringify(v), name);
  }
  return out;
}

function unsupported(where: string, what: string): never {
  throw new Error(`shape-gen: ${where}: ${what} has no mirror in shape.ts; add it there and here`);
}

/** zod → Shape, the same tree shape.generated.ts builds (compared in the drift test). */
export function shapeOf(schema: Schema, where = 'schema'): Shape {
  const def = schema._zod.def;
  if (def.coerce) unsupported(where, 'coercion');
  const checks = (def.checks ?? []).map((c) => c._zod.def);
  const noChecks = () => {
    if (checks.length) unsupported(where, `check ${String(checks[0]!.check)} on ${def.type}`);
  };
  switch (def.type) {
    case 'string': {
      let pattern: RegExp | undefined;
      for (const c of checks) {
        if (c.check !== 'string_format' || c.format !== 'regex' || pattern) unsupported(where, `string check ${String(c.format ?? c.check)}`);
        pattern = c.pattern as RegExp;
        if (pattern.global || pattern.sticky) unsupported(where, 'a stateful regex');
      }
      return pattern ? { kind: 'string', pattern } : { kind: 'string' };
    }
    case 'boolean':
      noChecks();
      return { kind: 'boolean' };
    case 'number': {
      let integer = false;
      let min: number | undefined;
      let max: number | undefined;
      for (const c of checks) {
        if (c.check === 'custom' && c.fn === Number.isInteger) integer = true;
        else if (c.check === 'greater_than' && c.inclusive === true && min === undefined) min = c.value as number;
        else if (c.check === 'less_than' && c.inclusive === true && max === undefined) max = c.value as number;
        else unsupported(where, `number check ${String(c.check)}`);
      }
      if (!integer && min === undefined && max === undefined) return { kind: 'number', integer: false };
      if (!integer || min === undefined || max === undefined) unsupported(where, 'a number with only some of integer/min/max');
      return { kind: 'number', integer, min, max };
    }
    case 'enum': {
      noChecks();
      const values = Object.values(def.entries ?? {});
      if (!values.every((v): v is string => typeof v === 'string')) unsupported(where, 'a non-string enum');
      return { kind: 'enum', values };
    }
    case 'array': {
      let minLength: number | undefined;
      for (const c of checks) {
        if (c.check !== 'min_length' || minLength !== undefined) unsupported(where, `array check ${String(c.check)}`);
        minLength = c.minimum as number;
      }
      const element = shapeOf(def.element!, `${where}[]`);
      return minLength === undefined ? { kind: 'array', element } : { kind: 'array', element, minLength };
    }
    case 'record': {
      noChecks();
      const key = def.keyType!._zod.def;
      if (key.type !== 'string' || key.checks?.length || key.coerce) unsupported(where, 'a record key other than z.string()');
      return { kind: 'record', value: shapeOf(def.valueType!, `${where}{}`) };
    }
    case 'object': {
      noChecks();
      if (def.catchall?._zod.def.type !== 'unknown') unsupported(where, 'an object that is not z.looseObject');
      const fields: Record<string, Shape> = {};
      for (const [key, field] of Object.entries(def.shape ?? {})) {
        // shape.ts tests presence with Object.hasOwn, zod with `in`: the same unless the key is inherited.
        if (key in Object.prototype) unsupported(`${where}.${key}`, 'a key named like an Object.prototype member');
        fields[key] = shapeOf(field, `${where}.${key}`);
      }
      return { kind: 'object', fields };
    }
    case 'optional':
      noChecks();
      return { kind: 'optional', inner: shapeOf(def.innerType!, where) };
    case 'default': {
      noChecks();
      const value = def.defaultValue;
      if (typeof value === 'function' || JSON.stringify(JSON.parse(JSON.stringify(value))) !== JSON.stringify(value)) {
        unsupported(where, 'a default that is not plain JSON');
      }
      return { kind: 'default', inner: shapeOf(def.innerType!, where), value };
    }
    default:
      return unsupported(where, `z.${def.type}`);
  }
}

/** A number as TypeScript source: the uint64/int64 bounds as powers of two. */
function numberSource(n: number): string {
  if (Number.isSafeInteger(n)) return Math.abs(n) >= 0xffff ? (n < 0 ? '-0x' : '0x') + Math.abs(n).toString(16) : String(n);
  const k = Math.log2(Math.abs(n));
  if (Number.isInteger(k)) return n < 0 ? `-(2 ** ${k})` : `2 ** ${k}`;
  return String(n);
}

/** A plain JSON value as TypeScript source. */
function valueSource(v: unknown): string {
  if (typeof v === 'string') return /^[^'\\\n]*$/.test(v) ? `'${v}'` : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueSource).join(', ')}]`;
  if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v).map(([k, x]) => `${keySource(k)}: ${valueSource(x)}`);
    return entries.length ? `{ ${entries.join(', ')} }` : '{}';
  }
  return JSON.stringify(v);
}

function keySource(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : valueSource(k);
}

/** The source of shape.generated.ts. */
export function renderShapeModule(): string {
  const named = namedSchemas();
  const lists = namedLists();
  const usedLists = new Set<string>();
  const declared = new Set<Schema>();
  const decls: string[] = [];

  const source = (schema: Schema, indent: string, top = false): string => {
    const name = named.get(schema);
    if (name && !top) {
      if (!declared.has(schema)) declare(schema);
      return name;
    }
    const def = schema._zod.def;
    const s = shapeOf(schema, name ?? 'schema');
    switch (s.kind) {
      case 'string':
        return s.pattern ? `str(${s.pattern.toString()})` : 'str()';
      case 'boolean':
        return 'bool()';
      case 'number':
        return s.integer ? `int(${numberSource(s.min!)}, ${numberSource(s.max!)})` : 'num()';
      case 'enum': {
        const list = lists.get(JSON.stringify(s.values));
        if (list) usedLists.add(list);
        return `oneOf(${list ?? valueSource(s.values)})`;
      }
      case 'array':
        return `list(${source(def.element!, indent)}${s.minLength === undefined ? '' : `, ${s.minLength}`})`;
      case 'record':
        return `record(${source(def.valueType!, indent)})`;
      case 'object': {
        const entries = Object.entries(def.shape ?? {});
        if (entries.length === 0) return 'obj({})';
        const inner = indent + '  ';
        const body = entries.map(([k, v]) => `${inner}${keySource(k)}: ${source(v, inner)},\n`).join('');
        return `obj(() => ({\n${body}${indent}}))`;
      }
      case 'optional':
        return `opt(${source(def.innerType!, indent)})`;
      case 'default':
        return `dflt(${source(def.innerType!, indent)}, ${valueSource(s.value)})`;
    }
  };

  const declare = (schema: Schema): void => {
    declared.add(schema);
    const text = source(schema, '', true);
    decls.push(`export const ${named.get(schema)!}: Shape = ${text};`);
  };

  for (const schema of named.keys()) if (!declared.has(schema)) declare(schema);

  return [
    '/**',
    ' * Generated by src/spec/shape-gen.ts from the zod schemas in types.ts: do not edit.',
    ' * Regenerate: npx tsc -p . && node dist/spec/shape-gen.js > src/spec/shape.generated.ts',
    ' * The zod-free description of config.json that shape.ts walks (issue #7).',
    ' */',
    '',
    `import {\n${[...usedLists].sort().map((n) => `  ${n},\n`).join('')}} from './names.js';`,
    "import { bool, dflt, int, list, num, obj, oneOf, opt, record, str, type Shape } from './shape.js';",
    '',
    decls.join('\n\n'),
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(renderShapeModule());
