/** `joey spec` — write a default config.json, like `runc spec` (runtime-spec config.md). */
import * as fs from 'node:fs';
import { join } from 'node:path';
import { defaultSpec } from '../../spec/defaults.js';
import { StateError } from '../../errors.js';

export function writeSpec(bundle: string, rootless: boolean): void {
  const path = join(bundle, 'config.json');
  if (fs.existsSync(path)) throw new StateError(`file \`${path}\` exists: remove it first`);
  fs.writeFileSync(path, `${JSON.stringify(defaultSpec({ rootless }), null, '\t')}\n`, { mode: 0o666 });
}
