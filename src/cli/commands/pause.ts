/** `joey pause ID` — runc-pause.8: freeze every process of the container. */
import type { Command } from 'commander';
import { globals } from '../main.js';

export function register(program: Command): void {
  program
    .command('pause')
    .description('suspend all processes inside the container')
    .argument('<container-id>')
    .action(async (id: string) => {
      const { pauseContainer } = await import('../../lifecycle/pause.js');
      await pauseContainer(globals(program), id);
    });
}
