// env.reset(), env.snapshot() / env.restore(id) on both backends, with watches
// open: the store returns to its state right after start (fixtures included),
// watches end with a 410 Expired ERROR, a relist sees the reset state, and
// resourceVersions only go forward.

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RestClient } from '../../src/env/client.js';
import { type Env, startEnv } from '../../src/env/index.js';
import { BACKENDS } from '../helpers/backends.js';
import { kubectl } from '../helpers/env.js';
import { until } from '../helpers/until.js';
import { watchH1 } from '../helpers/watch.js';

const KB = path.resolve(__dirname, '../../fixtures/kubebuilder/config');
const CRONJOBS = '/apis/batch.tutorial.kubebuilder.io/v1/namespaces/default/cronjobs';

interface List {
  metadata: { resourceVersion: string };
  items: Array<{ metadata: { name: string; namespace?: string } }>;
}

const cm = (name: string, ns = 'default'): object => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data: { a: '1' },
});

async function names(c: RestClient, p: string): Promise<string[]> {
  const r = await c.get<List>(p);
  expect(r.status, r.text).toBe(200);
  return r.body.items.map((i) => i.metadata.name).sort();
}

describe.each(BACKENDS)('reset and snapshot (%s)', (storage) => {
  let env: Env;
  let c: RestClient;
  beforeAll(async () => {
    env = await startEnv({ storage, crds: [path.join(KB, 'crd')], manifests: [path.join(KB, 'samples')] });
    c = env.client();
  });
  afterAll(async () => {
    await c?.close();
    await env?.stop();
  });

  it('reset returns to the state right after start; open watches end with 410 and a relist sees the reset state', async () => {
    const startNamespaces = await names(c, '/api/v1/namespaces');
    const startConfigMaps = await names(c, '/api/v1/configmaps');
    expect((await c.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'scratch' } })).status).toBe(201);
    for (let i = 0; i < 5; i++) expect((await c.post('/api/v1/namespaces/scratch/configmaps', cm(`cm-${i}`, 'scratch'))).status).toBe(201);
    expect((await c.call('DELETE', `${CRONJOBS}/cronjob-sample`)).status).toBe(200);
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.example.net' },
      spec: {
        group: 'example.net',
        names: { kind: 'Gadget', plural: 'gadgets' },
        scope: 'Cluster',
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
      },
    };
    expect((await c.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).toBe(201);
    await until(async () => (await c.get('/apis/example.net/v1')).status === 200);
    const before = await c.get<List>('/api/v1/configmaps');
    const beforeRv = Number(before.body.metadata.resourceVersion);
    const cmWatch = await watchH1(c, `/api/v1/configmaps?watch=true&resourceVersion=${beforeRv}`);
    const cronWatch = await watchH1(c, `${CRONJOBS}?watch=true&resourceVersion=0`);
    expect(cmWatch.status).toBe(200);

    const t0 = performance.now();
    await env.reset();
    const ms = performance.now() - t0;
    if (storage === 'memory') expect(ms).toBeLessThan(250);

    await cmWatch.ended;
    const last = cmWatch.events[cmWatch.events.length - 1];
    expect(last.type).toBe('ERROR');
    expect(last.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    await cronWatch.ended;
    expect(cronWatch.events[cronWatch.events.length - 1].object).toMatchObject({ code: 410, reason: 'Expired' });

    // The relist an informer makes after a 410 (a consistent list) sees the reset state, at a newer resourceVersion.
    expect(await names(c, '/api/v1/namespaces')).toEqual(startNamespaces);
    const after = await c.get<List>('/api/v1/configmaps');
    expect(after.body.items.map((i) => i.metadata.name).sort()).toEqual(startConfigMaps);
    expect(Number(after.body.metadata.resourceVersion)).toBeGreaterThan(beforeRv);
    expect(await names(c, CRONJOBS)).toEqual(['cronjob-sample']);
    const sample = await c.get<{ metadata: { resourceVersion: string } }>(`${CRONJOBS}/cronjob-sample`);
    expect(Number(sample.body.metadata.resourceVersion)).toBeGreaterThan(beforeRv);
    // The CRD created after start is gone, and so is its API.
    expect((await c.get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.net')).status).toBe(404);
    await until(async () => (await c.get('/apis/example.net/v1')).status === 404);
    // A watch from the relist's resourceVersion follows new writes.
    const w = await watchH1(c, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${after.body.metadata.resourceVersion}`);
    expect((await c.post('/api/v1/namespaces/default/configmaps', cm('after-reset'))).status).toBe(201);
    const [ev] = await w.next(1);
    w.close();
    expect(ev).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'after-reset' } } });
    // kubectl, with its discovery cache, keeps working.
    const k = await kubectl(env.kubeconfigPath, ['get', 'cronjobs.batch.tutorial.kubebuilder.io', '-o', 'name']);
    expect(k.stdout.trim()).toBe('cronjob.batch.tutorial.kubebuilder.io/cronjob-sample');
  });

  it('snapshot and restore(id) return to a state built once', async () => {
    await env.reset();
    expect((await c.post('/api/v1/namespaces/default/configmaps', cm('base'))).status).toBe(201);
    const id = await env.snapshot();
    expect((await c.post('/api/v1/namespaces/default/configmaps', cm('extra'))).status).toBe(201);
    expect((await c.call('DELETE', '/api/v1/namespaces/default/configmaps/base')).status).toBe(200);
    await env.restore(id);
    const got = await names(c, '/api/v1/namespaces/default/configmaps');
    expect(got).toContain('base');
    expect(got).not.toContain('extra');
    await env.reset();
    expect(await names(c, '/api/v1/namespaces/default/configmaps')).not.toContain('base');
    await expect(env.restore('nope')).rejects.toThrow('restore: no snapshot "nope"');
  });
});
