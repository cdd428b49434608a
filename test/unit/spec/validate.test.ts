import { describe, expect, test } from 'vitest';
import { SpecError } from '../../../src/errors.js';
import { CHECKS, parseSpecVersion, validateSpec } from '../../../src/spec/validate.js';
import { richSpec, runcSpec, type Json } from './fixtures.js';

/** The one-line message validateSpec throws for `raw` (fails the test if it does not throw). */
function errorOf(raw: unknown): string {
  try {
    validateSpec(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return (err as Error).message;
  }
  throw new Error('expected validateSpec to throw');
}

/** runcSpec() changed by `edit`. */
function withEdit(edit: (s: Json) => void): Json {
  const s = runcSpec();
  edit(s);
  return s;
}

describe('valid configurations', () => {
  test('the `runc spec` config passes', () => {
    const spec = validateSpec(runcSpec());
    expect(spec.ociVersion).toBe('1.2.0');
    expect(spec.process?.args).toEqual(['sh']);
    expect(spec.linux?.namespaces?.map((n) => n.type)).toEqual(['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']);
  });

  test('a config using most optional fields of 1.3 passes', () => {
    const spec = validateSpec(richSpec());
    expect(spec.linux?.seccomp?.syscalls).toHaveLength(5);
    expect(spec.vm?.kernel.path).toBe('/path/to/vmlinuz');
    expect(spec.linux?.resources?.rdma?.['mlx4_0']).toEqual({ hcaObjects: 1000 });
  });

  test('RLIM_INFINITY (2^64-1, a double after JSON.parse) is a valid uint64', () => {
    const raw = JSON.parse(
      JSON.stringify(runcSpec()).replace('"hard":1024', '"hard":18446744073709551615'),
    );
    expect(validateSpec(raw).process?.rlimits?.[0]?.hard).toBe(2 ** 64);
  });

  test('a missing process.user means uid 0 / gid 0 (as runc)', () => {
    const spec = validateSpec(withEdit((s) => delete s.process.user));
    expect(spec.process?.user).toEqual({ uid: 0, gid: 0 });
  });

  test('a config without process (create-only tooling) passes', () => {
    expect(validateSpec(withEdit((s) => delete s.process)).process).toBeUndefined();
  });

  test('every check is a named function', () => {
    expect(CHECKS.length).toBeGreaterThan(20);
    for (const c of CHECKS) expect(c.name).toMatch(/^[a-z][A-Za-z]+$/);
  });
});

describe('unknown properties are kept at every level (config.md#extensibility)', () => {
  test('top level, platform sections, process, linux, seccomp, vm, hooks …', () => {
    const s = richSpec();
    s['x-top'] = 1;
    s.solaris = { milestone: 'svc:/milestone/container:default' };
    s.windows = { layerFolders: ['C:\\x'] };
    s.root['x-root'] = true;
    s.process['x-process'] = 'p';
    s.process.user['x-user'] = 'u';
    s.process.capabilities['x-caps'] = [];
    s.process.rlimits[0]['x-rlimit'] = 0;
    s.process.consoleSize['x-box'] = 1;
    s.mounts[0]['x-mount'] = { nested: true };
    s.mounts[7].uidMappings[0]['x-idmap'] = 1;
    s.hooks['x-hooks'] = [];
    s.hooks.poststart[0]['x-hook'] = 1;
    s.linux['x-linux'] = 'l';
    s.linux.namespaces[0]['x-ns'] = 1;
    s.linux.devices[0]['x-dev'] = 1;
    s.linux.resources['x-res'] = 1;
    s.linux.resources.memory['x-mem'] = 1;
    s.linux.resources.cpu['x-cpu'] = 1;
    s.linux.resources.blockIO.weightDevice[0]['x-wd'] = 1;
    s.linux.intelRdt.enableCMT = true; // 1.1/1.2 field, dropped from 1.3
    s.linux.seccomp['x-seccomp'] = 1;
    s.linux.seccomp.syscalls[2]['x-syscall'] = 1;
    s.linux.seccomp.syscalls[2].args[0]['x-arg'] = 1;
    s.linux.personality['x-pers'] = 1;
    s.linux.timeOffsets.monotonic['x-off'] = 1;
    s.vm['x-vm'] = 1;
    s.vm.hwConfig = { vcpus: 2, 'x-hw': 1 };

    const spec = validateSpec(s) as Json;
    expect(spec['x-top']).toBe(1);
    expect(spec.solaris).toEqual({ milestone: 'svc:/milestone/container:default' });
    expect(spec.windows).toEqual({ layerFolders: ['C:\\x'] });
    expect(spec.root['x-root']).toBe(true);
    expect(spec.process['x-process']).toBe('p');
    expect(spec.process.user['x-user']).toBe('u');
    expect(spec.process.capabilities['x-caps']).toEqual([]);
    expect(spec.process.rlimits[0]['x-rlimit']).toBe(0);
    expect(spec.process.consoleSize['x-box']).toBe(1);
    expect(spec.mounts[0]['x-mount']).toEqual({ nested: true });
    expect(spec.mounts[7].uidMappings[0]['x-idmap']).toBe(1);
    expect(spec.hooks['x-hooks']).toEqual([]);
    expect(spec.hooks.poststart[0]['x-hook']).toBe(1);
    expect(spec.linux['x-linux']).toBe('l');
    expect(spec.linux.namespaces[0]['x-ns']).toBe(1);
    expect(spec.linux.devices[0]['x-dev']).toBe(1);
    expect(spec.linux.resources['x-res']).toBe(1);
    expect(spec.linux.resources.memory['x-mem']).toBe(1);
    expect(spec.linux.resources.cpu['x-cpu']).toBe(1);
    expect(spec.linux.resources.blockIO.weightDevice[0]['x-wd']).toBe(1);
    expect(spec.linux.intelRdt.enableCMT).toBe(true);
    expect(spec.linux.seccomp['x-seccomp']).toBe(1);
    expect(spec.linux.seccomp.syscalls[2]['x-syscall']).toBe(1);
    expect(spec.linux.seccomp.syscalls[2].args[0]['x-arg']).toBe(1);
    expect(spec.linux.personality['x-pers']).toBe(1);
    expect(spec.linux.timeOffsets.monotonic['x-off']).toBe(1);
    expect(spec.vm['x-vm']).toBe(1);
    expect(spec.vm.hwConfig).toEqual({ vcpus: 2, 'x-hw': 1 });
  });
});

describe('shape errors (zod) become one line with a JSON path and a spec section', () => {
  test('unknown rlimit, verbatim', () => {
    const s = withEdit((s) => {
      s.process.rlimits.push({ type: 'RLIMIT_CORE', hard: 0, soft: 0 });
      s.process.rlimits.push({ type: 'RLIMIT_TEST', hard: 1, soft: 1 });
    });
    expect(errorOf(s)).toBe('process.rlimits[2].type: unknown rlimit "RLIMIT_TEST" (config.md#posix-process)');
  });

  test('the SpecError carries jsonPath, specRef and a code', () => {
    const s = withEdit((s) => (s.process.rlimits[0].type = 'RLIMIT_TEST'));
    try {
      validateSpec(s);
      expect.unreachable();
    } catch (err) {
      const e = err as SpecError;
      expect(e.jsonPath).toBe('process.rlimits[0].type');
      expect(e.specRef).toBe('config.md#posix-process');
      expect(e.code).toBe('ESPEC_SCHEMA');
    }
  });

  test('wrong type', () => {
    expect(errorOf(withEdit((s) => (s.process.terminal = 'yes')))).toBe(
      'process.terminal: expected boolean, got string (config.md#process)',
    );
  });

  test('missing required property', () => {
    expect(errorOf(withEdit((s) => delete s.process.cwd))).toBe('process.cwd: missing required property (config.md#process)');
    expect(errorOf(withEdit((s) => delete s.ociVersion))).toBe(
      'ociVersion: missing required property (config.md#specification-version)',
    );
  });

  test('the document must be an object', () => {
    expect(errorOf([])).toBe('expected object, got array (config.md)');
    expect(errorOf(null)).toBe('expected object, got null (config.md)');
  });

  test('integers: fractions and out-of-range values', () => {
    expect(errorOf(withEdit((s) => (s.process.user.uid = 1.5)))).toBe(
      'process.user.uid: expected an integer, got 1.5 (config.md#posix-platform-user)',
    );
    expect(errorOf(withEdit((s) => (s.process.user.uid = -1)))).toBe(
      'process.user.uid: must be at least 0, got -1 (config.md#posix-platform-user)',
    );
    expect(errorOf(withEdit((s) => (s.process.user.gid = 2 ** 32)))).toBe(
      'process.user.gid: must be at most 4294967295, got 4294967296 (config.md#posix-platform-user)',
    );
    expect(errorOf(withEdit((s) => (s.process.oomScoreAdj = 1001)))).toBe(
      'process.oomScoreAdj: must be at most 1000, got 1001 (config.md#linux-process)',
    );
  });

  test('map keys that are not identifiers are quoted in the path', () => {
    expect(errorOf(withEdit((s) => (s.annotations = { 'com.example.key': 1 })))).toBe(
      'annotations["com.example.key"]: expected string, got number (config.md#annotations)',
    );
    expect(errorOf(withEdit((s) => (s.linux.sysctl = { 'net.ipv4.ip_forward': true })))).toBe(
      'linux.sysctl["net.ipv4.ip_forward"]: expected string, got boolean (config-linux.md#sysctl)',
    );
  });

  test('unknown enum values name what was expected', () => {
    expect(errorOf(withEdit((s) => (s.process.scheduler = { policy: 'SCHED_FAST' })))).toBe(
      'process.scheduler.policy: unknown scheduler policy "SCHED_FAST" (config.md#linux-process)',
    );
    expect(errorOf(withEdit((s) => (s.linux.memoryPolicy = { mode: 'MPOL_X' })))).toBe(
      'linux.memoryPolicy.mode: unknown memory policy mode "MPOL_X" (config-linux.md#memory-policy)',
    );
    expect(errorOf(withEdit((s) => (s.process.ioPriority = { class: 'IOPRIO_CLASS_X', priority: 0 })))).toBe(
      'process.ioPriority.class: unknown I/O priority class "IOPRIO_CLASS_X" (config.md#linux-process)',
    );
  });

  test('hugepage page size format', () => {
    expect(errorOf(withEdit((s) => (s.linux.resources.hugepageLimits = [{ pageSize: '2M', limit: 1 }])))).toBe(
      'linux.resources.hugepageLimits[0].pageSize: expected a page size such as "2MB" (config-linux.md#huge-page-limits)',
    );
  });
});

describe('ociVersion (config.md#specification-version)', () => {
  test('2.0.0 is unsupported', () => {
    expect(errorOf(withEdit((s) => (s.ociVersion = '2.0.0')))).toBe(
      'ociVersion: unsupported version "2.0.0", joey implements 1.0.0 to 1.3.x (config.md#specification-version)',
    );
  });

  test('the version is reported before shape errors', () => {
    expect(errorOf({ ociVersion: '2.0.0', process: 'run sh' })).toMatch(/^ociVersion: unsupported version "2.0.0"/);
  });

  test('1.4.0 is newer than joey knows', () => {
    expect(errorOf(withEdit((s) => (s.ociVersion = '1.4.0')))).toMatch(/^ociVersion: unsupported version "1.4.0"/);
  });

  test('non-SemVer is rejected', () => {
    expect(errorOf(withEdit((s) => (s.ociVersion = '1.0')))).toBe(
      'ociVersion: "1.0" is not a SemVer 2.0.0 version (config.md#specification-version)',
    );
  });

  test.each(['1.0.0', '1.0.2', '1.0.0-rc5', '1.1.0', '1.2.1', '1.3.0', '1.3.0+dev', '1.2.0-rc.1'])('%s is accepted', (v) => {
    expect(validateSpec(withEdit((s) => (s.ociVersion = v))).ociVersion).toBe(v);
  });

  test('parseSpecVersion', () => {
    expect(parseSpecVersion('1.2.3-rc.1+build')).toEqual([1, 2, 3]);
    expect(parseSpecVersion('01.2.3')).toBeUndefined();
  });

  test('parseSpecVersion accepts exactly what semver.org\'s regular expression accepts', () => {
    const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
    const oracle = (v: string) => {
      const m = SEMVER.exec(v);
      return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
    };
    const fixed = ['0.0.0', '1.0.0-', '1.0.0+', '1.0.0-a..b', '1.0.0-a.', '1.0.0+a+b', '1.0.0-a+b-c.d', '1.0.0+b-a', '1.0', '1.0.0.0', '1.0.0\n', ' 1.0.0', '1.00.0', '1.0.0-é', '10.20.30-x.7.z.92+meta-1.2', '99999999999999999999.1.1'];
    for (const v of fixed) expect(parseSpecVersion(v), v).toEqual(oracle(v));
    const alphabet = '0019.-+aZ_';
    let seed = 11;
    const next = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
    let accepted = 0;
    for (let k = 0; k < 50_000; k++) {
      // mostly near-versions: a valid core, then noise
      let v = next(3) === 0 ? '' : `${next(12)}.${next(3)}.${next(11)}`;
      for (let len = next(8); len > 0; len--) v += alphabet[next(alphabet.length)];
      const want = oracle(v);
      if (want) accepted++;
      expect(parseSpecVersion(v), v).toEqual(want);
    }
    expect(accepted).toBeGreaterThan(1000); // the corpus exercises both answers
  });
});

describe('root (config.md#root)', () => {
  test('root is required', () => {
    expect(errorOf(withEdit((s) => delete s.root))).toBe('root: missing required property (config.md#root)');
  });

  test('root.path is required and not empty', () => {
    expect(errorOf(withEdit((s) => delete s.root.path))).toBe('root.path: missing required property (config.md#root)');
    expect(errorOf(withEdit((s) => (s.root.path = '')))).toBe('root.path: must not be empty (config.md#root)');
  });
});

describe('process (config.md#process)', () => {
  test('args must have at least one entry', () => {
    expect(errorOf(withEdit((s) => (s.process.args = [])))).toBe(
      'process.args: at least one entry is required (config.md#process)',
    );
    expect(errorOf(withEdit((s) => delete s.process.args))).toBe('process.args: missing required property (config.md#process)');
  });

  test('cwd must be absolute', () => {
    expect(errorOf(withEdit((s) => (s.process.cwd = 'tmp')))).toBe(
      'process.cwd: `tmp` is not an absolute path (config.md#process)',
    );
  });

  test('duplicate rlimit', () => {
    const s = withEdit((s) => s.process.rlimits.push({ type: 'RLIMIT_NOFILE', hard: 10, soft: 10 }));
    expect(errorOf(s)).toBe('process.rlimits[1].type: duplicate rlimit "RLIMIT_NOFILE" (config.md#posix-process)');
  });

  test('soft above hard', () => {
    const s = withEdit((s) => (s.process.rlimits[0] = { type: 'RLIMIT_NOFILE', hard: 10, soft: 20 }));
    expect(errorOf(s)).toBe('process.rlimits[0]: soft limit 20 is above hard limit 10 (config.md#posix-process)');
  });

  test('unknown capability (runtime-tools process_capabilities_fail)', () => {
    const s = withEdit((s) => (s.process.capabilities.bounding = ['CAP_KILL', 'CAP_TEST']));
    expect(errorOf(s)).toBe('process.capabilities.bounding[1]: unknown capability "CAP_TEST" (config.md#linux-process)');
  });

  test('every capability up to CAP_CHECKPOINT_RESTORE (40) is known', () => {
    const s = withEdit((s) => (s.process.capabilities.ambient = ['CAP_CHECKPOINT_RESTORE', 'CAP_BPF', 'CAP_PERFMON']));
    expect(validateSpec(s).process?.capabilities?.ambient).toHaveLength(3);
    expect(errorOf(withEdit((s) => (s.process.capabilities.effective = ['cap_kill'])))).toMatch(/unknown capability "cap_kill"/);
  });

  test('scheduler rules (sched_setattr(2))', () => {
    expect(errorOf(withEdit((s) => (s.process.scheduler = { policy: 'SCHED_OTHER', nice: 20 })))).toBe(
      'process.scheduler.nice: must be between -20 and 19 for SCHED_OTHER, got 20 (config.md#linux-process)',
    );
    expect(errorOf(withEdit((s) => (s.process.scheduler = { policy: 'SCHED_OTHER', priority: 5 })))).toMatch(
      /^process\.scheduler\.priority: can only be set for SCHED_FIFO or SCHED_RR/,
    );
    expect(errorOf(withEdit((s) => (s.process.scheduler = { policy: 'SCHED_RR', runtime: 5 })))).toMatch(
      /^process\.scheduler: runtime, deadline and period can only be set for SCHED_DEADLINE/,
    );
    expect(validateSpec(withEdit((s) => (s.process.scheduler = { policy: 'SCHED_FIFO', priority: 50 })))).toBeDefined();
  });

  test('ioPriority priority is 0 to 7', () => {
    expect(errorOf(withEdit((s) => (s.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 8 })))).toBe(
      'process.ioPriority.priority: must be between 0 and 7, got 8 (config.md#linux-process)',
    );
  });
});

