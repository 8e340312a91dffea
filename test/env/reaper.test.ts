// The reaper (env/reaper.ts): a shell script that cleans up after a parent that dies without stopping what it
// started. Each test gives it charges and ends its parent one way or another, then looks at what is left.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { printfWord, spawnReaper } from '../../src/env/reaper.js';
import { isAlive } from '../../src/process/index.js';
import { until } from '../helpers/until.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'kapi-env-reaper-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A process standing in for a parent, or a charge: it sleeps until killed. */
function sleeper(detached = false): ChildProcess {
  const child = spawn('sleep', ['60'], { stdio: 'ignore', detached });
  child.unref();
  return child;
}

/** A directory under the test's own, named `name`, with a file in it. */
function dirNamed(name: string): string {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'file'), 'x');
  return dir;
}

describe('printfWord', () => {
  it.each([
    ['/tmp/kapi_env.1', '/tmp/kapi_env.1'],
    ['-c', '\\055c'],
    ['a b', 'a\\040b'],
    ['50%\n', '50\\045\\012'],
    ['é', '\\303\\251'],
  ])('%j is written as %j', (s, out) => {
    expect(printfWord(s)).toBe(out);
  });

  it("is turned back by the shell's printf, byte for byte", () => {
    const s = '-a dir/with \'quotes\', "double", $HOME, `ticks`, \\back\\slashes, 100% and é';
    expect(execFileSync('/bin/sh', ['-c', 'printf "$1"', 'sh', printfWord(s)], { encoding: 'utf8' })).toBe(s);
  });
});

describe('the reaper', () => {
  it('kills its pids, runs its commands and removes its directories when its parent dies', async () => {
    // The parent is a Node process that spawns the reaper, gives it its charges, says so, and waits to be killed.
    const dir = dirNamed('dies with spaces, 100% and é');
    const kept = dirNamed('removed, then kept');
    const charge = sleeper(true);
    const spared = sleeper(true);
    const marker = path.join(work, 'command ran');
    const script = `const { spawnReaper } = await import(${JSON.stringify(path.resolve(__dirname, '../../dist/env/reaper.js'))});
const r = spawnReaper();
r.addDir(${JSON.stringify(dir)});
r.addDir(${JSON.stringify(kept)});
r.removeDir(${JSON.stringify(kept)});
r.addPid(${charge.pid});
r.addPid(${spared.pid});
r.removePid(${spared.pid});
r.addCommand(['/bin/sh', '-c', 'printf %s "$1" > "$2"', 'sh', 'it ran', ${JSON.stringify(marker)}]);
console.log('ready');
setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        parent.stdout!.once('data', () => resolve());
        parent.once('exit', (code) => reject(new Error(`the parent exited ${code}`)));
      });
      // The reaper reads its lines as they come: give it a moment to have them before its parent dies.
      await new Promise((r) => setTimeout(r, 200));
      expect(existsSync(dir)).toBe(true);
      parent.kill('SIGKILL');
      await until(() => !existsSync(dir));
      expect(isAlive(charge.pid)).toBe(false);
      expect(readFileSync(marker, 'utf8')).toBe('it ran');
      expect(existsSync(kept)).toBe(true);
      expect(isAlive(spared.pid)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
      for (const p of [charge, spared]) if (isAlive(p.pid)) process.kill(p.pid!, 'SIGKILL');
    }
  });

  it('touches nothing once released', async () => {
    const dir = dirNamed('released');
    const charge = sleeper(true);
    const fake = sleeper();
    try {
      const r = spawnReaper(fake.pid);
      r.addDir(dir);
      r.addPid(charge.pid!);
      r.release();
      fake.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 1_500));
      expect(existsSync(dir)).toBe(true);
      expect(isAlive(charge.pid)).toBe(true);
    } finally {
      for (const p of [charge, fake]) if (isAlive(p.pid)) process.kill(p.pid!, 'SIGKILL');
    }
  });

  it('without a shell, says so once and takes its charges without failing', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      for (let i = 0; i < 2; i++) {
        const r = spawnReaper(process.pid, path.join(work, 'no-such-shell'));
        r.addDir(work);
        r.addPid(123456);
        r.release();
      }
      await until(() => written.some((w) => w.includes('no reaper')));
      await new Promise((r) => setTimeout(r, 100));
      expect(written.filter((w) => w.includes('no reaper'))).toEqual([
        `kapi-env: no reaper (${path.join(work, 'no-such-shell')}: ENOENT): if this process is killed, what it started is left running\n`,
      ]);
    } finally {
      spy.mockRestore();
    }
  });

  it('cleans up when its parent dies while another process still holds its input open', async () => {
    // Here this test process holds the reaper's stdin: only the parent's pid tells the reaper it is gone.
    const dir = dirNamed('parent gone, pipe open');
    const fake = sleeper();
    const r = spawnReaper(fake.pid);
    r.addDir(dir);
    await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(dir)).toBe(true);
    fake.kill('SIGKILL');
    await until(() => !existsSync(dir), 5_000);
    r.release();
  });
});
