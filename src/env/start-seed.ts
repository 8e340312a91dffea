// The bootstrap seed (ServerConfig.bootstrapSeed): the objects a server stores on an empty store at its start
// (the four namespaces, the priority classes and flow-control configuration, the RBAC bootstrap policy as the
// ClusterRole aggregation left it) as the write path made them in an earlier start, kept beside the code cache
// so that a start stores those ~230 objects as they were made instead of taking each through the whole write
// path again (about a third of a cold start's server work). It is kept per bundle (path, size, mtime), per part
// and per digest of the objects as given, so a new build or a different policy makes its own; a start from the
// compiled modules or the sources (tests) has none and takes the write path. `KAPI_ENV_COMPILE_CACHE=0` turns
// it off with the code cache.

import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BootstrapRecord, BootstrapSeed } from '../server/config.js';
import { compileCacheDir, digest, pruneCaches, runningBundle } from './compile-cache.js';

/** The seed kept for this bundle, or undefined off a bundle or with the caches off. */
export function bootstrapSeed(
  dir: string | undefined = compileCacheDir(),
  bundle: string | undefined = runningBundle(),
): BootstrapSeed | undefined {
  if (!dir || !bundle) return undefined;
  // bootstrap-<the bundle's path>-<the part>-<its build and the inputs>.json: a new one replaces the part's others.
  const prefix = (name: string): string => `bootstrap-${digest(bundle.split('\0')[0])}-${digest(name).slice(0, 8)}`;
  const file = (name: string, inputs: string): string => path.join(dir, `${prefix(name)}-${digest(`${bundle}\0${inputs}`)}.json`);
  return {
    async load(name, inputs) {
      try {
        const record = JSON.parse(await readFile(file(name, inputs), 'utf8')) as unknown;
        return isRecord(record) ? record : undefined;
      } catch {
        return undefined;
      }
    },
    save(name, inputs, record) {
      // After the start: the ready line does not wait for the file.
      setImmediate(() => {
        const text = JSON.stringify(record);
        const target = file(name, inputs);
        const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}`;
        try {
          mkdirSync(dir, { recursive: true });
          writeFileSync(tmp, text);
          renameSync(tmp, target);
          for (const other of readdirSync(dir))
            if (other.startsWith(`${prefix(name)}-`) && other.endsWith('.json') && other !== path.basename(target))
              rmSync(path.join(dir, other), { force: true });
          // The seeds of the bundles written last (a bundle's parts go together).
          pruneCaches(dir, (file) => /^(bootstrap-[0-9a-f]{16})-.*\.json$/.exec(file)?.[1]);
        } catch {
          // Not kept: the next start makes it again.
          try {
            rmSync(tmp, { force: true });
          } catch {
            // Nothing written to remove.
          }
        }
      }).unref();
    },
  };
}

/** A record as save() writes it: objects, with metadata and a name, by row. */
function isRecord(v: unknown): v is BootstrapRecord {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  return Object.values(v).every(
    (objs) =>
      Array.isArray(objs) &&
      objs.every((o) => typeof o === 'object' && o !== null && typeof (o as { metadata?: { name?: unknown } }).metadata?.name === 'string'),
  );
}
