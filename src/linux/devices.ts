/**
 * Devices — runtime-spec config-linux.md#devices, #default-devices,
 * runtime-linux.md#dev-symbolic-links
 * Kernel: mknod(2), mount(2) MS_BIND (inside a user namespace mknod is refused)
 * Security: CVE-2026-41579 (a /dev symlink in the image must not redirect
 * device creation: native/init opens rootfs/dev inside the root first)
 * Mirrors: runc libcontainer/rootfs_linux.go createDevices, setupDevSymlinks, setupPtmx
 */
import type { LinuxDevice, Mount } from '../spec/types.js';
import { initOp } from '../plan/op.js';
import type { InitOp } from '../plan/ops.js';
import { isBind } from './mounts.js';

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

/** The devices every container gets (config-linux.md#default-devices). */
export const DEFAULT_DEVICES: ReadonlyArray<{ path: string; major: number; minor: number }> = [
  { path: '/dev/null', major: 1, minor: 3 },
  { path: '/dev/zero', major: 1, minor: 5 },
  { path: '/dev/full', major: 1, minor: 7 },
  { path: '/dev/random', major: 1, minor: 8 },
  { path: '/dev/urandom', major: 1, minor: 9 },
  { path: '/dev/tty', major: 5, minor: 0 },
];

/** runc skips device setup when /dev itself is bind-mounted from the host. */
export function needsDevSetup(mounts: readonly Mount[] | undefined): boolean {
  return !(mounts ?? []).some((m) => m.destination === '/dev' && isBind(m));
}

export function deviceOps(devices: readonly LinuxDevice[] | undefined, opts: { userns: boolean; devpts: boolean }): InitOp[] {
  const spec = 'config-linux.md#default-devices';
  const ops: InitOp[] = [];
  const listed = new Set((devices ?? []).map((d) => d.path));
  for (const d of DEFAULT_DEVICES) {
    if (listed.has(d.path)) continue;
    ops.push(
      initOp('init', 'mknod', { path: d.path, mode: S_IFCHR | 0o666, major: d.major, minor: d.minor, uid: 0, gid: 0, bind: opts.userns ? 1 : undefined, source: d.path }, '', spec, {
        security: 'CVE-2026-41579',
        why: opts.userns ? 'a user namespace cannot mknod: bind the host node' : undefined,
      }),
    );
  }
  (devices ?? []).forEach((d, i) => {
    const type = d.type === 'b' ? S_IFBLK : d.type === 'p' ? S_IFIFO : S_IFCHR;
    ops.push(
      initOp(
        'init',
        'mknod',
        {
          path: d.path,
          mode: type | (d.fileMode ?? 0o666),
          major: d.major ?? 0,
          minor: d.minor ?? 0,
          uid: d.uid ?? 0,
          gid: d.gid ?? 0,
          bind: opts.userns ? 1 : undefined,
          source: d.path,
        },
        `linux.devices[${i}]`,
        'config-linux.md#devices',
        { security: 'CVE-2026-41579' },
      ),
    );
  });
  const link = (target: string, path: string) =>
    initOp('init', 'symlink', { target, path }, '', 'runtime-linux.md#dev-symbolic-links');
  ops.push(link('/proc/self/fd', '/dev/fd'), link('/proc/self/fd/0', '/dev/stdin'), link('/proc/self/fd/1', '/dev/stdout'), link('/proc/self/fd/2', '/dev/stderr'));
  if (opts.devpts) ops.push(link('pts/ptmx', '/dev/ptmx'));
  return ops;
}

type DeviceRule = { allow: boolean; type?: string; major?: number; minor?: number; access?: string };

/**
 * The device cgroup rules a container gets: the config's own rules, then an
 * allow rule for each linux.devices entry, then the defaults runc allows
 * (mknod of anything, the default devices, ptys, tun). Later rules win, so a
 * config that says only "deny all" still gets a working /dev, as with runc
 * (and as Kubernetes pods rely on).
 */
export function cgroupDeviceRules(configRules: readonly DeviceRule[] | undefined, devices: readonly LinuxDevice[] | undefined): DeviceRule[] {
  const rules: DeviceRule[] = [...(configRules ?? [])];
  for (const d of devices ?? []) {
    if (d.type === 'p') continue;
    rules.push({ allow: true, type: d.type === 'u' ? 'c' : d.type, major: d.major, minor: d.minor, access: 'rwm' });
  }
  rules.push(
    { allow: true, type: 'c', access: 'm' },
    { allow: true, type: 'b', access: 'm' },
    ...DEFAULT_DEVICES.map((d) => ({ allow: true, type: 'c', major: d.major, minor: d.minor, access: 'rwm' })),
    { allow: true, type: 'c', major: 136, access: 'rwm' },
    { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
    { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
  );
  return rules;
}
