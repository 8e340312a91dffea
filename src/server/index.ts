// createApiServer: wires the request pipeline in the order a request meets it
// (k8s.io/apiserver DefaultBuildHandlerChain, flattened):
//   RequestInfo -> authentication -> authorization -> (resource) endpoints -> registry -> storage
//                                                  -> (non-resource) discovery, OpenAPI, health, version

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { badRequest, forbidden, pathNotFound, toStatus, unauthorized, StatusError } from './api/errors.js';
import { runHealth, VERSION_INFO, type HealthCheck } from './api/health.js';
import type { UserInfo } from './api/types.js';
import { AdmissionChain } from './admission/index.js';
import { NamespaceLifecycle } from './admission/namespace-lifecycle.js';
import { ANONYMOUS, authenticate, X509Authenticator, type Authenticator } from './authn/index.js';
import { AlwaysAllowAuthenticated, attributesFor, authorize, forbiddenMessage, type Authorizer } from './authz/index.js';
import { parseDuration, type ServerConfig } from './config.js';
import { NonResourceHandler } from './endpoints/nonresource.js';
import { ResourceHandler } from './endpoints/resource.js';
import { ResourceRouter } from './endpoints/router.js';
import { TableRenderer } from './endpoints/table.js';
import { WatchServer } from './endpoints/watch.js';
import type { ServerRequest } from './http/body.js';
import { parseRequestInfo } from './http/request-info.js';
import { writeObject, writeStatus, writeText, type AnyResponse } from './http/response.js';
import { listen, type Serving } from './http/serving.js';
import { installBuiltins, bootstrapNamespaces } from './bootstrap.js';
import { CRDController } from './apiextensions/controller.js';
import { OpenAPIRegistry } from './api/openapi/registry.js';
import type { ManagedLister, ResourceLister } from './registry/lister.js';

export interface ApiServer {
  /** https://127.0.0.1:PORT */
  url: string;
  port: number;
  router: ResourceRouter;
  close(): Promise<void>;
}

export async function createApiServer(config: ServerConfig): Promise<ApiServer> {
  const router = new ResourceRouter();
  const admission = new AdmissionChain();
  const storage = config.storage;
  const openapi = new OpenAPIRegistry();
  const built = await installBuiltins({ router, storage, admission, watchCache: config.watchCache, watchCacheSize: config.watchCacheSize, openapi });
  // Like kube's plugin: the namespace informer's copy first, a live read when it has not seen the namespace yet.
  const namespaces = router.get('', 'v1', 'namespaces');
  const nsLifecycle = new NamespaceLifecycle(async (name) =>
    (namespaces?.lister as Partial<ResourceLister> | undefined)?.cachedGet?.('', name) ?? storage.get(`/namespaces/${name}`));
  admission.addMutating(nsLifecycle);
  admission.addValidating(nsLifecycle);
  await bootstrapNamespaces(router);
  const crds = new CRDController({ router, storage, admission, watchCache: config.watchCache, watchCacheSize: config.watchCacheSize, openapi });
  await crds.start();

  const authenticators: Authenticator[] = [new X509Authenticator()];
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
  const nonResource = new NonResourceHandler({ router, openapi, serverAddress: () => `${config.advertiseAddress ?? config.bindAddress}:${serving?.port ?? config.port}` });

  const identify = (req: ServerRequest): UserInfo | StatusError => {
    const r = authenticate(authenticators, req);
    if (r.kind === 'invalid') return unauthorized();
    return r.kind === 'user' ? r.user : ANONYMOUS;
  };

  const handle = async (req: ServerRequest, res: AnyResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const query = url.searchParams;
    const method = req.method ?? 'GET';
    const info = parseRequestInfo(method, url.pathname, query);
    const auditId = req.headers['audit-id'];
    res.setHeader('Audit-Id', typeof auditId === 'string' && auditId ? auditId : randomUUID());
    try {
      const user = identify(req);
      if (user instanceof StatusError) throw user;
      const attrs = attributesFor(user, info);
      const decision = authorize(authorizers, attrs);
      if (decision.decision !== 'allow') {
        const why = forbiddenMessage(attrs);
        if (!info.isResourceRequest) throw new StatusError(403, 'Forbidden', why, {});
        throw forbidden({ group: info.apiGroup, resource: info.subresource ? `${info.resource}/${info.subresource}` : info.resource }, info.name, why);
      }
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
      if (!(e instanceof StatusError)) console.error('kapi-env: internal error serving', method, url.pathname, e);
      writeStatus(req, res, toStatus(e));
    }
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const info = parseRequestInfo('GET', url.pathname, url.searchParams);
    const user = identify(req);
    if (user instanceof StatusError || authorize(authorizers, attributesFor(user, info)).decision !== 'allow' || !info.isResourceRequest) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    watch.upgrade(req, socket, head, router, info, url.searchParams);
  };

  serving = await listen({
    certPem: config.tls.certPem, keyPem: config.tls.keyPem, clientCaPem: config.tls.clientCaPem,
    bindAddress: config.bindAddress, port: config.port,
  }, (req, res) => { void handle(req, res); }, onUpgrade);

  // Periodic BOOKMARK events for watches that allow them (kube sends one about every minute).
  const bookmarkTimer = setInterval(() => {
    for (const r of router.all()) (r.lister as Partial<ManagedLister>).bookmark?.();
  }, config.bookmarkIntervalMs ?? 60_000);
  bookmarkTimer.unref();

  let compactTimer: NodeJS.Timeout | undefined;
  if (config.compactionIntervalMs > 0) {
    // kube-apiserver compacts to the revision it saw one interval earlier, so history spans at least one interval.
    let last = await storage.currentRevision();
    compactTimer = setInterval(() => {
      void (async () => {
        const now = await storage.currentRevision();
        if (last > 1) await storage.compact(last).catch(() => undefined);
        last = now;
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
    },
  };
}
