/* timer — fork, exec, wait4 commands and print, per command, its wall time,
 * the CPU of the reaped tree, the peak RSS of its largest process and its
 * exit status, one JSON line each. A static C parent keeps ru_maxrss honest: a
 * child forked from Node would inherit Node's high-water mark (performance.md
 * §10). The timer is a child subreaper, as a containerd shim is, so orphans
 * are reparented to it and reaped at once.
 *
 *   timer [--mntns PATH] [--gap MS] [--capture] [--errfile F] [--par K] STEP [--- STEP ...]
 *
 * STEP is an argv, or "@wait": block until any child of the timer exits (the
 * container's process after `start`: it was reparented here) and report that
 * time. --mntns setns(2)s into a mount namespace before anything is forked, so
 * that every runtime can be timed inside the same namespace without timing an
 * nsenter (performance.md §12). --gap sleeps MS before each step (the idle gap
 * of §10). --capture sends each command's stdout to the timer's stderr (for
 * `state` and `list`, whose output the harness checks). --par K runs the
 * steps K at a time, without gaps, and prints one more line with the total.
 * --errfile appends the commands' stderr to F (else /dev/null). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int capture;
static const char *errfile;
/* An orphan reaped right after a step (a container that exited before the
 * timer got to "@wait"): when, and its status. */
static double orphan_at = -1;
static int orphan_status;
static pid_t orphan_pid;

static double
now_ms (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double
cpu_ms (const struct rusage *ru)
{
  return ru->ru_utime.tv_sec * 1e3 + ru->ru_utime.tv_usec / 1e3 + ru->ru_stime.tv_sec * 1e3 + ru->ru_stime.tv_usec / 1e3;
}

static int
exit_code (int status)
{
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static pid_t
launch (char **argv)
{
  pid_t pid = fork ();
  if (pid == 0)
    {
      /* The command's stdio is /dev/null: a created container keeps its
       * stdio open, and our stdout is the harness's pipe for the result. */
      int null = open ("/dev/null", O_RDWR);
      dup2 (null, 0);
      dup2 (capture ? 2 : null, 1);
      int err = errfile ? open (errfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;
      dup2 (err >= 0 ? err : null, 2);
      if (null > 2)
        close (null);
      execv (argv[0], argv);
      _exit (127);
    }
  return pid;
}

static void
on_alarm (int sig)
{
  (void) sig;
}

/* Orphans (e.g. crun's intermediate process) are charged to the step that
 * just ran; a container still running is left alone. */
static void
reap_orphans (struct rusage *acc)
{
  struct rusage ru;
  int status;
  pid_t p;
  while ((p = wait4 (-1, &status, WNOHANG, &ru)) > 0)
    {
      orphan_at = now_ms ();
      orphan_status = exit_code (status);
      orphan_pid = p;
      acc->ru_utime.tv_sec += ru.ru_utime.tv_sec;
      acc->ru_utime.tv_usec += ru.ru_utime.tv_usec;
      acc->ru_stime.tv_sec += ru.ru_stime.tv_sec;
      acc->ru_stime.tv_usec += ru.ru_stime.tv_usec;
      if (ru.ru_maxrss > acc->ru_maxrss)
        acc->ru_maxrss = ru.ru_maxrss;
    }
}

static void
report (double wall, const struct rusage *ru, int status, pid_t pid)
{
  printf ("{\"wall\":%.3f,\"cpu\":%.3f,\"maxrss_kb\":%ld,\"status\":%d,\"pid\":%d}\n", wall, cpu_ms (ru), ru->ru_maxrss,
          status, (int) pid);
  fflush (stdout);
}

int
main (int argc, char **argv)
{
  int gap_ms = 0, par = 0, i = 1;
  for (; i < argc && strncmp (argv[i], "--", 2) == 0 && strcmp (argv[i], "---") != 0; i++)
    {
      if (strcmp (argv[i], "--mntns") == 0 && i + 1 < argc)
        {
          int fd = open (argv[++i], O_RDONLY | O_CLOEXEC);
          if (fd < 0 || setns (fd, CLONE_NEWNS) < 0)
            {
              fprintf (stderr, "timer: setns %s: %s\n", argv[i], strerror (errno));
              return 2;
            }
          close (fd);
        }
      else if (strcmp (argv[i], "--gap") == 0 && i + 1 < argc)
        gap_ms = atoi (argv[++i]);
      else if (strcmp (argv[i], "--par") == 0 && i + 1 < argc)
        par = atoi (argv[++i]);
      else if (strcmp (argv[i], "--errfile") == 0 && i + 1 < argc)
        errfile = argv[++i];
      else if (strcmp (argv[i], "--capture") == 0)
        capture = 1;
      else
        return 2;
    }
  if (i >= argc)
    return 2;
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  struct sigaction sa = { .sa_handler = on_alarm };
  sigaction (SIGALRM, &sa, NULL); /* no SA_RESTART: a blocked wait returns EINTR */

  /* Split argv into steps at "---". */
  char **steps[4096];
  int n = 0;
  steps[n++] = argv + i;
  for (int j = i; j < argc && n < 4096; j++)
    if (strcmp (argv[j], "---") == 0)
      {
        argv[j] = NULL;
        steps[n++] = argv + j + 1;
      }

  if (par > 0)
    {
      pid_t pids[4096];
      double start[4096];
      int next = 0, running = 0, done = 0;
      double t0 = now_ms ();
      struct { double wall; struct rusage ru; int status; } res[4096];
      while (done < n)
        {
          while (running < par && next < n)
            {
              start[next] = now_ms ();
              pids[next] = launch (steps[next]);
              next++;
              running++;
            }
          struct rusage ru;
          int status;
          pid_t p = wait4 (-1, &status, 0, &ru);
          if (p < 0)
            break;
          for (int k = 0; k < next; k++)
            if (pids[k] == p)
              {
                res[k].wall = now_ms () - start[k];
                res[k].ru = ru;
                res[k].status = exit_code (status);
                running--;
                done++;
                break;
              }
        }
      double total = now_ms () - t0;
      struct rusage junk = { 0 };
      reap_orphans (&junk);
      for (int k = 0; k < n; k++)
        report (res[k].wall, &res[k].ru, res[k].status, pids[k]);
      printf ("{\"total\":%.3f,\"n\":%d}\n", total, n);
      return 0;
    }

  double step_end = 0;
  for (int k = 0; k < n; k++)
    {
      struct rusage ru = { 0 };
      if (strcmp (steps[k][0], "@wait") == 0)
        {
          /* No gap: the time from the previous step returning to any child
           * (the container's process) exiting. */
          double a = now_ms ();
          int status = 0;
          if (orphan_at >= 0 && k > 0)
            {
              report (orphan_at - step_end, &ru, orphan_status, orphan_pid);
              orphan_at = -1;
              continue;
            }
          alarm (5);
          pid_t p = wait4 (-1, &status, 0, &ru);
          alarm (0);
          report (now_ms () - a, &ru, p > 0 ? exit_code (status) : -1, p);
          continue;
        }
      if (gap_ms > 0)
        {
          struct timespec g = { gap_ms / 1000, (gap_ms % 1000) * 1000000L };
          nanosleep (&g, NULL);
        }
      double a = now_ms ();
      pid_t pid = launch (steps[k]);
      int status = 0;
      wait4 (pid, &status, 0, &ru);
      double wall = now_ms () - a;
      step_end = a + wall;
      orphan_at = -1;
      reap_orphans (&ru);
      report (wall, &ru, exit_code (status), pid);
    }
  return 0;
}
