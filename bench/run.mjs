#!/usr/bin/env node
// npm run bench — joey beside runc and crun, and beside `node empty.js` and a
// C floor, on the same busybox-like bundle (the static probe), in the same
// run: interleaved rounds, order rotated every round, a 50 ms idle gap before
// every timed command, medians and paired per-round ratios
// (../shared/docs/performance.md §10). Every command is timed by bench/timer
// (a static C fork/exec/wait4 and child subreaper), never from Node.
//
//   BENCH_ROUNDS=20 BENCH_SCALE=100 BENCH_REPS=12 npm run bench   # the defaults
//   BENCH_ROUNDS=5 BENCH_SCALE=10 npm run bench      # a quick look
//
// Every timed command must exit 0 (and a container must say "running" before
// it is exec'd into, killed or force-deleted): a failure marks that cell
// INVALID, loudly, and the bench exits 1 at the end. Needs root, gcc (static
// libc), runc; crun is optional (apt-get install crun). On a hybrid-cgroup
// host every command of every runtime runs in one private mount namespace
// where cgroup2's cgroup.controllers is masked, so crun accepts the host
// (performance.md §12); on a pure cgroup-v2 host no namespace is needed.
//
// Writes bench/results/latest.{md,json,svg} (or $BENCH_OUT/).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const TOP = join(HERE, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const SCALE = Number(process.env.BENCH_SCALE ?? 100);
const REPS = Number(process.env.BENCH_REPS ?? 12);
// the per-container costs are differences between 1 and SCALE containers
if (!(Number.isInteger(SCALE) && SCALE >= 2)) {
  process.stderr.write(`bench: BENCH_SCALE must be an integer >= 2, got ${process.env.BENCH_SCALE}\n`);
  process.exit(2);
}
const GAP_MS = 50;
const TIMER = join(TOP, 'native', 'build', 'bench-timer');
const FLOOR = join(TOP, 'native', 'build', 'bench-floor');
const NODE = process.execPath;
// NODE_EXTRA_CA_CERTS makes every Node process read and parse that CA bundle
// before it runs a line: +40 ms per start on this machine, whose environment
// sets it for every tool. bin/joey drops it (joey makes no TLS connection),
// so Node's floor must be Node started the same way: every timed command runs
// without it. `node empty.js` with the environment's value is timed as well,
// for the record, and never used as the floor.
const ENV_CA = process.env.NODE_EXTRA_CA_CERTS;
delete process.env.NODE_EXTRA_CA_CERTS;
const NODE_CA = 'node empty.js, with NODE_EXTRA_CA_CERTS';
// bin/joey starts Node with flags (native/launcher/launcher.c) that make its
// start-up cheaper than a plain `node`'s: timed too, for the record, so that
// the share of joey's ratio that comes from them is visible. The floor stays
// the plain `node empty.js` the issue names.
const JOEY_NODE_FLAGS = ['--no-rehash-snapshot', '--no-sparkplug', '--regexp-tier-up-ticks=100'];
const NODE_FLAGS = `node empty.js, with bin/joey's ${JOEY_NODE_FLAGS.join(' ')}`;
const t0 = Date.now();
const loadStart = fs.readFileSync('/proc/loadavg', 'utf8').trim();
// Others may rebuild joey while the bench runs: note it if they do.
const buildStamp = () => {
  try {
    const d = join(TOP, 'dist', 'cli-bundle');
    // *.cache: V8 code caches joey writes itself on first use (src/cli/hot.ts), not a rebuild.
    return fs.readdirSync(d).filter((f) => !f.endsWith('.cache')).map((f) => `${f}:${fs.statSync(join(d, f)).mtimeMs}`).sort().join(',');
  } catch {
    return 'none';
  }
};
const build0 = buildStamp();

if (process.getuid() !== 0) {
  console.error('bench: run as root (containers need namespaces and cgroups)');
  process.exit(1);
}
fs.mkdirSync(dirname(TIMER), { recursive: true });
execFileSync('gcc', ['-O2', '-static', '-o', TIMER, join(HERE, 'timer.c')]);
execFileSync('gcc', ['-O2', '-static', '-o', FLOOR, join(HERE, 'floor.c')], { stdio: ['ignore', 'ignore', 'ignore'] });

// Be a child subreaper, as a containerd shim is: detached containers outlive
// the timer and are reparented here, and we reap them when they die.
const { addon } = await import(join(TOP, 'dist', 'native', 'addon.js'));
addon().setChildSubreaper();
function reapZombies() {
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
    } catch {
      continue;
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f[0] === 'Z' && Number(f[1]) === process.pid) {
      try {
        addon().waitNoHang(Number(p));
      } catch {
        /* libuv got it first */
      }
    }
  }
}
const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const alive = (pid) => {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};
function waitGone(pid, ms = 5000) {
  for (let i = 0; i < ms / 5; i++) {
    reapZombies();
    if (!alive(pid)) return true;
    sleepSync(5);
  }
  return false;
}

