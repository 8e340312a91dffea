import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  compareVersions,
  discoveryResponseType,
  negotiateDiscovery,
  storageVersionHash,
} from '../../src/server/endpoints/discovery.js';
import { BUILTIN_RESOURCES } from '../../src/server/registry/catalog.js';
import { configmaps, corpusPresent, crd, crdDescriptor, deployments, leases, namespaces } from '../helpers/descriptors.js';

/** apidiscovery.k8s.io APIGroupDiscovery, the fields these tests read. */
interface APIGroupDiscovery {
  metadata: { name?: string };
  versions: Array<{ version: string; freshness?: string; resources: Array<Record<string, unknown> & { subresources?: unknown[] }> }>;
}

const gateways = crdDescriptor(crd('gateway-api/crds/gateway.networking.k8s.io_gateways.yaml'), 'v1');
const gatewaysBeta = { ...gateways, version: 'v1beta1' };
const all = [gatewaysBeta, leases, deployments, configmaps, namespaces, gateways];

const CLIENT_GO_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

describe.skipIf(!corpusPresent)('legacy discovery', () => {
  it('storageVersionHash is base64 of the first 8 bytes of sha256("group/version/Kind")', () => {
    const want = createHash('sha256').update('/v1/ConfigMap').digest().subarray(0, 8).toString('base64');
    expect(storageVersionHash('', 'v1', 'ConfigMap')).toBe(want);
    expect(want).toBe('qFsyl6wFWjQ=');
  });

  it('/api lists v1 and the server address, without apiVersion', () => {
    expect(apiVersions('10.0.0.1:6443')).toEqual({
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }],
    });
  });

  it('/api/v1 is an APIResourceList without apiVersion, resources and subresources sorted by name', () => {
    const doc = apiResourceList(all, '', 'v1')!;
    expect(doc.apiVersion).toBeUndefined();
    expect(doc.groupVersion).toBe('v1');
    const resources = doc.resources as Record<string, unknown>[];
    expect(resources.map((r) => r.name)).toEqual(['configmaps', 'namespaces', 'namespaces/status']);
    expect(resources[0]).toEqual({
      name: 'configmaps',
      singularName: 'configmap',
      namespaced: true,
      kind: 'ConfigMap',
      verbs: configmaps.verbs,
      shortNames: ['cm'],
      storageVersionHash: 'qFsyl6wFWjQ=',
    });
    expect(resources[2]).toEqual({
      name: 'namespaces/status',
      singularName: '',
      namespaced: false,
      kind: 'Namespace',
      verbs: ['get', 'patch', 'update'],
    });
  });

  it('/apis/apps/v1 carries apiVersion, categories and the autoscaling/v1 Scale subresource', () => {
    const doc = apiResourceList(all, 'apps', 'v1')!;
    expect(doc).toMatchObject({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'apps/v1' });
    const resources = doc.resources as Record<string, unknown>[];
    expect(resources.map((r) => r.name)).toEqual(['deployments', 'deployments/scale', 'deployments/status']);
    expect(resources[0]).toMatchObject({
      categories: ['all'],
      shortNames: ['deploy'],
      storageVersionHash: storageVersionHash('apps', 'v1', 'Deployment'),
    });
    expect(resources[1]).toEqual({
      name: 'deployments/scale',
      singularName: '',
      namespaced: true,
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
      verbs: ['get', 'patch', 'update'],
    });
    expect(apiResourceList(all, 'apps', 'v2')).toBeUndefined();
  });

  it('a version served over another storage version hashes the storage version (HPA v1 over v2, a CRD version)', () => {
    const hpas = BUILTIN_RESOURCES.map((b) => b.descriptor).filter((d) => d.resource === 'horizontalpodautoscalers');
    const want = storageVersionHash('autoscaling', 'v2', 'HorizontalPodAutoscaler');
    expect(want).toBe('qwQve8ut294=');
    for (const v of ['v1', 'v2']) {
      const doc = apiResourceList(hpas, 'autoscaling', v)!;
      expect((doc.resources as Record<string, unknown>[])[0]).toMatchObject({ name: 'horizontalpodautoscalers', storageVersionHash: want });
    }
    const beta = apiResourceList([{ ...gatewaysBeta, storageVersion: 'v1' }], gateways.group, 'v1beta1')!;
    expect((beta.resources as Record<string, unknown>[])[0].storageVersionHash).toBe(storageVersionHash(gateways.group, 'v1', 'Gateway'));
  });

  it('CRD storage versions feed storageVersionHash', () => {
    const doc = apiResourceList(all, gateways.group, 'v1beta1', new Map([[`${gateways.group}/gateways`, 'v1']]))!;
    expect((doc.resources as Record<string, unknown>[])[0].storageVersionHash).toBe(storageVersionHash(gateways.group, 'v1', 'Gateway'));
  });

  it('/apis lists groups in kube priority order with the preferred version first', () => {
    const doc = apiGroupList(all);
    const groups = doc.groups as Array<{ name: string; versions: unknown[]; preferredVersion: unknown }>;
    expect(groups.map((g) => g.name)).toEqual(['apps', 'coordination.k8s.io', 'gateway.networking.k8s.io']);
    expect(groups[2].versions).toEqual([
      { groupVersion: 'gateway.networking.k8s.io/v1', version: 'v1' },
      { groupVersion: 'gateway.networking.k8s.io/v1beta1', version: 'v1beta1' },
    ]);
    expect(groups[2].preferredVersion).toEqual({ groupVersion: 'gateway.networking.k8s.io/v1', version: 'v1' });
    expect(apiGroup(all, 'apps')).toMatchObject({ kind: 'APIGroup', apiVersion: 'v1', name: 'apps' });
    expect(apiGroup(all, 'nope')).toBeUndefined();
    expect(apiGroup(all, '')).toBeUndefined();
  });

  it('orders versions kube-aware', () => {
    expect(['v1alpha1', 'foo', 'v1beta2', 'v2', 'v1', 'v1beta1', 'v11alpha2'].sort(compareVersions)).toEqual([
      'v2',
      'v1',
      'v1beta2',
      'v1beta1',
      'v11alpha2',
      'v1alpha1',
      'foo',
    ]);
  });
});

