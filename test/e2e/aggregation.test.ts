// The aggregation layer end to end: a small extension API server (Node https, in
// the test) serves wardle.example.com/v1alpha1 flunders; a Service, its Endpoints
// (127.0.0.1:<port>) and an APIService with the server's caBundle register it.
// The APIService becomes Available (Passed), kubectl lists the flunders and the
// resource, the extension server sees the front-proxy client certificate and
// the user as X-Remote-* headers (never the client's credentials), watches
// stream through, and APIServices whose service is missing or refuses
// connections are Available=False with kube's reasons, answering 503.

import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServingPki } from '../../src/pki/index.js';
import { useEnv } from '../helpers/env.js';

const GROUP = 'wardle.example.com';
const GV = `/apis/${GROUP}/v1alpha1`;
const NS = 'wardle';

interface Seen {
  path: string;
  headers: Record<string, string[]>;
  peerCN?: string;
}

const flunder = (name: string) => ({
  apiVersion: `${GROUP}/v1alpha1`,
  kind: 'Flunder',
  metadata: { name, namespace: NS, creationTimestamp: '2024-01-01T00:00:00Z' },
});

const resourceList = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: `${GROUP}/v1alpha1`,
  resources: [
    { name: 'flunders', singularName: 'flunder', namespaced: true, kind: 'Flunder', verbs: ['get', 'list', 'watch'], shortNames: ['fl'] },
    { name: 'flunders/status', singularName: '', namespaced: true, kind: 'Flunder', verbs: ['get'] },
  ],
};

type Condition = { type: string; status: string; reason: string; message: string };

