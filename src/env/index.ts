// startEnv(): a throwaway control plane in this process: storage (native etcd,
// a container, an existing etcd, or the embedded memory store), a fresh PKI,
// our API server on a free port, a kubeconfig, fixtures; stop() undoes it all.

import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPki, signClientCert } from '../pki/index.js';
import { buildKubeconfig, writeKubeconfig } from '../pki/kubeconfig.js';
import { makeTempDir } from '../process/index.js';
import type { AuditEvent } from '../server/audit/event.js';
import { MemorySink } from '../server/audit/memory.js';
import type { PermissionsReport } from '../server/authz/usage.js';
import { FlagError, parseServeFlags, readFlagFiles, type ServeFlags, serverConfigFromFlags } from '../server/config.js';
import { ControllerClock } from '../server/controllers/clock.js';
import type { NodeSimulation } from '../server/controllers/nodes.js';
import { FaultInjector } from '../server/debug/faults.js';
import type { JournalEntry, JournalQuery } from '../server/debug/journal.js';
import { KUBE_MINOR, parseKubeVersion } from '../server/endpoints/health.js';
import { formatRequestLog, type RequestLogSink } from '../server/filters/request-log.js';
import type { ApiServer } from '../server/index.js';
import { RestClient } from './client.js';
import { compileCacheReady } from './compile-cache.js';
import { readExistingCluster } from './existing.js';
import { applyFixtures, type PreparedFixtures, prepareFixtures } from './fixtures.js';
import { logLevel, startTimeoutMs, stopTimeoutMs, useExistingCluster, withDeadline } from './options.js';
import { type Reaper, startReaper } from './reaper.js';
import { type ResetHelpers, resetHelpers, unsupportedReset } from './reset.js';
import { type ApiServerHandle, checkServerCount, type ServerGroup, startServerGroup } from './servers.js';
import { bootstrapSeed } from './start-seed.js';
import { type StartedStorage, type StorageChoice, startStorage } from './storage.js';
import { type UserHelpers, userHelpers } from './users.js';
import { type WaitHelpers, waitHelpers } from './wait.js';
import { type EnvWebhooks, readWebhookConfigurations, setupWebhooks, type WebhookInstallOptions, webhookServing } from './webhooks.js';

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
  /** CRD files or directories (envtest's rules, kustomizations built), or CRD objects. */
  crds?: Array<string | Record<string, unknown>>;
  manifests?: string[];
  /** envtest's ErrorIfPathMissing; default true (a missing crds/manifests path is an error). */
  crdsErrorIfMissing?: boolean;
  /** How long CRDs may take to be Established and discoverable (envtest's MaxTime; default 30 s). */
  crdWaitTimeoutMs?: number;
  /** How often to check (envtest's PollInterval; default 5 ms). */
  crdPollIntervalMs?: number;
  /** One line per skipped fixture document or path; default: written to stderr. */
  onWarning?: (line: string) => void;
  /** envtest's UseExistingCluster: use KUBECONFIG's cluster, start nothing (default: USE_EXISTING_CLUSTER=true). */
  useExistingCluster?: boolean;
  /** How long a start may take (default: KUBEBUILDER_CONTROLPLANE_START_TIMEOUT, KAPI_ENV_START_TIMEOUT, else no overall limit). */
  startTimeoutMs?: number;
  /** How long stop() waits for etcd before killing it (default: KUBEBUILDER_CONTROLPLANE_STOP_TIMEOUT, KAPI_ENV_STOP_TIMEOUT, else 20 s). */
  stopTimeoutMs?: number;
  /**
   * The server's request log (kube's httplog, one line per request at level 2): true or a level writes it to
   * stderr, a function receives each line (default: KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT=true, KAPI_ENV_LOG).
   */
  log?: boolean | number | ((line: string) => void);
  /** The Kubernetes version /version advertises: a 1.32 release (`v1.32.3`); default v1.32.0. */
  kubeVersion?: string;
  /**
   * Where the environment runs: `worker` (default), in a worker thread, so a test that blocks its thread
   * (execFileSync('kubectl', ...), a CPU-heavy loop) cannot stall it, every Env member working across; or
   * `inline`, on this thread's event loop. Default: KAPI_ENV_SERVER_THREAD, else `worker` (`inline` when
   * run from sources without an up-to-date build, or on an existing cluster).
   */
  serverThread?: 'inline' | 'worker';
  /** Where to write the kubeconfig; default a file in the environment's temp dir. */
  kubeconfigPath?: string;
  /** The API server's port; with `servers` above one, the balancer's. */
  port?: number;
  /**
   * API servers on one etcd (default 1): more than one run behind a local TCP round-robin balancer, which
   * the kubeconfig and `env.server` point to (`env.apiServers` has each); memory storage refuses it.
   */
  servers?: number;
  /**
   * kube-apiserver flags, one per element, as envtest's APIServer.Configure(): `--watch-cache=false`,
   * `--etcd-compaction-interval=1m`... Every flag `kapi-env serve` takes, with its checks and messages.
   */
  apiserverArgs?: string[];
  /**
   * An audit.k8s.io/v1 Policy (an object, or the path of a YAML/JSON file, as --audit-policy-file): the server
   * audits by it and env.auditEvents() returns the events recorded (with --audit-policy-file too).
   */
  auditPolicy?: string | Record<string, unknown>;
  /** Extra SANs for the serving certificate. */
  hosts?: string[];
  onProgress?: (phase: Phase, message: string) => void;
  /** Bookmark interval for watches; kube's is about a minute. */
  bookmarkIntervalMs?: number;
  /**
   * Admission webhooks (envtest's WebhookInstallOptions): configuration manifests loaded with `service`
   * references rewritten to the local webhook server and the CA injected; `env.webhooks` has its certificate.
   */
  webhooks?: WebhookInstallOptions;
  /**
   * kube-controller-manager controllers to run in process, as `--controllers` takes them
   * (`namespace`, `garbagecollector`, `serviceaccount`, `root-ca-cert-publisher`, `all`); none by default.
   */
  controllers?: string[];
  /**
   * The controllers' clock (CronJob schedules) stands still from this time (`true`: now) until
   * `env.clock.advance(ms)` (--simulated-clock); by default it is the wall clock, which advance() shifts.
   */
  simulatedClock?: boolean | Date | string;
  /**
   * Simulated nodes and their pods' stages, as the flags set them (`--nodes`, `--simulated-*`): Ready
   * nodes, delays, the share of pods whose containers fail (Failed with `restartPolicy: Never`, else
   * crash-looping) or never become Ready, and the first crash-loop back-off (doubled per restart).
   */
  simulation?: Partial<NodeSimulation>;
}

