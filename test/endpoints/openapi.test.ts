import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { toOpenAPIV2Schema } from '../../src/server/endpoints/openapi/custom.js';
import { decodeOpenAPIV2Protobuf, encodeOpenAPIV2Protobuf } from '../../src/server/endpoints/openapi/gnostic.js';
import { OpenAPIRegistry } from '../../src/server/endpoints/openapi/registry.js';
import { configmaps, corpusPresent, crd, crdDescriptor, deployments, leases } from '../helpers/descriptors.js';

/** The parts of OpenAPI v2 and v3 documents these tests read (kube-openapi's spec and spec3 types). */
interface OpenAPISchema {
  type?: string;
  description?: string;
  required?: string[];
  properties: Record<string, OpenAPISchema>;
  items: OpenAPISchema;
  allOf: OpenAPISchema[];
  $ref?: string;
  'x-kubernetes-group-version-kind'?: unknown;
}
interface Parameter {
  name: string;
}
interface Operation {
  operationId?: string;
  description?: string;
  produces?: string[];
  consumes?: string[];
  parameters: Parameter[];
  requestBody: { content: Record<string, unknown> };
  responses: Record<string, { content: Record<string, { schema: OpenAPISchema }> }>;
  'x-kubernetes-group-version-kind'?: unknown;
  'x-kubernetes-action'?: string;
}
type PathItem = Record<'get' | 'post' | 'put' | 'patch' | 'delete', Operation> & { parameters: Parameter[] };
interface V3Document {
  paths: Record<string, PathItem>;
  components: { schemas: Record<string, OpenAPISchema> };
}
interface V2Document {
  swagger: string;
  paths: Record<string, PathItem>;
  definitions: Record<string, OpenAPISchema>;
}

/** gnostic's openapi_v2 messages as protobufjs decodes them, the fields these tests read. */
type Named<T> = { name: string; value: T };
type VendorExtensions = Array<Named<{ yaml: string }>>;
interface GSchema {
  ref?: string;
  type?: { value: string[] };
  required?: string[];
  properties?: { additionalProperties: Array<Named<GSchema>> };
  additionalProperties?: { schema: GSchema };
  vendorExtension?: VendorExtensions;
}
interface GParameter {
  parameter: {
    bodyParameter?: unknown;
    nonBodyParameter: { queryParameterSubSchema: Parameter; pathParameterSubSchema?: Parameter };
  };
}
interface GOperation {
  operationId: string;
  consumes?: string[];
  vendorExtension?: VendorExtensions;
  parameters: GParameter[];
  responses: { responseCode: Array<Named<{ response: unknown }>> };
}
interface GDocument {
  swagger: string;
  info: unknown;
  paths: { path: Array<Named<{ get: GOperation; patch: GOperation; parameters: GParameter[] }>> };
  definitions: { additionalProperties: Array<Named<GSchema>> };
  securityDefinitions: { additionalProperties: unknown };
  security: unknown;
}

const certificates = crd('cert-manager/crds/cert-manager.io_certificates.yaml');
const certDescriptor = crdDescriptor(certificates, 'v1');
const certSchema = certificates.spec.versions[0].schema!.openAPIV3Schema as unknown as OpenAPISchema;

function registry(): OpenAPIRegistry {
  const r = new OpenAPIRegistry();
  r.addBuiltin(configmaps, 'V1ConfigMap');
  r.addBuiltin(deployments, 'V1Deployment');
  r.addBuiltin(leases, 'V1Lease');
  r.addCustom(certDescriptor, certSchema as unknown as Record<string, unknown>);
  return r;
}