const which = (...ps) => ps.find((p) => fs.existsSync(p)) ?? null;
const runtimes = { joey: join(TOP, 'bin', 'joey') };
const unavailable = {};
const version = {};
const runcPath = which('/usr/sbin/runc', '/usr/bin/runc');
if (runcPath) runtimes.runc = runcPath;
else unavailable.runc = 'not installed (apt-get install runc)';
const crunPath = which('/usr/bin/crun', '/usr/local/bin/crun');
if (!crunPath) unavailable.crun = 'not installed (apt-get install crun)';
for (const [n, p] of Object.entries({ runc: runcPath, crun: crunPath })) {
  if (p) version[n] = spawnSync(p, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
}
version.node = process.version;
version.joey = spawnSync('git', ['-C', TOP, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).stdout.trim();
version.kernel = fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();

// Two bundles, each with a real rootfs directory (runc refuses a symlinked
// rootfs): the static probe as /bin/probe; `probe exit 0` stands for `true`.
const work = fs.mkdtempSync(join(tmpdir(), 'joey-bench-'));
const defaults = await import(join(TOP, 'dist', 'spec', 'defaults.js'));
function makeBundle(name, args) {
  const dir = join(work, name);
  for (const d of ['bin', 'proc', 'dev', 'sys', 'tmp']) fs.mkdirSync(join(dir, 'rootfs', d), { recursive: true });
  fs.copyFileSync(join(TOP, 'native', 'build', 'probe'), join(dir, 'rootfs', 'bin', 'probe'));
  fs.chmodSync(join(dir, 'rootfs', 'bin', 'probe'), 0o755);
  const spec = defaults.defaultSpec({ args });
  spec.process.terminal = false;
  // crun 1.8.1 rejects newer spec versions ("unknown version specified").
  spec.ociVersion = '1.0.2';
  spec.root = { path: join(dir, 'rootfs'), readonly: true };
  fs.writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  return dir;
}
const bundle = makeBundle('true', ['/bin/probe', 'exit', '0']);
const sleeper = makeBundle('sleep', ['/bin/probe', 'sleep', '1000']);
const empty = join(work, 'empty.js');
fs.writeFileSync(empty, '');

// The mount namespace (performance.md §12). crun 1.8.1 refuses a hybrid host
// whose cgroup2 mount has controllers. §12 gives two views that crun accepts:
// `hybrid` (an empty file bind-mounted over unified/cgroup.controllers) and
// `legacy` (unified unmounted: pure v1). joey refuses the first one: it opens
// cgroupfs files without crossing mounts, so the bind-mounted file fails with
// EXDEV. The default is therefore `legacy`, entered by every runtime alike (the
// container then joins the v1 hierarchies only: one warm cgroup move fewer
// than on the host, for all three). BENCH_MNTNS=hybrid|legacy|host chooses.
const roots = {};
let holder = null;
let nsMode = 'host';
const ctrl = '/sys/fs/cgroup/unified/cgroup.controllers';
const pureV2 = fs.statfsSync('/sys/fs/cgroup').type === 0x63677270;
const wantNs = process.env.BENCH_MNTNS ?? 'legacy';
if (pureV2) nsMode = 'host (pure cgroup v2: no namespace needed)';
else if (wantNs !== 'host' && crunPath && fs.existsSync(ctrl) && fs.readFileSync(ctrl, 'utf8').trim() !== '') {
  const blank = join(work, 'empty-controllers');
  fs.writeFileSync(blank, '');
  const log = join(work, 'holder.log');
  const out = fs.openSync(log, 'w');
  const setup = wantNs === 'hybrid' ? `mount --bind ${blank} ${ctrl}` : 'umount /sys/fs/cgroup/unified';
  holder = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `${setup} && echo ok && exec sleep 1000000`], { stdio: ['ignore', out, out] });
  for (let i = 0; i < 400 && !fs.readFileSync(log, 'utf8').includes('ok'); i++) sleepSync(5);
  if (!fs.readFileSync(log, 'utf8').includes('ok')) {
    unavailable.crun = `could not make the mount-namespace holder: ${fs.readFileSync(log, 'utf8').trim()}`;
    holder.kill('SIGKILL');
    holder = null;
  } else
    nsMode =
      wantNs === 'hybrid'
        ? `private mount namespace (holder pid ${holder.pid}), \`${ctrl}\` masked by an empty file (performance.md §12 "hybrid"); every timed command of every runtime enters it (timer --mntns)`
        : `private mount namespace (holder pid ${holder.pid}) with \`/sys/fs/cgroup/unified\` unmounted (performance.md §12 "legacy": joey refuses the "hybrid" bind mount over cgroup.controllers with EXDEV); every timed command of every runtime enters it (timer --mntns)`;
}
// Whatever happens (an error, ^C), no container, state root or holder is left behind.
let finished = false;
process.on('exit', () => {
  if (!finished) {
    for (const [name, root] of Object.entries(roots)) {
      let ids = [];
      try {
        ids = fs.readdirSync(root).filter((d) => !d.startsWith('.'));
      } catch {
        /* never made */
      }
      const rt = runtimes[name.replace(/-one$/, '')];
      for (const id of ids) spawnSync(TIMER, [...nsArgs, rt, '--root', root, 'delete', '--force', id], { stdio: 'ignore' });
      fs.rmSync(root, { recursive: true, force: true });
    }
    fs.rmSync(work, { recursive: true, force: true });
  }
  holder?.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
const nsArgs = holder ? ['--mntns', `/proc/${holder.pid}/ns/mnt`] : [];

const rootFor = (name) => (roots[name] ??= fs.mkdtempSync(join('/run', `bench-${name}-`)));
let seq = 0;
const newId = (rt) => `b-${rt}-${process.pid}-${++seq}`;
const devnull = fs.openSync('/dev/null', 'r+');

class BenchError extends Error {}

/** Runs steps through the timer; returns one result per step ({wall, cpu, maxrss_kb, status, pid}) and captured stdout. */
function timer(steps, { gap = GAP_MS, capture = false, par = 0, env } = {}) {
  const argv = [...nsArgs];
  if (par) argv.push('--par', String(par));
  else if (gap) argv.push('--gap', String(gap));
  if (capture) argv.push('--capture');
  const errfile = join(work, 'stderr.txt');
  fs.rmSync(errfile, { force: true });
  argv.push('--errfile', errfile);
  steps.forEach((s, i) => argv.push(...(i ? ['---'] : []), ...s));
  const r = spawnSync(TIMER, argv, { encoding: 'utf8', stdio: [devnull, 'pipe', 'pipe'], env: env ?? process.env, maxBuffer: 256 << 20 });
  reapZombies();
  if (r.status !== 0) throw new BenchError(`timer failed (${r.status}): ${r.stderr.trim()}`);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const err = fs.existsSync(errfile) ? fs.readFileSync(errfile, 'utf8').trim() : '';
  // A failing command's own words go into the INVALID message.
  for (const l of lines) if (l.status !== undefined && l.status !== 0 && err) l.stderr = err.slice(-300);
  return { results: lines, out: r.stderr };
}
const rtArgv = (name, ...args) => (name === 'node' ? [NODE, ...args] : [runtimes[name], '--root', rootFor(name), ...args]);
// A second state root per runtime holding one running container: `state` and
// `list` are timed against it and against the main root (SCALE containers)
// in the same rounds, so the per-container cost is a paired difference.
const oneArgv = (name, ...args) => [runtimes[name], '--root', rootFor(`${name}-one`), ...args];
const runD = (name, bundleDir, id) => (name === 'joey' ? rtArgv(name, 'run', '-d', '--bundle', bundleDir, id) : rtArgv(name, 'run', '-d', '--bundle', bundleDir, id));
function mustPass(res, what) {
  if (res.status !== 0) throw new BenchError(`${what}: exited with status ${res.status}${res.stderr ? `: ${res.stderr}` : ''}`);
  return res;
}
/** One timed command; throws BenchError unless it exits 0. */
function timedOne(argv, what, opts) {
  return mustPass(timer([argv], opts).results[0], what);
}
/** An untimed command (still through the timer, in the namespace), which must exit 0; returns its stdout. */
function untimed(argv, what, capture = false) {
  // Never capture a command that leaves a container behind: the container
  // would inherit the pipe and spawnSync would wait for its EOF forever.
  const { results, out } = timer([argv], { gap: 0, capture });
  mustPass(results[0], what);
  return out;
}
function parse(out, what) {
  try {
    return JSON.parse(out);
  } catch {
    throw new BenchError(`${what}: exited 0 but printed no JSON (${JSON.stringify(out.slice(0, 200))})`);
  }
}
function stateOf(name, id) {
  return parse(untimed(rtArgv(name, 'state', id), `${name} state ${id}`, true), `${name} state ${id}`);
}
function assertRunning(name, id) {
  const st = stateOf(name, id);
  if (st.status !== 'running' || !alive(st.pid)) throw new BenchError(`${name} container ${id} is not running (status ${st.status}, pid ${st.pid})`);
  return st;
}
function cleanup(name, id) {
  spawnSync(TIMER, [...nsArgs, ...rtArgv(name, 'delete', '--force', id)], { stdio: 'ignore' });
  reapZombies();
}

// Samples: scenario -> runtime -> array indexed by round (undefined when missing).
const samples = {};
const invalid = {}; // scenario -> runtime -> message
const add = (scenario, name, round, s) => (((samples[scenario] ??= {})[name] ??= [])[round] = s);
function fail(scenario, name, err) {
  ((invalid[scenario] ??= {})[name] ??= err.message);
  process.stderr.write(`\nINVALID ${name} / ${scenario}: ${err.message}\n`);
}
function guarded(scenario, name, fn) {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof BenchError)) throw err;
    fail(scenario, name, err);
  }
}

