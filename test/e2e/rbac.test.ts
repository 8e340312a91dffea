// RBAC end to end with kubectl, on every backend: a user with a client certificate signed by the
// cluster CA gets what a Role grants and nothing else (kubectl's Forbidden wording), `kubectl auth
// can-i` (and --list) for the admin and that user, aggregation into `view`, escalation refused,
// anonymous requests limited to the public paths; the least-privilege report; a Webhook authorizer
// served by the test.

import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRbacReport } from '../../src/cli/rbac.js';
import { createServingPki } from '../../src/pki/index.js';
import { buildKubeconfig } from '../../src/pki/kubeconfig.js';
import { minimalRoles } from '../../src/server/authz/usage.js';
import { BACKENDS } from '../helpers/backends.js';
import { kubectl, useEnv } from '../helpers/env.js';

/** Retries `fn` until it passes (RBAC changes reach the authorizer through a watch, within milliseconds). */
async function eventually<T>(fn: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const roleYaml = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: cm-reader, namespace: team-a}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get, list]}
- {apiGroups: [rbac.authorization.k8s.io], resources: [roles, rolebindings], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: jane-reads, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: jane}
`;

describe.each(BACKENDS)('RBAC with kubectl on %s storage', (storage) => {
  const s = useEnv(storage);
  let jane: string;
  const asJane = (args: string[], input?: string) => kubectl(jane, args, input);

  beforeAll(async () => {
    jane = (await s.env.addUser({ name: 'jane', groups: ['dev'] })).kubeconfigPath;
    for (const ns of ['team-a', 'team-b']) expect((await s.kubectl(['create', 'namespace', ns])).code).toBe(0);
    expect((await s.kubectl(['create', 'configmap', 'settings', '-n', 'team-a', '--from-literal=a=b'])).code).toBe(0);
    expect((await s.kubectl(['apply', '-f', '-'], roleYaml)).code).toBe(0);
  });

  it('allows what the Role grants in its namespace, Forbidden elsewhere with the exact message', async () => {
    const got = await eventually(async () => {
      const r = await asJane(['get', 'configmap', 'settings', '-n', 'team-a', '-o', 'jsonpath={.data.a}']);
      expect(r.stderr).toBe('');
      return r;
    });
    expect(got.stdout).toBe('b');
    expect((await asJane(['get', 'configmaps', '-n', 'team-a', '-o', 'name'])).stdout).toContain('configmap/settings');
    const other = await asJane(['get', 'configmaps', '-n', 'team-b']);
    expect(other.code).toBe(1);
    expect(other.stderr.trim()).toBe(
      'Error from server (Forbidden): configmaps is forbidden: User "jane" cannot list resource "configmaps" in API group "" in the namespace "team-b"',
    );
    const del = await asJane(['delete', 'configmap', 'settings', '-n', 'team-a']);
    expect(del.stderr.trim()).toBe(
      'Error from server (Forbidden): configmaps "settings" is forbidden: User "jane" cannot delete resource "configmaps" in API group "" in the namespace "team-a"',
    );
    const nodes = await asJane(['get', 'nodes']);
    expect(nodes.stderr.trim()).toBe(
      'Error from server (Forbidden): nodes is forbidden: User "jane" cannot list resource "nodes" in API group "" at the cluster scope',
    );
  });

  it('answers kubectl auth can-i for the user and the admin', async () => {
    const yes = await asJane(['auth', 'can-i', 'list', 'configmaps', '-n', 'team-a']);
    expect([yes.code, yes.stdout.trim()]).toEqual([0, 'yes']);
    const no = await asJane(['auth', 'can-i', 'list', 'configmaps', '-n', 'team-b']);
    expect([no.code, no.stdout.trim()]).toEqual([1, 'no']);
    expect((await asJane(['auth', 'can-i', 'get', 'configmaps/settings', '-n', 'team-a'])).stdout.trim()).toBe('yes');
    expect((await s.kubectl(['auth', 'can-i', '*', '*', '--all-namespaces'])).stdout.trim()).toBe('yes');
    expect((await s.kubectl(['auth', 'can-i', 'get', '/metrics'])).stdout.trim()).toBe('yes');
    // SubjectAccessReview and LocalSubjectAccessReview: the chain's answer for someone else, with RBAC's reason.
    const sar = await s.client.post<{ status: Record<string, unknown> }>('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'jane', groups: ['dev'], resourceAttributes: { namespace: 'team-a', verb: 'get', resource: 'configmaps' } },
    });
    expect(sar.status).toBe(201);
    expect(sar.body.status).toEqual({
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "jane-reads/team-a" of Role "cm-reader" to User "jane"',
    });
    const local = await s.client.post<{ status: Record<string, unknown> }>(
      '/apis/authorization.k8s.io/v1/namespaces/team-b/localsubjectaccessreviews',
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'LocalSubjectAccessReview',
        metadata: { namespace: 'team-b' },
        spec: { user: 'jane', resourceAttributes: { namespace: 'team-b', verb: 'get', resource: 'configmaps' } },
      },
    );
    expect(local.body.status).toEqual({ allowed: false });
    const invalid = await s.client.post<{ message: string }>('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { resourceAttributes: { verb: 'get', resource: 'pods' } },
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.message).toBe(
      'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified',
    );
  });

  it('grants a ServiceAccount through its namespace-defaulted subject and its groups', async () => {
    expect((await s.kubectl(['create', 'serviceaccount', 'ctrl', '-n', 'team-a'])).code).toBe(0);
    expect(
      (await s.kubectl(['create', 'rolebinding', 'ctrl-reads', '-n', 'team-a', '--role=cm-reader', '--serviceaccount=team-a:ctrl'])).code,
    ).toBe(0);
    expect(
      (
        await s.kubectl([
          'create',
          'clusterrolebinding',
          'team-a-sas-view-nodes',
          '--clusterrole=system:node-proxier',
          '--group=system:serviceaccounts:team-a',
        ])
      ).code,
    ).toBe(0);
    const ctrl = await s.env.kubeconfigFor({ serviceAccount: 'team-a/ctrl' });
    try {
      await eventually(async () =>
        expect((await kubectl(ctrl.kubeconfigPath, ['auth', 'can-i', 'list', 'configmaps', '-n', 'team-a'])).stdout.trim()).toBe('yes'),
      );
      expect((await kubectl(ctrl.kubeconfigPath, ['auth', 'can-i', 'list', 'configmaps', '-n', 'team-b'])).stdout.trim()).toBe('no');
      await eventually(async () =>
        expect((await kubectl(ctrl.kubeconfigPath, ['auth', 'can-i', 'list', 'nodes'])).stdout.trim()).toBe('yes'),
      );
      const denied = await kubectl(ctrl.kubeconfigPath, ['get', 'secrets', '-n', 'team-a']);
      expect(denied.stderr.trim()).toBe(
        'Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:team-a:ctrl" cannot list resource "secrets" in API group "" in the namespace "team-a"',
      );
    } finally {
      await ctrl.client.close();
    }
  });

  it('lists what each may do (kubectl auth can-i --list)', async () => {
    const admin = await s.kubectl(['auth', 'can-i', '--list']);
    expect(admin.code).toBe(0);
    const adminLines = admin.stdout.split('\n');
    expect(adminLines[0]).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/);
    expect(adminLines).toContainEqual(expect.stringMatching(/^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/));
    expect(adminLines).toContainEqual(expect.stringMatching(/^\s+\[\*\]\s+\[\]\s+\[\*\]$/));
    expect(adminLines).toContainEqual(
      expect.stringMatching(/^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/),
    );
    const mine = await asJane(['auth', 'can-i', '--list', '-n', 'team-a']);
    expect(mine.code).toBe(0);
    const lines = mine.stdout.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^configmaps\s+\[\]\s+\[\]\s+\[get list\]$/));
    expect(lines).toContainEqual(expect.stringMatching(/^roles\.rbac\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]$/));
    expect(lines).toContainEqual(expect.stringMatching(/^\s+\[\/api\/\*\]\s+\[\]\s+\[get\]$/));
    expect(lines.some((l) => l.startsWith('*.*'))).toBe(false);
    const elsewhere = await asJane(['auth', 'can-i', '--list', '-n', 'team-b']);
    expect(elsewhere.stdout).not.toMatch(/^configmaps/m);
  });

  it('aggregates a labelled ClusterRole into view', async () => {
    const widgetViewer = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: widget-viewer
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules:
- {apiGroups: [example.com], resources: [widgets], verbs: [get, list, watch]}
`;
    expect((await s.kubectl(['apply', '-f', '-'], widgetViewer)).code).toBe(0);
    for (const role of ['view', 'edit', 'admin']) {
      await eventually(async () => {
        const rules = JSON.parse((await s.kubectl(['get', 'clusterrole', role, '-o', 'json'])).stdout).rules;
        expect(rules).toContainEqual({ apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get', 'list', 'watch'] });
      });
    }
    const view = JSON.parse((await s.kubectl(['get', 'clusterrole', 'view', '-o', 'json'])).stdout);
    expect(view.rules).toContainEqual({
      apiGroups: [''],
      resources: [
        'configmaps',
        'endpoints',
        'persistentvolumeclaims',
        'persistentvolumeclaims/status',
        'pods',
        'replicationcontrollers',
        'replicationcontrollers/scale',
        'serviceaccounts',
        'services',
        'services/status',
      ],
      verbs: ['get', 'list', 'watch'],
    });
    expect((await s.kubectl(['delete', 'clusterrole', 'widget-viewer'])).code).toBe(0);
    await eventually(async () => {
      const rules = JSON.parse((await s.kubectl(['get', 'clusterrole', 'view', '-o', 'json'])).stdout).rules;
      expect(rules).not.toContainEqual({ apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get', 'list', 'watch'] });
    });
  });

  it('refuses a Role or RoleBinding that grants more than the writer holds', async () => {
    const narrow = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: narrow, namespace: team-a}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get]}
`;
    expect((await asJane(['create', '-f', '-'], narrow)).stdout).toContain('role.rbac.authorization.k8s.io/narrow created');
    const wide = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: wide, namespace: team-a}
rules:
- {apiGroups: [""], resources: [configmaps, secrets], verbs: [get, delete]}
`;
    const refused = await asJane(['create', '-f', '-'], wide);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      'Error from server (Forbidden): error when creating "STDIN": roles.rbac.authorization.k8s.io "wide" is forbidden: user "jane" (groups=["dev" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:[""], Resources:["configmaps"], Verbs:["delete"]}\n' +
        '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete"]}',
    );
    const bindAdmin = await asJane(['create', 'rolebinding', 'grab', '-n', 'team-a', '--clusterrole=admin', '--user=jane']);
    expect(bindAdmin.code).toBe(1);
    // kubectl's generator commands print the server's message after their own prefix.
    expect(bindAdmin.stderr).toContain(
      'error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io "grab" is forbidden: user "jane" (groups=["dev" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:',
    );
    // Binding what one holds is fine.
    expect((await asJane(['create', 'rolebinding', 'share', '-n', 'team-a', '--role=narrow', '--user=joe'])).code).toBe(0);
  });

  it('lets a node read only what the pods bound to it reference (Node authorizer)', async () => {
    const node = (await s.env.addUser({ name: 'system:node:n1', groups: ['system:nodes'] })).kubeconfigPath;
    for (const name of ['mounted', 'unrelated'])
      expect((await s.kubectl(['create', 'secret', 'generic', name, '-n', 'team-b', '--from-literal=k=v'])).code).toBe(0);
    const pod = `apiVersion: v1
kind: Pod
metadata: {name: bound, namespace: team-b}
spec:
  nodeName: n1
  containers: [{name: c, image: busybox}]
  volumes: [{name: s, secret: {secretName: mounted}}]
`;
    expect((await s.kubectl(['create', '-f', '-'], pod)).code).toBe(0);
    expect((await kubectl(node, ['get', 'secret', 'mounted', '-n', 'team-b', '-o', 'name'])).stdout.trim()).toBe('secret/mounted');
    const other = await kubectl(node, ['get', 'secret', 'unrelated', '-n', 'team-b']);
    expect(other.stderr.trim()).toBe(
      'Error from server (Forbidden): secrets "unrelated" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "team-b": no relationship found between node \'n1\' and this object',
    );
    // What the system:node rules give every node.
    expect((await kubectl(node, ['get', 'pods', '-n', 'team-b', '-o', 'name'])).stdout.trim()).toBe('pod/bound');
  });

  it('lets anonymous requests reach only the public endpoints', async () => {
    const anon = new Agent({ connect: { ca: s.env.ca } });
    try {
      for (const p of ['/healthz', '/livez', '/readyz', '/version']) {
        expect((await request(`${s.env.server}${p}`, { dispatcher: anon })).statusCode).toBe(200);
      }
      const api = await request(`${s.env.server}/apis`, { dispatcher: anon });
      expect(api.statusCode).toBe(403);
      expect(((await api.body.json()) as { message: string }).message).toBe('forbidden: User "system:anonymous" cannot get path "/apis"');
      const ns = await request(`${s.env.server}/api/v1/namespaces`, { dispatcher: anon });
      expect(((await ns.body.json()) as { message: string }).message).toBe(
        'namespaces is forbidden: User "system:anonymous" cannot list resource "namespaces" in API group "" at the cluster scope',
      );
    } finally {
      await anon.destroy();
    }
  });

  it('reports what a user exercised and the minimal roles allowing exactly that', async () => {
    const report = s.env.permissionsUsed('jane');
    expect(report.uses).toContainEqual(
      expect.objectContaining({ verb: 'list', resource: 'configmaps', namespace: 'team-b', allowed: false }),
    );
    expect(report.uses).toContainEqual(
      expect.objectContaining({ verb: 'get', resource: 'configmaps', namespace: 'team-a', name: 'settings', allowed: true }),
    );
    const roles = minimalRoles(report, { name: 'jane-min' });
    const teamA = roles.find((r) => r.metadata?.namespace === 'team-a');
    expect(teamA?.rules).toContainEqual({ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] });
    expect(roles.find((r) => r.kind === 'ClusterRole')?.rules).toContainEqual({ apiGroups: [''], resources: ['nodes'], verbs: ['list'] });
    // The same from a running environment: `kapi-env rbac report --user jane` reads it from the server.
    const lines: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => lines.push(String(chunk)) > 0) as typeof process.stdout.write;
    try {
      expect(await runRbacReport({ user: 'jane', stateDir: '/nonexistent', kubeconfig: s.env.kubeconfigPath, name: 'jane-min' })).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    const yaml = lines.join('');
    expect(yaml).toContain('kind: Role\nmetadata:\n  name: jane-min\n  namespace: team-a\n');
    // What it prints is what a real cluster accepts.
    expect((await s.kubectl(['apply', '--dry-run=server', '-f', '-'], yaml)).code).toBe(0);
    const refused = await asJane(['get', '--raw', '/debug/kapi/permissions?user=jane']);
    expect(refused.stderr).toContain('Error from server (Forbidden)');
  });
});

