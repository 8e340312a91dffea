// kubectl against the server, on every backend: what a user sees must match a real cluster.

import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';

const cmYaml = (name: string, ns = 'default'): string => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: ${ns}
  labels: {app: demo}
data:
  a: b
`;

describe.each(BACKENDS)('kubectl on %s storage', (storage) => {
  const s = useEnv(storage);

  it('lists the system namespaces', async () => {
    const r = await s.kubectl(['get', 'ns', '-o', 'name']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual([
      'namespace/default',
      'namespace/kube-node-lease',
      'namespace/kube-public',
      'namespace/kube-system',
    ]);
  });

  it('prints api-resources and api-versions like a cluster', async () => {
    const r = await s.kubectl(['api-resources', '--no-headers']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^configmaps\s+cm\s+v1\s+true\s+ConfigMap$/m);
    expect(r.stdout).toMatch(/^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m);
    expect(r.stdout).toMatch(/^customresourcedefinitions\s+crd,crds\s+apiextensions\.k8s\.io\/v1\s+false\s+CustomResourceDefinition$/m);
    const explain = await s.kubectl(['explain', 'configmap']);
    expect(explain.stdout).toMatch(/data\s+<map\[string\]string>/);
    const v = await s.kubectl(['api-versions']);
    expect(v.stdout.split('\n')).toContain('coordination.k8s.io/v1');
  });

  it('creates, gets as json/yaml and table, labels, annotates, patches, replaces and deletes', async () => {
    expect((await s.kubectl(['create', '-f', '-'], cmYaml('life'))).stdout).toContain('configmap/life created');
    const table = await s.kubectl(['get', 'cm', 'life']);
    expect(table.stdout).toMatch(/^NAME\s+DATA\s+AGE\nlife\s+1\s+\d+s\n$/);
    const obj = JSON.parse((await s.kubectl(['get', 'cm', 'life', '-o', 'json'])).stdout);
    expect(obj.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(obj.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(obj.metadata.generation).toBeUndefined();
    expect((await s.kubectl(['get', 'cm', 'life', '-o', 'yaml'])).stdout).toContain('name: life');
    expect((await s.kubectl(['label', 'cm', 'life', 'env=prod'])).stdout).toContain('configmap/life labeled');
    expect((await s.kubectl(['annotate', 'cm', 'life', 'note=hi'])).stdout).toContain('annotated');
    expect((await s.kubectl(['patch', 'cm', 'life', '--type=merge', '-p', '{"data":{"c":"d"}}'])).code).toBe(0);
    expect((await s.kubectl(['patch', 'cm', 'life', '--type=json', '-p', '[{"op":"add","path":"/data/e","value":"f"}]'])).code).toBe(0);
    expect((await s.kubectl(['patch', 'cm', 'life', '-p', '{"data":{"g":"h"}}'])).code).toBe(0);
    const after = JSON.parse((await s.kubectl(['get', 'cm', 'life', '-o', 'json'])).stdout);
    expect(after.data).toEqual({ a: 'b', c: 'd', e: 'f', g: 'h' });
    expect(after.metadata.labels).toEqual({ app: 'demo', env: 'prod' });
    expect(after.metadata.annotations).toEqual({ note: 'hi' });
    // A replace with the stale resourceVersion is a Conflict.
    const stale = await s.kubectl(['replace', '-f', '-'], JSON.stringify(obj));
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toContain(
      'Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled on configmaps "life": the object has been modified; please apply your changes to the latest version and try again',
    );
    const del = await s.kubectl(['delete', 'cm', 'life']);
    expect(del.stdout).toContain('configmap "life" deleted');
    const gone = await s.kubectl(['get', 'cm', 'life']);
    expect(gone.stderr.trim()).toBe('Error from server (NotFound): configmaps "life" not found');
  });

  it('reports errors exactly as kube-apiserver words them', async () => {
    const bad = await s.kubectl(['create', '-f', '-'], cmYaml('Bad_Name'));
    expect(bad.stderr).toContain(
      `The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    );
    await s.kubectl(['create', '-f', '-'], cmYaml('twice'));
    const dup = await s.kubectl(['create', '-f', '-'], cmYaml('twice'));
    expect(dup.stderr).toContain('Error from server (AlreadyExists): error when creating "STDIN": configmaps "twice" already exists');
    const missingNs = await s.kubectl(['create', '-f', '-'], cmYaml('x', 'nowhere'));
    expect(missingNs.stderr).toContain('Error from server (NotFound): error when creating "STDIN": namespaces "nowhere" not found');
    const sys = await s.kubectl(['delete', 'ns', 'kube-system']);
    expect(sys.stderr).toContain('Error from server (Forbidden): namespaces "kube-system" is forbidden: this namespace may not be deleted');
    const strict = await s.kubectl(['create', '-f', '-'], `${cmYaml('strict')}bogus: 1\n`);
    expect(strict.stderr).toContain('unknown field "bogus"');
  });

  it('creates with the typed generators (protobuf bodies) and terminates namespaces', async () => {
    expect((await s.kubectl(['create', 'ns', 'gen'])).code).toBe(0);
    expect((await s.kubectl(['create', 'cm', 'c1', '--from-literal=k=v', '-n', 'gen'])).code).toBe(0);
    expect((await s.kubectl(['create', 'secret', 'generic', 's1', '--from-literal=p=q', '-n', 'gen'])).code).toBe(0);
    expect((await s.kubectl(['create', 'sa', 'robot', '-n', 'gen'])).code).toBe(0);
    const secret = JSON.parse((await s.kubectl(['get', 'secret', 's1', '-n', 'gen', '-o', 'json'])).stdout);
    expect(Buffer.from(secret.data.p, 'base64').toString()).toBe('q');
    expect(secret.type).toBe('Opaque');
    const secrets = await s.kubectl(['get', 'secrets', '-n', 'gen']);
    expect(secrets.stdout).toMatch(/^NAME\s+TYPE\s+DATA\s+AGE\ns1\s+Opaque\s+1\s+\d+s/);
    expect((await s.kubectl(['delete', 'ns', 'gen', '--wait=false'])).code).toBe(0);
    const ns = await s.kubectl(['get', 'ns', 'gen', '--no-headers']);
    expect(ns.stdout).toMatch(/^gen\s+Terminating/);
    const refused = await s.kubectl(['create', 'cm', 'late', '-n', 'gen']);
    expect(refused.stderr).toContain(
      'configmaps "late" is forbidden: unable to create new content in namespace gen because it is being terminated',
    );
  });

  it('waits on conditions and streams watch events', async () => {
    await s.kubectl(['create', '-f', '-'], cmYaml('watched'));
    const watch = s.kubectl(['get', 'cm', 'watched', '-w', '--output-watch-events', '--request-timeout=3s']);
    await new Promise((r) => setTimeout(r, 500));
    await s.kubectl(['label', 'cm', 'watched', 'round=1']);
    await s.kubectl(['delete', 'cm', 'watched', '--wait=false']);
    const out = (await watch).stdout;
    expect(out).toMatch(/^EVENT\s+NAME\s+DATA\s+AGE$/m);
    expect(out).toMatch(/^ADDED\s+watched\s+1\s+\d+s$/m);
    expect(out).toMatch(/^MODIFIED\s+watched\s+1\s+\d+s$/m);
    expect(out).toMatch(/^DELETED\s+watched\s+1\s+\d+s$/m);
    await s.kubectl(['create', '-f', '-'], cmYaml('waited'));
    setTimeout(() => void s.kubectl(['label', 'cm', 'waited', 'ready=yes']), 300);
    const w = await s.kubectl(['wait', 'cm/waited', '--for=jsonpath={.metadata.labels.ready}=yes', '--timeout=10s']);
    expect(w.stdout).toContain('configmap/waited condition met');
  });

  it('pages with --chunk-size and returns each object once', async () => {
    await s.kubectl(['create', 'ns', 'pages']);
    const docs = Array.from({ length: 120 }, (_, i) => cmYaml(`p${String(i).padStart(3, '0')}`, 'pages')).join('---\n');
    // --validate=false: kubectl 1.32 parses the whole /openapi/v3/api/v1 document again for each object it
    // checks for fieldValidation support (kubernetes/kubectl#1682, cached from kubectl 1.34), as slow against a
    // real cluster; this test is about paging.
    expect((await s.kubectl(['create', '--validate=false', '-f', '-'], docs)).code).toBe(0);
    const r = await s.kubectl(['get', 'cm', '-n', 'pages', '--chunk-size=7', '-o', 'name']);
    const names = r.stdout.trim().split('\n');
    expect(names).toHaveLength(120);
    expect(new Set(names).size).toBe(120);
  });
});
