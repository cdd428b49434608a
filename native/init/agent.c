/* agent.c — joey's init as PID 1 of a microVM: the guest agent of `--vm`
 * (docs/vm.md §6.2, §6.5; design.md §7).
 *
 * The same static binary the host runs as joey:[1:CHILD]. When the kernel
 * starts it as /init (pid 1) it boots the guest instead: loads the listed
 * modules (stock kernels), moves off the initramfs root the way switch_root
 * does (so the plan's pivot_root works unchanged), mounts proc, sys, dev,
 * cgroup2 with every controller enabled, the shared rootfs (tag `rootfs`,
 * virtio-fs or else 9p) on /run/rootfs, the host bind sources' 9p shares on
 * /run/binds/<n>, finds its virtio-serial ports by name, and serves the
 * control protocol on port `ctl`. For CREATE it plays the runtime's part:
 * it execs this same binary as joey:[1:CHILD] from the fd of /init and feeds
 * it the plan over the usual SEQPACKET sync socket, so every op runs in the
 * same C code as on the host.
 *
 * Protocol (one line per message; bodies follow `<VERB> <len>\n` exactly):
 *   host → agent: PING | CGROUP <len> | DEVICES <len> | PLAN <len> | CREATE relay|ports [tty] |
 *                 EXEC [tty|detach] | START | KILL <sig> | WAIT | STATE |
 *                 I <len> (stdin, 0 = EOF) | W <rows> <cols> (terminal size) |
 *                 HOOKS <len> (state JSON) | HOOKFAIL | SHUTDOWN
 *   agent → host: READY | OK | CREATED <pid> | EXECED <pid> | STARTED | ERROR <op> <errno> <msg%> |
 *                 STATE <status> <pid> <exit> | EXIT <code> | O <len> | E <len> | HOOKS | BYE
 * In relay mode the container's stdout and stderr are pipes multiplexed on
 * this one port, so no output can arrive after EXIT (vm.md §6.7); in ports
 * mode they are the `out`/`err` virtio-serial ports themselves.
 * The agent never writes unsolicited messages except O/E/EXIT in relay mode,
 * where the host holds the connection open (vm.md §4 item 5), and HOOKS while
 * the host waits on CREATE: the init's sync-hooks barrier, where the host runs
 * prestart/createRuntime/createContainer and answers with the state JSON.
 *
 * DEVICES carries linux.resources.devices as the host compiled it for cgroup
 * v2 (src/cgroups/devices.ts, plus runc's default device set): eBPF
 * instructions the agent loads as BPF_PROG_TYPE_CGROUP_DEVICE and attaches to
 * the container's cgroup, as the host's v2 driver does (bpf(2)).
 *
 * Terminals (`tty`): the plan's console ops connect to a unix socket the agent
 * listens on in the guest (/run/joey/console.sock), exactly as the host init
 * sends its master to a --console-socket; the agent keeps the master of the
 * guest pty. For `run -t` and `exec -t` it is relayed on this port (O frames
 * out, I frames in, W resizes it). For a detached container (`create` with
 * --console-socket) it is relayed on the port `con`: raw bytes out, I and W
 * frames in, from the host relay (vmrelay.c) that holds the host pty.
 *
 * Kernel: finit_module(2), mount(2) MS_MOVE, cgroups(7) v2, virtio_console,
 * signalfd(2), ioperm(2) + isa-debug-exit, reboot(2) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../common/protocol.h"

int agent_main (int argc, char **argv);

#define ROOTFS "/run/rootfs"
#define STATE_DIR "/run/joey"
#define CGROUP "/sys/fs/cgroup/container"
#define CONSOLE_SOCK STATE_DIR "/console.sock"
#define BINDS "/run/binds"

static int ctl = -1, out_port = -1, err_port = -1, con_port = -1;
static int init_fd = -1;
static int sfd = -1;
static pid_t guest_pid;
static int created, started, exited, exit_code;
static int relay;
static int pipe_in = -1, pipe_out = -1, pipe_err = -1;
/* pipe_out (and pipe_in, a dup) is a pty master: EIO is its end, and the
 * rest of its output may still be in flight when the process exits */
static int io_tty;
static long long tty_deadline;
static int wait_pending;
/* a detached container's terminal, relayed on the `con` port */
static int con_master = -1;
static uint8_t con_pend[65536];
static size_t con_pend_len, con_pend_off;
static uint8_t con_rbuf[65536 + 64];
static size_t con_rlen;
static long long ctl_quiet_until, con_quiet_until;
/* `exec`: a second process, its stdio relayed through the pipes above */
static pid_t exec_pid;
static int exec_exited, exec_code;
static uint8_t *plan;
static size_t plan_len;

static void
logmsg (const char *fmt, ...)
{
  char buf[512];
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (buf, sizeof buf - 1, fmt, ap);
  va_end (ap);
  if (n < 0)
    return;
  if (n > (int) sizeof buf - 2)
    n = sizeof buf - 2;
  buf[n++] = '\n';
  if (write (2, "joey-agent: ", 12) < 0 || write (2, buf, n) < 0)
    return;
}

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
power_off (int code)
{
  sync ();
  /* isa-debug-exit: QEMU exits with (code << 1) | 1 (vm.md §4 item 3). */
  if (ioperm (0x501, 1, 1) == 0)
    outb ((unsigned char) code, 0x501);
  reboot (RB_POWER_OFF);
  /* -no-reboot turns a reset into QEMU's exit. */
  reboot (RB_AUTOBOOT);
  for (;;)
    pause ();
}

