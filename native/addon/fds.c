/* fds.c — small fd operations Node lacks: flock(2), mkfifoat(3), mkdirat(2), unlinkat(2), FD_CLOEXEC,
 * close(2), removing a directory of plain files, and the poll(2) helper the other files share.
 *
 * flock locks belong to the open file description, so two open()s of the same
 * file conflict even inside one process: that is what makes the per-container
 * state lock work between joey's own concurrent calls (docs/design.md §6).
 * mkfifoat makes `exec.fifo`, on which the init blocks until `start`.
 * See flock(2), mkfifoat(3), fcntl(2) F_GETFD/F_SETFD, close(2), poll(2). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addon.h"

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
poll_in (int fd, int timeout_ms, short *revents)
{
  int64_t deadline = timeout_ms < 0 ? -1 : now_ms () + timeout_ms;
  for (;;)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      int left = -1;
      if (deadline >= 0)
        {
          int64_t d = deadline - now_ms ();
          left = d < 0 ? 0 : (int) d;
        }
      int r = poll (&p, 1, left);
      if (r < 0 && errno == EINTR)
        continue;
      *revents = r > 0 ? p.revents : 0;
      return r;
    }
}

/* pollEither(a, b, timeoutMs) -> bit 1: a is readable or hung up, bit 2: the
 * same for b; 0 on timeout. `start` waits on exec.fifo and the init's pidfd
 * at once with it, so it needs neither libuv's pool nor a polling timer. */
static napi_value
js_poll_either (napi_env env, napi_callback_info info)
{
  napi_value argv[3];
  int a, b;
  int64_t timeout;
  if (!get_args (env, info, 3, argv) || !arg_fd (env, argv[0], "a", &a) || !arg_fd (env, argv[1], "b", &b)
      || !arg_int (env, argv[2], "timeoutMs", -1, INT32_MAX, &timeout))
    return NULL;
  struct pollfd p[2] = { { .fd = a, .events = POLLIN }, { .fd = b, .events = POLLIN } };
  int r;
  do
    r = poll (p, 2, (int) timeout);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return throw_errno (env, errno, "poll");
  const short ready = POLLIN | POLLHUP | POLLERR | POLLNVAL;
  return make_int (env, ((p[0].revents & ready) ? 1 : 0) | ((p[1].revents & ready) ? 2 : 0));
}

/* flock(fd, op); blocks the JS thread unless op has LOCK_NB */
static napi_value
js_flock (napi_env env, napi_callback_info info)
{
  napi_value argv[2];
  int fd;
  int64_t op;
  if (!get_args (env, info, 2, argv) || !arg_fd (env, argv[0], "fd", &fd)
      || !arg_int (env, argv[1], "op", 0, LOCK_SH | LOCK_EX | LOCK_NB | LOCK_UN, &op))
    return NULL;
  int r;
  do
    r = flock (fd, (int) op);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return throw_errno (env, errno, "flock");
  return make_undefined (env);
}

/* mkfifoat(dirfd, path, mode): the FIFO gets exactly `mode`, whatever the
 * umask (fchmodat after it, as `mkfifo -m` does): one call for what took an
 * fs.chmodSync after it */
static napi_value
js_mkfifoat (napi_env env, napi_callback_info info)
{
  napi_value argv[3];
  int dirfd;
  int64_t mode;
  cleanup_free char *path = NULL;
  if (!get_args (env, info, 3, argv) || !arg_dirfd (env, argv[0], "dirfd", &dirfd)
      || !arg_string (env, argv[1], "path", &path)
      || !arg_int (env, argv[2], "mode", 0, 07777, &mode))
    return NULL;
  if (mkfifoat (dirfd, path, (mode_t) mode) < 0)
    return throw_errno (env, errno, "mkfifoat");
  if (fchmodat (dirfd, path, (mode_t) mode, 0) < 0)
    return throw_errno (env, errno, "fchmodat");
  return make_undefined (env);
}

/* mkdirat(dirfd, name, mode) -> false if it already existed. cgroup dirs are
 * made through the parent's verified fd (cgroupfs.ts); an existing ancestor
 * is the common case, so EEXIST is an answer, not an exception. */
