// A small REST client for our own server (fixtures, readiness, tests and
// benchmarks), on undici with the admin client certificate.

import { Agent, request } from 'undici';

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
  readonly agent: Agent;
  constructor(readonly creds: ClientCredentials, opts: { connections?: number; allowH2?: boolean } = {}) {
    this.agent = new Agent({
      connect: { ca: creds.caPem, cert: creds.certPem, key: creds.keyPem },
      connections: opts.connections ?? 8,
      allowH2: opts.allowH2 ?? false,
    });
  }

  async call<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RestResponse<T>> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const res = await request(this.creds.server + path, {
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
    return this.agent.close();
  }
}
