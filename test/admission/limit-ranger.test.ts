import { describe, expect, it } from 'vitest';
import { CORE } from '../../src/server/admission/plugins/deps.js';
import { LimitRanger } from '../../src/server/admission/plugins/limit-ranger.js';
import { attrs, descriptor, FakeObjects, PODS, pod, refusal } from './fake-objects.js';

const limitRange = (limits: unknown[]) => ({
  apiVersion: 'v1',
  kind: 'LimitRange',
  metadata: { name: 'lr', namespace: 'ns' },
  spec: { limits },
});

describe('LimitRanger', () => {
  it('defaults container requests and limits, and annotates what it set', async () => {
    const objects = new FakeObjects().add(
      CORE('limitranges'),
      limitRange([{ type: 'Container', default: { cpu: '500m', memory: '128Mi' }, defaultRequest: { cpu: '100m' } }]),
    );
    const p = pod('p', [{ name: 'c', image: 'x', resources: { limits: { memory: '64Mi' } } }]);
    await new LimitRanger(objects).admit(attrs('CREATE', PODS, p));
    const c = (p.spec as { containers: Array<{ resources: unknown }> }).containers[0];
    expect(c.resources).toEqual({ limits: { memory: '64Mi', cpu: '500m' }, requests: { cpu: '100m', memory: '128Mi' } });
    expect(p.metadata?.annotations?.['kubernetes.io/limit-ranger']).toBe(
      'LimitRanger plugin set: cpu, memory request for container c; cpu limit for container c',
    );
  });

  it('defaults from max when no default is given (SetDefaults_LimitRangeItem)', async () => {
    const objects = new FakeObjects().add(CORE('limitranges'), limitRange([{ type: 'Container', max: { cpu: '1' } }]));
    const p = pod('p', [{ name: 'c', image: 'x' }]);
    await new LimitRanger(objects).admit(attrs('CREATE', PODS, p));
    expect((p.spec as { containers: Array<{ resources: unknown }> }).containers[0].resources).toEqual({
      limits: { cpu: '1' },
      requests: { cpu: '1' },
    });
  });

  it('refuses containers over max, under min and over the ratio, with kube messages', async () => {
    const objects = new FakeObjects().add(
      CORE('limitranges'),
      limitRange([{ type: 'Container', max: { cpu: '1' }, min: { memory: '64Mi' }, maxLimitRequestRatio: { cpu: '2' } }]),
    );
    const p = pod('p', [
      { name: 'c', image: 'x', resources: { requests: { cpu: '500m', memory: '32Mi' }, limits: { cpu: '2', memory: '32Mi' } } },
    ]);
    const msg = await refusal(new LimitRanger(objects).validate(attrs('CREATE', PODS, p)));
    expect(msg).toBe(
      'pods "p" is forbidden: [minimum memory usage per Container is 64Mi, but request is 32Mi, maximum cpu usage per Container is 1, but limit is 2, cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000]',
    );
  });

  it('checks Pod totals and PVC storage', async () => {
    const objects = new FakeObjects().add(
      CORE('limitranges'),
      limitRange([
        { type: 'Pod', max: { memory: '100Mi' } },
        { type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '2Gi' } },
      ]),
    );
    const p = pod('p', [
      { name: 'a', resources: { limits: { memory: '60Mi' } } },
      { name: 'b', resources: { limits: { memory: '60Mi' } } },
    ]);
    expect(await refusal(new LimitRanger(objects).validate(attrs('CREATE', PODS, p)))).toBe(
      'pods "p" is forbidden: maximum memory usage per Pod is 100Mi, but limit is 120Mi',
    );
    const pvc = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'c', namespace: 'ns' },
      spec: { resources: { requests: { storage: '5Gi' } } },
    };
    expect(
      await refusal(
        new LimitRanger(objects).validate(attrs('CREATE', descriptor('', 'persistentvolumeclaims', 'PersistentVolumeClaim'), pvc)),
      ),
    ).toBe('persistentvolumeclaims "c" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi');
  });

  it('leaves pod updates alone', async () => {
    const objects = new FakeObjects().add(CORE('limitranges'), limitRange([{ type: 'Container', max: { cpu: '1' } }]));
    const p = pod('p', [{ name: 'c', resources: { limits: { cpu: '4' } } }]);
    await new LimitRanger(objects).validate(attrs('UPDATE', PODS, p, { oldObject: p }));
  });
});
