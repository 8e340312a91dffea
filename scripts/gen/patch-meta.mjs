#!/usr/bin/env node
// Generates src/server/schema/builtin/patch-meta.json: the built-in types' patch metadata, read from
// the Go API types the way kube reads it.
//
//   node scripts/gen/patch-meta.mjs <k8s.io/api dir> <k8s.io/apimachinery dir> \
//     [--api-version v0.32.0] [--apimachinery-version v0.32.0] [--out <file>]
//
// Two sources, as in kube:
// - struct tags (`patchStrategy:"merge" patchMergeKey:"name"`) are what the API server's strategic
//   merge patch reads (strategicpatch.PatchMetaFromStruct through the forked encoding/json);
// - comment markers (`+patchStrategy`, `+patchMergeKey`, `+listType`, `+listMapKey`, `+mapType`,
//   `+structType`) are what kube-openapi's generator turns into `x-kubernetes-*` extensions of the
//   published OpenAPI (member markers on the property, type markers on the definition).
// The two agree almost everywhere; where they differ both are recorded (`openapi` on the field).
//
// Only what is needed is kept: definitions with a field or type marker, and the struct-typed
// fields (`ref`) that lead to them, so a patch can walk from a kind's root definition down to
// every list with a merge key. Definitions are keyed by OpenAPI definition name
// (`io.k8s.api.core.v1.PodSpec`, `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`).

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { addImport, definitionPrefix, formatIndexedTable, goPackageDirs, kubeSourceArgs } from './lib.mjs';

/** Go source files of one package that declare API types (no tests, no generated code). */
function packageFiles(dir) {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.go') && !f.endsWith('_test.go') && !f.startsWith('zz_generated') && !f.includes('generated'))
    .map((f) => path.join(dir, f));
}

/** `+key=value` comment markers, in order (gengo's ExtractCommentTags). */
function markers(comments) {
  const out = {};
  for (const line of comments) {
    const m = /^\+([A-Za-z][\w:.-]*)(?:=(.*))?$/.exec(line.trim());
    if (m) (out[m[1]] ??= []).push((m[2] ?? '').trim());
  }
  return out;
}

/** A struct tag's value for `key` (reflect.StructTag.Get). */
function tagValue(tag, key) {
  const m = new RegExp(`(?:^|\\s)${key}:"((?:[^"\\\\]|\\\\.)*)"`).exec(tag ?? '');
  return m ? m[1] : undefined;
}

/**
 * The declarations of one package: named types with their doc comments; struct members with
 * name, Go type, tag and doc comment. A line scanner is enough for the API packages' gofmt'd
 * source: no grouped `type (...)` blocks, no anonymous struct members.
 */
