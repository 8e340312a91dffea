// startEnv({ serverThread: 'worker' }): the environment (storage, server,
// fixtures) runs in a worker thread, off the test's event loop, so a test that
// blocks its own thread (execFileSync('kubectl', ...), CPU-heavy work) does not
// stall the server. The test's thread keeps the admin credentials, clients,
// users and waitFor; reset, snapshot, restore and stop are messages.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { loadCertificateAuthority } from '../pki/index.js';
import { RestClient } from './client.js';
import type { ResetHelpers } from './reset.js';
import { type UserHelpers, userHelpers } from './users.js';
import { type WaitHelpers, waitHelpers } from './wait.js';

export interface ThreadEnvData {
  kubeconfigPath: string;
  kubeconfig: string;
  server: string;
  ca: string;
  clientCert: string;
  clientKey: string;
  clientCa?: { certPem: string; keyPem: string };
  storage: 'etcd' | 'container' | 'memory' | 'external' | 'existing';
  etcdEndpoint?: string;
  pids: { etcd?: number; server: number };
  elapsedMs: number;
  /** env.webhooks' data as the worker's environment has it (host, port, certificates; not its functions). */
  webhooks: unknown;
}

export type ThreadMessage =
  | { kind: 'progress'; phase: string; message: string }
  | { kind: 'warning'; line: string }
  | { kind: 'log'; line: string }
  | { kind: 'ready'; env: ThreadEnvData }
  | { kind: 'failed'; name: string; message: string; exitCode?: number }
  | { kind: 'reply'; id: number; result?: unknown; error?: string };

export interface ThreadRequest {
  id: number;
  op: 'reset' | 'snapshot' | 'restore' | 'stop';
  arg?: string;
}

export interface ThreadOptions {
  /** What crosses to the worker: structured-cloneable options only (no functions). */
  options: Record<string, unknown>;
  onProgress?: (phase: string, message: string) => void;
  onWarning?: (line: string) => void;
  log?: (line: string) => void;
}

export type ThreadEnv = ThreadEnvData &
  UserHelpers &
  ResetHelpers &
  WaitHelpers & { client(): RestClient; stop(): Promise<{ killed: string[]; removed: string[] }> };

/** Starts the environment in a worker thread; resolves once it is ready. */
export async function startInThread(t: ThreadOptions): Promise<ThreadEnv> {
  const host = new URL('./thread-host.js', import.meta.url);
  if (!existsSync(fileURLToPath(host)))
    throw new Error(`serverThread 'worker' runs from the built package: ${fileURLToPath(host)} is missing (npm run build)`);
  const worker = new Worker(host, { workerData: { options: t.options, forwardLog: !!t.log } });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let next = 0;
  let exited = false;
  const ready = new Promise<ThreadEnvData>((resolve, reject) => {
    worker.on('message', (m: ThreadMessage) => {
      if (m.kind === 'progress') t.onProgress?.(m.phase, m.message);
      else if (m.kind === 'warning') (t.onWarning ?? ((l) => process.stderr.write(`kapi-env: ${l}\n`)))(m.line);
      else if (m.kind === 'log') t.log?.(m.line);
      else if (m.kind === 'ready') resolve(m.env);
      else if (m.kind === 'failed') reject(Object.assign(new Error(m.message), { name: m.name, exitCode: m.exitCode }));
      else if (m.kind === 'reply') {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.error !== undefined) p?.reject(new Error(m.error));
        else p?.resolve(m.result);
      }
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      exited = true;
      reject(new Error(`the environment's worker thread exited (code ${code}) before it was ready`));
      for (const p of pending.values()) p.reject(new Error(`the environment's worker thread exited (code ${code})`));
      pending.clear();
    });
  });
  let data: ThreadEnvData;
  try {
    data = await ready;
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  const call = <T>(op: ThreadRequest['op'], arg?: string): Promise<T> => {
    if (exited) return Promise.reject(new Error("the environment's worker thread has stopped"));
    const id = ++next;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, op, arg } satisfies ThreadRequest);
    });
  };
  const creds = { server: data.server, caPem: data.ca, certPem: data.clientCert, keyPem: data.clientKey };
  const authority = data.clientCa ? await loadCertificateAuthority(data.clientCa.certPem, data.clientCa.keyPem) : undefined;
  let stopped: Promise<{ killed: string[]; removed: string[] }> | undefined;
  return {
    ...data,
    client: () => new RestClient(creds),
    ...userHelpers({ admin: creds, authority, dir: path.dirname(data.kubeconfigPath) }),
    ...waitHelpers(() => new RestClient(creds)),
    reset: () => call<void>('reset'),
    snapshot: () => call<string>('snapshot'),
    restore: (id) => call<void>('restore', id),
    stop: () =>
      (stopped ??= (async () => {
        const report = await call<{ killed: string[]; removed: string[] }>('stop');
        await worker.terminate();
        return report;
      })()),
  };
}
