/**
 * Process attributes — runtime-spec config.md#posix-process (rlimits, umask),
 * config.md#linux-process (oomScoreAdj, scheduler, ioPriority,
 * execCPUAffinity), config-linux.md#personality, config-linux.md#sysctl,
 * config.md#hostname, config.md#domainname
 * Kernel: setrlimit(2), umask(2), personality(2), ioprio_set(2),
 * sched_setattr(2), sched_setaffinity(2), sethostname(2), proc(5)
 * Security: CVE-2025-52881 (sysctls written through a private procfs handle)
 */
import type { Process, Spec } from '../spec/types.js';
import { RLIMITS } from './flags.js';
import { initOp } from '../plan/op.js';
import type { InitOp } from '../plan/ops.js';

const RLIM_INFINITY = 2n ** 64n - 1n;

function u64(n: number): bigint {
  // JSON cannot hold 2^64-1 exactly; anything that large means "unlimited".
  return n >= 2 ** 64 - 1 ? RLIM_INFINITY : BigInt(n);
}

export function rlimitOps(process: Process): InitOp[] {
  return (process.rlimits ?? []).map((r, i) =>
    initOp('init', 'setrlimit', { resource: RLIMITS[r.type]!, soft: u64(r.soft), hard: u64(r.hard), name: r.type }, `process.rlimits[${i}]`, 'config.md#posix-process'),
  );
}

export function hostnameOps(spec: Spec): InitOp[] {
  const ops: InitOp[] = [];
  if (spec.hostname !== undefined) ops.push(initOp('init', 'sethostname', { name: spec.hostname }, 'hostname', 'config.md#hostname'));
  if (spec.domainname !== undefined) ops.push(initOp('init', 'setdomainname', { name: spec.domainname }, 'domainname', 'config.md#domainname'));
  return ops;
}

export function sysctlOps(sysctl: Record<string, string> | undefined): InitOp[] {
  return Object.entries(sysctl ?? {}).map(([key, value]) =>
    initOp('init', 'sysctl', { key, data: value }, `linux.sysctl["${key}"]`, 'config-linux.md#sysctl', { security: 'CVE-2025-52881' }),
  );
}

const PERSONALITY_DOMAINS: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };

export function personalityOps(spec: Spec): InitOp[] {
  const p = spec.linux?.personality;
  if (!p) return [];
  return [initOp('init', 'set-personality', { value: PERSONALITY_DOMAINS[p.domain] ?? 0 }, 'linux.personality', 'config-linux.md#personality')];
}

const IOPRIO_CLASS: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };
const SCHED_POLICY: Record<string, number> = {
  SCHED_OTHER: 0, SCHED_FIFO: 1, SCHED_RR: 2, SCHED_BATCH: 3, SCHED_ISO: 4, SCHED_IDLE: 5, SCHED_DEADLINE: 6,
};
const SCHED_FLAGS: Record<string, number> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01, SCHED_FLAG_RECLAIM: 0x02, SCHED_FLAG_DL_OVERRUN: 0x04, SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10, SCHED_FLAG_UTIL_CLAMP_MIN: 0x20, SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};

/** "0-3,7" → a cpu_set_t bitmap (128 bytes, as glibc's). */
export function cpuListMask(list: string): Buffer {
  const buf = Buffer.alloc(128);
  for (const part of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [a, b] = part.split('-').map((s) => Number(s.trim()));
    for (let c = a!; c <= (b ?? a!); c++) if (c < 1024) buf[c >> 3]! |= 1 << (c & 7);
  }
  return buf;
}

export function schedulingOps(process: Process): InitOp[] {
  const ops: InitOp[] = [];
  if (process.ioPriority) {
    const v = ((IOPRIO_CLASS[process.ioPriority.class] ?? 0) << 13) | (process.ioPriority.priority ?? 0);
    ops.push(initOp('init', 'set-ioprio', { value: v }, 'process.ioPriority', 'config.md#linux-process'));
  }
  if (process.scheduler) {
    const s = process.scheduler;
    ops.push(
      initOp(
        'init',
        'set-scheduler',
        {
          policy: SCHED_POLICY[s.policy] ?? 0,
          priority: s.priority ?? 0,
          value: BigInt.asUintN(64, BigInt(s.nice ?? 0)),
          flags: (s.flags ?? []).reduce((acc, f) => acc | (SCHED_FLAGS[f] ?? 0), 0),
          soft: s.runtime ?? 0,
          hard: s.deadline ?? 0,
          timeout: s.period ?? 0,
        },
        'process.scheduler',
        'config.md#linux-process',
      ),
    );
  }
  return ops;
}
