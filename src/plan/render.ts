/**
 * Rendering a plan for people — `joey plan`, error messages, `--debug`.
 * Flags are printed by name (like runc's stringifyMountFlags), every op with
 * the JSON path it came from and its spec section.
 */
import { CLONE, MS, capNames, flagNames } from '../linux/flags.js';
import type { InitOp, Op, Plan } from './ops.js';

const STAGE_TITLE: Record<string, string> = {
  runtime: 'stage runtime  (node, host namespaces)',
  'init-child': 'stage 1 · init-child  (joey:[1:CHILD], C, single-threaded)',
  init: 'stage 2 · init  (joey:[2:INIT], PID 1 in the container)',
};

const q = (s: unknown) => (typeof s === 'bigint' ? s.toString() : JSON.stringify(s));

/** One line saying what the op asks the kernel for. */
export function describeOp(op: Op): string {
  if (op.stage === 'runtime') return `${op.kind} ${op.detail}`;
  const a = op.args;
  const ms = (v: unknown) => flagNames(Number(v ?? 0), MS);
  switch (op.kind) {
    case 'join-namespace':
      return `setns(open(${a.path}), ${flagNames(Number(a.nstype), CLONE)})`;
    case 'unshare':
      return `unshare(${flagNames(Number(a.flags), CLONE)})`;
    case 'sync-idmap':
      return 'request uid_map/gid_map from the runtime, then setresuid(0)/setresgid(0)';
    case 'fork-init':
      return `clone(CLONE_PARENT) → stage 2${a.announce ? '; send its pid to the runtime at once' : ''}`;
    case 'sync-cgroup':
      return `wait for CGROUP_JOINED (the runtime has moved us into the cgroups)${a.flags ? `; unshare(${flagNames(Number(a.flags), CLONE)})` : ''}`;
    case 'set-propagation':
      return `mount(NULL, "/", NULL, ${ms(a.flags)})`;
    case 'bind-rootfs':
      return `mount(${q(a.path)}, ${q(a.path)}, NULL, MS_BIND|MS_REC)  [parent mount made private; rootfs fd kept]`;
    case 'mount': {
      const extra = [a.data ? `data ${q(a.data)}` : '', a.propagation ? `then ${ms(a.propagation)}` : '', a.clear ? `clear ${ms(a.clear)}` : '']
        .filter(Boolean)
        .join(', ');
      return `mount ${a.fstype || 'bind'} ${q(a.source)} on ${q(a.path)} ${ms(a.flags)}${extra ? ` (${extra})` : ''}  [openat2(RESOLVE_IN_ROOT)${a.must_be_dir ? ' → must be a real dir' : ''} → mount via /proc/self/fd]`;
    }
    case 'mknod':
      return a.bind
        ? `bind host ${a.source} onto ${a.path}`
        : `mknod ${q(a.path)} ${(Number(a.mode) & 0o170000) === 0o060000 ? 'b' : (Number(a.mode) & 0o170000) === 0o010000 ? 'p' : 'c'} ${a.major}:${a.minor} mode 0${(Number(a.mode) & 0o7777).toString(8)}`;
    case 'symlink':
      return `symlink ${a.path} -> ${a.target}`;
    case 'pivot-root':
      return 'pivot_root(".", "."); mount(".", MS_SLAVE|MS_REC); umount2(".", MNT_DETACH)';
    case 'move-root':
      return 'mount(rootfs, "/", MS_MOVE); chroot(".")';
    case 'mask-path':
      return `mask ${a.path}  [file: bind verified host /dev/null via fd; dir: read-only tmpfs]`;
    case 'readonly-path':
      return `bind ${a.path} onto itself, remount MS_RDONLY`;
    case 'remount-root-ro':
      return 'mount(NULL, "/", MS_BIND|MS_REMOUNT|MS_RDONLY)';
    case 'sethostname':
      return `sethostname(${q(a.name)})`;
    case 'setdomainname':
      return `setdomainname(${q(a.name)})`;
    case 'sysctl':
      return `write ${q(a.data)} to /proc/sys/${String(a.key).replace(/\./g, '/')}`;
    case 'setrlimit':
      return `setrlimit(${a.name}, soft=${a.soft}, hard=${a.hard})`;
    case 'set-caps':
      return `capset(effective=[${capNames(BigInt(a.effective ?? 0)).join(',')}], permitted=[${capNames(BigInt(a.permitted ?? 0)).join(',')}], inheritable=[${capNames(BigInt(a.inheritable ?? 0)).join(',')}])`;
    case 'drop-bounding':
      return `prctl(PR_CAPBSET_DROP) all but [${capNames(BigInt(a.value ?? 0)).join(',')}]`;
    case 'set-ambient':
      return `prctl(PR_CAP_AMBIENT_RAISE) [${capNames(BigInt(a.value ?? 0)).join(',')}]`;
    case 'set-keepcaps':
      return `prctl(PR_SET_KEEPCAPS, ${a.value})`;
    case 'set-groups':
      return `setgroups([${(a.gids ?? []).join(',')}])`;
    case 'set-user':
      return `setresgid(${a.gid}); setresuid(${a.uid})`;
    case 'no-new-privs':
      return 'prctl(PR_SET_NO_NEW_PRIVS, 1)';
    case 'seccomp':
      return `seccomp(SECCOMP_SET_MODE_FILTER, 0x${Number(a.flags ?? 0).toString(16)}, ${(a.filter?.length ?? 0) / 8} instructions)`;
    case 'close-fds':
      return `close_range(${a.value}, ~0U, CLOSE_RANGE_CLOEXEC)`;
    case 'chdir':
      return `chdir(${q(a.path)})`;
    case 'verify-cwd':
      return 'getcwd() must be inside the root';
    case 'lookup-exec':
      return `look up ${q(a.path)} in the container's PATH`;
    case 'open-exec-fifo':
      return `open(${q(a.path)}, O_PATH)`;
    case 'wait-start':
      return 'open(exec.fifo, O_WRONLY) — blocks until `joey start`';
    case 'exec':
      return `execve(${q(a.args?.[0])}, ${q(a.args)}, env[${a.env?.length ?? 0}])`;
    case 'oom-score-adj':
      return `write ${BigInt.asIntN(64, BigInt(a.value ?? 0))} to /proc/self/oom_score_adj`;
    case 'hook':
      return `run hook ${a.path} with the state on stdin${a.timeout ? `, timeout ${a.timeout}s` : ''}`;
    case 'sync-hooks':
      return 'ask the runtime to run prestart/createRuntime hooks; receive the state';
    case 'console-connect':
      return `connect(${q(a.path)})`;
    case 'console-setup':
      return 'open /dev/ptmx, TIOCGPTPEER, send master over the console socket, TIOCSCTTY, dup2 to 0/1/2';
    case 'ready':
      return 'send READY';
    case 'umask':
      return `umask(0${Number(a.value).toString(8)})`;
    default:
      return `${op.kind}(${Object.entries(a)
        .filter(([, v]) => !Buffer.isBuffer(v))
        .map(([k, v]) => `${k}=${q(v)}`)
        .join(', ')})`;
  }
}

