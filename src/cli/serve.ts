// `kapi-env serve`: the API server alone, configured with kube-apiserver's flags.

import { compileCacheReady } from '../env/compile-cache.js';
import { createPki } from '../pki/index.js';
import { FlagError, parseServeFlags, readFlagFiles, serverConfigFromFlags, serveUsage } from '../server/config.js';
import { createApiServer } from '../server/index.js';
import { createStorage } from '../server/storage/factory.js';

export async function runServe(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(serveUsage());
    return 0;
  }
  const flags = parseServeFlags(argv);
  if (flags.storageBackend === 'etcd3' && flags.etcdServers.length === 0) {
    throw new FlagError('--etcd-servers must be specified (or pass --storage-backend=memory)');
  }
  const files = await readFlagFiles(flags);
  // Like kube-apiserver without --tls-cert-file: a self-signed serving certificate.
  const serving = files.serving ?? (await createPki({ hosts: [flags.bindAddress] })).serving;
  const storage =
    flags.storageBackend === 'memory'
      ? await createStorage({ kind: 'memory' })
      : await createStorage({ kind: 'etcd', endpoints: flags.etcdServers, prefix: flags.etcdPrefix, tls: files.etcdTls });
  const server = await createApiServer(
    serverConfigFromFlags(flags, {
      storage,
      tls: { certPem: serving.certPem, keyPem: serving.keyPem, clientCaPem: files.clientCaPem ?? '' },
    }),
  );
  process.stdout.write(`Serving securely on ${flags.bindAddress}:${server.port}\n`);
  compileCacheReady();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
  await storage.close();
  return 0;
}
