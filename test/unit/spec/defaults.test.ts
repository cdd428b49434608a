import { describe, expect, test } from 'vitest';
import { defaultSpec } from '../../../src/spec/defaults.js';
import { validateSpec } from '../../../src/spec/validate.js';
import { defaultSeccompProfile } from '../../../src/linux/seccomp-default.js';

describe('defaultSpec (the `joey spec` template)', () => {
  test('round-trips through JSON and validateSpec unchanged', () => {
    const spec = defaultSpec();
    const json = JSON.parse(JSON.stringify(spec));
    expect(validateSpec(json)).toEqual(spec);
  });

  test('SECURITY(CVE-2022-29162): no inheritable (and no ambient) capabilities', () => {
    const caps = defaultSpec().process?.capabilities;
    expect(caps).toBeDefined();
    expect(caps).not.toHaveProperty('inheritable');
    expect(caps).not.toHaveProperty('ambient');
    expect(caps?.bounding).toEqual(['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']);
    expect(caps?.effective).toEqual(caps?.bounding);
    expect(caps?.permitted).toEqual(caps?.bounding);
    expect(defaultSpec({ rootless: true }).process?.capabilities).not.toHaveProperty('inheritable');
  });

  test('matches what runc spec writes, with joey as hostname', () => {
    const spec = defaultSpec();
    expect(spec.ociVersion).toBe('1.2.0');
    expect(spec.root).toEqual({ path: 'rootfs', readonly: true });
    expect(spec.hostname).toBe('joey');
    expect(spec.process).toMatchObject({
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      noNewPrivileges: true,
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
    });
    expect(spec.mounts?.map((m) => [m.destination, m.type])).toEqual([
      ['/proc', 'proc'],
      ['/dev', 'tmpfs'],
      ['/dev/pts', 'devpts'],
      ['/dev/shm', 'tmpfs'],
      ['/dev/mqueue', 'mqueue'],
      ['/sys', 'sysfs'],
      ['/sys/fs/cgroup', 'cgroup'],
    ]);
    expect(spec.linux?.namespaces?.map((n) => n.type)).toEqual(['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']);
    expect(spec.linux?.maskedPaths).toContain('/proc/kcore');
    expect(spec.linux?.maskedPaths).toHaveLength(10);
    expect(spec.linux?.readonlyPaths).toEqual(['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
    expect(spec.linux?.resources?.devices).toEqual([{ allow: false, access: 'rwm' }]);
    // Docker-like: joey spec carries the default seccomp profile
    expect(spec.linux?.seccomp).toEqual(defaultSeccompProfile());
    expect(spec.linux).not.toHaveProperty('uidMappings');
  });

  test('args and terminal options', () => {
    const spec = defaultSpec({ args: ['/bin/echo', 'hi'], terminal: false });
    expect(spec.process?.args).toEqual(['/bin/echo', 'hi']);
    expect(spec.process?.terminal).toBe(false);
  });

  test('each call returns a fresh object', () => {
    const a = defaultSpec();
    a.linux?.maskedPaths?.push('/x');
    a.process?.capabilities?.bounding?.push('CAP_SYS_ADMIN');
    expect(defaultSpec().linux?.maskedPaths).toHaveLength(10);
    expect(defaultSpec().process?.capabilities?.bounding).toHaveLength(3);
  });
});

describe('defaultSpec({ rootless: true }) (runc spec --rootless)', () => {
  test('validates, and has a user namespace with the caller mapped to root', () => {
    const spec = defaultSpec({ rootless: true, uid: 1000, gid: 1001 });
    expect(validateSpec(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
    const types = spec.linux?.namespaces?.map((n) => n.type);
    expect(types).toContain('user');
    expect(types).not.toContain('network');
    expect(spec.linux?.uidMappings).toEqual([{ containerID: 0, hostID: 1000, size: 1 }]);
    expect(spec.linux?.gidMappings).toEqual([{ containerID: 0, hostID: 1001, size: 1 }]);
  });

  test('defaults the mapping to the calling user', () => {
    const spec = defaultSpec({ rootless: true });
    expect(spec.linux?.uidMappings?.[0]?.hostID).toBe(process.geteuid?.());
    expect(spec.linux?.gidMappings?.[0]?.hostID).toBe(process.getegid?.());
  });

  test('sysfs becomes a read-only rbind, no cgroup mount, no uid=/gid= options, no resources', () => {
    const spec = defaultSpec({ rootless: true, uid: 1000, gid: 1000 });
    const sys = spec.mounts?.find((m) => m.destination === '/sys');
    expect(sys).toEqual({ destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
    expect(spec.mounts?.some((m) => m.destination === '/sys/fs/cgroup')).toBe(false);
    const pts = spec.mounts?.find((m) => m.destination === '/dev/pts');
    expect(pts?.options).toEqual(['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620']);
    expect(spec.linux).not.toHaveProperty('resources');
  });
});

describe('the default seccomp profile in `joey spec`', () => {
  test('rootless and not: the same profile, and it validates', () => {
    for (const rootless of [false, true]) {
      const spec = defaultSpec({ rootless });
      expect(spec.linux?.seccomp?.defaultAction).toBe('SCMP_ACT_ERRNO');
      expect(spec.linux?.seccomp).toEqual(defaultSeccompProfile());
      expect(validateSpec(JSON.parse(JSON.stringify(spec))).linux?.seccomp).toEqual(spec.linux?.seccomp);
    }
  });
});
