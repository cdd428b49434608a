/**
 * Guest assets of the --vm backend: QEMU, the guest kernel, the initramfs —
 * docs/vm.md §6.9; design.md §7
 *
 * Kernel tiers: `fast` (the minimal kernel `joey vm kernel build` makes, no
 * modules) is used when present, else `debian` (Debian's generic kernel that
 * `npm run build:vm` fetches, booted as an ELF, with 9p/virtio modules in
 * its initramfs). Both live outside the repo in the cache directory; the
 * initramfs holds the repo's own init and lives in native/build/vm.
 * Overrides: JOEY_VM_CACHE, JOEY_VM_KERNEL + JOEY_VM_INITRD, JOEY_QEMU.
 */
import { projectRoot } from '../paths.js';
import * as fs from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { RuntimeError } from '../errors.js';
import { writeInitramfs } from './initramfs.js';

export const TOP = projectRoot();
export const VM_BUILD = join(TOP, 'native', 'build', 'vm');
export const INIT_BINARY = join(TOP, 'native', 'build', 'joey-init');

export const QEMU_PACKAGE = 'qemu-system-x86';
export const QEMU_BINARY = 'qemu-system-x86_64';

export function cacheDir(): string {
  return process.env.JOEY_VM_CACHE || '/var/cache/joey/vm';
}

export interface KernelAssets {
  tier: 'fast' | 'debian' | 'custom';
  kernel: string;
  initrd: string;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Where qemu-system-x86_64 is, or undefined. */
export function findQemu(): string | undefined {
  if (process.env.JOEY_QEMU) return isFile(process.env.JOEY_QEMU) ? process.env.JOEY_QEMU : undefined;
  for (const d of (process.env.PATH || '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const p = join(d, QEMU_BINARY);
    if (isFile(p)) return p;
  }
  return isFile(`/usr/bin/${QEMU_BINARY}`) ? `/usr/bin/${QEMU_BINARY}` : undefined;
}

export function requireQemu(): string {
  const q = findQemu();
  if (!q) throw new RuntimeError(`--vm needs \`${QEMU_BINARY}\`, which is not installed: apt-get install ${QEMU_PACKAGE}`, { code: 'ENOQEMU' });
  return q;
}

/** Every candidate, best first, with whether it is complete. */
export function kernelCandidates(): (KernelAssets & { present: boolean; missing: string[] })[] {
  const out: (KernelAssets & { present: boolean; missing: string[] })[] = [];
  const add = (tier: KernelAssets['tier'], kernel: string, initrd: string) => {
    const missing = [kernel, initrd].filter((p) => !isFile(p));
    out.push({ tier, kernel, initrd, present: missing.length === 0, missing });
  };
  if (process.env.JOEY_VM_KERNEL) add('custom', process.env.JOEY_VM_KERNEL, process.env.JOEY_VM_INITRD || join(VM_BUILD, 'init.cpio'));
  add('fast', join(cacheDir(), 'fast', 'vmlinux'), join(VM_BUILD, 'init.cpio'));
  add('debian', join(cacheDir(), 'debian', 'vmlinux'), join(VM_BUILD, 'initramfs-debian.cpio'));
  return out;
}

export function isStale(initrd: string): boolean {
  try {
    return fs.statSync(initrd).mtimeMs < fs.statSync(INIT_BINARY).mtimeMs;
  } catch {
    return false;
  }
}

export function findKernel(): KernelAssets | undefined {
  const c = kernelCandidates().find((k) => k.present);
  return c ? { tier: c.tier, kernel: c.kernel, initrd: c.initrd } : undefined;
}

export function requireKernel(): KernelAssets {
  const k = findKernel();
  if (!k) {
    throw new RuntimeError(
      `--vm has no guest kernel in \`${cacheDir()}\`: run \`npm run build:vm\` (fetches Debian's kernel) or \`joey vm kernel build\` (builds the fast one)`,
      { code: 'ENOKERNEL' },
    );
  }
  // The initramfs carries the init: an older one would speak an older plan
  // format. Ours (not a custom one) is rebuilt from the current init at once.
  if (k.tier !== 'custom' && isStale(k.initrd)) {
    writeInitramfs(k.initrd, INIT_BINARY, k.tier === 'debian' ? join(VM_BUILD, 'modules-debian') : undefined);
  }
  return k;
}
