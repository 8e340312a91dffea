// Admission webhook latency (issue 14): ConfigMap create throughput at 16 streams with no webhook, with one
// in-process validating handler (env.webhooks.validate: the same AdmissionReview path without TLS), and with
// one validating webhook served over HTTPS by a Node server started here, each as a ratio to no webhook in
// the same run. Every webhook admits; the figures are the cost of the call. In-process handlers need the
// server in this process, so the scenario starts its own environment.
import { createServer } from 'node:https';
import { startEnv } from '../../dist/index.js';
import { createServingPki } from '../../dist/pki/index.js';
import { throughput } from './lib.mjs';

const STREAMS = 16;
const RULES = [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }];

async function must(p, what) {
  const r = await p;
  if (r.status >= 300) throw new Error(`bench webhooks: ${what}: ${r.status} ${r.text ?? ''}`);
  return r.body;
}

/** An HTTPS webhook that admits everything; counts the reviews it answered. */
async function admittingServer(pki) {
  let reviews = 0;
  const server = createServer({ cert: pki.serving.certPem, key: pki.serving.keyPem }, (req, res) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString());
      reviews++;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: { uid: review.request.uid, allowed: true },
        }),
      );
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    reviews: () => reviews,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

export async function webhooksBench({ storage, smoke, record, log }) {
  log('webhooks');
  const total = smoke ? 100 : 3000;
  const env = await startEnv({ storage, serverThread: 'inline' });
  const client = env.client();
  const pki = await createServingPki(['127.0.0.1', 'localhost']);
  const server = await admittingServer(pki);
  const creates = async (ns) => {
    await must(client.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }), ns);
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    return throughput(total, STREAMS, (i) => must(client.post(base, { metadata: { name: `cm${i}` }, data: { k: 'v' } }), `create ${i}`));
  };
  try {
    // A first round unmeasured: the server's code paths and the client's connections warmed up alike for all three.
    await creates('bench-webhooks-warmup');
    const none = await creates('bench-webhooks-none');

    const inProcess = await env.webhooks.validate({ rules: RULES, handler: () => ({ allowed: true }) });
    const inProc = await creates('bench-webhooks-inprocess');
    await inProcess.remove();

    const config = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';
    await must(
      client.post(config, {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: 'bench-https' },
        webhooks: [
          {
            name: 'bench.https.kapi-env.io',
            clientConfig: { url: `https://127.0.0.1:${server.port}/validate`, caBundle: Buffer.from(pki.ca.certPem).toString('base64') },
            rules: RULES,
            admissionReviewVersions: ['v1'],
            sideEffects: 'None',
            failurePolicy: 'Fail',
          },
        ],
      }),
      'webhook configuration',
    );
    // Active once a create reaches the server (configurations are watched, so within milliseconds).
    await must(
      client.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench-webhooks-probe' } }),
      'probe ns',
    );
    for (let i = 0; server.reviews() === 0; i++) {
      if (i > 500) throw new Error('bench webhooks: the HTTPS webhook never became active');
      await must(client.post('/api/v1/namespaces/bench-webhooks-probe/configmaps', { metadata: { name: `probe${i}` } }), 'probe');
      if (server.reviews() === 0) await new Promise((r) => setTimeout(r, 5));
    }
    const https = await creates('bench-webhooks-https');
    if (server.reviews() < total) throw new Error(`bench webhooks: the HTTPS webhook saw ${server.reviews()} of ${total} creates`);
    await must(client.call('DELETE', `${config}/bench-https`), 'delete webhook configuration');

    record('webhooks', `create ops/s, ${STREAMS} streams, no webhook`, none, 'ops/s');
    record('webhooks', `create ops/s, ${STREAMS} streams, in-process webhook`, inProc, 'ops/s', none, 'no webhook ops/s');
    record('webhooks', `create ops/s, ${STREAMS} streams, HTTPS webhook`, https, 'ops/s', none, 'no webhook ops/s');
  } finally {
    await server.close();
    await client.close?.();
    await env.stop();
  }
}
