// The real-world CRD corpus (Gateway API, prometheus-operator, Flux, Argo
// Rollouts, cert-manager): every CRD installs and becomes Established, every
// example object is accepted with the defaults a real cluster applies, and
// objects that break a CEL rule are refused with the rule's message.

import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';

const CORPUS = path.resolve(__dirname, '../../../shared/crds');
const present = existsSync(CORPUS);
if (!present) console.warn(`[kapi-env tests] ${CORPUS} not found: the real-world CRD corpus suite is skipped`);

const projects = present ? readdirSync(CORPUS).filter((d) => existsSync(path.join(CORPUS, d, 'crds'))) : [];

describe.skipIf(!present).each(BACKENDS)('CRD corpus on %s storage', (storage) => {
  const s = useEnv(storage);

  it('installs every CRD with kubectl create and establishes it', async () => {
    for (const p of projects) {
      const r = await s.kubectl(['create', '-f', path.join(CORPUS, p, 'crds')]);
      expect(r.stderr).toBe('');
    }
    const names = JSON.parse((await s.kubectl(['get', 'crd', '-o', 'json'])).stdout).items as Array<{
      metadata: { name: string };
      status: { conditions: Array<{ type: string; status: string }> };
    }>;
    expect(names.length).toBeGreaterThanOrEqual(12);
    for (const c of names) expect(c.status.conditions.find((x) => x.type === 'Established')?.status, c.metadata.name).toBe('True');
  });

  it('accepts every example object', async () => {
    await s.kubectl(['create', 'ns', 'corpus']);
    for (const p of projects) {
      const dir = path.join(CORPUS, p, 'examples');
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir)) {
        const withNs = p === 'cert-manager' ? [] : ['-n', 'corpus'];
        const r = await s.kubectl(['create', ...withNs, '-f', path.join(dir, f)]);
        expect(r.stderr, `${p}/${f}`).toBe('');
      }
    }
  });

  it('applies the defaults a real cluster applies', async () => {
    const routes = JSON.parse((await s.kubectl(['get', 'httproutes', '-n', 'corpus', '-o', 'json'])).stdout).items;
    expect(routes.length).toBeGreaterThan(0);
    const ref = routes
      .flatMap((r: { spec: { rules?: Array<{ backendRefs?: unknown[] }> } }) => r.spec.rules ?? [])
      .flatMap((r: { backendRefs?: unknown[] }) => r.backendRefs ?? [])[0];
    expect(ref).toMatchObject({ group: '', kind: 'Service', weight: 1 });
    const gw = JSON.parse((await s.kubectl(['get', 'gateway', 'prod-web', '-n', 'corpus', '-o', 'json'])).stdout);
    expect(gw.spec.listeners[0].allowedRoutes).toEqual({ namespaces: { from: 'Same' } });
    expect(gw.status.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`)).toEqual([
      'Accepted=Unknown',
      'Programmed=Unknown',
    ]);
  });

  it('refuses objects that break a rule, with the rule message', async () => {
    const r = await s.kubectl(['patch', 'gatewayclass', 'example', '--type=merge', '-p', '{"spec":{"controllerName":"other.io/x"}}']);
    expect(r.stderr).toContain('spec.controllerName: Invalid value: "string": Value is immutable');
    const route = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bad-route, namespace: corpus}
spec:
  rules:
  - matches: [{path: {type: Exact, value: /a}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}
`;
    const bad = await s.kubectl(['create', '-f', '-'], route);
    expect(bad.stderr).toContain('The HTTPRoute "bad-route" is invalid');
    expect(bad.stderr).toContain(
      'When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified',
    );
  });
});
