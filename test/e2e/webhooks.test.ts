// Admission webhooks and ValidatingAdmissionPolicy end to end, on every backend: kubebuilder's
// webhook layout loaded with `webhooks.paths` and served by a Node https server the test starts,
// service references resolved through the Service, in-process handlers, dry run, failure
// policies, DELETE admission, and a policy capping Deployment replicas with a param object;
// kubectl prints what it prints against a real cluster.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServingPki } from '../../src/pki/index.js';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';

type Reviewed = { kind?: string; metadata?: { labels?: Record<string, string> } };
type Review = {
  request: {
    uid: string;
    name?: string;
    operation: string;
    dryRun: boolean;
    object: Reviewed | null;
    oldObject: Reviewed | null;
    options: Record<string, unknown> | null;
  };
};

// kubebuilder's layout: config/webhook/manifests.yaml with service references.
const project = mkdtempSync(path.join(tmpdir(), 'kapi-webhooks-'));
const webhookDir = path.join(project, 'config', 'webhook');
mkdirSync(webhookDir, { recursive: true });
writeFileSync(
  path.join(webhookDir, 'manifests.yaml'),
  `---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: mutating-webhook-configuration
webhooks:
- admissionReviewVersions: [v1]
  clientConfig:
    service:
      name: webhook-service
      namespace: system
      path: /mutate-v1-configmap
  failurePolicy: Fail
  name: mcm.kb.io
  objectSelector:
    matchLabels: {webhook: "on"}
  rules:
  - apiGroups: [""]
    apiVersions: [v1]
    operations: [CREATE, UPDATE]
    resources: [configmaps]
  sideEffects: None
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: validating-webhook-configuration
webhooks:
- admissionReviewVersions: [v1]
  clientConfig:
    service:
      name: webhook-service
      namespace: system
      path: /validate-v1-configmap
  failurePolicy: Fail
  name: vcm.kb.io
  objectSelector:
    matchLabels: {webhook: "on"}
  rules:
  - apiGroups: [""]
    apiVersions: [v1]
    operations: [CREATE, UPDATE, DELETE]
    resources: [configmaps]
  sideEffects: NoneOnDryRun
`,
);
afterAll(() => rmSync(project, { recursive: true, force: true }));

/** The user's webhook server: mutates by adding a label, refuses names containing "bad" and deletions of protected objects. */
function userWebhookServer(certPem: string, keyPem: string, seen: Review[]): Server {
  return createServer({ cert: certPem, key: keyPem }, (req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const review = JSON.parse(body) as Review;
      seen.push(review);
      const r = review.request;
      let response: Record<string, unknown> = { uid: r.uid, allowed: true };
      if (req.url?.startsWith('/mutate-v1-configmap')) {
        const patch = [{ op: 'add', path: '/metadata/labels/mutated', value: 'by-webhook' }];
        response = {
          ...response,
          patchType: 'JSONPatch',
          patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
          warnings: ['mutated by mcm'],
        };
      } else if (r.operation === 'DELETE' && r.oldObject?.metadata?.labels?.protected === 'yes') {
        response = { uid: r.uid, allowed: false, status: { code: 403, reason: 'Forbidden', message: `${r.name} is protected` } };
      } else if (r.name?.includes('bad')) {
        response = { uid: r.uid, allowed: false, status: { code: 403, reason: 'Forbidden', message: 'names may not contain "bad"' } };
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
    });
  });
}

const cm = (name: string, labels: Record<string, string> = { webhook: 'on' }) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { a: '1' } });

