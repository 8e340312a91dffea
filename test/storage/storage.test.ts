import { afterAll, beforeAll, describe } from 'vitest';
import { type EtcdProcess, startNativeEtcd } from '../../src/etcd/index.js';
import { EtcdBackend } from '../../src/server/storage/etcd/index.js';
import { createStorage } from '../../src/server/storage/factory.js';
import { MemoryBackend } from '../../src/server/storage/memory/index.js';
import { etcdBinary } from '../helpers/backends.js';
import { runBackendConformance, runStorageConformance } from './conformance.js';

runBackendConformance('memory', async () => new MemoryBackend());
runStorageConformance('memory', () => createStorage({ kind: 'memory' }));

describe.skipIf(!etcdBinary)('etcd backend', () => {
  let etcd: EtcdProcess;
  beforeAll(async () => {
    etcd = await startNativeEtcd({ binary: etcdBinary! });
  });
  afterAll(async () => {
    await etcd?.stop();
  });
  runBackendConformance('etcd', async () => new EtcdBackend({ endpoints: [etcd.endpoint] }));
  runStorageConformance('etcd', () => createStorage({ kind: 'etcd', endpoints: [etcd.endpoint] }));
});
