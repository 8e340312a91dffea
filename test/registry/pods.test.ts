// Pods, PodTemplates and ReplicationControllers on the generic Store over memory
// storage: kube's defaults (SetDefaults_Pod/PodSpec/Container/Probe/Volume and the
// DefaultTolerationSeconds admission plugin), ValidatePod*/ValidateReplicationController
// messages and paths, pod update rules, graceful deletion, field selectors, the
// printers, and the binding/eviction/log/exec subresources.

import { describe, expect, it } from 'vitest';
import { AdmissionChain } from '../../src/server/admission/index.js';
import { DefaultTolerationSeconds } from '../../src/server/admission/plugins/default-toleration-seconds.js';
import { formatQuantity, parseQuantity } from '../../src/server/api/quantity.js';
import type { KubeObject } from '../../src/server/api/types.js';
import type { BuiltinResource } from '../../src/server/registry/builtin.js';
import { podQOSClass, podResources } from '../../src/server/registry/resources/pods.js';
import { defaultPodSpec, imageTag, validatePodTemplateSpec } from '../../src/server/registry/resources/podspec.js';
import { workloadResources } from '../../src/server/registry/resources/workloads.js';
import type { Store } from '../../src/server/registry/store.js';
import type { RequestContext } from '../../src/server/registry/strategy.js';
import type { SubresourceCall, SubresourceREST } from '../../src/server/registry/subresource.js';
import { catalogRow, requestContext as ctx, rejection as failure, useRowStores } from '../helpers/rows.js';

// biome-ignore lint/suspicious/noExplicitAny: assertions walk decoded JSON
type Obj = Record<string, any>;

const row = (resource: string): BuiltinResource => catalogRow(resource, { rows: [...podResources, ...workloadResources] });

const pod = (name: string, spec: Obj = {}, meta: Obj = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, ...meta },
  spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ...spec },
});

