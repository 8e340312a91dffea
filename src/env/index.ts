// startEnv(): a throwaway control plane in this process: storage (native etcd,
// a container, an existing etcd, or the embedded memory store), a fresh PKI,
// our API server on a free port, a kubeconfig, fixtures; stop() undoes it all.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createPki } from '../pki/index.js';
import { buildKubeconfig, writeKubeconfig } from '../pki/kubeconfig.js';
import { startStorage, type StorageChoice, type StartedStorage } from './storage.js';
import { RestClient } from './client.js';
import { loadCRDs, loadManifests, readFixtures } from './fixtures.js';
import { startReaper, type Reaper } from './reaper.js';
import type { ApiServer } from '../server/index.js';
import { parseServeFlags } from '../server/config.js';

export type Phase = 'storage' | 'certificates' | 'server' | 'crds' | 'manifests' | 'ready';

export interface EnvOptions {
  /** auto: native etcd if found, else a container if Docker answers, else memory. */
  storage?: StorageChoice;
  etcdBinary?: string;
  etcdImage?: string;
  /** Use an existing etcd (start none). */
  etcdServers?: string[];
  etcdCaFile?: string;
  etcdCertFile?: string;
  etcdKeyFile?: string;
  crds?: string[];
  manifests?: string[];
  /** Where to write the kubeconfig; default a file in the environment's temp dir. */
  kubeconfigPath?: string;
  port?: number;
  /** kube-apiserver flags, as envtest's APIServer.Configure(): `--watch-cache=false`, `--etcd-compaction-interval=1m`... */
  apiserverArgs?: string[];
  /** Extra SANs for the serving certificate. */
  hosts?: string[];
  onProgress?: (phase: Phase, message: string) => void;
  /** Bookmark interval for watches; kube's is about a minute. */
  bookmarkIntervalMs?: number;
}

export interface StopReport {
  killed: string[];
  removed: string[];
}

export interface Env {
  kubeconfigPath: string;
  kubeconfig: string;
  server: string;
  ca: string;
  /** The admin client certificate and key (PEM), as embedded in the kubeconfig. */
  clientCert: string;
  clientKey: string;
  storage: 'etcd' | 'container' | 'memory' | 'external';
  etcdEndpoint?: string;
  pids: { etcd?: number; server: number };
  elapsedMs: number;
  /** A REST client with the admin credentials. */
  client(): RestClient;
  stop(): Promise<StopReport>;
}

const SERVER_ARG_PREFIXES = new Set([
  'watch-cache',
  'default-watch-cache-size',
  'min-request-timeout',
  'request-timeout',
  'etcd-compaction-interval',
  'etcd-prefix',
  'bind-address',
  'secure-port',
]);

function serverArgs(args: string[] = []): {
  watchCache: boolean;
  watchCacheSize?: number;
  minRequestTimeoutS?: number;
  requestTimeoutMs?: number;
  compactionIntervalMs: number;
  prefix: string;
  bindAddress?: string;
  port?: number;
} {
  for (const a of args) {
    const name = a.replace(/^--/, '').split('=')[0];
    if (!SERVER_ARG_PREFIXES.has(name))
      throw new Error(`unsupported --apiserver-arg ${a}: supported are ${[...SERVER_ARG_PREFIXES].map((s) => `--${s}`).join(', ')}`);
  }
  const f = parseServeFlags(args.map((a) => (a.startsWith('--') ? a : `--${a}`)));
  const explicit = (n: string): boolean => args.some((a) => a.replace(/^--/, '').startsWith(`${n}=`));
  return {
    watchCache: f.watchCache,
    watchCacheSize: f.watchCacheSize,
    minRequestTimeoutS: f.minRequestTimeoutS,
    requestTimeoutMs: f.requestTimeoutMs,
    compactionIntervalMs: f.etcdCompactionIntervalMs,
    prefix: f.etcdPrefix,
    bindAddress: explicit('bind-address') ? f.bindAddress : undefined,
    port: explicit('secure-port') ? f.securePort : undefined,
  };
}

