/* mounts_test.c — root-only tests of native/init/mounts.c and safe_open.c
 * against a temporary rootfs, one forked child with its own mount namespace
 * per test, so nothing a test mounts is visible to the host or to the next
 * test. Output is TAP; the exit status is non-zero if any test failed.
 *
 * The security cases are the "test" column of docs/security.md rows 4, 5, 6,
 * 8, 10, 12 and 17: CVE-2021-30465, CVE-2024-45310, CVE-2019-19921,
 * CVE-2025-31133, CVE-2026-41579. Most run twice: with openat2(2), and with
 * the component walk safe_open.c falls back to on kernels without it.
 *
 * Links mounts.c + safe_open.c + plan.c only; ops are built by hand. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../init/init.h"

/* safe_open.c's helpers (not in init.h). */
int mountpoint_in_root (struct init_ctx *ctx, const char *path, mode_t mode, int as_file, joey_error_t *err);
int check_fd_in_root (struct init_ctx *ctx, int fd, const char *path, joey_error_t *err);
void safe_open_force_fallback (int on);

static char base[PATH_MAX];    /* /tmp/joey-mounts-test.<pid> */
static char outside[PATH_MAX]; /* /tmp/outside-<pid> */
static int failures;           /* in the child: failed checks */

#define CHECK(cond)                                                                                                    \
  do                                                                                                                   \
    {                                                                                                                  \
      if (!(cond))                                                                                                     \
        {                                                                                                              \
          printf ("#   check failed: %s (line %d)\n", #cond, __LINE__);                                               \
          failures++;                                                                                                  \
        }                                                                                                              \
    }                                                                                                                  \
  while (0)

/* Run an op and print its error when it fails. */
#define RUN(fn, ctx, op, err) run_op (#fn, fn, ctx, op, err)

static int
run_op (const char *name, op_fn fn, struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  memset (err, 0, sizeof *err);
  int r = fn (ctx, op, err);
  if (r < 0)
    printf ("#   %s: %s\n", name, err->msg);
  return r;
}

/* ---- building ops by hand ---- */

struct opb
{
  struct op op;
  struct field f[16];
  uint64_t u[16];
};

static struct opb *
ob (int kind)
{
  static struct opb pool[64];
  static int next;
  struct opb *b = &pool[next++ % 64];
  memset (b, 0, sizeof *b);
  b->op.kind = (uint16_t) kind;
  b->op.fields = b->f;
  return b;
}

static struct opb *
ob_str (struct opb *b, int id, const char *s)
{
  struct field *f = &b->f[b->op.nfields++];
  *f = (struct field){ .id = (uint16_t) id, .type = FT_STR, .len = (uint32_t) strlen (s) + 1, .data = (const uint8_t *) s };
  return b;
}

static struct opb *
ob_u64 (struct opb *b, int id, uint64_t v)
{
  uint32_t n = b->op.nfields++;
  b->u[n] = v;
  b->f[n] = (struct field){ .id = (uint16_t) id, .type = FT_U64, .len = 8, .data = (const uint8_t *) &b->u[n] };
  return b;
}

/* ---- filesystem helpers ---- */

static void
sh (const char *fmt, ...)
{
  char cmd[4 * PATH_MAX];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (cmd, sizeof cmd, fmt, ap);
  va_end (ap);
  if (system (cmd) != 0)
    {
      printf ("#   setup failed: %s\n", cmd);
      failures++;
    }
}

static void
write_file (const char *path, const char *s)
{
  FILE *f = fopen (path, "w");
  if (f == NULL)
    {
      printf ("#   cannot write %s: %s\n", path, strerror (errno));
      failures++;
      return;
    }
  fputs (s, f);
  fclose (f);
}

/* Bytes read, or -errno. */
static ssize_t
read_file (const char *path, char *buf, size_t len)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  ssize_t n = read (fd, buf, len - 1);
  int e = errno;
  close (fd);
  if (n < 0)
    return -e;
  buf[n] = '\0';
  return n;
}

/* 0 when the write worked, else errno. */
static int
try_write (const char *path, int flags)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC | flags, 0644);
  if (fd < 0)
    return errno;
  int r = write (fd, "x", 1) == 1 ? 0 : errno;
  close (fd);
  return r;
}

static int
count_entries (const char *dir)
{
  DIR *d = opendir (dir);
  int n = 0;
  if (d == NULL)
    return -1;
  for (struct dirent *e; (e = readdir (d));)
    if (strcmp (e->d_name, ".") && strcmp (e->d_name, ".."))
      n++;
  closedir (d);
  return n;
}

