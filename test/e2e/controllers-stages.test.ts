// Configurable pod stages on simulated nodes, end to end with kubectl on both backends: containers that
// crash-loop (CrashLoopBackOff, restartCount rising, not Ready; a Deployment never becomes available),
// pods that never become Ready, Job pods that fail until backoffLimit fails the Job, and a failure rate
// with the per-pod annotation taking precedence.

import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';

interface Pod {
  metadata: { name: string };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
    containerStatuses?: Array<{
      ready: boolean;
      restartCount: number;
      started?: boolean;
      state: { waiting?: { reason: string; message: string }; running?: unknown; terminated?: { exitCode: number; reason: string } };
      lastState: { terminated?: { exitCode: number; reason: string } };
    }>;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; ) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const ready = (p: Pod) => p.status?.conditions?.find((c) => c.type === 'Ready');

describe.each(BACKENDS)('simulated pod stages on %s storage', (storage) => {
  const s = useEnv(storage, {
    controllers: ['deployment', 'replicaset', 'job'],
    simulation: { nodes: 1, crashLoopBackOffMs: 100 },
  });
  const pods = async (selector: string): Promise<Pod[]> => {
    const r = await s.client.get<{ items: Pod[] }>(`/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(selector)}`);
    return r.body.items;
  };
  const deployment = (name: string, annotation: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: { 'kapi-env.io/simulate': annotation } },
        spec: { containers: [{ name: 'app', image: 'busybox' }] },
      },
    },
  });

  it('crash-looping containers: CrashLoopBackOff, restartCount rising, not Ready; the rollout never completes', async () => {
    expect((await s.client.post('/apis/apps/v1/namespaces/default/deployments', deployment('crashy', 'fail'))).status).toBe(201);
    const pod = await until('restarts', async () => {
      const [p] = await pods('app=crashy');
      return (p?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2 ? p : undefined;
    });
    expect(pod.status?.phase).toBe('Running');
    const c = pod.status!.containerStatuses![0];
    expect(c.ready).toBe(false);
    expect(c.started).toBe(false);
    expect(c.state.waiting?.reason).toBe('CrashLoopBackOff');
    expect(c.state.waiting?.message).toMatch(/^back-off \S+ restarting failed container=app pod=crashy-\S+_default\(/);
    expect(c.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(ready(pod)).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });
    // It keeps restarting.
    const later = await until('more restarts', async () => {
      const [p] = await pods('app=crashy');
      return (p?.status?.containerStatuses?.[0]?.restartCount ?? 0) > c.restartCount ? p : undefined;
    });
    expect(later.metadata.name).toBe(pod.metadata.name);
    const get = await s.kubectl(['get', 'pods', '-l', 'app=crashy']);
    expect(get.stdout).toMatch(/crashy-\S+\s+0\/1\s+CrashLoopBackOff\s+\d+/);
    const status = await s.kubectl(['rollout', 'status', 'deployment/crashy', '--timeout=1s']);
    expect(status.code).not.toBe(0);
    const d = (await s.client.get<{ status: Record<string, number> }>('/apis/apps/v1/namespaces/default/deployments/crashy')).body;
    expect(d.status.availableReplicas ?? 0).toBe(0);
    expect(d.status.unavailableReplicas).toBe(1);
  });

  it('unready pods run with containers never Ready', async () => {
    expect((await s.client.post('/apis/apps/v1/namespaces/default/deployments', deployment('shy', 'unready'))).status).toBe(201);
    const pod = await until('running', async () => {
      const [p] = await pods('app=shy');
      return p?.status?.phase === 'Running' ? p : undefined;
    });
    const c = pod.status!.containerStatuses![0];
    expect(c).toMatchObject({ ready: false, started: true, restartCount: 0 });
    expect(c.state.running).toBeDefined();
    expect(ready(pod)).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
    await sleep(300);
    const rs = await s.kubectl(['get', 'rs', '-l', 'app=shy', '-o', 'jsonpath={.items[0].status}']);
    const st = JSON.parse(rs.stdout) as Record<string, number>;
    expect(st.replicas).toBe(1);
    expect(st.readyReplicas ?? 0).toBe(0);
    expect((await s.kubectl(['get', 'pods', '-l', 'app=shy'])).stdout).toMatch(/shy-\S+\s+0\/1\s+Running\s+0/);
  });

  it('Job pods that fail count against backoffLimit; past it the Job fails', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'doomed' },
      spec: {
        backoffLimit: 2,
        template: {
          metadata: { annotations: { 'kapi-env.io/simulate': 'fail' } },
          spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
        },
      },
    };
    expect((await s.client.post('/apis/batch/v1/namespaces/default/jobs', job)).status).toBe(201);
    const wait = await s.kubectl(['wait', '--for=condition=Failed', 'job/doomed', '--timeout=15s']);
    expect(wait.code, wait.stderr).toBe(0);
    const j = (
      await s.client.get<{ status: { failed?: number; succeeded?: number; conditions: Array<{ type: string; reason: string }> } }>(
        '/apis/batch/v1/namespaces/default/jobs/doomed',
      )
    ).body;
    expect(j.status.failed).toBe(3);
    expect(j.status.succeeded).toBeUndefined();
    expect(j.status.conditions.find((c) => c.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
    const failed = await pods('job-name=doomed');
    expect(failed).toHaveLength(3);
    for (const p of failed) {
      expect(p.status?.phase).toBe('Failed');
      expect(p.status?.containerStatuses?.[0].state.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
      expect(ready(p)).toMatchObject({ status: 'False', reason: 'PodFailed' });
    }
  });

  describe('with a failure rate of 1', () => {
    const f = useEnv(storage, { simulation: { nodes: 1, podFailureRate: 1 } });
    const pod = (name: string, annotations: Record<string, string> = {}) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, annotations },
      spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
    });

    it('every pod fails unless its annotation says ok', async () => {
      expect((await f.client.post('/api/v1/namespaces/default/pods', pod('bad'))).status).toBe(201);
      expect((await f.client.post('/api/v1/namespaces/default/pods', pod('good', { 'kapi-env.io/simulate': 'ok' }))).status).toBe(201);
      // A pod that fails runs first (its container starts, then exits 1): the bad one settles at a final
      // phase, the good one at Running, and is still there once the bad one has failed.
      const phase = (name: string, settled: string[]) =>
        until(`${name} settled`, async () => {
          const p = (await f.client.get<Pod>(`/api/v1/namespaces/default/pods/${name}`)).body;
          return settled.includes(p.status?.phase ?? '') ? p.status?.phase : undefined;
        });
      expect(await phase('bad', ['Failed', 'Succeeded'])).toBe('Failed');
      expect(await phase('good', ['Failed', 'Succeeded', 'Running'])).toBe('Running');
    });
  });
});
