// A served resource's field manager (k8s.io/apimachinery managedfields FieldManager and its
// wrappers, in their order): metadata.managedFields kept on every write, Apply and Update
// alike. The Store calls `update` for creates, updates and non-apply patches; the patch
// handler calls `apply` for `application/apply-patch+yaml`. The sets, merge and conflict
// rules are schema/fieldmanager's; this file is the bookkeeping around them: manager
// identities, decoding and encoding the entries, times, the first apply over an untracked
// object, the cap on update managers, kubectl's client-side-apply migration, the metadata
// fields never owned and the fields a strategy resets.

import { badRequest, StatusError } from '../api/errors.js';
import { sealedText, sealManagedFields, withTime } from '../api/managed-json.js';
import { isPlainObject, type KubeObject } from '../api/types.js';
import {
  ApplyConflicts,
  apply,
  applyConflictStatus,
  compare,
  type DecodedManagedFields,
  decodeManagedFields,
  encodeManagedFields,
  equalValues,
  FieldSet,
  fieldElement,
  type ManagedFields,
  type ManagedFieldsEntry,
  managerIdentifier,
  retimedEntries,
  STRIPPED_FIELDS,
  TypedValueError,
  type TypeNode,
  timesOf,
  toFieldSet,
  updateOperation,
} from '../schema/fieldmanager/index.js';
import { clone, meta, nowRFC3339 } from './meta.js';

/** Objects whose last list a field manager (a served resource version) keeps by uid. */
const COMMITTED_MAX = 4096;
/** Lists a field manager remembers the retimed list of; lists shared across objects (see sealedList). */
const RETIMES_MAX = 1024;
const LISTS_MAX = 4096;
const LISTS_MAX_CHARS = 8 << 20;
/** kube's DefaultMaxUpdateManagers: older update entries are merged into `ancient-changes` per version. */
const MAX_UPDATE_MANAGERS = 10;
const ANCIENT_CHANGES = 'ancient-changes';
const BEFORE_FIRST_APPLY = 'before-first-apply';
/** The annotation client-side apply keeps (corev1.LastAppliedConfigAnnotation). */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const MAX_IDENTIFIERS = 1024;
/** validation.FieldManagerMaxLength. */
export const FIELD_MANAGER_MAX_LENGTH = 128;

export interface FieldManagerConfig {
  group: string;
  version: string;
  kind: string;
  /** The served version's schema type (built on first use). */
  type: () => TypeNode;
  /**
   * The object a create is compared against (kube's `creater.New(kind)`): a built-in's Go zero value, whose
   * always-written structs are not new fields of the creator; none for custom resources (unstructured).
   */
  zero?: () => Record<string, unknown> | undefined;
  /** Whether status is a subresource: then the main resource's writers never own status. */
  hasStatusSubresource: boolean;
  /** Fields the strategy sets or resets on the main resource, never owned by a writer (kube's ResetFieldsStrategy). */
  resetFields?: readonly (readonly string[])[];
}

/** What a write is recorded as: the manager's name and the subresource written. */
export interface FieldManagerRequest {
  manager: string;
  subresource?: string;
}

const pathSet = (paths: readonly (readonly string[])[]): FieldSet => FieldSet.of(...paths.map((p) => p.map((f) => fieldElement(f))));

/** Managers named after user agents, by user agent: a client sends the same one with every request. */
const AGENT_MANAGERS = new Map<string, string>();
const MAX_AGENT_MANAGERS = 1024;
const MAX_AGENT_LENGTH = 256;

/** kube's managerOrUserAgent: the fieldManager parameter, else the user agent up to its first `/`, printable, 128 bytes at most. */
export function managerOrUserAgent(fieldManager: string | null | undefined, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  const agent = userAgent ?? '';
  // Only agents of a usual length are kept: the table's size stays bounded by what it holds, not by the headers sent.
  if (agent.length > MAX_AGENT_LENGTH) return agentManager(agent);
  let name = AGENT_MANAGERS.get(agent);
  if (name === undefined) {
    // User agents come from requests: the table is dropped rather than grown without bound.
    if (AGENT_MANAGERS.size >= MAX_AGENT_MANAGERS) AGENT_MANAGERS.clear();
    name = agentManager(agent);
    AGENT_MANAGERS.set(agent, name);
  }
  return name;
}

