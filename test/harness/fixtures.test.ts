// Fixtures with envtest's rules: a kubebuilder project's config/ loaded as it is
// (kustomizations built, patches/ not entered), skipped documents said in one
// line, the last duplicate wins, missing paths, CRDs updated when they exist,
// CRD objects passed in code, and bad input named by file, document and field.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FixtureError, prepareFixtures, readFixtures, selectCRDs } from '../../src/env/fixtures.js';
import { startEnv } from '../../src/env/index.js';
import { BACKENDS } from '../helpers/backends.js';
import { kubectl } from '../helpers/env.js';

const KB = path.resolve(__dirname, '../../fixtures/kubebuilder/config');
const work = mkdtempSync(path.join(os.tmpdir(), 'kapi-env-fixtures-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const names = (docs: { object: Record<string, unknown> }[]): string[] => docs.map((d) => (d.object.metadata as { name: string }).name);

async function withoutKubectl<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
  }
}

describe('reading fixtures', () => {
  it('builds a kubebuilder config/crd with kubectl kustomize (patches applied)', async () => {
    const warnings: string[] = [];
    const { crds } = await prepareFixtures({ crds: [path.join(KB, 'crd')], warn: (l) => warnings.push(l) });
    expect(names(crds).sort()).toEqual(['clusters.batch.tutorial.kubebuilder.io', 'cronjobs.batch.tutorial.kubebuilder.io']);
    const cron = crds.find((d) => names([d])[0].startsWith('cronjobs'))!;
    expect((cron.object.metadata as { annotations: Record<string, string> }).annotations['cert-manager.io/inject-ca-from']).toBe(
      'CERTIFICATE_NAMESPACE/CERTIFICATE_NAME',
    );
    expect(cron.file).toBe(path.join(KB, 'crd', 'kustomization.yaml'));
    expect(warnings).toEqual([]);
  });

  it('follows resources: without kubectl, saying in one line what it does not apply', async () => {
    const warnings: string[] = [];
    const { crds, manifests } = await withoutKubectl(() =>
      prepareFixtures({ crds: [path.join(KB, 'crd')], manifests: [path.join(KB, 'samples')], warn: (l) => warnings.push(l) }),
    );
    expect(names(crds).sort()).toEqual(['clusters.batch.tutorial.kubebuilder.io', 'cronjobs.batch.tutorial.kubebuilder.io']);
    expect(crds[0].file).toBe(path.join(KB, 'crd', 'bases', 'batch.tutorial.kubebuilder.io_cronjobs.yaml'));
    expect(names(manifests)).toEqual(['cronjob-sample', 'cluster-sample']);
    expect(warnings).toEqual([
      `${path.join(KB, 'crd', 'kustomization.yaml')}: patches not applied (kubectl is not on PATH; only resources: are followed)`,
    ]);
  });

  it("follows envtest's directory rules: no recursion, extensions, skipped documents in one line each, last duplicate wins", async () => {
    const dir = path.join(work, 'mixed');
    mkdirSync(path.join(dir, 'patches'), { recursive: true });
    const crd = (name: string, extra = ''): string =>
      `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ${name}.example.org${extra}\nspec:\n  group: example.org\n  names: {kind: K${name}, plural: ${name}}\n  scope: Namespaced\n  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]\n`;
    writeFileSync(path.join(dir, 'a.yaml'), `${crd('foos')}---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n`);
    writeFileSync(path.join(dir, 'b.yml'), `${crd('foos', '\n  labels: {second: "true"}')}`);
    writeFileSync(
      path.join(dir, 'c.json'),
      JSON.stringify({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'bars.example.org' } }),
    );
    writeFileSync(path.join(dir, 'd.txt'), crd('ignored'));
    writeFileSync(path.join(dir, 'patches', 'p.yaml'), crd('nested'));
    const warnings: string[] = [];
    const crds = selectCRDs(await readFixtures([dir]), (l) => warnings.push(l));
    expect(names(crds)).toEqual(['foos.example.org']);
    expect((crds[0].object.metadata as { labels?: unknown }).labels).toEqual({ second: 'true' });
    expect(warnings).toEqual([
      `${path.join(dir, 'a.yaml')}: document 1: skipped: kind Namespace is not a CustomResourceDefinition`,
      `${path.join(dir, 'b.yml')}: document 0: CustomResourceDefinition foos.example.org also in ${path.join(dir, 'a.yaml')} document 0: the last one wins`,
      `${path.join(dir, 'c.json')}: document 0: skipped: not a complete CustomResourceDefinition (no spec.group, spec.names.kind)`,
    ]);
  });

  it('a missing path is an error by default, skipped with one line when told (ErrorIfPathMissing)', async () => {
    const missing = path.join(work, 'nope');
    await expect(prepareFixtures({ crds: [missing] })).rejects.toThrow(`fixture path ${missing} does not exist`);
    const warnings: string[] = [];
    const r = await prepareFixtures({ crds: [missing], errorIfPathMissing: false, warn: (l) => warnings.push(l) });
    expect(r.crds).toEqual([]);
    expect(warnings).toEqual([`${missing}: does not exist, skipped`]);
  });

  it('names file, document and field for bad input, as a usage error', async () => {
    const bad = path.join(work, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {name: b}\n');
    const e = await prepareFixtures({ manifests: [bad] }).catch((x) => x);
    expect(e).toBeInstanceOf(FixtureError);
    expect(e.message).toBe(`${bad}: document 1: field kind: Required value`);
    expect(e.exitCode).toBe(2);
    const yaml = path.join(work, 'broken.yaml');
    writeFileSync(yaml, 'a: 1\n---\nkind: [\n');
    await expect(readFixtures([yaml])).rejects.toThrow(`${yaml}: document 1: invalid YAML`);
    const kdir = path.join(work, 'kbad');
    mkdirSync(kdir);
    writeFileSync(path.join(kdir, 'kustomization.yaml'), 'resources:\n- missing.yaml\n');
    await expect(withoutKubectl(() => readFixtures([kdir]))).rejects.toThrow(
      `${path.join(kdir, 'kustomization.yaml')}: document 0: field resources[0]: missing.yaml does not exist`,
    );
    await expect(readFixtures([kdir])).rejects.toThrow(`${kdir}: kubectl kustomize failed:`);
  });
});

