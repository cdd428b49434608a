/**
 * The guest rootfs over virtio-fs when a virtiofsd exists, 9p otherwise —
 * docs/vm.md §4 items 2 and 10, §6.4; virtiofsd(1), QEMU's vhost-user
 * specification (docs/interop/vhost-user.rst), unix(7), listen(2)
 *
 * Choice (chooseFs): JOEY_VM_FS=9p always gives 9p. virtio-fs needs a
 * virtiofsd (JOEY_VIRTIOFSD, /usr/libexec/virtiofsd = the Rust one,
 * /usr/lib/qemu/virtiofsd = QEMU ≤ 7.2's C one) and a guest kernel with
 * virtio-fs: the fast tier and a custom kernel (JOEY_VM_FS=9p if yours has
 * none); the Debian tier's initramfs carries only the 9p modules.
 *
 * root.readonly stays on 9p: QEMU's `-fsdev …,readonly=on` refuses writes on
 * the host side, while QEMU 7.2's C virtiofsd has no read-only option (joey
 * cannot tell which Rust virtiofsd release it has without running it), and
 * a guest-side MS_RDONLY is no isolation from a guest kernel the container
 * may compromise.
 *
 * No polling for virtiofsd's socket: joey binds and listens on
 * <state>/vfs.sock itself, connects QEMU's end at once (the connection waits
 * in the backlog), unlinks the path and hands the listening fd to virtiofsd
 * (`--fd`) and the connected one to QEMU (`-chardev socket,fd=`). Nothing
 * else can reach virtiofsd: the socket is root's 0755 (connect needs write
 * permission) and exists only between bind and unlink, before either child
 * runs. virtiofsd runs in its own session with its default namespace
 * sandbox (mount, pid and net namespaces, pivot_root into the rootfs,
 * seccomp), and exits when QEMU's end closes: a QEMU that dies for any
 * reason takes virtiofsd with it, with no resident joey process watching.
 * Its pid is in state.json (`vm.virtiofsd`) so delete and every error path
 * kill it too.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { RuntimeError, UsageError } from '../errors.js';
import { addon } from '../native/addon.js';
import { procStat } from '../lifecycle/status.js';
import { isFile, type KernelTier } from './assets.js';

export type GuestFs = '9p' | 'virtiofs';

export const VIRTIOFSD_PATHS = ['/usr/libexec/virtiofsd', '/usr/lib/qemu/virtiofsd'];

export interface FsChoice {
  fs: GuestFs;
  /** the daemon, when fs is virtiofs */
  virtiofsd?: string;
  why: string;
}

/** JOEY_VIRTIOFSD (must exist), else the first of VIRTIOFSD_PATHS present. */
export function findVirtiofsd(): string | undefined {
  const env = process.env.JOEY_VIRTIOFSD;
  if (env) return isFile(env) ? env : undefined;
  return VIRTIOFSD_PATHS.find(isFile);
}

/** JOEY_VM_FS: unset or `auto` (virtio-fs when possible), `9p`, `virtiofs` (required). */
function fsWanted(): 'auto' | GuestFs {
  const v = process.env.JOEY_VM_FS;
  if (v === undefined || v === '' || v === 'auto') return 'auto';
  if (v === '9p' || v === 'virtiofs') return v;
  throw new UsageError(`JOEY_VM_FS: expected auto, 9p or virtiofs, got "${v}"`);
}

/** How the rootfs reaches the guest, and why (`joey vm doctor` prints it). */
export function chooseFs(tier: KernelTier, readonly: boolean): FsChoice {
  const wanted = fsWanted();
  if (wanted === '9p') return { fs: '9p', why: 'JOEY_VM_FS=9p' };
  if (readonly) return { fs: '9p', why: 'root.readonly: QEMU\'s 9p readonly=on refuses writes on the host side; virtiofsd has no read-only export' };
  const daemon = findVirtiofsd();
  if (!daemon) {
    const where = process.env.JOEY_VIRTIOFSD ? `JOEY_VIRTIOFSD=${process.env.JOEY_VIRTIOFSD} does not exist` : `no virtiofsd (${VIRTIOFSD_PATHS.join(', ')}, JOEY_VIRTIOFSD)`;
    if (wanted === 'virtiofs') throw new RuntimeError(`JOEY_VM_FS=virtiofs: ${where}`, { code: 'ENOVIRTIOFSD' });
    return { fs: '9p', why: where };
  }
  if (wanted === 'virtiofs') return { fs: 'virtiofs', virtiofsd: daemon, why: `JOEY_VM_FS=virtiofs, ${daemon}` };
  if (tier === 'debian') return { fs: '9p', why: 'the Debian kernel\'s initramfs carries only the 9p modules' };
  return { fs: 'virtiofs', virtiofsd: daemon, why: `${daemon} found; JOEY_VM_FS=9p for 9p` };
}