describe('hostname and domainname need a UTS namespace (runc uts())', () => {
  const noUts = (s: Json) => (s.linux.namespaces = s.linux.namespaces.filter((n: Json) => n.type !== 'uts'));

  test('hostname', () => {
    expect(errorOf(withEdit(noUts))).toBe('hostname: unable to set hostname without a private UTS namespace (config.md#hostname)');
  });

  test('domainname', () => {
    const s = withEdit((s) => {
      noUts(s);
      delete s.hostname;
      s.domainname = 'example.test';
    });
    expect(errorOf(s)).toBe('domainname: unable to set domainname without a private UTS namespace (config.md#domainname)');
  });

  test('a joined UTS namespace is private enough', () => {
    const s = withEdit((s) => {
      noUts(s);
      s.linux.namespaces.push({ type: 'uts', path: '/proc/42/ns/uts' });
    });
    expect(validateSpec(s).hostname).toBe('runc');
  });
});

describe('namespaces (config-linux.md#namespaces)', () => {
  test('unknown type', () => {
    expect(errorOf(withEdit((s) => s.linux.namespaces.push({ type: 'foo' })))).toBe(
      'linux.namespaces[6].type: unknown namespace type "foo" (config-linux.md#namespaces)',
    );
  });

  test('duplicate type', () => {
    expect(errorOf(withEdit((s) => s.linux.namespaces.push({ type: 'pid', path: '/proc/1/ns/pid' })))).toBe(
      'linux.namespaces[6].type: duplicate namespace "pid" (config-linux.md#namespaces)',
    );
  });

  test('path must be absolute', () => {
    expect(errorOf(withEdit((s) => (s.linux.namespaces[1] = { type: 'network', path: 'netns/x' })))).toBe(
      'linux.namespaces[1].path: `netns/x` is not an absolute path (config-linux.md#namespaces)',
    );
  });
});

