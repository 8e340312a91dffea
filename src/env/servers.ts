// Several API servers on one etcd (`startEnv({ servers: 2 })`, `kapi-env up --servers 2`), as an
// HA control plane runs its kube-apiservers: each its own etcd client, watch caches and
// controllers, all sharing the PKI (one serving certificate, one service-account key), behind
// a local TCP round-robin balancer the kubeconfig points to. What one server writes the others
// learn from etcd's watches only; the `kubernetes` Endpoints list the live ones (their leases).

import { FlagError, type ServerConfig } from '../server/config.js';
import type { ApiServer } from '../server/index.js';
import { createStorage, type EtcdTls } from '../server/storage/factory.js';
import type { Storage } from '../server/storage/interface.js';
import { type Balancer, startBalancer } from './balancer.js';

export interface ApiServerHandle {
  /** This server's own address (the balancer's is Env.server). */
  url: string;
  /** Stops this server alone: it leaves the `kubernetes` endpoints and the balancer's rotation. */
  stop(): Promise<void>;
}

export interface ServerGroup {
  url: string;
  servers: ApiServerHandle[];
  close(): Promise<void>;
}

/** A usage error unless `servers` is a count the storage allows: more than one needs etcd. */
export function checkServerCount(servers: number | undefined, storage: string | undefined): number {
  const n = servers ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new FlagError(`invalid servers count ${servers}: want an integer from 1 to 16`);
  if (n > 1 && storage === 'memory')
    throw new FlagError(
      `--servers ${n} needs etcd: several API servers share one etcd, and the memory store lives inside one process (pass --storage etcd or container, or --etcd-servers)`,
    );
  return n;
}

/**
 * Starts `count - 1` servers beside `first` (already serving), each with its own etcd client, and the
 * balancer in front of all of them on `listen`.
 */
export async function startServerGroup(opts: {
  first: ApiServer;
  count: number;
  config: ServerConfig;
  etcd: { endpoints: string[]; prefix: string; tls?: EtcdTls };
  listen: { host: string; port: number };
  createApiServer(config: ServerConfig): Promise<ApiServer>;
}): Promise<ServerGroup> {
  const started: Array<{ server: ApiServer; storage?: Storage }> = [{ server: opts.first }];
  let balancer: Balancer | undefined;
  const stopOne = async (i: number): Promise<void> => {
    const s = started[i];
    if (!s) return;
    balancer?.remove(s.server.port);
    await s.server.close().catch(() => undefined);
    await s.storage?.close().catch(() => undefined);
  };
  try {
    for (let i = 1; i < opts.count; i++) {
      const storage = await createStorage({ kind: 'etcd', endpoints: opts.etcd.endpoints, prefix: opts.etcd.prefix, tls: opts.etcd.tls });
      try {
        started.push({ server: await opts.createApiServer({ ...opts.config, storage, port: 0 }), storage });
      } catch (e) {
        await storage.close().catch(() => undefined);
        throw e;
      }
    }
    const host = opts.first.url.replace(/^https:\/\/\[?|\]?:\d+$/g, '');
    balancer = await startBalancer(
      started.map((s) => ({ host, port: s.server.port })),
      opts.listen,
    );
  } catch (e) {
    // The first server is the caller's to close.
    for (let i = 1; i < started.length; i++) await stopOne(i);
    throw e;
  }
  const lb = balancer;
  const stops = new Map<number, Promise<void>>();
  const stop = (i: number): Promise<void> => {
    let p = stops.get(i);
    if (!p) stops.set(i, (p = stopOne(i)));
    return p;
  };
  const urlHost = opts.listen.host.includes(':') ? `[${opts.listen.host}]` : opts.listen.host;
  return {
    url: `https://${urlHost}:${lb.port}`,
    servers: started.map((s, i) => ({ url: s.server.url, stop: () => stop(i) })),
    // Every server (the first one's storage is the environment's), then the balancer.
    close: async () => {
      await Promise.all(started.map((_, i) => stop(i)));
      await lb.close();
    },
  };
}
