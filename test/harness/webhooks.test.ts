// The webhook install options (envtest's WebhookInstallOptions): reading configuration manifests and
// rewriting their client configs for the local webhook server.

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FixtureError } from '../../src/env/fixtures.js';
import { readWebhookConfigurations, rewriteClientConfigs, webhookServing } from '../../src/env/webhooks.js';

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

describe('the webhook serving address and certificate', () => {
  it('are made when first read, once, and not after the environment stopped', async () => {
    const temp = mkdtempSync(path.join(dir, 'serving-'));
    let running = true;
    const serving = webhookServing({}, temp, () => running);
    // Nothing made yet: no certificate directory.
    expect(existsSync(path.join(temp, 'webhook-certs'))).toBe(false);
    const s = serving();
    expect(serving()).toBe(s);
    expect(s.host).toBe('127.0.0.1');
    expect(readFileSync(s.certFile, 'utf8')).toBe(s.pki.serving.certPem);
    expect(statSync(s.keyFile).mode & 0o777).toBe(0o600);
    // The port is free: a server binds it on the serving host.
    const srv = net.createServer();
    await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(s.port, s.host, resolve));
    await new Promise((resolve) => srv.close(resolve));
    // Stopped before anything was read: reading now would write into a removed directory.
    running = false;
    expect(serving()).toBe(s);
    const late = webhookServing({}, temp, () => false);
    expect(() => late()).toThrow('the environment is stopped');
    // Given a port and a directory, those are used.
    const given = webhookServing({ localServingPort: 9443, localServingCertDir: path.join(temp, 'certs') }, temp)();
    expect([given.port, given.certFile]).toEqual([9443, path.join(temp, 'certs', 'tls.crt')]);
  });
});
