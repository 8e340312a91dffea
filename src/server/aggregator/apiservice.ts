// A remote APIService (one with spec.service) as the aggregator reads it: where
// its group-version is served, how to trust that server, its discovery
// priorities and whether its Available condition is True (kube-aggregator's
// proxyHandlingInfo and the discovery manager's groupVersionInfo in one).

import { isPlainObject, type KubeObject } from '../api/types.js';

export interface ServiceRef {
  namespace: string;
  name: string;
  port: number;
}

export interface RemoteAPIService {
  /** `<version>.<group>`. */
  name: string;
  group: string;
  version: string;
  service: ServiceRef;
  /** PEM bundle (decoded spec.caBundle); none with insecureSkipTLSVerify or to trust nothing. */
  caPem?: string;
  insecureSkipTLSVerify: boolean;
  groupPriorityMinimum: number;
  versionPriority: number;
  /** The stored Available condition is True (the proxy answers 503 otherwise). */
  available: boolean;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

export function conditionsOf(obj: KubeObject): Record<string, unknown>[] {
  const status = isPlainObject(obj.status) ? obj.status : {};
  return Array.isArray(status.conditions) ? status.conditions.filter(isPlainObject) : [];
}

/** The APIService's view when it names a service; undefined for a local one. */
export function remoteAPIService(obj: KubeObject): RemoteAPIService | undefined {
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const service = isPlainObject(spec.service) ? spec.service : undefined;
  if (!service) return undefined;
  const ca = Buffer.from(str(spec.caBundle), 'base64').toString('utf8');
  return {
    name: obj.metadata?.name ?? '',
    group: str(spec.group),
    version: str(spec.version),
    service: { namespace: str(service.namespace), name: str(service.name), port: typeof service.port === 'number' ? service.port : 443 },
    caPem: ca || undefined,
    insecureSkipTLSVerify: spec.insecureSkipTLSVerify === true,
    groupPriorityMinimum: num(spec.groupPriorityMinimum),
    versionPriority: num(spec.versionPriority),
    available: conditionsOf(obj).some((c) => c.type === 'Available' && c.status === 'True'),
  };
}

/** The Available condition's verdict (status, reason, message), as kube's remote availability controller words it. */
export interface Verdict {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export const passed: Verdict = { status: 'True', reason: 'Passed', message: 'all checks passed' };

export const verdicts = {
  serviceNotFound: (s: ServiceRef): Verdict => ({
    status: 'False',
    reason: 'ServiceNotFound',
    message: `service/${s.name} in ${JSON.stringify(s.namespace)} is not present`,
  }),
  servicePortError: (s: ServiceRef): Verdict => ({
    status: 'False',
    reason: 'ServicePortError',
    message: `service/${s.name} in ${JSON.stringify(s.namespace)} is not listening on port ${s.port}`,
  }),
  endpointsNotFound: (s: ServiceRef): Verdict => ({
    status: 'False',
    reason: 'EndpointsNotFound',
    message: `cannot find endpoints for service/${s.name} in ${JSON.stringify(s.namespace)}`,
  }),
  missingEndpoints: (s: ServiceRef, portName: string): Verdict => ({
    status: 'False',
    reason: 'MissingEndpoints',
    message: `endpoints for service/${s.name} in ${JSON.stringify(s.namespace)} have no addresses with port name ${JSON.stringify(portName)}`,
  }),
  failedDiscoveryCheck: (message: string): Verdict => ({ status: 'False', reason: 'FailedDiscoveryCheck', message }),
};
