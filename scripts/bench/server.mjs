// A kapi-env environment in its own process, so the benchmark measures the
// server's memory alone. Prints one JSON line when ready; answers {op:'rss'} over IPC.
import { startEnv } from '../../dist/index.js';

const storage = process.argv[2] ?? 'memory';
const env = await startEnv({ storage, apiserverArgs: ['--etcd-compaction-interval=0'] });
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
  } else if (m?.op === 'stop') {
    await env.stop();
    process.exit(0);
  }
});
