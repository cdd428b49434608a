/** The fast path parses exactly runc's forms of state/start/kill/delete and hands everything else to commander. */
import { describe, expect, it } from 'vitest';
import { parseFast } from '../../../src/cli/fast.js';
import { subcommandName } from '../../../src/cli/main.js';

describe('parseFast', () => {
  it('reads containerd’s global flags in both spellings', () => {
    const p = parseFast(['--root', '/run/containerd/runc/default', '--log', '/b/log.json', '--log-format', 'json', 'delete', 'c1'])!;
    expect(p).toMatchObject({ verb: 'delete', id: 'c1', force: false, flags: { root: '/run/containerd/runc/default', log: '/b/log.json', logFormat: 'json' } });
    expect(parseFast(['--log-format=json', '--root=/r', 'state', 'x'])!.flags).toMatchObject({ logFormat: 'json', root: '/r' });
  });
  it('reads kill forms: numeric, named, --all, default', () => {
    expect(parseFast(['kill', 'c1', '9'])).toMatchObject({ verb: 'kill', id: 'c1', signal: '9', all: false });
    expect(parseFast(['kill', '--all', 'c1', 'KILL'])).toMatchObject({ all: true, signal: 'KILL' });
    expect(parseFast(['kill', 'c1'])).toMatchObject({ signal: undefined });
    expect(parseFast(['delete', '-f', 'c1'])).toMatchObject({ force: true });
  });
  it('leaves help, other verbs, unknown flags and missing ids to commander', () => {
    for (const args of [['state'], ['state', '--help'], ['create', 'x'], ['--bogus', 'state', 'x'], ['kill', 'a', 'b', 'c'], ['--log-format', 'xml', 'state', 'x'], []]) {
      expect(parseFast(args)).toBeUndefined();
    }
  });
});

describe('subcommandName', () => {
  it('skips global options and their values', () => {
    expect(subcommandName(['--root', '/r', '--debug', 'ps', 'x'])).toBe('ps');
    expect(subcommandName(['--log-format=json', 'update', 'x'])).toBe('update');
    expect(subcommandName(['--help'])).toBeUndefined();
  });
});
