// The webhook dispatchers at the admission level: matching, the AdmissionReview sent, answers applied,
// failure policies, timeouts, dry run, reinvocation; remote webhooks are Node https servers.

import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServingPki } from '../../src/pki/index.js';
import { type AdmissionAttributes, AdmissionChain } from '../../src/server/admission/index.js';
import type { ObjectAccess } from '../../src/server/admission/plugins/deps.js';
import { registerInProcessWebhook } from '../../src/server/admission/webhook/client.js';
import { serviceResolver } from '../../src/server/admission/webhook/index.js';
import { MutatingAdmissionWebhook, ValidatingAdmissionWebhook, type WebhookSources } from '../../src/server/admission/webhook/plugin.js';
import type { ResourceDescriptor } from '../../src/server/api/descriptor.js';
import { StatusError } from '../../src/server/api/errors.js';
import type { KubeObject } from '../../src/server/api/types.js';

const CONFIGMAPS: ResourceDescriptor = {
  group: '',
  version: 'v1',
  resource: 'configmaps',
  singular: 'configmap',
  kind: 'ConfigMap',
  listKind: 'ConfigMapList',
  namespaced: true,
  verbs: ['create'],
};

type Review = { request: Record<string, unknown> & { uid: string; object: KubeObject } };
type Handler = (review: Review) => Record<string, unknown>;

let next = 0;
/** An in-process webhook URL answering with `handler`'s response fields. */
function inProcess(handler: Handler): string {
  const url = `https://in-process.test/${next++}`;
  registerInProcessWebhook(url, (r) => {
    const review = r as Review;
    return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, ...handler(review) } };
  });
  return url;
}

function hook(name: string, url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    clientConfig: { url },
    rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'], scope: '*' }],
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    failurePolicy: 'Fail',
    timeoutSeconds: 10,
    ...extra,
  };
}

function config(name: string, webhooks: Record<string, unknown>[]): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'X',
    metadata: { name, uid: name, resourceVersion: '1' },
    webhooks,
  } as KubeObject;
}

const namespaces: Record<string, KubeObject> = {
  default: { metadata: { name: 'default', labels: { 'kubernetes.io/metadata.name': 'default' } } } as KubeObject,
  team: { metadata: { name: 'team', labels: { 'kubernetes.io/metadata.name': 'team', env: 'prod' } } } as KubeObject,
};

function sources(configs: KubeObject[]): WebhookSources {
  return {
    configurations: async () => configs,
    namespace: async (n) => namespaces[n],
    equivalents: () => [],
    // Only admins may read secrets.
    authorize: (user, a) => !(a.resource === 'secrets' && a.verb === 'get') || user.groups.includes('system:masters'),
    resolveService: async (ref) => {
      if (ref.name === 'hooks') return { host: '127.0.0.1', port: httpsPort };
      throw new Error(`service "${ref.name}" not found`);
    },
  };
}

function attrs(over: Partial<AdmissionAttributes> = {}): AdmissionAttributes {
  return {
    operation: 'CREATE',
    resource: CONFIGMAPS,
    subresource: '',
    namespace: 'default',
    name: 'cm',
    object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default', labels: { app: 'a' } }, data: { a: '1' } },
    oldObject: null,
    user: { username: 'alice', uid: 'u-1', groups: ['devs', 'system:authenticated'], extra: { scopes: ['x'] } },
    dryRun: false,
    warnings: [],
    ...over,
  };
}

async function refusal(p: Promise<unknown>): Promise<StatusError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(StatusError);
  return e as StatusError;
}

const validating = (configs: KubeObject[]) => new AdmissionChain([], [new ValidatingAdmissionWebhook(sources(configs))]);
const mutating = (configs: KubeObject[]) => new AdmissionChain([new MutatingAdmissionWebhook(sources(configs))], []);

