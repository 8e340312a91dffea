// A built-in resource's catalog row: descriptor + strategy + storage key prefix
// + the generated model that gives its OpenAPI schema and typed decoding. Each
// API area's file under resources/ exports its rows; catalog.ts lists them all.

import type { ResourceDescriptor } from '../api/descriptor.js';
import type { KubeObject } from '../api/types.js';
import type { Storage } from '../storage/interface.js';
import type { AuthenticationAPI } from './authentication.js';
import type { AuthorizationAPI } from './authorization.js';
import type { ComputedResource } from './computed.js';
import type { StoreConfig } from './store.js';
import type { Strategy } from './strategy.js';
import type { CreateREST, SubresourceREST } from './subresource.js';

/** The server's configuration a row's behaviour depends on (kube hands it to a REST storage's constructor). */
export interface ServerOptions {
  /** --service-cluster-ip-range: one CIDR, or two of different IP families. */
  serviceClusterIPRange: string;
  /** --service-node-port-range. */
  serviceNodePortRange: string;
  /** The authenticators' side of serviceaccounts/token, TokenReview (createApiServer always sets it). */
  authentication?: AuthenticationAPI;
  /** The authorizer chain and RBAC's rule resolver: access reviews, RBAC escalation checks (createApiServer always sets it). */
  authorization?: AuthorizationAPI;
}

/** What a row's system objects may depend on (the server's configuration). */
export interface SystemObjectsContext extends ServerOptions {
  /** Where the API server is reached from inside the cluster (advertise or bind address). */
  advertiseAddress: string;
  /** The port the API server serves on (known once it listens). */
  port: number;
}

export interface BuiltinResource {
  descriptor: ResourceDescriptor;
  strategy: Strategy;
  /** Key prefix under the storage prefix, as kube-apiserver lays them out (`/registry/leases/...`). */
  keyPrefix: string;
  /** Generated model class in @kubernetes/client-node (`V1ConfigMap`). */
  model: string;
  /**
   * Objects every cluster starts with (the `system:` PriorityClasses, default FlowSchemas...): created at
   * startup after the system namespaces, left alone when they already exist.
   */
  systemObjects?(ctx: SystemObjectsContext): KubeObject[];
  /**
   * The system objects are created by this post-start hook once the server serves, in the background
   * (kube's `rbac/bootstrap-roles`): /readyz and /healthz report `poststarthook/<name>` until it is done.
   */
  postStartHook?: string;
  /**
   * For a version served from another version's storage (autoscaling/v1 HorizontalPodAutoscalers
   * stored as autoscaling/v2): the storage apiVersion and the conversions both ways.
   */
  conversion?: Pick<StoreConfig, 'storageApiVersion' | 'fromStorage' | 'toStorage'>;
  /** Subresources beyond status and scale (pods/binding, pods/log...); discovery lists them from the descriptor. */
  subresources?: SubresourceREST[];
  /** The strategy for one server, when it needs the server's storage and options (a Service's allocators); default `strategy`. */
  configure?(storage: Storage, options: ServerOptions): Strategy;
  /**
   * The system objects are brought back to what systemObjects says when they already exist (the
   * `kubernetes` Service and Endpoints follow the server's address and port, as kube's controller keeps them).
   */
  reconcileSystemObjects?: boolean;
  /** A resource answered from objects computed per request instead of storage (componentstatuses, which probe etcd). */
  computed?(storage: Storage): ComputedResource;
  /** Warnings every request to the resource answers with (v1 ComponentStatus is deprecated). */
  warnings?: string[];
  /**
   * A resource whose create is a REST of its own, nothing stored (core/v1 bindings, kube's
   * LegacyBindingREST); its verbs are `create` alone.
   */
  create?: CreateREST['create'];
  /**
   * The row's handlers for one server, when they need its configuration (serviceaccounts/token signs with
   * the server's key; TokenReview asks its authenticators): they replace `subresources` / `create`.
   */
  bind?(options: ServerOptions): Pick<BuiltinResource, 'subresources' | 'create'>;
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** A catalog row; verbs default to all eight, listKind to `<Kind>List`, keyPrefix to `/<resource>`. */
export function builtinResource(
  d: Omit<ResourceDescriptor, 'verbs' | 'listKind'> & { verbs?: string[] },
  strategy: Strategy,
  model: string,
  keyPrefix?: string,
  extra?: Pick<
    BuiltinResource,
    | 'systemObjects'
    | 'conversion'
    | 'subresources'
    | 'configure'
    | 'reconcileSystemObjects'
    | 'computed'
    | 'warnings'
    | 'create'
    | 'bind'
    | 'postStartHook'
  >,
): BuiltinResource {
  const others = extra?.subresources?.map(({ name, kind, verbs, group, version }) => ({ name, kind, verbs, group, version }));
  const descriptor: ResourceDescriptor = { verbs: ALL_VERBS, listKind: `${d.kind}List`, ...d };
  if (others?.length) descriptor.subresources = { ...descriptor.subresources, others };
  return {
    descriptor,
    strategy,
    keyPrefix: keyPrefix ?? `/${d.resource}`,
    model,
    ...extra,
  };
}
