/**
 * pivot_root vs chroot (security.md row 17): chroot can be escaped
 * (rubber-docker's breakout.py). A small static program does
 * mkdir x; chroot x; chdir ../../..; chroot .; then lists / . With
 * pivot_root the old root is detached and it must find only the rootfs.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cid, isRoot, joey, lines, makeBundle, removeBundle, stateRoot } from '../helpers.js';
import { cleanup, compileC } from './common.js';

const BREAKOUT = `
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
int main (void)
{
  mkdir ("/tmp/x", 0755);
  if (chdir ("/tmp") < 0 || chroot ("x") < 0)
    { perror ("chroot x"); return 1; }
  for (int i = 0; i < 64; i++)
    chdir ("..");
  if (chroot (".") < 0)
    { perror ("chroot ."); return 1; }
  DIR *d = opendir ("/");
  struct dirent *de;
  while (d && (de = readdir (d)))
    if (de->d_name[0] != '.')
      printf ("entry %s\\n", de->d_name);
  return 0;
}
`;

describe.runIf(isRoot)('chroot breakout demo against pivot_root and --no-pivot', () => {
  const root = stateRoot('chroot-vs-pivot');
  const breakout = compileC('breakout', BREAKOUT);
  // something in the host's / that the rootfs does not have
  const marker = fs.readdirSync('/').find((n) => ['usr', 'var', 'work', 'home', 'opt'].includes(n))!;
  const bundle = makeBundle(['/bin/breakout'], (s) => {
    s.root!.readonly = false;
    // Docker's default set has CAP_SYS_CHROOT; the demo needs it
    const c = s.process!.capabilities!;
    for (const set of [c.bounding, c.effective, c.permitted]) set?.push('CAP_SYS_CHROOT');
  });
  fs.copyFileSync(breakout, join(bundle, 'rootfs', 'bin', 'breakout'));
  fs.chmodSync(join(bundle, 'rootfs', 'bin', 'breakout'), 0o755);
  afterAll(() => removeBundle(bundle));
  // read after the run: the program makes /tmp/x, not a top-level entry
  const rootfsEntries = fs.readdirSync(join(bundle, 'rootfs')).sort();

  it('with pivot_root the breakout stays in the container', () => {
    const id = cid('pivot');
    try {
      const r = joey(root, ['run', '--bundle', bundle, id]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const seen = lines(r.stdout, 'entry');
      expect(seen).not.toContain(marker);
      expect(seen.sort()).toEqual(rootfsEntries);
    } finally {
      cleanup(root, id);
    }
  });

  // The classic demo escapes a plain chroot. Under --no-pivot the rootfs is
  // MS_MOVEd over "/" first, and on this kernel (6.x) a ".." that reaches
  // the namespace root is followed back onto the mount stacked there, so the
  // demo lands in the rootfs again. --no-pivot stays documented as unsafe
  // (the host's mounts remain underneath in the namespace); this records
  // what the demo does, so a change in the kernel or in move-root shows up.
  it('with --no-pivot the demo runs; on this kernel it does not reach the host root either', () => {
    const id = cid('nopivot');
    try {
      const r = joey(root, ['run', '--no-pivot', '--bundle', bundle, id]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(lines(r.stdout, 'entry').sort()).toEqual(rootfsEntries);
    } finally {
      cleanup(root, id);
    }
  });
});
