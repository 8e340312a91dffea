// A resource's small strategy, as k8s.io/apiserver's generic registry pairs a
// generic Store with per-resource RESTCreateStrategy/RESTUpdateStrategy.
// Adding a resource means writing one of these and a descriptor, never CRUD.

import type { TableColumn } from '../api/descriptor.js';
import type { FieldError } from '../api/errors.js';
import type { KubeObject, UserInfo } from '../api/types.js';

export interface RequestContext {
  user: UserInfo;
  namespace?: string;
  dryRun: boolean;
  /** Warnings to return in `Warning: 299 - "..."` headers. */
  warnings: string[];
  /** The request's subresource, e.g. `status`. */
  subresource?: string;
}

export interface Strategy {
  namespaced: boolean;
  /** Whether metadata.generation is maintained (not for ConfigMaps, Secrets, Namespaces...). */
  hasGeneration: boolean;
  /**
   * An update without metadata.resourceVersion overwrites whatever is stored (kube's
   * AllowUnconditionalUpdate: true for most built-ins); when false it is refused (custom resources).
   */
  allowUnconditionalUpdate: boolean;
  /** Whether `status` is a subresource; then the main resource ignores status and /status ignores the rest. */
  hasStatusSubresource: boolean;
  /** DELETE answers with the deleted object instead of a Success Status (kube's ReturnDeletedObject). */
  returnDeletedObject?: boolean;
  /** PUT to a missing name creates it (kube's AllowCreateOnUpdate). */
  allowCreateOnUpdate?: boolean;
  /** metadata.name rules; default DNS-1123 subdomain. */
  nameValidator?: (name: string, prefix: boolean) => string[];

  /** Clear server-owned fields, default, before validation on create. */
  prepareForCreate?(obj: KubeObject, ctx: RequestContext): void;
  /** Same for update; `old` is the stored object. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject, ctx: RequestContext): void;
  /** Whether the spec-like part changed (drives generation). Default: any change outside metadata and status. */
  specChanged?(obj: KubeObject, old: KubeObject): boolean;
  validate?(obj: KubeObject, ctx: RequestContext): FieldError[];
  validateUpdate?(obj: KubeObject, old: KubeObject, ctx: RequestContext): FieldError[];
  /** Final normalisation before storage (e.g. Secret stringData folded into data). */
  canonicalize?(obj: KubeObject): void;
  /** Fields for fieldSelector beyond metadata.name / metadata.namespace. */
  fieldLabels?(obj: KubeObject): Record<string, string>;
  /** Field selector labels this resource supports, beyond metadata.*. */
  supportedFieldLabels?: string[];
  /** Server-side table columns and one row's cells (kube's printers); default Name + Created At. */
  tableColumns?: TableColumn[];
  tableRow?(obj: KubeObject): unknown[];
  /**
   * An object with no metadata.finalizers that must still wait on deletion
   * (a namespace's spec.finalizers, emptied by the namespace controller).
   */
  pendingFinalization?(obj: KubeObject): boolean;
  /** Changes made when deletion starts (a namespace's status.phase becomes Terminating). */
  prepareForDeletion?(obj: KubeObject): void;
}
