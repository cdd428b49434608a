/* console.c — process.terminal: a pty from the container's own devpts, the
 * master handed to --console-socket. runtime-spec: config.md#process
 * (terminal, consoleSize), runtime-linux.md (/dev/console)
 * Kernel: pty(7), ioctl_tty(2) TIOCGPTPEER TIOCSCTTY TIOCSWINSZ, unix(7)
 * SCM_RIGHTS */
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "init.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

/* Connect while the host's filesystem is still our root (before pivot). */
/* runc's console-socket message: one sendmsg with "/dev/ptmx" as data and
 * the master as SCM_RIGHTS (clients.md §5). Shared with vmrelay.c, which
 * sends a host pty's master the same way. Returns sendmsg's result. */
int
send_pty_master (int sock, int master)
{
  char name[] = "/dev/ptmx";
  struct iovec iov = { .iov_base = name, .iov_len = sizeof name - 1 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } cm;
  memset (&cm, 0, sizeof cm);
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof cm.buf };
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &master, sizeof (int));
  return (int) sendmsg (sock, &msg, MSG_NOSIGNAL);
}

int
op_console_connect (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  const char *path = op_str (op, F_PATH);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof sa.sun_path)
    return joey_error (err, ENAMETOOLONG, "console socket `%s`", path);
  strcpy (sa.sun_path, path);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return joey_error (err, errno, "console socket: socket");
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      int e = errno;
      close (fd);
      return joey_error (err, e, "connect to console socket `%s`", path);
    }
  ctx->console_sock = fd;
  return 0;
}

/* After pivot_root, so /dev/ptmx is the container's devpts. */
int
op_console_setup (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  cleanup_close int master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return joey_error (err, errno, "open `/dev/ptmx`");
  int unlock = 0;
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0)
    return joey_error (err, errno, "unlockpt");
  /* SECURITY(CVE-2025-52565): take the peer from the master with
   * TIOCGPTPEER instead of opening /dev/pts/N by name, which the image could
   * have made a symlink to anywhere. */
  cleanup_close int slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return joey_error (err, errno, "ioctl TIOCGPTPEER");
  uint64_t rows = op_u64 (op, F_ROWS, 0), cols = op_u64 (op, F_COLS, 0);
  if (rows || cols)
    {
      struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
      ioctl (master, TIOCSWINSZ, &ws);
    }

  /* /dev/console is the pty too: created without following symlinks and
   * bind-mounted through fds, never by name. */
  cleanup_close int cons = open ("/dev/console", O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_RDONLY, 0666);
  if (cons >= 0)
    {
      struct stat st;
      if (fstat (cons, &st) == 0 && (S_ISREG (st.st_mode) || S_ISCHR (st.st_mode)))
        {
          char src[64], dst[64];
          snprintf (src, sizeof src, "/proc/self/fd/%d", slave);
          snprintf (dst, sizeof dst, "/proc/self/fd/%d", cons);
          mount (src, dst, NULL, MS_BIND, NULL);
        }
    }

  if (ctx->console_sock >= 0)
    {
      /* One sendmsg, "/dev/ptmx" as data and the master as SCM_RIGHTS, then
       * close: the receiver accepts only after create returns. */
      if (send_pty_master (ctx->console_sock, master) < 0)
        return joey_error (err, errno, "send the pty master to the console socket");
      close (ctx->console_sock);
      ctx->console_sock = -1;
    }

  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return joey_error (err, errno, "ioctl TIOCSCTTY");
  for (int fd = 0; fd < 3; fd++)
    if (dup2 (slave, fd) < 0)
      return joey_error (err, errno, "dup2 pty to fd %d", fd);
  return 0;
}
