#!/usr/bin/env node
// bench/vm.mjs — `joey --vm run` of a process that exits at once, once per
// guest-kernel tier present (debian = Debian's stock kernel + modules, fast =
// the minimal kernel of `joey vm kernel build`), beside namespace-mode
// `joey run` of the same bundle, interleaved in one run; docs/vm.md §3, §6.9.
//
// Usage (root; after `npm run build` and `npm run build:vm`, optionally
// `joey vm kernel build`), from the repo root, no npm script needed:
//   node bench/vm.mjs [runs=10] [--no-write] [--fs]
// Writes bench/results/vm.md and bench/results/vm.json unless --no-write
// (with --fs: vm-fs.md and vm-fs.json).
//
// --fs: the rootfs share instead of the tiers: for each tier with virtio-fs
// (not debian: its initramfs has only the 9p modules), `<tier>+9p` against
// `<tier>+virtiofs` (JOEY_VM_FS, src/vm/virtiofs.ts), on a writable rootfs
// (root.readonly always uses 9p), and the median of the per-round paired
// differences; virtiofsd's peak RSS is sampled beside QEMU's.
//
// The container is the static probe installed as /bin/true, run as
// `/bin/true exit 0` (the bundle has no libc, so no coreutils true).
// Each round runs every mode once, in an order rotated per round, so drift in
// the machine's load hits all modes alike. A tier is picked with
// JOEY_VM_TIER (src/vm/assets.ts).
//
// QEMU's peak RSS: joey writes QEMU's pid to <root>/<id>/state.json right
// after spawning it; this script polls that file, then /proc/<pid>/status
// every 10 ms and keeps the last VmHWM (the kernel's high-water mark of the
// resident set, monotonic) until the process is gone or a zombie. The value
// is exact up to what QEMU maps in its last <10 ms, which is shutdown. A
// memory cgroup around `joey` would also count Node and the page cache, and
// getrusage(RUSAGE_CHILDREN) would need the waiting parent (joey) to report.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const TOP = resolve(import.meta.dirname, '..');
const JOEY = join(TOP, 'bin', 'joey');
const argv = process.argv.slice(2);
const write = !argv.includes('--no-write');
const runs = Number(argv.find((a) => /^\d+$/.test(a)) ?? 10);
const fsMode = argv.includes('--fs');

const root = fs.mkdtempSync(join(tmpdir(), 'joey-vm-bench-root-'));
const bundle = fs.mkdtempSync(join(tmpdir(), 'joey-vm-bench-'));
for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc']) fs.mkdirSync(join(bundle, 'rootfs', d), { recursive: true });
fs.copyFileSync(join(TOP, 'native', 'build', 'probe'), join(bundle, 'rootfs', 'bin', 'true'));
fs.chmodSync(join(bundle, 'rootfs', 'bin', 'true'), 0o755);

function run(args, env = {}) {
  return new Promise((res) => {
    const c = spawn(JOEY, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (status) => res({ status, out, err }));
  });
}

if ((await run(['spec', '--bundle', bundle])).status !== 0) throw new Error('joey spec failed');
const spec = JSON.parse(fs.readFileSync(join(bundle, 'config.json'), 'utf8'));
spec.process.terminal = false;
spec.process.args = ['/bin/true', 'exit', '0'];
if (fsMode) spec.root.readonly = false;
fs.writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));

const doctor = JSON.parse((await run(['vm', 'doctor', '--json'])).out || '{"lines":[]}');
const line = (what) => doctor.lines.find((l) => l.what === what);
const accel = /^(\w+)/.exec(line('accelerator')?.detail ?? '')?.[1] ?? '?';
const tiers = ['debian', 'fast'].filter((t) => line(`kernel (${t})`)?.ok);
if (tiers.length === 0) {
  console.error('no guest kernel: run `npm run build:vm` (and `joey vm kernel build`)');
  process.exit(1);
}
const qemuVersion = /^\S+ \((.*)\)$/.exec(line('qemu')?.detail ?? '')?.[1] ?? '?';

