/** A bundle made by `joey bundle create --from busybox` runs with `joey run` (issue 9's round trip). */
import { describe, expect, it, afterAll } from 'vitest';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, joey, stateRoot, leftovers, cid } from '../helpers.js';

const busybox = '/bin/busybox';
const haveStaticBusybox = fs.existsSync(busybox) && !fs.readFileSync(busybox).subarray(0, 4096).includes(Buffer.from('/lib64/ld-linux'));

describe.runIf(isRoot && haveStaticBusybox)('bundle create --from busybox, then run (needs root and Debian busybox-static)', () => {
  const root = stateRoot('bundle-run');
  const dir = join(fs.mkdtempSync(join(tmpdir(), 'joey-bb-')), 'bundle');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('makes a bundle whose shell runs the configured command', () => {
    const made = joey(root, ['bundle', 'create', dir, '--from', 'busybox', '--quiet']);
    expect(made.stderr).toBe('');
    expect(made.status).toBe(0);
    const config = JSON.parse(fs.readFileSync(join(dir, 'config.json'), 'utf8'));
    config.process.args = ['sh', '-c', 'echo hi; cat /etc/passwd | head -1'];
    fs.writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const id = cid('bb');
    const r = joey(root, ['run', '--bundle', dir, id]);
    expect(r.stdout).toBe('hi\nroot:x:0:0:root:/root:/bin/sh\n');
    expect(r.status).toBe(0);
    expect(leftovers(root, id)).toEqual([]);
  });
});
