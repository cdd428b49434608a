/* probe — a tiny static witness the tests run inside containers (like crun's
 * tests/init.c): each verb prints what the container sees, one fact per line,
 * so a test can check isolation from the inside.
 *
 *   probe VERB [ARGS...] [; VERB [ARGS...]]...
 *
 * Verbs: pid, ppid, hostname, domainname, ids, cwd, env, umask, fds, ns,
 * mountinfo, status (Cap*, NoNewPrivs, Seccomp lines), rlimits, cat FILE,
 * stat PATH, ls DIR, write PATH TEXT, mkdir PATH, open PATH, isatty, winsize,
 * echo ARGS, exit N, sleep SECS, wait-signal, alloc MIB, fork N, spin SECS,
 * personality, oom, cgroup, ioprio, sched, affinity */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sched.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void
cat (const char *path, const char *prefix_filter)
{
  FILE *f = fopen (path, "re");
  if (!f)
    {
      printf ("error %s %s\n", path, strerror (errno));
      return;
    }
  char line[4096];
  while (fgets (line, sizeof line, f))
    if (!prefix_filter || strstr (line, prefix_filter) == line)
      fputs (line, stdout);
  fclose (f);
}

static int
verb (int argc, char **argv)
{
  const char *v = argv[0];
  if (!strcmp (v, "pid"))
    printf ("pid %d\n", (int) getpid ());
  else if (!strcmp (v, "ppid"))
    printf ("ppid %d\n", (int) getppid ());
  else if (!strcmp (v, "hostname") || !strcmp (v, "domainname"))
    {
      char buf[256] = "";
      if (v[0] == 'h')
        gethostname (buf, sizeof buf - 1);
      else
        getdomainname (buf, sizeof buf - 1);
      printf ("%s %s\n", v, buf);
    }
  else if (!strcmp (v, "ids"))
    {
      gid_t g[256];
      int n = getgroups (256, g);
      printf ("uid %d\ngid %d\neuid %d\negid %d\ngroups", (int) getuid (), (int) getgid (), (int) geteuid (), (int) getegid ());
      for (int i = 0; i < n; i++)
        printf (" %d", (int) g[i]);
      printf ("\n");
    }
  else if (!strcmp (v, "cwd"))
    {
      char buf[4096];
      printf ("cwd %s\n", getcwd (buf, sizeof buf) ? buf : strerror (errno));
    }
  else if (!strcmp (v, "env"))
    for (char **e = environ; *e; e++)
      printf ("env %s\n", *e);
  else if (!strcmp (v, "umask"))
    {
      mode_t m = umask (0);
      umask (m);
      printf ("umask %04o\n", (unsigned) m);
    }
  else if (!strcmp (v, "fds"))
    {
      DIR *d = opendir ("/proc/self/fd");
      int self = d ? dirfd (d) : -1;
      struct dirent *de;
      while (d && (de = readdir (d)))
        {
          if (de->d_name[0] == '.' || atoi (de->d_name) == self)
            continue;
          char p[300], t[4096];
          snprintf (p, sizeof p, "/proc/self/fd/%s", de->d_name);
          ssize_t n = readlink (p, t, sizeof t - 1);
          t[n < 0 ? 0 : n] = 0;
          printf ("fd %s %s\n", de->d_name, t);
        }
      if (d)
        closedir (d);
    }
  else if (!strcmp (v, "ns"))
    {
      const char *names[] = { "cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts" };
      for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        {
          char p[64], t[256];
          snprintf (p, sizeof p, "/proc/self/ns/%s", names[i]);
          ssize_t n = readlink (p, t, sizeof t - 1);
          t[n < 0 ? 0 : n] = 0;
          printf ("ns %s %s\n", names[i], n < 0 ? strerror (errno) : t);
        }
    }
  else if (!strcmp (v, "mountinfo"))
    cat ("/proc/self/mountinfo", NULL);
  else if (!strcmp (v, "status"))
    {
      cat ("/proc/self/status", "Cap");
      cat ("/proc/self/status", "NoNewPrivs");
      cat ("/proc/self/status", "Seccomp:");
    }
  else if (!strcmp (v, "cgroup"))
    cat ("/proc/self/cgroup", NULL);
  else if (!strcmp (v, "oom"))
    cat ("/proc/self/oom_score_adj", NULL);
  else if (!strcmp (v, "rlimits"))
    {
      for (int r = 0; r < RLIM_NLIMITS; r++)
        {
          struct rlimit rl;
          getrlimit (r, &rl);
          printf ("rlimit %d %lld %lld\n", r, rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long) rl.rlim_cur,
                  rl.rlim_max == RLIM_INFINITY ? -1LL : (long long) rl.rlim_max);
        }
    }
  else if (!strcmp (v, "ioprio"))
    {
      /* ioprio_get(2) IOPRIO_WHO_PROCESS, self: class in the top 3 of 16 bits */
      long r = syscall (SYS_ioprio_get, 1, 0);
      if (r < 0)
        printf ("ioprio error %s\n", strerror (errno));
      else
        printf ("ioprio class %ld level %ld\n", (r >> 13) & 7, r & 0x1fff);
    }
  else if (!strcmp (v, "sched"))
    {
      struct sched_param sp;
      int pol = sched_getscheduler (0);
      sched_getparam (0, &sp);
      errno = 0;
      int nice = getpriority (PRIO_PROCESS, 0);
      printf ("sched policy %d priority %d nice %d\n", pol & ~SCHED_RESET_ON_FORK, sp.sched_priority, nice);
    }
  else if (!strcmp (v, "affinity"))
    {
      cpu_set_t set;
      CPU_ZERO (&set);
      if (sched_getaffinity (0, sizeof set, &set) < 0)
        printf ("affinity error %s\n", strerror (errno));
      else
        {
          printf ("affinity");
          for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET (c, &set))
              printf (" %d", c);
          printf ("\n");
        }
    }
  else if (!strcmp (v, "personality"))
    printf ("personality 0x%x\n", (unsigned) personality (0xffffffff));
  else if (!strcmp (v, "cat") && argc > 1)
    cat (argv[1], NULL);
  else if (!strcmp (v, "stat") && argc > 1)
    {
      struct stat st;
      if (lstat (argv[1], &st) < 0)
        printf ("stat %s error %s\n", argv[1], strerror (errno));
      else
        {
          const char *t = S_ISDIR (st.st_mode) ? "dir" : S_ISREG (st.st_mode) ? "file" : S_ISLNK (st.st_mode) ? "symlink"
                          : S_ISCHR (st.st_mode) ? "char" : S_ISBLK (st.st_mode) ? "block" : S_ISFIFO (st.st_mode) ? "fifo" : "other";
          printf ("stat %s %s %04o %u:%u %d:%d\n", argv[1], t, (unsigned) (st.st_mode & 07777), major (st.st_rdev),
                  minor (st.st_rdev), (int) st.st_uid, (int) st.st_gid);
        }
    }
  else if (!strcmp (v, "ls") && argc > 1)
    {
      DIR *d = opendir (argv[1]);
      struct dirent *de;
      if (!d)
        printf ("ls %s error %s\n", argv[1], strerror (errno));
      while (d && (de = readdir (d)))
        if (de->d_name[0] != '.')
          printf ("ls %s\n", de->d_name);
      if (d)
        closedir (d);
    }
  else if (!strcmp (v, "write") && argc > 2)
    {
      int fd = open (argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0 || write (fd, argv[2], strlen (argv[2])) < 0)
        printf ("write %s error %s\n", argv[1], strerror (errno));
      else
        printf ("write %s ok\n", argv[1]);
      if (fd >= 0)
        close (fd);
    }
  else if (!strcmp (v, "open") && argc > 1)
    {
      int fd = open (argv[1], O_RDONLY | O_CLOEXEC);
      printf ("open %s %s\n", argv[1], fd < 0 ? strerror (errno) : "ok");
      if (fd >= 0)
        close (fd);
    }
  else if (!strcmp (v, "mkdir") && argc > 1)
    printf ("mkdir %s %s\n", argv[1], mkdir (argv[1], 0755) < 0 ? strerror (errno) : "ok");
  else if (!strcmp (v, "isatty"))
    printf ("isatty %d %s\n", isatty (0), isatty (0) ? ttyname (0) : "");
  else if (!strcmp (v, "winsize"))
    {
      struct winsize ws;
      if (ioctl (0, TIOCGWINSZ, &ws) < 0)
        printf ("winsize %s\n", strerror (errno));
      else
        printf ("winsize %u %u\n", ws.ws_row, ws.ws_col);
    }
  else if (!strcmp (v, "echo"))
    {
      for (int i = 1; i < argc; i++)
        printf ("%s%s", i > 1 ? " " : "", argv[i]);
      printf ("\n");
    }
  else if (!strcmp (v, "exit") && argc > 1)
    {
      fflush (stdout);
      exit (atoi (argv[1]));
    }
  else if (!strcmp (v, "sleep") && argc > 1)
    {
      fflush (stdout);
      struct timespec ts = { .tv_sec = atoi (argv[1]) };
      nanosleep (&ts, NULL);
    }
  else if (!strcmp (v, "wait-signal"))
    {
      sigset_t set;
      sigfillset (&set);
      sigprocmask (SIG_BLOCK, &set, NULL);
      printf ("waiting\n");
      fflush (stdout);
      int sig = 0;
      sigwait (&set, &sig);
      printf ("signal %d\n", sig);
    }
  else if (!strcmp (v, "alloc") && argc > 1)
    {
      size_t mib = (size_t) atol (argv[1]);
      for (size_t i = 0; i < mib; i++)
        {
          char *p = malloc (1 << 20);
          if (!p)
            {
              printf ("alloc failed at %zu MiB\n", i);
              return 1;
            }
          memset (p, 1, 1 << 20);
        }
      printf ("alloc %zu MiB ok\n", mib);
    }
  else if (!strcmp (v, "fork") && argc > 1)
    {
      int n = atoi (argv[1]), ok = 0;
      fflush (stdout);
      for (int i = 0; i < n; i++)
        {
          pid_t p = fork ();
          if (p == 0)
            {
              sleep (2);
              _exit (0);
            }
          if (p > 0)
            ok++;
          else
            printf ("fork %d failed %s\n", i, strerror (errno));
        }
      printf ("forked %d\n", ok);
      while (wait (NULL) > 0)
        ;
    }
  else if (!strcmp (v, "spin") && argc > 1)
    {
      time_t end = time (NULL) + atoi (argv[1]);
      volatile unsigned long x = 0;
      while (time (NULL) < end)
        x++;
    }
  else
    {
      fprintf (stderr, "probe: unknown verb %s\n", v);
      return 2;
    }
  return 0;
}

int
main (int argc, char **argv)
{
  int start = 1, ret = 0;
  for (int i = 1; i <= argc; i++)
    if (i == argc || !strcmp (argv[i], ";"))
      {
        if (i > start)
          ret = verb (i - start, argv + start);
        fflush (stdout);
        if (ret)
          return ret;
        start = i + 1;
      }
  return ret;
}
