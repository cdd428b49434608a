/* mounts.c — the container's filesystem: the rootfs bind, every mount,
 * device nodes, pivot_root, masked and read-only paths.
 *
 * runtime-spec: config.md#mounts, config-linux.md#rootfs-mount-propagation,
 * config-linux.md#masked-paths, config-linux.md#readonly-paths,
 * config-linux.md#default-devices, config-linux.md#devices.
 * man pages: mount(2), pivot_root(2), openat2(2), open_tree(2), move_mount(2),
 * mount_setattr(2), mknod(2), statfs(2), mount_namespaces(7), proc(5).
 *
 * The rule of this file: a destination is resolved inside the root
 * (safe_open.c), opened O_PATH, checked, and mounted through its
 * /proc/self/fd/N magic link, so the kernel mounts on exactly the inode we
 * checked — never on a `rootfs + dest` string a racing symlink could redirect
 * (CVE-2021-30465). The same magic link as a *source* lets masks use a /dev/null
 * we verified ourselves (CVE-2025-31133).
 *
 * One kernel detail shapes the code: an fd opened before a mount still points
 * at the directory underneath, and remount, propagation changes and
 * mount_setattr(2) want the root of the new mount (EINVAL otherwise). So after
 * mounting, the destination is looked up again ("top") for those steps. */
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "init.h"

/* From safe_open.c (init.h declares only open_in_root). */
int mountpoint_in_root (struct init_ctx *ctx, const char *path, mode_t mode, int as_file, joey_error_t *err);
int open_parent_in_root (struct init_ctx *ctx, const char *path, int mkdirs, char base[NAME_MAX + 1],
                         joey_error_t *err);
int check_fd_in_root (struct init_ctx *ctx, int fd, const char *path, joey_error_t *err);

#define MS_PROPAGATION (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)
/* Flags a bind mount takes only through a second MS_REMOUNT|MS_BIND call;
 * on the first call the kernel ignores everything but MS_BIND|MS_REC. */
#define MS_BIND_IGNORED (MS_BIND | MS_REC | MS_REMOUNT | MS_SILENT)
#define MS_ATIME (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)
#ifndef ST_NOSYMFOLLOW
#define ST_NOSYMFOLLOW 0x2000
#endif
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef MOUNT_ATTR__ATIME
#define MOUNT_ATTR__ATIME 0x70
#endif

static void
proc_fd (char *buf, size_t len, int fd)
{
  snprintf (buf, len, "/proc/self/fd/%d", fd);
}

/* Put "prefix: " in front of a message a helper already wrote. */
__attribute__ ((format (printf, 2, 3))) static int
prefix_error (joey_error_t *err, const char *fmt, ...)
{
  char pre[512], both[sizeof pre + sizeof err->msg + 2];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (pre, sizeof pre, fmt, ap);
  va_end (ap);
  snprintf (both, sizeof both, "%s: %s", pre, err->msg);
  memcpy (err->msg, both, sizeof err->msg - 1);
  err->msg[sizeof err->msg - 1] = '\0';
  return -1;
}

/* statfs(2) reports mount flags as ST_*; a few differ from the MS_* values. */
static unsigned long
statfs_to_ms (unsigned long f)
{
  static const struct { unsigned long st, ms; } map[] = {
    { ST_RDONLY, MS_RDONLY },         { ST_NOSUID, MS_NOSUID },   { ST_NODEV, MS_NODEV },
    { ST_NOEXEC, MS_NOEXEC },         { ST_SYNCHRONOUS, MS_SYNCHRONOUS },
    { ST_NOATIME, MS_NOATIME },       { ST_NODIRATIME, MS_NODIRATIME },
    { ST_RELATIME, MS_RELATIME },     { ST_NOSYMFOLLOW, MS_NOSYMFOLLOW },
  };
  unsigned long ms = 0;
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (f & map[i].st)
      ms |= map[i].ms;
  return ms;
}

static int
verify_dev_null (int fd)
{
  struct stat st;
  if (fstat (fd, &st) < 0)
    return -1;
  if (!S_ISCHR (st.st_mode) || major (st.st_rdev) != 1 || minor (st.st_rdev) != 3)
    return errno = ENODEV, -1;
  return 0;
}

