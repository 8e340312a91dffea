// Simulated nodes, as kwok's stages give a cluster without kubelets: `--nodes N` Ready
// Nodes (`kapi-node-1`...), a scheduler binding each unscheduled pod (default scheduler)
// through pods/binding to the node with the fewest pods, and a kubelet per node moving its
// pods Pending -> Running with the status fields controllers read (conditions, container
// statuses, hostIP, podIP, startTime), Job pods on to Succeeded, and confirming the deletion
// of its terminating pods. No container runs. Delays are configurable; 0 by default.
// A pod's fate can be set (the `kapi-env.io/simulate` annotation) or drawn (failure and unready
// rates): containers that fail end a `restartPolicy: Never` pod Failed and otherwise crash-loop
// (waiting `CrashLoopBackOff`, restartCount rising on kubelet's doubling back-off, not Ready);
// unready pods run with their containers never Ready.

import { randomBytes } from 'node:crypto';
import { StatusError } from '../api/errors.js';
import type { KubeObject } from '../api/types.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import { nowRFC3339 } from '../registry/meta.js';
import { controllerContext } from './identity.js';
import type { ClusterInformer } from './informers.js';
import { WorkQueue } from './queue.js';
import { controllerOf, num, type Obj, obj, pinnedNode, podPhase } from './workload-kit.js';

export interface NodeSimulation {
  /** Ready nodes to create. */
  nodes: number;
  /** How long a bound pod stays Pending before it runs. */
  podStartDelayMs?: number;
  /** How long a Job's pod runs before it succeeds. */
  jobPodDurationMs?: number;
  /** The share of pods (0-1) whose containers fail: Failed with `restartPolicy: Never`, else crash-looping. */
  podFailureRate?: number;
  /** The share of the other pods (0-1) that run with their containers never Ready. */
  podUnreadyRate?: number;
  /** The first crash-loop back-off, doubled per restart up to 5 minutes (kubelet: 10 s). */
  crashLoopBackOffMs?: number;
}

/** A pod annotation choosing its fate on a simulated node: `fail`, `unready` or `ok`. */
export const SIMULATE_ANNOTATION = 'kapi-env.io/simulate';

type Fate = 'ok' | 'fail' | 'unready';

const MAX_BACKOFF_MS = 300_000;

const KUBELET_VERSION = 'v1.32.0';

function nodeName(i: number): string {
  return `kapi-node-${i + 1}`;
}

function nodeObject(i: number): KubeObject {
  const name = nodeName(i);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kapi-env.io/simulated': 'true',
      },
    },
    spec: { podCIDR: `10.244.${i + 1}.0/24`, podCIDRs: [`10.244.${i + 1}.0/24`] },
  };
}

