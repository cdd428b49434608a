// cri-test.mjs: a small CRI v1 client (gRPC over containerd's unix socket) that drives joey as
// a RuntimeClass handler, the way kubelet would, and checks the pods from the inside.
// Run by test/e2e/cri/run.sh (phases `main` and `errors`); see shared/docs/k8s.md for what the
// runtime receives per pod shape. Plain ESM JavaScript: the gRPC libraries live outside the
// checkout (NODE_PATH), so this file is not part of the TypeScript build.
import { createRequire } from 'node:module';
import { readFileSync, readlinkSync, existsSync, appendFileSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

const require = createRequire(join(process.env.NODE_PATH ?? '.', 'x.js'));
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const HERE = dirname(fileURLToPath(import.meta.url));
const SOCK = process.env.CRI_SOCK;
const W = process.env.CRI_W;
const RT = process.env.CRI_RT;
const CG_PARENT = process.env.CRI_CG_PARENT ?? 'joey-e2e-cri';
const ROUNDS = Number(process.env.ROUNDS ?? '5');
const phase = process.argv[2] ?? 'main';
if (!SOCK || !W || !RT) {
  console.error('cri-test.mjs: set CRI_SOCK, CRI_W and CRI_RT (run it through test/e2e/cri/run.sh)');
  process.exit(2);
}

const BUSYBOX = 'localhost/joey-busybox:latest';
const MiB = 1024 * 1024;

const def = protoLoader.loadSync(join(HERE, 'cri-api.proto'), { keepCase: false, longs: Number, enums: String, defaults: true });
const { RuntimeService } = grpc.loadPackageDefinition(def).runtime.v1;
const client = new RuntimeService(`unix://${SOCK}`, grpc.credentials.createInsecure());

/** One RPC, promisified, with a deadline well above containerd's own stop timeouts. */
function cri(method, req, seconds = 60) {
  return new Promise((resolve, reject) => {
    client[method](req, { deadline: Date.now() + seconds * 1000 }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

// --- reporting -------------------------------------------------------------------------------
let passed = 0;
const failures = [];
function ok(name) {
  passed++;
  console.log(`ok - ${name}`);
}
function notOk(name, detail) {
  failures.push(name);
  console.log(`not ok - ${name}\n  ${String(detail).split('\n').join('\n  ')}`);
}
function check(name, cond, detail) {
  cond ? ok(name) : notOk(name, detail);
}
function eq(name, got, want) {
  check(name, got === want, `got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}
async function step(name, fn) {
  try {
    return await fn();
  } catch (e) {
    notOk(name, e?.details ?? e?.message ?? e);
    return undefined;
  }
}

// --- pods ------------------------------------------------------------------------------------
const sandboxes = new Set(); // everything we created, for the cleanup
let seq = 0;

function podConfig(name, { hostNet = false, sharePid = false, cgroupParent } = {}) {
  const uid = `joey-e2e-${name}-${process.pid}-${++seq}`;
  const logDir = join(W, 'logs', uid);
  mkdirSync(logDir, { recursive: true });
  return {
    metadata: { name, uid, namespace: 'joey-e2e', attempt: 0 },
    hostname: hostNet ? '' : `joey-${name}`,
    logDirectory: logDir,
    labels: { 'joey-e2e': 'true' },
    annotations: { 'example.com/e2e': name },
    linux: {
      cgroupParent: cgroupParent === undefined ? `/${CG_PARENT}/pod${uid}` : cgroupParent,
      securityContext: {
        namespaceOptions: { network: hostNet ? 'NODE' : 'POD', pid: sharePid ? 'POD' : 'CONTAINER', ipc: 'POD' },
      },
    },
  };
}

function containerConfig(name, sandboxConfig, { command, memory, sharePid = false, hostNet = false } = {}) {
  return {
    metadata: { name, attempt: 0 },
    image: { image: BUSYBOX },
    // sh as PID 1 ignores SIGTERM without a handler; the trap lets StopContainer's TERM end it
    command: command ?? ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'],
    logPath: `${name}.log`,
    linux: {
      resources: memory ? { memoryLimitInBytes: memory } : {},
      securityContext: {
        namespaceOptions: { network: hostNet ? 'NODE' : 'POD', pid: sharePid ? 'POD' : 'CONTAINER', ipc: 'POD' },
      },
    },
    annotations: { 'example.com/container': name },
  };
}

async function runPod(handler, config) {
  const { podSandboxId } = await cri('RunPodSandbox', { config, runtimeHandler: handler });
  sandboxes.add(podSandboxId);
  appendFileSync(join(W, 'ids'), `${podSandboxId}\n`);
  return podSandboxId;
}

async function startContainer(sandboxId, sandboxConfig, cconfig) {
  const { containerId } = await cri('CreateContainer', { podSandboxId: sandboxId, config: cconfig, sandboxConfig });
  appendFileSync(join(W, 'ids'), `${containerId}\n`);
  await cri('StartContainer', { containerId });
  return containerId;
}

async function removePod(id) {
  await cri('StopPodSandbox', { podSandboxId: id });
  await cri('RemovePodSandbox', { podSandboxId: id });
  sandboxes.delete(id);
}

async function exec(containerId, cmd, timeout = 20) {
  const r = await cri('ExecSync', { containerId, cmd, timeout });
  return { out: Buffer.from(r.stdout).toString(), err: Buffer.from(r.stderr).toString(), code: r.exitCode };
}

async function sandboxPid(id) {
  const r = await cri('PodSandboxStatus', { podSandboxId: id, verbose: true });
  const info = JSON.parse(r.info.info ?? '{}');
  return { pid: info.pid, status: r.status, info };
}

function bundleConfig(id) {
  return JSON.parse(readFileSync(join(W, 'state/io.containerd.runtime.v2.task/k8s.io', id, 'config.json'), 'utf8'));
}

/** busybox readlink takes one path: loop in the container's shell */
function nsCmd(kinds) {
  return ['sh', '-c', `for n in ${kinds}; do readlink /proc/self/ns/$n; done`];
}

function ns(pid, kind) {
  return readlinkSync(`/proc/${pid}/ns/${kind}`);
}

function joeyState(id) {
  try {
    return JSON.parse(execFileSync(RT, ['--root', join(W, 'joey-root/k8s.io'), 'state', id], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch {
    return null;
  }
}

function cgroupDir(controller, cgroupsPath) {
  return join('/sys/fs/cgroup', controller, cgroupsPath);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

// --- the checks --------------------------------------------------------------------------------

async function podNetworkPod() {
  console.log('# pod-network pod (handler joey, loopback-only CNI, cgroup parent, memory limit, exec, update, stats, stop)');
  const cfg = podConfig('podnet');
  const t0 = performance.now();
  const sid = await runPod('joey', cfg);
  const cid = await startContainer(sid, cfg, containerConfig('app', cfg, { memory: 128 * MiB, command: ['sh', '-c', 'echo hello from joey; trap "exit 0" TERM; sleep 3600 & wait'] }));
  console.log(`# RunPodSandbox → started container: ${(performance.now() - t0).toFixed(0)} ms`);

  const sb = bundleConfig(sid);
  const ct = bundleConfig(cid);
  eq('podnet: sandbox cgroupsPath is <parent>/<id>', sb.linux.cgroupsPath, `/${CG_PARENT}/pod${cfg.metadata.uid}/${sid}`);
  eq('podnet: container cgroupsPath is <parent>/<id>', ct.linux.cgroupsPath, `/${CG_PARENT}/pod${cfg.metadata.uid}/${cid}`);
  eq('podnet: sandbox annotation container-type', sb.annotations?.['io.kubernetes.cri.container-type'], 'sandbox');
  eq('podnet: pod annotation passed to the runtime (pod_annotations)', sb.annotations?.['example.com/e2e'], 'podnet');
  const netPath = sb.linux.namespaces.find((n) => n.type === 'network')?.path ?? '';
  check('podnet: sandbox joins the CNI netns by path', netPath.startsWith(join(W, 'state')), `network path ${JSON.stringify(netPath)}`);
  const ctNs = Object.fromEntries(ct.linux.namespaces.map((n) => [n.type, n.path ?? '']));
  check('podnet: container gets ipc/uts/net by /proc/<pause>/ns paths', /^\/proc\/\d+\/ns\/ipc$/.test(ctNs.ipc) && /^\/proc\/\d+\/ns\/uts$/.test(ctNs.uts) && /^\/proc\/\d+\/ns\/net$/.test(ctNs.network) && ctNs.pid === '', JSON.stringify(ctNs));
  check('podnet: config gives only a deny-all device rule and no linux.devices (joey must add the defaults)',
    JSON.stringify(ct.linux.resources?.devices) === JSON.stringify([{ allow: false, access: 'rwm' }]) && !(ct.linux.devices?.length), JSON.stringify({ rules: ct.linux.resources?.devices, devices: ct.linux.devices }));

  const st = joeyState(sid);
  eq('podnet: joey has the sandbox running (joey state)', st?.status, 'running');
  const { pid: pausePid } = await sandboxPid(sid);
  check('podnet: sandbox pid known', Number.isInteger(pausePid) && pausePid > 0, `pid ${pausePid}`);
  const sbCg = cgroupDir('memory', sb.linux.cgroupsPath);
  check('podnet: sandbox cgroup exists at <parent>/<id> and holds the pause pid',
    existsSync(sbCg) && readFileSync(join(sbCg, 'cgroup.procs'), 'utf8').split('\n').includes(String(pausePid)), sbCg);
  eq('podnet: pause runs as uid 65535', readFileSync(`/proc/${pausePid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)?.[1], '65535');

  const s = await cri('ContainerStatus', { containerId: cid });
  eq('podnet: ContainerStatus running', s.status.state, 'CONTAINER_RUNNING');

  let r = await exec(cid, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
  check('podnet: ExecSync stdout, stderr and exit code', r.out === 'out\n' && r.err === 'err\n' && r.code === 3, JSON.stringify(r));
  r = await exec(cid, ['hostname']);
  eq('podnet: container sees the sandbox hostname', r.out.trim(), 'joey-podnet');
  r = await exec(cid, nsCmd('net uts ipc pid'));
  const [cnet, cuts, cipc, cpid] = r.out.trim().split('\n');
  eq('podnet: container in the sandbox network namespace', cnet, ns(pausePid, 'net'));
  eq('podnet: container in the sandbox uts namespace', cuts, ns(pausePid, 'uts'));
  eq('podnet: container in the sandbox ipc namespace', cipc, ns(pausePid, 'ipc'));
  check('podnet: container has its own pid namespace', cpid !== ns(pausePid, 'pid') && cpid !== ns('self', 'pid'), cpid);
  check('podnet: pod network namespace is not the host one', cnet !== ns('self', 'net'), cnet);
  r = await exec(cid, ['sh', '-c', 'cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "']);
  eq('podnet: only lo in the pod network', r.out.trim(), 'lo');

  r = await exec(cid, ['sh', '-c', 'ls /sys/fs/cgroup; grep " /sys/fs/cgroup " /proc/self/mountinfo']);
  check('podnet: /sys/fs/cgroup is mounted with the controllers', /\bmemory\b/.test(r.out) && /\bdevices\b/.test(r.out) && / \/sys\/fs\/cgroup /.test(r.out), r.out + r.err);
  r = await exec(cid, ['cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes']);
  eq('podnet: memory limit from CreateContainer seen inside', r.out.trim(), String(128 * MiB));
  r = await exec(cid, ['sh', '-c', 'echo x >/dev/null && head -c 5 /dev/zero | wc -c && head -c 5 /dev/urandom | wc -c && cat /sys/fs/cgroup/devices/devices.list']);
  const lines = r.out.trim().split('\n');
  check('podnet: default devices usable (null, zero, urandom)', r.code === 0 && lines[0] === '5' && lines[1] === '5', JSON.stringify(r));
  check('podnet: device cgroup is not allow-all and allows /dev/null', !lines.includes('a *:* rwm') && lines.includes('c 1:3 rwm'), lines.join(' | '));
  r = await exec(cid, ['sh', '-c', 'mknod /tmp/sda b 8 0 && head -c 1 /tmp/sda']);
  check('podnet: a disk device is denied', r.code !== 0, JSON.stringify(r));

  await step('podnet: UpdateContainerResources', async () => {
    await cri('UpdateContainerResources', { containerId: cid, linux: { memoryLimitInBytes: 64 * MiB, cpuShares: 512 } });
    ok('podnet: UpdateContainerResources accepted');
  });
  r = await exec(cid, ['cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/cpu/cpu.shares']);
  const [mem, shares] = r.out.trim().split('\n');
  eq('podnet: updated memory limit seen inside', mem, String(64 * MiB));
  eq('podnet: updated cpu shares seen inside', shares, '512');
  const s2 = await cri('ContainerStatus', { containerId: cid });
  eq('podnet: ContainerStatus reports the updated limit', s2.status.resources?.linux?.memoryLimitInBytes, 64 * MiB);

  const stats = await cri('ContainerStats', { containerId: cid });
  check('podnet: ContainerStats has memory and cpu usage', (stats.stats?.memory?.workingSetBytes?.value ?? 0) > 0 && (stats.stats?.cpu?.usageCoreNanoSeconds?.value ?? 0) > 0, JSON.stringify(stats.stats));

  // the pod log (kubectl logs) holds the container's output and nothing the runtime printed
  const logLines = readFileSync(join(cfg.logDirectory, 'app.log'), 'utf8').trim().split('\n');
  const logText = logLines.map((l) => l.replace(/^\S+ (stdout|stderr) [FP] /, '$1: ')).join('\n');
  eq('podnet: pod log is exactly the container output', logText, 'stdout: hello from joey');

  const ctCg = cgroupDir('memory', ct.linux.cgroupsPath);
  const tStop = performance.now();
  await cri('StopContainer', { containerId: cid, timeout: 10 });
  const stopMs = performance.now() - tStop;
  const s3 = await cri('ContainerStatus', { containerId: cid });
  check(`podnet: StopContainer (TERM) ends the container with exit 0 (${stopMs.toFixed(0)} ms)`, s3.status.state === 'CONTAINER_EXITED' && s3.status.exitCode === 0 && stopMs < 5000, JSON.stringify({ state: s3.status.state, exit: s3.status.exitCode, stopMs }));
  await cri('RemoveContainer', { containerId: cid });
  check('podnet: container cgroup removed', !existsSync(ctCg), ctCg);
  eq('podnet: joey state of the container gone', joeyState(cid), null);
  await removePod(sid);
  check('podnet: sandbox cgroup removed', !existsSync(sbCg), sbCg);
  eq('podnet: joey state of the sandbox gone', joeyState(sid), null);
}

async function hostNetworkPod() {
  console.log('# host-network pod (handler joey, no cgroup parent)');
  const cfg = podConfig('hostnet', { hostNet: true, cgroupParent: '' });
  const sid = await runPod('joey', cfg);
  const cid = await startContainer(sid, cfg, containerConfig('app', cfg, { hostNet: true }));
  const sb = bundleConfig(sid);
  const ct = bundleConfig(cid);
  eq('hostnet: sandbox cgroupsPath is /k8s.io/<id>', sb.linux.cgroupsPath, `/k8s.io/${sid}`);
  eq('hostnet: container cgroupsPath is /k8s.io/<id>', ct.linux.cgroupsPath, `/k8s.io/${cid}`);
  check('hostnet: sandbox config has no network or uts namespace', !sb.linux.namespaces.some((n) => n.type === 'network' || n.type === 'uts'), JSON.stringify(sb.linux.namespaces));
  const { pid: pausePid } = await sandboxPid(sid);
  let r = await exec(cid, ['hostname']);
  eq('hostnet: container sees the host name', r.out.trim(), hostname());
  r = await exec(cid, nsCmd('net uts ipc'));
  const [cnet, cuts, cipc] = r.out.trim().split('\n');
  eq('hostnet: container in the host network namespace', cnet, ns('self', 'net'));
  eq('hostnet: container in the host uts namespace', cuts, ns('self', 'uts'));
  eq('hostnet: container in the sandbox ipc namespace', cipc, ns(pausePid, 'ipc'));
  check('hostnet: container cgroup at /k8s.io/<id>', existsSync(cgroupDir('memory', ct.linux.cgroupsPath)), ct.linux.cgroupsPath);
  // StopPodSandbox with the container still running: kill, kill --all, delete, delete --force
  await removePod(sid);
  check('hostnet: StopPodSandbox/RemovePodSandbox removed both cgroups', !existsSync(cgroupDir('memory', ct.linux.cgroupsPath)) && !existsSync(cgroupDir('memory', sb.linux.cgroupsPath)), ct.linux.cgroupsPath);
  check('hostnet: joey state of both gone', joeyState(cid) === null && joeyState(sid) === null, 'state still there');
}

async function sharedPidPod() {
  console.log('# shared-pid pod (handler joey, shareProcessNamespace)');
  const cfg = podConfig('sharepid', { sharePid: true });
  const sid = await runPod('joey', cfg);
  const cid = await startContainer(sid, cfg, containerConfig('app', cfg, { sharePid: true }));
  const ct = bundleConfig(cid);
  check('sharepid: container joins the pid namespace by path', /^\/proc\/\d+\/ns\/pid$/.test(ct.linux.namespaces.find((n) => n.type === 'pid')?.path ?? ''), JSON.stringify(ct.linux.namespaces));
  const { pid: pausePid } = await sandboxPid(sid);
  let r = await exec(cid, ['readlink', '/proc/self/ns/pid']);
  eq('sharepid: container in the sandbox pid namespace', r.out.trim(), ns(pausePid, 'pid'));
  r = await exec(cid, ['cat', '/proc/1/cmdline']);
  eq('sharepid: PID 1 is the pause process', r.out.replace(/\0/g, ' ').trim(), '/pause');
  r = await exec(cid, ['sh', '-c', 'ps -o pid,comm | grep -c sleep']);
  eq('sharepid: ps sees the container processes', r.out.trim(), '1');
  await cri('StopContainer', { containerId: cid, timeout: 10 });
  const s = await cri('ContainerStatus', { containerId: cid });
  eq('sharepid: StopContainer exited', s.status.state, 'CONTAINER_EXITED');
  // the shell's `sleep` child outlived it in the shared pid namespace; kill --all on the stopped
  // container must have killed it, and pause (PID 1 there) must have reaped it
  const kids = execFileSync('sh', ['-c', `ps -o stat=,comm= --ppid ${pausePid} || true`], { encoding: 'utf8' }).trim();
  check('sharepid: the orphaned sleep was killed and reaped (no child of pause left)', kids === '', kids);
  await cri('RemoveContainer', { containerId: cid });
  await removePod(sid);
  eq('sharepid: joey state gone', joeyState(sid), null);
}

async function systemdCgroupsPath() {
  console.log('# cgroupsPath slice:prefix:name (a *.slice cgroup parent) where systemd is absent');
  const cfg = podConfig('slice', { cgroupParent: 'joey-e2e.slice' });
  let err;
  try {
    await runPod('joey', cfg);
  } catch (e) {
    err = e;
  }
  const systemd = existsSync('/run/systemd/system');
  if (systemd) {
    check('slice: systemd present, pod runs or fails with the driver message', true, '');
  } else {
    check('slice: RunPodSandbox fails naming the systemd driver', /systemd cgroup driver: systemd is not running/.test(err?.details ?? ''), err?.details ?? 'no error');
    console.log(`# containerd said: ${err?.details}`);
  }
  await removeByName('slice');
}

async function removeByName(name) {
  const { items } = await cri('ListPodSandbox', {});
  for (const p of items) {
    if (p.metadata?.name === name && p.metadata?.namespace === 'joey-e2e') {
      await cri('StopPodSandbox', { podSandboxId: p.id }).catch(() => {});
      await cri('RemovePodSandbox', { podSandboxId: p.id }).catch(() => {});
      sandboxes.delete(p.id);
    }
  }
}

async function timings() {
  if (ROUNDS <= 0) return;
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`# timing: RunPodSandbox → CreateContainer → StartContainer returned, ${ROUNDS} rounds, joey and runc interleaved`);
  console.log(`# load average before: ${load()} (${(await import('node:os')).availableParallelism()} CPUs)`);
  const res = { joey: { podnet: [], hostnet: [] }, runc: { podnet: [], hostnet: [] } };
  for (let i = 0; i < ROUNDS; i++) {
    for (const shape of ['podnet', 'hostnet']) {
      for (const handler of i % 2 ? ['runc', 'joey'] : ['joey', 'runc']) {
        const cfg = podConfig(`t-${shape}`, { hostNet: shape === 'hostnet' });
        const t0 = performance.now();
        const sid = await runPod(handler, cfg);
        await startContainer(sid, cfg, containerConfig('app', cfg, { hostNet: shape === 'hostnet' }));
        res[handler][shape].push(performance.now() - t0);
        await removePod(sid);
      }
    }
  }
  const f = (xs) => `${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
  console.log('# | pod shape | joey median | runc median |');
  console.log('# | --- | --- | --- |');
  for (const shape of ['podnet', 'hostnet']) console.log(`# | ${shape} | ${f(res.joey[shape])} | ${f(res.runc[shape])} |`);
  console.log(`# load average after: ${load()}`);
  ok(`timings measured (${ROUNDS} rounds)`);
}

async function oomScoreError() {
  console.log('# errors: a create the host forbids (sandbox oomScoreAdj -998 without CAP_SYS_RESOURCE)');
  const capEff = BigInt('0x' + readFileSync('/proc/self/status', 'utf8').match(/^CapEff:\s+([0-9a-f]+)/m)[1]);
  if (capEff & (1n << 24n)) {
    console.log('# skipped: this host grants CAP_SYS_RESOURCE, so oomScoreAdj -998 is allowed and nothing fails');
    return;
  }
  for (const handler of ['joey', 'runc']) {
    const cfg = podConfig(`oom-${handler}`);
    let err;
    try {
      await runPod(handler, cfg);
    } catch (e) {
      err = e;
    }
    const msg = err?.details ?? '';
    console.log(`# ${handler} through CRI: ${msg || 'no error'}`);
    if (handler === 'joey') {
      check('errors: joey create failure through CRI names oom_score_adj and the errno', /oom_score_adj/.test(msg) && /permission denied|operation not permitted/i.test(msg), msg || 'RunPodSandbox succeeded');
    }
    await removeByName(`oom-${handler}`);
  }
}

async function cleanupAll() {
  for (const id of [...sandboxes]) {
    await cri('StopPodSandbox', { podSandboxId: id }).catch((e) => console.log(`# cleanup: StopPodSandbox ${id}: ${e.details}`));
    await cri('RemovePodSandbox', { podSandboxId: id }).catch((e) => console.log(`# cleanup: RemovePodSandbox ${id}: ${e.details}`));
  }
  // pods left not-ready by a failed RunPodSandbox
  const { items } = await cri('ListPodSandbox', {}).catch(() => ({ items: [] }));
  for (const p of items) {
    if (p.metadata?.namespace !== 'joey-e2e') continue;
    await cri('StopPodSandbox', { podSandboxId: p.id }).catch(() => {});
    await cri('RemovePodSandbox', { podSandboxId: p.id }).catch(() => {});
  }
}

async function main() {
  const v = await cri('Version', { version: 'v1' });
  console.log(`# ${v.runtimeName} ${v.runtimeVersion} (CRI ${v.runtimeApiVersion})`);
  const parts = phase === 'errors' ? [oomScoreError] : [podNetworkPod, hostNetworkPod, sharedPidPod, systemdCgroupsPath, timings];
  for (const part of parts) {
    try {
      await part();
    } catch (e) {
      notOk(`${part.name} aborted`, e?.details ?? e?.stack ?? e);
    }
  }
  await cleanupAll();
  console.log(`# ${phase}: ${passed} passed, ${failures.length} failed`);
  client.close();
  process.exitCode = failures.length ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
