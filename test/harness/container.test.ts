// --storage container: etcd in a Docker container through testcontainers.
// Needs a Docker engine and the local image .ci/docker-etcd-image.sh builds
// (no registry is reachable here); skips visibly without them.

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { startEnv } from '../../src/env/index.js';
import { dockerAvailable } from '../../src/etcd/index.js';
import { kubectl } from '../helpers/env.js';

const docker = await dockerAvailable();
let image = false;
if (docker) {
  try {
    execFileSync('docker', ['image', 'inspect', 'kapi-env/etcd:local'], { stdio: 'ignore' });
    image = true;
  } catch {
    image = false;
  }
}
if (!docker || !image)
  console.warn(
    `[kapi-env tests] ${!docker ? 'no Docker engine answers' : 'image kapi-env/etcd:local missing (run .ci/docker-etcd-image.sh)'}: container storage suite skipped`,
  );

describe.skipIf(!docker || !image)('container storage', () => {
  it('starts etcd in a container, serves kubectl, and removes the container on stop', async () => {
    const env = await startEnv({ storage: 'container' });
    try {
      expect(env.storage).toBe('container');
      const r = await kubectl(env.kubeconfigPath, ['create', 'cm', 'in-container', '--from-literal=a=b']);
      expect(r.code).toBe(0);
      expect((await kubectl(env.kubeconfigPath, ['get', 'cm', 'in-container', '-o', 'name'])).stdout.trim()).toBe('configmap/in-container');
    } finally {
      await env.stop();
    }
    const left = execFileSync('docker', ['ps', '-aq', '--filter', 'ancestor=kapi-env/etcd:local'], { encoding: 'utf8' }).trim();
    expect(left).toBe('');
  });
});
