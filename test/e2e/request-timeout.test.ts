// --request-timeout and ?timeout= (kube's WithRequestDeadline and timeout
// filter): a request that storage does not answer ends with 504 Timeout;
// watches are exempt; a late answer writes nothing; resourceVersion=0 lists
// come from the watch cache; the process-level rejection guard lives and dies
// with the server.

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RestClient } from '../../src/env/client.js';
import { createPki } from '../../src/pki/index.js';
import { type ApiServer, createApiServer } from '../../src/server/index.js';
import type { Storage } from '../../src/server/storage/interface.js';
import { MemoryStorage } from '../../src/server/storage/memory/index.js';
import { watchH1 } from '../helpers/watch.js';

interface Status {
  kind: string;
  code: number;
  reason: string;
  message: string;
  details?: Record<string, unknown>;
}

/** A memory store whose reads and writes hang while `stalled` is set, as etcd's client does when etcd is unreachable. */
function stallable(inner: MemoryStorage): { storage: Storage; stall(on: boolean): void } {
  let stalled = false;
  const parked: Array<() => void> = [];
  const gate = (): Promise<void> => (stalled ? new Promise<void>((r) => parked.push(r)) : Promise.resolve());
  const storage: Storage = {
    kind: 'memory',
    create: async (...a) => {
      await gate();
      return inner.create(...a);
    },
    get: async (...a) => {
      await gate();
      return inner.get(...a);
    },
    list: async (...a) => {
      await gate();
      return inner.list(...a);
    },
    guaranteedUpdate: async (...a) => {
      await gate();
      return inner.guaranteedUpdate(...a);
    },
    delete: async (...a) => {
      await gate();
      return inner.delete(...a);
    },
    count: async (...a) => {
      await gate();
      return inner.count(...a);
    },
    watch: (...a) => inner.watch(...a),
    currentRevision: async () => {
      await gate();
      return inner.currentRevision();
    },
    compact: (r) => inner.compact(r),
    compactedRevision: () => inner.compactedRevision(),
    healthy: async () => !stalled,
    close: () => inner.close(),
  };
  return {
    storage,
    stall: (on) => {
      stalled = on;
      if (!on) for (const r of parked.splice(0)) r();
    },
  };
}

describe('request deadline', () => {
  let server: ApiServer;
  let client: RestClient;
  let stall: (on: boolean) => void;
  let listenersBefore: NodeJS.UnhandledRejectionListener[];
  let guard: NodeJS.UnhandledRejectionListener | undefined;

  beforeAll(async () => {
    const pki = await createPki();
    const s = stallable(new MemoryStorage());
    stall = s.stall;
    listenersBefore = process.listeners('unhandledRejection');
    server = await createApiServer({
      storage: s.storage,
      tls: { certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, clientCaPem: pki.ca.certPem },
      bindAddress: '127.0.0.1',
      port: 0,
      watchCache: true,
      compactionIntervalMs: 0,
      requestTimeoutMs: 1_000,
    });
    guard = process.listeners('unhandledRejection').find((l) => !listenersBefore.includes(l));
    client = new RestClient({ server: server.url, caPem: pki.ca.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem });
    expect((await client.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'cached' } })).status).toBe(201);
  });
  afterAll(async () => {
    stall?.(false);
    await client?.agent.destroy();
    await server?.close();
  });

  it('answers 504 Timeout at --request-timeout for a list, a get and a create that storage does not answer', async () => {
    stall(true);
    try {
      for (const call of [
        () => client.get<Status>('/api/v1/namespaces/default/configmaps'),
        () => client.get<Status>('/api/v1/namespaces/default/configmaps/cached'),
        () => client.post<Status>('/api/v1/namespaces/default/configmaps', { metadata: { name: 'late' } }),
      ]) {
        const t = Date.now();
        const r = await call();
        expect(r.status).toBe(504);
        expect(r.body).toEqual({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'Timeout: request did not complete within the allotted timeout',
          reason: 'Timeout',
          details: {},
          code: 504,
        });
        expect(Date.now() - t).toBeLessThan(5_000);
      }
      // resourceVersion=0 is served by the watch cache without storage.
      const cached = await client.get<{ items: Array<{ metadata: { name: string } }> }>(
        '/api/v1/namespaces/default/configmaps?resourceVersion=0',
      );
      expect(cached.status).toBe(200);
      expect(cached.body.items.map((i) => i.metadata.name)).toEqual(['cached']);
    } finally {
      stall(false);
    }
    // The create that timed out completes late: its answer is dropped and the server keeps serving.
    await vi.waitFor(async () => expect((await client.get('/api/v1/namespaces/default/configmaps/late')).status).toBe(200));
    expect((await client.get('/api/v1/namespaces/default/configmaps')).status).toBe(200);
  });

  it('honours a smaller ?timeout= and ignores a larger one', async () => {
    stall(true);
    try {
      const order: string[] = [];
      const long = client.get<Status>('/api/v1/namespaces/default/configmaps?timeout=1h').finally(() => order.push('1h'));
      const short = client.get<Status>('/api/v1/namespaces/default/configmaps?timeout=200ms').finally(() => order.push('200ms'));
      const [a, b] = await Promise.all([short, long]);
      // 200ms ends before the 1 s --request-timeout that bounds the 1h one.
      expect(order).toEqual(['200ms', '1h']);
      expect([a.status, a.body.reason]).toEqual([504, 'Timeout']);
      expect([b.status, b.body.reason]).toEqual([504, 'Timeout']);
    } finally {
      stall(false);
    }
    expect((await client.get<Status>('/api/v1/namespaces/default/configmaps?timeout=bogus')).status).toBe(400);
  });

  it('does not cut a watch at --request-timeout', async () => {
    const w = await watchH1(client, '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0&timeoutSeconds=10');
    try {
      expect(w.status).toBe(200);
      await w.next(1);
      await new Promise((r) => setTimeout(r, 1_500));
      await client.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'after-deadline' } });
      const evs = await w.next(w.events.length + 1);
      expect(evs.at(-1)).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'after-deadline' } } });
    } finally {
      w.close();
    }
  });

  it('installs one logging unhandledRejection guard while serving', () => {
    expect(guard).toBeTypeOf('function');
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      (guard as (reason: unknown) => void)(new Error('lost background task'));
      expect(spy).toHaveBeenCalledTimes(1);
      expect(String(spy.mock.calls[0][0])).toMatch(/^kapi-env: unhandled rejection/);
    } finally {
      spy.mockRestore();
    }
  });

  it('removes the guard on close', async () => {
    const pki = await createPki();
    const before = process.listeners('unhandledRejection').length;
    const other = await createApiServer({
      storage: new MemoryStorage(),
      tls: { certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, clientCaPem: pki.ca.certPem },
      bindAddress: '127.0.0.1',
      port: 0,
      watchCache: true,
      compactionIntervalMs: 0,
    });
    // Shared with the suite's server: still one guard.
    expect(process.listeners('unhandledRejection').length).toBe(before);
    await other.close();
    expect(process.listeners('unhandledRejection')).toContain(guard);
    await server.close();
    expect(process.listeners('unhandledRejection')).not.toContain(guard);
    server = undefined as unknown as ApiServer;
  });
});
