/* main.c — joey's init: read the plan, run its ops in order, exec.
 *
 * The runtime (Node) spawns this program from a sealed copy (CVE-2019-5736)
 * as `joey:[1:CHILD] <sync-fd> <preserve-fds>` and sends the encoded plan
 * over the sync socket. It moves stage 2 into the container's cgroups while
 * stage 2 mounts (create: sync-cgroup), or stage 1 before the plan (exec).
 *
 *   stage 1, joey:[1:CHILD]  join or unshare namespaces, write nothing the
 *                            container can see; `fork-init` clones stage 2
 *                            with CLONE_PARENT (so it is the runtime's child,
 *                            and the caller's once the runtime exits), sends
 *                            its host pid, and exits
 *   stage 2, joey:[2:INIT]   PID 1 of a new pid namespace: mounts, pivot_root,
 *                            credentials, seccomp, READY, wait on exec.fifo,
 *                            execve
 *
 * Started as `joey:[2:INIT] ...` instead, it is stage 2 from the start: the
 * runtime cloned it into the container's new pid namespace already (create
 * without a user or time namespace, compile.ts directSpawn), so its plan has
 * no fork-init and it runs every op itself.
 *
 * One loop runs both stages: ops are run in plan order, and fork-init is the
 * op where the two processes part. There is no policy here: what to do, and
 * in which order, was decided by src/plan/compile.ts. */
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "init.h"

static const op_fn op_table[OP_MAX_] = {
  [OP_SET_DUMPABLE] = op_set_dumpable,
  [OP_OOM_SCORE_ADJ] = op_oom_score_adj,
  [OP_JOIN_NAMESPACE] = op_join_namespace,
  [OP_UNSHARE] = op_unshare,
  [OP_SYNC_IDMAP] = op_sync_idmap,
  [OP_FORK_INIT] = op_fork_init,
  [OP_SETSID] = op_setsid,
  [OP_SET_PROPAGATION] = op_set_propagation,
  [OP_BIND_ROOTFS] = op_bind_rootfs,
  [OP_MOUNT] = op_mount,
  [OP_MKNOD] = op_mknod,
  [OP_SYMLINK] = op_symlink,
  [OP_SYNC_HOOKS] = op_sync_hooks,
  [OP_HOOK] = op_hook,
  [OP_PIVOT_ROOT] = op_pivot_root,
  [OP_MOVE_ROOT] = op_move_root,
  [OP_MASK_PATH] = op_mask_path,
  [OP_READONLY_PATH] = op_readonly_path,
  [OP_REMOUNT_ROOT_RO] = op_remount_root_ro,
  [OP_SETHOSTNAME] = op_sethostname,
  [OP_SETDOMAINNAME] = op_setdomainname,
  [OP_SYSCTL] = op_sysctl,
  [OP_SETRLIMIT] = op_setrlimit,
  [OP_UMASK] = op_umask,
  [OP_CONSOLE_CONNECT] = op_console_connect,
  [OP_CONSOLE_SETUP] = op_console_setup,
  [OP_READY] = op_ready,
  [OP_SET_GROUPS] = op_set_groups,
  [OP_SET_USER] = op_set_user,
  [OP_DROP_BOUNDING] = op_drop_bounding,
  [OP_SET_CAPS] = op_set_caps,
  [OP_SET_AMBIENT] = op_set_ambient,
  [OP_NO_NEW_PRIVS] = op_no_new_privs,
  [OP_SECCOMP] = op_seccomp,
  [OP_CLOSE_FDS] = op_close_fds,
  [OP_CHDIR] = op_chdir,
  [OP_OPEN_EXEC_FIFO] = op_open_exec_fifo,
  [OP_WAIT_START] = op_wait_start,
  [OP_EXEC] = op_exec,
  [OP_SET_PERSONALITY] = op_set_personality,
  [OP_SET_KEEPCAPS] = op_set_keepcaps,
  [OP_WRITE_PROC_SELF] = op_write_proc_self,
  [OP_MKDIR_IN_ROOT] = op_mkdir_in_root,
  [OP_SET_CPU_AFFINITY] = op_set_cpu_affinity,
  [OP_SET_IOPRIO] = op_set_ioprio,
  [OP_SET_SCHEDULER] = op_set_scheduler,
  [OP_LOOKUP_EXEC] = op_lookup_exec,
  [OP_SET_LABEL] = op_set_label,
  [OP_VERIFY_CWD] = op_verify_cwd,
  [OP_SYNC_CGROUP] = op_sync_cgroup,
};

static uint64_t
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

/* Read one PLAN message; its size is bounded by PLAN_MAX_PLAN_BYTES. The
 * buffer lives as long as the process: the decoded fields point into it. */
