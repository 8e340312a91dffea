// Cold start: an environment loads only what its start needs. The libraries
// below each cost tens to hundreds of milliseconds to load; they are loaded
// on first use (a YAML body, a fixture, a protobuf OpenAPI request, a CEL
// rule, a webhook conversion, a client request), never by a plain start.

import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { kubectl } from '../helpers/env.js';

const root = path.resolve(__dirname, '../..');

// Runs in a fresh Node process: records every module loaded (ESM through a loader hook, CommonJS
// through the require cache) while startEnv() runs, then stops the environment.
const PROBE = `
import { register, createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const urls = new Set();
port1.on('message', (u) => urls.add(u));
register('data:text/javascript,' + encodeURIComponent('let p; export function initialize(d) { p = d.port; } export async function load(u, c, next) { p.postMessage(u); return next(u, c); }'), { data: { port: port2 }, transferList: [port2] });
const { startEnv } = await import(process.argv[1] + '/dist/env/index.js');
// Inline: a worker thread's modules (the default's) load where this hook does not see them; the worker
// runs this same inline start.
const env = await startEnv({ storage: process.argv[2], serverThread: 'inline' });
try {
  // Loader hook messages arrive asynchronously: let them drain.
  await new Promise((r) => setTimeout(r, 50));
  const files = [...urls, ...Object.keys(createRequire(import.meta.url).cache)];
  process.stdout.write(JSON.stringify({ files, reflectMetadata: typeof Reflect.getMetadata === 'function' }));
} finally {
  port1.close();
  await env.stop();
}
`;

function probe(storage: string): Promise<{ files: string[]; reflectMetadata: boolean }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', PROBE, root, storage],
      { cwd: root, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as { files: string[]; reflectMetadata: boolean });
      },
    );
  });
}

const packageOf = (file: string): string | undefined => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1];

const NOT_AT_START = [
  'undici',
  'yaml',
  'protobufjs',
  '@marcbachmann/cel-js',
  '@peculiar/x509',
  'reflect-metadata',
  'tsyringe',
  'execa',
  'ws',
];

describe.each(BACKENDS)('cold start (%s)', (storage) => {
  it('loads no library a plain start does not use', async () => {
    const { files, reflectMetadata } = await probe(storage);
    const packages = new Set(files.map(packageOf).filter(Boolean));
    // The probe sees the server's own modules and, for etcd, its gRPC driver: it does see what is loaded.
    expect(files.some((f) => f.includes('/dist/server/index.js'))).toBe(true);
    expect(files.some((f) => f.includes('/dist/server/storage/etcd/grpc.js'))).toBe(storage === 'etcd');
    // The etcd driver speaks gRPC over node:http2 itself: no gRPC library, no .proto parsing at start.
    expect(['etcd3', '@grpc/grpc-js', '@grpc/proto-loader'].filter((p) => packages.has(p))).toEqual([]);
    // The etcd driver's messages are protobufjs types; only the OpenAPI protobuf encoder is deferred.
    const notLoaded = storage === 'etcd' ? NOT_AT_START.filter((p) => p !== 'protobufjs') : NOT_AT_START;
    expect(notLoaded.filter((p) => packages.has(p))).toEqual([]);
    expect(reflectMetadata).toBe(false);
  });
});

// `npm run build` bundles the CLI (scripts/build/bundle.mjs); bin/kapi-env.js runs the bundle. This
// bundles the current dist/ afresh into a directory of its own, beside dist/cli-bundle.
describe('the bundled CLI', () => {
  it('prints the package version and starts an environment kubectl can use, stopping it on SIGINT', async () => {
    const outdir = path.join(root, 'dist', `cli-bundle-test-${process.pid}`);
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'kapi-env-bundle-'));
    const { bundleCli } = (await import(path.join(root, 'scripts/build/bundle.mjs'))) as { bundleCli(outdir: string): Promise<void> };
    try {
      await bundleCli(outdir);
      expect(existsSync(path.join(outdir, 'thread-host.js'))).toBe(true);
      const run = (args: string[]): ReturnType<typeof spawn> =>
        spawn(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            'const { main } = await import(process.argv[1]); process.exitCode = await main(["node", "kapi-env", ...process.argv.slice(2)]);',
            path.join(outdir, 'main.js'),
            ...args,
          ],
          { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
        );
      const version = run(['--version']);
      let printed = '';
      version.stdout!.on('data', (d: Buffer) => {
        printed += d.toString();
      });
      expect(await new Promise((r) => version.once('exit', r))).toBe(0);
      expect(printed.trim()).toBe((JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version);

      const kc = path.join(stateDir, 'kubeconfig');
      const up = run(['up', '--storage', 'memory', '--state-dir', stateDir, '--kubeconfig', kc]);
      const exited = new Promise<number | null>((r) => up.once('exit', r));
      try {
        let out = '';
        let err = '';
        up.stderr!.on('data', (d: Buffer) => {
          err += d.toString();
        });
        await new Promise<void>((resolve, reject) => {
          up.stdout!.on('data', (d: Buffer) => {
            out += d.toString();
            if (out.includes('kapi-env ready')) resolve();
          });
          void exited.then((code) => reject(new Error(`up exited ${code} before ready: ${err}`)));
        });
        expect((await kubectl(kc, ['get', 'ns', 'kube-system', '-o', 'name'])).stdout.trim()).toBe('namespace/kube-system');
      } finally {
        up.kill('SIGINT');
        expect(await exited).toBe(0);
      }
      expect(existsSync(path.join(stateDir, 'state.json'))).toBe(false);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
