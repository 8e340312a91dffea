// kube's request header authenticator (k8s.io/apiserver pkg/authentication/request/
// headerrequest/requestheader.go behind x509.NewDynamicCAVerifier): a front proxy
// (the aggregator, an authenticating proxy) presents a client certificate signed by
// --requestheader-client-ca-file, whose CN is one of --requestheader-allowed-names
// when that list is given, and names the user in headers (X-Remote-User,
// X-Remote-Uid, X-Remote-Group, X-Remote-Extra-<key>). The headers it read are
// removed from the request before it goes on.

import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { RequestHeaderConfig } from '../api/front-proxy.js';
import type { ServerRequest } from '../http/body.js';
import { chainsTo, parseCertificates, peerSocket } from './client-cert.js';
import type { Authenticator, AuthnResult } from './index.js';

export type { RequestHeaderConfig };

/** The front-proxy headers every authenticated request loses (kube's WithAuthentication, standardRequestHeaderConfig). */
const STANDARD = { names: ['X-Remote-User', 'X-Remote-Uid', 'X-Remote-Group'], prefixes: ['X-Remote-Extra-'] };

/** The request's raw header (name, value) pairs, each value apart (Node joins repeated ones in `headers`). */
function rawPairs(req: ServerRequest): Array<[string, string]> {
  const raw = req.rawHeaders ?? [];
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i], raw[i + 1]]);
  return out;
}

const hasPrefix = (name: string, prefix: string): boolean =>
  name.length >= prefix.length && name.slice(0, prefix.length).toLowerCase() === prefix.toLowerCase();

/** url.PathUnescape of the lower-cased key; a malformed escape keeps the key as it is. */
function extraKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

/** A remover of the named headers and those under the prefixes (kube's ClearAuthenticationHeaders). */
export function headerRemover(names: string[], prefixes: string[]): (req: ServerRequest) => void {
  const lower = new Set(names.map((n) => n.toLowerCase()));
  const drop = (name: string): boolean => lower.has(name.toLowerCase()) || prefixes.some((p) => hasPrefix(name, p));
  return (req) => {
    const headers = req.headers as Record<string, unknown>;
    for (const k of Object.keys(headers)) if (drop(k)) delete headers[k];
    const raw = req.rawHeaders ?? [];
    for (let i = raw.length - 2; i >= 0; i -= 2) if (drop(raw[i])) raw.splice(i, 2);
  };
}

/**
 * What kube's authentication filter strips from every request it authenticates: the Authorization header and
 * the front-proxy headers, the standard ones and those configured, so none reaches a handler or a proxied server.
 */
export function authenticationHeaderRemover(c?: RequestHeaderConfig): (req: ServerRequest) => void {
  const names = ['Authorization', ...STANDARD.names, ...(c ? [...c.usernameHeaders, ...c.uidHeaders, ...c.groupHeaders] : [])];
  return headerRemover(names, [...STANDARD.prefixes, ...(c?.extraHeaderPrefixes ?? [])]);
}

export class RequestHeaderAuthenticator implements Authenticator {
  private readonly roots: X509Certificate[];
  private readonly clearHeaders: (req: ServerRequest) => void;
  /** The certificate check is per connection (a connection's certificate never changes). */
  private readonly byConnection = new WeakMap<TLSSocket, AuthnResult | 'verified'>();

  constructor(private readonly c: RequestHeaderConfig) {
    this.roots = parseCertificates(c.caPem);
    this.clearHeaders = headerRemover([...c.usernameHeaders, ...c.uidHeaders, ...c.groupHeaders], c.extraHeaderPrefixes);
  }

  authenticate(req: ServerRequest): AuthnResult {
    const socket = peerSocket(req);
    let verified = this.byConnection.get(socket);
    if (!verified) {
      verified = this.verify(socket);
      this.byConnection.set(socket, verified);
    }
    if (verified !== 'verified') return verified;
    const pairs = rawPairs(req);
    const first = (names: string[]): string => {
      for (const n of names) {
        const hit = pairs.find(([k, v]) => k.toLowerCase() === n.toLowerCase() && v !== '');
        if (hit) return hit[1];
      }
      return '';
    };
    const username = first(this.c.usernameHeaders);
    if (!username) return { kind: 'none' };
    const uid = first(this.c.uidHeaders);
    const groups: string[] = [];
    for (const n of this.c.groupHeaders) for (const [k, v] of pairs) if (k.toLowerCase() === n.toLowerCase() && v !== '') groups.push(v);
    const extra: Record<string, string[]> = {};
    for (const prefix of this.c.extraHeaderPrefixes) {
      for (const [k, v] of pairs) {
        if (!hasPrefix(k, prefix)) continue;
        const key = extraKey(k.slice(prefix.length).toLowerCase());
        (extra[key] ??= []).push(v);
      }
    }
    this.clearHeaders(req);
    return {
      kind: 'user',
      user: { username, ...(uid ? { uid } : {}), groups, ...(Object.keys(extra).length ? { extra } : {}) },
    };
  }

  private verify(socket: TLSSocket): AuthnResult | 'verified' {
    if (typeof socket.getPeerCertificate !== 'function') return { kind: 'none' };
    const cert = socket.getPeerCertificate(false);
    if (!cert || Object.keys(cert).length === 0) return { kind: 'none' };
    if (!socket.authorized || !chainsTo(socket, this.roots))
      return { kind: 'invalid', reason: 'x509: certificate signed by unknown authority' };
    const cn = cert.subject?.CN;
    const name = (Array.isArray(cn) ? cn[0] : cn) ?? '';
    if (this.c.allowedNames.length && !this.c.allowedNames.includes(name))
      return { kind: 'invalid', reason: `x509: subject with cn=${name} is not in the allowed list` };
    return 'verified';
  }
}
