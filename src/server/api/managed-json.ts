// JSON of objects that carry metadata.managedFields, without writing the list out again
// each time. A tracked object's managedFields is often most of its text (a FieldsV1 tree per
// manager), and the same list is written for storage, for the answer and for every update
// that moves no field between managers; an update that does keeps the other managers'
// entries. The field manager seals each list it makes: the list and its entries are frozen
// (their FieldsV1 trees are shared per field set and never edited either), so the text of
// each entry, made once, stays true. A list's text is its entries' texts joined, made when
// written: kept, it stayed on the heap with every version the watch cache holds.

import { randomBytes } from 'node:crypto';

const SEALED = new WeakSet<readonly unknown[]>();

/**
 * Stands for a sealed list while the rest of the object is written. Its nonce is this process's and
 * never appears in any output, so no client value can hold it: its one occurrence is the list's place.
 */
const PLACEHOLDER = `\u0000managedFields-${randomBytes(12).toString('hex')}`;
const QUOTED = JSON.stringify(PLACEHOLDER);

/** Marks a list the field manager made as final: frozen, its entries' JSON kept once written. */
export function sealManagedFields<T extends object>(list: T[]): T[] {
  // Entries kept from the list before are frozen already.
  for (const e of list) if (!Object.isFrozen(e)) Object.freeze(e);
  Object.freeze(list);
  SEALED.add(list);
  return list;
}

/** JSON.stringify(value), with a sealed metadata.managedFields list written from its kept text. */
export function stringifyObject(value: unknown): string {
  const m = (value as { metadata?: unknown } | null)?.metadata as Record<string, unknown> | undefined;
  const list = m?.managedFields as unknown[] | undefined;
  if (!Array.isArray(list) || typeof m !== 'object' || Object.isFrozen(m) || !SEALED.has(list)) return JSON.stringify(value);
  const text = listText(list);
  let s: string;
  m.managedFields = PLACEHOLDER;
  try {
    s = JSON.stringify(value);
  } finally {
    m.managedFields = list;
  }
  // Not there: the value was written some other way (a toJSON); then as JSON writes it.
  return spliced(s, text) ?? JSON.stringify(value);
}

/** `json` with the placeholder's one occurrence replaced by `text`; undefined when it is not there. */
function spliced(json: string, text: string): string | undefined {
  const at = json.indexOf(QUOTED);
  return at < 0 ? undefined : `${json.slice(0, at)}${text}${json.slice(at + QUOTED.length)}`;
}

/** Entries' and FieldsV1 trees' JSON: a write's new list mostly holds the entries of the one before. */
const PART_TEXT = new WeakMap<object, string>();

/** JSON.stringify(list) of a sealed list, from its entries' texts. */
function listText(list: readonly unknown[]): string {
  // Concatenated, not joined: the result refers to the entries' texts instead of copying them.
  let out = '[';
  for (const e of list) {
    if (typeof e !== 'object' || e === null) return JSON.stringify(list);
    let t = PART_TEXT.get(e);
    if (t === undefined) {
      t = entryText(e as Record<string, unknown>);
      PART_TEXT.set(e, t);
    }
    out = out === '[' ? out + t : `${out},${t}`;
  }
  return `${out}]`;
}

/**
 * JSON.stringify(entry), its FieldsV1 tree's text kept per tree (trees are shared per field set): the entry
 * written once with a placeholder for the tree, which is spliced in. One JSON.stringify call, where writing the
 * entry member by member takes one per key and value, a dozen per entry.
 */
function entryText(e: Record<string, unknown>): string {
  const v = e.fieldsV1;
  if (typeof v !== 'object' || v === null || typeof e.toJSON === 'function') return JSON.stringify(e);
  let tree = PART_TEXT.get(v);
  if (tree === undefined) {
    tree = JSON.stringify(v);
    PART_TEXT.set(v, tree);
  }
  // The spread keeps fieldsV1 in its place among the keys.
  return spliced(JSON.stringify({ ...e, fieldsV1: PLACEHOLDER }), tree) ?? JSON.stringify(e);
}