static void
die (const char *what)
{
  logmsg ("fatal: %s: %s", what, strerror (errno));
  power_off (120);
}

/* ---- writing to the host ---- */

/* Write all of p, waiting for room on EAGAIN (a virtio-serial port whose host
 * side is not connected yet, vm.md §4 item 5); shared with vmrelay.c. */
int
write_all (int fd, const void *p, size_t n)
{
  const char *c = p;
  while (n > 0)
    {
      ssize_t w = write (fd, c, n);
      if (w < 0 && (errno == EINTR || errno == EAGAIN))
        {
          /* host not connected yet (vm.md §4 item 5): wait for room */
          struct pollfd pf = { .fd = fd, .events = POLLOUT };
          poll (&pf, 1, 50);
          continue;
        }
      if (w <= 0)
        return -1;
      c += w;
      n -= (size_t) w;
    }
  return 0;
}

static void
reply (const char *fmt, ...)
{
  char buf[1200];
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (buf, sizeof buf - 1, fmt, ap);
  va_end (ap);
  if (n < 0)
    return;
  if (n > (int) sizeof buf - 2)
    n = sizeof buf - 2;
  buf[n++] = '\n';
  write_all (ctl, buf, (size_t) n);
}

static void
pct (char *dst, size_t cap, const char *src)
{
  size_t o = 0;
  for (; *src && o + 4 < cap; src++)
    {
      unsigned char c = (unsigned char) *src;
      if (c <= ' ' || c == '%' || c >= 0x7f)
        o += (size_t) snprintf (dst + o, cap - o, "%%%02X", c);
      else
        dst[o++] = (char) c;
    }
  dst[o] = 0;
}

static void
reply_error (long index, int errnum, const char *msg)
{
  char enc[1024];
  pct (enc, sizeof enc, msg);
  reply ("ERROR %ld %d %s", index, errnum, enc);
}

static void
frame (char tag, const void *data, size_t n)
{
  char head[32];
  int h = snprintf (head, sizeof head, "%c %zu\n", tag, n);
  write_all (ctl, head, (size_t) h);
  if (n)
    write_all (ctl, data, n);
}

/* ---- reading from the host: a buffered reader over the ctl port ---- */

static uint8_t rbuf[65536];
static size_t rpos, rlen;

/* 1 on data, 0 when the host went away */
static int
fill (void)
{
  for (;;)
    {
      ssize_t n = read (ctl, rbuf, sizeof rbuf);
      if (n > 0)
        {
          rpos = 0;
          rlen = (size_t) n;
          return 1;
        }
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        {
          struct pollfd pf = { .fd = ctl, .events = POLLIN };
          if (poll (&pf, 1, 1000) >= 0 && (pf.revents & POLLHUP) && !(pf.revents & POLLIN))
            return 0;
          continue;
        }
      return 0;
    }
}

static int
read_line (char *line, size_t cap)
{
  size_t o = 0;
  for (;;)
    {
      if (rpos == rlen && !fill ())
        return -1;
      char c = (char) rbuf[rpos++];
      if (c == '\n')
        break;
      if (o + 1 < cap)
        line[o++] = c;
    }
  line[o] = 0;
  return 0;
}

static int
read_exact (uint8_t *dst, size_t n)
{
  while (n > 0)
    {
      if (rpos == rlen && !fill ())
        return -1;
      size_t k = rlen - rpos < n ? rlen - rpos : n;
      if (dst)
        {
          memcpy (dst, rbuf + rpos, k);
          dst += k;
        }
      rpos += k;
      n -= k;
    }
  return 0;
}

/* ---- boot ---- */

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* /modules/NN-name.ko in dependency order (native/vm/build-assets.sh). */
static void
load_modules (void)
{
  DIR *d = opendir ("/modules");
  if (d == NULL)
    return;
  char *names[64];
  int n = 0;
  struct dirent *e;
  while ((e = readdir (d)) != NULL && n < 64)
    if (strstr (e->d_name, ".ko"))
      names[n++] = strdup (e->d_name);
  closedir (d);
  qsort (names, (size_t) n, sizeof names[0], cmp_str);
  for (int i = 0; i < n; i++)
    {
      char path[300];
      snprintf (path, sizeof path, "/modules/%s", names[i]);
      int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0 || (syscall (SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST))
        logmsg ("load %s: %s", names[i], strerror (errno));
      if (fd >= 0)
        close (fd);
      free (names[i]);
    }
}

/* pivot_root(2) refuses the initramfs root; do what switch_root does once:
 * a tmpfs moved onto / and chrooted into (vm.md §6.2). */
static void
leave_initramfs (void)
{
  mkdir ("/newroot", 0755);
  if (mount ("tmpfs", "/newroot", "tmpfs", 0, "mode=0755") < 0)
    die ("mount tmpfs");
  if (chdir ("/newroot") < 0 || mount (".", "/", NULL, MS_MOVE, NULL) < 0 || chroot (".") < 0 || chdir ("/") < 0)
    die ("move root");
}

static void
mkdirs (const char *const *dirs)
{
  for (; *dirs; dirs++)
    mkdir (*dirs, 0755);
}

