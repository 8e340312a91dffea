// The official Python client (Debian's python3-kubernetes) against the server.

import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useEnv } from '../helpers/env.js';

let available = false;
try {
  execFileSync('/usr/bin/python3', ['-c', 'import kubernetes'], { stdio: 'ignore' });
  available = true;
} catch {
  console.warn(
    '[kapi-env tests] /usr/bin/python3 has no kubernetes module (apt-get install python3-kubernetes): the Python client suite is skipped',
  );
}

/**
 * The groups kube-apiserver 1.32 serves at /apis for the built-in catalog (core excluded), in its order: the
 * aggregator lists apiregistration.k8s.io first, then one group per APIService sorted by
 * groupPriorityMinimum descending, ties by APIService name (v1.admissionregistration.k8s.io before
 * v1.apiextensions.k8s.io, both 16700). Priorities from kube's apiVersionPriorities
 * (pkg/controlplane/apiserver/aggregator.go and its kube-apiserver additions).
 */
const SERVED_GROUPS = [
  'apiregistration.k8s.io', // first, the aggregator's own
  'apps', // 17800
  'events.k8s.io', // 17750
  'authentication.k8s.io', // 17700
  'authorization.k8s.io', // 17600
  'autoscaling', // 17500
  'batch', // 17400
  'certificates.k8s.io', // 17300
  'networking.k8s.io', // 17200
  'policy', // 17100
  'rbac.authorization.k8s.io', // 17000
  'storage.k8s.io', // 16800
  'admissionregistration.k8s.io', // 16700
  'apiextensions.k8s.io', // 16700
  'scheduling.k8s.io', // 16600
  'coordination.k8s.io', // 16500
  'node.k8s.io', // 16300
  'discovery.k8s.io', // 16200
  'flowcontrol.apiserver.k8s.io', // 16100
];

describe.skipIf(!available)('Python client', () => {
  const s = useEnv('memory');

  it('lists, creates, reads, watches and gets errors and discovery', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        '/usr/bin/python3',
        [path.resolve(__dirname, '../python/smoke.py'), s.env.kubeconfigPath],
        { timeout: 60_000 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`${err.message}\n${stderr}`));
          else resolve(stdout);
        },
      );
    });
    expect(out.split('\n').filter(Boolean)).toEqual([
      "['default', 'kube-node-lease', 'kube-public', 'kube-system']",
      "{'a': 'b'}",
      'ADDED py1',
      '404 Not Found',
      `[${SERVED_GROUPS.map((g) => `'${g}'`).join(', ')}]`,
      'CustomResourceDefinitionList',
    ]);
  });
});
