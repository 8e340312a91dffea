// `kapi-env up`: foreground until a signal, or --detach into the background.

import { spawn } from 'node:child_process';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Env, type EnvCredentials, type EnvOptions, startEnvHere } from '../env/index.js';
import type { ResetHelpers } from '../env/reset.js';
import { checkServerCount } from '../env/servers.js';
import { waitReady } from '../process/index.js';
import { FlagError, parseDuration, parseServeFlags } from '../server/config.js';
import { parseBool } from '../server/http/query.js';
import { serveControl } from './control.js';
import { CliError, printer } from './output.js';
import { type EnvState, LOCK_HANDOFF_ENV, lockStateDir, readState, statePaths, writeState } from './state.js';

export interface UpFlags {
  kubeconfig: string;
  storage: 'auto' | 'etcd' | 'container' | 'memory';
  etcdBin?: string;
  etcdImage?: string;
  etcdServers?: string;
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
  crds: string[];
  manifests: string[];
  crdsErrorIfMissing: string;
  /** Webhook configuration manifests (--webhooks), served by the user's server on --webhook-port. */
  webhooks?: string[];
  webhookPort?: string;
  crdWaitTimeout: string;
  crdPollInterval: string;
  kubeVersion?: string;
  log?: string | boolean;
  port?: string;
  /** API servers on one etcd behind a local TCP load balancer (--servers). */
  servers?: string;
  apiserverArg: string[];
  /** kube-controller-manager controllers to run (--controllers). */
  controllers?: string;
  detach?: boolean;
  stateDir: string;
  json?: boolean;
  quiet?: boolean;
}

function stateOf(env: Env, flags: UpFlags): EnvState {
  return {
    kubeconfig: env.kubeconfigPath,
    server: env.server,
    storage: env.storage,
    // `down` stops this process, which stops what it started (with USE_EXISTING_CLUSTER that is nothing).
    pids: { ...env.pids, server: process.pid },
    ...(env.apiServers ? { servers: env.apiServers.map((s) => s.url) } : {}),
    elapsedMs: env.elapsedMs,
    etcdEndpoint: env.etcdEndpoint,
    stateDir: path.resolve(flags.stateDir),
  };
}

function readyLine(s: EnvState): string {
  const servers = s.servers ? ` (load balancer for ${s.servers.join(', ')})` : '';
  return `kapi-env ready in ${s.elapsedMs} ms (${s.storage} storage): ${s.server}${servers}, kubeconfig ${s.kubeconfig}`;
}

/** --servers: a count; more than one needs etcd (a usage error, exit 2, before anything starts). */
function serverCount(flags: UpFlags): number {
  const n = Number(flags.servers ?? '1');
  if (!/^\d+$/.test(flags.servers ?? '1') || n < 1 || n > 16)
    throw new FlagError(`invalid argument "${flags.servers}" for "--servers" flag: want an integer from 1 to 16`);
  const memory = flags.storage === 'memory' || parseServeFlags(serverArgs(flags), { inlineValues: true }).storageBackend === 'memory';
  return checkServerCount(n, memory ? 'memory' : flags.storage);
}

function parsePort(p: string | undefined): number | undefined {
  if (p === undefined) return undefined;
  const n = Number(p);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`invalid --port ${p}`, 'pass a port number between 0 and 65535', 2);
  return n;
}

/** The fixture flags as startEnv's options; a malformed value is a usage error (exit 2). */
function fixtureOptions(flags: UpFlags): Pick<EnvOptions, 'crdsErrorIfMissing' | 'crdWaitTimeoutMs' | 'crdPollIntervalMs'> {
  const errorIfMissing = parseBool(flags.crdsErrorIfMissing);
  if (errorIfMissing === undefined)
    throw new FlagError(`invalid argument "${flags.crdsErrorIfMissing}" for "--crds-error-if-missing" flag`);
  const duration = (name: string, v: string): number => {
    try {
      return parseDuration(v);
    } catch {
      throw new FlagError(`invalid argument "${v}" for "--${name}" flag: time: invalid duration "${v}"`);
    }
  };
  return {
    crdsErrorIfMissing: errorIfMissing,
    crdWaitTimeoutMs: duration('crd-wait-timeout', flags.crdWaitTimeout),
    crdPollIntervalMs: duration('crd-poll-interval', flags.crdPollInterval),
  };
}

