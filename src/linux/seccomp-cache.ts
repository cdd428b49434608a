/**
 * A cache of compiled seccomp filters — config-linux.md#seccomp.
 *
 * Compiling a profile with libseccomp costs tens of milliseconds (plus
 * loading koffi and the library), and the same profile comes back for nearly
 * every container: docker's and podman's defaults, `joey spec`'s. The filter
 * is a pure function of the profile, the architecture and the kernel (which
 * flags it supports), so it is cached under --root, which only root can
 * write (0700). The file name is a cheap hash of all three and the file holds
 * them in full, compared on every read: a hash collision is a cache miss, never
 * the wrong filter. (node:crypto's sha256 would cost more to load, ~15
 * internal modules, than the rest of a cache hit.)
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { CompiledSeccomp, LinuxSeccompLike } from './seccomp.js';

const VERSION = 1;

/**
 * Two FNV-1a-style 32-bit hashes over the key's UTF-8 bytes, four at a time,
 * as 16 hex digits: a file name, not a proof (the full key is compared), and
 * cheap on a 20 KB profile in a process whose JIT has not warmed up.
 */
export function cacheName(s: string): string {
  let b = Buffer.from(s, 'utf8');
  if (b.byteOffset % 4) b = Buffer.from(b); // a fresh, aligned copy
  const words = new Int32Array(b.buffer, b.byteOffset, b.length >> 2);
  let h1 = 0x811c9dc5 ^ b.length;
  let h2 = 0x050c5d1f;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    h1 = Math.imul(h1 ^ w, 0x01000193);
    h2 = Math.imul(h2 ^ w, 0x01000193) ^ (h2 >>> 13);
  }
  for (let i = words.length * 4; i < b.length; i++) {
    h1 = Math.imul(h1 ^ b[i]!, 0x01000193);
    h2 = Math.imul(h2 ^ b[i]!, 0x01000193) ^ (h2 >>> 13);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

interface CacheFile extends Omit<CompiledSeccomp, 'bpf'> {
  key: string;
  bpf: string;
}

/**
 * The kernel's release, as uname(2) and os.release() give it: read from procfs
 * because loading node:os for it cost ~0.4 ms of every run, create and exec.
 * As UTF-8 (the release is ASCII): Node 20 reads a whole file into a UTF-8
 * string in one native call, while any other encoding goes through the JS
 * read loop: 0.04 against 0.25 ms here once warm, and more the first time.
 */
function kernelRelease(): string {
  try {
    return fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    return 'unknown'; // no procfs: the key still holds the profile and the architecture
  }
}

export async function compileSeccompCached(seccomp: LinuxSeccompLike, root: string): Promise<CompiledSeccomp> {
  const key = JSON.stringify([VERSION, process.arch, kernelRelease(), seccomp]);
  const dir = join(root, '.seccomp-cache');
  const file = join(dir, `${cacheName(key)}.json`);
  try {
    const { key: stored, bpf, ...rest } = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheFile;
    if (stored === key) return { ...rest, bpf: Buffer.from(bpf, 'base64') };
  } catch {
    /* not cached yet */
  }
  const { compileSeccomp } = await import('./seccomp.js');
  const compiled = compileSeccomp(seccomp);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    const entry: CacheFile = { ...compiled, key, bpf: compiled.bpf.toString('base64') };
    fs.writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch {
    /* a cache we cannot write is only slower */
  }
  return compiled;
}
