// The cost of metrics and audit logging (issue 17): ConfigMap create throughput at 16 streams, and the
// server's CPU time per create, with metrics and audit off, metrics on, audit at Metadata level to a file,
// and both on, each as a ratio to both off in the same run (target: within 10%). The four servers run side
// by side in their own processes on memory storage (the filters' cost does not depend on the storage), and
// are measured in alternation, round after round, so drift on a shared machine hits all four alike; each
// figure is the median of its rounds.
import { h2, startServer, stats, throughput } from './lib.mjs';

const STREAMS = 16;
const CONFIGS = [
  { key: 'off', label: 'metrics and audit off', metrics: false, audit: false },
  { key: 'metrics', label: 'metrics on', metrics: true, audit: false },
  { key: 'audit', label: 'audit Metadata to a file', metrics: false, audit: true },
  { key: 'both', label: 'metrics and audit on', metrics: true, audit: true },
];

async function must(p, what) {
  const r = await p;
  if (r.status >= 300) throw new Error(`bench metrics-audit: ${what}: ${r.status} ${r.body}`);
  return r;
}

export async function metricsAuditBench({ smoke, record, log }) {
  log('metrics-audit');
  const total = smoke ? 100 : 1000;
  const rounds = smoke ? 1 : 6;
  const servers = await Promise.all(
    CONFIGS.map((c) => startServer(JSON.stringify({ metrics: c.metrics, audit: c.audit }), './metrics-audit-server.mjs')),
  );
  const clients = servers.map((s) => h2(s));
  const rates = CONFIGS.map(() => []);
  const cpus = CONFIGS.map(() => []);
  try {
    const creates = async (i, ns) => {
      const c = clients[i];
      await must(c.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }), ns);
      const base = `/api/v1/namespaces/${ns}/configmaps`;
      const cpu0 = await servers[i].cpu();
      const rate = await throughput(total, STREAMS, (n) =>
        must(c.request('POST', base, { metadata: { name: `cm${n}` }, data: { k: 'v' } }), 'create'),
      );
      return { rate, cpuUs: ((await servers[i].cpu()) - cpu0) / total };
    };
    // A first round unmeasured: code paths and connections warmed up alike for all four.
    for (let i = 0; i < CONFIGS.length; i++) await creates(i, 'bench-warmup');
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < CONFIGS.length; k++) {
        // Each round starts with a different configuration, so none is always measured first.
        const i = (k + r) % CONFIGS.length;
        const { rate, cpuUs } = await creates(i, `bench-round-${r}`);
        rates[i].push(rate);
        cpus[i].push(cpuUs);
      }
    }
  } finally {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.stop()));
  }
  const rate = rates.map((r) => stats(r).median);
  const cpu = cpus.map((c) => stats(c).median);
  CONFIGS.forEach((c, i) => {
    record('metrics-audit', `create ops/s, ${STREAMS} streams, ${c.label}`, rate[i], 'ops/s', i ? rate[0] : undefined, 'both off ops/s');
  });
  CONFIGS.forEach((c, i) => {
    record('metrics-audit', `server CPU per create, ${c.label}`, cpu[i], 'µs', i ? cpu[0] : undefined, 'both off µs');
  });
}
