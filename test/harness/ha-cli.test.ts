// `kapi-env up --servers N`: several API servers on one etcd behind a local TCP load balancer,
// listed by status, stopped together by down; refused (exit 2) without etcd.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/process/index.js';
import { etcdBinary } from '../helpers/backends.js';
import { kubectl } from '../helpers/env.js';

const BIN = path.resolve(__dirname, '../../bin/kapi-env.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'kapi-env-hacli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: work, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('kapi-env up --servers', () => {
  it('refuses several servers on the memory store with a usage error', async () => {
    const r = await run(['up', '--servers', '2', '--storage', 'memory', '--state-dir', path.join(work, 'mem')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--servers 2 needs etcd');
  });

  it.skipIf(!etcdBinary)('starts two servers behind a load balancer; status lists them; down stops them all', async () => {
    const state = path.join(work, 'ha');
    const up = await run([
      'up',
      '--servers',
      '2',
      '--storage',
      'etcd',
      '--detach',
      '--json',
      '--state-dir',
      state,
      '--kubeconfig',
      path.join(state, 'kc'),
    ]);
    expect(up.code, up.stderr).toBe(0);
    const info = JSON.parse(up.stdout);
    expect(info.servers).toHaveLength(2);
    expect(new Set([info.server, ...info.servers]).size).toBe(3);
    try {
      const ports = info.servers.map((u: string) => new URL(u).port).sort();
      const ep = await kubectl(info.kubeconfig, ['get', 'endpoints', 'kubernetes', '-o', 'jsonpath={.subsets[*].ports[*].port}']);
      expect(ep.stdout.split(' ').sort()).toEqual(ports);
      const status = await run(['status', '--state-dir', state]);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`api server 1: ${info.servers[0]}`);
      expect(status.stdout).toContain(`api server 2: ${info.servers[1]}`);
    } finally {
      const down = await run(['down', '--state-dir', state]);
      expect(down.stdout.trim()).toBe('stopped');
    }
    expect(isAlive(info.pids.server)).toBe(false);
    expect(isAlive(info.pids.etcd)).toBe(false);
  });
});
