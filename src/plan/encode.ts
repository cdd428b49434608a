/**
 * Plan encoding — the only writer of the wire format native/init/plan.c reads.
 *
 *   header  u32 magic "JPLN" · u32 version · u32 flags · u32 op count
 *   op      u32 length (header included) · u16 kind · u16 stage · fields…
 *   field   u16 id · u16 type · u32 length · payload
 *           u64: 8 bytes little-endian; str: bytes + NUL; bytes: raw;
 *           strs: one str field per element, same id, in order
 *
 * Only init-child and init ops are encoded; runtime ops are Node's own work.
 * The decoder checks every length against the buffer (CVE-2021-43784).
 */
import { FIELDS, OP_KINDS, PLAN_MAGIC, PLAN_VERSION, STAGE_IDS, type FieldName, type InitOp, type Plan } from './ops.js';

const TYPE_IDS = { u64: 1, str: 2, bytes: 3, strs: 2 } as const;

class Writer {
  private chunks: Buffer[] = [];
  length = 0;
  push(buf: Buffer): void {
    this.chunks.push(buf);
    this.length += buf.length;
  }
  u16(v: number): void {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    this.push(b);
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    this.push(b);
  }
  finish(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

function encodeField(w: Writer, name: FieldName, value: unknown): void {
  const [id, type] = FIELDS[name];
  const one = (payload: Buffer, typeId: number) => {
    w.u16(id);
    w.u16(typeId);
    w.u32(payload.length);
    w.push(payload);
  };
  switch (type) {
    case 'u64': {
      const b = Buffer.alloc(8);
      const v = typeof value === 'bigint' ? value : BigInt(value as number);
      // Negative values (e.g. oomScoreAdj -1000) travel as two's complement.
      b.writeBigUInt64LE(BigInt.asUintN(64, v));
      one(b, TYPE_IDS.u64);
      break;
    }
    case 'str':
      one(cstr(name, value as string), TYPE_IDS.str);
      break;
    case 'strs':
      for (const s of value as string[]) one(cstr(name, s), TYPE_IDS.str);
      break;
    case 'bytes':
      one(value as Buffer, TYPE_IDS.bytes);
      break;
  }
}

function cstr(name: string, s: string): Buffer {
  if (s.includes('\0')) throw new Error(`plan field ${name}: string contains a NUL byte`);
  return Buffer.from(`${s}\0`, 'utf8');
}

export function encodeOp(op: InitOp): Buffer {
  const body = new Writer();
  for (const [name, value] of Object.entries(op.args)) {
    if (value === undefined) continue;
    if (!(name in FIELDS)) throw new Error(`plan op ${op.kind}: unknown field ${name}`);
    encodeField(body, name as FieldName, value);
  }
  const w = new Writer();
  w.u32(8 + body.length);
  w.u16(OP_KINDS[op.kind]);
  w.u16(STAGE_IDS[op.stage]);
  w.push(body.finish());
  return w.finish();
}

/** The init's ops in order; their index on the wire is their index in this list. */
export function initOps(plan: Plan): InitOp[] {
  return plan.ops.filter((op): op is InitOp => op.stage !== 'runtime');
}

export function encodePlan(plan: Plan, flags = 0): Buffer {
  const ops = initOps(plan);
  const w = new Writer();
  w.u32(PLAN_MAGIC);
  w.u32(PLAN_VERSION);
  w.u32(flags);
  w.u32(ops.length);
  for (const op of ops) w.push(encodeOp(op));
  return w.finish();
}
