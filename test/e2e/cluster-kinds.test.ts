// The cluster-wide API groups through real clients on every backend: kubectl's
// generators, columns and error wording, the system objects every cluster
// starts with (PriorityClasses, APF configuration, local APIServices), the CSR
// approval subresource, StorageClass defaults, core and events.k8s.io Events
// as one storage; client-node and the Python client on an RBAC Role.

import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { makeCSR } from '../helpers/csr.js';
import { useEnv } from '../helpers/env.js';

let python = false;
try {
  execFileSync('/usr/bin/python3', ['-c', 'import kubernetes'], { stdio: 'ignore' });
  python = true;
} catch {
  // The Python client test is skipped (python.test.ts says why).
}

const csrYaml = (name: string): string => `apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: ${name}
spec:
  request: ${Buffer.from(makeCSR(name)).toString('base64')}
  signerName: kubernetes.io/kube-apiserver-client
  expirationSeconds: 86400
  usages: [client auth]
`;

const coreEvent = `apiVersion: v1
kind: Event
metadata:
  name: from-core
  namespace: default
involvedObject: {kind: Pod, namespace: default, name: web-0}
reason: Started
message: Started container web
type: Normal
source: {component: kubelet, host: node-1}
count: 2
`;

const eventsV1Event = `apiVersion: events.k8s.io/v1
kind: Event
metadata:
  name: from-events
  namespace: default
eventTime: "2025-01-02T03:04:05.000000Z"
reportingController: example.com/operator
reportingInstance: operator-1
action: Reconcile
reason: Synced
regarding: {kind: Deployment, namespace: default, name: web}
note: Reconciled web
type: Normal
`;

