// Subresources beyond status and scale, declared by a catalog row with their
// REST behaviour, as kube's storage maps register `pods/binding`,
// `pods/eviction`, `pods/log`... next to the main Store: three shapes cover
// them (kube's rest.Updater on the parent object, rest.NamedCreater, and
// rest.Connecter / rest.GetterWithOptions for the kubelet-backed streams).

import type { SubresourceDescriptor } from '../api/descriptor.js';
import type { Status } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import type { Lister } from './list.js';
import type { Store } from './store.js';
import type { RequestContext } from './strategy.js';

/** Another served resource a handler reaches (nodes for pods/log, poddisruptionbudgets for pods/eviction). */
export interface ServedResourceRef {
  store: Store;
  lister: Lister;
}

export type ResourceLookup = (group: string, resource: string) => ServedResourceRef | undefined;

export interface SubresourceCall {
  ctx: RequestContext;
  /** The parent object's name (`pods/<name>/binding`). */
  name: string;
  /** The parent resource's Store. */
  store: Store;
  lookup: ResourceLookup;
  /** Query parameters (PodLogOptions, PodExecOptions... are read from them, as kube's parameter codec does). */
  query: URLSearchParams;
}

/**
 * kube's rest.Creater without a Store behind it: a POST whose body is handed to `create`, answered with an
 * object or a Success Status (pods/binding, pods/eviction; the top-level core/v1 bindings, LegacyBindingREST,
 * where `call.name` is empty and `call.store` is the row's own, unused Store).
 */
export interface CreateREST {
  create(call: SubresourceCall, body: Record<string, unknown>): Promise<KubeObject | Status>;
}

/** kube's create handler answers 201; a Success Status these return (no code of its own) carries it. */
export function createdResult(out: KubeObject | Status): KubeObject {
  return (out.kind === 'Status' && out.status === 'Success' ? { ...out, code: 201 } : out) as KubeObject;
}

/** A connect subresource's answer when it does not fail: a body passed through as is (an empty log). */
export interface ConnectResponse {
  contentType: string;
  body: string;
}

export type SubresourceREST = SubresourceDescriptor &
  (
    | {
        /**
         * The parent object itself, read and written through its Store with `ctx.subresource` set:
         * the strategy keeps what the subresource may not change (pods/ephemeralcontainers).
         */
        handler: 'update';
      }
    | ({
        /** POST of a body of this kind (Binding, Eviction); answers an object or a Success Status. */
        handler: 'create';
        /** Generated model for typed decoding of the body (`V1Binding`). */
        model: string;
        /** apiVersions the body may carry (the kind's own first). */
        acceptedVersions: string[];
      } & Pick<CreateREST, 'create'>)
    | {
        /** kube's Connecter: what the API server answers in place of a kubelet's stream. */
        handler: 'connect';
        connect(call: SubresourceCall, verb: string): Promise<ConnectResponse>;
      }
  );
