/**
 * Device access rules: `linux.resources.devices` for both cgroup drivers.
 *
 * Spec: runtime-spec config-linux.md#allowed-device-list. Kernel:
 * Documentation/admin-guide/cgroup-v1/devices.rst (devices.allow / devices.deny),
 * Documentation/bpf/prog_cgroup_device (BPF_PROG_TYPE_CGROUP_DEVICE), bpf(2),
 * include/uapi/linux/bpf.h (struct bpf_cgroup_dev_ctx, instruction encoding).
 *
 * PURE. The semantics are the spec's: rules are read in order and, for every access bit
 * (r, w, m) of a request, the last rule that matches the device and names that bit decides.
 * v2 has no device files, only an eBPF program per cgroup, which is generated here.
 */
import { SpecError } from '../errors.js';
import type { CgroupWrite, LinuxDeviceCgroup } from './resources.js';

export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;
export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;
const ACC_ALL = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

/** A validated rule: `major`/`minor` -1 is the wildcard `*`. */
export interface DeviceRule {
  allow: boolean;
  type: 'a' | 'b' | 'c';
  major: number;
  minor: number;
  /** BPF_DEVCG_ACC_* mask */
  access: number;
  from: string;
}

const REF = 'config-linux.md#allowed-device-list';

export function normalizeDeviceRules(rules: LinuxDeviceCgroup[] | undefined, base = 'linux.resources.devices'): DeviceRule[] {
  return (rules ?? []).map((r, i) => {
    const at = `${base}[${i}]`;
    if (typeof r.allow !== 'boolean') throw new SpecError(`${at}.allow`, 'must be a boolean', REF);
    const type = r.type === undefined || r.type === null || r.type === '' ? 'a' : r.type;
    if (type !== 'a' && type !== 'b' && type !== 'c') throw new SpecError(`${at}.type`, `must be "a", "b" or "c", got ${JSON.stringify(type)}`, REF);
    const num = (name: 'major' | 'minor'): number => {
      const v = r[name];
      if (v === undefined || v === null || v === -1) return -1;
      if (!Number.isSafeInteger(v) || v < 0 || v > 0xffffffff) throw new SpecError(`${at}.${name}`, `must be a device number, got ${JSON.stringify(v)}`, REF);
      return v;
    };
    // an absent access means every access, like crun and runc's default
    const accStr = r.access === undefined || r.access === null || r.access === '' ? 'rwm' : r.access;
    let access = 0;
    for (const ch of accStr) {
      if (ch === 'r') access |= BPF_DEVCG_ACC_READ;
      else if (ch === 'w') access |= BPF_DEVCG_ACC_WRITE;
      else if (ch === 'm') access |= BPF_DEVCG_ACC_MKNOD;
      else throw new SpecError(`${at}.access`, `must be made of "r", "w" and "m", got ${JSON.stringify(r.access)}`, REF);
    }
    return { allow: r.allow, type, major: num('major'), minor: num('minor'), access, from: at };
  });
}

function accessString(a: number): string {
  return `${a & BPF_DEVCG_ACC_READ ? 'r' : ''}${a & BPF_DEVCG_ACC_WRITE ? 'w' : ''}${a & BPF_DEVCG_ACC_MKNOD ? 'm' : ''}`;
}
const num = (n: number): string => (n === -1 ? '*' : String(n));

/**
 * v1: the writes in rule order. `a` with wildcards and every access is the kernel's reset
 * (clear the exceptions, set the default); any other `a` rule is written as its `c` and `b`
 * halves, because the kernel reads a line starting with `a` as that reset whatever follows.
 */
export function deviceRulesToV1Writes(rules: DeviceRule[]): CgroupWrite[] {
  const out: CgroupWrite[] = [];
  for (const r of rules) {
    const file = r.allow ? 'devices.allow' : 'devices.deny';
    if (r.type === 'a' && r.major === -1 && r.minor === -1 && r.access === ACC_ALL) {
      out.push({ controller: 'devices', driver: 'v1', file, value: 'a *:* rwm', from: r.from });
      continue;
    }
    const types = r.type === 'a' ? ['c', 'b'] : [r.type];
    for (const t of types) {
      out.push({ controller: 'devices', driver: 'v1', file, value: `${t} ${num(r.major)}:${num(r.minor)} ${accessString(r.access)}`, from: r.from });
    }
  }
  return out;
}

// ---- eBPF encoding (include/uapi/linux/bpf_common.h, bpf.h) ----
const BPF_LDX = 0x01, BPF_ALU = 0x04, BPF_JMP = 0x05;
const BPF_W = 0x00, BPF_MEM = 0x60;
const BPF_K = 0x00, BPF_X = 0x08;
const BPF_AND = 0x50, BPF_OR = 0x40, BPF_RSH = 0x70, BPF_XOR = 0xa0, BPF_MOV = 0xb0;
const BPF_JA = 0x00, BPF_JNE = 0x50, BPF_EXIT = 0x90;

