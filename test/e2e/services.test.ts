// Services, endpoints, networking.k8s.io and the core/v1 infrastructure kinds end to end:
// kubectl (tables, defaults, errors), client-node and the Python client, on every backend.

import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { startEnv } from '../../src/env/index.js';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';

const yaml = (...docs: string[]): string => docs.join('\n---\n');

const services = yaml(
  `apiVersion: v1
kind: Service
metadata: {name: np}
spec:
  type: NodePort
  selector: {app: np}
  ports: [{name: http, port: 80, targetPort: 8080}, {name: https, port: 443, nodePort: 30443}]`,
  `apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  selector: {app: lb}
  ports: [{port: 80}]`,
  `apiVersion: v1
kind: Service
metadata: {name: headless}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]`,
  `apiVersion: v1
kind: Service
metadata: {name: ext}
spec:
  type: ExternalName
  externalName: db.example.com`,
);

const networking = yaml(
  `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: k8s.io/ingress-nginx}`,
  `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  tls: [{hosts: [a.example.com], secretName: tls}]
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: np, port: {number: 80}}}}
  - host: b.example.com
    http:
      paths:
      - {path: /api, pathType: Exact, backend: {service: {name: np, port: {name: http}}}}`,
  `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny}
spec:
  podSelector: {matchLabels: {app: np}}
  egress: [{ports: [{port: 53}]}]`,
  `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: standard
  resources: {requests: {storage: 1Gi}}`,
  `apiVersion: v1
kind: Node
metadata:
  name: worker-1
  labels: {node-role.kubernetes.io/worker: ""}
status:
  conditions: [{type: Ready, status: "True"}]
  nodeInfo: {kubeletVersion: v1.32.0, osImage: Ubuntu, kernelVersion: "6.1", containerRuntimeVersion: containerd://1.7}
  addresses: [{type: InternalIP, address: 10.1.2.3}]`,
);

