// A process that started etcd through startNativeEtcd and is ended by a signal
// without stopping it takes its etcd and etcd's data directory with it.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isAlive } from '../../src/process/index.js';
import { etcdBinary } from '../helpers/backends.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe.skipIf(!etcdBinary)('native etcd lifetime', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('stops etcd and removes its data when its owner gets %s', async (sig) => {
    const script = `const { startNativeEtcd } = await import(${JSON.stringify(path.join(root, 'dist/etcd/index.js'))});
const e = await startNativeEtcd({ binary: ${JSON.stringify(etcdBinary)} });
console.log(JSON.stringify({ pid: e.pid, dataDir: e.dataDir }));
setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const info = await new Promise<{ pid: number; dataDir: string }>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(String(d))));
      child.once('exit', () => reject(new Error('owner exited before etcd was ready')));
    });
    try {
      expect(isAlive(info.pid)).toBe(true);
      const ended = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, s) => r(s)));
      child.kill(sig);
      expect(await ended).toBe(sig);
      const deadline = Date.now() + 5_000;
      while (isAlive(info.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(isAlive(info.pid)).toBe(false);
      expect(existsSync(info.dataDir)).toBe(false);
    } finally {
      if (isAlive(info.pid)) process.kill(info.pid, 'SIGKILL');
      child.kill('SIGKILL');
    }
  });
});
