// What admission plugins are given when the chain is built: kube's plugin
// initializers (k8s.io/apiserver/pkg/admission/initializer) hand them shared
// informers, a client, the authorizer and their AdmissionConfiguration entry.
// Here: reads of served objects (the watch cache first), status writes through
// the served stores, an authorizer, and the plugin's configuration.

import type { KubeObject, UserInfo } from '../../api/types.js';

/** A served resource, by group, version and plural name. */
export interface GVR {
  group: string;
  version: string;
  resource: string;
}

/** Reads and writes of served objects, through the served stores (kube's listers and loopback client). */
export interface ObjectAccess {
  /** One object, the watch cache's copy first; undefined when absent or the resource is not served. */
  get(gvr: GVR, namespace: string, name: string): Promise<KubeObject | undefined>;
  /** Every object of a namespace (all namespaces for ''), from the watch cache. */
  list(gvr: GVR, namespace: string): Promise<KubeObject[]>;
  /**
   * Replaces an object's status through its /status subresource as the API server itself (kube's
   * loopback client UpdateStatus); the update function sees the stored object. Conflicts are retried.
   */
  updateStatus(gvr: GVR, namespace: string, name: string, update: (current: KubeObject) => KubeObject): Promise<KubeObject>;
  /** Creates an object as the API server itself (kube's loopback client); an existing one is not an error. */
  create(gvr: GVR, namespace: string, obj: KubeObject): Promise<void>;
  /** The served resources of an apiVersion's kind (kube's RESTMapper); empty when none is served. */
  resourcesFor(apiVersion: string, kind: string): GVR[];
  /** Whether a served resource is namespaced; undefined when not served (ValidatingAdmissionPolicy params). */
  namespaced?(gvr: GVR): boolean | undefined;
  /** The same storage served under other groups or versions, with their kinds (kube's EquivalentResourceMapper, matchPolicy Equivalent). */
  equivalents?(gvr: GVR): Array<{ resource: GVR; kind: string }>;
  /** An object of one served version as another version of the same storage presents it (admission's versioned attributes). */
  convert?(obj: KubeObject, from: GVR, to: GVR): Promise<KubeObject>;
}

/** The authorizer plugins consult (kube's authorizer.Authorizer, as admission initializers pass it); `path` set: a non-resource request. */
export interface AdmissionAuthorizer {
  allowed(
    user: UserInfo,
    attrs: { verb: string; apiGroup: string; resource: string; subresource?: string; namespace?: string; name?: string; path?: string },
  ): boolean | Promise<boolean>;
}

export interface AdmissionDeps {
  objects: ObjectAccess;
  authorizer: AdmissionAuthorizer;
  /** The plugin's `configuration` from --admission-control-config-file (undefined when none). */
  config?: unknown;
  /** Told each admission webhook call (apiserver_admission_webhook_admission_duration_seconds), when metrics are recorded. */
  observeWebhook?: WebhookCallObserver;
}

/** One webhook call: its name, `admit` (mutating) or `validating`, the operation, whether it refused, its duration in seconds. */
export type WebhookCallObserver = (
  name: string,
  type: 'admit' | 'validating',
  operation: string,
  rejected: boolean,
  seconds: number,
) => void;

export const CORE = (resource: string): GVR => ({ group: '', version: 'v1', resource });
