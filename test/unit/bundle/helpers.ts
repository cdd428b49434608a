/**
 * Test helpers: tar archives, OCI layouts and docker-save trees built byte by byte, so
 * tests can make hostile archives no tar(1) would write.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { Header, create as tarCreate } from 'tar';

export type EntryType = 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO';

export interface TarEntry {
  path: string;
  type?: EntryType;
  mode?: number;
  uid?: number;
  gid?: number;
  linkpath?: string;
  body?: string | Buffer;
  devmaj?: number;
  devmin?: number;
  xattrs?: Record<string, string | Buffer>;
  mtime?: Date;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const rest = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = rest.length + 1;
  while (String(len).length + rest.length !== len) len = String(len).length + rest.length;
  return Buffer.concat([Buffer.from(String(len)), rest]);
}

function header(fields: Record<string, unknown>): Buffer {
  const b = Buffer.alloc(512);
  new Header(fields as ConstructorParameters<typeof Header>[0]).encode(b, 0);
  return b;
}

function pad(body: Buffer): Buffer {
  const p = (512 - (body.length % 512)) % 512;
  return Buffer.concat([body, Buffer.alloc(p)]);
}

/** A tar archive; long names and xattrs go in a pax header, as Go's archive/tar writes them. */
export function makeTar(entries: TarEntry[]): Buffer {
  const out: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? 'File';
    const body = e.body === undefined ? Buffer.alloc(0) : Buffer.from(e.body);
    const records: Buffer[] = [];
    if (Buffer.byteLength(e.path) > 99) records.push(paxRecord('path', Buffer.from(e.path)));
    if (e.linkpath && Buffer.byteLength(e.linkpath) > 99) records.push(paxRecord('linkpath', Buffer.from(e.linkpath)));
    for (const [k, v] of Object.entries(e.xattrs ?? {})) records.push(paxRecord(`SCHILY.xattr.${k}`, Buffer.from(v)));
    if (records.length) {
      const pax = Buffer.concat(records);
      out.push(header({ path: 'PaxHeader', type: 'ExtendedHeader', size: pax.length, mode: 0o644, mtime: new Date(0) }));
      out.push(pad(pax));
    }
    out.push(
      header({
        path: Buffer.byteLength(e.path) > 99 ? e.path.slice(0, 99) : e.path,
        type,
        mode: e.mode ?? (type === 'Directory' ? 0o755 : 0o644),
        uid: e.uid ?? 0,
        gid: e.gid ?? 0,
        size: type === 'File' ? body.length : 0,
        mtime: e.mtime ?? new Date(1_700_000_000_000),
        linkpath: e.linkpath && Buffer.byteLength(e.linkpath) <= 99 ? e.linkpath : e.linkpath?.slice(0, 99),
        devmaj: e.devmaj ?? 0,
        devmin: e.devmin ?? 0,
      }),
    );
    if (type === 'File') out.push(pad(body));
  }
  out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}

export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export function tmp(prefix = 'joey-bundle-'): string {
  return mkdtempSync(`${tmpdir()}/${prefix}`);
}

export interface LayoutOptions {
  layers: Buffer[];
  gzip?: boolean;
  config?: Record<string, unknown>;
  platform?: { os: string; architecture: string; variant?: string };
  /** extra manifests for other platforms (not applied) */
  others?: Array<{ os: string; architecture: string; variant?: string }>;
  ref?: string;
  /** override the layers' mediaType */
  layerMediaType?: string;
  /** corrupt the first layer blob after writing its descriptor */
  corruptLayer?: boolean;
}

function writeBlob(dir: string, data: Buffer): { digest: string; size: number } {
  const digest = sha256(data);
  mkdirSync(`${dir}/blobs/sha256`, { recursive: true });
  writeFileSync(`${dir}/blobs/sha256/${digest.slice(7)}`, data);
  return { digest, size: data.length };
}

