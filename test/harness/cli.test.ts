// The kapi-env CLI as a user runs it: up (foreground and --detach), status,
// env, down, serve; exit codes; and proof that nothing is left behind.

import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/process/index.js';
import { etcdBinary } from '../helpers/backends.js';
import { kubectl } from '../helpers/env.js';
import { until } from '../helpers/until.js';

const BIN = path.resolve(__dirname, '../../bin/kapi-env.js');
const FIXTURES = path.resolve(__dirname, '../../fixtures');
const work = mkdtempSync(path.join(os.tmpdir(), 'kapi-env-clitest-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: work, env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A private TMPDIR per test, so what an environment leaves behind is seen exactly. */
function privateTmp(): string {
  return mkdtempSync(path.join(work, 'tmp-'));
}

describe('kapi-env CLI', () => {
  it('--version prints the package version, alone or with other arguments, exit 0', async () => {
    const { version } = JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(await run(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    // Through the CLI itself (commander), the same line.
    expect(await run(['--version', '--help'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('up --detach, status, env and down (memory storage)', async () => {
    const state = path.join(work, 'detached');
    const up = await run([
      'up',
      '--storage',
      'memory',
      '--detach',
      '--state-dir',
      state,
      '--kubeconfig',
      path.join(state, 'kubeconfig'),
      '--crds',
      path.join(FIXTURES, 'crds'),
      '--manifests',
      path.join(FIXTURES, 'manifests'),
      '--json',
    ]);
    expect(up.code).toBe(0);
    const info = JSON.parse(up.stdout);
    expect(info).toMatchObject({ storage: 'memory', kubeconfig: path.join(state, 'kubeconfig') });
    expect(info.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ns = await kubectl(info.kubeconfig, ['get', 'ns', 'demo', '-o', 'name']);
    expect(ns.stdout.trim()).toBe('namespace/demo');
    const crd = await kubectl(info.kubeconfig, ['get', 'crd', '-o', 'name']);
    expect(crd.stdout.trim()).toBe('customresourcedefinition.apiextensions.k8s.io/widgets.example.com');
    expect((await run(['status', '--state-dir', state])).code).toBe(0);
    for (const f of ['ca.crt', 'admin.crt', 'admin.key']) expect(existsSync(path.join(state, f)), f).toBe(true);
    expect((await run(['env', '--state-dir', state])).stdout).toBe(`export KUBECONFIG=${info.kubeconfig}\n`);
    const down = await run(['down', '--state-dir', state]);
    expect(down.code).toBe(0);
    expect(down.stdout.trim()).toBe('stopped');
    expect(isAlive(info.pids.server)).toBe(false);
    expect((await run(['status', '--state-dir', state])).code).toBe(1);
  });

  it.skipIf(!etcdBinary)('up with native etcd stops etcd and removes its data on SIGINT', async () => {
    const tmp = privateTmp();
    const child = spawn(
      process.execPath,
      [BIN, 'up', '--storage', 'etcd', '--json', '--state-dir', path.join(work, 'fg'), '--kubeconfig', path.join(work, 'fg', 'kc')],
      { cwd: work, env: { ...process.env, TMPDIR: tmp } },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await until(() => out.includes('\n'), 30_000);
    const info = JSON.parse(out);
    expect(info.storage).toBe('etcd');
    expect(isAlive(info.pids.etcd)).toBe(true);
    expect(readdirSync(tmp).length).toBeGreaterThan(0);
    const code = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    child.kill('SIGINT');
    expect(await code).toBe(0);
    expect(isAlive(info.pids.etcd)).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it.skipIf(!etcdBinary)('a killed parent leaves no etcd and no temp dir behind', async () => {
    const tmp = privateTmp();
    const script = path.join(work, 'crash.mjs');
    writeFileSync(
      script,
      `import { startEnv } from ${JSON.stringify(path.resolve(__dirname, '../../dist/index.js'))};
const env = await startEnv({ storage: 'etcd' });
console.log(JSON.stringify(env.pids));
setInterval(() => {}, 1000);`,
    );
    const child = spawn(process.execPath, [script], { env: { ...process.env, TMPDIR: tmp } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await until(() => out.includes('\n'), 30_000);
    const pids = JSON.parse(out);
    expect(isAlive(pids.etcd)).toBe(true);
    expect(readdirSync(tmp).length).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await until(() => !isAlive(pids.etcd), 10_000);
    await until(() => readdirSync(tmp).length === 0, 10_000);
  });

  it('exits 2 on usage errors and names unknown serve flags', async () => {
    const bad = await run(['up', '--storage', 'floppy']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("argument 'floppy' is invalid");
    const serve = await run(['serve', '--storage-backend=memory', '--bogus-flag=1']);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain('unknown flag: --bogus-flag');
  });

  it('explains a missing etcd binary, a bad fixture and a busy port, exiting 1', async () => {
    const noEtcd = await run(['up', '--storage', 'etcd', '--etcd-bin', '/nonexistent/etcd', '--state-dir', path.join(work, 'x1')]);
    expect(noEtcd.code).toBe(1);
    expect(noEtcd.stderr).toContain('etcd binary not found (looked in: /nonexistent/etcd');
    expect(noEtcd.stderr).toContain('apt-get install etcd-server');
    expect(noEtcd.stderr).not.toMatch(/^\s+at /m);
    const bad = path.join(work, 'bad.yaml');
    writeFileSync(
      bad,
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: Not_Valid}\n',
    );
    const fix = await run([
      'up',
      '--storage',
      'memory',
      '--manifests',
      bad,
      '--state-dir',
      path.join(work, 'x2'),
      '--kubeconfig',
      path.join(work, 'x2', 'kc'),
    ]);
    expect(fix.code).toBe(1);
    expect(fix.stderr).toContain(`${bad}: document 1: ConfigMap Not_Valid: ConfigMap "Not_Valid" is invalid`);
    const srv = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    const port = (srv.address() as net.AddressInfo).port;
    const busy = await run([
      'up',
      '--storage',
      'memory',
      '--port',
      String(port),
      '--state-dir',
      path.join(work, 'x3'),
      '--kubeconfig',
      path.join(work, 'x3', 'kc'),
    ]);
    srv.close();
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
    expect(existsSync(path.join(work, 'x3', 'state.json'))).toBe(false);
  });
});
