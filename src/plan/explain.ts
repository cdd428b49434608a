/**
 * The op catalogue — `joey explain OP` (docs/design.md §3; every runtime-spec
 * chapter is mapped in docs/).
 *
 * One entry per op kind: what it does, the kernel call behind it, the spec
 * section it implements, the man pages to read, and the advisory its
 * mechanics guard against. Every kind in OP_KINDS (the C init's vocabulary)
 * and every runtime op kind (Node's own work) has an entry; a unit test
 * fails when an op kind is added without one.
 */
import { OP_KINDS, type InitOpKind, type Op, type RuntimeOp } from './ops.js';
import { describeOp } from './render.js';

export interface OpExplanation {
  /** one line: what the op is for */
  title: string;
  /** the system calls (or files) it comes down to */
  kernel: string;
  /** runtime-spec section(s), or the runtime's own doc */
  spec: string;
  /** man pages to read, `name(section)` */
  man: string[];
  /** advisories its mechanics guard against, each with a few words of why */
  security?: string;
  /** a short paragraph for people */
  detail: string;
}

export type RuntimeOpKind = RuntimeOp['kind'];

/** Ops the C init executes, by kind (src/plan/ops.ts OP_KINDS). */
export const INIT_OP_CATALOGUE: Record<InitOpKind, OpExplanation> = {
  'set-dumpable': {
    title: 'make the init non-dumpable (or dumpable again)',
    kernel: 'prctl(PR_SET_DUMPABLE)',
    spec: 'runtime.md#create',
    man: ['prctl(2)', 'proc(5)'],
    security: 'CVE-2016-9962: a container process must not ptrace the init or open its /proc entries while it holds host fds',
    detail: 'The init runs non-dumpable from its first instruction until execve; this op exists for the brief window where the kernel needs it dumpable (the uid_map write of a user namespace).',
  },
  'oom-score-adj': {
    title: 'set the OOM killer score adjustment of the container process',
    kernel: 'write /proc/self/oom_score_adj',
    spec: 'config.md#linux-process (process.oomScoreAdj)',
    man: ['proc(5)'],
    detail: 'Done in stage 1, before a user namespace is created: lowering the score needs CAP_SYS_RESOURCE in the initial user namespace. Children inherit the value.',
  },
  'join-namespace': {
    title: 'join an existing namespace named by a path',
    kernel: 'open(path, O_RDONLY) + setns(fd, CLONE_NEW*)',
    spec: 'config-linux.md#namespaces (linux.namespaces[].path)',
    man: ['setns(2)', 'namespaces(7)'],
    detail: 'A namespace entry with a path joins that namespace instead of creating one; `joey exec` joins every namespace of the container through /proc/<init pid>/ns/*. Joining a pid namespace only affects children, which is why fork-init follows (and why create then needs a stage 1).',
  },
  unshare: {
    title: 'create the new namespaces the config asks for',
    kernel: 'unshare(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWPID|...)',
    spec: 'config-linux.md#namespaces',
    man: ['unshare(2)', 'namespaces(7)', 'pid_namespaces(7)', 'mount_namespaces(7)', 'user_namespaces(7)'],
    detail: 'The init leaves the host namespaces here. The user namespace is created first so the others are owned by it; CLONE_NEWPID applies to the next child only, so with a user or time namespace (or a pid namespace joined by path) this is stage 1 and fork-init follows. Without one, the runtime cloned the init into a new pid namespace already (spawn-init, clone(CLONE_NEWPID)), and the init unshares the rest as PID 1. Namespaces without a path in linux.namespaces are new; a type not listed is shared with the host.',
  },
  'sync-idmap': {
    title: 'ask the runtime to write uid_map/gid_map, then become root in the new user namespace',
    kernel: 'MSG USERMAP_PLS over the sync socket; setresuid(0,0,0), setresgid(0,0,0)',
    spec: 'config-linux.md#user-namespace-mappings',
    man: ['user_namespaces(7)', 'setresuid(2)'],
    detail: 'A process cannot map its own ids with privileges it does not have on the host, so the runtime (outside) writes /proc/<pid>/{setgroups,uid_map,gid_map} and acknowledges; then the init takes uid 0 inside.',
  },
  'fork-init': {
    title: 'clone stage 2, the future PID 1 of the container',
    kernel: 'clone(CLONE_PARENT)',
    spec: 'config-linux.md#namespaces',
    man: ['clone(2)', 'pid_namespaces(7)'],
    detail: 'Stage 2 is born in the new pid namespace (as PID 1). CLONE_PARENT makes it the runtime\'s child, so the caller (containerd-shim, conmon, `joey run`) reaps it; stage 1 hands it its host pid over a pipe and exits, and stage 2 sends PID to the runtime before any other message of its own (or its seccomp filter, or execve). When create needs the pid early, for the cgroup join (`announce`), stage 1 sends PID itself before it writes the pipe, and stage 2 reads the pipe at once (a new child runs before its parent, which would otherwise send PID only when stage 2 first blocks). After a first part of the plan (PARTIAL), stage 2 then reads the whole plan, which must begin with the ops already run.',
  },
  'sync-cgroup': {
    title: 'wait until the runtime has moved this process into the container\'s cgroups, then create the cgroup namespace',
    kernel: 'MSG CGROUP_JOINED over the sync socket; unshare(CLONE_NEWCGROUP)',
    spec: 'config-linux.md#control-groups, config-linux.md#namespaces',
    man: ['cgroups(7)', 'cgroup_namespaces(7)', 'unshare(2)'],
    detail: 'The runtime creates the cgroups, writes the resource limits and device rules, and writes stage 2\'s pid into cgroup.procs while stage 2 is already setting up its mounts (the runtime has the pid from its clone, or fork-init announces it at once). Stage 2 waits here, before the first cgroup mount and before any device node or hook, so everything from here on runs inside the container\'s cgroups. A new cgroup namespace is created only now: its root is the cgroup the process is in when it unshares (runc waits for its parent\'s CREATECGROUPNS for the same reason).',
  },
  setsid: {
    title: 'start a new session',
    kernel: 'setsid()',
    spec: 'runtime.md#create',
    man: ['setsid(2)', 'credentials(7)'],
    detail: 'The container process leads its own session and process group, detached from the caller\'s controlling terminal; with process.terminal it later takes the pty as its controlling terminal.',
  },
  'set-propagation': {
    title: 'make the whole mount tree private (or slave) before touching it',
    kernel: 'mount(NULL, "/", NULL, MS_REC|MS_PRIVATE|MS_SLAVE, NULL)',
    spec: 'config-linux.md#rootfs-mount-propagation',
    man: ['mount_namespaces(7)', 'mount(2)'],
    detail: 'A new mount namespace starts with copies of the host\'s shared mounts; without this, every mount the container makes would propagate back to the host.',
  },
  'bind-rootfs': {
    title: 'bind the rootfs onto itself so it is a mount point',
    kernel: 'mount(rootfs, rootfs, NULL, MS_BIND|MS_REC); open(rootfs, O_PATH)',
    spec: 'config.md#root',
    man: ['mount(2)', 'pivot_root(2)'],
    detail: 'pivot_root needs the new root to be a mount point. The init keeps an O_PATH fd of the rootfs: every later path is resolved from it, never from a string.',
  },
  mount: {
    title: 'mount one entry of `mounts` inside the rootfs',
    kernel: 'openat2(rootfs_fd, dest, RESOLVE_IN_ROOT) + mkdirat/openat(O_CREAT|O_EXCL|O_NOFOLLOW) + mount(src, "/proc/self/fd/N", ...)',
    spec: 'config.md#mounts',
    man: ['mount(2)', 'openat2(2)', 'mount_namespaces(7)', 'proc(5)', 'sysfs(5)', 'tmpfs(5)'],
    security:
      'CVE-2021-30465 (a destination swapped for a symlink between resolve and mount), CVE-2024-45310 (mountpoints created on the host), CVE-2019-19921/CVE-2023-27561 (proc and sysfs must land on a real directory), CVE-2023-25809 (cgroupfs read-only)',
    detail: 'The destination is resolved inside the root with openat2(RESOLVE_IN_ROOT), created there if missing, and the mount goes onto the fd (via /proc/self/fd/N), so a symlink planted in the image cannot send it to the host. Bind mounts with ro/nosuid/... are a bind followed by a remount.',
  },
  mknod: {
    title: 'create a device node in the container\'s /dev',
    kernel: 'mknodat(dev_fd, name, S_IFCHR|mode, makedev(major, minor)); fchownat',
    spec: 'config-linux.md#devices, config-linux.md#default-devices',
    man: ['mknod(2)', 'makedev(3)'],
    security: 'CVE-2026-41579 (a /dev symlink in the image redirected device setup: /dev is opened inside the root first)',
    detail: 'The default devices (null, zero, full, random, urandom, tty) plus linux.devices. Inside a user namespace mknod is not allowed, so the host device is bind-mounted instead. The cgroup device rules decide what can then be opened.',
  },
  symlink: {
    title: 'create a symlink in /dev',
    kernel: 'symlinkat(target, dev_fd, name)',
    spec: 'config-linux.md#default-devices',
    man: ['symlink(2)'],
    detail: 'The links every Linux program expects: /dev/fd → /proc/self/fd, /dev/stdin, /dev/stdout, /dev/stderr, /dev/ptmx → pts/ptmx, /dev/core → /proc/kcore.',
  },
  'sync-hooks': {
    title: 'hand over to the runtime for the prestart and createRuntime hooks',
    kernel: 'MSG HOOKS_PLS / HOOKS_ACK over the sync socket',
    spec: 'config.md#posix-platform-hooks, runtime.md#lifecycle',
    man: ['unix(7)'],
    detail: 'Those hooks run in the runtime\'s namespaces after the container\'s namespaces exist and before pivot_root; the runtime answers with the state JSON the in-container hooks get on stdin.',
  },
  hook: {
    title: 'run a createContainer or startContainer hook inside the container',
    kernel: 'fork() + execve(hook.path) with the state on stdin; waitpid with hook.timeout',
    spec: 'config.md#posix-platform-hooks',
    man: ['execve(2)', 'wait(2)'],
    detail: 'createContainer hooks run in the container namespaces before pivot_root (paths resolve in the runtime\'s mount namespace), startContainer hooks after `joey start`, just before the process is executed. A failing hook fails create (or start).',
  },
  'pivot-root': {
    title: 'make the rootfs the root of the mount namespace and drop the old root',
    kernel: 'fchdir(rootfs); pivot_root(".", "."); mount("", ".", MS_SLAVE|MS_REC); umount2(".", MNT_DETACH)',
    spec: 'config.md#root',
    man: ['pivot_root(2)', 'umount(2)', 'mount_namespaces(7)'],
    security: 'chroot escape (security.md row 17): after pivot_root the host tree is unmounted, so there is nothing above / to climb back to',
    detail: 'pivot_root(".", ".") stacks the old root under the new one; making it a slave and detaching it removes the host filesystem from the namespace entirely. Compare move-root (--no-pivot), which chroot()s and leaves the host tree reachable.',
  },
  'move-root': {
    title: '--no-pivot: move the rootfs over / and chroot (unsafe)',
    kernel: 'mount(rootfs, "/", NULL, MS_MOVE); chroot(".")',
    spec: 'config.md#root',
    man: ['chroot(2)', 'mount(2)'],
    security: 'chroot escape (security.md row 17): a process with CAP_SYS_CHROOT can chroot deeper and chdir("..") out; only for ramfs roots where pivot_root is impossible',
    detail: 'runc\'s --no-pivot. The old root stays in the mount namespace, under the new one; chapter 04 of the tutorial escapes from it.',
  },
  'mask-path': {
    title: 'hide a path from the container (linux.maskedPaths)',
    kernel: 'file: mount(host /dev/null via O_PATH fd, target fd, MS_BIND); dir: mount("tmpfs", target fd, MS_RDONLY)',
    spec: 'config-linux.md#masked-paths',
    man: ['mount(2)', 'proc(5)'],
    security: 'CVE-2025-31133 (the mask source /dev/null was swapped for a symlink to a procfs file): the source is a /dev/null fd verified as char 1:3',
    detail: 'Files such as /proc/kcore read as empty; directories such as /sys/firmware become an empty read-only tmpfs. Targets are opened O_PATH|O_NOFOLLOW inside the root.',
  },
  'readonly-path': {
    title: 'make a path read-only (linux.readonlyPaths)',
    kernel: 'mount(path, path, MS_BIND|MS_REC) then mount(MS_BIND|MS_REMOUNT|MS_RDONLY) via the fd',
    spec: 'config-linux.md#readonly-paths',
    man: ['mount(2)', 'proc(5)'],
    security: 'CVE-2025-52881 (racing mounts redirected /proc writes): the target is resolved inside the root and remounted by fd',
    detail: '/proc/sys, /proc/sysrq-trigger and friends stay visible but writes fail with EROFS.',
  },
  'remount-root-ro': {
    title: 'make the root filesystem read-only (root.readonly)',
    kernel: 'mount(NULL, "/", NULL, MS_BIND|MS_REMOUNT|MS_RDONLY, NULL)',
    spec: 'config.md#root',
    man: ['mount(2)'],
    detail: 'After every mount is in place, the root bind is remounted read-only; submounts such as /tmp or /dev keep their own flags.',
  },
  sethostname: {
    title: 'set the hostname in the new UTS namespace',
    kernel: 'sethostname(name)',
    spec: 'config.md#hostname',
    man: ['sethostname(2)', 'uts_namespaces(7)'],
    detail: 'Only valid with a uts namespace of its own; otherwise it would rename the host, and validation refuses the config.',
  },
  setdomainname: {
    title: 'set the NIS domain name in the new UTS namespace',
    kernel: 'setdomainname(name)',
    spec: 'config.md#domainname',
    man: ['setdomainname(2)', 'uts_namespaces(7)'],
    detail: 'Like hostname: needs a private uts namespace.',
  },
  sysctl: {
    title: 'set a namespaced kernel parameter (linux.sysctl)',
    kernel: 'openat2(procfs, "sys/<key>", RESOLVE_NO_SYMLINKS|RESOLVE_NO_XDEV) + write',
    spec: 'config-linux.md#sysctl',
    man: ['sysctl(8)', 'proc(5)'],
    security: 'CVE-2025-52881 (a racing mount redirected /proc/sys writes): written through a verified procfs handle',
    detail: 'Only sysctls that belong to a namespace the container owns are allowed (net.* with a network namespace, kernel.msg*/shm*/sem with ipc, ...).',
  },
  setrlimit: {
    title: 'set a resource limit (process.rlimits)',
    kernel: 'prlimit(0, RLIMIT_*, {soft, hard}, NULL)',
    spec: 'config.md#posix-process',
    man: ['getrlimit(2)', 'prlimit(1)'],
    detail: 'Set before credentials change: raising a hard limit needs CAP_SYS_RESOURCE, which the process is about to lose.',
  },
  umask: {
    title: 'set the file mode creation mask (process.user.umask)',
    kernel: 'umask(mask)',
    spec: 'config.md#posix-process',
    man: ['umask(2)'],
    detail: 'Without it the process inherits 0022.',
  },
  'console-connect': {
    title: 'connect to the caller\'s --console-socket',
    kernel: 'socket(AF_UNIX, SOCK_STREAM) + connect(path)',
    spec: 'config.md#process (process.terminal), runtime.md#create',
    man: ['unix(7)', 'connect(2)'],
    detail: 'Done in stage 1, while the socket path on the host is still reachable; console-setup later sends the pty master through it.',
  },
  'console-setup': {
    title: 'allocate the container\'s pty and hand the master to the caller',
    kernel: 'open("/dev/ptmx") + ioctl(TIOCGPTPEER) + sendmsg(SCM_RIGHTS) + ioctl(TIOCSCTTY) + dup2(peer, 0/1/2)',
    spec: 'config.md#process (process.terminal, consoleSize)',
    man: ['pty(7)', 'ioctl_tty(2)', 'unix(7)'],
    security: 'CVE-2025-52565 (a /dev/pts/N symlink chose the /dev/console bind source): TIOCGPTPEER means /dev/pts is never resolved by path',
    detail: 'The caller (containerd-shim, conmon, `joey run` with a terminal) owns the master; the container\'s stdio is the peer.',
  },
  ready: {
    title: 'tell the runtime the container is created',
    kernel: 'MSG READY over the sync socket',
    spec: 'runtime.md#create',
    man: ['unix(7)'],
    detail: 'The runtime writes the pid file and state.json ("created") and exits; the init waits on exec.fifo for `joey start`.',
  },
  'set-groups': {
    title: 'set the supplementary groups (process.user.additionalGids)',
    kernel: 'setgroups(n, gids)',
    spec: 'config.md#posix-process (user)',
    man: ['setgroups(2)', 'credentials(7)'],
    detail: 'Always set, even to the empty list, so no host group leaks in. In a rootless user namespace setgroups is denied and the list must be empty.',
  },
  'set-user': {
    title: 'switch to the process\'s uid and gid',
    kernel: 'setresgid(gid, gid, gid); setresuid(uid, uid, uid)',
    spec: 'config.md#posix-process (user)',
    man: ['setresuid(2)', 'credentials(7)', 'capabilities(7)'],
    detail: 'gid first (it needs CAP_SETGID), then uid. PR_SET_KEEPCAPS keeps the permitted set across the uid change so set-caps can install the configured sets.',
  },
  'drop-bounding': {
    title: 'drop every capability not in process.capabilities.bounding',
    kernel: 'prctl(PR_CAPBSET_DROP, cap) for each dropped cap',
    spec: 'config.md#linux-process (capabilities)',
    man: ['capabilities(7)', 'prctl(2)'],
    detail: 'The bounding set caps what execve of a setuid or file-capability binary can ever grant. Needs CAP_SETPCAP, so it runs before set-caps.',
  },
  'set-caps': {
    title: 'install the effective, permitted and inheritable capability sets',
    kernel: 'capset(effective, permitted, inheritable)',
    spec: 'config.md#linux-process (capabilities)',
    man: ['capabilities(7)', 'capset(2)'],
    security: 'CVE-2022-29162 (non-empty inheritable sets let file-capability binaries gain privileges): exactly the sets the spec gives, none invented',
    detail: 'After set-user, so a non-root process keeps exactly what the config lists. What survives execve is then the kernel\'s capability rules (capabilities(7), "Transformation of capabilities during execve").',
  },
  'set-ambient': {
    title: 'raise the ambient capabilities',
    kernel: 'prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap)',
    spec: 'config.md#linux-process (capabilities.ambient)',
    man: ['capabilities(7)'],
    detail: 'Ambient caps survive execve of an ordinary binary by a non-root user; each must also be permitted and inheritable.',
  },
  'no-new-privs': {
    title: 'forbid privilege gains through execve (process.noNewPrivileges)',
    kernel: 'prctl(PR_SET_NO_NEW_PRIVS, 1)',
    spec: 'config.md#linux-process (noNewPrivileges)',
    man: ['prctl(2)', 'seccomp(2)'],
    detail: 'setuid bits and file capabilities stop working; it also lets an unprivileged process install a seccomp filter, so with it the filter goes last, just before exec (security.md row 18).',
  },
  seccomp: {
    title: 'install the seccomp filter (linux.seccomp)',
    kernel: 'seccomp(SECCOMP_SET_MODE_FILTER, flags, bpf)',
    spec: 'config-linux.md#seccomp',
    man: ['seccomp(2)', 'seccomp_rule_add(3)', 'bpf(2)'],
    security: 'seccomp / no_new_privs order (security.md row 18): as late as possible with no_new_privs, before the capability drop without it',
    detail: 'The runtime compiles linux.seccomp to classic BPF with libseccomp (once per profile, then from its cache); the init only loads it. create sends the filter after the cgroup join, as SECCOMP_FILTER (the op is then marked `late`), so the cache lookup runs while the init mounts; not when the config has hooks the init asks for. SCMP_ACT_ERRNO makes a syscall fail with the given errno (chapter 06 denies mkdir); a listenerPath gets the notify fd over SCM_RIGHTS.',
  },
  'close-fds': {
    title: 'mark every fd above stdio and --preserve-fds close-on-exec',
    kernel: 'close_range(3 + preserveFds, ~0U, CLOSE_RANGE_CLOEXEC)',
    spec: 'runtime.md#create',
    man: ['close_range(2)'],
    security: 'CVE-2024-21626 (a leaked host directory fd put the process cwd on the host): nothing but stdio and preserved fds reaches the process',
    detail: 'After the last fd the init opens; the sync socket and exec.fifo fd disappear at execve.',
  },
  chdir: {
    title: 'change into process.cwd',
    kernel: 'chdir(cwd)',
    spec: 'config.md#process (cwd)',
    man: ['chdir(2)'],
    detail: 'After pivot_root, so the path is the container\'s. A missing cwd was already created inside the root (mkdir-in-root, as runc does); chdir fails with ENOENT only when something hid it afterwards, such as maskedPaths (`joey trace` shows which op failed, with its errno).',
  },
  'verify-cwd': {
    title: 'check that the working directory is inside the container',
    kernel: 'getcwd()',
    spec: 'config.md#process (cwd)',
    man: ['getcwd(3)'],
    security: 'CVE-2024-21626: a cwd reached through a leaked fd shows as "(unreachable)/..." and is fatal',
    detail: 'getcwd returns ENOENT or a path starting with "(unreachable)" when the cwd is outside the process\'s root.',
  },
  'open-exec-fifo': {
    title: 'open the state dir\'s exec.fifo as O_PATH',
    kernel: 'open(<root>/<id>/exec.fifo, O_PATH|O_CLOEXEC)',
    spec: 'runtime.md#start',
    man: ['fifo(7)', 'open(2)'],
    detail: 'In stage 1, while the state dir is still reachable; the handle survives pivot_root and is reopened for writing by wait-start.',
  },
  'wait-start': {
    title: 'block until `joey start`',
    kernel: 'open("/proc/self/fd/N", O_WRONLY) on exec.fifo — blocks until a reader opens it',
    spec: 'runtime.md#start',
    man: ['fifo(7)'],
    detail: 'This is the "created" state: the process exists, in all its namespaces, but has not run the user program. `joey start` opens the fifo for reading, which unblocks the open here; the init writes a byte and continues to exec.',
  },
  exec: {
    title: 'replace the init with the user\'s program (process.args)',
    kernel: 'execve(args[0], args, env)',
    spec: 'config.md#process (args, env)',
    man: ['execve(2)'],
    detail: 'The init becomes the container process: same pid, namespaces, credentials and filter. A trace never reports this op: after a successful execve there is no init left to report.',
  },
  'set-personality': {
    title: 'set the execution domain (linux.personality)',
    kernel: 'personality(LINUX32 | LINUX)',
    spec: 'config-linux.md#personality',
    man: ['personality(2)', 'setarch(8)'],
    detail: 'LINUX32 makes uname report a 32-bit machine.',
  },
  'set-keepcaps': {
    title: 'keep the permitted capabilities across the uid change',
    kernel: 'prctl(PR_SET_KEEPCAPS, 1|0)',
    spec: 'config.md#linux-process (capabilities)',
    man: ['prctl(2)', 'capabilities(7)'],
    detail: 'Without it, switching from uid 0 to another uid clears the permitted set before set-caps can install it.',
  },
  'write-proc-self': {
    title: 'write a /proc/self file through the init\'s procfs handle',
    kernel: 'openat2(procfs, "self/...", RESOLVE_NO_SYMLINKS|RESOLVE_NO_XDEV) + write',
    spec: 'config-linux.md (per-process /proc settings)',
    man: ['proc(5)', 'openat2(2)'],
    security: 'CVE-2025-52881 (a racing mount redirected the runtime\'s /proc writes)',
    detail: 'A generic, safe /proc/self write used by settings with no dedicated op.',
  },
  'mkdir-in-root': {
    title: 'create a directory inside the rootfs',
    kernel: 'mkdirat(dirfd, name) along a path resolved with openat2(RESOLVE_IN_ROOT)',
    spec: 'config.md#mounts',
    man: ['mkdir(2)', 'openat2(2)'],
    security: 'CVE-2024-45310 (a racing MkdirAll created directories on the host)',
    detail: 'Every component is created relative to an in-root directory fd, never by a host path string.',
  },
  'set-cpu-affinity': {
    title: 'pin the process to CPUs (process.execCPUAffinity)',
    kernel: 'sched_setaffinity(0, mask)',
    spec: 'config.md#linux-process (execCPUAffinity)',
    man: ['sched_setaffinity(2)', 'cpuset(7)'],
    detail: '`initial` applies before the process is set up, `final` just before execve.',
  },
  'set-ioprio': {
    title: 'set the I/O scheduling class and priority (process.ioPriority)',
    kernel: 'ioprio_set(IOPRIO_WHO_PROCESS, 0, class|level)',
    spec: 'config.md#linux-process (ioPriority)',
    man: ['ioprio_set(2)'],
    detail: 'IOPRIO_CLASS_RT, BE or IDLE with a level 0–7.',
  },
  'set-scheduler': {
    title: 'set the CPU scheduling policy (process.scheduler)',
    kernel: 'sched_setattr(0, {policy, nice, priority, flags, runtime, deadline, period}, 0)',
    spec: 'config.md#linux-process (scheduler)',
    man: ['sched_setattr(2)', 'sched(7)'],
    detail: 'SCHED_OTHER/BATCH/IDLE with a nice value, FIFO/RR with a priority, or DEADLINE with runtime, deadline and period.',
  },
  'lookup-exec': {
    title: 'find process.args[0] in the container before starting it',
    kernel: 'faccessat(X_OK) along the container\'s PATH',
    spec: 'config.md#process (args)',
    man: ['execvp(3)', 'access(2)'],
    detail: 'A missing or non-executable program is a create-time error with a clear message (as runc), not a failure after `start`.',
  },
  'set-label': {
    title: 'set the AppArmor profile or SELinux label for the next execve',
    kernel: 'write /proc/self/attr/{apparmor/exec,exec} through the procfs handle',
    spec: 'config.md#linux-process (apparmorProfile, selinuxLabel)',
    man: ['apparmor(7)', 'selinux(8)', 'proc(5)'],
    security: 'CVE-2019-19921 / CVE-2025-52881 (label writes redirected to a fake /proc file): proc is verified as procfs',
    detail: 'The label takes effect at execve, so the init itself is not confined while it sets up.',
  },
};

