/**
 * A classic-BPF interpreter for seccomp programs (the subset libseccomp and
 * the -ENOSYS stub emit), so unit tests can ask "what does this filter answer
 * for syscall N with these arguments" without root and without loading it.
 * Semantics from the kernel's Documentation/networking/filter.rst.
 */
import { endianness } from 'node:os';

export interface Insn { code: number; jt: number; jf: number; k: number }

export function decode(bpf: Buffer): Insn[] {
  const le = endianness() === 'LE';
  const out: Insn[] = [];
  for (let o = 0; o < bpf.length; o += 8) {
    out.push({
      code: le ? bpf.readUInt16LE(o) : bpf.readUInt16BE(o),
      jt: bpf.readUInt8(o + 2),
      jf: bpf.readUInt8(o + 3),
      k: le ? bpf.readUInt32LE(o + 4) : bpf.readUInt32BE(o + 4),
    });
  }
  return out;
}

/** Return constants (BPF_RET|BPF_K) in the program. */
export function returnValues(bpf: Buffer): number[] {
  return decode(bpf).filter((i) => i.code === 0x06).map((i) => i.k >>> 0);
}

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_I386 = 0x40000003;

/** struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; } */
function seccompData(nr: number, arch: number, args: bigint[]): Buffer {
  const le = endianness() === 'LE';
  const d = Buffer.alloc(64);
  if (le) { d.writeInt32LE(nr | 0, 0); d.writeUInt32LE(arch >>> 0, 4); } else { d.writeInt32BE(nr | 0, 0); d.writeUInt32BE(arch >>> 0, 4); }
  args.forEach((a, i) => (le ? d.writeBigUInt64LE(a, 16 + 8 * i) : d.writeBigUInt64BE(a, 16 + 8 * i)));
  return d;
}

/** Run the filter; returns the SECCOMP_RET_* value. */
export function run(bpf: Buffer, nr: number, opts: { arch?: number; args?: (number | bigint)[] } = {}): number {
  const prog = decode(bpf);
  const data = seccompData(nr, opts.arch ?? AUDIT_ARCH_X86_64, (opts.args ?? []).map((a) => BigInt(a)));
  const le = endianness() === 'LE';
  const mem = new Array<number>(16).fill(0);
  let A = 0;
  let X = 0;
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, jt, jf, k } = prog[pc]!;
    const cls = code & 0x07;
    switch (cls) {
      case 0x00: { // LD
        const mode = code & 0xe0;
        if (mode === 0x20 && (code & 0x18) === 0x00) A = le ? data.readUInt32LE(k) : data.readUInt32BE(k);
        else if (mode === 0x00) A = k >>> 0; // IMM
        else if (mode === 0x60) A = mem[k]!; // MEM
        else throw new Error(`unsupported ld 0x${code.toString(16)} at ${pc}`);
        break;
      }
      case 0x01: { // LDX
        const mode = code & 0xe0;
        if (mode === 0x00) X = k >>> 0;
        else if (mode === 0x60) X = mem[k]!;
        else throw new Error(`unsupported ldx 0x${code.toString(16)} at ${pc}`);
        break;
      }
      case 0x02: mem[k] = A; break; // ST
      case 0x03: mem[k] = X; break; // STX
      case 0x04: { // ALU
        const src = code & 0x08 ? X : k >>> 0;
        switch (code & 0xf0) {
          case 0x50: A = (A & src) >>> 0; break;
          case 0x40: A = (A | src) >>> 0; break;
          case 0x00: A = (A + src) >>> 0; break;
          case 0x10: A = (A - src) >>> 0; break;
          default: throw new Error(`unsupported alu 0x${code.toString(16)} at ${pc}`);
        }
        break;
      }
      case 0x05: { // JMP
        const op = code & 0xf0;
        const src = code & 0x08 ? X : k >>> 0;
        if (op === 0x00) { pc += k; break; }
        let cond: boolean;
        if (op === 0x10) cond = A === src;
        else if (op === 0x20) cond = A > src;
        else if (op === 0x30) cond = A >= src;
        else if (op === 0x40) cond = (A & src) !== 0;
        else throw new Error(`unsupported jmp 0x${code.toString(16)} at ${pc}`);
        pc += cond ? jt : jf;
        break;
      }
      case 0x06: return code & 0x10 ? A : k >>> 0; // RET
      case 0x07: if (code === 0x07) X = A; else A = X; break; // MISC: TAX / TXA
    }
  }
  throw new Error('program fell off the end');
}

export const RET = {
  KILL_THREAD: 0x00000000,
  KILL_PROCESS: 0x80000000,
  TRAP: 0x00030000,
  ERRNO: (e: number) => 0x00050000 | e,
  TRACE: (m: number) => (0x7ff00000 | m) >>> 0,
  USER_NOTIF: 0x7fc00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;
