// What the generators of committed data share: the repository root, their command line, the Go
// package walk of k8s.io/api and apimachinery, and writing a JSON file in the repository's format.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));

/** `<positional...> [--flag value]...`; prints `usage` and exits 2 unless there are `count` positionals. */
export function parseCommandLine(argv, count, usage) {
  const positional = [];
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) flags[a.slice(2)] = argv[++i];
    else positional.push(a);
  }
  if (positional.length !== count) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  return { positional, flags };
}

/** The generators that read k8s.io/api and k8s.io/apimachinery checkouts: `<script> <api dir> <apimachinery dir>`. */
export function kubeSourceArgs(script, defaultOut) {
  const { positional, flags } = parseCommandLine(
    process.argv.slice(2),
    2,
    `${script} <k8s.io/api dir> <k8s.io/apimachinery dir> [--api-version v] [--apimachinery-version v] [--out file]`,
  );
  return {
    apiDir: positional[0],
    machineryDir: positional[1],
    apiVersion: flags['api-version'] ?? 'v0.32.0',
    machineryVersion: flags['apimachinery-version'] ?? 'v0.32.0',
    out: flags.out ?? path.join(root, defaultOut),
  };
}

/** Writes `value` as JSON, formatted by the repository's Biome when it is installed (as `npm run lint` expects). */
export function writeFormattedJSON(out, value) {
  writeFileSync(out, `${JSON.stringify(value)}\n`);
  formatWithBiome(out);
}

/** JSON with every character beyond ASCII escaped: the file is read as one byte a character (src/server/api/generated-json.ts). */
export const asciiJSON = (v) => JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * An indexed table (src/server/api/generated-json.ts lazyIndexedTable reads it): one JSON array whose first line is
 * `header` with `rows: { <key>: [offset, length] }`, then one row a line, at offsets counted from the second line. A
 * reader parses the header and the rows it asks for, not the whole file.
 */
export function formatIndexedTable(header, rows) {
  const index = {};
  let text = '';
  const keys = Object.keys(rows);
  keys.forEach((key, i) => {
    const row = asciiJSON(rows[key]);
    index[key] = [text.length, row.length];
    text += row + (i < keys.length - 1 ? ',\n' : ']\n');
  });
  return `[${asciiJSON({ ...header, rows: index })},\n${text}`;
}

/** Formats a written file with the repository's Biome, when it is installed. */
export function formatWithBiome(out) {
  const biome = path.join(root, 'node_modules/.bin/biome');
  if (existsSync(biome)) execFileSync(biome, ['format', '--write', out], { stdio: 'ignore' });
}

/** Every directory under `dir` holding Go files (k8s.io/api: `<group>/<version>`). */
export function goPackageDirs(dir) {
  const out = [];
  const walk = (d) => {
    const entries = readdirSync(d);
    if (entries.some((e) => e.endsWith('.go'))) out.push(d);
    for (const e of entries) {
      const p = path.join(d, e);
      if (e !== 'testdata' && !e.startsWith('.') && statSync(p).isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** Go import path -> OpenAPI definition prefix, as kube-openapi names definitions (reversed domain). */
export function definitionPrefix(importPath) {
  const [domain, ...rest] = importPath.split('/');
  return [...domain.split('.').reverse(), ...rest].join('.');
}

export function addImport(map, spec) {
  const m = /^(?:(\w+|_|\.)\s+)?"([^"]+)"/.exec(spec.trim());
  if (!m) return;
  map.set(m[1] ?? m[2].split('/').pop(), m[2]);
}
