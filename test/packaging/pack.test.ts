// kapi-env as users get it: `npm pack`, the tarball installed into empty projects, and their
// suites run there through kapi-env's Vitest and Jest global setups with a CRD. This is what
// catches a file missing from `files`, a broken `exports` entry, declarations that do not resolve,
// or an install step that only works inside this repository.
//
// The Vitest project uses @kubernetes/client-node 2.x while kapi-env keeps 1.4 for its models:
// both must install side by side, and 2.x must talk to the server. client-node 2.x needs undici 8,
// which needs Node >= 22.19 (on older Node its import fails, reading zlib's zstd support), so below
// that the project pins undici 7 with npm `overrides`, as the README tells users to. The project
// takes Vitest 5 where it runs (Node >= 22.12), else this repository's Vitest 4.
//
// The tarball is packed from this run's dist/ (built by `npm test`) with --ignore-scripts, so the
// suite's own build is not redone. Installing needs the npm registry; packages already in npm's
// cache are taken from it. Without the registry the install tests skip and say why.

import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const repoPackage = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;
const versionOf = (dir: string): string => (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson).version;

interface PackageJson {
  name: string;
  version: string;
  bin?: Record<string, string>;
  main?: string;
  types?: string;
  exports?: Record<string, string | Record<string, string>>;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
}

interface Run {
  code: number;
  stdout: string;
  /** stdout and stderr, for failure messages. */
  output: string;
}

// The child processes get this run's Node first on PATH, plain output, and none of the outer
// run's state: its KUBECONFIG and KAPI_ENV_* (the suite's own environment), Vitest's worker
// variables, and the `npm test` lifecycle variables (npm_config_local_prefix would point npm at
// this repository).
const OUTER = /^(VITEST|KAPI_ENV_|KUBECONFIG$|TEST$|INIT_CWD$|npm_(lifecycle_|package_|command$|config_local_prefix$))/;
const childEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!OUTER.test(k)) env[k] = v;
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
  delete env.FORCE_COLOR;
  return { ...env, NO_COLOR: '1', ...extra };
};

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}, timeout = 240_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: childEnv(env), timeout, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, output: `${stdout}${stderr}${err && !stderr ? String(err) : ''}` });
    });
  });
}
const node = (args: string[], cwd: string, env?: Record<string, string>): Promise<Run> => run(process.execPath, args, cwd, env);
const npm = (args: string[], cwd: string): Promise<Run> => run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], cwd);

// npm's words for a registry it cannot reach (or a package the offline cache lacks).
const UNREACHABLE = /E(NOTFOUND|AI_AGAIN|CONNREFUSED|CONNRESET|TIMEDOUT|NETUNREACH|HOSTUNREACH|NOTCACHED)|socket hang up|network/i;

/** node_modules lookup from `dir` upwards, as Node resolves a bare package name. */
function packageDir(from: string, name: string): string | undefined {
  for (let d = from; ; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return realpathSync(candidate);
    if (path.dirname(d) === d) return undefined;
  }
}

const write = (file: string, text: string): void => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
};
const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

// A Vitest project: kapi-env/vitest as global setup, the Widget CRD from KAPI_ENV_CRDS, and
// client-node 2.x (the user's own choice) talking to the server it started.
const VITEST_CONFIG = `import { defineConfig } from 'vitest/config';
export default defineConfig({ test: { globalSetup: ['kapi-env/vitest'] } });
`;
const VITEST_SUITE = `import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { expect, test } from 'vitest';

const kc = new KubeConfig();
kc.loadFromFile(process.env.KUBECONFIG);
const widgets = { group: 'example.com', version: 'v1', namespace: 'default', plural: 'widgets' };
const widget = (name, spec) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name }, spec });

test('the CRD is served: defaults applied, CEL rules enforced', async () => {
  const api = kc.makeApiClient(CustomObjectsApi);
  const created = await api.createNamespacedCustomObject({ ...widgets, body: widget('w1', { size: 'small' }) });
  expect(created.spec).toEqual({ size: 'small', replicas: 1, minReplicas: 0 });
  const refused = await api
    .createNamespacedCustomObject({ ...widgets, body: widget('w2', { size: 'small', replicas: 1, minReplicas: 2 }) })
    .catch((e) => e);
  expect(refused.code).toBe(422);
  expect(String(refused.body)).toContain('replicas must be at least minReplicas');
  const list = await api.listNamespacedCustomObject(widgets);
  expect(list.items.map((w) => w.metadata.name)).toEqual(['w1']);
});

test('built-in resources through client-node', async () => {
  const ns = await kc.makeApiClient(CoreV1Api).readNamespace({ name: 'default' });
  expect(ns.status?.phase).toBe('Active');
});
`;

