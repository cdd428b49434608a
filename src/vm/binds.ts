/**
 * Bind mounts of host paths in the microVM — config.md#mounts; docs/vm.md §6;
 * the way Kata shares them (its "shared directory")
 * Kernel: mount(2) MS_BIND, 9p (v9fs); QEMU: -fsdev local, virtio-9p-device
 *
 * The guest cannot see the host, so every bind source must be shared into
 * it. One 9p share (tag `bind<n>`, mounted by the agent on /run/binds/<n>)
 * per distinct source directory, read-only on the host side (`readonly=on`)
 * when every mount of it is read-only. A file source is never shared through
 * its parent directory (that would hand the guest its siblings: /etc/hosts
 * next to /etc/shadow): it is copied into <state>/binds, which is shared
 * once. A rw file bind therefore writes the copy, not the host's file (runc
 * would write the file itself): docs/config-vm.md says so.
 *
 * A source under /proc, /sys or /dev is bound from the guest's own (Kata's
 * "system mounts"): the host kernel's interfaces are never shared.
 *
 * The plan itself does not change: the backend rewrites each bind's source
 * in the spec copy it compiles for the guest (guestBindSpec), so the init
 * binds /run/binds/<n>[/<copy>] with the mount's own options, as on the host.
 */
import * as fs from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { SpecError, UnsupportedError } from '../errors.js';
import { MOUNT_ATTR, MS } from '../linux/flags.js';
import { isBind, parseMountOptions } from '../linux/mounts.js';
import type { Mount, Spec } from '../spec/types.js';

/** where the agent mounts share n (native/init/agent.c) */
export const GUEST_BINDS = '/run/binds';
const SPEC = 'config.md#mounts';
/** bind sources under these are the guest's own, never shared (Kata's systemMountPrefixes) */
const SYSTEM = ['/proc', '/sys', '/dev'];

/**
 * microvm has 8 virtio-mmio transports (QEMU's VIRTIO_NUM_TRANSPORTS, the
 * second IO-APIC's 24 only with ACPI, which the fast kernel runs without);
 * the serial device and the rootfs take one each.
 */
export const MMIO_SLOTS = 8;
export const MAX_SHARES = MMIO_SLOTS - 2;

export interface Share {
  tag: string;
  /** the host directory QEMU exports */
  path: string;
  readonly: boolean;
}

export interface Binds {
  shares: Share[];
  /** mounts[i] → its source in the guest, for each host bind */
  guest: Record<number, string>;
  /** guest sources that are files (the plan then makes a file mountpoint) */
  files: string[];
  /** file sources copied into <state>/binds/<name> before QEMU starts */
  copies: { from: string; name: string }[];
}

function readonly(m: Mount): boolean {
  const o = parseMountOptions(m.options);
  return (o.flags & MS.MS_RDONLY) !== 0 || (o.attrSet & MOUNT_ATTR.MOUNT_ATTR_RDONLY) !== 0;
}

/** <state>/binds: the copies of file sources, shared as one directory */
export function bindsDir(stateDir: string): string {
  return join(stateDir, 'binds');
}

/**
 * What each host bind of `spec` needs: shares and guest sources. Throws for
 * a missing source, one that is neither a file nor a directory, or more
 * shares than microvm has slots, each naming the mount.
 */
