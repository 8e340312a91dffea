// createApiServer: wires the request pipeline in the order a request meets it
// (k8s.io/apiserver DefaultBuildHandlerChain, flattened):
//   RequestInfo -> authentication -> authorization -> (resource) endpoints -> registry -> storage
//                                                  -> (non-resource) discovery, OpenAPI, health, version

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { badRequest, forbidden, forbiddenPath, pathNotFound, timeout, toStatus, unauthorized, StatusError } from './api/errors.js';
import { runHealth, VERSION_INFO, type HealthCheck } from './endpoints/health.js';
import type { UserInfo } from './api/types.js';
import { AdmissionChain } from './admission/index.js';
import { NamespaceLifecycle } from './admission/namespace-lifecycle.js';
import { ANONYMOUS, authenticate, BearerTokenAuthenticator, X509Authenticator, type Authenticator } from './authn/index.js';
import { AlwaysAllowAuthenticated, attributesFor, authorize, forbiddenMessage, type Authorizer } from './authz/index.js';
import { refuseImpersonation } from './authz/impersonation.js';
import { parseDuration, type ServerConfig } from './config.js';
import { NonResourceHandler } from './endpoints/nonresource.js';
import { ResourceHandler } from './endpoints/resource.js';
import { ResourceRouter } from './endpoints/router.js';
import { TableRenderer } from './endpoints/tables/renderer.js';
import { WatchServer } from './endpoints/watch.js';
import type { ServerRequest } from './http/body.js';
import { parseRequestInfo, type RequestInfo } from './http/request-info.js';
import { writeObject, writeStatus, writeText, type AnyResponse } from './http/response.js';
import { isWebSocketRequest, listen, plainResponse, type Serving } from './http/serving.js';
import { installBuiltins, bootstrapNamespaces } from './bootstrap.js';
import { isStorageError } from './storage/interface.js';
import { CRDController } from './apiextensions/controller.js';
import { OpenAPIRegistry } from './endpoints/openapi/registry.js';
import type { ManagedLister, ResourceLister } from './registry/lister.js';

export interface ApiServer {
  /** https://127.0.0.1:PORT */
  url: string;
  port: number;
  router: ResourceRouter;
  close(): Promise<void>;
}

type Handler = (req: ServerRequest, res: AnyResponse) => Promise<void>;

/**
 * kube's timeout filter answer (apierrors.NewTimeoutError). kube's etcd client retries an unreachable etcd
 * until the request deadline, which ends in this Status; ours gives up sooner (its circuit breaker), and an
 * unreachable-storage error gets the same answer without waiting the deadline out.
 */
const TIMED_OUT = (): StatusError => timeout('request did not complete within the allotted timeout');

/**
 * kube's WithRequestDeadline + WithTimeoutForNonLongRunningRequests: a request that is not long-running
 * (watches are; they end on their own timeouts) answers 504 Timeout once --request-timeout, or a smaller
 * positive ?timeout=, has passed without a response. A handler that finishes later writes nothing (kube's
 * timeoutWriter refuses late writes); one that has already started its response is left to finish it.
 */
