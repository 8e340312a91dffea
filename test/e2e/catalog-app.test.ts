// A realistic multi-kind app (as cdk8s or Helm would render it) driven end to end with kubectl on
// every backend: `kubectl apply` of one YAML, read back with kube-apiserver's defaults, client-side
// three-way re-applies (a sidecar and an env var added, then removed), `set image`, `scale`,
// `rollout restart|pause|resume`, `label`, `annotate`, `explain`, `get all` and the column output.
// Every expectation is kube's: defaults from pkg/apis/*/v1/defaults.go (and the registry strategies),
// columns from pkg/printers/internalversion/printers.go, field docs from k8s.io/api's types.

import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { type SuiteEnv, useEnv } from '../helpers/env.js';

const NS = 'shop';

/** The Deployment's `app` container; `extraEnv` and `sidecar` are what the edited manifests add. */
const deployment = (o: { image: string; extraEnv?: string; sidecar?: boolean }): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${NS}
  labels: {app.kubernetes.io/name: web, app.kubernetes.io/instance: shop}
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: web}
  template:
    metadata:
      labels: {app.kubernetes.io/name: web}
    spec:
      serviceAccountName: web
      containers:
      - name: app
        image: ${o.image}
        ports:
        - {name: http, containerPort: 8080}
        env:
        - {name: LOG_LEVEL, valueFrom: {configMapKeyRef: {name: web-config, key: LOG_LEVEL}}}
        - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: web-secret, key: password}}}
        - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
${o.extraEnv ?? ''}        readinessProbe:
          httpGet: {path: /ready, port: http}
        livenessProbe:
          httpGet: {port: http}
          initialDelaySeconds: 5
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {memory: 256Mi}
        volumeMounts:
        - {name: config, mountPath: /etc/nginx/conf.d}
${
  o.sidecar
    ? `      - name: log-shipper
        image: busybox:1.36
        args: [sh, -c, "tail -F /var/log/app.log"]
`
    : ''
}      volumes:
      - name: config
        configMap: {name: web-config}
`;

const app = (deploy: string): string =>
  [
    `apiVersion: v1
kind: Namespace
metadata:
  name: ${NS}
  labels: {app.kubernetes.io/part-of: shop}`,
    `apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: ${NS}}`,
    `apiVersion: v1
kind: ConfigMap
metadata: {name: web-config, namespace: ${NS}}
data:
  LOG_LEVEL: info
  default.conf: |
    server { listen 8080; }`,
    `apiVersion: v1
kind: Secret
metadata: {name: web-secret, namespace: ${NS}}
data: {password: czNjcmV0}`,
    deploy,
    `apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${NS}}
spec:
  selector: {app.kubernetes.io/name: web}
  ports:
  - {name: http, port: 80, targetPort: http}
  - {name: metrics, port: 9090}`,
    `apiVersion: v1
kind: Service
metadata: {name: db, namespace: ${NS}}
spec:
  clusterIP: None
  selector: {app.kubernetes.io/name: db}
  ports: [{name: pg, port: 5432}]`,
    `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: ${NS}}
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}`,
    `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: web, namespace: ${NS}}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get, list, watch]}`,
    `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: web, namespace: ${NS}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: web}
subjects:
- {kind: ServiceAccount, name: web, namespace: ${NS}}
- {kind: User, name: jane}`,
    `apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: ${NS}}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: migrate, image: "busybox:1.36", command: [sh, -c, "echo migrating"]}`,
    `apiVersion: batch/v1