describe.each(BACKENDS)('admission webhooks and policies (%s)', (backend) => {
  const s = useEnv(backend, { webhooks: { paths: [path.join(project, 'config', 'webhook')] } });
  let server: Server;
  const seen: Review[] = [];
  beforeAll(async () => {
    server = userWebhookServer(s.env.webhooks.certPem, s.env.webhooks.keyPem, seen);
    await new Promise<void>((r) => server.listen(s.env.webhooks.port, s.env.webhooks.host, r));
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  it('loads the kubebuilder manifests with service references rewritten to the local server and the CA injected', async () => {
    expect(s.env.webhooks.installed).toEqual(['mutating-webhook-configuration', 'validating-webhook-configuration']);
    const got = await s.client.get<{ webhooks: Array<{ clientConfig: { url?: string; service?: unknown; caBundle?: string } }> }>(
      '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/validating-webhook-configuration',
    );
    const cc = got.body.webhooks[0].clientConfig;
    expect(cc.url).toBe(`https://127.0.0.1:${s.env.webhooks.port}/validate-v1-configmap`);
    expect(cc.service).toBeUndefined();
    expect(Buffer.from(cc.caBundle!, 'base64').toString()).toBe(s.env.webhooks.caPem);
  });

  it('kubectl prints the denial; the mutating webhook patch and warning apply', async () => {
    const denied = await s.kubectl(['apply', '-f', '-'], cm('bad-one'));
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(
      'Error from server (Forbidden): error when creating "STDIN": admission webhook "vcm.kb.io" denied the request: names may not contain "bad"',
    );
    const ok = await s.kubectl(['apply', '-f', '-'], cm('good-one'));
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('Warning: mutated by mcm');
    const got = await s.kubectl(['get', 'configmap', 'good-one', '-o', 'jsonpath={.metadata.labels.mutated}']);
    expect(got.stdout).toBe('by-webhook');
    // The validating webhook saw the mutated object.
    const v = seen.filter((r) => r.request.name === 'good-one' && r.request.object?.metadata?.labels?.mutated === 'by-webhook');
    expect(v.length).toBeGreaterThan(0);
    // The options object kube decodes from kubectl's query.
    expect(v[0].request.options).toEqual({
      kind: 'CreateOptions',
      apiVersion: 'meta.k8s.io/v1',
      fieldManager: 'kubectl-client-side-apply',
      fieldValidation: 'Strict',
    });
    // Objects the selectors leave out are not sent.
    const before = seen.length;
    expect((await s.kubectl(['create', 'configmap', 'bad-but-unlabelled'])).code).toBe(0);
    expect(seen.length).toBe(before);
  });

  it('DELETE admission: the validating webhook sees the stored object and may refuse', async () => {
    await s.kubectl(['apply', '-f', '-'], cm('keep', { webhook: 'on', protected: 'yes' }));
    const del = await s.kubectl(['delete', 'configmap', 'keep']);
    expect(del.code).not.toBe(0);
    expect(del.stderr).toContain('admission webhook "vcm.kb.io" denied the request: keep is protected');
    expect((await s.kubectl(['get', 'configmap', 'keep'])).code).toBe(0);
  });

  it('dry run reaches webhooks with sideEffects NoneOnDryRun (dryRun: true) and nothing is stored', async () => {
    const out = await s.kubectl(['apply', '--dry-run=server', '-f', '-'], cm('dry-one'));
    expect(out.code).toBe(0);
    expect(seen.some((r) => r.request.name === 'dry-one' && r.request.dryRun === true)).toBe(true);
    expect((await s.kubectl(['get', 'configmap', 'dry-one'])).code).not.toBe(0);
  });

  it('a service reference resolves through the Service (ExternalName localhost), verified as <name>.<namespace>.svc', async () => {
    const pki = await createServingPki(['hooks.default.svc']);
    const hits: Review[] = [];
    const svcServer = createServer({ cert: pki.serving.certPem, key: pki.serving.keyPem }, (req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const review = JSON.parse(body) as Review;
        hits.push(review);
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            apiVersion: 'admission.k8s.io/v1',
            kind: 'AdmissionReview',
            response: { uid: review.request.uid, allowed: false, status: { message: 'secrets are read-only here' } },
          }),
        );
      });
    });
    await new Promise<void>((r) => svcServer.listen(0, r));
    const port = (svcServer.address() as AddressInfo).port;
    try {
      // EndpointSlices may not name loopback addresses; an ExternalName service may name localhost.
      const objects = [
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'hooks', namespace: 'default' },
          spec: { type: 'ExternalName', externalName: 'localhost' },
        },
        {
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'ValidatingWebhookConfiguration',
          metadata: { name: 'svc-hooks' },
          webhooks: [
            {
              name: 'secrets.svc.example.com',
              clientConfig: {
                service: { namespace: 'default', name: 'hooks', path: '/v', port },
                caBundle: Buffer.from(pki.ca.certPem).toString('base64'),
              },
              rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['secrets'] }],
              sideEffects: 'None',
              admissionReviewVersions: ['v1'],
            },
          ],
        },
      ];
      for (const o of objects) {
        const applied = await s.kubectl(['apply', '-f', '-'], JSON.stringify(o));
        expect(applied.stderr).toBe('');
      }
      // Configurations take effect within milliseconds of being written.
      const started = Date.now();
      let out = await s.kubectl(['create', 'secret', 'generic', 's1', '--from-literal=a=b']);
      while (out.code === 0 && Date.now() - started < 5000) {
        await s.kubectl(['delete', 'secret', 's1']);
        out = await s.kubectl(['create', 'secret', 'generic', 's1', '--from-literal=a=b']);
      }
      expect(out.stderr).toContain('admission webhook "secrets.svc.example.com" denied the request: secrets are read-only here');
      expect(hits[0].request.object?.kind).toBe('Secret');
    } finally {
      await s.kubectl(['delete', 'validatingwebhookconfiguration', 'svc-hooks']);
      svcServer.closeAllConnections();
      await new Promise((r) => svcServer.close(r));
    }
  });

  it('a CRD conversion webhook behind a service reference: resolved through the Service, verified as <name>.<namespace>.svc', async () => {
    const pki = await createServingPki(['converter.default.svc']);
    let conversions = 0;
    const convServer = createServer({ cert: pki.serving.certPem, key: pki.serving.keyPem }, (req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        conversions++;
        const review = JSON.parse(body) as { request: { uid: string; desiredAPIVersion: string; objects: Array<Record<string, unknown>> } };
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            apiVersion: 'apiextensions.k8s.io/v1',
            kind: 'ConversionReview',
            response: {
              uid: review.request.uid,
              result: { status: 'Success' },
              convertedObjects: review.request.objects.map((o) => ({ ...o, apiVersion: review.request.desiredAPIVersion })),
            },
          }),
        );
      });
    });
    await new Promise<void>((r) => convServer.listen(0, r));
    const port = (convServer.address() as AddressInfo).port;
    const schema = {
      openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } },
    };
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.convert.example.com' },
      spec: {
        group: 'convert.example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        conversion: {
          strategy: 'Webhook',
          webhook: {
            conversionReviewVersions: ['v1'],
            clientConfig: {
              service: { namespace: 'default', name: 'converter', path: '/convert', port },
              caBundle: Buffer.from(pki.ca.certPem).toString('base64'),
            },
          },
        },
        versions: [
          { name: 'v1', served: true, storage: true, schema },
          { name: 'v2', served: true, storage: false, schema },
        ],
      },
    };
    try {
      expect((await s.client.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).toBe(201);
      const v1 = '/apis/convert.example.com/v1/namespaces/default/widgets';
      const v2 = '/apis/convert.example.com/v2/namespaces/default/widgets';
      for (let i = 0; i < 200 && (await s.client.get(v2)).status !== 200; i++) await new Promise((r) => setTimeout(r, 10));
      expect(
        (await s.client.post(v1, { apiVersion: 'convert.example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 2 } }))
          .status,
      ).toBe(201);
      // No Service yet: the conversion fails as a 500 naming the missing service.
      const missing = await s.client.get<{ message: string }>(`${v2}/w1`);
      expect(missing.status).toBe(500);
      expect(missing.body.message).toBe(
        'Internal error occurred: conversion webhook for convert.example.com/v2, Kind=Widget failed: service "converter" not found',
      );
      expect(conversions).toBe(0);
      const svc = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'converter', namespace: 'default' },
        spec: { type: 'ExternalName', externalName: 'localhost' },
      };
      expect((await s.client.post('/api/v1/namespaces/default/services', svc)).status).toBe(201);
      let got = await s.client.get<{ apiVersion: string; spec: { size: number } }>(`${v2}/w1`);
      for (let i = 0; i < 100 && got.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 20));
        got = await s.client.get(`${v2}/w1`);
      }
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({ apiVersion: 'convert.example.com/v2', spec: { size: 2 } });
      expect(conversions).toBeGreaterThan(0);
    } finally {
      await s.client.call('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.convert.example.com');
      await s.client.call('DELETE', '/api/v1/namespaces/default/services/converter');
      convServer.closeAllConnections();
      await new Promise((r) => convServer.close(r));
    }
  });

  it('failurePolicy with the webhook down: Fail refuses with kube wording, Ignore admits', async () => {
    const config = (failurePolicy: string) =>
      JSON.stringify({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: 'down' },
        webhooks: [
          {
            name: 'down.example.com',
            clientConfig: { url: 'https://127.0.0.1:9/down' },
            rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['serviceaccounts'] }],
            sideEffects: 'None',
            failurePolicy,
            admissionReviewVersions: ['v1'],
          },
        ],
      });
    try {
      await s.kubectl(['apply', '-f', '-'], config('Fail'));
      await new Promise((r) => setTimeout(r, 100));
      const fail = await s.client.post<{ code: number; message: string }>('/api/v1/namespaces/default/serviceaccounts', {
        metadata: { name: 'sa-fail' },
      });
      expect(fail.status).toBe(500);
      expect(fail.body.message).toBe(
        'Internal error occurred: failed calling webhook "down.example.com": failed to call webhook: Post "https://127.0.0.1:9/down?timeout=10s": dial tcp 127.0.0.1:9: connect: connection refused',
      );
      await s.kubectl(['apply', '-f', '-'], config('Ignore'));
      await new Promise((r) => setTimeout(r, 100));
      expect((await s.client.post('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'sa-ignore' } })).status).toBe(201);
    } finally {
      await s.kubectl(['delete', 'validatingwebhookconfiguration', 'down']);
    }
  });

  it('in-process handlers: validate and mutate with a JavaScript function, removed again', async () => {
    type Pod = { spec: { containers: Array<{ image: string }> } };
    const deny = await s.env.webhooks.validate<Pod>({
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
      handler: (review) =>
        review.request.object?.spec.containers.some((c) => c.image.endsWith(':latest'))
          ? { allowed: false, status: { code: 403, message: 'no :latest images' } }
          : { allowed: true },
    });
    const mutate = await s.env.webhooks.mutate({
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
      handler: () => ({ allowed: true, patch: [{ op: 'add', path: '/metadata/annotations', value: { 'team.example.com/owner': 'qa' } }] }),
    });
    const pod = (name: string, image: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { containers: [{ name: 'c', image }] },
    });
    const refused = await s.client.post<{ code: number; message: string }>('/api/v1/namespaces/default/pods', pod('p1', 'nginx:latest'));
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(`admission webhook "${deny.name}" denied the request: no :latest images`);
    const created = await s.client.post<{ metadata: { annotations: Record<string, string> } }>(
      '/api/v1/namespaces/default/pods',
      pod('p2', 'nginx:1.27'),
    );
    expect(created.status).toBe(201);
    expect(created.body.metadata.annotations).toEqual({ 'team.example.com/owner': 'qa' });
    await deny.remove();
    await mutate.remove();
    await new Promise((r) => setTimeout(r, 100));
    expect((await s.client.post('/api/v1/namespaces/default/pods', pod('p3', 'nginx:latest'))).status).toBe(201);
  });

  it('CONNECT admission: a webhook on pods/exec sees PodExecOptions and may refuse', async () => {
    let seenKind: string | undefined;
    const hook = await s.env.webhooks.validate({
      rules: [{ operations: ['CONNECT'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/exec'] }],
      handler: (review) => {
        seenKind = `${review.request.kind.kind} ${review.request.operation} ${review.request.subResource}`;
        return { allowed: false, status: { code: 403, message: 'no exec here' } };
      },
    });
    try {
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'execd' },
        spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
      };
      expect((await s.client.post('/api/v1/namespaces/default/pods', pod)).status).toBe(201);
      const r = await s.client.post<{ message: string }>('/api/v1/namespaces/default/pods/execd/exec?command=ls&stdout=true', '');
      expect(r.status).toBe(403);
      expect(r.body.message).toBe(`admission webhook "${hook.name}" denied the request: no exec here`);
      expect(seenKind).toBe('PodExecOptions CONNECT exec');
    } finally {
      await hook.remove();
    }
  });

  it('a created subresource (pods/eviction) is admitted as its own kind', async () => {
    let seen: string | undefined;
    const hook = await s.env.webhooks.validate({
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/eviction'] }],
      handler: ({ request }) => {
        seen = `${request.kind.group}/${request.kind.version} ${request.kind.kind} ${request.subResource} ${request.name}`;
        return { allowed: false, status: { code: 429, reason: 'TooManyRequests', message: 'not now' } };
      },
    });
    try {
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'evictme' },
        spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
      };
      expect((await s.client.post('/api/v1/namespaces/default/pods', pod)).status).toBe(201);
      const r = await s.client.post<{ message: string }>('/api/v1/namespaces/default/pods/evictme/eviction', {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: 'evictme' },
      });
      expect(r.status).toBe(429);
      expect(r.body.message).toBe(`admission webhook "${hook.name}" denied the request: not now`);
      expect(seen).toBe('policy/v1 Eviction eviction evictme');
    } finally {
      await hook.remove();
    }
  });

  it('matchPolicy Equivalent: a rule for autoscaling/v2 sees an autoscaling/v1 create converted; Exact does not', async () => {
    type HPA = { apiVersion: string; spec: { metrics?: Array<{ resource?: { target?: { averageUtilization?: number } } }> } };
    const seen: string[] = [];
    const rules = [
      { operations: ['CREATE' as const], apiGroups: ['autoscaling'], apiVersions: ['v2'], resources: ['horizontalpodautoscalers'] },
    ];
    const equivalent = await s.env.webhooks.mutate<HPA>({
      rules,
      handler: ({ request }) => {
        const o = request.object!;
        seen.push(
          `${request.kind.version}/${request.requestKind?.version} ${o.apiVersion} ${o.spec.metrics?.[0]?.resource?.target?.averageUtilization}`,
        );
        return { allowed: true, patch: [{ op: 'replace', path: '/spec/metrics/0/resource/target/averageUtilization', value: 70 }] };
      },
    });
    const exact = await s.env.webhooks.validate({
      rules,
      matchPolicy: 'Exact',
      handler: () => {
        seen.push('exact');
        return { allowed: true };
      },
    });
    try {
      const hpa = {
        apiVersion: 'autoscaling/v1',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'web' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
          maxReplicas: 5,
          targetCPUUtilizationPercentage: 50,
        },
      };
      const r = await s.client.post<{ spec: { targetCPUUtilizationPercentage: number } }>(
        '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers',
        hpa,
      );
      expect(r.status).toBe(201);
      expect(seen).toEqual(['v2/v1 autoscaling/v2 50']);
      // The v2 patch, converted back to the request's version.
      expect(r.body.spec.targetCPUUtilizationPercentage).toBe(70);
    } finally {
      await equivalent.remove();
      await exact.remove();
    }
  });

  it('a ValidatingAdmissionPolicy caps Deployment replicas with a ConfigMap param', async () => {
    const docs = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'replica-limits', namespace: 'default' }, data: { maxReplicas: '3' } },
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name: 'replica-cap' },
        spec: {
          failurePolicy: 'Fail',
          paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
          matchConstraints: {
            resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }],
          },
          validations: [
            {
              expression: 'object.spec.replicas <= int(params.data.maxReplicas)',
              messageExpression: "'replicas must be no greater than ' + params.data.maxReplicas",
            },
          ],
        },
      },
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: 'replica-cap-binding' },
        spec: {
          policyName: 'replica-cap',
          validationActions: ['Deny'],
          paramRef: { name: 'replica-limits', namespace: 'default', parameterNotFoundAction: 'Deny' },
        },
      },
    ];
    for (const d of docs) expect((await s.kubectl(['apply', '-f', '-'], JSON.stringify(d))).code).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    const deployment = (replicas: number) =>
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } },
        },
      });
    const denied = await s.kubectl(['apply', '-f', '-'], deployment(5));
    expect(denied.code).not.toBe(0);
    // kubectl formats the 422 from its details and its one cause without a field, as against a real cluster.
    expect(denied.stderr).toContain(
      `The deployments "web" is invalid: : ValidatingAdmissionPolicy 'replica-cap' with binding 'replica-cap-binding' denied request: replicas must be no greater than 3`,
    );
    const raw = await s.client.post<{ code: number; reason: string; message: string }>(
      '/apis/apps/v1/namespaces/default/deployments',
      JSON.parse(deployment(5)),
    );
    expect(raw.status).toBe(422);
    expect(raw.body.reason).toBe('Invalid');
    expect(raw.body.message).toBe(
      `deployments.apps "web" is forbidden: ValidatingAdmissionPolicy 'replica-cap' with binding 'replica-cap-binding' denied request: replicas must be no greater than 3`,
    );
    expect((await s.kubectl(['apply', '-f', '-'], deployment(3))).code).toBe(0);
    // Scaling past the cap is an UPDATE the policy refuses too.
    const scaled = await s.kubectl(['patch', 'deployment', 'web', '-p', '{"spec":{"replicas":4}}']);
    expect(scaled.stderr).toContain('denied request: replicas must be no greater than 3');
    // The status controller type checked it against Deployment's and ConfigMap's schemas: nothing to report.
    expect(await policyStatus('replica-cap')).toEqual({ observedGeneration: 1, typeChecking: {} });
  });

  const policyStatus = async (name: string): Promise<Record<string, unknown>> => {
    for (let i = 0; i < 100; i++) {
      const got = await s.client.get<{ status?: { observedGeneration?: number } }>(
        `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/${name}`,
      );
      if (got.body.status?.observedGeneration) return got.body.status;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no status on policy ${name}`);
  };

  it('ValidatingAdmissionPolicy CEL: refused when it does not compile, type checked into status.typeChecking', async () => {
    const policy = (name: string, expression: string) =>
      JSON.stringify({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name },
        spec: {
          matchConstraints: {
            resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'] }],
          },
          validations: [{ expression }],
        },
      });
    const refused = await s.kubectl(['apply', '-f', '-'], policy('bad-cel', 'foo > 1'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      `The ValidatingAdmissionPolicy "bad-cel" is invalid: spec.validations[0].expression: Invalid value: "foo > 1": compilation failed: ERROR: <input>:1:1: undeclared reference to 'foo' (in container '')`,
    );
    expect((await s.kubectl(['apply', '-f', '-'], policy('typo', 'object.spec.replicass > 1'))).code).toBe(0);
    expect(await policyStatus('typo')).toEqual({
      observedGeneration: 1,
      typeChecking: {
        expressionWarnings: [
          {
            fieldRef: 'spec.validations[0].expression',
            warning:
              "apps/v1, Kind=Deployment: ERROR: <input>:1:12: undefined field 'replicass'\n | object.spec.replicass > 1\n | ...........^\n",
          },
        ],
      },
    });
    // A new generation is checked again.
    expect((await s.kubectl(['apply', '-f', '-'], policy('typo', 'object.spec.replicas > 1'))).code).toBe(0);
    await expect
      .poll(
        async () =>
          (await s.client.get<{ status: unknown }>('/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/typo')).body.status,
      )
      .toEqual({ observedGeneration: 2, typeChecking: {} });
    expect((await s.kubectl(['delete', 'validatingadmissionpolicy', 'typo'])).code).toBe(0);
  });
});