describe('user namespace mappings (config-linux.md#user-namespace-mappings)', () => {
  const map = [{ containerID: 0, hostID: 1000, size: 1 }];

  test('mappings without a user namespace', () => {
    expect(errorOf(withEdit((s) => (s.linux.uidMappings = map)))).toBe(
      'linux.uidMappings: user namespace mappings specified, but no user namespace in linux.namespaces (config-linux.md#user-namespace-mappings)',
    );
  });

  test('a new user namespace without mappings', () => {
    expect(errorOf(withEdit((s) => s.linux.namespaces.push({ type: 'user' })))).toBe(
      'linux.uidMappings: user namespace enabled, but no namespace path to join nor mappings to apply (config-linux.md#user-namespace-mappings)',
    );
  });

  test('a user namespace joined by path needs no mappings', () => {
    const s = withEdit((s) => s.linux.namespaces.push({ type: 'user', path: '/proc/42/ns/user' }));
    expect(validateSpec(s).linux?.uidMappings).toBeUndefined();
  });

  test('a zero-sized range', () => {
    const s = withEdit((s) => {
      s.linux.namespaces.push({ type: 'user' });
      s.linux.uidMappings = map;
      s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 0 }];
    });
    expect(errorOf(s)).toBe('linux.gidMappings[0].size: must be greater than zero (config-linux.md#user-namespace-mappings)');
  });
});

