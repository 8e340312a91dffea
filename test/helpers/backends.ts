// Which storage backends the suites run on: memory always; etcd when a binary is found.

import { findEtcdBinary } from '../../src/etcd/index.js';

export const etcdBinary = findEtcdBinary().path;

export const BACKENDS: Array<'memory' | 'etcd'> = etcdBinary ? ['memory', 'etcd'] : ['memory'];

if (!etcdBinary) {
  console.warn('[kapi-env tests] etcd not found (apt-get install etcd-server, or set KAPI_ETCD_BIN): etcd-backed suites are skipped');
}
