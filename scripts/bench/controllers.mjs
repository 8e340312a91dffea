// Controllers (issue 16's targets, each under 1 s on the memory backend): a namespace of 1,000 objects deleted
// by the namespace controller, a 3-level ownership chain collected by the garbage collector (background and
// foreground), and a Deployment of 3 replicas rolled out (kubectl rollout status's test) on simulated nodes.
// The shared bench server runs no controllers, so this scenario starts its own environment.
import { startEnv } from '../../dist/index.js';
import { repeat, stats } from './lib.mjs';

const OBJECTS = 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, fn, timeoutMs = 30_000) {
  for (const end = Date.now() + timeoutMs; Date.now() < end; ) {
    if (await fn()) return;
    await sleep(2);
  }
  throw new Error(`bench controllers: timed out waiting for ${what}`);
}

async function must(p, what) {
  const r = await p;
  if (r.status >= 300) throw new Error(`bench controllers: ${what}: ${r.status} ${r.text}`);
  return r.body;
}

async function createAll(client, items, batch = 50) {
  for (let i = 0; i < items.length; i += batch)
    await Promise.all(items.slice(i, i + batch).map(([path, body]) => must(client.post(path, body), path)));
}

async function namespaceDeletion(client, round, count) {
  const ns = `bench-nsdel-${round}`;
  await must(client.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }), ns);
  await createAll(
    client,
    Array.from({ length: count }, (_, i) => [
      `/api/v1/namespaces/${ns}/configmaps`,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { value: 'x'.repeat(256) } },
    ]),
  );
  const t0 = performance.now();
  await must(client.call('DELETE', `/api/v1/namespaces/${ns}`), `delete ${ns}`);
  await until(`${ns} gone`, async () => (await client.get(`/api/v1/namespaces/${ns}`)).status === 404);
  return performance.now() - t0;
}

/** root ConfigMap -> `width` ConfigMaps -> `width` Secrets each; the time from the root's delete until the last object goes. */
async function ownershipChain(client, ns, round, width, propagationPolicy) {
  const tag = `${propagationPolicy.toLowerCase()}-${round}`;
  const cms = `/api/v1/namespaces/${ns}/configmaps`;
  const secrets = `/api/v1/namespaces/${ns}/secrets`;
  const ref = (o) => ({ apiVersion: 'v1', kind: o.kind, name: o.metadata.name, uid: o.metadata.uid, blockOwnerDeletion: true });
  const labels = { chain: tag };
  const root = await must(client.post(cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `root-${tag}`, labels } }), 'root');
  const mids = [];
  for (let i = 0; i < width; i++)
    mids.push(
      await must(
        client.post(cms, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `mid-${tag}-${i}`, labels, ownerReferences: [ref(root)] },
        }),
        'mid',
      ),
    );
  await createAll(
    client,
    mids.flatMap((mid, i) =>
      Array.from({ length: width }, (_, j) => [
        secrets,
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: `leaf-${tag}-${i}-${j}`, labels, ownerReferences: [ref(mid)] } },
      ]),
    ),
  );
  const sel = `labelSelector=chain%3D${tag}`;
  const t0 = performance.now();
  await must(client.call('DELETE', `${cms}/root-${tag}`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy }), 'delete root');
  await until(`chain ${tag} collected`, async () => {
    const [a, b] = await Promise.all([client.get(`${cms}?${sel}`), client.get(`${secrets}?${sel}`)]);
    return a.body.items?.length === 0 && b.body.items?.length === 0;
  });
  return performance.now() - t0;
}

/** A Deployment of 3 replicas from create until `kubectl rollout status` would report it complete. */
async function rollout(client, ns, round) {
  const name = `web-${round}`;
  const labels = { app: name };
  const t0 = performance.now();
  await must(
    client.post(`/apis/apps/v1/namespaces/${ns}/deployments`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        replicas: 3,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      },
    }),
    'deployment',
  );
  await until(`${name} rolled out`, async () => {
    const d = (await client.get(`/apis/apps/v1/namespaces/${ns}/deployments/${name}`)).body;
    const st = d.status ?? {};
    return st.observedGeneration >= d.metadata.generation && st.updatedReplicas === 3 && st.replicas === 3 && st.availableReplicas === 3;
  });
  return performance.now() - t0;
}

export async function controllersBench({ storage, smoke, record, log }) {
  log('controllers');
  const runs = smoke ? 1 : 5;
  const env = await startEnv({
    storage,
    controllers: ['namespace', 'garbagecollector', 'deployment', 'replicaset'],
  });
  const client = env.client();
  try {
    let round = 0;
    // The sizes the targets name, smoke or not: only the repetitions shrink.
    const count = OBJECTS;
    const nsdel = stats(await repeat(runs, smoke ? 0 : 1, () => namespaceDeletion(client, ++round, count))).median;
    record('controllers', `namespace deletion with ${count} objects`, nsdel, 'ms', 1000, 'target ms');
    await must(client.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench-gc' } }), 'ns');
    const width = 10;
    const objects = 1 + width + width * width;
    for (const policy of ['Background', 'Foreground']) {
      const ms = stats(await repeat(runs, smoke ? 0 : 1, () => ownershipChain(client, 'bench-gc', ++round, width, policy))).median;
      record('controllers', `3-level chain (${objects} objects), ${policy.toLowerCase()}`, ms, 'ms', 1000, 'target ms');
    }
    await must(client.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench-rollout' } }), 'ns');
    const ro = stats(await repeat(runs, smoke ? 0 : 1, () => rollout(client, 'bench-rollout', ++round))).median;
    record('controllers', 'Deployment of 3 replicas, rollout complete', ro, 'ms', 1000, 'target ms');
  } finally {
    await client.close();
    await env.stop();
  }
}
