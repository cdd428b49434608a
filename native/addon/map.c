/* map.c — files mapped into JS without a copy, for loading the big verb
 * bundles and their V8 code cache (src/cli/code-cache.ts).
 *
 * `run`, `create` and `exec` start by reading a ~180 KB bundle and a ~220 KB
 * code cache. Read through fs, each byte lands in fresh memory twice (the
 * read buffer, then the V8 string), and on this machine a page fault on
 * fresh memory is the expensive part: the two reads took 3.4–3.8 ms of every
 * `run`. Mapped from the page cache (fault-around maps 16 pages per fault)
 * they take ~0.2 ms. The bundle becomes an external one-byte V8 string, the
 * cache an external Buffer; both are read-only private mappings, unmapped
 * when V8 collects them.
 *
 * A mapping follows later writes to the same inode, and a truncation makes
 * reading past the new end fault (SIGBUS). So only map files that are
 * replaced by rename(2), never rewritten in place: scripts/bundle.mjs and
 * code-cache.ts write both kinds that way.
 * See mmap(2), node_api.h (napi_create_external_buffer,
 * node_api_create_external_string_latin1). */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addon.h"

/* Node 20.4+ exports it as an experimental API (stable in later Node-API
 * versions). Declared weak instead of building every file with
 * NAPI_EXPERIMENTAL: a Node without it leaves it NULL and gets a copy. */
extern napi_status node_api_create_external_string_latin1 (napi_env env, char *str, size_t length, napi_finalize finalize_cb,
                                                           void *finalize_hint, napi_value *result, bool *copied)
    __attribute__ ((weak));

struct mapping
{
  void *addr;
  size_t len;
};

/* The whole file read-only; len 0 (and addr NULL) for an empty file. */
static int
map_file (const char *path, struct mapping *m)
{
  m->addr = NULL;
  m->len = 0;
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    return -errno;
  if (!S_ISREG (st.st_mode))
    return -EINVAL;
  if (st.st_size == 0)
    return 0;
  void *p = mmap (NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED)
    return -errno;
  m->addr = p;
  m->len = (size_t) st.st_size;
  return 0;
}

static void
unmap (napi_env env, void *data, void *hint)
{
  (void) env;
  munmap (data, (size_t) (uintptr_t) hint);
}

static bool
is_ascii (const unsigned char *p, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (p[i] & 0x80)
      return false;
  return true;
}

/* The mapping of the file named by the call's one argument; false with an
 * exception pending. */
static bool
map_arg (napi_env env, napi_callback_info info, struct mapping *m)
{
  napi_value argv[1];
  cleanup_free char *path = NULL;
  if (!get_args (env, info, 1, argv) || !arg_string (env, argv[0], "path", &path))
    return false;
  int r = map_file (path, m);
  if (r < 0)
    return throw_errno (env, -r, "open"), false;
  return true;
}

/* mapBuffer(path): a read-only Buffer over the file (writing to it faults). */
static napi_value
js_map_buffer (napi_env env, napi_callback_info info)
{
  napi_value out;
  struct mapping m;
  if (!map_arg (env, info, &m))
    return NULL;
  if (m.len == 0)
    return napi_create_buffer (env, 0, NULL, &out) == napi_ok ? out : NULL;
  if (napi_create_external_buffer (env, m.len, m.addr, unmap, (void *) (uintptr_t) m.len, &out) != napi_ok)
    {
      munmap (m.addr, m.len);
      return NULL;
    }
  return out;
}

/* mapSource(path): the file's text. Pure ASCII (esbuild's default output)
 * becomes an external one-byte string over the mapping; anything else is
 * decoded as UTF-8 into an ordinary string and the mapping dropped. */
static napi_value
js_map_source (napi_env env, napi_callback_info info)
{
  napi_value out;
  struct mapping m;
  if (!map_arg (env, info, &m))
    return NULL;
  if (m.len == 0)
    return napi_create_string_latin1 (env, "", 0, &out) == napi_ok ? out : NULL;
  if (node_api_create_external_string_latin1 != NULL && is_ascii (m.addr, m.len))
    {
      bool copied = false;
      /* On success V8 owns the mapping (unmap runs when the string is
       * collected, or at once if Node had to copy). */
      if (node_api_create_external_string_latin1 (env, m.addr, m.len, unmap, (void *) (uintptr_t) m.len, &out, &copied) == napi_ok)
        return out;
      munmap (m.addr, m.len);
      return NULL;
    }
  napi_status s = napi_create_string_utf8 (env, m.addr, m.len, &out);
  munmap (m.addr, m.len);
  return s == napi_ok ? out : NULL;
}

napi_status
register_map (napi_env env, napi_value exports)
{
  napi_property_descriptor props[] = {
    EXPORT ("mapBuffer", js_map_buffer),
    EXPORT ("mapSource", js_map_source),
  };
  return REGISTER (env, exports, props);
}
