/**
 * The fast path for the verbs clients call on every container: `state`,
 * `start`, `kill`, `delete` (clients.md §9). Every CLI call pays Node's
 * start-up; loading commander and the full command table on top costs more
 * than the work itself (performance.md §13: keep dependencies off the hot
 * path). This parser knows exactly runc's forms of those four verbs and the
 * global flags; anything else (help, an unknown flag, another verb) returns
 * false and the commander CLI in main.ts handles it, errors included.
 */
import { Logger, type LogFormat } from './log.js';
import { makeGlobals, reportError, type GlobalFlags } from './globals.js';

type Verb = 'state' | 'start' | 'kill' | 'delete';
const VERBS = new Set<string>(['state', 'start', 'kill', 'delete']);
const GLOBAL_VALUE = new Set(['--root', '--log', '--log-format', '--rootless', '--criu']);
const GLOBAL_BOOL = new Set(['--debug', '--systemd-cgroup']);

interface Parsed {
  flags: GlobalFlags;
  verb: Verb;
  id: string;
  signal?: string;
  all: boolean;
  force: boolean;
}

/** `--flag value` and `--flag=value`, as runc (urfave/cli) accepts them. */
export function parseFast(args: string[]): Parsed | undefined {
  const flags: GlobalFlags = { logFormat: 'text' };
  let i = 0;
  const setGlobal = (name: string, value: string): boolean => {
    if (name === '--root') flags.root = value;
    else if (name === '--log') flags.log = value;
    else if (name === '--log-format') {
      if (value !== 'text' && value !== 'json') return false;
      flags.logFormat = value as LogFormat;
    } else if (name === '--rootless') flags.rootless = value;
    return true;
  };
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-')) break;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (GLOBAL_BOOL.has(a)) {
      if (a === '--debug') flags.debug = true;
      else flags.systemdCgroup = true;
    } else if (GLOBAL_VALUE.has(name)) {
      const value = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (value === undefined || !setGlobal(name, value)) return undefined;
    } else return undefined;
  }
  const verb = args[i++];
  if (!verb || !VERBS.has(verb)) return undefined;
  const positional: string[] = [];
  let all = false;
  let force = false;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (verb === 'kill' && (a === '--all' || a === '-a')) all = true;
    else if (verb === 'delete' && (a === '--force' || a === '-f')) force = true;
    else if (a.startsWith('-') && a.length > 1 && !(verb === 'kill' && positional.length === 1 && /^-\d+$/.test(a))) return undefined;
    else positional.push(a);
  }
  const max = verb === 'kill' ? 2 : 1;
  if (positional.length < 1 || positional.length > max) return undefined;
  return { flags, verb: verb as Verb, id: positional[0]!, signal: positional[1], all, force };
}

/** Handle the command if it is one of ours; false means "use the full CLI". */
export async function fast(args: string[]): Promise<boolean> {
  const p = parseFast(args);
  if (!p) return false;
  const logger = new Logger(p.flags.log, p.flags.logFormat, !!p.flags.debug);
  const g = makeGlobals(p.flags, logger);
  try {
    switch (p.verb) {
      case 'state': {
        const { containerState } = await import('../lifecycle/state.js');
        process.stdout.write(`${JSON.stringify(containerState(g, p.id), null, 2)}\n`);
        break;
      }
      case 'start': {
        const { startContainer } = await import('../lifecycle/start.js');
        await startContainer(g, p.id);
        break;
      }
      case 'kill': {
        const { killContainer } = await import('../lifecycle/kill.js');
        await killContainer(g, p.id, p.signal, p.all);
        break;
      }
      case 'delete': {
        const { deleteContainer } = await import('../lifecycle/delete.js');
        await deleteContainer(g, p.id, p.force);
        break;
      }
    }
  } catch (err) {
    reportError(err, logger);
  }
  return true;
}
