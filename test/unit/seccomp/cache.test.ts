/** The compiled-filter cache returns exactly what libseccomp compiled, keyed by the profile. */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheName, compileSeccompCached, decodeEntry, encodeEntry } from '../../../src/linux/seccomp-cache.js';
import { compileSeccomp } from '../../../src/linux/seccomp.js';
import { defaultSeccompProfile } from '../../../src/linux/seccomp-default.js';

describe('compileSeccompCached', () => {
  it('stores the filter on first use and returns the identical filter from the cache', async () => {
    const root = fs.mkdtempSync(join(tmpdir(), 'joey-sc-'));
    const profile = defaultSeccompProfile();
    const first = await compileSeccompCached(profile, root);
    expect(fs.readdirSync(join(root, '.seccomp-cache'))).toHaveLength(1);
    expect(fs.statSync(join(root, '.seccomp-cache')).mode & 0o777).toBe(0o700);
    const second = await compileSeccompCached(profile, root);
    expect(second.bpf.equals(compileSeccomp(profile).bpf)).toBe(true);
    expect(second).toEqual(first);
    const other = await compileSeccompCached({ ...profile, defaultErrnoRet: 38 }, root);
    expect(other.bpf.equals(first.bpf)).toBe(false);
    expect(fs.readdirSync(join(root, '.seccomp-cache'))).toHaveLength(2);
    fs.rmSync(root, { recursive: true, force: true });
  });
  it('treats a file under the right name holding another profile as a miss (a hash collision is never the wrong filter)', async () => {
    const root = fs.mkdtempSync(join(tmpdir(), 'joey-sc-'));
    const profile = defaultSeccompProfile();
    const allowAll = { defaultAction: 'SCMP_ACT_ALLOW' } as const;
    await compileSeccompCached(allowAll, root);
    const [name] = fs.readdirSync(join(root, '.seccomp-cache'));
    // Plant allow-all's filter under the default profile's file name.
    const planted = await compileSeccompCached(allowAll, root);
    await compileSeccompCached(profile, root);
    const dir = join(root, '.seccomp-cache');
    const profileFile = fs.readdirSync(dir).find((f) => f !== name)!;
    fs.copyFileSync(join(dir, name!), join(dir, profileFile));
    const got = await compileSeccompCached(profile, root);
    expect(got.bpf.equals(planted.bpf)).toBe(false);
    expect(got.bpf.equals(compileSeccomp(profile).bpf)).toBe(true);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('keeps each filter in a binary file that only gives it back for the very same key', () => {
    const compiled = { bpf: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]), flags: 4, notify: false, skipped: ['nosuch'], ruleCount: 2 };
    const key = JSON.stringify([2, 'x64', '6.18', { defaultAction: 'SCMP_ACT_ERRNO', names: ['é'] }]);
    const file = encodeEntry(key, compiled);
    expect(file.subarray(0, 15).toString()).toBe('joey-seccomp 2 ');
    expect(decodeEntry(file, key)).toEqual(compiled);
    // another key of the same length, another version, a cut file, a damaged header or meta: misses
    expect(decodeEntry(file, key.replace('6.18', '6.19'))).toBeUndefined();
    expect(decodeEntry(Buffer.from(file.toString('latin1').replace('joey-seccomp 2', 'joey-seccomp 1'), 'latin1'), key)).toBeUndefined();
    expect(decodeEntry(file.subarray(0, file.length - 3), key)).toBeUndefined();
    expect(decodeEntry(file.subarray(0, 20), key)).toBeUndefined();
    const meta = file.indexOf('{"flags"');
    const broken = Buffer.from(file);
    broken[meta] = 0x5b; // '[': the meta no longer parses
    expect(decodeEntry(broken, key)).toBeUndefined();
    expect(decodeEntry(Buffer.from('{"key":"x"}'), key)).toBeUndefined();
  });

  it('names files with 64-bit FNV-1a of the key (known vectors)', () => {
    expect(cacheName('')).toBe('cbf29ce484222325');
    expect(cacheName('a')).toBe('af63dc4c8601ec8c');
    expect(cacheName('foobar')).toBe('85944171f73967e8');
    // every byte counts, a NUL too (arg_text, not the path reader)
    expect(cacheName('a\0b')).not.toBe(cacheName('a'));
  });
});