export interface StopReport {
  killed: string[];
  removed: string[];
}

export interface Env extends UserHelpers, ResetHelpers, WaitHelpers {
  kubeconfigPath: string;
  kubeconfig: string;
  server: string;
  ca: string;
  /** The admin client certificate and key (PEM), as embedded in the kubeconfig. */
  clientCert: string;
  clientKey: string;
  /** The CA that signs client certificates (addUser; `kapi-env user add`); absent on an existing cluster. */
  clientCa?: { certPem: string; keyPem: string };
  /** `existing`: USE_EXISTING_CLUSTER, nothing started (pids.server is 0). */
  storage: 'etcd' | 'container' | 'memory' | 'external' | 'existing';
  etcdEndpoint?: string;
  pids: { etcd?: number; server: number };
  /** Each API server (several with `servers`), its own URL and stop(); env.server is the balancer then. */
  apiServers?: ApiServerHandle[];
  elapsedMs: number;
  /** A REST client with the admin credentials. */
  client(): RestClient;
  /** The requests the server handled, oldest first, from its bounded journal (--request-journal-size). */
  requests(query?: JournalQuery): JournalEntry[];
  /**
   * The least-privilege report: every (verb, group, resource, subresource, namespace, name) or path the
   * user was authorized or refused so far; `minimalRolesYAML(report)` (kapi-env) prints the Roles allowing exactly that.
   */
  permissionsUsed(user: string): PermissionsReport;
  /** Fault injection: `faults.add({ verb, resource, error: 409, times: 1 })`, `faults.clear()`, `faults.seed(n)`. */
  faults: FaultInjector;
  /** The controllers' clock: `clock.advance(ms)` runs the CronJob schedules due meanwhile, without waiting. */
  clock: ControllerClock;
  /** Webhook testing: the local webhook server's port and certificate, and in-process handlers (`validate`, `mutate`). */
  webhooks: EnvWebhooks;
  /** The audit events recorded so far, oldest first (the last 100,000), by the policy `auditPolicy` or --audit-policy-file gave. */
  auditEvents(): AuditEvent[];
  /** kube-apiserver's /metrics (Prometheus text format), scraped with the admin credentials. */
  metrics(): Promise<string>;
  stop(): Promise<StopReport>;
}

