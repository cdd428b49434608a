/* exit.c — end the process at once, for fast.ts exitIfIdle.
 *
 * A joey verb that is done, with nothing pending on its event loop and its
 * 'exit' listeners run (the code cache is saved there), has nothing left to
 * do that the kernel would not do anyway. process.exit() still goes through
 * Node's Environment exit: it disposes the V8 platform (joining its worker
 * threads), runs the atexit handlers (OpenSSL's cleanup among them) and the
 * static destructors. That measured ~2.3 ms of a `node` process here
 * (paired, 30 rounds: process.exit 0.984× a natural exit, _exit 0.950×).
 * Node writes process.stdout and process.stderr synchronously on Linux to
 * files, pipes and terminals, and joey's log appends with fs.appendFileSync, so no
 * buffered output is lost; nothing here uses C stdio.
 * See _exit(2), exit(3). */
#include <unistd.h>

#include "addon.h"

/* exitNow(code): _exit(code & 0xff); never returns. */
static napi_value
js_exit_now (napi_env env, napi_callback_info info)
{
  napi_value argv[1];
  int64_t code;
  if (!get_args (env, info, 1, argv) || !arg_int (env, argv[0], "code", 0, 255, &code))
    return NULL;
  _exit ((int) code);
}

napi_status
register_exit (napi_env env, napi_value exports)
{
  napi_property_descriptor props[] = {
    EXPORT ("exitNow", js_exit_now),
  };
  return REGISTER (env, exports, props);
}