// A TypeScript consumer of every entry point, type-checked against the installed declarations.
// The @ts-expect-error lines fail to compile if a declaration resolved to `any`.
const CONSUMER_TS = `import { KubeConfig } from '@kubernetes/client-node';
import { type Env, type EnvOptions, RestClient, startEnv } from 'kapi-env';
import jestSetup from 'kapi-env/jest';
import jestTeardown from 'kapi-env/jest/teardown';
import vitestSetup, { createGlobalSetup } from 'kapi-env/vitest';

export async function countWidgets(options: EnvOptions = { crds: ['crds'], storage: 'memory' }): Promise<number> {
  const env: Env = await startEnv(options);
  try {
    const res = await env.client().get<{ items: unknown[] }>('/apis/example.com/v1/widgets');
    return res.body.items.length;
  } finally {
    await env.stop();
  }
}
export function kubeConfigOf(env: Env): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(env.kubeconfig);
  return kc;
}
export const setups: Array<() => Promise<unknown>> = [vitestSetup, createGlobalSetup({ storage: 'memory' }), jestSetup, jestTeardown];
// @ts-expect-error storage is auto, etcd, container or memory
export const wrongStorage: EnvOptions = { storage: 'sqlite' };
// @ts-expect-error agent is undici's Agent (a dependency's declarations, resolved from kapi-env)
export const wrongAgent: number = new RestClient({ server: '', caPem: '', certPem: '', keyPem: '' }).agent;
`;
const CONSUMER_TSCONFIG = {
  compilerOptions: {
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2022',
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  },
  files: ['consumer.ts'],
};

// A Jest project, ES modules as the README's jest.config.js is written; the test itself is
// CommonJS (Jest runs ES module tests only behind --experimental-vm-modules) and talks HTTPS
// with the kubeconfig's credentials. Storage is left to `auto`, as a user's would be.
const JEST_CONFIG = `export default { globalSetup: 'kapi-env/jest', globalTeardown: 'kapi-env/jest/teardown', testEnvironment: 'node' };
`;
const JEST_SUITE = `const { readFileSync } = require('node:fs');
const https = require('node:https');

function connection() {
  const text = readFileSync(process.env.KUBECONFIG, 'utf8');
  const data = (name) => Buffer.from(new RegExp(name + ': (\\\\S+)').exec(text)[1], 'base64');
  return { server: /server: (\\S+)/.exec(text)[1], ca: data('certificate-authority-data'), cert: data('client-certificate-data'), key: data('client-key-data') };
}

function request(method, path, body) {
  const c = connection();
  return new Promise((resolve, reject) => {
    const options = { method, ca: c.ca, cert: c.cert, key: c.key, headers: { 'content-type': 'application/json' } };
    const req = https.request(new URL(path, c.server), options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body && JSON.stringify(body));
  });
}

test('the CRD is served and defaults its objects', async () => {
  const path = '/apis/example.com/v1/namespaces/default/widgets';
  const created = await request('POST', path, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 'large' } });
  expect(created.status).toBe(201);
  expect(created.body.spec).toEqual({ size: 'large', replicas: 1, minReplicas: 0 });
  const refused = await request('POST', path, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w2' }, spec: { size: 'huge' } });
  expect(refused.status).toBe(422);
});
`;

