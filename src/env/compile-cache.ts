// Loading the build's bundles (dist/cli-bundle/*.cjs: the CLI, the worker thread startEnv() runs the
// environment in) with V8's code cache. Compiling the two megabytes of a bundle, and then
// each function it runs on first call, is about a third of a cold `kapi-env up`; a code cache made
// after a start holds all of it compiled. Node 22 has module.enableCompileCache() for this; Node 20
// has only vm.Script's cachedData, which serves every supported version alike.
//
// The cache lives in `$KAPI_ENV_COMPILE_CACHE` (a directory; `0` turns it off), by default
// `~/.cache/kapi-env/compile-cache` (`$XDG_CACHE_HOME`), one file per bundle, keyed by the bundle's path, size and mtime and
// by V8's cache version tag (V8 version and flags). A missing, rejected or unwritable cache only costs
// the compile: the bundle runs as it would without one. The caches of the KEPT_BUNDLES bundles last written
// are kept; older ones (a bundle moved, a package installed elsewhere) go when a new one is written. The cache is written once, when the process
// that made it reaches its ready point (`compileCacheReady()`: an environment started, a server
// serving), so that it holds the functions a start runs; a command that has no such point (`--version`,
// `down`) reads the cache but does not write it.
//
// This module imports nothing of kapi-env: bin/kapi-env.js and the bundles' entry stubs load it as is,
// and the bundles carry their own copy of compileCacheReady(), which reaches the loader through a
// global.

import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

const HOOK = Symbol.for('kapi-env.compile-cache-ready');
/** What names the bundle this process runs (its path, size and mtime), for caches of what the bundle's code makes. */
const BUNDLE = Symbol.for('kapi-env.bundle');

interface Pending {
  script: vm.Script;
  cacheFile: string;
}

const pending: Pending[] = [];

/** How each bundle this process loaded was compiled, by path: from its cache, or compiled (no cache, or one V8 refused). */
export const compiledFrom = new Map<string, 'cache' | 'source'>();

/** The cache directory, or undefined when turned off. */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env.KAPI_ENV_COMPILE_CACHE;
  if (v === '0' || v === 'false' || v === 'off') return undefined;
  // The user's cache dir (as the etcd flag probe's), not the temp dir: an environment leaves nothing behind in TMPDIR.
  return v || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'kapi-env', 'compile-cache');
}

/** A short hex digest naming cache files. */
export const digest = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

/**
 * `<bundle>-<its path>-<V8 cache tag>-<its size, mtime and Node version>.bin`: the first three name the caches
 * of one bundle under one set of V8 flags (processes run with different flags keep one each).
 */
function cacheFileFor(file: string, dir: string): string {
  const { size, mtimeMs } = statSync(file);
  return path.join(
    dir,
    `${path.basename(file)}-${digest(file)}-${v8.cachedDataVersionTag()}-${digest(`${size}\0${mtimeMs}\0${process.version}`)}.bin`,
  );
}

/** The caches of the same bundle and flags made for other builds or Node versions, which a new one replaces. */
function removeOlder(cacheFile: string): void {
  const name = path.basename(cacheFile);
  const prefix = name.split('-').slice(0, -1).join('-');
  for (const other of readdirSync(path.dirname(cacheFile)))
    if (other !== name && other.startsWith(`${prefix}-`) && other.endsWith('.bin'))
      rmSync(path.join(path.dirname(cacheFile), other), { force: true });
}

/**
 * Runs a CommonJS bundle (a file esbuild wrote with `format: 'cjs'`) as Node would require it, compiled
 * with the code cache when there is one; returns its exports.
 */
