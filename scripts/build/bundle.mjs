#!/usr/bin/env node
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// The CLI as one ES module (plus a chunk per lazily loaded command, the reaper and the worker thread
// startEnv() runs the environment in, which shares the server's chunks), built from
// the compiled dist/ after tsc. A cold `kapi-env up` otherwise spends about a fifth of its time
// resolving, reading and linking a hundred small modules. Packages stay external: they load
// from node_modules as before, and only when used. Library entry points (kapi-env,
// kapi-env/vitest, kapi-env/jest) and their types stay tsc's output.
//
// The chunks sit next to each other, one directory below dist/, as dist/cli/*.js do: paths the
// code resolves against import.meta.url (package.json, bin/kapi-env.js, reaper-main.js) still hold.
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Bundles dist/cli/main.js into `outdir` (a directory directly under dist/). */
export async function bundleCli(outdir = path.join(root, 'dist', 'cli-bundle')) {
  if (path.dirname(path.resolve(outdir)) !== path.join(root, 'dist'))
    throw new Error(`${outdir}: the bundle must sit directly under dist/`);
  rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: { main: 'dist/cli/main.js', 'reaper-main': 'dist/env/reaper-main.js', 'thread-host': 'dist/env/thread-host.js' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    // Class and function names as written (error names in messages, stack traces).
    keepNames: true,
    sourcemap: true,
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleCli();
