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
      connect: { ca: this.creds.caPem, cert: this.creds.certPem, key: this.creds.keyPem },
      connections: this.opts.connections ?? 8,
      allowH2: this.opts.allowH2 ?? false,
    }));
  }

  async call<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RestResponse<T>> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const res = await loadUndici().request(this.creds.server + path, {
      method: method as 'GET',
      dispatcher: this.agent,
      headers: { accept: 'application/json', ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
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

  close(): Promise<void> {
    return this.pool?.close() ?? Promise.resolve();
  }
}
