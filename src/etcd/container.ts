// etcd in a container through testcontainers, for machines without an etcd binary.

import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EtcdError, waitHealthy, type EtcdProcess } from './index.js';

/** A local image built by scripts/ci/docker-etcd-image.sh; falls back to the official image name. */
export const DEFAULT_ETCD_IMAGE = process.env.KAPI_ETCD_IMAGE ?? 'kapi-env/etcd:local';

export async function dockerAvailable(): Promise<boolean> {
  const socket = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice(7) : '/var/run/docker.sock';
  if (process.env.DOCKER_HOST && !process.env.DOCKER_HOST.startsWith('unix://')) return true;
  try {
    const { request } = await import('undici');
    const res = await request('http://localhost/_ping', { socketPath: socket, headersTimeout: 1000, bodyTimeout: 1000 } as never);
    await res.body.text();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

export async function startContainerEtcd(opts: { image?: string } = {}): Promise<EtcdProcess> {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  const { GenericContainer, Wait } = await import('testcontainers');
  const image = opts.image ?? DEFAULT_ETCD_IMAGE;
  let container;
  try {
    container = await new GenericContainer(image)
      .withCommand([
        '/usr/local/bin/etcd', '--name=kapi-env', '--data-dir=/tmp/etcd',
        '--listen-client-urls=http://0.0.0.0:2379', '--advertise-client-urls=http://127.0.0.1:2379',
        '--listen-peer-urls=http://127.0.0.1:2380', '--initial-advertise-peer-urls=http://127.0.0.1:2380',
        '--initial-cluster=kapi-env=http://127.0.0.1:2380',
      ])
      .withExposedPorts(2379)
      .withWaitStrategy(Wait.forListeningPorts())
      .withStartupTimeout(60_000)
      .start();
  } catch (e) {
    throw new EtcdError(`could not start the etcd container from image ${image}: ${(e as Error).message.split('\n')[0]}`,
      'build the local image with scripts/ci/docker-etcd-image.sh, or pass --etcd-image');
  }
  const endpoint = `http://${container.getHost()}:${container.getMappedPort(2379)}`;
  await waitHealthy(endpoint, 30_000);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'kapi-env-container-'));
  let stopped: Promise<{ killed: boolean }> | undefined;
  return {
    endpoint,
    dataDir,
    stop: () => (stopped ??= (async () => {
      await container.stop({ timeout: 3, remove: true });
      const { rm } = await import('node:fs/promises');
      await rm(dataDir, { recursive: true, force: true });
      return { killed: false };
    })()),
  };
}
