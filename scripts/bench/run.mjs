#!/usr/bin/env node
// kapi-env benchmarks: every figure next to its ceiling measured in the same run.
//   npm run bench -- [--storage memory|etcd] [--json] [--smoke] [--only coldstart,startup,crud,apply,watch,list,crd,memory,reset,controllers,webhooks,metrics-audit]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { parseAllDocuments } from 'yaml';
import { findEtcdBinary } from '../../dist/etcd/index.js';
import { startEnv } from '../../dist/index.js';
import { createPki } from '../../dist/pki/index.js';
import { coldstart } from './coldstart.mjs';
import { controllersBench } from './controllers.mjs';
import { etcdStart, h2, repeat, startServer, stats, throughput } from './lib.mjs';
import { metricsAuditBench } from './metrics-audit.mjs';
import { resetBench } from './reset.mjs';
import { webhooksBench } from './webhooks.mjs';

const args = process.argv.slice(2);
const flag = (n) => args.includes(`--${n}`);
const opt = (n, d) => {
  const i = args.indexOf(`--${n}`);
  return i >= 0 ? args[i + 1] : d;
};
const storage = opt('storage', 'memory');
const smoke = flag('smoke');
const only = opt('only', 'coldstart,startup,crud,apply,watch,list,crd,memory,reset,controllers,webhooks,metrics-audit').split(',');
const json = flag('json');
const results = [];
const log = (...m) => {
  if (!json) console.error(...m);
};

/** `ratio`, when given, is the figure's own ratio to its ceiling (one measured with it, as paired rounds give). */
function record(scenario, metric, value, unit, ceiling, ceilingName, ratio) {
  const r = { scenario, metric, value: Math.round(value * 100) / 100, unit };
  if (ceiling !== undefined) {
    r.ceiling = Math.round(ceiling * 100) / 100;
    r.ceilingName = ceilingName;
    r.ratio = Math.round((ratio ?? value / ceiling) * 100) / 100;
  }
  results.push(r);
  log(
    `  ${scenario.padEnd(10)} ${metric.padEnd(42)} ${String(r.value).padStart(10)} ${unit}${ceiling !== undefined ? `   (${ceilingName}: ${r.ceiling}, ratio ${r.ratio})` : ''}`,
  );
}

const etcdBin = findEtcdBinary().path;
if (storage === 'etcd' && !etcdBin) {
  console.error('--storage etcd needs an etcd binary (apt-get install etcd-server or KAPI_ETCD_BIN)');
  process.exit(2);
}

async function bareTlsFirstRequest() {
  const pki = await createPki();
  const t0 = performance.now();
  const srv = http2.createSecureServer({ cert: pki.serving.certPem, key: pki.serving.keyPem, allowHTTP1: true }, (_q, s) => s.end('ok'));
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const c = http2.connect(`https://127.0.0.1:${srv.address().port}`, { ca: pki.ca.certPem });
  await new Promise((r) => c.request({ ':path': '/' }).on('end', r).resume());
  const ms = performance.now() - t0;
  c.close();
  srv.close();
  return ms;
}

async function startup() {
  log('startup');
  const runs = smoke ? 1 : 5;
  const floor = stats(await repeat(runs, smoke ? 0 : 1, storage === 'etcd' ? () => etcdStart(etcdBin) : bareTlsFirstRequest)).median;
  const floorName = storage === 'etcd' ? 'bare etcd to healthy ms' : 'bare TLS server first request ms';
  for (const serverThread of ['worker', 'inline']) {
    const inproc = stats(
      await repeat(runs, smoke ? 0 : 1, async () => {
        const t0 = performance.now();
        const env = await startEnv({ storage, serverThread });
        const ms = performance.now() - t0;
        await env.stop();
        return ms;
      }),
    );
    const how = serverThread === 'worker' ? 'in a worker thread (the default)' : 'in line';
    record('startup', `startEnv() until ready, ${how}, median`, inproc.median, 'ms', floor, floorName);
  }
  const bin = path.resolve('bin/kapi-env.js');
  const cli = stats(
    await repeat(smoke ? 1 : 3, 0, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'kapi-env-bench-'));
      const t0 = performance.now();
      execFileSync(process.execPath, [
        bin,
        'up',
        '--detach',
        '--storage',
        storage,
        '--state-dir',
        dir,
        '--kubeconfig',
        path.join(dir, 'kc'),
        '--quiet',
      ]);
      execFileSync('kubectl', ['--kubeconfig', path.join(dir, 'kc'), 'get', 'ns'], { stdio: 'ignore' });
      const ms = performance.now() - t0;
      execFileSync(process.execPath, [bin, 'down', '--state-dir', dir], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
      return ms;
    }),
  );
  record('startup', '`kapi-env up --detach` until `kubectl get ns`', cli.median, 'ms', floor, floorName);
}

