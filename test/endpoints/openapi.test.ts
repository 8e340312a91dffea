import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { toOpenAPIV2Schema } from '../../src/server/endpoints/openapi/custom.js';
import { decodeOpenAPIV2Protobuf, encodeOpenAPIV2Protobuf } from '../../src/server/endpoints/openapi/gnostic.js';
import { OpenAPIRegistry } from '../../src/server/endpoints/openapi/registry.js';
import { BUILTIN_RESOURCES } from '../../src/server/registry/catalog.js';
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

describe('OpenAPI paths of the subresources beyond status and scale', () => {
  /** The catalog's own rows: pods, services, nodes, certificatesigningrequests. */
  const rows = (...resources: string[]): OpenAPIRegistry => {
    const r = new OpenAPIRegistry();
    for (const row of BUILTIN_RESOURCES.filter((b) => resources.includes(b.descriptor.resource))) r.addBuiltin(row.descriptor, row.model);
    return r;
  };
  const ops = (item: PathItem): Record<string, string | undefined> =>
    Object.fromEntries(
      Object.entries(item)
        .filter(([m]) => m !== 'parameters')
        .map(([m, o]) => [m, (o as Operation).operationId]),
    );
  const names = (params: Parameter[]): string[] => params.map((p) => `${p.name}${(p as { in?: string }).in === 'path' ? '(path)' : ''}`);

  it('publishes pods/attach, exec, portforward, proxy as kube connect operations, with the options as query parameters', () => {
    const v2 = JSON.parse(rows('pods').v2().body) as V2Document;
    const pod = '/api/v1/namespaces/{namespace}/pods/{name}';
    const attach = v2.paths[`${pod}/attach`];
    expect(ops(attach)).toEqual({ get: 'connectCoreV1GetNamespacedPodAttach', post: 'connectCoreV1PostNamespacedPodAttach' });
    expect(names(attach.parameters)).toEqual(['container', 'name(path)', 'namespace(path)', 'stderr', 'stdin', 'stdout', 'tty']);
    expect(attach.parameters[0]).toEqual({
      name: 'container',
      in: 'query',
      description: 'The container in which to execute the command. Defaults to only container if there is only one container in the pod.',
      type: 'string',
      uniqueItems: true,
    });
    expect(attach.get).toMatchObject({
      description: 'connect GET requests to attach of Pod',
      consumes: ['*/*'],
      produces: ['*/*'],
      'x-kubernetes-action': 'connect',
      'x-kubernetes-group-version-kind': { group: '', version: 'v1', kind: 'PodAttachOptions' },
      responses: { 200: { description: 'OK', schema: { type: 'string' } }, 401: { description: 'Unauthorized' } },
    });
    expect(names(v2.paths[`${pod}/exec`].parameters)).toEqual([
      'command',
      'container',
      'name(path)',
      'namespace(path)',
      'stderr',
      'stdin',
      'stdout',
      'tty',
    ]);
    expect(v2.paths[`${pod}/portforward`].parameters[2]).toMatchObject({ name: 'ports', type: 'integer' });
    // gnostic protobuf (kubectl's /openapi/v2) carries them too, head and options included.
    const pb = decodeOpenAPIV2Protobuf(rows('pods').v2Protobuf()) as unknown as GDocument;
    const proxy = pb.paths.path.find((x) => x.name === `${pod}/proxy`)?.value as unknown as Record<string, GOperation>;
    expect([proxy.head.operationId, proxy.options.operationId]).toEqual([
      'connectCoreV1HeadNamespacedPodProxy',
      'connectCoreV1OptionsNamespacedPodProxy',
    ]);
    expect(ops(v2.paths[`${pod}/proxy`])).toEqual({
      delete: 'connectCoreV1DeleteNamespacedPodProxy',
      get: 'connectCoreV1GetNamespacedPodProxy',
      head: 'connectCoreV1HeadNamespacedPodProxy',
      options: 'connectCoreV1OptionsNamespacedPodProxy',
      patch: 'connectCoreV1PatchNamespacedPodProxy',
      post: 'connectCoreV1PostNamespacedPodProxy',
      put: 'connectCoreV1PutNamespacedPodProxy',
    });
    const withPath = v2.paths[`${pod}/proxy/{path}`];
    expect(withPath.get.operationId).toBe('connectCoreV1GetNamespacedPodProxyWithPath');
    expect(names(withPath.parameters)).toEqual(['name(path)', 'namespace(path)', 'path(path)', 'path']);
  });

  it('publishes pods/log, binding, eviction and ephemeralcontainers with their kinds, in v2 and v3', () => {
    const r = rows('pods');
    const v2 = JSON.parse(r.v2().body) as V2Document;
    const pod = '/api/v1/namespaces/{namespace}/pods/{name}';
    const log = v2.paths[`${pod}/log`];
    expect(ops(log)).toEqual({ get: 'readCoreV1NamespacedPodLog' });
    expect(names(log.parameters)).toEqual([
      'container',
      'follow',
      'insecureSkipTLSVerifyBackend',
      'limitBytes',
      'name(path)',
      'namespace(path)',
      'pretty',
      'previous',
      'sinceSeconds',
      'stream',
      'tailLines',
      'timestamps',
    ]);
    expect(log.get).toMatchObject({
      description: 'read log of the specified Pod',
      produces: ['text/plain', 'application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'],
      'x-kubernetes-action': 'get',
      'x-kubernetes-group-version-kind': { group: '', version: 'v1', kind: 'Pod' },
    });
    expect(ops(v2.paths[`${pod}/binding`])).toEqual({ post: 'createCoreV1NamespacedPodBinding' });
    expect(v2.paths[`${pod}/binding`].post).toMatchObject({
      description: 'create binding of a Pod',
      parameters: [
        { name: 'body', in: 'body', schema: { $ref: '#/definitions/io.k8s.api.core.v1.Binding' } },
        { name: 'dryRun' },
        { name: 'fieldManager' },
        { name: 'fieldValidation' },
      ],
      'x-kubernetes-group-version-kind': { group: '', version: 'v1', kind: 'Binding' },
    });
    const eviction = v2.paths[`${pod}/eviction`].post;
    expect(eviction.operationId).toBe('createCoreV1NamespacedPodEviction');
    expect(eviction['x-kubernetes-group-version-kind']).toEqual({ group: 'policy', version: 'v1', kind: 'Eviction' });
    expect(eviction.responses['201']).toEqual({ description: 'Created', schema: { $ref: '#/definitions/io.k8s.api.policy.v1.Eviction' } });
    expect(v2.definitions['io.k8s.api.policy.v1.Eviction']['x-kubernetes-group-version-kind']).toEqual([
      { group: 'policy', kind: 'Eviction', version: 'v1' },
    ]);
    expect(ops(v2.paths[`${pod}/ephemeralcontainers`])).toEqual({
      get: 'readCoreV1NamespacedPodEphemeralcontainers',
      patch: 'patchCoreV1NamespacedPodEphemeralcontainers',
      put: 'replaceCoreV1NamespacedPodEphemeralcontainers',
    });
    expect(v2.paths[`${pod}/ephemeralcontainers`].patch.description).toBe('partially update ephemeralcontainers of the specified Pod');

    // v3: the same operations, bodies as requestBody, responses by media type; every $ref resolves.
    const v3 = r.v3GroupVersion('api/v1') as unknown as V3Document;
    expect(v3.paths[`${pod}/eviction`].post.requestBody.content['*/*']).toEqual({
      schema: { $ref: '#/components/schemas/io.k8s.api.policy.v1.Eviction' },
    });
    expect(v3.paths[`${pod}/exec`].get.responses['200'].content['*/*'].schema).toEqual({ type: 'string' });
    expect(v3.paths[`${pod}/exec`].parameters[0]).toMatchObject({ name: 'command', in: 'query', schema: { type: 'string' } });
    expect(v3.paths[`${pod}/log`].get.responses['200'].content['text/plain'].schema).toEqual({ type: 'string' });
    for (const m of JSON.stringify(v3).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g))
      expect(v3.components.schemas[m[1]]).toBeDefined();
  });

  it('publishes services/proxy, nodes/proxy and certificatesigningrequests/approval', () => {
    const r = rows('services', 'nodes', 'certificatesigningrequests');
    const v2 = JSON.parse(r.v2().body) as V2Document;
    expect(ops(v2.paths['/api/v1/namespaces/{namespace}/services/{name}/proxy/{path}']).get).toBe(
      'connectCoreV1GetNamespacedServiceProxyWithPath',
    );
    expect(v2.paths['/api/v1/namespaces/{namespace}/services/{name}/proxy'].get['x-kubernetes-group-version-kind']).toEqual({
      group: '',
      version: 'v1',
      kind: 'ServiceProxyOptions',
    });
    const node = v2.paths['/api/v1/nodes/{name}/proxy'];
    expect(ops(node).head).toBe('connectCoreV1HeadNodeProxy');
    expect(names(node.parameters)).toEqual(['name(path)', 'path']);
    expect(node.parameters[1]).toMatchObject({ description: 'Path is the URL path to use for the current proxy request to node.' });
    expect(ops(v2.paths['/apis/certificates.k8s.io/v1/certificatesigningrequests/{name}/approval'])).toEqual({
      get: 'readCertificatesV1CertificateSigningRequestApproval',
      patch: 'patchCertificatesV1CertificateSigningRequestApproval',
      put: 'replaceCertificatesV1CertificateSigningRequestApproval',
    });
  });
});