describe('sysctl (config-linux.md#sysctl, runc sysctl())', () => {
  test('net.* needs a network namespace', () => {
    const s = withEdit((s) => {
      s.linux.namespaces = s.linux.namespaces.filter((n: Json) => n.type !== 'network');
      s.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    });
    expect(errorOf(s)).toBe(
      `linux.sysctl["net.ipv4.ip_forward"]: sysctl "net.ipv4.ip_forward" is not allowed in the host's network namespace (config-linux.md#sysctl)`,
    );
  });

  test('IPC sysctls need an IPC namespace', () => {
    const s = withEdit((s) => {
      s.linux.namespaces = s.linux.namespaces.filter((n: Json) => n.type !== 'ipc');
      s.linux.sysctl = { 'kernel.shmmax': '4096' };
    });
    expect(errorOf(s)).toBe(
      `linux.sysctl["kernel.shmmax"]: sysctl "kernel.shmmax" is not allowed in the host's ipc namespace (config-linux.md#sysctl)`,
    );
  });

  test('sysctls no namespace owns are rejected', () => {
    expect(errorOf(withEdit((s) => (s.linux.sysctl = { 'vm.swappiness': '10' })))).toBe(
      'linux.sysctl["vm.swappiness"]: sysctl "vm.swappiness" is not in a separate kernel namespace (config-linux.md#sysctl)',
    );
    expect(errorOf(withEdit((s) => (s.linux.sysctl = { 'kernel.panic': '1' })))).toMatch(/is not in a separate kernel namespace/);
  });

  test('kernel.hostname conflicts with the hostname field', () => {
    expect(errorOf(withEdit((s) => (s.linux.sysctl = { 'kernel.hostname': 'x' })))).toMatch(
      /sysctl "kernel.hostname" is not allowed as it conflicts with the "hostname" field/,
    );
  });

  test('user.* needs a user namespace', () => {
    expect(errorOf(withEdit((s) => (s.linux.sysctl = { 'user.max_user_namespaces': '0' })))).toMatch(
      /sysctl "user.max_user_namespaces" is not allowed without a user namespace/,
    );
  });

  test('slash-separated keys are read like sysctl.d(5)', () => {
    expect(validateSpec(withEdit((s) => (s.linux.sysctl = { 'net/ipv4/conf/eno2.100/rp_filter': '1' })))).toBeDefined();
    expect(errorOf(withEdit((s) => (s.linux.sysctl = { 'vm/swappiness': '1' })))).toMatch(/sysctl "vm.swappiness"/);
  });
});

