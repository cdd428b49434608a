/* sync.c — messages to and from the runtime over the SOCK_SEQPACKET sync
 * socket; the diagram of the protocol is in src/plan/ops.ts (MSG).
 * Kernel: unix(7), sendmsg(2), cmsg(3) */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "init.h"

int
sync_gate (struct init_ctx *ctx)
{
  if (ctx->gate_fd < 0)
    return 0;
  uint32_t pid = 0;
  ssize_t n;
  do
    n = read (ctx->gate_fd, &pid, sizeof pid);
  while (n < 0 && errno == EINTR);
  close (ctx->gate_fd);
  ctx->gate_fd = -1;
  /* EOF without a pid: stage 1 could not hand it over, and kills us */
  if (n != (ssize_t) sizeof pid)
    return -1;
  /* Stage 1 sent PID before it wrote the pipe: ours comes after it. */
  if (ctx->pid_announced)
    return 0;
  joey_error_t ignored;
  return sync_send (ctx, MSG_PID, &pid, sizeof pid, NULL, 0, &ignored);
}

int
sync_send (struct init_ctx *ctx, uint32_t type, const void *payload, size_t len, const int *fds, int nfds,
           joey_error_t *err)
{
  /* The runtime must know stage 2's pid before stage 2 says anything. */
  if (sync_gate (ctx) < 0)
    _exit (1);
  uint8_t buf[4 + 2048];
  if (len > sizeof buf - 4)
    return joey_error (err, 0, "sync: message too long");
  memcpy (buf, &type, 4);
  if (len)
    memcpy (buf + 4, payload, len);
  struct iovec iov = { .iov_base = buf, .iov_len = 4 + len };
  union
  {
    char buf[CMSG_SPACE (sizeof (int) * 4)];
    struct cmsghdr align;
  } cm;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (nfds > 0)
    {
      if (nfds > 4)
        return joey_error (err, 0, "sync: too many fds");
      memset (&cm, 0, sizeof cm);
      msg.msg_control = cm.buf;
      msg.msg_controllen = CMSG_SPACE (sizeof (int) * nfds);
      struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int) * nfds);
      memcpy (CMSG_DATA (c), fds, sizeof (int) * nfds);
    }
  ssize_t n;
  do
    n = sendmsg (ctx->sync_fd, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return joey_error (err, errno, "sync: send message %u", type);
  return 0;
}

int
sync_expect (struct init_ctx *ctx, uint32_t want, joey_error_t *err)
{
  return sync_expect_payload (ctx, want, NULL, err);
}

int
sync_expect_payload (struct init_ctx *ctx, uint32_t want, char **payload, joey_error_t *err)
{
  cleanup_free uint8_t *buf = NULL;
  size_t len;
  if (sync_expect_bytes (ctx, want, &buf, &len, err) < 0)
    return -1;
  if (payload)
    {
      buf[4 + len] = 0;
      *payload = strdup ((char *) buf + 4);
      if (*payload == NULL)
        return joey_error (err, errno, "sync: strdup");
    }
  return 0;
}

/* The next message, which must be `want`: *buf (malloc'd, the caller frees;
 * the payload at +4, NUL-terminated one past it) and the payload's length. */
int
sync_expect_bytes (struct init_ctx *ctx, uint32_t want, uint8_t **out, size_t *len, joey_error_t *err)
{
  /* The largest payloads are the state JSON for hooks and a seccomp filter
   * (at most BPF_MAXINSNS * 8 bytes); annotations are bounded by the
   * runtime, and anything larger is refused (MSG_TRUNC). */
  size_t cap = 256 * 1024;
  cleanup_free uint8_t *buf = malloc (cap + 1);
  if (buf == NULL)
    return joey_error (err, errno, "sync: malloc");
  ssize_t n;
  do
    n = recv (ctx->sync_fd, buf, cap, MSG_TRUNC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return joey_error (err, errno, "sync: wait for message %u", want);
  if ((size_t) n > cap)
    return joey_error (err, 0, "sync: message %u too long", want);
  if (n == 0)
    return joey_error (err, 0, "sync: the runtime went away while we waited for message %u", want);
  uint32_t type;
  if (n < 4)
    return joey_error (err, 0, "sync: short message");
  memcpy (&type, buf, 4);
  /* Out-of-sequence messages are refused, like youki's InitRequestSequence. */
  if (type != want)
    return joey_error (err, 0, "sync: got message %u, expected %u", type, want);
  buf[n] = 0;
  *len = (size_t) n - 4;
  *out = buf;
  buf = NULL;
  return 0;
}

void
sync_report_error (struct init_ctx *ctx, uint32_t index, const joey_error_t *err)
{
  struct
  {
    uint32_t index;
    int32_t errnum;
    char msg[sizeof err->msg];
  } m;
  m.index = index;
  m.errnum = err->errnum;
  snprintf (m.msg, sizeof m.msg, "%s", err->msg);
  joey_error_t ignored;
  if (ctx->sync_fd < 0 || sync_send (ctx, MSG_ERROR, &m, 8 + strlen (m.msg) + 1, NULL, 0, &ignored) < 0)
    /* No runtime to tell (after READY): stderr is the container's, which is
     * where runc's init errors end up too. */
    fprintf (stderr, "joey-init: %s\n", err->msg);
}