function nodeStatus(i: number, now: string): Obj {
  const resources = { cpu: '8', 'ephemeral-storage': '100Gi', memory: '32Gi', pods: '110' };
  const cond = (type: string, status: string, reason: string, message: string): Obj => ({
    type,
    status,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
    reason,
    message,
  });
  return {
    capacity: resources,
    allocatable: resources,
    conditions: [
      cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
    ],
    addresses: [
      { type: 'InternalIP', address: `172.18.0.${i + 2}` },
      { type: 'Hostname', address: nodeName(i) },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: randomBytes(16).toString('hex'),
      systemUUID: randomBytes(16).toString('hex'),
      bootID: randomBytes(16).toString('hex'),
      kernelVersion: '6.1.0',
      osImage: 'kapi-env simulated node',
      containerRuntimeVersion: 'containerd://1.7.24',
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}

const containerId = (): string => `containerd://${randomBytes(32).toString('hex')}`;

export class NodeSimulator {
  private readonly queue: WorkQueue<string>;
  private readonly nodeIndex = new Map<string, number>();
  /** node -> pods bound to it (for spreading and pod IPs). */
  private readonly podsOnNode = new Map<string, Set<string>>();
  private nextIP = 2;
  /** Each pod's fate, drawn once (by uid). */
  private readonly fates = new Map<string, Fate>();

  constructor(
    private readonly router: ResourceRouter,
    informer: ClusterInformer,
    private readonly sim: NodeSimulation,
  ) {
    for (let i = 0; i < sim.nodes; i++) {
      this.nodeIndex.set(nodeName(i), i);
      this.podsOnNode.set(nodeName(i), new Set());
    }
    this.queue = new WorkQueue('simulated nodes', (key) => this.syncPod(key), 8);
    informer.onEvent((ev) => {
      const d = ev.resource.descriptor;
      if (d.group !== '' || d.resource !== 'pods') return;
      const m = ev.object.metadata ?? {};
      const key = `${m.namespace}/${m.name}`;
      const node = String(obj(ev.object.spec).nodeName ?? '');
      if (ev.type === 'DELETED') {
        this.podsOnNode.get(node)?.delete(key);
        this.fates.delete(m.uid ?? '');
        return;
      }
      if (node) this.podsOnNode.get(node)?.add(key);
      this.queue.add(key);
    });
  }

  private pods(): ServedResource | undefined {
    return this.router.get('', 'v1', 'pods');
  }

  /** Creates the nodes (or brings back their Ready status). */
  async start(): Promise<void> {
    const nodes = this.router.get('', 'v1', 'nodes');
    if (!nodes) return;
    const ctx = controllerContext('node-controller');
    const now = nowRFC3339();
    for (let i = 0; i < this.sim.nodes; i++) {
      try {
        await nodes.store.create(ctx, nodeObject(i));
      } catch (e) {
        if (!(e instanceof StatusError && e.code === 409)) throw e;
      }
      await nodes.store.update({ ...ctx, subresource: 'status' }, nodeName(i), (cur) => ({
        ...structuredClone(cur!),
        status: nodeStatus(i, now),
      }));
    }
  }

  private ctx(namespace: string, extra: Obj = {}) {
    return controllerContext('kapi-simulated-kubelet', { namespace, ...extra });
  }

  private async syncPod(key: string): Promise<void> {
    const pods = this.pods();
    if (!pods) return;
    const [ns, name] = key.split('/');
    let pod: KubeObject;
    try {
      pod = await pods.store.get(this.ctx(ns), name);
    } catch {
      return;
    }
    const spec = obj(pod.spec);
    const node = String(spec.nodeName ?? '');
    if (pod.metadata?.deletionTimestamp) {
      // The kubelet confirms a deletion once the containers are gone: here at once.
      if (this.nodeIndex.has(node) && (pod.metadata.finalizers ?? []).length === 0)
        await pods.store.delete(this.ctx(ns), name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } }).catch(ignoreGone);
      return;
    }
    if (!node) {
      const scheduler = String(spec.schedulerName ?? 'default-scheduler');
      if (scheduler === 'default-scheduler' && this.sim.nodes > 0) await this.bind(pods, pod);
      return;
    }
    if (!this.nodeIndex.has(node)) return;
    const phase = podPhase(pod);
    const fate = this.fate(pod);
    const restartNever = spec.restartPolicy === 'Never';
    if (phase === 'Pending') {
      const waited = Date.now() - Date.parse(pod.metadata?.creationTimestamp ?? '');
      const delay = (this.sim.podStartDelayMs ?? 0) - waited;
      if (delay > 0) {
        this.queue.addAfter(key, delay);
        return;
      }
      const running = this.running(pod, node, fate === 'ok');
      if (fate === 'fail' && !restartNever) {
        await this.writeStatus(pods, pod, this.crashed(pod, running));
        this.queue.addAfter(key, this.backOff(0));
      } else await this.writeStatus(pods, pod, running);
    } else if (phase === 'Running' && fate === 'fail' && !restartNever) {
      // Crash-looping: one restart per back-off period.
      const statuses = obj(pod.status).containerStatuses;
      const first = Array.isArray(statuses) ? obj(statuses[0]) : {};
      const restarts = num(first.restartCount);
      const crashedAt = Date.parse(String(obj(obj(first.lastState).terminated).finishedAt ?? ''));
      const delay = this.backOff(restarts) - (Number.isNaN(crashedAt) ? 0 : Date.now() - crashedAt);
      if (delay > 0) {
        this.queue.addAfter(key, delay);
        return;
      }
      await this.writeStatus(pods, pod, this.crashed(pod, obj(pod.status)));
      this.queue.addAfter(key, this.backOff(restarts + 1));
    } else if (phase === 'Running' && (controllerOf(pod)?.kind === 'Job' || (fate === 'fail' && restartNever))) {
      const started = Date.parse(String(obj(pod.status).startTime ?? '')) || Date.now();
      const delay = (this.sim.jobPodDurationMs ?? 0) - (Date.now() - started);
      if (delay > 0) {
        this.queue.addAfter(key, delay);
        return;
      }
      await this.writeStatus(pods, pod, fate === 'fail' ? this.terminated(pod, 'Failed') : this.terminated(pod, 'Succeeded'));
    }
  }

  /** The pod's fate: its annotation, else drawn once from the failure and unready rates. */
  private fate(pod: KubeObject): Fate {
    const uid = pod.metadata?.uid ?? '';
    let f = this.fates.get(uid);
    if (!f) {
      const asked = pod.metadata?.annotations?.[SIMULATE_ANNOTATION];
      if (asked === 'fail' || asked === 'unready' || asked === 'ok') f = asked;
      else if (Math.random() < (this.sim.podFailureRate ?? 0)) f = 'fail';
      else if (Math.random() < (this.sim.podUnreadyRate ?? 0)) f = 'unready';
      else f = 'ok';
      this.fates.set(uid, f);
    }
    return f;
  }

  /** The back-off as Go prints a duration: `10s`, `2m40s`, `5m0s`. */
  private backOffText(restarts: number): string {
    const ms = this.backOff(restarts);
    const s = Math.round(ms / 1000);
    if (ms < 1000) return `${ms}ms`;
    return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
  }

  /** kubelet's crash-loop back-off after `restarts` restarts. */
  private backOff(restarts: number): number {
    return Math.min(MAX_BACKOFF_MS, (this.sim.crashLoopBackOffMs ?? 10_000) * 2 ** restarts);
  }

  /** The default scheduler's choice, simplified: the node with the fewest pods. */
  private async bind(pods: ServedResource, pod: KubeObject): Promise<void> {
    // A pod pinned to a node by its affinity (DaemonSet pods) goes there, or stays Pending if it is not ours.
    let best = pinnedNode(pod);
    if (best && !this.nodeIndex.has(best)) return;
    if (!best) for (const [n, set] of this.podsOnNode) if (!best || set.size < this.podsOnNode.get(best)!.size) best = n;
    const binding = pods.subresources?.find((s) => s.name === 'binding');
    if (binding?.handler !== 'create') return;
    const ns = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    this.podsOnNode.get(best)?.add(`${ns}/${name}`);
    await binding
      .create(
        {
          ctx: controllerContext('kube-scheduler', { namespace: ns }),
          name,
          store: pods.store,
          lookup: (group, resource) => this.router.all().find((r) => r.descriptor.group === group && r.descriptor.resource === resource),
          query: new URLSearchParams(),
        },
        {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name, namespace: ns, uid: pod.metadata?.uid },
          target: { kind: 'Node', name: best },
        },
      )
      .catch((e: unknown) => {
        this.podsOnNode.get(best)?.delete(`${ns}/${name}`);
        if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) throw e;
      });
  }

  private running(pod: KubeObject, node: string, ready: boolean): Obj {
    const now = nowRFC3339();
    const i = this.nodeIndex.get(node)!;
    const ip = `10.244.${i + 1}.${this.nextIP++ % 250 || 2}`;
    const hostIP = `172.18.0.${i + 2}`;
    const status = obj(pod.status);
    const cond = (type: string): Obj => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: now });
    const containers = Array.isArray(obj(pod.spec).containers) ? (obj(pod.spec).containers as Obj[]) : [];
    const unready = (type: string): Obj => ({
      type,
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: now,
      reason: 'ContainersNotReady',
      message: `containers with unready status: [${containers.map((c) => c.name).join(' ')}]`,
    });
    const readiness = ready ? [cond('Ready'), cond('ContainersReady')] : [unready('Ready'), unready('ContainersReady')];
    return {
      ...status,
      phase: 'Running',
      conditions: [cond('PodReadyToStartContainers'), cond('Initialized'), ...readiness, cond('PodScheduled')],
      hostIP,
      hostIPs: [{ ip: hostIP }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: now,
      containerStatuses: containers.map((c) => ({
        name: c.name,
        state: { running: { startedAt: now } },
        lastState: {},
        ready,
        restartCount: 0,
        image: c.image,
        imageID: `${String(c.image ?? '')}@sha256:${randomBytes(32).toString('hex')}`,
        containerID: containerId(),
        started: true,
      })),
    };
  }

  /** One more crash of each container: exit code 1 as lastState, waiting in CrashLoopBackOff, restartCount + 1. */
  private crashed(pod: KubeObject, status: Obj): Obj {
    const now = nowRFC3339();
    const statuses = Array.isArray(status.containerStatuses) ? (status.containerStatuses as Obj[]) : [];
    return {
      ...status,
      containerStatuses: statuses.map((c) => ({
        ...c,
        state: {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${this.backOffText(num(c.restartCount) + (obj(c.state).waiting ? 1 : 0))} restarting failed container=${c.name} pod=${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`,
          },
        },
        lastState: {
          terminated: {
            exitCode: 1,
            reason: 'Error',
            startedAt: obj(obj(c.state).running).startedAt ?? obj(obj(c.lastState).terminated).finishedAt ?? now,
            finishedAt: now,
            containerID: c.containerID,
          },
        },
        ready: false,
        started: false,
        restartCount: num(c.restartCount) + (obj(c.state).waiting ? 1 : 0),
      })),
    };
  }

  /** The pod's end: Succeeded (exit code 0, Completed) or Failed (exit code 1, Error). */
  private terminated(pod: KubeObject, phase: 'Succeeded' | 'Failed'): Obj {
    const now = nowRFC3339();
    const status = obj(pod.status);
    const notReady = (type: string): Obj => ({
      type,
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: now,
      reason: phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed',
    });
    const conds = (Array.isArray(status.conditions) ? (status.conditions as Obj[]) : []).map((c) =>
      c.type === 'Ready' || c.type === 'ContainersReady'
        ? notReady(String(c.type))
        : c.type === 'PodReadyToStartContainers'
          ? { ...c, status: 'False', lastTransitionTime: now }
          : c,
    );
    const statuses = Array.isArray(status.containerStatuses) ? (status.containerStatuses as Obj[]) : [];
    return {
      ...status,
      phase,
      conditions: conds,
      containerStatuses: statuses.map((c) => ({
        ...c,
        state: {
          terminated: {
            exitCode: phase === 'Succeeded' ? 0 : 1,
            reason: phase === 'Succeeded' ? 'Completed' : 'Error',
            startedAt: obj(obj(c.state).running).startedAt ?? now,
            finishedAt: now,
            containerID: c.containerID,
          },
        },
        ready: false,
        started: false,
      })),
    };
  }

  private async writeStatus(pods: ServedResource, pod: KubeObject, status: Obj): Promise<void> {
    const ns = pod.metadata?.namespace ?? '';
    await pods.store
      .update(this.ctx(ns, { subresource: 'status' }), pod.metadata?.name ?? '', (cur) => {
        if (!cur || cur.metadata?.uid !== pod.metadata?.uid) return cur!;
        return { ...structuredClone(cur), status };
      })
      .catch(ignoreGone);
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): void {
    this.queue.stop();
  }
}

function ignoreGone(e: unknown): void {
  if (!(e instanceof StatusError && (e.code === 404 || e.code === 409))) throw e;
}
