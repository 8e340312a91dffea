// Built-in OpenAPI schemas, derived from the models @kubernetes/client-node
// generates from the official Kubernetes OpenAPI document (each model class
// carries an attributeTypeMap of JSON name, type and format).

export type Schema = Record<string, unknown>;

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

interface ModelClass {
  attributeTypeMap?: Attribute[];
}

const META_TYPES = new Set([
  'ObjectMeta', 'ListMeta', 'OwnerReference', 'ManagedFieldsEntry', 'Status', 'StatusDetails', 'StatusCause', 'Condition',
  'LabelSelector', 'LabelSelectorRequirement', 'DeleteOptions', 'Preconditions', 'APIResource', 'Time', 'MicroTime',
]);

const GROUP_PACKAGES: Record<string, string> = {
  '': 'core', 'coordination.k8s.io': 'coordination', 'apps': 'apps', 'events.k8s.io': 'events', 'batch': 'batch',
  'rbac.authorization.k8s.io': 'rbac', 'apiextensions.k8s.io': 'apiextensions-apiserver.pkg.apis.apiextensions',
};

/** V1ConfigMap -> { version: 'v1', name: 'ConfigMap' }; CoreV1Event -> { version: 'v1', name: 'Event' }. */
function splitClassName(cls: string): { version: string; name: string } {
  const m = /^(?:Core|Events)?(V\d+(?:(?:alpha|beta)\d+)?)(.+)$/.exec(cls);
  if (!m) return { version: 'v1', name: cls };
  return { version: m[1].toLowerCase(), name: m[2] };
}

/** The kube definition name for a model class (`io.k8s.api.core.v1.ConfigMap`). */
export function definitionName(cls: string, group = ''): string {
  const { version, name } = splitClassName(cls);
  if (META_TYPES.has(name)) return `io.k8s.apimachinery.pkg.apis.meta.${version}.${name}`;
  if (group === 'apiextensions.k8s.io') return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${version}.${name}`;
  return `io.k8s.api.${GROUP_PACKAGES[group] ?? group.split('.')[0]}.${version}.${name}`;
}

const INTEGER_FORMATS = new Set(['int32', 'int64']);

async function loadModel(cls: string): Promise<ModelClass | undefined> {
  try {
    const mod = (await import(`@kubernetes/client-node/dist/gen/models/${cls}.js`)) as Record<string, ModelClass>;
    return mod[cls];
  } catch {
    return undefined;
  }
}

/**
 * Loads the schemas reachable from `roots` (class name -> group of the kind
 * that owns it). Returns definitions keyed by kube definition name and the
 * class-to-definition map.
 */
export async function loadSchemas(roots: Array<{ cls: string; group: string }>): Promise<{ definitions: Record<string, Schema>; names: Map<string, string> }> {
  const definitions: Record<string, Schema> = {};
  const names = new Map<string, string>();
  const queue = roots.map((r) => ({ ...r }));
  const seen = new Set<string>();
  const refFor = (cls: string, group: string): string => {
    if (!names.has(cls)) names.set(cls, definitionName(cls, group));
    if (!seen.has(cls)) {
      seen.add(cls);
      queue.push({ cls, group });
    }
    return names.get(cls)!;
  };
  const typeSchema = (type: string, format: string, group: string): Schema => {
    const arr = /^Array<(.+)>$/.exec(type);
    if (arr) return { type: 'array', items: typeSchema(arr[1], format, group) };
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) return { type: 'object', additionalProperties: typeSchema(map[1], format, group) };
    switch (type) {
      case 'string': return format ? { type: 'string', format } : { type: 'string' };
      case 'number': return INTEGER_FORMATS.has(format) ? { type: 'integer', format } : { type: 'number', format: format || 'double' };
      case 'boolean': return { type: 'boolean' };
      case 'Date': return { type: 'string', format: 'date-time' };
      case 'IntOrString': return { 'x-kubernetes-int-or-string': true, format: 'int-or-string' };
      case 'any': case 'object': return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      default: return { $ref: refFor(type, group) };
    }
  };
  for (const r of roots) {
    seen.add(r.cls);
    names.set(r.cls, definitionName(r.cls, r.group));
  }
  while (queue.length) {
    const { cls, group } = queue.shift()!;
    const model = await loadModel(cls);
    // A served kind without its schema would have every field pruned as unknown: refuse to start instead.
    if (!model && roots.some((r) => r.cls === cls)) throw new Error(`no generated model ${cls} in @kubernetes/client-node`);
    const props: Record<string, Schema> = {};
    for (const a of model?.attributeTypeMap ?? []) props[a.baseName] = typeSchema(a.type, a.format, group);
    definitions[names.get(cls) ?? definitionName(cls, group)] = { type: 'object', properties: props };
  }
  return { definitions, names };
}
