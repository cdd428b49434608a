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
import { FIELDS, OP_KINDS, PLAN_MAGIC, PLAN_VERSION, STAGE_IDS, type InitOp, type Plan } from './ops.js';

const TYPE_IDS = { u64: 1, str: 2, bytes: 3 } as const;

/**
 * One growing buffer written in place. A plan has a few hundred fields; a
 * Buffer per field (and a concat per op) was ~10 % of a `run` in allocation
 * and GC alone. This runs once per process, cold, mostly in the interpreter:
 * numbers go through a DataView (not Buffer.writeUInt*LE and its JS-level
 * checks), u64 values that are plain numbers skip BigInt, ASCII strings are
 * copied by a loop, and nothing allocates per field. Encoding the bench's
 * plan took 2-6 ms of a `run` before (first call), ~1-1.5 ms now.
 */
class Writer {
  private buf = Buffer.allocUnsafe(32 * 1024);
  private dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
    this.dv = new DataView(bigger.buffer, bigger.byteOffset, bigger.byteLength);
  }
  u32(v: number, at = -1): void {
    if (at >= 0) {
      this.dv.setUint32(at, v >>> 0, true);
      return;
    }
    this.room(4);
    this.dv.setUint32(this.length, v >>> 0, true);
    this.length += 4;
  }
  /** a field header: u16 id, u16 type, u32 length */
  head(id: number, type: number, length: number): void {
    this.room(8);
    this.dv.setUint16(this.length, id, true);
    this.dv.setUint16(this.length + 2, type, true);
    this.dv.setUint32(this.length + 4, length, true);
    this.length += 8;
  }
  /** a u64 field; negative values (e.g. oomScoreAdj -1000) as two's complement */
  u64(id: number, v: number | bigint): void {
    this.head(id, TYPE_IDS.u64, 8);
    this.room(8);
    if (typeof v === 'number' && Number.isSafeInteger(v)) {
      this.dv.setUint32(this.length, v >>> 0, true);
      this.dv.setUint32(this.length + 4, Math.floor(v / 0x100000000) >>> 0, true);
    } else {
      this.dv.setBigUint64(this.length, BigInt.asUintN(64, BigInt(v)), true);
    }
    this.length += 8;
  }
  bytes(id: number, b: Uint8Array): void {
    this.head(id, TYPE_IDS.bytes, b.length);
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  /** a str field: the string's UTF-8 bytes and a NUL */
  str(id: number, name: string, s: string): void {
    this.head(id, TYPE_IDS.str, 0);
    const at = this.length - 4;
    // At most 3 bytes per UTF-16 unit, and the NUL.
    this.room(s.length * 3 + 1);
    const buf = this.buf;
    const base = this.length;
    let n = 0;
    for (; n < s.length; n++) {
      const c = s.charCodeAt(n);
      if (c === 0) throw new Error(`plan field ${name}: string contains a NUL byte`);
      if (c > 0x7f) break;
      buf[base + n] = c;
    }
    if (n < s.length) {
      if (s.includes('\0')) throw new Error(`plan field ${name}: string contains a NUL byte`);
      n = buf.write(s, base, 'utf8');
    }
    buf[base + n] = 0;
    this.length = base + n + 1;
    this.u32(n + 1, at);
  }
  /** the bytes written: a view, not a copy (the writer is not used after) */
  finish(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeOp(w: Writer, op: InitOp): void {
  const start = w.length;
  w.u32(0); // the op's length, filled in below
  w.u32((OP_KINDS[op.kind] | (STAGE_IDS[op.stage] << 16)) >>> 0); // u16 kind, u16 stage (LE)
  const args = op.args as Record<string, unknown>;
  for (const name in args) {
    const value = args[name];
    if (value === undefined) continue;
    const field = (FIELDS as Record<string, readonly [number, string]>)[name];
    if (field === undefined) throw new Error(`plan op ${op.kind}: unknown field ${name}`);
    // indexed, not destructured: array destructuring runs the iterator
    // protocol, which the interpreter does not optimize away (this code runs
    // once per process, never warm)
    const id = field[0];
    const type = field[1];
    if (type === 'u64') w.u64(id, value as number | bigint);
    else if (type === 'str') w.str(id, name, value as string);
    else if (type === 'strs') for (const s of value as string[]) w.str(id, name, s);
    else w.bytes(id, value as Buffer);
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

/**
 * The plan's wire encoding. `msg`: a sync-protocol message type to put in
 * front (spawn-init.ts sends MSG.PLAN), written here so that the message is
 * not a second buffer concatenated with a copy of the plan.
 */
export function encodePlan(plan: Plan, flags = 0, msg?: number): Buffer {
  const ops = initOps(plan);
  const w = new Writer();
  if (msg !== undefined) w.u32(msg);
  w.u32(PLAN_MAGIC);
  w.u32(PLAN_VERSION);
  w.u32(flags);
  w.u32(ops.length);
  for (const op of ops) writeOp(w, op);
  return w.finish();
}
