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
      "['apiextensions.k8s.io', 'coordination.k8s.io']",
      'CustomResourceDefinitionList',
    ]);
  });
});
