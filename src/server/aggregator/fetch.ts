// One GET to an extension API server, body read whole: the availability probe
// and the discovery fetch share it.

import type { OutgoingHttpHeaders } from 'node:http';
import { goReason } from '../admission/webhook/client.js';
import type { Endpoint, ProxyTransport } from './transport.js';

/** The most of an extension server's answer read (a discovery document is a few hundred KiB at most). */
export const MAX_FETCHED_BYTES = 16 * 1024 * 1024;

export interface Fetched {
  status: number;
  contentType: string;
  body: string;
}

/** Rejects with Go's client wording: `Get "<url>": <reason>`. */
export function fetchOnce(
  transport: ProxyTransport,
  e: Endpoint,
  path: string,
  headers: OutgoingHttpHeaders,
  timeoutMs: number,
): Promise<Fetched> {
  const url = urlOf(e, path);
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const req = transport.request(e, 'GET', path, headers);
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(new Error('timeout'));
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      const reason = timedOut ? 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)' : dialReason(err, e);
      reject(new Error(`Get ${JSON.stringify(url)}: ${reason}`));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_FETCHED_BYTES) res.destroy(new Error(`response body larger than ${MAX_FETCHED_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`Get ${JSON.stringify(url)}: ${err.message}`));
      });
    });
    req.end();
  });
}

/** Go names the address it dialed (the resolved IP), not the host name. */
export function dialReason(err: unknown, e: Endpoint, timedOut = false): string {
  const address = (err as { address?: unknown }).address;
  return goReason(err, typeof address === 'string' ? address : e.host, e.port, timedOut);
}

export function urlOf(e: Endpoint, path: string): string {
  return `https://${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}${path}`;
}
