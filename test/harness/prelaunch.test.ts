// `kapi-env up` on a native etcd: the launcher spawns etcd before the CLI loads (env/prelaunch.ts) and
// the start takes it. What the arguments are guessed to need, the hand-over, and that an etcd spawned
// for a start that does not take it (or never gets that far) is stopped and its data removed; and that the
// reaper cleans up after a start killed on memory storage too.

import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prelaunchBinary } from '../../src/env/prelaunch.js';
import { startNativeEtcd } from '../../src/etcd/index.js';
import { dropPrelaunched, keepPrelaunched, spawnEtcd, takePrelaunched } from '../../src/etcd/spawn.js';
import { isAlive, makeTempDir } from '../../src/process/index.js';
import { etcdBinary } from '../helpers/backends.js';
import { until } from '../helpers/until.js';

const BIN = path.resolve(__dirname, '../../bin/kapi-env.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'kapi-env-prelaunch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The pids of the etcd processes whose parent is `pid`. */
function etcdChildren(pid: number): Promise<number[]> {
  return new Promise((resolve) => {
    execFile('pgrep', ['-P', String(pid), '-x', 'etcd'], (_err, stdout) => resolve(stdout.split('\n').filter(Boolean).map(Number)));
  });
}

describe('what `kapi-env <args>` is guessed to launch', () => {
  // A PATH holding only an executable named etcd, and one holding none.
  const bin = path.join(work, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'etcd'), '#!/bin/sh\n');
  chmodSync(path.join(bin, 'etcd'), 0o755);
  const withEtcd = { PATH: bin };
  const withoutEtcd = { PATH: path.join(work, 'empty') };
  const other = path.join(bin, 'etcd');

  it.each([
    [['up'], withEtcd, other],
    [['up', '--storage', 'etcd', '--state-dir', 'x', '--crds', 'fixtures/crds'], withEtcd, other],
    [['up', '--storage=auto', '--json', '--servers', '3'], withEtcd, other],
    [['up', '--etcd-bin', other], withoutEtcd, other],
    [['up', `--etcd-bin=${other}`], withoutEtcd, other],
  ])('%j launches etcd', (args, env, binary) => {
    expect(prelaunchBinary(args, env)).toBe(binary);
  });

  it.each([
    // Not up, or no etcd to find.
    [['down'], withEtcd],
    [['serve', '--storage-backend=etcd3'], withEtcd],
    [['up'], withoutEtcd],
    [['up', '--etcd-bin', path.join(work, 'nonexistent')], withEtcd],
    // Other storage.
    [['up', '--storage', 'memory'], withEtcd],
    [['up', '--storage=container'], withEtcd],
    [['up', '--storage'], withEtcd],
    [['up', '--etcd-servers', 'http://127.0.0.1:2379'], withEtcd],
    [['up', '--apiserver-arg', '--storage-backend=memory'], withEtcd],
    // Not in this process (a detached child starts its own), or nothing started at all.
    [['up', '--detach'], withEtcd],
    [['up', '--help'], withEtcd],
    [['up'], { ...withEtcd, USE_EXISTING_CLUSTER: 'true' }],
    // etcd's log read (it is spawned quiet).
    [['up', '--log'], withEtcd],
    [['up'], { ...withEtcd, KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT: 'true' }],
  ])('%j with %j launches none', (args, env) => {
    expect(prelaunchBinary(args, env)).toBeUndefined();
  });
});

