// JSON of objects that carry metadata.managedFields, without writing the list out again
// each time. A tracked object's managedFields is often most of its text (a FieldsV1 tree per
// manager), and the same list is written for storage, for the answer and for every update
// that moves no field between managers; an update that does keeps the other managers'
// entries. The field manager seals each list it makes: the list and its entries are frozen
// (their FieldsV1 trees are shared per field set and never edited either), and each carries
// its own text, made once, in a property JSON does not see. A list's text is its entries'
// texts concatenated (a rope of them, not a copy: a list remade for a new time costs a few
// words more than its entry), and lists are shared across objects (registry/fieldmanager.ts).
//
// The texts are properties rather than entries of a weak table: a write makes a list and an
// entry, and a weak table's entries cost the collector far more than properties (measured:
// an entry remade with its text in a WeakMap 1.7 µs, as a property 0.4 µs).

import { randomBytes } from 'node:crypto';

/** A sealed entry's or list's JSON: non-enumerable, so a copy (`{ ...entry }`) never carries a text that is not its own. */
const TEXT = Symbol('managedFields JSON');

type Sealed = { readonly [TEXT]?: string };

/**
 * Stands for a sealed list while the rest of the object is written. Its nonce is this process's and
 * never appears in any output, so no client value can hold it: its one occurrence is the list's place.
 */
const PLACEHOLDER = `\u0000managedFields-${randomBytes(12).toString('hex')}`;
const QUOTED = JSON.stringify(PLACEHOLDER);

/** The text of an entry or list sealed here: frozen, so no member changed since. */
function textOf(v: unknown): string | undefined {
  return typeof v === 'object' && v !== null && Object.isFrozen(v) ? (v as Sealed)[TEXT] : undefined;
}

function withText<T extends object>(v: T, text: string): T {
  Object.defineProperty(v, TEXT, { value: text });
  return Object.freeze(v);
}

/** Marks a list the field manager made as final: the list and its entries frozen, each with its JSON. */
export function sealManagedFields<T extends object>(list: T[]): T[] {
  if (Object.isFrozen(list)) return list;
  // Concatenated, not joined: the result refers to the entries' texts instead of copying them.
  let out = '[';
  for (const e of list) {
    // Entries kept from the list before are sealed already.
    let t = textOf(e);
    if (t === undefined) {
      t = entryText(e as Record<string, unknown>);
      if (!Object.isFrozen(e)) withText(e, t);
    }
    out = out === '[' ? out + t : `${out},${t}`;
  }
  return withText(list, `${out}]`);
}

/**
 * `entry` (an entry of a sealed list) again with another `time`, sealed, its text made from the entry's own: the
 * one member that moves when a manager writes only fields it already owns.
 */
export function withTime<T extends { time?: string }>(entry: T, time: string): T {
  const out = { ...entry, time };
  const t = textOf(entry);
  // The entry's first `"time":` is its own member: before fieldsV1 among its keys, and no JSON string holds
  // an unescaped quote. RFC 3339 times need no escaping.
  const from = entry.time === undefined ? undefined : `"time":${JSON.stringify(entry.time)}`;
  const at = t === undefined || from === undefined ? -1 : t.indexOf(from);
  // Joined, not concatenated: one flat string, where a concatenation keeps its parts (what a write keeps a while
  // is what the collector copies, and each part is one more object).
  const text = at < 0 ? entryText(out) : [t!.slice(0, at), '"time":', JSON.stringify(time), t!.slice(at + from!.length)].join('');
  return withText(out, text);
}

/** A sealed list's JSON (undefined for any other value). */
export function sealedText(list: unknown): string | undefined {
  return Array.isArray(list) ? textOf(list) : undefined;
}

/** JSON.stringify(value), with a sealed metadata.managedFields list written from its text. */
export function stringifyObject(value: unknown): string {
  const m = (value as { metadata?: unknown } | null)?.metadata as Record<string, unknown> | undefined;
  const list = m?.managedFields;
  const text = Array.isArray(list) ? textOf(list) : undefined;
  if (text === undefined || typeof m !== 'object' || Object.isFrozen(m)) return JSON.stringify(value);
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
  return at < 0 ? undefined : [json.slice(0, at), text, json.slice(at + QUOTED.length)].join('');
}

/** FieldsV1 trees' JSON: a tree is shared by every entry made for the same field set, across writes. */
const TREE_TEXT = new WeakMap<object, string>();

/** JSON.stringify(tree) of a FieldsV1 tree (never changed once made), made once per tree. */
export function treeText(tree: object): string {
  let text = TREE_TEXT.get(tree);
  if (text === undefined) {
    text = JSON.stringify(tree);
    TREE_TEXT.set(tree, text);
  }
  return text;
}

/**
 * JSON.stringify(entry), its FieldsV1 tree's text kept per tree: the entry written once with a placeholder for
 * the tree, which is spliced in. One JSON.stringify call, where writing the entry member by member takes one per
 * key and value, a dozen per entry.
 */
function entryText(e: Record<string, unknown>): string {
  if (typeof e !== 'object' || e === null) return JSON.stringify(e);
  const v = e.fieldsV1;
  if (typeof v !== 'object' || v === null || typeof e.toJSON === 'function') return JSON.stringify(e);
  // The spread keeps fieldsV1 in its place among the keys.
  return spliced(JSON.stringify({ ...e, fieldsV1: PLACEHOLDER }), treeText(v)) ?? JSON.stringify(e);
}
