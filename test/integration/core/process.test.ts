/**
 * The process (config.md#process, #posix-process, #linux-process): rlimits,
 * user ids and groups, umask, cwd, env, args[0] lookup in the container's
 * PATH, the fds that reach it (runtime.md#create, --preserve-fds), oomScoreAdj.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { JOEY, cid, isRoot, leftovers, lines, makeBundle, removeBundle, stateRoot } from '../helpers.js';
import { runProbe, tmpDir } from './common.js';

const RLIMIT_NOFILE = 7;
const RLIMIT_NPROC = 6;

describe.runIf(isRoot)('process', () => {
  const root = stateRoot('core-process');

  it('rlimits: NOFILE and NPROC soft/hard as configured', () => {
    const r = runProbe(root, ['probe', 'rlimits'], (s) => {
      s.process!.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 1000, hard: 2000 },
        { type: 'RLIMIT_NPROC', soft: 300, hard: 400 },
      ];
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const rl = lines(r.stdout, 'rlimit');
    expect(rl).toContain(`${RLIMIT_NOFILE} 1000 2000`);
    expect(rl).toContain(`${RLIMIT_NPROC} 300 400`);
    expect(r.leftovers).toEqual([]);
  });

  it('user.uid, user.gid and additionalGids; umask; cwd; env', () => {
    const r = runProbe(root, ['probe', 'ids', ';', 'umask', ';', 'cwd', ';', 'env'], (s) => {
      s.process!.user = { uid: 1000, gid: 1001, additionalGids: [10, 20, 30], umask: 0o027 };
      s.process!.cwd = '/tmp';
      s.process!.env = ['PATH=/bin', 'FOO=bar baz', 'EMPTY='];
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(lines(r.stdout, 'uid')).toEqual(['1000']);
    expect(lines(r.stdout, 'gid')).toEqual(['1001']);
    expect(lines(r.stdout, 'euid')).toEqual(['1000']);
    expect(lines(r.stdout, 'egid')).toEqual(['1001']);
    expect(lines(r.stdout, 'groups')).toEqual(['10 20 30']);
    expect(lines(r.stdout, 'umask')).toEqual(['0027']);
    expect(lines(r.stdout, 'cwd')).toEqual(['/tmp']);
    expect(lines(r.stdout, 'env')).toEqual(['PATH=/bin', 'FOO=bar baz', 'EMPTY=']);
  });

  it('a cwd that does not exist yet is created', () => {
    const r = runProbe(root, ['probe', 'cwd'], (s) => {
      s.process!.cwd = '/work/deep/dir';
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('cwd /work/deep/dir\n');
  });

  it('args[0] without a slash is looked up in the container\'s PATH, not the host\'s', () => {
    const r = runProbe(root, ['probe', 'echo', 'found'], (s) => {
      s.process!.env = ['PATH=/nowhere:/opt/tools'];
    }, []);
    // probe is only at /bin/probe: with PATH=/nowhere:/opt/tools it is not found
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/executable file not found in \$PATH|no such file or directory/);
    expect(r.leftovers).toEqual([]);
    const ok = runProbe(root, ['probe', 'echo', 'found'], (s) => {
      s.process!.env = ['PATH=/nowhere:/bin'];
    });
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe('found\n');
  });

  it('oomScoreAdj', () => {
    const r = runProbe(root, ['probe', 'oom'], (s) => {
      s.process!.oomScoreAdj = 500;
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('500\n');
  });

  describe('file descriptors', () => {
    function runWithFds(preserve: number | undefined): { stdout: string; stderr: string; status: number | null; id: string } {
      const dir = tmpDir('joey-core-fds-');
      const bundle = makeBundle(['probe', 'fds']);
      const id = cid();
      const f3 = fs.openSync(join(dir, 'three'), 'w');
      const f4 = fs.openSync(join(dir, 'four'), 'w');
      const f5 = fs.openSync(join(dir, 'leaked'), 'w');
      try {
        const args = ['--root', root, 'run', '--bundle', bundle, ...(preserve ? ['--preserve-fds', String(preserve)] : []), id];
        const r = spawnSync(JOEY, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe', f3, f4, f5], timeout: 60_000 });
        expect(leftovers(root, id)).toEqual([]);
        return { stdout: r.stdout, stderr: r.stderr, status: r.status, id };
      } finally {
        for (const fd of [f3, f4, f5]) fs.closeSync(fd);
        removeBundle(bundle);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }

    it('only 0, 1 and 2 reach the process; fds the caller leaks at 3..5 do not', () => {
      const r = runWithFds(undefined);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(lines(r.stdout, 'fd').map((l) => l.split(' ')[0])).toEqual(['0', '1', '2']);
    });

    it('--preserve-fds 2 passes 3 and 4 (the same files), but not the leaked fd 5', () => {
      const r = runWithFds(2);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const fds = lines(r.stdout, 'fd');
      expect(fds.map((l) => l.split(' ')[0])).toEqual(['0', '1', '2', '3', '4']);
      expect(fds[3]).toMatch(/\/three$/);
      expect(fds[4]).toMatch(/\/four$/);
    });
  });
});
