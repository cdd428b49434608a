/* memfd.c — sealed anonymous files: memfd_create(2) plus F_ADD_SEALS.
 *
 * SECURITY(CVE-2019-5736): a container process could open /proc/<pid>/exe of
 * the runtime's process and overwrite the runtime binary on the host. joey
 * starts its init from a memfd *copy* sealed against every change, so there
 * is no host file behind /proc/<pid>/exe and the copy itself cannot be
 * written, shrunk or grown (runc's approach, libcontainer/dmz/cloned_binary).
 * See memfd_create(2), fcntl(2) "File Sealing", sendfile(2). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addon.h"

/* <linux/memfd.h> of Linux 6.3; the build host's headers may be older. */
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* SECURITY(CVE-2019-5736): after these seals nobody, including us, can change
 * the bytes, and F_SEAL_SEAL stops anyone from removing them. */
#define JOEY_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* memfd_create with an explicit exec choice: since Linux 6.3 the
 * vm.memfd_noexec sysctl may make a memfd without MFD_EXEC non-executable,
 * which would break execveat of the init copy. Older kernels reject the new
 * flags with EINVAL, so retry without them. */
static int
create_memfd (const char *name, unsigned int exec_flag)
{
  int fd = memfd_create (name, MFD_CLOEXEC | MFD_ALLOW_SEALING | exec_flag);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create (name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  return fd;
}

static int
write_all (int fd, const char *p, size_t len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

/* Copy all of src into dst. sendfile stays in the kernel; it refuses some
 * sources (procfs files and other non-mmap-able ones: EINVAL), so fall back to
 * read/write. copy_file_range is no use here: it returns EXDEV across
 * filesystems (Linux >= 5.19), and a memfd is always on another one. */
static int
copy_fd (int dst, int src, const char **syscall_name)
{
  for (;;)
    {
      ssize_t n = sendfile (dst, src, NULL, 1 << 30);
      if (n > 0)
        continue;
      if (n == 0)
        return 0;
      if (errno == EINTR)
        continue;
      if (errno == EINVAL || errno == ENOSYS)
        break;
      *syscall_name = "sendfile";
      return -1;
    }
  char buf[65536];
  for (;;)
    {
      ssize_t n = read (src, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          *syscall_name = "read";
          return -1;
        }
      if (n == 0)
        return 0;
      if (write_all (dst, buf, (size_t) n) < 0)
        {
          *syscall_name = "write";
          return -1;
        }
    }
}

/* Seal, then rewind so a reader of the fd itself starts at byte 0. */
static napi_value
seal_and_return (napi_env env, int *fd)
{
  /* SECURITY(CVE-2019-5736) */
  if (fcntl (*fd, F_ADD_SEALS, JOEY_SEALS) < 0)
    return throw_errno (env, errno, "fcntl(F_ADD_SEALS)");
  if (lseek (*fd, 0, SEEK_SET) < 0)
    return throw_errno (env, errno, "lseek");
  return make_int (env, steal_fd (fd));
}

static bool
check_name (napi_env env, const char *name)
{
  /* memfd_create(2): at most 249 bytes, shown as "memfd:<name>" in /proc. */
  if (strlen (name) > 249)
    {
      throw_range (env, "`name` must be at most 249 bytes");
      return false;
    }
  return true;
}

/* sealedCopy(path, name) -> fd of a sealed, executable memfd holding path's bytes */
static napi_value
js_sealed_copy (napi_env env, napi_callback_info info)
{
  napi_value argv[2];
  cleanup_free char *path = NULL;
  cleanup_free char *name = NULL;
  if (!get_args (env, info, 2, argv) || !arg_string (env, argv[0], "path", &path)
      || !arg_string (env, argv[1], "name", &name) || !check_name (env, name))
    return NULL;

  cleanup_close int src = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (src < 0)
    return throw_errno (env, errno, "open");
  struct stat st;
  if (fstat (src, &st) < 0)
    return throw_errno (env, errno, "fstat");
  if (!S_ISREG (st.st_mode))
    return throw_errno (env, S_ISDIR (st.st_mode) ? EISDIR : EINVAL, "open");

  /* SECURITY(CVE-2019-5736): exec the copy, never the file on the host. */
  cleanup_close int fd = create_memfd (name, MFD_EXEC);
  if (fd < 0)
    return throw_errno (env, errno, "memfd_create");
  const char *failed = NULL;
  if (copy_fd (fd, src, &failed) < 0)
    return throw_errno (env, errno, failed);
  return seal_and_return (env, &fd);
}

/* sealedData(data, name) -> fd of a sealed, non-executable memfd holding data */
static napi_value
js_sealed_data (napi_env env, napi_callback_info info)
{
  napi_value argv[2];
  void *data;
  size_t len;
  cleanup_free char *name = NULL;
  if (!get_args (env, info, 2, argv) || !arg_buffer (env, argv[0], "data", &data, &len)
      || !arg_string (env, argv[1], "name", &name) || !check_name (env, name))
    return NULL;

  /* Data is never executed: MFD_NOEXEC_SEAL also adds F_SEAL_EXEC. */
  cleanup_close int fd = create_memfd (name, MFD_NOEXEC_SEAL);
  if (fd < 0)
    return throw_errno (env, errno, "memfd_create");
  if (write_all (fd, data, len) < 0)
    return throw_errno (env, errno, "write");
  return seal_and_return (env, &fd);
}

napi_status
register_memfd (napi_env env, napi_value exports)
{
  napi_property_descriptor props[] = {
    EXPORT ("sealedCopy", js_sealed_copy),
    EXPORT ("sealedData", js_sealed_data),
  };
  return REGISTER (env, exports, props);
}
