// Field managers (structured-merge-diff merge.Updater and fieldpath.ManagedFields, with
// k8s.io/apimachinery managedfields' identifiers): who owns which fields, how an apply
// merges and claims them, and how an update moves ownership to the writer.

import { treeText } from '../../api/managed-json.js';
import { isPlainObject } from '../../api/types.js';
import { decodeFieldsV1, fieldsV1Object } from './fieldsv1.js';
import type { Path } from './path.js';
import { fieldElement } from './path.js';
import { FieldSet } from './set.js';
import { compare, ensureNamedFieldsAreMembers, merge, removeItems, toFieldSet, validateConfig } from './typed.js';
import type { TypeNode } from './typing.js';
import { equalValues } from './value.js';

/** One manager's fields (fieldpath.VersionedSet). */
export interface VersionedSet {
  set: FieldSet;
  apiVersion: string;
  /** Whether the fields were applied (operation Apply) rather than updated. */
  applied: boolean;
}

/** Managers by identifier (see managerIdentifier). */
export type ManagedFields = Map<string, VersionedSet>;

/** metav1.ManagedFieldsEntry as stored in metadata.managedFields. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/** A conflict: `manager` (an identifier) owns `path` with another value. */
export interface Conflict {
  manager: string;
  path: Path;
}

/** An apply refused for conflicts (merge.Conflicts); kube answers it with applyConflictStatus. */
export class ApplyConflicts extends Error {
  constructor(readonly conflicts: Conflict[]) {
    super(`${conflicts.length} apply conflict(s)`);
    this.name = 'ApplyConflicts';
  }
}

/**
 * BuildManagerIdentifier: the JSON of the entry without fieldsType, fieldsV1 and time, and
 * without apiVersion for appliers (an applier keeps its identity across versions). Keys in
 * ManagedFieldsEntry's field order: manager, operation, apiVersion, subresource.
 */
export function managerIdentifier(e: { manager?: string; operation?: string; apiVersion?: string; subresource?: string }): string {
  const o: Record<string, string> = {};
  if (e.manager) o.manager = e.manager;
  if (e.operation) o.operation = e.operation;
  if (e.apiVersion && e.operation !== 'Apply') o.apiVersion = e.apiVersion;
  if (e.subresource) o.subresource = e.subresource;
  return JSON.stringify(o);
}

export interface DecodedManagedFields {
  fields: ManagedFields;
  /** Each manager's `time`, kept through a write. */
  times: Map<string, string | undefined>;
}

/** DecodeManagedFields: metadata.managedFields to sets; throws with kube's wording on an invalid entry. */
export function decodeManagedFields(entries: readonly ManagedFieldsEntry[] | undefined): DecodedManagedFields {
  const fields: ManagedFields = new Map();
  const times = new Map<string, string | undefined>();
  for (const [i, e] of (entries ?? []).entries()) {
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new Error('operation must be `Apply` or `Update`');
    if (!e.apiVersion) throw new Error('apiVersion must not be empty');
    if (!e.fieldsType) throw new Error(`missing fieldsType in managed fields entry ${i}`);
    if (e.fieldsType !== 'FieldsV1') throw new Error(`invalid fieldsType "${e.fieldsType}" in managed fields entry ${i}`);
    const id = managerIdentifier(e);
    fields.set(id, {
      set: isPlainObject(e.fieldsV1) ? decodeFieldsV1(e.fieldsV1) : new FieldSet(),
      apiVersion: e.apiVersion,
      applied: e.operation === 'Apply',
    });
    times.set(id, e.time);
  }
  return { fields, times };
}

/** A manager identifier's fields (its JSON parsed), kept per identifier: a resource has few managers, each written on every update. */
const IDENTITIES = new Map<string, ManagedFieldsEntry>();
const MAX_IDENTITIES = 10_000;