async function echoCeiling(total, conc) {
  const pki = await createPki();
  const srv = http2.createSecureServer({ cert: pki.serving.certPem, key: pki.serving.keyPem }, (q, s) => {
    let b = '';
    q.on('data', (d) => {
      b += d;
    });
    q.on('end', () => {
      s.setHeader('content-type', 'application/json');
      s.end(b || '{"kind":"ConfigMap"}');
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const c = h2({ server: `https://127.0.0.1:${srv.address().port}`, ca: pki.ca.certPem, cert: undefined, key: undefined });
  const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' }, data: { k: 'v' } };
  const ops = await throughput(total, conc, () => c.request('POST', '/echo', body));
  c.close();
  srv.close();
  return ops;
}

/**
 * Phases measured by rate and by the server's CPU per operation: the rate moves with whatever else the
 * machine runs, CPU time per operation much less, so it is the figure to compare across commits.
 */
function cpuPhases(info, total) {
  const cpu = {};
  const phase = async (name, run) => {
    const u0 = await info.cpu();
    const rate = await run();
    cpu[name] = ((await info.cpu()) - u0) / total;
    return rate;
  };
  return { cpu, phase };
}

async function crud(info) {
  log('crud');
  const total = smoke ? 100 : 3000;
  const c = h2(info);
  let etcd;
  if (storage === 'etcd') etcd = new Etcd3({ hosts: info.etcd });
  for (const conc of [1, 16, 64]) {
    const ns = `bench${conc}`;
    await c.request('POST', '/api/v1/namespaces', { metadata: { name: ns } });
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const { cpu, phase } = cpuPhases(info, total);
    const creates = await phase('create', () =>
      throughput(total, conc, (i) => c.request('POST', base, { metadata: { name: `cm${i}` }, data: { k: 'v' } })),
    );
    const gets = await phase('get', () => throughput(total, conc, (i) => c.request('GET', `${base}/cm${i}`)));
    const updates = await phase('update', () =>
      throughput(total, conc, (i) => c.request('PUT', `${base}/cm${i}`, { metadata: { name: `cm${i}` }, data: { k: 'w' } })),
    );
    const deletes = await phase('delete', () => throughput(total, conc, (i) => c.request('DELETE', `${base}/cm${i}`)));
    let putCeil;
    let getCeil;
    let name;
    if (etcd) {
      const v = JSON.stringify({ metadata: { name: 'x' }, data: { k: 'v' } });
      putCeil = await throughput(total, conc, (i) => etcd.put(`/bench/${conc}/${i}`).value(v));
      getCeil = await throughput(total, conc, (i) => etcd.get(`/bench/${conc}/${i}`).string());
      name = 'raw etcd3 ops/s';
    } else {
      putCeil = getCeil = await echoCeiling(total, conc);
      name = 'bare h2 echo ops/s';
    }
    record('crud', `create ops/s, ${conc} streams`, creates, 'ops/s', putCeil, name);
    record('crud', `get ops/s, ${conc} streams`, gets, 'ops/s', getCeil, name);
    record('crud', `update ops/s, ${conc} streams`, updates, 'ops/s', putCeil, name);
    record('crud', `delete ops/s, ${conc} streams`, deletes, 'ops/s', putCeil, name);
    for (const [verb, us] of Object.entries(cpu)) record('crud', `server CPU per ${verb}, ${conc} streams`, us, 'µs');
  }
  etcd?.close();
  c.close();
}

/**
 * Server-side apply: a 50-field ConfigMap applied (create, then a one-value change) at 1/16/64 streams, as a
 * ratio to a plain update of the same objects in the same run; and what managedFields bookkeeping costs a
 * plain update: the server's CPU per PUT of objects that carry managedFields against a second set of the same
 * objects whose managedFields were reset (`[{}]`, untracked until an apply), the two sets updated in short
 * alternating rounds so that neither gets the warmer process or a quieter machine.
 */
async function applyScenario(info) {
  log('apply');
  const total = smoke ? 100 : 2000;
  const c = h2(info);
  const data = (v) => Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i === 0 ? v : `value-${i}`]));
  const APPLY = 'application/apply-patch+yaml';
  for (const conc of [1, 16, 64]) {
    const ns = `apply${conc}`;
    await c.request('POST', '/api/v1/namespaces', { metadata: { name: ns } });
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const { cpu, phase } = cpuPhases(info, total);
    const body = (name, v) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: data(v) });
    const apply = (set, v) => (i) => c.request('PATCH', `${base}/${set}${i}?fieldManager=bench`, body(`${set}${i}`, v), APPLY);
    const put = (set, v) => (i) => c.request('PUT', `${base}/${set}${i}`, body(`${set}${i}`, v));
    const applyCreate = await phase('apply create', () => throughput(total, conc, apply('a', 'x')));
    const applyUpdate = await phase('apply update', () => throughput(total, conc, apply('a', 'y')));
    // The second set, the same objects made the same way, then untracked.
    await throughput(total, conc, apply('b', 'x'));
    await throughput(total, conc, apply('b', 'y'));
    await throughput(total, conc, (i) =>
      c.request('PATCH', `${base}/b${i}`, { metadata: { managedFields: [{}] } }, 'application/merge-patch+json'),
    );
    // Plain updates of the two sets: each object once (untimed: the first update moves a field from the applier
    // to the updater), then short alternating rounds (tracked then untracked, then the other way round) over
    // the objects in turn, the server's CPU read around each: the load of whatever else runs on the machine
    // moves from second to second, so both sets get the same share of it. Each set's figure is its median
    // round: a round that catches a full collection of the heap (garbage of both sets and of the phases
    // before) or a busy moment of the machine does not decide it. The ratio of the two is the median over
    // pairs of rounds, one of each order, of the pair's own ratio: the halves run back to back, so a load that
    // lasts seconds weighs on both, where the ratio of the two medians can take them from different moments;
    // and the pair holds each set once in each place, so whatever the first (or second) half of a round pays
    // (a collection of the other half's garbage) weighs on both alike. A round's CPU moves by ±20% with the
    // collections that land in it, and the median of 16 pairs moved by ±0.05 between runs: 64 rounds of 200
    // updates (32 pairs).
    await throughput(total, conc, put('a', 'w'));
    await throughput(total, conc, put('b', 'w'));
    const rounds = smoke ? 2 : 64;
    const per = smoke ? total : 200;
    const perRound = { a: { cpu: [], ms: [], fm: [] }, b: { cpu: [], ms: [], fm: [] } };
    for (let round = 0; round < rounds; round++) {
      for (const set of round % 2 ? ['b', 'a'] : ['a', 'b']) {
        const update = put(set, `z${round}`);
        const fm0 = await info.fieldManager();
        const u0 = await info.cpu();
        const rate = await throughput(per, conc, (i) => update((round * per + i) % total));
        const u1 = await info.cpu();
        const fm1 = await info.fieldManager();
        perRound[set].cpu.push((u1 - u0) / per);
        perRound[set].ms.push(1000 / rate);
        perRound[set].fm.push((fm1 - fm0) / per);
      }
    }
    const median = (xs) => stats(xs).median;
    cpu.update = median(perRound.a.cpu);
    cpu['update untracked'] = median(perRound.b.cpu);
    const plain = 1000 / median(perRound.a.ms);
    const bookkeeping = median(perRound.a.fm);
    const pairs = [];
    for (let i = 0; i + 1 < rounds; i += 2)
      pairs.push((perRound.a.cpu[i] + perRound.a.cpu[i + 1]) / (perRound.b.cpu[i] + perRound.b.cpu[i + 1]));
    const paired = median(pairs);
    record('apply', `apply create ops/s, ${conc} streams`, applyCreate, 'ops/s', plain, 'plain update ops/s');
    record('apply', `apply update ops/s, ${conc} streams`, applyUpdate, 'ops/s', plain, 'plain update ops/s');
    record('apply', `server CPU per apply update, ${conc} streams`, cpu['apply update'], 'µs', cpu.update, 'plain update µs');
    record('apply', `server CPU per update, ${conc} streams`, cpu.update, 'µs', cpu['update untracked'], 'untracked update µs', paired);
    // Of the difference: the field manager's own work (the rest is carrying the larger object: JSON, copies, GC).
    record('apply', `field manager time per update, ${conc} streams`, bookkeeping, 'µs', cpu['update untracked'], 'untracked update µs');
  }
  c.close();
}

