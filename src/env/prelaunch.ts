// `kapi-env up` on a native etcd: the launcher (bin/kapi-env.js) spawns etcd, then starts the reaper, before
// it loads the CLI, so that etcd's own start (its first election, the files it makes) runs while the CLI's two
// megabytes are compiled and run, not after. The start then takes both: startReaper() returns this reaper and
// startNativeEtcd() supervises this etcd when it asks for the same binary.
//
// The arguments are read here only to guess; the CLI decides as always. A guess that is wrong costs an
// etcd spawned for nothing: the start stops one it does not take (etcd/spawn.ts), and this process's
// exit, or the reaper if it is killed, stops it too. Only a start that is sure to launch etcd is guessed.

import { rm } from 'node:fs/promises';
import { findEtcdBinary, keepPrelaunched, spawnEtcd } from '../etcd/spawn.js';
import { makeTempDir } from '../process/index.js';
import { keepReaper, startReaper } from './reaper.js';

/** Flags after which the CLI may not start a native etcd, or not in this process, or not with a quiet log. */
const UNSURE = ['--detach', '--help', '-h', '--etcd-servers', '--apiserver-arg', '--log'];

/** Environment variables that change whether an etcd is started, or how its log is read. */
const UNSURE_ENV = ['USE_EXISTING_CLUSTER', 'KAPI_ENV_USE_EXISTING_CLUSTER', 'KAPI_ENV_LOG', 'KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT'];

/**
 * The etcd binary `kapi-env <args>` starts, when the arguments and environment leave no doubt that it
 * is `up` launching a native etcd in this process with its log unread; else undefined.
 */
export function prelaunchBinary(args: readonly string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (args[0] !== 'up' || UNSURE_ENV.some((name) => env[name] !== undefined)) return undefined;
  let storage = 'auto';
  let explicit: string | undefined;
  for (let i = 1; i < args.length; i++) {
    const eq = args[i].indexOf('=');
    const name = args[i].startsWith('--') && eq > 0 ? args[i].slice(0, eq) : args[i];
    const value = (): string | undefined => (name === args[i] ? args[++i] : args[i].slice(eq + 1));
    if (UNSURE.includes(name)) return undefined;
    if (name === '--storage') storage = value() ?? '';
    else if (name === '--etcd-bin') explicit = value();
  }
  if (storage !== 'auto' && storage !== 'etcd') return undefined;
  return findEtcdBinary(explicit, env).path;
}

/** Spawns etcd and starts the reaper when `kapi-env <args>` will launch etcd; never throws. */
export async function prelaunch(args: readonly string[]): Promise<void> {
  const binary = prelaunchBinary(args);
  if (!binary) return;
  const dataDir = makeTempDir('kapi-env-etcd-');
  try {
    const etcd = await spawnEtcd(binary, dataDir, true);
    keepPrelaunched(etcd);
    // The reaper after etcd, not before: etcd's start is what the CLI waits for, and spawning the reaper
    // takes the main thread for a few milliseconds.
    const reaper = startReaper();
    keepReaper(reaper);
    reaper.addDir(etcd.dataDir);
    if (etcd.child.pid) reaper.addPid(etcd.child.pid);
  } catch {
    // The CLI starts what it needs itself, and reports what fails.
    await dataDir.then((dir) => rm(dir, { recursive: true, force: true })).catch(() => undefined);
  }
}
