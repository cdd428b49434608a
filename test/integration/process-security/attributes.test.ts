/**
 * The rest of the process, seen from inside (issue 3 §4, §5):
 * config-linux.md#personality, config.md#linux-process (ioPriority,
 * scheduler, execCPUAffinity, apparmorProfile, selinuxLabel),
 * config-linux.md#mount-label; personality(2), ioprio_get(2),
 * sched_getscheduler(2), sched_getaffinity(2).
 */
import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { hostLsms } from '../../../src/linux/capabilities.js';
import type { Spec } from '../../../src/spec/types.js';
import { cid, isRoot, joey, leftovers, lines, makeBundle, removeBundle, stateRoot } from '../helpers.js';
import { joeyLeavingContainer } from './util.js';

const lsms = hostLsms();
const cpus = fs.readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
const twoCpus = /^0-([1-9]\d*)$/.test(cpus);

describe.runIf(isRoot)('personality, I/O priority, scheduler, CPU affinity and LSM labels (root)', () => {
  const root = stateRoot('process-attrs');
  const bundles: string[] = [];
  afterAll(() => bundles.forEach(removeBundle));

  function run(args: string[], edit: (s: Spec) => void) {
    const bundle = makeBundle(args, edit);
    bundles.push(bundle);
    const id = cid('attr');
    return { ...joey(root, ['run', '--bundle', bundle, id]), id };
  }

  it('linux.personality LINUX32 (the default seccomp profile allows the query)', () => {
    const r = run(['probe', 'personality'], (s) => {
      s.linux!.personality = { domain: 'LINUX32' };
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('personality 0x8\n');
    expect(r.status).toBe(0);
  });

  it('process.ioPriority: class and level as ioprio_get(2) reports them', () => {
    const idle = run(['probe', 'ioprio'], (s) => {
      s.process!.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 };
    });
    expect(idle.stderr).toBe('');
    expect(idle.stdout).toBe('ioprio class 3 level 0\n');
    const be = run(['probe', 'ioprio'], (s) => {
      s.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 };
    });
    expect(be.stdout).toBe('ioprio class 2 level 6\n');
  });

  it('process.scheduler: SCHED_BATCH with a nice value, and SCHED_RR with a priority', () => {
    const batch = run(['probe', 'sched'], (s) => {
      s.process!.scheduler = { policy: 'SCHED_BATCH', nice: 7 };
    });
    expect(batch.stderr).toBe('');
    expect(batch.stdout).toBe('sched policy 3 priority 0 nice 7\n');
    const rr = run(['probe', 'sched'], (s) => {
      s.process!.scheduler = { policy: 'SCHED_RR', priority: 5 };
    });
    // With CONFIG_RT_GROUP_SCHED a cgroup without rt runtime refuses a real-time
    // policy (runc alike): then the error must name the syscall and the config path.
    if (fs.existsSync('/sys/fs/cgroup/cpu/cpu.rt_runtime_us')) {
      expect(rr.status).toBe(1);
      expect(rr.stderr).toMatch(/^joey: sched_setattr: operation not permitted \(op \d+ set-scheduler\(policy=2, priority=5.*process\.scheduler\)\n$/);
    } else {
      expect(rr.stderr).toBe('');
      expect(rr.stdout).toBe('sched policy 2 priority 5 nice 0\n');
    }
    expect(leftovers(root, rr.id)).toEqual([]);
  });

  it.runIf(twoCpus)('process.execCPUAffinity: the init runs on `initial`, the process on `final`', () => {
    const bundle = makeBundle(['probe', 'affinity'], (s) => {
      s.process!.execCPUAffinity = { initial: '0', final: '1' };
    });
    bundles.push(bundle);
    const id = cid('attr');
    const c = joeyLeavingContainer(root, ['create', '--bundle', bundle, id], bundle);
    expect(c.output).toBe('');
    expect(c.status).toBe(0);
    try {
      const pid = JSON.parse(joey(root, ['state', id]).stdout).pid as number;
      // blocked on exec.fifo: still the init, with the initial affinity
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      expect(/^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1]).toBe('0');
    } finally {
      joey(root, ['delete', '--force', id]);
    }
    const r = run(['probe', 'affinity'], (s) => {
      s.process!.execCPUAffinity = { initial: '0', final: '1' };
    });
    expect(r.stderr).toBe('');
    expect(lines(r.stdout, 'affinity')).toEqual(['1']);
    expect(leftovers(root, id)).toEqual([]);
  });

  it.runIf(!lsms.includes('apparmor') && !lsms.includes('selinux'))(
    'LSM labels on a host without AppArmor or SELinux: ignored as runc does, with a warning each',
    () => {
      const r = run(['probe', 'echo', 'ran'], (s) => {
        s.process!.apparmorProfile = 'joey-test-profile';
        s.process!.selinuxLabel = 'system_u:system_r:container_t:s0:c1,c2';
        s.linux!.mountLabel = 'system_u:object_r:container_file_t:s0:c1,c2';
      });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('ran\n');
      expect(r.stderr).toContain('warning: process.apparmorProfile: AppArmor is not enabled on this host, profile "joey-test-profile" not applied');
      expect(r.stderr).toContain('warning: process.selinuxLabel: SELinux is not enabled on this host');
      expect(r.stderr).toContain('warning: linux.mountLabel: SELinux is not enabled on this host');
      expect(r.stderr.trim().split('\n')).toHaveLength(3);
      // and `joey plan` has no set-label op either, but the same warnings
      const bundle = bundles[bundles.length - 1]!;
      const plan = joey(root, ['plan', '--bundle', bundle]);
      expect(plan.stdout).not.toContain('set-label');
      expect(plan.stdout).toContain('warning: process.apparmorProfile');
    },
  );
});
