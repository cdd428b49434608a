import { describe, expect, it } from 'vitest';
import {
  BPF_DEVCG_ACC_MKNOD as M,
  BPF_DEVCG_ACC_READ as RD,
  BPF_DEVCG_ACC_WRITE as WR,
  BPF_DEVCG_DEV_BLOCK as BLK,
  BPF_DEVCG_DEV_CHAR as CHR,
  compileDeviceProgram,
  deviceProgramInsns,
  deviceRulesToV1Writes,
  normalizeDeviceRules,
  OP,
} from '../../../src/cgroups/devices.js';
import type { LinuxDeviceCgroup } from '../../../src/cgroups/resources.js';

/** A tiny eBPF interpreter for the opcodes the generator emits; decodes the 8-byte encoding. */
function run(prog: Buffer, type: number, access: number, major: number, minor: number): number {
  const ctx = Buffer.alloc(12);
  ctx.writeUInt32LE(((access & 0xffff) << 16) | type, 0);
  ctx.writeUInt32LE(major >>> 0, 4);
  ctx.writeUInt32LE(minor >>> 0, 8);
  const r = new Array<bigint>(11).fill(0n);
  const CTX = 0x1000n;
  r[1] = CTX;
  const u32 = (v: bigint): bigint => v & 0xffffffffn;
  const sx = (imm: number): bigint => BigInt.asUintN(64, BigInt(imm));
  let pc = 0;
  for (let steps = 0; steps < 100000; steps++) {
    const code = prog.readUInt8(pc * 8);
    const regs = prog.readUInt8(pc * 8 + 1);
    const dst = regs & 0xf;
    const src = regs >> 4;
    const off = prog.readInt16LE(pc * 8 + 2);
    const imm = prog.readInt32LE(pc * 8 + 4);
    pc++;
    switch (code) {
      case OP.LDXW: {
        expect(r[src]).toBe(CTX);
        r[dst] = BigInt(ctx.readUInt32LE(off));
        break;
      }
      case OP.AND_K: r[dst] = u32(r[dst]! & sx(imm)); break;
      case OP.AND_X: r[dst] = u32(r[dst]! & r[src]!); break;
      case OP.OR_K: r[dst] = u32(r[dst]! | sx(imm)); break;
      case OP.OR_X: r[dst] = u32(r[dst]! | r[src]!); break;
      case OP.XOR_K: r[dst] = u32(r[dst]! ^ sx(imm)); break;
      case OP.RSH_K: r[dst] = u32(r[dst]!) >> BigInt(imm); break;
      case OP.MOV_K: r[dst] = u32(sx(imm)); break;
      case OP.MOV_X: r[dst] = u32(r[src]!); break;
      case OP.JA: pc += off; break;
      case OP.JNE_K: if (r[dst] !== sx(imm)) pc += off; break;
      case OP.EXIT: return Number(r[0]);
      default: throw new Error(`unexpected opcode 0x${code.toString(16)} at ${pc - 1}`);
    }
    if (pc * 8 >= prog.length) throw new Error('fell off the end');
  }
  throw new Error('no exit');
}

const rules = (x: LinuxDeviceCgroup[]) => normalizeDeviceRules(x);

describe('v1 writes', () => {
  it('keeps rule order; reset for deny-all', () => {
    const w = deviceRulesToV1Writes(rules([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', major: 136, access: 'rw' },
      { allow: false, type: 'b', major: 8, minor: 0, access: 'm' },
      { allow: true, type: 'a', major: 5, minor: 1, access: 'r' },
    ]));
    expect(w.map((x) => `${x.file} ${x.value}`)).toEqual([
      'devices.deny a *:* rwm',
      'devices.allow c 1:3 rwm',
      'devices.allow c 136:* rw',
      'devices.deny b 8:0 m',
      'devices.allow c 5:1 r',
      'devices.allow b 5:1 r',
    ]);
    expect(w[1]!.from).toBe('linux.resources.devices[1]');
  });
  it('validates', () => {
    expect(() => rules([{ allow: true, type: 'x' }])).toThrow('linux.resources.devices[0].type');
    expect(() => rules([{ allow: true, access: 'rwx' }])).toThrow('linux.resources.devices[0].access');
    expect(() => rules([{ allow: true, major: -3 }])).toThrow('linux.resources.devices[0].major');
  });
});

