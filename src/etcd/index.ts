// etcd lifecycle for environments: find the binary, start it natively (own
// data dir, free ports, own process group) or in a container, wait for health
// through its client port (never a sleep), and stop it: SIGTERM, then SIGKILL.

import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { onExit } from 'signal-exit';
import { makeTempDir, signal, stopProcess } from '../process/index.js';
import { waitHealthy } from './health.js';
import { type SpawnedEtcd, spawnEtcd, takePrelaunched } from './spawn.js';
import { EtcdError, type EtcdProcess } from './types.js';

export { freePort } from '../process/index.js';
export { waitHealthy } from './health.js';
export { dropPrelaunched, findEtcdBinary } from './spawn.js';
export { EtcdError, type EtcdProcess } from './types.js';

export interface NativeEtcdOptions {
  binary: string;
  dataDir?: string;
  timeoutMs?: number;
  /** Called once etcd is spawned, before it is healthy: work to overlap with its start. */
  onSpawn?: () => void;
  /** etcd's log (its stderr, at etcd's default level), as it comes: envtest's AttachControlPlaneOutput. */
  onOutput?: (chunk: string) => void;
}

/**
 * Starts etcd on free loopback ports; retries once if a port was taken between choosing and binding it.
 * An etcd the launcher spawned for this start (env/prelaunch.ts) is taken instead of spawning one.
 */
export async function startNativeEtcd(opts: NativeEtcdOptions): Promise<EtcdProcess> {
  const prelaunched = opts.dataDir === undefined ? takePrelaunched(opts.binary, !opts.onOutput) : undefined;
  const dataDir = opts.dataDir ?? prelaunched?.dataDir ?? (await makeTempDir('kapi-env-etcd-'));
  try {
    return await supervise(prelaunched ?? (await spawnEtcd(opts.binary, dataDir, !opts.onOutput)), opts);
  } catch (e) {
    if (e instanceof EtcdError && /address already in use/.test(e.message)) {
      await rm(path.join(dataDir, 'member'), { recursive: true, force: true });
      return spawnEtcd(opts.binary, dataDir, !opts.onOutput)
        .then((etcd) => supervise(etcd, opts))
        .catch(async (e2) => {
          await rm(dataDir, { recursive: true, force: true });
          throw e2;
        });
    }
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
}

/** Waits until a spawned etcd is healthy and hands it back with its stop; stops it on this process's exit. */
async function supervise(etcd: SpawnedEtcd, opts: NativeEtcdOptions): Promise<EtcdProcess> {
  const { child, dataDir } = etcd;
  etcd.onOutput = opts.onOutput;
  // etcd runs in its own group, so it would outlive us: stop it when this process exits or is ended by
  // SIGINT/SIGTERM/SIGHUP without stopping it first (a SIGKILL is the reaper's to clean up).
  const removeExitHook = onExit(() => {
    if (child.pid) signal(child.pid, 'SIGKILL');
    if (opts.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
  });
  void etcd.exit.then(removeExitHook);
  opts.onSpawn?.();
  const stop = (graceMs?: number) => stopProcess(child.pid!, { graceMs, exited: etcd.exit });
  try {
    await waitHealthy(etcd.endpoint, opts.timeoutMs ?? 15_000, () => !etcd.exited());
  } catch (e) {
    await stop(500);
    const tail = etcd.stderr().trim().split('\n').slice(-3).join('\n');
    if (/address already in use/.test(etcd.stderr())) throw new EtcdError(`etcd could not bind its ports: address already in use`);
    throw new EtcdError(`${(e as Error).message}${tail ? `\n${tail}` : ''}`, 'check that the etcd binary works: etcd --version');
  }
  let stopped: Promise<{ killed: boolean }> | undefined;
  return {
    endpoint: etcd.endpoint,
    pid: child.pid,
    dataDir,
    stop: () =>
      (stopped ??= (async () => {
        const r = await stop();
        await rm(dataDir, { recursive: true, force: true });
        return r;
      })()),
  };
}

export { dockerAvailable, startContainerEtcd } from './container.js';