function agentManager(userAgent: string): string {
  const prefix = userAgent.split('/')[0];
  let out = '';
  let bytes = 0;
  for (const ch of prefix) {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) continue;
    const n = Buffer.byteLength(ch);
    if (bytes + n > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += n;
  }
  return out;
}

export class FieldManager {
  private typeNode?: TypeNode;
  private readonly apiVersion: string;
  private readonly mainIgnored: FieldSet;
  private readonly subresourceIgnored = pathSet([['spec']]);
  /**
   * The list of each object's last write, by uid, with the resourceVersion it was stored at: for a stored object
   * read back from its text (etcd's watch events), whose list is an equal one parsed, not the one this manager
   * made. Two maps, not a record per write (what a write keeps a while is what the collector copies). Cleared
   * whole when full.
   */
  private readonly committedLists = new Map<string, readonly ManagedFieldsEntry[]>();
  private readonly committedRvs = new Map<string, string>();
  /**
   * The list each recent list became when only its writer's time moved, and that time: the objects that share
   * a list (see sealedList) and are written by the same manager in the same second share the next one too.
   * Dropped whole when full.
   */
  private readonly retimes = new Map<readonly ManagedFieldsEntry[], { time: string; list: ManagedFieldsEntry[] }>();
  /** Manager identifiers by operation and subresource, then name. */
  private readonly identifiers = new Map<string, Map<string, string>>();

  constructor(private readonly cfg: FieldManagerConfig) {
    this.apiVersion = cfg.group ? `${cfg.group}/${cfg.version}` : cfg.version;
    this.mainIgnored = pathSet([...(cfg.hasStatusSubresource ? [['status']] : []), ...(cfg.resetFields ?? [])]);
  }

  private get type(): TypeNode {
    this.typeNode ??= this.cfg.type();
    return this.typeNode;
  }

  /** A status-like subresource's writers never own spec; the main resource's (and scale's, which writes its replicas) never own what the strategy resets. */
  private ignored(subresource: string | undefined): FieldSet {
    return subresource && subresource !== 'scale' ? this.subresourceIgnored : this.mainIgnored;
  }

  private identifier(req: FieldManagerRequest, operation: 'Apply' | 'Update'): string {
    const kind = req.subresource ? `${operation}/${req.subresource}` : operation;
    let byName = this.identifiers.get(kind);
    if (!byName) {
      byName = new Map();
      this.identifiers.set(kind, byName);
    }
    let id = byName.get(req.manager);
    if (id === undefined) {
      // Manager names come from requests: the table is dropped rather than grown without bound.
      if (byName.size >= MAX_IDENTIFIERS) byName.clear();
      id = managerIdentifier({ manager: req.manager, operation, apiVersion: this.apiVersion, subresource: req.subresource });
      byName.set(req.manager, id);
    }
    return id;
  }

