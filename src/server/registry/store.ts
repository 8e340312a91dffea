// The generic registry store (k8s.io/apiserver/pkg/registry/generic/registry/store.go):
// one implementation of create/get/update/delete/deletecollection for every
// resource, driven by a small Strategy. List and watch live in lister.ts beside
// it; the lister attaches itself (cached reads, the list deletecollection walks).

import type { AdmissionAttributes, AdmissionChain, Operation } from '../admission/index.js';
import type { ResourceDescriptor } from '../api/descriptor.js';
import {
  alreadyExists,
  badRequest,
  conflict,
  type FieldError,
  fieldErrors,
  forbidden,
  GoValue,
  type GroupResource,
  invalid,
  notFound,
  OPTIMISTIC_LOCK_MESSAGE,
  StatusError,
} from '../api/errors.js';
import { nameIsDNSSubdomain } from '../api/names.js';
import { deepEqual, type KubeList, type KubeObject } from '../api/types.js';
import { isStorageError, type Preconditions, type Storage } from '../storage/interface.js';
import type { FieldManager } from './fieldmanager.js';
import type { ListRequest } from './list.js';
import { clone, generateName, meta, newUID, normalizeObjectMeta, nowRFC3339, specPart } from './meta.js';
import type { FinishFunc, RequestContext, Strategy } from './strategy.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './validation/objectmeta.js';

export interface StoreConfig {
  descriptor: ResourceDescriptor;
  strategy: Strategy;
  storage: Storage;
  /** Registry key prefix without the storage prefix, e.g. `/configmaps` or `/example.com/widgets`. */
  keyPrefix: string;
  admission: AdmissionChain;
  /**
   * For resources served in several versions (custom resources): the apiVersion
   * objects are stored in, and how a stored object is presented in this
   * version (conversion, defaulting on read).
   */
  storageApiVersion?: string;
  /** Conversion between this version and the storage version (a webhook call for some custom resources). */
  fromStorage?: (obj: KubeObject) => KubeObject | Promise<KubeObject>;
  toStorage?: (obj: KubeObject) => KubeObject | Promise<KubeObject>;
  /** metadata.managedFields kept on every create and update (server-side apply's bookkeeping). */
  fieldManager?: FieldManager;
  /**
   * Decoding as a request body is decoded, fieldValidation Ignore: unknown fields dropped (a custom
   * resource's structural pruning and schema defaults). Admission runs it on a webhook-patched object.
   */
  decode?: (obj: KubeObject) => void;
}

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteParams {
  preconditions?: Preconditions;
  propagationPolicy?: PropagationPolicy;
  orphanDependents?: boolean;
  gracePeriodSeconds?: number;
}

/** What the lister lends the Store: the watch cache's copy of an object, and selector-filtered lists. */
export interface StoreReads {
  cached(key: string): KubeObject | undefined;
  list(req: ListRequest): Promise<KubeList>;
}

/** deletecollection's selection: the list options kube's DeleteCollection lists with. */
export type CollectionRequest = Pick<ListRequest, 'namespace' | 'labelSelector' | 'fieldSelector'>;

/**
 * Produces the desired object from the stored one (PUT body or an applied patch), given a copy to change;
 * a function declaring no parameter (a replacement) is given no copy.
 */
export type UpdatedObjectInfo = (current: KubeObject | null) => Promise<KubeObject> | KubeObject;

const GENERATE_NAME_ATTEMPTS = 8;

/** Runs what beginCreate/beginUpdate started to its end (kube logs a failed finish and goes on). */
async function settle(finishes: FinishFunc[], success: boolean): Promise<void> {
  for (const finish of finishes.splice(0)) {
    await finish(success).catch((e) => console.error('kapi-env: finishing a write failed:', e));
  }
}

/**
 * The options object admission sees for an operation (meta.k8s.io/v1 CreateOptions, UpdateOptions,
 * DeleteOptions), with the request's fieldManager and fieldValidation where it gave them.
 */
