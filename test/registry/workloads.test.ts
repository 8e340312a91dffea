// The workload strategies (apps/v1, batch/v1, autoscaling/v1+v2, policy/v1) on the
// generic Store over memory storage: kube's defaults, validation messages, status
// and generation rules, the autoscaling/v1 conversion, the cron parser and the printers.

import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/server/api/types.js';
import type { ServedResource } from '../../src/server/endpoints/router.js';
import { scaleOf } from '../../src/server/endpoints/scale.js';
import type { BuiltinResource } from '../../src/server/registry/builtin.js';
import { hpaV1ToV2, hpaV2ToV1 } from '../../src/server/registry/resources/autoscaling.js';
import { cronScheduleError } from '../../src/server/registry/resources/cron.js';
import { workloadResources } from '../../src/server/registry/resources/workloads.js';
import type { Store } from '../../src/server/registry/store.js';
import { catalogRow, requestContext as ctx, rejection as failure, useRowStores } from '../helpers/rows.js';

const row = (resource: string, version?: string): BuiltinResource => catalogRow(resource, { version, rows: workloadResources });

const podTemplate = (labels: Record<string, string> = { app: 'web' }, spec: Record<string, unknown> = {}) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'c', image: 'nginx:1.27' }], ...spec },
});

const deployment = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: { selector: { matchLabels: { app: 'web' } }, template: podTemplate(), ...spec },
});

// biome-ignore lint/suspicious/noExplicitAny: assertions walk decoded JSON
type Obj = Record<string, any>;