/** Ops Node executes itself (RuntimeOp['kind']). */
export const RUNTIME_OP_CATALOGUE: Record<RuntimeOpKind, OpExplanation> = {
  validate: {
    title: 'check config.json against the runtime-spec',
    kernel: 'none (zod schemas, then named checks in src/spec/validate.ts)',
    spec: 'config.md, runtime.md#create',
    man: [],
    detail: 'Errors name the JSON path and the spec section: `process.rlimits[2].type: unknown rlimit "RLIMIT_TEST" (config.md#posix-process)`.',
  },
  'lock-state': {
    title: 'create and lock the state directory <root>/<id>',
    kernel: 'mkdir(<root>/<id>) + flock(LOCK_EX)',
    spec: 'runtime.md#state',
    man: ['flock(2)'],
    security: 'container id / state directory (security.md row 16): ids like `../x` are refused',
    detail: 'Two `create`s with one id cannot both succeed; a failed create removes the directory again.',
  },
  'cgroup-create': {
    title: 'create the container\'s cgroup directories',
    kernel: 'mkdirat under a verified /sys/fs/cgroup handle',
    spec: 'config-linux.md#cgroups-path',
    man: ['cgroups(7)'],
    security: 'cgroup path traversal (runc#4103): cgroupsPath is validated and opened with openat2(RESOLVE_BENEATH)',
    detail: 'One directory per v1 hierarchy, or one on the unified (v2) tree.',
  },
  'cgroup-write': {
    title: 'write one resource limit into the cgroup',
    kernel: 'openat2(cgroup_fd, file, RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS) + write',
    spec: 'config-linux.md#control-groups',
    man: ['cgroups(7)'],
    security: 'cgroup path traversal (runc#4103)',
    detail: 'linux.resources mapped for the host driver: memory.limit_in_bytes (v1) or memory.max (v2), pids.max, cpu.*, devices rules...',
  },
  'spawn-init': {
    title: 'start the C init through a read-only overlay (or a sealed copy)',
    kernel:
      'fsopen("overlay") + fsconfig(lowerdir=native/build:native/build-empty) + fsmount(MOUNT_ATTR_RDONLY), else memfd_create + F_SEAL_*; clone(CLONE_VM [|CLONE_NEWPID]) + execveat(fd, "", AT_EMPTY_PATH); socketpair(AF_UNIX, SOCK_SEQPACKET)',
    spec: 'runtime.md#create',
    man: ['fsopen(2)', 'fsmount(2)', 'memfd_create(2)', 'fcntl(2)', 'clone(2)', 'execveat(2)', 'unix(7)'],
    security:
      'CVE-2019-5736 (the container overwrote the runtime binary through /proc/<pid>/exe): the init runs through an overlay with no upper layer (EROFS to any writer), or from a sealed memfd where that overlay cannot be made',
    detail: 'The init blocks reading the plan; Node never changes its own namespaces, root or credentials, and goes on compiling while the child execs (no CLONE_VFORK: the child shares our memory but touches only a mapping of its own, with raw system calls). Without a user or time namespace, create clones the init with CLONE_NEWPID: it is the container\'s PID 1 and runs every op as stage 2. Otherwise create sends stage 1\'s ops at once, as a first part of the plan (PLAN_FLAGS.PARTIAL), so that stage 1 unshares and clones stage 2 while Node compiles the rest; not when stage 1 must wait for the runtime (the id maps of a new user namespace).',
  },
  'cgroup-join': {
    title: 'move the init into the container\'s cgroup',
    kernel: 'write <pid> to cgroup.procs',
    spec: 'config-linux.md#control-groups',
    man: ['cgroups(7)'],
    detail: 'create: stage 2, as soon as fork-init announces its pid, while it mounts; it waits at sync-cgroup, before its cgroup mounts, device nodes, hooks and the process, so every process the container ever has is accounted and limited. exec: stage 1, before the plan is sent.',
  },
  'write-idmap': {
    title: 'write the init\'s uid_map and gid_map',
    kernel: 'write /proc/<pid>/setgroups ("deny" when rootless), /proc/<pid>/uid_map, /proc/<pid>/gid_map',
    spec: 'config-linux.md#user-namespace-mappings',
    man: ['user_namespaces(7)'],
    detail: 'On the init\'s request (sync-idmap). Rootless, only the caller\'s own id can be mapped, and setgroups must be denied first.',
  },
  hook: {
    title: 'run a hook in the runtime\'s namespaces',
    kernel: 'spawn(hook.path) with the state JSON on stdin; kill after hook.timeout',
    spec: 'config.md#posix-platform-hooks',
    man: ['execve(2)'],
    detail: 'prestart and createRuntime run during create (at sync-hooks), poststart after start, poststop after delete. A failing prestart/createRuntime hook fails create; poststart/poststop failures are warnings.',
  },
  'write-state': {
    title: 'record the container: pid file and state.json',
    kernel: 'write + rename (atomic)',
    spec: 'runtime.md#state',
    man: ['rename(2)'],
    detail: 'state.json holds the pid and its start time (so `kill` never signals a reused pid), the bundle, and the cgroup manager; `joey state` derives the status.',
  },
};

