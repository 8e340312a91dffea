#!/usr/bin/env node
// In-process watch fan-out: N watchers on one WatchCache (memory backend)
// while W updates/s are written; latency = write start -> sink received the
// serialised line. Not a timed test: prints numbers.
//   node scripts/bench/watch-fanout-cache.mjs [--watchers 1000] [--rate 200] [--seconds 5]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const arg = (n, d) => {
  const i = process.argv.indexOf(`--${n}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const WATCHERS = arg('watchers', 1000),
  RATE = arg('rate', 200),
  SECONDS = arg('seconds', 5);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = mkdtempSync(path.join(os.tmpdir(), 'kapi-bench-'));
try {
  execFileSync(
    path.join(root, 'node_modules/.bin/tsc'),
    [
      '--outDir',
      out,
      '--rootDir',
      path.join(root, 'src'),
      '--module',
      'NodeNext',
      '--moduleResolution',
      'NodeNext',
      '--target',
      'ES2022',
      '--skipLibCheck',
      '--types',
      'node',
      path.join(root, 'src/server/watch/index.ts'),
      path.join(root, 'src/server/storage/memory/index.ts'),
    ],
    { stdio: 'inherit' },
  );
  const { WatchCache, eventLine } = await import(pathToFileURL(path.join(out, 'server/watch/index.js')).href);
  const { MemoryStorage } = await import(pathToFileURL(path.join(out, 'server/storage/memory/index.js')).href);
  const storage = new MemoryStorage();
  const cache = new WatchCache(storage, '/configmaps/', { bookmarkIntervalMs: 0 });
  await cache.start();
  await storage.create('/configmaps/default/hot', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'hot', namespace: 'default' },
    data: { v: '0' },
  });
  const startedAt = new Map();
  const lat = [];
  let bytes = 0;
  for (let i = 0; i < WATCHERS; i++) {
    await cache.watch(
      { fromRevision: 0, keyPrefix: '/configmaps/default/' },
      {
        event: (ev) => {
          bytes += eventLine(ev).length;
          const t = startedAt.get(ev.object.metadata.resourceVersion);
          if (t !== undefined) lat.push(performance.now() - t);
        },
        close() {},
      },
    );
  }
  const rss0 = process.memoryUsage().rss;
  let n = 0;
  const total = RATE * SECONDS;
  const t0 = performance.now();
  await new Promise((resolve) => {
    const tick = setInterval(async () => {
      // Catch up to the schedule so the rate holds despite timer granularity.
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * RATE));
      while (n < due) {
        n++;
        const t = performance.now();
        const rv = String(Number(cache.currentRevision) + 1);
        startedAt.set(rv, t);
        await storage.guaranteedUpdate('/configmaps/default/hot', (o) => ({ ...o, data: { v: String(n) } }));
      }
      if (n >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  const s = [...lat].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(2);
  console.log(
    JSON.stringify({
      watchers: WATCHERS,
      ratePerSec: RATE,
      seconds: SECONDS,
      deliveries: lat.length,
      expected: WATCHERS * total,
      latencyMs: { p50: q(0.5), p99: q(0.99), max: q(1) },
      wallSec: ((performance.now() - t0) / 1000).toFixed(2),
      mbServed: (bytes / 1e6).toFixed(1),
      rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
      rssBeforeWritesMiB: Math.round(rss0 / 2 ** 20),
    }),
  );
  cache.stop();
} finally {
  rmSync(out, { recursive: true, force: true });
}
