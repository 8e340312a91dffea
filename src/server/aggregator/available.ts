// The Available condition of remote APIServices, as kube-aggregator's remote
// AvailableConditionController (1.32, Endpoints-based) checks it: the Service
// exists; a ClusterIP Service listens on the port and its Endpoints have an
// address with that port's name; then a GET of /apis/<group>/<version> on the
// resolved endpoint answers 2xx or 3xx within 5 s (TLS not verified, the
// front-proxy certificate presented, as system:kube-aggregator in
// system:masters). The condition's lastTransitionTime moves only when its
// status does (SetAPIServiceCondition).

import type { ServiceReference } from '../admission/webhook/accessor.js';
import type { ResolvedService } from '../admission/webhook/client.js';
import { isPlainObject, type KubeObject } from '../api/types.js';
import { nowRFC3339 } from '../registry/meta.js';
import { conditionsOf, passed, type RemoteAPIService, type Verdict, verdicts } from './apiservice.js';
import { fetchOnce, urlOf } from './fetch.js';
import type { Endpoint, ProxyTransport } from './transport.js';

const PROBE_TIMEOUT_MS = 5_000;

export interface AvailabilityDeps {
  getService(namespace: string, name: string): Promise<KubeObject | undefined>;
  getEndpoints(namespace: string, name: string): Promise<KubeObject | undefined>;
  resolve(ref: ServiceReference): Promise<ResolvedService>;
  transport: ProxyTransport;
}

const records = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);

/** The TLS server name kube checks an extension server's certificate against. */
export function serviceServerName(api: RemoteAPIService): string {
  return `${api.service.name}.${api.service.namespace}.svc`;
}

/** The service-and-endpoints checks, then the discovery probe. */
export async function checkAvailability(api: RemoteAPIService, deps: AvailabilityDeps): Promise<Verdict> {
  const s = api.service;
  const service = await deps.getService(s.namespace, s.name);
  if (!service) return verdicts.serviceNotFound(s);
  const spec = isPlainObject(service.spec) ? service.spec : {};
  if ((spec.type ?? 'ClusterIP') === 'ClusterIP') {
    const port = records(spec.ports).find((p) => p.port === s.port);
    if (!port) return verdicts.servicePortError(s);
    const portName = typeof port.name === 'string' ? port.name : '';
    const endpoints = await deps.getEndpoints(s.namespace, s.name);
    if (!endpoints) return verdicts.endpointsNotFound(s);
    const active = records(endpoints.subsets).some(
      (subset) => records(subset.addresses).length > 0 && records(subset.ports).some((p) => (p.name ?? '') === portName),
    );
    if (!active) return verdicts.missingEndpoints(s, portName);
  }
  let target: ResolvedService;
  try {
    target = await deps.resolve({ namespace: s.namespace, name: s.name, port: s.port });
  } catch (e) {
    return verdicts.failedDiscoveryCheck(e instanceof Error ? e.message : String(e));
  }
  const endpoint: Endpoint = { host: target.host, port: target.port, servername: serviceServerName(api), insecure: true };
  const path = `/apis/${api.group}/${api.version}`;
  const url = urlOf(endpoint, path);
  try {
    const res = await fetchOnce(
      deps.transport,
      endpoint,
      path,
      { 'X-Remote-User': 'system:kube-aggregator', 'X-Remote-Group': 'system:masters' },
      PROBE_TIMEOUT_MS,
    );
    if (res.status < 200 || res.status >= 300)
      return verdicts.failedDiscoveryCheck(`failing or missing response from ${url}: bad status from ${url}: ${res.status}`);
  } catch (e) {
    return verdicts.failedDiscoveryCheck(`failing or missing response from ${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return passed;
}

/** Whether the stored Available condition already says this. */
export function sameVerdict(obj: KubeObject, v: Verdict): boolean {
  const c = conditionsOf(obj).find((x) => x.type === 'Available');
  return !!c && c.status === v.status && (c.reason ?? '') === v.reason && (c.message ?? '') === v.message;
}

/** The object with its Available condition set to the verdict (SetAPIServiceCondition). */
export function withVerdict(obj: KubeObject, v: Verdict): KubeObject {
  const next = structuredClone(obj);
  const conds = conditionsOf(next);
  const i = conds.findIndex((c) => c.type === 'Available');
  const prev = i >= 0 ? conds[i] : undefined;
  const lastTransitionTime = prev && prev.status === v.status && prev.lastTransitionTime ? prev.lastTransitionTime : nowRFC3339();
  const cond = { type: 'Available', status: v.status, lastTransitionTime, reason: v.reason, message: v.message };
  if (i >= 0) conds[i] = cond;
  else conds.push(cond);
  next.status = { ...(isPlainObject(next.status) ? next.status : {}), conditions: conds };
  return next;
}