export const OP = {
  LDXW: BPF_LDX | BPF_MEM | BPF_W, // 0x61
  AND_K: BPF_ALU | BPF_AND | BPF_K, // 0x54
  AND_X: BPF_ALU | BPF_AND | BPF_X, // 0x5c
  OR_X: BPF_ALU | BPF_OR | BPF_X, // 0x4c
  OR_K: BPF_ALU | BPF_OR | BPF_K, // 0x44
  RSH_K: BPF_ALU | BPF_RSH | BPF_K, // 0x74
  XOR_K: BPF_ALU | BPF_XOR | BPF_K, // 0xa4
  MOV_K: BPF_ALU | BPF_MOV | BPF_K, // 0xb4
  MOV_X: BPF_ALU | BPF_MOV | BPF_X, // 0xbc
  JA: BPF_JMP | BPF_JA, // 0x05
  JNE_K: BPF_JMP | BPF_JNE | BPF_K, // 0x55
  EXIT: BPF_JMP | BPF_EXIT, // 0x95
} as const;

export interface Insn { code: number; dst: number; src: number; off: number; imm: number }

const ins = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

/**
 * The program, as instructions. Registers:
 *   r2 type, r3 requested access, r4 major, r5 minor (from struct bpf_cgroup_dev_ctx in r1),
 *   r6 bits allowed so far, r7 bits decided so far.
 * Rules are visited last to first; a rule that matches the device decides the bits it names
 * that no later rule decided. At the end the undecided bits get the default (deny: a
 * container starts from nothing), and the request passes if every requested bit is allowed.
 */
export function deviceProgramInsns(rules: DeviceRule[]): Insn[] {
  const p: Insn[] = [
    ins(OP.LDXW, 2, 1, 0, 0),
    ins(OP.AND_K, 2, 0, 0, 0xffff),
    ins(OP.LDXW, 3, 1, 0, 0),
    ins(OP.RSH_K, 3, 0, 0, 16),
    ins(OP.LDXW, 4, 1, 4, 0),
    ins(OP.LDXW, 5, 1, 8, 0),
    ins(OP.MOV_K, 6, 0, 0, 0),
    ins(OP.MOV_K, 7, 0, 0, 0),
  ];
  for (let i = rules.length - 1; i >= 0; i--) {
    const r = rules[i]!;
    const body: Insn[] = [];
    if (r.allow) {
      body.push(ins(OP.MOV_X, 1, 7, 0, 0), ins(OP.XOR_K, 1, 0, 0, -1), ins(OP.AND_K, 1, 0, 0, r.access), ins(OP.OR_X, 6, 1, 0, 0));
    }
    body.push(ins(OP.OR_K, 7, 0, 0, r.access));
    const checks: [number, number][] = [];
    if (r.type !== 'a') checks.push([2, r.type === 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK]);
    if (r.major !== -1) checks.push([4, r.major | 0]);
    if (r.minor !== -1) checks.push([5, r.minor | 0]);
    // each check skips the rest of this rule's block when the device does not match
    checks.forEach(([reg, v], k) => p.push(ins(OP.JNE_K, reg, 0, checks.length - 1 - k + body.length, v)));
    p.push(...body);
  }
  // undecided bits: denied (nothing to add to r6). requested & ~allowed must be 0.
  p.push(
    ins(OP.MOV_X, 1, 6, 0, 0),
    ins(OP.XOR_K, 1, 0, 0, -1),
    ins(OP.AND_X, 3, 1, 0, 0),
    ins(OP.MOV_K, 0, 0, 0, 0),
    ins(OP.JNE_K, 3, 0, 1, 0),
    ins(OP.MOV_K, 0, 0, 0, 1),
    ins(OP.EXIT, 0, 0, 0, 0),
  );
  return p;
}

/** struct bpf_insn: u8 code; u8 dst_reg:4, src_reg:4; s16 off; s32 imm (little endian host) */
export function encodeInsns(insns: Insn[]): Buffer {
  const b = Buffer.alloc(insns.length * 8);
  insns.forEach((x, i) => {
    b.writeUInt8(x.code, i * 8);
    b.writeUInt8((x.src << 4) | (x.dst & 0x0f), i * 8 + 1);
    b.writeInt16LE(x.off, i * 8 + 2);
    b.writeInt32LE(x.imm | 0, i * 8 + 4);
  });
  return b;
}

/** The BPF_PROG_TYPE_CGROUP_DEVICE program for addon().bpfLoadDeviceProgram. */
export function compileDeviceProgram(rules: DeviceRule[]): Buffer {
  if (rules.length > 4000) throw new SpecError('linux.resources.devices', `too many rules (${rules.length})`, REF);
  return encodeInsns(deviceProgramInsns(rules));
}

export const DEVICE_PROGRAM_LICENSE = 'Apache';
