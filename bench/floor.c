/* floor — a reference single-threaded container starter in C: what runc does
 * for the bench's config.json (joey spec defaults, read-only root), minus
 * cgroups and seccomp, written for this measurement (performance.md §8.1).
 * It is the floor for the C init's part of a start: joey's spawn → READY.
 *
 *   floor ROOTFS PROG [ARG...]
 *
 * The "runtime" (this process) spawns a separate init (fork + exec of itself,
 * as joey spawns joey-init and runc spawns `runc init`), which clones
 * NEWNS|NEWPID|NEWUTS|NEWIPC|NEWNET|NEWCGROUP; the child makes mounts private,
 * binds the rootfs, mounts proc, /dev tmpfs + devpts + shm + mqueue, ro sysfs,
 * a ro tmpfs at /sys/fs/cgroup with ro binds of the host hierarchies, makes 6
 * device nodes and the /dev symlinks, pivot_roots, masks 10 paths, makes 5
 * read-only, remounts the root read-only, sets the hostname, the NOFILE
 * rlimit, the capability sets and no_new_privs, says READY on a pipe and
 * execs PROG. The runtime prints {"ready_ms": spawn → READY} on stdout and
 * exits with PROG's status.
 * Kernel: clone(2), mount(2), pivot_root(2), mknod(2), capset(2), prctl(2). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int ready_fd;
static const char *rootfs;
static char **prog;

static void
die (const char *what)
{
  fprintf (stderr, "floor: %s: %s\n", what, strerror (errno));
  _exit (120);
}

static void
mnt (const char *src, const char *dst, const char *type, unsigned long flags, const char *data)
{
  if (mount (src, dst, type, flags, data) < 0)
    die (dst);
}

static void
child_setup (void)
{
  char path[4096];
  mnt (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
  mnt (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL);
  if (chdir (rootfs) < 0)
    die ("chdir rootfs");

  mnt ("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  mnt ("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  mkdir ("dev/pts", 0755);
  mnt ("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  mkdir ("dev/shm", 0755);
  mnt ("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k");
  mkdir ("dev/mqueue", 0755);
  mnt ("mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
  mnt ("sysfs", "sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL);

  /* /sys/fs/cgroup as runc sets it up on a v1 host: a tmpfs with every
   * hierarchy bound read-only, then the tmpfs remounted read-only. */
  mnt ("tmpfs", "sys/fs/cgroup", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=755");
  DIR *d = opendir ("/sys/fs/cgroup");
  struct dirent *e;
  while (d && (e = readdir (d)))
    {
      if (e->d_type != DT_DIR || e->d_name[0] == '.')
        continue;
      char src[512];
      snprintf (src, sizeof src, "/sys/fs/cgroup/%s", e->d_name);
      snprintf (path, sizeof path, "sys/fs/cgroup/%s", e->d_name);
      mkdir (path, 0755);
      mnt (src, path, NULL, MS_BIND | MS_REC, NULL);
      mnt (NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
    }
  if (d)
    closedir (d);
  mnt (NULL, "sys/fs/cgroup", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=755");

  static const struct { const char *name; unsigned maj, min; } devs[] = {
    { "dev/null", 1, 3 }, { "dev/zero", 1, 5 }, { "dev/full", 1, 7 },
    { "dev/random", 1, 8 }, { "dev/urandom", 1, 9 }, { "dev/tty", 5, 0 },
  };
  umask (0);
  for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++)
    if (mknod (devs[i].name, S_IFCHR | 0666, makedev (devs[i].maj, devs[i].min)) < 0)
      die (devs[i].name);
  umask (022);
  static const char *links[][2] = {
    { "/proc/self/fd", "dev/fd" }, { "/proc/self/fd/0", "dev/stdin" },
    { "/proc/self/fd/1", "dev/stdout" }, { "/proc/self/fd/2", "dev/stderr" },
    { "pts/ptmx", "dev/ptmx" },
  };
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    if (symlink (links[i][0], links[i][1]) < 0)
      die (links[i][1]);

  if (syscall (SYS_pivot_root, ".", ".") < 0)
    die ("pivot_root");
  if (umount2 (".", MNT_DETACH) < 0)
    die ("umount old root");
  if (chdir ("/") < 0)
    die ("chdir /");

  static const char *masked[] = { "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                                  "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                                  "/proc/sched_debug", "/sys/firmware", "/proc/scsi" };
  for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++)
    {
      struct stat st;
      if (stat (masked[i], &st) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        mnt ("tmpfs", masked[i], "tmpfs", MS_RDONLY, NULL);
      else
        mnt ("/dev/null", masked[i], NULL, MS_BIND, NULL);
    }
  static const char *ro[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" };
  for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++)
    {
      if (access (ro[i], F_OK) < 0)
        continue;
      mnt (ro[i], ro[i], NULL, MS_BIND | MS_REC, NULL);
      mnt (NULL, ro[i], NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    }
  mnt (NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);

  if (sethostname ("joey", 4) < 0)
    die ("sethostname");
  struct rlimit rl = { 1024, 1024 };
  if (setrlimit (RLIMIT_NOFILE, &rl) < 0)
    die ("setrlimit");
  setsid ();

  /* Capabilities: bounding set down to the three of the config, then
   * effective = permitted = those three, inheritable and ambient empty. */
  const unsigned long keep = (1UL << CAP_AUDIT_WRITE) | (1UL << CAP_KILL) | (1UL << CAP_NET_BIND_SERVICE);
  for (int c = 0; c <= 63; c++)
    if (!(keep & (1UL << c)) && prctl (PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
      die ("capbset drop");
  prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    die ("no_new_privs");
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2] = { { 0 } };
  data[0].effective = data[0].permitted = (unsigned) keep;
  if (syscall (SYS_capset, &h, data) < 0)
    die ("capset");

  /* READY: everything but the exec is done. */
  if (write (ready_fd, "R", 1) != 1)
    die ("ready");
  close (ready_fd);
  char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL };
  execve (prog[0], prog, envp);
  die ("execve");
}

static char stack[256 * 1024] __attribute__ ((aligned (16)));

static int
child_main (void *arg)
{
  (void) arg;
  child_setup ();
  return 120;
}

/* The init: clone the container's first process and wait for it. */
static int
init_main (void)
{
  pid_t pid = clone (child_main, stack + sizeof stack,
                     CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP | SIGCHLD,
                     NULL);
  if (pid < 0)
    die ("clone");
  close (ready_fd);
  int status;
  if (waitpid (pid, &status, 0) < 0)
    die ("waitpid");
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static double
now_ms (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int
main (int argc, char **argv)
{
  if (argc >= 5 && strcmp (argv[1], "--init") == 0)
    {
      ready_fd = atoi (argv[2]);
      rootfs = argv[3];
      prog = argv + 4;
      return init_main ();
    }
  if (argc < 3)
    {
      fprintf (stderr, "usage: floor ROOTFS PROG [ARG...]\n");
      return 2;
    }
  double t0 = now_ms ();
  int p[2];
  if (pipe (p) < 0)
    die ("pipe");
  pid_t init = fork ();
  if (init == 0)
    {
      close (p[0]);
      char fd[16];
      snprintf (fd, sizeof fd, "%d", p[1]);
      char **av = calloc (argc + 3, sizeof *av);
      av[0] = "floor:[init]";
      av[1] = "--init";
      av[2] = fd;
      for (int i = 1; i < argc; i++)
        av[i + 2] = argv[i];
      execv ("/proc/self/exe", av);
      die ("exec init");
    }
  close (p[1]);
  char c;
  ssize_t r = read (p[0], &c, 1);
  double ready = now_ms () - t0;
  int status;
  waitpid (init, &status, 0);
  if (r == 1)
    printf ("{\"ready_ms\":%.3f}\n", ready);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
