/* spawn.c — start the init: a vfork-style clone(2) that shares our memory
 * until it calls execveat(2) on the sealed init (overlay or memfd).
 *
 * Why not child_process.spawn: loading it brings net, dgram and the stream
 * modules (~10 % of a `create`, performance.md §8.3), and libuv forks the
 * whole ~50 MB Node process. CLONE_VM|CLONE_VFORK copies nothing; the child
 * runs only async-signal-safe calls (sigaction, fcntl, dup2, close,
 * sigprocmask, execveat) on its own small stack, and the parent thread is
 * suspended until the exec, as posix_spawn(3) does it.
 *
 * fds[i] is the fd the child gets as fd i (fds[i] == i keeps it, with
 * FD_CLOEXEC cleared); every other fd is left as it is: ours are all
 * O_CLOEXEC, and the init closes whatever else came in before it runs the
 * plan. The environment is empty: the init needs none.
 * See clone(2), execveat(2), sigaction(2), posix_spawn(3). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addon.h"

#define MAX_SPAWN_FDS 4096
#define MAX_SPAWN_ARGS 16
#define CHILD_STACK (64 * 1024)

struct spawn_req
{
  int execfd;
  char **argv;
  const int *fds;
  int *tmp;
  int nfds;
  volatile int err; /* written by the child (shared memory) if it cannot exec */
};

static int
spawn_child (void *p)
{
  struct spawn_req *r = p;
  static char *const empty_env[] = { NULL };

  /* An ignored signal stays ignored across execve (Node ignores SIGPIPE), and
   * a handler would point into our memory: back to defaults, as libuv does. */
  for (int s = 1; s < NSIG; s++)
    {
      struct sigaction sa;
      memset (&sa, 0, sizeof sa);
      sa.sa_handler = SIG_DFL;
      if (s != SIGKILL && s != SIGSTOP)
        sigaction (s, &sa, NULL);
    }

  /* Two passes, so that a source fd is never clobbered by an earlier target:
   * first copy every source above the target range, then move into place. */
  for (int i = 0; i < r->nfds; i++)
    {
      r->tmp[i] = -1;
      if (r->fds[i] != i)
        {
          r->tmp[i] = fcntl (r->fds[i], F_DUPFD_CLOEXEC, r->nfds);
          if (r->tmp[i] < 0)
            goto fail;
        }
    }
  for (int i = 0; i < r->nfds; i++)
    {
      if (r->tmp[i] >= 0)
        {
          if (dup2 (r->tmp[i], i) < 0) /* dup2 clears FD_CLOEXEC on i */
            goto fail;
          close (r->tmp[i]);
        }
      else if (fcntl (i, F_SETFD, 0) < 0)
        goto fail;
    }

  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  execveat (r->execfd, "", r->argv, empty_env, AT_EMPTY_PATH);
fail:
  r->err = errno ? errno : EINVAL;
  _exit (127);
}

static void
free_argv (char **argv)
{
  if (!argv)
    return;
  for (char **a = argv; *a; a++)
    free (*a);
  free (argv);
}

static void
cleanup_argv_p (char ***p)
{
  free_argv (*p);
}

/* spawnInit(execFd, argv: string[], fds: number[]) -> pid */
static napi_value
js_spawn_init (napi_env env, napi_callback_info info)
{
  napi_value argv[3];
  int execfd;
  uint32_t nargs = 0, nfds = 0;
  bool is_array = false;
  if (!get_args (env, info, 3, argv) || !arg_fd (env, argv[0], "execFd", &execfd))
    return NULL;
  if (napi_is_array (env, argv[1], &is_array) != napi_ok || !is_array
      || napi_get_array_length (env, argv[1], &nargs) != napi_ok || nargs < 1 || nargs > MAX_SPAWN_ARGS)
    return throw_type (env, "argv must be an array of 1 to %d strings", MAX_SPAWN_ARGS);
  if (napi_is_array (env, argv[2], &is_array) != napi_ok || !is_array
      || napi_get_array_length (env, argv[2], &nfds) != napi_ok || nfds > MAX_SPAWN_FDS)
    return throw_type (env, "fds must be an array of at most %d fds", MAX_SPAWN_FDS);

  __attribute__ ((cleanup (cleanup_argv_p))) char **args = NULL;
  args = calloc (nargs + 1, sizeof *args);
  cleanup_free int *fds = calloc (nfds ? nfds : 1, sizeof *fds);
  cleanup_free int *tmp = calloc (nfds ? nfds : 1, sizeof *tmp);
  if (!args || !fds || !tmp)
    return throw_errno (env, ENOMEM, "spawn");
  for (uint32_t i = 0; i < nargs; i++)
    {
      napi_value v;
      if (napi_get_element (env, argv[1], i, &v) != napi_ok || !arg_string (env, v, "argv[]", &args[i]))
        return NULL;
    }
  for (uint32_t i = 0; i < nfds; i++)
    {
      napi_value v;
      if (napi_get_element (env, argv[2], i, &v) != napi_ok || !arg_fd (env, v, "fds[]", &fds[i]))
        return NULL;
    }

  void *stack = mmap (NULL, CHILD_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED)
    return throw_errno (env, errno, "mmap");
  struct spawn_req req = { .execfd = execfd, .argv = args, .fds = fds, .tmp = tmp, .nfds = (int) nfds, .err = 0 };

  /* No signal handler of ours may run on the child's stack before it has
   * reset them: block everything around the clone (the child unblocks). */
  sigset_t all, old;
  sigfillset (&all);
  pthread_sigmask (SIG_BLOCK, &all, &old);
  pid_t pid = clone (spawn_child, (char *) stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &req);
  int clone_errno = errno;
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  munmap (stack, CHILD_STACK);

  if (pid < 0)
    return throw_errno (env, clone_errno, "clone");
  if (req.err)
    {
      /* It exited without exec'ing: reap it here, nobody else knows its pid. */
      while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
      return throw_errno (env, req.err, "execveat");
    }
  return make_int (env, pid);
}

napi_status
register_spawn (napi_env env, napi_value exports)
{
  napi_property_descriptor props[] = {
    EXPORT ("spawnInit", js_spawn_init),
  };
  return REGISTER (env, exports, props);
}
