/**
 * Guest assets of the --vm backend: QEMU, the guest kernel, the initramfs —
 * docs/vm.md §6.9; design.md §7
 *
 * Kernel tiers: `fast` (the minimal kernel `joey vm kernel build` makes, no
 * modules) is used when present, else `debian` (Debian's generic kernel that
 * `npm run build:vm` fetches, booted as an ELF, with 9p/virtio modules in
 * its initramfs). Both live outside the repo in the cache directory; the
 * initramfs holds the repo's own init and lives in native/build/vm.
 * Overrides: JOEY_VM_CACHE, JOEY_VM_KERNEL + JOEY_VM_INITRD, JOEY_QEMU, and
 * JOEY_VM_TIER=fast|debian to pick a tier even when a better one is present
 * (bench/vm.mjs compares them in one run).
 */
import { projectRoot } from '../paths.js';
import * as fs from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { RuntimeError, UsageError } from '../errors.js';
import { writeInitramfs } from './initramfs.js';

export const TOP = projectRoot();
export const VM_BUILD = join(TOP, 'native', 'build', 'vm');
export const INIT_BINARY = join(TOP, 'native', 'build', 'joey-init');

export const QEMU_PACKAGE = 'qemu-system-x86';
export const QEMU_BINARY = 'qemu-system-x86_64';

export function cacheDir(): string {
  return process.env.JOEY_VM_CACHE || '/var/cache/joey/vm';
}

export type KernelTier = 'fast' | 'debian' | 'custom';
export const TIERS: readonly KernelTier[] = ['fast', 'debian', 'custom'];

export interface KernelAssets {
  tier: KernelTier;
  kernel: string;
  initrd: string;
}

export interface KernelCandidate extends KernelAssets {
  present: boolean;
  missing: string[];
  /** fast tier: the kernel was built from another native/vm/kernel.config than the repo's */
  stale?: boolean;
}

/** The option list the fast kernel is built from, and the hash build-kernel.sh records beside it. */
export const FAST_FRAGMENT = join(TOP, 'native', 'vm', 'kernel.config');

/** The fast kernel was built from a different option list than the repo's (or the hash is missing). */
export function fastKernelStale(): boolean {
  try {
    const built = fs.readFileSync(join(cacheDir(), 'fast', 'fragment.sha256'), 'utf8').trim();
    // node:crypto only here: `run` needs no staleness check (kernelCandidates)
    const { createHash } = process.getBuiltinModule('node:crypto');
    return built !== createHash('sha256').update(fs.readFileSync(FAST_FRAGMENT)).digest('hex');
  } catch {
    return true;
  }
}

/** JOEY_VM_TIER, if set: the only tier to use. */
export function forcedTier(): KernelTier | undefined {
  const t = process.env.JOEY_VM_TIER;
  if (t === undefined || t === '') return undefined;
  if (!(TIERS as readonly string[]).includes(t)) throw new UsageError(`JOEY_VM_TIER: expected ${TIERS.join(', ')}, got "${t}"`);
  return t as KernelTier;
}

/** A regular file exists at `p` (following symlinks). */
export function isFile(p: string): boolean {
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

/**
 * Every candidate, best first, with whether it is complete. The fast kernel
 * has everything built in, so its initramfs is the bare init (no modules).
 */
export function kernelCandidates(checkStale = true): KernelCandidate[] {
  const out: KernelCandidate[] = [];
  const add = (tier: KernelTier, kernel: string, initrd: string) => {
    const missing = [kernel, initrd].filter((p) => !isFile(p));
    const c: KernelCandidate = { tier, kernel, initrd, present: missing.length === 0, missing };
    if (tier === 'fast' && c.present && checkStale) c.stale = fastKernelStale();
    out.push(c);
  };
  if (process.env.JOEY_VM_KERNEL) add('custom', process.env.JOEY_VM_KERNEL, process.env.JOEY_VM_INITRD || join(VM_BUILD, 'init.cpio'));
  add('fast', join(cacheDir(), 'fast', 'vmlinux'), join(VM_BUILD, 'init.cpio'));
  add('debian', join(cacheDir(), 'debian', 'vmlinux'), join(VM_BUILD, 'initramfs-debian.cpio'));
  return out;
}

/** The candidate joey boots and why: JOEY_VM_TIER, else the first present (custom > fast > debian). */
export function chooseKernel(checkStale = true): { chosen?: KernelCandidate; why: string } {
  const all = kernelCandidates(checkStale);
  const forced = forcedTier();
  if (forced) {
    const c = all.find((k) => k.tier === forced);
    if (!c) return { why: `JOEY_VM_TIER=${forced}, but ${forced === 'custom' ? 'JOEY_VM_KERNEL is not set' : 'it is unknown'}` };
    return c.present ? { chosen: c, why: `JOEY_VM_TIER=${forced}` } : { why: `JOEY_VM_TIER=${forced}, but it is missing ${c.missing.map((m) => `\`${m}\``).join(', ')}` };
  }
  const chosen = all.find((k) => k.present);
  if (!chosen) return { why: 'no kernel: run `npm run build:vm` (Debian\'s) or `joey vm kernel build` (the fast one)' };
  if (chosen.tier === 'custom') return { chosen, why: 'JOEY_VM_KERNEL' };
  if (chosen.tier === 'fast') return { chosen, why: `built by \`joey vm kernel build\`, preferred (no modules, boots fastest)${chosen.stale ? '; STALE: native/vm/kernel.config changed since, rerun `joey vm kernel build`' : ''}` };
  return { chosen, why: 'the fast kernel is not built (`joey vm kernel build` makes it; boots ~3x faster under TCG)' };
}

export function isStale(initrd: string): boolean {
  try {
    return fs.statSync(initrd).mtimeMs < fs.statSync(INIT_BINARY).mtimeMs;
  } catch {
    return false;
  }
}

export function findKernel(): KernelAssets | undefined {
  const c = chooseKernel().chosen;
  return c ? { tier: c.tier, kernel: c.kernel, initrd: c.initrd } : undefined;
}

export function requireKernel(): KernelAssets {
  // the staleness of the fast kernel is for `joey vm doctor` and the why
  // (hashing the option list costs node:crypto on every --vm create)
  const { chosen, why } = chooseKernel(false);
  const k = chosen ? { tier: chosen.tier, kernel: chosen.kernel, initrd: chosen.initrd } : undefined;
  if (!k) {
    throw new RuntimeError(
      process.env.JOEY_VM_TIER
        ? `--vm: ${why}`
        : `--vm has no guest kernel in \`${cacheDir()}\`: run \`npm run build:vm\` (fetches Debian's kernel) or \`joey vm kernel build\` (builds the fast one)`,
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