describe.each(BACKENDS)('services and networking with kubectl on %s storage', (storage) => {
  const s = useEnv(storage);

  // biome-ignore lint/suspicious/noExplicitAny: kubectl's JSON, read field by field in the assertions
  const json = async (args: string[]): Promise<Record<string, any>> => {
    const r = await s.kubectl([...args, '-o', 'json']);
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout);
  };

  it('lists the kinds in discovery with the names, short names and subresources kube gives them', async () => {
    const r = await s.kubectl(['api-resources', '--no-headers']);
    for (const line of [
      /^services\s+svc\s+v1\s+true\s+Service$/m,
      /^endpoints\s+ep\s+v1\s+true\s+Endpoints$/m,
      /^nodes\s+no\s+v1\s+false\s+Node$/m,
      /^persistentvolumes\s+pv\s+v1\s+false\s+PersistentVolume$/m,
      /^persistentvolumeclaims\s+pvc\s+v1\s+true\s+PersistentVolumeClaim$/m,
      /^resourcequotas\s+quota\s+v1\s+true\s+ResourceQuota$/m,
      /^limitranges\s+limits\s+v1\s+true\s+LimitRange$/m,
      /^componentstatuses\s+cs\s+v1\s+false\s+ComponentStatus$/m,
      /^endpointslices\s+discovery\.k8s\.io\/v1\s+true\s+EndpointSlice$/m,
      /^ingresses\s+ing\s+networking\.k8s\.io\/v1\s+true\s+Ingress$/m,
      /^ingressclasses\s+networking\.k8s\.io\/v1\s+false\s+IngressClass$/m,
      /^networkpolicies\s+netpol\s+networking\.k8s\.io\/v1\s+true\s+NetworkPolicy$/m,
    ]) {
      expect(r.stdout).toMatch(line);
    }
    const v1 = JSON.parse((await s.kubectl(['get', '--raw', '/api/v1'])).stdout);
    const byName = new Map(v1.resources.map((x: { name: string }) => [x.name, x]));
    expect(byName.get('services/proxy')).toMatchObject({
      kind: 'ServiceProxyOptions',
      verbs: ['create', 'delete', 'get', 'patch', 'update'],
    });
    expect(byName.get('nodes/proxy')).toMatchObject({ kind: 'NodeProxyOptions', namespaced: false });
    expect(byName.get('services/status')).toMatchObject({ kind: 'Service', verbs: ['get', 'patch', 'update'] });
    expect(byName.get('componentstatuses')).toMatchObject({ verbs: ['get', 'list'] });
    expect((await s.kubectl(['get', 'all', '-o', 'name'])).stdout).toContain('service/kubernetes');
  });

  it('serves the kubernetes Service, its Endpoints and EndpointSlice', async () => {
    const svc = await s.kubectl(['get', 'svc', 'kubernetes']);
    expect(svc.stdout).toMatch(
      /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\nkubernetes\s+ClusterIP\s+10\.0\.0\.1\s+<none>\s+443\/TCP\s+\d+s\n$/,
    );
    const port = new URL(s.env.server).port;
    const spec = (await json(['get', 'svc', 'kubernetes'])).spec;
    expect(spec.ports).toEqual([{ name: 'https', port: 443, protocol: 'TCP', targetPort: Number(port) }]);
    const eps = await s.kubectl(['get', 'ep,endpointslices', 'kubernetes']);
    expect(eps.stderr).toBe('');
    expect(eps.stdout).toContain(`endpoints/kubernetes   127.0.0.1:${port}`);
    expect(eps.stdout).toMatch(
      new RegExp(`endpointslice\\.discovery\\.k8s\\.io/kubernetes\\s+IPv4\\s+${port}\\s+127\\.0\\.0\\.1\\s+\\d+s`),
    );
    const slice = await json(['get', 'endpointslice', 'kubernetes']);
    expect(slice.metadata.labels).toEqual({ 'kubernetes.io/service-name': 'kubernetes' });
  });

  it('creates a ClusterIP Service with kubectl create service and reads back the defaults', async () => {
    const r = await s.kubectl(['create', 'service', 'clusterip', 'web', '--tcp=80:8080']);
    expect(r.stdout).toBe('service/web created\n');
    const svc = await json(['get', 'svc', 'web']);
    expect(svc.spec).toMatchObject({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      selector: { app: 'web' },
      ports: [{ name: '80-8080', port: 80, protocol: 'TCP', targetPort: 8080 }],
    });
    expect(svc.spec.clusterIP).toMatch(/^10\.0\.0\.\d+$/);
    expect(svc.spec.clusterIP).not.toBe('10.0.0.1');
    expect(svc.spec.clusterIPs).toEqual([svc.spec.clusterIP]);
    expect(svc.status).toEqual({ loadBalancer: {} });
    const exposed = await s.kubectl(['expose', 'service', 'web', '--name=web2', '--port=81', '--target-port=8081']);
    expect(exposed.stdout).toBe('service/web2 exposed\n');
    expect((await json(['get', 'svc', 'web2'])).spec.selector).toEqual({ app: 'web' });
    // The same IP twice is refused with kube's words.
    const dup = await s.kubectl(['create', 'service', 'clusterip', 'pinned', '--tcp=80', `--clusterip=${svc.spec.clusterIP}`]);
    expect(dup.stderr).toContain(
      `error: failed to create ClusterIP service: Service "pinned" is invalid: spec.clusterIPs: Invalid value: []string{"${svc.spec.clusterIP}"}: failed to allocate IP ${svc.spec.clusterIP}: provided IP is already allocated`,
    );
    // Deleting the Service gives its IP back.
    await s.kubectl(['delete', 'svc', 'web']);
    const again = await s.kubectl(['create', 'service', 'clusterip', 'pinned', '--tcp=80', `--clusterip=${svc.spec.clusterIP}`]);
    expect(again.stdout).toBe('service/pinned created\n');
  });

  it('creates NodePort, LoadBalancer, headless and ExternalName Services and prints their columns', async () => {
    const r = await s.kubectl(['apply', '-f', '-'], services);
    expect(r.stderr).toBe('');
    const np = await json(['get', 'svc', 'np']);
    expect(np.spec.externalTrafficPolicy).toBe('Cluster');
    expect(np.spec.ports[1].nodePort).toBe(30443);
    expect(np.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    const lb = await json(['get', 'svc', 'lb']);
    expect(lb.spec.allocateLoadBalancerNodePorts).toBe(true);
    const headless = await json(['get', 'svc', 'headless']);
    expect(headless.spec.clusterIPs).toEqual(['None']);
    const ext = await json(['get', 'svc', 'ext']);
    expect(ext.spec.clusterIP).toBeUndefined();
    const wide = await s.kubectl(['get', 'svc', 'np', 'lb', 'headless', 'ext', '-o', 'wide']);
    const lines = wide.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR$/);
    expect(lines[1]).toMatch(
      new RegExp(
        `^np\\s+NodePort\\s+${np.spec.clusterIP}\\s+<none>\\s+80:${np.spec.ports[0].nodePort}/TCP,443:30443/TCP\\s+\\d+s\\s+app=np$`,
      ),
    );
    expect(lines[2]).toMatch(/^lb\s+LoadBalancer\s+10\.0\.0\.\d+\s+<pending>\s+80:3\d{4}\/TCP\s+\d+s\s+app=lb$/);
    expect(lines[3]).toMatch(/^headless\s+ClusterIP\s+None\s+<none>\s+5432\/TCP\s+\d+s\s+app=db$/);
    expect(lines[4]).toMatch(/^ext\s+ExternalName\s+<none>\s+db\.example\.com\s+<none>\s+\d+s\s+<none>$/);
    const described = await s.kubectl(['describe', 'svc', 'np']);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/^Type:\s+NodePort$/m);
    expect(described.stdout).toMatch(/^NodePort:\s+https\s+30443\/TCP$/m);
    // Re-applying the same manifest keeps the allocated values.
    expect((await s.kubectl(['apply', '-f', '-'], services)).stdout).toContain('service/np unchanged');
    // clusterIP is immutable; a requested NodePort outside the range is refused.
    const change = await s.kubectl([
      'patch',
      'svc',
      'np',
      '--type=merge',
      '-p',
      '{"spec":{"clusterIP":"10.0.0.250","clusterIPs":["10.0.0.250"]}}',
    ]);
    expect(change.stderr).toContain('spec.clusterIPs[0]: Invalid value: []string{"10.0.0.250"}: may not change once set');
    const outside = await s.kubectl(['create', 'service', 'nodeport', 'np2', '--tcp=80', '--node-port=80']);
    expect(outside.stderr).toContain('provided port is not in the valid range. The range of valid ports is 30000-32767');
  });

  it('answers services/proxy and nodes/proxy as kube-apiserver does without endpoints or kubelets', async () => {
    await s.kubectl(['create', 'service', 'clusterip', 'noeps', '--tcp=80']);
    const missing = await s.kubectl(['get', '--raw', '/api/v1/namespaces/default/services/noeps/proxy/']);
    expect(missing.stderr).toContain('endpoints "noeps" not found');
    await s.kubectl(['create', '-f', '-'], 'apiVersion: v1\nkind: Endpoints\nmetadata: {name: noeps}\n');
    const empty = await s.kubectl(['get', '--raw', '/api/v1/namespaces/default/services/noeps/proxy/']);
    expect(empty.stderr).toContain('Error from server (ServiceUnavailable): no endpoints available for service "noeps"');
    await s.kubectl(['create', '-f', '-'], 'apiVersion: v1\nkind: Node\nmetadata: {name: bare}\n');
    const node = await s.kubectl(['get', '--raw', '/api/v1/nodes/bare/proxy/healthz']);
    expect(node.stderr).toContain('Error from server: no preferred addresses found; known addresses: []');
  });

  it('creates an Ingress, a NetworkPolicy, a PVC and a Node and prints them', async () => {
    const r = await s.kubectl(['apply', '-f', '-'], networking);
    expect(r.stderr).toBe('');
    const ing = await s.kubectl(['get', 'ing', 'web']);
    expect(ing.stdout).toMatch(
      /^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\nweb\s+nginx\s+a\.example\.com,b\.example\.com\s+80, 443\s+\d+s\n$/,
    );
    expect((await json(['get', 'ing', 'web'])).metadata.generation).toBe(1);
    const netpol = await json(['get', 'netpol', 'deny']);
    expect(netpol.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(netpol.spec.egress[0].ports[0].protocol).toBe('TCP');
    expect((await s.kubectl(['get', 'netpol'])).stdout).toMatch(/^NAME\s+POD-SELECTOR\s+AGE\ndeny\s+app=np\s+\d+s\n$/);
    const pvc = await json(['get', 'pvc', 'data']);
    expect(pvc.spec.volumeMode).toBe('Filesystem');
    expect(pvc.status).toEqual({ phase: 'Pending' });
    expect((await s.kubectl(['get', 'pvc', 'data'])).stdout).toMatch(
      /^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE\ndata\s+Pending\s+standard\s+<unset>\s+\d+s\n$/,
    );
    const resize = await s.kubectl(['patch', 'pvc', 'data', '--type=merge', '-p', '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}']);
    expect(resize.stderr).toContain(
      'spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
    );
    const nodes = await s.kubectl(['get', 'nodes', 'worker-1', '-o', 'wide']);
    expect(nodes.stdout).toMatch(
      /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME\nworker-1\s+Ready\s+worker\s+\d+s\s+v1\.32\.0\s+10\.1\.2\.3\s+<none>\s+Ubuntu\s+6\.1\s+containerd:\/\/1\.7\n$/,
    );
    await s.kubectl(['cordon', 'worker-1']);
    const cordoned = await s.kubectl(['get', 'nodes', '--field-selector', 'spec.unschedulable=true', '-o', 'name']);
    expect(cordoned.stdout).toBe('node/worker-1\n');
    // An Ingress path without pathType is refused as kube refuses it.
    const noType = await s.kubectl(
      ['create', '-f', '-'],
      'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: bad}\nspec:\n  rules: [{http: {paths: [{path: /, backend: {service: {name: np, port: {number: 80}}}}]}}]\n',
    );
    expect(noType.stderr).toContain('spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified');
  });

  it('defaults and prints PersistentVolumes, ResourceQuotas and LimitRanges', async () => {
    const r = await s.kubectl(
      ['apply', '-f', '-'],
      yaml(
        `apiVersion: v1
kind: PersistentVolume
metadata: {name: pv1}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce, ReadOnlyMany]
  storageClassName: standard
  hostPath: {path: /data}`,
        `apiVersion: v1
kind: ResourceQuota
metadata: {name: compute}
spec:
  hard: {requests.cpu: "1", limits.memory: 2Gi, pods: "10"}`,
        `apiVersion: v1
kind: LimitRange
metadata: {name: limits}
spec:
  limits: [{type: Container, max: {cpu: "2"}, min: {cpu: 100m}}]`,
      ),
    );
    expect(r.stderr).toBe('');
    const pv = await json(['get', 'pv', 'pv1']);
    expect(pv.spec.persistentVolumeReclaimPolicy).toBe('Retain');
    expect(pv.spec.volumeMode).toBe('Filesystem');
    expect(pv.status.phase).toBe('Pending');
    expect(pv.status.lastPhaseTransitionTime).toMatch(/^\d{4}-/);
    expect((await s.kubectl(['get', 'pv', 'pv1'])).stdout).toMatch(
      /^NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+REASON\s+AGE\npv1\s+5Gi\s+RWO,ROX\s+Retain\s+Pending\s+standard\s+<unset>\s+\d+s\n$/,
    );
    const missing = await s.kubectl(
      ['create', '-f', '-'],
      'apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv2}\nspec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce]}\n',
    );
    expect(missing.stderr).toContain('The PersistentVolume "pv2" is invalid: spec: Required value: must specify a volume type');
    // The quota controller's part, through /status.
    const status = await s.kubectl([
      'patch',
      'quota',
      'compute',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"hard":{"requests.cpu":"1","limits.memory":"2Gi","pods":"10"},"used":{"requests.cpu":"500m","limits.memory":"0","pods":"1"}}}',
    ]);
    expect(status.stderr).toBe('');
    expect((await s.kubectl(['get', 'quota', 'compute'])).stdout).toMatch(
      /^NAME\s+AGE\s+REQUEST\s+LIMIT\ncompute\s+\d+s\s+pods: 1\/10, requests\.cpu: 500m\/1\s+limits\.memory: 0\/2Gi\n$/,
    );
    const lr = await json(['get', 'limits', 'limits']);
    expect(lr.spec.limits[0]).toMatchObject({ default: { cpu: '2' }, defaultRequest: { cpu: '2' } });
    const badLimit = await s.kubectl(
      ['create', '-f', '-'],
      'apiVersion: v1\nkind: LimitRange\nmetadata: {name: bad}\nspec: {limits: [{type: Container, max: {cpu: "1"}, min: {cpu: "2"}}]}\n',
    );
    expect(badLimit.stderr).toContain('spec.limits[0].min[cpu]');
    expect(badLimit.stderr).toContain('min value 2 is greater than max value 1');
  });

  it('lists component statuses with the deprecation warning', async () => {
    const r = await s.kubectl(['get', 'cs']);
    expect(r.stderr).toContain('Warning: v1 ComponentStatus is deprecated in v1.19+');
    expect(r.stdout).toMatch(/^NAME\s+STATUS\s+MESSAGE\s+ERROR\n/);
    expect(r.stdout).toMatch(/^etcd-0\s+Healthy\s+ok\s*$/m);
    expect(r.stdout).toMatch(
      /^scheduler\s+Unhealthy\s+Get "https:\/\/127\.0\.0\.1:10259\/healthz": dial tcp 127\.0\.0\.1:10259: connect: connection refused\s*$/m,
    );
  });
});