describe('mounts (config.md#mounts)', () => {
  const relative = (version: string) =>
    withEdit((s) => {
      s.ociVersion = version;
      s.mounts.push({ destination: 'data/cache', type: 'tmpfs', source: 'tmpfs' });
    });

  test('a relative destination is accepted for 1.0.2 and made absolute', () => {
    const spec = validateSpec(relative('1.0.2'));
    expect(spec.mounts?.[7]?.destination).toBe('/data/cache');
    expect(spec.mounts?.[0]?.destination).toBe('/proc');
  });

  test('a relative destination is rejected for 1.2.0', () => {
    expect(errorOf(relative('1.2.0'))).toBe(
      'mounts[7].destination: `data/cache` is not an absolute path (relative destinations were deprecated after 1.0) (config.md#mounts)',
    );
  });

  test('uidMappings without gidMappings', () => {
    const s = withEdit((s) =>
      s.mounts.push({ destination: '/data', source: '/src', options: ['bind', 'idmap'], uidMappings: [{ containerID: 0, hostID: 1, size: 1 }] }),
    );
    expect(errorOf(s)).toBe('mounts[7].gidMappings: uidMappings and gidMappings must be given together (config.md#posix-platform-mounts)');
  });

  test('idmap without mappings needs a user namespace', () => {
    const s = withEdit((s) => s.mounts.push({ destination: '/data', source: '/src', options: ['rbind', 'ridmap'] }));
    expect(errorOf(s)).toBe(
      'mounts[7].options: an idmap mount needs uidMappings/gidMappings or a user namespace (config.md#linux-mount-options)',
    );
  });
});

