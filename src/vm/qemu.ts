/**
 * QEMU microVM command line and process — docs/vm.md §4, §6.4
 *
 * `-M microvm` (TCG needs pit/pic/rtc and tsc_early_khz), the kernel booted
 * as an ELF through PVH, the rootfs over virtio-9p (read-only on the host
 * side when root.readonly) or virtio-fs (src/vm/virtiofs.ts), virtio-serial ports: `ctl` (socket in the state
 * dir) and, for detached containers, `out`/`err` bound to the caller's stdout
 * and stderr as output-only file chardevs (an input side would report "host
 * closed" on EOF, vm.md §4 item 6; append=on so a log file is not truncated),
 * and one more 9p share per host bind source (src/vm/binds.ts).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { AccelChoice } from './accel.js';
import type { KernelAssets } from './assets.js';
import type { Spec } from '../spec/types.js';
import { virtiofsQemuArgs } from './virtiofs.js';
import { bindQemuArgs, type Share } from './binds.js';

export interface VmSize {
  memMiB: number;
  cpus: number;
}

const MiB = 1024 * 1024;
/** kernel + agent + page cache: what the guest needs beside the container's limit */
export const MEM_OVERHEAD_MIB = 192;
export const MEM_DEFAULT_MIB = 256;

/** linux.resources.memory.limit → guest RAM plus overhead; cpu quota or cpuset → vCPUs */
export function vmSize(spec: Spec): VmSize {
  const r = spec.linux?.resources;
  const limit = r?.memory?.limit;
  const memMiB = typeof limit === 'number' && limit > 0 ? Math.max(MEM_DEFAULT_MIB, Math.ceil(limit / MiB) + MEM_OVERHEAD_MIB) : MEM_DEFAULT_MIB;
  let cpus = 1;
  const quota = r?.cpu?.quota;
  const period = r?.cpu?.period ?? 100_000;
  if (typeof quota === 'number' && quota > 0 && period > 0) cpus = Math.ceil(quota / period);
  else if (r?.cpu?.cpus) cpus = cpusetCount(r.cpu.cpus);
  return { memMiB, cpus: Math.max(1, Math.min(cpus, availableParallelism(), 8)) };
}

function cpusetCount(list: string): number {
  let n = 0;
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    n += b === undefined || Number.isNaN(b) ? 1 : Math.max(0, b - a + 1);
  }
  return Math.max(1, n);
}

export interface QemuOptions {
  qemu: string;
  assets: KernelAssets;
  accel: AccelChoice;
  dir: string;
  rootfs: string;
  readonly: boolean;
  size: VmSize;
  /** out/err ports bound to fds 3 and 4 of QEMU (detached containers) */
  ports: boolean;
  /** a `con` port on <dir>/con.sock: a detached container's terminal, for the host relay */
  console?: boolean;
  /** the rootfs over virtio-fs: QEMU's connected end of virtiofsd's socket (src/vm/virtiofs.ts); 9p without */
  virtiofsFd?: number;
  /** host bind sources, one 9p share each (src/vm/binds.ts) */
  shares?: Share[];
}

/** QEMU's fd number for virtiofsFd: after stdio and the out/err ports (spawnQemu's stdio order) */
const vfsFdIn = (o: QemuOptions) => (o.ports ? 5 : 3);

function isSocket(fd: number): boolean {
  try {
    return fs.fstatSync(fd).isSocket();
  } catch {
    return false;
  }
}

