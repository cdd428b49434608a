/**
 * `joey ps [--format table|json] ID [ps-options...]` — runc-ps.8.
 * Everything after the container id goes to ps(1) untouched (`-ef` when
 * none), so `joey ps ID -o pid,comm` works as with runc.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { globals, subcommandName } from '../main.js';

export function register(program: Command): void {
  // ps's own options end at the container id (urfave/cli's rule, which runc
  // follows): the rest, dashes and all, belongs to ps(1). That needs
  // positional options on the whole program, so only when ps is what runs
  // (`joey --help` loads every command and must not change the others).
  const running = subcommandName(process.argv.slice(2)) === 'ps';
  if (running) program.enablePositionalOptions();
  const cmd = program
    .command('ps')
    .description('display the processes inside a container (host pids)')
    .argument('<container-id>')
    .argument('[ps-options...]', 'options for ps(1) (default: -ef)')
    .addOption(new Option('-f, --format <format>', 'table or json').choices(['table', 'json']).default('table'));
  if (running) cmd.passThroughOptions();
  cmd.action(async (id: string, psArgs: string[], o: { format: 'table' | 'json' }) => {
    const { containerPids, psTable } = await import('../../lifecycle/ps.js');
    const g = globals(program);
    if (o.format === 'json') process.stdout.write(`${JSON.stringify(await containerPids(g, id))}\n`);
    else process.stdout.write(await psTable(g, id, psArgs));
  });
}