describe.skipIf(!corpusPresent)('OpenAPI v3', () => {
  it('index: one entry per group-version, keys without leading slash, hash of the document', () => {
    const r = registry();
    const index = r.v3Index();
    expect(Object.keys(index.paths)).toEqual(['api/v1', 'apis/apps/v1', 'apis/cert-manager.io/v1', 'apis/coordination.k8s.io/v1']);
    expect(index.paths['api/v1'].serverRelativeURL).toBe(`/openapi/v3/api/v1?hash=${r.v3('api/v1')!.hash}`);
    expect(r.v3('api/v1')!.hash).toMatch(/^[0-9A-F]{128}$/);
  });

  it('PATCH carries fieldValidation and the built-in patch types; kinds carry x-kubernetes-group-version-kind', () => {
    const doc = registry().v3GroupVersion('api/v1') as unknown as V3Document;
    const patch = doc.paths['/api/v1/namespaces/{namespace}/configmaps/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: '', version: 'v1', kind: 'ConfigMap' });
    expect(patch['x-kubernetes-action']).toBe('patch');
    expect(patch.parameters.map((p) => p.name)).toContain('fieldValidation');
    expect(Object.keys(patch.requestBody.content)).toEqual([
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
      'application/apply-patch+yaml',
    ]);
    const cm = doc.components.schemas['io.k8s.api.core.v1.ConfigMap'];
    expect(cm['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'ConfigMap', version: 'v1' }]);
    expect(cm.description).toBe('ConfigMap holds configuration data for pods to consume.');
    expect(cm.properties.data).toMatchObject({ type: 'object', additionalProperties: { type: 'string' } });
    expect(cm.properties.metadata).toEqual({
      allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }],
      description: expect.stringContaining("Standard object's metadata"),
    });
    expect(doc.components.schemas['io.k8s.api.core.v1.ConfigMapList']['x-kubernetes-group-version-kind']).toEqual([
      { group: '', kind: 'ConfigMapList', version: 'v1' },
    ]);
    expect(doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.labels).toBeDefined();
    for (const p of ['post', 'put'] as const) {
      const op =
        doc.paths[p === 'post' ? '/api/v1/namespaces/{namespace}/configmaps' : '/api/v1/namespaces/{namespace}/configmaps/{name}'][p];
      expect(op.parameters.map((x) => x.name)).toContain('fieldValidation');
    }
  });

  it('every $ref resolves inside its document', () => {
    const r = registry();
    for (const gv of Object.keys(r.v3Index().paths)) {
      const body = r.v3(gv)!.body;
      const doc = JSON.parse(body);
      for (const m of body.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g))
        expect(doc.components.schemas[m[1]], `${gv}: ${m[1]}`).toBeDefined();
    }
    const v2 = r.v2Document() as unknown as V2Document;
    for (const m of r.v2().body.matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)) expect(v2.definitions[m[1]], m[1]).toBeDefined();
  });

  it('shared core types keep the core package; required fields come from the models', () => {
    const doc = registry().v3GroupVersion('apis/apps/v1') as unknown as V3Document;
    expect(doc.components.schemas['io.k8s.api.core.v1.PodSpec'].required).toEqual(['containers']);
    expect(doc.components.schemas['io.k8s.api.core.v1.Container'].required).toEqual(['name']);
    expect(doc.components.schemas['io.k8s.api.apps.v1.DeploymentSpec'].required).toEqual(['selector', 'template']);
    expect(doc.components.schemas['io.k8s.api.autoscaling.v1.Scale']['x-kubernetes-group-version-kind']).toEqual([
      { group: 'autoscaling', kind: 'Scale', version: 'v1' },
    ]);
    expect(doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch['x-kubernetes-group-version-kind']).toEqual({
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
    });
  });

  it('publishes CRD schemas as kube does: apiVersion/kind/metadata, list kind, descriptions, no strategic merge patch', () => {
    const doc = registry().v3GroupVersion('apis/cert-manager.io/v1') as unknown as V3Document;
    const cert = doc.components.schemas['io.cert-manager.v1.Certificate'];
    expect(cert['x-kubernetes-group-version-kind']).toEqual([{ group: 'cert-manager.io', kind: 'Certificate', version: 'v1' }]);
    expect(cert.properties.metadata.allOf[0].$ref).toBe('#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    expect(cert.properties.apiVersion.type).toBe('string');
    expect(cert.properties.spec.description).toBe(certSchema.properties.spec.description);
    expect(doc.components.schemas['io.cert-manager.v1.CertificateList'].properties.items.items.$ref).toBe(
      '#/components/schemas/io.cert-manager.v1.Certificate',
    );
    const patch = doc.paths['/apis/cert-manager.io/v1/namespaces/{namespace}/certificates/{name}'].patch;
    expect(Object.keys(patch.requestBody.content)).toEqual([
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/apply-patch+yaml',
    ]);
    expect(patch.parameters.map((p) => p.name)).toContain('fieldValidation');
  });

  it('hashes change with content; stale hash redirects, matching hash is immutable, If-None-Match gives 304', () => {
    const r = registry();
    const before = r.v3('apis/cert-manager.io/v1')!.hash;
    const apps = r.v3('apis/apps/v1')!.hash;
    const ok = r.v3Response('apis/cert-manager.io/v1', new URLSearchParams(`hash=${before}`))!;
    expect(ok.status).toBe(200);
    expect(ok.headers).toMatchObject({ ETag: `"${before}"`, 'Cache-Control': 'public, immutable' });
    expect(r.v3Response('apis/cert-manager.io/v1', new URLSearchParams(), `"${before}"`)!.status).toBe(304);
    r.addCustom(
      { ...certDescriptor, resource: 'certificates' },
      { type: 'object', properties: { spec: { type: 'object', description: 'changed' } } },
    );
    const after = r.v3('apis/cert-manager.io/v1')!.hash;
    expect(after).not.toBe(before);
    expect(r.v3('apis/apps/v1')!.hash).toBe(apps);
    expect(r.v3Response('apis/cert-manager.io/v1', new URLSearchParams(`hash=${before}`))).toEqual({
      status: 301,
      headers: { Location: `/openapi/v3/apis/cert-manager.io/v1?hash=${after}` },
    });
    expect(r.etag('/openapi/v3/apis/cert-manager.io/v1')).toBe(`"${after}"`);
    r.remove(certDescriptor);
    expect(r.v3('apis/cert-manager.io/v1')).toBeUndefined();
    expect(Object.keys(r.v3Index().paths)).not.toContain('apis/cert-manager.io/v1');
  });

  it('refuses a kind without a generated model', () => {
    expect(() => new OpenAPIRegistry().addBuiltin(configmaps, 'V1NoSuchKind')).toThrow(/no generated model V1NoSuchKind/);
  });

  it('v2 has definitions and paths for every kind', () => {
    const v2 = registry().v2Document() as unknown as V2Document;
    expect(v2.swagger).toBe('2.0');
    expect(v2.definitions['io.k8s.api.coordination.v1.Lease']['x-kubernetes-group-version-kind']).toEqual([
      { group: 'coordination.k8s.io', kind: 'Lease', version: 'v1' },
    ]);
    expect(v2.paths['/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}'].patch.parameters.map((p) => p.name)).toContain(
      'fieldValidation',
    );
    expect(v2.definitions['io.k8s.api.core.v1.ConfigMap'].properties.metadata.$ref).toBe(
      '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    );
  });
});

/** A gnostic vendor extension list as a plain map (its values are YAML text). */
function vendorExtensions(list: VendorExtensions | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((x) => [x.name, parseYaml(x.value.yaml)]));
}

