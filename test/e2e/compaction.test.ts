// --etcd-compaction-interval: old revisions are compacted and answered with 410.

import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';
import { watchH1 } from '../helpers/watch.js';

describe.each(BACKENDS)('compaction on %s storage', (storage) => {
  const s = useEnv(storage, { apiserverArgs: ['--etcd-compaction-interval=200ms', '--watch-cache=false'] });

  it('answers compacted list and watch revisions with 410 Expired', async () => {
    const NS = '/api/v1/namespaces/default/configmaps';
    const first = await s.client.post<{ metadata: { resourceVersion: string } }>(NS, { metadata: { name: 'c0' } });
    const old = first.body.metadata.resourceVersion;
    for (let i = 1; i < 5; i++) await s.client.post(NS, { metadata: { name: `c${i}` } });
    await new Promise((r) => setTimeout(r, 700));
    await s.client.post(NS, { metadata: { name: 'after' } });
    const exact = await s.client.get<{ code: number; reason: string; message: string }>(
      `${NS}?resourceVersion=${old}&resourceVersionMatch=Exact`,
    );
    expect(exact.status).toBe(410);
    expect(exact.body).toMatchObject({ reason: 'Expired', message: 'The resourceVersion for the provided list is too old.' });
    const w = await watchH1(s.client, `${NS}?watch=true&resourceVersion=${old}`);
    const [ev] = await w.next(1);
    expect(ev.type).toBe('ERROR');
    expect(ev.object).toMatchObject({ code: 410, reason: 'Expired' });
    w.close();
  });
});
