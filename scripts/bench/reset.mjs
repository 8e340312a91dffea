// Reset: env.reset() with 1,000 objects written since start, against a fresh start of the same storage.
// Targets: <= 5 ms on memory, <= 10% of a fresh start on etcd.
import { startEnv } from '../../dist/index.js';
import { repeat, stats } from './lib.mjs';

const OBJECTS = 1000;

async function fill(client, round) {
  const ns = `bench-reset-${round}`;
  await client.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const batch = 50;
  for (let i = 1; i < OBJECTS; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, OBJECTS - i) }, (_, j) =>
        client.post(`/api/v1/namespaces/${ns}/configmaps`, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `cm-${i + j}` },
          data: { value: 'x'.repeat(256) },
        }),
      ),
    );
  }
}

export async function resetBench({ storage, smoke, record, log }) {
  log('reset');
  // Single resets spread (the server's GC lands in some): nine timed rounds for the median.
  const runs = smoke ? 1 : 9;
  const fresh = stats(
    await repeat(smoke ? 1 : 3, 0, async () => {
      const t0 = performance.now();
      const env = await startEnv({ storage });
      const ms = performance.now() - t0;
      await env.stop();
      return ms;
    }),
  ).median;
  const env = await startEnv({ storage });
  const client = env.client();
  try {
    let round = 0;
    // Untimed rounds first, as the other scenarios warm up: the first resets of a process run colder code.
    const warmup = smoke ? 0 : 2;
    const samples = [];
    for (let r = 0; r < warmup + runs; r++) {
      await fill(client, ++round);
      const t0 = performance.now();
      await env.reset();
      if (r >= warmup) samples.push(performance.now() - t0);
    }
    const s = stats(samples);
    if (storage === 'memory') record('reset', `reset with ${OBJECTS} objects ms (target <= 5)`, s.median, 'ms', 5, 'target ms');
    else
      record('reset', `reset with ${OBJECTS} objects ms (target <= 10% of start)`, s.median, 'ms', fresh * 0.1, '10% of a fresh start ms');
    record('reset', 'fresh start ms', fresh, 'ms');
  } finally {
    await client.close();
    await env.stop();
  }
}
