/**
 * Credentials and capabilities — runtime-spec config.md#posix-process (user),
 * config.md#linux-process (capabilities, noNewPrivileges), config-linux.md#seccomp
 * Kernel: capabilities(7), prctl(2) PR_CAPBSET_DROP PR_SET_KEEPCAPS PR_CAP_AMBIENT
 * PR_SET_NO_NEW_PRIVS, setresuid(2), setgroups(2), seccomp(2)
 * Security: CVE-2022-29162 (exactly the sets the spec gives: no implied
 * inheritable caps), the seccomp/no_new_privs order (security.md row 18)
 * Mirrors: runc libcontainer/standard_init_linux.go, init_linux.go finalizeNamespace
 *
 * Order: without no_new_privs the filter must be loaded while we still hold
 * CAP_SYS_ADMIN, so before the drop; with it, as late as possible, so the
 * filter sees as few of our own syscalls as possible.
 */
import type { Process } from '../spec/types.js';
import type { CompiledSeccomp } from '../linux/seccomp.js';
import { capMask } from './flags.js';
import { initOp } from '../plan/op.js';
import type { InitOp } from '../plan/ops.js';

const SPEC = 'config.md#linux-process';

export function seccompOp(seccomp: CompiledSeccomp): InitOp {
  return initOp('init', 'seccomp', { filter: seccomp.bpf, flags: seccomp.flags }, 'linux.seccomp', 'config-linux.md#seccomp', {
    why: `${seccomp.ruleCount} rules, ${seccomp.bpf.length / 8} BPF instructions${seccomp.notify ? ', notify fd to the listener' : ''}`,
  });
}

/** From dropping the bounding set to the last credential change. */
export function credentialOps(process: Process, seccomp: CompiledSeccomp | undefined): InitOp[] {
  const ops: InitOp[] = [];
  const caps = process.capabilities ?? {};
  const nnp = process.noNewPrivileges === true;
  if (seccomp && !nnp) ops.push(seccompOp(seccomp));
  ops.push(
    initOp('init', 'drop-bounding', { value: capMask(caps.bounding) }, 'process.capabilities.bounding', SPEC),
    initOp('init', 'set-keepcaps', { value: 1 }, '', SPEC, { why: 'keep permitted caps across the uid change' }),
    initOp('init', 'set-groups', { gids: (process.user.additionalGids ?? []).map(String) }, 'process.user.additionalGids', 'config.md#posix-process'),
    initOp('init', 'set-user', { uid: process.user.uid, gid: process.user.gid }, 'process.user', 'config.md#posix-process'),
    // SECURITY(CVE-2022-29162): inheritable is exactly what the spec says, empty when absent.
    initOp(
      'init',
      'set-caps',
      { effective: capMask(caps.effective), permitted: capMask(caps.permitted), inheritable: capMask(caps.inheritable) },
      'process.capabilities',
      SPEC,
      { security: 'CVE-2022-29162' },
    ),
    initOp('init', 'set-keepcaps', { value: 0 }, '', SPEC),
  );
  if (caps.ambient && caps.ambient.length) {
    ops.push(initOp('init', 'set-ambient', { value: capMask(caps.ambient) }, 'process.capabilities.ambient', SPEC));
  }
  return ops;
}

/** After credentials: no_new_privs, then (with it) the late seccomp filter. */
export function lateSecurityOps(process: Process, seccomp: CompiledSeccomp | undefined): InitOp[] {
  const ops: InitOp[] = [];
  if (process.noNewPrivileges) ops.push(initOp('init', 'no-new-privs', {}, 'process.noNewPrivileges', SPEC));
  if (seccomp && process.noNewPrivileges) ops.push(seccompOp(seccomp));
  return ops;
}