function parsePackage(importPath, files) {
  const types = new Map();
  const imports = new Map();
  for (const file of files) {
    const src = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    const lines = src.split('\n');
    const fileImports = new Map();
    let comments = [];
    let struct = null;
    let inImports = false;
    for (const raw of lines) {
      const line = raw.trim();
      if (inImports) {
        if (line === ')') inImports = false;
        else addImport(fileImports, line);
        continue;
      }
      if (line.startsWith('import (')) {
        inImports = true;
        continue;
      }
      if (line.startsWith('import ')) {
        addImport(fileImports, line.slice(7));
        continue;
      }
      if (line.startsWith('//')) {
        comments.push(line.replace(/^\/\/\s?/, ''));
        continue;
      }
      if (line === '') {
        comments = [];
        continue;
      }
      if (struct) {
        if (line === '}') {
          struct = null;
          comments = [];
          continue;
        }
        const m = /^(?:(\w+)\s+)?([^`\s][^`]*?)\s*(?:`([^`]*)`)?\s*(?:\/\/.*)?$/.exec(line);
        if (m) {
          const embedded = m[1] === undefined;
          struct.members.push({
            name: m[1] ?? m[2].replace(/^\*/, '').replace(/^.*\./, ''),
            type: m[2].trim(),
            tag: m[3],
            embedded,
            comments,
          });
        }
        comments = [];
        continue;
      }
      const t = /^type\s+(\w+)\s+(=\s*)?(.+?)\s*$/.exec(line);
      if (t) {
        const [, name, alias, rest] = t;
        if (/^struct\s*\{\s*\}$/.test(rest)) types.set(name, { kind: 'struct', members: [], comments, imports: fileImports });
        else if (/^struct\s*\{$/.test(rest)) {
          struct = { kind: 'struct', members: [], comments, imports: fileImports };
          types.set(name, struct);
        } else types.set(name, { kind: alias ? 'alias' : 'named', type: rest, comments, imports: fileImports });
      }
      comments = [];
    }
  }
  return { importPath, types, imports };
}

/** The Go type expression reduced to its element: pointers, slices and arrays unwrapped. */
function elementOf(expr) {
  let e = expr.trim();
  for (;;) {
    if (e.startsWith('*')) e = e.slice(1);
    else if (/^\[\d*\]/.test(e)) e = e.replace(/^\[\d*\]/, '');
    else return e;
  }
}

const packageOf = (def) => def.slice(0, def.lastIndexOf('.'));

function main() {
  const args = kubeSourceArgs('patch-meta.mjs', 'src/server/schema/builtin/patch-meta.json');
  /** import path -> parsed package */
  const packages = new Map();
  for (const dir of goPackageDirs(args.apiDir)) {
    const rel = path.relative(args.apiDir, dir).split(path.sep).join('/');
    const importPath = `k8s.io/api/${rel}`;
    const files = packageFiles(dir);
    if (files.length) packages.set(importPath, parsePackage(importPath, files));
  }
  for (const rel of ['pkg/apis/meta/v1', 'pkg/runtime']) {
    const dir = path.join(args.machineryDir, rel);
    packages.set(`k8s.io/apimachinery/${rel}`, parsePackage(`k8s.io/apimachinery/${rel}`, packageFiles(dir)));
  }

  /** Resolves a type expression in a package to a struct's definition name, following named types and aliases. */
  const resolveStruct = (pkg, decl, expr, seen = 0) => {
    if (seen > 10) return undefined;
    const e = elementOf(expr);
    if (e.startsWith('map[')) return undefined;
    let target = pkg;
    let name = e;
    const dot = e.indexOf('.');
    if (dot > 0) {
      const importPath = decl.imports.get(e.slice(0, dot));
      target = importPath ? packages.get(importPath) : undefined;
      name = e.slice(dot + 1);
    }
    const t = target?.types.get(name);
    if (!t) return undefined;
    if (t.kind === 'struct') return { pkg: target, name, def: `${definitionPrefix(target.importPath)}.${name}`, decl: t };
    // Named slices and aliases lead on to their element type.
    return resolveStruct(target, t, t.type, seen + 1);
  };

  /** definition name -> { fields: json name -> entry, markers } for every struct of every package. */
  const all = new Map();
  for (const pkg of packages.values()) {
    for (const [name, decl] of pkg.types) {
      if (decl.kind !== 'struct') continue;
      all.set(`${definitionPrefix(pkg.importPath)}.${name}`, { pkg, name, decl });
    }
  }

  const structMarkers = (decl) => {
    const m = markers(decl.comments);
    const out = {};
    if (m.structType) out.mapType = m.structType[0];
    else if (m.mapType) out.mapType = m.mapType[0];
    if (m.listType) out.listType = m.listType[0];
    return out;
  };

  /** JSON fields of a struct, embedded structs flattened as encoding/json does. */
  const fieldsOf = (pkg, decl, depth = 0) => {
    const out = [];
    for (const mem of decl.members) {
      const json = tagValue(mem.tag, 'json');
      const jsonName = json?.split(',')[0];
      if (jsonName === '-') continue;
      if (mem.embedded && !jsonName) {
        const inner = resolveStruct(pkg, decl, mem.type);
        if (inner && depth < 5) out.push(...fieldsOf(inner.pkg, inner.decl, depth + 1));
        continue;
      }
      out.push({ jsonName: jsonName || mem.name, mem, pkg, decl });
    }
    return out;
  };

  const differences = [];
  const defaults = new Map();
  const defs = new Map();
  for (const [defName, { pkg, decl }] of all) {
    const fields = {};
    for (const { jsonName, mem, pkg: fpkg, decl: fdecl } of fieldsOf(pkg, decl)) {
      const entry = {};
      const ref = resolveStruct(fpkg, fdecl, mem.type);
      if (ref) entry.ref = ref.def;
      const ps = tagValue(mem.tag, 'patchStrategy');
      const pmk = tagValue(mem.tag, 'patchMergeKey');
      if (ps) entry.patchStrategy = ps;
      if (pmk) entry.patchMergeKey = pmk;
      const m = markers(mem.comments);
      if (m.listType) entry.listType = m.listType[0];
      if (m.listMapKey) entry.listMapKeys = m.listMapKey;
      if (m.mapType) entry.mapType = m.mapType[0];
      else if (m.structType) entry.mapType = m.structType[0];
      // `+default=<JSON>` (not `ref(...)`): kept below for list map keys, which server-side apply fills in.
      if (m.default && !m.default[0].startsWith('ref(')) {
        try {
          defaults.set(`${defName}.${jsonName}`, JSON.parse(m.default[0]));
        } catch {
          // A marker that is not a JSON literal is not a key default.
        }
      }
      // kube-openapi publishes the comment markers; the server patches by the struct tags.
      const openapi = {};
      if ((m.patchStrategy?.[0] ?? undefined) !== ps) openapi.patchStrategy = m.patchStrategy?.[0] ?? null;
      if ((m.patchMergeKey?.[0] ?? undefined) !== pmk) openapi.patchMergeKey = m.patchMergeKey?.[0] ?? null;
      if (Object.keys(openapi).length) {
        entry.openapi = openapi;
        differences.push(`${defName}.${jsonName}: tags ${JSON.stringify({ ps, pmk })} markers ${JSON.stringify(openapi)}`);
      }
      fields[jsonName] = entry;
    }
    defs.set(defName, { fields, markers: structMarkers(decl) });
  }

  // A list map key's default (ContainerPort.protocol "TCP"), published as kube-openapi does and used by
  // server-side apply for an item that omits the key (structured-merge-diff's getAssociativeKeyDefault).
  for (const d of defs.values()) {
    for (const f of Object.values(d.fields)) {
      if (!f.listMapKeys || !f.ref) continue;
      const item = defs.get(f.ref);
      for (const key of f.listMapKeys) {
        const k = `${f.ref}.${key}`;
        if (item?.fields[key] && defaults.has(k)) item.fields[key].default = defaults.get(k);
      }
    }
  }

  // Keep every definition with metadata; struct edges (`ref`) only where they lead to a list or map
  // the server patches by its tags (patchStrategy, patchMergeKey), the only metadata a walk needs.
  const hasMeta = (f) => Object.keys(f).some((k) => k !== 'ref');
  const patchesByTag = (f) => f.patchStrategy !== undefined || f.patchMergeKey !== undefined;
  const walk = new Set();
  for (const [name, d] of defs) if (Object.values(d.fields).some(patchesByTag)) walk.add(name);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, d] of defs) {
      if (walk.has(name)) continue;
      if (Object.values(d.fields).some((f) => f.ref && walk.has(f.ref))) {
        walk.add(name);
        changed = true;
      }
    }
  }
  const needed = new Set(walk);
  for (const [name, d] of defs) if (Object.keys(d.markers).length || Object.values(d.fields).some(hasMeta)) needed.add(name);

  const definitions = {};
  for (const name of [...needed].sort()) {
    const d = defs.get(name);
    const fields = {};
    for (const [jsonName, f] of Object.entries(d.fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const edge = f.ref !== undefined && walk.has(f.ref);
      if (!hasMeta(f) && !edge) continue;
      const { ref, ...rest } = f;
      // A ref inside the definition's own package is its bare type name.
      fields[jsonName] = edge
        ? { ref: ref.startsWith(`${packageOf(name)}.`) ? ref.slice(packageOf(name).length + 1) : ref, ...rest }
        : rest;
    }
    const out = {};
    if (Object.keys(fields).length) out.fields = fields;
    Object.assign(out, d.markers);
    definitions[name] = out;
  }

  // Each kind's zero value as Go's encoding/json writes it (the object server-side apply compares a create
  // against, kube's `creater.New(kind)`): struct fields always (omitempty never drops a struct), pointers,
  // slices and maps as null unless omitempty, times as null; scalars left out (they own no `.` either way).
  const SCALAR_STRUCTS = new Set(['Quantity', 'IntOrString', 'Duration', 'RawExtension', 'FieldsV1']);
  const NULL_STRUCTS = new Set(['Time', 'MicroTime']);
  const zeroOf = (pkg, decl, depth = 0) => {
    const out = {};
    if (depth > 20) return out;
    for (const { jsonName, mem, pkg: fpkg, decl: fdecl } of fieldsOf(pkg, decl)) {
      const json = tagValue(mem.tag, 'json') ?? '';
      if (!json || jsonName === 'apiVersion' || jsonName === 'kind') continue;
      const omitempty = json.split(',').includes('omitempty');
      const t = mem.type.trim();
      if (t.startsWith('*') || t.startsWith('[]') || t.startsWith('map[')) {
        if (!omitempty) out[jsonName] = null;
        continue;
      }
      const name = t.replace(/^.*\./, '');
      if (NULL_STRUCTS.has(name)) {
        out[jsonName] = null;
        continue;
      }
      if (SCALAR_STRUCTS.has(name)) continue;
      const ref = resolveStruct(fpkg, fdecl, t);
      if (ref && ref.decl.kind === 'struct' && !/^[a-z]/.test(name)) out[jsonName] = zeroOf(ref.pkg, ref.decl, depth + 1);
    }
    return out;
  };
  const zero = {};
  for (const [name, { pkg, decl }] of [...all].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const names = new Set(fieldsOf(pkg, decl).map((f) => f.jsonName));
    if (names.has('apiVersion') && names.has('kind') && names.has('metadata') && !name.endsWith('List')) zero[name] = zeroOf(pkg, decl);
  }

  const source = { 'k8s.io/api': args.apiVersion, 'k8s.io/apimachinery': args.machineryVersion, generator: 'scripts/gen/patch-meta.mjs' };
  // An indexed table: a definition a row (read when first looked up), the kinds' zero values in the header.
  writeFileSync(args.out, formatIndexedTable({ source, zero }, definitions));
  console.log(`${Object.keys(definitions).length} definitions of ${defs.size} structs -> ${path.relative(process.cwd(), args.out)}`);
  if (differences.length) console.log(`struct tags and comment markers differ on:\n  ${differences.join('\n  ')}`);
}

main();
