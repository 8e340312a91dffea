// Service-account JWTs: what kube's JWT authenticator checks (issuer, signature, audience, time, the
// objects named in the claims) and the claims TokenRequest signs.

import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/server/api/types.js';
import { authenticateToken } from '../../src/server/authn/index.js';
import { keyId, parsePublicKeys, parseSigningKey } from '../../src/server/authn/keys.js';
import { type ObjectGetter, ServiceAccountTokenAuthenticator, ServiceAccountTokenSigner } from '../../src/server/authn/serviceaccount.js';
import { buildAuthentication, jwks, openIDConfiguration, reviewToken } from '../../src/server/authn/setup.js';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';

function ecKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

const sa = (uid = 'sa-uid'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name: 'bot', namespace: 'apps', uid },
});
const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'apps', uid: 'pod-uid' } };

function world(objects: Record<string, KubeObject>): ObjectGetter {
  return async (resource, ns, name) => objects[`${resource}/${ns}/${name}`];
}

function setup(objects: Record<string, KubeObject> = { 'serviceaccounts/apps/bot': sa() }) {
  const key = ecKey();
  const signing = parseSigningKey(key.privatePem, 'test');
  const signer = new ServiceAccountTokenSigner(signing, ISSUER);
  const state = { objects };
  const authn = new ServiceAccountTokenAuthenticator({
    issuers: [ISSUER],
    keys: [signing],
    apiAudiences: [ISSUER],
    getObject: (r, ns, n) => world(state.objects)(r, ns, n),
  });
  return { key, signer, authn, state };
}

