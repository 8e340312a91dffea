// --max-requests-inflight and --max-mutating-requests-inflight (kube's
// WithMaxInFlightLimit): a burst over the limit gets kube's 429 (Retry-After: 1,
// http.Error's text), system:masters included, long-running requests exempt, the
// two limits apart. Graceful termination: on close an open watch ends with its
// stream closed properly (HTTP/1.1 and HTTP/2), a request under way completes,
// and a new one on an open connection is refused with 503 and Retry-After.

import http2 from 'node:http2';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestClient } from '../../src/env/client.js';
import { createPki, type PkiWithCA } from '../../src/pki/index.js';
import { parseServeFlags, serverConfigFromFlags } from '../../src/server/config.js';
import { type ApiServer, createApiServer } from '../../src/server/index.js';
import { MemoryStorage } from '../../src/server/storage/memory/index.js';

const CMS = '/api/v1/namespaces/default/configmaps';
const SLOW_MS = 700;

async function startServer(pki: PkiWithCA, args: string[]): Promise<ApiServer> {
  const flags = parseServeFlags(['--storage-backend=memory', '--secure-port=0', '--bind-address=127.0.0.1', ...args]);
  return createApiServer({
    ...serverConfigFromFlags(flags, {
      storage: new MemoryStorage(),
      tls: { certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, clientCaPem: pki.ca.certPem },
    }),
    compactionIntervalMs: 0,
  });
}

/** An HTTP/1.1 watch read to its end: `clean` when the chunked body ended properly, false on a reset. */
async function rawWatch(client: RestClient, path: string): Promise<{ status: number; lines: string[]; end: Promise<boolean> }> {
  const res = await request(client.creds.server + path, { dispatcher: client.agent });
  const lines: string[] = [];
  const end = (async () => {
    try {
      for await (const chunk of res.body) lines.push(...chunk.toString().split('\n').filter(Boolean));
      return true;
    } catch {
      return false;
    }
  })();
  return { status: res.statusCode, lines, end };
}

describe('max in-flight limits', () => {
  let pki: PkiWithCA;
  let server: ApiServer;
  let client: RestClient;

  beforeAll(async () => {
    pki = await createPki();
    server = await startServer(pki, ['--max-requests-inflight=2', '--max-mutating-requests-inflight=1']);
    client = new RestClient({ server: server.url, caPem: pki.ca.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem });
  });
  afterAll(async () => {
    await client?.agent.destroy();
    await server?.close();
  });

  it('answers 429 with Retry-After: 1 past --max-requests-inflight, system:masters included; watches hold no seat', async () => {
    const watch = await rawWatch(client, `${CMS}?watch=true`);
    expect(watch.status).toBe(200);
    const fault = server.faults.add({ verb: 'list', resource: 'configmaps', latencyMs: SLOW_MS });
    try {
      const burst = Array.from({ length: 4 }, () => client.get(CMS));
      await new Promise((r) => setTimeout(r, 150));
      // Both read-only seats are taken: any other read is refused, a watch and a write are not.
      const [get, watch2, create] = await Promise.all([
        client.get('/api/v1/namespaces'),
        rawWatch(client, `${CMS}?watch=true&resourceVersion=0`),
        client.post(CMS, { metadata: { name: 'during-burst' } }),
      ]);
      expect(get.status).toBe(429);
      expect(watch2.status).toBe(200);
      expect(create.status).toBe(201);
      const answers = await Promise.all(burst);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 429, 429]);
      const refused = answers.find((a) => a.status === 429)!;
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(refused.headers['x-content-type-options']).toBe('nosniff');
      expect(refused.text).toBe('Too many requests, please try again later.\n');
    } finally {
      server.faults.remove(fault.id);
    }
    // The seats are free again.
    expect((await client.get(CMS)).status).toBe(200);
    expect(watch.lines.length).toBeGreaterThan(0);
  });

  it('limits writes apart with --max-mutating-requests-inflight', async () => {
    const fault = server.faults.add({ verb: 'create', resource: 'configmaps', latencyMs: SLOW_MS });
    try {
      const writes = [client.post(CMS, { metadata: { name: 'w1' } }), client.post(CMS, { metadata: { name: 'w2' } })];
      await new Promise((r) => setTimeout(r, 150));
      expect((await client.get(CMS)).status).toBe(200);
      const statuses = (await Promise.all(writes)).map((w) => w.status).sort();
      expect(statuses).toEqual([201, 429]);
    } finally {
      server.faults.remove(fault.id);
    }
  });
});

