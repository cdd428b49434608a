/** `joey features` (runtime-spec features.md) and `joey --version` (runc's shape). */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { JOEY } from '../helpers.js';
import { CAPABILITIES, MOUNT_OPTIONS } from '../../../src/linux/flags.js';

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(JOEY, args, { encoding: 'utf8', env: {} });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('joey features', () => {
  const r = run(['features']);
  const f = JSON.parse(r.stdout) as Record<string, any>;

  it('prints the features document, indented like runc', () => {
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('{\n    "ociVersionMin": "1.0.0",\n    "ociVersionMax": "1.3.0",\n')).toBe(true);
    expect(Object.keys(f)).toEqual(['ociVersionMin', 'ociVersionMax', 'hooks', 'mountOptions', 'linux', 'annotations']);
  });

  it('lists hooks, mount options, namespaces and capabilities joey implements', () => {
    expect(f.hooks).toEqual(['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
    expect(f.mountOptions).toContain('rbind');
    expect(f.mountOptions).toContain('rprivate');
    expect(f.mountOptions).toContain('rro');
    expect(f.mountOptions).toHaveLength(new Set(f.mountOptions).size);
    for (const o of Object.keys(MOUNT_OPTIONS)) expect(f.mountOptions).toContain(o);
    expect(f.linux.namespaces).toEqual(['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts']);
    expect(f.linux.capabilities).toContain('CAP_SYS_ADMIN');
    expect(f.linux.capabilities).toEqual([...CAPABILITIES]);
  });

  it('says what is and is not supported', () => {
    expect(f.linux.cgroup).toEqual({ v1: true, v2: true, systemd: false, systemdUser: false, rdma: true });
    expect(f.linux.intelRdt).toEqual({ enabled: false });
    expect(f.linux.mountExtensions).toEqual({ idmap: { enabled: false } });
    expect(f.linux.apparmor).toEqual({ enabled: true });
    expect(f.linux.selinux).toEqual({ enabled: true });
    expect(f.annotations['io.github.joey.version']).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('describes seccomp from the tables the compiler uses', () => {
    const s = f.linux.seccomp;
    expect(s.enabled).toBe(true);
    expect(s.actions).toContain('SCMP_ACT_NOTIFY');
    expect(s.operators).toContain('SCMP_CMP_MASKED_EQ');
    expect(s.archs).toContain('SCMP_ARCH_X86_64');
    expect(s.knownFlags).toContain('SECCOMP_FILTER_FLAG_LOG');
    for (const flag of s.supportedFlags) expect(s.knownFlags).toContain(flag);
    expect(f.annotations['io.github.seccomp.libseccomp.version']).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('joey --version', () => {
  it("prints runc's lines: version, commit, spec", () => {
    const r = run(['--version']);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^joey version \d+\.\d+\.\d+/);
    expect(lines[1]).toMatch(/^commit: \S+/);
    expect(lines[2]).toMatch(/^spec: \d+\.\d+\.\d+$/);
  });
});
