/**
 * OCI image layouts — image-spec image-layout.md (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`),
 * image-index.md (platform selection), manifest.md, descriptor.md (digests and sizes).
 *
 * Every blob is read inside the layout with symlinks resolved in-root (a layout unpacked from
 * an untrusted tar may hold `blobs/sha256/x -> /etc/shadow`) and checked against its
 * descriptor's digest and size before it is used.
 */
import { closeSync, createReadStream, fstatSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { arch } from 'node:process';
import { BundleError } from './errors.js';
import { openInRoot, readFileInRoot } from './paths.js';
import type { ImageConfig } from './image-config.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** One layer to apply: a file inside `root` plus what it must hash to. */
export interface LayerRef {
  /** path of the blob inside the source tree */
  path: string;
  /** digest of the blob as stored (compressed), when known */
  digest?: string;
  size?: number;
  /** digest of the uncompressed tar (config rootfs.diff_ids), when known */
  diffId?: string;
}

export interface ImagePlan {
  root: string;
  config: ImageConfig;
  layers: LayerRef[];
  platform: Platform;
}

const MT = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
};
const INDEX_TYPES = new Set([MT.ociIndex, MT.dockerList]);
const MANIFEST_TYPES = new Set([MT.ociManifest, MT.dockerManifest]);
const CONFIG_TYPES = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']);

/** descriptor.md#digests: algorithm and encoded part; only registered algorithms are hashed. */
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function blobPath(digest: string, where: string): string {
  if (!DIGEST.test(digest)) {
    throw new BundleError(`${where}: unsupported or malformed digest \`${digest}\` (descriptor.md#digests)`);
  }
  const [alg, hex] = digest.split(':') as [string, string];
  return `blobs/${alg}/${hex}`;
}

function mismatch(expected: string, got: string): BundleError {
  return new BundleError(`blob ${expected} digest mismatch (got ${got})`, { code: 'EBUNDLE_DIGEST' });
}

/** Reads a small JSON blob, checking digest and size first. */
export function readJsonBlob<T>(root: string, desc: Descriptor, where: string): T {
  const path = blobPath(desc.digest, where);
  const data = readFileInRoot(root, path);
  if (!data) throw new BundleError(`${where}: blob \`${path}\` is missing`);
  const alg = desc.digest.split(':')[0] as string;
  const got = `${alg}:${createHash(alg).update(data).digest('hex')}`;
  if (got !== desc.digest) throw mismatch(desc.digest, got);
  if (typeof desc.size === 'number' && data.length !== desc.size) {
    throw new BundleError(`blob ${desc.digest} has ${data.length} bytes, its descriptor says ${desc.size}`);
  }
  return parseJson<T>(data, path);
}

export function parseJson<T>(data: Buffer, path: string): T {
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch (err) {
    throw new BundleError(`\`${path}\` is not valid JSON: ${(err as Error).message}`);
  }
}

/** Streams a blob through its hash; rejects with the issue's message on mismatch. */
export async function verifyBlob(root: string, layer: LayerRef, onBytes?: (n: number) => void): Promise<void> {
  if (!layer.digest) return;
  const fd = openInRoot(root, layer.path);
  if (fd === undefined) throw new BundleError(`layer \`${layer.path}\` is missing`);
  const size = fstatSync(fd).size;
  const alg = layer.digest.split(':')[0] as string;
  const h = createHash(alg);
  const stream = createReadStream('', { fd, autoClose: true, highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream) {
      h.update(chunk as Buffer);
      onBytes?.((chunk as Buffer).length);
    }
  } finally {
    stream.destroy();
  }
  const got = `${alg}:${h.digest('hex')}`;
  if (got !== layer.digest) throw mismatch(layer.digest, got);
  if (layer.size !== undefined && size !== layer.size) {
    throw new BundleError(`blob ${layer.digest} has ${size} bytes, its descriptor says ${layer.size}`);
  }
}

