// `kapi-env serve`: the API server alone, configured with kube-apiserver's flags.

import { readFile } from 'node:fs/promises';
import { createPki } from '../pki/index.js';
import { createApiServer } from '../server/index.js';
import { parseServeFlags, FlagError } from '../server/config.js';
import { createStorage } from '../server/storage/factory.js';
import type { Storage } from '../server/storage/interface.js';

export async function runServe(argv: string[]): Promise<number> {
  const flags = parseServeFlags(argv);
  if (flags.storageBackend === 'etcd3' && flags.etcdServers.length === 0) {
    throw new FlagError('--etcd-servers must be specified (or pass --storage-backend=memory)');
  }
  if (!!flags.tlsCertFile !== !!flags.tlsPrivateKeyFile)
    throw new FlagError('--tls-cert-file and --tls-private-key-file must be given together');
  let certPem: string;
  let keyPem: string;
  if (flags.tlsCertFile) {
    certPem = await readFile(flags.tlsCertFile, 'utf8');
    keyPem = await readFile(flags.tlsPrivateKeyFile!, 'utf8');
  } else {
    // Like kube-apiserver without --tls-cert-file: a self-signed serving certificate.
    const pki = await createPki({ hosts: [flags.bindAddress] });
    certPem = pki.serving.certPem;
    keyPem = pki.serving.keyPem;
  }
  const clientCaPem = flags.clientCaFile ? await readFile(flags.clientCaFile, 'utf8') : '';
  let storage: Storage;
  if (flags.storageBackend === 'memory') storage = await createStorage({ kind: 'memory' });
  else {
    const tls =
      flags.etcdCafile || flags.etcdCertfile
        ? {
            ca: flags.etcdCafile ? await readFile(flags.etcdCafile) : undefined,
            cert: flags.etcdCertfile ? await readFile(flags.etcdCertfile) : undefined,
            key: flags.etcdKeyfile ? await readFile(flags.etcdKeyfile) : undefined,
          }
        : undefined;
    storage = await createStorage({ kind: 'etcd', endpoints: flags.etcdServers, prefix: flags.etcdPrefix, tls });
  }
  const server = await createApiServer({
    storage,
    tls: { certPem, keyPem, clientCaPem },
    bindAddress: flags.bindAddress,
    port: flags.securePort,
    watchCache: flags.watchCache,
    watchCacheSize: flags.watchCacheSize,
    minRequestTimeoutS: flags.minRequestTimeoutS,
    requestTimeoutMs: flags.requestTimeoutMs,
    compactionIntervalMs: flags.etcdCompactionIntervalMs,
  });
  process.stdout.write(`Serving securely on ${flags.bindAddress}:${server.port}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
  await storage.close();
  return 0;
}