describe.skipIf(!corpusPresent)('aggregated discovery', () => {
  it('negotiates v2 for client-go, v2beta1 as fallback, legacy otherwise', () => {
    expect(discoveryResponseType(CLIENT_GO_ACCEPT)).toEqual({
      format: 'v2',
      contentType: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    });
    expect(negotiateDiscovery('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json')).toBe(
      'v2beta1',
    );
    expect(
      negotiateDiscovery('application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json'),
    ).toBe('legacy');
    expect(negotiateDiscovery('application/json')).toBe('legacy');
    expect(negotiateDiscovery(undefined)).toBe('legacy');
    expect(discoveryResponseType('*/*')).toEqual({ format: 'legacy' });
  });

  it('/api has one item, the legacy group, with empty responseKind group/version for built-ins', () => {
    const doc = aggregatedDiscovery(all, 'api', 'v2');
    expect(doc).toMatchObject({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {} });
    const items = doc.items as APIGroupDiscovery[];
    expect(items).toHaveLength(1);
    expect(items[0].metadata.name ?? '').toBe('');
    const v1 = items[0].versions[0];
    expect(v1).toMatchObject({ version: 'v1', freshness: 'Current' });
    expect(v1.resources[0]).toEqual({
      resource: 'configmaps',
      responseKind: { group: '', version: '', kind: 'ConfigMap' },
      scope: 'Namespaced',
      singularResource: 'configmap',
      verbs: configmaps.verbs,
      shortNames: ['cm'],
    });
    expect(v1.resources[1]).toMatchObject({
      resource: 'namespaces',
      scope: 'Cluster',
      subresources: [
        { subresource: 'status', responseKind: { group: '', version: '', kind: 'Namespace' }, verbs: ['get', 'patch', 'update'] },
      ],
    });
  });

  it('/apis: groups by priority, versions preferred first, Scale subresource, CRD responseKind with group/version', () => {
    const doc = aggregatedDiscovery(all, 'apis', 'v2beta1');
    expect(doc.apiVersion).toBe('apidiscovery.k8s.io/v2beta1');
    const items = doc.items as APIGroupDiscovery[];
    expect(items.map((i) => i.metadata.name)).toEqual(['apps', 'coordination.k8s.io', 'gateway.networking.k8s.io']);
    const deploy = items[0].versions[0].resources[0];
    expect(deploy.categories).toEqual(['all']);
    expect(deploy.subresources).toEqual([
      { subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] },
      { subresource: 'status', responseKind: { group: '', version: '', kind: 'Deployment' }, verbs: ['get', 'patch', 'update'] },
    ]);
    const gw = items[2];
    expect(gw.versions.map((v) => v.version)).toEqual(['v1', 'v1beta1']);
    expect(gw.versions[0].resources[0]).toMatchObject({
      resource: 'gateways',
      responseKind: { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'Gateway' },
      singularResource: 'gateway',
      shortNames: ['gtw'],
      categories: ['gateway-api'],
    });
    expect(gw.versions[0].resources[0].subresources).toEqual([
      {
        subresource: 'status',
        responseKind: { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'Gateway' },
        verbs: ['get', 'patch', 'update'],
      },
    ]);
  });
});

describe('discovery helpers', () => {
  it('orders versions, hashes storage versions and negotiates aggregated discovery like kube', () => {
    expect(['v1alpha1', 'v2', 'v1beta2', 'v1', 'v1beta1', 'foo'].sort(compareVersions)).toEqual([
      'v2',
      'v1',
      'v1beta2',
      'v1beta1',
      'v1alpha1',
      'foo',
    ]);
    expect(storageVersionHash('', 'v1', 'ConfigMap')).toMatch(/^[A-Za-z0-9+/]{11}=$/);
    expect(negotiateDiscovery('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json')).toBe('v2');
    expect(negotiateDiscovery('application/json')).toBe('legacy');
  });
});
