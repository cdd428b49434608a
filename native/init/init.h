/* init.h — joey's C init: shared context, sync helpers and one function per
 * plan op (the names match src/plan/ops.ts: kind "mount" → op_mount).
 *
 * Why a separate C program: Node is multithreaded, and the kernel refuses
 * unshare(CLONE_NEWUSER) and setns() into a mount namespace from a threaded
 * process; unshare(CLONE_NEWNS) would move only one thread. runc solves the
 * same problem with nsexec.c; joey with this small static init, which runs
 * the plan the TypeScript runtime compiled and has no policy of its own. */
#ifndef JOEY_INIT_H
#define JOEY_INIT_H

#include <stdint.h>
#include <sys/types.h>

#include "../common/cleanup.h"
#include "../common/error.h"
#include "plan.h"

struct init_ctx
{
  int sync_fd;         /* SOCK_SEQPACKET to the runtime */
  int stage;           /* 1 = joey:[1:CHILD], 2 = joey:[2:INIT] */
  struct plan plan;
  const struct op *op; /* the op being run, for error reports */

  /* Mounts (mounts.c). rootfs_fd is an O_PATH fd of the rootfs after it was
   * bind-mounted onto itself; every destination is resolved beneath it. */
  int rootfs_fd;
  const char *rootfs;  /* host path, for messages only */
  int host_dev_null;   /* verified host /dev/null, O_PATH (CVE-2025-31133) */
  int pivoted;         /* 1 once / is the container's root */

  int fifo_fd;         /* O_PATH fd of <state>/exec.fifo */
  int console_sock;    /* connected --console-socket, or -1 */
  int preserve_fds;    /* fds 3 .. 3+n-1 are the caller's, kept for the container */
  char exec_path[4096];/* args[0] resolved in the container's PATH */
  char *state;         /* the container's state JSON, from HOOKS_ACK, for hooks run here */
  int gate_fd;         /* stage 2 until it sent PID: the pipe stage 1 writes our host pid into, or -1 */
  int pid_announced;   /* stage 1 sent PID itself (fork-init's `announce`): the gate only orders */

  /* PLAN_FLAG_STAMPS: CLOCK_MONOTONIC ns of the init's start, the plan read
   * and the end of each op, sent with READY (stage 2 inherits stage 1's). */
  uint64_t *stamps;
  uint32_t nstamps;
};

typedef int (*op_fn) (struct init_ctx *ctx, const struct op *op, joey_error_t *err);

/* sync.c */
int sync_send (struct init_ctx *ctx, uint32_t type, const void *payload, size_t len, const int *fds, int nfds,
               joey_error_t *err);
/* Wait for one message of type `want`; anything else is a protocol error. */
int sync_expect (struct init_ctx *ctx, uint32_t want, joey_error_t *err);
/* The same, returning the payload (malloc'ed, NUL-terminated) in *payload. */
int sync_expect_payload (struct init_ctx *ctx, uint32_t want, char **payload, joey_error_t *err);
int sync_expect_bytes (struct init_ctx *ctx, uint32_t want, uint8_t **buf, size_t *len, joey_error_t *err);
void sync_report_error (struct init_ctx *ctx, uint32_t index, const joey_error_t *err);
/* Stage 2: read our host pid from stage 1 and send PID, unless stage 1
 * announced it (done once; before any other message of ours and before
 * execve). Returns -1 if either fails. */
int sync_gate (struct init_ctx *ctx);

/* namespaces.c */
int op_set_dumpable (struct init_ctx *, const struct op *, joey_error_t *);
int op_oom_score_adj (struct init_ctx *, const struct op *, joey_error_t *);
int op_join_namespace (struct init_ctx *, const struct op *, joey_error_t *);
int op_unshare (struct init_ctx *, const struct op *, joey_error_t *);
int op_sync_idmap (struct init_ctx *, const struct op *, joey_error_t *);
int op_fork_init (struct init_ctx *, const struct op *, joey_error_t *);
int op_sync_cgroup (struct init_ctx *, const struct op *, joey_error_t *);
int op_setsid (struct init_ctx *, const struct op *, joey_error_t *);
int op_sethostname (struct init_ctx *, const struct op *, joey_error_t *);
int op_setdomainname (struct init_ctx *, const struct op *, joey_error_t *);