describe('Webhook authorizer', () => {
  let dir: string;
  let hook: Server;
  const reviews: Array<{ apiVersion: string; spec: Record<string, unknown> }> = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kapi-webhook-'));
    const pki = await createServingPki(['127.0.0.1']);
    hook = createServer({ cert: pki.serving.certPem, key: pki.serving.keyPem }, (req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const review = JSON.parse(body);
        reviews.push(review);
        const user = review.spec.user;
        const ra = review.spec.resourceAttributes ?? {};
        const status =
          user === 'hooked' && ra.resource === 'pods' && ra.verb === 'list'
            ? { allowed: true, reason: 'the hook says so' }
            : user === 'blocked'
              ? { allowed: false, denied: true, reason: 'blocked by the hook' }
              : { allowed: false };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ apiVersion: review.apiVersion, kind: 'SubjectAccessReview', status }));
      });
    });
    hook.listen(0, '127.0.0.1');
    await once(hook, 'listening');
    const kubeconfig = buildKubeconfig({
      server: `https://127.0.0.1:${(hook.address() as AddressInfo).port}/authorize`,
      caPem: pki.ca.certPem,
    });
    await writeFile(path.join(dir, 'webhook.kubeconfig'), kubeconfig);
  });
  afterAll(async () => {
    hook?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const s = useEnv('memory', {
    get apiserverArgs() {
      return ['--authorization-mode=Node,RBAC,Webhook', `--authorization-webhook-config-file=${path.join(dir, 'webhook.kubeconfig')}`];
    },
  });

  it('asks the webhook what RBAC does not allow, caching its answers', async () => {
    const hooked = (await s.env.addUser({ name: 'hooked' })).kubeconfigPath;
    const blocked = (await s.env.addUser({ name: 'blocked' })).kubeconfigPath;
    const root = (await s.env.addUser({ name: 'root', groups: ['system:masters'] })).kubeconfigPath;
    const ok = await kubectl(hooked, ['get', 'pods', '-n', 'default']);
    expect(ok.stderr).toBe('No resources found in default namespace.\n');
    const asked = reviews.length;
    expect(reviews.at(-1)).toMatchObject({
      apiVersion: 'authorization.k8s.io/v1',
      spec: {
        user: 'hooked',
        groups: ['system:authenticated'],
        resourceAttributes: { namespace: 'default', verb: 'list', version: 'v1', resource: 'pods' },
      },
    });
    // Allowed answers are cached (5 minutes by default): the hook is not asked again.
    expect((await kubectl(hooked, ['get', 'pods', '-n', 'default'])).code).toBe(0);
    expect(
      reviews.filter((r) => r.spec.user === 'hooked' && (r.spec.resourceAttributes as { resource?: string })?.resource === 'pods').length,
    ).toBe(1);
    expect(reviews.length).toBeGreaterThanOrEqual(asked);
    const refused = await kubectl(hooked, ['get', 'secrets', '-n', 'default']);
    expect(refused.stderr.trim()).toBe(
      'Error from server (Forbidden): secrets is forbidden: User "hooked" cannot list resource "secrets" in API group "" in the namespace "default"',
    );
    // A denial ends the chain; its reason follows kube's message.
    expect((await kubectl(blocked, ['get', 'pods', '-n', 'default'])).stderr.trim()).toBe(
      'Error from server (Forbidden): pods is forbidden: User "blocked" cannot list resource "pods" in API group "" in the namespace "default": blocked by the hook',
    );
    // system:masters is decided before any mode.
    expect((await kubectl(root, ['get', 'pods', '-n', 'default'])).code).toBe(0);
  });
});
