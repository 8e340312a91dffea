// Custom resource conversion between versions: strategy None rewrites
// apiVersion only; strategy Webhook sends a ConversionReview (v1) to the CRD's
// webhook, as apiextensions-apiserver's webhook converter does, through the
// admission webhooks' client: `url`, or a `service` reference resolved through
// the Service (ExternalName, EndpointSlices, Endpoints) with the TLS server name
// `<name>.<namespace>.svc`, the caBundle the only trusted CA.

import { randomUUID } from 'node:crypto';
import type { ClientConfig } from '../admission/webhook/accessor.js';
import { callWebhook, type ServiceResolver } from '../admission/webhook/client.js';
import type { CRD } from '../api/apiextensions.js';
import { internalError, type StatusError } from '../api/errors.js';
import { isPlainObject, type KubeObject } from '../api/types.js';

export type Converter = (obj: KubeObject, toAPIVersion: string) => Promise<KubeObject>;

/** apiextensions-apiserver's webhook converter timeout. */
const WEBHOOK_TIMEOUT_S = 30;

/** The webhook converter's error, a 500 InternalError (apierrors.NewInternalError) naming the target kind. */
function failure(gvk: string, why: string): StatusError {
  return internalError(`conversion webhook for ${gvk} failed: ${why}`);
}

const noServices: ServiceResolver = async (ref) => {
  throw new Error(`service "${ref.name}" not found`);
};

/** The CRD's webhook clientConfig as the webhook client takes it (caBundle decoded from base64, port 443 by default). */
function clientConfigOf(crd: CRD): ClientConfig {
  const cc = crd.spec.conversion?.webhook?.clientConfig ?? {};
  return {
    ...(cc.url ? { url: cc.url } : {}),
    ...(cc.service
      ? { service: { namespace: cc.service.namespace, name: cc.service.name, path: cc.service.path, port: cc.service.port ?? 443 } }
      : {}),
    ...(cc.caBundle ? { caBundle: Buffer.from(cc.caBundle, 'base64').toString('utf8') } : {}),
  };
}

export function makeConverter(crd: CRD, resolveService: ServiceResolver = noServices): Converter {
  const conv = crd.spec.conversion;
  if (conv?.strategy !== 'Webhook') {
    return async (obj, to) => (obj.apiVersion === to ? obj : { ...obj, apiVersion: to });
  }
  const cc = clientConfigOf(crd);
  return async (obj, to) => {
    if (obj.apiVersion === to) return obj;
    const gvk = `${to}, Kind=${crd.spec.names.kind}`;
    const uid = randomUUID();
    const review = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'ConversionReview',
      request: { uid, desiredAPIVersion: to, objects: [obj] },
    };
    let body: unknown;
    try {
      body = await callWebhook(cc, review, WEBHOOK_TIMEOUT_S, resolveService);
    } catch (e) {
      throw failure(gvk, e instanceof Error ? e.message : String(e));
    }
    const response = isPlainObject(body) && isPlainObject(body.response) ? body.response : undefined;
    if (!response) throw failure(gvk, 'conversion webhook response was absent');
    if (response.uid !== uid) throw failure(gvk, `expected response uid ${JSON.stringify(uid)}, got ${JSON.stringify(response.uid)}`);
    const result = isPlainObject(response.result) ? response.result : {};
    if (result.status !== 'Success') throw failure(gvk, String(result.message ?? 'conversion failed'));
    const converted = Array.isArray(response.convertedObjects) ? response.convertedObjects : [];
    if (converted.length !== 1) throw failure(gvk, `expected 1 converted objects, got ${converted.length}`);
    const out = converted[0] as KubeObject;
    if (!isPlainObject(out) || out.apiVersion !== to)
      throw failure(gvk, `invalid converted object: expected apiVersion ${to}, got ${String((out as KubeObject)?.apiVersion)}`);
    // Only labels and annotations may change in metadata; everything else comes from the original.
    const m = obj.metadata ?? {};
    const om = (out.metadata ?? {}) as Record<string, unknown>;
    out.metadata = {
      ...m,
      labels: (om.labels as Record<string, string>) ?? m.labels,
      annotations: (om.annotations as Record<string, string>) ?? m.annotations,
    };
    if (out.metadata.labels === undefined) delete out.metadata.labels;
    if (out.metadata.annotations === undefined) delete out.metadata.annotations;
    return out;
  };
}
