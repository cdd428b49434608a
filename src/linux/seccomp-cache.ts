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
 * internal modules, than the rest of a cache hit; the addon's FNV-1a costs
 * microseconds.)
 *
 * The file is binary, read in one piece and never parsed as a whole:
 *   `joey-seccomp 2 <key bytes> <meta bytes>\n` <key> <meta JSON> <filter>
 * The key is compared as text, the small meta JSON parsed, and the filter
 * (struct sock_filter[], ~10 KB) is a view of the buffer. A JSON file with
 * the filter in base64 cost ~0.4 ms more of every create and run here.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { addon } from '../native/addon.js';
import type { CompiledSeccomp, LinuxSeccompLike } from './seccomp.js';

const VERSION = 2;
const MAGIC = `joey-seccomp ${VERSION} `;

/** The cache file's name for a key: 16 hex digits of FNV-1a (native/addon/hash.c). */
export function cacheName(key: string): string {
  return addon().fnv1a64(key);
}

type Meta = Omit<CompiledSeccomp, 'bpf'>;

/** The file's bytes for a compiled filter under `key`. */
export function encodeEntry(key: string, compiled: CompiledSeccomp): Buffer {
  const { bpf, ...meta } = compiled;
  const k = Buffer.from(key, 'utf8');
  const m = Buffer.from(JSON.stringify(meta), 'utf8');
  return Buffer.concat([Buffer.from(`${MAGIC}${k.length} ${m.length}\n`, 'latin1'), k, m, bpf]);
}

/** The filter a file holds for exactly `key`, or undefined (another key, another version, or damaged). */
export function decodeEntry(buf: Buffer, key: string): CompiledSeccomp | undefined {
  const nl = buf.indexOf(10);
  if (nl < 0 || nl > 64 || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) return undefined;
  const m = /^(\d+) (\d+)$/.exec(buf.toString('latin1', MAGIC.length, nl));
  if (!m) return undefined;
  const keyEnd = nl + 1 + Number(m[1]);
  const metaEnd = keyEnd + Number(m[2]);
  if (metaEnd > buf.length || (buf.length - metaEnd) % 8 !== 0) return undefined;
  if (buf.toString('utf8', nl + 1, keyEnd) !== key) return undefined;
  try {
    const meta = JSON.parse(buf.toString('utf8', keyEnd, metaEnd)) as Meta;
    return { ...meta, bpf: buf.subarray(metaEnd) };
  } catch {
    return undefined;
  }
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
  const file = join(dir, `${cacheName(key)}.bin`);
  try {
    // Mapped through the addon (loaded already) and copied at once:
    // fs.readFileSync of a Buffer goes through Node's JS layers, 0.54 against
    // 0.22 ms here, cold. A cache file is only ever replaced by rename(2),
    // never truncated in place, so the mapping cannot shrink under the copy.
    const hit = decodeEntry(Buffer.from(addon().mapBuffer(file)), key);
    if (hit) return hit;
  } catch {
    /* not cached yet */
  }
  const { compileSeccomp } = await import('./seccomp.js');
  const compiled = compileSeccomp(seccomp);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, encodeEntry(key, compiled), { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch {
    /* a cache we cannot write is only slower */
  }
  return compiled;
}