// A remote webhook: answers by path (/deny, /allow, /slow never answers).
let server: Server;
let httpsPort = 0;
let caPem = '';
let otherCaPem = '';
const received: Review[] = [];
beforeAll(async () => {
  const pki = await createServingPki(['127.0.0.1', 'localhost', 'hooks.default.svc']);
  caPem = pki.ca.certPem;
  otherCaPem = (await createServingPki(['127.0.0.1'])).ca.certPem;
  server = createServer({ cert: pki.serving.certPem, key: pki.serving.keyPem }, (req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      if (req.url?.startsWith('/slow')) return;
      const review = JSON.parse(body) as Review;
      received.push(review);
      const allowed = !req.url?.startsWith('/deny');
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: {
            uid: review.request.uid,
            allowed,
            ...(allowed ? {} : { status: { code: 403, message: `no ${review.request.name}` } }),
          },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  httpsPort = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('validating webhooks', () => {
  it('a denial carries the webhook Status with kube prefix, and the review carries every field kube sends', async () => {
    let seen: Review | undefined;
    const url = inProcess((r) => {
      seen = r;
      return { allowed: false, status: { code: 403, reason: 'Forbidden', message: 'data.a must be 2' } };
    });
    const e = await refusal(validating([config('c', [hook('deny.example.com', url)])]).validate(attrs()));
    expect(e.status.code).toBe(403);
    expect(e.status.reason).toBe('Forbidden');
    expect(e.status.message).toBe('admission webhook "deny.example.com" denied the request: data.a must be 2');
    const req = seen!.request;
    expect(Object.keys(req)).toEqual([
      'uid',
      'kind',
      'resource',
      'requestKind',
      'requestResource',
      'name',
      'namespace',
      'operation',
      'userInfo',
      'object',
      'oldObject',
      'dryRun',
      'options',
    ]);
    expect(req.kind).toEqual({ group: '', version: 'v1', kind: 'ConfigMap' });
    expect(req.resource).toEqual({ group: '', version: 'v1', resource: 'configmaps' });
    expect(req.operation).toBe('CREATE');
    expect(req.userInfo).toEqual({ username: 'alice', uid: 'u-1', groups: ['devs', 'system:authenticated'], extra: { scopes: ['x'] } });
    expect(req.oldObject).toBeNull();
    expect(req.dryRun).toBe(false);
  });

  it('a denial without a message or code: 400 and "without explanation"', async () => {
    const url = inProcess(() => ({ allowed: false }));
    const e = await refusal(validating([config('c', [hook('v.example.com', url)])]).validate(attrs()));
    expect(e.status.code).toBe(400);
    expect(e.status.message).toBe('admission webhook "v.example.com" denied the request without explanation');
  });

  it('warnings reach the request and audit annotations are kept under the webhook name', async () => {
    const url = inProcess(() => ({ allowed: true, warnings: ['careful'], auditAnnotations: { decision: 'ok' } }));
    const a = attrs();
    await validating([config('c', [hook('w.example.com', url)])]).validate(a);
    expect(a.warnings).toEqual(['careful']);
    expect(a.auditAnnotations).toEqual({ 'w.example.com/decision': 'ok' });
  });

  it('HTTPS with the caBundle: a remote webhook denies; another CA is refused as Go words it', async () => {
    const ca = Buffer.from(caPem).toString('base64');
    const deny = hook('remote.example.com', `https://127.0.0.1:${httpsPort}/deny`, {
      clientConfig: { url: `https://127.0.0.1:${httpsPort}/deny`, caBundle: ca },
    });
    const e = await refusal(validating([config('c', [deny])]).validate(attrs()));
    expect(e.status.message).toBe('admission webhook "remote.example.com" denied the request: no cm');
    const wrongCa = Buffer.from(otherCaPem).toString('base64');
    const bad = hook('tls.example.com', '', { clientConfig: { url: `https://127.0.0.1:${httpsPort}/allow`, caBundle: wrongCa } });
    const t = await refusal(validating([config('c', [bad])]).validate(attrs()));
    expect(t.status.code).toBe(500);
    expect(t.status.message).toBe(
      `Internal error occurred: failed calling webhook "tls.example.com": failed to call webhook: Post "https://127.0.0.1:${httpsPort}/allow?timeout=10s": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
    );
  });

  it('a service reference is resolved to its endpoint and verified as <name>.<namespace>.svc', async () => {
    const ca = Buffer.from(caPem).toString('base64');
    const h = hook('svc.example.com', '', {
      clientConfig: { service: { namespace: 'default', name: 'hooks', path: '/deny', port: 443 }, caBundle: ca },
    });
    const e = await refusal(validating([config('c', [h])]).validate(attrs()));
    expect(e.status.message).toBe('admission webhook "svc.example.com" denied the request: no cm');
  });

  it('failurePolicy: Fail refuses when the server is down, Ignore lets the request through', async () => {
    const down = 'https://127.0.0.1:9/x';
    const e = await refusal(validating([config('c', [hook('down.example.com', down)])]).validate(attrs()));
    expect(e.status.code).toBe(500);
    expect(e.status.reason).toBe('InternalError');
    expect(e.status.message).toBe(
      'Internal error occurred: failed calling webhook "down.example.com": failed to call webhook: Post "https://127.0.0.1:9/x?timeout=10s": dial tcp 127.0.0.1:9: connect: connection refused',
    );
    const a = attrs();
    await validating([config('c', [hook('down.example.com', down, { failurePolicy: 'Ignore' })])]).validate(a);
    expect(a.auditAnnotations?.['failed-open.validating.webhook.admission.k8s.io/round_0_index_0']).toBe('down.example.com');
  });

  it('timeoutSeconds: a webhook that does not answer in time fails with context deadline exceeded', async () => {
    const ca = Buffer.from(caPem).toString('base64');
    const h = hook('slow.example.com', '', {
      clientConfig: { url: `https://127.0.0.1:${httpsPort}/slow`, caBundle: ca },
      timeoutSeconds: 1,
    });
    const started = Date.now();
    const e = await refusal(validating([config('c', [h])]).validate(attrs()));
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(e.status.message).toBe(
      `Internal error occurred: failed calling webhook "slow.example.com": failed to call webhook: Post "https://127.0.0.1:${httpsPort}/slow?timeout=1s": context deadline exceeded`,
    );
  });

  it('namespaceSelector, objectSelector and matchConditions decide whether the webhook is called', async () => {
    let calls = 0;
    const url = inProcess(() => {
      calls++;
      return { allowed: false };
    });
    const nsSel = hook('ns.example.com', url, { namespaceSelector: { matchLabels: { env: 'prod' } } });
    await validating([config('c', [nsSel])]).validate(attrs());
    expect(calls).toBe(0);
    await refusal(validating([config('c', [nsSel])]).validate(attrs({ namespace: 'team' })));
    expect(calls).toBe(1);
    const missing = await refusal(validating([config('c', [nsSel])]).validate(attrs({ namespace: 'nope' })));
    expect(missing.status.code).toBe(404);

    const objSel = hook('obj.example.com', url, { objectSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['b'] }] } });
    await validating([config('c', [objSel])]).validate(attrs());
    expect(calls).toBe(1);
    // The old object's labels count too (an update taking the label away).
    const old = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', labels: { app: 'b' } } } as KubeObject;
    await refusal(validating([config('c', [objSel])]).validate(attrs({ operation: 'UPDATE', oldObject: old })));
    expect(calls).toBe(2);

    const cond = hook('cel.example.com', url, {
      matchConditions: [
        { name: 'not-alice', expression: "request.userInfo.username != 'alice'" },
        { name: 'has-a', expression: "has(object.data) && 'a' in object.data" },
      ],
    });
    await validating([config('c', [cond])]).validate(attrs());
    expect(calls).toBe(2);
    await refusal(validating([config('c', [cond])]).validate(attrs({ user: { username: 'bob', groups: [] } })));
    expect(calls).toBe(3);
    // The authorizer library: the webhook only sees users who may not read secrets.
    const authz = hook('authz.example.com', url, {
      matchConditions: [
        { name: 'non-admins', expression: "!authorizer.group('').resource('secrets').namespace('default').check('get').allowed()" },
      ],
    });
    await refusal(validating([config('c', [authz])]).validate(attrs()));
    expect(calls).toBe(4);
    await validating([config('c', [authz])]).validate(attrs({ user: { username: 'root', groups: ['system:masters'] } }));
    expect(calls).toBe(4);
    const broken = hook('err.example.com', url, { matchConditions: [{ name: 'bad', expression: 'object.nope.deeper == 1' }] });
    const e = await refusal(validating([config('c', [broken])]).validate(attrs()));
    expect(e.status.code).toBe(403);
    expect(e.status.message).toMatch(/^configmaps "cm" is forbidden: expression 'object.nope.deeper == 1' resulted in error: /);
  });

  it('a namespace delete is matched against the stored namespace labels and sent in that namespace', async () => {
    let ns: unknown;
    const url = inProcess((r) => {
      ns = r.request.namespace;
      return { allowed: false, status: { message: 'keep it' } };
    });
    const namespacesResource: ResourceDescriptor = { ...CONFIGMAPS, resource: 'namespaces', kind: 'Namespace', namespaced: false };
    const h = hook('ns-delete.example.com', url, {
      rules: [{ operations: ['DELETE'], apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'], scope: 'Cluster' }],
      namespaceSelector: { matchLabels: { env: 'prod' } },
    });
    const del = (name: string) =>
      attrs({ operation: 'DELETE', resource: namespacesResource, namespace: '', name, object: null, oldObject: namespaces[name] ?? null });
    await validating([config('c', [h])]).validate(del('default'));
    expect(ns).toBeUndefined();
    const e = await refusal(validating([config('c', [h])]).validate(del('team')));
    expect(e.status.message).toBe('admission webhook "ns-delete.example.com" denied the request: keep it');
    expect(ns).toBe('team');
  });

  it('rules: resources with subresources, wildcards, operations and scope', async () => {
    let calls = 0;
    const url = inProcess(() => {
      calls++;
      return { allowed: true };
    });
    const run = async (resources: string[], over: Partial<AdmissionAttributes> = {}, rule: Record<string, unknown> = {}) => {
      const before = calls;
      const h = hook('r.example.com', url, {
        rules: [{ operations: ['CREATE'], apiGroups: ['*'], apiVersions: ['*'], resources, scope: '*', ...rule }],
      });
      await validating([config('c', [h])]).validate(attrs(over));
      return calls > before;
    };
    expect(await run(['configmaps'])).toBe(true);
    expect(await run(['*'])).toBe(true);
    expect(await run(['configmaps'], { subresource: 'status' })).toBe(false);
    expect(await run(['configmaps/status'], { subresource: 'status' })).toBe(true);
    expect(await run(['*/status'], { subresource: 'status' })).toBe(true);
    expect(await run(['*'], { subresource: 'status' })).toBe(false);
    expect(await run(['*/*'], { subresource: 'status' })).toBe(true);
    expect(await run(['secrets'])).toBe(false);
    expect(await run(['configmaps'], { operation: 'UPDATE' })).toBe(false);
    expect(await run(['configmaps'], {}, { scope: 'Cluster' })).toBe(false);
    expect(await run(['configmaps'], {}, { scope: 'Namespaced' })).toBe(true);
  });

  it('dry run: sideEffects None/NoneOnDryRun are called with dryRun true; others refuse with 400', async () => {
    let dry: unknown;
    const url = inProcess((r) => {
      dry = r.request.dryRun;
      return { allowed: true };
    });
    await validating([config('c', [hook('d.example.com', url, { sideEffects: 'NoneOnDryRun' })])]).validate(attrs({ dryRun: true }));
    expect(dry).toBe(true);
    const e = await refusal(
      validating([config('c', [hook('d.example.com', url, { sideEffects: 'Some' })])]).validate(attrs({ dryRun: true })),
    );
    expect(e.status.code).toBe(400);
    expect(e.status.reason).toBe('BadRequest');
    expect(e.status.message).toBe('admission webhook "d.example.com" does not support dry run');
  });

  it('a response with the wrong uid is an invalid response', async () => {
    const url = `https://in-process.test/${next++}`;
    registerInProcessWebhook(url, () => ({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'other', allowed: true },
    }));
    const e = await refusal(validating([config('c', [hook('uid.example.com', url)])]).validate(attrs()));
    expect(e.status.message).toMatch(
      /^Internal error occurred: failed calling webhook "uid.example.com": received invalid webhook response: expected response.uid="[0-9a-f-]+", got "other"$/,
    );
  });

  it('admission configuration objects are never sent to webhooks', async () => {
    let calls = 0;
    const url = inProcess(() => {
      calls++;
      return { allowed: false };
    });
    const vwc: ResourceDescriptor = {
      ...CONFIGMAPS,
      group: 'admissionregistration.k8s.io',
      resource: 'validatingwebhookconfigurations',
      kind: 'ValidatingWebhookConfiguration',
      namespaced: false,
    };
    const h = hook('all.example.com', url, { rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }] });
    await validating([config('c', [h])]).validate(attrs({ resource: vwc, namespace: '' }));
    expect(calls).toBe(0);
  });
});

