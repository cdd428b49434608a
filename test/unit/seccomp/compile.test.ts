import { describe, expect, test } from 'vitest';
import {
  compileSeccomp, loadLibseccomp, renderSeccomp, seccompFlagNames, SECCOMP_FILTER_FLAG,
  type LinuxSeccompLike,
} from '../../../src/linux/seccomp.js';
import { defaultSeccompProfile } from '../../../src/linux/seccomp-default.js';
import { SpecError, UnsupportedError } from '../../../src/errors.js';
import { AUDIT_ARCH_I386, decode, RET, returnValues, run } from './bpf.js';

// x86_64 and i386 syscall numbers (arch/x86/entry/syscalls/*.tbl)
const NR = { read: 0, write: 1, socket: 41, clone: 56, getpid: 39, mkdir: 83, personality: 135, mount: 165, clone3: 435 };
const NR32 = { mkdir: 39, clone: 120, personality: 136 };
const EPERM = 1;
const ENOSYS = 38;

describe.runIf(process.arch === 'x64')('compileSeccomp', () => {
  test('the default profile compiles to a kernel-sized program', () => {
    const c = compileSeccomp(defaultSeccompProfile());
    expect(c.ruleCount).toBeGreaterThan(100);
    expect(c.bpf.length % 8).toBe(0);
    expect(c.bpf.length / 8).toBeLessThanOrEqual(4096);
    expect(c.skipped).toEqual([]);
    expect(c.notify).toBe(false);
    // no `flags` key: runc's default, SPEC_ALLOW
    expect(c.flags).toBe(SECCOMP_FILTER_FLAG.SPEC_ALLOW);
  });

  test('the default profile allows what a shell needs and refuses the rest with EPERM', () => {
    const { bpf } = compileSeccomp(defaultSeccompProfile());
    for (const nr of [NR.read, NR.write, NR.getpid, NR.mkdir]) expect(run(bpf, nr)).toBe(RET.ALLOW);
    expect(run(bpf, NR.mount)).toBe(RET.ERRNO(EPERM));
    // the 32-bit table is filtered too
    expect(run(bpf, NR32.mkdir, { arch: AUDIT_ARCH_I386 })).toBe(RET.ALLOW);
  });

  test('default profile: personality only for the listed values', () => {
    const { bpf } = compileSeccomp(defaultSeccompProfile());
    for (const v of [0, 8, 0x20000, 0x20008, 0xffffffff]) expect(run(bpf, NR.personality, { args: [v] })).toBe(RET.ALLOW);
    expect(run(bpf, NR.personality, { args: [0x0400000] })).toBe(RET.ERRNO(EPERM)); // READ_IMPLIES_EXEC
    expect(run(bpf, NR32.personality, { arch: AUDIT_ARCH_I386, args: [0x20008] })).toBe(RET.ALLOW);
  });

  test('default profile: clone without namespace flags, clone3 answers ENOSYS', () => {
    const { bpf } = compileSeccomp(defaultSeccompProfile());
    const SIGCHLD = 17;
    const THREAD = 0x3d0f00; // what glibc's pthread_create passes
    expect(run(bpf, NR.clone, { args: [SIGCHLD] })).toBe(RET.ALLOW);
    expect(run(bpf, NR.clone, { args: [THREAD] })).toBe(RET.ALLOW);
    expect(run(bpf, NR.clone, { args: [0x10000000 | SIGCHLD] })).toBe(RET.ERRNO(EPERM)); // CLONE_NEWUSER
    expect(run(bpf, NR.clone, { args: [0x20000 | SIGCHLD] })).toBe(RET.ERRNO(EPERM)); // CLONE_NEWNS
    expect(run(bpf, NR32.clone, { arch: AUDIT_ARCH_I386, args: [0x40000000] })).toBe(RET.ERRNO(EPERM)); // CLONE_NEWNET
    expect(run(bpf, NR.clone3)).toBe(RET.ERRNO(ENOSYS));
  });

  test('default profile: socket for every family but AF_VSOCK', () => {
    const { bpf } = compileSeccomp(defaultSeccompProfile());
    expect(run(bpf, NR.socket, { args: [2, 1, 0] })).toBe(RET.ALLOW); // AF_INET
    expect(run(bpf, NR.socket, { args: [40, 1, 0] })).toBe(RET.ERRNO(EPERM));
  });

  test('an errno rule appears as SECCOMP_RET_ERRNO|errno in the program', () => {
    const { bpf, ruleCount } = compileSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }],
    });
    expect(ruleCount).toBe(1);
    expect(bpf.length % 8).toBe(0);
    expect(returnValues(bpf)).toContain(0x00050000 | 38);
    expect(run(bpf, NR.mkdir)).toBe(RET.ERRNO(38));
    expect(run(bpf, NR.getpid)).toBe(RET.ALLOW);
  });

  test('errnoRet defaults to EPERM, defaultErrnoRet sets the default action', () => {
    const { bpf } = compileSeccomp({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 13,
      syscalls: [
        { names: ['getpid'], action: 'SCMP_ACT_ALLOW' },
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO' },
      ],
    });
    expect(run(bpf, NR.mkdir)).toBe(RET.ERRNO(EPERM));
    expect(run(bpf, NR.socket)).toBe(RET.ERRNO(13)); // 41 < 83: the default action
    expect(run(bpf, NR.mount)).toBe(RET.ERRNO(ENOSYS)); // 165 > 83, the newest named: the -ENOSYS stub
    expect(run(bpf, NR.getpid)).toBe(RET.ALLOW);
  });

  test('every action maps to its kernel return value', () => {
    const cases: [string, number][] = [
      ['SCMP_ACT_KILL', RET.KILL_THREAD], ['SCMP_ACT_KILL_THREAD', RET.KILL_THREAD],
      ['SCMP_ACT_KILL_PROCESS', RET.KILL_PROCESS], ['SCMP_ACT_TRAP', RET.TRAP],
      ['SCMP_ACT_ERRNO', RET.ERRNO(EPERM)], ['SCMP_ACT_TRACE', RET.TRACE(EPERM)],
      ['SCMP_ACT_LOG', RET.LOG],
    ];
    for (const [action, ret] of cases) {
      const { bpf } = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action }] });
      expect(run(bpf, NR.mkdir), action).toBe(ret);
    }
    const trace = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_TRACE', errnoRet: 7 }] });
    expect(run(trace.bpf, NR.mkdir)).toBe(RET.TRACE(7));
  });

  test('NOTIFY sets notify and SECCOMP_FILTER_FLAG_NEW_LISTENER', () => {
    const c = compileSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath: '/run/agent.sock',
      flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
    });
    expect(c.notify).toBe(true);
    expect(c.flags & SECCOMP_FILTER_FLAG.NEW_LISTENER).toBe(SECCOMP_FILTER_FLAG.NEW_LISTENER);
    expect(c.flags).toBe(SECCOMP_FILTER_FLAG.NEW_LISTENER | SECCOMP_FILTER_FLAG.WAIT_KILLABLE_RECV);
    expect(run(c.bpf, NR.mkdir)).toBe(RET.USER_NOTIF);
  });

  test('flags by name; TSYNC accepted and ignored; WAIT_KILLABLE_RECV dropped without a listener', () => {
    const flags = (f: string[] | undefined) =>
      compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', ...(f ? { flags: f } : {}), syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] }).flags;
    expect(flags([])).toBe(0);
    expect(flags(['SECCOMP_FILTER_FLAG_LOG'])).toBe(2);
    expect(flags(['SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_LOG'])).toBe(6);
    expect(flags(['SECCOMP_FILTER_FLAG_TSYNC'])).toBe(0);
    expect(flags(['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'])).toBe(0);
    expect(flags(undefined)).toBe(4);
    expect(seccompFlagNames(2 | 8)).toEqual(['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_NEW_LISTENER']);
  });

  test('unknown syscall names are skipped and listed', () => {
    const c = compileSeccomp({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['getpid', 'no_such_syscall', 'mkdir'], action: 'SCMP_ACT_ALLOW' },
        { names: ['no_such_syscall', 'another_fake'], action: 'SCMP_ACT_ALLOW' },
      ],
    });
    expect(c.skipped).toEqual(['no_such_syscall', 'another_fake']);
    expect(c.ruleCount).toBe(2);
    expect(run(c.bpf, NR.mkdir)).toBe(RET.ALLOW);
  });

  test('a rule with the default action is skipped, another errno is kept', () => {
    const c = compileSeccomp({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }, // ERRNO(EPERM) again
        { names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      ],
    });
    expect(c.ruleCount).toBe(1);
    expect(run(c.bpf, NR.getpid)).toBe(RET.ERRNO(38));
  });

  test('conditions on different arguments are ANDed in one rule', () => {
    const c = compileSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{
        names: ['mkdir'], action: 'SCMP_ACT_ERRNO',
        args: [{ index: 0, value: 100, op: 'SCMP_CMP_GE' }, { index: 1, value: 0o700, op: 'SCMP_CMP_EQ' }],
      }],
    });
    expect(c.ruleCount).toBe(1);
    expect(run(c.bpf, NR.mkdir, { args: [100, 0o700] })).toBe(RET.ERRNO(EPERM));
    expect(run(c.bpf, NR.mkdir, { args: [100, 0o755] })).toBe(RET.ALLOW);
    expect(run(c.bpf, NR.mkdir, { args: [99, 0o700] })).toBe(RET.ALLOW);
  });

  test('conditions sharing an argument index become separate rules (OR), as in runc', () => {
    const c = compileSeccomp({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{
        names: ['personality'], action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }, { index: 0, value: 8, op: 'SCMP_CMP_EQ' }],
      }],
    });
    expect(c.ruleCount).toBe(2);
    expect(run(c.bpf, NR.personality, { args: [0] })).toBe(RET.ALLOW);
    expect(run(c.bpf, NR.personality, { args: [8] })).toBe(RET.ALLOW);
    expect(run(c.bpf, NR.personality, { args: [9] })).toBe(RET.ERRNO(EPERM));
  });

  test('64-bit argument values stay exact (bigint above 2^53)', () => {
    const big = 0xfedcba9876543211n;
    const c = compileSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: big, op: 'SCMP_CMP_EQ' }] }],
    });
    expect(run(c.bpf, NR.mkdir, { args: [0, big] })).toBe(RET.ERRNO(EPERM));
    expect(run(c.bpf, NR.mkdir, { args: [0, big - 1n] })).toBe(RET.ALLOW);
    expect(run(c.bpf, NR.mkdir, { args: [0, big & 0xffffffffn] })).toBe(RET.ALLOW);
    const masked = compileSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0xf0, valueTwo: 0x40, op: 'SCMP_CMP_MASKED_EQ' }] }],
    });
    expect(run(masked.bpf, NR.mkdir, { args: [0, 0x4f] })).toBe(RET.ERRNO(EPERM));
    expect(run(masked.bpf, NR.mkdir, { args: [0, 0x8f] })).toBe(RET.ALLOW);
  });

  test('the -ENOSYS stub: syscalls newer than the profile get ENOSYS, not the default', () => {
    const profile: LinuxSeccompLike = {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      syscalls: [{ names: ['getpid', 'mkdir'], action: 'SCMP_ACT_ALLOW' }],
    };
    const { bpf } = compileSeccomp(profile);
    expect(returnValues(bpf)).toContain(RET.ERRNO(ENOSYS));
    expect(run(bpf, NR.mkdir + 1)).toBe(RET.ERRNO(ENOSYS)); // 84 > 83, the newest named
    expect(run(bpf, NR.getpid + 1)).toBe(RET.ERRNO(EPERM)); // below the newest named: the default
    expect(run(bpf, 1000)).toBe(RET.ERRNO(ENOSYS));
    expect(run(bpf, NR32.mkdir + 1, { arch: AUDIT_ARCH_I386 })).toBe(RET.ERRNO(ENOSYS));
    // no stub when the default allows, or already answers ENOSYS
    expect(returnValues(compileSeccomp({ ...profile, defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_KILL' }] }).bpf))
      .not.toContain(RET.ERRNO(ENOSYS));
    const enosysDefault = compileSeccomp({ ...profile, defaultErrnoRet: ENOSYS }).bpf;
    expect(decode(enosysDefault).length).toBeLessThan(decode(bpf).length);
  });

  test('the -ENOSYS stub handles x32 (x86_64 numbers with bit 30 set) apart from x86_64', () => {
    const { bpf } = compileSeccomp(defaultSeccompProfile());
    const X32 = 0x40000000;
    expect(run(bpf, X32 | NR.mkdir)).toBe(RET.ALLOW);
    expect(run(bpf, X32 | 1000)).toBe(RET.ERRNO(ENOSYS)); // above x32's newest (547)
    expect(run(bpf, 1000)).toBe(RET.ERRNO(ENOSYS));
    // without SCMP_ARCH_X32 in the profile, x32 calls meet libseccomp's bad-arch action
    const noX32 = compileSeccomp({ ...defaultSeccompProfile(), architectures: ['SCMP_ARCH_X86_64'] });
    expect(run(noX32.bpf, X32 | NR.mkdir)).toBe(RET.KILL_THREAD);
  });

  test('the native architecture is always in the filter; others only when asked', () => {
    const only64 = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
    expect(run(only64.bpf, NR.mkdir)).toBe(RET.ERRNO(EPERM));
    // libseccomp's bad-arch action (runc keeps it): KILL_THREAD
    expect(run(only64.bpf, NR32.mkdir, { arch: AUDIT_ARCH_I386 })).toBe(RET.KILL_THREAD);
    const both = compileSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }],
    });
    expect(run(both.bpf, NR32.mkdir, { arch: AUDIT_ARCH_I386 })).toBe(RET.ERRNO(EPERM));
  });

  test('renderSeccomp shows the PFC text with syscall names', () => {
    const text = renderSeccomp({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['getpid', 'mkdir', 'not_a_syscall'], action: 'SCMP_ACT_ALLOW' },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
      ],
    });
    expect(text).toContain('"getpid"');
    expect(text).toContain('"mkdir"');
    expect(text).toContain('"personality"');
    expect(text).toContain('action ALLOW');
    expect(text).toContain('ERRNO(1)');
    expect(text).toContain('skipped');
    expect(text).toContain('not_a_syscall');
    expect(text).toMatch(/^# seccomp: 3 rules, default SCMP_ACT_ERRNO, flags SECCOMP_FILTER_FLAG_SPEC_ALLOW$/m);
  });
});

