/* safe_open.c — resolve paths inside the container's root, never by joining
 * strings.
 *
 * runtime-spec: config.md#mounts ("destination ... relative to the container's
 * rootfs"), config-linux.md#devices.
 * man pages: openat2(2) (RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS), open(2)
 * (O_PATH, O_NOFOLLOW), mkdirat(2), readlinkat(2), proc(5) (/proc/self/fd).
 *
 * Why this file exists: the image is untrusted. Any component of a destination
 * may be a symlink pointing anywhere, absolute symlinks are meant relative to
 * the container's root, and a directory shared with another container can be
 * swapped for a symlink while we work (CVE-2021-30465). So a path is only ever
 * resolved beneath an fd of the root: by the kernel with openat2(2)
 * RESOLVE_IN_ROOT, which treats that fd as "/" for "..", absolute symlinks and
 * all, or — on kernels older than 5.6 — by walking it one component at a time
 * with O_NOFOLLOW and expanding symlinks by hand inside the root. What is
 * missing is created relative to directory fds reached that way
 * (CVE-2024-45310), and the result is opened O_PATH so the caller can mount on
 * exactly what was checked, via /proc/self/fd/N.
 *
 * Before pivot_root the root is ctx->rootfs_fd; afterwards (or when there is no
 * rootfs fd, as in `exec`) it is a fresh fd of "/". */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* The kernel's own MAXSYMLINKS: a symlink loop in the image ends in ELOOP. */
#define WALK_MAX_LINKS 40
/* openat2 RESOLVE_IN_ROOT returns EAGAIN when a rename raced the lookup. */
#define OPENAT2_RETRIES 32

/* Exported for mounts.c (and console.c/process.c); init.h only declares
 * open_in_root, so the others are declared where they are used. */
int mountpoint_in_root (struct init_ctx *ctx, const char *path, mode_t mode, int as_file, joey_error_t *err);
int open_parent_in_root (struct init_ctx *ctx, const char *path, int mkdirs, char base[NAME_MAX + 1],
                         joey_error_t *err);
int check_fd_in_root (struct init_ctx *ctx, int fd, const char *path, joey_error_t *err);
void safe_open_force_fallback (int on);

static int force_fallback;

/* Tests only: pretend openat2(2) is missing so the component walk is exercised
 * on this kernel too. */
void
safe_open_force_fallback (int on)
{
  force_fallback = on;
}

static bool
use_slash (struct init_ctx *ctx)
{
  return ctx->pivoted || ctx->rootfs_fd < 0;
}

static const char *
root_name (struct init_ctx *ctx)
{
  if (use_slash (ctx))
    return "/";
  return ctx->rootfs ? ctx->rootfs : "the rootfs";
}

/* The fd every lookup starts from; *tmp owns it when it had to be opened. */
static int
root_fd (struct init_ctx *ctx, int *tmp, joey_error_t *err)
{
  if (!use_slash (ctx))
    return ctx->rootfs_fd;
  *tmp = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*tmp < 0)
    return joey_error (err, errno, "open `/`");
  return *tmp;
}

