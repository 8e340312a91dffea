// Custom resource conversion between versions: strategy None rewrites
// apiVersion only; strategy Webhook sends a ConversionReview (v1) to the CRD's
// webhook, as apiextensions-apiserver's webhook converter does.

import { randomUUID } from 'node:crypto';
import type { Agent } from 'undici';
import type { CRD } from '../api/apiextensions.js';
import { internalError, type StatusError } from '../api/errors.js';
import { isPlainObject, type KubeObject } from '../api/types.js';

export type Converter = (obj: KubeObject, toAPIVersion: string) => Promise<KubeObject>;

const WEBHOOK_TIMEOUT_MS = 30_000;

/** The webhook converter's error, a 500 InternalError (apierrors.NewInternalError) naming the target kind. */
function failure(gvk: string, why: string): StatusError {
  return internalError(`conversion webhook for ${gvk} failed: ${why}`);
}

export function makeConverter(crd: CRD): Converter {
  const conv = crd.spec.conversion;
  if (conv?.strategy !== 'Webhook') {
    return async (obj, to) => (obj.apiVersion === to ? obj : { ...obj, apiVersion: to });
  }
  const cc = conv.webhook?.clientConfig ?? {};
  const url =
    cc.url ??
    (cc.service ? `https://${cc.service.name}.${cc.service.namespace}.svc:${cc.service.port ?? 443}${cc.service.path ?? ''}` : '');
  // The HTTP client is loaded with the first conversion: only webhook conversions need it,
  // and it costs more to load than the rest of a server start.
  let client: Promise<{ agent: Agent; request: typeof import('undici').request }> | undefined;
  const connect = () =>
    (client ??= import('undici').then(({ Agent, request }) => ({
      agent: new Agent({ connect: { ca: cc.caBundle ? Buffer.from(cc.caBundle, 'base64').toString('utf8') : undefined }, connections: 8 }),
      request,
    })));
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
      const { agent, request } = await connect();
      const res = await request(url, {
        method: 'POST',
        dispatcher: agent,
        body: JSON.stringify(review),
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        headersTimeout: WEBHOOK_TIMEOUT_MS,
        bodyTimeout: WEBHOOK_TIMEOUT_MS,
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`the server responded with status ${res.statusCode}: ${text.slice(0, 200)}`);
      body = JSON.parse(text);
    } catch (e) {
      throw failure(gvk, `Post "${url}": ${(e as Error).message}`);
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
