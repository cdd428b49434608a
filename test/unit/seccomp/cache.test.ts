/** The compiled-filter cache returns exactly what libseccomp compiled, keyed by the profile. */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileSeccompCached } from '../../../src/linux/seccomp-cache.js';
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
});
