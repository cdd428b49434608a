/**
 * `linux.cgroupsPath` → where the container's cgroup lives in each hierarchy.
 *
 * Spec: runtime-spec config-linux.md#cgroups-path. Kernel: cgroups(7) (/proc/self/cgroup).
 * Like runc's cgroupfs drivers: an absolute path is below each hierarchy's root; a relative
 * one is below the runtime's own cgroup (v1: its cgroup in that hierarchy; v2: the parent of
 * its cgroup, which has no processes of its own). Unlike runc, an empty path is
 * `/joey/<id>` (runc uses `<own cgroup>/<id>`), and `..` is refused rather than cleaned.
 * The systemd form `slice:prefix:name` is not implemented.
 */
import { existsSync } from 'node:fs';
import { CgroupError, SpecError } from '../errors.js';

const REF = 'config-linux.md#cgroups-path';
const AT = 'linux.cgroupsPath';

export interface CgroupsPath {
  absolute: boolean;
  /** clean components joined by '/', no leading slash; never empty */
  inner: string;
}

const SYSTEMD_FORM = /^[^/:]*:[^/:]*:[^/:]+$/;

/** Splits and checks a path; `..` anywhere is refused (SECURITY(runc issue 4103)). */
export function cleanComponents(path: string, jsonPath = AT): string[] {
  if (path.includes('\0')) throw new SpecError(jsonPath, 'must not contain NUL', REF);
  const parts = path.split('/').filter((c) => c !== '' && c !== '.');
  // SECURITY(runc issue 4103): a `..` could leave the cgroup filesystem or land in another container's cgroup.
  if (parts.includes('..')) throw new SpecError(jsonPath, `must not contain ".." (got ${JSON.stringify(path)})`, REF);
  return parts;
}

export function parseCgroupsPath(
  cgroupsPath: string | undefined | null,
  id: string,
  systemdRunning: () => boolean = () => existsSync('/run/systemd/system'),
): CgroupsPath {
  if (cgroupsPath === undefined || cgroupsPath === null || cgroupsPath === '') {
    const idParts = cleanComponents(id, 'id');
    if (idParts.length !== 1 || idParts[0] !== id) throw new SpecError('id', `not usable as a cgroup name: ${JSON.stringify(id)}`, REF);
    return { absolute: true, inner: `joey/${id}` };
  }
  if (typeof cgroupsPath !== 'string') throw new SpecError(AT, 'must be a string', REF);
  if (SYSTEMD_FORM.test(cgroupsPath)) {
    if (!systemdRunning()) {
      throw new CgroupError(`systemd cgroup driver: systemd is not running (\`/run/systemd/system\` does not exist; ${AT} ${JSON.stringify(cgroupsPath)} is in the slice:prefix:name form)`, { jsonPath: AT, specRef: REF });
    }
    throw new CgroupError(`systemd cgroup driver: not supported by joey yet (${AT} ${JSON.stringify(cgroupsPath)}); use a cgroupfs path such as "/joey/<id>"`, { jsonPath: AT, specRef: REF });
  }
  const parts = cleanComponents(cgroupsPath);
  if (parts.length === 0) throw new SpecError(AT, `must not name the root cgroup (got ${JSON.stringify(cgroupsPath)})`, REF);
  return { absolute: cgroupsPath.startsWith('/'), inner: parts.join('/') };
}

/**
 * The directory below a hierarchy's mount. `own` is the runtime's own cgroup in that
 * hierarchy (from /proc/self/cgroup), needed only for a relative path.
 */
export function placeIn(p: CgroupsPath, hierarchy: 'v1' | 'v2', own: string | null | undefined): string {
  if (p.absolute) return p.inner;
  if (own === undefined || own === null) throw new CgroupError(`${AT}: relative path ${JSON.stringify(p.inner)} but the runtime's own cgroup is unknown`);
  let base: string[];
  try {
    base = cleanComponents(own, '/proc/self/cgroup');
  } catch {
    // inside a cgroup namespace the own path can read `/..`: there is no safe place to put a relative path
    throw new CgroupError(`${AT}: relative path ${JSON.stringify(p.inner)} but the runtime's own cgroup ${JSON.stringify(own)} is outside its view`);
  }
  if (hierarchy === 'v2') base = base.slice(0, -1);
  return [...base, p.inner].join('/');
}
