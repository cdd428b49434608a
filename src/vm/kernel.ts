/**
 * `joey vm kernel build`: the fast guest kernel (docs/vm.md §7), built by
 * native/vm/build-kernel.sh from Debian's linux-source with the option list
 * kept in native/vm/kernel.config, into <cache>/fast/vmlinux.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { RuntimeError } from '../errors.js';
import { TOP } from './assets.js';

export function buildFastKernel(jobs?: string): number {
  const script = join(TOP, 'native', 'vm', 'build-kernel.sh');
  if (jobs !== undefined && !/^\d+$/.test(jobs)) throw new RuntimeError(`--jobs: expected a number, got "${jobs}"`);
  const r = spawnSync('sh', [script, ...(jobs ? [jobs] : [])], { stdio: 'inherit' });
  if (r.error) throw new RuntimeError(`run \`${script}\`: ${r.error.message}`);
  return r.status ?? 1;
}
