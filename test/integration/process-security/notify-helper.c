/* notify-helper — a tiny seccomp user-notification agent for the tests
 * (seccomp_unotify(2)). The notify fd is inherited as fd 3; every
 * notification is answered with -ERRNO (argv[1] > 0) or success with value 0
 * (argv[1] == 0), and reported on stdout as "notif <syscall nr>". It exits 0
 * when the last task using the filter is gone (POLLHUP). */
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  int fd = 3, answer = argc > 1 ? atoi (argv[1]) : 0;
  struct seccomp_notif_sizes sizes;
  if (syscall (SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
    return 10;
  struct seccomp_notif *req = calloc (1, sizes.seccomp_notif);
  struct seccomp_notif_resp *resp = calloc (1, sizes.seccomp_notif_resp);
  if (!req || !resp)
    return 11;
  for (;;)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      int n = poll (&p, 1, 20000);
      if (n == 0)
        return 12;
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return 13;
        }
      if (!(p.revents & POLLIN) && (p.revents & POLLHUP))
        return 0;
      memset (req, 0, sizes.seccomp_notif);
      if (ioctl (fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
        {
          if (errno == EINTR || errno == ENOENT)
            continue;
          return 14;
        }
      printf ("notif %d\n", req->data.nr);
      fflush (stdout);
      memset (resp, 0, sizes.seccomp_notif_resp);
      resp->id = req->id;
      resp->error = answer > 0 ? -answer : 0;
      resp->val = 0;
      if (ioctl (fd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
        return 15;
    }
}
