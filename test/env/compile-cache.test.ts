// The build's bundles run through the code-cache loader (src/env/compile-cache.ts): a cache is written
// at the ready point, read by the next process, replaced when the bundle changes; a package's dynamic
// import works from a script compiled from the cache; KAPI_ENV_COMPILE_CACHE=0 writes nothing.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The built module, as bin/kapi-env.js and the bundles' entry stubs load it (`npm test` builds first).
const loader = pathToFileURL(path.resolve(__dirname, '../../dist/env/compile-cache.js')).href;
const work = mkdtempSync(path.join(os.tmpdir(), 'kapi-env-compile-cache-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// A bundle as esbuild writes one (CommonJS), with a package import as the build rewrites it.
const bundle = path.join(work, 'app.cjs');
writeFileSync(
  bundle,
  'exports.answer = () => 42;\nexports.yaml = async () => (await __kapi_env_import("yaml")).parse("a: 1");\nexports.file = __filename;\n',
);

/** Loads the bundle in a fresh Node process; returns what it computed and how the bundle was compiled. */
function run(cacheDir: string, ready: boolean, nodeFlags: string[] = []): { answer: number; yaml: unknown; from: string; file: string } {
  const script = `
    const { loadBundle, compileCacheReady, compiledFrom } = await import(${JSON.stringify(loader)});
    const url = new URL(${JSON.stringify(pathToFileURL(bundle).href)});
    const m = loadBundle(url);
    const out = { answer: m.answer(), yaml: await m.yaml(), from: compiledFrom.get(${JSON.stringify(bundle)}), file: m.file };
    ${ready ? 'compileCacheReady();' : ''}
    setTimeout(() => process.stdout.write(JSON.stringify(out)), 20);`;
  const stdout = execFileSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', script], {
    env: { ...process.env, KAPI_ENV_COMPILE_CACHE: cacheDir },
    cwd: path.resolve(__dirname, '../..'),
    encoding: 'utf8',
  });
  return JSON.parse(stdout) as { answer: number; yaml: unknown; from: string; file: string };
}

describe('the code cache of the bundles', () => {
  it('is written at the ready point, used by the next process, and replaced when the bundle changes', () => {
    const dir = path.join(work, 'cache');
    const first = run(dir, false);
    expect(first).toEqual({ answer: 42, yaml: { a: 1 }, from: 'source', file: bundle });
    // No ready point reached: nothing written.
    expect(() => readdirSync(dir)).toThrow();
    expect(run(dir, true).from).toBe('source');
    const written = readdirSync(dir);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^app\.cjs-[0-9a-f]{16}-\d+-[0-9a-f]{16}\.bin$/);
    // From the cache, the dynamic import of a package still works.
    expect(run(dir, true)).toEqual({ answer: 42, yaml: { a: 1 }, from: 'cache', file: bundle });
    expect(readdirSync(dir)).toEqual(written);
    // A rebuilt bundle: compiled afresh, its cache replaces the old one.
    utimesSync(bundle, new Date(), new Date(Date.now() + 5000));
    expect(run(dir, true).from).toBe('source');
    const after = readdirSync(dir);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(written[0]);
    expect(run(dir, false).from).toBe('cache');
    // Other V8 flags (--expose-gc changes V8's cache tag): a cache of their own, beside the first.
    expect(run(dir, true, ['--expose-gc']).from).toBe('source');
    expect(run(dir, false, ['--expose-gc']).from).toBe('cache');
    expect(run(dir, false).from).toBe('cache');
    expect(readdirSync(dir)).toHaveLength(2);
  });

  it('keeps the caches of the bundles written last: a new one removes those past KEPT_BUNDLES', async () => {
    const { KEPT_BUNDLES } = (await import(loader)) as { KEPT_BUNDLES: number };
    const dir = path.join(work, 'many');
    mkdirSync(dir);
    // Caches of other bundles (other paths), written before, the oldest first; a file of something else.
    const others = Array.from({ length: KEPT_BUNDLES + 2 }, (_, i) => `main.cjs-${String(i).padStart(16, '0')}-123-${'f'.repeat(16)}.bin`);
    others.forEach((f, i) => {
      writeFileSync(path.join(dir, f), 'x');
      const t = new Date(Date.now() - (others.length - i) * 60_000);
      utimesSync(path.join(dir, f), t, t);
    });
    writeFileSync(path.join(dir, 'notes.txt'), 'kept');
    expect(run(dir, true).from).toBe('source');
    const left = readdirSync(dir);
    // The new cache and the KEPT_BUNDLES - 1 most recent of the others.
    expect(left.filter((f) => f.startsWith('app.cjs-'))).toHaveLength(1);
    expect(left.filter((f) => f.startsWith('main.cjs-')).sort()).toEqual(others.slice(-(KEPT_BUNDLES - 1)).sort());
    expect(left).toContain('notes.txt');
  });

  it('KAPI_ENV_COMPILE_CACHE=0 turns it off', () => {
    expect(run('0', true)).toMatchObject({ answer: 42, from: 'source' });
    expect(readdirSync(work).filter((f) => f !== 'cache' && f !== 'many' && f !== 'app.cjs')).toEqual([]);
  });
});
