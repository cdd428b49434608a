/**
 * The fast shape check (src/spec/shape.ts, open.ts) against zod (types.ts,
 * validate.ts) on one value. The contract (issue #7): the fast path accepts
 * only what zod accepts, and then returns what zod returns, key order
 * included; the rules and messages after the shape are the same functions.
 * Here, on test corpora, it must also accept everything zod accepts, apart
 * from the inputs it deliberately leaves to zod (see `leftToZod`).
 */
import { isDeepStrictEqual } from 'node:util';
import { parseShape, REJECT } from '../../../src/spec/shape.js';
import { ProcessShape, SpecShape } from '../../../src/spec/shape.generated.js';
import { parseSpecFast } from '../../../src/spec/open.js';
import { ProcessSchema, SpecSchema } from '../../../src/spec/types.js';
import { validateProcess, validateSpec } from '../../../src/spec/validate.js';

/** Inputs JSON.parse never makes, and `__proto__` keys: the fast path says no and zod decides. */
export function leftToZod(v: unknown): boolean {
  if (v === undefined) return true;
  if (typeof v === 'number') return !Number.isFinite(v);
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!(i in v) || leftToZod(v[i])) return true;
    return false;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype || Object.hasOwn(v, '__proto__')) return true;
  if (Object.hasOwn(v, 'constructor') && typeof (v as { constructor: unknown }).constructor === 'function') return true;
  return Object.values(v).some(leftToZod);
}

/** Equal, and with the same keys in the same order everywhere. */
function sameOutput(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a, b) && JSON.stringify(a) === JSON.stringify(b);
}

type Outcome = { ok: unknown } | { error: string };

function outcome(fn: () => unknown): Outcome {
  try {
    return { ok: fn() };
  } catch (err) {
    return { error: `${(err as Error).constructor.name}: ${(err as Error).message}` };
  }
}

/**
 * A description of how fast and zod disagree on `raw` as a config.json, or
 * undefined. Checks the shape layer alone and the whole validation.
 */
export function compareSpec(raw: unknown): string | undefined {
  const fast = parseShape(SpecShape, raw);
  const zod = SpecSchema.safeParse(raw);
  if (fast !== REJECT) {
    if (!zod.success) return `fast shape accepts, zod rejects: ${zod.error.issues[0]?.message} at ${zod.error.issues[0]?.path.join('.')}`;
    if (!sameOutput(fast, zod.data)) return 'fast shape and zod parse differently';
  } else if (zod.success && !leftToZod(raw)) {
    return 'gap: fast shape rejects a value zod accepts';
  }

  const whole = outcome(() => parseSpecFast(raw));
  // parseSpecFast defers to zod exactly when the fast shape said no, checked above
  if ('ok' in whole && whole.ok === undefined) return fast === REJECT ? undefined : 'parseSpecFast deferred a shape it accepts';
  const slow = outcome(() => validateSpec(raw));
  if ('error' in whole || 'error' in slow) {
    if (!isDeepStrictEqual(whole, slow)) return `different results: fast ${JSON.stringify(whole).slice(0, 200)}, zod ${JSON.stringify(slow).slice(0, 200)}`;
    return undefined;
  }
  if (!sameOutput(whole.ok, slow.ok)) return 'parseSpecFast and validateSpec return different specs';
  return undefined;
}

/** The same for a process.json (`exec --process`). */
export function compareProcess(raw: unknown): string | undefined {
  const fast = parseShape(ProcessShape, raw);
  const zod = ProcessSchema.safeParse(raw);
  if (fast !== REJECT) {
    if (!zod.success) return `fast process shape accepts, zod rejects: ${zod.error.issues[0]?.message}`;
    if (!sameOutput(fast, zod.data)) return 'fast process shape and zod parse differently';
    if (!sameOutput(fast, validateProcess(raw))) return 'fast process shape and validateProcess differ';
  } else if (zod.success && !leftToZod(raw)) {
    return 'gap: fast process shape rejects a value zod accepts';
  }
  return undefined;
}
