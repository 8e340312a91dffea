// Objects kube's controllers keep in every active namespace, as one small table:
// the `default` ServiceAccount (serviceaccounts-controller: created when missing,
// recreated when deleted) and the `kube-root-ca.crt` ConfigMap (root CA publisher:
// the cluster CA under `ca.crt`, restored when changed or deleted).

import { isPlainObject, type KubeObject } from '../api/types.js';
import type { ResourceRouter, ServedResource } from '../endpoints/router.js';
import { controllerContext, ignoring } from './identity.js';
import type { ClusterInformer } from './informers.js';
import { WorkQueue } from './queue.js';

export interface PerNamespaceObject {
  /** The controller's service account in kube-system (its identity). */
  serviceAccount: string;
  resource: { group: string; version: string; resource: string };
  name: string;
  /** The object to create in a namespace. */
  desired(namespace: string): KubeObject;
  /** The stored object changed as the controller wants it, or undefined when it is right. */
  repair?(cur: KubeObject): KubeObject | undefined;
}

/** serviceaccounts_controller.go: `default` in every namespace. */
export function defaultServiceAccount(): PerNamespaceObject {
  return {
    serviceAccount: 'service-account-controller',
    resource: { group: '', version: 'v1', resource: 'serviceaccounts' },
    name: 'default',
    desired: (namespace) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } }),
  };
}

const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

/** rootcacertpublisher/publisher.go: `kube-root-ca.crt` with the cluster CA in every namespace. */
export function rootCAConfigMap(caPem: string): PerNamespaceObject {
  const data = { 'ca.crt': caPem };
  const annotations = { 'kubernetes.io/description': ROOT_CA_DESCRIPTION };
  return {
    serviceAccount: 'root-ca-cert-publisher',
    resource: { group: '', version: 'v1', resource: 'configmaps' },
    name: 'kube-root-ca.crt',
    desired: (namespace) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace, annotations }, data }),
    repair(cur) {
      const curData = isPlainObject(cur.data) ? cur.data : {};
      const curAnn = cur.metadata?.annotations ?? {};
      if (Object.keys(curData).length === 1 && curData['ca.crt'] === caPem && curAnn['kubernetes.io/description'] === ROOT_CA_DESCRIPTION)
        return undefined;
      const next = structuredClone(cur);
      next.data = { ...data };
      next.metadata!.annotations = { ...curAnn, ...annotations };
      return next;
    },
  };
}

/** Keeps one object in every namespace that is not being deleted. */
export class PerNamespaceController {
  private readonly queue: WorkQueue<string>;

  constructor(
    private readonly router: ResourceRouter,
    informer: ClusterInformer,
    private readonly spec: PerNamespaceObject,
  ) {
    this.queue = new WorkQueue(`${spec.name} ${spec.resource.resource} controller`, (ns) => this.sync(ns), 2);
    informer.onEvent((ev) => {
      const d = ev.resource.descriptor;
      const m = ev.object.metadata ?? {};
      if (d.group === '' && d.resource === 'namespaces') {
        if (ev.type !== 'DELETED' && !m.deletionTimestamp) this.queue.add(m.name ?? '');
      } else if (d.group === spec.resource.group && d.resource === spec.resource.resource && m.name === spec.name && m.namespace) {
        this.queue.add(m.namespace);
      }
    });
  }

  private served(): ServedResource | undefined {
    const r = this.spec.resource;
    return this.router.get(r.group, r.version, r.resource);
  }

  private async sync(namespace: string): Promise<void> {
    const served = this.served();
    const namespaces = this.router.get('', 'v1', 'namespaces');
    if (!served || !namespaces) return;
    const ctx = controllerContext(this.spec.serviceAccount, { namespace });
    const ns = await namespaces.store.get(controllerContext(this.spec.serviceAccount), namespace).catch(() => undefined);
    if (!ns || ns.metadata?.deletionTimestamp) return;
    let cur: KubeObject | undefined;
    try {
      cur = await served.store.get(ctx, this.spec.name);
    } catch {
      cur = undefined;
    }
    if (!cur) {
      // 409: created meanwhile; 403: the namespace began terminating (NamespaceLifecycle).
      await ignoring([403, 409], served.store.create(ctx, this.spec.desired(namespace)));
      return;
    }
    const repair = this.spec.repair;
    if (!repair?.(cur)) return;
    await ignoring(
      [404],
      served.store.update(ctx, this.spec.name, (latest) => {
        if (!latest) return this.spec.desired(namespace);
        return repair(latest) ?? latest;
      }),
    );
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  stop(): void {
    this.queue.stop();
  }
}
