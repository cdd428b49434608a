/**
 * `docker save` archives — docker's image archive format (manifest.json: Config, RepoTags,
 * Layers), both the legacy `<id>/layer.tar` tree and Docker ≥ 25's `blobs/sha256/<hex>`.
 * Digests: the config file's name is its sha256; each layer's uncompressed sha256 must
 * equal the config's rootfs.diff_ids entry (config.md#layer-diffids).
 */
import { createHash } from 'node:crypto';
import { BundleError } from './errors.js';
import { normalizeMember, readFileInRoot } from './paths.js';
import { parseJson, parsePlatform, platformMatches, showPlatform, type ImagePlan, type LayerRef } from './oci-layout.js';
import type { ImageConfig } from './image-config.js';

interface SaveEntry {
  Config?: string;
  RepoTags?: string[] | null;
  Layers?: string[];
}

const BLOB = /^blobs\/sha256\/([a-f0-9]{64})$/;
const LEGACY_CONFIG = /^([a-f0-9]{64})\.json$/;

function inArchive(p: unknown, what: string): string {
  if (typeof p !== 'string' || p === '') throw new BundleError(`manifest.json: ${what} is missing`);
  try {
    const rel = normalizeMember(p);
    if (rel === '') throw new Error('empty');
    return rel;
  } catch {
    throw new BundleError(`manifest.json: ${what} \`${p}\` is not a path inside the archive`);
  }
}

export function readDockerSave(root: string, opts: { platform?: string; ref?: string; name: string }): ImagePlan {
  const raw = readFileInRoot(root, 'manifest.json');
  if (!raw) throw new BundleError(`\`${opts.name}\` has no \`manifest.json\``);
  const entries = parseJson<SaveEntry[]>(raw, 'manifest.json');
  if (!Array.isArray(entries) || entries.length === 0) throw new BundleError(`\`${opts.name}\`: manifest.json lists no image`);

  let entry: SaveEntry;
  const tags = entries.flatMap((e) => e.RepoTags ?? []);
  if (opts.ref !== undefined) {
    const ref = opts.ref;
    const want = [ref, `${ref}:latest`];
    const hit = entries.find((e) => (e.RepoTags ?? []).some((t) => want.includes(t) || t.endsWith(`/${ref}`) || t.endsWith(`:${ref}`)));
    if (!hit) throw new BundleError(`\`${opts.name}\` has no image named \`${ref}\`${tags.length ? ` (it has: ${tags.join(', ')})` : ''}`);
    entry = hit;
  } else if (entries.length > 1) {
    throw new BundleError(`\`${opts.name}\` holds ${entries.length} images (${tags.join(', ') || 'untagged'}); name one as SOURCE:REF`);
  } else {
    entry = entries[0] as SaveEntry;
  }

  const configPath = inArchive(entry.Config, 'Config');
  const configData = readFileInRoot(root, configPath);
  if (!configData) throw new BundleError(`\`${opts.name}\`: config \`${configPath}\` is missing`);
  const named = BLOB.exec(configPath) ?? LEGACY_CONFIG.exec(configPath);
  if (named) {
    const got = `sha256:${createHash('sha256').update(configData).digest('hex')}`;
    if (got !== `sha256:${named[1]}`) {
      throw new BundleError(`blob sha256:${named[1]} digest mismatch (got ${got})`, { code: 'EBUNDLE_DIGEST' });
    }
  }
  const config = parseJson<ImageConfig>(configData, configPath);

  const want = parsePlatform(opts.platform);
  const have = { os: config.os ?? '', architecture: config.architecture ?? '', ...(config.variant ? { variant: config.variant } : {}) };
  if (!platformMatches(have, want, opts.platform !== undefined)) {
    throw new BundleError(`\`${opts.name}\` is an image for ${showPlatform(have)}, not ${showPlatform(want)} (choose it with --platform ${showPlatform(have)})`);
  }

  const layers = entry.Layers ?? [];
  const diffIds = config.rootfs?.diff_ids;
  if (Array.isArray(diffIds) && diffIds.length !== layers.length) {
    throw new BundleError(`\`${opts.name}\`: config lists ${diffIds.length} diff_ids for ${layers.length} layers`);
  }
  return {
    root,
    config,
    platform: want,
    layers: layers.map((l, i): LayerRef => {
      const path = inArchive(l, `Layers[${i}]`);
      const m = BLOB.exec(path);
      return {
        path,
        ...(m ? { digest: `sha256:${m[1]}` } : {}),
        ...(diffIds?.[i] !== undefined ? { diffId: diffIds[i] } : {}),
      };
    }),
  };
}