describe.each(BACKENDS)('cluster-wide kinds on %s storage', (storage) => {
  const s = useEnv(storage);

  it('creates RBAC objects with kubectl generators and prints them as kube does', async () => {
    expect((await s.kubectl(['create', 'role', 'reader', '--verb=get,list', '--resource=pods'])).stdout).toBe(
      'role.rbac.authorization.k8s.io/reader created\n',
    );
    expect((await s.kubectl(['create', 'clusterrole', 'watcher', '--verb=watch', '--resource=deployments.apps'])).code).toBe(0);
    const rb = await s.kubectl([
      'create',
      'rolebinding',
      'rb',
      '--role=reader',
      '--user=alice',
      '--group=devs',
      '--serviceaccount=default:robot',
    ]);
    expect(rb.stdout).toBe('rolebinding.rbac.authorization.k8s.io/rb created\n');
    expect((await s.kubectl(['create', 'clusterrolebinding', 'crb', '--clusterrole=watcher', '--group=ops'])).code).toBe(0);

    expect((await s.kubectl(['get', 'roles'])).stdout).toMatch(/^NAME\s+CREATED AT\nreader\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/);
    expect((await s.kubectl(['get', 'clusterrole', 'watcher'])).stdout).toMatch(/^NAME\s+CREATED AT\nwatcher\s+\d{4}-/);
    expect((await s.kubectl(['get', 'rolebindings'])).stdout).toMatch(/^NAME\s+ROLE\s+AGE\nrb\s+Role\/reader\s+\d+s\n$/);
    expect((await s.kubectl(['get', 'rolebinding', 'rb', '-o', 'wide'])).stdout).toMatch(
      /^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\nrb\s+Role\/reader\s+\d+s\s+alice\s+devs\s+default\/robot\n$/,
    );
    expect((await s.kubectl(['get', 'clusterrolebinding', 'crb'])).stdout).toMatch(
      /^NAME\s+ROLE\s+AGE\ncrb\s+ClusterRole\/watcher\s+\d+s\n$/,
    );

    const got = JSON.parse((await s.kubectl(['get', 'rolebinding', 'rb', '-o', 'json'])).stdout);
    expect(got.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' });
    expect(got.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' },
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'devs' },
      { kind: 'ServiceAccount', name: 'robot', namespace: 'default' },
    ]);

    const change = await s.kubectl(['patch', 'rolebinding', 'rb', '--type=merge', '-p', '{"roleRef":{"name":"writer"}}']);
    expect(change.code).not.toBe(0);
    expect(change.stderr).toContain(
      'The RoleBinding "rb" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"writer"}: cannot change roleRef',
    );
    expect((await s.kubectl(['explain', 'clusterrolebinding.roleRef'])).stdout).toMatch(/FIELD: roleRef <RoleRef>/);
    expect((await s.kubectl(['create', 'clusterrole', 'agg', '--aggregation-rule=rbac.example.com/aggregate-to-agg=true'])).code).toBe(0);
    const agg = JSON.parse((await s.kubectl(['get', 'clusterrole', 'agg', '-o', 'json'])).stdout);
    expect(agg.aggregationRule).toEqual({ clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate-to-agg': 'true' } }] });
    expect(agg.rules).toBeNull();
    const noVerbs = await s.kubectl(
      ['create', '-f', '-'],
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: bad}\nrules: [{apiGroups: [""], resources: [pods]}]\n',
    );
    expect(noVerbs.stderr).toContain('The Role "bad" is invalid: rules[0].verbs: Required value: verbs must contain at least one value');
  });

  it('starts with the system PriorityClasses, the APF objects and a Local APIService per served group-version', async () => {
    const pc = await s.kubectl(['get', 'pc']);
    expect(pc.stdout).toMatch(
      /^NAME\s+VALUE\s+GLOBAL-DEFAULT\s+AGE\s+PREEMPTIONPOLICY\nsystem-cluster-critical\s+2000000000\s+false\s+\S+\s+PreemptLowerPriority\nsystem-node-critical\s+2000001000\s+false\s+\S+\s+PreemptLowerPriority\n$/,
    );
    const desc = JSON.parse((await s.kubectl(['get', 'pc', 'system-node-critical', '-o', 'json'])).stdout);
    expect(desc.description).toBe('Used for system critical pods that must not be moved from their current node.');
    expect((await s.kubectl(['create', 'priorityclass', 'high', '--value=1000', '--description=for the important ones'])).stdout).toBe(
      'priorityclass.scheduling.k8s.io/high created\n',
    );
    expect((await s.kubectl(['get', 'pc', 'high', '--no-headers'])).stdout).toMatch(
      /^high\s+1000\s+false\s+\d+s\s+PreemptLowerPriority\n$/,
    );
    const reserved = await s.kubectl(['create', 'priorityclass', 'system-mine', '--value=5']);
    expect(reserved.stderr).toContain(
      'error: failed to create priorityclass: PriorityClass.scheduling.k8s.io "system-mine" is invalid: metadata.name: Forbidden: priority class names with \'system-\' prefix are reserved for system use only. error: system-mine is not a known system priority class',
    );
    expect((await s.kubectl(['delete', 'pc', 'high'])).code).toBe(0);

    const versions = (await s.kubectl(['api-versions'])).stdout.trim().split('\n');
    const expected = versions.map((gv) => (gv.includes('/') ? `${gv.split('/')[1]}.${gv.split('/')[0]}` : `${gv}.`)).sort();
    const apiservices = (await s.kubectl(['get', 'apiservices', '--no-headers'])).stdout.trim().split('\n');
    expect(apiservices.map((l) => l.split(/\s+/)[0]).sort()).toEqual(expected);
    for (const line of apiservices) expect(line).toMatch(/^\S+\s+Local\s+True\s+\d+s$/);
    const core = JSON.parse((await s.kubectl(['get', 'apiservice', 'v1.', '-o', 'json'])).stdout);
    expect(core.spec).toEqual({ version: 'v1', groupPriorityMinimum: 18000, versionPriority: 1 });
    const apps = JSON.parse((await s.kubectl(['get', 'apiservice', 'v1.apps', '-o', 'json'])).stdout);
    expect(apps.metadata.labels).toEqual({ 'kube-aggregator.kubernetes.io/automanaged': 'onstart' });
    expect(apps.spec).toEqual({ group: 'apps', version: 'v1', groupPriorityMinimum: 17800, versionPriority: 15 });

    const apf = (await s.kubectl(['get', 'flowschemas,prioritylevelconfigurations'])).stdout;
    expect(apf).toMatch(/^NAME\s+PRIORITYLEVEL\s+MATCHINGPRECEDENCE\s+DISTINGUISHERMETHOD\s+AGE\s+MISSINGPL\n/);
    expect(apf).toMatch(/^flowschema\.flowcontrol\.apiserver\.k8s\.io\/exempt\s+exempt\s+1\s+<none>\s+\d+s\s+False\n/m);
    expect(apf).toMatch(/^flowschema\.flowcontrol\.apiserver\.k8s\.io\/catch-all\s+catch-all\s+10000\s+ByUser\s+\d+s\s+False\n\n/m);
    expect(apf).toMatch(/^NAME\s+TYPE\s+NOMINALCONCURRENCYSHARES\s+QUEUES\s+HANDSIZE\s+QUEUELENGTHLIMIT\s+AGE\n/m);
    expect(apf).toMatch(
      /^prioritylevelconfiguration\.flowcontrol\.apiserver\.k8s\.io\/workload-low\s+Limited\s+100\s+128\s+6\s+50\s+\d+s$/m,
    );
    const fs = JSON.parse((await s.kubectl(['get', 'flowschema', 'exempt', '-o', 'json'])).stdout);
    expect(fs.metadata.annotations).toEqual({ 'apf.kubernetes.io/autoupdate-spec': 'true' });
    expect(fs.status.conditions).toEqual([
      expect.objectContaining({
        type: 'Dangling',
        status: 'False',
        reason: 'Found',
        message: 'This FlowSchema references the PriorityLevelConfiguration object named "exempt" and it exists',
      }),
    ]);
  });

  it('registers a Local APIService for each CRD version while the CRD is served', async () => {
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
  - {name: v1beta1, served: true, storage: false, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
`;
    expect((await s.kubectl(['create', '-f', '-'], crd)).code).toBe(0);
    expect((await s.kubectl(['wait', '--for=condition=Established', 'crd/gadgets.example.com', '--timeout=20s'])).code).toBe(0);
    let got = '';
    for (let i = 0; i < 50 && !got.includes('v1beta1.example.com'); i++) {
      got = (await s.kubectl(['get', 'apiservices', '--no-headers'])).stdout;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(got).toMatch(/^v1\.example\.com\s+Local\s+True\s+\d+s$/m);
    const obj = JSON.parse((await s.kubectl(['get', 'apiservice', 'v1beta1.example.com', '-o', 'json'])).stdout);
    expect(obj.spec).toEqual({ group: 'example.com', version: 'v1beta1', groupPriorityMinimum: 1000, versionPriority: 100 });
    expect(obj.metadata.labels).toEqual({ 'kube-aggregator.kubernetes.io/automanaged': 'true' });
    expect((await s.kubectl(['delete', 'crd', 'gadgets.example.com'])).code).toBe(0);
    for (let i = 0; i < 50 && got.includes('example.com'); i++) {
      got = (await s.kubectl(['get', 'apiservices', '--no-headers'])).stdout;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(got).not.toContain('example.com');
  });

  it('approves a CertificateSigningRequest through the approval subresource', async () => {
    expect((await s.kubectl(['create', '-f', '-'], csrYaml('req1'))).stdout).toBe(
      'certificatesigningrequest.certificates.k8s.io/req1 created\n',
    );
    expect((await s.kubectl(['get', 'csr', 'req1'])).stdout).toMatch(
      /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION\nreq1\s+\d+s\s+kubernetes\.io\/kube-apiserver-client\s+kapi-env-admin\s+24h\s+Pending\n$/,
    );
    const resources = JSON.parse((await s.kubectl(['get', '--raw', '/apis/certificates.k8s.io/v1'])).stdout).resources;
    expect(resources.map((r: { name: string }) => r.name)).toEqual([
      'certificatesigningrequests',
      'certificatesigningrequests/approval',
      'certificatesigningrequests/status',
    ]);
    expect((await s.kubectl(['certificate', 'approve', 'req1'])).stdout).toBe(
      'certificatesigningrequest.certificates.k8s.io/req1 approved\n',
    );
    expect((await s.kubectl(['get', 'csr', 'req1', '--no-headers'])).stdout).toMatch(
      /^req1\s+\d+s\s+\S+\s+kapi-env-admin\s+24h\s+Approved\n$/,
    );
    const approved = JSON.parse((await s.kubectl(['get', 'csr', 'req1', '-o', 'json'])).stdout);
    expect(approved.status.conditions).toEqual([
      expect.objectContaining({
        type: 'Approved',
        status: 'True',
        reason: 'KubectlApprove',
        message: 'This CSR was approved by kubectl certificate approve.',
      }),
    ]);
    expect(approved.spec.username).toBe('kapi-env-admin');
    expect(approved.spec.groups).toContain('system:masters');
    // Approved and Denied exclude each other, at the server too.
    approved.status.conditions.push({ type: 'Denied', status: 'True', reason: 'Late' });
    const deny = await s.kubectl(
      ['replace', '--raw', '/apis/certificates.k8s.io/v1/certificatesigningrequests/req1/approval', '-f', '-'],
      JSON.stringify(approved),
    );
    expect(deny.code).not.toBe(0);
    expect(deny.stderr).toMatch(
      /status\.conditions\[1\]\.type: Invalid value: \\?"Denied\\?": Approved and Denied conditions are mutually exclusive/,
    );
  });

  it('defaults StorageClasses and marks the default class', async () => {
    const sc =
      'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: standard\n  annotations: {storageclass.kubernetes.io/is-default-class: "true"}\nprovisioner: example.com/hostpath\n';
    expect((await s.kubectl(['create', '-f', '-'], sc)).code).toBe(0);
    expect((await s.kubectl(['get', 'sc'])).stdout).toMatch(
      /^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE\nstandard \(default\)\s+example\.com\/hostpath\s+Delete\s+Immediate\s+false\s+\d+s\n$/,
    );
    const upd = await s.kubectl(['patch', 'sc', 'standard', '--type=merge', '-p', '{"provisioner":"other.io/x"}']);
    expect(upd.stderr).toContain('The StorageClass "standard" is invalid: provisioner: Forbidden: updates to provisioner are forbidden.');
  });

  it('serves the same Events through core/v1 and events.k8s.io/v1, watches included', async () => {
    const watch = s.kubectl(['get', 'events.events.k8s.io', '-w', '-o', 'name', '--request-timeout=4s']);
    const coreWatch = s.kubectl(['get', 'events', '-w', '-o', 'name', '--request-timeout=4s']);
    await new Promise((r) => setTimeout(r, 700));
    expect((await s.kubectl(['create', '-f', '-'], coreEvent)).stdout).toBe('event/from-core created\n');
    expect((await s.kubectl(['create', '-f', '-'], eventsV1Event)).stdout).toBe('event.events.k8s.io/from-events created\n');

    const asNew = JSON.parse((await s.kubectl(['get', 'events.events.k8s.io', 'from-core', '-o', 'json'])).stdout);
    expect(asNew).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      regarding: { kind: 'Pod', namespace: 'default', name: 'web-0' },
      note: 'Started container web',
      reason: 'Started',
      deprecatedSource: { component: 'kubelet', host: 'node-1' },
      deprecatedCount: 2,
    });
    const asCore = JSON.parse((await s.kubectl(['get', 'events.v1.', 'from-events', '-o', 'json'])).stdout);
    expect(asCore).toMatchObject({
      apiVersion: 'v1',
      involvedObject: { kind: 'Deployment', name: 'web' },
      message: 'Reconciled web',
      reportingComponent: 'example.com/operator',
      reportingInstance: 'operator-1',
      eventTime: '2025-01-02T03:04:05.000000Z',
      source: {},
    });
    const selected = await s.kubectl(['get', 'events.events.k8s.io', '--field-selector', 'regarding.kind=Deployment', '-o', 'name']);
    expect(selected.stdout).toBe('event.events.k8s.io/from-events\n');
    const table = (await s.kubectl(['get', 'events.events.k8s.io', '--field-selector', 'regarding.name=web-0'])).stdout;
    expect(table).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n\S+\s+Normal\s+Started\s+pod\/web-0\s+Started container web\n$/);

    const strict = await s.kubectl(
      ['create', '-f', '-'],
      'apiVersion: events.k8s.io/v1\nkind: Event\nmetadata: {name: bad, namespace: default}\nreason: X\nregarding: {kind: Pod, name: p}\n',
    );
    expect(strict.stderr).toContain('The Event "bad" is invalid:');
    expect(strict.stderr).toContain('eventTime: Required value');

    const [newOut, coreOut] = await Promise.all([watch, coreWatch]);
    // Each API's watch saw both writes, in the order they were made.
    expect(newOut.stdout).toBe('event.events.k8s.io/from-core\nevent.events.k8s.io/from-events\n');
    expect(coreOut.stdout).toBe('event/from-core\nevent/from-events\n');
  });

  it('client-node creates, reads, replaces and deletes a Role', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(s.env.kubeconfig);
    const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    const created = await rbac.createNamespacedRole({
      namespace: 'default',
      body: { metadata: { name: 'cn-role' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] },
    });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    const read = await rbac.readNamespacedRole({ name: 'cn-role', namespace: 'default' });
    expect(read.rules).toEqual([{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }]);
    read.rules = [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get', 'list'] }];
    const replaced = await rbac.replaceNamespacedRole({ name: 'cn-role', namespace: 'default', body: read });
    expect(replaced.rules?.[0].resources).toEqual(['configmaps', 'secrets']);
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));
    await rbac.deleteNamespacedRole({ name: 'cn-role', namespace: 'default' });
    await expect(rbac.readNamespacedRole({ name: 'cn-role', namespace: 'default' })).rejects.toMatchObject({ code: 404 });
  });

  it.skipIf(!python)('the Python client creates, reads, replaces and deletes a Role', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        '/usr/bin/python3',
        [path.resolve(__dirname, '../python/rbac.py'), s.env.kubeconfigPath],
        { timeout: 60_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    expect(out.split('\n').filter(Boolean)).toEqual([
      'created py-role',
      "[{'api_groups': [''], 'resources': ['pods'], 'verbs': ['get']}]",
      "replaced ['get', 'list', 'watch']",
      'deleted',
      '404 Not Found',
    ]);
  });
});