// crun: can it run here (in the namespace)?
if (crunPath && !unavailable.crun) {
  runtimes.crun = crunPath;
  const r = timer([rtArgv('crun', 'run', '--bundle', bundle, newId('crun'))], { gap: 0 });
  if (r.results[0].status !== 0) {
    const why = spawnSync(crunPath, ['--root', rootFor('crun'), 'run', '--bundle', bundle, newId('crun')], { encoding: 'utf8' });
    delete runtimes.crun;
    unavailable.crun = `\`crun run\` exits ${r.results[0].status} here (${why.stderr.trim()}; the error is from the host namespace)`;
  }
}
const names = Object.keys(runtimes);
process.stderr.write(`bench: ${names.join(', ')}; ${ROUNDS} rounds; scale ${SCALE}; ${nsMode}\n`);

const timingsFile = join(work, 'timings.jsonl');
const joeyEnv = { ...process.env, JOEY_TIMINGS: timingsFile };
function takeTimings() {
  if (!fs.existsSync(timingsFile)) return [];
  const lines = fs.readFileSync(timingsFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  fs.rmSync(timingsFile);
  // create starts the init before its plan is ready (spawn-init.ts
  // StartedInit): Node's work between the spawn and the handover overlaps the
  // init's start-up and is not the init's part, so it is left out. create
  // joins stage 2 to the cgroups while it mounts (join0 = join1; without a
  // user or time namespace the init is stage 2 from its spawn): what is
  // left of the join on the init's path is stage 2's wait at sync-cgroup.
  const ms = (a, b) => Number(BigInt(a) - BigInt(b)) / 1e6;
  // The join: Node's, before the plan (exec), or what stage 2 waits for at
  // sync-cgroup (create: its stamps, init[sync + 1] .. init[sync + 2]).
  const syncWait = (t) => (t.sync >= 0 && t.init?.[t.sync + 2] ? ms(t.init[t.sync + 2], t.init[t.sync + 1]) : 0);
  return lines.map((t) => ({ spawnToReady: ms(t.ready, t.spawn) - (t.handover ? ms(t.handover, t.spawned) : 0), join: ms(t.join1, t.join0) + syncWait(t) }));
}

function roundFor(name, r) {
  const env = name === 'joey' ? joeyEnv : process.env;
  guarded('run (true)', name, () => {
    if (name === 'joey') takeTimings();
    add('run (true)', name, r, timedOne(rtArgv(name, 'run', '--bundle', bundle, newId(name)), `${name} run`, { env }));
    if (name === 'joey') {
      const [t] = takeTimings();
      if (!t) throw new BenchError('joey run wrote no JOEY_TIMINGS line');
      add('init: spawn → READY', 'joey', r, { wall: t.spawnToReady });
      add('init: cgroup join (in it)', 'joey', r, { wall: t.join });
      add('init: spawn → READY − join', 'joey', r, { wall: t.spawnToReady - t.join });
    }
  });
  guarded('create', name, () => {
    const id = newId(name);
    const steps = [rtArgv(name, 'create', '--bundle', bundle, id), rtArgv(name, 'start', id), ['@wait'], rtArgv(name, 'delete', id)];
    const { results } = timer(steps);
    const [c, s, w, d] = results;
    try {
      mustPass(c, `${name} create`);
      mustPass(s, `${name} start`);
      if (w.pid <= 0 || w.status !== 0) throw new BenchError(`${name}: the container did not exit 0 after start (wait status ${w.status}, pid ${w.pid})`);
      mustPass(d, `${name} delete`);
    } catch (err) {
      cleanup(name, id);
      throw err;
    }
    add('create', name, r, c);
    add('start', name, r, s);
    add('wait (start returned → exited)', name, r, { wall: w.wall });
    add('delete', name, r, d);
    add('create + start + wait + delete', name, r, { wall: c.wall + s.wall + w.wall + d.wall, cpu: c.cpu + s.cpu + d.cpu, maxrss_kb: Math.max(c.maxrss_kb, s.maxrss_kb, d.maxrss_kb) });
  });
  guarded('exec (true)', name, () => {
    const id = newId(name);
    try {
      untimed(runD(name, sleeper, id), `${name} run -d`);
      guarded('state (running)', name, () => {
        const res = timer([rtArgv(name, 'state', id)], { capture: true });
        const s = mustPass(res.results[0], `${name} state`);
        const st = parse(res.out, `${name} state`);
        if (st.status !== 'running' || !alive(st.pid)) throw new BenchError(`${name} state says ${st.status} for a running container`);
        add('state (running)', name, r, s);
      });
      const st = assertRunning(name, id);
      add('exec (true)', name, r, timedOne(rtArgv(name, 'exec', id, '/bin/probe', 'exit', '0'), `${name} exec`));
      guarded('kill KILL', name, () => {
        assertRunning(name, id);
        add('kill KILL', name, r, timedOne(rtArgv(name, 'kill', id, 'KILL'), `${name} kill`));
        if (!waitGone(st.pid)) throw new BenchError(`${name}: the container survived kill KILL`);
        untimed(rtArgv(name, 'delete', id), `${name} delete after kill`);
      });
    } finally {
      cleanup(name, id);
    }
  });
  guarded('delete --force (running)', name, () => {
    const id = newId(name);
    try {
      untimed(runD(name, sleeper, id), `${name} run -d`);
      const st = assertRunning(name, id);
      add('delete --force (running)', name, r, timedOne(rtArgv(name, 'delete', '--force', id), `${name} delete --force`));
      if (!waitGone(st.pid, 1000)) throw new BenchError(`${name}: the container survived delete --force`);
    } finally {
      cleanup(name, id);
    }
  });
}

const order0 = [...names, 'node', 'floor'];
for (let r = 0; r < ROUNDS; r++) {
  const order = order0.map((_, i) => order0[(i + r) % order0.length]);
  for (const name of order) {
    if (name === 'node') {
      guarded('node empty.js', 'node', () => add('node empty.js', 'node', r, timedOne([NODE, empty], 'node empty.js')));
      guarded(NODE_FLAGS, 'node', () => add(NODE_FLAGS, 'node', r, timedOne([NODE, ...JOEY_NODE_FLAGS, empty], NODE_FLAGS)));
      if (ENV_CA) guarded(NODE_CA, 'node', () => add(NODE_CA, 'node', r, timedOne([NODE, empty], NODE_CA, { env: { ...process.env, NODE_EXTRA_CA_CERTS: ENV_CA } })));
    }
    else if (name === 'floor')
      guarded('C floor (starter)', 'floor', () => {
        const res = timer([[FLOOR, join(bundle, 'rootfs'), '/bin/probe', 'exit', '0']], { capture: true });
        const s = mustPass(res.results[0], 'floor');
        add('C floor (starter)', 'floor', r, s);
        add('C floor: spawn → READY', 'floor', r, { wall: parse(res.out, 'floor').ready_ms });
      });
    else roundFor(name, r);
  }
  process.stderr.write(`\rround ${r + 1}/${ROUNDS} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
process.stderr.write('\n');

// ---- Scale: SCALE detached containers per runtime, phase by phase, runtimes in turn.
function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
}
const scale = Object.fromEntries(names.map((n) => [n, {}]));
const scaleInvalid = {};
function scaleGuard(name, phase, fn) {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof BenchError)) throw err;
    (scaleInvalid[name] ??= {})[phase] = err.message;
    process.stderr.write(`\nINVALID ${name} / scale ${phase}: ${err.message}\n`);
  }
}
const ids = Object.fromEntries(names.map((n) => [n, []]));
function listRunning(name) {
  const out = untimed(rtArgv(name, 'list', '--format', 'json'), `${name} list`, true);
  const arr = parse(out.trim() || '[]', `${name} list`) ?? [];
  return arr.filter((c) => c.status === 'running').length;
}
/**
 * `state` and `list` with one container present and with SCALE present, interleaved
 * in the same rounds (order rotated): the one-container root holds a running
 * sleeper of its own, so both cases ask about a running container.
 */
function stateListReps() {
  const st = { one: {}, n: {} };
  const ls = { one: {}, n: {} };
  for (const name of names) for (const k of ['one', 'n']) (st[k][name] = []), (ls[k][name] = []);
  for (let i = 0; i < REPS; i++) {
    for (const name of names.map((_, k) => names[(k + i) % names.length])) {
      scaleGuard(name, 'state/list', () => {
        const cases = [
          ['n', (...a) => rtArgv(name, ...a), ids[name][i % ids[name].length]],
          ['one', (...a) => oneArgv(name, ...a), scale[name].oneId],
        ];
        if (i % 2) cases.reverse();
        for (const [k, argv, id] of cases) {
          const s = timer([argv('state', id)], { capture: true });
          mustPass(s.results[0], `${name} state`);
          if (parse(s.out, `${name} state`).status !== 'running') throw new BenchError(`${name} state of ${id} is not running`);
          st[k][name].push(s.results[0]);
          const l = timer([argv('list')], { capture: true });
          mustPass(l.results[0], `${name} list`);
          ls[k][name].push(l.results[0]);
        }
      });
    }
  }
  for (const name of names) {
    const wall = (xs) => xs.map((x) => x.wall);
    const diff = (a, b) => median(a.map((x, j) => x.wall - b[j].wall));
    scale[name].state0 = median(wall(st.one[name]));
    scale[name].stateN = median(wall(st.n[name]));
    scale[name].list0 = median(wall(ls.one[name]));
    scale[name].listN = median(wall(ls.n[name]));
    // medians of the per-round differences, per extra container
    scale[name].listPerContainerMs = diff(ls.n[name], ls.one[name]) / (SCALE - 1);
    scale[name].statePerContainerMs = diff(st.n[name], st.one[name]) / (SCALE - 1);
    scale[name].peakStateListMB = Math.max(...[...st.one[name], ...st.n[name], ...ls.one[name], ...ls.n[name]].map((x) => x.maxrss_kb / 1024));
  }
}
function batch(name, phase, argvs, par) {
  const { results } = timer(argvs, { par });
  const total = results.pop().total;
  const bad = results.filter((x) => x.status !== 0).length;
  if (bad) throw new BenchError(`${bad} of ${argvs.length} commands failed`);
  scale[name][phase] = { totalMs: total, perContainerMs: total / argvs.length, opMedianMs: median(results.map((x) => x.wall)), peakMB: Math.max(...results.map((x) => x.maxrss_kb)) / 1024 };
}
function startAll(name, par) {
  ids[name] = Array.from({ length: SCALE }, () => newId(name));
  batch(name, par === 1 ? 'runDetachedSerial' : 'runDetachedPar2', ids[name].map((id) => runD(name, sleeper, id)), par);
  const n = listRunning(name);
  if (n !== SCALE) throw new BenchError(`${n} of ${SCALE} containers running after run -d`);
}
function deleteAll(name, par) {
  const pids = ids[name].map((id) => stateOf(name, id).pid);
  batch(name, par === 1 ? 'deleteForceSerial' : 'deleteForcePar2', ids[name].map((id) => rtArgv(name, 'delete', '--force', id)), par);
  for (const p of pids) if (!waitGone(p, 2000)) throw new BenchError(`container pid ${p} survived delete --force`);
  if (listRunning(name) !== 0) throw new BenchError('containers left after delete --force');
}

/** Processes of the runtime (not the containers') alive now, and memory per container. */
function resident(name) {
  const containerPids = new Set(ids[name].map((id) => stateOf(name, id).pid));
  const mark = [rootFor(name), ...ids[name]];
  const cgroupPids = new Set();
  const mem = [];
  for (const p of containerPids) {
    const status = fs.readFileSync(`/proc/${p}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    const pss = Number(/Pss:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))?.[1] ?? NaN);
    const cg = fs.readFileSync(`/proc/${p}/cgroup`, 'utf8');
    let memcg = NaN, kmem = NaN;
    const v1 = /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(.*)$/m.exec(cg);
    const v2 = /^0::(.*)$/m.exec(cg);
    try {
      if (v1) {
        const dir = join('/sys/fs/cgroup/memory', v1[1]);
        memcg = Number(fs.readFileSync(join(dir, 'memory.usage_in_bytes'), 'utf8')) / 1024;
        kmem = Number(fs.readFileSync(join(dir, 'memory.kmem.usage_in_bytes'), 'utf8')) / 1024;
        for (const q of fs.readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) cgroupPids.add(Number(q));
      } else if (v2 && pureV2) {
        const dir = join('/sys/fs/cgroup', v2[1]);
        memcg = Number(fs.readFileSync(join(dir, 'memory.current'), 'utf8')) / 1024;
        kmem = Number(/^kernel (\d+)/m.exec(fs.readFileSync(join(dir, 'memory.stat'), 'utf8'))?.[1] ?? NaN) / 1024;
        for (const q of fs.readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) cgroupPids.add(Number(q));
      }
    } catch {
      /* not measurable here */
    }
    mem.push({ rss, pss, memcg, kmem });
  }
  const runtimeProcs = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid || containerPids.has(Number(p))) continue;
    let cmd = '';
    try {
      cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    if (cgroupPids.has(Number(p)) || mark.some((m) => cmd.includes(m))) runtimeProcs.push(`${p} ${cmd.slice(0, 80)}`);
  }
  scale[name].resident = {
    containerProcesses: containerPids.size,
    runtimeProcesses: runtimeProcs.length,
    runtimeProcessList: runtimeProcs.slice(0, 5),
    rssKB: median(mem.map((m) => m.rss)),
    pssKB: median(mem.map((m) => m.pss)),
    memcgKB: median(mem.map((m) => m.memcg)),
    memcgKernelKB: median(mem.map((m) => m.kmem)),
  };
}
/** After a `create` (container parked before start): what of the runtime stays? */
function afterCreate(name) {
  const id = newId(name);
  try {
    untimed(rtArgv(name, 'create', '--bundle', sleeper, id), `${name} create`);
    const st = stateOf(name, id);
    const procs = [];
    for (const p of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(p) || Number(p) === process.pid || Number(p) === st.pid) continue;
      try {
        const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
        if (cmd.includes(rootFor(name)) || cmd.includes(id)) procs.push(`${p} ${cmd.slice(0, 80)}`);
      } catch {
        /* gone */
      }
    }
    scale[name].afterCreate = { runtimeProcesses: procs.length, list: procs };
    scale[name].probeId = id;
  } catch (err) {
    cleanup(name, id);
    throw err;
  }
}

