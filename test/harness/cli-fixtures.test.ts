// The CLI on a kubebuilder project: `up --crds config/crd --manifests config/samples`,
// `kapi-env reset` / `snapshot` / `restore`, `up` again over a used etcd, and
// usage errors in one line with exit 2 (needs `npm run build`).

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type EtcdProcess, startNativeEtcd } from '../../src/etcd/index.js';
import { etcdBinary } from '../helpers/backends.js';
import { kubectl } from '../helpers/env.js';

const BIN = path.resolve(__dirname, '../../bin/kapi-env.js');
const KB = path.resolve(__dirname, '../../fixtures/kubebuilder');
const work = mkdtempSync(path.join(os.tmpdir(), 'kapi-env-clifix-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: KB, env: { ...process.env, ...env }, timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('kapi-env CLI with a kubebuilder project', () => {
  it('up loads config/crd (kustomization, patches) and config/samples; reset, snapshot and restore reach it', async () => {
    const state = path.join(work, 'kb');
    const kc = path.join(state, 'kubeconfig');
    const up = await run([
      'up',
      '--storage',
      'memory',
      '--detach',
      '--json',
      '--state-dir',
      state,
      '--kubeconfig',
      kc,
      '--crds',
      'config/crd',
      '--manifests',
      'config/rbac',
      '--manifests',
      'config/samples',
    ]);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    try {
      const cj = await kubectl(kc, ['get', 'cronjobs.batch.tutorial.kubebuilder.io', '-o', 'name']);
      expect(cj.stdout.trim()).toBe('cronjob.batch.tutorial.kubebuilder.io/cronjob-sample');
      const ann = await kubectl(kc, ['get', 'crd', 'cronjobs.batch.tutorial.kubebuilder.io', '-o', 'jsonpath={.metadata.annotations}']);
      expect(ann.stdout).toContain('cert-manager.io/inject-ca-from');
      expect((await kubectl(kc, ['create', 'configmap', 'scratch'])).code).toBe(0);
      const snap = await run(['snapshot', '--state-dir', state]);
      expect(snap.code).toBe(0);
      const id = snap.stdout.trim();
      expect(id).toMatch(/^snapshot-\d+$/);
      const reset = await run(['reset', '--state-dir', state]);
      expect(reset.code).toBe(0);
      expect(reset.stdout).toMatch(/^reset in [\d.]+ ms\n$/);
      expect((await kubectl(kc, ['get', 'configmap', 'scratch'])).code).not.toBe(0);
      expect((await kubectl(kc, ['get', 'cronjobs.batch.tutorial.kubebuilder.io', 'cronjob-sample', '-o', 'name'])).code).toBe(0);
      const restore = await run(['restore', id, '--state-dir', state]);
      expect(restore.code).toBe(0);
      expect((await kubectl(kc, ['get', 'configmap', 'scratch', '-o', 'name'])).stdout.trim()).toBe('configmap/scratch');
      const bad = await run(['restore', 'nope', '--state-dir', state]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toBe('kapi-env: restore: no snapshot "nope" (ids come from env.snapshot())\n');
    } finally {
      expect((await run(['down', '--state-dir', state])).code).toBe(0);
    }
    const gone = await run(['reset', '--state-dir', state]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`kapi-env: no running environment at ${state}`);
  });

  it('usage errors are one line and exit 2: an unknown --apiserver-arg, a missing --crds path, bad fixture input', async () => {
    const unknown = await run(['up', '--storage', 'memory', '--apiserver-arg', 'no-such-flag=1', '--state-dir', path.join(work, 'u1')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('kapi-env: unknown flag: --no-such-flag\n');
    const malformed = await run(['up', '--storage', 'memory', '--apiserver-arg', 'secure-port=http', '--state-dir', path.join(work, 'u2')]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toBe('kapi-env: invalid argument "http" for "--secure-port" flag\n');
    const missing = await run(['up', '--storage', 'memory', '--crds', 'config/nope', '--state-dir', path.join(work, 'u3')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.split('\n').filter(Boolean)).toEqual([
      'kapi-env: fixture path config/nope does not exist: pass an existing file or directory (or --crds-error-if-missing=false)',
    ]);
    const dur = await run(['up', '--storage', 'memory', '--crd-wait-timeout', 'soon', '--state-dir', path.join(work, 'u4')]);
    expect(dur.code).toBe(2);
    expect(dur.stderr).toBe('kapi-env: invalid argument "soon" for "--crd-wait-timeout" flag: time: invalid duration "soon"\n');
  });

  it.skipIf(!etcdBinary)('up again over a used etcd updates the CRDs and objects instead of failing', async () => {
    const etcd: EtcdProcess = await startNativeEtcd({ binary: etcdBinary! });
    try {
      for (const round of [1, 2]) {
        const state = path.join(work, `re${round}`);
        const up = await run([
          'up',
          '--etcd-servers',
          etcd.endpoint,
          '--detach',
          '--state-dir',
          state,
          '--kubeconfig',
          path.join(state, 'kc'),
          '--crds',
          'config/crd',
          '--manifests',
          'config/samples',
        ]);
        expect(up.stderr).toBe('');
        expect(up.code, `round ${round}`).toBe(0);
        expect((await run(['down', '--state-dir', state])).code).toBe(0);
      }
    } finally {
      await etcd.stop();
    }
  });
});
