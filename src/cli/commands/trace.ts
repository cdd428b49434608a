/**
 * `joey trace --bundle B ID` — `joey run` with the plan's TRACE flag
 * (PLAN_FLAGS.TRACE): the C init reports every op it runs (MSG.OP: index,
 * errno, nanoseconds, stage), and each is printed as it happens, numbered as
 * `joey plan` numbers them, with its time and the errno of a failing op.
 * `--format json` prints one JSON document at the end instead.
 *
 * Ops after READY (wait-start, startContainer hooks) are not reported: the
 * runtime has stopped listening by then, and exec never reports (it replaces
 * the init).
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { globals, int } from '../main.js';
import { errnoName } from '../../linux/errno.js';
import type { Op } from '../../plan/ops.js';
import type { Globals } from '../../lifecycle/context.js';

export interface TracedOp {
  /** the op's number in `joey plan` (1-based), or null when it could not be matched */
  n: number | null;
  /** index among the init's ops, as the init reports it */
  index: number;
  kind: string;
  stage: number;
  ms: number;
  errno: string | null;
  description?: string;
}

/** Parses the lines create.ts hands to Globals.trace: `op I KIND stage S X.XXXms[ errno E]`. */
export function parseTraceLine(line: string): Omit<TracedOp, 'n'> | undefined {
  const m = /^op (\d+) (\S+) stage (\d+) ([\d.]+)ms(?: errno (\d+))?$/.exec(line);
  if (!m) return undefined;
  return { index: Number(m[1]), kind: m[2]!, stage: Number(m[3]), ms: Number(m[4]), errno: m[5] ? errnoName(Number(m[5])) : null };
}

export function formatTraced(t: TracedOp): string {
  const num = t.n === null ? `i${t.index}` : String(t.n);
  return `${num.padStart(3)}  s${t.stage}  ${t.kind.padEnd(16)} ${t.ms.toFixed(3).padStart(9)} ms  ${t.errno ?? 'ok'}${t.description ? `  ${t.description}` : ''}`;
}

export interface TraceOptions {
  bundle?: string;
  format: 'text' | 'json';
  noPivot?: boolean;
  preserveFds?: number;
}

export async function traceCommand(g0: Globals, id: string, o: TraceOptions): Promise<number> {
  const { planFor } = await import('./explain.js');
  const { describeOp } = await import('../../plan/render.js');
  const { runContainer } = await import('../../lifecycle/run.js');
  // The same plan `joey plan` shows, to number the init's ops the same way.
  let initOps: { n: number; op: Op }[] = [];
  try {
    const plan = await planFor(g0, o.bundle ?? '.', id, o.noPivot);
    initOps = plan.ops.map((op, i) => ({ n: i + 1, op })).filter((x) => x.op.stage !== 'runtime');
  } catch {
    /* run reports the same error, properly */
  }
  const traced: TracedOp[] = [];
  const json = o.format === 'json';
  const g: Globals = {
    ...g0,
    trace: (line) => {
      g0.trace?.(line);
      const ev = parseTraceLine(line);
      if (!ev) return;
      const match = initOps[ev.index];
      const same = match && match.op.kind === ev.kind;
      const t: TracedOp = { n: same ? match.n : null, ...ev, description: same ? describeOp(match.op) : undefined };
      traced.push(t);
      if (!json) process.stdout.write(`${formatTraced(t)}\n`);
    },
  };
  if (!json) process.stdout.write(`trace of container "${id}" (op numbers as in \`joey plan\`)\n`);
  let status = 0;
  let error: unknown;
  try {
    status = await runContainer(g, id, { bundle: o.bundle, noPivot: o.noPivot, preserveFds: o.preserveFds });
  } catch (err) {
    error = err;
  }
  const failed = traced.find((t) => t.errno);
  if (json) {
    const doc = {
      id,
      ops: traced,
      failed: failed ?? null,
      error: error ? (error instanceof Error ? error.message : String(error)) : null,
      status: error ? null : status,
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else if (failed) {
    process.stdout.write(`failed: op ${failed.n ?? `i${failed.index}`} ${failed.kind} ${failed.errno}\n`);
  } else if (!error) {
    process.stdout.write(`exit status ${status}\n`);
  }
  if (error) throw error;
  return status;
}

export function register(program: Command): void {
  program
    .command('trace')
    .description('run a container and print every op of its plan as the init executes it, with its time and errno')
    .argument('<container-id>')
    .option('-b, --bundle <dir>', 'path to the bundle (default: the current directory)')
    .option('--no-pivot', 'do not use pivot_root (unsafe)')
    .option('--preserve-fds <n>', 'pass N extra fds to the container', int, 0)
    .addOption(new Option('--format <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action(async (id: string, o) => {
      process.exitCode = await traceCommand(globals(program), id, { bundle: o.bundle, format: o.format, noPivot: o.pivot === false, preserveFds: o.preserveFds });
    });
}
