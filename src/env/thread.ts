// The environment off the test's event loop (startEnv's default, `serverThread: 'worker'`):
// storage, server and fixtures run in a worker thread, so a test that blocks its own thread
// (execFileSync('kubectl', ...), a CPU-heavy loop) or throws does not stall or kill the server.
// Every Env member crosses through one mechanism (rpc.ts): synchronous members (requests(),
// permissionsUsed(), faults, clock...) answer synchronously, async ones return promises, and
// functions handed over (progress callbacks, in-process admission handlers) stay on this thread
// and are called back. What holds connections or this thread's functions is built here: the
// admin client, users' clients and waitFor.

import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { loadCertificateAuthority } from '../pki/index.js';
import { FlagError } from '../server/config.js';
import { RestClient } from './client.js';
import { FixtureError } from './fixtures.js';
import { StartTimeoutError } from './options.js';
import { CallerPeer } from './rpc.js';
import { userHelpers } from './users.js';
import { waitHelpers } from './wait.js';

/** The newest modification time of the .ts files under a directory. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

let located: { url?: URL; why?: string } | undefined;

/**
 * The worker's module: beside this one in the built package. Run from the sources (this repository's
 * own tests), the built one under dist/ when it is as new as the sources; else none, and why.
 */
export function workerHost(): { url?: URL; why?: string } {
  if (located) return located;
  const beside = new URL('./thread-host.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return (located = { url: bundledOr(beside) });
  // Bundled (the CLI's bundle) or otherwise moved: no worker module to run.
  if (!import.meta.url.endsWith('/src/env/thread.ts')) return (located = { why: `${fileURLToPath(beside)} is missing` });
  const here = path.dirname(fileURLToPath(import.meta.url));
  const built = path.resolve(here, '../../dist/env/thread-host.js');
  if (!existsSync(built)) return (located = { why: `running from the sources and ${built} is missing (npm run build)` });
  if (newestSource(path.resolve(here, '..')) > statSync(built).mtimeMs)
    return (located = { why: `running from the sources and ${path.dirname(path.dirname(built))} is older than them (npm run build)` });
  return (located = { url: bundledOr(new URL(`file://${built}`)) });
}

/**
 * The build's bundle of the worker's module (dist/cli-bundle/thread-host.js, beside the CLI's) when it is
 * as new as `host`: one file compiled from its code cache (compile-cache.ts) loads in a fraction of the time the
 * compiled modules take.
 */
function bundledOr(host: URL): URL {
  const bundled = new URL('../cli-bundle/thread-host.js', host);
  try {
    return statSync(fileURLToPath(bundled)).mtimeMs >= statSync(fileURLToPath(host)).mtimeMs ? bundled : host;
  } catch {
    return host;
  }
}

/** This process's Node options, for the worker, less those about the main script (`-e`, `--input-type`). */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (['-e', '--eval', '-p', '--print', '--input-type'].includes(a)) i++;
    else if (!a.startsWith('--input-type=') && !a.startsWith('--eval=') && !a.startsWith('--print=')) out.push(a);
  }
  return out;
}

/** What is read here of the Env the worker offers (index.ts's Env, named structurally: index.ts imports this module). */
interface RemoteEnv {
  server: string;
  ca: string;
  clientCert: string;
  clientKey: string;
  clientCa?: { certPem: string; keyPem: string };
  kubeconfigPath: string;
  stop(): Promise<unknown>;
}

/**
 * A worker with this process's options, less the per-process ones a worker refuses (`--expose-gc`,
 * `--max-old-space-size=...`): Node names them in its error, and they are left to the process.
 */
function newWorker(host: URL): Worker {
  let execArgv = workerExecArgv();
  for (;;) {
    try {
      return new Worker(host, { execArgv });
    } catch (e) {
      const named = (e as NodeJS.ErrnoException).code === 'ERR_WORKER_INVALID_EXEC_ARGV' ? /flags: (.*)$/.exec((e as Error).message) : null;
      const refused = named ? named[1].split(', ') : [];
      const kept = execArgv.filter((a) => !refused.includes(a));
      if (kept.length === execArgv.length) throw e;
      execArgv = kept;
    }
  }
}

/** Starts the environment in a worker thread (`options`: startEnv's); resolves once it is ready. */
export async function startInThread<E extends RemoteEnv>(options: object, host: URL): Promise<E> {
  // Loader hooks and --import/--require (tsx...) as this process has them.
  const worker = newWorker(host);
  const peer = new CallerPeer(worker, { errorTypes: { FlagError, FixtureError, StartTimeoutError } });
  worker.once('error', (e) => peer.close(e));
  worker.once('exit', (code) => peer.close(new Error(`the environment's worker thread exited (code ${code})`)));
  let remote: E;
  try {
    remote = (await peer.callRoot(options)) as E;
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  const creds = { server: remote.server, caPem: remote.ca, certPem: remote.clientCert, keyPem: remote.clientKey };
  const authority = remote.clientCa ? await loadCertificateAuthority(remote.clientCa.certPem, remote.clientCa.keyPem) : undefined;
  let stopped: Promise<unknown> | undefined;
  const stop = (): Promise<unknown> =>
    (stopped ??= (async () => {
      try {
        return await remote.stop();
      } finally {
        await worker.terminate();
      }
    })());
  return {
    ...remote,
    client: () => new RestClient(creds),
    ...userHelpers({ admin: creds, authority, dir: path.dirname(remote.kubeconfigPath) }),
    ...waitHelpers(() => new RestClient(creds)),
    stop,
  };
}
