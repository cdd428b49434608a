/* wait.c — reaping children: waitid(2), pidfd_open(2) and
 * PR_SET_CHILD_SUBREAPER.
 *
 * waitExit resolves a Promise when a child exits without holding a thread:
 * the child's pidfd turns readable when it exits (pidfd_open(2)), a libuv
 * uv_poll_t watches it on Node's own event loop, and waitid(WNOHANG) then
 * reaps at once. `joey run` and `exec` wait for their container with it.
 *
 * WHY not waitid without WNOHANG on a libuv pool thread (napi_async_work,
 * what joey did before): the first use of the pool starts its four threads
 * (UV_THREADPOOL_SIZE), ~2.5 ms of every `joey run` on a small VM.
 *
 * WHY only for our own children: libuv reaps the children it spawned itself
 * (waitpid on each pid when SIGCHLD arrives). For a child_process.spawn()
 * child, whichever of libuv and waitid reaps first wins and the other sees
 * ECHILD; use these calls for processes libuv does not track, e.g. orphans
 * reparented to a subreaper, or stage 2 of the init (CLONE_PARENT).
 * See waitid(2), pidfd_open(2), prctl(2) PR_SET_CHILD_SUBREAPER,
 * napi_get_uv_event_loop, napi_open_callback_scope, uv_poll_t. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "addon.h"

/* {code, signal} from a waitid result: one of them is null. */
static napi_value
make_wait_result (napi_env env, const siginfo_t *si)
{
  napi_value result;
  if (napi_create_object (env, &result) != napi_ok)
    return NULL;
  bool exited = si->si_code == CLD_EXITED;
  napi_value status = make_int (env, si->si_status);
  if (napi_set_named_property (env, result, "code", exited ? status : make_null (env)) != napi_ok
      || napi_set_named_property (env, result, "signal", exited ? make_null (env) : status) != napi_ok)
    return NULL;
  return result;
}

/* Resolve with {code, signal}, or reject (err != 0) with the same Error the
 * sync calls throw. */
static void
settle (napi_env env, napi_deferred deferred, int err, const char *syscall, const siginfo_t *si)
{
  napi_value value = err == 0 ? make_wait_result (env, si) : NULL;
  if (value != NULL)
    {
      napi_resolve_deferred (env, deferred, value);
      return;
    }
  /* Build the Error as a sync call would throw it, then take it back. */
  throw_errno (env, err ? err : ENOMEM, syscall);
  napi_get_and_clear_last_exception (env, &value);
  napi_reject_deferred (env, deferred, value);
}

/* waitid(P_PID, WEXITED|WNOHANG): 0 with si->si_pid == 0 while the child
 * runs (waitid(2)), or < 0 with errno set (ECHILD: not our child). */
static int
reap_nohang (pid_t pid, siginfo_t *si)
{
  memset (si, 0, sizeof *si);
  int r;
  do
    r = waitid (P_PID, (id_t) pid, si, WEXITED | WNOHANG);
  while (r < 0 && errno == EINTR);
  return r;
}

/* One waitExit in flight. The handle comes first: libuv hands its callbacks
 * the uv_poll_t, and handle.data points back here. */
struct exit_watch
{
  uv_poll_t poll;
  napi_env env;
  napi_deferred deferred;
  napi_async_context async;
  napi_async_cleanup_hook_handle cleanup;
  pid_t pid;
  int pidfd;
};

/* Last step, once libuv is done with the handle: only now may it be freed.
 * Removing the async cleanup hook also tells a Node environment that is
 * shutting down that it may go on (and unload this addon). */
static void
exit_watch_closed (uv_handle_t *handle)
{
  struct exit_watch *w = handle->data;
  napi_remove_async_cleanup_hook (w->cleanup);
  close (w->pidfd);
  free (w);
}

/* The Node environment goes away (a worker thread ends) while we wait: no
 * more JS may run, so leave the promise pending and just release the handle.
 * WHY an async hook: a plain cleanup hook lets Node dlclose the addon before
 * the loop runs our close callback, which then jumps into unmapped code. */
static void
exit_watch_teardown (napi_async_cleanup_hook_handle handle, void *arg)
{
  struct exit_watch *w = arg;
  (void) handle; /* the same as w->cleanup */
  uv_close ((uv_handle_t *) &w->poll, exit_watch_closed);
}

/* The pidfd is readable: the child has exited, so this waitid does not block. */
static void
exit_watch_ready (uv_poll_t *handle, int status, int events)
{
  struct exit_watch *w = handle->data;
  siginfo_t si = { 0 };
  int err = 0;
  const char *syscall = "waitid";
  (void) events;
  if (status < 0)
    {
      err = -status; /* libuv's errors are negative errnos on Linux */
      syscall = "epoll_wait";
    }
  else if (reap_nohang (w->pid, &si) < 0)
    err = errno; /* ECHILD: another wait reaped it first */
  else if (si.si_pid == 0)
    return; /* not exited after all: keep watching */

  /* Stop watching before any JS runs (it may exit, or wait again); libuv
   * calls exit_watch_closed on a later turn, so w stays valid below. */
  uv_close ((uv_handle_t *) &w->poll, exit_watch_closed);

  /* We are called by libuv, not by JS: open the scopes N-API needs. Closing
   * the callback scope runs the microtasks, i.e. whatever awaits the promise. */
  napi_env env = w->env;
  napi_handle_scope handles;
  napi_callback_scope callback;
  napi_value resource;
  if (napi_open_handle_scope (env, &handles) != napi_ok)
    return;
  if (napi_create_object (env, &resource) == napi_ok
      && napi_open_callback_scope (env, resource, w->async, &callback) == napi_ok)
    {
      settle (env, w->deferred, err, syscall, &si);
      napi_close_callback_scope (env, callback);
    }
  napi_async_destroy (env, w->async);
  napi_close_handle_scope (env, handles);
}

