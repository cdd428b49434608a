/** store.ts: removing a state dir without Node's rimraf, and the fallback when it holds more than files; the state.json layout list relies on. */
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseStateHead, removeStateDir, STATE_HEAD, writeState, type StoredState } from '../../../src/lifecycle/store.js';
import { addon } from '../../../src/native/addon.js';

const top = mkdtempSync(join(tmpdir(), 'joey-store-'));
afterAll(() => rmSync(top, { recursive: true, force: true }));

describe('removeStateDir', () => {
  it('removes a dir of files, a dir with a subdir (fallback), and is quiet when the dir is gone', () => {
    const flat = join(top, 'flat');
    mkdirSync(flat);
    for (const f of ['state.json', 'config.json', '.lock']) writeFileSync(join(flat, f), 'x');
    removeStateDir(flat);
    expect(existsSync(flat)).toBe(false);

    const nested = join(top, 'nested');
    mkdirSync(join(nested, 'sub', 'deeper'), { recursive: true });
    writeFileSync(join(nested, 'state.json'), 'x');
    writeFileSync(join(nested, 'sub', 'deeper', 'f'), 'x');
    removeStateDir(nested);
    expect(existsSync(nested)).toBe(false);

    expect(() => removeStateDir(join(top, 'never-made'))).not.toThrow();
  });
});

const cgroupV1 = {
  driver: 'v1',
  mode: 'hybrid',
  cgroupsPath: '/joey/c',
  paths: { memory: '/sys/fs/cgroup/memory/joey/c', freezer: '/sys/fs/cgroup/freezer/joey/c', '': '/sys/fs/cgroup/unified/joey/c' },
  created: ['/sys/fs/cgroup/memory/joey/c'],
  layout: { mode: 'hybrid', v2Root: '/sys/fs/cgroup/unified', v1: { freezer: '/sys/fs/cgroup/freezer' }, v2Controllers: [] },
};

function state(over: Partial<StoredState> = {}): StoredState {
  return {
    ociVersion: '1.0.2',
    id: 'c',
    pid: 42,
    startTime: 4242,
    bundle: '/b',
    rootfs: '/b/rootfs',
    created: '2026-11-28T01:07:39.792Z',
    annotations: { 'org.example': 'é' },
    owner: '',
    phase: 'created',
    cgroup: cgroupV1,
    rootless: false,
    ...over,
  };
}

/** Write `text` as <top>/<name>/state.json and read it as list does. */
function head(name: string, text?: string): string {
  const dir = join(top, name);
  mkdirSync(dir, { recursive: true });
  if (text !== undefined) writeFileSync(join(dir, 'state.json'), text);
  return addon().readFiles([join(dir, 'state.json')], { oneRead: true, ...STATE_HEAD })[0]!;
}

describe('state.json layout', () => {
  it('writeState saves the freezer file and puts the cgroup section last', () => {
    const dir = join(top, 'order');
    mkdirSync(dir);
    writeState(dir, state());
    const text = readFileSync(join(dir, 'state.json'), 'utf8');
    const keys = Object.keys(JSON.parse(text));
    expect(keys.slice(-2)).toEqual(['freezer', 'cgroup']);
    expect(JSON.parse(text)).toEqual({ ...state(), freezer: '/sys/fs/cgroup/freezer/joey/c/freezer.state' });
  });

  it('a v2-only cgroup saves cgroup.events; no cgroup saves an empty freezer and no section', () => {
    const dir = join(top, 'v2');
    mkdirSync(dir);
    writeState(dir, state({ cgroup: { ...cgroupV1, driver: 'v2', paths: { '': '/sys/fs/cgroup/joey/c' } } }));
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).freezer).toBe('/sys/fs/cgroup/joey/c/cgroup.events');
    writeState(dir, state({ cgroup: undefined, vm: { kernel: '/k' } }));
    const saved = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    expect(saved.freezer).toBe('');
    expect('cgroup' in saved).toBe(false);
    expect(parseStateHead(head('v2'))).toEqual(saved);
  });

  it('list reads the state without its cgroup section', () => {
    const dir = join(top, 'new');
    mkdirSync(dir);
    writeState(dir, state());
    const h = head('new');
    expect(h.length).toBeLessThan(400);
    const { cgroup: _skipped, ...rest } = state();
    expect(parseStateHead(h)).toEqual({ ...rest, freezer: '/sys/fs/cgroup/freezer/joey/c/freezer.state' });
  });

  it('an older layout, a key "cgroup" in annotations or a broken file give null: read whole then', () => {
    // before: the cgroup section in the middle, no freezer
    const old = JSON.stringify({ ...state(), cgroup: cgroupV1, rootless: true });
    expect(old.indexOf('"cgroup"')).toBeLessThan(old.indexOf('"rootless"'));
    expect(parseStateHead(head('old', old))).toBeNull();
    const dir = join(top, 'anno');
    mkdirSync(dir);
    writeState(dir, state({ annotations: { a: 'x', cgroup: 'y' } }));
    expect(parseStateHead(head('anno'))).toBeNull();
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).annotations).toEqual({ a: 'x', cgroup: 'y' });
    expect(parseStateHead(head('broken', '{"ociVersion":"1.0.2","freezer":""'))).toBeNull();
  });
});
