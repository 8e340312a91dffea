// Cold start of the CLI, each figure next to what the machine itself costs in the same run:
// `node -e 0` (a bare Node process) and a bare etcd (the binary started until /health answers).
// Runs are interleaved (node, --version, up memory, etcd, up etcd, node, ...) so a busy
// machine slows every figure alike; the median of several runs is kept.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNativeEtcd } from '../../dist/etcd/index.js';
import { stats } from './lib.mjs';

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

async function bareEtcd(etcdBin) {
  const t0 = performance.now();
  const e = await startNativeEtcd({ binary: etcdBin });
  const ms = performance.now() - t0;
  await e.stop();
  return ms;
}

/**
 * @param {{ runs: number, warmup: number, etcdBin?: string, record: Function, log: Function }} o
 * Goals: --version <= 2 x node -e 0; up (memory) <= 3 x node -e 0; up (etcd) <= 1.2 x bare etcd + node -e 0.
 */
export async function coldstart({ runs, warmup, etcdBin, record, log }) {
  log('coldstart');
  const s = { node: [], version: [], memory: [], etcd: [], upEtcd: [] };
  // Untimed rounds first: the page cache holds node, the sources and etcd afterwards.
  for (let i = 0; i < warmup + runs; i++) {
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
      const etcd = await bareEtcd(etcdBin);
      const upEtcd = await timeUp('etcd');
      if (keep) {
        s.etcd.push(etcd);
        s.upEtcd.push(upEtcd);
      }
    }
  }
  const m = (k) => stats(s[k]).median;
  record('coldstart', 'node -e 0 (baseline), median', m('node'), 'ms');
  record('coldstart', '`kapi-env --version`, median', m('version'), 'ms', m('node'), 'node -e 0 ms');
  record('coldstart', '`kapi-env up --storage memory` to ready line', m('memory'), 'ms', m('node'), 'node -e 0 ms');
  if (etcdBin) {
    record('coldstart', 'bare etcd start to /health ok, median', m('etcd'), 'ms');
    record('coldstart', '`kapi-env up --storage etcd` to ready line', m('upEtcd'), 'ms', m('etcd') + m('node'), 'bare etcd + node -e 0 ms');
  }
}
