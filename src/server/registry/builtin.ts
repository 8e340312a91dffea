// A built-in resource's catalog row: descriptor + strategy + storage key prefix
// + the generated model that gives its OpenAPI schema and typed decoding. Each
// API area's file under resources/ exports its rows; catalog.ts lists them all.

import type { ResourceDescriptor } from '../api/descriptor.js';
import type { KubeObject } from '../api/types.js';
import type { Strategy } from './strategy.js';

/** What a row's system objects may depend on (the server's configuration). */
export interface SystemObjectsContext {
  /** Where the API server is reached from inside the cluster (advertise or bind address). */
  advertiseAddress: string;
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
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** A catalog row; verbs default to all eight, listKind to `<Kind>List`, keyPrefix to `/<resource>`. */
export function builtinResource(
  d: Omit<ResourceDescriptor, 'verbs' | 'listKind'> & { verbs?: string[] },
  strategy: Strategy,
  model: string,
  keyPrefix?: string,
  extra?: Pick<BuiltinResource, 'systemObjects'>,
): BuiltinResource {
  return {
    descriptor: { verbs: ALL_VERBS, listKind: `${d.kind}List`, ...d },
    strategy,
    keyPrefix: keyPrefix ?? `/${d.resource}`,
    model,
    ...extra,
  };
}
