/* spawn.c — start the init: a clone(2) that shares our memory until it
 * calls execveat(2) on the sealed init (overlay or memfd).
 *
 * Why not child_process.spawn: loading it brings net, dgram and the stream
 * modules (~10 % of a `create`, performance.md §8.3), and libuv forks the
 * whole ~50 MB Node process. CLONE_VM copies no memory.
 *
 * Why not CLONE_VFORK (posix_spawn(3)'s way): the parent thread would wait
 * for the exec, ~1.2 ms here, while it could be compiling the plan the init
 * is about to read (a `run` 1-2 % faster, bench/). So the child runs next
 * to Node's threads, in Node's memory, and touches nothing of it: all it
 * reads (argv, the fd list) and its stack live in one mapping of its own,
 * and it makes raw system calls only, because glibc's wrappers set errno,
 * which is the thread-local of the Node thread that cloned it. The mapping
 * is unmapped once the kernel has cleared the child's tid word in it
 * (CLONE_CHILD_CLEARTID: at its execve, or its exit), at a later spawn.
 * If the exec fails, the child says so on the sync socket as an ERROR
 * message, the way the init reports its own failures, and exits.
 *
 * fds[i] is the fd the child gets as fd i (fds[i] == i keeps it, with
 * FD_CLOEXEC cleared); every other fd is left as it is: ours are all
 * O_CLOEXEC, and the init closes whatever else came in before it runs the
 * plan. The child has its own copy of our fd table from the clone on, so
 * the caller may close its copies at once. The environment is empty: the
 * init needs none.
 *
 * cloneFlags may hold CLONE_NEWPID: the init then starts as PID 1 of a new
 * pid namespace, the container's, and needs no stage 1 to fork it (create
 * without a user or time namespace; namespaces.ts, directSpawn).
 * See clone(2), execveat(2), rt_sigaction(2), set_tid_address(2). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "addon.h"
#include "protocol.h"

#define MAX_SPAWN_FDS 4096
#define MAX_SPAWN_ARGS 16
#define MAX_ARG_BYTES 4096
#define CHILD_STACK (64 * 1024)
#define MAX_PENDING 8

#if defined(__x86_64__)
static long
raw6 (long n, long a, long b, long c, long d, long e, long f)
{
  long r;
  register long r10 __asm__ ("r10") = d;
  register long r8 __asm__ ("r8") = e;
  register long r9 __asm__ ("r9") = f;
  __asm__ volatile ("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
  return r;
}
#elif defined(__aarch64__)
static long
raw6 (long n, long a, long b, long c, long d, long e, long f)
{
  register long x8 __asm__ ("x8") = n;
  register long x0 __asm__ ("x0") = a;
  register long x1 __asm__ ("x1") = b;
  register long x2 __asm__ ("x2") = c;
  register long x3 __asm__ ("x3") = d;
  register long x4 __asm__ ("x4") = e;
  register long x5 __asm__ ("x5") = f;
  __asm__ volatile ("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
  return x0;
}
#else
#error "spawn.c: raw system calls are written for x86_64 and aarch64 only"
#endif
#define RAW(n, a, b, c) raw6 ((n), (long) (a), (long) (b), (long) (c), 0, 0, 0)

/* Everything the child reads, at the start of its own mapping; its stack is the end. */
struct spawn_area
{
  volatile pid_t tid; /* CLONE_CHILD_CLEARTID: 0 once the child no longer uses the mapping */
  size_t size;
  int execfd;
  int syncfd; /* the sync socket, our number, where an exec failure is reported */
  int nfds;
  char **argv;
  int *fds;
  int *tmp;
};

/* Mappings of children that may not have exec'd yet. Only the thread that
 * loaded the addon spawns (N-API calls come on the JS thread). */
static struct spawn_area *pending[MAX_PENDING];

static void
release_done (void)
{
  for (int i = 0; i < MAX_PENDING; i++)
    if (pending[i] && __atomic_load_n (&pending[i]->tid, __ATOMIC_ACQUIRE) == 0)
      {
        munmap (pending[i], pending[i]->size);
        pending[i] = NULL;
      }
}

static int
spawn_child (void *p)
{
  struct spawn_area *r = p;
  static char *const empty_env[] = { NULL };
  long e = 0;

  /* our own copy of the sync socket, above the range the fds go into */
  long report = RAW (SYS_fcntl, r->syncfd, F_DUPFD_CLOEXEC, r->nfds);

  /* An ignored signal stays ignored across execve (Node ignores SIGPIPE), and
   * a handler would point into Node's code: back to defaults, as libuv does.
   * (The kernel's struct sigaction: handler, flags, restorer, 8-byte mask.) */
  for (int s = 1; s <= 64; s++)
    {
      unsigned long sa[4] = { (unsigned long) SIG_DFL, 0, 0, 0 };
      if (s != SIGKILL && s != SIGSTOP)
        raw6 (SYS_rt_sigaction, s, (long) sa, 0, 8, 0, 0);
    }

  /* Two passes, so that a source fd is never clobbered by an earlier target:
   * first copy every source above the target range, then move into place. */
  for (int i = 0; i < r->nfds; i++)
    {
      r->tmp[i] = -1;
      if (r->fds[i] != i)
        {
          e = RAW (SYS_fcntl, r->fds[i], F_DUPFD_CLOEXEC, r->nfds);
          if (e < 0)
            goto fail;
          r->tmp[i] = (int) e;
        }
    }
  for (int i = 0; i < r->nfds; i++)
    {
      if (r->tmp[i] >= 0)
        {
          e = RAW (SYS_dup3, r->tmp[i], i, 0); /* the copy has FD_CLOEXEC clear */
          if (e < 0)
            goto fail;
          RAW (SYS_close, r->tmp[i], 0, 0);
        }
      else if ((e = RAW (SYS_fcntl, i, F_SETFD, 0)) < 0)
        goto fail;
    }

  unsigned long none = 0;
  raw6 (SYS_rt_sigprocmask, SIG_SETMASK, (long) &none, 0, 8, 0, 0);
  e = raw6 (SYS_execveat, r->execfd, (long) "", (long) r->argv, (long) empty_env, AT_EMPTY_PATH, 0);
fail:
  if (report >= 0)
    {
      /* MSG_ERROR: index (none: before the first op), errno, text */
      struct
      {
        uint32_t type, index;
        int32_t errnum;
        char text[24];
      } m = { MSG_ERROR, UINT32_MAX, (int32_t) -e, "spawn joey-init" };
      raw6 (SYS_sendto, report, (long) &m, (long) sizeof m, MSG_NOSIGNAL, 0, 0);
    }
  raw6 (SYS_exit, 127, 0, 0, 0, 0, 0);
  return 127;
}

