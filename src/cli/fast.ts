/**
 * The fast path for the verbs clients call on every container (clients.md §9):
 * `create`, `start`, `state`, `kill`, `delete`, `exec`, `run`, and `list`. Every CLI
 * call pays Node's start-up; commander and the full command table on top cost
 * more than the work itself (performance.md §13: keep dependencies off the hot
 * path). This parser knows exactly runc's forms of those verbs and the global
 * flags, from a table. Anything else (help, an unknown or combined flag, a
 * flag after the container id, another verb) returns undefined and the
 * commander CLI in main.ts handles it, errors included, so the two never
 * disagree about what a command line means.
 *
 * Each verb's body lives in ./verbs/<verb>.ts; bin/joey runs them from one
 * small CommonJS bundle per verb (scripts/bundle.mjs), so `state` never
 * parses the code of `create`.
 */
import type { Globals } from '../lifecycle/context.js';
import { Logger, type LogFormat } from './log.js';
import { makeGlobals, reportError, type GlobalFlags } from './globals.js';
import { addon } from '../native/addon.js';

export type Verb = 'state' | 'start' | 'kill' | 'delete' | 'create' | 'run' | 'exec' | 'list';

/** How an option takes its value: a flag, one value, a repeatable value, or a non-negative integer. */
type Kind = 'bool' | 'value' | 'collect' | 'int';
interface OptSpec {
  key: string;
  kind: Kind;
}

const opt = (key: string, kind: Kind): OptSpec => ({ key, kind });
const CREATE_OPTS: Record<string, OptSpec> = {
  '-b': opt('bundle', 'value'),
  '--bundle': opt('bundle', 'value'),
  '--pid-file': opt('pidFile', 'value'),
  '--console-socket': opt('consoleSocket', 'value'),
  '--preserve-fds': opt('preserveFds', 'int'),
  '--no-pivot': opt('noPivot', 'bool'),
  '--no-new-keyring': opt('noNewKeyring', 'bool'),
};

/** runc's flags per verb, as main.ts declares them to commander. */
const VERB_OPTS: Record<Verb, Record<string, OptSpec>> = {
  state: {},
  start: {},
  list: { '-f': opt('format', 'value'), '--format': opt('format', 'value'), '-q': opt('quiet', 'bool'), '--quiet': opt('quiet', 'bool') },
  kill: { '-a': opt('all', 'bool'), '--all': opt('all', 'bool') },
  delete: { '-f': opt('force', 'bool'), '--force': opt('force', 'bool') },
  create: CREATE_OPTS,
  run: { ...CREATE_OPTS, '-d': opt('detach', 'bool'), '--detach': opt('detach', 'bool'), '--keep': opt('keep', 'bool') },
  exec: {
    '-p': opt('process', 'value'),
    '--process': opt('process', 'value'),
    '-t': opt('tty', 'bool'),
    '--tty': opt('tty', 'bool'),
    '--cwd': opt('cwd', 'value'),
    '-e': opt('env', 'collect'),
    '--env': opt('env', 'collect'),
    '-u': opt('user', 'value'),
    '--user': opt('user', 'value'),
    '-g': opt('additionalGids', 'collect'),
    '--additional-gids': opt('additionalGids', 'collect'),
    '-c': opt('cap', 'collect'),
    '--cap': opt('cap', 'collect'),
    '--no-new-privs': opt('noNewPrivs', 'bool'),
    '--apparmor': opt('apparmor', 'value'),
    '--process-label': opt('processLabel', 'value'),
    '-d': opt('detach', 'bool'),
    '--detach': opt('detach', 'bool'),
    '--pid-file': opt('pidFile', 'value'),
    '--console-socket': opt('consoleSocket', 'value'),
    '--preserve-fds': opt('preserveFds', 'int'),
    '--ignore-paused': opt('ignorePaused', 'bool'),
  },
};

const GLOBAL_VALUE = new Set(['--root', '--log', '--log-format', '--rootless', '--criu', '--vm-accel']);
const GLOBAL_BOOL = new Set(['--debug', '--systemd-cgroup', '--vm']);

export interface FastCommand {
  flags: GlobalFlags;
  verb: Verb;
  id: string;
  /** kill's signal */
  signal?: string;
  /** exec's command line */
  args: string[];
  /** the verb's options by their commander key (bundle, pidFile, force, env, …) */
  opts: Record<string, string | number | boolean | string[] | undefined>;
}