static void
setup_cgroup2 (void)
{
  if (mount ("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate") < 0)
    {
      logmsg ("mount cgroup2: %s", strerror (errno));
      return;
    }
  char ctrls[512] = { 0 };
  int fd = open ("/sys/fs/cgroup/cgroup.controllers", O_RDONLY | O_CLOEXEC);
  if (fd >= 0)
    {
      ssize_t n = read (fd, ctrls, sizeof ctrls - 1);
      if (n < 0)
        n = 0;
      ctrls[n] = 0;
      close (fd);
    }
  int sc = open ("/sys/fs/cgroup/cgroup.subtree_control", O_WRONLY | O_CLOEXEC);
  for (char *save, *tok = strtok_r (ctrls, " \n", &save); tok && sc >= 0; tok = strtok_r (NULL, " \n", &save))
    {
      char w[64];
      int k = snprintf (w, sizeof w, "+%s", tok);
      if (write (sc, w, (size_t) k) < 0)
        logmsg ("enable controller %s: %s", tok, strerror (errno));
    }
  if (sc >= 0)
    close (sc);
  mkdir (CGROUP, 0755);
}

static int
read_small (const char *path, char *buf, size_t cap)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read (fd, buf, cap - 1);
  close (fd);
  if (n < 0)
    return -1;
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
    n--;
  buf[n] = 0;
  return 0;
}

/* Ports are named by the host (`-device virtserialport,name=ctl`); the name
 * arrives through the control virtqueue, so poll for it. */