export async function startEnv(options: EnvOptions = {}): Promise<Env> {
  const started = performance.now();
  const progress = options.onProgress ?? (() => {});
  const sargs = serverArgs(options.apiserverArgs);
  const reaper: Reaper = startReaper();
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'kapi-env-'));
  reaper.addDir(tempDir);
  let storage: StartedStorage | undefined;
  let server: ApiServer | undefined;
  const cleanup = async (): Promise<StopReport> => {
    const report: StopReport = { killed: [], removed: [] };
    await server?.close().catch(() => undefined);
    if (storage) {
      const r = await storage.stop();
      report.killed.push(...r.killed);
      report.removed.push(...r.removed);
    }
    await rm(tempDir, { recursive: true, force: true });
    report.removed.push(tempDir);
    reaper.release();
    return report;
  };
  try {
    const bindAddress = sargs.bindAddress ?? '127.0.0.1';
    const pkiP = createPki({
      hosts: [...(options.hosts ?? []), ...(bindAddress !== '127.0.0.1' && bindAddress !== '0.0.0.0' ? [bindAddress] : [])],
    });
    // The server's modules load once etcd is spawned, while it starts (a cold start's largest overlap).
    let serverModule: Promise<typeof import('../server/index.js')> | undefined;
    const loadServer = (): Promise<typeof import('../server/index.js')> =>
      (serverModule ??= import('../server/index.js').then(async (m) => {
        // So are the built-in kinds' OpenAPI schemas, read from the client library's model files (once per process).
        const [{ BUILTIN_RESOURCES }, { preloadModels }] = await Promise.all([
          import('../server/registry/catalog.js'),
          import('../server/schema/builtin/models.js'),
        ]);
        preloadModels(BUILTIN_RESOURCES.flatMap((b) => [b.model, `${b.model}List`].map((cls) => ({ cls, group: b.descriptor.group }))));
        return m;
      }));
    storage = await startStorage({
      choice: options.storage ?? 'auto',
      etcdBinary: options.etcdBinary,
      etcdImage: options.etcdImage,
      etcdServers: options.etcdServers,
      etcdCaFile: options.etcdCaFile,
      etcdCertFile: options.etcdCertFile,
      etcdKeyFile: options.etcdKeyFile,
      prefix: sargs.prefix,
      reaper,
      progress: (m) => progress('storage', m),
      launched: () => void loadServer(),
    });
    const { createApiServer } = await loadServer();
    const pki = await pkiP;
    progress('certificates', 'certificates generated');
    server = await createApiServer({
      storage: storage.storage,
      tls: { certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, clientCaPem: pki.ca.certPem },
      bindAddress,
      port: options.port ?? sargs.port ?? 0,
      watchCache: sargs.watchCache,
      watchCacheSize: sargs.watchCacheSize,
      minRequestTimeoutS: sargs.minRequestTimeoutS,
      requestTimeoutMs: sargs.requestTimeoutMs,
      compactionIntervalMs: sargs.compactionIntervalMs,
      bookmarkIntervalMs: options.bookmarkIntervalMs,
    });
    progress('server', `API server serving on ${server.url}`);
    const kubeconfig = buildKubeconfig({
      server: server.url,
      caPem: pki.ca.certPem,
      clientCertPem: pki.admin.certPem,
      clientKeyPem: pki.admin.keyPem,
    });
    const kubeconfigPath = path.resolve(options.kubeconfigPath ?? path.join(tempDir, 'kubeconfig'));
    await writeKubeconfig(kubeconfigPath, kubeconfig);
    const creds = { server: server.url, caPem: pki.ca.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem };
    if (options.crds?.length || options.manifests?.length) {
      const client = new RestClient(creds);
      try {
        if (options.crds?.length) {
          const names = await loadCRDs(client, await readFixtures(options.crds));
          progress('crds', `${names.length} CRDs established`);
        }
        if (options.manifests?.length) {
          const n = await loadManifests(client, await readFixtures(options.manifests));
          progress('manifests', `${n} objects created`);
        }
      } finally {
        await client.close();
      }
    }
    const elapsedMs = Math.round(performance.now() - started);
    progress('ready', `ready in ${elapsedMs} ms`);
    let stopped: Promise<StopReport> | undefined;
    return {
      kubeconfigPath,
      kubeconfig,
      server: server.url,
      ca: pki.ca.certPem,
      clientCert: pki.admin.certPem,
      clientKey: pki.admin.keyPem,
      storage: storage.kind,
      etcdEndpoint: storage.endpoint,
      pids: { etcd: storage.pid, server: process.pid },
      elapsedMs,
      client: () => new RestClient(creds),
      stop: () => (stopped ??= cleanup()),
    };
  } catch (e) {
    await cleanup().catch(() => undefined);
    throw e;
  }
}
