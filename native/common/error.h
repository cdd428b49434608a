/* error.h — crun's error convention: a function returns < 0 and fills a
 * joey_error_t {errno, msg}; the caller adds nothing and returns it up. */
#ifndef JOEY_ERROR_H
#define JOEY_ERROR_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct joey_error {
  int errnum;     /* errno at the failure, 0 when not a syscall failure */
  char msg[1024]; /* lower-case, no trailing period, paths in backticks */
} joey_error_t;

/* Fill err and return -1, so call sites read `return joey_error (err, errno, "...")`. */
__attribute__ ((format (printf, 3, 4))) static inline int
joey_error (joey_error_t *err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (err->msg, sizeof err->msg, fmt, ap);
  va_end (ap);
  err->errnum = errnum;
  if (errnum)
    {
      size_t n = strlen (err->msg);
      snprintf (err->msg + n, sizeof err->msg - n, ": %s", strerror (errnum));
      /* Go's wording ("no such file or directory"): podman and docker map
       * errors to exit codes 127/126 by case-sensitive substrings. */
      if (n + 2 < sizeof err->msg && err->msg[n + 2] >= 'A' && err->msg[n + 2] <= 'Z')
        err->msg[n + 2] = (char) (err->msg[n + 2] - 'A' + 'a');
    }
  return -1;
}

#define UNLIKELY(x) __builtin_expect (!!(x), 0)

#endif
