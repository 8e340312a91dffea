// Hostile request deadlines and start revisions: malformed or extreme
// ?timeout= values and resourceVersions far past the store's revision are
// answered with a Status (never a hang), and leave the store as it was.

import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';
import { watchH1 } from '../helpers/watch.js';
import { expectRefused, seeded } from './helpers.js';

const CMS = '/api/v1/namespaces/default/configmaps';

describe.each(BACKENDS)('hostile deadlines and revisions on %s storage', (storage) => {
  const s = useEnv(storage, { apiserverArgs: ['--request-timeout=10s'] });

  it('refuses malformed ?timeout= values with 400', async () => {
    const rnd = seeded(9);
    const junk = ['-', '1', '1x', '1e9s', ' 1s', '1s ', '\u00001s', 'ms', '--1s', '1.s.', '2562048h', `${'9'.repeat(400)}h`];
    for (let i = 0; i < 5; i++)
      junk.push(`${Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => String.fromCharCode(33 + Math.floor(rnd() * 90))).join('')}q`);
    for (const t of junk) {
      const r = await expectRefused(s, [CMS], () => s.client.get(`${CMS}?timeout=${encodeURIComponent(t)}`), [400]);
      expect(r.body.reason).toBe('BadRequest');
    }
  });

  it('treats zero, negative and huge ?timeout= as the server maximum, not as an instant or endless deadline', async () => {
    for (const t of ['0', '0s', '-5s', '87600h', '2562047h']) {
      expect((await s.client.get(`${CMS}?timeout=${t}`)).status).toBe(200);
    }
  });

  it('answers a list or watch from a revision far past the store with 504 Too large resource version', async () => {
    const far = '9007199254740000';
    const list = await expectRefused(
      s,
      [CMS],
      () => s.client.get(`${CMS}?resourceVersion=${far}&resourceVersionMatch=NotOlderThan`),
      [504],
    );
    expect(list.body.message).toMatch(/^Timeout: Too large resource version: 9007199254740000, current: \d+$/);
    const w = await watchH1(s.client, `${CMS}?watch=true&resourceVersion=${far}`);
    try {
      if (w.status === 200) {
        const [ev] = await w.next(1, 10_000);
        expect(ev).toMatchObject({ type: 'ERROR', object: { code: 504 } });
      } else {
        expect(w.status).toBe(504);
      }
    } finally {
      w.close();
    }
  });
});
