// Front-proxy authentication (--requestheader-*, kube's request header
// authenticator): a client certificate from the front-proxy CA whose CN is
// allowed names the user in X-Remote-* headers; another CN, or the front proxy's
// certificate without a user header, is refused 401; a client-CA certificate
// cannot assert headers. kube-system/extension-apiserver-authentication
// publishes the trust for extension API servers.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestClient } from '../../src/env/client.js';
import { createPki, type KeyPairPem, loadCertificateAuthority, type PkiWithCA, signClientCert } from '../../src/pki/index.js';
import { authenticationHeaderRemover } from '../../src/server/authn/requestheader.js';
import { parseServeFlags, serverConfigFromFlags } from '../../src/server/config.js';
import { type ApiServer, createApiServer } from '../../src/server/index.js';
import { MemoryStorage } from '../../src/server/storage/memory/index.js';
import { fakeRequest } from '../helpers/fake-http.js';

interface Review {
  status: { userInfo: { username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> } };
}

const REVIEW = '/apis/authentication.k8s.io/v1/selfsubjectreviews';
const reviewBody = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };

describe('front-proxy (requestheader) authentication', () => {
  let pki: PkiWithCA;
  let frontProxy: PkiWithCA;
  let dir: string;
  let server: ApiServer;
  const clients: RestClient[] = [];
  const as = (cert: KeyPairPem): RestClient => {
    const c = new RestClient({ server: server.url, caPem: pki.ca.certPem, certPem: cert.certPem, keyPem: cert.keyPem });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    [pki, frontProxy] = await Promise.all([createPki(), createPki()]);
    dir = await mkdtemp(join(tmpdir(), 'kapi-rh-'));
    const caFile = join(dir, 'front-proxy-ca.crt');
    await writeFile(caFile, frontProxy.ca.certPem);
    const flags = parseServeFlags([
      '--storage-backend=memory',
      '--secure-port=0',
      '--bind-address=127.0.0.1',
      `--requestheader-client-ca-file=${caFile}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-uid-headers=X-Remote-Uid',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    ]);
    server = await createApiServer({
      ...serverConfigFromFlags(flags, {
        storage: new MemoryStorage(),
        tls: { certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, clientCaPem: pki.ca.certPem },
      }),
      compactionIntervalMs: 0,
    });
  });
  afterAll(async () => {
    for (const c of clients) await c.agent.destroy();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('takes the user, uid, groups and extras from the headers of an allowed front proxy', async () => {
    const proxy = as(await signClientCert(frontProxy.authority, { user: 'front-proxy-client' }));
    const r = await proxy.call<Review>('POST', REVIEW, reviewBody, {
      'X-Remote-User': 'alice',
      'X-Remote-Uid': 'uid-1',
      'X-Remote-Group': 'devs',
      'X-Remote-Extra-Scopes': 'read',
      'X-Remote-Extra-Acme.com%2fproject': 'p1',
    });
    expect(r.status).toBe(201);
    expect(r.body.status.userInfo).toEqual({
      username: 'alice',
      uid: 'uid-1',
      groups: ['devs', 'system:authenticated'],
      extra: { scopes: ['read'], 'acme.com/project': ['p1'] },
    });
  });

  it('refuses a front-proxy certificate whose CN is not allowed, or that names no user (401)', async () => {
    const other = as(await signClientCert(frontProxy.authority, { user: 'someone-else' }));
    const refused = await other.call<{ reason: string }>('POST', REVIEW, reviewBody, { 'X-Remote-User': 'alice' });
    expect(refused.status).toBe(401);
    expect(refused.body.reason).toBe('Unauthorized');
    const proxy = as(await signClientCert(frontProxy.authority, { user: 'front-proxy-client' }));
    expect((await proxy.call('POST', REVIEW, reviewBody)).status).toBe(401);
  });

  it('ignores the headers of a client-CA certificate: its own CN is the user', async () => {
    const admin = as(pki.admin);
    const r = await admin.call<Review>('POST', REVIEW, reviewBody, { 'X-Remote-User': 'mallory', 'X-Remote-Group': 'system:masters' });
    expect(r.status).toBe(201);
    expect(r.body.status.userInfo.username).toBe('kapi-env-admin');
  });

  it('publishes kube-system/extension-apiserver-authentication', async () => {
    const cm = await as(pki.admin).get<{ data: Record<string, string> }>(
      '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication',
    );
    expect(cm.status).toBe(200);
    expect(cm.body.data).toEqual({
      'client-ca-file': pki.ca.certPem,
      'requestheader-client-ca-file': frontProxy.ca.certPem,
      'requestheader-allowed-names': '["front-proxy-client"]',
      'requestheader-username-headers': '["X-Remote-User"]',
      'requestheader-uid-headers': '["X-Remote-Uid"]',
      'requestheader-group-headers': '["X-Remote-Group"]',
      'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
    });
  });

  it('strips the credential and front-proxy headers from an authenticated request', () => {
    const r = fakeRequest('GET', '/api', {
      authorization: 'Bearer x',
      'x-remote-user': 'a',
      'x-remote-extra-k': 'v',
      'x-custom-user': 'b',
      accept: 'application/json',
    });
    authenticationHeaderRemover({
      caPem: '',
      allowedNames: [],
      usernameHeaders: ['X-Custom-User'],
      uidHeaders: [],
      groupHeaders: [],
      extraHeaderPrefixes: [],
    })(r.req);
    expect(r.req.headers).toEqual({ accept: 'application/json' });
  });
});

describe("an environment's own front proxy (the aggregator's client certificate)", () => {
  let env: import('../../src/env/index.js').Env;
  beforeAll(async () => {
    const { startEnv } = await import('../../src/env/index.js');
    env = await startEnv({ storage: 'memory', serverThread: 'inline' });
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('is trusted to name the user, as kubeadm sets up --requestheader-*, and published for extension servers', async () => {
    const authority = await loadCertificateAuthority(env.clientCa!.certPem, env.clientCa!.keyPem);
    const proxyCert = await signClientCert(authority, { user: 'front-proxy-client' });
    const proxy = new RestClient({ server: env.server, caPem: env.ca, certPem: proxyCert.certPem, keyPem: proxyCert.keyPem });
    const admin = env.client();
    try {
      const r = await proxy.call<Review>('POST', REVIEW, reviewBody, { 'X-Remote-User': 'alice', 'X-Remote-Group': 'devs' });
      expect(r.status).toBe(201);
      expect(r.body.status.userInfo).toMatchObject({ username: 'alice', groups: ['devs', 'system:authenticated'] });
      const cm = await admin.get<{ data: Record<string, string> }>(
        '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication',
      );
      expect(cm.body.data['requestheader-allowed-names']).toBe('["front-proxy-client"]');
      expect(cm.body.data['requestheader-username-headers']).toBe('["X-Remote-User"]');
      expect(cm.body.data['requestheader-client-ca-file']).toBe(env.clientCa!.certPem);
    } finally {
      await proxy.close();
      await admin.close();
    }
  });
});
