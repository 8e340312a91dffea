// The webhook admission plugins as the ordered plugin list names them
// (MutatingAdmissionWebhook, ValidatingAdmissionWebhook), built from the
// plugins' shared dependencies: configurations and namespaces read from the
// watch cache, service references resolved through the Service's endpoints.

import type { KubeObject } from '../../api/types.js';
import type { GroupVersionResource } from '../cel/expressions.js';
import type { AdmissionAttributes, GroupVersionKind } from '../index.js';
import type { AdmissionDeps, ObjectAccess } from '../plugins/deps.js';
import { CORE } from '../plugins/deps.js';
import { registerAdmissionPlugin } from '../plugins/index.js';
import type { ServiceReference } from './accessor.js';
import type { ResolvedService } from './client.js';
import { MutatingAdmissionWebhook, ValidatingAdmissionWebhook, type WebhookSources } from './plugin.js';

export { registerInProcessWebhook } from './client.js';
export { MutatingAdmissionWebhook, ValidatingAdmissionWebhook } from './plugin.js';

const ADMISSION = (resource: string): GroupVersionResource => ({ group: 'admissionregistration.k8s.io', version: 'v1', resource });
const ENDPOINT_SLICES: GroupVersionResource = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' };

/** The same storage under other groups and versions (kube's EquivalentResourceMapper). */
export type EquivalentResources = (a: AdmissionAttributes) => Array<{ resource: GroupVersionResource; kind: GroupVersionKind }>;

/** The request's equivalents as the object access knows them; none when it does not. */
export function equivalentsOf(objects: ObjectAccess): EquivalentResources {
  return (a) => {
    const d = a.resource;
    return (objects.equivalents?.({ group: d.group, version: d.version, resource: d.resource }) ?? []).map((e) => ({
      resource: e.resource,
      kind: { group: e.resource.group, version: e.resource.version, kind: e.kind },
    }));
  };
}

const records = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)) : [];

/**
 * A service reference to one ready endpoint address and port (kube-apiserver with endpoint routing):
 * EndpointSlices labelled with the service's name first, then the Endpoints object; an
 * ExternalName service to its name.
 */
export function serviceResolver(objects: Pick<ObjectAccess, 'get' | 'list'>): (ref: ServiceReference) => Promise<ResolvedService> {
  return async (ref) => {
    const svc = await objects.get(CORE('services'), ref.namespace, ref.name);
    if (!svc) throw new Error(`service "${ref.name}" not found`);
    const spec = (svc.spec ?? {}) as Record<string, unknown>;
    if (spec.type === 'ExternalName' && typeof spec.externalName === 'string') return { host: spec.externalName, port: ref.port };
    const svcPort = records(spec.ports).find((p) => p.port === ref.port);
    if (!svcPort) throw new Error(`no service port ${ref.port} found for service "${ref.name}"`);
    const portName = typeof svcPort.name === 'string' ? svcPort.name : '';
    const target = typeof svcPort.targetPort === 'number' ? svcPort.targetPort : ref.port;
    const slices = (await objects.list(ENDPOINT_SLICES, ref.namespace)).filter(
      (s) => s.metadata?.labels?.['kubernetes.io/service-name'] === ref.name,
    );
    for (const slice of slices) {
      const port = records(slice.ports).find((p) => (p.name ?? '') === portName);
      const ready = records(slice.endpoints).find(
        (e) => (e.conditions as { ready?: boolean } | undefined)?.ready !== false && Array.isArray(e.addresses) && e.addresses.length > 0,
      );
      const address = ready ? (ready.addresses as unknown[])[0] : undefined;
      if (typeof address === 'string') return { host: address, port: typeof port?.port === 'number' ? port.port : target };
    }
    const endpoints = await objects.get(CORE('endpoints'), ref.namespace, ref.name);
    for (const subset of records(endpoints?.subsets)) {
      const port = records(subset.ports).find((p) => (p.name ?? '') === portName);
      const address = records(subset.addresses)[0]?.ip;
      if (typeof address === 'string') return { host: address, port: typeof port?.port === 'number' ? port.port : target };
    }
    throw new Error(`no endpoints available for service "${ref.name}"`);
  };
}

function sources(deps: AdmissionDeps, resource: string): WebhookSources {
  const objects = deps.objects;
  return {
    authorize: (user, attrs) => deps.authorizer.allowed(user, attrs),
    configurations: () => objects.list(ADMISSION(resource), ''),
    namespace: (name: string): Promise<KubeObject | undefined> => objects.get(CORE('namespaces'), '', name),
    equivalents: equivalentsOf(objects),
    resolveService: serviceResolver(objects),
    observe: deps.observeWebhook,
    ...(objects.convert ? { convert: (obj, from, to) => objects.convert!(obj, from, to) } : {}),
  };
}

/** The MutatingAdmissionWebhook plugin. */
export function mutatingAdmissionWebhook(deps: AdmissionDeps): MutatingAdmissionWebhook {
  return new MutatingAdmissionWebhook(sources(deps, 'mutatingwebhookconfigurations'));
}

/** The ValidatingAdmissionWebhook plugin. */
export function validatingAdmissionWebhook(deps: AdmissionDeps): ValidatingAdmissionWebhook {
  return new ValidatingAdmissionWebhook(sources(deps, 'validatingwebhookconfigurations'));
}

registerAdmissionPlugin('MutatingAdmissionWebhook', mutatingAdmissionWebhook);
registerAdmissionPlugin('ValidatingAdmissionWebhook', validatingAdmissionWebhook);
