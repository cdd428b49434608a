/* safe_open.c — openat2(2) with RESOLVE_* and fstatfs(2) magic checks.
 *
 * openat2 lets the kernel, not a userspace path walk, keep a lookup inside a
 * directory: RESOLVE_IN_ROOT treats dirfd as `/` for `..` and absolute
 * symlinks, RESOLVE_BENEATH refuses to leave it, RESOLVE_NO_SYMLINKS and
 * RESOLVE_NO_XDEV refuse symlinks and mount crossings. Every cgroupfs write
 * and every path inside a rootfs goes through it (docs/design.md §5).
 * fstatfs's f_type lets callers verify an fd is really procfs or cgroupfs
 * before writing through it (CVE-2019-16884, CVE-2019-19921 class).
 * The *Beneath calls below do a whole cgroupfs read, write, mkdir, rmdir or
 * listing through openat2 in one call.
 * See openat2(2), path_resolution(7), fstatfs(2). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* ---- One call per file operation beneath a directory fd: read, write,
 * mkdir, rmdir and list subdirectories, each path resolved by openat2 with the
 * caller's RESOLVE_* mask (so the checks stay where they are documented).
 *
 * Every cgroupfs access of joey goes below a mount fd checked by its f_type
 * (src/cgroups/cgroupfs.ts, runc issue 4103). From Node, one read was four
 * trips (openat2 here, then fs.readSync twice and fs.closeSync), and the
 * first use of each of fs's and Buffer's functions in a process costs far
 * more than the syscalls (~0.6 ms before the first cgroup file a `create`
 * reads, measured). These make the same syscalls from one call: openat2,
 * read/write/mkdirat/unlinkat/getdents64, close.
 * See read(2), write(2), mkdirat(2), unlinkat(2), getdents64(2). ---- */

/* openat2 with O_CLOEXEC always added; -1 with errno set on failure. */
static int
open_beneath (int dirfd, const char *path, int flags, uint64_t resolve)
{
  struct open_how how = { .flags = (uint64_t) flags | O_CLOEXEC, .resolve = resolve };
  int fd;
  do
    fd = (int) syscall (SYS_openat2, dirfd, path, &how, sizeof how);
  while (fd < 0 && errno == EINTR);
  return fd;
}

/* The parent directory for mkdir/rmdir: dirfd itself for "" (the mount
 * root), else an O_PATH fd opened beneath it; -1 with errno on failure. */
static int
open_parent (int dirfd, const char *parent, uint64_t resolve, bool *owned)
{
  *owned = parent[0] != '\0';
  return *owned ? open_beneath (dirfd, parent, O_PATH | O_DIRECTORY, resolve) : dirfd;
}

static bool
arg_resolve (napi_env env, napi_value v, uint64_t *out)
{
  int64_t r;
  if (!arg_int (env, v, "resolve", 0, UINT32_MAX, &r))
    return false;
  *out = (uint64_t) r;
  return true;
}

