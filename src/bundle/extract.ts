/**
 * Safe extraction of a tar archive or an image layer into a rootfs — image-spec layer.md
 * (changesets, whiteouts, opaque directories, hard links, xattrs).
 * Kernel: open(2) O_CREAT|O_EXCL|O_NOFOLLOW, link(2), symlink(2), mknod(2), fchown(2),
 * fchmod(2), lsetxattr(2), utimensat(2)
 * Security: CVE-2021-32803 / CVE-2021-32804 / CVE-2021-37713 (node-tar: symlink poisoning,
 * absolute names, `..`), CVE-2018-15664 / CVE-2019-14271 (docker cp: writes through
 * symlinks planted in the tree), hard links to files outside the tree
 * (test/unit/bundle/hostile.test.ts).
 *
 * Members are handled one at a time, synchronously, in archive order (tar-reader.ts), and
 * every write goes through a path whose ancestors were just lstat()ed as real directories
 * (paths.ts Tree). The final component is never followed: files are created O_EXCL|O_NOFOLLOW
 * after removing whatever was there, links with link(2)/symlink(2), which do not follow.
 */
import {
  closeSync,
  constants as C,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  chmodSync,
  type Stats,
} from 'node:fs';
import { BundleError, refuse, showName } from './errors.js';
import { lsetxattr, mknod } from './libc.js';
import { lstatOrNull, normalizeMember, PATH_MAX, Tree } from './paths.js';
import { readTar, type TarMember } from './tar-reader.js';

export interface ExtractOptions {
  /** chown to the archive's numeric ids; default: running as root */
  owner?: boolean;
  /** create device nodes; default: running as root (the kernel refuses them otherwise) */
  devices?: boolean;
  /** interpret `.wh.` members as OCI whiteouts (image layers; not plain rootfs tarballs) */
  whiteouts?: boolean;
  /** apply SCHILY.xattr records; default true */
  xattrs?: boolean;
  /** non-fatal problems (an xattr the filesystem refuses) */
  warn?: (message: string) => void;
}

export interface ExtractResult {
  members: number;
}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

interface PendingDir {
  rel: string;
  member: TarMember;
  ino: number;
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

function basenameOf(rel: string): [string, string] {
  const i = rel.lastIndexOf('/');
  return i < 0 ? ['', rel] : [rel.slice(0, i), rel.slice(i + 1)];
}

/**
 * Extracts `input` (an uncompressed tar stream) into the existing directory `root`.
 * Throws a BundleError naming the first member it refuses; the caller removes the tree.
 */
export async function extractTar(input: AsyncIterable<Buffer>, root: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const x = new Extractor(root, {
    owner: opts.owner ?? isRoot(),
    devices: opts.devices ?? isRoot(),
    whiteouts: opts.whiteouts ?? false,
    xattrs: opts.xattrs ?? true,
    warn: opts.warn ?? (() => {}),
  });
  try {
    const members = await readTar(input, x);
    x.finish();
    return { members };
  } finally {
    x.closeOpen();
  }
}

class Extractor {
  private readonly tree: Tree;
  /** every path this archive created, and their ancestors: whiteouts only hide lower layers */
  private readonly written = new Set<string>();
  private readonly ancestors = new Set<string>();
  private readonly dirs: PendingDir[] = [];
  private file: { fd: number; rel: string; member: TarMember } | undefined;

  constructor(
    root: string,
    private readonly o: Required<ExtractOptions>,
  ) {
    this.tree = new Tree(root);
  }

  member(m: TarMember): void {
    try {
      this.apply(m);
    } catch (err) {
      throw wrap(err, m.path);
    }
  }

  data(chunk: Buffer): void {
    const f = this.file;
    if (!f) return; // bodies of members that need none (whiteouts) are skipped
    try {
      for (let off = 0; off < chunk.length; ) off += writeSync(f.fd, chunk, off, chunk.length - off);
    } catch (err) {
      throw wrap(err, f.member.path);
    }
  }

