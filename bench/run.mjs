#!/usr/bin/env node
// npm run bench — joey beside runc (and crun where it can run) on the same
// bundle, in the same run: interleaved rounds, rotated order, a 50 ms idle
// gap before every timed command, medians and paired per-round ratios
// (../shared/docs/performance.md §10). Every command is timed by bench/timer
// (a static C fork/exec/wait4), never from Node.
//
//   BENCH_ROUNDS=15 BENCH_SCALE=20 npm run bench
//
// Writes bench/results/latest.{md,json,svg}.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const TOP = join(HERE, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const SCALE = Number(process.env.BENCH_SCALE ?? 20);
const GAP_MS = 50;
const TIMER = join(TOP, 'native', 'build', 'bench-timer');
const NODE = process.execPath;

if (process.getuid() !== 0) {
  console.error('bench: run as root (containers need namespaces and cgroups)');
  process.exit(1);
}
fs.mkdirSync(dirname(TIMER), { recursive: true });
execFileSync('gcc', ['-O2', '-static', '-o', TIMER, join(HERE, 'timer.c')]);

const which = (p) => (fs.existsSync(p) ? p : null);
const runtimes = { joey: join(TOP, 'bin', 'joey'), runc: which('/usr/sbin/runc') ?? which('/usr/bin/runc') };
const unavailable = {};
if (!runtimes.runc) {
  delete runtimes.runc;
  unavailable.runc = 'not installed (apt-get install runc)';
}
// crun refuses hybrid cgroups on this kind of host unless run inside a
// private mount namespace with cgroup.controllers masked (performance.md §12);
// that recipe needs nsenter around every command, which would also time
// nsenter for crun alone. It is reported as unavailable rather than measured unfairly.
unavailable.crun = fs.existsSync('/usr/bin/crun') ? 'refuses hybrid cgroups on this host (performance.md §12)' : 'not installed';

// One bundle for everyone: the static probe, `probe exit 0` as `true`.
const bundle = fs.mkdtempSync(join(tmpdir(), 'joey-bench-'));
fs.mkdirSync(join(bundle, 'rootfs', 'bin'), { recursive: true });
for (const d of ['proc', 'dev', 'sys', 'tmp']) fs.mkdirSync(join(bundle, 'rootfs', d));
fs.copyFileSync(join(TOP, 'native', 'build', 'probe'), join(bundle, 'rootfs', 'bin', 'probe'));
fs.chmodSync(join(bundle, 'rootfs', 'bin', 'probe'), 0o755);
const { defaultSpec } = await import(join(TOP, 'dist', 'spec', 'defaults.js'));
const writeConfig = (dir, args) => {
  const spec = defaultSpec({ args });
  spec.process.terminal = false;
  spec.root.readonly = true;
  fs.writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
};
writeConfig(bundle, ['/bin/probe', 'exit', '0']);
const sleeper = fs.mkdtempSync(join(tmpdir(), 'joey-bench-sleep-'));
fs.symlinkSync(join(bundle, 'rootfs'), join(sleeper, 'rootfs'));
writeConfig(sleeper, ['/bin/probe', 'sleep', '1000']);
const empty = join(bundle, 'empty.js');
fs.writeFileSync(empty, '');

const roots = Object.fromEntries(Object.keys(runtimes).map((rt) => [rt, fs.mkdtempSync(join('/run', `bench-${rt}-`))]));
let seq = 0;
const newId = (rt) => `b-${rt}-${process.pid}-${++seq}`;
const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const devnull = fs.openSync('/dev/null', 'r+');

function timed(argv) {
  sleepSync(GAP_MS);
  const out = spawnSync(TIMER, argv, { encoding: 'utf8', stdio: [devnull, 'pipe', devnull] }).stdout;
  return JSON.parse(out.trim().split('\n').pop());
}
function rt(name, ...args) {
  return [runtimes[name], '--root', roots[name], ...args];
}
function quiet(argv) {
  spawnSync(argv[0], argv.slice(1), { stdio: [devnull, devnull, devnull] });
}

