// An external etcd a test can kill and start again on the same ports and data
// directory, to take storage away from a running server and give it back.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitHealthy } from '../../src/etcd/index.js';
import { etcdBinary } from './backends.js';

export interface RestartableEtcd {
  endpoint: string;
  /** SIGKILL, resolved once the process has exited. */
  kill(): Promise<void>;
  /** Starts again on the same ports and data, resolved once healthy. */
  start(): Promise<void>;
  /** Kills it and removes its data directory. */
  remove(): void;
}

export async function restartableEtcd(): Promise<RestartableEtcd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kapi-env-etcd-test-'));
  const [cp, pp] = await Promise.all([freePort(), freePort()]);
  const endpoint = `http://127.0.0.1:${cp}`;
  const args = [
    `--data-dir=${dir}`,
    `--listen-client-urls=${endpoint}`,
    `--advertise-client-urls=${endpoint}`,
    `--listen-peer-urls=http://127.0.0.1:${pp}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${pp}`,
    `--initial-cluster=default=http://127.0.0.1:${pp}`,
    '--log-level=error',
  ];
  let proc: ChildProcess | undefined;
  const etcd: RestartableEtcd = {
    endpoint,
    start: async () => {
      proc = spawn(etcdBinary!, args, { stdio: 'ignore' });
      await waitHealthy(endpoint, 15_000);
    },
    kill: async () => {
      const p = proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await exited;
    },
    remove: () => {
      proc?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await etcd.start();
  return etcd;
}
