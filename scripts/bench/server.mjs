// A kapi-env environment in its own process, so the benchmark measures the
// server's memory alone. Prints one JSON line when ready; answers {op:'rss'} over IPC.
import { startEnv } from '../../dist/index.js';
import { FieldManager } from '../../dist/server/registry/fieldmanager.js';

// The field manager's own time (managedFields bookkeeping: the sets, ownership, encoding), summed over
// its calls: synchronous code, so wall time in them is this thread's CPU time. The `apply` scenario
// sets it against the whole update's CPU time.
let fieldManagerUs = 0;
for (const method of ['update', 'apply', 'committed']) {
  const original = FieldManager.prototype[method];
  FieldManager.prototype[method] = function timed(...args) {
    const t0 = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      fieldManagerUs += (performance.now() - t0) * 1000;
    }
  };
}

const storage = process.argv[2] ?? 'memory';
// In line: this process is the server (its CPU time, RSS and a gc() that reaches the server's heap).
const env = await startEnv({ storage, serverThread: 'inline', apiserverArgs: ['--etcd-compaction-interval=0'] });
process.send?.({
  ready: true,
  server: env.server,
  ca: env.ca,
  cert: env.clientCert,
  key: env.clientKey,
  kubeconfig: env.kubeconfigPath,
  etcd: env.etcdEndpoint,
  elapsedMs: env.elapsedMs,
});
// If the benchmark process dies, so does this server (and its etcd with it).
process.on('disconnect', async () => {
  await env.stop();
  process.exit(0);
});
process.on('message', async (m) => {
  if (m?.op === 'rss') {
    global.gc?.();
    const m = process.memoryUsage();
    process.send?.({ rss: m.rss, heapUsed: m.heapUsed, retained: m.heapUsed + m.arrayBuffers });
  } else if (m?.op === 'cpu') {
    const u = process.cpuUsage();
    process.send?.({ cpuUs: u.user + u.system });
  } else if (m?.op === 'fieldManager') {
    process.send?.({ us: fieldManagerUs });
  } else if (m?.op === 'stop') {
    await env.stop();
    process.exit(0);
  }
});