describe('v2 program', () => {
  it('encodes 8-byte instructions with the ctx loads first and exit last', () => {
    const r = rules([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }]);
    const buf = compileDeviceProgram(r);
    const insns = deviceProgramInsns(r);
    expect(buf.length).toBe(insns.length * 8);
    // r2 = *(u32 *)(r1 + 0): code 0x61, dst 2, src 1
    expect([...buf.subarray(0, 8)]).toEqual([0x61, 0x12, 0, 0, 0, 0, 0, 0]);
    expect(insns[1]).toEqual({ code: 0x54, dst: 2, src: 0, off: 0, imm: 0xffff });
    expect(insns[3]).toEqual({ code: 0x74, dst: 3, src: 0, off: 0, imm: 16 });
    expect(insns.at(-1)!.code).toBe(0x95);
    // the allow rule (visited first) checks type, major, minor with jumps past its body
    const firstCheck = insns.findIndex((i) => i.code === OP.JNE_K);
    expect(insns[firstCheck]).toMatchObject({ dst: 2, imm: CHR });
    expect(insns[firstCheck + 1]).toMatchObject({ dst: 4, imm: 1 });
    expect(insns[firstCheck + 2]).toMatchObject({ dst: 5, imm: 3 });
  });

  it('deny all + allow c 1:3 rw: /dev/null read ok, mknod denied, block 8:0 denied', () => {
    const p = compileDeviceProgram(rules([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }]));
    expect(run(p, CHR, RD, 1, 3)).toBe(1);
    expect(run(p, CHR, RD | WR, 1, 3)).toBe(1);
    expect(run(p, CHR, M, 1, 3)).toBe(0);
    expect(run(p, CHR, RD | M, 1, 3)).toBe(0);
    expect(run(p, BLK, RD, 8, 0)).toBe(0);
    expect(run(p, CHR, RD, 1, 5)).toBe(0);
    expect(run(p, BLK, RD, 1, 3)).toBe(0);
  });

  it('no rules: everything denied; allow-all: everything allowed', () => {
    expect(run(compileDeviceProgram([]), CHR, RD, 1, 3)).toBe(0);
    const all = compileDeviceProgram(rules([{ allow: true }]));
    expect(run(all, BLK, RD | WR | M, 8, 0)).toBe(1);
  });

  it('last matching rule wins, per access bit', () => {
    const p = compileDeviceProgram(rules([
      { allow: true, type: 'c', access: 'rwm' }, // every char device
      { allow: false, type: 'c', major: 1, minor: 5, access: 'w' }, // but no writing /dev/zero
      { allow: false, type: 'c', major: 10, access: 'rwm' },
      { allow: true, type: 'c', major: 10, minor: 200, access: 'rw' }, // except /dev/net/tun
    ]));
    expect(run(p, CHR, RD, 1, 5)).toBe(1);
    expect(run(p, CHR, WR, 1, 5)).toBe(0);
    expect(run(p, CHR, RD | WR, 1, 5)).toBe(0);
    expect(run(p, CHR, M, 1, 5)).toBe(1);
    expect(run(p, CHR, RD, 10, 229)).toBe(0);
    expect(run(p, CHR, RD | WR, 10, 200)).toBe(1);
    expect(run(p, CHR, M, 10, 200)).toBe(0);
    expect(run(p, BLK, RD, 10, 200)).toBe(0);
  });

  it('a later deny-all overrides earlier allows', () => {
    const p = compileDeviceProgram(rules([{ allow: true, type: 'c', major: 1, minor: 3 }, { allow: false }]));
    expect(run(p, CHR, RD, 1, 3)).toBe(0);
  });

  it('the runc default device list', () => {
    const p = compileDeviceProgram(rules([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
      { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
      { allow: true, type: 'c', major: 136, access: 'rwm' },
      { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
    ]));
    for (const [maj, min] of [[1, 3], [1, 5], [1, 7], [5, 0], [1, 9], [1, 8], [136, 4], [5, 2]] as const) expect(run(p, CHR, RD | WR, maj, min)).toBe(1);
    expect(run(p, CHR, RD, 4, 1)).toBe(0);
    expect(run(p, BLK, RD, 136, 0)).toBe(0);
  });
});
