// Generated data (scripts/gen/: patch metadata, protobuf messages, field docs) ships as JSON files beside
// the modules that read them and is read on first use: imported, a few hundred KB of object literals
// would be compiled by every process that loads the server, used or not.

import { isAscii } from 'node:buffer';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * A file's text. The generators write ASCII (anything beyond escaped), read one byte a character: a
 * fraction of decoding the megabyte of the models table as UTF-8, and a string half the size.
 */
export function readText(file: string): string {
  const bytes = readFileSync(file);
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/**
 * Reads `file` (`./x.json`, beside the module at `moduleUrl`) once, on the first call. In the CLI bundle
 * the module is part of a bundle in dist/cli-bundle/, so `bundlePath` (relative to it) names the compiled tree's copy.
 */
export function lazyJSON<T>(moduleUrl: string, file: string, bundlePath: string): () => T {
  let value: T | undefined;
  return () => {
    if (value === undefined) {
      const here = new URL(file, moduleUrl);
      const url = existsSync(here) ? here : new URL(bundlePath, moduleUrl);
      value = JSON.parse(readText(fileURLToPath(url))) as T;
    }
    return value;
  };
}

/** An indexed table (scripts/gen/models.mjs writes one): the header and each row parsed on first use. */
export interface IndexedTable<H, R> {
  header(): H;
  has(key: string): boolean;
  /** The row, parsed on each call (callers keep what they convert). */
  row(key: string): R | undefined;
}

/**
 * Reads an indexed table: one JSON array whose first line is `[{ ..., rows: { <key>: [offset, length] } },`
 * and whose rows follow, at offsets counted from the second line. Only the rows asked for are parsed.
 */
export function lazyIndexedTable<H extends { rows: Record<string, [number, number]> }, R>(
  moduleUrl: string,
  file: string,
  bundlePath: string,
): IndexedTable<H, R> {
  // The file's bytes when ASCII (as the generators write it: a row's text is its bytes, decoded alone), else its text.
  let bytes: Buffer | undefined;
  let text: string | undefined;
  let head: H | undefined;
  let base = 0;
  // The file as another tool wrote it again (tsc re-emits the JSON files it copies): parsed whole, rows by position.
  let whole: Map<string, R> | undefined;
  const slice = (from: number, to: number): string => (bytes ? bytes.toString('latin1', from, to) : text!.slice(from, to));
  const load = (): H => {
    if (head === undefined) {
      const here = new URL(file, moduleUrl);
      const read = readFileSync(fileURLToPath(existsSync(here) ? here : new URL(bundlePath, moduleUrl)));
      if (isAscii(read)) bytes = read;
      else text = read.toString('utf8');
      const nl = bytes ? bytes.indexOf(10) : text!.indexOf('\n');
      try {
        head = JSON.parse(slice(1, nl - 1)) as H;
        base = nl + 1;
        const first = Object.values(head.rows)[0];
        if (first) JSON.parse(slice(base + first[0], base + first[0] + first[1]));
      } catch {
        const [h, ...rows] = JSON.parse(bytes ? bytes.toString('latin1') : text!) as [H, ...R[]];
        head = h;
        whole = new Map(Object.keys(h.rows).map((k, i) => [k, rows[i]!]));
      }
    }
    return head;
  };
  return {
    header: load,
    has: (key) => Object.hasOwn(load().rows, key),
    row: (key) => {
      const at = Object.hasOwn(load().rows, key) ? head!.rows[key] : undefined;
      if (!at) return undefined;
      if (whole) return structuredClone(whole.get(key));
      return JSON.parse(slice(base + at[0], base + at[0] + at[1])) as R;
    },
  };
}
