/**
 * A streaming tar reader — POSIX pax (IEEE 1003.1 `pax` extended headers), GNU long names,
 * ustar; image-spec layer.md ("layers are tar archives ... xattrs in PAX SCHILY.xattr").
 *
 * WHY not tar.Parser: it keeps only the pax keys it knows, decodes values as UTF-8 lines
 * (binary xattrs such as `security.capability` are mangled or dropped) and calls `filter`
 * before earlier members are on disk. Header blocks are still decoded by the `tar`
 * package's `Header`; this file only walks blocks, applies pax/GNU records, and hands
 * each member and its body to synchronous callbacks, one member at a time, so every
 * check sees the tree exactly as the earlier members left it.
 *
 * A second, independent parser for xattrs would risk the tar "interpretation conflict"
 * attacks (two readers disagreeing on where a member starts): there is exactly one here.
 */
import { Header } from 'tar';
import { BundleError } from './errors.js';

export type MemberType =
  | 'File'
  | 'Link'
  | 'SymbolicLink'
  | 'CharacterDevice'
  | 'BlockDevice'
  | 'Directory'
  | 'FIFO'
  | 'Unsupported';

export interface TarMember {
  path: string;
  type: MemberType;
  /** the raw typeflag, for messages */
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime?: Date;
  linkpath: string;
  devmajor: number;
  devminor: number;
  /** SCHILY.xattr.<name> records, values as raw bytes */
  xattrs: Map<string, Buffer>;
}

export interface TarHandler {
  member(m: TarMember): void;
  data(chunk: Buffer): void;
  end(): void;
}

/** Long names and pax headers beyond this are refused (tar.Parser's maxMetaEntrySize too). */
const MAX_META = 1024 * 1024;

const TYPES: Record<string, MemberType> = {
  '0': 'File',
  '\0': 'File',
  '': 'File',
  '7': 'File',
  '1': 'Link',
  '2': 'SymbolicLink',
  '3': 'CharacterDevice',
  '4': 'BlockDevice',
  '5': 'Directory',
  '6': 'FIFO',
};

/** Types whose size field says nothing about a body (Go's archive/tar isHeaderOnlyType). */
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);

interface Pax {
  fields: Map<string, string>;
  xattrs: Map<string, Buffer>;
}

/** `<len> <key>=<value>\n` records, parsed as bytes so binary values survive. */
function parsePax(body: Buffer, into: Pax): void {
  let off = 0;
  while (off < body.length) {
    if (body[off] === 0) break; // NUL padding after the last record
    const sp = body.indexOf(0x20, off);
    const len = sp < 0 ? NaN : Number(body.toString('latin1', off, sp));
    if (!Number.isInteger(len) || len <= sp - off + 1 || off + len > body.length || body[off + len - 1] !== 0x0a) {
      throw new BundleError('archive is damaged: bad pax extended header record');
    }
    const rec = body.subarray(sp + 1, off + len - 1);
    off += len;
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw new BundleError('archive is damaged: bad pax extended header record');
    const key = rec.toString('utf8', 0, eq);
    const value = rec.subarray(eq + 1);
    if (key.startsWith('SCHILY.xattr.')) {
      into.xattrs.set(key.slice('SCHILY.xattr.'.length), Buffer.from(value));
    } else if (value.length === 0) {
      into.fields.delete(key); // pax: an empty value deletes the field
    } else {
      into.fields.set(key, value.toString('utf8'));
    }
  }
}

