// Cold start of the CLI, each figure next to what the machine itself costs in the same run:
// `node -e 0` (a bare Node process) and a bare etcd (the binary started until /health answers).
// Runs are interleaved (node, --version, up memory, etcd, up etcd, node, ...) so a busy
// machine slows every figure alike; the median of several runs is kept.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { etcdStart, stats } from './lib.mjs';

const BIN = fileURLToPath(new URL('../../bin/kapi-env.js', import.meta.url));

/** Milliseconds from spawning `node args` to its exit. */
function timeExit(args) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(performance.now() - t0) : reject(new Error(`node ${args.join(' ')} exited ${code}`)),
    );
  });
}

/** Milliseconds from spawning `kapi-env up ...` to its ready line on stdout; then SIGINT and wait for its exit. */
function timeUp(storage) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kapi-env-coldstart-'));
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, 'up', '--storage', storage, '--state-dir', dir, '--kubeconfig', path.join(dir, 'kc')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let ms;
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      if (ms === undefined && out.includes('kapi-env ready')) {
        ms = performance.now() - t0;
        child.kill('SIGINT');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      err += d;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      rmSync(dir, { recursive: true, force: true });
      if (ms === undefined) reject(new Error(`kapi-env up --storage ${storage} exited ${code} before ready:\n${err}`));
      else resolve(ms);
    });
  });
}

const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;

/**
 * @param {{ runs: number, warmup: number, etcdBin?: string, record: Function, log: Function }} o
 * Goals: --version <= 2 x node -e 0; up (memory) <= 3 x node -e 0; up (etcd) <= 1.2 x bare etcd + node -e 0.
 *
 * A fresh etcd's start is mostly its first election: with etcd's defaults, a random wait of 1 to 10 heartbeats of
 * 100 ms, drawn anew by each start. The median of seven draws moves by about 170 ms from one run to the next, so
 * with etcd there are three times as many rounds (each times every command), and the bare etcd is compared by its mean (for a uniform wait, the mean of n draws
 * varies by 260/sqrt(n) ms, the median by 450/sqrt(n)); the figure's standard error is printed beside it. kapi-env
 * starts etcd tuned for a cluster of one (SINGLE_MEMBER_RAFT: a 10 ms heartbeat); that start is recorded beside.
 */
export async function coldstart({ runs, warmup, etcdBin, record, log }) {
  log('coldstart');
  const s = { node: [], version: [], memory: [], etcd: [], tuned: [], upEtcd: [] };
  const rounds = etcdBin ? runs * 3 : runs;
  // Untimed rounds first: the page cache holds node, the sources and etcd afterwards. Each round times each
  // command once, so every figure has as many runs as `node -e 0`, taken in the same stretches of the run.
  for (let i = 0; i < warmup + rounds; i++) {
    const keep = i >= warmup;
    const node = await timeExit(['-e', '0']);
    const version = await timeExit([BIN, '--version']);
    const memory = await timeUp('memory');
    if (keep) {
      s.node.push(node);
      s.version.push(version);
      s.memory.push(memory);
    }
    if (etcdBin) {
      const etcd = await etcdStart(etcdBin);
      const tuned = await etcdStart(etcdBin, { tuned: true });
      const upEtcd = await timeUp('etcd');
      if (keep) {
        s.etcd.push(etcd);
        s.tuned.push(tuned);
        s.upEtcd.push(upEtcd);
      }
    }
  }
  const m = (k) => stats(s[k]).median;
  const n = s.node.length;
  record('coldstart', `node -e 0 (baseline), median of ${n}`, m('node'), 'ms');
  record('coldstart', `\`kapi-env --version\`, median of ${n}`, m('version'), 'ms', m('node'), 'node -e 0 ms');
  record('coldstart', `\`kapi-env up --storage memory\` to ready line, median of ${n}`, m('memory'), 'ms', m('node'), 'node -e 0 ms');
  if (etcdBin) {
    const ceiling = mean(s.etcd) + m('node');
    record('coldstart', `bare etcd start to /health ok (etcd's defaults), mean of ${n}`, mean(s.etcd), 'ms');
    record('coldstart', `etcd as kapi-env starts it (a 10 ms heartbeat), mean of ${n}`, mean(s.tuned), 'ms');
    record(
      'coldstart',
      `\`kapi-env up --storage etcd\` to ready line, mean of ${n}`,
      mean(s.upEtcd),
      'ms',
      ceiling,
      'bare etcd + node -e 0 ms',
    );
    // The ratio's standard error: both means' own, the runs being independent.
    const se = (a) => Math.sqrt(a.reduce((x, y) => x + (y - mean(a)) ** 2, 0) / (a.length - 1) / a.length);
    const ratioSe = (mean(s.upEtcd) / ceiling) * Math.hypot(se(s.upEtcd) / mean(s.upEtcd), se(s.etcd) / ceiling);
    log(`  the etcd ratio's standard error: ${ratioSe.toFixed(3)}`);
  }
}
