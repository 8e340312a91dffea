// Pods, PodTemplates and ReplicationControllers over the wire on every backend:
// kubectl run/create read back with kube's defaults (envtest's: no service account
// admission, DefaultTolerationSeconds on), kube's columns, field selectors, the
// update rules, logs/exec/port-forward without a kubelet, binding and eviction,
// discovery of the subresources, explain, RC scaling; client-node and the Python
// client do typed Pod round trips.

import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';

/** A Status body's fields. */
interface StatusBody {
  status?: string;
  reason?: string;
  message?: string;
  metadata?: { deletionGracePeriodSeconds?: number };
}

const TWO_CONTAINERS = `apiVersion: v1
kind: Pod
metadata: {name: duo, labels: {app: duo}}
spec:
  containers:
  - {name: a, image: "busybox:1.36", command: [sleep, "3600"], resources: {limits: {cpu: "0.5", memory: 64Mi}}}
  - {name: b, image: "registry.k8s.io/pause", ports: [{name: http, containerPort: 8080}]}
  volumes:
  - {name: cfg, configMap: {name: cfg}}
`;

const RC = `apiVersion: v1
kind: ReplicationController
metadata: {name: nginx}
spec:
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers: [{name: nginx, image: "nginx:1.27"}]
---
apiVersion: v1
kind: PodTemplate
metadata: {name: tpl}
template:
  metadata: {labels: {app: tpl}}
  spec:
    containers: [{name: c, image: busybox}]
`;

let python = false;
try {
  execFileSync('/usr/bin/python3', ['-c', 'import kubernetes'], { stdio: 'ignore' });
  python = true;
} catch {
  console.warn('[kapi-env tests] /usr/bin/python3 has no kubernetes module: the Python pod round trip is skipped');
}

