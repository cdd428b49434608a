/** writeOut (src/cli/output.ts): the whole answer reaches a pipe. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const built = join(__dirname, '..', '..', '..', 'dist', 'cli', 'output.js');

describe.runIf(existsSync(built))('writeOut (dist/cli/output.js, built by npm ci)', () => {
  it('writes 4 MiB to a pipe whole and in order (far past the 64 KiB pipe buffer)', () => {
    const script = `import(${JSON.stringify(built)}).then(({ writeOut }) => { let s = ''; for (let i = 0; i < 262144; i++) s += i.toString(16).padStart(15, '.') + '\\n'; writeOut(s); })`;
    const r = spawnSync(process.execPath, ['-e', script], { maxBuffer: 64 * 1024 * 1024, encoding: 'latin1' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.length).toBe(262145);
    expect(lines[0]).toBe('..............0');
    expect(lines[262143]).toBe(`${'3ffff'.padStart(15, '.')}`);
  });
});
