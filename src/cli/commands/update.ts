/**
 * `joey update [--resources FILE|-] [flags] ID` — runc-update.8: change a
 * running (or created, or paused) container's cgroup limits. With
 * --resources the JSON document (linux.resources, zeros = unchanged) is used
 * and the other flags are ignored, as in runc.
 */
import type { Command } from 'commander';
import { globals } from '../main.js';
import type { UpdateFlags } from '../../lifecycle/update.js';

export function register(program: Command): void {
  program
    .command('update')
    .description('update container resource constraints')
    .argument('<container-id>')
    .option('-r, --resources <file>', "JSON file with the resources to update, or '-' for stdin (other flags are then ignored)")
    .option('--blkio-weight <n>', 'per cgroup block IO weight, 10 to 1000')
    .option('--cpu-period <us>', 'CPU CFS period (microseconds)')
    .option('--cpu-quota <us>', 'CPU CFS quota (microseconds per period; -1 for none)')
    .option('--cpu-burst <us>', 'CPU CFS burst (microseconds)')
    .option('--cpu-share <n>', 'CPU shares (relative weight)')
    .option('--cpu-shares <n>', 'same as --cpu-share')
    .option('--cpu-rt-period <us>', 'CPU realtime period (microseconds)')
    .option('--cpu-rt-runtime <us>', 'CPU realtime runtime (microseconds per period)')
    .option('--cpuset-cpus <list>', 'CPUs to use (e.g. 0-2,4)')
    .option('--cpuset-mems <list>', 'memory nodes to use')
    .option('--cpu-idle <0|1>', 'SCHED_IDLE for the cgroup (1) or not (0)')
    .option('--kernel-memory <bytes>', 'ignored (kernel memory limits are obsolete)')
    .option('--kernel-memory-tcp <bytes>', 'ignored (kernel memory limits are obsolete)')
    .option('--memory <bytes>', 'memory limit (suffixes k, m, g, t, p; -1 for none)')
    .option('--memory-reservation <bytes>', 'memory soft limit')
    .option('--memory-swap <bytes>', 'memory plus swap limit; -1 for unlimited swap')
    .option('--pids-limit <n>', 'maximum number of pids (-1 for no limit; 0 leaves it unchanged)')
    .option('--l3-cache-schema <schema>', 'Intel RDT L3 cache schema (not supported)')
    .option('--mem-bw-schema <schema>', 'Intel RDT memory bandwidth schema (not supported)')
    .action(async (id: string, o: UpdateFlags & { cpuShares?: string }) => {
      const { requestedResources, updateContainer } = await import('../../lifecycle/update.js');
      const g = globals(program);
      const flags: UpdateFlags = { ...o, cpuShare: o.cpuShare ?? o.cpuShares };
      await updateContainer(g, id, await requestedResources(flags, g.warn));
    });
}
