// Authentication: who is asking. Authenticators are tried in order, as
// k8s.io/apiserver's union authenticator does; later issues add bearer tokens,
// service accounts and OIDC behind the same interface.

import type { TLSSocket } from 'node:tls';
import type { UserInfo } from '../api/types.js';
import type { ServerRequest } from '../http/body.js';

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
    if (!username) return { kind: 'invalid', reason: 'certificate has no common name' };
    const o = cert.subject?.O;
    const groups = o === undefined ? [] : Array.isArray(o) ? [...o] : [o];
    return { kind: 'user', user: { username, groups } };
  }
}

/** Runs authenticators in order; adds system:authenticated like kube's AuthenticatedGroupAdder. */
export function authenticate(authenticators: Authenticator[], req: ServerRequest): AuthnResult {
  for (const a of authenticators) {
    const r = a.authenticate(req);
    if (r.kind === 'none') continue;
    if (r.kind === 'user' && !r.user.groups.includes('system:authenticated') && r.user.username !== 'system:anonymous') {
      return { kind: 'user', user: { ...r.user, groups: [...r.user.groups, 'system:authenticated'] } };
    }
    return r;
  }
  return { kind: 'none' };
}
