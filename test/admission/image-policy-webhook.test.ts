// ImagePolicyWebhook: ImageReviews to the kubeconfig's backend, kube's refusals, the answer cache, failing open.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImagePolicyWebhook, imagePolicyConfig } from '../../src/server/admission/plugins/image-policy-webhook.js';
import { registerInProcessWebhook } from '../../src/server/admission/webhook/client.js';
import { attrs, PODS, pod, refusal } from './fake-objects.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kapi-ipw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function backend(server: string): string {
  const file = path.join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}`);
  writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: b\n  cluster: {server: "${server}"}\ncontexts:\n- name: c\n  context: {cluster: b, user: u}\ncurrent-context: c\nusers:\n- name: u\n  user: {}\n`,
  );
  return file;
}

describe('ImagePolicyWebhook', () => {
  it('sends the images and image-policy annotations, refuses with the backend reason, caches answers', async () => {
    const reviews: Array<Record<string, unknown>> = [];
    registerInProcessWebhook('https://in-process.test/images', (r) => {
      const review = r as { spec: { containers: Array<{ image: string }> } };
      reviews.push(review as unknown as Record<string, unknown>);
      const bad = review.spec.containers.some((c) => c.image.endsWith(':latest'));
      return {
        apiVersion: 'imagepolicy.k8s.io/v1alpha1',
        kind: 'ImageReview',
        status: bad ? { allowed: false, reason: 'no :latest' } : { allowed: true, auditAnnotations: { checked: 'yes' } },
      };
    });
    const plugin = new ImagePolicyWebhook(
      imagePolicyConfig({ imagePolicy: { kubeConfigFile: backend('https://in-process.test/images') } }),
    );
    const ok = pod('ok', [{ name: 'c', image: 'nginx:1.27' }]);
    ok.metadata!.annotations = { 'mycluster.image-policy.k8s.io/ticket': '42', other: 'x' };
    const a = attrs('CREATE', PODS, ok);
    await plugin.validate(a);
    expect(reviews[0]).toEqual({
      apiVersion: 'imagepolicy.k8s.io/v1alpha1',
      kind: 'ImageReview',
      metadata: { creationTimestamp: null },
      spec: { containers: [{ image: 'nginx:1.27' }], annotations: { 'mycluster.image-policy.k8s.io/ticket': '42' }, namespace: 'ns' },
      status: { allowed: false },
    });
    expect(a.auditAnnotations).toEqual({ 'imagepolicywebhook.image-policy.k8s.io/checked': 'yes' });
    expect(await refusal(plugin.validate(attrs('CREATE', PODS, pod('bad', [{ name: 'c', image: 'nginx:latest' }]))))).toBe(
      'pods "bad" is forbidden: image policy webhook backend denied one or more images: no :latest',
    );
    // The same review again is answered from the cache.
    await plugin.validate(attrs('CREATE', PODS, ok));
    expect(reviews.length).toBe(2);
  });

  it('an unreachable backend refuses, or with defaultAllow lets the pod through marked failed-open', async () => {
    const down = backend('https://127.0.0.1:1/');
    const closed = new ImagePolicyWebhook(imagePolicyConfig({ imagePolicy: { kubeConfigFile: down } }));
    expect(await refusal(closed.validate(attrs('CREATE', PODS, pod('p', [{ name: 'c', image: 'nginx' }]))))).toMatch(
      /^pods "p" is forbidden: Post "https:\/\/127\.0\.0\.1:1\/.*": dial tcp 127\.0\.0\.1:1: connect: connection refused$/,
    );
    const open = new ImagePolicyWebhook(imagePolicyConfig({ imagePolicy: { kubeConfigFile: down, defaultAllow: true } }));
    const p = pod('p', [{ name: 'c', image: 'nginx' }]);
    const a = attrs('CREATE', PODS, p);
    await open.validate(a);
    expect(p.metadata?.annotations).toEqual({ 'alpha.image-policy.k8s.io/failed-open': 'true' });
    expect(a.auditAnnotations).toEqual({ 'imagepolicywebhook.image-policy.k8s.io/failed-open': 'true' });
  });
});