/* readBeneath(dirfd, path, resolve) -> the whole file as UTF-8 text */
static napi_value
js_read_beneath (napi_env env, napi_callback_info info)
{
  napi_value argv[3];
  int dirfd;
  uint64_t resolve;
  cleanup_free char *path = NULL;
  if (!get_args (env, info, 3, argv) || !arg_dirfd (env, argv[0], "dirfd", &dirfd)
      || !arg_string (env, argv[1], "path", &path) || !arg_resolve (env, argv[2], &resolve))
    return NULL;
  cleanup_close int fd = open_beneath (dirfd, path, O_RDONLY, resolve);
  if (fd < 0)
    return throw_errno (env, errno, "openat2");
  /* most cgroup files are a line; cgroup.procs of a big container is not */
  size_t cap = 4096, got = 0;
  cleanup_free char *buf = malloc (cap);
  if (buf == NULL)
    return throw_errno (env, ENOMEM, "malloc");
  for (;;)
    {
      if (got == cap)
        {
          char *bigger = realloc (buf, cap * 2);
          if (bigger == NULL)
            return throw_errno (env, ENOMEM, "realloc");
          buf = bigger;
          cap *= 2;
        }
      ssize_t n = read (fd, buf + got, cap - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return throw_errno (env, errno, "read");
      if (n == 0)
        break;
      got += (size_t) n;
    }
  napi_value s;
  if (napi_create_string_utf8 (env, buf, got, &s) != napi_ok)
    return NULL;
  return s;
}

/* writeBeneath(dirfd, path, value, resolve): one write(2) of the whole value,
 * since cgroupfs takes each write as one command (devices.allow, cgroup.procs) */
static int
write_all_once (int fd, const char *value)
{
  ssize_t n;
  do
    n = write (fd, value, strlen (value));
  while (n < 0 && errno == EINTR);
  return n < 0 ? -1 : 0;
}

/* writeBeneath(dirfd, path, value | values[], resolve): one open, then one
 * write(2) per value (cgroupfs takes each write as one command: the device
 * rules go into devices.allow this way). A failed write throws with
 * `index`, the value's place in the list. */
static napi_value
js_write_beneath (napi_env env, napi_callback_info info)
{
  napi_value argv[4];
  int dirfd;
  uint64_t resolve;
  bool is_array = false;
  cleanup_free char *path = NULL;
  if (!get_args (env, info, 4, argv) || !arg_dirfd (env, argv[0], "dirfd", &dirfd)
      || !arg_string (env, argv[1], "path", &path) || !arg_resolve (env, argv[3], &resolve)
      || napi_is_array (env, argv[2], &is_array) != napi_ok)
    return NULL;
  uint32_t count = 1;
  if (is_array && napi_get_array_length (env, argv[2], &count) != napi_ok)
    return NULL;
  cleanup_close int fd = open_beneath (dirfd, path, O_WRONLY, resolve);
  if (fd < 0)
    return throw_errno (env, errno, "openat2");
  for (uint32_t i = 0; i < count; i++)
    {
      napi_value v = argv[2];
      if (is_array && napi_get_element (env, argv[2], i, &v) != napi_ok)
        return NULL;
      cleanup_free char *value = NULL;
      if (!arg_string (env, v, "value", &value))
        return NULL;
      if (write_all_once (fd, value) < 0)
        {
          napi_value err = throw_errno (env, errno, "write");
          napi_value ex, idx;
          if (napi_get_and_clear_last_exception (env, &ex) == napi_ok && napi_create_uint32 (env, i, &idx) == napi_ok)
            {
              napi_set_named_property (env, ex, "index", idx);
              napi_throw (env, ex);
            }
          return err;
        }
    }
  return make_undefined (env);
}

/* mkdirBeneath(dirfd, parent, name, mode, resolve) -> false when it existed.
 * `parent` ("" for dirfd itself) is opened beneath dirfd; `name` is one
 * component (the caller checks it), made with mkdirat in that parent. */
static napi_value
js_mkdir_beneath (napi_env env, napi_callback_info info)
{
  napi_value argv[5];
  int dirfd;
  int64_t mode;
  uint64_t resolve;
  cleanup_free char *parent = NULL;
  cleanup_free char *name = NULL;
  if (!get_args (env, info, 5, argv) || !arg_dirfd (env, argv[0], "dirfd", &dirfd)
      || !arg_string (env, argv[1], "parent", &parent) || !arg_string (env, argv[2], "name", &name)
      || !arg_int (env, argv[3], "mode", 0, 07777, &mode) || !arg_resolve (env, argv[4], &resolve))
    return NULL;
  bool owned;
  int pfd = open_parent (dirfd, parent, resolve, &owned);
  if (pfd < 0)
    return throw_errno (env, errno, "openat2");
  cleanup_close int close_me = owned ? pfd : -1;
  if (mkdirat (pfd, name, (mode_t) mode) == 0)
    return make_bool (env, true);
  if (errno == EEXIST)
    return make_bool (env, false);
  return throw_errno (env, errno, "mkdirat");
}

/* rmdirBeneath(dirfd, parent, name, resolve): unlinkat(AT_REMOVEDIR) in the parent */
static napi_value
js_rmdir_beneath (napi_env env, napi_callback_info info)
{
  napi_value argv[4];
  int dirfd;
  uint64_t resolve;
  cleanup_free char *parent = NULL;
  cleanup_free char *name = NULL;
  if (!get_args (env, info, 4, argv) || !arg_dirfd (env, argv[0], "dirfd", &dirfd)
      || !arg_string (env, argv[1], "parent", &parent) || !arg_string (env, argv[2], "name", &name)
      || !arg_resolve (env, argv[3], &resolve))
    return NULL;
  bool owned;
  int pfd = open_parent (dirfd, parent, resolve, &owned);
  if (pfd < 0)
    return throw_errno (env, errno, "openat2");
  cleanup_close int close_me = owned ? pfd : -1;
  if (unlinkat (pfd, name, AT_REMOVEDIR) < 0)
    return throw_errno (env, errno, "rmdir");
  return make_undefined (env);
}

/* dirsBeneath(dirfd, path, resolve) -> names of the subdirectories of path
 * (no "." or ".."), as Node's readdir withFileTypes + isDirectory() gives them */
static napi_value
js_dirs_beneath (napi_env env, napi_callback_info info)
{
  napi_value argv[3];
  int at;
  uint64_t resolve;
  cleanup_free char *path = NULL;
  if (!get_args (env, info, 3, argv) || !arg_dirfd (env, argv[0], "dirfd", &at)
      || !arg_string (env, argv[1], "path", &path) || !arg_resolve (env, argv[2], &resolve))
    return NULL;
  int fd = open_beneath (at, path, O_RDONLY | O_DIRECTORY, resolve);
  if (fd < 0)
    return throw_errno (env, errno, "openat2");
  cleanup_dir DIR *d = open_dir_fd (fd);
  if (d == NULL)
    return throw_errno (env, errno, "fdopendir");
  napi_value out;
  if (napi_create_array (env, &out) != napi_ok)
    return NULL;
  uint32_t i = 0;
  struct dirent *e;
  while ((e = next_entry (d)) != NULL)
    {
      bool dir = e->d_type == DT_DIR;
      if (e->d_type == DT_UNKNOWN)
        {
          struct stat st;
          dir = fstatat (dirfd (d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode);
        }
      if (!dir)
        continue;
      napi_value name;
      if (napi_create_string_utf8 (env, e->d_name, NAPI_AUTO_LENGTH, &name) != napi_ok
          || napi_set_element (env, out, i++, name) != napi_ok)
        return NULL;
    }
  return errno != 0 ? throw_errno (env, errno, "getdents64") : out;
}

napi_status
register_safe_open (napi_env env, napi_value exports)
{
  napi_property_descriptor props[] = {
    EXPORT ("openat2", js_openat2),
    EXPORT ("fstatfsType", js_fstatfs_type),
    EXPORT ("readBeneath", js_read_beneath),
    EXPORT ("writeBeneath", js_write_beneath),
    EXPORT ("mkdirBeneath", js_mkdir_beneath),
    EXPORT ("rmdirBeneath", js_rmdir_beneath),
    EXPORT ("dirsBeneath", js_dirs_beneath),
  };
  return REGISTER (env, exports, props);
}
