import { describe, expect, it } from 'vitest';
import { CORE } from '../../src/server/admission/plugins/deps.js';
import { limitedResourcesFrom, ResourceQuota } from '../../src/server/admission/plugins/resource-quota.js';
import { attrs, descriptor, FakeObjects, PODS, pod, refusal } from './fake-objects.js';

const quota = (hard: Record<string, string>, used?: Record<string, string>, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ResourceQuota',
  metadata: { name: 'q', namespace: 'ns' },
  spec: { hard, ...spec },
  status: used ? { hard, used } : undefined,
});

describe('ResourceQuota admission', () => {
  it('counts an admitted pod in status.used, then refuses the one over the limit', async () => {
    const objects = new FakeObjects().add(
      CORE('resourcequotas'),
      quota({ pods: '1', 'requests.cpu': '1' }, { pods: '0', 'requests.cpu': '0' }),
    );
    const plugin = new ResourceQuota(objects);
    await plugin.validate(attrs('CREATE', PODS, pod('a', [{ name: 'c', resources: { requests: { cpu: '500m' } } }])));
    expect((await objects.get(CORE('resourcequotas'), 'ns', 'q'))?.status).toEqual({
      hard: { pods: '1', 'requests.cpu': '1' },
      used: { pods: '1', 'requests.cpu': '500m' },
    });
    expect(await refusal(plugin.validate(attrs('CREATE', PODS, pod('b', [{ name: 'c', resources: { requests: { cpu: '100m' } } }]))))).toBe(
      'pods "b" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1',
    );
  });

  it('asks every container to set what the quota constrains', async () => {
    const objects = new FakeObjects().add(
      CORE('resourcequotas'),
      quota({ 'limits.cpu': '2', 'limits.memory': '1Gi' }, { 'limits.cpu': '0', 'limits.memory': '0' }),
    );
    expect(await refusal(new ResourceQuota(objects).validate(attrs('CREATE', PODS, pod('p', [{ name: 'c' }]))))).toBe(
      'pods "p" is forbidden: failed quota: q: must specify limits.cpu,limits.memory',
    );
  });

  it('refuses while the quota has no usage yet (the controller has not computed it)', async () => {
    const objects = new FakeObjects().add(CORE('resourcequotas'), { ...quota({ configmaps: '2' }), status: { hard: { configmaps: '2' } } });
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm', namespace: 'ns' } };
    expect(await refusal(new ResourceQuota(objects).validate(attrs('CREATE', descriptor('', 'configmaps', 'ConfigMap'), cm)))).toBe(
      'configmaps "m" is forbidden: status unknown for quota: q, resources: configmaps',
    );
  });

  it('counts count/<resource>.<group> and leaves dry runs uncounted', async () => {
    const objects = new FakeObjects().add(
      CORE('resourcequotas'),
      quota({ 'count/deployments.apps': '1' }, { 'count/deployments.apps': '1' }),
    );
    const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'ns' } };
    expect(
      await refusal(new ResourceQuota(objects).validate(attrs('CREATE', { ...descriptor('apps', 'deployments', 'Deployment') }, d))),
    ).toBe(
      'deployments.apps "d" is forbidden: exceeded quota: q, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1',
    );
    const o2 = new FakeObjects().add(CORE('resourcequotas'), quota({ services: '5' }, { services: '1' }));
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'ns' }, spec: {} };
    await new ResourceQuota(o2).validate(attrs('CREATE', descriptor('', 'services', 'Service'), svc, { dryRun: true }));
    expect(o2.statusWrites).toBe(0);
  });

  it('applies scopes to pods only', async () => {
    const objects = new FakeObjects().add(CORE('resourcequotas'), quota({ pods: '0' }, { pods: '0' }, { scopes: ['BestEffort'] }));
    const plugin = new ResourceQuota(objects);
    await plugin.validate(attrs('CREATE', PODS, pod('guaranteed', [{ name: 'c', resources: { requests: { cpu: '1' } } }])));
    expect(await refusal(plugin.validate(attrs('CREATE', PODS, pod('be', [{ name: 'c' }]))))).toContain('exceeded quota: q');
  });

  it('refuses consumption of limitedResources no quota covers', async () => {
    const limited = limitedResourcesFrom({ limitedResources: [{ resource: 'pods', matchContains: ['cpu'] }] });
    const plugin = new ResourceQuota(new FakeObjects(), limited);
    expect(await refusal(plugin.validate(attrs('CREATE', PODS, pod('p', [{ name: 'c', resources: { requests: { cpu: '1' } } }]))))).toBe(
      'pods "p" is forbidden: insufficient quota to consume: cpu,requests.cpu',
    );
    await plugin.validate(attrs('CREATE', PODS, pod('q', [{ name: 'c' }])));
  });
});
