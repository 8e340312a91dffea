// The aggregator's pure parts: legacy discovery converted as kube's
// ConvertGroupVersionIntoToDiscovery does, remote groups ordered among the
// local ones by APIService priority, user headers as client-go sets them, and
// the Available verdicts' wording.

import { describe, expect, it } from 'vitest';
import { type RemoteAPIService, remoteAPIService, verdicts } from '../../src/server/aggregator/apiservice.js';
import { sameVerdict, withVerdict } from '../../src/server/aggregator/available.js';
import { convertResourceList, mergedAggregated, mergedGroupList, remoteGroup } from '../../src/server/aggregator/discovery.js';
import { setAuthProxyHeaders } from '../../src/server/aggregator/transport.js';
import { FlagError, parseServeFlags, serverConfigFromFlags } from '../../src/server/config.js';
import type { Storage } from '../../src/server/storage/interface.js';

const remote = (group: string, version: string, groupPriorityMinimum: number, versionPriority: number): RemoteAPIService => ({
  name: `${version}.${group}`,
  group,
  version,
  service: { namespace: 'ns', name: 'svc', port: 443 },
  insecureSkipTLSVerify: true,
  groupPriorityMinimum,
  versionPriority,
  available: true,
});

describe('aggregator discovery', () => {
  it('converts an APIResourceList, subresources under their parent (an orphan gets an empty parent)', () => {
    const got = convertResourceList({
      resources: [
        { name: 'flunders', singularName: 'flunder', namespaced: true, kind: 'Flunder', verbs: ['get', 'list'], shortNames: ['fl'] },
        { name: 'flunders/status', singularName: '', namespaced: true, kind: 'Flunder', verbs: ['get'] },
        { name: 'fischers/scale', namespaced: false, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get'] },
      ],
    });
    expect(got).toEqual([
      {
        resource: 'flunders',
        responseKind: { group: '', version: '', kind: 'Flunder' },
        scope: 'Namespaced',
        singularResource: 'flunder',
        verbs: ['get', 'list'],
        shortNames: ['fl'],
        subresources: [{ subresource: 'status', responseKind: { group: '', version: '', kind: 'Flunder' }, verbs: ['get'] }],
      },
      {
        resource: 'fischers',
        responseKind: { group: '', version: '', kind: '' },
        scope: 'Cluster',
        singularResource: '',
        verbs: null,
        subresources: [{ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get'] }],
      },
    ]);
  });

  it('orders remote groups by groupPriorityMinimum then name, versions by versionPriority then kube order', () => {
    const local = {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [
        { name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }] },
        { name: 'crd.example.com', versions: [{ groupVersion: 'crd.example.com/v1', version: 'v1' }] },
      ],
    };
    const remotes = [
      remote('wardle.example.com', 'v1alpha1', 1000, 15),
      remote('wardle.example.com', 'v1beta1', 1000, 15),
      remote('metrics.k8s.io', 'v1beta1', 100, 100),
      remote('high.example.com', 'v1', 17900, 15),
    ];
    const list = mergedGroupList(local, remotes) as { groups: Array<{ name: string; versions: Array<{ version: string }> }> };
    expect(list.groups.map((g) => g.name)).toEqual(['high.example.com', 'apps', 'crd.example.com', 'wardle.example.com', 'metrics.k8s.io']);
    expect(list.groups[3].versions.map((v) => v.version)).toEqual(['v1beta1', 'v1alpha1']);
    expect(remoteGroup('wardle.example.com', remotes)).toMatchObject({
      kind: 'APIGroup',
      name: 'wardle.example.com',
      preferredVersion: { groupVersion: 'wardle.example.com/v1beta1', version: 'v1beta1' },
    });
  });

  it('merges remote versions into the aggregated document, Stale when not fetched', () => {
    const local = { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items: [] };
    const a = remote('wardle.example.com', 'v1alpha1', 1000, 15);
    const b = remote('down.example.com', 'v1', 1000, 15);
    const doc = mergedAggregated(local, [a, b], (api) =>
      api === a ? { version: 'v1alpha1', resources: [], freshness: 'Current' } : undefined,
    );
    expect(doc.items).toEqual([
      { metadata: { name: 'down.example.com', creationTimestamp: null }, versions: [{ version: 'v1', freshness: 'Stale' }] },
      {
        metadata: { name: 'wardle.example.com', creationTimestamp: null },
        versions: [{ version: 'v1alpha1', resources: [], freshness: 'Current' }],
      },
    ]);
  });
});

describe('aggregator proxying', () => {
  it('replaces any X-Remote-* headers with the user, one group and one extra value per header', () => {
    const headers: Record<string, string | string[]> = { 'x-remote-user': 'mallory', 'X-Remote-Extra-Forged': 'x', accept: 'a' };
    setAuthProxyHeaders(headers, { username: 'bob', groups: ['devs', 'system:authenticated'], extra: { 'scopes.io/a b%': ['1', '2'] } });
    expect(headers).toEqual({
      accept: 'a',
      'X-Remote-User': 'bob',
      'X-Remote-Group': ['devs', 'system:authenticated'],
      'X-Remote-Extra-scopes.io%2Fa%20b%25': ['1', '2'],
    });
  });

  it('reads a remote APIService (port 443 by default, the caBundle decoded) and words verdicts as kube', () => {
    const obj = {
      metadata: { name: 'v1.x.io' },
      spec: { group: 'x.io', version: 'v1', service: { namespace: 'ns', name: 'api' }, caBundle: Buffer.from('PEM').toString('base64') },
    };
    expect(remoteAPIService(obj)).toMatchObject({ service: { namespace: 'ns', name: 'api', port: 443 }, caPem: 'PEM', available: false });
    expect(remoteAPIService({ metadata: { name: 'v1.apps' }, spec: { group: 'apps', version: 'v1' } })).toBeUndefined();
    const missing = verdicts.missingEndpoints({ namespace: 'ns', name: 'api', port: 443 }, 'https');
    expect(missing.message).toBe('endpoints for service/api in "ns" have no addresses with port name "https"');
    const marked = withVerdict(obj, missing);
    expect(sameVerdict(marked, missing)).toBe(true);
    const again = withVerdict(marked, { ...missing, message: 'other' });
    const cond = (o: typeof marked) => (o.status as { conditions: Array<{ lastTransitionTime: string }> }).conditions[0];
    expect(cond(again).lastTransitionTime).toBe(cond(marked).lastTransitionTime);
  });
});

describe('--proxy-client-cert-file and --proxy-client-key-file', () => {
  it('map to the aggregator client certificate, and only together', () => {
    const flags = parseServeFlags(['--proxy-client-cert-file=/pki/fp.crt', '--proxy-client-key-file', '/pki/fp.key']);
    const config = serverConfigFromFlags(flags, { storage: {} as Storage, tls: { certPem: '', keyPem: '', clientCaPem: '' } });
    expect(config.proxyClient).toEqual({ certFile: '/pki/fp.crt', keyFile: '/pki/fp.key' });
    expect(() => parseServeFlags(['--proxy-client-cert-file=/pki/fp.crt'])).toThrow(
      new FlagError('--proxy-client-cert-file and --proxy-client-key-file must be given together'),
    );
  });
});

describe('reading an extension server', () => {
  it('stops reading an answer past MAX_FETCHED_BYTES and fails with Go-style wording', async () => {
    const { createServer } = await import('node:https');
    const { createPki } = await import('../../src/pki/index.js');
    const { fetchOnce, MAX_FETCHED_BYTES } = await import('../../src/server/aggregator/fetch.js');
    const { ProxyTransport } = await import('../../src/server/aggregator/transport.js');
    const pki = await createPki({ hosts: ['127.0.0.1'] });
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    let written = 0;
    const server = createServer({ cert: pki.serving.certPem, key: pki.serving.keyPem }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const more = (): void => {
        while (written <= MAX_FETCHED_BYTES + chunk.length * 4) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
      res.on('close', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const transport = new ProxyTransport();
    try {
      const endpoint = { host: '127.0.0.1', port, servername: '127.0.0.1', caPem: pki.ca.certPem, insecure: false };
      await expect(fetchOnce(transport, endpoint, '/apis', {}, 10_000)).rejects.toThrow(
        /^Get "https:\/\/.*\/apis": response body larger than/,
      );
    } finally {
      transport.close();
      server.closeAllConnections();
      server.close();
    }
  });
});