describe('service-account tokens', () => {
  it("signs kube's claims: sub, aud, iat/nbf/exp, jti and the kubernetes.io private claim, with the key's kid", async () => {
    const { signer, key } = setup();
    const { token, expiresAtMs } = await signer.bound(
      { serviceAccount: sa(), pod, expirationSeconds: 600, audiences: ['a', 'b'] },
      1_700_000_000_000,
    );
    const c = decodeJwt(token);
    expect(c).toMatchObject({
      iss: ISSUER,
      sub: 'system:serviceaccount:apps:bot',
      aud: ['a', 'b'],
      iat: 1_700_000_000,
      nbf: 1_700_000_000,
      exp: 1_700_000_600,
      'kubernetes.io': { namespace: 'apps', serviceaccount: { name: 'bot', uid: 'sa-uid' }, pod: { name: 'p', uid: 'pod-uid' } },
    });
    expect(c.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(expiresAtMs).toBe(1_700_000_600_000);
    const h = decodeProtectedHeader(token);
    expect(h.alg).toBe('ES256');
    expect(h.kid).toBe(parsePublicKeys(key.publicPem, 'k')[0].kid);
  });

  it('authenticates as system:serviceaccount:ns:name with the pod and credential extras', async () => {
    const { signer, authn, state } = setup();
    state.objects['pods/apps/p'] = pod;
    const { token } = await signer.bound({ serviceAccount: sa(), pod, expirationSeconds: 3600, audiences: [ISSUER] });
    const r = await authn.authenticateToken(token, [ISSUER]);
    expect(r).toMatchObject({
      kind: 'user',
      user: {
        username: 'system:serviceaccount:apps:bot',
        uid: 'sa-uid',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:apps'],
        extra: {
          'authentication.kubernetes.io/pod-name': ['p'],
          'authentication.kubernetes.io/pod-uid': ['pod-uid'],
          'authentication.kubernetes.io/credential-id': [`JTI=${decodeJwt(token).jti}`],
        },
      },
      audiences: [ISSUER],
    });
  });

  it('refuses a token once its service account (or bound pod) is gone or recreated', async () => {
    const { signer, authn, state } = setup();
    const { token } = await signer.bound({ serviceAccount: sa(), expirationSeconds: 3600, audiences: [ISSUER] });
    state.objects = {};
    expect(await authn.authenticateToken(token, [ISSUER])).toEqual({ kind: 'invalid', reason: 'serviceaccounts "bot" not found' });
    state.objects = { 'serviceaccounts/apps/bot': sa('other-uid') };
    expect(await authn.authenticateToken(token, [ISSUER])).toEqual({
      kind: 'invalid',
      reason: 'service account UID (other-uid) does not match claim (sa-uid)',
    });
    state.objects = { 'serviceaccounts/apps/bot': sa() };
    const bound = await signer.bound({ serviceAccount: sa(), pod, expirationSeconds: 3600, audiences: [ISSUER] });
    expect(await authn.authenticateToken(bound.token, [ISSUER])).toEqual({
      kind: 'invalid',
      reason: 'service account token has been invalidated',
    });
  });

  it('checks expiry, audience and signature with kube messages; another issuer is not its token', async () => {
    const { signer, authn } = setup();
    const old = await signer.bound({ serviceAccount: sa(), expirationSeconds: 600, audiences: [ISSUER] }, Date.now() - 3600_000);
    expect(await authn.authenticateToken(old.token, [ISSUER])).toEqual({ kind: 'invalid', reason: 'service account token has expired' });
    const other = await signer.bound({ serviceAccount: sa(), expirationSeconds: 600, audiences: ['vault'] });
    expect(await authn.authenticateToken(other.token, [ISSUER])).toEqual({
      kind: 'invalid',
      reason: `token audiences ["vault"] is invalid for the target audiences ["${ISSUER}"]`,
    });
    // The same token is fine for a TokenReview asking for its audience.
    expect((await authn.authenticateToken(other.token, ['vault'])).kind).toBe('user');
    const forged = await new SignJWT({ 'kubernetes.io': {} })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(ISSUER)
      .setAudience(ISSUER)
      .sign(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    expect(await authn.authenticateToken(forged, [ISSUER])).toEqual({
      kind: 'invalid',
      reason: 'go-jose/go-jose: error in cryptographic primitive',
    });
    const foreign = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer('https://elsewhere')
      .sign(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    expect(await authn.authenticateToken(foreign, [ISSUER])).toEqual({ kind: 'none' });
    expect(await authn.authenticateToken('not-a-jwt', [ISSUER])).toEqual({ kind: 'none' });
  });

  it('accepts legacy Secret tokens while the Secret holds them and the service account exists', async () => {
    const { signer, authn, state } = setup();
    const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bot-token', namespace: 'apps', uid: 's' } };
    const token = await signer.legacy(sa(), secret);
    expect(decodeJwt(token)).toMatchObject({ iss: 'kubernetes/serviceaccount', 'kubernetes.io/serviceaccount/secret.name': 'bot-token' });
    expect(await authn.authenticateToken(token, [ISSUER])).toEqual({ kind: 'invalid', reason: 'Token has been invalidated' });
    state.objects['secrets/apps/bot-token'] = { ...secret, data: { token: Buffer.from(token).toString('base64') } };
    expect(await authn.authenticateToken(token, [ISSUER])).toMatchObject({
      kind: 'user',
      user: { username: 'system:serviceaccount:apps:bot' },
    });
    delete state.objects['serviceaccounts/apps/bot'];
    expect(await authn.authenticateToken(token, [ISSUER])).toEqual({ kind: 'invalid', reason: 'serviceaccounts "bot" not found' });
  });

  it('reads RSA keys too (RS256), from private keys, public keys or certificates', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const priv = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const keys = parsePublicKeys(`${pub}\n${priv}`, 'f');
    expect(keys.map((k) => k.alg)).toEqual(['RS256', 'RS256']);
    expect(keys[0].kid).toBe(keys[1].kid);
    expect(keys[0].kid).toBe(keyId(publicKey));
    expect(() => parsePublicKeys('nothing', 'sa.pub')).toThrow('data does not contain any valid RSA or ECDSA public keys: sa.pub');
  });

  it('unions token authenticators: the first user wins, refusals are aggregated as kube prints them', async () => {
    const no = { authenticateToken: async () => ({ kind: 'invalid' as const, reason: 'a' }) };
    const no2 = { authenticateToken: async () => ({ kind: 'invalid' as const, reason: 'b' }) };
    const none = { authenticateToken: async () => ({ kind: 'none' as const }) };
    expect(await authenticateToken([none], 't', [])).toEqual({ kind: 'invalid', reason: 'invalid bearer token' });
    expect(await authenticateToken([no, none], 't', [])).toEqual({ kind: 'invalid', reason: 'a' });
    expect(await authenticateToken([no, no2], 't', [])).toEqual({ kind: 'invalid', reason: '[a, b]' });
  });

  it('publishes the discovery document and JWKS as kube does, and reviews tokens for the API audiences', async () => {
    const a = buildAuthentication({ tokens: new Map([['static', { username: 'u', groups: [] }]]) }, world({}));
    expect(openIDConfiguration(a, 'https://10.0.0.1:6443/openid/v1/jwks')).toEqual({
      issuer: ISSUER,
      jwks_uri: 'https://10.0.0.1:6443/openid/v1/jwks',
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
    });
    const set = jwks(a);
    expect(set.keys).toHaveLength(1);
    expect(set.keys[0]).toMatchObject({ use: 'sig', kty: 'EC', crv: 'P-256', alg: 'ES256', kid: a.publicKeys[0].kid });
    expect(set.keys[0]).not.toHaveProperty('d');
    expect(await reviewToken(a, 'static', [ISSUER])).toEqual({
      authenticated: true,
      user: { username: 'u', groups: ['system:authenticated'] },
      audiences: [ISSUER],
    });
    // A static token knows no audiences: it is only good for the API's.
    expect(await reviewToken(a, 'static', ['vault'])).toEqual({ authenticated: false });
    expect(await reviewToken(a, 'nope', [ISSUER])).toEqual({ authenticated: false, error: 'invalid bearer token' });
    expect(
      openIDConfiguration(buildAuthentication({ serviceAccountIssuers: ['kubernetes/serviceaccount'] }, world({})), 'x'),
    ).toBeUndefined();
  });
});
