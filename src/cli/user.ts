// `kapi-env user add NAME --group G [--kubeconfig PATH]`: a kubeconfig for a new user
// whose client certificate the running environment's CA signs (envtest's AddUser), and
// `kapi-env user token NS/SA`: a service account's token from its TokenRequest
// (kubectl create token). The environment is the one `up` recorded in --state-dir.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RestClient } from '../env/client.js';
import { requestServiceAccountToken } from '../env/users.js';
import { loadCertificateAuthority, signClientCert } from '../pki/index.js';
import { buildKubeconfig, writeKubeconfig } from '../pki/kubeconfig.js';
import { parseDuration } from '../server/config.js';
import { CliError, printer } from './output.js';
import { readState, statePaths } from './state.js';

export interface UserAddFlags {
  stateDir: string;
  group?: string[];
  kubeconfig?: string;
}

export interface UserTokenFlags {
  stateDir: string;
  audience?: string[];
  duration?: string;
}

/** The running environment's server and the PEM files `up` keeps beside its state. */
async function environment(stateDir: string): Promise<{ server: string; dir: string; read(file: string): Promise<string> }> {
  const state = await readState(stateDir);
  if (!state) throw new CliError(`no environment found (no ${statePaths(stateDir).state})`, 'start one with `kapi-env up --detach`');
  const dir = statePaths(stateDir).dir;
  return {
    server: state.server,
    dir,
    read: async (file) => {
      try {
        return await readFile(path.join(dir, file), 'utf8');
      } catch {
        throw new CliError(`${path.join(dir, file)} is missing`, 'restart the environment with this version of kapi-env');
      }
    },
  };
}

export async function runUserAdd(name: string, flags: UserAddFlags): Promise<number> {
  const env = await environment(flags.stateDir);
  const [caPem, clientCaCert, clientCaKey] = await Promise.all([env.read('ca.crt'), env.read('client-ca.crt'), env.read('client-ca.key')]);
  const authority = await loadCertificateAuthority(clientCaCert, clientCaKey);
  const cert = await signClientCert(authority, { user: name, groups: flags.group ?? [] });
  const kubeconfig = buildKubeconfig({ server: env.server, caPem, clientCertPem: cert.certPem, clientKeyPem: cert.keyPem, name });
  const file = path.resolve(flags.kubeconfig ?? path.join(env.dir, 'users', `${name.replace(/[^A-Za-z0-9._-]+/g, '_')}.kubeconfig`));
  await writeKubeconfig(file, kubeconfig);
  printer({}).line(file);
  return 0;
}

export async function runUserToken(ref: string, flags: UserTokenFlags): Promise<number> {
  const [namespace, name, ...rest] = ref.split('/');
  if (!namespace || !name || rest.length) throw new CliError(`expected NAMESPACE/SERVICEACCOUNT, got ${JSON.stringify(ref)}`);
  const env = await environment(flags.stateDir);
  const [caPem, certPem, keyPem] = await Promise.all([env.read('ca.crt'), env.read('admin.crt'), env.read('admin.key')]);
  const client = new RestClient({ server: env.server, caPem, certPem, keyPem });
  try {
    const token = await requestServiceAccountToken(client, namespace, name, {
      audiences: flags.audience,
      expirationSeconds: flags.duration ? Math.round(parseDuration(flags.duration) / 1000) : undefined,
    }).catch((e: Error) => {
      throw new CliError(e.message);
    });
    printer({}).line(token);
  } finally {
    await client.close();
  }
  return 0;
}
