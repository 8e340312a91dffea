// The harness's processes, in one place: start in an own process group, wait
// until healthy, stop with a timeout (SIGTERM, then SIGKILL), pick free ports,
// make the temp directories they work in. Used by native etcd, `kapi-env up`
// and `down` and the state-dir lock, as envtest's
// internal/testing/process serves its etcd and kube-apiserver.
// Depends on nothing but Node.

import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Whether a process is still running (signal 0 probes without touching it). */
export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Signals a process's whole group when it leads one (started detached), else the process alone;
 * `group: false` signals the process alone (a foreground `up` may lead its shell's pipeline).
 */
export function signal(pid: number, sig: NodeJS.Signals, group = true): void {
  if (group) {
    try {
      process.kill(-pid, sig);
      return;
    } catch {
      // not a group leader
    }
  }
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

export interface StopOptions {
  /** How long SIGTERM has before SIGKILL. */
  graceMs?: number;
  /** Resolves when the process has exited (a child's 'exit' event); otherwise the pid is polled. */
  exited?: Promise<unknown>;
  /** Signal the process's group when it leads one (default), or the process alone. */
  group?: boolean;
}

/** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. */
export async function stopProcess(pid: number, opts: StopOptions = {}): Promise<{ killed: boolean }> {
  const exited = opts.exited ?? pollUntilGone(pid);
  if (!isAlive(pid)) return { killed: false };
  signal(pid, 'SIGTERM', opts.group);
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(true), opts.graceMs ?? 3000).unref()),
  ]);
  if (!timedOut) return { killed: false };
  signal(pid, 'SIGKILL', opts.group);
  await exited;
  return { killed: true };
}

async function pollUntilGone(pid: number): Promise<void> {
  while (isAlive(pid)) await new Promise((r) => setTimeout(r, 20));
}

/** A fresh directory under the system temp dir, `<prefix>XXXXXX`; whoever makes it removes it (and tells the reaper). */
export function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/**
 * A port free on every address, picked synchronously: a listen without a host binds at once (one with a
 * host waits for a lookup), and a port no address holds is free on each. Closed again straight away.
 */
export function freePortSync(): number {
  const srv = net.createServer();
  srv.listen(0);
  const address = srv.address();
  srv.close();
  if (!address || typeof address === 'string') throw new Error('no free port: the probe did not bind');
  return address.port;
}

/** A free TCP port on the host (the caller retries if it is taken before binding). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Polls `ready` every `intervalMs` until it answers true (never a fixed sleep);
 * fails when the deadline passes or `stillRunning` says the process died.
 */
export async function waitReady(
  ready: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; stillRunning?: () => boolean; onTimeout: () => Error; onExit: () => Error },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await ready().catch(() => false)) return;
    if (opts.stillRunning && !opts.stillRunning()) throw opts.onExit();
    if (Date.now() > deadline) throw opts.onTimeout();
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 10));
  }
}