/** The blob's size on disk, for progress; undefined when it is missing. */
export function blobSize(root: string, path: string): number | undefined {
  const fd = openInRoot(root, path);
  if (fd === undefined) return undefined;
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

const ARCH: Record<string, Platform> = {
  x64: { os: 'linux', architecture: 'amd64' },
  arm64: { os: 'linux', architecture: 'arm64', variant: 'v8' },
  arm: { os: 'linux', architecture: 'arm', variant: 'v7' },
  ia32: { os: 'linux', architecture: '386' },
  ppc64: { os: 'linux', architecture: 'ppc64le' },
  s390x: { os: 'linux', architecture: 's390x' },
  riscv64: { os: 'linux', architecture: 'riscv64' },
  loong64: { os: 'linux', architecture: 'loong64' },
};

export function hostPlatform(): Platform {
  return ARCH[arch] ?? { os: 'linux', architecture: arch };
}

/** `os/arch[/variant]`, image-index.md#platform-variants. */
export function parsePlatform(s: string | undefined): Platform {
  if (s === undefined) return hostPlatform();
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new BundleError(`--platform \`${s}\`: expected os/arch[/variant], e.g. linux/arm64/v8`);
  }
  const [os, architecture, variant] = parts as [string, string, string?];
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function showPlatform(p: Partial<Platform> | undefined): string {
  if (!p) return 'unknown';
  return [p.os ?? '?', p.architecture ?? '?', p.variant].filter(Boolean).join('/');
}

/** A variant absent on either side matches; arm64 without a variant means v8. */
export function platformMatches(have: Partial<Platform> | undefined, want: Platform, explicitVariant: boolean): boolean {
  if (!have || have.os !== want.os || have.architecture !== want.architecture) return false;
  if (!explicitVariant || !want.variant) return true;
  const v = have.variant ?? (have.architecture === 'arm64' ? 'v8' : undefined);
  return v === undefined || v === want.variant;
}

interface Index {
  schemaVersion?: number;
  mediaType?: string;
  manifests?: Descriptor[];
}

interface Manifest {
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
}

const REF_KEYS = ['org.opencontainers.image.ref.name', 'io.containerd.image.name'];

interface Candidate {
  desc: Descriptor;
  manifest: Manifest;
  config: ImageConfig;
  ref?: string;
}

/**
 * Picks the image manifest for `want` from `index.json`, walking nested indexes, skipping
 * attestation manifests, and checking the config's own os/architecture when a descriptor
 * carries no platform.
 */
export function readOciLayout(root: string, opts: { platform?: string; ref?: string; name: string }): ImagePlan {
  const want = parsePlatform(opts.platform);
  const explicitVariant = opts.platform !== undefined && want.variant !== undefined;
  const layoutFile = readFileInRoot(root, 'oci-layout');
  if (!layoutFile) throw new BundleError(`\`${opts.name}\` has no \`oci-layout\` file (image-layout.md)`);
  const layout = parseJson<{ imageLayoutVersion?: string }>(layoutFile, 'oci-layout');
  if (typeof layout.imageLayoutVersion !== 'string' || !layout.imageLayoutVersion.startsWith('1.')) {
    throw new BundleError(`\`${opts.name}\`: unsupported imageLayoutVersion ${JSON.stringify(layout.imageLayoutVersion)}`);
  }
  const indexFile = readFileInRoot(root, 'index.json');
  if (!indexFile) throw new BundleError(`\`${opts.name}\` has no \`index.json\` (image-layout.md)`);
  const index = parseJson<Index>(indexFile, 'index.json');

  let top = index.manifests ?? [];
  if (opts.ref !== undefined) {
    const ref = opts.ref;
    top = top.filter((d) => REF_KEYS.some((k) => d.annotations?.[k] === ref || d.annotations?.[k]?.endsWith(`:${ref}`)));
    if (top.length === 0) {
      const refs = refsOf(index.manifests ?? []);
      throw new BundleError(`\`${opts.name}\` has no image named \`${ref}\`${refs.length ? ` (it has: ${refs.join(', ')})` : ''}`);
    }
  }

  const found: Candidate[] = [];
  const seenPlatforms: string[] = [];
  const walk = (descs: Descriptor[], where: string, ref: string | undefined, depth: number): void => {
    if (depth > 4) throw new BundleError(`${where}: image indexes nested too deeply`);
    for (const d of descs) {
      const dref = ref ?? REF_KEYS.map((k) => d.annotations?.[k]).find((v) => v !== undefined);
      if (d.mediaType && INDEX_TYPES.has(d.mediaType)) {
        const sub = readJsonBlob<Index>(root, d, where);
        walk(sub.manifests ?? [], `blob ${d.digest}`, dref, depth + 1);
        continue;
      }
      if (d.mediaType && !MANIFEST_TYPES.has(d.mediaType)) continue; // artifacts, signatures
      if (d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') continue;
      if (d.platform) {
        seenPlatforms.push(showPlatform(d.platform));
        if (!platformMatches(d.platform, want, explicitVariant)) continue;
      }
      const manifest = readJsonBlob<Manifest>(root, d, where);
      if (manifest.mediaType && INDEX_TYPES.has(manifest.mediaType)) {
        walk((manifest as Index).manifests ?? [], `blob ${d.digest}`, dref, depth + 1);
        continue;
      }
      if (!manifest.config || !Array.isArray(manifest.layers)) {
        throw new BundleError(`manifest ${d.digest} has no config or layers (manifest.md)`);
      }
      if (manifest.config.mediaType && !CONFIG_TYPES.has(manifest.config.mediaType)) continue; // not a container image
      const config = readJsonBlob<ImageConfig>(root, manifest.config, `manifest ${d.digest}`);
      if (!d.platform) {
        const p = { os: config.os ?? '', architecture: config.architecture ?? '', ...(config.variant ? { variant: config.variant } : {}) };
        seenPlatforms.push(showPlatform(p));
        if (!platformMatches(p, want, explicitVariant)) continue;
      }
      found.push({ desc: d, manifest, config, ...(dref !== undefined ? { ref: dref } : {}) });
    }
  };
  walk(top, 'index.json', undefined, 0);

  if (found.length === 0) {
    const avail = [...new Set(seenPlatforms)];
    throw new BundleError(
      `\`${opts.name}\` has no image for ${showPlatform(want)}${avail.length ? ` (it has: ${avail.join(', ')}; choose one with --platform)` : ''}`,
    );
  }
  const distinct = [...new Map(found.map((c) => [c.desc.digest, c])).values()];
  let chosen = distinct[0] as Candidate;
  if (distinct.length > 1) {
    // Several variants for one image (arm v6/v7): prefer the host's own variant.
    const sameRef = new Set(distinct.map((c) => c.ref ?? '')).size === 1;
    if (!sameRef) {
      throw new BundleError(
        `\`${opts.name}\` holds several images (${refsOf(distinct.map((c) => c.desc)).join(', ') || 'unnamed'}); name one as SOURCE:REF`,
      );
    }
    chosen = distinct.find((c) => c.desc.platform?.variant === want.variant) ?? chosen;
  }

  const diffIds = chosen.config.rootfs?.diff_ids;
  const layers = chosen.manifest.layers ?? [];
  if (Array.isArray(diffIds) && diffIds.length !== layers.length) {
    throw new BundleError(`image config ${chosen.manifest.config?.digest} lists ${diffIds.length} diff_ids for ${layers.length} layers`);
  }
  return {
    root,
    config: chosen.config,
    platform: want,
    layers: layers.map((l, i) => {
      if (l.mediaType && (!/\.tar([+.]|$)/.test(l.mediaType) || /encrypted/.test(l.mediaType))) {
        throw new BundleError(`layer ${l.digest}: unsupported media type \`${l.mediaType}\``);
      }
      return {
        path: blobPath(l.digest, `manifest ${chosen.desc.digest}`),
        digest: l.digest,
        size: l.size,
        ...(diffIds?.[i] !== undefined ? { diffId: diffIds[i] } : {}),
      };
    }),
  };
}

function refsOf(descs: Descriptor[]): string[] {
  return [...new Set(descs.flatMap((d) => REF_KEYS.map((k) => d.annotations?.[k]).filter((v): v is string => !!v)))];
}