function identity(id: string): ManagedFieldsEntry {
  let who = IDENTITIES.get(id);
  if (!who) {
    // Manager names come from requests: the table is dropped rather than grown without bound.
    if (IDENTITIES.size >= MAX_IDENTITIES) IDENTITIES.clear();
    who = JSON.parse(id) as ManagedFieldsEntry;
    IDENTITIES.set(id, who);
  }
  return who;
}

/** Recent times parsed (a write's entries share a few: the managers' last writes, now). */
const SECONDS = new Map<string, number>();
const MAX_SECONDS = 1024;

/** A manager's time in whole seconds (kube compares the entries' metav1.Time, second precision), 0 when absent. */
function seconds(t: string | undefined): number {
  if (!t) return 0;
  let s = SECONDS.get(t);
  if (s === undefined) {
    if (SECONDS.size >= MAX_SECONDS) SECONDS.clear();
    s = Math.floor(Date.parse(t) / 1000);
    SECONDS.set(t, s);
  }
  return s;
}

const compareText = (a: string | undefined, b: string | undefined): number => ((a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0);

/**
 * The entry last made for a set, with what it was made from: a manager whose set and time are unchanged
 * (every manager but the writer, on most writes) gets that entry again, not an equal new one. Entries are
 * never changed once made (the field manager freezes the lists it writes).
 */
const ENTRIES = new WeakMap<
  FieldSet,
  { id: string; time: string | undefined; applied: boolean; apiVersion: string; e: ManagedFieldsEntry }
>();

/** Each manager's time in `list` (valid entries, as encodeManagedFields makes them), by identifier, as decodeManagedFields reads them. */
export function timesOf(list: readonly ManagedFieldsEntry[]): Map<string, string | undefined> {
  const times = new Map<string, string | undefined>();
  for (const e of list) times.set(managerIdentifier(e), e.time);
  return times;
}

/**
 * Field sets by their FieldsV1 text: one set (and FieldsV1 tree, and entry) for every object whose manager owns
 * the same fields. Objects written by the same controllers mostly are, and a write then reads sets and entries
 * that the writes of the other objects keep in the processor's caches, instead of its object's own, written
 * seconds ago. Dropped whole when full.
 */
const INTERNED = new Map<string, FieldSet>();
const MAX_INTERNED = 4096;
/** The characters of INTERNED's keys (a set is about as large as its text), bounded too. */
let internedChars = 0;
const MAX_INTERNED_CHARS = 8 << 20;

/** The set with `vs`'s fields that other objects' entries share, made the one when none does. */
function interned(vs: VersionedSet): FieldSet {
  // The text the entry's JSON is written with (kept per tree), not another serialisation of the set.
  const key = treeText(fieldsV1Object(vs.set));
  const set = INTERNED.get(key);
  if (set) return set;
  if (INTERNED.size >= MAX_INTERNED || internedChars + key.length > MAX_INTERNED_CHARS) {
    INTERNED.clear();
    internedChars = 0;
  }
  INTERNED.set(key, vs.set);
  internedChars += key.length;
  return vs.set;
}

/**
 * encodeManagedFields: sets to metadata.managedFields, sorted as kube sorts them (operation, time, manager,
 * apiVersion, subresource). A set equal to one another object's entry holds is replaced, in `managed.fields`,
 * by that one (the same fields: a decoded list's sets may be shared, and stay what they were).
 */
export function encodeManagedFields(managed: DecodedManagedFields): ManagedFieldsEntry[] {
  const out: Array<{ e: ManagedFieldsEntry; s: number }> = [];
  for (let [id, vs] of managed.fields) {
    const t = managed.times.get(id);
    let last = ENTRIES.get(vs.set);
    if (!last) {
      const set = interned(vs);
      if (set !== vs.set) {
        vs = { ...vs, set };
        managed.fields.set(id, vs);
        last = ENTRIES.get(set);
      }
    }
    if (last && last.id === id && last.time === t && last.applied === vs.applied && last.apiVersion === vs.apiVersion) {
      out.push({ e: last.e, s: seconds(t) });
      continue;
    }
    const who = identity(id);
    const e: ManagedFieldsEntry = {
      manager: who.manager,
      operation: vs.applied ? 'Apply' : (who.operation ?? 'Update'),
      apiVersion: vs.apiVersion,
    };
    if (!e.manager) delete e.manager;
    if (t) e.time = t;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = fieldsV1Object(vs.set);
    if (who.subresource) e.subresource = who.subresource;
    ENTRIES.set(vs.set, { id, time: t, applied: vs.applied, apiVersion: vs.apiVersion, e });
    out.push({ e, s: seconds(e.time) });
  }
  if (out.length > 1) out.sort(({ e: p, s: ps }, { e: q, s: qs }) => compareEntries(p, ps, q, qs));
  return out.map((x) => x.e);
}

/** kube's managed fields order: operation, time (whole seconds), manager, apiVersion, subresource. */
function compareEntries(p: ManagedFieldsEntry, ps: number, q: ManagedFieldsEntry, qs: number): number {
  return (
    compareText(p.operation, q.operation) ||
    ps - qs ||
    compareText(p.manager, q.manager) ||
    compareText(p.apiVersion, q.apiVersion) ||
    compareText(p.subresource, q.subresource)
  );
}

/**
 * What encodeManagedFields gives for `list` (entries it made, in its order) when only the Update manager `writer`
 * (its identifier, identity's fields and set) wrote, at `time`, without moving any field: `list` itself when that
 * manager's entry has that time already; else the same entries in a new array, that manager's made again with the
 * new time (`retime` makes it), in kube's order. Undefined when the list has no entry of that manager with a time.
 */
export function retimedEntries(
  list: readonly ManagedFieldsEntry[],
  writer: { id: string; manager: string; apiVersion: string; subresource?: string; set: FieldSet },
  time: string,
  retime: (e: ManagedFieldsEntry, time: string) => ManagedFieldsEntry,
): readonly ManagedFieldsEntry[] | undefined {
  // As encodeManagedFields writes them: no empty manager or subresource.
  const manager = writer.manager || undefined;
  const subresource = writer.subresource || undefined;
  let at = -1;
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (e.operation === 'Update' && e.manager === manager && e.apiVersion === writer.apiVersion && e.subresource === subresource) {
      at = i;
      break;
    }
  }
  if (at < 0) return undefined;
  const old = list[at];
  if (old.time === undefined) return undefined;
  if (old.time === time) return list;
  const out = list.slice();
  // The entry made last for these fields, when it is this manager's at this time (objects written by the same
  // manager in the same second share it), else a new one.
  const last = ENTRIES.get(writer.set);
  let e: ManagedFieldsEntry;
  if (last && last.id === writer.id && last.time === time && !last.applied && last.apiVersion === writer.apiVersion) e = last.e;
  else {
    e = retime(old, time);
    ENTRIES.set(writer.set, { id: writer.id, time, applied: false, apiVersion: writer.apiVersion, e });
  }
  // The list was in order and only this entry's time moved: it moves past its neighbours that now sort
  // before (later) or after (earlier) it.
  const s = seconds(time);
  while (at + 1 < out.length && compareEntries(out[at + 1], seconds(out[at + 1].time), e, s) < 0) {
    out[at] = out[at + 1];
    at++;
  }
  while (at > 0 && compareEntries(e, s, out[at - 1], seconds(out[at - 1].time)) < 0) {
    out[at] = out[at - 1];
    at--;
  }
  out[at] = e;
  return out;
}

