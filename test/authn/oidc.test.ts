// OIDC ID tokens against a local HTTPS issuer: discovery, JWKS, claims to user as kube maps them.

import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki } from '../../src/pki/index.js';
import { OidcAuthenticator, type OidcOptions } from '../../src/server/authn/oidc.js';

describe('OIDC authenticator', () => {
  let server: Server;
  let url = '';
  let caPem = '';
  let fetches = 0;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  beforeAll(async () => {
    const pki = await createPki();
    caPem = pki.ca.certPem;
    server = createServer({ cert: pki.serving.certPem, key: pki.serving.keyPem }, (req, res) => {
      fetches++;
      if (req.url === '/.well-known/openid-configuration') res.end(JSON.stringify({ issuer: url, jwks_uri: `${url}/jwks` }));
      else res.end(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256' }] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const authn = (o: Partial<OidcOptions> = {}) =>
    new OidcAuthenticator({ issuerURL: url, clientID: 'kapi', caPem, signingAlgs: ['ES256'], ...o });
  const sign = (claims: Record<string, unknown>, exp: string | number = '5m', aud = 'kapi') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(url)
      .setAudience(aud)
      .setExpirationTime(exp)
      .sign(privateKey);

  it('prefixes sub with the issuer by default; email without prefix, verified only', async () => {
    const a = authn();
    expect(await a.authenticateToken(await sign({ sub: 'u1' }))).toEqual({ kind: 'user', user: { username: `${url}#u1`, groups: [] } });
    const e = authn({ usernameClaim: 'email' });
    expect(await e.authenticateToken(await sign({ email: 'a@b.c', email_verified: true }))).toMatchObject({ user: { username: 'a@b.c' } });
    expect(await e.authenticateToken(await sign({ email: 'a@b.c', email_verified: false }))).toEqual({
      kind: 'invalid',
      reason: 'oidc: email not verified',
    });
    expect((await authn({ usernamePrefix: '-' }).authenticateToken(await sign({ sub: 'u1' }))).kind === 'user').toBe(true);
    // The JWKS was fetched once per authenticator, not per token.
    expect(fetches).toBeLessThanOrEqual(6);
  });

  it('maps groups with their prefix and checks required claims', async () => {
    const a = authn({ groupsClaim: 'groups', groupsPrefix: 'oidc:', requiredClaims: { hd: 'example.com' } });
    expect(await a.authenticateToken(await sign({ sub: 'u', groups: 'solo', hd: 'example.com' }))).toMatchObject({
      user: { groups: ['oidc:solo'] },
    });
    expect(await a.authenticateToken(await sign({ sub: 'u', groups: ['a', 'b'] }))).toEqual({
      kind: 'invalid',
      reason: 'oidc: required claim hd not present in ID token',
    });
  });

  it('refuses an expired token or one for another client; passes over other issuers', async () => {
    const a = authn();
    expect(await a.authenticateToken(await sign({ sub: 'u' }, Math.floor(Date.now() / 1000) - 600))).toEqual({
      kind: 'invalid',
      reason: 'oidc: verify token: oidc: token is expired',
    });
    expect((await a.authenticateToken(await sign({ sub: 'u' }, '5m', 'other'))).kind).toBe('invalid');
    expect(await a.authenticateToken('garbage')).toEqual({ kind: 'none' });
    const foreign = await new SignJWT({ sub: 'u' }).setProtectedHeader({ alg: 'ES256' }).setIssuer('https://elsewhere').sign(privateKey);
    expect(await a.authenticateToken(foreign)).toEqual({ kind: 'none' });
  });

  it('says the authenticator is not initialized when the issuer cannot be reached', async () => {
    const a = new OidcAuthenticator({ issuerURL: url, clientID: 'kapi', signingAlgs: ['ES256'] });
    const r = await a.authenticateToken(await sign({ sub: 'u' }));
    expect(r.kind).toBe('invalid');
    expect((r as { reason: string }).reason).toMatch(/^oidc: authenticator not initialized: /);
  });
});
