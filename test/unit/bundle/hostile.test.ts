/**
 * Hostile archives: each is refused with the member's name, and nothing appears outside
 * the rootfs (checked against a sentinel parent directory that holds only the bundle).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { extractTar, type ExtractOptions } from '../../../src/bundle/extract.js';
import { makeTar, tmp, type TarEntry } from './helpers.js';

interface Arena {
  sentinel: string;
  root: string;
}

function arena(): Arena {
  const sentinel = tmp('joey-sentinel-');
  writeFileSync(`${sentinel}/secret`, 'host secret');
  const root = `${sentinel}/bundle/rootfs`;
  mkdirSync(root, { recursive: true });
  return { sentinel, root };
}

/** Nothing was written outside the rootfs. */
function untouched(a: Arena): void {
  expect(readdirSync(a.sentinel).sort()).toEqual(['bundle', 'secret']);
  expect(readdirSync(`${a.sentinel}/bundle`)).toEqual(['rootfs']);
  expect(readFileSync(`${a.sentinel}/secret`, 'utf8')).toBe('host secret');
}

async function run(a: Arena, entries: TarEntry[], opts: ExtractOptions = {}): Promise<void> {
  await extractTar(Readable.from([makeTar(entries)]), a.root, { owner: false, devices: false, whiteouts: true, ...opts });
}

describe('safe extraction refuses hostile members', () => {
  it('`..` names', async () => {
    const a = arena();
    await expect(run(a, [{ path: '../../evil', body: 'x' }])).rejects.toThrow(
      'bundle: refusing archive member `../../evil`: path escapes the rootfs',
    );
    await expect(run(a, [{ path: 'ok/../../x', body: 'x' }])).rejects.toThrow('refusing archive member `ok/../../x`: path escapes the rootfs');
    untouched(a);
  });

  it('absolute names', async () => {
    const a = arena();
    const abs = `${a.sentinel}/abs-evil`;
    await expect(run(a, [{ path: abs, body: 'x' }])).rejects.toThrow(`refusing archive member \`${abs}\`: path is absolute`);
    expect(existsSync(abs)).toBe(false);
    untouched(a);
  });

  it('a symlink followed out of the tree (`link -> ../../..`, then `link/file`)', async () => {
    const a = arena();
    await expect(
      run(a, [
        { path: 'link', type: 'SymbolicLink', linkpath: '../../..' },
        { path: 'link/file', body: 'x' },
      ]),
    ).rejects.toThrow('refusing archive member `link/file`: `link` is a symlink; extraction would follow it');
    untouched(a);
  });

  it('a symlink to an absolute host directory (`a -> /sentinel`, then `a/secret`)', async () => {
    const a = arena();
    await expect(
      run(a, [
        { path: 'a', type: 'SymbolicLink', linkpath: a.sentinel },
        { path: 'a/secret', body: 'overwritten' },
      ]),
    ).rejects.toThrow('refusing archive member `a/secret`: `a` is a symlink');
    untouched(a);
  });

  it('a directory member through a symlink', async () => {
    const a = arena();
    await expect(
      run(a, [
        { path: 'd', type: 'SymbolicLink', linkpath: a.sentinel },
        { path: 'd/sub/', type: 'Directory' },
      ]),
    ).rejects.toThrow('refusing archive member `d/sub/`: `d` is a symlink');
    untouched(a);
  });

  it('a symlink planted by a lower layer', async () => {
    const a = arena();
    await run(a, [{ path: 'etc', type: 'SymbolicLink', linkpath: a.sentinel }]);
    await expect(run(a, [{ path: 'etc/secret', body: 'x' }])).rejects.toThrow('refusing archive member `etc/secret`: `etc` is a symlink');
    untouched(a);
  });

  it('a hard link to outside (`linkname: ../../etc/passwd`)', async () => {
    const a = arena();
    await expect(run(a, [{ path: 'h', type: 'Link', linkpath: '../../etc/passwd' }])).rejects.toThrow(
      'refusing archive member `h`: hard link target escapes the rootfs',
    );
    await expect(run(a, [{ path: 'h', type: 'Link', linkpath: `${a.sentinel}/secret` }])).rejects.toThrow(
      'refusing archive member `h`: hard link target is absolute',
    );
    untouched(a);
  });

  it('a hard link through a symlink (`s -> /sentinel`, then `h` => `s/secret`)', async () => {
    const a = arena();
    await expect(
      run(a, [
        { path: 's', type: 'SymbolicLink', linkpath: a.sentinel },
        { path: 'h', type: 'Link', linkpath: 's/secret' },
      ]),
    ).rejects.toThrow('refusing archive member `h`: `s` is a symlink');
    expect(lstatSync(`${a.sentinel}/secret`).nlink).toBe(1);
    untouched(a);
  });

  it('a hard link to a missing file', async () => {
    const a = arena();
    await expect(run(a, [{ path: 'h', type: 'Link', linkpath: 'nowhere' }])).rejects.toThrow(
      'refusing archive member `h`: hard link target `nowhere` is not in the archive',
    );
    untouched(a);
  });

  it('names longer than PATH_MAX, and components longer than NAME_MAX', async () => {
    const a = arena();
    const huge = `${'d/'.repeat(2100)}f`; // 4201 bytes
    await expect(run(a, [{ path: huge, body: 'x' }])).rejects.toThrow(/refusing archive member `d\/d\/d.*…`: path is longer than 4095 bytes/);
    await expect(run(a, [{ path: `${'n'.repeat(300)}`, body: 'x' }])).rejects.toThrow('has a component longer than 255 bytes');
    untouched(a);
  });

  it('device nodes when not root', async () => {
    const a = arena();
    await expect(run(a, [{ path: 'dev/sda', type: 'BlockDevice', devmaj: 8, devmin: 0 }], { devices: false })).rejects.toThrow(
      'refusing archive member `dev/sda`: device nodes can only be created as root',
    );
    await expect(run(a, [{ path: 'dev/mem', type: 'CharacterDevice', devmaj: 1, devmin: 1 }], { devices: false })).rejects.toThrow(
      'refusing archive member `dev/mem`',
    );
    untouched(a);
  });

  it('whiteouts and opaque markers reached through a symlink', async () => {
    const a = arena();
    await run(a, [{ path: 's', type: 'SymbolicLink', linkpath: a.sentinel }]);
    await expect(run(a, [{ path: 's/.wh.secret' }])).rejects.toThrow('refusing archive member `s/.wh.secret`: `s` is a symlink');
    await expect(run(a, [{ path: 's/.wh..wh..opq' }])).rejects.toThrow('refusing archive member `s/.wh..wh..opq`: `s` is a symlink');
    untouched(a);
  });

  it('a whiteout that names `..`', async () => {
    const a = arena();
    await expect(run(a, [{ path: 'x/.wh...' }])).rejects.toThrow('refusing archive member `x/.wh...`: invalid whiteout name');
    untouched(a);
  });
});

