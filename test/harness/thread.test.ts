// startEnv()'s default: the environment in a worker thread (from the built package: the worker
// loads dist/cli-bundle/thread-host.js, the bundle, else dist/env/thread-host.js), every Env member working across the boundary (rpc.ts), and the
// server serving while the test's thread is blocked: a synchronous execFileSync('kubectl'), a
// CPU-bound loop. stop() leaves nothing behind.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../src/env/index.js';

const DIST = path.resolve(__dirname, '../../dist/index.js');
type Dist = typeof import('../../src/index.js');

describe('startEnv() runs the server off the test thread by default', () => {
  let env: Env;
  let dist: Dist;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kapi-thread-test-'));
  beforeAll(async () => {
    dist = (await import(DIST)) as Dist;
    env = await dist.startEnv({ storage: 'memory' });
  });
  afterAll(async () => {
    await env?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('serves a synchronous kubectl', () => {
    // Inline, this call would block the only thread the server has, and hang.
    const out = execFileSync('kubectl', ['--kubeconfig', env.kubeconfigPath, 'create', 'configmap', 'sync', '-o', 'name'], {
      timeout: 30_000,
    });
    expect(out.toString().trim()).toBe('configmap/sync');
  });

  it('delivers watch events while the test thread spins on the CPU', () => {
    const file = path.join(tmp, 'watch.out');
    const kubectl = `kubectl --kubeconfig ${env.kubeconfigPath} -n default`;
    const watcher = spawn('sh', ['-c', `exec ${kubectl} get configmaps -w -o name > ${file}`], { stdio: 'ignore' });
    const creator = spawn('sh', ['-c', `${kubectl} create configmap during`], { stdio: 'ignore' });
    try {
      // Busy for at least 2 s and until the watcher has the event: no turn of this thread's event loop meanwhile.
      const start = Date.now();
      let seen = 0;
      while (Date.now() - start < 2000 || (!seen && Date.now() - start < 30_000)) {
        if (!seen && existsSync(file) && readFileSync(file, 'utf8').includes('configmap/during')) seen = Date.now() - start;
      }
      expect(seen, 'the watch event reached kubectl while the test thread was busy').toBeGreaterThan(0);
    } finally {
      watcher.kill();
      creator.kill();
    }
  });

  it('answers the synchronous members synchronously: requests(), permissionsUsed(), faults, clock', async () => {
    const created = env.requests({ verb: 'create', resource: 'configmaps' }).map((e) => e.name);
    expect(created).toContain('sync');
    expect(env.permissionsUsed('kubernetes-admin').user).toBe('kubernetes-admin');

    const fault = env.faults.add({ verb: 'get', resource: 'namespaces', error: 409, times: 1 });
    expect(fault).toMatchObject({ id: expect.any(Number), hits: 0, error: 409 });
    expect(env.faults.list()).toHaveLength(1);
    const c = env.client();
    try {
      expect((await c.get('/api/v1/namespaces/default')).status).toBe(409);
      expect((await c.get('/api/v1/namespaces/default')).status).toBe(200);
    } finally {
      await c.close();
    }
    env.faults.clear();
    expect(env.faults.list()).toEqual([]);
    // A thrown error keeps its class and message across.
    expect(() => env.faults.add({ verb: 'get' })).toThrow(new TypeError('invalid fault: a fault needs an error or a latencyMs'));

    const before = env.clock.now();
    env.clock.advance(3_600_000);
    expect(env.clock.now() - before).toBeGreaterThanOrEqual(3_600_000);
    expect(env.clock.simulated).toBe(false);
    expect(() => env.clock.advance(-1)).toThrow(RangeError);
  });

  it('keeps in-process admission handlers on the test thread, called by the server in the worker', async () => {
    const threads = new Set<number>();
    const { threadId } = await import('node:worker_threads');
    const reg = await env.webhooks.validate({
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
      handler: (review) => {
        threads.add(threadId);
        return review.request.object?.metadata?.name === 'refused'
          ? { allowed: false, status: { code: 403, message: 'not this one' } }
          : { allowed: true };
      },
    });
    const c = env.client();
    try {
      const cm = (name: string) =>
        c.post('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
      expect((await cm('admitted')).status).toBe(201);
      const refused = await cm('refused');
      expect(refused.status).toBe(403);
      expect(refused.body.message).toBe(`admission webhook "${reg.name}" denied the request: not this one`);
      expect([...threads]).toEqual([threadId]);
      await reg.remove();
      expect((await cm('refused')).status).toBe(201);
    } finally {
      await c.close();
    }
  });

  it('resets, snapshots and restores over the boundary; metrics() is async', async () => {
    const c = env.client();
    try {
      const id = await env.snapshot();
      expect(id).toMatch(/^snapshot-/);
      await env.reset();
      expect((await c.get('/api/v1/namespaces/default/configmaps/sync')).status).toBe(404);
      await env.restore(id);
      expect((await c.get('/api/v1/namespaces/default/configmaps/sync')).status).toBe(200);
      await expect(env.restore('nope')).rejects.toThrow('restore: no snapshot "nope"');
      expect(await env.metrics()).toContain('apiserver_request_total');
    } finally {
      await c.close();
    }
    expect(await env.waitFor({ apiVersion: 'v1', kind: 'Namespace', name: 'default' }, (o) => o !== undefined)).toBeTruthy();
  });

  it('stops clean: the temp dir removed, the worker gone, later calls refused', async () => {
    const report = await env.stop();
    expect(report.removed.length).toBeGreaterThan(0);
    for (const dir of report.removed) expect(existsSync(dir)).toBe(false);
    expect(() => env.requests()).toThrow(/worker thread/);
  });

  it('runs inline on request (serverThread: inline): the server objects themselves', async () => {
    const inline = await dist.startEnv({ storage: 'memory', serverThread: 'inline' });
    try {
      expect(inline.faults.constructor.name).toBe('FaultInjector');
      expect(Object.getPrototypeOf(env.faults)).toBe(Object.prototype);
    } finally {
      await inline.stop();
    }
  });

  it('starts from a process with per-process Node options a worker refuses (--expose-gc)', async () => {
    const script = `const m = await import(${JSON.stringify(DIST)}); const e = await m.startEnv({ storage: 'memory' });
      const worker = Object.getPrototypeOf(e.faults) === Object.prototype; await e.stop(); console.log(worker ? 'worker' : 'inline');`;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      let err = '';
      child.stdout.on('data', (d) => (text += d));
      child.stderr.on('data', (d) => (err += d));
      child.once('exit', (code) => (code === 0 ? resolve(text.trim()) : reject(new Error(`exit ${code}: ${err}`))));
    });
    expect(out).toBe('worker');
  });
});