/** `--log` alone is level 2; `--log 3` a level; absent leaves KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT in charge. */
function logOption(v: string | boolean | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (v === true) return 2;
  const n = Number(v);
  if (!/^\d+$/.test(String(v)))
    throw new FlagError(`invalid argument "${v}" for "--log" flag: a verbosity level (2: one line per request)`);
  return n;
}

/** up's etcd flags are kube-apiserver's: they join --apiserver-arg and go through the one flag parser. */
function serverArgs(flags: UpFlags): string[] {
  const own = (['etcdServers', 'etcdCafile', 'etcdCertfile', 'etcdKeyfile'] as const).flatMap((k) =>
    flags[k] === undefined ? [] : [`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}=${flags[k]}`],
  );
  return [...own, ...(flags.controllers ? [`--controllers=${flags.controllers}`] : []), ...flags.apiserverArg];
}

export async function runUp(flags: UpFlags): Promise<number> {
  const port = parsePort(flags.port);
  // Flag errors exit 2 here, before a detached child or any process is started.
  parseServeFlags(serverArgs(flags), { inlineValues: true });
  serverCount(flags);
  fixtureOptions(flags);
  logOption(flags.log);
  if (flags.detach) return detach(flags);
  const handoff = Number(process.env[LOCK_HANDOFF_ENV]);
  // Not inherited by etcd, the reaper or anything else this process starts.
  delete process.env[LOCK_HANDOFF_ENV];
  const lock = await lockStateDir(flags.stateDir, { handoffFrom: Number.isInteger(handoff) && handoff > 0 ? handoff : undefined });
  try {
    return await serveUntilSignal(flags, port);
  } finally {
    await lock.release();
  }
}

const PEM_FILES = ['ca.crt', 'admin.crt', 'admin.key', 'client-ca.crt', 'client-ca.key'];

/**
 * The PEM files next to the state, for tools that want files rather than a kubeconfig, and the control socket
 * `kapi-env reset`, `snapshot` and `restore` reach the environment through (none on an existing cluster).
 */
async function writeFilesAndControl(
  flags: UpFlags,
  creds: EnvCredentials,
  control: ResetHelpers | undefined,
): Promise<{ close(): Promise<void> } | undefined> {
  const dir = statePaths(flags.stateDir).dir;
  await mkdir(dir, { recursive: true });
  const [, served] = await Promise.all([
    Promise.all([
      writeFile(path.join(dir, 'ca.crt'), creds.ca),
      writeFile(path.join(dir, 'admin.crt'), creds.clientCert),
      writeFile(path.join(dir, 'admin.key'), creds.clientKey, { mode: 0o600 }),
      // What `kapi-env user add` signs client certificates with.
      ...(creds.clientCa
        ? [
            writeFile(path.join(dir, 'client-ca.crt'), creds.clientCa.certPem),
            writeFile(path.join(dir, 'client-ca.key'), creds.clientCa.keyPem, { mode: 0o600 }),
          ]
        : []),
    ]),
    control && serveControl(flags.stateDir, control),
  ]);
  return served;
}

async function serveUntilSignal(flags: UpFlags, port: number | undefined): Promise<number> {
  const out = printer(flags);
  const dir = statePaths(flags.stateDir).dir;
  // The files and the control socket are made while the start waits for its store (a launched etcd's start);
  // the socket's requests wait for the environment.
  let started!: (env: Env) => void;
  const envReady = new Promise<Env>((resolve) => {
    started = resolve;
  });
  const control: ResetHelpers = {
    reset: async () => (await envReady).reset(),
    snapshot: async () => (await envReady).snapshot(),
    restore: async (id) => (await envReady).restore(id),
  };
  // Made while the start waits; on an existing cluster (no store to wait for, nothing to reset) after it.
  let early: ReturnType<typeof writeFilesAndControl> | undefined;
  let env: Env;
  try {
    env = await startEnvHere(envOptions(flags, port, out), (creds: EnvCredentials) => {
      early = writeFilesAndControl(flags, creds, control);
      return early.then(() => undefined);
    });
  } catch (e) {
    await (await early?.catch(() => undefined))?.close();
    await Promise.all(PEM_FILES.map((f) => rm(path.join(dir, f), { force: true })));
    throw e;
  }
  started(env);
  const served = await (early ?? writeFilesAndControl(flags, env, undefined));
  const state = stateOf(env, flags);
  if (flags.webhooks?.length) {
    const w = env.webhooks;
    out.progress(`webhooks ${w.installed.join(', ')} call https://${w.host}:${w.port} (serve ${w.certFile} and ${w.keyFile})`);
  }
  // Listening before the ready line: a signal sent as soon as it is read stops the environment cleanly.
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      for (const s of signals) process.removeListener(s, stop);
      resolve();
    };
    for (const s of signals) process.on(s, stop);
  });
  // The state last: once it is there, everything it names is.
  await writeState(flags.stateDir, state);
  if (flags.json) out.line(JSON.stringify(state));
  else out.line(readyLine(state));
  await stopped;
  await served?.close();
  const report = await env.stop();
  await Promise.all(['state.json', ...PEM_FILES].map((f) => rm(path.join(dir, f), { force: true })));
  if (report.killed.length) out.progress(`had to kill: ${report.killed.join(', ')}`);
  return 0;
}