describe('safe extraction never writes through a final symlink', () => {
  it('a file member replacing a symlink replaces the link, not its target', async () => {
    const a = arena();
    await run(a, [
      { path: 'f', type: 'SymbolicLink', linkpath: `${a.sentinel}/secret` },
      { path: 'f', body: 'inside' },
    ]);
    expect(readFileSync(`${a.root}/f`, 'utf8')).toBe('inside');
    expect(lstatSync(`${a.root}/f`).isFile()).toBe(true);
    untouched(a);
  });

  it('a hard link to a symlink is a symlink, not a link to its target', async () => {
    const a = arena();
    await run(a, [
      { path: 's', type: 'SymbolicLink', linkpath: `${a.sentinel}/secret` },
      { path: 'h', type: 'Link', linkpath: 's' },
    ]);
    expect(lstatSync(`${a.root}/h`).isSymbolicLink()).toBe(true);
    expect(lstatSync(`${a.sentinel}/secret`).nlink).toBe(1);
    untouched(a);
  });

  it('a directory replaced by a symlink later in the archive gets no deferred chmod through it', async () => {
    const a = arena();
    const before = lstatSync(a.sentinel).mode & 0o7777;
    await run(a, [
      { path: 'd/', type: 'Directory', mode: 0o4751 },
      { path: 'd', type: 'SymbolicLink', linkpath: a.sentinel },
    ]);
    expect(before).not.toBe(0o4751);
    expect(lstatSync(a.sentinel).mode & 0o7777).toBe(before);
    expect(lstatSync(`${a.root}/d`).isSymbolicLink()).toBe(true);
    untouched(a);
  });
});