static int
openat2_in_root (int rootfd, const char *path, int flags, mode_t mode)
{
  bool creates = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
  struct open_how how = {
    .flags = (uint64_t) (flags | O_CLOEXEC),
    .mode = creates ? mode : 0, /* openat2 rejects a mode it would not use */
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  if (force_fallback)
    return errno = ENOSYS, -1;
  for (int i = 0; i < OPENAT2_RETRIES; i++)
    {
      int fd = (int) syscall (SYS_openat2, rootfd, path, &how, sizeof how);
      if (fd >= 0 || errno != EAGAIN)
        return fd;
    }
  return -1;
}

enum walk_create
{
  WALK_NONE,
  WALK_DIR,  /* mkdir -p, the last component a directory */
  WALK_FILE, /* mkdir -p the parents, the last component an empty file */
};

struct walk
{
  enum walk_create create;
  mode_t mode;        /* of the last component, when created */
  bool nofollow_last; /* hand back a trailing symlink itself, as O_NOFOLLOW does */
  bool excl;          /* O_CREAT|O_EXCL: the last component must not exist */
};

/* Reopen the directory `done` (components already checked to be directories)
 * from the root, for "..": walking back down again with O_NOFOLLOW means a
 * component swapped for a symlink since fails instead of leading out. */
static int
reopen_from_root (int rootfd, const char *done)
{
  char buf[PATH_MAX], *save = NULL;
  int cur = openat (rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  snprintf (buf, sizeof buf, "%s", done);
  for (char *c = strtok_r (buf, "/", &save); cur >= 0 && c; c = strtok_r (NULL, "/", &save))
    {
      int next = openat (cur, c, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
      close (cur);
      cur = next;
    }
  return cur;
}

/* Resolve `path` beneath rootfd the way RESOLVE_IN_ROOT would, without the
 * kernel's help: every component is opened O_PATH|O_NOFOLLOW relative to the
 * directory fd before it, and a symlink is read and spliced into the rest of
 * the path, an absolute one restarting at the root. Returns an O_PATH fd, or
 * -1 with errno. */
static int
walk_in_root (int rootfd, const char *path, const struct walk *w)
{
  char rest[2 * PATH_MAX], done[PATH_MAX] = "", link[PATH_MAX], tmp[2 * PATH_MAX];
  cleanup_close int cur = -1;
  int links = 0;

  if (snprintf (rest, sizeof rest, "%s", path) >= (int) sizeof rest)
    return errno = ENAMETOOLONG, -1;
  cur = openat (rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cur < 0)
    return -1;

  char *p = rest;
  for (;;)
    {
      char name[NAME_MAX + 1];
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      size_t n = strcspn (p, "/");
      if (n > NAME_MAX)
        return errno = ENAMETOOLONG, -1;
      memcpy (name, p, n);
      name[n] = '\0';
      p += n;
      const char *q = p;
      while (*q == '/')
        q++;
      bool last = *q == '\0';

      if (strcmp (name, ".") == 0)
        continue;
      if (strcmp (name, "..") == 0)
        {
          /* ".." of the root is the root, as in the kernel's RESOLVE_IN_ROOT. */
          char *s = strrchr (done, '/');
          if (s)
            *s = '\0';
          int up = reopen_from_root (rootfd, done);
          if (up < 0)
            return -1;
          close (cur);
          cur = up;
          continue;
        }

      if (last && w->excl && w->create == WALK_FILE)
        {
          int c = openat (cur, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, w->mode);
          if (c < 0)
            return -1;
          close (c);
        }

      cleanup_close int fd = -1;
      for (int tries = 0; fd < 0; tries++)
        {
          fd = openat (cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
          if (fd >= 0)
            break;
          if (errno != ENOENT || w->create == WALK_NONE || tries >= 8)
            return -1;
          /* SECURITY(CVE-2024-45310): create relative to a directory fd we
           * reached inside the root, and with O_EXCL|O_NOFOLLOW, so a racing
           * symlink can make this fail but never make it create on the host. */
          if (last && w->create == WALK_FILE)
            {
              int c = openat (cur, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, w->mode);
              if (c >= 0)
                close (c);
              else if (errno != EEXIST)
                return -1;
            }
          else if (mkdirat (cur, name, last ? w->mode : 0755) < 0 && errno != EEXIST)
            return -1;
        }

      struct stat st;
      if (fstat (fd, &st) < 0)
        return -1;
      if (S_ISLNK (st.st_mode) && !(last && w->nofollow_last))
        {
          if (++links > WALK_MAX_LINKS)
            return errno = ELOOP, -1;
          /* readlinkat(2) of an O_PATH symlink fd with "" reads that very
           * link, not whatever the name points to by now. */
          ssize_t len = readlinkat (fd, "", link, sizeof link - 1);
          if (len < 0)
            return -1;
          if (len == 0)
            return errno = ENOENT, -1;
          link[len] = '\0';
          if (snprintf (tmp, sizeof tmp, "%s/%s", link, p) >= (int) sizeof tmp)
            return errno = ENAMETOOLONG, -1;
          memcpy (rest, tmp, strlen (tmp) + 1);
          p = rest;
          if (link[0] == '/')
            {
              /* Absolute targets mean the container's "/", i.e. our root. */
              int r = openat (rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
              if (r < 0)
                return -1;
              close (cur);
              cur = r;
              done[0] = '\0';
            }
          continue;
        }
      if (last)
        return steal_fd (&fd);
      if (!S_ISDIR (st.st_mode))
        return errno = ENOTDIR, -1;
      size_t dl = strlen (done);
      if (dl + 1 + n + 1 > sizeof done)
        return errno = ENAMETOOLONG, -1;
      done[dl] = '/';
      memcpy (done + dl + 1, name, n + 1);
      close (cur);
      cur = steal_fd (&fd);
    }
  /* The path ended on a directory: "/", ".", "..", "a/.". */
  return steal_fd (&cur);
}

static int
open_fallback (int rootfd, const char *path, int flags, mode_t mode)
{
  struct walk w = {
    .create = (flags & O_CREAT) ? WALK_FILE : WALK_NONE,
    .mode = mode,
    .nofollow_last = (flags & O_NOFOLLOW) != 0,
    .excl = (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL),
  };
  cleanup_close int fd = walk_in_root (rootfd, path, &w);
  struct stat st;
  char proc[64];

  if (fd < 0 || fstat (fd, &st) < 0)
    return -1;
  if ((flags & O_DIRECTORY) && !S_ISDIR (st.st_mode))
    return errno = ENOTDIR, -1;
  if (flags & O_PATH)
    return steal_fd (&fd);
  if (S_ISLNK (st.st_mode))
    return errno = ELOOP, -1;
  /* Reopen what the walk found, not the name, which may have changed since. */
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  return open (proc, (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
}

/* openat2(root, path, flags|O_CLOEXEC, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS),
 * or the component walk on kernels without openat2. On failure err->errnum
 * (and errno) say why, so callers can treat ENOENT as "skip". */
int
open_in_root (struct init_ctx *ctx, const char *path, int flags, mode_t mode, joey_error_t *err)
{
  cleanup_close int tmp = -1;
  int root = root_fd (ctx, &tmp, err);
  if (root < 0)
    return -1;
  /* SECURITY(CVE-2021-30465): the kernel resolves every component, ".." and
   * absolute symlinks beneath the root; magic links (/proc/self/fd/N, …)
   * could jump anywhere and are refused. */
  int fd = openat2_in_root (root, path, flags, mode);
  if (fd < 0 && errno == ENOSYS)
    fd = open_fallback (root, path, flags, mode);
  if (fd < 0)
    {
      int e = errno;
      joey_error (err, e, "open `%s` in `%s`", path, root_name (ctx));
      errno = e;
      return -1;
    }
  return fd;
}

/* An O_PATH fd of `path` inside the root, creating it if missing: directories
 * (mode for the last one), or an empty file as the last component when as_file
 * (the mountpoint of a file bind mount). Symlinks are followed inside the
 * root, so e.g. /etc/resolv.conf -> ../run/x lands on <rootfs>/run/x. */
int
mountpoint_in_root (struct init_ctx *ctx, const char *path, mode_t mode, int as_file, joey_error_t *err)
{
  cleanup_close int tmp = -1;
  int root = root_fd (ctx, &tmp, err);
  if (root < 0)
    return -1;
  int fd = openat2_in_root (root, path, O_PATH, 0);
  if (fd >= 0)
    return fd;
  if (errno != ENOENT && errno != ENOSYS)
    return joey_error (err, errno, "open `%s` in `%s`", path, root_name (ctx));
  struct walk w = { .create = as_file ? WALK_FILE : WALK_DIR, .mode = mode };
  fd = walk_in_root (root, path, &w);
  if (fd < 0)
    return joey_error (err, errno, "create `%s` in `%s`", path, root_name (ctx));
  return fd;
}

/* The directory that will hold `path`, for mknod and symlink: every
 * component, starting with /dev, is opened without following any symlink
 * (mkdirs creates the missing ones), and `..` is refused outright. The last
 * component is copied into base. Device paths have no business going through
 * symlinks, so this is stricter than open_in_root. */
int
open_parent_in_root (struct init_ctx *ctx, const char *path, int mkdirs, char base[NAME_MAX + 1],
                     joey_error_t *err)
{
  char buf[PATH_MAX], so_far[PATH_MAX] = "";
  char *save = NULL, *c, *next;
  cleanup_close int tmp = -1;
  cleanup_close int cur = -1;
  int root = root_fd (ctx, &tmp, err);

  if (root < 0)
    return -1;
  if (snprintf (buf, sizeof buf, "%s", path) >= (int) sizeof buf)
    return joey_error (err, ENAMETOOLONG, "`%s`", path);
  cur = openat (root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cur < 0)
    return joey_error (err, errno, "open `%s`", root_name (ctx));

  c = strtok_r (buf, "/", &save);
  while (c && strcmp (c, ".") == 0)
    c = strtok_r (NULL, "/", &save);
  for (; c; c = next)
    {
      next = strtok_r (NULL, "/", &save);
      while (next && strcmp (next, ".") == 0)
        next = strtok_r (NULL, "/", &save);
      if (strcmp (c, "..") == 0)
        return joey_error (err, EINVAL, "`%s`: `..` is not allowed here", path);
      if (strlen (c) > NAME_MAX)
        return joey_error (err, ENAMETOOLONG, "`%s`", path);
      if (next == NULL)
        {
          memcpy (base, c, strlen (c) + 1);
          return steal_fd (&cur);
        }
      size_t l = strlen (so_far);
      snprintf (so_far + l, sizeof so_far - l, "/%s", c);

      /* SECURITY(CVE-2026-41579): O_NOFOLLOW|O_DIRECTORY on every component
       * — /dev first — so a /dev (or /dev/net) symlink in the image cannot
       * redirect device creation out of the rootfs; it fails instead. */
      int fd = openat (cur, c, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT && mkdirs)
        {
          if (mkdirat (cur, c, 0755) < 0 && errno != EEXIST)
            return joey_error (err, errno, "mkdir `%s` in `%s`", so_far, root_name (ctx));
          fd = openat (cur, c, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
        }
      if (fd < 0)
        {
          int e = errno;
          struct stat st;
          if (fstatat (cur, c, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (st.st_mode))
            return joey_error (err, ELOOP, "`%s` in `%s` is a symlink, refusing to follow it for `%s`", so_far,
                               root_name (ctx), path);
          return joey_error (err, e, "open `%s` in `%s`", so_far, root_name (ctx));
        }
      close (cur);
      cur = fd;
    }
  return joey_error (err, EINVAL, "`%s` names no file", path);
}

static int
fd_path (int fd, char *buf, size_t len)
{
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  ssize_t n = readlink (proc, buf, len - 1);
  if (n < 0)
    return -1;
  buf[n] = '\0';
  return 0;
}

/* SECURITY(CVE-2021-30465): after resolving (and maybe creating) a mount
 * destination, ask the kernel where the fd really is. A directory renamed out
 * of the rootfs by a racing container while we held it shows up here with a
 * path outside, and the mount is refused. */
int
check_fd_in_root (struct init_ctx *ctx, int fd, const char *path, joey_error_t *err)
{
  char root[PATH_MAX] = "/", got[PATH_MAX];
  size_t n = 0;

  if (!use_slash (ctx))
    {
      if (fd_path (ctx->rootfs_fd, root, sizeof root) < 0)
        return joey_error (err, errno, "readlink of the rootfs fd");
      n = strcmp (root, "/") == 0 ? 0 : strlen (root);
    }
  if (fd_path (fd, got, sizeof got) < 0)
    return joey_error (err, errno, "readlink of the fd of `%s`", path);
  if (got[0] == '/' && strncmp (got, root, n) == 0 && (got[n] == '\0' || got[n] == '/'))
    return 0;
  return joey_error (err, 0, "`%s` resolved to `%s`, outside the rootfs `%s`", path, got, root);
}
