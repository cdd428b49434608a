/**
 * bin/joey → native/build/joey-launcher (native/launcher/launcher.c): finds
 * the checkout through /proc/self/exe, drops NODE_EXTRA_CA_CERTS, and execs
 * Node ($JOEY_NODE first) with --no-rehash-snapshot --no-sparkplug
 * --regexp-tier-up-ticks=100 on
 * dist/cli-bundle/joey.cjs with the arguments as given. Needs the build
 * (`npm ci`).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const TOP = resolve(__dirname, '..', '..', '..');
const JOEY = join(TOP, 'bin', 'joey');
let dir = '';

describe.runIf(existsSync(join(TOP, 'native', 'build', 'joey-launcher')))('bin/joey, the launcher', () => {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'joey-launcher-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs $JOEY_NODE on the bundled entry with the arguments unchanged, without NODE_EXTRA_CA_CERTS, keeping the snapshot hash seed', () => {
    const fake = join(dir, 'node');
    writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$@"\necho "ca=\${NODE_EXTRA_CA_CERTS-unset} other=$OTHER"\n`);
    chmodSync(fake, 0o755);
    const r = spawnSync(JOEY, ['--root', '/x y', 'exec', 'c1', 'sh', '-c', 'a b', ''], { encoding: 'utf8', env: { JOEY_NODE: fake, NODE_EXTRA_CA_CERTS: '/etc/ca.pem', OTHER: 'kept' } });
    expect(r.stderr).toBe('');
    const [flag1, flag2, flag3, entry, ...rest] = r.stdout.split('\n');
    expect([flag1, flag2, flag3]).toEqual(['--no-rehash-snapshot', '--no-sparkplug', '--regexp-tier-up-ticks=100']);
    // bench/run.mjs times `node empty.js` with the same flags, for the record
    const benchFlags = /const JOEY_NODE_FLAGS = \[([^\]]*)\]/.exec(readFileSync(join(TOP, 'bench', 'run.mjs'), 'utf8'))?.[1];
    expect(benchFlags).toBe(`'${flag1}', '${flag2}', '${flag3}'`);
    // (the shell fallback of other architectures passes it unnormalized: the same file)
    expect(realpathSync(entry!)).toBe(join(TOP, 'dist', 'cli-bundle', 'joey.cjs'));
    expect(rest).toEqual(['--root', '/x y', 'exec', 'c1', 'sh', '-c', 'a b', '', 'ca=unset other=kept', '']);
  });

  it('works with an empty environment (podman calls kill, delete and state with almost none) and through another symlink', () => {
    const link = join(dir, 'joey');
    symlinkSync(JOEY, link);
    const r = spawnSync(link, ['--root', dir, 'state', 'nope'], { encoding: 'utf8', env: {} });
    expect(r.stderr).toBe('joey: container does not exist\n');
    expect(r.status).toBe(1);
  });

  // the libc-free launcher's behaviour; other architectures install the shell version (native/Makefile)
  it.runIf(process.arch === 'x64')('finds the checkout from its own path: dist/cli/index.js without a bundle, an error above the root', () => {
    // a copy of the launcher in a checkout of its own, with tsc's output only
    const launcher = join(dir, 'native', 'build', 'joey-launcher');
    mkdirSync(join(dir, 'native', 'build'), { recursive: true });
    copyFileSync(join(TOP, 'native', 'build', 'joey-launcher'), launcher);
    chmodSync(launcher, 0o755);
    const fake = join(dir, 'node');
    writeFileSync(fake, '#!/bin/sh\necho "$4"\n');
    chmodSync(fake, 0o755);
    const r = spawnSync(launcher, [], { encoding: 'utf8', env: { JOEY_NODE: fake } });
    expect(r.stdout).toBe(`${join(realpathSync(dir), 'dist', 'cli', 'index.js')}\n`);
    // one level below / there is no checkout to find
    const moved = join('/tmp', `joey-launcher-${process.pid}`);
    copyFileSync(launcher, moved);
    chmodSync(moved, 0o755);
    try {
      const e = spawnSync(moved, [], { encoding: 'utf8', env: { JOEY_NODE: fake } });
      expect(e.stderr).toBe('joey: cannot find the checkout above /proc/self/exe\n');
      expect(e.status).toBe(127);
    } finally {
      rmSync(moved, { force: true });
    }
  });

  it.runIf(existsSync('/usr/bin/node'))('falls back to /usr/bin/node when $JOEY_NODE and $PATH lead nowhere', () => {
    const r = spawnSync(JOEY, ['--root', dir, 'state', 'x'], { encoding: 'utf8', env: { JOEY_NODE: '/nonexistent', PATH: '/nonexistent' } });
    expect(r.stderr).toBe('joey: container does not exist\n');
  });
});
