/* safe_open.c — openat2(2) with RESOLVE_* and fstatfs(2) magic checks.
 *
 * openat2 lets the kernel, not a userspace path walk, keep a lookup inside a
 * directory: RESOLVE_IN_ROOT treats dirfd as `/` for `..` and absolute
 * symlinks, RESOLVE_BENEATH refuses to leave it, RESOLVE_NO_SYMLINKS and
 * RESOLVE_NO_XDEV refuse symlinks and mount crossings. Every cgroupfs write
 * and every path inside a rootfs goes through it (docs/design.md §5).
 * fstatfs's f_type lets callers verify an fd is really procfs or cgroupfs
 * before writing through it (CVE-2019-16884, CVE-2019-19921 class).
 * See openat2(2), path_resolution(7), fstatfs(2). */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "addon.h"

/* openat2(dirfd, path, flags, mode, resolve) -> fd */
static napi_value
js_openat2 (napi_env env, napi_callback_info info)
{
  napi_value argv[5];
  int dirfd;
  int64_t flags, mode, resolve;
  cleanup_free char *path = NULL;
  if (!get_args (env, info, 5, argv) || !arg_dirfd (env, argv[0], "dirfd", &dirfd)
      || !arg_string (env, argv[1], "path", &path)
      || !arg_int (env, argv[2], "flags", 0, UINT32_MAX, &flags)
      || !arg_int (env, argv[3], "mode", 0, 07777, &mode)
      || !arg_int (env, argv[4], "resolve", 0, UINT32_MAX, &resolve))
    return NULL;

  struct open_how how = {
    /* every fd the addon returns is close-on-exec, so a spawn never leaks it */
    .flags = (uint64_t) flags | O_CLOEXEC,
    .resolve = (uint64_t) resolve,
  };
  /* WHY: unlike open(2), openat2 rejects a non-zero mode without O_CREAT or
   * O_TMPFILE (EINVAL); callers pass one mode for every call, so drop it. */
  if ((how.flags & O_CREAT) || (how.flags & O_TMPFILE) == O_TMPFILE)
    how.mode = (uint64_t) mode;

  int fd;
  do
    fd = (int) syscall (SYS_openat2, dirfd, path, &how, sizeof how);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return throw_errno (env, errno, "openat2");
  return make_int (env, fd);
}

/* fstatfsType(fd) -> f_type, e.g. PROC_SUPER_MAGIC 0x9fa0 */
static napi_value
js_fstatfs_type (napi_env env, napi_callback_info info)
{
  napi_value argv[1];
  int fd;
  if (!get_args (env, info, 1, argv) || !arg_fd (env, argv[0], "fd", &fd))
    return NULL;
  struct statfs st;
  if (fstatfs (fd, &st) < 0)
    return throw_errno (env, errno, "fstatfs");
  /* f_type is a signed long holding a 32-bit magic; keep it unsigned. */
  return make_int (env, (int64_t) (uint32_t) st.f_type);
}

napi_status
register_safe_open (napi_env env, napi_value exports)
{
  napi_property_descriptor props[] = {
    EXPORT ("openat2", js_openat2),
    EXPORT ("fstatfsType", js_fstatfs_type),
  };
  return REGISTER (env, exports, props);
}