function withTimeout(handler: Handler, requestTimeoutMs: number): Handler {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    if (parseRequestInfo(req.method ?? 'GET', url.pathname, url.searchParams).verb === 'watch') return handler(req, res);
    let ms = requestTimeoutMs;
    const asked = url.searchParams.get('timeout');
    if (asked) {
      try {
        const t = parseDuration(asked);
        if (t > 0 && (ms <= 0 || t < ms)) ms = t;
      } catch {
        // An invalid ?timeout= is answered 400 by the handler.
      }
    }
    if (ms <= 0) return handler(req, res);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<true>((resolve) => {
      timer = setTimeout(() => resolve(true), ms);
    });
    const done = handler(req, res).then(() => false as const);
    const timedOut = await Promise.race([done, expired]).finally(() => clearTimeout(timer));
    if (!timedOut) return;
    done.catch((e: unknown) => console.error('kapi-env: request failed after its timeout:', e));
    if (res.headersSent) return;
    writeStatus(req, res, TIMED_OUT().status);
    const late = res as unknown as Record<'setHeader' | 'writeHead' | 'write' | 'end' | 'flushHeaders', () => unknown>;
    late.setHeader = late.writeHead = late.end = () => res;
    late.write = () => true;
    late.flushHeaders = () => undefined;
  };
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
  const built = await installBuiltins({
    router,
    storage,
    admission,
    watchCache: config.watchCache,
    watchCacheSize: config.watchCacheSize,
    openapi,
  });
  // Like kube's plugin: the namespace informer's copy first, a live read when it has not seen the namespace yet.
  const namespaces = router.get('', 'v1', 'namespaces');
  const nsLifecycle = new NamespaceLifecycle(
    async (name) =>
      (namespaces?.lister as Partial<ResourceLister> | undefined)?.cachedGet?.('', name) ?? storage.get(`/namespaces/${name}`),
  );
  admission.addMutating(nsLifecycle);
  admission.addValidating(nsLifecycle);
  await bootstrapNamespaces(router);
  const crds = new CRDController({
    router,
    storage,
    admission,
    watchCache: config.watchCache,
    watchCacheSize: config.watchCacheSize,
    openapi,
  });
  await crds.start();

  const authenticators: Authenticator[] = [new X509Authenticator(), new BearerTokenAuthenticator()];
  const authorizers: Authorizer[] = [new AlwaysAllowAuthenticated()];
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
    serverAddress: () => `${config.advertiseAddress ?? config.bindAddress}:${serving?.port ?? config.port}`,
  });

  const identify = (req: ServerRequest): UserInfo | StatusError => {
    const r = authenticate(authenticators, req);
    if (r.kind === 'invalid') return unauthorized();
    return r.kind === 'user' ? r.user : ANONYMOUS;
  };

  /** Authentication, impersonation, authorization (kube's filter order); throws the Status that refuses the request. */
  const admit = (req: ServerRequest, info: RequestInfo): UserInfo => {
    const user = identify(req);
    if (user instanceof StatusError) throw user;
    const refused = refuseImpersonation(req, user);
    if (refused) throw refused;
    const attrs = attributesFor(user, info);
    const decision = authorize(authorizers, attrs);
    if (decision.decision !== 'allow') {
      const why = forbiddenMessage(attrs);
      if (!info.isResourceRequest) throw forbiddenPath(why);
      throw forbidden(
        { group: info.apiGroup, resource: info.subresource ? `${info.resource}/${info.subresource}` : info.resource },
        info.name,
        why,
      );
    }
    return user;
  };

  const handle = async (req: ServerRequest, res: AnyResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const query = url.searchParams;
    const method = req.method ?? 'GET';
    const info = parseRequestInfo(method, url.pathname, query);
    const auditId = req.headers['audit-id'];
    res.setHeader('Audit-Id', typeof auditId === 'string' && auditId ? auditId : randomUUID());
    try {
      const user = admit(req, info);
      const t = query.get('timeout');
      if (t !== null && t !== '') {
        // kube parses ?timeout= as a Go duration before anything else happens.
        try {
          parseDuration(t);
        } catch {
          throw badRequest('invalid timeout specified in the request URL');
        }
      }
      if (info.isResourceRequest) {
        await resources.handle(req, res, info, query, user);
        return;
      }
      const health = await runHealth(url.pathname, query, checks);
      if (health) return writeText(req, res, health.code, health.body);
      if (url.pathname === '/version' || url.pathname === '/version/') return writeObject(req, res, 200, VERSION_INFO);
      if (await nonResource.handle(req, res, url.pathname, query)) return;
      throw pathNotFound();
    } catch (e) {
      if (!(e instanceof StatusError) && !isStorageError(e, 'Unreachable'))
        console.error('kapi-env: internal error serving', method, url.pathname, e);
      writeStatus(req, res, isStorageError(e, 'Unreachable') ? TIMED_OUT().status : toStatus(e));
    }
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const info = parseRequestInfo(req.method ?? 'GET', url.pathname, url.searchParams);
    if (isWebSocketRequest(req) && watch.canUpgrade(router, info)) {
      let admitted = true;
      try {
        admit(req, info);
      } catch {
        admitted = false;
      }
      if (admitted) {
        watch.upgrade(req, socket, head, router, info, url.searchParams);
        return;
      }
    }
    // Not upgraded: the request is answered as any other, through the same chain, so a refused
    // WebSocket watch gets kube's 401/403 Status response rather than a bare status line.
    void serve(req, plainResponse(req, socket));
  };

  const releaseGuard = guardRejections();
  const serve = withTimeout(handle, config.requestTimeoutMs ?? 60_000);
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
        void serve(req, res);
      },
      onUpgrade,
    );
  } catch (e) {
    releaseGuard();
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
      crds.stop();
      built.stop();
      releaseGuard();
    },
  };
}
