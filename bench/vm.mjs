#!/usr/bin/env node
// bench/vm.mjs — `joey --vm run` of a process that exits at once, under the
// accelerator joey picks (TCG on the project machine); docs/vm.md §3.
// Usage: node bench/vm.mjs [runs=5]   (root; needs `npm run build:vm`)
// Prints one line per run and the median/min wall time; the container is the
// static probe running `exit 0` (the rootfs has no /bin/true).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const TOP = resolve(import.meta.dirname, '..');
const JOEY = join(TOP, 'bin', 'joey');
const runs = Number(process.argv[2] ?? 5);
const root = fs.mkdtempSync(join(tmpdir(), 'joey-vm-bench-root-'));
const bundle = fs.mkdtempSync(join(tmpdir(), 'joey-vm-bench-'));
for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc']) fs.mkdirSync(join(bundle, 'rootfs', d), { recursive: true });
fs.copyFileSync(join(TOP, 'native', 'build', 'probe'), join(bundle, 'rootfs', 'bin', 'true'));
fs.chmodSync(join(bundle, 'rootfs', 'bin', 'true'), 0o755);
const spec = JSON.parse(spawnSync(JOEY, ['spec', '--bundle', bundle], { encoding: 'utf8' }).status === 0 ? fs.readFileSync(join(bundle, 'config.json'), 'utf8') : '{}');
spec.process.terminal = false;
spec.process.args = ['/bin/true', 'exit', '0'];
fs.writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));

const doctor = spawnSync(JOEY, ['vm', 'doctor'], { encoding: 'utf8' }).stdout;
const accel = /accelerator: (\w+)/.exec(doctor)?.[1] ?? '?';
const kernel = /kernel in use: (\S+)/.exec(doctor)?.[1] ?? '?';
const times = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const r = spawnSync(JOEY, ['--root', root, '--vm', 'run', '--bundle', bundle, `b${i}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) {
    console.error(`run ${i}: exit ${r.status}`);
    process.exit(1);
  }
  times.push(ms);
  console.log(`run ${i}: ${(ms / 1000).toFixed(2)} s`);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(`joey --vm run (exit 0), accel ${accel}, kernel ${kernel}, ${runs} runs: median ${(median / 1000).toFixed(2)} s, min ${(times[0] / 1000).toFixed(2)} s; load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
fs.rmSync(bundle, { recursive: true, force: true });
fs.rmSync(root, { recursive: true, force: true });
