// The built-in tables' cells against kube's own printer tests (kubernetes/kubernetes
// pkg/printers/internalversion/printers_test.go): the same objects, fed through the catalog rows'
// strategies, give kube's cells. kube-apiserver's table convertor prints wide (GenerateOptions{Wide:
// true}), so rows carry the wide cells too; where kube's case is not wide, its leading cells are compared.
// Times are relative to now as kube's cases make them (`<unknown>` where they have none).

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KubeObject } from '../../src/server/api/types.js';
import { defaultTableRow } from '../../src/server/endpoints/tables/convertor.js';
import { BUILTIN_RESOURCES } from '../../src/server/registry/catalog.js';

/** The cells the catalog row of `resource` (in `group`) prints for `obj`. */
function cells(resource: string, obj: Record<string, unknown>, group = ''): unknown[] {
  const row = BUILTIN_RESOURCES.find((r) => r.descriptor.resource === resource && r.descriptor.group === group);
  if (!row?.strategy.tableRow) throw new Error(`no table for ${group}/${resource}`);
  return row.strategy.tableRow(obj as KubeObject);
}

// The cases' times are made when the tables are collected and printed when each case runs: the clock the
// printers read stays at the collection's instant, so a busy machine cannot turn `10s ago` into `11s ago`.
const NOW = Math.floor(Date.now() / 1000) * 1000;
beforeAll(() => {
  vi.useFakeTimers({ toFake: ['Date'], now: NOW });
});
afterAll(() => {
  vi.useRealTimers();
});

const ago = (ms: number): string => new Date(NOW - ms).toISOString().replace(/\.\d+Z$/, 'Z');
const SECOND = 1000;
/** kube's cases' `time.Now().Add(1.9e9)`: a creation time an instant ahead, printed `0s`. */
const justNow = (): string => new Date(NOW + SECOND).toISOString().replace(/\.\d+Z$/, 'Z');
const DAY = 86400 * SECOND;
const YEAR = 365 * DAY;

