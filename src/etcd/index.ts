// etcd lifecycle for environments: find the binary, start it natively (own
// data dir, free ports, own process group) or in a container, wait for health
// through its client port (never a sleep), and stop it: SIGTERM, then SIGKILL.

import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, signal, stopProcess } from '../process/index.js';
import { waitHealthy } from './health.js';
import { EtcdError, type EtcdProcess } from './types.js';

export { EtcdError, type EtcdProcess } from './types.js';
export { waitHealthy } from './health.js';
export { freePort } from '../process/index.js';

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Search order: explicit, $KAPI_ETCD_BIN, $KUBEBUILDER_ASSETS/etcd, PATH. */
export function findEtcdBinary(explicit?: string): { path?: string; searched: string[] } {
  const searched: string[] = [];
  const candidates: string[] = [];
  if (explicit) candidates.push(explicit);
  if (process.env.KAPI_ETCD_BIN) candidates.push(process.env.KAPI_ETCD_BIN);
  if (process.env.KUBEBUILDER_ASSETS) candidates.push(path.join(process.env.KUBEBUILDER_ASSETS, 'etcd'));
  for (const c of candidates) {
    searched.push(c);
    if (executable(c)) return { path: c, searched };
    if (c === explicit) return { searched };
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const c = path.join(dir, 'etcd');
    if (executable(c)) return { path: c, searched: [...searched, '$PATH'] };
  }
  searched.push('$PATH');
  return { searched };
}

const flagSupport = new Map<string, Set<string>>();

/** The flags a binary knows, from its --help (cached per binary). */
function supportedFlags(binary: string): Set<string> {
  let flags = flagSupport.get(binary);
  if (!flags) {
    let help = '';
    try {
      help = execFileSync(binary, ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      help = `${err.stdout ?? ''}${err.stderr ?? ''}`;
    }
    flags = new Set([...help.matchAll(/--([a-z0-9-]+)/g)].map((m) => m[1]));
    flagSupport.set(binary, flags);
  }
  return flags;
}

export interface NativeEtcdOptions {
  binary: string;
  dataDir?: string;
  timeoutMs?: number;
  /** Called once etcd is spawned, before it is healthy: work to overlap with its start. */
  onSpawn?: () => void;
}

/** Starts etcd on free loopback ports; retries once if a port was taken between choosing and binding it. */
export async function startNativeEtcd(opts: NativeEtcdOptions): Promise<EtcdProcess> {
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'kapi-env-etcd-')));
  try {
    return await startOnce(opts, dataDir);
  } catch (e) {
    if (e instanceof EtcdError && /address already in use/.test(e.message)) {
      await rm(path.join(dataDir, 'member'), { recursive: true, force: true });
      return startOnce(opts, dataDir).catch(async (e2) => {
        await rm(dataDir, { recursive: true, force: true });
        throw e2;
      });
    }
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
}

async function startOnce(opts: NativeEtcdOptions, dataDir: string): Promise<EtcdProcess> {
  const [clientPort, peerPort] = await Promise.all([freePort(), freePort()]);
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const name = `kapi-env-${process.pid}-${clientPort}`;
  const flags = supportedFlags(opts.binary);
  const args = [
    `--name=${name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=${name}=${peer}`,
    '--initial-cluster-state=new',
    '--quota-backend-bytes=8589934592',
    '--snapshot-count=100000',
  ];
  // Test clusters do not need durability: skip fsync where this etcd supports it.
  if (flags.has('unsafe-no-fsync')) args.push('--unsafe-no-fsync');
  // Progress notifications keep the API server's watch caches (and bookmarks) current with the store's
  // revision when writes go to other resources; kube-apiserver asks etcd for them for the same reason.
  if (flags.has('experimental-watch-progress-notify-interval')) args.push('--experimental-watch-progress-notify-interval=5s');
  if (flags.has('log-level')) args.push('--log-level=error');
  if (flags.has('logger')) args.push('--logger=zap');
  // node:child_process rather than a process library: spawning is on the path of every cold start.
  const child = spawn(opts.binary, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exited = false;
  // etcd runs in its own group: if this process exits without stopping it, it is stopped with it.
  const orphaned = (): void => {
    if (child.pid) signal(child.pid, 'SIGTERM');
  };
  process.once('exit', orphaned);
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (e) => {
      stderr += e.message;
      resolve();
    });
  }).then(() => {
    exited = true;
    process.removeListener('exit', orphaned);
  });
  opts.onSpawn?.();
  const stop = (graceMs?: number) => stopProcess(child.pid!, { graceMs, exited: exit });
  try {
    await waitHealthy(client, opts.timeoutMs ?? 15_000, () => !exited);
  } catch (e) {
    await stop(500);
    const tail = stderr.trim().split('\n').slice(-3).join('\n');
    if (/address already in use/.test(stderr)) throw new EtcdError(`etcd could not bind its ports: address already in use`);
    throw new EtcdError(`${(e as Error).message}${tail ? `\n${tail}` : ''}`, 'check that the etcd binary works: etcd --version');
  }
  let stopped: Promise<{ killed: boolean }> | undefined;
  return {
    endpoint: client,
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
