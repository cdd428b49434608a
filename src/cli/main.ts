/**
 * joey's command line — runtime-tools docs/command-line-interface.md and
 * runc's man pages (runc-create.8 … runc-update.8): the same commands, flags
 * and output formats, so containerd, podman and docker can drive joey.
 *
 * Every command loads only what it needs (dynamic imports): each CLI call
 * pays Node's start-up, and `state`, `kill`, `start` and `delete` must stay
 * close to it.
 */
import { Command, Option } from 'commander';
import { Logger } from './log.js';
import { makeGlobals, reportError, type GlobalFlags } from './globals.js';
import { RuntimeError } from '../errors.js';
import type { Globals } from '../lifecycle/context.js';
import type { FastCommand } from './fast.js';

const VERSION = '0.1.0';
const SPEC_VERSION = '1.2.0';

let logger = new Logger(undefined, 'text', false);

export function globals(program: Command): Globals {
  return makeGlobals(program.opts<GlobalFlags>(), logger);
}

export function int(v: string): number {
  if (!/^\d+$/.test(v)) throw new RuntimeError(`invalid number "${v}"`);
  return Number(v);
}

export function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

/** create/run/exec/list share their bodies with the fast path (./verbs/), so both read options the same way. */
async function verb(program: Command, name: 'create' | 'run' | 'exec' | 'list', id: string, opts: FastCommand['opts'], args: string[] = []): Promise<void> {
  const { loadVerb } = await import('./verbs/load.js');
  await (await loadVerb(name)).run({ flags: program.opts<GlobalFlags>(), verb: name, id, args, opts }, globals(program));
}