describe.each(BACKENDS)('pods on %s storage', (storage) => {
  const s = useEnv(storage);
  // biome-ignore lint/suspicious/noExplicitAny: assertions walk decoded JSON
  const json = async (args: string[]): Promise<Record<string, any>> => {
    const r = await s.kubectl([...args, '-o', 'json']);
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout);
  };
  const bind = (pod: string, node: string) =>
    s.client.post(`/api/v1/namespaces/default/pods/${pod}/binding`, {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: pod },
      target: { apiVersion: 'v1', kind: 'Node', name: node },
    });

  it('kubectl run and create read back with kube’s defaults', async () => {
    const run = await s.kubectl(['run', 'web', '--image=nginx:1.27']);
    expect([run.stdout, run.stderr]).toEqual(['pod/web created\n', '']);
    const web = await json(['get', 'pod', 'web']);
    expect(web.metadata.labels).toEqual({ run: 'web' });
    expect(web.spec).toEqual({
      containers: [
        {
          name: 'web',
          image: 'nginx:1.27',
          imagePullPolicy: 'IfNotPresent',
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      // The Priority admission plugin's (no class named, no global default).
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      terminationGracePeriodSeconds: 30,
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
    });
    expect(web.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
    const yaml = (await s.kubectl(['get', 'pod', 'web', '-o', 'yaml'])).stdout;
    expect(yaml).toContain('status:\n  phase: Pending\n  qosClass: BestEffort\n');

    const created = await s.kubectl(['create', '-f', '-'], TWO_CONTAINERS);
    expect([created.stdout, created.stderr]).toEqual(['pod/duo created\n', '']);
    const duo = await json(['get', 'pod', 'duo']);
    expect(duo.spec.containers[0]).toMatchObject({
      imagePullPolicy: 'IfNotPresent',
      resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '500m', memory: '64Mi' } },
    });
    expect(duo.spec.containers[1]).toMatchObject({
      imagePullPolicy: 'Always',
      ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    });
    expect(duo.spec.volumes).toEqual([{ name: 'cfg', configMap: { name: 'cfg', defaultMode: 420 } }]);
    expect(duo.status.qosClass).toBe('Burstable');
  });

  it('prints kube’s columns and answers pod field selectors', async () => {
    const r = await s.kubectl(['get', 'pods']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(
      /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nduo\s+0\/2\s+Pending\s+0\s+\d+s\nweb\s+0\/1\s+Pending\s+0\s+\d+s\n$/,
    );
    const wide = await s.kubectl(['get', 'pod', 'web', '-o', 'wide']);
    expect(wide.stdout).toMatch(
      /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\nweb\s+0\/1\s+Pending\s+0\s+\d+s\s+<none>\s+<none>\s+<none>\s+<none>\n$/,
    );
    const pending = await s.kubectl(['get', 'pods', '--field-selector', 'status.phase=Pending', '-o', 'name']);
    expect(pending.stdout).toBe('pod/duo\npod/web\n');
    const running = await s.kubectl(['get', 'pods', '--field-selector', 'status.phase=Running']);
    expect(running.stderr).toBe('No resources found in default namespace.\n');
    const bad = await s.kubectl(['get', 'pods', '--field-selector', 'spec.image=x']);
    expect(bad.stderr).toBe(
      'Error from server (BadRequest): Unable to find "/v1, Resource=pods" that match label selector "", field selector "spec.image=x": field label not supported: spec.image\n',
    );
  });

  it('lets only images, deadlines and toleration additions change', async () => {
    const set = await s.kubectl(['set', 'image', 'pod/web', 'web=nginx:1.28']);
    expect([set.stdout, set.stderr]).toEqual(['pod/web image updated\n', '']);
    const patch = await s.kubectl(['patch', 'pod', 'web', '-p', '{"spec":{"containers":[{"name":"web","ports":[{"containerPort":80}]}]}}']);
    expect(patch.code).not.toBe(0);
    expect(patch.stderr).toMatch(
      /^The Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than `spec\.containers\[\*\]\.image`,`spec\.initContainers\[\*\]\.image`,`spec\.activeDeadlineSeconds`,`spec\.tolerations` \(only additions to existing tolerations\),`spec\.terminationGracePeriodSeconds` \(allow it to be set to 1 if it was previously negative\)\n {2}core\.PodSpec\{\n/,
    );
    const invalid = await s.kubectl(['run', 'Bad', '--image=x']);
    expect(invalid.stderr).toContain('The Pod "Bad" is invalid: metadata.name: Invalid value: "Bad"');
  });

  it('answers logs, exec and port-forward as kube-apiserver does without a kubelet', async () => {
    // No node runs the pod: the log is empty.
    const logs = await s.kubectl(['logs', 'web']);
    expect([logs.code, logs.stdout, logs.stderr]).toEqual([0, '', '']);
    const exec = await s.kubectl(['exec', 'web', '--', 'ls']);
    expect(exec.stderr).toBe('Error from server (BadRequest): pod web does not have a host assigned\n');
    const raw = await s.client.get('/api/v1/namespaces/default/pods/duo/log');
    expect([raw.status, (raw.body as StatusBody).message]).toEqual([
      400,
      'a container name must be specified for pod duo, choose one of: [a b]',
    ]);
    // Scheduled to a node that does not exist.
    const bound = await bind('web', 'node-1');
    expect([bound.status, bound.body]).toEqual([201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }]);
    const again = await bind('web', 'node-2');
    expect([again.status, (again.body as StatusBody).reason, (again.body as StatusBody).message]).toEqual([
      409,
      'Conflict',
      'Operation cannot be fulfilled on pods/binding "web": pod web is already assigned to node "node-1"',
    ]);
    const wide = await s.kubectl(['get', 'pod', 'web', '-o', 'wide', '--no-headers']);
    expect(wide.stdout).toMatch(/^web\s+0\/1\s+Pending\s+0\s+\d+s\s+<none>\s+node-1\s+<none>\s+<none>\n$/);
    const nodeLogs = await s.kubectl(['logs', 'web']);
    expect(nodeLogs.stderr).toBe('Error from server (NotFound): nodes "node-1" not found\n');
    const nodeExec = await s.kubectl(['exec', 'web', '--', 'ls']);
    expect(nodeExec.stderr).toBe('Error from server (NotFound): nodes "node-1" not found\n');
    const pf = await s.kubectl(['port-forward', 'web', '8080:80']);
    expect(pf.stderr).toBe('error: unable to forward port because pod is not running. Current status=Pending\n');
  });

  it('evicts a pending pod, deletes gracefully a scheduled one', async () => {
    const evicted = await s.client.post('/api/v1/namespaces/default/pods/duo/eviction', {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'duo' },
    });
    expect([evicted.status, (evicted.body as StatusBody).status]).toEqual([201, 'Success']);
    expect((await s.client.get('/api/v1/namespaces/default/pods/duo')).status).toBe(404);
    // web is bound: a DELETE only starts its 30s grace period (no kubelet finishes it); 0 deletes.
    const del = await s.client.call('DELETE', '/api/v1/namespaces/default/pods/web');
    expect(del.status).toBe(200);
    expect((del.body as StatusBody).metadata?.deletionGracePeriodSeconds).toBe(30);
    const terminating = await s.kubectl(['get', 'pod', 'web', '--no-headers']);
    expect(terminating.stdout).toMatch(/^web\s+0\/1\s+Terminating\s+0\s+/);
    const forced = await s.kubectl(['delete', 'pod', 'web', '--grace-period=0', '--force']);
    expect(forced.stdout).toBe('pod "web" force deleted\n');
    expect((await s.client.get('/api/v1/namespaces/default/pods/web')).status).toBe(404);
  });

  it('lists the pod subresources in discovery and explains pod fields', async () => {
    const list = (await s.client.get('/api/v1')).body as { resources: Array<Record<string, unknown>> };
    const pods = list.resources.filter((r) => String(r.name).startsWith('pods'));
    expect(pods.map((r) => [r.name, r.kind, (r.verbs as string[]).join(',')])).toEqual([
      ['pods', 'Pod', 'create,delete,deletecollection,get,list,patch,update,watch'],
      ['pods/attach', 'PodAttachOptions', 'create,get'],
      ['pods/binding', 'Binding', 'create'],
      ['pods/ephemeralcontainers', 'Pod', 'get,patch,update'],
      ['pods/eviction', 'Eviction', 'create'],
      ['pods/exec', 'PodExecOptions', 'create,get'],
      ['pods/log', 'Pod', 'get'],
      ['pods/portforward', 'PodPortForwardOptions', 'create,get'],
      ['pods/proxy', 'PodProxyOptions', 'create,delete,get,patch,update'],
      ['pods/status', 'Pod', 'get,patch,update'],
    ]);
    expect(pods.find((r) => r.name === 'pods/eviction')).toMatchObject({ group: 'policy', version: 'v1' });
    expect(pods[0]).toMatchObject({ shortNames: ['po'], categories: ['all'], storageVersionHash: 'xPOwRZ+Yhw8=' });
    const res = await s.kubectl(['api-resources', '--api-group=']);
    expect(res.stdout).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    expect(res.stdout).toMatch(/^replicationcontrollers\s+rc\s+v1\s+true\s+ReplicationController$/m);
    expect(res.stdout).toMatch(/^podtemplates\s+v1\s+true\s+PodTemplate$/m);
    const explain = await s.kubectl(['explain', 'pod.spec.containers']);
    expect(explain.stderr).toBe('');
    expect(explain.stdout).toContain('FIELD: containers <[]Container>');
    expect(explain.stdout).toContain('List of containers belonging to the pod.');
  });

  it('binds the pod a top-level Binding names (POST .../bindings, create only)', async () => {
    expect((await s.kubectl(['run', 'solo', '--image=nginx:1.27'])).stderr).toBe('');
    const binding = (name: string | undefined, node: string) => ({
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: name === undefined ? {} : { name },
      target: { apiVersion: 'v1', kind: 'Node', name: node },
    });
    const post = (body: unknown) => s.client.post('/api/v1/namespaces/default/bindings', body);
    const bound = await post(binding('solo', 'node-3'));
    expect([bound.status, bound.body]).toEqual([201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }]);
    const solo = await json(['get', 'pod', 'solo']);
    expect(solo.spec.nodeName).toBe('node-3');
    expect(solo.status.conditions).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'True' })]);
    // The same semantics as pods/binding: its Conflict wording included.
    const again = await post(binding('solo', 'node-4'));
    expect([again.status, (again.body as StatusBody).message]).toEqual([
      409,
      'Operation cannot be fulfilled on pods/binding "solo": pod solo is already assigned to node "node-3"',
    ]);
    const ghost = await post(binding('ghost', 'node-3'));
    expect([ghost.status, (ghost.body as StatusBody).message]).toEqual([404, 'pods "ghost" not found']);
    const noTarget = await post({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'solo' } });
    expect([noTarget.status, (noTarget.body as StatusBody).message]).toEqual([500, 'target.name: Required value']);
    const unnamed = await post(binding(undefined, 'node-3'));
    expect([unnamed.status, (unnamed.body as StatusBody).message]).toEqual([400, 'Name parameter required.']);
    // Nothing is stored: create is the only verb.
    const list = await s.client.get('/api/v1/namespaces/default/bindings');
    expect([list.status, (list.body as StatusBody).reason]).toEqual([405, 'MethodNotAllowed']);
    const discovery = (await s.client.get('/api/v1')).body as { resources: Array<Record<string, unknown>> };
    expect(discovery.resources.find((r) => r.name === 'bindings')).toEqual({
      name: 'bindings',
      singularName: 'binding',
      namespaced: true,
      kind: 'Binding',
      verbs: ['create'],
    });
    const res = await s.kubectl(['api-resources', '--api-group=']);
    expect(res.stdout).toMatch(/^bindings\s+v1\s+true\s+Binding$/m);
    await s.kubectl(['delete', 'pod', 'solo', '--grace-period=0', '--force']);
  });

  it('creates, scales and prints replication controllers and pod templates', async () => {
    const r = await s.kubectl(['create', '-f', '-'], RC);
    expect([r.stdout, r.stderr]).toEqual(['replicationcontroller/nginx created\npodtemplate/tpl created\n', '']);
    const rc = await json(['get', 'rc', 'nginx']);
    expect(rc.spec).toMatchObject({ replicas: 1, selector: { app: 'nginx' } });
    expect(rc.metadata).toMatchObject({ labels: { app: 'nginx' }, generation: 1 });
    expect(rc.status).toEqual({ replicas: 0 });
    const get = await s.kubectl(['get', 'rc', '-o', 'wide']);
    expect(get.stdout).toMatch(
      /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\nnginx\s+1\s+0\s+0\s+\d+s\s+nginx\s+nginx:1\.27\s+app=nginx\n$/,
    );
    expect((await s.kubectl(['scale', 'rc', 'nginx', '--replicas=3'])).stdout).toBe('replicationcontroller/nginx scaled\n');
    const scale = await s.client.get('/api/v1/namespaces/default/replicationcontrollers/nginx/scale');
    expect(scale.body).toMatchObject({ kind: 'Scale', spec: { replicas: 3 }, status: { replicas: 0, selector: 'app=nginx' } });
    expect((await json(['get', 'rc', 'nginx'])).metadata.generation).toBe(2);
    const tpl = await s.kubectl(['get', 'podtemplates']);
    expect(tpl.stdout).toMatch(/^NAME\s+CONTAINERS\s+IMAGES\s+POD LABELS\ntpl\s+c\s+busybox\s+app=tpl\n$/);
    const all = await s.kubectl(['get', 'all', '-o', 'name']);
    expect(all.stdout.split('\n')).toContain('replicationcontroller/nginx');
    const bad = await s.kubectl(['patch', 'rc', 'nginx', '--type=merge', '-p', '{"spec":{"selector":{"app":"other"}}}']);
    expect(bad.stderr).toBe(
      'The ReplicationController "nginx" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"nginx"}: `selector` does not match template `labels`\n',
    );
  });

  it('client-node: typed create, read, replace and delete of a Pod', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(s.env.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const body: k8s.V1Pod = { metadata: { name: 'typed' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    const created = await core.createNamespacedPod({ namespace: 'default', body });
    expect(created.spec?.containers[0].imagePullPolicy).toBe('Always');
    expect(created.status?.phase).toBe('Pending');
    const read = await core.readNamespacedPod({ name: 'typed', namespace: 'default' });
    read.spec!.containers[0].image = 'nginx:1.28';
    const replaced = await core.replaceNamespacedPod({ name: 'typed', namespace: 'default', body: read });
    expect(replaced.spec?.containers[0].image).toBe('nginx:1.28');
    expect(await core.readNamespacedPodLog({ name: 'typed', namespace: 'default' })).toBe('');
    const deleted = await core.deleteNamespacedPod({ name: 'typed', namespace: 'default' });
    expect(deleted.metadata?.name).toBe('typed');
    await expect(core.readNamespacedPod({ name: 'typed', namespace: 'default' })).rejects.toMatchObject({ code: 404 });
  });

  it.skipIf(!python)('the Python client: typed create, read, replace and delete of a Pod', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        '/usr/bin/python3',
        [path.resolve(__dirname, '../python/pods.py'), s.env.kubeconfigPath],
        { timeout: 60_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    expect(out.split('\n').filter(Boolean)).toEqual([
      'created Always IfNotPresent TCP Pending BestEffort',
      'replaced nginx:1.28',
      'listed py-pod',
      "log ''",
      'deleted Pod py-pod',
      'gone 404',
    ]);
  });
});