describe('bad configs give one-line SpecErrors with the JSON path', () => {
  const base = (over: Partial<LinuxSeccompLike>): LinuxSeccompLike => ({ defaultAction: 'SCMP_ACT_ERRNO', ...over });
  const mkdir = (over: object) => ({ names: ['mkdir'], action: 'SCMP_ACT_ALLOW', ...over });
  const cases: [string, LinuxSeccompLike, string][] = [
    ['unknown action',
      base({ syscalls: [mkdir({}), mkdir({}), mkdir({}), mkdir({ action: 'SCMP_ACT_FOO' })] }),
      'linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO" (config-linux.md#seccomp)'],
    ['an action named like an Object.prototype member',
      base({ syscalls: [mkdir({ action: 'constructor' })] }),
      'linux.seccomp.syscalls[0].action: unknown action "constructor" (config-linux.md#seccomp)'],
    ['unknown default action',
      { defaultAction: 'SCMP_ACT_NOPE' },
      'linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE" (config-linux.md#seccomp)'],
    ['unknown architecture',
      base({ architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_VAX'] }),
      'linux.seccomp.architectures[1]: unknown architecture "SCMP_ARCH_VAX" (config-linux.md#seccomp)'],
    ['bad operator',
      base({ syscalls: [mkdir({ args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 1, op: 'SCMP_CMP_LIKE' }] })] }),
      'linux.seccomp.syscalls[0].args[1].op: unknown operator "SCMP_CMP_LIKE" (config-linux.md#seccomp)'],
    ['argument index 6',
      base({ syscalls: [mkdir({ args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] })] }),
      'linux.seccomp.syscalls[0].args[0].index: index 6 is out of range 0..5 (config-linux.md#seccomp)'],
    ['notify without listenerPath',
      base({ syscalls: [mkdir({ action: 'SCMP_ACT_NOTIFY' })] }),
      'linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY (config-linux.md#seccomp)'],
    ['unknown flag',
      base({ flags: ['SECCOMP_FILTER_FLAG_FOO'] }),
      'linux.seccomp.flags[0]: unknown flag "SECCOMP_FILTER_FLAG_FOO" (config-linux.md#seccomp)'],
    ['errnoRet on an action without errno',
      base({ syscalls: [mkdir({ errnoRet: 5 })] }),
      'linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_ALLOW does not take an errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do) (config-linux.md#seccomp)'],
    ['errnoRet out of range',
      base({ syscalls: [mkdir({ action: 'SCMP_ACT_ERRNO', errnoRet: 70000 })] }),
      'linux.seccomp.syscalls[0].errnoRet: errno 70000 is not an integer in 0..65535 (config-linux.md#seccomp)'],
    ['notify as the default action',
      { defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/x' },
      'linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action (config-linux.md#seccomp)'],
    ['notify for write',
      base({ listenerPath: '/x', syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_NOTIFY' }] }),
      'linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for write (config-linux.md#seccomp)'],
    ['empty names',
      base({ syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] }),
      'linux.seccomp.syscalls[0].names: must name at least one syscall (config-linux.md#seccomp)'],
    ['value above uint64',
      base({ syscalls: [mkdir({ args: [{ index: 0, value: 1n << 64n, op: 'SCMP_CMP_EQ' }] })] }),
      'linux.seccomp.syscalls[0].args[0].value: 18446744073709551616 is not a uint64 (config-linux.md#seccomp)'],
    ['negative value',
      base({ syscalls: [mkdir({ args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] })] }),
      'linux.seccomp.syscalls[0].args[0].value: -1 is not a uint64 (config-linux.md#seccomp)'],
  ];
  for (const [what, profile, message] of cases) {
    test(what, () => {
      let err: unknown;
      try { compileSeccomp(profile); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(SpecError);
      expect((err as SpecError).message).toBe(message);
      expect((err as SpecError).message).not.toContain('\n');
      expect((err as SpecError).specRef).toBe('config-linux.md#seccomp');
    });
  }

  test('the JSON path prefix is the caller\'s', () => {
    expect(() => compileSeccomp({ defaultAction: 'SCMP_ACT_FOO' }, 'process.seccomp'))
      .toThrow('process.seccomp.defaultAction: unknown action "SCMP_ACT_FOO" (config-linux.md#seccomp)');
  });
});

// libseccomp 2.6 added LoongArch; on 2.5 the spec name is valid but unsupported.
describe.runIf(/^2\.5\./.test(loadLibseccomp().version()))('architectures newer than libseccomp 2.5', () => {
  test('a spec architecture libseccomp cannot resolve is an UnsupportedError, not a SpecError', () => {
    let err: unknown;
    try { compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_LOONGARCH64'] }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as Error).message).toBe(
      `seccomp: linux.seccomp.architectures[0]: SCMP_ARCH_LOONGARCH64 is not supported by libseccomp ${loadLibseccomp().version()}`,
    );
  });
});

describe('libseccomp loading', () => {
  test('a missing library is an UnsupportedError naming the package', () => {
    let err: unknown;
    try { loadLibseccomp('libseccomp-joey-missing.so.2'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as Error).message).toBe('seccomp: libseccomp-joey-missing.so.2 not found (install the libseccomp2 package)');
  });

  test('the real library reports its version', () => {
    expect(loadLibseccomp().version()).toMatch(/^2\.\d+\.\d+$/);
  });
});