const samples = {}; // scenario -> runtime -> [{wall,cpu,maxrss_kb}]
const add = (scenario, name, s) => ((samples[scenario] ??= {})[name] ??= []).push(s);

function round(order) {
  add('node empty.js', 'node', timed([NODE, empty]));
  for (const name of order) {
    add('run (true)', name, timed(rt(name, 'run', '--bundle', bundle, newId(name))));
    const id = newId(name);
    add('create', name, timed(rt(name, 'create', '--bundle', bundle, id)));
    add('state', name, timed(rt(name, 'state', id)));
    add('start', name, timed(rt(name, 'start', id)));
    sleepSync(20);
    add('delete', name, timed(rt(name, 'delete', id)));
    const s = newId(name);
    quiet(rt(name, 'run', '-d', '--bundle', sleeper, s));
    add('exec (true)', name, timed(rt(name, 'exec', s, '/bin/probe', 'exit', '0')));
    add('kill KILL', name, timed(rt(name, 'kill', s, 'KILL')));
    quiet(rt(name, 'delete', '--force', s));
    const f = newId(name);
    quiet(rt(name, 'run', '-d', '--bundle', sleeper, f));
    add('delete --force (running)', name, timed(rt(name, 'delete', '--force', f)));
  }
}

const names = Object.keys(runtimes);
for (let r = 0; r < ROUNDS; r++) {
  const order = names.map((_, i) => names[(i + r) % names.length]);
  round(order);
  process.stderr.write(`\rround ${r + 1}/${ROUNDS}`);
}
process.stderr.write('\n');

// Scale: SCALE detached containers, serially, then state and list with them present.
const scale = {};
for (const name of names) {
  const ids = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < SCALE; i++) {
    const id = newId(name);
    ids.push(id);
    quiet(rt(name, 'run', '-d', '--bundle', sleeper, id));
  }
  const serialMs = Number(process.hrtime.bigint() - t0) / 1e6;
  // Runtime processes still alive while the containers run: any process whose
  // command line names this runtime's --root (joey's node, runc, shims).
  const runtimeProcs = fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(roots[name]);
      } catch {
        return false;
      }
    }).length;
  const st = [], ls = [];
  for (let i = 0; i < 5; i++) {
    st.push(timed(rt(name, 'state', ids[0])).wall);
    ls.push(timed(rt(name, 'list')).wall);
  }
  const t1 = process.hrtime.bigint();
  for (const id of ids) quiet(rt(name, 'delete', '--force', id));
  const delMs = Number(process.hrtime.bigint() - t1) / 1e6;
  scale[name] = { serialRunDetachedMs: serialMs / SCALE, stateMs: median(st), listMs: median(ls), deleteForceEachMs: delMs / SCALE, runtimeProcessesWhileRunning: runtimeProcs };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
}

const nodeWall = samples['node empty.js'].node.map((s) => s.wall);
const rows = [];
for (const [scenario, byRt] of Object.entries(samples)) {
  if (scenario === 'node empty.js') continue;
  const row = { scenario };
  for (const name of names) {
    const xs = byRt[name] ?? [];
    row[name] = { wall: median(xs.map((s) => s.wall)), cpu: median(xs.map((s) => s.cpu)), maxrss_mb: Math.max(...xs.map((s) => s.maxrss_kb)) / 1024 };
  }
  if (byRt.runc) row.joeyOverRunc = median(byRt.joey.map((s, i) => s.wall / byRt.runc[i].wall));
  row.joeyOverNode = median(byRt.joey.map((s, i) => s.wall / nodeWall[i]));
  rows.push(row);
}

const result = {
  date: new Date().toISOString(),
  rounds: ROUNDS,
  scale: SCALE,
  loadavg: fs.readFileSync('/proc/loadavg', 'utf8').trim(),
  nodeEmpty: { wall: median(nodeWall), cpu: median(samples['node empty.js'].node.map((s) => s.cpu)), maxrss_mb: Math.max(...samples['node empty.js'].node.map((s) => s.maxrss_kb)) / 1024 },
  runtimes: names,
  unavailable,
  rows,
  scaleResults: scale,
};

