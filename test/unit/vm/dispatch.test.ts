/** bundleMode: the --vm flag or config.json's annotations pick the backend; a namespace bundle's config is read once. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleMode } from '../../../src/vm/dispatch.js';

describe('bundleMode', () => {
  const dirs: string[] = [];
  const bundle = (config: string | undefined) => {
    const dir = mkdtempSync(join(tmpdir(), 'joey-dispatch-'));
    dirs.push(dir);
    if (config !== undefined) writeFileSync(join(dir, 'config.json'), config);
    return dir;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('goes to the vm backend for --vm without reading the bundle, and for either annotation', () => {
    expect(bundleMode({ vm: true }, '/nonexistent')).toEqual({ vm: true });
    expect(bundleMode({ vm: false }, bundle('{"annotations":{"run.oci.handler":"vm"}}'))).toEqual({ vm: true });
    expect(bundleMode({ vm: false }, bundle('{"annotations":{"io.github.joey.vm":"true"}}'))).toEqual({ vm: true });
  });

  it('hands a namespace bundle’s parsed config on, and nothing for one it cannot read', () => {
    const dir = bundle('{"ociVersion":"1.0.2","annotations":{"io.github.joey.vm":"false","run.oci.handler":"crun"}}');
    expect(bundleMode({ vm: false }, dir)).toEqual({
      vm: false,
      read: { bundle: dir, raw: { ociVersion: '1.0.2', annotations: { 'io.github.joey.vm': 'false', 'run.oci.handler': 'crun' } } },
    });
    expect(bundleMode({ vm: false }, bundle('{"annotations":null}')).read?.raw).toEqual({ annotations: null });
    expect(bundleMode({ vm: false }, bundle('{not json'))).toEqual({ vm: false });
    expect(bundleMode({ vm: false }, bundle(undefined))).toEqual({ vm: false });
  });
});