describe('pods, podtemplates, replicationcontrollers', () => {
  const stores = useRowStores();
  const storeFor = (resource: string, admission?: AdmissionChain): Promise<Store> => stores.storeFor(row(resource), { admission });

  const sub = (name: string): SubresourceREST => row('pods').subresources!.find((s) => s.name === name)!;
  const call = (store: Store, name: string, query: Record<string, string> = {}, over: Partial<RequestContext> = {}): SubresourceCall => ({
    ctx: ctx(over),
    name,
    store,
    lookup: stores.lookup,
    query: new URLSearchParams(query),
  });

  describe('Pod defaults', () => {
    it('defaults the pod and its containers as SetDefaults_Pod/PodSpec/Container do, status Pending with its QoS class', async () => {
      const admission = new AdmissionChain();
      admission.addMutating(new DefaultTolerationSeconds());
      const store = await storeFor('pods', admission);
      const out = (await store.create(
        ctx(),
        pod('web', {
          containers: [
            {
              name: 'app',
              image: 'nginx',
              ports: [{ containerPort: 80 }],
              resources: { limits: { cpu: '0.5', memory: '128Mi' } },
              livenessProbe: { httpGet: { port: 80 } },
              readinessProbe: { grpc: { port: 9000 } },
              env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
            },
          ],
          volumes: [{ name: 'cfg', configMap: { name: 'c' } }, { name: 'sec', secret: { secretName: 's' } }, { name: 'scratch' }],
        }),
      )) as Obj;
      const spec = out.spec;
      expect(spec).toMatchObject({
        restartPolicy: 'Always',
        dnsPolicy: 'ClusterFirst',
        schedulerName: 'default-scheduler',
        terminationGracePeriodSeconds: 30,
        securityContext: {},
        enableServiceLinks: true,
      });
      expect(spec.serviceAccountName).toBeUndefined();
      const c = spec.containers[0];
      expect(c).toMatchObject({
        imagePullPolicy: 'Always',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '500m', memory: '128Mi' } },
        livenessProbe: {
          httpGet: { port: 80, path: '/', scheme: 'HTTP' },
          timeoutSeconds: 1,
          periodSeconds: 10,
          successThreshold: 1,
          failureThreshold: 3,
        },
        readinessProbe: { grpc: { port: 9000, service: '' } },
        env: [{ name: 'NODE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } }],
      });
      expect(spec.volumes).toEqual([
        { name: 'cfg', configMap: { name: 'c', defaultMode: 420 } },
        { name: 'sec', secret: { secretName: 's', defaultMode: 420 } },
        { name: 'scratch', emptyDir: {} },
      ]);
      // DefaultTolerationSeconds, on by default in kube-apiserver and in envtest.
      expect(spec.tolerations).toEqual([
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ]);
      expect(out.status).toEqual({ phase: 'Pending', qosClass: 'Guaranteed' });
      expect(out.metadata.generation).toBeUndefined();
    });

    it('picks imagePullPolicy from the tag as parsers.ParseImageName reads it', () => {
      expect(imageTag('nginx')).toBe('latest');
      expect(imageTag('nginx:latest')).toBe('latest');
      expect(imageTag('nginx:1.27')).toBe('1.27');
      expect(imageTag('localhost:5000/app')).toBe('latest');
      expect(imageTag(`nginx@sha256:${'a'.repeat(64)}`)).toBe('');
      expect(imageTag('Nginx')).toBe('');
      const spec: Obj = {
        containers: [
          { name: 'a', image: 'reg.io:5000/x/y:v1' },
          { name: 'b', image: 'busybox' },
        ],
      };
      defaultPodSpec(spec);
      expect(spec.containers.map((c: Obj) => c.imagePullPolicy)).toEqual(['IfNotPresent', 'Always']);
    });

    it('computes the QoS class from cpu and memory requests and limits', () => {
      const c = (resources: Obj) => ({ containers: [{ name: 'a', image: 'x', resources }] });
      expect(podQOSClass(c({}))).toBe('BestEffort');
      expect(podQOSClass(c({ requests: { cpu: '100m' } }))).toBe('Burstable');
      expect(podQOSClass(c({ requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1000m', memory: '1024Mi' } }))).toBe('Guaranteed');
      expect(podQOSClass(c({ requests: { cpu: '1' }, limits: { cpu: '2', memory: '1Gi' } }))).toBe('Burstable');
    });

    it('writes quantities in their canonical form', () => {
      const f = (s: string) => formatQuantity(parseQuantity(s)!);
      expect([f('0.5'), f('1000m'), f('1024Mi'), f('1.5Gi'), f('1000'), f('100m'), f('0.5Ki')]).toEqual([
        '500m',
        '1',
        '1Gi',
        '1536Mi',
        '1k',
        '100m',
        '512',
      ]);
    });
  });

  describe('Pod validation', () => {
    it("refuses what ValidatePodSpec refuses, with kube's messages and paths", async () => {
      const store = await storeFor('pods');
      const invalid = (p: KubeObject) => failure(store.create(ctx(), p));
      expect((await invalid(pod('a', { containers: [] }))).message).toBe('Pod "a" is invalid: spec.containers: Required value');
      let e = await invalid(
        pod('b', {
          containers: [
            {
              name: 'app',
              image: 'x',
              ports: [{ containerPort: 70000 }, { name: 'http', containerPort: 80 }, { name: 'http', containerPort: 81 }],
            },
            { name: 'app', image: '' },
          ],
        }),
      );
      expect(e.status.code).toBe(422);
      expect(e.message).toBe(
        'Pod "b" is invalid: [spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive, ' +
          'spec.containers[0].ports[2].name: Duplicate value: "http", spec.containers[1].image: Required value, ' +
          'spec.containers[1].name: Duplicate value: "app"]',
      );
      e = await invalid(
        pod('c', {
          restartPolicy: 'Sometimes',
          containers: [{ name: 'Bad_Name', image: 'x', volumeMounts: [{ name: 'data', mountPath: '/d' }] }],
        }),
      );
      expect(e.message).toContain(
        `spec.containers[0].name: Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`,
      );
      expect(e.message).toContain('spec.containers[0].volumeMounts[0].name: Not found: "data"');
      expect(e.message).toContain('spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"');
      e = await invalid(
        pod('d', {
          volumes: [
            { name: 'v', emptyDir: {} },
            { name: 'v', emptyDir: {} },
          ],
        }),
      );
      expect(e.message).toBe('Pod "d" is invalid: spec.volumes[1].name: Duplicate value: "v"');
      e = await invalid(pod('e', { containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }] }));
      expect(e.message).toBe(
        'Pod "e" is invalid: spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
      );
    });

    it('allows image, activeDeadlineSeconds and toleration additions on update, and nothing else', async () => {
      const store = await storeFor('pods');
      await store.create(ctx(), pod('p'));
      const update = (change: (p: Obj) => void) =>
        store.update(ctx(), 'p', (cur) => {
          const next = structuredClone(cur!) as Obj;
          change(next);
          return next as KubeObject;
        });
      const { object } = await update((p) => {
        p.spec.containers[0].image = 'nginx:1.28';
        p.spec.activeDeadlineSeconds = 60;
        p.spec.tolerations = [{ key: 'k', operator: 'Exists' }];
      });
      expect((object as Obj).spec.containers[0].image).toBe('nginx:1.28');
      const e = await failure(update((p) => (p.spec.containers[0].ports = [{ containerPort: 8080 }])));
      expect(e.status.code).toBe(422);
      expect(e.message).toMatch(
        /^Pod "p" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`,`spec.initContainers\[\*\].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` \(only additions to existing tolerations\),`spec.terminationGracePeriodSeconds` \(allow it to be set to 1 if it was previously negative\)\n {2}core.PodSpec\{/,
      );
      expect((await failure(update((p) => (p.spec.tolerations = [])))).message).toContain(
        'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
      );
      expect((await failure(update((p) => (p.spec.containers = [...p.spec.containers, { name: 'b', image: 'x' }])))).message).toBe(
        'Pod "p" is invalid: spec.containers: Forbidden: pod updates may not add or remove containers',
      );
      expect((await failure(update((p) => (p.spec.activeDeadlineSeconds = 120)))).message).toBe(
        'Pod "p" is invalid: spec.activeDeadlineSeconds: Invalid value: 120: must be less than or equal to previous value',
      );
    });

    it('keeps status on the main resource and everything but status on /status', async () => {
      const store = await storeFor('pods');
      await store.create(ctx(), pod('s'));
      const { object: main } = await store.update(ctx(), 's', (cur) => ({ ...cur!, status: { phase: 'Running' } }));
      expect((main as Obj).status.phase).toBe('Pending');
      const { object: st } = await store.update(ctx({ subresource: 'status' }), 's', (cur) => {
        const next = structuredClone(cur!) as Obj;
        next.status = { phase: 'Running', podIPs: [{ ip: '10.1.2.3' }] };
        next.spec.containers[0].image = 'changed';
        return next as KubeObject;
      });
      expect((st as Obj).status).toEqual({ phase: 'Running', podIPs: [{ ip: '10.1.2.3' }], qosClass: 'BestEffort' });
      expect((st as Obj).spec.containers[0].image).toBe('nginx:1.27');
      const e = await failure(
        store.update(ctx({ subresource: 'status' }), 's', (cur) => ({
          ...cur!,
          status: { ...(cur!.status as Obj), qosClass: 'Guaranteed' },
        })),
      );
      expect(e.message).toBe('Pod "s" is invalid: status.qosClass: Invalid value: "Guaranteed": field is immutable');
    });

    it('adds ephemeral containers only through pods/ephemeralcontainers', async () => {
      const store = await storeFor('pods');
      await store.create(ctx(), pod('dbg'));
      const ec = { name: 'debugger', image: 'busybox', targetContainerName: 'app' };
      const e = await failure(store.create(ctx(), pod('dbg2', { ephemeralContainers: [ec] })));
      expect(e.message).toBe('Pod "dbg2" is invalid: spec.ephemeralContainers: Forbidden: cannot be set on create');
      const { object } = await store.update(ctx({ subresource: 'ephemeralcontainers' }), 'dbg', (cur) => {
        const next = structuredClone(cur!) as Obj;
        next.spec.ephemeralContainers = [ec];
        next.metadata.labels = { ignored: 'yes' };
        return next as KubeObject;
      });
      expect((object as Obj).spec.ephemeralContainers).toEqual([
        {
          ...ec,
          imagePullPolicy: 'Always',
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ]);
      expect((object as Obj).metadata.labels).toBeUndefined();
      const removed = await failure(
        store.update(ctx({ subresource: 'ephemeralcontainers' }), 'dbg', (cur) => {
          const next = structuredClone(cur!) as Obj;
          next.spec.ephemeralContainers = [];
          return next as KubeObject;
        }),
      );
      expect(removed.message).toContain('spec.ephemeralContainers: Forbidden: existing ephemeral containers "debugger" may not be removed');
    });
  });

  describe('Pod deletion, selection, printing', () => {
    it('deletes unscheduled pods at once and marks scheduled ones with their grace period', async () => {
      const store = await storeFor('pods');
      await store.create(ctx(), pod('pending'));
      expect((await store.delete(ctx(), 'pending', {})).immediate).toBe(true);
      await store.create(ctx(), pod('bound', { nodeName: 'node-1' }));
      const marked = await store.delete(ctx(), 'bound', {});
      expect(marked.immediate).toBe(false);
      const m = marked.object.metadata!;
      expect(m.deletionGracePeriodSeconds).toBe(30);
      const left = Date.parse(m.deletionTimestamp!) - Date.now();
      expect(left).toBeGreaterThan(25_000);
      // Updates while the period runs keep it (ShouldDeleteDuringUpdate needs a zero grace period).
      await store.update(ctx({ subresource: 'status' }), 'bound', (cur) => ({
        ...cur!,
        status: { ...(cur!.status as Obj), phase: 'Running' },
      }));
      expect((await store.get(ctx(), 'bound')).metadata!.deletionTimestamp).toBe(m.deletionTimestamp);
      // A longer or equal period changes nothing; a shorter one moves the timestamp; 0 deletes.
      expect((await store.delete(ctx(), 'bound', { gracePeriodSeconds: 60 })).object.metadata!.deletionGracePeriodSeconds).toBe(30);
      expect((await store.delete(ctx(), 'bound', { gracePeriodSeconds: 5 })).object.metadata!.deletionGracePeriodSeconds).toBe(5);
      expect((await store.delete(ctx(), 'bound', { gracePeriodSeconds: 0 })).immediate).toBe(true);
      await failure(store.get(ctx(), 'bound'));
    });

    it('answers the field selectors kube registers for pods', async () => {
      const store = await storeFor('pods');
      await store.create(ctx(), pod('a', { nodeName: 'n1' }));
      await store.create(ctx(), pod('b', { restartPolicy: 'Never' }));
      const lister = stores.listers[0];
      const names = async (fieldSelector: string) =>
        (await lister.list({ namespace: 'default', fieldSelector })).items.map((p) => p.metadata!.name);
      expect(await names('status.phase=Pending')).toEqual(['a', 'b']);
      expect(await names('spec.nodeName=n1')).toEqual(['a']);
      expect(await names('spec.host=n1')).toEqual(['a']);
      expect(await names('spec.restartPolicy=Never,spec.schedulerName=default-scheduler')).toEqual(['b']);
      expect(await names('spec.nodeName=')).toEqual(['b']);
      expect(await names('spec.hostNetwork=false')).toEqual(['a', 'b']);
      await expect(lister.list({ namespace: 'default', fieldSelector: 'spec.foo=x' })).rejects.toThrow(
        'field label not supported: spec.foo',
      );
    });

    it('prints pods as printPod does', () => {
      const s = row('pods').strategy;
      expect(s.tableColumns!.map((c) => `${c.name}/${c.priority}`)).toEqual([
        'Name/0',
        'Ready/0',
        'Status/0',
        'Restarts/0',
        'Age/0',
        'IP/1',
        'Node/1',
        'Nominated Node/1',
        'Readiness Gates/1',
      ]);
      const created = new Date(Date.now() - 65_000).toISOString();
      const base = { metadata: { name: 'p', creationTimestamp: created }, spec: { containers: [{ name: 'a' }, { name: 'b' }] } };
      expect(s.tableRow!({ ...base, status: { phase: 'Pending' } })).toEqual([
        'p',
        '0/2',
        'Pending',
        '0',
        '65s',
        '<none>',
        '<none>',
        '<none>',
        '<none>',
      ]);
      const running = {
        ...base,
        spec: { ...base.spec, nodeName: 'n1', readinessGates: [{ conditionType: 'x/ready' }] },
        status: {
          phase: 'Running',
          podIPs: [{ ip: '10.0.0.7' }],
          conditions: [{ type: 'x/ready', status: 'True' }],
          containerStatuses: [
            { name: 'a', ready: true, restartCount: 2, state: { running: {} } },
            { name: 'b', ready: false, restartCount: 0, state: { waiting: { reason: 'CrashLoopBackOff' } } },
          ],
        },
      };
      expect(s.tableRow!(running)).toEqual(['p', '1/2', 'CrashLoopBackOff', '2', '65s', '10.0.0.7', 'n1', '<none>', '1/1']);
      const deleting = { ...running, metadata: { ...running.metadata, deletionTimestamp: created } };
      expect(s.tableRow!(deleting)[2]).toBe('Terminating');
      const init = {
        ...base,
        spec: { ...base.spec, initContainers: [{ name: 'i' }] },
        status: { phase: 'Pending', initContainerStatuses: [{ name: 'i', state: { waiting: {} } }] },
      };
      expect(s.tableRow!(init)[2]).toBe('Init:0/1');
    });
  });

  describe('pods subresources', () => {
    it('binds a pod to a node once (pods/binding)', async () => {
      const store = await storeFor('pods');
      await store.create(ctx(), pod('b1'));
      const binding = sub('binding');
      if (binding.handler !== 'create') throw new Error('binding is a created subresource');
      const body = {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: 'b1' },
        target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' },
      };
      expect(await binding.create(call(store, 'b1'), structuredClone(body))).toMatchObject({ kind: 'Status', status: 'Success' });
      const bound = (await store.get(ctx(), 'b1')) as Obj;
      expect(bound.spec.nodeName).toBe('node-1');
      expect(bound.status.conditions).toEqual([
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: expect.any(String) },
      ]);
      const again = await failure(binding.create(call(store, 'b1'), structuredClone(body)));
      expect(again.status.code).toBe(409);
      expect(again.message).toBe('Operation cannot be fulfilled on pods/binding "b1": pod b1 is already assigned to node "node-1"');
      const mismatch = await failure(binding.create(call(store, 'other'), structuredClone(body)));
      expect(mismatch.message).toBe('name in URL does not match name in Binding object');
      const noTarget = await failure(binding.create(call(store, 'b1'), { metadata: { name: 'b1' }, target: {} }));
      expect([noTarget.status.code, noTarget.message]).toEqual([500, 'target.name: Required value']);
    });

    it("evicts pending pods at once and asks a running pod's disruption budget (pods/eviction)", async () => {
      const store = await storeFor('pods');
      const pdbs = await storeFor('poddisruptionbudgets');
      const eviction = sub('eviction');
      if (eviction.handler !== 'create') throw new Error('eviction is a created subresource');
      const evict = (name: string) => eviction.create(call(store, name), { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name } });
      await store.create(ctx(), pod('pending', {}, { labels: { app: 'web' } }));
      await expect(evict('pending')).resolves.toMatchObject({ status: 'Success' });
      await failure(store.get(ctx(), 'pending'));

      await store.create(ctx(), pod('running', {}, { labels: { app: 'web' } }));
      await store.update(ctx({ subresource: 'status' }), 'running', (cur) => ({
        ...cur!,
        status: { ...(cur!.status as Obj), phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      }));
      await pdbs.create(ctx(), {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'web' },
        spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
      });
      // No disruption controller has observed the budget yet (envtest): kube answers 429 with a retry.
      let e = await failure(evict('running'));
      expect([e.status.code, e.status.reason, e.message]).toEqual([
        429,
        'TooManyRequests',
        "Cannot evict pod as it would violate the pod's disruption budget.",
      ]);
      expect(e.status.details).toEqual({
        retryAfterSeconds: 10,
        causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web is still being processed by the server.' }],
      });
      // Observed, no disruption allowed.
      await pdbs.update(ctx({ subresource: 'status' }), 'web', (cur) => ({
        ...cur!,
        status: { observedGeneration: 1, disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 },
      }));
      e = await failure(evict('running'));
      expect(e.status.code).toBe(429);
      expect(e.status.details?.causes).toEqual([
        { reason: 'DisruptionBudget', message: 'The disruption budget web needs 1 healthy pods and has 1 currently' },
      ]);
      // One disruption allowed: the pod goes and the budget records it.
      await pdbs.update(ctx({ subresource: 'status' }), 'web', (cur) => ({
        ...cur!,
        status: { observedGeneration: 1, disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 },
      }));
      await expect(evict('running')).resolves.toMatchObject({ status: 'Success' });
      const pdb = (await pdbs.get(ctx(), 'web')) as Obj;
      expect(pdb.status.disruptionsAllowed).toBe(0);
      expect(Object.keys(pdb.status.disruptedPods)).toEqual(['running']);
    });

    it('answers log, exec and portforward as kube-apiserver does without a kubelet', async () => {
      const store = await storeFor('pods');
      await store.create(ctx(), pod('solo'));
      await store.create(
        ctx(),
        pod('two', {
          containers: [
            { name: 'a', image: 'x' },
            { name: 'b', image: 'y' },
          ],
        }),
      );
      await store.create(ctx(), pod('bound', { nodeName: 'node-x' }));
      const connect = (name: string, pod: string, query: Record<string, string> = {}) => {
        const s = sub(name);
        if (s.handler !== 'connect') throw new Error(`${name} is a connect subresource`);
        return s.connect(call(store, pod, query), 'get');
      };
      // An unscheduled pod's log is empty (no location to stream from).
      await expect(connect('log', 'solo')).resolves.toEqual({ contentType: 'text/plain', body: '' });
      expect((await failure(connect('log', 'two'))).message).toBe('a container name must be specified for pod two, choose one of: [a b]');
      expect((await failure(connect('log', 'solo', { container: 'nope' }))).message).toBe('container nope is not valid for pod solo');
      const bad = await failure(connect('log', 'solo', { tailLines: '-1' }));
      expect([bad.status.code, bad.message]).toEqual([
        422,
        'PodLogOptions "solo" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0',
      ]);
      const nodeless = await failure(connect('log', 'bound'));
      expect([nodeless.status.code, nodeless.message]).toEqual([404, 'nodes "node-x" not found']);
      const exec = await failure(connect('exec', 'solo', { command: 'ls' }));
      expect([exec.status.code, exec.status.reason, exec.message]).toEqual([400, 'BadRequest', 'pod solo does not have a host assigned']);
      expect((await failure(connect('portforward', 'solo'))).message).toBe('pod solo does not have a host assigned');
      expect((await failure(connect('proxy', 'solo'))).message).toBe('address not allowed');
    });
  });

  describe('PodTemplate', () => {
    it('defaults the template spec, bumps generation on template changes, validates under template.', async () => {
      const store = await storeFor('podtemplates');
      const created = (await store.create(ctx(), {
        apiVersion: 'v1',
        kind: 'PodTemplate',
        metadata: { name: 't' },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox:1' }] } },
      })) as Obj;
      expect(created.metadata.generation).toBe(1);
      expect(created.template.spec).toMatchObject({
        restartPolicy: 'Always',
        dnsPolicy: 'ClusterFirst',
        terminationGracePeriodSeconds: 30,
      });
      expect(created.template.spec.enableServiceLinks).toBeUndefined();
      expect(created.template.metadata).toEqual({ labels: { a: 'b' }, creationTimestamp: null });
      const { object } = await store.update(ctx(), 't', (cur) => {
        const next = structuredClone(cur!) as Obj;
        next.template.spec.containers[0].image = 'busybox:2';
        return next as KubeObject;
      });
      expect(object.metadata!.generation).toBe(2);
      const e = await failure(store.create(ctx(), { apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'bad' }, template: {} }));
      expect(e.message).toBe('PodTemplate "bad" is invalid: template.spec.containers: Required value');
      expect(row('podtemplates').strategy.tableRow!(created)).toEqual(['t', 'c', 'busybox:1', 'a=b']);
      expect(
        validatePodTemplateSpec(
          {
            spec: {
              containers: [{ name: 'c', image: 'x', imagePullPolicy: 'Always', terminationMessagePolicy: 'File' }],
              restartPolicy: 'Always',
              dnsPolicy: 'ClusterFirst',
              terminationGracePeriodSeconds: 30,
              ephemeralContainers: [{ name: 'e' }],
            },
          },
          'spec.template',
        ).map((x) => x.field),
      ).toContain('spec.template.spec.ephemeralContainers');
    });
  });

  describe('ReplicationController', () => {
    const rc = (spec: Obj = {}): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'rc' },
      spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }, ...spec },
    });

    it('defaults replicas, selector and labels from the template, status replicas 0, stored under /controllers', async () => {
      const store = await storeFor('replicationcontrollers');
      expect(row('replicationcontrollers').keyPrefix).toBe('/controllers');
      const out = (await store.create(ctx(), rc())) as Obj;
      expect(out.spec.replicas).toBe(1);
      expect(out.spec.selector).toEqual({ app: 'web' });
      expect(out.metadata.labels).toEqual({ app: 'web' });
      expect(out.metadata.generation).toBe(1);
      expect(out.status).toEqual({ replicas: 0 });
      expect(out.spec.template.spec).toMatchObject({ restartPolicy: 'Always', schedulerName: 'default-scheduler' });
      expect(out.spec.template.metadata.creationTimestamp).toBeNull();
      expect(row('replicationcontrollers').strategy.tableRow!(out).map(String)).toEqual([
        'rc',
        '1',
        '0',
        '0',
        expect.any(String),
        'c',
        'nginx',
        'app=web',
      ]);
    });

    it('refuses what ValidateReplicationController refuses', async () => {
      const store = await storeFor('replicationcontrollers');
      let e = await failure(store.create(ctx(), rc({ selector: { app: 'other' } })));
      expect(e.message).toBe(
        'ReplicationController "rc" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
      );
      e = await failure(
        store.create(
          ctx(),
          rc({
            template: { metadata: { labels: { app: 'web' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } },
          }),
        ),
      );
      expect(e.message).toBe(
        'ReplicationController "rc" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
      );
      e = await failure(
        store.create(ctx(), { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc' }, spec: { replicas: -1 } }),
      );
      expect(e.message).toBe(
        'ReplicationController "rc" is invalid: [spec.selector: Required value, spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.template: Required value]',
      );
    });
  });
});

describe('pod spec scheduling and security validation, pod warnings', () => {
  const stores = useRowStores();
  const storeFor = (resource: string): Promise<Store> => stores.storeFor(row(resource));
  const errorsOf = async (spec: Obj): Promise<string> => {
    const store = await storeFor('pods');
    return (await failure(store.create(ctx(), pod('p', spec)))).message;
  };

  it("validates affinity terms with kube's messages and paths", async () => {
    const na = 'spec.affinity.nodeAffinity';
    const msg = await errorsOf({
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: 'zone', operator: 'In' },
                  { key: 'disk', operator: 'Exists', values: ['ssd'] },
                  { key: 'cpu', operator: 'Gt', values: ['1', '2'] },
                  { key: 'bad key', operator: 'Near', values: ['a b'] },
                ],
                matchFields: [{ key: 'metadata.uid', operator: 'In', values: ['x'] }],
              },
            ],
          },
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 101, preference: { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] } },
          ],
        },
        podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'x' } } }] },
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 0,
              podAffinityTerm: {
                topologyKey: 'zone',
                labelSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] },
              },
            },
          ],
        },
      },
    });
    const term = `${na}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]`;
    for (const part of [
      `${term}.matchExpressions[0].values: Required value: must be specified when \`operator\` is 'In' or 'NotIn'`,
      `${term}.matchExpressions[1].values: Forbidden: may not be specified when \`operator\` is 'Exists' or 'DoesNotExist'`,
      `${term}.matchExpressions[2].values: Required value: must be specified single value when \`operator\` is 'Lt' or 'Gt'`,
      `${term}.matchExpressions[3].operator: Invalid value: "Near": not a valid selector operator`,
      `${term}.matchExpressions[3].key: Invalid value: "bad key": name part must consist of alphanumeric characters`,
      `${term}.matchExpressions[3].values[0]: Invalid value: "a b": a valid label must be an empty string or consist of alphanumeric characters`,
      `${term}.matchFields[0].key: Invalid value: "metadata.uid": not a valid field selector key`,
      `${na}.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 101: must be in the range 1-100`,
      'spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty',
      'spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100',
      "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    ]) {
      expect(msg).toContain(part);
    }
    expect(
      await errorsOf({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } }),
    ).toBe(
      'Pod "p" is invalid: spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term',
    );
  });

  it("validates pod and container security contexts with kube's messages", async () => {
    const msg = await errorsOf({
      securityContext: {
        runAsUser: -1,
        fsGroup: -2,
        sysctls: [{ name: 'net.core.somaxconn', value: '1' }, { name: 'Bad!' }, { name: 'net.core.somaxconn' }],
        seccompProfile: { type: 'Localhost' },
        appArmorProfile: { type: 'RuntimeDefault', localhostProfile: 'p' },
      },
      containers: [
        {
          name: 'app',
          image: 'x',
          securityContext: {
            runAsGroup: -1,
            procMount: 'Unmasked',
            seccompProfile: { type: 'Custom' },
            appArmorProfile: { type: 'Localhost' },
            allowPrivilegeEscalation: false,
            privileged: true,
          },
        },
      ],
    });
    const sc = 'spec.securityContext';
    const csc = 'spec.containers[0].securityContext';
    for (const part of [
      `${sc}.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive`,
      `${sc}.fsGroup: Invalid value: -2: must be between 0 and 2147483647, inclusive`,
      `${sc}.sysctls[1].name: Invalid value: "Bad!": must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$`,
      `${sc}.sysctls[2].name: Duplicate value: "net.core.somaxconn"`,
      `${sc}.seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost`,
      `${sc}.appArmorProfile.localhostProfile: Invalid value: "p": can only be set when AppArmor type is Localhost`,
      `${csc}.runAsGroup: Invalid value: -1: must be between 0 and 2147483647, inclusive`,
      `${csc}.procMount: Invalid value: "Unmasked": \`hostUsers\` must be false to use \`Unmasked\``,
      `${csc}.seccompProfile.type: Unsupported value: "Custom": supported values: "Localhost", "RuntimeDefault", "Unconfined"`,
      `${csc}.appArmorProfile.localhostProfile: Required value: must be set when AppArmor type is Localhost`,
      'cannot set `allowPrivilegeEscalation` to false and `privileged` to true',
    ]) {
      expect(msg).toContain(part);
    }
    expect(await errorsOf({ hostNetwork: true, securityContext: { sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }] } })).toBe(
      `Pod "p" is invalid: ${sc}.sysctls[0].name: Invalid value: "net.ipv4.ip_forward": may not be specified when 'hostNetwork' is true`,
    );
  });

  it('validates topology spread constraints, reporting the first of a repeated pair', async () => {
    const ts = 'spec.topologySpreadConstraints';
    const sel = { labelSelector: { matchLabels: { app: 'x' } } };
    expect(
      await errorsOf({
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', ...sel },
          { maxSkew: 0, topologyKey: '', whenUnsatisfiable: 'Maybe', ...sel },
          { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', minDomains: 0, ...sel },
        ],
      }),
    ).toBe(
      `Pod "p" is invalid: [${ts}[0].{topologyKey, whenUnsatisfiable}: Duplicate value: "{zone, DoNotSchedule}", ` +
        `${ts}[1].maxSkew: Invalid value: 0: must be greater than zero, ${ts}[1].topologyKey: Required value: can not be empty, ` +
        `${ts}[1].whenUnsatisfiable: Unsupported value: "Maybe": supported values: "DoNotSchedule", "ScheduleAnyway", ` +
        `${ts}[2].minDomains: Invalid value: 0: must be greater than zero]`,
    );
  });

  it('returns GetWarningsForPod warnings on create and update, and none for an invalid pod', async () => {
    const store = await storeFor('pods');
    const c = ctx();
    await store.create(
      c,
      pod(
        'w',
        {
          nodeSelector: { 'beta.kubernetes.io/os': 'linux' },
          terminationGracePeriodSeconds: -5,
          imagePullSecrets: [{ name: '' }],
          volumes: [{ name: 'src', gitRepo: { repository: 'https://example.com/r.git' } }],
          containers: [
            {
              name: 'app',
              image: 'x',
              ports: [{ containerPort: 80 }, { containerPort: 80 }],
              resources: { requests: { memory: '100m' } },
            },
          ],
        },
        { annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default' } },
      ),
    );
    expect(c.warnings).toEqual([
      'spec.nodeSelector[beta.kubernetes.io/os]: deprecated since v1.14; use "kubernetes.io/os" instead',
      'spec.volumes[0].gitRepo: deprecated in v1.11',
      'spec.imagePullSecrets[0].name: invalid empty name ""',
      'metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: non-functional in v1.27+; use the "seccompProfile" field instead',
      'spec.containers[0].resources.requests[memory]: fractional byte value "100m" is invalid, must be an integer',
      'spec.containers[0].ports[1]: duplicate port definition with spec.containers[0].ports[0]',
      'spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1',
    ]);
    const u = ctx();
    await store.update(u, 'w', (cur) => {
      const next = structuredClone(cur!) as Obj;
      next.spec.containers[0].image = 'y';
      return next as KubeObject;
    });
    expect(u.warnings).toContain('spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1');
    const bad = ctx();
    await failure(store.create(bad, pod('bad', { nodeSelector: { 'beta.kubernetes.io/arch': 'amd64' }, containers: [] })));
    expect(bad.warnings).toEqual([]);
  });

  it('returns GetWarningsForPodTemplate warnings for workloads at their template path', async () => {
    const template = {
      metadata: { labels: { app: 'w' } },
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'failure-domain.beta.kubernetes.io/zone', operator: 'Exists' }] }],
            },
          },
        },
        containers: [{ name: 'app', image: 'x' }],
      },
    };
    const zone =
      'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key: failure-domain.beta.kubernetes.io/zone is deprecated since v1.17; use "topology.kubernetes.io/zone" instead';
    const deployments = await storeFor('deployments');
    const c = ctx();
    await deployments.create(c, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { selector: { matchLabels: { app: 'w' } }, template },
    } as KubeObject);
    expect(c.warnings).toEqual([`spec.template.spec.${zone}`]);
    const same = ctx();
    await deployments.update(same, 'web', (cur) => cur!);
    expect(same.warnings).toEqual([]);
    const changed = ctx();
    await deployments.update(changed, 'web', (cur) => {
      const next = structuredClone(cur!) as Obj;
      next.spec.template.spec.containers[0].image = 'y';
      return next as KubeObject;
    });
    expect(changed.warnings).toEqual([`spec.template.spec.${zone}`]);

    const cronjobs = await storeFor('cronjobs');
    const cj = ctx();
    await cronjobs.create(cj, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'cj' },
      spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { ...template.spec, restartPolicy: 'Never' } } } } },
    } as KubeObject);
    expect(cj.warnings).toEqual([`spec.jobTemplate.spec.template.spec.${zone}`]);
  });
});
