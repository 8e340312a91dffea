// Built-in OpenAPI schemas, derived from the models @kubernetes/client-node
// generates from the official Kubernetes OpenAPI document: their attributes
// (JSON name, type, format), descriptions and required fields, as
// scripts/gen/models.mjs reads them from the package's files into models.json.
// Definitions are built lazily: only those reachable from served kinds.

import { lazyIndexedTable } from '../../api/generated-json.js';
import { openAPIExtensions } from './strategic-meta.js';

export type Schema = Record<string, unknown>;

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

const META_TYPES = new Set([
  'ObjectMeta',
  'ListMeta',
  'OwnerReference',
  'ManagedFieldsEntry',
  'Status',
  'StatusDetails',
  'StatusCause',
  'Condition',
  'LabelSelector',
  'LabelSelectorRequirement',
  'DeleteOptions',
  'Preconditions',
  'APIResource',
  'APIResourceList',
  'APIGroup',
  'APIGroupList',
  'APIVersions',
  'GroupVersionForDiscovery',
  'ServerAddressByClientCIDR',
  'FieldSelectorRequirement',
  'WatchEvent',
]);

/** Kube's Go package per API group (`io.k8s.api.<package>.<version>.<Kind>`). */
const GROUP_PACKAGES: Record<string, string> = {
  '': 'io.k8s.api.core',
  'events.k8s.io': 'io.k8s.api.events',
  'internal.apiserver.k8s.io': 'io.k8s.api.apiserverinternal',
  'apiextensions.k8s.io': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions',
  'apiregistration.k8s.io': 'io.k8s.kube-aggregator.pkg.apis.apiregistration',
};

/** Formats that name apimachinery types rather than a plain string. */
const SPECIAL_TYPES: Record<string, { name: string; schema: Schema }> = {
  IntOrString: {
    name: 'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    schema: {
      description:
        'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.',
      type: 'string',
      format: 'int-or-string',
    },
  },
  V1MicroTime: {
    name: `${META}.MicroTime`,
    schema: { description: 'MicroTime is version of Time with microsecond level precision.', type: 'string', format: 'date-time' },
  },
  Date: {
    name: `${META}.Time`,
    schema: {
      description:
        'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.',
      type: 'string',
      format: 'date-time',
    },
  },
};

const STANDARD_DESCRIPTIONS: Record<string, string> = {
  ObjectMeta:
    "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
  ListMeta:
    'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
};

/** V1ConfigMap -> v1 ConfigMap; CoreV1Event -> v1 Event (prefix core); AuthenticationV1TokenRequest -> authentication. */
export function splitClassName(cls: string): { prefix: string; version: string; name: string } {
  const m = /^([A-Z][a-z]+)?(V\d+(?:(?:alpha|beta)\d+)?)([A-Z].*)$/.exec(cls);
  if (!m) return { prefix: '', version: 'v1', name: cls };
  return { prefix: (m[1] ?? '').toLowerCase(), version: m[2].toLowerCase(), name: m[3] };
}

function packageFor(group: string, prefix: string): string {
  if (prefix) {
    if (prefix === 'apiextensions' || prefix === 'apiregistration') return GROUP_PACKAGES[`${prefix}.k8s.io`];
    return `io.k8s.api.${prefix}`;
  }
  return GROUP_PACKAGES[group] ?? `io.k8s.api.${group.split('.')[0]}`;
}

let coreClasses: Set<string> | undefined;

/**
 * Model classes that belong to the core API package: everything the core kinds reach (the generator lists
 * them in the table's index). Other groups embed them (a Deployment's PodTemplateSpec is
 * `io.k8s.api.core.v1.PodTemplateSpec`), so the owning kind's group cannot name them.
 */
function isCoreClass(cls: string): boolean {
  coreClasses ??= new Set(modelsFile.header().core);
  return coreClasses.has(cls);
}

/** The kube definition name for a model class (`V1ConfigMap` -> `io.k8s.api.core.v1.ConfigMap`). */
export function definitionName(cls: string, group = ''): string {
  const special = SPECIAL_TYPES[cls];
  if (special) return special.name;
  const { prefix, version, name } = splitClassName(cls);
  if (META_TYPES.has(name) && !prefix) return `${META}.${name}`;
  return `${packageFor(!prefix && group !== '' && isCoreClass(cls) ? '' : group, prefix)}.${version}.${name}`;
}

interface Model {
  description?: string;
  attributes: Attribute[];
  fields: Map<string, { description?: string; required: boolean }>;
}

