// The aggregator's HTTPS client to extension API servers (kube-aggregator's
// remote.BuildTransportConfig): the front-proxy client certificate
// (--proxy-client-cert-file/--proxy-client-key-file) identifies the aggregator,
// the APIService's caBundle is the only trusted CA unless insecureSkipTLSVerify,
// and the server name checked is `<service>.<namespace>.svc`. The user rides
// along as request headers (client-go's SetAuthProxyHeaders).

import type { ClientRequest, OutgoingHttpHeaders } from 'node:http';
import { Agent, request } from 'node:https';
import { type ConnectionOptions, connect, type TLSSocket } from 'node:tls';
import type { UserInfo } from '../api/types.js';

export interface KeyPair {
  certPem: string;
  keyPem: string;
}

export interface Endpoint {
  host: string;
  port: number;
  /** The TLS server name (SNI and the name the certificate must carry). */
  servername: string;
  caPem?: string;
  insecure: boolean;
}

/** Agents kept per trust setting; the oldest goes past this many. */
const MAX_AGENTS = 32;

export class ProxyTransport {
  private readonly agents = new Map<string, Agent>();

  constructor(private readonly clientCert?: KeyPair) {}

  private tlsOptions(e: Endpoint): ConnectionOptions {
    return {
      servername: e.servername,
      rejectUnauthorized: !e.insecure,
      ...(e.caPem && !e.insecure ? { ca: e.caPem } : {}),
      ...(this.clientCert ? { cert: this.clientCert.certPem, key: this.clientCert.keyPem } : {}),
    };
  }

  private agentFor(e: Endpoint): Agent {
    const key = `${e.servername}\n${e.insecure}\n${e.caPem ?? ''}`;
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new Agent({ keepAlive: true, maxSockets: 64, ...this.tlsOptions(e) });
      if (this.agents.size >= MAX_AGENTS) {
        const [oldestKey, oldest] = this.agents.entries().next().value!;
        this.agents.delete(oldestKey);
        oldest.destroy();
      }
      this.agents.set(key, agent);
    }
    return agent;
  }

  /** Starts a request; the caller writes the body (or ends it) and reads the response. */
  request(e: Endpoint, method: string, path: string, headers: OutgoingHttpHeaders): ClientRequest {
    const host = e.host.includes(':') ? `[${e.host}]` : e.host;
    return request({
      host: e.host,
      port: e.port,
      method,
      path,
      headers: { ...headers, host: `${host}:${e.port}` },
      agent: this.agentFor(e),
      servername: e.servername,
    });
  }

  /** A TLS connection of its own (an upgraded request's tunnel), with the same trust and client certificate. */
  connect(e: Endpoint): TLSSocket {
    return connect({ host: e.host, port: e.port, ...this.tlsOptions(e) });
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}

/** Go's header token bytes; anything else (and `%`) is percent-encoded in an extra key (client-go's headerKeyEscape). */
function headerKeyEscape(key: string): string {
  let out = '';
  for (const b of Buffer.from(key, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /^[A-Za-z0-9!#$&'*+\-.^_`|~]$/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * client-go's SetAuthProxyHeaders: whatever X-Remote-* the request carried is dropped, then
 * X-Remote-User, one X-Remote-Group per group and one X-Remote-Extra-<key> per extra value.
 */
export function setAuthProxyHeaders(headers: OutgoingHttpHeaders, user: UserInfo): void {
  for (const name of Object.keys(headers)) if (/^x-remote-/i.test(name)) delete headers[name];
  headers['X-Remote-User'] = user.username;
  if (user.groups.length) headers['X-Remote-Group'] = [...user.groups];
  for (const [key, values] of Object.entries(user.extra ?? {})) {
    if (values.length) headers[`X-Remote-Extra-${headerKeyEscape(key)}`] = [...values];
  }
}
