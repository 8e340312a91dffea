// `kapi-env journal`: the requests a running environment's server handled, from its request
// journal (/debug/kapi/requests, admin only), one line each; `--follow` keeps printing them as
// they come. The environment is the one `up` recorded in --state-dir (or a kubeconfig kapi-env wrote).

import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import type { JournalEntry } from '../server/debug/journal.js';
import { CliError, printer } from './output.js';
import { readState } from './state.js';

export interface JournalFlags {
  stateDir: string;
  kubeconfig?: string;
  follow?: boolean;
  verb?: string;
  resource?: string;
  namespace?: string;
  user?: string;
  json?: boolean;
}

/** The fields of the kubeconfig kapi-env writes (pki/kubeconfig.ts): one cluster, one user, data embedded. */
export function credentials(text: string): { server: string; ca: string; cert: string; key: string } {
  const field = (name: string): string => {
    const m = new RegExp(`^\\s*${name}:\\s*(.+)$`, 'm').exec(text);
    if (!m) throw new CliError(`the kubeconfig has no ${name} (only kubeconfigs kapi-env wrote are read here)`);
    const v = m[1].trim();
    return v.startsWith('"') ? (JSON.parse(v) as string) : v;
  };
  const data = (name: string): string => Buffer.from(field(name), 'base64').toString('utf8');
  return {
    server: field('server'),
    ca: data('certificate-authority-data'),
    cert: data('client-certificate-data'),
    key: data('client-key-data'),
  };
}

function line(e: JournalEntry): string {
  const t = new Date(e.time).toISOString();
  const what = [e.resource && (e.subresource ? `${e.resource}/${e.subresource}` : e.resource), e.namespace, e.name]
    .filter(Boolean)
    .join(' ');
  return `${t} ${e.code} ${e.verb.padEnd(6)} ${(what || e.path).padEnd(40)} ${e.user} ${e.latencyMs.toFixed(1)}ms`;
}

export async function runJournal(flags: JournalFlags): Promise<number> {
  const out = printer({});
  const state = await readState(flags.stateDir);
  const kubeconfig = flags.kubeconfig ?? state?.kubeconfig;
  if (!kubeconfig) throw new CliError(`no environment found (no state in ${flags.stateDir}; pass --kubeconfig)`);
  const creds = credentials(await readFile(kubeconfig, 'utf8'));
  const q = new URLSearchParams();
  for (const k of ['verb', 'resource', 'namespace', 'user'] as const) if (flags[k]) q.set(k, flags[k]!);
  if (flags.follow) q.set('follow', 'true');
  const url = new URL(`/debug/kapi/requests?${q}`, creds.server);
  return new Promise<number>((resolve, reject) => {
    const req = request(url, { ca: creds.ca, cert: creds.cert, key: creds.key, headers: { accept: 'application/json' } }, (res) => {
      let buf = '';
      const print = (text: string): void => {
        if (!text.trim()) return;
        const e = JSON.parse(text) as JournalEntry;
        out.line(flags.json ? text : line(e));
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        if (!flags.follow || res.statusCode !== 200) return;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          print(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
      res.on('end', () => {
        if (res.statusCode !== 200) {
          reject(new CliError(`the server answered ${res.statusCode}: ${buf.trim()}`));
          return;
        }
        if (!flags.follow)
          for (const e of (JSON.parse(buf) as { items: JournalEntry[] }).items) out.line(flags.json ? JSON.stringify(e) : line(e));
        resolve(0);
      });
    });
    req.on('error', (e) => reject(new CliError(`cannot reach ${creds.server}: ${e.message}`)));
    req.end();
  });
}
