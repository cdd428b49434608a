/**
 * `--from busybox`: a minimal rootfs from the host's static busybox (Debian busybox-static).
 * Formats: elf(5) (e_phoff, PT_INTERP); busybox(1) `--list-full`; passwd(5), group(5).
 *
 * Only a static binary works inside an otherwise empty rootfs: a dynamic one needs the
 * host's ld.so and libc, which the bundle does not have. A static binary has no PT_INTERP
 * program header (static-pie has PT_DYNAMIC but still no interpreter).
 */
import { chmodSync, closeSync, copyFileSync, mkdirSync, openSync, readSync, symlinkSync, writeFileSync, constants as C } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { BundleError } from './errors.js';
import { lstatOrNull, normalizeMember } from './paths.js';

export const BUSYBOX_PATHS = ['/bin/busybox', '/usr/bin/busybox', '/sbin/busybox', '/usr/sbin/busybox'];

const PT_INTERP = 3;

/** True for an ELF executable without a program interpreter; false for anything else. */
export function isStaticElf(head: Buffer): boolean {
  if (head.length < 52 || head.readUInt32BE(0) !== 0x7f454c46) return false;
  const is64 = head[4] === 2;
  const le = head[5] === 1;
  const u16 = (o: number) => (le ? head.readUInt16LE(o) : head.readUInt16BE(o));
  const u32 = (o: number) => (le ? head.readUInt32LE(o) : head.readUInt32BE(o));
  const u64 = (o: number) => Number(le ? head.readBigUInt64LE(o) : head.readBigUInt64BE(o));
  const phoff = is64 ? u64(0x20) : u32(0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  if (phnum === 0 || phentsize < 8 || phoff + phnum * phentsize > head.length) return false;
  for (let i = 0; i < phnum; i++) {
    if (u32(phoff + i * phentsize) === PT_INTERP) return false;
  }
  return true;
}

function readHead(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, C.O_RDONLY);
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(65536);
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
  } finally {
    closeSync(fd);
  }
}

/** The first static busybox among `candidates`, or undefined. */
export function findStaticBusybox(candidates: string[] = BUSYBOX_PATHS): string | undefined {
  for (const p of candidates) {
    const head = readHead(p);
    if (head && isStaticElf(head)) return p;
  }
  return undefined;
}

export const NO_BUSYBOX = 'no static busybox found; install the busybox-static package (apt-get install busybox-static)';

/** Applet paths relative to `/`: `--list-full` (bin/sh, usr/bin/awk), else `--list` into bin/. */
function applets(busybox: string): string[] {
  const run = (flag: string) => execFileSync(busybox, [flag], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  let names: string[];
  try {
    names = run('--list-full').split('\n').filter(Boolean);
  } catch {
    names = run('--list').split('\n').filter(Boolean).map((n) => `bin/${n}`);
  }
  return names.filter((n) => {
    try {
      const rel = normalizeMember(n);
      return rel !== '' && rel.includes('/') && rel !== 'bin/busybox';
    } catch {
      return false;
    }
  });
}

export interface BusyboxResult {
  busybox: string;
  applets: number;
}

/** Fills the empty directory `rootfs`; returns the host binary used. */
export function makeBusyboxRootfs(rootfs: string, candidates?: string[]): BusyboxResult {
  const busybox = findStaticBusybox(candidates);
  if (!busybox) throw new BundleError(NO_BUSYBOX, { code: 'EBUNDLE_NO_BUSYBOX' });
  for (const d of ['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'root', 'tmp', 'var', 'home']) {
    mkdirSync(`${rootfs}/${d}`, 0o755);
    chmodSync(`${rootfs}/${d}`, 0o755);
  }
  chmodSync(`${rootfs}/tmp`, 0o1777);
  chmodSync(`${rootfs}/root`, 0o700);
  copyFileSync(busybox, `${rootfs}/bin/busybox`);
  chmodSync(`${rootfs}/bin/busybox`, 0o755);
  const list = applets(`${rootfs}/bin/busybox`);
  for (const rel of list) {
    const depth = rel.split('/').length - 1;
    const target = depth === 1 && rel.startsWith('bin/') ? 'busybox' : `${'../'.repeat(depth)}bin/busybox`;
    const dir = rel.slice(0, rel.lastIndexOf('/'));
    if (!lstatOrNull(`${rootfs}/${dir}`)) mkdirSync(`${rootfs}/${dir}`, { recursive: true, mode: 0o755 });
    if (!lstatOrNull(`${rootfs}/${rel}`)) symlinkSync(target, `${rootfs}/${rel}`);
  }
  writeFileSync(`${rootfs}/etc/passwd`, 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n', { mode: 0o644 });
  writeFileSync(`${rootfs}/etc/group`, 'root:x:0:\nnobody:x:65534:\n', { mode: 0o644 });
  return { busybox, applets: list.length };
}