export function renderPlan(plan: Plan): string {
  const out: string[] = [`container ${q(plan.containerId)} · runtime-spec ${plan.ociVersion} · bundle ${plan.bundle}`];
  let stage = '';
  let n = 0;
  for (const op of plan.ops) {
    if (op.stage !== stage) {
      stage = op.stage;
      out.push('', STAGE_TITLE[stage] ?? stage);
    }
    n++;
    const src = [op.from, op.spec].filter(Boolean).join(' · ');
    const sec = op.security ? `  SECURITY ${op.security}` : '';
    out.push(`${String(n).padStart(3)}  ${op.kind.padEnd(16)} ${describeOp(op)}`);
    out.push(`${' '.repeat(22)}← ${src}${sec}${op.why ? `\n${' '.repeat(22)}  why: ${op.why}` : ''}`);
  }
  for (const w of plan.warnings) out.push(`warning: ${w}`);
  return `${out.join('\n')}\n`;
}

/** The plan as JSON (buffers as lengths), for tools and `joey plan --format json`. */
export function planToJSON(plan: Plan): unknown {
  return {
    ...plan,
    ops: plan.ops.map((op, i) => ({
      index: i + 1,
      ...op,
      description: describeOp(op),
      ...(op.stage === 'runtime'
        ? {}
        : {
            args: Object.fromEntries(
              Object.entries((op as InitOp).args).map(([k, v]) => [k, Buffer.isBuffer(v) ? { bytes: v.length } : typeof v === 'bigint' ? v.toString() : v]),
            ),
          }),
    })),
  };
}
