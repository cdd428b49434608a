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

/**
 * One growing buffer written in place. A plan has a few hundred fields; a
 * Buffer per field (and a concat per op) was ~10 % of a `run` in allocation
 * and GC alone.
 */
class Writer {
  private buf = Buffer.allocUnsafe(16 * 1024);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }
  u16(v: number): void {
    this.room(2);
    this.length = this.buf.writeUInt16LE(v, this.length);
  }
  u32(v: number, at = -1): void {
    if (at >= 0) {
      this.buf.writeUInt32LE(v >>> 0, at);
      return;
    }
    this.room(4);
    this.length = this.buf.writeUInt32LE(v >>> 0, this.length);
  }
  u64(v: bigint): void {
    this.room(8);
    this.length = this.buf.writeBigUInt64LE(v, this.length);
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  /** a string and its NUL; returns the byte count */
  cstr(name: string, s: string): number {
    if (s.includes('\0')) throw new Error(`plan field ${name}: string contains a NUL byte`);
    const n = Buffer.byteLength(s, 'utf8');
    this.room(n + 1);
    this.buf.write(s, this.length, 'utf8');
    this.buf[this.length + n] = 0;
    this.length += n + 1;
    return n + 1;
  }
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

function encodeField(w: Writer, name: FieldName, value: unknown): void {
  const [id, type] = FIELDS[name];
  const head = (typeId: number, length: number) => {
    w.u16(id);
    w.u16(typeId);
    w.u32(length);
  };
  const str = (s: string) => {
    head(TYPE_IDS.str, 0);
    const at = w.length - 4;
    w.u32(w.cstr(name, s), at);
  };
  switch (type) {
    case 'u64': {
      head(TYPE_IDS.u64, 8);
      const v = typeof value === 'bigint' ? value : BigInt(value as number);
      // Negative values (e.g. oomScoreAdj -1000) travel as two's complement.
      w.u64(BigInt.asUintN(64, v));
      break;
    }
    case 'str':
      str(value as string);
      break;
    case 'strs':
      for (const s of value as string[]) str(s);
      break;
    case 'bytes':
      head(TYPE_IDS.bytes, (value as Buffer).length);
      w.bytes(value as Buffer);
      break;
  }
}

function writeOp(w: Writer, op: InitOp): void {
  const start = w.length;
  w.u32(0); // the op's length, filled in below
  w.u16(OP_KINDS[op.kind]);
  w.u16(STAGE_IDS[op.stage]);
  for (const [name, value] of Object.entries(op.args)) {
    if (value === undefined) continue;
    if (!(name in FIELDS)) throw new Error(`plan op ${op.kind}: unknown field ${name}`);
    encodeField(w, name as FieldName, value);
  }
  w.u32(w.length - start, start);
}

export function encodeOp(op: InitOp): Buffer {
  const w = new Writer();
  writeOp(w, op);
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
  for (const op of ops) writeOp(w, op);
  return w.finish();
}