/* mounts.c — every path is resolved inside ctx->rootfs_fd, never joined as a
 * string (CVE-2021-30465, CVE-2024-45310).
 *  set-propagation {flags}            mount(NULL, "/", NULL, flags): MS_REC|MS_SLAVE etc.
 *  bind-rootfs {path, rootfs}         make the rootfs's parent mount private, bind path onto itself
 *                                     (MS_BIND|MS_REC), open it O_PATH into ctx->rootfs_fd
 *  mount {source, path, fstype, flags, clear, propagation, data, must_be_dir, as_file, attr_set, attr_clr}
 *                                     path = destination inside the rootfs; create the mountpoint
 *                                     in the root (dir, or file when as_file), refuse a destination
 *                                     that resolves outside; must_be_dir: proc/sysfs only onto a real
 *                                     directory (CVE-2019-19921); mount via /proc/self/fd/N; for binds
 *                                     with MS_RDONLY etc. a second MS_REMOUNT|MS_BIND pass; then the
 *                                     propagation flags; attr_* via mount_setattr(AT_RECURSIVE)
 *  mknod {path, mode, major, minor, uid, gid, bind}  a device node in the root; bind: bind-mount the
 *                                     host node instead (inside a user namespace)
 *  symlink {target, path}             symlinkat in the root (e.g. /dev/fd -> /proc/self/fd)
 *  mkdir-in-root {path, mode}         mkdir -p inside the root
 *  pivot-root {}                      fchdir(rootfs); pivot_root(".", "."); rslave old root; umount2(".", MNT_DETACH); chdir("/")
 *  move-root {}                       --no-pivot: mount(rootfs, "/", MS_MOVE); chroot(".")
 *  mask-path {path}                   after pivot: a file gets the verified /dev/null bind-mounted
 *                                     via its fd (CVE-2025-31133), a directory a read-only tmpfs;
 *                                     a missing path is skipped
 *  readonly-path {path}               after pivot: bind the path onto itself, remount MS_RDONLY
 *                                     keeping its other flags; a missing path is skipped
 *  remount-root-ro {}                 after pivot: remount / MS_BIND|MS_REMOUNT|MS_RDONLY */
int op_set_propagation (struct init_ctx *, const struct op *, joey_error_t *);
int op_bind_rootfs (struct init_ctx *, const struct op *, joey_error_t *);
int op_mount (struct init_ctx *, const struct op *, joey_error_t *);
int op_mknod (struct init_ctx *, const struct op *, joey_error_t *);
int op_symlink (struct init_ctx *, const struct op *, joey_error_t *);
int op_mkdir_in_root (struct init_ctx *, const struct op *, joey_error_t *);
int op_pivot_root (struct init_ctx *, const struct op *, joey_error_t *);
int op_move_root (struct init_ctx *, const struct op *, joey_error_t *);
int op_mask_path (struct init_ctx *, const struct op *, joey_error_t *);
int op_readonly_path (struct init_ctx *, const struct op *, joey_error_t *);
int op_remount_root_ro (struct init_ctx *, const struct op *, joey_error_t *);

/* hooks.c */
int op_sync_hooks (struct init_ctx *, const struct op *, joey_error_t *);
int op_hook (struct init_ctx *, const struct op *, joey_error_t *);

/* console.c */
int op_console_connect (struct init_ctx *, const struct op *, joey_error_t *);
int op_console_setup (struct init_ctx *, const struct op *, joey_error_t *);
int send_pty_master (int sock, int master);
/* agent.c */
int write_all (int fd, const void *p, size_t n);

/* process.c */
int op_ready (struct init_ctx *, const struct op *, joey_error_t *);
int op_sysctl (struct init_ctx *, const struct op *, joey_error_t *);
int op_write_proc_self (struct init_ctx *, const struct op *, joey_error_t *);
int op_setrlimit (struct init_ctx *, const struct op *, joey_error_t *);
int op_umask (struct init_ctx *, const struct op *, joey_error_t *);
int op_open_exec_fifo (struct init_ctx *, const struct op *, joey_error_t *);
int op_wait_start (struct init_ctx *, const struct op *, joey_error_t *);
int op_close_fds (struct init_ctx *, const struct op *, joey_error_t *);
int op_chdir (struct init_ctx *, const struct op *, joey_error_t *);
int op_verify_cwd (struct init_ctx *, const struct op *, joey_error_t *);
int op_lookup_exec (struct init_ctx *, const struct op *, joey_error_t *);
int op_exec (struct init_ctx *, const struct op *, joey_error_t *);
int op_set_personality (struct init_ctx *, const struct op *, joey_error_t *);
int op_set_cpu_affinity (struct init_ctx *, const struct op *, joey_error_t *);
int op_set_ioprio (struct init_ctx *, const struct op *, joey_error_t *);
int op_set_scheduler (struct init_ctx *, const struct op *, joey_error_t *);
int op_set_label (struct init_ctx *, const struct op *, joey_error_t *);

/* security.c */
int op_set_groups (struct init_ctx *, const struct op *, joey_error_t *);
int op_set_user (struct init_ctx *, const struct op *, joey_error_t *);
int op_set_keepcaps (struct init_ctx *, const struct op *, joey_error_t *);
int op_drop_bounding (struct init_ctx *, const struct op *, joey_error_t *);
int op_set_caps (struct init_ctx *, const struct op *, joey_error_t *);
int op_set_ambient (struct init_ctx *, const struct op *, joey_error_t *);
int op_no_new_privs (struct init_ctx *, const struct op *, joey_error_t *);
int op_seccomp (struct init_ctx *, const struct op *, joey_error_t *);

/* In-root path helpers shared by mounts.c, console.c and process.c. */
/* openat2(ctx->rootfs_fd, path, flags|O_CLOEXEC, RESOLVE_IN_ROOT) with a fallback walk. */
int open_in_root (struct init_ctx *ctx, const char *path, int flags, mode_t mode, joey_error_t *err);

#endif