static void
find_ports (int want_stdio, int want_con)
{
#define MISSING (ctl < 0 || (want_stdio && (out_port < 0 || err_port < 0)) || (want_con && con_port < 0))
  for (int tries = 0; tries < 2000 && MISSING; tries++)
    {
      DIR *d = opendir ("/sys/class/virtio-ports");
      struct dirent *e;
      while (d && (e = readdir (d)) != NULL)
        {
          if (e->d_name[0] == '.')
            continue;
          char path[300], name[64], dev[300];
          snprintf (path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
          if (read_small (path, name, sizeof name) < 0)
            continue;
          snprintf (dev, sizeof dev, "/dev/%s", e->d_name);
          int *slot = strcmp (name, "ctl") == 0 ? &ctl : strcmp (name, "out") == 0 ? &out_port
                                                         : strcmp (name, "err") == 0 ? &err_port
                                                         : strcmp (name, "con") == 0 ? &con_port : NULL;
          /* con never blocks the agent: output waits in the guest pty instead */
          int flags = slot == &ctl ? O_RDWR : slot == &con_port ? O_RDWR | O_NONBLOCK : O_WRONLY;
          if (slot && *slot < 0)
            *slot = open (dev, flags | O_CLOEXEC | O_NOCTTY);
        }
      if (d)
        closedir (d);
      if (MISSING)
        {
          struct timespec ts = { 0, 5 * 1000 * 1000 };
          nanosleep (&ts, NULL);
        }
    }
#undef MISSING
  if (ctl < 0)
    die ("no virtio-serial port named `ctl`");
}

/* Host bind sources (src/vm/binds.ts): 9p shares tagged bind0 … bind<n-1>,
 * n from `joey_binds=<n>` on the kernel command line (the kernel hands such
 * parameters to init as environment variables), each mounted on
 * /run/binds/<i>. The plan's bind ops take their sources from there and
 * apply each mount's own options, so these mounts carry no flags of their
 * own (a bind inherits its source mount's). cache=mmap: the host side may
 * change under us (a volume, /dev/shm), so no page cache beyond mmap's. A
 * read-only share is enforced by QEMU (`-fsdev readonly=on`). */
static void
mount_binds (void)
{
  const char *v = getenv ("joey_binds");
  int n = v ? atoi (v) : 0;
  if (n <= 0)
    return;
  mkdir (BINDS, 0700);
  for (int i = 0; i < n && i < 64; i++)
    {
      char tag[16], path[32];
      snprintf (tag, sizeof tag, "bind%d", i);
      snprintf (path, sizeof path, BINDS "/%d", i);
      mkdir (path, 0755);
      if (mount (tag, path, "9p", 0, "trans=virtio,version=9p2000.L,msize=512000,cache=mmap,access=client") < 0)
        {
          char what[64];
          snprintf (what, sizeof what, "mount share %s", tag);
          die (what);
        }
    }
}

static void
boot (void)
{
  load_modules ();
  init_fd = open ("/init", O_RDONLY | O_CLOEXEC);
  if (init_fd < 0)
    die ("open /init");
  leave_initramfs ();
  static const char *const dirs[] = { "/proc", "/sys", "/dev", "/run", ROOTFS, STATE_DIR, "/tmp", NULL };
  mkdirs (dirs);
  if (mount ("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    die ("mount proc");
  if (mount ("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    die ("mount sysfs");
  if (mount ("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755") < 0)
    die ("mount devtmpfs");
  int con = open ("/dev/console", O_RDWR | O_NOCTTY);
  if (con >= 0)
    {
      dup2 (con, 0);
      dup2 (con, 1);
      dup2 (con, 2);
      if (con > 2)
        close (con);
    }
  setup_cgroup2 ();
  /* The bundle's rootfs: virtio-fs when the host started virtiofsd, else
   * 9p (src/vm/virtiofs.ts chooses), so one initramfs serves both. A kernel
   * without virtio-fs or a VM without that tag fails the first mount at
   * once. root.readonly is always 9p, enforced by the host's
   * `-fsdev readonly=on`, and by the plan's remount. */
  if (mount ("rootfs", ROOTFS, "virtiofs", 0, NULL) < 0)
    {
      int vfs_errno = errno;
      if (mount ("rootfs", ROOTFS, "9p", 0, "trans=virtio,version=9p2000.L,msize=512000,cache=loose,access=client") < 0)
        {
          logmsg ("mount rootfs: virtiofs: %s", strerror (vfs_errno));
          die ("mount rootfs: 9p");
        }
    }
  mount_binds ();
  find_ports (0, 0);
}

/* ---- the container ---- */

static int
cgroup_writes (const uint8_t *body, size_t len)
{
  char *text = strndup ((const char *) body, len);
  if (!text)
    return -1;
  int rc = 0;
  for (char *save, *l = strtok_r (text, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      char *sp = strchr (l, ' ');
      if (!sp)
        continue;
      *sp = 0;
      /* SECURITY: a file name, never a path (runc#4103-style traversal) */
      if (strchr (l, '/') || l[0] == '.')
        {
          reply_error (-1, EINVAL, "cgroup: bad file name");
          rc = -1;
          break;
        }
      char path[256];
      snprintf (path, sizeof path, CGROUP "/%s", l);
      int fd = open (path, O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write (fd, sp + 1, strlen (sp + 1)) < 0)
        {
          char m[320];
          snprintf (m, sizeof m, "cgroup: write %s = %s: %s", l, sp + 1, strerror (errno));
          if (fd >= 0)
            close (fd);
          reply_error (-1, errno, m);
          rc = -1;
          break;
        }
      close (fd);
    }
  free (text);
  return rc;
}

static int
seq_send (int fd, uint32_t type, const void *payload, size_t n)
{
  uint8_t head[4];
  memcpy (head, &type, 4);
  struct iovec iov[2] = { { head, 4 }, { (void *) payload, n } };
  struct msghdr m = { .msg_iov = iov, .msg_iovlen = n ? 2 : 1 };
  return sendmsg (fd, &m, MSG_NOSIGNAL) < 0 ? -1 : 0;
}


/* linux.resources.devices: the host's eBPF device program on our cgroup */
static int
device_filter (const uint8_t *insns, size_t len)
{
  if (len == 0 || len % sizeof (struct bpf_insn) != 0 || len / sizeof (struct bpf_insn) > BPF_MAXINSNS)
    {
      reply_error (-1, EINVAL, "devices: bad program length");
      return -1;
    }
  static const char license[] = "Apache"; /* DEVICE_PROGRAM_LICENSE */
  union bpf_attr a;
  memset (&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = (uint64_t) (uintptr_t) insns;
  a.insn_cnt = (uint32_t) (len / sizeof (struct bpf_insn));
  a.license = (uint64_t) (uintptr_t) license;
  int prog = (int) syscall (SYS_bpf, BPF_PROG_LOAD, &a, sizeof a);
  if (prog < 0)
    {
      reply_error (-1, errno, "devices: bpf(BPF_PROG_LOAD) of the device filter");
      return -1;
    }
  int dir = open (CGROUP, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  memset (&a, 0, sizeof a);
  a.target_fd = (uint32_t) dir;
  a.attach_bpf_fd = (uint32_t) prog;
  a.attach_type = BPF_CGROUP_DEVICE;
  int rc = dir < 0 ? -1 : (int) syscall (SYS_bpf, BPF_PROG_ATTACH, &a, sizeof a);
  int e = errno;
  close (prog);
  if (dir >= 0)
    close (dir);
  if (rc < 0)
    {
      reply_error (-1, e, "devices: bpf(BPF_PROG_ATTACH) to `" CGROUP "`");
      return -1;
    }
  return 0;
}

/* ---- terminals ---- */

/* The guest end of the plan's console socket: console-connect connects here
 * while the init still sees the guest root; console-setup sends the master. */
static int
console_listen (void)
{
  unlink (CONSOLE_SOCK);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  strcpy (sa.sun_path, CONSOLE_SOCK);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (bind (fd, (struct sockaddr *) &sa, sizeof sa) < 0 || listen (fd, 1) < 0)
    {
      int e = errno;
      close (fd);
      errno = e;
      return -1;
    }
  return fd;
}

/* After READY the init has connected and sent (one sendmsg, one fd). */
static int
console_receive (int lfd)
{
  struct pollfd pf = { .fd = lfd, .events = POLLIN };
  if (poll (&pf, 1, 5000) <= 0)
    return -1;
  int c = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0)
    return -1;
  char data[64];
  union
  {
    char b[CMSG_SPACE (sizeof (int))];
    struct cmsghdr a;
  } cm;
  struct iovec iov = { data, sizeof data };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b, .msg_controllen = sizeof cm.b };
  int master = -1;
  ssize_t n;
  do
    n = recvmsg (c, &m, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  struct cmsghdr *h = n > 0 ? CMSG_FIRSTHDR (&m) : NULL;
  if (h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS && h->cmsg_len == CMSG_LEN (sizeof (int)))
    memcpy (&master, CMSG_DATA (h), sizeof (int));
  close (c);
  return master;
}

/* The master as the relayed stdio of the ctl port (run -t, exec -t). */
static void
tty_io (int master)
{
  fcntl (master, F_SETFL, O_NONBLOCK);
  pipe_out = master;
  pipe_in = fcntl (master, F_DUPFD_CLOEXEC, 3);
  pipe_err = -1;
  io_tty = 1;
  tty_deadline = 0;
}

static void
set_winsize (int fd, long rows, long cols)
{
  if (fd < 0 || rows < 0 || cols < 0 || rows > 65535 || cols > 65535)
    return;
  struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
  ioctl (fd, TIOCSWINSZ, &ws);
}

/* ---- running the init ---- */

enum io_mode
{
  IO_PIPES, /* relayed on ctl as I/O/E frames */
  IO_PORTS, /* the out/err virtio-serial ports, stdin /dev/null */
  IO_NULL,  /* /dev/null: a terminal replaces them (console-setup) */
};

/* The host runs prestart, createRuntime and createContainer hooks while it
 * waits on CREATE (their binaries are host paths) and answers with the state
 * JSON, which the init gives the startContainer hooks it runs in here. */
static int
forward_hooks (int s)
{
  reply ("HOOKS");
  char line[64];
  if (read_line (line, sizeof line) < 0 || strncmp (line, "HOOKS ", 6) != 0)
    return -1;
  long len = strtol (line + 6, NULL, 10);
  if (len < 0 || len > 256 * 1024) /* SECURITY(CVE-2021-43784): bound the length */
    return -1;
  uint8_t *b = malloc ((size_t) len + 1);
  if (!b || read_exact (b, (size_t) len) < 0)
    {
      free (b);
      return -1;
    }
  b[len] = 0;
  int rc = seq_send (s, MSG_HOOKS_ACK, b, (size_t) len + 1);
  free (b);
  return rc;
}

/* Exec this same binary as joey:[1:CHILD] and feed it the plan, playing the
 * runtime's part of the sync protocol (src/process/spawn-init.ts). */
static void
run_init (int io, int is_exec, int tty, int detach)
{
  int in_fd, o_fd, e_fd;
  int p_in[2] = { -1, -1 }, p_out[2] = { -1, -1 }, p_err[2] = { -1, -1 };
  int lfd = -1;
  pid_t detached_pid = 0;
  if (tty && (lfd = console_listen ()) < 0)
    return reply_error (-1, errno, "listen on the guest console socket");
  if (io == IO_PIPES)
    {
      if (pipe2 (p_in, O_CLOEXEC) < 0 || pipe2 (p_out, O_CLOEXEC) < 0 || pipe2 (p_err, O_CLOEXEC) < 0)
        return reply_error (-1, errno, "pipe");
      in_fd = p_in[0];
      o_fd = p_out[1];
      e_fd = p_err[1];
    }
  else if (io == IO_PORTS)
    {
      /* port names arrive asynchronously; the host added out/err for this mode */
      find_ports (1, 0);
      in_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      o_fd = out_port >= 0 ? out_port : open ("/dev/null", O_WRONLY | O_CLOEXEC);
      e_fd = err_port >= 0 ? err_port : open ("/dev/null", O_WRONLY | O_CLOEXEC);
    }
  else
    {
      in_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      o_fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);
      e_fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);
    }
  if (!is_exec)
    {
      unlink (STATE_DIR "/exec.fifo");
      if (mkfifo (STATE_DIR "/exec.fifo", 0622) < 0)
        return reply_error (-1, errno, "mkfifo exec.fifo");
    }
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return reply_error (-1, errno, "socketpair");
  pid_t child = fork ();
  if (child < 0)
    return reply_error (-1, errno, "fork");
  if (child == 0)
    {
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      if (dup2 (in_fd, 0) < 0 || dup2 (o_fd, 1) < 0 || dup2 (e_fd, 2) < 0 || dup2 (sv[1], 3) < 0)
        _exit (127);
      char *const args[] = { "joey:[1:CHILD]", "3", "0", NULL };
      char *const envp[] = { NULL };
      syscall (SYS_execveat, init_fd, "", args, envp, AT_EMPTY_PATH);
      _exit (127);
    }
  close (sv[1]);
  if (io == IO_PIPES)
    {
      close (p_in[0]);
      close (p_out[1]);
      close (p_err[1]);
      pipe_in = p_in[1];
      pipe_out = p_out[0];
      pipe_err = p_err[0];
      fcntl (pipe_out, F_SETFL, O_NONBLOCK);
      fcntl (pipe_err, F_SETFL, O_NONBLOCK);
    }
  else
    {
      close (in_fd);
      if (o_fd != out_port)
        close (o_fd);
      if (e_fd != err_port)
        close (e_fd);
    }
  /* the cgroup join, before the init runs any op (runc's order) */
  char pidtxt[32];
  int k = snprintf (pidtxt, sizeof pidtxt, "%d", child);
  int cfd = open (CGROUP "/cgroup.procs", O_WRONLY | O_CLOEXEC);
  if (cfd < 0 || write (cfd, pidtxt, (size_t) k) < 0)
    logmsg ("join cgroup: %s", strerror (errno));
  if (cfd >= 0)
    close (cfd);

  int s = sv[0];
  const char *fail = NULL;
  long fail_index = -1;
  int fail_errno = 0;
  static uint8_t buf[256 * 1024 + 8];
  if (seq_send (s, MSG_PLAN, plan, plan_len) < 0)
    {
      fail_errno = errno;
      fail = "send plan";
    }
  while (!fail)
    {
      union
      {
        char b[CMSG_SPACE (sizeof (int) * 4)];
        struct cmsghdr a;
      } cm;
      struct iovec iov = { buf, sizeof buf - 1 };
      struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b, .msg_controllen = sizeof cm.b };
      ssize_t n = recvmsg (s, &m, MSG_CMSG_CLOEXEC);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 4)
        {
          fail = "init exited without reporting an error";
          break;
        }
      for (struct cmsghdr *c = CMSG_FIRSTHDR (&m); c; c = CMSG_NXTHDR (&m, c))
        if (c->cmsg_type == SCM_RIGHTS)
          for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN (0)) / sizeof (int); i++)
            close (((int *) CMSG_DATA (c))[i]);
      uint32_t type;
      memcpy (&type, buf, 4);
      switch (type)
        {
        case MSG_PID:
          memcpy (is_exec ? (detach ? &detached_pid : &exec_pid) : &guest_pid, buf + 4, 4);
          /* create's stage 2 waits at sync-cgroup; it is in the cgroup
           * already, as its stage 1 was joined before the plan */
          if (!is_exec && seq_send (s, MSG_CGROUP_JOINED, NULL, 0) < 0)
            {
              fail_errno = errno;
              fail = "send CGROUP_JOINED";
            }
          break;
        case MSG_USERMAP_PLS:
          fail_errno = ENOTSUP;
          fail = "user namespaces are not supported with --vm yet";
          break;
        case MSG_HOOKS_PLS:
          if ((is_exec ? seq_send (s, MSG_HOOKS_ACK, "{}", 3) : forward_hooks (s)) < 0)
            {
              fail_errno = ECANCELED;
              fail = "a hook failed on the host";
            }
          break;
        case MSG_SECCOMP_FD:
          seq_send (s, MSG_SECCOMP_ACK, NULL, 0);
          break;
        case MSG_OP:
          break;
        case MSG_ERROR:
          {
            uint32_t index;
            int32_t errnum;
            memcpy (&index, buf + 4, 4);
            memcpy (&errnum, buf + 8, 4);
            buf[n] = 0;
            fail_index = (long) index;
            fail_errno = errnum;
            fail = (char *) buf + 12;
            break;
          }
        case MSG_READY:
          {
            close (s);
            int master = -1;
            if (tty)
              {
                master = console_receive (lfd);
                close (lfd);
                unlink (CONSOLE_SOCK);
                if (master < 0)
                  return reply_error (-1, EPROTO, "the init sent no pty master");
              }
            if (is_exec)
              {
                if (detach)
                  return reply ("EXECED %d", detached_pid);
                if (tty)
                  tty_io (master);
                return reply ("EXECED %d", exec_pid);
              }
            created = 1;
            if (tty && relay)
              tty_io (master);
            else if (tty)
              {
                fcntl (master, F_SETFL, O_NONBLOCK);
                con_master = master;
              }
            return reply ("CREATED %d", guest_pid);
          }
        default:
          fail = "init sent an unknown message";
        }
    }
  close (s);
  if (lfd >= 0)
    {
      close (lfd);
      unlink (CONSOLE_SOCK);
    }
  /* nothing of a failed create may run on (the host powers the VM off) */
  pid_t stage2 = is_exec ? (detach ? detached_pid : exec_pid) : guest_pid;
  if (stage2 > 0)
    kill (stage2, SIGKILL);
  if (is_exec && !detach)
    exec_pid = 0;
  reply_error (fail_index, fail_errno, fail);
}

static void
do_create (const char *mode, const char *opt)
{
  if (created)
    return reply_error (-1, EEXIST, "a container was already created in this VM");
  if (!plan)
    return reply_error (-1, EINVAL, "CREATE before PLAN");
  relay = strcmp (mode, "relay") == 0;
  int tty = strcmp (opt, "tty") == 0;
  if (tty && !relay)
    {
      find_ports (0, 1);
      if (con_port < 0)
        return reply_error (-1, ENODEV, "no virtio-serial port named `con` for the terminal");
    }
  run_init (tty ? IO_NULL : relay ? IO_PIPES : IO_PORTS, 0, tty, 0);
}

/* runc exec: the plan joins the container's namespaces (compileExec) */
static void
do_exec (const char *opt)
{
  int tty = strcmp (opt, "tty") == 0, detach = strcmp (opt, "detach") == 0;
  if (!started || exited)
    return reply_error (-1, EINVAL, "the container is not running");
  if (!detach && (relay || exec_pid > 0 || pipe_out >= 0))
    return reply_error (-1, EBUSY, "another process already relays its stdio in this VM");
  if (!plan)
    return reply_error (-1, EINVAL, "EXEC before PLAN");
  if (!detach)
    exec_exited = 0;
  /* detached: its output goes where the container's does (the out/err ports) */
  run_init (detach ? (out_port >= 0 || !relay ? IO_PORTS : IO_NULL) : tty ? IO_NULL : IO_PIPES, 1, tty, detach);
}

static void
do_start (void)
{
  if (!created || started)
    return reply_error (-1, EINVAL, started ? "the container was already started" : "no container to start");
  int fd = open (STATE_DIR "/exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return reply_error (-1, errno, "open exec.fifo");
  struct pollfd pf = { .fd = fd, .events = POLLIN };
  char c;
  int ok = 0;
  for (int i = 0; i < 100 && !ok; i++)
    {
      if (poll (&pf, 1, 100) > 0 && read (fd, &c, 1) == 1)
        ok = 1;
      else if (exited)
        break;
    }
  close (fd);
  unlink (STATE_DIR "/exec.fifo");
  if (!ok && !exited)
    return reply_error (-1, ETIMEDOUT, "the container init did not reach the start barrier");
  started = 1;
  reply ("STARTED");
}

static void
drain (int *fd, char tag)
{
  if (*fd < 0)
    return;
  static uint8_t b[65536];
  for (;;)
    {
      ssize_t n = read (*fd, b, sizeof b);
      if (n > 0)
        {
          frame (tag, b, (size_t) n);
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      /* EIO: a pty master whose slave has no holder left */
      if (n == 0 || (n < 0 && errno == EIO))
        {
          close (*fd);
          *fd = -1;
        }
      return;
    }
}

/* A pty's last output may still be on its way to the master when the process
 * is reaped: wait (bounded) for EIO, as the host relay does (tty-relay.ts). */
static int
tty_settled (void)
{
  if (!io_tty || pipe_out < 0)
    return 1;
  drain (&pipe_out, 'O');
  if (pipe_out < 0)
    return 1;
  if (!tty_deadline)
    tty_deadline = now_ms () + 2000;
  return now_ms () >= tty_deadline;
}

static void
maybe_exit_reply (void)
{
  if (!wait_pending)
    return;
  if (exec_pid > 0)
    {
      if (!exec_exited || !tty_settled ())
        return;
      drain (&pipe_out, 'O');
      drain (&pipe_err, 'E');
      if (pipe_out >= 0)
        close (pipe_out);
      if (pipe_err >= 0)
        close (pipe_err);
      if (pipe_in >= 0)
        close (pipe_in);
      pipe_out = pipe_err = pipe_in = -1;
      io_tty = 0;
      tty_deadline = 0;
      wait_pending = 0;
      exec_pid = 0;
      reply ("EXIT %d", exec_code);
      return;
    }
  if (!exited || !tty_settled ())
    return;
  /* everything the process wrote is in the pipes now: send it before EXIT */
  drain (&pipe_out, 'O');
  drain (&pipe_err, 'E');
  wait_pending = 0;
  reply ("EXIT %d", exit_code);
}

static void
reap (void)
{
  struct signalfd_siginfo si;
  while (read (sfd, &si, sizeof si) > 0)
    ;
  int st;
  pid_t p;
  while ((p = waitpid (-1, &st, WNOHANG)) > 0)
    if (p == exec_pid && exec_pid > 0)
      {
        exec_exited = 1;
        exec_code = WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
      }
    else if (p == guest_pid && guest_pid > 0)
      {
        exited = 1;
        exit_code = WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
      }
}

/* ---- a detached container's terminal on the `con` port ---- */

static void
con_close_master (void)
{
  close (con_master);
  con_master = -1;
  con_pend_len = con_pend_off = 0;
}

/* master → con: raw bytes; what the port does not take now waits in con_pend */
static void
con_pump (int read_master)
{
  if (con_pend_len > con_pend_off)
    {
      ssize_t w = write (con_port, con_pend + con_pend_off, con_pend_len - con_pend_off);
      if (w > 0)
        con_pend_off += (size_t) w;
      if (con_pend_off < con_pend_len)
        return;
    }
  con_pend_len = con_pend_off = 0;
  if (!read_master || con_master < 0)
    return;
  ssize_t n = read (con_master, con_pend, sizeof con_pend);
  if (n > 0)
    {
      con_pend_len = (size_t) n;
      con_pump (0);
    }
  else if (n == 0 || (n < 0 && errno == EIO))
    con_close_master ();
}

/* con → master: `I <len>\n<bytes>` and `W <rows> <cols>\n` from the host relay */
static void
con_input (void)
{
  ssize_t n = read (con_port, con_rbuf + con_rlen, sizeof con_rbuf - con_rlen);
  if (n <= 0)
    return;
  con_rlen += (size_t) n;
  size_t off = 0;
  for (;;)
    {
      uint8_t *nl = memchr (con_rbuf + off, '\n', con_rlen - off);
      if (!nl)
        break;
      char line[64] = { 0 };
      size_t ll = (size_t) (nl - (con_rbuf + off));
      memcpy (line, con_rbuf + off, ll < sizeof line - 1 ? ll : sizeof line - 1);
      long a = 0, b = 0;
      if (line[0] == 'I' && sscanf (line, "I %ld", &a) == 1)
        {
          if (a < 0 || a > 65536)
            {
              con_rlen = off = 0; /* not our relay: drop what we have */
              break;
            }
          if (con_rlen - off < ll + 1 + (size_t) a)
            break;
          if (con_master >= 0)
            write_all (con_master, con_rbuf + off + ll + 1, (size_t) a);
          off += ll + 1 + (size_t) a;
          continue;
        }
      if (line[0] == 'W' && sscanf (line, "W %ld %ld", &a, &b) == 2)
        set_winsize (con_master, a, b);
      off += ll + 1;
    }
  if (off == 0 && con_rlen == sizeof con_rbuf)
    off = con_rlen; /* a line longer than any message: drop it */
  memmove (con_rbuf, con_rbuf + off, con_rlen - off);
  con_rlen -= off;
}

/* The container exited: hand its last terminal output to the relay (bounded). */
static void
con_flush (int ms)
{
  long long end = now_ms () + ms;
  while (con_master >= 0 && now_ms () < end)
    {
      struct pollfd pf[2] = { { .fd = con_port, .events = POLLOUT }, { .fd = con_master, .events = POLLIN } };
      if (poll (pf, 2, 50) < 0 || (pf[0].revents & POLLHUP))
        return;
      if (pf[0].revents & POLLOUT)
        con_pump (pf[1].revents != 0);
    }
}

static void
handle (char *line)
{
  char verb[16] = { 0 };
  long arg = 0;
  char word[32] = { 0 }, word2[32] = { 0 };
  sscanf (line, "%15s %31s %31s", verb, word, word2);
  arg = strtol (word, NULL, 10);
  if (strcmp (verb, "PING") == 0)
    reply ("READY");
  else if (strcmp (verb, "PLAN") == 0 || strcmp (verb, "CGROUP") == 0 || strcmp (verb, "DEVICES") == 0)
    {
      if (arg < 0 || arg > PLAN_MAX_PLAN_BYTES) /* SECURITY(CVE-2021-43784): bound the length */
        {
          read_exact (NULL, 0);
          return reply_error (-1, EMSGSIZE, "message too long");
        }
      uint8_t *b = malloc ((size_t) arg + 1);
      if (!b || read_exact (b, (size_t) arg) < 0)
        return;
      if (verb[0] == 'D')
        {
          if (device_filter (b, (size_t) arg) == 0)
            reply ("OK");
          free (b);
        }
      else if (verb[0] == 'P')
        {
          free (plan);
          plan = b;
          plan_len = (size_t) arg;
          reply ("OK");
        }
      else
        {
          if (cgroup_writes (b, (size_t) arg) == 0)
            reply ("OK");
          free (b);
        }
    }
  else if (strcmp (verb, "I") == 0)
    {
      if (arg <= 0)
        {
          /* the end of our stdin is not the end of a terminal's input */
          if (pipe_in >= 0 && !io_tty)
            {
              close (pipe_in);
              pipe_in = -1;
            }
          return;
        }
      uint8_t *b = malloc ((size_t) arg);
      if (!b || read_exact (b, (size_t) arg) < 0)
        return;
      if (pipe_in >= 0 && write_all (pipe_in, b, (size_t) arg) < 0)
        {
          close (pipe_in);
          pipe_in = -1;
        }
      free (b);
    }
  else if (strcmp (verb, "W") == 0)
    set_winsize (io_tty ? pipe_out : con_master, arg, strtol (word2, NULL, 10));
  else if (strcmp (verb, "CREATE") == 0)
    do_create (word, word2);
  else if (strcmp (verb, "EXEC") == 0)
    do_exec (word);
  else if (strcmp (verb, "START") == 0)
    do_start ();
  else if (strcmp (verb, "KILL") == 0)
    {
      if (guest_pid > 0 && !exited && kill (guest_pid, (int) arg) < 0)
        reply_error (-1, errno, "kill");
      else if (!relay)
        reply ("OK");
    }
  else if (strcmp (verb, "WAIT") == 0)
    {
      wait_pending = 1;
      maybe_exit_reply ();
    }
  else if (strcmp (verb, "STATE") == 0)
    reply ("STATE %s %d %d", exited ? "stopped" : started ? "running" : created ? "created" : "creating", guest_pid,
           exited ? exit_code : -1);
  else if (strcmp (verb, "SHUTDOWN") == 0)
    {
      reply ("BYE");
      kill (-1, SIGKILL);
      power_off (0);
    }
  else
    reply_error (-1, EINVAL, "unknown request");
}

int
agent_main (int argc, char **argv)
{
  (void) argc;
  (void) argv;
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  sigprocmask (SIG_BLOCK, &set, NULL);
  /* a relay that went away must not kill PID 1 */
  signal (SIGPIPE, SIG_IGN);
  sfd = signalfd (-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  boot ();

  char line[256];
  int con_live = 0;
  for (;;)
    {
      /* With no host connected a port polls as POLLHUP at once: leave it out
       * of the set for 20 ms instead of spinning. */
      long long now = now_ms ();
      int con_fd = con_master >= 0 && con_port >= 0 && now >= con_quiet_until ? con_port : -1;
      struct pollfd pf[6] = {
        { .fd = now >= ctl_quiet_until ? ctl : -1, .events = POLLIN },
        { .fd = sfd, .events = POLLIN },
        { .fd = pipe_out, .events = POLLIN },
        { .fd = pipe_err, .events = POLLIN },
        { .fd = con_fd, .events = POLLIN | (con_pend_len ? POLLOUT : 0) },
        { .fd = con_fd >= 0 && con_live && !con_pend_len ? con_master : -1, .events = POLLIN },
      };
      int r = poll (pf, 6, 20);
      if (r < 0)
        continue;
      if (pf[1].revents)
        reap ();
      if (exited && created && !relay)
        {
          /* detached: nothing waits for EXIT; the output went to file
           * chardevs synchronously. QEMU's exit is the host's "stopped". */
          if (con_master >= 0 && con_live)
            con_flush (1000);
          struct timespec ts = { 0, 20 * 1000 * 1000 };
          nanosleep (&ts, NULL);
          kill (-1, SIGKILL);
          power_off (exit_code & 0x7f);
        }
      if (pf[2].revents)
        drain (&pipe_out, 'O');
      if (pf[3].revents)
        drain (&pipe_err, 'E');
      if (con_fd >= 0)
        {
          con_live = !(pf[4].revents & POLLHUP);
          if (!con_live)
            con_quiet_until = now + 20;
          else
            {
              if (pf[4].revents & POLLIN)
                con_input ();
              if ((pf[4].revents & POLLOUT) || pf[5].revents)
                con_pump (pf[5].revents != 0);
            }
        }
      maybe_exit_reply ();
      if (pf[0].revents & POLLIN)
        {
          if (read_line (line, sizeof line) == 0)
            handle (line);
        }
      else if (pf[0].revents & POLLHUP)
        ctl_quiet_until = now + 20;
      /* buffered requests that arrived with the last read */
      while (rpos < rlen)
        {
          if (read_line (line, sizeof line) == 0)
            handle (line);
        }
    }
}
