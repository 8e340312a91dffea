// The request journal (env.requests(), the toHaveReceived matcher, /debug/kapi/requests) and fault
// injection (env.faults, /debug/kapi/faults behind --enable-fault-injection) as real clients see them:
// kubectl meets a 409 and retries a 429 after its Retry-After; a client-node informer re-watches after a
// dropped watch and relists after a 410 on resume. Both backends.

import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { runJournal } from '../../src/cli/journal.js';
import { RestClient } from '../../src/env/client.js';
import { requestMatchers } from '../../src/env/matchers.js';
import { loadCertificateAuthority, signClientCert } from '../../src/pki/index.js';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';

expect.extend(requestMatchers);
declare module 'vitest' {
  interface Assertion<T> {
    toHaveReceived(e: import('../../src/env/matchers.js').RequestExpectation): T;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => boolean, timeoutMs = 8_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; ) {
    if (fn()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each(BACKENDS)('request journal and faults on %s storage', (storage) => {
  const s = useEnv(storage, { apiserverArgs: ['--enable-fault-injection'] });

  it('records each request with its user, code and latency; writes with the object before and after', async () => {
    const since = Date.now();
    expect((await s.kubectl(['create', 'configmap', 'j1', '--from-literal=a=1'])).code).toBe(0);
    expect((await s.kubectl(['patch', 'configmap', 'j1', '-p', '{"data":{"a":"2"}}'])).code).toBe(0);
    expect((await s.kubectl(['get', 'configmap', 'j1'])).code).toBe(0);
    expect(s.env).toHaveReceived({ since, verb: 'create', resource: 'configmaps', times: 1 });
    expect(s.env).toHaveReceived({ since, verb: 'patch', resource: 'configmaps', name: 'j1', times: 1 });
    expect(s.env).not.toHaveReceived({ since, verb: 'update', resource: 'configmaps' });
    expect(() => expect(s.env).toHaveReceived({ since, verb: 'delete', times: 1 })).toThrow(
      'expected exactly 1 request(s) matching since=',
    );
    const [patch] = s.env.requests({ since, verb: 'patch', resource: 'configmaps' });
    expect(patch).toMatchObject({ code: 200, user: 'kapi-env-admin', namespace: 'default', name: 'j1', method: 'PATCH' });
    expect(patch.user).toBe(s.env.requests({ since, verb: 'create' })[0].user);
    expect(patch.latencyMs).toBeGreaterThan(0);
    expect((patch.before as { data?: unknown }).data).toEqual({ a: '1' });
    expect((patch.after as { data?: unknown }).data).toEqual({ a: '2' });
    expect(patch.after?.metadata).not.toHaveProperty('managedFields');
    // The same through the admin-only HTTP endpoint.
    const r = await s.client.get<{ items: Array<{ verb: string }> }>(
      `/debug/kapi/requests?verb=patch&resource=configmaps&since=${new Date(since).toISOString()}`,
    );
    expect(r.status).toBe(200);
    expect(r.body.items.map((e) => e.verb)).toEqual(['patch']);
  });

  it('an injected 409 reaches kubectl with the Conflict Status; the next update goes through', async () => {
    expect((await s.kubectl(['create', 'configmap', 'c409'])).code).toBe(0);
    s.env.faults.add({ verb: 'patch', resource: 'configmaps', name: 'c409', error: 409, times: 1 });
    const first = await s.kubectl(['patch', 'configmap', 'c409', '-p', '{"data":{"x":"1"}}']);
    expect(first.code).toBe(1);
    expect(first.stderr).toContain(
      'Error from server (Conflict): Operation cannot be fulfilled on configmaps "c409": the object has been modified; please apply your changes to the latest version and try again',
    );
    expect((await s.kubectl(['patch', 'configmap', 'c409', '-p', '{"data":{"x":"1"}}'])).code).toBe(0);
    s.env.faults.clear();
  });

  it('an injected 429 carries Retry-After; kubectl waits and retries', async () => {
    expect((await s.kubectl(['create', 'configmap', 'c429'])).code).toBe(0);
    s.env.faults.add({ verb: 'get', resource: 'configmaps', name: 'c429', error: 429, times: 2 });
    const raw = await s.client.get<{ reason: string; code: number; details: { retryAfterSeconds: number } }>(
      '/api/v1/namespaces/default/configmaps/c429',
    );
    expect(raw.status).toBe(429);
    expect(raw.headers['retry-after']).toBe('1');
    expect(raw.body).toMatchObject({
      reason: 'TooManyRequests',
      message: 'Too many requests, please try again later.',
      details: { retryAfterSeconds: 1 },
    });
    const since = Date.now();
    const started = Date.now();
    const r = await s.kubectl(['get', 'configmap', 'c429', '-o', 'name']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('configmap/c429');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(s.env.requests({ since, verb: 'get', name: 'c429' }).map((e) => e.code)).toEqual([429, 200]);
  });

  it('a dropped watch: the informer re-watches from where it was and misses nothing', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(s.env.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'drop' } } });
    s.env.faults.add({ verb: 'watch', resource: 'configmaps', namespace: 'drop', error: 'watch-drop', latencyMs: 100, times: 1 });
    const since = Date.now();
    const seen: string[] = [];
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/drop/configmaps', () => core.listNamespacedConfigMap({ namespace: 'drop' }));
    informer.on('add', (o) => seen.push(o.metadata?.name ?? ''));
    await informer.start();
    await until('a second watch', () => s.env.requests({ since, verb: 'watch', namespace: 'drop' }).length >= 1);
    await sleep(300);
    await core.createNamespacedConfigMap({ namespace: 'drop', body: { metadata: { name: 'after-drop' } } });
    await until('the add', () => seen.includes('after-drop'));
    await informer.stop();
    // One list; the dropped watch and the one that replaced it (recorded when each ended).
    expect(s.env).toHaveReceived({ since, verb: 'list', namespace: 'drop', times: 1 });
    expect(s.env).toHaveReceived({ since, verb: 'watch', namespace: 'drop', atLeast: 1 });
  });

  it('a 410 on watch resume: the informer relists, then sees new objects', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(s.env.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'gone' } } });
    s.env.faults.add({ verb: 'watch', resource: 'configmaps', namespace: 'gone', error: '410', times: 1 });
    let lists = 0;
    const seen: string[] = [];
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/gone/configmaps', () => {
      lists++;
      return core.listNamespacedConfigMap({ namespace: 'gone' });
    });
    informer.on('add', (o) => seen.push(o.metadata?.name ?? ''));
    await informer.start();
    await until('a relist', () => lists >= 2);
    await core.createNamespacedConfigMap({ namespace: 'gone', body: { metadata: { name: 'after-410' } } });
    await until('the add', () => seen.includes('after-410'));
    await informer.stop();
    // The ERROR event is what kube's watch cache sends for a revision it no longer has.
    s.env.faults.add({ verb: 'watch', resource: 'configmaps', namespace: 'gone', error: '410', times: 1 });
    const raw = await s.client.get<string>('/api/v1/namespaces/gone/configmaps?watch=true&resourceVersion=5');
    expect(raw.status).toBe(200);
    expect(JSON.parse(raw.text)).toMatchObject({
      type: 'ERROR',
      object: { kind: 'Status', status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version: 5 (6)' },
    });
  });

  it('/debug/kapi/faults: add, list and clear over HTTP (admins only)', async () => {
    s.env.faults.clear();
    const added = await s.client.post<{ id: number }>('/debug/kapi/faults', { verb: 'get', resource: 'secrets', error: 503, times: 1 });
    expect(added.status).toBe(201);
    expect((await s.client.get<{ items: unknown[] }>('/debug/kapi/faults')).body.items).toHaveLength(1);
    const r = await s.client.get<{ reason: string }>('/api/v1/namespaces/default/secrets/none');
    expect(r.status).toBe(503);
    expect(r.body.reason).toBe('ServiceUnavailable');
    expect((await s.client.post('/debug/kapi/faults', { error: 418 })).status).toBe(400);
    expect((await s.client.call('DELETE', '/debug/kapi/faults')).status).toBe(200);
    expect((await s.client.get<{ items: unknown[] }>('/debug/kapi/faults')).body.items).toHaveLength(0);
  });

  it('the debug endpoints refuse users outside system:masters', async () => {
    const ca = s.env.clientCa!;
    expect(ca).toBeDefined();
    const dev = await signClientCert(await loadCertificateAuthority(ca.certPem, ca.keyPem), { user: 'dev', groups: ['qa'] });
    const client = new RestClient({ server: s.env.server, caPem: s.env.ca, certPem: dev.certPem, keyPem: dev.keyPem });
    try {
      for (const path of ['/debug/kapi/requests', '/debug/kapi/faults']) {
        const r = await client.get<{ reason: string; message: string }>(path);
        expect(r.status).toBe(403);
        expect(r.body).toMatchObject({ reason: 'Forbidden', message: `forbidden: User "dev" cannot get path "${path}"` });
      }
    } finally {
      await client.close();
    }
  });

  it('kapi-env journal prints the journal of an environment from its kubeconfig', async () => {
    expect((await s.kubectl(['create', 'configmap', 'cli-journal'])).code).toBe(0);
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      expect(await runJournal({ stateDir: '/nonexistent', kubeconfig: s.env.kubeconfigPath, verb: 'create', resource: 'configmaps' })).toBe(
        0,
      );
    } finally {
      process.stdout.write = write;
    }
    const line = lines.find((l) => l.includes('cli-journal'));
    expect(line).toMatch(/ 201 create\s+configmaps default cli-journal\s+kapi-env-admin \d+\.\dms/);
  });
});

describe('fault injection over HTTP is off without --enable-fault-injection', () => {
  const s = useEnv('memory');
  it('answers 404 for /debug/kapi/faults; env.faults still works in process', async () => {
    expect((await s.client.get('/debug/kapi/faults')).status).toBe(404);
    s.env.faults.add({ verb: 'get', resource: 'configmaps', error: 500, times: 1 });
    expect((await s.client.get('/api/v1/namespaces/default/configmaps/x')).status).toBe(500);
  });
});
