// kube's ImagePolicyWebhook (plugin/pkg/admission/imagepolicy): a pod's images
// (containers and init containers; ephemeral containers on that subresource) are
// sent as an imagepolicy.k8s.io/v1alpha1 ImageReview to the backend its
// `imagePolicy.kubeConfigFile` names, answers cached for allowTTL/denyTTL
// seconds. A denial is `pods "x" is forbidden: image policy webhook backend
// denied one or more images: <reason>`; an unreachable backend refuses, or with
// `defaultAllow` lets the pod through marked `alpha.image-policy.k8s.io/failed-open`.
// The backend's kubeconfig gives its server and CA (client certificates are not
// sent); a failed call is not retried with backoff.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { forbidden } from '../../api/errors.js';
import type { AdmissionAttributes, ValidatingPlugin } from '../index.js';
import { CallError, callWebhook } from '../webhook/client.js';
import { type Obj, obj, objects } from './util.js';

const AUDIT_PREFIX = 'imagepolicywebhook.image-policy.k8s.io/';
const FAILED_OPEN_ANNOTATION = 'alpha.image-policy.k8s.io/failed-open';
/** The backend call's deadline (client-go's default webhook timeout). */
const CALL_TIMEOUT_SECONDS = 30;

export interface ImagePolicyConfig {
  kubeConfigFile: string;
  /** Seconds an allow (deny) answer is cached; 0 takes kube's default, 300 (30). */
  allowTTL: number;
  denyTTL: number;
  defaultAllow: boolean;
}

/** The `imagePolicy` stanza of the plugin's configuration. */
export function imagePolicyConfig(raw: unknown): ImagePolicyConfig {
  const c = obj(obj(raw)?.imagePolicy);
  if (!c || typeof c.kubeConfigFile !== 'string' || !c.kubeConfigFile)
    throw new Error('ImagePolicyWebhook: no imagePolicy.kubeConfigFile in the admission configuration');
  return {
    kubeConfigFile: c.kubeConfigFile,
    allowTTL: Number(c.allowTTL ?? 0) || 300,
    denyTTL: Number(c.denyTTL ?? 0) || 30,
    defaultAllow: c.defaultAllow === true,
  };
}

interface Backend {
  url: string;
  caBundle?: string;
}

/** The backend from a kubeconfig: the current context's cluster (else the first), its server and CA. */
function loadBackend(file: string): Backend {
  const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  const doc = obj(yaml.parse(readFileSync(file, 'utf8'))) ?? {};
  const contexts = objects(doc.contexts);
  const current = contexts.find((c) => c.name === doc['current-context']) ?? contexts[0];
  const clusterName = obj(current?.context)?.cluster;
  const clusters = objects(doc.clusters);
  const cluster = obj((clusters.find((c) => c.name === clusterName) ?? clusters[0])?.cluster) ?? {};
  if (typeof cluster.server !== 'string') throw new Error(`ImagePolicyWebhook: no cluster server in ${file}`);
  let caBundle: string | undefined;
  if (typeof cluster['certificate-authority-data'] === 'string')
    caBundle = Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8');
  else if (typeof cluster['certificate-authority'] === 'string')
    caBundle = readFileSync(path.resolve(path.dirname(file), cluster['certificate-authority']), 'utf8');
  return { url: cluster.server, caBundle };
}

interface ReviewStatus {
  allowed: boolean;
  reason?: string;
  auditAnnotations?: Record<string, string>;
}

export class ImagePolicyWebhook implements ValidatingPlugin {
  readonly name = 'ImagePolicyWebhook';
  private backend?: Backend;
  private readonly cache = new Map<string, { status: ReviewStatus; until: number }>();

  constructor(
    private readonly config: ImagePolicyConfig,
    private readonly now: () => number = Date.now,
  ) {}

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
    if (a.resource.group !== '' || a.resource.resource !== 'pods') return;
    if (a.subresource !== '' && a.subresource !== 'ephemeralcontainers') return;
    const pod = a.object;
    if (!pod) return;
    const spec = obj(pod.spec) ?? {};
    const images = (a.subresource ? objects(spec.ephemeralContainers) : [...objects(spec.containers), ...objects(spec.initContainers)]).map(
      (c) => ({ image: String(c.image ?? '') }),
    );
    const annotations = Object.fromEntries(
      Object.entries(pod.metadata?.annotations ?? {}).filter(([k]) => k.includes('.image-policy.k8s.io/')),
    );
    const reviewSpec: Obj = { containers: images };
    if (Object.keys(annotations).length) reviewSpec.annotations = annotations;
    if (a.namespace) reviewSpec.namespace = a.namespace;
    const refuse = (why: string) =>
      forbidden({ group: '', resource: 'pods' }, pod.metadata?.name || pod.metadata?.generateName || 'Unknown', why);
    let status: ReviewStatus;
    try {
      status = await this.review(reviewSpec);
    } catch (e) {
      // A transport failure, an answer that is not an ImageReview, an unreadable kubeconfig.
      if (!this.config.defaultAllow) throw refuse(e instanceof Error ? e.message : String(e));
      annotate(a, `${AUDIT_PREFIX}failed-open`, 'true');
      pod.metadata = { ...pod.metadata, annotations: { ...pod.metadata?.annotations, [FAILED_OPEN_ANNOTATION]: 'true' } };
      return;
    }
    for (const [k, v] of Object.entries(status.auditAnnotations ?? {})) annotate(a, `${AUDIT_PREFIX}${k}`, v);
    if (status.allowed) return;
    throw refuse(
      status.reason
        ? `image policy webhook backend denied one or more images: ${status.reason}`
        : 'one or more images rejected by webhook backend',
    );
  }

  /** The backend's answer for a review spec, from the cache while it is fresh. */
  private async review(spec: Obj): Promise<ReviewStatus> {
    const key = JSON.stringify(spec);
    const cached = this.cache.get(key);
    if (cached && cached.until > this.now()) return cached.status;
    this.backend ??= loadBackend(this.config.kubeConfigFile);
    const review = {
      apiVersion: 'imagepolicy.k8s.io/v1alpha1',
      kind: 'ImageReview',
      metadata: { creationTimestamp: null },
      spec,
      status: { allowed: false },
    };
    const answer = obj(await callWebhook(this.backend, review, CALL_TIMEOUT_SECONDS, () => Promise.reject(new CallError('no service'))));
    const s = obj(answer?.status) ?? {};
    const status: ReviewStatus = {
      allowed: s.allowed === true,
      reason: typeof s.reason === 'string' ? s.reason : undefined,
      auditAnnotations: obj(s.auditAnnotations) as Record<string, string> | undefined,
    };
    const ttl = status.allowed ? this.config.allowTTL : this.config.denyTTL;
    this.cache.set(key, { status, until: this.now() + ttl * 1000 });
    return status;
  }
}

function annotate(a: AdmissionAttributes, key: string, value: string): void {
  a.auditAnnotations ??= {};
  if (!(key in a.auditAnnotations)) a.auditAnnotations[key] = value;
}