function vmhwmKiB(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    if (/^State:\s*Z/m.test(s)) return undefined;
    const m = /^VmHWM:\s*(\d+) kB/m.exec(s);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** One timed `joey run`; for --vm, QEMU's peak RSS sampled as described above. */
async function once(mode, i) {
  const id = `${mode.replace('+', '-')}-${i}`;
  const vm = mode !== 'namespace';
  const [tier, share] = mode.split('+');
  let vfsd;
  let vfsdHwm;
  const args = ['--root', root, ...(vm ? ['--vm'] : []), 'run', '--bundle', bundle, id];
  let pid;
  let hwm;
  let done = false;
  let tSpawn;
  let tGone;
  const poll = vm
    ? setInterval(() => {
        if (done) return;
        if (pid === undefined) {
          try {
            const st = JSON.parse(fs.readFileSync(join(root, id, 'state.json'), 'utf8'));
            pid = st.pid || undefined;
            vfsd = st.vm?.virtiofsd?.pid;
          } catch {
            return;
          }
          if (pid) tSpawn = performance.now();
        }
        const w = vfsd && vmhwmKiB(vfsd);
        if (w) vfsdHwm = w;
        const v = pid && vmhwmKiB(pid);
        if (v) hwm = v;
        else if (pid && tGone === undefined) tGone = performance.now();
      }, 10)
    : undefined;
  const t0 = performance.now();
  const r = await run(args, vm ? { JOEY_VM_TIER: tier, ...(share ? { JOEY_VM_FS: share } : {}) } : {});
  const ms = performance.now() - t0;
  done = true;
  if (poll) clearInterval(poll);
  if (r.status !== 0) throw new Error(`${mode} run ${i}: exit ${r.status}: ${r.err.trim()}`);
  // phases, to 10 ms: joey before QEMU runs, QEMU's life (boot, container,
  // power-off), joey after QEMU is gone
  const phases = tSpawn !== undefined && tGone !== undefined ? { beforeMs: tSpawn - t0, qemuMs: tGone - tSpawn, afterMs: t0 + ms - tGone } : undefined;
  return { ms, rssKiB: hwm, virtiofsdRssKiB: vfsdHwm, phases };
}

const modes = fsMode ? tiers.filter((t) => t !== 'debian').flatMap((t) => [`${t}+9p`, `${t}+virtiofs`]) : [...tiers, 'namespace'];
if (modes.length === 0) {
  console.error('--fs needs a kernel with virtio-fs (the fast tier: joey vm kernel build)');
  process.exit(1);
}
const samples = Object.fromEntries(modes.map((m) => [m, []]));
const load0 = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
for (let i = 0; i < runs; i++) {
  const order = modes.map((_, k) => modes[(k + i) % modes.length]);
  const parts = [];
  for (const m of order) {
    const s = await once(m, i);
    samples[m].push(s);
    parts.push(`${m} ${(s.ms / 1000).toFixed(2)} s${s.rssKiB ? ` ${(s.rssKiB / 1024).toFixed(0)} MiB` : ''}${s.virtiofsdRssKiB ? ` + ${(s.virtiofsdRssKiB / 1024).toFixed(1)} MiB virtiofsd` : ''}`);
  }
  console.log(`round ${i}: ${parts.join(', ')}`);
}
const load1 = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? undefined : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
function phase(ss) {
  const p = ss.map((s) => s.phases).filter(Boolean);
  if (!p.length) return undefined;
  return Object.fromEntries(['beforeMs', 'qemuMs', 'afterMs'].map((k) => [k, Math.round(median(p.map((x) => x[k])))]));
}
const rows = modes.map((m) => {
  const ms = samples[m].map((s) => s.ms);
  const rss = samples[m].map((s) => s.rssKiB).filter((x) => x !== undefined);
  return {
    mode: m === 'namespace' ? 'namespace' : `vm/${m}`,
    runs: ms.length,
    medianMs: Math.round(median(ms)),
    minMs: Math.round(Math.min(...ms)),
    maxMs: Math.round(Math.max(...ms)),
    qemuPeakRssMiB: rss.length ? Math.round(median(rss) / 1024) : undefined,
    qemuPeakRssMaxMiB: rss.length ? Math.round(Math.max(...rss) / 1024) : undefined,
    phasesMedianMs: phase(samples[m]),
  };
});
// --fs: virtio-fs minus 9p within each round (same load), then the median
const paired = fsMode
  ? tiers.filter((t) => t !== 'debian').map((t) => {
      const d = samples[`${t}+virtiofs`].map((s, i) => s.ms - samples[`${t}+9p`][i].ms);
      const vrss = samples[`${t}+virtiofs`].map((s) => s.virtiofsdRssKiB).filter((x) => x !== undefined);
      return { tier: t, medianDiffMs: Math.round(median(d)), diffsMs: d.map(Math.round), virtiofsdPeakRssMiB: vrss.length ? +(median(vrss) / 1024).toFixed(1) : undefined };
    })
  : [];

const header = ['mode', 'runs', 'median', 'min', 'max', 'QEMU peak RSS (median / max)', 'before QEMU / QEMU alive / after (medians)'];
const table = [
  `| ${header.join(' | ')} |`,
  `| ${header.map(() => '---').join(' | ')} |`,
  ...rows.map((r) => `| ${r.mode} | ${r.runs} | ${(r.medianMs / 1000).toFixed(2)} s | ${(r.minMs / 1000).toFixed(2)} s | ${(r.maxMs / 1000).toFixed(2)} s | ${r.qemuPeakRssMiB !== undefined ? `${r.qemuPeakRssMiB} / ${r.qemuPeakRssMaxMiB} MiB` : '—'} | ${r.phasesMedianMs ? `${r.phasesMedianMs.beforeMs} / ${r.phasesMedianMs.qemuMs} / ${r.phasesMedianMs.afterMs} ms` : '—'} |`),
];
const when = new Date().toISOString();
const meta = { when, accel, qemu: qemuVersion, cpus: (await import('node:os')).availableParallelism(), load: { before: load0, after: load1 }, runs };
console.log(`\njoey run of \`true\` (the static probe, exit 0): --vm per kernel tier (accel ${accel}) beside namespace mode, ${runs} interleaved rounds`);
console.log(table.join('\n'));
for (const p of paired) {
  console.log(`${p.tier}: virtio-fs − 9p, median of ${runs} paired differences: ${p.medianDiffMs} ms (each: ${p.diffsMs.join(', ')}); virtiofsd peak RSS ${p.virtiofsdPeakRssMiB ?? '?'} MiB`);
}
console.log(`load ${load0} → ${load1}`);

if (write) {
  const dir = join(TOP, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const name = fsMode ? 'vm-fs' : 'vm';
  fs.writeFileSync(join(dir, `${name}.json`), `${JSON.stringify({ ...meta, rows, paired, samples }, null, 2)}\n`);
  fs.writeFileSync(
    join(dir, `${name}.md`),
    [
      fsMode ? '# `joey --vm run`: rootfs over 9p vs virtio-fs' : '# `joey --vm run` by kernel tier, beside namespace mode',
      '',
      `Written by \`node bench/vm.mjs ${runs}\` on ${when.slice(0, 10)}: accelerator **${accel}**, ${qemuVersion}, ${meta.cpus} CPUs,`,
      `load average ${load0} before and ${load1} after. Each round runs every mode once (order rotated);`,
      'the container is `/bin/true exit 0` (the static probe), so the time is launch → exit → cleanup.',
      'QEMU peak RSS is its VmHWM, sampled every 10 ms until it exits; the same sampling splits each run into',
      'joey before QEMU is spawned, QEMU alive (boot, container, power-off) and joey after QEMU is gone. `debian` is Debian\'s generic',
      'kernel with 9p/virtio modules loaded by the agent; `fast` is the minimal kernel',
      '(`joey vm kernel build`, native/vm/kernel.config), everything built in.',
      '',
      ...table,
      '',
      ...paired.map((p) => `${p.tier}: virtio-fs − 9p, median of the paired differences: **${p.medianDiffMs} ms**; virtiofsd peak RSS ${p.virtiofsdPeakRssMiB ?? '?'} MiB.`),
      '',
    ].join('\n'),
  );
  console.log(`wrote bench/results/${name}.md and ${name}.json`);
}
fs.rmSync(bundle, { recursive: true, force: true });
fs.rmSync(root, { recursive: true, force: true });
