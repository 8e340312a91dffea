// Audit logging end to end: a policy file with several rules, requests by different users, the log file's
// lines (levels, omitStages, omitManagedFields, objectRef, responseStatus, the Audit-Id header as auditID),
// a webhook backend receiving EventList batches, env.auditEvents(), and a bad policy refused at start.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestClient } from '../../src/env/client.js';
import { type Env, startEnv } from '../../src/env/index.js';
import { createServingPki } from '../../src/pki/index.js';
import type { AuditEvent } from '../../src/server/audit/index.js';

const POLICY = `
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    nonResourceURLs: ["/healthz*", "/readyz*", "/livez*"]
  - level: None
    resources: [{ group: "", resources: ["configmaps"], resourceNames: ["quiet"] }]
  - level: RequestResponse
    users: ["alice"]
    resources: [{ group: "", resources: ["configmaps"] }]
    omitManagedFields: true
  - level: Request
    resources: [{ group: "", resources: ["secrets"] }]
  - level: Metadata
    resources: [{ group: "", resources: ["namespaces/status"] }]
    omitStages: ["ResponseStarted"]
  - level: Metadata
    resources: [{ group: "", resources: ["namespaces"] }]
    omitStages: ["ResponseComplete"]
  - level: Metadata
    nonResourceURLs: ["/vers*"]
  - level: Metadata
`;

interface Batch {
  kind: string;
  apiVersion: string;
  items: AuditEvent[];
}

let dir: string;
let env: Env;
let admin: RestClient;
let hook: Server;
const batches: Batch[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kapi-audit-'));
  const pki = await createServingPki(['127.0.0.1']);
  hook = createServer({ cert: pki.serving.certPem, key: pki.serving.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      batches.push(JSON.parse(Buffer.concat(chunks).toString()) as Batch);
      res.end('{}');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const port = (hook.address() as { port: number }).port;
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'audit',
        cluster: {
          server: `https://127.0.0.1:${port}/audit`,
          'certificate-authority-data': Buffer.from(pki.ca.certPem).toString('base64'),
        },
      },
    ],
    users: [{ name: 'apiserver', user: {} }],
    contexts: [{ name: 'audit', context: { cluster: 'audit', user: 'apiserver' } }],
    'current-context': 'audit',
  };
  await writeFile(path.join(dir, 'policy.yaml'), POLICY);
  await writeFile(path.join(dir, 'webhook.kubeconfig'), JSON.stringify(kubeconfig));
  env = await startEnv({
    storage: 'memory',
    serverThread: 'inline',
    apiserverArgs: [
      `--audit-policy-file=${path.join(dir, 'policy.yaml')}`,
      `--audit-log-path=${path.join(dir, 'audit.log')}`,
      `--audit-webhook-config-file=${path.join(dir, 'webhook.kubeconfig')}`,
      '--audit-webhook-batch-max-size=3',
      '--audit-webhook-batch-max-wait=100ms',
    ],
  });
  admin = env.client();
}, 30_000);

