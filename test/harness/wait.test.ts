// env.waitFor on a watch (one read, one watch, no polling), its timeout, and
// the komega-style matchers built on it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Env, startEnv } from '../../src/env/index.js';
import { objectMatchers, WaitTimeoutError } from '../../src/env/wait.js';

declare module 'vitest' {
  interface Assertion<T> {
    toEventuallyHave(expected: object | ((o: Record<string, unknown>) => boolean), opts?: { timeout?: number }): Promise<T>;
    toEventuallyExist(opts?: { timeout?: number }): Promise<T>;
    toEventuallyBeDeleted(opts?: { timeout?: number }): Promise<T>;
  }
}

describe('waitFor and eventual matchers', () => {
  let env: Env;
  const log: string[] = [];
  beforeAll(async () => {
    env = await startEnv({ storage: 'memory', log: (l) => log.push(l) });
    expect.extend(objectMatchers(env));
  });
  afterAll(() => env?.stop());

  const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'later' };

  it('resolves when the object reaches the state, from one read and one watch', async () => {
    const c = env.client();
    const before = log.length;
    setTimeout(() => {
      void (async () => {
        await c.post('/api/v1/namespaces/default/configmaps', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'later' },
          data: { n: '1' },
        });
        for (let i = 2; i <= 5; i++) {
          await new Promise((r) => setTimeout(r, 20));
          await c.call(
            'PATCH',
            '/api/v1/namespaces/default/configmaps/later',
            { data: { n: String(i) } },
            {
              'content-type': 'application/merge-patch+json',
            },
          );
        }
      })();
    }, 50);
    const got = await env.waitFor<{ data: { n: string } } & Record<string, unknown>>(ref, (o) => o?.data.n === '5', { timeout: 5000 });
    expect(got?.data.n).toBe('5');
    await new Promise((r) => setTimeout(r, 20));
    const mine = log.slice(before).filter((l) => l.includes('/configmaps?fieldSelector=metadata.name%3Dlater'));
    expect(mine).toHaveLength(2);
    expect(mine.filter((l) => l.includes('watch=true'))).toHaveLength(1);
    await c.close();
  });

  it('rejects on timeout with the last state seen', async () => {
    const e = await env.waitFor(ref, (o) => o?.data === undefined, { timeout: 200 }).catch((x) => x);
    expect(e).toBeInstanceOf(WaitTimeoutError);
    expect(e.message).toMatch(/^ConfigMap default\/later did not reach the expected state within 200 ms; last seen: \{/);
    const absent = await env.waitFor({ ...ref, name: 'never' }, (o) => o !== undefined, { timeout: 100 }).catch((x) => x);
    expect(absent.message).toContain('last seen: absent');
  });

  it('toEventuallyHave, toEventuallyExist, toEventuallyBeDeleted', async () => {
    const c = env.client();
    const target = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm', namespace: 'default' } };
    setTimeout(() => void c.post('/api/v1/namespaces/default/configmaps', { ...target, data: { phase: 'Ready' } }), 30);
    await expect(target).toEventuallyExist();
    await expect(target).toEventuallyHave({ data: { phase: 'Ready' } });
    await expect(target).toEventuallyHave((o) => (o.data as { phase: string }).phase.startsWith('Re'));
    await expect(expect(target).toEventuallyHave({ data: { phase: 'Gone' } }, { timeout: 100 })).rejects.toThrow(
      'expected have {"data":{"phase":"Gone"}}: ConfigMap default/m did not reach the expected state within 100 ms',
    );
    setTimeout(() => void c.call('DELETE', '/api/v1/namespaces/default/configmaps/m'), 30);
    await expect(target).toEventuallyBeDeleted();
    await c.close();
  });
});
