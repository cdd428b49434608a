/*
 * pause.c: the pod sandbox process of the CRI end-to-end test (test/e2e/cri/run.sh builds it
 * statically into the local image localhost/joey-pause:3.6). It holds the pod's namespaces
 * open, so it only waits: SIGINT or SIGTERM end it, and it reaps zombies because it is PID 1
 * when the pod shares its pid namespace (shareProcessNamespace). Man pages: pause(2),
 * sigaction(2), waitpid(2).
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void quit(int sig) {
  (void)sig;
  _exit(0);
}

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, 0, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction q = {.sa_handler = quit};
  struct sigaction r = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP | SA_RESTART};
  sigaction(SIGINT, &q, 0);
  sigaction(SIGTERM, &q, 0);
  sigaction(SIGCHLD, &r, 0);
  for (;;) pause();
}