static int
read_plan (struct init_ctx *ctx, struct plan *plan, const uint8_t **body, size_t *len, joey_error_t *err)
{
  size_t cap = PLAN_MAX_PLAN_BYTES + 4;
  uint8_t *buf = malloc (cap);
  if (buf == NULL)
    return joey_error (err, errno, "read plan: malloc");
  ssize_t n;
  do
    n = recv (ctx->sync_fd, buf, cap, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return joey_error (err, errno, "read plan");
  if (n == 0)
    return joey_error (err, 0, "read plan: the runtime went away");
  if (n < 4)
    return joey_error (err, 0, "read plan: short message (%zd bytes)", n);
  uint32_t type;
  memcpy (&type, buf, 4);
  if (type != MSG_PLAN)
    return joey_error (err, 0, "read plan: unexpected message %u", type);
  *body = buf + 4;
  *len = (size_t) n - 4;
  return plan_decode (*body, *len, plan, err);
}

/* Stage 2, right after fork-init, when the plan so far was only stage 1's
 * part (PLAN_FLAG_PARTIAL): read the whole plan, which must begin with
 * exactly the ops already run (the same bytes), and carry on from there. */
static int
read_rest (struct init_ctx *ctx, const uint8_t *part, size_t part_len, joey_error_t *err)
{
  struct plan whole;
  const uint8_t *body;
  size_t len;
  if (read_plan (ctx, &whole, &body, &len, err) < 0)
    return -1;
  /* the header (magic, version, flags, count) is 16 bytes; the ops follow */
  if (whole.flags != (ctx->plan.flags & ~(uint32_t) PLAN_FLAG_PARTIAL) || whole.nops <= ctx->plan.nops || len < part_len
      || memcmp (body + 16, part + 16, part_len - 16) != 0)
    return joey_error (err, 0, "read plan: the whole plan does not begin with the %u ops of its first part", ctx->plan.nops);
  if (ctx->stamps)
    {
      uint64_t *more = realloc (ctx->stamps, (whole.nops + 2) * sizeof *more);
      if (more == NULL)
        return joey_error (err, errno, "read plan: realloc");
      ctx->stamps = more;
    }
  free (ctx->plan.ops);
  ctx->plan = whole;
  return 0;
}

int agent_main (int argc, char **argv); /* agent.c: PID 1 of a --vm guest */
int vmrelay_main (int argc, char **argv); /* vmrelay.c: a --vm terminal's host relay */

int
main (int argc, char **argv)
{
  /* Started as joey:[2:INIT] by the runtime (direct spawn): PID 1 of a new
   * pid namespace already, and stage 2 from its first op. */
  int direct = argc > 0 && strcmp (argv[0], "joey:[2:INIT]") == 0;
  /* Started by the kernel as a microVM's /init: be the guest agent. */
  if (getpid () == 1 && !direct)
    return agent_main (argc, argv);
  if (argc > 1 && strcmp (argv[1], "vm-relay") == 0)
    return vmrelay_main (argc, argv);
  joey_error_t err = { 0 };
  struct init_ctx ctx = {
    .sync_fd = -1, .stage = direct ? 2 : 1, .rootfs_fd = -1, .host_dev_null = -1, .fifo_fd = -1, .console_sock = -1, .gate_fd = -1,
  };

  if (argc < 3)
    {
      fprintf (stderr, "joey-init: this program is started by joey, not by hand\n");
      return 2;
    }
  uint64_t t_start = now_ns ();
  ctx.sync_fd = atoi (argv[1]);
  ctx.preserve_fds = atoi (argv[2]);

  /* SECURITY(CVE-2016-9962): nothing in the container may ptrace us or open
   * our /proc entries while we still hold host fds; dumpable comes back only
   * with execve. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl (PR_SET_NAME, direct ? "joey:[2:INIT]" : "joey:[1:CHILD]", 0, 0, 0);
  /* If the runtime dies before we are done, do not linger. Not stage 2: it
   * outlives a `create` that has returned (a dying runtime shows as EOF on
   * the sync socket, and stage 2 gives up there). */
  if (!direct)
    prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

  const uint8_t *part;
  size_t part_len;
  if (read_plan (&ctx, &ctx.plan, &part, &part_len, &err) < 0)
    {
      sync_report_error (&ctx, UINT32_MAX, &err);
      return 1;
    }

  int trace = (ctx.plan.flags & PLAN_FLAG_TRACE) != 0;
  if (ctx.plan.flags & PLAN_FLAG_STAMPS)
    {
      ctx.stamps = calloc (ctx.plan.nops + 2, sizeof *ctx.stamps);
      if (ctx.stamps)
        {
          ctx.stamps[ctx.nstamps++] = t_start;
          ctx.stamps[ctx.nstamps++] = now_ns ();
        }
    }
  for (uint32_t i = 0; i < ctx.plan.nops; i++)
    {
      const struct op *op = &ctx.plan.ops[i];
      ctx.op = op;
      uint64_t t0 = trace ? now_ns () : 0;
      op_fn fn = op->kind < OP_MAX_ ? op_table[op->kind] : NULL;
      int ret = fn ? fn (&ctx, op, &err) : joey_error (&err, 0, "op %s is not known to this init", op_kind_name (op->kind));
      if (ctx.stamps && ctx.nstamps == i + 2)
        ctx.stamps[ctx.nstamps++] = now_ns ();
      if (trace && op->kind != OP_EXEC)
        {
          struct
          {
            uint32_t index;
            int32_t errnum;
            uint64_t ns;
            uint32_t stage;
          } __attribute__ ((packed)) m = { i, ret < 0 ? err.errnum : 0, now_ns () - t0, (uint32_t) ctx.stage };
          joey_error_t ignored;
          /* After READY the runtime may be gone; the trace is best effort. */
          sync_send (&ctx, MSG_OP, &m, sizeof m, NULL, 0, &ignored);
        }
      if (ret < 0)
        {
          sync_report_error (&ctx, i, &err);
          _exit (1);
        }
      /* fork-init returns 1 in stage 1: the child carries on, we are done. */
      if (ret > 0)
        _exit (0);
      if (op->kind == OP_FORK_INIT && (ctx.plan.flags & PLAN_FLAG_PARTIAL) && read_rest (&ctx, part, part_len, &err) < 0)
        {
          sync_report_error (&ctx, i, &err);
          _exit (1);
        }
    }
  /* A plan always ends in exec; reaching here means it did not. */
  joey_error (&err, 0, "plan ended without exec");
  sync_report_error (&ctx, ctx.plan.nops, &err);
  return 1;
}
