// createApiServer: the API server wired in the order a request meets it. The
// handler chain (filters/index.ts, kube's DefaultBuildHandlerChain):
//   RequestInfo + output negotiation -> Audit-Id -> errors as Status -> authentication
//   -> impersonation -> authorization -> request timeout -> [audit, in-flight limits,
//   admission webhooks] -> the API: remote APIServices' group-versions (aggregator/, proxied),
//   resources (endpoints -> registry -> storage), or non-resource paths (health, version,
//   discovery, OpenAPI).
// WebSocket upgrades run the same chain, ending in the WebSocket watch.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { AdmissionChain } from './admission/index.js';
import { setupAdmission } from './admission-setup.js';
import { Aggregator } from './aggregator/index.js';
import { pathNotFound } from './api/errors.js';
import { CRDController } from './apiextensions/controller.js';
import { setupAudit } from './audit/index.js';
import { setupAuthentication } from './authentication.js';
import { setupAuthorization } from './authorization.js';
import type { PermissionsReport } from './authz/usage.js';
import { bootstrapNamespaces, bootstrapSystemObjects, installBuiltins, seededFirstCreate } from './bootstrap.js';
import { DEFAULT_SERVICE_CLUSTER_IP_RANGE, DEFAULT_SERVICE_NODE_PORT_RANGE, parseDuration, type ServerConfig } from './config.js';
import { APIServerLeases } from './controllers/apiserver-leases.js';
import { publishAuthenticationTrust } from './controllers/authentication-trust.js';
import { ControllerClock } from './controllers/clock.js';
import { type ClusterControllers, startClusterControllers } from './controllers/index.js';
import { withDebugEndpoints } from './debug/endpoint.js';
import { FaultInjector } from './debug/faults.js';
import { RequestJournal } from './debug/journal.js';
import { type HealthCheck, versionInfo } from './endpoints/health.js';
import { NonResourceHandler } from './endpoints/nonresource.js';
import { OpenAPIRegistry } from './endpoints/openapi/registry.js';
import { ResourceHandler } from './endpoints/resource.js';
import { ResourceRouter } from './endpoints/router.js';
import { TableRenderer } from './endpoints/tables/renderer.js';
import { WatchServer } from './endpoints/watch.js';
import { buildHandlerChain, type HandlerChainConfig } from './filters/index.js';
import { withPermissionsReport } from './filters/permissions.js';
import { logRequest } from './filters/request-log.js';
import { ShutdownLifecycle } from './filters/shutdown.js';
import { requestTimedOut } from './filters/timeout.js';
import { type ApiHandler, apiRequest } from './http/request.js';
import { isWebSocketRequest, listen, plainResponse, releaseSocket, type Serving } from './http/serving.js';
import { ApiServerMetrics } from './metrics/index.js';
import { servedSources } from './metrics/sources.js';
import type { ManagedLister, ResourceLister } from './registry/lister.js';
import { apiServerAddress } from './registry/resources/endpoints.js';
import { RBAC_BOOTSTRAP_HOOK } from './registry/resources/rbac.js';
import { isStorageError } from './storage/interface.js';

export interface ApiServer {
  /** https://127.0.0.1:PORT */
  url: string;
  port: number;
  router: ResourceRouter;
  /** The requests served (--request-journal-size entries, newest last). */
  journal: RequestJournal;
  /** Fault injection rules, applied at the end of the handler chain. */
  faults: FaultInjector;
  /** The controllers' clock (CronJob schedules): `clock.advance(ms)` (--simulated-clock stops it otherwise). */
  clock: ControllerClock;
  /** Resolves when the in-process controllers have reconciled what they observed so far. */
  controllersIdle(): Promise<void>;
  /** Resolves once the post-start hooks are done (the RBAC bootstrap policy stored): /readyz then passes. */
  postStartHooksDone(): Promise<void>;
  /** What a user was authorized (or refused) so far: the least-privilege report (authz/usage.ts). */
  permissionsUsed(user: string): PermissionsReport;
  close(): Promise<void>;
}

/** Servers open in this process: the process-level rejection guard is installed while any is. */
let guardedServers = 0;
function logRejection(reason: unknown): void {
  console.error('kapi-env: unhandled rejection (the API server keeps serving):', reason);
}

/**
 * A background task that rejects unhandled must not take the process (and the control plane with it)
 * down: every such rejection is logged once, with a clear prefix, and serving goes on. Returns the release.
 */
