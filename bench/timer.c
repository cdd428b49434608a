/* timer — fork, exec, wait4 one command and print its wall time, the CPU of
 * the whole reaped tree and the peak RSS of its largest process, as JSON.
 * A static C parent keeps ru_maxrss honest: a child forked from Node would
 * inherit Node's high-water mark (performance.md §10). The timer is a child
 * subreaper, as a containerd shim is, so orphans are reaped at once. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  if (argc < 2)
    return 2;
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  struct timespec a, b;
  clock_gettime (CLOCK_MONOTONIC, &a);
  pid_t pid = fork ();
  if (pid == 0)
    {
      /* The command's stdio is /dev/null: a created container keeps its
       * stdio open, and our stdout is the harness's pipe for the result. */
      int null = open ("/dev/null", O_RDWR);
      dup2 (null, 0);
      dup2 (null, 1);
      dup2 (null, 2);
      execv (argv[1], argv + 1);
      _exit (127);
    }
  int status = 0;
  waitpid (pid, &status, 0);
  clock_gettime (CLOCK_MONOTONIC, &b);
  /* Reap whatever the command left behind (a detached container's process
   * is not waited for: it keeps running, reparented to us, and that is fine). */
  while (waitpid (-1, NULL, WNOHANG) > 0)
    ;
  struct rusage ru;
  getrusage (RUSAGE_CHILDREN, &ru);
  double wall = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
  double cpu = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 + ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
  printf ("{\"wall\":%.3f,\"cpu\":%.3f,\"maxrss_kb\":%ld,\"status\":%d}\n", wall, cpu, ru.ru_maxrss,
          WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status));
  return 0;
}