export function qemuArgs(o: QemuOptions): string[] {
  const tcg = o.accel.accel === 'tcg';
  const append = ['console=ttyS0', 'quiet', 'rdinit=/init', 'panic=-1', 'reboot=t', 'cryptomgr.notests'];
  // TCG: skip the PIT calibration (flaky, vm.md §4 item 1), and trust the TSC,
  // which QEMU derives from the host clock: the clocksource watchdog compares
  // it with jiffies, whose timer interrupts run late under TCG, marks it
  // unstable mid-boot and falls back to a coarse clocksource (and costs
  // ~5-10 % of the fast kernel's boot).
  if (tcg && o.accel.cpuKhz) append.push(`tsc_early_khz=${o.accel.cpuKhz}`);
  if (tcg) append.push('tsc=reliable');
  // TCG has no TSC-deadline timer and no way to hand the guest the local
  // APIC timer's rate, so the kernel calibrates it against the PIT for 100 ms
  // of guest time (~250 ms of a ~1 s boot here): tick from the PIT instead
  // (the broadcast mechanism serves further vCPUs), and skip the IO-APIC
  // "does the timer interrupt work" check (~20 ms), as KVM guests do. Only
  // the fast kernel: it ticks periodically (no NO_HZ, no high-resolution
  // timers); Debian's kernel hung in CREATE with noapictimer.
  // noreplace-smp: with one vCPU the kernel rewrites every LOCK prefix into
  // a no-op at boot, thousands of one-byte code patches, each of which makes
  // TCG drop translated code (~90 ms); the prefixes are just as correct on
  // one CPU.
  if (tcg && o.assets.tier === 'fast') append.push('noapictimer', 'no_timer_check', 'noreplace-smp');
  // how many bind shares the agent mounts (no dot: the kernel hands it to init's environment)
  if (o.shares?.length) append.push(`joey_binds=${o.shares.length}`);
  // The fast kernel has no ACPI (native/vm/kernel.config): it finds its
  // virtio-mmio devices on the command line, which QEMU writes itself when
  // ACPI is off (microvm's auto-kernel-cmdline), and powers off through
  // isa-debug-exit. Debian's kernel lacks VIRTIO_MMIO_CMDLINE_DEVICES and
  // finds the devices through ACPI.
  const machine = ['microvm', 'x-option-roms=off'];
  if (tcg) machine.push('pit=on', 'pic=on', 'rtc=on');
  if (o.assets.tier === 'fast') machine.push('acpi=off');
  const vfs = o.virtiofsFd === undefined ? undefined : virtiofsQemuArgs(o.size.memMiB, vfsFdIn(o));
  if (vfs) machine.push(...vfs.machine);
  const args = [
    '-M', machine.join(','),
    '-accel', o.accel.accel,
    '-cpu', tcg ? 'max' : 'host',
    '-m', String(o.size.memMiB),
    '-smp', String(o.size.cpus),
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-serial', `file:${join(o.dir, 'console.log')}`,
    '-kernel', o.assets.kernel,
    '-initrd', o.assets.initrd,
    '-append', append.join(' '),
    '-global', 'virtio-mmio.force-legacy=false',
    // max_ports: the kernel sets up two virtqueues per possible port (31 by
    // default) when it probes the device; ours are ctl, out/err, con, plus
    // port 0, which QEMU keeps for a console
    '-device', `virtio-serial-device,max_ports=${2 + (o.ports ? 2 : 0) + (o.console ? 1 : 0)}`,
    '-chardev', `socket,id=ctl,path=${join(o.dir, 'ctl.sock')},server=on,wait=off`,
    '-device', 'virtserialport,chardev=ctl,name=ctl',
    '-device', 'isa-debug-exit',
    ...(vfs ? vfs.args : [
      '-fsdev', `local,id=fs0,path=${o.rootfs},security_model=none${o.readonly ? ',readonly=on' : ''}`,
      '-device', 'virtio-9p-device,fsdev=fs0,mount_tag=rootfs',
    ]),
    ...bindQemuArgs(o.shares ?? []),
  ];
  if (o.ports) {
    // A socket cannot be reopened through /proc/self/fd (ENXIO): hand it to
    // QEMU as an open socket; pipes, files and ttys are reopened write-only.
    const dev = (name: string, fd: number, sock: boolean) =>
      ['-chardev', sock ? `socket,id=${name},fd=${fd}` : `file,id=${name},path=/proc/self/fd/${fd},append=on`, '-device', `virtserialport,chardev=${name},name=${name}`];
    args.push(...dev('out', 3, isSocket(1)), ...dev('err', 4, isSocket(2)));
  }
  if (o.console) args.push('-chardev', `socket,id=con,path=${join(o.dir, 'con.sock')},server=on,wait=off`, '-device', 'virtserialport,chardev=con,name=con');
  return args;
}

export interface QemuProcess {
  pid: number;
  exited: () => boolean;
  exitInfo: () => string;
}

/** Spawn QEMU in its own session; its own messages go to <dir>/qemu.log. */
export function spawnQemu(o: QemuOptions): QemuProcess {
  const log = fs.openSync(join(o.dir, 'qemu.log'), 'a', 0o600);
  const stdio: ('ignore' | number)[] = ['ignore', log, log];
  if (o.ports) stdio.push(1, 2);
  if (o.virtiofsFd !== undefined) stdio.push(o.virtiofsFd);
  let exit: string | undefined;
  const child = spawn(o.qemu, qemuArgs(o), { detached: true, stdio});
  child.on('error', (e) => (exit = e.message));
  child.on('exit', (code, sig) => (exit = sig ? `killed by ${sig}` : `exit status ${code}`));
  fs.closeSync(log);
  child.unref();
  if (!child.pid) throw new Error(`spawn \`${o.qemu}\` failed`);
  return { pid: child.pid, exited: () => exit !== undefined, exitInfo: () => exit ?? 'running' };
}

/** The last lines of QEMU's log and the guest console, for error messages. */
export function bootLog(dir: string): string {
  const tail = (f: string) => {
    try {
      return fs.readFileSync(join(dir, f), 'utf8').trim().split('\n').slice(-3).join(' | ');
    } catch {
      return '';
    }
  };
  return [tail('qemu.log'), tail('virtiofsd.log'), tail('console.log')].filter(Boolean).join(' | ');
}
