/* security.c — credentials, capabilities, no_new_privs and seccomp.
 * runtime-spec: config.md#posix-process (user, capabilities,
 * noNewPrivileges), config-linux.md#seccomp
 * Kernel: capabilities(7), capset(2), prctl(2) PR_CAPBSET_DROP,
 * PR_CAP_AMBIENT, PR_SET_KEEPCAPS, PR_SET_NO_NEW_PRIVS, setresuid(2),
 * setgroups(2), seccomp(2), seccomp_unotify(2)
 *
 * Order (decided by the plan compiler, as runc's standard_init_linux.go):
 * drop the bounding set while still privileged, keep caps across the uid
 * change, set groups/gid/uid, then the three capset sets, then ambient.
 * Without no_new_privs, seccomp goes before the capability drop (loading a
 * filter needs CAP_SYS_ADMIN then); with it, as late as possible. */
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

int
op_set_groups (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  cleanup_free char **v = op_strv (op, F_GIDS);
  size_t n = 0;
  while (v && v[n])
    n++;
  gid_t *gids = calloc (n ? n : 1, sizeof (gid_t));
  if (gids == NULL)
    return joey_error (err, errno, "calloc");
  for (size_t i = 0; i < n; i++)
    gids[i] = (gid_t) strtoul (v[i], NULL, 10);
  int ret = setgroups (n, gids);
  free (gids);
  /* In a user namespace with setgroups denied, EPERM with no extra groups
   * asked for is expected (rootless). */
  if (ret < 0 && !(errno == EPERM && n == 0))
    return joey_error (err, errno, "setgroups");
  return 0;
}

int
op_set_user (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  uid_t uid = (uid_t) op_u64 (op, F_UID, 0);
  gid_t gid = (gid_t) op_u64 (op, F_GID, 0);
  if (setresgid (gid, gid, gid) < 0)
    return joey_error (err, errno, "setresgid %u", gid);
  if (setresuid (uid, uid, uid) < 0)
    return joey_error (err, errno, "setresuid %u", uid);
  return 0;
}

int
op_set_keepcaps (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  if (prctl (PR_SET_KEEPCAPS, op_u64 (op, F_VALUE, 0), 0, 0, 0) < 0)
    return joey_error (err, errno, "prctl PR_SET_KEEPCAPS");
  return 0;
}

int
op_drop_bounding (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  uint64_t keep = op_u64 (op, F_VALUE, 0);
  for (int cap = 0; cap < 64; cap++)
    {
      /* PR_CAPBSET_READ fails with EINVAL past the kernel's last capability. */
      if (prctl (PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
        break;
      if (keep & (1ull << cap))
        continue;
      if (prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
        return joey_error (err, errno, "prctl PR_CAPBSET_DROP %d", cap);
    }
  return 0;
}

int
op_set_caps (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  uint64_t eff = op_u64 (op, F_EFFECTIVE, 0), prm = op_u64 (op, F_PERMITTED, 0), inh = op_u64 (op, F_INHERITABLE, 0);
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2] = {
    { .effective = (uint32_t) eff, .permitted = (uint32_t) prm, .inheritable = (uint32_t) inh },
    { .effective = (uint32_t) (eff >> 32), .permitted = (uint32_t) (prm >> 32), .inheritable = (uint32_t) (inh >> 32) },
  };
  if (syscall (SYS_capset, &hdr, data) < 0)
    return joey_error (err, errno, "capset");
  return 0;
}

int
op_set_ambient (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  uint64_t amb = op_u64 (op, F_VALUE, 0);
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return joey_error (err, errno, "prctl PR_CAP_AMBIENT_CLEAR_ALL");
  for (int cap = 0; cap < 64; cap++)
    if (amb & (1ull << cap))
      if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
        /* The kernel only raises an ambient cap that is permitted and
         * inheritable; the spec check made sure of that, so this is real. */
        return joey_error (err, errno, "prctl PR_CAP_AMBIENT_RAISE %d", cap);
  return 0;
}

int
op_no_new_privs (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return joey_error (err, errno, "prctl PR_SET_NO_NEW_PRIVS");
  return 0;
}

/* The filter was compiled on the host by libseccomp (src/linux/seccomp.ts);
 * here it is only loaded. With SECCOMP_FILTER_FLAG_NEW_LISTENER the kernel
 * returns a notify fd, which goes to the runtime (and from there to the
 * listener socket in linux.seccomp.listenerPath). */
int
op_seccomp (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  /* The gate's read and close must not meet the container's filter. */
  if (sync_gate (ctx) < 0)
    _exit (1);
  size_t len;
  const uint8_t *bpf = op_bytes (op, F_FILTER, &len);
  unsigned flags = (unsigned) op_u64 (op, F_FLAGS, 0);
  /* `late`: the runtime sends the filter now (SECCOMP_FILTER: u32 flags, then
   * the instructions), having looked it up while we mounted. */
  cleanup_free uint8_t *msg = NULL;
  if (op_u64 (op, F_LATE, 0))
    {
      size_t n;
      if (sync_expect_bytes (ctx, MSG_SECCOMP_FILTER, &msg, &n, err) < 0)
        return -1;
      if (n < 4)
        return joey_error (err, 0, "seccomp: short SECCOMP_FILTER message");
      uint32_t f;
      memcpy (&f, msg + 4, 4);
      flags = f;
      bpf = msg + 8;
      len = n - 4;
    }
  if (bpf == NULL || len == 0 || len % sizeof (struct sock_filter) != 0 || len / 8 > 0xffff)
    return joey_error (err, 0, "seccomp: bad filter length %zu", len);
  /* The filter bytes live in the plan buffer; copy for alignment. */
  struct sock_filter *insns = malloc (len);
  if (insns == NULL)
    return joey_error (err, errno, "malloc");
  memcpy (insns, bpf, len);
  struct sock_fprog prog = { .len = (unsigned short) (len / sizeof (struct sock_filter)), .filter = insns };
  long ret = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  free (insns);
  if (ret < 0)
    return joey_error (err, errno, "seccomp(SECCOMP_SET_MODE_FILTER)");
  if (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
    {
      int nfd = (int) ret;
      int r = sync_send (ctx, MSG_SECCOMP_FD, NULL, 0, &nfd, 1, err);
      if (r == 0)
        r = sync_expect (ctx, MSG_SECCOMP_ACK, err);
      close (nfd);
      return r;
    }
  return 0;
}
