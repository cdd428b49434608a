/**
 * Hand-written config.json fixtures for the spec tests. `runcSpec()` has the
 * shape `runc spec` writes; `richSpec()` sets most optional fields of
 * config.md and config-linux.md at once. Both return fresh JSON-like objects
 * that a test may mutate.
 */

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function runcSpec(): Json {
  return {
    ociVersion: '1.2.0',
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        effective: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        permitted: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'runc',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** Most optional fields at once, all valid. */
export function richSpec(): Json {
  const s = runcSpec();
  s.ociVersion = '1.3.0';
  s.domainname = 'example.test';
  s.annotations = { 'com.example.key': 'value', 'org.opencontainers.image.os': 'linux' };
  Object.assign(s.process, {
    consoleSize: { height: 25, width: 80 },
    user: { uid: 1, gid: 1, umask: 63, additionalGids: [5, 6] },
    apparmorProfile: 'acme_secure_profile',
    selinuxLabel: 'system_u:system_r:svirt_lxc_net_t:s0:c124,c675',
    oomScoreAdj: 100,
    scheduler: { policy: 'SCHED_OTHER', nice: 5 },
    ioPriority: { class: 'IOPRIO_CLASS_IDLE', priority: 4 },
    execCPUAffinity: { initial: '7', final: '0-3,7' },
  });
  s.process.capabilities.ambient = [];
  s.process.rlimits.push({ type: 'RLIMIT_CORE', soft: 0, hard: 18446744073709551615 });
  s.hooks = {
    prestart: [{ path: '/usr/bin/fix-mounts', args: ['fix-mounts', 'arg1'], env: ['key1=value1'] }],
    createRuntime: [{ path: '/usr/bin/setup-network' }],
    createContainer: [{ path: '/usr/bin/mount-hook' }],
    startContainer: [{ path: '/usr/bin/refresh-ldcache' }],
    poststart: [{ path: '/usr/bin/notify-start', timeout: 5 }],
    poststop: [{ path: '/usr/sbin/cleanup.sh', args: ['cleanup.sh', '-f'] }],
  };
  s.mounts.push({
    destination: '/data',
    type: 'none',
    source: '/volumes/testing',
    options: ['rbind', 'rw', 'idmap'],
    uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
  });
  Object.assign(s.linux, {
    namespaces: [
      { type: 'pid' },
      { type: 'network', path: '/var/run/netns/neta' },
      { type: 'mount' },
      { type: 'ipc' },
      { type: 'uts' },
      { type: 'user' },
      { type: 'cgroup' },
      { type: 'time' },
    ],
    uidMappings: [{ containerID: 0, hostID: 1000, size: 32000 }],
    gidMappings: [{ containerID: 0, hostID: 1000, size: 32000 }],
    timeOffsets: { monotonic: { secs: 172800, nanosecs: 0 }, boottime: { secs: 604800 } },
    devices: [
      { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0 },
      { path: '/dev/sda', type: 'b', major: 8, minor: 0, fileMode: 432 },
      { path: '/dev/myfifo', type: 'p' },
      { path: '/dev/null2', type: 'c', major: 1, minor: 3, fileMode: 8630 },
    ],
    netDevices: { eth0: { name: 'container_eth0' }, ens4: {} },
    cgroupsPath: '/myRuntime/myContainer',
    rootfsPropagation: 'rslave',
    resources: {
      devices: [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' },
      ],
      memory: { limit: 536870912, reservation: 536870912, swap: 536870912, kernelTCP: -1, swappiness: 0, disableOOMKiller: false },
      cpu: { shares: 1024, quota: 1000000, burst: 1000000, period: 500000, realtimeRuntime: 950000, realtimePeriod: 1000000, cpus: '2-3', mems: '0-7', idle: 0 },
      blockIO: {
        weight: 10,
        leafWeight: 10,
        weightDevice: [{ major: 8, minor: 0, weight: 500, leafWeight: 300 }, { major: 8, minor: 16, weight: 500 }],
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 600 }],
        throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 300 }],
      },
      hugepageLimits: [{ pageSize: '2MB', limit: 209715200 }],
      network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 500 }] },
      pids: { limit: 32771 },
      rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, mlx4_0: { hcaObjects: 1000 } },
      unified: { 'io.max': '259:0 rbps=2097152', 'memory.high': '1073741824' },
    },
    intelRdt: { closID: 'guaranteed_group', l3CacheSchema: 'L3:0=7f0;1=1f', memBwSchema: 'MB:0=20;1=70' },
    sysctl: { 'net.ipv4.ip_forward': '1', 'net/core/somaxconn': '256', 'kernel.shmmax': '4096', 'fs.mqueue.msg_max': '10', 'kernel.domainname': 'x' },
    seccomp: {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'],
      flags: ['SECCOMP_FILTER_FLAG_LOG'],
      listenerPath: '/run/seccomp-agent.socket',
      listenerMetadata: 'metadata',
      syscalls: [
        { names: ['getcwd', 'chmod'], action: 'SCMP_ACT_ALLOW' },
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
        { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 5, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
        { names: ['mount'], action: 'SCMP_ACT_NOTIFY' },
      ],
    },
    mountLabel: 'system_u:object_r:svirt_sandbox_file_t:s0:c715,c811',
    personality: { domain: 'LINUX' },
    memoryPolicy: { mode: 'MPOL_INTERLEAVE', nodes: '2-3', flags: ['MPOL_F_STATIC_NODES'] },
  });
  s.vm = {
    hypervisor: { path: '/path/to/vmm', parameters: ['opts1=foo'] },
    kernel: { path: '/path/to/vmlinuz', parameters: ['foo=bar'], initrd: '/path/to/initrd.img' },
    image: { path: '/path/to/vm/rootfs.img', format: 'raw' },
  };
  return s;
}
