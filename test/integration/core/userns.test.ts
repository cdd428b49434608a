/**
 * User namespaces (config-linux.md#user-namespace-mappings): root in the
 * container is an unprivileged uid on the host, and the default devices are
 * bind mounts of the host's nodes (a user namespace cannot mknod).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { isRoot, joey, lines, stateRoot } from '../helpers.js';
import type { Spec } from '../../../src/spec/types.js';
import { cleanup, createSleeper, mountAt, parseMountinfo, runProbe } from './common.js';

const HOST_BASE = 100000;

/** mkdtemp makes the bundle 0700: the container's root (host uid 100000) must be able to reach its rootfs. */
const reachable = (bundle: string) => fs.chmodSync(bundle, 0o755);

function userns(s: Spec): void {
  s.linux!.namespaces!.push({ type: 'user' });
  s.linux!.uidMappings = [{ containerID: 0, hostID: HOST_BASE, size: 65536 }];
  s.linux!.gidMappings = [{ containerID: 0, hostID: HOST_BASE, size: 65536 }];
}

describe.runIf(isRoot)('user namespace', () => {
  const root = stateRoot('core-userns');

  it('the process is root inside, with a new user namespace; devices are binds of the host nodes', () => {
    const r = runProbe(root, ['probe', 'ids', ';', 'ns', ';', 'mountinfo', ';', 'stat', '/dev/null', ';', 'write', '/dev/null', 'x', ';', 'stat', '/dev/tty', ';', 'cat', '/proc/self/uid_map', ';', 'cat', '/proc/self/gid_map'], userns, [], reachable);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(lines(r.stdout, 'uid')).toEqual(['0']);
    expect(lines(r.stdout, 'gid')).toEqual(['0']);
    expect(lines(r.stdout, 'ns').find((l) => l.startsWith('user '))).not.toBe(`user ${fs.readlinkSync('/proc/self/ns/user')}`);
    expect(r.stdout).toMatch(/^\s+0\s+100000\s+65536$/m);
    // the host's /dev/null is owned by host root, unmapped here: nobody
    expect(lines(r.stdout, 'stat')).toContain('/dev/null char 0666 1:3 65534:65534');
    expect(r.stdout).toContain('write /dev/null ok');
    const m = parseMountinfo(r.stdout);
    expect(mountAt(m, '/dev/null')).toBeDefined();
    expect(mountAt(m, '/dev/tty')).toBeDefined();
    expect(r.leftovers).toEqual([]);
  });

  describe('seen from the host', () => {
    let c: { id: string; bundle: string; pid: number };
    beforeAll(() => {
      c = createSleeper(root, ['probe', 'sleep', '60'], userns, reachable);
    });
    afterAll(() => cleanup(root, c.id, c.bundle));

    it('the container\'s root is uid and gid 100000 on the host', () => {
      const status = fs.readFileSync(`/proc/${c.pid}/status`, 'utf8');
      expect(status).toMatch(new RegExp(`^Uid:\\s+${HOST_BASE}\\s+${HOST_BASE}\\s+${HOST_BASE}\\s+${HOST_BASE}$`, 'm'));
      expect(status).toMatch(new RegExp(`^Gid:\\s+${HOST_BASE}\\s+${HOST_BASE}\\s+${HOST_BASE}\\s+${HOST_BASE}$`, 'm'));
      expect(fs.readFileSync(`/proc/${c.pid}/uid_map`, 'utf8')).toMatch(/^\s+0\s+100000\s+65536\n$/);
      expect(joey(root, ['state', c.id]).stdout).toContain('"status": "created"');
    });

    it('a second container can join its user and network namespaces by path', () => {
      const r = runProbe(root, ['probe', 'ids', ';', 'ns', ';', 'stat', '/dev/null'], (s) => {
        s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: `/proc/${c.pid}/ns/net` } : n));
        s.linux!.namespaces.push({ type: 'user', path: `/proc/${c.pid}/ns/user` });
      }, [], reachable);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(lines(r.stdout, 'uid')).toEqual(['0']);
      const ns = lines(r.stdout, 'ns');
      expect(ns).toContain(`user ${fs.readlinkSync(`/proc/${c.pid}/ns/user`)}`);
      expect(ns).toContain(`net ${fs.readlinkSync(`/proc/${c.pid}/ns/net`)}`);
      expect(lines(r.stdout, 'stat')).toContain('/dev/null char 0666 1:3 65534:65534');
      expect(r.leftovers).toEqual([]);
    });
  });
});