/** A row of models.json as scripts/gen/models.mjs writes it. */
type ModelRow = [
  description: string | null,
  attributes: Array<[string, string, string, string]>,
  fields: Record<string, [string | null, 0 | 1]>,
];

// Only named here so that tsc keeps the file in its program and copies it to dist/ beside this module.
export type ModelsJsonFile = typeof import('./models.json');

/**
 * The models' text, read from the package by scripts/gen/models.mjs: one file read on first use, each
 * model parsed when it is first asked for (a start uses about a third of them).
 */
const modelsFile = lazyIndexedTable<{ package: string; core: string[]; rows: Record<string, [number, number]> }, ModelRow>(
  import.meta.url,
  './models.json',
  '../server/schema/builtin/models.json',
);

const modelExists = (cls: string): boolean => modelsFile.has(cls);

// What is read from the table never changes: each model is converted once per process, however
// many servers it starts (a test run starts hundreds, each serving the same built-in kinds).
const attributeCache = new Map<string, Attribute[]>();
const modelCache = new Map<string, Model | undefined>();

function attributesOf(cls: string, row: ModelRow | undefined): Attribute[] {
  let attributes = attributeCache.get(cls);
  if (!attributes) {
    attributes = row ? row[1].map(([name, baseName, type, format]) => ({ name, baseName, type, format })) : [];
    attributeCache.set(cls, attributes);
  }
  return attributes;
}

/** Reads one generated model; undefined when the package has no such class. Read-only: it is shared. */
export function readModel(cls: string): Model | undefined {
  if (modelCache.has(cls)) return modelCache.get(cls);
  const row = modelsFile.row(cls);
  const model = row && {
    description: row[0] ?? undefined,
    attributes: attributesOf(cls, row),
    fields: new Map(
      Object.entries(row[2]).map(([f, [description, required]]) => [
        f,
        { description: description ?? undefined, required: required === 1 },
      ]),
    ),
  };
  modelCache.set(cls, model);
  return model;
}

/** What a field of field-docs.json adds: a description, or an enum type's description and values. */
type FieldDoc = string | { description: string; enum: string[] };

/** A query parameter of a subresource's options kind (PodExecOptions' `command`...). */
export interface OptionParameter {
  type: string;
  description: string;
}

/** field-docs.json's header: where it was generated from, and the options kinds' query parameters. */
interface FieldDocsHeader {
  source: Record<string, string>;
  options: Record<string, Record<string, OptionParameter>>;
  rows: Record<string, [number, number]>;
}

// Only named here so that tsc keeps the file in its program and copies it to dist/ beside this module.
export type FieldDocsJsonFile = typeof import('./field-docs.json');

/**
 * The field documentation kube publishes and the models lack (scripts/gen/field-docs.mjs, from the
 * Go types' swagger docs and `+enum` markers), by definition: an indexed table, of which a definition's
 * first build reads its row.
 */
const fieldDocsFile = lazyIndexedTable<FieldDocsHeader, Record<string, FieldDoc>>(
  import.meta.url,
  './field-docs.json',
  '../server/schema/builtin/field-docs.json',
);

const fieldDocs = (definition: string): Record<string, FieldDoc> | undefined => fieldDocsFile.row(definition);

/**
 * The query parameters kube publishes for a core options kind (`PodExecOptions`: command, container,
 * stderr...), by name, sorted; empty for a kind without options.
 */
export function optionParameters(kind: string): Record<string, OptionParameter> {
  return fieldDocsFile.header().options[`io.k8s.api.core.v1.${kind}`] ?? {};
}

const INTEGER_FORMATS = new Set(['int32', 'int64']);

/**
 * Converts generated models to kube definitions on demand. One instance per
 * server keeps one definition name per class, so documents agree.
 */
export class ModelCatalog {
  readonly definitions: Record<string, Schema> = {};
  private readonly names = new Map<string, string>();

  /** The definition name of `cls`, loading it and everything it references. Throws when the class is unknown. */
  load(cls: string, group: string): string {
    const name = this.ensure(cls, group);
    if (!this.definitions[name]) throw new Error(`no generated model ${cls} in @kubernetes/client-node`);
    return name;
  }

  /** Whether the client library has a generated model `cls` (or it is an apimachinery special type), without reading it. */
  has(cls: string): boolean {
    return cls in SPECIAL_TYPES || modelExists(cls);
  }

  /** The definition name `cls` has or will have when loaded (`V1ConfigMap` -> `io.k8s.api.core.v1.ConfigMap`), without reading it. */
  nameOf(cls: string, group: string): string {
    return this.names.get(cls) ?? definitionName(cls, group);
  }

