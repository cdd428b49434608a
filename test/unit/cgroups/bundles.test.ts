/**
 * Which cgroup code each verb bundle carries (scripts/bundle.mjs): delete and
 * kill --all open existing cgroups with handle.ts alone, and `kill ID SIGNAL`
 * loads no cgroup code at all (kill --all's is cold-killall.cjs). Each
 * 100 KB of bundle costs ~4 % of Node's start-up (src/cli/hot.ts).
 * Needs the bundle (`npm run build`, done by `npm ci`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const OUT = join(__dirname, '..', '..', '..', 'dist', 'cli-bundle');
const built = existsSync(join(OUT, 'joey.cjs'));
const src = (f: string): string => readFileSync(join(OUT, f), 'utf8');

describe.runIf(built)('cgroup code in the verb bundles', () => {
  it('delete carries the handle, not the manager, resources or device filters', () => {
    const s = src('verb-delete.cjs');
    expect(s).toContain('// src/cgroups/handle.ts');
    for (const m of ['manager', 'resources', 'devices']) expect(s, m).not.toContain(`// src/cgroups/${m}.ts`);
  });
  it('kill carries no cgroup code; kill --all finds it in cold-killall.cjs', () => {
    const s = src('verb-kill.cjs');
    expect(s).not.toContain('// src/cgroups/');
    expect(s).toContain('globalThis.__joeyCold("./cold-killall.js")');
    const cold = src('cold-killall.cjs');
    expect(cold).toContain('// src/cgroups/handle.ts');
    expect(cold).not.toContain('// src/cgroups/manager.ts');
  });
  it('create and run still carry the manager', () => {
    for (const f of ['verb-create.cjs', 'verb-run.cjs']) expect(src(f), f).toContain('// src/cgroups/manager.ts');
  });
});
