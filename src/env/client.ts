// A small REST client for our own server (fixtures, readiness, tests and
// benchmarks), on undici with the admin client certificate.

import { createRequire } from 'node:module';
import type { Agent } from 'undici';

// undici takes longer to load than an environment takes to start, and an
// environment without fixtures never calls its own server: it is loaded on a
// client's first use.
const require = createRequire(import.meta.url);
let undici: typeof import('undici') | undefined;
const loadUndici = (): typeof import('undici') => (undici ??= require('undici') as typeof import('undici'));

export interface ClientCredentials {
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  /** A bearer token (an existing cluster's kubeconfig may hold one instead of a client certificate). */
  token?: string;
}

export interface RestResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
}

export class RestClient {
  private pool: Agent | undefined;
  constructor(
    readonly creds: ClientCredentials,
    private readonly opts: { connections?: number; allowH2?: boolean } = {},
  ) {}

  /** The undici dispatcher holding this client's connections, created on first use. */
  get agent(): Agent {
    return (this.pool ??= new (loadUndici().Agent)({
      connect: {
        ...(this.creds.caPem ? { ca: this.creds.caPem } : {}),
        ...(this.creds.certPem ? { cert: this.creds.certPem, key: this.creds.keyPem } : {}),
      },
      connections: this.opts.connections ?? 8,
      allowH2: this.opts.allowH2 ?? false,
    }));
  }

  async call<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RestResponse<T>> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const res = await loadUndici().request(this.creds.server + path, {
      method: method as 'GET',
      dispatcher: this.agent,
      headers: {
        accept: 'application/json',
        ...(this.creds.token ? { authorization: `Bearer ${this.creds.token}` } : {}),
        ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: payload,
    });
    const text = await res.body.text();
    let parsed: unknown = text;
    const ct = String(res.headers['content-type'] ?? '');
    if (ct.includes('json') && text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.statusCode, headers: res.headers as RestResponse['headers'], body: parsed as T, text };
  }

  get<T = unknown>(path: string, headers?: Record<string, string>): Promise<RestResponse<T>> {
    return this.call<T>('GET', path, undefined, headers);
  }

  post<T = unknown>(path: string, body: unknown, headers?: Record<string, string>): Promise<RestResponse<T>> {
    return this.call<T>('POST', path, body, headers);
  }

  /**
   * A streamed GET (a watch): `onLine` gets each line; returning false ends the stream. Resolves when the
   * stream ends; rejects when the request fails (not for an abort through `signal`, which just ends it).
   */
  async stream(path: string, signal: AbortSignal, onLine: (line: string) => boolean): Promise<void> {
    const res = await loadUndici()
      .request(this.creds.server + path, {
        dispatcher: this.agent,
        signal,
        headers: { accept: 'application/json', ...(this.creds.token ? { authorization: `Bearer ${this.creds.token}` } : {}) },
      })
      .catch((e: unknown) => {
        if (signal.aborted) return undefined;
        throw e;
      });
    if (!res) return;
    if (res.statusCode !== 200) throw new Error(`GET ${path}: ${res.statusCode} ${await res.body.text()}`);
    let buf = '';
    try {
      for await (const chunk of res.body) {
        buf += chunk.toString();
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim() && !onLine(line)) {
            res.body.destroy();
            return;
          }
        }
      }
    } catch (e) {
      if (!signal.aborted) throw e;
    }
  }

  close(): Promise<void> {
    return this.pool?.close() ?? Promise.resolve();
  }
}
