// The simulated workload controllers end to end with kubectl on both backends: a Deployment rolls
// out to Running pods on simulated nodes (`kubectl rollout status|history|undo`), a Job's pods
// succeed and it completes, and deleting the Deployment collects its ReplicaSets and pods.

import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';

interface Obj {
  metadata: { name: string; annotations?: Record<string, string>; ownerReferences?: Array<{ kind: string }> };
  spec?: { replicas?: number; nodeName?: string; template?: { spec?: { containers?: Array<{ image: string }> } } };
  status?: Record<string, unknown> & {
    phase?: string;
    podIP?: string;
    conditions?: Array<{ type: string; status: string; reason?: string }>;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(BACKENDS)('simulated workloads on %s storage', (storage) => {
  const s = useEnv(storage, { controllers: ['all'], apiserverArgs: ['--nodes=2'] });
  const items = async (args: string[]): Promise<Obj[]> => {
    const r = await s.kubectl(['get', ...args, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { items: Obj[] }).items;
  };

  it('serves Ready simulated nodes', async () => {
    const r = await s.kubectl(['get', 'nodes']);
    expect(r.stdout).toMatch(/kapi-node-1\s+Ready/);
    expect(r.stdout).toMatch(/kapi-node-2\s+Ready/);
  });

  it('a Deployment rolls out to Running pods; set image, history and undo work', async () => {
    expect((await s.kubectl(['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=3'])).code).toBe(0);
    const status = await s.kubectl(['rollout', 'status', 'deployment/web', '--timeout=20s']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('deployment "web" successfully rolled out');
    const pods = await items(['pods', '-l', 'app=web']);
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.status?.phase).toBe('Running');
      expect(p.spec?.nodeName).toMatch(/^kapi-node-[12]$/);
      expect(p.status?.podIP).toMatch(/^10\.244\./);
      expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(p.metadata.ownerReferences?.[0].kind).toBe('ReplicaSet');
    }
    const deploy = JSON.parse((await s.kubectl(['get', 'deployment', 'web', '-o', 'json'])).stdout) as Obj;
    expect(deploy.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(deploy.status).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect(deploy.status?.conditions?.map((c) => [c.type, c.reason])).toEqual([
      ['Available', 'MinimumReplicasAvailable'],
      ['Progressing', 'NewReplicaSetAvailable'],
    ]);

    expect((await s.kubectl(['set', 'image', 'deployment/web', 'nginx=nginx:1.26'])).code).toBe(0);
    const second = await s.kubectl(['rollout', 'status', 'deployment/web', '--timeout=20s']);
    expect(second.code, second.stderr).toBe(0);
    const sets = await items(['replicasets', '-l', 'app=web']);
    expect(sets).toHaveLength(2);
    const byRevision = Object.fromEntries(sets.map((rs) => [rs.metadata.annotations?.['deployment.kubernetes.io/revision'], rs]));
    expect(byRevision['2'].spec?.replicas).toBe(3);
    expect(byRevision['1'].spec?.replicas).toBe(0);
    const history = await s.kubectl(['rollout', 'history', 'deployment/web']);
    expect(history.stdout).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);

    const undo = await s.kubectl(['rollout', 'undo', 'deployment/web']);
    expect(undo.code, undo.stderr).toBe(0);
    expect(undo.stdout).toContain('deployment.apps/web rolled back');
    expect((await s.kubectl(['rollout', 'status', 'deployment/web', '--timeout=20s'])).code).toBe(0);
    const after = JSON.parse((await s.kubectl(['get', 'deployment', 'web', '-o', 'json'])).stdout) as Obj;
    expect(after.spec?.template?.spec?.containers?.[0].image).toBe('nginx:1.25');
    expect(after.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    const pods2 = await items(['pods', '-l', 'app=web']);
    expect(pods2.filter((p) => p.status?.phase === 'Running')).toHaveLength(3);
  });

  it('a Service gets an EndpointSlice and Endpoints with its ready pods', async () => {
    expect((await s.kubectl(['expose', 'deployment', 'web', '--port=80', '--target-port=8080'])).code).toBe(0);
    let slice: (Obj & { endpoints?: Array<Record<string, unknown>>; ports?: unknown[] }) | undefined;
    for (let i = 0; i < 100; i++) {
      [slice] = (await items(['endpointslices', '-l', 'kubernetes.io/service-name=web'])) as Array<typeof slice>;
      if (slice?.endpoints?.length === 3) break;
      await sleep(50);
    }
    expect(slice?.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(slice?.endpoints).toHaveLength(3);
    expect(slice?.endpoints?.[0]).toMatchObject({
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod' },
    });
    expect(slice?.ports).toEqual([{ name: '', port: 8080, protocol: 'TCP' }]);
    expect(slice?.metadata.ownerReferences?.[0].kind).toBe('Service');
    const ep = JSON.parse((await s.kubectl(['get', 'endpoints', 'web', '-o', 'json'])).stdout) as {
      subsets: Array<{ addresses: unknown[]; ports: unknown[] }>;
    };
    expect(ep.subsets[0].addresses).toHaveLength(3);
    expect(ep.subsets[0].ports).toEqual([{ port: 8080, protocol: 'TCP' }]);
  });

  it('kubectl scale follows; deleting the Deployment collects its ReplicaSets and pods', async () => {
    expect((await s.kubectl(['scale', 'deployment/web', '--replicas=1'])).code).toBe(0);
    expect((await s.kubectl(['rollout', 'status', 'deployment/web', '--timeout=20s'])).code).toBe(0);
    for (let i = 0; i < 100 && (await items(['pods', '-l', 'app=web'])).length !== 1; i++) await sleep(50);
    expect(await items(['pods', '-l', 'app=web'])).toHaveLength(1);
    expect((await s.kubectl(['delete', 'deployment', 'web', '--cascade=foreground', '--timeout=20s'])).code).toBe(0);
    for (let i = 0; i < 100 && (await items(['pods,replicasets', '-l', 'app=web'])).length > 0; i++) await sleep(50);
    expect(await items(['pods,replicasets', '-l', 'app=web'])).toHaveLength(0);
  });

  it('a Job runs its pods to success and completes', async () => {
    expect((await s.kubectl(['create', 'job', 'pi', '--image=busybox', '--', 'true'])).code).toBe(0);
    const wait = await s.kubectl(['wait', '--for=condition=complete', 'job/pi', '--timeout=20s']);
    expect(wait.code, wait.stderr).toBe(0);
    const job = JSON.parse((await s.kubectl(['get', 'job', 'pi', '-o', 'json'])).stdout) as Obj;
    expect(job.status).toMatchObject({ succeeded: 1, ready: 0, terminating: 0 });
    expect(job.status?.conditions?.map((c) => c.type)).toEqual(['SuccessCriteriaMet', 'Complete']);
    expect(job.status?.completionTime).toBeTruthy();
    const pods = await items(['pods', '-l', 'job-name=pi']);
    expect(pods.map((p) => p.status?.phase)).toEqual(['Succeeded']);
  });

  it('a DaemonSet runs one pod per node and rolls out a new template', async () => {
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'agent:1' }] } },
      },
    };
    expect((await s.kubectl(['apply', '-f', '-'], JSON.stringify(ds))).code).toBe(0);
    const first = await s.kubectl(['rollout', 'status', 'daemonset/agent', '--timeout=20s']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('daemon set "agent" successfully rolled out');
    const pods = await items(['pods', '-l', 'app=agent']);
    expect(pods.map((p) => p.spec?.nodeName).sort()).toEqual(['kapi-node-1', 'kapi-node-2']);
    expect(pods.every((p) => p.status?.phase === 'Running')).toBe(true);
    expect((await s.kubectl(['set', 'image', 'daemonset/agent', 'a=agent:2'])).code).toBe(0);
    expect((await s.kubectl(['rollout', 'status', 'daemonset/agent', '--timeout=20s'])).code).toBe(0);
    const updated = await items(['pods', '-l', 'app=agent']);
    const running = updated.filter((p) => p.status?.phase === 'Running');
    expect(running).toHaveLength(2);
    expect(running.map((p) => (p.spec as { containers: Array<{ image: string }> }).containers[0].image)).toEqual(['agent:2', 'agent:2']);
    const status = JSON.parse((await s.kubectl(['get', 'ds', 'agent', '-o', 'json'])).stdout) as Obj;
    expect(status.status).toMatchObject({
      desiredNumberScheduled: 2,
      currentNumberScheduled: 2,
      numberReady: 2,
      updatedNumberScheduled: 2,
      numberAvailable: 2,
    });
  });

