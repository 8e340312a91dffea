// State of a detached environment (`--state-dir`): down, status, env.

import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CliError, printer } from './output.js';
import { isAlive } from '../env/pid.js';

export interface EnvState {
  kubeconfig: string;
  server: string;
  storage: string;
  pids: { etcd?: number; server: number };
  elapsedMs: number;
  etcdEndpoint?: string;
  stateDir: string;
}

export function statePaths(dir: string): { dir: string; state: string; log: string } {
  const d = path.resolve(dir);
  return { dir: d, state: path.join(d, 'state.json'), log: path.join(d, 'up.log') };
}

export async function readState(dir: string): Promise<EnvState | undefined> {
  try {
    return JSON.parse(await readFile(statePaths(dir).state, 'utf8')) as EnvState;
  } catch {
    return undefined;
  }
}

export async function writeState(dir: string, s: EnvState): Promise<void> {
  const p = statePaths(dir);
  await mkdir(p.dir, { recursive: true });
  await writeFile(p.state + '.tmp', JSON.stringify(s, null, 2));
  await rename(p.state + '.tmp', p.state);
}

export async function runDown(flags: { stateDir: string; json?: boolean }): Promise<number> {
  const out = printer({});
  const s = await readState(flags.stateDir);
  if (!s || !isAlive(s.pids.server)) {
    await rm(statePaths(flags.stateDir).state, { force: true });
    if (flags.json) out.line(JSON.stringify({ stopped: false, reason: 'not running' }));
    else out.line(`no environment running (state dir ${path.resolve(flags.stateDir)})`);
    return 0;
  }
  process.kill(s.pids.server, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  let killed = false;
  while (isAlive(s.pids.server)) {
    if (Date.now() > deadline && !killed) {
      process.kill(s.pids.server, 'SIGKILL');
      killed = true;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  // A killed `up` cannot stop its etcd; its reaper does, and we make sure.
  if (killed && isAlive(s.pids.etcd)) process.kill(s.pids.etcd!, 'SIGKILL');
  await rm(statePaths(flags.stateDir).state, { force: true });
  if (flags.json) out.line(JSON.stringify({ stopped: true, killed }));
  else out.line(killed ? `stopped (had to kill pid ${s.pids.server})` : 'stopped');
  return 0;
}

export async function runStatus(flags: { stateDir: string; json?: boolean }): Promise<number> {
  const out = printer({});
  const s = await readState(flags.stateDir);
  const running = !!s && isAlive(s.pids.server);
  if (flags.json) out.line(JSON.stringify(running ? { running, ...s } : { running }));
  else if (running) out.line(`running: ${s!.server} (${s!.storage} storage), kubeconfig ${s!.kubeconfig}, pid ${s!.pids.server}`);
  else out.line('not running');
  return running ? 0 : 1;
}

export async function runEnv(flags: { stateDir: string; kubeconfig: string }): Promise<number> {
  const s = await readState(flags.stateDir);
  const p = s?.kubeconfig ?? path.resolve(flags.kubeconfig);
  if (!s) {
    try {
      await readFile(p);
    } catch {
      throw new CliError(`no environment found (no ${statePaths(flags.stateDir).state} and no ${p})`, 'start one with `kapi-env up --detach`');
    }
  }
  process.stdout.write(`export KUBECONFIG=${p}\n`);
  return 0;
}