  /**
   * FieldManager.UpdateNoErrors: `next` (the object about to be written over `live`, null for a
   * create) gets its managedFields. The request's own entries win when it sets some (a client
   * editing managedFields; `[{}]` or `[]` resets them), except on subresources.
   */
  update(live: KubeObject | null, next: KubeObject, req: FieldManagerRequest): void {
    const nm = meta(next);
    const sent = nm.managedFields as ManagedFieldsEntry[] | undefined;
    let managed: DecodedManagedFields;
    /** The live object's entries as this manager wrote them, when `managed` is them. */
    let kept: readonly ManagedFieldsEntry[] | undefined;
    const fromLive = (): DecodedManagedFields => {
      kept = this.keptFor(live);
      return kept ? sealedFields(kept) : decodeEntries(live, false);
    };
    if (req.subresource) managed = fromLive();
    else if (isReset(sent)) managed = { fields: new Map(), times: new Map() };
    else if (sent === undefined || equalValues(sent, live?.metadata?.managedFields)) managed = fromLive();
    else {
      managed = decodeOrEmpty(sent);
      if (managed.fields.size === 0) managed = fromLive();
    }
    delete nm.managedFields;
    // skipNonAppliedManager: an existing object nobody tracks stays untracked until an apply.
    if (managed.fields.size === 0 && live?.metadata?.uid) return;
    try {
      const id = this.identifier(req, 'Update');
      const base = live ?? (this.cfg.zero?.() as KubeObject | undefined) ?? {};
      const r = updateOperation(stripManaged(base), stripManaged(next), id, this.apiVersion, managed.fields, this.type, {
        ignored: this.ignored(req.subresource),
        stripped: STRIPPED_FIELDS,
      });
      const now = r.took ? nowRFC3339() : undefined;
      // Nobody's fields moved (most writes of a controller): the live object's entries, the very list this
      // manager wrote (lists are never edited in place), when the writer took nothing or wrote in the same
      // second; else the same with the writer's entry made again at the new time.
      if (kept && r.managed === managed.fields) {
        const list = now === undefined ? kept : this.retimed(kept, managed.fields, id, req, now);
        if (list) {
          nm.managedFields = list as unknown as typeof nm.managedFields;
          return;
        }
      }
      const times = new Map(managed.times);
      if (now !== undefined) times.set(id, now);
      this.encode(next, { fields: capUpdateManagers(r.managed, times), times });
    } catch {
      // UpdateNoErrors: a value the schema cannot type leaves the object without managedFields.
      delete nm.managedFields;
    }
  }

  /**
   * FieldManager.Apply: the applied configuration merged into `live` (an empty object for a
   * create), owned by `req.manager`. Throws kube's Status errors: 400 for a wrong type or
   * managedFields in the configuration, 409 for conflicts, 500 for a value the schema refuses.
   */
  apply(live: KubeObject | null, config: Record<string, unknown>, req: FieldManagerRequest, force: boolean, name: string): KubeObject {
    const gv = typeof config.apiVersion === 'string' ? config.apiVersion : '';
    const kind = typeof config.kind === 'string' ? config.kind : '';
    if (gv !== this.apiVersion || kind !== this.cfg.kind) {
      const [g, v] = gv.includes('/') ? gv.split('/', 2) : ['', gv];
      throw badRequest(`invalid object type: ${g}/${v}, Kind=${kind}`);
    }
    if (isPlainObject(config.metadata) && config.metadata.managedFields !== undefined && config.metadata.managedFields !== null) {
      throw badRequest('metadata.managedFields must be nil');
    }
    const base: KubeObject = live ?? {};
    let managed = this.decodeLive(live, true);
    const liveValue = stripManaged(base);
    const ignored = this.ignored(req.subresource);
    // skipNonAppliedManager: the first apply to an untracked object gives its fields to `before-first-apply`.
    if (managed.fields.size === 0 && live) {
      const id = this.identifier({ manager: BEFORE_FIRST_APPLY, subresource: req.subresource }, 'Update');
      const r = updateOperation({}, liveValue, id, this.apiVersion, managed.fields, this.type, { ignored, stripped: STRIPPED_FIELDS });
      managed = { fields: r.managed, times: new Map(r.took ? [[id, nowRFC3339()]] : []) };
    }
    const id = this.identifier(req, 'Apply');
    const run = (f: boolean) =>
      apply(liveValue, config, id, this.apiVersion, managed.fields, f, this.type, { ignored, stripped: STRIPPED_FIELDS });
    let result: ReturnType<typeof apply>;
    try {
      try {
        result = run(force);
      } catch (e) {
        // lastAppliedManager: kubectl's first server-side apply over its own client-side apply may take
        // the fields its last-applied configuration still describes.
        if (!(e instanceof ApplyConflicts) || req.manager !== 'kubectl' || !this.allowedFromLastApplied(base, liveValue, e)) throw e;
        result = run(true);
      }
    } catch (e) {
      if (e instanceof ApplyConflicts) throw applyConflictStatus(e.conflicts);
      if (e instanceof TypedValueError) throw typedPatchError(config, name, this.cfg.kind, gv, e);
      throw e;
    }
    const times = new Map(managed.times);
    if (!result.noop) times.set(id, nowRFC3339());
    const out = clone(result.object) as KubeObject;
    // lastAppliedUpdater: kubectl's annotation follows what it applies, so client-side apply can take over again.
    if (
      req.manager === 'kubectl' &&
      typeof out.metadata?.annotations?.[LAST_APPLIED] === 'string' &&
      out.metadata.annotations[LAST_APPLIED]
    ) {
      meta(out).annotations![LAST_APPLIED] = lastAppliedOf(config);
    }
    this.encode(out, { fields: result.managed, times });
    return out;
  }