process.stderr.write('scale: after create, ');
for (const name of names) scaleGuard(name, 'after create', () => afterCreate(name));
for (const name of names) cleanup(name, scale[name].probeId);
for (const name of names) {
  scaleGuard(name, 'run -d serial', () => startAll(name, 1));
  process.stderr.write(`${name} ${SCALE} serial, `);
}
for (const name of names) scaleGuard(name, 'resident', () => resident(name));
for (const name of names) {
  scaleGuard(name, 'state/list', () => {
    scale[name].oneId = newId(name);
    untimed(oneArgv(name, 'run', '-d', '--bundle', sleeper, scale[name].oneId), `${name} run -d (one-container root)`);
  });
}
stateListReps();
for (const name of names) spawnSync(TIMER, [...nsArgs, ...oneArgv(name, 'delete', '--force', scale[name].oneId)], { stdio: 'ignore' });
reapZombies();
for (const name of names) {
  scaleGuard(name, 'delete --force serial', () => deleteAll(name, 1));
  process.stderr.write(`${name} delete, `);
}
for (const name of names) {
  scaleGuard(name, 'run -d two at a time', () => startAll(name, 2));
  scaleGuard(name, 'delete --force two at a time', () => deleteAll(name, 2));
  process.stderr.write(`${name} par2, `);
}
process.stderr.write('\n');

