/* process.c — stage 2: the process the container runs, from READY to execve.
 * runtime-spec: config.md#process, config.md#posix-process (rlimits, user,
 * umask, personality, ioPriority, scheduler, execCPUAffinity),
 * config-linux.md#sysctl, runtime.md#start (the exec.fifo barrier)
 * Kernel: execve(2), close_range(2), getcwd(3), setrlimit(2), personality(2),
 * ioprio_set(2), sched_setattr(2), sched_setaffinity(2), proc(5) */
#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "init.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

/* openat2 by hand: glibc 2.36 has no wrapper. */
struct joey_open_how
{
  uint64_t flags, mode, resolve;
};
#define J_RESOLVE_NO_XDEV 0x01
#define J_RESOLVE_NO_MAGICLINKS 0x02
#define J_RESOLVE_NO_SYMLINKS 0x04
#define J_RESOLVE_BENEATH 0x08

/* SECURITY(CVE-2025-52881): a racing mount could redirect /proc writes (up to
 * /proc/sysrq-trigger). Open a private procfs instance with the new mount
 * API where we can, check it really is procfs, and reach files under it with
 * openat2 that refuses symlinks, magic links and mount crossings. */
static int
proc_handle (joey_error_t *err)
{
  static int cached = -1;
  if (cached >= 0)
    return cached;
  int fd = -1;
  int fsfd = (int) syscall (SYS_fsopen, "proc", 1 /* FSOPEN_CLOEXEC */);
  if (fsfd >= 0)
    {
      if (syscall (SYS_fsconfig, fsfd, 6 /* FSCONFIG_CMD_CREATE */, NULL, NULL, 0) == 0)
        fd = (int) syscall (SYS_fsmount, fsfd, 1 /* FSMOUNT_CLOEXEC */, 0);
      close (fsfd);
    }
  if (fd < 0)
    fd = open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return joey_error (err, errno, "open a procfs handle");
  struct statfs sfs;
  if (fstatfs (fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
    {
      close (fd);
      return joey_error (err, 0, "`/proc` is not procfs");
    }
  cached = fd;
  return fd;
}

static int
proc_write (const char *rel, const char *value, joey_error_t *err)
{
  int proc = proc_handle (err);
  if (proc < 0)
    return -1;
  struct joey_open_how how = {
    .flags = O_WRONLY | O_CLOEXEC,
    .resolve = J_RESOLVE_BENEATH | J_RESOLVE_NO_SYMLINKS | J_RESOLVE_NO_MAGICLINKS | J_RESOLVE_NO_XDEV,
  };
  cleanup_close int fd = (int) syscall (SYS_openat2, proc, rel, &how, sizeof how);
  if (fd < 0)
    return joey_error (err, errno, "open `/proc/%s`", rel);
  size_t len = strlen (value);
  if (write (fd, value, len) != (ssize_t) len)
    return joey_error (err, errno, "write `/proc/%s`", rel);
  return 0;
}

int
op_sysctl (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  const char *key = op_str (op, F_KEY);
  const char *value = op_str (op, F_DATA);
  char rel[512];
  int n = snprintf (rel, sizeof rel, "sys/%s", key);
  if (n < 0 || (size_t) n >= sizeof rel)
    return joey_error (err, 0, "sysctl `%s`: key too long", key);
  for (char *p = rel + 4; *p; p++)
    if (*p == '.')
      *p = '/';
  if (proc_write (rel, value, err) < 0)
    return joey_error (err, err->errnum, "sysctl %s=%s", key, value);
  return 0;
}

int
op_write_proc_self (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  char rel[512];
  /* thread-self is a symlink, which the resolve flags refuse: name the
   * task directory ourselves. */
  snprintf (rel, sizeof rel, "%d/task/%d/%s", (int) getpid (), (int) syscall (SYS_gettid), op_str (op, F_PATH));
  return proc_write (rel, op_str (op, F_DATA), err);
}

int
op_set_label (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  /* LSM exec labels: attr/apparmor/exec ("exec <profile>") or attr/exec. */
  char rel[512];
  snprintf (rel, sizeof rel, "%d/task/%d/attr/%s", (int) getpid (), (int) syscall (SYS_gettid), op_str (op, F_PATH));
  return proc_write (rel, op_str (op, F_DATA), err);
}

int
op_setrlimit (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  struct rlimit rl = { .rlim_cur = op_u64 (op, F_SOFT, 0), .rlim_max = op_u64 (op, F_HARD, 0) };
  int res = (int) op_u64 (op, F_RESOURCE, 0);
  if (setrlimit (res, &rl) < 0)
    return joey_error (err, errno, "setrlimit %s soft=%llu hard=%llu", op_str (op, F_NAME) ? op_str (op, F_NAME) : "?",
                       (unsigned long long) rl.rlim_cur, (unsigned long long) rl.rlim_max);
  return 0;
}

int
op_umask (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  umask ((mode_t) op_u64 (op, F_VALUE, 022));
  return 0;
}

int
op_ready (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  /* The stamps so far, this op's own start last (sync_send takes 2048 bytes:
   * a longer plan sends its first 255 stamps). */
  uint64_t stamps[255];
  uint32_t n = 0;
  if (ctx->stamps)
    {
      n = ctx->nstamps < 254 ? ctx->nstamps : 254;
      memcpy (stamps, ctx->stamps, n * sizeof *stamps);
      struct timespec ts;
      clock_gettime (CLOCK_MONOTONIC, &ts);
      stamps[n++] = (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
    }
  if (sync_send (ctx, MSG_READY, stamps, n * sizeof *stamps, NULL, 0, err) < 0)
    return -1;
  /* From here on the runtime may be gone: errors go to stderr. */
  close (ctx->sync_fd);
  ctx->sync_fd = -1;
  return 0;
}

/* Opened in stage 1, while / is still the host's: an O_PATH handle that
 * survives pivot_root, reopened for writing by wait-start. */
int
op_open_exec_fifo (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  const char *path = op_str (op, F_PATH);
  ctx->fifo_fd = open (path, O_PATH | O_CLOEXEC);
  if (ctx->fifo_fd < 0)
    return joey_error (err, errno, "open exec fifo `%s`", path);
  return 0;
}

/* runtime.md#start: the user process must not run before `start`. Opening
 * the fifo for writing blocks until `joey start` opens it for reading. The
 * write end stays open (close-on-exec) until the user process is executed:
 * `joey start` reads to EOF, so it returns (and runs poststart) only after
 * the startContainer hooks and the execve, as runc's ReadAll does. */
int
op_wait_start (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/self/fd/%d", ctx->fifo_fd);
  int fd = -1;
  do
    fd = open (path, O_WRONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return joey_error (err, errno, "open exec fifo for writing");
  close (ctx->fifo_fd);
  ctx->fifo_fd = fd;
  if (write (fd, "0", 1) != 1)
    return joey_error (err, errno, "write exec fifo");
  return 0;
}

int
op_close_fds (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  unsigned first = 3 + (unsigned) ctx->preserve_fds;
  /* SECURITY(CVE-2024-21626): a leaked host directory fd let a container set
   * its cwd on the host. Mark every fd above the preserved ones close-on-exec
   * (the init still needs its own until execve). */
  if (syscall (SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return 0;
  if (errno != EPERM && errno != ENOSYS)
    return joey_error (err, errno, "close_range(%u, ~0, CLOSE_RANGE_CLOEXEC)", first);
  /* The seccomp filter is already loaded and profiles older than Linux 5.9
   * (runtime-tools, older Docker) do not allow close_range: walk
   * /proc/self/fd instead, so fds above RLIMIT_NOFILE are found too. */
  DIR *dir = opendir ("/proc/self/fd");
  if (dir == NULL)
    return joey_error (err, errno, "close_range is not allowed and /proc/self/fd cannot be opened");
  struct dirent *de;
  while ((de = readdir (dir)) != NULL)
    {
      char *end;
      long fd = strtol (de->d_name, &end, 10);
      if (*end != '\0' || end == de->d_name || fd < (long) first || fd == dirfd (dir))
        continue;
      int flags = fcntl ((int) fd, F_GETFD);
      if (flags >= 0 && fcntl ((int) fd, F_SETFD, flags | FD_CLOEXEC) < 0)
        {
          int e = errno;
          closedir (dir);
          return joey_error (err, e, "set close-on-exec on fd %ld", fd);
        }
    }
  closedir (dir);
  return 0;
}

int
op_chdir (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  const char *path = op_str (op, F_PATH);
  if (chdir (path) < 0)
    return joey_error (err, errno, "chdir to cwd (`%s`) set in config.json", path);
  return 0;
}

/* SECURITY(CVE-2024-21626): getcwd(2) prefixes "(unreachable)" (glibc turns
 * that into ENOENT) when the cwd is outside our root, e.g. a cwd of
 * /proc/self/fd/N naming a leaked host directory. That must be fatal. */
int
op_verify_cwd (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  char buf[4096];
  if (getcwd (buf, sizeof buf) == NULL)
    return joey_error (err, errno, "current working directory is outside of the container's root");
  if (buf[0] != '/')
    return joey_error (err, 0, "current working directory is outside of the container's root");
  return 0;
}

static int
is_executable (const char *path, int *errnum)
{
  struct stat st;
  if (stat (path, &st) < 0)
    {
      *errnum = errno;
      return 0;
    }
  if (!S_ISREG (st.st_mode))
    {
      *errnum = S_ISDIR (st.st_mode) ? EISDIR : EACCES;
      return 0;
    }
  if (faccessat (AT_FDCWD, path, X_OK, AT_EACCESS) == 0)
    return 1;
  /* glibc implements AT_EACCESS with faccessat2, which seccomp profiles
   * written before Linux 5.8 (the runtime-tools and older Docker ones) do
   * not allow, and this runs after the filter is loaded: fall back to the
   * flagless faccessat, which checks the real ids; set-user made them equal
   * to the effective ones. */
  if (errno == EPERM || errno == ENOSYS)
    {
      if (syscall (SYS_faccessat, AT_FDCWD, path, X_OK) == 0)
        return 1;
    }
  *errnum = errno;
  return 0;
}

/* Resolve args[0] in the container's PATH before READY, so a missing
 * executable is a create-time error, as in runc (`exec: "x": executable file
 * not found in $PATH`). */
int
op_lookup_exec (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  const char *name = op_str (op, F_PATH);
  int errnum = 0;
  if (strchr (name, '/'))
    {
      if (!is_executable (name, &errnum))
        return joey_error (err, errnum, "exec: \"%s\": stat %s", name, name);
      snprintf (ctx->exec_path, sizeof ctx->exec_path, "%s", name);
      return 0;
    }
  const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  cleanup_free char **env = op_strv (op, F_ENV);
  for (char **e = env; e && *e; e++)
    if (strncmp (*e, "PATH=", 5) == 0)
      path = *e + 5;
  const char *p = path;
  while (1)
    {
      const char *colon = strchr (p, ':');
      size_t len = colon ? (size_t) (colon - p) : strlen (p);
      char cand[4096];
      if (len == 0)
        snprintf (cand, sizeof cand, "%s", name);
      else
        snprintf (cand, sizeof cand, "%.*s/%s", (int) len, p, name);
      if (is_executable (cand, &errnum))
        {
          snprintf (ctx->exec_path, sizeof ctx->exec_path, "%s", cand);
          return 0;
        }
      if (!colon)
        break;
      p = colon + 1;
    }
  return joey_error (err, 0, "exec: \"%s\": executable file not found in $PATH", name);
}

int
op_exec (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  cleanup_free char **args = op_strv (op, F_ARGS);
  cleanup_free char **env = op_strv (op, F_ENV);
  const char *path = ctx->exec_path[0] ? ctx->exec_path : args[0];
  /* Never the user's program before the runtime knows our pid. */
  if (sync_gate (ctx) < 0)
    _exit (1);
  execve (path, args, env);
  return joey_error (err, errno, "exec %s", path);
}

int
op_set_personality (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  unsigned long persona = (unsigned long) op_u64 (op, F_VALUE, 0);
  if (personality (persona) < 0)
    return joey_error (err, errno, "personality(0x%lx)", persona);
  return 0;
}

int
op_set_cpu_affinity (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  size_t len;
  const uint8_t *mask = op_bytes (op, F_CPUS, &len);
  if (sched_setaffinity (0, len, (const cpu_set_t *) mask) < 0)
    return joey_error (err, errno, "sched_setaffinity");
  return 0;
}

int
op_set_ioprio (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  /* IOPRIO_WHO_PROCESS = 1; value = class << 13 | level */
  if (syscall (SYS_ioprio_set, 1, 0, (int) op_u64 (op, F_VALUE, 0)) < 0)
    return joey_error (err, errno, "ioprio_set");
  return 0;
}

struct joey_sched_attr
{
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  uint32_t sched_util_min, sched_util_max;
};

int
op_set_scheduler (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  struct joey_sched_attr a = {
    .size = sizeof a,
    .sched_policy = (uint32_t) op_u64 (op, F_POLICY, 0),
    .sched_flags = op_u64 (op, F_FLAGS, 0),
    .sched_nice = (int32_t) op_u64 (op, F_VALUE, 0),
    .sched_priority = (uint32_t) op_u64 (op, F_PRIORITY, 0),
    .sched_runtime = op_u64 (op, F_SOFT, 0),
    .sched_deadline = op_u64 (op, F_HARD, 0),
    .sched_period = op_u64 (op, F_TIMEOUT, 0),
  };
  if (syscall (SYS_sched_setattr, 0, &a, 0) < 0)
    return joey_error (err, errno, "sched_setattr");
  return 0;
}
