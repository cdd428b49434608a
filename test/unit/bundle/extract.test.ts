import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { extractTar } from '../../../src/bundle/extract.js';
import { TarReader, type TarMember } from '../../../src/bundle/tar-reader.js';
import { openTar } from '../../../src/bundle/detect.js';
import { makeTar, tmp, twoLayers, writeTmp } from './helpers.js';
import { openSync } from 'node:fs';

const stream = (b: Buffer) => Readable.from([b]);
/** a buffer cut into 7-byte pieces: headers and bodies straddle chunk boundaries */
const dribble = (b: Buffer) => Readable.from(Array.from({ length: Math.ceil(b.length / 7) }, (_, i) => b.subarray(i * 7, i * 7 + 7)));

function getxattr(path: string, name: string): string {
  return execFileSync('python3', ['-c', `import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).decode())`, path, name], {
    encoding: 'utf8',
  });
}

describe('TarReader', () => {
  it('reads members across arbitrary chunk boundaries, with pax long names and binary xattrs', () => {
    const bin = Buffer.from([0, 1, 2, 0x0a, 0xff, 0x3d]);
    const tar = makeTar([
      { path: 'd/', type: 'Directory' },
      { path: `d/${'n'.repeat(200)}`, body: 'long', xattrs: { 'security.capability': bin } },
      { path: 'l', type: 'SymbolicLink', linkpath: 'd' },
    ]);
    const seen: Array<TarMember & { body: string }> = [];
    let cur: (TarMember & { body: string }) | undefined;
    const r = new TarReader({
      member: (m) => {
        cur = { ...m, body: '' };
        seen.push(cur);
      },
      data: (c) => {
        if (cur) cur.body += c.toString();
      },
      end: () => {},
    });
    for (let i = 0; i < tar.length; i += 13) r.write(tar.subarray(i, i + 13));
    r.finish();
    expect(seen.map((m) => [m.path, m.type])).toEqual([
      ['d/', 'Directory'],
      [`d/${'n'.repeat(200)}`, 'File'],
      ['l', 'SymbolicLink'],
    ]);
    expect(seen[1]?.body).toBe('long');
    expect(seen[1]?.xattrs.get('security.capability')).toEqual(bin);
    expect(seen[2]?.linkpath).toBe('d');
  });

  it('refuses a truncated archive and a bad checksum', () => {
    const tar = makeTar([{ path: 'f', body: 'x'.repeat(600) }]);
    const r = new TarReader({ member() {}, data() {}, end() {} });
    r.write(tar.subarray(0, 700));
    expect(() => r.finish()).toThrow('bundle: archive is truncated');
    const bad = Buffer.from(tar);
    bad[0] = 0x41;
    const r2 = new TarReader({ member() {}, data() {}, end() {} });
    expect(() => r2.write(bad)).toThrow(/bad header checksum at byte 0/);
  });
});

describe('extractTar round trip (rootfs tarball)', () => {
  const tar = makeTar([
    { path: './', type: 'Directory', mode: 0o755 },
    { path: './etc/', type: 'Directory', mode: 0o755 },
    { path: './etc/hostname', body: 'box\n', mode: 0o640 },
    { path: './bin/', type: 'Directory', mode: 0o555 },
    { path: './bin/run', body: '#!/bin/sh\necho hi\n', mode: 0o4755 },
    { path: './bin/link', type: 'SymbolicLink', linkpath: '/etc/hostname' },
    { path: './bin/hard', type: 'Link', linkpath: './bin/run' },
    { path: './implicit/deep/file', body: 'made parents', mode: 0o600 },
    { path: './fifo', type: 'FIFO', mode: 0o620 },
    { path: './x.txt', body: 'with xattr', xattrs: { 'user.joey': 'yes' } },
  ]);

  for (const [label, input] of [
    ['one chunk', () => stream(tar)],
    ['7-byte chunks', () => dribble(tar)],
  ] as const) {
    it(`extracts files, dirs, symlinks, hard links, fifos, modes and xattrs (${label})`, async () => {
      const root = `${tmp()}/rootfs`;
      mkdirSync(root);
      const res = await extractTar(input(), root, { owner: false, devices: false });
      expect(res.members).toBe(10);
      expect(readFileSync(`${root}/etc/hostname`, 'utf8')).toBe('box\n');
      expect(lstatSync(`${root}/etc/hostname`).mode & 0o7777).toBe(0o640);
      expect(lstatSync(`${root}/bin`).mode & 0o7777).toBe(0o555);
      expect(lstatSync(`${root}/bin/run`).mode & 0o7777).toBe(0o4755);
      expect(readlinkSync(`${root}/bin/link`)).toBe('/etc/hostname');
      expect(lstatSync(`${root}/bin/hard`).ino).toBe(lstatSync(`${root}/bin/run`).ino);
      expect(lstatSync(`${root}/bin/run`).nlink).toBe(2);
      expect(readFileSync(`${root}/implicit/deep/file`, 'utf8')).toBe('made parents');
      expect(lstatSync(`${root}/fifo`).isFIFO()).toBe(true);
      expect(lstatSync(`${root}/fifo`).mode & 0o777).toBe(0o620);
      expect(lstatSync(`${root}/etc/hostname`).mtimeMs).toBe(1_700_000_000_000);
      expect(getxattr(`${root}/x.txt`, 'user.joey')).toBe('yes');
    });
  }

  it('reads gzip by magic number, whatever the file is called', async () => {
    const path = writeTmp('rootfs.tar', gzipSync(tar));
    const root = `${tmp()}/rootfs`;
    mkdirSync(root);
    let raw = 0;
    await extractTar(openTar(openSync(path, 'r'), { name: path, onBytes: (n) => (raw += n) }), root, { owner: false, devices: false });
    expect(readFileSync(`${root}/bin/run`, 'utf8')).toContain('echo hi');
    expect(raw).toBe(gzipSync(tar).length);
  });

  it('says clearly that zstd is not supported when node:zlib lacks it', async () => {
    const zst = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(64)]);
    const path = writeTmp('rootfs.tar.zst', zst);
    // Node 20's zlib has no zstd; a newer Node decodes it (and then finds garbage).
    const hasZstd = typeof (await import('node:zlib') as Record<string, unknown>).createZstdDecompress === 'function';
    if (!hasZstd) expect(() => openTar(openSync(path, 'r'), { name: path })).toThrow(/zstd is not supported/);
    else expect(hasZstd).toBe(true);
  });
});

