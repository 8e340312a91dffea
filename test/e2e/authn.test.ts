// Authentication end to end, on every backend, with kubectl: whoami for the admin and for tokens
// (TokenRequest, static, legacy Secret, bootstrap, OIDC from a local issuer), a deleted service
// account's token refused, impersonation, the issuer discovery documents, TokenReview, and the
// harness's per-identity helpers (addUser, serviceAccountToken, kubeconfigFor).

import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, decodeJwt, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Env, startEnv } from '../../src/env/index.js';
import { createPki } from '../../src/pki/index.js';
import { buildKubeconfig } from '../../src/pki/kubeconfig.js';
import { BACKENDS } from '../helpers/backends.js';
import { kubectl } from '../helpers/env.js';

const NS = 'authn';

/** A local OpenID issuer over HTTPS: discovery document and JWKS, ES256 keys. */
async function startIssuer(): Promise<{
  url: string;
  caPem: string;
  sign(claims: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}> {
  const pki = await createPki();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'ES256', use: 'sig' };
  let url = '';
  const server: Server = createServer({ cert: pki.serving.certPem, key: pki.serving.keyPem }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') res.end(JSON.stringify({ issuer: url, jwks_uri: `${url}/keys` }));
    else if (req.url === '/keys') res.end(JSON.stringify({ keys: [jwk] }));
    else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    caPem: pki.ca.certPem,
    sign: (claims) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
        .setIssuer(url)
        .setAudience('kapi')
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(privateKey),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** kubectl's `auth whoami` table as attribute -> value. */
function whoami(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.trim().split('\n').slice(1)) {
    const m = /^(\S+(?: \S+)?)\s{2,}(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

describe.each(BACKENDS)('authentication on %s storage', (storage) => {
  let env: Env;
  let dir: string;
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  const k = (args: string[], input?: string) => kubectl(env.kubeconfigPath, args, input);
  /** kubectl with a kubeconfig holding only this bearer token (no client certificate). */
  const asToken = async (token: string, args: string[]) => {
    const file = path.join(dir, `token-${Math.random().toString(36).slice(2)}`);
    await writeFile(file, buildKubeconfig({ server: env.server, caPem: env.ca, token }));
    return kubectl(file, args);
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kapi-authn-'));
    issuer = await startIssuer();
    await writeFile(path.join(dir, 'tokens.csv'), 'static-token-1,carol,c-1,"qa,ops"\n');
    await writeFile(path.join(dir, 'oidc-ca.crt'), issuer.caPem);
    env = await startEnv({
      storage,
      apiserverArgs: [
        `--token-auth-file=${path.join(dir, 'tokens.csv')}`,
        '--enable-bootstrap-token-auth',
        `--oidc-issuer-url=${issuer.url}`,
        '--oidc-client-id=kapi',
        `--oidc-ca-file=${path.join(dir, 'oidc-ca.crt')}`,
        '--oidc-username-prefix=oidc:',
        '--oidc-groups-claim=groups',
        '--oidc-groups-prefix=oidc:',
        '--oidc-signing-algs=ES256',
      ],
    });
    expect((await k(['create', 'namespace', NS])).code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await env?.stop();
    await issuer?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('kubectl auth whoami prints the admin', async () => {
    const r = await k(['auth', 'whoami']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ATTRIBUTE\s+VALUE\n/);
    expect(whoami(r.stdout)).toEqual({ Username: 'kapi-env-admin', Groups: '[system:masters system:authenticated]' });
  });

  it('kubectl create token: a bound token that authenticates as the service account until it is deleted', async () => {
    expect((await k(['create', 'serviceaccount', 'bot', '-n', NS])).code).toBe(0);
    const uid = (await k(['get', 'sa', 'bot', '-n', NS, '-o', 'jsonpath={.metadata.uid}'])).stdout;
    const created = await k(['create', 'token', 'bot', '-n', NS]);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: 'https://kubernetes.default.svc.cluster.local',
      aud: ['https://kubernetes.default.svc.cluster.local'],
      sub: `system:serviceaccount:${NS}:bot`,
      'kubernetes.io': { namespace: NS, serviceaccount: { name: 'bot', uid } },
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
    const me = await asToken(token, ['auth', 'whoami']);
    expect(me.code).toBe(0);
    expect(whoami(me.stdout)).toEqual({
      Username: `system:serviceaccount:${NS}:bot`,
      UID: uid,
      Groups: `[system:serviceaccounts system:serviceaccounts:${NS} system:authenticated]`,
      'Extra: authentication.kubernetes.io/credential-id': `[JTI=${claims.jti}]`,
    });
    // kube's TokenRequest validation.
    const short = await k(['create', 'token', 'bot', '-n', NS, '--duration=5m']);
    expect(short.code).not.toBe(0);
    expect(short.stderr).toContain('spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes');
    expect((await k(['delete', 'sa', 'bot', '-n', NS])).code).toBe(0);
    const after = await asToken(token, ['auth', 'whoami']);
    expect(after.code).not.toBe(0);
    expect(after.stderr).toContain('error: You must be logged in to the server (Unauthorized)');
  });

  it('binds a token to a pod: refused once the pod is gone', async () => {
    await k(['create', 'serviceaccount', 'runner', '-n', NS]);
    const pod = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p1","namespace":"${NS}"},"spec":{"serviceAccountName":"runner","containers":[{"name":"c","image":"busybox"}]}}`;
    expect((await k(['create', '-f', '-'], pod)).code).toBe(0);
    await k(['create', 'serviceaccount', 'other', '-n', NS]);
    const mismatched = await k(['create', 'token', 'other', '-n', NS, '--bound-object-kind=Pod', '--bound-object-name=p1']);
    expect(mismatched.stderr).toContain('cannot bind token for serviceaccount "other" to pod running with serviceaccount "runner"');
    const r = await k(['create', 'token', 'runner', '-n', NS, '--bound-object-kind=Pod', '--bound-object-name=p1']);
    expect(r.code).toBe(0);
    const token = r.stdout.trim();
    expect(whoami((await asToken(token, ['auth', 'whoami'])).stdout)).toMatchObject({
      'Extra: authentication.kubernetes.io/pod-name': '[p1]',
    });
    expect((await k(['delete', 'pod', 'p1', '-n', NS, '--grace-period=0', '--force'])).code).toBe(0);
    expect((await asToken(token, ['auth', 'whoami'])).stderr).toContain('(Unauthorized)');
    // The bound object's kind and uid, as kube checks them.
    const c = env.client();
    try {
      const request = (boundObjectRef: Record<string, string>) =>
        c.post<{ message?: string; status?: { token: string } }>(`/api/v1/namespaces/${NS}/serviceaccounts/runner/token`, {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { boundObjectRef },
        });
      const cm = await request({ apiVersion: 'v1', kind: 'ConfigMap', name: 'x' });
      expect([cm.status, cm.body.message]).toEqual([400, 'cannot bind token to object of type /v1, Kind=ConfigMap']);
      await k(['create', 'secret', 'generic', 'anchor', '-n', NS]);
      const stale = await request({ apiVersion: 'v1', kind: 'Secret', name: 'anchor', uid: 'not-the-uid' });
      expect([stale.status, stale.body.message]).toEqual([
        409,
        'Operation cannot be fulfilled on Secret "anchor": the UID in the bound object reference (not-the-uid) does not match the UID in record. The object might have been deleted and then recreated',
      ]);
      const bound = await request({ apiVersion: 'v1', kind: 'Secret', name: 'anchor' });
      expect(bound.status).toBe(201);
      const secretToken = bound.body.status!.token;
      expect(whoami((await asToken(secretToken, ['auth', 'whoami'])).stdout).Username).toBe(`system:serviceaccount:${NS}:runner`);
      await k(['delete', 'secret', 'anchor', '-n', NS]);
      expect((await asToken(secretToken, ['auth', 'whoami'])).stderr).toContain('(Unauthorized)');
    } finally {
      await c.close();
    }
  });

  it('a static token from --token-auth-file', async () => {
    const r = await asToken('static-token-1', ['auth', 'whoami']);
    expect(r.code).toBe(0);
    expect(whoami(r.stdout)).toEqual({ Username: 'carol', UID: 'c-1', Groups: '[qa ops system:authenticated]' });
    expect((await asToken('static-token-2', ['auth', 'whoami'])).stderr).toContain('(Unauthorized)');
  });

  it('an OIDC token from a local issuer, with the username and groups prefixes', async () => {
    const token = await issuer.sign({ sub: 'alice', groups: ['devs'] });
    const r = await asToken(token, ['auth', 'whoami']);
    expect(r.code).toBe(0);
    expect(whoami(r.stdout)).toEqual({ Username: 'oidc:alice', Groups: '[oidc:devs system:authenticated]' });
    const wrongAudience = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(issuer.url)
      .sign(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    expect((await asToken(wrongAudience, ['auth', 'whoami'])).stderr).toContain('(Unauthorized)');
  });

  it('legacy Secret tokens: filled in by the token controller, valid while the Secret exists', async () => {
    await k(['create', 'serviceaccount', 'legacy', '-n', NS]);
    const secret = `{"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/service-account-token","metadata":{"name":"legacy-token","namespace":"${NS}","annotations":{"kubernetes.io/service-account.name":"legacy"}}}`;
    expect((await k(['create', '-f', '-'], secret)).code).toBe(0);
    let token = '';
    for (let i = 0; i < 100 && !token; i++) {
      const got = await env.client().get<{ data?: Record<string, string> }>(`/api/v1/namespaces/${NS}/secrets/legacy-token`);
      token = got.body.data?.token ? Buffer.from(got.body.data.token, 'base64').toString() : '';
      if (!token) await new Promise((r) => setTimeout(r, 50));
    }
    expect(decodeJwt(token).iss).toBe('kubernetes/serviceaccount');
    expect(whoami((await asToken(token, ['auth', 'whoami'])).stdout).Username).toBe(`system:serviceaccount:${NS}:legacy`);
    expect((await k(['delete', 'secret', 'legacy-token', '-n', NS])).code).toBe(0);
    expect((await asToken(token, ['auth', 'whoami'])).stderr).toContain('(Unauthorized)');
  });

  it('bootstrap tokens from kube-system Secrets', async () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'bootstrap.kubernetes.io/token',
      metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' },
      stringData: {
        'token-id': 'abcdef',
        'token-secret': '0123456789abcdef',
        'usage-bootstrap-authentication': 'true',
        'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
      },
    };
    expect((await k(['create', '-f', '-'], JSON.stringify(secret))).code).toBe(0);
    const r = await asToken('abcdef.0123456789abcdef', ['auth', 'whoami']);
    expect(whoami(r.stdout)).toEqual({
      Username: 'system:bootstrap:abcdef',
      Groups: '[system:bootstrappers system:bootstrappers:kubeadm:default-node-token system:authenticated]',
    });
    expect((await asToken('abcdef.0123456789abcdee', ['auth', 'whoami'])).stderr).toContain('(Unauthorized)');
  });

  it('--as impersonation: allowed for the admin and for a user granted impersonate, refused otherwise', async () => {
    const r = await k(['--as=jane', '--as-group=devs', 'auth', 'whoami']);
    expect(r.code).toBe(0);
    expect(whoami(r.stdout)).toEqual({ Username: 'jane', Groups: '[devs system:authenticated]' });
    const eve = await env.addUser({ name: 'eve' });
    await eve.client.close();
    const refused = await kubectl(eve.kubeconfigPath, ['--as=jane', 'get', 'configmaps']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'Error from server (Forbidden): users "jane" is forbidden: User "eve" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    expect((await k(['create', 'clusterrole', 'impersonator', '--verb=impersonate', '--resource=users,groups'])).code).toBe(0);
    expect((await k(['create', 'clusterrolebinding', 'eve-impersonates', '--clusterrole=impersonator', '--user=eve'])).code).toBe(0);
    let allowed = await kubectl(eve.kubeconfigPath, ['--as=jane', 'auth', 'whoami']);
    for (let i = 0; i < 40 && allowed.code !== 0; i++) {
      await new Promise((res) => setTimeout(res, 50));
      allowed = await kubectl(eve.kubeconfigPath, ['--as=jane', 'auth', 'whoami']);
    }
    expect(whoami(allowed.stdout)).toEqual({ Username: 'jane', Groups: '[system:authenticated]' });
  });

  it('serves the issuer discovery documents; a created token verifies against the JWKS', async () => {
    const c = env.client();
    try {
      const conf = await c.get<Record<string, unknown>>('/.well-known/openid-configuration');
      expect(conf.status).toBe(200);
      expect(conf.headers['content-type']).toBe('application/json');
      expect(conf.headers['cache-control']).toBe('public, max-age=3600');
      expect(conf.body).toEqual({
        issuer: 'https://kubernetes.default.svc.cluster.local',
        jwks_uri: `${env.server}/openid/v1/jwks`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['ES256'],
      });
      const keys = await c.get<{ keys: Array<Record<string, unknown>> }>('/openid/v1/jwks');
      expect(keys.headers['content-type']).toBe('application/jwk-set+json');
      expect(keys.body.keys[0]).toMatchObject({ use: 'sig', kty: 'EC', alg: 'ES256' });
      await k(['create', 'serviceaccount', 'verified', '-n', NS]);
      const token = await env.serviceAccountToken(NS, 'verified', { audiences: ['vault'], expirationSeconds: 600 });
      const { payload } = await jwtVerify(token, createLocalJWKSet(keys.body as never), {
        issuer: 'https://kubernetes.default.svc.cluster.local',
        audience: 'vault',
      });
      expect(payload.sub).toBe(`system:serviceaccount:${NS}:verified`);
      expect((payload.exp as number) - (payload.iat as number)).toBe(600);
    } finally {
      await c.close();
    }
  });

  it('TokenReview: authenticated for the audiences asked, refused with the reason otherwise', async () => {
    await k(['create', 'serviceaccount', 'reviewed', '-n', NS]);
    const token = await env.serviceAccountToken(NS, 'reviewed', { audiences: ['api', 'vault'] });
    const c = env.client();
    try {
      const review = (spec: Record<string, unknown>) =>
        c.post<Record<string, unknown>>('/apis/authentication.k8s.io/v1/tokenreviews', {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec,
        });
      const ok = await review({ token, audiences: ['vault'] });
      expect(ok.status).toBe(201);
      expect(ok.body).toMatchObject({
        kind: 'TokenReview',
        apiVersion: 'authentication.k8s.io/v1',
        status: {
          authenticated: true,
          user: {
            username: `system:serviceaccount:${NS}:reviewed`,
            groups: ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated'],
          },
          audiences: ['vault'],
        },
      });
      const wrong = await review({ token });
      expect(wrong.body.status).toEqual({
        user: {},
        error: 'token audiences ["api" "vault"] is invalid for the target audiences ["https://kubernetes.default.svc.cluster.local"]',
      });
      const empty = await review({});
      expect(empty.status).toBe(400);
      expect((empty.body as { message: string }).message).toBe('token is required for TokenReview in authentication.k8s.io/__internal');
    } finally {
      await c.close();
    }
  });

  it('addUser, kubeconfigFor and serviceAccountToken from Vitest', async () => {
    const qa = await env.addUser({ name: 'quinn', groups: ['qa'] });
    try {
      expect(qa.kubeconfig).toContain('client-certificate-data:');
      const self = await qa.client.post<{ status: { userInfo: Record<string, unknown> } }>(
        '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'SelfSubjectReview',
        },
      );
      expect(self.status).toBe(201);
      expect(self.body.status.userInfo).toEqual({ username: 'quinn', groups: ['qa', 'system:authenticated'] });
      expect(whoami((await kubectl(qa.kubeconfigPath, ['auth', 'whoami'])).stdout).Username).toBe('quinn');
    } finally {
      await qa.client.close();
    }
    await k(['create', 'serviceaccount', 'ctrl', '-n', NS]);
    const sa = await env.kubeconfigFor({ serviceAccount: `${NS}/ctrl` });
    try {
      expect(sa.kubeconfig).toContain(`token: ${sa.token}`);
      expect(whoami((await kubectl(sa.kubeconfigPath, ['auth', 'whoami'])).stdout).Username).toBe(`system:serviceaccount:${NS}:ctrl`);
      const me = await sa.client.post<{ status: { userInfo: { username: string } } }>('/apis/authentication.k8s.io/v1/selfsubjectreviews', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'SelfSubjectReview',
      });
      expect(me.body.status.userInfo.username).toBe(`system:serviceaccount:${NS}:ctrl`);
    } finally {
      await sa.client.close();
    }
    await expect(env.serviceAccountToken(NS, 'missing')).rejects.toThrow('serviceaccounts "missing" not found');
  });
});