describe.each(BACKENDS)('Services with client-node on %s storage', (storage) => {
  const s = useEnv(storage);

  it('creates, reads, replaces and deletes a Service', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(s.env.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const created = await core.createNamespacedService({
      namespace: 'default',
      body: { metadata: { name: 'cn' }, spec: { selector: { app: 'cn' }, ports: [{ port: 80, targetPort: 8080 }] } },
    });
    expect(created.spec?.clusterIP).toMatch(/^10\.0\.0\.\d+$/);
    expect(created.spec?.ports?.[0]).toEqual({ port: 80, protocol: 'TCP', targetPort: 8080 });
    const read = await core.readNamespacedService({ name: 'cn', namespace: 'default' });
    read.spec!.type = 'NodePort';
    const replaced = await core.replaceNamespacedService({ name: 'cn', namespace: 'default', body: read });
    expect(replaced.spec?.clusterIP).toBe(created.spec?.clusterIP);
    expect(replaced.spec?.ports?.[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(replaced.spec?.externalTrafficPolicy).toBe('Cluster');
    await core.deleteNamespacedService({ name: 'cn', namespace: 'default' });
    await expect(core.readNamespacedService({ name: 'cn', namespace: 'default' })).rejects.toMatchObject({ code: 404 });
  });
});

describe.skipIf(!BACKENDS.includes('etcd'))('two servers on one etcd', () => {
  const a = useEnv('etcd');

  it('never allocate the same ClusterIP or NodePort twice', async () => {
    const b = await startEnv({ etcdServers: [a.env.etcdEndpoint!] });
    try {
      const cores = [a.env.kubeconfig, b.kubeconfig].map((cfg) => {
        const kc = new k8s.KubeConfig();
        kc.loadFromString(cfg);
        return kc.makeApiClient(k8s.CoreV1Api);
      });
      const created = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          cores[i % 2].createNamespacedService({
            namespace: 'default',
            body: { metadata: { name: `two-${i}` }, spec: { type: 'NodePort', selector: { app: 'x' }, ports: [{ port: 80 }] } },
          }),
        ),
      );
      const ips = created.map((svc) => svc.spec?.clusterIP);
      expect(new Set(ips).size).toBe(24);
      expect(ips).not.toContain('10.0.0.1');
      const nodePorts = created.map((svc) => svc.spec?.ports?.[0].nodePort);
      expect(new Set(nodePorts).size).toBe(24);
      // One server's delete frees the IP for the other.
      await cores[0].deleteNamespacedService({ name: 'two-1', namespace: 'default' });
      const again = await cores[1].createNamespacedService({
        namespace: 'default',
        body: { metadata: { name: 'two-again' }, spec: { clusterIP: ips[1], ports: [{ port: 80 }] } },
      });
      expect(again.spec?.clusterIP).toBe(ips[1]);
    } finally {
      await b.stop();
    }
  }, 60_000);
});

let python = false;
try {
  execFileSync('/usr/bin/python3', ['-c', 'import kubernetes'], { stdio: 'ignore' });
  python = true;
} catch {
  console.warn('[kapi-env tests] /usr/bin/python3 has no kubernetes module: the Python Service test is skipped');
}

describe.skipIf(!python)('Services with the Python client', () => {
  const s = useEnv('memory');

  it('creates, reads, replaces and deletes a Service', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        '/usr/bin/python3',
        [path.resolve(__dirname, '../python/services.py'), s.env.kubeconfigPath],
        { timeout: 60_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^created 10\.0\.0\.\d+ TCP 8080$/);
    expect(lines[1]).toMatch(/^replaced NodePort 3\d{4} Cluster$/);
    expect(lines.slice(2)).toEqual(['404 Not Found', 'kubernetes 10.0.0.1 443']);
  });
});
