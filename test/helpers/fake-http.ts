// In-memory requests and responses for the handler chain and respond(): enough of
// Node's IncomingMessage/ServerResponse for the code that reads headers and writes bodies.

import { gunzipSync } from 'node:zlib';
import type { ServerRequest } from '../../src/server/http/body.js';
import { type AnyResponse, type ApiRequest, apiRequest } from '../../src/server/http/request.js';

export class FakeResponse {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  body = Buffer.alloc(0);
  private readonly headers = new Map<string, number | string | string[]>();

  setHeader(name: string, value: number | string | string[]): this {
    if (this.headersSent) throw new Error('headers already sent');
    this.headers.set(name.toLowerCase(), value);
    return this;
  }

  getHeader(name: string): number | string | string[] | undefined {
    return this.headers.get(name.toLowerCase());
  }

  removeHeader(name: string): void {
    this.headers.delete(name.toLowerCase());
  }

  end(chunk?: Buffer | string): this {
    this.headersSent = true;
    this.writableEnded = true;
    if (chunk !== undefined) this.body = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    return this;
  }

  /** The body as text, gunzipped when it was compressed. */
  text(): string {
    return (this.getHeader('content-encoding') === 'gzip' ? gunzipSync(this.body) : this.body).toString('utf8');
  }

  json(): Record<string, unknown> {
    return JSON.parse(this.text()) as Record<string, unknown>;
  }
}

export function fakeRequest(method: string, url: string, headers: Record<string, string> = {}): ApiRequest & { fake: FakeResponse } {
  const req = { method, url, headers, socket: {} } as unknown as ServerRequest;
  const fake = new FakeResponse();
  return Object.assign(apiRequest(req, fake as unknown as AnyResponse), { fake });
}
