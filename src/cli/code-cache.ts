/**
 * A V8 code cache for the big verb bundles — node:vm `Script` with
 * `cachedData` (v8::ScriptCompiler::CachedData), `script.createCachedData()`.
 *
 * Why: `run`, `create` and `exec` execute much of their 150–180 KB bundle,
 * and V8 compiles every function the first time it is called. Given the
 * bytecode an earlier call produced, `run` took 8 ms less on this machine
 * (1.53× → 1.44× `node empty.js`, paired) for 0.2 MB more RSS. The small
 * verbs gain nothing (reading the cache costs what it saves), so hot.ts
 * requires them as before.
 *
 * Safety: V8 accepts a cache after checking only the source's length, its
 * own version and its flags, so a rebuilt bundle of the same length would run
 * stale bytecode. The cache file therefore starts with the bundle's identity
 * (inode, size, mtime): any rebuild misses. It is written once, after a call
 * that exited 0 (so it holds that path's functions), atomically (a temporary
 * file, then rename(2)), and only when the bundle file belongs to the caller:
 * root never writes into a user's checkout, and nobody can plant bytecode for
 * a more privileged caller that they could not plant in the bundle itself.
 *
 * Both files are mapped, not read (native/addon/map.c): reading them put
 * ~400 KB into fresh memory twice and cost 3.4–3.8 ms of every `run` here,
 * mapped ~0.2 ms. scripts/bundle.mjs writes the cached verbs' bundles already
 * wrapped in Module.wrap's text, so the mapped file is the script V8 compiles
 * as it is: wrapping it here would make V8 copy the whole text into one new
 * string (~0.9 ms). Any other file is wrapped here, as require() would.
 */
import * as fs from 'node:fs';
import { dirname } from 'node:path';
import type { Script } from 'node:vm';
import { addon } from '../native/addon.js';

export type CacheUse = 'hit' | 'miss' | 'rejected';

/**
 * The bundles require only Node's builtins, so they get joey.cjs's own
 * CommonJS require. Not node:module's createRequire: loading that module
 * costs ~0.9 ms of every call here. tsc's ESM output (the unit tests) has no
 * require, and asks process.getBuiltinModule for one.
 */
function builtinRequire(): NodeJS.Require {
  return typeof require === 'function' ? require : process.getBuiltinModule('node:module').createRequire(import.meta.url);
}

/** The verbs loaded through a cache: those that execute most of their bundle. */
export const CACHED_VERBS = ['run', 'create', 'exec'] as const;

// Module.wrap's head and tail, without loading node:module for them
// (scripts/bundle.mjs writes them around the cached verbs' bundles).
export const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
export const WRAP_TAIL = '\n});';

/** `require(file)` for a CommonJS bundle, through `<file>.cache`. */
export function requireCached(file: string): { exports: unknown; cache: CacheUse } {
  const st = fs.statSync(file);
  const head = Buffer.from(`joey-v8-cache ${st.ino} ${st.size} ${st.mtimeMs}\n`);
  const cacheFile = `${file}.cache`;
  const a = addon();
  let cachedData: Buffer | undefined;
  try {
    const buf = a.mapBuffer(cacheFile);
    if (buf.length > head.length && buf.subarray(0, head.length).equals(head)) cachedData = buf.subarray(head.length);
  } catch {
    /* no cache yet */
  }
  const text = a.mapSource(file);
  // node:vm is loaded here, not by joey.cjs: the small verbs never need it.
  const req = builtinRequire();
  const { Script } = req('node:vm') as typeof import('node:vm');
  const source = text.startsWith(WRAP_HEAD) ? text : WRAP_HEAD + text + WRAP_TAIL;
  const script = new Script(source, { filename: file, cachedData });
  const cache: CacheUse = !cachedData ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit';
  if (cache !== 'hit' && process.geteuid?.() === st.uid) {
    process.once('exit', (code) => {
      if (code === 0) save(cacheFile, head, script);
    });
  }
  const module = { exports: {} as unknown };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, req, module, file, dirname(file));
  return { exports: module.exports, cache };
}

/**
 * `require(file)` for a small bundle of builtins-only CommonJS (the verbs
 * without a cache): compiled with vm.compileFunction, skipping Module's
 * resolution of an absolute path (the package scope read from package.json,
 * stat, realpath), ~0.7 ms of every `state`, `start`, `kill`... here.
 */
export function requireCompiled(file: string): unknown {
  const req = builtinRequire();
  const { compileFunction } = req('node:vm') as typeof import('node:vm');
  const wrapper = compileFunction(fs.readFileSync(file, 'utf8'), ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file });
  const module = { exports: {} as unknown };
  wrapper.call(module.exports, module.exports, req, module, file, dirname(file));
  return module.exports;
}

function save(cacheFile: string, head: Buffer, script: Script): void {
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, Buffer.concat([head, script.createCachedData()]), { mode: 0o644 });
    fs.renameSync(tmp, cacheFile);
  } catch {
    // A read-only checkout only loses the speed-up.
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* never created */
    }
  }
}