describe.each(BACKENDS)('startEnv with a kubebuilder project (%s)', (storage) => {
  it('loads config/crd, config/rbac and config/samples; an existing CRD is updated on a second start', async () => {
    const env = await startEnv({
      storage,
      crds: [path.join(KB, 'crd')],
      manifests: [path.join(KB, 'rbac'), path.join(KB, 'samples')],
    });
    let second: Awaited<ReturnType<typeof startEnv>> | undefined;
    try {
      const cj = await kubectl(env.kubeconfigPath, ['get', 'cronjobs.batch.tutorial.kubebuilder.io', '-o', 'name']);
      expect(cj.stdout.trim()).toBe('cronjob.batch.tutorial.kubebuilder.io/cronjob-sample');
      const cr = await kubectl(env.kubeconfigPath, ['get', 'clusterrole', 'manager-role', '-o', 'jsonpath={.rules[1].resources[0]}']);
      expect(cr.stdout).toBe('cronjobs');
      const crd = await kubectl(env.kubeconfigPath, [
        'get',
        'crd',
        'cronjobs.batch.tutorial.kubebuilder.io',
        '-o',
        'jsonpath={.metadata.annotations.cert-manager\\.io/inject-ca-from}',
      ]);
      expect(crd.stdout).toBe('CERTIFICATE_NAMESPACE/CERTIFICATE_NAME');
      // The controller's service account (kubebuilder's config/manager makes it) runs with exactly config/rbac's grants.
      await kubectl(env.kubeconfigPath, ['create', 'namespace', 'system']);
      await kubectl(env.kubeconfigPath, ['create', 'serviceaccount', 'controller-manager', '-n', 'system']);
      const sa = await env.kubeconfigFor({ serviceAccount: 'system/controller-manager' });
      try {
        const allowed = await kubectl(sa.kubeconfigPath, ['get', 'cronjobs.batch.tutorial.kubebuilder.io', '-A', '-o', 'name']);
        expect(allowed.stdout.trim()).toBe('cronjob.batch.tutorial.kubebuilder.io/cronjob-sample');
        const denied = await kubectl(sa.kubeconfigPath, ['get', 'secrets', '-n', 'default']);
        expect(denied.stderr.trim()).toBe(
          'Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:system:controller-manager" cannot list resource "secrets" in API group "" in the namespace "default"',
        );
      } finally {
        await sa.client.agent.destroy();
      }
      if (env.etcdEndpoint) {
        // A second environment over the same etcd: the CRDs exist, so they are updated (here: one passed in code
        // with a new label), and the samples already there are updated too.
        const cronjobs = (await prepareFixtures({ crds: [path.join(KB, 'crd')] })).crds.find((d) =>
          String((d.object.metadata as { name: string }).name).startsWith('cronjobs'),
        )!.object;
        const changed = { ...cronjobs, metadata: { ...(cronjobs.metadata as object), labels: { rerun: 'yes' } } };
        const lines: string[] = [];
        second = await startEnv({
          etcdServers: [env.etcdEndpoint],
          crds: [changed, path.join(KB, 'crd', 'bases', 'batch.tutorial.kubebuilder.io_clusters.yaml')],
          manifests: [path.join(KB, 'samples')],
          onProgress: (phase, m) => phase === 'crds' && lines.push(m),
        });
        expect(lines).toEqual(['2 CRDs established (2 updated)']);
        const label = await kubectl(second.kubeconfigPath, [
          'get',
          'crd',
          'cronjobs.batch.tutorial.kubebuilder.io',
          '-o',
          'jsonpath={.metadata.labels.rerun}',
        ]);
        expect(label.stdout).toBe('yes');
      }
    } finally {
      await second?.stop();
      await env.stop();
    }
  });
});

describe('startEnv({ crds: [object] })', () => {
  it('installs CRD objects passed in code; a server refusal names the document and exits 1', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.example.net' },
      spec: {
        group: 'example.net',
        names: { kind: 'Gadget', plural: 'gadgets' },
        scope: 'Cluster',
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
      },
    };
    const env = await startEnv({ storage: 'memory', crds: [crd], crdPollIntervalMs: 20, crdWaitTimeoutMs: 5000 });
    try {
      const r = await env.client().get<{ resources: { name: string }[] }>('/apis/example.net/v1');
      expect(r.body.resources.map((x) => x.name)).toContain('gadgets');
    } finally {
      await env.stop();
    }
    const bad = { ...crd, spec: { ...crd.spec, scope: 'Sideways' } };
    const e = await startEnv({ storage: 'memory', crds: [bad] }).catch((x) => x);
    expect(e).toBeInstanceOf(FixtureError);
    expect(e.exitCode).toBe(1);
    expect(e.message).toMatch(
      /^crds\[0\]: document 0: CustomResourceDefinition gadgets\.example\.net: .*spec\.scope: Unsupported value: "Sideways"/,
    );
  });
});