  /** allowedConflictsFromLastApplied: every conflict is on a field the last-applied annotation sets to its live value. */
  private allowedFromLastApplied(live: KubeObject, liveValue: unknown, e: ApplyConflicts): boolean {
    const raw = live.metadata?.annotations?.[LAST_APPLIED];
    if (typeof raw !== 'string' || !raw) return false;
    let last: unknown;
    try {
      last = JSON.parse(raw);
    } catch {
      return false;
    }
    if (!isPlainObject(last) || last.apiVersion !== this.apiVersion) return false;
    try {
      const c = compare(last, liveValue, this.type);
      const allowed = toFieldSet(last, this.type).difference(c.modified).difference(c.added).difference(c.removed);
      return e.conflicts.every((x) => allowed.has(x.path));
    } catch {
      return false;
    }
  }

  private encode(obj: KubeObject, managed: DecodedManagedFields): void {
    const entries = encodeManagedFields(managed);
    const m = meta(obj);
    if (entries.length) m.managedFields = sealedList(entries, managed.fields) as unknown as typeof m.managedFields;
    else delete m.managedFields;
  }

  /**
   * `kept` (a sealed list whose fields are `fields`) with the Update manager `id`'s time moved to `now` (see
   * retimedEntries): `kept` itself when it has that time already, the list made for it in this second before
   * when there is one. Undefined when the list has no entry of that manager.
   */
  private retimed(
    kept: readonly ManagedFieldsEntry[],
    fields: ManagedFields,
    id: string,
    req: FieldManagerRequest,
    now: string,
  ): readonly ManagedFieldsEntry[] | undefined {
    const made = this.retimes.get(kept);
    if (made?.time === now) return made.list;
    const set = fields.get(id)?.set;
    const list = set && retimedEntries(kept, { ...req, id, apiVersion: this.apiVersion, set }, now, withTime);
    if (!list || list === kept) return list;
    const out = sealed(list as ManagedFieldsEntry[], fields);
    if (this.retimes.size >= RETIMES_MAX) this.retimes.clear();
    this.retimes.set(kept, { time: now, list: out });
    return out;
  }

  /**
   * The Store wrote `written` (an object this manager encoded) and storage answered `stored`: its list is
   * kept by uid with the resourceVersion, which together name that stored content, so the next write of the
   * object does not decode it again when it reads the object back from its text.
   */
  committed(written: KubeObject, stored: KubeObject): void {
    const list = written.metadata?.managedFields;
    const uid = stored.metadata?.uid;
    const rv = stored.metadata?.resourceVersion;
    if (!uid || !rv) return;
    if (this.committedLists.get(uid) === list) {
      // A write that kept the object's list (nothing moved, in the same second): the list stands at this version too.
      this.committedRvs.set(uid, rv);
      return;
    }
    if (!fieldsOf(list)) return;
    if (this.committedLists.size >= COMMITTED_MAX && !this.committedLists.has(uid)) {
      this.committedLists.clear();
      this.committedRvs.clear();
    }
    this.committedLists.set(uid, list as readonly ManagedFieldsEntry[]);
    this.committedRvs.set(uid, rv);
  }