const META_STRIPPED = [
  'name',
  'namespace',
  'creationTimestamp',
  'selfLink',
  'uid',
  'clusterName',
  'generation',
  'managedFields',
  'resourceVersion',
];

/**
 * The fields kube never records as managed (managedfields' stripMetaManager): apiVersion,
 * kind, metadata itself, and the server-owned or identifying metadata fields.
 */
export const STRIPPED_FIELDS: FieldSet = FieldSet.of(
  [fieldElement('apiVersion')],
  [fieldElement('kind')],
  [fieldElement('metadata')],
  ...META_STRIPPED.map((f) => [fieldElement('metadata'), fieldElement(f)]),
);

export interface FieldManagerOptions {
  /**
   * Fields no manager may own here (a strategy's reset fields: `status` on a main resource): removed
   * from a writer's set with everything under them (fieldpath.Set.RecursiveDifference).
   */
  ignored?: FieldSet;
}

function cloneManaged(m: ManagedFields): ManagedFields {
  return new Map([...m].map(([k, v]) => [k, { ...v }]));
}

const without = (s: FieldSet, ignored: FieldSet | undefined): FieldSet => (ignored ? s.recursiveDifference(ignored) : s);

/** A write's changes as the managers see them: what it changed or added, and what it removed (less the ignored fields). */
interface Changes {
  c: ReturnType<typeof compare>;
  changed: FieldSet;
  removed: FieldSet;
}

