// The reaper started deferred (as startEnv() starts it): nothing runs until start() or the first process
// it must kill, then it has everything it was told; a parent killed with SIGKILL leaves nothing behind.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The built module: the reaper's program is dist/env/reaper-main.js, beside it (`npm test` builds first).
const reaperModule = pathToFileURL(path.resolve(__dirname, '../../dist/env/reaper.js')).href;
const work = mkdtempSync(path.join(os.tmpdir(), 'kapi-env-reaper-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs a parent that tells a deferred reaper about a directory, does `then`, prints its pid and is SIGKILLed. */
function parent(dir: string, then: string): void {
  const script = `
    const { spawn } = await import('node:child_process');
    const { startReaper } = await import(${JSON.stringify(reaperModule)});
    const reaper = startReaper({ deferred: true });
    reaper.addDir(${JSON.stringify(dir)});
    ${then}
    await new Promise((r) => setTimeout(r, 100));
    process.kill(process.pid, 'SIGKILL');`;
  spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit', timeout: 20_000 });
}

async function until(cond: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a deferred reaper', () => {
  it('once started, removes what it was told before when the parent is killed', async () => {
    const dir = mkdtempSync(path.join(work, 'started-'));
    parent(dir, 'reaper.start();');
    expect(await until(() => !existsSync(dir))).toBe(true);
  });

  it('starts at once for a process to kill, and kills it with the parent', async () => {
    const dir = mkdtempSync(path.join(work, 'pid-'));
    const pidFile = path.join(work, 'sleeper.pid');
    parent(
      dir,
      `const s = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' }); s.unref();
       (await import('node:fs')).writeFileSync(${JSON.stringify(pidFile)}, String(s.pid));
       reaper.addPid(s.pid);`,
    );
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(await until(() => !alive(pid) && !existsSync(dir))).toBe(true);
  });

  it('not started, runs nothing: a killed parent leaves the directory', async () => {
    const dir = mkdtempSync(path.join(work, 'deferred-'));
    parent(dir, '');
    await new Promise((r) => setTimeout(r, 1500));
    expect(existsSync(dir)).toBe(true);
  });
});
