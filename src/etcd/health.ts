// etcd is ready when its /health endpoint says so (polled, never a sleep).

import http from 'node:http';
import { waitReady } from '../process/index.js';
import { EtcdError } from './types.js';

/**
 * One GET /health. node:http rather than fetch: fetch's first call loads its HTTP client (tens of
 * milliseconds of the main thread), in the middle of the cold start it is polling for.
 */
function healthy(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${endpoint}/health`, { agent: false, timeout: 500 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 && (JSON.parse(body) as { health?: string }).health === 'true');
        } catch {
          resolve(false);
        }
      });
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

export async function waitHealthy(endpoint: string, timeoutMs: number, stillRunning?: () => boolean): Promise<void> {
  await waitReady(() => healthy(endpoint), {
    timeoutMs,
    stillRunning,
    onExit: () => new EtcdError('etcd exited before becoming healthy'),
    onTimeout: () => new EtcdError(`etcd at ${endpoint} did not become healthy within ${timeoutMs} ms`),
  });
}
