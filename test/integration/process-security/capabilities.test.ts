/**
 * Capabilities, credentials and no_new_privs seen from inside real containers
 * (issue 3 §1, §2, §7): config.md#linux-process, capabilities(7), prctl(2).
 * The probe's `status` verb prints CapInh/CapPrm/CapEff/CapBnd/CapAmb,
 * NoNewPrivs and Seccomp from /proc/self/status.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Capability } from '../../../src/spec/types.js';
import { cid, isRoot, joey, leftovers, lines, makeBundle, removeBundle, stateRoot } from '../helpers.js';
import { capHex, runDetached, statusFields } from './util.js';

const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

describe.runIf(isRoot)('process capabilities, user and no_new_privs (root: real containers)', () => {
  const root = stateRoot('process-caps');
  const bundles: string[] = [];
  afterAll(() => bundles.forEach(removeBundle));

  function run(args: string[], edit: Parameters<typeof makeBundle>[1]) {
    const bundle = makeBundle(args, edit);
    bundles.push(bundle);
    const id = cid('caps');
    const r = joey(root, ['run', '--bundle', bundle, id]);
    return { ...r, id, bundle, fields: statusFields(r.stdout) };
  }

  it('the `joey spec` defaults: three caps, nothing inheritable or ambient, no_new_privs, a seccomp filter', () => {
    const r = run(['probe', 'status'], () => {});
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.fields).toEqual({
      CapInh: capHex([]),
      CapPrm: capHex(DEFAULT_CAPS),
      CapEff: capHex(DEFAULT_CAPS),
      CapBnd: capHex(DEFAULT_CAPS),
      CapAmb: capHex([]),
      NoNewPrivs: '1',
      Seccomp: '2',
    });
    expect(leftovers(root, r.id)).toEqual([]);
  });

  it("all five sets by name, as root (after execve root's effective set is its permitted set)", () => {
    const caps = {
      bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW', 'CAP_SYS_ADMIN', 'CAP_SETPCAP'] as Capability[],
      effective: ['CAP_CHOWN', 'CAP_NET_RAW'] as Capability[],
      permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW'] as Capability[],
      inheritable: ['CAP_KILL', 'CAP_NET_RAW'] as Capability[],
      ambient: ['CAP_NET_RAW'] as Capability[],
    };
    const r = run(['probe', 'status'], (s) => {
      s.process!.capabilities = caps;
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.fields.CapBnd).toBe(capHex(caps.bounding));
    // capabilities(7): execve as uid 0 makes effective = the new permitted set;
    // no_new_privs keeps the new permitted set within the old one
    expect(r.fields.CapEff).toBe(capHex(caps.permitted));
    expect(r.fields.CapPrm).toBe(capHex(caps.permitted));
    expect(r.fields.CapInh).toBe(capHex(caps.inheritable));
    expect(r.fields.CapAmb).toBe(capHex(caps.ambient));
  });

  it('a non-root user keeps its configured caps across the uid change (keepcaps, capset, ambient) and the ambient ones across execve', () => {
    const r = run(['probe', 'ids', ';', 'status'], (s) => {
      s.process!.user = { uid: 1000, gid: 1000, additionalGids: [1001, 1002] };
      s.process!.capabilities = {
        bounding: ['CAP_NET_BIND_SERVICE', 'CAP_KILL', 'CAP_DAC_OVERRIDE'],
        effective: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'],
        permitted: ['CAP_NET_BIND_SERVICE', 'CAP_KILL'],
        inheritable: ['CAP_NET_BIND_SERVICE'],
        ambient: ['CAP_NET_BIND_SERVICE'],
      };
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(lines(r.stdout, 'uid')).toEqual(['1000']);
    expect(lines(r.stdout, 'euid')).toEqual(['1000']);
    expect(lines(r.stdout, 'gid')).toEqual(['1000']);
    expect(lines(r.stdout, 'groups')).toEqual(['1001 1002']);
    expect(r.fields.CapBnd).toBe(capHex(['CAP_NET_BIND_SERVICE', 'CAP_KILL', 'CAP_DAC_OVERRIDE']));
    // capabilities(7): execve by a non-root user without file caps: permitted =
    // effective = ambient; CAP_KILL was permitted and effective until then
    expect(r.fields.CapEff).toBe(capHex(['CAP_NET_BIND_SERVICE']));
    expect(r.fields.CapPrm).toBe(capHex(['CAP_NET_BIND_SERVICE']));
    expect(r.fields.CapInh).toBe(capHex(['CAP_NET_BIND_SERVICE']));
    expect(r.fields.CapAmb).toBe(capHex(['CAP_NET_BIND_SERVICE']));
  });

  it('a non-root user without ambient caps loses the effective set at its execve', () => {
    const r = run(['probe', 'status'], (s) => {
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.capabilities = { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] };
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // capabilities(7): execve by a non-root user without file caps clears permitted and effective
    expect(r.fields.CapEff).toBe(capHex([]));
    expect(r.fields.CapPrm).toBe(capHex([]));
    expect(r.fields.CapBnd).toBe(capHex(['CAP_KILL']));
  });

  it('noNewPrivileges false: NoNewPrivs 0, and the seccomp filter is still loaded (before the capability drop)', () => {
    const r = run(['probe', 'status'], (s) => {
      s.process!.noNewPrivileges = false;
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.fields.NoNewPrivs).toBe('0');
    expect(r.fields.Seccomp).toBe('2');
    expect(r.fields.CapEff).toBe(capHex(DEFAULT_CAPS));
  });

  it('noNewPrivileges true without seccomp: NoNewPrivs 1, Seccomp 0', () => {
    const r = run(['probe', 'status'], (s) => {
      delete s.linux!.seccomp;
    });
    expect(r.status).toBe(0);
    expect(r.fields.NoNewPrivs).toBe('1');
    expect(r.fields.Seccomp).toBe('0');
  });

  it('an unknown capability name is a spec error naming its JSON path, and nothing is left behind', () => {
    const r = run(['probe', 'status'], (s) => {
      (s.process!.capabilities!.bounding as string[]).push('CAP_BOGUS');
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('process.capabilities.bounding[3]');
    expect(r.stderr).toContain('CAP_BOGUS');
    expect(leftovers(root, r.id)).toEqual([]);
  });

  it('an ambient cap outside permitted ∩ inheritable is not raised, and the container still runs (as runc runs `runc spec` configs)', () => {
    const r = run(['probe', 'status'], (s) => {
      s.process!.capabilities = { bounding: ['CAP_KILL'], permitted: ['CAP_KILL'], effective: ['CAP_KILL'], ambient: ['CAP_KILL'] };
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.fields.CapAmb).toBe('0000000000000000');
    expect(r.fields.CapPrm).toBe('0000000000000020');
    expect(leftovers(root, r.id)).toEqual([]);
  });

  it('SECURITY(CVE-2022-29162): exec --cap CAP_SYS_ADMIN adds it to bounding/effective/permitted, never to inheritable', () => {
    const bundle = makeBundle(['probe', 'sleep', '30']);
    bundles.push(bundle);
    const id = cid('capexec');
    const c = runDetached(root, bundle, id);
    expect(c.output).toBe('');
    expect(c.status).toBe(0);
    try {
      const e = joey(root, ['exec', '--cap', 'CAP_SYS_ADMIN', id, 'probe', 'status']);
      expect(e.stderr).toBe('');
      expect(e.status).toBe(0);
      const f = statusFields(e.stdout);
      expect(f.CapInh).toBe(capHex([]));
      expect(f.CapAmb).toBe(capHex([]));
      expect(f.CapEff).toBe(capHex([...DEFAULT_CAPS, 'CAP_SYS_ADMIN']));
      expect(f.CapBnd).toBe(capHex([...DEFAULT_CAPS, 'CAP_SYS_ADMIN']));
      // an unknown name is an error, and no process is started
      const bad = joey(root, ['exec', '--cap', 'CAP_BOGUS', id, 'probe', 'status']);
      expect(bad.status).toBe(255); // runc: exec itself failing is 255
      expect(bad.stdout).toBe('');
      expect(bad.stderr).toContain('unknown capability "CAP_BOGUS"');
      // the process the container was created with is untouched
      const plain = statusFields(joey(root, ['exec', id, 'probe', 'status']).stdout);
      expect(plain.CapEff).toBe(capHex(DEFAULT_CAPS));
    } finally {
      joey(root, ['delete', '--force', id]);
    }
    expect(leftovers(root, id)).toEqual([]);
  });
});
