/**
 * `joey vm doctor`: which --vm pieces are present, which accelerator and
 * rootfs share (9p or virtio-fs) will be used and why — docs/vm.md §6.8, §6.9
 */
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cacheDir, chooseKernel, findQemu, isStale, INIT_BINARY, kernelCandidates, QEMU_PACKAGE, TOP, VM_BUILD } from './assets.js';
import { chooseAccel } from './accel.js';
import { chooseFs } from './virtiofs.js';

export interface DoctorLine {
  ok: boolean;
  what: string;
  detail: string;
}

export function doctor(accelOverride?: string): { lines: DoctorLine[]; ready: boolean } {
  const lines: DoctorLine[] = [];
  const qemu = findQemu();
  let qv = '';
  if (qemu) qv = spawnSync(qemu, ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? '';
  lines.push({ ok: !!qemu, what: 'qemu', detail: qemu ? `${qemu} (${qv})` : `missing: apt-get install ${QEMU_PACKAGE}` });
  const kernels = kernelCandidates();
  for (const k of kernels) {
    lines.push({
      ok: k.present,
      what: `kernel (${k.tier})`,
      detail: k.present
        ? `${k.kernel} + ${k.initrd}${k.stale ? ' (stale: built from another native/vm/kernel.config; rerun `joey vm kernel build`)' : ''}`
        : `missing ${k.missing.map((m) => `\`${m}\``).join(', ')}: ${k.tier === 'fast' ? '`joey vm kernel build`' : k.tier === 'debian' ? '`npm run build:vm`' : 'JOEY_VM_KERNEL/JOEY_VM_INITRD'}`,
    });
  }
  let chosen: ReturnType<typeof chooseKernel>['chosen'];
  let why: string;
  try {
    ({ chosen, why } = chooseKernel());
  } catch (err) {
    why = (err as Error).message;
  }
  // "kernel in use: <tier> (<why>)": bench/vm.mjs reads the first word
  lines.push({ ok: !!chosen, what: 'kernel in use', detail: chosen ? `${chosen.tier} (${why})` : why });
  const initOk = fs.existsSync(INIT_BINARY);
  let stale = false;
  if (chosen && initOk) stale = chosen.tier === 'custom' && isStale(chosen.initrd);
  lines.push({ ok: initOk && !stale, what: 'agent', detail: !initOk ? `missing \`${INIT_BINARY}\`: npm run build` : stale ? `the initramfs is older than \`${INIT_BINARY}\`: npm run build:vm` : `${INIT_BINARY} (as /init in ${VM_BUILD})` });
  // "rootfs: <fs> (<why>)" for a writable root; root.readonly is always 9p
  try {
    const f = chooseFs(chosen?.tier ?? 'fast', false);
    lines.push({ ok: true, what: 'rootfs', detail: `${f.fs} (${f.why}); 9p when root.readonly (host-enforced read-only)` });
  } catch (err) {
    lines.push({ ok: false, what: 'rootfs', detail: (err as Error).message });
  }
  let accelLine: DoctorLine;
  try {
    const a = chooseAccel(accelOverride);
    accelLine = { ok: true, what: 'accelerator', detail: `${a.accel}: ${a.why}${a.cpuKhz && a.accel === 'tcg' ? ` (tsc_early_khz=${a.cpuKhz})` : ''}` };
  } catch (err) {
    accelLine = { ok: false, what: 'accelerator', detail: (err as Error).message };
  }
  lines.push(accelLine);
  lines.push({ ok: true, what: 'cache', detail: `${cacheDir()} (JOEY_VM_CACHE)` });
  const fastBuild = join(TOP, 'native', 'vm', 'build-kernel.sh');
  lines.push({ ok: fs.existsSync(fastBuild), what: 'fast kernel recipe', detail: `${fastBuild} + native/vm/kernel.config` });
  const ready = !!qemu && !!chosen && initOk && !stale && accelLine.ok && lines.every((l) => l.what !== 'rootfs' || l.ok);
  return { lines, ready };
}
