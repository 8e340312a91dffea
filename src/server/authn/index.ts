// Authentication: who is asking. Authenticators are tried in order, as
// k8s.io/apiserver's union authenticator does (token authenticators such as
// service accounts and OIDC sit behind the same interface there).

import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from '../api/types.js';
import type { ServerRequest } from '../http/body.js';
import { isWebSocketRequest } from '../http/serving.js';
import { chainsTo } from './client-cert.js';

export type AuthnResult =
  | { kind: 'user'; user: UserInfo }
  /** The request carries no credential this authenticator understands. */
  | { kind: 'none' }
  /** The request carries a credential and it is invalid: 401, never anonymous. */
  | { kind: 'invalid'; reason: string };

export interface Authenticator {
  authenticate(req: ServerRequest): AuthnResult | Promise<AuthnResult>;
}

/**
 * kube's authenticator.Token: a bearer token's owner. `audiences` are those the request is for (the API
 * audiences, or a TokenReview's); a token authenticator answers `none` for a token it does not recognise
 * (another issuer, another format) and `invalid` for one it recognises and refuses.
 */
export interface TokenAuthenticator {
  authenticateToken(token: string, audiences: string[]): Promise<TokenResult>;
}

export type TokenResult =
  | { kind: 'user'; user: UserInfo /** The audiences the token was accepted for (TokenReview status.audiences). */; audiences?: string[] }
  | { kind: 'none' }
  | { kind: 'invalid'; reason: string };

/** kube's bearertoken authenticator error when no token authenticator owns a token. */
export const INVALID_BEARER_TOKEN = 'invalid bearer token';

/**
 * Token authenticators in order (kube's union of token authenticators): the first user wins; with none, the
 * refusals aggregated as utilerrors.NewAggregate prints them (one alone, several in brackets), or `invalid
 * bearer token` when none recognised the token.
 */
export async function authenticateToken(authenticators: TokenAuthenticator[], token: string, audiences: string[]): Promise<TokenResult> {
  const reasons: string[] = [];
  for (const a of authenticators) {
    const r = await a.authenticateToken(token, audiences);
    if (r.kind === 'user') return r;
    if (r.kind === 'invalid') reasons.push(r.reason);
  }
  if (reasons.length === 0) return { kind: 'invalid', reason: INVALID_BEARER_TOKEN };
  return { kind: 'invalid', reason: reasons.length === 1 ? reasons[0] : `[${reasons.join(', ')}]` };
}

/** kube's AuthenticatedGroupAdder: every authenticated user but system:anonymous is in system:authenticated. */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.groups.includes('system:authenticated') || user.username === 'system:anonymous') return user;
  return { ...user, groups: [...user.groups, 'system:authenticated'] };
}

export const ANONYMOUS: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

/**
 * x509 client certificates verified against the client CA during the TLS
 * handshake: CN is the user name, each O a group (k8s.io/apiserver/pkg/authentication/request/x509).
 */
export class X509Authenticator implements Authenticator {
  /** A connection's certificate never changes: verify it once per TLS socket, not per request. */
  private readonly byConnection = new WeakMap<object, AuthnResult>();

  /**
   * `clientCAs`: when the TLS handshake also trusts another CA (a front proxy's), the certificates
   * a user's must chain to (kube's x509 authenticator verifies against --client-ca-file alone).
   */
  constructor(private readonly clientCAs?: X509Certificate[]) {}

  authenticate(req: ServerRequest): AuthnResult {
    const socket = ((req as { stream?: { session?: { socket?: TLSSocket } } }).stream?.session?.socket ?? req.socket) as TLSSocket;
    let r = this.byConnection.get(socket);
    if (!r) {
      r = this.fromSocket(socket);
      this.byConnection.set(socket, r);
    }
    return r;
  }

  private fromSocket(socket: TLSSocket): AuthnResult {
    if (typeof socket.getPeerCertificate !== 'function') return { kind: 'none' };
    const cert = socket.getPeerCertificate(false);
    if (!cert || Object.keys(cert).length === 0) return { kind: 'none' };
    if (!socket.authorized) return { kind: 'invalid', reason: String(socket.authorizationError ?? 'unknown authority') };
    if (this.clientCAs && !chainsTo(socket, this.clientCAs))
      return { kind: 'invalid', reason: 'x509: certificate signed by unknown authority' };
    const cn = cert.subject?.CN;
    const username = Array.isArray(cn) ? cn[0] : cn;
    // kube's CommonNameUserConversion: a verified certificate without a CN names nobody; it is
    // not an error, so the request goes on to the next authenticators and ends anonymous.
    if (!username) return { kind: 'none' };
    const o = cert.subject?.O;
    const groups = o === undefined ? [] : Array.isArray(o) ? [...o] : [o];
    return { kind: 'user', user: { username, groups } };
  }
}

const BEARER_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';

/**
 * Bearer tokens, from `Authorization: Bearer <token>` or, on a WebSocket upgrade, the
 * `base64url.bearer.authorization.k8s.io.<token>` subprotocol (k8s.io/apiserver
 * pkg/authentication/request/bearertoken and request/websocket), handed to the token authenticators
 * (static tokens, service accounts, bootstrap tokens, OIDC): a token none accepts is a 401, never
 * anonymous. Other schemes (Basic) are not bearer credentials and are passed over, as kube does.
 */
export class BearerTokenAuthenticator implements Authenticator {
  constructor(
    private readonly tokens: TokenAuthenticator[] = [],
    /** --api-audiences: what a token must be meant for to reach this server. */
    private readonly apiAudiences: string[] = [],
  ) {}

  async authenticate(req: ServerRequest): Promise<AuthnResult> {
    const token = bearerToken(req);
    if (token === undefined) return { kind: 'none' };
    const r = await authenticateToken(this.tokens, token, this.apiAudiences);
    return r.kind === 'user' ? { kind: 'user', user: r.user } : r;
  }
}

/** The request's bearer token, from the Authorization header or a WebSocket's bearer subprotocol. */
export function bearerToken(req: ServerRequest): string | undefined {
  const header = String(req.headers.authorization ?? '').trim();
  if (header) {
    const parts = header.split(' ');
    if (parts.length >= 2 && parts[0].toLowerCase() === 'bearer' && parts[1] !== '') return parts[1];
  }
  if (isWebSocketRequest(req)) {
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    const proto = protocols.find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
    // An empty token is no credential.
    if (proto !== undefined && proto.length > BEARER_PROTOCOL_PREFIX.length)
      return Buffer.from(proto.slice(BEARER_PROTOCOL_PREFIX.length), 'base64url').toString('utf8');
  }
  return undefined;
}

/**
 * Runs authenticators in order, as kube's union authenticator: the first user found wins even
 * when an earlier credential was invalid; with no user, any invalid credential is a 401.
 * Adds system:authenticated like kube's AuthenticatedGroupAdder.
 */
export async function authenticate(authenticators: Authenticator[], req: ServerRequest): Promise<AuthnResult> {
  let invalid: AuthnResult | undefined;
  for (const a of authenticators) {
    const r = await a.authenticate(req);
    if (r.kind === 'none') continue;
    if (r.kind === 'invalid') {
      invalid ??= r;
      continue;
    }
    return { kind: 'user', user: withAuthenticatedGroup(r.user) };
  }
  return invalid ?? { kind: 'none' };
}
