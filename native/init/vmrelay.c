/* vmrelay.c — the host half of a --vm container's terminal: `joey-init
 * vm-relay` (docs/vm.md §6.10; runtime-spec config.md#process terminal,
 * consoleSize; clients.md on --console-socket).
 *
 * A --console-socket client (containerd's shim, conmon) wants a pty master
 * it can read, write and resize, while the container's pty lives in the
 * guest. This relay makes a host pty, sends its master to the console socket
 * exactly as the init does in namespace mode (one sendmsg: "/dev/ptmx" and
 * one SCM_RIGHTS fd), and then copies between the host pty's slave and the
 * microVM's `con` virtio-serial port (QEMU's <state>/con.sock): raw bytes
 * from the guest, `I <len>` / `W <rows> <cols>` frames to it (agent.c).
 *
 * It is the one host process besides QEMU that stays resident for such a
 * container, as Kata 1.x kept its kata-shim per process: QEMU alone could
 * copy bytes to a host tty, but nothing would see the client's TIOCSWINSZ.
 * Here the slave is our controlling terminal (we are a session leader), so
 * the kernel's pty_resize sends us SIGWINCH and we forward the size. It is
 * C, not Node, so it costs ~1 MB instead of ~40 MB; it exits when QEMU
 * closes the port (the VM is gone) or the client hangs up the master.
 *
 * usage: joey-init vm-relay <console-socket> <con.sock> <rows> <cols>
 * Prints the daemon's pid once the master was sent; exit status 1 and one
 * line on stderr otherwise.
 * Kernel: pty(7), ioctl_tty(2) TIOCGPTPEER TIOCSCTTY TIOCGWINSZ, termios(3)
 * cfmakeraw, unix(7) SCM_RIGHTS, signalfd(2), setsid(2) */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "init.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

int vmrelay_main (int argc, char **argv);

static int
fail (const char *what)
{
  fprintf (stderr, "vm-relay: %s: %s\n", what, strerror (errno));
  return 1;
}

static int
connect_unix (const char *path)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof sa.sun_path)
    {
      errno = ENAMETOOLONG;
      return -1;
    }
  strcpy (sa.sun_path, path);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      int e = errno;
      close (fd);
      errno = e;
      return -1;
    }
  return fd;
}

static int
send_size (int con, int slave)
{
  struct winsize ws;
  if (ioctl (slave, TIOCGWINSZ, &ws) < 0)
    return 0;
  char m[48];
  int k = snprintf (m, sizeof m, "W %u %u\n", ws.ws_row, ws.ws_col);
  return write_all (con, m, (size_t) k);
}

static int
relay (int con, int slave, int sigfd)
{
  static char buf[4096 + 32];
  for (;;)
    {
      struct pollfd pf[3] = { { .fd = slave, .events = POLLIN }, { .fd = con, .events = POLLIN }, { .fd = sigfd, .events = POLLIN } };
      if (poll (pf, 3, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return 1;
        }
      if (pf[2].revents)
        {
          struct signalfd_siginfo si;
          while (read (sigfd, &si, sizeof si) == sizeof si)
            if (si.ssi_signo == SIGWINCH)
              {
                if (send_size (con, slave) < 0)
                  return 0;
              }
            else /* SIGHUP: the client closed the master; SIGTERM */
              return 0;
        }
      if (pf[1].revents)
        {
          ssize_t n = read (con, buf, 4096);
          if (n <= 0) /* QEMU closed the port: the VM is gone */
            return 0;
          if (write_all (slave, buf, (size_t) n) < 0)
            return 0;
        }
      if (pf[0].revents)
        {
          ssize_t n = read (slave, buf + 32, 4096);
          if (n <= 0) /* EIO: nobody holds the master any more */
            return 0;
          int h = snprintf (buf, 32, "I %zd\n", n);
          memmove (buf + h, buf + 32, (size_t) n);
          if (write_all (con, buf, (size_t) h + (size_t) n) < 0)
            return 0;
        }
    }
}

int
vmrelay_main (int argc, char **argv)
{
  if (argc < 6)
    {
      fprintf (stderr, "vm-relay: usage: vm-relay <console-socket> <con.sock> <rows> <cols>\n");
      return 2;
    }
  const char *console_socket = argv[2], *con_path = argv[3];
  int master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return fail ("open `/dev/ptmx`");
  int unlock = 0;
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0)
    return fail ("unlockpt");
  int slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return fail ("ioctl TIOCGPTPEER");
  /* The guest's pty does the line discipline; this one passes bytes through. */
  struct termios t;
  if (tcgetattr (slave, &t) == 0)
    {
      cfmakeraw (&t);
      tcsetattr (slave, TCSANOW, &t);
    }
  long rows = atol (argv[4]), cols = atol (argv[5]);
  if (rows > 0 && cols > 0 && rows < 65536 && cols < 65536)
    {
      struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
      ioctl (master, TIOCSWINSZ, &ws);
    }

  int con = -1;
  for (int i = 0; i < 200 && con < 0; i++)
    {
      con = connect_unix (con_path);
      if (con < 0 && errno != ENOENT && errno != ECONNREFUSED)
        break;
      if (con < 0)
        {
          struct timespec ts = { 0, 10 * 1000 * 1000 };
          nanosleep (&ts, NULL);
        }
    }
  if (con < 0)
    return fail ("connect to the microVM's console port");

  int cs = connect_unix (console_socket);
  if (cs < 0)
    return fail ("connect to the console socket");
  if (send_pty_master (cs, master) < 0)
    return fail ("send the pty master to the console socket");
  close (cs);
  close (master);

  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGWINCH);
  sigaddset (&set, SIGHUP);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGPIPE);
  sigprocmask (SIG_BLOCK, &set, NULL);
  pid_t pid = fork ();
  if (pid < 0)
    return fail ("fork");
  if (pid > 0)
    {
      printf ("%d\n", pid);
      return 0;
    }
  /* The session leader whose controlling terminal is the slave: the client's
   * resize of the master reaches us as SIGWINCH. */
  setsid ();
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    fprintf (stderr, "vm-relay: TIOCSCTTY: %s (resizes will not be forwarded)\n", strerror (errno));
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0)
    {
      dup2 (null, 0);
      dup2 (null, 1);
      dup2 (null, 2);
    }
  int sigfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sigfd < 0)
    return 1;
  /* the client may have sized the master between our send and now */
  send_size (con, slave);
  return relay (con, slave, sigfd);
}