/* Watch pid's pidfd on the event loop; settles `deferred` when it exits.
 * Returns < 0 with errno set when the watch could not start. */
static int
exit_watch_start (napi_env env, napi_deferred deferred, pid_t pid)
{
  uv_loop_t *loop;
  napi_value name;
  if (napi_get_uv_event_loop (env, &loop) != napi_ok
      || napi_create_string_utf8 (env, "joey:waitExit", NAPI_AUTO_LENGTH, &name) != napi_ok)
    return errno = EINVAL, -1;
  /* A zombie still has a pidfd (readable at once), so no exit slips past
   * between the waitid above and here. pidfds are always O_CLOEXEC. */
  cleanup_close int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (pidfd < 0)
    return -1;
  cleanup_free struct exit_watch *w = calloc (1, sizeof *w);
  if (w == NULL)
    return errno = ENOMEM, -1;
  if (napi_async_init (env, NULL, name, &w->async) != napi_ok)
    return errno = EINVAL, -1;
  int r = uv_poll_init (loop, &w->poll, pidfd);
  if (r < 0)
    {
      napi_async_destroy (env, w->async);
      return errno = -r, -1;
    }
  w->poll.data = w;
  w->env = env;
  w->deferred = deferred;
  w->pid = pid;
  w->pidfd = steal_fd (&pidfd);
  /* The handle exists now: only its close callback may free the watch. */
  struct exit_watch *watch = w;
  w = NULL;
  /* An active poll handle is referenced: the loop, and so the process,
   * stays alive until the child exits. */
  if (napi_add_async_cleanup_hook (env, exit_watch_teardown, watch, &watch->cleanup) != napi_ok)
    r = UV_EINVAL;
  else
    r = uv_poll_start (&watch->poll, UV_READABLE, exit_watch_ready);
  if (r < 0)
    {
      napi_async_destroy (env, watch->async);
      uv_close ((uv_handle_t *) &watch->poll, exit_watch_closed);
      return errno = -r, -1;
    }
  return 0;
}

/* waitExit(pid) -> Promise<{code, signal}>, for a child of ours. Rejects
 * with ECHILD at once for any other pid: waitid(2) only reaps children. Two waits for one child: one reaps, the other rejects
 * with ECHILD. */
static napi_value
js_wait_exit (napi_env env, napi_callback_info info)
{
  napi_value argv[1], promise;
  napi_deferred deferred;
  int64_t pid;
  if (!get_args (env, info, 1, argv) || !arg_int (env, argv[0], "pid", 1, INT32_MAX, &pid))
    return NULL;
  if (napi_create_promise (env, &deferred, &promise) != napi_ok)
    return NULL;
  siginfo_t si;
  /* Already exited, or not our child: settle now, with no handle at all. */
  if (reap_nohang ((pid_t) pid, &si) < 0)
    settle (env, deferred, errno, "waitid", NULL);
  else if (si.si_pid != 0)
    settle (env, deferred, 0, "waitid", &si);
  else if (exit_watch_start (env, deferred, (pid_t) pid) < 0)
    settle (env, deferred, errno, "pidfd_open", NULL);
  return promise;
}

/* waitNoHang(pid) -> {code, signal}, or null while the child still runs */
static napi_value
js_wait_no_hang (napi_env env, napi_callback_info info)
{
  napi_value argv[1];
  int64_t pid;
  if (!get_args (env, info, 1, argv) || !arg_int (env, argv[0], "pid", 1, INT32_MAX, &pid))
    return NULL;
  siginfo_t si;
  if (reap_nohang ((pid_t) pid, &si) < 0)
    return throw_errno (env, errno, "waitid");
  if (si.si_pid == 0)
    return make_null (env);
  return make_wait_result (env, &si);
}

/* setChildSubreaper(): orphaned descendants are reparented to us, not to
 * pid 1, so `joey run` can reap its container's init */
static napi_value
js_set_child_subreaper (napi_env env, napi_callback_info info)
{
  if (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return throw_errno (env, errno, "prctl");
  return make_undefined (env);
}

napi_status
register_wait (napi_env env, napi_value exports)
{
  napi_property_descriptor props[] = {
    EXPORT ("waitExit", js_wait_exit),
    EXPORT ("waitNoHang", js_wait_no_hang),
    EXPORT ("setChildSubreaper", js_set_child_subreaper),
  };
  return REGISTER (env, exports, props);
}