describe('hooks (config.md#posix-platform-hooks)', () => {
  test('path must be absolute', () => {
    expect(errorOf(withEdit((s) => (s.hooks = { createRuntime: [{ path: 'bin/hook' }] })))).toBe(
      'hooks.createRuntime[0].path: `bin/hook` is not an absolute path (config.md#posix-platform-hooks)',
    );
  });

  test('timeout must be greater than zero', () => {
    expect(errorOf(withEdit((s) => (s.hooks = { poststop: [{ path: '/bin/true' }, { path: '/bin/true', timeout: 0 }] })))).toBe(
      'hooks.poststop[1].timeout: must be an integer greater than zero, got 0 (config.md#posix-platform-hooks)',
    );
    expect(errorOf(withEdit((s) => (s.hooks = { prestart: [{ path: '/bin/true', timeout: -3 }] })))).toMatch(/got -3/);
  });
});

describe('devices (config-linux.md#devices)', () => {
  test('type must be c, b, u or p', () => {
    expect(errorOf(withEdit((s) => (s.linux.devices = [{ path: '/dev/x', type: 'x', major: 1, minor: 1 }])))).toBe(
      'linux.devices[0].type: unknown device type "x" (config-linux.md#devices)',
    );
  });

  test('path must be absolute', () => {
    expect(errorOf(withEdit((s) => (s.linux.devices = [{ path: 'dev/x', type: 'c', major: 1, minor: 1 }])))).toBe(
      'linux.devices[0].path: `dev/x` is not an absolute path (config-linux.md#devices)',
    );
  });

  test('major and minor are required unless the type is p', () => {
    expect(errorOf(withEdit((s) => (s.linux.devices = [{ path: '/dev/x', type: 'c', minor: 1 }])))).toBe(
      'linux.devices[0].major: required for device type "c" (config-linux.md#devices)',
    );
    expect(errorOf(withEdit((s) => (s.linux.devices = [{ path: '/dev/x', type: 'b', major: 1 }])))).toMatch(
      /^linux\.devices\[0\]\.minor: required for device type "b"/,
    );
    expect(validateSpec(withEdit((s) => (s.linux.devices = [{ path: '/dev/fifo', type: 'p' }])))).toBeDefined();
  });
});

describe('rootfsPropagation (config-linux.md#rootfs-mount-propagation)', () => {
  test.each(['shared', 'slave', 'private', 'unbindable', 'rshared', 'rslave', 'rprivate', 'runbindable'])('%s is accepted', (p) => {
    expect(validateSpec(withEdit((s) => (s.linux.rootfsPropagation = p))).linux?.rootfsPropagation).toBe(p);
  });

  test('anything else is rejected', () => {
    expect(errorOf(withEdit((s) => (s.linux.rootfsPropagation = 'bogus')))).toBe(
      'linux.rootfsPropagation: unknown rootfs propagation "bogus" (config-linux.md#rootfs-mount-propagation)',
    );
  });
});

describe('seccomp (config-linux.md#seccomp)', () => {
  const withSeccomp = (seccomp: Json) => withEdit((s) => (s.linux.seccomp = seccomp));

  test('unknown default action', () => {
    expect(errorOf(withSeccomp({ defaultAction: 'SCMP_ACT_NOPE' }))).toBe(
      'linux.seccomp.defaultAction: unknown seccomp action "SCMP_ACT_NOPE" (config-linux.md#seccomp)',
    );
  });

  test('unknown rule action', () => {
    expect(errorOf(withSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'ALLOW' }] }))).toBe(
      'linux.seccomp.syscalls[0].action: unknown seccomp action "ALLOW" (config-linux.md#seccomp)',
    );
  });

  test('every action of the spec is known', () => {
    const actions = ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY'];
    const s = withSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath: '/run/agent.sock',
      syscalls: actions.map((action) => ({ names: ['getpid'], action })),
    });
    expect(validateSpec(s).linux?.seccomp?.syscalls).toHaveLength(9);
  });

  test('unknown architecture', () => {
    expect(errorOf(withSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'x86_64'] }))).toBe(
      'linux.seccomp.architectures[1]: unknown seccomp architecture "x86_64" (config-linux.md#seccomp)',
    );
  });

  test('unknown operator', () => {
    const s = withSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 8, op: 'SCMP_CMP_XX' }] }],
    });
    expect(errorOf(s)).toBe('linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "SCMP_CMP_XX" (config-linux.md#seccomp)');
  });

  test('argument index 0..5', () => {
    const s = withSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 8, op: 'SCMP_CMP_EQ' }] }],
    });
    expect(errorOf(s)).toBe('linux.seccomp.syscalls[0].args[0].index: must be between 0 and 5, got 6 (config-linux.md#seccomp)');
  });

  test('NOTIFY needs listenerPath', () => {
    const s = withSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_NOTIFY' }] });
    expect(errorOf(s)).toBe('linux.seccomp.listenerPath: required when an action is SCMP_ACT_NOTIFY (config-linux.md#seccomp)');
  });

  test('NOTIFY cannot be the default action nor apply to write', () => {
    expect(errorOf(withSeccomp({ defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/a' }))).toMatch(
      /^linux\.seccomp\.defaultAction: SCMP_ACT_NOTIFY cannot be used as the default action/,
    );
    const s = withSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/a', syscalls: [{ names: ['write'], action: 'SCMP_ACT_NOTIFY' }] });
    expect(errorOf(s)).toMatch(/^linux\.seccomp\.syscalls\[0\]\.names: SCMP_ACT_NOTIFY cannot be used for the write syscall/);
  });

  test('listenerMetadata needs listenerPath', () => {
    expect(errorOf(withSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'x' }))).toBe(
      'linux.seccomp.listenerMetadata: must not be set without listenerPath (config-linux.md#seccomp)',
    );
  });

  test('errnoRet only for actions that return an errno', () => {
    expect(errorOf(withSeccomp({ defaultAction: 'SCMP_ACT_KILL', defaultErrnoRet: 1 }))).toBe(
      'linux.seccomp.defaultErrnoRet: SCMP_ACT_KILL does not return an errno (config-linux.md#seccomp)',
    );
    expect(errorOf(withSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }] }))).toMatch(
      /^linux\.seccomp\.syscalls\[0\]\.errnoRet: SCMP_ACT_ALLOW does not return an errno/,
    );
  });

  test('names must have an entry', () => {
    expect(errorOf(withSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] }))).toBe(
      'linux.seccomp.syscalls[0].names: at least one syscall name is required (config-linux.md#seccomp)',
    );
  });
});