  /** The stored object's decoded entries (kept from its write, else decoded now). */
  private decodeLive(live: KubeObject | null, strict: boolean): DecodedManagedFields {
    const kept = this.keptFor(live);
    return kept ? sealedFields(kept) : decodeEntries(live, strict);
  }

  /**
   * The list a field manager made that `live` holds: its own, or the one this manager wrote when it stored
   * `live` (its uid at its resourceVersion), if any.
   */
  private keptFor(live: KubeObject | null): readonly ManagedFieldsEntry[] | undefined {
    const m = live?.metadata;
    const list = m?.managedFields as unknown;
    if (!m || !Array.isArray(list) || !list.length) return undefined;
    if (fieldsOf(list)) return list;
    const uid = m.uid ?? '';
    return this.committedRvs.get(uid) === m.resourceVersion ? this.committedLists.get(uid) : undefined;
  }
}

/**
 * The decoded form of a list a field manager made, on the list itself: its managers' fields (a Map shared by
 * the lists of writes that moved no field). It travels with every copy of the object that shares the list (the
 * watch cache's, the next write's starting point), which the list's being frozen keeps true. Not enumerable, so
 * neither JSON nor a copy of the list sees it.
 */
const DECODED = Symbol('decoded managedFields');

function sealed(entries: ManagedFieldsEntry[], fields: ManagedFields): ManagedFieldsEntry[] {
  Object.defineProperty(entries, DECODED, { value: fields });
  return sealManagedFields(entries);
}

/**
 * Sealed lists by their text: one list for every object whose managedFields read the same (its managers own the
 * same fields, and wrote at the same times). Objects written by the same controllers mostly do, and then a write
 * reads a list, its fields and entries that the writes of other objects keep in the processor's caches, and its
 * next list is theirs (see FieldManager.retimed). Dropped whole when full.
 */
const LISTS = new Map<string, ManagedFieldsEntry[]>();
/** The characters of LISTS' keys: the lists they name are about as large. */
let listsChars = 0;

/** The sealed list of `entries`, the one another object holds when there is one. */
function sealedList(entries: ManagedFieldsEntry[], fields: ManagedFields): ManagedFieldsEntry[] {
  const list = sealed(entries, fields);
  const key = sealedText(list);
  if (key === undefined) return list;
  const shared = LISTS.get(key);
  if (shared) return shared;
  if (LISTS.size >= LISTS_MAX || listsChars + key.length > LISTS_MAX_CHARS) {
    LISTS.clear();
    listsChars = 0;
  }
  LISTS.set(key, list);
  listsChars += key.length;
  return list;
}

function fieldsOf(list: unknown): ManagedFields | undefined {
  return Array.isArray(list) && Object.isFrozen(list) ? (list as { [DECODED]?: ManagedFields })[DECODED] : undefined;
}

/** A sealed list decoded: its fields, and its managers' times read from its entries when asked for. */
class SealedFields implements DecodedManagedFields {
  private t?: Map<string, string | undefined>;

  constructor(
    readonly fields: ManagedFields,
    private readonly list: readonly ManagedFieldsEntry[],
  ) {}

  get times(): Map<string, string | undefined> {
    this.t ??= timesOf(this.list);
    return this.t;
  }
}

function sealedFields(list: readonly ManagedFieldsEntry[]): DecodedManagedFields {
  return new SealedFields(fieldsOf(list)!, list);
}

/** The stored object's entries decoded (none when it has none). */
function decodeEntries(live: KubeObject | null, strict: boolean): DecodedManagedFields {
  const entries = live?.metadata?.managedFields as ManagedFieldsEntry[] | undefined;
  if (!entries?.length) return { fields: new Map(), times: new Map() };
  return strict ? decodeStrict(entries) : decodeOrEmpty(entries);
}

