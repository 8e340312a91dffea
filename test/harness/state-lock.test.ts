// One environment per --state-dir: a second `up` (detached or not) is refused
// while the first runs, instead of orphaning it; a lock left by a dead process
// does not block the next `up`.

import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/process/index.js';

const BIN = path.resolve(__dirname, '../../bin/kapi-env.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'kapi-env-locktest-'));
/** Every state dir an `up` may have used, and every server pid seen: stopped in afterAll whatever happened. */
const stateDirs = new Set<string>();
const pids = new Set<number>();

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: work, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function upDetached(state: string): Promise<{ code: number; stdout: string; stderr: string; pid?: number }> {
  stateDirs.add(state);
  const r = await run([
    'up',
    '--storage',
    'memory',
    '--detach',
    '--json',
    '--state-dir',
    state,
    '--kubeconfig',
    path.join(state, 'kubeconfig'),
  ]);
  if (r.code !== 0) return r;
  const pid = (JSON.parse(r.stdout) as { pids: { server: number } }).pids.server;
  pids.add(pid);
  return { ...r, pid };
}

function lockHolder(state: string): number | undefined {
  const f = path.join(state, 'up.lock');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { pid: number }).pid : undefined;
}

/** The pid of a process that has exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', '']);
    child.on('exit', () => resolve(child.pid!));
  });
}

afterAll(async () => {
  for (const dir of stateDirs) await run(['down', '--state-dir', dir]);
  for (const pid of pids) {
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('state directory lock', () => {
  it('refuses a second up for a running state dir, keeps the first, and allows up again after down', async () => {
    const state = path.join(work, 'one');
    const first = await upDetached(state);
    expect(first.code, first.stderr).toBe(0);
    expect(lockHolder(state)).toBe(first.pid);

    const second = await upDetached(state);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`kapi-env: an environment is already running (pid ${first.pid}) with state in ${state}`);
    expect(second.stderr).toContain('fix: stop it with `kapi-env down`, or pass another --state-dir');
    expect(second.stderr).not.toMatch(/^\s+at /m);
    // The first is untouched: still running, still the one recorded.
    expect(isAlive(first.pid)).toBe(true);
    const status = await run(['status', '--state-dir', state, '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, pids: { server: first.pid } });
    expect(lockHolder(state)).toBe(first.pid);

    // Foreground up is refused the same way.
    const fg = await run(['up', '--storage', 'memory', '--state-dir', state, '--kubeconfig', path.join(state, 'kc2')]);
    expect(fg.code).toBe(1);
    expect(fg.stderr).toContain(`an environment is already running (pid ${first.pid})`);
    expect(isAlive(first.pid)).toBe(true);

    const down = await run(['down', '--state-dir', state]);
    expect(down.stdout.trim()).toBe('stopped');
    expect(isAlive(first.pid)).toBe(false);
    expect(existsSync(path.join(state, 'up.lock'))).toBe(false);

    const again = await upDetached(state);
    expect(again.code, again.stderr).toBe(0);
    expect(lockHolder(state)).toBe(again.pid);
    expect((await run(['down', '--state-dir', state])).stdout.trim()).toBe('stopped');
    expect(isAlive(again.pid)).toBe(false);
  }, 120_000);

  it('cleans a stale lock left by a dead process (or an unreadable one)', async () => {
    for (const [name, content] of [
      ['stale', JSON.stringify({ pid: await deadPid() })],
      ['garbage', 'not a lock'],
    ] as const) {
      const state = path.join(work, name);
      stateDirs.add(state);
      rmSync(state, { recursive: true, force: true });
      mkdirSync(state, { recursive: true });
      writeFileSync(path.join(state, 'up.lock'), content);
      const up = await upDetached(state);
      expect(up.code, `${name}: ${up.stderr}`).toBe(0);
      expect(lockHolder(state)).toBe(up.pid);
      expect((await run(['down', '--state-dir', state])).stdout.trim()).toBe('stopped');
      expect(existsSync(path.join(state, 'up.lock'))).toBe(false);
    }
  }, 120_000);

  it('down removes the lock of an up that was killed', async () => {
    const state = path.join(work, 'killed');
    const up = await upDetached(state);
    expect(up.code, up.stderr).toBe(0);
    process.kill(up.pid!, 'SIGKILL');
    const end = Date.now() + 10_000;
    while (isAlive(up.pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(isAlive(up.pid)).toBe(false);
    expect(lockHolder(state)).toBe(up.pid);
    await run(['down', '--state-dir', state]);
    expect(existsSync(path.join(state, 'up.lock'))).toBe(false);
  }, 60_000);
});
