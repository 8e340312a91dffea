// Per-identity clients for tests, as envtest's AddUser: a user with a client
// certificate signed by the environment's CA, a service account's token from
// TokenRequest, and a kubeconfig (file and YAML) plus a REST client for either.
// What each identity may do is what RBAC grants it.

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { type CertificateAuthority, signClientCert } from '../pki/index.js';
import { buildKubeconfig, writeKubeconfig } from '../pki/kubeconfig.js';
import { type ClientCredentials, RestClient } from './client.js';

export interface UserOptions {
  name: string;
  groups?: string[];
}

export interface UserCredentials {
  kubeconfigPath: string;
  /** The kubeconfig's YAML. */
  kubeconfig: string;
  /** A REST client acting as this identity (close it when done). */
  client: RestClient;
}

export interface ServiceAccountTokenOptions {
  /** Default: the API audiences. */
  audiences?: string[];
  /** Default 3600 (kube's minimum is 600). */
  expirationSeconds?: number;
}

export interface UserHelpers {
  /** A user with a client certificate (CN = name, O = each group) signed by the cluster CA, like envtest's AddUser. */
  addUser(user: UserOptions): Promise<UserCredentials>;
  /** A bound token for a ServiceAccount, from its `token` subresource (kubectl create token). */
  serviceAccountToken(namespace: string, name: string, options?: ServiceAccountTokenOptions): Promise<string>;
  /** A kubeconfig (and client) authenticating as a ServiceAccount with a fresh token: `{ serviceAccount: 'ns/name' }`. */
  kubeconfigFor(identity: { serviceAccount: string } & ServiceAccountTokenOptions): Promise<UserCredentials & { token: string }>;
}

export interface UserHelpersContext {
  admin: ClientCredentials;
  /** The CA that signs client certificates; absent on an existing cluster. */
  authority?: CertificateAuthority;
  /** Where kubeconfigs are written. */
  dir: string;
}

/** A file name from an identity: what is safe in a path, plus a few random characters so names never collide. */
function fileName(identity: string): string {
  return `kubeconfig-${identity.replace(/[^A-Za-z0-9._-]+/g, '_')}-${randomBytes(3).toString('hex')}`;
}

export async function requestServiceAccountToken(
  client: RestClient,
  namespace: string,
  name: string,
  options: ServiceAccountTokenOptions = {},
): Promise<string> {
  const spec: Record<string, unknown> = {};
  if (options.audiences?.length) spec.audiences = options.audiences;
  if (options.expirationSeconds !== undefined) spec.expirationSeconds = options.expirationSeconds;
  const res = await client.post<{ status?: { token?: string }; message?: string }>(
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(name)}/token`,
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec },
  );
  const token = res.body.status?.token;
  if (res.status !== 201 || !token) throw new Error(`token for ${namespace}/${name}: ${res.body.message ?? res.text}`);
  return token;
}

export function userHelpers(ctx: UserHelpersContext): UserHelpers {
  const write = async (identity: string, yaml: string): Promise<string> => {
    const file = path.join(ctx.dir, fileName(identity));
    try {
      // Into the environment's directory as it is: a write after (or while) the environment stops must not
      // make its removed temp dir again.
      await writeKubeconfig(file, yaml, { createDir: false });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      throw new Error(`kubeconfig for ${identity}: the environment is stopped (its directory ${ctx.dir} is gone)`);
    }
    return file;
  };
  const admin = (): RestClient => new RestClient(ctx.admin);
  const serviceAccountToken = async (namespace: string, name: string, options?: ServiceAccountTokenOptions): Promise<string> => {
    const client = admin();
    try {
      return await requestServiceAccountToken(client, namespace, name, options);
    } finally {
      await client.close();
    }
  };
  return {
    async addUser(user) {
      if (!ctx.authority) throw new Error("addUser needs the environment's CA key, which an existing cluster does not give");
      const cert = await signClientCert(ctx.authority, { user: user.name, groups: user.groups });
      const kubeconfig = buildKubeconfig({
        server: ctx.admin.server,
        caPem: ctx.admin.caPem,
        clientCertPem: cert.certPem,
        clientKeyPem: cert.keyPem,
      });
      return {
        kubeconfigPath: await write(user.name, kubeconfig),
        kubeconfig,
        client: new RestClient({ server: ctx.admin.server, caPem: ctx.admin.caPem, certPem: cert.certPem, keyPem: cert.keyPem }),
      };
    },
    serviceAccountToken,
    async kubeconfigFor(identity) {
      const [namespace, name, ...rest] = identity.serviceAccount.split('/');
      if (!namespace || !name || rest.length)
        throw new Error(`serviceAccount must be "namespace/name", not ${JSON.stringify(identity.serviceAccount)}`);
      const token = await serviceAccountToken(namespace, name, identity);
      const kubeconfig = buildKubeconfig({ server: ctx.admin.server, caPem: ctx.admin.caPem, token, namespace });
      return {
        kubeconfigPath: await write(`${namespace}-${name}`, kubeconfig),
        kubeconfig,
        token,
        client: new RestClient({ server: ctx.admin.server, caPem: ctx.admin.caPem, certPem: '', keyPem: '', token }),
      };
    },
  };
}