describe('workload strategies', () => {
  const stores = useRowStores();
  const storeFor = (resource: string, version?: string): Promise<Store> => stores.storeFor(row(resource, version));

  describe('Deployment', () => {
    it('is defaulted as SetDefaults_Deployment does, status cleared, generation 1', async () => {
      const store = await storeFor('deployments');
      const d = (await store.create(ctx(), { ...deployment('web'), status: { replicas: 9 } })) as Obj;
      expect(d.spec).toMatchObject({
        replicas: 1,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
      });
      expect(d.spec.template.metadata).toEqual({ creationTimestamp: null, labels: { app: 'web' } });
      expect(d.status).toEqual({});
      expect(d.metadata.generation).toBe(1);
      const c = ctx();
      await store.create(c, deployment('web.v1'));
      expect(c.warnings).toEqual([
        "metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')]",
      ]);
    });

    it('refuses a missing selector and a template the selector does not match, in kube words', async () => {
      const store = await storeFor('deployments');
      const noSelector = deployment('a');
      delete (noSelector.spec as Obj).selector;
      expect((await failure(store.create(ctx(), noSelector))).message).toBe(
        'Deployment.apps "a" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`]',
      );
      const mismatch = deployment('b', { selector: { matchLabels: { app: 'other' } } });
      expect((await failure(store.create(ctx(), mismatch))).message).toBe(
        'Deployment.apps "b" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
      );
      const bad = deployment('c', {
        replicas: -1,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '110%', maxSurge: 0 } },
      });
      const e = await failure(store.create(ctx(), bad));
      expect(e.code).toBe(422);
      expect(e.message).toContain('spec.replicas: Invalid value: -1: must be greater than or equal to 0');
      expect(e.message).toContain(
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"110%"}: must not be greater than 100%',
      );
      const zero = deployment('d', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } });
      expect((await failure(store.create(ctx(), zero))).message).toContain(
        'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
      );
      const restart = deployment('e', { template: podTemplate({ app: 'web' }, { restartPolicy: 'Never' }) });
      expect((await failure(store.create(ctx(), restart))).message).toContain(
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
      );
    });

    it('keeps the selector immutable and bumps generation on spec and annotation changes only', async () => {
      const store = await storeFor('deployments');
      const created = (await store.create(ctx(), deployment('web'))) as Obj;
      const moved = deployment('web', {
        selector: { matchLabels: { app: 'web', tier: 'x' } },
        template: podTemplate({ app: 'web', tier: 'x' }),
      });
      expect((await failure(store.update(ctx(), 'web', () => moved))).message).toBe(
        'Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
      );
      // The same object again, undefaulted: defaults make it equal, no bump.
      let cur = (await store.update(ctx(), 'web', () => deployment('web'))).object as Obj;
      expect(cur.metadata.generation).toBe(1);
      cur = (await store.update(ctx(), 'web', () => ({ ...deployment('web'), metadata: { name: 'web', labels: { x: 'y' } } })))
        .object as Obj;
      expect(cur.metadata.generation).toBe(1);
      cur = (await store.update(ctx(), 'web', () => ({ ...deployment('web'), metadata: { name: 'web', annotations: { a: 'b' } } })))
        .object as Obj;
      expect(cur.metadata.generation).toBe(2);
      cur = (await store.update(ctx(), 'web', () => deployment('web', { replicas: 3 }))).object as Obj;
      expect(cur.metadata.generation).toBe(3);
      expect(cur.metadata.uid).toBe(created.metadata.uid);
    });

    it('ignores status on the main resource and everything but status on /status', async () => {
      const store = await storeFor('deployments');
      await store.create(ctx(), deployment('web'));
      let cur = (await store.update(ctx(), 'web', () => ({ ...deployment('web'), status: { replicas: 5 } }))).object as Obj;
      expect(cur.status).toEqual({});
      cur = (
        await store.update(ctx({ subresource: 'status' }), 'web', (c) => ({
          ...c!,
          spec: { ...(c!.spec as Obj), replicas: 7 },
          status: { replicas: 2, readyReplicas: 1 },
        }))
      ).object as Obj;
      expect(cur.status).toEqual({ replicas: 2, readyReplicas: 1 });
      expect(cur.spec.replicas).toBe(1);
      expect(cur.metadata.generation).toBe(1);
      const e = await failure(
        store.update(ctx({ subresource: 'status' }), 'web', (c) => ({ ...c!, status: { replicas: 1, readyReplicas: 3 } })),
      );
      expect(e.message).toBe(
        'Deployment.apps "web" is invalid: status.readyReplicas: Invalid value: 3: cannot be greater than status.replicas',
      );
    });

    it('prints READY UP-TO-DATE AVAILABLE and the wide columns; its Scale carries the selector as a string', async () => {
      const store = await storeFor('deployments');
      const d = (await store.create(ctx(), deployment('web', { replicas: 3 }))) as Obj;
      d.status = { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2, replicas: 3 };
      const s = row('deployments').strategy;
      expect(s.tableColumns!.map((c) => c.name)).toEqual([
        'Name',
        'Ready',
        'Up-to-date',
        'Available',
        'Age',
        'Containers',
        'Images',
        'Selector',
      ]);
      expect(s.tableRow!(d)).toEqual(['web', '2/3', 3, 2, expect.stringMatching(/^\d+s$/), 'c', 'nginx:1.27', 'app=web']);
      const served = { descriptor: row('deployments').descriptor } as ServedResource;
      expect(scaleOf(served, d)).toMatchObject({ kind: 'Scale', spec: { replicas: 3 }, status: { replicas: 3, selector: 'app=web' } });
    });
  });

  describe('ReplicaSet, StatefulSet, DaemonSet, ControllerRevision', () => {
    it('defaults a ReplicaSet and writes its zero status replicas', async () => {
      const store = await storeFor('replicasets');
      const rs = (await store.create(ctx(), { ...deployment('rs'), kind: 'ReplicaSet' })) as Obj;
      expect(rs.spec.replicas).toBe(1);
      expect(rs.status).toEqual({ replicas: 0 });
      expect(row('replicasets').strategy.tableRow!(rs)).toEqual(['rs', 1, 0, 0, expect.any(String), 'c', 'nginx:1.27', 'app=web']);
    });

    it('defaults a StatefulSet, its claim templates, and allows only kube’s mutable fields', async () => {
      const store = await storeFor('statefulsets');
      const sts = (await store.create(ctx(), {
        ...deployment('db'),
        kind: 'StatefulSet',
        spec: {
          ...(deployment('db').spec as Obj),
          serviceName: 'db',
          volumeClaimTemplates: [
            { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
          ],
        },
      })) as Obj;
      expect(sts.spec).toMatchObject({
        replicas: 1,
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        revisionHistoryLimit: 10,
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      });
      expect(sts.spec.volumeClaimTemplates[0]).toEqual({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'data', creationTimestamp: null },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' },
        status: { phase: 'Pending' },
      });
      expect(sts.status).toEqual({ replicas: 0, availableReplicas: 0 });
      const scaled = (await store.update(ctx(), 'db', (c) => ({ ...c!, spec: { ...(c!.spec as Obj), replicas: 3 } }))).object as Obj;
      expect(scaled.spec.replicas).toBe(3);
      expect(scaled.metadata.generation).toBe(2);
      const e = await failure(store.update(ctx(), 'db', (c) => ({ ...c!, spec: { ...(c!.spec as Obj), serviceName: 'other' } })));
      expect(e.message).toBe(
        "StatefulSet.apps \"db\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      );
      expect(row('statefulsets').strategy.tableRow!(scaled).slice(0, 2)).toEqual(['db', '0/3']);
    });

    it('defaults a DaemonSet and keeps its template generation annotation', async () => {
      const store = await storeFor('daemonsets');
      const ds = (await store.create(ctx(), { ...deployment('agent'), kind: 'DaemonSet' })) as Obj;
      expect(ds.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
      expect(ds.spec.revisionHistoryLimit).toBe(10);
      expect(ds.metadata.annotations).toEqual({ 'deprecated.daemonset.template.generation': '1' });
      expect(ds.status).toEqual({ currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 });
      const changed = (
        await store.update(ctx(), 'agent', (c) => {
          const o = structuredClone(c!) as Obj;
          o.spec.template.spec.containers[0].image = 'nginx:1.28';
          o.metadata.annotations = {};
          return o;
        })
      ).object as Obj;
      expect(changed.metadata.annotations).toEqual({ 'deprecated.daemonset.template.generation': '2' });
      expect(changed.metadata.generation).toBe(2);
      const both = await failure(
        store.update(ctx(), 'agent', (c) => {
          const o = structuredClone(c!) as Obj;
          o.spec.updateStrategy.rollingUpdate = { maxUnavailable: 1, maxSurge: 1 };
          return o;
        }),
      );
      expect(both.message).toBe(
        'DaemonSet.apps "agent" is invalid: spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero',
      );
      expect(row('daemonsets').strategy.tableRow!(changed)).toEqual([
        'agent',
        0,
        0,
        0,
        0,
        0,
        '<none>',
        expect.any(String),
        'c',
        'nginx:1.28',
        'app=web',
      ]);
    });

    it('requires a ControllerRevision’s data and keeps it immutable', async () => {
      const store = await storeFor('controllerrevisions');
      expect((await failure(store.create(ctx(), { metadata: { name: 'r' }, revision: 1 }))).message).toBe(
        'ControllerRevision.apps "r" is invalid: data: Required value: data is mandatory',
      );
      const cr = (await store.create(ctx(), {
        metadata: { name: 'r', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'u', controller: true }] },
        data: { a: 1 },
        revision: 2,
      })) as Obj;
      expect(row('controllerrevisions').strategy.tableRow!(cr)).toEqual(['r', 'statefulset.apps/db', 2, expect.any(String)]);
      const e = await failure(store.update(ctx(), 'r', (c) => ({ ...c!, data: { a: 2 } })));
      expect(e.message).toMatch(
        /^ControllerRevision\.apps "r" is invalid: data: Invalid value: runtime\.Unknown\{.*\}: field is immutable$/,
      );
    });
  });

  describe('Job and CronJob', () => {
    const job = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name },
      spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } }, ...spec },
    });

    it('generates the selector and labels and defaults the spec', async () => {
      const store = await storeFor('jobs');
      const j = (await store.create(ctx(), job('pi'))) as Obj;
      const uid = j.metadata.uid;
      const labels = {
        'batch.kubernetes.io/controller-uid': uid,
        'batch.kubernetes.io/job-name': 'pi',
        'controller-uid': uid,
        'job-name': 'pi',
      };
      expect(j.spec.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
      expect(j.spec.template.metadata).toEqual({ creationTimestamp: null, labels });
      expect(j.metadata.labels).toEqual(labels);
      expect(j.spec).toMatchObject({
        completions: 1,
        parallelism: 1,
        backoffLimit: 6,
        completionMode: 'NonIndexed',
        suspend: false,
        manualSelector: false,
        podReplacementPolicy: 'TerminatingOrFailed',
      });
      expect(j.status).toEqual({});
      expect(row('jobs').strategy.fieldLabels!(j)).toEqual({ 'status.successful': '0' });
      expect(row('jobs').strategy.tableRow!(j).slice(0, 4)).toEqual(['pi', 'Running', '0/1', '']);
    });

    it('orphans its pods by default when deleted without a propagation policy (batch/v1)', async () => {
      const store = await storeFor('jobs');
      await store.create(ctx(), job('gc'));
      const { object, immediate } = await store.delete(ctx(), 'gc', {});
      expect(immediate).toBe(false);
      expect(object.metadata?.finalizers).toEqual(['orphan']);
      expect(object.metadata?.deletionTimestamp).toBeTruthy();
      await store.create(ctx(), job('bg'));
      expect((await store.delete(ctx(), 'bg', { propagationPolicy: 'Background' })).immediate).toBe(true);
    });

    it('refuses restartPolicy Always and a changed template, in kube words', async () => {
      const store = await storeFor('jobs');
      const always = job('a');
      delete ((always.spec as Obj).template.spec as Obj).restartPolicy;
      expect((await failure(store.create(ctx(), always))).message).toBe(
        'Job.batch "a" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
      );
      await store.create(ctx(), job('b'));
      const e = await failure(
        store.update(ctx(), 'b', (c) => {
          const o = structuredClone(c!) as Obj;
          o.spec.template.spec.containers[0].image = 'busybox:2';
          return o;
        }),
      );
      expect(e.message).toMatch(
        /^Job\.batch "b" is invalid: spec\.template: Invalid value: core\.PodTemplateSpec\{.*\}: field is immutable$/,
      );
      const manual = job('m', { manualSelector: true });
      expect((await failure(store.create(ctx(), manual))).message).toContain('spec.selector: Required value');
    });

    it('defaults a CronJob and checks its schedule, time zone and name', async () => {
      const store = await storeFor('cronjobs');
      const cj = (spec: Record<string, unknown>, name = 'nightly'): KubeObject => ({
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name },
        spec: { schedule: '0 3 * * *', jobTemplate: { spec: job('x').spec }, ...spec },
      });
      const c = (await store.create(ctx(), cj({}))) as Obj;
      expect(c.spec).toMatchObject({
        concurrencyPolicy: 'Allow',
        suspend: false,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 1,
      });
      expect(c.spec.jobTemplate.metadata).toEqual({ creationTimestamp: null });
      expect(c.spec.jobTemplate.spec.backoffLimit).toBeUndefined();
      expect(row('cronjobs').strategy.tableRow!(c).slice(0, 6)).toEqual(['nightly', '0 3 * * *', '<none>', 'False', 0, '<none>']);
      expect((await failure(store.create(ctx(), cj({ schedule: 'every day' }, 'bad')))).message).toBe(
        'CronJob.batch "bad" is invalid: spec.schedule: Invalid value: "every day": expected exactly 5 fields, found 2: [every day]',
      );
      expect((await failure(store.create(ctx(), cj({ schedule: 'TZ=UTC 0 3 * * *' }, 'tz')))).message).toBe(
        'CronJob.batch "tz" is invalid: spec.schedule: Invalid value: "TZ=UTC 0 3 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
      );
      expect((await failure(store.create(ctx(), cj({ timeZone: 'Mars/Olympus' }, 'zone')))).message).toBe(
        'CronJob.batch "zone" is invalid: spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
      );
      expect((await store.create(ctx(), cj({ timeZone: 'Europe/Paris' }, 'paris'))).spec).toMatchObject({ timeZone: 'Europe/Paris' });
      expect((await failure(store.create(ctx(), cj({}, 'n'.repeat(53))))).message).toContain('must be no more than 52 characters');
    });

    it('parses schedules as robfig/cron ParseStandard', () => {
      expect(cronScheduleError('*/5 * * * *')).toBeUndefined();
      expect(cronScheduleError('0 0 1 jan-mar mon-fri')).toBeUndefined();
      expect(cronScheduleError('@hourly')).toBeUndefined();
      expect(cronScheduleError('@every 1h30m')).toBeUndefined();
      expect(cronScheduleError('60 * * * *')).toBe('end of range (60) above maximum (59): 60');
      expect(cronScheduleError('* * 0 * *')).toBe('beginning of range (0) below minimum (1): 0');
      expect(cronScheduleError('x * * * *')).toBe('failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
      expect(cronScheduleError('5-1 * * * *')).toBe('beginning of range (5) beyond end of range (1): 5-1');
      expect(cronScheduleError('@fortnightly')).toBe('unrecognized descriptor: @fortnightly');
      expect(cronScheduleError('@every 5')).toBe('failed to parse duration @every 5: time: missing unit in duration "5"');
      expect(cronScheduleError('* * * * 7')).toBe('end of range (7) above maximum (6): 7');
    });
  });

  describe('HorizontalPodAutoscaler', () => {
    const hpa = (spec: Record<string, unknown>): KubeObject => ({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5, ...spec },
    });

    it('defaults v2 (minReplicas, the CPU metric, a given behavior filled in) and prints its targets', async () => {
      const store = await storeFor('horizontalpodautoscalers', 'v2');
      const h = (await store.create(ctx(), hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } }))) as Obj;
      expect(h.spec.minReplicas).toBe(1);
      expect(h.spec.metrics).toEqual([
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
      ]);
      expect(h.spec.behavior).toEqual({
        scaleUp: {
          stabilizationWindowSeconds: 0,
          selectPolicy: 'Max',
          policies: [
            { type: 'Pods', value: 4, periodSeconds: 15 },
            { type: 'Percent', value: 100, periodSeconds: 15 },
          ],
        },
        scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
      });
      expect(h.status).toEqual({ currentMetrics: null, desiredReplicas: 0 });
      expect(h.metadata.generation).toBeUndefined();
      expect(row('horizontalpodautoscalers', 'v2').strategy.tableRow!(h)).toEqual([
        'web',
        'Deployment/web',
        'cpu: <unknown>/80%',
        '1',
        5,
        0,
        expect.any(String),
      ]);
      const e = await failure(store.create(ctx(), { ...hpa({ maxReplicas: 0, minReplicas: 0 }), metadata: { name: 'bad' } }));
      expect(e.message).toBe(
        'HorizontalPodAutoscaler.autoscaling "bad" is invalid: [spec.minReplicas: Invalid value: 0: must be greater than or equal to 1, spec.maxReplicas: Invalid value: 0: must be greater than 0, spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas]',
      );
    });

    it('serves the stored v2 object as v1 and back, other metrics in annotations', async () => {
      const v2 = await storeFor('horizontalpodautoscalers', 'v2');
      const v1 = await storeFor('horizontalpodautoscalers', 'v1');
      await v2.create(
        ctx(),
        hpa({
          metrics: [
            { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
            { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
          ],
        }),
      );
      const asV1 = (await v1.get(ctx(), 'web')) as Obj;
      expect(asV1.apiVersion).toBe('autoscaling/v1');
      expect(asV1.spec).toEqual({
        scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' },
        minReplicas: 1,
        maxReplicas: 5,
        targetCPUUtilizationPercentage: 60,
      });
      expect(asV1.metadata.annotations).toEqual({
        'autoscaling.alpha.kubernetes.io/metrics': '[{"type":"Resource","resource":{"name":"memory","targetAverageValue":"500Mi"}}]',
      });
      expect(asV1.status).toEqual({ currentReplicas: 0, desiredReplicas: 0 });
      // A v1 write keeps the v2-only metric (it travels in the annotation).
      const updated = (await v1.update(ctx(), 'web', (c) => ({ ...c!, spec: { ...(c!.spec as Obj), targetCPUUtilizationPercentage: 70 } })))
        .object as Obj;
      expect(updated.spec.targetCPUUtilizationPercentage).toBe(70);
      const back = (await v2.get(ctx(), 'web')) as Obj;
      expect(back.metadata.annotations).toBeUndefined();
      expect(back.spec.metrics).toEqual([
        { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
      ]);
      // Created as v1: stored as v2; validated on the converted object, so field paths are v2's.
      const created = (await v1.create(ctx(), {
        apiVersion: 'autoscaling/v1',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'v1' },
        spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3, targetCPUUtilizationPercentage: 50 },
      })) as Obj;
      expect(created.spec.minReplicas).toBe(1);
      expect(created.status).toEqual({ currentReplicas: 0, desiredReplicas: 0 });
      expect(((await v2.get(ctx(), 'v1')) as Obj).spec.metrics).toEqual([
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
      ]);
      const zero = await failure(
        v1.create(ctx(), {
          metadata: { name: 'zero' },
          spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3, targetCPUUtilizationPercentage: 0 },
        }),
      );
      expect(zero.message).toBe(
        'HorizontalPodAutoscaler.autoscaling "zero" is invalid: spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0',
      );
      // A v1 object without a CPU target gets kube's implicit 80%.
      expect((hpaV1ToV2({ spec: { scaleTargetRef: { kind: 'Deployment', name: 'x' }, maxReplicas: 2 } }) as Obj).spec.metrics).toEqual([
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
      ]);
      const behavior = hpaV2ToV1({
        metadata: { name: 'b' },
        spec: { behavior: { scaleUp: { selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }] } } },
      });
      expect(behavior.metadata!.annotations!['autoscaling.alpha.kubernetes.io/behavior']).toBe(
        '{"ScaleUp":{"StabilizationWindowSeconds":null,"SelectPolicy":"Max","Policies":[{"Type":"Pods","Value":4,"PeriodSeconds":15}]},"ScaleDown":null}',
      );
      // Spec and status metrics in v2beta1's shape: a status always carries its resource average and external values.
      const metrics = hpaV2ToV1({
        metadata: { name: 'm' },
        spec: {
          metrics: [
            { type: 'External', external: { metric: { name: 'q' }, target: { type: 'AverageValue', averageValue: '3' } } },
            { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '1Gi' } } },
          ],
        },
        status: {
          currentMetrics: [
            { type: 'External', external: { metric: { name: 'q' }, current: { averageValue: '2' } } },
            { type: 'Resource', resource: { name: 'memory', current: { averageUtilization: 50 } } },
          ],
        },
      }).metadata!.annotations!;
      expect(JSON.parse(metrics['autoscaling.alpha.kubernetes.io/metrics'])).toEqual([
        { type: 'External', external: { metricName: 'q', targetAverageValue: '3' } },
        { type: 'Resource', resource: { name: 'memory', targetAverageValue: '1Gi' } },
      ]);
      expect(JSON.parse(metrics['autoscaling.alpha.kubernetes.io/current-metrics'])).toEqual([
        { type: 'External', external: { metricName: 'q', currentValue: '0', currentAverageValue: '2' } },
        { type: 'Resource', resource: { name: 'memory', currentAverageUtilization: 50, currentAverageValue: '0' } },
      ]);
    });
  });

  describe('PodDisruptionBudget', () => {
    const pdb = (name: string, spec: Record<string, unknown>): KubeObject => ({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name },
      spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
    });

    it('refuses minAvailable with maxUnavailable, prints N/A for the unset one, requires a resourceVersion on update', async () => {
      const store = await storeFor('poddisruptionbudgets');
      const e = await failure(store.create(ctx(), pdb('both', { minAvailable: 1, maxUnavailable: 1 })));
      expect(e.message).toMatch(
        /^PodDisruptionBudget\.policy "both" is invalid: spec: Invalid value: policy\.PodDisruptionBudgetSpec\{MinAvailable:\(\*intstr\.IntOrString\)\(0xc[0-9a-f]+\), Selector:\(\*v1\.LabelSelector\)\(0xc[0-9a-f]+\), MaxUnavailable:\(\*intstr\.IntOrString\)\(0xc[0-9a-f]+\), UnhealthyPodEvictionPolicy:\(\*policy\.UnhealthyPodEvictionPolicyType\)\(nil\)\}: minAvailable and maxUnavailable cannot be both set$/,
      );
      const p = (await store.create(ctx(), pdb('web', { minAvailable: '50%' }))) as Obj;
      expect(p.metadata.generation).toBe(1);
      expect(p.status).toEqual({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
      expect(row('poddisruptionbudgets').strategy.tableRow!(p)).toEqual(['web', '50%', 'N/A', 0, expect.any(String)]);
      const unconditional = await failure(store.update(ctx(), 'web', () => pdb('web', { minAvailable: 2 })));
      expect(unconditional.message).toBe(
        'poddisruptionbudgets.policy "web" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
      );
    });
  });
});