function paxNumber(pax: Pax, key: string): number | undefined {
  const v = pax.fields.get(key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new BundleError(`archive is damaged: bad pax value ${key}=${JSON.stringify(v)}`);
  return n;
}

type State =
  | { kind: 'header' }
  | { kind: 'body'; remain: number; pad: number }
  | { kind: 'meta'; remain: number; pad: number; typeflag: string; parts: Buffer[] }
  | { kind: 'eof' };

export class TarReader {
  private buf: Buffer = Buffer.alloc(0);
  private state: State = { kind: 'header' };
  private pax: Pax = { fields: new Map(), xattrs: new Map() };
  private offset = 0;
  private nullBlocks = 0;
  members = 0;

  constructor(private readonly handler: TarHandler) {}

  write(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      const st = this.state;
      if (st.kind === 'eof') {
        pos = this.buf.length; // data after the end-of-archive blocks is ignored, as tar(1) does
        break;
      }
      if (st.kind === 'header') {
        if (this.buf.length - pos < 512) break;
        this.header(this.buf.subarray(pos, pos + 512));
        pos += 512;
        this.offset += 512;
        continue;
      }
      if (st.remain > 0) {
        const n = Math.min(st.remain, this.buf.length - pos);
        if (n === 0) break;
        const piece = this.buf.subarray(pos, pos + n);
        if (st.kind === 'body') this.handler.data(piece);
        else st.parts.push(Buffer.from(piece));
        st.remain -= n;
        pos += n;
        this.offset += n;
        if (st.remain > 0) break;
      }
      if (st.pad > 0) {
        const n = Math.min(st.pad, this.buf.length - pos);
        st.pad -= n;
        pos += n;
        this.offset += n;
        if (st.pad > 0) break;
      }
      this.state = { kind: 'header' };
      if (st.kind === 'body') this.handler.end();
      else this.meta(st.typeflag, Buffer.concat(st.parts));
    }
    this.buf = pos === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(pos);
  }

  /** Call at the end of the stream: a member cut short is an error, a missing trailer is not. */
  finish(): void {
    const st = this.state;
    if (st.kind === 'body' || st.kind === 'meta' || this.buf.length > 0) {
      throw new BundleError('archive is truncated');
    }
  }

  private header(block: Buffer): void {
    if (block.every((b) => b === 0)) {
      if (++this.nullBlocks === 2) this.state = { kind: 'eof' };
      return;
    }
    this.nullBlocks = 0;
    const h = new Header(block);
    if (!h.cksumValid) throw new BundleError(`archive is damaged: bad header checksum at byte ${this.offset}`);
    const typeflag = h.typeKey ?? '0';
    const size = h.size ?? 0;
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K' || typeflag === 'X') {
      if (size > MAX_META) throw new BundleError(`archive has an extended header of ${size} bytes (limit ${MAX_META})`);
      this.state = { kind: 'meta', remain: size, pad: (512 - (size % 512)) % 512, typeflag, parts: [] };
      if (size === 0) this.state = { kind: 'header' };
      return;
    }
    const pax = this.pax;
    this.pax = { fields: new Map(), xattrs: new Map() };
    // Header joins the ustar prefix; pax `path` and GNU `L` records replace the whole name.
    const path = pax.fields.get('path') ?? h.path ?? '';
    const linkpath = pax.fields.get('linkpath') ?? h.linkpath ?? '';
    let bodySize = paxNumber(pax, 'size') ?? size;
    if (HEADER_ONLY.has(typeflag)) bodySize = 0;
    const mtime = paxNumber(pax, 'mtime');
    let type: MemberType = TYPES[typeflag] ?? 'Unsupported';
    // Old archives mark directories as regular files with a trailing slash.
    if (type === 'File' && path.endsWith('/')) {
      type = 'Directory';
      bodySize = 0;
    }
    const m: TarMember = {
      path,
      type,
      typeflag,
      mode: (h.mode ?? 0) & 0o7777,
      uid: paxNumber(pax, 'uid') ?? h.uid ?? 0,
      gid: paxNumber(pax, 'gid') ?? h.gid ?? 0,
      size: bodySize,
      mtime: mtime !== undefined ? new Date(mtime * 1000) : h.mtime,
      linkpath,
      devmajor: paxNumber(pax, 'SCHILY.devmajor') ?? h.devmaj ?? 0,
      devminor: paxNumber(pax, 'SCHILY.devminor') ?? h.devmin ?? 0,
      xattrs: pax.xattrs,
    };
    if (!m.path) throw new BundleError(`archive is damaged: member without a name at byte ${this.offset}`);
    this.members++;
    this.handler.member(m);
    if (bodySize > 0) this.state = { kind: 'body', remain: bodySize, pad: (512 - (bodySize % 512)) % 512 };
    else this.handler.end();
  }

  private meta(typeflag: string, body: Buffer): void {
    switch (typeflag) {
      case 'x':
      case 'X':
        parsePax(body, this.pax);
        break;
      case 'L':
        this.pax.fields.set('path', body.toString('utf8').replace(/\0.*$/s, ''));
        break;
      case 'K':
        this.pax.fields.set('linkpath', body.toString('utf8').replace(/\0.*$/s, ''));
        break;
      default:
        // 'g': global headers carry archive-wide comments in practice; like containerd
        // (Go archive/tar hands them to the caller, which skips them) they are ignored.
        break;
    }
  }
}

/** Feeds a byte stream through a TarReader; rejects on the first error, from either side. */
export async function readTar(input: AsyncIterable<Buffer>, handler: TarHandler): Promise<number> {
  const reader = new TarReader(handler);
  for await (const chunk of input) reader.write(chunk as Buffer);
  reader.finish();
  return reader.members;
}
