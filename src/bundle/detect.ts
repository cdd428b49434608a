/**
 * What `--from` names, and how to read an archive — image-spec image-layout.md (the
 * `oci-layout` file, `index.json`, `blobs/`), docker's `docker save` format (manifest.json),
 * and plain rootfs tarballs (`docker export`).
 * Formats: gzip (RFC 1952), zstd (RFC 8878) magic numbers.
 */
import { closeSync, createReadStream, existsSync, readSync, statSync } from 'node:fs';
import type { Hash } from 'node:crypto';
import { PassThrough, Transform, pipeline, type Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { BundleError } from './errors.js';
import { normalizeMember } from './paths.js';
import { TarReader } from './tar-reader.js';

export type Source =
  | { kind: 'busybox' }
  | { kind: 'rootfs'; path: string }
  | { kind: 'oci'; path: string; dir: boolean; ref?: string }
  | { kind: 'docker'; path: string; dir: boolean; ref?: string };

export type Compression = 'none' | 'gzip' | 'zstd' | 'xz' | 'bzip2';

export function sniff(head: Buffer): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.readUInt32LE(0) === 0xfd2fb528 && head.length >= 4) return 'zstd';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  return 'none';
}

export interface OpenOptions {
  /** counts raw (compressed) bytes as they are read, for progress */
  onBytes?: (n: number) => void;
  /** hashes the uncompressed tar stream (an image layer's diff_id) */
  tarHash?: Hash;
  /** for messages */
  name: string;
}

/**
 * An uncompressed tar stream from an open fd, which it owns (closed on every path). Compression is
 * chosen by magic number, not by file name or media type: registries and `docker save`
 * mislabel layers often enough.
 */
export function openTar(fd: number, opts: OpenOptions): Readable {
  const head = Buffer.alloc(6);
  let n: number;
  try {
    n = readSync(fd, head, 0, 6, 0);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  const kind = n >= 4 ? sniff(head.subarray(0, n)) : 'none';
  const raw = createReadStream('', { fd, start: 0, autoClose: true, highWaterMark: 1 << 20 });
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      opts.onBytes?.(chunk.length);
      cb(null, chunk);
    },
  });
  let decomp: Transform;
  switch (kind) {
    case 'gzip':
      decomp = zlib.createGunzip();
      break;
    case 'zstd': {
      const z = zlib as unknown as { createZstdDecompress?: () => Transform };
      if (typeof z.createZstdDecompress !== 'function') {
        raw.destroy();
        throw new BundleError(
          `\`${opts.name}\` is zstd-compressed and zstd is not supported: this Node (${process.version}) has no zstd in node:zlib (Node ≥ 22.15 has); decompress it first (zstd -d)`,
          { code: 'EBUNDLE_ZSTD' },
        );
      }
      decomp = z.createZstdDecompress();
      break;
    }
    case 'xz':
    case 'bzip2':
      raw.destroy();
      throw new BundleError(`\`${opts.name}\` is ${kind}-compressed, which is not supported; decompress it first`);
    default:
      decomp = new PassThrough();
  }
  const hash = opts.tarHash;
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash?.update(chunk);
      cb(null, chunk);
    },
  });
  return pipeline(raw, counter, decomp, hasher, () => {
    /* errors surface through the returned stream's iterator */
  });
}

const IMAGE_NAME = /^(oci-layout|index\.json|manifest\.json|repositories|blobs(\/.*)?|[a-f0-9]{64}(\.json|\/.*)?)$/;

/** Splits `path:ref` when `path` alone exists and the whole string does not (skopeo's `oci:dir:tag`). */
function splitRef(from: string): { path: string; ref?: string } {
  if (existsSync(from)) return { path: from };
  const i = from.lastIndexOf(':');
  if (i > 0 && !from.slice(i).includes('/') && existsSync(from.slice(0, i))) {
    return { path: from.slice(0, i), ref: from.slice(i + 1) };
  }
  return { path: from };
}

/**
 * Classifies `--from`. A directory is an OCI layout (has `oci-layout`) or a `docker save`
 * tree (has `manifest.json`). A file is read until its member names show what it is: an
 * image archive holds only layout names, a rootfs tarball soon shows `bin/` or `etc/`.
 */
export async function detectSource(from: string, openFd: (path: string) => number): Promise<Source> {
  if (from === 'busybox') return { kind: 'busybox' };
  const { path, ref } = splitRef(from);
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new BundleError(`source \`${from}\` does not exist (expected a rootfs tarball, an OCI layout, a docker save archive or "busybox")`);
  }
  const withRef = ref === undefined ? {} : { ref };
  if (st.isDirectory()) {
    if (existsSync(`${path}/oci-layout`) && existsSync(`${path}/index.json`)) return { kind: 'oci', path, dir: true, ...withRef };
    if (existsSync(`${path}/manifest.json`)) return { kind: 'docker', path, dir: true, ...withRef };
    throw new BundleError(`\`${path}\` is a directory but neither an OCI image layout (no \`oci-layout\`) nor a docker save tree (no \`manifest.json\`)`);
  }
  if (!st.isFile()) throw new BundleError(`source \`${path}\` is not a file or directory`);

  const seen = new Set<string>();
  let imageOnly = true;
  const stop = new Error('stop');
  const stream = openTar(openFd(path), { name: path });
  const reader = new TarReader({
    member(m) {
      let name: string;
      try {
        name = normalizeMember(m.path);
      } catch {
        imageOnly = false;
        throw stop;
      }
      if (name === '') return;
      if (!IMAGE_NAME.test(name)) {
        imageOnly = false;
        throw stop;
      }
      seen.add(name);
    },
    data() {},
    end() {},
  });
  try {
    for await (const chunk of stream) reader.write(chunk as Buffer);
    reader.finish();
  } catch (err) {
    if (err !== stop) throw err;
  } finally {
    stream.destroy();
  }
  if (imageOnly && seen.has('oci-layout') && seen.has('index.json')) return { kind: 'oci', path, dir: false, ...withRef };
  if (imageOnly && seen.has('manifest.json')) return { kind: 'docker', path, dir: false, ...withRef };
  if (ref !== undefined) throw new BundleError(`source \`${from}\` does not exist`);
  return { kind: 'rootfs', path };
}

