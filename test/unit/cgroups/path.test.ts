import { describe, expect, it } from 'vitest';
import { CgroupError, SpecError } from '../../../src/errors.js';
import { parseCgroupsPath, placeIn } from '../../../src/cgroups/path.js';

describe('parseCgroupsPath', () => {
  it('empty → /joey/<id>', () => {
    expect(parseCgroupsPath(undefined, 'abc')).toEqual({ absolute: true, inner: 'joey/abc' });
    expect(parseCgroupsPath('', 'abc')).toEqual({ absolute: true, inner: 'joey/abc' });
  });
  it('absolute and relative, cleaned', () => {
    expect(parseCgroupsPath('/a//b/./c/', 'x')).toEqual({ absolute: true, inner: 'a/b/c' });
    expect(parseCgroupsPath('a/b', 'x')).toEqual({ absolute: false, inner: 'a/b' });
  });
  it('rejects .. (security row 15)', () => {
    expect(() => parseCgroupsPath('../../etc', 'x')).toThrow(SpecError);
    expect(() => parseCgroupsPath('../../etc', 'x')).toThrow('linux.cgroupsPath: must not contain ".." (got "../../etc") (config-linux.md#cgroups-path)');
    expect(() => parseCgroupsPath('/a/../../b', 'x')).toThrow(SpecError);
    expect(() => parseCgroupsPath('/a/..', 'x')).toThrow(SpecError);
  });
  it('rejects the root cgroup', () => {
    expect(() => parseCgroupsPath('/', 'x')).toThrow('linux.cgroupsPath: must not name the root cgroup');
  });
  it('systemd form: not running, and not supported', () => {
    expect(() => parseCgroupsPath('system.slice:docker:abc', 'x', () => false)).toThrow(CgroupError);
    expect(() => parseCgroupsPath('system.slice:docker:abc', 'x', () => false)).toThrow('systemd cgroup driver: systemd is not running');
    expect(() => parseCgroupsPath(':joey:abc', 'x', () => true)).toThrow('systemd cgroup driver: not supported by joey yet');
  });
  it('relative paths go under the own cgroup (v1) or its parent (v2), like runc', () => {
    const p = parseCgroupsPath('a/b', 'x');
    expect(placeIn(p, 'v1', '/process_api/123')).toBe('process_api/123/a/b');
    expect(placeIn(p, 'v2', '/user.slice/session-1.scope')).toBe('user.slice/a/b');
    expect(placeIn(p, 'v1', '/')).toBe('a/b');
    expect(() => placeIn(p, 'v2', '/../..')).toThrow(CgroupError);
    expect(placeIn(parseCgroupsPath('/a/b', 'x'), 'v1', '/ignored')).toBe('a/b');
  });
});