/**
 * QEMU ≤ 7.2's C daemon (installed under a `qemu` directory) takes `-o`
 * options; the Rust one its own long options (not tried here: Debian 12 has
 * no Rust virtiofsd). Asking `--version` would cost a spawn per container.
 */
function isCDaemon(daemon: string): boolean {
  try {
    return fs.realpathSync(daemon).includes('/qemu/');
  } catch {
    return daemon.includes('/qemu/');
  }
}

export function virtiofsdArgs(daemon: string, rootfs: string, fd: number): string[] {
  // --rlimit-nofile=0: keep our limit; raising it needs CAP_SYS_RESOURCE,
  // which root lacks on some hosts. No --syslog (vm.md §4 item 10).
  if (isCDaemon(daemon)) {
    return [`--fd=${fd}`, '-o', `source=${rootfs}`, '-o', 'cache=always', '-o', 'sandbox=namespace', '-o', 'log_level=warn', '--rlimit-nofile=0'];
  }
  return [`--fd=${fd}`, `--shared-dir=${rootfs}`, '--cache=always', '--sandbox=namespace', '--log-level=warn', '--rlimit-nofile=0'];
}

export interface Virtiofsd {
  pid: number;
  startTime: number;
  /** QEMU's connected end: pass to QEMU, then close */
  fd: number;
}

/** Start virtiofsd for `rootfs` with its socket already connected (see the header). */
export function startVirtiofsd(daemon: string, dir: string, rootfs: string): Virtiofsd {
  const path = join(dir, 'vfs.sock');
  const server = net.createServer();
  server.on('error', () => {}); // a bind error is thrown below, not emitted later
  server.listen(path); // synchronous bind + listen for a path (not in a cluster worker)
  let qemuEnd = -1;
  try {
    const listenFd = (server as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
    if (typeof listenFd !== 'number' || listenFd < 0) throw new RuntimeError(`virtio-fs: cannot listen on \`${path}\``, { code: 'EVIRTIOFSD' });
    qemuEnd = addon().connectUnix(path);
    fs.rmSync(path, { force: true });
    const log = fs.openSync(join(dir, 'virtiofsd.log'), 'a', 0o600);
    let child;
    try {
      child = spawn(daemon, virtiofsdArgs(daemon, rootfs, 3), { detached: true, stdio: ['ignore', log, log, listenFd] });
    } finally {
      fs.closeSync(log);
    }
    child.on('error', () => {}); // no pid: thrown below
    child.unref();
    if (!child.pid) throw new RuntimeError(`spawn \`${daemon}\` failed`, { code: 'EVIRTIOFSD' });
    return { pid: child.pid, startTime: procStat(child.pid)?.startTime ?? 0, fd: qemuEnd };
  } catch (err) {
    if (qemuEnd >= 0) addon().close(qemuEnd);
    throw err;
  } finally {
    server.close(); // virtiofsd holds its own copy of the listening socket
  }
}

/** QEMU's side: shared guest RAM (vhost-user maps it) and the device on the connected fd. */
export function virtiofsQemuArgs(memMiB: number, fd: number): { machine: string[]; args: string[] } {
  return {
    machine: ['memory-backend=mem'],
    args: [
      '-object', `memory-backend-memfd,id=mem,size=${memMiB}M,share=on`,
      '-chardev', `socket,id=vfs,fd=${fd}`,
      '-device', 'vhost-user-fs-device,chardev=vfs,tag=rootfs',
    ],
  };
}
