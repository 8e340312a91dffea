// Publishing CRD schemas in /openapi/v2 and /openapi/v3 (so `kubectl explain` works).

import type { KindSchema } from '../api/openapi/registry.js';
import type { ResourceDescriptor } from '../registry/strategy.js';

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

export function definitionNameFor(d: ResourceDescriptor): string {
  return `${d.group.split('.').reverse().join('.')}.${d.version}.${d.kind}`;
}

export function crSchemaDefinitions(d: ResourceDescriptor, schema: Record<string, unknown> | undefined): KindSchema {
  const name = definitionNameFor(d);
  const s = structuredClone(schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }) as Record<string, unknown>;
  const props = { ...((s.properties ?? {}) as Record<string, unknown>) };
  props.apiVersion = { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources' };
  props.kind = { type: 'string', description: 'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds' };
  props.metadata = { $ref: OBJECT_META, description: "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata" };
  s.properties = props;
  delete s['x-kubernetes-validations'];
  return { descriptor: d, name, definitions: { [name]: s, [OBJECT_META]: objectMetaSchema() }, builtin: false };
}

/** The CRD kind itself: a permissive schema (its full apiextensions schema is not needed to serve it). */
export function crdDescriptor(d: ResourceDescriptor): KindSchema {
  const name = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition';
  return {
    descriptor: d, name, builtin: true,
    definitions: {
      [name]: { type: 'object', properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { $ref: OBJECT_META }, spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
      [OBJECT_META]: objectMetaSchema(),
    },
  };
}

function objectMetaSchema(): Record<string, unknown> {
  const str = { type: 'string' };
  const map = { type: 'object', additionalProperties: str };
  return {
    type: 'object',
    description: 'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
    properties: {
      name: str, generateName: str, namespace: str, uid: str, resourceVersion: str, selfLink: str,
      generation: { type: 'integer', format: 'int64' }, creationTimestamp: { type: 'string', format: 'date-time' },
      deletionTimestamp: { type: 'string', format: 'date-time' }, deletionGracePeriodSeconds: { type: 'integer', format: 'int64' },
      labels: map, annotations: map, finalizers: { type: 'array', items: str },
      ownerReferences: { type: 'array', items: { type: 'object', properties: { apiVersion: str, kind: str, name: str, uid: str, controller: { type: 'boolean' }, blockOwnerDeletion: { type: 'boolean' } } } },
      managedFields: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
    },
  };
}