  end(): void {
    const f = this.file;
    if (!f) return;
    this.file = undefined;
    try {
      this.meta(f.fd, f.rel, f.member);
    } catch (err) {
      throw wrap(err, f.member.path);
    } finally {
      closeSync(f.fd);
    }
  }

  closeOpen(): void {
    if (this.file) closeSync(this.file.fd);
    this.file = undefined;
  }

  /** Directory metadata last, deepest first: a 0555 directory must not block its children. */
  finish(): void {
    for (const d of this.dirs.reverse()) {
      try {
        if (d.rel !== '' && !this.tree.parents(d.rel, d.member.path, false)) continue;
        const st = lstatOrNull(this.tree.abs(d.rel));
        if (!st || !st.isDirectory() || st.ino !== d.ino) continue; // replaced by a later member
        const fd = openSync(this.tree.abs(d.rel), C.O_RDONLY | C.O_DIRECTORY | C.O_NOFOLLOW);
        try {
          this.meta(fd, d.rel, d.member);
        } finally {
          closeSync(fd);
        }
      } catch (err) {
        throw wrap(err, d.member.path);
      }
    }
  }

  private apply(m: TarMember): void {
    const rel = normalizeMember(m.path);
    if (this.o.whiteouts && basenameOf(rel)[1].startsWith(WHITEOUT)) {
      this.whiteout(rel, m);
      return;
    }
    if (rel === '') {
      // `./`: the archive's own root carries the rootfs's mode and owner
      if (m.type !== 'Directory') throw refuse(m.path, 'the archive root is not a directory');
      this.dirs.push({ rel, member: m, ino: lstatSync(this.tree.root).ino });
      return;
    }
    this.tree.parents(rel, m.path, true);
    this.written.add(rel);
    for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) this.ancestors.add(rel.slice(0, i));
    const abs = this.tree.abs(rel);
    const existing = lstatOrNull(abs);

    switch (m.type) {
      case 'Directory': {
        if (!existing?.isDirectory()) {
          this.clear(rel, existing);
          mkdirSync(abs, 0o700);
        }
        this.tree.isDir(rel);
        this.dirs.push({ rel, member: m, ino: lstatSync(abs).ino });
        return;
      }
      case 'File': {
        this.clear(rel, existing);
        const fd = openSync(abs, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
        this.file = { fd, rel, member: m };
        return;
      }
      case 'Link': {
        const target = normalizeMember(m.linkpath, m.path, 'hard link target');
        // SECURITY: a hard link must name a file already in this tree, reached without symlinks,
        // or `h -> ../../etc/shadow` (or `h -> a/shadow` with `a -> /etc`) would pull a host
        // file into the rootfs, where the container could then write it.
        if (target === '' || !this.tree.parents(target, m.path, false)) {
          throw refuse(m.path, `hard link target \`${showName(m.linkpath)}\` is not in the archive`);
        }
        const tst = lstatOrNull(this.tree.abs(target));
        if (!tst) throw refuse(m.path, `hard link target \`${showName(m.linkpath)}\` is not in the archive`);
        if (tst.isDirectory()) throw refuse(m.path, `hard link target \`${showName(m.linkpath)}\` is a directory`);
        if (target === rel) return;
        this.clear(rel, existing);
        // link(2) never follows a symlink target on Linux: a link to a symlink is a symlink.
        linkSync(this.tree.abs(target), abs);
        return;
      }
      case 'SymbolicLink': {
        // The target is stored, never followed here: it is resolved inside the container.
        if (m.linkpath.includes('\0') || Buffer.byteLength(m.linkpath) >= PATH_MAX) {
          throw refuse(m.path, 'symlink target is not a valid path');
        }
        this.clear(rel, existing);
        symlinkSync(m.linkpath, abs);
        if (this.o.owner) lchownSync(abs, m.uid, m.gid);
        this.xattrs(abs, m);
        if (m.mtime) lutimesSync(abs, m.mtime, m.mtime);
        return;
      }
      case 'CharacterDevice':
      case 'BlockDevice':
      case 'FIFO': {
        if (m.type !== 'FIFO' && !this.o.devices) {
          throw refuse(m.path, 'device nodes can only be created as root');
        }
        this.clear(rel, existing);
        const kind = m.type === 'FIFO' ? C.S_IFIFO : m.type === 'CharacterDevice' ? C.S_IFCHR : C.S_IFBLK;
        mknod(abs, kind | 0o600, m.devmajor, m.devminor);
        if (this.o.owner) lchownSync(abs, m.uid, m.gid);
        // chmod(2) follows symlinks, but `abs` is the node just made under checked parents.
        chmodSync(abs, m.mode);
        this.xattrs(abs, m);
        if (m.mtime) lutimesSync(abs, m.mtime, m.mtime);
        return;
      }
      default:
        throw refuse(m.path, `unsupported member type \`${showName(m.typeflag)}\``);
    }
  }