describe('whiteouts (image-spec layer.md#whiteouts)', () => {
  it('removes whited-out files, empties opaque dirs, and keeps same-layer entries', async () => {
    const root = `${tmp()}/rootfs`;
    mkdirSync(root);
    const [base, top] = twoLayers();
    await extractTar(stream(base), root, { owner: false, whiteouts: true });
    expect(existsSync(`${root}/gone.txt`)).toBe(true);
    await extractTar(stream(top), root, { owner: false, whiteouts: true });
    expect(existsSync(`${root}/gone.txt`)).toBe(false);
    expect(existsSync(`${root}/.wh.gone.txt`)).toBe(false);
    expect(existsSync(`${root}/opq/lower1`)).toBe(false);
    expect(existsSync(`${root}/opq/sub`)).toBe(false);
    expect(readFileSync(`${root}/opq/upper`, 'utf8')).toBe('u');
    expect(existsSync(`${root}/opq/.wh..wh..opq`)).toBe(false);
    expect(readFileSync(`${root}/keep/new`, 'utf8')).toBe('new');
    expect(readFileSync(`${root}/keep/file`, 'utf8')).toBe('kept');
  });

  it('applies an opaque marker listed after the layer\'s own entries without removing them', async () => {
    const root = `${tmp()}/rootfs`;
    mkdirSync(root);
    await extractTar(stream(makeTar([{ path: 'd/old', body: 'o' }, { path: 'd/s/old2', body: 'o' }])), root, { whiteouts: true, owner: false });
    await extractTar(stream(makeTar([{ path: 'd/s/new', body: 'n' }, { path: 'd/.wh..wh..opq' }])), root, { whiteouts: true, owner: false });
    expect(existsSync(`${root}/d/old`)).toBe(false);
    expect(existsSync(`${root}/d/s/old2`)).toBe(false);
    expect(readFileSync(`${root}/d/s/new`, 'utf8')).toBe('n');
  });

  it('leaves `.wh.` names alone in a plain rootfs tarball', async () => {
    const root = `${tmp()}/rootfs`;
    mkdirSync(root);
    await extractTar(stream(makeTar([{ path: '.wh.x', body: 'plain file' }])), root, { owner: false });
    expect(readFileSync(`${root}/.wh.x`, 'utf8')).toBe('plain file');
  });

  it('replaces a lower directory by a file and a lower file by a directory', async () => {
    const root = `${tmp()}/rootfs`;
    mkdirSync(root);
    await extractTar(stream(makeTar([{ path: 'a/x', body: '1' }, { path: 'b', body: 'file' }])), root, { whiteouts: true, owner: false });
    await extractTar(stream(makeTar([{ path: 'a', body: 'now a file' }, { path: 'b/', type: 'Directory' }])), root, { whiteouts: true, owner: false });
    expect(readFileSync(`${root}/a`, 'utf8')).toBe('now a file');
    expect(lstatSync(`${root}/b`).isDirectory()).toBe(true);
  });
});
