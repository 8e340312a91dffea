// One API server for the metrics-audit scenario, in its own process so its CPU time is its own: memory
// storage, metrics on or off (ServerConfig.metrics), audit at Metadata level to a file or off. Prints
// its address and credentials over IPC; answers {op:'cpu'} and {op:'stop'}.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPki } from '../../dist/pki/index.js';
import { parseServeFlags, serverConfigFromFlags } from '../../dist/server/config.js';
import { createApiServer } from '../../dist/server/index.js';
import { createStorage } from '../../dist/server/storage/factory.js';

const { metrics, audit } = JSON.parse(process.argv[2] ?? '{}');
const dir = mkdtempSync(path.join(os.tmpdir(), 'kapi-bench-audit-'));
const args = ['--storage-backend=memory', '--etcd-compaction-interval=0', '--secure-port=0', '--bind-address=127.0.0.1'];
if (audit) {
  writeFileSync(path.join(dir, 'policy.yaml'), 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n');
  args.push(`--audit-policy-file=${path.join(dir, 'policy.yaml')}`, `--audit-log-path=${path.join(dir, 'audit.log')}`);
}
const pki = await createPki();
const config = serverConfigFromFlags(parseServeFlags(args), {
  storage: await createStorage({ kind: 'memory' }),
  tls: { certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, clientCaPem: pki.ca.certPem },
});
config.authentication = { ...config.authentication, serviceAccountSigningKeyPem: pki.serviceAccount.privateKeyPem };
const server = await createApiServer({ ...config, metrics });
process.send?.({ ready: true, server: server.url, ca: pki.ca.certPem, cert: pki.admin.certPem, key: pki.admin.keyPem });
const stop = async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.on('disconnect', stop);
process.on('message', async (m) => {
  if (m?.op === 'cpu') {
    const u = process.cpuUsage();
    process.send?.({ cpuUs: u.user + u.system });
  } else if (m?.op === 'stop') await stop();
});
