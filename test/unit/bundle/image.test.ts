import { describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createBundle } from '../../../src/bundle/index.js';
import { applyImageConfig, mergeEnv, resolveUser } from '../../../src/bundle/image-config.js';
import { parsePlatform, readOciLayout } from '../../../src/bundle/oci-layout.js';
import { readDockerSave } from '../../../src/bundle/docker-save.js';
import { makeDockerSave, makeOciLayout, makeTar, sha256, tarDir, tmp, twoLayers, writeTmp } from './helpers.js';

const IMAGE_CONFIG = {
  config: {
    User: 'app',
    Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'APP_MODE=test'],
    Entrypoint: ['/bin/tool'],
    Cmd: ['--serve', '8080'],
    WorkingDir: '/keep',
    Labels: { 'org.example.team': 'joey' },
    ExposedPorts: { '8080/tcp': {} },
    StopSignal: 'SIGQUIT',
  },
};

function checkImageBundle(dir: string): void {
  const root = `${dir}/rootfs`;
  expect(existsSync(`${root}/gone.txt`)).toBe(false);
  expect(existsSync(`${root}/opq/lower1`)).toBe(false);
  expect(readFileSync(`${root}/opq/upper`, 'utf8')).toBe('u');
  expect(readFileSync(`${root}/keep/new`, 'utf8')).toBe('new');
  expect(lstatSync(`${root}/bin/tool`).mode & 0o7777).toBe(0o4755);
  expect(lstatSync(`${root}/keep`).mode & 0o7777).toBe(0o750);
  const cfg = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8'));
  expect(cfg.root.path).toBe('rootfs');
  expect(cfg.process.terminal).toBe(false);
  expect(cfg.process.args).toEqual(['/bin/tool', '--serve', '8080']);
  expect(cfg.process.env).toContain('APP_MODE=test');
  expect(cfg.process.env).toContain('PATH=/usr/local/bin:/usr/bin:/bin');
  expect(cfg.process.env.filter((e: string) => e.startsWith('PATH=')).length).toBe(1);
  expect(cfg.process.cwd).toBe('/keep');
  expect(cfg.process.user).toMatchObject({ uid: 1000, gid: 1000, additionalGids: [2000] });
  expect(cfg.annotations['org.example.team']).toBe('joey');
  expect(cfg.annotations['org.opencontainers.image.stopSignal']).toBe('SIGQUIT');
  expect(JSON.stringify(cfg)).not.toContain('8080/tcp');
  expect(existsSync(`${dir}/.joey-source`)).toBe(false);
}

describe('createBundle from an OCI image layout', () => {
  it('directory: index.json → index → manifest → config, two layers with whiteouts', async () => {
    const layout = `${tmp()}/layout`;
    makeOciLayout(layout, { layers: twoLayers(), gzip: true, config: IMAGE_CONFIG, others: [{ os: 'linux', architecture: 'arm64', variant: 'v8' }] });
    const dir = `${tmp()}/bundle`;
    const res = await createBundle(dir, { from: layout, quiet: true, platform: 'linux/amd64' });
    expect(res).toEqual({ dir, args: ['/bin/tool', '--serve', '8080'], layers: 2 });
    checkImageBundle(dir);
    expect(existsSync(`${dir}/rootfs/wrong-platform`)).toBe(false);
  });

  it('the same layout as a .tar, and another platform picked with --platform', async () => {
    const layout = `${tmp()}/layout`;
    makeOciLayout(layout, { layers: twoLayers(), config: IMAGE_CONFIG, others: [{ os: 'linux', architecture: 'arm64', variant: 'v8' }] });
    const tarPath = `${tmp()}/image.tar`;
    await tarDir(layout, tarPath);
    const dir = `${tmp()}/bundle`;
    await createBundle(dir, { from: tarPath, quiet: true, platform: 'linux/amd64' });
    checkImageBundle(dir);
    const arm = `${tmp()}/bundle`;
    const res = await createBundle(arm, { from: tarPath, quiet: true, platform: 'linux/arm64' });
    expect(res.layers).toBe(1);
    expect(readFileSync(`${arm}/rootfs/wrong-platform`, 'utf8')).toBe('x');
  });

  it('names the platforms it has when none matches', async () => {
    const layout = `${tmp()}/layout`;
    makeOciLayout(layout, { layers: twoLayers() });
    const dir = `${tmp()}/bundle`;
    await expect(createBundle(dir, { from: layout, quiet: true, platform: 'linux/s390x' })).rejects.toThrow(
      /has no image for linux\/s390x \(it has: linux\/amd64; choose one with --platform\)/,
    );
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses a layer whose digest does not match, and removes the bundle', async () => {
    const layout = `${tmp()}/layout`;
    const { layerDigests } = makeOciLayout(layout, { layers: twoLayers(), corruptLayer: true });
    const dir = `${tmp()}/bundle`;
    await expect(createBundle(dir, { from: layout, quiet: true, platform: 'linux/amd64' })).rejects.toThrow(
      `bundle: blob ${layerDigests[0]} digest mismatch (got ${sha256('corrupted')})`,
    );
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses a config blob that does not match its digest', async () => {
    const layout = `${tmp()}/layout`;
    makeOciLayout(layout, { layers: twoLayers() });
    const idx = JSON.parse(readFileSync(`${layout}/index.json`, 'utf8'));
    expect(idx.manifests.length).toBe(1);
    const manifestBlobs = readdirSync(`${layout}/blobs/sha256`);
    expect(manifestBlobs.length).toBeGreaterThan(3);
    const cfgName = manifestBlobs.find((n) => readFileSync(`${layout}/blobs/sha256/${n}`, 'utf8').includes('diff_ids'));
    writeFileSync(`${layout}/blobs/sha256/${cfgName}`, '{"rootfs":{"diff_ids":[]}}');
    const dir = `${tmp()}/bundle`;
    await expect(createBundle(dir, { from: layout, quiet: true, platform: 'linux/amd64' })).rejects.toThrow(
      `bundle: blob sha256:${cfgName} digest mismatch`,
    );
  });

  it('chooses by ref with SOURCE:REF', async () => {
    const layout = `${tmp()}/layout`;
    makeOciLayout(layout, { layers: twoLayers(), ref: 'v1' });
    const plan = readOciLayout(layout, { ref: 'v1', name: layout, platform: 'linux/amd64' });
    expect(plan.layers.length).toBe(2);
    expect(() => readOciLayout(layout, { ref: 'v2', name: layout, platform: 'linux/amd64' })).toThrow(
      'has no image named `v2` (it has: v1)',
    );
    const dir = `${tmp()}/bundle`;
    expect((await createBundle(dir, { from: `${layout}:v1`, quiet: true, platform: 'linux/amd64' })).layers).toBe(2);
  });

  it('never reads a blob through a symlink that leaves the layout', async () => {
    const layout = `${tmp()}/layout`;
    makeOciLayout(layout, { layers: twoLayers() });
    const outside = writeTmp('index.json', Buffer.from('{"schemaVersion":2,"manifests":[]}'));
    // index.json -> /abs/outside: resolved inside the layout, where that path does not exist
    const { rmSync } = await import('node:fs');
    rmSync(`${layout}/index.json`);
    symlinkSync(outside, `${layout}/index.json`);
    expect(() => readOciLayout(layout, { name: layout, platform: 'linux/amd64' })).toThrow('has no `index.json`');
  });
});

