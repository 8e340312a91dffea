// `kapi-env clock`: the controllers' clock of a running environment (/debug/kapi/clock, admin only):
// printed, or moved forward with --advance <duration> or --set <RFC 3339 time>, so CronJob schedules
// come due without waiting (`up --apiserver-arg simulated-clock=now` stops it otherwise).

import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { credentials } from './journal.js';
import { CliError, printer } from './output.js';
import { readState } from './state.js';

export interface ClockFlags {
  stateDir: string;
  kubeconfig?: string;
  advance?: string;
  set?: string;
  json?: boolean;
}

export async function runClock(flags: ClockFlags): Promise<number> {
  const out = printer({});
  const state = await readState(flags.stateDir);
  const kubeconfig = flags.kubeconfig ?? state?.kubeconfig;
  if (!kubeconfig) throw new CliError(`no environment found (no state in ${flags.stateDir}; pass --kubeconfig)`);
  if (flags.advance && flags.set) throw new CliError('--advance and --set cannot be used together');
  const creds = credentials(await readFile(kubeconfig, 'utf8'));
  const body = flags.advance ? { advance: flags.advance } : flags.set ? { time: flags.set } : undefined;
  const url = new URL('/debug/kapi/clock', creds.server);
  const text = await new Promise<string>((resolve, reject) => {
    const req = request(
      url,
      {
        method: body ? 'POST' : 'GET',
        ca: creds.ca,
        cert: creds.cert,
        key: creds.key,
        headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
        });
        res.on('end', () => {
          if (res.statusCode !== 200) {
            const message = (() => {
              try {
                return (JSON.parse(buf) as { message?: string }).message ?? buf;
              } catch {
                return buf;
              }
            })();
            reject(new CliError(`the server answered ${res.statusCode}: ${message.trim()}`));
          } else resolve(buf);
        });
      },
    );
    req.on('error', (e) => reject(new CliError(`cannot reach ${creds.server}: ${e.message}`)));
    req.end(body ? JSON.stringify(body) : undefined);
  });
  const clock = JSON.parse(text) as { now: string; simulated: boolean };
  out.line(flags.json ? JSON.stringify(clock) : `${clock.now}${clock.simulated ? ' (simulated)' : ''}`);
  return 0;
}