/** An OCI image layout: index.json → image index → manifest → config + layers. */
export function makeOciLayout(dir: string, o: LayoutOptions): { manifestDigest: string; layerDigests: string[] } {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/oci-layout`, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const platform = o.platform ?? { os: 'linux', architecture: 'amd64' };
  const manifestFor = (p: { os: string; architecture: string; variant?: string }, layers: Buffer[], extra?: Record<string, unknown>) => {
    const config = {
      architecture: p.architecture,
      os: p.os,
      ...(p.variant ? { variant: p.variant } : {}),
      config: {},
      ...extra,
      rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l)) },
    };
    const cfg = writeBlob(dir, Buffer.from(JSON.stringify(config)));
    const layerDescs = layers.map((l) => {
      const stored = o.gzip ? gzipSync(l) : l;
      const d = writeBlob(dir, stored);
      return { mediaType: o.layerMediaType ?? `application/vnd.oci.image.layer.v1.tar${o.gzip ? '+gzip' : ''}`, ...d };
    });
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
      layers: layerDescs,
    };
    const m = writeBlob(dir, Buffer.from(JSON.stringify(manifest)));
    return { desc: { mediaType: manifest.mediaType, ...m, platform: p }, layerDescs };
  };
  const main = manifestFor(platform, o.layers, o.config);
  const others = (o.others ?? []).map((p) => manifestFor(p, [makeTar([{ path: 'wrong-platform', body: 'x' }])]).desc);
  const imageIndex = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [...others, main.desc],
  };
  const idx = writeBlob(dir, Buffer.from(JSON.stringify(imageIndex)));
  writeFileSync(
    `${dir}/index.json`,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.index.v1+json',
          ...idx,
          annotations: { 'org.opencontainers.image.ref.name': o.ref ?? 'latest' },
        },
      ],
    }),
  );
  if (o.corruptLayer) {
    const first = main.layerDescs[0];
    if (first) writeFileSync(`${dir}/blobs/sha256/${first.digest.slice(7)}`, Buffer.from('corrupted'));
  }
  return { manifestDigest: main.desc.digest, layerDigests: main.layerDescs.map((l) => l.digest) };
}

/** A legacy `docker save` tree: manifest.json, <hex>.json config, <id>/layer.tar. */
export function makeDockerSave(dir: string, o: { layers: Buffer[]; config?: Record<string, unknown>; tag?: string }): void {
  mkdirSync(dir, { recursive: true });
  const config = {
    architecture: 'amd64',
    os: 'linux',
    config: {},
    ...o.config,
    rootfs: { type: 'layers', diff_ids: o.layers.map((l) => sha256(l)) },
  };
  const cfg = Buffer.from(JSON.stringify(config));
  const cfgName = `${sha256(cfg).slice(7)}.json`;
  writeFileSync(`${dir}/${cfgName}`, cfg);
  const layerPaths = o.layers.map((l, i) => {
    const id = createHash('sha256').update(`layer${i}`).digest('hex');
    mkdirSync(`${dir}/${id}`);
    writeFileSync(`${dir}/${id}/layer.tar`, l);
    writeFileSync(`${dir}/${id}/VERSION`, '1.0');
    return `${id}/layer.tar`;
  });
  writeFileSync(`${dir}/manifest.json`, JSON.stringify([{ Config: cfgName, RepoTags: [o.tag ?? 'test:latest'], Layers: layerPaths }]));
}

/** tar of a directory's contents, as `tar -C dir -cf out .` would make. */
export async function tarDir(dir: string, out: string): Promise<void> {
  await tarCreate({ file: out, cwd: dir, portable: true }, ['.']);
}

/** The two layers of the OCI round trip: a base, then whiteouts and an opaque directory. */
export function twoLayers(): [Buffer, Buffer] {
  const base = makeTar([
    { path: 'etc/', type: 'Directory' },
    { path: 'etc/passwd', body: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n' },
    { path: 'etc/group', body: 'root:x:0:\napp:x:1000:\nextra:x:2000:app\n' },
    { path: 'bin/', type: 'Directory' },
    { path: 'bin/tool', body: '#!/bin/sh\n', mode: 0o4755, uid: 0, gid: 0 },
    { path: 'gone.txt', body: 'lower' },
    { path: 'opq/', type: 'Directory' },
    { path: 'opq/lower1', body: 'l1' },
    { path: 'opq/sub/', type: 'Directory' },
    { path: 'opq/sub/lower2', body: 'l2' },
    { path: 'keep/', type: 'Directory', mode: 0o750, uid: 1000, gid: 1000 },
    { path: 'keep/file', body: 'kept', uid: 1000, gid: 1000, mode: 0o640 },
  ]);
  const top = makeTar([
    { path: '.wh.gone.txt' },
    { path: 'opq/', type: 'Directory' },
    { path: 'opq/.wh..wh..opq' },
    { path: 'opq/upper', body: 'u' },
    { path: 'keep/new', body: 'new' },
    { path: 'keep/.wh.new' }, // same layer: must not hide keep/new
  ]);
  return [base, top];
}

export function writeTmp(name: string, data: Buffer): string {
  const d = tmp();
  writeFileSync(`${d}/${name}`, data);
  return `${d}/${name}`;
}

export { gzipSync };
