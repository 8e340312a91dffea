#!/usr/bin/env node
// Generates src/server/schema/builtin/field-docs.json: the field documentation kube publishes in its
// OpenAPI that @kubernetes/client-node's generated models leave out, read from the Go API types.
//
//   node scripts/gen/field-docs.mjs <k8s.io/api dir> <k8s.io/apimachinery dir> \
//     [--api-version v0.32.0] [--apimachinery-version v0.32.0] [--out <file>]
//
// Two gaps of the models (src/server/schema/builtin/models.ts reads them) are filled:
// - a field whose type is another definition (a `$ref`: Deployment `spec.strategy`) has no doc
//   comment in the models; kube publishes the field's own description beside the reference. The
//   text is the package's `types_swagger_doc_generated.go` (`map_DeploymentStrategy`), the same
//   comments kube-openapi turns into descriptions;
// - a field whose Go type is a string type marked `+enum` (DeploymentStrategyType) carries, in kube's
//   OpenAPI, an `enum` of the type's constants (sorted as Go-quoted literals) and its description
//   ends with kube-openapi's "Possible enum values" paragraph, one line per constant
//   (` - \`"Recreate"\` Kill all existing pods...`, its doc comment less its leading name, sorted).
// Keyed by OpenAPI definition name (`io.k8s.api.apps.v1.DeploymentStrategy`), then JSON field name:
// a string (description) or `{ description, enum }`: one row of an indexed table a definition, so that a
// server reads the rows of the definitions it builds, not the whole file.
// In the table's header, `options`: the query parameters kube-apiserver's installer publishes for the options
// kinds of connect and get-with-options subresources (pods/exec, pods/log, services/proxy...), one
// per JSON field of simple type, by name: `{ type, description }` (slices typed by their element).

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { addImport, definitionPrefix, formatIndexedTable, goPackageDirs, kubeSourceArgs } from './lib.mjs';