kind: CronJob
metadata: {name: cleanup, namespace: ${NS}}
spec:
  schedule: "*/15 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - {name: cleanup, image: "busybox:latest", args: [sh, -c, "echo cleanup"]}`,
    `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: ${NS}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
  behavior:
    scaleDown: {stabilizationWindowSeconds: 120}`,
    `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: ${NS}}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app.kubernetes.io/name: web}}`,
    `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: ${NS}}
spec:
  podSelector: {matchLabels: {app.kubernetes.io/name: web}}
  ingress:
  - from: [{podSelector: {}}]
    ports: [{port: 8080}]
  egress:
  - to: [{namespaceSelector: {}}]`,
    `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ${NS}}
spec:
  serviceName: db
  selector: {matchLabels: {app.kubernetes.io/name: db}}
  template:
    metadata: {labels: {app.kubernetes.io/name: db}}
    spec:
      containers:
      - name: postgres
        image: postgres
        ports: [{name: pg, containerPort: 5432}]
        volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}`,
    `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: log-agent, namespace: ${NS}}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: log-agent}}
  template:
    metadata: {labels: {app.kubernetes.io/name: log-agent}}
    spec:
      tolerations: [{operator: Exists}]
      containers:
      - name: agent
        image: fluent/fluent-bit:3.1
        volumeMounts: [{name: varlog, mountPath: /var/log, readOnly: true}]
      volumes:
      - {name: varlog, hostPath: {path: /var/log}}`,
    `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: uploads, namespace: ${NS}}
spec:
  accessModes: [ReadWriteMany]
  storageClassName: standard
  resources: {requests: {storage: 5Gi}}`,
  ].join('\n---\n');

const V1 = app(deployment({ image: 'nginx:1.25' }));
const WITH_SIDECAR = app(deployment({ image: 'nginx:1.25', extraEnv: '        - {name: FEATURE_X, value: "on"}\n', sidecar: true }));
const V2 = app(deployment({ image: 'nginx:1.26' }));

/** Every object of the app, as `kubectl apply` names them, in file order. */
const OBJECTS = [
  'namespace/shop',
  'serviceaccount/web',
  'configmap/web-config',
  'secret/web-secret',
  'deployment.apps/web',
  'service/web',
  'service/db',
  'ingress.networking.k8s.io/web',
  'role.rbac.authorization.k8s.io/web',
  'rolebinding.rbac.authorization.k8s.io/web',
  'job.batch/migrate',
  'cronjob.batch/cleanup',
  'horizontalpodautoscaler.autoscaling/web',
  'poddisruptionbudget.policy/web',
  'networkpolicy.networking.k8s.io/web',
  'statefulset.apps/db',
  'daemonset.apps/log-agent',
  'persistentvolumeclaim/uploads',
];

/**
 * Objects every client-side re-apply patches although the manifest did not change, on kube as here:
 * kubectl's three-way patch replaces a whole list without a patch strategy (atomic) or a field with
 * `patchStrategy: replace` whenever the stored value differs from the manifest's, and the stored
 * values carry server defaults the manifest lacks. The patch changes nothing on the server.
 */
const ALWAYS_PATCHED = [
  // subjects (atomic): the User subject's apiGroup is defaulted.
  'rolebinding.rbac.authorization.k8s.io/web',
  // spec.selector has patchStrategy=replace: SMP sends it on every diff.
  'poddisruptionbudget.policy/web',
  // spec.ingress (atomic): its ports' protocol is defaulted.
  'networkpolicy.networking.k8s.io/web',
  // spec.volumeClaimTemplates (atomic): apiVersion, kind, volumeMode and status are defaulted.
  'statefulset.apps/db',
];

/** What a re-apply prints: `configured` for the changed objects and the always-patched ones. */
const reapplied = (changed: string[]): string[] =>
  OBJECTS.map((o) => `${o} ${changed.includes(o) || ALWAYS_PATCHED.includes(o) ? 'configured' : 'unchanged'}`);

/** Default probe timings (SetDefaults_Probe). */
const PROBE = { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 };
/** SetDefaults_PodSpec: what every pod template gets. */
const POD_SPEC = {
  dnsPolicy: 'ClusterFirst',
  restartPolicy: 'Always',
  schedulerName: 'default-scheduler',
  securityContext: {},
  terminationGracePeriodSeconds: 30,
};
/** SetDefaults_Container, for an image with a tag other than latest. */
const CONTAINER = {
  imagePullPolicy: 'IfNotPresent',
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
};

