// etcd in a container through testcontainers, for machines without an etcd binary.

import type { StartedTestContainer } from 'testcontainers';
import { waitHealthy } from './health.js';
import { SINGLE_MEMBER_RAFT } from './spawn.js';
import { EtcdError, type EtcdProcess } from './types.js';

/** A local image built by .ci/docker-etcd-image.sh; falls back to the official image name. */
export const DEFAULT_ETCD_IMAGE = process.env.KAPI_ETCD_IMAGE ?? 'kapi-env/etcd:local';

export async function dockerAvailable(): Promise<boolean> {
  const socket = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice(7) : '/var/run/docker.sock';
  if (process.env.DOCKER_HOST && !process.env.DOCKER_HOST.startsWith('unix://')) return true;
  const { Agent, request } = await import('undici');
  const agent = new Agent({ connect: { socketPath: socket, timeout: 1000 } });
  try {
    const res = await request('http://localhost/_ping', { dispatcher: agent, headersTimeout: 1000, bodyTimeout: 1000 });
    await res.body.text();
    return res.statusCode === 200;
  } catch {
    return false;
  } finally {
    await agent.destroy();
  }
}

export async function startContainerEtcd(opts: { image?: string } = {}): Promise<EtcdProcess> {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  const { GenericContainer, Wait } = await import('testcontainers');
  const image = opts.image ?? DEFAULT_ETCD_IMAGE;
  let container: StartedTestContainer;
  try {
    container = await new GenericContainer(image)
      .withEntrypoint(['/usr/local/bin/etcd'])
      .withCommand([
        '--name=kapi-env',
        '--data-dir=/tmp/etcd',
        '--listen-client-urls=http://0.0.0.0:2379',
        '--advertise-client-urls=http://127.0.0.1:2379',
        '--listen-peer-urls=http://127.0.0.1:2380',
        '--initial-advertise-peer-urls=http://127.0.0.1:2380',
        '--initial-cluster=kapi-env=http://127.0.0.1:2380',
        ...SINGLE_MEMBER_RAFT,
      ])
      .withExposedPorts(2379)
      // A FROM-scratch image has no shell for port probes: wait for etcd's own log line, then its health endpoint.
      .withWaitStrategy(Wait.forLogMessage(/serv(e|ing) (insecure )?client requests/i))
      .withStartupTimeout(60_000)
      .start();
  } catch (e) {
    throw new EtcdError(
      `could not start the etcd container from image ${image}: ${(e as Error).message.split('\n')[0]}`,
      'build the local image with .ci/docker-etcd-image.sh, or pass --etcd-image',
    );
  }
  const endpoint = `http://${container.getHost()}:${container.getMappedPort(2379)}`;
  try {
    await waitHealthy(endpoint, 30_000);
  } catch (e) {
    await container.stop({ timeout: 1, remove: true });
    throw e;
  }
  let stopped: Promise<{ killed: boolean }> | undefined;
  return {
    endpoint,
    // The data lives inside the container and goes with it.
    dataDir: '',
    containerId: container.getId(),
    stop: () =>
      (stopped ??= (async () => {
        await container.stop({ timeout: 3, remove: true });
        return { killed: false };
      })()),
  };
}