// ---- Leftovers: every runtime's list must be empty; then remove state roots.
const leftovers = {};
for (const name of names) {
  const out = spawnSync(TIMER, [...nsArgs, '--capture', ...rtArgv(name, 'list', '--format', 'json')], { encoding: 'utf8' }).stderr.trim();
  const left = out ? (JSON.parse(out) ?? []) : [];
  if (left.length) {
    leftovers[name] = left.map((c) => c.id);
    for (const c of left) cleanup(name, c.id);
  }
}

// ---- Summaries.
const nodeRow = samples['node empty.js']?.node ?? [];
const pairedRatio = (a = [], b = []) => median(a.map((s, i) => (s && b[i] ? s.wall / b[i].wall : NaN)));
const rows = [];
for (const [scenario, byRt] of Object.entries(samples)) {
  if (scenario.startsWith('node empty.js') || scenario.startsWith('C floor') || scenario.startsWith('init:')) continue;
  const row = { scenario, invalid: invalid[scenario] ?? {} };
  for (const name of names) {
    const xs = (byRt[name] ?? []).filter(Boolean);
    if (invalid[scenario]?.[name] || !xs.length) continue;
    row[name] = { n: xs.length, wall: median(xs.map((s) => s.wall)), cpu: median(xs.map((s) => s.cpu)), maxrss_mb: xs.some((s) => s.maxrss_kb !== undefined) ? Math.max(...xs.map((s) => s.maxrss_kb ?? 0)) / 1024 : NaN };
  }
  const ok = (n) => row[n] !== undefined;
  if (ok('joey') && ok('runc')) row.joeyOverRunc = pairedRatio(byRt.joey, byRt.runc);
  if (ok('joey') && ok('crun')) row.joeyOverCrun = pairedRatio(byRt.joey, byRt.crun);
  if (ok('joey') && !scenario.startsWith('wait')) row.joeyOverNode = pairedRatio(byRt.joey, nodeRow);
  rows.push(row);
}
const init = {
  spawnToReady: median((samples['init: spawn → READY']?.joey ?? []).filter(Boolean).map((s) => s.wall)),
  join: median((samples['init: cgroup join (in it)']?.joey ?? []).filter(Boolean).map((s) => s.wall)),
  withoutJoin: median((samples['init: spawn → READY − join']?.joey ?? []).filter(Boolean).map((s) => s.wall)),
  floorReady: median((samples['C floor: spawn → READY']?.floor ?? []).filter(Boolean).map((s) => s.wall)),
  floorWall: median((samples['C floor (starter)']?.floor ?? []).filter(Boolean).map((s) => s.wall)),
  ratio: pairedRatio(samples['init: spawn → READY − join']?.joey, samples['C floor: spawn → READY']?.floor),
  ratioWithJoin: pairedRatio(samples['init: spawn → READY']?.joey, samples['C floor: spawn → READY']?.floor),
};
const nodeEmpty = {
  wall: median(nodeRow.filter(Boolean).map((s) => s.wall)),
  cpu: median(nodeRow.filter(Boolean).map((s) => s.cpu)),
  maxrss_mb: Math.max(...nodeRow.filter(Boolean).map((s) => s.maxrss_kb)) / 1024,
};
const row = (s) => rows.find((r) => r.scenario === s);
const joeyPeakMB = Math.max(...rows.map((r) => (Number.isFinite(r.joey?.maxrss_mb) ? r.joey.maxrss_mb : 0)), ...['runDetachedSerial', 'runDetachedPar2', 'deleteForceSerial', 'deleteForcePar2'].map((p) => scale.joey?.[p]?.peakMB ?? 0), scale.joey?.peakStateListMB ?? 0);
const targets = [];
const target = (what, measured, limit, met, note = '') => targets.push({ what, measured, limit, met: Number.isFinite(measured) ? met : null, note });
target('`joey run` ≤ 1.3 × `node empty.js`', row('run (true)')?.joeyOverNode, '1.3×', row('run (true)')?.joeyOverNode <= 1.3);
for (const op of ['start', 'state (running)', 'kill KILL', 'delete']) target(`\`joey ${op}\` ≤ 1.15 × \`node empty.js\``, row(op)?.joeyOverNode, '1.15×', row(op)?.joeyOverNode <= 1.15);
target("C init's part of a start (spawn → READY, minus the cgroup join) ≤ 1.5 × the C floor's spawn → READY", init.ratio, '1.5×', init.ratio <= 1.5, `spawn → READY with the join: ${init.ratioWithJoin?.toFixed(2)}× the floor`);
target('peak RSS of any joey process ≤ 50 MB', joeyPeakMB, '50 MB', joeyPeakMB <= 50);
target('nothing of joey resident after create', scale.joey?.afterCreate?.runtimeProcesses, '0 processes', scale.joey?.afterCreate?.runtimeProcesses === 0, `after ${SCALE} × run -d: ${scale.joey?.resident?.runtimeProcesses ?? '?'} runtime processes`);
target('`delete --force` of a running container faster than runc', row('delete --force (running)')?.joeyOverRunc, '< 1× runc', row('delete --force (running)')?.joeyOverRunc < 1);
target('`list` cost per container like crun (≈0.04 ms), not runc (≈0.34 ms)', scale.joey?.listPerContainerMs, '≤ 0.1 ms', scale.joey?.listPerContainerMs <= 0.1, `runc ${scale.runc?.listPerContainerMs?.toFixed(3) ?? '–'}, crun ${scale.crun?.listPerContainerMs?.toFixed(3) ?? '–'} ms in this run`);
target('`state` cost per container like crun, not runc', scale.joey?.statePerContainerMs, '≤ 0.1 ms', scale.joey?.statePerContainerMs <= 0.1, `runc ${scale.runc?.statePerContainerMs?.toFixed(3) ?? '–'}, crun ${scale.crun?.statePerContainerMs?.toFixed(3) ?? '–'} ms in this run`);