/** `--flag value` and `--flag=value`, as runc (urfave/cli) accepts them; undefined = "not mine". */
export function parseFast(argv: string[]): FastCommand | undefined {
  const flags: GlobalFlags = { logFormat: 'text' };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) break;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (GLOBAL_BOOL.has(a)) {
      if (a === '--debug') flags.debug = true;
      else if (a === '--vm') flags.vm = true;
      else flags.systemdCgroup = true;
    } else if (GLOBAL_VALUE.has(name)) {
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) return undefined;
      if (name === '--root') flags.root = value;
      else if (name === '--log') flags.log = value;
      else if (name === '--log-format') {
        if (value !== 'text' && value !== 'json') return undefined;
        flags.logFormat = value as LogFormat;
      } else if (name === '--rootless') flags.rootless = value;
      else if (name === '--vm-accel') flags.vmAccel = value;
    } else return undefined;
  }
  const verb = argv[i++] as Verb | undefined;
  if (!verb || !Object.hasOwn(VERB_OPTS, verb)) return undefined;
  const table = VERB_OPTS[verb];
  const opts: FastCommand['opts'] = {};
  const positional: string[] = [];
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    // exec: everything after the id is the command, flags included (runc).
    if (verb === 'exec' && positional.length > 0) {
      positional.push(a);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      // `kill ID -9`-style negative numbers are signals, not flags.
      if (verb === 'kill' && positional.length === 1 && /^-\d+$/.test(a)) {
        positional.push(a);
        continue;
      }
      const eq = a.startsWith('--') ? a.indexOf('=') : -1;
      const name = eq > 0 ? a.slice(0, eq) : a;
      const spec = table[name];
      if (!spec) return undefined;
      if (spec.kind === 'bool') {
        if (eq > 0) return undefined;
        opts[spec.key] = true;
        continue;
      }
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) return undefined;
      if (spec.kind === 'int') {
        if (!/^\d+$/.test(value)) return undefined;
        opts[spec.key] = Number(value);
      } else if (spec.kind === 'collect') opts[spec.key] = [...((opts[spec.key] as string[] | undefined) ?? []), value];
      else opts[spec.key] = value;
      continue;
    }
    positional.push(a);
  }
  if (verb === 'list') {
    if (positional.length > 0 || (opts.format !== undefined && opts.format !== 'table' && opts.format !== 'json')) return undefined;
    return { flags, verb, id: '', args: [], opts };
  }
  const max = verb === 'kill' ? 2 : verb === 'exec' ? Infinity : 1;
  if (positional.length < 1 || positional.length > max) return undefined;
  const [id, ...rest] = positional as [string, ...string[]];
  if (verb === 'exec' && rest.length === 0 && !opts.process) return undefined;
  return { flags, verb, id, signal: verb === 'kill' ? rest[0] : undefined, args: verb === 'exec' ? rest : [], opts };
}

/** The body of one verb, given the parsed command and the runtime's globals. */
export type VerbBody = (c: FastCommand, g: Globals) => Promise<void>;

const PROFILING = /^--(cpu-prof|heap-prof|prof|inspect)/;

/**
 * Exit now if the verb left nothing behind: no handle, request or timer that
 * would keep the event loop going (a terminal relay still draining, a write
 * queued on a full pipe). Node's own way out after the loop empties —
 * freeing the environment, the V8 heap and the platform's threads — cost
 * ~1.5 ms of `node empty.js` here (paired), for a process that is about to
 * end anyway; the kernel still frees the address space. process.exit() still
 * emits 'exit' (code-cache.ts saves there) and keeps process.exitCode; the
 * last 'exit' listener then ends the process with _exit(2), skipping what
 * process.exit() would still do in C++ (the platform's threads joined,
 * atexit handlers, static destructors: another ~2.3 ms, native/addon/exit.c).
 * Not under a profiler, coverage or the inspector: Node writes their output
 * in that teardown.
 */
export function exitIfIdle(): void {
  if (process.getActiveResourcesInfo().length !== 0) return;
  if (process.env.NODE_V8_COVERAGE === undefined && !process.execArgv.some((a) => PROFILING.test(a))) {
    const a = addon();
    process.once('exit', (code) => a.exitNow(code & 0xff));
  }
  process.exit();
}

/** Run a verb with the CLI's error boundary: one log line, runc's exit status. False if it failed. */
export async function runFast(c: FastCommand, body: VerbBody): Promise<boolean> {
  const logger = new Logger(c.flags.log, c.flags.logFormat, !!c.flags.debug);
  try {
    await body(c, makeGlobals(c.flags, logger));
    return true;
  } catch (err) {
    reportError(err, logger);
    return false;
  }
}
