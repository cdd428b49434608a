/**
 * A bundle made by `runc spec` (Debian's runc), with a busybox-static rootfs,
 * runs under joey unchanged but for the command: this is how a new user will
 * try joey first. runc 1.1.5's template has ambient caps and no inheritable
 * set, which the kernel refuses to raise and runc runs anyway.
 */
import { describe, expect, it, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, joey, stateRoot, cid, leftovers } from '../helpers.js';

const runc = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => fs.existsSync(p));
const busybox = fs.existsSync('/bin/busybox') ? '/bin/busybox' : undefined;

describe.runIf(isRoot && runc && busybox)('a `runc spec` bundle (needs root, Debian runc and busybox-static)', () => {
  const root = stateRoot('runc-spec');
  const bundle = fs.mkdtempSync(join(tmpdir(), 'joey-runc-spec-'));
  afterAll(() => fs.rmSync(bundle, { recursive: true, force: true }));

  it('runs with its template unchanged except the command', () => {
    expect(spawnSync(runc!, ['spec'], { cwd: bundle }).status).toBe(0);
    for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp']) fs.mkdirSync(join(bundle, 'rootfs', d), { recursive: true });
    fs.copyFileSync(busybox!, join(bundle, 'rootfs', 'bin', 'busybox'));
    fs.chmodSync(join(bundle, 'rootfs', 'bin', 'busybox'), 0o755);
    fs.symlinkSync('busybox', join(bundle, 'rootfs', 'bin', 'sh'));
    const config = JSON.parse(fs.readFileSync(join(bundle, 'config.json'), 'utf8'));
    config.process.terminal = false;
    config.process.args = ['sh', '-c', 'echo ok; hostname; exit 5'];
    fs.writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
    const id = cid('runc-spec');
    const r = joey(root, ['run', '--bundle', bundle, id]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok\nrunc\n');
    expect(r.status).toBe(5);
    expect(leftovers(root, id)).toEqual([]);
  });
});