describe("kube's printers_test.go cases through our table rows", () => {
  describe('Pod (TestPrintPod): ready, status and restarts', () => {
    const pod = (name: string, spec: Record<string, unknown>, status: Record<string, unknown>) =>
      cells('pods', { metadata: { name }, spec, status }).slice(0, 5);
    const two = { containers: [{}, {}] };
    const running = { running: {} };
    it.each([
      [
        'test1',
        two,
        { phase: 'podPhase', containerStatuses: [{ ready: true, restartCount: 3, state: running }, { restartCount: 3 }] },
        ['test1', '1/2', 'podPhase', '6', '<unknown>'],
      ],
      [
        'test2',
        two,
        {
          phase: 'podPhase',
          containerStatuses: [
            { ready: true, restartCount: 3, state: running },
            { state: { waiting: { reason: 'ContainerWaitingReason' } }, restartCount: 3 },
          ],
        },
        ['test2', '1/2', 'ContainerWaitingReason', '6', '<unknown>'],
      ],
      [
        'test3',
        two,
        {
          phase: 'podPhase',
          containerStatuses: [
            { state: { waiting: { reason: 'ContainerWaitingReason' } }, restartCount: 3 },
            { state: { terminated: { reason: 'ContainerTerminatedReason' } }, restartCount: 3 },
          ],
        },
        ['test3', '0/2', 'ContainerWaitingReason', '6', '<unknown>'],
      ],
      [
        'test4',
        two,
        {
          phase: 'podPhase',
          containerStatuses: [
            { ready: true, restartCount: 3, state: running },
            { ready: true, restartCount: 3 },
          ],
        },
        ['test4', '1/2', 'podPhase', '6', '<unknown>'],
      ],
      [
        'test5',
        two,
        {
          reason: 'podReason',
          phase: 'podPhase',
          containerStatuses: [
            { ready: true, restartCount: 3, state: running },
            { ready: true, restartCount: 3 },
          ],
        },
        ['test5', '1/2', 'podReason', '6', '<unknown>'],
      ],
      [
        'test6',
        two,
        {
          phase: 'Running',
          containerStatuses: [
            { ready: true, restartCount: 3, state: { terminated: { reason: 'Completed', exitCode: 0 } } },
            { ready: true, restartCount: 3, state: running },
          ],
        },
        ['test6', '1/2', 'NotReady', '6', '<unknown>'],
      ],
      [
        'test6',
        two,
        {
          phase: 'Running',
          containerStatuses: [
            { ready: true, restartCount: 3, state: { terminated: { reason: 'Completed', exitCode: 0 } } },
            { ready: true, restartCount: 3, state: running },
          ],
          conditions: [{ type: 'Ready', status: 'True', lastProbeTime: ago(0) }],
        },
        ['test6', '1/2', 'Running', '6', '<unknown>'],
      ],
      [
        'test7',
        { initContainers: [{}], containers: [{}] },
        {
          phase: 'podPhase',
          initContainerStatuses: [
            { ready: false, restartCount: 3, state: running, lastState: { terminated: { finishedAt: ago(10 * SECOND) } } },
          ],
          containerStatuses: [{ ready: false, restartCount: 0, state: { waiting: {} } }],
        },
        ['test7', '0/1', 'Init:0/1', '3 (10s ago)', '<unknown>'],
      ],
      [
        'test8',
        { initContainers: [{}, {}], containers: [{}] },
        {
          phase: 'podPhase',
          initContainerStatuses: [
            { ready: false, restartCount: 3, state: running, lastState: { terminated: { finishedAt: ago(10 * SECOND) } } },
            { ready: false, state: { waiting: {} } },
          ],
          containerStatuses: [{ ready: false, state: { waiting: {} } }],
        },
        ['test8', '0/1', 'Init:0/2', '3 (10s ago)', '<unknown>'],
      ],
    ])('%s', (name, spec, status, expected) => {
      expect(pod(name, spec, status)).toEqual(expected);
    });
  });

  describe('Node (TestPrintNodeStatus, TestPrintNodeRole, wide cells)', () => {
    const wide = (extra: unknown[] = []) => ['<unknown>', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>', ...extra];
    it.each([
      ['foo1', {}, [{ type: 'Ready', status: 'True' }], 'Ready'],
      ['foo2', { unschedulable: true }, [{ type: 'Ready', status: 'True' }], 'Ready,SchedulingDisabled'],
      [
        'foo3',
        {},
        [
          { type: 'Ready', status: 'True' },
          { type: 'Ready', status: 'True' },
        ],
        'Ready',
      ],
      ['foo4', {}, [{ type: 'Ready', status: 'False' }], 'NotReady'],
      ['foo5', { unschedulable: true }, [{ type: 'Ready', status: 'False' }], 'NotReady,SchedulingDisabled'],
      ['foo6', {}, [{ type: 'InvalidValue', status: 'True' }], 'Unknown'],
      ['foo7', {}, [{}], 'Unknown'],
      ['foo8', { unschedulable: true }, [{ type: 'InvalidValue', status: 'True' }], 'Unknown,SchedulingDisabled'],
      ['foo9', { unschedulable: true }, [{}], 'Unknown,SchedulingDisabled'],
    ])('%s status', (name, spec, conditions, status) => {
      expect(cells('nodes', { metadata: { name }, spec, status: { conditions } })).toEqual([name, status, '<none>', ...wide()]);
    });
    it('roles from the node-role labels and kubernetes.io/role', () => {
      const labels = {
        'node-role.kubernetes.io/master': '',
        'node-role.kubernetes.io/control-plane': '',
        'node-role.kubernetes.io/proxy': '',
        'kubernetes.io/role': 'node',
      };
      expect(cells('nodes', { metadata: { name: 'foo10', labels } }).slice(0, 5)).toEqual([
        'foo10',
        'Unknown',
        'control-plane,master,node,proxy',
        '<unknown>',
        '',
      ]);
      expect(cells('nodes', { metadata: { name: 'foo11', labels: { 'kubernetes.io/role': 'node' } } }).slice(0, 3)).toEqual([
        'foo11',
        'Unknown',
        'node',
      ]);
    });
    it('internal and external IPs, OS image, kernel and runtime versions (wide)', () => {
      const addresses = [
        { type: 'ExternalIP', address: '2.2.2.2' },
        { type: 'InternalIP', address: '3.3.3.3' },
        { type: 'ExternalIP', address: '4.4.4.4' },
      ];
      expect(cells('nodes', { metadata: { name: 'foo3' }, status: { addresses } })).toEqual([
        'foo3',
        'Unknown',
        '<none>',
        '<unknown>',
        '',
        '3.3.3.3',
        '2.2.2.2',
        '<unknown>',
        '<unknown>',
        '<unknown>',
      ]);
      expect(
        cells('nodes', {
          metadata: { name: 'foo1' },
          status: {
            nodeInfo: { osImage: 'fake-os-image', containerRuntimeVersion: 'foo://1.2.3' },
            addresses: [{ type: 'ExternalIP', address: '1.1.1.1' }],
          },
        }),
      ).toEqual(['foo1', 'Unknown', '<none>', '<unknown>', '', '<none>', '1.1.1.1', 'fake-os-image', '<unknown>', 'foo://1.2.3']);
    });
  });

  describe('Service (TestPrintServiceLoadBalancer)', () => {
    const svc = (name: string, spec: Record<string, unknown>, ingress?: unknown[]) =>
      cells('services', { metadata: { name }, spec, status: { loadBalancer: ingress ? { ingress } : {} } });
    const three = [
      { port: 80, protocol: 'TCP' },
      { port: 8090, protocol: 'UDP' },
      { port: 8000, protocol: 'TCP' },
    ];
    it('load balancer with two ingress IPs', () => {
      expect(
        svc('service1', { clusterIPs: ['1.2.3.4'], type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] }, [
          { ip: '2.3.4.5' },
          { ip: '3.4.5.6' },
        ]),
      ).toEqual(['service1', 'LoadBalancer', '1.2.3.4', '2.3.4.5,3.4.5.6', '80/TCP', '<unknown>', '<none>']);
    });
    it('load balancer pending, four ports', () => {
      expect(
        svc('service2', { clusterIPs: ['1.3.4.5'], type: 'LoadBalancer', ports: [...three, { port: 7777, protocol: 'SCTP' }] }),
      ).toEqual(['service2', 'LoadBalancer', '1.3.4.5', '<pending>', '80/TCP,8090/UDP,8000/TCP,7777/SCTP', '<unknown>', '<none>']);
    });
    it('long external IP list (wide: all of it) and the selector', () => {
      expect(
        svc('service4', { clusterIPs: ['1.5.6.7'], type: 'LoadBalancer', ports: three, selector: { foo: 'bar' } }, [
          { ip: '2.3.4.5' },
          { ip: '3.4.5.6' },
          { ip: '5.6.7.8', hostname: 'host5678' },
        ]),
      ).toEqual(['service4', 'LoadBalancer', '1.5.6.7', '2.3.4.5,3.4.5.6,5.6.7.8', '80/TCP,8090/UDP,8000/TCP', '<unknown>', 'foo=bar']);
    });
  });

  it('Ingress (TestPrintIngress)', () => {
    expect(
      cells(
        'ingresses',
        {
          metadata: { name: 'test1', creationTimestamp: ago(10 * YEAR) },
          spec: {
            ingressClassName: 'foo',
            defaultBackend: { service: { name: 'default-backend', port: { name: 'default-backend', number: 80 } } },
          },
          status: { loadBalancer: { ingress: [{ ip: '2.3.4.5', hostname: 'localhost.localdomain' }] } },
        },
        'networking.k8s.io',
      ),
    ).toEqual(['test1', 'foo', '*', '2.3.4.5', '80', '10y']);
  });

  describe('Event (TestPrintEvent, wide)', () => {
    const involved = { kind: 'Deployment', name: 'Deployment Name', fieldPath: 'spec.containers{foo}' };
    const base = { involvedObject: involved, reason: 'Event Reason', message: 'Message Data', type: 'Warning' };
    const event = (o: Record<string, unknown>) => cells('events', { ...base, ...o });
    const row = (last: string, source: string, first: string, count: number, name: string) => [
      last,
      'Warning',
      'Event Reason',
      'deployment/Deployment Name',
      'spec.containers{foo}',
      source,
      'Message Data',
      first,
      count,
      name,
    ];
    it('first and last timestamps, source component and host', () => {
      expect(
        event({
          metadata: { name: 'event2' },
          source: { component: 'kubelet', host: 'Node1' },
          firstTimestamp: ago(3 * DAY),
          lastTimestamp: ago(2 * DAY),
          count: 6,
        }),
      ).toEqual(row('2d', 'kubelet, Node1', '3d', 6, 'event2'));
    });
    it('no first timestamp: the event time', () => {
      expect(
        event({
          metadata: { name: 'event3' },
          source: { component: 'kubelet', host: 'Node1' },
          eventTime: ago(3 * DAY).replace('Z', '.000000Z'),
          lastTimestamp: ago(3 * DAY),
          count: 1,
        }),
      ).toEqual(row('3d', 'kubelet, Node1', '3d', 1, 'event3'));
    });
    it('a series: its count and last observed time', () => {
      expect(
        event({
          metadata: { name: 'event6' },
          source: { component: 'kubelet', host: 'Node1' },
          series: { count: 2, lastObservedTime: ago(2 * DAY).replace('Z', '.000000Z') },
          eventTime: ago(3 * DAY).replace('Z', '.000000Z'),
        }),
      ).toEqual(row('2d', 'kubelet, Node1', '3d', 2, 'event6'));
    });
    it('singleton without timestamps or count', () => {
      expect(
        event({
          metadata: { name: 'event7' },
          source: { component: 'kubelet', host: 'Node1' },
          eventTime: ago(3 * DAY).replace('Z', '.000000Z'),
        }),
      ).toEqual(row('3d', 'kubelet, Node1', '3d', 1, 'event7'));
    });
    it('empty source: the reporting controller and instance', () => {
      expect(
        event({
          metadata: { name: 'event2' },
          reportingComponent: 'kubelet',
          reportingInstance: 'test',
          firstTimestamp: ago(3 * DAY),
          lastTimestamp: ago(2 * DAY),
          count: 6,
        }),
      ).toEqual(row('2d', 'kubelet, test', '3d', 6, 'event2'));
    });
  });

  describe('Service (TestPrintService, wide)', () => {
    const svc = (name: string, spec: Record<string, unknown>, ingress?: unknown[]) =>
      cells('services', { metadata: { name }, spec, status: { loadBalancer: ingress ? { ingress } : {} } });
    it.each([
      [
        'test1',
        { type: 'ClusterIP', ports: [{ protocol: 'tcp', port: 2233 }], clusterIPs: ['10.9.8.7'], selector: { foo: 'bar' } },
        undefined,
        ['ClusterIP', '10.9.8.7', '<none>', '2233/tcp', '<unknown>', 'foo=bar'],
      ],
      [
        'test2',
        { type: 'NodePort', ports: [{ protocol: 'tcp', port: 8888, nodePort: 9999 }], clusterIPs: ['10.9.8.7'] },
        undefined,
        ['NodePort', '10.9.8.7', '<none>', '8888:9999/tcp', '<unknown>', '<none>'],
      ],
      [
        'test3',
        { type: 'LoadBalancer', ports: [{ protocol: 'tcp', port: 8888 }], clusterIPs: ['10.9.8.7'] },
        undefined,
        ['LoadBalancer', '10.9.8.7', '<pending>', '8888/tcp', '<unknown>', '<none>'],
      ],
      [
        'test4',
        { type: 'LoadBalancer', ports: [{ protocol: 'tcp', port: 8888 }], clusterIPs: ['10.9.8.7'], externalIPs: ['80.11.12.10'] },
        undefined,
        ['LoadBalancer', '10.9.8.7', '80.11.12.10', '8888/tcp', '<unknown>', '<none>'],
      ],
      [
        'test5',
        { type: 'LoadBalancer', ports: [{ protocol: 'tcp', port: 8888 }], clusterIPs: ['10.9.8.7'], externalIPs: ['80.11.12.10'] },
        [{ ip: '3.4.5.6', hostname: 'test.cluster.com' }],
        ['LoadBalancer', '10.9.8.7', '3.4.5.6,80.11.12.10', '8888/tcp', '<unknown>', '<none>'],
      ],
      [
        'test6',
        {
          type: 'LoadBalancer',
          ports: [{ protocol: 'tcp', port: 8888 }],
          clusterIPs: ['10.9.8.7'],
          externalIPs: ['80.11.12.10', '80.11.12.11'],
        },
        [
          { ip: '2.3.4.5', hostname: 'test.cluster.local' },
          { ip: '3.4.5.6', hostname: 'test.cluster.com' },
        ],
        ['LoadBalancer', '10.9.8.7', '2.3.4.5,3.4.5.6,80.11.12.10,80.11.12.11', '8888/tcp', '<unknown>', '<none>'],
      ],
      [
        'test7',
        { type: 'ExternalName', externalName: 'my.database.example.com' },
        undefined,
        ['ExternalName', '<none>', 'my.database.example.com', '<none>', '<unknown>', '<none>'],
      ],
    ])('%s', (name, spec, ingress, expected) => {
      expect(svc(name, spec, ingress)).toEqual([name, ...expected]);
    });
  });

  describe('HorizontalPodAutoscaler (TestPrintHPA): targets', () => {
    const rc = { name: 'some-rc', kind: 'ReplicationController' };
    const hpa = (spec: Record<string, unknown>, currentMetrics?: unknown[]) =>
      cells(
        'horizontalpodautoscalers',
        {
          metadata: { name: 'some-hpa' },
          spec: { scaleTargetRef: rc, maxReplicas: 10, ...spec },
          status: { currentReplicas: 4, desiredReplicas: 5, currentMetrics },
        },
        'autoscaling',
      );
    const row = (targets: string, min = '2') => ['some-hpa', 'ReplicationController/some-rc', targets, min, 10, 4, '<unknown>'];
    const selector = { matchLabels: { label: 'value' } };
    const external = (target: Record<string, unknown>) => ({
      type: 'External',
      external: { metric: { name: 'some-external-metric', selector }, target },
    });
    const cpu = (target: Record<string, unknown>) => ({ type: 'Resource', resource: { name: 'cpu', target } });
    const cpuNow = (current: Record<string, unknown>) => ({ type: 'Resource', resource: { name: 'cpu', current } });
    it('minReplicas unset', () => expect(hpa({})).toEqual(row('<none>', '<unset>')));
    it('external, average value, no current', () =>
      expect(hpa({ minReplicas: 2, metrics: [external({ type: 'AverageValue', averageValue: '100m' })] })).toEqual(
        row('<unknown>/100m (avg)'),
      ));
    it('external, average value', () =>
      expect(
        hpa({ minReplicas: 2, metrics: [external({ type: 'AverageValue', averageValue: '100m' })] }, [
          { type: 'External', external: { metric: { name: 'some-external-metric', selector }, current: { averageValue: '50m' } } },
        ]),
      ).toEqual(row('50m/100m (avg)')));
    it('external, value', () =>
      expect(
        hpa({ minReplicas: 2, metrics: [external({ type: 'Value', value: '100m' })] }, [
          { type: 'External', external: { metric: { name: 'some-external-metric' }, current: { value: '50m' } } },
        ]),
      ).toEqual(row('50m/100m')));
    it('resource, utilization, no current', () =>
      expect(hpa({ minReplicas: 2, metrics: [cpu({ type: 'Utilization', averageUtilization: 80 })] })).toEqual(row('cpu: <unknown>/80%')));
    it('resource, utilization', () =>
      expect(
        hpa({ minReplicas: 2, metrics: [cpu({ type: 'Utilization', averageUtilization: 80 })] }, [
          cpuNow({ averageUtilization: 50, averageValue: '40m' }),
        ]),
      ).toEqual(row('cpu: 50%/80%')));
    it('container resource, average value', () =>
      expect(
        hpa(
          {
            minReplicas: 2,
            metrics: [
              {
                type: 'ContainerResource',
                containerResource: { name: 'cpu', container: 'application', target: { type: 'AverageValue', averageValue: '100m' } },
              },
            ],
          },
          [{ type: 'ContainerResource', containerResource: { name: 'cpu', container: 'application', current: { averageValue: '50m' } } }],
        ),
      ).toEqual(row('cpu: 50m/100m')));
    it('three metrics: two then "+ 1 more..."', () => {
      const pods = (name: string, averageValue: string) => ({
        type: 'Pods',
        pods: { metric: { name }, target: { type: 'AverageValue', averageValue } },
      });
      expect(
        hpa(
          {
            minReplicas: 2,
            metrics: [
              pods('some-pods-metric', '100m'),
              cpu({ type: 'Utilization', averageUtilization: 80 }),
              pods('other-pods-metric', '400m'),
            ],
          },
          [
            { type: 'Pods', pods: { metric: { name: 'some-pods-metric' }, current: { averageValue: '50m' } } },
            cpuNow({ averageUtilization: 50, averageValue: '40m' }),
          ],
        ),
      ).toEqual(row('50m/100m, cpu: 50%/80% + 1 more...'));
    });
  });

  it('PodDisruptionBudget (TestPrintPodDisruptionBudget)', () => {
    const pdb = (name: string, spec: Record<string, unknown>) =>
      cells('poddisruptionbudgets', { metadata: { name, namespace: 'ns1' }, spec, status: { disruptionsAllowed: 5 } }, 'policy');
    expect(pdb('pdb1', { minAvailable: 22 })).toEqual(['pdb1', '22', 'N/A', 5, '<unknown>']);
    expect(pdb('pdb2', { maxUnavailable: 11 })).toEqual(['pdb2', 'N/A', '11', 5, '<unknown>']);
  });

  it('RoleBinding (TestPrintRoleBinding, wide)', () => {
    expect(
      cells(
        'rolebindings',
        {
          metadata: { name: 'binding2' },
          subjects: [
            { kind: 'User', name: 'user-name' },
            { kind: 'Group', name: 'group-name' },
            { kind: 'ServiceAccount', name: 'service-account-name', namespace: 'service-account-namespace' },
          ],
          roleRef: { kind: 'Role', name: 'role-name' },
        },
        'rbac.authorization.k8s.io',
      ),
    ).toEqual(['binding2', 'Role/role-name', '<unknown>', 'user-name', 'group-name', 'service-account-namespace/service-account-name']);
  });

  const template = {
    spec: {
      containers: [
        { name: 'fake-container1', image: 'fake-image1' },
        { name: 'fake-container2', image: 'fake-image2' },
      ],
    },
  };

  it('Deployment (TestPrintDeployment, wide)', () => {
    expect(
      cells(
        'deployments',
        {
          metadata: { name: 'test1', creationTimestamp: justNow() },
          spec: { replicas: 5, template, selector: { matchLabels: { foo: 'bar' } } },
          status: { replicas: 10, updatedReplicas: 2, availableReplicas: 1, unavailableReplicas: 4 },
        },
        'apps',
      ),
    ).toEqual(['test1', '0/5', 2, 1, '0s', 'fake-container1,fake-container2', 'fake-image1,fake-image2', 'foo=bar']);
  });

  it('DaemonSet (TestPrintDaemonSet, wide)', () => {
    expect(
      cells(
        'daemonsets',
        {
          metadata: { name: 'test1', creationTimestamp: justNow() },
          spec: { template, selector: { matchLabels: { foo: 'bar' } } },
          status: { currentNumberScheduled: 2, desiredNumberScheduled: 3, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 0 },
        },
        'apps',
      ),
    ).toEqual(['test1', 3, 2, 1, 2, 0, '<none>', '0s', 'fake-container1,fake-container2', 'fake-image1,fake-image2', 'foo=bar']);
  });

  describe('Job (TestPrintJob): status, completions, duration', () => {
    const job = (
      name: string,
      o: { created?: string; deleted?: string; spec?: Record<string, unknown>; status?: Record<string, unknown> },
    ) =>
      cells(
        'jobs',
        {
          metadata: { name, creationTimestamp: o.created ?? justNow(), ...(o.deleted ? { deletionTimestamp: o.deleted } : {}) },
          spec: o.spec ?? {},
          status: o.status ?? {},
        },
        'batch',
      ).slice(0, 5);
    const MINUTE = 60 * SECOND;
    const inMinutes = (m: number) => new Date(Date.now() + m * MINUTE).toISOString().replace(/\.\d+Z$/, 'Z');
    it('wide: containers, images, selector', () => {
      expect(
        cells(
          'jobs',
          {
            metadata: { name: 'job1', creationTimestamp: justNow() },
            spec: { completions: 2, template, selector: { matchLabels: { 'job-label': 'job-label-value' } } },
            status: { succeeded: 1 },
          },
          'batch',
        ),
      ).toEqual([
        'job1',
        'Running',
        '1/2',
        '',
        '0s',
        'fake-container1,fake-container2',
        'fake-image1,fake-image2',
        'job-label=job-label-value',
      ]);
    });
    it.each([
      ['job2', { created: ago(10 * YEAR + DAY) }, ['job2', 'Running', '0/1', '', '10y']],
      [
        'job3',
        { created: ago(10 * YEAR), status: { startTime: inMinutes(1), completionTime: inMinutes(31) } },
        ['job3', 'Running', '0/1', '30m', '10y'],
      ],
      ['job4', { created: ago(10 * YEAR), status: { startTime: ago(20 * MINUTE) } }, ['job4', 'Running', '0/1', '20m', '10y']],
      ['job5', { status: { conditions: [{ type: 'Complete', status: 'True' }] } }, ['job5', 'Complete', '0/1', '', '0s']],
      ['job6', { status: { conditions: [{ type: 'Failed', status: 'True' }] } }, ['job6', 'Failed', '0/1', '', '0s']],
      ['job7', { status: { conditions: [{ type: 'Suspended', status: 'True' }] } }, ['job7', 'Suspended', '0/1', '', '0s']],
      ['job8', { status: { conditions: [{ type: 'FailureTarget', status: 'True' }] } }, ['job8', 'FailureTarget', '0/1', '', '0s']],
      ['job9', { deleted: ago(0) }, ['job9', 'Terminating', '0/1', '', '0s']],
    ])('%s', (name, o, expected) => {
      expect(job(name, o)).toEqual(expected);
    });
  });

  it('ReplicaSet (TestPrintReplicaSet, wide)', () => {
    expect(
      cells(
        'replicasets',
        {
          metadata: { name: 'test1', creationTimestamp: justNow() },
          spec: { replicas: 5, template, selector: { matchLabels: { foo: 'bar' } } },
          status: { replicas: 5, readyReplicas: 2 },
        },
        'apps',
      ),
    ).toEqual(['test1', 5, 5, 2, '0s', 'fake-container1,fake-container2', 'fake-image1,fake-image2', 'foo=bar']);
  });

  it('ReplicationController (TestPrintReplicationController, wide)', () => {
    expect(
      cells('replicationcontrollers', {
        metadata: { name: 'rc1' },
        spec: {
          replicas: 5,
          selector: { a: 'b' },
          template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'test', image: 'test_image' }] } },
        },
        status: { replicas: 3, readyReplicas: 1 },
      }),
    ).toEqual(['rc1', 5, 3, 1, '<unknown>', 'test', 'test_image', 'a=b']);
  });

  it('StatefulSet (TestPrintStatefulSet, wide)', () => {
    expect(
      cells(
        'statefulsets',
        {
          metadata: { name: 'test1', creationTimestamp: justNow() },
          spec: { replicas: 5, template },
          status: { replicas: 5, readyReplicas: 2 },
        },
        'apps',
      ),
    ).toEqual(['test1', '2/5', '0s', 'fake-container1,fake-container2', 'fake-image1,fake-image2']);
  });

  describe('CronJob (TestPrintCronJob)', () => {
    const jobTemplate = { spec: { completions: 2, template, selector: { matchLabels: { a: 'b' } } } };
    it('wide: containers, images, selector; last schedule and age', () => {
      expect(
        cells(
          'cronjobs',
          {
            metadata: { name: 'cronjob1', creationTimestamp: justNow() },
            spec: { schedule: '0/5 * * * ?', suspend: false, jobTemplate },
            status: { lastScheduleTime: justNow() },
          },
          'batch',
        ),
      ).toEqual([
        'cronjob1',
        '0/5 * * * ?',
        '<none>',
        'False',
        0,
        '0s',
        '0s',
        'fake-container1,fake-container2',
        'fake-image1,fake-image2',
        'a=b',
      ]);
    });
    it('time zone, last schedule 30s ago, age 5m', () => {
      expect(
        cells(
          'cronjobs',
          {
            metadata: { name: 'cronjob2', creationTimestamp: ago(300 * SECOND) },
            spec: { schedule: '0/5 * * * ?', timeZone: 'LOCAL', suspend: false },
            status: { lastScheduleTime: ago(30 * SECOND) },
          },
          'batch',
        ).slice(0, 7),
      ).toEqual(['cronjob2', '0/5 * * * ?', 'LOCAL', 'False', 0, '30s', '5m']);
    });
    it('never scheduled', () => {
      expect(
        cells(
          'cronjobs',
          {
            metadata: { name: 'cronjob3', creationTimestamp: ago(300 * SECOND) },
            spec: { schedule: '0/5 * * * ?', suspend: false },
            status: {},
          },
          'batch',
        ).slice(0, 7),
      ).toEqual(['cronjob3', '0/5 * * * ?', '<none>', 'False', 0, '<none>', '5m']);
    });
  });

  describe('PersistentVolume (TestPrintPersistentVolume)', () => {
    const claimRef = { name: 'test', namespace: 'default' };
    it.each([
      [
        'test1',
        { accessModes: ['ReadOnlyMany'], capacity: { storage: '4Gi' } },
        'Bound',
        ['test1', '4Gi', 'ROX', '', 'Bound', 'default/test', '', '<unset>', '', '<unknown>', '<unset>'],
      ],
      [
        'test3',
        { accessModes: ['ReadWriteMany'], capacity: { storage: '10Gi' } },
        'Pending',
        ['test3', '10Gi', 'RWX', '', 'Pending', 'default/test', '', '<unset>', '', '<unknown>', '<unset>'],
      ],
      [
        'test4',
        { storageClassName: 'my-scn', volumeAttributesClassName: 'my-vacn', accessModes: ['ReadWriteOnce'], capacity: { storage: '10Gi' } },
        'Pending',
        ['test4', '10Gi', 'RWO', '', 'Pending', 'default/test', 'my-scn', 'my-vacn', '', '<unknown>', '<unset>'],
      ],
      [
        'test6',
        { storageClassName: 'my-scn', accessModes: ['ReadWriteOnce'], capacity: { storage: '10Gi' } },
        'Released',
        ['test6', '10Gi', 'RWO', '', 'Released', 'default/test', 'my-scn', '<unset>', '', '<unknown>', '<unset>'],
      ],
    ])('%s', (name, spec, phase, expected) => {
      expect(cells('persistentvolumes', { metadata: { name }, spec: { claimRef, ...spec }, status: { phase } })).toEqual(expected);
    });
  });

  describe('PersistentVolumeClaim (TestPrintPersistentVolumeClaim)', () => {
    const status = (phase: string, mode: string, storage: string) => ({ phase, accessModes: [mode], capacity: { storage } });
    it.each([
      [
        'test1',
        { volumeName: 'my-volume', volumeMode: 'Filesystem' },
        status('Bound', 'ReadOnlyMany', '4Gi'),
        ['test1', 'Bound', 'my-volume', '4Gi', 'ROX', '', '<unset>', '<unknown>', 'Filesystem'],
      ],
      [
        'test2',
        { volumeMode: 'Filesystem' },
        status('Lost', 'ReadOnlyMany', '4Gi'),
        ['test2', 'Lost', '', '', '', '', '<unset>', '<unknown>', 'Filesystem'],
      ],
      [
        'test4',
        { volumeName: 'my-volume', storageClassName: 'my-scn', volumeMode: 'Filesystem' },
        status('Pending', 'ReadWriteOnce', '10Gi'),
        ['test4', 'Pending', 'my-volume', '10Gi', 'RWO', 'my-scn', '<unset>', '<unknown>', 'Filesystem'],
      ],
      [
        'test5',
        { volumeName: 'my-volume', storageClassName: 'my-scn', volumeAttributesClassName: 'my-vacn' },
        status('Pending', 'ReadWriteOnce', '10Gi'),
        ['test5', 'Pending', 'my-volume', '10Gi', 'RWO', 'my-scn', 'my-vacn', '<unknown>', '<unset>'],
      ],
    ])('%s', (name, spec, st, expected) => {
      expect(cells('persistentvolumeclaims', { metadata: { name }, spec, status: st })).toEqual(expected);
    });
  });

  describe('CertificateSigningRequest (TestPrintCertificateSigningRequest)', () => {
    const csr = (spec: Record<string, unknown>, status: Record<string, unknown>) =>
      cells(
        'certificatesigningrequests',
        { metadata: { name: 'csr2', creationTimestamp: justNow() }, spec, status },
        'certificates.k8s.io',
      );
    it('pending with nothing set', () => expect(csr({}, {})).toEqual(['csr2', '0s', '<none>', '', '<none>', 'Pending']));
    it('signer, requested duration, approved', () =>
      expect(
        csr(
          { username: 'CSR Requestor', signerName: 'example.com/test-signer', expirationSeconds: 7 * 86400 + 3600 },
          { conditions: [{ type: 'Approved' }] },
        ),
      ).toEqual(['csr2', '0s', 'example.com/test-signer', 'CSR Requestor', '7d1h', 'Approved']));
    it('approved and issued', () =>
      expect(csr({ username: 'CSR Requestor' }, { conditions: [{ type: 'Approved' }], certificate: 'Y2VydCBkYXRh' })).toEqual([
        'csr2',
        '0s',
        '<none>',
        'CSR Requestor',
        '<none>',
        'Approved,Issued',
      ]));
  });

  it('Role: no printer in kube (printers.go registers none), so the default table: name, creation time', () => {
    const row = BUILTIN_RESOURCES.find((r) => r.descriptor.resource === 'roles');
    expect(row?.strategy.tableRow).toBeUndefined();
    expect(defaultTableRow({ metadata: { name: 'r', creationTimestamp: '2024-01-02T03:04:05Z' } } as KubeObject)).toEqual([
      'r',
      '2024-01-02T03:04:05Z',
    ]);
  });
});
