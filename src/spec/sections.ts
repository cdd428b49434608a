/**
 * JSON paths and spec sections — where a config.json value lives and which
 * part of the runtime-spec (config.md, config-linux.md, config-vm.md) defines it.
 *
 * Every SpecError names both, like runtime-tools' specerror codes name an RFC
 * 2119 MUST and its URL: `process.rlimits[2].type: … (config.md#posix-process)`.
 * Anchors are the GitHub heading slugs of the runtime-spec markdown files.
 * No zod here: error rendering elsewhere may use this without loading zod.
 */

export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * `['process', 'rlimits', 2, 'type']` → `process.rlimits[2].type`.
 * Keys that are not identifiers (sysctl names, annotation keys) are quoted:
 * `linux.sysctl["net.ipv4.ip_forward"]`.
 */
export function formatJsonPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENTIFIER.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * Longest matching prefix wins. Keys are dotted property names with array
 * indices and map keys left out (`process.rlimits`, `linux.resources.cpu`).
 */
const SECTIONS: Record<string, string> = {
  '': 'config.md',
  ociVersion: 'config.md#specification-version',
  root: 'config.md#root',
  mounts: 'config.md#mounts',
  'mounts.type': 'config.md#posix-platform-mounts',
  'mounts.uidMappings': 'config.md#posix-platform-mounts',
  'mounts.gidMappings': 'config.md#posix-platform-mounts',
  'mounts.options': 'config.md#linux-mount-options',
  process: 'config.md#process',
  'process.rlimits': 'config.md#posix-process',
  'process.user': 'config.md#posix-platform-user',
  'process.capabilities': 'config.md#linux-process',
  'process.apparmorProfile': 'config.md#linux-process',
  'process.noNewPrivileges': 'config.md#linux-process',
  'process.oomScoreAdj': 'config.md#linux-process',
  'process.scheduler': 'config.md#linux-process',
  'process.selinuxLabel': 'config.md#linux-process',
  'process.ioPriority': 'config.md#linux-process',
  'process.execCPUAffinity': 'config.md#linux-process',
  hostname: 'config.md#hostname',
  domainname: 'config.md#domainname',
  hooks: 'config.md#posix-platform-hooks',
  annotations: 'config.md#annotations',
  linux: 'config-linux.md',
  'linux.namespaces': 'config-linux.md#namespaces',
  'linux.uidMappings': 'config-linux.md#user-namespace-mappings',
  'linux.gidMappings': 'config-linux.md#user-namespace-mappings',
  'linux.timeOffsets': 'config-linux.md#offset-for-time-namespace',
  'linux.devices': 'config-linux.md#devices',
  'linux.netDevices': 'config-linux.md#network-devices',
  'linux.cgroupsPath': 'config-linux.md#cgroups-path',
  'linux.resources': 'config-linux.md#control-groups',
  'linux.resources.devices': 'config-linux.md#allowed-device-list',
  'linux.resources.memory': 'config-linux.md#memory',
  'linux.resources.cpu': 'config-linux.md#cpu',
  'linux.resources.blockIO': 'config-linux.md#block-io',
  'linux.resources.hugepageLimits': 'config-linux.md#huge-page-limits',
  'linux.resources.network': 'config-linux.md#network',
  'linux.resources.pids': 'config-linux.md#pids',
  'linux.resources.rdma': 'config-linux.md#rdma',
  'linux.resources.unified': 'config-linux.md#unified',
  'linux.intelRdt': 'config-linux.md#intelrdt',
  'linux.memoryPolicy': 'config-linux.md#memory-policy',
  'linux.sysctl': 'config-linux.md#sysctl',
  'linux.seccomp': 'config-linux.md#seccomp',
  'linux.rootfsPropagation': 'config-linux.md#rootfs-mount-propagation',
  'linux.maskedPaths': 'config-linux.md#masked-paths',
  'linux.readonlyPaths': 'config-linux.md#readonly-paths',
  'linux.mountLabel': 'config-linux.md#mount-label',
  'linux.personality': 'config-linux.md#personality',
  vm: 'config-vm.md',
  'vm.hypervisor': 'config-vm.md#hypervisor-object',
  'vm.kernel': 'config-vm.md#kernel-object',
  'vm.image': 'config-vm.md#image-object',
  'vm.hwConfig': 'config-vm.md#hwconfig-object',
};

/** Keys under these are user-chosen map keys, not schema properties. */
const MAPS = new Set([
  'annotations',
  'linux.sysctl',
  'linux.netDevices',
  'linux.timeOffsets',
  'linux.resources.rdma',
  'linux.resources.unified',
]);

/** The runtime-spec section that defines the value at `path`. */
export function specSectionFor(path: readonly PathSegment[]): string {
  const keys: string[] = [];
  for (const seg of path) {
    if (typeof seg === 'number') continue;
    if (MAPS.has(keys.join('.'))) break;
    keys.push(seg);
  }
  for (let n = keys.length; n >= 0; n--) {
    const section = SECTIONS[keys.slice(0, n).join('.')];
    if (section !== undefined) return section;
  }
  return 'config.md';
}
