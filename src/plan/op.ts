/** Small constructors for plan ops, so producers read as one line per op. */
import type { FieldValues, InitOp, InitOpKind, RuntimeOp } from './ops.js';

export function initOp(
  stage: InitOp['stage'],
  kind: InitOpKind,
  args: FieldValues,
  from: string,
  spec: string,
  extra: { security?: string; why?: string } = {},
): InitOp {
  return { stage, kind, args, from, spec, ...extra };
}

export function runtimeOp(
  kind: RuntimeOp['kind'],
  detail: string,
  from: string,
  spec: string,
  extra: { security?: string; why?: string } = {},
): RuntimeOp {
  return { stage: 'runtime', kind, detail, from, spec, ...extra };
}
