/**
 * Validation — config.md "Valid values": runtimes MUST generate an error for
 * invalid or unsupported values; config.md#extensibility: and MUST ignore
 * unknown properties.
 *
 * Two layers, first problem wins, reported as one line:
 *   1. shape and closed vocabularies: the zod schemas in types.ts
 *   2. rules between fields: CHECKS in checks.ts, a list of small named functions
 *      (runc libcontainer/configs/validate/validator.go; youki validate_spec)
 * Each failure is a SpecError `<json path>: <what> (<spec section>)`, e.g.
 *   process.rlimits[2].type: unknown rlimit "RLIMIT_TEST" (config.md#posix-process)
 *
 * Pure: no file system access (open.ts checks that root.path exists), so
 * the checks are the same on every host and in unit tests.
 * This is the zod path: `joey create`/`run` go through open.ts, which
 * checks a valid config without zod and comes here only for the error.
 * Mirrors: runc validate.Validate + specconv; runtime-tools validate.
 */

import type * as z from 'zod';
import { SpecError } from '../errors.js';
import { CHECKS, normalizeSpec, ociVersionSupported } from './checks.js';
import { formatJsonPath, specSectionFor, type PathSegment } from './sections.js';
import { ProcessSchema, SpecSchema, type Process, type Spec } from './types.js';

// The rules between fields live in checks.ts (zod-free, shared with the fast path).
export { CHECKS, parseSpecVersion } from './checks.js';

// ---------------------------------------------------------------------------
// entry point

export interface ValidateOptions {
  /** Skip the rules in CHECKS (shape only); for tools that inspect broken files. */
  shapeOnly?: boolean;
}

/**
 * Parse and check a config.json value. Returns the parsed spec: unknown
 * properties kept, `process.user` uid/gid defaulted to 0, and (1.0.x only)
 * relative mount destinations made absolute. Throws the first SpecError.
 */
export function validateSpec(raw: unknown, opts: ValidateOptions = {}): Spec {
  // A config from a future major version may have a different shape: say
  // "unsupported version" rather than whatever field zod trips over first.
  const version = (raw as { ociVersion?: unknown } | null)?.ociVersion;
  if (!opts.shapeOnly && typeof version === 'string') ociVersionSupported({ ociVersion: version } as Spec);
  const parsed = SpecSchema.safeParse(raw, { error: describeIssue });
  if (!parsed.success) throw issueToSpecError(parsed.error.issues[0]);
  const spec = parsed.data;
  if (!opts.shapeOnly) for (const check of CHECKS) check(spec);
  return normalizeSpec(spec);
}

// ---------------------------------------------------------------------------
// layer 1: zod issues → one line

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * The per-parse error map: zod calls it for every issue whose schema did not
 * bring its own message, with the offending input at hand.
 */
function describeIssue(iss: RawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'missing required property';
      return `expected ${iss.expected === 'record' ? 'object' : iss.expected}, got ${kindOf(iss.input)}`;
    case 'invalid_value':
      if (iss.input === undefined) return 'missing required property';
      return `unknown value ${JSON.stringify(iss.input)}, expected one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      if (iss.origin === 'array') return `must have at least ${iss.minimum} entries`;
      return `must be at least ${iss.minimum}, got ${String(iss.input)}`;
    case 'too_big':
      if (iss.origin === 'array') return `must have at most ${iss.maximum} entries`;
      return `must be at most ${iss.maximum}, got ${String(iss.input)}`;
    case 'invalid_format':
      return `${JSON.stringify(iss.input)} is not in the expected format`;
    default:
      return undefined;
  }
}

function issueToSpecError(issue: Issue | undefined): SpecError {
  if (issue === undefined) return new SpecError('', 'invalid configuration', 'config.md', 'ESPEC_SCHEMA');
  const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
  return new SpecError(formatJsonPath(path), issue.message, specSectionFor(path), 'ESPEC_SCHEMA');
}

/**
 * A process.json for `exec --process FILE` (runc reads the same shape):
 * checked like config.json's `process`, with errors under `process.`.
 */
export function validateProcess(raw: unknown): Process {
  const parsed = ProcessSchema.safeParse(raw, { error: describeIssue });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = ['process', ...issue.path.filter((p): p is PathSegment => typeof p !== 'symbol')];
    throw new SpecError(formatJsonPath(path), issue.message, specSectionFor(path), 'ESPEC_SCHEMA');
  }
  return parsed.data;
}
