/**
 * `joey trace`: every op as the init runs it, with its time, and the errno of
 * the op that fails (src/cli/commands/trace.ts; PLAN_FLAGS.TRACE, MSG.OP).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Spec } from '../../../src/spec/types.js';
import { cid, isRoot, joey, makeBundle, removeBundle, stateRoot } from '../helpers.js';

/**
 * A cwd that does not exist when chdir runs. A plainly missing cwd is created
 * first (mkdir-in-root, as runc does), so hide it: it is made on a tmpfs
 * /tmp, then maskedPaths covers /tmp/hidden with an empty tmpfs.
 */
function hiddenCwd(s: Spec): void {
  s.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] });
  s.linux!.maskedPaths = [...(s.linux!.maskedPaths ?? []), '/tmp/hidden'];
  s.process!.cwd = '/tmp/hidden/work';
}

describe.runIf(isRoot)('joey trace', () => {
  const root = stateRoot('trace');
  const bundles: string[] = [];
  afterAll(() => bundles.forEach(removeBundle));

  it('reports the chdir op with ENOENT when process.cwd does not exist', () => {
    const bundle = makeBundle(['/bin/probe', 'cwd'], hiddenCwd);
    bundles.push(bundle);
    const id = cid();
    const r = joey(root, ['trace', '--bundle', bundle, id]);
    expect(r.status).toBe(1);
    const lines = r.stdout.split('\n');
    const chdir = lines.find((l) => / chdir /.test(l));
    expect(chdir).toMatch(/^ *\d+ +s2 +chdir +[\d.]+ ms +ENOENT +chdir\("\/tmp\/hidden\/work"\)$/);
    expect(lines).toContain('failed: op ' + chdir!.trim().split(/\s+/)[0] + ' chdir ENOENT');
    // ops before it succeeded, none after it ran
    expect(lines.filter((l) => / ok /.test(l)).length).toBeGreaterThan(10);
    expect(lines.some((l) => / (verify-cwd|exec) /.test(l))).toBe(false);
    expect(r.stderr).toMatch(/joey: .*chdir/);
    expect(joey(root, ['state', id]).status).not.toBe(0);
  });

  it('numbers ops as `joey plan` does, and prints JSON with --format json', () => {
    const bundle = makeBundle(['/bin/probe', 'echo', 'traced'], hiddenCwd);
    bundles.push(bundle);
    const id = cid();
    const plan = joey(root, ['plan', '--bundle', bundle, '--id', id]).stdout;
    const r = joey(root, ['trace', '--format', 'json', '--bundle', bundle, id]);
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout) as { ops: { n: number; kind: string; errno: string | null; ms: number }[]; failed: { n: number; kind: string; errno: string }; error: string };
    expect(doc.failed.kind).toBe('chdir');
    expect(doc.failed.errno).toBe('ENOENT');
    expect(doc.error).toContain('chdir');
    // op n of the trace is op n of the plan
    expect(plan).toMatch(new RegExp(`^ *${doc.failed.n}  chdir `, 'm'));
    const mount = doc.ops.find((o) => o.kind === 'mount')!;
    expect(plan).toMatch(new RegExp(`^ *${mount.n}  mount `, 'm'));
    expect(doc.ops.every((o) => o.ms >= 0)).toBe(true);
  });

  it('traces a container that runs, then prints its exit status', () => {
    const bundle = makeBundle(['/bin/probe', 'exit', '3']);
    bundles.push(bundle);
    const r = joey(root, ['trace', '--bundle', bundle, cid()]);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/ pivot-root +[\d.]+ ms +ok /);
    expect(r.stdout).toMatch(/ seccomp +[\d.]+ ms +ok /);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('exit status 3');
  });
});