describe('`kapi-env up --storage memory` killed', () => {
  it('leaves no temp dir: the reaper removes it', async () => {
    const tmp = mkdtempSync(path.join(work, 'tmp-'));
    const dir = path.join(work, 'memory-killed');
    const child = spawn(process.execPath, [BIN, 'up', '--storage', 'memory', '--state-dir', dir, '--kubeconfig', path.join(dir, 'kc')], {
      env: { ...process.env, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await until(() => out.includes('kapi-env ready'), 30_000);
    expect(readdirSync(tmp).filter((d) => d.startsWith('kapi-env-'))).toHaveLength(1);
    child.kill('SIGKILL');
    await until(() => readdirSync(tmp).length === 0);
  });
});

describe.skipIf(!etcdBinary)('an etcd kept for the start', () => {
  const spawned = async () => spawnEtcd(etcdBinary!, await makeTempDir('kapi-env-etcd-'), true);

  it('is taken by startNativeEtcd asking for the same binary, and stopped with it', async () => {
    const etcd = await spawned();
    keepPrelaunched(etcd);
    const proc = await startNativeEtcd({ binary: etcdBinary! });
    try {
      expect(proc.pid).toBe(etcd.child.pid);
      expect(proc.dataDir).toBe(etcd.dataDir);
      expect(takePrelaunched(etcdBinary!, true)).toBeUndefined();
    } finally {
      await proc.stop();
    }
    expect(isAlive(etcd.child.pid)).toBe(false);
    expect(existsSync(etcd.dataDir)).toBe(false);
  });

  it.each([
    ['another binary', (e: { binary: string }) => takePrelaunched(`${e.binary}-other`, true)],
    ['its log read', (e: { binary: string }) => takePrelaunched(e.binary, false)],
    ['no native etcd', () => dropPrelaunched()],
  ])('is stopped and its data removed when the start asks for %s', async (_what, ask) => {
    const etcd = await spawned();
    keepPrelaunched(etcd);
    expect(ask(etcd)).toBeUndefined();
    await etcd.exit;
    await until(() => !existsSync(etcd.dataDir));
    expect(isAlive(etcd.child.pid)).toBe(false);
  });
});

describe.skipIf(!etcdBinary)('`kapi-env up` with a prelaunched etcd', () => {
  /** A private TMPDIR, so what a start leaves behind is seen exactly. */
  const privateTmp = () => mkdtempSync(path.join(work, 'tmp-'));

  it('runs one etcd, the one it reports, and leaves nothing on SIGINT', async () => {
    const tmp = privateTmp();
    const dir = path.join(work, 'one');
    const child = spawn(
      process.execPath,
      [BIN, 'up', '--storage', 'etcd', '--json', '--state-dir', dir, '--kubeconfig', path.join(dir, 'kc')],
      {
        env: { ...process.env, TMPDIR: tmp },
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await until(() => out.includes('\n'), 30_000);
    const info = JSON.parse(out) as { pids: { etcd: number } };
    expect(await etcdChildren(child.pid!)).toEqual([info.pids.etcd]);
    expect(readdirSync(tmp).filter((d) => d.startsWith('kapi-env-etcd-'))).toHaveLength(1);
    const code = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    child.kill('SIGINT');
    expect(await code).toBe(0);
    expect(isAlive(info.pids.etcd)).toBe(false);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('spawns etcd before the CLI reads its flags: a flag error exits 2, that etcd stopped and removed', async () => {
    // An "etcd" that records each start (a --help probe aside) and runs until killed.
    const tmp = privateTmp();
    const log = path.join(work, 'fake-etcd.log');
    const fake = path.join(work, 'fake-etcd');
    writeFileSync(fake, `#!/bin/sh\ncase "$*" in *--data-dir=*) echo "$$ $*" >> ${log}; exec sleep 30;; esac\necho "--data-dir"\n`);
    chmodSync(fake, 0o755);
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [BIN, 'up', '--storage', 'etcd', '--etcd-bin', fake, '--bogus'],
        { env: { ...process.env, TMPDIR: tmp, XDG_CACHE_HOME: path.join(work, 'cache') }, timeout: 10_000 },
        (err, _o, stderr) => resolve({ code: err ? (err.code as number) : 0, stderr }),
      );
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
    const [pid, ...args] = readFileSync(log, 'utf8').trim().split(' ');
    expect(args.find((a) => a.startsWith('--data-dir='))).toMatch(new RegExp(`^--data-dir=${tmp}/kapi-env-etcd-`));
    await until(() => !isAlive(Number(pid)) && readdirSync(tmp).length === 0);
  });

  it('killed while etcd starts, leaves no etcd and no data behind (the reaper)', async () => {
    const tmp = privateTmp();
    const dir = path.join(work, 'killed');
    const child = spawn(process.execPath, [BIN, 'up', '--storage', 'etcd', '--state-dir', dir, '--kubeconfig', path.join(dir, 'kc')], {
      env: { ...process.env, TMPDIR: tmp },
      stdio: 'ignore',
    });
    let etcd: number[] = [];
    while (!etcd.length) {
      etcd = await etcdChildren(child.pid!);
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    await until(() => !isAlive(etcd[0]));
    await until(() => readdirSync(tmp).length === 0);
  });
});