describe('time namespace offsets (config-linux.md#offset-for-time-namespace)', () => {
  test('offsets need a time namespace', () => {
    expect(errorOf(withEdit((s) => (s.linux.timeOffsets = { monotonic: { secs: 1 } })))).toBe(
      'linux.timeOffsets: time offsets specified, but no time namespace in linux.namespaces (config-linux.md#offset-for-time-namespace)',
    );
  });

  test('offsets cannot apply to a joined time namespace', () => {
    const s = withEdit((s) => {
      s.linux.namespaces.push({ type: 'time', path: '/proc/42/ns/time' });
      s.linux.timeOffsets = { monotonic: { secs: 1 } };
    });
    expect(errorOf(s)).toMatch(/^linux\.timeOffsets: time offsets cannot be applied to a time namespace joined by path/);
  });

  test('only boottime and monotonic can be offset', () => {
    const s = withEdit((s) => {
      s.linux.namespaces.push({ type: 'time' });
      s.linux.timeOffsets = { realtime: { secs: 1 } };
    });
    expect(errorOf(s)).toBe(
      'linux.timeOffsets.realtime: unknown clock "realtime", expected boottime or monotonic (config-linux.md#offset-for-time-namespace)',
    );
  });
});

describe('personality (config-linux.md#personality)', () => {
  test('domain LINUX or LINUX32', () => {
    expect(validateSpec(withEdit((s) => (s.linux.personality = { domain: 'LINUX32' })))).toBeDefined();
    expect(errorOf(withEdit((s) => (s.linux.personality = { domain: 'LINUX64' })))).toBe(
      'linux.personality.domain: unknown personality domain "LINUX64" (config-linux.md#personality)',
    );
  });
});