export function planBinds(spec: Spec, bundle: string, stateDir: string): Binds {
  const out: Binds = { shares: [], guest: {}, files: [], copies: [] };
  const dirs = new Map<string, number>();
  let fileShare = -1;
  const newShare = (i: number, path: string, ro: boolean): number => {
    if (out.shares.length >= MAX_SHARES) {
      throw new UnsupportedError(`mounts[${i}]: too many bind sources for --vm: at most ${MAX_SHARES} distinct host directories (files count as one), microvm has ${MMIO_SLOTS} virtio-mmio slots`);
    }
    out.shares.push({ tag: `bind${out.shares.length}`, path, readonly: ro });
    return out.shares.length - 1;
  };
  (spec.mounts ?? []).forEach((m, i) => {
    if (!isBind(m)) return;
    const from = `mounts[${i}].source`;
    if (typeof m.source !== 'string' || !m.source) throw new SpecError(from, 'a bind mount needs a source', SPEC);
    const source = isAbsolute(m.source) ? m.source : resolve(bundle, m.source);
    let st: fs.Stats;
    let real: string;
    try {
      // mount(2) follows symlinks in the source; so does QEMU's export
      real = fs.realpathSync(source);
      st = fs.statSync(real);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new SpecError(from, e.code === 'ENOENT' ? `\`${source}\` does not exist` : `\`${source}\`: ${e.code ?? e.message}`, SPEC);
    }
    // the guest's own /proc, /sys and /dev stand in for the host's (as in
    // Kata): sharing them would hand the guest the host kernel's interfaces
    if (SYSTEM.some((p) => real === p || real.startsWith(`${p}/`))) {
      out.guest[i] = real;
      return;
    }
    const ro = readonly(m);
    if (st.isDirectory()) {
      let n = dirs.get(real);
      if (n === undefined) dirs.set(real, (n = newShare(i, real, ro)));
      // one rw mount of a directory makes its share rw; the ro ones stay
      // read-only in the guest through their own mount flags
      else if (!ro) out.shares[n]!.readonly = false;
      out.guest[i] = `${GUEST_BINDS}/${n}`;
      return;
    }
    if (!st.isFile()) {
      throw new UnsupportedError(`${from}: \`${source}\` is not a file or a directory; --vm shares only files and directories (${SPEC})`);
    }
    if (fileShare < 0) fileShare = newShare(i, bindsDir(stateDir), ro);
    else if (!ro) out.shares[fileShare]!.readonly = false;
    const name = String(i);
    out.copies.push({ from: real, name });
    const guest = `${GUEST_BINDS}/${fileShare}/${name}`;
    out.guest[i] = guest;
    out.files.push(guest);
  });
  return out;
}

/**
 * Copy the file sources into <state>/binds (mode and owner kept: 9p with
 * security_model=none shows the guest the host's). Before QEMU starts: it
 * exports the directory as it finds it.
 */
export function copyBindFiles(b: Binds, stateDir: string): void {
  if (!b.copies.length) return;
  const dir = bindsDir(stateDir);
  fs.mkdirSync(dir, { mode: 0o700 });
  for (const c of b.copies) {
    const to = join(dir, c.name);
    try {
      fs.copyFileSync(c.from, to, fs.constants.COPYFILE_FICLONE);
      const st = fs.statSync(c.from);
      fs.chownSync(to, st.uid, st.gid);
      fs.chmodSync(to, st.mode & 0o7777);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      // the copy's name is the mount's index
      throw new SpecError(`mounts[${c.name}].source`, `copy \`${c.from}\` for the guest: ${e.code ?? e.message}`, SPEC);
    }
  }
}

/** The spec the guest plan is compiled from: each host bind takes its source from its share. */
export function guestBindSpec(spec: Spec, b: Binds): Spec {
  if (!Object.keys(b.guest).length) return spec;
  return { ...spec, mounts: (spec.mounts ?? []).map((m, i) => (b.guest[i] === undefined ? m : { ...m, source: b.guest[i] })) };
}

/** The same shares, sources and copies (the early QEMU can be kept). */
export function sameBinds(a: Binds | undefined, b: Binds): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b);
}

/** `-fsdev`/`-device` pairs for the shares (commas in a path doubled: QEMU's option syntax). */
export function bindQemuArgs(shares: readonly Share[]): string[] {
  return shares.flatMap((s) => [
    '-fsdev', `local,id=${s.tag},path=${s.path.replace(/,/g, ',,')},security_model=none${s.readonly ? ',readonly=on' : ''}`,
    '-device', `virtio-9p-device,fsdev=${s.tag},mount_tag=${s.tag}`,
  ]);
}
