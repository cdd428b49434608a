/**
 * Root-only parts of `joey bundle create`: numeric ownership, setuid bits after chown,
 * device nodes, file capabilities as xattrs, and the busybox rootfs.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createBundle } from '../../../src/bundle/index.js';
import { extractTar } from '../../../src/bundle/extract.js';
import { makeDockerSave, makeOciLayout, makeTar, tarDir, tmp, twoLayers, writeTmp } from '../../unit/bundle/helpers.js';

// test/integration runs as root (vitest.config.ts); mknod and chown need it.
describe('bundle create as root', () => {
  it('keeps numeric owners, setuid bits and device nodes from a rootfs tarball', async () => {
    const path = writeTmp(
      'rootfs.tar',
      makeTar([
        { path: 'dir/', type: 'Directory', mode: 0o2775, uid: 1234, gid: 5678 },
        { path: 'dir/file', body: 'f', mode: 0o640, uid: 1234, gid: 5678 },
        { path: 'dir/link', type: 'SymbolicLink', linkpath: 'file', uid: 42, gid: 43 },
        { path: 'dir/hard', type: 'Link', linkpath: 'dir/file' },
        { path: 'usr/bin/su', body: 'su', mode: 0o4755, uid: 0, gid: 0 },
        { path: 'usr/bin/wall', body: 'wall', mode: 0o2755, uid: 0, gid: 5 },
        { path: 'dev/null', type: 'CharacterDevice', devmaj: 1, devmin: 3, mode: 0o666 },
        { path: 'dev/loop9', type: 'BlockDevice', devmaj: 7, devmin: 9, mode: 0o660, gid: 6 },
      ]),
    );
    const dir = `${tmp()}/bundle`;
    await createBundle(dir, { from: path, quiet: true });
    const r = `${dir}/rootfs`;
    expect(lstatSync(`${r}/dir`)).toMatchObject({ uid: 1234, gid: 5678 });
    expect(lstatSync(`${r}/dir`).mode & 0o7777).toBe(0o2775);
    expect(lstatSync(`${r}/dir/file`)).toMatchObject({ uid: 1234, gid: 5678, nlink: 2 });
    expect(lstatSync(`${r}/dir/link`)).toMatchObject({ uid: 42, gid: 43 });
    expect(readlinkSync(`${r}/dir/link`)).toBe('file');
    expect(lstatSync(`${r}/usr/bin/su`).mode & 0o7777).toBe(0o4755);
    expect(lstatSync(`${r}/usr/bin/wall`)).toMatchObject({ gid: 5 });
    expect(lstatSync(`${r}/usr/bin/wall`).mode & 0o7777).toBe(0o2755);
    const nul = lstatSync(`${r}/dev/null`);
    expect(nul.isCharacterDevice()).toBe(true);
    expect(nul.rdev).toBe((1 << 8) | 3);
    expect(nul.mode & 0o7777).toBe(0o666);
    const loop = lstatSync(`${r}/dev/loop9`);
    expect(loop.isBlockDevice()).toBe(true);
    expect(loop.rdev).toBe((7 << 8) | 9);
    expect(loop.gid).toBe(6);
  });

  it('sets security.capability after chown (chown clears file capabilities)', async () => {
    // cap_net_raw+ep, VFS_CAP_REVISION_2
    const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex');
    const r = `${tmp()}/rootfs`;
    mkdirSync(r);
    await extractTar(Readable.from([makeTar([{ path: 'ping', body: 'p', mode: 0o755, uid: 0, gid: 0, xattrs: { 'security.capability': cap } }])]), r);
    const got = execFileSync('python3', ['-c', 'import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], "security.capability").hex())', `${r}/ping`], {
      encoding: 'utf8',
    });
    expect(got).toBe(cap.toString('hex'));
  });

  it('round-trips an OCI layout and a docker save archive with owners', async () => {
    const layout = `${tmp()}/layout`;
    makeOciLayout(layout, { layers: twoLayers(), gzip: true });
    const tarPath = `${tmp()}/oci.tar`;
    await tarDir(layout, tarPath);
    const save = `${tmp()}/save`;
    makeDockerSave(save, { layers: twoLayers() });
    for (const from of [layout, tarPath, save]) {
      const dir = `${tmp()}/bundle`;
      await createBundle(dir, { from, quiet: true, platform: 'linux/amd64' });
      expect(lstatSync(`${dir}/rootfs/keep`)).toMatchObject({ uid: 1000, gid: 1000 });
      expect(lstatSync(`${dir}/rootfs/keep/file`)).toMatchObject({ uid: 1000, gid: 1000 });
      expect(lstatSync(`${dir}/rootfs/bin/tool`).mode & 0o7777).toBe(0o4755);
      expect(existsSync(`${dir}/rootfs/gone.txt`)).toBe(false);
    }
  });
});

// The CI installs busybox-static (see the issue); without it this fails with the install hint.
describe('bundle create --from busybox', () => {
  it('makes a rootfs with bin/busybox, applet symlinks, passwd, group and the usual dirs', async () => {
    const dir = `${tmp()}/bundle`;
    const res = await createBundle(dir, { from: 'busybox', quiet: true });
    expect(res).toEqual({ dir, args: ['sh'], layers: 0 });
    const r = `${dir}/rootfs`;
    expect(lstatSync(`${r}/bin/busybox`).isFile()).toBe(true);
    expect(lstatSync(`${r}/bin/sh`).isSymbolicLink()).toBe(true);
    expect(readlinkSync(`${r}/bin/sh`)).toBe('busybox');
    expect(readlinkSync(`${r}/usr/bin/env`)).toBe('../../bin/busybox');
    for (const d of ['proc', 'sys', 'dev', 'tmp', 'etc']) expect(lstatSync(`${r}/${d}`).isDirectory()).toBe(true);
    expect(lstatSync(`${r}/tmp`).mode & 0o7777).toBe(0o1777);
    expect(readFileSync(`${r}/etc/passwd`, 'utf8')).toMatch(/^root:x:0:0:.*\nnobody:x:65534:65534:/);
    expect(readFileSync(`${r}/etc/group`, 'utf8')).toMatch(/^root:x:0:\nnobody:x:65534:/);
    const cfg = JSON.parse(readFileSync(`${dir}/config.json`, 'utf8'));
    expect(cfg.process.args).toEqual(['sh']);
    expect(cfg.process.terminal).toBe(false);
    expect(cfg.root.path).toBe('rootfs');
    // the copied binary runs its applets through the symlink
    expect(execFileSync(`${r}/bin/sh`, ['-c', 'echo hi'], { encoding: 'utf8' })).toBe('hi\n');
  });
});