describe('resources (config-linux.md#control-groups)', () => {
  const withResources = (resources: Json) => withEdit((s) => (s.linux.resources = resources));

  test('pids.limit: -1 and 0 are valid, below -1 is not', () => {
    expect(validateSpec(withResources({ pids: { limit: -1 } }))).toBeDefined();
    expect(validateSpec(withResources({ pids: { limit: 0 } }))).toBeDefined();
    expect(errorOf(withResources({ pids: { limit: -2 } }))).toBe(
      'linux.resources.pids.limit: must be -1 (unlimited) or at least 0, got -2 (config-linux.md#pids)',
    );
  });

  test('memory values: -1 is unlimited, below is invalid', () => {
    expect(validateSpec(withResources({ memory: { limit: -1, swap: -1 } }))).toBeDefined();
    expect(errorOf(withResources({ memory: { reservation: -5 } }))).toBe(
      'linux.resources.memory.reservation: must be -1 (unlimited) or at least 0, got -5 (config-linux.md#memory)',
    );
    expect(errorOf(withResources({ memory: { swappiness: 101 } }))).toMatch(/^linux\.resources\.memory\.swappiness: must be between 0 and 100/);
    expect(errorOf(withResources({ memory: { limit: 2048, swap: 1024 } }))).toMatch(/^linux\.resources\.memory\.swap: memory\+swap limit 1024 is below/);
  });

  test('cpu: shares, quota, period, burst', () => {
    expect(errorOf(withResources({ cpu: { shares: 1 } }))).toBe(
      'linux.resources.cpu.shares: must be between 2 and 262144, got 1 (config-linux.md#cpu)',
    );
    expect(errorOf(withResources({ cpu: { quota: 500 } }))).toMatch(/^linux\.resources\.cpu\.quota: must be -1 \(unlimited\) or at least 1000/);
    expect(errorOf(withResources({ cpu: { quota: -2 } }))).toMatch(/^linux\.resources\.cpu\.quota:/);
    expect(errorOf(withResources({ cpu: { period: 100 } }))).toMatch(/^linux\.resources\.cpu\.period: must be between 1000 and 1000000/);
    expect(errorOf(withResources({ cpu: { quota: 10000, burst: 20000 } }))).toBe(
      'linux.resources.cpu.burst: burst 20000 is larger than quota 10000 (config-linux.md#cpu)',
    );
    expect(errorOf(withResources({ cpu: { shares: -1 } }))).toMatch(/^linux\.resources\.cpu\.shares: must be at least 0/);
    expect(validateSpec(withResources({ cpu: { shares: 0, quota: -1, period: 100000 } }))).toBeDefined();
  });

  test('block IO weight devices and rdma entries need a value', () => {
    expect(errorOf(withResources({ blockIO: { weightDevice: [{ major: 8, minor: 0 }] } }))).toBe(
      'linux.resources.blockIO.weightDevice[0]: needs weight or leafWeight (config-linux.md#block-io)',
    );
    expect(errorOf(withResources({ rdma: { mlx5_1: {} } }))).toBe('linux.resources.rdma.mlx5_1: needs hcaHandles or hcaObjects (config-linux.md#rdma)');
  });

  test('device cgroup rules', () => {
    expect(errorOf(withResources({ devices: [{ allow: true, type: 'x' }] }))).toMatch(/unknown device cgroup type "x"/);
    expect(errorOf(withResources({ devices: [{ allow: true, access: 'rwx' }] }))).toBe(
      'linux.resources.devices[0].access: "rwx" is not a combination of r, w and m (config-linux.md#allowed-device-list)',
    );
    expect(errorOf(withResources({ devices: [{ access: 'rwm' }] }))).toBe(
      'linux.resources.devices[0].allow: missing required property (config-linux.md#allowed-device-list)',
    );
  });
});

describe('other linux rules', () => {
  test('masked and readonly paths must be absolute', () => {
    expect(errorOf(withEdit((s) => s.linux.maskedPaths.push('proc/kcore')))).toBe(
      'linux.maskedPaths[10]: `proc/kcore` is not an absolute path (config-linux.md#masked-paths)',
    );
    expect(errorOf(withEdit((s) => (s.linux.readonlyPaths = ['sys'])))).toMatch(/^linux\.readonlyPaths\[0\]: `sys` is not an absolute path/);
  });

  test('masked paths need a mount namespace', () => {
    const s = withEdit((s) => (s.linux.namespaces = s.linux.namespaces.filter((n: Json) => n.type !== 'mount')));
    expect(errorOf(s)).toBe('linux.maskedPaths: unable to restrict paths without a private mount namespace (config-linux.md#masked-paths)');
  });

  test('SECURITY(runc#4103): cgroupsPath must not climb out with ..', () => {
    expect(errorOf(withEdit((s) => (s.linux.cgroupsPath = '../../etc')))).toBe(
      'linux.cgroupsPath: `../../etc` must not contain ".." components (config-linux.md#cgroups-path)',
    );
    expect(errorOf(withEdit((s) => (s.linux.cgroupsPath = 'system.slice:joey:..')))).toMatch(/must not contain "\.\." components/);
    expect(validateSpec(withEdit((s) => (s.linux.cgroupsPath = 'system.slice:joey:abc')))).toBeDefined();
  });

  test('network devices need a network namespace and valid names', () => {
    const noNet = withEdit((s) => {
      s.linux.namespaces = s.linux.namespaces.filter((n: Json) => n.type !== 'network');
      s.linux.netDevices = { eth0: {} };
    });
    expect(errorOf(noNet)).toBe(
      'linux.netDevices: unable to move network devices without a network namespace (config-linux.md#network-devices)',
    );
    expect(errorOf(withEdit((s) => (s.linux.netDevices = { eth0: { name: 'a/b' } })))).toMatch(/invalid network device name "a\/b"/);
  });

  test('memory policy node lists', () => {
    expect(errorOf(withEdit((s) => (s.linux.memoryPolicy = { mode: 'MPOL_BIND' })))).toBe(
      'linux.memoryPolicy.nodes: MPOL_BIND needs at least one node (config-linux.md#memory-policy)',
    );
    expect(errorOf(withEdit((s) => (s.linux.memoryPolicy = { mode: 'MPOL_LOCAL', nodes: '0' })))).toMatch(/MPOL_LOCAL takes no nodes/);
    expect(errorOf(withEdit((s) => (s.linux.memoryPolicy = { mode: 'MPOL_BIND', nodes: 'a-b' })))).toMatch(/is not a node list/);
  });

  test('annotation keys must not be empty', () => {
    expect(errorOf(withEdit((s) => (s.annotations = { '': 'x' })))).toBe('annotations: keys must not be empty (config.md#annotations)');
  });
});
