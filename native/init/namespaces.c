/* namespaces.c — stage 1: join or create namespaces, then fork PID 1.
 * runtime-spec: config-linux.md#namespaces, #user-namespace-mappings,
 * config.md#hostname, config.md#domainname
 * Kernel: namespaces(7), setns(2), unshare(2), clone(2), user_namespaces(7),
 * pid_namespaces(7), proc(5) oom_score_adj */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

int
op_set_dumpable (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  if (prctl (PR_SET_DUMPABLE, op_u64 (op, F_VALUE, 0), 0, 0, 0) < 0)
    return joey_error (err, errno, "prctl PR_SET_DUMPABLE");
  return 0;
}

int
op_oom_score_adj (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  /* Written in stage 1, before any new user namespace: lowering the score
   * needs CAP_SYS_RESOURCE in the initial user namespace (runc does the same
   * in nsexec). /proc here is still the host's, which we trust. */
  char buf[32];
  int len = snprintf (buf, sizeof buf, "%lld", (long long) (int64_t) op_u64 (op, F_VALUE, 0));
  cleanup_close int fd = open ("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return joey_error (err, errno, "open `/proc/self/oom_score_adj`");
  if (write (fd, buf, len) != len)
    return joey_error (err, errno, "write %s to `/proc/self/oom_score_adj`", buf);
  return 0;
}

/* Every namespace path is opened before the first setns or unshare, as
 * runc's nsexec does: once we are in another user namespace (joined or new),
 * we are an unprivileged uid on the host and may no longer open the
 * /proc/<pid>/ns/ files of the container we are asked to join. */
static int *ns_fds;   /* per op index: the opened fd, or -1 */
static int *ns_errno; /* per op index: the open's errno */

static void
preopen_namespaces (struct init_ctx *ctx)
{
  if (ns_fds)
    return;
  ns_fds = calloc (ctx->plan.nops ? ctx->plan.nops : 1, sizeof *ns_fds);
  ns_errno = calloc (ctx->plan.nops ? ctx->plan.nops : 1, sizeof *ns_errno);
  if (!ns_fds || !ns_errno)
    {
      free (ns_fds);
      free (ns_errno);
      ns_fds = ns_errno = NULL;
      return;
    }
  for (uint32_t i = 0; i < ctx->plan.nops; i++)
    {
      const struct op *o = &ctx->plan.ops[i];
      ns_fds[i] = -1;
      if (o->kind != OP_JOIN_NAMESPACE || !op_str (o, F_PATH))
        continue;
      ns_fds[i] = open (op_str (o, F_PATH), O_RDONLY | O_CLOEXEC);
      ns_errno[i] = ns_fds[i] < 0 ? errno : 0;
    }
}

int
op_join_namespace (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  const char *path = op_str (op, F_PATH);
  int nstype = (int) op_u64 (op, F_NSTYPE, 0);
  preopen_namespaces (ctx);
  uint32_t i = (uint32_t) (op - ctx->plan.ops);
  cleanup_close int fd = -1;
  if (ns_fds && i < ctx->plan.nops)
    {
      fd = ns_fds[i];
      ns_fds[i] = -1;
      errno = ns_errno[i];
    }
  else
    fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return joey_error (err, errno, "open namespace `%s`", path);
  /* setns checks that the fd is a namespace of exactly this type (EINVAL
   * otherwise), which is the type check config-linux.md asks for. */
  if (setns (fd, nstype) < 0)
    {
      if (errno == EINVAL)
        return joey_error (err, errno, "setns `%s`: not a namespace of the configured type", path);
      return joey_error (err, errno, "setns `%s`", path);
    }
  /* Joined, not created: become root of that user namespace (as runc's
   * stage 2 does), or every file we create in the rootfs would belong to an
   * unmapped id (EOVERFLOW). */
  if (nstype == CLONE_NEWUSER)
    {
      if (setresgid (0, 0, 0) < 0)
        return joey_error (err, errno, "setresgid to root in the user namespace `%s` (is gid 0 mapped?)", path);
      if (setresuid (0, 0, 0) < 0)
        return joey_error (err, errno, "setresuid to root in the user namespace `%s` (is uid 0 mapped?)", path);
    }
  return 0;
}

int
op_unshare (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  int flags = (int) op_u64 (op, F_FLAGS, 0);
  preopen_namespaces (ctx);
  if (unshare (flags) < 0)
    return joey_error (err, errno, "unshare(0x%x)", flags);
  return 0;
}

/* After unshare(CLONE_NEWUSER) we have no mapping yet: ask the runtime to
 * write /proc/<pid>/{setgroups,uid_map,gid_map} from outside (a process
 * cannot map ids it does not hold in the parent namespace), then become root
 * of the new namespace. Dumpable must be on while the runtime writes our
 * /proc files (runc's nsexec does the same dance). */
int
op_sync_idmap (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  prctl (PR_SET_DUMPABLE, 1, 0, 0, 0);
  uint32_t pid = (uint32_t) getpid ();
  if (sync_send (ctx, MSG_USERMAP_PLS, &pid, sizeof pid, NULL, 0, err) < 0)
    return -1;
  if (sync_expect (ctx, MSG_USERMAP_ACK, err) < 0)
    return -1;
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (setresgid (0, 0, 0) < 0)
    return joey_error (err, errno, "setresgid to root in the user namespace");
  if (setresuid (0, 0, 0) < 0)
    return joey_error (err, errno, "setresuid to root in the user namespace");
  return 0;
}

/* The only way into a new pid namespace is a new process. CLONE_PARENT makes
 * stage 2 a child of the runtime (and, once the runtime exits, of the
 * caller's subreaper: containerd-shim or conmon), exactly where runc's
 * runc:[2:INIT] ends up. Returns 1 in stage 1 (main exits), 0 in stage 2. */
int
op_fork_init (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  /* The runtime must know stage 2's host pid before stage 2 says anything
   * (READY, HOOKS_PLS, an ERROR) or runs the user's program. Stage 1 hands
   * the pid to stage 2 over a pipe and exits; stage 2 reads it lazily and
   * sends PID itself, just before its first message (sync_gate). So stage 2
   * sets up at once, and nobody wakes the runtime in the middle of it: first
   * blocking on the gate, then stage 1's PID message cost 1-3 ms of every
   * start (stage 2 woken twice, three processes runnable on two cores). */
  int gate[2];
  if (pipe2 (gate, O_CLOEXEC) < 0)
    return joey_error (err, errno, "pipe2");
  pid_t pid = (pid_t) syscall (SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
  if (pid < 0)
    {
      int e = errno;
      close (gate[0]);
      close (gate[1]);
      return joey_error (err, e, "clone(CLONE_PARENT)");
    }
  /* create: the runtime joins stage 2 to the cgroups while stage 2 mounts,
   * so it needs the pid now; stage 1 sends it before it writes the gate, which
   * keeps it ahead of anything stage 2 says. */
  int announce = op_u64 (op, F_ANNOUNCE, 0) != 0;
  if (pid == 0)
    {
      ctx->stage = 2;
      prctl (PR_SET_NAME, "joey:[2:INIT]", 0, 0, 0);
      close (gate[1]);
      ctx->gate_fd = gate[0];
      ctx->pid_announced = announce;
      /* A new child runs before its parent here: without this wait, stage
       * 1 would send PID only once we block, at sync-cgroup, and the join we
       * wait for there would start only then. */
      if (announce && sync_gate (ctx) < 0)
        _exit (1);
      return 0;
    }
  close (gate[0]);
  uint32_t p = (uint32_t) pid;
  if (announce && sync_send (ctx, MSG_PID, &p, sizeof p, NULL, 0, err) < 0)
    {
      close (gate[1]);
      kill (pid, SIGKILL);
      return -1;
    }
  ssize_t w;
  do
    w = write (gate[1], &p, sizeof p);
  while (w < 0 && errno == EINTR);
  close (gate[1]);
  if (w != (ssize_t) sizeof p)
    {
      /* stage 2 reads EOF, and dies; make sure of it */
      kill (pid, SIGKILL);
      return joey_error (err, errno, "hand stage 2 its pid");
    }
  return 1;
}

/* Stage 2 waits here until the runtime has moved it into the container's
 * cgroups (CGROUP_JOINED), then creates its cgroup namespace: a cgroup
 * namespace is rooted at the cgroup its creator is in, so unsharing it in
 * stage 1, before the join, would root it at the caller's cgroup (runc's
 * stage 2 waits for CREATECGROUPNS for the same reason). */
int
op_sync_cgroup (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  if (sync_expect (ctx, MSG_CGROUP_JOINED, err) < 0)
    return -1;
  uint64_t flags = op_u64 (op, F_FLAGS, 0);
  if (flags && unshare ((int) flags) < 0)
    return joey_error (err, errno, "unshare(CLONE_NEWCGROUP)");
  return 0;
}

int
op_setsid (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  if (setsid () < 0)
    return joey_error (err, errno, "setsid");
  return 0;
}

int
op_sethostname (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  const char *name = op_str (op, F_NAME);
  if (sethostname (name, strlen (name)) < 0)
    return joey_error (err, errno, "sethostname `%s`", name);
  return 0;
}

int
op_setdomainname (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  const char *name = op_str (op, F_NAME);
  if (setdomainname (name, strlen (name)) < 0)
    return joey_error (err, errno, "setdomainname `%s`", name);
  return 0;
}
