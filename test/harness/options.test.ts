// envtest's options: USE_EXISTING_CLUSTER, start timeouts, the request log
// (KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT / log / --v=2), --kube-version.

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Env, startEnv } from '../../src/env/index.js';
import { FlagError, parseServeFlags } from '../../src/server/config.js';
import { etcdBinary } from '../helpers/backends.js';
import { kubectl } from '../helpers/env.js';

const KB = path.resolve(__dirname, '../../fixtures/kubebuilder/config');

function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) v === undefined ? delete process.env[k] : (process.env[k] = v);
  return fn().finally(() => {
    for (const [k, v] of Object.entries(saved)) v === undefined ? delete process.env[k] : (process.env[k] = v);
  });
}

describe('USE_EXISTING_CLUSTER', () => {
  let first: Env;
  beforeAll(async () => {
    first = await startEnv({ storage: 'memory' });
  });
  afterAll(() => first?.stop());

  it('uses the cluster in KUBECONFIG, loads the fixtures into it, and stops nothing', async () => {
    const second = await withEnv({ USE_EXISTING_CLUSTER: 'true', KUBECONFIG: first.kubeconfigPath }, () =>
      startEnv({ storage: 'memory', crds: [path.join(KB, 'crd')], manifests: [path.join(KB, 'samples')] }),
    );
    expect(second.storage).toBe('existing');
    expect(second.server).toBe(first.server);
    expect(second.kubeconfigPath).toBe(first.kubeconfigPath);
    await second.stop();
    // The fixtures are in the first environment, which is still serving.
    const r = await kubectl(first.kubeconfigPath, ['get', 'cronjobs.batch.tutorial.kubebuilder.io', '-o', 'name']);
    expect(r.stdout.trim()).toBe('cronjob.batch.tutorial.kubebuilder.io/cronjob-sample');
    const c = second.client();
    expect((await c.get('/api/v1/namespaces/default')).status).toBe(200);
    await c.close();
  });

  it('an unreadable KUBECONFIG is said in one line', async () => {
    await expect(withEnv({ USE_EXISTING_CLUSTER: 'true', KUBECONFIG: '/nonexistent/kc' }, () => startEnv())).rejects.toThrow(
      'USE_EXISTING_CLUSTER: kubeconfig /nonexistent/kc cannot be read',
    );
  });
});

describe('start timeout', () => {
  it('KUBEBUILDER_CONTROLPLANE_START_TIMEOUT bounds a start', async () => {
    await expect(withEnv({ KUBEBUILDER_CONTROLPLANE_START_TIMEOUT: '1ms' }, () => startEnv({ storage: 'memory' }))).rejects.toThrow(
      'the control plane did not start within 1 ms',
    );
  });
});

describe('request log, --kube-version', () => {
  let env: Env;
  const lines: string[] = [];
  beforeAll(async () => {
    env = await startEnv({ storage: 'memory', kubeVersion: 'v1.32.3', log: (l) => lines.push(l) });
  });
  afterAll(() => env?.stop());

  it('logs one kube-style line per request: verb, URI, user, status, latency', async () => {
    const c = env.client();
    await c.get('/api/v1/namespaces/nope');
    await c.close();
    await new Promise((r) => setTimeout(r, 20));
    const line = lines.find((l) => l.includes('URI="/api/v1/namespaces/nope"'));
    expect(line).toMatch(
      /^"HTTP" verb="GET" URI="\/api\/v1\/namespaces\/nope" latency="\d+\.\d{3}ms" userAgent="[^"]*" user="[^"]+" audit-ID="[0-9a-f-]+" srcIP="127\.0\.0\.1:\d+" resp=404$/,
    );
  });

  it('/version advertises the chosen 1.32 release with build metadata; kubectl reads it', async () => {
    const c = env.client();
    const v = await c.get<{ gitVersion: string; major: string; minor: string }>('/version');
    await c.close();
    expect(v.body).toMatchObject({ gitVersion: 'v1.32.3+kapi-env', major: '1', minor: '32' });
    const k = await kubectl(env.kubeconfigPath, ['version', '-o', 'json']);
    expect(k.code).toBe(0);
    expect(JSON.parse(k.stdout).serverVersion.gitVersion).toBe('v1.32.3+kapi-env');
    expect(k.stderr).toBe('');
  });

  it('refuses a version the server does not implement', async () => {
    const e = await startEnv({ storage: 'memory', kubeVersion: '1.29' }).catch((x) => x);
    expect(e).toBeInstanceOf(FlagError);
    expect(e.message).toBe('--kube-version 1.29: this server implements Kubernetes 1.32 only (pass v1.32.N)');
  });
});

describe.skipIf(!etcdBinary)('attached output with etcd', () => {
  it("streams etcd's own log beside the request log", async () => {
    const lines: string[] = [];
    const env = await startEnv({ storage: 'etcd', log: (l) => lines.push(l) });
    const c = env.client();
    await c.get('/api/v1/namespaces');
    await c.close();
    await env.stop();
    expect(lines.some((l) => l.startsWith('etcd: '))).toBe(true);
    expect(lines.some((l) => l.startsWith('"HTTP" verb='))).toBe(true);
  });
});

describe('server flags', () => {
  it('--v / -v set the verbosity; an unknown flag is one FlagError naming it', () => {
    expect(parseServeFlags(['v=2'], { inlineValues: true }).verbosity).toBe(2);
    expect(parseServeFlags(['-v=3']).verbosity).toBe(3);
    expect(parseServeFlags(['--v', '4']).verbosity).toBe(4);
    expect(() => parseServeFlags(['no-such-flag=1'], { inlineValues: true })).toThrow(new FlagError('unknown flag: --no-such-flag'));
    expect(() => parseServeFlags(['--v=x'])).toThrow('invalid argument "x" for "-v, --v" flag');
  });
});
