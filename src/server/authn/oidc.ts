// OpenID Connect ID tokens (--oidc-* flags), as kube's oidc authenticator reads
// them: the issuer's discovery document names its JWKS, fetched over HTTPS
// (trusting --oidc-ca-file when given) and refreshed when a token names an
// unknown key; the token's issuer, audience (the client ID), expiry and
// signature are checked with jose, then the username and groups are taken from
// the configured claims with their prefixes.

import { request } from 'node:https';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import type { UserInfo } from '../api/types.js';
import type { TokenAuthenticator, TokenResult } from './index.js';
import { decodeJwt, jose } from './jwt.js';

export interface OidcOptions {
  issuerURL: string;
  clientID: string;
  /** --oidc-username-claim (default `sub`). */
  usernameClaim?: string;
  /** --oidc-username-prefix; unset: `<issuer>#` unless the claim is `email`; `-`: none. */
  usernamePrefix?: string;
  groupsClaim?: string;
  groupsPrefix?: string;
  /** --oidc-ca-file's PEM. */
  caPem?: string;
  /** --oidc-required-claim key=value pairs. */
  requiredClaims?: Record<string, string>;
  /** --oidc-signing-algs (default RS256). */
  signingAlgs?: string[];
}

function fetchJson(url: string, caPem: string | undefined): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', ca: caPem, headers: { accept: 'application/json' }, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 0) !== 200) return reject(new Error(`${res.statusCode} ${res.statusMessage}: ${text}`));
        try {
          resolve(JSON.parse(text) as Record<string, unknown>);
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export class OidcAuthenticator implements TokenAuthenticator {
  private keys?: { set: JWTVerifyGetKey; kids: Set<string>; fetchedAt: number };
  private fetching?: Promise<void>;

  constructor(private readonly o: OidcOptions) {}

  private refresh(): Promise<void> {
    this.fetching ??= (async () => {
      try {
        const issuer = this.o.issuerURL.replace(/\/$/, '');
        const discovery = await fetchJson(`${issuer}/.well-known/openid-configuration`, this.o.caPem);
        if (discovery.issuer !== this.o.issuerURL)
          throw new Error(
            `oidc: issuer did not match the issuer returned by provider, expected "${this.o.issuerURL}" got "${String(discovery.issuer)}"`,
          );
        const jwks = (await fetchJson(String(discovery.jwks_uri), this.o.caPem)) as unknown as JSONWebKeySet;
        const { createLocalJWKSet } = await jose();
        this.keys = {
          set: createLocalJWKSet(jwks),
          kids: new Set(jwks.keys.map((k) => String(k.kid ?? ''))),
          fetchedAt: Date.now(),
        };
      } finally {
        this.fetching = undefined;
      }
    })();
    return this.fetching;
  }

  async authenticateToken(token: string): Promise<TokenResult> {
    const jwt = decodeJwt(token);
    // A token from another issuer (or no JWT) is another authenticator's.
    if (!jwt || jwt.claims.iss !== this.o.issuerURL) return { kind: 'none' };
    try {
      const kid = typeof jwt.header.kid === 'string' ? jwt.header.kid : undefined;
      // Keys are fetched on first use and again (at most every 10 s) when a token names one not seen.
      if (!this.keys || (kid && !this.keys.kids.has(kid) && Date.now() - this.keys.fetchedAt > 10_000)) await this.refresh();
    } catch (e) {
      return { kind: 'invalid', reason: `oidc: authenticator not initialized: ${(e as Error).message}` };
    }
    let payload: Record<string, unknown>;
    try {
      const { jwtVerify } = await jose();
      const r = await jwtVerify(token, this.keys!.set, {
        issuer: this.o.issuerURL,
        audience: this.o.clientID,
        algorithms: this.o.signingAlgs ?? ['RS256'],
      });
      payload = r.payload;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') return { kind: 'invalid', reason: `oidc: verify token: oidc: token is expired` };
      return { kind: 'invalid', reason: `oidc: verify token: ${(e as Error).message}` };
    }
    return this.userFrom(payload);
  }

  private userFrom(claims: Record<string, unknown>): TokenResult {
    const usernameClaim = this.o.usernameClaim ?? 'sub';
    const name = claims[usernameClaim];
    if (typeof name !== 'string') return { kind: 'invalid', reason: `oidc: parse username claims "${usernameClaim}": claim not present` };
    if (usernameClaim === 'email' && claims.email_verified !== undefined && claims.email_verified !== true)
      return { kind: 'invalid', reason: `oidc: email not verified` };
    const prefix =
      this.o.usernamePrefix === '-' ? '' : (this.o.usernamePrefix ?? (usernameClaim === 'email' ? '' : `${this.o.issuerURL}#`));
    const user: UserInfo = { username: `${prefix}${name}`, groups: [] };
    if (this.o.groupsClaim && claims[this.o.groupsClaim] !== undefined) {
      const g = claims[this.o.groupsClaim];
      const groups = Array.isArray(g) ? g : [g];
      if (groups.some((x) => typeof x !== 'string'))
        return { kind: 'invalid', reason: `oidc: parse groups claim "${this.o.groupsClaim}": json: cannot unmarshal into []string` };
      user.groups = (groups as string[]).map((x) => `${this.o.groupsPrefix ?? ''}${x}`);
    }
    for (const [k, v] of Object.entries(this.o.requiredClaims ?? {})) {
      if (claims[k] === undefined) return { kind: 'invalid', reason: `oidc: required claim ${k} not present in ID token` };
      if (claims[k] !== v)
        return { kind: 'invalid', reason: `oidc: required claim ${k} value does not match. Got = ${String(claims[k])}, want = ${v}` };
    }
    return { kind: 'user', user };
  }
}