/** kubectl's table output split into blocks (one per kind), each cell read at its header's column. */
interface Block {
  header: string[];
  rows: Map<string, Record<string, string>>;
}
function parseTables(out: string): Block[] {
  return out
    .trimEnd()
    .split(/\n\s*\n/)
    .map((text) => {
      const [head, ...lines] = text.split('\n');
      const cols = [...head.matchAll(/\S+(?: \S+)*/g)].map((m) => ({ name: m[0], at: m.index }));
      const rows = new Map<string, Record<string, string>>();
      for (const line of lines) {
        const row: Record<string, string> = {};
        cols.forEach((c, i) => {
          row[c.name] = line.slice(c.at, i + 1 < cols.length ? cols[i + 1].at : undefined).trim();
        });
        rows.set(row.NAME, row);
      }
      return { header: cols.map((c) => c.name), rows };
    });
}

/** kube's HumanDuration: 5s, 2m5s, 10m... */
const AGE = /^\d+[smh]/;

describe.each(BACKENDS)('a multi-kind app driven by kubectl on %s storage', (storage) => {
  const s: SuiteEnv = useEnv(storage);
  // biome-ignore lint/suspicious/noExplicitAny: assertions walk decoded JSON
  const get = async (kind: string, name: string): Promise<Record<string, any>> => {
    const r = await s.kubectl(['get', kind, name, '-n', NS, '-o', 'json']);
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout);
  };
  const run = async (args: string[], input?: string): Promise<string> => {
    const r = await s.kubectl(args, input);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };
  const apply = async (yaml: string): Promise<string[]> => (await run(['apply', '-f', '-'], yaml)).trim().split('\n');

  it('applies every object of the app from one YAML', async () => {
    expect(await apply(V1)).toEqual(OBJECTS.map((o) => `${o} created`));
  });

  it('reads the Deployment back with kube-apiserver’s defaults', async () => {
    const d = await get('deployment', 'web');
    expect(d.metadata.generation).toBe(1);
    expect(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('"image":"nginx:1.25"');
    const { template, ...spec } = d.spec;
    expect(spec).toEqual({
      replicas: 1,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    });
    expect(template.metadata).toEqual({ creationTimestamp: null, labels: { 'app.kubernetes.io/name': 'web' } });
    const { containers, ...podSpec } = template.spec;
    expect(containers).toEqual([
      {
        name: 'app',
        image: 'nginx:1.25',
        ...CONTAINER,
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        env: [
          { name: 'LOG_LEVEL', valueFrom: { configMapKeyRef: { name: 'web-config', key: 'LOG_LEVEL' } } },
          { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'web-secret', key: 'password' } } },
          { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
        ],
        readinessProbe: { httpGet: { path: '/ready', port: 'http', scheme: 'HTTP' }, ...PROBE },
        livenessProbe: { httpGet: { path: '/', port: 'http', scheme: 'HTTP' }, initialDelaySeconds: 5, ...PROBE },
        // Requests are defaulted from limits only on Pods (SetDefaults_Pod), never in templates.
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        volumeMounts: [{ name: 'config', mountPath: '/etc/nginx/conf.d' }],
      },
    ]);
    expect(d.status).toEqual({});
    // Pod templates get SetDefaults_PodSpec only (enableServiceLinks is SetDefaults_Pod's); the v1
    // conversion mirrors serviceAccountName into the deprecated serviceAccount.
    expect(podSpec).toEqual({
      ...POD_SPEC,
      serviceAccountName: 'web',
      serviceAccount: 'web',
      volumes: [{ name: 'config', configMap: { name: 'web-config', defaultMode: 420 } }],
    });
  });

  it('reads the Services, Ingress, PVC, Secret, Namespace and RBAC objects back defaulted', async () => {
    const web = await get('service', 'web');
    const ip: string = web.spec.clusterIP;
    expect(ip).toMatch(/^10\.0\.0\.\d+$/);
    // 10.0.0.1 is the `kubernetes` Service's.
    expect(ip).not.toBe('10.0.0.1');
    expect(web.spec).toEqual({
      clusterIP: ip,
      clusterIPs: [ip],
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [
        { name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' },
        { name: 'metrics', port: 9090, protocol: 'TCP', targetPort: 9090 },
      ],
      selector: { 'app.kubernetes.io/name': 'web' },
      sessionAffinity: 'None',
      type: 'ClusterIP',
    });
    expect(web.status).toEqual({ loadBalancer: {} });
    expect((await get('service', 'db')).spec).toEqual({
      clusterIP: 'None',
      clusterIPs: ['None'],
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ name: 'pg', port: 5432, protocol: 'TCP', targetPort: 5432 }],
      selector: { 'app.kubernetes.io/name': 'db' },
      sessionAffinity: 'None',
      type: 'ClusterIP',
    });

    const ing = await get('ingress', 'web');
    expect(ing.spec.rules[0].http.paths[0]).toEqual({
      path: '/',
      pathType: 'Prefix',
      backend: { service: { name: 'web', port: { name: 'http' } } },
    });
    expect(ing.status).toEqual({ loadBalancer: {} });

    const pvc = await get('pvc', 'uploads');
    expect(pvc.spec).toEqual({
      accessModes: ['ReadWriteMany'],
      resources: { requests: { storage: '5Gi' } },
      storageClassName: 'standard',
      volumeMode: 'Filesystem',
    });
    expect(pvc.status).toEqual({ phase: 'Pending' });

    expect((await get('secret', 'web-secret')).type).toBe('Opaque');
    const ns = await run(['get', 'namespace', NS, '-o', 'json']);
    expect(JSON.parse(ns)).toMatchObject({
      metadata: { labels: { 'app.kubernetes.io/part-of': 'shop', 'kubernetes.io/metadata.name': NS } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
    // SetDefaults_Subject: User and Group subjects get the rbac apiGroup, ServiceAccounts "".
    expect((await get('rolebinding', 'web')).subjects).toEqual([
      { kind: 'ServiceAccount', name: 'web', namespace: NS },
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'jane' },
    ]);
  });

  it('reads the Job, CronJob, HPA, PDB and NetworkPolicy back defaulted', async () => {
    const job = await get('job', 'migrate');
    const uid: string = job.metadata.uid;
    const jobLabels = {
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': 'migrate',
      'controller-uid': uid,
      'job-name': 'migrate',
    };
    expect(job.spec).toMatchObject({
      backoffLimit: 6,
      completions: 1,
      parallelism: 1,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      // The strategy reads manualSelector as false when unset (v1 conversion); it is stored so.
      manualSelector: false,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
    });
    expect(job.spec.template.metadata).toEqual({ creationTimestamp: null, labels: jobLabels });
    expect(job.spec.template.spec).toMatchObject({ ...POD_SPEC, restartPolicy: 'Never' });
    expect(job.spec.template.spec.containers[0]).toMatchObject(CONTAINER);
    // SetDefaults_Job copies the template's labels to a Job without labels when it is read from
    // storage, where the template already carries the generated ones.
    expect(job.metadata.labels).toEqual(jobLabels);
    expect(job.status).toEqual({});

    const cj = await get('cronjob', 'cleanup');
    expect(cj.spec).toMatchObject({
      schedule: '*/15 * * * *',
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
    // Job defaults are SetDefaults_Job's (a Job object), not the jobTemplate's; the pod template is defaulted.
    expect(cj.spec.jobTemplate.metadata).toEqual({ creationTimestamp: null });
    expect(cj.spec.jobTemplate.spec.backoffLimit).toBeUndefined();
    expect(cj.spec.jobTemplate.spec.template.spec).toMatchObject({ ...POD_SPEC, restartPolicy: 'OnFailure' });
    // busybox:latest pulls Always.
    expect(cj.spec.jobTemplate.spec.template.spec.containers[0].imagePullPolicy).toBe('Always');
    expect(cj.status).toEqual({});

    // The behavior given is completed with the default scale-up and scale-down rules.
    const hpa = await get('hpa', 'web');
    expect(hpa.spec.behavior).toEqual({
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: 'Max',
        policies: [
          { type: 'Pods', value: 4, periodSeconds: 15 },
          { type: 'Percent', value: 100, periodSeconds: 15 },
        ],
      },
      scaleDown: { stabilizationWindowSeconds: 120, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    });
    expect(hpa.status).toEqual({ currentMetrics: null, desiredReplicas: 0 });

    const pdb = await get('pdb', 'web');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'web' } } });
    expect(pdb.status).toEqual({ currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 });

    // Egress rules make the policy types Ingress and Egress; ports default to TCP.
    expect((await get('netpol', 'web')).spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'web' } },
      ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 8080, protocol: 'TCP' }] }],
      egress: [{ to: [{ namespaceSelector: {} }] }],
      policyTypes: ['Ingress', 'Egress'],
    });
  });

  it('reads the StatefulSet and DaemonSet back defaulted', async () => {
    const sts = await get('statefulset', 'db');
    expect(sts.spec).toMatchObject({
      replicas: 1,
      revisionHistoryLimit: 10,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    // An image without a tag pulls Always.
    expect(sts.spec.template.spec.containers[0]).toMatchObject({ ...CONTAINER, imagePullPolicy: 'Always' });
    expect(sts.spec.template.spec.containers[0].ports).toEqual([{ name: 'pg', containerPort: 5432, protocol: 'TCP' }]);
    expect(sts.spec.volumeClaimTemplates).toEqual([
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { creationTimestamp: null, name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' },
        status: { phase: 'Pending' },
      },
    ]);
    expect(sts.status).toEqual({ availableReplicas: 0, replicas: 0 });

    const ds = await get('daemonset', 'log-agent');
    expect(ds.spec).toMatchObject({
      revisionHistoryLimit: 10,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
    });
    expect(ds.spec.template.spec).toMatchObject({ ...POD_SPEC, tolerations: [{ operator: 'Exists' }] });
    // SetDefaults_HostPathVolumeSource: type "" (HostPathUnset).
    expect(ds.spec.template.spec.volumes).toEqual([{ name: 'varlog', hostPath: { path: '/var/log', type: '' } }]);
    expect(ds.status).toEqual({ currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 });
  });

  it('re-applies edited manifests as three-way strategic merges and is idempotent', async () => {
    // Add a sidecar and an env var.
    expect(await apply(WITH_SIDECAR)).toEqual(reapplied(['deployment.apps/web']));
    let d = await get('deployment', 'web');
    expect(d.metadata.generation).toBe(2);
    let containers = d.spec.template.spec.containers;
    expect(containers.map((c: { name: string }) => c.name)).toEqual(['app', 'log-shipper']);
    expect(containers[0].env.map((e: { name: string }) => e.name)).toEqual(['LOG_LEVEL', 'DB_PASSWORD', 'POD_NAME', 'FEATURE_X']);
    expect(containers[0].env[3]).toEqual({ name: 'FEATURE_X', value: 'on' });
    expect(containers[1]).toEqual({
      name: 'log-shipper',
      image: 'busybox:1.36',
      args: ['sh', '-c', 'tail -F /var/log/app.log'],
      resources: {},
      ...CONTAINER,
    });

    // Remove them again and change the image.
    expect(await apply(V2)).toEqual(reapplied(['deployment.apps/web']));
    d = await get('deployment', 'web');
    expect(d.metadata.generation).toBe(3);
    containers = d.spec.template.spec.containers;
    expect(containers).toHaveLength(1);
    expect(containers[0].image).toBe('nginx:1.26');
    expect(containers[0].env.map((e: { name: string }) => e.name)).toEqual(['LOG_LEVEL', 'DB_PASSWORD', 'POD_NAME']);
    // The server's defaults, which no manifest carries, are still there.
    expect(containers[0]).toMatchObject({ ...CONTAINER, readinessProbe: PROBE });
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    expect(d.spec.template.spec).toMatchObject(POD_SPEC);

    // The same file again changes nothing: `unchanged`, and the always-patched objects are not
    // written (same resourceVersion and generation).
    const before = await Promise.all(ALWAYS_PATCHED.map((o) => get(o.split('/')[0], o.split('/')[1])));
    expect(await apply(V2)).toEqual(reapplied([]));
    expect((await get('deployment', 'web')).metadata.generation).toBe(3);
    const after = await Promise.all(ALWAYS_PATCHED.map((o) => get(o.split('/')[0], o.split('/')[1])));
    expect(after.map((o) => [o.metadata.resourceVersion, o.metadata.generation])).toEqual(
      before.map((o) => [o.metadata.resourceVersion, o.metadata.generation]),
    );
  });

  it('set image, scale, rollout restart|pause|resume, label and annotate', async () => {
    expect(await run(['set', 'image', 'deployment/web', 'app=nginx:1.27', '-n', NS])).toBe('deployment.apps/web image updated\n');
    let d = await get('deployment', 'web');
    expect(d.spec.template.spec.containers[0].image).toBe('nginx:1.27');
    expect(d.metadata.generation).toBe(4);

    expect(await run(['scale', 'deployment', 'web', '--replicas=3', '-n', NS])).toBe('deployment.apps/web scaled\n');
    d = await get('deployment', 'web');
    expect([d.spec.replicas, d.metadata.generation]).toEqual([3, 5]);
    expect(await run(['scale', 'statefulset', 'db', '--replicas=2', '-n', NS])).toBe('statefulset.apps/db scaled\n');
    const sts = await get('statefulset', 'db');
    expect([sts.spec.replicas, sts.metadata.generation]).toEqual([2, 2]);

    // restartedAt has second precision.
    const before = Date.now() - 1000;
    expect(await run(['rollout', 'restart', 'deployment/web', '-n', NS])).toBe('deployment.apps/web restarted\n');
    d = await get('deployment', 'web');
    const restartedAt: string = d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'];
    expect(Date.parse(restartedAt)).toBeGreaterThanOrEqual(before);
    expect(d.metadata.generation).toBe(6);

    expect(await run(['rollout', 'pause', 'deployment/web', '-n', NS])).toBe('deployment.apps/web paused\n');
    d = await get('deployment', 'web');
    expect([d.spec.paused, d.metadata.generation]).toEqual([true, 7]);
    expect(await run(['rollout', 'resume', 'deployment/web', '-n', NS])).toBe('deployment.apps/web resumed\n');
    d = await get('deployment', 'web');
    // paused: false is omitted (omitempty).
    expect([d.spec.paused, d.metadata.generation]).toEqual([undefined, 8]);

    // A label leaves the generation alone; an annotation bumps a Deployment's (its strategy counts
    // annotation changes, since they are copied to the ReplicaSets).
    expect(await run(['label', 'deployment', 'web', 'tier=frontend', '-n', NS])).toBe('deployment.apps/web labeled\n');
    d = await get('deployment', 'web');
    expect(d.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'shop', tier: 'frontend' });
    expect(d.metadata.generation).toBe(8);
    expect(await run(['annotate', 'deployment', 'web', 'owner=team-shop', '-n', NS])).toBe('deployment.apps/web annotated\n');
    d = await get('deployment', 'web');
    expect(d.metadata.annotations.owner).toBe('team-shop');
    expect(d.metadata.generation).toBe(9);
    expect(d.spec.template.spec.containers[0].image).toBe('nginx:1.27');

    // set resources and set env: strategic merge patches of the container, merged by name.
    expect(
      await run(['set', 'resources', 'deployment/web', '-c', 'app', '--limits=cpu=500m,memory=256Mi', '--requests=cpu=250m', '-n', NS]),
    ).toBe('deployment.apps/web resource requirements updated\n');
    d = await get('deployment', 'web');
    expect(d.spec.template.spec.containers[0].resources.limits).toEqual({ cpu: '500m', memory: '256Mi' });
    expect(d.spec.template.spec.containers[0].resources.requests.cpu).toBe('250m');
    expect(d.metadata.generation).toBe(10);
    expect(await run(['set', 'env', 'deployment/web', '-c', 'app', 'FEATURE_X=on', '-n', NS])).toBe('deployment.apps/web env updated\n');
    d = await get('deployment', 'web');
    const env = d.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>;
    expect(env.find((e) => e.name === 'FEATURE_X')).toEqual({ name: 'FEATURE_X', value: 'on' });
    expect(env.length).toBeGreaterThan(1);
    expect(d.metadata.generation).toBe(11);
  });

  const words = (text: string) => text.replace(/\s+/g, ' ');

  it('explains deployment.spec.strategy with the Kubernetes API docs', async () => {
    const out = await run(['explain', 'deployment.spec.strategy']);
    expect(out).toContain('GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n');
    expect(out).toContain('FIELD: strategy <DeploymentStrategy>');
    expect(out).toMatch(/\n {2}rollingUpdate\t<RollingUpdateDeployment>\n/);
    // kube's text: the field's own description (k8s.io/api's swagger docs), then its type's.
    expect(words(out)).toContain(
      'DESCRIPTION: The deployment strategy to use to replace existing pods with new ones. DeploymentStrategy describes how to replace existing pods with new ones. FIELDS:',
    );
    expect(words(out)).toContain(
      'rollingUpdate <RollingUpdateDeployment> Rolling update config params. Present only if DeploymentStrategyType = RollingUpdate.',
    );
    // The `+enum` type: its values listed, and kube-openapi's "Possible enum values" paragraph.
    expect(words(out)).toContain(
      'type <string> enum: Recreate, RollingUpdate Type of deployment. Can be "Recreate" or "RollingUpdate". Default is RollingUpdate. Possible enum values: - `"Recreate"` Kill all existing pods before creating new ones.',
    );
  });

  it('explains an enum field with its values (ENUM)', async () => {
    const out = await run(['explain', 'deployment.spec.strategy.type']);
    expect(out).toContain('FIELD: type <string>\nENUM:\n    Recreate\n    RollingUpdate\n');
    expect(words(out)).toContain(
      '- `"RollingUpdate"` Replace the old ReplicaSets by new one using rolling update i.e gradually scale down the old ReplicaSets and scale up the new one.',
    );
  });

  it('explains pod.spec.containers.image with the Kubernetes API docs', async () => {
    const out = await run(['explain', 'pod.spec.containers.image']);
    expect(out).toContain('KIND:       Pod\nVERSION:    v1\n');
    expect(out).toContain('FIELD: image <string>');
    expect(words(out)).toContain(
      'Container image name. More info: https://kubernetes.io/docs/concepts/containers/images This field is optional to allow higher level config management to default or override container images in workload controllers like Deployments and StatefulSets.',
    );
  });

  it('lists the app with `kubectl get all` as kube prints it', async () => {
    const out = await run(['get', 'all', '-n', NS]);
    const blocks = parseTables(out);
    // The `all` category in discovery order (core, apps, autoscaling, batch); kinds with no objects
    // (pods, replicationcontrollers, replicasets: no controllers run) print nothing.
    expect(blocks.map((b) => b.header)).toEqual([
      ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
      ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'],
      ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
      ['NAME', 'READY', 'AGE'],
      ['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE'],
      ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE'],
      ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE'],
    ]);
    expect(blocks.map((b) => [...b.rows.keys()])).toEqual([
      ['service/db', 'service/web'],
      ['daemonset.apps/log-agent'],
      ['deployment.apps/web'],
      ['statefulset.apps/db'],
      ['horizontalpodautoscaler.autoscaling/web'],
      ['cronjob.batch/cleanup'],
      ['job.batch/migrate'],
    ]);
    expect(out).not.toMatch(/^(pod|replicaset\.apps|replicationcontroller)\//m);
    expect(blocks[0].rows.get('service/db')).toMatchObject({ TYPE: 'ClusterIP', 'CLUSTER-IP': 'None', 'PORT(S)': '5432/TCP' });
    expect(blocks[2].rows.get('deployment.apps/web')).toMatchObject({ READY: '0/3', 'UP-TO-DATE': '0', AVAILABLE: '0' });
    expect(blocks[3].rows.get('statefulset.apps/db')).toMatchObject({ READY: '0/2' });
  });

  it('prints kube’s columns for every kind', async () => {
    const webIP: string = (await get('service', 'web')).spec.clusterIP;
    const kinds = 'deploy,svc,ing,job,cj,hpa,pdb,netpol,sts,ds,pvc,role,rolebinding,sa,cm,secret';
    const blocks = parseTables(await run(['get', kinds, '-n', NS]));
    const expected: Array<[string[], string, Record<string, unknown>]> = [
      [['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'], 'deployment.apps/web', { READY: '0/3', 'UP-TO-DATE': '0', AVAILABLE: '0' }],
      [
        ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
        'service/web',
        { TYPE: 'ClusterIP', 'CLUSTER-IP': webIP, 'EXTERNAL-IP': '<none>', 'PORT(S)': '80/TCP,9090/TCP' },
      ],
      [
        ['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE'],
        'ingress.networking.k8s.io/web',
        { CLASS: '<none>', HOSTS: 'shop.example.com', ADDRESS: '', PORTS: '80' },
      ],
      [['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE'], 'job.batch/migrate', { STATUS: 'Running', COMPLETIONS: '0/1', DURATION: '' }],
      [
        ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE'],
        'cronjob.batch/cleanup',
        { SCHEDULE: '*/15 * * * *', TIMEZONE: '<none>', SUSPEND: 'False', ACTIVE: '0', 'LAST SCHEDULE': '<none>' },
      ],
      [
        ['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE'],
        'horizontalpodautoscaler.autoscaling/web',
        { REFERENCE: 'Deployment/web', TARGETS: 'cpu: <unknown>/70%', MINPODS: '2', MAXPODS: '10', REPLICAS: '0' },
      ],
      [
        ['NAME', 'MIN AVAILABLE', 'MAX UNAVAILABLE', 'ALLOWED DISRUPTIONS', 'AGE'],
        'poddisruptionbudget.policy/web',
        { 'MIN AVAILABLE': 'N/A', 'MAX UNAVAILABLE': '1', 'ALLOWED DISRUPTIONS': '0' },
      ],
      [['NAME', 'POD-SELECTOR', 'AGE'], 'networkpolicy.networking.k8s.io/web', { 'POD-SELECTOR': 'app.kubernetes.io/name=web' }],
      [['NAME', 'READY', 'AGE'], 'statefulset.apps/db', { READY: '0/2' }],
      [
        ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'],
        'daemonset.apps/log-agent',
        { DESIRED: '0', CURRENT: '0', READY: '0', 'UP-TO-DATE': '0', AVAILABLE: '0', 'NODE SELECTOR': '<none>' },
      ],
      [
        ['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE'],
        'persistentvolumeclaim/uploads',
        { STATUS: 'Pending', VOLUME: '', CAPACITY: '', 'ACCESS MODES': '', STORAGECLASS: 'standard', VOLUMEATTRIBUTESCLASS: '<unset>' },
      ],
      // Roles have no printer: the default table convertor's Name and Created At (a date).
      [
        ['NAME', 'CREATED AT'],
        'role.rbac.authorization.k8s.io/web',
        { 'CREATED AT': expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) },
      ],
      [['NAME', 'ROLE', 'AGE'], 'rolebinding.rbac.authorization.k8s.io/web', { ROLE: 'Role/web' }],
      [['NAME', 'SECRETS', 'AGE'], 'serviceaccount/web', { SECRETS: '0' }],
      [['NAME', 'DATA', 'AGE'], 'configmap/web-config', { DATA: '2' }],
      [['NAME', 'TYPE', 'DATA', 'AGE'], 'secret/web-secret', { TYPE: 'Opaque', DATA: '1' }],
    ];
    expect(blocks.map((b) => b.header)).toEqual(expected.map(([header]) => header));
    expected.forEach(([header, name, cells], i) => {
      const row = blocks[i].rows.get(name);
      expect(row, name).toBeDefined();
      expect(row, name).toMatchObject(cells);
      if (header.includes('AGE')) expect(row!.AGE, name).toMatch(AGE);
    });
    // Only the app's objects (and, on a cluster running controllers, their defaults: none here).
    expect(blocks[1].rows.size).toBe(2);
    expect(blocks[1].rows.get('service/db')).toMatchObject({ 'CLUSTER-IP': 'None', 'PORT(S)': '5432/TCP' });
  });
});
