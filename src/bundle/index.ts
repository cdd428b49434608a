/**
 * `joey bundle create DIR --from SOURCE` — makes a runnable OCI bundle (runtime-spec
 * bundle.md: DIR/config.json + DIR/rootfs) from a rootfs tarball, an OCI image layout
 * (directory or tar; image-spec image-layout.md), a `docker save` archive, or the host's
 * static busybox, with no registry.
 *
 * Steps: classify the source (detect.ts); unpack an image archive into a staging tree
 * inside DIR; pick the manifest for the platform (oci-layout.ts, docker-save.ts); verify
 * each blob's digest, then apply the layers in order with whiteouts (extract.ts), checking
 * each layer's diff_id; write config.json from `joey spec`'s defaults plus the image config
 * (image-config.ts). On any failure everything made under DIR is removed.
 */
import { createHash } from 'node:crypto';
import { constants as C, lstatSync, statSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultSpec } from '../spec/defaults.js';
import { makeBusyboxRootfs } from './busybox.js';
import { detectSource, openTar } from './detect.js';
import { readDockerSave } from './docker-save.js';
import { BundleError } from './errors.js';
import { extractTar } from './extract.js';
import { applyImageConfig, type ImageConfig } from './image-config.js';
import { blobSize, readOciLayout, verifyBlob, type ImagePlan } from './oci-layout.js';
import { openInRoot } from './paths.js';
import { createProgress, shortDigest, type Progress, type ProgressStream } from './progress.js';

export interface CreateBundleOptions {
  /** rootfs tarball, OCI layout dir or tar (optionally `PATH:REF`), docker save archive, or `busybox` */
  from: string;
  /** `os/arch[/variant]`; default: the host's */
  platform?: string;
  /** like `joey spec --rootless` */
  rootless?: boolean;
  /** no progress and no warnings on stderr */
  quiet?: boolean;
  /** where progress goes (tests); default process.stderr */
  progressStream?: ProgressStream;
}

export interface CreateBundleResult {
  /** absolute bundle directory */
  dir: string;
  /** process.args written to config.json */
  args: string[];
  /** number of archives applied to the rootfs (0 for busybox, 1 for a rootfs tarball) */
  layers: number;
}

export { BundleError } from './errors.js';

const STAGING = '.joey-source';
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** DIR must not exist, or be an empty directory. Returns the top directory we created, if any. */
function prepareDir(dir: string): string | undefined {
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return mkdirSync(dir, { recursive: true, mode: 0o755 }) ?? undefined;
  }
  if (!st.isDirectory()) throw new BundleError(`\`${dir}\` exists and is not a directory`);
  if (readdirSync(dir).length > 0) throw new BundleError(`\`${dir}\` exists and is not empty`);
  return undefined;
}

function openFile(path: string): number {
  return openSync(path, C.O_RDONLY);
}

export async function createBundle(dir: string, opts: CreateBundleOptions): Promise<CreateBundleResult> {
  const abs = resolve(dir);
  const created = prepareDir(abs);
  const progress = createProgress({ quiet: opts.quiet, ...(opts.progressStream ? { stream: opts.progressStream } : {}) });
  const rootfs = `${abs}/rootfs`;
  const staging = `${abs}/${STAGING}`;
  try {
    const source = await detectSource(opts.from, openFile);
    mkdirSync(rootfs, 0o755);
    let image: ImageConfig | undefined;
    let layers = 0;

    switch (source.kind) {
      case 'busybox':
        makeBusyboxRootfs(rootfs);
        break;
      case 'rootfs': {
        const fd = openFile(source.path);
        const task = progress.task(`rootfs ${source.path}`, statSync(source.path).size);
        await extractTar(openTar(fd, { name: source.path, onBytes: (n) => task.add(n) }), rootfs, { warn: progress.warn });
        task.done();
        layers = 1;
        break;
      }
      case 'oci':
      case 'docker': {
        let root = resolve(source.path);
        if (!source.dir) {
          // An image tar is unpacked once (plain files only, nothing chowned, no devices),
          // then read like a directory; blobs are still verified before use.
          mkdirSync(staging, 0o700);
          const task = progress.task(`unpacking ${source.path}`, statSync(source.path).size);
          await extractTar(openTar(openFile(source.path), { name: source.path, onBytes: (n) => task.add(n) }), staging, {
            owner: false,
            devices: false,
            xattrs: false,
          });
          task.done();
          root = staging;
        }
        const ref = source.ref !== undefined ? { ref: source.ref } : {};
        const plan =
          source.kind === 'oci'
            ? readOciLayout(root, { platform: opts.platform, name: source.path, ...ref })
            : readDockerSave(root, { platform: opts.platform, name: source.path, ...ref });
        await applyLayers(plan, rootfs, progress);
        image = plan.config;
        layers = plan.layers.length;
        break;
      }
    }

    const spec = applyImageConfig(defaultSpec({ rootless: opts.rootless ?? false, args: ['sh'], terminal: false }), image, rootfs);
    writeFileSync(`${abs}/config.json`, `${JSON.stringify(spec, null, 2)}\n`, { mode: 0o644, flag: 'wx' });
    rmSync(staging, { recursive: true, force: true });
    return { dir: abs, args: spec.process?.args ?? [], layers };
  } catch (err) {
    cleanup(abs, created);
    throw err;
  }
}

/** Removes what this run made: all of DIR if we created it, else DIR's contents (it was empty). */
function cleanup(abs: string, created: string | undefined): void {
  try {
    if (created !== undefined) {
      rmSync(created, { recursive: true, force: true });
      return;
    }
    for (const name of readdirSync(abs)) rmSync(`${abs}/${name}`, { recursive: true, force: true });
  } catch {
    // best effort: the original error matters more
  }
}

async function applyLayers(plan: ImagePlan, rootfs: string, progress: Progress): Promise<void> {
  const n = plan.layers.length;
  for (const [i, layer] of plan.layers.entries()) {
    const id = layer.digest ?? layer.diffId ?? layer.path;
    const label = `layer ${i + 1}/${n} ${shortDigest(id)}`;
    const size = blobSize(plan.root, layer.path);
    if (size === undefined) throw new BundleError(`layer \`${layer.path}\` is missing from the image`);
    if (layer.digest) {
      const verify = progress.task(`${label} verifying`, size);
      await verifyBlob(plan.root, layer, (b) => verify.add(b));
      verify.done('verified');
    }
    if (layer.diffId !== undefined && !DIGEST.test(layer.diffId)) {
      throw new BundleError(`layer ${id}: unsupported or malformed diff_id \`${layer.diffId}\``);
    }
    const hash = layer.diffId ? createHash(layer.diffId.split(':')[0] as string) : undefined;
    const fd = openInRoot(plan.root, layer.path);
    if (fd === undefined) throw new BundleError(`layer \`${layer.path}\` is missing from the image`);
    const task = progress.task(`${label} extracting`, size);
    const stream = openTar(fd, { name: layer.path, onBytes: (b) => task.add(b), ...(hash ? { tarHash: hash } : {}) });
    await extractTar(stream, rootfs, { whiteouts: true, warn: progress.warn });
    if (hash && layer.diffId) {
      const got = `${layer.diffId.split(':')[0]}:${hash.digest('hex')}`;
      if (got !== layer.diffId) {
        throw new BundleError(`layer ${id} diff_id ${layer.diffId} mismatch (got ${got})`, { code: 'EBUNDLE_DIGEST' });
      }
    }
    task.done();
  }
}