  it('a StatefulSet creates its pods in order, rolls out a new revision, and keeps its history', async () => {
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: {
        serviceName: 'db',
        replicas: 3,
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'db:1' }] } },
      },
    };
    expect((await s.kubectl(['apply', '-f', '-'], JSON.stringify(sts))).code).toBe(0);
    const first = await s.kubectl(['rollout', 'status', 'statefulset/db', '--timeout=20s']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('partitioned roll out complete: 3 new pods have been updated...');
    const pods = await items(['pods', '-l', 'app=db']);
    expect(pods.map((p) => p.metadata.name).sort()).toEqual(['db-0', 'db-1', 'db-2']);
    expect(pods.every((p) => p.status?.phase === 'Running')).toBe(true);
    expect((await s.kubectl(['set', 'image', 'statefulset/db', 'db=db:2'])).code).toBe(0);
    const second = await s.kubectl(['rollout', 'status', 'statefulset/db', '--timeout=20s']);
    expect(second.code, second.stderr).toBe(0);
    const updated = await items(['pods', '-l', 'app=db']);
    expect(updated.map((p) => (p.spec as { containers: Array<{ image: string }> }).containers[0].image)).toEqual(['db:2', 'db:2', 'db:2']);
    const status = JSON.parse((await s.kubectl(['get', 'sts', 'db', '-o', 'json'])).stdout) as Obj;
    expect(status.status).toMatchObject({ replicas: 3, readyReplicas: 3, updatedReplicas: 3, currentReplicas: 3 });
    expect(status.status?.currentRevision).toBe(status.status?.updateRevision);
    const history = await s.kubectl(['rollout', 'history', 'statefulset/db']);
    expect(history.stdout).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
  });

  it('settled controllers write nothing more (no hot loop)', async () => {
    const versions = async (): Promise<string[]> =>
      (
        await items([
          'jobs,replicasets,deployments,daemonsets,statefulsets,controllerrevisions,pods,nodes,serviceaccounts,configmaps,endpointslices,endpoints',
          '-A',
        ])
      ).map((o) => `${o.metadata.name}@${(o.metadata as { resourceVersion?: string }).resourceVersion}`);
    const before = await versions();
    await sleep(700);
    expect(await versions()).toEqual(before);
  });
});
