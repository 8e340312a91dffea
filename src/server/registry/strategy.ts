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
  /**
   * How the write's fields are recorded in metadata.managedFields: the manager (kube's
   * managerOrUserAgent; `kube-apiserver` when unset), the subresource it is recorded under when
   * that differs from the Store's scoping (`scale`), and whether an apply already recorded them.
   */
  fieldManager?: { manager: string; subresource?: string; recorded?: boolean };
  /** The request's create/update options fields (fieldManager, fieldValidation) for admission's options object. */
  options?: Record<string, unknown>;
  /** The request's audit annotations (kube's AddAuditAnnotation): admission's (webhooks, PodSecurity) go here. */
  auditAnnotations?: Record<string, string>;
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
  /**
   * kube's Store.BeginCreate: side effects the write depends on, run after prepareForCreate and
   * mutating admission, before validation (a Service's ClusterIPs and NodePorts reserved in
   * storage). The returned finish runs once the write is settled: success commits, failure
   * (validation, admission, storage) reverts.
   */
  beginCreate?(obj: KubeObject, ctx: RequestContext): Promise<FinishFunc | undefined>;
  /** kube's Store.BeginUpdate, as beginCreate for updates (a finish per attempt of the update loop). */
  beginUpdate?(obj: KubeObject, old: KubeObject, ctx: RequestContext): Promise<FinishFunc | undefined>;
  /** kube's Store.AfterDelete: after an object is gone from storage (a Service's allocations released). */
  afterDelete?(obj: KubeObject, ctx: RequestContext): Promise<void>;
  /**
   * Subresources besides `status` that, like it, change only the object's status (kube's
   * certificatesigningrequests/approval): the store scopes them as /status; prepareForUpdate narrows further.
   */
  statusSubresources?: string[];
  /**
   * kube's RESTGracefulDeleteStrategy.CheckGracefulDelete: the grace period (seconds) a DELETE
   * gives the object, from the requested one (pods: else spec.terminationGracePeriodSeconds; 0 when
   * unscheduled or terminated). The store then marks it (deletionTimestamp = now + period,
   * deletionGracePeriodSeconds = period) and deletes it only when the period is 0; a later DELETE
   * may only shorten the period (rest.BeforeDelete).
   */
  gracefulDeletePeriod?(obj: KubeObject, requested: number | undefined): number;
  /** The order a list's table rows are printed in, when kube's list printer sorts (FlowSchemas by matching precedence). */
  tableRowOrder?(a: KubeObject, b: KubeObject): number;
  /**
   * kube's GarbageCollectionDeleteStrategy.DefaultGarbageCollectionPolicy is OrphanDependents
   * (batch/v1 Jobs): a DELETE naming no propagation policy adds the `orphan` finalizer (left for the
   * garbage collector), unless the object already carries orphan or foregroundDeletion.
   */
  defaultOrphanDependents?: boolean;
  /**
   * Fields of the main resource that prepareForCreate/prepareForUpdate set or reset, never owned by a
   * writer in metadata.managedFields (kube's ResetFieldsStrategy); `status` already is when it is a subresource.
   */
  resetFields?: string[][];
  /**
   * The type's scheme defaults alone (SetObjectDefaults_<Kind>), without prepareForCreate's resets: run again
   * on an object a mutating webhook patched, as kube decodes and defaults the patched object.
   */
  defaults?(obj: KubeObject): void;
}

/** Settles what beginCreate/beginUpdate started (kube's FinishFunc). */
export type FinishFunc = (success: boolean) => Promise<void>;
