// Authentication: who is asking. Authenticators are tried in order, as
// k8s.io/apiserver's union authenticator does (token authenticators such as
// service accounts and OIDC sit behind the same interface there).

import type { TLSSocket } from 'node:tls';
import type { UserInfo } from '../api/types.js';
import type { ServerRequest } from '../http/body.js';
import { isWebSocketRequest } from '../http/serving.js';

export type AuthnResult =
  | { kind: 'user'; user: UserInfo }
  /** The request carries no credential this authenticator understands. */
  | { kind: 'none' }
  /** The request carries a credential and it is invalid: 401, never anonymous. */
  | { kind: 'invalid'; reason: string };

export interface Authenticator {
  authenticate(req: ServerRequest): AuthnResult;
}

export const ANONYMOUS: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

/**
 * x509 client certificates verified against the client CA during the TLS
 * handshake: CN is the user name, each O a group (k8s.io/apiserver/pkg/authentication/request/x509).
 */
export class X509Authenticator implements Authenticator {
  /** A connection's certificate never changes: verify it once per TLS socket, not per request. */
  private readonly byConnection = new WeakMap<object, AuthnResult>();

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
 * pkg/authentication/request/bearertoken and request/websocket). No token
 * authenticator is configured, so every token is invalid: 401, never anonymous.
 * Other schemes (Basic) are not bearer credentials and are passed over, as kube does.
 */
export class BearerTokenAuthenticator implements Authenticator {
  authenticate(req: ServerRequest): AuthnResult {
    const header = String(req.headers.authorization ?? '').trim();
    if (header) {
      const parts = header.split(' ');
      if (parts.length >= 2 && parts[0].toLowerCase() === 'bearer' && parts[1] !== '')
        return { kind: 'invalid', reason: 'invalid bearer token' };
    }
    if (isWebSocketRequest(req)) {
      const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((p) => p.trim());
      const token = protocols.find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
      // An empty token is no credential; anything else cannot be a valid token here.
      if (token !== undefined && token.length > BEARER_PROTOCOL_PREFIX.length) return { kind: 'invalid', reason: 'invalid bearer token' };
    }
    return { kind: 'none' };
  }
}

/**
 * Runs authenticators in order, as kube's union authenticator: the first user found wins even
 * when an earlier credential was invalid; with no user, any invalid credential is a 401.
 * Adds system:authenticated like kube's AuthenticatedGroupAdder.
 */
export function authenticate(authenticators: Authenticator[], req: ServerRequest): AuthnResult {
  let invalid: AuthnResult | undefined;
  for (const a of authenticators) {
    const r = a.authenticate(req);
    if (r.kind === 'none') continue;
    if (r.kind === 'invalid') {
      invalid ??= r;
      continue;
    }
    if (!r.user.groups.includes('system:authenticated') && r.user.username !== 'system:anonymous') {
      return { kind: 'user', user: { ...r.user, groups: [...r.user.groups, 'system:authenticated'] } };
    }
    return r;
  }
  return invalid ?? { kind: 'none' };
}