export function loadBundle(url: URL): Record<string, unknown> {
  const file = fileURLToPath(url);
  // The bundle is ASCII (esbuild escapes the rest): read one byte a character, which is a fraction of
  // decoding two megabytes as UTF-8 and gives V8 a one-byte source to scan.
  const bytes = readFileSync(file);
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const { size, mtimeMs } = statSync(file);
  (globalThis as Record<symbol, unknown>)[BUNDLE] ??= `${file}\0${size}\0${mtimeMs}`;
  const dir = compileCacheDir();
  let cacheFile: string | undefined;
  let cachedData: Buffer | undefined;
  if (dir) {
    try {
      cacheFile = cacheFileFor(file, dir);
      cachedData = readFileSync(cacheFile);
    } catch {
      // No cache yet.
    }
  }
  // The wrapper shares the first line, so line numbers in stack traces stay the bundle's. A script
  // compiled from a code cache loses its dynamic import() callback (Node 20), so the build has made
  // the bundle's `import("pkg")` calls to `__kapi_env_import("pkg")`: this module's import(), which
  // resolves packages from the same node_modules.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, __kapi_env_import) {${source}\n})`, {
    filename: file,
    cachedData,
  });
  compiledFrom.set(file, cachedData && !script.cachedDataRejected ? 'cache' : 'source');
  if (cacheFile && (!cachedData || script.cachedDataRejected)) {
    (globalThis as Record<symbol, unknown>)[HOOK] = writePending;
    pending.push({ script, cacheFile });
  }
  const module = { exports: {} as Record<string, unknown> };
  (script.runInThisContext() as (...args: unknown[]) => void)(
    module.exports,
    createRequire(file),
    module,
    file,
    path.dirname(file),
    (specifier: string) => import(specifier),
  );
  return module.exports;
}

/** How many bundles' caches (and bootstrap seeds) a cache directory keeps. */
export const KEPT_BUNDLES = 8;

/**
 * Removes from `dir` the files of all but the `keep` groups written last: a file's group is what `groupOf` names
 * (a bundle's path, digested), undefined for a file that is not one of these. A group's time is its newest file's.
 */
export function pruneCaches(dir: string, groupOf: (name: string) => string | undefined, keep = KEPT_BUNDLES): void {
  const groups = new Map<string, { files: string[]; newest: number }>();
  for (const name of readdirSync(dir)) {
    const group = groupOf(name);
    if (group === undefined) continue;
    let mtime: number;
    try {
      mtime = statSync(path.join(dir, name)).mtimeMs;
    } catch {
      continue;
    }
    const g = groups.get(group) ?? { files: [], newest: 0 };
    g.files.push(name);
    g.newest = Math.max(g.newest, mtime);
    groups.set(group, g);
  }
  for (const g of [...groups.values()].sort((a, b) => b.newest - a.newest).slice(keep))
    for (const f of g.files) rmSync(path.join(dir, f), { force: true });
}

/** Writes the caches this process has to write (each once; a temporary file renamed, as others may write the same). */
function writePending(): void {
  for (const { script, cacheFile } of pending.splice(0)) {
    const tmp = `${cacheFile}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    try {
      mkdirSync(path.dirname(cacheFile), { recursive: true });
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
      removeOlder(cacheFile);
      pruneCaches(path.dirname(cacheFile), (name) => /^(.+\.cjs-[0-9a-f]{16})-.*\.bin$/.exec(name)?.[1]);
    } catch {
      try {
        unlinkSync(tmp);
      } catch {
        // Not written.
      }
    }
  }
}

/** The identity of the bundle this process (or thread) runs from: its path, size and mtime; undefined off a bundle. */
export function runningBundle(): string | undefined {
  const b = (globalThis as Record<symbol, unknown>)[BUNDLE];
  return typeof b === 'string' ? b : undefined;
}

/**
 * Called where a process has done its start (an environment ready, a server serving): writes the code
 * cache of the bundle it runs from, if it has none yet. Does nothing when not run from a bundle.
 */
export function compileCacheReady(): void {
  const hook = (globalThis as Record<symbol, unknown>)[HOOK];
  if (typeof hook === 'function') setImmediate(hook as () => void).unref();
}
