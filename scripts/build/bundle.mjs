#!/usr/bin/env node
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// The CLI as one CommonJS file (main.cjs), and the worker thread startEnv() runs the environment in
// (thread-host.cjs), built
// from the compiled dist/ after tsc. Each is run through dist/env/compile-cache.js, which compiles
// it with V8's code cache: a cold `kapi-env up` otherwise spends about a third of its time
// resolving, compiling and linking modules. Beside each bundle an ES module of the same name loads it
// (main.js exports `main`), so bin/kapi-env.js and the worker start from plain files.
// Packages stay external but commander, signal-exit and protobufjs (on the path of every start of a CLI, of an
// etcd, and of the etcd client: protobufjs's modules took about 60 ms to load from node_modules in an etcd `up`);
// the others load from node_modules as before, and only when used. Library entry
// points (kapi-env, kapi-env/vitest, kapi-env/jest) and their types stay tsc's output.
//
// The bundles sit next to each other, one directory below dist/, as dist/cli/*.js do: paths the
// code resolves against import.meta.url (package.json, bin/kapi-env.js, thread-host.js) still hold.
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Packages compiled into the bundles; every other dependency loads from node_modules, when used. */
const BUNDLED = ['commander', 'signal-exit', 'protobufjs'];

/** The generated indexed tables, under src/ and dist/. */
const INDEXED_TABLES = ['models.json', 'field-docs.json', 'patch-meta.json'].map((f) => `server/schema/builtin/${f}`);

const ENTRIES = { main: 'dist/cli/main.js', 'thread-host': 'dist/env/thread-host.js' };

/**
 * What bin/kapi-env.js requires before the CLI, as CommonJS: the loader that runs a bundle with its code cache,
 * and the etcd prelaunch of `up`. A start that loads no ES module does not start Node's ES module loader.
 */
const LAUNCHER_MODULES = { loader: 'dist/env/compile-cache.js', prelaunch: 'dist/env/prelaunch.js' };

/** esbuild's options for CommonJS files run from outdir (the bundles and the launcher's modules). */
const commonjs = (outdir) => ({
  absWorkingDir: root,
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // import.meta.url is the bundle's own URL, as it was each module's in the same directory.
  define: { 'import.meta.url': '__kapi_env_bundle_url' },
  banner: { js: 'const __kapi_env_bundle_url = require("node:url").pathToFileURL(__filename).href;' },
  // Class and function names as written (error names in messages, stack traces).
  keepNames: true,
  sourcemap: true,
  logLevel: 'warning',
});

/** Bundles the CLI and the worker host into `outdir` (a directory directly under dist/). */
export async function bundleCli(outdir = path.join(root, 'dist', 'cli-bundle')) {
  if (path.dirname(path.resolve(outdir)) !== path.join(root, 'dist'))
    throw new Error(`${outdir}: the bundle must sit directly under dist/`);
  rmSync(outdir, { recursive: true, force: true });
  await build({
    ...commonjs(outdir),
    entryPoints: ENTRIES,
    // commander, the CLI's own parser (small, no dependencies), is compiled in with the CLI: one less
    // package to resolve and compile on every command, and under the code cache.
    external: Object.keys(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).dependencies)
      .filter((d) => !BUNDLED.includes(d))
      .flatMap((d) => [d, `${d}/*`]),
  });
  // The loader's import() of a package (its bundles' __kapi_env_import) stays an import().
  await build({ ...commonjs(outdir), entryPoints: LAUNCHER_MODULES, supported: { 'dynamic-import': true } });
  // tsc re-emits the JSON files it copies; the indexed tables are read by their offsets (scripts/gen/lib.mjs).
  for (const table of INDEXED_TABLES) copyFileSync(path.join(root, 'src', table), path.join(root, 'dist', table));
  for (const name of Object.keys(ENTRIES)) {
    // A package's dynamic import goes through the loader's import() (see dist/env/compile-cache.js).
    const file = path.join(outdir, `${name}.cjs`);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\bimport\(("[^"]+")\)/g, '__kapi_env_import($1)'));
    const load = `loadBundle(new URL('./${name}.cjs', import.meta.url))`;
    writeFileSync(
      path.join(outdir, `${name}.js`),
      `import { loadBundle } from '../env/compile-cache.js';\n${name === 'main' ? `export const { main } = ${load};` : `${load};`}\n`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleCli();