describe('aggregated APIs', () => {
  const s = useEnv('memory');
  const seen: Seen[] = [];
  let ext: Server;
  let port = 0;
  let closedPort = 0;

  /** Polls the APIService until its Available condition has the given status. */
  async function available(name: string, status: string): Promise<Condition> {
    for (let i = 0; ; i++) {
      const got = await s.client.get<{ status?: { conditions?: Condition[] } }>(`/apis/apiregistration.k8s.io/v1/apiservices/${name}`);
      const c = got.body.status?.conditions?.find((x) => x.type === 'Available');
      if (c?.status === status || i >= 200) return c ?? ({} as Condition);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  beforeAll(async () => {
    const pki = await createServingPki([`wardle-api.${NS}.svc`]);
    ext = createServer(
      { cert: pki.serving.certPem, key: pki.serving.keyPem, ca: s.env.clientCa!.certPem, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const url = new URL(req.url ?? '/', 'https://x');
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        seen.push({ path: url.pathname, headers: req.headersDistinct as Record<string, string[]>, peerCN: peer?.subject?.CN });
        const json = (code: number, body: unknown) => {
          res.writeHead(code, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        if (url.pathname === GV) return json(200, resourceList);
        if (url.pathname === `${GV}/whoami`) return json(200, { headers: req.headersDistinct, peerCN: peer?.subject?.CN });
        if (url.pathname === `${GV}/namespaces/${NS}/flunders` && url.searchParams.get('watch') === 'true') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(`${JSON.stringify({ type: 'ADDED', object: flunder('alpha') })}\n`);
          return; // kept open: the client ends the watch
        }
        if (url.pathname === `${GV}/namespaces/${NS}/flunders`)
          return json(200, {
            apiVersion: `${GROUP}/v1alpha1`,
            kind: 'FlunderList',
            metadata: { resourceVersion: '1' },
            items: [flunder('alpha')],
          });
        if (url.pathname === `${GV}/namespaces/${NS}/flunders/alpha`) return json(200, flunder('alpha'));
        json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
      },
    );
    // Upgrades: 101, then each chunk echoed back with the user the aggregator named.
    ext.on('upgrade', (req, socket) => {
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${req.headers.upgrade}\r\n\r\n`);
      socket.on('data', (d: Buffer) => socket.write(`${d.toString()}:${req.headers['x-remote-user']}:${req.url}`));
    });
    await new Promise<void>((r) => ext.listen(0, r));
    port = (ext.address() as AddressInfo).port;
    // A port nothing listens on (bound, then released).
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));

    const c = s.client;
    expect((await c.post('/api/v1/namespaces', { metadata: { name: NS } })).status).toBe(201);
    // Endpoints may not name loopback addresses: the extension server is an ExternalName Service (localhost),
    // reached on the APIService's port. A ClusterIP Service without Endpoints is there for EndpointsNotFound.
    for (const name of ['wardle-api', 'refused-api']) {
      expect(
        (
          await c.post(`/api/v1/namespaces/${NS}/services`, {
            metadata: { name },
            spec: { type: 'ExternalName', externalName: 'localhost' },
          })
        ).status,
      ).toBe(201);
    }
    expect(
      (
        await c.post(`/api/v1/namespaces/${NS}/services`, {
          metadata: { name: 'bare-api' },
          spec: { ports: [{ name: 'https', port: 443 }] },
        })
      ).status,
    ).toBe(201);
    const apiService = (group: string, service: string, servicePort: number | undefined, tls: Record<string, unknown>) => ({
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: `${group === GROUP ? 'v1alpha1' : 'v1'}.${group}` },
      spec: {
        group,
        version: group === GROUP ? 'v1alpha1' : 'v1',
        service: { namespace: NS, name: service, ...(servicePort ? { port: servicePort } : {}) },
        groupPriorityMinimum: 1000,
        versionPriority: 15,
        ...tls,
      },
    });
    const caBundle = Buffer.from(pki.ca.certPem).toString('base64');
    for (const a of [
      apiService(GROUP, 'wardle-api', port, { caBundle }),
      apiService('missing.example.com', 'nope', undefined, { insecureSkipTLSVerify: true }),
      apiService('refused.example.com', 'refused-api', closedPort, { insecureSkipTLSVerify: true }),
      apiService('bare.example.com', 'bare-api', undefined, { insecureSkipTLSVerify: true }),
    ]) {
      expect((await c.post('/apis/apiregistration.k8s.io/v1/apiservices', a)).status).toBe(201);
    }
  });

  afterAll(async () => {
    if (!ext) return;
    ext.closeAllConnections();
    await new Promise((r) => ext.close(r));
  });

  it('keeps the Available condition with kube reasons: Passed, ServiceNotFound, EndpointsNotFound, FailedDiscoveryCheck', async () => {
    expect(await available(`v1alpha1.${GROUP}`, 'True')).toMatchObject({ reason: 'Passed', message: 'all checks passed' });
    expect(await available('v1.missing.example.com', 'False')).toMatchObject({
      reason: 'ServiceNotFound',
      message: 'service/nope in "wardle" is not present',
    });
    expect(await available('v1.bare.example.com', 'False')).toMatchObject({
      reason: 'EndpointsNotFound',
      message: 'cannot find endpoints for service/bare-api in "wardle"',
    });
    const refused = await available('v1.refused.example.com', 'False');
    const url = `https://localhost:${closedPort}/apis/refused.example.com/v1`;
    expect(refused.reason).toBe('FailedDiscoveryCheck');
    expect(refused.message).toMatch(
      new RegExp(
        `^failing or missing response from ${url}: Get "${url}": dial tcp (127\\.0\\.0\\.1|\\[::1\\]):${closedPort}: connect: connection refused$`,
      ),
    );
    // The probe presented the front-proxy certificate, as system:kube-aggregator in system:masters.
    const probe = seen.find((x) => x.path === GV && x.headers['x-remote-user']?.[0] === 'system:kube-aggregator');
    expect(probe?.peerCN).toBe('front-proxy-client');
    const table = await s.kubectl(['get', 'apiservice', 'v1.missing.example.com', `v1alpha1.${GROUP}`]);
    expect(table.stdout).toMatch(/v1\.missing\.example\.com\s+wardle\/nope\s+False \(ServiceNotFound\)/);
    expect(table.stdout).toMatch(/v1alpha1\.wardle\.example\.com\s+wardle\/wardle-api\s+True/);
  });

  it('answers 503 service unavailable for an unavailable APIService', async () => {
    await available('v1.missing.example.com', 'False');
    const r = await s.client.get('/apis/missing.example.com/v1/namespaces/default/things');
    expect(r.status).toBe(503);
    expect(r.text).toBe('service unavailable\n');
  });

  it('lists the remote group in /apis, legacy and aggregated, and serves its resources to kubectl', async () => {
    await available(`v1alpha1.${GROUP}`, 'True');
    const legacy = await s.client.get<{ groups: Array<{ name: string; preferredVersion: { version: string } }> }>('/apis');
    expect(legacy.body.groups.find((g) => g.name === GROUP)?.preferredVersion.version).toBe('v1alpha1');
    const group = await s.client.get<{ kind: string; name: string }>(`/apis/${GROUP}`);
    expect(group.body).toMatchObject({ kind: 'APIGroup', name: GROUP });
    const agg = await s.client.get<{ items: Array<{ metadata: { name: string }; versions: Array<Record<string, unknown>> }> }>('/apis', {
      accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
    });
    expect(agg.body.items.find((i) => i.metadata.name === GROUP)?.versions).toEqual([
      {
        version: 'v1alpha1',
        resources: [
          {
            resource: 'flunders',
            responseKind: { group: '', version: '', kind: 'Flunder' },
            scope: 'Namespaced',
            singularResource: 'flunder',
            verbs: ['get', 'list', 'watch'],
            shortNames: ['fl'],
            subresources: [{ subresource: 'status', responseKind: { group: '', version: '', kind: 'Flunder' }, verbs: ['get'] }],
          },
        ],
        freshness: 'Current',
      },
    ]);
    expect(agg.body.items.find((i) => i.metadata.name === 'missing.example.com')?.versions).toEqual([
      { version: 'v1', freshness: 'Stale' },
    ]);

    const resources = await s.kubectl(['api-resources', `--api-group=${GROUP}`]);
    expect(resources.stdout).toMatch(/flunders\s+fl\s+wardle\.example\.com\/v1alpha1\s+true\s+Flunder/);
    const list = await s.kubectl(['get', 'flunders', '-n', NS]);
    expect(list.stdout).toMatch(/^alpha\s/m);
    const one = await s.kubectl(['get', 'fl', 'alpha', '-n', NS, '-o', 'jsonpath={.kind}/{.metadata.name}']);
    expect(one.stdout).toBe('Flunder/alpha');
  });

  it('passes the user as X-Remote-* headers, never the client credentials, with the front-proxy certificate', async () => {
    await available(`v1alpha1.${GROUP}`, 'True');
    const r = await s.client.get<{ headers: Record<string, string[]>; peerCN: string }>(`${GV}/whoami`, {
      'impersonate-user': 'bob',
      'impersonate-group': 'system:masters',
      'impersonate-extra-scopes': 'view',
    });
    expect(r.status).toBe(200);
    expect(r.body.peerCN).toBe('front-proxy-client');
    expect(r.body.headers['x-remote-user']).toEqual(['bob']);
    expect(r.body.headers['x-remote-group']).toEqual(['system:masters', 'system:authenticated']);
    expect(r.body.headers['x-remote-extra-scopes']).toEqual(['view']);
    expect(Object.keys(r.body.headers).filter((h) => h.startsWith('impersonate-') || h === 'authorization')).toEqual([]);
  });

  it('authorizes before proxying: an anonymous request is refused and never reaches the extension server', async () => {
    const before = seen.length;
    const anon = new Agent({ connect: { ca: s.env.ca } });
    try {
      const res = await request(`${s.env.server}${GV}/namespaces/${NS}/flunders`, { dispatcher: anon });
      expect(res.statusCode).toBe(403);
      await res.body.text();
    } finally {
      await anon.close();
    }
    expect(seen.slice(before).filter((x) => x.path.includes('/flunders'))).toEqual([]);
  });

  it('tunnels an upgrade request to the extension server', async () => {
    await available(`v1alpha1.${GROUP}`, 'True');
    const url = new URL(s.env.server);
    const sock = connect({ host: url.hostname, port: Number(url.port), ca: s.env.ca, cert: s.env.clientCert, key: s.env.clientKey });
    try {
      await new Promise<void>((r, j) => sock.once('secureConnect', () => r()).once('error', j));
      const path = `${GV}/namespaces/${NS}/flunders/alpha/attach?stdout=true`;
      sock.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n`);
      let got = '';
      const until = (want: RegExp) =>
        new Promise<void>((resolve) => {
          const check = () => {
            if (!want.test(got)) return;
            sock.off('data', onData);
            resolve();
          };
          const onData = (d: Buffer) => {
            got += d.toString();
            check();
          };
          sock.on('data', onData);
          check();
        });
      await until(/\r\n\r\n/);
      expect(got).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
      got = '';
      sock.write('ping');
      await until(/ping:/);
      await until(/attach/);
      expect(got).toBe(`ping:kapi-env-admin:${path}`);
    } finally {
      sock.destroy();
    }
  });

  it('rechecks when the Service changes: a server come up on the refused port makes it Available, its discovery merged', async () => {
    await available('v1.refused.example.com', 'False');
    const pki = await createServingPki(['refused-api.wardle.svc']);
    // This one serves aggregated discovery: the aggregator takes its version entry as it is.
    const widgets = {
      version: 'v1',
      resources: [
        {
          resource: 'widgets',
          responseKind: { group: '', version: '', kind: 'Widget' },
          scope: 'Cluster',
          singularResource: 'widget',
          verbs: ['get'],
        },
      ],
      freshness: 'Current',
    };
    const late = createServer({ cert: pki.serving.certPem, key: pki.serving.keyPem }, (req, res) => {
      if (req.url === '/apis' && req.headers.accept?.includes('as=APIGroupDiscoveryList')) {
        res.writeHead(200, { 'content-type': 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' });
        res.end(
          JSON.stringify({
            kind: 'APIGroupDiscoveryList',
            apiVersion: 'apidiscovery.k8s.io/v2',
            items: [{ metadata: { name: 'refused.example.com' }, versions: [widgets] }],
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'refused.example.com/v1', resources: [] }));
    });
    await new Promise<void>((r) => late.listen(closedPort, r));
    try {
      const touched = await s.client.call(
        'PATCH',
        `/api/v1/namespaces/${NS}/services/refused-api`,
        { metadata: { labels: { up: 'yes' } } },
        {
          'content-type': 'application/merge-patch+json',
        },
      );
      expect(touched.status).toBe(200);
      expect(await available('v1.refused.example.com', 'True')).toMatchObject({ reason: 'Passed' });
      let versions: unknown;
      for (let i = 0; i < 200; i++) {
        const agg = await s.client.get<{ items: Array<{ metadata: { name: string }; versions: unknown[] }> }>('/apis', {
          accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
        });
        versions = agg.body.items.find((x) => x.metadata.name === 'refused.example.com')?.versions;
        if (JSON.stringify(versions).includes('widgets')) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(versions).toEqual([widgets]);
    } finally {
      late.closeAllConnections();
      await new Promise((r) => late.close(r));
    }
  });

  it('streams a watch through', async () => {
    await available(`v1alpha1.${GROUP}`, 'True');
    const lines: string[] = [];
    const ac = new AbortController();
    await s.client.stream(`${GV}/namespaces/${NS}/flunders?watch=true`, ac.signal, (line) => {
      lines.push(line);
      return false;
    });
    expect(JSON.parse(lines[0])).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'alpha' } } });
  });
});
