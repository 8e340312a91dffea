#!/usr/bin/env node
// Generates src/server/schema/builtin/models.json: what the built-in OpenAPI schemas
// (src/server/schema/builtin/models.ts) take from @kubernetes/client-node's generated models, which
// the client generates from the official Kubernetes OpenAPI document. Each model's `.js` file carries
// an attributeTypeMap (JSON name, type, format) and the type's description; its `.d.ts` carries the
// field descriptions and which fields are required (no `?`). Read here as text, once: a server reads
// the one table instead of a thousand files and their regular expressions on every start.
//
//   node scripts/gen/models.mjs [--out <file>]
//
// A model is `[description | null, attributes, fields]`, attributes `[name, baseName, type, format][]`,
// fields `{ <name>: [description | null, required (0|1)] }`. The file is one JSON array, laid out so that a
// reader parses only the models it uses: its first line is the index, `[{ package, core, rows: { <class>:
// [offset, length] } },` (`core`: the classes of the core API package), each row one model, its offset
// counted from the start of the second line.
// test/schema/builtin-models.test.ts regenerates it from the installed package and compares.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatIndexedTable, parseCommandLine, root } from './lib.mjs';

/** The generated `.d.ts` doc comments are JS-string escaped (`\"Recreate\"`, `pod\'s`): one level is removed. */
const unescapeQuotes = (s) => s.replace(/\\(.)/g, '$1').trim();

function parseModel(cls, js, dts) {
  const map = new RegExp(`${cls}\\.attributeTypeMap = (\\[[\\s\\S]*?\\n\\]);`).exec(js);
  const attributes = map ? JSON.parse(map[1]).map((a) => [a.name, a.baseName, a.type, a.format]) : [];
  const doc = new RegExp(`/\\*\\*\\n\\* ([^\\n]*)\\n\\*/\\nexport class ${cls}\\b`).exec(js);
  const fields = {};
  const prop = /(?:\/\*\*\n\s*\* ([^\n]*)\n\s*\*\/\n)?\s*'([^']+)'(\?)?:/g;
  for (let m = prop.exec(dts); m; m = prop.exec(dts)) fields[m[2]] = [m[1] ? unescapeQuotes(m[1]) : null, m[3] ? 0 : 1];
  return [doc ? unescapeQuotes(doc[1]) : null, attributes, fields];
}

/** The core API's kinds (kube's pkg/apis/core). */
const CORE_KINDS = [
  'V1Pod',
  'V1PodTemplate',
  'V1ReplicationController',
  'V1Service',
  'V1Endpoints',
  'V1Node',
  'V1PersistentVolume',
  'V1PersistentVolumeClaim',
  'V1Namespace',
  'V1ConfigMap',
  'V1Secret',
  'V1ServiceAccount',
  'CoreV1Event',
  'V1LimitRange',
  'V1ResourceQuota',
  'V1Binding',
  'V1ComponentStatus',
];

/**
 * The model classes of the core API package: everything the core kinds reach. Other groups embed them (a
 * Deployment's PodTemplateSpec is `io.k8s.api.core.v1.PodTemplateSpec`), so the owning kind's group cannot name them.
 */
function coreClasses(models) {
  const out = new Set();
  const queue = [...CORE_KINDS];
  while (queue.length) {
    const c = queue.pop();
    if (out.has(c)) continue;
    out.add(c);
    for (const [, , type] of models[c]?.[1] ?? [])
      for (const t of type.match(/[A-Z][A-Za-z0-9]*V\d[A-Za-z0-9]*|V\d[A-Za-z0-9]+/g) ?? []) queue.push(t);
  }
  return [...out].sort();
}

/** The table as it is written: the index line (with the core classes), then the rows. */
export function formatModels({ package: pkg, models }) {
  return formatIndexedTable({ package: pkg, core: coreClasses(models) }, models);
}

/** The table, read from the installed @kubernetes/client-node. */
export function buildModels() {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@kubernetes/client-node');
  const dir = path.join(path.dirname(entry), 'gen', 'models');
  const pkg = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8'));
  const models = {};
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.js')) continue;
    const cls = file.slice(0, -3);
    if (!/^[A-Za-z0-9]+$/.test(cls)) continue;
    const js = readFileSync(path.join(dir, file), 'utf8');
    if (!js.includes(`${cls}.attributeTypeMap`)) continue;
    let dts = '';
    try {
      dts = readFileSync(path.join(dir, `${cls}.d.ts`), 'utf8');
    } catch {
      // No declarations: no field docs.
    }
    models[cls] = parseModel(cls, js, dts);
  }
  return { package: `${pkg.name}@${pkg.version}`, models };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { flags } = parseCommandLine(process.argv.slice(2), 0, 'models.mjs [--out <file>]');
  // Unformatted (a megabyte read on every start; biome.json leaves it out).
  writeFileSync(flags.out ?? path.join(root, 'src/server/schema/builtin/models.json'), formatModels(buildModels()));
}
