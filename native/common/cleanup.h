/* cleanup.h — RAII for C with __attribute__((cleanup)), as crun does:
 * `cleanup_close int fd = -1;` closes fd on every return path, which removes
 * most fd-leak bugs (CVE-2024-21626 was an fd leak). */
#ifndef JOEY_CLEANUP_H
#define JOEY_CLEANUP_H

#include <stdlib.h>
#include <unistd.h>

static inline void
cleanup_close_fn (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}

static inline void
cleanup_free_fn (void *p)
{
  free (*(void **) p);
}

#define cleanup_close __attribute__ ((cleanup (cleanup_close_fn)))
#define cleanup_free __attribute__ ((cleanup (cleanup_free_fn)))

/* Hand an fd out of a cleanup_close variable without closing it. */
static inline int
steal_fd (int *fd)
{
  int r = *fd;
  *fd = -1;
  return r;
}

#endif
