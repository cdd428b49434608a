import { describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { findStaticBusybox, isStaticElf, makeBusyboxRootfs, NO_BUSYBOX } from '../../../src/bundle/busybox.js';
import { createProgress, formatBytes, shortDigest } from '../../../src/bundle/progress.js';
import { tmp, writeTmp } from './helpers.js';

/** A minimal little-endian ELF64 header with the given program header types. */
function elf64(types: number[]): Buffer {
  const phoff = 64;
  const b = Buffer.alloc(phoff + types.length * 56);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2; // ELFCLASS64
  b[5] = 1; // ELFDATA2LSB
  b.writeBigUInt64LE(BigInt(phoff), 0x20);
  b.writeUInt16LE(56, 0x36);
  b.writeUInt16LE(types.length, 0x38);
  types.forEach((t, i) => b.writeUInt32LE(t, phoff + i * 56));
  return b;
}

/** ELF32 big-endian, to check both layouts are read. */
function elf32be(types: number[]): Buffer {
  const phoff = 52;
  const b = Buffer.alloc(phoff + types.length * 32);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 1;
  b[5] = 2;
  b.writeUInt32BE(phoff, 0x1c);
  b.writeUInt16BE(32, 0x2a);
  b.writeUInt16BE(types.length, 0x2c);
  types.forEach((t, i) => b.writeUInt32BE(t, phoff + i * 32));
  return b;
}

describe('static ELF detection (no PT_INTERP)', () => {
  it('tells static from dynamic binaries', () => {
    expect(isStaticElf(elf64([6, 1, 1]))).toBe(true); // PT_PHDR, PT_LOAD
    expect(isStaticElf(elf64([6, 3, 1, 2]))).toBe(false); // PT_INTERP
    expect(isStaticElf(elf64([1, 2]))).toBe(true); // static-pie: PT_DYNAMIC, no interpreter
    expect(isStaticElf(elf32be([1]))).toBe(true);
    expect(isStaticElf(elf32be([3, 1]))).toBe(false);
    expect(isStaticElf(Buffer.from('#!/bin/sh\necho not elf\n'.padEnd(80)))).toBe(false);
  });

  it('skips dynamic binaries and says how to get a static busybox', () => {
    const dynamic = writeTmp('busybox', elf64([3, 1]));
    expect(findStaticBusybox([dynamic, '/nonexistent/busybox'])).toBeUndefined();
    const rootfs = `${tmp()}/rootfs`;
    mkdirSync(rootfs);
    expect(() => makeBusyboxRootfs(rootfs, [dynamic])).toThrow(`bundle: ${NO_BUSYBOX}`);
    expect(NO_BUSYBOX).toBe('no static busybox found; install the busybox-static package (apt-get install busybox-static)');
    const fake = writeTmp('busybox', elf64([1]));
    expect(findStaticBusybox([dynamic, fake])).toBe(fake);
  });
});

describe('progress', () => {
  const sink = (isTTY: boolean) => {
    const out: string[] = [];
    return { out, stream: { isTTY, write: (s: string) => out.push(s) } };
  };

  it('draws bytes per layer on a terminal', () => {
    const { out, stream } = sink(true);
    const p = createProgress({ stream, intervalMs: 0 });
    const t = p.task('layer 1/2 0123456789ab extracting', 2_000_000);
    t.add(1_000_000);
    t.done();
    expect(out.join('')).toContain('layer 1/2 0123456789ab extracting  1.0 MB / 2.0 MB');
    expect(out.at(-1)).toMatch(/done 1\.0 MB\n$/);
  });

  it('is quiet when stderr is not a terminal, or with --quiet', () => {
    const a = sink(false);
    createProgress({ stream: a.stream }).task('x', 10).add(5);
    const b = sink(true);
    const q = createProgress({ stream: b.stream, quiet: true });
    q.task('x', 10).done();
    q.warn('w');
    expect(a.out).toEqual([]);
    expect(b.out).toEqual([]);
  });

  it('formats sizes and short digests', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1_500_000)).toBe('1.5 MB');
    expect(shortDigest(`sha256:${'ab'.repeat(32)}`)).toBe('abababababab');
  });
});
