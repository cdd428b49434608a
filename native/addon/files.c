/* files.c — batched reads of small files, for `list` (runtime.md#query-state).
 *
 * `list` derives each container's status from three or four small files
 * (state.json, /proc/<pid>/stat, exec.fifo's presence, freezer.state). From
 * Node, every open/read/close is a separate trip through fs's validation and
 * the binding; with 100 containers that is most of the command (bench/:
 * ~0.2 ms per container against crun's ~0.04). One call per batch here does
 * the same syscalls for every path at C speed.
 *
 * Two options cut the rest. `oneRead` drops the read(2) that only sees EOF,
 * one syscall in four, for files whose text comes whole in one read: a
 * regular file (a short read is its end) and the proc and cgroupfs files list
 * reads (seq_file hands a text of less than a page over whole). `stopAt` with
 * `append` keeps only what precedes a marker: list needs the first ~300 bytes
 * of a ~1.4 KB state.json (store.ts writes the cgroup section last), and
 * every byte made into a JS string is copied, decoded and later collected.
 *
 * Never pass a FIFO to readFiles: opening exec.fifo for reading would release
 * a created container's init (runtime.md#start); its presence is asked with
 * pathsExist (faccessat, no open).
 * See open(2), read(2), faccessat(2), proc(5). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "addon.h"

/* A file larger than this is not one of the files list reads. */
#define SMALL_MAX (64 * 1024)

struct read_opts
{
  char *buf; /* SMALL_MAX bytes, plus room for `append` */
  bool one_read;
  char *stop_at; /* NULL: keep the whole text */
  size_t stop_len;
  char *append;
  size_t append_len;
};

/* Calls `one` for each string of the array argument and returns the array of
 * its results; NULL with an exception pending on a bad argument. */
static napi_value
map_paths (napi_env env, napi_value arr, napi_value (*one) (napi_env, const char *, void *), void *ctx)
{
  napi_value out;
  uint32_t len;
  bool is_array = false;
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
      napi_value r = one (env, path, ctx);
      if (r == NULL || napi_set_element (env, out, i, r) != napi_ok)
        return NULL;
    }
  return out;
}

/* The file's text (UTF-8), or null if it cannot be opened or read or is
 * SMALL_MAX bytes or more; cut at opts->stop_at. */
static napi_value
read_one (napi_env env, const char *path, void *ctx)
{
  const struct read_opts *o = ctx;
  char *buf = o->buf;
  napi_value v = make_null (env);
  /* O_NONBLOCK: should a FIFO get here anyway, fail instead of hanging. */
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return v;
  ssize_t n = -1;
  size_t got = 0;
  /* proc files report no size: read until EOF, or until the first short read
   * with oneRead (n == 0 stands for the EOF that read would have seen) */
  while (got < SMALL_MAX && ((n = read (fd, buf + got, SMALL_MAX - got)) > 0 || (n < 0 && errno == EINTR)))
    if (n > 0)
      {
        got += (size_t) n;
        if (o->one_read && got < SMALL_MAX)
          {
            n = 0;
            break;
          }
      }
  if (got >= SMALL_MAX || n != 0)
    return v;
  if (o->stop_at != NULL)
    {
      char *at = memmem (buf, got, o->stop_at, o->stop_len);
      if (at != NULL)
        {
          /* buf has append_len bytes of room past SMALL_MAX */
          if (o->append_len > 0)
            memcpy (at, o->append, o->append_len);
          got = (size_t) (at - buf) + o->append_len;
        }
    }
  if (napi_create_string_utf8 (env, buf, got, &v) != napi_ok)
    return NULL;
  return v;
}

static napi_value
exists_one (napi_env env, const char *path, void *unused)
{
  (void) unused;
  return make_bool (env, faccessat (AT_FDCWD, path, F_OK, AT_EACCESS) == 0);
}

/* opts[name] as a string, or *out left NULL when it is undefined. */
static bool
opt_string (napi_env env, napi_value opts, const char *name, char **out, size_t *len)
{
  napi_value v;
  napi_valuetype t;
  if (napi_get_named_property (env, opts, name, &v) != napi_ok || napi_typeof (env, v, &t) != napi_ok)
    return false;
  if (t == napi_undefined)
    return true;
  if (!arg_string (env, v, name, out))
    return false;
  *len = strlen (*out);
  return true;
}

/* readFiles(paths, { oneRead?, stopAt?, append? }?) -> (string | null)[] */
static napi_value
js_read_files (napi_env env, napi_callback_info info)
{
  napi_value argv[2];
  napi_valuetype t;
  struct read_opts o = { 0 };
  cleanup_free char *stop_at = NULL;
  cleanup_free char *append = NULL;
  if (!get_args (env, info, 2, argv) || napi_typeof (env, argv[1], &t) != napi_ok)
    return NULL;
  if (t != napi_undefined)
    {
      napi_value v;
      napi_valuetype vt;
      if (t != napi_object)
        return throw_type (env, "`opts` must be an object");
      if (napi_get_named_property (env, argv[1], "oneRead", &v) != napi_ok || napi_typeof (env, v, &vt) != napi_ok)
        return NULL;
      if (vt != napi_undefined && !arg_bool (env, v, "oneRead", &o.one_read))
        return NULL;
      if (!opt_string (env, argv[1], "stopAt", &stop_at, &o.stop_len)
          || !opt_string (env, argv[1], "append", &append, &o.append_len))
        return NULL;
      if (stop_at != NULL && o.stop_len == 0)
        return throw_type (env, "`stopAt` must not be empty");
      if (append != NULL && stop_at == NULL)
        return throw_type (env, "`append` needs `stopAt`");
      if (o.append_len > 4096)
        return throw_range (env, "`append` must be at most 4096 bytes");
      o.stop_at = stop_at;
      o.append = append;
    }
  cleanup_free char *buf = malloc (SMALL_MAX + o.append_len);
  if (buf == NULL)
    return throw_errno (env, ENOMEM, "malloc");
  o.buf = buf;
  return map_paths (env, argv[0], read_one, &o);
}

/* pathsExist(paths) -> boolean[] (faccessat F_OK; nothing is opened) */
static napi_value
js_paths_exist (napi_env env, napi_callback_info info)
{
  napi_value arr;
  if (!get_args (env, info, 1, &arr))
    return NULL;
  return map_paths (env, arr, exists_one, NULL);
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