/** isResetManagedFields: `[]` or `[{}]` in a request clears the managed fields. */
function isReset(entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  if (entries.length === 0) return true;
  return entries.length === 1 && isPlainObject(entries[0]) && Object.keys(entries[0]).length === 0;
}

function decodeOrEmpty(entries: ManagedFieldsEntry[] | undefined): DecodedManagedFields {
  try {
    return decodeManagedFields(entries);
  } catch {
    return { fields: new Map(), times: new Map() };
  }
}

function decodeStrict(entries: ManagedFieldsEntry[] | undefined): DecodedManagedFields {
  try {
    return decodeManagedFields(entries);
  } catch (e) {
    throw new StatusError(500, '', `failed to decode managed fields: ${(e as Error).message}`);
  }
}

/** The object as the sets see it: managedFields never count as a field. */
function stripManaged(obj: KubeObject): KubeObject {
  const m = obj.metadata;
  if (!m || m.managedFields === undefined) return obj;
  // A loop rather than a rest pattern, which V8 runs as a slow generic copy.
  const rest: Record<string, unknown> = {};
  for (const k in m) {
    if (k === 'managedFields' || !Object.hasOwn(m, k)) continue;
    const v = (m as Record<string, unknown>)[k];
    if (k === '__proto__') Object.defineProperty(rest, k, { value: v, enumerable: true, writable: true, configurable: true });
    else rest[k] = v;
  }
  return { ...obj, metadata: rest };
}

/** The error typed conversion of an applied configuration ends in (a 500 with no reason, as kube answers it). */
function typedPatchError(config: Record<string, unknown>, name: string, kind: string, gv: string, e: TypedValueError): StatusError {
  const ns = isPlainObject(config.metadata) && typeof config.metadata.namespace === 'string' ? config.metadata.namespace : '';
  const [g, v] = gv.includes('/') ? gv.split('/', 2) : ['', gv];
  return new StatusError(500, '', `failed to create typed patch object (${ns}/${name}; ${g}/${v}, Kind=${kind}): ${e.message}`);
}

/** buildLastApplied: the configuration without its own annotation, as Go encodes a map (sorted keys, newline). */
function lastAppliedOf(config: Record<string, unknown>): string {
  const c = clone(config);
  if (isPlainObject(c.metadata) && isPlainObject(c.metadata.annotations)) delete c.metadata.annotations[LAST_APPLIED];
  return `${JSON.stringify(sortKeys(c))}\n`;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
  return out;
}

/** capManagersManager: past 10 update entries, the oldest are merged into `ancient-changes` per apiVersion. */
function capUpdateManagers(given: ManagedFields, times: Map<string, string | undefined>): ManagedFields {
  const updaters: string[] = [];
  for (const [id, vs] of given) if (!vs.applied) updaters.push(id);
  if (updaters.length <= MAX_UPDATE_MANAGERS) return given;
  // A copy: `given` may be the decoded entries kept for the stored object.
  const fields = new Map(given);
  const seconds = (id: string): number => {
    const t = times.get(id);
    return t ? Math.floor(Date.parse(t) / 1000) : 0;
  };
  updaters.sort((a, b) => seconds(a) - seconds(b) || (a < b ? -1 : a > b ? 1 : 0));
  const firstByVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > MAX_UPDATE_MANAGERS; i++) {
    const id = updaters[i];
    const vs = fields.get(id)!;
    const bucket = managerIdentifier({ manager: ANCIENT_CHANGES, operation: 'Update', apiVersion: vs.apiVersion });
    const first = firstByVersion.get(vs.apiVersion);
    if (first === undefined) {
      firstByVersion.set(vs.apiVersion, id);
      continue;
    }
    if (!fields.has(bucket)) {
      fields.set(bucket, fields.get(first)!);
      fields.delete(first);
    }
    fields.set(bucket, { set: vs.set.union(fields.get(bucket)!.set), apiVersion: vs.apiVersion, applied: vs.applied });
    fields.delete(id);
    length--;
    times.set(bucket, times.get(id));
  }
  return fields;
}