describe('createBundle from a docker save archive', () => {
  it('legacy layout (manifest.json, <id>/layer.tar, <hex>.json), as a tar', async () => {
    const tree = `${tmp()}/save`;
    makeDockerSave(tree, { layers: twoLayers(), config: IMAGE_CONFIG });
    const tarPath = `${tmp()}/save.tar`;
    await tarDir(tree, tarPath);
    const dir = `${tmp()}/bundle`;
    const res = await createBundle(dir, { from: tarPath, quiet: true, platform: 'linux/amd64' });
    expect(res.layers).toBe(2);
    checkImageBundle(dir);
  });

  it('checks each layer against the config diff_ids', async () => {
    const tree = `${tmp()}/save`;
    makeDockerSave(tree, { layers: twoLayers() });
    const m = JSON.parse(readFileSync(`${tree}/manifest.json`, 'utf8'));
    const layerPath = `${tree}/${m[0].Layers[1]}`;
    const want = sha256(readFileSync(layerPath));
    const evil = makeTar([{ path: 'evil', body: 'swapped' }]);
    writeFileSync(layerPath, evil);
    const dir = `${tmp()}/bundle`;
    await expect(createBundle(dir, { from: tree, quiet: true, platform: 'linux/amd64' })).rejects.toThrow(
      `diff_id ${want} mismatch (got ${sha256(evil)})`,
    );
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses a config whose name is not its digest, and a wrong platform', () => {
    const tree = `${tmp()}/save`;
    makeDockerSave(tree, { layers: [makeTar([{ path: 'f', body: '1' }])] });
    expect(() => readDockerSave(tree, { name: tree, platform: 'linux/arm64' })).toThrow(
      'is an image for linux/amd64, not linux/arm64',
    );
    const m = JSON.parse(readFileSync(`${tree}/manifest.json`, 'utf8'));
    writeFileSync(`${tree}/${m[0].Config}`, '{"os":"linux","architecture":"amd64"}');
    expect(() => readDockerSave(tree, { name: tree, platform: 'linux/amd64' })).toThrow(/bundle: blob sha256:[0-9a-f]{64} digest mismatch/);
  });
});

