// kube's EndpointSlice and Endpoints controllers (pkg/controller/endpointslice,
// pkg/controller/endpoint), simulated: for each Service with a selector, the pods it
// selects that have an IP, as one managed EndpointSlice (`<service>-<suffix>`, ready/
// serving/terminating conditions, target ports resolved, named ones through the pod's
// container ports) and the Endpoints object of the same name (ready and not-ready
// addresses). Services without a selector (the `kubernetes` Service) are left alone.

import type { KubeObject } from '../api/types.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import { controllerContext } from './identity.js';
import type { ClusterInformer } from './informers.js';
import { WorkQueue } from './queue.js';
import { controllerRef, type Obj, obj, podReady } from './workload-kit.js';

const SERVICE_NAME = 'kubernetes.io/service-name';
const MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
const MANAGER = 'endpointslice-controller.k8s.io';

function selects(selector: Obj, pod: KubeObject): boolean {
  const labels = pod.metadata?.labels ?? {};
  const keys = Object.keys(selector);
  return keys.length > 0 && keys.every((k) => labels[k] === selector[k]);
}

/** The service's ports with their target port resolved against one pod (a named port through its containers). */
function portsFor(service: KubeObject, pod: KubeObject): Obj[] {
  const ports = Array.isArray(obj(service.spec).ports) ? (obj(service.spec).ports as Obj[]) : [];
  const containers = Array.isArray(obj(pod.spec).containers) ? (obj(pod.spec).containers as Obj[]) : [];
  const out: Obj[] = [];
  for (const p of ports) {
    let port = p.targetPort ?? p.port;
    if (typeof port === 'string') {
      const named = containers.flatMap((c) => (Array.isArray(c.ports) ? (c.ports as Obj[]) : [])).find((cp) => cp.name === port);
      if (!named) continue;
      port = named.containerPort;
    }
    out.push({ name: p.name ?? '', port, protocol: p.protocol ?? 'TCP' });
  }
  return out;
}

export class EndpointsController {
  private readonly queue: WorkQueue<string>;

  constructor(
    private readonly router: ResourceRouter,
    informer: ClusterInformer,
    private readonly kinds: { slices: boolean; endpoints: boolean },
  ) {
    this.queue = new WorkQueue('endpoints controller', (key) => this.sync(key), 4);
    informer.onEvent((ev) => {
      const d = ev.resource.descriptor;
      const m = ev.object.metadata ?? {};
      if (d.group !== '') return;
      if (d.resource === 'services') this.queue.add(`${m.namespace}/${m.name}`);
      else if (d.resource === 'pods') {
        const services = this.served('services');
        if (!services) return;
        for (const svc of informer.objects(services)) {
          if (svc.metadata?.namespace === m.namespace && selects(obj(obj(svc.spec).selector), ev.object))
            this.queue.add(`${m.namespace}/${svc.metadata?.name}`);
        }
      }
    });
  }

  private served(resource: string, group = ''): ServedResource | undefined {
    return this.router.get(group, 'v1', resource);
  }

  private async sync(key: string): Promise<void> {
    const [ns, name] = key.split('/');
    const services = this.served('services');
    const pods = this.served('pods');
    if (!services || !pods) return;
    const ctx = controllerContext('endpointslice-controller', { namespace: ns });
    const svc = await services.store.get(ctx, name).catch(() => undefined);
    if (!svc || svc.metadata?.deletionTimestamp) return;
    const selector = obj(obj(svc.spec).selector);
    if (!Object.keys(selector).length) return;
    const selected = (await pods.lister.list({ namespace: ns })).items.filter((p) => {
      const phase = obj(p.status).phase;
      return selects(selector, p) && obj(p.status).podIP && phase !== 'Succeeded' && phase !== 'Failed';
    });
    selected.sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
    if (this.kinds.slices) await this.syncSlice(svc, selected);
    if (this.kinds.endpoints) await this.syncEndpoints(svc, selected);
  }

