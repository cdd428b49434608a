/**
 * The compiled filter works in a real kernel, without the rest of joey: a
 * tiny C loader (written and built here) reads the BPF file, sets
 * no_new_privs, loads it with seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog)
 * — exactly what the init does — and then makes one syscall or execs a
 * program. seccomp(2), prctl(2) PR_SET_NO_NEW_PRIVS.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileSeccomp, SECCOMP_FILTER_FLAG, type LinuxSeccompLike } from '../../src/linux/seccomp.js';
import { defaultSeccompProfile } from '../../src/linux/seccomp-default.js';

const LOADER_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* loader BPF-FILE FLAGS MODE [ARGS...]
 *   mkdir PATH      print the errno of mkdir(2) (0 on success)
 *   syscall NR      print the errno of syscall NR with zero arguments
 *   unshare FLAGS   print the errno of unshare(2)
 *   load            print the value seccomp(2) returned (the listener fd)
 *   exec PROG ARGS  execv PROG with argv PROG ARGS */
int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage\n"); return 2; }
  static unsigned char buf[65536];
  int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) { perror("open"); return 2; }
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  if (n <= 0 || n % sizeof(struct sock_filter) != 0) { fprintf(stderr, "bad bpf size %zd\n", n); return 2; }
  struct sock_fprog prog = { .len = (unsigned short)(n / sizeof(struct sock_filter)), .filter = (struct sock_filter *)buf };
  unsigned long flags = strtoul(argv[2], NULL, 0);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) { perror("prctl"); return 2; }
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (rc < 0) { fprintf(stderr, "seccomp: %s\n", strerror(errno)); return 3; }
  const char *mode = argv[3];
  if (strcmp(mode, "load") == 0) { printf("%ld\n", rc); return 0; }
  if (strcmp(mode, "exec") == 0) { execv(argv[4], argv + 4); printf("exec %d\n", errno); return 4; }
  long r = -1;
  errno = 0;
  if (strcmp(mode, "mkdir") == 0) r = syscall(SYS_mkdir, argv[4], 0700);
  else if (strcmp(mode, "syscall") == 0) r = syscall(strtol(argv[4], NULL, 0), 0, 0, 0, 0, 0, 0);
  else if (strcmp(mode, "unshare") == 0) r = syscall(SYS_unshare, strtoul(argv[4], NULL, 0));
  else { fprintf(stderr, "bad mode\n"); return 2; }
  printf("%d\n", r < 0 ? errno : 0);
  return 0;
}
`;

let dir = '';
let loader = '';

function load(profile: LinuxSeccompLike, ...args: string[]) {
  const compiled = compileSeccomp(profile);
  const file = join(dir, `filter-${Math.random().toString(36).slice(2)}.bpf`);
  writeFileSync(file, compiled.bpf);
  const r = spawnSync(loader, [file, String(compiled.flags), ...args], { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout.trim(), stderr: r.stderr.trim(), compiled };
}

describe.runIf(process.platform === 'linux' && process.arch === 'x64')('compiled seccomp filters in the kernel', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'joey-seccomp-'));
    writeFileSync(join(dir, 'loader.c'), LOADER_C);
    loader = join(dir, 'loader');
    const cc = spawnSync('gcc', ['-O1', '-Wall', '-Werror', '-o', loader, join(dir, 'loader.c')], { encoding: 'utf8' });
    expect(cc.stderr).toBe('');
    expect(cc.status).toBe(0);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('an ERRNO(38) rule for mkdir makes mkdir fail with 38 and creates nothing', () => {
    const target = join(dir, 'made-by-mkdir');
    const r = load(
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }] },
      'mkdir', target,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('38');
    expect(existsSync(target)).toBe(false);
  });

  test('control: a filter that does not name mkdir lets it succeed', () => {
    const target = join(dir, 'made-anyway');
    const r = load(
      { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['rmdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }] },
      'mkdir', target,
    );
    expect(r.stdout).toBe('0');
    expect(existsSync(target)).toBe(true);
  });

  test('with the default profile /bin/true still execs and exits 0', () => {
    const r = load(defaultSeccompProfile(), 'exec', '/bin/true');
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
  });

  test('with the default profile a shell runs ordinary commands', () => {
    const script = `cd ${dir} && mkdir sub && echo hi > sub/f && cat sub/f && ls sub && rm -r sub && sleep 0.01 && echo done`;
    const r = load(defaultSeccompProfile(), 'exec', '/bin/sh', '-c', script);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toEqual(['hi', 'f', 'done']);
  });

  test('the default profile refuses mount and namespace creation with EPERM', () => {
    expect(load(defaultSeccompProfile(), 'syscall', '165').stdout).toBe('1'); // mount
    expect(load(defaultSeccompProfile(), 'unshare', String(0x10000000)).stdout).toBe('1'); // CLONE_NEWUSER
  });

  test('the -ENOSYS stub: a syscall newer than the profile gets ENOSYS, not EPERM', () => {
    expect(load(defaultSeccompProfile(), 'syscall', '1000').stdout).toBe('38');
    // 452 (fchmodat2, Linux 6.6) is newer than every syscall the profile names
    expect(load(defaultSeccompProfile(), 'syscall', '452').stdout).toBe('38');
  });

  test('a NOTIFY filter loads with NEW_LISTENER and returns a listener fd', () => {
    const r = load(
      {
        defaultAction: 'SCMP_ACT_ALLOW',
        listenerPath: '/run/agent.sock',
        flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
        syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_NOTIFY' }],
      },
      'load',
    );
    expect(r.compiled.flags & SECCOMP_FILTER_FLAG.NEW_LISTENER).toBeTruthy();
    expect(r.stderr).toBe('');
    expect(Number(r.stdout)).toBeGreaterThanOrEqual(3);
  });

  test('LOG and KILL_PROCESS are accepted by the kernel', () => {
    const r = load(
      { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG'], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_KILL_PROCESS' }] },
      'mkdir', join(dir, 'never'),
    );
    expect(r.signal).toBe('SIGSYS');
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});
