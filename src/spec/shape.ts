/**
 * Shape check without zod — config.md, config-linux.md, config-vm.md (the
 * same shapes as the zod schemas in types.ts).
 *
 * WHY: loading zod costs about one more Node start-up (~110 ms, +16 MB RSS;
 * docs performance.md §8.3), and `joey create`/`run` validate one config and
 * exit. So a valid config.json is checked here, by a small walker over a
 * description of the schemas that shape-gen.ts derives from zod itself
 * (shape.generated.ts; test/unit/spec/shape.test.ts fails when it drifts).
 * zod stays the source of truth: when this walker says no, the caller asks
 * zod (validate.ts), which decides and words the error.
 *
 * Contract: for every value JSON.parse can produce, parseShape accepts only
 * what zod accepts, and then returns exactly what zod's parse returns (same
 * keys in the same order, defaults applied, unknown keys kept). It may
 * reject more (e.g. any `__proto__` key); it never explains why.
 */

/** A schema node; one kind per zod construct that types.ts uses. */
export type Shape =
  | { readonly kind: 'string'; readonly pattern?: RegExp }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'number'; readonly integer: boolean; readonly min?: number; readonly max?: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'array'; readonly element: Shape; readonly minLength?: number }
  | { readonly kind: 'record'; readonly value: Shape }
  /** z.looseObject: unknown keys are kept as they are (config.md#extensibility) */
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, Shape>> }
  | { readonly kind: 'optional'; readonly inner: Shape }
  /** zod 4 `.default(v)`: an absent value becomes a shallow copy of v, without parsing it */
  | { readonly kind: 'default'; readonly inner: Shape; readonly value: unknown };

// ---------------------------------------------------------------------------
// builders (what shape.generated.ts is written in)

export const str = (pattern?: RegExp): Shape => (pattern ? { kind: 'string', pattern } : { kind: 'string' });
export const bool = (): Shape => ({ kind: 'boolean' });
/** Any finite number. */
export const num = (): Shape => ({ kind: 'number', integer: false });
/** An integer in [min, max] (the bounds may exceed 2^53: uint64 fields). */
export const int = (min: number, max: number): Shape => ({ kind: 'number', integer: true, min, max });
export const oneOf = (values: readonly string[]): Shape => ({ kind: 'enum', values });
export const list = (element: Shape, minLength?: number): Shape =>
  minLength === undefined ? { kind: 'array', element } : { kind: 'array', element, minLength };
/** An object with string keys and values of one shape. */
export const record = (value: Shape): Shape => ({ kind: 'record', value });
/**
 * An object; `fields` may be given as a function, called the first time the
 * walker needs them. shape.generated.ts writes every object that way: built
 * eagerly, its whole tree cost 0.6-1.0 ms of every `create` and `run` at
 * load (measured: it was the costliest module to load), and a config uses a
 * fraction of it (no hooks, no vm, few resources).
 */
export const obj = (fields: Record<string, Shape> | (() => Record<string, Shape>)): Shape => {
  if (typeof fields !== 'function') return { kind: 'object', fields };
  let built: Record<string, Shape> | undefined;
  return {
    kind: 'object',
    get fields() {
      return (built ??= fields());
    },
  };
};
export const opt = (inner: Shape): Shape => ({ kind: 'optional', inner });
export const dflt = (inner: Shape, value: unknown): Shape => ({ kind: 'default', inner, value });

// ---------------------------------------------------------------------------
// the walker

/** parseShape's "no": the value does not fit (or is outside what this walker decides). */
export const REJECT: unique symbol = Symbol('reject');

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * An object JSON.parse could have made. WHY: zod's record check also looks at
 * `constructor`, and zod skips `__proto__` keys while copying; such inputs
 * are left to zod rather than imitated.
 */
function isJsonObject(v: unknown): v is Record<string, unknown> {
  if (!isObject(v) || Object.getPrototypeOf(v) !== Object.prototype || Object.hasOwn(v, '__proto__')) return false;
  return !Object.hasOwn(v, 'constructor') || typeof v.constructor !== 'function';
}

/**
 * Parse `value` against `shape`: the parsed value (fresh objects and arrays;
 * unknown properties shared with the input, as zod does), or REJECT.
 */
export function parseShape(shape: Shape, value: unknown): unknown {
  switch (shape.kind) {
    case 'string':
      if (typeof value !== 'string') return REJECT;
      if (shape.pattern) {
        shape.pattern.lastIndex = 0;
        if (!shape.pattern.test(value)) return REJECT;
      }
      return value;
    case 'boolean':
      return typeof value === 'boolean' ? value : REJECT;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return REJECT;
      if (shape.integer && !Number.isInteger(value)) return REJECT;
      if (shape.min !== undefined && !(value >= shape.min)) return REJECT;
      if (shape.max !== undefined && !(value <= shape.max)) return REJECT;
      return value;
    case 'enum':
      return typeof value === 'string' && shape.values.includes(value) ? value : REJECT;
    case 'array': {
      if (!Array.isArray(value)) return REJECT;
      if (shape.minLength !== undefined && value.length < shape.minLength) return REJECT;
      const out: unknown[] = new Array(value.length);
      for (let i = 0; i < value.length; i++) {
        const r = parseShape(shape.element, value[i]);
        if (r === REJECT) return REJECT;
        out[i] = r;
      }
      return out;
    }
    case 'record': {
      if (!isJsonObject(value)) return REJECT;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const r = parseShape(shape.value, value[key]);
        if (r === REJECT) return REJECT;
        out[key] = r;
      }
      return out;
    }
    case 'object': {
      if (!isJsonObject(value)) return REJECT;
      const out: Record<string, unknown> = {};
      // zod's order: declared keys first, in schema order, then unknown ones in input order.
      const fields = shape.fields;
      for (const key in fields) {
        const field = fields[key]!;
        if (!Object.hasOwn(value, key)) {
          if (field.kind === 'default') out[key] = shallowCopy(field.value);
          else if (field.kind !== 'optional') return REJECT;
          continue;
        }
        const r = parseShape(field, value[key]);
        if (r === REJECT) return REJECT;
        out[key] = r;
      }
      for (const key of Object.keys(value)) {
        if (!Object.hasOwn(fields, key)) out[key] = value[key];
      }
      return out;
    }
    case 'optional':
      // An explicit `undefined` (never from JSON) is left to zod.
      return value === undefined ? REJECT : parseShape(shape.inner, value);
    case 'default':
      return value === undefined ? shallowCopy(shape.value) : parseShape(shape.inner, value);
  }
}

/** zod's defaultValue getter copies objects and arrays one level deep. */
function shallowCopy(v: unknown): unknown {
  if (Array.isArray(v)) return [...v];
  if (isObject(v)) return { ...v };
  return v;
}
