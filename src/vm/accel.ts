/**
 * Accelerator choice for the --vm backend — docs/vm.md §2.1, §6.8
 *
 * KVM only when /dev/kvm opens read-write AND the CPU shows vmx or svm: a
 * PVM host (kvm_pvm) has a working /dev/kvm that cannot run stock guest
 * kernels. TCG otherwise. --vm-accel or JOEY_VM_ACCEL overrides.
 */
import * as fs from 'node:fs';
import { UsageError } from '../errors.js';

export type Accel = 'kvm' | 'tcg';

export interface AccelChoice {
  accel: Accel;
  why: string;
  /** host CPU kHz for tsc_early_khz (TCG: skips the flaky PIT calibration) */
  cpuKhz?: number;
}

function cpuinfo(): string {
  try {
    return fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

export function kvmUsable(): { ok: boolean; why: string } {
  try {
    fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    return { ok: false, why: '/dev/kvm is missing or not read-write' };
  }
  const flags = /^flags\s*:(.*)$/m.exec(cpuinfo())?.[1]?.split(/\s+/) ?? [];
  if (!flags.includes('vmx') && !flags.includes('svm')) {
    const pvm = fs.existsSync('/sys/module/kvm_pvm') ? ' (kvm_pvm: needs a PVM-enlightened guest kernel)' : '';
    return { ok: false, why: `/dev/kvm is usable but the CPU has neither vmx nor svm${pvm}` };
  }
  return { ok: true, why: '/dev/kvm is usable and the CPU has hardware virtualisation' };
}

export function hostCpuKhz(): number | undefined {
  const m = /^cpu MHz\s*:\s*([\d.]+)/m.exec(cpuinfo());
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}

export function chooseAccel(override?: string): AccelChoice {
  const o = override ?? process.env.JOEY_VM_ACCEL;
  if (o !== undefined && o !== '') {
    if (o !== 'kvm' && o !== 'tcg') throw new UsageError(`--vm-accel: expected kvm or tcg, got "${o}"`);
    return { accel: o, why: override ? '--vm-accel' : 'JOEY_VM_ACCEL', cpuKhz: hostCpuKhz() };
  }
  const k = kvmUsable();
  if (k.ok) return { accel: 'kvm', why: k.why };
  return { accel: 'tcg', why: `${k.why}; using TCG (software emulation)`, cpuKhz: hostCpuKhz() };
}
