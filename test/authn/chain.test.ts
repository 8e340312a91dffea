// The authenticator chain's pieces below the wire: bootstrap tokens, --anonymous-auth, the flags.

import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/server/api/types.js';
import { BootstrapTokenAuthenticator } from '../../src/server/authn/bootstrap-token.js';
import { applyAuthnFlag, validateAuthnFlags } from '../../src/server/authn/flags.js';
import { BearerTokenAuthenticator, bearerToken } from '../../src/server/authn/index.js';
import type { AuthenticationConfig } from '../../src/server/authn/setup.js';
import { withAuthentication } from '../../src/server/filters/authentication.js';
import { parseBool } from '../../src/server/http/query.js';
import type { ApiHandler } from '../../src/server/http/request.js';
import { fakeRequest } from '../helpers/fake-http.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function bootstrapSecret(data: Record<string, string>, type = 'bootstrap.kubernetes.io/token'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type,
    metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  } as KubeObject;
}

const valid = { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true' };

describe('bootstrap tokens', () => {
  const auth = (secret?: KubeObject) =>
    new BootstrapTokenAuthenticator(async (resource, ns, name) =>
      resource === 'secrets' && ns === 'kube-system' && name === 'bootstrap-token-abcdef' ? secret : undefined,
    );

  it('names system:bootstrap:<id> in system:bootstrappers plus the extra groups, sorted', async () => {
    const r = await auth(
      bootstrapSecret({ ...valid, 'auth-extra-groups': 'system:bootstrappers:worker,system:bootstrappers:a' }),
    ).authenticateToken('abcdef.0123456789abcdef');
    expect(r).toEqual({
      kind: 'user',
      user: {
        username: 'system:bootstrap:abcdef',
        groups: ['system:bootstrappers', 'system:bootstrappers:a', 'system:bootstrappers:worker'],
      },
    });
  });

  it('passes over a wrong secret, an expired token, a missing usage, another type or a bad extra group', async () => {
    const cases: KubeObject[] = [
      bootstrapSecret({ ...valid, 'token-secret': 'ffffffffffffffff' }),
      bootstrapSecret({ ...valid, expiration: '2000-01-01T00:00:00Z' }),
      bootstrapSecret({ ...valid, 'usage-bootstrap-authentication': 'false' }),
      bootstrapSecret(valid, 'Opaque'),
      bootstrapSecret({ ...valid, 'auth-extra-groups': 'admins' }),
    ];
    for (const s of cases) expect(await auth(s).authenticateToken('abcdef.0123456789abcdef')).toEqual({ kind: 'none' });
    expect(
      await auth(bootstrapSecret({ ...valid, expiration: '2999-01-01T00:00:00Z' })).authenticateToken('abcdef.0123456789abcdef'),
    ).toMatchObject({
      kind: 'user',
    });
    expect(await auth(bootstrapSecret(valid)).authenticateToken('not.a-bootstrap-token')).toEqual({ kind: 'none' });
  });
});

describe('bearer tokens', () => {
  const ws = (protocol: string) =>
    fakeRequest('GET', '/api/v1/pods?watch=true', { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-protocol': protocol }).req;

  it('reads the Authorization header, and on a WebSocket the base64url bearer subprotocol', () => {
    expect(bearerToken(fakeRequest('GET', '/api', { authorization: 'Bearer abc' }).req)).toBe('abc');
    expect(bearerToken(fakeRequest('GET', '/api', { authorization: 'Basic abc' }).req)).toBeUndefined();
    const encoded = Buffer.from('tok.en').toString('base64url');
    expect(bearerToken(ws(`v4.channel.k8s.io, base64url.bearer.authorization.k8s.io.${encoded}`))).toBe('tok.en');
    expect(bearerToken(ws('base64url.bearer.authorization.k8s.io.'))).toBeUndefined();
  });

  it('asks the token authenticators for the API audiences; a token none accepts is invalid', async () => {
    const asked: string[][] = [];
    const a = new BearerTokenAuthenticator(
      [
        {
          authenticateToken: async (token, audiences) => {
            asked.push(audiences);
            return token === 'good' ? { kind: 'user', user: { username: 'u', groups: [] } } : { kind: 'none' };
          },
        },
      ],
      ['https://api'],
    );
    expect(await a.authenticate(fakeRequest('GET', '/api', { authorization: 'Bearer good' }).req)).toEqual({
      kind: 'user',
      user: { username: 'u', groups: [] },
    });
    expect(asked).toEqual([['https://api']]);
    expect(await a.authenticate(fakeRequest('GET', '/api', { authorization: 'Bearer bad' }).req)).toEqual({
      kind: 'invalid',
      reason: 'invalid bearer token',
    });
    expect(await a.authenticate(fakeRequest('GET', '/api').req)).toEqual({ kind: 'none' });
  });
});

describe('--anonymous-auth', () => {
  const ok: ApiHandler = async (r) => {
    r.res.statusCode = 200;
    r.res.end(r.user?.username);
  };

  it('lets a request without credentials on as system:anonymous, or refuses it 401 when disabled', async () => {
    const on = fakeRequest('GET', '/healthz');
    await withAuthentication([])(ok)(on);
    expect(on.user).toEqual({ username: 'system:anonymous', groups: ['system:unauthenticated'] });
    const off = fakeRequest('GET', '/healthz');
    await expect(withAuthentication([], { anonymous: false })(ok)(off)).rejects.toMatchObject({ code: 401, message: 'Unauthorized' });
  });
});

describe('authentication flags', () => {
  const apply = (pairs: Array<[string, string]>): AuthenticationConfig => {
    const c: AuthenticationConfig = {};
    for (const [n, v] of pairs) expect(applyAuthnFlag(c, n, v, parseBool)).toBeUndefined();
    return c;
  };

  it('collects repeatable flags and maps', () => {
    const c = apply([
      ['service-account-issuer', 'https://a'],
      ['service-account-issuer', 'https://b'],
      ['service-account-key-file', '/k1'],
      ['api-audiences', 'x, y'],
      ['anonymous-auth', 'false'],
      ['oidc-issuer-url', 'https://idp'],
      ['oidc-client-id', 'c'],
      ['oidc-required-claim', 'hd=example.com,tier=gold'],
    ]);
    expect(c).toEqual({
      serviceAccountIssuers: ['https://a', 'https://b'],
      serviceAccountKeyFiles: ['/k1'],
      apiAudiences: ['x', 'y'],
      anonymous: false,
      oidc: { issuerURL: 'https://idp', clientID: 'c', requiredClaims: { hd: 'example.com', tier: 'gold' } },
    });
    expect(validateAuthnFlags(c)).toBeUndefined();
  });

  it('refuses what kube-apiserver refuses', () => {
    expect(applyAuthnFlag({}, 'anonymous-auth', 'maybe', parseBool)).toBe(
      'invalid argument "maybe" for "--anonymous-auth" flag: strconv.ParseBool: parsing "maybe": invalid syntax',
    );
    expect(validateAuthnFlags(apply([['oidc-groups-claim', 'groups']]))).toBe(
      'oidc-issuer-url and oidc-client-id must be specified together when any oidc-* flags are set',
    );
    expect(
      validateAuthnFlags(
        apply([
          ['oidc-issuer-url', 'http://idp'],
          ['oidc-client-id', 'c'],
        ]),
      ),
    ).toBe('jwt[0].issuer.url: Invalid value: "http://idp": URL scheme must be https');
  });
});
