// The admin kubeconfig: cluster, user and context all named `kapi-env`, with
// every credential embedded as *-data so the file works anywhere.

import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigInput {
  server: string;
  caPem: string;
  clientCertPem: string;
  clientKeyPem: string;
  name?: string;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

export function buildKubeconfig(i: KubeconfigInput): string {
  const name = i.name ?? 'kapi-env';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: i.server, 'certificate-authority-data': b64(i.caPem) } }],
    users: [{ name, user: { 'client-certificate-data': b64(i.clientCertPem), 'client-key-data': b64(i.clientKeyPem) } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  }, { lineWidth: 0 });
}

export async function writeKubeconfig(file: string, yaml: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, yaml, { mode: 0o600 });
  await chmod(file, 0o600);
}