async function watchFanout(info) {
  log('watch');
  for (const n of smoke ? [10] : [100, 1000]) {
    const ns = `watch${n}`;
    const writer = h2(info);
    await writer.request('POST', '/api/v1/namespaces', { metadata: { name: ns } });
    const HOT = 20;
    for (let h = 0; h < HOT; h++)
      await writer.request('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: `hot${h}` }, data: { t: '0' } });
    const sessions = Array.from({ length: Math.ceil(n / 200) }, () => h2(info));
    const latencies = [];
    let received = 0;
    let ready = 0;
    for (let i = 0; i < n; i++) {
      const st = sessions[i % sessions.length].session.request({ ':path': `/api/v1/namespaces/${ns}/configmaps?watch=true` });
      let buf = '';
      st.setEncoding('utf8');
      st.on('response', () => ready++);
      st.on('data', (d) => {
        buf += d;
        let k;
        while ((k = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, k);
          buf = buf.slice(k + 1);
          const t = Number(/"t":"(\d+(?:\.\d+)?)"/.exec(line)?.[1] ?? 0);
          if (t > 1) {
            latencies.push(performance.timeOrigin + performance.now() - t);
            received++;
          }
        }
      });
      st.on('error', () => {});
    }
    while (ready < n) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 200));
    const rate = 200;
    const seconds = smoke ? 1 : 5;
    const t0 = performance.now();
    // Writes go round-robin over HOT objects (no conflicts), at most 32 in flight; latency is measured
    // from the moment a write is sent to the moment a watcher has parsed its event.
    let sent = 0;
    let inflight = 0;
    let failed = 0;
    while (performance.now() - t0 < seconds * 1000) {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate);
      while (sent < due && inflight < 32) {
        const name = `hot${sent % HOT}`;
        sent++;
        inflight++;
        writer
          .request(
            'PATCH',
            `/api/v1/namespaces/${ns}/configmaps/${name}`,
            { data: { t: String(performance.timeOrigin + performance.now()) } },
            'application/merge-patch+json',
          )
          .then(
            (r) => {
              if (r.status !== 200) failed++;
            },
            () => {
              failed++;
            },
          )
          .finally(() => {
            inflight--;
          });
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    while (inflight > 0) await new Promise((r) => setTimeout(r, 5));
    sent -= failed;
    const expected = sent * n;
    const deadline = Date.now() + 10_000;
    while (received < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const elapsed = (performance.now() - t0) / 1000;
    const s = stats(latencies);
    record('watch', `${n} watchers @ ${rate} updates/s: writes sent`, sent, 'writes');
    record('watch', `${n} watchers @ ${rate} updates/s: p50 delivery`, s.median, 'ms');
    record('watch', `${n} watchers @ ${rate} updates/s: p99 delivery`, s.p99, 'ms', 50, 'target ms');
    record('watch', `${n} watchers: events delivered/s`, received / elapsed, 'events/s');
    record('watch', `${n} watchers: events delivered / expected`, received / Math.max(1, expected), 'ratio');
    record('memory', `server RSS with ${n} watchers`, (await info.rss()) / 1048576, 'MiB');
    for (const x of sessions) x.session.destroy();
    writer.close();
  }
}

async function fill(info, ns, count) {
  const c = h2(info);
  await c.request('POST', '/api/v1/namespaces', { metadata: { name: ns } });
  await throughput(count, 64, (i) =>
    c.request('POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: `o${i}` }, data: { k: 'small value' } }),
  );
  c.close();
}

async function list(info) {
  log('list');
  const sizes = smoke ? [100] : [1000, 10000, 50000];
  let stored = 0;
  for (const size of sizes) {
    await fill(info, `list${size}`, size);
    stored += size;
    const c = h2(info);
    const base = `/api/v1/namespaces/list${size}/configmaps`;
    const time = async (p) => {
      const t0 = performance.now();
      const r = await c.request('GET', p);
      if (r.status !== 200) throw new Error(`${p}: ${r.status}`);
      return performance.now() - t0;
    };
    const runs = smoke ? 1 : 5;
    record(
      'list',
      `${size} objects, watch cache (rv=0)`,
      stats(await repeat(runs, 1, () => time(`${base}?resourceVersion=0`))).median,
      'ms',
    );
    record('list', `${size} objects, consistent read`, stats(await repeat(runs, 1, () => time(base))).median, 'ms');
    const page = stats(await repeat(runs * 4, 1, () => time(`${base}?limit=500`))).median;
    record('list', `${size} objects, one page of 500`, page, 'ms');
    c.close();
    if (size === 10000 || size === 50000 || smoke) {
      const rss = await info.rss();
      record('memory', `server RSS after storing ${stored} objects`, rss / 1048576, 'MiB');
      record('memory', `RSS above idle per 10k stored objects`, ((rss - idleRss) / 1048576) * (10000 / stored), 'MiB', 60, 'target MiB');
      const retained = await info.retained();
      record('memory', `heap + buffers above idle per 10k stored objects`, ((retained - idleRetained) / 1048576) * (10000 / stored), 'MiB');
    }
  }
}

function largeCRDs(count) {
  const corpus = path.resolve('../shared/crds');
  let docs;
  if (existsSync(corpus)) {
    docs = readdirSync(corpus).flatMap((p) => {
      const d = path.join(corpus, p, 'crds');
      return existsSync(d)
        ? readdirSync(d).flatMap((f) =>
            parseAllDocuments(readFileSync(path.join(d, f), 'utf8'))
              .map((x) => x.toJS())
              .filter(Boolean),
          )
        : [];
    });
  } else {
    docs = [parseAllDocuments(readFileSync('fixtures/crds/widgets.example.com.yaml', 'utf8'))[0].toJS()];
  }
  docs.sort((a, b) => JSON.stringify(b).length - JSON.stringify(a).length);
  return Array.from({ length: count }, (_, i) => {
    const crd = structuredClone(docs[i % docs.length]);
    crd.spec.group = `g${i}.${crd.spec.group}`;
    crd.metadata = { name: `${crd.spec.names.plural}.${crd.spec.group}` };
    return crd;
  });
}

async function crdInstall(info) {
  log('crd');
  const crds = largeCRDs(smoke ? 3 : 50);
  const bytes = crds.reduce((n, c) => n + JSON.stringify(c).length, 0);
  const c = h2(info);
  const cpu0 = await info.cpu();
  const t0 = performance.now();
  await Promise.all(crds.map((crd) => c.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)));
  for (const crd of crds) {
    for (;;) {
      const r = JSON.parse((await c.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`)).body);
      if (r.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True')) break;
      await new Promise((res) => setTimeout(res, 2));
    }
  }
  record(
    'crd',
    `${crds.length} large CRDs (${Math.round(bytes / 1024)} KiB JSON) until Established`,
    performance.now() - t0,
    'ms',
    1000,
    'target ms',
  );
  record('crd', 'server CPU until Established', ((await info.cpu()) - cpu0) / 1000, 'ms');
  c.close();
}

// Cold start and startup first, before the other scenarios fill this process's heap and the machine.
// The smoke run keeps the memory figures only (under a second); the etcd ones take a few seconds more.
if (only.includes('coldstart'))
  await coldstart({ runs: smoke ? 1 : 7, warmup: smoke ? 0 : 1, etcdBin: smoke ? undefined : etcdBin, record, log });
if (only.includes('startup')) await startup();
if (only.includes('reset')) await resetBench({ storage, smoke, record, log });
if (only.includes('controllers')) await controllersBench({ storage, smoke, record, log });
if (only.includes('webhooks')) await webhooksBench({ storage, smoke, record, log });
if (only.includes('metrics-audit')) await metricsAuditBench({ smoke, record, log });
// The remaining scenarios share one server in a child process.
let idleRss = 0;
let idleRetained = 0;
if (['crud', 'apply', 'watch', 'list', 'crd', 'memory'].some((s) => only.includes(s))) {
  const info = await startServer(storage);
  idleRss = await info.rss();
  idleRetained = await info.retained();
  record('memory', 'server RSS idle (baseline)', idleRss / 1048576, 'MiB');
  log(`kapi-env benchmarks, storage ${storage}${smoke ? ' (smoke sizes)' : ''}, ${os.cpus().length} cores, node ${process.version}`);
  try {
    if (only.includes('crud')) await crud(info);
    if (only.includes('apply')) await applyScenario(info);
    if (only.includes('watch')) await watchFanout(info);
    if (only.includes('list') || only.includes('memory')) await list(info);
    if (only.includes('crd')) await crdInstall(info);
  } finally {
    await info.stop();
  }
}
if (json) process.stdout.write(`${JSON.stringify({ storage, smoke, node: process.version, cores: os.cpus().length, results }, null, 2)}\n`);
else {
  console.log(`\n| scenario | metric | value | ceiling | ratio |\n|---|---|---|---|---|`);
  for (const r of results)
    console.log(
      `| ${r.scenario} | ${r.metric} | ${r.value} ${r.unit} | ${r.ceiling !== undefined ? `${r.ceiling} (${r.ceilingName})` : ''} | ${r.ratio ?? ''} |`,
    );
}
