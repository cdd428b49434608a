/* addon.h — shared helpers of the N-API addon (docs/design.md §2).
 *
 * Every export is a plain napi_callback. Failures follow Node's fs errors:
 * an Error with `code` (errno name), `errno` (negative), `syscall`; bad
 * argument types raise a TypeError with code ERR_INVALID_ARG_TYPE, out of
 * range values a RangeError with code ERR_OUT_OF_RANGE.
 * See node_api.h, errno(3), strerrorname_np(3). */
#ifndef JOEY_ADDON_H
#define JOEY_ADDON_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

static inline void
cleanup_dir_fn (DIR **d)
{
  if (*d != NULL)
    closedir (*d);
}
/* `cleanup_dir DIR *d = open_dir_fd (fd);` closes it on every return path. */
#define cleanup_dir __attribute__ ((cleanup (cleanup_dir_fn)))

/* fdopendir(fd), which owns fd from then on: closed on failure too. NULL with errno. */
static inline DIR *
open_dir_fd (int fd)
{
  DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      int err = errno;
      close (fd);
      errno = err;
    }
  return d;
}

/* The next entry other than "." and "..": NULL with errno 0 at the end, or
 * with errno set on a getdents64 error. */
static inline struct dirent *
next_entry (DIR *d)
{
  for (;;)
    {
      errno = 0;
      struct dirent *e = readdir (d);
      if (e == NULL || (strcmp (e->d_name, ".") != 0 && strcmp (e->d_name, "..") != 0))
        return e;
    }
}

/* Most exports take at most five arguments. */
#define ADDON_MAX_ARGS 6

/* Throw `<syscall>: <strerror>` with code/errno/syscall set; returns NULL so
 * callbacks can `return throw_errno (...)`. */
napi_value throw_errno (napi_env env, int err, const char *syscall);
/* The same, with `: <detail>` appended to the message (the bpf verifier log). */
napi_value throw_errno_detail (napi_env env, int err, const char *syscall, const char *detail);
napi_value throw_type (napi_env env, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
napi_value throw_range (napi_env env, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Fetch exactly `n` arguments (missing ones read as undefined and then fail
 * their type check). Returns false with an exception pending. */
bool get_args (napi_env env, napi_callback_info info, size_t n, napi_value *argv);

/* Argument readers: each returns false with a TypeError/RangeError pending. */
bool arg_int (napi_env env, napi_value v, const char *name, int64_t min, int64_t max, int64_t *out);
bool arg_fd (napi_env env, napi_value v, const char *name, int *out);     /* >= 0 */
bool arg_dirfd (napi_env env, napi_value v, const char *name, int *out);  /* >= 0 or AT_FDCWD */
bool arg_bool (napi_env env, napi_value v, const char *name, bool *out);
/* A NUL-free string, malloc'd into *out (free it: `cleanup_free char *s`). */
bool arg_string (napi_env env, napi_value v, const char *name, char **out);
/* Any string as UTF-8, NULs and all, malloc'd into *out with its length
 * (file contents and hash input, not paths). */
bool arg_text (napi_env env, napi_value v, const char *name, char **out, size_t *out_len);
/* A Buffer or other ArrayBufferView; the memory stays owned by JS. */
bool arg_buffer (napi_env env, napi_value v, const char *name, void **data, size_t *len);

/* poll(2) one fd for POLLIN for at most timeout_ms (-1: forever), restarting
 * after EINTR with the time left. Returns poll's result; revents gets the
 * fd's events. Defined in fds.c. */
int poll_in (int fd, int timeout_ms, short *revents);

napi_value make_int (napi_env env, int64_t v);
napi_value make_undefined (napi_env env);
napi_value make_null (napi_env env);
napi_value make_bool (napi_env env, bool v);

/* One napi_property_descriptor per export, collected by addon.c. */
#define EXPORT(name, fn) { name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL }

/* Each concept file registers its exports (addon.c calls them in order). */
napi_status register_safe_open (napi_env env, napi_value exports);
napi_status register_memfd (napi_env env, napi_value exports);
napi_status register_pidfd (napi_env env, napi_value exports);
napi_status register_scm (napi_env env, napi_value exports);
napi_status register_fds (napi_env env, napi_value exports);
napi_status register_wait (napi_env env, napi_value exports);
napi_status register_tty (napi_env env, napi_value exports);
napi_status register_bpf (napi_env env, napi_value exports);
napi_status register_spawn (napi_env env, napi_value exports);
napi_status register_files (napi_env env, napi_value exports);
napi_status register_map (napi_env env, napi_value exports);
napi_status register_replace (napi_env env, napi_value exports);
napi_status register_exit (napi_env env, napi_value exports);
napi_status register_overlay (napi_env env, napi_value exports);
napi_status register_hash (napi_env env, napi_value exports);

#define REGISTER(env, exports, table) \
  napi_define_properties ((env), (exports), sizeof (table) / sizeof ((table)[0]), (table))

#endif
