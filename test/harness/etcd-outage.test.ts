// etcd goes away across compaction ticks: the server stays up, serves
// resourceVersion=0 lists from its watch cache, answers every other request
// with a Status within --request-timeout (kube's 504 Timeout), and serves
// again once etcd is back.

import { describe, expect, it } from 'vitest';
import { startEnv } from '../../src/env/index.js';
import { etcdBinary } from '../helpers/backends.js';
import { testCRD } from '../helpers/crds.js';
import { restartableEtcd } from '../helpers/restartable-etcd.js';

interface Status {
  kind: string;
  code: number;
  reason: string;
  message: string;
}
interface List {
  items: Array<{ metadata: { name: string } }>;
}

describe.skipIf(!etcdBinary)('etcd outage', () => {
  it('keeps serving: cached lists, timely Status answers, recovery', async () => {
    const etcd = await restartableEtcd();
    const env = await startEnv({
      etcdServers: [etcd.endpoint],
      apiserverArgs: ['--etcd-compaction-interval=500ms', '--request-timeout=2s'],
    });
    const c = env.client();
    try {
      expect((await c.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'kept' } })).status).toBe(201);
      let names: string[] = [];
      for (const end = Date.now() + 5_000; !names.includes('kept') && Date.now() < end; ) {
        names = (await c.get<List>('/api/v1/namespaces/default/configmaps?resourceVersion=0')).body.items.map((i) => i.metadata.name);
      }
      expect(names).toContain('kept');

      await etcd.kill();
      // Several compaction ticks with etcd gone: none may take the process down.
      await new Promise((r) => setTimeout(r, 2_000));
      expect((await c.get('/readyz')).status).toBe(500);

      let t = Date.now();
      const cached = await c.get<List>('/api/v1/namespaces/default/configmaps?resourceVersion=0');
      expect(cached.status).toBe(200);
      expect(cached.body.items.map((i) => i.metadata.name)).toContain('kept');
      expect(Date.now() - t).toBeLessThan(1_500);

      for (const call of [
        () => c.get<Status>('/api/v1/namespaces/default/configmaps'),
        () => c.post<Status>('/api/v1/namespaces/default/configmaps', { metadata: { name: 'during' } }),
      ]) {
        t = Date.now();
        const r = await call();
        expect([503, 504]).toContain(r.status);
        expect(r.body.kind).toBe('Status');
        expect(r.body.code).toBe(r.status);
        expect(Date.now() - t).toBeLessThan(10_000);
      }
      // A hanging request ends at --request-timeout with kube's timeout Status; ?timeout= shortens it.
      t = Date.now();
      const timedOut = await c.get<Status>('/api/v1/namespaces/default/configmaps/kept?timeout=1s');
      if (timedOut.status === 504) {
        expect(timedOut.body).toMatchObject({
          reason: 'Timeout',
          message: 'Timeout: request did not complete within the allotted timeout',
        });
      } else {
        expect(timedOut.status).toBe(503);
      }
      expect(Date.now() - t).toBeLessThan(10_000);

      await etcd.start();
      const end = Date.now() + 30_000;
      while ((await c.get('/readyz')).status !== 200 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      let created = 0;
      while (created !== 201 && Date.now() < end) {
        created = (await c.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'after' } })).status;
        if (created !== 201) await new Promise((r) => setTimeout(r, 200));
      }
      expect(created).toBe(201);
      while (!names.includes('after') && Date.now() < end) {
        names = (await c.get<List>('/api/v1/namespaces/default/configmaps?resourceVersion=0')).body.items.map((i) => i.metadata.name);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(names).toEqual(['after', 'kept']);

      // The CRD controller watched through the outage too: a CRD created now is served.
      const crd = testCRD({ group: 'outage.example.com', plural: 'gadgets', kind: 'Gadget', listKind: 'GadgetList' });
      expect((await c.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).toBe(201);
      let served = 0;
      while (served !== 200 && Date.now() < end) {
        served = (await c.get('/apis/outage.example.com/v1/namespaces/default/gadgets')).status;
        if (served !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(served).toBe(200);
    } finally {
      await c.agent.destroy();
      await env.stop();
      etcd.remove();
    }
  }, 120_000);
});
