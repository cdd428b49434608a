/**
 * The default seccomp profile — runtime-spec config-linux.md#seccomp; seccomp(2),
 * personality(2), clone(2).
 *
 * An allowlist in the spirit of Docker's default profile: everything a shell,
 * coreutils, a libc and a typical server need is allowed; syscalls that reach
 * kernel-global state (mount, module loading, keyrings, bpf, perf, clock
 * setting, reboot, namespace creation, …) fall to the default action,
 * ERRNO(EPERM). It is written for joey's default capability set (no
 * CAP_SYS_ADMIN), so the syscalls Docker enables per capability are left out,
 * except chroot, which Docker's default capabilities include.
 *
 * Names unknown to the installed libseccomp are skipped by compileSeccomp, so
 * the list may name syscalls newer than the host, and 32-bit-only names apply
 * to the x86 and x32 parts of the filter.
 */
import type { LinuxSeccompLike, LinuxSyscallLike } from './seccomp.js';

const EPERM = 1;
const ENOSYS = 38;

// clone(2) flags that create namespaces, <linux/sched.h>.
const CLONE_NEWNS = 0x00020000;
const CLONE_NEWCGROUP = 0x02000000;
const CLONE_NEWUTS = 0x04000000;
const CLONE_NEWIPC = 0x08000000;
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWPID = 0x20000000;
const CLONE_NEWNET = 0x40000000;
const CLONE_NAMESPACES =
  CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;

const AF_VSOCK = 40;

