// The reaper's own process (see reaper.ts). Runs with no dependencies so it starts fast.

import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { isAlive, signal } from '../process/index.js';

const parentPid = Number(process.argv[2]);
const dirs = new Set<string>();
const pids = new Set<number>();
const commands: string[][] = [];
let released = false;

function reap(): void {
  if (released) process.exit(0);
  for (const pid of pids) signal(pid, 'SIGKILL');
  for (const argv of commands) {
    try {
      spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', timeout: 10_000 });
    } catch {
      /* best effort */
    }
  }
  // Give killed processes a moment to release files before removing their directories.
  setTimeout(() => {
    for (const d of dirs) {
      try {
        rmSync(d, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    }
    process.exit(0);
  }, 100);
}

process.on('SIGTERM', () => {});
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let msg: { op: string; dir?: string; pid?: number; argv?: string[] };
  try {
    msg = JSON.parse(line);
  } catch {
    return;
  }
  if (msg.op === 'addDir' && msg.dir) dirs.add(msg.dir);
  else if (msg.op === 'removeDir' && msg.dir) dirs.delete(msg.dir);
  else if (msg.op === 'addPid' && msg.pid) pids.add(msg.pid);
  else if (msg.op === 'removePid' && msg.pid) pids.delete(msg.pid);
  else if (msg.op === 'addCommand' && msg.argv?.length) commands.push(msg.argv);
  else if (msg.op === 'release') released = true;
});
rl.on('close', reap);
// A parent that dies while stdin stays open (inherited by a grandchild) is caught by polling.
setInterval(() => {
  if (!isAlive(parentPid)) reap();
}, 500).unref();