export function buildProgram(): Command {
  const program = new Command('joey');
  // Global options before the command, as runc: `joey spec --rootless` is the
  // spec command's flag, not the global `--rootless <value>`.
  program.enablePositionalOptions();
  program
    .description('joey: an OCI container runtime in TypeScript (a runc-alike); --vm runs the bundle in a microVM')
    .option('--root <dir>', 'root directory for container state (default "/run/joey")')
    .option('--log <file>', 'log file for errors and warnings (containerd reads its last error line)')
    .addOption(new Option('--log-format <format>', 'log format').choices(['text', 'json']).default('text'))
    .option('--debug', 'debug output: the plan as it executes, op by op')
    .option('--systemd-cgroup', 'accepted for runc compatibility; systemd cgroupsPath forms need systemd')
    .option('--rootless <value>', 'accepted for runc compatibility (auto|true|false)')
    .option('--criu <path>', 'accepted for runc compatibility (checkpoint is not supported)')
    .option('--vm', 'run containers in a QEMU microVM')
    .option('--vm-accel <accel>', 'microVM accelerator: kvm or tcg (default: kvm where the CPU supports it)')
    .option('-v, --version', 'print the version')
    .showHelpAfterError(false)
    .allowExcessArguments(false)
    .exitOverride();
  // Errors are reported once, by our logger (stderr and --log); help still prints.
  program.configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: () => {} });
  program.hook('preAction', () => {
    const f = program.opts<GlobalFlags>();
    logger = new Logger(f.log, f.logFormat, !!f.debug);
  });

  program
    .command('create')
    .description('create a container (runtime.md#create)')
    .argument('<container-id>')
    .option('-b, --bundle <dir>', 'path to the bundle (default: the current directory)')
    .option('--pid-file <file>', 'write the container process pid here')
    .option('--console-socket <path>', 'AF_UNIX socket that receives the pty master')
    .option('--preserve-fds <n>', 'pass N extra fds (3 … 3+N-1) to the container', int, 0)
    .option('--no-pivot', 'do not use pivot_root (unsafe; for ramfs roots)')
    .option('--no-new-keyring', 'accepted for runc compatibility')
    .action(async (id: string, o) => verb(program, 'create', id, { ...o, noPivot: o.pivot === false }));

  program
    .command('start')
    .description('start a created container (runtime.md#start)')
    .argument('<container-id>')
    .action(async (id: string) => {
      const { startContainer } = await import('../lifecycle/start.js');
      await startContainer(globals(program), id);
    });

  program
    .command('state')
    .description('print the state of a container (runtime.md#query-state)')
    .argument('<container-id>')
    .action(async (id: string) => {
      const { containerState } = await import('../lifecycle/state.js');
      process.stdout.write(`${JSON.stringify(containerState(globals(program), id), null, 2)}\n`);
    });

  program
    .command('kill')
    .description('send a signal to the container process (runtime.md#kill); default TERM')
    .argument('<container-id>')
    .argument('[signal]')
    .option('-a, --all', 'signal every process in the container')
    .action(async (id: string, signal: string | undefined, o) => {
      const { killContainer } = await import('../lifecycle/kill.js');
      await killContainer(globals(program), id, signal, !!o.all);
    });

  program
    .command('delete')
    .description('delete a stopped container (runtime.md#delete)')
    .argument('<container-id>')
    .option('-f, --force', 'kill it first if it is running; succeed if it does not exist')
    .action(async (id: string, o) => {
      const { deleteContainer } = await import('../lifecycle/delete.js');
      await deleteContainer(globals(program), id, !!o.force);
    });

  program
    .command('run')
    .description('create and start a container, wait for it, delete it')
    .argument('<container-id>')
    .option('-b, --bundle <dir>', 'path to the bundle')
    .option('--pid-file <file>', 'write the container process pid here')
    .option('-d, --detach', 'do not wait for the container')
    .option('--console-socket <path>', 'AF_UNIX socket that receives the pty master')
    .option('--preserve-fds <n>', 'pass N extra fds to the container', int, 0)
    .option('--no-pivot', 'do not use pivot_root (unsafe)')
    .option('--keep', 'do not delete the container when it exits')
    .option('--no-new-keyring', 'accepted for runc compatibility')
    .action(async (id: string, o) => verb(program, 'run', id, { ...o, noPivot: o.pivot === false }));

  program
    .command('exec')
    .description('run a new process inside a container')
    .argument('<container-id>')
    .argument('[command...]')
    // As runc: flags after the container id belong to the command (`exec c1 ls -l`).
    .passThroughOptions()
    .option('-p, --process <file>', 'process.json to run')
    .option('-t, --tty', 'allocate a pseudo-TTY')
    .option('--cwd <dir>', 'working directory')
    .option('-e, --env <var>', 'set an environment variable (repeatable)', collect)
    .option('-u, --user <uid[:gid]>', 'user to run as')
    .option('-g, --additional-gids <gid>', 'additional gids (repeatable)', collect)
    .option('-c, --cap <cap>', 'add a capability (repeatable; never inheritable)', collect)
    .option('--no-new-privs', 'set no_new_privs')
    .option('--apparmor <profile>', 'AppArmor profile')
    .option('--process-label <label>', 'SELinux label')
    .option('-d, --detach', 'detach from the process')
    .option('--pid-file <file>', 'write the process pid here')
    .option('--console-socket <path>', 'AF_UNIX socket that receives the pty master')
    .option('--preserve-fds <n>', 'pass N extra fds', int, 0)
    .option('--ignore-paused', 'exec even if the container is paused')
    .action(async (id: string, args: string[], o) => verb(program, 'exec', id, { ...o, noNewPrivs: o.newPrivs === false }, args));

  program
    .command('list')
    .description('list containers')
    .addOption(new Option('-f, --format <format>', 'table or json').choices(['table', 'json']).default('table'))
    .option('-q, --quiet', 'only ids')
    .action(async (o) => verb(program, 'list', '', o));

  program
    .command('spec')
    .description('write a default config.json (like `runc spec`)')
    .option('-b, --bundle <dir>', 'where to write config.json', '.')
    .option('--rootless', 'a config for a rootless container')
    .action(async (o) => {
      const { writeSpec } = await import('./commands/spec.js');
      writeSpec(o.bundle, !!o.rootless);
    });

  program
    .command('plan')
    .description('print the kernel operations a config.json becomes, with the spec section of each')
    .option('-b, --bundle <dir>', 'path to the bundle', '.')
    .option('--id <id>', 'container id to plan for', 'demo')
    .addOption(new Option('--format <format>', 'text or json').choices(['text', 'json']).default('text'))
    .option('--show-seccomp', 'also print the seccomp filter (libseccomp pseudo filter code)')
    .action(async (o) => {
      const { planCommand } = await import('./commands/plan.js');
      process.stdout.write(await planCommand(globals(program), o.bundle, o.id, o.format, { showSeccomp: !!o.showSeccomp }));
    });

  const bundle = program.command('bundle').description('make bundles');
  bundle
    .command('create')
    .description('make a runnable bundle from a rootfs tarball, an OCI image (layout or tar), a docker-save archive, or "busybox"')
    .argument('<dir>')
    .requiredOption('--from <source>', 'tarball, OCI layout dir or tar, docker-save tar, or "busybox"')
    .option('--platform <os/arch[/variant]>', 'image platform (default: this host)')
    .option('--rootless', 'write a rootless config.json')
    .option('-q, --quiet', 'no progress output')
    .action(async (dir: string, o) => {
      const { createBundle } = await import('../bundle/index.js');
      await createBundle(dir, { from: o.from, platform: o.platform, rootless: !!o.rootless, quiet: !!o.quiet });
    });

  return program;
}

