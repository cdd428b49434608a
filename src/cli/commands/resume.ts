/** `joey resume ID` — runc-resume.8: thaw a paused container. */
import type { Command } from 'commander';
import { globals } from '../main.js';

export function register(program: Command): void {
  program
    .command('resume')
    .description('resume all processes that were previously paused')
    .argument('<container-id>')
    .action(async (id: string) => {
      const { resumeContainer } = await import('../../lifecycle/pause.js');
      await resumeContainer(globals(program), id);
    });
}