function changes(live: unknown, next: unknown, type: TypeNode, opts: FieldManagerOptions): Changes {
  const c = compare(live, next, type);
  return { c, changed: without(c.modified.union(c.added), opts.ignored), removed: without(c.removed, opts.ignored) };
}

/**
 * Updater.update: drops from other managers what changed (conflicts when not forced) and what was removed.
 * `managed` is not changed: the managers come back as a copy when someone lost a field, else as `managed` itself.
 */
function updateOwnership({ changed, removed }: Changes, managed: ManagedFields, workflow: string, force: boolean): ManagedFields {
  const conflicts = new Map<string, FieldSet>();
  for (const [id, vs] of managed) {
    if (id === workflow || !vs.set.intersects(changed)) continue;
    conflicts.set(id, vs.set.intersection(changed));
  }
  if (!force && conflicts.size > 0) {
    const list: Conflict[] = [];
    for (const id of [...conflicts.keys()].sort()) for (const p of conflicts.get(id)!.paths()) list.push({ manager: id, path: p });
    throw new ApplyConflicts(list);
  }
  let managers = managed;
  for (const [id, vs] of managed) {
    if (id === workflow) continue;
    let s = vs.set;
    const lost = conflicts.get(id);
    if (lost) s = s.difference(lost);
    // Only a set that loses something is replaced: an unchanged set keeps its instance (and its cached encoding).
    if (!removed.empty() && removed.intersects(s)) s = s.difference(removed);
    if (s === vs.set) continue;
    if (managers === managed) managers = cloneManaged(managed);
    if (s.empty()) managers.delete(id);
    else managers.set(id, { ...vs, set: s });
  }
  return managers;
}

export interface UpdateResult {
  managed: ManagedFields;
  /** Whether the writer took any field (kube then stamps its entry's time). */
  took: boolean;
}

/**
 * A non-apply write as kube's managedFieldsUpdater over Updater.Update records it: the write's own
 * fields (added or changed, less `stripped` and the ignored ones) are taken from every other manager
 * and joined to what `manager` (an Update identifier) already owned; removed fields leave every
 * manager. Nothing changes for the writer when it took nothing.
 */
