// Reading a watch stream line by line over HTTP/1.1 (undici) or HTTP/2 (node:http2).

import http2 from 'node:http2';
import tls from 'node:tls';
import { request } from 'undici';
import type { RestClient } from '../../src/env/client.js';
import type { Env } from '../../src/env/index.js';

export interface WatchEventLine {
  type: string;
  object: {
    kind?: string;
    apiVersion?: string;
    metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> };
    code?: number;
    reason?: string;
    message?: string;
    [k: string]: unknown;
  };
}

export interface OpenWatch {
  events: WatchEventLine[];
  ended: Promise<void>;
  status: number;
  headers: Record<string, unknown>;
  next(n: number, ms?: number): Promise<WatchEventLine[]>;
  close(): void;
}

function collector(): { events: WatchEventLine[]; push(chunk: string): void; next: OpenWatch['next'] } {
  const events: WatchEventLine[] = [];
  let buf = '';
  return {
    events,
    push(chunk) {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim()) events.push(JSON.parse(line));
      }
    },
    async next(n, ms = 5000) {
      const end = Date.now() + ms;
      while (events.length < n) {
        if (Date.now() > end) throw new Error(`expected ${n} events, got ${events.length}: ${JSON.stringify(events.map((e) => e.type))}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return events.slice(0, n);
    },
  };
}

export async function watchH1(client: RestClient, path: string): Promise<OpenWatch> {
  const c = collector();
  const ac = new AbortController();
  const res = await request(client.creds.server + path, { dispatcher: client.agent, signal: ac.signal });
  const ended = (async () => {
    try {
      for await (const chunk of res.body) c.push(chunk.toString());
    } catch {
      // aborted
    }
  })();
  return { events: c.events, ended, status: res.statusCode, headers: res.headers, next: c.next, close: () => ac.abort() };
}

export async function watchH2(env: Env, path: string): Promise<OpenWatch & { session: http2.ClientHttp2Session }> {
  const session = http2.connect(env.server, { ca: env.ca, cert: env.clientCert, key: env.clientKey });
  const c = collector();
  const stream = session.request({ ':path': path, accept: 'application/json' });
  const headers = await new Promise<Record<string, unknown>>((resolve) =>
    stream.once('response', (h) => resolve(h as Record<string, unknown>)),
  );
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => c.push(d));
  const ended = new Promise<void>((resolve) => stream.on('close', () => resolve()));
  return {
    events: c.events,
    ended,
    status: Number(headers[':status']),
    headers,
    next: c.next,
    session,
    close: () => {
      stream.close();
      session.close();
    },
  };
}

/** An HTTP/1.1 TLS connection to the server, for requests written by hand (credentials optional). */
export function rawHttp1(server: string, creds: { ca: string; cert?: string; key?: string }): tls.TLSSocket {
  const url = new URL(server);
  const sock = tls.connect({
    host: url.hostname,
    port: Number(url.port),
    ca: creds.ca,
    cert: creds.cert,
    key: creds.key,
    ALPNProtocols: ['http/1.1'],
  });
  sock.on('error', () => undefined);
  return sock;
}
