/* hooks.c — hooks the init runs itself, and the sync point where the runtime
 * runs the others. runtime-spec: config.md#posix-platform-hooks,
 * runtime.md#lifecycle
 * Kernel: fork(2), execve(2), pidfd_open(2), poll(2)
 *
 * prestart and createRuntime hooks run in the runtime's namespaces, so the
 * init only asks for them (HOOKS_PLS) and waits; createContainer and
 * startContainer hooks run here, inside the container's namespaces, with the
 * state JSON on stdin. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"

int
op_sync_hooks (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  if (sync_send (ctx, MSG_HOOKS_PLS, NULL, 0, NULL, 0, err) < 0)
    return -1;
  /* The runtime answers with the state JSON the hooks run here get on stdin. */
  return sync_expect_payload (ctx, MSG_HOOKS_ACK, &ctx->state, err);
}

int
op_hook (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  const char *path = op_str (op, F_PATH);
  const char *state = op_str (op, F_STDIN) ? op_str (op, F_STDIN) : ctx->state;
  uint64_t timeout = op_u64 (op, F_TIMEOUT, 0);
  cleanup_free char **args = op_strv (op, F_ARGS);
  cleanup_free char **env = op_strv (op, F_ENV);
  int in[2];
  if (pipe2 (in, O_CLOEXEC) < 0)
    return joey_error (err, errno, "hook `%s`: pipe", path);
  pid_t pid = fork ();
  if (pid < 0)
    return joey_error (err, errno, "hook `%s`: fork", path);
  if (pid == 0)
    {
      dup2 (in[0], 0);
      char *dflt[] = { (char *) path, NULL };
      execve (path, args && args[0] ? args : dflt, env);
      _exit (127);
    }
  close (in[0]);
  /* The state is small (well under a pipe buffer), so this cannot block. */
  if (state)
    {
      /* A hook that exits without reading its stdin must not kill us with
       * SIGPIPE (runc ignores that EPIPE too); restore the disposition, since
       * an ignored signal would survive into the container's execve. */
      struct sigaction ign = { .sa_handler = SIG_IGN }, old;
      sigaction (SIGPIPE, &ign, &old);
      ssize_t w = write (in[1], state, strlen (state));
      (void) w;
      sigaction (SIGPIPE, &old, NULL);
    }
  close (in[1]);

  int status = 0;
  if (timeout > 0)
    {
      cleanup_close int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
      struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
      int r;
      do
        r = poll (&pfd, 1, (int) (timeout * 1000));
      while (r < 0 && errno == EINTR);
      if (r == 0)
        {
          kill (pid, SIGKILL);
          waitpid (pid, &status, 0);
          return joey_error (err, 0, "hook `%s`: timed out after %llus", path, (unsigned long long) timeout);
        }
    }
  if (waitpid (pid, &status, 0) < 0)
    return joey_error (err, errno, "hook `%s`: wait", path);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 127)
    return joey_error (err, ENOENT, "hook `%s`: exec", path);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return joey_error (err, 0, "hook `%s` failed: %s %d", path, WIFEXITED (status) ? "exit status" : "signal",
                       WIFEXITED (status) ? WEXITSTATUS (status) : WTERMSIG (status));
  return 0;
}
