// One mapping from kube-apiserver flags to ServerConfig for `serve`, `up --apiserver-arg` and
// startEnv({ apiserverArgs }): the same flags, the same checks and messages; the README lists
// exactly what is accepted.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { startEnv } from '../../src/env/index.js';
import { createPki } from '../../src/pki/index.js';
import { parseServeFlags, SERVE_FLAGS, serverConfigFromFlags } from '../../src/server/config.js';
import type { Storage } from '../../src/server/storage/interface.js';
import { etcdBinary } from '../helpers/backends.js';

const root = path.resolve(__dirname, '../..');
const BIN = path.join(root, 'bin/kapi-env.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'kapi-env-flagtest-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: work, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe.skipIf(!etcdBinary)('native etcd', () => {
  it('asks a binary its flags once: the answer is kept in the user cache dir, keyed by the binary', async () => {
    const cacheHome = mkdtempSync(path.join(work, 'cache-'));
    const script = `const { startNativeEtcd } = await import(${JSON.stringify(path.join(root, 'dist/etcd/index.js'))});
const e = await startNativeEtcd({ binary: ${JSON.stringify(etcdBinary)} });
await e.stop();`;
    const start = (): Promise<void> =>
      new Promise((resolve, reject) => {
        execFile(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, XDG_CACHE_HOME: cacheHome } }, (err) =>
          err ? reject(err) : resolve(),
        );
      });
    await start();
    const file = path.join(cacheHome, 'kapi-env', `etcd-flags-${path.resolve(etcdBinary!).replace(/[^A-Za-z0-9]/g, '_')}.json`);
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { id: string; flags: string[] };
    expect(cached.id.startsWith(`${path.resolve(etcdBinary!)}:`)).toBe(true);
    // Every supported etcd (3.4+) knows these; --unsafe-no-fsync only from 3.5.
    expect(cached.flags).toEqual(expect.arrayContaining(['experimental-watch-progress-notify-interval', 'log-level', 'logger']));
    await start();
  });
});

describe('kube-apiserver flags', () => {
  it('map to ServerConfig in one place, with an environment’s defaults', () => {
    const flags = parseServeFlags(['--watch-cache=false', 'request-timeout=30s', '--etcd-compaction-interval=1m'], {
      inlineValues: true,
      defaults: { bindAddress: '127.0.0.1', securePort: 0 },
    });
    const tlsPem = { certPem: 'c', keyPem: 'k', clientCaPem: '' };
    expect(serverConfigFromFlags(flags, { storage: {} as Storage, tls: tlsPem })).toMatchObject({
      bindAddress: '127.0.0.1',
      port: 0,
      watchCache: false,
      requestTimeoutMs: 30_000,
      compactionIntervalMs: 60_000,
    });
    // One flag per element: a value never comes from the next element.
    expect(() => parseServeFlags(['--etcd-prefix', '--watch-cache=false'], { inlineValues: true })).toThrow(
      'flag needs an argument: --etcd-prefix',
    );
    expect(parseServeFlags(['--watch-cache'], { inlineValues: true }).watchCache).toBe(true);
  });

  it('up --apiserver-arg: unknown or malformed flags exit 2 with serve’s one-line message, before anything starts', async () => {
    for (const [arg, message] of [
      ['--bogus-flag=1', 'unknown flag: --bogus-flag'],
      ['--secure-port=http', 'invalid argument "http" for "--secure-port" flag'],
      ['--etcd-prefix', 'flag needs an argument: --etcd-prefix'],
      ['--tls-cert-file=/x.crt', '--tls-cert-file and --tls-private-key-file must be given together'],
    ]) {
      for (const detach of [[], ['--detach']]) {
        const state = path.join(work, 'bad-arg');
        const r = await run(['up', '--storage', 'memory', '--state-dir', state, `--apiserver-arg=${arg}`, ...detach]);
        expect(r.code, `${arg} ${detach}`).toBe(2);
        expect(r.stderr).toBe(`kapi-env: ${message}\n`);
        const serve = await run(['serve', '--storage-backend=memory', arg]);
        expect(serve.code).toBe(2);
        expect(serve.stderr).toBe(`kapi-env: ${message}\n`);
      }
    }
    const missing = await run([
      'up',
      '--storage',
      'memory',
      '--state-dir',
      path.join(work, 'x'),
      '--apiserver-arg=--client-ca-file=/nonexistent/ca.crt',
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('kapi-env: --client-ca-file: open /nonexistent/ca.crt: no such file or directory\n');
  });

  it('startEnv takes every flag serve takes: serving certificate, client CA, storage backend', async () => {
    // A serving certificate from its own CA, the CA concatenated after it as kube-apiserver's --tls-cert-file reads it.
    const other = await createPki({});
    const cert = path.join(work, 'serving.crt');
    const key = path.join(work, 'serving.key');
    const clientCa = path.join(work, 'client-ca.crt');
    writeFileSync(cert, `${other.serving.certPem.trimEnd()}\n${other.ca.certPem}`);
    writeFileSync(key, other.serving.keyPem);
    writeFileSync(clientCa, other.ca.certPem);
    const env = await startEnv({
      apiserverArgs: [
        '--storage-backend=memory',
        `--tls-cert-file=${cert}`,
        `--tls-private-key-file=${key}`,
        `--client-ca-file=${clientCa}`,
        '--request-timeout=30s',
        '--default-watch-cache-size=50',
        '--min-request-timeout=60',
      ],
    });
    try {
      expect(env.storage).toBe('memory');
      const { port } = new URL(env.server);
      const served = await new Promise<string>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port: Number(port), ca: env.ca, servername: 'localhost' }, () => {
          resolve(s.getPeerX509Certificate()!.toString());
          s.end();
        });
        s.on('error', reject);
      });
      expect(served).toBe(new (await import('node:crypto')).X509Certificate(other.serving.certPem).toString());
      // The admin certificate (the environment's CA) and one from the --client-ca-file authority both authenticate.
      const client = env.client();
      try {
        expect((await client.get('/api/v1/namespaces/default')).status).toBe(200);
      } finally {
        await client.close();
      }
      const { RestClient } = await import('../../src/env/client.js');
      const otherClient = new RestClient({ server: env.server, caPem: env.ca, certPem: other.admin.certPem, keyPem: other.admin.keyPem });
      try {
        expect((await otherClient.get('/api/v1/namespaces/default')).status).toBe(200);
      } finally {
        await otherClient.close();
      }
    } finally {
      await env.stop();
    }
  });

  it('the README lists exactly the flags up and serve accept', async () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const up = buildProgram().commands.find((c) => c.name() === 'up')!;
    const table = readme.slice(readme.indexOf('| flag | default | meaning |'), readme.indexOf('Other commands:'));
    const documented = new Set([...table.matchAll(/`(--[a-z-]+)/g)].map((m) => m[1]));
    expect([...documented].sort()).toEqual(up.options.map((o) => o.long!).sort());
    const from = readme.indexOf('`kapi-env serve --help` lists them):');
    const serveList = readme.slice(from, readme.indexOf('Through', from)).replace('`kapi-env serve --help`', '');
    const serveDocumented = new Set([...serveList.matchAll(/--([a-z-]+)/g)].map((m) => m[1]));
    expect([...serveDocumented].sort()).toEqual(Object.keys(SERVE_FLAGS).sort());
    const help = await run(['serve', '--help']);
    expect(help.code).toBe(0);
    for (const name of Object.keys(SERVE_FLAGS)) expect(help.stdout).toContain(`--${name}\n`);
  });
});
