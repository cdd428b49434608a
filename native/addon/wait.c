/* wait.c — reaping children: waitid(2) and PR_SET_CHILD_SUBREAPER.
 *
 * waitAsync blocks in waitid(P_PID, pid, WEXITED) on a libuv pool thread and
 * resolves a Promise on the JS thread, so `joey run` can wait for its
 * container without polling. It holds one pool thread (4 by default,
 * UV_THREADPOOL_SIZE) until the child exits.
 *
 * WHY: libuv reaps the children it spawned itself (waitpid on each pid when
 * SIGCHLD arrives). For a child_process.spawn() child, whichever of libuv and
 * waitid reaps first wins and the other sees ECHILD; use these calls for
 * processes libuv does not track, e.g. orphans reparented to a subreaper.
 * See waitid(2), prctl(2) PR_SET_CHILD_SUBREAPER, napi_create_async_work. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

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

struct wait_work
{
  napi_async_work work;
  napi_deferred deferred;
  pid_t pid;
  siginfo_t si; /* filled on the pool thread */
  int err;      /* errno from waitid, 0 on success */
};

/* Runs on a pool thread: no N-API calls here. */
static void
wait_execute (napi_env env, void *data)
{
  struct wait_work *w = data;
  memset (&w->si, 0, sizeof w->si);
  int r;
  do
    r = waitid (P_PID, (id_t) w->pid, &w->si, WEXITED);
  while (r < 0 && errno == EINTR);
  w->err = r < 0 ? errno : 0;
}

/* Back on the JS thread: settle the promise and free the work. */
static void
wait_complete (napi_env env, napi_status status, void *data)
{
  struct wait_work *w = data;
  napi_value value = NULL;
  if (status == napi_cancelled)
    w->err = ECANCELED;
  if (w->err == 0)
    value = make_wait_result (env, &w->si);
  if (value != NULL)
    napi_resolve_deferred (env, w->deferred, value);
  else
    {
      /* Build the same Error the sync calls throw, then take it back. */
      throw_errno (env, w->err ? w->err : ENOMEM, "waitid");
      napi_get_and_clear_last_exception (env, &value);
      napi_reject_deferred (env, w->deferred, value);
    }
  napi_delete_async_work (env, w->work);
  free (w);
}

/* waitAsync(pid) -> Promise<{code, signal}> */
static napi_value
js_wait_async (napi_env env, napi_callback_info info)
{
  napi_value argv[1], promise, name;
  int64_t pid;
  if (!get_args (env, info, 1, argv) || !arg_int (env, argv[0], "pid", 1, INT32_MAX, &pid))
    return NULL;
  struct wait_work *w = calloc (1, sizeof *w);
  if (w == NULL)
    return throw_errno (env, ENOMEM, "malloc");
  w->pid = (pid_t) pid;
  if (napi_create_promise (env, &w->deferred, &promise) != napi_ok
      || napi_create_string_utf8 (env, "joey:waitid", NAPI_AUTO_LENGTH, &name) != napi_ok
      || napi_create_async_work (env, NULL, name, wait_execute, wait_complete, w, &w->work) != napi_ok)
    {
      free (w);
      return NULL;
    }
  if (napi_queue_async_work (env, w->work) != napi_ok)
    {
      napi_delete_async_work (env, w->work);
      free (w);
      return NULL;
    }
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
  /* waitid(2): with WNOHANG and no exited child, si_pid stays 0. */
  memset (&si, 0, sizeof si);
  int r;
  do
    r = waitid (P_PID, (id_t) pid, &si, WEXITED | WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r < 0)
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
    EXPORT ("waitAsync", js_wait_async),
    EXPORT ("waitNoHang", js_wait_no_hang),
    EXPORT ("setChildSubreaper", js_set_child_subreaper),
  };
  return REGISTER (env, exports, props);
}