/** Every kind `joey explain` knows, init kinds first. */
export function explainKinds(): string[] {
  return [...new Set([...Object.keys(OP_KINDS), ...Object.keys(RUNTIME_OP_CATALOGUE)])];
}

/** The catalogue entry for a kind, or undefined. `hook` names the init's hook unless stage is runtime. */
export function explanationFor(kind: string, stage?: Op['stage']): OpExplanation | undefined {
  if (stage === 'runtime') return (RUNTIME_OP_CATALOGUE as Record<string, OpExplanation>)[kind];
  return (INIT_OP_CATALOGUE as Record<string, OpExplanation>)[kind] ?? (RUNTIME_OP_CATALOGUE as Record<string, OpExplanation>)[kind];
}

function renderEntry(kind: string, stage: string, e: OpExplanation): string[] {
  const out = [`${kind} (${stage}) — ${e.title}`, `  kernel    ${e.kernel}`, `  spec      ${e.spec}`];
  if (e.man.length) out.push(`  man       ${e.man.join(', ')}`);
  if (e.security) out.push(`  security  ${e.security}`);
  out.push('', `  ${e.detail}`);
  return out;
}

/** `joey explain KIND` as text. */
export function explainKind(kind: string): string | undefined {
  const parts: string[][] = [];
  const init = (INIT_OP_CATALOGUE as Record<string, OpExplanation>)[kind];
  const rt = (RUNTIME_OP_CATALOGUE as Record<string, OpExplanation>)[kind];
  if (init) parts.push(renderEntry(kind, 'init', init));
  if (rt) parts.push(renderEntry(kind, 'runtime', rt));
  if (!parts.length) return undefined;
  return `${parts.map((p) => p.join('\n')).join('\n\n')}\n`;
}

/** `joey explain N --bundle B`: the Nth op of a plan (1-based, as `joey plan` numbers them). */
export function explainOp(op: Op, n: number): string {
  const e = explanationFor(op.kind, op.stage);
  const head = [
    `op ${n}: ${op.kind}  ${describeOp(op)}`,
    `  from      ${op.from || '(implied)'}${op.spec ? ` · ${op.spec}` : ''}`,
    ...(op.security ? [`  guards    ${op.security}`] : []),
    ...(op.why ? [`  why       ${op.why}`] : []),
    '',
  ];
  const body = e ? renderEntry(op.kind, op.stage === 'runtime' ? 'runtime' : 'init', e) : [`${op.kind}: no catalogue entry`];
  return `${[...head, ...body].join('\n')}\n`;
}
