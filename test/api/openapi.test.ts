import { describe, expect, it } from 'vitest';
import { OpenAPIRegistry } from '../../src/server/api/openapi/registry.js';
import { configmaps, crd, crdDescriptor, deployments, leases } from './helpers.js';

const certificates = crd('cert-manager/crds/cert-manager.io_certificates.yaml');
const certDescriptor = crdDescriptor(certificates, 'v1');
const certSchema = certificates.spec.versions[0].schema.openAPIV3Schema;

function registry(): OpenAPIRegistry {
  const r = new OpenAPIRegistry();
  r.addBuiltin(configmaps, 'V1ConfigMap');
  r.addBuiltin(deployments, 'V1Deployment');
  r.addBuiltin(leases, 'V1Lease');
  r.addCustom(certDescriptor, certSchema);
  return r;
}

describe('OpenAPI v3', () => {
  it('index: one entry per group-version, keys without leading slash, hash of the document', () => {
    const r = registry();
    const index = r.v3Index();
    expect(Object.keys(index.paths)).toEqual(['api/v1', 'apis/apps/v1', 'apis/cert-manager.io/v1', 'apis/coordination.k8s.io/v1']);
    expect(index.paths['api/v1'].serverRelativeURL).toBe(`/openapi/v3/api/v1?hash=${r.v3('api/v1')!.hash}`);
    expect(r.v3('api/v1')!.hash).toMatch(/^[0-9A-F]{128}$/);
  });

  it('PATCH carries fieldValidation and the built-in patch types; kinds carry x-kubernetes-group-version-kind', () => {
    const doc = registry().v3GroupVersion('api/v1') as any;
    const patch = doc.paths['/api/v1/namespaces/{namespace}/configmaps/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: '', version: 'v1', kind: 'ConfigMap' });
    expect(patch['x-kubernetes-action']).toBe('patch');
    expect(patch.parameters.map((p: any) => p.name)).toContain('fieldValidation');
    expect(Object.keys(patch.requestBody.content)).toEqual(['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml']);
    const cm = doc.components.schemas['io.k8s.api.core.v1.ConfigMap'];
    expect(cm['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'ConfigMap', version: 'v1' }]);
    expect(cm.description).toBe('ConfigMap holds configuration data for pods to consume.');
    expect(cm.properties.data).toMatchObject({ type: 'object', additionalProperties: { type: 'string' } });
    expect(cm.properties.metadata).toEqual({ allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }], description: expect.stringContaining("Standard object's metadata") });
    expect(doc.components.schemas['io.k8s.api.core.v1.ConfigMapList']['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'ConfigMapList', version: 'v1' }]);
    expect(doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.labels).toBeDefined();
    for (const p of ['post', 'put']) {
      const op = doc.paths[p === 'post' ? '/api/v1/namespaces/{namespace}/configmaps' : '/api/v1/namespaces/{namespace}/configmaps/{name}'][p];
      expect(op.parameters.map((x: any) => x.name)).toContain('fieldValidation');
    }
  });

  it('every $ref resolves inside its document', () => {
    const r = registry();
    for (const gv of Object.keys(r.v3Index().paths)) {
      const body = r.v3(gv)!.body;
      const doc = JSON.parse(body);
      for (const m of body.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) expect(doc.components.schemas[m[1]], `${gv}: ${m[1]}`).toBeDefined();
    }
    const v2 = r.v2Document() as any;
    for (const m of r.v2().body.matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)) expect(v2.definitions[m[1]], m[1]).toBeDefined();
  });

  it('shared core types keep the core package; required fields come from the models', () => {
    const doc = registry().v3GroupVersion('apis/apps/v1') as any;
    expect(doc.components.schemas['io.k8s.api.core.v1.PodSpec'].required).toEqual(['containers']);
    expect(doc.components.schemas['io.k8s.api.core.v1.Container'].required).toEqual(['name']);
    expect(doc.components.schemas['io.k8s.api.apps.v1.DeploymentSpec'].required).toEqual(['selector', 'template']);
    expect(doc.components.schemas['io.k8s.api.autoscaling.v1.Scale']['x-kubernetes-group-version-kind']).toEqual([{ group: 'autoscaling', kind: 'Scale', version: 'v1' }]);
    expect(doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch['x-kubernetes-group-version-kind']).toEqual({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
  });

  it('publishes CRD schemas as kube does: apiVersion/kind/metadata, list kind, descriptions, no strategic merge patch', () => {
    const doc = registry().v3GroupVersion('apis/cert-manager.io/v1') as any;
    const cert = doc.components.schemas['io.cert-manager.v1.Certificate'];
    expect(cert['x-kubernetes-group-version-kind']).toEqual([{ group: 'cert-manager.io', kind: 'Certificate', version: 'v1' }]);
    expect(cert.properties.metadata.allOf[0].$ref).toBe('#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    expect(cert.properties.apiVersion.type).toBe('string');
    expect(cert.properties.spec.description).toBe(certSchema.properties.spec.description);
    expect(doc.components.schemas['io.cert-manager.v1.CertificateList'].properties.items.items.$ref).toBe('#/components/schemas/io.cert-manager.v1.Certificate');
    const patch = doc.paths['/apis/cert-manager.io/v1/namespaces/{namespace}/certificates/{name}'].patch;
    expect(Object.keys(patch.requestBody.content)).toEqual(['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']);
    expect(patch.parameters.map((p: any) => p.name)).toContain('fieldValidation');
  });

  it('hashes change with content; stale hash redirects, matching hash is immutable, If-None-Match gives 304', () => {
    const r = registry();
    const before = r.v3('apis/cert-manager.io/v1')!.hash;
    const apps = r.v3('apis/apps/v1')!.hash;
    const ok = r.v3Response('apis/cert-manager.io/v1', new URLSearchParams(`hash=${before}`))!;
    expect(ok.status).toBe(200);
    expect(ok.headers).toMatchObject({ ETag: `"${before}"`, 'Cache-Control': 'public, immutable' });
    expect(r.v3Response('apis/cert-manager.io/v1', new URLSearchParams(), `"${before}"`)!.status).toBe(304);
    r.addCustom({ ...certDescriptor, resource: 'certificates' }, { type: 'object', properties: { spec: { type: 'object', description: 'changed' } } });
    const after = r.v3('apis/cert-manager.io/v1')!.hash;
    expect(after).not.toBe(before);
    expect(r.v3('apis/apps/v1')!.hash).toBe(apps);
    expect(r.v3Response('apis/cert-manager.io/v1', new URLSearchParams(`hash=${before}`))).toEqual({ status: 301, headers: { Location: `/openapi/v3/apis/cert-manager.io/v1?hash=${after}` } });
    expect(r.etag('/openapi/v3/apis/cert-manager.io/v1')).toBe(`"${after}"`);
    r.remove(certDescriptor);
    expect(r.v3('apis/cert-manager.io/v1')).toBeUndefined();
    expect(Object.keys(r.v3Index().paths)).not.toContain('apis/cert-manager.io/v1');
  });

  it('refuses a kind without a generated model', () => {
    expect(() => new OpenAPIRegistry().addBuiltin(configmaps, 'V1NoSuchKind')).toThrow(/no generated model V1NoSuchKind/);
  });

  it('v2 has definitions and paths for every kind', () => {
    const v2 = registry().v2Document() as any;
    expect(v2.swagger).toBe('2.0');
    expect(v2.definitions['io.k8s.api.coordination.v1.Lease']['x-kubernetes-group-version-kind']).toEqual([{ group: 'coordination.k8s.io', kind: 'Lease', version: 'v1' }]);
    expect(v2.paths['/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}'].patch.parameters.map((p: any) => p.name)).toContain('fieldValidation');
    expect(v2.definitions['io.k8s.api.core.v1.ConfigMap'].properties.metadata.$ref).toBe('#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  });
});
