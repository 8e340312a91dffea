// Publishing a CRD version's schema as kube-apiserver's CRD OpenAPI builder
// does (apiextensions-apiserver pkg/controller/openapi/builder): the
// openAPIV3Schema with apiVersion, kind and metadata (a reference to
// ObjectMeta) filled in, plus the `<Kind>List` definition.

import type { ResourceDescriptor } from '../../api/descriptor.js';
import type { Schema } from '../../schema/builtin/models.js';

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const LIST_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta';

export const API_VERSION_DESCRIPTION =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
export const KIND_DESCRIPTION =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';
const METADATA_DESCRIPTION =
  "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const LIST_METADATA_DESCRIPTION =
  'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

/** `stable.example.com`, v1, CronTab -> `com.example.stable.v1.CronTab` (the group reversed, as kube names CRD definitions). */
export function customDefinitionName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

/**
 * The kind and list definitions for one served CRD version. `schema` is the
 * version's openAPIV3Schema (absent: any object). References are bare
 * definition names; the registry turns them into document-local refs.
 */
export function customResourceDefinitions(
  d: ResourceDescriptor,
  schema: Schema | undefined,
): { name: string; listName: string; definitions: Record<string, Schema> } {
  const name = customDefinitionName(d.group, d.version, d.kind);
  const listName = customDefinitionName(d.group, d.version, d.listKind);
  const s = structuredClone(schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }) as Schema;
  const props = { ...((s.properties ?? {}) as Record<string, Schema>) };
  props.apiVersion = { description: API_VERSION_DESCRIPTION, type: 'string' };
  props.kind = { description: KIND_DESCRIPTION, type: 'string' };
  props.metadata = { $ref: OBJECT_META, description: METADATA_DESCRIPTION };
  s.properties = Object.fromEntries(
    Object.keys(props)
      .sort()
      .map((k) => [k, props[k]]),
  );
  if (!s.type) s.type = 'object';
  s['x-kubernetes-group-version-kind'] = [{ group: d.group, kind: d.kind, version: d.version }];
  const list: Schema = {
    description: `${d.listKind} is a list of ${d.kind}`,
    required: ['items'],
    properties: {
      apiVersion: { description: API_VERSION_DESCRIPTION, type: 'string' },
      items: {
        description: `List of ${d.resource}. More info: https://git.k8s.io/community/contributors/devel/api-conventions.md`,
        type: 'array',
        items: { $ref: name },
      },
      kind: { description: KIND_DESCRIPTION, type: 'string' },
      metadata: { $ref: LIST_META, description: LIST_METADATA_DESCRIPTION },
    },
    type: 'object',
    'x-kubernetes-group-version-kind': [{ group: d.group, kind: d.listKind, version: d.version }],
  };
  return { name, listName, definitions: { [name]: s, [listName]: list } };
}

function isSchema(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A CRD schema as kube publishes it in OpenAPI v2 (apiextensions-apiserver
 * ToStructuralOpenAPIV2): allOf/anyOf/oneOf/not dropped; a nullable value
 * loses its type, items and properties (and is no longer required); a value
 * with x-kubernetes-preserve-unknown-fields loses items and properties; an
 * array left without items loses its type. kubectl's v2 models would
 * otherwise reject or misread these schemas.
 */
export function toOpenAPIV2Schema(schema: Schema): Schema {
  const s: Schema = { ...schema };
  for (const k of ['allOf', 'anyOf', 'oneOf', 'not']) delete s[k];
  const props = isSchema(s.properties) ? s.properties : undefined;
  if (props && Array.isArray(s.required)) {
    const nullable = new Set(
      Object.entries(props)
        .filter(([, v]) => isSchema(v) && v.nullable === true)
        .map(([k]) => k),
    );
    const required = (s.required as unknown[]).filter((r) => typeof r !== 'string' || !nullable.has(r));
    if (required.length) s.required = required;
    else delete s.required;
  }
  if (isSchema(s.additionalProperties) && s.additionalProperties.nullable === true) delete s.required;
  if (s.nullable === true) {
    delete s.type;
    delete s.nullable;
    delete s.items;
    delete s.properties;
  } else if ('nullable' in s) {
    delete s.nullable;
  }
  if (s['x-kubernetes-preserve-unknown-fields'] === true) {
    delete s.items;
    delete s.properties;
  }
  if (s.type === 'array' && s.items === undefined) delete s.type;
  if (isSchema(s.properties))
    s.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, isSchema(v) ? toOpenAPIV2Schema(v) : v]));
  if (isSchema(s.items)) s.items = toOpenAPIV2Schema(s.items);
  if (isSchema(s.additionalProperties)) s.additionalProperties = toOpenAPIV2Schema(s.additionalProperties);
  return s;
}