/** Allowed without conditions, grouped by what a program uses them for. */
const ALLOW: Record<string, string[]> = {
  'process lifecycle': [
    'execve', 'execveat', 'exit', 'exit_group', 'fork', 'vfork', 'wait4', 'waitid', 'waitpid',
    'kill', 'tkill', 'tgkill', 'pidfd_open', 'pidfd_send_signal', 'process_mrelease',
    'restart_syscall', 'set_tid_address', 'set_robust_list', 'get_robust_list', 'rseq',
    'prctl', 'arch_prctl', 'modify_ldt', 'get_thread_area', 'set_thread_area', 'seccomp',
    'capget', 'capset', 'getcpu', 'uname', 'sysinfo', 'getrandom',
  ],
  'ids and sessions': [
    'getpid', 'getppid', 'gettid', 'getpgid', 'getpgrp', 'setpgid', 'getsid', 'setsid',
    'getuid', 'geteuid', 'getgid', 'getegid', 'getresuid', 'getresgid', 'getgroups',
    'setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setgroups',
    'setfsuid', 'setfsgid',
    'getuid32', 'geteuid32', 'getgid32', 'getegid32', 'getresuid32', 'getresgid32', 'getgroups32',
    'setuid32', 'setgid32', 'setreuid32', 'setregid32', 'setresuid32', 'setresgid32',
    'setgroups32', 'setfsuid32', 'setfsgid32',
  ],
  'memory': [
    'brk', 'mmap', 'mmap2', 'munmap', 'mremap', 'mprotect', 'madvise', 'mincore', 'msync',
    'mlock', 'mlock2', 'mlockall', 'munlock', 'munlockall', 'membarrier', 'remap_file_pages',
    'memfd_create', 'memfd_secret', 'pkey_alloc', 'pkey_free', 'pkey_mprotect',
  ],
  'files and descriptors': [
    'open', 'openat', 'openat2', 'creat', 'close', 'close_range', 'dup', 'dup2', 'dup3',
    'read', 'write', 'readv', 'writev', 'pread64', 'pwrite64', 'preadv', 'preadv2',
    'pwritev', 'pwritev2', 'lseek', '_llseek', 'fcntl', 'fcntl64', 'ioctl', 'flock',
    'fsync', 'fdatasync', 'sync', 'syncfs', 'sync_file_range', 'fallocate', 'fadvise64',
    'fadvise64_64', 'readahead', 'ftruncate', 'ftruncate64', 'truncate', 'truncate64',
    'sendfile', 'sendfile64', 'splice', 'tee', 'vmsplice', 'copy_file_range',
    'pipe', 'pipe2', 'name_to_handle_at',
  ],
  'paths and metadata': [
    'access', 'faccessat', 'faccessat2', 'stat', 'stat64', 'lstat', 'lstat64', 'fstat',
    'fstat64', 'newfstatat', 'fstatat64', 'statx', 'statfs', 'statfs64', 'fstatfs',
    'fstatfs64', 'getcwd', 'chdir', 'fchdir', 'chroot', 'getdents', 'getdents64',
    'mkdir', 'mkdirat', 'rmdir', 'mknod', 'mknodat', 'link', 'linkat', 'symlink',
    'symlinkat', 'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2', 'readlink',
    'readlinkat', 'chmod', 'fchmod', 'fchmodat', 'chown', 'fchown', 'lchown', 'fchownat',
    'chown32', 'fchown32', 'lchown32', 'umask', 'utime', 'utimes', 'utimensat',
    'utimensat_time64', 'futimesat',
  ],
  'extended attributes': [
    'getxattr', 'lgetxattr', 'fgetxattr', 'setxattr', 'lsetxattr', 'fsetxattr',
    'listxattr', 'llistxattr', 'flistxattr', 'removexattr', 'lremovexattr', 'fremovexattr',
  ],
  'waiting for events': [
    'select', '_newselect', 'pselect6', 'pselect6_time64', 'poll', 'ppoll', 'ppoll_time64',
    'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_wait',
    'epoll_wait_old', 'epoll_pwait', 'epoll_pwait2', 'eventfd', 'eventfd2',
    'inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch', 'fanotify_mark',
    'futex', 'futex_time64', 'futex_waitv',
  ],
  'asynchronous I/O': [
    'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents',
    'io_pgetevents_time64', 'io_uring_setup', 'io_uring_enter', 'io_uring_register',
  ],
  'signals': [
    'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'rt_sigpending', 'rt_sigsuspend',
    'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo',
    'sigaltstack', 'sigreturn', 'sigprocmask', 'signalfd', 'signalfd4', 'pause', 'alarm',
  ],
  'time and timers': [
    'time', 'gettimeofday', 'clock_gettime', 'clock_gettime64', 'clock_getres',
    'clock_getres_time64', 'clock_nanosleep', 'clock_nanosleep_time64', 'nanosleep',
    'clock_adjtime', 'clock_adjtime64', 'adjtimex', 'times', 'getitimer', 'setitimer',
    'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime', 'timer_gettime64',
    'timer_settime', 'timer_settime64', 'timerfd_create', 'timerfd_gettime',
    'timerfd_gettime64', 'timerfd_settime', 'timerfd_settime64',
  ],
  'scheduling and limits': [
    'sched_yield', 'sched_getaffinity', 'sched_setaffinity', 'sched_getattr', 'sched_setattr',
    'sched_getparam', 'sched_setparam', 'sched_getscheduler', 'sched_setscheduler',
    'sched_get_priority_max', 'sched_get_priority_min', 'sched_rr_get_interval',
    'sched_rr_get_interval_time64', 'getpriority', 'setpriority', 'ioprio_get', 'ioprio_set',
    'getrlimit', 'setrlimit', 'ugetrlimit', 'prlimit64', 'getrusage',
  ],
  'sockets': [
    'socketpair', 'bind', 'listen', 'accept', 'accept4', 'connect', 'shutdown',
    'getsockname', 'getpeername', 'getsockopt', 'setsockopt', 'send', 'sendto', 'sendmsg',
    'sendmmsg', 'recv', 'recvfrom', 'recvmsg', 'recvmmsg', 'recvmmsg_time64', 'socketcall',
  ],
  'System V and POSIX IPC': [
    'ipc', 'msgget', 'msgsnd', 'msgrcv', 'msgctl', 'semget', 'semop', 'semtimedop',
    'semtimedop_time64', 'semctl', 'shmget', 'shmat', 'shmdt', 'shmctl', 'mq_open',
    'mq_unlink', 'mq_timedsend', 'mq_timedsend_time64', 'mq_timedreceive',
    'mq_timedreceive_time64', 'mq_notify', 'mq_getsetattr',
  ],
  // Since Linux 4.8 the filter is re-run after a tracer changes a syscall, so
  // ptrace no longer lets a traced process slip past seccomp.
  'tracing own children': ['ptrace', 'process_vm_readv', 'process_vm_writev'],
  'landlock (self-restriction)': ['landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self'],
};

/** personality(2) values programs ask for: PER_LINUX, PER_LINUX32, UNAME26, PER_LINUX32|UNAME26, and 0xffffffff (query only). */
const PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

const CONDITIONAL: LinuxSyscallLike[] = [
  // Only personalities that change no security property; others (READ_IMPLIES_EXEC, …) are refused.
  ...PERSONALITIES.map((value) => ({
    names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }],
  })),
  // Threads and processes, but no new namespaces: the flags are argument 0 on
  // x86 (s390 swaps the first two arguments, not covered by these arches).
  {
    names: ['clone'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: CLONE_NAMESPACES, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
  },
  // clone3 passes its flags in a struct the filter cannot read, so it cannot
  // be checked like clone: answer ENOSYS and the libc falls back to clone.
  { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
  // Any address family but vsock, which reaches the host through a VM's hypervisor.
  { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }] },
];

/** A fresh copy of joey's default `linux.seccomp` (for `joey spec` and tests). */
export function defaultSeccompProfile(): LinuxSeccompLike {
  const allow = [...new Set(Object.values(ALLOW).flat())].sort();
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: allow, action: 'SCMP_ACT_ALLOW' },
      ...CONDITIONAL.map((s) => ({ ...s, names: [...s.names], ...(s.args ? { args: s.args.map((a) => ({ ...a })) } : {}) })),
    ],
  };
}