afterAll(async () => {
  await admin?.close();
  await env?.stop();
  hook?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The events of one request (by its Audit-Id), waiting for the last stage to arrive. */
async function eventsOf(auditID: string, count = 1): Promise<AuditEvent[]> {
  for (let i = 0; ; i++) {
    const evs = env.auditEvents().filter((e) => e.auditID === auditID);
    if (evs.length >= count || i > 100) return evs;
    await new Promise((r) => setTimeout(r, 10));
  }
}

function auditId(res: { headers: Record<string, string | string[] | undefined> }): string {
  const id = res.headers['audit-id'];
  expect(typeof id).toBe('string');
  return id as string;
}

describe('audit logging', () => {
  it('records by the first matching rule: RequestResponse for alice, managedFields omitted, RequestReceived omitted', async () => {
    const alice = await env.addUser({ name: 'alice', groups: ['system:masters'] });
    const res = await alice.client.post('/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm1' },
      data: { k: 'v' },
    });
    expect(res.status).toBe(201);
    const [ev, ...more] = await eventsOf(auditId(res));
    expect(more).toEqual([]);
    expect(ev).toMatchObject({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'RequestResponse',
      stage: 'ResponseComplete',
      requestURI: '/api/v1/namespaces/default/configmaps',
      verb: 'create',
      user: { username: 'alice', groups: ['system:masters', 'system:authenticated'] },
      objectRef: { resource: 'configmaps', namespace: 'default', name: 'cm1', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 201 },
      requestObject: { kind: 'ConfigMap', metadata: { name: 'cm1' }, data: { k: 'v' } },
      responseObject: { kind: 'ConfigMap', metadata: { name: 'cm1', namespace: 'default' }, data: { k: 'v' } },
      annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
    });
    expect((ev.responseObject as { metadata: Record<string, unknown> }).metadata.managedFields).toBeUndefined();
    expect(ev.sourceIPs).toEqual(['127.0.0.1']);
    expect(ev.requestReceivedTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(ev.stageTimestamp >= ev.requestReceivedTimestamp).toBe(true);
    // resourceNames: the `quiet` ConfigMap's rule (level None) comes first, for requests naming it (a create
    // names no object in its URL, as in kube's attributes).
    const created = await alice.client.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'quiet' } });
    expect(created.status).toBe(201);
    expect(await eventsOf(auditId(created))).toHaveLength(1);
    const quiet = await alice.client.get('/api/v1/namespaces/default/configmaps/quiet');
    expect(quiet.status).toBe(200);
    await alice.client.close();
    expect(await eventsOf(auditId(quiet))).toEqual([]);
  });

  it('records a refusal with its Status and the authorizer decision, and Request level without the response', async () => {
    const bob = await env.addUser({ name: 'bob' });
    const res = await bob.client.get('/api/v1/namespaces/default/secrets/nope');
    expect(res.status).toBe(403);
    const [ev] = await eventsOf(auditId(res));
    expect(ev).toMatchObject({
      level: 'Request',
      verb: 'get',
      user: { username: 'bob', groups: ['system:authenticated'] },
      objectRef: { resource: 'secrets', namespace: 'default', name: 'nope', apiVersion: 'v1' },
      responseStatus: {
        metadata: {},
        status: 'Failure',
        reason: 'Forbidden',
        message: expect.stringContaining('User "bob" cannot get resource "secrets"'),
        details: { name: 'nope', kind: 'secrets' },
        code: 403,
      },
      annotations: { 'authorization.k8s.io/decision': 'forbid' },
    });
    await bob.client.close();
    const created = await admin.post('/api/v1/namespaces/default/secrets', { metadata: { name: 's1' }, stringData: { a: 'b' } });
    expect(created.status).toBe(201);
    const [w] = await eventsOf(auditId(created));
    expect(w.level).toBe('Request');
    expect(w.requestObject).toMatchObject({ metadata: { name: 's1' }, stringData: { a: 'b' } });
    expect(w.responseObject).toBeUndefined();
    expect(w.objectRef).toMatchObject({ name: 's1' });
  });

  it('matches subresources, non-resource URLs, impersonation and failed authentication', async () => {
    const status = await admin.get('/api/v1/namespaces/default/status');
    expect(status.status).toBe(200);
    const [s] = await eventsOf(auditId(status));
    expect(s).toMatchObject({
      level: 'Metadata',
      stage: 'ResponseComplete',
      objectRef: { resource: 'namespaces', subresource: 'status', name: 'default' },
    });
    const version = await admin.get('/version');
    const [v] = await eventsOf(auditId(version));
    expect(v).toMatchObject({ level: 'Metadata', verb: 'get', requestURI: '/version', responseStatus: { code: 200 } });
    expect(v.objectRef).toBeUndefined();
    const healthz = await admin.get('/healthz');
    expect(await eventsOf(auditId(healthz))).toEqual([]);

    const as = await admin.get('/api/v1/namespaces/default/configmaps/cm1', { 'Impersonate-User': 'carol' });
    const [imp] = await eventsOf(auditId(as));
    expect(imp.user.username).toBe('kapi-env-admin');
    expect(imp.impersonatedUser).toEqual({ username: 'carol', groups: ['system:authenticated'] });
    expect(imp.responseStatus).toMatchObject({ status: 'Failure', reason: 'Forbidden', code: 403 });

    const stranger = new RestClient({ server: env.server, caPem: env.ca, certPem: '', keyPem: '', token: 'not-a-token' });
    const denied = await stranger.get('/api/v1/namespaces');
    await stranger.close();
    expect(denied.status).toBe(401);
    const [u] = await eventsOf(auditId(denied));
    expect(u).toMatchObject({
      level: 'Metadata',
      stage: 'ResponseStarted',
      user: {},
      responseStatus: { metadata: {}, message: 'Authentication failed, attempted: bearer', code: 401 },
    });
  });

  it("carries admission webhooks' audit annotations", async () => {
    const hook = await env.webhooks.validate({
      name: 'check.audit.kapi-env.io',
      rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }],
      handler: () => ({ allowed: true, auditAnnotations: { verdict: 'fine' } }),
    });
    try {
      let res = await admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: 'annotated' } });
      // The configuration is watched: the first creates may go by before it is active.
      for (let i = 0; i < 100 && !(await eventsOf(auditId(res)))[0]?.annotations?.['check.audit.kapi-env.io/verdict']; i++) {
        await new Promise((r) => setTimeout(r, 20));
        res = await admin.post('/api/v1/namespaces/default/configmaps', { metadata: { name: `annotated${i}` } });
      }
      const [ev] = await eventsOf(auditId(res));
      expect(ev.annotations).toMatchObject({ 'authorization.k8s.io/decision': 'allow', 'check.audit.kapi-env.io/verdict': 'fine' });
    } finally {
      await hook.remove();
    }
  });

  it('records a watch at ResponseStarted (ResponseComplete omitted by its rule)', async () => {
    const ac = new AbortController();
    let headerId = '';
    const watching = admin.stream('/api/v1/namespaces?watch=true&timeoutSeconds=1', ac.signal, () => false);
    await watching.catch(() => undefined);
    ac.abort();
    for (let i = 0; i < 100 && !headerId; i++) {
      headerId = env.auditEvents().find((e) => e.verb === 'watch' && e.objectRef?.resource === 'namespaces')?.auditID ?? '';
      if (!headerId) await new Promise((r) => setTimeout(r, 10));
    }
    const evs = await eventsOf(headerId);
    expect(evs.map((e) => [e.stage, e.responseStatus?.code])).toEqual([['ResponseStarted', 200]]);
  });

  it('writes the same events to the log file, one JSON line each, and to the webhook in batches', async () => {
    const memory = env.auditEvents();
    let lines: AuditEvent[] = [];
    for (let i = 0; i < 100; i++) {
      lines = (await readFile(path.join(dir, 'audit.log'), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AuditEvent);
      if (lines.length >= memory.length) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(lines.slice(0, memory.length)).toEqual(memory);
    for (let i = 0; i < 100 && batches.flatMap((b) => b.items).length < memory.length; i++) await new Promise((r) => setTimeout(r, 20));
    for (const b of batches) {
      expect(b.kind).toBe('EventList');
      expect(b.apiVersion).toBe('audit.k8s.io/v1');
      expect(b.items.length).toBeGreaterThan(0);
      expect(b.items.length).toBeLessThanOrEqual(3);
    }
    expect(batches.flatMap((b) => b.items).slice(0, memory.length)).toEqual(memory);
  });
});

describe('the audit policy', () => {
  it('is checked at start with kube-apiserver messages', async () => {
    await expect(
      startEnv({
        storage: 'memory',
        serverThread: 'inline',
        auditPolicy: {
          apiVersion: 'audit.k8s.io/v1',
          kind: 'Policy',
          rules: [{ level: 'Everything' }, { level: 'Metadata', nonResourceURLs: ['api'], omitStages: ['Later'] }],
        },
      }),
    ).rejects.toThrow(
      'loading audit policy: [rules[0].level: Unsupported value: "Everything": supported values: "None", "Metadata", "Request", "RequestResponse", ' +
        `rules[1].nonResourceURLs[0]: Invalid value: "api": non-resource URL rules must begin with a '/' character, ` +
        'rules[1].omitStages[0]: Invalid value: "Later": allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic]',
    );
  });
});
