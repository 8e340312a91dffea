// createApiServer: the API server wired in the order a request meets it. The
// handler chain (filters/index.ts, kube's DefaultBuildHandlerChain):
//   RequestInfo + output negotiation -> Audit-Id -> errors as Status -> authentication
//   -> impersonation -> authorization -> request timeout -> [audit, in-flight limits,
//   admission webhooks] -> the API: resources (endpoints -> registry -> storage),
//   or non-resource paths (health, version, discovery, OpenAPI).
// WebSocket upgrades run the same chain, ending in the WebSocket watch.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { DefaultTolerationSeconds } from './admission/default-toleration-seconds.js';
import { AdmissionChain } from './admission/index.js';
import { NamespaceLifecycle } from './admission/namespace-lifecycle.js';
import { pathNotFound } from './api/errors.js';
import { CRDController } from './apiextensions/controller.js';
import { BearerTokenAuthenticator, X509Authenticator } from './authn/index.js';
import { AlwaysAllowAuthenticated } from './authz/index.js';
import { bootstrapNamespaces, bootstrapSystemObjects, installBuiltins } from './bootstrap.js';
import { DEFAULT_SERVICE_CLUSTER_IP_RANGE, DEFAULT_SERVICE_NODE_PORT_RANGE, parseDuration, type ServerConfig } from './config.js';
import { type ClusterControllers, startClusterControllers } from './controllers/index.js';
import type { HealthCheck } from './endpoints/health.js';
import { NonResourceHandler } from './endpoints/nonresource.js';
import { OpenAPIRegistry } from './endpoints/openapi/registry.js';
import { ResourceHandler } from './endpoints/resource.js';
import { ResourceRouter } from './endpoints/router.js';
import { TableRenderer } from './endpoints/tables/renderer.js';
import { WatchServer } from './endpoints/watch.js';
import { buildHandlerChain, type HandlerChainConfig } from './filters/index.js';
import { requestTimedOut } from './filters/timeout.js';
import { type ApiHandler, apiRequest } from './http/request.js';
import { isWebSocketRequest, listen, plainResponse, releaseSocket, type Serving } from './http/serving.js';
import type { ManagedLister, ResourceLister } from './registry/lister.js';
import { isStorageError } from './storage/interface.js';

export interface ApiServer {
  /** https://127.0.0.1:PORT */
  url: string;
  port: number;
  router: ResourceRouter;
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
  // Built-in resources and custom resources are installed alike: a Store, a lister, discovery, OpenAPI.
  const install = { router, storage, admission, watchCache: config.watchCache, watchCacheSize: config.watchCacheSize, openapi };
  const serverOptions = {
    serviceClusterIPRange: config.serviceClusterIPRange ?? DEFAULT_SERVICE_CLUSTER_IP_RANGE,
    serviceNodePortRange: config.serviceNodePortRange ?? DEFAULT_SERVICE_NODE_PORT_RANGE,
  };
  const built = await installBuiltins(install, serverOptions);
  // Like kube's plugin: the namespace informer's copy first, a live read when it has not seen the namespace yet.
  const namespaces = router.get('', 'v1', 'namespaces');
  const nsLifecycle = new NamespaceLifecycle(
    async (name) =>
      (namespaces?.lister as Partial<ResourceLister> | undefined)?.cachedGet?.('', name) ?? storage.get(`/namespaces/${name}`),
  );
  admission.addMutating(nsLifecycle);
  admission.addMutating(new DefaultTolerationSeconds());
  admission.addValidating(nsLifecycle);
  await bootstrapNamespaces(router);
  const crds = new CRDController(install);
  await crds.start();

  const tables = new TableRenderer();
  const watch = new WatchServer({ tables, bookmarkIntervalMs: config.bookmarkIntervalMs, minRequestTimeoutS: config.minRequestTimeoutS });
  const resources = new ResourceHandler({ router, tables, watch });
  const checks: HealthCheck[] = [
    { name: 'ping', check: async () => true },
    { name: 'log', check: async () => true },
    { name: 'etcd', check: () => storage.healthy() },
    { name: 'poststarthook/crd-informer-synced', check: async () => crds.synced },
  ];
  let serving: Serving | undefined;
  const nonResource = new NonResourceHandler({
    router,
    openapi,
    checks,
    serverAddress: () => `${config.advertiseAddress ?? config.bindAddress}:${serving?.port ?? config.port}`,
  });

  /** The end of the chain: resource requests to the REST handlers, anything else to the non-resource ones. */
  const api: ApiHandler = async (r) => {
    try {
      if (r.info.isResourceRequest) return await resources.handle(r);
      if (!(await nonResource.handle(r))) throw pathNotFound();
    } catch (e) {
      throw isStorageError(e, 'Unreachable') ? requestTimedOut() : e;
    }
  };
  const chainConfig: HandlerChainConfig = {
    authenticators: [new X509Authenticator(), new BearerTokenAuthenticator()],
    authorizers: [new AlwaysAllowAuthenticated()],
    timeout: { requestTimeoutMs: config.requestTimeoutMs ?? 60_000, parseDuration },
  };
  const serve = buildHandlerChain(api, chainConfig);

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const res = plainResponse(req, socket);
    const r = apiRequest(req, res);
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
        clientCaPem: config.tls.clientCaPem,
        bindAddress: config.bindAddress,
        port: config.port,
      },
      (req, res) => {
        void serve(apiRequest(req, res));
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
  try {
    await bootstrapSystemObjects(router, {
      ...serverOptions,
      advertiseAddress: config.advertiseAddress ?? config.bindAddress,
      port: serving.port,
    });
    controllers = await startClusterControllers(router);
  } catch (e) {
    releaseGuard();
    await serving.close();
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
    close: async () => {
      if (compactTimer) clearInterval(compactTimer);
      clearInterval(bookmarkTimer);
      watch.closeAll();
      await serving!.close();
      controllers.stop();
      crds.stop();
      built.stop();
      releaseGuard();
    },
  };
}
