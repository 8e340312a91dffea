// etcd lifecycle for environments: find the binary, start it natively (own
// data dir, free ports, own process group) or in a container, wait for health
// through its client port (never a sleep), and stop it: SIGTERM, then SIGKILL.

import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, rmSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { onExit } from 'signal-exit';
import { freePort, makeTempDir, signal, stopProcess } from '../process/index.js';
import { waitHealthy } from './health.js';
import { EtcdError, type EtcdProcess } from './types.js';

export { freePort } from '../process/index.js';
export { waitHealthy } from './health.js';
export { EtcdError, type EtcdProcess } from './types.js';

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

/** Flags passed only to an etcd whose --help lists them (3.4 has no --unsafe-no-fsync). */
const OPTIONAL_FLAGS = ['unsafe-no-fsync', 'experimental-watch-progress-notify-interval', 'log-level', 'logger'];

const flagSupport = new Map<string, Promise<Set<string>>>();

/**
 * Which of OPTIONAL_FLAGS a binary knows, from its --help. Running `etcd --help` is on the path of
 * every cold start, so the answer is kept per binary (path, size and mtime) in this process and in a
 * small file in the user's cache dir that later processes read instead.
 */
function supportedFlags(binary: string): Promise<Set<string>> {
  let id: string;
  try {
    const st = statSync(binary);
    id = `${path.resolve(binary)}:${st.size}:${st.mtimeMs}`;
  } catch {
    id = path.resolve(binary);
  }
  let flags = flagSupport.get(id);
  if (!flags) {
    flags = probeFlags(binary, id);
    flagSupport.set(id, flags);
  }
  return flags;
}

async function probeFlags(binary: string, id: string): Promise<Set<string>> {
  // The user's cache dir, not the temp dir: an environment leaves nothing behind in TMPDIR.
  const dir = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'kapi-env');
  const cache = path.join(dir, `etcd-flags-${path.resolve(binary).replace(/[^A-Za-z0-9]/g, '_')}.json`);
  try {
    const c = JSON.parse(await readFile(cache, 'utf8')) as { id?: string; flags?: string[] };
    if (c.id === id && Array.isArray(c.flags)) return new Set(c.flags.filter((f) => OPTIONAL_FLAGS.includes(f)));
  } catch {
    // no cache yet, or an unreadable one: probe
  }
  const help = await new Promise<string>((resolve) => {
    // etcd 3.4 prints its usage to stderr; a failing --help still lists what it knows.
    execFile(binary, ['--help'], { encoding: 'utf8', timeout: 5000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
  });
  const known = new Set([...help.matchAll(/--([a-z0-9-]+)/g)].map((m) => m[1]));
  const flags = OPTIONAL_FLAGS.filter((f) => known.has(f));
  // Kept only when it was etcd's usage (a timed-out probe is asked again next time).
  if (!known.has('data-dir')) return new Set(flags);
  const tmp = `${cache}.${process.pid}.tmp`;
  await mkdir(dir, { recursive: true })
    .then(() => writeFile(tmp, JSON.stringify({ id, flags })))
    .then(() => rename(tmp, cache))
    .catch(() => rm(tmp, { force: true }));
  return new Set(flags);
}

export interface NativeEtcdOptions {
  binary: string;
  dataDir?: string;
  timeoutMs?: number;
  /** Called once etcd is spawned, before it is healthy: work to overlap with its start. */
  onSpawn?: () => void;
  /** etcd's log (its stderr, at etcd's default level), as it comes: envtest's AttachControlPlaneOutput. */
  onOutput?: (chunk: string) => void;
}

/** Starts etcd on free loopback ports; retries once if a port was taken between choosing and binding it. */
export async function startNativeEtcd(opts: NativeEtcdOptions): Promise<EtcdProcess> {
  const dataDir = opts.dataDir ?? (await makeTempDir('kapi-env-etcd-'));
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
  const [clientPort, peerPort, flags] = await Promise.all([freePort(), freePort(), supportedFlags(opts.binary)]);
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const name = `kapi-env-${process.pid}-${clientPort}`;
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
  if (flags.has('log-level') && !opts.onOutput) args.push('--log-level=error');
  if (flags.has('logger')) args.push('--logger=zap');
  // node:child_process rather than a process library: spawning is on the path of every cold start.
  const child = spawn(opts.binary, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    opts.onOutput?.(d.toString());
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exited = false;
  // etcd runs in its own group, so it would outlive us: stop it when this process exits or is ended by
  // SIGINT/SIGTERM/SIGHUP without stopping it first (a SIGKILL is the reaper's to clean up).
  const removeExitHook = onExit(() => {
    if (child.pid) signal(child.pid, 'SIGKILL');
    if (opts.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
  });
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (e) => {
      stderr += e.message;
      resolve();
    });
  }).then(() => {
    exited = true;
    removeExitHook();
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
