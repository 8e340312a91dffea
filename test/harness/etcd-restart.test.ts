// An external etcd that goes away and comes back: watches end with 410 so
// clients relist, and the server serves again once etcd is back.

import { describe, expect, it } from 'vitest';
import { startEnv } from '../../src/env/index.js';
import { etcdBinary } from '../helpers/backends.js';
import { restartableEtcd } from '../helpers/restartable-etcd.js';
import { watchH1 } from '../helpers/watch.js';

describe.skipIf(!etcdBinary)('etcd restart', () => {
  it('ends watches with 410, reports not ready while etcd is down, and recovers', async () => {
    const etcd = await restartableEtcd();
    const env = await startEnv({ etcdServers: [etcd.endpoint] });
    const c = env.client();
    try {
      const w = await watchH1(c, '/api/v1/namespaces/default/configmaps?watch=true');
      await c.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'before' } });
      await w.next(1);
      await etcd.kill();
      const evs = await w.next(2, 15_000);
      expect(evs[1]).toMatchObject({ type: 'ERROR', object: { code: 410 } });
      expect((await c.get('/readyz')).status).toBe(500);
      await etcd.start();
      const end = Date.now() + 20_000;
      while ((await c.get('/readyz')).status !== 200 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect((await c.get('/readyz')).status).toBe(200);
      const after = await c.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'after' } });
      expect(after.status).toBe(201);
      let names: string[] = [];
      while (!names.includes('after') && Date.now() < end) {
        const l = await c.get<{ items: Array<{ metadata: { name: string } }> }>('/api/v1/namespaces/default/configmaps?resourceVersion=0');
        names = l.body.items.map((i) => i.metadata.name);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(names).toEqual(['after', 'before']);
    } finally {
      await c.agent.destroy();
      await env.stop();
      etcd.remove();
    }
  }, 90_000);
});
