// Choosing and starting the storage behind an environment.

import type { EtcdProcess } from '../etcd/index.js';
import { dropPrelaunched } from '../etcd/spawn.js';
import { signal } from '../process/index.js';
import { createHandoffStorage, createStorage, type EtcdTls } from '../server/storage/factory.js';
import type { Storage } from '../server/storage/interface.js';
import type { Reaper } from './reaper.js';

export type StorageChoice = 'auto' | 'etcd' | 'container' | 'memory';

export interface StorageRequest {
  choice: StorageChoice;
  etcdBinary?: string;
  etcdImage?: string;
  etcdServers?: string[];
  /** Client TLS for etcdServers. */
  etcdTls?: EtcdTls;
  prefix: string;
  reaper: Reaper;
  progress: (message: string) => void;
  /** etcd's own log as it comes (native etcd only), when the control plane's output is attached. */
  etcdOutput?: (chunk: string) => void;
  /** Called once the storage is launched (etcd spawned, not yet healthy): work to overlap with its start. */
  launched?: () => void;
  /**
   * A native etcd is returned at once, while it starts: the server starts on an embedded store and moves to
   * etcd once etcd is healthy and `after` has resolved (the server started, its bootstrap objects written:
   * the embedded store writes them faster); `settled` tells when (storage/handoff.ts). For one server.
   */
  handoff?: { after: Promise<void> };
}

export interface StartedStorage {
  kind: 'etcd' | 'container' | 'memory' | 'external';
  storage: Storage;
  /** With `handoff`: resolves once the storage is on etcd (endpoint and pid set), rejects if etcd fails to start. */
  settled?: Promise<void>;
  /** With `handoff`: resolves once the keys are in etcd, before settled (the watches relisting from it). */
  keysMoved?: Promise<void>;
  endpoint?: string;
  pid?: number;
  /** Stops what was started; past `timeoutMs` (envtest's StopTimeout) a process still running is killed. */
  stop(timeoutMs?: number): Promise<{ killed: string[]; removed: string[] }>;
}

/**
 * The etcd client (gRPC, the largest module of an etcd start) loaded and its message codecs built while the
 * etcd just spawned starts.
 */
function prepareEtcdClient(): void {
  void import('../server/storage/etcd/index.js').then((m) => m.prepareEtcdClient()).catch(() => undefined);
}

