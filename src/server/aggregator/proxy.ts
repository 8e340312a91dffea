// Proxying one request to an extension API server (kube-aggregator's
// proxyHandler and apimachinery's UpgradeAwareHandler for plain requests): the
// path and query as received, the client's headers minus hop-by-hop ones and
// the credentials the chain consumed (Authorization, Impersonate-*), the user
// as X-Remote-* headers, the Audit-Id; the response streamed back as it comes
// (watches included). A transport failure before the response starts answers
// 503 with kube's plain-text `error trying to reach service: ...`. An upgrade
// request (HTTP/1.1 Upgrade: SPDY, WebSocket) gets a TLS tunnel of its own:
// the request head is written to the extension server and the two sockets are
// joined, its 101 (or refusal) reaching the client as sent.

import { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ApiRequest } from '../http/request.js';
import { userOf } from '../http/request.js';
import { writeText } from '../http/response.js';
import { releaseSocket } from '../http/serving.js';
import { dialReason } from './fetch.js';
import { type Endpoint, type ProxyTransport, setAuthProxyHeaders } from './transport.js';

/** Hop-by-hop headers (RFC 7230 6.1, net/http/httputil's list) and what HTTP/2 refuses. */
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'http2-settings',
]);

/** Discovery requests (`/apis/<group>/<version>`) get 5 s, as NewRequestForProxy bounds them. */
const DISCOVERY_TIMEOUT_MS = 5_000;

/** http.Error's plain-text answer, as the aggregator writes its own failures. */
export function proxyError(r: ApiRequest, code: number, message: string): void {
  r.res.setHeader('X-Content-Type-Options', 'nosniff');
  writeText(r, code, `${message}\n`);
}

function forwardedHeaders(r: ApiRequest): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const connectionTokens = String(r.req.headers.connection ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase());
  for (const [name, value] of Object.entries(r.req.headers as IncomingHttpHeaders)) {
    const lower = name.toLowerCase();
    if (value === undefined || lower.startsWith(':') || HOP_BY_HOP.has(lower) || connectionTokens.includes(lower)) continue;
    // The chain authenticated the request with these; the extension server trusts the front proxy instead.
    if (lower === 'authorization' || lower.startsWith('impersonate-')) continue;
    out[lower] = value;
  }
  const auditId = r.res.getHeader('Audit-Id');
  if (auditId !== undefined) out['audit-id'] = String(auditId);
  setAuthProxyHeaders(out, userOf(r));
  return out;
}

function copyResponseHeaders(r: ApiRequest, upstream: IncomingMessage): void {
  const connectionTokens = String(upstream.headers.connection ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase());
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || connectionTokens.includes(name)) continue;
    r.res.setHeader(name, value);
  }
}

/** The query re-encoded with sorted keys, as url.Values.Encode() does. */
function encodedQuery(q: URLSearchParams): string {
  const sorted = new URLSearchParams(q);
  sorted.sort();
  const s = sorted.toString();
  return s ? `?${s}` : '';
}

/** Proxies the request to the endpoint; resolves when the response has ended (or the client went away). */
export function proxyTo(r: ApiRequest, endpoint: Endpoint, transport: ProxyTransport): Promise<void> {
  const headers = forwardedHeaders(r);
  const discovery = !r.info.isResourceRequest && /^\/apis\/[^/]+\/[^/]+\/?$/.test(r.path);
  return new Promise<void>((resolve) => {
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      resolve();
    };
    const out = transport.request(endpoint, r.req.method ?? 'GET', `${r.path}${encodedQuery(r.query)}`, headers);
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    if (discovery) {
      timer = setTimeout(() => {
        timedOut = true;
        out.destroy(new Error('context deadline exceeded'));
      }, DISCOVERY_TIMEOUT_MS);
    }
    const clientGone = (): void => {
      if (!r.res.writableEnded) out.destroy();
      done();
    };
    r.res.once('close', clientGone);
    out.on('error', (e) => {
      clearTimeout(timer);
      if (!r.res.headersSent) proxyError(r, 503, `error trying to reach service: ${dialReason(e, endpoint, timedOut)}`);
      else r.res.destroy();
      done();
    });
    out.on('response', (upstream) => {
      clearTimeout(timer);
      copyResponseHeaders(r, upstream);
      r.res.statusCode = upstream.statusCode ?? 502;
      // Headers go out at once: a watch's client must see its 200 before the first event.
      (r.res as { flushHeaders?: () => void }).flushHeaders?.();
      upstream.on('data', (chunk: Buffer) => {
        if (!(r.res as NodeJS.WritableStream).write(chunk)) upstream.pause();
      });
      r.res.on('drain', () => upstream.resume());
      upstream.on('end', () => {
        r.res.end();
        done();
      });
      // The extension server went away mid-response: the client's stream ends as abruptly.
      const cut = (): void => {
        if (!r.res.writableEnded) r.res.destroy();
        done();
      };
      upstream.on('error', cut);
      upstream.on('close', cut);
    });
    const method = r.req.method ?? 'GET';
    if (method === 'GET' || method === 'HEAD') out.end();
    else (r.req as NodeJS.ReadableStream).pipe(out);
  });
}

/** Whether the request asks for a protocol upgrade on an HTTP/1.1 connection still ours to hand over. */
export function isUpgrade(r: ApiRequest): boolean {
  return r.req.headers.upgrade !== undefined && r.res instanceof ServerResponse && !r.res.headersSent;
}

/** Tunnels an upgrade request to the endpoint; resolves when the tunnel closes. */
export function proxyUpgrade(r: ApiRequest, endpoint: Endpoint, transport: ProxyTransport): Promise<void> {
  const res = r.res as ServerResponse;
  const client = r.req.socket as Socket;
  const headers = forwardedHeaders(r);
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  const lines = [`${r.req.method ?? 'GET'} ${r.path}${encodedQuery(r.query)} HTTP/1.1`, `Host: ${host}:${endpoint.port}`];
  lines.push('Connection: Upgrade', `Upgrade: ${String(r.req.headers.upgrade)}`);
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) lines.push(`${name}: ${v}`);
  }
  // The head is written by hand: a value that would end its line (a user name with a newline) is refused.
  if (lines.some((l) => /[\r\n\0]/.test(l))) {
    proxyError(r, 400, 'invalid header value');
    return Promise.resolve();
  }
  return new Promise<void>((resolve) => {
    let tunneled = false;
    const upstream = transport.connect(endpoint);
    upstream.once('secureConnect', () => {
      tunneled = true;
      releaseSocket(res, client);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on('error', (e) => {
      if (!tunneled) proxyError(r, 503, `error trying to reach service: ${dialReason(e, endpoint)}`);
      else client.destroy();
    });
    upstream.once('close', () => resolve());
    client.once('close', () => upstream.destroy());
  });
}
