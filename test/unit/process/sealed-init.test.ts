/**
 * src/process/spawn-init.ts sealedInit: which sealed fd of the init joey
 * execs (CVE-2019-5736). The read-only overlay first; the sealed memfd copy
 * wherever the overlay cannot be made (no CAP_SYS_ADMIN, no overlayfs,
 * a path lowerdir cannot express). The addon calls themselves are tested in
 * addon.test.ts; this checks the choice, with a stand-in addon.
 */
import { describe, expect, it } from 'vitest';
import type { Addon } from '../../../src/native/addon.js';
import { INIT_EMPTY_LOWER, INIT_PATH, sealedInit } from '../../../src/process/spawn-init.js';

function fake(overlay: () => number): { addon: Addon; calls: string[] } {
  const calls: string[] = [];
  const addon = {
    sealedOverlay: (dir: string, name: string, empty: string) => {
      calls.push(`overlay ${dir} ${name} ${empty}`);
      return overlay();
    },
    sealedCopy: (path: string, name: string) => {
      calls.push(`copy ${path} ${name}`);
      return 7;
    },
  } as unknown as Addon;
  return { addon, calls };
}

describe('sealedInit', () => {
  it('takes the overlay of native/build over native/build-empty when it can be made', () => {
    const { addon, calls } = fake(() => 5);
    expect(sealedInit(addon)).toBe(5);
    expect(calls).toEqual([`overlay ${INIT_PATH.replace(/\/joey-init$/, '')} joey-init ${INIT_EMPTY_LOWER}`]);
  });

  it('falls back to the sealed memfd copy when the overlay fails', () => {
    const { addon, calls } = fake(() => {
      throw Object.assign(new Error('fsopen: Operation not permitted'), { code: 'EPERM' });
    });
    expect(sealedInit(addon)).toBe(7);
    expect(calls).toEqual([expect.stringMatching(/^overlay /), `copy ${INIT_PATH} joey-init`]);
  });

  it('lets a failed copy throw: there is no third way', () => {
    const { addon } = fake(() => {
      throw new Error('fsopen: Operation not permitted');
    });
    addon.sealedCopy = () => {
      throw Object.assign(new Error('open: No such file or directory'), { code: 'ENOENT' });
    };
    expect(() => sealedInit(addon)).toThrow(/ENOENT|No such file/);
  });
});