  /** Removes whatever is at `rel` so a member of another type can take its place. */
  private clear(rel: string, existing: Stats | undefined): void {
    if (!existing) return;
    if (existing.isDirectory()) this.tree.remove(rel);
    else {
      unlinkSync(this.tree.abs(rel));
      this.tree.forget(rel);
    }
  }

  /** Owner before mode (chown clears S_ISUID and file capabilities), xattrs after both. */
  private meta(fd: number, rel: string, m: TarMember): void {
    if (this.o.owner) fchownSync(fd, m.uid, m.gid);
    fchmodSync(fd, m.mode);
    this.xattrs(this.tree.abs(rel), m);
    if (m.mtime) futimesSync(fd, m.mtime, m.mtime);
  }

  private xattrs(abs: string, m: TarMember): void {
    if (!this.o.xattrs) return;
    for (const [name, value] of m.xattrs) {
      try {
        lsetxattr(abs, name, value);
      } catch (err) {
        this.o.warn(`cannot set xattr \`${name}\` on \`${showName(m.path)}\`: ${(err as Error).message}`);
      }
    }
  }

  /**
   * layer.md#whiteouts: `.wh.<name>` hides `<name>` of lower layers, `.wh..wh..opq` hides
   * every lower entry of its directory. Entries of this same layer stay (the spec: "files
   * that are present in the same layer as a whiteout file can only be hidden by whiteout
   * files in subsequent layers"), whichever order the archive lists them in.
   */
  private whiteout(rel: string, m: TarMember): void {
    const [dir, base] = basenameOf(rel);
    if (base === OPAQUE) {
      if (!this.tree.parents(rel, m.path, false)) return;
      const st = lstatOrNull(this.tree.abs(dir));
      if (!st?.isDirectory()) return;
      this.opaque(dir);
      return;
    }
    if (base.startsWith(`${WHITEOUT}${WHITEOUT}`)) return; // reserved (aufs .wh..wh.plnk and the like)
    const name = base.slice(WHITEOUT.length);
    if (name === '' || name === '.' || name === '..') throw refuse(m.path, 'invalid whiteout name');
    const target = dir ? `${dir}/${name}` : name;
    if (this.written.has(target) || this.ancestors.has(target)) return;
    if (!this.tree.parents(target, m.path, false)) return;
    if (lstatOrNull(this.tree.abs(target))) this.tree.remove(target);
  }

  private opaque(dir: string): void {
    for (const name of readdirSync(this.tree.abs(dir))) {
      const child = dir ? `${dir}/${name}` : name;
      if (this.written.has(child) || this.ancestors.has(child)) {
        if (lstatSync(this.tree.abs(child)).isDirectory()) this.opaque(child);
      } else {
        this.tree.remove(child);
      }
    }
  }
}

function wrap(err: unknown, member: string): Error {
  if (err instanceof BundleError) return err;
  const e = err as NodeJS.ErrnoException;
  const why = e?.code ? `${e.syscall ?? 'write'} failed: ${e.code}` : String(e?.message ?? e);
  return new BundleError(`cannot extract archive member \`${showName(member)}\`: ${why}`, { cause: err });
}
