// Picks a driver under the object layer; nothing above the storage seam calls this.

import { HandoffBackend } from './handoff.js';
import type { Storage } from './interface.js';
import { MemoryStorage } from './memory/index.js';
import { ObjectStorage } from './objects.js';

/** etcd client TLS: CA, client certificate and key (PEM). */
export interface EtcdTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface EtcdConnectionConfig {
  kind: 'etcd';
  endpoints: string[];
  prefix?: string;
  tls?: EtcdTls;
  /**
   * false when the caller has just seen etcd healthy (it started it): the client then connects
   * with the first request instead of a round trip of its own before the server can start.
   */
  checkHealth?: boolean;
}

export type StorageConfig = { kind: 'memory'; historyLimit?: number } | EtcdConnectionConfig;

export async function createStorage(cfg: StorageConfig): Promise<Storage> {
  if (cfg.kind === 'memory') return new MemoryStorage({ historyLimit: cfg.historyLimit });
  // Loaded on demand: the etcd client (gRPC) is the largest module, and memory environments never need it.
  const { EtcdBackend } = await import('./etcd/index.js');
  const s = new ObjectStorage(new EtcdBackend(cfg));
  if (cfg.checkHealth !== false && !(await s.healthy())) {
    await s.close();
    throw new Error(`cannot reach etcd at ${cfg.endpoints.join(', ')}: check --etcd-servers and that etcd is running`);
  }
  return s;
}

/**
 * An etcd storage for an etcd still starting, empty (handoff.ts): the server starts on an embedded store at
 * once and moves to etcd when `etcd` resolves (to the etcd just seen healthy). `settled` resolves once it has.
 */
export function createHandoffStorage(etcd: Promise<EtcdConnectionConfig>): {
  storage: Storage;
  keysMoved: Promise<void>;
  settled: Promise<void>;
} {
  const backend = new HandoffBackend(
    etcd.then(async (cfg) => {
      const { EtcdBackend } = await import('./etcd/index.js');
      return new EtcdBackend(cfg);
    }),
  );
  return { storage: new ObjectStorage(backend), keysMoved: backend.keysMoved, settled: backend.settled };
}