  /** Definitions reachable from `name` (itself included). */
  closure(name: string): Record<string, Schema> {
    const out: Record<string, Schema> = {};
    const visit = (n: string): void => {
      if (out[n] || !this.definitions[n]) return;
      out[n] = this.definitions[n];
      collectRefs(this.definitions[n], visit);
    };
    visit(name);
    return out;
  }

  private ensure(cls: string, group: string): string {
    const known = this.names.get(cls);
    if (known) return known;
    const name = definitionName(cls, group);
    this.names.set(cls, name);
    const special = SPECIAL_TYPES[cls];
    if (special) {
      this.definitions[name] = special.schema;
      return name;
    }
    const model = readModel(cls);
    if (!model) return name;
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    for (const a of model.attributes) {
      const field = model.fields.get(a.name);
      const s = this.typeSchema(a.type, a.format, group);
      const description = field?.description ?? (typeof s.$ref === 'string' ? STANDARD_DESCRIPTIONS[a.type.replace(/^V1/, '')] : undefined);
      // Kept as `$ref` + description (OpenAPI v2 style); v3 documents wrap such refs in allOf.
      properties[a.baseName] = description ? { ...s, description } : s;
      if (field?.required) required.push(a.baseName);
    }
    // Descriptions of referenced-type fields, and enum types' values with kube-openapi's
    // "Possible enum values" paragraph (the models carry neither).
    for (const [field, doc] of Object.entries(fieldDocs(name) ?? {})) {
      const p = properties[field];
      if (!p) continue;
      if (typeof doc !== 'string') properties[field] = { ...p, description: doc.description, enum: doc.enum };
      else if (p.description === undefined) properties[field] = { ...p, description: doc };
    }
    // Patch and list metadata as kube-openapi publishes it (kubectl reads it from /openapi/v2 for
    // client-side apply's strategic merge patches, and from /openapi/v3 for explain).
    const x = openAPIExtensions(name);
    for (const [field, ext] of Object.entries(x?.properties ?? {})) {
      if (Object.hasOwn(properties, field)) properties[field] = { ...properties[field], ...ext };
    }
    const def: Schema = {};
    if (model.description) def.description = model.description;
    def.type = 'object';
    def.properties = properties;
    if (required.length) def.required = required;
    Object.assign(def, x?.definition);
    this.definitions[name] = def;
    return name;
  }

  private typeSchema(type: string, format: string, group: string): Schema {
    const arr = /^Array<(.+)>$/.exec(type);
    if (arr) return { type: 'array', items: this.typeSchema(arr[1], format, group) };
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) return { type: 'object', additionalProperties: this.typeSchema(map[1], format, group) };
    switch (type) {
      case 'string':
        return format ? { type: 'string', format } : { type: 'string' };
      case 'number':
        return INTEGER_FORMATS.has(format) ? { type: 'integer', format } : { type: 'number', format: format || 'double' };
      case 'boolean':
        return { type: 'boolean' };
      // RawExtension, FieldsV1, JSON: any JSON value, kept as is.
      case 'any':
      case 'object':
        return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      default:
        return { $ref: this.ensure(type, group) };
    }
  }
}

function collectRefs(v: unknown, visit: (name: string) => void): void {
  if (Array.isArray(v)) {
    for (const x of v) collectRefs(x, visit);
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') visit(x.replace(/^#\/(definitions|components\/schemas)\//, ''));
      else collectRefs(x, visit);
    }
  }
}

/**
 * Reads the models reachable from `roots` into the process-wide cache (unknown classes are
 * skipped), so that a server started afterwards finds them read: a harness does this while
 * etcd starts.
 */
export function preloadModels(roots: Array<{ cls: string; group: string }>): void {
  const catalog = new ModelCatalog();
  for (const r of roots) {
    try {
      catalog.load(r.cls, r.group);
    } catch {
      // no such model: nothing to read
    }
  }
}

/**
 * Loads the schemas reachable from `roots` (class name -> group of the kind
 * that owns it). Returns definitions keyed by kube definition name and the
 * class-to-definition map.
 */
export async function loadSchemas(
  roots: Array<{ cls: string; group: string }>,
  catalog = new ModelCatalog(),
): Promise<{ definitions: Record<string, Schema>; names: Map<string, string> }> {
  const names = new Map<string, string>();
  // Core kinds first: shared types (PodSpec, PodTemplateSpec) then get core's package, as in kube.
  const ordered = [...roots].sort((a, b) => (a.group === '' ? 0 : 1) - (b.group === '' ? 0 : 1));
  for (const r of ordered) names.set(r.cls, catalog.load(r.cls, r.group));
  return { definitions: catalog.definitions, names };
}
