import { describe, expect, test } from 'vitest';
import { formatJsonPath, specSectionFor } from '../../../src/spec/sections.js';

describe('formatJsonPath', () => {
  test.each([
    [[], ''],
    [['ociVersion'], 'ociVersion'],
    [['process', 'rlimits', 2, 'type'], 'process.rlimits[2].type'],
    [['linux', 'sysctl', 'net.ipv4.ip_forward'], 'linux.sysctl["net.ipv4.ip_forward"]'],
    [['annotations', 'com.example/key'], 'annotations["com.example/key"]'],
    [['linux', 'resources', 'rdma', 'mlx5_1', 'hcaHandles'], 'linux.resources.rdma.mlx5_1.hcaHandles'],
  ] as const)('%j → %s', (path, expected) => {
    expect(formatJsonPath(path)).toBe(expected);
  });
});

describe('specSectionFor', () => {
  test.each([
    [[], 'config.md'],
    [['ociVersion'], 'config.md#specification-version'],
    [['root', 'path'], 'config.md#root'],
    [['process', 'cwd'], 'config.md#process'],
    [['process', 'rlimits', 0, 'soft'], 'config.md#posix-process'],
    [['process', 'capabilities', 'bounding', 3], 'config.md#linux-process'],
    [['process', 'user', 'uid'], 'config.md#posix-platform-user'],
    [['mounts', 3, 'destination'], 'config.md#mounts'],
    [['mounts', 3, 'uidMappings', 0, 'size'], 'config.md#posix-platform-mounts'],
    [['hooks', 'poststop', 0, 'timeout'], 'config.md#posix-platform-hooks'],
    [['hostname'], 'config.md#hostname'],
    [['annotations', 'hooks'], 'config.md#annotations'],
    [['linux', 'namespaces', 1, 'path'], 'config-linux.md#namespaces'],
    [['linux', 'uidMappings', 0], 'config-linux.md#user-namespace-mappings'],
    [['linux', 'resources', 'pids', 'limit'], 'config-linux.md#pids'],
    [['linux', 'resources', 'devices', 0, 'access'], 'config-linux.md#allowed-device-list'],
    [['linux', 'resources'], 'config-linux.md#control-groups'],
    [['linux', 'resources', 'rdma', 'cpu', 'hcaHandles'], 'config-linux.md#rdma'],
    [['linux', 'sysctl', 'cpu'], 'config-linux.md#sysctl'],
    [['linux', 'seccomp', 'syscalls', 0, 'args', 0, 'op'], 'config-linux.md#seccomp'],
    [['linux', 'rootfsPropagation'], 'config-linux.md#rootfs-mount-propagation'],
    [['linux', 'somethingNew'], 'config-linux.md'],
    [['vm', 'kernel', 'path'], 'config-vm.md#kernel-object'],
    [['solaris', 'milestone'], 'config.md'],
  ] as const)('%j → %s', (path, expected) => {
    expect(specSectionFor(path)).toBe(expected);
  });
});
