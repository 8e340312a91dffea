// kubectl's typed generators send protobuf bodies (`application/vnd.kubernetes.protobuf`); each
// creates its object, stored with the fields kubectl set, on every backend.

import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';

// biome-ignore lint/suspicious/noExplicitAny: assertions walk decoded JSON
type Obj = Record<string, any>;

describe.each(BACKENDS)('kubectl typed generators on %s storage', (storage) => {
  const s = useEnv(storage);

  async function create(args: string[]): Promise<void> {
    const r = await s.kubectl(['create', ...args]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }

  async function get(resource: string, name: string): Promise<Obj> {
    const r = await s.kubectl(['get', resource, name, '-o', 'json']);
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout);
  }

  it('creates a Deployment', async () => {
    await create(['deployment', 'web', '--image=nginx:1.27', '--replicas=2', '--port=80']);
    const d = await get('deployment', 'web');
    expect(d.metadata.labels).toEqual({ app: 'web' });
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.selector).toEqual({ matchLabels: { app: 'web' } });
    expect(d.spec.template.metadata.labels).toEqual({ app: 'web' });
    const [c] = d.spec.template.spec.containers;
    expect(c).toMatchObject({ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }] });
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
  });

  it('creates a Job and a CronJob', async () => {
    await create(['job', 'j', '--image=busybox']);
    const j = await get('job', 'j');
    expect(j.spec.template.spec.containers).toMatchObject([{ name: 'j', image: 'busybox' }]);
    expect(j.spec.template.spec.restartPolicy).toBe('Never');
    await create(['cronjob', 'c', '--image=busybox', '--schedule=*/5 * * * *']);
    const c = await get('cronjob', 'c');
    expect(c.spec.schedule).toBe('*/5 * * * *');
    expect(c.spec.jobTemplate.metadata.name).toBe('c');
    expect(c.spec.jobTemplate.spec.template.spec.containers).toMatchObject([{ name: 'c', image: 'busybox' }]);
    expect(c.spec.jobTemplate.spec.template.spec.restartPolicy).toBe('OnFailure');
  });

  it('creates an Ingress with an inlined rule value', async () => {
    await create(['ingress', 'i', '--rule=foo.com/bar=svc1:8080']);
    const i = await get('ingress', 'i');
    expect(i.spec.rules).toEqual([
      {
        host: 'foo.com',
        http: { paths: [{ path: '/bar', pathType: 'Exact', backend: { service: { name: 'svc1', port: { number: 8080 } } } }] },
      },
    ]);
  });

  it('creates a PodDisruptionBudget, a ResourceQuota and a PriorityClass', async () => {
    await create(['pdb', 'p', '--selector=app=web', '--min-available=1']);
    const p = await get('pdb', 'p');
    expect(p.spec).toMatchObject({ minAvailable: 1, selector: { matchLabels: { app: 'web' } } });
    await create(['quota', 'q', '--hard=pods=10']);
    const q = await get('quota', 'q');
    expect(q.spec.hard).toEqual({ pods: '10' });
    await create(['priorityclass', 'pc', '--value=1000']);
    const pc = await get('priorityclass', 'pc');
    expect(pc.value).toBe(1000);
    // globalDefault is an omitempty bool: false is not written.
    expect(pc).not.toHaveProperty('globalDefault');
    expect(pc.preemptionPolicy).toBe('PreemptLowerPriority');
  });

  it('creates a NodePort Service with an integer targetPort', async () => {
    await create(['service', 'nodeport', 'np', '--tcp=80:8080']);
    const svc = await get('service', 'np');
    expect(svc.spec.type).toBe('NodePort');
    expect(svc.spec.selector).toEqual({ app: 'np' });
    expect(svc.spec.ports).toHaveLength(1);
    expect(svc.spec.ports[0]).toMatchObject({ name: '80-8080', port: 80, protocol: 'TCP', targetPort: 8080 });
    expect(svc.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
  });

  it('creates a generic Secret and runs a Pod', async () => {
    await create(['secret', 'generic', 's', '--from-literal=a=b']);
    const secret = await get('secret', 's');
    expect(secret.data).toEqual({ a: Buffer.from('b').toString('base64') });
    expect(secret.type).toBe('Opaque');
    const r = await s.kubectl(['run', 'p', '--image=nginx']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('pod/p created');
    const pod = await get('pod', 'p');
    expect(pod.metadata.labels).toEqual({ run: 'p' });
    expect(pod.spec.containers).toMatchObject([{ name: 'p', image: 'nginx' }]);
  });
});
