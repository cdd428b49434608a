/* bin/joey, the launcher: find the checkout and Node, exec Node on the CLI.
 * See execve(2), readlink(2), proc(5) /proc/self/exe, environ(7).
 *
 * Every joey call pays Node's start-up, and whatever runs before Node adds
 * to it. Measured here (paired, against `node empty.js`): a shell script
 * +2.8 ms (dash: exec and dynamic linking), a static glibc program +1.4 ms
 * (glibc's own start-up), this file built without libc (-nostdlib: three
 * system calls and an execve) +0–0.5 ms. So it has no libc: the few string
 * helpers below are the whole runtime, and it does nothing but find things:
 *  - the checkout is three directories above this binary's real path
 *    (bin/joey is a symlink to native/build/joey-launcher);
 *  - Node is $JOEY_NODE, /usr/bin/node or /usr/local/bin/node, then `node`
 *    on $PATH: podman runs `kill`, `delete` and `state` with an environment
 *    holding only XDG_RUNTIME_DIR, so no PATH is needed;
 *  - the entry is dist/cli-bundle/joey.cjs (npm run build), else tsc's
 *    dist/cli/index.js;
 *  - NODE_EXTRA_CA_CERTS is dropped from Node's environment: with it Node
 *    reads and parses a CA bundle before running a line (+40 ms per call
 *    where an environment sets it for every tool), and joey makes no TLS
 *    connection; hooks and containers get their environment from
 *    config.json, not from ours;
 *  - Node gets --no-rehash-snapshot: V8 would otherwise draw a fresh hash
 *    seed at every start, derive rapidhash secrets from it (a Miller-Rabin
 *    prime search, detail::sprp) and rehash every table of its built-in
 *    snapshot with them; with the flag it keeps the seed the snapshot was
 *    built with. `node empty.js` 0.945x with it (30 paired rounds), ~3.5 ms
 *    of every call. The price is a hash seed that is the same in every
 *    process of this Node build, so a caller choosing thousands of colliding
 *    keys (config.json's annotations) can make that call's JSON.parse slow.
 *    Whoever writes config.json already chooses what the container runs, and
 *    the worst is a slower call, so joey takes the speed.
 *    (V8's adler32 of the snapshot, ~1.3 ms, cannot be turned off on Node 20:
 *    --no-verify-snapshot-checksum is already the default and the check runs
 *    anyway; gdb shows the one call with and without the flag.)
 *  - and --no-sparkplug: V8's baseline compiler compiles, on the main
 *    thread, every function that has run a little; a joey call ends long
 *    before that pays back. `run` 0.983x, `list` 0.980x, `node empty.js`
 *    ~0.98x (100, 60 and 60 paired rounds). TurboFan stays on, so a long
 *    call (a terminal relay, `events`) still optimizes what is really hot.
 *  - and --regexp-tier-up-ticks=100: V8 compiles a regexp to machine code
 *    the second time it runs (ticks=1); the first such compile here took
 *    0.35 ms against 0.05 ms interpreted (it maps a page of code space), and
 *    `run` compiled five. No regexp of a `run` runs ten times, so none is
 *    compiled now, and one a long call runs a hundred times still is. `run`
 *    0.988x (80 paired rounds, each variant with its own code cache: V8
 *    rejects a cache made under other flags). */
#include <linux/limits.h>
#include <sys/syscall.h>

#define R_OK 4
#define X_OK 1
#define AT_FDCWD (-100)
#define NO_REHASH "--no-rehash-snapshot"
#define NO_SPARKPLUG "--no-sparkplug"
#define REGEXP_TICKS "--regexp-tier-up-ticks=100"