/** Starts `up` again in a detached child and returns once it has written its ready state. */
async function detach(flags: UpFlags): Promise<number> {
  // The lock first: a second `up` for this state dir is refused before it touches the first one's files.
  const lock = await lockStateDir(flags.stateDir);
  try {
    return await startDetached(flags);
  } finally {
    // A no-op once the child has adopted the lock; removes it if the child never did.
    await lock.release();
  }
}

async function startDetached(flags: UpFlags): Promise<number> {
  const out = printer(flags);
  const paths = statePaths(flags.stateDir);
  await mkdir(paths.dir, { recursive: true });
  await rm(paths.state, { force: true });
  const log = await open(paths.log, 'w');
  const bin = fileURLToPath(new URL('../../bin/kapi-env.js', import.meta.url));
  const args = process.argv.slice(2).filter((a) => a !== '--detach');
  const child = spawn(process.execPath, [bin, ...args, '--quiet'], {
    detached: true,
    stdio: ['ignore', log.fd, log.fd],
    env: { ...process.env, [LOCK_HANDOFF_ENV]: String(process.pid) },
  });
  child.unref();
  await log.close();
  let exitCode: number | undefined;
  child.once('exit', (code) => {
    exitCode = code ?? 1;
  });
  const exitedEarly = new CliError('the detached environment exited before it was ready');
  let state: EnvState | undefined;
  const ready = async (): Promise<boolean> => {
    state = await readState(flags.stateDir);
    return state?.pids.server === child.pid;
  };
  try {
    await waitReady(ready, {
      timeoutMs: 120_000,
      intervalMs: 20,
      stillRunning: () => exitCode === undefined,
      onExit: () => exitedEarly,
      onTimeout: () => new CliError('the detached environment did not become ready in 120 s', `see ${paths.log}`),
    });
  } catch (e) {
    if (e !== exitedEarly) throw e;
    // Its own words (cause and fix) are in its log.
    process.stderr.write(await readFile(paths.log, 'utf8').catch(() => ''));
    return exitCode || 1;
  }
  if (flags.json) out.line(JSON.stringify(state));
  else out.line(readyLine(state!));
  return 0;
}

function envOptions(flags: UpFlags, port: number | undefined, out: ReturnType<typeof printer>): EnvOptions {
  return {
    storage: flags.storage,
    etcdBinary: flags.etcdBin,
    etcdImage: flags.etcdImage,
    crds: flags.crds,
    manifests: flags.manifests,
    ...fixtureOptions(flags),
    ...(flags.webhooks?.length
      ? {
          webhooks: {
            paths: flags.webhooks,
            localServingPort: parsePort(flags.webhookPort),
            localServingCertDir: path.join(statePaths(flags.stateDir).dir, 'webhook'),
          },
        }
      : {}),
    kubeVersion: flags.kubeVersion,
    // This process is the environment's own: no test code shares its event loop.
    serverThread: 'inline',
    log: logOption(flags.log),
    onWarning: (line) => {
      if (!flags.quiet) process.stderr.write(`kapi-env: ${line}\n`);
    },
    kubeconfigPath: flags.kubeconfig,
    port,
    servers: serverCount(flags),
    apiserverArgs: serverArgs(flags),
    onProgress: (phase, msg) => {
      // The automatic fallback to the embedded store is said in one line even off a terminal.
      if (/embedded in-memory store/.test(msg) && !flags.quiet) process.stderr.write(`kapi-env: ${msg}\n`);
      else if (phase !== 'ready') out.progress(msg);
    },
  };
}