function guardRejections(): () => void {
  if (guardedServers++ === 0) process.on('unhandledRejection', logRejection);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--guardedServers === 0) process.off('unhandledRejection', logRejection);
  };
}

export async function createApiServer(config: ServerConfig): Promise<ApiServer> {
  const router = new ResourceRouter();
  const admission = new AdmissionChain();
  const storage = config.storage;
  const openapi = new OpenAPIRegistry();
  // kube-apiserver's /metrics; `metrics: false` records nothing and serves no /metrics.
  const metrics =
    config.metrics === false ? undefined : new ApiServerMetrics({ ...servedSources(router, storage), etcd: storage.kind === 'etcd' });
  // Built-in resources and custom resources are installed alike: a Store, a lister, discovery, OpenAPI.
  const install = {
    router,
    storage,
    admission,
    watchCache: config.watchCache,
    watchCacheSize: config.watchCacheSize,
    openapi,
    observeStorage: storage.kind === 'etcd' ? metrics?.storage : undefined,
  };
  // The authenticators, and what serviceaccounts/token and TokenReview use of them.
  const authentication = await setupAuthentication({ ...config.authentication, clientCaPem: config.tls.clientCaPem }, router);
  // Graceful termination's state: /readyz fails once stopping, then new requests are refused while those under way finish.
  const lifecycle = new ShutdownLifecycle(config.shutdownSendRetryAfter);
  // The authorizer chain (--authorization-mode), and what access reviews and RBAC's escalation checks use of it.
  const authorization = await setupAuthorization(config.authorization, router);
  // Audit logging: an auditor only with a policy and a backend (--audit-policy-file, --audit-log-path...).
  const audit = await setupAudit(config.audit);
  const serverOptions = {
    authentication: authentication.api,
    authorization: authorization.api,
    serviceClusterIPRange: config.serviceClusterIPRange ?? DEFAULT_SERVICE_CLUSTER_IP_RANGE,
    serviceNodePortRange: config.serviceNodePortRange ?? DEFAULT_SERVICE_NODE_PORT_RANGE,
  };
  const built = await installBuiltins(install, serverOptions);
  await authorization.start();
  // The bootstrap policy is stored once the server serves (kube's rbac/bootstrap-roles post-start hook);
  // the authorizer knows it from now on.
  let rbacBootstrapped = false;
  let rbacBootstrap: Promise<void> = Promise.resolve();
  // The admission plugins --enable/--disable-admission-plugins leave on, in kube's order (admission-setup.ts).
  // The ServiceAccount plugin comes on with the service account controller, as on a cluster (it needs the `default`
  // ServiceAccount that controller makes), unless --disable-admission-plugins names it.
  const admissionConfig = config.admission ?? {};
  const withServiceAccounts =
    config.controllers?.includes('service-account-controller') && !admissionConfig.disable?.includes('ServiceAccount');
  await setupAdmission(
    admission,
    router,
    authorization.authorizers,
    withServiceAccounts ? { ...admissionConfig, enable: [...(admissionConfig.enable ?? []), 'ServiceAccount'] } : admissionConfig,
    metrics?.webhook,
  );
  await bootstrapNamespaces(router, config.bootstrapSeed);
  const crds = new CRDController(install);
  await crds.start();

  const tables = new TableRenderer();
  const watch = new WatchServer({
    tables,
    bookmarkIntervalMs: config.bookmarkIntervalMs,
    minRequestTimeoutS: config.minRequestTimeoutS,
    observe: metrics?.watch,
  });
  const resources = new ResourceHandler({ router, tables, watch });
  const checks: HealthCheck[] = [
    { name: 'ping', check: async () => true },
    { name: 'log', check: async () => true },
    { name: 'etcd', check: () => storage.healthy() },
    { name: 'poststarthook/crd-informer-synced', check: async () => crds.synced },
    { name: `poststarthook/${RBAC_BOOTSTRAP_HOOK}`, check: async () => rbacBootstrapped },
    { name: 'shutdown', check: async () => !lifecycle.initiated, readyzOnly: true },
  ];
  let serving: Serving | undefined;
  const nonResource = new NonResourceHandler({
    router,
    openapi,
    checks,
    serverAddress: () => `${config.advertiseAddress ?? config.bindAddress}:${serving?.port ?? config.port}`,
    version: versionInfo(config.kubeVersion),
  });

  // Remote APIServices' group-versions are proxied to their extension servers; /apis lists their groups too.
  const aggregator = new Aggregator({ router, proxyClient: config.proxyClient });
  /** The end of the chain: resource requests to the REST handlers, anything else to the non-resource ones. */
  const api: ApiHandler = async (r) => {
    try {
      if (await aggregator.handle(r)) return;
      if (r.info.isResourceRequest) return await resources.handle(r);
      if (authentication.serveDiscovery(r, `${config.advertiseAddress ?? config.bindAddress}:${serving?.port ?? config.port}`)) return;
      if (!(await nonResource.handle(r))) throw pathNotFound();
    } catch (e) {
      throw isStorageError(e, 'Unreachable') ? requestTimedOut() : e;
    }
  };
  // The journal records what the handlers answered (injected faults included); the debug endpoints and the
  // faults sit inside it. A write's object before comes from the resource's watch cache, never a storage read.
  const journal = new RequestJournal(config.requestJournalSize ?? 10_000, (r) => {
    const served = router.get(r.info.apiGroup, r.info.apiVersion, r.info.resource);
    return (served?.lister as Partial<ResourceLister> | undefined)?.cachedGet?.(r.info.namespace, r.info.name);
  });
  const faults = new FaultInjector();
  // The controllers' clock (CronJob schedules), advanced by tests in process or through /debug/kapi/clock.
  const clock = new ControllerClock(config.simulatedClock);
  const debugFilters = [
    journal.filter,
    withDebugEndpoints({ journal, faults: config.faultInjection ? faults : undefined, clock }),
    withPermissionsReport(authorization.permissions),
    faults.filter,
  ];
  const chainConfig: HandlerChainConfig = {
    authenticators: authentication.authn.authenticators,
    anonymous: authentication.authn.anonymous,
    requestHeader: authentication.authn.requestHeader,
    maxInFlight: { nonMutating: config.maxRequestsInFlight ?? 400, mutating: config.maxMutatingRequestsInFlight ?? 200 },
    shutdown: lifecycle,
    authorizers: authorization.authorizers,
    permissions: authorization.permissions,
    timeout: { requestTimeoutMs: config.requestTimeoutMs ?? 60_000, parseDuration },
    extra: debugFilters,
    metrics,
    audit,
  };
  const serve = buildHandlerChain(api, chainConfig);

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const res = plainResponse(req, socket);
    const r = apiRequest(req, res);
    if (config.requestLog) logRequest(r, config.requestLog);
    // Anything but a WebSocket watch we serve is answered as any other request (kube's
    // filters answer a refused upgrade with its 401/403 Status), and the connection closes.
    if (!isWebSocketRequest(req) || !watch.canUpgrade(router, r.info)) {
      void serve(r);
      return;
    }
    const upgrade: ApiHandler = async (admitted) => {
      releaseSocket(res, socket);
      watch.upgrade(admitted, socket, head, router);
    };
    void buildHandlerChain(upgrade, chainConfig)(r);
  };

  const releaseGuard = guardRejections();
  try {
    serving = await listen(
      {
        certPem: config.tls.certPem,
        keyPem: config.tls.keyPem,
        // The front proxy's CA is trusted in the handshake too; each authenticator checks its own (authn/client-cert.ts).
        clientCaPem: [config.tls.clientCaPem, authentication.authn.requestHeader?.caPem].filter(Boolean).join('\n'),
        bindAddress: config.bindAddress,
        port: config.port,
      },
      (req, res) => {
        const r = apiRequest(req, res);
        if (config.requestLog) logRequest(r, config.requestLog);
        void serve(r);
      },
      onUpgrade,
    );
  } catch (e) {
    releaseGuard();
    throw e;
  }
  // The system objects some of which point at the serving port (the `kubernetes` Endpoints), as
  // kube's post-start hooks create them once it serves.
  // Then the in-process controllers (local APIServices, FlowSchema conditions) reconcile what exists.
  let controllers: ClusterControllers | undefined;
  let tokenController: { stop(): void } | undefined;
  let leases: APIServerLeases | undefined;
  try {
    const systemObjectsContext = {
      ...serverOptions,
      advertiseAddress: config.advertiseAddress ?? config.bindAddress,
      port: serving.port,
    };
    // The seed keeps the system objects once the controllers below have passed over them (the FlowSchema conditions).
    let controllersPassed!: () => void;
    const passed = new Promise<void>((resolve) => {
      controllersPassed = resolve;
    });
    await bootstrapSystemObjects(router, systemObjectsContext, undefined, config.bootstrapSeed, { passed });
    await publishAuthenticationTrust(router, { clientCaPem: config.tls.clientCaPem, requestHeader: authentication.authn.requestHeader });
    // The policy stored, the ClusterRole aggregation runs over it (a seed keeps the roles as it left them).
    rbacBootstrap = bootstrapSystemObjects(router, systemObjectsContext, RBAC_BOOTSTRAP_HOOK, config.bootstrapSeed, {
      settle: () => authorization.bootstrapped(),
    }).then(
      () => {
        rbacBootstrapped = true;
      },
      (e) => console.error('kapi-env: storing the RBAC bootstrap policy failed:', e instanceof Error ? e.message : e),
    );
    // This server's identity Lease, and the `kubernetes` endpoints listing every live server (lease reconciler).
    leases = new APIServerLeases(router, {
      ...config.apiserverLease,
      address: apiServerAddress(systemObjectsContext),
      port: serving.port,
    });
    await leases.start();
    controllers = await startClusterControllers(router, {
      enabled: config.controllers,
      rootCaPem: config.rootCaPem ?? config.tls.clientCaPem,
      simulation: config.simulation,
      clock,
      openapi,
      leaderElection: config.leaderElection,
      apiServicesFirstCreate: seededFirstCreate(router, config.bootstrapSeed, 'apiregistration.k8s.io', 'apiservices'),
    });
    controllersPassed();
    tokenController = await authentication.startControllers(config.rootCaPem ?? config.tls.clientCaPem);
    await aggregator.start();
  } catch (e) {
    releaseGuard();
    aggregator.stop();
    await leases?.stop();
    await serving.close();
    await authorization.stop();
    crds.stop();
    built.stop();
    throw e;
  }

  // Periodic BOOKMARK events for watches that allow them (kube sends one about every minute).
  const bookmarkTimer = setInterval(() => {
    for (const r of router.all()) {
      try {
        (r.lister as Partial<ManagedLister>).bookmark?.();
      } catch (e) {
        console.error('kapi-env: sending bookmarks failed:', e);
      }
    }
  }, config.bookmarkIntervalMs ?? 60_000);
  bookmarkTimer.unref();

  let compactTimer: NodeJS.Timeout | undefined;
  if (config.compactionIntervalMs > 0) {
    // kube-apiserver compacts to the revision it saw one interval earlier, so history spans at least one interval.
    let last = await storage.currentRevision();
    let running = false;
    let failing = false;
    compactTimer = setInterval(() => {
      if (running) return;
      running = true;
      void (async () => {
        try {
          const now = await storage.currentRevision();
          if (last > 1) await storage.compact(last);
          last = now;
          failing = false;
        } catch (e) {
          // Storage unreachable (etcd down): the next tick tries again. One line per outage, as kube logs it.
          if (!failing) console.error('kapi-env: compaction failed, retrying each interval:', e instanceof Error ? e.message : e);
          failing = true;
        } finally {
          running = false;
        }
      })();
    }, config.compactionIntervalMs);
    compactTimer.unref();
  }

  const host = config.bindAddress === '0.0.0.0' || config.bindAddress === '::' ? '127.0.0.1' : config.bindAddress;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `https://${urlHost}:${serving.port}`,
    port: serving.port,
    router,
    journal,
    faults,
    clock,
    controllersIdle: async () => {
      await Promise.all([controllers.idle(), aggregator.idle()]);
    },
    postStartHooksDone: () => rbacBootstrap,
    permissionsUsed: (user) => authorization.permissions.report(user),
    close: async () => {
      lifecycle.initiated = true;
      await rbacBootstrap;
      // Out of the `kubernetes` endpoints first, as kube's lease reconciler removes a stopping server.
      await leases.stop();
      // --shutdown-delay-duration: served as usual (bar /readyz) while load balancers take the server out.
      if (config.shutdownDelayMs) await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      if (compactTimer) clearInterval(compactTimer);
      clearInterval(bookmarkTimer);
      // Graceful termination: no new connections (unless --shutdown-send-retry-after keeps answering 429 until
      // drained), watches end with their stream closed properly, the other requests under way finish (bounded
      // by the request timeout), then each connection closes once its last response is out.
      lifecycle.draining = true;
      if (!config.shutdownSendRetryAfter) serving!.stopListening();
      watch.closeAll();
      await lifecycle.drained(config.requestTimeoutMs || 60_000);
      await serving!.close();
      // What the audit backends still hold is written (the webhook's last batch sent).
      await audit?.close();
      await controllers.stop();
      tokenController.stop();
      aggregator.stop();
      await authorization.stop();
      crds.stop();
      built.stop();
      releaseGuard();
    },
  };
}
