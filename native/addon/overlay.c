/* overlay.c — the init seen through a private, read-only overlayfs.
 *
 * SECURITY(CVE-2019-5736): a container process could open /proc/<pid>/exe of
 * the runtime's process and overwrite the binary on the host. memfd.c's
 * sealedCopy defends by executing a sealed copy, which costs a copy of the
 * ~0.9 MB static init into fresh memory at every spawn (~0.65 ms here, and
 * the exec then faults in those new pages). This file gives the same
 * guarantee without a copy, as runc >= 1.2 does: an overlayfs made with
 * fsopen(2) and fsmount(2) whose layers are the init's directory and an empty
 * directory, with no upper layer. Such an overlay is read-only in its
 * superblock (there is nowhere to copy a file up to), so opening
 * /proc/<pid>/exe for writing fails with EROFS and no remount can change
 * that; nothing reaches the lower file through it. The mount is never
 * attached anywhere (it lives in an anonymous mount namespace) and goes away
 * with the last fd on it. Pages come from the init's own page cache.
 *
 * It needs CAP_SYS_ADMIN (overlay in the initial user namespace) and Linux
 * >= 5.2 (fsopen); callers fall back to sealedCopy on any error.
 * See fsopen(2), fsconfig(2), fsmount(2), overlayfs.rst ("lower-only"
 * overlays need at least two lower layers). */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "addon.h"

/* sealedOverlay(dir, name, emptyDir) -> O_PATH fd of dir/name seen through a
 * read-only overlay of dir over emptyDir, for execveat(fd, "", AT_EMPTY_PATH) */
static napi_value
js_sealed_overlay (napi_env env, napi_callback_info info)
{
  napi_value argv[3];
  cleanup_free char *dir = NULL;
  cleanup_free char *name = NULL;
  cleanup_free char *empty = NULL;
  if (!get_args (env, info, 3, argv) || !arg_string (env, argv[0], "dir", &dir) || !arg_string (env, argv[1], "name", &name)
      || !arg_string (env, argv[2], "emptyDir", &empty))
    return NULL;
  /* "lowerdir" separates layers with ':' and escapes with '\\': refuse both
   * rather than escape them (the caller falls back to a copy). */
  if (strpbrk (dir, ":\\") || strpbrk (empty, ":\\") || !*name || strchr (name, '/'))
    return throw_errno (env, EINVAL, "sealedOverlay");

  cleanup_close int ctx = (int) syscall (SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
  if (ctx < 0)
    return throw_errno (env, errno, "fsopen");
  size_t n = strlen (dir) + 1 + strlen (empty) + 1;
  cleanup_free char *lower = malloc (n);
  if (!lower)
    return throw_errno (env, ENOMEM, "malloc");
  /* The init's directory on top, so that a `name` in emptyDir never masks it. */
  snprintf (lower, n, "%s:%s", dir, empty);
  if (syscall (SYS_fsconfig, ctx, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0)
    return throw_errno (env, errno, "fsconfig(lowerdir)");
  if (syscall (SYS_fsconfig, ctx, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return throw_errno (env, errno, "fsconfig(FSCONFIG_CMD_CREATE)");
  cleanup_close int mnt
      = (int) syscall (SYS_fsmount, ctx, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
  if (mnt < 0)
    return throw_errno (env, errno, "fsmount");
  cleanup_close int fd = openat (mnt, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return throw_errno (env, errno, "openat");
  struct stat st;
  if (fstat (fd, &st) < 0)
    return throw_errno (env, errno, "fstat");
  if (!S_ISREG (st.st_mode))
    return throw_errno (env, EINVAL, "openat");
  return make_int (env, steal_fd (&fd));
}

napi_status
register_overlay (napi_env env, napi_value exports)
{
  napi_property_descriptor props[] = {
    EXPORT ("sealedOverlay", js_sealed_overlay),
  };
  return REGISTER (env, exports, props);
}