describe('mutating webhooks', () => {
  const patch = (ops: unknown[]) => ({ allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') });

  it('JSON patches apply in order, each webhook seeing the previous one result', async () => {
    const seen: unknown[] = [];
    const first = inProcess(() => patch([{ op: 'add', path: '/metadata/labels/first', value: 'yes' }]));
    const second = inProcess((r) => {
      seen.push(r.request.object.metadata?.labels);
      return patch([{ op: 'replace', path: '/data/a', value: '2' }]);
    });
    const a = attrs();
    const obj = a.object!;
    await mutating([config('a', [hook('first.example.com', first)]), config('b', [hook('second.example.com', second)])]).admit(a);
    expect(seen).toEqual([{ app: 'a', first: 'yes' }]);
    // The object is changed in place: the registry keeps its reference.
    expect(a.object).toBe(obj);
    expect(obj.data).toEqual({ a: '2' });
    expect(obj.metadata?.labels).toEqual({ app: 'a', first: 'yes' });
    expect(a.auditAnnotations?.['mutation.webhook.admission.k8s.io/round_0_index_0']).toBe(
      JSON.stringify({ configuration: 'a', webhook: 'first.example.com', mutated: true }),
    );
  });

  it('reinvocationPolicy IfNeeded: a webhook runs again once when a later one changed the object', async () => {
    let firstCalls = 0;
    let neverCalls = 0;
    const first = inProcess((r) => {
      firstCalls++;
      const labels = r.request.object.metadata?.labels ?? {};
      return labels.first ? { allowed: true } : patch([{ op: 'add', path: '/metadata/labels/first', value: String(firstCalls) }]);
    });
    const never = inProcess(() => {
      neverCalls++;
      return { allowed: true };
    });
    const second = inProcess(() => patch([{ op: 'add', path: '/metadata/annotations', value: { second: 'x' } }]));
    const a = attrs();
    await mutating([
      config('a', [hook('first.example.com', first, { reinvocationPolicy: 'IfNeeded' }), hook('never.example.com', never)]),
      config('b', [hook('second.example.com', second)]),
    ]).admit(a);
    expect(firstCalls).toBe(2);
    expect(neverCalls).toBe(1);
    expect(a.object?.metadata?.annotations).toEqual({ second: 'x' });
    // Without IfNeeded, one call.
    firstCalls = 0;
    await mutating([config('a', [hook('first.example.com', first)]), config('b', [hook('second.example.com', second)])]).admit(attrs());
    expect(firstCalls).toBe(1);
  });

  it('a patch without patchType is an invalid response; a bad patch is an internal error', async () => {
    const noType = inProcess(() => ({ allowed: true, patch: Buffer.from('[]').toString('base64') }));
    const e = await refusal(mutating([config('a', [hook('m.example.com', noType)])]).admit(attrs()));
    expect(e.status.message).toBe(
      'Internal error occurred: failed calling webhook "m.example.com": received invalid webhook response: webhook returned response.patch but not response.patchType',
    );
    const bad = inProcess(() => patch([{ op: 'replace', path: '/nope/x', value: 1 }]));
    const b = await refusal(mutating([config('a', [hook('m.example.com', bad)])]).admit(attrs()));
    expect(b.status.code).toBe(500);
  });

  it('the patched object is decoded and defaulted again through the registry; a decode failure is an internal error', async () => {
    const url = inProcess(() => patch([{ op: 'add', path: '/data/b', value: '1' }]));
    const redecoded: unknown[] = [];
    const a = attrs({
      redecode: (obj) => {
        redecoded.push(structuredClone(obj.data));
        (obj.metadata!.labels ??= {}).defaulted = 'yes';
      },
    });
    await mutating([config('a', [hook('m.example.com', url)])]).admit(a);
    expect(redecoded).toEqual([{ a: '1', b: '1' }]);
    expect(a.object?.metadata?.labels).toEqual({ app: 'a', defaulted: 'yes' });
    const failing = attrs({
      redecode: () => {
        throw new Error('json: cannot unmarshal number into Go struct field ConfigMap.data of type string');
      },
    });
    const e = await refusal(mutating([config('a', [hook('m.example.com', url)])]).admit(failing));
    expect(e.status.message).toBe(
      'Internal error occurred: json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
    );
  });

  it('a patch for a DELETE (no object) is refused', async () => {
    const url = inProcess(() => patch([{ op: 'add', path: '/metadata/labels/x', value: 'y' }]));
    const old = attrs().object;
    const h = hook('del.example.com', url, {
      rules: [{ operations: ['DELETE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
    });
    const e = await refusal(mutating([config('a', [h])]).admit(attrs({ operation: 'DELETE', object: null, oldObject: old })));
    expect(e.status.message).toBe(
      'Internal error occurred: admission webhook "del.example.com" attempted to modify the object, which is not supported for this operation',
    );
  });
});

describe('service references', () => {
  const objects = (items: Record<string, KubeObject[]>): ObjectAccess => ({
    get: async (r, ns, name) => items[r.resource]?.find((o) => o.metadata?.namespace === ns && o.metadata?.name === name),
    list: async (r, ns) => (items[r.resource] ?? []).filter((o) => o.metadata?.namespace === ns),
    updateStatus: async () => {
      throw new Error('unused');
    },
    create: async () => {},
    resourcesFor: () => [],
  });
  const svc = (spec: Record<string, unknown>) => ({ metadata: { name: 'hooks', namespace: 'ns' }, spec }) as KubeObject;
  const ref = { namespace: 'ns', name: 'hooks', port: 443 };

  it('resolve to a ready EndpointSlice address and the port named as the service port', async () => {
    const resolve = serviceResolver(
      objects({
        services: [svc({ ports: [{ name: 'https', port: 443, targetPort: 9443 }] })],
        endpointslices: [
          {
            metadata: { name: 'hooks-a', namespace: 'ns', labels: { 'kubernetes.io/service-name': 'hooks' } },
            endpoints: [
              { addresses: ['10.0.0.1'], conditions: { ready: false } },
              { addresses: ['10.0.0.2'], conditions: { ready: true } },
            ],
            ports: [{ name: 'https', port: 9443 }],
          } as unknown as KubeObject,
        ],
      }),
    );
    expect(await resolve(ref)).toEqual({ host: '10.0.0.2', port: 9443 });
  });

  it('fall back to the Endpoints object, take ExternalName as its name, and say what is missing', async () => {
    const endpoints = {
      metadata: { name: 'hooks', namespace: 'ns' },
      subsets: [{ addresses: [{ ip: '10.0.0.3' }], ports: [{ name: 'https', port: 8443 }] }],
    } as unknown as KubeObject;
    expect(
      await serviceResolver(objects({ services: [svc({ ports: [{ name: 'https', port: 443 }] })], endpoints: [endpoints] }))(ref),
    ).toEqual({
      host: '10.0.0.3',
      port: 8443,
    });
    expect(await serviceResolver(objects({ services: [svc({ type: 'ExternalName', externalName: 'hooks.example.com' })] }))(ref)).toEqual({
      host: 'hooks.example.com',
      port: 443,
    });
    await expect(serviceResolver(objects({}))(ref)).rejects.toThrow('service "hooks" not found');
    await expect(serviceResolver(objects({ services: [svc({ ports: [{ port: 80 }] })] }))(ref)).rejects.toThrow(
      'no service port 443 found for service "hooks"',
    );
    await expect(serviceResolver(objects({ services: [svc({ ports: [{ port: 443 }] })] }))(ref)).rejects.toThrow(
      'no endpoints available for service "hooks"',
    );
  });
});
