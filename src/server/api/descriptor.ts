// What discovery, OpenAPI, tables and errors need to know about a served
// resource (k8s.io/apimachinery's GroupVersionResource plus the discovery fields).

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/**
 * A subresource beyond status and scale (pods/log, pods/binding, pods/eviction...): what discovery
 * lists for it. `group`/`version` only when its kind lives in another group-version (policy/v1 Eviction).
 */
export interface SubresourceDescriptor {
  name: string;
  kind: string;
  verbs: string[];
  group?: string;
  version?: string;
}

/** What discovery, OpenAPI and errors need to know about a served resource. */
export interface ResourceDescriptor {
  group: string;
  version: string;
  /** Plural, lower case: `configmaps`. */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: { status?: boolean; scale?: ScaleSubresource; others?: SubresourceDescriptor[] };
  /**
   * false for a resource kube serves from a REST of its own, not a Store (bindings, componentstatuses):
   * it is no rest.StorageVersionProvider, so discovery gives it no storageVersionHash.
   */
  storageVersionHash?: false;
  /** The version objects are stored in, when another than this one (autoscaling/v1 HPAs: v2); discovery's storageVersionHash names it. */
  storageVersion?: string;
}

export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}