describe('createBundle from a rootfs tarball', () => {
  it('extracts it and writes the default process', async () => {
    const path = writeTmp('rootfs.tar', makeTar([{ path: 'bin/sh', body: 'not really', mode: 0o755 }, { path: 'etc/', type: 'Directory' }]));
    const dir = `${tmp()}/bundle`;
    const res = await createBundle(dir, { from: path, quiet: true });
    expect(res).toEqual({ dir, args: ['sh'], layers: 1 });
    const cfg = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8'));
    expect(cfg.process.terminal).toBe(false);
    expect(cfg.process.user).toEqual({ uid: 0, gid: 0 });
    expect(readFileSync(`${dir}/rootfs/bin/sh`, 'utf8')).toBe('not really');
  });

  it('--rootless writes a user namespace like `joey spec --rootless`', async () => {
    const path = writeTmp('rootfs.tar', makeTar([{ path: 'etc/', type: 'Directory' }]));
    const dir = `${tmp()}/bundle`;
    await createBundle(dir, { from: path, quiet: true, rootless: true });
    const cfg = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8'));
    expect(cfg.linux.namespaces.map((n: { type: string }) => n.type)).toContain('user');
    expect(cfg.linux.uidMappings.length).toBeGreaterThan(0);
  });

  it('refuses a non-empty DIR and keeps an empty one on failure', async () => {
    const full = tmp();
    writeFileSync(`${full}/x`, '');
    await expect(createBundle(full, { from: 'busybox', quiet: true })).rejects.toThrow(`bundle: \`${full}\` exists and is not empty`);
    const empty = tmp();
    const bad = writeTmp('bad.tar', makeTar([{ path: '../evil', body: 'x' }]));
    await expect(createBundle(empty, { from: bad, quiet: true })).rejects.toThrow('refusing archive member `../evil`');
    expect(readdirSync(empty)).toEqual([]);
  });

  it('says what is missing for an unknown source', async () => {
    await expect(createBundle(`${tmp()}/b`, { from: '/nonexistent/image.tar', quiet: true })).rejects.toThrow(
      'bundle: source `/nonexistent/image.tar` does not exist',
    );
  });
});

describe('image config → config.json', () => {
  const rootfs = tmp();
  mkdirSync(`${rootfs}/etc`);
  writeFileSync(`${rootfs}/etc/passwd`, 'root:x:0:0::/root:/bin/sh\nweb:x:33:34::/var/www:/bin/sh\n');
  writeFileSync(`${rootfs}/etc/group`, 'root:x:0:\nwww:x:34:\nlog:x:4:web\nstaff:x:50:\n');

  it.each([
    ['', { uid: 0, gid: 0 }],
    ['web', { uid: 33, gid: 34, additionalGids: [4] }],
    ['33', { uid: 33, gid: 34, additionalGids: [4] }],
    ['1234', { uid: 1234, gid: 0 }],
    ['1234:99', { uid: 1234, gid: 99 }],
    ['web:staff', { uid: 33, gid: 50 }],
    ['web:7', { uid: 33, gid: 7 }],
    ['1234:staff', { uid: 1234, gid: 50 }],
  ])('User %j', (user, want) => {
    expect(resolveUser(user, rootfs)).toEqual(want);
  });

  it('refuses unknown names', () => {
    expect(() => resolveUser('nobody', rootfs)).toThrow("bundle: image user `nobody` is not in the image's /etc/passwd");
    expect(() => resolveUser('web:nogroup', rootfs)).toThrow("bundle: image group `nogroup` is not in the image's /etc/group");
  });

  it('reads /etc/passwd inside the rootfs even when it is an absolute symlink', () => {
    const r = tmp();
    mkdirSync(`${r}/etc`);
    mkdirSync(`${r}/data`);
    writeFileSync(`${r}/data/passwd`, 'svc:x:7:8::/:/bin/sh\n');
    symlinkSync('/data/passwd', `${r}/etc/passwd`); // the host has no /data/passwd with svc
    expect(resolveUser('svc', r)).toEqual({ uid: 7, gid: 8 });
  });

  it('merges env by key and falls back to the default args', () => {
    expect(mergeEnv(['PATH=/bin', 'TERM=xterm'], ['PATH=/usr/bin', 'A=1'])).toEqual(['PATH=/usr/bin', 'TERM=xterm', 'A=1']);
    const spec = applyImageConfig({ process: { args: ['sh'], env: ['PATH=/bin'], cwd: '/', terminal: true } }, { config: { WorkingDir: 'srv' } }, rootfs);
    expect(spec.process?.args).toEqual(['sh']);
    expect(spec.process?.cwd).toBe('/srv');
    expect(spec.process?.terminal).toBe(false);
    expect(spec.root).toEqual({ path: 'rootfs' });
  });

  it('parses --platform', () => {
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(() => parsePlatform('amd64')).toThrow('--platform `amd64`: expected os/arch[/variant]');
  });
});

describe('layer media types', () => {
  it.each([
    ['application/vnd.oci.image.layer.v1.tar', true],
    ['application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', true],
    ['application/vnd.docker.image.rootfs.diff.tar.gzip', true],
    ['application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', true],
    ['application/vnd.oci.image.layer.v1.tar+gzip+encrypted', false],
    ['application/octet-stream', false],
  ])('%s: accepted %s', (mediaType, ok) => {
    const layout = `${tmp()}/layout`;
    makeOciLayout(layout, { layers: [makeTar([{ path: 'f', body: '1' }])], layerMediaType: mediaType });
    const read = () => readOciLayout(layout, { name: layout, platform: 'linux/amd64' });
    if (ok) expect(read().layers.length).toBe(1);
    else expect(read).toThrow(`unsupported media type \`${mediaType}\``);
  });
});
