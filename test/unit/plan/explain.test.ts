/** The op catalogue covers every op kind, and `joey explain` renders it (src/plan/explain.ts). */
import { describe, expect, it } from 'vitest';
import { OP_KINDS } from '../../../src/plan/ops.js';
import { INIT_OP_CATALOGUE, RUNTIME_OP_CATALOGUE, explainKind, explainKinds, explainOp, explanationFor } from '../../../src/plan/explain.js';
import { runtimeOp } from '../../../src/plan/op.js';

const RUNTIME_KINDS = ['validate', 'lock-state', 'cgroup-create', 'cgroup-write', 'spawn-init', 'cgroup-join', 'write-idmap', 'hook', 'write-state'];

describe('op catalogue', () => {
  it('has an entry for every kind in OP_KINDS, and no other', () => {
    expect(Object.keys(INIT_OP_CATALOGUE).sort()).toEqual(Object.keys(OP_KINDS).sort());
  });
  it('has an entry for every runtime op kind', () => {
    expect(Object.keys(RUNTIME_OP_CATALOGUE).sort()).toEqual([...RUNTIME_KINDS].sort());
  });
  it('fills every field of every entry', () => {
    for (const [kind, e] of [...Object.entries(INIT_OP_CATALOGUE), ...Object.entries(RUNTIME_OP_CATALOGUE)]) {
      expect(e.title, kind).toMatch(/\S/);
      expect(e.kernel, kind).toMatch(/\S/);
      expect(e.spec, kind).toMatch(/\.md|runtime|config/);
      expect(e.detail, kind).toMatch(/\S/);
      for (const m of e.man) expect(m, kind).toMatch(/^[\w.-]+\(\d\w*\)$/);
      if (e.security) expect(e.security, kind).toMatch(/CVE-\d{4}-\d+|security\.md|runc#\d+/);
    }
  });
  it('names the advisory at the mitigations security.md lists', () => {
    expect(INIT_OP_CATALOGUE['close-fds'].security).toContain('CVE-2024-21626');
    expect(INIT_OP_CATALOGUE['verify-cwd'].security).toContain('CVE-2024-21626');
    expect(INIT_OP_CATALOGUE.mount.security).toContain('CVE-2021-30465');
    expect(INIT_OP_CATALOGUE['mask-path'].security).toContain('CVE-2025-31133');
    expect(INIT_OP_CATALOGUE['console-setup'].security).toContain('CVE-2025-52565');
    expect(RUNTIME_OP_CATALOGUE['spawn-init'].security).toContain('CVE-2019-5736');
  });
  it('lists every kind once', () => {
    const kinds = explainKinds();
    expect(new Set(kinds).size).toBe(kinds.length);
    for (const k of [...Object.keys(OP_KINDS), ...RUNTIME_KINDS]) expect(kinds).toContain(k);
  });
  it('explains `hook` as both the init op and the runtime op', () => {
    const text = explainKind('hook')!;
    expect(text).toContain('hook (init)');
    expect(text).toContain('hook (runtime)');
    expect(explanationFor('hook', 'runtime')).toBe(RUNTIME_OP_CATALOGUE.hook);
    expect(explanationFor('hook', 'init')).toBe(INIT_OP_CATALOGUE.hook);
  });
  it('returns undefined for an unknown kind', () => {
    expect(explainKind('frobnicate')).toBeUndefined();
  });
  it('renders a kind', () => {
    expect(explainKind('pivot-root')).toMatchSnapshot();
  });
  it('renders one op of a plan', () => {
    const op = runtimeOp('spawn-init', 'joey-init from a sealed memfd copy', '', 'runtime.md#create', { security: 'CVE-2019-5736' });
    expect(explainOp(op, 3)).toMatchSnapshot();
  });
});
