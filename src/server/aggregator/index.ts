// The aggregation layer's remote half (kube-aggregator): APIServices with
// spec.service are served by extension API servers. Requests under
// /apis/<group>/<version> of such an APIService are proxied there after the
// chain authenticated and authorized them (503 `service unavailable` while
// its Available condition is not True); /apis and /apis/<group> list the
// remote groups beside the local ones, the aggregated document with the
// remote resources. A small controller keeps each remote APIService's
// Available condition and the fetched discovery up to date.
//
// Narrow interface: start(), handle(request) (false: not ours, the local
// handlers go on), idle(), stop(). With no remote APIService handle() returns
// at once.

import { readFile } from 'node:fs/promises';
import { serviceResolver } from '../admission/webhook/index.js';
import { StatusError } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import { admissionObjectAccess } from '../controllers/admission-access.js';
import { Reconciler } from '../controllers/reconciler.js';
import { AGGREGATED_CONTENT_TYPE, aggregatedDiscovery, apiGroupList, negotiateDiscovery } from '../endpoints/discovery.js';
import type { ResourceRouter } from '../endpoints/router.js';
import type { ApiRequest } from '../http/request.js';
import { respond } from '../http/response.js';
import { type RemoteAPIService, remoteAPIService } from './apiservice.js';
import { checkAvailability, sameVerdict, serviceServerName, withVerdict } from './available.js';
import { fetchVersionDiscovery, mergedAggregated, mergedGroupList, remoteGroup, type VersionDiscovery } from './discovery.js';
import { isUpgrade, proxyError, proxyTo, proxyUpgrade } from './proxy.js';
import { type Endpoint, type KeyPair, ProxyTransport } from './transport.js';

const APISERVICES = { group: 'apiregistration.k8s.io', version: 'v1', resource: 'apiservices' };
const CORE = (resource: string) => ({ group: '', version: 'v1', resource });

/**
 * kube's availability controller resyncs APIServices every 30 s and requeues a failed check with an
 * exponential back-off (5 ms doubling, at most 30 s; here from 50 ms); its discovery manager refetches every minute.
 */
const RESYNC_MS = 30_000;
const RETRY_FIRST_MS = 50;
const DISCOVERY_REFRESH_MS = 60_000;

export interface ProxyClientConfig {
  /** --proxy-client-cert-file / --proxy-client-key-file, read at start. */
  certFile?: string;
  keyFile?: string;
  /** Or the PEMs themselves (the harness's generated front-proxy client certificate). */
  certPem?: string;
  keyPem?: string;
}

export interface AggregatorOptions {
  router: ResourceRouter;
  proxyClient?: ProxyClientConfig;
}

interface Discovered {
  /** The APIService spec the document was fetched for. */
  key: string;
  at: number;
  doc?: VersionDiscovery;
}

async function proxyClientPair(c: ProxyClientConfig | undefined): Promise<KeyPair | undefined> {
  if (c?.certFile && c.keyFile) {
    // A file that cannot be read is the flag's fault: one line naming both, as the other file flags say it.
    const read = (flag: string, file: string) =>
      readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw new Error(`--${flag}: ${e.code === 'ENOENT' ? `open ${file}: no such file or directory` : e.message}`);
      });
    const [certPem, keyPem] = await Promise.all([read('proxy-client-cert-file', c.certFile), read('proxy-client-key-file', c.keyFile)]);
    return { certPem, keyPem };
  }
  return c?.certPem && c.keyPem ? { certPem: c.certPem, keyPem: c.keyPem } : undefined;
}

export class Aggregator {
  /** Remote APIServices by `<group>/<version>`. */
  private remote = new Map<string, RemoteAPIService>();
  private readonly discovered = new Map<string, Discovered>();
  private readonly objects;
  private readonly resolve;
  private transport = new ProxyTransport();
  private readonly reconciler = new Reconciler('APIService availability', () => this.sync());
  /** Service and endpoint changes matter only while remote APIServices exist. */
  private readonly backends = new Reconciler('APIService backends', async () => {
    if (this.remote.size) await this.reconciler.trigger();
  });
  private resync?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  /** Consecutive failed checks per APIService name, for the retry back-off. */
  private readonly failures = new Map<string, number>();

  constructor(private readonly opts: AggregatorOptions) {
    this.objects = admissionObjectAccess(opts.router);
    this.resolve = serviceResolver(this.objects);
  }

