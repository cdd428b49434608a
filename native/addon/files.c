/* files.c — batched reads of small files, for `list` (runtime.md#query-state).
 *
 * `list` derives each container's status from three or four small files
 * (state.json, /proc/<pid>/stat, exec.fifo's presence, freezer.state). From
 * Node, every open/read/close is a separate trip through fs's validation and
 * the binding; with 100 containers that is most of the command (bench/:
 * ~0.2 ms per container against crun's ~0.04). One call per batch here does
 * the same syscalls for every path at C speed.
 *
 * Never pass a FIFO to readFiles: opening exec.fifo for reading would release
 * a created container's init (runtime.md#start); its presence is asked with
 * pathsExist (faccessat, no open).
 * See open(2), read(2), faccessat(2), proc(5). */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "addon.h"

/* A file larger than this is not one of the files list reads. */
#define SMALL_MAX (64 * 1024)

/* Calls `one` for each string of the array argument and returns the array of
 * its results; NULL with an exception pending on a bad argument. */
static napi_value
map_paths (napi_env env, napi_callback_info info, napi_value (*one) (napi_env, const char *, char *), char *scratch)
{
  napi_value arr, out;
  uint32_t len;
  bool is_array = false;
  if (!get_args (env, info, 1, &arr))
    return NULL;
  if (napi_is_array (env, arr, &is_array) != napi_ok || !is_array)
    return throw_type (env, "paths must be an array of strings");
  if (napi_get_array_length (env, arr, &len) != napi_ok || napi_create_array_with_length (env, len, &out) != napi_ok)
    return NULL;
  for (uint32_t i = 0; i < len; i++)
    {
      napi_value v;
      cleanup_free char *path = NULL;
      if (napi_get_element (env, arr, i, &v) != napi_ok || !arg_string (env, v, "paths[i]", &path))
        return NULL;
      napi_value r = one (env, path, scratch);
      if (r == NULL || napi_set_element (env, out, i, r) != napi_ok)
        return NULL;
    }
  return out;
}

/* The file's text (UTF-8), or null if it cannot be opened or read or is
 * SMALL_MAX bytes or more. */
static napi_value
read_one (napi_env env, const char *path, char *buf)
{
  napi_value v = make_null (env);
  /* O_NONBLOCK: should a FIFO get here anyway, fail instead of hanging. */
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return v;
  ssize_t n = -1;
  size_t got = 0;
  /* proc files report no size: read until EOF */
  while (got < SMALL_MAX && ((n = read (fd, buf + got, SMALL_MAX - got)) > 0 || (n < 0 && errno == EINTR)))
    if (n > 0)
      got += (size_t) n;
  if (got < SMALL_MAX && n == 0 && napi_create_string_utf8 (env, buf, got, &v) != napi_ok)
    return NULL;
  return v;
}

static napi_value
exists_one (napi_env env, const char *path, char *unused)
{
  (void) unused;
  return make_bool (env, faccessat (AT_FDCWD, path, F_OK, AT_EACCESS) == 0);
}

/* readFiles(paths) -> (string | null)[] */
static napi_value
js_read_files (napi_env env, napi_callback_info info)
{
  cleanup_free char *buf = malloc (SMALL_MAX);
  if (buf == NULL)
    return throw_errno (env, ENOMEM, "malloc");
  return map_paths (env, info, read_one, buf);
}

/* pathsExist(paths) -> boolean[] (faccessat F_OK; nothing is opened) */
static napi_value
js_paths_exist (napi_env env, napi_callback_info info)
{
  return map_paths (env, info, exists_one, NULL);
}

napi_status
register_files (napi_env env, napi_value exports)
{
  napi_property_descriptor props[] = {
    EXPORT ("readFiles", js_read_files),
    EXPORT ("pathsExist", js_paths_exist),
  };
  return REGISTER (env, exports, props);
}
