// Shared benchmark helpers: statistics, an HTTP/2 client, the server child process.
import { fork, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import http2 from 'node:http2';
import { fileURLToPath } from 'node:url';
import { startNativeEtcd, waitHealthy } from '../../dist/etcd/index.js';
import { freePort, makeTempDir, stopProcess } from '../../dist/process/index.js';

/**
 * Milliseconds from spawning etcd as etcd starts by default (given only a data dir and loopback URLs) to its
 * /health answering; then it is stopped. This is the bare etcd start the figures are compared with: kapi-env starts
 * its etcd tuned for a cluster of one (etcd/spawn.ts, SINGLE_MEMBER_RAFT), which `tuned` measures instead.
 */
export async function etcdStart(etcdBin, { tuned = false } = {}) {
  const t0 = performance.now();
  if (tuned) {
    const e = await startNativeEtcd({ binary: etcdBin });
    const ms = performance.now() - t0;
    await e.stop();
    return ms;
  }
  const [dir, client, peer] = await Promise.all([makeTempDir('kapi-env-bench-etcd-'), freePort(), freePort()]);
  const c = `http://127.0.0.1:${client}`;
  const p = `http://127.0.0.1:${peer}`;
  const args = [`--data-dir=${dir}`, `--listen-client-urls=${c}`, `--advertise-client-urls=${c}`, `--listen-peer-urls=${p}`];
  args.push(`--initial-advertise-peer-urls=${p}`, `--initial-cluster=default=${p}`, '--log-level=error');
  const child = spawn(etcdBin, args, { detached: true, stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  try {
    await waitHealthy(c, 15_000);
    return performance.now() - t0;
  } finally {
    await stopProcess(child.pid, { exited });
    rmSync(dir, { recursive: true, force: true });
  }
}

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p99: q(0.99), min: s[0], max: s[s.length - 1], n: s.length };
}

export async function repeat(runs, warmup, fn) {
  for (let i = 0; i < warmup; i++) await fn();
  const out = [];
  for (let i = 0; i < runs; i++) out.push(await fn());
  return out;
}

/**
 * Forks a benchmark server (`script`, beside this file, given `arg`); resolves with what it reports once
 * it serves, plus the calls the scenarios make on it.
 */
export function startServer(arg, script = './server.mjs') {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), [arg], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiters = [];
  child.on('message', (m) => waiters.shift()?.(m));
  const next = () => new Promise((r) => waiters.push(r));
  return next().then((info) => ({
    ...info,
    rss: async () => {
      child.send({ op: 'rss' });
      return (await next()).rss;
    },
    /** After a GC: the JS heap in use plus Buffers' memory (what the server retains, without the allocator's slack). */
    retained: async () => {
      child.send({ op: 'rss' });
      return (await next()).retained;
    },
    /** The server process's CPU time so far (user + system), in microseconds. */
    cpu: async () => {
      child.send({ op: 'cpu' });
      return (await next()).cpuUs;
    },
    /** The field manager's time so far (server.mjs times its calls), in microseconds. */
    fieldManager: async () => {
      child.send({ op: 'fieldManager' });
      return (await next()).us;
    },
    stop: async () => {
      child.send({ op: 'stop' });
      await new Promise((r) => child.once('exit', r));
    },
  }));
}

/** One HTTP/2 session; `request` resolves with status and body text. */
export function h2(info) {
  const session = http2.connect(info.server, { ca: info.ca, cert: info.cert, key: info.key });
  session.on('error', () => {});
  const request = (method, path, body, contentType = 'application/json') =>
    new Promise((resolve, reject) => {
      const headers = { ':method': method, ':path': path, accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = contentType;
      const st = session.request(headers);
      let status = 0;
      let data = '';
      st.on('response', (h) => {
        status = h[':status'];
      });
      st.setEncoding('utf8');
      st.on('data', (d) => {
        data += d;
      });
      st.on('end', () => resolve({ status, body: data }));
      st.on('error', reject);
      st.end(body === undefined ? undefined : JSON.stringify(body));
    });
  return { session, request, close: () => session.close() };
}

/** Runs `total` operations with `concurrency` in flight; returns ops/s. */
export async function throughput(total, concurrency, op) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await op(next++);
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}