/** GET /metrics: the Prometheus text. */
async function scrapeMetrics(client: RestClient): Promise<string> {
  try {
    const res = await client.get('/metrics', { accept: 'text/plain' });
    if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${res.text}`);
    return res.text;
  } finally {
    await client.close();
  }
}

/** EnvOptions.simulation as the flags `serve` takes. */
function simulationFlags(sim: EnvOptions['simulation'] = {}): string[] {
  const flags: Array<[string, number | undefined, string]> = [
    ['nodes', sim.nodes, ''],
    ['simulated-pod-start-delay', sim.podStartDelayMs, 'ms'],
    ['simulated-job-pod-duration', sim.jobPodDurationMs, 'ms'],
    ['simulated-pod-failure-rate', sim.podFailureRate, ''],
    ['simulated-pod-unready-rate', sim.podUnreadyRate, ''],
    ['simulated-crash-loop-backoff', sim.crashLoopBackOffMs, 'ms'],
  ];
  return flags.filter(([, v]) => v !== undefined).map(([name, v, unit]) => `--${name}=${v}${unit}`);
}

/** EnvOptions' etcd fields as kube-apiserver flags ahead of apiserverArgs (a later flag wins, as with pflag), parsed as `serve` parses them. */
function serverFlags(options: EnvOptions): ServeFlags {
  const own = [
    options.etcdServers?.length ? `--etcd-servers=${options.etcdServers.join(',')}` : '',
    options.etcdCaFile ? `--etcd-cafile=${options.etcdCaFile}` : '',
    options.etcdCertFile ? `--etcd-certfile=${options.etcdCertFile}` : '',
    options.etcdKeyFile ? `--etcd-keyfile=${options.etcdKeyFile}` : '',
    options.controllers?.length ? `--controllers=${options.controllers.join(',')}` : '',
    ...simulationFlags(options.simulation),
    options.simulatedClock
      ? `--simulated-clock=${options.simulatedClock === true ? 'now' : options.simulatedClock instanceof Date ? options.simulatedClock.toISOString() : options.simulatedClock}`
      : '',
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

/** The request log's sink, from `log` and the environment; undefined leaves the server's flags (`--v=2`) in charge. */
function requestLogSink(options: EnvOptions): RequestLogSink | undefined {
  if (typeof options.log === 'function') {
    const write = options.log;
    return (e) => write(formatRequestLog(e));
  }
  return logLevel(options.log) >= 2 ? (e) => process.stderr.write(`${formatRequestLog(e)}\n`) : undefined;
}

/** etcd's log beside the request log (KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT), each line prefixed `etcd: `. */
function etcdOutputSink(options: EnvOptions): ((chunk: string) => void) | undefined {
  const write =
    typeof options.log === 'function'
      ? options.log
      : logLevel(options.log) >= 2
        ? (line: string) => process.stderr.write(`${line}\n`)
        : undefined;
  if (!write) return undefined;
  let partial = '';
  return (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) write(`etcd: ${line}`);
  };
}

function checkedKubeVersion(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const parsed = parseKubeVersion(v);
  if (!parsed) throw new FlagError(`--kube-version ${v}: this server implements Kubernetes ${KUBE_MINOR} only (pass v${KUBE_MINOR}.N)`);
  return parsed;
}

/** An environment on the cluster KUBECONFIG names, as envtest's UseExistingCluster: fixtures loaded, nothing started or stopped. */
async function onExistingCluster(
  options: EnvOptions,
  fixtures: PreparedFixtures,
  started: number,
  webhookConfigs: Record<string, unknown>[],
): Promise<Env> {
  const progress = options.onProgress ?? (() => {});
  const cluster = await readExistingCluster();
  progress('server', `using the existing cluster at ${cluster.creds.server} (${cluster.kubeconfigPath})`);
  const client = new RestClient(cluster.creds);
  try {
    await applyFixtures(client, fixtures, { timeoutMs: options.crdWaitTimeoutMs, pollIntervalMs: options.crdPollIntervalMs }, progress);
  } finally {
    await client.close();
  }
  const hooks = await setupWebhooks(
    () => new RestClient(cluster.creds),
    webhookServing(options.webhooks ?? {}, tmpdir()),
    webhookConfigs,
    false,
  );
  const elapsedMs = Math.round(performance.now() - started);
  progress('ready', `ready in ${elapsedMs} ms`);
  return {
    webhooks: hooks.webhooks,
    kubeconfigPath: cluster.kubeconfigPath,
    kubeconfig: cluster.kubeconfig,
    server: cluster.creds.server,
    ca: cluster.creds.caPem,
    clientCert: cluster.creds.certPem,
    clientKey: cluster.creds.keyPem,
    storage: 'existing',
    pids: { server: 0 },
    elapsedMs,
    client: () => new RestClient(cluster.creds),
    metrics: () => scrapeMetrics(new RestClient(cluster.creds)),
    ...userHelpers({ admin: cluster.creds, dir: tmpdir() }),
    requests: () => {
      throw new Error('the request journal is not available on an existing cluster');
    },
    auditEvents: () => {
      throw new Error('audit events are not available on an existing cluster');
    },
    permissionsUsed: () => {
      throw new Error('the permissions report is not available on an existing cluster');
    },
    // Faults are injected by our own server: an existing cluster's refuses them.
    faults: Object.assign(new FaultInjector(), {
      add(): never {
        throw new Error('fault injection is not available on an existing cluster');
      },
    }),
    // An existing cluster's controllers read their own clocks.
    clock: Object.assign(new ControllerClock(), {
      advance(): never {
        throw new Error('the controllers clock is not available on an existing cluster');
      },
    }),
    ...unsupportedReset('an existing cluster'),
    ...waitHelpers(() => new RestClient(cluster.creds)),
    stop: async () => ({ killed: [], removed: [] }),
  };
}

/** The credentials a start has made, before it is ready. */
export type EnvCredentials = Pick<Env, 'ca' | 'clientCert' | 'clientKey' | 'clientCa'>;

/**
 * startEnv on this thread, with work of the caller's run while the start waits for its store (a launched
 * etcd's election, the move to it): `kapi-env up` writes its files and opens its control socket then.
 * `whileSettling` is not called on an existing cluster; the start is ready once it has finished.
 */
export function startEnvHere(options: EnvOptions, whileSettling: (creds: EnvCredentials) => Promise<void>): Promise<Env> {
  return withDeadline(startTimeoutMs(options.startTimeoutMs), () => startEnvNow({ ...options, serverThread: 'inline' }, whileSettling));
}

export function startEnv(options: EnvOptions = {}): Promise<Env> {
  return withDeadline(startTimeoutMs(options.startTimeoutMs), async () => {
    const chosen = options.serverThread ?? (process.env.KAPI_ENV_SERVER_THREAD as EnvOptions['serverThread'] | undefined);
    // An existing cluster runs nothing here.
    if (chosen === 'inline' || useExistingCluster(options.useExistingCluster)) return startEnvNow(options);
    const { startInThread, workerHost } = await import('./thread.js');
    const host = workerHost();
    if (host.url) return startInThread<Env>(options, host.url);
    if (chosen === 'worker') throw new Error(`serverThread 'worker' needs the built package: ${host.why}`);
    if (!inlineNoted) process.stderr.write(`kapi-env: the environment runs on this thread: ${host.why}\n`);
    inlineNoted = true;
    return startEnvNow(options);
  });
}

let inlineNoted = false;

async function startEnvNow(options: EnvOptions, whileSettling?: (creds: EnvCredentials) => Promise<void>): Promise<Env> {
  const started = performance.now();
  const progress = options.onProgress ?? (() => {});
  const flags = serverFlags(options);
  const files = await readFlagFiles(flags);
  // Fixtures are read and checked first: bad input fails before anything is started.
  const fixtures = await prepareFixtures({
    crds: options.crds,
    manifests: options.manifests,
    errorIfPathMissing: options.crdsErrorIfMissing,
    warn: options.onWarning ?? ((line) => process.stderr.write(`kapi-env: ${line}\n`)),
  });
  const webhookConfigs = await readWebhookConfigurations(
    options.webhooks ?? {},
    options.onWarning ?? ((line) => process.stderr.write(`kapi-env: ${line}\n`)),
  );
  if (useExistingCluster(options.useExistingCluster)) return onExistingCluster(options, fixtures, started, webhookConfigs);
  const kubeVersion = checkedKubeVersion(options.kubeVersion);
  const requestLog = requestLogSink(options);
  const stopTimeout = stopTimeoutMs(options.stopTimeoutMs);
  const reaper: Reaper = startReaper();
  const tempDir = await makeTempDir('kapi-env-');
  reaper.addDir(tempDir);
  let storage: StartedStorage | undefined;
  let server: ApiServer | undefined;
  let group: ServerGroup | undefined;
  const serverCount = checkServerCount(options.servers, flags.storageBackend === 'memory' ? 'memory' : options.storage);
  let releaseWebhooks: (() => void) | undefined;
  const cleanup = async (): Promise<StopReport> => {
    const report: StopReport = { killed: [], removed: [] };
    releaseWebhooks?.();
    await (group ?? server)?.close().catch(() => undefined);
    if (storage) {
      const r = await storage.stop(stopTimeout);
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
    // The server's modules load once etcd is spawned, while it starts (a cold start's largest overlap).
    let serverModule: Promise<typeof import('../server/index.js')> | undefined;
    const loadServer = (): Promise<typeof import('../server/index.js')> => (serverModule ??= import('../server/index.js'));
    let startedServer!: () => void;
    const serverStarted = new Promise<void>((resolve) => {
      startedServer = resolve;
    });
    storage = await startStorage({
      choice: flags.storageBackend === 'memory' ? 'memory' : (options.storage ?? 'auto'),
      etcdBinary: options.etcdBinary,
      etcdImage: options.etcdImage,
      etcdServers: flags.etcdServers.length ? flags.etcdServers : undefined,
      etcdTls: files.etcdTls,
      prefix: flags.etcdPrefix,
      reaper,
      progress: (m) => progress('storage', m),
      etcdOutput: etcdOutputSink(options),
      launched: () => void loadServer(),
      // One server on an etcd we start: it starts while etcd does, and moves to it once both are up.
      handoff: serverCount === 1 ? { after: serverStarted } : undefined,
    });
    // After the storage: a launched etcd is spawned first (the certificates' keys come from the thread pool,
    // their signing would come before it).
    const pkiP = createPki({
      hosts: [...(options.hosts ?? []), ...(bindAddress !== '127.0.0.1' && bindAddress !== '0.0.0.0' ? [bindAddress] : [])],
    });
    // `auto` may have fallen back to the memory store.
    checkServerCount(serverCount, storage.kind);
    const { createApiServer } = await loadServer();
    const pki = await pkiP;
    progress('certificates', 'certificates generated');
    // --tls-cert-file replaces the generated serving certificate, and the kubeconfig trusts that file's chain
    // (kube-apiserver: "CA cert, if any, concatenated after server cert"); --client-ca-file adds an authority
    // beside the environment's own CA, so the admin certificate keeps working.
    const serving = files.serving ?? pki.serving;
    const caPem = files.serving ? files.serving.certPem : pki.ca.certPem;
    const clientCaPem = files.clientCaPem ? `${pki.ca.certPem.trimEnd()}\n${files.clientCaPem}` : pki.ca.certPem;
    const serverConfig = serverConfigFromFlags(flags, {
      storage: storage.storage,
      tls: { certPem: serving.certPem, keyPem: serving.keyPem, clientCaPem },
      bookmarkIntervalMs: options.bookmarkIntervalMs,
      rootCaPem: caPem,
    });
    // The PKI's service-account key signs tokens unless --service-account-signing-key-file names another.
    serverConfig.authentication = { ...serverConfig.authentication, serviceAccountSigningKeyPem: pki.serviceAccount.privateKeyPem };
    // The aggregator's front-proxy client certificate (CN front-proxy-client, the environment's CA), unless
    // --proxy-client-cert-file/--proxy-client-key-file name one.
    if (!serverConfig.proxyClient) {
      serverConfig.proxyClient = await signClientCert(pki.authority, { user: 'front-proxy-client' });
      // ...and extension servers trust it to name the user, as kubeadm's flags set it up (--requestheader-*,
      // published in kube-system/extension-apiserver-authentication), unless the flags say otherwise.
      serverConfig.authentication.requestHeader ??= {
        caPem: pki.ca.certPem,
        allowedNames: ['front-proxy-client'],
        usernameHeaders: ['X-Remote-User'],
        groupHeaders: ['X-Remote-Group'],
        extraHeaderPrefixes: ['X-Remote-Extra-'],
      };
    }
    const balancerPort = serverConfig.port;
    if (serverCount > 1) serverConfig.port = 0;
    // env.auditEvents(): the events the policy (auditPolicy, or --audit-policy-file) records, kept in memory too.
    const auditSink = options.auditPolicy !== undefined || serverConfig.audit ? new MemorySink() : undefined;
    if (auditSink) {
      const given = options.auditPolicy;
      serverConfig.audit = {
        ...serverConfig.audit,
        policyFile: typeof given === 'string' ? given : serverConfig.audit?.policyFile,
        policy: typeof given === 'object' ? given : undefined,
        sinks: [auditSink],
      };
    }
    server = await createApiServer({
      ...serverConfig,
      kubeVersion,
      requestLog: requestLog ?? serverConfig.requestLog,
      // The bootstrap policy as an earlier start made it, on a store that starts empty (ours, not a shared etcd's).
      bootstrapSeed: storage.kind === 'memory' || storage.kind === 'etcd' ? bootstrapSeed() : undefined,
    });
    // Ready as /readyz is: the post-start hooks' objects (the RBAC bootstrap policy) are stored. Then, on an
    // etcd we launched, the store moves to it (storage.settled, one server only); the kubeconfig and the
    // webhooks are made meanwhile (their API calls wait for the move), and the ready line waits for it.
    await server.postStartHooksDone();
    startedServer();
    if (serverCount > 1)
      group = await startServerGroup({
        first: server,
        count: serverCount,
        config: { ...serverConfig, kubeVersion, requestLog: requestLog ?? serverConfig.requestLog },
        etcd: {
          endpoints: flags.etcdServers.length ? flags.etcdServers : [storage.endpoint!],
          prefix: flags.etcdPrefix,
          tls: files.etcdTls,
        },
        listen: { host: bindAddress === '0.0.0.0' || bindAddress === '::' ? '127.0.0.1' : bindAddress, port: balancerPort },
        createApiServer,
      });
    const url = group?.url ?? server.url;
    progress('server', group ? `${serverCount} API servers behind ${url}` : `API server serving on ${url}`);
    const kubeconfig = buildKubeconfig({
      server: url,
      caPem,
      clientCertPem: pki.admin.certPem,
      clientKeyPem: pki.admin.keyPem,
    });
    const kubeconfigPath = path.resolve(options.kubeconfigPath ?? path.join(tempDir, 'kubeconfig'));
    // Written while the fixtures and webhooks are installed; there before the start returns.
    const kubeconfigWritten = writeKubeconfig(kubeconfigPath, kubeconfig);
    kubeconfigWritten.catch(() => undefined);
    const creds = { server: url, caPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem };
    const callerWork = whileSettling?.({ ca: caPem, clientCert: pki.admin.certPem, clientKey: pki.admin.keyPem, clientCa: pki.ca });
    callerWork?.catch(() => undefined);
    if (fixtures.crds.length || fixtures.manifests.length) {
      const client = new RestClient(creds);
      try {
        await applyFixtures(client, fixtures, { timeoutMs: options.crdWaitTimeoutMs, pollIntervalMs: options.crdPollIntervalMs }, progress);
      } finally {
        await client.close();
      }
    }
    let stopped: Promise<StopReport> | undefined;
    const hooks = await setupWebhooks(
      () => new RestClient(creds),
      webhookServing(options.webhooks ?? {}, tempDir, () => stopped === undefined),
      webhookConfigs,
    );
    releaseWebhooks = hooks.release;
    await kubeconfigWritten;
    await callerWork;
    // The baseline env.reset() returns to. On an etcd we launched it is taken once the keys are there, from
    // the state the move left (no read of the store), while the watches relist; the ready line waits for both.
    await storage.keysMoved;
    const resets = await resetHelpers(storage.storage);
    await storage.settled;
    const elapsedMs = Math.round(performance.now() - started);
    progress('ready', `ready in ${elapsedMs} ms`);
    compileCacheReady();
    return {
      kubeconfigPath,
      kubeconfig,
      server: url,
      apiServers: group?.servers,
      ca: caPem,
      clientCert: pki.admin.certPem,
      clientKey: pki.admin.keyPem,
      clientCa: pki.ca,
      storage: storage.kind,
      etcdEndpoint: storage.endpoint,
      pids: { etcd: storage.pid, server: process.pid },
      elapsedMs,
      client: () => new RestClient(creds),
      metrics: () => scrapeMetrics(new RestClient(creds)),
      ...userHelpers({ admin: creds, authority: pki.authority, dir: tempDir }),
      requests: (query) => server!.journal.query(query),
      auditEvents: () => {
        if (!auditSink) throw new Error('env.auditEvents() records by an audit policy: startEnv({ auditPolicy })');
        return auditSink.events();
      },
      permissionsUsed: (user) => server!.permissionsUsed(user),
      faults: server.faults,
      clock: server.clock,
      webhooks: hooks.webhooks,
      ...resets,
      ...waitHelpers(() => new RestClient(creds)),
      stop: () => (stopped ??= cleanup()),
    };
  } catch (e) {
    await cleanup().catch(() => undefined);
    throw e;
  }
}
