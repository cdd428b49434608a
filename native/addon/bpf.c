/* bpf.c — the cgroup v2 device filter: bpf(2) BPF_PROG_LOAD and
 * BPF_PROG_ATTACH of a BPF_PROG_TYPE_CGROUP_DEVICE program.
 *
 * cgroup v2 has no devices.allow/deny files; the kernel instead runs an eBPF
 * program on every device open/mknod in the cgroup and allows it when the
 * program returns 1 (config-linux.md#allowed-device-list). joey generates the
 * program in TypeScript, so this file only loads and attaches raw
 * instructions. Program fds are always O_CLOEXEC.
 * See bpf(2), Documentation/admin-guide/cgroup-v2.rst "Device controller",
 * linux/bpf.h struct bpf_cgroup_dev_ctx. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "addon.h"

/* Verifier output is rarely long for a device filter; 64 KiB is plenty and
 * ENOSPC (log too small) only costs the tail of the message. */
#define LOG_SIZE (64 * 1024)
/* BPF_MAXINSNS; privileged loads may go up to 1M, a device filter never does. */
#define MAX_INSNS 4096

static long
sys_bpf (int cmd, union bpf_attr *attr)
{
  return syscall (SYS_bpf, cmd, attr, sizeof *attr);
}

static int
prog_load (const void *insns, size_t count, const char *license, char *log, uint32_t log_size)
{
  union bpf_attr attr;
  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) insns;
  attr.insn_cnt = (uint32_t) count;
  attr.license = (uint64_t) (uintptr_t) license;
  /* shows up in `bpftool prog` next to the cgroup it is attached to */
  strncpy (attr.prog_name, "joey_devices", sizeof attr.prog_name - 1);
  if (log != NULL)
    {
      attr.log_buf = (uint64_t) (uintptr_t) log;
      attr.log_size = log_size;
      attr.log_level = 1;
    }
  int fd;
  do
    fd = (int) sys_bpf (BPF_PROG_LOAD, &attr);
  while (fd < 0 && errno == EAGAIN); /* the verifier may ask to be retried */
  return fd;
}

/* bpfLoadDeviceProgram(insns, license) -> prog fd */
static napi_value
js_bpf_load_device_program (napi_env env, napi_callback_info info)
{
  napi_value argv[2];
  void *insns;
  size_t len;
  cleanup_free char *license = NULL;
  if (!get_args (env, info, 2, argv) || !arg_buffer (env, argv[0], "insns", &insns, &len)
      || !arg_string (env, argv[1], "license", &license))
    return NULL;
  if (len == 0 || len % sizeof (struct bpf_insn) != 0 || len / sizeof (struct bpf_insn) > MAX_INSNS)
    return throw_range (env, "`insns` must be 1..%d instructions of 8 bytes, got %zu bytes",
                        MAX_INSNS, len);
  size_t count = len / sizeof (struct bpf_insn);

  /* First without a log (the common, cheap path), as libbpf does; on failure
   * load again with log_level 1 so the verifier says why. */
  int fd = prog_load (insns, count, license, NULL, 0);
  if (fd >= 0)
    return make_int (env, fd);
  int err = errno;
  cleanup_free char *log = calloc (1, LOG_SIZE);
  if (log != NULL && (err == EACCES || err == EINVAL))
    {
      fd = prog_load (insns, count, license, log, LOG_SIZE);
      if (fd >= 0) /* passed the second time: keep it */
        return make_int (env, fd);
      err = errno == ENOSPC ? err : errno;
      /* the log ends with a newline; the message must not */
      size_t n = strnlen (log, LOG_SIZE - 1);
      while (n > 0 && (log[n - 1] == '\n' || log[n - 1] == ' '))
        log[--n] = '\0';
      return throw_errno_detail (env, err, "bpf(BPF_PROG_LOAD)", log);
    }
  return throw_errno (env, err, "bpf(BPF_PROG_LOAD)");
}

/* bpfAttachDevice(progFd, cgroupFd, flags), flags e.g. BPF_F_ALLOW_MULTI (2) */
static napi_value
js_bpf_attach_device (napi_env env, napi_callback_info info)
{
  napi_value argv[3];
  int prog_fd, cgroup_fd;
  int64_t flags;
  if (!get_args (env, info, 3, argv) || !arg_fd (env, argv[0], "progFd", &prog_fd)
      || !arg_fd (env, argv[1], "cgroupFd", &cgroup_fd)
      || !arg_int (env, argv[2], "flags", 0, UINT32_MAX, &flags))
    return NULL;
  union bpf_attr attr;
  memset (&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t) cgroup_fd;
  attr.attach_bpf_fd = (uint32_t) prog_fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = (uint32_t) flags;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    return throw_errno (env, errno, "bpf(BPF_PROG_ATTACH)");
  return make_undefined (env);
}

napi_status
register_bpf (napi_env env, napi_value exports)
{
  napi_property_descriptor props[] = {
    EXPORT ("bpfLoadDeviceProgram", js_bpf_load_device_program),
    EXPORT ("bpfAttachDevice", js_bpf_attach_device),
  };
  return REGISTER (env, exports, props);
}
