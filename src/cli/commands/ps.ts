/**
 * `joey ps [--format table|json] ID [ps-options...]` — runc-ps.8.
 * Everything after the container id goes to ps(1) untouched (`-ef` when
 * none), so `joey ps ID -o pid,comm` works as with runc.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { globals } from '../main.js';

export function register(program: Command): void {
  // ps's own options end at the container id (urfave/cli's rule, which runc
  // follows): the rest, dashes and all, belongs to ps(1).
  program.enablePositionalOptions();
  program
    .command('ps')
    .description('display the processes inside a container (host pids)')
    .argument('<container-id>')
    .argument('[ps-options...]', 'options for ps(1) (default: -ef)')
    .addOption(new Option('-f, --format <format>', 'table or json').choices(['table', 'json']).default('table'))
    .passThroughOptions()
    .action(async (id: string, psArgs: string[], o: { format: 'table' | 'json' }) => {
      const { containerPids, psTable } = await import('../../lifecycle/ps.js');
      const g = globals(program);
      if (o.format === 'json') process.stdout.write(`${JSON.stringify(await containerPids(g, id))}\n`);
      else process.stdout.write(await psTable(g, id, psArgs));
    });
}
