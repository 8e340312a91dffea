// etcd is ready when its /health endpoint says so (polled, never a sleep).

import { waitReady } from '../process/index.js';
import { EtcdError } from './types.js';

export async function waitHealthy(endpoint: string, timeoutMs: number, stillRunning?: () => boolean): Promise<void> {
  await waitReady(
    async () => {
      const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(500) });
      if (!res.ok) return false;
      const body = (await res.json()) as { health?: string };
      return body.health === 'true';
    },
    {
      timeoutMs,
      stillRunning,
      onExit: () => new EtcdError('etcd exited before becoming healthy'),
      onTimeout: () => new EtcdError(`etcd at ${endpoint} did not become healthy within ${timeoutMs} ms`),
    },
  );
}
