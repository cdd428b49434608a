/**
 * The tutorial never rots: every ```sh block of every examples/NN-*\/README.md
 * is run here, and its output compared with what the README says you should see.
 *
 * Block syntax (docs/tutorial conventions, examples/01-bundle/README.md):
 *   $ command            run with `sh -c` from the repository top, stderr merged into stdout
 *   expected line        compared after trimming trailing spaces
 *   ...                  any number of lines (also none)
 *   <anything>           inside a line: any text (pids, inode numbers, times)
 *   [exit N]             the command exits with status N (without it, 0 is required)
 * A block whose fence is ```sh skip-unless=REQ runs only where REQ is available
 * (containerd, podman, vm); otherwise it is skipped with the reason printed.
 *
 * Isolation: `./bin/joey` gets `--root <private dir>` and `/run/joey/` in a
 * command becomes that dir, so the tutorial never touches the real state root;
 * every container left in it is deleted after each chapter.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TOP, isRoot, stateRoot } from '../helpers.js';

export interface Step {
  command: string;
  expected: string[];
}

export interface Block {
  line: number;
  requires?: string;
  steps: Step[];
}

/** The ```sh blocks of a README, with their `$ ` commands and expected output. */
export function parseBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```sh(?:\s+(.*))?$/.exec(lines[i]!.trimEnd());
    if (!fence) continue;
    const info = fence[1] ?? '';
    const req = /skip-unless=(\S+)/.exec(info)?.[1];
    const block: Block = { line: i + 1, requires: req, steps: [] };
    for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) {
      const l = lines[i]!.trimEnd();
      if (l.startsWith('$ ')) block.steps.push({ command: l.slice(2), expected: [] });
      else if (block.steps.length) block.steps[block.steps.length - 1]!.expected.push(l);
      else if (l.trim()) throw new Error(`README line ${i + 1}: output before the first \`$ \` command`);
    }
    for (const s of block.steps) while (s.expected.length && s.expected[s.expected.length - 1] === '') s.expected.pop();
    blocks.push(block);
  }
  return blocks;
}

function lineMatcher(expected: string): (actual: string) => boolean {
  if (!expected.includes('<anything>')) return (a) => a === expected;
  const re = new RegExp(`^${expected.split('<anything>').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return (a) => re.test(a);
}

/** Does `actual` match `expected` (with `...` lines and `<anything>` placeholders)? */
export function matches(expected: string[], actual: string[]): boolean {
  const memo = new Map<string, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (i === expected.length) r = j === actual.length;
    else if (expected[i] === '...') r = go(i + 1, j) || (j < actual.length && go(i, j + 1));
    else r = j < actual.length && lineMatcher(expected[i]!)(actual[j]!) && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

function available(req: string): { ok: boolean; reason: string } {
  const quiet = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore', timeout: 5000 }).status === 0;
  switch (req) {
    case 'containerd':
      return { ok: quiet('ctr', ['version']), reason: 'needs a running containerd (`ctr version` must reach the daemon)' };
    case 'podman':
      return {
        ok: process.env.JOEY_TUTORIAL_CLIENTS === '1' && quiet('podman', ['--version']),
        reason: 'needs podman and JOEY_TUTORIAL_CLIENTS=1 (the client chapter is opt-in: it depends on the host podman setup)',
      };
    case 'vm':
      return {
        ok: process.env.JOEY_TUTORIAL_VM === '1',
        reason: 'needs the --vm backend (QEMU, a guest kernel); set JOEY_TUTORIAL_VM=1 to run',
      };
    default:
      return { ok: false, reason: `unknown requirement "${req}"` };
  }
}

const CHAPTERS = fs
  .readdirSync(join(TOP, 'examples'))
  .filter((d) => /^\d\d-/.test(d))
  .sort();

describe('tutorial chapters: parser', () => {
  it('finds 12 chapters, each with a README and a config.json', () => {
    expect(CHAPTERS.map((c) => c.slice(0, 2))).toEqual(['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12']);
    for (const c of CHAPTERS) {
      expect(fs.existsSync(join(TOP, 'examples', c, 'README.md')), c).toBe(true);
      expect(fs.existsSync(join(TOP, 'examples', c, 'config.json')), c).toBe(true);
    }
  });
  it('matches `...` and `<anything>`', () => {
    expect(matches(['a', '...', 'z'], ['a', 'b', 'c', 'z'])).toBe(true);
    expect(matches(['a', '...', 'z'], ['a', 'z'])).toBe(true);
    expect(matches(['pid <anything>'], ['pid 42'])).toBe(true);
    expect(matches(['pid <anything>'], ['ppid 42'])).toBe(false);
    expect(matches(['a'], ['a', 'b'])).toBe(false);
    expect(parseBlocks('x\n```sh\n$ echo hi\nhi\n\n```\n```sh skip-unless=vm\n$ true\n```\n')).toEqual([
      { line: 2, requires: undefined, steps: [{ command: 'echo hi', expected: ['hi'] }] },
      { line: 7, requires: 'vm', steps: [{ command: 'true', expected: [] }] },
    ]);
  });
});

describe.runIf(isRoot)('tutorial chapters: every command block runs', () => {
  const root = stateRoot('readme-runner');
  const joeyBin = join(TOP, 'bin', 'joey');

  const cleanup = () => {
    const ids = spawnSync(joeyBin, ['--root', root, 'list', '-q'], { encoding: 'utf8' }).stdout ?? '';
    for (const id of ids.split('\n').filter(Boolean)) spawnSync(joeyBin, ['--root', root, 'delete', '--force', id], { stdio: 'ignore' });
  };
  afterAll(() => {
    cleanup();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const run = (command: string): string[] => {
    const cmd = command.replace(/\.\/bin\/joey(?=\s)/g, `./bin/joey --root ${root}`).replace(/\/run\/joey\//g, `${root}/`);
    const r = spawnSync('sh', ['-c', `exec 2>&1; ${cmd}`], { cwd: TOP, encoding: 'utf8', timeout: 60_000 });
    const out = String(r.stdout ?? '').split('\n');
    if (out[out.length - 1] === '') out.pop();
    const lines = out.map((l) => l.trimEnd());
    if (r.status !== 0) lines.push(`[exit ${r.status ?? `signal ${r.signal}`}]`);
    return lines;
  };

  for (const chapter of CHAPTERS) {
    describe(chapter, () => {
      const readme = join(TOP, 'examples', chapter, 'README.md');
      const blocks = fs.existsSync(readme) ? parseBlocks(fs.readFileSync(readme, 'utf8')) : [];
      afterAll(cleanup);
      for (const block of blocks) {
        const req = block.requires ? available(block.requires) : { ok: true, reason: '' };
        const name = `README.md:${block.line}: ${block.steps[0]?.command ?? '(empty)'}`;
        if (!req.ok) {
          it.skip(`${name} (skipped: ${req.reason})`, () => {});
          continue;
        }
        it(name, () => {
          for (const step of block.steps) {
            const actual = run(step.command);
            if (!matches(step.expected, actual)) {
              // the diff vitest prints shows expected vs what the command printed
              expect({ command: step.command, output: actual }).toEqual({ command: step.command, output: step.expected });
            }
          }
        }, 120_000);
      }
    });
  }
});