function printVersion(): void {
  process.stdout.write(`joey version ${VERSION}\ncommit: none\nspec: ${SPEC_VERSION}\nnode: ${process.version}\n`);
}

/** Global options that take a value: skipped when looking for the subcommand's name. */
const VALUE_OPTIONS = new Set(['--root', '--log', '--log-format', '--rootless', '--criu', '--vm-accel']);

/** The subcommand named on the command line, or undefined. */
export function subcommandName(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (VALUE_OPTIONS.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}

/**
 * Commands beyond the core lifecycle live in src/cli/commands/<name>.ts,
 * each exporting `register(program)`. Only the one named on the command line
 * is loaded (every CLI call pays for what it imports); `--help` loads all.
 * The table is static so that a bundler can split each command into its own
 * chunk.
 */
type CommandModule = { register?: (p: Command) => void };
const EXTRA_COMMANDS: Record<string, () => Promise<CommandModule>> = {
  events: () => import('./commands/events.js'),
  explain: () => import('./commands/explain.js'),
  features: () => import('./commands/features.js'),
  pause: () => import('./commands/pause.js'),
  ps: () => import('./commands/ps.js'),
  resume: () => import('./commands/resume.js'),
  trace: () => import('./commands/trace.js'),
  update: () => import('./commands/update.js'),
  vm: () => import('./commands/vm.js'),
};

async function registerExtra(program: Command, args: string[]): Promise<void> {
  const name = subcommandName(args);
  const wantAll = !name || name === 'help' || args.includes('--help') || args.includes('-h');
  const names = wantAll ? Object.keys(EXTRA_COMMANDS) : name && EXTRA_COMMANDS[name] ? [name] : [];
  for (const n of names) (await EXTRA_COMMANDS[n]!()).register?.(program);
}

export async function main(argv: string[]): Promise<void> {
  const args = argv.slice(2);
  if (args.length === 0 || (args.length === 1 && (args[0] === '-v' || args[0] === '--version'))) {
    if (args.length === 0) {
      buildProgram().outputHelp();
      return;
    }
    printVersion();
    return;
  }
  const program = buildProgram();
  try {
    await registerExtra(program, args);
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return;
      if (program.opts<GlobalFlags>().version) {
        printVersion();
        return;
      }
      logger.error(String(e.message ?? err).replace(/^error: /, ''));
      process.exitCode = 1;
      return;
    }
    reportError(err, logger);
  }
}