static bool
is_mount_root (const char *path)
{
  struct statx sx;
  if (statx (AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, &sx) < 0)
    return false;
  return (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

/* Is any mount point at or below prefix, in this mount namespace? */
static bool
mounted_under (const char *prefix)
{
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  char line[8192], mp[PATH_MAX];
  bool found = false;
  size_t n = strlen (prefix);
  while (f && fgets (line, sizeof line, f))
    if (sscanf (line, "%*s %*s %*s %*s %4095s", mp) == 1 && strncmp (mp, prefix, n) == 0
        && (mp[n] == '\0' || mp[n] == '/'))
      found = true;
  if (f)
    fclose (f);
  return found;
}

static void
ctx_init (struct init_ctx *ctx)
{
  memset (ctx, 0, sizeof *ctx);
  ctx->sync_fd = ctx->rootfs_fd = ctx->host_dev_null = ctx->fifo_fd = ctx->console_sock = -1;
}

/* A fresh rootfs directory for one test: <base>/<name>/rootfs. */
static void
make_rootfs (const char *name, char *rootfs)
{
  snprintf (rootfs, PATH_MAX, "%s/%s/rootfs", base, name);
  /* Each run starts clean: the same test runs with and without openat2. */
  sh ("rm -rf --one-file-system '%s/%s' && mkdir -p '%s'", base, name, rootfs);
}

static int
bind_rootfs (struct init_ctx *ctx, const char *rootfs)
{
  joey_error_t err;
  if (RUN (op_set_propagation, ctx, &ob_u64 (ob (OP_SET_PROPAGATION), F_FLAGS, MS_REC | MS_SLAVE)->op, &err) < 0)
    return -1;
  return RUN (op_bind_rootfs, ctx, &ob_str (ob (OP_BIND_ROOTFS), F_PATH, rootfs)->op, &err);
}

static struct opb *
mount_op (const char *fstype, const char *source, const char *dest, unsigned long flags)
{
  struct opb *b = ob (OP_MOUNT);
  ob_str (b, F_PATH, dest);
  if (fstype)
    ob_str (b, F_FSTYPE, fstype);
  if (source)
    ob_str (b, F_SOURCE, source);
  ob_u64 (b, F_FLAGS, flags);
  return b;
}

/* ---- the tests ---- */

/* CVE-2021-30465, CVE-2024-45310: a destination whose parent is a symlink to a
 * host directory outside the rootfs. */
static void
t_symlinked_parent (void)
{
  char rootfs[PATH_MAX], p[2 * PATH_MAX], src[2 * PATH_MAX];
  struct init_ctx ctx;
  joey_error_t err;

  make_rootfs ("parent", rootfs);
  sh ("rm -rf '%s' && mkdir -p '%s' && ln -s '%s' '%s/abs' && ln -s '../../../../../../../..%s' '%s/rel'", outside,
      outside, outside, rootfs, outside, rootfs);
  snprintf (src, sizeof src, "%s/parent/hostfile", base);
  write_file (src, "HOSTFILE\n");
  ctx_init (&ctx);
  CHECK (bind_rootfs (&ctx, rootfs) == 0);

  int r1 = RUN (op_mount, &ctx, &mount_op ("tmpfs", "tmpfs", "/abs/mnt", 0)->op, &err);
  int r2 = RUN (op_mount, &ctx, &mount_op ("tmpfs", "tmpfs", "/rel/deeper/mnt", 0)->op, &err);
  int r3 = RUN (op_mount, &ctx, &mount_op (NULL, src, "/abs/file", MS_BIND)->op, &err);
  int r4 = RUN (op_mkdir_in_root, &ctx, &ob_str (ob (OP_MKDIR_IN_ROOT), F_PATH, "/rel/made/here")->op, &err);

  /* Nothing outside: the host directory stays empty and unmounted. */
  CHECK (count_entries (outside) == 0);
  CHECK (!mounted_under (outside));
  /* Each op either failed or landed inside the rootfs, where the symlinks
   * resolve when the rootfs is "/". */
  snprintf (p, sizeof p, "%s%s/mnt", rootfs, outside);
  CHECK (r1 < 0 || is_mount_root (p));
  snprintf (p, sizeof p, "%s%s/deeper/mnt", rootfs, outside);
  CHECK (r2 < 0 || is_mount_root (p));
  snprintf (p, sizeof p, "%s%s/file", rootfs, outside);
  char buf[64];
  CHECK (r3 < 0 || (read_file (p, buf, sizeof buf) > 0 && strcmp (buf, "HOSTFILE\n") == 0));
  snprintf (p, sizeof p, "%s%s/made/here", rootfs, outside);
  struct stat st;
  CHECK (r4 < 0 || (stat (p, &st) == 0 && S_ISDIR (st.st_mode)));
  /* With openat2 or the walk, all of them resolve (and succeed) in the root. */
  CHECK (r1 == 0 && r2 == 0 && r3 == 0 && r4 == 0);

  /* ".." cannot climb out either, and the fd check agrees. */
  int fd = open_in_root (&ctx, "/../../../../..", O_PATH | O_DIRECTORY, 0, &err);
  CHECK (fd >= 0);
  if (fd >= 0)
    {
      struct stat a, b;
      CHECK (fstat (fd, &a) == 0 && stat (rootfs, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev);
      CHECK (check_fd_in_root (&ctx, fd, "/..", &err) == 0);
      close (fd);
    }
  /* An fd outside the rootfs is refused by the check. */
  fd = open (outside, O_PATH | O_CLOEXEC);
  CHECK (fd >= 0 && check_fd_in_root (&ctx, fd, "/x", &err) < 0 && strstr (err.msg, "outside the rootfs"));
  if (fd >= 0)
    close (fd);
}

/* CVE-2019-19921: proc onto a symlink (runc's "/proc is a symlink"). */
static void
t_proc_symlink (void)
{
  char rootfs[PATH_MAX], p[2 * PATH_MAX];
  struct init_ctx ctx;
  joey_error_t err;

  make_rootfs ("procsym", rootfs);
  sh ("mkdir -p '%s/fakeproc' && ln -s fakeproc '%s/proc' && touch '%s/sysfile'", rootfs, rootfs, rootfs);
  ctx_init (&ctx);
  CHECK (bind_rootfs (&ctx, rootfs) == 0);

  struct opb *b = mount_op ("proc", "proc", "/proc", 0);
  ob_u64 (b, F_MUST_BE_DIR, 1);
  memset (&err, 0, sizeof err);
  CHECK (op_mount (&ctx, &b->op, &err) < 0);
  printf ("#   error: %s\n", err.msg);
  CHECK (strcmp (err.msg, "mount proc on `/proc`: destination must be a directory, not a symlink") == 0);
  snprintf (p, sizeof p, "%s/fakeproc", rootfs);
  CHECK (!mounted_under (p) && count_entries (p) == 0);

  b = mount_op ("sysfs", "sysfs", "/sysfile", 0);
  ob_u64 (b, F_MUST_BE_DIR, 1);
  memset (&err, 0, sizeof err);
  CHECK (op_mount (&ctx, &b->op, &err) < 0 && strstr (err.msg, "must be a directory, not a regular file"));

  /* A real directory (created when missing) is fine. */
  b = mount_op ("proc", "proc", "/realproc", 0);
  ob_u64 (b, F_MUST_BE_DIR, 1);
  CHECK (RUN (op_mount, &ctx, &b->op, &err) == 0);
  snprintf (p, sizeof p, "%s/realproc/self/stat", rootfs);
  CHECK (access (p, R_OK) == 0);
}

/* CVE-2025-31133 and row 17: pivot_root, then masks with the host /dev/null
 * although the image's /dev/null is a symlink to a regular file. */
static void
t_pivot_and_mask (bool move)
{
  char rootfs[PATH_MAX], buf[256];
  struct init_ctx ctx;
  joey_error_t err;
  struct stat st;

  make_rootfs (move ? "moveroot" : "pivot", rootfs);
  sh ("cd '%s' && mkdir -p dev masked-dir/sub && ln -s /secret dev/null && echo SECRET > secret && echo DATA > "
      "masked-file && echo DATA2 > masked-file2 && echo X > masked-dir/x && ln -s masked-file2 masked-link && touch marker && mkdir ro-dir",
      rootfs);
  ctx_init (&ctx);
  CHECK (bind_rootfs (&ctx, rootfs) == 0);
  /* The container's /proc: after the pivot, /proc/self/fd/N needs it. */
  struct opb *b = mount_op ("proc", "proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
  ob_u64 (b, F_MUST_BE_DIR, 1);
  CHECK (RUN (op_mount, &ctx, &b->op, &err) == 0);

  if (move)
    CHECK (RUN (op_move_root, &ctx, &ob (OP_MOVE_ROOT)->op, &err) == 0);
  else
    CHECK (RUN (op_pivot_root, &ctx, &ob (OP_PIVOT_ROOT)->op, &err) == 0);
  CHECK (ctx.pivoted == 1 && ctx.rootfs_fd == -1);
  CHECK (access ("/marker", F_OK) == 0);
  CHECK (getcwd (buf, sizeof buf) && strcmp (buf, "/") == 0);
  CHECK (access (base, F_OK) < 0); /* the host's /tmp is gone */
  if (!move)
    CHECK (!mounted_under (base)); /* and so is the old root, detached */

  CHECK (RUN (op_mask_path, &ctx, &ob_str (ob (OP_MASK_PATH), F_PATH, "/masked-file")->op, &err) == 0);
  CHECK (RUN (op_mask_path, &ctx, &ob_str (ob (OP_MASK_PATH), F_PATH, "/masked-dir")->op, &err) == 0);
  CHECK (RUN (op_mask_path, &ctx, &ob_str (ob (OP_MASK_PATH), F_PATH, "/masked-link")->op, &err) == 0);
  CHECK (RUN (op_mask_path, &ctx, &ob_str (ob (OP_MASK_PATH), F_PATH, "/does/not/exist")->op, &err) == 0);

  /* The masked file reads empty, is the real null device, and cannot be removed. */
  CHECK (read_file ("/masked-file", buf, sizeof buf) == 0);
  CHECK (stat ("/masked-file", &st) == 0 && S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 3));
  CHECK (try_write ("/masked-file", 0) == 0 && read_file ("/masked-file", buf, sizeof buf) == 0);
  CHECK (unlink ("/masked-file") < 0 && errno == EBUSY);
  /* The image's /dev/null (a symlink to /secret) was not used: /secret is
   * untouched and still readable, the symlink still a symlink. */
  CHECK (read_file ("/secret", buf, sizeof buf) == 7 && strcmp (buf, "SECRET\n") == 0);
  CHECK (lstat ("/dev/null", &st) == 0 && S_ISLNK (st.st_mode));
  CHECK (!is_mount_root ("/secret"));
  /* A masked symlink is covered itself; its target is left alone. */
  CHECK (read_file ("/masked-link", buf, sizeof buf) == 0);
  CHECK (read_file ("/masked-file2", buf, sizeof buf) == 6);
  /* A masked directory is an empty read-only tmpfs. */
  CHECK (count_entries ("/masked-dir") == 0);
  CHECK (try_write ("/masked-dir/new", O_CREAT) == EROFS);

  /* readonly-path after the pivot resolves in the new "/". */
  CHECK (RUN (op_readonly_path, &ctx, &ob_str (ob (OP_READONLY_PATH), F_PATH, "/ro-dir")->op, &err) == 0);
  CHECK (try_write ("/ro-dir/new", O_CREAT) == EROFS);
  CHECK (try_write ("/writable", O_CREAT) == 0);

  /* remount-root-ro: "/" read-only at the end. */
  CHECK (RUN (op_remount_root_ro, &ctx, &ob (OP_REMOUNT_ROOT_RO)->op, &err) == 0);
  CHECK (try_write ("/new-file", O_CREAT) == EROFS);
  CHECK (try_write ("/marker", 0) == EROFS);
}

/* CVE-2026-41579: /dev in the image is a symlink to a host directory. */
static void
t_dev_symlink (void)
{
  char rootfs[PATH_MAX], rootfs2[PATH_MAX], devout[PATH_MAX + 8], p[2 * PATH_MAX];
  struct init_ctx ctx;
  joey_error_t err;
  struct stat st;

  snprintf (devout, sizeof devout, "%s-dev", outside);
  make_rootfs ("devsym", rootfs);
  sh ("rm -rf '%s' && mkdir -p '%s' && ln -s '%s' '%s/dev'", devout, devout, devout, rootfs);
  ctx_init (&ctx);
  CHECK (bind_rootfs (&ctx, rootfs) == 0);

  struct opb *b = ob (OP_MKNOD);
  ob_str (b, F_PATH, "/dev/null");
  ob_u64 (b, F_MODE, S_IFCHR | 0666);
  ob_u64 (b, F_MAJOR, 1);
  ob_u64 (b, F_MINOR, 3);
  memset (&err, 0, sizeof err);
  CHECK (op_mknod (&ctx, &b->op, &err) < 0);
  printf ("#   error: %s\n", err.msg);
  CHECK (strstr (err.msg, "is a symlink") != NULL);

  b = ob (OP_MKNOD);
  ob_str (b, F_PATH, "/dev/net/tun");
  ob_u64 (b, F_MODE, S_IFCHR | 0666);
  ob_u64 (b, F_MAJOR, 10);
  ob_u64 (b, F_MINOR, 200);
  CHECK (op_mknod (&ctx, &b->op, &err) < 0);

  b = ob (OP_MKNOD);
  ob_str (b, F_PATH, "/dev/zero");
  ob_str (b, F_SOURCE, "/dev/zero");
  ob_u64 (b, F_BIND, 1);
  CHECK (op_mknod (&ctx, &b->op, &err) < 0);

  b = ob (OP_SYMLINK);
  ob_str (b, F_PATH, "/dev/fd");
  ob_str (b, F_TARGET, "/proc/self/fd");
  CHECK (op_symlink (&ctx, &b->op, &err) < 0);

  CHECK (count_entries (devout) == 0);
  CHECK (!mounted_under (devout));
  snprintf (p, sizeof p, "%s%s", rootfs, devout);
  CHECK (access (p, F_OK) < 0);

  /* A real /dev: devices with the spec's mode despite the umask, owner set,
   * an existing identical node left alone, anything else refused. */
  make_rootfs ("devreal", rootfs2);
  sh ("mkdir -p '%s/dev' && ln -s /etc/passwd '%s/dev/zero' && touch '%s/dev/random'", rootfs2, rootfs2, rootfs2);
  ctx_init (&ctx);
  CHECK (bind_rootfs (&ctx, rootfs2) == 0);
  umask (022);
  b = ob (OP_MKNOD);
  ob_str (b, F_PATH, "/dev/null");
  ob_u64 (b, F_MODE, S_IFCHR | 0666);
  ob_u64 (b, F_MAJOR, 1);
  ob_u64 (b, F_MINOR, 3);
  ob_u64 (b, F_UID, 1000);
  ob_u64 (b, F_GID, 1001);
  CHECK (RUN (op_mknod, &ctx, &b->op, &err) == 0);
  CHECK (RUN (op_mknod, &ctx, &b->op, &err) == 0); /* exists already: fine */
  snprintf (p, sizeof p, "%s/dev/null", rootfs2);
  CHECK (lstat (p, &st) == 0 && S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 3) && (st.st_mode & 07777) == 0666
         && st.st_uid == 1000 && st.st_gid == 1001);

  b = ob (OP_MKNOD);
  ob_str (b, F_PATH, "/dev/zero");
  ob_u64 (b, F_MODE, S_IFCHR | 0666);
  ob_u64 (b, F_MAJOR, 1);
  ob_u64 (b, F_MINOR, 5);
  CHECK (op_mknod (&ctx, &b->op, &err) < 0 && strstr (err.msg, "a symlink"));

  b = ob (OP_MKNOD);
  ob_str (b, F_PATH, "/dev/net/tun");
  ob_u64 (b, F_MODE, S_IFCHR | 0600);
  ob_u64 (b, F_MAJOR, 10);
  ob_u64 (b, F_MINOR, 200);
  CHECK (RUN (op_mknod, &ctx, &b->op, &err) == 0);
  snprintf (p, sizeof p, "%s/dev/net/tun", rootfs2);
  CHECK (lstat (p, &st) == 0 && S_ISCHR (st.st_mode) && (st.st_mode & 07777) == 0600);

  /* bind: an existing empty file gets the host node mounted on it. */
  b = ob (OP_MKNOD);
  ob_str (b, F_PATH, "/dev/random");
  ob_str (b, F_SOURCE, "/dev/urandom");
  ob_u64 (b, F_BIND, 1);
  CHECK (RUN (op_mknod, &ctx, &b->op, &err) == 0);
  snprintf (p, sizeof p, "%s/dev/random", rootfs2);
  CHECK (stat (p, &st) == 0 && S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 9));

  b = ob (OP_SYMLINK);
  ob_str (b, F_PATH, "/dev/fd");
  ob_str (b, F_TARGET, "/proc/self/fd");
  CHECK (RUN (op_symlink, &ctx, &b->op, &err) == 0);
  CHECK (RUN (op_symlink, &ctx, &b->op, &err) == 0); /* EEXIST is fine */
  char link[64] = "";
  snprintf (p, sizeof p, "%s/dev/fd", rootfs2);
  CHECK (readlink (p, link, sizeof link - 1) > 0 && strcmp (link, "/proc/self/fd") == 0);
}

/* readonly-path: writes fail with EROFS, nosuid/nodev are kept. */
static void
t_readonly (void)
{
  char rootfs[PATH_MAX], p[2 * PATH_MAX];
  struct init_ctx ctx;
  joey_error_t err;
  struct statvfs sv;

  make_rootfs ("readonly", rootfs);
  sh ("mkdir -p '%s/ro-dir/sub' && echo A > '%s/ro-dir/file' && echo B > '%s/ro-file'", rootfs, rootfs, rootfs);
  ctx_init (&ctx);
  CHECK (bind_rootfs (&ctx, rootfs) == 0);

  CHECK (RUN (op_readonly_path, &ctx, &ob_str (ob (OP_READONLY_PATH), F_PATH, "/ro-dir")->op, &err) == 0);
  CHECK (RUN (op_readonly_path, &ctx, &ob_str (ob (OP_READONLY_PATH), F_PATH, "/ro-file")->op, &err) == 0);
  CHECK (RUN (op_readonly_path, &ctx, &ob_str (ob (OP_READONLY_PATH), F_PATH, "/missing")->op, &err) == 0);
  snprintf (p, sizeof p, "%s/ro-dir/file", rootfs);
  CHECK (try_write (p, 0) == EROFS);
  snprintf (p, sizeof p, "%s/ro-dir/new", rootfs);
  CHECK (try_write (p, O_CREAT) == EROFS);
  snprintf (p, sizeof p, "%s/ro-file", rootfs);
  CHECK (try_write (p, 0) == EROFS);
  snprintf (p, sizeof p, "%s/elsewhere", rootfs);
  CHECK (try_write (p, O_CREAT) == 0); /* the rest of the rootfs stays writable */

  /* A nosuid,nodev,noexec tmpfs keeps those flags when made read-only. */
  CHECK (RUN (op_mount, &ctx, &mount_op ("tmpfs", "tmpfs", "/run", MS_NOSUID | MS_NODEV | MS_NOEXEC)->op, &err) == 0);
  CHECK (RUN (op_readonly_path, &ctx, &ob_str (ob (OP_READONLY_PATH), F_PATH, "/run")->op, &err) == 0);
  snprintf (p, sizeof p, "%s/run", rootfs);
  CHECK (statvfs (p, &sv) == 0 && (sv.f_flag & ST_RDONLY) && (sv.f_flag & ST_NOSUID) && (sv.f_flag & ST_NODEV)
         && (sv.f_flag & ST_NOEXEC));
}

/* Binds: a file source gets a file mountpoint; ro via the second remount;
 * rro via mount_setattr; tmpfs data; propagation. */
static void
t_binds (void)
{
  char rootfs[PATH_MAX], p[2 * PATH_MAX], src[2 * PATH_MAX], srcdir[2 * PATH_MAX], buf[64];
  struct init_ctx ctx;
  joey_error_t err;
  struct stat st;
  struct statvfs sv;

  make_rootfs ("binds", rootfs);
  snprintf (src, sizeof src, "%s/binds/hostfile", base);
  snprintf (srcdir, sizeof srcdir, "%s/binds/hostdir", base);
  write_file (src, "HELLO\n");
  sh ("mkdir -p '%s/sub' && echo S > '%s/sub/s'", srcdir, srcdir);
  ctx_init (&ctx);
  CHECK (bind_rootfs (&ctx, rootfs) == 0);
  /* A submount in the source, to see MS_REC and rro reach it. */
  snprintf (p, sizeof p, "%s/sub", srcdir);
  CHECK (mount ("tmpfs", p, "tmpfs", 0, NULL) == 0);
  snprintf (p, sizeof p, "%s/sub/t", srcdir);
  write_file (p, "T\n");

  /* File bind, detected from the source, read-only. */
  CHECK (RUN (op_mount, &ctx, &mount_op (NULL, src, "/etc/hostname", MS_BIND | MS_RDONLY)->op, &err) == 0);
  snprintf (p, sizeof p, "%s/etc/hostname", rootfs);
  CHECK (lstat (p, &st) == 0 && S_ISREG (st.st_mode));
  CHECK (read_file (p, buf, sizeof buf) == 6 && strcmp (buf, "HELLO\n") == 0);
  CHECK (try_write (p, 0) == EROFS);
  /* as_file given by the plan, rw. */
  struct opb *b = mount_op (NULL, src, "/etc/hosts", MS_BIND);
  ob_u64 (b, F_AS_FILE, 1);
  CHECK (RUN (op_mount, &ctx, &b->op, &err) == 0);
  snprintf (p, sizeof p, "%s/etc/hosts", rootfs);
  CHECK (lstat (p, &st) == 0 && S_ISREG (st.st_mode) && try_write (p, O_APPEND) == 0);

  /* rbind + ro: the top is read-only, the submount not (mount(2) semantics)... */
  CHECK (RUN (op_mount, &ctx, &mount_op (NULL, srcdir, "/mnt/ro", MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID)->op, &err)
         == 0);
  snprintf (p, sizeof p, "%s/mnt/ro/x", rootfs);
  CHECK (try_write (p, O_CREAT) == EROFS);
  snprintf (p, sizeof p, "%s/mnt/ro", rootfs);
  CHECK (statvfs (p, &sv) == 0 && (sv.f_flag & ST_NOSUID));
  snprintf (p, sizeof p, "%s/mnt/ro/sub/t", rootfs);
  CHECK (read_file (p, buf, sizeof buf) == 2);
  /* ...and rro (MOUNT_ATTR_RDONLY with AT_RECURSIVE) reaches the submount,
   * with a propagation change on the way. */
  b = mount_op (NULL, srcdir, "/mnt/rro", MS_BIND | MS_REC);
  ob_u64 (b, F_ATTR_SET, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME);
  ob_u64 (b, F_PROPAGATION, MS_PRIVATE);
  CHECK (RUN (op_mount, &ctx, &b->op, &err) == 0);
  snprintf (p, sizeof p, "%s/mnt/rro/sub/t", rootfs);
  CHECK (try_write (p, 0) == EROFS);
  snprintf (p, sizeof p, "%s/mnt/rro/sub", rootfs);
  CHECK (statvfs (p, &sv) == 0 && (sv.f_flag & ST_NOATIME));

  /* tmpfs with a data string and flags. */
  b = mount_op ("tmpfs", "shm", "/dev/shm", MS_NOSUID | MS_NODEV | MS_NOEXEC);
  ob_str (b, F_DATA, "mode=1777,size=65536k");
  CHECK (RUN (op_mount, &ctx, &b->op, &err) == 0);
  snprintf (p, sizeof p, "%s/dev/shm", rootfs);
  CHECK (stat (p, &st) == 0 && (st.st_mode & 07777) == 01777);
  CHECK (statvfs (p, &sv) == 0 && sv.f_blocks * sv.f_frsize == 65536 * 1024ull && (sv.f_flag & ST_NOEXEC));
  /* devpts and mqueue, as the default spec has them. */
  b = mount_op ("devpts", "devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC);
  ob_str (b, F_DATA, "newinstance,ptmxmode=0666,mode=0620");
  CHECK (RUN (op_mount, &ctx, &b->op, &err) == 0);
  snprintf (p, sizeof p, "%s/dev/pts/ptmx", rootfs);
  CHECK (access (p, F_OK) == 0);
  CHECK (RUN (op_mount, &ctx, &mount_op ("mqueue", "mqueue", "/dev/mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC)->op, &err)
         == 0);
  /* cgroup v1 hierarchy under a tmpfs, as the plan compiler sends on this host
   * (skipped quietly where there is no v1 memory controller). */
  CHECK (RUN (op_mount, &ctx, &mount_op ("tmpfs", "tmpfs", "/sys/fs/cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC)->op,
              &err)
         == 0);
  if (access ("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0)
    {
      b = mount_op ("cgroup", "cgroup", "/sys/fs/cgroup/memory", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY);
      ob_str (b, F_DATA, "memory");
      CHECK (RUN (op_mount, &ctx, &b->op, &err) == 0);
      snprintf (p, sizeof p, "%s/sys/fs/cgroup/memory/memory.limit_in_bytes", rootfs);
      CHECK (access (p, F_OK) == 0);
    }
  /* A bind of something missing fails with the source in the message. */
  memset (&err, 0, sizeof err);
  CHECK (op_mount (&ctx, &mount_op (NULL, "/nonexistent-src", "/mnt/x", MS_BIND)->op, &err) < 0
         && strstr (err.msg, "`/nonexistent-src`"));
}

/* The walk: loops, dangling links, "..", O_CREAT|O_EXCL — forced on. */
static void
t_walk (void)
{
  char rootfs[PATH_MAX], p[2 * PATH_MAX];
  struct init_ctx ctx;
  joey_error_t err;
  int fd;

  make_rootfs ("walk", rootfs);
  sh ("cd '%s' && mkdir -p a/b etc && ln -s loop2 loop1 && ln -s loop1 loop2 && ln -s ../../../.. a/b/up && ln -s "
      "/etc a/etclink && echo E > etc/file && ln -s ../run/resolv.conf etc/resolv.conf",
      rootfs);
  ctx_init (&ctx);
  CHECK (bind_rootfs (&ctx, rootfs) == 0);
  safe_open_force_fallback (1);

  fd = open_in_root (&ctx, "/loop1/x", O_PATH, 0, &err);
  CHECK (fd < 0 && err.errnum == ELOOP);
  fd = open_in_root (&ctx, "/a/b/up/etc/file", O_RDONLY, 0, &err);
  char buf[16] = "";
  CHECK (fd >= 0 && read (fd, buf, sizeof buf) == 2 && buf[0] == 'E');
  if (fd >= 0)
    close (fd);
  fd = open_in_root (&ctx, "a/etclink/../etc/./file", O_PATH, 0, &err);
  CHECK (fd >= 0);
  if (fd >= 0)
    close (fd);
  fd = open_in_root (&ctx, "/a/etclink", O_PATH | O_NOFOLLOW, 0, &err);
  struct stat st;
  CHECK (fd >= 0 && fstat (fd, &st) == 0 && S_ISLNK (st.st_mode));
  if (fd >= 0)
    close (fd);
  fd = open_in_root (&ctx, "/a/etclink", O_RDONLY | O_NOFOLLOW, 0, &err);
  CHECK (fd < 0 && err.errnum == ELOOP);
  fd = open_in_root (&ctx, "/etc/file/x", O_PATH, 0, &err);
  CHECK (fd < 0 && err.errnum == ENOTDIR);
  fd = open_in_root (&ctx, "/a/new", O_CREAT | O_EXCL | O_WRONLY, 0600, &err);
  CHECK (fd >= 0 && write (fd, "n", 1) == 1);
  if (fd >= 0)
    close (fd);
  fd = open_in_root (&ctx, "/a/new", O_CREAT | O_EXCL | O_WRONLY, 0600, &err);
  CHECK (fd < 0 && err.errnum == EEXIST);
  /* A mountpoint through a dangling in-root symlink creates its target. */
  fd = mountpoint_in_root (&ctx, "/etc/resolv.conf", 0644, 1, &err);
  snprintf (p, sizeof p, "%s/run/resolv.conf", rootfs);
  CHECK (fd >= 0 && lstat (p, &st) == 0 && S_ISREG (st.st_mode));
  if (fd >= 0)
    close (fd);
  safe_open_force_fallback (0);
}

/* The rootfs inside a shared mount: bind-rootfs makes that parent private
 * so pivot_root works and nothing propagates back. */
static void
t_shared_parent (void)
{
  char dir[PATH_MAX + 16], rootfs[PATH_MAX + 32];
  struct init_ctx ctx;
  joey_error_t err;

  snprintf (dir, sizeof dir, "%s/shared", base);
  snprintf (rootfs, sizeof rootfs, "%s/rootfs", dir);
  sh ("mkdir -p '%s'", dir);
  CHECK (mount ("tmpfs", dir, "tmpfs", 0, NULL) == 0);
  CHECK (mount (NULL, dir, NULL, MS_SHARED, NULL) == 0);
  sh ("mkdir -p '%s/proc' && touch '%s/marker'", rootfs, rootfs);
  ctx_init (&ctx);
  CHECK (RUN (op_bind_rootfs, &ctx, &ob_str (ob (OP_BIND_ROOTFS), F_PATH, rootfs)->op, &err) == 0);
  CHECK (RUN (op_mount, &ctx, &mount_op ("proc", "proc", "/proc", 0)->op, &err) == 0);
  CHECK (RUN (op_pivot_root, &ctx, &ob (OP_PIVOT_ROOT)->op, &err) == 0);
  CHECK (access ("/marker", F_OK) == 0);
}

/* ---- driver ---- */

static int ntests, nfailed;

static void
run (const char *name, void (*fn) (void), bool fallback)
{
  fflush (stdout);
  pid_t pid = fork ();
  if (pid == 0)
    {
      /* A mount namespace per test; private, so nothing reaches the host. */
      if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        {
          printf ("#   unshare: %s\n", strerror (errno));
          _exit (1);
        }
      safe_open_force_fallback (fallback);
      fn ();
      fflush (stdout);
      _exit (failures ? 1 : 0);
    }
  int status = 0;
  waitpid (pid, &status, 0);
  ntests++;
  bool ok = WIFEXITED (status) && WEXITSTATUS (status) == 0;
  if (!ok)
    nfailed++;
  printf ("%s %d - %s%s\n", ok ? "ok" : "not ok", ntests, name, fallback ? " (component walk, no openat2)" : "");
  fflush (stdout);
}

static void t_pivot (void) { t_pivot_and_mask (false); }
static void t_move (void) { t_pivot_and_mask (true); }

int
main (void)
{
  if (geteuid () != 0)
    {
      printf ("1..0 # SKIP needs root (mount namespaces)\n");
      return 0;
    }
  snprintf (base, sizeof base, "/tmp/joey-mounts-test.%d", (int) getpid ());
  snprintf (outside, sizeof outside, "/tmp/outside-%d", (int) getpid ());
  setvbuf (stdout, NULL, _IOLBF, 0);
  printf ("1..15\n");

  for (int fb = 0; fb <= 1; fb++)
    {
      run ("mount destination under a symlink to outside the rootfs stays inside (CVE-2021-30465, CVE-2024-45310)",
           t_symlinked_parent, fb);
      run ("proc onto a symlink is refused (CVE-2019-19921)", t_proc_symlink, fb);
      run ("pivot_root, then masks use the host /dev/null though the image's is a symlink (CVE-2025-31133)", t_pivot,
           fb);
      run ("/dev symlinked outside: mknod creates nothing outside (CVE-2026-41579)", t_dev_symlink, fb);
      run ("readonly-path makes writes fail with EROFS", t_readonly, fb);
      run ("bind of a file gets a file mountpoint; ro, rro, data, devpts, mqueue, cgroup", t_binds, fb);
    }
  run ("--no-pivot: MS_MOVE + chroot, then masks", t_move, false);
  run ("component walk: loops, dangling links, .., O_EXCL", t_walk, true);
  run ("rootfs inside a shared mount: its parent is made private, pivot_root works", t_shared_parent, false);

  /* Clean up: children's mounts died with their namespaces. */
  char cmd[3 * PATH_MAX];
  snprintf (cmd, sizeof cmd, "rm -rf --one-file-system '%s' '%s' '%s-dev'", base, outside, outside);
  if (system (cmd) != 0)
    printf ("# cleanup failed: %s\n", cmd);
  printf ("# %d of %d failed\n", nfailed, ntests);
  return nfailed ? 1 : 0;
}
