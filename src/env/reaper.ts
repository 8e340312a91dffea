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

/** A reaper the launcher started for this process (env/prelaunch.ts), until a start takes it. */
const KEPT = Symbol.for('kapi-env.prelaunched-reaper');
const slot = globalThis as { [KEPT]?: Reaper };

/** Keeps `reaper` for the start that asks for one. */
export function keepReaper(reaper: Reaper): void {
  slot[KEPT] = reaper;
}

/** The reaper the launcher started for this process, else a new one. */
export function startReaper(): Reaper {
  const kept = slot[KEPT];
  if (kept) {
    delete slot[KEPT];
    return kept;
  }
  return spawnReaper();
}

function spawnReaper(): Reaper {
  const child: ChildProcess = spawn(process.execPath, [script, String(process.pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  child.unref();
  const stdin = child.stdin!;
  (stdin as unknown as { unref?: () => void }).unref?.();
  stdin.on('error', () => {});
  const send = (msg: Record<string, unknown>): void => {
    if (!stdin.destroyed) stdin.write(`${JSON.stringify(msg)}\n`);
  };
  return {
    addDir: (dir) => send({ op: 'addDir', dir }),
    addPid: (pid) => send({ op: 'addPid', pid }),
    removeDir: (dir) => send({ op: 'removeDir', dir }),
    addCommand: (argv) => send({ op: 'addCommand', argv }),
    removePid: (pid) => send({ op: 'removePid', pid }),
    release: () => {
      send({ op: 'release' });
      stdin.end();
    },
  };
}