  private async syncSlice(svc: KubeObject, pods: KubeObject[]): Promise<void> {
    const slices = this.served('endpointslices', 'discovery.k8s.io');
    if (!slices) return;
    const ns = svc.metadata?.namespace ?? '';
    const ctx = controllerContext('endpointslice-controller', { namespace: ns });
    const endpoints = pods.map((p) => {
      const terminating = !!p.metadata?.deletionTimestamp;
      const ready = podReady(p) && !terminating;
      const nodeName = obj(p.spec).nodeName;
      return {
        addresses: [obj(p.status).podIP],
        conditions: { ready, serving: podReady(p), terminating },
        ...(nodeName ? { nodeName } : {}),
        targetRef: { kind: 'Pod', namespace: ns, name: p.metadata?.name, uid: p.metadata?.uid },
      };
    });
    const ports = pods.length ? portsFor(svc, pods[0]) : [];
    const existing = (await slices.lister.list({ namespace: ns })).items.filter(
      (s) => s.metadata?.labels?.[SERVICE_NAME] === svc.metadata?.name && s.metadata?.labels?.[MANAGED_BY] === MANAGER,
    );
    const want = { endpoints, ports };
    const [slice, ...extra] = existing;
    for (const e of extra) await slices.store.delete(ctx, e.metadata?.name ?? '', {}).catch(() => undefined);
    if (!slice) {
      await slices.store.create(ctx, {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          generateName: `${svc.metadata?.name}-`,
          namespace: ns,
          labels: { ...(svc.metadata?.labels ?? {}), [SERVICE_NAME]: svc.metadata?.name ?? '', [MANAGED_BY]: MANAGER },
          ownerReferences: [controllerRef(svc)],
        } as KubeObject['metadata'],
        addressType: 'IPv4',
        ...want,
      });
      return;
    }
    if (JSON.stringify({ endpoints: slice.endpoints ?? [], ports: slice.ports ?? [] }) === JSON.stringify(want)) return;
    await slices.store.update(ctx, slice.metadata?.name ?? '', (cur) => ({ ...structuredClone(cur!), ...want }));
  }

  private async syncEndpoints(svc: KubeObject, pods: KubeObject[]): Promise<void> {
    const served = this.served('endpoints');
    if (!served) return;
    const ns = svc.metadata?.namespace ?? '';
    const name = svc.metadata?.name ?? '';
    const ctx = controllerContext('endpoint-controller', { namespace: ns });
    const address = (p: KubeObject): Obj => ({
      ip: obj(p.status).podIP,
      ...(obj(p.spec).nodeName ? { nodeName: obj(p.spec).nodeName } : {}),
      targetRef: { kind: 'Pod', namespace: ns, name: p.metadata?.name, uid: p.metadata?.uid },
    });
    const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
    const ready = live.filter(podReady).map(address);
    const notReady = live.filter((p) => !podReady(p)).map(address);
    const subsets = live.length
      ? [
          {
            ...(ready.length ? { addresses: ready } : {}),
            ...(notReady.length ? { notReadyAddresses: notReady } : {}),
            // core/v1 EndpointPort's name is omitempty, unlike the slice's.
            ports: portsFor(svc, live[0]).map(({ name: portName, ...rest }) => (portName ? { name: portName, ...rest } : rest)),
          },
        ]
      : undefined;
    const cur = await served.store.get(ctx, name).catch(() => undefined);
    if (!cur) {
      await served.store
        .create(ctx, {
          apiVersion: 'v1',
          kind: 'Endpoints',
          metadata: { name, namespace: ns, labels: { ...(svc.metadata?.labels ?? {}) } },
          ...(subsets ? { subsets } : {}),
        })
        .catch((e: { code?: number }) => {
          if (e?.code !== 409) throw e;
        });
      return;
    }
    if (JSON.stringify(cur.subsets ?? null) === JSON.stringify(subsets ?? null)) return;
    await served.store.update(ctx, name, (latest) => {
      const next = structuredClone(latest!);
      if (subsets) next.subsets = subsets;
      else delete next.subsets;
      return next;
    });
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): void {
    this.queue.stop();
  }
}