static const char *
file_kind (mode_t m)
{
  switch (m & S_IFMT)
    {
    case S_IFLNK: return "a symlink";
    case S_IFREG: return "a regular file";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFIFO: return "a fifo";
    case S_IFSOCK: return "a socket";
    default: return "not a directory";
    }
}

int
op_set_propagation (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  /* rslave unless the spec's rootfsPropagation says otherwise: mounts we make
   * must not propagate back to the host. */
  unsigned long flags = op_u64 (op, F_FLAGS, MS_REC | MS_SLAVE);
  (void) ctx;
  if (mount (NULL, "/", NULL, flags, NULL) < 0)
    return joey_error (err, errno, "set propagation %#lx on `/`", flags);
  return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void
unescape_octal (char *s)
{
  char *d = s;
  for (; *s; s++)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7')
        {
          *d++ = (char) (((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
          s += 3;
        }
      else
        *d++ = *s;
    }
  *d = '\0';
}

/* pivot_root(2) fails with EINVAL when the parent mount of the new root is
 * shared, and a shared parent would also propagate our rootfs bind back to the
 * host: make the mount that holds the rootfs private first, as runc's
 * rootfsParentMountPrivate does. The holder is the last mountinfo line whose
 * mount point is the longest prefix of the rootfs (later lines sit on top). */
static int
make_parent_private (const char *rootfs, joey_error_t *err)
{
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  char line[8192], best[PATH_MAX] = "";
  size_t best_len = 0;
  bool shared = false, found = false;

  if (f == NULL)
    return joey_error (err, errno, "open `/proc/self/mountinfo`");
  while (fgets (line, sizeof line, f))
    {
      char *save = NULL, *field[6] = { 0 }, *tok = strtok_r (line, " \n", &save);
      int i = 0;
      for (; tok && i < 6; tok = strtok_r (NULL, " \n", &save))
        field[i++] = tok;
      if (i < 6)
        continue;
      /* field[4] is the mount point; optional fields run from tok to "-". */
      bool is_shared = false;
      for (; tok && strcmp (tok, "-") != 0; tok = strtok_r (NULL, " \n", &save))
        if (strncmp (tok, "shared:", 7) == 0)
          is_shared = true;
      char *mp = field[4];
      unescape_octal (mp);
      size_t n = strcmp (mp, "/") == 0 ? 0 : strlen (mp);
      if (strncmp (rootfs, mp, n) != 0 || (rootfs[n] != '\0' && rootfs[n] != '/'))
        continue;
      if (n >= best_len)
        {
          best_len = n;
          snprintf (best, sizeof best, "%s", n ? mp : "/");
          shared = is_shared;
          found = true;
        }
    }
  fclose (f);
  if (!found || !shared)
    return 0;
  if (mount (NULL, best, NULL, MS_PRIVATE, NULL) < 0)
    return joey_error (err, errno, "make `%s`, the parent mount of the rootfs, private", best);
  return 0;
}

int
op_bind_rootfs (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  const char *path = op_str (op, F_PATH);
  char real[PATH_MAX];
  cleanup_close int null_fd = -1;
  cleanup_close int fd = -1;

  if (path == NULL)
    return joey_error (err, 0, "bind-rootfs: no path");

  /* SECURITY(CVE-2025-31133): take the host's /dev/null now, while "/" is
   * still the host's: masks later mount this fd, never a /dev/null from the
   * image, which could be a symlink to a procfs file. O_NOFOLLOW plus the
   * S_IFCHR 1:3 check make sure it is the real device. */
  null_fd = open ("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (null_fd < 0)
    return joey_error (err, errno, "open the host `/dev/null`");
  if (verify_dev_null (null_fd) < 0)
    return joey_error (err, errno, "the host `/dev/null` is not the character device 1:3");

  if (realpath (path, real) == NULL)
    return joey_error (err, errno, "rootfs `%s`", path);
  /* Right after a recursive slave, private or unbindable on "/" (compile.ts
   * puts set-propagation just before us) no mount in our namespace is shared,
   * so the mountinfo scan could only find nothing: skip reading it, which
   * took ~0.3 ms here and grows with the host's mount table. */
  const struct op *prev = op->index > 0 ? &ctx->plan.ops[op->index - 1] : NULL;
  unsigned long pflags = prev && prev->kind == OP_SET_PROPAGATION ? op_u64 (prev, F_FLAGS, MS_REC | MS_SLAVE) : 0;
  bool none_shared = (pflags & MS_REC) && (pflags & (MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)) && !(pflags & MS_SHARED);
  if (!none_shared && make_parent_private (real, err) < 0)
    return -1;
  /* pivot_root(2) wants the new root to be a mount point, and MS_REC keeps the
   * mounts already under the rootfs (a layered image). */
  if (mount (real, real, NULL, MS_BIND | MS_REC, NULL) < 0)
    return joey_error (err, errno, "bind the rootfs `%s` onto itself", real);
  fd = open (real, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return joey_error (err, errno, "open the rootfs `%s`", real);

  ctx->rootfs = strdup (real);
  if (ctx->rootfs == NULL)
    return joey_error (err, errno, "strdup");
  ctx->rootfs_fd = steal_fd (&fd);
  ctx->host_dev_null = steal_fd (&null_fd);
  return 0;
}

/* SECURITY(CVE-2019-19921, CVE-2023-27561): proc and sysfs only onto a real
 * directory. A /proc symlink in the image would otherwise move the procfs
 * elsewhere and leave a fake /proc for the LSM label writes. The last
 * component is looked at without following it; missing is fine (created). */
static int
check_real_dir (struct init_ctx *ctx, const char *dest, const char *what, joey_error_t *err)
{
  cleanup_close int fd = open_in_root (ctx, dest, O_PATH | O_NOFOLLOW, 0, err);
  struct stat st;

  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0;
      return prefix_error (err, "mount %s on `%s`", what, dest);
    }
  if (fstat (fd, &st) < 0)
    return joey_error (err, errno, "mount %s on `%s`: fstat", what, dest);
  if (!S_ISDIR (st.st_mode))
    return joey_error (err, 0, "mount %s on `%s`: destination must be a directory, not %s", what, dest,
                       file_kind (st.st_mode));
  return 0;
}

/* SECURITY(CVE-2019-19921, CVE-2023-27561, CVE-2023-28642): nothing may be
 * mounted inside the container's procfs (over /proc/self/attr, say, to catch
 * the LSM label writes) except the files lxcfs emulates, named exactly; and
 * only a procfs may be bind-mounted over an existing /proc. `fd` is the
 * resolved destination, so a symlink into /proc is caught too. */
static int
check_proc_dest (int fd, const char *dest, const char *source, bool bind, const char *what, joey_error_t *err)
{
  static const char *const lxcfs[] = {
    "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps", "/proc/uptime",
    "/proc/loadavg", "/proc/slabinfo", "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
    "/proc/pressure/cpu", "/proc/pressure/io", "/proc/pressure/memory",
  };
  struct statfs sf;
  char clean[PATH_MAX];
  size_t n = 0;

  if (fstatfs (fd, &sf) < 0)
    return joey_error (err, errno, "mount %s on `%s`: fstatfs", what, dest);
  if (sf.f_type != 0x9fa0 /* PROC_SUPER_MAGIC */)
    return 0;
  /* the destination as written, with repeated and trailing slashes dropped */
  for (const char *p = dest; *p && n + 1 < sizeof clean; p++)
    if (!(*p == '/' && n > 0 && clean[n - 1] == '/'))
      clean[n++] = *p;
  while (n > 1 && clean[n - 1] == '/')
    n--;
  clean[n] = 0;
  if (strcmp (clean, "/proc") == 0)
    {
      struct statfs ss;
      if (!bind || (source && statfs (source, &ss) == 0 && ss.f_type == 0x9fa0))
        return 0;
      return joey_error (err, 0, "mount %s on `%s`: only a procfs can be mounted over `/proc`", what, dest);
    }
  for (size_t i = 0; i < sizeof lxcfs / sizeof lxcfs[0]; i++)
    if (strcmp (clean, lxcfs[i]) == 0)
      return 0;
  return joey_error (err, 0, "mount %s on `%s`: the destination is inside `/proc`, where only the files lxcfs emulates may be mounted over",
                     what, dest);
}

/* `/sys`, however many slashes it is written with. */
static bool
is_sys_dest (const char *dest)
{
  const char *p = dest;
  while (*p == '/')
    p++;
  if (strncmp (p, "sys", 3) != 0)
    return false;
  for (p += 3; *p == '/'; p++)
    ;
  return *p == 0;
}

/* Look the destination up again after a mount: the old fd still sees the
 * directory underneath. The result must be the root of a mount. */
static int
reopen_top (struct init_ctx *ctx, const char *dest, const char *what, joey_error_t *err)
{
  cleanup_close int fd = open_in_root (ctx, dest, O_PATH, 0, err);
  struct statx sx;

  if (fd < 0)
    return prefix_error (err, "mount %s on `%s`", what, dest);
  if (check_fd_in_root (ctx, fd, dest, err) < 0)
    return prefix_error (err, "mount %s on `%s`", what, dest);
  if (statx (fd, "", AT_EMPTY_PATH, 0, &sx) == 0 && (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
      && !(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
    return joey_error (err, 0, "mount %s on `%s`: the destination changed under the mount", what, dest);
  return steal_fd (&fd);
}

/* The second half of a bind mount: MS_REMOUNT|MS_BIND with the flags. */
static int
remount_bind (int fd, unsigned long flags, unsigned long clear, const char *what, const char *dest,
              joey_error_t *err)
{
  char p[64];
  proc_fd (p, sizeof p, fd);
  flags = (flags & ~(MS_REC | MS_BIND | MS_REMOUNT)) | MS_BIND | MS_REMOUNT;
  if (mount (NULL, p, NULL, flags, NULL) == 0)
    return 0;
  int e = errno;
  if (e == EPERM)
    {
      /* In a user namespace the flags the source mount already has are locked
       * (mount_namespaces(7)) and a remount must repeat them. Add them, unless
       * the spec cleared one explicitly: that cannot be honoured. */
      struct statfs sf;
      if (fstatfs (fd, &sf) == 0)
        {
          unsigned long locked = statfs_to_ms (sf.f_flags)
                                 & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_ATIME | MS_NODIRATIME);
          if (flags & MS_ATIME)
            locked &= ~MS_ATIME;
          if (locked & clear)
            return joey_error (err, e, "remount %s on `%s`: the source's flags %#lx are locked and cannot be cleared",
                               what, dest, locked & clear);
          if ((flags | locked) != flags && mount (NULL, p, NULL, flags | locked, NULL) == 0)
            return 0;
        }
    }
  return joey_error (err, e, "remount %s on `%s` with flags %#lx", what, dest, flags);
}

int
op_mount (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  const char *dest = op_str (op, F_PATH);
  const char *fstype = op_str (op, F_FSTYPE);
  const char *source = op_str (op, F_SOURCE);
  const char *data = op_str (op, F_DATA);
  unsigned long flags = op_u64 (op, F_FLAGS, 0);
  unsigned long clear = op_u64 (op, F_CLEAR, 0);
  unsigned long propagation = op_u64 (op, F_PROPAGATION, 0) | (flags & MS_PROPAGATION);
  uint64_t attr_set = op_u64 (op, F_ATTR_SET, 0), attr_clr = op_u64 (op, F_ATTR_CLR, 0);
  bool bind = (flags & MS_BIND) != 0;
  bool as_file = op_u64 (op, F_AS_FILE, 0) != 0;
  char what[PATH_MAX + 8], target[64];
  cleanup_close int fd = -1;
  cleanup_close int top = -1;

  flags &= ~MS_PROPAGATION;
  if (dest == NULL)
    return joey_error (err, 0, "mount: no destination");
  if (!bind && fstype == NULL)
    return joey_error (err, 0, "mount on `%s`: no filesystem type", dest);
  if (source == NULL)
    source = bind ? NULL : fstype;
  if (bind && source == NULL)
    return joey_error (err, 0, "bind mount on `%s`: no source", dest);
  if (bind)
    snprintf (what, sizeof what, "`%s`", source);
  else
    snprintf (what, sizeof what, "%s", fstype);

  if (op_u64 (op, F_MUST_BE_DIR, 0) && check_real_dir (ctx, dest, what, err) < 0)
    return -1;

  /* A file can only be bind-mounted onto a file. The plan says so when it
   * knows; otherwise look at the (host) source ourselves. */
  if (bind && !op_has (op, F_AS_FILE))
    {
      struct stat st;
      if (stat (source, &st) == 0 && !S_ISDIR (st.st_mode))
        as_file = true;
    }

  fd = mountpoint_in_root (ctx, dest, as_file ? 0644 : 0755, as_file, err);
  if (fd < 0)
    return prefix_error (err, "mount %s on `%s`", what, dest);
  /* SECURITY(CVE-2021-30465): mount on the fd we resolved, and only after
   * checking that the kernel places it inside the rootfs. */
  if (check_fd_in_root (ctx, fd, dest, err) < 0)
    return prefix_error (err, "mount %s on `%s`", what, dest);
  if (check_proc_dest (fd, dest, source, bind, what, err) < 0)
    return -1;
  proc_fd (target, sizeof target, fd);

  if (bind)
    {
      if (mount (source, target, NULL, flags & (MS_BIND | MS_REC), NULL) < 0)
        return joey_error (err, errno, "mount %s on `%s`", what, dest);
    }
  else if (mount (source, target, fstype, flags, data) < 0)
    return joey_error (err, errno, "mount %s on `%s`%s%s%s", what, dest, data ? " with `" : "", data ? data : "",
                       data ? "`" : "");

  /* SECURITY(CVE-2023-25809): an rbind of /sys brings the host's cgroup
   * mounts along, writable; make every mount under /sys/fs/cgroup read-only. */
  if (bind && (flags & MS_REC) && is_sys_dest (dest))
    {
      joey_error_t ignored;
      cleanup_close int cg = open_in_root (ctx, "/sys/fs/cgroup", O_PATH | O_NOFOLLOW | O_DIRECTORY, 0, &ignored);
      struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
      if (cg >= 0 && mount_setattr (cg, "", AT_EMPTY_PATH | AT_RECURSIVE, &ro, sizeof ro) < 0 && errno != EINVAL)
        return joey_error (err, errno, "make `/sys/fs/cgroup` under the bind of %s read-only", what);
    }

  bool remount = bind && (flags & ~MS_BIND_IGNORED) != 0;
  if (!remount && !propagation && !attr_set && !attr_clr)
    return 0;
  top = reopen_top (ctx, dest, what, err);
  if (top < 0)
    return -1;
  proc_fd (target, sizeof target, top);

  if (remount && remount_bind (top, flags, clear, what, dest, err) < 0)
    return -1;
  /* Propagation is its own mount(2) call: the kernel refuses it mixed with
   * other flags. */
  if (propagation && mount (NULL, target, NULL, propagation, NULL) < 0)
    return joey_error (err, errno, "set propagation %#lx on `%s`", propagation, dest);
  if (attr_set || attr_clr)
    {
      /* rro, rnosuid, …: the recursive variants only mount_setattr(2) has.
       * Setting one atime mode means clearing the whole atime field. */
      struct mount_attr attr = { .attr_set = attr_set, .attr_clr = attr_clr };
      if ((attr_set | attr_clr) & MOUNT_ATTR__ATIME)
        attr.attr_clr |= MOUNT_ATTR__ATIME;
      if (mount_setattr (top, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
        return joey_error (err, errno, "mount_setattr set %#llx clear %#llx on `%s`", (unsigned long long) attr_set,
                           (unsigned long long) attr_clr, dest);
    }
  return 0;
}

/* A user namespace cannot mknod: bind the host's node onto an empty file,
 * as runc's bindMountDeviceNode does. */
static int
bind_device (int dir, const char *base, const char *path, const char *source, joey_error_t *err)
{
  cleanup_close int src = open (source, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  cleanup_close int dst = -1;
  struct stat st, dt;
  char s[64], d[64];

  if (src < 0)
    return joey_error (err, errno, "bind device `%s` on `%s`: open the source", source, path);
  if (fstat (src, &st) < 0)
    return joey_error (err, errno, "bind device `%s`: fstat", source);
  if (!S_ISCHR (st.st_mode) && !S_ISBLK (st.st_mode) && !S_ISFIFO (st.st_mode))
    return joey_error (err, 0, "bind device `%s` on `%s`: the source is %s, not a device", source, path,
                       file_kind (st.st_mode));
  int c = openat (dir, base, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0600);
  if (c >= 0)
    close (c);
  else if (errno != EEXIST)
    return joey_error (err, errno, "bind device `%s` on `%s`: create the mountpoint", source, path);
  dst = openat (dir, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (dst < 0 || fstat (dst, &dt) < 0)
    return joey_error (err, errno, "bind device `%s` on `%s`: open the mountpoint", source, path);
  if ((dt.st_mode & S_IFMT) == (st.st_mode & S_IFMT) && dt.st_rdev == st.st_rdev)
    return 0; /* already there, e.g. a /dev bind from the host */
  if (!S_ISREG (dt.st_mode))
    return joey_error (err, 0, "bind device `%s` on `%s`: the destination is %s", source, path,
                       file_kind (dt.st_mode));
  proc_fd (s, sizeof s, src);
  proc_fd (d, sizeof d, dst);
  if (mount (s, d, NULL, MS_BIND, NULL) < 0)
    return joey_error (err, errno, "bind device `%s` on `%s`", source, path);
  return 0;
}

int
op_mknod (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  const char *path = op_str (op, F_PATH);
  mode_t mode = (mode_t) op_u64 (op, F_MODE, S_IFCHR | 0666);
  dev_t dev = makedev (op_u64 (op, F_MAJOR, 0), op_u64 (op, F_MINOR, 0));
  uid_t uid = (uid_t) op_u64 (op, F_UID, (uint64_t) -1);
  gid_t gid = (gid_t) op_u64 (op, F_GID, (uint64_t) -1);
  char base[NAME_MAX + 1];
  cleanup_close int dir = -1;

  if (path == NULL)
    return joey_error (err, 0, "mknod: no path");
  if ((mode & S_IFMT) == 0)
    mode |= S_IFCHR;
  /* SECURITY(CVE-2026-41579): open the rootfs's /dev (and every directory
   * below it) inside the root without following symlinks before creating
   * anything, so an image whose /dev is a symlink cannot send device creation
   * outside the rootfs. */
  dir = open_parent_in_root (ctx, path, 1, base, err);
  if (dir < 0)
    return prefix_error (err, "mknod `%s`", path);

  if (op_u64 (op, F_BIND, 0))
    {
      const char *source = op_str (op, F_SOURCE);
      return bind_device (dir, base, path, source ? source : path, err);
    }

  /* umask would strip the spec's permissions; the init is single-threaded,
   * so switching it off around the call is safe. */
  mode_t old = umask (0);
  int r = mknodat (dir, base, mode, dev);
  int e = errno;
  umask (old);
  if (r < 0)
    {
      struct stat st;
      if (e != EEXIST)
        return joey_error (err, e, "mknod `%s` (%u:%u)", path, major (dev), minor (dev));
      if (fstatat (dir, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return joey_error (err, errno, "mknod `%s`: fstatat", path);
      if ((st.st_mode & S_IFMT) == (mode & S_IFMT) && st.st_rdev == dev)
        return 0;
      return joey_error (err, EEXIST, "mknod `%s`: it exists as %s, not the device %u:%u", path,
                         S_ISCHR (st.st_mode) || S_ISBLK (st.st_mode) ? "another device" : file_kind (st.st_mode),
                         major (dev), minor (dev));
    }
  if ((uid != (uid_t) -1 || gid != (gid_t) -1) && fchownat (dir, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return joey_error (err, errno, "chown `%s` to %d:%d", path, (int) uid, (int) gid);
  return 0;
}

int
op_symlink (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  const char *target = op_str (op, F_TARGET);
  const char *path = op_str (op, F_PATH);
  char base[NAME_MAX + 1];
  cleanup_close int dir = -1;

  if (target == NULL || path == NULL)
    return joey_error (err, 0, "symlink: needs a target and a path");
  dir = open_parent_in_root (ctx, path, 1, base, err);
  if (dir < 0)
    return prefix_error (err, "symlink `%s`", path);
  /* An image that already has /dev/fd etc. keeps its own, as runc does. */
  if (symlinkat (target, dir, base) < 0 && errno != EEXIST)
    return joey_error (err, errno, "symlink `%s` -> `%s`", path, target);
  return 0;
}

int
op_mkdir_in_root (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  const char *path = op_str (op, F_PATH);
  mode_t mode = (mode_t) op_u64 (op, F_MODE, 0755);
  cleanup_close int fd = -1;
  struct stat st;

  if (path == NULL)
    return joey_error (err, 0, "mkdir-in-root: no path");
  fd = mountpoint_in_root (ctx, path, mode & 07777, 0, err);
  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0)
    return joey_error (err, errno, "mkdir `%s`: fstat", path);
  if (!S_ISDIR (st.st_mode))
    return joey_error (err, ENOTDIR, "mkdir `%s`: it exists as %s", path, file_kind (st.st_mode));
  return 0;
}

/* SECURITY(CVE-2025-31133): after pivot_root the old root is detached, and the
 * kernel refuses a bind mount whose source lives in a detached tree (EINVAL).
 * A clone made with open_tree(OPEN_TREE_CLONE) is an anonymous mount that no
 * pivot can detach; mask_file binds from it (or moves it in, on kernels that
 * cannot bind from an anonymous mount). Kernels without open_tree (< 5.2) keep
 * the plain fd, and masks after a pivot fail loudly rather than fall back to
 * the image's /dev/null. */
static int
keep_dev_null (struct init_ctx *ctx, joey_error_t *err)
{
  if (ctx->host_dev_null < 0)
    return 0;
  if (verify_dev_null (ctx->host_dev_null) < 0)
    return joey_error (err, errno, "the saved host `/dev/null` is not the character device 1:3");
  int t = open_tree (ctx->host_dev_null, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (t < 0)
    {
      if (errno == ENOSYS)
        return 0;
      return joey_error (err, errno, "open_tree of the host `/dev/null`");
    }
  close (ctx->host_dev_null);
  ctx->host_dev_null = t;
  return 0;
}

static void
forget_rootfs_fd (struct init_ctx *ctx)
{
  /* The root is "/" from now on; an fd of the old path must not leak into the
   * container (CVE-2024-21626 was a leaked directory fd). */
  if (ctx->rootfs_fd >= 0)
    close (ctx->rootfs_fd);
  ctx->rootfs_fd = -1;
  ctx->pivoted = 1;
}

/* pivot_root(".", ".") stacks the old root on top of the new one, so no
 * directory for it is needed inside the rootfs (runc's pivotRoot). Then the
 * old root is made rslave, so that detaching it does not propagate to the
 * host, and lazily unmounted. SECURITY(chroot escape, security.md row 17):
 * unlike chroot(2) this leaves no path back to the host's tree. */
int
op_pivot_root (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  cleanup_close int oldroot = -1;

  (void) op;
  if (ctx->rootfs_fd < 0 || ctx->pivoted)
    return joey_error (err, 0, "pivot-root: no rootfs (bind-rootfs must come first)");
  if (keep_dev_null (ctx, err) < 0)
    return -1;
  oldroot = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (oldroot < 0)
    return joey_error (err, errno, "open the old root `/`");
  /* fchdir(2) accepts O_PATH directory fds. */
  if (fchdir (ctx->rootfs_fd) < 0)
    return joey_error (err, errno, "chdir to the rootfs `%s`", ctx->rootfs);
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return joey_error (err, errno, "pivot_root to `%s`", ctx->rootfs);
  if (fchdir (oldroot) < 0)
    return joey_error (err, errno, "chdir to the old root");
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return joey_error (err, errno, "make the old root rslave");
  if (umount2 (".", MNT_DETACH) < 0)
    return joey_error (err, errno, "unmount the old root");
  if (chdir ("/") < 0)
    return joey_error (err, errno, "chdir to the new root");
  forget_rootfs_fd (ctx);
  return 0;
}

/* --no-pivot, for a rootfs on the initramfs where pivot_root(2) cannot work:
 * move the rootfs over "/" and chroot into it. A chroot can be escaped by a
 * process with CAP_SYS_CHROOT, which is why this is opt-in and documented as
 * unsafe (security.md row 17). */
int
op_move_root (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  char src[64];

  (void) op;
  if (ctx->rootfs_fd < 0 || ctx->pivoted)
    return joey_error (err, 0, "move-root: no rootfs (bind-rootfs must come first)");
  if (keep_dev_null (ctx, err) < 0)
    return -1;
  if (fchdir (ctx->rootfs_fd) < 0)
    return joey_error (err, errno, "chdir to the rootfs `%s`", ctx->rootfs);
  proc_fd (src, sizeof src, ctx->rootfs_fd);
  if (mount (src, "/", NULL, MS_MOVE, NULL) < 0)
    return joey_error (err, errno, "move the rootfs `%s` onto `/`", ctx->rootfs);
  /* The cwd still is the moved mount: make it the root. */
  if (chroot (".") < 0)
    return joey_error (err, errno, "chroot into the rootfs `%s`", ctx->rootfs);
  if (chdir ("/") < 0)
    return joey_error (err, errno, "chdir to the new root");
  forget_rootfs_fd (ctx);
  return 0;
}

/* SECURITY(CVE-2025-31133): the mask source is the host /dev/null taken in
 * bind-rootfs, checked again here, and mounted through its fd — never the
 * container's own /dev/null, which an attacker can make a symlink to a procfs
 * file that would then be exposed read-write in place of the mask. */
static int
mask_file (struct init_ctx *ctx, int fd, const char *path, joey_error_t *err)
{
  char s[64], d[64];

  if (ctx->host_dev_null < 0)
    return joey_error (err, 0, "mask `%s`: no host `/dev/null` (bind-rootfs must come first)", path);
  if (verify_dev_null (ctx->host_dev_null) < 0)
    return joey_error (err, errno, "mask `%s`: the saved host `/dev/null` is not the character device 1:3", path);
  proc_fd (s, sizeof s, ctx->host_dev_null);
  proc_fd (d, sizeof d, fd);
  if (mount (s, d, NULL, MS_BIND, NULL) == 0)
    return 0;
  int e = errno;
  /* Kernels before 6.x cannot bind from an anonymous (open_tree) mount; moving
   * it in attaches it, and later masks can bind from it where it now is. */
  if (e == EINVAL && move_mount (ctx->host_dev_null, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == 0)
    return 0;
  return joey_error (err, e, "mask `%s` with the host `/dev/null`", path);
}

int
op_mask_path (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  const char *path = op_str (op, F_PATH);
  cleanup_close int fd = -1;
  struct stat st;
  char d[64];

  if (path == NULL)
    return joey_error (err, 0, "mask-path: no path");
  /* O_NOFOLLOW: a symlink at the masked path gets the mask itself (mounting
   * over a symlink is allowed) instead of sending the mask elsewhere. */
  fd = open_in_root (ctx, path, O_PATH | O_NOFOLLOW, 0, err);
  if (fd < 0)
    {
      if (errno == ENOENT)
        {
          err->errnum = 0;
          err->msg[0] = '\0';
          return 0; /* masking what does not exist is a no-op (runc, crun) */
        }
      return prefix_error (err, "mask `%s`", path);
    }
  if (fstat (fd, &st) < 0)
    return joey_error (err, errno, "mask `%s`: fstat", path);
  if (!S_ISDIR (st.st_mode))
    return mask_file (ctx, fd, path, err);
  /* A directory gets an empty read-only tmpfs. */
  proc_fd (d, sizeof d, fd);
  if (mount ("tmpfs", d, "tmpfs", MS_RDONLY, NULL) < 0)
    return joey_error (err, errno, "mask `%s` with a read-only tmpfs", path);
  return 0;
}

/* MS_BIND|MS_REMOUNT|MS_RDONLY, repeating the mount's nosuid/nodev/noexec and
 * atime flags: a remount that drops them is refused in a user namespace
 * (locked flags), and would loosen them outside one. */
static int
remount_ro (int fd, const char *path, joey_error_t *err)
{
  struct statfs sf;
  char p[64];

  if (fstatfs (fd, &sf) < 0)
    return joey_error (err, errno, "statfs `%s`", path);
  unsigned long keep = statfs_to_ms (sf.f_flags)
                       & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_NOSYMFOLLOW);
  proc_fd (p, sizeof p, fd);
  if (mount (NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
    return joey_error (err, errno, "remount `%s` read-only", path);
  return 0;
}

int
op_readonly_path (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  const char *path = op_str (op, F_PATH);
  cleanup_close int fd = -1;
  cleanup_close int top = -1;
  char p[64];

  if (path == NULL)
    return joey_error (err, 0, "readonly-path: no path");
  fd = open_in_root (ctx, path, O_PATH, 0, err);
  if (fd < 0)
    {
      if (errno == ENOENT)
        {
          err->errnum = 0;
          err->msg[0] = '\0';
          return 0;
        }
      return prefix_error (err, "make `%s` read-only", path);
    }
  /* Bind it onto itself so it is a mount of its own whose flags we can set. */
  proc_fd (p, sizeof p, fd);
  if (mount (p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
    return joey_error (err, errno, "bind `%s` onto itself", path);
  top = reopen_top (ctx, path, "readonly-path", err);
  if (top < 0)
    return -1;
  return remount_ro (top, path, err);
}

int
op_remount_root_ro (struct init_ctx *ctx, const struct op *op, joey_error_t *err)
{
  cleanup_close int fd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  (void) ctx;
  (void) op;
  if (fd < 0)
    return joey_error (err, errno, "open `/`");
  return remount_ro (fd, "/", err);
}
