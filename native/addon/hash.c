/* hash.c — a cheap, non-cryptographic name for a long string.
 *
 * The seccomp filter cache (src/linux/seccomp-cache.ts) names each file after
 * its ~5 KB key. The key is compared in full on every read, so the name only
 * has to spread keys, not resist anyone: FNV-1a over the UTF-8 bytes. In JS,
 * in a process whose JIT has not warmed up, that loop cost ~0.35 ms of every
 * create and run; node:crypto costs more to load than that. Here it is a few
 * microseconds. See http://www.isthe.com/chongo/tech/comp/fnv/ (FNV-1a). */
#include <stdint.h>
#include <stdio.h>

#include "addon.h"

/* fnv1a64(s) -> the 64-bit FNV-1a of s's UTF-8 bytes, as 16 hex digits */
static napi_value
js_fnv1a64 (napi_env env, napi_callback_info info)
{
  napi_value argv[1];
  if (!get_args (env, info, 1, argv))
    return NULL;
  size_t len = 0;
  cleanup_free char *s = NULL;
  if (!arg_text (env, argv[0], "s", &s, &len))
    return NULL;
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; i++)
    {
      h ^= (unsigned char) s[i];
      h *= 0x100000001b3ULL;
    }
  char hex[17];
  snprintf (hex, sizeof hex, "%016llx", (unsigned long long) h);
  napi_value out;
  if (napi_create_string_utf8 (env, hex, 16, &out) != napi_ok)
    return NULL;
  return out;
}

napi_status
register_hash (napi_env env, napi_value exports)
{
  napi_property_descriptor props[] = {
    EXPORT ("fnv1a64", js_fnv1a64),
  };
  return REGISTER (env, exports, props);
}