  async start(): Promise<void> {
    this.transport = new ProxyTransport(await proxyClientPair(this.opts.proxyClient));
    const served = (r: { group: string; version: string; resource: string }) => this.opts.router.get(r.group, r.version, r.resource);
    const apiservices = served(APISERVICES);
    if (!apiservices) return;
    // The routing table now; the checks (a probe may take its 5 s) go on in the background.
    await this.table();
    void this.reconciler.trigger();
    this.reconciler.watch(apiservices.lister);
    for (const r of [CORE('services'), CORE('endpoints'), { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' }]) {
      const s = served(r);
      if (s) this.backends.watch(s.lister);
    }
    this.resync = setInterval(() => {
      if (this.remote.size) void this.reconciler.trigger();
    }, RESYNC_MS);
    this.resync.unref();
  }

  /** Resolves when the APIServices seen so far have their conditions and discovery. */
  idle(): Promise<void> {
    return this.reconciler.trigger();
  }

  stop(): void {
    if (this.resync) clearInterval(this.resync);
    clearTimeout(this.retry);
    this.reconciler.stop();
    this.backends.stop();
    this.transport.close();
  }

  /** Answers the request when it is the aggregator's: a remote group-version's path or the merged discovery. */
  async handle(r: ApiRequest): Promise<boolean> {
    if (this.remote.size === 0) return false;
    const p = r.path.length > 1 ? r.path.replace(/\/+$/, '') : r.path;
    if (p === '/apis') {
      this.serveDiscovery(r);
      return true;
    }
    const m = /^\/apis\/([^/]+)(?:\/([^/]+)(?:\/|$))?/.exec(r.path);
    if (!m) return false;
    const [, group, version] = m;
    if (version === undefined) {
      if (p !== `/apis/${group}` || this.opts.router.descriptors().some((d) => d.group === group)) return false;
      const doc = remoteGroup(group, [...this.remote.values()]);
      if (!doc) return false;
      respond(r, 200, doc, { contentType: 'application/json' });
      return true;
    }
    const api = this.remote.get(`${group}/${version}`);
    if (!api) return false;
    if (!api.available) {
      proxyError(r, 503, 'service unavailable');
      return true;
    }
    const endpoint = await this.endpointOf(api).catch(() => undefined);
    if (!endpoint) {
      proxyError(r, 503, 'service unavailable');
      return true;
    }
    await (isUpgrade(r) ? proxyUpgrade(r, endpoint, this.transport) : proxyTo(r, endpoint, this.transport));
    return true;
  }

  private serveDiscovery(r: ApiRequest): void {
    const ds = this.opts.router.descriptors();
    const remotes = [...this.remote.values()];
    const fmt = negotiateDiscovery(r.req.headers.accept);
    if (fmt === 'legacy') {
      respond(r, 200, mergedGroupList(apiGroupList(ds), remotes), { contentType: 'application/json' });
      return;
    }
    const doc = mergedAggregated(aggregatedDiscovery(ds, 'apis', fmt), remotes, (api) =>
      api.available ? this.discovered.get(api.name)?.doc : undefined,
    );
    respond(r, 200, doc, { contentType: AGGREGATED_CONTENT_TYPE[fmt] });
  }

  /** Where requests for the APIService go: its service resolved to an endpoint, verified with its caBundle. */
  private async endpointOf(api: RemoteAPIService): Promise<Endpoint> {
    const target = await this.resolve({ namespace: api.service.namespace, name: api.service.name, port: api.service.port });
    return {
      host: target.host,
      port: target.port,
      servername: serviceServerName(api),
      caPem: api.caPem,
      insecure: api.insecureSkipTLSVerify,
    };
  }

  /** The remote APIServices as stored, made the routing table. */
  private async table(): Promise<Array<{ obj: KubeObject; api: RemoteAPIService }>> {
    const out: Array<{ obj: KubeObject; api: RemoteAPIService }> = [];
    for (const obj of await this.objects.list(APISERVICES, '')) {
      const api = remoteAPIService(obj);
      if (api?.group) out.push({ obj, api });
    }
    this.remote = new Map(out.map(({ api }) => [`${api.group}/${api.version}`, api]));
    const names = new Set(out.map(({ api }) => api.name));
    for (const name of [...this.discovered.keys(), ...this.failures.keys()]) {
      if (names.has(name)) continue;
      this.discovered.delete(name);
      this.failures.delete(name);
    }
    return out;
  }

  private async sync(): Promise<void> {
    const remotes = await this.table();
    await Promise.all(remotes.map(({ obj, api }) => this.reconcile(obj, api)));
    // A failed check is retried sooner than the resync, backing off per APIService.
    clearTimeout(this.retry);
    const failing = [...this.failures.values()];
    if (failing.length) {
      const delay = Math.min(RETRY_FIRST_MS * 2 ** (Math.min(...failing) - 1), RESYNC_MS);
      this.retry = setTimeout(() => void this.reconciler.trigger(), delay);
      this.retry.unref();
    }
  }

  /** One APIService: its condition written when it changed, then its discovery fetched when due. */
  private async reconcile(obj: KubeObject, api: RemoteAPIService): Promise<void> {
    const verdict = await checkAvailability(api, {
      getService: (ns, name) => this.objects.get(CORE('services'), ns, name),
      getEndpoints: (ns, name) => this.objects.get(CORE('endpoints'), ns, name),
      resolve: this.resolve,
      transport: this.transport,
    });
    if (!sameVerdict(obj, verdict)) {
      try {
        await this.objects.updateStatus(APISERVICES, '', api.name, (cur) => withVerdict(cur, verdict));
      } catch (e) {
        if (e instanceof StatusError && e.code === 404) return;
        throw e;
      }
    }
    // The proxy follows the verdict at once, not one watch event later.
    api.available = verdict.status === 'True';
    if (verdict.reason === 'FailedDiscoveryCheck') this.failures.set(api.name, (this.failures.get(api.name) ?? 0) + 1);
    else this.failures.delete(api.name);
    if (api.available) await this.refreshDiscovery(obj, api);
  }

  private async refreshDiscovery(obj: KubeObject, api: RemoteAPIService): Promise<void> {
    const key = JSON.stringify(obj.spec);
    const have = this.discovered.get(api.name);
    if (have?.doc && have.key === key && Date.now() - have.at < DISCOVERY_REFRESH_MS) return;
    const at = Date.now();
    try {
      const doc = await fetchVersionDiscovery(api, await this.endpointOf(api), this.transport);
      this.discovered.set(api.name, { key, at, doc });
    } catch {
      // Listed without resources (Stale) until a later sync fetches it.
      this.discovered.set(api.name, { key, at });
    }
  }
}