/** Waits for `stop`; past the deadline kills the process group and reports it killed. */
async function stopWithin(
  stop: () => Promise<{ killed: boolean }>,
  pid: number | undefined,
  timeoutMs: number | undefined,
): Promise<boolean> {
  if (!timeoutMs || !pid) return (await stop()).killed;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => {
      signal(pid, 'SIGKILL');
      resolve(true);
    }, timeoutMs);
  });
  try {
    return await Promise.race([stop().then((r) => r.killed), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Stops an etcd we started: past `timeoutMs` killed; it leaves the reaper's list. */
async function stopEtcd(
  proc: EtcdProcess,
  req: StorageRequest,
  timeoutMs: number | undefined,
): Promise<{ killed: string[]; removed: string[] }> {
  const killed = await stopWithin(() => proc.stop(), proc.pid, timeoutMs);
  if (proc.pid) req.reaper.removePid(proc.pid);
  return { killed: killed ? [`etcd (pid ${proc.pid})`] : [], removed: proc.dataDir ? [proc.dataDir] : [] };
}

async function overEtcd(
  kind: StartedStorage['kind'],
  proc: EtcdProcess | undefined,
  endpoints: string[],
  req: StorageRequest,
  tls?: EtcdTls,
): Promise<StartedStorage> {
  let storage: Storage;
  try {
    // An etcd we started has just answered /health; one we were pointed at is checked first.
    storage = await createStorage({ kind: 'etcd', endpoints, prefix: req.prefix, tls, checkHealth: kind === 'external' });
  } catch (e) {
    await proc?.stop();
    throw e;
  }
  return {
    kind,
    storage,
    endpoint: endpoints[0],
    pid: proc?.pid,
    stop: async (timeoutMs) => {
      await storage.close().catch(() => undefined);
      return proc ? stopEtcd(proc, req, timeoutMs) : { killed: [], removed: [] };
    },
  };
}

/** The etcd launchers: loaded only when a start looks for or starts an etcd (an embedded store needs none of it). */
type Launchers = typeof import('../etcd/index.js');

/** A native etcd launched, the storage returned once etcd is spawned (handoff: see StorageRequest). */
async function handoffToNativeEtcd(
  { startNativeEtcd }: Launchers,
  binary: string,
  after: Promise<void>,
  req: StorageRequest,
): Promise<StartedStorage> {
  let spawned!: () => void;
  const spawn = new Promise<void>((resolve) => {
    spawned = resolve;
  });
  const launching = startNativeEtcd({
    binary,
    onOutput: req.etcdOutput,
    onSpawn: () => {
      spawned();
      prepareEtcdClient();
    },
  });
  const started: StartedStorage = {
    kind: 'etcd',
    storage: undefined as unknown as Storage,
    stop: async (timeoutMs) => {
      await started.storage.close().catch(() => undefined);
      const proc = await launching.catch(() => undefined);
      return proc ? stopEtcd(proc, req, timeoutMs) : { killed: [], removed: [] };
    },
  };
  const healthy = launching.then((proc) => {
    if (proc.pid) req.reaper.addPid(proc.pid);
    req.reaper.addDir(proc.dataDir);
    req.progress(`etcd ready at ${proc.endpoint}`);
    started.endpoint = proc.endpoint;
    started.pid = proc.pid;
    // It has just answered /health: no round trip of the client's own first.
    return { kind: 'etcd' as const, endpoints: [proc.endpoint], prefix: req.prefix, checkHealth: false };
  });
  const { storage, keysMoved, settled } = createHandoffStorage(Promise.all([healthy, after]).then(([cfg]) => cfg));
  started.storage = storage;
  started.settled = settled;
  started.keysMoved = keysMoved;
  // etcd is spawned before the caller loads and starts the server (main-thread work it would otherwise wait for).
  await Promise.race([spawn, launching.catch(() => undefined)]);
  req.launched?.();
  return started;
}

/** Starts the storage; an etcd the launcher spawned that this start did not take is stopped (env/prelaunch.ts). */
export function startStorage(req: StorageRequest): Promise<StartedStorage> {
  return launchStorage(req).finally(dropPrelaunched);
}

async function launchStorage(req: StorageRequest): Promise<StartedStorage> {
  if (req.etcdServers?.length) {
    req.progress(`using etcd at ${req.etcdServers.join(',')}`);
    req.launched?.();
    return overEtcd('external', undefined, req.etcdServers, req, req.etcdTls);
  }
  let choice = req.choice;
  const launchers = choice === 'memory' ? undefined : await import('../etcd/index.js');
  if (choice === 'auto') {
    const { findEtcdBinary, dockerAvailable } = launchers!;
    if (findEtcdBinary(req.etcdBinary).path) choice = 'etcd';
    else if (await dockerAvailable()) choice = 'container';
    else {
      choice = 'memory';
      req.progress('no etcd binary and no Docker engine found: using the embedded in-memory store');
    }
  }
  if (choice === 'memory') {
    req.launched?.();
    const storage = await createStorage({ kind: 'memory' });
    return {
      kind: 'memory',
      storage,
      stop: async () => {
        await storage.close();
        return { killed: [], removed: [] };
      },
    };
  }
  const { dockerAvailable, EtcdError, findEtcdBinary, startContainerEtcd, startNativeEtcd } = launchers!;
  if (choice === 'container') {
    if (!(await dockerAvailable())) {
      throw new EtcdError(
        'no Docker engine answers for --storage container',
        'start Docker (or set DOCKER_HOST), or use --storage etcd / --storage memory',
      );
    }
    const proc = await startContainerEtcd({ image: req.etcdImage });
    req.launched?.();
    if (proc.containerId) req.reaper.addCommand(['docker', 'rm', '-f', proc.containerId]);
    req.progress(`etcd container ready at ${proc.endpoint}`);
    return overEtcd('container', proc, [proc.endpoint], req);
  }
  const found = findEtcdBinary(req.etcdBinary);
  if (!found.path) {
    throw new EtcdError(
      `etcd binary not found (looked in: ${found.searched.join(', ')})`,
      'install it (apt-get install etcd-server), set KAPI_ETCD_BIN or pass --etcd-bin, or use --storage memory',
    );
  }
  if (req.handoff) return handoffToNativeEtcd(launchers!, found.path, req.handoff.after, req);
  const proc = await startNativeEtcd({
    binary: found.path,
    onOutput: req.etcdOutput,
    // The server loads while etcd starts.
    onSpawn: () => {
      prepareEtcdClient();
      req.launched?.();
    },
  });
  if (proc.pid) req.reaper.addPid(proc.pid);
  req.reaper.addDir(proc.dataDir);
  req.progress(`etcd ready at ${proc.endpoint}`);
  return overEtcd('etcd', proc, [proc.endpoint], req);
}
