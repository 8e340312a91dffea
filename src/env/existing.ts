// envtest's UseExistingCluster (USE_EXISTING_CLUSTER=true): no control plane is
// started; the cluster of KUBECONFIG's current context is used, and the
// fixtures are still loaded into it. stop() leaves the cluster as it is.

import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ClientCredentials } from './client.js';

export class KubeconfigError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'FixtureError';
  }
}

export interface ExistingCluster {
  kubeconfigPath: string;
  kubeconfig: string;
  creds: ClientCredentials;
}

/** The kubeconfig envtest's loader would pick: the first KUBECONFIG entry, else ~/.kube/config. */
export function defaultKubeconfigPath(): string {
  const first = (process.env.KUBECONFIG ?? '').split(path.delimiter).find(Boolean);
  return path.resolve(first ?? path.join(os.homedir(), '.kube', 'config'));
}

type Named<T> = { name: string } & T;
interface Kubeconfig {
  'current-context'?: string;
  clusters?: Named<{ cluster?: Record<string, string | boolean | undefined> }>[];
  users?: Named<{ user?: Record<string, string | undefined> }>[];
  contexts?: Named<{ context?: { cluster?: string; user?: string } }>[];
}

/** The server and credentials of the kubeconfig's current context (certificate data or files, or a bearer token). */
export async function readExistingCluster(file = defaultKubeconfigPath()): Promise<ExistingCluster> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new KubeconfigError(`USE_EXISTING_CLUSTER: kubeconfig ${file} cannot be read: set KUBECONFIG to the cluster's kubeconfig`);
  }
  const { parse } = await import('yaml');
  const kc = (parse(text) ?? {}) as Kubeconfig;
  const ctxName = kc['current-context'];
  const ctx = kc.contexts?.find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new KubeconfigError(`${file}: field current-context: context "${ctxName ?? ''}" not found`);
  const cluster = kc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster || typeof cluster.server !== 'string') throw new KubeconfigError(`${file}: cluster "${ctx.cluster ?? ''}" has no server`);
  const user = kc.users?.find((u) => u.name === ctx.user)?.user ?? {};
  const base = path.dirname(file);
  const pem = async (data: unknown, ref: unknown): Promise<string> => {
    if (typeof data === 'string' && data) return Buffer.from(data, 'base64').toString('utf8');
    if (typeof ref === 'string' && ref) return readFile(path.resolve(base, ref), 'utf8');
    return '';
  };
  const [caPem, certPem, keyPem] = await Promise.all([
    pem(cluster['certificate-authority-data'], cluster['certificate-authority']),
    pem(user['client-certificate-data'], user['client-certificate']),
    pem(user['client-key-data'], user['client-key']),
  ]);
  const token = user.token ?? (user.tokenFile ? (await readFile(path.resolve(base, user.tokenFile), 'utf8')).trim() : undefined);
  return { kubeconfigPath: file, kubeconfig: text, creds: { server: cluster.server.replace(/\/$/, ''), caPem, certPem, keyPem, token } };
}
