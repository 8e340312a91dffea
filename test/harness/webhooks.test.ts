// The webhook install options (envtest's WebhookInstallOptions): reading configuration manifests and
// rewriting their client configs for the local webhook server.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FixtureError } from '../../src/env/fixtures.js';
import { readWebhookConfigurations, rewriteClientConfigs } from '../../src/env/webhooks.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kapi-webhook-opts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('webhook install options', () => {
  it('rewrites service references to https://<host:port><path>, keeps URLs, and injects the CA everywhere', () => {
    const config = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'v' },
      webhooks: [
        { name: 'a', clientConfig: { service: { name: 'webhook-service', namespace: 'system', path: '/validate-a' } } },
        { name: 'b', clientConfig: { service: { name: 'webhook-service', namespace: 'system', path: 'validate-b' } } },
        { name: 'c', clientConfig: { url: 'https://example.com/c' } },
      ],
    };
    const out = rewriteClientConfigs(config, '127.0.0.1:9443', 'PEM');
    const ca = Buffer.from('PEM').toString('base64');
    expect(out.webhooks).toEqual([
      { name: 'a', clientConfig: { url: 'https://127.0.0.1:9443/validate-a', caBundle: ca } },
      { name: 'b', clientConfig: { url: 'https://127.0.0.1:9443/validate-b', caBundle: ca } },
      { name: 'c', clientConfig: { url: 'https://example.com/c', caBundle: ca } },
    ]);
    // The input is left as it was.
    expect(config.webhooks[0].clientConfig.service).toBeDefined();
  });

  it('reads the webhook configurations of a directory and skips other documents with a line', async () => {
    writeFileSync(
      path.join(dir, 'manifests.yaml'),
      `apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: m}
webhooks: []
---
apiVersion: v1
kind: Service
metadata: {name: webhook-service}
`,
    );
    const warnings: string[] = [];
    const configs = await readWebhookConfigurations({ paths: [dir] }, (l) => warnings.push(l));
    expect(configs.map((c) => (c.metadata as { name: string }).name)).toEqual(['m']);
    expect(warnings).toEqual([`${path.join(dir, 'manifests.yaml')}: document 1: Service is not a webhook configuration (skipped)`]);
    await expect(readWebhookConfigurations({ configurations: [{ kind: 'ConfigMap' }] })).rejects.toThrow(FixtureError);
    await expect(readWebhookConfigurations({ paths: [path.join(dir, 'missing')] })).rejects.toThrow(FixtureError);
  });
});
