/**
 * A cache of compiled seccomp filters — config-linux.md#seccomp.
 *
 * Compiling a profile with libseccomp costs tens of milliseconds (plus
 * loading koffi and the library), and the same profile comes back for nearly
 * every container: docker's and podman's defaults, `joey spec`'s. The filter
 * is a pure function of the profile, the architecture and the kernel (which
 * flags it supports), so it is cached under --root, which only root can
 * write (0700), keyed by a hash of all three.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { arch, release } from 'node:os';
import { join } from 'node:path';
import type { CompiledSeccomp, LinuxSeccompLike } from './seccomp.js';

const VERSION = 1;

export async function compileSeccompCached(seccomp: LinuxSeccompLike, root: string): Promise<CompiledSeccomp> {
  const key = createHash('sha256').update(JSON.stringify([VERSION, arch(), release(), seccomp])).digest('hex');
  const dir = join(root, '.seccomp-cache');
  const file = join(dir, `${key}.json`);
  try {
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as Omit<CompiledSeccomp, 'bpf'> & { bpf: string };
    return { ...c, bpf: Buffer.from(c.bpf, 'base64') };
  } catch {
    /* not cached yet */
  }
  const { compileSeccomp } = await import('./seccomp.js');
  const compiled = compileSeccomp(seccomp);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ ...compiled, bpf: compiled.bpf.toString('base64') }), { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch {
    /* a cache we cannot write is only slower */
  }
  return compiled;
}
