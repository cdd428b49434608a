/** The wire vocabulary: protocol.h is generated from ops.ts and must not drift; the encoder's layout. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderProtocolHeader } from '../../../src/plan/protocol-header.js';
import { encodeOp, encodePlan } from '../../../src/plan/encode.js';
import { FIELDS, MSG, OP_KINDS, PLAN_MAGIC } from '../../../src/plan/ops.js';
import type { Plan } from '../../../src/plan/ops.js';

describe('protocol.h', () => {
  it('is exactly what src/plan/protocol-header.ts generates (run `npm run gen:protocol`)', () => {
    const onDisk = readFileSync(join(__dirname, '..', '..', '..', 'native', 'common', 'protocol.h'), 'utf8');
    expect(onDisk).toBe(renderProtocolHeader());
  });
  it('has unique op and field ids', () => {
    const opIds = Object.values(OP_KINDS);
    expect(new Set(opIds).size).toBe(opIds.length);
    const fieldIds = Object.values(FIELDS).map(([id]) => id);
    expect(new Set(fieldIds).size).toBe(fieldIds.length);
  });
});

describe('encode', () => {
  it('lays out an op as length, kind, stage, then typed fields', () => {
    const buf = encodeOp({ stage: 'init', kind: 'sethostname', args: { name: 'ab' }, from: 'hostname', spec: 'config.md#hostname' });
    expect(buf.readUInt32LE(0)).toBe(buf.length);
    expect(buf.readUInt16LE(4)).toBe(OP_KINDS.sethostname);
    expect(buf.readUInt16LE(6)).toBe(2);
    expect(buf.readUInt16LE(8)).toBe(FIELDS.name[0]);
    expect(buf.readUInt16LE(10)).toBe(2); // FT_STR
    expect(buf.readUInt32LE(12)).toBe(3);
    expect(buf.subarray(16).toString('latin1')).toBe('ab\0');
  });
  it('encodes negative u64 values as two’s complement and repeated strings in order', () => {
    const buf = encodeOp({ stage: 'init', kind: 'exec', args: { args: ['a', 'bc'] }, from: '', spec: '' });
    expect(buf.subarray(8).toString('latin1')).toContain('a\0');
    const neg = encodeOp({ stage: 'init-child', kind: 'oom-score-adj', args: { value: -1000 }, from: '', spec: '' });
    expect(neg.readBigUInt64LE(16)).toBe(2n ** 64n - 1000n);
  });
  it('encodes u64 values from numbers past 32 bits and from bigints alike', () => {
    const at16 = (value: number | bigint) => encodeOp({ stage: 'init', kind: 'umask', args: { value }, from: '', spec: '' }).readBigUInt64LE(16);
    expect(at16(2 ** 40 + 3)).toBe(2n ** 40n + 3n);
    expect(at16(Number.MAX_SAFE_INTEGER)).toBe(2n ** 53n - 1n);
    expect(at16(-(2 ** 40))).toBe(2n ** 64n - 2n ** 40n);
    expect(at16(2n ** 63n + 5n)).toBe(2n ** 63n + 5n);
    expect(at16(-1n)).toBe(2n ** 64n - 1n);
  });
  it('writes non-ASCII strings as UTF-8 with one NUL, and the field length counts it', () => {
    for (const name of ['é', 'aé', '日本', 'x😀y', '']) {
      const buf = encodeOp({ stage: 'init', kind: 'sethostname', args: { name }, from: '', spec: '' });
      const bytes = Buffer.from(name, 'utf8');
      expect(buf.readUInt32LE(12)).toBe(bytes.length + 1);
      expect(buf.subarray(16)).toEqual(Buffer.concat([bytes, Buffer.from([0])]));
      expect(buf.readUInt32LE(0)).toBe(buf.length);
    }
  });
  it('grows its buffer for large fields (a seccomp filter) and long strings', () => {
    const filter = Buffer.alloc(100_000, 7);
    const buf = encodeOp({ stage: 'init', kind: 'seccomp', args: { filter, flags: 0 }, from: '', spec: '' });
    expect(buf.readUInt32LE(0)).toBe(buf.length);
    expect(buf.indexOf(filter)).toBeGreaterThan(0);
    const long = 'é'.repeat(20_000);
    const s = encodeOp({ stage: 'init', kind: 'sethostname', args: { name: long }, from: '', spec: '' });
    expect(s.subarray(16, -1).toString('utf8')).toBe(long);
  });
  it('refuses strings with NUL bytes (the decoder would refuse them too)', () => {
    expect(() => encodeOp({ stage: 'init', kind: 'sethostname', args: { name: 'a\0b' }, from: '', spec: '' })).toThrow(/NUL/);
    expect(() => encodeOp({ stage: 'init', kind: 'sethostname', args: { name: 'é\0' }, from: '', spec: '' })).toThrow(/NUL/);
  });
  it('skips runtime ops and writes the header', () => {
    const plan: Plan = {
      containerId: 'x', ociVersion: '1.2.0', bundle: '/b', rootfs: '/b/rootfs', purpose: 'create', warnings: [],
      ops: [
        { stage: 'runtime', kind: 'validate', detail: '', from: '', spec: '' },
        { stage: 'init', kind: 'setsid', args: {}, from: '', spec: '' },
      ],
    };
    const buf = encodePlan(plan, 1);
    expect(buf.readUInt32LE(0)).toBe(PLAN_MAGIC);
    expect(buf.readUInt32LE(8)).toBe(1);
    expect(buf.readUInt32LE(12)).toBe(1);
    // with a message type in front (the sync protocol's PLAN): that u32, then the same bytes
    const msg = encodePlan(plan, 1, MSG.PLAN);
    expect(msg.readUInt32LE(0)).toBe(MSG.PLAN);
    expect(msg.subarray(4).equals(buf)).toBe(true);
  });
});
