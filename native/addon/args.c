/* args.c — argument checks and value constructors shared by the exports.
 *
 * Every fd, flag and length crosses from JS as a double; reject anything that
 * is not an exact integer in range rather than letting N-API truncate it
 * (a truncated fd would act on the wrong file). See node_api.h. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "addon.h"

bool
get_args (napi_env env, napi_callback_info info, size_t n, napi_value *argv)
{
  size_t argc = n;
  if (n > ADDON_MAX_ARGS || napi_get_cb_info (env, info, &argc, argv, NULL, NULL) != napi_ok)
    {
      napi_throw_error (env, NULL, "joey_addon: cannot read arguments");
      return false;
    }
  /* N-API fills missing slots with undefined, so the type checks report them. */
  return true;
}

bool
arg_int (napi_env env, napi_value v, const char *name, int64_t min, int64_t max, int64_t *out)
{
  napi_valuetype t;
  double d;
  if (napi_typeof (env, v, &t) != napi_ok || t != napi_number
      || napi_get_value_double (env, v, &d) != napi_ok || !isfinite (d) || d != floor (d))
    {
      throw_type (env, "`%s` must be an integer", name);
      return false;
    }
  if (d < (double) min || d > (double) max)
    {
      throw_range (env, "`%s` must be >= %lld and <= %lld, got %.0f", name, (long long) min,
                   (long long) max, d);
      return false;
    }
  *out = (int64_t) d;
  return true;
}

bool
arg_fd (napi_env env, napi_value v, const char *name, int *out)
{
  int64_t n;
  if (!arg_int (env, v, name, 0, INT32_MAX, &n))
    return false;
  *out = (int) n;
  return true;
}

bool
arg_dirfd (napi_env env, napi_value v, const char *name, int *out)
{
  int64_t n;
  if (!arg_int (env, v, name, AT_FDCWD, INT32_MAX, &n))
    return false;
  if (n < 0 && n != AT_FDCWD)
    {
      throw_range (env, "`%s` must be an fd or AT_FDCWD (%d), got %lld", name, AT_FDCWD,
                   (long long) n);
      return false;
    }
  *out = (int) n;
  return true;
}

bool
arg_bool (napi_env env, napi_value v, const char *name, bool *out)
{
  napi_valuetype t;
  if (napi_typeof (env, v, &t) != napi_ok || t != napi_boolean
      || napi_get_value_bool (env, v, out) != napi_ok)
    {
      throw_type (env, "`%s` must be a boolean", name);
      return false;
    }
  return true;
}

bool
arg_text (napi_env env, napi_value v, const char *name, char **out, size_t *out_len)
{
  napi_valuetype t;
  size_t len, copied;
  if (napi_typeof (env, v, &t) != napi_ok || t != napi_string
      || napi_get_value_string_utf8 (env, v, NULL, 0, &len) != napi_ok)
    {
      throw_type (env, "`%s` must be a string", name);
      return false;
    }
  char *s = malloc (len + 1);
  if (s == NULL)
    {
      throw_errno (env, ENOMEM, "malloc");
      return false;
    }
  if (napi_get_value_string_utf8 (env, v, s, len + 1, &copied) != napi_ok)
    {
      free (s);
      throw_type (env, "`%s` must be a string", name);
      return false;
    }
  *out = s;
  *out_len = copied;
  return true;
}

bool
arg_string (napi_env env, napi_value v, const char *name, char **out)
{
  char *s;
  size_t copied;
  if (!arg_text (env, v, name, &s, &copied))
    return false;
  /* An embedded NUL would silently cut the path short in the syscall. */
  if (strlen (s) != copied)
    {
      free (s);
      throw_type (env, "`%s` must not contain NUL bytes", name);
      return false;
    }
  *out = s;
  return true;
}

bool
arg_buffer (napi_env env, napi_value v, const char *name, void **data, size_t *len)
{
  bool is_buffer = false;
  if (napi_is_buffer (env, v, &is_buffer) == napi_ok && is_buffer)
    return napi_get_buffer_info (env, v, data, len) == napi_ok
           || (throw_type (env, "`%s` must be a Buffer", name), false);
  bool is_view = false;
  napi_typedarray_type type;
  size_t count, offset;
  napi_value ab;
  if (napi_is_typedarray (env, v, &is_view) == napi_ok && is_view
      && napi_get_typedarray_info (env, v, &type, &count, data, &ab, &offset) == napi_ok
      && (type == napi_uint8_array || type == napi_int8_array || type == napi_uint8_clamped_array))
    {
      *len = count;
      return true;
    }
  throw_type (env, "`%s` must be a Buffer", name);
  return false;
}

napi_value
make_int (napi_env env, int64_t v)
{
  napi_value r = NULL;
  napi_create_int64 (env, v, &r);
  return r;
}

napi_value
make_undefined (napi_env env)
{
  napi_value r = NULL;
  napi_get_undefined (env, &r);
  return r;
}

napi_value
make_null (napi_env env)
{
  napi_value r = NULL;
  napi_get_null (env, &r);
  return r;
}

napi_value
make_bool (napi_env env, bool v)
{
  napi_value r = NULL;
  napi_get_boolean (env, v, &r);
  return r;
}
