// A watchdog process that outlives us only long enough to clean up: when the
// process that started an environment dies without stopping it (a crashed
// test worker, SIGKILL), the reaper kills what it was told to kill and
// removes the temp directories. It is told its charges over stdin; a closed
// stdin means the parent is gone.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Reaper {
  /** Remove this directory if we die without cleaning up. */
  addDir(dir: string): void;
  /** Kill this pid (and its process group) if we die. */
  addPid(pid: number): void;
  removeDir(dir: string): void;
  /** Run this command if we die (e.g. `docker rm -f <id>` for a container). */
  addCommand(argv: string[]): void;
  removePid(pid: number): void;
  /** A normal stop: the reaper exits without touching anything. */
  release(): void;
}

const script = fileURLToPath(new URL('./reaper-main.js', import.meta.url));

export interface DeferredReaper extends Reaper {
  /** Starts the reaper now, if it is not running yet, with what it has been told so far. */
  start(): void;
}

/**
 * The reaper. With `deferred`, its process starts only with start() or with the first process or command
 * it is to kill (a process it is told of cannot wait), until then keeping what it is told: a Node process
 * booting beside a cold start (and the etcd it launches) slows both, and until then it would guard only
 * the environment's (empty) temp directory.
 */
export function startReaper(opts: { deferred?: boolean } = {}): DeferredReaper {
  let stdin: (NodeJS.WritableStream & { destroyed?: boolean }) | undefined;
  let released = false;
  const queued: string[] = [];
  const start = (): void => {
    if (stdin || released) return;
    const child: ChildProcess = spawn(process.execPath, [script, String(process.pid)], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    child.unref();
    stdin = child.stdin!;
    (stdin as unknown as { unref?: () => void }).unref?.();
    stdin.on('error', () => {});
    for (const line of queued.splice(0)) stdin.write(line);
  };
  const send = (msg: Record<string, unknown>, now = false): void => {
    const line = `${JSON.stringify(msg)}\n`;
    if (stdin) {
      if (!stdin.destroyed) stdin.write(line);
      return;
    }
    queued.push(line);
    if (now) start();
  };
  if (!opts.deferred) start();
  return {
    addDir: (dir) => send({ op: 'addDir', dir }),
    addPid: (pid) => send({ op: 'addPid', pid }, true),
    removeDir: (dir) => send({ op: 'removeDir', dir }),
    addCommand: (argv) => send({ op: 'addCommand', argv }, true),
    removePid: (pid) => send({ op: 'removePid', pid }),
    release: () => {
      released = true;
      if (!stdin) return;
      send({ op: 'release' });
      stdin.end();
    },
    start,
  };
}
