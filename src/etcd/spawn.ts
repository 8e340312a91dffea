// Spawning a native etcd: find the binary, learn which optional flags it knows, and start it on free
// loopback ports in its own process group. startNativeEtcd (index.ts) supervises what this spawns; so
// does a start that finds an etcd the launcher already spawned (env/prelaunch.ts), which is kept here
// until taken. Imports nothing but Node and the process module: the launcher loads it before the CLI.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants, rmSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort, signal } from '../process/index.js';

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Search order: explicit, $KAPI_ETCD_BIN, $KUBEBUILDER_ASSETS/etcd, PATH. */
export function findEtcdBinary(explicit?: string, env: NodeJS.ProcessEnv = process.env): { path?: string; searched: string[] } {
  const searched: string[] = [];
  const candidates: string[] = [];
  if (explicit) candidates.push(explicit);
  if (env.KAPI_ETCD_BIN) candidates.push(env.KAPI_ETCD_BIN);
  if (env.KUBEBUILDER_ASSETS) candidates.push(path.join(env.KUBEBUILDER_ASSETS, 'etcd'));
  for (const c of candidates) {
    searched.push(c);
    if (executable(c)) return { path: c, searched };
    if (c === explicit) return { searched };
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
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

/** An etcd just spawned: not yet healthy, its output kept (the last 4,000 characters) and passed to `onOutput` once set. */
export interface SpawnedEtcd {
  child: ChildProcess;
  binary: string;
  endpoint: string;
  dataDir: string;
  /** Started with --log-level=error (no one reads its log). */
  quiet: boolean;
  /** Resolves when the process has exited (or failed to start). */
  exit: Promise<void>;
  exited(): boolean;
  /** The end of what it wrote on stderr. */
  stderr(): string;
  onOutput?: (chunk: string) => void;
}

/**
 * The timing of a single-member cluster's raft. With etcd's defaults (a 100 ms heartbeat, a 1 s election
 * timeout), a fresh member's first election waits a random 1 to 10 heartbeats: 100 to 1,000 ms, nearly all of
 * etcd's start (the rest is about 25 ms). A member alone has no peer to hear from, so nothing is gained by
 * waiting: a 10 ms heartbeat and a 100 ms election timeout make that wait 10 to 100 ms. The leader of a cluster
 * of one never loses its quorum, so a slow tick (a busy machine) cannot make it step down.
 */
export const SINGLE_MEMBER_RAFT = ['--heartbeat-interval=10', '--election-timeout=100'];

/** Spawns etcd on two free loopback ports with `dataDir` (which exists, or is being made); resolves once spawned. */
export async function spawnEtcd(binary: string, dataDir: string | Promise<string>, quiet: boolean): Promise<SpawnedEtcd> {
  const [clientPort, peerPort, flags, dir] = await Promise.all([freePort(), freePort(), supportedFlags(binary), dataDir]);
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const name = `kapi-env-${process.pid}-${clientPort}`;
  const args = [
    `--name=${name}`,
    `--data-dir=${dir}`,
    `--listen-client-urls=${endpoint}`,
    `--advertise-client-urls=${endpoint}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=${name}=${peer}`,
    '--initial-cluster-state=new',
    ...SINGLE_MEMBER_RAFT,
    '--quota-backend-bytes=8589934592',
    '--snapshot-count=100000',
  ];
  // Test clusters do not need durability: skip fsync where this etcd supports it.
  if (flags.has('unsafe-no-fsync')) args.push('--unsafe-no-fsync');
  // Progress notifications keep the API server's watch caches (and bookmarks) current with the store's
  // revision when writes go to other resources; kube-apiserver asks etcd for them for the same reason.
  if (flags.has('experimental-watch-progress-notify-interval')) args.push('--experimental-watch-progress-notify-interval=5s');
  if (flags.has('log-level') && quiet) args.push('--log-level=error');
  if (flags.has('logger')) args.push('--logger=zap');
  // node:child_process rather than a process library: spawning is on the path of every cold start.
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  let exited = false;
  const spawned: SpawnedEtcd = {
    child,
    binary,
    endpoint,
    dataDir: dir,
    quiet,
    exit: new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (e) => {
        tail += e.message;
        resolve();
      });
    }).then(() => {
      exited = true;
    }),
    exited: () => exited,
    stderr: () => tail,
  };
  child.stderr?.on('data', (d: Buffer) => {
    spawned.onOutput?.(d.toString());
    tail = (tail + d.toString()).slice(-4000);
  });
  return spawned;
}

/** An etcd spawned before the CLI loaded (env/prelaunch.ts), until a start takes it; one per process. */
const PRELAUNCHED = Symbol.for('kapi-env.prelaunched-etcd');
interface Prelaunched {
  etcd: SpawnedEtcd;
  /** Stops it and removes its data when the process exits untaken. */
  onExit: () => void;
}
const slot = globalThis as { [PRELAUNCHED]?: Prelaunched };

/** Keeps `etcd` for the start that asks for it; killed, its data removed, if the process exits first. */
export function keepPrelaunched(etcd: SpawnedEtcd): void {
  const onExit = (): void => {
    if (etcd.child.pid) signal(etcd.child.pid, 'SIGKILL');
    rmSync(etcd.dataDir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  // Kept, it does not hold this process open: a CLI that exits without taking it (a flag error) exits.
  hold(etcd, false);
  slot[PRELAUNCHED] = { etcd, onExit };
}

/**
 * The etcd spawned before the CLI loaded, if it is what this start asks for (the same binary, its log read
 * or not alike) and still running; the start owns it from here. Any other is stopped and its data removed.
 */
export function takePrelaunched(binary: string, quiet: boolean): SpawnedEtcd | undefined {
  const etcd = unkeep();
  if (etcd && etcd.binary === binary && etcd.quiet === quiet && !etcd.exited()) {
    hold(etcd, true);
    return etcd;
  }
  if (etcd) discard(etcd);
  return undefined;
}

/** Stops an etcd spawned before the CLI loaded that this start does not use (it chose other storage). */
export function dropPrelaunched(): void {
  const etcd = unkeep();
  if (etcd) discard(etcd);
}

/** The kept etcd, no longer kept (nor stopped at this process's exit). */
function unkeep(): SpawnedEtcd | undefined {
  const kept = slot[PRELAUNCHED];
  if (!kept) return undefined;
  delete slot[PRELAUNCHED];
  process.off('exit', kept.onExit);
  return kept.etcd;
}

/** Whether the process and its stderr pipe keep this process's event loop alive. */
function hold(etcd: SpawnedEtcd, on: boolean): void {
  const stderr = etcd.child.stderr as (NodeJS.ReadableStream & { ref?: () => void; unref?: () => void }) | null;
  if (on) {
    etcd.child.ref();
    stderr?.ref?.();
  } else {
    etcd.child.unref();
    stderr?.unref?.();
  }
}

function discard(etcd: SpawnedEtcd): void {
  if (etcd.child.pid) signal(etcd.child.pid, 'SIGKILL');
  void etcd.exit.then(() => rm(etcd.dataDir, { recursive: true, force: true })).catch(() => undefined);
}
