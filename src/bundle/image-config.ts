/**
 * Image config → config.json — image-spec config.md and conversion.md ("Translating an
 * image config into an OCI runtime configuration"); runtime-spec config.md#process, #user.
 * Files: passwd(5), group(5)
 *
 * User names are resolved against the image's own /etc/passwd and /etc/group, read inside
 * the rootfs with symlinks resolved in-root (an image's `/etc/passwd -> /etc/shadow` must
 * not read the host's file).
 */
import { BundleError } from './errors.js';
import { readFileInRoot } from './paths.js';

/** config.md: the fields joey uses; the rest is ignored. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  config?: {
    User?: string;
    Env?: string[] | null;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    StopSignal?: string;
    ExposedPorts?: Record<string, unknown> | null;
  };
  rootfs?: { type?: string; diff_ids?: string[] };
}

/** The parts of a runtime Spec this file writes (structural, so any Spec type fits). */
export interface SpecLike {
  process?: {
    args?: string[];
    env?: string[];
    cwd?: string;
    terminal?: boolean;
    user?: { uid: number; gid: number; additionalGids?: number[]; umask?: number; username?: string };
  };
  root?: { path: string; readonly?: boolean };
  annotations?: Record<string, string>;
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const isId = (s: string): boolean => /^[0-9]+$/.test(s) && Number(s) <= 0xffffffff;

function parsePasswd(data: Buffer | undefined): PasswdEntry[] {
  if (!data) return [];
  return data
    .toString('utf8')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 4 && f[0] !== '' && isId(f[2] ?? '') && isId(f[3] ?? ''))
    .map((f) => ({ name: f[0] as string, uid: Number(f[2]), gid: Number(f[3]) }));
}

function parseGroup(data: Buffer | undefined): GroupEntry[] {
  if (!data) return [];
  return data
    .toString('utf8')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 3 && f[0] !== '' && isId(f[2] ?? ''))
    .map((f) => ({ name: f[0] as string, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }));
}

/**
 * config.md#properties `User`: "user", "uid", "user:group", "uid:gid", "uid:group",
 * "user:gid". A name needs the image's files; a bare name also gets the user's primary
 * group and the groups that list it as a member (what docker and containerd do).
 */
export function resolveUser(spec: string | undefined, rootfs: string): ResolvedUser {
  if (spec === undefined || spec === '') return { uid: 0, gid: 0 };
  const [userPart, groupPart] = spec.split(':', 2) as [string, string | undefined];
  let passwd: PasswdEntry[] | undefined;
  let groups: GroupEntry[] | undefined;
  const pw = () => (passwd ??= parsePasswd(readFileInRoot(rootfs, '/etc/passwd')));
  const gr = () => (groups ??= parseGroup(readFileInRoot(rootfs, '/etc/group')));

  let uid: number;
  let gid = 0;
  let name: string | undefined;
  if (isId(userPart)) {
    uid = Number(userPart);
    const e = pw().find((p) => p.uid === uid);
    if (e) {
      gid = e.gid;
      name = e.name;
    }
  } else {
    const e = pw().find((p) => p.name === userPart);
    if (!e) throw new BundleError(`image user \`${userPart}\` is not in the image's /etc/passwd`);
    uid = e.uid;
    gid = e.gid;
    name = e.name;
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (isId(groupPart)) gid = Number(groupPart);
    else {
      const g = gr().find((x) => x.name === groupPart);
      if (!g) throw new BundleError(`image group \`${groupPart}\` is not in the image's /etc/group`);
      gid = g.gid;
    }
    return { uid, gid };
  }
  const extra = name === undefined ? [] : gr().filter((g) => g.members.includes(name as string) && g.gid !== gid).map((g) => g.gid);
  return extra.length ? { uid, gid, additionalGids: [...new Set(extra)] } : { uid, gid };
}

/** `KEY=VALUE` lists merged by key, later wins, order of first appearance kept. */
export function mergeEnv(base: string[], over: string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...over]) {
    const i = e.indexOf('=');
    out.set(i < 0 ? e : e.slice(0, i), e);
  }
  return [...out.values()];
}

/**
 * Applies an image config on top of `joey spec`'s defaults (conversion.md): Entrypoint+Cmd
 * → process.args, Env merged over the defaults, WorkingDir → cwd, User resolved, Labels →
 * annotations (plus org.opencontainers.image.stopSignal). ExposedPorts and Volumes have no
 * runtime-spec equivalent and are dropped.
 */
export function applyImageConfig<S extends SpecLike>(spec: S, image: ImageConfig | undefined, rootfs: string): S {
  const c = image?.config ?? {};
  const proc = (spec.process ??= {});
  proc.terminal = false;
  const args = [...(c.Entrypoint ?? []), ...(c.Cmd ?? [])];
  if (args.length > 0) proc.args = args;
  if (c.Env) proc.env = mergeEnv(proc.env ?? [], c.Env);
  if (c.WorkingDir) proc.cwd = c.WorkingDir.startsWith('/') ? c.WorkingDir : `/${c.WorkingDir}`;
  const user = resolveUser(c.User, rootfs);
  proc.user = { ...(proc.user ?? {}), ...user };
  if (!user.additionalGids) delete proc.user.additionalGids;
  const annotations: Record<string, string> = { ...(spec.annotations ?? {}) };
  for (const [k, v] of Object.entries(c.Labels ?? {})) annotations[k] = String(v);
  if (c.StopSignal) annotations['org.opencontainers.image.stopSignal'] = c.StopSignal;
  if (image?.os) annotations['org.opencontainers.image.os'] = image.os;
  if (image?.architecture) annotations['org.opencontainers.image.architecture'] = image.architecture;
  if (image?.variant) annotations['org.opencontainers.image.variant'] = image.variant;
  if (Object.keys(annotations).length > 0) spec.annotations = annotations;
  spec.root = { ...(spec.root ?? {}), path: 'rootfs' };
  return spec;
}
