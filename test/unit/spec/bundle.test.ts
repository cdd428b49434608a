import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { SpecError, SyscallError } from '../../../src/errors.js';
import { loadBundle } from '../../../src/spec/bundle.js';
import { runcSpec, type Json } from './fixtures.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'joey-bundle-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(config: Json | string, bundle = dir): void {
  writeFileSync(join(bundle, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

describe('loadBundle (bundle.md)', () => {
  test('loads config.json and resolves a relative root.path against the bundle', () => {
    mkdirSync(join(dir, 'rootfs'));
    writeConfig(runcSpec());
    const b = loadBundle(dir);
    expect(b.bundle).toBe(dir);
    expect(b.rootfs).toBe(join(dir, 'rootfs'));
    expect(b.config.process?.args).toEqual(['sh']);
  });

  test('a relative bundle path is made absolute; root.path never depends on cwd', () => {
    mkdirSync(join(dir, 'rootfs'));
    writeConfig(runcSpec());
    // process.cwd() is the checkout, not the bundle: a cwd-relative lookup would fail
    const b = loadBundle(relative(process.cwd(), dir));
    expect(b.bundle).toBe(dir);
    expect(b.rootfs).toBe(join(dir, 'rootfs'));
  });

  test('an absolute root.path is used as is', () => {
    const elsewhere = join(dir, 'images', 'alpine');
    mkdirSync(elsewhere, { recursive: true });
    const spec = runcSpec();
    spec.root.path = elsewhere;
    writeConfig(spec);
    expect(loadBundle(dir).rootfs).toBe(elsewhere);
  });

  test('a symlinked rootfs is resolved to the real directory', () => {
    mkdirSync(join(dir, 'real'));
    symlinkSync('real', join(dir, 'rootfs'));
    writeConfig(runcSpec());
    expect(loadBundle(dir).rootfs).toBe(join(dir, 'real'));
  });

  test('missing config.json', () => {
    const err = errorOf(() => loadBundle(dir));
    expect(err).toBeInstanceOf(SyscallError);
    expect(err.message).toContain(`open \`${dir}/config.json\`: no such file or directory`);
    expect((err as SyscallError).errno).toBe('ENOENT');
  });

  test('missing bundle directory', () => {
    const err = errorOf(() => loadBundle(join(dir, 'nope')));
    expect(err.message).toContain(`open \`${dir}/nope/config.json\`: no such file or directory`);
  });

  test('invalid JSON', () => {
    writeConfig('{"ociVersion": '); // truncated file
    const err = errorOf(() => loadBundle(dir));
    expect(err).toBeInstanceOf(SpecError);
    expect(err.message).toBe('config.json: invalid JSON: unexpected end of JSON input (bundle.md)');
    expect((err as SpecError).code).toBe('ESPEC_JSON');
  });

  test('invalid JSON: the parser detail is kept, lower-cased', () => {
    writeConfig('{"ociVersion": "1.2.0",}');
    expect(errorOf(() => loadBundle(dir)).message).toMatch(/^config\.json: invalid JSON: [a-z].* at position 23 \(bundle\.md\)$/);
  });

  test('an invalid config is reported by the validator', () => {
    mkdirSync(join(dir, 'rootfs'));
    const spec = runcSpec();
    spec.process.rlimits[0].type = 'RLIMIT_TEST';
    writeConfig(spec);
    expect(errorOf(() => loadBundle(dir)).message).toBe(
      'process.rlimits[0].type: unknown rlimit "RLIMIT_TEST" (config.md#posix-process)',
    );
  });

  test('missing rootfs directory', () => {
    writeConfig(runcSpec());
    const err = errorOf(() => loadBundle(dir));
    expect(err).toBeInstanceOf(SpecError);
    expect(err.message).toBe(`root.path: \`${dir}/rootfs\` does not exist (config.md#root)`);
  });

  test('rootfs that is not a directory', () => {
    writeFileSync(join(dir, 'rootfs'), 'not a dir');
    writeConfig(runcSpec());
    expect(errorOf(() => loadBundle(dir)).message).toBe(`root.path: \`${dir}/rootfs\` is not a directory (config.md#root)`);
  });

  test('a dangling rootfs symlink does not exist', () => {
    symlinkSync('gone', join(dir, 'rootfs'));
    writeConfig(runcSpec());
    expect(errorOf(() => loadBundle(dir)).message).toBe(`root.path: \`${dir}/rootfs\` does not exist (config.md#root)`);
  });
});
