/**
 * The guest initramfs as a newc cpio (the kernel's
 * Documentation/driver-api/early-userspace/buffer-format.rst): joey's init as
 * /init plus, for a stock kernel, its modules as /modules/NN-name.ko in load
 * order. native/vm/build-assets.sh makes the same archive with cpio(1); this
 * writer refreshes it when native/build/joey-init is newer, so a rebuilt init
 * never boots with an old plan decoder.
 */
import * as fs from 'node:fs';
import { basename, join } from 'node:path';

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(n: number): Buffer {
  return Buffer.alloc((4 - (n % 4)) % 4);
}

interface Entry {
  name: string;
  mode: number;
  data: Buffer;
}

export function newc(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const push = (e: Entry) => {
    const name = Buffer.from(`${e.name}\0`);
    const head = Buffer.from(
      '070701' +
        [ino++, e.mode, 0, 0, e.mode & 0o040000 ? 2 : 1, 0, e.data.length, 0, 0, 0, 0, name.length, 0].map(hex8).join(''),
      'latin1',
    );
    parts.push(head, name, pad4(head.length + name.length), e.data, pad4(e.data.length));
  };
  for (const e of entries) push(e);
  push({ name: 'TRAILER!!!', mode: 0, data: Buffer.alloc(0) });
  return Buffer.concat(parts);
}

/** Write `out` atomically: /init from `init`, and every .ko in `modulesDir` (sorted) under /modules. */
export function writeInitramfs(out: string, init: string, modulesDir?: string): void {
  const entries: Entry[] = [{ name: 'init', mode: 0o100755, data: fs.readFileSync(init) }];
  if (modulesDir && fs.existsSync(modulesDir)) {
    entries.push({ name: 'modules', mode: 0o040755, data: Buffer.alloc(0) });
    for (const f of fs.readdirSync(modulesDir).filter((n) => n.endsWith('.ko')).sort()) {
      entries.push({ name: `modules/${basename(f)}`, mode: 0o100644, data: fs.readFileSync(join(modulesDir, f)) });
    }
  }
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, newc(entries));
  fs.renameSync(tmp, out);
}