describe.skipIf(!corpusPresent)('OpenAPI v2 watch paths', () => {
  it('publishes the deprecated /watch/ endpoints for built-in and custom resources, as kube names them', () => {
    const v2 = registry().v2Document() as unknown as V2Document;
    const list = v2.paths['/api/v1/watch/namespaces/{namespace}/configmaps'];
    expect(list.get).toMatchObject({
      operationId: 'watchCoreV1NamespacedConfigMapList',
      description: "watch individual changes to a list of ConfigMap. deprecated: use the 'watch' parameter with a list operation instead.",
      'x-kubernetes-action': 'watchlist',
      'x-kubernetes-group-version-kind': { group: '', version: 'v1', kind: 'ConfigMap' },
      tags: ['core_v1'],
      responses: {
        200: { description: 'OK', schema: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent' } },
        401: { description: 'Unauthorized' },
      },
    });
    expect(list.get.produces).toContain('application/json;stream=watch');
    expect(list.parameters.map((p) => p.name).sort()).toEqual([
      'allowWatchBookmarks',
      'continue',
      'fieldSelector',
      'labelSelector',
      'limit',
      'namespace',
      'pretty',
      'resourceVersion',
      'resourceVersionMatch',
      'sendInitialEvents',
      'timeoutSeconds',
      'watch',
    ]);
    const one = v2.paths['/api/v1/watch/namespaces/{namespace}/configmaps/{name}'];
    expect(one.get).toMatchObject({ operationId: 'watchCoreV1NamespacedConfigMap', 'x-kubernetes-action': 'watch' });
    expect(one.get.description).toBe(
      "watch changes to an object of kind ConfigMap. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.",
    );
    expect(one.parameters.map((p) => p.name)).toContain('name');
    expect(v2.paths['/api/v1/watch/configmaps'].get).toMatchObject({
      operationId: 'watchCoreV1ConfigMapListForAllNamespaces',
      'x-kubernetes-action': 'watchlist',
    });
    expect(v2.paths['/apis/coordination.k8s.io/v1/watch/namespaces/{namespace}/leases'].get).toMatchObject({
      operationId: 'watchCoordinationV1NamespacedLeaseList',
      tags: ['coordination_v1'],
    });
    const cr = v2.paths['/apis/cert-manager.io/v1/watch/namespaces/{namespace}/certificates'].get;
    expect(cr).toMatchObject({
      operationId: 'watchCertManagerIoV1NamespacedCertificateList',
      tags: ['certManagerIo_v1'],
      'x-kubernetes-action': 'watchlist',
      'x-kubernetes-group-version-kind': { group: 'cert-manager.io', version: 'v1', kind: 'Certificate' },
    });
    expect(v2.paths['/apis/cert-manager.io/v1/watch/certificates'].get.operationId).toBe(
      'watchCertManagerIoV1CertificateListForAllNamespaces',
    );
    // The operations around them carry kube's ids too.
    expect(v2.paths['/api/v1/namespaces/{namespace}/configmaps'].get.operationId).toBe('listCoreV1NamespacedConfigMap');
    expect(v2.paths['/api/v1/namespaces/{namespace}/configmaps'].delete.operationId).toBe('deleteCoreV1CollectionNamespacedConfigMap');
    expect(v2.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch.operationId).toBe(
      'patchAppsV1NamespacedDeploymentScale',
    );
    const event = v2.definitions['io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent'];
    expect(event).toMatchObject({
      type: 'object',
      required: ['type', 'object'],
      properties: { type: { type: 'string' }, object: { $ref: '#/definitions/io.k8s.apimachinery.pkg.runtime.RawExtension' } },
    });
    expect(event['x-kubernetes-group-version-kind']).toEqual([
      { group: '', kind: 'WatchEvent', version: 'v1' },
      { group: 'apps', kind: 'WatchEvent', version: 'v1' },
      { group: 'coordination.k8s.io', kind: 'WatchEvent', version: 'v1' },
    ]);
    expect(v2.definitions['io.k8s.apimachinery.pkg.runtime.RawExtension']).toBeDefined();
  });

  it('v3 documents carry the watch paths of their group-version', () => {
    const doc = registry().v3GroupVersion('apis/cert-manager.io/v1') as unknown as V3Document;
    const get = doc.paths['/apis/cert-manager.io/v1/watch/namespaces/{namespace}/certificates/{name}'].get;
    expect(get.operationId).toBe('watchCertManagerIoV1NamespacedCertificate');
    expect(get.responses['200'].content['application/json;stream=watch'].schema.$ref).toBe(
      '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent',
    );
    expect(doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent']).toBeDefined();
  });

  it('publishes CRD schemas in v2 as kube converts them (no junctors; nullable and preserve-unknown-fields values untyped)', () => {
    const s = toOpenAPIV2Schema({
      type: 'object',
      required: ['a', 'b'],
      properties: {
        a: { type: 'string', nullable: true },
        b: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { c: { type: 'string' } } },
        d: { type: 'array', 'x-kubernetes-preserve-unknown-fields': true, items: { type: 'string' } },
        e: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
      },
    });
    expect(s).toEqual({
      type: 'object',
      required: ['b'],
      properties: {
        a: {},
        b: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        d: { 'x-kubernetes-preserve-unknown-fields': true },
        e: { 'x-kubernetes-int-or-string': true },
      },
    });
  });
});

describe.skipIf(!corpusPresent)('OpenAPI v2 as gnostic protobuf', () => {
  it('decodes to the JSON document: paths, operations, definitions, refs, required fields and group-version-kinds', () => {
    const r = registry();
    const json = r.v2Document() as unknown as V2Document;
    const pb = decodeOpenAPIV2Protobuf(r.v2Protobuf()) as unknown as GDocument;
    expect(pb.swagger).toBe('2.0');
    expect(pb.info).toEqual({ title: 'Kubernetes', version: 'v1.32.0' });
    expect(pb.paths.path.map((p) => p.name)).toEqual(Object.keys(json.paths));
    const defs: Array<Named<GSchema>> = pb.definitions.additionalProperties;
    expect(defs.map((d) => d.name)).toEqual(Object.keys(json.definitions));
    for (const d of defs) {
      const j = json.definitions[d.name];
      const ext = vendorExtensions(d.value.vendorExtension);
      expect(ext['x-kubernetes-group-version-kind'], d.name).toEqual(j['x-kubernetes-group-version-kind']);
      expect(d.value.type?.value?.[0], d.name).toBe(j.type);
      expect(
        (d.value.properties?.additionalProperties ?? []).map((p) => p.name),
        d.name,
      ).toEqual(Object.keys(j.properties ?? {}));
      expect(d.value.required, d.name).toEqual(j.required);
    }
    const cm = defs.find((d) => d.name === 'io.k8s.api.core.v1.ConfigMap')!.value;
    const prop = (s: GSchema, name: string): GSchema => s.properties!.additionalProperties.find((p) => p.name === name)!.value;
    expect(prop(cm, 'metadata')).toMatchObject({
      ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      description: expect.stringContaining("Standard object's metadata"),
    });
    expect(prop(cm, 'data')).toMatchObject({
      type: { value: ['object'] },
      additionalProperties: { schema: { type: { value: ['string'] } } },
    });
    expect(prop(cm, 'binaryData').additionalProperties!.schema).toMatchObject({ type: { value: ['string'] }, format: 'byte' });
    const deploy = defs.find((d) => d.name === 'io.k8s.api.apps.v1.DeploymentSpec')!.value;
    expect(prop(deploy, 'replicas')).toMatchObject({ type: { value: ['integer'] }, format: 'int32' });
    const pod = defs.find((d) => d.name === 'io.k8s.api.core.v1.PodSpec')!.value;
    expect(prop(pod, 'containers')).toMatchObject({
      type: { value: ['array'] },
      items: { schema: [{ ref: '#/definitions/io.k8s.api.core.v1.Container' }] },
    });
    // A custom resource: kubectl finds its model by the group-version-kind extension.
    const cert = defs.find((d) => d.name === 'io.cert-manager.v1.Certificate')!.value;
    expect(vendorExtensions(cert.vendorExtension)['x-kubernetes-group-version-kind']).toEqual([
      { group: 'cert-manager.io', kind: 'Certificate', version: 'v1' },
    ]);
    expect(prop(prop(cert, 'spec'), 'secretName').type!.value).toEqual(['string']);

    const patch = pb.paths.path.find((p) => p.name === '/api/v1/namespaces/{namespace}/configmaps/{name}')!.value.patch;
    expect(patch.operationId).toBe('patchCoreV1NamespacedConfigMap');
    expect(vendorExtensions(patch.vendorExtension)).toEqual({
      'x-kubernetes-action': 'patch',
      'x-kubernetes-group-version-kind': { group: '', version: 'v1', kind: 'ConfigMap' },
    });
    expect(patch.consumes).toEqual(json.paths['/api/v1/namespaces/{namespace}/configmaps/{name}'].patch.consumes);
    expect(patch.parameters[0].parameter.bodyParameter).toMatchObject({
      name: 'body',
      in: 'body',
      required: true,
      schema: { ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' },
    });
    expect(patch.parameters.slice(1).map((p) => p.parameter.nonBodyParameter.queryParameterSubSchema.name)).toEqual([
      'dryRun',
      'fieldManager',
      'fieldValidation',
      'force',
    ]);
    expect(patch.responses.responseCode.find((c) => c.name === '200')!.value.response).toMatchObject({
      description: 'OK',
      schema: { schema: { ref: '#/definitions/io.k8s.api.core.v1.ConfigMap' } },
    });
    const watch = pb.paths.path.find((p) => p.name === '/api/v1/watch/namespaces/{namespace}/configmaps')!.value;
    expect(watch.get.operationId).toBe('watchCoreV1NamespacedConfigMapList');
    expect(
      watch.parameters.find((p) => p.parameter.nonBodyParameter.pathParameterSubSchema)?.parameter.nonBodyParameter.pathParameterSubSchema,
    ).toMatchObject({ name: 'namespace', in: 'path', required: true, type: 'string' });
    expect(pb.securityDefinitions.additionalProperties).toEqual([
      {
        name: 'BearerToken',
        value: { apiKeySecurity: { type: 'apiKey', name: 'authorization', in: 'header', description: 'Bearer Token authentication' } },
      },
    ]);
    expect(pb.security).toEqual([{ additionalProperties: [{ name: 'BearerToken', value: {} }] }]);
  });

  it('uses gnostic field numbers on the wire', () => {
    // Hand-encoded: Document.swagger=1, paths=8 (Paths.path=2 -> PathItem.get=2 -> Operation.operation_id=5,
    // parameters=8 -> ParametersItem.parameter=1 -> Parameter.non_body_parameter=2 -> NonBodyParameter.query=3
    // -> in=2, name=4, type=6), definitions=9 (NamedSchema -> Schema.type=22, vendor_extension=31 -> Any.yaml=2).
    const tag = (field: number): number[] => {
      const v = (field << 3) | 2;
      return v < 128 ? [v] : [(v & 0x7f) | 0x80, v >> 7];
    };
    const ld = (field: number, ...parts: Array<number[] | string>): number[] => {
      const body = parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p)] : p));
      return [...tag(field), body.length, ...body];
    };
    const expected = [
      ...ld(1, '2.0'),
      ...ld(8, ld(2, ld(1, '/x'), ld(2, ld(2, ld(5, 'o'), ld(8, ld(1, ld(2, ld(3, ld(2, 'query'), ld(4, 'n'), ld(6, 'string'))))))))),
      ...ld(9, ld(1, ld(1, 'A'), ld(2, ld(22, ld(1, 'string')), ld(31, ld(1, 'x-a'), ld(2, ld(2, 'true\n')))))),
    ];
    const bytes = encodeOpenAPIV2Protobuf({
      swagger: '2.0',
      paths: { '/x': { get: { operationId: 'o', parameters: [{ name: 'n', in: 'query', type: 'string' }] } } },
      definitions: { A: { type: 'string', 'x-a': true } },
    });
    expect([...bytes]).toEqual(expected);
  });
});
