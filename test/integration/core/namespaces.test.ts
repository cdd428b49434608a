/** Namespaces (config-linux.md#namespaces): new ones differ from the host's, joined ones equal the target's. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { isRoot, joey, lines, makeBundle, removeBundle, cid, leftovers, stateRoot } from '../helpers.js';
import { cleanup, createSleeper, runProbe } from './common.js';

const PROC_NS: Record<string, string> = { pid: 'pid', network: 'net', ipc: 'ipc', uts: 'uts', mount: 'mnt', cgroup: 'cgroup', user: 'user', time: 'time' };

function nsOf(out: string): Record<string, string> {
  const m: Record<string, string> = {};
  for (const l of lines(out, 'ns')) {
    const [name, link] = l.split(' ');
    m[name!] = link!;
  }
  return m;
}

describe.runIf(isRoot)('namespaces', () => {
  const root = stateRoot('core-ns');

  it('the process is pid 1 of a new pid namespace, with the configured hostname and domainname', () => {
    const r = runProbe(root, ['probe', 'pid', ';', 'hostname', ';', 'domainname'], (s) => {
      s.hostname = 'core-host';
      s.domainname = 'example.org';
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('pid 1\nhostname core-host\ndomainname example.org\n');
    expect(r.leftovers).toEqual([]);
  });

  // namespaces.ts directSpawn: without a user or time namespace (and with
  // the pid namespace new), nothing must happen before the pid namespace
  // exists, so joey clones the init into it and there is no stage 1.
  it('without a user or time namespace, the init is cloned straight into its pid namespace: every op runs in stage 2', () => {
    const bundle = makeBundle(['probe', 'pid']);
    const id = cid();
    try {
      const r = joey(root, ['--debug', 'run', '--bundle', bundle, id]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('pid 1\n');
      const ops = lines(r.stderr, 'joey: debug: op');
      expect(ops.length).toBeGreaterThan(20);
      expect(ops.filter((l) => / unshare stage 2 /.test(l))).toHaveLength(1);
      expect(ops.filter((l) => !/ stage 2 /.test(l))).toEqual([]);
      expect(r.stderr).not.toMatch(/fork-init/);
      expect(leftovers(root, id)).toEqual([]);
    } finally {
      joey(root, ['delete', '--force', id]);
      removeBundle(bundle);
    }
  });

  it('each new namespace has an inode different from the host\'s; the others are the host\'s', () => {
    const r = runProbe(root, ['probe', 'ns']);
    expect(r.status).toBe(0);
    const ns = nsOf(r.stdout);
    for (const type of ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']) {
      const p = PROC_NS[type]!;
      expect(ns[p], p).toMatch(/^\w+:\[\d+\]$/);
      expect(ns[p], p).not.toBe(fs.readlinkSync(`/proc/self/ns/${p}`));
    }
    // not asked for: shared with the host
    expect(ns.user).toBe(fs.readlinkSync('/proc/self/ns/user'));
    expect(ns.time).toBe(fs.readlinkSync('/proc/self/ns/time'));
  });

  describe('joining a running container\'s namespaces by path', () => {
    let target: { id: string; bundle: string; pid: number };
    beforeAll(() => {
      target = createSleeper(root, ['probe', 'sleep', '60'], (s) => {
        s.hostname = 'target-host';
      });
    });
    afterAll(() => cleanup(root, target.id, target.bundle));

    it('sees the same inodes for net, ipc and uts, and the target\'s hostname', () => {
      const r = runProbe(root, ['probe', 'ns', ';', 'hostname'], (s) => {
        delete s.hostname;
        s.linux!.namespaces = s.linux!.namespaces!.map((n) =>
          ['network', 'ipc', 'uts'].includes(n.type) ? { type: n.type, path: `/proc/${target.pid}/ns/${PROC_NS[n.type]}` } : n,
        );
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const ns = nsOf(r.stdout);
      for (const p of ['net', 'ipc', 'uts']) expect(ns[p], p).toBe(fs.readlinkSync(`/proc/${target.pid}/ns/${p}`));
      // the ones still created are new, not the target's
      for (const p of ['pid', 'mnt']) expect(ns[p], p).not.toBe(fs.readlinkSync(`/proc/${target.pid}/ns/${p}`));
      expect(lines(r.stdout, 'hostname')).toEqual(['target-host']);
      expect(r.leftovers).toEqual([]);
    });

    it('joins the target\'s pid namespace: the process is not pid 1 there', () => {
      const r = runProbe(root, ['probe', 'pid', ';', 'ns'], (s) => {
        s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'pid' ? { type: 'pid', path: `/proc/${target.pid}/ns/pid` } : n));
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(nsOf(r.stdout).pid).toBe(fs.readlinkSync(`/proc/${target.pid}/ns/pid`));
      expect(Number(lines(r.stdout, 'pid')[0])).toBeGreaterThan(1);
    });

    it('refuses a namespace path of the wrong type with a clear error, leaving nothing', () => {
      const bundle = makeBundle(['probe', 'pid'], (s) => {
        s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: `/proc/${target.pid}/ns/ipc` } : n));
      });
      const id = cid();
      try {
        const r = joey(root, ['run', '--bundle', bundle, id]);
        expect(r.status).not.toBe(0);
        expect(r.stdout).toBe('');
        const msg = r.stderr.trim();
        expect(msg.split('\n')).toHaveLength(1);
        expect(msg).toContain(`/proc/${target.pid}/ns/ipc`);
        expect(msg).toMatch(/CLONE_NEWNET|network/);
        expect(leftovers(root, id)).toEqual([]);
      } finally {
        cleanup(root, id, bundle);
      }
    });

    it('refuses a namespace path that does not exist, leaving nothing', () => {
      const bundle = makeBundle(['probe', 'pid'], (s) => {
        s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: '/proc/999999999/ns/net' } : n));
      });
      const id = cid();
      try {
        const r = joey(root, ['run', '--bundle', bundle, id]);
        expect(r.status).not.toBe(0);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toContain('/proc/999999999/ns/net');
        expect(leftovers(root, id)).toEqual([]);
      } finally {
        cleanup(root, id, bundle);
      }
    });
  });
});