const buildChanged = buildStamp() !== build0;
if (buildChanged) process.stderr.write('\nWARNING: dist/cli-bundle changed during the run: joey\'s figures mix two builds\n');
const result = {
  buildChangedDuringRun: buildChanged,
  date: new Date().toISOString(),
  rounds: ROUNDS,
  scale: SCALE,
  reps: REPS,
  gapMs: GAP_MS,
  durationS: (Date.now() - t0) / 1000,
  loadavg: { start: loadStart, end: fs.readFileSync('/proc/loadavg', 'utf8').trim() },
  versions: version,
  mountNamespace: nsMode,
  runtimes: names,
  nodeWithJoeyFlags: { flags: JOEY_NODE_FLAGS, wallMs: median((samples[NODE_FLAGS]?.node ?? []).filter(Boolean).map((s) => s.wall)) },
  nodeExtraCaCerts: ENV_CA ? { file: ENV_CA, nodeEmptyWallMs: median((samples[NODE_CA]?.node ?? []).filter(Boolean).map((s) => s.wall)) } : null,
  unavailable,
  nodeEmpty,
  rows,
  init,
  scaleResults: scale,
  targets,
  invalid,
  scaleInvalid,
  leftovers,
};

// ---- Markdown.
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const f3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : '–');
const has = (n) => names.includes(n);
let md = `# joey vs runc${has('crun') ? ' and crun' : ''} — ${result.date}\n\n`;
md += `${ROUNDS} interleaved rounds (joey, ${names.filter((n) => n !== 'joey').join(', ')}, \`node empty.js\`, the C floor), order rotated every round, ${GAP_MS} ms idle gap before each timed command; medians; ratios are medians of per-round paired ratios. Timed by bench/timer.c (static C, child subreaper).\n\n`;
md += `- load average: ${result.loadavg.start} at the start, ${result.loadavg.end} at the end (2 vCPUs; other builds were running: compare ratios, not milliseconds). Took ${f1(result.durationS)} s.\n`;
md += `- ${Object.entries(version).map(([k, v]) => `${k}: ${v}`).join('; ')}\n`;
md += `- mount namespace: ${nsMode}\n`;
if (buildChanged) md += `- **WARNING: joey's build (dist/cli-bundle) changed during the run; its figures mix two builds.**\n`;
md += `- \`node empty.js\`: ${f1(nodeEmpty.wall)} ms wall, ${f1(nodeEmpty.cpu)} ms CPU, ${f1(nodeEmpty.maxrss_mb)} MB peak RSS. Every timed command runs without NODE_EXTRA_CA_CERTS, as bin/joey runs Node.\n`;
const flagsRow = (samples[NODE_FLAGS]?.node ?? []).filter(Boolean);
if (flagsRow.length) md += `- \`node ${JOEY_NODE_FLAGS.join(' ')} empty.js\`, Node started as bin/joey starts it: ${f1(median(flagsRow.map((s) => s.wall)))} ms wall (${f2(pairedRatio(samples[NODE_FLAGS].node, nodeRow))}× the floor above). Part of joey's ratio to the floor comes from these flags; the floor is plain \`node empty.js\`.\n`;
const caRow = (samples[NODE_CA]?.node ?? []).filter(Boolean);
if (caRow.length) md += `- \`node empty.js\` with this environment's NODE_EXTRA_CA_CERTS=${ENV_CA}: ${f1(median(caRow.map((s) => s.wall)))} ms wall (${f2(pairedRatio(samples[NODE_CA].node, nodeRow))}× the floor above). Node parses that CA bundle at every start; bin/joey unsets the variable, so joey does not pay it, and it is not the floor.\n`;
md += `- unavailable: ${Object.entries(unavailable).map(([k, v]) => `${k} (${v})`).join('; ') || 'none'}.\n\n`;
const others = names.filter((n) => n !== 'joey');
md += `| operation | joey ms | ${others.map((n) => `${n} ms`).join(' | ')} | ${others.map((n) => `joey/${n}`).join(' | ')} | joey/node-empty | joey CPU ms | ${others.map((n) => `${n} CPU ms`).join(' | ')} | peak RSS MB (${names.join(' / ')}) |\n`;
md += `|---|---|${others.map(() => '---|').join('')}${others.map(() => '---|').join('')}---|---|${others.map(() => '---|').join('')}---|\n`;
for (const r of rows) {
  const cell = (n) => (r.invalid[n] ? '**INVALID**' : f1(r[n]?.wall));
  const ratio = (n) => f2(n === 'runc' ? r.joeyOverRunc : r.joeyOverCrun);
  md += `| ${r.scenario} | ${cell('joey')} | ${others.map(cell).join(' | ')} | ${others.map(ratio).join(' | ')} | ${f2(r.joeyOverNode)} | ${f1(r.joey?.cpu)} | ${others.map((n) => f1(r[n]?.cpu)).join(' | ')} | ${names.map((n) => f1(r[n]?.maxrss_mb)).join(' / ')} |\n`;
}
md += `\n## The C init's part of a start\n\njoey's \`run\` with \`JOEY_TIMINGS\` (src/process/spawn-init.ts): from just before Node spawns joey-init to the init's READY (container set up, waiting to exec), less the time Node spends preparing the plan after the spawn (create starts the init first, so that work overlaps the init's exec and start-up: without a user namespace the init is cloned into its pid namespace already and waits for the plan, with one stage 1 runs from the plan's first part meanwhile) and less stage 2's wait at sync-cgroup for Node's cgroup join (the join the floor does not do; Node's cgroup work runs meanwhile, on the other CPU, and what it takes from the init is counted), paired with bench/floor.c — a single-threaded C starter that spawns a separate init which does what runc does for this config.json minus cgroups and seccomp (performance.md §8.1) — timed the same way (spawn → READY).\n\n`;
md += `| | median ms |\n|---|---|\n| joey spawn → READY | ${f2(init.spawnToReady)} |\n| of which the init waits for Node's cgroup join (at sync-cgroup: create joins stage 2 while it mounts) | ${f2(init.join)} |\n| joey spawn → READY − join | ${f2(init.withoutJoin)} |\n| C floor spawn → READY | ${f2(init.floorReady)} |\n| C floor, whole run (fork → container exited) | ${f2(init.floorWall)} |\n| **ratio (joey − join) / floor** | **${f2(init.ratio)}×** |\n| ratio with the join | ${f2(init.ratioWithJoin)}× |\n`;
md += `\n## ${SCALE} detached containers (\`run -d\` of \`probe sleep 1000\`, private --root)\n\n`;
const sc = (n, p) => scale[n]?.[p];
md += `| | ${names.join(' | ')} |\n|---|${names.map(() => '---|').join('')}\n`;
const srow = (label, fn) => (md += `| ${label} | ${names.map((n) => (scaleInvalid[n] && Object.keys(scaleInvalid[n]).some((k) => label.toLowerCase().includes(k.split(' ')[0])) ? '**INVALID** ' : '') + fn(n)).join(' | ')} |\n`);
srow(`run -d × ${SCALE}, one after another: total s (per container ms)`, (n) => `${f2(sc(n, 'runDetachedSerial')?.totalMs / 1000)} (${f1(sc(n, 'runDetachedSerial')?.perContainerMs)})`);
srow(`run -d × ${SCALE}, two at a time: total s (per container ms)`, (n) => `${f2(sc(n, 'runDetachedPar2')?.totalMs / 1000)} (${f1(sc(n, 'runDetachedPar2')?.perContainerMs)})`);
srow(`delete --force × ${SCALE}, one after another: total s (per container ms)`, (n) => `${f2(sc(n, 'deleteForceSerial')?.totalMs / 1000)} (${f1(sc(n, 'deleteForceSerial')?.perContainerMs)})`);
srow(`delete --force × ${SCALE}, two at a time: total s (per container ms)`, (n) => `${f2(sc(n, 'deleteForcePar2')?.totalMs / 1000)} (${f1(sc(n, 'deleteForcePar2')?.perContainerMs)})`);
srow(`state with 1 / ${SCALE} present, ms`, (n) => `${f1(sc(n, 'state0'))} / ${f1(sc(n, 'stateN'))}`);
srow(`list with 1 / ${SCALE} present, ms`, (n) => `${f1(sc(n, 'list0'))} / ${f1(sc(n, 'listN'))}`);
srow('list, cost per container ms', (n) => f3(sc(n, 'listPerContainerMs')));
srow('state, cost per container ms', (n) => f3(sc(n, 'statePerContainerMs')));
srow('runtime processes left after `create`', (n) => String(sc(n, 'afterCreate')?.runtimeProcesses ?? '–'));
srow(`runtime processes left with ${SCALE} running`, (n) => String(sc(n, 'resident')?.runtimeProcesses ?? '–'));
srow('per container: RSS / PSS of its process, KiB', (n) => `${f1(sc(n, 'resident')?.rssKB)} / ${f1(sc(n, 'resident')?.pssKB)}`);
srow('per container: memory cgroup usage (kernel part), KiB', (n) => `${f1(sc(n, 'resident')?.memcgKB)} (${f1(sc(n, 'resident')?.memcgKernelKB)})`);
srow('peak RSS of the runtime in the scale phases, MB', (n) => f1(Math.max(...['runDetachedSerial', 'runDetachedPar2', 'deleteForceSerial', 'deleteForcePar2'].map((p) => sc(n, p)?.peakMB ?? 0), sc(n, 'peakStateListMB') ?? 0)));
md += `\n## Targets (issue #7, performance.md §13)\n\n| target | measured | limit | |\n|---|---|---|---|\n`;
for (const t of targets) md += `| ${t.what} | ${typeof t.measured === 'number' ? (t.limit.includes('ms') ? `${f3(t.measured)} ms` : t.limit.includes('MB') ? `${f1(t.measured)} MB` : t.limit.includes('process') ? String(t.measured) : `${f2(t.measured)}×`) : '–'} | ${t.limit} | ${t.met === null ? 'not measured' : t.met ? '**met**' : '**not met**'}${t.note ? ` (${t.note})` : ''} |\n`;
const allInvalid = [...Object.entries(invalid).flatMap(([s, m]) => Object.entries(m).map(([n, e]) => `${n} / ${s}: ${e}`)), ...Object.entries(scaleInvalid).flatMap(([n, m]) => Object.entries(m).map(([p, e]) => `${n} / scale ${p}: ${e}`))];
md += `\n## Invalid cells\n\n${allInvalid.length ? allInvalid.map((x) => `- **${x}**`).join('\n') : 'none: every timed command exited 0, and every container was running before exec, kill and delete --force.'}\n`;
if (Object.keys(leftovers).length) md += `\nLeft over (removed): ${JSON.stringify(leftovers)}\n`;

