// `kapi-env rbac report --user U`: the least-privilege report of a running environment's server
// (/debug/kapi/permissions, admin only): the minimal Roles/ClusterRole (YAML) allowing exactly
// what the user was authorized or refused so far, or with --json every decision recorded.

import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { credentials } from './journal.js';
import { CliError, printer } from './output.js';
import { readState } from './state.js';

export interface RbacReportFlags {
  user: string;
  stateDir: string;
  kubeconfig?: string;
  json?: boolean;
  allowedOnly?: boolean;
  name?: string;
}

export async function runRbacReport(flags: RbacReportFlags): Promise<number> {
  const out = printer({});
  const state = await readState(flags.stateDir);
  const kubeconfig = flags.kubeconfig ?? state?.kubeconfig;
  if (!kubeconfig) throw new CliError(`no environment found (no state in ${flags.stateDir}; pass --kubeconfig)`);
  const creds = credentials(await readFile(kubeconfig, 'utf8'));
  const q = new URLSearchParams({ user: flags.user });
  if (!flags.json) q.set('format', 'yaml');
  if (flags.allowedOnly) q.set('allowedOnly', 'true');
  if (flags.name) q.set('name', flags.name);
  const url = new URL(`/debug/kapi/permissions?${q}`, creds.server);
  const body = await new Promise<string>((resolve, reject) => {
    const req = request(url, { ca: creds.ca, cert: creds.cert, key: creds.key }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
      });
      res.on('end', () =>
        res.statusCode === 200 ? resolve(buf) : reject(new CliError(`the server answered ${res.statusCode}: ${buf.trim()}`)),
      );
    });
    req.on('error', (e) => reject(new CliError(`cannot reach ${creds.server}: ${e.message}`)));
    req.end();
  });
  out.line(body.trimEnd());
  return 0;
}
