/* addon.c — module init and the shared error helper of joey's N-API addon.
 *
 * Only thread-safe, process-local helpers live here (docs/design.md §2):
 * Node runs several threads, so nothing in this addon may change the
 * process's namespaces, cwd, root or credentials (no unshare, setns, chdir,
 * chroot, pivot_root). The single-threaded C init does that.
 * See node_api.h (NAPI_VERSION 8), errno(3), strerror(3), strerrorname_np(3). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "addon.h"

static napi_value
throw_with_message (napi_env env, int err, const char *syscall, const char *message)
{
  napi_value msg, code, error, errnum, sc;
  /* strerrorname_np gives "ENOENT"; fall back to a number for errnos glibc
   * does not know, so `code` is always a string as in Node's fs errors. */
  const char *name = strerrorname_np (err);
  char fallback[32];
  if (name == NULL)
    {
      snprintf (fallback, sizeof fallback, "E%d", err);
      name = fallback;
    }
  if (napi_create_string_utf8 (env, message, NAPI_AUTO_LENGTH, &msg) != napi_ok
      || napi_create_string_utf8 (env, name, NAPI_AUTO_LENGTH, &code) != napi_ok
      || napi_create_error (env, code, msg, &error) != napi_ok
      || napi_create_int32 (env, -err, &errnum) != napi_ok
      || napi_create_string_utf8 (env, syscall, NAPI_AUTO_LENGTH, &sc) != napi_ok
      || napi_set_named_property (env, error, "errno", errnum) != napi_ok
      || napi_set_named_property (env, error, "syscall", sc) != napi_ok)
    {
      napi_throw_error (env, name, message);
      return NULL;
    }
  napi_throw (env, error);
  return NULL;
}

napi_value
throw_errno (napi_env env, int err, const char *syscall)
{
  return throw_errno_detail (env, err, syscall, NULL);
}

napi_value
throw_errno_detail (napi_env env, int err, const char *syscall, const char *detail)
{
  char message[4096];
  if (detail != NULL && detail[0] != '\0')
    snprintf (message, sizeof message, "%s: %s: %s", syscall, strerror (err), detail);
  else
    snprintf (message, sizeof message, "%s: %s", syscall, strerror (err));
  return throw_with_message (env, err, syscall, message);
}

napi_value
throw_type (napi_env env, const char *fmt, ...)
{
  char message[512];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (message, sizeof message, fmt, ap);
  va_end (ap);
  napi_throw_type_error (env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

napi_value
throw_range (napi_env env, const char *fmt, ...)
{
  char message[512];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (message, sizeof message, fmt, ap);
  va_end (ap);
  napi_throw_range_error (env, "ERR_OUT_OF_RANGE", message);
  return NULL;
}

static napi_value
init (napi_env env, napi_value exports)
{
  napi_status (*const registrars[]) (napi_env, napi_value) = {
    register_safe_open, register_memfd, register_pidfd, register_scm,
    register_fds,       register_wait,  register_tty,   register_bpf, register_spawn,
    register_files,
    register_map,
    register_replace,
    register_exit,
    register_overlay,
    register_hash,
  };
  for (size_t i = 0; i < sizeof registrars / sizeof registrars[0]; i++)
    if (registrars[i](env, exports) != napi_ok)
      {
        napi_throw_error (env, NULL, "joey_addon: failed to register exports");
        return NULL;
      }
  return exports;
}

NAPI_MODULE (NODE_GYP_MODULE_NAME, init)
