/* scm.c — AF_UNIX sockets and fd passing with SCM_RIGHTS.
 *
 * The runtime and the init talk over a SOCK_SEQPACKET pair: message
 * boundaries are kept, so a short read can never split a message, and fds
 * (the pty master for --console-socket, the pidfd for --pidfd-socket) ride
 * along as one SCM_RIGHTS control message. Received fds get MSG_CMSG_CLOEXEC
 * so they never leak into a later spawn (CVE-2024-21626 was an fd leak).
 * See unix(7), socketpair(2), sendmsg(2), recvmsg(2), cmsg(3), poll(2). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "addon.h"

/* SCM_MAX_FD in the kernel: the most fds one SCM_RIGHTS message may carry. */
#define MAX_FDS 253
/* recvmsg's buffer is allocated per call; bound it. */
#define MAX_RECV (64 << 20)

/* socketpair() -> [fd, fd], AF_UNIX SOCK_SEQPACKET, both O_CLOEXEC */
static napi_value
js_socketpair (napi_env env, napi_callback_info info)
{
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return throw_errno (env, errno, "socketpair");
  cleanup_close int a = sv[0];
  cleanup_close int b = sv[1];
  /* A plan can be large and one SEQPACKET message must fit the buffer whole;
   * best effort: the kernel caps this at net.core.wmem_max/rmem_max. */
  int size = 1 << 20;
  for (int i = 0; i < 2; i++)
    {
      setsockopt (sv[i], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
      setsockopt (sv[i], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
  napi_value arr;
  if (napi_create_array_with_length (env, 2, &arr) != napi_ok
      || napi_set_element (env, arr, 0, make_int (env, a)) != napi_ok
      || napi_set_element (env, arr, 1, make_int (env, b)) != napi_ok)
    return NULL;
  steal_fd (&a);
  steal_fd (&b);
  return arr;
}

static bool
arg_fd_array (napi_env env, napi_value v, int *fds, uint32_t *count)
{
  bool is_array = false;
  if (napi_is_array (env, v, &is_array) != napi_ok || !is_array
      || napi_get_array_length (env, v, count) != napi_ok)
    {
      throw_type (env, "`fds` must be an array of fds");
      return false;
    }
  if (*count > MAX_FDS)
    {
      throw_range (env, "`fds` may hold at most %d fds", MAX_FDS);
      return false;
    }
  for (uint32_t i = 0; i < *count; i++)
    {
      napi_value e;
      if (napi_get_element (env, v, i, &e) != napi_ok || !arg_fd (env, e, "fds[]", &fds[i]))
        return false;
    }
  return true;
}

/* sendmsg(fd, data, fds): one message; fds go as one SCM_RIGHTS cmsg */
static napi_value
js_sendmsg (napi_env env, napi_callback_info info)
{
  napi_value argv[3];
  int fd;
  void *data;
  size_t len;
  int fds[MAX_FDS];
  uint32_t nfds = 0;
  if (!get_args (env, info, 3, argv) || !arg_fd (env, argv[0], "fd", &fd)
      || !arg_buffer (env, argv[1], "data", &data, &len) || !arg_fd_array (env, argv[2], fds, &nfds))
    return NULL;
  /* WHY: on a SOCK_STREAM socket a zero-byte sendmsg sends nothing, so the
   * fds would silently stay behind; require a byte to carry them. */
  if (nfds > 0 && len == 0)
    return throw_range (env, "`data` must hold at least one byte when passing fds");

  union
  {
    char buf[CMSG_SPACE (sizeof (int) * MAX_FDS)];
    struct cmsghdr align;
  } control;
  struct iovec iov = { .iov_base = data, .iov_len = len };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (nfds > 0)
    {
      memset (&control, 0, sizeof control);
      msg.msg_control = control.buf;
      msg.msg_controllen = CMSG_SPACE (sizeof (int) * nfds);
      struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int) * nfds);
      memcpy (CMSG_DATA (c), fds, sizeof (int) * nfds);
    }

  /* MSG_NOSIGNAL: a dead peer is an EPIPE error here, not a SIGPIPE that
   * kills the runtime. A stream socket may take only part of the data; the
   * fds went with the first part, so send the rest without them. */
  size_t sent = 0;
  do
    {
      ssize_t n = sendmsg (fd, &msg, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return throw_errno (env, errno, "sendmsg");
      sent += (size_t) n;
      iov.iov_base = (char *) data + sent;
      iov.iov_len = len - sent;
      msg.msg_control = NULL;
      msg.msg_controllen = 0;
    }
  while (sent < len);
  return make_undefined (env);
}

static void
close_all (const int *fds, size_t n)
{
  for (size_t i = 0; i < n; i++)
    close (fds[i]);
}

/* recvmsg(fd, maxlen, timeoutMs) -> {data, fds, eof}; ETIMEDOUT on timeout */
static napi_value
js_recvmsg (napi_env env, napi_callback_info info)
{
  napi_value argv[3];
  int fd;
  int64_t maxlen, timeout;
  if (!get_args (env, info, 3, argv) || !arg_fd (env, argv[0], "fd", &fd)
      || !arg_int (env, argv[1], "maxlen", 1, MAX_RECV, &maxlen)
      || !arg_int (env, argv[2], "timeoutMs", -1, INT32_MAX, &timeout))
    return NULL;

  short revents = 0;
  int r = poll_in (fd, (int) timeout, &revents);
  if (r < 0)
    return throw_errno (env, errno, "poll");
  if (r == 0)
    return throw_errno (env, ETIMEDOUT, "recvmsg");
  if (revents & POLLNVAL)
    return throw_errno (env, EBADF, "recvmsg");

  cleanup_free char *buf = malloc ((size_t) maxlen);
  if (buf == NULL)
    return throw_errno (env, ENOMEM, "malloc");
  union
  {
    char buf[CMSG_SPACE (sizeof (int) * MAX_FDS)];
    struct cmsghdr align;
  } control;
  struct iovec iov = { .iov_base = buf, .iov_len = (size_t) maxlen };
  struct msghdr msg = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = control.buf,
    .msg_controllen = sizeof control.buf,
  };
  ssize_t n;
  do
    n = recvmsg (fd, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return throw_errno (env, errno, "recvmsg");

  int fds[MAX_FDS];
  size_t nfds = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c != NULL; c = CMSG_NXTHDR (&msg, c))
    {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        continue;
      size_t k = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
      for (size_t i = 0; i < k && nfds < MAX_FDS; i++)
        memcpy (&fds[nfds++], CMSG_DATA (c) + i * sizeof (int), sizeof (int));
    }
  /* A cut-off message or fd list would be misread later; refuse it whole. */
  if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
    {
      close_all (fds, nfds);
      return throw_errno (env, EMSGSIZE, "recvmsg");
    }

  napi_value result, data, fd_array;
  if (napi_create_object (env, &result) != napi_ok
      || napi_create_buffer_copy (env, (size_t) n, buf, NULL, &data) != napi_ok
      || napi_create_array_with_length (env, nfds, &fd_array) != napi_ok)
    {
      close_all (fds, nfds);
      return NULL;
    }
  for (size_t i = 0; i < nfds; i++)
    napi_set_element (env, fd_array, (uint32_t) i, make_int (env, fds[i]));
  /* WHY: recvmsg returns 0 both at EOF and for an empty SEQPACKET message;
   * an empty message carrying fds is data, one without is taken as EOF. */
  if (napi_set_named_property (env, result, "data", data) != napi_ok
      || napi_set_named_property (env, result, "fds", fd_array) != napi_ok
      || napi_set_named_property (env, result, "eof", make_bool (env, n == 0 && nfds == 0)) != napi_ok)
    {
      close_all (fds, nfds);
      return NULL;
    }
  return result;
}

/* connectUnix(path) -> fd of a connected AF_UNIX SOCK_STREAM socket */
static napi_value
js_connect_unix (napi_env env, napi_callback_info info)
{
  napi_value argv[1];
  cleanup_free char *path = NULL;
  if (!get_args (env, info, 1, argv) || !arg_string (env, argv[0], "path", &path))
    return NULL;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  size_t len = strlen (path);
  /* sun_path holds 108 bytes including the NUL; never truncate a path. */
  if (len == 0 || len >= sizeof addr.sun_path)
    return throw_errno (env, len == 0 ? ENOENT : ENAMETOOLONG, "connect");
  memcpy (addr.sun_path, path, len + 1);

  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return throw_errno (env, errno, "socket");
  int r = connect (fd, (struct sockaddr *) &addr, sizeof addr);
  /* WHY: an interrupted connect keeps going in the kernel; wait for it
   * rather than calling connect again (which would fail with EALREADY). */
  if (r < 0 && errno == EINTR)
    {
      struct pollfd p = { .fd = fd, .events = POLLOUT };
      int err = 0;
      socklen_t elen = sizeof err;
      while (poll (&p, 1, -1) < 0 && errno == EINTR)
        ;
      if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
        return throw_errno (env, errno, "getsockopt");
      if (err != 0)
        return throw_errno (env, err, "connect");
      r = 0;
    }
  if (r < 0)
    return throw_errno (env, errno, "connect");
  return make_int (env, steal_fd (&fd));
}

napi_status
register_scm (napi_env env, napi_value exports)
{
  napi_property_descriptor props[] = {
    EXPORT ("socketpair", js_socketpair),
    EXPORT ("sendmsg", js_sendmsg),
    EXPORT ("recvmsg", js_recvmsg),
    EXPORT ("connectUnix", js_connect_unix),
  };
  return REGISTER (env, exports, props);
}
