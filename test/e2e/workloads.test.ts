// Workloads over the wire on every backend: kubectl creates apps, batch,
// autoscaling and policy objects from YAML and reads them back defaulted, prints
// kube's columns, scales through the scale subresource, lists `all`, and gets
// kube's immutable-field errors; client-node and the Python client do typed
// Deployment round trips.

import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { useEnv } from '../helpers/env.js';

const APP = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: "nginx:1.27"}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: pg, image: "postgres:17"}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {kubernetes.io/os: linux}
      containers: [{name: agent, image: "busybox:1.36"}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: pi, image: "perl:5.34", command: [perl, "-e", "print 1"]}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: task, image: "busybox:1.36"}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
`;

let python = false;
try {
  execFileSync('/usr/bin/python3', ['-c', 'import kubernetes'], { stdio: 'ignore' });
  python = true;
} catch {
  console.warn('[kapi-env tests] /usr/bin/python3 has no kubernetes module: the Python workload round trip is skipped');
}

describe.each(BACKENDS)('workloads on %s storage', (storage) => {
  const s = useEnv(storage);
  // biome-ignore lint/suspicious/noExplicitAny: assertions walk decoded JSON
  const json = async (args: string[]): Promise<Record<string, any>> => {
    const r = await s.kubectl([...args, '-o', 'json']);
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout);
  };

  it('applies every kind from YAML, re-applies without changes, and reads them back defaulted', async () => {
    const r = await s.kubectl(['apply', '-f', '-'], APP);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual([
      'deployment.apps/web created',
      'statefulset.apps/db created',
      'daemonset.apps/agent created',
      'job.batch/pi created',
      'cronjob.batch/nightly created',
      'horizontalpodautoscaler.autoscaling/web created',
      'poddisruptionbudget.policy/web created',
    ]);
    // The server's defaults make the re-applied objects equal to what is stored: no change, no new generation.
    const again = await s.kubectl(['apply', '-f', '-'], APP);
    expect(again.stderr).toBe('');
    for (const name of [
      'deployment.apps/web',
      'daemonset.apps/agent',
      'job.batch/pi',
      'cronjob.batch/nightly',
      'horizontalpodautoscaler.autoscaling/web',
    ]) {
      expect(again.stdout).toContain(`${name} unchanged`);
    }
    const deploy = await json(['get', 'deploy', 'web']);
    expect(deploy.metadata.generation).toBe(1);
    expect((await json(['get', 'sts', 'db'])).metadata.generation).toBe(1);
    expect(deploy.spec).toMatchObject({
      replicas: 1,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    });
    expect(deploy.spec.template.metadata.creationTimestamp).toBeNull();
    expect(deploy.status).toEqual({});
    const yaml = (await s.kubectl(['get', 'deploy', 'web', '-o', 'yaml'])).stdout;
    expect(yaml).toContain('      maxSurge: 25%\n      maxUnavailable: 25%\n    type: RollingUpdate\n');
    const sts = await json(['get', 'sts', 'db']);
    expect(sts.spec).toMatchObject({
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    expect(sts.spec.volumeClaimTemplates[0]).toMatchObject({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      status: { phase: 'Pending' },
    });
    const ds = await json(['get', 'ds', 'agent']);
    expect(ds.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
    const job = await json(['get', 'job', 'pi']);
    expect(job.spec.selector.matchLabels).toEqual({ 'batch.kubernetes.io/controller-uid': job.metadata.uid });
    expect(job.spec.template.metadata.labels).toMatchObject({ 'job-name': 'pi', 'batch.kubernetes.io/job-name': 'pi' });
    expect(job.spec).toMatchObject({ backoffLimit: 6, completions: 1, parallelism: 1, completionMode: 'NonIndexed', suspend: false });
    const cj = await json(['get', 'cj', 'nightly']);
    expect(cj.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    const pdb = await json(['get', 'pdb', 'web']);
    expect(pdb.status).toEqual({ currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 });
  });

  it('serves the autoscaling/v2 HPA as autoscaling/v1 too', async () => {
    const v2 = await json(['get', 'horizontalpodautoscalers.v2.autoscaling', 'web']);
    expect(v2.apiVersion).toBe('autoscaling/v2');
    expect(v2.spec.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
    ]);
    const v1 = await json(['get', 'horizontalpodautoscalers.v1.autoscaling', 'web']);
    expect(v1.apiVersion).toBe('autoscaling/v1');
    expect(v1.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 2,
      maxReplicas: 10,
      targetCPUUtilizationPercentage: 60,
    });
    expect(v1.metadata.uid).toBe(v2.metadata.uid);
  });

  it('prints kube’s columns for every kind', async () => {
    const r = await s.kubectl(['get', 'deploy,rs,sts,ds,job,cj,hpa,pdb']);
    expect(r.stderr).toBe('');
    const out = r.stdout;
    expect(out).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\ndeployment\.apps\/web\s+0\/1\s+0\s+0\s+\d+s\n/m);
    expect(out).toMatch(/^NAME\s+READY\s+AGE\nstatefulset\.apps\/db\s+0\/1\s+\d+s\n/m);
    expect(out).toMatch(
      /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE\ndaemonset\.apps\/agent\s+0\s+0\s+0\s+0\s+0\s+kubernetes\.io\/os=linux\s+\d+s\n/m,
    );
    expect(out).toMatch(/^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\njob\.batch\/pi\s+Running\s+0\/1\s+\d+s\n/m);
    expect(out).toMatch(
      /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\ncronjob\.batch\/nightly\s+0 3 \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\d+s\n/m,
    );
    expect(out).toMatch(
      /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\nhorizontalpodautoscaler\.autoscaling\/web\s+Deployment\/web\s+cpu: <unknown>\/60%\s+2\s+10\s+0\s+\d+s\n/m,
    );
    expect(out).toMatch(
      /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\npoddisruptionbudget\.policy\/web\s+1\s+N\/A\s+0\s+\d+s\n/m,
    );
    const wide = await s.kubectl(['get', 'deploy', 'web', '-o', 'wide']);
    expect(wide.stdout).toMatch(
      /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\nweb\s+0\/1\s+0\s+0\s+\d+s\s+nginx\s+nginx:1\.27\s+app=web\n$/,
    );
  });

  it('scales through the scale subresource and lists `all`', async () => {
    const r = await s.kubectl(['scale', 'deployment', 'web', '--replicas=3']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('deployment.apps/web scaled');
    const deploy = await json(['get', 'deploy', 'web']);
    expect(deploy.spec.replicas).toBe(3);
    expect(deploy.metadata.generation).toBe(2);
    const scale = await s.client.get('/apis/apps/v1/namespaces/default/deployments/web/scale');
    expect(scale.status).toBe(200);
    expect(scale.body).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 3 },
      status: { replicas: 0, selector: 'app=web' },
    });
    expect((await s.kubectl(['scale', 'sts', 'db', '--replicas=2'])).stdout.trim()).toBe('statefulset.apps/db scaled');
    const all = await s.kubectl(['get', 'all', '-o', 'name']);
    expect(all.stderr).toBe('');
    for (const name of [
      'deployment.apps/web',
      'statefulset.apps/db',
      'daemonset.apps/agent',
      'job.batch/pi',
      'cronjob.batch/nightly',
      'horizontalpodautoscaler.autoscaling/web',
    ]) {
      expect(all.stdout.split('\n')).toContain(name);
    }
    expect(all.stdout).not.toContain('poddisruptionbudget');
  });

  it('refuses immutable selector and template changes as kube words them', async () => {
    const sel = await s.kubectl([
      'patch',
      'deployment',
      'web',
      '--type=merge',
      '-p',
      '{"spec":{"selector":{"matchLabels":{"app":"other"}},"template":{"metadata":{"labels":{"app":"other"}}}}}',
    ]);
    expect(sel.code).not.toBe(0);
    expect(sel.stderr.trim()).toBe(
      'The Deployment "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"other"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    );
    const sts = await s.kubectl(['patch', 'sts', 'db', '--type=merge', '-p', '{"spec":{"serviceName":"other"}}']);
    expect(sts.stderr.trim()).toBe(
      "The StatefulSet \"db\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    );
    const job = await s.kubectl(['set', 'image', 'job/pi', 'pi=perl:5.36']);
    expect(job.code).not.toBe(0);
    // kubectl set image prefixes its own words.
    expect(job.stderr).toMatch(
      /^error: failed to patch image update to pod template: Job\.batch "pi" is invalid: spec\.template: Invalid value: core\.PodTemplateSpec\{ObjectMeta:.*Image:"perl:5\.36".*\}: field is immutable\n$/,
    );
    const bad = await s.kubectl(
      ['create', '-f', '-'],
      'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: bad}\nspec:\n  schedule: "61 * * * *"\n  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}\n',
    );
    expect(bad.stderr.trim()).toBe(
      'The CronJob "bad" is invalid: spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61',
    );
  });

  it('prints the pod template warnings kube returns (a deprecated node label) on apply', async () => {
    const manifest =
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: legacy}\nspec:\n  selector: {matchLabels: {app: legacy}}\n' +
      '  template:\n    metadata: {labels: {app: legacy}}\n    spec:\n      nodeSelector: {beta.kubernetes.io/os: linux}\n' +
      '      containers: [{name: app, image: "nginx:1.27"}]\n';
    const r = await s.kubectl(['apply', '-f', '-'], manifest);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('deployment.apps/legacy created');
    expect(r.stderr).toBe(
      'Warning: spec.template.spec.nodeSelector[beta.kubernetes.io/os]: deprecated since v1.14; use "kubernetes.io/os" instead\n',
    );
  });

  it('client-node: typed create, read, replace and delete of a Deployment', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(s.env.kubeconfig);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const body: k8s.V1Deployment = {
      metadata: { name: 'typed' },
      spec: {
        selector: { matchLabels: { app: 'typed' } },
        template: { metadata: { labels: { app: 'typed' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } },
      },
    };
    const created = await apps.createNamespacedDeployment({ namespace: 'default', body });
    expect(created.spec?.replicas).toBe(1);
    expect(created.spec?.strategy?.rollingUpdate?.maxSurge).toBe('25%');
    const read = await apps.readNamespacedDeployment({ name: 'typed', namespace: 'default' });
    read.spec!.replicas = 4;
    const replaced = await apps.replaceNamespacedDeployment({ name: 'typed', namespace: 'default', body: read });
    expect(replaced.spec?.replicas).toBe(4);
    expect(replaced.metadata?.generation).toBe(2);
    const scale = await apps.readNamespacedDeploymentScale({ name: 'typed', namespace: 'default' });
    expect(scale.spec?.replicas).toBe(4);
    expect(scale.status?.selector).toBe('app=typed');
    await apps.deleteNamespacedDeployment({ name: 'typed', namespace: 'default' });
    await expect(apps.readNamespacedDeployment({ name: 'typed', namespace: 'default' })).rejects.toMatchObject({ code: 404 });
  });

  it.skipIf(!python)('the Python client: typed create, read, replace and delete of a Deployment', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        '/usr/bin/python3',
        [path.resolve(__dirname, '../python/workloads.py'), s.env.kubeconfigPath],
        { timeout: 60_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    expect(out.split('\n').filter(Boolean)).toEqual([
      'created 1 RollingUpdate 25%',
      'read app=py',
      'replaced 3 2',
      'scale 3 app=py',
      'deleted 404',
    ]);
  });
});