describe('the packed package, installed as users install it', () => {
  let work = '';
  let tarball = '';
  let files: string[] = [];
  let installSkip: string | undefined;
  let installFailure: Run | undefined;
  // The three consumer runs, started together once the install is done.
  let runs: { vitest: Promise<Run>; jest: Promise<Run>; tsc: Promise<Run> } | undefined;
  const apps = { vitest: '', jest: '' };
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  const atLeast22 = (m: number): boolean => major > 22 || (major === 22 && minor >= m);
  // undici 8 (client-node 2.x's) needs Node 22.19; Vitest 5 needs 22.12 (Vitest 4, this repository's, runs on 20).
  const needsUndici7 = !atLeast22(19);
  const vitestVersion = atLeast22(12) ? '^5.0.0' : versionOf(path.join(ROOT, 'node_modules', 'vitest'));

  beforeAll(async () => {
    work = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'kapi-env-pack-')));
    const packed = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
    expect(packed.code, packed.output).toBe(0);
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = path.join(work, info!.filename);
    files = info!.files.map((f) => f.path);

    // Two projects in one npm workspace: one install, kapi-env's dependencies unpacked once.
    apps.vitest = path.join(work, 'vitest-app');
    apps.jest = path.join(work, 'jest-app');
    const kapi = `file:${tarball}`;
    write(
      path.join(work, 'package.json'),
      json({
        name: 'consumers',
        private: true,
        workspaces: ['vitest-app', 'jest-app'],
        ...(needsUndici7 ? { overrides: { undici: repoPackage.dependencies!.undici } } : {}),
      }),
    );
    write(
      path.join(apps.vitest, 'package.json'),
      json({
        name: 'vitest-app',
        private: true,
        type: 'module',
        dependencies: { 'kapi-env': kapi, '@kubernetes/client-node': '^2.0.0', vitest: vitestVersion },
      }),
    );
    write(path.join(apps.vitest, 'vitest.config.js'), VITEST_CONFIG);
    write(path.join(apps.vitest, 'widgets.test.js'), VITEST_SUITE);
    write(path.join(apps.vitest, 'consumer.ts'), CONSUMER_TS);
    write(path.join(apps.vitest, 'tsconfig.json'), json(CONSUMER_TSCONFIG));
    write(
      path.join(apps.jest, 'package.json'),
      json({ name: 'jest-app', private: true, type: 'module', dependencies: { 'kapi-env': kapi, jest: '^30.0.0' } }),
    );
    write(path.join(apps.jest, 'jest.config.js'), JEST_CONFIG);
    write(path.join(apps.jest, 'widgets.test.cjs'), JEST_SUITE);
    // The CRDs are the user's own: this repository's example, copied in.
    for (const app of Object.values(apps)) cpSync(path.join(ROOT, 'fixtures', 'crds'), path.join(app, 'crds'), { recursive: true });

    // Without a registry npm would retry every package for minutes before failing: ask once first.
    const ping = await run('npm', ['ping', '--fetch-retries=0', '--fetch-timeout=15000', '--loglevel=error'], work, {}, 30_000);
    if (ping.code !== 0) {
      installSkip = `npm registry unreachable, install tests skipped (npm ping: ${ping.output.match(/npm error (.*)/)?.[1] ?? `exit ${ping.code}`})`;
      console.warn(`[kapi-env tests] ${installSkip}`);
      return;
    }
    // kapi-env has no install scripts (checked below); its dependencies' (optional native builds of ssh2
    // and cpu-features, under testcontainers) would cost a third of the install and change nothing here.
    const installed = await npm(['install', '--prefer-offline', '--ignore-scripts', '--fetch-retries=1', '--fetch-timeout=30000'], work);
    if (installed.code !== 0) {
      if (UNREACHABLE.test(installed.output)) {
        installSkip = `npm registry unreachable, install tests skipped: ${installed.output
          .split('\n')
          .find((l) => UNREACHABLE.test(l))
          ?.trim()}`;
        console.warn(`[kapi-env tests] ${installSkip}`);
      } else installFailure = installed;
      return;
    }
    runs = {
      vitest: node([path.join(packageDir(apps.vitest, 'vitest')!, 'vitest.mjs'), 'run'], apps.vitest, {
        KAPI_ENV_CRDS: 'crds',
        KAPI_ENV_STORAGE: 'memory',
      }),
      jest: node([path.join(packageDir(apps.jest, 'jest')!, 'bin', 'jest.js'), '--ci'], apps.jest, { KAPI_ENV_CRDS: 'crds' }),
      tsc: node([path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], apps.vitest),
    };
  }, 300_000);

  afterAll(async () => {
    if (runs) await Promise.all(Object.values(runs));
    if (work) rmSync(work, { recursive: true, force: true });
  }, 120_000);

  const ready = (ctx: { skip: (note?: string) => never }): void => {
    if (installSkip) ctx.skip(installSkip);
    expect(installFailure?.output ?? '', 'npm install of the tarball failed').toBe('');
  };

  it('packs what package.json names, and nothing of the repository itself', () => {
    const targets = new Set<string>([...Object.values(repoPackage.bin ?? {}), repoPackage.main!, repoPackage.types!]);
    for (const entry of Object.values(repoPackage.exports ?? {})) {
      for (const target of typeof entry === 'string' ? [entry] : Object.values(entry)) targets.add(target);
    }
    // bin/kapi-env.js (CommonJS by bin/package.json) runs the bundle through the loader, after the prelaunch; the
    // worker host is started by path.
    for (const t of [
      'bin/package.json',
      'dist/cli-bundle/main.cjs',
      'dist/cli-bundle/loader.cjs',
      'dist/cli-bundle/prelaunch.cjs',
      'dist/cli-bundle/main.js',
      'dist/cli-bundle/thread-host.js',
      'dist/env/thread-host.js',
    ])
      targets.add(t);
    const missing = [...targets].map((t) => t.replace(/^\.\//, '')).filter((t) => !files.includes(t));
    expect(missing).toEqual([]);
    expect(files.filter((f) => /^(src|test|scripts|docs|\.ci|node_modules|\.kapi-env)\/|\.tsbuildinfo$|\.tgz$/.test(f))).toEqual([]);
    // No source maps (they point at src/, which is not shipped); the changelog is.
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files).toContain('CHANGELOG.md');
    // A tarball install runs install scripts, never `prepare`: nothing may need the repository at install time.
    const packedScripts = Object.keys(repoPackage.scripts ?? {});
    expect(packedScripts.filter((s) => /^(pre|post)?install$/.test(s))).toEqual([]);
  });

  it('installs beside @kubernetes/client-node 2.x: kapi-env keeps 1.4 for itself, the project gets its own', async (ctx) => {
    ready(ctx);
    const ls = await npm(['ls', '@kubernetes/client-node', 'undici', '--all'], work);
    expect(ls.code, ls.output).toBe(0); // no invalid, missing or extraneous versions
    const kapiDir = packageDir(apps.vitest, 'kapi-env')!;
    expect(versionOf(packageDir(kapiDir, '@kubernetes/client-node')!)).toBe(repoPackage.dependencies!['@kubernetes/client-node']);
    expect(versionOf(packageDir(apps.vitest, '@kubernetes/client-node')!)).toMatch(/^2\./);
    expect(versionOf(packageDir(kapiDir, 'undici')!)).toMatch(/^7\./);
  });

  it('runs a Vitest suite through kapi-env/vitest with the CRD, driven by client-node 2.x', async (ctx) => {
    ready(ctx);
    const r = await runs!.vitest;
    expect(versionOf(packageDir(apps.vitest, 'vitest')!).split('.')[0]).toBe(vitestVersion.replace(/^\^/, '').split('.')[0]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/Tests\s+2 passed/);
  });

  it('runs a Jest suite through kapi-env/jest and kapi-env/jest/teardown with the CRD', async (ctx) => {
    ready(ctx);
    const r = await runs!.jest;
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/Tests:\s+1 passed, 1 total/);
  });

  it('type-checks a TypeScript consumer against the installed declarations', async (ctx) => {
    ready(ctx);
    const r = await runs!.tsc;
    expect(r.code, r.output).toBe(0);
  });
});