static napi_value
js_mkdirat (napi_env env, napi_callback_info info)
{
  napi_value argv[3];
  int dirfd;
  int64_t mode;
  cleanup_free char *name = NULL;
  if (!get_args (env, info, 3, argv) || !arg_dirfd (env, argv[0], "dirfd", &dirfd)
      || !arg_string (env, argv[1], "name", &name)
      || !arg_int (env, argv[2], "mode", 0, 07777, &mode))
    return NULL;
  if (mkdirat (dirfd, name, (mode_t) mode) == 0)
    return make_bool (env, true);
  if (errno == EEXIST)
    return make_bool (env, false);
  return throw_errno (env, errno, "mkdirat");
}

/* rmdirat(dirfd, name): unlinkat(AT_REMOVEDIR) */
static napi_value
js_rmdirat (napi_env env, napi_callback_info info)
{
  napi_value argv[2];
  int dirfd;
  cleanup_free char *name = NULL;
  if (!get_args (env, info, 2, argv) || !arg_dirfd (env, argv[0], "dirfd", &dirfd)
      || !arg_string (env, argv[1], "name", &name))
    return NULL;
  if (unlinkat (dirfd, name, AT_REMOVEDIR) < 0)
    return throw_errno (env, errno, "rmdir");
  return make_undefined (env);
}

/* removeFlatDir(path): unlink every entry of a directory that holds no
 * subdirectory, then rmdir it. A container's state dir is such a directory
 * (state.json, config.json, .lock, exec.fifo, sockets); `delete` removed it
 * through fs.readdirSync, unlinkSync and rmdirSync, whose first calls in a
 * process cost ~0.35 ms together, measured, against the syscalls' few µs.
 * O_NOFOLLOW: a symlink in place of the dir is refused (ENOTDIR), not followed.
 * A subdirectory fails with EISDIR and stops the walk: the caller falls back
 * to a recursive removal. */
static napi_value
js_remove_flat_dir (napi_env env, napi_callback_info info)
{
  napi_value argv[1];
  cleanup_free char *path = NULL;
  if (!get_args (env, info, 1, argv) || !arg_string (env, argv[0], "path", &path))
    return NULL;
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return throw_errno (env, errno, "open");
  cleanup_dir DIR *d = open_dir_fd (fd);
  if (d == NULL)
    return throw_errno (env, errno, "fdopendir");
  struct dirent *e;
  while ((e = next_entry (d)) != NULL)
    if (unlinkat (dirfd (d), e->d_name, 0) < 0)
      return throw_errno (env, errno, "unlink");
  if (errno != 0)
    return throw_errno (env, errno, "getdents64");
  if (rmdir (path) < 0)
    return throw_errno (env, errno, "rmdir");
  return make_undefined (env);
}

/* setCloexec(fd, on): clear it on the few fds a child must inherit */
static napi_value
js_set_cloexec (napi_env env, napi_callback_info info)
{
  napi_value argv[2];
  int fd;
  bool on;
  if (!get_args (env, info, 2, argv) || !arg_fd (env, argv[0], "fd", &fd)
      || !arg_bool (env, argv[1], "on", &on))
    return NULL;
  int flags = fcntl (fd, F_GETFD);
  if (flags < 0)
    return throw_errno (env, errno, "fcntl(F_GETFD)");
  flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
  if (fcntl (fd, F_SETFD, flags) < 0)
    return throw_errno (env, errno, "fcntl(F_SETFD)");
  return make_undefined (env);
}

/* close(fd) */
static napi_value
js_close (napi_env env, napi_callback_info info)
{
  napi_value argv[1];
  int fd;
  if (!get_args (env, info, 1, argv) || !arg_fd (env, argv[0], "fd", &fd))
    return NULL;
  /* WHY: on Linux the fd is gone even when close reports EINTR; retrying
   * could close an fd another thread just opened, so EINTR counts as done. */
  if (close (fd) < 0 && errno != EINTR)
    return throw_errno (env, errno, "close");
  return make_undefined (env);
}

napi_status
register_fds (napi_env env, napi_value exports)
{
  napi_property_descriptor props[] = {
    EXPORT ("flock", js_flock),
    EXPORT ("pollEither", js_poll_either),
    EXPORT ("mkfifoat", js_mkfifoat),
    EXPORT ("mkdirat", js_mkdirat),
    EXPORT ("rmdirat", js_rmdirat),
    EXPORT ("removeFlatDir", js_remove_flat_dir),
    EXPORT ("setCloexec", js_set_cloexec),
    EXPORT ("close", js_close),
  };
  return REGISTER (env, exports, props);
}
