// startEnv(): a throwaway control plane in this process: storage (native etcd,
// a container, an existing etcd, or the embedded memory store), a fresh PKI,
// our API server on a free port, a kubeconfig, fixtures; stop() undoes it all.

import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createPki } from '../pki/index.js';
import { buildKubeconfig, writeKubeconfig } from '../pki/kubeconfig.js';
import { makeTempDir } from '../process/index.js';
import { FlagError, parseServeFlags, readFlagFiles, type ServeFlags, serverConfigFromFlags } from '../server/config.js';
import type { ApiServer } from '../server/index.js';
import { RestClient } from './client.js';
import { loadCRDs, loadManifests, readFixtures } from './fixtures.js';
import { type Reaper, startReaper } from './reaper.js';
import { type StartedStorage, type StorageChoice, startStorage } from './storage.js';

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
  /**
   * kube-apiserver flags, one per element, as envtest's APIServer.Configure(): `--watch-cache=false`,
   * `--etcd-compaction-interval=1m`... Every flag `kapi-env serve` takes, with its checks and messages.
   */
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

/** EnvOptions' etcd fields as kube-apiserver flags ahead of apiserverArgs (a later flag wins, as with pflag), parsed as `serve` parses them. */
function serverFlags(options: EnvOptions): ServeFlags {
  const own = [
    options.etcdServers?.length ? `--etcd-servers=${options.etcdServers.join(',')}` : '',
    options.etcdCaFile ? `--etcd-cafile=${options.etcdCaFile}` : '',
    options.etcdCertFile ? `--etcd-certfile=${options.etcdCertFile}` : '',
    options.etcdKeyFile ? `--etcd-keyfile=${options.etcdKeyFile}` : '',
  ].filter(Boolean);
  // An environment serves on loopback and a free port unless told otherwise.
  const flags = parseServeFlags([...own, ...(options.apiserverArgs ?? [])], {
    inlineValues: true,
    defaults: { bindAddress: '127.0.0.1', securePort: 0 },
  });
  if (options.port !== undefined) flags.securePort = options.port;
  if (flags.storageBackend === 'memory' && options.storage && options.storage !== 'auto' && options.storage !== 'memory')
    throw new FlagError(`--storage-backend=memory conflicts with storage ${options.storage}`);
  return flags;
}

export async function startEnv(options: EnvOptions = {}): Promise<Env> {
  const started = performance.now();
  const progress = options.onProgress ?? (() => {});
  const flags = serverFlags(options);
  const files = await readFlagFiles(flags);
  const reaper: Reaper = startReaper();
  const tempDir = await makeTempDir('kapi-env-');
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
    const bindAddress = flags.bindAddress;
    const pkiP = createPki({
      hosts: [...(options.hosts ?? []), ...(bindAddress !== '127.0.0.1' && bindAddress !== '0.0.0.0' ? [bindAddress] : [])],
    });
    // The server's modules load once etcd is spawned, while it starts (a cold start's largest overlap).
    let serverModule: Promise<typeof import('../server/index.js')> | undefined;
    const loadServer = (): Promise<typeof import('../server/index.js')> => (serverModule ??= import('../server/index.js'));
    storage = await startStorage({
      choice: flags.storageBackend === 'memory' ? 'memory' : (options.storage ?? 'auto'),
      etcdBinary: options.etcdBinary,
      etcdImage: options.etcdImage,
      etcdServers: flags.etcdServers.length ? flags.etcdServers : undefined,
      etcdTls: files.etcdTls,
      prefix: flags.etcdPrefix,
      reaper,
      progress: (m) => progress('storage', m),
      launched: () => void loadServer(),
    });
    const { createApiServer } = await loadServer();
    const pki = await pkiP;
    progress('certificates', 'certificates generated');
    // --tls-cert-file replaces the generated serving certificate, and the kubeconfig trusts that file's chain
    // (kube-apiserver: "CA cert, if any, concatenated after server cert"); --client-ca-file adds an authority
    // beside the environment's own CA, so the admin certificate keeps working.
    const serving = files.serving ?? pki.serving;
    const caPem = files.serving ? files.serving.certPem : pki.ca.certPem;
    const clientCaPem = files.clientCaPem ? `${pki.ca.certPem.trimEnd()}\n${files.clientCaPem}` : pki.ca.certPem;
    server = await createApiServer(
      serverConfigFromFlags(flags, {
        storage: storage.storage,
        tls: { certPem: serving.certPem, keyPem: serving.keyPem, clientCaPem },
        bookmarkIntervalMs: options.bookmarkIntervalMs,
      }),
    );
    progress('server', `API server serving on ${server.url}`);
    const kubeconfig = buildKubeconfig({
      server: server.url,
      caPem,
      clientCertPem: pki.admin.certPem,
      clientKeyPem: pki.admin.keyPem,
    });
    const kubeconfigPath = path.resolve(options.kubeconfigPath ?? path.join(tempDir, 'kubeconfig'));
    await writeKubeconfig(kubeconfigPath, kubeconfig);
    const creds = { server: server.url, caPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem };
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
      ca: caPem,
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