function operationOptions(op: Operation, dryRun: boolean, given?: Record<string, unknown>): Record<string, unknown> | null {
  const kind = op === 'CREATE' ? 'CreateOptions' : op === 'UPDATE' ? 'UpdateOptions' : op === 'DELETE' ? 'DeleteOptions' : undefined;
  if (!kind) return null;
  return { kind, apiVersion: 'meta.k8s.io/v1', ...(dryRun ? { dryRun: ['All'] } : {}), ...(op === 'DELETE' ? {} : given) };
}

function nameMismatch(bodyName: string, nameOnURL: string): StatusError {
  return badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${nameOnURL})`);
}

export class Store {
  readonly descriptor: ResourceDescriptor;
  readonly strategy: Strategy;
  readonly storage: Storage;
  readonly keyPrefix: string;
  readonly groupResource: GroupResource;
  private readonly admission: AdmissionChain;
  private readonly storageApiVersion?: string;
  private readonly fromStorage?: StoreConfig['fromStorage'];
  private readonly convertToStorage?: StoreConfig['toStorage'];
  readonly fieldManager?: FieldManager;
  private readonly decode?: StoreConfig['decode'];
  private reads?: StoreReads;

  constructor(cfg: StoreConfig) {
    this.storageApiVersion = cfg.storageApiVersion;
    this.fromStorage = cfg.fromStorage;
    this.convertToStorage = cfg.toStorage;
    this.fieldManager = cfg.fieldManager;
    this.decode = cfg.decode;
    this.descriptor = cfg.descriptor;
    this.strategy = cfg.strategy;
    this.storage = cfg.storage;
    this.keyPrefix = cfg.keyPrefix;
    this.admission = cfg.admission;
    this.groupResource = { group: cfg.descriptor.group, resource: cfg.descriptor.resource };
  }

  /**
   * The lister's reads: writes start from the watch cache's copy (kube's cachedExistingObject),
   * deletecollection lists through the same selectors as a list request.
   */
  attach(reads: StoreReads): void {
    this.reads = reads;
  }

  private cached(key: string): KubeObject | undefined {
    return this.reads?.cached(key);
  }

  /** Whether stored objects need converting to be presented in this version. */
  get converts(): boolean {
    return !!this.fromStorage;
  }

  /** A stored object as this version presents it. */
  async out(obj: KubeObject): Promise<KubeObject> {
    return this.fromStorage ? this.fromStorage(obj) : obj;
  }

  /** An object of this version as it is stored. */
  async toStorage(obj: KubeObject): Promise<KubeObject> {
    if (this.convertToStorage) return this.convertToStorage(obj);
    if (this.storageApiVersion) obj.apiVersion = this.storageApiVersion;
    return obj;
  }

  get apiVersion(): string {
    return this.descriptor.group ? `${this.descriptor.group}/${this.descriptor.version}` : this.descriptor.version;
  }

  /** `/configmaps/ns/name`, `/configmaps/ns/` for a namespace, `/configmaps/` for all. */
  key(namespace: string, name: string): string {
    return this.strategy.namespaced ? `${this.keyPrefix}/${namespace}/${name}` : `${this.keyPrefix}/${name}`;
  }

  listPrefix(namespace: string): string {
    return this.strategy.namespaced && namespace ? `${this.keyPrefix}/${namespace}/` : `${this.keyPrefix}/`;
  }

  private qualifiedKind(): { group: string; kind: string } {
    return { group: this.descriptor.group, kind: this.descriptor.kind };
  }

  private invalidIfAny(name: string, errs: FieldError[]): void {
    if (errs.length) throw invalid(this.qualifiedKind(), name, errs);
  }

  private attrs(op: Operation, ctx: RequestContext, name: string, obj: KubeObject | null, old: KubeObject | null): AdmissionAttributes {
    return {
      operation: op,
      resource: this.descriptor,
      subresource: ctx.subresource ?? '',
      namespace: ctx.namespace ?? '',
      name,
      object: obj,
      oldObject: old,
      user: ctx.user,
      dryRun: ctx.dryRun,
      warnings: ctx.warnings,
      options: operationOptions(op, ctx.dryRun, ctx.options),
      auditAnnotations: ctx.auditAnnotations,
      redecode: (obj) => this.redecode(obj),
    };
  }

  /**
   * A webhook-patched object as kube's mutating dispatcher has it: decoded through the scheme (unknown
   * fields dropped, a custom resource pruned and schema-defaulted) and defaulted again (ObjectDefaulter).
   */
  private redecode(obj: KubeObject): void {
    this.decode?.(obj);
    this.strategy.defaults?.(obj);
  }

  /**
   * Admission of a subresource with a REST of its own: CONNECT (kube's ConnectResource: the connect
   * options object, PodExecOptions...) and a created subresource (pods/binding, pods/eviction: the
   * created object), mutating then validating, before the subresource acts.
   */
  async admitSubresource(op: 'CREATE' | 'CONNECT', ctx: RequestContext, name: string, obj: KubeObject): Promise<void> {
    const a = this.attrs(op, ctx, name, obj, null);
    if (op === 'CONNECT') a.options = null;
    const av = obj.apiVersion ?? 'v1';
    const slash = av.lastIndexOf('/');
    a.kind = { group: slash < 0 ? '' : av.slice(0, slash), version: av.slice(slash + 1), kind: obj.kind ?? '' };
    await this.admission.admit(a);
    await this.admission.validate(a);
  }

  /** Request namespace vs object namespace (rest.EnsureObjectNamespaceMatchesRequestNamespace). */
  private reconcileNamespace(obj: KubeObject, ctx: RequestContext): void {
    const m = meta(obj);
    if (!this.strategy.namespaced) {
      delete m.namespace;
      return;
    }
    const reqNs = ctx.namespace ?? '';
    if (!m.namespace) m.namespace = reqNs;
    else if (m.namespace !== reqNs) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
  }

  private validateMeta(obj: KubeObject): FieldError[] {
    return validateObjectMeta(obj.metadata, {
      namespaced: this.strategy.namespaced,
      nameValidator: this.strategy.nameValidator ?? nameIsDNSSubdomain,
    });
  }

  /**
   * Stores objects this resource's write path made in an earlier start of the same server from the same
   * input (a bootstrap seed), with new uids and this instant as their creation, managedFields and condition
   * transition times; an object already stored stays as it is. No strategy, admission or field manager runs:
   * they ran when the objects were made. The objects are the seed's own (read for this start): they are stored
   * as they are, not copied.
   */
  async seed(objects: readonly KubeObject[]): Promise<void> {
    const now = nowRFC3339();
    await Promise.all(
      objects.map(async (obj) => {
        const m = meta(obj);
        m.uid = newUID();
        if (m.creationTimestamp !== undefined) m.creationTimestamp = now;
        delete m.resourceVersion;
        if (Array.isArray(m.managedFields))
          m.managedFields = m.managedFields.map((e) => (e && typeof e === 'object' && 'time' in e ? { ...e, time: now } : e));
        // Conditions a controller set in that start (a FlowSchema's Dangling) changed at this one's start.
        const conditions = (obj.status as { conditions?: unknown } | undefined)?.conditions;
        if (Array.isArray(conditions))
          for (const c of conditions) if (c && typeof c === 'object' && 'lastTransitionTime' in c) c.lastTransitionTime = now;
        try {
          await this.storage.create(this.key(m.namespace ?? '', m.name!), await this.toStorage(obj));
        } catch (e) {
          if (!isStorageError(e, 'KeyExists')) throw e;
        }
      }),
    );
  }

  async create(ctx: RequestContext, input: KubeObject): Promise<KubeObject> {
    const finishes: FinishFunc[] = [];
    return this.settling(finishes, () => this.createObject(ctx, input, finishes));
  }

  /** A write, then what beginCreate/beginUpdate started settled with its outcome. */
  private async settling<T>(finishes: FinishFunc[], write: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await write();
    } catch (e) {
      await settle(finishes, false);
      throw e;
    }
    await settle(finishes, true);
    return result;
  }

  private async createObject(ctx: RequestContext, obj: KubeObject, finishes: FinishFunc[]): Promise<KubeObject> {
    const m = meta(obj);
    const generate = !m.name && !!m.generateName;
    if (generate) m.name = generateName(m.generateName!);
    await this.beforeCreate(ctx, obj, finishes);
    for (let attempt = 1; ; attempt++) {
      try {
        const written = await this.toStorage(obj);
        const stored = await this.storage.create(this.key(m.namespace ?? '', m.name!), written, { dryRun: ctx.dryRun });
        if (!ctx.dryRun) this.fieldManager?.committed(written, stored);
        return await this.out(stored);
      } catch (e) {
        if (isStorageError(e, 'KeyExists')) {
          if (generate && attempt < GENERATE_NAME_ATTEMPTS) {
            m.name = generateName(m.generateName!);
            continue;
          }
          throw alreadyExists(this.groupResource, m.name!);
        }
        throw e;
      }
    }
  }

  async get(ctx: RequestContext, name: string): Promise<KubeObject> {
    const obj = await this.storage.get(this.key(ctx.namespace ?? '', name));
    if (!obj) throw notFound(this.groupResource, name);
    return await this.out(obj);
  }

  /**
   * PUT and PATCH: `objInfo` turns the stored object into the desired one inside
   * the storage's optimistic-concurrency loop, as rest.UpdatedObjectInfo does.
   */
  async update(
    ctx: RequestContext,
    name: string,
    objInfo: UpdatedObjectInfo,
    opts: { forceAllowCreate?: boolean } = {},
  ): Promise<{ object: KubeObject; created: boolean }> {
    const key = this.key(ctx.namespace ?? '', name);
    let created = false;
    let deleteAfter: { rv: string } | null = null;
    const finishes: FinishFunc[] = [];
    let written: KubeObject | undefined;
    const result = await this.settling(finishes, () =>
      this.storage.guaranteedUpdate(
        key,
        async (current) => {
          created = false;
          deleteAfter = null;
          // An attempt the storage retries gives back what the previous one reserved.
          await settle(finishes, false);
          if (!current) {
            if (!(this.strategy.allowCreateOnUpdate || opts.forceAllowCreate) || ctx.subresource) throw notFound(this.groupResource, name);
            const obj = await objInfo(null);
            created = true;
            // Create-on-update (store.go Update with AllowCreateOnUpdate) takes POST's path: rest.BeforeCreate.
            written = await this.toStorage(await this.beforeCreate(ctx, obj, finishes, name));
            return written;
          }
          // The storage hands each attempt its own copy of the stored object (never the watch cache's):
          // it is the old object as it is; the writer gets a copy to change. A writer that takes no
          // argument (PUT: the request body replaces the object) reads nothing of it and needs no copy.
          const presented = await this.out(current);
          const obj = await objInfo(objInfo.length === 0 ? presented : clone(presented));
          const next = await this.toStorage(await this.beforeUpdate(ctx, name, obj, presented, finishes));
          written = next;
          const nm = meta(next);
          // ShouldDeleteDuringUpdate: not while a graceful deletion's period runs (a terminating pod's updates).
          if (
            nm.deletionTimestamp &&
            (nm.finalizers ?? []).length === 0 &&
            !this.strategy.pendingFinalization?.(next) &&
            !current.metadata?.deletionGracePeriodSeconds
          )
            deleteAfter = { rv: current.metadata!.resourceVersion! };
          return next;
        },
        { ignoreNotFound: true, dryRun: ctx.dryRun, cachedExisting: this.cached(key) },
      ),
    ).catch((e) => {
      throw this.mapStorageError(e, name);
    });
    if (written && !ctx.dryRun) this.fieldManager?.committed(written, result);
    if (deleteAfter !== null) {
      // The update emptied the finalizers of an object being deleted: it goes now (store.go shouldDeleteDuringUpdate).
      const pre = { resourceVersion: result.metadata?.resourceVersion };
      let gone = true;
      const deleted = await this.storage.delete(key, { preconditions: ctx.dryRun ? undefined : pre, dryRun: ctx.dryRun }).catch((e) => {
        if (isStorageError(e, 'KeyNotFound')) {
          gone = false;
          return result;
        }
        throw this.mapStorageError(e, name);
      });
      if (gone) await this.afterDelete(ctx, deleted);
      return { object: await this.out(deleted), created: false };
    }
    return { object: await this.out(result), created };
  }

  /**
   * rest.BeforeCreate, shared by POST and create-on-PUT: type and namespace
   * reconciled, metadata normalised as typed decoding leaves it, server-owned
   * fields reset (FillObjectMetaSystemFields), then strategy, admission and
   * validation. `nameOnURL`: a create-on-PUT's name, which the body must carry.
   */
  private async beforeCreate(ctx: RequestContext, obj: KubeObject, finishes: FinishFunc[], nameOnURL?: string): Promise<KubeObject> {
    if (nameOnURL !== undefined && meta(obj).name !== nameOnURL) throw nameMismatch(meta(obj).name ?? '', nameOnURL);
    obj.apiVersion = this.apiVersion;
    obj.kind = this.descriptor.kind;
    this.reconcileNamespace(obj, ctx);
    const m = meta(obj);
    normalizeObjectMeta(m);
    m.uid = newUID();
    m.creationTimestamp = nowRFC3339();
    delete m.resourceVersion;
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    if (this.strategy.hasGeneration) m.generation = 1;
    else delete m.generation;
    this.strategy.prepareForCreate?.(obj, ctx);
    this.recordFields(ctx, null, obj);
    const name = m.name ?? '';
    await this.admission.admit(this.attrs('CREATE', ctx, name, obj, null));
    const finish = await this.strategy.beginCreate?.(obj, ctx);
    if (finish) finishes.push(finish);
    const errs = this.validateMeta(obj);
    if (errs.length === 0) errs.push(...(this.strategy.validate?.(obj, ctx) ?? []));
    this.invalidIfAny(name, errs);
    await this.admission.validate(this.attrs('CREATE', ctx, name, obj, null));
    this.strategy.canonicalize?.(obj);
    return obj;
  }

  /**
   * The write's fields in metadata.managedFields, after the strategy prepared the object and before
   * mutating admission (kube runs the field manager on the decoded, defaulted request object; what the
   * strategy resets is never owned, and admission's changes are nobody's). An apply recorded them already.
   */
  private recordFields(ctx: RequestContext, live: KubeObject | null, obj: KubeObject): void {
    if (!this.fieldManager || ctx.fieldManager?.recorded) return;
    // The sets compare wire forms (kube's typed objects as JSON): a defaulted `""` an omitempty field drops is no change.
    this.strategy.canonicalize?.(obj);
    this.fieldManager.update(live, obj, {
      manager: ctx.fieldManager?.manager || 'kube-apiserver',
      subresource: ctx.fieldManager?.subresource ?? ctx.subresource,
    });
  }

  /**
   * rest.BeforeUpdate, shared by PUT and PATCH: resourceVersion checked against the stored one
   * (required unless the strategy allows unconditional updates), subresource scoping, server-owned
   * fields kept, generation, then strategy, admission and validation.
   */
  private async beforeUpdate(
    ctx: RequestContext,
    name: string,
    input: KubeObject,
    current: KubeObject,
    finishes: FinishFunc[],
  ): Promise<KubeObject> {
    let obj = input;
    obj.apiVersion = this.apiVersion;
    obj.kind = this.descriptor.kind;
    this.reconcileNamespace(obj, ctx);
    const m = meta(obj);
    const cm = current.metadata!;
    if (m.name !== undefined && m.name !== name) throw nameMismatch(m.name, name);
    m.name = name;
    if (!m.resourceVersion) {
      if (!this.strategy.allowUnconditionalUpdate) {
        // store.go names the resource (not the kind) here, and prints the uint64 zero with %#v.
        throw invalid({ group: this.descriptor.group, kind: this.descriptor.resource }, name, [
          fieldErrors.invalid('metadata.resourceVersion', new GoValue('0x0'), 'must be specified for an update'),
        ]);
      }
    } else if (m.resourceVersion !== cm.resourceVersion) {
      throw conflict(this.groupResource, name, OPTIMISTIC_LOCK_MESSAGE);
    }
    // Subresource scoping: /status changes only status; the main resource never changes status.
    const statusLike = ctx.subresource === 'status' || (!!ctx.subresource && !!this.strategy.statusSubresources?.includes(ctx.subresource));
    if (statusLike) {
      const status = obj.status;
      const managedFields = m.managedFields;
      obj = clone(current);
      if (status === undefined) delete obj.status;
      else obj.status = status;
      if (managedFields !== undefined) meta(obj).managedFields = managedFields;
    } else if (this.strategy.hasStatusSubresource) {
      if (current.status === undefined) delete obj.status;
      else obj.status = clone(current.status);
    }
    const om = meta(obj);
    normalizeObjectMeta(om);
    // rest.BeforeUpdate: the uid comes from the stored object when omitted; the
    // creation timestamp and a deletion timestamp always do (a client's
    // `...:03.000Z` copy of either is not a change); a grace period only when omitted.
    if (!om.uid) om.uid = cm.uid;
    if (cm.creationTimestamp) om.creationTimestamp = cm.creationTimestamp;
    if (cm.deletionTimestamp) om.deletionTimestamp = cm.deletionTimestamp;
    if (om.deletionGracePeriodSeconds === undefined && cm.deletionGracePeriodSeconds !== undefined) {
      om.deletionGracePeriodSeconds = cm.deletionGracePeriodSeconds;
    }
    // The strategy prepares (defaults, server-owned fields) before the spec is compared for generation,
    // as kube's PrepareForUpdate sees the decoded, defaulted object and bumps generation itself.
    this.strategy.prepareForUpdate?.(obj, current, ctx);
    this.recordFields(ctx, current, obj);
    if (this.strategy.hasGeneration) {
      om.generation = cm.generation ?? 1;
      const changed = this.strategy.specChanged
        ? this.strategy.specChanged(obj, current)
        : !deepEqual(specPart(obj, this.strategy.hasStatusSubresource), specPart(current, this.strategy.hasStatusSubresource));
      if (changed && !statusLike) om.generation = (cm.generation ?? 1) + 1;
    } else delete om.generation;
    om.resourceVersion = cm.resourceVersion;
    await this.admission.admit(this.attrs('UPDATE', ctx, name, obj, current));
    const finish = await this.strategy.beginUpdate?.(obj, current, ctx);
    if (finish) finishes.push(finish);
    const errs = validateObjectMetaUpdate(obj, current, {
      namespaced: this.strategy.namespaced,
      nameValidator: this.strategy.nameValidator ?? nameIsDNSSubdomain,
    });
    if (errs.length === 0) errs.push(...(this.strategy.validateUpdate?.(obj, current, ctx) ?? []));
    this.invalidIfAny(name, errs);
    await this.admission.validate(this.attrs('UPDATE', ctx, name, obj, current));
    this.strategy.canonicalize?.(obj);
    return obj;
  }

  /**
   * DELETE: objects with finalizers (or a policy that adds one) are only marked
   * with deletionTimestamp; the rest go at once.
   */
  async delete(ctx: RequestContext, name: string, params: DeleteParams): Promise<{ object: KubeObject; immediate: boolean }> {
    const key = this.key(ctx.namespace ?? '', name);
    const explicitFinalizer =
      params.propagationPolicy === 'Foreground'
        ? 'foregroundDeletion'
        : params.propagationPolicy === 'Orphan' || params.orphanDependents === true
          ? 'orphan'
          : undefined;
    // store.go shouldOrphanDependents: with no policy asked for and no GC finalizer on the object,
    // a strategy whose default is OrphanDependents (batch/v1 Jobs) orphans.
    const finalizerFor = (o: KubeObject): string | undefined => {
      if (explicitFinalizer || params.propagationPolicy || params.orphanDependents === false) return explicitFinalizer;
      const fins = o.metadata?.finalizers ?? [];
      if (fins.includes('orphan') || fins.includes('foregroundDeletion')) return undefined;
      return this.strategy.defaultOrphanDependents ? 'orphan' : undefined;
    };
    const pending = (o: KubeObject): boolean => (o.metadata?.finalizers ?? []).length > 0 || !!this.strategy.pendingFinalization?.(o);
    // Objects without finalizers go in one read and one conditional delete; the
    // others are only marked (below). The check runs against the state the delete compares with.
    const markInstead = Symbol('mark');
    try {
      const deleted = await this.storage.delete(key, {
        dryRun: ctx.dryRun,
        cachedExisting: this.cached(key),
        validateDeletion: async (cur) => {
          this.checkPreconditions(name, cur, params.preconditions);
          // rest.AdmissionToValidateObjectDeleteFunc: mutating, then validating admission, on the stored object.
          const attrs = this.attrs('DELETE', ctx, name, null, await this.out(cur));
          await this.admission.admit(attrs);
          await this.admission.validate(attrs);
          if (finalizerFor(cur) || pending(cur) || this.gracefulDeletion(cur, params.gracePeriodSeconds)) throw markInstead;
        },
      });
      await this.afterDelete(ctx, deleted);
      return { object: await this.out(deleted), immediate: true };
    } catch (e) {
      if (e !== markInstead) throw this.mapStorageError(e, name);
    }
    // Graceful deletion (pods): the period of the last attempt; an object already being deleted with
    // no shorter period is answered as it is (store.go errAlreadyDeleting).
    let gracePeriod = 0;
    let alreadyDeleting: KubeObject | undefined;
    const marked = await this.storage
      .guaranteedUpdate(
        key,
        (cur) => {
          if (!cur) throw notFound(this.groupResource, name);
          this.checkPreconditions(name, cur, params.preconditions);
          const graceful = this.gracefulDeletion(cur, params.gracePeriodSeconds);
          alreadyDeleting = undefined;
          if (graceful === 'pending') {
            alreadyDeleting = cur;
            return cur;
          }
          const next = clone(cur);
          const m = meta(next);
          const fins = m.finalizers ?? [];
          const fin = finalizerFor(cur);
          if (fin && !fins.includes(fin)) {
            const other = fin === 'orphan' ? 'foregroundDeletion' : 'orphan';
            m.finalizers = [...fins.filter((f) => f !== other), fin];
          }
          gracePeriod = graceful?.period ?? 0;
          if (graceful) {
            if (!m.deletionTimestamp) {
              if (this.strategy.hasGeneration) m.generation = (m.generation ?? 1) + 1;
              this.strategy.prepareForDeletion?.(next);
            }
            m.deletionTimestamp = graceful.deletionTimestamp;
            m.deletionGracePeriodSeconds = graceful.period;
          } else if (!m.deletionTimestamp) {
            m.deletionTimestamp = nowRFC3339();
            m.deletionGracePeriodSeconds = 0;
            if (this.strategy.hasGeneration) m.generation = (m.generation ?? 1) + 1;
            this.strategy.prepareForDeletion?.(next);
          }
          return deepEqual(next, cur) ? cur : next;
        },
        { dryRun: ctx.dryRun },
      )
      .catch((e) => {
        throw this.mapStorageError(e, name);
      });
    if (alreadyDeleting) return { object: await this.out(alreadyDeleting), immediate: false };
    if (pending(marked) || gracePeriod > 0) return { object: await this.out(marked), immediate: false };
    // A policy finalizer alone on an object nothing else holds: it goes now.
    const deleted = await this.storage.delete(key, { dryRun: ctx.dryRun }).catch((e) => {
      throw this.mapStorageError(e, name);
    });
    await this.afterDelete(ctx, deleted);
    return { object: await this.out(deleted), immediate: true };
  }

  /**
   * DELETE of a collection (store.go DeleteCollection): the objects the selectors list, each deleted
   * with the same options (preconditions, propagation, finalizers) as a single DELETE; one already
   * gone is skipped. Returns the list of what was deleted or marked for deletion.
   */
  async deleteCollection(ctx: RequestContext, req: CollectionRequest, params: DeleteParams): Promise<KubeList> {
    if (!this.reads) throw new Error(`deletecollection of ${this.descriptor.resource}: no lister attached to the store`);
    const list = await this.reads.list({ namespace: req.namespace, labelSelector: req.labelSelector, fieldSelector: req.fieldSelector });
    const deleted: KubeObject[] = [];
    for (const item of list.items) {
      const itemCtx = { ...ctx, namespace: item.metadata?.namespace ?? '' };
      try {
        deleted.push((await this.delete(itemCtx, item.metadata!.name!, params)).object);
      } catch (e) {
        if (e instanceof StatusError && e.code === 404) continue;
        throw e;
      }
    }
    return { ...list, items: deleted };
  }

  /** The strategy's afterDelete (kube's AfterDelete); a failure is logged, the delete stands. */
  private async afterDelete(ctx: RequestContext, obj: KubeObject): Promise<void> {
    await this.strategy.afterDelete?.(obj, ctx).catch((e) => console.error('kapi-env: after-delete hook failed:', e));
  }

  /**
   * rest.BeforeDelete's graceful part, for strategies with a grace period: undefined when the
   * deletion is not graceful (no such strategy, or an object already marked with no period left),
   * 'pending' when it is under way and the request does not shorten it, else the deletion to record.
   */
  private gracefulDeletion(
    cur: KubeObject,
    requested: number | undefined,
  ): 'pending' | { deletionTimestamp: string; period: number } | undefined {
    if (!this.strategy.gracefulDeletePeriod) return undefined;
    const m = cur.metadata ?? {};
    const at = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
    if (m.deletionTimestamp) {
      const current = m.deletionGracePeriodSeconds;
      if (!current) return undefined;
      if (requested === undefined || requested >= current) return 'pending';
      return { deletionTimestamp: at(Date.parse(m.deletionTimestamp) + (requested - current) * 1000), period: requested };
    }
    const period = this.strategy.gracefulDeletePeriod(cur, requested);
    return { deletionTimestamp: at(Date.now() + period * 1000), period };
  }

  /** rest.BeforeDelete's early precondition check; the conflict names the Kind, as kube's does. */
  private checkPreconditions(name: string, cur: KubeObject, pre: Preconditions | undefined): void {
    if (!pre) return;
    const m = cur.metadata ?? {};
    const gk = { group: this.descriptor.group, resource: this.descriptor.kind };
    if (pre.uid !== undefined && pre.uid !== m.uid) {
      throw conflict(
        gk,
        name,
        `the UID in the precondition (${pre.uid}) does not match the UID in record (${m.uid ?? ''}). The object might have been deleted and then recreated`,
      );
    }
    if (pre.resourceVersion !== undefined && pre.resourceVersion !== m.resourceVersion) {
      throw conflict(
        gk,
        name,
        `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${m.resourceVersion ?? ''}). The object might have been modified`,
      );
    }
  }

  mapStorageError(e: unknown, name: string): unknown {
    if (e instanceof StatusError) return e;
    if (isStorageError(e)) {
      switch (e.code) {
        case 'KeyNotFound':
          return notFound(this.groupResource, name);
        case 'KeyExists':
          return alreadyExists(this.groupResource, name);
        case 'ResourceVersionConflicts':
          return conflict(this.groupResource, name, e.message.startsWith('Precondition failed') ? e.message : OPTIMISTIC_LOCK_MESSAGE);
        default:
          return e;
      }
    }
    return e;
  }

  forbidden(name: string, why: string): StatusError {
    return forbidden(this.groupResource, name, why);
  }
}