/* spawnInit(execFd, argv: string[], fds: number[], cloneFlags = 0) -> pid.
 * The last of fds is the sync socket. */
static napi_value
js_spawn_init (napi_env env, napi_callback_info info)
{
  napi_value argv[4];
  int execfd;
  uint32_t nargs = 0, nfds = 0;
  bool is_array = false;
  int64_t ns_flags = 0;
  if (!get_args (env, info, 4, argv) || !arg_fd (env, argv[0], "execFd", &execfd))
    return NULL;
  napi_valuetype t;
  if (napi_typeof (env, argv[3], &t) == napi_ok && t != napi_undefined
      && !arg_int (env, argv[3], "cloneFlags", 0, CLONE_NEWPID, &ns_flags))
    return NULL;
  if (ns_flags & ~(int64_t) CLONE_NEWPID)
    return throw_type (env, "cloneFlags may only hold CLONE_NEWPID");
  if (napi_is_array (env, argv[1], &is_array) != napi_ok || !is_array
      || napi_get_array_length (env, argv[1], &nargs) != napi_ok || nargs < 1 || nargs > MAX_SPAWN_ARGS)
    return throw_type (env, "argv must be an array of 1 to %d strings", MAX_SPAWN_ARGS);
  if (napi_is_array (env, argv[2], &is_array) != napi_ok || !is_array
      || napi_get_array_length (env, argv[2], &nfds) != napi_ok || nfds < 1 || nfds > MAX_SPAWN_FDS)
    return throw_type (env, "fds must be an array of 1 to %d fds, the sync socket last", MAX_SPAWN_FDS);

  release_done ();
  int slot = -1;
  for (int i = 0; i < MAX_PENDING && slot < 0; i++)
    if (!pending[i])
      slot = i;
  if (slot < 0)
    return throw_errno (env, EAGAIN, "spawn: too many children still starting");

  /* the area: header, argv pointers, fds, tmp, then argv's text packed
   * (one page for a usual spawn: each page touched is a fault); then the stack */
  size_t text_len = 0;
  for (uint32_t i = 0; i < nargs; i++)
    {
      napi_value v;
      size_t len = 0;
      if (napi_get_element (env, argv[1], i, &v) != napi_ok || napi_get_value_string_utf8 (env, v, NULL, 0, &len) != napi_ok
          || len >= MAX_ARG_BYTES)
        return throw_type (env, "argv[] must be strings of under %d bytes", MAX_ARG_BYTES);
      text_len += len + 1;
    }
  size_t meta = sizeof (struct spawn_area) + (nargs + 1) * sizeof (char *) + 2 * (size_t) nfds * sizeof (int) + text_len;
  size_t meta_pages = (meta + 4095) & ~(size_t) 4095;
  size_t size = meta_pages + CHILD_STACK;
  struct spawn_area *r = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (r == MAP_FAILED)
    return throw_errno (env, errno, "mmap");
  r->size = size;
  r->execfd = execfd;
  r->nfds = (int) nfds;
  r->argv = (char **) (r + 1);
  r->fds = (int *) (r->argv + nargs + 1);
  r->tmp = r->fds + nfds;
  char *text = (char *) (r->tmp + nfds);
  for (uint32_t i = 0; i < nargs; i++)
    {
      napi_value v;
      size_t len = 0;
      if (napi_get_element (env, argv[1], i, &v) != napi_ok
          || napi_get_value_string_utf8 (env, v, text, (size_t) (((char *) r + meta) - text), &len) != napi_ok)
        {
          munmap (r, size);
          return throw_type (env, "argv[] must be strings");
        }
      r->argv[i] = text;
      text += len + 1;
    }
  r->argv[nargs] = NULL;
  for (uint32_t i = 0; i < nfds; i++)
    {
      napi_value v;
      if (napi_get_element (env, argv[2], i, &v) != napi_ok || !arg_fd (env, v, "fds[]", &r->fds[i]))
        {
          munmap (r, size);
          return NULL;
        }
    }
  r->syncfd = r->fds[nfds - 1];
  r->tid = -1;

  /* No signal handler of ours may run on the child's stack before it has
   * reset them: block everything around the clone (the child unblocks). */
  sigset_t all, old;
  sigfillset (&all);
  pthread_sigmask (SIG_BLOCK, &all, &old);
  pid_t pid = clone (spawn_child, (char *) r + size, CLONE_VM | CLONE_CHILD_CLEARTID | SIGCHLD | (int) ns_flags, r, NULL, NULL,
                     &r->tid);
  int clone_errno = errno;
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (pid < 0)
    {
      munmap (r, size);
      return throw_errno (env, clone_errno, "clone");
    }
  pending[slot] = r;
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