describe('graceful termination', () => {
  it('ends open watches cleanly, lets a request under way finish and refuses new ones with 503', async () => {
    const pki = await createPki();
    const server = await startServer(pki, ['--shutdown-delay-duration=300ms']);
    const client = new RestClient({ server: server.url, caPem: pki.ca.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem });
    const session = http2.connect(server.url, { ca: pki.ca.certPem, cert: pki.admin.certPem, key: pki.admin.keyPem });
    session.on('error', () => {});
    try {
      const h1 = await rawWatch(client, `${CMS}?watch=true&allowWatchBookmarks=true`);
      expect(h1.status).toBe(200);
      const h2 = session.request({ ':path': `${CMS}?watch=true&allowWatchBookmarks=true`, accept: 'application/json' });
      let h2Body = '';
      h2.setEncoding('utf8');
      h2.on('data', (d: string) => {
        h2Body += d;
      });
      const h2End = new Promise<{ status: number; clean: boolean }>((resolve) => {
        let status = 0;
        h2.on('response', (h) => {
          status = Number(h[':status']);
        });
        h2.on('end', () => resolve({ status, clean: true }));
        h2.on('error', () => resolve({ status, clean: false }));
        h2.on('aborted', () => resolve({ status, clean: false }));
      });
      expect((await client.post(CMS, { metadata: { name: 'seen' } })).status).toBe(201);
      await new Promise((r) => setTimeout(r, 100));

      server.faults.add({ verb: 'list', resource: 'configmaps', latencyMs: 1_000 });
      const slow = client.get<{ kind: string }>(CMS);
      await new Promise((r) => setTimeout(r, 100));
      const h2Get = (path: string) =>
        new Promise<{ status: number; retry: unknown; body: string }>((resolve) => {
          const s = session.request({ ':path': path, accept: 'application/json' });
          let body = '';
          s.setEncoding('utf8');
          s.on('data', (d: string) => {
            body += d;
          });
          s.on('response', (h) => s.on('end', () => resolve({ status: Number(h[':status']), retry: h['retry-after'], body })));
        });
      const closed = server.close();
      await new Promise((r) => setTimeout(r, 50));
      // --shutdown-delay-duration: /readyz fails at once, the rest is served as usual.
      const ready = await h2Get('/readyz?verbose');
      expect(ready.status).toBe(500);
      expect(ready.body).toContain('[-]shutdown failed: reason withheld');
      expect((await h2Get('/livez')).status).toBe(200);
      expect((await h2Get('/api/v1/namespaces')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 350));

      // A new request on the open HTTP/2 connection while the server drains.
      const refused = await h2Get('/api/v1/namespaces');
      expect(refused.status).toBe(503);
      expect(refused.retry).toBe('1');
      expect(JSON.parse(refused.body)).toMatchObject({
        kind: 'Status',
        status: 'Failure',
        message: 'apiserver is shutting down',
        reason: 'ServiceUnavailable',
        code: 503,
      });

      const answered = await slow;
      expect(answered.status).toBe(200);
      expect(answered.body.kind).toBe('ConfigMapList');
      expect(await h1.end).toBe(true);
      const e2 = await h2End;
      expect(e2).toEqual({ status: 200, clean: true });
      // The streams end without a last bookmark.
      expect(h1.lines.map((l) => JSON.parse(l).type)).toEqual(['ADDED']);
      expect(
        h2Body
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l).type),
      ).toEqual(['ADDED']);
      await closed;
    } finally {
      session.destroy();
      await client.agent.destroy();
      await server.close().catch(() => {});
    }
  });

  it('with --shutdown-send-retry-after keeps listening while draining and answers new requests 429 with Connection: close', async () => {
    const pki = await createPki();
    const server = await startServer(pki, ['--shutdown-send-retry-after']);
    const client = new RestClient({ server: server.url, caPem: pki.ca.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem });
    try {
      server.faults.add({ verb: 'list', resource: 'configmaps', latencyMs: 800 });
      const slow = client.get(CMS);
      await new Promise((r) => setTimeout(r, 100));
      const closed = server.close();
      await new Promise((r) => setTimeout(r, 100));
      // A new connection is still accepted, and refused at once.
      const fresh = new RestClient({ server: server.url, caPem: pki.ca.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem });
      const refused = await fresh.get('/api/v1/namespaces');
      await fresh.agent.destroy();
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('5');
      expect(refused.headers.connection).toBe('close');
      expect(refused.text).toBe('The apiserver is shutting down, please try again later.\n');
      expect((await slow).status).toBe(200);
      await closed;
    } finally {
      await client.agent.destroy();
      await server.close().catch(() => {});
    }
  });
});
