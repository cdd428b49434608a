/* hello — the program examples/hello runs: a greeting from inside the
 * container, with what makes it a container (pid 1, its own hostname). */
#include <stdio.h>
#include <unistd.h>

int
main (void)
{
  char host[256] = "";
  gethostname (host, sizeof host - 1);
  printf ("hello from joey! I am pid %d on host \"%s\", inside a container.\n", (int) getpid (), host);
  return 0;
}