const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
let md = `# joey vs runc — ${result.date}\n\n${ROUNDS} interleaved rounds, order rotated, ${GAP_MS} ms gap before each command; medians; ratios are medians of per-round ratios. load: ${result.loadavg}.\n`;
md += `\`node empty.js\`: ${f1(result.nodeEmpty.wall)} ms wall, ${f1(result.nodeEmpty.cpu)} ms CPU, ${f1(result.nodeEmpty.maxrss_mb)} MB peak RSS.\n\n`;
md += `| operation | joey ms | ${names.includes('runc') ? 'runc ms | joey/runc | ' : ''}joey/node-empty | joey CPU ms | joey peak MB${names.includes('runc') ? ' | runc peak MB' : ''} |\n|---|---|${names.includes('runc') ? '---|---|' : ''}---|---|---|${names.includes('runc') ? '---|' : ''}\n`;
for (const r of rows) {
  md += `| ${r.scenario} | ${f1(r.joey.wall)} | ${r.runc ? `${f1(r.runc.wall)} | ${f2(r.joeyOverRunc)} | ` : ''}${f2(r.joeyOverNode)} | ${f1(r.joey.cpu)} | ${f1(r.joey.maxrss_mb)}${r.runc ? ` | ${f1(r.runc.maxrss_mb)}` : ''} |\n`;
}
md += `\n## ${SCALE} detached containers\n\n| runtime | run -d each (serial) ms | state ms | list ms | delete --force each ms | runtime processes left while they run |\n|---|---|---|---|---|---|\n`;
for (const [name, s] of Object.entries(scale)) md += `| ${name} | ${f1(s.serialRunDetachedMs)} | ${f1(s.stateMs)} | ${f1(s.listMs)} | ${f1(s.deleteForceEachMs)} | ${s.runtimeProcessesWhileRunning} |\n`;
md += `\nUnavailable: ${Object.entries(unavailable).map(([k, v]) => `${k} (${v})`).join('; ') || 'none'}.\n`;

// An SVG bar chart of joey/runc and joey/node-empty per operation.
const W = 720, barH = 14, rowH = 40, left = 200;
const maxRatio = Math.max(2, ...rows.flatMap((r) => [r.joeyOverRunc ?? 0, r.joeyOverNode]));
const x = (v) => left + (v / maxRatio) * (W - left - 60);
let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${rows.length * rowH + 60}" font-family="sans-serif" font-size="12">\n`;
svg += `<text x="10" y="18" font-weight="bold">joey time ratios (lower is better): blue = joey/runc, grey = joey/node empty.js</text>\n`;
svg += `<line x1="${x(1)}" y1="28" x2="${x(1)}" y2="${rows.length * rowH + 40}" stroke="#c00" stroke-dasharray="4"/>\n`;
rows.forEach((r, i) => {
  const y = 36 + i * rowH;
  svg += `<text x="10" y="${y + 12}">${r.scenario}</text>\n`;
  if (r.joeyOverRunc !== undefined) svg += `<rect x="${left}" y="${y}" width="${x(r.joeyOverRunc) - left}" height="${barH}" fill="#36c"/><text x="${x(r.joeyOverRunc) + 4}" y="${y + 11}">${f2(r.joeyOverRunc)}×</text>\n`;
  svg += `<rect x="${left}" y="${y + barH + 2}" width="${x(r.joeyOverNode) - left}" height="${barH}" fill="#999"/><text x="${x(r.joeyOverNode) + 4}" y="${y + barH + 13}">${f2(r.joeyOverNode)}×</text>\n`;
});
svg += '</svg>\n';

fs.writeFileSync(join(HERE, 'results', 'latest.json'), JSON.stringify(result, null, 2));
fs.writeFileSync(join(HERE, 'results', 'latest.md'), md);
fs.writeFileSync(join(HERE, 'results', 'latest.svg'), svg);
process.stdout.write(md);

for (const r of Object.values(roots)) fs.rmSync(r, { recursive: true, force: true });
fs.rmSync(bundle, { recursive: true, force: true });
fs.rmSync(sleeper, { recursive: true, force: true });