export function updateOperation(
  live: unknown,
  next: unknown,
  manager: string,
  apiVersion: string,
  managed: ManagedFields,
  type: TypeNode,
  opts: FieldManagerOptions & { stripped?: FieldSet } = {},
): UpdateResult {
  const ch = changes(live, next, type, opts);
  // Every other manager loses what the write changed or removed.
  let managers = updateOwnership(ch, managed, manager, true);
  let set = ch.changed;
  if (opts.stripped) set = set.difference(opts.stripped);
  // The writer keeps what it owned, less what it removed (and what it changed that is never owned), joined
  // with what it wrote now. Changing only its own fields, it keeps its set: the same instance, whose entry and
  // encoding are reused; and the managers are `managed` itself when no one lost anything either.
  const previous = managed.get(manager);
  let kept = previous?.set;
  if (kept && !ch.removed.empty() && ch.removed.intersects(kept)) kept = kept.difference(ch.removed);
  if (kept && opts.stripped && ch.changed.intersects(opts.stripped)) kept = kept.difference(ch.changed.intersection(opts.stripped));
  const joined = set.empty() ? kept : kept ? (set.isSubsetOf(kept) ? kept : set.union(kept)) : set;
  const unchanged = previous ? joined === previous.set && previous.apiVersion === apiVersion && !previous.applied : joined === undefined;
  if (!unchanged) {
    if (managers === managed) managers = cloneManaged(managed);
    if (!joined || joined.empty()) managers.delete(manager);
    else managers.set(manager, { set: joined, apiVersion, applied: false });
  }
  return { managed: managers, took: !set.empty() };
}

/** Updater.Update: as updateOperation, returning the managers alone. */
export function update(...args: Parameters<typeof updateOperation>): ManagedFields {
  return updateOperation(...args).managed;
}

export interface ApplyResult {
  /** The merged object (the live object itself when the apply changes nothing). */
  object: unknown;
  managed: ManagedFields;
  /** The apply changed nothing in the object (kube then leaves the applier's time as it was). */
  noop: boolean;
}

/**
 * Updater.Apply: merges `config` into `live` by the schema, makes `manager` (an Apply
 * identifier) own exactly the configuration's fields, removes what it applied before and
 * no longer applies unless someone else owns it, and takes fields from other managers
 * only with `force` (ApplyConflicts otherwise). Throws TypedValueError for a configuration
 * that does not fit the schema (duplicate keys, undeclared fields).
 */
export function apply(
  live: unknown,
  config: unknown,
  manager: string,
  apiVersion: string,
  managed: ManagedFields,
  force: boolean,
  type: TypeNode,
  opts: FieldManagerOptions & { stripped?: FieldSet } = {},
): ApplyResult {
  validateConfig(config, type);
  let managers = cloneManaged(managed);
  let next = merge(live, config, type);
  const last = managers.get(manager);
  const set = without(toFieldSet(config, type), opts.ignored);
  managers.set(manager, { set, apiVersion, applied: true });
  next = prune(next, managers, last, type);
  managers = updateOwnership(changes(live, next, type, opts), managers, manager, force);
  // stripMetaManager: the metadata never owned leaves the applier's set once the merge is done (the
  // prune needs the configuration's identifying fields as owned, or it would drop metadata whole).
  if (opts.stripped) managers.set(manager, { set: set.difference(opts.stripped), apiVersion, applied: true });
  if (managers.get(manager)?.set.empty()) managers.delete(manager);
  const noop = live !== undefined && equalValues(live, next);
  return { object: noop ? live : next, managed: managers, noop };
}

/**
 * Updater.prune: removes a field, list or map item when the applier applied it last time,
 * does not apply it now, and no other manager owns it (updaters' fields and fields nobody
 * owns stay).
 */
function prune(merged: unknown, managers: ManagedFields, last: VersionedSet | undefined, type: TypeNode): unknown {
  if (!last || last.set.empty()) return merged;
  const named = (s: FieldSet): FieldSet => ensureNamedFieldsAreMembers(s, type);
  const lastSet = named(last.set);
  let pruned = removeItems(merged, lastSet, type);
  // Add back what any manager (the applier's new configuration included) owns.
  let owned = new FieldSet();
  for (const vs of managers.values()) owned = owned.union(vs.set);
  const mergedSet = named(toFieldSet(merged, type));
  pruned = removeItems(merged, mergedSet.difference(named(toFieldSet(pruned, type)).union(named(owned))), type);
  // Add back what the applier did not own before (dangling items).
  return removeItems(merged, mergedSet.difference(named(toFieldSet(pruned, type))).intersection(lastSet), type);
}
