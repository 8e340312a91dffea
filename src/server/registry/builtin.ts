// A built-in resource's catalog row: descriptor + strategy + storage key prefix
// + the generated model that gives its OpenAPI schema and typed decoding. Each
// API area's file under resources/ exports its rows; catalog.ts lists them all.

import type { ResourceDescriptor } from '../api/descriptor.js';
import type { Strategy } from './strategy.js';

export interface BuiltinResource {
  descriptor: ResourceDescriptor;
  strategy: Strategy;
  /** Key prefix under the storage prefix, as kube-apiserver lays them out (`/registry/leases/...`). */
  keyPrefix: string;
  /** Generated model class in @kubernetes/client-node (`V1ConfigMap`). */
  model: string;
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** A catalog row; verbs default to all eight, listKind to `<Kind>List`, keyPrefix to `/<resource>`. */
export function builtinResource(
  d: Omit<ResourceDescriptor, 'verbs' | 'listKind'> & { verbs?: string[] },
  strategy: Strategy,
  model: string,
  keyPrefix?: string,
): BuiltinResource {
  return {
    descriptor: { verbs: ALL_VERBS, listKind: `${d.kind}List`, ...d },
    strategy,
    keyPrefix: keyPrefix ?? `/${d.resource}`,
    model,
  };
}
