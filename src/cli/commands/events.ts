/**
 * `joey events [--stats] [--interval 5s] ID` — runc-events.8: one JSON
 * object per line, runc's types/events.go shapes.
 */
import type { Command } from 'commander';
import { globals } from '../main.js';

export function register(program: Command): void {
  program
    .command('events')
    .description('display container events such as OOM notifications and cpu, memory, pids and IO statistics')
    .argument('<container-id>')
    .option('--interval <duration>', 'the stats collection interval (Go duration: 5s, 500ms, 1m)', '5s')
    .option('--stats', "display the container's stats then exit")
    .action(async (id: string, o: { interval: string; stats?: boolean }) => {
      const { containerEvents, parseDuration } = await import('../../lifecycle/events.js');
      await containerEvents(globals(program), id, {
        stats: !!o.stats,
        interval: parseDuration(o.interval),
        write: (line) => process.stdout.write(line),
      });
    });
}
