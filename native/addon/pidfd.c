/* pidfd.c — process file descriptors: pidfd_open(2), pidfd_send_signal(2).
 *
 * A pidfd names one process, not a pid number, so a signal sent through it
 * can never hit an unrelated process that reused the pid after ours died
 * (the race `kill <pid>` has). The fd turns readable when the process exits,
 * which replaces runc's 100 ms sleep loop in `delete --force` with an exact
 * wait (docs/design.md §8). pidfds are always O_CLOEXEC.
 * See pidfd_open(2), pidfd_send_signal(2), poll(2). */
#include <errno.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "addon.h"

/* pidfdOpen(pid) -> pidfd */
static napi_value
js_pidfd_open (napi_env env, napi_callback_info info)
{
  napi_value argv[1];
  int64_t pid;
  if (!get_args (env, info, 1, argv) || !arg_int (env, argv[0], "pid", 1, INT32_MAX, &pid))
    return NULL;
  int fd = (int) syscall (SYS_pidfd_open, (pid_t) pid, 0);
  if (fd < 0)
    return throw_errno (env, errno, "pidfd_open");
  return make_int (env, fd);
}

/* pidfdSendSignal(pidfd, signal) */
static napi_value
js_pidfd_send_signal (napi_env env, napi_callback_info info)
{
  napi_value argv[2];
  int pidfd;
  int64_t sig;
  if (!get_args (env, info, 2, argv) || !arg_fd (env, argv[0], "pidfd", &pidfd)
      || !arg_int (env, argv[1], "signal", 0, 64, &sig))
    return NULL;
  if (syscall (SYS_pidfd_send_signal, pidfd, (int) sig, NULL, 0) < 0)
    return throw_errno (env, errno, "pidfd_send_signal");
  return make_undefined (env);
}

/* pidfdExited(pidfd, timeoutMs) -> true once the process has exited.
 * Blocks the calling (JS) thread for at most timeoutMs; 0 just checks. */
static napi_value
js_pidfd_exited (napi_env env, napi_callback_info info)
{
  napi_value argv[2];
  int pidfd;
  int64_t timeout;
  if (!get_args (env, info, 2, argv) || !arg_fd (env, argv[0], "pidfd", &pidfd)
      || !arg_int (env, argv[1], "timeoutMs", -1, INT32_MAX, &timeout))
    return NULL;
  short revents = 0;
  int r = poll_in (pidfd, (int) timeout, &revents);
  if (r < 0)
    return throw_errno (env, errno, "poll");
  if (revents & POLLNVAL)
    return throw_errno (env, EBADF, "poll");
  /* POLLIN from exit on; POLLHUP as well once it has been reaped */
  return make_bool (env, r > 0 && (revents & (POLLIN | POLLHUP)) != 0);
}

napi_status
register_pidfd (napi_env env, napi_value exports)
{
  napi_property_descriptor props[] = {
    EXPORT ("pidfdOpen", js_pidfd_open),
    EXPORT ("pidfdSendSignal", js_pidfd_send_signal),
    EXPORT ("pidfdExited", js_pidfd_exited),
  };
  return REGISTER (env, exports, props);
}