static long
sys3 (long n, long a, long b, long c)
{
  long r;
  __asm__ volatile ("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}

static unsigned long
len (const char *s)
{
  unsigned long n = 0;
  while (s[n])
    n++;
  return n;
}

/* "NAME=value" → value, for NAME given with its "=" */
static const char *
value_of (const char *entry, const char *name_eq)
{
  while (*name_eq)
    if (*entry++ != *name_eq++)
      return (const char *) 0;
  return entry;
}

/* dst + src, stopping at end; the pointer past the copy, or 0 if it did not fit */
static char *
put (char *dst, char *end, const char *src, unsigned long n)
{
  for (unsigned long i = 0; i < n; i++)
    {
      if (dst >= end)
        return (char *) 0;
      *dst++ = src[i];
    }
  if (dst >= end)
    return (char *) 0;
  *dst = '\0';
  return dst;
}

static void __attribute__ ((noreturn))
fail (const char *what)
{
  sys3 (SYS_write, 2, (long) "joey: ", 6);
  sys3 (SYS_write, 2, (long) what, (long) len (what));
  sys3 (SYS_write, 2, (long) "\n", 1);
  sys3 (SYS_exit_group, 127, 0, 0);
  __builtin_unreachable ();
}

static void
try_exec (const char *node, char **args, char **env)
{
  if (node && *node && sys3 (SYS_faccessat, AT_FDCWD, (long) node, X_OK) == 0)
    {
      args[0] = (char *) node;
      sys3 (SYS_execve, (long) node, (long) args, (long) env);
    }
}

__attribute__ ((used)) void __attribute__ ((noreturn))
launch (long *sp)
{
  int argc = (int) sp[0];
  char **argv = (char **) (sp + 1);
  char **envp = argv + argc + 1;

  int envc = 0;
  while (envp[envc])
    envc++;
  char *env[envc + 1];
  const char *joey_node = (const char *) 0;
  const char *path = "/usr/local/bin:/usr/bin:/bin";
  int n = 0;
  for (int i = 0; i < envc; i++)
    {
      const char *v;
      if (value_of (envp[i], "NODE_EXTRA_CA_CERTS="))
        continue;
      if ((v = value_of (envp[i], "JOEY_NODE=")))
        joey_node = v;
      if ((v = value_of (envp[i], "PATH=")))
        path = v;
      env[n++] = envp[i];
    }
  env[n] = (char *) 0;

  char top[PATH_MAX];
  long got = sys3 (SYS_readlink, (long) "/proc/self/exe", (long) top, sizeof top - 1);
  if (got <= 0)
    fail ("cannot find the checkout: /proc/self/exe is unreadable");
  top[got] = '\0';
  /* <top>/native/build/joey-launcher */
  for (int up = 0; up < 3; up++)
    {
      while (got > 0 && top[got - 1] != '/')
        got--;
      if (got <= 1)
        fail ("cannot find the checkout above /proc/self/exe");
      top[--got] = '\0';
    }

  char entry[PATH_MAX];
  char *end = entry + sizeof entry;
  char *p = put (entry, end, top, (unsigned long) got);
  if (!p || !put (p, end, "/dist/cli-bundle/joey.cjs", 25))
    fail ("the checkout's path is too long");
  if (sys3 (SYS_faccessat, AT_FDCWD, (long) entry, R_OK) != 0 && !put (p, end, "/dist/cli/index.js", 18))
    fail ("the checkout's path is too long");

  char *args[argc + 5];
  args[1] = (char *) NO_REHASH;
  args[2] = (char *) NO_SPARKPLUG;
  args[3] = (char *) REGEXP_TICKS;
  args[4] = entry;
  for (int i = 1; i < argc; i++)
    args[i + 4] = argv[i];
  args[argc + 4] = (char *) 0;

  try_exec (joey_node, args, env);
  try_exec ("/usr/bin/node", args, env);
  try_exec ("/usr/local/bin/node", args, env);
  for (const char *dir = path; *dir;)
    {
      unsigned long dlen = 0;
      while (dir[dlen] && dir[dlen] != ':')
        dlen++;
      char node[PATH_MAX];
      char *q = put (node, node + sizeof node, dir, dlen);
      if (dlen > 0 && q && put (q, node + sizeof node, "/node", 5))
        try_exec (node, args, env);
      dir += dlen;
      if (*dir == ':')
        dir++;
    }
  fail ("cannot run node: not found ($JOEY_NODE, /usr/bin/node, /usr/local/bin/node, $PATH)");
}

/* The kernel starts us here with argc, argv and envp on the stack. */
__asm__ (".text\n"
         ".global _start\n"
         "_start:\n"
         "  xor %ebp, %ebp\n"
         "  mov %rsp, %rdi\n"
         "  and $-16, %rsp\n"
         "  call launch\n"
         "  hlt\n");
