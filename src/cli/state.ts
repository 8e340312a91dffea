// State of a detached environment (`--state-dir`): down, status, env.

import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isAlive, signal, stopProcess } from '../process/index.js';
import { CliError, printer } from './output.js';

export interface EnvState {
  kubeconfig: string;
  server: string;
  storage: string;
  pids: { etcd?: number; server: number };
  /** With `up --servers N`: each API server's URL (`server` is their load balancer). */
  servers?: string[];
  elapsedMs: number;
  etcdEndpoint?: string;
  stateDir: string;
}

export function statePaths(dir: string): { dir: string; state: string; log: string; lock: string } {
  const d = path.resolve(dir);
  return { dir: d, state: path.join(d, 'state.json'), log: path.join(d, 'up.log'), lock: path.join(d, 'up.lock') };
}

/** Environment variable through which a detaching `up` hands its state-dir lock to the child it starts. */
export const LOCK_HANDOFF_ENV = 'KAPI_ENV_LOCK_HANDOFF';

export interface StateLock {
  /** Removes the lock if this process still owns it. */
  release(): Promise<void>;
}

async function lockHolder(lock: string): Promise<number | undefined> {
  try {
    const pid = Number(JSON.parse(await readFile(lock, 'utf8')).pid);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the lock file with its full content in one step: `wx` when it must not exist yet, else a rename over it. */
async function writeLock(lock: string, pid: number, exclusive: boolean): Promise<void> {
  const tmp = `${lock}.${pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ pid })}\n`);
  try {
    if (exclusive) await link(tmp, lock);
    else await rename(tmp, lock);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * One `up` per state directory: a lock file created exclusively, holding the
 * owner's pid. A lock whose owner is gone is stale and removed. A detached `up`
 * takes the lock, then its child adopts it (`handoffFrom` = the parent's pid),
 * so there is no moment when a second `up` could slip in.
 */
export async function lockStateDir(dir: string, opts: { handoffFrom?: number } = {}): Promise<StateLock> {
  const p = statePaths(dir);
  await mkdir(p.dir, { recursive: true });
  const release = async (): Promise<void> => {
    if ((await lockHolder(p.lock)) === process.pid) await rm(p.lock, { force: true });
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await writeLock(p.lock, process.pid, true);
      return { release };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = await lockHolder(p.lock);
    if (holder !== undefined && holder === opts.handoffFrom) {
      await writeLock(p.lock, process.pid, false);
      return { release };
    }
    if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
      throw new CliError(
        `an environment is already running (pid ${holder}) with state in ${dir}`,
        'stop it with `kapi-env down`, or pass another --state-dir',
      );
    }
    // Stale: its owner died without cleaning up (or it is our own leftover).
    await rm(p.lock, { force: true });
  }
  throw new CliError(`could not lock the state directory ${dir}`, `remove ${p.lock} if no kapi-env runs there`);
}

/** Removes a lock left by an owner that is no longer running. */
async function removeStaleLock(dir: string): Promise<void> {
  const lock = statePaths(dir).lock;
  const holder = await lockHolder(lock);
  if (holder === undefined || !isAlive(holder)) await rm(lock, { force: true });
}

export async function readState(dir: string): Promise<EnvState | undefined> {
  try {
    return JSON.parse(await readFile(statePaths(dir).state, 'utf8')) as EnvState;
  } catch {
    return undefined;
  }
}

export async function writeState(dir: string, s: EnvState): Promise<void> {
  const p = statePaths(dir);
  await mkdir(p.dir, { recursive: true });
  await writeFile(`${p.state}.tmp`, JSON.stringify(s, null, 2));
  await rename(`${p.state}.tmp`, p.state);
}

export async function runDown(flags: { stateDir: string; json?: boolean }): Promise<number> {
  const out = printer({});
  const s = await readState(flags.stateDir);
  if (!s || !isAlive(s.pids.server)) {
    await rm(statePaths(flags.stateDir).state, { force: true });
    await removeStaleLock(flags.stateDir);
    if (flags.json) out.line(JSON.stringify({ stopped: false, reason: 'not running' }));
    else out.line(`no environment running (state dir ${path.resolve(flags.stateDir)})`);
    return 0;
  }
  // The `up` alone: a foreground one may lead its shell's pipeline, whose other members are not ours.
  const { killed } = await stopProcess(s.pids.server, { graceMs: 10_000, group: false });
  // A killed `up` cannot stop its etcd; its reaper does, and we make sure.
  if (killed && s.pids.etcd && isAlive(s.pids.etcd)) signal(s.pids.etcd, 'SIGKILL');
  await rm(statePaths(flags.stateDir).state, { force: true });
  // A killed `up` leaves its lock behind.
  await removeStaleLock(flags.stateDir);
  if (flags.json) out.line(JSON.stringify({ stopped: true, killed }));
  else out.line(killed ? `stopped (had to kill pid ${s.pids.server})` : 'stopped');
  return 0;
}

export async function runStatus(flags: { stateDir: string; json?: boolean }): Promise<number> {
  const out = printer({});
  const s = await readState(flags.stateDir);
  const running = !!s && isAlive(s.pids.server);
  if (flags.json) out.line(JSON.stringify(running ? { running, ...s } : { running }));
  else if (running) {
    out.line(`running: ${s!.server} (${s!.storage} storage), kubeconfig ${s!.kubeconfig}, pid ${s!.pids.server}`);
    for (const [i, url] of (s!.servers ?? []).entries()) out.line(`  api server ${i + 1}: ${url}`);
  } else out.line('not running');
  return running ? 0 : 1;
}

export async function runEnv(flags: { stateDir: string; kubeconfig: string }): Promise<number> {
  const s = await readState(flags.stateDir);
  const p = s?.kubeconfig ?? path.resolve(flags.kubeconfig);
  if (!s) {
    try {
      await readFile(p);
    } catch {
      throw new CliError(
        `no environment found (no ${statePaths(flags.stateDir).state} and no ${p})`,
        'start one with `kapi-env up --detach`',
      );
    }
  }
  process.stdout.write(`export KUBECONFIG=${p}\n`);
  return 0;
}