// ---- SVG: per operation, joey/node-empty, joey/runc, joey/crun.
const series = [['joeyOverNode', '#999', 'joey / node empty.js'], ['joeyOverRunc', '#36c', 'joey / runc'], ['joeyOverCrun', '#c63', 'joey / crun']].filter(([k]) => rows.some((r) => Number.isFinite(r[k])));
const W = 760, barH = 11, left = 230;
const rowH = series.length * (barH + 2) + 10;
const plotted = rows.filter((r) => series.some(([k]) => Number.isFinite(r[k])));
const maxRatio = Math.max(2, ...plotted.flatMap((r) => series.map(([k]) => (Number.isFinite(r[k]) ? r[k] : 0))));
const x = (v) => left + (v / maxRatio) * (W - left - 60);
const H = plotted.length * rowH + 70;
let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">\n<rect width="100%" height="100%" fill="#fff"/>\n`;
svg += `<text x="10" y="18" font-weight="bold">joey wall-time ratios, paired per round (lower is better; dashed line = 1×)</text>\n`;
series.forEach(([, color, label], i) => (svg += `<rect x="${10 + i * 190}" y="28" width="12" height="12" fill="${color}"/><text x="${26 + i * 190}" y="38">${label}</text>\n`));
svg += `<line x1="${x(1)}" y1="48" x2="${x(1)}" y2="${H - 10}" stroke="#c00" stroke-dasharray="4"/>\n`;
plotted.forEach((r, i) => {
  const y = 56 + i * rowH;
  svg += `<text x="10" y="${y + 12}">${r.scenario.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>\n`;
  series.forEach(([k, color], j) => {
    if (!Number.isFinite(r[k])) return;
    const yy = y + j * (barH + 2);
    svg += `<rect x="${left}" y="${yy}" width="${Math.max(1, x(r[k]) - left)}" height="${barH}" fill="${color}"/><text x="${x(r[k]) + 4}" y="${yy + 10}" font-size="10">${f2(r[k])}×</text>\n`;
  });
});
svg += '</svg>\n';

// BENCH_OUT: another directory for the results (CI's smoke run must not
// overwrite the committed ones).
const OUT_DIR = process.env.BENCH_OUT ?? join(HERE, 'results');
fs.mkdirSync(OUT_DIR, { recursive: true });
fs.writeFileSync(join(OUT_DIR, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
fs.writeFileSync(join(OUT_DIR, 'latest.md'), md);
fs.writeFileSync(join(OUT_DIR, 'latest.svg'), svg);
process.stdout.write(md);

for (const r of Object.values(roots)) fs.rmSync(r, { recursive: true, force: true });
fs.rmSync(work, { recursive: true, force: true });
finished = true;
holder?.kill('SIGKILL');
process.exitCode = allInvalid.length ? 1 : 0;
