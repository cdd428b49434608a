/* tty.c — terminal size: ioctl TIOCSWINSZ.
 *
 * `joey run -t` relays the user's terminal to the container's pty and keeps
 * the pty's size in step (SIGWINCH), as runc's console code does; the
 * foreground process in the container gets SIGWINCH from the kernel.
 * See ioctl_tty(2) TIOCSWINSZ, pty(7). */
#include <errno.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "addon.h"

/* setWinsize(fd, rows, cols) */
static napi_value
js_set_winsize (napi_env env, napi_callback_info info)
{
  napi_value argv[3];
  int fd;
  int64_t rows, cols;
  if (!get_args (env, info, 3, argv) || !arg_fd (env, argv[0], "fd", &fd)
      || !arg_int (env, argv[1], "rows", 0, UINT16_MAX, &rows)
      || !arg_int (env, argv[2], "cols", 0, UINT16_MAX, &cols))
    return NULL;
  struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
  if (ioctl (fd, TIOCSWINSZ, &ws) < 0)
    return throw_errno (env, errno, "ioctl(TIOCSWINSZ)");
  return make_undefined (env);
}

napi_status
register_tty (napi_env env, napi_value exports)
{
  napi_property_descriptor props[] = {
    EXPORT ("setWinsize", js_set_winsize),
  };
  return REGISTER (env, exports, props);
}
