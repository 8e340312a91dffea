import { afterAll, beforeAll, describe } from 'vitest';
import { startNativeEtcd, type EtcdProcess } from '../../src/etcd/index.js';
import { createStorage } from '../../src/server/storage/factory.js';
import { etcdBinary } from '../helpers/backends.js';
import { runStorageConformance } from './conformance.js';

runStorageConformance('memory', () => createStorage({ kind: 'memory' }));

describe.skipIf(!etcdBinary)('etcd backend', () => {
  let etcd: EtcdProcess;
  beforeAll(async () => {
    etcd = await startNativeEtcd({ binary: etcdBinary! });
  });
  afterAll(async () => {
    await etcd?.stop();
  });
  runStorageConformance('etcd', () => createStorage({ kind: 'etcd', endpoints: [etcd.endpoint] }));
});
