/**
 * `joey vm doctor` and `joey vm kernel build` — the --vm backend's assets
 * and accelerator (docs/vm.md §6.8, §6.9; design.md §7).
 */
import type { Command } from 'commander';
import { globals } from '../main.js';

export function register(program: Command): void {
  const vm = program.command('vm').description('the --vm microVM backend: check and build its guest assets');
  vm.command('doctor')
    .description('say which --vm pieces are present and which accelerator will be used, and why')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const { doctor } = await import('../../vm/doctor.js');
      const r = doctor(globals(program).vmAccel);
      if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else {
        for (const l of r.lines) process.stdout.write(`${l.ok ? 'ok  ' : 'MISS'} ${l.what}: ${l.detail}\n`);
        process.stdout.write(r.ready ? '--vm is ready\n' : '--vm is not ready\n');
      }
      if (!r.ready) process.exitCode = 1;
    });
  vm.command('kernel')
    .description('guest kernels')
    .command('build')
    .description('build the fast minimal guest kernel from Debian\'s linux-source (takes minutes; cached outside the repo)')
    .option('-j, --jobs <n>', 'parallel make jobs')
    .action(async (o: { jobs?: string }) => {
      const { buildFastKernel } = await import('../../vm/kernel.js');
      process.exitCode = buildFastKernel(o.jobs);
    });
}