/** A Go interpreted string literal's value (the swagger doc maps hold `\"`, `\\`, `\n`, `\t`). */
const goString = (lit) => JSON.parse(lit.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1'));

/**
 * One package's declarations, by a line scanner over gofmt'd source: structs (members with name,
 * Go type, json tag, embedded), named non-struct types with their doc comments, constants with
 * their type, value and doc comment, and the swagger doc maps.
 */
function parsePackage(importPath, dir) {
  const pkg = { importPath, structs: new Map(), named: new Map(), consts: [], docs: new Map(), imports: new Map() };
  const files = readdirSync(dir).filter((f) => f.endsWith('.go') && !f.endsWith('_test.go') && !f.startsWith('zz_generated'));
  for (const file of files) {
    const lines = readFileSync(path.join(dir, file), 'utf8').split('\n');
    const imports = new Map();
    let comments = [];
    let struct = null;
    let docMap = null;
    let block = null; // 'import' | 'const'
    let constType = null; // a const block's type carried to the lines after the first (iota style)
    for (const raw of lines) {
      const line = raw.trim();
      if (docMap) {
        if (line === '}') docMap = null;
        else {
          const m = /^"([^"]*)":\s*("(?:[^"\\]|\\.)*"),?$/.exec(line);
          if (m) docMap.set(m[1], goString(m[2]));
        }
        continue;
      }
      if (block === 'import') {
        if (line === ')') block = null;
        else addImport(imports, line);
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
      if (block === 'const') {
        if (line === ')') block = null;
        else {
          const m = /^(\w+)(?:\s+([\w.]+))?\s*=\s*("(?:[^"\\]|\\.)*")/.exec(line);
          if (m) {
            constType = m[2] ?? null;
            if (constType) pkg.consts.push({ name: m[1], type: constType, value: goString(m[3]), comments, imports });
          }
        }
        comments = [];
        continue;
      }
      if (struct) {
        if (line === '}') struct = null;
        else {
          const m = /^(?:(\w+)\s+)?([^`\s][^`]*?)\s*(?:`([^`]*)`)?\s*(?:\/\/.*)?$/.exec(line);
          if (m)
            struct.members.push({
              name: m[1] ?? m[2].replace(/^\*/, '').replace(/^.*\./, ''),
              type: m[2].trim(),
              tag: m[3],
              embedded: !m[1],
            });
        }
        comments = [];
        continue;
      }
      if (line.startsWith('import (')) block = 'import';
      else if (line.startsWith('import ')) addImport(imports, line.slice(7));
      else if (line.startsWith('const (')) block = 'const';
      else if (/^const \w+ [\w.]+ = "/.test(line)) {
        const m = /^const (\w+) ([\w.]+) = ("(?:[^"\\]|\\.)*")/.exec(line);
        pkg.consts.push({ name: m[1], type: m[2], value: goString(m[3]), comments, imports });
      } else if (/^var map_\w+ = map\[string\]string\{$/.test(line)) {
        docMap = new Map();
        pkg.docs.set(/^var map_(\w+)/.exec(line)[1], docMap);
      } else {
        const t = /^type\s+(\w+)\s+(?:=\s*)?(.+?)\s*$/.exec(line);
        if (t) {
          if (/^struct\s*\{\s*\}$/.test(t[2])) pkg.structs.set(t[1], { members: [], imports });
          else if (/^struct\s*\{$/.test(t[2])) {
            struct = { members: [], imports };
            pkg.structs.set(t[1], struct);
          } else pkg.named.set(t[1], { type: t[2], comments, imports });
        }
      }
      comments = [];
    }
  }
  return pkg;
}

/** `+enum` among a type's doc comments (gengo's ExtractCommentTags). */
const isEnum = (named) => named.type === 'string' && named.comments.some((c) => /^\+enum\s*$/.test(c.trim()));

/** The JSON name of a struct member's tag (`json:"name,omitempty"`), undefined without one. */
const jsonName = (tag) => /(?:^|\s)json:"([^",]*)/.exec(tag ?? '')?.[1];

// Types kube-openapi publishes as a plain string, not a reference (their OpenAPISchemaType): the
// models describe such fields themselves.
// The options kinds of the core group's connect and get-with-options subresources.
const OPTIONS_KINDS = [
  'NodeProxyOptions',
  'PodAttachOptions',
  'PodExecOptions',
  'PodLogOptions',
  'PodPortForwardOptions',
  'PodProxyOptions',
  'ServiceProxyOptions',
];

/** A Go field type as a query parameter's type (the installer's), undefined for structs (skipped). */
function parameterType(expr) {
  const e = expr.replace(/^\*/, '').replace(/^\[\]/, '');
  if (e === 'bool') return 'boolean';
  if (e === 'string') return 'string';
  if (/^u?int(8|16|32|64)?$/.test(e)) return 'integer';
  return undefined;
}

const INLINE_STRUCTS = new Set([
  'k8s.io/apimachinery/pkg/apis/meta/v1.Time',
  'k8s.io/apimachinery/pkg/apis/meta/v1.MicroTime',
  'k8s.io/apimachinery/pkg/apis/meta/v1.Duration',
]);

function main() {
  const args = kubeSourceArgs('field-docs.mjs', 'src/server/schema/builtin/field-docs.json');
  const packages = new Map();
  for (const dir of goPackageDirs(args.apiDir)) {
    const importPath = `k8s.io/api/${path.relative(args.apiDir, dir).split(path.sep).join('/')}`;
    packages.set(importPath, parsePackage(importPath, dir));
  }
  for (const rel of ['pkg/apis/meta/v1', 'pkg/runtime']) {
    packages.set(`k8s.io/apimachinery/${rel}`, parsePackage(`k8s.io/apimachinery/${rel}`, path.join(args.machineryDir, rel)));
  }

  /** A type expression of `pkg` (seen from a declaration with `imports`) -> { pkg, name }, pointers unwrapped. */
  const resolve = (pkg, imports, expr) => {
    const e = expr.replace(/^\*/, '');
    if (!/^[\w.]+$/.test(e)) return undefined; // slices, maps
    const dot = e.indexOf('.');
    if (dot < 0) return { pkg, name: e };
    const target = packages.get(imports.get(e.slice(0, dot)));
    return target ? { pkg: target, name: e.slice(dot + 1) } : undefined;
  };

  // Enum types: `+enum` string types, with every constant of that type (any package, first value wins).
  const enums = new Map();
  for (const pkg of packages.values()) for (const [name, named] of pkg.named) if (isEnum(named)) enums.set(`${pkg.importPath}.${name}`, []);
  for (const pkg of packages.values()) {
    for (const c of pkg.consts) {
      const r = resolve(pkg, c.imports, c.type);
      const values = r && enums.get(`${r.pkg.importPath}.${r.name}`);
      if (values && !values.some((v) => v.value === c.value)) values.push(c);
    }
  }
  const goQuote = (s) => JSON.stringify(s); // the enum values are plain ASCII: Go's %q and JSON agree
  const enumOf = (values) => {
    const lines = values
      .map((v) => {
        const comment = v.comments
          .join(' ')
          .trim()
          .replace(new RegExp(`^${v.name}`), '')
          .trim()
          .replace(/\s+/g, ' ');
        return ` - \`${goQuote(v.value)}\` ${comment}`;
      })
      .sort();
    return {
      values: values
        .map((v) => goQuote(v.value))
        .sort()
        .map((q) => JSON.parse(q)),
      lines,
    };
  };

  /** JSON fields of a struct, embedded structs flattened as encoding/json does: [json name, member, owning struct]. */
  const fieldsOf = (pkg, name, depth = 0) => {
    const st = pkg.structs.get(name);
    const out = [];
    for (const mem of st?.members ?? []) {
      const json = jsonName(mem.tag);
      if (json === '-') continue;
      if (mem.embedded && !json) {
        const inner = resolve(pkg, st.imports, mem.type);
        if (inner && depth < 5) out.push(...fieldsOf(inner.pkg, inner.name, depth + 1));
        continue;
      }
      out.push({ json: json || mem.name, mem, pkg, owner: name, imports: st.imports });
    }
    return out;
  };

  const definitions = {};
  let described = 0;
  let enumFields = 0;
  for (const pkg of packages.values()) {
    for (const name of pkg.structs.keys()) {
      const fields = {};
      for (const f of fieldsOf(pkg, name)) {
        const doc = f.pkg.docs.get(f.owner)?.get(f.json) ?? '';
        const target = resolve(f.pkg, f.imports, f.mem.type);
        const key = target && `${target.pkg.importPath}.${target.name}`;
        const values = key && enums.get(key);
        if (values?.length) {
          const e = enumOf(values);
          fields[f.json] = { description: [doc, '', 'Possible enum values:', ...e.lines].join('\n').replace(/^\n+/, ''), enum: e.values };
          enumFields++;
        } else if (doc && target?.pkg.structs.has(target.name) && !INLINE_STRUCTS.has(key)) {
          // A reference: the models drop the field's own description.
          fields[f.json] = doc;
          described++;
        }
      }
      if (Object.keys(fields).length) definitions[`${definitionPrefix(pkg.importPath)}.${name}`] = fields;
    }
  }
  const core = packages.get('k8s.io/api/core/v1');
  const options = {};
  for (const kind of OPTIONS_KINDS) {
    const params = [];
    for (const f of fieldsOf(core, kind)) {
      const type = f.owner === kind ? parameterType(f.mem.type) : undefined; // TypeMeta's fields are no parameters
      if (type) params.push([f.json, { type, description: core.docs.get(kind)?.get(f.json) ?? '' }]);
    }
    options[`${definitionPrefix(core.importPath)}.${kind}`] = Object.fromEntries(params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  const sorted = Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const source = { 'k8s.io/api': args.apiVersion, 'k8s.io/apimachinery': args.machineryVersion, generator: 'scripts/gen/field-docs.mjs' };
  writeFileSync(args.out, formatIndexedTable({ source, options }, sorted));
  console.log(
    `${Object.keys(sorted).length} definitions: ${described} referenced-type descriptions, ${enumFields} enum fields -> ${path.relative(process.cwd(), args.out)}`,
  );
}

main();
