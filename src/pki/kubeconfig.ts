// The admin kubeconfig: cluster, user and context all named `kapi-env`, with
// every credential embedded as *-data so the file works anywhere. Its shape is
// fixed, so it is written out directly rather than through a YAML library,
// which would cost more to load than the rest of the harness start.

import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface KubeconfigInput {
  server: string;
  caPem: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  /** A bearer token in place of the client certificate (a service account's kubeconfig). */
  token?: string;
  name?: string;
  /** The context's namespace (default `default`). */
  namespace?: string;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

// YAML 1.1 readers (go-yaml v2 behind sigs.k8s.io/yaml, kubectl's) read these plain words as booleans or null.
const RESERVED = /^(?:true|false|null|yes|no|on|off|y|n)$/i;

/** A plain scalar when it cannot be read as anything but that string, else a double-quoted one (JSON's escapes are YAML's). */
function scalar(v: string): string {
  return /^[A-Za-z][A-Za-z0-9._/@+=[\]:-]*$/.test(v) && !v.endsWith(':') && !RESERVED.test(v) ? v : JSON.stringify(v);
}

export function buildKubeconfig(i: KubeconfigInput): string {
  const name = scalar(i.name ?? 'kapi-env');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `  - name: ${name}`,
    '    cluster:',
    `      server: ${scalar(i.server)}`,
    `      certificate-authority-data: ${scalar(b64(i.caPem))}`,
    'users:',
    `  - name: ${name}`,
    '    user:',
    ...(i.token !== undefined
      ? [`      token: ${scalar(i.token)}`]
      : [
          `      client-certificate-data: ${scalar(b64(i.clientCertPem ?? ''))}`,
          `      client-key-data: ${scalar(b64(i.clientKeyPem ?? ''))}`,
        ]),
    'contexts:',
    `  - name: ${name}`,
    '    context:',
    `      cluster: ${name}`,
    `      user: ${name}`,
    `      namespace: ${scalar(i.namespace ?? 'default')}`,
    `current-context: ${name}`,
    'preferences: {}',
    '',
  ].join('\n');
}

export async function writeKubeconfig(file: string, yaml: string, opts: { createDir?: boolean } = {}): Promise<void> {
  if (opts.createDir !== false) await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, yaml, { mode: 0o600 });
  await chmod(file, 0o600);
}
