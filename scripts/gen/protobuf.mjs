#!/usr/bin/env node
// Generates src/server/http/k8s-proto.json: the Kubernetes protobuf messages of the built-in kinds
// served, as a protobufjs JSON descriptor, read from the `generated.proto` files of k8s.io/api and
// k8s.io/apimachinery (the files go-to-protobuf writes and kube's protobuf serializer follows).
//
//   node scripts/gen/protobuf.mjs <k8s.io/api dir> <k8s.io/apimachinery dir> \
//     [--api-version v0.32.0] [--apimachinery-version v0.32.0] [--out <file>]
//
// Kept: every kind (a message with ObjectMeta or ListMeta `metadata`) of each group/version the
// catalog serves (its built rows, dist/server/registry/catalog.js: run `npm run build` first), meta/v1 DeleteOptions,
// the runtime.Unknown envelope, and every message those reach. Comments are dropped.
// `wrappers` lists the messages go-to-protobuf emits for a named slice type
// (`+protobuf.nullable=true`, e.g. certificates/v1 ExtraValue): JSON writes them as the bare list.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import protobuf from 'protobufjs';
import { kubeSourceArgs, root, writeFormattedJSON } from './lib.mjs';

/** Every `generated.proto` under `dir` (apimachinery's test API group left out). */
function protoFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) {
        if (name !== 'testapigroup') walk(p);
      } else if (name === 'generated.proto') out.push(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * The served group/versions and the client-node model names of their kinds, from the catalog itself
 * (the built tree: run `npm run build` first), so no row is missed however it is written.
 */
async function servedRows() {
  const catalog = path.join(root, 'dist/server/registry/catalog.js');
  if (!existsSync(catalog)) {
    console.error('protobuf.mjs reads the served rows from dist/: run `npm run build` first');
    process.exit(2);
  }
  const { BUILTIN_RESOURCES } = await import(pathToFileURL(catalog).href);
  const groupVersions = new Set();
  const models = new Set();
  for (const r of BUILTIN_RESOURCES) {
    groupVersions.add(`${r.descriptor.group}/${r.descriptor.version}`);
    for (const model of [r.model, ...(r.subresources ?? []).map((s) => s.model).filter(Boolean)]) {
      const m = /^(V\d+(?:(?:alpha|beta)\d+)?)([A-Z]\w*)$/.exec(model);
      if (m) models.add(`${m[1].toLowerCase()}/${m[2]}`);
    }
  }
  return { groupVersions: [...groupVersions].sort(), models: [...models].sort() };
}

/** k8s.io/api's package of a group/version: core for the legacy group, else the group's first label. */
function apiPackage(group, version) {
  return `k8s.io.api.${group === '' ? 'core' : group.split('.')[0]}.${version}`;
}

/**
 * What JSON does otherwise than protobuf, from the Go struct tags of a package's types, as
 * [struct, protobuf field name] pairs: `inline`, embedded structs JSON inlines (`json:",inline"`)
 * but protobuf keeps as a field (`volumeSource`, `ingressRuleValue`); `omitEmpty`, value-typed
 * `omitempty` fields, which Go's protobuf marshaller writes even at their zero value.
 */
function structFields(dir) {
  const inline = [];
  const omitEmpty = [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.go') && !f.endsWith('_test.go') && !f.includes('generated'));
  for (const file of files) {
    let struct;
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      const start = /^type (\w+) struct \{/.exec(line);
      if (start) struct = start[1];
      const m = /^\s+(\w+)\s+`json:",inline"(?: protobuf:"([^"]*)")?/.exec(line);
      if (struct && m?.[2]) inline.push([struct, /name=(\w+)/.exec(m[2])?.[1] ?? m[1][0].toLowerCase() + m[1].slice(1)]);
      const f = /^\s+\w+\s+(\S+)\s+`json:"[^"]*,omitempty[^"]*" protobuf:"[^"]*name=(\w+)/.exec(line);
      // A pointer set to its zero value is written; a value type at its zero value is omitted.
      if (struct && f && !f[1].startsWith('*')) omitEmpty.push([struct, f[2]]);
    }
  }
  return { inline, omitEmpty };
}

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

async function main() {
  const args = kubeSourceArgs('protobuf.mjs', 'src/server/http/k8s-proto.json');
  const full = new protobuf.Root();
  const wrappers = new Set();
  const groupNames = new Map();
  const packageDirs = new Map();
  for (const file of [...protoFiles(args.apiDir), ...protoFiles(path.join(args.machineryDir, 'pkg'))]) {
    const text = readFileSync(file, 'utf8');
    const parsed = protobuf.parse(text, full, { keepCase: true });
    // A package's API group is its register.go's `GroupName` ("" for the legacy core group).
    const register = path.join(path.dirname(file), 'register.go');
    const groupName = existsSync(register) ? /GroupName = "([^"]*)"/.exec(readFileSync(register, 'utf8')) : null;
    if (groupName && parsed.package.startsWith('k8s.io.api.')) groupNames.set(parsed.package.replace(/\.[^.]+$/, ''), groupName[1]);
    packageDirs.set(parsed.package, path.dirname(file));
    for (const m of text.matchAll(/\/\/ \+protobuf\.nullable=true\n(?:\/\/.*\n)*message (\w+) \{/g))
      wrappers.add(`${parsed.package}.${m[1]}`);
  }
  full.resolveAll();

  const isKind = (t) => t instanceof protobuf.Type && t.fields.metadata?.resolvedType?.fullName === `.${META}.ObjectMeta`;
  const isList = (t) => t instanceof protobuf.Type && t.fields.metadata?.resolvedType?.fullName === `.${META}.ListMeta`;
  const roots = [`${META}.DeleteOptions`, 'k8s.io.apimachinery.pkg.runtime.Unknown'];
  const { groupVersions: served, models } = await servedRows();
  const missing = [];
  const groups = {};
  for (const gv of served) {
    const [group, version] = gv.split('/');
    const ns = full.lookup(apiPackage(group, version));
    if (!ns) {
      missing.push(gv);
      continue;
    }
    groups[group] = apiPackage(group, version).replace(/\.[^.]+$/, '');
    for (const t of ns.nestedArray) if (isKind(t) || isList(t)) roots.push(t.fullName.slice(1));
  }

  // A model name's kind, in whichever group has it at that version.
  const apiRoot = full.lookup('k8s.io.api');
  for (const model of models) {
    const [version, kind] = model.split('/');
    for (const group of apiRoot.nestedArray) {
      const t = group.lookup(`${version}.${kind}`);
      if (!isKind(t)) continue;
      roots.push(t.fullName.slice(1), `${t.fullName.slice(1)}List`);
      groups[groupNames.get(group.fullName.slice(1)) ?? group.name] ??= group.fullName.slice(1);
    }
  }

  // Every message reachable from the roots (map values and repeated fields included).
  const keep = new Map();
  // The runtime decodes without a depth limit: the kept messages must not nest themselves.
  const path_ = [];
  const visit = (type) => {
    const name = type.fullName.slice(1);
    if (path_.includes(name)) throw new Error(`recursive message ${[...path_, name].join(' -> ')}`);
    if (keep.has(name)) return;
    keep.set(name, type);
    path_.push(name);
    for (const f of type.fieldsArray) if (f.resolvedType instanceof protobuf.Type) visit(f.resolvedType);
    path_.pop();
  };
  for (const r of roots) {
    const t = full.lookup(r);
    if (t instanceof protobuf.Type) visit(t);
  }

  // The kept messages, nested by package as protobufjs' JSON descriptor nests namespaces.
  const nested = {};
  for (const name of [...keep.keys()].sort()) {
    const type = keep.get(name);
    const parts = name.split('.');
    let ns = nested;
    for (const p of parts.slice(0, -1)) {
      ns[p] ??= { nested: {} };
      ns = ns[p].nested;
    }
    const fields = {};
    for (const f of type.fieldsArray) {
      const fj = { type: f.resolvedType ? f.resolvedType.fullName.slice(1) : f.type, id: f.id };
      if (f.map) fj.keyType = f.keyType;
      else if (f.repeated) fj.rule = 'repeated';
      fields[f.name] = fj;
    }
    ns[parts.at(-1)] = { fields };
  }
  const inline = {};
  const omitEmpty = {};
  const scalar = (f) => !f.resolvedType && !f.repeated && !f.map;
  for (const [pkg, dir] of packageDirs) {
    const fields = structFields(dir);
    for (const [struct, field] of fields.inline) {
      const type = keep.get(`${pkg}.${struct}`);
      if (type?.fields[field]) (inline[type.fullName.slice(1)] ??= []).push(field);
    }
    for (const [struct, field] of fields.omitEmpty) {
      const type = keep.get(`${pkg}.${struct}`);
      if (type?.fields[field] && scalar(type.fields[field])) (omitEmpty[type.fullName.slice(1)] ??= []).push(field);
    }
  }
  const descriptor = {
    source: { 'k8s.io/api': args.apiVersion, 'k8s.io/apimachinery': args.machineryVersion },
    groups: Object.fromEntries(
      Object.entries(groups)
        .filter(([, pkg]) => [...keep.keys()].some((k) => k.startsWith(`${pkg}.`)))
        .sort(),
    ),
    inline: Object.fromEntries(Object.entries(inline).sort()),
    omitEmpty: Object.fromEntries(Object.entries(omitEmpty).sort()),
    wrappers: [...wrappers].filter((w) => keep.has(w)).sort(),
    nested,
  };
  // The descriptor must load and resolve as the server will load it.
  protobuf.Root.fromJSON(descriptor).resolveAll();
  writeFormattedJSON(args.out, descriptor);
  console.error(
    `wrote ${args.out}: ${keep.size} messages, ${new Set(roots).size} roots from ${served.length} group/versions` +
      (missing.length ? ` (not in k8s.io/api: ${missing.join(', ')})` : ''),
  );
}

await main();
